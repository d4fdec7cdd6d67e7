//! Paging-structure caches: upper-level page-table entries cached by the MMU so that a TLB miss can skip levels of
//! the walk. SDM Vol 3A §4.10.3; SPEC §14.
//!
//! x86 has a PML4E cache, a PDPTE cache and a PDE cache. Each maps the VA bits that select an entry (bits 47:39,
//! 47:30 and 47:21) to the frame of the next table, tagged with the PCID. A walk starts from the deepest hit: a
//! PDE-cache hit leaves 1 memory reference (the PTE), a PDPTE hit 2, a PML4E hit 3, a full miss 4 (SPEC §14).
//!
//! The model is generic over the number of levels: the cache for entries at level `L` (2 = PDE, 3 = PDPTE,
//! 4 = PML4E) is keyed by `va >> (12 + 9·(L−1))`. A mode with one level (the linear teaching mode) has no
//! paging-structure cache; levels above 4 (LA57's PML5E) are not cached.
//!
//! Simplifies: each cache is fully associative with true LRU (Intel documents neither sizes nor policy **[U]**);
//! entries are never global (SDM 3A §4.10.3.1 tags them with the PCID only); leaf entries are not cached here (a
//! 2 MiB leaf goes to the TLB).

use super::tlb::{TlbConfigError, MAX_TLB_ENTRIES};
use crate::addr::{Asid, Pfn, VirtAddr, Vpn, PAGE_SHIFT};
use crate::arch::Level;
use serde::{Deserialize, Serialize};

/// Index bits per level: 512-entry tables (SDM 3A §4.5; also RISC-V Sv39/48/57 and Arm 4 KiB granule).
const INDEX_BITS_PER_LEVEL: u32 = 9;

/// Default PML4E-cache entries **[U]**: Intel does not publish sizes; a small value as in SPEC §14's model.
pub const DEFAULT_PML4E_ENTRIES: u32 = 4;
/// Default PDPTE-cache entries **[U]**: Intel does not publish sizes; a small value as in SPEC §14's model.
pub const DEFAULT_PDPTE_ENTRIES: u32 = 4;
/// Default PDE-cache entries **[U]**: Intel does not publish sizes; a small value as in SPEC §14's model.
pub const DEFAULT_PDE_ENTRIES: u32 = 32;

/// Paging-structure cache sizes: `[tlb.psc]` in a scenario file. A size of 0 disables that level's cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PscConfig {
    /// Whether the MMU has paging-structure caches at all. Default `true`.
    pub enabled: bool,
    /// PML4E-cache entries (level-4 entries, keyed by VA bits 47:39). Default [`DEFAULT_PML4E_ENTRIES`].
    pub pml4e: u32,
    /// PDPTE-cache entries (level-3 entries, keyed by VA bits 47:30). Default [`DEFAULT_PDPTE_ENTRIES`].
    pub pdpte: u32,
    /// PDE-cache entries (level-2 entries, keyed by VA bits 47:21). Default [`DEFAULT_PDE_ENTRIES`].
    pub pde: u32,
}

impl Default for PscConfig {
    fn default() -> Self {
        Self { enabled: true, pml4e: DEFAULT_PML4E_ENTRIES, pdpte: DEFAULT_PDPTE_ENTRIES, pde: DEFAULT_PDE_ENTRIES }
    }
}

/// Lowest entry level with a paging-structure cache (level 1 entries are leaves: they go to the TLB).
const LOWEST_CACHED_LEVEL: u8 = 2;

/// Cached levels: PDE, PDPTE and PML4E entries (levels 2, 3 and 4).
const CACHED_LEVELS: usize = 3;

/// The paging-structure caches of one core.
#[derive(Debug, Clone)]
pub struct Psc {
    /// `caches[i]` holds entries of level `i + 2`; `None` where that level is not cached.
    caches: [Option<EntryCache>; CACHED_LEVELS],
}

impl Psc {
    /// Empty caches of the configured sizes (none at all if `cfg.enabled` is false).
    pub fn new(cfg: &PscConfig) -> Result<Self, TlbConfigError> {
        let mut caches = [None, None, None];
        if cfg.enabled {
            let sizes = [(cfg.pde, "tlb.psc.pde"), (cfg.pdpte, "tlb.psc.pdpte"), (cfg.pml4e, "tlb.psc.pml4e")];
            for (cache, (entries, field)) in caches.iter_mut().zip(sizes) {
                if entries > MAX_TLB_ENTRIES {
                    return Err(TlbConfigError::TooManyPscEntries { field, entries, max: MAX_TLB_ENTRIES });
                }
                *cache = (entries != 0).then(|| EntryCache::new(entries as usize));
            }
        }
        Ok(Self { caches })
    }

