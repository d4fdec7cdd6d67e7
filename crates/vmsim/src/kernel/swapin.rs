//! Swap-in and the swap cache as the fault path sees them: `do_swap_page` (mm/memory.c),
//! `swap_cluster_readahead` (mm/swap_state.c), `free_swap_and_cache` (mm/swapfile.c); LINUX-VM-SPEC §4.3, §6.
//!
//! Slot usage counts follow one invariant: a slot's count is the number of PTEs holding its swap entry plus one
//! while the page is in the swap cache (Linux's `SWAP_HAS_CACHE`). A slot is free when its count reaches 0.
//!
//! Verify mode checksums each page when it is written to swap and checks it when it is read back, so a lost or
//! corrupted page is reported with its process and address.

use super::fault::FaultOutcome;
use super::memcontrol::MemcgId;
use super::pgtable::PteSlot;
use super::task::Pid;
use super::vma::VmFlags;
use super::{pgtable, Event, Kernel};
use crate::addr::{Pfn, VirtAddr, PAGE_BYTES};
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::Access;
use crate::phys::buddy::MigrateType;
use crate::phys::rmap::{self, RmapEntry};
use crate::phys::PageFlags;
use crate::swap::entry::SwapEntry;
use crate::swap::error::SwapFileError;
use crate::swap::zswap::StoreResult;

