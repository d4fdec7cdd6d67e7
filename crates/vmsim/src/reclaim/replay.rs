//! Replacement-only replay: a trace of page numbers against `frames` page frames and one [`Policy`], with no page
//! tables, TLB or kernel. This is the exact/teaching mode (`vmsim replay --exact`), and the mode whose miss counts
//! equal libCacheSim's for FIFO, LRU and Belady at a cache of `frames` objects (`scripts/crosscheck-libcachesim`).
//!
//! Rules (SPEC §16): memory starts empty; every first touch of a page is a miss; while a frame is free a miss
//! fills the lowest free frame and evicts nothing; once all frames are used, each miss asks the policy for exactly
//! one victim and loads the page into the victim's frame. A hit calls [`Policy::touch`]; a miss calls
//! [`Policy::miss`] with the page number, then `victim` if memory is full, then `insert`. No hardware bits exist
//! here ([`NoHardwareBits`]): policies see references only through `touch`.
//!
//! The resident set is an `FxHashMap<u64, u32>` (page → frame) plus a frame → page `Vec`; per reference that is one
//! hash lookup on a hit and four on a miss with eviction (the fourth is the set of pages ever loaded, [`SeenPages`],
//! which tells a cold miss from a re-fault), and no allocation once the maps have grown.
//! [`Replay`] keeps its state between calls, so [`Replay::feed`] can replay a trace of any length in constant
//! memory, one batch at a time. OPT is the exception: it needs [`next_use_table`] over the whole trace, so
//! [`replay`] holds the trace and a 8-byte-per-reference table in memory at once.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::frame_list::{pfn_of, slot};
use super::{NextUse, NoHardwareBits, Policy, PolicyKind};
use crate::addr::Pfn;

/// Counts from a replay.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayStats {
    /// References replayed.
    pub refs: u64,
    /// References to a resident page.
    pub hits: u64,
    /// References to a non-resident page (page faults; `hits + misses == refs`).
    pub misses: u64,
    /// Misses that replaced a resident page (`misses` minus frame fills).
    pub evictions: u64,
    /// Misses on a page never referenced before (first touches; the rest of `misses` are re-faults of evicted
    /// pages). Equals the number of distinct pages in the trace.
    pub cold_misses: u64,
}

/// A set of page numbers kept as 64-page bitmap words in a hash map (`page / 64` → one bit per page). A miss on a
/// page of a trace with millions of distinct pages would otherwise cost a cache miss in a table of one entry per page;
/// pages of real programs and of synthetic traces cluster, so the words are few and stay in cache. At worst (no two
/// pages in one word) it takes twice the memory of a set of `u64`.
#[derive(Debug, Default, Clone)]
struct SeenPages {
    words: FxHashMap<u64, u64>,
}

impl SeenPages {
    /// Pages per bitmap word.
    const WORD_PAGES: u64 = u64::BITS as u64;

    /// Adds `page`; true if it was not in the set. Always inlined into the miss path: left to the heuristics, it
    /// was inlined or not depending on how unrelated code fell into codegen units (3 % of the replay loop's
    /// instructions, callgrind).
    #[inline(always)]
    fn insert(&mut self, page: u64) -> bool {
        let bit = 1u64 << (page % Self::WORD_PAGES);
        let word = self.words.entry(page / Self::WORD_PAGES).or_insert(0);
        let new = *word & bit == 0;
        *word |= bit;
        new
    }
}

/// What one reference did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The page was resident in this frame.
    Hit(Pfn),
    /// Miss; the page was loaded into this free frame.
    Fill(Pfn),
    /// Miss; the page replaced `evicted` in frame `pfn`.
    Replace {
        /// The frame reused.
        pfn: Pfn,
        /// The page number evicted from it.
        evicted: u64,
    },
    /// Miss with nowhere to put the page (zero frames).
    Bypass,
}

/// A replay in progress: the resident set and the policy, fed one reference or one batch at a time.
#[derive(Debug, Clone)]
pub struct Replay<P: Policy> {
    policy: P,
    frame_of: FxHashMap<u64, u32>,
    /// The page in each used frame; frames `0..page_in.len()` are used, the rest free.
    page_in: Vec<u64>,
    /// Every page ever loaded (touched only on misses): a miss on a page not in it is a cold miss.
    seen: SeenPages,
    frames: usize,
    stats: ReplayStats,
}

