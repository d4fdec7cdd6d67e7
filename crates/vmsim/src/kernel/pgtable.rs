//! Page-table manipulation by the kernel: allocate levels, find and change entries, free empty tables
//! (mm/memory.c `__pte_alloc`, `free_pgd_range`, `zap_pte_range`; mm/pgtable-generic.c; include/linux/pgtable.h).
//! Tables live in simulated frames.
//!
//! This module is the only code that writes page-table entries. Callers get a [`PteSlot`] (which entry, of which
//! address space, at which level) from [`lookup`] or [`pte_alloc`], read it freely, and change it only through
//! [`set`], [`clear`] and [`test_and_clear_young`], each of which returns a `#[must_use]` [`TlbFlush`] naming what
//! the TLBs may still hold (nothing if the old entry was not present). There is no raw write.
//!
//! Huge pages: an upper-level entry is decoded once, by [`Upper::decode`], into a table to descend into, a huge
//! leaf (2 MiB PMD, 1 GiB PUD) or nothing; the walkers here descend only through [`Upper::Table`], so treating a
//! huge leaf as a table is impossible by construction. [`pte_alloc`] refuses to split one
//! ([`PteAllocError::HugeLeaf`]); [`for_each_leaf`] reports huge leaves with their size.

use crate::addr::{Pfn, PhysAddr, VirtAddr, PAGE_SHIFT};
use crate::arch::{Level, PageSizeKind, PagingMode, Perms, Pte, PTE_BYTES};
use crate::kernel::tlbflush::TlbFlush;
use crate::phys::alloc::FrameAllocator;
use crate::phys::buddy::MigrateType;
use crate::phys::rmap::{MmId, RmapEntry};
use crate::phys::{PageFlags, PhysMem};

/// No frame was available for a page table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no free frame for a page table")]
pub struct NoFrame;

/// Why [`pte_alloc`] could not reach a 4 KiB entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PteAllocError {
    /// No frame for a missing table.
    #[error("no free frame for a page table")]
    NoFrame,
    /// A huge leaf maps the address; it would have to be split first (`split_huge_pmd`).
    #[error("a {} page maps the address", .0.label())]
    HugeLeaf(PageSizeKind),
}

impl From<NoFrame> for PteAllocError {
    fn from(_: NoFrame) -> Self {
        PteAllocError::NoFrame
    }
}

/// An address space's page tables as the kernel names them: the root frame (`mm->pgd`) and the mm, so every
/// [`TlbFlush`] knows whose translations it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pgd {
    /// Frame of the root table.
    pub root: Pfn,
    /// The address space.
    pub mm: MmId,
}

/// One leaf entry of one address space: where it lives, what it maps and at which level (4 KiB PTE, 2 MiB PMD,
/// 1 GiB PUD). Only this module can make one or write through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PteSlot {
    pa: PhysAddr,
    va: VirtAddr,
    size: PageSizeKind,
    mm: MmId,
}

impl PteSlot {
    /// The entry's current value.
    pub fn read<M: PagingMode>(self, mem: &PhysMem) -> M::Pte {
        M::Pte::from_raw(mem.read_u64(self.pa))
    }
    /// First virtual address it maps (aligned to its size).
    pub fn va(self) -> VirtAddr {
        self.va
    }
    /// The size of page it maps.
    pub fn size(self) -> PageSizeKind {
        self.size
    }
    /// Physical address of the entry.
    pub fn pa(self) -> PhysAddr {
        self.pa
    }
    /// The address space.
    pub fn mm(self) -> MmId {
        self.mm
    }
    /// The reverse-map entry of this slot when it maps a page: its mm, first page and level.
    pub fn rmap_entry(self) -> RmapEntry {
        RmapEntry { mm: self.mm, vpn: self.va.vpn(), size: self.size }
    }
}

/// An upper-level entry, decoded: the one place that decides between "table" and "huge leaf".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upper<P> {
    /// Nothing there (none, swap or PROT_NONE forms included: upper levels hold only tables and huge leaves).
    Empty(P),
    /// Points to the next table.
    Table(Pfn),
    /// Maps a huge page.
    Leaf(P),
}

