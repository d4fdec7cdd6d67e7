//! Swap: entries, devices (SWAPSPACE2), the swap cache and readahead (LINUX-VM-SPEC §3, §6).

pub mod entry;
pub mod error;
pub mod header;
mod page_io;
pub mod swapfile;

pub use entry::SwapEntry;
pub use error::SwapFileError;
pub use header::{mkswap, MkswapInfo, SwapHeader};
pub use swapfile::{open_swapfile, SwapArea, SwapDeviceConfig, SwapSpace};
