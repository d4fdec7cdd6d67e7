//! Per-frame metadata, the model's `struct page` (`include/linux/mm_types.h`, `include/linux/page-flags.h`).
//!
//! Flags change one bit at a time, through [`FrameMeta::set`], [`FrameMeta::clear`] and
//! [`FrameMeta::test_and_clear`] (Linux's `folio_set_*`, `folio_clear_*`, `folio_test_clear_*`); the whole
//! metadata is rewritten in one place only, [`PhysMem::free_meta`](super::PhysMem::free_meta), when the frame is
//! freed (`free_pages_prepare()` clears `PAGE_FLAGS_CHECK_AT_PREP`, mm/page_alloc.c). Code outside `phys` cannot
//! build a `FrameMeta` at all, so it cannot overwrite one.

use crate::phys::rmap::{MmId, Rmap};
use crate::swap::entry::SwapEntry;
use crate::Pfn;
use bitflags::bitflags;

bitflags! {
    /// Page flags (a subset of Linux's `enum pageflags`, include/linux/page-flags.h).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct PageFlags: u16 {
        /// `PG_dirty`: the contents differ from the backing store, so reclaim must write the page before freeing
        /// it. An anonymous page's dirtiness mostly lives in its PTEs' dirty bits (`do_anonymous_page` only
        /// `pte_mkdirty`s); the page gets `PG_dirty` when reclaim gives it a swap slot (`add_to_swap`,
        /// mm/swap_state.c, "Always setting the dirty flag"), when `try_to_unmap_one` (mm/rmap.c) finds a dirty PTE
        /// (`folio_mark_dirty`), and when its swap copy is dropped while it stays in RAM (`folio_free_swap`,
        /// mm/swapfile.c). Cleared by `pageout()` (mm/vmscan.c, `folio_clear_dirty_for_io`) before the write.
        const DIRTY = 1 << 0;
        /// `PG_referenced`: the LRU's software reference bit, set by `folio_check_references()` and
        /// `folio_mark_accessed()`, test-and-cleared by reclaim (mm/vmscan.c, mm/swap.c). Mirrors the two-list
        /// policy's state (reclaim/two_list.rs); other policies leave it clear.
        const REFERENCED = 1 << 1;
        /// `PG_locked`: under I/O.
        const LOCKED = 1 << 2;
        /// The shared zero page (`ZERO_PAGE(0)`, mm/memory.c): never freed, never written.
        const ZERO_PAGE = 1 << 3;
        /// Holds a page table (`PageTable`, `PG_table`).
        const PAGE_TABLE = 1 << 4;
        /// `PG_swapbacked`: backed by swap rather than a file (anonymous and shmem pages): set by
        /// `folio_add_new_anon_rmap()` (mm/rmap.c) on a new anonymous page and by `__read_swap_cache_async()`
        /// (mm/swap_state.c) on a page read from swap.
        const SWAPBACKED = 1 << 5;
        /// In the swap cache (`PG_swapcache`).
        const SWAPCACHE = 1 << 6;
        /// `PG_active`: on the active LRU list (set on activation, cleared by `shrink_active_list()`, mm/vmscan.c).
        /// Mirrors the two-list policy's lists; other policies leave it clear.
        const ACTIVE = 1 << 7;
        /// Reserved: pinned by a teaching scenario or the kernel; never reclaimed (`PG_reserved`).
        const RESERVED = 1 << 8;
        /// `PG_anon_exclusive`: mapped by exactly one process that may write it without copying.
        const ANON_EXCLUSIVE = 1 << 9;
        /// `PG_lru`: on the replacement policy's lists.
        const LRU = 1 << 10;
        /// `PG_readahead`: read ahead (from swap, or by file readahead's async trigger) and not yet used by a fault.
        const READAHEAD = 1 << 11;
        /// `PG_head`: the first frame of a compound page (`PageHead()`; set by `prep_compound_page`,
        /// mm/page_alloc.c). Its order is in [`FrameMeta::order`]; the tails point to it.
        const HEAD = 1 << 12;
        /// `PG_workingset`: the page was on the active list, so it belonged to the working set: set when
        /// `shrink_active_list()` (mm/vmscan.c) deactivates it (`folio_set_workingset`). Linux's refault detection
        /// (mm/workingset.c) reads it when the page is evicted, into the shadow entry left in the page cache.
        const WORKINGSET = 1 << 13;
    }
}

