//! Simulated files: an inode with its contents on "disk" and its page cache (`struct inode`,
//! `struct address_space`; mm/filemap.c `filemap_get_folio`, `__filemap_add_folio`, `__filemap_remove_folio`).
//!
//! A file's contents come from a generator or from host bytes given when it is declared; a page written back
//! (`msync`, reclaim of a dirty page) replaces the generated page on the simulated disk, so a later read sees it.
//! The page cache maps a page index to the frame holding it; every mapping of that index, in any process, maps
//! the same frame. An evicted page leaves a shadow entry in its slot (mm/workingset.c `workingset_eviction`),
//! read back on the next page-cache miss at that index to tell a refault of a recently used page.
//!
//! Simplifies: files have a fixed size (no truncate, no write(2) extending them); no large folios in the page
//! cache (every page-cache page is order 0); the disk is the model's memory, so writeback completes at once.

use crate::addr::{Pfn, PAGE_BYTES, PAGE_SIZE};
use crate::phys::frame_meta::InodeId;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a file's contents come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSource {
    /// Every byte zero.
    Zero,
    /// Readable text: each page holds the line `"<name> page <index>\n"` repeated, so a student can see which
    /// file page a frame holds, and an `expect` step can check it.
    Pattern,
    /// These bytes (a host file's contents), zero past their end.
    Bytes(Arc<[u8]>),
}

/// `struct file_ra_state` (include/linux/fs.h): the readahead window of the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileRaState {
    /// First page of the current window.
    pub start: u64,
    /// Pages in the window.
    pub size: u64,
    /// Pages left in the window when the next readahead starts (the `PG_readahead` mark is this far from its
    /// end).
    pub async_size: u64,
    /// Page-cache misses minus hits of mmap faults (`mmap_miss`): above `MMAP_LOTSAMISS` read-around stops.
    pub mmap_miss: u32,
}

/// A shadow entry (mm/workingset.c `pack_shadow`): when the page was evicted, on the node's clock of evictions and
/// activations (`nonresident_age`), and whether it was in the working set (`PG_workingset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shadow {
    /// `lruvec->nonresident_age` at eviction.
    pub eviction: u64,
    /// `PG_workingset` at eviction.
    pub workingset: bool,
}

/// One simulated file.
#[derive(Clone, Debug)]
pub struct SimFile {
    /// Its name in the scenario.
    pub name: String,
    /// Size in bytes (`i_size`).
    pub size: u64,
    source: FileSource,
    /// Pages written back: the disk where it differs from `source`.
    written: BTreeMap<u64, Box<[u8; PAGE_BYTES]>>,
    /// The page cache (`mapping->i_pages`): page index → frame.
    pub pages: BTreeMap<u64, Pfn>,
    /// Shadow entries of evicted pages (the other kind of entry in `i_pages`).
    pub shadows: BTreeMap<u64, Shadow>,
    /// Readahead state (`file->f_ra`; one open file per simulated file).
    pub ra: FileRaState,
}

impl SimFile {
    /// A file of `size` bytes named `name`.
    pub fn new(name: &str, size: u64, source: FileSource) -> Self {
        Self {
            name: name.to_string(),
            size,
            source,
            written: BTreeMap::new(),
            pages: BTreeMap::new(),
            shadows: BTreeMap::new(),
            ra: FileRaState::default(),
        }
    }

    /// Pages in the file: `DIV_ROUND_UP(i_size, PAGE_SIZE)`; faults at or past this index get SIGBUS.
    pub fn nr_pages(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE)
    }

    /// Read page `index` from the disk into `out` (`->read_folio`): bytes past the end of the file read as zero.
    pub fn read_page(&self, index: u64, out: &mut [u8; PAGE_BYTES]) {
        if let Some(p) = self.written.get(&index) {
            out.copy_from_slice(&p[..]);
            return;
        }
        out.fill(0);
        let start = index * PAGE_SIZE;
        let valid = self.size.saturating_sub(start).min(PAGE_SIZE) as usize;
        match &self.source {
            FileSource::Zero => {}
            FileSource::Pattern => {
                let line = format!("{} page {index}\n", self.name);
                for (o, b) in out[..valid].iter_mut().zip(line.bytes().cycle()) {
                    *o = b;
                }
            }
            FileSource::Bytes(b) => {
                let s = usize::try_from(start).unwrap_or(usize::MAX).min(b.len());
                let n = (b.len() - s).min(valid);
                out[..n].copy_from_slice(&b[s..s + n]);
            }
        }
    }

    /// Write page `index` to the disk (`->writepages`): only the part inside the file reaches it.
    pub fn write_page(&mut self, index: u64, data: &[u8; PAGE_BYTES]) {
        let valid = self.size.saturating_sub(index * PAGE_SIZE).min(PAGE_SIZE) as usize;
        let mut page = Box::new([0u8; PAGE_BYTES]);
        page[..valid].copy_from_slice(&data[..valid]);
        self.written.insert(index, page);
    }
}

/// Every simulated file, by inode and by name.
#[derive(Clone, Debug, Default)]
pub struct Files {
    by_id: BTreeMap<InodeId, SimFile>,
    by_name: BTreeMap<String, InodeId>,
}

impl Files {
    /// Add `file` as inode `id`. False if a file of that name exists.
    pub fn insert(&mut self, id: InodeId, file: SimFile) -> bool {
        if self.by_name.contains_key(&file.name) {
            return false;
        }
        self.by_name.insert(file.name.clone(), id);
        self.by_id.insert(id, file);
        true
    }
    /// The inode of the file named `name`.
    pub fn lookup(&self, name: &str) -> Option<InodeId> {
        self.by_name.get(name).copied()
    }
    /// One file.
    pub fn get(&self, id: InodeId) -> Option<&SimFile> {
        self.by_id.get(&id)
    }
    /// One file, mutably.
    pub fn get_mut(&mut self, id: InodeId) -> Option<&mut SimFile> {
        self.by_id.get_mut(&id)
    }
    /// Every file in inode order.
    pub fn iter(&self) -> impl Iterator<Item = (InodeId, &SimFile)> {
        self.by_id.iter().map(|(&i, f)| (i, f))
    }
    /// Pages of every file in the page cache.
    pub fn cached_pages(&self) -> u64 {
        self.by_id.values().map(|f| f.pages.len() as u64).sum()
    }
    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_come_from_the_source_until_written_back() {
        let mut f = SimFile::new("data", 5000, FileSource::Pattern);
        assert_eq!(f.nr_pages(), 2);
        let mut page = [0u8; PAGE_BYTES];
        f.read_page(1, &mut page);
        assert_eq!(&page[..12], b"data page 1\n");
        assert_eq!(page[5000 - 4096], 0, "past the end of the file: zero");
        assert_eq!(page[5000 - 4096 - 1], b"data page 1\n"[(5000 - 4096 - 1) % 12]);
        let mut w = [0xAAu8; PAGE_BYTES];
        w[0] = 1;
        f.write_page(1, &w);
        f.read_page(1, &mut page);
        assert_eq!(page[0], 1);
        assert_eq!(page[903], 0xAA);
        assert_eq!(page[904], 0, "only the part inside the file reaches the disk");
        let b = SimFile::new("b", 3, FileSource::Bytes(Arc::from(&b"xyz"[..])));
        b.read_page(0, &mut page);
        assert_eq!(&page[..4], b"xyz\0");
    }
}
