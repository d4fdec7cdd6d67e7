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
use vmsim::sim::Machine;
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
    // The options that stand for a --set, with how they were typed (errors name the option).
    let mut options = Vec::new();
    if let Some(p) = policy {
        options.push((format!("reclaim.policy={:?}", p.name()), format!("--policy {}", p.name())));
    }
    if let Some(m) = &a.memory {
        options.push((format!("machine.memory={m:?}"), format!("--memory {m}")));
    }
    if let Some(f) = a.frames {
        options.push((format!("machine.frames={f}"), format!("--frames {f}")));
    }
    sets.extend(options.iter().map(|(s, _)| s.clone()));
    let (scenario, cfg) = match &a.scenario {
        Some(p) => {
            let text = super::read_text(p)?;
            let (s, c) = Scenario::parse(p, &text, &sets).map_err(|e| super::relabel(e, &options))?;
            (Some((p.clone(), text, s)), c)
        }
        None => (None, SimConfig::from_sets(&sets).map_err(|e| super::relabel(e, &options))?),
    };
    if a.strict && scenario.is_none() {
        bail!("--strict needs --scenario FILE: its first process defines the legal mappings");
    }
    let file = scenario.as_ref().map(|(p, t, _)| (p.as_path(), t.as_str()));
    let mut machine = super::boot(&cfg, file, &sets).map_err(|e| match e.downcast::<vmsim::config::ConfigError>() {
        Ok(c) => anyhow::Error::new(super::relabel(c, &options)),
        Err(e) => e,
    })?;
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
        let stopped = result?;
        let mut report = m.report();
        if let Some(n) = stopped {
            // No silent partial result (issue 12): the stop is an event in the text report and the JSON.
            report.events.push(format!(
                "replay stopped: the trace process ended at trace record {n} (see its state); the records after it \
                 were not replayed"
            ));
        }
        (report, output::proc_views(&a.machine.proc, |v| m.proc_files(v)))
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

/// Feeds every batch of `source` to `each`; stops early when `each` returns false. Returns the 1-based number of
/// the record at which it stopped (None: the whole trace was consumed).
pub fn drive<S, F>(source: S, pb: &ProgressBar, mut each: F) -> Result<Option<u64>>
where
    S: BatchSource + Send + 'static,
    S::Record: Send + 'static,
    F: FnMut(&[S::Record]) -> Result<Option<usize>>,
{
    let mut threaded = Threaded::spawn(source).context("cannot start the trace parser thread")?;
    let mut batch = Vec::new();
    let mut done = 0u64;
    loop {
        let n = threaded.next_batch(&mut batch)?;
        if n == 0 {
            return Ok(None);
        }
        pb.inc(n as u64);
        if let Some(i) = each(&batch)? {
            // The process died (SIGSEGV or out of memory) at record i of this batch.
            return Ok(Some(done + i as u64 + 1));
        }
        done += n as u64;
    }
}

fn drive_lackey<A: vmsim::arch::PagingMode>(
    m: &mut Machine<A>,
    pid: Pid,
    path: &Path,
    pb: &ProgressBar,
) -> Result<Option<u64>> {
    let (r, name) = input(path)?;
    let src = LackeyReader::new(r, name);
    drive(src, pb, |batch| {
        for (i, r) in batch.iter().enumerate() {
            let kind = match r.kind {
                AccessKind::Read => Access::Read,
                AccessKind::Write => Access::Write,
                AccessKind::Fetch => Access::Fetch,
            };
            if !m.access(pid, r.addr, r.size, kind) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    })
}

fn drive_pages<A: vmsim::arch::PagingMode>(
    m: &mut Machine<A>,
    pid: Pid,
    path: &Path,
    pb: &ProgressBar,
) -> Result<Option<u64>> {
    let (r, name) = input(path)?;
    let shown = trace_name(path);
    let src = PagesReader::new(r, name);
    // Pages above the user address space cannot be replayed by a process: an error, not a silent stop.
    let limit = vmsim::kernel::mmap::user_top::<A>() / vmsim::PAGE_SIZE;
    let mut seen = 0u64;
    drive(src, pb, |batch| {
        for (i, &page) in batch.iter().enumerate() {
            if page >= limit {
                bail!(
                    "{shown}: reference {} is page {page}, beyond the user address space of {} (page numbers must \
                     be below {limit}; vmsim replay --exact and vmsim mrc take any page number)",
                    seen + i as u64 + 1,
                    A::NAME
                );
            }
            if !m.access(pid, page * vmsim::PAGE_SIZE, 1, Access::Write) {
                return Ok(Some(i));
            }
        }
        seen += batch.len() as u64;
        Ok(None)
    })
}
