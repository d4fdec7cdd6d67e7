//! Page reclaim (mm/vmscan.c `shrink_folio_list`, `try_to_unmap`, `pageout`, kswapd; mm/page_alloc.c
//! `__alloc_pages_slowpath`; LINUX-VM-SPEC §5, §6).
//!
//! Allocation of a user page ([`Kernel::alloc_user_frame`]):
//! - **Exact mode**: `user_frames` frames hold user pages; when all are in use, the policy picks exactly one
//!   victim, which is unmapped and written to swap (SPEC §16 rules, libCacheSim-compatible counts).
//! - **Realistic mode**: the fast path needs free pages above the **low** watermark. Below it kswapd is woken;
//!   while awake it reclaims one batch of `SWAP_CLUSTER_MAX` = 32 pages per allocation (its share of the CPU in
//!   this single-CPU model) until free pages reach **high**. An allocation that finds free pages at or below
//!   **min** reclaims a batch itself (direct reclaim, `allocstall`).
//!
//! Evicting a page (`shrink_folio_list`): a page without a swap slot gets one and `PG_dirty` (`add_to_swap`); a dirty
//! PTE makes it dirty too (`try_to_unmap_one`); a dirty page is written (`pageout`, `pswpout`), while a page still
//! in the swap cache and clean has a valid copy and is dropped without I/O. Every PTE mapping it (found through the
//! reverse map) becomes the swap entry, and each TLB entry is invalidated.
//!
//! Counters (`shrink_inactive_list`, [`Kernel::count_reclaim`]): `pgscan_*` counts every page the policy took
//! from the inactive list to find a victim ([`AnyPolicy::victim_scanned`](crate::reclaim::AnyPolicy::victim_scanned)),
//! `pgsteal_*` the pages reclaimed; reclaim at a group's `memory.max` counts only in the group's `memory.stat`.
//!
//! File pages (kernel/filemap.rs `reclaim_file_page`) are unmapped (their PTEs become none), written back if dirty
//! and dropped, leaving a shadow entry; with the `linux` policy they sit on their own lists, and each victim is taken
//! from the anon or the file lists as `get_scan_count` balances them ([`crate::reclaim::ScanBalance`]).
//!
//! Simplifies: one zone, kswapd runs in the allocating context; reclaim writes dirty file pages itself (Linux leaves
//! that to the flusher threads); shmem pages are not reclaimed.

use crate::addr::{Pfn, PAGE_BYTES};
use crate::arch::{PagingMode, Perms, Pte};
use crate::kernel::cpu::Cpus;
use crate::kernel::kthread::KthreadKind;
use crate::kernel::memcontrol::MemcgId;
use crate::kernel::mm::MmArena;
use crate::kernel::pgtable::{self, PteSlot};
use crate::kernel::task::Pid;
use crate::kernel::{Event, Kernel};
use crate::phys::buddy::MigrateType;
use crate::phys::rmap::{self, RmapEntry};
use crate::phys::{PageFlags, PhysMem};
use crate::reclaim::{NoHardwareBits, Referenced};
use crate::swap::entry::SwapEntry;
use rustc_hash::FxHashMap;

/// `SWAP_CLUSTER_MAX`: pages per reclaim batch (include/linux/swap.h).
pub const SWAP_CLUSTER_MAX: u64 = 32;
/// `DEF_PRIORITY` (include/linux/mmzone.h): reclaim starts scanning `lru_size >> 12` pages.
pub const DEF_PRIORITY: u32 = 12;

/// Reclaim bookkeeping.
#[derive(Debug, Default)]
pub struct ReclaimState {
    /// Frames user pages may use (all RAM in realistic mode; N in exact mode).
    pub user_frames: u64,
    /// Frames holding user pages now (mapped pages, swap-cache pages).
    pub user_used: u64,
    /// Verify mode: checksum of each page in swap.
    pub checksums: FxHashMap<SwapEntry, u64>,
    /// Set once when swap fills and nothing can be reclaimed, so the event is logged once.
    pub reported_full: bool,
    /// The limited memory group that owned each swapped-out page (Linux's `swap_cgroup` record).
    pub swap_memcg: FxHashMap<SwapEntry, MemcgId>,
    /// Exact mode: the free user frames among `0..N`, lowest number on top, so pages fill frames 0, 1, 2, …
    /// as in the textbook (CLOCK's circle is frame order).
    pub exact_free: Vec<Pfn>,
    /// `workingset_activate_file` when reclaim last looked (`lruvec->refaults[WORKINGSET_FILE]`,
    /// `snapshot_refaults`): a change means the file working set is refaulting, so `cache_trim_mode` is off.
    pub refaults_snapshot: u64,
}

