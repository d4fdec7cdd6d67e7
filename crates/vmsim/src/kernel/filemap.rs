//! File pages on the fault path and in reclaim: `filemap_fault` and `filemap_map_pages` (mm/filemap.c), mmap
//! read-around and asynchronous readahead (mm/filemap.c `do_sync_mmap_readahead`, `do_async_mmap_readahead`;
//! mm/readahead.c `page_cache_ra_unbounded`, `page_cache_async_ra`), `do_read_fault`, `do_cow_fault`,
//! `do_shared_fault` and `do_fault_around` (mm/memory.c), `msync(MS_SYNC)` writeback, and the reclaim of a file
//! page (mm/vmscan.c `shrink_folio_list` → `__remove_mapping`). LINUX-VM-SPEC §4.1, §4.4.
//!
//! - **Read fault** (`do_read_fault`): fault-around first maps, read-only, the pages of the window (below) that are
//!   in the page cache, up to date and not marked `PG_readahead`; then the faulting page is looked up. In the
//!   cache: a minor fault (if it carries the readahead mark, the next window is read asynchronously). Not in the
//!   cache: a **major** fault (`pgmajfault`), and mmap read-around reads `ra_pages` pages centred on it
//!   (`ra_pages / 4` before the end marked `PG_readahead`), unless more than `MMAP_LOTSAMISS` faults missed; the
//!   I/O makes the fault retry (`VM_FAULT_RETRY`), and the retry's fault-around maps the window just read.
//! - **Write fault, private mapping** (`do_cow_fault`): the file page (read in if needed) is copied into a new
//!   anonymous page, mapped writable; the file is never written.
//! - **Write fault, shared mapping** (`do_shared_fault`): the page-cache page is mapped writable and dirtied
//!   (`page_mkwrite`). A read fault of a shared writable mapping maps the page read-only, because a file mapping
//!   wants write notification (`vma_wants_writenotify`: the file system tracks dirty pages), so the first write
//!   after a read faults once more (`wp_page_shared`), and so does the first write after `msync` cleaned the page.
//! - **msync(MS_SYNC)** writes each dirty page of the range back to the file: its PTEs are made clean and
//!   read-only (`folio_mkclean`), the disk gets the contents, `PG_dirty` is cleared.
//! - **Reclaim** of a file page unmaps it everywhere (the PTEs become none: the page cache, not swap, holds the
//!   data), writes it back if dirty, leaves a shadow entry (mm/workingset.c) and frees the frame.
//!
//! Simplifies: readahead I/O completes at once (Linux's readahead is asynchronous, so a fault on a page still
//! under I/O waits, and counts as major through `VM_FAULT_RETRY`); every page-cache page is order 0 (Linux grows
//! readahead folios, `ra->order += 2`); a major fault counts one `pgfault` (Linux's retried fault counts two);
//! reclaim writes dirty file pages itself (Linux leaves that to the flusher threads and only marks them).

use super::fault::FaultOutcome;
use super::file::Shadow;
use super::pgtable::{self, PteSlot};
use super::signal::{SegvCode, SegvInfo};
use super::task::Pid;
use super::vma::{VmFlags, Vma};
use super::{Event, Kernel};
use crate::addr::{Pfn, VirtAddr, PAGE_BYTES, PAGE_SHIFT, PAGE_SIZE};
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::Access;
use crate::phys::frame_meta::{InodeId, Mapping};
use crate::phys::rmap::{self, MmId, RmapEntry};
use crate::phys::PageFlags;
use crate::reclaim::{LruClass, PageInfo};