    /// The cache for entries at `entry_level`, if that level is cached.
    #[inline]
    fn cache_mut(&mut self, entry_level: u8) -> Option<&mut EntryCache> {
        let i = entry_level.checked_sub(LOWEST_CACHED_LEVEL)?;
        self.caches.get_mut(usize::from(i))?.as_mut()
    }

    /// The deepest cached table on the walk of `va` under `asid` in a mode with `levels` levels: `(level of the
    /// table, its frame)`. The level is also the number of memory references left, e.g. a PDE-cache hit returns
    /// `(Level(1), pfn of the PT)`. `None` means a full walk from the root. A hit refreshes only the cache that hit.
    ///
    /// Always inlined: with a second walker instantiation (the cached walk, issue 16) the compiler stopped
    /// inlining it into the walk, which cost the walk-heavy replay 1 % more instructions (callgrind).
    #[inline(always)]
    pub fn lookup(&mut self, asid: Asid, va: VirtAddr, levels: u8) -> Option<(Level, Pfn)> {
        for entry_level in LOWEST_CACHED_LEVEL..=levels {
            if let Some(cache) = self.cache_mut(entry_level) {
                if let Some(pfn) = cache.lookup(key(asid, va, entry_level)) {
                    return Some((Level(entry_level - 1), pfn));
                }
            }
        }
        None
    }

    /// Records that the walk of `va` under `asid` found the table at `level_of_table` in `table_pfn`: caches the
    /// entry one level up that points to it, e.g. `Level(1)` fills the PDE cache. The root table comes from CR3 and
    /// is not cached, nor are levels without a cache; such calls do nothing.
    pub fn insert(&mut self, asid: Asid, va: VirtAddr, level_of_table: Level, table_pfn: Pfn) {
        let Some(entry_level) = level_of_table.0.checked_add(1) else { return };
        if let Some(cache) = self.cache_mut(entry_level) {
            cache.insert(key(asid, va, entry_level), table_pfn);
        }
    }

    /// [`Psc::insert`] for a table the walk entered below the level where the lookup hit: that cache has just
    /// missed for this region, so no search for an entry to replace is needed.
    #[inline]
    pub fn insert_after_miss(&mut self, asid: Asid, va: VirtAddr, level_of_table: Level, table_pfn: Pfn) {
        let Some(entry_level) = level_of_table.0.checked_add(1) else { return };
        if let Some(cache) = self.cache_mut(entry_level) {
            cache.insert_new(key(asid, va, entry_level), table_pfn);
        }
    }

    /// INVLPG (and INVPCID individual-address): "INVLPG also invalidates all entries in all paging-structure caches
    /// associated with the current PCID, regardless of the linear addresses to which they correspond" (SDM 3A
    /// §4.10.4.1). So every entry of `asid` goes, not only those covering `va`; Linux relies on this when it frees
    /// page tables and flushes only the unmapped range (`flush_tlb_mm_range` with `freed_tables`).
    pub fn invalidate_page(&mut self, asid: Asid, va: VirtAddr) {
        let _ = va; // SDM: the address does not narrow the paging-structure-cache invalidation.
        self.invalidate_asid(asid);
    }

    /// INVPCID single-context, or a CR3 write to `asid` without NOFLUSH: drops every entry of `asid`.
    pub fn invalidate_asid(&mut self, asid: Asid) {
        for cache in self.caches.iter_mut().flatten() {
            cache.invalidate_asid(asid);
        }
    }

    /// CR3 write without PCIDs, INVPCID all-context, CR4.PGE toggle: drops every entry (there are no global ones).
    pub fn invalidate_all(&mut self) {
        for cache in self.caches.iter_mut().flatten() {
            cache.invalidate_all();
        }
    }

    /// Valid entries over all levels.
    pub fn occupancy(&self) -> usize {
        self.caches.iter().flatten().map(|c| c.len).sum()
    }
}

/// Bits of a cache key below the region number: the ASID.
const ASID_BITS: u32 = 16;

