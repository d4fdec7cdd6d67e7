//! One function per subcommand; `dispatch` is the one `match`.

mod convert;
mod exact;
mod mkswap;
mod mrc;
mod replay;
mod run;
mod translate;

use crate::args::{Cli, Command};
use anyhow::{Context, Result};
use std::path::Path;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run { scenario, demo, machine } => run::run(scenario.as_deref(), demo.as_deref(), &machine),
        Command::Replay { trace, format, frames, exact, policy, memory, strict, scenario, quiet, machine } => {
            let a = replay::ReplayArgs { trace, format, frames, memory, strict, scenario, quiet, machine };
            if exact {
                exact::replay_exact(&a, policy)
            } else {
                replay::replay(&a, policy)
            }
        }
        Command::Mrc { trace, format, csv, max_frames, step } => mrc::mrc(&trace, format, csv, max_frames, step),
        Command::Mkswap { file, size, label } => mkswap::mkswap(&file, &size, label.as_deref()),
        Command::Convert { trace, from, to, out } => convert::convert(&trace, from, to, &out),
        Command::Translate { scenario, pid, access, addrs, sets } => {
            translate::translate(&scenario, pid, access, &addrs, &sets)
        }
    }
}

/// Read a whole text file, naming it in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read file", path.display()))
}
