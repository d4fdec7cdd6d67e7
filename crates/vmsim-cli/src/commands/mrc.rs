//! `vmsim mrc TRACE --format pages|lackey [--csv] [--max-frames N] [--step K]`: the exact LRU miss-ratio curve,
//! every memory size from one pass over the trace ([`vmsim::reclaim::mrc`], Mattson et al. 1970). Row `c` equals
//! `vmsim replay TRACE --exact --policy lru --frames c`: same references (a lackey access counts once per page it
//! touches), same misses. The trace streams through the parser thread; memory grows with the distinct pages only.

use super::replay::{drive, input, progress};
use crate::args::TraceFormat;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use vmsim::addr::PAGE_SHIFT;
use vmsim::reclaim::mrc::{Mrc, StackDistances};
use vmsim::reclaim::shards::{SampledMrc, Shards};
use vmsim_trace::{pages_touched, Access, LackeyReader, PagesReader};

/// How the curve is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A table for people.
    Table,
    /// `frames,misses,miss_ratio` lines.
    Csv,
    /// One JSON document with the curve as three arrays.
    Json,
}

/// What `vmsim mrc` was asked for.
#[derive(Debug)]
pub struct MrcArgs {
    /// The trace (`-` for standard input).
    pub trace: PathBuf,
    /// Its format.
    pub format: TraceFormat,
    /// How to print the curve.
    pub shape: Shape,
    /// Largest number of frames shown (default: the trace's distinct pages).
    pub max_frames: Option<u64>,
    /// Show every K-th number of frames.
    pub step: u64,
    /// No progress bar.
    pub quiet: bool,
    /// SHARDS sampling at this rate (None: the exact curve).
    pub sample_rate: Option<f64>,
}

/// The JSON document of `vmsim mrc --json`.
#[derive(Debug, serde::Serialize)]
struct MrcJson<'a> {
    vmsim_version: &'static str,
    inputs: crate::output::Inputs,
    policy: &'static str,
    exact: bool,
    /// SHARDS' rate, when sampled.
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_rate: Option<f64>,
    /// References to sampled pages, when sampled.
    #[serde(skip_serializing_if = "Option::is_none")]
    sampled_refs: Option<u64>,
    refs: u64,
    distinct_pages: u64,
    frames: &'a [u64],
    misses: &'a [u64],
    miss_ratio: &'a [f64],
}