/// `MMAP_LOTSAMISS` (mm/filemap.c): more page-cache misses than this (net of hits) and mmap read-around stops.
pub const MMAP_LOTSAMISS: u32 = 100;
/// Default readahead window in pages: `VM_READAHEAD_PAGES = SZ_128K / PAGE_SIZE` (include/linux/mm.h), the
/// default `read_ahead_kb` of a block device.
pub const DEFAULT_RA_PAGES: u64 = 32;
/// `fault_around_pages` (mm/memory.c): `fault_around_bytes` = 64 KiB.
pub const FAULT_AROUND_PAGES: u64 = 16;
/// Entries in a last-level page table (`PTRS_PER_PTE`).
const PTRS_PER_PTE: u64 = 512;

/// The pages `do_fault_around` (mm/memory.c) offers to `map_pages` for a fault at `va` in `vma`, as the virtual
/// addresses `[lo, hi)`:
///
/// ```c
/// from_pte = max(ALIGN_DOWN(pte_off, nr_pages), pte_off - min(pte_off, vma_off));
/// to_pte = min3(from_pte + nr_pages, (pgoff_t)PTRS_PER_PTE, pte_off + vma_pages(vmf->vma) - vma_off) - 1;
/// ```
///
/// with `pte_off` the index of `va` in its page table and `vma_off` its page offset in the VMA: an aligned window
/// of 16 pages, clipped to the page table, and slid up (not cut) where it would start below the VMA.
pub fn fault_around_window(va: VirtAddr, vma: &Vma) -> (VirtAddr, VirtAddr) {
    let page = va.raw() >> PAGE_SHIFT;
    let pte_off = page % PTRS_PER_PTE;
    let vma_off = page - (vma.start.raw() >> PAGE_SHIFT);
    let vma_pages = vma.len() >> PAGE_SHIFT;
    let from = (pte_off & !(FAULT_AROUND_PAGES - 1)).max(pte_off - pte_off.min(vma_off));
    let to = (from + FAULT_AROUND_PAGES).min(PTRS_PER_PTE).min(pte_off + vma_pages - vma_off); // exclusive
    let table = (page - pte_off) << PAGE_SHIFT;
    (VirtAddr::new(table + (from << PAGE_SHIFT)), VirtAddr::new(table + (to << PAGE_SHIFT)))
}

