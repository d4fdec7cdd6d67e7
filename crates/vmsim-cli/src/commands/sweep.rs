//! `vmsim run SCENARIO --sweep KEY=V1,V2,... [--sweep KEY=...]`: the capacity planner's what-if table. The same
//! workload runs once per combination of the swept values (the cartesian product, in the order given), in
//! parallel on the host's cores, and one line per run shows what happened: faults, major faults, swap I/O, what
//! zswap and KSM did, OOM kills, the effective access time, and a PSI-style memory stall estimate.
//!
//! PSI (`/proc/pressure/memory`, kernel/sched/psi.c) counts the share of time some (or all) runnable tasks were
//! stalled on memory: reclaim, refaults and swap-in waits. The estimate here is the share of simulated time spent
//! in major faults (device reads at `cost.major_fault_ns`, zswap loads at `cost.zswap_load_ns`). The model runs one
//! task at a time and a major fault stops it, so every stall stalls all tasks: `full` equals `some`. Reclaim work
//! itself is not charged to the clock (kernel/kthread.rs), so both are lower bounds.

use crate::args::MachineOpts;
use anyhow::{bail, Result};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::Report;
use vmsim::with_machine;

/// One run of the sweep.
#[derive(Debug, Serialize)]
pub struct SweepRow {
    /// The swept settings of this run, as `--set` strings.
    pub sets: Vec<String>,
    /// Minor + major faults.
    pub faults: u64,
    /// Major faults (of which from zswap: `major_zswap`).
    pub major_faults: u64,
    /// Major faults served by zswap.
    pub major_zswap: u64,
    /// Pages written to the swap device (`pswpout`).
    pub swap_out: u64,
    /// Pages read from the swap device (`pswpin`).
    pub swap_in: u64,
    /// Pages KSM saves (`pages_sharing + ksm_zero_pages`).
    pub ksm_saved_pages: u64,
    /// zswap's compression ratio at the end (stored bytes / pool bytes; 0 when unused).
    pub zswap_ratio: f64,
    /// Pages zswap stored over the run (`zswpout`).
    pub zswap_stores: u64,
    /// Processes the OOM killer killed.
    pub oom_kills: u64,
    /// Effective access time in ns.
    pub eat_ns: f64,
    /// Simulated time in ns.
    pub total_ns: f64,
    /// PSI-style estimate: share of time some task was stalled on memory (0..1).
    pub psi_some: f64,
    /// Share of time all tasks were stalled (equal to `psi_some` in this model).
    pub psi_full: f64,
}

/// Expands `KEY=V1,V2` options into every combination of `--set` strings.
pub fn combinations(sweeps: &[String]) -> Result<Vec<Vec<String>>> {
    let mut axes = Vec::new();
    for s in sweeps {
        let Some((key, values)) = s.split_once('=') else {
            bail!("--sweep {s}: expected KEY=V1,V2,... (e.g. --sweep machine.memory=64MiB,48MiB,32MiB)");
        };
        let values: Vec<String> =
            values.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect();
        if key.trim().is_empty() || values.is_empty() {
            bail!("--sweep {s}: expected KEY=V1,V2,... with at least one value");
        }
        axes.push((key.trim().to_string(), values));
    }
    let n = axes.iter().map(|(_, v)| v.len()).product::<usize>();
    if n > 4096 {
        bail!("--sweep: {n} combinations (at most 4096)");
    }
    Ok(product(&axes))
}

/// Every combination of one value per axis (an axis: a key and its values), as `KEY=VALUE` strings in the axes'
/// order; the last axis varies fastest. No axis: one empty combination.
pub fn product(axes: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for (key, values) in axes {
        out = out
            .into_iter()
            .flat_map(|base| {
                values.iter().map(move |v| {
                    let mut b = base.clone();
                    b.push(format!("{key}={v}"));
                    b
                })
            })
            .collect();
    }
    out
}

/// Runs `work` on every item on up to `threads` threads (at least one) and hands each result to `sink` in the
/// items' order, as soon as it and every result before it are done, so the output order never depends on which
/// thread finished first. Once `sink` fails no new item is started; the error is returned.
pub fn in_order<T, R>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(usize, R) -> Result<()>,
) -> Result<()>
where
    T: Sync,
    R: Send,
{
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let threads = threads.clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut done = std::collections::BTreeMap::new();
        let mut want = 0;
        for (i, r) in rx {
            done.insert(i, r);
            while let Some(r) = done.remove(&want) {
                if let Err(e) = sink(want, r) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                want += 1;
            }
        }
        Ok(())
    })
}

fn row(sets: Vec<String>, r: &Report, cfg: &vmsim::config::SimConfig) -> SweepRow {
    let s = &r.stats;
    let (device_ns, zswap_ns) = vmsim::cost::major_fault_ns(&cfg.cost, s);
    let stall = device_ns + zswap_ns;
    let psi = if s.cost.total_ns > 0.0 { stall / s.cost.total_ns } else { 0.0 };
    SweepRow {
        sets,
        faults: s.faults.total,
        major_faults: s.faults.major,
        major_zswap: s.faults.major_zswap,
        swap_out: s.swap.pages_out,
        swap_in: s.swap.pages_in,
        ksm_saved_pages: s.ksm.map_or(0, |k| k.pages_sharing + k.ksm_zero_pages),
        zswap_ratio: s.zswap.map_or(0.0, |z| z.compression_ratio),
        zswap_stores: s.zswap.map_or(0, |z| z.counters.zswpout),
        oom_kills: r.oom_kills.len() as u64,
        eat_ns: s.cost.effective_access_time_ns,
        total_ns: s.cost.total_ns,
        psi_some: psi,
        psi_full: psi,
    }
}

