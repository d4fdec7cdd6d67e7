//! One set-associative cache array: tags only (the bytes live in `PhysMem`), a dirty and a prefetched bit per line,
//! and a replacement policy within each set.
//!
//! A line is named by its line number, `pa >> LINE_SHIFT`; the set is the low bits of that number (physically
//! indexed and tagged: the caller passes physical addresses). Hennessy & Patterson, *Computer Architecture*
//! 6th ed., appendix B.1 ("Where can a block be placed", "How is a block found").
//!
//! Simplifies: no sub-line state (sectors), no MSHRs or queues (an access completes at once), no way prediction.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// log2 of the line size: 64-byte lines, as on every x86 core since the Pentium 4 (AMD Zen 4 SOG §2.12; Intel
/// optimization manual §2.x "cache line size 64 bytes"; ChampSim `block_size: 64`).
pub const LINE_SHIFT: u32 = 6;
/// Bytes per cache line.
pub const LINE_BYTES: u64 = 1 << LINE_SHIFT;
/// Lines per 4 KiB page: prefetchers do not cross a page (they see physical addresses and do not know where the
/// next virtual page lives; Intel optimization manual, "the prefetched data must be in the same 4K page").
pub const LINES_PER_PAGE_SHIFT: u32 = crate::addr::PAGE_SHIFT - LINE_SHIFT;

/// Which way of a full set a fill replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replacement {
    /// Least recently used (true LRU; hardware approximates it with tree pseudo-LRU, which vendors do not
    /// document **[U]**; ChampSim's default `lru`).
    #[default]
    Lru,
    /// First in, first out: hits do not refresh a line.
    Fifo,
    /// A uniformly random way (ARM Cortex-A cores offer it); seeded, so runs repeat.
    Random,
}

impl Replacement {
    /// The config name.
    pub const fn name(self) -> &'static str {
        match self {
            Replacement::Lru => "lru",
            Replacement::Fifo => "fifo",
            Replacement::Random => "random",
        }
    }
}

/// Tag of an empty way: no line number reaches 2^64 − 1 (physical addresses have at most 52 bits).
const EMPTY: u64 = u64::MAX;
/// Line flag: written since it was filled (write-back: memory is stale).
const DIRTY: u8 = 1;
/// Line flag: brought in by a prefetch and not yet used by a demand access.
const PREFETCHED: u8 = 2;

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// Not present.
    Miss,
    /// Present.
    Hit,
    /// Present, and this is the first demand use of a prefetched line (a useful prefetch).
    HitPrefetched,
}

/// A line a fill pushed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Victim {
    /// Its line number.
    pub line: u64,
    /// Whether it was dirty (must be written back).
    pub dirty: bool,
    /// Whether it was prefetched and never used.
    pub unused_prefetch: bool,
}

/// Why a cache geometry cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheGeometryError {
    /// `ways` = 0.
    #[error("ways = 0: a cache needs at least one way")]
    ZeroWays,
    /// Fewer bytes than one line per way, or not a whole number of sets.
    #[error("size = {size} B is not a positive multiple of ways × 64 B = {unit} B")]
    NotMultiple {
        /// The size.
        size: u64,
        /// `ways × LINE_BYTES`.
        unit: u64,
    },
    /// The set count is not a power of two (the set index is the low bits of the line number).
    #[error("size / (ways × 64 B) = {sets} sets, which is not a power of two (the set index is the low bits of the line number)")]
    SetsNotPowerOfTwo {
        /// The set count.
        sets: u64,
    },
    /// Bigger than the model allocates.
    #[error("size = {size} B: at most {max} B are supported")]
    TooBig {
        /// The size.
        size: u64,
        /// [`MAX_CACHE_BYTES`].
        max: u64,
    },
    /// More ways than supported.
    #[error("ways = {ways}: at most {max} ways are supported")]
    TooManyWays {
        /// The ways.
        ways: u32,
        /// [`MAX_WAYS`].
        max: u32,
    },
}