impl<M: PagingMode> Kernel<M> {
    /// A fault on a none PTE of a file mapping (`do_fault` → `do_read_fault` / `do_cow_fault` /
    /// `do_shared_fault`).
    pub(crate) fn do_file_fault(
        &mut self,
        pid: Pid,
        slot: PteSlot,
        va: VirtAddr,
        access: Access,
        vma: &Vma,
    ) -> FaultOutcome {
        let Some((inode, index)) = vma.kind.file_index(va) else { return FaultOutcome::Oom };
        let Some(mm_id) = self.mm_of(pid).map(|m| m.id) else { return FaultOutcome::Oom };
        if self.files.get(inode).is_none_or(|f| index >= f.nr_pages()) {
            return self.segv(pid, SegvInfo { addr: va, code: SegvCode::BusAdrErr, access });
        }
        let prot = vma.flags.page_prot();
        let shared = vma.flags.contains(VmFlags::SHARED);
        if access != Access::Write {
            // do_read_fault(): fault-around, then the page itself; mapped read-only (a private mapping's
            // PAGE_COPY, a shared one's write-notify protection).
            self.file_fault_around(mm_id, inode, va, vma, prot);
            if slot.read::<M>(&self.mem).is_present() {
                return FaultOutcome::Minor; // fault-around mapped the faulting page too (VM_FAULT_NOPAGE)
            }
            let Some((pfn, major)) = self.filemap_fault(pid, inode, index) else { return FaultOutcome::Oom };
            if major {
                // The read dropped the mmap lock (`maybe_unlock_mmap_for_io`), so filemap_fault returned
                // VM_FAULT_RETRY; the retried fault (FAULT_FLAG_TRIED: counted major) runs do_read_fault again, and
                // its fault-around now finds the pages just read, the faulting one included.
                self.file_fault_around(mm_id, inode, va, vma, prot);
                if slot.read::<M>(&self.mem).is_present() {
                    return FaultOutcome::Major;
                }
            }
            self.file_map(mm_id, slot, pfn, prot | Perms::ACCESSED);
            return if major { FaultOutcome::Major } else { FaultOutcome::Minor };
        }
        let Some((pfn, major)) = self.filemap_fault(pid, inode, index) else { return FaultOutcome::Oom };
        let done = if major { FaultOutcome::Major } else { FaultOutcome::Minor };
        if shared {
            // do_shared_fault(): page_mkwrite, then map it writable and dirty.
            self.file_map(mm_id, slot, pfn, prot | Perms::WRITE | Perms::ACCESSED | Perms::DIRTY);
            self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
            return done;
        }
        // do_cow_fault(): copy the file page into a new anonymous page. The contents are taken first: the
        // allocation may reclaim the page-cache page.
        let data = Box::new(*self.mem.page(pfn));
        if !self.memcg_try_charge(pid) {
            return FaultOutcome::Oom;
        }
        let Some(new) = self.alloc_user_frame() else { return FaultOutcome::Oom };
        let entry = slot.rmap_entry();
        self.anon_vma_prepare(mm_id, va);
        self.new_anon_page(new, entry, false);
        *self.mem.page_mut(new) = *data;
        self.events.cow += 1;
        let perms = prot | Perms::WRITE | Perms::ACCESSED | Perms::DIRTY;
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(new, perms, PageSizeKind::Size4K));
        self.flush(flush);
        if let Some(mm) = self.mms.get_mut(mm_id) {
            mm.add_anon(1);
        }
        done
    }

    /// Map page-cache page `pfn` (of a file or a shmem object) at `slot` for `mm`: one more reference and
    /// mapping, RSS + 1 in the page's counter (`MM_FILEPAGES` or `MM_SHMEMPAGES`).
    pub(crate) fn file_map(&mut self, mm: MmId, slot: PteSlot, pfn: Pfn, perms: Perms) {
        self.mem.meta_mut(pfn).refcount += 1;
        rmap::add(&mut self.mem, pfn, RmapEntry::pte(mm, slot.va().vpn()));
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(pfn, perms, PageSizeKind::Size4K));
        self.flush(flush);
        let shmem = matches!(self.mem.meta(pfn).mapping, Mapping::Shmem { .. });
        if let Some(m) = self.mms.get_mut(mm) {
            if shmem {
                m.add_shmem();
            } else {
                m.add_file(1);
            }
        }
    }

    /// `filemap_map_pages()` over the fault-around window: map read-only every page of the window that is in the
    /// page cache, inside the file, not marked for readahead, and whose PTE is none. Returns the pages mapped.
    fn file_fault_around(&mut self, mm: MmId, inode: InodeId, va: VirtAddr, vma: &Vma, prot: Perms) -> u64 {
        let Some(pgd) = self.mms.get(mm).map(|m| m.pgd()) else { return 0 };
        let (lo, hi) = fault_around_window(va, vma);
        let mut mapped = 0;
        let mut a = lo;
        while a < hi {
            let Some((_, index)) = vma.kind.file_index(a) else { break };
            let Some(f) = self.files.get(inode) else { break };
            if index >= f.nr_pages() {
                break; // end_pgoff is clipped to the end of the file
            }
            if let Some(&pfn) = f.pages.get(&index) {
                let marked = self.mem.meta(pfn).test(PageFlags::READAHEAD);
                if let (false, Some(s)) = (marked, pgtable::lookup::<M>(&self.mem, pgd, a)) {
                    if s.size() == PageSizeKind::Size4K && s.read::<M>(&self.mem).is_none() {
                        // The faulting page is mapped young, the others old (`filemap_map_order0_folio`:
                        // only `vmf->address` gets `VM_FAULT_NOPAGE`; set_pte_range makes prefaulted PTEs old).
                        let young = if a == va.page_align_down() { Perms::ACCESSED } else { Perms::empty() };
                        self.file_map(mm, s, pfn, prot | young);
                        mapped += 1;
                    }
                }
            }
            a = VirtAddr::new(a.raw() + PAGE_SIZE);
        }
        // filemap_map_pages(): pages found mapped count as hits against mmap_miss.
        if let Some(f) = self.files.get_mut(inode) {
            f.ra.mmap_miss = f.ra.mmap_miss.saturating_sub(u32::try_from(mapped).unwrap_or(u32::MAX));
        }
        mapped
    }

    /// `filemap_fault()`: page `index` of `inode`, from the page cache (minor; a readahead mark there starts the
    /// next window, `do_async_mmap_readahead`) or read from the file (major, with read-around,
    /// `do_sync_mmap_readahead`). Returns the frame and whether I/O was needed; `None` when no frame was found.
    pub(crate) fn filemap_fault(&mut self, pid: Pid, inode: InodeId, index: u64) -> Option<(Pfn, bool)> {
        let memcg = self.memcg_of(pid);
        let f = self.files.get_mut(inode)?;
        if let Some(&pfn) = f.pages.get(&index) {
            f.ra.mmap_miss = f.ra.mmap_miss.saturating_sub(1);
            if self.mem.meta(pfn).test(PageFlags::READAHEAD) {
                self.async_readahead(inode, index, pfn, memcg);
            }
            // The readahead may have reclaimed the page (under pressure): look again.
            if let Some(&p) = self.files.get(inode)?.pages.get(&index) {
                return Some((p, false));
            }
        }
        self.events.pgmajfault += 1;
        let ra_pages = if self.cfg.exact { 0 } else { self.cfg.ra_pages };
        let f = self.files.get_mut(inode)?;
        if f.ra.mmap_miss < MMAP_LOTSAMISS * 10 {
            f.ra.mmap_miss += 1;
        }
        if ra_pages > 0 && f.ra.mmap_miss <= MMAP_LOTSAMISS {
            // mmap read-around: ra->start = max(0, pgoff - ra_pages / 2), size ra_pages, async_size ra_pages / 4.
            f.ra.start = index.saturating_sub(ra_pages / 2);
            f.ra.size = ra_pages;
            f.ra.async_size = ra_pages / 4;
            let ra = f.ra;
            self.page_cache_ra(inode, ra.start, ra.size, ra.async_size, memcg);
        }
        // The page itself, if readahead did not bring it (or was off, or it was reclaimed meanwhile).
        if let Some(&p) = self.files.get(inode)?.pages.get(&index) {
            return Some((p, true));
        }
        let pfn = self.page_cache_read(inode, index, memcg, false)?;
        Some((pfn, true))
    }

    /// `page_cache_async_ra()`: a fault found the readahead mark on page `index`; read the next window.
    fn async_readahead(&mut self, inode: InodeId, index: u64, pfn: Pfn, memcg: super::memcontrol::MemcgId) {
        self.mem.meta_mut(pfn).clear(PageFlags::READAHEAD); // folio_clear_readahead()
        let max = self.cfg.ra_pages;
        let Some(f) = self.files.get_mut(inode) else { return };
        if max == 0 {
            return;
        }
        let ra = &mut f.ra;
        if index == ra.start + ra.size - ra.async_size {
            // Sequential: the next window follows the current one (get_next_ra_size ramps it up to max).
            ra.start += ra.size;
            ra.size = ra.size.max(next_ra_size(ra.size, max));
            ra.async_size = ra.size;
        } else {
            // A mark without matching state: start after the next missing page (page_cache_next_miss).
            let mut start = index + 1;
            while start - index <= max && f.pages.contains_key(&start) {
                start += 1;
            }
            if start - index > max {
                return;
            }
            let ra = &mut f.ra;
            ra.start = start;
            ra.size = next_ra_size(start - index + max, max);
            ra.async_size = ra.size;
        }
        let ra = f.ra;
        self.page_cache_ra(inode, ra.start, ra.size, ra.async_size, memcg);
    }

    /// `page_cache_ra_unbounded()`: read the missing pages of `[start, start + size)` (clipped to the file), marking
    /// the one `async_size` from the end `PG_readahead`.
    fn page_cache_ra(
        &mut self,
        inode: InodeId,
        start: u64,
        size: u64,
        async_size: u64,
        memcg: super::memcontrol::MemcgId,
    ) {
        let Some(f) = self.files.get(inode) else { return };
        let end = (start + size).min(f.nr_pages());
        let mark = (start + size).saturating_sub(async_size);
        for index in start..end {
            if self.files.get(inode).is_some_and(|f| f.pages.contains_key(&index)) {
                continue;
            }
            if self.page_cache_read(inode, index, memcg, index == mark).is_none() {
                break; // no memory: readahead stops (the fault itself still reads its page)
            }
        }
    }

    /// Read page `index` of `inode` into a new page-cache page (`filemap_add_folio` + `->read_folio`), on the
    /// inactive file list, charged to `memcg`; a shadow entry left by its eviction may activate it at once
    /// (`workingset_refault`).
    fn page_cache_read(
        &mut self,
        inode: InodeId,
        index: u64,
        memcg: super::memcontrol::MemcgId,
        readahead: bool,
    ) -> Option<Pfn> {
        let pfn = self.alloc_user_frame()?;
        let mut page = Box::new([0u8; PAGE_BYTES]);
        let f = self.files.get_mut(inode)?;
        f.read_page(index, &mut page);
        let shadow = f.shadows.remove(&index);
        f.pages.insert(index, pfn);
        *self.mem.page_mut(pfn) = *page;
        self.events.pgpgin_file += 1;
        let m = self.mem.meta_mut(pfn);
        m.refcount = 1; // the page cache's reference
        m.mapping = Mapping::File { inode };
        m.index = index;
        m.set(PageFlags::LRU);
        if readahead {
            m.set(PageFlags::READAHEAD);
        }
        self.charge_folio(pfn, memcg, PageInfo { nr_pages: 1, class: LruClass::File });
        if let Some(s) = shadow {
            self.workingset_refault(pfn, s);
        }
        Some(pfn)
    }

    /// `msync(addr, len, MS_SYNC)` for `pid`: write back the dirty page-cache pages of the shared file mappings in
    /// the range (`vfs_fsync_range` → `write_cache_pages` → `folio_clear_dirty_for_io` → `folio_mkclean`).
    /// Returns the pages written. `ENOMEM` for a range with unmapped pages, `EINVAL` for an unaligned start
    /// (mm/msync.c).
    pub fn msync(&mut self, pid: Pid, addr: VirtAddr, len: u64) -> Result<u64, super::error::SysError> {
        use super::error::{Cause, Errno, SysError, SysOp};
        let (op, at) = (SysOp::Msync, Some(addr));
        if !addr.is_page_aligned() {
            return Err(SysError::new(op, at, Errno::Inval, Cause::Unaligned));
        }
        let end = VirtAddr::new(addr.raw().saturating_add(len)).page_align_up().unwrap_or(VirtAddr::new(u64::MAX));
        let mm = self.mm_of(pid).ok_or_else(|| SysError::new(op, at, Errno::Srch, Cause::ProcessNotRunning))?;
        let covered = mm.vmas.covers(addr, end);
        let ranges: Vec<(InodeId, u64, u64)> = mm
            .vmas
            .iter()
            .filter(|v| v.start < end && v.end > addr && v.flags.contains(VmFlags::SHARED))
            .filter_map(|v| {
                let (s, e) = (v.start.max(addr), v.end.min(end));
                let (inode, first) = v.kind.file_index(s)?;
                Some((inode, first, first + ((e.raw() - s.raw()) >> PAGE_SHIFT)))
            })
            .collect();
        let mut written = 0;
        for (inode, first, last) in ranges {
            let dirty: Vec<Pfn> = match self.files.get(inode) {
                Some(f) => f.pages.range(first..last).map(|(_, &p)| p).collect(),
                None => continue,
            };
            for pfn in dirty {
                if self.folio_mkclean(pfn) || self.mem.meta(pfn).test(PageFlags::DIRTY) {
                    self.writeback_file_page(pfn);
                    written += 1;
                }
            }
        }
        if covered {
            Ok(written)
        } else {
            Err(SysError::new(op, at, Errno::NoMem, Cause::RangeNotMapped { start: addr, end }))
        }
    }

    /// `folio_mkclean()` (mm/rmap.c): make every PTE mapping `pfn` clean and read-only, so the next write faults
    /// and dirties the page again. Returns whether any PTE was dirty.
    fn folio_mkclean(&mut self, pfn: Pfn) -> bool {
        let Ok(mappings) = self.resolve_rmap(pfn) else { return false };
        let mut dirty = false;
        for (_, slot) in mappings {
            let pte = slot.read::<M>(&self.mem);
            let perms = pte.perms();
            if !perms.intersects(Perms::WRITE | Perms::DIRTY) {
                continue;
            }
            dirty |= perms.contains(Perms::DIRTY);
            let clean = M::Pte::leaf(pfn, perms - Perms::WRITE - Perms::DIRTY, slot.size());
            let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, clean);
            self.flush(flush);
        }
        dirty
    }

    /// Write a page-cache page to its file and mark it clean (`folio_clear_dirty_for_io` + `->writepages`).
    fn writeback_file_page(&mut self, pfn: Pfn) {
        let m = self.mem.meta(pfn);
        let (Mapping::File { inode }, index) = (m.mapping, m.index) else { return };
        let data: [u8; PAGE_BYTES] = *self.mem.page(pfn);
        if let Some(f) = self.files.get_mut(inode) {
            f.write_page(index, &data);
        }
        self.mem.meta_mut(pfn).clear(PageFlags::DIRTY);
        self.events.file_writeback += 1;
    }

    /// Reclaim a page-cache page (`shrink_folio_list` for a file folio): unmap it from every PTE (`try_to_unmap`:
    /// the entries become none), write it back if it or a PTE is dirty (`pageout`), remove it from the page cache
    /// leaving a shadow entry (`__remove_mapping` → `workingset_eviction`) and free it. False if a reverse-map
    /// entry could not be followed, or someone else holds a reference (the page stays).
    pub(crate) fn reclaim_file_page(&mut self, pfn: Pfn) -> bool {
        let Ok(mappings) = self.resolve_rmap(pfn) else {
            self.events.rmap_unresolved += 1;
            return false;
        };
        let m = self.mem.meta(pfn);
        let (Mapping::File { inode }, index) = (m.mapping, m.index) else { return false };
        // __remove_mapping() freezes the count at 1 (the cache) + the mappings about to go: an extra reference
        // (a fault copying the page) keeps it.
        if u64::from(m.refcount) > 1 + mappings.len() as u64 {
            return false;
        }
        for (e, slot) in mappings {
            let (old, flush) = pgtable::clear::<M>(&mut self.mem, slot);
            self.flush(flush);
            if old.perms().contains(Perms::DIRTY) {
                self.mem.meta_mut(pfn).set(PageFlags::DIRTY); // try_to_unmap_one(): folio_mark_dirty()
            }
            rmap::remove(&mut self.mem, pfn, e);
            let m = self.mem.meta_mut(pfn);
            m.refcount = m.refcount.saturating_sub(1);
            if let Some(mm) = self.mms.get_mut(e.mm) {
                mm.add_file(-1);
            }
        }
        if self.mem.meta(pfn).test(PageFlags::DIRTY) {
            self.writeback_file_page(pfn);
            self.events.nr_vmscan_write += 1;
        } else if self.cfg.verify {
            // A clean page must equal the file: a write that reached the page without marking it dirty would be
            // lost here.
            self.verify_clean_file_page(pfn, inode, index);
        }
        let shadow = self.workingset_eviction(pfn);
        if let Some(f) = self.files.get_mut(inode) {
            f.pages.remove(&index);
            f.shadows.insert(index, shadow);
        }
        self.free_user_frame(pfn);
        true
    }

    fn verify_clean_file_page(&mut self, pfn: Pfn, inode: InodeId, index: u64) {
        let Some(f) = self.files.get(inode) else { return };
        let mut disk = Box::new([0u8; PAGE_BYTES]);
        f.read_page(index, &mut disk);
        // Only the part inside the file is on disk.
        let valid = f.size.saturating_sub(index * PAGE_SIZE).min(PAGE_SIZE) as usize;
        self.events.verify_checked += 1;
        if self.mem.page(pfn)[..valid] != disk[..valid] {
            self.events.verify_failures += 1;
            let name = f.name.clone();
            self.log.push(Event {
                pid: Pid(0),
                what: format!("verify: clean page {index} of file {name} differs from the file: a write was lost"),
            });
        }
    }

    /// `workingset_eviction()` (mm/workingset.c): the shadow entry of an evicted page; the eviction advances the
    /// node's non-resident age.
    fn workingset_eviction(&mut self, pfn: Pfn) -> Shadow {
        let workingset = self.mem.meta(pfn).test(PageFlags::WORKINGSET);
        self.nonresident_age += 1; // workingset_age_nonresident(lruvec, folio_nr_pages(folio))
        Shadow { eviction: self.nonresident_age, workingset }
    }

    /// `workingset_refault()` (mm/workingset.c): page `pfn` was just read back in where `shadow` was left. If the
    /// refault distance (evictions and activations since) fits in the working set the page could have had
    /// (`workingset_test_recent`), activate it at once.
    fn workingset_refault(&mut self, pfn: Pfn, shadow: Shadow) {
        self.events.workingset_refault_file += 1;
        let distance = self.nonresident_age.wrapping_sub(shadow.eviction);
        let memcg = self.mem.meta(pfn).memcg;
        let swap = self.swap.free_pages() > 0;
        let lru = self.lru_mut(memcg);
        // workingset_size: active file, plus anon (both lists for a file page) when swap can take it.
        let (_, active_file) = lru.file_list_sizes();
        let (inactive_anon, active_anon) = lru.anon_list_sizes();
        let mut size = active_file;
        if swap {
            size += active_anon + inactive_anon;
        }
        if distance > size {
            return;
        }
        // folio_set_active(); workingset_age_nonresident(); WORKINGSET_ACTIVATE.
        if lru.activate(pfn) {
            self.mem.meta_mut(pfn).set(PageFlags::ACTIVE);
        }
        self.nonresident_age += 1;
        self.events.workingset_activate_file += 1;
        if shadow.workingset {
            // WORKINGSET_RESTORE: it was in the working set when evicted (thrashing, not a new working set).
            self.mem.meta_mut(pfn).set(PageFlags::WORKINGSET);
            self.events.workingset_restore_file += 1;
        }
    }

    /// Drop the clean, unmapped pages of every file's page cache (`echo 1 > /proc/sys/vm/drop_caches`,
    /// fs/drop_caches.c → `invalidate_mapping_pages`): dirty or mapped pages stay. Returns the pages dropped.
    pub fn drop_caches(&mut self) -> u64 {
        let cands: Vec<(InodeId, u64, Pfn)> =
            self.files.iter().flat_map(|(inode, f)| f.pages.iter().map(move |(&i, &p)| (inode, i, p))).collect();
        let mut n = 0;
        for (inode, index, pfn) in cands {
            let m = self.mem.meta(pfn);
            if m.mapcount > 0 || m.test(PageFlags::DIRTY) || m.refcount > 1 {
                continue;
            }
            // mapping_evict_folio() → remove_mapping(): no shadow entry (invalidation, not reclaim).
            if let Some(f) = self.files.get_mut(inode) {
                f.pages.remove(&index);
            }
            self.free_user_frame(pfn);
            n += 1;
        }
        n
    }

    /// Pages of page cache that are dirty (meminfo `Dirty`).
    pub fn file_dirty_pages(&self) -> u64 {
        self.files
            .iter()
            .flat_map(|(_, f)| f.pages.values())
            .filter(|&&p| self.mem.meta(p).test(PageFlags::DIRTY))
            .count() as u64
    }

    /// Page-cache pages mapped by at least one PTE (meminfo `Mapped`, `NR_FILE_MAPPED`, which counts shmem too).
    pub fn file_mapped_pages(&self) -> u64 {
        let files = self.files.iter().flat_map(|(_, f)| f.pages.values().copied());
        let shmem = self.shmem.all_pages();
        files.chain(shmem).filter(|&p| self.mem.meta(p).mapcount > 0).count() as u64
    }
}

