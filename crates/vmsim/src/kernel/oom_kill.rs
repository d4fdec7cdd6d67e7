//! The OOM killer (mm/oom_kill.c `out_of_memory`, `select_bad_process`, `oom_evaluate_task`, `oom_badness`,
//! `oom_kill_process`, `__oom_kill_process`; fs/proc/base.c `proc_oom_score`; mm/memcontrol.c
//! `mem_cgroup_out_of_memory`; LINUX-VM-SPEC §8).
//!
//! When reclaim cannot free a frame (RAM full, swap full or absent, nothing clean to drop), the allocator calls
//! [`Kernel::out_of_memory`]: every process is scored by `oom_badness` (RSS + swap entries + page-table pages,
//! plus `oom_score_adj` thousandths of all memory), the highest score is killed with SIGKILL (ties go to the later
//! process, as `oom_evaluate_task` keeps `points >= chosen_points`), its memory is freed at once (Linux's OOM
//! reaper frees the anonymous memory asynchronously; exit frees the rest), and the allocation is retried. A
//! group at its `memory.max` with nothing reclaimable runs the same selection over its own tasks, with the group
//! limit (plus swap) as `totalpages`. Each kill is logged in the kernel's words.
//!
//! Simplifies: no `oom_kill_allocating_task`, `panic_on_oom` or cpuset/mempolicy constraints; a process whose
//! `oom_score_adj` is −1000 is never chosen, and when no process can be chosen the allocating task's fault fails
//! (Linux would panic with "System is deadlocked on memory").

use super::memcontrol::MemcgId;
use super::overcommit::sat_i64;
use super::task::{Pid, TaskState};
use super::{Event, Kernel};
use crate::addr::PAGE_SIZE;
use crate::arch::PagingMode;
use serde::Serialize;

/// `OOM_SCORE_ADJ_MIN` (include/uapi/linux/oom.h): never killed.
pub const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// `OOM_SCORE_ADJ_MAX`.
pub const OOM_SCORE_ADJ_MAX: i32 = 1000;

/// One OOM kill, with the figures of the kernel's log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OomKill {
    /// The victim.
    pub pid: Pid,
    /// Its `comm`.
    pub name: String,
    /// The task whose allocation invoked the OOM killer.
    pub invoked_by: Option<Pid>,
    /// The group whose `memory.max` was hit, or `None` for a global OOM.
    pub memcg: Option<MemcgId>,
    /// Its `oom_badness` points when chosen.
    pub points: i64,
    /// `total-vm` in kB.
    pub total_vm_kb: u64,
    /// `anon-rss` in kB.
    pub anon_rss_kb: u64,
    /// `file-rss` in kB.
    pub file_rss_kb: u64,
    /// `shmem-rss` in kB.
    pub shmem_rss_kb: u64,
    /// `UID`.
    pub uid: u32,
    /// `pgtables` in kB.
    pub pgtables_kb: u64,
    /// `oom_score_adj`.
    pub oom_score_adj: i32,
    /// Simulated time of the kill, in picoseconds.
    pub time_ps: u64,
}

impl std::fmt::Display for OomKill {
    /// `__oom_kill_process()`'s line: `"%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB,
    /// shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd"`, with "Out of memory" or "Memory cgroup out of
    /// memory" as the message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = if self.memcg.is_some() { "Memory cgroup out of memory" } else { "Out of memory" };
        write!(
            f,
            "{message}: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:{}kB, shmem-rss:{}kB, UID:{} \
             pgtables:{}kB oom_score_adj:{}",
            self.pid.0,
            self.name,
            self.total_vm_kb,
            self.anon_rss_kb,
            self.file_rss_kb,
            self.shmem_rss_kb,
            self.uid,
            self.pgtables_kb,
            self.oom_score_adj
        )
    }
}

/// The OOM killer's record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OomState {
    /// Every kill, in order.
    pub kills: Vec<OomKill>,
    /// Times the OOM killer ran and found nothing it could kill.
    pub no_victim: u64,
    /// Victims that were the allocating task: they die on the way back to user space (`tsk_is_oom_victim`).
    #[serde(skip)]
    pub pending: std::collections::BTreeSet<Pid>,
}

