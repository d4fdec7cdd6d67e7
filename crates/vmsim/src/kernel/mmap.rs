//! Mapping system calls: `mmap` (anonymous private), `munmap`, `mprotect`, `brk` (mm/mmap.c, mm/mprotect.c,
//! mm/vma.c; LINUX-VM-SPEC §4.4).
//!
//! Simplifies: anonymous private mappings only (file and shared mappings arrive later); no VMA merging.

use super::task::Pid;
use super::tlbflush::FlushBatch;
use super::vma::{VmFlags, Vma, VmaKind};
use super::{pgtable, Kernel};
use crate::addr::{VirtAddr, PAGE_SIZE};
use crate::arch::{PagingMode, Perms, Pte};
use crate::phys::PageFlags;

/// An `errno` returned by a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Errno {
    /// `EINVAL`: bad alignment or length.
    #[error("EINVAL")]
    Inval,
    /// `ENOMEM`: no room in the address space, or the range is not mapped.
    #[error("ENOMEM")]
    NoMem,
    /// `ESRCH`: the process is not running.
    #[error("ESRCH")]
    Srch,
}

/// Arguments of an anonymous mmap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmapArgs {
    /// Hint or (with `fixed`) exact address.
    pub addr: Option<VirtAddr>,
    /// Length in bytes (rounded up to pages).
    pub len: u64,
    /// Protection.
    pub prot: VmFlags,
    /// `MAP_FIXED`: place exactly at `addr`, replacing what is there.
    pub fixed: bool,
    /// `MAP_GROWSDOWN`.
    pub grows_down: bool,
    /// A name for reports.
    pub name: Option<String>,
}

fn page_len(len: u64) -> Result<u64, Errno> {
    if len == 0 {
        return Err(Errno::Inval);
    }
    VirtAddr::new(len).page_align_up().map(VirtAddr::raw).ok_or(Errno::NoMem)
}

impl<M: PagingMode> Kernel<M> {
    /// `mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS[|MAP_FIXED], -1, 0)`.
    pub fn mmap(&mut self, pid: Pid, args: &MmapArgs) -> Result<VirtAddr, Errno> {
        let len = page_len(args.len)?;
        let gap = self.cfg.stack_guard_gap;
        let top = user_top::<M>();
        let start = match (args.addr, args.fixed) {
            (Some(a), true) => {
                if !a.is_page_aligned() {
                    return Err(Errno::Inval);
                }
                let end = a.checked_add(len).ok_or(Errno::NoMem)?;
                if end.raw() > top {
                    return Err(Errno::NoMem);
                }
                // MAP_FIXED replaces whatever was mapped there (do_mmap → __do_munmap).
                self.munmap(pid, a, len)?;
                a
            }
            (hint, _) => {
                let mm = self.mm_of(pid).ok_or(Errno::Srch)?;
                let hinted = hint.filter(|h| {
                    h.is_page_aligned()
                        && h.checked_add(len).is_some_and(|e| e.raw() <= top && !mm.vmas.overlaps(*h, e))
                });
                match hinted {
                    Some(h) => h,
                    None => mm
                        .vmas
                        .find_gap_topdown(len, VirtAddr::new(PAGE_SIZE * 16), mm.mmap_base, gap)
                        .ok_or(Errno::NoMem)?,
                }
            }
        };
        let end = start.checked_add(len).ok_or(Errno::NoMem)?;
        let mut flags = args.prot;
        if flags.contains(VmFlags::WRITE) {
            flags |= VmFlags::ACCOUNT; // accountable_mapping(): private writable (SPEC §7)
        }
        if args.grows_down {
            flags |= VmFlags::GROWSDOWN;
        }
        let vma = Vma { start, end, flags, kind: VmaKind::Anon, name: args.name.clone() };
        self.mm_of_mut(pid).ok_or(Errno::Srch)?.vmas.insert(vma).map_err(|_| Errno::NoMem)?;
        Ok(start)
    }

    /// Map an implicit VMA covering `[start, end)` (trace replay: every page a trace touches is legal).
    pub fn map_trace_region(&mut self, pid: Pid, start: VirtAddr, end: VirtAddr) -> Result<(), Errno> {
        let vma = Vma {
            start,
            end,
            flags: VmFlags::READ | VmFlags::WRITE | VmFlags::EXEC,
            kind: VmaKind::Trace,
            name: Some("trace".into()),
        };
        self.mm_of_mut(pid).ok_or(Errno::Srch)?.vmas.insert(vma).map_err(|_| Errno::NoMem)
    }

    /// `munmap(addr, len)`: split VMAs, zap PTEs, free empty page tables, flush the TLB (SPEC §4.4). Unmapping
    /// holes is not an error; an unaligned start is `EINVAL`.
    pub fn munmap(&mut self, pid: Pid, addr: VirtAddr, len: u64) -> Result<(), Errno> {
        if !addr.is_page_aligned() {
            return Err(Errno::Inval);
        }
        let len = page_len(len)?;
        let end = addr.checked_add(len).ok_or(Errno::Inval)?;
        let mm = self.mm_of_mut(pid).ok_or(Errno::Srch)?;
        let (mm_id, pgd) = (mm.id, mm.pgd());
        let removed = mm.vmas.remove_range(addr, end);
        let mut batch = FlushBatch::new();
        for v in &removed {
            batch = self.zap_range(mm_id, v.start, v.end, batch);
        }
        if !removed.is_empty() {
            // free_pgtables(): free the tables under the hole that the zap left empty; a table still holding a
            // neighbour's entries is not empty and survives.
            let (freed, flush) = pgtable::free_empty_tables::<M>(&mut self.mem, &mut self.frames, pgd, addr, end);
            flush.defer(&mut batch);
            self.page_table_frames -= freed;
            if let Some(mm) = self.mms.get_mut(mm_id) {
                mm.counters.pgtable_frames -= freed;
            }
        }
        self.finish(batch);
        Ok(())
    }

