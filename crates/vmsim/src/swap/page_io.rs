//! Where swapped pages are kept: the block I/O of `swap_writepage()` / `swap_read_folio()` (mm/page_io.c).
//!
//! A swap area is backed by memory (a sparse map holding only slots that were written, so memory grows with the
//! pages swapped out, not with the area's size) or by a real swap file, where slot `n` is at byte `n × 4096`, as
//! Linux lays out a swap file whose extents are contiguous.
//!
//! Simplifies: I/O is synchronous and uncached; no bios, no plugging, no discard; a freed slot of a file keeps its
//! stale bytes (as on a disk without discard), while a freed in-memory slot is dropped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::addr::{PAGE_BYTES, PAGE_SHIFT};

use super::error::{Result, SwapFileError};

/// A swap area's backing store.
#[derive(Debug)]
pub(crate) enum SwapStore {
    /// Pages in host memory.
    Memory(MemStore),
    /// Pages in a swap file.
    File(FileStore),
}

impl SwapStore {
    /// Writes one page to slot `offset` (`swap_writepage()`).
    pub(crate) fn write(&mut self, offset: u64, page: &[u8; PAGE_BYTES]) -> Result<()> {
        match self {
            Self::Memory(m) => {
                m.write(offset, page);
                Ok(())
            }
            Self::File(f) => f.write(offset, page),
        }
    }

    /// Reads one page from slot `offset` (`swap_read_folio()`); a never-written in-memory slot reads as zeros.
    pub(crate) fn read(&mut self, offset: u64, page: &mut [u8; PAGE_BYTES]) -> Result<()> {
        match self {
            Self::Memory(m) => {
                m.read(offset, page);
                Ok(())
            }
            Self::File(f) => f.read(offset, page),
        }
    }

    /// The slot was freed: an in-memory store drops its data.
    pub(crate) fn discard(&mut self, offset: u64) {
        if let Self::Memory(m) = self {
            m.pages.remove(&offset);
        }
    }

    /// The swap file, if there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Self::Memory(_) => None,
            Self::File(f) => Some(&f.path),
        }
    }

    /// Pages held in host memory (0 for a file).
    pub(crate) fn resident_pages(&self) -> usize {
        match self {
            Self::Memory(m) => m.pages.len(),
            Self::File(_) => 0,
        }
    }
}

/// Sparse in-memory page store: memory is proportional to the slots written and not yet freed.
#[derive(Default)]
pub(crate) struct MemStore {
    pages: FxHashMap<u64, Box<[u8; PAGE_BYTES]>>,
}

impl std::fmt::Debug for MemStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemStore").field("pages", &self.pages.len()).finish()
    }
}

impl MemStore {
    fn write(&mut self, offset: u64, page: &[u8; PAGE_BYTES]) {
        // An all-zero page needs no storage: a slot without data reads as zeros.
        if page.iter().all(|&b| b == 0) {
            self.pages.remove(&offset);
            return;
        }
        match self.pages.get_mut(&offset) {
            Some(held) => held.copy_from_slice(page),
            None => {
                self.pages.insert(offset, Box::new(*page));
            }
        }
    }

    fn read(&self, offset: u64, page: &mut [u8; PAGE_BYTES]) {
        match self.pages.get(&offset) {
            Some(held) => page.copy_from_slice(&held[..]),
            None => page.fill(0),
        }
    }
}

/// A swap file: slot `n` lives at byte `n << PAGE_SHIFT`.
#[derive(Debug)]
pub(crate) struct FileStore {
    path: PathBuf,
    file: File,
}

impl FileStore {
    /// Wraps an open swap file whose header has been checked.
    pub(crate) fn new(path: PathBuf, file: File) -> Self {
        Self { path, file }
    }

    fn write(&mut self, offset: u64, page: &[u8; PAGE_BYTES]) -> Result<()> {
        let at = offset << PAGE_SHIFT;
        let result = self.file.seek(SeekFrom::Start(at)).and_then(|_| self.file.write_all(page));
        result.map_err(|source| SwapFileError::Io { path: self.path.clone(), op: "write", offset: at, source })
    }

    fn read(&mut self, offset: u64, page: &mut [u8; PAGE_BYTES]) -> Result<()> {
        let at = offset << PAGE_SHIFT;
        let result = self.file.seek(SeekFrom::Start(at)).and_then(|_| self.file.read_exact(page));
        result.map_err(|source| SwapFileError::Io { path: self.path.clone(), op: "read", offset: at, source })
    }
}
