//! Process life cycle: `fork` (kernel/fork.c `copy_process` → `dup_mm` → `dup_mmap`, mm/memory.c
//! `copy_page_range`), threads (`clone` with `CLONE_VM`), `execve` (fs/exec.c `exec_mmap`), `wait4`
//! (kernel/exit.c), LINUX-VM-SPEC §4.
//!
//! **fork** copies the VMAs and, for the VMAs that need it, the page tables (`vma_needs_copy`: anonymous VMAs that
//! have an `anon_vma`, i.e. ever held an anonymous page; a VMA that was only read, mapping the zero page, is
//! not copied and the child faults it in anew). Each present anonymous page becomes shared: one more
//! reference and one more mapping (`folio_try_dup_anon_rmap_pte`), `PG_anon_exclusive` cleared, and in a COW
//! mapping (private and writable, `is_cow_mapping`) both the parent's and the child's PTE write-protected
//! (`ptep_set_wrprotect`); the child's copy is made old (`pte_mkold`). The shared zero page is copied as it is.
//! A swap entry is copied with one more reference on its slot (`swap_duplicate`). At the end the parent's TLB
//! entries are flushed (`flush_tlb_mm(oldmm)` in `dup_mmap`): every CPU that may hold them forgets them, so the
//! parent's next write faults and takes the copy-on-write path of kernel/fault.rs (`do_wp_page`).
//!
//! File and shared mappings have no `anon_vma` unless a private file mapping got copy-on-write pages, so the child
//! faults their pages in from the page cache or the shmem object; a private file mapping with an `anon_vma` has its
//! PTEs copied, page-cache pages counted in the child's RssFile.
//!
//! Simplifies: no `VM_DONTCOPY`/`VM_WIPEONFORK` (no `MADV_DONTFORK`), no pinned pages (which fork must copy at
//! once). fork charges overcommit for the child's accountable VMAs (`dup_mmap` → `security_vm_enough_memory_mm`).

use super::error::{Cause, Errno, SysError, SysOp};
use super::mm::{Mm, MmCounters};
use super::pgtable::{self, PteAllocError};
use super::task::{Pid, Task};
use super::tlbflush::TlbFlush;
use super::{Kernel, Layout};
use crate::arch::{PagingMode, Perms, Pte};
use crate::phys::rmap::{self, MmId, RmapEntry};
use crate::phys::PageFlags;

/// What `wait4` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// A child had exited; it is now reaped.
    Reaped(Pid),
    /// Children exist but none has exited yet: the caller blocks.
    WouldBlock,
}

impl<M: PagingMode> Kernel<M> {
    fn running_task(&self, pid: Pid, op: SysOp) -> Result<&Task, SysError> {
        self.tasks
            .get(&pid)
            .filter(|t| t.is_running() && t.mm.is_some())
            .ok_or_else(|| SysError::new(op, None, Errno::Srch, Cause::ProcessNotRunning))
    }

    /// `fork()`: a new process `name` whose address space is a copy-on-write copy of `parent`'s. Returns the
    /// child's pid. `ENOMEM` if page tables for the copy cannot be allocated (the half-built child is freed).
    pub fn fork(&mut self, parent: Pid, name: &str) -> Result<Pid, SysError> {
        let p = self.running_task(parent, SysOp::Fork)?;
        let (old_id, memcg) = (p.mm.unwrap_or_default(), p.memcg);
        let not_running = || SysError::new(SysOp::Fork, None, Errno::Srch, Cause::ProcessNotRunning);
        let old = self.mms.get(old_id).ok_or_else(not_running)?;
        // The child's VMAs are the parent's (copied below), so the fresh mm gets no stack VMA of its own.
        let layout = Layout {
            brk_start: old.start_brk,
            mmap_base: old.mmap_base,
            stack_top: old.mmap_base,
            stack_pages: 0,
            stack_limit: old.stack_limit,
        };
        let (vmas, brk, old_memcg) = (old.vmas.clone(), old.brk, old.memcg);
        // dup_mmap(): each VM_ACCOUNT VMA is charged again for the child (`security_vm_enough_memory_mm(oldmm,
        // len)`); charging the sum at once decides as the per-VMA checks do, since the count only grows.
        let charge: u64 = vmas.iter().map(super::vma::Vma::accounted_pages).sum();
        if !self.vm_enough_memory(Some(old_id), charge, self.cap_sys_admin(parent)) {
            return Err(SysError::new(SysOp::Fork, None, Errno::NoMem, self.overcommit_cause(charge)));
        }
        let oom = || SysError::new(SysOp::Fork, None, Errno::NoMem, Cause::PageTableOom);
        let Some(new_id) = self.new_mm(&layout) else {
            self.vm_unacct_memory(charge);
            return Err(oom());
        };
        if let Some(mm) = self.mms.get_mut(new_id) {
            mm.vmas = vmas.clone();
            mm.brk = brk;
            mm.memcg = old_memcg;
            // dup_mm(): mm->hiwater_vm = mm->total_vm (kernel/fork.c).
            mm.update_hiwater_vm();
        }
        for v in vmas.iter() {
            // vma_needs_copy(): only a VMA with an anon_vma has its PTEs copied; one that was only read (zero-page
            // PTEs) or never touched gets none, and the child faults its pages in itself.
            if !v.anon_vma {
                continue;
            }
            if let Err(e) = self.copy_page_range(old_id, new_id, v.start, v.end, v.flags) {
                self.discard_mm(new_id);
                return Err(e);
            }
        }
        // dup_mmap() ends with flush_tlb_mm(oldmm): the parent's writable translations are gone everywhere.
        self.flush(TlbFlush::mm(old_id));
        let pid = self.start_task(name, new_id, None, memcg, Some(parent));
        self.events.forks += 1;
        Ok(pid)
    }

