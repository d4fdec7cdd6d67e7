//! Linux's two-list LRU for anonymous pages: an inactive list that reclaim scans from its tail, and an active list
//! that protects pages shown to be in use, aged down into the inactive list when the inactive list runs low.
//!
//! Source: mm/vmscan.c (`folio_check_references`, `shrink_active_list`, `inactive_is_low`) and mm/swap.c
//! (`folio_mark_accessed`), read against v6.6–linux-next (LINUX-VM-SPEC §5):
//! - New anonymous pages go to the head of the inactive list (`folio_add_lru_vma`; since v5.9 [U], SPEC §17.3).
//! - `touch` is `folio_mark_accessed()`: inactive+unreferenced → inactive+referenced → active+unreferenced →
//!   active+referenced (SPEC §5 [V]). The kernel model calls it on faults and `mark_page_accessed()` paths; the
//!   trace replay calls it on every hit, which makes the second hit on an inactive page activate it.
//! - A victim search first ages the active list if `inactive_is_low()`, then scans the inactive tail and applies
//!   `folio_check_references()` with `ptes` = the number of mappings [`Referenced::test_and_clear_young`] found
//!   young (`folio_referenced()`'s count: a page young in two processes has `ptes` = 2) and `ref` = PG_referenced,
//!   test-and-cleared. Each page tested counts in [`PolicyStats::scanned`]: it is one page `isolate_lru_folios`
//!   took from the inactive list (`pgscan_*`), whatever happens to it. First match wins: `ptes > 0 && (ref ||
//!   ptes > 1)` → set PG_referenced, activate (`if (referenced_folio || referenced_ptes > 1) return
//!   FOLIOREF_ACTIVATE;`: every mapping starts young from its fault, so one young PTE says little, but young in two
//!   mappings is two uses); `ptes > 0` → set PG_referenced, rotate to the inactive head (keep); otherwise reclaim
//!   (an anon page's PG_referenced alone does not save it).
//! - `shrink_active_list()` takes pages from the active tail, clears their A bits (`folio_referenced()`), and
//!   deactivates them *even if referenced*: only executable file pages get another trip around the active list
//!   ("Anon folios are not likely to be evicted by use-once streaming IO ... so we ignore them here"). PG_referenced
//!   is left set, so a deactivated page used again is quickly re-activated (comment in `folio_check_references`).
//!
//! PG_active, PG_referenced and PG_workingset live here (list membership and `referenced`); every change `victim`
//! makes is reported through [`Referenced::update_page_flags`], so the kernel model's frame flags mirror these
//! lists (the kernel never calls `touch` on this policy: it learns of accesses through the A bits only).
//!
//! The `linux` policy keeps a second `TwoList` for file pages (reclaim/mod.rs `AnyPolicy`), with the same rules.
//!
//! Simplifies: one lruvec per memory group (no `VM_LOCKED`, rmap contention, MGLRU, nor the extra trip round the
//! active list that `shrink_active_list` gives referenced executable file pages);
//! reclaim hands out one victim per call instead of `SWAP_CLUSTER_MAX` batches at a priority; aging deactivates at
//! most `SWAP_CLUSTER_MAX` pages per call and stops as soon as the inactive list is no longer low, where the kernel
//! scans `lru_size >> priority` pages. Does badly in pure trace replay ([`NoHardwareBits`](super::NoHardwareBits)):
//! with no A bits, `folio_check_references` always reclaims and only double hits (via `touch`) promote, so it acts
//! like a 2Q with a FIFO probation queue; and in general on looping scans slightly larger than the inactive list.

use super::frame_list::PerFrame;
use super::frame_list::{pfn_of, slot, Links, List};
use super::{Isolated, NextUse, Policy, PolicyStats, Referenced};
use crate::addr::Pfn;
use crate::phys::PageFlags;