impl ReclaimState {
    /// Reclaim state for `user_frames` frames of user memory.
    pub fn new(user_frames: u64) -> Self {
        Self { user_frames, ..Self::default() }
    }
}

/// Which reclaim counter an event goes to: `pgscan_*` (pages taken from an inactive list) or `pgsteal_*` (pages
/// reclaimed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReclaimEvent {
    /// `PGSCAN_*`.
    Scan,
    /// `PGSTEAL_*`.
    Steal,
}

/// Why `shrink_folio_list` kept a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotReclaimed {
    /// `add_to_swap()` found no free slot (swap is full): `activate_locked`.
    NoSwapSlot,
    /// A mapping that could not be resolved, or a failed write: kept on the inactive list.
    Kept,
}

/// Which reclaimer is scanning (for the vmstat counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reclaimer {
    Kswapd,
    Direct,
    Exact,
}

/// `folio_referenced()` through the reverse map: test and clear the Accessed bit in every PTE that maps the frame
/// (`ptep_clear_flush_young`; the generic version invalidates the TLB entry so the next access walks and sets it
/// again, x86's flushes nothing: see `pgtable::test_and_clear_young`). It returns
/// the number of mappings that were young, as `folio_referenced()` returns `pra.referenced` (mm/rmap.c,
/// `folio_referenced_one` adds one per young PTE): a page young in two processes counts twice.
struct RmapReferenced<'a, M: PagingMode> {
    mem: &'a mut PhysMem,
    cpus: &'a mut Cpus<M>,
    mms: &'a MmArena,
    ipis: u64,
    entries: u64,
    /// Reverse-map entries that led to no PTE (a model bug; counted in `rmap_unresolved`).
    unresolved: u64,
    /// Exact (teaching) mode: flush on every architecture, so the textbook reference bit sees every reference and
    /// the full model's miss counts equal the replacement-only replay's (tests/swap_integrity.rs).
    always_flush: bool,
}

impl<'a, M: PagingMode> RmapReferenced<'a, M> {
    fn new(mem: &'a mut PhysMem, cpus: &'a mut Cpus<M>, mms: &'a MmArena) -> Self {
        Self { mem, cpus, mms, ipis: 0, entries: 0, unresolved: 0, always_flush: false }
    }
}

/// The leaf entry a reverse-map entry names: its mm's entry for the page, if the tables exist and the leaf is at
/// the recorded level (a leaf at another level is not the recorded mapping).
fn rmap_slot<M: PagingMode>(mem: &PhysMem, mms: &MmArena, e: RmapEntry) -> Option<PteSlot> {
    let mm = mms.get(e.mm)?;
    pgtable::lookup::<M>(mem, mm.pgd(), e.vpn.start()).filter(|s| s.size() == e.size)
}

impl<M: PagingMode> Referenced for RmapReferenced<'_, M> {
    fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
        let mut young = 0;
        // A copy of the (usually inline, single-entry) map: clearing A bits writes to `mem`.
        let entries = self.mem.meta(pfn).rmap.clone();
        for e in entries.iter() {
            let Some(slot) = rmap_slot::<M>(self.mem, self.mms, e) else {
                self.unresolved += 1;
                continue;
            };
            let (was_young, flush) = pgtable::test_and_clear_young::<M>(self.mem, slot, self.always_flush);
            let s = flush.flush(self.cpus);
            self.ipis += s.ipis;
            self.entries += s.entries;
            young += u32::from(was_young);
        }
        young
    }

    fn update_page_flags(&mut self, pfn: Pfn, set: PageFlags, clear: PageFlags) {
        let lru = PageFlags::ACTIVE | PageFlags::REFERENCED | PageFlags::WORKINGSET;
        debug_assert!(lru.contains(set | clear), "a policy may change only the LRU flags: {set:?} {clear:?}");
        let m = self.mem.meta_mut(pfn);
        m.clear(clear & lru);
        m.set(set & lru);
    }
}

/// A reverse-map entry that does not lead to a PTE mapping the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// The page.
    pub pfn: Pfn,
    /// The entry that could not be followed.
    pub entry: RmapEntry,
}

