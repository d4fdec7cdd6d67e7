//! TLB flush tokens and shootdowns (arch/x86/mm/tlb.c `flush_tlb_mm_range`, `native_flush_tlb_multi`;
//! mm/mmu_gather.c; LINUX-VM-SPEC §14; the x86_64 crate's `MapperFlush` and page_table_multiarch's `TlbFlush`).
//!
//! Every page-table operation that changes or clears a present entry returns a [`TlbFlush`] (kernel/pgtable.rs
//! is the only code that writes entries). It is `#[must_use]`, so forgetting the invalidation is a compiler
//! warning (an error in CI); there is deliberately no way to drop it silently. A flush names an address space and
//! a range, never a CPU or an ASID: [`TlbFlush::flush`] finds every CPU whose TLB may hold the mm (the CPUs whose
//! ASID table has it, Linux's `mm_cpumask`) and invalidates there. A CPU other than the one the kernel runs on
//! that has the mm loaded is sent a shootdown IPI; a CPU that merely keeps the mm's ASID in its table is
//! invalidated without one (Linux defers that work to the CPU's next switch to the mm, through `tlb_gen`; doing
//! it at once gives the same translations).

use crate::addr::{Asid, VirtAddr};
use crate::arch::{PageSizeKind, PagingMode};
use crate::kernel::cpu::Cpus;
use crate::phys::rmap::MmId;

/// What must be invalidated after a page-table change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Nothing (the entry changed was not present).
    Nothing,
    /// One leaf translation of the given size (INVLPG).
    Page(MmId, VirtAddr, PageSizeKind),
    /// Paging-structure-cache entries for freed tables (`tlb->freed_tables`): the range `[start, end)` the gather
    /// records for them and its stride shift (see `pgtable::free_empty_tables`).
    Tables(MmId, VirtAddr, VirtAddr, u32),
    /// Every translation of the address space (INVPCID single-context).
    Mm(MmId),
}

impl Scope {
    fn mm(self) -> Option<MmId> {
        match self {
            Scope::Nothing => None,
            Scope::Page(mm, ..) | Scope::Tables(mm, ..) | Scope::Mm(mm) => Some(mm),
        }
    }
}

/// A pending TLB invalidation.
#[must_use = "the old translation may still sit in a TLB: call .flush() or .defer()"]
#[derive(Debug, PartialEq, Eq)]
pub struct TlbFlush {
    scope: Scope,
}

/// What a flush did, summed over CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushSummary {
    /// Single-page invalidations issued (one per page per CPU).
    pub invlpg: u64,
    /// Whole-address-space flushes issued (one per CPU).
    pub full: u64,
    /// Shootdown IPIs sent to other CPUs.
    pub ipis: u64,
    /// TLB entries dropped, over all CPUs and TLB levels.
    pub entries: u64,
}

impl FlushSummary {
    fn add(&mut self, o: FlushSummary) {
        self.invlpg += o.invlpg;
        self.full += o.full;
        self.ipis += o.ipis;
        self.entries += o.entries;
    }
}

impl TlbFlush {
    /// No invalidation needed (the entry was not present).
    pub(crate) const fn nothing() -> Self {
        Self { scope: Scope::Nothing }
    }
    /// One leaf translation of `mm`.
    pub(crate) const fn page(mm: MmId, va: VirtAddr, size: PageSizeKind) -> Self {
        Self { scope: Scope::Page(mm, va, size) }
    }
    /// The paging-structure caches' view of freed tables, gathered as `[start, end)` with stride `1 << shift`.
    pub(crate) const fn tables(mm: MmId, start: VirtAddr, end: VirtAddr, shift: u32) -> Self {
        Self { scope: Scope::Tables(mm, start, end, shift) }
    }
    /// Every translation of `mm`.
    pub(crate) const fn mm(mm: MmId) -> Self {
        Self { scope: Scope::Mm(mm) }
    }
    /// This invalidation is part of a whole-mm flush of `mm` the caller issues anyway (`dup_mmap`'s
    /// `flush_tlb_mm(oldmm)` covers every PTE fork write-protected). Debug builds check that it concerns `mm`.
    pub(crate) fn covered_by(self, mm: MmId) {
        debug_assert!(self.scope.mm().is_none_or(|m| m == mm), "{:?} is not covered by a flush of {mm:?}", self.scope);
    }

