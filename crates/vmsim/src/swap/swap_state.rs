//! The swap cache and the swap-in readahead window, modelled on mm/swap_state.c (SPEC §6).
//!
//! [`SwapCache`] maps a swap entry to the frame that holds its page while the page is both in RAM and in a swap
//! slot (`SwapCached` in /proc/meminfo). [`SwapRaState`] sizes the readahead window per swap-in fault
//! (`swapin_nr_pages()`), and [`cluster_readahead_range`] turns a window into the slots that cluster readahead
//! reads (`swap_cluster_readahead()`).
//!
//! Simplifies: one cache for all swap types (Linux has an `address_space` per 64 MiB of each type); no shadow
//! entries (workingset refault detection); VMA-based readahead is the caller's job, using the same window.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::addr::Pfn;

use super::entry::SwapEntry;

/// Errors of the swap cache and readahead settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SwapStateError {
    /// `vm.page-cluster` beyond what the sysctl accepts.
    #[error("vm.page-cluster = {0}: out of range 0..={PAGE_CLUSTER_MAX} (mm/swap.c page_cluster_max)")]
    PageClusterOutOfRange(u32),
    /// `add` of an entry that is already cached: the caller would lose track of a frame.
    #[error("{entry:?} is already in the swap cache at {pfn:?}")]
    AlreadyCached {
        /// The entry added.
        entry: SwapEntry,
        /// The frame it is already cached in.
        pfn: Pfn,
    },
}

/// Hit and miss counters of the swap cache (`swap_cache_info`, printed by `show_swap_cache_info()`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SwapCacheInfo {
    /// Pages added (`add_total`).
    pub add_total: u64,
    /// Pages deleted (`del_total`).
    pub del_total: u64,
    /// Lookups that found the page (`find_success`).
    pub find_success: u64,
    /// All lookups (`find_total`).
    pub find_total: u64,
}

/// The swap cache: swap entry → frame (`swapper_spaces[]`, mm/swap_state.c). Iterates in entry order.
#[derive(Debug, Default, Clone)]
pub struct SwapCache {
    map: BTreeMap<SwapEntry, Pfn>,
    info: SwapCacheInfo,
}

impl SwapCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts the page in frame `pfn` in the cache under `entry`: `add_to_swap_cache()`. An entry already cached is an
    /// error (Linux: `VM_BUG_ON`), and the cache is left unchanged.
    pub fn add(&mut self, entry: SwapEntry, pfn: Pfn) -> Result<(), SwapStateError> {
        if let Some(&old) = self.map.get(&entry) {
            return Err(SwapStateError::AlreadyCached { entry, pfn: old });
        }
        self.map.insert(entry, pfn);
        self.info.add_total += 1;
        Ok(())
    }

    /// The frame caching `entry`, counting the lookup: `lookup_swap_cache()`.
    pub fn lookup(&mut self, entry: SwapEntry) -> Option<Pfn> {
        self.info.find_total += 1;
        let found = self.map.get(&entry).copied();
        if found.is_some() {
            self.info.find_success += 1;
        }
        found
    }

    /// The frame caching `entry`, without counting (for reports and assertions).
    pub fn get(&self, entry: SwapEntry) -> Option<Pfn> {
        self.map.get(&entry).copied()
    }

    /// The page cached under `entry` moved to frame `pfn` (page migration: `__folio_migrate_mapping` replaces the
    /// folio in the swap cache's xarray). False if `entry` is not cached.
    pub fn replace(&mut self, entry: SwapEntry, pfn: Pfn) -> bool {
        match self.map.get_mut(&entry) {
            Some(p) => {
                *p = pfn;
                true
            }
            None => false,
        }
    }

    /// Removes `entry`, returning the frame it was cached in: `__delete_from_swap_cache()`. The caller drops the
    /// cache's usage count on the slot (`put_swap_folio()`).
    pub fn delete(&mut self, entry: SwapEntry) -> Option<Pfn> {
        let pfn = self.map.remove(&entry);
        if pfn.is_some() {
            self.info.del_total += 1;
        }
        pfn
    }

    /// Pages in the cache (`total_swapcache_pages()`; `SwapCached` = this × 4 kB).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Cached pages in entry order.
    pub fn iter(&self) -> impl Iterator<Item = (SwapEntry, Pfn)> + '_ {
        self.map.iter().map(|(&e, &p)| (e, p))
    }

    /// The lookup counters.
    pub fn info(&self) -> SwapCacheInfo {
        self.info
    }
}

