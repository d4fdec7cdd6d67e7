//! Process snapshots: the mappings and resident page contents of a real process, so KSM and zswap can be tried on
//! what real programs hold (`vmsim snapshot PID -o FILE` writes one; a scenario's `[[process]] snapshot = "FILE"`
//! starts a process from one). The format is documented in docs/snapshot.md:
//!
//! ```text
//! zstd frame {
//!   "VMSIMSNP"            8 bytes, magic
//!   version               u32 little-endian, 1
//!   header length         u32 little-endian
//!   header                JSON: { pid, comm, captured_by, maps: [ { start, end, perms, offset, path } ] }
//!   records, to the end:  address u64 LE, kind u8 (0: 4096 bytes of data follow; 1: a page of zeros)
//! }
//! ```
//!
//! Only resident pages (present or swapped in `/proc/PID/pagemap`) are recorded, so a snapshot's pages are the
//! process's RSS (plus its swapped pages), not its whole address space.

use crate::addr::PAGE_BYTES;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The magic bytes at the start of a snapshot.
pub const MAGIC: &[u8; 8] = b"VMSIMSNP";
/// The format version this code reads and writes.
pub const VERSION: u32 = 1;

/// One mapping, as `/proc/PID/maps` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapMap {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// `rw-p` and the like.
    pub perms: String,
    /// File offset.
    pub offset: u64,
    /// The path, `[heap]`, `[stack]`, or empty for anonymous memory.
    pub path: String,
}

/// A snapshot's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapHeader {
    /// The process id it was taken from.
    pub pid: u32,
    /// Its `comm`.
    pub comm: String,
    /// The tool and version that wrote it.
    pub captured_by: String,
    /// Its mappings in address order.
    pub maps: Vec<SnapMap>,
}

/// A whole snapshot in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The header.
    pub header: SnapHeader,
    /// Resident pages: address and contents (`None`: all zeros).
    pub pages: Vec<(u64, Option<Box<[u8; PAGE_BYTES]>>)>,
}

/// A snapshot that cannot be read, with what was expected.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// An I/O or decompression error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a vmsim snapshot.
    #[error("not a vmsim snapshot (expected the zstd-compressed magic \"VMSIMSNP\")")]
    BadMagic,
    /// A version this build does not read.
    #[error("snapshot format version {0} (this vmsim reads version {VERSION})")]
    Version(u32),
    /// A bad header.
    #[error("bad snapshot header: {0}")]
    Header(String),
    /// A page record that is cut off or of an unknown kind.
    #[error("page record {index}: {what}")]
    Record {
        /// The record's number, from 0.
        index: usize,
        /// What is wrong.
        what: String,
    },
}

impl Snapshot {
    /// Write the snapshot to `w`, zstd-compressed (level 3).
    pub fn write_to(&self, w: impl Write) -> std::io::Result<()> {
        let mut z = zstd::stream::write::Encoder::new(w, 3)?;
        let header = serde_json::to_vec(&self.header).map_err(std::io::Error::other)?;
        z.write_all(MAGIC)?;
        z.write_all(&VERSION.to_le_bytes())?;
        z.write_all(&u32::try_from(header.len()).map_err(std::io::Error::other)?.to_le_bytes())?;
        z.write_all(&header)?;
        for (va, data) in &self.pages {
            z.write_all(&va.to_le_bytes())?;
            match data {
                Some(p) => {
                    z.write_all(&[0])?;
                    z.write_all(&p[..])?;
                }
                None => z.write_all(&[1])?,
            }
        }
        z.finish()?;
        Ok(())
    }

    /// Read a snapshot from `r`.
    pub fn read_from(r: impl Read) -> Result<Self, SnapshotError> {
        let mut z = zstd::stream::read::Decoder::new(r).map_err(|_| SnapshotError::BadMagic)?;
        let mut magic = [0u8; 8];
        z.read_exact(&mut magic).map_err(|_| SnapshotError::BadMagic)?;
        if &magic != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let mut word = [0u8; 4];
        z.read_exact(&mut word)?;
        let version = u32::from_le_bytes(word);
        if version != VERSION {
            return Err(SnapshotError::Version(version));
        }
        z.read_exact(&mut word)?;
        let len = u32::from_le_bytes(word) as usize;
        if len > 64 << 20 {
            return Err(SnapshotError::Header(format!("header of {len} bytes is too large")));
        }
        let mut header = vec![0u8; len];
        z.read_exact(&mut header)?;
        let header: SnapHeader = serde_json::from_slice(&header).map_err(|e| SnapshotError::Header(e.to_string()))?;
        let mut pages = Vec::new();
        loop {
            let mut va = [0u8; 8];
            match read_full(&mut z, &mut va)? {
                0 => break,
                8 => {}
                _ => return Err(SnapshotError::Record { index: pages.len(), what: "cut off in its address".into() }),
            }
            let va = u64::from_le_bytes(va);
            let mut kind = [0u8; 1];
            if read_full(&mut z, &mut kind)? != 1 {
                return Err(SnapshotError::Record { index: pages.len(), what: "cut off before its kind".into() });
            }
            let data = match kind[0] {
                0 => {
                    let mut p = Box::new([0u8; PAGE_BYTES]);
                    if read_full(&mut z, &mut p[..])? != PAGE_BYTES {
                        return Err(SnapshotError::Record {
                            index: pages.len(),
                            what: "cut off in its 4096 bytes of data".into(),
                        });
                    }
                    Some(p)
                }
                1 => None,
                k => {
                    return Err(SnapshotError::Record {
                        index: pages.len(),
                        what: format!("kind {k} (expected 0: data, 1: zeros)"),
                    })
                }
            };
            if va % PAGE_BYTES as u64 != 0 {
                return Err(SnapshotError::Record {
                    index: pages.len(),
                    what: format!("address {va:#x} is not page aligned"),
                });
            }
            pages.push((va, data));
        }
        Ok(Self { header, pages })
    }
}

/// Read until `buf` is full or the stream ends; the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_errors() {
        let s = Snapshot {
            header: SnapHeader {
                pid: 7,
                comm: "t".into(),
                captured_by: "test".into(),
                maps: vec![SnapMap {
                    start: 0x1000,
                    end: 0x3000,
                    perms: "rw-p".into(),
                    offset: 0,
                    path: String::new(),
                }],
            },
            pages: vec![(0x1000, Some(Box::new([9u8; PAGE_BYTES]))), (0x2000, None)],
        };
        let mut buf = Vec::new();
        s.write_to(&mut buf).unwrap();
        assert_eq!(Snapshot::read_from(&buf[..]).unwrap(), s);
        assert!(matches!(Snapshot::read_from(&b"plain text"[..]), Err(SnapshotError::BadMagic)));
        let raw = zstd::decode_all(&buf[..]).unwrap();
        let cut = zstd::encode_all(&raw[..raw.len() - 10], 1).unwrap();
        assert!(matches!(Snapshot::read_from(&cut[..]), Err(SnapshotError::Record { index: 0, .. })));
    }
}
