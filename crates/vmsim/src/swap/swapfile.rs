//! Swap areas and slot allocation, modelled on mm/swapfile.c (SPEC §6).
//!
//! A [`SwapArea`] is one activated device (`struct swap_info_struct`): a usage count per slot (`swap_map`), slot 0
//! reserved for the header, slots handed out cluster by cluster, and a backing store (memory or a SWAPSPACE2 file).
//! A [`SwapSpace`] is the set of active areas (`swap_info[]` plus the `swap_avail_heads` priority list): it picks an
//! area by priority and turns offsets into [`SwapEntry`] values.
//!
//! Simplifies: one "current cluster" per area, shared by every CPU of the machine (`machine.cpus`), instead of
//! Linux's per-CPU clusters and slot caches; round-robin between equal priorities is per slot (Linux rotates per
//! batch of up to `SWAP_BATCH` = 64 slots); no discard, no swapoff, no NUMA priority tweak; `SWAP_HAS_CACHE` is not
//! kept in `swap_map` (the swap cache is [`super::swap_state::SwapCache`]), so a caller that keeps a page in the swap
//! cache holds one usage count for it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::addr::PAGE_BYTES;

use super::entry::SwapEntry;
use super::error::{Result, SwapFileError};
use super::header::{self, SwapHeader};
use super::page_io::{FileStore, MemStore, SwapStore};

/// Slots per allocation cluster: `SWAPFILE_CLUSTER` = 256 (mm/swapfile.c, moved to mm/swap.h in 6.x; SPEC §6).
/// Linux uses `HPAGE_PMD_NR` = 512 when `CONFIG_THP_SWAP` is set; vmsim keeps the base value.
pub const SWAPFILE_CLUSTER: u64 = 256;
/// Largest usage count kept in `swap_map` itself: `SWAP_MAP_MAX` = 0x3e (include/linux/swap.h; SPEC §6 \[U\]).
pub const SWAP_MAP_MAX: u8 = 0x3e;
/// `swap_map` value of the header slot and of bad pages: `SWAP_MAP_BAD` = 0x3f (include/linux/swap.h; SPEC §6 \[U\]).
pub const SWAP_MAP_BAD: u8 = 0x3f;
/// `swap_map` flag: the count continues elsewhere, `COUNT_CONTINUED` = 0x80 (include/linux/swap.h; SPEC §6 \[U\]).
pub const COUNT_CONTINUED: u8 = 0x80;
/// Usable swap types: `MAX_SWAPFILES` = 32 − 4 device-private − 3 migration − 1 hwpoison − 1 PTE marker = 23
/// (include/linux/swap.h, x86-64 distribution config, v6.2+) [U: depends on config and version; SPEC §17.4].
pub const MAX_SWAPFILES: usize = 23;
/// Highest explicit priority: `SWAP_FLAG_PRIO_MASK` = 0x7fff (include/linux/swap.h).
pub const SWAP_PRIO_MAX: i16 = 0x7fff;
/// Smallest in-memory area: the header page plus one slot (`read_swap_header()` refuses `last_page` 0).
pub const MIN_MEMORY_PAGES: u64 = 2;

/// `[[swap.device]]` in a scenario file: one swap area to activate, in memory or in a swap file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapDeviceConfig {
    /// `swapon -p`: 0..=32767, higher is used first. Omitted: −2, −3, … in activation order (SPEC §6).
    #[serde(default)]
    pub priority: Option<i16>,
    /// Size in 4 KiB pages, header page included, so the area has `size_pages − 1` usable slots. Required for an
    /// in-memory area (at least 2). For a file it is optional and, if given, must equal the header's
    /// `last_page + 1`.
    #[serde(default)]
    pub size_pages: Option<u64>,
    /// A swap file made by `vmsim mkswap` (or util-linux `mkswap`); pages are written at `slot × 4096`. Omitted:
    /// the area lives in memory.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// One active swap area (`struct swap_info_struct`, mm/swapfile.c).