/// An inode, named by the page cache and shmem when they arrive: the owner of a file page's `address_space`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct InodeId(pub u32);

/// A KSM stable-tree node (`struct ksm_stable_node`, mm/ksm.c), named by KSM when it arrives.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct StableNodeId(pub u32);

/// Whom a page belongs to: `folio->mapping` with its low bits decoded (`PAGE_MAPPING_ANON`, `PAGE_MAPPING_KSM`,
/// include/linux/page-flags.h; `folio_test_anon()`, `folio_test_ksm()`, `folio_mapping()`). Together with
/// [`FrameMeta::index`] it says where the page lives in its owner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Mapping {
    /// Nothing: a free frame, a page table, the zero page, or a page read into the swap cache and not mapped yet
    /// (`folio->mapping == NULL`; Linux's `folio_mapping()` then answers the swap cache's address space).
    #[default]
    None,
    /// Anonymous memory (`PAGE_MAPPING_ANON`: `folio->mapping` points to the `anon_vma`). The model has no
    /// anon_vma; it names the address space whose fault made the page, the owner of Linux's anon_vma root (a
    /// forked child's copy-on-write pages keep their parent's).
    Anon {
        /// The address space that created the page.
        mm: MmId,
    },
    /// A page-cache page of a regular file (`folio->mapping = inode->i_mapping`; mm/filemap.c
    /// `__filemap_add_folio`); `index` is its offset in the file in pages.
    File {
        /// The file.
        inode: InodeId,
    },
    /// A shmem/tmpfs page (`shmem_mapping()`, mm/shmem.c), which also backs `MAP_SHARED|MAP_ANONYMOUS` memory
    /// (`shmem_zero_setup`); `index` is its offset in the object in pages. Swap-backed, unlike `File`.
    Shmem {
        /// The shmem object's inode.
        inode: InodeId,
    },
    /// A page merged by KSM (`PAGE_MAPPING_KSM`: `folio->mapping` points to the stable node, mm/ksm.c
    /// `folio_set_stable_node`); its mappings are found through the node's rmap_items, not `index`.
    Ksm {
        /// The stable-tree node.
        stable_node: StableNodeId,
    },
}

/// Metadata of one frame.
///
/// Not `Clone` or `Default`, and `flags` is private: outside `phys` a `FrameMeta` is only ever reached through
/// [`PhysMem::meta`](super::PhysMem::meta) and [`PhysMem::meta_mut`](super::PhysMem::meta_mut), and changed field
/// by field.
#[derive(Debug, PartialEq, Eq)]
pub struct FrameMeta {
    /// `page_ref_count()`: references held (mappings, swap cache, page-table use).
    pub refcount: u32,
    /// `page_mapcount()`: number of PTEs mapping this frame (`page->_mapcount` + 1, mm/rmap.c
    /// `folio_add_anon_rmap_ptes`).
    pub mapcount: u32,
    /// `folio_entire_mapcount()`: PMD or PUD entries mapping the whole compound page this frame heads
    /// (`folio->_entire_mapcount` + 1, mm/rmap.c `folio_add_anon_rmap_pmd`). Always 0 on base pages and tails.
    pub entire_mapcount: u32,
    /// Page flags (`page->flags`), changed bit by bit.
    flags: PageFlags,
    /// Owner of the page (`folio->mapping`).
    pub mapping: Mapping,
    /// Offset of the page in its owner, in pages (`folio->index`, a `pgoff_t`). For an anonymous page,
    /// `linear_page_index(vma, address)` (include/linux/pagemap.h) = `(address - vm_start) / 4096 + vm_pgoff`,
    /// which is the virtual page number, as every anonymous VMA starts with `vm_pgoff = vm_start >> PAGE_SHIFT`
    /// (mm/mmap.c `do_mmap` for `MAP_PRIVATE|MAP_ANONYMOUS`, `do_brk_flags`). 0 while `mapping` is `None`.
    pub index: u64,
    /// `folio_order()` of the compound page this frame heads (Linux keeps it in the folio's second page,
    /// `folio_set_order()` from `prep_compound_page`, mm/page_alloc.c): 2^order frames. 0 for a base page, and
    /// on tail pages (ask the head: [`PhysMem::folio_order`](super::PhysMem::folio_order)).
    pub order: u8,
    /// `page->compound_head` (include/linux/page-flags.h `set_compound_head`): on a tail page, its head's frame
    /// number with bit 0 set, as Linux tags the head pointer; 0 on heads and base pages. Read with
    /// [`FrameMeta::head`].
    compound_head: u64,
    /// Swap slot holding a copy, while the page is in the swap cache (`page->private`).
    pub swap: Option<SwapEntry>,
    /// Reverse map: the entries that map this frame, with their level (Linux finds them through the anon_vma;
    /// the model keeps them directly, see [`rmap`](super::rmap)). Changed through [`rmap::add`](super::rmap::add)
    /// and [`rmap::remove`](super::rmap::remove), which keep the map counts.
    pub rmap: Rmap,
    /// Memory group charged for the page (0: the root), `folio_memcg()`.
    pub memcg: crate::kernel::memcontrol::MemcgId,
}

