//! Anonymous shared memory: `mmap(MAP_SHARED | MAP_ANONYMOUS)` (mm/shmem.c `shmem_zero_setup`, `shmem_fault`;
//! mm/memory.c `do_read_fault`, `do_shared_fault`, `do_fault_around`, `wp_page_shared`).
//!
//! Each shared anonymous mapping is backed by a shmem object: a page cache from page index to frame. A fault
//! looks the page up in the object and allocates a zeroed one on a miss (`shmem_get_folio`); every mapping of the
//! same index, in any process that inherited the mapping through fork, maps the same frame, so a write by one is
//! seen by all. fork does not copy the PTEs of a shared mapping (it has no `anon_vma`): the child faults the pages
//! in from the object. A read fault maps the page read-only and also maps, read-only, the other pages of the object
//! already in its cache within the `fault_around_bytes` window (64 KiB) of `do_fault_around`
//! ([`fault_around_window`](super::filemap::fault_around_window)) → `filemap_map_pages`. In a writable shared VMA every mapping is writable from the
//! start (`PAGE_SHARED`: shmem needs no write notification), so a write after a read does not fault; a write to a
//! page mapped read-only (after `mprotect`) makes it writable in place (`wp_page_shared`). Unmapping (munmap, exit,
//! MADV_DONTNEED) drops the mappings, not the contents: the object keeps its pages until no VMA uses it.
//!
//! Simplifies: shmem pages are unevictable (not on the LRU, never swapped: Linux swaps them through the shmem
//! object), and not charged to memory groups; no `memfd`, `shm_open`, truncation or `msync`.

use super::fault::FaultOutcome;
use super::pgtable::{self, PteSlot};
use super::task::Pid;
use super::vma::VmaKind;
use super::Kernel;
use crate::addr::{Pfn, VirtAddr, PAGE_SHIFT, PAGE_SIZE};
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::Access;
use crate::phys::frame_meta::{InodeId, Mapping};
use crate::phys::PageFlags;
use std::collections::BTreeMap;

/// One shmem object: its page cache.
#[derive(Debug, Default)]
pub struct ShmemObject {
    /// Page index → frame (`mapping->i_pages`).
    pub pages: BTreeMap<u64, Pfn>,
    /// Pages charged to `Committed_AS` for it (`shmem_acct_size`), released with it (`shmem_unacct_size`).
    pub charged: u64,
}

/// Every shmem object, by inode.
#[derive(Debug, Default)]
pub struct ShmemObjects {
    objs: BTreeMap<InodeId, ShmemObject>,
}

impl ShmemObjects {
    /// A new, empty object (`shmem_kernel_file_setup`).
    pub fn create(&mut self, id: InodeId) -> InodeId {
        self.objs.insert(id, ShmemObject::default());
        id
    }
    /// Record the `Committed_AS` charge of object `id`.
    pub fn set_charged(&mut self, id: InodeId, pages: u64) {
        if let Some(o) = self.objs.get_mut(&id) {
            o.charged = pages;
        }
    }
    /// Page `index` of object `id` moved to frame `pfn` (page migration). False if the object has no such page.
    pub fn replace_page(&mut self, id: InodeId, index: u64, pfn: Pfn) -> bool {
        match self.objs.get_mut(&id).and_then(|o| o.pages.get_mut(&index)) {
            Some(p) => {
                *p = pfn;
                true
            }
            None => false,
        }
    }
    /// One object.
    pub fn get(&self, id: InodeId) -> Option<&ShmemObject> {
        self.objs.get(&id)
    }
    /// Pages held by every object (meminfo `Shmem`).
    pub fn pages(&self) -> u64 {
        self.objs.values().map(|o| o.pages.len() as u64).sum()
    }
    /// Every frame held by any object.
    pub fn all_pages(&self) -> impl Iterator<Item = Pfn> + '_ {
        self.objs.values().flat_map(|o| o.pages.values().copied())
    }
    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objs.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.objs.is_empty()
    }
}

impl<M: PagingMode> Kernel<M> {
    /// The page at `index` of object `inode`, from its cache or newly allocated and zeroed (`shmem_get_folio`),
    /// holding the cache's reference. `None` when no frame can be found.
    fn shmem_get_page(&mut self, inode: InodeId, index: u64) -> Option<Pfn> {
        if let Some(&pfn) = self.shmem.objs.get(&inode)?.pages.get(&index) {
            return Some(pfn);
        }
        let pfn = self.alloc_user_frame()?;
        self.mem.zero_frame(pfn);
        let m = self.mem.meta_mut(pfn);
        m.refcount = 1; // the page cache's reference
        m.set(PageFlags::SWAPBACKED);
        m.mapping = Mapping::Shmem { inode };
        m.index = index;
        self.shmem.objs.get_mut(&inode)?.pages.insert(index, pfn);
        Some(pfn)
    }

