//! The SWAPSPACE2 header in page 0 of a swap area: `union swap_header` (`include/linux/swap.h`; SPEC §6).
//!
//! [`mkswap`] writes it as util-linux `mkswap` does (`disk-utils/mkswap.c`), and [`SwapHeader::parse`] checks it as
//! the kernel's `read_swap_header()` (mm/swapfile.c) does at swapon. Fields are little-endian: the kernel's native
//! order on x86-64, and what `blkid` and `file` expect.
//!
//! Simplifies: a header written by a big-endian machine is rejected with a hint (Linux byte-swaps it); the UUID is
//! derived from the path, size and label (util-linux draws a random one), so the same command gives the same bytes.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::addr::{PAGE_BYTES, PAGE_SIZE};

use super::error::{Result, SwapFileError, HINT_MKSWAP};

/// `swap_header.info.version` that Linux accepts (SPEC §6: "anything else is rejected").
pub const SWAP_HEADER_VERSION: u32 = 1;
/// The signature in the last 10 bytes of page 0 (`"SWAPSPACE2"`, SPEC §6).
pub const SWAP_MAGIC: [u8; 10] = *b"SWAPSPACE2";
/// The version-0 signature, unsupported since Linux 2.5.22.
pub const SWAP_MAGIC_V0: [u8; 10] = *b"SWAP-SPACE";
/// Byte offset of `magic`: `PAGE_SIZE - 10` = 4086.
pub const MAGIC_OFFSET: usize = PAGE_BYTES - SWAP_MAGIC.len();
/// Byte offset of `info.version`, after `bootbits[1024]`.
pub const VERSION_OFFSET: usize = 1024;
/// Byte offset of `info.last_page`.
pub const LAST_PAGE_OFFSET: usize = 1028;
/// Byte offset of `info.nr_badpages`.
pub const NR_BADPAGES_OFFSET: usize = 1032;
/// Byte offset of `info.sws_uuid[16]`.
pub const UUID_OFFSET: usize = 1036;
/// Byte offset of `info.sws_volume[16]` (the label).
pub const VOLUME_OFFSET: usize = 1052;
/// Byte offset of `info.badpages[]`, after `padding[117]`: 1068 + 117 × 4 = 1536.
pub const BADPAGES_OFFSET: usize = 1536;
/// Length of the UUID and label fields.
pub const UUID_LEN: usize = 16;
/// Length of the label field; longer labels are refused (util-linux truncates with a warning).
pub const LABEL_LEN: usize = 16;
/// `MAX_SWAP_BADPAGES` (include/linux/swap.h): room for `badpages[]` before the magic, (4086 − 1536) / 4 = 637.
// Both operands are small constants: the quotient fits in u32.
#[allow(clippy::cast_possible_truncation, reason = "constant 637")]
pub const MAX_SWAP_BADPAGES: u32 = ((MAGIC_OFFSET - BADPAGES_OFFSET) / 4) as u32;
/// Smallest area mkswap creates: `MIN_GOODPAGES` = 10 pages (util-linux `disk-utils/mkswap.c`); `blkid`'s swap probe
/// also ignores anything smaller (`libblkid/src/superblocks/swap.c`, `minsz = 10 * 4096`).
pub const MIN_GOODPAGES: u64 = 10;
/// Largest area the header can describe: `last_page` is a `__u32`, so at most 2^32 pages.
pub const MAX_PAGES: u64 = 1 << 32;

/// The decoded fields of a SWAPSPACE2 header page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapHeader {
    /// `info.version`: always [`SWAP_HEADER_VERSION`] once parsed.
    pub version: u32,
    /// `info.last_page`: index of the last usable page = pages − 1.
    pub last_page: u32,
    /// `info.sws_uuid`, in the byte order `blkid` prints.
    pub uuid: [u8; UUID_LEN],
    /// `info.sws_volume`: the label, NUL padded.
    pub volume: [u8; LABEL_LEN],
    /// `info.badpages[..nr_badpages]`: page indices never to allocate.
    pub badpages: Vec<u32>,
}

impl SwapHeader {
    /// A fresh header as mkswap writes it: no bad pages.
    fn new(last_page: u32, uuid: [u8; UUID_LEN], volume: [u8; LABEL_LEN]) -> Self {
        Self { version: SWAP_HEADER_VERSION, last_page, uuid, volume, badpages: Vec::new() }
    }

