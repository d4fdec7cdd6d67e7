//! `vmsim replay TRACE --format lackey|pages`: not yet wired (trace readers land with the trace crate).

use crate::args::{MachineOpts, TraceFormat};
use anyhow::{bail, Result};
use std::path::PathBuf;

pub struct ReplayArgs {
    pub trace: PathBuf,
    pub format: TraceFormat,
    pub frames: Option<u64>,
    pub memory: Option<String>,
    pub strict: bool,
    pub scenario: Option<PathBuf>,
    pub quiet: bool,
    pub machine: MachineOpts,
}

pub fn replay(a: &ReplayArgs) -> Result<()> {
    bail!("{}: replay is not wired yet", a.trace.display())
}
