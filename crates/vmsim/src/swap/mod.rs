//! Swap: entries, devices (SWAPSPACE2), the swap cache and readahead (LINUX-VM-SPEC §3, §6).

pub mod entry;
