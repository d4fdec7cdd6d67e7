//! Reverse mapping: from a frame to the PTEs that map it (mm/rmap.c).
//!
//! Linux reaches the PTEs of an anonymous page through `anon_vma` and `page->index`; the model keeps the list of
//! (address space, virtual page) pairs in the frame's metadata, which gives the same answers for
//! `folio_referenced()` and `try_to_unmap()` without modelling anon_vma chains.

use crate::addr::Vpn;
use crate::phys::PhysMem;
use crate::Pfn;

/// Identifies an address space (an `mm_struct`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct MmId(pub u32);

/// One PTE that maps a frame.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RmapEntry {
    /// The address space.
    pub mm: MmId,
    /// The virtual page mapped.
    pub vpn: Vpn,
}

/// `page_add_anon_rmap()` / `folio_add_new_anon_rmap()`: record a new mapping; mapcount + 1.
pub fn add(mem: &mut PhysMem, pfn: Pfn, entry: RmapEntry) {
    let m = mem.meta_mut(pfn);
    m.mapcount += 1;
    m.rmap.push(entry);
}

/// `page_remove_rmap()`: forget a mapping; mapcount − 1. Returns whether the mapping was known.
pub fn remove(mem: &mut PhysMem, pfn: Pfn, entry: RmapEntry) -> bool {
    let m = mem.meta_mut(pfn);
    if let Some(i) = m.rmap.iter().position(|e| *e == entry) {
        m.rmap.swap_remove(i);
        m.mapcount -= 1;
        true
    } else {
        false
    }
}
