//! Memory compaction and page migration (mm/compaction.c `compact_zone`, `isolate_migratepages_block`,
//! `isolate_freepages_block`, `compaction_alloc`, `__compact_finished`; mm/migrate.c `migrate_pages`,
//! `folio_migrate_mapping`, `folio_migrate_flags`, `remove_migration_ptes`; LINUX-VM-SPEC §12).
//!
//! Two scanners walk the zone pageblock by pageblock: the migrate scanner upward from the zone's first frame,
//! isolating in-use movable pages (on an LRU list), and the free scanner downward from the last pageblock,
//! isolating free frames of pageblocks that are suitable targets (MOVABLE). Each isolated page is migrated to a free
//! frame: its bytes are copied, its `struct page` state moves, every PTE that maps it is rewritten through the rmap
//! with a TLB shootdown, and its owner's index (swap cache, file page cache, shmem object) and its replacement
//! policy's list follow; the old frame is freed, where it can merge with its buddies. A pass ends when the scanners
//! meet (`COMPACT_COMPLETE`) or, for a request of order o, as soon as a free block of order >= o exists
//! (`COMPACT_SUCCESS`).
//!
//! Direct compaction (`__alloc_pages_direct_compact` in mm/page_alloc.c, `try_to_compact_pages` and
//! `compaction_suit_allocation_order` in mm/compaction.c) runs when a high-order allocation fails
//! ([`Kernel::alloc_pages_kernel`]): it is skipped when the zone is deferred for the order
//! ([`CompactDefer`]: `defer_compaction`, `compaction_deferred`, `compaction_defer_reset`, SPEC §12) or when
//! the zone is not suitable ([`Kernel::compaction_suitable`]: order-0 watermark plus `compact_gap`, and for
//! costly orders `fragmentation_index` against `vm.extfrag_threshold`).
//!
//! Simplifies: one zone, synchronous migration (`MIGRATE_SYNC`, as `/proc/sys/vm/compact_memory` uses); no
//! pageblock skip bits or cached scanner positions between passes; KSM pages, the zero page, page
//! tables and zswap's pool pages are not migrated (KSM pages are movable in Linux: `ksm_migrate_page`); the free
//! scanner skips the `__isolate_free_page` watermark check; no capture of the freed block (`capture_control`):
//! the allocation retries the free lists after compaction. kcompactd and proactive compaction are not built.

use super::tlbflush::FlushBatch;
use super::Kernel;
use crate::addr::Pfn;
use crate::arch::{PagingMode, Pte};
use crate::phys::buddy::{fragmentation_index, MigrateType, MAX_PAGE_ORDER, PAGEBLOCK_PAGES};
use crate::phys::frame_meta::Mapping;
use crate::phys::PageFlags;
use serde::Serialize;

/// `COMPACT_CLUSTER_MAX` (= `SWAP_CLUSTER_MAX`): pages isolated per migration batch.
pub const COMPACT_CLUSTER_MAX: usize = 32;

/// Compaction's /proc/vmstat counters (include/linux/vm_event_item.h).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompactStats {
    /// `compact_migrate_scanned`: frames the migrate scanner looked at.
    pub migrate_scanned: u64,
    /// `compact_free_scanned`: frames the free scanner looked at.
    pub free_scanned: u64,
    /// `compact_isolated`: pages isolated, by both scanners.
    pub isolated: u64,
    /// `compact_stall`: direct compactions that were not skipped (`__alloc_pages_direct_compact`; a deferred
    /// zone counts, as `try_to_compact_pages` returns `COMPACT_DEFERRED`, not `COMPACT_SKIPPED`).
    pub stall: u64,
    /// `compact_fail`.
    pub fail: u64,
    /// `compact_success`.
    pub success: u64,
    /// `pgmigrate_success`: pages migrated.
    pub pgmigrate_success: u64,
    /// `pgmigrate_fail`: isolated pages that could not be migrated (no free target, or an rmap that did not
    /// resolve); they go back to their lists unmoved.
    pub pgmigrate_fail: u64,
    /// Compaction passes run (`/proc/sys/vm/compact_memory` writes and requests).
    pub passes: u64,
}

