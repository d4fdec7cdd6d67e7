//! Report rendering: text for people, JSON for scripts.

use anyhow::Result;
use std::io::Write;
use vmsim::config::SimConfig;
use vmsim::procfs::ProcFile;
use vmsim::sim::Report;

/// The requested /proc views, each file under a `==> /proc/NAME <==` header (`show` lists the files of a view).
pub fn proc_views(views: &[ProcFile], show: impl Fn(ProcFile) -> Vec<(String, String)>) -> Vec<(String, String)> {
    views.iter().flat_map(|&v| show(v)).collect()
}

/// The views as text after a report: `==> /proc/meminfo <==` and the file, like `head` prints several files.
pub fn views_text(views: &[(String, String)]) -> String {
    views.iter().map(|(path, body)| format!("\n==> {path} <==\n{body}")).collect()
}

/// What a JSON report was made from: `"inputs"` in the document (docs/stats.md). Paths are shown as given.
#[derive(Debug, Default, serde::Serialize)]
pub struct Inputs {
    /// The subcommand: `run` or `replay`.
    pub command: &'static str,
    /// The scenario file (`<embedded demo NAME>` for `--demo`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The trace file (`<stdin>` for `-`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The trace format, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    /// Every configuration override in the order applied: the `--set` values, then `--policy`, `--memory` and
    /// `--frames` as the `--set` they stand for.
    pub sets: Vec<String>,
}

/// The report as one JSON document: `vmsim_version`, the report's keys, the /proc views when asked for (inside the
/// same object as `"proc": [{"path": "/proc/meminfo", "text": "..."}, ...]`, in the order asked), then `inputs`
/// and the full effective `config` (every `[machine]`, `[tlb]`, `[cost]`, `[reclaim]` and `[swap]` value, defaults
/// included), so a result carries what produced it.
pub fn json_report(
    out: &mut (impl Write + ?Sized),
    r: &impl serde::Serialize,
    views: &[(String, String)],
    inputs: &Inputs,
    config: &SimConfig,
) -> Result<()> {
    #[derive(serde::Serialize)]
    struct View<'a> {
        path: &'a str,
        text: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Document<'a, T: serde::Serialize> {
        vmsim_version: &'static str,
        #[serde(flatten)]
        report: &'a T,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        proc: Vec<View<'a>>,
        inputs: &'a Inputs,
        config: &'a SimConfig,
    }
    let proc = views.iter().map(|(path, text)| View { path, text }).collect();
    json(out, &Document { vmsim_version: env!("CARGO_PKG_VERSION"), report: r, proc, inputs, config })
}

/// The stable JSON stats object (docs/stats.md), pretty-printed, with a trailing newline.
pub fn json(out: &mut (impl Write + ?Sized), r: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)?;
    Ok(())
}

/// `n / d` as a percentage with two decimals; `-` when `d` is 0.
pub fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "-".into()
    } else {
        #[allow(clippy::cast_precision_loss, reason = "display only")]
        let p = n as f64 * 100.0 / d as f64;
        format!("{p:.2}%")
    }
}

fn kib(pages: u64) -> String {
    format!("{} KiB", pages * 4)
}

/// Nanoseconds in the largest unit that keeps the number at least 1.
pub fn ns(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.3} s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.3} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.3} µs", v / 1e3)
    } else {
        format!("{v:.2} ns")
    }
}

