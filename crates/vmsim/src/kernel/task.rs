//! Tasks (`struct task_struct`, include/linux/sched.h): a thread of execution with its pid, its thread group,
//! the address space it runs in, its fault counters and its state. Several tasks may share one mm (threads);
//! the mm itself lives in the kernel's mm arena (kernel/mm.rs), never inside a task.

use crate::kernel::cpu::CpuId;
use crate::kernel::memcontrol::MemcgId;
use crate::kernel::mm::MmCounters;
use crate::kernel::signal::SegvInfo;
use crate::phys::rmap::MmId;
use serde::Serialize;

/// A task id (`task->pid`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct Pid(pub u32);

/// Per-task counters (`task->min_flt`, `task->maj_flt`; what getrusage reports for a thread).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounters {
    /// `min_flt` (getrusage `ru_minflt`).
    pub min_flt: u64,
    /// `maj_flt` (getrusage `ru_majflt`).
    pub maj_flt: u64,
}

/// Whether a task is alive, and if not, how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Running (or runnable).
    Running,
    /// Called exit.
    Exited,
    /// Killed by SIGSEGV.
    Segv(SegvInfo),
    /// Killed because memory ran out.
    OutOfMemory,
}

/// A task.
#[derive(Debug)]
pub struct Task {
    /// Task id.
    pub pid: Pid,
    /// Thread-group id (the pid of the group leader; equal to `pid` for a single-threaded process).
    pub tgid: Pid,
    /// Name (`comm`).
    pub name: String,
    /// The address space it runs in; `None` after exit.
    pub mm: Option<MmId>,
    /// The CPU it runs on.
    pub cpu: CpuId,
    /// Its memory group (`task_css_set(task)->memory`).
    pub memcg: MemcgId,
    /// Fault counters.
    pub counters: TaskCounters,
    /// State, with the signal that ended it if any.
    pub state: TaskState,
    /// The mm's counters when the task's mm went away, kept for reports.
    pub final_mm: MmCounters,
    /// The task that forked or cloned it (`real_parent`); `None` for tasks started at boot.
    pub parent: Option<Pid>,
    /// Whether its parent has collected its exit status (`wait4`); an exited task not yet reaped is a zombie.
    pub reaped: bool,
    /// Its user id; 0 (root) has `CAP_SYS_ADMIN` (skips the overcommit admin reserve).
    pub uid: u32,
    /// `oom_score_adj`, −1000..=1000 (−1000: never chosen by the OOM killer). Shared by the thread group in Linux
    /// (`signal->oom_score_adj`); set per process here and inherited by fork and threads.
    pub oom_score_adj: i32,
}

impl Task {
    /// Whether the task can still run.
    pub fn is_running(&self) -> bool {
        self.state == TaskState::Running
    }
}
