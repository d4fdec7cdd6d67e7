//! `vmsim convert TRACE --from lackey|pages --to pages OUT`: a page-reference trace (one decimal page number per
//! line, which libCacheSim's plain-text reader also reads) from a lackey trace ([`vmsim_trace::lackey_to_pages`]:
//! one line per page each access touches, an `M` line a load and a store) or from a pages trace (normalized: no
//! comments, hex or leading zeros).

use super::replay::input;
use crate::args::TraceFormat;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;
use vmsim::addr::PAGE_SHIFT;
use vmsim_trace::{lackey_to_pages, write_pages, PagesReader};

pub fn convert(trace: &Path, from: TraceFormat, to: TraceFormat, out: &Path) -> Result<()> {
    if to != TraceFormat::Pages {
        bail!("--to lackey: a trace can only be converted to pages (page numbers carry no addresses or sizes)");
    }
    let (source, name) = input(trace)?;
    let (sink, shown): (Box<dyn Write>, String) = if out == Path::new("-") {
        (Box::new(std::io::stdout().lock()), "<stdout>".into())
    } else {
        let f = std::fs::File::create(out).with_context(|| format!("{}: cannot create", out.display()))?;
        (Box::new(f), out.display().to_string())
    };
    let written = match from {
        TraceFormat::Lackey => {
            lackey_to_pages(source, name, sink, PAGE_SHIFT).with_context(|| format!("converting to {shown}"))?
        }
        TraceFormat::Pages => normalize(PagesReader::new(source, name), sink, &shown)?,
    };
    if out != Path::new("-") {
        writeln!(std::io::stdout().lock(), "{shown}: {written} page references")?;
    }
    Ok(())
}

/// Copies a pages trace as plain decimal numbers.
fn normalize<R: std::io::Read>(mut reader: PagesReader<R>, mut sink: Box<dyn Write>, shown: &str) -> Result<u64> {
    let (mut batch, mut written) = (Vec::new(), 0u64);
    while reader.next_batch(&mut batch)? > 0 {
        write_pages(&mut sink, &batch).with_context(|| format!("{shown}: cannot write"))?;
        written += batch.len() as u64;
    }
    sink.flush().with_context(|| format!("{shown}: cannot write"))?;
    Ok(written)
}
