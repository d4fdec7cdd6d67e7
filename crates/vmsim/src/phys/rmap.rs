//! Reverse mapping: from a frame to the page-table entries that map it (mm/rmap.c).
//!
//! Linux reaches the PTEs of an anonymous page through `folio->mapping` (its `anon_vma`) and `folio->index`,
//! walking every VMA of the anon_vma's interval tree (`rmap_walk_anon`); the model keeps the list of (address
//! space, virtual page, level) triples in the frame's metadata, which gives the same answers for
//! `folio_referenced()` and `try_to_unmap()` without modelling anon_vma chains.
//!
//! Each entry records the level of the entry that maps the frame: a 4 KiB PTE counts in the frame's `mapcount`
//! (`folio_add_anon_rmap_ptes`), a 2 MiB PMD or 1 GiB PUD mapping of a whole compound page in its head's
//! `entire_mapcount` (`folio_add_anon_rmap_pmd`, `__folio_add_rmap` with `RMAP_LEVEL_PMD`/`RMAP_LEVEL_PUD`).
//!
//! Host cost: almost every page has one mapping, so [`Rmap`] keeps one entry inline (16 bytes, no allocation) and
//! spills to a `BTreeSet` only for shared pages: O(1) add and remove for the common case, O(log n) for shared
//! pages, and iteration in entry order (mm, page, level), so the order of an rmap walk never depends on the order
//! mappings were made.

use crate::addr::Vpn;
use crate::arch::PageSizeKind;
use crate::phys::PhysMem;
use crate::Pfn;
use std::collections::BTreeSet;

/// Identifies an address space (an `mm_struct`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct MmId(pub u32);

/// One page-table entry that maps a frame.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RmapEntry {
    /// The address space.
    pub mm: MmId,
    /// The first virtual page mapped (aligned to `size`).
    pub vpn: Vpn,
    /// The level of the entry: a 4 KiB PTE, a 2 MiB PMD or a 1 GiB PUD (`enum rmap_level`, mm/internal.h).
    pub size: PageSizeKind,
}

impl RmapEntry {
    /// A 4 KiB PTE of `mm` mapping page `vpn`.
    pub const fn pte(mm: MmId, vpn: Vpn) -> Self {
        Self { mm, vpn, size: PageSizeKind::Size4K }
    }
}

/// The set of entries mapping one frame: one inline, more in a `BTreeSet`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rmap(Repr);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    Empty,
    One(RmapEntry),
    /// Two or more entries (never fewer: removal folds back to `One`).
    #[allow(clippy::box_collection, reason = "a BTreeSet is 24 bytes; boxed, Rmap stays the size of one entry")]
    Many(Box<BTreeSet<RmapEntry>>),
}