impl<P: Pte> Upper<P> {
    /// Decode the entry `e` found at `level` (> 1).
    pub fn decode(e: P, level: Level) -> Self {
        if !e.is_present() {
            if e.is_protnone() || e.swap_entry().is_some() {
                Upper::Leaf(e)
            } else {
                Upper::Empty(e)
            }
        } else if e.is_leaf(level) {
            Upper::Leaf(e)
        } else {
            Upper::Table(e.pfn())
        }
    }
}

/// The page size a leaf at `level` maps (x86: PT 4 KiB, PD 2 MiB, PDPT 1 GiB).
pub fn leaf_size(level: Level) -> PageSizeKind {
    match level.0 {
        1 => PageSizeKind::Size4K,
        2 => PageSizeKind::Size2M,
        _ => PageSizeKind::Size1G,
    }
}

/// Allocate a zeroed frame for a page table (`pte_alloc_one`, flagged `PG_table`): `GFP_PGTABLE_USER`, an
/// unmovable allocation.
pub fn alloc_table(mem: &mut PhysMem, frames: &mut impl FrameAllocator) -> Result<Pfn, NoFrame> {
    let pfn = frames.alloc_pages(0, MigrateType::Unmovable, mem).ok_or(NoFrame)?;
    mem.zero_frame(pfn);
    let m = mem.meta_mut(pfn);
    m.set(PageFlags::PAGE_TABLE);
    m.refcount = 1;
    Ok(pfn)
}

fn entry_pa<M: PagingMode>(table: Pfn, va: VirtAddr, level: Level) -> PhysAddr {
    PhysAddr::from_parts(table, M::index(va, level).get() as u64 * PTE_BYTES)
}

fn align(va: VirtAddr, size: PageSizeKind) -> VirtAddr {
    VirtAddr::new(va.raw() & !((1u64 << size.shift()) - 1))
}

fn read_raw<M: PagingMode>(mem: &PhysMem, pa: PhysAddr) -> M::Pte {
    M::Pte::from_raw(mem.read_u64(pa))
}

/// The leaf entry for `va`, at whatever level it is (a 4 KiB PTE, or a huge leaf above), if every table above it
/// is present (`pte_offset_map`, or `pmd_leaf` on the way). `None` when a table is missing.
pub fn lookup<M: PagingMode>(mem: &PhysMem, pgd: Pgd, va: VirtAddr) -> Option<PteSlot> {
    let mut table = pgd.root;
    let mut level = M::LEVELS;
    while level > 1 {
        let pa = entry_pa::<M>(table, va, Level(level));
        match Upper::decode(read_raw::<M>(mem, pa), Level(level)) {
            Upper::Table(next) => table = next,
            Upper::Leaf(_) => {
                let size = leaf_size(Level(level));
                return Some(PteSlot { pa, va: align(va, size), size, mm: pgd.mm });
            }
            Upper::Empty(_) => return None,
        }
        level -= 1;
    }
    let size = PageSizeKind::Size4K;
    Some(PteSlot { pa: entry_pa::<M>(table, va, Level(1)), va: align(va, size), size, mm: pgd.mm })
}

/// The 4 KiB entry for `va`, allocating missing tables (`pte_alloc`, `pmd_alloc`, …); `tables` is incremented for
/// each table allocated. A huge leaf in the way is an error, never descended into.
pub fn pte_alloc<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    pgd: Pgd,
    va: VirtAddr,
    tables: &mut u64,
) -> Result<PteSlot, PteAllocError> {
    let mut table = pgd.root;
    let mut level = M::LEVELS;
    while level > 1 {
        let pa = entry_pa::<M>(table, va, Level(level));
        table = match Upper::decode(read_raw::<M>(mem, pa), Level(level)) {
            Upper::Table(next) => next,
            Upper::Leaf(_) => return Err(PteAllocError::HugeLeaf(leaf_size(Level(level)))),
            Upper::Empty(_) => {
                let t = alloc_table(mem, frames)?;
                *tables += 1;
                mem.write_u64(pa, M::Pte::table(t).raw());
                t
            }
        };
        level -= 1;
    }
    let size = PageSizeKind::Size4K;
    Ok(PteSlot { pa: entry_pa::<M>(table, va, Level(1)), va: align(va, size), size, mm: pgd.mm })
}

