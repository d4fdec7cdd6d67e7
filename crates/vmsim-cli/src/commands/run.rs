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

pub fn run(path: Option<&Path>, opts: &MachineOpts) -> Result<()> {
    let (shown, text) = match path {
        Some(p) => (p.to_path_buf(), super::read_text(p)?),
        None => (Path::new("<embedded demo>").to_path_buf(), DEMO.to_string()),
    };
    let (scenario, cfg) = Scenario::parse(&shown, &text, &opts.sets)?;
    let mut machine = AnyMachine::new(&cfg)?;
    let (report, views) = with_machine!(&mut machine, m => {
        m.run_scenario(&shown, &text, &scenario)?;
        (m.report(), output::proc_views(&opts.proc, &m.meminfo(), &m.vmstat()))
    });
    let mut out = std::io::stdout().lock();
    if opts.json {
        output::json(&mut out, &report)?;
    } else {
        output::text(&mut out, &report, &cfg, scenario.description.as_deref())?;
    }
    std::io::Write::write_all(&mut out, views.as_bytes())?;
    Ok(())
}