    /// Whether nothing needs invalidating.
    pub fn is_nothing(&self) -> bool {
        self.scope == Scope::Nothing
    }

    /// Invalidate now on every CPU that may cache the translation.
    pub fn flush<M: PagingMode>(self, cpus: &mut Cpus<M>) -> FlushSummary {
        apply(cpus, self.scope)
    }

    /// Add to a batch flushed once at the end of the operation, like `tlb_gather_mmu()`/`tlb_finish_mmu()`
    /// (mm/mmu_gather.c).
    pub fn defer(self, batch: &mut FlushBatch) {
        if self.scope != Scope::Nothing {
            batch.pending.push(self.scope);
        }
    }
}

/// Issue one scope on every CPU that may hold the mm's translations.
fn apply<M: PagingMode>(cpus: &mut Cpus<M>, scope: Scope) -> FlushSummary {
    match scope.mm() {
        Some(mm) => apply_all(cpus, mm, std::iter::once(scope)),
        None => FlushSummary::default(),
    }
}

/// Issue scopes of one mm on every CPU that may hold its translations: one shootdown IPI to each other CPU that has
/// the mm loaded, carrying them all.
fn apply_all<M: PagingMode>(cpus: &mut Cpus<M>, mm: MmId, scopes: impl Iterator<Item = Scope> + Clone) -> FlushSummary {
    let mut s = FlushSummary::default();
    let (pcid, this) = (cpus.pcid, cpus.this_cpu);
    for cpu in cpus.iter_mut() {
        let Some(asid) = cpu.asid_of(mm, pcid) else { continue };
        if cpu.id != this && cpu.loaded_mm == Some(mm) {
            s.ipis += 1;
            cpu.counters.shootdowns_received += 1;
        }
        for scope in scopes.clone() {
            invalidate(&mut cpu.mmu, asid, scope, &mut s);
        }
    }
    s
}

fn invalidate<M: PagingMode>(mmu: &mut crate::mmu::Mmu<M>, asid: Asid, scope: Scope, s: &mut FlushSummary) {
    match scope {
        Scope::Nothing => {}
        Scope::Page(_, va, size) => {
            // A large page is dropped by one INVLPG of any address inside it; the model's TLBs hold 4 KiB
            // translations, so every 4 KiB piece is dropped.
            let pages = 1u64 << (size.shift() - PageSizeKind::Size4K.shift());
            for i in 0..pages {
                let n = mmu.invalidate_page(asid, VirtAddr::new(va.raw() + (i << PageSizeKind::Size4K.shift())));
                s.entries += n as u64;
            }
            s.invlpg += 1;
        }
        Scope::Tables(_, start, end, _) => {
            mmu.invalidate_tables(asid, start, end);
            s.invlpg += 1;
        }
        Scope::Mm(_) => {
            s.entries += mmu.invalidate_asid(asid) as u64;
            s.full += 1;
        }
    }
}

/// Linux's range-flush ceiling: a gathered range of up to 33 pages is flushed one INVLPG per page, a longer one
/// flushes the whole context (`tlb_single_page_flush_ceiling`, arch/x86/mm/tlb.c; SPEC §14).
pub const TLB_SINGLE_PAGE_FLUSH_CEILING: usize = 33;

/// A batch of deferred invalidations (`struct mmu_gather`).
#[must_use = "a deferred flush batch must be finished with .finish()"]
#[derive(Debug, Default)]
pub struct FlushBatch {
    pending: Vec<Scope>,
}

/// The range an mmu_gather accumulated for one mm: `__tlb_adjust_range()` (include/asm-generic/tlb.h) keeps the
/// lowest start and highest end of everything cleared, and `tlb_get_unmap_shift()` the smallest level cleared
/// (`cleared_ptes` before `cleared_pmds`, `cleared_puds`, `cleared_p4ds`).
#[derive(Debug, Clone, Copy)]
struct Gathered {
    start: u64,
    end: u64,
    shift: u32,
    /// `tlb->fullmm` / `need_flush_all`: a whole-mm flush was asked for.
    all: bool,
}

