//! The simulation: builds a machine from a [`SimConfig`], runs scenarios and trace accesses, and reports.
//! This is the config boundary: the one place that turns an architecture name into a type ([`AnyMachine`]).

use crate::addr::{AddrError, Pfn, PhysAddr, VirtAddr, Vpn, PAGE_SIZE};
use crate::arch::linear::Linear;
use crate::arch::x86_64::X86FourLevel;
use crate::arch::{PagingMode, Pte};
use crate::config::{AddrExpr, ArchKind, ProcessConfig, Scenario, SimConfig, Step};
use crate::kernel::error::SysError;
use crate::kernel::mmap::{user_top, MmapArgs};
use crate::kernel::task::{Pid, TaskState};
use crate::kernel::vma::VmFlags;
use crate::kernel::{AccessResult, Event, Kernel, KernelConfig, KernelError, Layout};
use crate::mmu::walk::WalkStep;
use crate::mmu::{Access, Mode, Outcome, TlbLevel};
use crate::procfs::ProcFile;
use crate::reclaim::LruClass;
use crate::stats::{
    AccessStats, FaultStats, MemoryStats, ReclaimStats, Stats, SwapStats, TlbReport, VerifyStats, WalkReport,
};
use crate::swap::entry::SwapEntry;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A step that could not be carried out, located in the scenario file. Displays as one line,
/// `file:line:column: message`; `kind` says what went wrong, typed.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct StepError {
    /// `file:line:column` of the step (the file alone for a process that could not be started).
    pub location: String,
    /// What is wrong.
    pub kind: StepErrorKind,
}

/// Why a scenario step failed: a step the scenario wrote wrongly, or an operation the kernel refused.
///
/// Each message is one line and what the CLI prints after the location. A kernel refusal shows its cause alone
/// (`frame 3 is already in use`); the [`SysError`] inside also has the operation, address and errno.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StepErrorKind {
    /// A `prot` string that is not a combination of r, w, x or `none`.
    #[error("bad prot {0:?} (expected a combination of r, w, x, or \"none\")")]
    BadProt(String),
    /// An address naming a region whose mmap step failed.
    #[error("region {region:?} does not exist: its {failure}")]
    RegionNotMapped {
        /// The region.
        region: String,
        /// The failed call as the event shows it (`mmap(NULL, 1 TiB) failed: ENOMEM`).
        failure: String,
    },
    /// The run reached `--max-accesses`.
    #[error("stopped after {0} accesses (--max-accesses {0}): the scenario was not run to its end")]
    AccessLimit(u64),
    /// Every `[[process]]` is started by a fork/thread step, so none starts at boot.
    #[error("no process starts at boot: every [[process]] (the first is {0:?}) is the child of a fork or thread step")]
    NothingToStart(String),
    /// An address naming a region no earlier mmap step named.
    #[error("unknown region {0:?} (name it in an earlier mmap step: name = {0:?})")]
    UnknownRegion(String),
    /// A region plus offset beyond 2^64.
    #[error("address {region}+{offset:#x} overflows")]
    AddressOverflow {
        /// The region.
        region: String,
        /// The offset added to it.
        offset: u64,
    },
    /// `start_brk + size` beyond 2^64.
    #[error("brk size overflows")]
    BrkOverflow {
        /// The heap size asked for.
        size: u64,
    },
    /// A sweep with `stride = 0`.
    #[error("stride must be at least 1 byte")]
    ZeroStride,
    /// An `alloc_pages` step with an order above `MAX_PAGE_ORDER`.
    #[error("alloc_pages order = {0}: out of range 0..=10 (MAX_PAGE_ORDER on x86-64)")]
    OrderTooLarge(u8),
    /// A `free_pages` step naming no `alloc_pages` step of this process.
    #[error("free_pages name {0:?}: no alloc_pages step of this process has that name")]
    UnknownPages(String),
    /// A store step with both or neither of `text` and `hex`.
    #[error("store needs exactly one of text = \"...\" or hex = \"...\"")]
    StoreNeedsOneSource,
    /// An expect step with both or neither of `text` and `hex`.
    #[error("expect needs exactly one of text = \"...\" or hex = \"...\"")]
    ExpectNeedsOneSource,
    /// `hex` with an odd number of digits (whitespace removed).
    #[error("hex {0:?} has an odd number of digits")]
    OddHexDigits(String),
    /// Two characters of `hex` that are not a hex byte.
    #[error("bad hex byte {0:?}")]
    BadHexByte(String),
    /// A pin step with both or neither of `frame` and `swap`.
    #[error("pin needs exactly one of frame = N or swap = SLOT")]
    PinNeedsOneTarget,
    /// A pin step with `text` and `frame`.
    #[error("pin text = \"...\" goes with swap = SLOT (use a store step for a page in RAM)")]
    PinTextNeedsSwap,
    /// A pin step with `swap = 0`, the header slot.
    #[error("swap slot 0 holds the swap header and is never used for data (use 1 or more)")]
    SwapSlotZero,
    /// A pin step whose frame number cannot be a frame.
    #[error(transparent)]
    BadFrame(#[from] AddrError),
    /// The kernel refused the operation.
    #[error("{}", .0.cause)]
    Sys(SysError),
    /// The process could not be started.
    #[error(transparent)]
    Spawn(#[from] KernelError),
    /// A `fork`/`thread` step names no `[[process]]` entry.
    #[error("no [[process]] named {0:?} to start (name it in a [[process]] entry of its own)")]
    UnknownChild(String),
    /// Two `fork`/`thread` steps start the same `[[process]]` entry.
    #[error("[[process]] {0:?} is started by more than one fork/thread step")]
    ChildStartedTwice(String),
    /// Every process left is blocked in `wait`.
    #[error("deadlock: every remaining process is blocked in wait")]
    Deadlock,
    /// An mmap step names no `[[file]]`.
    #[error("no [[file]] named {0:?} (declare it: [[file]] name = {0:?} size = \"1MiB\")")]
    UnknownFile(String),
    /// Two `[[file]]` entries with one name.
    #[error("[[file]] {0:?} is declared twice")]
    FileDeclaredTwice(String),
    /// A `[[file]]` that cannot be made.
    #[error("[[file]] {name:?}: {why}")]
    BadFile {
        /// The file's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A snapshot that cannot be loaded.
    #[error("snapshot {path}: {why}")]
    BadSnapshot {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
    /// A `fill` step's content that is not a known generator.
    #[error("{0}")]
    BadContent(String),
    /// `oom_score_adj` outside −1000..=1000.
    #[error("oom_score_adj = {0}: out of range -1000..=1000")]
    OomScoreAdjRange(i32),
    /// A process's `cpu = N` beyond `machine.cpus`.
    #[error("process {process:?}: cpu = {cpu} is out of range 0..{cpus} (machine.cpus = {cpus})")]
    CpuOutOfRange {
        /// The process's name.
        process: String,
        /// The CPU asked for.
        cpu: u32,
        /// CPUs of the machine.
        cpus: usize,
    },
}

/// Not `#[from]`: the message is the cause's line, so the [`SysError`] is not also a `source()` (a chain printer
/// would repeat the cause).
impl From<SysError> for StepErrorKind {
    fn from(e: SysError) -> Self {
        StepErrorKind::Sys(e)
    }
}

/// What a scenario step did, for the scheduler.
#[derive(Debug)]
enum StepDone {
    /// Finished.
    Done,
    /// Must be retried later (`wait` for a child still running).
    Blocked,
    /// Partly done: the quantum ran out; the rest runs at the process's next turn.
    Preempted,
    /// Finished, and started a new process (fork or thread) running the named `[[process]]` entry.
    Started(Pid, String),
}

/// Per-process summary in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessReport {
    /// Process id.
    pub pid: u32,
    /// The process that forked or cloned it (absent for processes started at boot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u32>,
    /// Its thread group (present only for a thread: the group leader's pid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tgid: Option<u32>,
    /// Name.
    pub name: String,
    /// `running`, `exited`, `killed (SIGSEGV)`, `killed (out of memory)`.
    pub state: String,
    /// `min_flt`.
    pub min_flt: u64,
    /// `maj_flt`.
    pub maj_flt: u64,
    /// Resident pages, anon + file + shmem (`VmRSS` / 4 KiB).
    pub rss_pages: u64,
    /// Peak resident pages (`VmHWM` / 4 KiB).
    pub hwm_pages: u64,
    /// Swap entries (`VmSwap` / 4 KiB).
    pub swap_pages: u64,
    /// Page-table frames (`VmPTE` / 4 KiB).
    pub pgtable_frames: u64,
    /// The SIGSEGV, if killed by one.
    pub signal: Option<String>,
    /// The scenario's description of the process.
    pub description: Option<String>,
    /// Its memory group's limit (`memory.max`), usage and reclaim, if it has one.
    pub memcg: Option<MemcgReport>,
}

/// A memory group in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemcgReport {
    /// `memory.max` in pages (absent: `max`, no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    /// `memory.high` in pages (absent: `max`, no throttling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_pages: Option<u64>,
    /// `memory.events`.
    pub events: crate::kernel::memcontrol::MemcgEvents,
    /// Pages charged at the end.
    pub usage_pages: u64,
    /// Charges that hit the limit (`memory.events` max).
    pub max_events: u64,
    /// Pages reclaimed inside the group.
    pub reclaimed: u64,
    /// Group OOM kills.
    pub oom_kills: u64,
    /// `memory.stat` `pgscan`: pages taken from the group's inactive list, by any reclaimer (its own limit's
    /// reclaim included, which /proc/vmstat leaves out).
    pub pgscan: u64,
    /// `memory.stat` `pgsteal`: the group's pages reclaimed, by any reclaimer.
    pub pgsteal: u64,
    /// `memory.stat` `pgscan_kswapd`.
    pub pgscan_kswapd: u64,
    /// `memory.stat` `pgscan_direct` (limit reclaim is direct).
    pub pgscan_direct: u64,
    /// `memory.stat` `pgsteal_kswapd`.
    pub pgsteal_kswapd: u64,
    /// `memory.stat` `pgsteal_direct`.
    pub pgsteal_direct: u64,
    /// `memory.stat` `pgactivate`: moves to the group's active list.
    pub pgactivate: u64,
    /// `memory.stat` `pgdeactivate`: moves from the group's active to its inactive list.
    pub pgdeactivate: u64,
}

/// A finished run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Paging mode.
    pub arch: &'static str,
    /// Seed used.
    pub seed: u64,
    /// Counters.
    #[serde(flatten)]
    pub stats: Stats,
    /// Processes in pid order.
    pub processes: Vec<ProcessReport>,
    /// Notable events in order (`pid: what`).
    pub events: Vec<String>,
    /// Replacement policy.
    pub policy: &'static str,
    /// Exact (teaching) mode.
    pub exact: bool,
    /// Per-CPU counters; present only on a machine with more than one CPU (`machine.cpus`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<CpuReport>,
    /// Overcommit accounting at the end of the run.
    pub overcommit: OvercommitReport,
    /// The OOM killer's kills, in order (absent when there were none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oom_kills: Vec<crate::kernel::oom_kill::OomKill>,
}

/// Overcommit accounting in a report (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OvercommitReport {
    /// `vm.overcommit_memory`.
    pub mode: u8,
    /// `CommitLimit` in kB.
    pub commit_limit_kb: u64,
    /// `Committed_AS` in kB at the end.
    pub committed_as_kb: u64,
    /// Requests refused with ENOMEM.
    pub refused: u64,
}

