//! The MMU: TLB lookup, page walk, permission checks and A/D updates (SDM Vol 3A §4.5–§4.10; LINUX-VM-SPEC §2, §14).
//!
//! [`Mmu::translate`] returns an [`Outcome`]: a TLB hit, a completed walk, or a [`Fault`] with its precise cause.
//! Faults are values, not Rust errors: the kernel model decides what they mean.
//!
//! One `Mmu` per simulated CPU (kernel/cpu.rs); the kernel's TLB flushes reach it through kernel/tlbflush.rs.
//!
//! Simplifies: supervisor accesses to user pages are allowed (no SMAP/SMEP); CR0.WP = 1 (supervisor
//! writes to read-only pages fault, as on Linux); no protection keys. A write that hits a TLB entry cached before
//! the page was dirty re-walks to set D, as the hardware's dirty-bit assist does, and counts as a walk.

pub mod psc;
pub mod tlb;
pub mod walk;

use crate::addr::{Asid, Pfn, PhysAddr, VirtAddr};
use crate::arch::{Level, PagingMode, Perms};
use crate::phys::PhysMem;
use psc::Psc;
use serde::Serialize;
use std::marker::PhantomData;
use tlb::{TlbConfig, TlbConfigError, TlbEntry, TlbHierarchy, TlbLookup};
pub use walk::{walk, WalkObserver, WalkStep};

/// Kind of memory access.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Access {
    /// Data load.
    Read,
    /// Data store.
    Write,
    /// Instruction fetch.
    Fetch,
}

impl Access {
    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Fetch => "exec",
        }
    }
}

/// Privilege level of the access.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mode {
    /// CPL 3.
    User,
    /// CPL 0.
    Supervisor,
}

/// The page tables the MMU walks: CR3 (root table frame) and the PCID/ASID tag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AddressSpace {
    /// Frame of the root table (CR3 bits 51..12).
    pub root: Pfn,
    /// PCID tagging this space's TLB entries.
    pub asid: Asid,
}

/// Why a translation failed. `#PF` error-code equivalents per SDM 3A §4.7 (SPEC §2.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    /// Not canonical: #GP on x86, not #PF (SDM 3A §3.3.7.1).
    NonCanonical {
        /// Faulting address.
        va: VirtAddr,
    },
    /// P = 0 at `level` (error code P = 0).
    NotPresent {
        /// Faulting address (CR2).
        va: VirtAddr,
        /// Level whose entry was not present.
        level: Level,
    },
    /// Write to a page whose R/W is 0 at some level (P = 1, W = 1).
    WriteToReadOnly {
        /// Faulting address.
        va: VirtAddr,
    },
    /// User-mode access to a page whose U/S is 0 at some level (P = 1, U = 1).
    UserToSupervisor {
        /// Faulting address.
        va: VirtAddr,
    },
    /// Instruction fetch from a page with XD = 1 at some level (P = 1, I = 1).
    ExecuteNx {
        /// Faulting address.
        va: VirtAddr,
    },
}

impl Fault {
    /// The faulting address.
    pub const fn va(self) -> VirtAddr {
        match self {
            Fault::NonCanonical { va }
            | Fault::NotPresent { va, .. }
            | Fault::WriteToReadOnly { va }
            | Fault::UserToSupervisor { va }
            | Fault::ExecuteNx { va } => va,
        }
    }
    /// Whether the entry was present (x86 error-code bit 0).
    pub const fn is_protection(self) -> bool {
        !matches!(self, Fault::NotPresent { .. } | Fault::NonCanonical { .. })
    }
    /// A one-line description.
    pub fn describe(self) -> String {
        match self {
            Fault::NonCanonical { va } => format!("non-canonical address {:#x} (#GP)", va.raw()),
            Fault::NotPresent { va, level } => format!("page not present at {:#x} (level {})", va.raw(), level.0),
            Fault::WriteToReadOnly { va } => format!("write to read-only page at {:#x}", va.raw()),
            Fault::UserToSupervisor { va } => format!("user access to supervisor page at {:#x}", va.raw()),
            Fault::ExecuteNx { va } => format!("instruction fetch from NX page at {:#x}", va.raw()),
        }
    }
}

/// Which TLB level answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TlbLevel {
    /// L1 DTLB or ITLB.
    L1,
    /// Second-level (unified) TLB.
    Stlb,
}