impl<M: PagingMode> Kernel<M> {
    /// Every entry mapping `pfn`, found through the reverse map (`rmap_walk`). An entry whose mm is gone, whose
    /// tables are missing, whose leaf is at another level, or whose entry does not map `pfn` is an error: the page
    /// must not be freed then.
    pub(crate) fn resolve_rmap(&self, pfn: Pfn) -> Result<Vec<(RmapEntry, PteSlot)>, Unresolved> {
        self.mem
            .meta(pfn)
            .rmap
            .iter()
            .map(|e| {
                let maps = |s: PteSlot| {
                    let pte = s.read::<M>(&self.mem);
                    (pte.is_present() || pte.is_protnone()) && pte.pfn() == pfn
                };
                match rmap_slot::<M>(&self.mem, &self.mms, e) {
                    Some(s) if maps(s) => Ok((e, s)),
                    _ => Err(Unresolved { pfn, entry: e }),
                }
            })
            .collect()
    }

    /// Allocate a frame for a user page, reclaiming as needed (`alloc_pages(GFP_HIGHUSER_MOVABLE)`).
    /// When reclaim cannot free a frame, the OOM killer chooses a victim (`__alloc_pages_may_oom` →
    /// `out_of_memory`, kernel/oom_kill.rs) and the allocation is retried. `None` when the allocating task itself
    /// was chosen, or nothing could be killed (exact mode has no OOM killer: swap full is the end).
    pub(crate) fn alloc_user_frame(&mut self) -> Option<Pfn> {
        if self.cfg.exact {
            if self.reclaim.exact_free.is_empty() && self.shrink(1, Reclaimer::Exact) == 0 {
                return self.alloc_failed();
            }
            let pfn = self.reclaim.exact_free.pop()?;
            self.reclaim.user_used += 1;
            return Some(pfn);
        }
        self.balance();
        loop {
            if let Some(pfn) = self.frames.alloc_pages(0, MigrateType::Movable, &self.mem) {
                self.reclaim.user_used += 1;
                return Some(pfn);
            }
            self.oom_or_fail()?;
        }
    }

    /// Nothing could be reclaimed: run the OOM killer. `Some` when it killed another process (retry the
    /// allocation), `None` when the allocation must fail.
    fn oom_or_fail(&mut self) -> Option<()> {
        match self.out_of_memory(None) {
            Some(crate::kernel::oom_kill::OomVictim::Other(_)) => Some(()),
            _ => {
                self.alloc_failed();
                None
            }
        }
    }

    /// Make sure `n` frames are free for page tables, reclaiming user pages if needed, and as a last resort
    /// killing a process (realistic mode; exact mode takes tables from its reserve). The caller's table
    /// allocation fails if they still are not free.
    pub(crate) fn reserve_table_frames(&mut self, n: usize) {
        if !self.cfg.exact && self.frames.free_frames() < n as u64 {
            self.shrink(SWAP_CLUSTER_MAX, Reclaimer::Direct);
            while self.frames.free_frames() < n as u64 && self.oom_or_fail().is_some() {}
        }
    }

    /// The watermark logic of the allocator slow path (SPEC §5): wake kswapd at or below low (it runs at the
    /// next scheduling point, kernel/kthread.rs); reclaim directly at or below min.
    fn balance(&mut self) {
        let free = self.frames.free_frames();
        if free <= self.wmark.low && self.kthreads.wake(KthreadKind::Kswapd) {
            self.events.kswapd_wake += 1; // wakeup_kswapd()
        }
        if self.frames.free_frames() <= self.wmark.min {
            self.events.allocstall += 1;
            self.shrink(SWAP_CLUSTER_MAX, Reclaimer::Direct);
        }
        if self.frames.free_frames() == 0 {
            // Last resort before OOM: keep reclaiming one page at a time.
            self.shrink(1, Reclaimer::Direct);
        }
    }

    /// kswapd's body (`balance_pgdat`): one batch of `SWAP_CLUSTER_MAX` pages per run; back to sleep once free
    /// pages are above the high watermark, or when nothing could be reclaimed.
    pub(crate) fn kswapd_run(&mut self) {
        // pgdat_balanced() → zone_watermark_ok_safe(zone, order, high_wmark_pages(zone), ...) →
        // __zone_watermark_ok(): `if (free_pages <= min + z->lowmem_reserve[highest_zoneidx]) return false;`, so
        // the zone is balanced only with free pages strictly above the high watermark (mm/page_alloc.c).
        if self.frames.free_frames() > self.wmark.high {
            // pgdat_balanced(): nothing to do (an allocation woke it, but frees since then balanced the zone).
            self.kthreads.sleep(KthreadKind::Kswapd, None);
            return;
        }
        let reclaimed = self.shrink(SWAP_CLUSTER_MAX, Reclaimer::Kswapd);
        if self.frames.free_frames() > self.wmark.high || reclaimed == 0 {
            self.kthreads.sleep(KthreadKind::Kswapd, None);
        }
    }

