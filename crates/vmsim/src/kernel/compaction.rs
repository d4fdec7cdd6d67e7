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
//! Simplifies: one zone, synchronous migration (`MIGRATE_SYNC`, as `/proc/sys/vm/compact_memory` uses); no
//! pageblock skip bits or cached scanner positions between passes; no deferral; KSM pages, the zero page, page
//! tables and zswap's pool pages are not migrated (KSM pages are movable in Linux: `ksm_migrate_page`); the free
//! scanner skips the `__isolate_free_page` watermark check. Direct compaction on a failed high-order allocation,
//! kcompactd and proactive compaction come with the high-order allocations of THP.

use super::tlbflush::FlushBatch;
use super::Kernel;
use crate::addr::Pfn;
use crate::arch::{PagingMode, Pte};
use crate::phys::buddy::{MigrateType, MAX_PAGE_ORDER, PAGEBLOCK_PAGES};
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
    /// `compact_stall`: direct compactions (none yet: they come with THP's high-order allocations).
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
            // isolate_migratepages(): one pageblock, up to COMPACT_CLUSTER_MAX pages at a time.
            let block_end = (migrate_pfn + PAGEBLOCK_PAGES).min(free_pfn);
            let mut batch = Vec::new();
            while migrate_pfn < block_end && batch.len() < COMPACT_CLUSTER_MAX {
                self.compaction.migrate_scanned += 1;
                let pfn = Pfn::from_index(usize::try_from(migrate_pfn).unwrap_or(usize::MAX));
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
                let new = Pfn::from_index(usize::try_from(new).unwrap_or(usize::MAX));
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
            self.frames.free_pages(Pfn::from_index(usize::try_from(pfn).unwrap_or(usize::MAX)), 0);
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
