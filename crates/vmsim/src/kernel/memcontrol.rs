//! Memory cgroups, reduced to what reclaim needs: a group with a hard limit (`memory.max`), its own LRU lists
//! (Linux keeps one lruvec per node and memcg), and reclaim inside the group when a charge would exceed the
//! limit, then a group OOM kill if nothing can be reclaimed (mm/memcontrol.c `try_charge_memcg`,
//! `mem_cgroup_out_of_memory`; Documentation/admin-guide/cgroup-v2.rst; LINUX-VM-SPEC §5 "Memory cgroup v2").
//!
//! Simplifies: one group per process (a process with `memory_max` set), anonymous memory only, no `memory.high`
//! throttling, no hierarchy. Global reclaim takes each victim from the largest LRU (the root's or a group's),
//! approximating `shrink_node_memcgs`' size-proportional scan.

use super::process::{Pid, ProcState};
use super::{Event, Kernel};
use crate::arch::PagingMode;
use crate::reclaim::Policy;

/// A memory group.
#[derive(Debug)]
pub struct MemCgroup<P: Policy> {
    /// `memory.max` in pages.
    pub limit_pages: u64,
    /// Pages charged now (`memory.current` / 4 KiB).
    pub usage: u64,
    /// The group's LRU lists.
    pub lru: P,
    /// Times a charge hit the limit (`memory.events` `max`).
    pub max_events: u64,
    /// Pages reclaimed inside the group.
    pub reclaimed: u64,
    /// Group OOM kills (`memory.events` `oom_kill`).
    pub oom_kills: u64,
}

impl<M: PagingMode, P: Policy> Kernel<M, P> {
    /// Put `pid` in its own group limited to `limit_pages` pages (`echo N > memory.max`).
    pub fn set_memory_max(&mut self, pid: Pid, limit_pages: u64) {
        let frames = self.mem.frames();
        if let Some(mm) = self.mm_mut(pid) {
            mm.memcg = pid.0;
        }
        self.memcgs.insert(
            pid.0,
            MemCgroup {
                limit_pages,
                usage: 0,
                lru: P::new(frames, self.cfg.seed),
                max_events: 0,
                reclaimed: 0,
                oom_kills: 0,
            },
        );
    }

    /// The LRU lists of group `memcg` (0: the root).
    pub(crate) fn lru_mut(&mut self, memcg: u32) -> &mut P {
        if memcg != 0 {
            if let Some(g) = self.memcgs.get_mut(&memcg) {
                return &mut g.lru;
            }
        }
        &mut self.lru
    }

    /// The group of a process (0: the root).
    pub(crate) fn memcg_of(&self, pid: Pid) -> u32 {
        self.mm(pid).map_or(0, |mm| mm.memcg)
    }

    /// `try_charge_memcg()`: before `pid` gets a new page, reclaim inside its group while the group is at its
    /// limit. False when nothing could be reclaimed: the caller fails the fault and the group's OOM killer
    /// kills the process.
    pub(crate) fn memcg_try_charge(&mut self, pid: Pid) -> bool {
        let id = self.memcg_of(pid);
        if id == 0 || self.cfg.exact {
            return true;
        }
        let mut hit_limit = false;
        loop {
            let Some(g) = self.memcgs.get(&id) else { return true };
            if g.usage < g.limit_pages {
                return true;
            }
            if !hit_limit {
                hit_limit = true;
                if let Some(g) = self.memcgs.get_mut(&id) {
                    g.max_events += 1;
                }
            }
            if self.shrink_memcg(id) == 0 {
                if let Some(g) = self.memcgs.get_mut(&id) {
                    g.oom_kills += 1;
                }
                self.log.push(Event {
                    pid,
                    what: "memory.max reached and nothing reclaimable in the group: killed by the group OOM killer"
                        .into(),
                });
                self.kill(pid, ProcState::OutOfMemory);
                return false;
            }
        }
    }
}