/// The text report.
pub fn text(out: &mut (impl Write + ?Sized), r: &Report, cfg: &SimConfig, title: Option<&str>) -> Result<()> {
    let s = &r.stats;
    if let Some(t) = title {
        writeln!(out, "{t}")?;
    }
    writeln!(
        out,
        "machine: {}, {} RAM ({} frames of 4 KiB), seed {}",
        r.arch,
        vmsim::config::ByteSize(s.memory.frames_total * 4096),
        s.memory.frames_total,
        r.seed
    )?;
    if !r.processes.is_empty() {
        writeln!(out, "\nProcesses")?;
        writeln!(
            out,
            "  {:>4}  {:<12} {:<24} {:>9} {:>9} {:>12} {:>12} {:>10} {:>11}",
            "pid", "name", "state", "min_flt", "maj_flt", "rss", "peak rss", "swap", "page tables"
        )?;
        for p in &r.processes {
            writeln!(
                out,
                "  {:>4}  {:<12} {:<24} {:>9} {:>9} {:>12} {:>12} {:>10} {:>11}",
                p.pid,
                p.name,
                p.state,
                p.min_flt,
                p.maj_flt,
                kib(p.rss_pages),
                kib(p.hwm_pages),
                kib(p.swap_pages),
                kib(p.pgtable_frames)
            )?;
        }
        for p in &r.processes {
            if let Some(g) = &p.memcg {
                writeln!(
                    out,
                    "  {:>4}  {:<12} memory.max {}: {} in use, limit hit {} times, {} pages reclaimed in the group, {} group OOM kills",
                    p.pid,
                    p.name,
                    g.max_pages.map_or("max".to_string(), kib),
                    kib(g.usage_pages),
                    g.max_events,
                    g.reclaimed,
                    g.oom_kills
                )?;
                writeln!(
                    out,
                    "  {:>4}  {:<12} memory.stat: pgscan {} pgsteal {} pgactivate {} pgdeactivate {}",
                    p.pid, p.name, g.pgscan, g.pgsteal, g.pgactivate, g.pgdeactivate
                )?;
                if g.high_pages.is_some() || g.events.high > 0 || g.events.oom > 0 {
                    let e = &g.events;
                    writeln!(
                        out,
                        "  {:>4}  {:<12} memory.high {}; memory.events: high {} max {} oom {} oom_kill {}",
                        p.pid,
                        p.name,
                        g.high_pages.map_or("max".to_string(), kib),
                        e.high,
                        e.max,
                        e.oom,
                        e.oom_kill
                    )?;
                }
            }
        }
        let described: Vec<_> = r.processes.iter().filter_map(|p| p.description.as_ref().map(|d| (p, d))).collect();
        if !described.is_empty() {
            writeln!(out)?;
            for (p, d) in described {
                writeln!(out, "  {:>4}  {:<12} {d}", p.pid, p.name)?;
            }
        }
    }
    if !r.events.is_empty() {
        writeln!(out, "\nEvents")?;
        for e in &r.events {
            writeln!(out, "  {e}")?;
        }
    }
    let a = &s.accesses;
    writeln!(out, "\nAccesses")?;
    writeln!(
        out,
        "  total {:>14}   reads {:>12}   writes {:>12}   fetches {:>12}",
        a.total, a.reads, a.writes, a.fetches
    )?;
    writeln!(out, "\nTLB{:>26} {:>12} {:>10}", "hits", "misses", "hit rate")?;
    for (name, l) in [("L1 DTLB", s.tlb.l1d), ("L1 ITLB", s.tlb.l1i), ("STLB", s.tlb.stlb)] {
        writeln!(out, "  {name:<14} {:>12} {:>12} {:>10}", l.hits, l.misses, pct(l.hits, l.hits + l.misses))?;
    }
    writeln!(
        out,
        "  {:<14} {:>12} {:>12} {:>10}",
        "all levels",
        s.tlb.hits,
        s.tlb.misses,
        pct(s.tlb.hits, s.tlb.hits + s.tlb.misses)
    )?;
    if !r.cpus.is_empty() {
        cpus_text(out, r)?;
    }
    writeln!(out, "\nPage walks")?;
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let per = if s.walks.count == 0 { 0.0 } else { s.walks.memory_refs as f64 / s.walks.count as f64 };
    writeln!(
        out,
        "  walks {:>12}   memory refs {:>12} ({per:.2} per walk)   paging-structure cache hits {}",
        s.walks.count, s.walks.memory_refs, s.walks.psc_hits
    )?;
    if let Some(c) = &s.caches {
        caches_text(out, c)?;
    }
    let f = &s.faults;
    writeln!(out, "\nFaults")?;
    writeln!(
        out,
        "  minor {:>12}   major {:>10}   copy-on-write {:>8}   SIGSEGV {:>4}   pgfault {:>10}",
        f.minor, f.major, f.cow, f.segv, f.pgfault
    )?;
    if f.wp_reuse > 0 {
        writeln!(out, "  write-protect faults that reused the page in place (no copy): {}", f.wp_reuse)?;
    }
    writeln!(out, "\nSwap ({} of {} slots used at the end)", s.swap.slots_used, s.swap.slots_total)?;
    writeln!(
        out,
        "  pages out {:>10}   pages in {:>10}   readahead {:>8} ({} used)   swap-cache hits {:>8}",
        s.swap.pages_out, s.swap.pages_in, s.swap.readahead, s.swap.readahead_hits, s.swap.cache_hits
    )?;
    if let Some(z) = &s.zswap {
        let c = &z.counters;
        writeln!(
            out,
            "  zswap ({}): {} pages stored ({} same-filled) in {} of RAM, ratio {:.2}; stored {} loaded {} written back {}; \
             rejected: poor compression {}, pool full {}, no frame {}; pool limit hit {}",
            z.compressor,
            c.stored_pages,
            c.same_filled_pages,
            kib(c.pool_total_size / 4096),
            z.compression_ratio,
            c.zswpout,
            c.zswpin,
            c.zswpwb,
            c.reject_compress_poor,
            c.reject_pool_full,
            c.reject_alloc_fail,
            c.pool_limit_hit
        )?;
    }
    let rc = &s.reclaim;
    writeln!(out, "\nReclaim (policy {}{})", r.policy, if r.exact { ", exact mode" } else { "" })?;
    writeln!(
        out,
        "  scanned by kswapd {:>8}   scanned directly {:>8}   reclaimed {:>8}   clean drops {:>6}",
        rc.scanned_kswapd, rc.scanned_direct, rc.stolen, rc.clean_dropped
    )?;
    writeln!(
        out,
        "  activations {:>8}   deactivations {:>8}   direct-reclaim stalls {:>6}   out of memory {:>4}",
        rc.activations, rc.deactivations, rc.allocstall, rc.oom
    )?;
    if s.verify.enabled {
        writeln!(
            out,
            "  verify: {} pages checked (swap-ins and clean file pages dropped), {} corrupted",
            s.verify.checked, s.verify.failures
        )?;
    }
    let pc = &s.page_cache;
    if pc.files > 0 {
        writeln!(
            out,
            "\nPage cache ({} files, {} pages cached at the end, {} dirty)",
            pc.files, pc.cached_pages, pc.dirty_pages
        )?;
        writeln!(
            out,
            "  read in {:>10}   written back {:>8} ({} by reclaim)   reclaimed: file {:>8}, anon {:>8}",
            pc.read_in, pc.written_back, pc.vmscan_write, pc.stolen_file, pc.stolen_anon
        )?;
        writeln!(
            out,
            "  refaults {:>9} (workingset_refault_file)   activated at once {:>8}   restored {:>8}",
            pc.refaults, pc.refault_activations, pc.refault_restores
        )?;
    }
    let m = &s.memory;
    writeln!(out, "\nMemory (at the end)")?;
    writeln!(
        out,
        "  frames used {:>10} of {} ({})   page tables {:>6} frames ({})",
        m.frames_used,
        m.frames_total,
        pct(m.frames_used, m.frames_total),
        m.page_table_frames,
        kib(m.page_table_frames)
    )?;
    let c = &s.cost;
    writeln!(
        out,
        "\nEffective access time (cost model: TLB {} ns, memory {} ns, minor fault {} ns, major fault {} ns)",
        cfg.cost.tlb_hit_ns, cfg.cost.memory_ns, cfg.cost.minor_fault_ns, cfg.cost.major_fault_ns
    )?;
    writeln!(out, "  EAT {:>12} per access   total {}", ns(c.effective_access_time_ns), ns(c.total_ns))?;
    writeln!(
        out,
        "  of which: TLB {}   page walks {}   data {}   faults {}",
        ns(c.tlb_ns),
        ns(c.walk_ns),
        ns(c.data_ns),
        ns(c.fault_ns)
    )?;
    if let Some(rows) = &c.pyramid {
        pyramid_text(out, rows)?;
    }
    Ok(())
}

