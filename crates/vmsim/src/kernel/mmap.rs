//! Mapping system calls: `mmap` (anonymous private), `munmap`, `mprotect`, `brk` (mm/mmap.c, mm/mprotect.c,
//! mm/vma.c; LINUX-VM-SPEC §4.4).
//!
//! `mmap` makes anonymous private, shared anonymous (kernel/shmem.rs) and file (kernel/filemap.rs) mappings.
//!
//! Simplifies: no VMA merging.
//!
//! Failures are [`SysError`]s carrying the errno Linux returns for the same request; each choice cites the
//! check in Linux that makes it.

use super::error::{Cause, Errno, SysError, SysOp};
use super::overcommit::OvercommitMode;
use super::task::Pid;
use super::tlbflush::FlushBatch;
use super::vma::{VmFlags, Vma, VmaKind};
use super::{pgtable, Kernel};
use crate::addr::{VirtAddr, PAGE_SIZE};
use crate::arch::{PagingMode, Perms, Pte};
use crate::phys::PageFlags;

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
    /// `MAP_SHARED` (with `MAP_ANONYMOUS`: shmem): the pages are shared with every process that inherits the
    /// mapping through fork, never copied on write.
    pub shared: bool,
    /// A name for reports.
    pub name: Option<String>,
    /// A file mapping: the file and the offset in bytes (page aligned) mapped at the start.
    pub file: Option<(crate::phys::frame_meta::InodeId, u64)>,
    /// `MAP_NORESERVE`: not charged to `Committed_AS` (ignored under `vm.overcommit_memory = 2`).
    pub noreserve: bool,
}

