//! The exact LRU miss-ratio curve of a trace, for every memory size at once, in one pass.
//!
//! Source: Mattson, Gecsei, Slutz, Traiger, "Evaluation techniques for storage hierarchies", IBM Systems Journal
//! 1970: LRU is a stack algorithm, so a reference hits in a memory of `c` frames iff its *stack distance* (the
//! number of distinct pages referenced since the previous reference to the same page, itself included) is at most
//! `c`. Distances are counted with a Fenwick tree over time positions that marks, for each page, the position of
//! its latest reference (Bennett & Kruskal 1975; Almási, Caşcaval, Padua 2002): the distance is the number of marks
//! after the page's previous position, plus one. O(log n) per reference, memory O(distinct pages): when positions
//! run out the live marks are renumbered into a tree twice their number.
//!
//! `misses(c)` equals [`replay`](super::replay::replay)`::<Lru>(trace, c)` for every `c` (first references are
//! misses at every size; checked by a property test).

use rustc_hash::FxHashMap;
use serde::Serialize;

/// A miss-ratio curve: misses at every memory size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mrc {
    refs: u64,
    /// `misses_at[c]` = misses with `c` frames, for `c` in `0..=distinct`; beyond, only cold misses remain.
    misses_at: Vec<u64>,
}

impl Mrc {
    /// References in the trace.
    pub fn refs(&self) -> u64 {
        self.refs
    }

    /// Distinct pages in the trace (= cold misses).
    pub fn distinct_pages(&self) -> usize {
        self.misses_at.len() - 1
    }

    /// Misses of exact LRU with `frames` frames (all references at 0 frames).
    pub fn misses(&self, frames: usize) -> u64 {
        self.misses_at[frames.min(self.misses_at.len() - 1)]
    }

    /// Miss ratio with `frames` frames; 0 for an empty trace.
    #[allow(clippy::cast_precision_loss, reason = "a ratio for display")]
    pub fn miss_ratio(&self, frames: usize) -> f64 {
        if self.refs == 0 {
            0.0
        } else {
            self.misses(frames) as f64 / self.refs as f64
        }
    }

    /// `(frames, misses)` for `frames` in `1..=distinct_pages()`, where the curve reaches its floor.
    pub fn points(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.misses_at.iter().copied().enumerate().skip(1)
    }
}

/// Computes the exact LRU miss-ratio curve of `refs` (page numbers) in one pass.
pub fn lru_mrc(refs: impl IntoIterator<Item = u64>) -> Mrc {
    let mut d = StackDistances::default();
    for page in refs {
        d.reference(page);
    }
    d.finish()
}

/// Incremental stack-distance counter behind [`lru_mrc`].
#[derive(Debug, Default, Clone)]
pub struct StackDistances {
    /// Page → position of its latest reference.
    last: FxHashMap<u64, usize>,
    /// Fenwick tree over positions: 1 where a page's latest reference is.
    tree: Fenwick,
    /// Page referenced at each position (valid where marked), for renumbering.
    owner: Vec<u64>,
    /// Next free position.
    now: usize,
    /// `hist[d]` = references with stack distance `d` (index 0 unused).
    hist: Vec<u64>,
    refs: u64,
}

impl StackDistances {
    /// Records one reference; returns its stack distance, `None` for a first reference.
    pub fn reference(&mut self, page: u64) -> Option<usize> {
        self.refs += 1;
        if self.now == self.owner.len() {
            self.compact();
        }
        let t = self.now;
        self.now += 1;
        self.owner[t] = page;
        let distance = match self.last.insert(page, t) {
            Some(p) => {
                // Marks after p are the distinct pages referenced since; all lie before t.
                let d = self.last.len() - self.tree.prefix(p) + 1;
                self.tree.add(p, -1);
                Some(d)
            }
            None => None,
        };
        self.tree.add(t, 1);
        if let Some(d) = distance {
            if d >= self.hist.len() {
                self.hist.resize(d + 1, 0);
            }
            self.hist[d] += 1;
        }
        distance
    }

