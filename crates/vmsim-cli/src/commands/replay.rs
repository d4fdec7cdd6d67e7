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
use vmsim_trace::{AccessKind, BatchSource, LackeyReader, PagesReader, Recorded, Threaded};

/// A trace decoded into memory once, for many replays (`vmsim sweep`): a replay given one reads no file.
#[derive(Debug, Clone)]
pub enum Decoded {
    /// A lackey trace's accesses.
    Lackey(std::sync::Arc<[vmsim_trace::Access]>),
    /// A pages trace's page numbers.
    Pages(std::sync::Arc<[u64]>),
}

impl Decoded {
    /// Records in the trace.
    pub fn len(&self) -> usize {
        match self {
            Decoded::Lackey(r) => r.len(),
            Decoded::Pages(r) => r.len(),
        }
    }

    /// Whether the trace has no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads the whole trace at `path` into memory.
pub fn decode(path: &Path, format: TraceFormat) -> Result<Decoded> {
    let pb = ProgressBar::hidden();
    let (r, name) = input(path, &pb)?;
    Ok(match format {
        TraceFormat::Lackey => {
            let mut all = Vec::new();
            drive(LackeyReader::new(r, name), &pb, |b: &[vmsim_trace::Access]| {
                all.extend_from_slice(b);
                Ok(None)
            })?;
            Decoded::Lackey(all.into())
        }
        TraceFormat::Pages => {
            let mut all = Vec::new();
            drive(PagesReader::new(r, name), &pb, |b: &[u64]| {
                all.extend_from_slice(b);
                Ok(None)
            })?;
            Decoded::Pages(all.into())
        }
    })
}

/// Feeds the page numbers of `a`'s pages trace (its file, or the copy decoded in memory) to `each`, as [`drive`].
pub fn drive_pages_of<F>(a: &ReplayArgs, pb: &ProgressBar, each: F) -> Result<Option<u64>>
where
    F: FnMut(&[u64]) -> Result<Option<usize>>,
{
    match &a.decoded {
        Some(Decoded::Pages(r)) => drive(Recorded::new(r.clone()), pb, each),
        Some(Decoded::Lackey(_)) => bail!("{}: decoded as a lackey trace, replayed as pages", a.trace.display()),
        None => {
            let (r, name) = input(&a.trace, pb)?;
            drive(PagesReader::new(r, name), pb, each)
        }
    }
}

/// Feeds the accesses of `a`'s lackey trace (its file, or the copy decoded in memory) to `each`, as [`drive`].
pub fn drive_lackey_of<F>(a: &ReplayArgs, pb: &ProgressBar, each: F) -> Result<Option<u64>>
where
    F: FnMut(&[vmsim_trace::Access]) -> Result<Option<usize>>,
{
    match &a.decoded {
        Some(Decoded::Lackey(r)) => drive(Recorded::new(r.clone()), pb, each),
        Some(Decoded::Pages(_)) => bail!("{}: decoded as a pages trace, replayed as lackey", a.trace.display()),
        None => {
            let (r, name) = input(&a.trace, pb)?;
            drive(LackeyReader::new(r, name), pb, each)
        }
    }
}

#[derive(Debug)]
pub struct ReplayArgs {
    pub trace: PathBuf,
    pub format: TraceFormat,
    pub frames: Option<u64>,
    pub memory: Option<String>,
    pub strict: bool,
    pub scenario: Option<PathBuf>,
    pub quiet: bool,
    pub machine: MachineOpts,
    /// The trace already in memory (`vmsim sweep` decodes each trace once); None: read `trace`.
    pub decoded: Option<Decoded>,
}

/// Progress on stderr for reading `path`: a bar over the file's bytes with percentage, rate and ETA (a spinner with
/// the bytes read for standard input or a file of unknown size). Hidden with `--quiet` and when stderr is not a
/// terminal, so nothing of it reaches a pipe, a log or a test.
pub fn progress(quiet: bool, path: &Path) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let len = (path != Path::new("-")).then(|| std::fs::metadata(path).ok()).flatten().map(|m| m.len());
    let pb = ProgressBar::with_draw_target(len.filter(|&l| l > 0), ProgressDrawTarget::stderr_with_hz(4));
    let template = if pb.length().is_some() {
        "{bar:30} {percent:>3}% {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta}) {msg}"
    } else {
        "{spinner} {elapsed_precise} {bytes} read ({bytes_per_sec}) {msg}"
    };
    pb.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    pb
}