#[derive(Debug)]
pub struct SwapArea {
    /// `si->type`: index in [`SwapSpace`], and the type of its entries.
    swap_type: u8,
    /// `si->prio`.
    prio: i16,
    /// `si->swap_map`: per slot 0 = free, 1..=`SWAP_MAP_MAX` = usage count, `SWAP_MAP_BAD` = header or bad page,
    /// `COUNT_CONTINUED | SWAP_MAP_MAX` = count in `continued`. Length `si->max` = last_page + 1.
    swap_map: Vec<u8>,
    /// Counts above `SWAP_MAP_MAX` (Linux chains continuation pages: `add_swap_count_continuation()`).
    continued: FxHashMap<u64, u32>,
    /// Free usable slots per cluster.
    cluster_free: Vec<u16>,
    /// Usable (not header, not bad) slots per cluster.
    cluster_usable: Vec<u16>,
    /// `si->free_clusters`: clusters whose usable slots are all free, oldest first; freed clusters join the tail.
    /// May hold stale entries (a listed cluster taken by `reserve`), skipped when popped.
    free_clusters: VecDeque<usize>,
    /// Whether a cluster is in `free_clusters`.
    listed: Vec<bool>,
    /// The cluster being filled (`si->percpu_cluster` of the one simulated CPU).
    current: Option<usize>,
    /// No free slot below this offset in the current cluster.
    hint: u64,
    /// `si->inuse_pages`.
    inuse_pages: u64,
    /// `si->pages`: usable slots.
    pages: u64,
    /// Where the data goes.
    store: SwapStore,
    /// The header read at swapon, for a file.
    header: Option<SwapHeader>,
}

/// Index of slot `offset` in `swap_map`.
#[allow(clippy::cast_possible_truncation, reason = "vmsim requires a 64-bit host (lib.rs)")]
const fn slot(offset: u64) -> usize {
    offset as usize
}

/// Cluster of slot `offset`.
const fn cluster_of(offset: u64) -> usize {
    slot(offset / SWAPFILE_CLUSTER)
}

/// First slot of cluster `c`.
fn cluster_start(c: usize) -> u64 {
    u64::try_from(c).unwrap_or(u64::MAX).saturating_mul(SWAPFILE_CLUSTER)
}

impl SwapArea {
    /// An in-memory area of `size_pages` pages (header page included): slots 1..size_pages.
    pub fn in_memory(size_pages: u64) -> Result<Self> {
        let bad = |what, hint: String| SwapFileError::BadMemorySize { size_pages, what, hint };
        if size_pages < MIN_MEMORY_PAGES {
            return Err(bad("no usable slot", format!("at least {MIN_MEMORY_PAGES}: the header page and one slot")));
        }
        if size_pages > header::MAX_PAGES {
            return Err(bad("too large", format!("at most {} pages, as last_page is 32 bits", header::MAX_PAGES)));
        }
        Ok(Self::build(size_pages, &[], SwapStore::Memory(MemStore::default()), None))
    }

    /// Lays out `swap_map` and the clusters: `setup_swap_map()` and `setup_clusters()` (mm/swapfile.c).
    fn build(max: u64, badpages: &[u32], store: SwapStore, header: Option<SwapHeader>) -> Self {
        let mut swap_map = vec![0u8; slot(max)];
        // SPEC §6: slot 0 holds the header and is marked bad, so it is never allocated.
        if let Some(first) = swap_map.first_mut() {
            *first = SWAP_MAP_BAD;
        }
        for &bad in badpages {
            if let Some(m) = swap_map.get_mut(slot(u64::from(bad))) {
                *m = SWAP_MAP_BAD;
            }
        }
        let clusters = swap_map.len().div_ceil(slot(SWAPFILE_CLUSTER));
        let mut cluster_usable = vec![0u16; clusters];
        let mut pages = 0;
        for (chunk, usable) in swap_map.chunks(slot(SWAPFILE_CLUSTER)).zip(cluster_usable.iter_mut()) {
            for &m in chunk {
                if m == 0 {
                    *usable += 1;
                    pages += 1;
                }
            }
        }
        // A cluster is free when all its usable slots are free. Cluster 0 counts as free although it holds the
        // header, so allocation starts at slot 1 as on Linux with rotating disks (`si->cluster_next = 1`);
        // Linux's SSD path never lists cluster 0 as free.
        let listed: Vec<bool> = cluster_usable.iter().map(|&u| u > 0).collect();
        let free_clusters = (0..clusters).filter(|&c| listed[c]).collect();
        Self {
            swap_type: 0,
            prio: -1,
            swap_map,
            continued: FxHashMap::default(),
            cluster_free: cluster_usable.clone(),
            cluster_usable,
            free_clusters,
            listed,
            current: None,
            hint: 0,
            inuse_pages: 0,
            pages,
            store,
            header,
        }
    }

    /// The swap type of this area's entries (its index in the [`SwapSpace`]; 0 for a standalone area).
    pub fn swap_type(&self) -> u8 {
        self.swap_type
    }

    /// The area's priority (`si->prio`).
    pub fn priority(&self) -> i16 {
        self.prio
    }