/// The invalidation owed for replacing `old` in `slot`: one page if the hardware may have cached `old`.
fn flush_for<M: PagingMode>(slot: PteSlot, old: M::Pte) -> TlbFlush {
    if old.is_present() {
        TlbFlush::page(slot.mm, slot.va, slot.size)
    } else {
        TlbFlush::nothing()
    }
}

/// Store `new` in `slot` (`set_pte_at`, `set_pmd_at`). Returns the old entry and the flush it requires: none
/// when the old entry was not present (nothing can be cached), one page otherwise.
pub fn set<M: PagingMode>(mem: &mut PhysMem, slot: PteSlot, new: M::Pte) -> (M::Pte, TlbFlush) {
    let old = slot.read::<M>(mem);
    mem.write_u64(slot.pa, new.raw());
    (old, flush_for::<M>(slot, old))
}

/// Clear `slot` (`ptep_get_and_clear`). Returns the old entry and the flush it requires.
pub fn clear<M: PagingMode>(mem: &mut PhysMem, slot: PteSlot) -> (M::Pte, TlbFlush) {
    set::<M>(mem, slot, M::Pte::none())
}

/// `ptep_clear_flush_young()`: clear the Accessed bit of a present entry. Returns whether it was set and the
/// flush it needs: the generic version invalidates the page so the next access walks and sets A again
/// (mm/pgtable-generic.c); on x86 nothing is flushed (arch/x86/mm/pgtable.c, [`PagingMode::CLEAR_YOUNG_FLUSHES_TLB`]),
/// so an access that hits a still-cached translation does not set A until the entry leaves the TLB. `always_flush`
/// flushes on every architecture (exact mode: the textbook reference bit sees every reference).
pub fn test_and_clear_young<M: PagingMode>(mem: &mut PhysMem, slot: PteSlot, always_flush: bool) -> (bool, TlbFlush) {
    let pte = slot.read::<M>(mem);
    if !pte.is_present() || !pte.perms().contains(Perms::ACCESSED) {
        return (false, TlbFlush::nothing());
    }
    let (_, flush) = set::<M>(mem, slot, pte.without_status(Perms::ACCESSED));
    if M::CLEAR_YOUNG_FLUSHES_TLB || always_flush {
        (true, flush)
    } else {
        // The translation stays valid (same frame and permissions): no stale mapping can be used.
        (true, TlbFlush::nothing())
    }
}

fn span_shift<M: PagingMode>(level: Level) -> u32 {
    PAGE_SHIFT + M::INDEX_BITS * u32::from(level.0 - 1)
}

/// The entries of the table at `level` (covering `[base, base + 512 spans)`) that overlap `[start, end)`:
/// each entry's first address, the span it covers, and the entry's physical address.
fn entries_in<M: PagingMode>(
    table: Pfn,
    level: Level,
    base: u64,
    start: u64,
    end: u64,
) -> impl Iterator<Item = (u64, u64, PhysAddr)> {
    let shift = span_shift::<M>(level);
    let entries = 1u64 << M::INDEX_BITS;
    let first = start.saturating_sub(base) >> shift;
    let last = ((end - 1).saturating_sub(base) >> shift).min(entries - 1);
    (first..=last).map(move |i| (base + (i << shift), 1u64 << shift, PhysAddr::from_parts(table, i * PTE_BYTES)))
}

/// Visit every non-none leaf entry mapping an address in `[start, end)`, in address order: 4 KiB entries and
/// huge leaves alike (see [`PteSlot::size`]).
pub fn for_each_leaf<M: PagingMode>(
    mem: &PhysMem,
    pgd: Pgd,
    start: VirtAddr,
    end: VirtAddr,
    f: &mut impl FnMut(PteSlot, M::Pte),
) {
    if start < end {
        visit::<M>(mem, pgd, pgd.root, Level(M::LEVELS), 0, start.raw(), end.raw(), f);
    }
}