/// Largest cache the model builds (a bound on allocation from user input): 1 GiB.
pub const MAX_CACHE_BYTES: u64 = 1 << 30;
/// Most ways per set (a fully associative cache of up to 1024 lines).
pub const MAX_WAYS: u32 = 1024;

/// Checks a geometry and returns the number of sets.
pub fn sets_of(size: u64, ways: u32) -> Result<u64, CacheGeometryError> {
    if ways == 0 {
        return Err(CacheGeometryError::ZeroWays);
    }
    if ways > MAX_WAYS {
        return Err(CacheGeometryError::TooManyWays { ways, max: MAX_WAYS });
    }
    if size > MAX_CACHE_BYTES {
        return Err(CacheGeometryError::TooBig { size, max: MAX_CACHE_BYTES });
    }
    let unit = u64::from(ways) * LINE_BYTES;
    if size == 0 || size % unit != 0 {
        return Err(CacheGeometryError::NotMultiple { size, unit });
    }
    let sets = size / unit;
    if !sets.is_power_of_two() {
        return Err(CacheGeometryError::SetsNotPowerOfTwo { sets });
    }
    Ok(sets)
}

/// One cache array.
///
/// Invariant: a line number is in at most one way, of the set its low bits select.
#[derive(Debug, Clone)]
pub struct Cache {
    /// `sets - 1`.
    set_mask: u64,
    /// Ways per set.
    ways: usize,
    /// Per way: the line number held, or [`EMPTY`].
    tags: Box<[u64]>,
    /// Per way: [`DIRTY`] and [`PREFETCHED`].
    flags: Box<[u8]>,
    /// Per way: LRU: time of the last use; FIFO: time of the fill; 0 exactly when empty (the clock starts at 1).
    /// The victim is the smallest.
    stamps: Box<[u64]>,
    /// Ticks once per stamp written.
    clock: u64,
    policy: Replacement,
    rng: ChaCha8Rng,
}

