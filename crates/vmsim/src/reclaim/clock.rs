//! CLOCK (second chance): FIFO order around a circle of frames, with one reference bit per frame that buys a page
//! one more turn of the hand.
//!
//! Source: Corbató, "A paging experiment with the Multics system" (1968); Silberschatz §10.4.5.2. This file follows
//! the convention of LINUX-VM-SPEC §16 exactly, so it reproduces that section's fault counts and trace table:
//! frames `0..n-1` form a circle in slot order, `hand = 0`; the bit is set when a page is loaded and on every hit;
//! the hand does not move on a hit; loading a page into the empty frame under the hand advances the hand; looking
//! for a victim, the hand clears set bits (second chance) and takes the first frame whose bit is clear, then moves
//! one past it. A frame's bit counts as set if the software bit (`touch`) or the hardware Accessed bit
//! ([`Referenced::test_and_clear_young`]) is set; both are cleared. (libCacheSim's `Clock.c` starts new pages with a
//! clear bit: that variant gives 11 faults on string S with 3 frames, this one 14.)
//!
//! Does badly on scans and large loops: when every bit is set, one victim search clears them all and CLOCK degrades
//! to FIFO, including Belady's anomaly; the bit says "used since the last sweep", not how recently. In the kernel
//! model, frames that hold no tracked page (free, page tables) are skipped by the hand, so a victim search is
//! O(frames) in the worst case, amortized O(1) per hand step.

use super::frame_list::PerFrame;
use super::{NextUse, Policy, PolicyStats, Referenced};
use crate::addr::Pfn;

/// Second-chance CLOCK over frame slots in index order.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Frames of RAM: the hand's circle.
    frames: usize,
    /// Whether the frame holds a tracked page.
    resident: PerFrame<bool>,
    /// The software reference bit.
    referenced: PerFrame<bool>,
    /// The slot the hand points at.
    hand: usize,
    len: usize,
    stats: PolicyStats,
}

impl Clock {
    /// The frame the hand points at (SPEC §16 trace table, column "hand").
    pub fn hand(&self) -> Pfn {
        Pfn::from_index(self.hand)
    }

    /// The software reference bit of `pfn` (SPEC §16 trace table, column "bits"); false if not tracked.
    pub fn referenced(&self, pfn: Pfn) -> bool {
        self.resident.get(pfn.index()).copied().unwrap_or(false) && self.referenced[pfn.index()]
    }

    /// The hand moves to the next frame, wrapping after the last frame of RAM, or after the last frame the policy
    /// ever tracked when that comes first (frames beyond it were never resident: skipping them changes no choice).
    fn advance(&mut self) {
        self.hand += 1;
        if self.hand >= self.frames.min(self.resident.len()) {
            self.hand = 0;
        }
    }
}

impl Policy for Clock {
    const USES_ACCESSED_BITS: bool = true;
    const NAME: &'static str = "clock";

    fn new(frames: usize, _seed: u64) -> Self {
        Self {
            frames,
            resident: PerFrame::new(false),
            referenced: PerFrame::new(false),
            hand: 0,
            len: 0,
            stats: PolicyStats::default(),
        }
    }

    /// SPEC §16: the page is loaded with its bit set; if it filled the empty frame under the hand, the hand moves on.
    #[inline]
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        let i = pfn.index();
        debug_assert!(!self.resident[i], "insert into tracked frame {pfn:?}");
        self.resident[i] = true;
        self.referenced[i] = true;
        self.len += 1;
        if i == self.hand {
            self.advance();
        }
    }

    #[inline]
    fn touch(&mut self, pfn: Pfn, _next: NextUse) {
        let i = pfn.index();
        if self.resident.get(i).copied().unwrap_or(false) {
            self.referenced[i] = true;
        }
    }

    fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        if self.len == 0 {
            return None;
        }
        // With an honest `Referenced` two sweeps suffice (the first clears every bit). The bound only stops a
        // source that reports every frame young forever; then the next tracked frame is taken.
        let limit = 2 * self.resident.len() + 1;
        for step in 0.. {
            let i = self.hand;
            self.advance();
            if !self.resident[i] {
                continue;
            }
            self.stats.scanned += 1;
            let pfn = Pfn::from_index(i);
            // Non-short-circuit `|`: both bits are cleared, or a set A bit would buy a third chance.
            let young = self.referenced[i] | (refs.test_and_clear_young(pfn) > 0);
            if young && step < limit {
                self.referenced[i] = false;
                continue;
            }
            self.resident[i] = false;
            self.referenced[i] = false;
            self.len -= 1;
            return Some(pfn);
        }
        None
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = pfn.index();
        if self.resident.get(i).copied().unwrap_or(false) {
            self.resident[i] = false;
            self.referenced[i] = false;
            self.len -= 1;
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.resident.get(pfn.index()).copied().unwrap_or(false)
    }

    fn stats(&self) -> PolicyStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hardware source where chosen frames stay young until tested once.
    struct ABits(Vec<bool>);
    impl Referenced for ABits {
        fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
            u32::from(std::mem::take(&mut self.0[pfn.index()]))
        }
    }

    #[test]
    fn hardware_bit_buys_a_second_chance_and_is_cleared() {
        let mut p = Clock::new(3, 0);
        for i in 0..3 {
            p.insert(Pfn::from_index(i), NextUse::NEVER);
        }
        // First search clears all software bits and takes frame 0; frame 1's A bit then saves it once.
        assert_eq!(p.victim(&mut ABits(vec![false; 3])), Some(Pfn::from_index(0)));
        assert_eq!(p.hand(), Pfn::from_index(1));
        let mut a = ABits(vec![false, true, false]);
        assert_eq!(p.victim(&mut a), Some(Pfn::from_index(2)));
        assert_eq!(a.0, [false; 3]);
        assert_eq!(p.victim(&mut a), Some(Pfn::from_index(1)));
        assert_eq!(p.victim(&mut a), None);
    }

    #[test]
    fn always_young_source_still_yields_a_victim() {
        struct Always;
        impl Referenced for Always {
            fn test_and_clear_young(&mut self, _: Pfn) -> u32 {
                1
            }
        }
        let mut p = Clock::new(4, 0);
        p.insert(Pfn::from_index(2), NextUse::NEVER);
        assert_eq!(p.victim(&mut Always), Some(Pfn::from_index(2)));
    }
}