impl Gathered {
    fn of(scopes: &[Scope]) -> Option<Self> {
        let mut g: Option<Gathered> = None;
        for &scope in scopes {
            let (start, end, shift, all) = match scope {
                Scope::Nothing => continue,
                Scope::Page(_, va, size) => (va.raw(), va.raw() + (1u64 << size.shift()), size.shift(), false),
                Scope::Tables(_, start, end, shift) => (start.raw(), end.raw(), shift, false),
                Scope::Mm(_) => (0, 0, PageSizeKind::Size4K.shift(), true),
            };
            g = Some(match g {
                None => Gathered { start, end, shift, all },
                Some(g) if all || g.all => Gathered { all: true, ..g },
                Some(g) => {
                    Gathered { start: g.start.min(start), end: g.end.max(end), shift: g.shift.min(shift), all: false }
                }
            });
        }
        g
    }

    /// `flush_tlb_mm_range()`: `(end - start) >> stride_shift > tlb_single_page_flush_ceiling` (or
    /// `end == TLB_FLUSH_ALL`) flushes the whole mm. The span counts every page between the lowest and the highest
    /// address gathered, cleared or not: a sparse zap whose span exceeds the ceiling is one full flush.
    fn needs_full_flush(&self) -> bool {
        self.all || (self.end - self.start) >> self.shift > TLB_SINGLE_PAGE_FLUSH_CEILING as u64
    }

    /// The INVLPGs of a partial flush: `flush_tlb_func()` loops `addr` from `start` while `addr < end` by
    /// `1 << stride_shift`, one `flush_tlb_one_user(addr)` each.
    fn invlpgs(&self) -> u64 {
        (self.end - self.start).div_ceil(1u64 << self.shift)
    }
}

impl FlushBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Issue the batched invalidations, one `flush_tlb_mm_range()` per mm (`tlb_flush_mmu()`, in the order the
    /// mms were first gathered): one IPI per remote CPU that has the mm loaded, then per CPU either one INVLPG per
    /// page of the gathered span or, when the span exceeds the ceiling, one flush of the mm's whole context.
    pub fn finish<M: PagingMode>(self, cpus: &mut Cpus<M>) -> FlushSummary {
        let mut s = FlushSummary::default();
        let mut mms: Vec<MmId> = Vec::new();
        for mm in self.pending.iter().filter_map(|p| p.mm()) {
            if !mms.contains(&mm) {
                mms.push(mm);
            }
        }
        for mm in mms {
            let scopes: Vec<Scope> = self.pending.iter().copied().filter(|p| p.mm() == Some(mm)).collect();
            let Some(g) = Gathered::of(&scopes) else { continue };
            if g.needs_full_flush() {
                s.add(apply(cpus, Scope::Mm(mm)));
            } else {
                s.add(flush_range(cpus, mm, &scopes, g));
            }
        }
        s
    }
}

/// A partial `flush_tlb_mm_range()` of one mm on every CPU that may hold it. Each INVLPG drops the translation of
/// the page holding its address (every 4 KiB piece of a large page the model's TLBs hold) and, on x86, every
/// paging-structure-cache entry of the PCID (Intel SDM Vol 3A §4.10.4.1), which covers freed tables.
fn flush_range<M: PagingMode>(cpus: &mut Cpus<M>, mm: MmId, scopes: &[Scope], g: Gathered) -> FlushSummary {
    let mut s = FlushSummary::default();
    let (pcid, this) = (cpus.pcid, cpus.this_cpu);
    let small = PageSizeKind::Size4K.shift();
    for cpu in cpus.iter_mut() {
        let Some(asid) = cpu.asid_of(mm, pcid) else { continue };
        if cpu.id != this && cpu.loaded_mm == Some(mm) {
            s.ipis += 1;
            cpu.counters.shootdowns_received += 1;
        }
        let mut scratch = FlushSummary::default();
        for &scope in scopes {
            invalidate(&mut cpu.mmu, asid, scope, &mut scratch);
        }
        if g.shift == small {
            // The INVLPGs between the gathered pages drop whatever those pages still have cached too.
            let mut va = g.start;
            while va < g.end {
                scratch.entries += cpu.mmu.invalidate_page(asid, VirtAddr::new(va)) as u64;
                va += 1 << small;
            }
        }
        s.entries += scratch.entries;
        s.invlpg += g.invlpgs();
    }
    s
}