impl<P: Policy> Replay<P> {
    /// Empty memory of `frames` frames, a fresh policy seeded `seed`. Frames beyond [`MAX_FRAMES`](super::MAX_FRAMES)
    /// are never used: a cache that large evicts nothing for any trace with fewer distinct pages, and a trace with
    /// more does not fit in host memory.
    pub fn new(frames: usize, seed: u64) -> Self {
        let frames = frames.min(super::MAX_FRAMES);
        let mut frame_of = FxHashMap::default();
        frame_of.reserve(frames.min(1 << 24));
        Self {
            policy: P::new(frames, seed),
            frame_of,
            page_in: Vec::with_capacity(frames.min(1 << 24)),
            seen: SeenPages::default(),
            frames,
            stats: ReplayStats::default(),
        }
    }

    /// One reference to `page`, whose next reference is at `next` (only OPT reads it).
    #[inline]
    pub fn access(&mut self, page: u64, next: NextUse) -> Access {
        self.stats.refs += 1;
        if let Some(&f) = self.frame_of.get(&page) {
            self.stats.hits += 1;
            let pfn = pfn_of(f);
            self.policy.touch(pfn, next);
            return Access::Hit(pfn);
        }
        self.stats.misses += 1;
        if self.seen.insert(page) {
            self.stats.cold_misses += 1;
        }
        self.policy.miss(page);
        if self.page_in.len() < self.frames {
            let pfn = Pfn::from_index(self.page_in.len());
            self.page_in.push(page);
            self.frame_of.insert(page, slot(pfn));
            self.policy.insert(pfn, next);
            return Access::Fill(pfn);
        }
        let Some(pfn) = self.policy.victim(&mut NoHardwareBits) else {
            debug_assert_eq!(self.frames, 0, "{} returned no victim with all frames resident", P::NAME);
            return Access::Bypass;
        };
        let evicted = std::mem::replace(&mut self.page_in[pfn.index()], page);
        let old = self.frame_of.remove(&evicted);
        debug_assert_eq!(old, Some(slot(pfn)), "{} evicted a frame that was not resident", P::NAME);
        self.frame_of.insert(page, slot(pfn));
        self.stats.evictions += 1;
        self.policy.insert(pfn, next);
        Access::Replace { pfn, evicted }
    }

    /// Replays a batch of references without knowledge of the future ([`NextUse::NEVER`] for each; see
    /// [`Replay::feed_with_next`] for OPT). Call repeatedly to stream a trace in constant memory.
    pub fn feed(&mut self, pages: &[u64]) {
        for &page in pages {
            self.access(page, NextUse::NEVER);
        }
    }