/// One CPU in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CpuReport {
    /// CPU number.
    pub cpu: u16,
    /// Switches to another task.
    pub context_switches: u64,
    /// Switches that loaded another address space.
    pub mm_switches: u64,
    /// Switches that had to flush the ASID they took (or, without PCIDs, every switch to another mm).
    pub asid_flushes: u64,
    /// TLB-shootdown IPIs received.
    pub shootdowns_received: u64,
    /// TLB lookups that hit (any level).
    pub tlb_hits: u64,
    /// TLB lookups that missed every level.
    pub tlb_misses: u64,
}

/// One machine of paging mode `M` (its replacement policy is chosen at run time: [`crate::reclaim::AnyPolicy`]).
#[derive(Debug)]
pub struct Machine<M: PagingMode> {
    /// The kernel (RAM, CPUs, tasks).
    pub kernel: Kernel<M>,
    cfg: SimConfig,
    accesses: AccessStats,
    regions: BTreeMap<(Pid, String), VirtAddr>,
    /// Where a scenario run publishes its access count for a progress display (every 4096 accesses of a step).
    access_counter: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Accesses a scenario may make before its run stops with [`StepErrorKind::AccessLimit`] (`--max-accesses`).
    access_limit: u64,
    /// Named regions whose mmap failed, with the failed call (a later use names the failure, not "unknown").
    failed_regions: BTreeMap<(Pid, String), String>,
    /// The children each process started, by their `[[process]]` name (for `wait`).
    started: BTreeMap<(Pid, String), Pid>,
    /// Names of the `alloc_pages` steps each process ran (for `free_pages`).
    alloc_names: std::collections::BTreeSet<(Pid, String)>,
    /// `expect` steps that read something else than expected.
    pub expect_failures: u64,
    /// Accesses already done of each process's current read/write/exec step (preempted by the quantum).
    progress: BTreeMap<Pid, u64>,
    descriptions: BTreeMap<Pid, String>,
    /// The directory of the scenario being run (relative snapshot paths start there).
    scenario_dir: Option<std::path::PathBuf>,
}

/// A machine of any supported architecture.
#[derive(Debug)]
pub enum AnyMachine {
    /// x86-64 4-level.
    X86(Box<Machine<X86FourLevel>>),
    /// The linear teaching table.
    Linear(Box<Machine<Linear>>),
}

/// Dispatch a generic expression over the architecture of an [`AnyMachine`]: the one place architecture names
/// become types. The body is monomorphized per architecture, so hot loops inside it have no dynamic dispatch.
#[macro_export]
macro_rules! with_machine {
    ($any:expr, $m:ident => $body:expr) => {
        match $any {
            $crate::sim::AnyMachine::X86($m) => $body,
            $crate::sim::AnyMachine::Linear($m) => $body,
        }
    };
}

impl AnyMachine {
    /// Boot the machine a configuration describes.
    pub fn new(cfg: &SimConfig) -> Result<Self, KernelError> {
        if cfg.reclaim.policy == crate::reclaim::PolicyKind::Opt {
            return Err(KernelError::OptNeedsTrace);
        }
        Ok(match cfg.machine.arch {
            ArchKind::X86_64 => AnyMachine::X86(Box::new(Machine::new(cfg)?)),
            ArchKind::Linear => AnyMachine::Linear(Box::new(Machine::new(cfg)?)),
        })
    }
}

/// Result of translating one address for `vmsim translate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    /// The address.
    pub va: VirtAddr,
    /// Whether a TLB answered (no walk needed).
    pub tlb_hit: Option<TlbLevel>,
    /// The walk steps (entries read), root first.
    pub steps: Vec<(WalkStep, &'static str, String)>,
    /// The physical address, if it translated.
    pub pa: Option<PhysAddr>,
    /// The frame, if it translated.
    pub pfn: Option<Pfn>,
    /// The swap entry, if the page is in swap.
    pub swap: Option<SwapEntry>,
    /// The fault, if it did not translate.
    pub fault: Option<String>,
    /// Number of table levels.
    pub levels: u8,
    /// Whether a VMA covers the address (a not-present page inside one is demand paging, outside is SIGSEGV).
    pub in_vma: bool,
    /// Who translates: `process 2 (child) on CPU 0, PCID 2`.
    pub who: String,
    /// What the kernel knows of the frame the page-table entry maps, if present: references, mappings, and
    /// whether it is the zero page, shared copy-on-write, or exclusive.
    pub page: Option<String>,
    /// For an address the MMU refuses before reading any table (non-canonical on x86-64, past the table on the
    /// linear table): what the kernel does with it ([`PagingMode::describe_out_of_range`]).
    pub out_of_range: Option<&'static str>,
}

impl<M: PagingMode> Machine<M> {
    /// Boot.
    pub fn new(cfg: &SimConfig) -> Result<Self, KernelError> {
        let frames = usize::try_from(cfg.machine.frames()).map_err(|_| KernelError::TooSmall(0))?;
        let r = &cfg.reclaim;
        let kcfg = KernelConfig {
            // Exact mode: no zero page (SPEC §16 counting: every first touch is one fault).
            zero_page: cfg.machine.zero_page && !r.exact,
            pcid: cfg.machine.pcid,
            exact: r.exact,
            user_frames: cfg.machine.frames(),
            watermark_scale_factor: u64::from(r.watermark_scale_factor),
            page_cluster: r.page_cluster,
            verify: r.verify,
            seed: cfg.machine.seed,
            policy: r.policy,
            cpus: cfg.machine.cpus as usize,
            clock_rates: crate::kernel::clock::ClockRates::from_cost(&cfg.cost),
            ra_pages: u64::from(r.read_ahead_kb) * 1024 / PAGE_SIZE,
            swappiness: r.swappiness,
            overcommit: cfg.vm.overcommit(),
            extfrag_threshold: cfg.vm.extfrag_threshold,
            zswap: cfg.zswap.params(),
            ksm: cfg.ksm.params(),
            ..KernelConfig::default()
        };
        let mut kernel = Kernel::new(frames, &cfg.tlb, kcfg)?;
        if cfg.cache.enabled {
            let h = crate::cache::Hierarchy::new(
                &cfg.cache,
                cfg.machine.cpus as usize,
                cfg.cost.memory_ns,
                M::LEVELS,
                cfg.machine.seed,
            )?;
            kernel.caches = Some(Box::new(h));
        }
        let devices = if cfg.swap.devices.is_empty() && cfg.swap.size.0 >= 2 * PAGE_SIZE {
            vec![crate::swap::swapfile::SwapDeviceConfig {
                priority: None,
                size_pages: Some(cfg.swap.size.0 / PAGE_SIZE),
                file: None,
            }]
        } else {
            cfg.swap.devices.clone()
        };
        for d in &devices {
            kernel.swap.add(d)?;
        }
        Ok(Self {
            kernel,
            cfg: cfg.clone(),
            accesses: AccessStats::default(),
            regions: BTreeMap::new(),
            failed_regions: BTreeMap::new(),
            access_limit: u64::MAX,
            access_counter: None,
            started: BTreeMap::new(),
            alloc_names: std::collections::BTreeSet::new(),
            expect_failures: 0,
            progress: BTreeMap::new(),
            descriptions: BTreeMap::new(),
            scenario_dir: None,
        })
    }

    /// Stops a scenario's read/write/exec steps with [`StepErrorKind::AccessLimit`] once the machine has made
    /// `limit` accesses (None: no limit). A step like `repeat = 4294967295` then ends with an error instead of
    /// running for hours.
    pub fn set_access_limit(&mut self, limit: Option<u64>) {
        self.access_limit = limit.unwrap_or(u64::MAX);
    }

    /// Publishes the running access count into `counter` while a scenario runs (for a progress bar on another
    /// thread; the model itself reads no clock).
    pub fn set_access_counter(&mut self, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) {
        self.access_counter = Some(counter);
    }

    /// Memory accesses made so far (the report's `accesses.total`).
    pub fn accesses_total(&self) -> u64 {
        self.accesses.total
    }

    /// Start a process for trace replay. With `implicit`, one VMA covers the whole user space, so every page a
    /// trace touches is legal.
    pub fn spawn_trace_process(&mut self, implicit: bool) -> Result<Pid, KernelError> {
        let pid = self.kernel.spawn("trace", &Layout { stack_pages: 0, ..Layout::default_for::<M>() })?;
        if implicit {
            let _ = self.kernel.map_trace_region(pid, VirtAddr::new(0), VirtAddr::new(user_top::<M>()));
        }
        Ok(pid)
    }

    /// One access of `size` bytes at `addr` by `pid` (trace replay). An access crossing a page boundary touches
    /// both pages. Returns false when the process is no longer running.
    #[inline]
    pub fn access(&mut self, pid: Pid, addr: u64, size: u32, kind: Access) -> bool {
        self.accesses.count(kind);
        let va = VirtAddr::new(addr);
        let last = addr.saturating_add(u64::from(size.max(1)) - 1);
        let mut page = va;
        loop {
            self.accesses.translations += 1;
            if !matches!(self.kernel.access(pid, page, kind), AccessResult::Ok(_)) {
                return false;
            }
            let next = page.page_align_down().raw().checked_add(PAGE_SIZE);
            match next {
                Some(n) if n <= last => page = VirtAddr::new(n),
                _ => return true,
            }
        }
    }