/// Default `vm.page-cluster` (mm/swap.c `swap_setup()`; SPEC §6): readahead of up to 2^3 = 8 pages.
pub const PAGE_CLUSTER_DEFAULT: u32 = 3;
/// Largest `vm.page-cluster` the sysctl accepts (`page_cluster_max`; SPEC §6).
pub const PAGE_CLUSTER_MAX: u32 = 31;
/// Readahead hits Linux starts with, `swapin_readahead_hits = ATOMIC_INIT(4)` (mm/swap_state.c), so the first
/// swap-in after boot already reads ahead. [`SwapRaState::new`] starts from 0 ("no history", as the SPEC §6
/// vectors do); [`SwapRaState::at_boot`] starts from this.
pub const SWAPIN_READAHEAD_HITS_INIT: u32 = 4;

/// The state behind `swapin_nr_pages()` (mm/swap_state.c): readahead hits since the last fault, the offset of the
/// last fault that had none, and the last window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRaState {
    page_cluster: u32,
    hits: u32,
    prev_offset: u64,
    prev_window: u32,
}

impl Default for SwapRaState {
    /// `vm.page-cluster` = 3, no history.
    fn default() -> Self {
        Self { page_cluster: PAGE_CLUSTER_DEFAULT, hits: 0, prev_offset: 0, prev_window: 0 }
    }
}

impl SwapRaState {
    /// Readahead with `vm.page-cluster` = `page_cluster` (window at most `1 << page_cluster`) and no history.
    pub fn new(page_cluster: u32) -> Result<Self, SwapStateError> {
        if page_cluster > PAGE_CLUSTER_MAX {
            return Err(SwapStateError::PageClusterOutOfRange(page_cluster));
        }
        Ok(Self { page_cluster, ..Self::default() })
    }

    /// As Linux boots: [`SWAPIN_READAHEAD_HITS_INIT`] hits, so the first window is the maximum.
    pub fn at_boot(page_cluster: u32) -> Result<Self, SwapStateError> {
        Ok(Self { hits: SWAPIN_READAHEAD_HITS_INIT, ..Self::new(page_cluster)? })
    }

    /// `vm.page-cluster`.
    pub fn page_cluster(&self) -> u32 {
        self.page_cluster
    }

    /// Largest window: `max_pages = 1 << page_cluster`.
    pub fn max_pages(&self) -> u32 {
        1 << self.page_cluster
    }

    /// Readahead hits counted since the last fault (`swapin_readahead_hits`).
    pub fn hits(&self) -> u32 {
        self.hits
    }

    /// Offset of the last fault that saw no readahead hits.
    pub fn prev_offset(&self) -> u64 {
        self.prev_offset
    }

    /// The last window returned (`last_readahead_pages`).
    pub fn prev_window(&self) -> u32 {
        self.prev_window
    }

    /// A page brought in by readahead was found in the swap cache: `lookup_swap_cache()` clearing `PG_readahead`.
    pub fn record_hit(&mut self) {
        self.hits = self.hits.saturating_add(1);
    }

    /// The readahead window for a swap-in fault at `offset`, updating the history: `swapin_nr_pages()`.
    /// With `page_cluster` 0 the window is 1 and the history is left alone.
    pub fn window(&mut self, offset: u64) -> u32 {
        let max_pages = self.max_pages();
        if max_pages <= 1 {
            return 1;
        }
        let hits = std::mem::take(&mut self.hits);
        let pages = swapin_window(self.prev_offset, offset, hits, max_pages, self.prev_window);
        if hits == 0 {
            self.prev_offset = offset;
        }
        self.prev_window = pages;
        pages
    }
}

/// The window heuristic `__swapin_nr_pages()` (mm/swap_state.c; SPEC §6): `hits + 2`; with no hits 2 if `offset`
/// is next to `prev_offset`, else 1; otherwise rounded up to a power of two, at least 4; then at most `max_pages`
/// and at least `prev_win / 2`.
pub fn swapin_window(prev_offset: u64, offset: u64, hits: u32, max_pages: u32, prev_win: u32) -> u32 {
    let mut pages = hits.saturating_add(2);
    if pages == 2 {
        // No hits to judge by: look for an adjacent offset instead (unsigned wrap as in C).
        if offset != prev_offset.wrapping_add(1) && offset != prev_offset.wrapping_sub(1) {
            pages = 1;
        }
    } else {
        pages = pages.checked_next_power_of_two().unwrap_or(u32::MAX).max(4);
    }
    pages = pages.min(max_pages);
    // Don't shrink readahead too fast.
    pages.max(prev_win / 2)
}