/// `oom_badness()` from its inputs: `None` is `LONG_MIN` (never chosen: `oom_score_adj == -1000`).
/// `points = rss + swapents + pgtables_bytes / PAGE_SIZE; points += oom_score_adj * (totalpages / 1000)`:
/// the division comes first (SPEC §8).
pub fn badness(rss: u64, swapents: u64, pgtables_bytes: u64, adj: i32, totalpages: u64) -> Option<i64> {
    if adj <= OOM_SCORE_ADJ_MIN {
        return None;
    }
    let points = sat_i64(rss + swapents + pgtables_bytes / PAGE_SIZE);
    Some(points + i64::from(adj) * sat_i64(totalpages / 1000))
}

/// `/proc/PID/oom_score` (`proc_oom_score`): `0` for `LONG_MIN`, else `(1000 + badness * 1000 / totalpages) * 2 /
/// 3`, in `0..=2000`. The division truncates toward zero, as C's does.
pub fn oom_score(badness: Option<i64>, totalpages: u64) -> u64 {
    match badness {
        None => 0,
        Some(b) => {
            let t = sat_i64(totalpages.max(1));
            u64::try_from((1000 + b * 1000 / t) * 2 / 3).unwrap_or(0)
        }
    }
}

impl<M: PagingMode> Kernel<M> {
    /// `totalpages` of a global OOM: `totalram_pages() + total_swap_pages`.
    pub fn oom_totalpages(&self) -> u64 {
        self.mem.frames() as u64 + self.swap.total_pages()
    }

    /// `totalpages` of an OOM in group `memcg`: `mem_cgroup_get_max()` = `memory.max` plus the swap it may use
    /// (`min(swap.max, total_swap_pages)`; swap.max is unlimited here).
    fn memcg_totalpages(&self, memcg: MemcgId) -> u64 {
        self.memcgs.get(&memcg).map_or(1, |g| g.limit_pages + self.swap.total_pages())
    }

    /// `oom_badness()` of process `pid` (its thread group's mm). `None`: never chosen (no mm, or
    /// `oom_score_adj == -1000`).
    pub fn oom_badness(&self, pid: Pid, totalpages: u64) -> Option<i64> {
        let t = self.tasks.get(&pid)?;
        let mm = self.mm_of(pid)?;
        let c = &mm.counters;
        let rss = c.anon_pages + c.file_pages + c.shmem_pages;
        badness(rss, c.swap_ents, c.pgtable_frames * PAGE_SIZE, t.oom_score_adj, totalpages)
    }

    /// `/proc/PID/oom_score` (against a global OOM).
    pub fn oom_score(&self, pid: Pid) -> u64 {
        let total = self.oom_totalpages();
        oom_score(self.oom_badness(pid, total), total)
    }

    /// `select_bad_process()`: the process (thread-group leader with an mm) with the highest badness, later
    /// processes winning ties; within group `memcg` only, if given. Returns it with its points.
    fn select_bad_process(&self, memcg: Option<MemcgId>, totalpages: u64) -> Option<(Pid, i64)> {
        let mut chosen: Option<(Pid, i64)> = None;
        for t in self.tasks.values().filter(|t| t.pid == t.tgid && t.is_running() && t.mm.is_some()) {
            if memcg.is_some_and(|g| t.memcg != g) {
                continue;
            }
            let Some(points) = self.oom_badness(t.pid, totalpages) else { continue };
            // oom_evaluate_task(): `if (points == LONG_MIN || points < oc->chosen_points) goto next;`
            if chosen.is_none_or(|(_, best)| points >= best) {
                chosen = Some((t.pid, points));
            }
        }
        chosen
    }