    /// Run every process of a scenario to completion, round-robin one step at a time.
    pub fn run_scenario(&mut self, path: &Path, text: &str, sc: &Scenario) -> Result<(), StepError> {
        self.scenario_dir = path.parent().map(Path::to_path_buf);
        // A process-level error points at the `[[process]]` entry (its `cpu` key for a bad CPU).
        let whole = |index: usize, kind: StepErrorKind| {
            let key = match kind {
                StepErrorKind::CpuOutOfRange { .. } => "cpu",
                StepErrorKind::OomScoreAdjRange(_) => "oom_score_adj",
                StepErrorKind::BadSnapshot { .. } => "snapshot",
                _ => "name",
            };
            StepError { location: crate::config::process_location(path, text, index, key), kind }
        };
        let index_of = |p: &ProcessConfig| sc.process.iter().position(|q| std::ptr::eq(q, p)).unwrap_or(0);
        let loc = |span: std::ops::Range<usize>| {
            let (l, c) = crate::config::line_col(text, span.start);
            format!("{}:{l}:{c}", path.display())
        };
        // A failed step: where it is written, which step of which process, and its op.
        let step_loc = |p: &ProcessConfig, n: usize, span: std::ops::Range<usize>| {
            let op = crate::config::step_op(text, span.clone());
            format!("{}: step {} ({op}) of process {:?}", loc(span), n + 1, p.name)
        };
        for f in &sc.file {
            let file = load_file(path, f.get_ref()).map_err(|kind| StepError { location: loc(f.span()), kind })?;
            if !self.kernel.create_file(file) {
                let kind = StepErrorKind::FileDeclaredTwice(f.get_ref().name.clone());
                return Err(StepError { location: loc(f.span()), kind });
            }
        }
        // Processes named by a fork/thread step start there, not at boot.
        let mut children: BTreeMap<&str, std::ops::Range<usize>> = BTreeMap::new();
        for p in &sc.process {
            for step in &p.steps {
                if let Some(child) = step.get_ref().starts() {
                    if !sc.process.iter().any(|q| q.name == child) {
                        let kind = StepErrorKind::UnknownChild(child.to_string());
                        return Err(StepError { location: loc(step.span()), kind });
                    }
                    if children.insert(child, step.span()).is_some() {
                        let kind = StepErrorKind::ChildStartedTwice(child.to_string());
                        return Err(StepError { location: loc(step.span()), kind });
                    }
                }
            }
        }
        if let Some(first) = sc.process.first() {
            if sc.process.iter().all(|p| children.contains_key(p.name.as_str())) {
                return Err(whole(0, StepErrorKind::NothingToStart(first.name.clone())));
            }
        }
        let mut procs: Vec<(Pid, &ProcessConfig, usize)> = Vec::new();
        for (i, p) in sc.process.iter().enumerate().filter(|(_, p)| !children.contains_key(p.name.as_str())) {
            let mut layout = Layout::default_for::<M>();
            if let Some(l) = p.stack_limit {
                layout.stack_limit = l.0;
            }
            let pid = self.kernel.spawn(&p.name, &layout).map_err(|e| whole(i, e.into()))?;
            self.configure(pid, p).map_err(|k| whole(i, k))?;
            procs.push((pid, p, 0));
        }
        // Round-robin, one step per process per round (or, with machine.quantum = N, at most N accesses of a
        // read/write/exec step, the rest at the next turn); a process started by a fork joins at the end of the
        // list and takes its first step in the next round. A blocked `wait` is retried each round.
        loop {
            let (mut progressed, mut blocked) = (false, None);
            let mut started = Vec::new();
            for (pid, p, next) in &mut procs {
                let Some(step) = p.steps.get(*next) else { continue };
                if !self.kernel.task(*pid).is_some_and(|t| t.is_running()) {
                    *next += 1;
                    progressed = true;
                    continue;
                }
                match self
                    .run_step(*pid, step.get_ref())
                    .map_err(|kind| StepError { location: step_loc(p, *next, step.span()), kind })?
                {
                    StepDone::Done => {}
                    StepDone::Blocked => {
                        blocked.get_or_insert(step.span());
                        continue;
                    }
                    StepDone::Preempted => {
                        progressed = true;
                        continue;
                    }
                    StepDone::Started(child, name) => started.push((child, name)),
                }
                *next += 1;
                progressed = true;
            }
            for (child, name) in started {
                if let Some(c) = sc.process.iter().find(|q| q.name == name) {
                    self.configure(child, c).map_err(|k| whole(index_of(c), k))?;
                    procs.push((child, c, 0));
                }
            }
            if !progressed {
                return match blocked {
                    Some(span) => Err(StepError { location: loc(span), kind: StepErrorKind::Deadlock }),
                    None => Ok(()),
                };
            }
        }
    }

    /// Apply a `[[process]]` entry's settings to its task: CPU, memory group, description.
    fn configure(&mut self, pid: Pid, p: &ProcessConfig) -> Result<(), StepErrorKind> {
        if let Some(cpu) = p.cpu {
            let ok = u16::try_from(cpu).is_ok_and(|c| self.kernel.set_task_cpu(pid, crate::kernel::cpu::CpuId(c)));
            if !ok {
                let (process, cpus) = (p.name.clone(), self.kernel.cpus.len());
                return Err(StepErrorKind::CpuOutOfRange { process, cpu, cpus });
            }
        }
        if let Some(max) = p.memory_max {
            self.kernel.set_memory_max(pid, max.0.div_ceil(PAGE_SIZE));
        }
        if let Some(high) = p.memory_high {
            self.kernel.set_memory_high(pid, high.0.div_ceil(PAGE_SIZE));
        }
        if let Some(adj) = p.oom_score_adj {
            if !(crate::kernel::oom_kill::OOM_SCORE_ADJ_MIN..=crate::kernel::oom_kill::OOM_SCORE_ADJ_MAX).contains(&adj)
            {
                return Err(StepErrorKind::OomScoreAdjRange(adj));
            }
        }
        if let Some(t) = self.kernel.tasks.get_mut(&pid) {
            t.oom_score_adj = p.oom_score_adj.unwrap_or(t.oom_score_adj);
            t.uid = p.uid.unwrap_or(t.uid);
        }
        if let Some(d) = &p.description {
            self.descriptions.insert(pid, d.clone());
        }
        if let Some(snap) = &p.snapshot {
            self.load_snapshot(pid, snap)?;
        }
        if p.memory_merge {
            self.kernel.set_memory_merge(pid);
        }
        Ok(())
    }

