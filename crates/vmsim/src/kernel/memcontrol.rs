//! Memory cgroups, reduced to what reclaim needs: a group with a hard limit (`memory.max`), its own LRU lists
//! (Linux keeps one lruvec per node and memcg), and reclaim inside the group when a charge would exceed the
//! limit, then a group OOM kill if nothing can be reclaimed (mm/memcontrol.c `try_charge_memcg`,
//! `mem_cgroup_out_of_memory`; Documentation/admin-guide/cgroup-v2.rst; LINUX-VM-SPEC §5 "Memory cgroup v2").
//!
//! `memory.high` is the throttle limit: a charge that finds the group at or above it first reclaims the group
//! back below it (`mem_cgroup_handle_over_high` → `reclaim_high`), and never invokes the OOM killer. A group at
//! `memory.max` with nothing reclaimable runs the OOM killer over its own tasks (kernel/oom_kill.rs).
//!
//! Simplifies: one group per process (a process with `memory_max` or `memory_high` set; its forks and threads
//! join it), anonymous memory only, no hierarchy; the penalty sleep of `memory.high` throttling
//! (`calculate_high_delay`) is not charged to the clock. Global reclaim takes each victim from the largest LRU (the root's or a group's),
//! approximating `shrink_node_memcgs`' size-proportional scan.

use super::task::{Pid, TaskState};
use super::{Event, Kernel};
use crate::arch::PagingMode;
use crate::reclaim::vmscan::ReclaimEvent;
use crate::reclaim::{AnyPolicy, PolicyStats};
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
    /// `memory.high` in pages (`u64::MAX`: no limit).
    pub high_pages: u64,
    /// `memory.events`.
    pub events: MemcgEvents,
    /// Reclaim of the group's lists by anyone (`memory.stat` `pgscan_*`, `pgsteal_*`).
    pub stat: MemcgStat,
}

/// A group's reclaim counters as its `memory.stat` shows them (mm/memcontrol.c `memcg_vm_event_stat`; the
/// aggregate `pgscan` and `pgsteal` lines of `memcg_stat_format` are the sums). `shrink_inactive_list` counts
/// them with `count_memcg_events(lruvec_memcg(lruvec), item, n)` for every scan of the group's LRU lists: by
/// reclaim at the group's own limit (only here, not in /proc/vmstat) and by global reclaim (here and in
/// /proc/vmstat). The group's `pgactivate`/`pgdeactivate` are its policy's [`PolicyStats`](crate::reclaim::PolicyStats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemcgStat {
    /// `pgscan_kswapd`: pages kswapd took from the group's inactive list.
    pub pgscan_kswapd: u64,
    /// `pgscan_direct`: pages direct reclaim (global, or at the group's limit) took from its inactive list.
    pub pgscan_direct: u64,
    /// `pgsteal_kswapd`: the group's pages kswapd reclaimed.
    pub pgsteal_kswapd: u64,
    /// `pgsteal_direct`: the group's pages direct reclaim reclaimed.
    pub pgsteal_direct: u64,
}

/// A group's `memory.events` (Documentation/admin-guide/cgroup-v2.rst; mm/memcontrol.c `memory_events_show`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemcgEvents {
    /// `low`: reclaimed despite being under `memory.low` (not modelled: always 0).
    pub low: u64,
    /// `high`: charges that found the group over `memory.high` and throttled it by reclaim.
    pub high: u64,
    /// `max`: charges that hit `memory.max`.
    pub max: u64,
    /// `oom`: times the group's OOM killer was invoked.
    pub oom: u64,
    /// `oom_kill`: processes the group's OOM killer killed.
    pub oom_kill: u64,
}

impl MemcgEvents {
    /// The file as `cat memory.events` prints it.
    pub fn render(&self) -> String {
        format!(
            "low {}\nhigh {}\nmax {}\noom {}\noom_kill {}\noom_group_kill 0\n",
            self.low, self.high, self.max, self.oom, self.oom_kill
        )
    }
}

impl MemcgStat {
    /// `memory.stat` `pgscan`: the sum over reclaimers.
    pub fn pgscan(&self) -> u64 {
        self.pgscan_kswapd + self.pgscan_direct
    }

    /// `memory.stat` `pgsteal`: the sum over reclaimers.
    pub fn pgsteal(&self) -> u64 {
        self.pgsteal_kswapd + self.pgsteal_direct
    }

    pub(crate) fn count(&mut self, what: ReclaimEvent, kswapd: bool, n: u64) {
        *match (what, kswapd) {
            (ReclaimEvent::Scan, true) => &mut self.pgscan_kswapd,
            (ReclaimEvent::Scan, false) => &mut self.pgscan_direct,
            (ReclaimEvent::Steal, true) => &mut self.pgsteal_kswapd,
            (ReclaimEvent::Steal, false) => &mut self.pgsteal_direct,
        } += n;
    }
}

