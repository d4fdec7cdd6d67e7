//! `vmsim snapshot PID -o FILE`: capture a live process's mappings (`/proc/PID/maps`) and resident page contents
//! (`/proc/PID/pagemap` says which pages are present or swapped, `/proc/PID/mem` gives their bytes; unreadable
//! ranges are skipped) into a snapshot file (format: docs/snapshot.md, [`vmsim::snapshot`]). Reading another
//! process's memory needs ptrace access to it (the same user, and `kernel.yama.ptrace_scope` permitting, or root).

use crate::outfile::OutFile;
use anyhow::{bail, Context, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use vmsim::snapshot::{SnapHeader, SnapMap, Snapshot};

const PAGE: u64 = 4096;

pub fn snapshot(pid: u32, out: &Path) -> Result<()> {
    let proc = format!("/proc/{pid}");
    let maps_text = std::fs::read_to_string(format!("{proc}/maps")).with_context(|| format!("{proc}/maps"))?;
    let comm = std::fs::read_to_string(format!("{proc}/comm")).unwrap_or_default().trim().to_string();
    let maps = parse_maps(&maps_text).with_context(|| format!("{proc}/maps"))?;
    let mut pagemap = std::fs::File::open(format!("{proc}/pagemap")).with_context(|| format!("{proc}/pagemap"))?;
    let mut mem = std::fs::File::open(format!("{proc}/mem"))
        .with_context(|| format!("{proc}/mem (reading another process's memory needs ptrace access to it)"))?;
    let mut pages = Vec::new();
    let (mut skipped, mut zero) = (0u64, 0u64);
    for m in &maps {
        if m.path == "[vsyscall]" || m.path == "[vvar]" || m.path == "[vvar_vclock]" {
            continue;
        }
        let n = (m.end - m.start) / PAGE;
        // /proc/PID/pagemap: one u64 per page; bit 63 present, bit 62 swapped (Documentation/admin-guide/mm/pagemap.rst).
        let mut entries = vec![0u8; usize::try_from(n * 8)?];
        pagemap.seek(SeekFrom::Start(m.start / PAGE * 8))?;
        if pagemap.read_exact(&mut entries).is_err() {
            skipped += n;
            continue;
        }
        for (i, chunk) in (0u64..).zip(entries.chunks_exact(8)) {
            let e = u64::from_le_bytes(chunk.try_into()?);
            if e >> 62 == 0 {
                continue;
            }
            let va = m.start + i * PAGE;
            let mut page = Box::new([0u8; 4096]);
            if mem.seek(SeekFrom::Start(va)).is_err() || mem.read_exact(&mut page[..]).is_err() {
                skipped += 1;
                continue;
            }
            if page.iter().all(|&b| b == 0) {
                zero += 1;
                pages.push((va, None));
            } else {
                pages.push((va, Some(page)));
            }
        }
    }
    let header =
        SnapHeader { pid, comm: comm.clone(), captured_by: format!("vmsim {}", env!("CARGO_PKG_VERSION")), maps };
    let snap = Snapshot { header, pages };
    let mut f = OutFile::create(out, &[])?;
    snap.write_to(&mut f).with_context(|| format!("{}: cannot write", out.display()))?;
    f.commit()?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "pid {pid} ({comm}): {} mappings, {} resident pages ({} KiB, {zero} of them zero), {skipped} unreadable pages skipped; {} written ({size} bytes)",
        snap.header.maps.len(),
        snap.pages.len(),
        snap.pages.len() * 4,
        out.display()
    )?;
    Ok(())
}

/// `/proc/PID/maps` lines: `start-end perms offset dev inode [path]`.
fn parse_maps(text: &str) -> Result<Vec<SnapMap>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split_whitespace();
        let (Some(range), Some(perms), Some(offset)) = (f.next(), f.next(), f.next()) else {
            bail!("line {}: expected `start-end perms offset dev inode [path]`", n + 1);
        };
        let _dev = f.next();
        let _inode = f.next();
        let path = f.collect::<Vec<_>>().join(" ");
        let (s, e) = range.split_once('-').with_context(|| format!("line {}: bad range {range:?}", n + 1))?;
        out.push(SnapMap {
            start: u64::from_str_radix(s, 16).with_context(|| format!("line {}: bad start {s:?}", n + 1))?,
            end: u64::from_str_radix(e, 16).with_context(|| format!("line {}: bad end {e:?}", n + 1))?,
            perms: perms.to_string(),
            offset: u64::from_str_radix(offset, 16).unwrap_or(0),
            path,
        });
    }
    Ok(out)
}
