//! Command-line arguments (what was typed; validated into a `SimConfig` by the commands).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    /// Repeatable. Keys are those of the scenario file's [machine], [tlb] and [cost] tables.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print the stats as JSON (documented in docs/stats.md) instead of a text report.
    #[arg(long)]
    pub json: bool,
    /// Also print /proc views at the end, in Linux's formats: meminfo, vmstat (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "VIEWS")]
    pub proc: Vec<ProcView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProcView {
    /// /proc/meminfo
    Meminfo,
    /// /proc/vmstat
    Vmstat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario file (TOML); with no file, run the embedded demo.
    Run {
        /// Scenario file. Omit to run the built-in demo (examples/demo.toml).
        scenario: Option<PathBuf>,
        #[command(flatten)]
        machine: MachineOpts,
    },
    /// Replay a memory trace through the model.
    Replay {
        /// Trace file (`-` for standard input).
        trace: PathBuf,
        /// Trace format.
        #[arg(long, value_enum)]
        format: TraceFormat,
        /// RAM size in 4 KiB frames (overrides --memory).
        #[arg(long)]
        frames: Option<u64>,
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
        /// Hide the progress bar (it is also hidden when stderr is not a terminal).
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        machine: MachineOpts,
    },
    /// Show how addresses translate, step by step, after running a scenario.
    Translate {
        /// Scenario file that sets up the address space.
        #[arg(long)]
        scenario: PathBuf,
        /// Process id (default: the first process).
        #[arg(long)]
        pid: Option<u32>,
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
