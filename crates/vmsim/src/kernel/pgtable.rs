//! Page-table manipulation by the kernel: allocate levels, find and set PTEs, free empty tables
//! (mm/memory.c `__pte_alloc`, `free_pgd_range`; mm/pgtable-generic.c). Tables live in simulated frames.

use crate::addr::{Pfn, PhysAddr, VirtAddr, PAGE_SHIFT};
use crate::arch::{Level, PagingMode, Pte, PTE_BYTES};
use crate::phys::alloc::FrameAllocator;
use crate::phys::{PageFlags, PhysMem};

/// No frame was available for a page table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoFrame;

/// Allocate a zeroed frame for a page table (`pte_alloc_one`, flagged `PG_table`).
pub fn alloc_table(mem: &mut PhysMem, frames: &mut impl FrameAllocator) -> Result<Pfn, NoFrame> {
    let pfn = frames.alloc().ok_or(NoFrame)?;
    mem.zero_frame(pfn);
    let m = mem.meta_mut(pfn);
    m.flags = PageFlags::PAGE_TABLE;
    m.refcount = 1;
    Ok(pfn)
}

fn entry_pa<M: PagingMode>(table: Pfn, va: VirtAddr, level: Level) -> PhysAddr {
    PhysAddr::from_parts(table, M::index(va, level).get() as u64 * PTE_BYTES)
}

/// Address of the last-level entry for `va`, if every upper level is present (`pte_offset_map`).
pub fn pte_offset<M: PagingMode>(mem: &PhysMem, root: Pfn, va: VirtAddr) -> Option<PhysAddr> {
    let mut table = root;
    let mut level = M::LEVELS;
    while level > 1 {
        let e = M::Pte::from_raw(mem.read_u64(entry_pa::<M>(table, va, Level(level))));
        if !e.is_present() || e.is_leaf(Level(level)) {
            return None;
        }
        table = e.pfn();
        level -= 1;
    }
    Some(entry_pa::<M>(table, va, Level(1)))
}

/// Address of the last-level entry for `va`, allocating missing tables (`pte_alloc`, `pmd_alloc`, …).
/// `tables` is incremented for each table allocated.
pub fn pte_alloc<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    root: Pfn,
    va: VirtAddr,
    tables: &mut u64,
) -> Result<PhysAddr, NoFrame> {
    let mut table = root;
    let mut level = M::LEVELS;
    while level > 1 {
        let pa = entry_pa::<M>(table, va, Level(level));
        let e = M::Pte::from_raw(mem.read_u64(pa));
        table = if e.is_present() {
            e.pfn()
        } else {
            let t = alloc_table(mem, frames)?;
            *tables += 1;
            mem.write_u64(pa, M::Pte::table(t).raw());
            t
        };
        level -= 1;
    }
    Ok(entry_pa::<M>(table, va, Level(1)))
}

/// Read the entry at `pa`.
pub fn read<M: PagingMode>(mem: &PhysMem, pa: PhysAddr) -> M::Pte {
    M::Pte::from_raw(mem.read_u64(pa))
}

/// Write the entry at `pa` (`set_pte_at`).
pub fn write<M: PagingMode>(mem: &mut PhysMem, pa: PhysAddr, pte: M::Pte) {
    mem.write_u64(pa, pte.raw());
}