impl MmapArgs {
    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`: the everyday private
    /// anonymous read-write mapping, placed by the kernel.
    pub fn anon_rw(len: u64) -> Self {
        Self {
            addr: None,
            len,
            prot: VmFlags::READ | VmFlags::WRITE,
            fixed: false,
            grows_down: false,
            shared: false,
            name: None,
            file: None,
            noreserve: false,
        }
    }
}

/// `len` rounded up to whole pages: `EINVAL` for 0 (mm/mmap.c `do_mmap`: `if (!len) return -EINVAL`), `ENOMEM`
/// when rounding wraps (`len = PAGE_ALIGN(len); if (!len) return -ENOMEM`).
fn page_len(op: SysOp, addr: Option<VirtAddr>, len: u64) -> Result<u64, SysError> {
    if len == 0 {
        return Err(SysError::new(op, addr, Errno::Inval, Cause::ZeroLength));
    }
    VirtAddr::new(len)
        .page_align_up()
        .map(VirtAddr::raw)
        .ok_or_else(|| SysError::new(op, addr, Errno::NoMem, Cause::LengthOverflow { len }))
}

/// `ESRCH` for an operation on a task that is not running.
fn not_running(op: SysOp, addr: Option<VirtAddr>) -> SysError {
    SysError::new(op, addr, Errno::Srch, Cause::ProcessNotRunning)
}

impl<M: PagingMode> Kernel<M> {
    /// `mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS[|MAP_FIXED], -1, 0)`.
    ///
    /// Errors, as in Linux: `EINVAL` for a zero length or an unaligned `MAP_FIXED` address (`__get_unmapped_area`:
    /// `offset_in_page(addr)`); `ENOMEM` for a length that wraps, a fixed range beyond `TASK_SIZE`
    /// (`addr > TASK_SIZE - len`), or no free range (`get_unmapped_area`); `ESRCH` if the task is gone.
    pub fn mmap(&mut self, pid: Pid, args: &MmapArgs) -> Result<VirtAddr, SysError> {
        let err = |errno, cause| SysError::new(SysOp::Mmap, args.addr, errno, cause);
        let len = page_len(SysOp::Mmap, args.addr, args.len)?;
        let gap = self.cfg.stack_guard_gap;
        let top = user_top::<M>();
        let start = match (args.addr, args.fixed) {
            (Some(a), true) => {
                if !a.is_page_aligned() {
                    return Err(err(Errno::Inval, Cause::Unaligned));
                }
                let end = a.checked_add(len).ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
                if end.raw() > top {
                    return Err(err(Errno::NoMem, Cause::BeyondTaskSize { top }));
                }
                a
            }
            (hint, _) => {
                let mm = self.mm_of(pid).ok_or_else(|| not_running(SysOp::Mmap, hint))?;
                let hinted = hint.filter(|h| {
                    h.is_page_aligned()
                        && h.checked_add(len).is_some_and(|e| e.raw() <= top && !mm.vmas.overlaps(*h, e))
                });
                match hinted {
                    Some(h) => h,
                    None => mm
                        .vmas
                        .find_gap_topdown(len, VirtAddr::new(PAGE_SIZE * 16), mm.mmap_base, gap)
                        .ok_or_else(|| err(Errno::NoMem, Cause::NoAddressSpace { len }))?,
                }
            }
        };
        let end = start.checked_add(len).ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
        let mut flags = args.prot;
        if args.grows_down {
            flags |= VmFlags::GROWSDOWN;
        }
        if args.shared {
            flags |= VmFlags::SHARED;
        }
        // do_mmap(): `if ((flags & MAP_NORESERVE) && sysctl_overcommit_memory != OVERCOMMIT_NEVER)
        // vm_flags |= VM_NORESERVE;`
        if args.noreserve && self.cfg.overcommit.mode != OvercommitMode::Never {
            flags |= VmFlags::NORESERVE;
        }
        // mmap_region(): `if (accountable_mapping(file, vm_flags))` — `(vm_flags & (VM_NORESERVE | VM_SHARED |
        // VM_WRITE)) == VM_WRITE` — charge the pages less those of the mappings MAP_FIXED replaces
        // (`nr_accounted`), and fail with ENOMEM before anything is unmapped.
        let pages = len / PAGE_SIZE;
        let mm_id = self.mm_of(pid).ok_or_else(|| not_running(SysOp::Mmap, args.addr))?.id;
        let replaced = if args.fixed { self.accounted_pages(pid, start, end) } else { 0 };
        let accountable = flags & (VmFlags::NORESERVE | VmFlags::SHARED | VmFlags::WRITE) == VmFlags::WRITE;
        // shmem_zero_setup() → shmem_acct_size(): a shared anonymous object is charged its size unless
        // VM_NORESERVE.
        let shmem_charge = args.shared && args.file.is_none() && !flags.contains(VmFlags::NORESERVE);
        if accountable || shmem_charge {
            let charge = if accountable { pages.saturating_sub(replaced) } else { pages };
            if !self.vm_enough_memory(Some(mm_id), charge, self.cap_sys_admin(pid)) {
                return Err(err(Errno::NoMem, self.overcommit_cause(charge)));
            }
            if accountable {
                flags |= VmFlags::ACCOUNT;
                // The munmap below releases the replaced pages' charge, which the request already netted out.
                self.vm_acct_memory(replaced);
            }
        }
        if args.fixed {
            // MAP_FIXED replaces whatever was mapped there (do_mmap → __do_munmap).
            if let Err(e) = self.munmap(pid, start, len) {
                if accountable || shmem_charge {
                    self.vm_unacct_memory(pages); // everything this call charged
                }
                return Err(e.during(SysOp::Mmap));
            }
        }
        let kind = match (args.file, args.shared) {
            (Some((inode, offset)), _) => {
                if offset % PAGE_SIZE != 0 {
                    return Err(err(Errno::Inval, Cause::UnalignedOffset(offset)));
                }
                VmaKind::File { inode, base: start, pgoff: offset / PAGE_SIZE }
            }
            (None, true) => {
                let id = self.new_inode();
                let inode = self.shmem.create(id);
                if shmem_charge {
                    self.shmem.set_charged(inode, pages);
                }
                VmaKind::Shmem { inode, base: start }
            }
            (None, false) => VmaKind::Anon,
        };
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(SysOp::Mmap, args.addr))?;
        if mm.merge_any && kind == VmaKind::Anon {
            flags |= VmFlags::MERGEABLE; // ksm_vma_flags(): MMF_VM_MERGE_ANY
        }
        let vma = Vma { start, end, flags, kind, name: args.name.clone(), anon_vma: false };
        if let Err(o) = mm.vmas.insert(vma) {
            if accountable {
                self.vm_unacct_memory(pages); // (a shmem object's charge goes with the unused object)
            }
            self.shmem_release_unused();
            return Err(err(Errno::NoMem, Cause::VmaOverlap(o)));
        }
        mm.update_hiwater_vm();
        Ok(start)
    }

    /// Pages of `VM_ACCOUNT` mappings of `pid` inside `[start, end)` (`nr_accounted` of the range).
    fn accounted_pages(&self, pid: Pid, start: VirtAddr, end: VirtAddr) -> u64 {
        self.mm_of(pid).map_or(0, |mm| {
            mm.vmas
                .iter()
                .filter(|v| v.flags.contains(VmFlags::ACCOUNT) && v.start < end && v.end > start)
                .map(|v| (v.end.min(end).raw() - v.start.max(start).raw()) / PAGE_SIZE)
                .sum()
        })
    }

    /// Why a charge was refused, with the figures `/proc/meminfo` would show.
    pub(crate) fn overcommit_cause(&self, pages: u64) -> Cause {
        Cause::Overcommit {
            pages,
            mode: self.cfg.overcommit.mode.sysctl(),
            committed: self.overcommit.committed,
            limit: self.commit_limit(),
        }
    }

    /// Map an implicit VMA covering `[start, end)` (trace replay: every page a trace touches is legal).
    pub fn map_trace_region(&mut self, pid: Pid, start: VirtAddr, end: VirtAddr) -> Result<(), SysError> {
        let vma = Vma {
            start,
            end,
            flags: VmFlags::READ | VmFlags::WRITE | VmFlags::EXEC,
            kind: VmaKind::Trace,
            name: Some("trace".into()),
            anon_vma: false,
        };
        let (op, at) = (SysOp::MapTraceRegion, Some(start));
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
        mm.vmas.insert(vma).map_err(|o| SysError::new(op, at, Errno::NoMem, Cause::VmaOverlap(o)))?;
        mm.update_hiwater_vm();
        Ok(())
    }

    /// `munmap(addr, len)`: split VMAs, zap PTEs, free empty page tables, flush the TLB (SPEC §4.4). Unmapping
    /// holes is not an error; an unaligned start or a range that wraps is `EINVAL` (mm/vma.c `do_vmi_munmap`:
    /// `offset_in_page(start) || len > TASK_SIZE - start`).
    pub fn munmap(&mut self, pid: Pid, addr: VirtAddr, len: u64) -> Result<(), SysError> {
        let (op, at) = (SysOp::Munmap, Some(addr));
        if !addr.is_page_aligned() {
            return Err(SysError::new(op, at, Errno::Inval, Cause::Unaligned));
        }
        let len = page_len(op, at, len)?;
        let end = addr.checked_add(len).ok_or_else(|| SysError::new(op, at, Errno::Inval, Cause::RangeOverflow))?;
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
        let (mm_id, pgd) = (mm.id, mm.pgd());
        let removed = mm.vmas.remove_range(addr, end);
        // vms_complete_munmap_vmas() → vm_unacct_memory(nr_accounted).
        self.vm_unacct_memory(removed.iter().map(Vma::accounted_pages).sum());
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
        if removed.iter().any(|v| matches!(v.kind, VmaKind::Shmem { .. })) {
            self.shmem_release_unused();
        }
        Ok(())
    }

    /// `madvise(addr, len, MADV_DONTNEED)` (mm/madvise.c `madvise_dontneed_free` → `zap_page_range_single`):
    /// drop the pages of the range; private anonymous memory then reads back as zeros (the next read maps the
    /// zero page, the next write a new zeroed page). Page tables and VMAs stay. As Linux does, the mapped parts of a
    /// range with holes are still zapped and the call then fails with `ENOMEM`; an unaligned start is `EINVAL`.
    /// `"mergeable"` and `"unmergeable"` are `MADV_MERGEABLE`/`MADV_UNMERGEABLE` (kernel/ksm.rs).
    pub fn madvise(&mut self, pid: Pid, addr: VirtAddr, len: u64, advice: &str) -> Result<(), SysError> {
        let (op, at) = (SysOp::Madvise, Some(addr));
        if !matches!(advice, "dontneed" | "mergeable" | "unmergeable") {
            return Err(SysError::new(op, at, Errno::Inval, Cause::UnsupportedAdvice(advice.to_string())));
        }
        if !addr.is_page_aligned() {
            return Err(SysError::new(op, at, Errno::Inval, Cause::Unaligned));
        }
        let len = page_len(op, at, len)?;
        let end = addr.checked_add(len).ok_or_else(|| SysError::new(op, at, Errno::Inval, Cause::RangeOverflow))?;
        let mm = self.mm_of(pid).ok_or_else(|| not_running(op, at))?;
        let mm_id = mm.id;
        let covered = mm.vmas.covers(addr, end);
        if advice != "dontneed" {
            if !covered {
                return Err(SysError::new(op, at, Errno::NoMem, Cause::RangeNotMapped { start: addr, end }));
            }
            self.ksm_madvise(pid, addr, end, advice == "mergeable");
            return Ok(());
        }
        let pieces: Vec<(VirtAddr, VirtAddr)> = mm
            .vmas
            .iter()
            .filter(|v| v.start < end && v.end > addr)
            .map(|v| (v.start.max(addr), v.end.min(end)))
            .collect();
        let mut batch = FlushBatch::new();
        for (s, e) in pieces {
            batch = self.zap_range(mm_id, s, e, batch);
        }
        self.finish(batch);
        if covered {
            Ok(())
        } else {
            Err(SysError::new(op, at, Errno::NoMem, Cause::RangeNotMapped { start: addr, end }))
        }
    }

    /// `mprotect(addr, len, prot)`: split VMAs, change flags and PTE permissions, flush the TLB (SPEC §4.4).
    /// A range with unmapped pages is `ENOMEM` (mm/mprotect.c `do_mprotect_pkey`: `error = -ENOMEM` when a VMA
    /// is missing); an unaligned start is `EINVAL`. Private pages stay read-only unless exclusively owned, so a
    /// later write still takes a write-protect fault (`can_change_pte_writable`, mm/mprotect.c).
    pub fn mprotect(&mut self, pid: Pid, addr: VirtAddr, len: u64, prot: VmFlags) -> Result<(), SysError> {
        let (op, at) = (SysOp::Mprotect, Some(addr));
        if !addr.is_page_aligned() {
            return Err(SysError::new(op, at, Errno::Inval, Cause::Unaligned));
        }
        let len = page_len(op, at, len)?;
        let end = addr.checked_add(len).ok_or_else(|| SysError::new(op, at, Errno::NoMem, Cause::RangeOverflow))?;
        let zero = self.zero_pfn();
        let mm = self.mm_of(pid).ok_or_else(|| not_running(op, at))?;
        if !mm.vmas.covers(addr, end) {
            return Err(SysError::new(op, at, Errno::NoMem, Cause::RangeNotMapped { start: addr, end }));
        }
        // mprotect_fixup(): a private mapping made writable that was not charged is charged now
        // (`if (!(oldflags & (VM_ACCOUNT|VM_WRITE|VM_HUGETLB|VM_SHARED|VM_NORESERVE))) charged = nrpages;`).
        let uncharged = VmFlags::ACCOUNT | VmFlags::WRITE | VmFlags::SHARED | VmFlags::NORESERVE;
        let charge: u64 = if prot.contains(VmFlags::WRITE) {
            mm.vmas
                .iter()
                .filter(|v| v.start < end && v.end > addr && !v.flags.intersects(uncharged))
                .map(|v| (v.end.min(end).raw() - v.start.max(addr).raw()) / PAGE_SIZE)
                .sum()
        } else {
            0
        };
        let mm_id = mm.id;
        if charge > 0 && !self.vm_enough_memory(Some(mm_id), charge, self.cap_sys_admin(pid)) {
            return Err(SysError::new(op, at, Errno::NoMem, self.overcommit_cause(charge)));
        }
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
        for v in mm.vmas.range_mut(addr, end) {
            let old = v.flags;
            let keep = v.flags - VmFlags::ACCESS;
            v.flags = keep | prot;
            if prot.contains(VmFlags::WRITE) && !old.intersects(uncharged) {
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
    /// like Linux, a request that cannot be met leaves the break unchanged and returns the old value. `Err` is
    /// for a task that is not running (`ESRCH`) or a break so high that rounding it up wraps (`ENOMEM`).
    pub fn brk(&mut self, pid: Pid, new: VirtAddr) -> Result<VirtAddr, SysError> {
        let (op, at) = (SysOp::Brk, Some(new));
        let err = |errno, cause| SysError::new(op, at, errno, cause);
        let mm = self.mm_of(pid).ok_or_else(|| not_running(op, at))?;
        let (start_brk, old) = (mm.start_brk, mm.brk);
        if new < start_brk {
            return Ok(old);
        }
        let old_end = old.page_align_up().ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
        let new_end = new.page_align_up().ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
        if new_end < old_end {
            self.munmap(pid, new_end, old_end.raw() - new_end.raw()).map_err(|e| e.during(op))?;
            if new_end > start_brk {
                self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?.vmas.set_end(start_brk, new_end);
            }
        } else if new_end > old_end {
            let mm = self.mm_of(pid).ok_or_else(|| not_running(op, at))?;
            // check_brk_limits + find_vma_intersection(mm, oldbrk, newbrk + PAGE_SIZE): keep a page free.
            let guard_end = new_end.checked_add(PAGE_SIZE).ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
            if mm.vmas.overlaps(old_end, guard_end) {
                return Ok(old);
            }
            // do_brk_flags(): `if (security_vm_enough_memory_mm(mm, len >> PAGE_SHIFT)) return -ENOMEM;` — and
            // brk() then leaves the break where it was.
            let (mm_id, grow) = (mm.id, (new_end.raw() - old_end.raw()) / PAGE_SIZE);
            if !self.vm_enough_memory(Some(mm_id), grow, self.cap_sys_admin(pid)) {
                return Ok(old);
            }
            let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
            let heap_base = start_brk.page_align_up().ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
            if old_end == heap_base && mm.vmas.find(start_brk).is_none() {
                let vma = Vma {
                    start: old_end,
                    end: new_end,
                    flags: VmFlags::READ | VmFlags::WRITE | VmFlags::ACCOUNT,
                    kind: VmaKind::Heap,
                    name: None,
                    anon_vma: false,
                };
                mm.vmas.insert(vma).map_err(|o| err(Errno::NoMem, Cause::VmaOverlap(o)))?;
            } else {
                let heap_start = mm
                    .vmas
                    .iter()
                    .find(|v| v.kind == VmaKind::Heap)
                    .map(|v| v.start)
                    .ok_or_else(|| err(Errno::NoMem, Cause::NoHeap))?;
                mm.vmas.set_end(heap_start, new_end);
            }
            mm.update_hiwater_vm();
        }
        self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?.brk = new;
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