/// The cache key of the entry at `entry_level` (2 to 4) covering `va` under `asid`: the region number (at most
/// 64 − 21 = 43 bits, see [`region`]) above the 16-bit ASID, so distinct (ASID, region) pairs get distinct keys.
#[inline]
fn key(asid: Asid, va: VirtAddr, entry_level: u8) -> u64 {
    (region(va, entry_level).raw() << ASID_BITS) | u64::from(asid.0)
}

/// "No slot": an empty place in the hash index, or the end of the LRU list.
const NONE: u32 = u32::MAX;

/// One paging-structure cache: exactly LRU over a fixed number of entries, like a fully associative [`Tlb`]
/// (`super::tlb`), but found in constant time: an open-addressed hash index (linear probing, at most half full,
/// backward-shift deletion) from key to slot, and the slots on a doubly linked recency list. A lookup hashes once
/// and usually reads one index place; a fill takes a free slot or the list's tail. Which slot an entry occupies is
/// not observable, only which entries are cached.
#[derive(Debug, Clone)]
struct EntryCache {
    /// Per slot: the entry's [`key`].
    keys: Box<[u64]>,
    /// Per slot: the frame of the table the entry points to.
    pfns: Box<[Pfn]>,
    /// Per slot: the next more recently used slot, or [`NONE`].
    newer: Box<[u32]>,
    /// Per slot: the next less recently used slot, or [`NONE`].
    older: Box<[u32]>,
    /// Most recently used slot, or [`NONE`].
    head: u32,
    /// Least recently used slot (the next victim when the cache is full), or [`NONE`].
    tail: u32,
    /// Slots in use.
    len: usize,
    /// Slots not in use.
    free: Vec<u32>,
    /// Hash index: a slot number per place, [`NONE`] where empty; its length is a power of two ≥ 2 × capacity.
    index: Box<[u32]>,
    /// `64 − log2(index.len())`: the hash keeps the top bits of the product.
    shift: u32,
}

impl EntryCache {
    /// An empty cache of `capacity` entries (1 to [`MAX_TLB_ENTRIES`]).
    fn new(capacity: usize) -> Self {
        let places = (2 * capacity).next_power_of_two().max(2);
        #[allow(clippy::cast_possible_truncation, reason = "capacity ≤ MAX_TLB_ENTRIES = 2^20")]
        let free = (0..capacity as u32).rev().collect();
        Self {
            keys: vec![0; capacity].into_boxed_slice(),
            pfns: vec![Pfn::from_index(0); capacity].into_boxed_slice(),
            newer: vec![NONE; capacity].into_boxed_slice(),
            older: vec![NONE; capacity].into_boxed_slice(),
            head: NONE,
            tail: NONE,
            len: 0,
            free,
            index: vec![NONE; places].into_boxed_slice(),
            shift: 64 - places.trailing_zeros(),
        }
    }