/// Slots read by cluster readahead for a fault at `offset` with a `window` from [`SwapRaState::window`] (a power of
/// two): the naturally aligned block of `window` slots holding `offset`, without slot 0 (the header) and cut at
/// `area_last`, the area's last slot (`si->max − 1`). Models the range of `swap_cluster_readahead()`.
pub fn cluster_readahead_range(offset: u64, window: u32, area_last: u64) -> Range<u64> {
    let mask = u64::from(window.saturating_sub(1));
    if mask == 0 {
        return offset..offset.saturating_add(1);
    }
    let start = (offset & !mask).max(1); // First page is swap header.
    let end = (offset | mask).min(area_last);
    start..end.saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §6 vector: page-cluster 3; 1000 → 1; 1001 with 0 hits → 2; after 3 hits → 8; 0 hits, non-adjacent → 4.
    #[test]
    fn spec_6_readahead_window_sequence() {
        let mut ra = SwapRaState::new(PAGE_CLUSTER_DEFAULT).unwrap();
        assert_eq!(ra.max_pages(), 8);
        assert_eq!(ra.window(1000), 1);
        assert_eq!(ra.window(1001), 2);
        for _ in 0..3 {
            ra.record_hit();
        }
        assert_eq!(ra.window(1002), 8); // 3 + 2 = 5 → 8, max(8, 2/2)
        assert_eq!(ra.prev_offset(), 1001, "a fault with hits keeps prev_offset");
        assert_eq!(ra.window(5000), 4); // 1, but max(1, 8/2)
        assert_eq!(ra.window(9000), 2); // 1, but max(1, 4/2)
        assert_eq!(ra.window(9001), 2);
        assert_eq!(ra.window(9000), 2, "adjacent below also counts");
        assert_eq!(ra.window(20), 1);
    }

    #[test]
    fn window_table() {
        // (prev_offset, offset, hits, max_pages, prev_win) → pages
        let table: [(u64, u64, u32, u32, u32, u32); 8] = [
            (0, 0, 0, 8, 0, 1),
            (0, 1, 0, 8, 0, 2),
            (0, u64::MAX, 0, 8, 0, 2), // 0 - 1 wraps
            (0, 5, 1, 8, 0, 4),
            (0, 5, 2, 8, 0, 4),
            (0, 5, 7, 8, 0, 8),
            (0, 5, 7, 4, 0, 4),
            (0, 5, u32::MAX, 1 << 31, 0, 1 << 31),
        ];
        for (prev, off, hits, max, prev_win, want) in table {
            assert_eq!(swapin_window(prev, off, hits, max, prev_win), want, "{prev} {off} {hits} {max} {prev_win}");
        }
    }

    #[test]
    fn page_cluster_zero_and_bounds() {
        let mut ra = SwapRaState::new(0).unwrap();
        ra.record_hit();
        assert_eq!(ra.window(7), 1);
        assert_eq!(ra.hits(), 1, "page_cluster 0 returns before taking the hits");
        assert_eq!(SwapRaState::new(32), Err(SwapStateError::PageClusterOutOfRange(32)));
        assert_eq!(SwapRaState::new(31).unwrap().max_pages(), 1 << 31);
        assert_eq!(SwapRaState::at_boot(3).unwrap().window(1000), 8);
    }

    #[test]
    fn cluster_range_is_aligned_skips_header_and_clamps() {
        assert_eq!(cluster_readahead_range(1001, 8, 262_143), 1000..1008);
        assert_eq!(cluster_readahead_range(1001, 1, 262_143), 1001..1002);
        assert_eq!(cluster_readahead_range(3, 8, 262_143), 1..8);
        assert_eq!(cluster_readahead_range(1001, 4, 1002), 1000..1003);
        assert_eq!(cluster_readahead_range(1001, 0, 1002), 1001..1002);
    }

    #[test]
    fn cache_add_lookup_delete() {
        let mut c = SwapCache::new();
        let (a, b) = (SwapEntry::new(1, 5), SwapEntry::new(0, 9));
        c.add(a, Pfn::from_index(10)).unwrap();
        c.add(b, Pfn::from_index(11)).unwrap();
        assert_eq!(
            c.add(a, Pfn::from_index(12)),
            Err(SwapStateError::AlreadyCached { entry: a, pfn: Pfn::from_index(10) })
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c.lookup(a), Some(Pfn::from_index(10)));
        assert_eq!(c.lookup(SwapEntry::new(0, 1)), None);
        let order: Vec<SwapEntry> = c.iter().map(|(e, _)| e).collect();
        assert_eq!(order, [b, a]);
        assert_eq!(c.delete(a), Some(Pfn::from_index(10)));
        assert_eq!(c.delete(a), None);
        assert_eq!(c.info(), SwapCacheInfo { add_total: 2, del_total: 1, find_success: 1, find_total: 2 });
        assert!(!c.is_empty());
    }
}
