//! S3-FIFO: three FIFO queues. New pages enter a small queue (10% of memory); those hit at least twice there move to
//! the main queue (90%), a CLOCK with a 2-bit counter; the rest are evicted early and remembered in a ghost queue of
//! page identities, so a page that returns soon after goes straight to main. Quick demotion of one-hit wonders.
//!
//! Source: Yang, Zhang, Qiu, Yue, Rashmi, "FIFO queues are all you need for cache eviction", SOSP '23
//! (Algorithm 1), as maintained in libCacheSim's `S3FIFO.c` (move-to-main threshold 2, ghost of 90% of memory,
//! evict from main when it is over its share or the small queue is empty, and before the first eviction a full
//! small queue sends new pages to main). The ghost needs page identities, which frames alone do not give: callers
//! pass them through [`Policy::miss`] (Linux keeps the same history as workingset shadow entries, mm/workingset.c);
//! without them the ghost never hits. A set hardware Accessed bit counts as one more hit when the page is examined.
//! Deviates from libCacheSim below 20 frames, where libCacheSim's 1-page small queue refuses every insertion; here
//! the small queue is at least 1 frame. Does badly when the working set shifts to pages that are each used only
//! once or twice before a long gap (they never reach main), and on loops larger than memory.

use super::frame_list::PerFrame;
use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::frame_list::{pfn_of, slot, Links, List};
use super::{NextUse, Policy, PolicyStats, Referenced};
use crate::addr::Pfn;

/// Hits in the small queue needed to move to main (libCacheSim `move-to-main-threshold=2`; SOSP '23: `freq > 1`).
const MOVE_TO_MAIN_THRESHOLD: u8 = 2;
/// The 2-bit counter's ceiling (SOSP '23 §4.2: "frequency ... capped at 3").
const MAX_FREQ: u8 = 3;
/// Small queue share, in tenths of memory (libCacheSim `small-size-ratio=0.10`).
const SMALL_TENTHS: usize = 1;
/// Ghost queue size, in tenths of memory (libCacheSim `ghost-size-ratio=0.90`).
const GHOST_TENTHS: usize = 9;

/// S3-FIFO over two intrusive queues sharing one link array, plus a ghost FIFO of page identities.
#[derive(Debug, Clone)]
pub struct S3Fifo {
    links: Links,
    small: List,
    main: List,
    freq: PerFrame<u8>,
    /// Identity of the page in each frame, if the caller gave one through `miss`.
    key: PerFrame<Option<u64>>,
    ghost: Ghost,
    small_cap: usize,
    main_cap: usize,
    /// Identity given by the last `miss`, consumed by the next `insert`.
    pending: Option<u64>,
    /// Whether that identity was found (and removed) in the ghost.
    ghost_hit: bool,
    has_evicted: bool,
    stats: PolicyStats,
}

impl S3Fifo {
    /// Evict from main: a counted page gets another trip with one count less (`S3FIFO_evict_main`).
    fn evict_main<R: Referenced>(&mut self, refs: &mut R) -> Option<u32> {
        while let Some(t) = self.main.tail() {
            self.stats.scanned += 1;
            let f = self.freq_seen(t, refs);
            if f >= 1 {
                self.main.move_to_front(&mut self.links, t);
                self.freq[t as usize] = f - 1;
            } else {
                self.main.unlink(&mut self.links, t);
                return Some(t);
            }
        }
        None
    }

    /// Evict from small: pages hit often enough move to main, the first other one goes, remembered in the ghost
    /// (`S3FIFO_evict_small`). `None` if every small page moved.
    fn evict_small<R: Referenced>(&mut self, refs: &mut R) -> Option<u32> {
        while let Some(t) = self.small.tail() {
            self.stats.scanned += 1;
            self.small.unlink(&mut self.links, t);
            if self.freq_seen(t, refs) >= MOVE_TO_MAIN_THRESHOLD {
                self.freq[t as usize] = 0;
                self.main.push_front(&mut self.links, t);
                self.stats.activations += 1;
            } else {
                if let Some(k) = self.key[t as usize] {
                    self.ghost.insert(k);
                }
                return Some(t);
            }
        }
        None
    }

    /// The page's counter with each set hardware Accessed bit counted as one more hit (a page young in two
    /// mappings was used by both: two hits, as `folio_referenced()` counts them), capped at `MAX_FREQ`.
    fn freq_seen<R: Referenced>(&mut self, t: u32, refs: &mut R) -> u8 {
        let young = u8::try_from(refs.test_and_clear_young(pfn_of(t))).unwrap_or(MAX_FREQ).min(MAX_FREQ);
        (self.freq[t as usize] + young).min(MAX_FREQ)
    }
}

impl Policy for S3Fifo {
    const NAME: &'static str = "s3fifo";

    fn new(frames: usize, _seed: u64) -> Self {
        let small_cap = (frames * SMALL_TENTHS / 10).max(1);
        Self {
            links: Links::new(),
            small: List::new(1),
            main: List::new(2),
            freq: PerFrame::new(0),
            key: PerFrame::new(None),
            ghost: Ghost::new(frames * GHOST_TENTHS / 10),
            small_cap,
            main_cap: frames.saturating_sub(small_cap),
            pending: None,
            ghost_hit: false,
            has_evicted: false,
            stats: PolicyStats::default(),
        }
    }