/// The `CPUs` section (a machine with more than one CPU): per CPU its switches, the ASID flushes they cost, the
/// TLB-shootdown IPIs it received and its TLB hits and misses; then the IPIs sent and TLB entries the kernel's
/// flushes dropped, over all CPUs (the JSON's `cpus[]` and `tlb.shootdown_ipis`, `tlb.flushed_entries`).
fn cpus_text(out: &mut (impl Write + ?Sized), r: &Report) -> Result<()> {
    writeln!(
        out,
        "\nCPUs{:>21} {:>12} {:>13} {:>11} {:>12} {:>12}",
        "ctx switches", "mm switches", "ASID flushes", "shootdowns", "TLB hits", "TLB misses"
    )?;
    for c in &r.cpus {
        writeln!(
            out,
            "  CPU {:<6} {:>12} {:>12} {:>13} {:>11} {:>12} {:>12}",
            c.cpu, c.context_switches, c.mm_switches, c.asid_flushes, c.shootdowns_received, c.tlb_hits, c.tlb_misses
        )?;
    }
    writeln!(
        out,
        "  TLB-shootdown IPIs sent {}   TLB entries dropped by the kernel's flushes {}",
        r.stats.tlb.shootdown_ipis, r.stats.tlb.flushed_entries
    )?;
    Ok(())
}