    /// The swap file, or `None` for an in-memory area.
    pub fn path(&self) -> Option<&Path> {
        self.store.path()
    }

    /// The header read at activation, for a file-backed area.
    pub fn header(&self) -> Option<&SwapHeader> {
        self.header.as_ref()
    }

    /// Pages in the area, header included (`si->max` = last_page + 1).
    pub fn max_pages(&self) -> u64 {
        u64::try_from(self.swap_map.len()).unwrap_or(u64::MAX)
    }

    /// The last slot offset (`last_page` = `si->max − 1`), the bound for readahead.
    pub fn last_offset(&self) -> u64 {
        self.max_pages().saturating_sub(1)
    }

    /// Usable slots (`si->pages`): pages − 1, minus bad pages.
    pub fn total_usable(&self) -> u64 {
        self.pages
    }

    /// Slots in use (`si->inuse_pages`).
    pub fn used(&self) -> u64 {
        self.inuse_pages
    }

    /// Whether every usable slot is in use (Linux then removes the area from `swap_avail_heads`).
    pub fn is_full(&self) -> bool {
        self.inuse_pages == self.pages
    }

    /// Pages of data the in-memory store holds (0 for a file): at most [`used`](Self::used).
    pub fn resident_pages(&self) -> usize {
        self.store.resident_pages()
    }

    /// The entry for `offset` in this area.
    fn entry(&self, offset: u64) -> SwapEntry {
        SwapEntry::new(self.swap_type, offset)
    }

    /// Usage count of slot `offset`: 0 when free, bad, the header or out of range (`__swap_count()`).
    pub fn count(&self, offset: u64) -> u32 {
        match self.swap_map.get(slot(offset)) {
            None | Some(&0 | &SWAP_MAP_BAD) => 0,
            Some(&m) if m & COUNT_CONTINUED != 0 => self.continued.get(&offset).copied().unwrap_or(0),
            Some(&m) => u32::from(m),
        }
    }

    fn set_count(&mut self, offset: u64, count: u32) {
        let Some(m) = self.swap_map.get_mut(slot(offset)) else { return };
        if let Ok(small @ 0..=SWAP_MAP_MAX) = u8::try_from(count) {
            *m = small;
            self.continued.remove(&offset);
        } else {
            *m = COUNT_CONTINUED | SWAP_MAP_MAX;
            self.continued.insert(offset, count);
        }
    }

    /// Checks that `offset` is a usable slot (not out of range, the header or a bad page).
    fn check_slot(&self, offset: u64) -> Result<()> {
        match self.swap_map.get(slot(offset)) {
            Some(&m) if m != SWAP_MAP_BAD => Ok(()),
            _ => Err(SwapFileError::NotASlot { entry: self.entry(offset), last: self.last_offset() }),
        }
    }

    /// Allocates a slot with usage count 1, or `None` when the area is full. Models `scan_swap_map_slots()` /
    /// `cluster_alloc_swap_entry()` (mm/swapfile.c) as SPEC §6 simplifies them: the lowest free slot of the
    /// current cluster; when it is full, the oldest free cluster; when none is free, the next cluster (in address
    /// order, wrapping) with a free slot.
    pub fn alloc(&mut self) -> Option<u64> {
        let c = match self.current {
            Some(c) if self.cluster_free.get(c).is_some_and(|&f| f > 0) => c,
            _ => {
                let c = self.next_cluster()?;
                self.current = Some(c);
                self.hint = cluster_start(c);
                c
            }
        };
        let end = cluster_start(c + 1).min(self.max_pages());
        let found = (self.hint..end).find(|&off| self.swap_map.get(slot(off)) == Some(&0));
        let Some(offset) = found else {
            // Unreachable while the hint invariant holds; give up rather than loop.
            return None;
        };
        self.hint = offset + 1;
        self.take(offset);
        Some(offset)
    }

    /// The cluster to allocate from next, leaving it off the free list.
    fn next_cluster(&mut self) -> Option<usize> {
        while let Some(c) = self.free_clusters.pop_front() {
            self.listed[c] = false;
            if self.cluster_free[c] == self.cluster_usable[c] && self.cluster_usable[c] > 0 {
                return Some(c);
            }
        }
        // No free cluster: scan on from the current cluster for any free slot (Linux: the non-full clusters, or
        // a linear scan from `si->cluster_next` in older kernels).
        let n = self.cluster_free.len();
        let from = self.current.map_or(0, |c| c + 1);
        (0..n).map(|i| (from + i) % n).find(|&c| self.cluster_free[c] > 0)
    }

