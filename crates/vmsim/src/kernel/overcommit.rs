//! Overcommit accounting (mm/util.c `__vm_enough_memory`, `vm_commit_limit`, `vm_memory_committed`; mm/mmap.c
//! `accountable_mapping`, `init_user_reserve`, `init_admin_reserve`; Documentation/mm/overcommit-accounting.rst;
//! LINUX-VM-SPEC §7).
//!
//! `Committed_AS` counts the virtual size the kernel has promised: private writable mappings without
//! `MAP_NORESERVE` (`VM_ACCOUNT`), the brk heap, stacks and their growth, shared anonymous objects (charged by
//! shmem), and the copies fork makes. It is charged when the promise is made (mmap, brk, stack growth, mprotect
//! to writable, fork), not when pages are touched, and released when the mapping goes (munmap, exit, exec).
//! Every charge goes through [`Kernel::vm_enough_memory`], which applies `vm.overcommit_memory`:
//!
//! | mode | rule for a request of `pages` |
//! |---|---|
//! | 0 (guess) | refuse only `pages > totalram_pages + total_swap_pages` |
//! | 1 (always) | never refuse |
//! | 2 (never) | succeed iff `Committed_AS` (with the request) `< CommitLimit − reserves` |
//!
//! Simplifies: no hugetlb pool (`hugetlb_total_pages() = 0`); the initial stack of a new address space is charged
//! without a check (exec's failure path is not modelled); trace replay's implicit region is not accounted.

use super::mm::MmId;
use super::Kernel;
use crate::arch::PagingMode;
use serde::{Deserialize, Serialize};

/// `vm.overcommit_memory` (include/uapi/linux/mman.h: `OVERCOMMIT_GUESS` 0, `OVERCOMMIT_ALWAYS` 1,
/// `OVERCOMMIT_NEVER` 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OvercommitMode {
    /// 0: heuristic; refuses only a single absurd request.
    #[default]
    Guess,
    /// 1: never refuse.
    Always,
    /// 2: strict accounting against `CommitLimit`.
    Never,
}

impl OvercommitMode {
    /// From the sysctl's number.
    pub fn from_sysctl(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Guess),
            1 => Some(Self::Always),
            2 => Some(Self::Never),
            _ => None,
        }
    }

    /// The sysctl's number.
    pub fn sysctl(self) -> u8 {
        match self {
            Self::Guess => 0,
            Self::Always => 1,
            Self::Never => 2,
        }
    }
}

/// The overcommit sysctls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OvercommitConfig {
    /// `vm.overcommit_memory`.
    pub mode: OvercommitMode,
    /// `vm.overcommit_ratio` (percent of RAM; default 50).
    pub ratio: u64,
    /// `vm.overcommit_kbytes` (when non-zero it replaces the ratio; default 0).
    pub kbytes: u64,
    /// `vm.admin_reserve_kbytes`; `None`: Linux's boot default, `min(free_kB / 32, 8192)`.
    pub admin_reserve_kbytes: Option<u64>,
    /// `vm.user_reserve_kbytes`; `None`: Linux's boot default, `min(free_kB / 32, 131072)`.
    pub user_reserve_kbytes: Option<u64>,
}

impl Default for OvercommitConfig {
    fn default() -> Self {
        Self {
            mode: OvercommitMode::Guess,
            ratio: 50,
            kbytes: 0,
            admin_reserve_kbytes: None,
            user_reserve_kbytes: None,
        }
    }
}

/// The accounting state: `vm_committed_as` and the reserves fixed at boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overcommit {
    /// `vm_committed_as` in pages (meminfo `Committed_AS`).
    pub committed: u64,
    /// `sysctl_admin_reserve_kbytes`.
    pub admin_reserve_kbytes: u64,
    /// `sysctl_user_reserve_kbytes`.
    pub user_reserve_kbytes: u64,
    /// Requests refused (each an `ENOMEM` from mmap, brk, mprotect, fork or a failed stack growth).
    pub refused: u64,
}

impl Overcommit {
    /// The state at boot with `free_pages` free: `init_admin_reserve()` = `min(free_kbytes / 32, SZ_8K)`,
    /// `init_user_reserve()` = `min(free_kbytes / 32, SZ_128K)` (mm/mmap.c, both in kB).
    pub fn boot(cfg: &OvercommitConfig, free_pages: u64) -> Self {
        let free_kb = free_pages * 4;
        Self {
            committed: 0,
            admin_reserve_kbytes: cfg.admin_reserve_kbytes.unwrap_or((free_kb / 32).min(8192)),
            user_reserve_kbytes: cfg.user_reserve_kbytes.unwrap_or((free_kb / 32).min(131_072)),
            refused: 0,
        }
    }
}

/// `vm_commit_limit()` (mm/util.c) in pages: `overcommit_kbytes >> (PAGE_SHIFT - 10)` if set, else
/// `(totalram_pages() - hugetlb_total_pages()) * sysctl_overcommit_ratio / 100`; plus `total_swap_pages`.
pub fn commit_limit(cfg: &OvercommitConfig, totalram_pages: u64, total_swap_pages: u64) -> u64 {
    let ram = if cfg.kbytes != 0 { cfg.kbytes >> 2 } else { totalram_pages * cfg.ratio / 100 };
    ram + total_swap_pages
}

