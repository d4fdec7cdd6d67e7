//! Swap: entries, devices (SWAPSPACE2), the swap cache and readahead (LINUX-VM-SPEC §3, §6).

pub mod entry;
pub mod error;
pub mod header;

pub use entry::SwapEntry;
pub use error::SwapFileError;
pub use header::{mkswap, MkswapInfo, SwapHeader};
