//! `vmsim convert TRACE --from lackey|pages --to pages OUT`: a page-reference trace (one decimal page number per
//! line, which libCacheSim's plain-text reader also reads) from a lackey trace ([`vmsim_trace::lackey_to_pages`]:
//! one line per page each access touches, an `M` line a load and a store) or from a pages trace (normalized: no
//! comments, hex or leading zeros).

use super::replay::{input, progress, Input};
use crate::args::TraceFormat;
use crate::outfile::{refuse_same_file, OutFile};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use vmsim::addr::PAGE_SHIFT;
use vmsim_trace::{lackey_to_pages, write_pages, PagesReader};

pub fn convert(trace: &Path, from: TraceFormat, to: TraceFormat, out: &Path, quiet: bool) -> Result<()> {
    if to != TraceFormat::Pages {
        bail!("--to lackey: a trace can only be converted to pages (page numbers carry no addresses or sizes)");
    }
    // Refused before the input is opened or anything is created: converting a file onto itself would empty it.
    refuse_same_file(out, &[trace])?;
    let pb = progress(quiet, trace);
    let (source, name) = input(trace, &pb)?;
    if out == Path::new("-") {
        let r = write_all(source, name, from, std::io::stdout().lock(), "<stdout>");
        pb.finish_and_clear();
        r?;
        return Ok(());
    }
    let mut file = OutFile::create(out, &[trace])?;
    let shown = out.display().to_string();
    let written = write_all(source, name, from, &mut file, &shown);
    pb.finish_and_clear();
    let written = written?;
    // Only a complete conversion replaces OUT; on any error above the temporary file is removed.
    file.commit()?;
    writeln!(std::io::stdout().lock(), "{shown}: {written} page references")?;
    Ok(())
}

/// Converts the whole input into `sink`; the number of page references written.
fn write_all(source: Input, name: PathBuf, from: TraceFormat, sink: impl Write, shown: &str) -> Result<u64> {
    Ok(match from {
        TraceFormat::Lackey => {
            lackey_to_pages(source, name, sink, PAGE_SHIFT).with_context(|| format!("converting to {shown}"))?
        }
        TraceFormat::Pages => normalize(PagesReader::new(source, name), sink, shown)?,
    })
}

/// Copies a pages trace as plain decimal numbers.
fn normalize<R: std::io::Read>(mut reader: PagesReader<R>, mut sink: impl Write, shown: &str) -> Result<u64> {
    let (mut batch, mut written) = (Vec::new(), 0u64);
    while reader.next_batch(&mut batch)? > 0 {
        write_pages(&mut sink, &batch).with_context(|| format!("{shown}: cannot write"))?;
        written += batch.len() as u64;
    }
    sink.flush().with_context(|| format!("{shown}: cannot write"))?;
    Ok(written)
}