/// The bound `__vm_enough_memory` compares `Committed_AS` with in mode 2: the commit limit less the admin reserve
/// (unless the caller has `CAP_SYS_ADMIN`) and less `min(mm->total_vm / 32, user_reserve)` for a user task.
pub fn allowed(limit: u64, state: &Overcommit, cap_sys_admin: bool, total_vm: Option<u64>) -> i64 {
    let mut allowed = sat_i64(limit);
    if !cap_sys_admin {
        allowed -= sat_i64(state.admin_reserve_kbytes >> 2);
    }
    if let Some(total_vm) = total_vm {
        let reserve = sat_i64(state.user_reserve_kbytes >> 2);
        allowed -= (sat_i64(total_vm) / 32).min(reserve);
    }
    allowed
}

impl<M: PagingMode> Kernel<M> {
    /// `vm_commit_limit()` in pages (meminfo `CommitLimit`, shown in every mode).
    pub fn commit_limit(&self) -> u64 {
        commit_limit(&self.cfg.overcommit, self.mem.frames() as u64, self.swap.total_pages())
    }

    /// `__vm_enough_memory(mm, pages, cap_sys_admin)` (mm/util.c): charge `pages` to `Committed_AS`
    /// (`vm_acct_memory`), then decide by `vm.overcommit_memory`; on refusal the charge is undone
    /// (`vm_unacct_memory`) and the caller fails with `ENOMEM`. `mm` is the address space the request is made
    /// for (its `total_vm` sizes the user reserve); `cap_sys_admin` skips the admin reserve.
    pub(crate) fn vm_enough_memory(&mut self, mm: Option<MmId>, pages: u64, cap_sys_admin: bool) -> bool {
        self.overcommit.committed += pages;
        let ok = match self.cfg.overcommit.mode {
            OvercommitMode::Always => true,
            // `if (pages > totalram_pages() + total_swap_pages) goto error; return 0;`
            OvercommitMode::Guess => pages <= self.mem.frames() as u64 + self.swap.total_pages(),
            OvercommitMode::Never => {
                let total_vm = mm.and_then(|id| self.mms.get(id)).map(|m| m.total_vm());
                let allowed = allowed(self.commit_limit(), &self.overcommit, cap_sys_admin, total_vm);
                // `if (percpu_counter_read_positive(&vm_committed_as) < allowed) return 0;`
                sat_i64(self.overcommit.committed) < allowed
            }
        };
        if !ok {
            self.vm_unacct_memory(pages);
            self.overcommit.refused += 1;
        }
        ok
    }

    /// `vm_acct_memory(pages)`: charge without a check.
    pub(crate) fn vm_acct_memory(&mut self, pages: u64) {
        self.overcommit.committed += pages;
    }

    /// `vm_unacct_memory(pages)`: release a charge.
    pub(crate) fn vm_unacct_memory(&mut self, pages: u64) {
        self.overcommit.committed = self.overcommit.committed.saturating_sub(pages);
    }

    /// Whether the task `pid` has `CAP_SYS_ADMIN` (uid 0 in the model).
    pub(crate) fn cap_sys_admin(&self, pid: super::task::Pid) -> bool {
        self.tasks.get(&pid).is_some_and(|t| t.uid == 0)
    }
}

/// A count as a signed number, saturating (counts never come near `i64::MAX`).
pub(crate) fn sat_i64(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §7: 8 GiB RAM, 2 GiB swap (524,288 usable pages), ratio 50 → `CommitLimit: 6291456 kB`.
    #[test]
    fn spec_7_commit_limit() {
        let cfg = OvercommitConfig::default();
        assert_eq!(commit_limit(&cfg, 2_097_152, 524_288) * 4, 6_291_456);
        // overcommit_kbytes replaces the ratio.
        let kb = OvercommitConfig { kbytes: 1 << 20, ..cfg };
        assert_eq!(commit_limit(&kb, 2_097_152, 524_288), (1 << 18) + 524_288);
    }

    /// SPEC §7 mode 2: defaults admin 8192 kB, user 131072 kB, an unprivileged task with `total_vm = 100,000`:
    /// allowed = 1572864 − 2048 − 3125 = 1,567,691 pages; root skips the admin reserve.
    #[test]
    fn spec_7_allowed() {
        let cfg = OvercommitConfig::default();
        let st = Overcommit::boot(&cfg, 2_097_152);
        assert_eq!((st.admin_reserve_kbytes, st.user_reserve_kbytes), (8192, 131_072));
        let limit = commit_limit(&cfg, 2_097_152, 524_288);
        assert_eq!(allowed(limit, &st, false, Some(100_000)), 1_567_691);
        assert_eq!(allowed(limit, &st, true, Some(100_000)), 1_567_691 + 2048);
        // A small machine: reserves scale with free memory (free_kB / 32).
        let small = Overcommit::boot(&cfg, 4096);
        assert_eq!((small.admin_reserve_kbytes, small.user_reserve_kbytes), (512, 512));
    }
}
