//! `vmsim run [SCENARIO]`.

use crate::args::MachineOpts;
use crate::output;
use anyhow::Result;
use std::path::Path;
use vmsim::config::Scenario;
use vmsim::with_machine;

/// The embedded demo scenario.
pub const DEMO: &str = include_str!("../../../../examples/demo.toml");

/// Every embedded scenario, by the name `--demo` takes: the demo and the teaching examples.
pub const DEMOS: &[(&str, &str)] = &[
    ("paging", DEMO),
    ("fork", include_str!("../../../../examples/fork.toml")),
    ("tour", include_str!("../../../../examples/tour.toml")),
    ("shared", include_str!("../../../../examples/shared.toml")),
    ("multicpu", include_str!("../../../../examples/multicpu.toml")),
    ("pagecache", include_str!("../../../../examples/pagecache.toml")),
    ("threads", include_str!("../../../../examples/threads.toml")),
    ("seed", include_str!("../../../../examples/seed.toml")),
    ("whatif", include_str!("../../../../examples/whatif.toml")),
];

/// `vmsim run`: the scenario at `path`, the embedded demo `demo`, or the default demo; the report goes to `out`.
pub fn run(
    path: Option<&Path>,
    demo: Option<&str>,
    opts: &MachineOpts,
    sweep: &[String],
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let (shown, text) = match (path, demo) {
        (Some(p), None) => (p.to_path_buf(), super::read_text(p)?),
        (None, None) => (Path::new("<embedded demo>").to_path_buf(), DEMO.to_string()),
        (None, Some(name)) => match DEMOS.iter().find(|(n, _)| *n == name) {
            Some((n, t)) => (Path::new(&format!("<embedded demo {n}>")).to_path_buf(), (*t).to_string()),
            None => {
                let names: Vec<&str> = DEMOS.iter().map(|(n, _)| *n).collect();
                anyhow::bail!("--demo {name}: no such demo (expected one of {})", names.join(", "))
            }
        },
        (Some(_), Some(_)) => anyhow::bail!("give a scenario file or --demo NAME, not both"),
    };
    run_text(&shown, &text, opts, sweep, out)
}

/// Runs the scenario `text` (shown in reports and errors as `shown`), or sweeps it with `--sweep` values.
pub fn run_text(
    shown: &Path,
    text: &str,
    opts: &MachineOpts,
    sweep: &[String],
    out: &mut dyn std::io::Write,
) -> Result<()> {
    if !sweep.is_empty() {
        return super::sweep::sweep(shown, text, opts, sweep, out);
    }
    let shown = shown.to_path_buf();
    let (scenario, cfg) = Scenario::parse(&shown, text, &opts.sets)?;
    let mut machine = super::boot(&cfg, Some((&shown, text)), &opts.sets)?;
    let (report, views) = with_machine!(&mut machine, m => {
        m.set_access_limit(opts.max_accesses);
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        m.set_access_counter(counter.clone());
        let planned = planned_accesses(&scenario).min(opts.max_accesses.unwrap_or(u64::MAX));
        let ran = with_progress(opts.quiet, planned, &counter, || m.run_scenario(&shown, text, &scenario));
        ran?;
        (m.report(), output::proc_views(&opts.proc, |v| m.proc_files(v)))
    });
    let json = opts.json;
    if json {
        let inputs = output::Inputs {
            command: "run",
            scenario: Some(shown.display().to_string()),
            sets: opts.sets.clone(),
            ..output::Inputs::default()
        };
        output::json_report(out, &report, &views, &inputs, &cfg)?;
    } else {
        output::text(out, &report, &cfg, scenario.description.as_deref())?;
    }
    if !json {
        std::io::Write::write_all(out, output::views_text(&views).as_bytes())?;
    }
    Ok(())
}

/// The accesses the scenario's read, write and exec steps ask for (each process's steps once; a forked copy
/// counts once): the length of the progress bar.
fn planned_accesses(sc: &Scenario) -> u64 {
    use vmsim::config::Step;
    let mut total = 0u64;
    for p in &sc.process {
        for step in &p.steps {
            let (len, stride, repeat) = match step.get_ref() {
                Step::Read { len, stride, repeat, .. }
                | Step::Write { len, stride, repeat, .. }
                | Step::Exec { len, stride, repeat, .. } => (len.0, stride.0, *repeat),
                _ => continue,
            };
            let per = len.checked_div(stride).map_or(0, |_| len.div_ceil(stride));
            total = total.saturating_add(per.saturating_mul(u64::from(repeat)));
        }
    }
    total
}

/// Runs `work` with a progress bar over `planned` accesses on stderr (percentage, rate, ETA), fed from `counter`
/// by a second thread; hidden with `--quiet`, when stderr is not a terminal, or for a short run.
fn with_progress<T>(quiet: bool, planned: u64, counter: &std::sync::atomic::AtomicU64, work: impl FnOnce() -> T) -> T {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Below this many accesses a run takes well under a second: no bar.
    const SHOW_FROM: u64 = 1 << 24;
    if quiet || planned < SHOW_FROM || !std::io::stderr().is_terminal() {
        return work();
    }
    let pb = ProgressBar::with_draw_target(Some(planned), ProgressDrawTarget::stderr_with_hz(4));
    let style = "{bar:30} {percent:>3}% {human_pos}/{human_len} accesses ({rate}, ETA {eta})";
    pb.set_style(ProgressStyle::with_template(style).unwrap_or_else(|_| ProgressStyle::default_bar()).with_key(
        "rate",
        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.1} M/s", s.per_sec() / 1e6);
        },
    ));
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                pb.set_position(counter.load(Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        });
        let r = work();
        done.store(true, Ordering::Relaxed);
        pb.finish_and_clear();
        r
    })
}