impl FrameMeta {
    /// A free, untouched frame.
    pub(super) const EMPTY: FrameMeta = FrameMeta {
        refcount: 0,
        mapcount: 0,
        entire_mapcount: 0,
        flags: PageFlags::empty(),
        mapping: Mapping::None,
        index: 0,
        order: 0,
        compound_head: 0,
        swap: None,
        rmap: Rmap::new(),
        memcg: crate::kernel::memcontrol::MemcgId::ROOT,
    };

    /// The page flags.
    #[inline]
    pub fn flags(&self) -> PageFlags {
        self.flags
    }

    /// Whether every flag in `f` is set (`folio_test_dirty()`, `folio_test_swapcache()`, …).
    #[inline]
    pub fn test(&self, f: PageFlags) -> bool {
        self.flags.contains(f)
    }

    /// Set the flags in `f`, leaving the others (`folio_set_dirty()`, `__folio_set_swapbacked()`, …).
    #[inline]
    pub fn set(&mut self, f: PageFlags) {
        self.flags.insert(f);
    }

    /// Clear the flags in `f`, leaving the others (`folio_clear_active()`, …).
    #[inline]
    pub fn clear(&mut self, f: PageFlags) {
        self.flags.remove(f);
    }

    /// Clear the flags in `f`; whether any of them was set (`folio_test_clear_referenced()`, …).
    #[inline]
    pub fn test_and_clear(&mut self, f: PageFlags) -> bool {
        let was = self.flags.intersects(f);
        self.flags.remove(f);
        was
    }

    /// The head of the compound page this frame is a tail of (`compound_head()` for a tail); `None` for heads
    /// and base pages.
    #[inline]
    pub fn head(&self) -> Option<Pfn> {
        if self.compound_head & 1 == 1 {
            Pfn::try_new(self.compound_head >> 1).ok()
        } else {
            None
        }
    }

    /// Make this frame a tail of the compound page headed by `head` (`set_compound_head()`).
    pub(super) fn set_compound_head(&mut self, head: Pfn) {
        self.compound_head = head.raw() << 1 | 1;
    }

    /// `folio_test_anon()`: anonymous memory (including KSM pages, as in Linux, where the KSM bit pattern includes
    /// `PAGE_MAPPING_ANON`).
    #[inline]
    pub fn is_anon(&self) -> bool {
        matches!(self.mapping, Mapping::Anon { .. } | Mapping::Ksm { .. })
    }

    /// Whether this is a page-cache page of a regular file (`folio_is_file_lru()` for a mapped page: not swap-backed).
    pub fn is_file(&self) -> bool {
        matches!(self.mapping, Mapping::File { .. })
    }

    /// `__folio_set_anon()` (mm/rmap.c, from `folio_add_new_anon_rmap`): the page becomes anonymous memory of
    /// `mm`, at index `vpn` (`linear_page_index`, see [`FrameMeta::index`]).
    pub fn set_anon(&mut self, mm: MmId, vpn: crate::addr::Vpn) {
        self.mapping = Mapping::Anon { mm };
        self.index = vpn.raw();
    }

    /// Back to a free, untouched frame: the one place the whole metadata is rewritten (the frame is being freed;
    /// `free_pages_prepare()`, mm/page_alloc.c, which also checks that nothing still maps the page).
    pub(super) fn reset(&mut self) {
        debug_assert!(
            self.mapcount == 0 && self.entire_mapcount == 0 && self.rmap.is_empty(),
            "freeing a mapped frame: {self:?}"
        );
        *self = FrameMeta::EMPTY;
    }
}
