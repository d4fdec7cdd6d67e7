//! FIFO: evict the page that has been resident longest, whatever its use.
//!
//! Source: the textbook policy (Silberschatz, *Operating System Concepts*, §10.4.2); matches libCacheSim's
//! `FIFO.c` miss for miss (checked by `scripts/crosscheck-libcachesim`). Does badly on anything with reuse: a hot
//! page is thrown out on schedule, and more frames can mean more faults (Belady's anomaly, SPEC §16: string B takes
//! 9 faults with 3 frames and 10 with 4).

use super::frame_list::{pfn_of, slot, Links, List};
use super::{NextUse, Policy, Referenced};
use crate::addr::Pfn;

/// First in, first out over an intrusive queue: head = newest, tail = next victim.
#[derive(Debug, Clone)]
pub struct Fifo {
    links: Links,
    queue: List,
}

impl Policy for Fifo {
    const NAME: &'static str = "fifo";

    fn new(_frames: usize, _seed: u64) -> Self {
        Self { links: Links::new(), queue: List::new(1) }
    }

    #[inline]
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        self.queue.push_front(&mut self.links, slot(pfn));
    }

    /// A hit changes nothing: FIFO order is load order.
    #[inline]
    fn touch(&mut self, _pfn: Pfn, _next: NextUse) {}

    fn victim<R: Referenced>(&mut self, _refs: &mut R) -> Option<Pfn> {
        self.queue.pop_back(&mut self.links).map(pfn_of)
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        if self.queue.contains(&self.links, i) {
            self.queue.unlink(&mut self.links, i);
        }
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.queue.contains(&self.links, slot(pfn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    #[test]
    fn evicts_in_load_order_ignoring_hits_and_skips_removed() {
        let mut p = Fifo::new(4, 0);
        for i in 0..4 {
            p.insert(Pfn::from_index(i), NextUse::NEVER);
        }
        p.touch(Pfn::from_index(0), NextUse::NEVER);
        p.remove(Pfn::from_index(1));
        p.remove(Pfn::from_index(1)); // freed twice: no-op
        let order: Vec<_> = std::iter::from_fn(|| p.victim(&mut NoHardwareBits)).map(|f| f.index()).collect();
        assert_eq!(order, [0, 2, 3]);
        assert!(p.is_empty());
    }
}