/// `COMPACT_MAX_DEFER_SHIFT` (include/linux/compaction.h): at most `1 << 6` = 64 attempts per run once
/// compaction keeps failing.
pub const COMPACT_MAX_DEFER_SHIFT: u32 = 6;
/// `PAGE_ALLOC_COSTLY_ORDER` (include/linux/mmzone.h): orders above it are "costly"; only they consult the
/// fragmentation index.
pub const PAGE_ALLOC_COSTLY_ORDER: u8 = 3;
/// `sysctl_extfrag_threshold` default (mm/compaction.c; Documentation/admin-guide/sysctl/vm.rst).
pub const DEFAULT_EXTFRAG_THRESHOLD: u32 = 500;

/// `compact_gap()` (mm/internal.h): free pages compaction needs beyond the watermark, `2UL << order`, since
/// migration holds a copy of each page for a while.
pub const fn compact_gap(order: u8) -> u64 {
    2 << order
}

/// A zone's compaction deferral state (`struct zone`'s `compact_considered`, `compact_defer_shift`,
/// `compact_order_failed`; all zero in a fresh zone, as the zone structure is zero-initialised).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CompactDefer {
    /// `compact_considered`: requests seen since the last failure.
    pub considered: u64,
    /// `compact_defer_shift`: compaction runs once per `1 << shift` requests.
    pub defer_shift: u32,
    /// `compact_order_failed`: requests of this order or above are subject to deferral.
    pub order_failed: u8,
}

impl CompactDefer {
    /// `defer_compaction()` (mm/compaction.c): a compaction for `order` failed; skip the next
    /// `(1 << shift) - 1` requests of order `>= compact_order_failed`.
    pub fn defer_compaction(&mut self, order: u8) {
        self.considered = 0;
        self.defer_shift += 1;
        if order < self.order_failed {
            self.order_failed = order;
        }
        if self.defer_shift > COMPACT_MAX_DEFER_SHIFT {
            self.defer_shift = COMPACT_MAX_DEFER_SHIFT;
        }
    }

    /// `compaction_deferred()` (mm/compaction.c): true if compaction for `order` should be skipped this time.
    pub fn compaction_deferred(&mut self, order: u8) -> bool {
        let defer_limit = 1u64 << self.defer_shift;
        if order < self.order_failed {
            return false;
        }
        // "Avoid possible overflow"
        self.considered += 1;
        if self.considered >= defer_limit {
            self.considered = defer_limit;
            return false;
        }
        true
    }

    /// `compaction_defer_reset()` (mm/compaction.c): compaction for `order` succeeded (`alloc_success`: the
    /// allocation too): reset the backoff, and requests below `order + 1` are no longer deferred.
    pub fn compaction_defer_reset(&mut self, order: u8, alloc_success: bool) {
        if alloc_success {
            self.considered = 0;
            self.defer_shift = 0;
        }
        if order >= self.order_failed {
            self.order_failed = order + 1;
        }
    }
}

/// How a pass ended (`enum compact_result`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactResult {
    /// The scanners met (`COMPACT_COMPLETE`).
    Complete,
    /// A free block of the requested order exists (`COMPACT_SUCCESS`).
    Success,
    /// The free scanner found no target for a page (the scanners met on the free side).
    NoTarget,
}

/// What a direct compaction did (`enum compact_result` as `try_to_compact_pages` returns it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectCompact {
    /// `COMPACT_SKIPPED`: the zone was not suitable (too few free pages for the order-0 watermark plus the gap,
    /// or a fragmentation index at or below `vm.extfrag_threshold`); no stall counted.
    Skipped,
    /// `COMPACT_DEFERRED`: the zone is deferred for this order; a stall is counted all the same.
    Deferred,
    /// Compaction ran (`COMPACT_COMPLETE` or `COMPACT_SUCCESS`).
    Ran(CompactResult),
}