    /// Renumbers live marks to `0..distinct` in time order, in a tree of twice that size (at least 1024).
    fn compact(&mut self) {
        let distinct = self.last.len();
        let size = (2 * distinct).max(1024);
        let mut owner = vec![0; size];
        let mut n = 0;
        for (pos, &page) in self.owner[..self.now].iter().enumerate() {
            if self.last.get(&page) == Some(&pos) {
                owner[n] = page;
                self.last.insert(page, n);
                n += 1;
            }
        }
        debug_assert_eq!(n, distinct);
        self.tree = Fenwick::with_ones(size, n);
        self.owner = owner;
        self.now = n;
    }

    /// The curve so far.
    pub fn finish(&self) -> Mrc {
        let distinct = self.last.len();
        let mut misses_at = vec![0; distinct + 1];
        // misses(c) = cold + references with distance > c.
        let mut running = distinct as u64;
        for c in (0..=distinct).rev() {
            misses_at[c] = running;
            running += self.hist.get(c).copied().unwrap_or(0);
        }
        Mrc { refs: self.refs, misses_at }
    }
}

/// A Fenwick (binary indexed) tree of counts.
#[derive(Debug, Default, Clone)]
struct Fenwick {
    /// 1-based partial sums.
    sums: Vec<i64>,
}

impl Fenwick {
    /// A tree of `size` positions whose first `ones` positions hold 1, built in O(size).
    #[allow(clippy::cast_possible_wrap, reason = "sizes are far below 2^63")]
    fn with_ones(size: usize, ones: usize) -> Self {
        let mut sums = vec![0i64; size + 1];
        for (i, s) in sums.iter_mut().enumerate().skip(1) {
            // Node i covers positions (i - lowbit(i), i], 1-based.
            let lo = i - (i & i.wrapping_neg());
            *s = i.min(ones).saturating_sub(lo) as i64;
        }
        Self { sums }
    }

    fn add(&mut self, pos: usize, delta: i64) {
        let mut i = pos + 1;
        while i < self.sums.len() {
            self.sums[i] += delta;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum over positions `0..=pos`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "counts of marks are non-negative")]
    fn prefix(&self, pos: usize) -> usize {
        let (mut i, mut s) = (pos + 1, 0i64);
        while i > 0 {
            s += self.sums[i];
            i -= i & i.wrapping_neg();
        }
        s as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reclaim::{lru::Lru, replay::replay};

    #[test]
    fn silberschatz_string_matches_lru_at_every_size() {
        let s = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
        let m = lru_mrc(s);
        // SPEC §16: LRU on S takes 20, 17, 12, 8, 7 faults with 1..=5 frames.
        assert_eq!((1..=5).map(|c| m.misses(c)).collect::<Vec<_>>(), [20, 17, 12, 8, 7]);
        for c in 0..=8 {
            assert_eq!(m.misses(c), replay::<Lru>(&s, c, 0).misses, "{c} frames");
        }
        assert_eq!((m.refs(), m.distinct_pages(), m.misses(100)), (20, 6, 6));
    }

    #[test]
    fn compaction_keeps_distances() {
        // 3000 references over 7 pages force several renumberings of a 1024-position tree.
        let refs: Vec<u64> = (0..3000u64).map(|i| (i * i + 3 * i) % 7).collect();
        let m = lru_mrc(refs.iter().copied());
        for c in 0..=8 {
            assert_eq!(m.misses(c), replay::<Lru>(&refs, c, 0).misses, "{c} frames");
        }
    }

    #[test]
    fn fenwick_with_ones_equals_adds() {
        for (size, ones) in [(1, 0), (1, 1), (7, 3), (16, 16), (33, 20)] {
            let built = Fenwick::with_ones(size, ones);
            let mut added = Fenwick { sums: vec![0; size + 1] };
            for p in 0..ones {
                added.add(p, 1);
            }
            assert_eq!(built.sums, added.sums, "size {size}, ones {ones}");
        }
    }
}