    /// Pages the header describes: `last_page + 1` (`si->max` in mm/swapfile.c).
    pub fn pages(&self) -> u64 {
        u64::from(self.last_page) + 1
    }

    /// The label up to its first NUL, or `None` when empty (as `blkid` reports it).
    pub fn label(&self) -> Option<String> {
        let end = self.volume.iter().position(|&b| b == 0).unwrap_or(LABEL_LEN);
        let bytes = self.volume.get(..end).unwrap_or(&[]);
        (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
    }

    /// The UUID as `blkid` prints it: `01234567-89ab-cdef-0123-456789abcdef`.
    pub fn uuid_string(&self) -> String {
        format_uuid(&self.uuid)
    }

    /// The whole header page: zero `bootbits` and padding, the fields, and the magic at byte 4086.
    pub fn encode(&self) -> Box<[u8; PAGE_BYTES]> {
        let mut page = Box::new([0u8; PAGE_BYTES]);
        put(&mut page[..], VERSION_OFFSET, &self.version.to_le_bytes());
        put(&mut page[..], LAST_PAGE_OFFSET, &self.last_page.to_le_bytes());
        let nr = u32::try_from(self.badpages.len()).unwrap_or(u32::MAX);
        put(&mut page[..], NR_BADPAGES_OFFSET, &nr.to_le_bytes());
        put(&mut page[..], UUID_OFFSET, &self.uuid);
        put(&mut page[..], VOLUME_OFFSET, &self.volume);
        let room = page.get_mut(BADPAGES_OFFSET..MAGIC_OFFSET).unwrap_or_default();
        for (slot, bad) in room.chunks_exact_mut(4).zip(&self.badpages) {
            slot.copy_from_slice(&bad.to_le_bytes());
        }
        put(&mut page[..], MAGIC_OFFSET, &SWAP_MAGIC);
        page
    }

    /// Decodes and checks page 0 of a swap file of `file_pages` whole pages, in the order of `read_swap_header()`
    /// (mm/swapfile.c): magic, version, `last_page` (non-zero, within the file), `nr_badpages`, each bad page.
    ///
    /// A file longer than `last_page + 1` pages is accepted and only its first `last_page + 1` pages are used, as
    /// Linux does. `path` is only used in error messages.
    pub fn parse(path: &Path, page: &[u8; PAGE_BYTES], file_pages: u64) -> Result<Self> {
        let path_buf = || path.to_path_buf();
        let mut magic = [0u8; 10];
        magic.copy_from_slice(page.get(MAGIC_OFFSET..).unwrap_or(&[0; 10]));
        if magic != SWAP_MAGIC {
            let hint = if magic == SWAP_MAGIC_V0 {
                "version-0 swap area, unsupported since Linux 2.5.22: recreate it with vmsim mkswap"
            } else {
                HINT_MKSWAP
            };
            return Err(SwapFileError::BadMagic { path: path_buf(), offset: byte(MAGIC_OFFSET), found: magic, hint });
        }
        let version = le32(page, VERSION_OFFSET);
        if version != SWAP_HEADER_VERSION {
            let hint = if version.swap_bytes() == SWAP_HEADER_VERSION {
                "a big-endian header: vmsim reads little-endian headers; recreate it with vmsim mkswap"
            } else {
                HINT_MKSWAP
            };
            return Err(SwapFileError::BadVersion { path: path_buf(), offset: byte(VERSION_OFFSET), version, hint });
        }
        let last_page = le32(page, LAST_PAGE_OFFSET);
        if last_page == 0 {
            return Err(SwapFileError::EmptyArea {
                path: path_buf(),
                offset: byte(LAST_PAGE_OFFSET),
                what: "last_page is 0".to_owned(),
                hint: HINT_MKSWAP,
            });
        }
        if u64::from(last_page) >= file_pages {
            return Err(SwapFileError::ShorterThanSignature {
                path: path_buf(),
                offset: byte(LAST_PAGE_OFFSET),
                last_page,
                file_pages,
                hint: "file truncated? recreate it with vmsim mkswap",
            });
        }
        let nr = le32(page, NR_BADPAGES_OFFSET);
        if nr > MAX_SWAP_BADPAGES {
            return Err(SwapFileError::TooManyBadPages {
                path: path_buf(),
                offset: byte(NR_BADPAGES_OFFSET),
                nr,
                max: MAX_SWAP_BADPAGES,
                hint: HINT_MKSWAP,
            });
        }
        let room = page.get(BADPAGES_OFFSET..MAGIC_OFFSET).unwrap_or_default();
        let mut badpages = Vec::new();
        for (i, chunk) in room.chunks_exact(4).take(usize::try_from(nr).unwrap_or(0)).enumerate() {
            let value = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            // read_swap_header(): `if (page_nr == 0 || page_nr > last_page) return -EINVAL`.
            if value == 0 || value > last_page {
                return Err(SwapFileError::BadPageOutOfRange {
                    path: path_buf(),
                    offset: byte(BADPAGES_OFFSET + 4 * i),
                    value,
                    last_page,
                    hint: HINT_MKSWAP,
                });
            }
            badpages.push(value);
        }
        let mut uuid = [0u8; UUID_LEN];
        uuid.copy_from_slice(page.get(UUID_OFFSET..UUID_OFFSET + UUID_LEN).unwrap_or(&[0; UUID_LEN]));
        let mut volume = [0u8; LABEL_LEN];
        volume.copy_from_slice(page.get(VOLUME_OFFSET..VOLUME_OFFSET + LABEL_LEN).unwrap_or(&[0; LABEL_LEN]));
        Ok(Self { version, last_page, uuid, volume, badpages })
    }
}

/// What [`mkswap`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkswapInfo {
    /// The swap file.
    pub path: PathBuf,
    /// Its size in 4 KiB pages, header page included.
    pub pages: u64,
    /// The header written.
    pub header: SwapHeader,
}