/// The result of one translation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Translated by a TLB.
    TlbHit {
        /// Physical address.
        pa: PhysAddr,
        /// Which TLB.
        level: TlbLevel,
    },
    /// Translated by a page walk.
    Walked {
        /// Physical address.
        pa: PhysAddr,
        /// Page-table entries read from memory.
        mem_refs: u8,
    },
    /// Translation failed.
    Fault(Fault),
}

impl Outcome {
    /// The physical address, if translated.
    pub const fn pa(self) -> Option<PhysAddr> {
        match self {
            Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. } => Some(pa),
            Outcome::Fault(_) => None,
        }
    }
}

/// Walk counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WalkStats {
    /// Page walks started (TLB misses plus dirty-bit assists).
    pub count: u64,
    /// Page-table entries read from memory by walks.
    pub memory_refs: u64,
    /// Walk references saved by paging-structure-cache hits.
    pub psc_hits: u64,
}

/// One CPU's MMU for paging mode `M`.
#[derive(Debug)]
pub struct Mmu<M: PagingMode> {
    tlb: TlbHierarchy,
    psc: Psc,
    walks: WalkStats,
    mode: PhantomData<M>,
}

/// Check an access against effective permissions (SDM 3A §4.6). Order: U/S, then R/W, then XD.
#[inline]
pub fn check_access(va: VirtAddr, perms: Perms, access: Access, mode: Mode) -> Option<Fault> {
    if mode == Mode::User && !perms.contains(Perms::USER) {
        return Some(Fault::UserToSupervisor { va });
    }
    match access {
        Access::Write if !perms.contains(Perms::WRITE) => Some(Fault::WriteToReadOnly { va }),
        Access::Fetch if !perms.contains(Perms::EXEC) => Some(Fault::ExecuteNx { va }),
        _ => None,
    }
}

impl<M: PagingMode> Mmu<M> {
    /// An MMU with empty TLBs of the given geometry.
    pub fn new(cfg: &TlbConfig) -> Result<Self, TlbConfigError> {
        Ok(Self {
            tlb: TlbHierarchy::new(cfg)?,
            psc: Psc::new(&cfg.psc)?,
            walks: WalkStats::default(),
            mode: PhantomData,
        })
    }

    /// Translate `va` for `access` in `mode` (the hardware's job: TLB, then walk; SDM 3A §4.10.2).
    #[inline(always)]
    pub fn translate(
        &mut self,
        mem: &mut PhysMem,
        space: AddressSpace,
        va: VirtAddr,
        access: Access,
        mode: Mode,
    ) -> Outcome {
        self.translate_with(mem, space, va, access, mode, &mut ())
    }

    /// [`Mmu::translate`], reporting each PTE the walker reads or writes to `obs` (the data caches, when modelled:
    /// the walker's references go through them; crate::cache). A TLB hit reads no PTE.
    #[inline(always)]
    pub fn translate_with<O: WalkObserver>(
        &mut self,
        mem: &mut PhysMem,
        space: AddressSpace,
        va: VirtAddr,
        access: Access,
        mode: Mode,
        obs: &mut O,
    ) -> Outcome {
        let fetch = access == Access::Fetch;
        let hit = match self.tlb.lookup(space.asid, va.vpn(), fetch) {
            TlbLookup::L1(e) => Some((e, TlbLevel::L1)),
            TlbLookup::Stlb(e) => Some((e, TlbLevel::Stlb)),
            TlbLookup::Miss => None,
        };
        if let Some((e, level)) = hit {
            if let Some(f) = check_access(va, e.perms, access, mode) {
                // SDM 3A §4.10.4.1: a page fault invalidates the TLB entries for the faulting address.
                self.tlb.invalidate_page(space.asid, va.vpn());
                return Outcome::Fault(f);
            }
            if access != Access::Write || e.perms.contains(Perms::DIRTY) {
                return Outcome::TlbHit { pa: PhysAddr::from_parts(e.pfn, va.page_offset()), level };
            }
            // Dirty-bit assist: the cached entry predates the first write; walk again to set D in memory.
            return self.walk(mem, space, va, access, mode, obs, false);
        }
        self.walk(mem, space, va, access, mode, obs, true)
    }

