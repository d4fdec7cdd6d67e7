//! Per-frame metadata, the model's `struct page` (`include/linux/mm_types.h`, `include/linux/page-flags.h`).

use crate::phys::rmap::RmapEntry;
use crate::swap::entry::SwapEntry;
use bitflags::bitflags;

bitflags! {
    /// Page flags (a subset of Linux's `enum pageflags`, include/linux/page-flags.h).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct PageFlags: u16 {
        /// `PG_dirty`: contents differ from the backing store (swap).
        const DIRTY = 1 << 0;
        /// `PG_referenced`: software reference bit used by the LRU.
        const REFERENCED = 1 << 1;
        /// `PG_locked`: under I/O.
        const LOCKED = 1 << 2;
        /// The shared zero page (`ZERO_PAGE(0)`, mm/memory.c): never freed, never written.
        const ZERO_PAGE = 1 << 3;
        /// Holds a page table (`PageTable`, `PG_table`).
        const PAGE_TABLE = 1 << 4;
        /// Anonymous memory (`PageAnon`: `page->mapping` has the anon bit).
        const ANON = 1 << 5;
        /// In the swap cache (`PG_swapcache`).
        const SWAPCACHE = 1 << 6;
        /// On the active LRU list (`PG_active`).
        const ACTIVE = 1 << 7;
        /// Reserved: pinned by a teaching scenario or the kernel; never reclaimed (`PG_reserved`).
        const RESERVED = 1 << 8;
        /// `PG_anon_exclusive`: mapped by exactly one process that may write it without copying.
        const ANON_EXCLUSIVE = 1 << 9;
        /// `PG_lru`: on the replacement policy's lists.
        const LRU = 1 << 10;
        /// `PG_readahead`: read ahead from swap and not yet used by a fault.
        const READAHEAD = 1 << 11;
    }
}

/// Metadata of one frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameMeta {
    /// `page_ref_count()`: references held (mappings, swap cache, page-table use).
    pub refcount: u32,
    /// `page_mapcount()`: number of PTEs mapping the frame.
    pub mapcount: u32,
    /// Page flags.
    pub flags: PageFlags,
    /// Swap slot holding a copy, while the page is in the swap cache (`page->private`).
    pub swap: Option<SwapEntry>,
    /// Reverse map: the PTEs that map this frame (Linux finds them through anon_vma; we keep them directly).
    pub rmap: Vec<RmapEntry>,
    /// Memory group charged for the page (0: the root), `folio_memcg()`.
    pub memcg: crate::kernel::memcontrol::MemcgId,
}

impl FrameMeta {
    /// A free, untouched frame.
    pub const EMPTY: FrameMeta = FrameMeta {
        refcount: 0,
        mapcount: 0,
        flags: PageFlags::empty(),
        swap: None,
        rmap: Vec::new(),
        memcg: crate::kernel::memcontrol::MemcgId::ROOT,
    };
}
