//! The page-fault handler: `do_user_addr_fault` (arch/x86/mm/fault.c), `handle_mm_fault`/`handle_pte_fault`,
//! `do_anonymous_page`, `do_wp_page` (mm/memory.c), `expand_stack` (mm/mmap.c). LINUX-VM-SPEC §4.1–§4.2.
//!
//! File mappings go to kernel/filemap.rs (`do_read_fault`, `do_cow_fault`, `do_shared_fault`), shared anonymous
//! memory to kernel/shmem.rs, swap entries to kernel/swapin.rs.
//!
//! Simplifies: no THP, no userfaultfd, no protection keys.

use super::pgtable::{PteAllocError, PteSlot};
use super::signal::{SegvCode, SegvInfo};
use super::task::{Pid, TaskState};
use super::vma::VmFlags;
use super::{pgtable, Kernel};
use crate::addr::VirtAddr;
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::{Access, Fault};
use crate::phys::rmap::{self, RmapEntry};
use crate::phys::PageFlags;

/// `vm.mmap_min_addr`: 65536, the `CONFIG_DEFAULT_MMAP_MIN_ADDR` of x86 distribution kernels (Debian, Ubuntu,
/// Fedora; security/Kconfig suggests 65536 for x86): nothing is mapped, and no stack grows, below it.
pub const MMAP_MIN_ADDR: u64 = 65536;

/// What the fault handler did (`vm_fault_t` as `mm_account_fault` sees it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// Resolved without I/O (`min_flt`).
    Minor,
    /// Resolved with I/O (`maj_flt`).
    Major,
    /// SIGSEGV: the process was killed.
    Segv(SegvInfo),
    /// `VM_FAULT_OOM`: no frame could be found; the process was killed.
    Oom,
}

impl<M: PagingMode> Kernel<M> {
    /// Handle a fault raised by the MMU for a user access by `pid` (`exc_page_fault` → `do_user_addr_fault`).
    pub fn handle_fault(&mut self, pid: Pid, fault: Fault, access: Access) -> FaultOutcome {
        let va = fault.va();
        let segv = |code| SegvInfo { addr: va, code, access };
        if let Fault::NonCanonical { .. } = fault {
            // #GP in user mode is delivered as SIGSEGV with SI_KERNEL (arch/x86/kernel/traps.c).
            return self.segv(pid, segv(SegvCode::Kernel));
        }
        // SPEC §4.1 step 1: find the VMA; below a growsdown VMA, try to grow the stack.
        let Some(mm) = self.mm_of(pid) else { return FaultOutcome::Segv(segv(SegvCode::MapErr)) };
        let (vma_flags, file) = match mm.vmas.find(va) {
            Some(v) => (v.flags, matches!(v.kind, super::vma::VmaKind::File { .. })),
            None => match self.try_expand_stack(pid, va) {
                Some(flags) => (flags, false),
                // No VMA, no growsdown neighbour: SEGV_MAPERR; pgfault is not counted.
                None => return self.segv(pid, segv(SegvCode::MapErr)),
            },
        };
        // SPEC §4.1 step 2: x86 access_error(), in the kernel's order.
        if access_error(fault, access, vma_flags) {
            return self.segv(pid, segv(SegvCode::AccErr));
        }
        // SPEC §4.1 step 3: handle_mm_fault counts pgfault before resolving.
        self.events.pgfault += 1;
        let mut result = self.handle_pte_fault(pid, va, access, vma_flags, file);
        // Chosen by the OOM killer during this fault: SIGKILL takes effect on the way back to user space.
        if !self.oom.pending.is_empty() {
            let tgid = self.tasks.get(&pid).map_or(pid, |t| t.tgid);
            if self.oom.pending.remove(&pid) || self.oom.pending.remove(&tgid) {
                result = FaultOutcome::Oom;
            }
        }
        // SPEC §4.1 step 4: mm_account_fault — errors are not counted in min/maj.
        match result {
            FaultOutcome::Minor => {
                self.clock.advance(self.clock.rates.minor_fault_ps);
                self.events.min_flt += 1;
                if let Some(t) = self.tasks.get_mut(&pid) {
                    t.counters.min_flt += 1;
                }
            }
            FaultOutcome::Major => {
                // A page decompressed from zswap costs no device I/O (it is still a major fault, as in Linux).
                let cost = if std::mem::take(&mut self.zswap_fault) {
                    self.events.maj_flt_zswap += 1;
                    self.clock.rates.zswap_load_ps
                } else {
                    self.clock.rates.major_fault_ps
                };
                self.clock.advance(cost);
                self.events.maj_flt += 1;
                if let Some(t) = self.tasks.get_mut(&pid) {
                    t.counters.maj_flt += 1;
                }
            }
            FaultOutcome::Oom => self.kill(pid, TaskState::OutOfMemory),
            FaultOutcome::Segv(_) => {}
        }
        result
    }

