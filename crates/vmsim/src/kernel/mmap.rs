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
                // MAP_FIXED replaces whatever was mapped there (do_mmap → __do_munmap).
                self.munmap(pid, a, len).map_err(|e| e.during(SysOp::Mmap))?;
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
        if flags.contains(VmFlags::WRITE) {
            flags |= VmFlags::ACCOUNT; // accountable_mapping(): private writable (SPEC §7)
        }
        if args.grows_down {
            flags |= VmFlags::GROWSDOWN;
        }
        if args.shared {
            flags |= VmFlags::SHARED;
            flags -= VmFlags::ACCOUNT; // a shared mapping is charged to its object, not as private writable memory
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
                VmaKind::Shmem { inode: self.shmem.create(id), base: start }
            }
            (None, false) => VmaKind::Anon,
        };
        let vma = Vma { start, end, flags, kind, name: args.name.clone(), anon_vma: false };
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(SysOp::Mmap, args.addr))?;
        mm.vmas.insert(vma).map_err(|o| err(Errno::NoMem, Cause::VmaOverlap(o)))?;
        mm.update_hiwater_vm();
        Ok(start)
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
    /// Only `"dontneed"` is implemented.
    pub fn madvise(&mut self, pid: Pid, addr: VirtAddr, len: u64, advice: &str) -> Result<(), SysError> {
        let (op, at) = (SysOp::Madvise, Some(addr));
        if advice != "dontneed" {
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
        let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
        if !mm.vmas.covers(addr, end) {
            return Err(SysError::new(op, at, Errno::NoMem, Cause::RangeNotMapped { start: addr, end }));
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
            let mm = self.mm_of_mut(pid).ok_or_else(|| not_running(op, at))?;
            // check_brk_limits + find_vma_intersection(mm, oldbrk, newbrk + PAGE_SIZE): keep a page free.
            let guard_end = new_end.checked_add(PAGE_SIZE).ok_or_else(|| err(Errno::NoMem, Cause::RangeOverflow))?;
            if mm.vmas.overlaps(old_end, guard_end) {
                return Ok(old);
            }
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