    /// Marks free slot `offset` used with count 1.
    fn take(&mut self, offset: u64) {
        self.set_count(offset, 1);
        self.inuse_pages += 1;
        let c = cluster_of(offset);
        if let Some(f) = self.cluster_free.get_mut(c) {
            *f -= 1;
        }
    }

    /// Marks slot `offset` used (count 1) although `alloc` did not choose it: a teaching scenario placing a page at
    /// a given swap address. Fails if the slot is not usable or already in use.
    pub fn reserve(&mut self, offset: u64) -> Result<()> {
        self.check_slot(offset)?;
        let count = self.count(offset);
        if count > 0 {
            return Err(SwapFileError::SlotInUse { entry: self.entry(offset), count });
        }
        // A listed free cluster stops being free: `next_cluster` skips its stale list entry.
        self.take(offset);
        Ok(())
    }

    /// Adds a user to an allocated slot (a forked PTE now refers to it): `__swap_duplicate()` (mm/swapfile.c).
    /// Returns the new count.
    pub fn dup(&mut self, offset: u64) -> Result<u32> {
        self.check_slot(offset)?;
        let count = self.count(offset);
        if count == 0 {
            return Err(SwapFileError::SlotFree { entry: self.entry(offset), op: "dup" });
        }
        let new = count.checked_add(1).ok_or(SwapFileError::CountOverflow { entry: self.entry(offset) })?;
        self.set_count(offset, new);
        Ok(new)
    }

    /// Drops a user of slot `offset`: `swap_entry_put()` / `swap_free()` (mm/swapfile.c). Returns `true` when the
    /// count reached 0 and the slot is free again (its in-memory data is dropped). A free, bad or out-of-range slot
    /// is left alone and gives `false` (Linux logs "Unused swap offset entry").
    pub fn free(&mut self, offset: u64) -> bool {
        let count = self.count(offset);
        if count == 0 {
            return false;
        }
        self.set_count(offset, count - 1);
        if count > 1 {
            return false;
        }
        self.inuse_pages -= 1;
        self.store.discard(offset);
        let c = cluster_of(offset);
        self.cluster_free[c] += 1;
        if self.current == Some(c) {
            self.hint = self.hint.min(offset);
        } else if self.cluster_free[c] == self.cluster_usable[c] && !self.listed[c] {
            // `free_cluster()`: a cluster whose slots are all free again joins the tail of the free list.
            self.free_clusters.push_back(c);
            self.listed[c] = true;
        }
        true
    }

    /// Writes a page to an allocated slot.
    pub fn write(&mut self, offset: u64, page: &[u8; PAGE_BYTES]) -> Result<()> {
        self.check_in_use(offset, "write")?;
        self.store.write(offset, page)
    }

    /// Reads the page in an allocated slot.
    pub fn read(&mut self, offset: u64, page: &mut [u8; PAGE_BYTES]) -> Result<()> {
        self.check_in_use(offset, "read")?;
        self.store.read(offset, page)
    }

    fn check_in_use(&self, offset: u64, op: &'static str) -> Result<()> {
        self.check_slot(offset)?;
        if self.count(offset) == 0 {
            return Err(SwapFileError::SlotFree { entry: self.entry(offset), op });
        }
        Ok(())
    }
}

/// Opens and checks the swap file at `path` and returns it as an area with all slots free: the file half of
/// `swapon()` (`read_swap_header()`, `setup_swap_map()`, mm/swapfile.c). Bad pages listed in the header are never
/// allocated.
pub fn open_swapfile(path: &Path) -> Result<SwapArea> {
    let (file, header) = header::open_and_parse(path)?;
    let badpages = header.badpages.clone();
    let area = SwapArea::build(
        header.pages(),
        &badpages,
        SwapStore::File(FileStore::new(path.to_path_buf(), file)),
        Some(header),
    );
    if area.total_usable() == 0 {
        return Err(SwapFileError::EmptyArea {
            path: path.to_path_buf(),
            offset: 1032,
            what: "every page is listed as bad".to_owned(),
            hint: super::error::HINT_MKSWAP,
        });
    }
    Ok(area)
}

/// All active swap areas, and the choice between them (`swap_info[]`, `swap_avail_heads`; mm/swapfile.c).
#[derive(Debug)]
pub struct SwapSpace {
    /// `swap_info[]`, indexed by swap type.
    areas: Vec<SwapArea>,
    /// `swap_avail_heads`: types of the non-full areas, highest priority first; equal priorities in round-robin order.
    avail: Vec<u8>,
    /// `least_priority`: the last automatic priority given (starts at −1, so the first is −2).
    least_priority: i16,
    /// Pages written to areas (`pswpout`, SPEC §6).
    pswpout: u64,
    /// Pages read from areas (`pswpin`, SPEC §6).
    pswpin: u64,
}