impl<M: PagingMode> Kernel<M> {
    /// Put `pid` in a new group of its own limited to `limit_pages` pages (`mkdir` a cgroup, `echo N >
    /// memory.max`, move the task in). Returns the group's id.
    pub fn set_memory_max(&mut self, pid: Pid, limit_pages: u64) -> MemcgId {
        let id = self.own_memcg(pid);
        if let Some(g) = self.memcgs.get_mut(&id) {
            g.limit_pages = limit_pages;
        }
        id
    }

    /// Set `memory.high` of `pid`'s own group (made if it has none) to `high_pages` pages.
    pub fn set_memory_high(&mut self, pid: Pid, high_pages: u64) -> MemcgId {
        let id = self.own_memcg(pid);
        if let Some(g) = self.memcgs.get_mut(&id) {
            g.high_pages = high_pages;
        }
        id
    }

    /// `pid`'s group if it has one of its own, else a new unlimited group with `pid` moved into it.
    fn own_memcg(&mut self, pid: Pid) -> MemcgId {
        let current = self.memcg_of(pid);
        if current != MemcgId::ROOT {
            return current;
        }
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
                limit_pages: u64::MAX,
                usage: 0,
                lru: AnyPolicy::new(self.cfg.policy, frames, self.cfg.seed),
                max_events: 0,
                reclaimed: 0,
                oom_kills: 0,
                high_pages: u64::MAX,
                events: MemcgEvents::default(),
                stat: MemcgStat::default(),
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

    /// The counters of every LRU list set, the root's and each group's, summed: what the node-wide /proc/vmstat
    /// `pgactivate`/`pgdeactivate` count (`count_vm_events(PGACTIVATE, ..)` in `shrink_folio_list` and
    /// `folio_activate`, `__count_vm_events(PGDEACTIVATE, ..)` in `shrink_active_list` are not gated on
    /// `cgroup_reclaim()`, unlike `pgscan_*`/`pgsteal_*`), and the node's active and inactive list sizes.
    pub fn lru_stats(&self) -> PolicyStats {
        self.memcgs.values().map(|g| g.lru.stats()).fold(self.lru.stats(), |a, b| PolicyStats {
            activations: a.activations + b.activations,
            deactivations: a.deactivations + b.deactivations,
            scanned: a.scanned + b.scanned,
            active_pages: a.active_pages + b.active_pages,
            inactive_pages: a.inactive_pages + b.inactive_pages,
        })
    }

    /// The group new pages of `pid`'s address space are charged to.
    pub(crate) fn memcg_of(&self, pid: Pid) -> MemcgId {
        self.mm_of(pid).map_or(MemcgId::ROOT, |mm| mm.memcg)
    }

    /// `try_charge_memcg()`: before `pid` gets a new page, throttle a group over `memory.high` by reclaiming it
    /// back below, and reclaim inside the group while it is at `memory.max`; when nothing can be reclaimed there,
    /// the group's OOM killer chooses a victim among its tasks (`mem_cgroup_out_of_memory`). False when the charge
    /// fails: `pid` itself was chosen (or nothing could be killed), and the caller fails the fault.
    pub(crate) fn memcg_try_charge(&mut self, pid: Pid) -> bool {
        let id = self.memcg_of(pid);
        if id == MemcgId::ROOT || self.cfg.exact {
            return true;
        }
        // memory.high: mem_cgroup_handle_over_high() reclaims `usage - high` pages; it never OOM-kills.
        if let Some(g) = self.memcgs.get_mut(&id) {
            if g.usage >= g.high_pages {
                g.events.high += 1;
                let excess = g.usage - g.high_pages + 1;
                for _ in 0..excess {
                    if self.shrink_memcg(id) == 0 {
                        break;
                    }
                }
            }
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
                    g.events.max += 1;
                }
            }
            if self.shrink_memcg(id) == 0 {
                match self.out_of_memory(Some(id)) {
                    // Another task of the group was killed and its pages uncharged: charge again.
                    Some(super::oom_kill::OomVictim::Other(_)) => continue,
                    Some(super::oom_kill::OomVictim::Current(_)) => {}
                    None => self.log.push(Event {
                        pid,
                        what: "memory.max reached and nothing reclaimable or killable in the group: the charge fails"
                            .into(),
                    }),
                }
                self.kill(pid, TaskState::OutOfMemory);
                return false;
            }
        }
    }
}