/// Every non-none leaf in `[start, end)`, collected (for callers that change entries while iterating).
pub fn leaves<M: PagingMode>(mem: &PhysMem, pgd: Pgd, start: VirtAddr, end: VirtAddr) -> Vec<(PteSlot, M::Pte)> {
    let mut found = Vec::new();
    for_each_leaf::<M>(mem, pgd, start, end, &mut |slot, pte| found.push((slot, pte)));
    found
}

#[allow(clippy::too_many_arguments, reason = "recursive helper carrying the walk state")]
fn visit<M: PagingMode>(
    mem: &PhysMem,
    pgd: Pgd,
    table: Pfn,
    level: Level,
    base: u64,
    start: u64,
    end: u64,
    f: &mut impl FnMut(PteSlot, M::Pte),
) {
    for (lo, span, pa) in entries_in::<M>(table, level, base, start, end) {
        let e = read_raw::<M>(mem, pa);
        if e.is_none() {
            continue;
        }
        let size = leaf_size(level);
        if level.0 == 1 {
            f(PteSlot { pa, va: VirtAddr::new(lo), size, mm: pgd.mm }, e);
            continue;
        }
        match Upper::decode(e, level) {
            Upper::Table(next) => {
                visit::<M>(mem, pgd, next, Level(level.0 - 1), lo, start.max(lo), end.min(lo.saturating_add(span)), f);
            }
            Upper::Leaf(e) => f(PteSlot { pa, va: VirtAddr::new(lo), size, mm: pgd.mm }, e),
            Upper::Empty(_) => {}
        }
    }
}

/// Free tables under `[start, end)` that have become empty, clearing their parent entries (`free_pgd_range`).
/// Returns the number of table frames freed and the flush the paging-structure caches need. The root is never
/// freed here.
pub fn free_empty_tables<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    pgd: Pgd,
    start: VirtAddr,
    end: VirtAddr,
) -> (u64, TlbFlush) {
    if start >= end || M::LEVELS == 1 {
        return (0, TlbFlush::nothing());
    }
    let mut freed = Freed::default();
    prune::<M>(mem, frames, pgd.root, Level(M::LEVELS), 0, start.raw(), end.raw(), &mut freed);
    let flush = if freed.count > 0 {
        TlbFlush::tables(pgd.mm, VirtAddr::new(freed.first), VirtAddr::new(freed.last + (1 << PAGE_SHIFT)), freed.shift)
    } else {
        TlbFlush::nothing()
    };
    (freed.count, flush)
}

/// What `prune` freed, as the mmu_gather records it: `pte_free_tlb(tlb, ptep, address)` (and `pmd_free_tlb`,
/// `pud_free_tlb`; include/asm-generic/tlb.h) adds `[address, address + PAGE_SIZE)` to the gathered range, where
/// `address` is the first address the freed table covered (`free_pte_range(tlb, pmd, addr)` is called with the
/// PMD-aligned `addr` of `free_pmd_range`, `pmd_free_tlb` with `start &= PUD_MASK`, mm/memory.c), and sets
/// `cleared_pmds` (`cleared_puds`, `cleared_p4ds`): the stride `tlb_get_unmap_shift()` uses when no PTE was
/// cleared.
#[derive(Default)]
struct Freed {
    count: u64,
    first: u64,
    last: u64,
    shift: u32,
}

impl Freed {
    fn record(&mut self, lo: u64, shift: u32) {
        if self.count == 0 {
            (self.first, self.last, self.shift) = (lo, lo, shift);
        } else {
            self.first = self.first.min(lo);
            self.last = self.last.max(lo);
            self.shift = self.shift.min(shift);
        }
        self.count += 1;
    }
}