    /// `out_of_memory()` for an allocation by the running task that reclaim could not satisfy (`memcg`: the group
    /// whose limit was hit, or `None` for all of RAM). Chooses and kills a victim; returns the victim, or `None`
    /// when no process can be killed. When the victim is the allocating task (or shares its address space), it is
    /// only marked: its fault fails and it dies on the way out, so nothing is torn down under the fault.
    pub(crate) fn out_of_memory(&mut self, memcg: Option<MemcgId>) -> Option<OomVictim> {
        let current = self.current;
        // oom_evaluate_task(): an OOM victim that has not exited yet aborts the scan (the kernel waits for it);
        // here that is the allocating task, already chosen, whose allocations keep failing until it dies.
        if let Some(&p) = self.oom.pending.iter().next() {
            return Some(OomVictim::Current(p));
        }
        let totalpages = memcg.map_or_else(|| self.oom_totalpages(), |g| self.memcg_totalpages(g));
        if let Some(g) = memcg.and_then(|g| self.memcgs.get_mut(&g)) {
            g.events.oom += 1;
        }
        let Some((victim, points)) = self.select_bad_process(memcg, totalpages) else {
            self.oom.no_victim += 1;
            self.log.push(Event {
                pid: current.unwrap_or(Pid(0)),
                what: "Out of memory and no killable processes...".into(),
            });
            return None;
        };
        let t = self.tasks.get(&victim)?;
        let mm = self.mm_of(victim)?;
        let c = mm.counters;
        let kill = OomKill {
            pid: victim,
            name: t.name.clone(),
            invoked_by: current,
            memcg,
            points,
            total_vm_kb: mm.total_vm() * 4,
            anon_rss_kb: c.anon_pages * 4,
            file_rss_kb: c.file_pages * 4,
            shmem_rss_kb: c.shmem_pages * 4,
            uid: t.uid,
            pgtables_kb: c.pgtable_frames * 4,
            oom_score_adj: t.oom_score_adj,
            time_ps: self.clock.now_ps(),
        };
        if let Some(cur) = current.and_then(|p| self.tasks.get(&p)) {
            // The report's first line (`dump_header`): who invoked the OOM killer.
            let (name, adj) = (cur.name.clone(), cur.oom_score_adj);
            self.log.push(Event {
                pid: cur.pid,
                what: format!(
                    "{name} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, \
                     oom_score_adj={adj}"
                ),
            });
        }
        self.log.push(Event { pid: victim, what: kill.to_string() });
        self.events.oom_kill += 1;
        if let Some(g) = memcg.and_then(|g| self.memcgs.get_mut(&g)) {
            g.events.oom_kill += 1;
            g.oom_kills += 1;
        }
        self.oom.kills.push(kill);
        let victim_mm = self.tasks.get(&victim).and_then(|t| t.mm);
        let current_mm = current.and_then(|p| self.tasks.get(&p)).and_then(|t| t.mm);
        if victim_mm.is_some() && victim_mm == current_mm {
            self.oom.pending.insert(victim);
            return Some(OomVictim::Current(victim));
        }
        // __oom_kill_process(): SIGKILL to the victim and every process sharing its mm; the reaper frees its
        // memory. The whole thread group goes (do_group_exit).
        let sharing: Vec<Pid> = self
            .tasks
            .values()
            .filter(|t| t.is_running() && t.mm.is_some() && t.mm == victim_mm && t.pid != victim)
            .map(|t| t.pid)
            .collect();
        self.kill_quietly(victim, TaskState::OutOfMemory);
        for p in sharing {
            self.kill_quietly(p, TaskState::OutOfMemory);
        }
        Some(OomVictim::Other(victim))
    }
}

/// Whom the OOM killer chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomVictim {
    /// The allocating task itself (or a task sharing its mm): its allocation fails and it dies.
    Current(Pid),
    /// Another process, killed and freed: the allocation can be retried.
    Other(Pid),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §8 vectors: RAM 8 GiB + swap 2 GiB → totalpages 2,621,440; B is chosen; scores 946, 1152, 0, 613.
    #[test]
    fn spec_8_badness_and_scores() {
        let total = 2_621_440;
        let a = badness(1_000_000, 100_000, 8_388_608, 0, total);
        let b = badness(600_000, 0, 4_915_200, 500, total);
        let c = badness(1_500_000, 0, 12_288_000, -1000, total);
        let d = badness(50_000, 0, 409_600, -100, total);
        assert_eq!(a, Some(1_102_048));
        assert_eq!(b, Some(1_911_700));
        assert_eq!(c, None);
        assert_eq!(d, Some(-212_000));
        assert_eq!([a, b, c, d].map(|x| oom_score(x, total)), [946, 1152, 0, 613]);
    }
}