/// Pages moved per reclaim batch (`SWAP_CLUSTER_MAX`, include/linux/swap.h; SPEC §5).
pub const SWAP_CLUSTER_MAX: usize = 32;
/// `30 - PAGE_SHIFT`: pages → GiB in `inactive_is_low()` (SPEC §5).
const PAGES_PER_GIB_SHIFT: u32 = 30 - crate::addr::PAGE_SHIFT;

const INACTIVE: u8 = 1;
const ACTIVE: u8 = 2;

/// `inactive_is_low()` (mm/vmscan.c; SPEC §5): `gb = (inactive + active) >> 18`,
/// `ratio = gb ? int_sqrt(10 * gb) : 1`, low iff `inactive * ratio < active`.
pub fn inactive_is_low(inactive: u64, active: u64) -> bool {
    let gb = (inactive + active) >> PAGES_PER_GIB_SHIFT;
    let ratio = if gb == 0 { 1 } else { (10 * gb).isqrt() };
    inactive * ratio < active
}

/// The active/inactive anon LRU.
#[derive(Debug, Clone)]
pub struct TwoList {
    links: Links,
    inactive: List,
    active: List,
    /// PG_referenced.
    referenced: PerFrame<bool>,
    stats: PolicyStats,
}

impl TwoList {
    /// Sizes of the (inactive, active) lists.
    pub fn list_sizes(&self) -> (usize, usize) {
        (self.inactive.len(), self.active.len())
    }

    /// Whether `pfn` is on the active list.
    pub fn is_active(&self, pfn: Pfn) -> bool {
        self.active.contains(&self.links, slot(pfn))
    }

    /// Whether `pfn` has PG_referenced set.
    pub fn is_referenced(&self, pfn: Pfn) -> bool {
        self.links.on(slot(pfn)) != 0 && self.referenced[pfn.index()]
    }

    /// Move `pfn` from the inactive to the active list (a refault found recent by mm/workingset.c: the folio is
    /// added to the LRU already active, which Linux does not count in `pgactivate`). False if it was not inactive.
    pub fn activate_refault(&mut self, pfn: Pfn) -> bool {
        let i = slot(pfn);
        if self.links.on(i) != INACTIVE {
            return false;
        }
        self.inactive.unlink(&mut self.links, i);
        self.active.push_front(&mut self.links, i);
        true
    }

    /// `activate_locked` (mm/vmscan.c `shrink_folio_list`): a page taken for reclaim that could not be reclaimed
    /// goes to the head of the active list with PG_referenced clear, counted in `pgactivate`.
    pub fn putback_activated(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        self.referenced[i as usize] = false;
        self.active.push_front(&mut self.links, i);
        self.stats.activations += 1;
    }

    fn low(&self) -> bool {
        inactive_is_low(self.inactive.len() as u64, self.active.len() as u64)
    }

    fn activate(&mut self, i: u32) {
        self.inactive.unlink(&mut self.links, i);
        self.active.push_front(&mut self.links, i);
        self.stats.activations += 1;
    }

    /// `shrink_active_list()` for anon pages: deactivate from the active tail, clearing A bits, while the inactive
    /// list is low, at most [`SWAP_CLUSTER_MAX`] pages.
    fn shrink_active_list<R: Referenced>(&mut self, refs: &mut R) {
        for _ in 0..SWAP_CLUSTER_MAX {
            if !self.low() {
                break;
            }
            let Some(i) = self.active.pop_back(&mut self.links) else { break };
            // folio_referenced(): clears the A bits; the answer only matters for executable file pages.
            let _ = refs.test_and_clear_young(pfn_of(i));
            self.inactive.push_front(&mut self.links, i);
            self.stats.deactivations += 1;
            // folio_clear_active(); folio_set_workingset(): it was in the working set.
            refs.update_page_flags(pfn_of(i), PageFlags::WORKINGSET, PageFlags::ACTIVE);
        }
    }
}

impl Policy for TwoList {
    const USES_ACCESSED_BITS: bool = true;
    const NAME: &'static str = "linux";

    fn new(_frames: usize, _seed: u64) -> Self {
        Self {
            links: Links::new(),
            inactive: List::new(INACTIVE),
            active: List::new(ACTIVE),
            referenced: PerFrame::new(false),
            stats: PolicyStats::default(),
        }
    }

