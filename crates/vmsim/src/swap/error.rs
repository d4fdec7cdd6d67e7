//! `SwapFileError`: everything that can go wrong creating, opening or using a swap area.
//!
//! Errors about a file name the path, the byte offset where the problem is, and a hint. Errors about a slot name the
//! swap entry. None of them is a fault of the simulated program: a page that cannot be swapped out because swap is
//! full is `None` from [`SwapSpace::alloc`](super::swapfile::SwapSpace::alloc), not an error.

use std::io;
use std::path::PathBuf;

use super::entry::SwapEntry;

/// Hint for header errors: how to get a valid swap file.
pub(crate) const HINT_MKSWAP: &str = "create it with vmsim mkswap";

/// An error creating, opening, reading or writing a swap area, or a misuse of a swap slot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SwapFileError {
    /// The host refused an I/O operation on the swap file.
    #[error("{}: {op} at byte {offset} failed: {source}", .path.display())]
    Io {
        /// The swap file.
        path: PathBuf,
        /// What was being done: "open", "read", "write", "set length".
        op: &'static str,
        /// Byte offset of the operation in the file.
        offset: u64,
        /// The host error.
        #[source]
        source: io::Error,
    },
    /// The file cannot even hold the header page.
    #[error("{}: file is {len} bytes, shorter than the {need}-byte header page ({hint})", .path.display())]
    TooShort {
        /// The swap file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
        /// Bytes needed (one page).
        need: u64,
        /// What to do about it.
        hint: &'static str,
    },
    /// The file length is not a whole number of pages.
    #[error("{}: length {len} at byte {len} is not a multiple of the {page}-byte page (truncated? {hint})", .path.display())]
    NotPageMultiple {
        /// The swap file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
        /// The page size.
        page: u64,
        /// What to do about it.
        hint: &'static str,
    },
    /// The last 10 bytes of the header page are not `SWAPSPACE2`.
    #[error("{}: bad magic at byte {offset}: expected \"SWAPSPACE2\", found \"{}\" ({hint})", .path.display(), .found.escape_ascii())]
    BadMagic {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of the magic (4086).
        offset: u64,
        /// The 10 bytes found there.
        found: [u8; 10],
        /// What to do about it.
        hint: &'static str,
    },
    /// The header's `version` is not 1.
    #[error("{}: unsupported swap header version {version} at byte {offset}: expected 1 ({hint})", .path.display())]
    BadVersion {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of the field (1024).
        offset: u64,
        /// The value read (little-endian).
        version: u32,
        /// What to do about it.
        hint: &'static str,
    },
    /// `last_page` is 0, or every page is bad: no usable slot.
    #[error("{}: empty swap area: {what} at byte {offset} ({hint})", .path.display())]
    EmptyArea {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of the field that makes it empty.
        offset: u64,
        /// Which field and value.
        what: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// `last_page` points beyond the end of the file (Linux: "Swap area shorter than signature indicates").
    #[error(
        "{}: last_page {last_page} at byte {offset} needs {} pages but the file has {file_pages} \
         (swap area shorter than signature indicates; {hint})",
        .path.display(), u64::from(*.last_page) + 1
    )]
    ShorterThanSignature {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of `last_page` (1028).
        offset: u64,
        /// The value read.
        last_page: u32,
        /// Whole pages in the file.
        file_pages: u64,
        /// What to do about it.
        hint: &'static str,
    },
    /// `nr_badpages` exceeds the room in the header page.
    #[error("{}: nr_badpages {nr} at byte {offset} exceeds the maximum {max} ({hint})", .path.display())]
    TooManyBadPages {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of `nr_badpages` (1032).
        offset: u64,
        /// The value read.
        nr: u32,
        /// `MAX_SWAP_BADPAGES`.
        max: u32,
        /// What to do about it.
        hint: &'static str,
    },
    /// An entry of `badpages[]` is 0 or beyond `last_page`.
    #[error("{}: bad-page entry {value} at byte {offset} is outside 1..={last_page} ({hint})", .path.display())]
    BadPageOutOfRange {
        /// The swap file.
        path: PathBuf,
        /// Byte offset of the entry.
        offset: u64,
        /// The value read.
        value: u32,
        /// The header's `last_page`.
        last_page: u32,
        /// What to do about it.
        hint: &'static str,
    },
    /// A size given to mkswap is unusable.
    #[error("{}: size {size_bytes} bytes: {what} ({hint})", .path.display())]
    BadSize {
        /// The swap file.
        path: PathBuf,
        /// The size asked for, in bytes.
        size_bytes: u64,
        /// What is wrong with it.
        what: &'static str,
        /// What would be valid.
        hint: String,
    },
    /// A size for an in-memory swap area is unusable.
    #[error("in-memory swap area of {size_pages} pages: {what} ({hint})")]
    BadMemorySize {
        /// The size asked for, in 4 KiB pages (header page included).
        size_pages: u64,
        /// What is wrong with it.
        what: &'static str,
        /// What would be valid.
        hint: String,
    },
    /// A volume label that does not fit the 16-byte `sws_volume` field.
    #[error("{}: label {label:?} is {} bytes ({hint})", .path.display(), .label.len())]
    BadLabel {
        /// The swap file.
        path: PathBuf,
        /// The label asked for.
        label: String,
        /// What would be valid.
        hint: &'static str,
    },
    /// A device configuration that names neither a size nor a file, or a size that disagrees with the file.
    #[error("swap device {index}: {what} ({hint})")]
    BadConfig {
        /// Position of the device among those added (0-based, = the swap type it would get).
        index: usize,
        /// What is wrong.
        what: String,
        /// What would be valid.
        hint: &'static str,
    },
    /// An explicit priority outside what `swapon -p` accepts.
    #[error("swap device {index}: priority {priority} out of range 0..=32767 (omit it for automatic -2, -3, ...)")]
    PriorityOutOfRange {
        /// Position of the device among those added.
        index: usize,
        /// The priority asked for.
        priority: i16,
    },
    /// More swap areas than swap types.
    #[error("too many swap areas: at most {max} (MAX_SWAPFILES)")]
    TooManyAreas {
        /// The limit.
        max: usize,
    },
    /// A swap entry whose type is not an active area.
    #[error("{entry:?}: no swap area of type {} is active", .entry.swap_type())]
    NoSuchArea {
        /// The entry used.
        entry: SwapEntry,
    },
    /// A swap entry whose offset is beyond the area, or is the header (offset 0) or a bad page.
    #[error("{entry:?}: offset is not a usable slot (area has slots 1..={last}, header and bad pages excluded)")]
    NotASlot {
        /// The entry used.
        entry: SwapEntry,
        /// The area's last offset (`last_page`).
        last: u64,
    },
    /// `reserve` of a slot that is already in use.
    #[error("{entry:?}: slot already in use (usage count {count})")]
    SlotInUse {
        /// The entry used.
        entry: SwapEntry,
        /// Its current usage count.
        count: u32,
    },
    /// Read, write or dup of a slot that is free: the caller lost track of a swapped page.
    #[error("{entry:?}: cannot {op} a free slot (never allocated, or already freed)")]
    SlotFree {
        /// The entry used.
        entry: SwapEntry,
        /// What was attempted.
        op: &'static str,
    },
    /// A usage count would exceed `u32::MAX`.
    #[error("{entry:?}: usage count overflow")]
    CountOverflow {
        /// The entry used.
        entry: SwapEntry,
    },
}

/// `Result` with [`SwapFileError`].
pub type Result<T, E = SwapFileError> = std::result::Result<T, E>;