    /// An allocation that fails for good: counted, and the first one logged.
    fn alloc_failed(&mut self) -> Option<Pfn> {
        self.events.oom += 1;
        if !self.reclaim.reported_full {
            self.reclaim.reported_full = true;
            let why = if self.swap.total_pages() == 0 { "no swap configured" } else { "swap is full" };
            self.log
                .push(Event { pid: Pid(0), what: format!("out of memory: no free frame, {why}, nothing reclaimable") });
        }
        None
    }

    /// Reclaim inside memory group `memcg` (one batch): `try_to_free_mem_cgroup_pages`. This is `cgroup_reclaim(sc)`
    /// (`sc->target_mem_cgroup` set): its scans and steals count in the group's `memory.stat` only, not in
    /// /proc/vmstat (see [`Kernel::count_reclaim`]).
    pub(crate) fn shrink_memcg(&mut self, memcg: MemcgId) -> u64 {
        let n = self.shrink_from(1, Reclaimer::Direct, Some(memcg));
        if let Some(g) = self.memcgs.get_mut(&memcg) {
            g.reclaimed += n;
        }
        n
    }

    /// Reclaim up to `nr` pages from the policy's victims. Returns pages reclaimed.
    fn shrink(&mut self, nr: u64, who: Reclaimer) -> u64 {
        self.shrink_from(nr, who, None)
    }

    /// The lruvec global reclaim takes its next victim from: the largest (root or group).
    fn largest_lruvec(&self) -> MemcgId {
        let mut best = (self.lru.len(), MemcgId::ROOT);
        for (&id, g) in &self.memcgs {
            if g.lru.len() > best.0 {
                best = (g.lru.len(), id);
            }
        }
        best.1
    }

    fn shrink_from(&mut self, nr: u64, who: Reclaimer, target: Option<MemcgId>) -> u64 {
        let mut done = 0;
        let refaults = self.events.workingset_activate_file;
        let refaulting = refaults != self.reclaim.refaults_snapshot;
        self.reclaim.refaults_snapshot = refaults;
        for _ in 0..nr {
            let memcg = target.unwrap_or_else(|| self.largest_lruvec());
            let may_swap = self.swap.free_pages() > 0;
            let swappiness = self.cfg.swappiness;
            // A-bit policies ask the page tables; the others were told of every access through touch().
            let lru = match self.memcgs.get_mut(&memcg) {
                Some(g) if memcg != MemcgId::ROOT => &mut g.lru,
                _ => &mut self.lru,
            };
            // prepare_scan_control(): cache_trim_mode when the inactive file list holds `file >> DEF_PRIORITY`
            // pages, is not low, and the file working set is not refaulting.
            let (inactive_file, active_file) = lru.file_list_sizes();
            let cache_trim = (inactive_file >> DEF_PRIORITY) > 0
                && !crate::reclaim::two_list::inactive_is_low(inactive_file, active_file)
                && !refaulting;
            lru.balance = crate::reclaim::ScanBalance { swappiness, may_swap, cache_trim };
            let (victim, scanned) = if lru.uses_accessed_bits() {
                let mut refs = RmapReferenced::<M>::new(&mut self.mem, &mut self.cpus, &self.mms);
                refs.always_flush = self.cfg.exact;
                let v = lru.victim_scanned(&mut refs);
                self.events.tlb_shootdown_ipis += refs.ipis;
                self.events.rmap_unresolved += refs.unresolved;
                self.events.tlb_entries_flushed += refs.entries;
                v
            } else {
                lru.victim_scanned(&mut NoHardwareBits)
            };
            // Every page taken from the inactive list counts, also those rotated or activated on the way.
            self.count_reclaim(memcg, who, target.is_some(), ReclaimEvent::Scan, scanned);
            let Some(pfn) = victim else { break };
            self.mem.meta_mut(pfn).clear(PageFlags::LRU);
            if let Err(why) = self.evict(pfn) {
                // Not reclaimed: put it back and stop.
                self.putback_unreclaimed(pfn, memcg, why);
                break;
            }
            self.count_reclaim(memcg, who, target.is_some(), ReclaimEvent::Steal, 1);
            done += 1;
        }
        done
    }