    /// `copy_page_range()` for `[start, end)` of `src` into `dst` (`copy_pte_range` → `copy_present_pte` /
    /// `copy_nonpresent_pte`).
    fn copy_page_range(
        &mut self,
        src: MmId,
        dst: MmId,
        start: crate::addr::VirtAddr,
        end: crate::addr::VirtAddr,
        vm_flags: super::vma::VmFlags,
    ) -> Result<(), SysError> {
        let Some(src_pgd) = self.mms.get(src).map(Mm::pgd) else { return Ok(()) };
        let Some(dst_pgd) = self.mms.get(dst).map(Mm::pgd) else { return Ok(()) };
        // is_cow_mapping(): private and may be written (anonymous mmaps always carry VM_MAYWRITE).
        let cow = !vm_flags.contains(super::vma::VmFlags::SHARED);
        let zero = self.zero_pfn();
        for (src_slot, _) in pgtable::leaves::<M>(&self.mem, src_pgd, start, end) {
            let va = src_slot.va();
            self.reserve_table_frames(usize::from(M::LEVELS));
            let mut tables = 0;
            let dst_slot = pgtable::pte_alloc::<M>(&mut self.mem, &mut self.frames, dst_pgd, va, &mut tables);
            self.add_tables(dst, tables);
            let dst_slot = match dst_slot {
                Ok(s) => s,
                Err(PteAllocError::NoFrame) => {
                    return Err(SysError::new(SysOp::Fork, Some(va), Errno::NoMem, Cause::PageTableOom))
                }
                Err(PteAllocError::HugeLeaf(size)) => {
                    return Err(SysError::new(
                        SysOp::Fork,
                        Some(va),
                        Errno::NoMem,
                        Cause::HugePage { vpn: va.vpn(), size },
                    ))
                }
            };
            // Read the parent's entry now: reserving table frames may have reclaimed (and so changed) it.
            let pte = src_slot.read::<M>(&self.mem);
            if pte.is_none() {
                continue;
            }
            if let Some(entry) = pte.swap_entry() {
                // copy_nonpresent_pte(): swap_duplicate().
                self.swap.dup(entry);
                let (_, f) = pgtable::set::<M>(&mut self.mem, dst_slot, pte);
                self.flush(f);
                if let Some(mm) = self.mms.get_mut(dst) {
                    mm.counters.swap_ents += 1;
                }
                continue;
            }
            if !(pte.is_present() || pte.is_protnone()) {
                continue;
            }
            let pfn = pte.pfn();
            let mut child = pte.without_status(Perms::ACCESSED); // pte_mkold()
            if pfn != zero {
                // folio_try_dup_anon_rmap_pte(): the page is now shared, so no longer exclusive.
                let m = self.mem.meta_mut(pfn);
                m.refcount += 1;
                m.clear(PageFlags::ANON_EXCLUSIVE);
                rmap::add(&mut self.mem, pfn, RmapEntry::pte(dst, va.vpn()));
                let file = self.mem.meta(pfn).is_file();
                if let Some(mm) = self.mms.get_mut(dst) {
                    if file {
                        mm.add_file(1); // a page-cache page of a private file mapping that also has COW copies
                    } else {
                        mm.add_anon(1);
                    }
                }
                if cow && pte.perms().contains(Perms::WRITE) {
                    // ptep_set_wrprotect(src) and pte_wrprotect(child); the flush comes once, for the whole mm.
                    let wp = M::Pte::leaf(pfn, pte.perms() - Perms::WRITE, src_slot.size());
                    let (_, f) = pgtable::set::<M>(&mut self.mem, src_slot, wp);
                    f.covered_by(src);
                    child = M::Pte::leaf(pfn, child.perms() - Perms::WRITE, src_slot.size());
                }
            }
            let (_, f) = pgtable::set::<M>(&mut self.mem, dst_slot, child);
            self.flush(f);
        }
        Ok(())
    }

