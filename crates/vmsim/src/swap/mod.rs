//! Swap: entries, areas (SWAPSPACE2 files or memory), the swap cache and readahead (LINUX-VM-SPEC §3, §6).
//!
//! | File            | Models                                                      | Source                                  |
//! |-----------------|-------------------------------------------------------------|-----------------------------------------|
//! | [`entry`]       | `swp_entry_t`: swap type and offset                         | include/linux/swapops.h; SPEC §3        |
//! | [`header`]      | the SWAPSPACE2 header page, `mkswap`                        | include/linux/swap.h, util-linux; §6    |
//! | [`swapfile`]    | swap areas, `swap_map` counts, cluster allocation, priority | mm/swapfile.c; SPEC §6                  |
//! | `page_io`       | backing stores: sparse memory or a swap file                | mm/page_io.c                            |
//! | [`swap_state`]  | the swap cache and the readahead window                     | mm/swap_state.c; SPEC §6                |
//! | [`error`]       | [`SwapFileError`], with path, byte offset and hint          | STYLE §3.7                              |
//! | [`zswap`]       | the compressed pool in front of the device                  | mm/zswap.c; SPEC §10                    |
//!
//! Start at [`SwapSpace`]: [`SwapSpace::add`] activates an area from a [`SwapDeviceConfig`], [`SwapSpace::alloc`]
//! hands out [`SwapEntry`] slots, and `write`/`read` move page data.

pub mod entry;
pub mod error;
pub mod header;
mod page_io;
pub mod swap_state;
pub mod swapfile;
pub mod zswap;

pub use entry::SwapEntry;
pub use error::SwapFileError;
pub use header::{mkswap, MkswapInfo, SwapHeader};
pub use swap_state::{cluster_readahead_range, SwapCache, SwapRaState};
pub use swapfile::{open_swapfile, SwapArea, SwapDeviceConfig, SwapSpace};