impl MkswapInfo {
    /// Usable slots: pages − 1 (slot 0 is the header).
    pub fn usable_pages(&self) -> u64 {
        self.pages - 1
    }
    /// Usable size in bytes, as util-linux mkswap reports it: `(pages − 1) × 4096`.
    pub fn usable_bytes(&self) -> u64 {
        self.usable_pages() * PAGE_SIZE
    }
}

/// Creates (or replaces, atomically) `path` as a sparse swap file of `size_bytes`, with the header in page 0, like util-linux
/// `mkswap` on a fresh file. The UUID is derived from the path, size and label (see [`derived_uuid`]).
///
/// `size_bytes` must be a multiple of 4096 and at least [`MIN_GOODPAGES`] pages; `label` at most 16 bytes, no NUL.
pub fn mkswap(path: &Path, size_bytes: u64, label: Option<&str>) -> Result<MkswapInfo> {
    mkswap_with_uuid(path, size_bytes, label, derived_uuid(path, size_bytes, label))
}

/// [`mkswap`] with a given UUID (`mkswap -U`).
pub fn mkswap_with_uuid(path: &Path, size_bytes: u64, label: Option<&str>, uuid: [u8; UUID_LEN]) -> Result<MkswapInfo> {
    let bad_size =
        |what: &'static str, hint: String| SwapFileError::BadSize { path: path.to_path_buf(), size_bytes, what, hint };
    if size_bytes % PAGE_SIZE != 0 {
        return Err(bad_size(
            "not a multiple of the 4096-byte page",
            format!("try {}", size_bytes / PAGE_SIZE * PAGE_SIZE),
        ));
    }
    let pages = size_bytes / PAGE_SIZE;
    if pages < MIN_GOODPAGES {
        let hint = format!("mkswap needs at least {MIN_GOODPAGES} pages = {} bytes", MIN_GOODPAGES * PAGE_SIZE);
        return Err(bad_size("too small", hint));
    }
    let Ok(last_page) = u32::try_from(pages - 1) else {
        return Err(bad_size("too large", format!("last_page is 32 bits: at most {} bytes", MAX_PAGES * PAGE_SIZE)));
    };
    let mut volume = [0u8; LABEL_LEN];
    if let Some(label) = label {
        if label.len() > LABEL_LEN || label.as_bytes().contains(&0) {
            return Err(SwapFileError::BadLabel {
                path: path.to_path_buf(),
                label: label.to_owned(),
                hint: "at most 16 bytes, no NUL",
            });
        }
        volume.get_mut(..label.len()).unwrap_or_default().copy_from_slice(label.as_bytes());
    }
    let header = SwapHeader::new(last_page, uuid, volume);
    let io = |op: &'static str, offset: u64| {
        move |source| SwapFileError::Io { path: path.to_path_buf(), op, offset, source }
    };
    // Written to a new sibling file and renamed over `path` only when complete: a failure (disk full, a bad
    // directory) leaves an existing file as it was and no partial swap file behind.
    let tmp = temp_sibling(path);
    let written = (|| {
        let mut file = create_private(&tmp).map_err(io("create", 0))?;
        // Sparse: only the header page is written (SPEC §6; util-linux leaves the data pages alone too).
        file.set_len(size_bytes).map_err(io("set length", size_bytes))?;
        file.write_all(&header.encode()[..]).map_err(io("write", 0))?;
        file.sync_all().map_err(io("sync", 0))?;
        std::fs::rename(&tmp, path).map_err(io("rename into place", 0))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    Ok(MkswapInfo { path: path.to_path_buf(), pages, header })
}

/// Opens `path` for reading and writing and decodes its header page: the I/O half of `read_swap_header()`.
pub(crate) fn open_and_parse(path: &Path) -> Result<(File, SwapHeader)> {
    let io = |op: &'static str, offset: u64| {
        move |source| SwapFileError::Io { path: path.to_path_buf(), op, offset, source }
    };
    let mut file = OpenOptions::new().read(true).write(true).open(path).map_err(io("open", 0))?;
    let len = file.metadata().map_err(io("stat", 0))?.len();
    if len < PAGE_SIZE {
        return Err(SwapFileError::TooShort { path: path.to_path_buf(), len, need: PAGE_SIZE, hint: HINT_MKSWAP });
    }
    if len % PAGE_SIZE != 0 {
        // Stricter than Linux, which ignores a partial last page: mkswap never makes one, so it means damage.
        return Err(SwapFileError::NotPageMultiple {
            path: path.to_path_buf(),
            len,
            page: PAGE_SIZE,
            hint: HINT_MKSWAP,
        });
    }
    let mut page = Box::new([0u8; PAGE_BYTES]);
    file.seek(SeekFrom::Start(0)).map_err(io("seek", 0))?;
    file.read_exact(&mut page[..]).map_err(io("read", 0))?;
    let header = SwapHeader::parse(path, &page, len / PAGE_SIZE)?;
    Ok((file, header))
}