/// The `CPU caches` section: per cache, where accesses and walk references were served, prefetchers.
fn caches_text(out: &mut (impl Write + ?Sized), c: &vmsim::cache::CacheReport) -> Result<()> {
    writeln!(out, "\nCPU caches (page-walk reads enter at {})", c.walker_entry.to_uppercase())?;
    writeln!(
        out,
        "  {:<24} {:>14} {:>12} {:>9} {:>12} {:>9}",
        "", "hits", "misses", "hit rate", "dirty evict", "latency"
    )?;
    for (name, l) in [("L1D", &c.l1d), ("L1I", &c.l1i), ("L2", &c.l2), ("LLC", &c.llc)] {
        writeln!(
            out,
            "  {name:<24} {:>14} {:>12} {:>9} {:>12} {:>9}",
            l.hits,
            l.misses,
            pct(l.hits, l.hits + l.misses),
            l.dirty_evictions,
            ns(l.latency_ns)
        )?;
        if let Some(p) = &l.prefetch {
            writeln!(
                out,
                "    prefetcher {}: issued {}, useful {}, unused when evicted {}; accuracy {:.2}%, coverage {:.2}%",
                p.kind,
                p.issued,
                p.useful,
                p.unused_evicted,
                p.accuracy * 100.0,
                p.coverage * 100.0
            )?;
        }
    }
    writeln!(out, "  {:<24} {:>14} {:>12} {:>12} {:>12}", "served by", "L1", "L2", "LLC", "memory")?;
    let mut row = |name: &str, v: &vmsim::cache::hierarchy::Served| {
        writeln!(out, "  {name:<24} {:>14} {:>12} {:>12} {:>12}", v.l1, v.l2, v.llc, v.memory)
    };
    row("data (loads, stores)", &c.data)?;
    row("instruction fetches", &c.fetch)?;
    row("page-walk PTE reads", &c.walk)?;
    for w in c.walk_levels.rows() {
        row(&format!("  level {} entries", w.level), &w.served)?;
    }
    if c.coherence_invalidations > 0 {
        writeln!(out, "  copies invalidated in other CPUs' caches by stores: {}", c.coherence_invalidations)?;
    }
    Ok(())
}

/// The pyramid: per level, accesses served, latency, time and share of the total.
fn pyramid_text(out: &mut (impl Write + ?Sized), rows: &[vmsim::stats::PyramidRow]) -> Result<()> {
    writeln!(out, "\nThe memory pyramid (where the time went)")?;
    writeln!(
        out,
        "  {:<28} {:>14} {:>13} {:>12} {:>14} {:>8}",
        "level", "served", "of which walk", "latency", "time", "share"
    )?;
    for r in rows {
        let name = match r.level {
            "tlb" => "TLB (STLB lookups)",
            "l1" => "L1 cache",
            "l2" => "L2 cache",
            "llc" => "last-level cache",
            "dram" => "DRAM",
            "zswap" => "zswap (major faults)",
            "swap" => "swap device (major faults)",
            "minor_fault" => "minor faults (kernel)",
            other => other,
        };
        writeln!(
            out,
            "  {name:<28} {:>14} {:>13} {:>12} {:>14} {:>7.2}%",
            r.served,
            r.walk,
            ns(r.latency_ns),
            ns(r.time_ns),
            r.share * 100.0
        )?;
    }
    Ok(())
}