    pub(crate) fn segv(&mut self, pid: Pid, info: SegvInfo) -> FaultOutcome {
        self.kill(pid, TaskState::Segv(info));
        FaultOutcome::Segv(info)
    }

    /// `expand_stack()` / `expand_downwards()` (mm/mmap.c; SPEC §4.1 "Stack growth"): grow the growsdown VMA
    /// above `va` down to the page containing it, unless that exceeds RLIMIT_STACK or comes closer than
    /// `stack_guard_gap` to the previous VMA (unless that one is growsdown itself or inaccessible).
    fn try_expand_stack(&mut self, pid: Pid, va: VirtAddr) -> Option<VmFlags> {
        let gap = self.cfg.stack_guard_gap;
        let mm = self.mm_of(pid)?;
        let next = mm.vmas.find_vma(va)?;
        if !next.flags.contains(VmFlags::GROWSDOWN) {
            return None;
        }
        let new_start = va.page_align_down();
        // expand_downwards() (mm/mmap.c): `if (address < mmap_min_addr) return -EPERM;` (security_mmap_addr):
        // no stack below vm.mmap_min_addr.
        if new_start.raw() < MMAP_MIN_ADDR {
            return None;
        }
        if next.end.raw() - new_start.raw() > mm.stack_limit {
            return None;
        }
        if let Some(prev) = mm.vmas.prev(new_start.checked_add(1)?) {
            if !prev.flags.contains(VmFlags::GROWSDOWN)
                && prev.flags.is_accessible()
                && new_start.raw() - prev.end.raw() < gap
            {
                return None;
            }
        }
        let (old_start, flags) = (next.start, next.flags);
        // acct_stack_growth(): `if (security_vm_enough_memory_mm(mm, grow)) return -ENOMEM;`
        let (mm_id, grow) = (mm.id, (old_start.raw() - new_start.raw()) / crate::addr::PAGE_SIZE);
        if flags.contains(VmFlags::ACCOUNT) && !self.vm_enough_memory(Some(mm_id), grow, self.cap_sys_admin(pid)) {
            return None;
        }
        let mm = self.mm_of_mut(pid)?;
        mm.vmas.move_start(old_start, new_start);
        mm.update_hiwater_vm();
        self.events.stack_grow += 1;
        Some(flags)
    }