    /// `mprotect(addr, len, prot)`: split VMAs, change flags and PTE permissions, flush the TLB (SPEC §4.4).
    /// A range with unmapped pages is `ENOMEM`. Private pages stay read-only unless exclusively owned, so a
    /// later write still takes a write-protect fault (`can_change_pte_writable`, mm/mprotect.c).
    pub fn mprotect(&mut self, pid: Pid, addr: VirtAddr, len: u64, prot: VmFlags) -> Result<(), Errno> {
        if !addr.is_page_aligned() {
            return Err(Errno::Inval);
        }
        let len = page_len(len)?;
        let end = addr.checked_add(len).ok_or(Errno::NoMem)?;
        let zero = self.zero_pfn();
        let mm = self.mm_of_mut(pid).ok_or(Errno::Srch)?;
        if !mm.vmas.covers(addr, end) {
            return Err(Errno::NoMem);
        }
        for v in mm.vmas.range_mut(addr, end) {
            let keep = v.flags - VmFlags::ACCESS;
            v.flags = keep | prot;
            if prot.contains(VmFlags::WRITE) {
                v.flags |= VmFlags::ACCOUNT;
            }
        }
        let pgd = mm.pgd();
        let mut batch = FlushBatch::new();
        for (slot, pte) in pgtable::leaves::<M>(&self.mem, pgd, addr, end) {
            if !(pte.is_present() || pte.is_protnone()) {
                continue;
            }
            let pfn = pte.pfn();
            let status = pte.perms() & (Perms::ACCESSED | Perms::DIRTY);
            let mut perms = prot.page_prot() | status;
            let exclusive = pfn != zero && self.mem.meta(pfn).test(PageFlags::ANON_EXCLUSIVE);
            if prot.contains(VmFlags::WRITE) && exclusive {
                perms |= Perms::WRITE;
            }
            let new = M::Pte::leaf(pfn, perms, slot.size());
            if new != pte {
                let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, new);
                flush.defer(&mut batch);
            }
        }
        self.finish(batch);
        Ok(())
    }

    /// `brk(new)`: move the program break (mm/mmap.c `SYSCALL_DEFINE1(brk)`). Returns the resulting break;
    /// like Linux, a request that cannot be met leaves the break unchanged and returns the old value.
    pub fn brk(&mut self, pid: Pid, new: VirtAddr) -> Result<VirtAddr, Errno> {
        let mm = self.mm_of(pid).ok_or(Errno::Srch)?;
        let (start_brk, old) = (mm.start_brk, mm.brk);
        if new < start_brk {
            return Ok(old);
        }
        let old_end = old.page_align_up().ok_or(Errno::NoMem)?;
        let new_end = new.page_align_up().ok_or(Errno::NoMem)?;
        if new_end < old_end {
            self.munmap(pid, new_end, old_end.raw() - new_end.raw())?;
            if new_end > start_brk {
                self.mm_of_mut(pid).ok_or(Errno::Srch)?.vmas.set_end(start_brk, new_end);
            }
        } else if new_end > old_end {
            let mm = self.mm_of_mut(pid).ok_or(Errno::Srch)?;
            // check_brk_limits + find_vma_intersection(mm, oldbrk, newbrk + PAGE_SIZE): keep a page free.
            let guard_end = new_end.checked_add(PAGE_SIZE).ok_or(Errno::NoMem)?;
            if mm.vmas.overlaps(old_end, guard_end) {
                return Ok(old);
            }
            if old_end == start_brk.page_align_up().ok_or(Errno::NoMem)? && mm.vmas.find(start_brk).is_none() {
                let vma = Vma {
                    start: old_end,
                    end: new_end,
                    flags: VmFlags::READ | VmFlags::WRITE | VmFlags::ACCOUNT,
                    kind: VmaKind::Heap,
                    name: None,
                };
                mm.vmas.insert(vma).map_err(|_| Errno::NoMem)?;
            } else {
                let heap_start =
                    mm.vmas.iter().find(|v| v.kind == VmaKind::Heap).map(|v| v.start).ok_or(Errno::NoMem)?;
                mm.vmas.set_end(heap_start, new_end);
            }
        }
        self.mm_of_mut(pid).ok_or(Errno::Srch)?.brk = new;
        Ok(new)
    }
}

/// Top of the user address space for `M` (x86-64: `TASK_SIZE_MAX = (1 << 47) - 4096`, SPEC §1).
pub fn user_top<M: PagingMode>() -> u64 {
    if M::VA_BITS >= 39 {
        (1u64 << (M::VA_BITS - 1)) - PAGE_SIZE
    } else {
        1u64 << M::VA_BITS
    }
}