impl Default for SwapSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl SwapSpace {
    /// No active swap.
    pub fn new() -> Self {
        Self { areas: Vec::new(), avail: Vec::new(), least_priority: -1, pswpout: 0, pswpin: 0 }
    }

    /// Activates a swap area (`swapon()`, mm/swapfile.c) and returns its swap type. Without a priority the area
    /// gets `--least_priority`: −2, −3, … in activation order (SPEC §6).
    pub fn add(&mut self, cfg: &SwapDeviceConfig) -> Result<u8> {
        let index = self.areas.len();
        if index >= MAX_SWAPFILES {
            return Err(SwapFileError::TooManyAreas { max: MAX_SWAPFILES });
        }
        if let Some(priority) = cfg.priority.filter(|&p| p < 0) {
            return Err(SwapFileError::PriorityOutOfRange { index, priority });
        }
        let mut area = match (&cfg.file, cfg.size_pages) {
            (Some(path), size) => {
                if self.areas.iter().any(|a| a.path().is_some_and(|p| same_file(p, path))) {
                    return Err(SwapFileError::BadConfig {
                        index,
                        what: format!("{} is already active", path.display()),
                        hint: "each swap file can be activated once (swapon: EBUSY)",
                    });
                }
                let area = open_swapfile(path)?;
                if let Some(size) = size.filter(|&s| s != area.max_pages()) {
                    return Err(SwapFileError::BadConfig {
                        index,
                        what: format!(
                            "size_pages = {size} but {} holds {} pages (last_page + 1)",
                            path.display(),
                            area.max_pages()
                        ),
                        hint: "omit size_pages for a file, or make them agree",
                    });
                }
                area
            }
            (None, Some(size)) => SwapArea::in_memory(size)?,
            (None, None) => {
                return Err(SwapFileError::BadConfig {
                    index,
                    what: "neither size_pages nor file given".to_owned(),
                    hint: "an in-memory area needs size_pages",
                })
            }
        };
        area.swap_type = u8::try_from(index).map_err(|_| SwapFileError::TooManyAreas { max: MAX_SWAPFILES })?;
        area.prio = match cfg.priority {
            Some(p) => p,
            None => {
                self.least_priority = self.least_priority.saturating_sub(1);
                self.least_priority
            }
        };
        let swap_type = area.swap_type;
        self.areas.push(area);
        self.make_available(swap_type);
        Ok(swap_type)
    }

    /// `add_to_avail_list()`: after every area of equal or higher priority (`plist_add`).
    fn make_available(&mut self, swap_type: u8) {
        let prio = self.prio(swap_type);
        let at = self.avail.iter().position(|&t| self.prio(t) < prio).unwrap_or(self.avail.len());
        self.avail.insert(at, swap_type);
    }

    fn prio(&self, swap_type: u8) -> i16 {
        self.areas.get(usize::from(swap_type)).map_or(i16::MIN, |a| a.prio)
    }

    fn area_mut(&mut self, e: SwapEntry) -> Result<&mut SwapArea> {
        self.areas.get_mut(usize::from(e.swap_type())).ok_or(SwapFileError::NoSuchArea { entry: e })
    }

    /// The area of swap type `swap_type`.
    pub fn area(&self, swap_type: u8) -> Option<&SwapArea> {
        self.areas.get(usize::from(swap_type))
    }

    /// The active areas in swap-type order (as `/proc/swaps` lists them).
    pub fn areas(&self) -> impl Iterator<Item = &SwapArea> {
        self.areas.iter()
    }

    /// Allocates a slot with usage count 1 in the highest-priority area that has one, rotating between areas of
    /// equal priority; `None` when every area is full. Models `get_swap_pages()` (mm/swapfile.c).
    pub fn alloc(&mut self) -> Option<SwapEntry> {
        let &first = self.avail.first()?;
        let prio = self.prio(first);
        // `plist_requeue()`: move the chosen area behind its equal-priority siblings.
        let same = self.avail.iter().take_while(|&&t| self.prio(t) == prio).count();
        self.avail[..same].rotate_left(1);
        let area = self.areas.get_mut(usize::from(first))?;
        let offset = area.alloc()?;
        let full = area.is_full();
        if full {
            self.avail.retain(|&t| t != first);
        }
        Some(SwapEntry::new(first, offset))
    }