/// Reads and checks the header of the swap file at `path` without activating it (what `swaplabel` or `blkid` show).
pub fn read_swap_header(path: &Path) -> Result<SwapHeader> {
    open_and_parse(path).map(|(_, header)| header)
}

/// A deterministic UUID for mkswap: FNV-1a (128-bit) over `"vmsim mkswap"`, the path bytes, the size and the label,
/// stamped as an RFC 9562 version-8 ("custom") UUID. util-linux uses a random (version-4) UUID; vmsim must give the
/// same bytes for the same command.
pub fn derived_uuid(path: &Path, size_bytes: u64, label: Option<&str>) -> [u8; UUID_LEN] {
    // FNV-1a 128-bit parameters (IETF draft-eastlake-fnv): offset basis and prime.
    const FNV128_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const FNV128_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = FNV128_OFFSET;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u128::from(b);
            h = h.wrapping_mul(FNV128_PRIME);
        }
    };
    eat(b"vmsim mkswap\0");
    eat(path.as_os_str().as_encoded_bytes());
    eat(&[0]);
    eat(&size_bytes.to_le_bytes());
    eat(label.unwrap_or("").as_bytes());
    let mut uuid = h.to_be_bytes();
    uuid[6] = (uuid[6] & 0x0f) | 0x80; // version 8
    uuid[8] = (uuid[8] & 0x3f) | 0x80; // variant 0b10 (RFC 9562)
    uuid
}

