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

use super::tlb::{Tlb, TlbConfigError, TlbEntry, TlbGeometry, MAX_TLB_ENTRIES};
use crate::addr::{Asid, Pfn, VirtAddr, Vpn, PAGE_SHIFT};
use crate::arch::{Level, Perms};
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

/// The paging-structure caches of one core.
#[derive(Debug, Clone)]
pub struct Psc {
    /// `caches[i]` holds entries of level `i + 2`, each a fully associative [`Tlb`] whose "page number" is the VA
    /// region the entry maps; `None` where that level is not cached.
    caches: Vec<Option<Tlb>>,
}

impl Psc {
    /// Empty caches of the configured sizes (none at all if `cfg.enabled` is false).
    pub fn new(cfg: &PscConfig) -> Result<Self, TlbConfigError> {
        let mut caches = Vec::new();
        if cfg.enabled {
            let sizes = [(cfg.pde, "tlb.psc.pde"), (cfg.pdpte, "tlb.psc.pdpte"), (cfg.pml4e, "tlb.psc.pml4e")];
            for (entries, field) in sizes {
                if entries > MAX_TLB_ENTRIES {
                    return Err(TlbConfigError::TooManyPscEntries { field, entries, max: MAX_TLB_ENTRIES });
                }
                let fully_associative = TlbGeometry { entries, ways: entries };
                caches.push(if entries == 0 { None } else { Some(Tlb::named(fully_associative, field)?) });
            }
        }
        Ok(Self { caches })
    }

    /// The cache for entries at `entry_level`, if that level is cached.
    fn cache_mut(&mut self, entry_level: u8) -> Option<&mut Tlb> {
        let i = entry_level.checked_sub(LOWEST_CACHED_LEVEL)?;
        self.caches.get_mut(usize::from(i))?.as_mut()
    }

    /// The deepest cached table on the walk of `va` under `asid` in a mode with `levels` levels: `(level of the
    /// table, its frame)`. The level is also the number of memory references left, e.g. a PDE-cache hit returns
    /// `(Level(1), pfn of the PT)`. `None` means a full walk from the root. A hit refreshes only the cache that hit.
    pub fn lookup(&mut self, asid: Asid, va: VirtAddr, levels: u8) -> Option<(Level, Pfn)> {
        for entry_level in LOWEST_CACHED_LEVEL..=levels {
            if let Some(cache) = self.cache_mut(entry_level) {
                if let Some(e) = cache.lookup(asid, region(va, entry_level)) {
                    return Some((Level(entry_level - 1), e.pfn));
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
            cache.insert(TlbEntry { vpn: region(va, entry_level), pfn: table_pfn, perms: Perms::empty(), asid });
        }
    }

    /// [`Psc::insert`] for a table the walk entered below the level where the lookup hit: that cache has just
    /// missed for this region, so no search for an entry to replace is needed.
    pub fn insert_after_miss(&mut self, asid: Asid, va: VirtAddr, level_of_table: Level, table_pfn: Pfn) {
        let Some(entry_level) = level_of_table.0.checked_add(1) else { return };
        if let Some(cache) = self.cache_mut(entry_level) {
            let e = TlbEntry { vpn: region(va, entry_level), pfn: table_pfn, perms: Perms::empty(), asid };
            cache.insert_after_miss(e);
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
        self.caches.iter().flatten().map(Tlb::occupancy).sum()
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