    /// Marks the slot of `e` used with count 1 (a teaching scenario placing a page at a given swap address).
    pub fn reserve(&mut self, e: SwapEntry) -> Result<()> {
        let area = self.area_mut(e)?;
        area.reserve(e.offset())?;
        if area.is_full() {
            self.avail.retain(|&t| t != e.swap_type());
        }
        Ok(())
    }

    /// Adds a user to `e` (fork copies a swap PTE): `swap_duplicate()`. Like Linux, an entry whose slot is free or
    /// invalid is ignored; use [`try_dup`](Self::try_dup) to see why.
    pub fn dup(&mut self, e: SwapEntry) {
        let _ = self.try_dup(e);
    }

    /// [`dup`](Self::dup), returning the new count or why the entry cannot be duplicated.
    pub fn try_dup(&mut self, e: SwapEntry) -> Result<u32> {
        self.area_mut(e)?.dup(e.offset())
    }

    /// Drops a user of `e`: `swap_free()`. `true` if the slot is now free (its in-memory data is dropped).
    pub fn free(&mut self, e: SwapEntry) -> bool {
        let Ok(area) = self.area_mut(e) else { return false };
        let was_full = area.is_full();
        let freed = area.free(e.offset());
        if freed && was_full {
            self.make_available(e.swap_type());
        }
        freed
    }

    /// Usage count of `e` (`__swap_count()`): 0 if free or invalid.
    pub fn count(&self, e: SwapEntry) -> u32 {
        self.area(e.swap_type()).map_or(0, |a| a.count(e.offset()))
    }

    /// Writes `page` to the slot of `e` (`swap_writepage()`); counts `pswpout`.
    pub fn write(&mut self, e: SwapEntry, page: &[u8; PAGE_BYTES]) -> Result<()> {
        self.area_mut(e)?.write(e.offset(), page)?;
        self.pswpout += 1;
        Ok(())
    }

    /// Reads the slot of `e` into `page` (`swap_read_folio()`); counts `pswpin`.
    pub fn read(&mut self, e: SwapEntry, page: &mut [u8; PAGE_BYTES]) -> Result<()> {
        self.area_mut(e)?.read(e.offset(), page)?;
        self.pswpin += 1;
        Ok(())
    }

    /// Usable slots of all areas (`total_swap_pages`; `SwapTotal` = this × 4 kB).
    pub fn total_pages(&self) -> u64 {
        self.areas.iter().map(SwapArea::total_usable).sum()
    }

    /// Slots in use in all areas (`SwapFree` = ([`total_pages`](Self::total_pages) − this) × 4 kB).
    pub fn used_pages(&self) -> u64 {
        self.areas.iter().map(SwapArea::used).sum()
    }

    /// Free slots (`nr_swap_pages`).
    pub fn free_pages(&self) -> u64 {
        self.total_pages() - self.used_pages()
    }

    /// No area has a free slot (true with no swap at all).
    pub fn is_full(&self) -> bool {
        self.avail.is_empty()
    }

    /// Swap more than half used: `vm_swap_full()` (mm/swap.h), `nr_swap_pages * 2 < total_swap_pages`.
    pub fn vm_swap_full(&self) -> bool {
        self.free_pages() * 2 < self.total_pages()
    }

    /// Pages written to swap (`pswpout` in /proc/vmstat).
    pub fn pswpout(&self) -> u64 {
        self.pswpout
    }

    /// Pages read from swap (`pswpin` in /proc/vmstat).
    pub fn pswpin(&self) -> u64 {
        self.pswpin
    }
}

