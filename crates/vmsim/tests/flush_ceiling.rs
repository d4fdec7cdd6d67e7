//! Issue 9, TLB shootdowns: a batch of deferred invalidations (`mmu_gather`) is issued as one INVLPG per page up to
//! Linux's `tlb_single_page_flush_ceiling` of 33 pages, and as one whole-address-space flush above it
//! (arch/x86/mm/tlb.c `flush_tlb_mm_range`; SPEC §14). Each remote CPU with the mm loaded gets one IPI per batch,
//! whichever way it is flushed, and a CPU that keeps the mm's PCID without running it is flushed without one.

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::Perms;
use vmsim::kernel::cpu::{CpuId, Cpus};
use vmsim::kernel::pgtable::{self, Pgd};
use vmsim::kernel::task::Pid;
use vmsim::kernel::tlbflush::{FlushBatch, FlushSummary, TLB_SINGLE_PAGE_FLUSH_CEILING};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::mmu::{Access, AddressSpace, Mode, Outcome};
use vmsim::phys::buddy::Buddy;
use vmsim::phys::rmap::MmId;
use vmsim::phys::PhysMem;
use vmsim::{Pfn, VirtAddr};

const CPUS: u16 = 3;

/// Map `pages` pages of one mm, touch them on CPUs 1 and 2 (so both cache them), then unmap them all through one
/// batch issued from CPU 0. Returns what the batch did, and whether any CPU still translates a page afterwards.
fn unmap_batch(pages: u64) -> (FlushSummary, bool) {
    unmap_pages(&(0..pages).collect::<Vec<_>>())
}

/// [`unmap_batch`] for the pages at the given indices (page `i` is at `0x4000_0000 + i * 4096`).
fn unmap_pages(indices: &[u64]) -> (FlushSummary, bool) {
    let mut cpus: Cpus<X86FourLevel> = Cpus::new(usize::from(CPUS), &TlbConfig::default(), true).unwrap();
    let mut mem = PhysMem::new(4096);
    let mut frames = Buddy::new(4096);
    for &i in indices {
        assert!(frames.claim(Pfn::try_new(i).unwrap()));
    }
    let mm = MmId(1);
    let pgd = Pgd { root: pgtable::alloc_table(&mut mem, &mut frames).unwrap(), mm };
    let va = |i: u64| VirtAddr::new(0x4000_0000 + i * 4096);
    let rw = Perms::USER | Perms::READ | Perms::WRITE;
    for &i in indices {
        let (_, f) =
            pgtable::map_page::<X86FourLevel>(&mut mem, &mut frames, pgd, va(i), Pfn::try_new(i).unwrap(), rw).unwrap();
        assert!(f.is_nothing(), "installing over an empty entry needs no flush");
    }
    // CPU 2 ran the mm, then another one: it keeps the mm's PCID (its TLB entries survive) but has it unloaded.
    // CPU 1 runs the mm now.
    for cpu in [CpuId(2), CpuId(1)] {
        let asid = cpus.switch_to(cpu, Pid(1), mm);
        for &i in indices {
            let space = AddressSpace { root: pgd.root, asid };
            let got = cpus.get_mut(cpu).mmu.translate(&mut mem, space, va(i), Access::Read, Mode::User);
            assert!(matches!(got, Outcome::Walked { .. } | Outcome::TlbHit { .. }), "{got:?}");
        }
    }
    let _ = cpus.switch_to(CpuId(2), Pid(2), MmId(2));
    cpus.this_cpu = CpuId(0);
    let mut batch = FlushBatch::new();
    for &i in indices {
        let (old, f) = pgtable::unmap_page::<X86FourLevel>(&mut mem, pgd, va(i));
        assert!(old.is_some());
        f.defer(&mut batch);
    }
    let summary = batch.finish(&mut cpus);
    // Nothing may still translate: CPU 1 runs the mm, CPU 2 would get it back under the same PCID.
    let mut stale = false;
    for cpu in [CpuId(1), CpuId(2)] {
        let asid = cpus.switch_to(cpu, Pid(1), mm);
        for &i in indices {
            let space = AddressSpace { root: pgd.root, asid };
            let got = cpus.get_mut(cpu).mmu.translate(&mut mem, space, va(i), Access::Read, Mode::User);
            stale |= !matches!(got, Outcome::Fault(_));
        }
    }
    (summary, stale)
}

#[test]
fn up_to_the_ceiling_each_page_is_flushed_on_its_own() {
    let n = u64::try_from(TLB_SINGLE_PAGE_FLUSH_CEILING).unwrap();
    assert_eq!(n, 33);
    let (s, stale) = unmap_batch(n);
    assert!(!stale, "a CPU still translates an unmapped page");
    assert_eq!(s.full, 0, "{s:?}");
    assert_eq!(s.invlpg, 2 * n, "one INVLPG per page on each CPU that holds the PCID: {s:?}");
    assert_eq!(s.ipis, 1, "one IPI, to CPU 1 (CPU 2 holds the PCID but runs another mm): {s:?}");
    assert_eq!(s.entries, 2 * n * 2, "each page sat in the L1 DTLB and the STLB of two CPUs: {s:?}");
}

#[test]
fn above_the_ceiling_the_whole_address_space_is_flushed() {
    let n = u64::try_from(TLB_SINGLE_PAGE_FLUSH_CEILING).unwrap() + 1;
    let (s, stale) = unmap_batch(n);
    assert!(!stale, "a CPU still translates an unmapped page");
    assert_eq!(s.invlpg, 0, "{s:?}");
    assert_eq!(s.full, 2, "one full flush of the mm's PCID on each CPU that holds it: {s:?}");
    assert_eq!(s.ipis, 1, "{s:?}");
    assert!(s.entries >= n, "{s:?}");
}

/// The ceiling applies to the span of the gathered range, not to the number of pages in it: Linux's
/// `flush_tlb_mm_range()` compares `(end - start) >> stride_shift` with `tlb_single_page_flush_ceiling`, and the
/// mmu_gather's range runs from the lowest to the highest address cleared (`__tlb_adjust_range()`,
/// include/asm-generic/tlb.h).
#[test]
fn a_sparse_range_spanning_more_than_the_ceiling_is_one_full_flush() {
    // Three pages spanning 40 pages: 0, 20 and 39.
    let (s, stale) = unmap_pages(&[0, 20, 39]);
    assert!(!stale, "a CPU still translates an unmapped page");
    assert_eq!(s.invlpg, 0, "three pages but a 40-page span: {s:?}");
    assert_eq!(s.full, 2, "one full flush on each CPU that holds the PCID: {s:?}");
    assert_eq!(s.ipis, 1, "{s:?}");
}

#[test]
fn a_sparse_range_within_the_ceiling_is_flushed_page_by_page_over_its_span() {
    // Two pages spanning exactly 33: flush_tlb_func() issues an INVLPG for every page from start to end, the holes
    // included.
    let (s, stale) = unmap_pages(&[0, 32]);
    assert!(!stale, "a CPU still translates an unmapped page");
    assert_eq!(s.full, 0, "{s:?}");
    assert_eq!(s.invlpg, 2 * 33, "33 INVLPGs on each of the two CPUs holding the PCID: {s:?}");
    assert_eq!(s.ipis, 1, "{s:?}");
    assert_eq!(s.entries, 2 * 2 * 2, "two pages in the L1 DTLB and the STLB of two CPUs: {s:?}");
    // One page more of span and it is a full flush.
    let (s, _) = unmap_pages(&[0, 33]);
    assert_eq!((s.invlpg, s.full), (0, 2), "{s:?}");
}