    /// Map a snapshot's mappings into `pid` and fill them with its pages (see [`crate::snapshot`]). The
    /// kernel's own special mappings (`[vdso]`, `[vvar]`, `[vsyscall]`) and anything beyond user space are left out;
    /// file mappings become private anonymous copies of their resident pages.
    fn load_snapshot(&mut self, pid: Pid, path: &Path) -> Result<(), StepErrorKind> {
        let full = self.scenario_dir.as_ref().map_or_else(|| path.to_path_buf(), |d| d.join(path));
        let bad = |why: String| StepErrorKind::BadSnapshot { path: full.display().to_string(), why };
        let file = std::fs::File::open(&full).map_err(|e| bad(e.to_string()))?;
        let snap =
            crate::snapshot::Snapshot::read_from(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
        let top = crate::kernel::mmap::user_top::<M>();
        let mut kept = Vec::new();
        for (i, m) in snap.header.maps.iter().enumerate() {
            if m.path.starts_with("[v") || m.end > top || m.start >= m.end || m.start % PAGE_SIZE != 0 {
                continue;
            }
            let args = MmapArgs {
                addr: Some(VirtAddr::new(m.start)),
                len: m.end - m.start,
                prot: VmFlags::READ | VmFlags::WRITE,
                fixed: true,
                grows_down: false,
                shared: false,
                name: Some(format!("snap{i}")),
                file: None,
                noreserve: false,
            };
            let at =
                self.kernel.mmap(pid, &args).map_err(|e| bad(format!("mapping {:#x}..{:#x}: {e}", m.start, m.end)))?;
            self.regions.insert((pid, format!("snap{i}")), at);
            kept.push(m);
        }
        let mut pages = 0u64;
        for (va, data) in &snap.pages {
            if !kept.iter().any(|m| (m.start..m.end).contains(va)) {
                continue;
            }
            let page = data.as_deref().copied().unwrap_or([0u8; crate::addr::PAGE_BYTES]);
            self.accesses.count(Access::Write);
            self.accesses.translations += 1;
            if !matches!(self.kernel.write_user(pid, VirtAddr::new(*va), &page), AccessResult::Ok(_)) {
                break;
            }
            pages += 1;
        }
        for m in &kept {
            let prot: String = m.perms.chars().take(3).filter(|c| *c != '-').collect();
            let prot = VmFlags::from_prot(&prot).unwrap_or(VmFlags::READ);
            if !prot.contains(VmFlags::WRITE) {
                let _ = self.kernel.mprotect(pid, VirtAddr::new(m.start), m.end - m.start, prot);
            }
        }
        self.event(
            pid,
            format!(
                "started from snapshot {} of pid {} ({}): {} mappings, {pages} resident pages",
                path.display(),
                snap.header.pid,
                snap.header.comm,
                kept.len()
            ),
        );
        Ok(())
    }

    fn resolve(&self, pid: Pid, a: &AddrExpr) -> Result<VirtAddr, StepErrorKind> {
        match a {
            AddrExpr::Abs(n) => Ok(VirtAddr::new(*n)),
            AddrExpr::Region(name, off) => {
                let key = (pid, name.clone());
                let base = self.regions.get(&key).ok_or_else(|| match self.failed_regions.get(&key) {
                    Some(failure) => StepErrorKind::RegionNotMapped { region: name.clone(), failure: failure.clone() },
                    None => StepErrorKind::UnknownRegion(name.clone()),
                })?;
                base.checked_add(*off)
                    .ok_or_else(|| StepErrorKind::AddressOverflow { region: name.clone(), offset: *off })
            }
        }
    }

    fn event(&mut self, pid: Pid, what: String) {
        self.kernel.log.push(Event { pid, what });
    }

    /// Report a system call's result as strace would (`call failed: ENOMEM (why)`), against the step's `expect`
    /// (`"ok"` or an errno name): a different result is an `EXPECT FAILED` event and counts in
    /// `expect_failures`. The run goes on either way.
    fn check_expect(&mut self, pid: Pid, call: &str, failed: Option<(&str, String)>, expect: &Option<String>) {
        let got = failed.as_ref().map_or("ok", |(errno, _)| errno);
        if let Some((errno, why)) = &failed {
            let note = if expect.as_deref() == Some(errno) { ", as expected" } else { "" };
            self.event(pid, format!("{call} failed: {errno} ({why}){note}"));
        }
        if let Some(want) = expect {
            if !want.eq_ignore_ascii_case(got) {
                self.expect_failures += 1;
                self.event(pid, format!("EXPECT FAILED: {call} gave {got}, expected {want}"));
            }
        }
    }

    fn run_step(&mut self, pid: Pid, step: &Step) -> Result<StepDone, StepErrorKind> {
        // A system call runs on the caller's CPU: switch to the task there first, so that the flushes it issues
        // start from that CPU (its own TLB flushed locally, the others' by shootdown IPIs).
        let _ = self.kernel.enter(pid);
        let prot = |s: &str| VmFlags::from_prot(s).ok_or_else(|| StepErrorKind::BadProt(s.to_string()));
        match step {
            Step::Mmap { name, addr, len, prot: p, fixed, grows_down, shared, file, offset, noreserve, expect } => {
                let addr = addr.as_ref().map(|a| self.resolve(pid, a)).transpose()?;
                let file = match file {
                    Some(f) => Some((
                        self.kernel.files.lookup(f).ok_or_else(|| StepErrorKind::UnknownFile(f.clone()))?,
                        offset.0,
                    )),
                    None => None,
                };
                let args = MmapArgs {
                    addr,
                    len: len.0,
                    prot: prot(p)?,
                    fixed: *fixed,
                    grows_down: *grows_down,
                    shared: *shared,
                    name: name.clone(),
                    file,
                    noreserve: *noreserve,
                };
                // As strace shows it: mmap(NULL, ...) or mmap(0x..., ...).
                let at = addr.map_or("NULL".to_owned(), |a| format!("{:#x}", a.raw()));
                let call = format!("mmap({at}, {len})");
                match self.kernel.mmap(pid, &args) {
                    Ok(va) => {
                        if let Some(n) = name {
                            self.failed_regions.remove(&(pid, n.clone()));
                            self.regions.insert((pid, n.clone()), va);
                        }
                        self.check_expect(pid, &call, None, expect);
                    }
                    Err(e) => {
                        let what = format!("{call} failed: {}", e.errno);
                        if let Some(n) = name {
                            self.failed_regions.insert((pid, n.clone()), what.clone());
                        }
                        self.check_expect(pid, &call, Some((e.errno.name(), e.to_string())), expect);
                    }
                }
            }
            Step::Munmap { addr, len } => {
                let a = self.resolve(pid, addr)?;
                if let Err(e) = self.kernel.munmap(pid, a, len.0) {
                    self.event(pid, format!("munmap({:#x}, {len}) failed: {}", a.raw(), e.errno));
                }
            }
            Step::Mprotect { addr, len, prot: p } => {
                let a = self.resolve(pid, addr)?;
                if let Err(e) = self.kernel.mprotect(pid, a, len.0, prot(p)?) {
                    self.event(pid, format!("mprotect({:#x}, {len}, {p}) failed: {}", a.raw(), e.errno));
                }
            }
            Step::Brk { size, expect } => {
                let start = self.kernel.mm_of(pid).map(|m| m.start_brk);
                if let Some(start) = start {
                    let want = start.checked_add(size.0).ok_or(StepErrorKind::BrkOverflow { size: size.0 })?;
                    let call = format!("brk({:#x})", want.raw());
                    match self.kernel.brk(pid, want) {
                        Ok(got) if got != want => {
                            // brk() reports failure by returning the old break (glibc's sbrk turns it into ENOMEM).
                            let why = format!("break stays at {:#x}", got.raw());
                            self.check_expect(pid, &call, Some(("ENOMEM", why)), expect);
                        }
                        Ok(_) => self.check_expect(pid, &call, None, expect),
                        Err(e) => self.check_expect(pid, &call, Some((e.errno.name(), e.to_string())), expect),
                    }
                }
            }
            Step::Read { addr, len, stride, repeat } => {
                return self.sweep(pid, addr, len.0, stride.0, *repeat, Access::Read, 0);
            }
            Step::Write { addr, len, stride, repeat, value } => {
                return self.sweep(pid, addr, len.0, stride.0, *repeat, Access::Write, *value);
            }
            Step::Exec { addr, len, stride, repeat } => {
                return self.sweep(pid, addr, len.0, stride.0, *repeat, Access::Fetch, 0);
            }
            Step::Store { addr, text, hex } => {
                let a = self.resolve(pid, addr)?;
                let bytes = step_bytes(text, hex, StepErrorKind::StoreNeedsOneSource)?;
                self.accesses.count(Access::Write);
                self.accesses.translations += (bytes.len() as u64).div_ceil(PAGE_SIZE);
                let _ = self.kernel.write_user(pid, a, &bytes);
            }
            Step::Fill { addr, len, content, seed } => {
                let a = self.resolve(pid, addr)?;
                let content = crate::content::Content::parse(content).map_err(StepErrorKind::BadContent)?;
                let source = match &content {
                    crate::content::Content::Copy(r) => Some(self.resolve(pid, &AddrExpr::Region(r.clone(), 0))?),
                    _ => None,
                };
                for i in 0..len.0.div_ceil(PAGE_SIZE) {
                    let at = a.checked_add(i * PAGE_SIZE).ok_or(StepErrorKind::BadContent("range wraps".into()))?;
                    let page = match source {
                        Some(src) => {
                            let mut p = [0u8; crate::addr::PAGE_BYTES];
                            let from = src
                                .checked_add(i * PAGE_SIZE)
                                .ok_or(StepErrorKind::BadContent("copy source range wraps".into()))?;
                            self.accesses.count(Access::Read);
                            self.accesses.translations += 1;
                            if !matches!(self.kernel.read_user(pid, from, &mut p), AccessResult::Ok(_)) {
                                break;
                            }
                            p
                        }
                        None => content.page(*seed, i),
                    };
                    self.accesses.count(Access::Write);
                    self.accesses.translations += 1;
                    if !matches!(self.kernel.write_user(pid, at, &page), AccessResult::Ok(_)) {
                        break;
                    }
                }
            }
            Step::KsmScan { batches } => {
                for _ in 0..*batches {
                    let n = self.kernel.ksm.cfg.pages_to_scan;
                    self.kernel.ksm_do_scan(n);
                }
                let s = self.kernel.ksm.stats();
                self.event(
                    pid,
                    format!(
                        "ksm: pages_shared {} pages_sharing {} pages_unshared {} pages_volatile {} full_scans {}",
                        s.pages_shared, s.pages_sharing, s.pages_unshared, s.pages_volatile, s.full_scans
                    ),
                );
            }
            Step::Pin { page, frame, swap, text } => {
                let vpn = Vpn::new(*page);
                match (frame, swap) {
                    (Some(f), None) => {
                        let pfn = Pfn::try_new(*f)?;
                        self.kernel.pin(pid, vpn, pfn)?;
                    }
                    (None, Some(slot)) => {
                        if *slot == 0 {
                            return Err(StepErrorKind::SwapSlotZero);
                        }
                        let content = text.as_deref().unwrap_or("").as_bytes();
                        self.kernel.pin_swapped(pid, vpn, SwapEntry::new(0, *slot), content)?;
                    }
                    _ => return Err(StepErrorKind::PinNeedsOneTarget),
                }
                if frame.is_some() && text.is_some() {
                    return Err(StepErrorKind::PinTextNeedsSwap);
                }
            }
            Step::Exit => self.kernel.exit(pid),
            Step::ExitGroup => self.kernel.exit_group(pid),
            Step::Expect { addr, text, hex } => {
                let a = self.resolve(pid, addr)?;
                let want = step_bytes(text, hex, StepErrorKind::ExpectNeedsOneSource)?;
                let mut got = vec![0u8; want.len()];
                self.accesses.count(Access::Read);
                self.accesses.translations += (got.len() as u64).div_ceil(PAGE_SIZE);
                if matches!(self.kernel.read_user(pid, a, &mut got), AccessResult::Ok(_)) && got != want {
                    self.expect_failures += 1;
                    self.event(
                        pid,
                        format!(
                            "EXPECT FAILED at {:#x}: read {:?}, expected {:?}",
                            a.raw(),
                            String::from_utf8_lossy(&got),
                            String::from_utf8_lossy(&want)
                        ),
                    );
                }
            }
            Step::Fork { child, .. } | Step::Thread { child } => {
                let thread = matches!(step, Step::Thread { .. });
                let expect = match step {
                    Step::Fork { expect, .. } => expect.clone(),
                    _ => None,
                };
                let call = if thread { "clone".to_string() } else { "fork".to_string() };
                let r = if thread { self.kernel.clone_thread(pid, child) } else { self.kernel.fork(pid, child) };
                match r {
                    Ok(c) => {
                        // The child inherits the parent's named regions (the same addresses in its copy).
                        let inherited: Vec<(String, VirtAddr)> = self
                            .regions
                            .iter()
                            .filter(|((p, _), _)| *p == pid)
                            .map(|((_, n), a)| (n.clone(), *a))
                            .collect();
                        for (n, a) in inherited {
                            self.regions.insert((c, n), a);
                        }
                        self.started.insert((pid, child.clone()), c);
                        self.check_expect(pid, &call, None, &expect);
                        return Ok(StepDone::Started(c, child.clone()));
                    }
                    Err(e) => self.check_expect(pid, &call, Some((e.errno.name(), e.to_string())), &expect),
                }
            }
            Step::Wait { child } => {
                let target = match child {
                    Some(name) => match self.started.get(&(pid, name.clone())) {
                        Some(&c) => Some(c),
                        None => {
                            self.event(pid, format!("wait4({name}) failed: ECHILD (not a child of this process)"));
                            return Ok(StepDone::Done);
                        }
                    },
                    None => None,
                };
                match self.kernel.wait(pid, target) {
                    Ok(crate::kernel::fork::WaitStatus::Reaped(_)) => {}
                    Ok(crate::kernel::fork::WaitStatus::WouldBlock) => return Ok(StepDone::Blocked),
                    Err(e) => self.event(pid, format!("wait4 failed: {}", e.errno)),
                }
            }
            Step::Msync { addr, len } => {
                let a = self.resolve(pid, addr)?;
                if let Err(e) = self.kernel.msync(pid, a, len.0) {
                    self.event(pid, format!("msync({:#x}, {len}) failed: {}", a.raw(), e.errno));
                }
            }
            Step::CompactMemory if self.kernel.cfg.exact => {
                self.event(pid, "compact_memory: nothing to do in exact mode (its user frames are a fixed pool outside the buddy allocator)".to_string());
            }
            Step::CompactMemory => {
                let before = self.kernel.frames.buddyinfo_line(0, "Normal");
                let moved = self.kernel.compaction.pgmigrate_success;
                self.kernel.compact_zone(None);
                let moved = self.kernel.compaction.pgmigrate_success - moved;
                let after = self.kernel.frames.buddyinfo_line(0, "Normal");
                self.event(
                    pid,
                    format!(
                        "compact_memory: {moved} pages migrated; buddyinfo before: {} after: {}",
                        before.trim_end(),
                        after.trim_end()
                    ),
                );
            }
            Step::AllocPages { order, count, name } => {
                if *order > crate::phys::buddy::MAX_PAGE_ORDER {
                    return Err(StepErrorKind::OrderTooLarge(*order));
                }
                self.alloc_names.insert((pid, name.clone()));
                let (mut got, mut ran, mut deferred, mut skipped) = (0u32, 0u32, 0u32, 0u32);
                let (s0, f0) = (self.kernel.compaction.success, self.kernel.compaction.fail);
                for _ in 0..*count {
                    let (page, compact) = self.kernel.alloc_pages_kernel(*order);
                    match compact {
                        Some(crate::kernel::compaction::DirectCompact::Ran(_)) => ran += 1,
                        Some(crate::kernel::compaction::DirectCompact::Deferred) => deferred += 1,
                        Some(crate::kernel::compaction::DirectCompact::Skipped) => skipped += 1,
                        None => {}
                    }
                    if let Some(p) = page {
                        got += 1;
                        self.kernel.driver_pages.entry(pid).or_default().push((name.clone(), p, *order));
                    }
                }
                let c = self.kernel.compaction;
                let after = self.kernel.frames.buddyinfo_line(0, "Normal");
                self.event(
                    pid,
                    format!(
                        "alloc_pages(GFP_KERNEL | __GFP_COMP, order {order}) {name:?}: {got} of {count} blocks; \
                         direct compaction: {ran} ran, {deferred} deferred, {skipped} skipped, {} succeeded, {} failed; \
                         buddyinfo: {}",
                        c.success - s0,
                        c.fail - f0,
                        after.trim_end()
                    ),
                );
            }
            Step::FreePages { name } => {
                if !self.alloc_names.contains(&(pid, name.clone())) {
                    return Err(StepErrorKind::UnknownPages(name.clone()));
                }
                let held = self.kernel.driver_pages.remove(&pid).unwrap_or_default();
                let (free, keep): (Vec<_>, Vec<_>) = held.into_iter().partition(|(n, _, _)| n == name);
                for (_, pfn, order) in free {
                    self.kernel.frames.free_pages(pfn, order);
                }
                if !keep.is_empty() {
                    self.kernel.driver_pages.insert(pid, keep);
                }
            }
            Step::DropCaches => {
                let n = self.kernel.drop_caches();
                self.event(pid, format!("drop_caches: {n} clean page-cache pages dropped"));
            }
            Step::Execve => {
                let layout = Layout::default_for::<M>();
                match self.kernel.execve(pid, &layout) {
                    Ok(()) => self.regions.retain(|(p, _), _| *p != pid),
                    Err(e) => self.event(pid, format!("execve failed: {}", e.errno)),
                }
            }
            Step::Madvise { addr, len, advice } => {
                let a = self.resolve(pid, addr)?;
                if let Err(e) = self.kernel.madvise(pid, a, len.0, advice) {
                    if matches!(e.cause, crate::kernel::error::Cause::UnsupportedAdvice(_)) {
                        return Err(e.into());
                    }
                    self.event(pid, format!("madvise({:#x}, {len}, {advice}) failed: {}", a.raw(), e.errno));
                }
            }
        }
        Ok(StepDone::Done)
    }

    #[allow(clippy::too_many_arguments, reason = "mirrors the step's fields")]
    fn sweep(
        &mut self,
        pid: Pid,
        addr: &AddrExpr,
        len: u64,
        stride: u64,
        repeat: u32,
        kind: Access,
        value: u8,
    ) -> Result<StepDone, StepErrorKind> {
        let start = self.resolve(pid, addr)?;
        if stride == 0 {
            return Err(StepErrorKind::ZeroStride);
        }
        // Access k of the step is sweep k / per_sweep at offset (k % per_sweep) * stride; a preempted step resumes
        // at the access after the last one done.
        let per_sweep = len.div_ceil(stride);
        let total = per_sweep.saturating_mul(u64::from(repeat));
        let first = self.progress.remove(&pid).unwrap_or(0);
        let budget = if self.cfg.machine.quantum == 0 { u64::MAX } else { self.cfg.machine.quantum };
        let mut k = first;
        while k < total {
            if k - first == budget {
                self.progress.insert(pid, k);
                return Ok(StepDone::Preempted);
            }
            if self.accesses.total >= self.access_limit {
                return Err(StepErrorKind::AccessLimit(self.access_limit));
            }
            let Some(va) = start.checked_add((k % per_sweep) * stride) else { return Ok(StepDone::Done) };
            self.accesses.count(kind);
            self.accesses.translations += 1;
            let r = if kind == Access::Write {
                self.kernel.write_user(pid, va, &[value])
            } else {
                self.kernel.access(pid, va, kind)
            };
            if !matches!(r, AccessResult::Ok(_)) {
                return Ok(StepDone::Done);
            }
            k += 1;
            if k % 4096 == 0 {
                if let Some(c) = &self.access_counter {
                    c.store(self.accesses.total, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        Ok(StepDone::Done)
    }

    /// Translate `va` in `pid`'s address space step by step, as `vmsim translate` shows it. The TLB is consulted
    /// first; on a miss the walk is performed (setting A bits, filling the TLB) and each entry read is reported.
    pub fn translate_verbose(&mut self, pid: Pid, va: VirtAddr, access: Access) -> Option<Translation> {
        let vma_writable = self.kernel.mm_of(pid)?.vmas.find(va).map(|v| v.flags.contains(VmFlags::WRITE));
        let in_vma = vma_writable.is_some();
        let (cpu, space) = self.kernel.enter(pid)?;
        let name = self.kernel.task(pid).map_or("", |t| t.name.as_str());
        let who = format!("process {} ({name}) on CPU {}, PCID {}", pid.0, cpu.0, space.asid.0);
        let page = self.kernel.pte(pid, va).filter(|p| p.is_present()).map(|pte| {
            let pfn = pte.pfn();
            let m = self.kernel.mem.meta(pfn);
            let writable = pte.perms().contains(crate::arch::Perms::WRITE);
            let shared_vma = self
                .kernel
                .mm_of(pid)
                .and_then(|mm| mm.vmas.find(va))
                .is_some_and(|v| v.flags.contains(VmFlags::SHARED));
            let file = match m.mapping {
                crate::phys::frame_meta::Mapping::File { inode } => {
                    self.kernel.files.get(inode).map(|f| (f.name.clone(), m.index))
                }
                _ => None,
            };
            let what = if pfn == self.kernel.zero_pfn() {
                "the shared zero page: read-only; a write gets a fresh zeroed page (do_wp_page)".to_string()
            } else if let Some((name, index)) = file {
                let dirty = if m.test(crate::phys::PageFlags::DIRTY) { "dirty" } else { "clean" };
                let on_write = match (shared_vma, writable) {
                    (true, true) => "writable: writes dirty the page cache",
                    (true, false) => "shared, write-protected: a write faults once to dirty it (wp_page_shared)",
                    (false, _) => "private: a write copies it into an anonymous page (do_wp_page)",
                };
                format!("page {index} of file {name} in the page cache ({dirty}); {on_write}")
            } else if writable {
                "anonymous, writable".to_string()
            } else if m.test(crate::phys::PageFlags::ANON_EXCLUSIVE) {
                "anonymous, write-protected but exclusive: a write reuses it in place".to_string()
            } else if vma_writable == Some(true) && m.mapcount > 1 {
                format!("copy-on-write, shared by {} mappings: a write copies it (wp_page_copy)", m.mapcount)
            } else if vma_writable == Some(true) {
                "write-protected, no longer shared: a write reuses it in place (wp_can_reuse_anon_folio)".to_string()
            } else {
                "anonymous, read-only mapping".to_string()
            };
            if pfn == self.kernel.zero_pfn() {
                what
            } else {
                format!("refcount {}, mapcount {}; {what}", m.refcount, m.mapcount)
            }
        });
        let mut t = Translation {
            va,
            tlb_hit: None,
            steps: Vec::new(),
            pa: None,
            pfn: None,
            swap: None,
            fault: None,
            levels: M::LEVELS,
            in_vma,
            who,
            page,
            out_of_range: None,
        };
        let k = &mut self.kernel;
        let mmu = &mut k.cpus.get_mut(cpu).mmu;
        let out = match mmu.translate(&mut k.mem, space, va, access, Mode::User) {
            Outcome::TlbHit { pa, level } => {
                t.tlb_hit = Some(level);
                Outcome::TlbHit { pa, level }
            }
            _ => mmu.walk_and_fill(&mut k.mem, space, va, access, Mode::User, &mut ()),
        };
        // Show every level the tables hold (a read-only walk from the root, no A/D update), even when a TLB or a
        // paging-structure cache spared the MMU part of the walk.
        // An address the MMU refuses first (non-canonical, or past the linear table) has no entry to show.
        let mut steps: Vec<WalkStep> = Vec::new();
        if M::is_canonical(va) {
            let _ = crate::mmu::walk::<M, _>(&k.mem, space.root, va, None, &mut steps);
        }
        for s in steps {
            let pte = M::Pte::from_raw(s.raw);
            t.steps.push((s, M::level_name(s.level), pte.describe_flags()));
            if let Some(e) = pte.swap_entry() {
                t.swap = Some(e);
            }
        }
        match out {
            Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. } => {
                t.pa = Some(pa);
                t.pfn = Some(pa.pfn());
            }
            Outcome::Fault(crate::mmu::Fault::NonCanonical { va }) => {
                let (what, then) = M::describe_out_of_range(va);
                t.fault = Some(what);
                t.out_of_range = Some(then);
            }
            Outcome::Fault(f) => t.fault = Some(f.describe()),
        }
        Some(t)
    }

    /// The counters and process summaries.
    pub fn report(&self) -> Report {
        let k = &self.kernel;
        let (tlb, walks) = sum_mmu_stats(&k.cpus);
        let mut stats = Stats {
            accesses: self.accesses,
            tlb: TlbReport {
                hits: tlb.l1d.hits + tlb.l1i.hits + tlb.stlb.hits,
                misses: tlb.stlb.misses,
                l1d: tlb.l1d,
                l1i: tlb.l1i,
                stlb: tlb.stlb,
                flushed_entries: k.events.tlb_entries_flushed,
                shootdown_ipis: k.events.tlb_shootdown_ipis,
            },
            walks: WalkReport { count: walks.count, memory_refs: walks.memory_refs, psc_hits: walks.psc_hits },
            caches: k.caches.as_ref().map(|c| c.report()),
            faults: FaultStats {
                minor: k.events.min_flt,
                major: k.events.maj_flt,
                cow: k.events.cow,
                wp_reuse: k.events.wp_reuse,
                segv: k.events.segv,
                total: k.events.min_flt + k.events.maj_flt,
                pgfault: k.events.pgfault,
                major_zswap: k.events.maj_flt_zswap,
            },
            swap: SwapStats {
                pages_out: k.events.pswpout,
                pages_in: k.events.pswpin,
                readahead: k.events.swap_ra,
                readahead_hits: k.events.swap_ra_hit,
                cache_hits: k.events.swapcache_hits,
                slots_used: k.swap.used_pages(),
                slots_total: k.swap.total_pages(),
            },
            reclaim: ReclaimStats {
                scanned_kswapd: k.events.pgscan_kswapd,
                scanned_direct: k.events.pgscan_direct,
                stolen: k.events.pgsteal_kswapd + k.events.pgsteal_direct,
                activations: k.lru_stats().activations,
                deactivations: k.lru_stats().deactivations,
                clean_dropped: k.events.reclaim_clean,
                allocstall: k.events.allocstall,
                kswapd_wakeups: k.events.kswapd_wake,
                oom: k.events.oom,
            },
            page_cache: crate::stats::PageCacheStats {
                files: k.files.iter().count() as u64,
                cached_pages: k.files.cached_pages(),
                dirty_pages: k.file_dirty_pages(),
                read_in: k.events.pgpgin_file,
                written_back: k.events.file_writeback,
                vmscan_write: k.events.nr_vmscan_write,
                stolen_file: k.events.pgsteal_file,
                stolen_anon: k.events.pgsteal_anon,
                refaults: k.events.workingset_refault_file,
                refault_activations: k.events.workingset_activate_file,
                refault_restores: k.events.workingset_restore_file,
            },
            verify: VerifyStats {
                enabled: self.cfg.reclaim.verify,
                checked: k.events.verify_checked,
                failures: k.events.verify_failures,
            },
            memory: MemoryStats {
                frames_total: k.mem.frames() as u64,
                frames_used: k.frames_used() as u64,
                page_table_frames: k.page_table_frames,
                host_data_bytes: k.mem.host_data_bytes() as u64,
            },
            cost: Default::default(),
            compaction: (k.compaction.passes > 0).then_some(k.compaction),
            zswap: k.zswap.cfg.enabled.then(|| {
                let z = &k.zswap;
                let stored_bytes = z.stats.stored_pages * PAGE_SIZE;
                #[allow(clippy::cast_precision_loss, reason = "a ratio for people")]
                let compression_ratio = if z.stats.pool_total_size == 0 {
                    0.0
                } else {
                    stored_bytes as f64 / z.stats.pool_total_size as f64
                };
                crate::stats::ZswapReport {
                    compressor: z.cfg.compressor.name(),
                    max_pool_percent: z.cfg.max_pool_percent,
                    accept_threshold_percent: z.cfg.accept_threshold_percent,
                    counters: z.stats,
                    stored_bytes,
                    compression_ratio,
                }
            }),
            ksm: {
                let s = k.ksm.stats();
                (k.ksm.cfg.run || s.pages_scanned > 0).then_some(s)
            },
        };
        stats.cost = crate::cost::estimate(&self.cfg.cost, &stats);
        let processes = k
            .processes()
            .map(|p| {
                let c = k.rss(p.pid);
                let (state, signal) = match &p.state {
                    TaskState::Running => ("running".to_string(), None),
                    TaskState::Exited => ("exited".to_string(), None),
                    TaskState::Segv(i) => ("killed (SIGSEGV)".to_string(), Some(i.describe())),
                    TaskState::OutOfMemory => ("killed (out of memory)".to_string(), None),
                };
                ProcessReport {
                    pid: p.pid.0,
                    ppid: p.parent.map(|q| q.0),
                    tgid: (p.tgid != p.pid).then_some(p.tgid.0),
                    name: p.name.clone(),
                    state,
                    min_flt: p.counters.min_flt,
                    maj_flt: p.counters.maj_flt,
                    rss_pages: c.anon_pages + c.file_pages + c.shmem_pages,
                    hwm_pages: c.hiwater_rss,
                    swap_pages: c.swap_ents,
                    pgtable_frames: c.pgtable_frames,
                    signal,
                    description: self.descriptions.get(&p.pid).cloned(),
                    memcg: k.memcgs.get(&p.memcg).map(|g| MemcgReport {
                        max_pages: (g.limit_pages != u64::MAX).then_some(g.limit_pages),
                        high_pages: (g.high_pages != u64::MAX).then_some(g.high_pages),
                        events: g.events,
                        usage_pages: g.usage,
                        max_events: g.max_events,
                        reclaimed: g.reclaimed,
                        oom_kills: g.oom_kills,
                        pgscan: g.stat.pgscan(),
                        pgsteal: g.stat.pgsteal(),
                        pgscan_kswapd: g.stat.pgscan_kswapd,
                        pgscan_direct: g.stat.pgscan_direct,
                        pgsteal_kswapd: g.stat.pgsteal_kswapd,
                        pgsteal_direct: g.stat.pgsteal_direct,
                        pgactivate: g.lru.stats().activations,
                        pgdeactivate: g.lru.stats().deactivations,
                    }),
                }
            })
            .collect();
        let events = k.log.iter().map(|e| format!("pid {}: {}", e.pid.0, e.what)).collect();
        Report {
            arch: M::NAME,
            seed: self.cfg.machine.seed,
            stats,
            processes,
            events,
            policy: k.lru.name(),
            exact: self.cfg.reclaim.exact,
            cpus: if k.cpus.len() > 1 {
                k.cpus
                    .iter()
                    .map(|c| {
                        let t = c.mmu.tlb_stats();
                        CpuReport {
                            cpu: c.id.0,
                            context_switches: c.counters.context_switches,
                            mm_switches: c.counters.mm_switches,
                            asid_flushes: c.counters.asid_flushes,
                            shootdowns_received: c.counters.shootdowns_received,
                            tlb_hits: t.l1d.hits + t.l1i.hits + t.stlb.hits,
                            tlb_misses: t.stlb.misses,
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            },
            overcommit: OvercommitReport {
                mode: k.cfg.overcommit.mode.sysctl(),
                commit_limit_kb: k.commit_limit() * 4,
                committed_as_kb: k.overcommit.committed * 4,
                refused: k.overcommit.refused,
            },
            oom_kills: k.oom.kills.clone(),
        }
    }

    /// `/proc/meminfo` of the machine now (SPEC §15).
    pub fn meminfo(&self) -> String {
        let k = &self.kernel;
        let total = k.mem.frames() as u64;
        let free = total - k.frames_used() as u64;
        let anon: u64 = k.mms.iter().map(|mm| mm.counters.anon_pages).sum();
        let swap_cached = k.swap_cache.len() as u64;
        // The two-list policy's lists; any other policy has one list per class, shown as inactive.
        let lrus = std::iter::once(&k.lru).chain(k.memcgs.values().map(|g| &g.lru));
        let (mut active, mut inactive, mut active_file, mut inactive_file) = (0, 0, 0, 0);
        for l in lrus {
            let ((ia, aa), (fi, fa)) = match l.kind() {
                crate::reclaim::PolicyKind::Linux => (l.anon_list_sizes(), l.file_list_sizes()),
                _ => ((l.nr_pages(LruClass::Anon), 0), (l.nr_pages(LruClass::File), 0)),
            };
            (inactive, active, inactive_file, active_file) =
                (inactive + ia, active + aa, inactive_file + fi, active_file + fa);
        }
        let cached = k.files.cached_pages() + k.shmem.pages();
        let swap_total = k.swap.total_pages();
        let commit_limit = k.commit_limit(); // vm_commit_limit(), SPEC §7
        crate::procfs::meminfo::Meminfo {
            mem_total: total,
            mem_free: free,
            // si_mem_available(): free plus the reclaimable page cache (the model keeps no low watermarks here).
            mem_available: free + swap_cached + k.files.cached_pages(),
            swap_cached,
            active_anon: active,
            inactive_anon: inactive,
            swap_total,
            swap_free: swap_total - k.swap.used_pages(),
            dirty: k.file_dirty_pages(),
            cached,
            active_file,
            inactive_file,
            mapped: k.file_mapped_pages(),
            anon_pages: anon,
            page_tables: k.page_table_frames,
            commit_limit,
            committed_as: k.overcommit.committed,
            zswap: k.zswap.total_pages(),
            zswapped: k.zswap.stats.stored_pages,
            shmem: k.shmem.pages(),
        }
        .render()
    }

    /// `/sys/kernel/debug/zswap/*` as `grep . /sys/kernel/debug/zswap/*` prints it.
    pub fn zswap_debugfs(&self) -> String {
        let z = &self.kernel.zswap.stats;
        let d = "/sys/kernel/debug/zswap";
        format!(
            "{d}/decompress_fail:{}\n{d}/duplicate_entry:{}\n{d}/pool_limit_hit:{}\n{d}/pool_total_size:{}\n\
             {d}/reject_alloc_fail:{}\n{d}/reject_compress_fail:{}\n{d}/reject_compress_poor:{}\n\
             {d}/reject_kmemcache_fail:0\n{d}/reject_reclaim_fail:0\n{d}/same_filled_pages:{}\n{d}/stored_pages:{}\n\
             {d}/written_back_pages:{}\n",
            z.decompress_fail,
            z.duplicate_entry,
            z.pool_limit_hit,
            z.pool_total_size,
            z.reject_alloc_fail,
            z.reject_compress_fail,
            z.reject_compress_poor,
            z.same_filled_pages,
            z.stored_pages,
            z.written_back_pages
        )
    }

    /// `/proc/vmstat` counters the model keeps, with Linux's names (SPEC §15).
    pub fn vmstat(&self) -> String {
        let e = &self.kernel.events;
        let c = &self.kernel.compaction;
        crate::procfs::vmstat::render(&[
            ("pgfault", e.pgfault),
            ("pgmajfault", e.pgmajfault),
            ("pswpin", e.pswpin),
            ("pswpout", e.pswpout),
            ("pgscan_kswapd", e.pgscan_kswapd),
            ("pgscan_direct", e.pgscan_direct),
            ("pgsteal_kswapd", e.pgsteal_kswapd),
            ("pgsteal_direct", e.pgsteal_direct),
            ("allocstall", e.allocstall),
            ("swap_ra", e.swap_ra),
            ("swap_ra_hit", e.swap_ra_hit),
            ("pgactivate", self.kernel.lru_stats().activations),
            ("pgdeactivate", self.kernel.lru_stats().deactivations),
            ("oom_kill", e.oom_kill),
            ("zswpin", self.kernel.zswap.stats.zswpin),
            ("zswpout", self.kernel.zswap.stats.zswpout),
            ("zswpwb", self.kernel.zswap.stats.zswpwb),
            ("workingset_refault_file", e.workingset_refault_file),
            ("workingset_activate_file", e.workingset_activate_file),
            ("workingset_restore_file", e.workingset_restore_file),
            ("nr_vmscan_write", e.nr_vmscan_write),
            ("pgsteal_anon", e.pgsteal_anon),
            ("pgsteal_file", e.pgsteal_file),
            ("pgmigrate_success", c.pgmigrate_success),
            ("pgmigrate_fail", c.pgmigrate_fail),
            ("compact_migrate_scanned", c.migrate_scanned),
            ("compact_free_scanned", c.free_scanned),
            ("compact_isolated", c.isolated),
            ("compact_stall", c.stall),
            ("compact_fail", c.fail),
            ("compact_success", c.success),
        ])
    }

    /// The /proc files `f` names, each as (path, contents): one for meminfo and vmstat, one per process for the
    /// per-process files. A process whose address space is gone (it exited or was killed) gets a one-line note
    /// instead of its contents, and so does a pid that never existed.
    pub fn proc_files(&self, f: ProcFile) -> Vec<(String, String)> {
        let k = &self.kernel;
        let pids: Vec<Pid> = match f {
            ProcFile::Meminfo => return vec![("/proc/meminfo".into(), self.meminfo())],
            ProcFile::Vmstat => return vec![("/proc/vmstat".into(), self.vmstat())],
            ProcFile::Ksm => return vec![("/sys/kernel/mm/ksm".into(), k.ksm.render())],
            ProcFile::Buddyinfo => {
                return vec![("/proc/buddyinfo".into(), k.frames.buddyinfo_line(0, "Normal") + "\n")]
            }
            ProcFile::Pagetypeinfo => return vec![("/proc/pagetypeinfo".into(), k.frames.pagetypeinfo(0, "Normal"))],
            ProcFile::ExtfragIndex => {
                let line = crate::phys::buddy::extfrag_line(&k.frames.nr_free(), 0, "Normal");
                return vec![("/sys/kernel/debug/extfrag/extfrag_index".into(), line + "\n")];
            }
            ProcFile::UnusableIndex => {
                let line = crate::phys::buddy::unusable_line(&k.frames.nr_free(), 0, "Normal");
                return vec![("/sys/kernel/debug/extfrag/unusable_index".into(), line + "\n")];
            }
            ProcFile::Zswap => return vec![("/sys/kernel/debug/zswap".into(), self.zswap_debugfs())],
            ProcFile::MemoryEvents => {
                return k
                    .memcgs
                    .iter()
                    .map(|(id, g)| (format!("/sys/fs/cgroup/group{}/memory.events", id.0), g.events.render()))
                    .collect()
            }
            ProcFile::Status(Some(p))
            | ProcFile::Smaps(Some(p))
            | ProcFile::SmapsRollup(Some(p))
            | ProcFile::OomScore(Some(p))
            | ProcFile::OomScoreAdj(Some(p)) => vec![Pid(p)],
            ProcFile::Status(None)
            | ProcFile::Smaps(None)
            | ProcFile::SmapsRollup(None)
            | ProcFile::OomScore(None)
            | ProcFile::OomScoreAdj(None) => k.processes().filter(|t| t.tgid == t.pid).map(|t| t.pid).collect(),
        };
        let file = match f {
            ProcFile::Status(_) => "status",
            ProcFile::Smaps(_) => "smaps",
            ProcFile::OomScore(_) => "oom_score",
            ProcFile::OomScoreAdj(_) => "oom_score_adj",
            _ => "smaps_rollup",
        };
        pids.into_iter()
            .map(|pid| {
                let body = match (k.task(pid), k.mm_of(pid)) {
                    (None, _) => format!("(no process {})\n", pid.0),
                    (Some(t), None) => {
                        let how = match t.state {
                            TaskState::Segv(_) => "was killed by SIGSEGV",
                            TaskState::OutOfMemory => "was killed (out of memory)",
                            TaskState::Exited | TaskState::Running => "has exited",
                        };
                        format!("(process {} ({}) {how}: no address space)\n", pid.0, t.name)
                    }
                    (Some(t), Some(mm)) => match f {
                        ProcFile::Status(_) => self.proc_status(pid, mm),
                        ProcFile::Smaps(_) => self.proc_smaps(mm, false),
                        ProcFile::OomScore(_) => format!("{}\n", k.oom_score(pid)),
                        ProcFile::OomScoreAdj(_) => format!("{}\n", t.oom_score_adj),
                        _ => self.proc_smaps(mm, true),
                    },
                };
                (format!("/proc/{}/{file}", pid.0), body)
            })
            .collect()
    }

    /// `/proc/PID/status` of a live task (fs/proc/array.c `proc_pid_status`, fs/proc/task_mmu.c `task_mem`).
    fn proc_status(&self, pid: Pid, mm: &crate::kernel::mm::Mm) -> String {
        use crate::kernel::vma::VmFlags as F;
        let k = &self.kernel;
        let Some(t) = k.task(pid) else { return String::new() };
        // vm_stat_account() (mm/mmap.c) sorts each VMA by its flags: is_exec_mapping (VM_EXEC without VM_WRITE or
        // VM_STACK), is_stack_mapping (VM_STACK = VM_GROWSDOWN on x86), is_data_mapping (VM_WRITE without
        // VM_SHARED or VM_STACK).
        let pages_where = |mask: F, want: F| -> u64 {
            mm.vmas.iter().filter(|v| v.flags & mask == want).map(|v| v.len() / PAGE_SIZE).sum()
        };
        let exec_vm = pages_where(F::EXEC | F::WRITE | F::GROWSDOWN, F::EXEC);
        let c = mm.counters;
        let total_vm = mm.total_vm();
        // PPid: the thread group of the real parent; a thread's real parent is its group leader's.
        let leader = k.task(t.tgid).unwrap_or(t);
        let ppid = leader.parent.and_then(|p| k.task(p)).map_or(0, |p| p.tgid.0);
        crate::procfs::status::Status {
            name: t.name.clone(),
            tgid: t.tgid.0,
            pid: t.pid.0,
            ppid,
            vm_peak: c.hiwater_vm.max(total_vm),
            vm_size: total_vm,
            vm_lck: 0,
            vm_pin: 0,
            vm_hwm: c.hiwater_rss.max(c.anon_pages + c.file_pages + c.shmem_pages),
            rss_anon: c.anon_pages,
            rss_file: c.file_pages,
            rss_shmem: c.shmem_pages,
            vm_data: pages_where(F::WRITE | F::SHARED | F::GROWSDOWN, F::WRITE),
            vm_stk: pages_where(F::GROWSDOWN, F::GROWSDOWN),
            // No executable is loaded (start_code == end_code), so every exec mapping counts as VmLib.
            vm_exe: 0,
            vm_lib: exec_vm,
            // mm_pgtables_bytes() counts the PTE, PMD and PUD tables (mm_inc_nr_ptes/pmds/puds), not the PGD.
            vm_pte_kb: c.pgtable_frames.saturating_sub(1) * (PAGE_SIZE >> 10),
            vm_swap: c.swap_ents,
            threads: u32::try_from(k.processes().filter(|o| o.tgid == t.tgid && o.is_running()).count())
                .unwrap_or(u32::MAX),
        }
        .render()
    }

    /// `/proc/PID/smaps` (or, with `rollup`, smaps_rollup) of a live address space: each VMA's leaves walked as
    /// `smaps_pte_range` does.
    fn proc_smaps(&self, mm: &crate::kernel::mm::Mm, rollup: bool) -> String {
        use crate::kernel::vma::VmaKind;
        use crate::procfs::smaps::{render_rollup, SmapsVma};
        let mut out = String::new();
        let mut total = crate::procfs::smaps::MemSizeStats::default();
        for v in mm.vmas.iter() {
            let mss = self.smaps_gather(mm, v.start, v.end);
            if rollup {
                total.add(&mss);
                continue;
            }
            // get_vma_name(): [heap] and [stack] first, then an anonymous VMA's name (prctl PR_SET_VMA_ANON_NAME,
            // shown as "[anon:NAME]"); the scenario's region name plays that part.
            let file = v.kind.file_index(v.start);
            let name = match (&v.kind, &v.name, file) {
                (_, _, Some((inode, _))) => self.kernel.files.get(inode).map(|f| format!("/{}", f.name)),
                (VmaKind::Heap, _, _) => Some("[heap]".to_string()),
                (VmaKind::Stack, _, _) => Some("[stack]".to_string()),
                (_, Some(n), _) => Some(format!("[anon:{n}]")),
                (_, None, _) => None,
            };
            let file = file.map(|(inode, pgoff)| (pgoff * PAGE_SIZE, u64::from(inode.0)));
            SmapsVma { start: v.start.raw(), end: v.end.raw(), flags: v.flags, name, file, mss }.render(&mut out);
        }
        if rollup {
            let span = mm.vmas.iter().next().zip(mm.vmas.iter().last()).map(|(a, b)| (a.start.raw(), b.end.raw()));
            render_rollup(&mut out, span, &total);
        }
        out
    }

    /// `smap_gather_stats()` for `[start, end)`: `smaps_pte_entry` for 4 KiB entries, `smaps_pmd_entry` for 2 MiB
    /// leaves (1 GiB leaves of anonymous memory do not exist in Linux, and the walk has no `pud_entry`).
    fn smaps_gather(
        &self,
        mm: &crate::kernel::mm::Mm,
        start: VirtAddr,
        end: VirtAddr,
    ) -> crate::procfs::smaps::MemSizeStats {
        use crate::arch::{PageSizeKind, Perms};
        use crate::phys::{Mapping, PageFlags};
        use crate::procfs::smaps::{FolioInfo, MemSizeStats};
        let k = &self.kernel;
        let zero = k.zero_pfn();
        let mut mss = MemSizeStats::default();
        crate::kernel::pgtable::for_each_leaf::<M>(&k.mem, mm.pgd(), start, end, &mut |slot, pte| {
            if let Some(entry) = pte.swap_entry() {
                // swp_swapcount(): the slot's count without the swap cache's reference.
                let cached = u32::from(k.swap_cache.get(entry).is_some());
                mss.account_swap(k.swap.count(entry).saturating_sub(cached));
                return;
            }
            // pte_present() is true for PROT_NONE entries too; vm_normal_page() is NULL for the zero page.
            if !(pte.is_present() || pte.is_protnone()) || pte.pfn() == zero {
                return;
            }
            let pfn = pte.pfn();
            let head_pfn = k.mem.meta(pfn).head().unwrap_or(pfn);
            let head = k.mem.meta(head_pfn);
            let folio = FolioInfo {
                anon: head.is_anon(),
                ksm: matches!(head.mapping, Mapping::Ksm { .. }),
                swapbacked: head.test(PageFlags::SWAPBACKED),
                dirty: head.test(PageFlags::DIRTY),
                referenced: head.test(PageFlags::REFERENCED),
                refcount: head.refcount,
            };
            let precise =
                |p: u64| crate::addr::Pfn::try_new(p).map_or(0, |p| k.mem.meta(p).mapcount) + head.entire_mapcount;
            let mapcounts: Vec<u32> = match slot.size() {
                PageSizeKind::Size4K => vec![precise(pfn.raw())],
                PageSizeKind::Size2M => {
                    if folio.anon {
                        mss.anonymous_thp += 512 * PAGE_SIZE;
                    } else if folio.swapbacked {
                        mss.shmem_thp += 512 * PAGE_SIZE;
                    } else {
                        mss.file_thp += 512 * PAGE_SIZE;
                    }
                    (0..512).map(|i| precise(head_pfn.raw() + i)).collect()
                }
                _ => return,
            };
            let p = pte.perms();
            mss.account(&folio, &mapcounts, p.contains(Perms::ACCESSED), p.contains(Perms::DIRTY), false);
        });
        mss
    }

    /// Pid of the process named `name`, or the first process.
    pub fn find_pid(&self, pid: Option<u32>) -> Option<Pid> {
        match pid {
            Some(p) => self.kernel.tasks.contains_key(&Pid(p)).then_some(Pid(p)),
            None => self.kernel.tasks.keys().next().copied(),
        }
    }
}

/// TLB and walk counters summed over every CPU.
fn sum_mmu_stats<M: PagingMode>(
    cpus: &crate::kernel::cpu::Cpus<M>,
) -> (crate::mmu::tlb::TlbStats, crate::mmu::WalkStats) {
    let mut tlb = crate::mmu::tlb::TlbStats::default();
    let mut walks = crate::mmu::WalkStats::default();
    for c in cpus.iter() {
        let (t, w) = (c.mmu.tlb_stats(), c.mmu.walk_stats());
        for (sum, one) in [(&mut tlb.l1d, t.l1d), (&mut tlb.l1i, t.l1i), (&mut tlb.stlb, t.stlb)] {
            sum.hits += one.hits;
            sum.misses += one.misses;
        }
        walks.count += w.count;
        walks.memory_refs += w.memory_refs;
        walks.psc_hits += w.psc_hits;
    }
    (tlb, walks)
}

/// The bytes of a `hex = "..."` string (whitespace ignored).
/// The bytes a store or expect step names: exactly one of `text` and `hex`, else `neither_or_both`.
/// Build the simulated file a `[[file]]` entry declares; a host `path` is read relative to the scenario's directory.
fn load_file(scenario: &Path, f: &crate::config::FileConfig) -> Result<crate::kernel::file::SimFile, StepErrorKind> {
    use crate::kernel::file::{FileSource, SimFile};
    let bad = |why: String| StepErrorKind::BadFile { name: f.name.clone(), why };
    /// Largest simulated file: 2^40 bytes (1 TiB), far beyond what a scenario touches.
    const MAX_FILE: u64 = 1 << 40;
    let (source, host_len) = match (&f.path, f.content.as_deref()) {
        (Some(_), Some(_)) => return Err(bad("give content = \"...\" or path = \"...\", not both".into())),
        (Some(p), None) => {
            let full = scenario.parent().map_or_else(|| p.clone(), |d| d.join(p));
            let bytes = std::fs::read(&full).map_err(|e| bad(format!("cannot read {}: {e}", full.display())))?;
            let n = bytes.len() as u64;
            (FileSource::Bytes(bytes.into()), Some(n))
        }
        (None, None | Some("pattern")) => (FileSource::Pattern, None),
        (None, Some("zero")) => (FileSource::Zero, None),
        (None, Some(other)) => {
            return Err(bad(format!("content = {other:?}: expected \"pattern\" or \"zero\" (or path = \"...\")")))
        }
    };
    let size = match (f.size, host_len) {
        (Some(s), _) => s.0,
        (None, Some(n)) => n,
        (None, None) => return Err(bad("needs a size (size = \"1MiB\") or a host path".into())),
    };
    if size == 0 || size > MAX_FILE {
        return Err(bad(format!("size {size} is out of range 1..=2^40 bytes")));
    }
    Ok(SimFile::new(&f.name, size, source))
}

fn step_bytes(
    text: &Option<String>,
    hex: &Option<String>,
    neither_or_both: StepErrorKind,
) -> Result<Vec<u8>, StepErrorKind> {
    match (text, hex) {
        (Some(t), None) => Ok(t.as_bytes().to_vec()),
        (None, Some(h)) => parse_hex(h),
        _ => Err(neither_or_both),
    }
}

fn parse_hex(h: &str) -> Result<Vec<u8>, StepErrorKind> {
    let digits: Vec<char> = h.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(StepErrorKind::OddHexDigits(digits.into_iter().collect()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let byte: String = pair.iter().collect();
            u8::from_str_radix(&byte, 16).map_err(|_| StepErrorKind::BadHexByte(byte))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::error::{Cause, Errno, SysOp};

    /// Run a linear-machine scenario whose one process has `steps`; the step error, if any.
    fn run(steps: &str) -> Result<(), StepError> {
        let text = format!(
            "[machine]\narch = \"linear\"\nframes = 8\n[swap]\nsize = 0\n[[process]]\nname = \"p\"\nsteps = [\n{steps}\n]\n"
        );
        let path = Path::new("s.toml");
        let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap();
        let mut m = AnyMachine::new(&cfg).unwrap();
        with_machine!(&mut m, m => m.run_scenario(path, &text, &sc))
    }

    fn step_error(steps: &str) -> StepError {
        let e = run(steps).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("s.toml:") && !s.contains('\n'), "{s}");
        assert_eq!(s, format!("{}: {}", e.location, e.kind));
        e
    }

    const MAP: &str = "{ op = \"mmap\", addr = 4096, len = 16384, fixed = true, name = \"buf\" },\n";

    #[test]
    fn pin_to_a_frame_in_use_is_a_typed_kernel_error() {
        let e = step_error(&format!(
            "{MAP}{{ op = \"pin\", page = 1, frame = 3 }},\n{{ op = \"pin\", page = 2, frame = 3 }},"
        ));
        assert_eq!(e.location, "s.toml:11:1: step 3 (pin) of process \"p\"");
        let StepErrorKind::Sys(sys) = &e.kind else { panic!("{e:?}") };
        assert_eq!((sys.op, sys.errno), (SysOp::Pin, Errno::Busy));
        assert!(matches!(sys.cause, Cause::FrameInUse { .. }));
        // The CLI line is the cause alone, as it always was.
        assert_eq!(e.to_string(), "s.toml:11:1: step 3 (pin) of process \"p\": frame 3 is already in use");
    }

    #[test]
    fn pin_errors_from_the_kernel_keep_their_text() {
        let e = step_error("{ op = \"pin\", page = 2, frame = 1 },");
        assert!(matches!(&e.kind, StepErrorKind::Sys(s) if s.errno == Errno::Fault), "{e:?}");
        assert_eq!(e.kind.to_string(), "page 2 (0x2000) is not inside any mapping");
        let e = step_error(&format!("{MAP}{{ op = \"pin\", page = 1, swap = 1 }},"));
        let StepErrorKind::Sys(sys) = &e.kind else { panic!("{e:?}") };
        assert!(
            matches!(&sys.cause, Cause::SwapSlotUnusable(s) if matches!(**s, crate::swap::SwapFileError::NoSuchArea { .. }))
        );
        assert!(e.kind.to_string().ends_with("(configure a swap area: [swap] size = \"1MiB\")"), "{e}");
        let e = step_error(&format!("{MAP}{{ op = \"pin\", page = 1, frame = 0x10000000000000 }},"));
        assert!(matches!(e.kind, StepErrorKind::BadFrame(AddrError::PfnTooLarge(_))), "{e:?}");
    }

    #[test]
    fn scenario_mistakes_are_typed() {
        type Case = (&'static str, fn(&StepErrorKind) -> bool, &'static str);
        let cases: [Case; 11] = [
            (
                "{ op = \"mmap\", len = 4096, prot = \"rq\" },",
                |k| matches!(k, StepErrorKind::BadProt(p) if p == "rq"),
                "bad prot \"rq\" (expected a combination of r, w, x, or \"none\")",
            ),
            (
                "{ op = \"read\", addr = \"nowhere\" },",
                |k| matches!(k, StepErrorKind::UnknownRegion(r) if r == "nowhere"),
                "unknown region \"nowhere\" (name it in an earlier mmap step: name = \"nowhere\")",
            ),
            (
                "{ op = \"read\", addr = \"buf+0xffffffffffffffff\" },",
                |k| matches!(k, StepErrorKind::AddressOverflow { offset: u64::MAX, .. }),
                "address buf+0xffffffffffffffff overflows",
            ),
            (
                "{ op = \"write\", addr = \"buf\", stride = 0 },",
                |k| matches!(k, StepErrorKind::ZeroStride),
                "stride must be at least 1 byte",
            ),
            (
                "{ op = \"store\", addr = \"buf\", hex = \"abc\" },",
                |k| matches!(k, StepErrorKind::OddHexDigits(h) if h == "abc"),
                "hex \"abc\" has an odd number of digits",
            ),
            (
                "{ op = \"store\", addr = \"buf\", hex = \"a\u{e9}1\" },",
                |k| matches!(k, StepErrorKind::OddHexDigits(_)),
                "hex \"a\u{e9}1\" has an odd number of digits",
            ),
            (
                "{ op = \"store\", addr = \"buf\", hex = \"zz\" },",
                |k| matches!(k, StepErrorKind::BadHexByte(b) if b == "zz"),
                "bad hex byte \"zz\"",
            ),
            (
                "{ op = \"store\", addr = \"buf\" },",
                |k| matches!(k, StepErrorKind::StoreNeedsOneSource),
                "store needs exactly one of text = \"...\" or hex = \"...\"",
            ),
            (
                "{ op = \"expect\", addr = \"buf\", text = \"a\", hex = \"61\" },",
                |k| matches!(k, StepErrorKind::ExpectNeedsOneSource),
                "expect needs exactly one of text = \"...\" or hex = \"...\"",
            ),
            (
                "{ op = \"pin\", page = 1 },",
                |k| matches!(k, StepErrorKind::PinNeedsOneTarget),
                "pin needs exactly one of frame = N or swap = SLOT",
            ),
            (
                "{ op = \"pin\", page = 1, swap = 0 },",
                |k| matches!(k, StepErrorKind::SwapSlotZero),
                "swap slot 0 holds the swap header and is never used for data (use 1 or more)",
            ),
        ];
        for (step, is, text) in cases {
            let e = run(&format!("{MAP}{step}")).expect_err(step);
            assert!(!e.to_string().contains('\n'));
            assert!(is(&e.kind), "{step}: {e:?}");
            assert_eq!(e.kind.to_string(), text);
        }
        let e = step_error(&format!("{MAP}{{ op = \"pin\", page = 1, frame = 2, text = \"x\" }},"));
        assert!(matches!(e.kind, StepErrorKind::PinTextNeedsSwap), "{e:?}");
    }

    /// Issue 12: a failed mmap is an event in Linux's terms, and a later use of its region names that failure
    /// (not "unknown region"); the step is located by line, index and op.
    #[test]
    fn a_failed_mmap_is_named_where_its_region_is_used() {
        let e = step_error(
            "{ op = \"mmap\", addr = 4097, len = 4096, fixed = true, name = \"b\" },\n{ op = \"read\", addr = \"b\" },",
        );
        assert_eq!(
            e.to_string(),
            "s.toml:10:1: step 2 (read) of process \"p\": region \"b\" does not exist: its mmap(0x1001, 4 KiB) failed: \
             EINVAL"
        );
    }

    /// Issue 12: a scenario whose every process is a fork target would start nothing and exit 0.
    #[test]
    fn a_scenario_that_starts_nothing_is_an_error() {
        let text = "[[process]]\nname = \"a\"\nsteps = [ { op = \"fork\", child = \"a\" } ]\n";
        let path = Path::new("n.toml");
        let (sc, cfg) = Scenario::parse(path, text, &["machine.frames=64".into()]).unwrap();
        let mut m = AnyMachine::new(&cfg).unwrap();
        let e = with_machine!(&mut m, m => m.run_scenario(path, text, &sc)).unwrap_err();
        assert!(matches!(&e.kind, StepErrorKind::NothingToStart(n) if n == "a"), "{e:?}");
        assert!(e.to_string().starts_with("n.toml:2:8: no process starts at boot"), "{e}");
    }

    #[test]
    fn a_cpu_beyond_the_machine_is_typed() {
        let text = "[machine]\ncpus = 2\n[[process]]\nname = \"p\"\ncpu = 2\n";
        let path = Path::new("c.toml");
        let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap();
        let mut m = AnyMachine::new(&cfg).unwrap();
        let e = with_machine!(&mut m, m => m.run_scenario(path, text, &sc)).unwrap_err();
        assert!(matches!(&e.kind, StepErrorKind::CpuOutOfRange { cpu: 2, cpus: 2, process } if process == "p"));
        // Located at the process's `cpu` key (issue 12: the line, not only the file).
        assert_eq!(e.to_string(), "c.toml:5:7: process \"p\": cpu = 2 is out of range 0..2 (machine.cpus = 2)");
    }

    #[test]
    fn hex_pairs_are_characters_not_bytes() {
        assert_eq!(parse_hex("de ad\nbe ef").unwrap(), vec![0xde, 0xad, 0xbe, 0xef]);
        assert!(matches!(parse_hex("\u{e9}1"), Err(StepErrorKind::BadHexByte(b)) if b == "\u{e9}1"));
    }

    /// A field of a /proc file, in kB (`"Rss"` → the number on the `Rss:` line).
    fn kb_field(text: &str, field: &str) -> u64 {
        let line = text.lines().find(|l| l.split(':').next() == Some(field)).unwrap_or_else(|| panic!("{field}"));
        line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{line}"))
    }

    /// examples/fork.toml up to the fork, before any write in the child: 256 written pages, each mapped by both
    /// processes (mapcount 2, dirty PTEs), so each process has Rss 1024 kB, Pss 512 kB, Shared_Dirty 1024 kB; and
    /// status agrees (VmRSS, VmSize = VmPeak, VmData).
    #[test]
    fn smaps_and_status_after_fork() {
        let text = r#"
[machine]
arch = "x86-64"
memory = "64MiB"
[[process]]
name = "parent"
steps = [
  { op = "mmap", name = "buf", len = "1MiB", prot = "rw" },
  { op = "write", addr = "buf", len = "1MiB" },
  { op = "fork", child = "child" },
]
[[process]]
name = "child"
steps = []
"#;
        let path = Path::new("fork.toml");
        let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap();
        let mut m = Machine::<X86FourLevel>::new(&cfg).unwrap();
        m.run_scenario(path, text, &sc).unwrap();
        for pid in [1, 2] {
            let [(p, smaps)] = &m.proc_files(ProcFile::Smaps(Some(pid)))[..] else { panic!("one file") };
            assert_eq!(p, &format!("/proc/{pid}/smaps"));
            let buf = smaps.split("\n7").find(|vma| vma.contains("[anon:buf]")).expect("the buf VMA");
            assert_eq!(kb_field(buf, "Size"), 1024);
            assert_eq!(kb_field(buf, "Rss"), 1024, "{buf}");
            assert_eq!(kb_field(buf, "Pss"), 512);
            assert_eq!(kb_field(buf, "Shared_Dirty"), 1024);
            assert_eq!(kb_field(buf, "Private_Dirty"), 0);
            assert_eq!(kb_field(buf, "Anonymous"), 1024);
            let [(_, rollup)] = &m.proc_files(ProcFile::SmapsRollup(Some(pid)))[..] else { panic!("one file") };
            assert_eq!((kb_field(rollup, "Rss"), kb_field(rollup, "Pss")), (1024, 512));
            let [(_, status)] = &m.proc_files(ProcFile::Status(Some(pid)))[..] else { panic!("one file") };
            assert_eq!(kb_field(status, "VmRSS"), 1024);
            assert_eq!(kb_field(status, "RssAnon"), 1024);
            assert_eq!(kb_field(status, "VmSize"), kb_field(status, "VmPeak"));
            assert_eq!(kb_field(status, "VmData"), 1024);
            assert_eq!(kb_field(status, "VmStk"), kb_field(status, "VmSize") - 1024);
        }
    }

    /// VmPeak keeps the largest VmSize: munmap lowers VmSize, not VmPeak.
    #[test]
    fn vm_peak_survives_munmap() {
        let text = r#"
[machine]
arch = "x86-64"
memory = "64MiB"
[[process]]
name = "p"
steps = [
  { op = "mmap", name = "a", len = "1MiB", prot = "rw" },
  { op = "munmap", addr = "a", len = "1MiB" },
]
"#;
        let path = Path::new("peak.toml");
        let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap();
        let mut m = Machine::<X86FourLevel>::new(&cfg).unwrap();
        m.run_scenario(path, text, &sc).unwrap();
        let [(_, status)] = &m.proc_files(ProcFile::Status(Some(1)))[..] else { panic!("one file") };
        assert_eq!(kb_field(status, "VmPeak"), kb_field(status, "VmSize") + 1024, "{status}");
    }
}