impl<M: PagingMode> Kernel<M> {
    /// `compact_zone()`: one pass over the zone. `order` is the order a request needs (`None`: the whole zone,
    /// as `/proc/sys/vm/compact_memory` asks with `order = -1`).
    pub fn compact_zone(&mut self, order: Option<u8>) -> CompactResult {
        if self.cfg.exact {
            // Exact mode's user frames live outside the buddy allocator, in their own pool: nothing to compact.
            return CompactResult::Complete;
        }
        self.compaction.passes += 1;
        // Scan the frames up to the end of the region ever used: above it every block is a never-split order-10
        // block, which the free scanner would isolate first (Linux starts at the zone end); starting below it
        // gives the same result for the pages that move, without scanning a huge RAM's untouched top.
        let end = self.frames.used_frontier();
        let mut migrate_pfn = 0u64;
        let mut free_pfn = end.saturating_sub(1) & !(PAGEBLOCK_PAGES - 1);
        let mut free_list: Vec<u64> = Vec::new();
        let result = loop {
            if let Some(o) = order {
                if self.frames.has_free_block(o.min(MAX_PAGE_ORDER)) {
                    break CompactResult::Success;
                }
            }
            if migrate_pfn >= free_pfn {
                break CompactResult::Complete;
            }
            // isolate_migratepages(): up to a pageblock's worth of frames, COMPACT_CLUSTER_MAX pages at a time.
            let block_end = (migrate_pfn + PAGEBLOCK_PAGES).min(free_pfn);
            let mut batch = Vec::new();
            while migrate_pfn < block_end && batch.len() < COMPACT_CLUSTER_MAX {
                self.compaction.migrate_scanned += 1;
                let pfn = Pfn::from_frame(migrate_pfn);
                if self.migratable(pfn) {
                    batch.push(pfn);
                }
                migrate_pfn += 1;
            }
            self.compaction.isolated += batch.len() as u64;
            let mut stop = false;
            for old in batch {
                // compaction_alloc(): a target from the free scanner, isolating more pageblocks as needed.
                while free_list.is_empty() && free_pfn > migrate_pfn {
                    if self.frames.pageblock_type(free_pfn) == MigrateType::Movable {
                        let got = self.frames.isolate_free_pageblock(free_pfn);
                        self.compaction.free_scanned += PAGEBLOCK_PAGES;
                        self.compaction.isolated += got.len() as u64;
                        // compaction_alloc() takes from the list's head; the highest frames are used first.
                        free_list.extend(got);
                    }
                    if free_pfn < PAGEBLOCK_PAGES {
                        break;
                    }
                    free_pfn -= PAGEBLOCK_PAGES;
                }
                let Some(new) = free_list.pop() else {
                    self.compaction.pgmigrate_fail += 1;
                    stop = true;
                    continue;
                };
                let new = Pfn::from_frame(new);
                if self.migrate_page(old, new) {
                    self.compaction.pgmigrate_success += 1;
                } else {
                    self.compaction.pgmigrate_fail += 1;
                    self.frames.free_pages(new, 0);
                }
            }
            if stop {
                break CompactResult::NoTarget;
            }
        };
        // release_free_list(): unused targets go back to the allocator.
        for pfn in free_list {
            self.frames.free_pages(Pfn::from_frame(pfn), 0);
        }
        result
    }

    /// Whether `isolate_migratepages_block` would take the page in `pfn`: in use, on an LRU list, and of a kind
    /// the model migrates (anonymous, file or shmem; not KSM).
    fn migratable(&self, pfn: Pfn) -> bool {
        if !self.mem.contains(pfn) {
            return false;
        }
        let m = self.mem.meta(pfn);
        m.test(PageFlags::LRU)
            && m.order == 0
            && !m.test(PageFlags::ZERO_PAGE | PageFlags::RESERVED)
            && !matches!(m.mapping, Mapping::Ksm { .. } | Mapping::None)
    }