    /// A fault on a none PTE of a shared anonymous mapping: `do_read_fault` (with fault-around) or
    /// `do_shared_fault`.
    pub(crate) fn do_shmem_fault(
        &mut self,
        pid: Pid,
        slot: PteSlot,
        va: VirtAddr,
        access: Access,
        prot: Perms,
    ) -> FaultOutcome {
        let Some(mm) = self.mm_of(pid) else { return FaultOutcome::Oom };
        let (mm_id, pgd) = (mm.id, mm.pgd());
        let Some(vma) = mm.vmas.find(va).cloned() else { return FaultOutcome::Oom };
        let VmaKind::Shmem { inode, base } = vma.kind else { return FaultOutcome::Oom };
        let index = (va.raw() - base.raw()) >> PAGE_SHIFT;
        // A shared writable VMA's vm_page_prot is PAGE_SHARED (writable): shmem needs no write notification
        // (`vma_wants_writenotify` is false), so even a read fault maps the page writable, and the first write
        // sets the dirty bit without a fault. (A private mapping's PAGE_COPY is read-only: that is COW.)
        let prot = if vma.flags.contains(super::vma::VmFlags::WRITE) { prot | Perms::WRITE } else { prot };
        let Some(pfn) = self.shmem_get_page(inode, index) else { return FaultOutcome::Oom };
        if access == Access::Write {
            let perms = prot | Perms::WRITE | Perms::ACCESSED | Perms::DIRTY;
            self.file_map(mm_id, slot, pfn, perms);
            self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
            return FaultOutcome::Minor;
        }
        // do_read_fault(): fault-around first maps the cached pages of the window (do_fault_around: aligned, clipped
        // to this page table, slid up at the VMA start), then the faulting page; all read-only.
        let (lo, hi) = super::filemap::fault_around_window(va, &vma);
        let mut a = lo.raw();
        while a < hi.raw() {
            if a != va.page_align_down().raw() {
                let at = VirtAddr::new(a);
                let i = (a - base.raw()) >> PAGE_SHIFT;
                let cached = self.shmem.objs.get(&inode).and_then(|o| o.pages.get(&i).copied());
                if let (Some(p), Some(s)) = (cached, pgtable::lookup::<M>(&self.mem, pgd, at)) {
                    if s.size() == PageSizeKind::Size4K && s.read::<M>(&self.mem).is_none() {
                        self.file_map(mm_id, s, p, prot);
                    }
                }
            }
            a += PAGE_SIZE;
        }
        self.file_map(mm_id, slot, pfn, prot | Perms::ACCESSED);
        FaultOutcome::Minor
    }

    /// `wp_page_shared()`: a write to a shared page mapped read-only makes it writable and dirty in place.
    pub(crate) fn shmem_wp(&mut self, slot: PteSlot, pte: M::Pte) -> FaultOutcome {
        let perms = (pte.perms() & Perms::ACCESS_MASK) | Perms::WRITE | Perms::ACCESSED | Perms::DIRTY;
        let pfn = pte.pfn();
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(pfn, perms, slot.size()));
        self.flush(flush);
        self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
        FaultOutcome::Minor
    }

    /// Free the objects no VMA of any live address space uses any more, with their pages (the last `fput` of the
    /// shmem file: `shmem_evict_inode` → `shmem_truncate_range`).
    pub(crate) fn shmem_release_unused(&mut self) {
        if self.shmem.is_empty() {
            return; // every exit and munmap calls this: no scan of the VMAs when there is no shared memory
        }
        let used: std::collections::BTreeSet<InodeId> = self
            .mms
            .iter()
            .flat_map(|mm| mm.vmas.iter())
            .filter_map(|v| match v.kind {
                VmaKind::Shmem { inode, .. } => Some(inode),
                _ => None,
            })
            .collect();
        let dead: Vec<InodeId> = self.shmem.objs.keys().copied().filter(|i| !used.contains(i)).collect();
        for inode in dead {
            let Some(obj) = self.shmem.objs.remove(&inode) else { continue };
            self.vm_unacct_memory(obj.charged); // shmem_evict_inode() → shmem_unacct_size()
            for pfn in obj.pages.into_values() {
                // Every mapping is gone with the VMAs: only the cache's reference is left.
                let m = self.mem.meta_mut(pfn);
                m.refcount = m.refcount.saturating_sub(1);
                if m.refcount == 0 {
                    self.free_user_frame(pfn);
                }
            }
        }
    }
}