/// Visit every non-none last-level entry mapping an address in `[start, end)`, in address order.
pub fn for_each_pte<M: PagingMode>(
    mem: &PhysMem,
    root: Pfn,
    start: VirtAddr,
    end: VirtAddr,
    f: &mut impl FnMut(VirtAddr, PhysAddr, M::Pte),
) {
    if start < end {
        visit::<M>(mem, root, Level(M::LEVELS), 0, start.raw(), end.raw(), f);
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

fn visit<M: PagingMode>(
    mem: &PhysMem,
    table: Pfn,
    level: Level,
    base: u64,
    start: u64,
    end: u64,
    f: &mut impl FnMut(VirtAddr, PhysAddr, M::Pte),
) {
    for (lo, span, pa) in entries_in::<M>(table, level, base, start, end) {
        let e = M::Pte::from_raw(mem.read_u64(pa));
        if e.is_none() {
            continue;
        }
        if level.0 == 1 {
            f(VirtAddr::new(lo), pa, e);
        } else if e.is_present() && !e.is_leaf(level) {
            visit::<M>(mem, e.pfn(), Level(level.0 - 1), lo, start.max(lo), end.min(lo.saturating_add(span)), f);
        }
    }
}

/// Free tables under `[start, end)` that have become empty, clearing their parent entries (`free_pgd_range`).
/// Returns the number of table frames freed. The root is never freed here.
pub fn free_empty_tables<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    root: Pfn,
    start: VirtAddr,
    end: VirtAddr,
) -> u64 {
    if start >= end || M::LEVELS == 1 {
        return 0;
    }
    let mut freed = 0;
    prune::<M>(mem, frames, root, Level(M::LEVELS), 0, start.raw(), end.raw(), &mut freed);
    freed
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
    freed: &mut u64,
) {
    for (lo, span, pa) in entries_in::<M>(table, level, base, start, end) {
        let e = M::Pte::from_raw(mem.read_u64(pa));
        if level.0 == 1 || !e.is_present() || e.is_leaf(level) {
            continue;
        }
        let child = e.pfn();
        prune::<M>(mem, frames, child, Level(level.0 - 1), lo, start.max(lo), end.min(lo.saturating_add(span)), freed);
        if table_is_empty::<M>(mem, child) {
            mem.write_u64(pa, 0);
            *mem.meta_mut(child) = crate::phys::FrameMeta::default();
            mem.zero_frame(child);
            frames.free(child);
            *freed += 1;
        }
    }
}

/// Whether every entry of a table is none.
pub fn table_is_empty<M: PagingMode>(mem: &PhysMem, table: Pfn) -> bool {
    mem.is_zero_backed(table) || mem.page(table).iter().all(|&b| b == 0)
}

/// Free every table of an address space including the root (exit, `free_pgtables` + `pgd_free`).
pub fn free_all<M: PagingMode>(mem: &mut PhysMem, frames: &mut impl FrameAllocator, root: Pfn) -> u64 {
    let mut freed = 0;
    free_subtree::<M>(mem, frames, root, Level(M::LEVELS), &mut freed);
    freed
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
            let e = M::Pte::from_raw(mem.read_u64(PhysAddr::from_parts(table, i * PTE_BYTES)));
            if e.is_present() && !e.is_leaf(level) {
                free_subtree::<M>(mem, frames, e.pfn(), Level(level.0 - 1), freed);
            }
        }
    }
    *mem.meta_mut(table) = crate::phys::FrameMeta::default();
    mem.zero_frame(table);
    frames.free(table);
    *freed += 1;
}

/// Map `va` to `pfn` with `perms` over a none entry (`set_pte_at` on an empty slot). Installing over a
/// non-present entry needs no TLB flush, so this returns no token.
pub fn map_page<M: PagingMode>(
    mem: &mut PhysMem,
    frames: &mut impl FrameAllocator,
    root: Pfn,
    va: VirtAddr,
    pfn: Pfn,
    perms: crate::arch::Perms,
) -> Result<u64, NoFrame> {
    let mut tables = 0;
    let slot = pte_alloc::<M>(mem, frames, root, va, &mut tables)?;
    write::<M>(mem, slot, M::Pte::leaf(pfn, perms, crate::arch::PageSizeKind::Size4K));
    Ok(tables)
}

/// Clear the entry for `va` (`ptep_get_and_clear`). Returns the old entry and the flush it requires, if it
/// was present.
pub fn unmap_page<M: PagingMode>(
    mem: &mut PhysMem,
    root: Pfn,
    asid: crate::addr::Asid,
    va: VirtAddr,
) -> Option<(M::Pte, crate::mmu::flush::TlbFlush)> {
    let slot = pte_offset::<M>(mem, root, va)?;
    let old = read::<M>(mem, slot);
    if !old.is_present() {
        write::<M>(mem, slot, M::Pte::none());
        return None;
    }
    write::<M>(mem, slot, M::Pte::none());
    Some((old, crate::mmu::flush::TlbFlush::page(asid, va)))
}

/// Change the permissions of a present entry (`change_pte_range`), keeping A/D. Returns the flush required.
pub fn protect_page<M: PagingMode>(
    mem: &mut PhysMem,
    root: Pfn,
    asid: crate::addr::Asid,
    va: VirtAddr,
    perms: crate::arch::Perms,
) -> Option<crate::mmu::flush::TlbFlush> {
    let slot = pte_offset::<M>(mem, root, va)?;
    let old = read::<M>(mem, slot);
    if !old.is_present() {
        return None;
    }
    let status = old.perms() & (crate::arch::Perms::ACCESSED | crate::arch::Perms::DIRTY);
    write::<M>(mem, slot, M::Pte::leaf(old.pfn(), perms | status, crate::arch::PageSizeKind::Size4K));
    Some(crate::mmu::flush::TlbFlush::page(asid, va))
}