/// Whether two paths name the same file (falling back to comparing them as written).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(size_pages: u64, priority: Option<i16>) -> SwapDeviceConfig {
        SwapDeviceConfig { priority, size_pages: Some(size_pages), file: None }
    }

    #[test]
    fn slot_zero_is_never_allocated_and_allocation_is_sequential() {
        let mut a = SwapArea::in_memory(10).unwrap();
        assert_eq!((a.total_usable(), a.max_pages(), a.last_offset()), (9, 10, 9));
        let got: Vec<u64> = std::iter::from_fn(|| a.alloc()).collect();
        assert_eq!(got, (1..10).collect::<Vec<_>>());
        assert!(a.is_full());
        assert_eq!(a.count(0), 0);
        assert!(!a.free(0));
        assert!(matches!(a.reserve(0), Err(SwapFileError::NotASlot { .. })));
        assert!(matches!(a.reserve(10), Err(SwapFileError::NotASlot { .. })));
    }

    #[test]
    fn lowest_free_slot_in_current_cluster_then_oldest_free_cluster() {
        let mut a = SwapArea::in_memory(4 * SWAPFILE_CLUSTER).unwrap();
        for want in 1..SWAPFILE_CLUSTER {
            assert_eq!(a.alloc(), Some(want));
        }
        // Cluster 0 is full: cluster 1 is next.
        assert_eq!(a.alloc(), Some(256));
        assert_eq!(a.alloc(), Some(257));
        // Freeing in the current cluster: the lowest free slot is reused first.
        assert!(a.free(256));
        assert_eq!(a.alloc(), Some(256));
        // Freeing all of cluster 0 puts it at the tail of the free list, behind clusters 2 and 3.
        for off in 1..SWAPFILE_CLUSTER {
            assert!(a.free(off));
        }
        for _ in 258..512 {
            a.alloc().unwrap();
        }
        assert_eq!(a.alloc(), Some(512));
        for _ in 513..1024 {
            a.alloc().unwrap();
        }
        assert_eq!(a.alloc(), Some(1));
    }

    #[test]
    fn without_free_clusters_allocation_scans_for_any_free_slot() {
        let mut a = SwapArea::in_memory(2 * SWAPFILE_CLUSTER).unwrap();
        while a.alloc().is_some() {}
        assert!(a.free(7));
        assert!(a.free(300));
        assert!(a.free(5));
        // Current cluster is 1 (full until 300 was freed, so 300 first), then wrap to cluster 0, lowest first.
        assert_eq!(a.alloc(), Some(300));
        assert_eq!(a.alloc(), Some(5));
        assert_eq!(a.alloc(), Some(7));
        assert_eq!(a.alloc(), None);
    }

    #[test]
    fn reserve_takes_a_slot_and_its_cluster_is_no_longer_free() {
        let mut a = SwapArea::in_memory(600).unwrap();
        a.reserve(2).unwrap();
        a.reserve(300).unwrap();
        assert!(matches!(a.reserve(2), Err(SwapFileError::SlotInUse { count: 1, .. })));
        // Clusters 0 and 1 each hold a used slot: cluster 2 (slots 512..600) is the first free one.
        assert_eq!(a.alloc(), Some(512));
        for _ in 513..600 {
            a.alloc().unwrap();
        }
        // No free cluster left: scan on from cluster 2, wrapping to cluster 0, lowest free slot first.
        assert_eq!(a.alloc(), Some(1));
        assert_eq!(a.alloc(), Some(3));
        assert_eq!(a.used(), 92);
    }

    #[test]
    fn small_area_with_a_reserved_slot_fills_around_it() {
        let mut a = SwapArea::in_memory(8).unwrap();
        a.reserve(3).unwrap();
        let got: Vec<u64> = std::iter::from_fn(|| a.alloc()).collect();
        assert_eq!(got, [1, 2, 4, 5, 6, 7]);
    }

    #[test]
    fn dup_and_free_counts_including_continuation() {
        let mut a = SwapArea::in_memory(16).unwrap();
        let off = a.alloc().unwrap();
        for n in 2..=100 {
            assert_eq!(a.dup(off).unwrap(), n);
        }
        assert_eq!(a.swap_map[slot(off)], COUNT_CONTINUED | SWAP_MAP_MAX);
        for n in (1..100).rev() {
            assert!(!a.free(off));
            assert_eq!(a.count(off), n);
        }
        assert_eq!(a.swap_map[slot(off)], 1);
        assert!(a.free(off));
        assert_eq!(a.count(off), 0);
        assert!(matches!(a.dup(off), Err(SwapFileError::SlotFree { op: "dup", .. })));
        assert!(!a.free(off));
        assert_eq!(a.used(), 0);
    }

    #[test]
    fn memory_store_drops_freed_pages_and_refuses_free_slots() {
        let mut a = SwapArea::in_memory(16).unwrap();
        let off = a.alloc().unwrap();
        let page = [0xAB; PAGE_BYTES];
        a.write(off, &page).unwrap();
        assert_eq!(a.resident_pages(), 1);
        let mut back = [0; PAGE_BYTES];
        a.read(off, &mut back).unwrap();
        assert_eq!(back, page);
        assert!(a.free(off));
        assert_eq!(a.resident_pages(), 0);
        assert!(matches!(a.read(off, &mut back), Err(SwapFileError::SlotFree { op: "read", .. })));
        assert!(matches!(a.write(0, &page), Err(SwapFileError::NotASlot { .. })));
    }

    /// SPEC §6 vector: three devices without priorities get −2, −3, −4; the first fills before the second is used.
    #[test]
    fn spec_6_automatic_priorities_fill_in_order() {
        let mut s = SwapSpace::new();
        for want in 0..3 {
            assert_eq!(s.add(&mem(4, None)).unwrap(), want);
        }
        let prios: Vec<i16> = s.areas().map(SwapArea::priority).collect();
        assert_eq!(prios, [-2, -3, -4]);
        let got: Vec<(u8, u64)> = std::iter::from_fn(|| s.alloc()).map(|e| (e.swap_type(), e.offset())).collect();
        assert_eq!(got, [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]);
        assert!(s.is_full());
        // A slot freed in the first device is used next again.
        assert!(s.free(SwapEntry::new(0, 2)));
        assert!(!s.is_full());
        assert_eq!(s.alloc(), Some(SwapEntry::new(0, 2)));
    }

    #[test]
    fn equal_priorities_round_robin_and_higher_priority_first() {
        let mut s = SwapSpace::new();
        s.add(&mem(3, Some(5))).unwrap();
        s.add(&mem(3, Some(5))).unwrap();
        s.add(&mem(3, None)).unwrap();
        s.add(&mem(3, Some(10))).unwrap();
        let got: Vec<(u8, u64)> = std::iter::from_fn(|| s.alloc()).map(|e| (e.swap_type(), e.offset())).collect();
        assert_eq!(got, [(3, 1), (3, 2), (0, 1), (1, 1), (0, 2), (1, 2), (2, 1), (2, 2)]);
    }

    #[test]
    fn totals_and_vm_swap_full() {
        let mut s = SwapSpace::new();
        assert!(s.is_full() && !s.vm_swap_full());
        s.add(&mem(5, None)).unwrap();
        s.add(&mem(5, None)).unwrap();
        assert_eq!(s.total_pages(), 8);
        for used in 1..=8 {
            s.alloc().unwrap();
            assert_eq!(s.used_pages(), used);
            // nr_swap_pages * 2 < total_swap_pages
            assert_eq!(s.vm_swap_full(), used > 4, "used {used}");
        }
    }

    #[test]
    fn config_errors() {
        let mut s = SwapSpace::new();
        let e = s.add(&SwapDeviceConfig::default()).unwrap_err();
        assert!(matches!(e, SwapFileError::BadConfig { index: 0, .. }), "{e}");
        let e = s.add(&mem(4, Some(-1))).unwrap_err();
        assert!(matches!(e, SwapFileError::PriorityOutOfRange { priority: -1, .. }), "{e}");
        let e = s.add(&mem(1, None)).unwrap_err();
        assert!(matches!(e, SwapFileError::BadMemorySize { size_pages: 1, .. }), "{e}");
        // Failed activations do not use up automatic priorities.
        s.add(&mem(4, None)).unwrap();
        assert_eq!(s.area(0).unwrap().priority(), -2);
        for _ in 1..MAX_SWAPFILES {
            s.add(&mem(2, None)).unwrap();
        }
        assert!(matches!(s.add(&mem(2, None)), Err(SwapFileError::TooManyAreas { max: 23 })));
    }

    #[test]
    fn invalid_entries_are_errors_or_ignored() {
        let mut s = SwapSpace::new();
        s.add(&mem(4, None)).unwrap();
        let bogus = SwapEntry::new(5, 1);
        s.dup(bogus);
        assert!(!s.free(bogus));
        assert_eq!(s.count(bogus), 0);
        assert!(matches!(s.try_dup(bogus), Err(SwapFileError::NoSuchArea { .. })));
        assert!(matches!(s.reserve(SwapEntry::new(0, 4)), Err(SwapFileError::NotASlot { last: 3, .. })));
        s.reserve(SwapEntry::new(0, 3)).unwrap();
        s.dup(SwapEntry::new(0, 3));
        assert_eq!(s.count(SwapEntry::new(0, 3)), 2);
    }

    #[test]
    fn device_config_toml() {
        let cfg: SwapDeviceConfig = toml::from_str("priority = 5\nsize_pages = 1024\n").unwrap();
        assert_eq!(cfg, SwapDeviceConfig { priority: Some(5), size_pages: Some(1024), file: None });
        let cfg: SwapDeviceConfig = toml::from_str("file = \"swap.img\"\n").unwrap();
        assert_eq!(cfg.file.as_deref(), Some(Path::new("swap.img")));
        assert!(toml::from_str::<SwapDeviceConfig>("size = 3\n").is_err());
    }
}
