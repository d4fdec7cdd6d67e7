//! Translation lookaside buffers: one set-associative [`Tlb`] and the per-core [`TlbHierarchy`] of an L1 data TLB,
//! an L1 instruction TLB and a unified second-level TLB (STLB). SPEC §14; SDM Vol 3A §4.10.2.
//!
//! A TLB caches completed translations, tagged with the address-space identifier (x86 PCID) they were made under,
//! or marked global (x86 G bit with CR4.PGE), in which case they match under every ASID. Entries are never updated
//! when page tables change; software must invalidate (SDM 3A §4.10.4), which is what the `invalidate_*` methods model.
//!
//! Simplifies:
//! - 4 KiB entries only: a walker that finds a 2 MiB or 1 GiB leaf caches the 4 KiB piece it needs (hardware keeps
//!   separate large-page arrays; SPEC §14 lists them).
//! - True LRU within each set; hardware uses tree pseudo-LRU variants that Intel does not document **[U]**.
//! - The hierarchy is non-inclusive: an STLB eviction does not remove the L1 copy **[U]**.
//! - No memory type, and the accessed bit is implied (a translation is only cached after A was set).
//!
//! Layout: struct-of-arrays with each set's ways contiguous: VPN tags (`u64`), match keys (`u32`: the ASID with a
//! valid bit, or the global key) and a 16-byte payload (frame, permissions, ASID), plus each set's recency order
//! packed in a `u64` ([`Recency`]). A lookup compares the set's tags and keys without branches and touches the
//! payload and recency only on a hit; a fill takes the set's last way in recency order, without a scan. Nothing is
//! allocated after construction and nothing is hashed. Measured with a throwaway harness (release build, shared
//! 2-core AMD EPYC VM, random hits): [`TlbHierarchy::lookup`] takes 3.4 ns on an L1 hit, about 17 ns on an STLB
//! hit (refilling the L1), 10 ns on a full miss.

use super::psc::PscConfig;
use crate::addr::{Asid, Pfn, Vpn};
use crate::arch::Perms;
use serde::{Deserialize, Serialize};

/// One cached translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// Virtual page number translated.
    pub vpn: Vpn,
    /// Frame it maps to.
    pub pfn: Pfn,
    /// Effective permissions: R/W/X/U ANDed over every level of the walk, plus [`Perms::DIRTY`] if the leaf's D bit
    /// was set when the entry was cached, and [`Perms::GLOBAL`] if the leaf was global (then the entry matches under
    /// every ASID).
    pub perms: Perms,
    /// Address space the translation was made in (ignored for matching when global).
    pub asid: Asid,
}

impl TlbEntry {
    /// Whether the entry matches under every ASID.
    pub const fn is_global(&self) -> bool {
        self.perms.contains(Perms::GLOBAL)
    }
}

/// Size and associativity of one TLB array, as written under `[tlb.l1d]` etc. in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlbGeometry {
    /// Total entries; `entries / ways` sets, which must be a power of two (the set index is the low VPN bits).
    pub entries: u32,
    /// Ways per set; `ways == entries` gives a fully associative TLB.
    pub ways: u32,
}

/// Largest TLB the model builds: a bound on allocation from user input, far above any real TLB (SPEC §14: ~2048).
pub const MAX_TLB_ENTRIES: u32 = 1 << 20;

/// Default L1 data TLB: Intel Skylake, 4 KiB pages, 64 entries 4-way (16 sets). SPEC §14, informative **[U]**.
pub const DEFAULT_L1D: TlbGeometry = TlbGeometry { entries: 64, ways: 4 };
/// Default L1 instruction TLB: Intel Skylake, 4 KiB pages, 128 entries 8-way (16 sets). SPEC §14, informative **[U]**.
pub const DEFAULT_L1I: TlbGeometry = TlbGeometry { entries: 128, ways: 8 };
/// Default STLB: Intel Skylake, 1536 entries shared by 4 KiB and 2 MiB pages, 12-way (128 sets). SPEC §14,
/// informative **[U]**.
pub const DEFAULT_STLB: TlbGeometry = TlbGeometry { entries: 1536, ways: 12 };

/// A TLB geometry that cannot be built. `tlb` names the array (`"tlb.l1d"`, or `"tlb"` for a standalone [`Tlb`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlbConfigError {
    /// `ways` was 0.
    #[error("{tlb}.ways = 0: a TLB needs at least one way")]
    ZeroWays {
        /// Which TLB.
        tlb: &'static str,
    },
    /// `entries` was 0.
    #[error("{tlb}.entries = 0: a TLB needs at least one entry")]
    ZeroEntries {
        /// Which TLB.
        tlb: &'static str,
    },
    /// `entries` above [`MAX_TLB_ENTRIES`].
    #[error("{tlb}.entries = {entries}: at most {max} entries are supported")]
    TooManyEntries {
        /// Which TLB.
        tlb: &'static str,
        /// The rejected value.
        entries: u32,
        /// [`MAX_TLB_ENTRIES`].
        max: u32,
    },
    /// A paging-structure cache size (`tlb.psc.pde` etc.) above [`MAX_TLB_ENTRIES`].
    #[error("{field} = {entries}: at most {max} entries are supported")]
    TooManyPscEntries {
        /// Which setting.
        field: &'static str,
        /// The rejected value.
        entries: u32,
        /// [`MAX_TLB_ENTRIES`].
        max: u32,
    },
    /// `entries` not a multiple of `ways`.
    #[error("{tlb}.entries = {entries} is not a multiple of {tlb}.ways = {ways}")]
    EntriesNotMultipleOfWays {
        /// Which TLB.
        tlb: &'static str,
        /// The rejected entry count.
        entries: u32,
        /// The way count.
        ways: u32,
    },
    /// `entries / ways` not a power of two.
    #[error(
        "{tlb}.entries = {entries} with {tlb}.ways = {ways} gives {sets} sets, which is not a power of two \
         (the set index is the low bits of the page number)"
    )]
    SetsNotPowerOfTwo {
        /// Which TLB.
        tlb: &'static str,
        /// The entry count.
        entries: u32,
        /// The way count.
        ways: u32,
        /// `entries / ways`.
        sets: u32,
    },
}