/// FNV-1a over the page: the verify-mode checksum.
pub fn page_checksum(page: &[u8; PAGE_BYTES]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in page {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Where [`Kernel::swap_write`] put a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SwapOut {
    /// Into the zswap pool (vmstat `zswpout`).
    Zswap,
    /// To the swap device (`pswpout`).
    Device,
}

impl<M: PagingMode> Kernel<M> {
    /// Write a page to its swap slot (`swap_writepage`): zswap first when it is enabled (`zswap_store`), else (or
    /// when zswap rejects it) the swap device. Records its checksum in verify mode.
    pub(crate) fn swap_write(&mut self, entry: SwapEntry, page: &[u8; PAGE_BYTES]) -> Result<SwapOut, SwapFileError> {
        let mut out = SwapOut::Device;
        if self.zswap.cfg.enabled {
            let totalram = self.mem.frames() as u64;
            match self.zswap.store(entry, page, totalram, &mut self.frames, &self.mem) {
                StoreResult::Stored => out = SwapOut::Zswap,
                StoreResult::Rejected => {}
                StoreResult::PoolFull => self.zswap_shrink_worker(),
            }
        }
        if out == SwapOut::Device {
            self.swap.write(entry, page)?;
        }
        if self.cfg.verify {
            self.reclaim.checksums.insert(entry, page_checksum(page));
        }
        Ok(out)
    }

    /// zswap's `shrink_worker`: write the oldest entries (second chance for referenced ones) back to the swap
    /// device until the pool is at or below its accept threshold (`zswap_writeback_entry`). An entry whose write
    /// fails stays in the pool, so no page is lost.
    fn zswap_shrink_worker(&mut self) {
        let totalram = self.mem.frames() as u64;
        let mut page = [0u8; PAGE_BYTES];
        while self.zswap.above_accept_threshold(totalram) {
            let Some(e) = self.zswap.writeback_next(&mut page) else { break };
            if let Err(err) = self.swap.write(e, &page) {
                self.log.push(Event { pid: Pid(0), what: format!("zswap writeback failed: {err}") });
                break;
            }
            self.events.pswpout += 1;
            self.zswap.written_back(e);
            self.zswap.release_frames(&mut self.frames);
        }
    }

    /// Drop one reference to swap slot `entry` (`swap_free`); when it was the last, the slot is free and its
    /// checksum and zswap entry go with it (`zswap_invalidate`). True if the slot is now free.
    pub(crate) fn swap_free(&mut self, entry: SwapEntry) -> bool {
        let freed = self.swap.free(entry);
        if freed {
            self.reclaim.checksums.remove(&entry);
            if self.zswap.invalidate(entry) {
                self.zswap.release_frames(&mut self.frames);
            }
        }
        freed
    }

    /// Read a slot into `pfn` (`swap_read_folio`): from zswap if it holds the slot (`zswap_load`: the entry is
    /// dropped and the page marked dirty, as its only copy is now in RAM), else from the device. Checks the checksum
    /// in verify mode; a mismatch is reported with the process and address that needed the page. Returns where the
    /// page came from.
    fn swap_read_into(
        &mut self,
        entry: SwapEntry,
        pfn: Pfn,
        who: Option<(Pid, VirtAddr)>,
    ) -> Result<SwapOut, SwapFileError> {
        let mut page = [0u8; PAGE_BYTES];
        let from = match self.zswap.load(entry, &mut page, &mut self.frames) {
            Some(ok) => {
                if !ok {
                    self.log.push(Event {
                        pid: Pid(0),
                        what: format!(
                            "zswap: the page of swap type {}, offset {} did not decompress",
                            entry.swap_type(),
                            entry.offset()
                        ),
                    });
                }
                SwapOut::Zswap
            }
            None => {
                self.swap.read(entry, &mut page)?;
                SwapOut::Device
            }
        };
        if self.cfg.verify {
            self.events.verify_checked += 1;
            let want = self.reclaim.checksums.get(&entry).copied();
            let got = page_checksum(&page);
            if want != Some(got) {
                self.events.verify_failures += 1;
                let (pid, what) = match who {
                    Some((pid, va)) => (pid, format!("page at {:#x}", va.raw())),
                    None => (Pid(0), "a readahead page".to_string()),
                };
                self.log.push(Event {
                    pid,
                    what: format!(
                        "VERIFY FAILED: {what} read from swap (type {}, offset {}) has checksum {got:#018x}, expected {}",
                        entry.swap_type(),
                        entry.offset(),
                        want.map_or("none recorded".into(), |w| format!("{w:#018x}"))
                    ),
                });
            }
        }
        if page.iter().all(|&b| b == 0) {
            self.mem.zero_frame(pfn);
        } else {
            self.mem.set_page(pfn, &page);
        }
        if from == SwapOut::Zswap {
            self.mem.meta_mut(pfn).set(PageFlags::DIRTY); // zswap_load(): folio_mark_dirty()
        }
        Ok(from)
    }

    /// Put `pfn` into the swap cache for `entry`, taking the cache's reference on the slot (`add_to_swap_cache`).
    fn add_to_swap_cache(&mut self, entry: SwapEntry, pfn: Pfn) {
        if self.swap_cache.add(entry, pfn).is_ok() {
            self.swap.dup(entry);
            let m = self.mem.meta_mut(pfn);
            m.set(PageFlags::SWAPCACHE);
            m.swap = Some(entry);
            m.refcount += 1;
        }
    }

    /// `folio_free_swap()` (mm/swapfile.c): drop the swap copy of a page that stays in RAM (or is about to be
    /// freed), and mark it dirty, since nothing on disk holds its contents any more (`folio_set_dirty`). Like
    /// Linux it does nothing while another PTE still holds the swap entry (`if (folio_swapped(folio)) return
    /// false;`): that PTE's next fault finds the page in the swap cache, which (after a zswap load, which drops the
    /// pool's copy) may be the only copy there is. Returns whether the swap copy was dropped.
    pub(crate) fn folio_free_swap(&mut self, pfn: Pfn) -> bool {
        let m = self.mem.meta(pfn);
        if !m.test(PageFlags::SWAPCACHE) || m.swap.is_some_and(|e| self.swap.count(e) > 1) {
            return false;
        }
        self.delete_from_swap_cache(pfn);
        self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
        true
    }

    /// Take `pfn` out of the swap cache, dropping the cache's slot reference and page reference
    /// (`delete_from_swap_cache` + `put_swap_folio`). The caller still holds its own page reference if any.
    pub(crate) fn delete_from_swap_cache(&mut self, pfn: Pfn) {
        let m = self.mem.meta_mut(pfn);
        let Some(entry) = m.swap.take() else { return };
        m.clear(PageFlags::SWAPCACHE | PageFlags::READAHEAD);
        m.refcount = m.refcount.saturating_sub(1);
        self.swap_cache.delete(entry);
        self.swap_free(entry);
    }

    /// Drop a PTE's reference to a swap slot; if only the swap cache still holds it and the cached page is
    /// unmapped, free the cached page too (`free_swap_and_cache`, mm/swapfile.c).
    pub(crate) fn free_swap_and_cache(&mut self, entry: SwapEntry) {
        if self.swap_free(entry) {
            return;
        }
        if self.swap.count(entry) == 1 {
            if let Some(pfn) = self.swap_cache.get(entry) {
                if self.mem.meta(pfn).mapcount == 0 {
                    self.folio_free_swap(pfn); // __try_to_reclaim_swap()
                    if self.mem.meta(pfn).refcount == 0 {
                        self.free_user_frame(pfn);
                    }
                }
            }
        }
    }

    /// `do_swap_page()` (mm/memory.c; SPEC §4.3): find the page in the swap cache (minor fault) or read it from
    /// the swap device with readahead (major fault), map it, and drop the PTE's reference to the slot. A write
    /// fault maps the exclusively owned page writable and dirty at once and frees its swap copy; so does a fault
    /// when swap is more than half full (`vm_swap_full`). Otherwise the page stays in the swap cache, clean.
    pub(crate) fn do_swap_page(
        &mut self,
        pid: Pid,
        va: VirtAddr,
        slot: PteSlot,
        pte: M::Pte,
        access: Access,
        vma_flags: VmFlags,
    ) -> FaultOutcome {
        let Some(entry) = pte.swap_entry() else { return FaultOutcome::Oom };
        let Some(mm_id) = self.mm_of(pid).map(|mm| mm.id) else { return FaultOutcome::Oom };
        let mut major = false;
        let pfn = match self.swap_cache.lookup(entry) {
            Some(pfn) => {
                self.events.swapcache_hits += 1;
                // lookup_swap_cache(): folio_test_clear_readahead().
                if self.mem.meta_mut(pfn).test_and_clear(PageFlags::READAHEAD) {
                    self.events.swap_ra_hit += 1;
                    self.swap_ra.record_hit();
                }
                pfn
            }
            None => {
                let memcg = self.memcg_of(pid);
                self.lru_mut(memcg).miss(super::fault::policy_key(RmapEntry::pte(mm_id, va.vpn())));
                if !self.memcg_try_charge(pid) {
                    return FaultOutcome::Oom; // the group OOM killer has killed the task
                }
                let Some(pfn) = self.alloc_user_frame() else { return FaultOutcome::Oom };
                let from = match self.swap_read_into(entry, pfn, Some((pid, va))) {
                    Ok(from) => from,
                    Err(e) => {
                        self.log.push(Event { pid, what: format!("swap read failed: {e}") });
                        self.free_user_frame(pfn);
                        return FaultOutcome::Oom;
                    }
                };
                let m = self.mem.meta_mut(pfn);
                m.refcount = 0;
                m.set(PageFlags::LRU | PageFlags::SWAPBACKED); // __read_swap_cache_async()
                self.charge_page(pfn, memcg);
                self.add_to_swap_cache(entry, pfn);
                // A zswap load counts zswpin, not pswpin (no block I/O), but is a major fault all the same.
                match from {
                    SwapOut::Device => self.events.pswpin += 1,
                    SwapOut::Zswap => self.zswap_fault = true,
                }
                self.events.pgmajfault += 1;
                major = true;
                if !self.cfg.exact {
                    self.swapin_readahead(entry);
                }
                pfn
            }
        };
        // The PTE's reference now belongs to the mapping: map the page, release the slot reference. A page read
        // from swap has no owner until its first mapping (folio_add_new_anon_rmap when !folio_test_anon, else
        // folio_add_anon_rmap_pte).
        rmap::add(&mut self.mem, pfn, slot.rmap_entry());
        let m = self.mem.meta_mut(pfn);
        m.refcount += 1;
        if !m.is_anon() {
            m.set_anon(mm_id, va.vpn());
        }
        if let Some(mm) = self.mms.get_mut(mm_id) {
            mm.counters.swap_ents = mm.counters.swap_ents.saturating_sub(1);
            mm.add_anon(1);
        }
        let _ = self.swap_free(entry);
        let exclusive = self.mem.meta(pfn).mapcount == 1 && self.swap.count(entry) <= 1;
        let mut perms = vma_flags.page_prot() | Perms::ACCESSED;
        let write = access == Access::Write && vma_flags.contains(VmFlags::WRITE);
        if exclusive {
            self.mem.meta_mut(pfn).set(PageFlags::ANON_EXCLUSIVE);
            if write || self.swap.vm_swap_full() {
                // The page will differ from (or no longer have) its swap copy: free it now
                // (should_try_to_free_swap → folio_free_swap).
                self.folio_free_swap(pfn);
            }
            if write {
                perms |= Perms::WRITE | Perms::DIRTY;
            }
        }
        // The old entry held a swap entry: nothing a TLB could cache, so nothing to flush (Linux's do_swap_page
        // only calls update_mmu_cache, a no-op on x86).
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(pfn, perms, PageSizeKind::Size4K));
        self.flush(flush);
        if major {
            FaultOutcome::Major
        } else {
            FaultOutcome::Minor
        }
    }

    /// `swap_cluster_readahead()` (mm/swap_state.c; SPEC §6): read the naturally aligned block of `window` slots
    /// around the target into the swap cache, skipping free slots and ones already cached. Readahead never
    /// triggers reclaim: it only uses frames that are free above the min watermark.
    fn swapin_readahead(&mut self, entry: SwapEntry) {
        let window = self.swap_ra.window(entry.offset());
        if window <= 1 {
            return;
        }
        let last = self.swap.area(entry.swap_type()).map_or(0, |a| a.last_offset());
        for off in crate::swap::swap_state::cluster_readahead_range(entry.offset(), window, last) {
            let e = SwapEntry::new(entry.swap_type(), off);
            if off == entry.offset() || self.swap.count(e) == 0 || self.swap_cache.get(e).is_some() {
                continue;
            }
            // A page of a limited memory group would be charged to that group; the model does not read those
            // ahead, so a group never exceeds memory.max through readahead.
            if self.reclaim.swap_memcg.get(&e).is_some_and(|&g| g != MemcgId::ROOT && self.memcgs.contains_key(&g)) {
                continue;
            }
            if (self.frames.free_frames()) <= self.wmark.min {
                return;
            }
            let Some(pfn) = self.frames.alloc_pages(0, MigrateType::Movable, &self.mem) else { return };
            self.reclaim.user_used += 1;
            let Ok(from) = self.swap_read_into(e, pfn, None) else {
                self.free_user_frame(pfn);
                return;
            };
            let m = self.mem.meta_mut(pfn);
            m.refcount = 0;
            m.set(PageFlags::LRU | PageFlags::READAHEAD | PageFlags::SWAPBACKED); // __read_swap_cache_async()
            self.charge_page(pfn, MemcgId::ROOT);
            self.add_to_swap_cache(e, pfn);
            if from == SwapOut::Device {
                self.events.pswpin += 1;
            }
            self.events.swap_ra += 1;
        }
    }
}
