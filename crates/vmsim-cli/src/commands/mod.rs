//! One function per subcommand; `dispatch` is the one `match`.

mod convert;
pub mod exact;
pub mod grid;
mod mkswap;
pub mod mrc;
pub mod replay;
pub mod run;
mod snapshot;
pub mod sweep;
mod translate;

use crate::args::{Cli, Command};
use anyhow::{Context, Result};
use std::path::Path;
use vmsim::config::{blame, ConfigError, SimConfig};
use vmsim::kernel::KernelError;
use vmsim::sim::AnyMachine;

/// Runs the command `cli` names, printing to standard output.
pub fn dispatch(cli: Cli) -> Result<()> {
    let stdout = &mut std::io::stdout().lock();
    match cli.command {
        Command::Run { scenario, demo, sweep, machine } => {
            run::run(scenario.as_deref(), demo.as_deref(), &machine, &sweep, stdout)
        }
        Command::Replay { trace, format, frames, exact, policy, memory, strict, scenario, machine } => {
            let quiet = machine.quiet;
            let a =
                replay::ReplayArgs { trace, format, frames, memory, strict, scenario, quiet, machine, decoded: None };
            if exact {
                exact::replay_exact(&a, policy, stdout)
            } else {
                replay::replay(&a, policy, stdout)
            }
        }
        Command::Mrc { trace, format, csv, json, max_frames, step, quiet, sample_rate } => {
            let shape = if json {
                mrc::Shape::Json
            } else if csv {
                mrc::Shape::Csv
            } else {
                mrc::Shape::Table
            };
            mrc::mrc(&mrc::MrcArgs { trace, format, shape, max_frames, step, quiet, sample_rate }, stdout)
        }
        Command::Sweep { grid, out, shard, jobs, list, quiet } => {
            grid::sweep(&grid::SweepArgs { grid, out, shard, jobs, list, quiet }, stdout)
        }
        Command::Mkswap { file, size, label } => mkswap::mkswap(&file, &size, label.as_deref()),
        Command::Snapshot { pid, out } => snapshot::snapshot(pid, &out),
        Command::Convert { trace, from, to, out, quiet } => convert::convert(&trace, from, to, &out, quiet),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into memory first: clap_complete panics when its writer fails (a closed pipe); ours reports it.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "vmsim", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
            Ok(())
        }
        Command::Man => {
            // vmsim(1): the synopsis, options and the list of subcommands (each documented by `vmsim help CMD`).
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            std::io::Write::write_all(&mut std::io::stdout().lock(), &page)?;
            Ok(())
        }
        Command::Translate { scenario, pid, cpu, access, addrs, sets } => {
            translate::translate(&scenario, pid, cpu, access, &addrs, &sets)
        }
    }
}

/// Read a whole text file, naming it in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read file", path.display()))
}

/// Boots the machine `cfg` describes. A setting that only fails when the machine is built (a swap file that
/// cannot be opened, the `opt` policy outside exact replay, too little memory to boot) is blamed like a bad value:
/// on the `--set` that gave it or on its place in `file`.
pub fn boot(cfg: &SimConfig, file: Option<(&Path, &str)>, sets: &[String]) -> Result<AnyMachine> {
    // The configuration's range check (SimConfig::check) keeps machines within config::MAX_MACHINE_FRAMES.
    AnyMachine::new(cfg).map_err(|e| {
        let key = match &e {
            KernelError::OptNeedsTrace => "reclaim.policy",
            KernelError::Swap(_) | KernelError::SwapState(_) => "swap.devices",
            KernelError::Tlb(_) => "tlb",
            _ => "machine.memory",
        };
        anyhow::Error::new(blame(file, sets, key, e.to_string()))
    })
}

/// `--set` values that stand for an option (`--frames 8` is `--set machine.frames=8`): an error blamed on one of
/// them names the option as it was typed.
pub fn relabel(e: ConfigError, options: &[(String, String)]) -> ConfigError {
    let path = e.path.to_string_lossy().into_owned();
    match options.iter().find(|(set, _)| path == format!("--set {set}")) {
        Some((_, typed)) => ConfigError { path: typed.into(), ..e },
        None => e,
    }
}