    /// `folio_add_lru()`: a new anon page starts inactive and unreferenced.
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        self.referenced[i as usize] = false;
        self.inactive.push_front(&mut self.links, i);
    }

    /// `folio_mark_accessed()` (mm/swap.c).
    #[inline]
    fn touch(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        match self.links.on(i) {
            0 => {}
            _ if !self.referenced[i as usize] => self.referenced[i as usize] = true,
            INACTIVE => {
                self.activate(i);
                self.referenced[i as usize] = false;
            }
            _ => {} // active and referenced: stays
        }
    }

    fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        // Each page is rotated or activated at most once per pass before its A bit (cleared by the test) lets it go;
        // the bound only stops a `Referenced` that reports every page young forever (the kernel would lower the
        // priority and eventually OOM-kill); then the inactive tail is taken regardless.
        let mut budget = 4 * self.len() + 2 * SWAP_CLUSTER_MAX;
        loop {
            if self.low() {
                self.shrink_active_list(refs);
            }
            let i = self.inactive.tail()?;
            self.stats.scanned += 1;
            // folio_check_references(): ptes via rmap (A bits), ref = folio_test_clear_referenced().
            let ptes = refs.test_and_clear_young(pfn_of(i));
            let was_referenced = std::mem::take(&mut self.referenced[i as usize]);
            if ptes > 0 && budget > 0 {
                budget -= 1;
                self.referenced[i as usize] = true;
                if was_referenced || ptes > 1 {
                    self.activate(i); // FOLIOREF_ACTIVATE: folio_set_referenced(), then folio_set_active()
                    refs.update_page_flags(pfn_of(i), PageFlags::ACTIVE | PageFlags::REFERENCED, PageFlags::empty());
                } else {
                    self.inactive.move_to_front(&mut self.links, i); // FOLIOREF_KEEP: folio_set_referenced()
                    refs.update_page_flags(pfn_of(i), PageFlags::REFERENCED, PageFlags::empty());
                }
                continue;
            }
            self.inactive.unlink(&mut self.links, i); // FOLIOREF_RECLAIM
                                                      // folio_test_clear_referenced() left PG_referenced clear.
            refs.update_page_flags(pfn_of(i), PageFlags::empty(), PageFlags::REFERENCED);
            return Some(pfn_of(i));
        }
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        match self.links.on(i) {
            INACTIVE => self.inactive.unlink(&mut self.links, i),
            ACTIVE => self.active.unlink(&mut self.links, i),
            _ => {}
        }
    }

    fn len(&self) -> usize {
        self.inactive.len() + self.active.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.links.on(slot(pfn)) != 0
    }

    /// `folio_isolate_lru()`: off its list, keeping PG_active and PG_referenced for the putback.
    fn isolate(&mut self, pfn: Pfn) -> Option<Isolated> {
        let i = slot(pfn);
        let active = match self.links.on(i) {
            0 => return None,
            ACTIVE => true,
            _ => false,
        };
        let state = Isolated { active, referenced: self.referenced[i as usize] };
        self.remove(pfn);
        Some(state)
    }

    /// `folio_putback_lru()` → `lru_add()`: to the head of the active list if PG_active, else the inactive one.
    fn putback(&mut self, pfn: Pfn, state: Isolated, _next: NextUse) {
        let i = slot(pfn);
        self.referenced[i as usize] = state.referenced;
        if state.active {
            self.active.push_front(&mut self.links, i);
        } else {
            self.inactive.push_front(&mut self.links, i);
        }
    }

    fn stats(&self) -> PolicyStats {
        let (inactive, active) = self.list_sizes();
        PolicyStats { active_pages: active as u64, inactive_pages: inactive as u64, ..self.stats }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    fn frame(i: usize) -> Pfn {
        Pfn::from_index(i)
    }

    /// Hardware A bits that stay set until tested (an honest rmap walk).
    struct ABits(Vec<bool>);
    impl Referenced for ABits {
        fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
            u32::from(std::mem::take(&mut self.0[pfn.index()]))
        }
    }

    #[test]
    fn spec_5_inactive_ratio_examples() {
        // SPEC §5: 1 GiB → ratio 3, 10 GiB → 10, 100 GiB → 31, 1 TiB → 101; below 1 GiB the ratio is 1.
        const GIB: u64 = 1 << 18;
        for (gib, ratio) in [(1, 3), (10, 10), (100, 31), (1024, 101)] {
            let total = gib * GIB;
            let inactive = total / (ratio + 1); // the split where inactive * ratio ≈ active
            assert!(!inactive_is_low(inactive + 1, total - inactive - 1), "{gib} GiB");
            assert!(inactive_is_low(inactive - 1, total - inactive + 1), "{gib} GiB");
        }
        assert!(inactive_is_low(10, 11) && !inactive_is_low(10, 10) && !inactive_is_low(0, 0));
    }

    #[test]
    fn mark_accessed_transitions() {
        let mut p = TwoList::new(4, 0);
        p.insert(frame(0), NextUse::NEVER);
        assert!(!p.is_active(frame(0)) && !p.is_referenced(frame(0)));
        p.touch(frame(0), NextUse::NEVER);
        assert!(!p.is_active(frame(0)) && p.is_referenced(frame(0)));
        p.touch(frame(0), NextUse::NEVER);
        assert!(p.is_active(frame(0)) && !p.is_referenced(frame(0)));
        p.touch(frame(0), NextUse::NEVER);
        assert!(p.is_active(frame(0)) && p.is_referenced(frame(0)));
        assert_eq!(p.stats().activations, 1);
    }

    #[test]
    fn check_references_table() {
        let mut p = TwoList::new(8, 0);
        for i in 0..4 {
            p.insert(frame(i), NextUse::NEVER); // inactive tail..head: 0 1 2 3
        }
        p.touch(frame(1), NextUse::NEVER); // PG_referenced only
        p.touch(frame(2), NextUse::NEVER);
        // Frame 0: A bit, no PG_referenced → keep (rotate), PG_referenced set.
        // Frame 1: PG_referenced, no A bit → reclaim (anon).
        let mut a = ABits(vec![true, false, true, false, false, false, false, false]);
        assert_eq!(p.victim(&mut a), Some(frame(1)));
        assert!(p.is_referenced(frame(0)) && !p.is_active(frame(0)));
        // Frame 2: A bit and PG_referenced → activate. Frame 3: nothing → reclaim.
        assert_eq!(p.victim(&mut a), Some(frame(3)));
        assert!(p.is_active(frame(2)));
        assert_eq!(p.list_sizes(), (1, 1));
        // Frame 0 again, its A bit now clear: reclaimed despite PG_referenced.
        assert_eq!(p.victim(&mut a), Some(frame(0)));
        // Inactive empty, so low: frame 2 is deactivated (PG_referenced kept) and then reclaimed (no A bit).
        assert_eq!(p.victim(&mut a), Some(frame(2)));
        let s = p.stats();
        assert_eq!((s.activations, s.deactivations, s.scanned), (1, 1, 6));
        assert_eq!(p.victim(&mut NoHardwareBits), None);
    }

    #[test]
    fn active_pages_are_deactivated_even_when_young() {
        let mut p = TwoList::new(8, 0);
        for i in 0..4 {
            p.insert(frame(i), NextUse::NEVER);
            p.touch(frame(i), NextUse::NEVER);
            p.touch(frame(i), NextUse::NEVER); // active
        }
        p.insert(frame(4), NextUse::NEVER);
        // inactive 1 < active 4: the oldest active pages (0, then 1, ...) are deactivated until 1 * 1 >= active.
        let mut a = ABits(vec![true; 8]);
        let v = p.victim(&mut a);
        // Deactivated pages had their A bits cleared and keep no PG_referenced (mark_accessed cleared it on
        // activation), so the oldest inactive page, frame 4 (A bit set) rotates; frames 0, 1 were deactivated.
        assert_eq!(p.stats().deactivations, 2);
        assert_eq!(v, Some(frame(0)));
    }

    /// A-bits as [`ABits`], plus page flags kept the way the kernel keeps them: set and cleared as reported, reset
    /// when the victim's frame is freed.
    struct Mirror {
        young: Vec<bool>,
        flags: Vec<PageFlags>,
    }
    impl Referenced for Mirror {
        fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
            u32::from(std::mem::take(&mut self.young[pfn.index()]))
        }
        fn update_page_flags(&mut self, pfn: Pfn, set: PageFlags, clear: PageFlags) {
            self.flags[pfn.index()].remove(clear);
            self.flags[pfn.index()].insert(set);
        }
    }

    #[test]
    fn reported_page_flags_mirror_the_lists() {
        const N: usize = 64;
        let mut p = TwoList::new(N, 0);
        let mut m = Mirror { young: vec![false; N], flags: vec![PageFlags::empty(); N] };
        for i in 0..N {
            p.insert(frame(i), NextUse::NEVER);
        }
        // A deterministic mix of young pages, enough rounds for activations, deactivations and rotations.
        let mut x = 12345u64;
        for _ in 0..2000 {
            for y in &mut m.young {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *y |= x >> 62 == 0;
            }
            let v = p.victim(&mut m).unwrap();
            assert!(!m.flags[v.index()].intersects(PageFlags::ACTIVE | PageFlags::REFERENCED));
            m.flags[v.index()] = PageFlags::empty(); // the frame is freed and reused
            p.insert(v, NextUse::NEVER);
            for i in 0..N {
                let f = m.flags[i];
                assert_eq!(f.contains(PageFlags::ACTIVE), p.is_active(frame(i)), "PG_active of {i}");
                assert_eq!(f.contains(PageFlags::REFERENCED), p.is_referenced(frame(i)), "PG_referenced of {i}");
            }
        }
        let s = p.stats();
        assert!(s.activations > 0 && s.deactivations > 0, "{s:?}");
        assert!(m.flags.iter().any(|f| f.contains(PageFlags::WORKINGSET)));
    }

    /// Young-PTE counts, as `folio_referenced()` returns them: a page mapped (and used) by two processes has 2.
    struct Counts(Vec<u32>);
    impl Referenced for Counts {
        fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
            std::mem::take(&mut self.0[pfn.index()])
        }
    }

    /// `if (referenced_folio || referenced_ptes > 1) return FOLIOREF_ACTIVATE;`: two young mappings activate a page
    /// without PG_referenced, one only rotates it; every page tested counts as scanned (`nr_scanned`).
    #[test]
    fn two_young_mappings_activate_and_every_tested_page_is_scanned() {
        let mut p = TwoList::new(8, 0);
        for i in 0..3 {
            p.insert(frame(i), NextUse::NEVER); // inactive tail..head: 0 1 2
        }
        let mut c = Counts(vec![2, 1, 0, 0, 0, 0, 0, 0]);
        // Frame 0: young in two mappings → activated. Frame 1: one → kept (rotated). Frame 2: reclaimed.
        assert_eq!(p.victim(&mut c), Some(frame(2)));
        assert!(p.is_active(frame(0)) && p.is_referenced(frame(0)));
        assert!(!p.is_active(frame(1)) && p.is_referenced(frame(1)));
        let s = p.stats();
        assert_eq!((s.scanned, s.activations), (3, 1), "three pages isolated, one victim");
    }

    #[test]
    fn always_young_source_still_yields_victims() {
        struct Always;
        impl Referenced for Always {
            fn test_and_clear_young(&mut self, _: Pfn) -> u32 {
                1
            }
        }
        let mut p = TwoList::new(4, 0);
        for i in 0..4 {
            p.insert(frame(i), NextUse::NEVER);
        }
        for _ in 0..4 {
            assert!(p.victim(&mut Always).is_some());
        }
        assert!(p.is_empty());
    }
}
