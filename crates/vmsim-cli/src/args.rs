//! Command-line arguments (what was typed; validated into a `SimConfig` by the commands).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use vmsim::procfs::ProcFile;
use vmsim::reclaim::PolicyKind;

/// `--policy`: the policy names of [`PolicyKind::ALL`], listed in `--help` and in clap's error for a bad name.
fn policy_parser() -> impl TypedValueParser<Value = PolicyKind> {
    PossibleValuesParser::new(PolicyKind::ALL.map(PolicyKind::name)).try_map(|s| s.parse::<PolicyKind>())
}

/// An executable model of Linux virtual memory: page tables, TLBs, faults, swap.
#[derive(Debug, Parser)]
#[command(name = "vmsim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that build a machine.
#[derive(Debug, clap::Args)]
pub struct MachineOpts {
    /// Override any configuration value, e.g. `--set machine.memory=2GiB --set tlb.l1d.entries=32`.
    /// Repeatable. Keys are those of the scenario file's [machine], [tlb], [cost], [reclaim], [swap] and [cache]
    /// tables (e.g. `--set reclaim.policy=clock`, `--set cache.enabled=true`); an error names the `--set` it comes
    /// from.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print the stats as JSON (documented in docs/stats.md) instead of a text report.
    #[arg(long)]
    pub json: bool,
    /// Also print /proc views at the end, in Linux's formats (comma-separated): meminfo, vmstat, status, smaps,
    /// smaps_rollup. The per-process ones take a pid (`status:2`); without one they show every process.
    #[arg(long, value_delimiter = ',', value_name = "VIEWS", value_parser = parse_proc_view)]
    pub proc: Vec<ProcFile>,
    /// Stop with an error (exit 2) after N memory accesses instead of running on: a safety limit for scenarios
    /// with huge steps and for long traces (replay counts trace records).
    #[arg(long, value_name = "N")]
    pub max_accesses: Option<u64>,
    /// Hide the progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
}