    /// Count `n` pages scanned or reclaimed from the LRU lists of group `lruvec` by `who`, as `shrink_inactive_list`
    /// counts them (mm/vmscan.c, v6.6 to v7.0):
    ///
    /// ```c
    /// item = PGSCAN_KSWAPD + reclaimer_offset(sc);
    /// if (!cgroup_reclaim(sc))
    ///         __count_vm_events(item, nr_scanned);
    /// count_memcg_events(lruvec_memcg(lruvec), item, nr_scanned);
    /// ...
    /// item = PGSTEAL_KSWAPD + reclaimer_offset(sc);
    /// if (!cgroup_reclaim(sc))
    ///         __count_vm_events(item, nr_reclaimed);
    /// count_memcg_events(lruvec_memcg(lruvec), item, nr_reclaimed);
    /// ```
    ///
    /// `reclaimer_offset()` is 0 for kswapd (`current_is_kswapd()`), 2 for khugepaged and 3 for proactive reclaim
    /// (`memory.reclaim`, `sc->proactive`), else 1 (direct): vmsim has only kswapd and direct reclaim, and reclaim
    /// at a group's `memory.max` runs in the charging task, so it is direct. `cgroup_reclaim(sc)` is
    /// `sc->target_mem_cgroup` (`try_to_free_mem_cgroup_pages`): limit reclaim is left out of /proc/vmstat's
    /// `pgscan_*`/`pgsteal_*` and counted only in the group's `memory.stat`, while global reclaim that scans a
    /// group's lists counts in both. (`pgactivate`/`pgdeactivate` are not gated: `shrink_folio_list` ends with
    /// `count_vm_events(PGACTIVATE, pgactivate)`, `shrink_active_list` with `__count_vm_events(PGDEACTIVATE, ..)`.)
    /// A patch acked for mm-new in February 2026 ("mm: move pgscan, pgsteal, pgrefill to node stats") makes these
    /// node stats counted by `mod_lruvec_state()`, which would count limit reclaim in /proc/vmstat too; vmsim
    /// follows the released kernels until that lands in one.
    fn count_reclaim(&mut self, lruvec: MemcgId, who: Reclaimer, cgroup_reclaim: bool, what: ReclaimEvent, n: u64) {
        if n == 0 {
            return;
        }
        let kswapd = who == Reclaimer::Kswapd;
        if !cgroup_reclaim {
            let e = &mut self.events;
            *match (what, kswapd) {
                (ReclaimEvent::Scan, true) => &mut e.pgscan_kswapd,
                (ReclaimEvent::Scan, false) => &mut e.pgscan_direct,
                (ReclaimEvent::Steal, true) => &mut e.pgsteal_kswapd,
                (ReclaimEvent::Steal, false) => &mut e.pgsteal_direct,
            } += n;
        }
        if lruvec != MemcgId::ROOT {
            if let Some(g) = self.memcgs.get_mut(&lruvec) {
                g.stat.count(what, kswapd, n);
            }
        }
    }

    /// Put back a page `shrink_folio_list` could not reclaim. Without a swap slot (`add_to_swap()` failed) Linux
    /// jumps to `activate_locked`: `folio_set_active()`, counted in `pgactivate`, and the page goes back to the
    /// active list (mm/vmscan.c), so the next scans do not pick it again at once; other policies have no active
    /// list and take it back as a new page. A page kept for another reason (a mapping that could not be found, a
    /// failed write) goes back to the inactive list (`keep_locked`).
    fn putback_unreclaimed(&mut self, pfn: Pfn, memcg: MemcgId, why: NotReclaimed) {
        self.mem.meta_mut(pfn).set(PageFlags::LRU);
        let class =
            if self.mem.meta(pfn).is_file() { crate::reclaim::LruClass::File } else { crate::reclaim::LruClass::Anon };
        let info = crate::reclaim::PageInfo { nr_pages: 1, class };
        if why == NotReclaimed::NoSwapSlot && self.lru_mut(memcg).putback_activated(pfn, info) {
            self.mem.meta_mut(pfn).set(PageFlags::ACTIVE);
            return;
        }
        self.lru_mut(memcg).insert_folio(pfn, info, crate::reclaim::NextUse::NEVER);
    }

    /// Unmap `pfn` from every PTE, write it to swap unless a valid copy exists, and free it
    /// (`shrink_folio_list` → `add_to_swap` → `try_to_unmap` → `pageout`). False if no swap slot was available,
    /// or if a reverse-map entry could not be resolved (then the page stays, and the error is logged and counted
    /// in `rmap_unresolved`: freeing it could leave a PTE pointing at a free frame).
    fn evict(&mut self, pfn: Pfn) -> Result<(), NotReclaimed> {
        if self.mem.meta(pfn).is_file() {
            let done = self.reclaim_file_page(pfn);
            self.events.pgsteal_file += u64::from(done);
            return if done { Ok(()) } else { Err(NotReclaimed::Kept) };
        }
        let done = self.evict_anon(pfn);
        self.events.pgsteal_anon += u64::from(done.is_ok());
        done
    }