impl TlbGeometry {
    /// Checks the geometry and returns the number of sets. `tlb` names the array in the error (`"tlb.stlb"`).
    pub const fn validate(self, tlb: &'static str) -> Result<u32, TlbConfigError> {
        let TlbGeometry { entries, ways } = self;
        if ways == 0 {
            return Err(TlbConfigError::ZeroWays { tlb });
        }
        if entries == 0 {
            return Err(TlbConfigError::ZeroEntries { tlb });
        }
        if entries > MAX_TLB_ENTRIES {
            return Err(TlbConfigError::TooManyEntries { tlb, entries, max: MAX_TLB_ENTRIES });
        }
        if entries % ways != 0 {
            return Err(TlbConfigError::EntriesNotMultipleOfWays { tlb, entries, ways });
        }
        let sets = entries / ways;
        if !sets.is_power_of_two() {
            return Err(TlbConfigError::SetsNotPowerOfTwo { tlb, entries, ways, sets });
        }
        Ok(sets)
    }
}

/// Match key of an empty way: equal to no lookup key.
const KEY_INVALID: u32 = 0;
/// Valid entry tagged with an ASID: this bit ORed with the 16-bit ASID.
const KEY_ASID: u32 = 1 << 16;
/// Valid global entry, matching a lookup under any ASID (SDM 3A §4.10.2.4).
const KEY_GLOBAL: u32 = 1 << 17;

/// The key a lookup under `asid` compares with (equal to a non-global entry's key).
const fn asid_key(asid: Asid) -> u32 {
    KEY_ASID | asid.0 as u32
}

/// The key an entry is stored under.
const fn entry_key(e: &TlbEntry) -> u32 {
    if e.is_global() {
        KEY_GLOBAL
    } else {
        asid_key(e.asid)
    }
}

/// Whether a way with tag `tag` and key `key` answers a lookup of `raw` with lookup key `want`.
#[inline(always)]
const fn hits(tag: u64, key: u32, raw: u64, want: u32) -> bool {
    // Non-short-circuit operators: the compiler emits flag arithmetic and conditional moves, no branches.
    (tag == raw) & ((key == want) | (key == KEY_GLOBAL))
}

/// The way of a set whose tag is `raw` and whose key is `want` or global, given the set's `tags` and `keys`; the
/// struct invariant guarantees at most one. Used by lookups, so it is kept small enough to inline.
///
/// Which way hits is unpredictable, so up to 16 ways are scanned whole with conditional moves rather than left
/// early (release build, random hits in a 64-entry 4-way TLB: 3.5 ns against 7 ns with `Iterator::position`).
/// Wider sets (fully associative arrays) exit early: one mispredicted exit costs less than 64 compares in series.
#[inline(always)]
fn find_in_set(tags: &[u64], keys: &[u32], raw: u64, want: u32) -> Option<usize> {
    if tags.len() > 16 {
        return tags.iter().zip(keys).position(|(&t, &k)| hits(t, k, raw, want));
    }
    let mut hit = usize::MAX;
    for (i, (&t, &k)) in tags.iter().zip(keys).enumerate() {
        hit = if hits(t, k, raw, want) { i } else { hit };
    }
    (hit != usize::MAX).then_some(hit)
}

/// [`find_in_set`] with the usual associativities fully unrolled, for fills (which are not inlined into callers);
/// saves about 4 ns per fill.
fn find_in_set_unrolled(tags: &[u64], keys: &[u32], raw: u64, want: u32) -> Option<usize> {
    match tags.len() {
        4 => find_exact::<4>(tags, keys, raw, want),
        8 => find_exact::<8>(tags, keys, raw, want),
        12 => find_exact::<12>(tags, keys, raw, want),
        16 => find_exact::<16>(tags, keys, raw, want),
        _ => find_in_set(tags, keys, raw, want),
    }
}

/// [`find_in_set`] over exactly `N ≤ 32` ways: one bit per way in a mask, which the compiler turns into vector
/// compares (12 ways: about 30 instructions instead of 110 with a conditional move per way).
#[inline(always)]
fn find_exact<const N: usize>(tags: &[u64], keys: &[u32], raw: u64, want: u32) -> Option<usize> {
    match (<&[u64; N]>::try_from(tags), <&[u32; N]>::try_from(keys)) {
        (Ok(tags), Ok(keys)) => {
            let mut mask = 0u32;
            for i in 0..N {
                mask |= u32::from(hits(tags[i], keys[i], raw, want)) << i;
            }
            (mask != 0).then_some(mask.trailing_zeros() as usize)
        }
        _ => find_in_set(tags, keys, raw, want),
    }
}

/// [`find_exact`] for a TLB that holds no global entry: the key must equal `want`, one compare less per way.
#[inline(always)]
fn find_exact_local<const N: usize>(tags: &[u64], keys: &[u32], raw: u64, want: u32) -> Option<usize> {
    match (<&[u64; N]>::try_from(tags), <&[u32; N]>::try_from(keys)) {
        (Ok(tags), Ok(keys)) => {
            let mut mask = 0u32;
            for i in 0..N {
                mask |= u32::from((tags[i] == raw) & (keys[i] == want)) << i;
            }
            (mask != 0).then_some(mask.trailing_zeros() as usize)
        }
        _ => find_in_set(tags, keys, raw, want),
    }
}

/// Nibbles per `u64`: the widest set whose recency order packs into one word.
const PACKED_WAYS: usize = 16;
/// Every nibble 1: multiplied by a way number, that number in every nibble.
const NIBBLES_ONE: u64 = 0x1111_1111_1111_1111;
/// The top bit of every nibble.
const NIBBLES_HIGH: u64 = 0x8888_8888_8888_8888;