/// `8-4-4-4-12` lowercase hex.
pub fn format_uuid(uuid: &[u8; UUID_LEN]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in uuid.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `DIR/.NAME.vmsim-mkswap-PID`: where [`mkswap_with_uuid`] writes before renaming (same directory, so the rename
/// is atomic and never crosses file systems).
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.vmsim-mkswap-{}", std::process::id()))
}

/// A new file, readable and writable by its owner only (util-linux mkswap warns about other permissions). Never
/// an existing one: a leftover of the same name is replaced.
fn create_private(path: &Path) -> std::io::Result<File> {
    let _ = std::fs::remove_file(path);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Copies `bytes` into `page` at `at` (constant offsets inside the header page).
fn put(page: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = page.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

/// Little-endian `u32` at a constant offset of the header page.
fn le32(page: &[u8; PAGE_BYTES], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(page.get(at..at + 4).unwrap_or(&[0; 4]));
    u32::from_le_bytes(b)
}

/// A header offset as a file byte offset.
fn byte(at: usize) -> u64 {
    u64::try_from(at).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_page(last_page: u32) -> Box<[u8; PAGE_BYTES]> {
        SwapHeader::new(last_page, [7; UUID_LEN], *b"label\0\0\0\0\0\0\0\0\0\0\0").encode()
    }

    /// SPEC §6 vector: the 1 GiB header's fields and magic bytes.
    #[test]
    fn spec_6_one_gib_header_bytes() {
        let page = header_page(262_143);
        assert_eq!(page[1024..1028], [1, 0, 0, 0]);
        assert_eq!(le32(&page, LAST_PAGE_OFFSET), 262_143);
        assert_eq!(page[4086..4096], [0x53, 0x57, 0x41, 0x50, 0x53, 0x50, 0x41, 0x43, 0x45, 0x32]);
        assert_eq!(MAX_SWAP_BADPAGES, 637);
        let h = SwapHeader::parse(Path::new("x"), &page, 262_144).unwrap();
        assert_eq!((h.version, h.last_page, h.pages()), (1, 262_143, 262_144));
        assert_eq!(h.label().as_deref(), Some("label"));
    }

    #[test]
    fn parse_errors_name_the_byte() {
        let p = Path::new("swap.img");
        let mut page = header_page(99);
        page[4090] = b'X';
        let e = SwapHeader::parse(p, &page, 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "swap.img: bad magic at byte 4086: expected \"SWAPSPACE2\", found \"SWAPXPACE2\" (create it with vmsim mkswap)"
        );
        let mut page = header_page(99);
        page[1024..1028].copy_from_slice(&1u32.to_be_bytes());
        let e = SwapHeader::parse(p, &page, 100).unwrap_err();
        assert!(matches!(e, SwapFileError::BadVersion { offset: 1024, version: 0x0100_0000, .. }), "{e}");
        assert!(e.to_string().contains("big-endian"), "{e}");
        let e = SwapHeader::parse(p, &header_page(0), 100).unwrap_err();
        assert!(matches!(e, SwapFileError::EmptyArea { offset: 1028, .. }), "{e}");
        let e = SwapHeader::parse(p, &header_page(100), 100).unwrap_err();
        assert!(matches!(e, SwapFileError::ShorterThanSignature { last_page: 100, file_pages: 100, .. }), "{e}");
        let mut page = header_page(99);
        page[1032..1036].copy_from_slice(&638u32.to_le_bytes());
        let e = SwapHeader::parse(p, &page, 100).unwrap_err();
        assert!(matches!(e, SwapFileError::TooManyBadPages { nr: 638, .. }), "{e}");
        let mut h = SwapHeader::new(99, [0; 16], [0; 16]);
        h.badpages = vec![5, 100];
        let e = SwapHeader::parse(p, &h.encode(), 100).unwrap_err();
        assert!(matches!(e, SwapFileError::BadPageOutOfRange { offset: 1540, value: 100, .. }), "{e}");
        let mut page = header_page(99);
        page[4086..4096].copy_from_slice(&SWAP_MAGIC_V0);
        let e = SwapHeader::parse(p, &page, 100).unwrap_err();
        assert!(e.to_string().contains("version-0"), "{e}");
    }

    #[test]
    fn bad_pages_round_trip_and_longer_file_is_accepted() {
        let mut h = SwapHeader::new(99, [1; 16], [0; 16]);
        h.badpages = vec![3, 99];
        let parsed = SwapHeader::parse(Path::new("x"), &h.encode(), 200).unwrap();
        assert_eq!(parsed, h);
        assert_eq!(parsed.label(), None);
    }

    #[test]
    fn uuid_is_deterministic_v8_and_formatted() {
        let a = derived_uuid(Path::new("swap.img"), 1 << 30, None);
        assert_eq!(a, derived_uuid(Path::new("swap.img"), 1 << 30, None));
        assert_ne!(a, derived_uuid(Path::new("swap2.img"), 1 << 30, None));
        assert_eq!(a[6] >> 4, 8);
        assert_eq!(a[8] >> 6, 0b10);
        let u: [u8; 16] =
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        assert_eq!(format_uuid(&u), "01234567-89ab-cdef-0123-456789abcdef");
    }
}