/// `vmsim mrc`: the curve goes to `out`.
pub fn mrc(a: &MrcArgs, out: &mut dyn Write) -> Result<()> {
    let (trace, format, max_frames, step, quiet) = (a.trace.as_path(), a.format, a.max_frames, a.step, a.quiet);
    if step == 0 {
        bail!("--step 0: must be at least 1 (show every K-th number of frames)");
    }
    if max_frames == Some(0) {
        bail!("--max-frames 0: must be at least 1 (with no frames every reference misses)");
    }
    let curve = match a.sample_rate {
        None => Curve::Exact(stack_distances(trace, format, quiet, StackDistances::default())?.finish()),
        Some(rate) => {
            let shards = Shards::new(rate).map_err(|e| anyhow::anyhow!("--sample-rate {rate}: {e}"))?;
            Curve::Sampled(stack_distances(trace, format, quiet, shards)?.finish())
        }
    };
    let max = max_frames.unwrap_or(curve.distinct_pages().max(1));
    // Rows stream: K, 2K, ... up to max, then max itself; nothing is collected, so `--max-frames 10000000000`
    // prints as it goes (and stops at once under `| head`).
    let last_multiple = max / step * step;
    let sizes = (1..=max / step).map(|i| i * step).chain((last_multiple != max).then_some(max));
    let row = |c: u64| (c, curve.misses(c), curve.miss_ratio(c));
    if a.shape == Shape::Json {
        // Collected (the document holds the arrays): bounded by the distinct pages unless --max-frames is larger.
        let (mut frames, mut misses, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for (c, m, r) in sizes.map(row) {
            frames.push(c);
            misses.push(m);
            ratios.push(r);
        }
        let doc = MrcJson {
            vmsim_version: env!("CARGO_PKG_VERSION"),
            inputs: crate::output::Inputs {
                command: "mrc",
                trace: Some(super::replay::trace_name(trace)),
                format: Some(super::replay::format_name(format)),
                ..crate::output::Inputs::default()
            },
            policy: "lru",
            exact: a.sample_rate.is_none(),
            sample_rate: match &curve {
                Curve::Exact(_) => None,
                Curve::Sampled(c) => Some(c.rate()),
            },
            sampled_refs: match &curve {
                Curve::Exact(_) => None,
                Curve::Sampled(c) => Some(c.sampled_refs()),
            },
            refs: curve.refs(),
            distinct_pages: curve.distinct_pages(),
            frames: &frames,
            misses: &misses,
            miss_ratio: &ratios,
        };
        return crate::output::json(out, &doc);
    }
    let mut out = std::io::BufWriter::new(out);
    if a.shape == Shape::Csv {
        writeln!(out, "frames,misses,miss_ratio")?;
        for (c, m, r) in sizes.map(row) {
            writeln!(out, "{c},{m},{r:.6}")?;
        }
        out.flush()?;
        return Ok(());
    }
    let format = if format == TraceFormat::Lackey { "lackey" } else { "pages" };
    match &curve {
        Curve::Exact(c) => writeln!(
            out,
            "exact LRU miss-ratio curve of {} ({format} format): {} references, {} distinct pages",
            trace.display(),
            c.refs(),
            c.distinct_pages()
        )?,
        Curve::Sampled(c) => writeln!(
            out,
            "SHARDS-sampled LRU miss-ratio curve of {} ({format} format, rate {}): {} references ({} sampled), \
             about {} distinct pages",
            trace.display(),
            c.rate(),
            c.refs(),
            c.sampled_refs(),
            c.distinct_pages()
        )?,
    }
    // Column widths without collecting: frames grow to `max`; misses never grow with more frames, so the first
    // row has the widest.
    let first = if step <= max { step } else { max };
    let wf = max.to_string().len().max("frames".len());
    let wm = row(first).1.to_string().len().max("misses".len());
    writeln!(out, "{:>wf$}  {:>wm$}  {:>10}", "frames", "misses", "miss ratio")?;
    for (c, m, r) in sizes.map(row) {
        writeln!(out, "{c:>wf$}  {m:>wm$}  {r:>10.6}")?;
    }
    out.flush()?;
    Ok(())
}

/// The exact curve, or the SHARDS estimate.
#[derive(Debug)]
enum Curve {
    Exact(Mrc),
    Sampled(SampledMrc),
}

impl Curve {
    fn refs(&self) -> u64 {
        match self {
            Curve::Exact(c) => c.refs(),
            Curve::Sampled(c) => c.refs(),
        }
    }
    fn distinct_pages(&self) -> u64 {
        match self {
            Curve::Exact(c) => c.distinct_pages() as u64,
            Curve::Sampled(c) => c.distinct_pages(),
        }
    }
    fn misses(&self, frames: u64) -> u64 {
        match self {
            Curve::Exact(c) => c.misses(usize::try_from(frames).unwrap_or(usize::MAX)),
            Curve::Sampled(c) => c.misses(frames),
        }
    }
    fn miss_ratio(&self, frames: u64) -> f64 {
        match self {
            Curve::Exact(c) => c.miss_ratio(usize::try_from(frames).unwrap_or(usize::MAX)),
            Curve::Sampled(c) => c.miss_ratio(frames),
        }
    }
}

/// What counts the references: exact stack distances, or SHARDS' sample of them.
trait Counter {
    fn reference(&mut self, page: u64);
}

impl Counter for StackDistances {
    fn reference(&mut self, page: u64) {
        StackDistances::reference(self, page);
    }
}

impl Counter for Shards {
    fn reference(&mut self, page: u64) {
        Shards::reference(self, page);
    }
}

/// One pass over the trace: every page reference goes to `d`.
fn stack_distances<C: Counter>(trace: &Path, format: TraceFormat, quiet: bool, mut d: C) -> Result<C> {
    let pb = progress(quiet, trace);
    let (source, name) = input(trace, &pb)?;
    let result = match format {
        TraceFormat::Pages => drive(PagesReader::new(source, name), &pb, |batch: &[u64]| {
            for &page in batch {
                d.reference(page);
            }
            Ok(None)
        }),
        TraceFormat::Lackey => drive(LackeyReader::new(source, name), &pb, |batch: &[Access]| {
            for acc in batch {
                for page in pages_touched(acc.addr, acc.size, PAGE_SHIFT) {
                    d.reference(page);
                }
            }
            Ok(None)
        }),
    };
    pb.finish_and_clear();
    result?;
    Ok(d)
}