/// Which way of each set to replace next, for true LRU within the set. A set of up to 16 ways keeps the recency
/// order of its ways packed in a `u64`, 4 bits per way number, most recently used first and empty ways last, so the
/// victim is the last nibble and a use moves one nibble to the front (a few bit operations, no scan). Wider sets
/// (fully associative arrays) keep a use stamp per way and take the smallest, an empty way having stamp 0.
///
/// Both give the same victims: an empty way while the set has one, otherwise the least recently used way.
#[derive(Debug, Clone)]
enum Recency {
    /// Per set: way numbers in nibbles, position 0 the most recently used.
    Packed { order: Box<[u64]>, ways: usize },
    /// Per way: value of `clock` when last filled or hit, 0 when empty.
    Stamps { stamps: Box<[u64]>, clock: u64, ways: usize },
}

impl Recency {
    fn new(sets: usize, ways: usize) -> Self {
        if ways <= PACKED_WAYS {
            Recency::Packed { order: vec![Self::initial_order(ways); sets].into_boxed_slice(), ways }
        } else {
            Recency::Stamps { stamps: vec![0; sets * ways].into_boxed_slice(), clock: 0, ways }
        }
    }

    /// Ways 0, 1, … in positions 0, 1, …: all empty, so any order will do.
    fn initial_order(ways: usize) -> u64 {
        (0..ways as u64).fold(0, |o, w| o | (w << (4 * w)))
    }

    /// Position of way `w` in a packed order: the lowest nibble equal to `w` (the zero-nibble test of
    /// `order ^ w…w` can flag a false zero only above a true one).
    #[inline(always)]
    fn position(order: u64, w: usize) -> u32 {
        let x = order ^ (w as u64).wrapping_mul(NIBBLES_ONE);
        (x.wrapping_sub(NIBBLES_ONE) & !x & NIBBLES_HIGH).trailing_zeros() / 4
    }

    /// `order` without the nibble at `pos`, the later ones moved up by one position.
    #[inline(always)]
    fn without(order: u64, pos: u32) -> u64 {
        let below = (1u64 << (4 * pos)) - 1;
        (order & below) | ((order >> 4) & !below)
    }

    /// Way `w` of set `set` was filled or hit: it becomes the most recently used.
    #[inline(always)]
    fn used(&mut self, set: usize, w: usize) {
        match self {
            Recency::Packed { order, .. } => {
                let o = order[set];
                if o & 0xF != w as u64 {
                    order[set] = (Self::without(o, Self::position(o, w)) << 4) | w as u64;
                }
            }
            Recency::Stamps { stamps, clock, ways } => {
                *clock += 1;
                stamps[set * *ways + w] = *clock;
            }
        }
    }

    /// Way `w` of set `set` was emptied: it goes behind every valid way.
    #[inline(always)]
    fn emptied(&mut self, set: usize, w: usize) {
        match self {
            Recency::Packed { order, ways } => {
                let o = order[set];
                order[set] = Self::without(o, Self::position(o, w)) | ((w as u64) << (4 * (*ways - 1)));
            }
            Recency::Stamps { stamps, ways, .. } => stamps[set * *ways + w] = 0,
        }
    }

    /// The way of set `set` to fill next: an empty one if any, else the least recently used.
    #[inline(always)]
    fn victim(&self, set: usize) -> usize {
        match self {
            #[allow(clippy::cast_possible_truncation, reason = "a nibble")]
            Recency::Packed { order, ways } => ((order[set] >> (4 * (*ways - 1))) & 0xF) as usize,
            Recency::Stamps { stamps, ways, .. } => argmin(&stamps[set * *ways..(set + 1) * *ways]),
        }
    }

    /// Every way empty.
    fn reset(&mut self) {
        match self {
            Recency::Packed { order, ways } => order.fill(Self::initial_order(*ways)),
            Recency::Stamps { stamps, .. } => stamps.fill(0),
        }
    }
}

/// Index of the smallest stamp (the first one on ties). Branch-free.
fn argmin(stamps: &[u64]) -> usize {
    let (mut best, mut at) = (u64::MAX, 0);
    for (i, &s) in stamps.iter().enumerate() {
        let less = s < best;
        at = if less { i } else { at };
        best = if less { s } else { best };
    }
    at
}

/// What a way holds besides its tag and key: 16 bytes, read only on a hit.
#[derive(Clone, Copy, Debug)]
struct Payload {
    pfn: Pfn,
    perms: Perms,
    /// The ASID the entry was cached under (also kept for global entries, which match any).
    asid: Asid,
}

/// One set-associative TLB array with true LRU replacement within each set.
///
/// Invariant: no two valid entries match the same `(asid, vpn)` lookup, so a lookup has at most one answer.
#[derive(Debug, Clone)]
pub struct Tlb {
    geometry: TlbGeometry,
    /// Ways per set, as an index stride.
    ways: usize,
    /// `sets - 1`: the set of a VPN is `vpn & set_mask`.
    set_mask: u64,
    /// Per way: the raw VPN (meaningful only when the key is valid).
    tags: Box<[u64]>,
    /// Per way: [`KEY_INVALID`], [`KEY_GLOBAL`], or [`KEY_ASID`] ORed with the ASID.
    keys: Box<[u32]>,
    /// Per way: what a hit returns besides the VPN.
    payload: Box<[Payload]>,
    /// Per set: the order in which its ways are replaced.
    recency: Recency,
    /// Whether a global entry may be cached (one was filled since the last [`Tlb::invalidate_all`]); while not, a
    /// lookup compares keys with its own ASID's only.
    globals: bool,
}

impl Tlb {
    /// An empty TLB of the given geometry.
    pub fn new(g: TlbGeometry) -> Result<Self, TlbConfigError> {
        Self::named(g, "tlb")
    }

