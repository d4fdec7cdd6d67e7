//! `vmsim run [SCENARIO]`.

use crate::args::MachineOpts;
use crate::output;
use anyhow::Result;
use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

/// The embedded demo scenario.
pub const DEMO: &str = include_str!("../../../../examples/demo.toml");

/// Every embedded scenario, by the name `--demo` takes: the demo and the teaching examples.
pub const DEMOS: &[(&str, &str)] = &[
    ("paging", DEMO),
    ("fork", include_str!("../../../../examples/fork.toml")),
    ("shared", include_str!("../../../../examples/shared.toml")),
    ("multicpu", include_str!("../../../../examples/multicpu.toml")),
    ("pagecache", include_str!("../../../../examples/pagecache.toml")),
    ("threads", include_str!("../../../../examples/threads.toml")),
    ("seed", include_str!("../../../../examples/seed.toml")),
];

pub fn run(path: Option<&Path>, demo: Option<&str>, opts: &MachineOpts) -> Result<()> {
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
    let (scenario, cfg) = Scenario::parse(&shown, &text, &opts.sets)?;
    let mut machine = AnyMachine::new(&cfg)?;
    let (report, views) = with_machine!(&mut machine, m => {
        m.run_scenario(&shown, &text, &scenario)?;
        (m.report(), output::proc_views(&opts.proc, |v| m.proc_files(v)))
    });
    let mut out = std::io::stdout().lock();
    let json = opts.json;
    if json {
        output::json_with_views(&mut out, &report, &views)?;
    } else {
        output::text(&mut out, &report, &cfg, scenario.description.as_deref())?;
    }
    if !json {
        std::io::Write::write_all(&mut out, output::views_text(&views).as_bytes())?;
    }
    Ok(())
}