impl Cache {
    /// An empty cache of `size` bytes and `ways` ways; `seed` drives random replacement.
    pub fn new(size: u64, ways: u32, policy: Replacement, seed: u64) -> Result<Self, CacheGeometryError> {
        let sets = sets_of(size, ways)?;
        let lines = usize::try_from(sets * u64::from(ways))
            .map_err(|_| CacheGeometryError::TooBig { size, max: MAX_CACHE_BYTES })?;
        Ok(Self {
            set_mask: sets - 1,
            ways: ways as usize,
            tags: vec![EMPTY; lines].into_boxed_slice(),
            flags: vec![0; lines].into_boxed_slice(),
            stamps: vec![0; lines].into_boxed_slice(),
            clock: 0,
            policy,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// Sets × ways.
    pub fn lines(&self) -> usize {
        self.tags.len()
    }

    /// Ways per set.
    pub fn ways(&self) -> usize {
        self.ways
    }

    /// Index of the first way of `line`'s set.
    #[inline(always)]
    fn base(&self, line: u64) -> usize {
        #[allow(clippy::cast_possible_truncation, reason = "masked to the set count, which fits the Vec")]
        let set = (line & self.set_mask) as usize;
        set * self.ways
    }

    /// The way holding `line`, if any.
    #[inline(always)]
    fn find(&self, line: u64) -> Option<usize> {
        let base = self.base(line);
        self.tags[base..base + self.ways].iter().position(|&t| t == line).map(|w| base + w)
    }

    /// Whether `line` is cached (no state change).
    #[inline]
    pub fn contains(&self, line: u64) -> bool {
        self.find(line).is_some()
    }

    /// Whether `line` is cached and dirty (no state change).
    pub fn is_dirty(&self, line: u64) -> bool {
        self.find(line).is_some_and(|i| self.flags[i] & DIRTY != 0)
    }

    #[inline(always)]
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// A demand access to `line`: on a hit, refresh it (LRU), mark it dirty on a write, and report a first use of
    /// a prefetched line. A miss changes nothing (the caller fills).
    #[inline]
    pub fn lookup(&mut self, line: u64, write: bool) -> Hit {
        let Some(i) = self.find(line) else { return Hit::Miss };
        if self.policy == Replacement::Lru {
            self.stamps[i] = self.tick();
        }
        let f = self.flags[i];
        self.flags[i] = (f & !PREFETCHED) | if write { DIRTY } else { 0 };
        if f & PREFETCHED != 0 {
            Hit::HitPrefetched
        } else {
            Hit::Hit
        }
    }

    /// A lookup on behalf of a fill from above or a prefetch: refreshes the line like a use, but does not clear its
    /// prefetched mark (only a demand access proves a prefetch useful). True on a hit.
    #[inline]
    pub fn touch(&mut self, line: u64) -> bool {
        let Some(i) = self.find(line) else { return false };
        if self.policy == Replacement::Lru {
            self.stamps[i] = self.tick();
        }
        true
    }

    /// Marks `line` dirty if cached (a write-back from the level above, or the walker setting an A/D bit).
    /// True if it was cached.
    #[inline]
    pub fn mark_dirty(&mut self, line: u64) -> bool {
        match self.find(line) {
            Some(i) => {
                self.flags[i] |= DIRTY;
                true
            }
            None => false,
        }
    }

    /// Puts `line` (not cached: the caller just missed) into its set: an empty way if there is one, else the
    /// policy's victim, which is returned.
    pub fn fill(&mut self, line: u64, dirty: bool, prefetched: bool) -> Option<Victim> {
        debug_assert!(!self.contains(line), "fill of a cached line {line:#x}");
        let base = self.base(line);
        let set = base..base + self.ways;
        // An empty way has stamp 0 and a valid one at least 1, so for LRU and FIFO the smallest stamp is an empty
        // way if there is one: one scan of the set.
        let w = match self.policy {
            Replacement::Random => match self.tags[set].iter().position(|&t| t == EMPTY) {
                Some(w) => w,
                None => self.rng.gen_range(0..self.ways),
            },
            Replacement::Lru | Replacement::Fifo => argmin(&self.stamps[set]),
        };
        let i = base + w;
        let victim = (self.tags[i] != EMPTY).then(|| Victim {
            line: self.tags[i],
            dirty: self.flags[i] & DIRTY != 0,
            unused_prefetch: self.flags[i] & PREFETCHED != 0,
        });
        self.tags[i] = line;
        self.flags[i] = if dirty { DIRTY } else { 0 } | if prefetched { PREFETCHED } else { 0 };
        self.stamps[i] = self.tick();
        victim
    }

    /// Drops `line` if cached (another CPU wrote it). Returns `Some(dirty)` if it was cached.
    pub fn invalidate(&mut self, line: u64) -> Option<bool> {
        let i = self.find(line)?;
        let dirty = self.flags[i] & DIRTY != 0;
        self.tags[i] = EMPTY;
        self.flags[i] = 0;
        self.stamps[i] = 0;
        Some(dirty)
    }

    /// The lines of `line`'s set, way order, `None` for empty ways (for tests and teaching printouts).
    pub fn set_contents(&self, line: u64) -> Vec<Option<u64>> {
        let base = self.base(line);
        self.tags[base..base + self.ways].iter().map(|&t| (t != EMPTY).then_some(t)).collect()
    }
}

/// Index of the smallest stamp (the first on ties). Branch-free: which way wins is unpredictable.
#[inline]
fn argmin(stamps: &[u64]) -> usize {
    let (mut best, mut at) = (u64::MAX, 0);
    for (i, &s) in stamps.iter().enumerate() {
        let less = s < best;
        at = if less { i } else { at };
        best = if less { s } else { best };
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hennessy & Patterson style textbook exercise: a 2-way cache with 2 sets (4 lines of 64 B), LRU, and the
    /// reference string of line numbers 0 1 2 3 0 4 0 2 6 0. Even lines map to set 0, odd to set 1.
    ///
    /// Set 0 by hand (MRU first): 0 m [0]; 2 m [2 0]; 0 h [0 2]; 4 m, evicts 2 → [4 0]; 0 h [0 4]; 2 m, evicts 4 →
    /// [2 0]; 6 m, evicts 0 → [6 2]; 0 m, evicts 2 → [0 6]. Set 1: 1 m, 3 m. So 2 hits in 10 references (the 5th
    /// and 7th), and the victims are 2, 4, 0, 2.
    #[test]
    fn two_way_lru_textbook_string() {
        let mut c = Cache::new(4 * LINE_BYTES, 2, Replacement::Lru, 0).unwrap();
        let refs = [0u64, 1, 2, 3, 0, 4, 0, 2, 6, 0];
        let expect = [false, false, false, false, true, false, true, false, false, false];
        let mut evicted = Vec::new();
        for (&line, &hit) in refs.iter().zip(&expect) {
            let h = c.lookup(line, false) != Hit::Miss;
            assert_eq!(h, hit, "line {line}");
            if !h {
                if let Some(v) = c.fill(line, false, false) {
                    evicted.push(v.line);
                }
            }
        }
        assert_eq!(evicted, [2, 4, 0, 2]);
        let mut s0: Vec<_> = c.set_contents(0).into_iter().flatten().collect();
        s0.sort_unstable();
        assert_eq!(s0, [0, 6]);
        let mut s1: Vec<_> = c.set_contents(1).into_iter().flatten().collect();
        s1.sort_unstable();
        assert_eq!(s1, [1, 3]);
    }

    /// The same string under FIFO: hits do not refresh, so 0 (the oldest) goes before 4.
    #[test]
    fn two_way_fifo_textbook_string() {
        let mut c = Cache::new(4 * LINE_BYTES, 2, Replacement::Fifo, 0).unwrap();
        let refs = [0u64, 2, 0, 4, 0];
        // 0 m [0]; 2 m [0 2]; 0 h; 4 m evicts 0 (first in) → [2 4]; 0 m evicts 2.
        let hits: Vec<bool> = refs
            .iter()
            .map(|&l| {
                let h = c.lookup(l, false) != Hit::Miss;
                if !h {
                    c.fill(l, false, false);
                }
                h
            })
            .collect();
        assert_eq!(hits, [false, false, true, false, false]);
    }

    #[test]
    fn dirty_lines_are_reported_on_eviction() {
        let mut c = Cache::new(LINE_BYTES, 1, Replacement::Lru, 0).unwrap();
        assert_eq!(c.lookup(5, true), Hit::Miss);
        assert_eq!(c.fill(5, true, false), None);
        assert!(c.is_dirty(5));
        let v = c.fill(6, false, false).unwrap();
        assert_eq!(v, Victim { line: 5, dirty: true, unused_prefetch: false });
        assert_eq!(c.fill(7, false, true).map(|v| v.dirty), Some(false));
        assert_eq!(c.lookup(7, false), Hit::HitPrefetched);
        assert_eq!(c.lookup(7, false), Hit::Hit);
    }

    #[test]
    fn geometry_is_checked() {
        assert_eq!(sets_of(32 << 10, 8), Ok(64));
        assert_eq!(sets_of(32 << 20, 16), Ok(32768));
        assert!(matches!(sets_of(48 << 10, 8), Err(CacheGeometryError::SetsNotPowerOfTwo { sets: 96 })));
        assert!(matches!(sets_of(100, 1), Err(CacheGeometryError::NotMultiple { .. })));
        assert_eq!(sets_of(1 << 10, 0), Err(CacheGeometryError::ZeroWays));
    }
}
