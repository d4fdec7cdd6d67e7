//! Processes and their address spaces (`struct task_struct`, `struct mm_struct`).

use crate::addr::VirtAddr;
use crate::kernel::signal::SegvInfo;
use crate::kernel::vma::VmaTree;
use crate::mmu::AddressSpace;
use crate::phys::rmap::MmId;
use serde::Serialize;

/// A process id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct Pid(pub u32);

/// Per-mm RSS counters (`mm->rss_stat`, include/linux/mm_types_task.h) and fault counts (`task->min_flt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MmCounters {
    /// `MM_ANONPAGES`: resident anonymous pages (the zero page is not counted).
    pub anon_pages: u64,
    /// `MM_SWAPENTS`: swap entries in the page tables.
    pub swap_ents: u64,
    /// Page-table frames of this mm (`mm_pgtables_bytes / PAGE_SIZE`).
    pub pgtable_frames: u64,
    /// `min_flt` (getrusage `ru_minflt`).
    pub min_flt: u64,
    /// `maj_flt` (getrusage `ru_majflt`).
    pub maj_flt: u64,
    /// Peak `anon_pages` (VmHWM, in pages).
    pub hiwater_rss: u64,
}

/// An address space.
#[derive(Debug)]
pub struct Mm {
    /// Identity used by the reverse map.
    pub id: MmId,
    /// CR3 and PCID.
    pub space: AddressSpace,
    /// The VMAs.
    pub vmas: VmaTree,
    /// `mm->start_brk`.
    pub start_brk: VirtAddr,
    /// `mm->brk`.
    pub brk: VirtAddr,
    /// Top-down mmap allocations start below this (`mm->mmap_base`).
    pub mmap_base: VirtAddr,
    /// `RLIMIT_STACK` in bytes.
    pub stack_limit: u64,
    /// Counters.
    pub counters: MmCounters,
    /// Memory group (0: the root; see kernel/memcontrol.rs).
    pub memcg: u32,
}

/// Whether a process is alive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Running.
    Running,
    /// Called exit.
    Exited,
    /// Killed by SIGSEGV.
    Segv(SegvInfo),
    /// Killed because memory ran out.
    OutOfMemory,
}

/// A process.
#[derive(Debug)]
pub struct Process {
    /// Process id.
    pub pid: Pid,
    /// Name (`comm`).
    pub name: String,
    /// Its address space while it runs; `None` after exit (memory freed).
    pub mm: Option<Mm>,
    /// Final counters, kept after exit for reporting.
    pub final_counters: MmCounters,
    /// State.
    pub state: ProcState,
}

impl Process {
    /// Counters, live or final.
    pub fn counters(&self) -> MmCounters {
        self.mm.as_ref().map_or(self.final_counters, |m| m.counters)
    }
    /// Whether the process can still run.
    pub fn is_running(&self) -> bool {
        self.state == ProcState::Running
    }
}
