//! Random replacement: evict a uniformly chosen resident page.
//!
//! Source: the textbook baseline (Belady 1966 measured it as RAND); draws come from a `ChaCha8Rng` seeded from the
//! policy seed (STYLE §3.9), so a run is reproducible. Ignores every reference bit. Does badly whenever some pages
//! are much hotter than others: a hot page is as likely to go as a cold one. It has no pathological trace either,
//! which is why it is a useful yardstick for loops where LRU and FIFO miss on every reference.

use super::frame_list::PerFrame;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::frame_list::{pfn_of, slot};
use super::{NextUse, Policy, Referenced};
use crate::addr::Pfn;

/// Uniform random victim over a dense member array (swap-remove on eviction).
#[derive(Debug, Clone)]
pub struct Random {
    /// The resident frames, in no particular order.
    members: Vec<u32>,
    /// Index of each frame in `members` plus one, 0 if not resident (so the vector starts zeroed: calloc'd, no host
    /// memory for frames never used).
    pos: PerFrame<u32>,
    rng: ChaCha8Rng,
}

impl Random {
    #[allow(clippy::cast_possible_truncation, reason = "members.len() <= frames <= MAX_FRAMES = u32::MAX")]
    fn take(&mut self, k: usize) -> u32 {
        let i = self.members.swap_remove(k);
        if let Some(&moved) = self.members.get(k) {
            self.pos[moved as usize] = k as u32 + 1;
        }
        self.pos[i as usize] = 0;
        i
    }
}

impl Policy for Random {
    const NAME: &'static str = "random";

    fn new(_frames: usize, seed: u64) -> Self {
        Self { members: Vec::new(), pos: PerFrame::new(0), rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    #[allow(clippy::cast_possible_truncation, reason = "members.len() < frames <= MAX_FRAMES = u32::MAX")]
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        debug_assert_eq!(self.pos[i as usize], 0, "insert into tracked frame {pfn:?}");
        self.pos[i as usize] = self.members.len() as u32 + 1;
        self.members.push(i);
    }

    #[inline]
    fn touch(&mut self, _pfn: Pfn, _next: NextUse) {}

    fn victim<R: Referenced>(&mut self, _refs: &mut R) -> Option<Pfn> {
        if self.members.is_empty() {
            return None;
        }
        let k = self.rng.gen_range(0..self.members.len());
        Some(pfn_of(self.take(k)))
    }

    fn remove(&mut self, pfn: Pfn) {
        match self.pos.get(pfn.index()) {
            Some(&k) if k != 0 => {
                self.take(k as usize - 1);
            }
            _ => {}
        }
    }

    fn len(&self) -> usize {
        self.members.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.pos.get(pfn.index()).is_some_and(|&k| k != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    fn drain(seed: u64) -> Vec<usize> {
        let mut p = Random::new(16, seed);
        for i in 0..16 {
            p.insert(Pfn::from_index(i), NextUse::NEVER);
        }
        p.remove(Pfn::from_index(5));
        std::iter::from_fn(|| p.victim(&mut NoHardwareBits)).map(|f| f.index()).collect()
    }

    #[test]
    fn same_seed_same_victims_and_each_frame_once() {
        let a = drain(7);
        assert_eq!(a, drain(7));
        assert_ne!(a, drain(8));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..16).filter(|&i| i != 5).collect::<Vec<_>>());
    }
}