/// A reader that advances a progress bar by the bytes it reads.
struct Counted {
    inner: Input,
    pb: ProgressBar,
}

impl std::io::Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pb.inc(n as u64);
        Ok(n)
    }
}

/// `vmsim replay` in the full model; the report goes to `out`.
pub fn replay(a: &ReplayArgs, policy: Option<vmsim::reclaim::PolicyKind>, out: &mut dyn std::io::Write) -> Result<()> {
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
        let pb = progress(a.quiet, &a.trace);
        let limit = a.machine.max_accesses.unwrap_or(u64::MAX);
        let result = match a.format {
            TraceFormat::Lackey => drive_lackey(m, pid, a, &pb, limit),
            TraceFormat::Pages => drive_pages(m, pid, a, &pb, limit),
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
    let json = a.machine.json;
    if json {
        let inputs = output::Inputs {
            command: "replay",
            scenario: a.scenario.as_ref().map(|p| p.display().to_string()),
            trace: Some(trace_name(&a.trace)),
            format: Some(format_name(a.format)),
            sets,
        };
        output::json_report(out, &report, &views, &inputs, &cfg)?;
    } else {
        let title = format!(
            "replay of {} ({} format)",
            a.trace.display(),
            if a.format == TraceFormat::Lackey { "lackey" } else { "pages" }
        );
        output::text(out, &report, &cfg, Some(&title))?;
    }
    if !json {
        std::io::Write::write_all(out, output::views_text(&views).as_bytes())?;
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

/// The trace's bytes: a file, or standard input for `-`; each read advances `pb` (see [`progress`]).
pub fn input(path: &Path, pb: &ProgressBar) -> Result<(Input, PathBuf)> {
    let (inner, name): (Input, PathBuf) = if path == Path::new("-") {
        (Box::new(std::io::stdin()), PathBuf::from("<stdin>"))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("{}: cannot open trace", path.display()))?;
        (Box::new(f), path.to_path_buf())
    };
    Ok((Box::new(Counted { inner, pb: pb.clone() }), name))
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
        pb.set_message(format!("{} records", done + n as u64));
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
    a: &ReplayArgs,
    pb: &ProgressBar,
    limit: u64,
) -> Result<Option<u64>> {
    let shown = trace_name(&a.trace);
    let mut seen = 0u64;
    drive_lackey_of(a, pb, |batch| {
        check_limit(&shown, seen, batch.len(), limit)?;
        seen += batch.len() as u64;
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
    a: &ReplayArgs,
    pb: &ProgressBar,
    limit: u64,
) -> Result<Option<u64>> {
    let shown = trace_name(&a.trace);
    // Pages above the user address space cannot be replayed by a process: an error, not a silent stop.
    let top_page = vmsim::kernel::mmap::user_top::<A>() / vmsim::PAGE_SIZE;
    let mut seen = 0u64;
    drive_pages_of(a, pb, |batch| {
        check_limit(&shown, seen, batch.len(), limit)?;
        for (i, &page) in batch.iter().enumerate() {
            if page >= top_page {
                bail!(
                    "{shown}: reference {} is page {page}, beyond the user address space of {} (page numbers must \
                     be below {top_page}; vmsim replay --exact and vmsim mrc take any page number)",
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

/// `--max-accesses`: an error before a batch that would take the replay past `limit` trace records.
fn check_limit(shown: &str, seen: u64, batch: usize, limit: u64) -> Result<()> {
    if seen.saturating_add(batch as u64) > limit {
        bail!("{shown}: the trace has more than {limit} records (--max-accesses {limit}): stopped before replaying past it");
    }
    Ok(())
}