    /// Replays a batch with the next-use position of each reference (from [`next_use_table`] over the whole
    /// trace, or any consistent numbering).
    ///
    /// # Panics
    /// If the slices differ in length: a caller bug, not input.
    pub fn feed_with_next(&mut self, pages: &[u64], next: &[NextUse]) {
        assert_eq!(pages.len(), next.len(), "one NextUse per reference");
        for (&page, &n) in pages.iter().zip(next) {
            self.access(page, n);
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> ReplayStats {
        self.stats
    }

    /// The policy, for its [`Policy::stats`] or policy-specific views.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// The frame holding `page`, if resident.
    pub fn frame_of(&self, page: u64) -> Option<Pfn> {
        self.frame_of.get(&page).map(|&f| pfn_of(f))
    }

    /// The page in frame `pfn`, if the frame is used.
    pub fn page_in(&self, pfn: Pfn) -> Option<u64> {
        self.page_in.get(pfn.index()).copied()
    }

    /// Number of resident pages.
    pub fn resident(&self) -> usize {
        self.page_in.len()
    }
}

/// Replays `refs` against `frames` frames with policy `P` (seeded `seed`). For OPT the next-use table is built
/// first (8 bytes per reference, plus a hash map of distinct pages).
pub fn replay<P: Policy>(refs: &[u64], frames: usize, seed: u64) -> ReplayStats {
    let mut r = Replay::<P>::new(frames, seed);
    if P::USES_NEXT_USE {
        r.feed_with_next(refs, &next_use_table(refs));
    } else {
        r.feed(refs);
    }
    r.stats()
}

/// [`replay`] from an iterator. Streams in constant memory, except for OPT, which collects the trace first.
pub fn replay_iter<P: Policy>(refs: impl IntoIterator<Item = u64>, frames: usize, seed: u64) -> ReplayStats {
    if P::USES_NEXT_USE {
        let refs: Vec<u64> = refs.into_iter().collect();
        return replay::<P>(&refs, frames, seed);
    }
    let mut r = Replay::<P>::new(frames, seed);
    for page in refs {
        r.access(page, NextUse::NEVER);
    }
    r.stats()
}

/// [`replay`] with the policy chosen at run time.
pub fn replay_kind(kind: PolicyKind, refs: &[u64], frames: usize, seed: u64) -> ReplayStats {
    crate::with_policy!(kind, |P| replay::<P>(refs, frames, seed))
}

/// For each reference `i`, the position of the next reference to the same page, or [`NextUse::NEVER`]: one
/// backward pass with a hash map of distinct pages.
pub fn next_use_table(refs: &[u64]) -> Vec<NextUse> {
    let mut next = vec![NextUse::NEVER; refs.len()];
    let mut seen: FxHashMap<u64, u64> = FxHashMap::default();
    for (i, &page) in refs.iter().enumerate().rev() {
        let pos = i as u64;
        if let Some(later) = seen.insert(page, pos) {
            next[i] = NextUse(later);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::{fifo::Fifo, lru::Lru, opt::Opt};

    const S: [u64; 20] = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];

    #[test]
    fn silberschatz_three_frames() {
        assert_eq!(replay::<Fifo>(&S, 3, 0).misses, 15);
        assert_eq!(replay::<Lru>(&S, 3, 0).misses, 12);
        assert_eq!(replay::<Opt>(&S, 3, 0).misses, 9);
    }

    #[test]
    fn fills_lowest_free_frame_then_replaces() {
        let mut r = Replay::<Fifo>::new(2, 0);
        assert_eq!(r.access(10, NextUse::NEVER), Access::Fill(Pfn::from_index(0)));
        assert_eq!(r.access(11, NextUse::NEVER), Access::Fill(Pfn::from_index(1)));
        assert_eq!(r.access(10, NextUse::NEVER), Access::Hit(Pfn::from_index(0)));
        assert_eq!(r.access(12, NextUse::NEVER), Access::Replace { pfn: Pfn::from_index(0), evicted: 10 });
        assert_eq!(
            (r.frame_of(12), r.frame_of(10), r.page_in(Pfn::from_index(1))),
            (Some(Pfn::from_index(0)), None, Some(11))
        );
        assert_eq!(r.stats(), ReplayStats { refs: 4, hits: 1, misses: 3, evictions: 1, cold_misses: 3 });
        assert_eq!(r.access(10, NextUse::NEVER), Access::Replace { pfn: Pfn::from_index(1), evicted: 11 });
        assert_eq!((r.stats().misses, r.stats().cold_misses), (4, 3), "10 was seen before: a re-fault");
    }

    #[test]
    fn seen_pages_is_a_set() {
        let mut seen = SeenPages::default();
        let pages = [0, 63, 64, 1, u64::MAX, u64::MAX - 1, 1 << 40, 0, 63, u64::MAX, 5000];
        let new: Vec<bool> = pages.iter().map(|&p| seen.insert(p)).collect();
        assert_eq!(new, [true, true, true, true, true, true, true, false, false, false, true]);
        assert_eq!(seen.words.len(), 5, "0..64, 64..128, the top word, 2^40 and 5000 share words by 64");
    }

    #[test]
    fn cold_misses_are_distinct_pages() {
        // S has 6 distinct pages: 6 cold misses at any size; the other misses are re-faults.
        for (frames, misses) in [(1, 20), (3, 15), (4, 10), (6, 6), (100, 6)] {
            let s = replay::<Fifo>(&S, frames, 0);
            assert_eq!((s.misses, s.cold_misses), (misses, 6), "{frames} frames");
        }
        assert_eq!(replay::<Lru>(&S, 0, 0).cold_misses, 6);
    }

    #[test]
    fn zero_frames_miss_everything() {
        let s = replay::<Lru>(&S, 0, 0);
        assert_eq!((s.misses, s.hits, s.evictions), (20, 0, 0));
    }

    #[test]
    fn streaming_batches_equal_one_pass() {
        let mut r = Replay::<Lru>::new(3, 0);
        for chunk in S.chunks(3) {
            r.feed(chunk);
        }
        assert_eq!(r.stats(), replay::<Lru>(&S, 3, 0));
        assert_eq!(replay_iter::<Opt>(S, 3, 0), replay::<Opt>(&S, 3, 0));
        assert_eq!(replay_kind(PolicyKind::Fifo, &S, 3, 0).misses, 15);
    }

    #[test]
    fn next_use_positions() {
        let t = next_use_table(&[1, 2, 1, 3, 2]);
        assert_eq!(t, [NextUse(2), NextUse(4), NextUse::NEVER, NextUse::NEVER, NextUse::NEVER]);
    }
}
