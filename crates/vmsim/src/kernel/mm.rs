//! Address spaces (`struct mm_struct`, include/linux/mm_types.h), kept in an arena keyed by [`MmId`]. Tasks refer
//! to an mm by id, so any number of tasks (threads) can share one, and the kernel can borrow an mm and the rest of
//! the machine at the same time.

use crate::addr::{Pfn, VirtAddr};
use crate::kernel::memcontrol::MemcgId;
use crate::kernel::pgtable::Pgd;
use crate::kernel::vma::VmaTree;
pub use crate::phys::rmap::MmId;
use serde::Serialize;
use std::collections::BTreeMap;

/// Per-mm RSS counters (`mm->rss_stat`, include/linux/mm_types_task.h).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MmCounters {
    /// `MM_ANONPAGES`: resident anonymous pages (the zero page is not counted).
    pub anon_pages: u64,
    /// `MM_SWAPENTS`: swap entries in the page tables.
    pub swap_ents: u64,
    /// `MM_SHMEMPAGES`: resident shared-memory pages mapped (RssShmem).
    pub shmem_pages: u64,
    /// `MM_FILEPAGES`: page-cache pages of files mapped (RssFile).
    pub file_pages: u64,
    /// Page-table frames of this mm (`mm_pgtables_bytes / PAGE_SIZE`).
    pub pgtable_frames: u64,
    /// Peak resident pages, anon + file + shmem (`hiwater_rss`, VmHWM, in pages).
    pub hiwater_rss: u64,
    /// Peak size of the address space in pages (`mm->hiwater_vm`, VmPeak): raised by
    /// [`Mm::update_hiwater_vm`] wherever a VMA is added or grows (mmap, brk, stack growth, fork's copy).
    /// Linux raises it lazily, just before `total_vm` drops (`update_hiwater_vm`, include/linux/mm.h, from the
    /// munmap path), and `task_mem` shows `max(hiwater_vm, total_vm)`; both give the same VmPeak.
    pub hiwater_vm: u64,
}

/// An address space.
#[derive(Debug)]
pub struct Mm {
    /// Its id: also Linux's `mm->context.ctx_id`, never reused, which the per-CPU ASID tables match on.
    pub id: MmId,
    /// Frame of the root page table (`mm->pgd`, loaded into CR3).
    pub root: Pfn,
    /// The VMAs.
    pub vmas: VmaTree,
    /// `mm->start_brk`.
    pub start_brk: VirtAddr,
    /// `mm->brk`.
    pub brk: VirtAddr,
    /// Top-down mmap allocations start below this (`mm->mmap_base`).
    pub mmap_base: VirtAddr,
    /// `RLIMIT_STACK` in bytes.
    pub stack_limit: u64,
    /// Counters.
    pub counters: MmCounters,
    /// The memory group new pages are charged to (`mm->owner`'s group).
    pub memcg: MemcgId,
    /// Tasks using it (`mm_users`).
    pub users: u32,
    /// `MMF_VM_MERGE_ANY` (`prctl(PR_SET_MEMORY_MERGE)`): new private anonymous VMAs are mergeable by KSM.
    pub merge_any: bool,
}

impl Mm {
    /// Its page tables as the page-table code names them.
    pub fn pgd(&self) -> Pgd {
        Pgd { root: self.root, mm: self.id }
    }

    /// `mm->total_vm`: pages covered by VMAs (VmSize).
    pub fn total_vm(&self) -> u64 {
        self.vmas.iter().map(|v| v.len() / crate::addr::PAGE_SIZE).sum()
    }

    /// Raise `hiwater_vm` to the current `total_vm` (call after a VMA is added or grows).
    pub fn update_hiwater_vm(&mut self) {
        self.counters.hiwater_vm = self.counters.hiwater_vm.max(self.total_vm());
    }

    /// Count `delta` resident anonymous pages, keeping the high-water mark.
    pub fn add_anon(&mut self, delta: i64) {
        self.counters.anon_pages = self.counters.anon_pages.saturating_add_signed(delta);
        self.update_hiwater_rss();
    }

    /// Count one more resident shared-memory page (`MM_SHMEMPAGES`), keeping the high-water mark.
    pub fn add_shmem(&mut self) {
        self.counters.shmem_pages += 1;
        self.update_hiwater_rss();
    }

    /// Count `delta` mapped file pages (`MM_FILEPAGES`), keeping the high-water mark.
    pub fn add_file(&mut self, delta: i64) {
        self.counters.file_pages = self.counters.file_pages.saturating_add_signed(delta);
        self.update_hiwater_rss();
    }

    /// `update_hiwater_rss()`: the peak of `get_mm_rss()` = anon + file + shmem.
    fn update_hiwater_rss(&mut self) {
        let c = &self.counters;
        self.counters.hiwater_rss = c.hiwater_rss.max(c.anon_pages + c.file_pages + c.shmem_pages);
    }
}

/// The live address spaces, by id (iteration in id order: deterministic).
#[derive(Debug, Default)]
pub struct MmArena {
    mms: BTreeMap<MmId, Mm>,
    next: u32,
}

impl MmArena {
    /// A fresh id, never handed out before.
    pub fn next_id(&mut self) -> MmId {
        self.next += 1;
        MmId(self.next)
    }
    /// Add an mm.
    pub fn insert(&mut self, mm: Mm) {
        self.mms.insert(mm.id, mm);
    }
    /// Remove an mm.
    pub fn remove(&mut self, id: MmId) -> Option<Mm> {
        self.mms.remove(&id)
    }
    /// One mm.
    pub fn get(&self, id: MmId) -> Option<&Mm> {
        self.mms.get(&id)
    }
    /// One mm, mutably.
    pub fn get_mut(&mut self, id: MmId) -> Option<&mut Mm> {
        self.mms.get_mut(&id)
    }
    /// Every live mm in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Mm> {
        self.mms.values()
    }
    /// Number of live mms.
    pub fn len(&self) -> usize {
        self.mms.len()
    }
    /// Whether no mm is live.
    pub fn is_empty(&self) -> bool {
        self.mms.is_empty()
    }
}