    /// An empty TLB; `name` labels configuration errors.
    pub(super) fn named(g: TlbGeometry, name: &'static str) -> Result<Self, TlbConfigError> {
        let sets = g.validate(name)?;
        let n = g.entries as usize;
        Ok(Self {
            geometry: g,
            ways: g.ways as usize,
            set_mask: u64::from(sets - 1),
            tags: vec![0; n].into_boxed_slice(),
            keys: vec![KEY_INVALID; n].into_boxed_slice(),
            payload: vec![Payload { pfn: Pfn::from_index(0), perms: Perms::empty(), asid: Asid(0) }; n]
                .into_boxed_slice(),
            recency: Recency::new(sets as usize, g.ways as usize),
            globals: false,
        })
    }

    /// The geometry this TLB was built with.
    pub const fn geometry(&self) -> TlbGeometry {
        self.geometry
    }

    /// `vpn`'s set.
    #[inline(always)]
    fn set_of(&self, vpn: Vpn) -> usize {
        #[allow(clippy::cast_possible_truncation, reason = "masked to the set count, which came from a u32")]
        let set = (vpn.raw() & self.set_mask) as usize;
        set
    }

    /// Index of the first way of `vpn`'s set.
    #[inline(always)]
    fn set_base(&self, vpn: Vpn) -> usize {
        self.set_of(vpn) * self.ways
    }

    /// Index of the way in the set at `base` holding `raw` under lookup key `want`, if any.
    ///
    /// The usual associativities get a loop of constant length, fully unrolled: with the way count known only at
    /// run time, the scan of a 12-way STLB set cost about 9 instructions per way instead of 4.
    #[inline(always)]
    fn find_at(&self, base: usize, raw: u64, want: u32) -> Option<usize> {
        let set = base..base + self.ways;
        let (tags, keys) = (&self.tags[set.clone()], &self.keys[set]);
        let i = match (self.ways, self.globals) {
            (4, false) => find_exact_local::<4>(tags, keys, raw, want),
            (8, false) => find_exact_local::<8>(tags, keys, raw, want),
            (12, false) => find_exact_local::<12>(tags, keys, raw, want),
            (16, false) => find_exact_local::<16>(tags, keys, raw, want),
            _ => find_in_set_unrolled(tags, keys, raw, want),
        };
        i.map(|i| base + i)
    }

    /// Index of the way matching `(asid, vpn)`, if any.
    #[inline(always)]
    fn find(&self, asid: Asid, vpn: Vpn) -> Option<usize> {
        self.find_at(self.set_base(vpn), vpn.raw(), asid_key(asid))
    }

    /// The entry in way `i` (valid or not).
    #[inline(always)]
    fn entry_at(&self, i: usize) -> TlbEntry {
        let Payload { pfn, perms, asid } = self.payload[i];
        TlbEntry { vpn: Vpn::new(self.tags[i]), pfn, perms, asid }
    }

    /// Empties way `i`.
    #[inline(always)]
    fn clear(&mut self, i: usize) {
        self.keys[i] = KEY_INVALID;
        self.recency.emptied(i / self.ways, i % self.ways);
    }

    /// The translation of `vpn` under `asid`: a hit if a valid entry has this VPN and either this ASID or the global
    /// mark. A hit makes the entry its set's most recently used.
    #[inline(always)]
    pub fn lookup(&mut self, asid: Asid, vpn: Vpn) -> Option<TlbEntry> {
        let set = self.set_of(vpn);
        let base = set * self.ways;
        let i = self.find_at(base, vpn.raw(), asid_key(asid))?;
        self.recency.used(set, i - base);
        let Payload { pfn, perms, asid } = self.payload[i];
        Some(TlbEntry { vpn, pfn, perms, asid })
    }

    /// The translation of `vpn` under `asid` without touching LRU state (for inspection and tests).
    pub fn peek(&self, asid: Asid, vpn: Vpn) -> Option<TlbEntry> {
        self.find(asid, vpn).map(|i| self.entry_at(i))
    }

    /// Caches `e` as its set's most recently used entry.
    ///
    /// An existing entry that a lookup could confuse with `e` (same VPN, and the same ASID or either one global) is
    /// replaced in place and `None` is returned; if there were several (a global entry arriving over per-ASID ones)
    /// the others are dropped. Otherwise `e` takes an empty way, or evicts the set's least recently used entry,
    /// which is returned.
    pub fn insert(&mut self, e: TlbEntry) -> Option<TlbEntry> {
        let set = self.set_of(e.vpn);
        let base = set * self.ways;
        let key = entry_key(&e);
        let raw = e.vpn.raw();
        let same = if key == KEY_GLOBAL {
            self.keep_first_with_vpn(base, raw)
        } else {
            // What a lookup of (e.asid, e.vpn) hits: its own old entry or a global one; at most one (invariant).
            let ways = base..base + self.ways;
            find_in_set_unrolled(&self.tags[ways.clone()], &self.keys[ways], raw, key).map(|i| base + i)
        };
        match same {
            Some(i) => {
                self.fill_way(set, i - base, &e, key);
                None
            }
            None => self.fill_lru(set, &e, key),
        }
    }

    /// [`Tlb::insert`] when a lookup of `(e.asid, e.vpn)` has just missed here, so a non-global `e` has nothing to
    /// replace: skips the search (the STLB-to-L1 refill).
    pub(crate) fn insert_after_miss(&mut self, e: TlbEntry) {
        if e.is_global() {
            self.insert(e);
        } else {
            debug_assert!(self.find(e.asid, e.vpn).is_none(), "insert_after_miss of a cached translation: {e:?}");
            self.fill_lru(self.set_of(e.vpn), &e, entry_key(&e));
        }
    }

    /// Puts `e` in the least recently used (or an empty) way of set `set`; returns the entry evicted.
    #[inline(always)]
    fn fill_lru(&mut self, set: usize, e: &TlbEntry, key: u32) -> Option<TlbEntry> {
        let w = self.recency.victim(set);
        let i = set * self.ways + w;
        let evicted = (self.keys[i] != KEY_INVALID).then(|| self.entry_at(i));
        self.fill_way(set, w, e, key);
        evicted
    }

