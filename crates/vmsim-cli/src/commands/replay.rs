//! `vmsim replay TRACE --format lackey|pages`: stream a trace through the model in constant memory. Parsing runs
//! on a second thread (vmsim-trace's `Threaded`), so it overlaps simulation.
//!
//! Trace accesses carry no data: a lackey store marks the page dirty (the MMU sets D) but does not change its bytes.
//! A `pages` reference is modelled as a store, so every distinct page needs a frame of its own, as in a
//! page-replacement exercise (a read would only map the shared zero page).

use crate::args::{MachineOpts, TraceFormat};
use crate::output;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use vmsim::config::{Scenario, SimConfig};
use vmsim::kernel::task::Pid;
use vmsim::mmu::Access;
use vmsim::sim::{AnyMachine, Machine};
use vmsim::with_machine;
use vmsim_trace::{AccessKind, BatchSource, LackeyReader, PagesReader, Threaded};

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

/// Progress: a spinner with the access count and rate on stderr, only when stderr is a terminal.
pub fn progress(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} accesses ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb
}

pub fn replay(a: &ReplayArgs, policy: Option<vmsim::reclaim::PolicyKind>) -> Result<()> {
    let mut sets = a.machine.sets.clone();
    if let Some(p) = policy {
        sets.push(format!("reclaim.policy={:?}", p.name()));
    }
    if let Some(m) = &a.memory {
        sets.push(format!("machine.memory={m:?}"));
    }
    if let Some(f) = a.frames {
        sets.push(format!("machine.frames={f}"));
    }
    let (scenario, cfg) = match &a.scenario {
        Some(p) => {
            let text = super::read_text(p)?;
            let (s, c) = Scenario::parse(p, &text, &sets)?;
            (Some((p.clone(), text, s)), c)
        }
        None => (None, SimConfig::from_sets(&sets)?),
    };
    if a.strict && scenario.is_none() {
        bail!("--strict needs --scenario FILE: its first process defines the legal mappings");
    }
    let mut machine = AnyMachine::new(&cfg)?;
    let report = with_machine!(&mut machine, m => {
        let pid = match &scenario {
            Some((path, text, s)) if a.strict => {
                m.run_scenario(path, text, s)?;
                m.find_pid(None).context("the scenario has no process to replay the trace in")?
            }
            _ => m.spawn_trace_process(true)?,
        };
        let pb = progress(a.quiet);
        let result = match a.format {
            TraceFormat::Lackey => drive_lackey(m, pid, &a.trace, &pb),
            TraceFormat::Pages => drive_pages(m, pid, &a.trace, &pb),
        };
        pb.finish_and_clear();
        result?;
        (m.report(), output::proc_views(&a.machine.proc, |v| m.proc_files(v)))
    });
    let (report, views) = report;
    let mut out = std::io::stdout().lock();
    let json = a.machine.json;
    if json {
        let inputs = output::Inputs {
            command: "replay",
            scenario: a.scenario.as_ref().map(|p| p.display().to_string()),
            trace: Some(trace_name(&a.trace)),
            format: Some(format_name(a.format)),
            sets,
        };
        output::json_report(&mut out, &report, &views, &inputs, &cfg)?;
    } else {
        let title = format!(
            "replay of {} ({} format)",
            a.trace.display(),
            if a.format == TraceFormat::Lackey { "lackey" } else { "pages" }
        );
        output::text(&mut out, &report, &cfg, Some(&title))?;
    }
    if !json {
        std::io::Write::write_all(&mut out, output::views_text(&views).as_bytes())?;
    }
    Ok(())
}

/// The trace as the report names it: its path, or `<stdin>` for `-`.
pub fn trace_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// The `--format` value.
pub fn format_name(f: TraceFormat) -> &'static str {
    match f {
        TraceFormat::Lackey => "lackey",
        TraceFormat::Pages => "pages",
    }
}

pub type Input = Box<dyn std::io::Read + Send>;

/// The trace's bytes: a file, or standard input for `-`.
pub fn input(path: &Path) -> Result<(Input, PathBuf)> {
    if path == Path::new("-") {
        return Ok((Box::new(std::io::stdin()), PathBuf::from("<stdin>")));
    }
    let f = std::fs::File::open(path).with_context(|| format!("{}: cannot open trace", path.display()))?;
    Ok((Box::new(f), path.to_path_buf()))
}

pub fn drive<S, F>(source: S, pb: &ProgressBar, mut each: F) -> Result<()>
where
    S: BatchSource + Send + 'static,
    S::Record: Send + 'static,
    F: FnMut(&[S::Record]) -> bool,
{
    let mut threaded = Threaded::spawn(source).context("cannot start the trace parser thread")?;
    let mut batch = Vec::new();
    loop {
        let n = threaded.next_batch(&mut batch)?;
        if n == 0 {
            return Ok(());
        }
        pb.inc(n as u64);
        if !each(&batch) {
            // The process died (SIGSEGV or out of memory): the rest of the trace is not replayed.
            return Ok(());
        }
    }
}

fn drive_lackey<A: vmsim::arch::PagingMode>(m: &mut Machine<A>, pid: Pid, path: &Path, pb: &ProgressBar) -> Result<()> {
    let (r, name) = input(path)?;
    let src = LackeyReader::new(r, name);
    drive(src, pb, |batch| {
        for r in batch {
            let kind = match r.kind {
                AccessKind::Read => Access::Read,
                AccessKind::Write => Access::Write,
                AccessKind::Fetch => Access::Fetch,
            };
            if !m.access(pid, r.addr, r.size, kind) {
                return false;
            }
        }
        true
    })
}

fn drive_pages<A: vmsim::arch::PagingMode>(m: &mut Machine<A>, pid: Pid, path: &Path, pb: &ProgressBar) -> Result<()> {
    let (r, name) = input(path)?;
    let src = PagesReader::new(r, name);
    drive(src, pb, |batch| {
        for &page in batch {
            let Some(addr) = page.checked_mul(vmsim::PAGE_SIZE) else { return false };
            if !m.access(pid, addr, 1, Access::Write) {
                return false;
            }
        }
        true
    })
}