    /// `migrate_folio()` of one page from `old` to the free frame `new`: copy, move the metadata, repoint every
    /// PTE (with one shootdown batch), the owner's index and the policy's list. False (nothing changed) when a
    /// mapping of the page cannot be resolved.
    pub(crate) fn migrate_page(&mut self, old: Pfn, new: Pfn) -> bool {
        let Ok(maps) = self.resolve_rmap(old) else { return false };
        self.mem.copy_frame(old, new);
        self.mem.migrate_meta(old, new);
        let mut batch = FlushBatch::new();
        for (_, slot) in maps {
            // remove_migration_pte(): the same entry with the new frame (x86 keeps the A and D bits through the
            // migration entry, `migration_entry_supports_ad`).
            let pte = slot.read::<M>(&self.mem);
            let (size, perms) = (slot.size(), pte.perms());
            let swap_pfn = M::Pte::leaf(old, perms, size).raw() ^ M::Pte::leaf(new, perms, size).raw();
            let (_, flush) = super::pgtable::set::<M>(&mut self.mem, slot, M::Pte::from_raw(pte.raw() ^ swap_pfn));
            flush.defer(&mut batch);
        }
        self.finish(batch);
        let m = self.mem.meta(new);
        let (swap, mapping, index, memcg) = (m.swap, m.mapping, m.index, m.memcg);
        if let Some(e) = swap {
            self.swap_cache.replace(e, new);
        }
        match mapping {
            Mapping::File { inode } => {
                if let Some(f) = self.files.get_mut(inode) {
                    f.pages.insert(index, new);
                }
            }
            Mapping::Shmem { inode } => {
                self.shmem.replace_page(inode, index, new);
            }
            Mapping::Anon { .. } | Mapping::Ksm { .. } | Mapping::None => {}
        }
        self.lru_mut(memcg).migrate(old, new);
        self.mem.zero_frame(old);
        self.frames.free_pages(old, 0);
        true
    }
}

impl<M: PagingMode> Kernel<M> {
    /// `compaction_suitable()` (mm/compaction.c, v6.6 `__compaction_suitable`): is compacting worth it for
    /// `order`? The order-0 watermark (low for costly orders, min otherwise) plus `compact_gap(order)` must be
    /// met, so the free scanner has targets; and for a costly order (> `PAGE_ALLOC_COSTLY_ORDER`) a
    /// fragmentation index in `0..=vm.extfrag_threshold` says the failure is for lack of memory, not
    /// fragmentation (-1000, a suitable block exists, and values above the threshold let compaction run).
    pub fn compaction_suitable(&self, order: u8) -> bool {
        let mark = if order > PAGE_ALLOC_COSTLY_ORDER { self.wmark.low } else { self.wmark.min };
        if !self.frames.watermark_ok(0, mark + compact_gap(order)) {
            return false;
        }
        if order > PAGE_ALLOC_COSTLY_ORDER {
            let fragindex = fragmentation_index(&self.frames.nr_free(), order);
            if (0..=i64::from(self.cfg.extfrag_threshold)).contains(&fragindex) {
                return false;
            }
        }
        true
    }

    /// `try_to_compact_pages()` for the one zone at `DEF_COMPACT_PRIORITY` (`COMPACT_PRIO_SYNC_LIGHT`, which
    /// both honours and sets deferral): skip a deferred zone (`compaction_deferred`); `compact_zone_order` →
    /// `compaction_suit_allocation_order` (the order's min watermark already met: `COMPACT_SUCCESS` without a
    /// pass; not suitable: `COMPACT_SKIPPED`), else a pass; `COMPACT_SUCCESS` resets the deferral
    /// (`compaction_defer_reset(zone, order, false)`), a complete pass defers (`defer_compaction`).
    pub fn try_to_compact_pages(&mut self, order: u8) -> DirectCompact {
        if self.compact_defer.compaction_deferred(order) {
            return DirectCompact::Deferred;
        }
        let status = if self.frames.watermark_ok(order, self.wmark.min) {
            CompactResult::Success
        } else if !self.compaction_suitable(order) {
            return DirectCompact::Skipped;
        } else {
            self.compact_zone(Some(order))
        };
        match status {
            CompactResult::Success => self.compact_defer.compaction_defer_reset(order, false),
            // The scanners met, on either side: COMPACT_COMPLETE.
            CompactResult::Complete | CompactResult::NoTarget => self.compact_defer.defer_compaction(order),
        }
        DirectCompact::Ran(status)
    }

    /// `__alloc_pages_direct_compact()` (mm/page_alloc.c): compact, then retry the free lists at the min
    /// watermark. `compact_stall` counts every attempt that was not `COMPACT_SKIPPED`; then `compact_success`
    /// (and `compaction_defer_reset(zone, order, true)`) if the allocation succeeded, else `compact_fail`.
    pub(crate) fn alloc_pages_direct_compact(&mut self, order: u8, t: MigrateType) -> (Option<Pfn>, DirectCompact) {
        if order == 0 {
            return (None, DirectCompact::Skipped);
        }
        let result = self.try_to_compact_pages(order);
        if result == DirectCompact::Skipped {
            return (None, result);
        }
        self.compaction.stall += 1;
        let page = self.get_page_from_freelist(order, self.wmark.min, t);
        if page.is_some() {
            self.compact_defer.compaction_defer_reset(order, true);
            self.compaction.success += 1;
        } else {
            self.compaction.fail += 1;
        }
        (page, result)
    }