    /// Writes `e` (with its precomputed key) into way `w` of set `set` as the most recently used.
    #[inline(always)]
    fn fill_way(&mut self, set: usize, w: usize, e: &TlbEntry, key: u32) {
        let i = set * self.ways + w;
        self.tags[i] = e.vpn.raw();
        self.keys[i] = key;
        self.payload[i] = Payload { pfn: e.pfn, perms: e.perms, asid: e.asid };
        self.recency.used(set, w);
        self.globals |= key == KEY_GLOBAL;
    }

    /// For a global entry arriving: every valid entry with VPN `raw` in the set at `base` conflicts with it. Keeps the
    /// first (to be replaced in place), drops the others, and returns the first.
    fn keep_first_with_vpn(&mut self, base: usize, raw: u64) -> Option<usize> {
        let mut first = None;
        for i in base..base + self.ways {
            if self.keys[i] != KEY_INVALID && self.tags[i] == raw {
                if first.is_none() {
                    first = Some(i);
                } else {
                    self.clear(i);
                }
            }
        }
        first
    }

    /// Applies `f` to the entry matching `(asid, vpn)` without changing LRU state, e.g. to set [`Perms::DIRTY`] after
    /// the walker set a leaf's D bit. Returns whether an entry was found.
    ///
    /// `f` may change `pfn` and `perms` other than [`Perms::GLOBAL`]; the lookup key (`vpn`, `asid`, the global mark)
    /// is kept as it was (debug builds assert that `f` left it alone).
    pub fn update(&mut self, asid: Asid, vpn: Vpn, f: impl FnOnce(&mut TlbEntry)) -> bool {
        let Some(i) = self.find(asid, vpn) else { return false };
        let old = self.entry_at(i);
        let mut e = old;
        f(&mut e);
        debug_assert!(
            e.vpn == old.vpn && e.asid == old.asid && e.is_global() == old.is_global(),
            "TlbEntry::update must not change the lookup key: {old:?} -> {e:?}"
        );
        e.perms.set(Perms::GLOBAL, old.is_global());
        self.payload[i].pfn = e.pfn;
        self.payload[i].perms = e.perms;
        true
    }

    /// INVLPG: drops the entry for `vpn` under `asid` and any global entry for `vpn` (SDM 3A §4.10.4.1). Returns
    /// the number of entries dropped.
    pub fn invalidate_page(&mut self, asid: Asid, vpn: Vpn) -> usize {
        // At most one entry matches (struct invariant), and a global one matches under every ASID.
        match self.find(asid, vpn) {
            Some(i) => {
                self.clear(i);
                1
            }
            None => 0,
        }
    }

    /// Empties every valid way whose key satisfies `drop`; returns how many.
    fn clear_where(&mut self, drop: impl Fn(u32) -> bool) -> usize {
        let mut n = 0;
        for i in 0..self.keys.len() {
            let k = self.keys[i];
            if k != KEY_INVALID && drop(k) {
                self.clear(i);
                n += 1;
            }
        }
        n
    }

    /// INVPCID single-context: drops every non-global entry of `asid` (SDM 3A §4.10.4.1). Returns the number of
    /// entries dropped.
    pub fn invalidate_asid(&mut self, asid: Asid) -> usize {
        let want = asid_key(asid);
        self.clear_where(|k| k == want)
    }

    /// MOV to CR3 without PCIDs, or INVPCID all-context except global: drops every non-global entry. Returns the
    /// number of entries dropped.
    pub fn invalidate_all_non_global(&mut self) -> usize {
        self.clear_where(|k| k != KEY_GLOBAL)
    }

    /// Toggling CR4.PGE, or INVPCID all-context including globals: drops every entry.
    pub fn invalidate_all(&mut self) {
        self.keys.fill(KEY_INVALID);
        self.recency.reset();
        self.globals = false;
    }

    /// Number of valid entries.
    pub fn occupancy(&self) -> usize {
        self.keys.iter().filter(|&&k| k != KEY_INVALID).count()
    }

    /// Valid entries in set order, then way order (deterministic; for inspection and verification).
    pub fn entries(&self) -> impl Iterator<Item = TlbEntry> + '_ {
        (0..self.keys.len()).filter(|&i| self.keys[i] != KEY_INVALID).map(|i| self.entry_at(i))
    }
}

/// Geometry of a core's TLBs and paging-structure caches: `[tlb]` in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlbConfig {
    /// L1 data TLB (loads and stores). Default [`DEFAULT_L1D`]: 64 entries, 4-way.
    pub l1d: TlbGeometry,
    /// L1 instruction TLB (fetches). Default [`DEFAULT_L1I`]: 128 entries, 8-way.
    pub l1i: TlbGeometry,
    /// Unified second-level TLB. Default [`DEFAULT_STLB`]: 1536 entries, 12-way.
    pub stlb: TlbGeometry,
    /// Paging-structure caches (`[tlb.psc]`).
    pub psc: PscConfig,
}

impl Default for TlbConfig {
    fn default() -> Self {
        Self { l1d: DEFAULT_L1D, l1i: DEFAULT_L1I, stlb: DEFAULT_STLB, psc: PscConfig::default() }
    }
}

/// Result of a [`TlbHierarchy::lookup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbLookup {
    /// Hit in the L1 TLB for the access type.
    L1(TlbEntry),
    /// L1 miss, STLB hit; the entry has been copied into the L1.
    Stlb(TlbEntry),
    /// Missed everywhere: the page walker must run (and then [`TlbHierarchy::fill`]).
    Miss,
}

impl TlbLookup {
    /// The translation, if any level hit.
    pub const fn entry(self) -> Option<TlbEntry> {
        match self {
            TlbLookup::L1(e) | TlbLookup::Stlb(e) => Some(e),
            TlbLookup::Miss => None,
        }
    }
}

