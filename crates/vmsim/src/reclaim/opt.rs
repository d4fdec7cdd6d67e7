//! OPT (Belady's MIN): evict the resident page whose next reference is farthest in the future.
//!
//! Source: Belady, "A study of replacement algorithms for a virtual-storage computer", IBM Systems Journal 1966;
//! Silberschatz §10.4.3. Matches libCacheSim's `Belady.c` miss for miss when libCacheSim is given the next-access
//! times (an oracleGeneral trace; on a plain-text trace it has none and is not optimal). Pages never used again
//! ([`NextUse::NEVER`]) go first; ties among them do not change the miss count (SPEC §16), and are broken towards
//! the highest frame. The future arrives through `insert`/`touch` (see
//! [`replay::next_use_table`](super::replay::next_use_table)), so OPT needs the whole trace in memory first. It is
//! the lower bound every other policy is measured against, and useless online: no kernel knows the future.
//!
//! A max-heap keyed by (next use, frame) with lazy deletion: a touch pushes a fresh entry and stamps the frame, so
//! older entries go stale and are skipped when popped; the heap is compacted when stale entries outnumber live
//! ones. O(log n) amortized per reference.

use super::frame_list::PerFrame;
use std::collections::BinaryHeap;

use super::frame_list::{pfn_of, slot};
use super::{NextUse, Policy, Referenced};
use crate::addr::Pfn;

/// Belady's optimal replacement over a lazily pruned max-heap.
#[derive(Debug, Clone)]
pub struct Opt {
    /// (next use, frame, stamp); an entry is live iff the frame is resident and the stamp is the frame's current one.
    heap: BinaryHeap<(NextUse, u32, u32)>,
    resident: PerFrame<bool>,
    stamp: PerFrame<u32>,
    /// Each frame's next use, bitwise complemented so that [`NextUse::NEVER`] is stored as 0 and the vector starts
    /// zeroed (calloc'd: no host memory for frames never used).
    next_not: PerFrame<u64>,
    len: usize,
}

/// Compact once the heap holds more than this many entries per resident frame (plus a small floor).
const STALE_FACTOR: usize = 2;
const STALE_FLOOR: usize = 64;

impl Opt {
    fn push(&mut self, i: u32, next: NextUse) {
        let iu = i as usize;
        self.stamp[iu] = self.stamp[iu].wrapping_add(1);
        self.next_not[iu] = !next.0;
        self.heap.push((next, i, self.stamp[iu]));
        if self.heap.len() > STALE_FACTOR * self.len + STALE_FLOOR {
            let (resident, stamp) = (&self.resident, &self.stamp);
            self.heap.retain(|&(_, j, s)| resident[j as usize] && stamp[j as usize] == s);
        }
    }
}

impl Policy for Opt {
    const NAME: &'static str = "opt";
    const USES_NEXT_USE: bool = true;

    fn new(frames: usize, _seed: u64) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(frames.min(1 << 20)),
            resident: PerFrame::new(false),
            stamp: PerFrame::new(0),
            next_not: PerFrame::new(!NextUse::NEVER.0),
            len: 0,
        }
    }

    fn insert(&mut self, pfn: Pfn, next: NextUse) {
        let i = slot(pfn);
        debug_assert!(!self.resident[i as usize], "insert into tracked frame {pfn:?}");
        self.resident[i as usize] = true;
        self.len += 1;
        self.push(i, next);
    }

    #[inline]
    fn touch(&mut self, pfn: Pfn, next: NextUse) {
        let i = slot(pfn);
        if self.resident.get(i as usize).copied().unwrap_or(false) && self.next_not[i as usize] != !next.0 {
            self.push(i, next);
        }
    }

    fn victim<R: Referenced>(&mut self, _refs: &mut R) -> Option<Pfn> {
        while let Some((_, i, s)) = self.heap.pop() {
            let iu = i as usize;
            if self.resident[iu] && self.stamp[iu] == s {
                self.resident[iu] = false;
                self.len -= 1;
                return Some(pfn_of(i));
            }
        }
        None
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = pfn.index();
        if self.resident.get(i).copied().unwrap_or(false) {
            self.resident[i] = false; // its heap entry goes stale
            self.len -= 1;
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.resident.get(pfn.index()).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    #[test]
    fn evicts_farthest_next_use_never_first() {
        let mut p = Opt::new(4, 0);
        p.insert(Pfn::from_index(0), NextUse(10));
        p.insert(Pfn::from_index(1), NextUse(5));
        p.insert(Pfn::from_index(2), NextUse::NEVER);
        p.insert(Pfn::from_index(3), NextUse(7));
        p.touch(Pfn::from_index(1), NextUse(20));
        let order: Vec<_> = std::iter::from_fn(|| p.victim(&mut NoHardwareBits)).map(|f| f.index()).collect();
        assert_eq!(order, [2, 1, 0, 3]);
    }

    #[test]
    fn many_touches_keep_the_heap_bounded() {
        let mut p = Opt::new(2, 0);
        p.insert(Pfn::from_index(0), NextUse(1));
        p.insert(Pfn::from_index(1), NextUse(2));
        for t in 3..10_000usize {
            p.touch(Pfn::from_index(t % 2), NextUse(t as u64));
        }
        assert!(p.heap.len() <= STALE_FACTOR * 2 + STALE_FLOOR + 1);
        p.remove(Pfn::from_index(0));
        assert_eq!(p.victim(&mut NoHardwareBits), Some(Pfn::from_index(1)));
        assert_eq!(p.victim(&mut NoHardwareBits), None);
    }
}
