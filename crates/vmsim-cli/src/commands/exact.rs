//! `vmsim replay TRACE --exact --frames N [--policy P]`: the replacement-only fast path (exact/teaching mode).
//!
//! Only page replacement is modelled: no page tables, TLB, zero page, readahead, watermarks or batching. Memory
//! starts empty; a reference to a resident page is a hit; a miss fills a free frame, or, when all N frames are in
//! use, the policy evicts exactly one page (SPEC §16). One monomorphized loop per policy
//! ([`vmsim::reclaim::replay::Replay`] through [`vmsim::with_policy!`]) consumes batches from the trace crate's
//! parser thread. OPT needs the future: the whole trace is collected first (16 bytes per reference with the
//! next-use table). A lackey access counts once per page it touches.
//!
//! The JSON has the shape of the full model's report (docs/stats.md), read in the terms of a process whose every
//! reference is a store: a first touch is a demand-zero minor fault, an evicted page is dirty and goes to swap, and
//! a re-fault reads it back (a major fault). `replay` adds the replacement counts (`refs`, `hits`, `misses`,
//! `evictions`, `cold_misses`); `policy` and `exact` say how the run was made.

use super::replay::{drive_lackey_of, drive_pages_of, format_name, progress, trace_name, ReplayArgs};
use crate::args::TraceFormat;
use crate::output;
use anyhow::{bail, Result};
use indicatif::ProgressBar;
use serde::Serialize;
use std::io::Write;
use vmsim::addr::PAGE_SHIFT;
use vmsim::config::SimConfig;
use vmsim::reclaim::replay::{next_use_table, Replay, ReplayStats};
use vmsim::reclaim::{NextUse, Policy, PolicyKind};
use vmsim::sim::ProcessReport;
use vmsim::stats::Stats;
use vmsim_trace::{pages_touched, Access, AccessKind};

/// Largest `--frames` in exact mode. Policies keep dense per-frame state (up to about 16 bytes a frame), allocated
/// up front: 2^27 frames (512 GiB of 4 KiB pages) is already 2 GiB of host memory. A trace never needs more frames
/// than it has distinct pages (`vmsim mrc` shows where the curve stops falling).
const EXACT_MAX_FRAMES: u64 = 1 << 27;

/// What one exact replay counted.
#[derive(Debug, Default)]
struct ExactRun {
    stats: ReplayStats,
    resident: u64,
    /// Page references by kind (lackey); a pages trace counts every reference as a store.
    reads: u64,
    writes: u64,
    fetches: u64,
}

impl ExactRun {
    fn count(&mut self, kind: AccessKind, pages: u64) {
        match kind {
            AccessKind::Read => self.reads += pages,
            AccessKind::Write => self.writes += pages,
            AccessKind::Fetch => self.fetches += pages,
        }
    }
}

/// The `--json` object: the full model's report shape (docs/stats.md) plus the replacement counts.
#[derive(Debug, Serialize)]
struct ExactReport<'a> {
    /// No paging mode: exact mode has no page tables.
    arch: &'static str,
    seed: u64,
    #[serde(flatten)]
    stats: Stats,
    /// No processes: the trace is replayed as page numbers.
    processes: Vec<ProcessReport>,
    events: Vec<String>,
    policy: &'static str,
    exact: bool,
    /// No address space is mapped: nothing is committed.
    overcommit: vmsim::sim::OvercommitReport,
    replay: &'a ReplayStats,
}

/// `vmsim replay --exact`; the report goes to `out`.
pub fn replay_exact(a: &ReplayArgs, policy: Option<PolicyKind>, out: &mut dyn Write) -> Result<()> {
    let Some(frames) = a.frames else {
        bail!("--exact needs --frames N: the number of page frames to replace pages in (e.g. --frames 3)");
    };
    if a.memory.is_some() {
        bail!("--exact takes memory as --frames N, not --memory (drop --memory)");
    }
    if a.strict || a.scenario.is_some() {
        bail!("--exact replays page numbers only, with no address space: --strict and --scenario need the full model (drop --exact)");
    }
    if !(1..=EXACT_MAX_FRAMES).contains(&frames) {
        bail!("--frames {frames}: out of range 1..={EXACT_MAX_FRAMES} in exact mode (a trace needs no more frames than it has distinct pages)");
    }
    let frames = usize::try_from(frames)?;
    // --set supplies the seed (random policy) and the cost model; the machine's size and layout do not apply.
    let cfg = SimConfig::from_sets(&a.machine.sets)?;
    let kind = policy.unwrap_or(PolicyKind::Lru);
    let pb = progress(a.quiet, &a.trace);
    let result = vmsim::with_policy!(kind, |P| exact_run::<P>(a, frames, cfg.machine.seed, &pb));
    pb.finish_and_clear();
    let run = result?;
    let stats = stats(&run, frames as u64, &cfg);
    if a.machine.json {
        let report = ExactReport {
            arch: "none",
            seed: cfg.machine.seed,
            stats,
            processes: Vec::new(),
            events: Vec::new(),
            policy: kind.name(),
            exact: true,
            overcommit: vmsim::sim::OvercommitReport {
                mode: cfg.vm.overcommit_memory,
                commit_limit_kb: vmsim::kernel::overcommit::commit_limit(&cfg.vm.overcommit(), frames as u64, 0) * 4,
                committed_as_kb: 0,
                refused: 0,
            },
            replay: &run.stats,
        };
        let mut sets = a.machine.sets.clone();
        sets.push(format!("reclaim.policy={:?}", kind.name()));
        sets.push(format!("machine.frames={frames}"));
        let inputs = output::Inputs {
            command: "replay",
            trace: Some(trace_name(&a.trace)),
            format: Some(format_name(a.format)),
            sets,
            ..output::Inputs::default()
        };
        // What the replay used: the policy and the number of frames, the seed and the cost model.
        let mut effective = cfg.clone();
        effective.reclaim.policy = kind;
        effective.reclaim.exact = true;
        effective.machine.frames = Some(frames as u64);
        output::json_report(out, &report, &[], &inputs, &effective)?;
    } else {
        text(out, a, kind, &run, &stats, &cfg)?;
    }
    Ok(())
}

