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
}

/// The JSON document of `vmsim mrc --json`.
#[derive(Debug, serde::Serialize)]
struct MrcJson<'a> {
    vmsim_version: &'static str,
    inputs: crate::output::Inputs,
    policy: &'static str,
    exact: bool,
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
    let curve = stack_distances(trace, format, quiet)?;
    let max = max_frames.unwrap_or((curve.distinct_pages() as u64).max(1));
    // Rows stream: K, 2K, ... up to max, then max itself; nothing is collected, so `--max-frames 10000000000`
    // prints as it goes (and stops at once under `| head`).
    let last_multiple = max / step * step;
    let sizes = (1..=max / step).map(|i| i * step).chain((last_multiple != max).then_some(max));
    let row = |c: u64| {
        let c_idx = usize::try_from(c).unwrap_or(usize::MAX);
        (c, curve.misses(c_idx), curve.miss_ratio(c_idx))
    };
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
            exact: true,
            refs: curve.refs(),
            distinct_pages: curve.distinct_pages() as u64,
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
    writeln!(
        out,
        "exact LRU miss-ratio curve of {} ({format} format): {} references, {} distinct pages",
        trace.display(),
        curve.refs(),
        curve.distinct_pages()
    )?;
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

/// One pass over the trace: the stack distance of every page reference.
fn stack_distances(trace: &Path, format: TraceFormat, quiet: bool) -> Result<Mrc> {
    let pb = progress(quiet, trace);
    let (source, name) = input(trace, &pb)?;
    let mut d = StackDistances::default();
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
    Ok(d.finish())
}