    /// `get_page_from_freelist()` for the one zone: the order-aware watermark check (`zone_watermark_fast` →
    /// `__zone_watermark_ok`) against `mark`, then `rmqueue`.
    fn get_page_from_freelist(&mut self, order: u8, mark: u64, t: MigrateType) -> Option<Pfn> {
        if !self.frames.watermark_ok(order, mark) {
            return None;
        }
        self.frames.alloc_pages(order, t, &self.mem)
    }

    /// A kernel allocation of 2^`order` unmovable frames, `alloc_pages(GFP_KERNEL | __GFP_COMP, order)` as a
    /// driver makes it (mm/page_alloc.c `__alloc_pages`): the fast path at the low watermark
    /// (`ALLOC_WMARK_LOW`), then the slow path at min (`gfp_to_alloc_flags`: `ALLOC_WMARK_MIN`), then, for
    /// order > 0, one direct compaction (`__alloc_pages_direct_compact`). Returns the block and what compaction
    /// did (`None` when it was not needed).
    ///
    /// Simplifies `__alloc_pages_slowpath`: Linux first tries an asynchronous compaction for a costly order
    /// (`INIT_COMPACT_PRIORITY`, which is subject to deferral but does not defer), then
    /// direct reclaim, then compaction at `DEF_COMPACT_PRIORITY`, and gives up on a costly order without
    /// `__GFP_RETRY_MAYFAIL`; the model makes the one `DEF_COMPACT_PRIORITY` attempt, with no reclaim and no
    /// kswapd/kcompactd wake-up, so each failed request counts at most one stall.
    pub fn alloc_pages_kernel(&mut self, order: u8) -> (Option<Pfn>, Option<DirectCompact>) {
        let t = MigrateType::Unmovable;
        if order > MAX_PAGE_ORDER {
            return (None, None);
        }
        if let Some(p) = self.get_page_from_freelist(order, self.wmark.low, t) {
            return (Some(p), None);
        }
        if let Some(p) = self.get_page_from_freelist(order, self.wmark.min, t) {
            return (Some(p), None);
        }
        let (p, r) = self.alloc_pages_direct_compact(order, t);
        (p, Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §12 vector: a fresh zone and order-9 requests whose compaction always fails. Compaction runs at
    /// attempts 1, 3, 7, 15, 31, 63, 127, 191, 255 (one run per 64 once the shift saturates at 6).
    #[test]
    fn spec_12_deferral_vector() {
        let mut z = CompactDefer::default();
        let mut runs = Vec::new();
        for attempt in 1..=255u64 {
            if !z.compaction_deferred(9) {
                runs.push(attempt);
                z.defer_compaction(9); // the pass failed
            }
        }
        assert_eq!(runs, [1, 3, 7, 15, 31, 63, 127, 191, 255]);
        assert_eq!((z.defer_shift, z.order_failed), (COMPACT_MAX_DEFER_SHIFT, 0));
        // A success at order 9 resets the backoff and raises compact_order_failed to 10: orders below 10 are
        // never deferred (nor counted) until a new failure lowers it.
        z.compaction_defer_reset(9, true);
        assert_eq!(z, CompactDefer { considered: 0, defer_shift: 0, order_failed: 10 });
        for _ in 0..100 {
            assert!(!z.compaction_deferred(9));
        }
        assert_eq!(z.considered, 0, "orders below compact_order_failed do not count");
        // Order 10 is still subject to it: shift 0, so it runs (considered 1 >= 1).
        assert!(!z.compaction_deferred(10));
        // A failure at order 4 lowers compact_order_failed; order 9 is deferred once (shift 1).
        z.defer_compaction(4);
        assert_eq!(z.order_failed, 4);
        assert!(z.compaction_deferred(9));
        assert!(!z.compaction_deferred(9));
        // A reset without allocation success keeps the backoff, only raising the order.
        z.defer_compaction(9);
        z.compaction_defer_reset(9, false);
        assert_eq!((z.defer_shift, z.order_failed), (2, 10));
    }
}