/// Replays the trace against `frames` frames with policy `P`.
fn exact_run<P: Policy>(a: &ReplayArgs, frames: usize, seed: u64, pb: &ProgressBar) -> Result<ExactRun> {
    let mut r = Replay::<P>::new(frames, seed);
    let mut run = ExactRun::default();
    if P::USES_NEXT_USE {
        // OPT: the whole trace first, then one backward pass for each reference's next use.
        let mut pages = Vec::new();
        let _: Option<u64> = match a.format {
            TraceFormat::Pages => drive_pages_of(a, pb, |batch: &[u64]| {
                pages.extend_from_slice(batch);
                Ok(None)
            })?,
            TraceFormat::Lackey => drive_lackey_of(a, pb, |batch: &[Access]| {
                for acc in batch {
                    let touched = pages_touched(acc.addr, acc.size, PAGE_SHIFT);
                    run.count(acc.kind, touched.end() - touched.start() + 1);
                    pages.extend(touched);
                }
                Ok(None)
            })?,
        };
        r.feed_with_next(&pages, &next_use_table(&pages));
    } else {
        let _: Option<u64> = match a.format {
            TraceFormat::Pages => drive_pages_of(a, pb, |batch: &[u64]| {
                r.feed(batch);
                Ok(None)
            })?,
            TraceFormat::Lackey => drive_lackey_of(a, pb, |batch: &[Access]| {
                for acc in batch {
                    let touched = pages_touched(acc.addr, acc.size, PAGE_SHIFT);
                    run.count(acc.kind, touched.end() - touched.start() + 1);
                    for page in touched {
                        r.access(page, NextUse::NEVER);
                    }
                }
                Ok(None)
            })?,
        };
    }
    run.stats = r.stats();
    run.resident = r.resident() as u64;
    if a.format == TraceFormat::Pages {
        run.writes = run.stats.refs;
    }
    Ok(run)
}

/// The replacement counts in the full model's terms (module docs).
fn stats(run: &ExactRun, frames: u64, cfg: &SimConfig) -> Stats {
    let r = &run.stats;
    let refaults = r.misses - r.cold_misses;
    let mut s = Stats::default();
    s.accesses.total = r.refs;
    s.accesses.reads = run.reads;
    s.accesses.writes = run.writes;
    s.accesses.fetches = run.fetches;
    s.faults.minor = r.cold_misses;
    s.faults.major = refaults;
    s.faults.total = r.misses;
    s.faults.pgfault = r.misses;
    s.swap.pages_out = r.evictions;
    s.swap.pages_in = refaults;
    s.memory.frames_total = frames;
    s.memory.frames_used = run.resident;
    s.cost = vmsim::cost::estimate(&cfg.cost, &s);
    s
}

/// The short text summary.
fn text(
    out: &mut dyn Write,
    a: &ReplayArgs,
    kind: PolicyKind,
    run: &ExactRun,
    s: &Stats,
    cfg: &SimConfig,
) -> Result<()> {
    let r = &run.stats;
    let format = if a.format == TraceFormat::Lackey { "lackey" } else { "pages" };
    writeln!(out, "exact replay of {} ({format} format)", a.trace.display())?;
    let n = s.memory.frames_total;
    write!(out, "policy {kind}, {n} frame{}", if n == 1 { "" } else { "s" })?;
    if kind == PolicyKind::Random {
        write!(out, ", seed {}", cfg.machine.seed)?;
    }
    writeln!(out, "\n")?;
    let row = |out: &mut dyn Write, label: &str, n: u64, ratio: &str, note: &str| {
        let line = format!("  {label:<12}{n:>14}  {ratio:>7}  {note}");
        writeln!(out, "{}", line.trim_end())
    };
    let refs_note = match a.format {
        TraceFormat::Lackey => {
            format!("pages touched by loads {}, stores {}, fetches {}", run.reads, run.writes, run.fetches)
        }
        TraceFormat::Pages => String::new(),
    };
    row(out, "references", r.refs, "", &refs_note)?;
    row(out, "hits", r.hits, &output::pct(r.hits, r.refs), "")?;
    row(out, "misses", r.misses, &output::pct(r.misses, r.refs), "page faults")?;
    row(out, "  cold", r.cold_misses, "", "first touches (demand-zero: minor faults)")?;
    row(out, "  re-faults", r.misses - r.cold_misses, "", "evicted pages read back (major faults)")?;
    row(out, "evictions", r.evictions, "", "one victim per miss with all frames in use")?;
    row(out, "resident", run.resident, "", &format!("of {} frames at the end", s.memory.frames_total))?;
    writeln!(
        out,
        "\nEffective access time {} per reference (memory {} ns, minor fault {} ns, major fault {} ns)",
        output::ns(s.cost.effective_access_time_ns),
        cfg.cost.memory_ns,
        cfg.cost.minor_fault_ns,
        cfg.cost.major_fault_ns
    )?;
    Ok(())
}