    /// The index place where the probe for `key` starts (Fibonacci hashing).
    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        #[allow(clippy::cast_possible_truncation, reason = "shifted down to log2(index.len()) ≤ 22 bits")]
        let h = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        h
    }

    /// The index place holding `key`'s slot, if cached.
    #[inline(always)]
    fn find(&self, key: u64) -> Option<usize> {
        let mask = self.index.len() - 1;
        let mut place = self.home(key);
        loop {
            let s = self.index[place];
            if s == NONE {
                return None;
            }
            if self.keys[s as usize] == key {
                return Some(place);
            }
            place = (place + 1) & mask;
        }
    }

    /// The frame cached under `key`, made the most recently used; `None` on a miss. Always inlined, like
    /// [`Psc::lookup`] (issue 16: a second walker instantiation moved the compiler's choice).
    #[inline(always)]
    fn lookup(&mut self, key: u64) -> Option<Pfn> {
        let s = self.index[self.find(key)?];
        self.make_newest(s);
        Some(self.pfns[s as usize])
    }

    /// Caches `key → pfn` as the most recently used entry, replacing the entry of the same key in place if any.
    fn insert(&mut self, key: u64, pfn: Pfn) {
        match self.find(key) {
            Some(place) => {
                let s = self.index[place];
                self.pfns[s as usize] = pfn;
                self.make_newest(s);
            }
            None => self.insert_new(key, pfn),
        }
    }

    /// [`EntryCache::insert`] of a key known not to be cached: takes a free slot, or evicts the least recently used.
    fn insert_new(&mut self, key: u64, pfn: Pfn) {
        debug_assert!(self.find(key).is_none(), "insert_new of a cached key {key:#x}");
        let s = match self.free.pop() {
            Some(s) => {
                self.len += 1;
                s
            }
            None => {
                let s = self.tail;
                self.unindex(self.keys[s as usize]);
                self.unlink(s);
                s
            }
        };
        self.keys[s as usize] = key;
        self.pfns[s as usize] = pfn;
        self.push_newest(s);
        let mask = self.index.len() - 1;
        let mut place = self.home(key);
        while self.index[place] != NONE {
            place = (place + 1) & mask;
        }
        self.index[place] = s;
    }

    /// Removes `key` (cached) from the hash index, shifting later entries of its probe run back into the hole.
    fn unindex(&mut self, key: u64) {
        let Some(mut hole) = self.find(key) else { return };
        let mask = self.index.len() - 1;
        let mut place = hole;
        loop {
            place = (place + 1) & mask;
            let s = self.index[place];
            if s == NONE {
                break;
            }
            // The entry at `place` may move into the hole unless its home lies cyclically in (hole, place].
            let home = self.home(self.keys[s as usize]);
            if (place.wrapping_sub(home) & mask) >= (place.wrapping_sub(hole) & mask) {
                self.index[hole] = s;
                hole = place;
            }
        }
        self.index[hole] = NONE;
    }

    /// Makes slot `s` (in use) the most recently used.
    #[inline(always)]
    fn make_newest(&mut self, s: u32) {
        if self.head != s {
            self.unlink(s);
            self.push_newest(s);
        }
    }

    /// Puts slot `s` (on no list) at the head of the recency list.
    #[inline(always)]
    fn push_newest(&mut self, s: u32) {
        self.newer[s as usize] = NONE;
        self.older[s as usize] = self.head;
        if self.head == NONE {
            self.tail = s;
        } else {
            self.newer[self.head as usize] = s;
        }
        self.head = s;
    }

    /// Takes slot `s` off the recency list.
    #[inline(always)]
    fn unlink(&mut self, s: u32) {
        let (n, o) = (self.newer[s as usize], self.older[s as usize]);
        if n == NONE {
            self.head = o;
        } else {
            self.older[n as usize] = o;
        }
        if o == NONE {
            self.tail = n;
        } else {
            self.newer[o as usize] = n;
        }
    }

    /// Drops every entry tagged with `asid`.
    fn invalidate_asid(&mut self, asid: Asid) {
        let mut s = self.head;
        while s != NONE {
            let next = self.older[s as usize];
            let key = self.keys[s as usize];
            if key & ((1 << ASID_BITS) - 1) == u64::from(asid.0) {
                self.unindex(key);
                self.unlink(s);
                self.free.push(s);
                self.len -= 1;
            }
            s = next;
        }
    }

    /// Drops every entry.
    fn invalidate_all(&mut self) {
        if self.len == 0 {
            return;
        }
        let capacity = self.keys.len();
        *self = Self::new(capacity);
    }
}

