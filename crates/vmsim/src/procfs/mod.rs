//! `/proc` views in Linux's exact formats (fs/proc/meminfo.c, mm/vmstat.c, fs/proc/task_mmu.c; SPEC §15).

pub mod meminfo;
pub mod smaps;
pub mod status;
pub mod vmstat;

/// A /proc file the model can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcFile {
    /// `/proc/meminfo`.
    Meminfo,
    /// `/proc/vmstat`.
    Vmstat,
    /// `/proc/PID/status` of one task, or (`None`) of every process (thread-group leader).
    Status(Option<u32>),
    /// `/proc/PID/smaps`, of one task or of every process.
    Smaps(Option<u32>),
    /// `/proc/PID/smaps_rollup`, of one task or of every process.
    SmapsRollup(Option<u32>),
    /// `/proc/PID/oom_score` (`proc_oom_score`), of one task or of every process.
    OomScore(Option<u32>),
    /// `/proc/PID/oom_score_adj`, of one task or of every process.
    OomScoreAdj(Option<u32>),
    /// `/sys/kernel/mm/ksm/*`.
    Ksm,
    /// `/sys/kernel/debug/zswap/*`.
    Zswap,
    /// Every memory group's `memory.events`.
    MemoryEvents,
    /// `/proc/buddyinfo`.
    Buddyinfo,
    /// `/proc/pagetypeinfo`.
    Pagetypeinfo,
    /// debugfs `extfrag/extfrag_index`.
    ExtfragIndex,
    /// debugfs `extfrag/unusable_index`.
    UnusableIndex,
}
