//! Memory cgroups, reduced to what reclaim needs: a group with a hard limit (`memory.max`), its own LRU lists
//! (Linux keeps one lruvec per node and memcg), and reclaim inside the group when a charge would exceed the
//! limit, then a group OOM kill if nothing can be reclaimed (mm/memcontrol.c `try_charge_memcg`,
//! `mem_cgroup_out_of_memory`; Documentation/admin-guide/cgroup-v2.rst; LINUX-VM-SPEC §5 "Memory cgroup v2").
//!
//! Simplifies: one group per process (a process with `memory_max` set), anonymous memory only, no `memory.high`
//! throttling, no hierarchy. Global reclaim takes each victim from the largest LRU (the root's or a group's),
//! approximating `shrink_node_memcgs`' size-proportional scan.

use super::task::{Pid, TaskState};
use super::{Event, Kernel};
use crate::arch::PagingMode;
use crate::reclaim::AnyPolicy;
use serde::Serialize;

/// A memory group's id (`mem_cgroup_id()`); 0 is the root group, which has no limit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct MemcgId(pub u32);

impl MemcgId {
    /// The root group.
    pub const ROOT: MemcgId = MemcgId(0);
}

/// A memory group.
#[derive(Debug)]
pub struct MemCgroup {
    /// `memory.max` in pages.
    pub limit_pages: u64,
    /// Pages charged now (`memory.current` / 4 KiB).
    pub usage: u64,
    /// The group's LRU lists.
    pub lru: AnyPolicy,
    /// Times a charge hit the limit (`memory.events` `max`).
    pub max_events: u64,
    /// Pages reclaimed inside the group.
    pub reclaimed: u64,
    /// Group OOM kills (`memory.events` `oom_kill`).
    pub oom_kills: u64,
}

impl<M: PagingMode> Kernel<M> {
    /// Put `pid` in a new group of its own limited to `limit_pages` pages (`mkdir` a cgroup, `echo N >
    /// memory.max`, move the task in). Returns the group's id.
    pub fn set_memory_max(&mut self, pid: Pid, limit_pages: u64) -> MemcgId {
        let frames = self.mem.frames();
        let id = MemcgId(self.next_memcg);
        self.next_memcg += 1;
        if let Some(mm) = self.mm_of_mut(pid) {
            mm.memcg = id;
        }
        if let Some(t) = self.tasks.get_mut(&pid) {
            t.memcg = id;
        }
        self.memcgs.insert(
            id,
            MemCgroup {
                limit_pages,
                usage: 0,
                lru: AnyPolicy::new(self.cfg.policy, frames, self.cfg.seed),
                max_events: 0,
                reclaimed: 0,
                oom_kills: 0,
            },
        );
        id
    }

    /// The LRU lists of group `memcg` (0: the root).
    pub(crate) fn lru_mut(&mut self, memcg: MemcgId) -> &mut AnyPolicy {
        if memcg != MemcgId::ROOT {
            if let Some(g) = self.memcgs.get_mut(&memcg) {
                return &mut g.lru;
            }
        }
        &mut self.lru
    }

    /// The group new pages of `pid`'s address space are charged to.
    pub(crate) fn memcg_of(&self, pid: Pid) -> MemcgId {
        self.mm_of(pid).map_or(MemcgId::ROOT, |mm| mm.memcg)
    }

    /// `try_charge_memcg()`: before `pid` gets a new page, reclaim inside its group while the group is at its
    /// limit. False when nothing could be reclaimed: the caller fails the fault and the group's OOM killer
    /// kills the process.
    pub(crate) fn memcg_try_charge(&mut self, pid: Pid) -> bool {
        let id = self.memcg_of(pid);
        if id == MemcgId::ROOT || self.cfg.exact {
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
                self.kill(pid, TaskState::OutOfMemory);
                return false;
            }
        }
    }
}
