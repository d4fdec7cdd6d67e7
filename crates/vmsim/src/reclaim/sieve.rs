//! SIEVE: a FIFO queue with one visited bit per page and a hand that sweeps from the oldest page towards the
//! newest, clearing visited bits and evicting the first unvisited page. Unlike CLOCK, survivors are never moved: new
//! pages enter at the head, so pages the hand has passed keep their place and "lazy promotion" costs nothing.
//!
//! Source: Zhang, Yang, Yue, Vigfusson, Rashmi, "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction
//! Algorithm for Web Caches", NSDI '24 (Algorithm 1); follows libCacheSim's `Sieve.c` (hand resumes at the evicted
//! page's newer neighbour, wraps to the tail). A set hardware Accessed bit ([`Referenced`]) counts as visited; both
//! are cleared as the hand passes. Does badly on recency-heavy patterns that LRU serves (a page touched once just
//! before the hand reaches it survives a whole sweep, one touched just after it is evicted), and on block/page
//! workloads with loops larger than memory, where the paper itself reports it behind LRU and ARC.

use super::frame_list::PerFrame;
use super::frame_list::{pfn_of, slot, Links, List, NIL};
use super::{NextUse, Policy, PolicyStats, Referenced};
use crate::addr::Pfn;

/// SIEVE over an intrusive queue: head = newest, the hand walks from tail to head.
#[derive(Debug, Clone)]
pub struct Sieve {
    links: Links,
    queue: List,
    visited: PerFrame<bool>,
    /// Next frame the hand examines; [`NIL`] = start at the tail.
    hand: u32,
    stats: PolicyStats,
}

impl Policy for Sieve {
    const NAME: &'static str = "sieve";

    fn new(_frames: usize, _seed: u64) -> Self {
        Self {
            links: Links::new(),
            queue: List::new(1),
            visited: PerFrame::new(false),
            hand: NIL,
            stats: PolicyStats::default(),
        }
    }

    #[inline]
    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        self.visited[i as usize] = false;
        self.queue.push_front(&mut self.links, i);
    }

    #[inline]
    fn touch(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        if self.queue.contains(&self.links, i) {
            self.visited[i as usize] = true;
        }
    }

    fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        let tail = self.queue.tail()?;
        let mut i = if self.hand == NIL { tail } else { self.hand };
        // Two sweeps clear every bit from an honest `Referenced`; the bound only stops a source that is always young.
        let limit = 2 * self.queue.len() + 1;
        for _ in 0..limit {
            self.stats.scanned += 1;
            let young = self.visited[i as usize] | (refs.test_and_clear_young(pfn_of(i)) > 0);
            if !young {
                break;
            }
            self.visited[i as usize] = false;
            i = self.links.newer(i).or(self.queue.tail()).unwrap_or(i);
        }
        self.hand = self.links.newer(i).unwrap_or(NIL);
        self.queue.unlink(&mut self.links, i);
        Some(pfn_of(i))
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        if self.queue.contains(&self.links, i) {
            if self.hand == i {
                self.hand = self.links.newer(i).unwrap_or(NIL);
            }
            self.queue.unlink(&mut self.links, i);
        }
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.queue.contains(&self.links, slot(pfn))
    }

    fn stats(&self) -> PolicyStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    fn frame(i: usize) -> Pfn {
        Pfn::from_index(i)
    }

    /// The NSDI '24 Figure 1 idea in miniature: visited pages stay put, the hand resumes where it stopped.
    #[test]
    fn hand_skips_visited_and_resumes_after_the_victim() {
        let mut p = Sieve::new(8, 0);
        for i in 0..5 {
            p.insert(frame(i), NextUse::NEVER); // queue head..tail: 4 3 2 1 0
        }
        p.touch(frame(0), NextUse::NEVER);
        p.touch(frame(1), NextUse::NEVER);
        p.touch(frame(3), NextUse::NEVER);
        let mut hw = NoHardwareBits;
        assert_eq!(p.victim(&mut hw), Some(frame(2))); // 0, 1 cleared; hand now at 3
        p.insert(frame(5), NextUse::NEVER); // new pages enter at the head, behind the hand
        p.touch(frame(0), NextUse::NEVER);
        assert_eq!(p.victim(&mut hw), Some(frame(4))); // 3 cleared, 4 taken; the hand moves on to 5
        assert_eq!(p.victim(&mut hw), Some(frame(5))); // reached the head: 5 was never visited
        p.remove(frame(3));
        // The hand ran off the head: it restarts at the tail, where 0 was visited again and 1 was cleared.
        assert_eq!(p.victim(&mut hw), Some(frame(1)));
        assert_eq!(p.victim(&mut hw), Some(frame(0)));
        assert_eq!(p.victim(&mut hw), None);
    }
}