/// `--proc` names: `meminfo`, `vmstat`, and `status`, `smaps`, `smaps_rollup` with an optional `:PID`.
pub fn parse_proc_view(s: &str) -> Result<ProcFile, String> {
    let (name, pid) = match s.split_once(':') {
        Some((n, p)) => (n, Some(p.parse::<u32>().map_err(|_| format!("`{p}` is not a pid"))?)),
        None => (s, None),
    };
    let bad = || {
        format!("unknown /proc view `{s}` (meminfo, vmstat, status[:PID], smaps[:PID], smaps_rollup[:PID], oom_score[:PID], oom_score_adj[:PID], ksm, zswap, memory.events, buddyinfo, pagetypeinfo, extfrag_index, unusable_index)")
    };
    match (name, pid) {
        ("meminfo", None) => Ok(ProcFile::Meminfo),
        ("vmstat", None) => Ok(ProcFile::Vmstat),
        ("status", p) => Ok(ProcFile::Status(p)),
        ("smaps", p) => Ok(ProcFile::Smaps(p)),
        ("smaps_rollup", p) => Ok(ProcFile::SmapsRollup(p)),
        ("oom_score", p) => Ok(ProcFile::OomScore(p)),
        ("ksm", None) => Ok(ProcFile::Ksm),
        ("zswap", None) => Ok(ProcFile::Zswap),
        ("memory.events", None) => Ok(ProcFile::MemoryEvents),
        ("buddyinfo", None) => Ok(ProcFile::Buddyinfo),
        ("pagetypeinfo", None) => Ok(ProcFile::Pagetypeinfo),
        ("extfrag_index", None) => Ok(ProcFile::ExtfragIndex),
        ("unusable_index", None) => Ok(ProcFile::UnusableIndex),
        ("oom_score_adj", p) => Ok(ProcFile::OomScoreAdj(p)),
        _ => Err(bad()),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario file (TOML); with no file, run the embedded demo.
    Run {
        /// Scenario file. Omit to run the built-in demo (examples/demo.toml).
        scenario: Option<PathBuf>,
        /// Run an embedded demo instead: paging (the default demo), fork (fork and copy-on-write), tour (fork
        /// and copy-on-write, a shared mapping, file fault-around and a munmap shootdown, on two CPUs), shared
        /// (MAP_SHARED vs MAP_PRIVATE across fork), multicpu (TLB
        /// shootdowns between two CPUs), pagecache (files: fault-around, readahead, msync, file reclaim),
        /// threads (munmap by one thread shoots down another CPU's TLB),
        /// seed (the seed note's page table), whatif (replicas for KSM and a batch job for zswap; try it with
        /// --sweep).
        #[arg(long, value_name = "NAME")]
        demo: Option<String>,
        /// What-if sweep: run the scenario once for each value (repeat for a product of settings) and print one
        /// line per run: faults, swap I/O, zswap, KSM, OOM kills, EAT and a PSI-style stall estimate. Example:
        /// --sweep machine.memory=64MiB,48MiB,32MiB --sweep zswap.enabled=false,true
        #[arg(long, value_name = "KEY=V1,V2,...")]
        sweep: Vec<String>,
        #[command(flatten)]
        machine: MachineOpts,
    },
    /// Replay a memory trace through the model (or, with --exact, through page replacement alone).
    Replay {
        /// Trace file (`-` for standard input).
        trace: PathBuf,
        /// Trace format.
        #[arg(long, value_enum)]
        format: TraceFormat,
        /// RAM size in 4 KiB frames (overrides --memory). With --exact: the number of page frames N.
        #[arg(long)]
        frames: Option<u64>,
        /// Exact (teaching) mode, replacement only: no page tables, TLB, zero page, readahead, watermarks or
        /// batching; each miss with all N frames in use evicts exactly one page. Needs --frames.
        #[arg(long)]
        exact: bool,
        /// Replacement policy (default: lru with --exact, else the config's reclaim.policy). Without --exact it
        /// is the same as --set reclaim.policy=P.
        #[arg(long, value_parser = policy_parser(), value_name = "POLICY")]
        policy: Option<PolicyKind>,
        /// RAM size, e.g. 512MiB or 4GiB (default 1 GiB).
        #[arg(long)]
        memory: Option<String>,
        /// Only accesses inside the VMAs of --scenario's first process are legal; others get SIGSEGV.
        /// Without it every page the trace touches is legal (an implicit mapping covers user space).
        #[arg(long)]
        strict: bool,
        /// Scenario whose first process sets up the address space for --strict (and the machine config).
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[command(flatten)]
        machine: MachineOpts,
    },
    /// Exact LRU miss-ratio curve: misses at every number of frames, from one pass over a trace.
    Mrc {
        /// Trace file (`-` for standard input).
        trace: PathBuf,
        /// Trace format (lackey accesses count once per page they touch).
        #[arg(long, value_enum)]
        format: TraceFormat,
        /// Print CSV (`frames,misses,miss_ratio`) instead of a table.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Print one JSON document: `refs`, `distinct_pages` and the curve as three equal-length arrays
        /// `frames`, `misses`, `miss_ratio` (docs/stats.md).
        #[arg(long)]
        json: bool,
        /// Largest number of frames shown (default: the distinct pages of the trace, where the curve is flat).
        #[arg(long, value_name = "N")]
        max_frames: Option<u64>,
        /// Estimate the curve from a sample of the pages (SHARDS, fixed rate R in (0, 1], e.g. 0.01): memory and
        /// time grow with the sampled pages only; the misses are estimates. Default: the exact curve.
        #[arg(long, value_name = "R")]
        sample_rate: Option<f64>,
        /// Show every K-th number of frames (K, 2K, ...; the largest is always shown).
        #[arg(long, value_name = "K", default_value_t = 1)]
        step: u64,
        /// Hide the progress bar (it is also hidden when stderr is not a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Run a research sweep: every combination of a grid file's traces (or scenario), policies and [grid] values,
    /// on all cores, one JSON line per run (its id, settings and report). Resumable with -o; docs/research.md.
    Sweep {
        /// The grid file (TOML: [[trace]] path/format or scenario, policies, exact, [set], [grid]).
        grid: PathBuf,
        /// Append result lines to FILE, skipping runs whose id is already there (`-`: standard output).
        #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
        out: PathBuf,
        /// Run only shard I of N (1-based): runs I, I+N, I+2N, ... of the grid's order.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Threads (default: one per core).
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Print the runs as JSON lines (id, settings) without running them.
        #[arg(long)]
        list: bool,
        /// No summary line on stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Create a swap file with a SWAPSPACE2 header, like util-linux mkswap (the UUID is derived, not random).
    Mkswap {
        /// The swap file to create (replaced if it exists).
        file: PathBuf,
        /// Size in bytes or with a unit: 67108864, 64MiB, 16384pages. A multiple of 4096, at least 10 pages.
        size: String,
        /// Volume label, at most 16 bytes.
        #[arg(long, short = 'L')]
        label: Option<String>,
    },
    /// Capture a live process's mappings and resident pages into a snapshot file (docs/snapshot.md) that a
    /// scenario can start a process from (`[[process]] snapshot = "FILE"`).
    Snapshot {
        /// The process to capture (needs ptrace access: the same user, or root).
        pid: u32,
        /// The snapshot file to write (zstd-compressed).
        #[arg(long, short = 'o')]
        out: PathBuf,
    },
    /// Convert a trace to another format (lackey to pages: one line per page each access touches).
    Convert {
        /// Input trace (`-` for standard input).
        trace: PathBuf,
        /// Input format.
        #[arg(long, value_enum)]
        from: TraceFormat,
        /// Output format (only pages).
        #[arg(long, value_enum)]
        to: TraceFormat,
        /// Output file (`-` for standard output).
        out: PathBuf,
        /// Hide the progress bar (it is also hidden when stderr is not a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Print a shell completion script to stdout (e.g. `vmsim completions bash > /etc/bash_completion.d/vmsim`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout (e.g. `vmsim man > vmsim.1; man ./vmsim.1`).
    Man,
    /// Show how addresses translate, step by step, after running a scenario.
    Translate {
        /// Scenario file that sets up the address space.
        #[arg(long)]
        scenario: PathBuf,
        /// Process id (default: the first process).
        #[arg(long)]
        pid: Option<u32>,
        /// CPU to translate on (default: the process's own): the process is moved there first, as
        /// sched_setaffinity would, so the translation sees that CPU's TLBs and PCID.
        #[arg(long)]
        cpu: Option<u16>,
        /// Kind of access to translate.
        #[arg(long, value_enum, default_value_t = AccessArg::Read)]
        access: AccessArg,
        /// Virtual addresses, decimal or 0x hex.
        #[arg(required = true, value_name = "ADDR")]
        addrs: Vec<String>,
        /// Override any configuration value.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// valgrind --tool=lackey --trace-mem=yes output (`I`, ` L`, ` S`, ` M` lines).
    Lackey,
    /// One page number per line (decimal or 0x hex); libCacheSim's plain-text trace.
    Pages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessArg {
    Read,
    Write,
    Exec,
}