    /// Translate without consulting the TLB, reporting each step to `obs` (for `vmsim translate`).
    pub fn walk_and_fill<O: WalkObserver>(
        &mut self,
        mem: &mut PhysMem,
        space: AddressSpace,
        va: VirtAddr,
        access: Access,
        mode: Mode,
        obs: &mut O,
    ) -> Outcome {
        self.walk(mem, space, va, access, mode, obs, false)
    }

    /// The walk; `tlb_missed` says the TLB holds no entry for `va` (a lookup just missed), so the fill need not
    /// search for one to replace.
    #[allow(clippy::too_many_arguments, reason = "the translate arguments plus two walk options")]
    fn walk<O: WalkObserver>(
        &mut self,
        mem: &mut PhysMem,
        space: AddressSpace,
        va: VirtAddr,
        access: Access,
        mode: Mode,
        obs: &mut O,
        tlb_missed: bool,
    ) -> Outcome {
        if !M::is_canonical(va) {
            return Outcome::Fault(Fault::NonCanonical { va });
        }
        self.walks.count += 1;
        let start = self.psc.lookup(space.asid, va, M::LEVELS);
        let w = walk::<M, O>(mem, space.root, va, start, obs);
        self.walks.memory_refs += u64::from(w.mem_refs);
        if start.is_some() {
            self.walks.psc_hits += 1;
        }
        for &(level, table) in w.tables.iter().take(w.tables_len) {
            self.psc.insert_after_miss(space.asid, va, level, table);
        }
        let leaf = match w.result {
            Ok(leaf) => leaf,
            Err(level) => {
                self.tlb.invalidate_page(space.asid, va.vpn());
                return Outcome::Fault(Fault::NotPresent { va, level });
            }
        };
        if let Some(f) = check_access(va, leaf.perms, access, mode) {
            self.tlb.invalidate_page(space.asid, va.vpn());
            return Outcome::Fault(f);
        }
        // SDM 3A §4.8: set A in every entry used and D in the leaf on a write, in memory (locked update).
        walk::set_accessed_dirty::<M, O>(mem, &w, access == Access::Write, obs);
        let mut perms = leaf.perms | Perms::ACCESSED;
        if access == Access::Write {
            perms |= Perms::DIRTY;
        }
        let entry = TlbEntry { vpn: va.vpn(), pfn: leaf.pfn, perms, asid: space.asid };
        if tlb_missed && !perms.contains(Perms::GLOBAL) {
            self.tlb.fill_after_miss(entry, access == Access::Fetch);
        } else {
            self.tlb.fill(entry, access == Access::Fetch);
        }
        Outcome::Walked { pa: PhysAddr::from_parts(leaf.pfn, va.page_offset()), mem_refs: w.mem_refs }
    }

    /// INVLPG: drop the translation of one page (and the paging-structure caches' entries for it). Returns the
    /// number of TLB entries dropped.
    pub(crate) fn invalidate_page(&mut self, asid: Asid, va: VirtAddr) -> usize {
        let n = self.tlb.invalidate_page(asid, va.vpn());
        self.psc.invalidate_page(asid, va);
        n
    }

    /// Drop every non-global translation of one address space (INVPCID single-context). Returns the number of TLB
    /// entries dropped.
    pub(crate) fn invalidate_asid(&mut self, asid: Asid) -> usize {
        let n = self.tlb.invalidate_asid(asid);
        self.psc.invalidate_asid(asid);
        n
    }

    /// Drop the paging-structure-cache entries of `asid` after page tables under `[start, end)` were freed (the
    /// leaf translations there were already invalidated when the entries were cleared). INVLPG drops every
    /// paging-structure-cache entry of the PCID whatever the address (SDM 3A §4.10.4.1), so the range does not
    /// narrow it.
    pub(crate) fn invalidate_tables(&mut self, asid: Asid, start: VirtAddr, end: VirtAddr) {
        let _ = (start, end);
        self.psc.invalidate_asid(asid);
    }

    /// Drop everything except global entries (CR3 write without PCID).
    pub(crate) fn invalidate_all_non_global(&mut self) -> usize {
        let n = self.tlb.invalidate_all_non_global();
        self.psc.invalidate_all();
        n
    }

    /// TLB counters per level.
    pub fn tlb_stats(&self) -> tlb::TlbStats {
        *self.tlb.stats()
    }

    /// Walk counters.
    pub fn walk_stats(&self) -> WalkStats {
        self.walks
    }
}