    /// `handle_pte_fault()` (SPEC §4.1 table); `file` says the VMA maps a file.
    fn handle_pte_fault(
        &mut self,
        pid: Pid,
        va: VirtAddr,
        access: Access,
        vma_flags: VmFlags,
        file: bool,
    ) -> FaultOutcome {
        let Some(mm) = self.mm_of(pid) else { return FaultOutcome::Oom };
        let (pgd, mm_id) = (mm.pgd(), mm.id);
        self.reserve_table_frames(usize::from(M::LEVELS));
        let mut tables = 0;
        let slot = pgtable::pte_alloc::<M>(&mut self.mem, &mut self.frames, pgd, va, &mut tables);
        self.add_tables(mm_id, tables);
        let slot = match slot {
            Ok(s) => s,
            Err(PteAllocError::NoFrame) => {
                self.events.oom += 1;
                return FaultOutcome::Oom;
            }
            // No path maps huge pages yet; a huge leaf here would be a model bug, reported as a failed fault.
            Err(PteAllocError::HugeLeaf(_)) => return FaultOutcome::Oom,
        };
        let pte = slot.read::<M>(&self.mem);
        let prot = vma_flags.page_prot();
        let rmap_entry = slot.rmap_entry();

        if pte.is_none() && file {
            // do_fault() for a VMA with vm_ops: a file mapping.
            let file_vma = self.mm_of(pid).and_then(|mm| mm.vmas.find(va)).filter(|v| v.kind.file_index(va).is_some());
            if let Some(vma) = file_vma.cloned() {
                return self.do_file_fault(pid, slot, va, access, &vma);
            }
        }
        if pte.is_none() && vma_flags.contains(VmFlags::SHARED) {
            return self.do_shmem_fault(pid, slot, va, access, prot);
        }
        if pte.is_none() {
            // do_anonymous_page(): a read maps the shared zero page read-only (no RSS, no allocation) …
            if access != Access::Write && self.cfg.zero_page {
                let zero = M::Pte::leaf(self.zero_pfn(), prot, PageSizeKind::Size4K);
                let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, zero);
                self.flush(flush);
                self.events.zero_page_maps += 1;
                return FaultOutcome::Minor;
            }
            // … a write (or any access without the zero page) gets a zeroed page, writable+dirty+young.
            let memcg = self.memcg_of(pid);
            self.lru_mut(memcg).miss(policy_key(rmap_entry));
            if !self.memcg_try_charge(pid) {
                return FaultOutcome::Oom; // the group OOM killer has killed the task
            }
            let Some(pfn) = self.alloc_user_frame() else { return FaultOutcome::Oom };
            self.anon_vma_prepare(mm_id, va);
            self.new_anon_page(pfn, rmap_entry, true);
            let mut perms = prot | Perms::ACCESSED;
            if vma_flags.contains(VmFlags::WRITE) {
                perms |= Perms::WRITE | Perms::DIRTY;
            }
            let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(pfn, perms, PageSizeKind::Size4K));
            self.flush(flush);
            self.account_anon(pid, 1);
            return FaultOutcome::Minor;
        }
        if pte.swap_entry().is_some() {
            return self.do_swap_page(pid, va, slot, pte, access, vma_flags);
        }
        if pte.is_present()
            && access == Access::Write
            && !pte.perms().contains(Perms::WRITE)
            && vma_flags.contains(VmFlags::SHARED)
        {
            return self.shmem_wp(slot, pte);
        }
        if pte.is_present() && access == Access::Write && !pte.perms().contains(Perms::WRITE) {
            return self.do_wp_page(pid, slot, pte, rmap_entry);
        }
        // Present and permitted: a spurious fault (stale TLB entry). Make it young (and dirty on write).
        let bits = if access == Access::Write { Perms::ACCESSED | Perms::DIRTY } else { Perms::ACCESSED };
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, pte.with_status(bits));
        self.flush(flush);
        FaultOutcome::Minor
    }

    fn account_anon(&mut self, pid: Pid, delta: i64) {
        if let Some(mm) = self.mm_of_mut(pid) {
            mm.add_anon(delta);
        }
    }

    /// `do_wp_page()` (SPEC §4.2): zero page → new zeroed page; exclusive or sole-reference anon page → reuse;
    /// otherwise copy.
    fn do_wp_page(&mut self, pid: Pid, slot: PteSlot, pte: M::Pte, entry: RmapEntry) -> FaultOutcome {
        let old = pte.pfn();
        let perms = (pte.perms() & Perms::ACCESS_MASK) | Perms::WRITE | Perms::ACCESSED | Perms::DIRTY;
        if old != self.zero_pfn() && self.wp_can_reuse(old) {
            // wp_page_reuse(): no copy, just make it writable. The swap copy (if any) is now stale.
            self.folio_free_swap(old);
            self.mem.meta_mut(old).set(PageFlags::ANON_EXCLUSIVE);
            let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(old, perms, PageSizeKind::Size4K));
            self.flush(flush);
            self.events.wp_reuse += 1;
            return FaultOutcome::Minor;
        }
        // wp_page_copy(): allocate, copy (or zero for the zero page), map the copy writable, drop the old page.
        // The contents are taken before allocating: the allocation may reclaim, and if that unmaps the old page
        // the PTE no longer matches (`pte_same`) and the fault is retried, as Linux does.
        let contents = (old != self.zero_pfn()).then(|| Box::new(*self.mem.page(old)));
        if !self.memcg_try_charge(pid) {
            return FaultOutcome::Oom; // the group OOM killer has killed the task
        }
        let Some(new) = self.alloc_user_frame() else { return FaultOutcome::Oom };
        if slot.read::<M>(&self.mem) != pte {
            self.free_user_frame(new);
            return FaultOutcome::Minor;
        }
        self.anon_vma_prepare(entry.mm, slot.va());
        self.new_anon_page(new, entry, contents.is_none());
        match contents {
            None => self.account_anon(pid, 1),
            Some(data) => {
                if data.iter().any(|&b| b != 0) {
                    *self.mem.page_mut(new) = *data;
                } else {
                    self.mem.zero_frame(new);
                }
                if self.mem.meta(old).is_file() {
                    // A private file page becomes an anonymous copy: RssFile - 1, RssAnon + 1.
                    if let Some(mm) = self.mm_of_mut(pid) {
                        mm.add_file(-1);
                        mm.add_anon(1);
                    }
                }
                rmap::remove(&mut self.mem, old, entry);
                self.put_page(old);
                self.events.cow += 1;
            }
        }
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(new, perms, PageSizeKind::Size4K));
        self.flush(flush);
        FaultOutcome::Minor
    }

    /// Whether a write fault may reuse the anonymous page in `pfn` in place: it is exclusive to this mapping
    /// (`PageAnonExclusive`), or `wp_can_reuse_anon_folio()` (mm/memory.c) finds this mapping's reference the
    /// only one once a swap-cache copy no other PTE needs has been dropped (`folio_free_swap` fails while any
    /// swap entry still refers to the slot, e.g. in a forked sibling).
    fn wp_can_reuse(&mut self, pfn: crate::addr::Pfn) -> bool {
        let m = self.mem.meta(pfn);
        if m.test(PageFlags::ANON_EXCLUSIVE) {
            return true;
        }
        if !matches!(m.mapping, crate::phys::frame_meta::Mapping::Anon { .. }) {
            return false; // a file page mapped privately is always copied (do_wp_page: only anon folios reuse)
        }
        let swapcache = m.test(PageFlags::SWAPCACHE);
        if m.refcount > 1 + u32::from(swapcache) {
            return false;
        }
        if swapcache {
            let sole = m.swap.is_some_and(|e| self.swap.count(e) <= 1);
            if !sole {
                return false;
            }
            self.folio_free_swap(pfn);
        }
        self.mem.meta(pfn).refcount == 1
    }
}

/// x86 `access_error()` (arch/x86/mm/fault.c; SPEC §4.1 step 2). True means SEGV_ACCERR.
fn access_error(fault: Fault, access: Access, vma: VmFlags) -> bool {
    if access == Access::Write {
        return !vma.contains(VmFlags::WRITE);
    }
    // A read or fetch that found a present page (protection fault) is an error.
    if fault.is_protection() {
        return true;
    }
    !vma.is_accessible()
}

/// The key a policy's history (S3-FIFO's ghost queue) knows a page by: address space and page number.
pub(crate) fn policy_key(e: RmapEntry) -> u64 {
    (u64::from(e.mm.0) << 40) ^ e.vpn.raw()
}