impl Rmap {
    /// No mapping.
    pub const fn new() -> Self {
        Rmap(Repr::Empty)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Empty => 0,
            Repr::One(_) => 1,
            Repr::Many(s) => s.len(),
        }
    }

    /// Whether nothing maps the frame.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Repr::Empty)
    }

    /// Whether `e` is recorded.
    pub fn contains(&self, e: &RmapEntry) -> bool {
        match &self.0 {
            Repr::Empty => false,
            Repr::One(x) => x == e,
            Repr::Many(s) => s.contains(e),
        }
    }

    /// Record `e`; false (and no change) if it was already recorded.
    pub fn insert(&mut self, e: RmapEntry) -> bool {
        match &mut self.0 {
            Repr::Empty => self.0 = Repr::One(e),
            Repr::One(x) if *x == e => return false,
            Repr::One(x) => self.0 = Repr::Many(Box::new(BTreeSet::from([*x, e]))),
            Repr::Many(s) => return s.insert(e),
        }
        true
    }

    /// Forget `e`; false if it was not recorded.
    pub fn remove(&mut self, e: &RmapEntry) -> bool {
        match &mut self.0 {
            Repr::One(x) if x == e => self.0 = Repr::Empty,
            Repr::Many(s) => {
                if !s.remove(e) {
                    return false;
                }
                if s.len() == 1 {
                    if let Some(&last) = s.first() {
                        self.0 = Repr::One(last);
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// The entries in order (mm, page, level).
    pub fn iter(&self) -> impl Iterator<Item = RmapEntry> + '_ {
        let (one, many) = match &self.0 {
            Repr::Empty => (None, None),
            Repr::One(e) => (Some(*e), None),
            Repr::Many(s) => (None, Some(s.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

/// Record a new mapping of `pfn` (`folio_add_new_anon_rmap()`, `folio_add_anon_rmap_ptes()`,
/// `folio_add_anon_rmap_pmd()`, mm/rmap.c): a PTE adds one to the frame's `mapcount`, a PMD or PUD mapping (of a
/// compound page, through its head) one to `entire_mapcount`. A mapping already recorded is a model bug and is
/// not counted twice.
pub fn add(mem: &mut PhysMem, pfn: Pfn, entry: RmapEntry) {
    let m = mem.meta_mut(pfn);
    let new = m.rmap.insert(entry);
    debug_assert!(new, "{entry:?} already maps {pfn:?}");
    if new {
        match entry.size {
            PageSizeKind::Size4K => m.mapcount += 1,
            PageSizeKind::Size2M | PageSizeKind::Size1G => m.entire_mapcount += 1,
        }
    }
}

/// Forget a mapping (`folio_remove_rmap_ptes()`, `folio_remove_rmap_pmd()`, mm/rmap.c): the count `add` raised
/// goes down by one. Returns whether the mapping was known.
pub fn remove(mem: &mut PhysMem, pfn: Pfn, entry: RmapEntry) -> bool {
    let m = mem.meta_mut(pfn);
    if !m.rmap.remove(&entry) {
        return false;
    }
    match entry.size {
        PageSizeKind::Size4K => m.mapcount -= 1,
        PageSizeKind::Size2M | PageSizeKind::Size1G => m.entire_mapcount -= 1,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(mm: u32, vpn: u64) -> RmapEntry {
        RmapEntry::pte(MmId(mm), Vpn::new(vpn))
    }

    #[test]
    fn one_entry_inline_more_spill_and_fold_back() {
        let mut r = Rmap::new();
        assert!(r.is_empty() && r.iter().next().is_none());
        assert!(r.insert(e(2, 7)));
        assert!(!r.insert(e(2, 7)));
        assert!(matches!(r.0, Repr::One(_)));
        assert!(r.insert(e(1, 9)) && r.insert(e(2, 3)));
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().collect::<Vec<_>>(), [e(1, 9), e(2, 3), e(2, 7)], "ordered by (mm, page)");
        assert!(r.remove(&e(2, 3)) && !r.remove(&e(2, 3)));
        assert!(r.remove(&e(1, 9)));
        assert_eq!(r, Rmap(Repr::One(e(2, 7))), "folds back to the inline form");
        assert!(r.contains(&e(2, 7)) && !r.contains(&e(1, 9)));
        assert!(r.remove(&e(2, 7)) && r.is_empty());
        assert!(!r.remove(&e(2, 7)));
    }

    #[test]
    fn pte_and_pmd_mappings_count_separately() {
        let mut m = PhysMem::new(1024);
        let head = Pfn::from_index(512);
        let pmd = RmapEntry { mm: MmId(1), vpn: Vpn::new(0x200), size: PageSizeKind::Size2M };
        add(&mut m, head, pmd);
        add(&mut m, head, e(2, 0x400));
        assert_eq!((m.meta(head).mapcount, m.meta(head).entire_mapcount), (1, 1));
        assert!(remove(&mut m, head, pmd));
        assert!(!remove(&mut m, head, pmd));
        assert_eq!((m.meta(head).mapcount, m.meta(head).entire_mapcount), (1, 0));
        assert!(remove(&mut m, head, e(2, 0x400)));
        assert!(m.meta(head).rmap.is_empty() && m.meta(head).mapcount == 0);
    }

    #[test]
    fn the_common_case_costs_no_allocation() {
        // The inline entry's level leaves room for the enum's tag: the map is no bigger than one entry.
        assert_eq!(std::mem::size_of::<Rmap>(), std::mem::size_of::<RmapEntry>());
        assert_eq!(std::mem::size_of::<RmapEntry>(), 16);
    }
}