/// Runs the scenario once per combination and prints the table (or JSON lines with `--json`).
pub fn sweep(shown: &Path, text: &str, opts: &MachineOpts, sweeps: &[String], out: &mut dyn Write) -> Result<()> {
    let combos = combinations(sweeps)?;
    // Parse every configuration first: a bad value is reported before anything runs.
    let mut jobs = Vec::new();
    for c in &combos {
        let mut sets = opts.sets.clone();
        sets.extend(c.iter().cloned());
        // A bad swept value is blamed on the --sweep that gave it.
        let options: Vec<(String, String)> = c.iter().map(|set| (set.clone(), format!("--sweep {set}"))).collect();
        let (scenario, cfg) = Scenario::parse(shown, text, &sets).map_err(|e| super::relabel(e, &options))?;
        jobs.push((c.clone(), sets, scenario, cfg));
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut rows = Vec::new();
    let work = |(combo, sets, scenario, cfg): &(Vec<String>, Vec<String>, Scenario, vmsim::config::SimConfig)| {
        let mut m = super::boot(cfg, Some((shown, text)), sets)?;
        let report = with_machine!(&mut m, m => {
            m.set_access_limit(opts.max_accesses);
            m.run_scenario(shown, text, scenario)?;
            m.report()
        });
        Ok(row(combo.clone(), &report, cfg))
    };
    in_order(&jobs, threads, work, |_, r: Result<SweepRow>| {
        rows.push(r?);
        Ok(())
    })?;
    if opts.json {
        let doc = serde_json::json!({
            "vmsim_version": env!("CARGO_PKG_VERSION"),
            "scenario": shown.display().to_string(),
            "sets": opts.sets,
            "sweep": sweeps,
            "runs": rows,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "What-if sweep of {} ({} runs)", shown.display(), rows.len())?;
    let names: Vec<String> =
        rows.iter().map(|r| if r.sets.is_empty() { "(as written)".to_string() } else { r.sets.join(" ") }).collect();
    let w = names.iter().map(|n| n.chars().count()).max().unwrap_or(8).max(8);
    writeln!(
        out,
        "{:<w$} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>4} {:>11} {:>6}",
        "settings", "faults", "major", "(zswap)", "swap out", "swap in", "KSM saved", "zswap x", "OOM", "EAT", "PSI"
    )?;
    for (r, name) in rows.iter().zip(&names) {
        writeln!(
            out,
            "{:<w$} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7.2} {:>4} {:>11} {:>5.1}%",
            name,
            r.faults,
            r.major_faults,
            r.major_zswap,
            r.swap_out,
            r.swap_in,
            r.ksm_saved_pages,
            r.zswap_ratio,
            r.oom_kills,
            human_ns(r.eat_ns),
            r.psi_some * 100.0
        )?;
    }
    writeln!(
        out,
        "\nmajor: major faults (zswap: of them served by zswap); KSM saved: pages_sharing + ksm_zero_pages at the end; \
         zswap x: compression ratio of the pool at the end; EAT: effective access time; PSI: share of simulated time \
         stalled in major faults (some = full in this model; docs/stats.md)"
    )?;
    Ok(())
}

fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_the_product_in_order() {
        let c = combinations(&["a=1,2".into(), "b=x,y".into()]).unwrap();
        assert_eq!(c, vec![vec!["a=1", "b=x"], vec!["a=1", "b=y"], vec!["a=2", "b=x"], vec!["a=2", "b=y"]]);
        assert!(combinations(&["a".into()]).is_err());
        assert!(combinations(&["a=".into()]).is_err());
    }

    #[test]
    fn in_order_hands_results_over_in_item_order() {
        // Early items take longest, so they finish last on 4 threads; the sink still sees 0, 1, 2, ...
        let items: Vec<u64> = (0..40).collect();
        let mut seen = Vec::new();
        let slow = |&i: &u64| {
            std::thread::sleep(std::time::Duration::from_millis(40u64.saturating_sub(i)));
            i * 10
        };
        in_order(&items, 4, slow, |i, r| {
            seen.push((i, r));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, items.iter().zip(0usize..).map(|(&i, k)| (k, i * 10)).collect::<Vec<_>>());
        // A failing sink stops the run and its error is returned; nothing after it is handed over.
        let mut got = Vec::new();
        let r = in_order(
            &items,
            2,
            |&i| i,
            |i, _| {
                got.push(i);
                if i == 5 {
                    bail!("stop at 5")
                }
                Ok(())
            },
        );
        assert_eq!(r.unwrap_err().to_string(), "stop at 5");
        assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
    }
}