/// Hit and miss counts of one TLB array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlbLevelStats {
    /// Lookups that found a translation.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

/// Counters of a [`TlbHierarchy`]: `tlb` in the stats JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlbStats {
    /// L1 data TLB, looked up by every load and store.
    pub l1d: TlbLevelStats,
    /// L1 instruction TLB, looked up by every fetch.
    pub l1i: TlbLevelStats,
    /// STLB, looked up only after an L1 miss.
    pub stlb: TlbLevelStats,
}

/// One core's TLBs: L1 DTLB and L1 ITLB in front of a unified STLB (SPEC §14).
///
/// Simplifies: non-inclusive (an STLB eviction leaves the L1 copy), and the STLB is looked up only after an L1 miss.
#[derive(Debug, Clone)]
pub struct TlbHierarchy {
    l1d: Tlb,
    l1i: Tlb,
    stlb: Tlb,
    stats: TlbStats,
}

impl TlbHierarchy {
    /// Empty TLBs of the configured geometries (`cfg.psc` is for [`super::psc::Psc`]).
    pub fn new(cfg: &TlbConfig) -> Result<Self, TlbConfigError> {
        Ok(Self {
            l1d: Tlb::named(cfg.l1d, "tlb.l1d")?,
            l1i: Tlb::named(cfg.l1i, "tlb.l1i")?,
            stlb: Tlb::named(cfg.stlb, "tlb.stlb")?,
            stats: TlbStats::default(),
        })
    }

    /// Looks `vpn` up under `asid` in the L1 ITLB (`fetch`) or L1 DTLB, then in the STLB; an STLB hit refills the
    /// L1. Counts a hit or miss at each level looked at.
    #[inline(always)]
    pub fn lookup(&mut self, asid: Asid, vpn: Vpn, fetch: bool) -> TlbLookup {
        let (l1, l1_stats) =
            if fetch { (&mut self.l1i, &mut self.stats.l1i) } else { (&mut self.l1d, &mut self.stats.l1d) };
        if let Some(e) = l1.lookup(asid, vpn) {
            l1_stats.hits += 1;
            return TlbLookup::L1(e);
        }
        l1_stats.misses += 1;
        self.lookup_stlb(asid, vpn, fetch)
    }

    /// The L1-miss path, kept out of line so the L1-hit path stays small.
    #[inline(never)]
    fn lookup_stlb(&mut self, asid: Asid, vpn: Vpn, fetch: bool) -> TlbLookup {
        match self.stlb.lookup(asid, vpn) {
            Some(e) => {
                self.stats.stlb.hits += 1;
                self.l1_mut(fetch).insert_after_miss(e);
                TlbLookup::Stlb(e)
            }
            None => {
                self.stats.stlb.misses += 1;
                TlbLookup::Miss
            }
        }
    }

    fn l1_mut(&mut self, fetch: bool) -> &mut Tlb {
        if fetch {
            &mut self.l1i
        } else {
            &mut self.l1d
        }
    }

    /// Caches a translation the walker just completed, in the STLB and in the L1 for the access type.
    pub fn fill(&mut self, e: TlbEntry, fetch: bool) {
        self.stlb.insert(e);
        self.l1_mut(fetch).insert(e);
    }

    /// [`TlbHierarchy::fill`] right after a lookup of the same translation missed both levels (and nothing was
    /// inserted since): no search for an entry to replace.
    pub fn fill_after_miss(&mut self, e: TlbEntry, fetch: bool) {
        self.stlb.insert_after_miss(e);
        self.l1_mut(fetch).insert_after_miss(e);
    }

    /// Applies `f` to every cached copy of the `(asid, vpn)` translation (see [`Tlb::update`]); no LRU change.
    /// Returns whether any copy was found.
    pub fn update(&mut self, asid: Asid, vpn: Vpn, mut f: impl FnMut(&mut TlbEntry)) -> bool {
        let d = self.l1d.update(asid, vpn, &mut f);
        let i = self.l1i.update(asid, vpn, &mut f);
        let s = self.stlb.update(asid, vpn, &mut f);
        d | i | s
    }

    /// INVLPG on all three arrays ([`Tlb::invalidate_page`]); entries dropped.
    pub fn invalidate_page(&mut self, asid: Asid, vpn: Vpn) -> usize {
        self.l1d.invalidate_page(asid, vpn) + self.l1i.invalidate_page(asid, vpn) + self.stlb.invalidate_page(asid, vpn)
    }

    /// INVPCID single-context on all three arrays ([`Tlb::invalidate_asid`]).
    pub fn invalidate_asid(&mut self, asid: Asid) -> usize {
        self.l1d.invalidate_asid(asid) + self.l1i.invalidate_asid(asid) + self.stlb.invalidate_asid(asid)
    }

    /// CR3 write without PCID on all three arrays ([`Tlb::invalidate_all_non_global`]).
    pub fn invalidate_all_non_global(&mut self) -> usize {
        self.l1d.invalidate_all_non_global()
            + self.l1i.invalidate_all_non_global()
            + self.stlb.invalidate_all_non_global()
    }

    /// CR4.PGE toggle on all three arrays ([`Tlb::invalidate_all`]).
    pub fn invalidate_all(&mut self) {
        self.l1d.invalidate_all();
        self.l1i.invalidate_all();
        self.stlb.invalidate_all();
    }

    /// Hit and miss counters.
    pub const fn stats(&self) -> &TlbStats {
        &self.stats
    }

    /// The L1 data TLB (read-only, for inspection).
    pub const fn l1d(&self) -> &Tlb {
        &self.l1d
    }

    /// The L1 instruction TLB (read-only, for inspection).
    pub const fn l1i(&self) -> &Tlb {
        &self.l1i
    }

