//! Exact LRU: evict the page whose last reference is oldest, in O(1) per access.
//!
//! Source: the textbook stack algorithm (Mattson et al., "Evaluation techniques for storage hierarchies", IBM
//! Systems Journal 1970; Silberschatz §10.4.4); matches libCacheSim's `LRU.c` miss for miss. A hit moves the frame
//! to the head of an intrusive list, the victim is the tail. Does badly on loops one page larger than memory (every
//! reference misses, where OPT misses once per loop turn) and on one-time scans, which flush the working set.
//! Real kernels cannot afford this on every access (the hardware only sets an A bit): see `clock.rs` and
//! `two_list.rs` for what they do instead.

use super::frame_list::{pfn_of, slot, Links, List};
use super::{NextUse, Policy, Referenced};
use crate::addr::Pfn;

/// Least recently used over an intrusive list: head = most recent, tail = next victim.
#[derive(Debug, Clone)]
pub struct Lru {
    links: Links,
    list: List,
}

impl Policy for Lru {
    const NAME: &'static str = "lru";

    fn new(_frames: usize, _seed: u64) -> Self {
        Self { links: Links::new(), list: List::new(1) }
    }

    #[inline]
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        self.list.push_front(&mut self.links, slot(pfn));
    }

    #[inline]
    fn touch(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        if self.list.contains(&self.links, i) {
            self.list.move_to_front(&mut self.links, i);
        }
    }

    fn victim<R: Referenced>(&mut self, _refs: &mut R) -> Option<Pfn> {
        self.list.pop_back(&mut self.links).map(pfn_of)
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        if self.list.contains(&self.links, i) {
            self.list.unlink(&mut self.links, i);
        }
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.list.contains(&self.links, slot(pfn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    #[test]
    fn evicts_least_recently_touched() {
        let mut p = Lru::new(4, 0);
        for i in 0..4 {
            p.insert(Pfn::from_index(i), NextUse::NEVER);
        }
        p.touch(Pfn::from_index(0), NextUse::NEVER);
        p.touch(Pfn::from_index(2), NextUse::NEVER);
        p.touch(Pfn::from_index(0), NextUse::NEVER);
        let order: Vec<_> = std::iter::from_fn(|| p.victim(&mut NoHardwareBits)).map(|f| f.index()).collect();
        assert_eq!(order, [1, 3, 2, 0]);
    }
}
