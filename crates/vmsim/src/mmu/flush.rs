//! TLB flush tokens (SPEC §14; the x86_64 crate's `MapperFlush` and page_table_multiarch's `TlbFlush`).
//!
//! Every function that changes or clears a present PTE returns a [`TlbFlush`]. It is `#[must_use]`, so forgetting
//! the invalidation is a compiler warning (an error in CI). There is deliberately no way to drop it silently.

use crate::addr::{Asid, VirtAddr};
use crate::arch::PagingMode;
use crate::mmu::Mmu;

/// What must be invalidated after a page-table change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Page(Asid, VirtAddr),
    Asid(Asid),
    AllNonGlobal,
}

/// A pending TLB invalidation.
#[must_use = "the old translation may still sit in a TLB: call .flush() or .defer()"]
#[derive(Debug)]
pub struct TlbFlush {
    scope: Scope,
}

impl TlbFlush {
    /// INVLPG for one page of one address space.
    pub(crate) const fn page(asid: Asid, va: VirtAddr) -> Self {
        Self { scope: Scope::Page(asid, va) }
    }
    /// Every non-global entry of one address space.
    pub(crate) const fn asid(asid: Asid) -> Self {
        Self { scope: Scope::Asid(asid) }
    }
    /// Everything except globals.
    pub(crate) const fn all_non_global() -> Self {
        Self { scope: Scope::AllNonGlobal }
    }
    /// Invalidate now.
    pub fn flush<M: PagingMode>(self, mmu: &mut Mmu<M>) {
        match self.scope {
            Scope::Page(asid, va) => mmu.invalidate_page(asid, va),
            Scope::Asid(asid) => mmu.invalidate_asid(asid),
            Scope::AllNonGlobal => mmu.invalidate_all_non_global(),
        }
    }
    /// Add to a batch flushed once at the end of the operation, like `tlb_gather_mmu()`/`tlb_finish_mmu()`
    /// (mm/mmu_gather.c).
    pub fn defer(self, batch: &mut FlushBatch) {
        batch.pending.push(self.scope);
    }
}

/// Linux's range-flush ceiling: up to 33 pages are flushed one INVLPG each, more flush the whole context
/// (`tlb_single_page_flush_ceiling`, arch/x86/mm/tlb.c; SPEC §14).
pub const TLB_SINGLE_PAGE_FLUSH_CEILING: usize = 33;

/// A batch of deferred invalidations (`struct mmu_gather`).
#[must_use = "a deferred flush batch must be finished with .finish()"]
#[derive(Debug, Default)]
pub struct FlushBatch {
    pending: Vec<Scope>,
}

/// What a finished batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushSummary {
    /// Single-page invalidations issued.
    pub invlpg: u64,
    /// Whole-context flushes issued.
    pub full: u64,
}

impl FlushBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }
    /// Issue the batched invalidations: per page up to the ceiling, else one flush per address space.
    pub fn finish<M: PagingMode>(self, mmu: &mut Mmu<M>) -> FlushSummary {
        let mut s = FlushSummary::default();
        let pages = self.pending.iter().filter(|p| matches!(p, Scope::Page(..))).count();
        if pages > TLB_SINGLE_PAGE_FLUSH_CEILING {
            let mut asids: Vec<Asid> = self
                .pending
                .iter()
                .filter_map(|p| match p {
                    Scope::Page(a, _) | Scope::Asid(a) => Some(*a),
                    Scope::AllNonGlobal => None,
                })
                .collect();
            asids.sort_unstable();
            asids.dedup();
            for a in asids {
                TlbFlush::asid(a).flush(mmu);
                s.full += 1;
            }
            if self.pending.contains(&Scope::AllNonGlobal) {
                TlbFlush::all_non_global().flush(mmu);
                s.full += 1;
            }
        } else {
            for scope in self.pending {
                if matches!(scope, Scope::Page(..)) {
                    s.invlpg += 1;
                } else {
                    s.full += 1;
                }
                TlbFlush { scope }.flush(mmu);
            }
        }
        s
    }
}