    /// The STLB (read-only, for inspection).
    pub const fn stlb(&self) -> &Tlb {
        &self.stlb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Asid = Asid(1);
    const B: Asid = Asid(2);

    fn entry(asid: Asid, vpn: u64, pfn: u64) -> TlbEntry {
        TlbEntry { vpn: Vpn::new(vpn), pfn: Pfn::try_new(pfn).unwrap(), perms: Perms::READ, asid }
    }

    fn global(vpn: u64, pfn: u64) -> TlbEntry {
        TlbEntry { perms: Perms::READ | Perms::GLOBAL, ..entry(Asid(0), vpn, pfn) }
    }

    /// 16 entries, 4-way: 4 sets, so VPNs 0, 4, 8, … share set 0.
    fn small() -> Tlb {
        Tlb::new(TlbGeometry { entries: 16, ways: 4 }).unwrap()
    }

    #[test]
    fn geometry_validation_names_the_field() {
        let g = |entries, ways| TlbGeometry { entries, ways };
        assert_eq!(DEFAULT_L1D.validate("tlb.l1d"), Ok(16));
        assert_eq!(DEFAULT_L1I.validate("tlb.l1i"), Ok(16));
        assert_eq!(DEFAULT_STLB.validate("tlb.stlb"), Ok(128));
        assert_eq!(g(64, 64).validate("tlb"), Ok(1));
        assert_eq!(g(64, 0).validate("tlb"), Err(TlbConfigError::ZeroWays { tlb: "tlb" }));
        assert_eq!(g(0, 4).validate("tlb"), Err(TlbConfigError::ZeroEntries { tlb: "tlb" }));
        assert_eq!(
            g(66, 4).validate("tlb"),
            Err(TlbConfigError::EntriesNotMultipleOfWays { tlb: "tlb", entries: 66, ways: 4 })
        );
        assert_eq!(
            g(1536, 8).validate("tlb"),
            Err(TlbConfigError::SetsNotPowerOfTwo { tlb: "tlb", entries: 1536, ways: 8, sets: 192 })
        );
        assert!(matches!(g(u32::MAX, 1).validate("tlb"), Err(TlbConfigError::TooManyEntries { .. })));

        let bad = TlbConfig { stlb: g(1536, 8), ..TlbConfig::default() };
        let err = TlbHierarchy::new(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tlb.stlb.entries = 1536 with tlb.stlb.ways = 8 gives 192 sets, which is not a power of two \
             (the set index is the low bits of the page number)"
        );
        let err = TlbHierarchy::new(&TlbConfig { l1i: g(64, 0), ..TlbConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "tlb.l1i.ways = 0: a TLB needs at least one way");
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let cfg: TlbConfig = toml::from_str("[l1d]\nentries = 32\nways = 2\n").unwrap();
        assert_eq!(cfg.l1d, TlbGeometry { entries: 32, ways: 2 });
        assert_eq!(cfg.stlb, DEFAULT_STLB);
        assert_eq!(cfg.psc, PscConfig::default());
        assert!(toml::from_str::<TlbConfig>("[l1d]\nentries = 32\nways = 2\nsets = 16\n").is_err());
        assert!(toml::from_str::<TlbConfig>("l2 = 5\n").is_err());
    }

    #[test]
    fn lru_evicts_the_least_recently_used_way_of_the_set() {
        let mut t = small();
        for (i, vpn) in [0, 4, 8, 12].into_iter().enumerate() {
            assert_eq!(t.insert(entry(A, vpn, i as u64)), None);
        }
        // A different set is unaffected by set 0 filling up.
        assert_eq!(t.insert(entry(A, 1, 99)), None);
        assert_eq!(t.insert(entry(A, 16, 4)), Some(entry(A, 0, 0)));
        assert_eq!(t.lookup(A, Vpn::new(0)), None);
        assert_eq!(t.occupancy(), 5);
    }

    #[test]
    fn a_hit_refreshes_lru() {
        let mut t = small();
        for (i, vpn) in [0, 4, 8, 12].into_iter().enumerate() {
            t.insert(entry(A, vpn, i as u64));
        }
        assert_eq!(t.lookup(A, Vpn::new(0)), Some(entry(A, 0, 0)));
        assert_eq!(t.insert(entry(A, 16, 4)), Some(entry(A, 4, 1)));
        assert!(t.lookup(A, Vpn::new(0)).is_some());
        assert!(t.lookup(A, Vpn::new(4)).is_none());
        // peek does not refresh: 8 is now LRU and goes next even after a peek.
        assert!(t.peek(A, Vpn::new(8)).is_some());
        assert_eq!(t.insert(entry(A, 20, 5)), Some(entry(A, 8, 2)));
    }

    #[test]
    fn insert_replaces_the_same_translation_in_place() {
        let mut t = small();
        t.insert(entry(A, 0, 1));
        t.insert(entry(A, 4, 2));
        assert_eq!(t.insert(entry(A, 0, 7)), None);
        assert_eq!(t.occupancy(), 2);
        assert_eq!(t.lookup(A, Vpn::new(0)), Some(entry(A, 0, 7)));
        // A global entry replaces the per-ASID copies of its page (they could otherwise both match).
        t.insert(entry(B, 0, 8));
        assert_eq!(t.occupancy(), 3);
        assert_eq!(t.insert(global(0, 9)), None);
        assert_eq!(t.occupancy(), 2);
        assert_eq!(t.lookup(A, Vpn::new(0)), Some(global(0, 9)));
        assert_eq!(t.lookup(B, Vpn::new(0)), Some(global(0, 9)));
    }

    #[test]
    fn asids_tag_entries() {
        let mut t = small();
        t.insert(entry(A, 3, 1));
        t.insert(entry(B, 3, 2));
        assert_eq!(t.lookup(A, Vpn::new(3)), Some(entry(A, 3, 1)));
        assert_eq!(t.lookup(B, Vpn::new(3)), Some(entry(B, 3, 2)));
        assert_eq!(t.lookup(Asid(3), Vpn::new(3)), None);
        t.invalidate_asid(A);
        assert_eq!(t.lookup(A, Vpn::new(3)), None);
        assert_eq!(t.lookup(B, Vpn::new(3)), Some(entry(B, 3, 2)));
        t.invalidate_page(B, Vpn::new(3));
        assert_eq!(t.occupancy(), 0);
    }

    #[test]
    fn global_entries_match_any_asid_and_survive_context_flushes() {
        let mut t = small();
        t.insert(global(5, 1));
        t.insert(entry(A, 6, 2));
        assert_eq!(t.lookup(B, Vpn::new(5)), Some(global(5, 1)));
        t.invalidate_asid(Asid(0));
        t.invalidate_asid(A);
        t.invalidate_all_non_global();
        assert_eq!(t.lookup(A, Vpn::new(5)), Some(global(5, 1)));
        assert_eq!(t.lookup(A, Vpn::new(6)), None);
        // INVLPG under any ASID removes the global entry for that page (SDM 3A §4.10.4.1).
        t.invalidate_page(B, Vpn::new(5));
        assert_eq!(t.lookup(A, Vpn::new(5)), None);
        t.insert(global(5, 1));
        t.invalidate_all();
        assert_eq!(t.occupancy(), 0);
    }

    #[test]
    fn update_changes_the_payload_but_not_lru() {
        let mut t = small();
        for (i, vpn) in [0, 4, 8, 12].into_iter().enumerate() {
            t.insert(entry(A, vpn, i as u64));
        }
        assert!(t.update(A, Vpn::new(0), |e| e.perms.insert(Perms::DIRTY)));
        assert!(!t.update(B, Vpn::new(0), |e| e.perms.insert(Perms::DIRTY)));
        assert_eq!(t.peek(A, Vpn::new(0)).unwrap().perms, Perms::READ | Perms::DIRTY);
        // 0 was not refreshed by update, so it is still the LRU way.
        assert_eq!(t.insert(entry(A, 16, 4)).map(|e| e.vpn), Some(Vpn::new(0)));
    }

    #[test]
    fn fully_associative_uses_every_way() {
        let mut t = Tlb::new(TlbGeometry { entries: 64, ways: 64 }).unwrap();
        for vpn in 0..64 {
            assert_eq!(t.insert(entry(A, vpn * 1000, vpn)), None);
        }
        assert_eq!(t.occupancy(), 64);
        assert_eq!(t.insert(entry(A, 7, 7)), Some(entry(A, 0, 0)));
        assert_eq!(t.entries().count(), 64);
    }

    #[test]
    fn hierarchy_stlb_hit_refills_the_l1() {
        let mut h = TlbHierarchy::new(&TlbConfig::default()).unwrap();
        let e = entry(A, 0x1234, 5);
        assert_eq!(h.lookup(A, e.vpn, false), TlbLookup::Miss);
        h.fill(e, false);
        assert_eq!(h.lookup(A, e.vpn, false), TlbLookup::L1(e));
        // Push it out of the 4-way L1 DTLB set with 4 conflicting pages (16 sets); the 12-way STLB keeps it.
        for k in 1..=4 {
            h.fill(entry(A, 0x1234 + 16 * 128 * k, k), false);
        }
        assert!(h.l1d().peek(A, e.vpn).is_none());
        assert_eq!(h.lookup(A, e.vpn, false), TlbLookup::Stlb(e));
        assert_eq!(h.l1d().peek(A, e.vpn), Some(e));
        assert_eq!(h.lookup(A, e.vpn, false), TlbLookup::L1(e));
        let s = h.stats();
        assert_eq!(s.l1d, TlbLevelStats { hits: 2, misses: 2 });
        assert_eq!(s.stlb, TlbLevelStats { hits: 1, misses: 1 });
        assert_eq!(s.l1i, TlbLevelStats::default());
    }

    #[test]
    fn hierarchy_fetches_use_the_itlb() {
        let mut h = TlbHierarchy::new(&TlbConfig::default()).unwrap();
        let code = TlbEntry { perms: Perms::READ | Perms::EXEC, ..entry(A, 0x400, 1) };
        h.fill(code, true);
        assert_eq!(h.l1i().occupancy(), 1);
        assert_eq!(h.l1d().occupancy(), 0);
        assert_eq!(h.lookup(A, code.vpn, true), TlbLookup::L1(code));
        // A data access to the same page misses the DTLB and is served by the unified STLB.
        assert_eq!(h.lookup(A, code.vpn, false), TlbLookup::Stlb(code));
        assert_eq!(h.l1d().occupancy(), 1);
        assert_eq!(h.stats().l1i, TlbLevelStats { hits: 1, misses: 0 });

        assert!(h.update(A, code.vpn, |e| e.perms.insert(Perms::DIRTY)));
        for t in [h.l1d(), h.l1i(), h.stlb()] {
            assert!(t.peek(A, code.vpn).unwrap().perms.contains(Perms::DIRTY));
        }
        h.invalidate_page(A, code.vpn);
        assert_eq!(h.lookup(A, code.vpn, true), TlbLookup::Miss);
        assert_eq!(h.l1d().occupancy() + h.l1i().occupancy() + h.stlb().occupancy(), 0);
    }

    #[test]
    fn hierarchy_invalidations_reach_every_array() {
        let mut h = TlbHierarchy::new(&TlbConfig::default()).unwrap();
        h.fill(entry(A, 1, 1), false);
        h.fill(entry(B, 2, 2), true);
        h.fill(global(3, 3), false);
        h.invalidate_asid(A);
        assert_eq!(h.lookup(A, Vpn::new(1), false), TlbLookup::Miss);
        assert!(h.lookup(B, Vpn::new(2), true).entry().is_some());
        h.invalidate_all_non_global();
        assert_eq!(h.lookup(B, Vpn::new(2), true), TlbLookup::Miss);
        assert!(h.lookup(B, Vpn::new(3), false).entry().is_some());
        h.invalidate_all();
        assert_eq!(h.lookup(B, Vpn::new(3), false), TlbLookup::Miss);
    }
}