/// Number of the VA region that one entry at `entry_level` maps (its "page number" at that level's granularity):
/// `va >> (12 + 9·(entry_level − 1))`, e.g. VA bits 63:21 for a PDE.
fn region(va: VirtAddr, entry_level: u8) -> Vpn {
    let shift = PAGE_SHIFT + INDEX_BITS_PER_LEVEL * u32::from(entry_level.saturating_sub(1));
    Vpn::new(va.raw().checked_shr(shift).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Asid = Asid(1);
    const B: Asid = Asid(2);
    /// x86-64 4-level paging.
    const X86: u8 = 4;

    fn pfn(n: usize) -> Pfn {
        Pfn::from_index(n)
    }

    #[test]
    fn deepest_cached_level_wins() {
        let mut p = Psc::new(&PscConfig::default()).unwrap();
        let va = VirtAddr::new(0x7f12_3456_7000);
        assert_eq!(p.lookup(A, va, X86), None);
        p.insert(A, va, Level(3), pfn(30)); // PML4E cache: the PDPT
        assert_eq!(p.lookup(A, va, X86), Some((Level(3), pfn(30))));
        p.insert(A, va, Level(2), pfn(20)); // PDPTE cache: the PD
        p.insert(A, va, Level(1), pfn(10)); // PDE cache: the PT
        assert_eq!(p.lookup(A, va, X86), Some((Level(1), pfn(10))));
        // Same 1 GiB region, other 2 MiB region: only the PDPTE entry covers it.
        let near = VirtAddr::new(va.raw() + (1 << 21));
        assert_eq!(p.lookup(A, near, X86), Some((Level(2), pfn(20))));
        // Same 512 GiB region only.
        let far = VirtAddr::new(va.raw() ^ (1 << 30));
        assert_eq!(p.lookup(A, far, X86), Some((Level(3), pfn(30))));
        // Another address space sees nothing.
        assert_eq!(p.lookup(B, va, X86), None);
        assert_eq!(p.occupancy(), 3);
    }

    #[test]
    fn root_and_leaf_levels_are_not_cached() {
        let mut p = Psc::new(&PscConfig::default()).unwrap();
        let va = VirtAddr::new(0x1000);
        p.insert(A, va, Level(4), pfn(1)); // the PML4 itself comes from CR3
        p.insert(A, va, Level(0), pfn(1));
        assert_eq!(p.occupancy(), 0);
        // The linear teaching mode has one level: nothing to skip.
        p.insert(A, va, Level(1), pfn(2));
        assert_eq!(p.lookup(A, va, 1), None);
        assert_eq!(p.lookup(A, va, X86), Some((Level(1), pfn(2))));
    }

    #[test]
    fn three_level_mode_ignores_the_pml4e_cache() {
        let mut p = Psc::new(&PscConfig::default()).unwrap();
        let va = VirtAddr::new(0x4000_0000);
        p.insert(A, va, Level(3), pfn(3));
        assert_eq!(p.lookup(A, va, 3), None);
        p.insert(A, va, Level(2), pfn(2));
        assert_eq!(p.lookup(A, va, 3), Some((Level(2), pfn(2))));
    }

    #[test]
    fn disabled_or_zero_sized_caches_hold_nothing() {
        let va = VirtAddr::new(0x20_0000);
        let mut off = Psc::new(&PscConfig { enabled: false, ..PscConfig::default() }).unwrap();
        off.insert(A, va, Level(1), pfn(1));
        assert_eq!(off.lookup(A, va, X86), None);
        let mut no_pde = Psc::new(&PscConfig { pde: 0, ..PscConfig::default() }).unwrap();
        no_pde.insert(A, va, Level(1), pfn(1));
        no_pde.insert(A, va, Level(2), pfn(2));
        assert_eq!(no_pde.lookup(A, va, X86), Some((Level(2), pfn(2))));
    }

    #[test]
    fn each_level_is_a_small_lru_cache() {
        let mut p = Psc::new(&PscConfig { pde: 2, ..PscConfig::default() }).unwrap();
        let r = |n: u64| VirtAddr::new(n << 21);
        p.insert(A, r(1), Level(1), pfn(1));
        p.insert(A, r(2), Level(1), pfn(2));
        assert!(p.lookup(A, r(1), X86).is_some()); // 2 is now LRU
        p.insert(A, r(3), Level(1), pfn(3));
        assert_eq!(p.lookup(A, r(2), X86), None);
        assert_eq!(p.lookup(A, r(1), X86), Some((Level(1), pfn(1))));
        assert_eq!(p.lookup(A, r(3), X86), Some((Level(1), pfn(3))));
        // Re-inserting the same region replaces it in place.
        p.insert(A, r(3), Level(1), pfn(33));
        assert_eq!(p.occupancy(), 2);
        assert_eq!(p.lookup(A, r(3), X86), Some((Level(1), pfn(33))));
        let err = Psc::new(&PscConfig { pde: u32::MAX, ..PscConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "tlb.psc.pde = 4294967295: at most 1048576 entries are supported");
    }

    #[test]
    fn invlpg_drops_every_entry_of_the_asid() {
        let mut p = Psc::new(&PscConfig::default()).unwrap();
        let (va, other) = (VirtAddr::new(0x20_0000), VirtAddr::new(0x7f00_0000_0000));
        p.insert(A, va, Level(1), pfn(1));
        p.insert(A, other, Level(1), pfn(2));
        p.insert(B, va, Level(1), pfn(3));
        // SDM 3A §4.10.4.1: regardless of the linear address.
        p.invalidate_page(A, va);
        assert_eq!(p.lookup(A, other, X86), None);
        assert_eq!(p.lookup(B, va, X86), Some((Level(1), pfn(3))));
        p.invalidate_asid(B);
        assert_eq!(p.occupancy(), 0);
        p.insert(A, va, Level(2), pfn(4));
        p.insert(B, va, Level(3), pfn(5));
        p.invalidate_all();
        assert_eq!(p.occupancy(), 0);
    }
}
