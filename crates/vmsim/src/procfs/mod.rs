//! `/proc` views in Linux's exact formats (fs/proc/meminfo.c, mm/vmstat.c, fs/proc/task_mmu.c; SPEC §15).

pub mod meminfo;
pub mod vmstat;