#[allow(clippy::too_many_arguments, reason = "recursive helper carrying the walk state")]
fn prune<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    table: Pfn,
    level: Level,
    base: u64,
    start: u64,
    end: u64,
    freed: &mut Freed,
) {
    for (lo, span, pa) in entries_in::<M>(table, level, base, start, end) {
        if level.0 == 1 {
            continue;
        }
        let Upper::Table(child) = Upper::decode(read_raw::<M>(mem, pa), level) else { continue };
        prune::<M>(mem, frames, child, Level(level.0 - 1), lo, start.max(lo), end.min(lo.saturating_add(span)), freed);
        if table_is_empty::<M>(mem, child) {
            mem.write_u64(pa, 0);
            free_table(mem, frames, child);
            freed.record(lo, span_shift::<M>(level));
        }
    }
}

fn free_table(mem: &mut PhysMem, frames: &mut impl FrameAllocator, table: Pfn) {
    mem.free_meta(table);
    mem.zero_frame(table);
    frames.free_pages(table, 0);
}

/// Whether every entry of a table is none.
pub fn table_is_empty<M: PagingMode>(mem: &PhysMem, table: Pfn) -> bool {
    mem.is_zero_backed(table) || mem.page(table).iter().all(|&b| b == 0)
}

/// Free every table of an address space including the root (exit: `free_pgtables` + `pgd_free`). Returns the
/// number of frames freed and the flush of everything the mm may still have cached.
pub fn free_all<M: PagingMode>(mem: &mut PhysMem, frames: &mut impl FrameAllocator, pgd: Pgd) -> (u64, TlbFlush) {
    let mut freed = 0;
    free_subtree::<M>(mem, frames, pgd.root, Level(M::LEVELS), &mut freed);
    (freed, TlbFlush::mm(pgd.mm))
}

fn free_subtree<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    table: Pfn,
    level: Level,
    freed: &mut u64,
) {
    if level.0 > 1 {
        for i in 0..(1u64 << M::INDEX_BITS) {
            let e = read_raw::<M>(mem, PhysAddr::from_parts(table, i * PTE_BYTES));
            if let Upper::Table(child) = Upper::decode(e, level) {
                free_subtree::<M>(mem, frames, child, Level(level.0 - 1), freed);
            }
        }
    }
    free_table(mem, frames, table);
    *freed += 1;
}

/// Map `va` to `pfn` with `perms` as a 4 KiB page, allocating tables (`set_pte_at` after `pte_alloc`). Returns
/// the number of tables allocated and the flush owed for what the entry held before.
pub fn map_page<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    pgd: Pgd,
    va: VirtAddr,
    pfn: Pfn,
    perms: Perms,
) -> Result<(u64, TlbFlush), PteAllocError> {
    let mut tables = 0;
    let slot = pte_alloc::<M>(mem, frames, pgd, va, &mut tables)?;
    let (_, flush) = set::<M>(mem, slot, M::Pte::leaf(pfn, perms, PageSizeKind::Size4K));
    Ok((tables, flush))
}

/// Clear the entry for `va` (`ptep_get_and_clear`). Returns the old entry (if a table held one) and the flush.
pub fn unmap_page<M: PagingMode>(mem: &mut PhysMem, pgd: Pgd, va: VirtAddr) -> (Option<M::Pte>, TlbFlush) {
    match lookup::<M>(mem, pgd, va) {
        Some(slot) => {
            let (old, flush) = clear::<M>(mem, slot);
            (Some(old), flush)
        }
        None => (None, TlbFlush::nothing()),
    }
}

/// Change the permissions of a present entry (`change_pte_range`), keeping A/D. Returns the flush required.
pub fn protect_page<M: PagingMode>(mem: &mut PhysMem, pgd: Pgd, va: VirtAddr, perms: Perms) -> TlbFlush {
    let Some(slot) = lookup::<M>(mem, pgd, va) else { return TlbFlush::nothing() };
    let old = slot.read::<M>(mem);
    if !old.is_present() {
        return TlbFlush::nothing();
    }
    let status = old.perms() & (Perms::ACCESSED | Perms::DIRTY);
    set::<M>(mem, slot, M::Pte::leaf(old.pfn(), perms | status, slot.size)).1
}