/// `get_next_ra_size()` (mm/readahead.c): quadruple small windows, double medium ones, cap at `max`.
fn next_ra_size(cur: u64, max: u64) -> u64 {
    if cur < max / 16 {
        4 * cur
    } else if cur <= max / 2 {
        2 * cur
    } else {
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::vma::VmaKind;

    fn vma(start: u64, pages: u64) -> Vma {
        Vma {
            start: VirtAddr::new(start),
            end: VirtAddr::new(start + pages * PAGE_SIZE),
            flags: VmFlags::READ,
            kind: VmaKind::Anon,
            name: None,
            anon_vma: false,
        }
    }

    /// SPEC §4.1 fault-around vector: a fault at page 37 of a 100-page VMA starting on a PMD boundary offers
    /// pages 32..47.
    #[test]
    fn fault_around_window_spec_vector() {
        let v = vma(0x4000_0000, 100);
        let (lo, hi) = fault_around_window(VirtAddr::new(0x4000_0000 + 37 * PAGE_SIZE + 5), &v);
        assert_eq!((lo.raw() - 0x4000_0000) / PAGE_SIZE, 32);
        assert_eq!((hi.raw() - 0x4000_0000) / PAGE_SIZE, 48);
    }

    /// A VMA starting mid-window slides the window up rather than cutting it (`from_pte + nr_pages`), and the
    /// end of the VMA and of the page table clip it.
    #[test]
    fn fault_around_window_slides_and_clips() {
        let base = 0x4000_0000;
        let v = vma(base + 5 * PAGE_SIZE, 100); // pages 5..105 of the table
        let (lo, hi) = fault_around_window(VirtAddr::new(base + 6 * PAGE_SIZE), &v);
        assert_eq!(((lo.raw() - base) / PAGE_SIZE, (hi.raw() - base) / PAGE_SIZE), (5, 21));
        let (lo, hi) = fault_around_window(VirtAddr::new(base + 100 * PAGE_SIZE), &v);
        assert_eq!(((lo.raw() - base) / PAGE_SIZE, (hi.raw() - base) / PAGE_SIZE), (96, 105));
        let v = vma(base + 500 * PAGE_SIZE, 100); // crosses into the next page table
        let (lo, hi) = fault_around_window(VirtAddr::new(base + 509 * PAGE_SIZE), &v);
        assert_eq!(((lo.raw() - base) / PAGE_SIZE, (hi.raw() - base) / PAGE_SIZE), (500, 512));
    }

    #[test]
    fn ra_size_ramps_up() {
        assert_eq!(next_ra_size(1, 32), 4);
        assert_eq!(next_ra_size(8, 32), 16);
        assert_eq!(next_ra_size(32, 32), 32);
    }
}