    fn miss(&mut self, key: u64) {
        self.pending = Some(key);
        self.ghost_hit = self.ghost.remove(key);
    }

    fn insert(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        self.key[i as usize] = self.pending.take();
        self.freq[i as usize] = 0;
        if std::mem::take(&mut self.ghost_hit) || (!self.has_evicted && self.small.len() >= self.small_cap) {
            self.main.push_front(&mut self.links, i);
        } else {
            self.small.push_front(&mut self.links, i);
        }
    }

    #[inline]
    fn touch(&mut self, pfn: Pfn, _next: NextUse) {
        let i = slot(pfn);
        if self.links.on(i) != 0 {
            let f = &mut self.freq[i as usize];
            *f = (*f + 1).min(MAX_FREQ);
        }
    }

    fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        if self.len() == 0 {
            return None;
        }
        self.has_evicted = true;
        loop {
            let from_main = self.main.len() > self.main_cap || self.small.is_empty();
            let v = if from_main { self.evict_main(refs) } else { self.evict_small(refs) };
            if let Some(t) = v {
                self.key[t as usize] = None;
                return Some(pfn_of(t));
            }
        }
    }

    fn remove(&mut self, pfn: Pfn) {
        let i = slot(pfn);
        match self.links.on(i) {
            0 => return,
            1 => self.small.unlink(&mut self.links, i),
            _ => self.main.unlink(&mut self.links, i),
        }
        self.key[i as usize] = None;
    }

    fn len(&self) -> usize {
        self.small.len() + self.main.len()
    }

    fn contains(&self, pfn: Pfn) -> bool {
        self.links.on(slot(pfn)) != 0
    }

    fn stats(&self) -> PolicyStats {
        self.stats
    }
}

/// A FIFO of recently evicted page identities with O(1) membership and removal. Removed identities leave stale
/// queue entries, recognised by their sequence number and dropped on the way out or by compaction.
#[derive(Debug, Clone)]
struct Ghost {
    cap: usize,
    queue: VecDeque<(u64, u64)>,
    /// Identity → sequence number of its live queue entry.
    live: FxHashMap<u64, u64>,
    seq: u64,
}

impl Ghost {
    fn new(cap: usize) -> Self {
        Self { cap, queue: VecDeque::new(), live: FxHashMap::default(), seq: 0 }
    }

    /// Remembers `key` (already remembered: no change, as a FIFO hit), forgetting the oldest beyond `cap`.
    fn insert(&mut self, key: u64) {
        if self.cap == 0 || self.live.contains_key(&key) {
            return;
        }
        self.seq += 1;
        self.queue.push_back((key, self.seq));
        self.live.insert(key, self.seq);
        while self.live.len() > self.cap {
            let Some((k, s)) = self.queue.pop_front() else { break };
            if self.live.get(&k) == Some(&s) {
                self.live.remove(&k);
            }
        }
        if self.queue.len() > 2 * self.cap + 64 {
            let live = &self.live;
            self.queue.retain(|(k, s)| live.get(k) == Some(s));
        }
    }

    /// Forgets `key`; true if it was remembered.
    fn remove(&mut self, key: u64) -> bool {
        self.live.remove(&key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::NoHardwareBits;

    #[test]
    fn one_hit_wonders_leave_from_small_and_ghost_hits_enter_main() {
        let mut p = S3Fifo::new(20, 0); // small 2, main 18, ghost 18
        let mut hw = NoHardwareBits;
        for key in 0..20usize {
            p.miss(key as u64);
            p.insert(Pfn::from_index(key), NextUse::NEVER);
        }
        // Before the first eviction, a full small queue sends new pages to main.
        assert_eq!((p.small.len(), p.main.len()), (2, 18));
        // Small holds frames 0 and 1; 0 is hit twice and moves to main, 1 is evicted into the ghost.
        p.touch(Pfn::from_index(0), NextUse::NEVER);
        p.touch(Pfn::from_index(0), NextUse::NEVER);
        p.miss(100);
        assert_eq!(p.victim(&mut hw), Some(Pfn::from_index(1)));
        p.insert(Pfn::from_index(1), NextUse::NEVER);
        assert!(p.main.contains(&p.links, 0));
        // Main is now over its share (19 > 18): its oldest unhit page (frame 2) goes; not into the ghost.
        p.miss(101);
        assert_eq!(p.victim(&mut hw), Some(Pfn::from_index(2)));
        p.insert(Pfn::from_index(2), NextUse::NEVER);
        // Key 1 returns: a ghost hit, inserted into main.
        p.miss(1);
        assert!(p.ghost_hit);
        let v = p.victim(&mut hw).unwrap();
        p.insert(v, NextUse::NEVER);
        assert!(p.main.contains(&p.links, slot(v)));
        assert_eq!(p.len(), 20);
    }

    #[test]
    fn ghost_is_a_bounded_fifo() {
        let mut g = Ghost::new(3);
        for k in 0..5 {
            g.insert(k);
        }
        assert!(!g.remove(0) && !g.remove(1) && g.remove(2));
        for k in 10..1000 {
            g.insert(k);
            g.remove(k);
        }
        assert!(g.queue.len() <= 2 * 3 + 65);
        assert!(g.remove(3) && g.remove(4));
    }
}