    /// [`Kernel::evict`] for an anonymous page: to swap.
    fn evict_anon(&mut self, pfn: Pfn) -> Result<(), NotReclaimed> {
        let mappings = match self.resolve_rmap(pfn) {
            Ok(m) => m,
            Err(u) => {
                self.events.rmap_unresolved += 1;
                self.log.push(Event {
                    pid: Pid(0),
                    what: format!(
                        "reclaim: frame {} has a reverse-map entry (mm {}, page {:#x}) that maps nothing: kept",
                        u.pfn.raw(),
                        u.entry.mm.0,
                        u.entry.vpn.raw()
                    ),
                });
                return Err(NotReclaimed::Kept);
            }
        };
        let cached = self.mem.meta(pfn).swap;
        let entry = match cached {
            Some(e) => e,
            None => {
                // add_to_swap(): a slot, and PG_dirty ("Always setting the dirty flag for the folio").
                let Some(e) = self.swap.alloc() else { return Err(NotReclaimed::NoSwapSlot) };
                self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
                e
            }
        };
        // try_to_unmap_one() moves each PTE's dirty bit to the page (folio_mark_dirty). The model reads the bits
        // here and replaces the entries after pageout, so a failed write leaves the page mapped.
        for (_, slot) in &mappings {
            if slot.read::<M>(&self.mem).perms().contains(Perms::DIRTY) {
                self.mem.meta_mut(pfn).set(PageFlags::DIRTY);
            }
        }
        if self.mem.meta(pfn).test(PageFlags::DIRTY) {
            // pageout(): folio_clear_dirty_for_io(), then swap_writepage(). A page already in the swap cache is
            // dirty when a writable PTE changed it after it was read back (mprotect makes an exclusive page
            // writable without a fault): its slot is rewritten.
            self.mem.meta_mut(pfn).clear(PageFlags::DIRTY);
            let page: [u8; PAGE_BYTES] = *self.mem.page(pfn);
            match self.swap_write(entry, &page) {
                Ok(crate::kernel::swapin::SwapOut::Device) => self.events.pswpout += 1,
                Ok(crate::kernel::swapin::SwapOut::Zswap) => {}
                Err(err) => {
                    self.log.push(Event { pid: Pid(0), what: format!("swap write failed: {err}") });
                    self.mem.meta_mut(pfn).set(PageFlags::DIRTY); // still not on disk
                    if cached.is_none() {
                        let _ = self.swap_free(entry);
                    }
                    return Err(NotReclaimed::Kept);
                }
            }
        } else {
            // In the swap cache and clean: its swap copy is valid, so it is dropped without I/O.
            self.events.reclaim_clean += 1;
        }
        let memcg = self.mem.meta(pfn).memcg;
        if memcg == MemcgId::ROOT {
            self.reclaim.swap_memcg.remove(&entry);
        } else {
            self.reclaim.swap_memcg.insert(entry, memcg);
        }
        // try_to_unmap(): every mapping becomes the swap entry and takes a reference on the slot.
        for (m, slot) in mappings {
            let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::from_swap(entry));
            self.flush(flush);
            self.swap.dup(entry);
            rmap::remove(&mut self.mem, pfn, m);
            if let Some(mm) = self.mms.get_mut(m.mm) {
                mm.counters.anon_pages = mm.counters.anon_pages.saturating_sub(1);
                mm.counters.swap_ents += 1;
            }
        }
        if cached.is_some() {
            self.delete_from_swap_cache(pfn);
        } else {
            // The slot's first reference (from allocation) was the swap cache's; the page now leaves the cache.
            self.swap_free(entry);
        }
        self.free_user_frame(pfn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::x86_64::X86FourLevel;
    use crate::kernel::mmap::MmapArgs;
    use crate::kernel::{KernelConfig, Layout};
    use crate::mmu::tlb::TlbConfig;
    use crate::{VirtAddr, PAGE_SIZE};

    use crate::kernel::tlbflush::TlbFlush;
    use crate::reclaim::Policy;

    type K = Kernel<X86FourLevel>;

    fn one_page(k: &mut K, pid: Pid) -> VirtAddr {
        let args = MmapArgs::anon_rw(PAGE_SIZE);
        k.mmap(pid, &args).unwrap()
    }

    /// `pgdat_balanced()` needs free pages strictly above the high watermark (`__zone_watermark_ok` fails when
    /// `free_pages <= mark`): with free == high, a woken kswapd still reclaims a batch.
    #[test]
    fn kswapd_is_balanced_only_above_high() {
        let mut k = K::new(256, &TlbConfig::default(), KernelConfig::default()).unwrap();
        let dev = crate::swap::swapfile::SwapDeviceConfig { priority: None, size_pages: Some(64), file: None };
        k.swap.add(&dev).unwrap();
        let a = k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap();
        let args = MmapArgs::anon_rw(64 * PAGE_SIZE);
        let va = k.mmap(a, &args).unwrap();
        for i in 0..64 {
            let r = k.write_user(a, VirtAddr::new(va.raw() + i * PAGE_SIZE), &[1]);
            assert!(matches!(r, crate::kernel::AccessResult::Ok(_)));
        }
        k.wmark.high = k.frames.free_frames();
        k.kthreads.wake(KthreadKind::Kswapd);
        k.kswapd_run();
        assert!(k.events.pgscan_kswapd > 0, "free == high is not balanced: kswapd reclaims");
        let scanned = k.events.pgscan_kswapd;
        k.wmark.high = k.frames.free_frames() - 1;
        k.kthreads.wake(KthreadKind::Kswapd);
        k.kswapd_run();
        assert_eq!(k.events.pgscan_kswapd, scanned, "free > high: balanced, kswapd sleeps");
    }

    /// Swap full: `add_to_swap()` fails and `shrink_folio_list` jumps to `activate_locked` (mm/vmscan.c): the page
    /// goes back on the active list with PG_active, counted in `pgactivate`, not back on the inactive list.
    #[test]
    fn a_page_that_finds_swap_full_is_activated() {
        // vm.overcommit_memory = 1: the 200-page mapping is more than RAM + swap, which mode 0 refuses.
        let overcommit = crate::kernel::overcommit::OvercommitConfig {
            mode: crate::kernel::overcommit::OvercommitMode::Always,
            ..Default::default()
        };
        let mut k = K::new(128, &TlbConfig::default(), KernelConfig { overcommit, ..KernelConfig::default() }).unwrap();
        let dev = crate::swap::swapfile::SwapDeviceConfig { priority: None, size_pages: Some(4), file: None };
        k.swap.add(&dev).unwrap();
        let a = k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap();
        let va = k.mmap(a, &MmapArgs::anon_rw(200 * PAGE_SIZE)).unwrap();
        let mut i = 0;
        while k.swap.free_pages() > 0 {
            let r = k.write_user(a, VirtAddr::new(va.raw() + i * PAGE_SIZE), &[1]);
            assert!(matches!(r, crate::kernel::AccessResult::Ok(_)), "{r:?}");
            i += 1;
        }
        // No page is referenced any more, so the scan takes the inactive tail at once.
        let frames: Vec<Pfn> = (0..k.mem.frames()).map(Pfn::from_index).collect();
        let mut refs = RmapReferenced::<X86FourLevel>::new(&mut k.mem, &mut k.cpus, &k.mms);
        for &f in &frames {
            let _ = refs.test_and_clear_young(f);
        }
        let lists = |k: &K| match k.lru.inner() {
            crate::reclaim::PolicyImpl::Linux(t) => t.clone(),
            _ => unreachable!("the default policy is linux"),
        };
        let before = lists(&k);
        let (inactive, active) = before.list_sizes();
        let tail: Vec<Pfn> = frames.iter().copied().filter(|&f| before.contains(f) && !before.is_active(f)).collect();
        assert_eq!(k.shrink(1, Reclaimer::Direct), 0, "nothing can be reclaimed: swap is full");
        let after = lists(&k);
        assert_eq!(after.list_sizes(), (inactive - 1, active + 1), "the victim went to the active list");
        assert_eq!(after.stats().activations, before.stats().activations + 1, "counted in pgactivate");
        let moved: Vec<Pfn> = tail.into_iter().filter(|&f| after.is_active(f)).collect();
        assert_eq!(moved.len(), 1);
        assert!(k.mem.meta(moved[0]).test(PageFlags::ACTIVE) && k.mem.meta(moved[0]).test(PageFlags::LRU));
    }

    /// `folio_referenced()` counts each young mapping: a page mapped by two address spaces, used through both,
    /// is referenced twice, and the walk clears both bits.
    #[test]
    fn rmap_walk_counts_every_young_mapping() {
        let mut k = K::new(256, &TlbConfig::default(), KernelConfig::default()).unwrap();
        let (a, b) = (
            k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap(),
            k.spawn("b", &Layout::default_for::<X86FourLevel>()).unwrap(),
        );
        let (va, vb) = (one_page(&mut k, a), one_page(&mut k, b));
        assert!(matches!(k.write_user(a, va, &[7]), crate::kernel::AccessResult::Ok(_)));
        let mm_a = k.mm_of(a).unwrap();
        let pfn = pgtable::lookup::<X86FourLevel>(&k.mem, mm_a.pgd(), va).unwrap().read::<X86FourLevel>(&k.mem).pfn();
        // Share the frame with b as fork would (the rmap learns of the second mapping), then use it from b.
        let (mm_b, pgd_b) = (k.mm_of(b).unwrap().id, k.mm_of(b).unwrap().pgd());
        let (_, flush) =
            pgtable::map_page::<X86FourLevel>(&mut k.mem, &mut k.frames, pgd_b, vb, pfn, Perms::READ | Perms::USER)
                .unwrap();
        k.flush(flush);
        rmap::add(&mut k.mem, pfn, RmapEntry::pte(mm_b, vb.vpn()));
        let mut byte = [0u8];
        assert!(matches!(k.read_user(b, vb, &mut byte), crate::kernel::AccessResult::Ok(_)));
        assert_eq!(byte, [7]);
        let mut refs = RmapReferenced::<X86FourLevel>::new(&mut k.mem, &mut k.cpus, &k.mms);
        assert_eq!(refs.test_and_clear_young(pfn), 2, "young in a and in b");
        assert_eq!(refs.test_and_clear_young(pfn), 0, "both bits were cleared");
        assert_eq!(refs.unresolved, 0);
        // x86 did not flush when it cleared the bits: b's read hits its cached translation and sets no A bit.
        assert!(matches!(k.read_user(b, vb, &mut byte), crate::kernel::AccessResult::Ok(_)));
        let mut refs = RmapReferenced::<X86FourLevel>::new(&mut k.mem, &mut k.cpus, &k.mms);
        assert_eq!(refs.test_and_clear_young(pfn), 0, "a TLB hit does not set A");
        // Once b's translation leaves the TLB, its next read walks and sets A again.
        let _ = TlbFlush::mm(mm_b).flush(&mut k.cpus);
        assert!(matches!(k.read_user(b, vb, &mut byte), crate::kernel::AccessResult::Ok(_)));
        let mut refs = RmapReferenced::<X86FourLevel>::new(&mut k.mem, &mut k.cpus, &k.mms);
        assert_eq!(refs.test_and_clear_young(pfn), 1, "only b used it since the flush");
    }

    /// Clearing the Accessed bit flushes no TLB entry on x86 (arch/x86/mm/pgtable.c `ptep_clear_flush_young` is
    /// `ptep_test_and_clear_young` alone), while the generic `ptep_clear_flush_young` (mm/pgtable-generic.c),
    /// which the linear teaching table keeps, flushes the page when it was young.
    #[test]
    fn clearing_accessed_flushes_the_tlb_only_off_x86() {
        fn young_clear<M: crate::arch::PagingMode>() -> (u32, bool, bool) {
            let mut k = Kernel::<M>::new(64, &TlbConfig::default(), KernelConfig::default()).unwrap();
            let a = k.spawn("a", &Layout::default_for::<M>()).unwrap();
            let va = k.mmap(a, &MmapArgs::anon_rw(PAGE_SIZE)).unwrap();
            assert!(matches!(k.write_user(a, va, &[1]), crate::kernel::AccessResult::Ok(_)));
            let mm = k.mm_of(a).unwrap();
            let (id, pfn) = (mm.id, pgtable::lookup::<M>(&k.mem, mm.pgd(), va).unwrap().read::<M>(&k.mem).pfn());
            let mut refs = RmapReferenced::<M>::new(&mut k.mem, &mut k.cpus, &k.mms);
            let young = refs.test_and_clear_young(pfn);
            let flushed = refs.entries;
            // Whether the next read still hits the cached translation (no page walk).
            let walks = |k: &Kernel<M>| k.cpus.iter().map(|c| c.mmu.walk_stats().count).sum::<u64>();
            let before = walks(&k);
            assert!(matches!(k.read_user(a, va, &mut [0]), crate::kernel::AccessResult::Ok(_)));
            let a_set = pgtable::lookup::<M>(&k.mem, k.mm_of(a).unwrap().pgd(), va).unwrap().read::<M>(&k.mem);
            assert_eq!(a_set.perms().contains(Perms::ACCESSED), walks(&k) > before, "only a walk sets A ({id:?})");
            (young, flushed > 0, walks(&k) == before)
        }
        assert_eq!(young_clear::<X86FourLevel>(), (1, false, true), "x86: young, nothing flushed, still cached");
        assert_eq!(young_clear::<crate::arch::linear::Linear>(), (1, true, false), "generic: the page is flushed");
    }
}
