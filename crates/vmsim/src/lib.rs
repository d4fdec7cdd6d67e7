//! An executable model of Linux virtual memory.
//!
//! | Module      | Models                                 | Source                                 |
//! |-------------|----------------------------------------|----------------------------------------|
//! | [`addr`]    | addresses, page and frame numbers      | LINUX-VM-SPEC §1                       |
//! | [`arch`]    | PTE formats, one file per architecture | SDM Vol 3A §4.5; SPEC §2               |
//! | [`swap`]    | swap entries and devices               | mm/swapfile.c; SPEC §3, §6             |
//! | [`cache`]   | L1/L2/LLC caches, prefetchers          | AMD Zen 4 SOG §2.12; H&P appendix B    |
#![forbid(unsafe_code)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("vmsim requires a 64-bit host: frame numbers are used as indices");

pub mod addr;
pub mod arch;
pub mod cache;
pub mod mmu;
pub mod phys;
pub mod reclaim;
pub mod swap;

pub use addr::{Asid, Pfn, PhysAddr, VirtAddr, Vpn, PAGE_SIZE};
pub mod config;
pub mod content;
pub mod cost;
pub mod kernel;
pub mod procfs;
pub mod sim;
pub mod snapshot;
pub mod stats;
