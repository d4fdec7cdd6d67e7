//! CPUs: each has its own MMU (TLBs, paging-structure caches), the task it runs and the address space loaded in
//! CR3, and a small table of recently used address spaces with the PCID each got on this CPU, as Linux keeps it
//! (arch/x86/mm/tlb.c `cpu_tlbstate`, `choose_new_asid`, `switch_mm_irqs_off`; LINUX-VM-SPEC §14).
//!
//! **PCIDs.** Linux does not give an address space one PCID for life. Each CPU has `TLB_NR_DYN_ASIDS` = 6 slots;
//! a slot remembers which mm (by `ctx_id`, a 64-bit number never reused) last used it. Switching to an mm found in
//! a slot reuses that slot's ASID, and its TLB entries survive the switch. An mm not found takes the next slot
//! round-robin, and the ASID is flushed before use (`need_flush`), so entries another mm left under that ASID can
//! never be hit. The hardware PCID is the slot number + 1 (`kern_pcid`), PCID 0 being kept for code that runs
//! without PCIDs. Here an [`MmId`] is that `ctx_id`: ids are handed out in order and never reused.
//!
//! Without PCIDs (`machine.pcid = false`) every switch to another mm flushes all non-global entries (CR3 write).
//!
//! Simplifies: no lazy-TLB mode for kernel threads (they borrow no user mm here); TLB generations (`tlb_gen`) are
//! not needed because every flush reaches every CPU that holds the mm at once (kernel/tlbflush.rs).

use crate::addr::Asid;
use crate::arch::PagingMode;
use crate::kernel::task::Pid;
use crate::mmu::tlb::{TlbConfig, TlbConfigError};
use crate::mmu::Mmu;
use crate::phys::rmap::MmId;
use serde::Serialize;

/// `TLB_NR_DYN_ASIDS` (arch/x86/include/asm/tlbflush.h): address spaces whose TLB entries a CPU keeps across
/// switches.
pub const TLB_NR_DYN_ASIDS: usize = 6;

/// A CPU number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct CpuId(pub u16);

impl CpuId {
    /// As an index into [`Cpus`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Per-CPU counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CpuCounters {
    /// Switches to another task (`nr_switches`).
    pub context_switches: u64,
    /// Switches that loaded another address space (CR3 writes).
    pub mm_switches: u64,
    /// Switches that had to flush the ASID they took (`need_flush` in `switch_mm_irqs_off`), or, without PCIDs,
    /// every switch to another mm.
    pub asid_flushes: u64,
    /// TLB-shootdown IPIs this CPU received (`TLB_REMOTE_SHOOTDOWN` in /proc/interrupts).
    pub shootdowns_received: u64,
}

/// One CPU.
#[derive(Debug)]
pub struct Cpu<M: PagingMode> {
    /// Its number.
    pub id: CpuId,
    /// Its MMU: TLBs, paging-structure caches, walker.
    pub mmu: Mmu<M>,
    /// The task running on it (`current`).
    pub current: Option<Pid>,
    /// The address space in CR3 (`cpu_tlbstate.loaded_mm`).
    pub loaded_mm: Option<MmId>,
    /// The ASID of `loaded_mm` on this CPU (`cpu_tlbstate.loaded_mm_asid`).
    pub loaded_asid: Asid,
    /// `cpu_tlbstate.ctxs`: which mm last used each dynamic ASID slot.
    ctxs: [Option<MmId>; TLB_NR_DYN_ASIDS],
    /// `cpu_tlbstate.next_asid`.
    next_asid: usize,
    /// Counters.
    pub counters: CpuCounters,
}

impl<M: PagingMode> Cpu<M> {
    fn new(id: CpuId, tlb: &TlbConfig) -> Result<Self, TlbConfigError> {
        Ok(Self {
            id,
            mmu: Mmu::new(tlb)?,
            current: None,
            loaded_mm: None,
            loaded_asid: Asid(0),
            ctxs: [None; TLB_NR_DYN_ASIDS],
            next_asid: 0,
            counters: CpuCounters::default(),
        })
    }

    /// The ASID `mm`'s TLB entries carry on this CPU, if any may be cached here: with PCIDs, the slot it holds;
    /// without, ASID 0 while it is loaded.
    pub fn asid_of(&self, mm: MmId, pcid: bool) -> Option<Asid> {
        if pcid {
            self.ctxs.iter().position(|c| *c == Some(mm)).map(kern_pcid)
        } else {
            (self.loaded_mm == Some(mm)).then_some(Asid(0))
        }
    }

