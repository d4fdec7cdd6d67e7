//! Kernel threads: kswapd now; ksmd, khugepaged and kcompactd plug in here (one [`KthreadKind`] variant, one arm
//! in [`Kernel::run_kthread`], one body function each). A kernel thread sleeps until it is woken (kswapd by an
//! allocation that finds free pages at or below the low watermark, `wakeup_kswapd`) or until its timer expires
//! (a periodic thread sets `wake_at`, as ksmd's `sleep_millisecs` will). It then runs at the next scheduling
//! point: when the kernel is about to return to user space after a page fault (`exit_to_user_mode` checks
//! `TIF_NEED_RESCHED`, which the wakeup set), or, for timers, after any user access once the clock
//! (kernel/clock.rs) has passed `wake_at`.
//!
//! kswapd (mm/vmscan.c `kswapd`, `balance_pgdat`): each time it is scheduled it reclaims one batch of
//! `SWAP_CLUSTER_MAX` pages, and goes back to sleep once free pages reach the high watermark. With one CPU it
//! shares the CPU with the faulting task, one batch per scheduling point; its CPU time is not charged to the
//! clock (the cost model has no term for reclaim work).
//!
//! Simplifies: kernel threads have no pid, mm or CPU of their own and are not listed among the processes.

use super::Kernel;
use crate::arch::PagingMode;
use serde::Serialize;

/// The kernel threads the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KthreadKind {
    /// Background reclaim (mm/vmscan.c).
    Kswapd,
    /// Kernel Samepage Merging's scanner (mm/ksm.c `ksm_scan_thread`).
    Ksmd,
}

impl KthreadKind {
    /// The thread's name as `ps` shows it.
    pub const fn name(self) -> &'static str {
        match self {
            KthreadKind::Kswapd => "kswapd0",
            KthreadKind::Ksmd => "ksmd",
        }
    }
}

/// One kernel thread's state and counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Kthread {
    /// Which thread.
    pub kind: KthreadKind,
    /// Woken and waiting to run (`TASK_RUNNING`), or asleep.
    pub runnable: bool,
    /// Timer: run when the clock reaches this many picoseconds (`schedule_timeout`).
    pub wake_at: Option<u64>,
    /// Times woken from sleep.
    pub wakeups: u64,
    /// Times it ran.
    pub runs: u64,
}

impl Kthread {
    fn new(kind: KthreadKind) -> Self {
        Self { kind, runnable: false, wake_at: None, wakeups: 0, runs: 0 }
    }
}

/// Every kernel thread, plus when one of them next needs the CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kthreads {
    threads: Vec<Kthread>,
    /// The earliest `wake_at` (`u64::MAX`: none): the per-access check is one comparison with the clock.
    next_timer: u64,
    /// Whether a thread is runnable (checked at fault exits).
    any_runnable: bool,
}

impl Default for Kthreads {
    fn default() -> Self {
        Self {
            threads: vec![Kthread::new(KthreadKind::Kswapd), Kthread::new(KthreadKind::Ksmd)],
            next_timer: u64::MAX,
            any_runnable: false,
        }
    }
}

impl Kthreads {
    /// One thread's state.
    pub fn get(&self, kind: KthreadKind) -> &Kthread {
        self.threads.iter().find(|t| t.kind == kind).unwrap_or(&self.threads[0])
    }

    fn get_mut(&mut self, kind: KthreadKind) -> &mut Kthread {
        let i = self.threads.iter().position(|t| t.kind == kind).unwrap_or(0);
        &mut self.threads[i]
    }

    /// All threads.
    pub fn iter(&self) -> impl Iterator<Item = &Kthread> {
        self.threads.iter()
    }

    /// Whether `kind` is awake (runnable, or running its batches).
    pub fn is_awake(&self, kind: KthreadKind) -> bool {
        self.get(kind).runnable
    }

    /// `wake_up_process()`: make `kind` runnable; true if it was asleep.
    pub fn wake(&mut self, kind: KthreadKind) -> bool {
        let t = self.get_mut(kind);
        let was_asleep = !t.runnable;
        if was_asleep {
            t.runnable = true;
            t.wakeups += 1;
        }
        self.any_runnable = true;
        was_asleep
    }

    /// Put `kind` to sleep, optionally until `wake_at` picoseconds.
    pub fn sleep(&mut self, kind: KthreadKind, wake_at: Option<u64>) {
        let t = self.get_mut(kind);
        t.runnable = false;
        t.wake_at = wake_at;
        self.recompute();
    }

    fn recompute(&mut self) {
        self.next_timer = self.threads.iter().filter_map(|t| t.wake_at).min().unwrap_or(u64::MAX);
        self.any_runnable = self.threads.iter().any(|t| t.runnable);
    }

    /// Whether some thread needs the CPU at time `now_ps`: a timer expired, or (at a fault exit, where the
    /// wakeup's need-resched is acted on) a thread is runnable.
    #[inline]
    pub fn due(&self, now_ps: u64, fault_exit: bool) -> bool {
        now_ps >= self.next_timer || (fault_exit && self.any_runnable)
    }
}

impl<M: PagingMode> Kernel<M> {
    /// A scheduling point: run every kernel thread whose timer has expired, and at a fault exit every runnable
    /// one, once each, in a fixed order (deterministic).
    pub fn schedule_kthreads(&mut self, fault_exit: bool) {
        let now = self.clock.now_ps();
        if !self.kthreads.due(now, fault_exit) {
            return;
        }
        let due: Vec<KthreadKind> = self
            .kthreads
            .iter()
            .filter(|t| (fault_exit && t.runnable) || t.wake_at.is_some_and(|w| w <= now))
            .map(|t| t.kind)
            .collect();
        for kind in due {
            let t = self.kthreads.get_mut(kind);
            t.runs += 1;
            t.wake_at = None;
            t.runnable = true;
            self.run_kthread(kind);
        }
        self.kthreads.recompute();
    }

    /// One run of a kernel thread's body. Each body decides whether to stay runnable or sleep.
    fn run_kthread(&mut self, kind: KthreadKind) {
        match kind {
            KthreadKind::Kswapd => self.kswapd_run(),
            KthreadKind::Ksmd => self.ksmd_run(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woken_threads_run_at_fault_exits_and_timers_when_due() {
        let mut k = Kthreads::default();
        assert!(!k.due(0, true), "asleep with no timer");
        assert!(k.wake(KthreadKind::Kswapd));
        assert!(!k.wake(KthreadKind::Kswapd), "already awake: not a new wakeup");
        assert_eq!(k.get(KthreadKind::Kswapd).wakeups, 1);
        assert!(k.due(0, true) && !k.due(0, false), "runnable: runs at a fault exit only");
        k.sleep(KthreadKind::Kswapd, Some(5_000));
        assert!(!k.due(4_999, true));
        assert!(k.due(5_000, false), "an expired timer runs at any scheduling point");
    }
}