    /// Free an address space that never ran (a fork that failed half-way).
    fn discard_mm(&mut self, id: MmId) {
        let _ = self.exit_mmap(id);
    }

    /// `clone(CLONE_VM | CLONE_THREAD | …)`: a new thread `name` in `parent`'s thread group, sharing its address
    /// space (`mm_users` + 1). It runs on the next CPU in turn.
    pub fn clone_thread(&mut self, parent: Pid, name: &str) -> Result<Pid, SysError> {
        let p = self.running_task(parent, SysOp::Clone)?;
        let (mm_id, tgid, memcg) = (p.mm.unwrap_or_default(), p.tgid, p.memcg);
        if let Some(mm) = self.mms.get_mut(mm_id) {
            mm.users += 1;
        }
        let pid = self.start_task(name, mm_id, Some(tgid), memcg, Some(parent));
        Ok(pid)
    }

    /// `execve()`: `pid` gets a fresh address space laid out as `layout` (`exec_mmap`); the old one is released
    /// if this was its last user. Fault counters carry over, as Linux keeps `min_flt` across exec.
    pub fn execve(&mut self, pid: Pid, layout: &Layout) -> Result<(), SysError> {
        let t = self.running_task(pid, SysOp::Execve)?;
        let (old, memcg) = (t.mm.unwrap_or_default(), t.memcg);
        let new =
            self.new_mm(layout).ok_or_else(|| SysError::new(SysOp::Execve, None, Errno::NoMem, Cause::PageTableOom))?;
        if let Some(mm) = self.mms.get_mut(new) {
            mm.memcg = memcg;
        }
        if let Some(t) = self.tasks.get_mut(&pid) {
            t.mm = Some(new);
        }
        self.release_mm(old);
        Ok(())
    }

    /// Drop one user of `mm` (`mmput`), tearing it down when it was the last.
    pub(crate) fn release_mm(&mut self, mm: MmId) -> Option<MmCounters> {
        self.running = None;
        let last = self.mms.get_mut(mm).is_some_and(|m| {
            m.users -= 1;
            m.users == 0
        });
        if last {
            self.exit_mmap(mm)
        } else {
            self.mms.get(mm).map(|m| m.counters)
        }
    }

    /// `wait4(child or -1)`: reap an exited child of `parent` (the given one, or any), or say it would block.
    /// `ECHILD` when there is no such child (or every child was already reaped).
    ///
    /// A child is a thread-group leader (`eligible_child`, kernel/exit.c, without `__WALL` skips the others). A
    /// leader that has exited while other threads of its group still run is not reaped: `wait_consider_task` reaps
    /// an `EXIT_ZOMBIE` only when `!delay_group_leader(p)` (`thread_group_leader(p) && !thread_group_empty(p)`,
    /// include/linux/sched/signal.h), and otherwise clears `notask_error`, so wait blocks instead of failing with
    /// ECHILD. The group empties as its other threads exit (each releases itself, `release_task`).
    pub fn wait(&mut self, parent: Pid, child: Option<Pid>) -> Result<WaitStatus, SysError> {
        let candidates: Vec<(Pid, bool)> = self
            .tasks
            .values()
            .filter(|t| t.parent == Some(parent) && !t.reaped && t.tgid == t.pid)
            .filter(|t| child.is_none_or(|c| c == t.pid))
            .map(|t| (t.pid, t.is_running() || self.delay_group_leader(t.pid)))
            .collect();
        if candidates.is_empty() {
            return Err(SysError::new(SysOp::Wait, None, Errno::Child, Cause::NoChild));
        }
        match candidates.iter().find(|(_, running)| !running) {
            Some(&(c, _)) => {
                if let Some(t) = self.tasks.get_mut(&c) {
                    t.reaped = true;
                }
                Ok(WaitStatus::Reaped(c))
            }
            None => Ok(WaitStatus::WouldBlock),
        }
    }

    /// `delay_group_leader(p)`: `leader` leads a thread group in which another thread still runs.
    fn delay_group_leader(&self, leader: Pid) -> bool {
        self.tasks.values().any(|t| t.tgid == leader && t.pid != leader && t.is_running())
    }
}