    /// `choose_new_asid()`: the slot `mm` already holds, or the next one round-robin, which must be flushed.
    fn choose_new_asid(&mut self, mm: MmId) -> (usize, bool) {
        if let Some(slot) = self.ctxs.iter().position(|c| *c == Some(mm)) {
            return (slot, false);
        }
        let mut slot = self.next_asid;
        self.next_asid += 1;
        if slot >= TLB_NR_DYN_ASIDS {
            slot = 0;
            self.next_asid = 1;
        }
        self.ctxs[slot] = Some(mm);
        (slot, true)
    }
}

/// The PCID of dynamic ASID slot `slot` (`kern_pcid(asid) = asid + 1`).
fn kern_pcid(slot: usize) -> Asid {
    #[allow(clippy::cast_possible_truncation, reason = "slot < TLB_NR_DYN_ASIDS")]
    Asid(slot as u16 + 1)
}

/// Every CPU of the machine.
#[derive(Debug)]
pub struct Cpus<M: PagingMode> {
    cpus: Vec<Cpu<M>>,
    /// Whether CPUs tag TLB entries with PCIDs.
    pub pcid: bool,
    /// The CPU the kernel is running on now: the faulting task's, or the one a system call came from. Flushes
    /// for other CPUs are shootdown IPIs.
    pub this_cpu: CpuId,
}

impl<M: PagingMode> Cpus<M> {
    /// `n` CPUs (at least one) with empty TLBs of the given geometry.
    pub fn new(n: usize, tlb: &TlbConfig, pcid: bool) -> Result<Self, TlbConfigError> {
        let n = n.max(1);
        let cpus = (0..n)
            .map(|i| Cpu::new(CpuId(u16::try_from(i).unwrap_or(u16::MAX)), tlb))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { cpus, pcid, this_cpu: CpuId(0) })
    }

    /// Number of CPUs.
    pub fn len(&self) -> usize {
        self.cpus.len()
    }

    /// Whether there are no CPUs (never: a machine has at least one).
    pub fn is_empty(&self) -> bool {
        self.cpus.is_empty()
    }

    /// One CPU.
    pub fn get(&self, id: CpuId) -> &Cpu<M> {
        &self.cpus[id.index().min(self.cpus.len() - 1)]
    }

    /// One CPU, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: CpuId) -> &mut Cpu<M> {
        let i = id.index().min(self.cpus.len() - 1);
        &mut self.cpus[i]
    }

    /// All CPUs in order.
    pub fn iter(&self) -> impl Iterator<Item = &Cpu<M>> {
        self.cpus.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Cpu<M>> {
        self.cpus.iter_mut()
    }

    /// Run `pid` (of address space `mm`) on `cpu`: `context_switch` → `switch_mm_irqs_off` when the mm changes.
    /// Returns the ASID its translations use there.
    pub fn switch_to(&mut self, cpu: CpuId, pid: Pid, mm: MmId) -> Asid {
        let pcid = self.pcid;
        let c = self.get_mut(cpu);
        if c.current != Some(pid) {
            c.current = Some(pid);
            c.counters.context_switches += 1;
        }
        if c.loaded_mm == Some(mm) {
            return c.loaded_asid;
        }
        c.counters.mm_switches += 1;
        if !pcid {
            // A CR3 write without PCIDs drops every non-global translation.
            if c.loaded_mm.is_some() {
                c.mmu.invalidate_all_non_global();
                c.counters.asid_flushes += 1;
            }
            c.loaded_mm = Some(mm);
            c.loaded_asid = Asid(0);
            return Asid(0);
        }
        let (slot, need_flush) = c.choose_new_asid(mm);
        let asid = kern_pcid(slot);
        if need_flush {
            // What a previous owner of the slot left under this PCID must not be hit.
            c.mmu.invalidate_asid(asid);
            c.counters.asid_flushes += 1;
        }
        c.loaded_mm = Some(mm);
        c.loaded_asid = asid;
        asid
    }

    /// `mm` is gone (exit): CPUs that had it loaded run no user address space until their next switch. Its ASID
    /// slots stay as they are until reused, as in Linux (a dead ctx_id is never matched again).
    pub(crate) fn drop_mm(&mut self, mm: MmId) {
        for c in &mut self.cpus {
            if c.loaded_mm == Some(mm) {
                c.loaded_mm = None;
                c.current = None;
            }
        }
    }

    /// The task `pid` no longer runs on any CPU.
    pub(crate) fn descheduled(&mut self, pid: Pid) {
        for c in &mut self.cpus {
            if c.current == Some(pid) {
                c.current = None;
            }
        }
    }
}
