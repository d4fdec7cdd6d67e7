//! Issue 12: machines up to 2^36 frames (256 TiB) boot and run, and host memory follows the pages touched, not
//! the size of simulated RAM. This file holds one test so that the process's peak RSS (`VmHWM` in
//! /proc/self/status) is that test's alone.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

const SCENARIO: &str = r#"
[machine]
memory = "MEM"
[swap]
size = "64MiB"
[reclaim]
verify = true
policy = "POLICY"

[[process]]
name = "p"
steps = [
  { op = "mmap", name = "a", len = "8MiB" },
  { op = "fill", addr = "a", len = "8MiB", content = "text", seed = 1 },
  { op = "fork", child = "c" },
  { op = "store", addr = "a+0x3000", text = "parent" },
  { op = "wait" },
  { op = "expect", addr = "a+0x3000", text = "parent" },
  { op = "munmap", addr = "a", len = "4MiB" },
]

[[process]]
name = "c"
steps = [
  { op = "store", addr = "a+0x3000", text = "child" },
  { op = "expect", addr = "a+0x3000", text = "child" },
  { op = "exit" },
]
"#;

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_256_tib_machine_costs_what_it_touches() {
    // 64 TiB (the issue's test), the 256 TiB maximum, and 64 MiB for comparison, under three policies whose
    // per-frame state used to be sized to all of RAM.
    for mem in ["64MiB", "64TiB", "256TiB"] {
        for policy in ["linux", "clock", "s3fifo"] {
            let text = SCENARIO.replace("MEM", mem).replace("POLICY", policy);
            let path = Path::new("huge.toml");
            let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap();
            let mut m = AnyMachine::new(&cfg).unwrap_or_else(|e| panic!("{mem}: {e}"));
            with_machine!(&mut m, m => {
                m.run_scenario(path, &text, &sc).unwrap_or_else(|e| panic!("{mem} {policy}: {e}"));
                let r = m.report();
                assert_eq!(m.expect_failures, 0, "{mem} {policy}: {:#?}", r.events);
                assert_eq!(r.stats.verify.failures, 0, "{mem} {policy}");
                assert!(r.stats.faults.cow > 0, "{mem} {policy}: fork + write copies a page");
                // 4 MiB left mapped after the munmap: 1024 pages, the zero page and the page tables.
                let used = m.kernel.frames_used();
                assert!((1024..1100).contains(&used), "{mem} {policy}: {used} frames in use");
            });
        }
    }
    // 8 MiB of text pages touched per run: tens of MB of host memory, not gigabytes (a table sized to 2^36 frames
    // would be 64 GiB per byte of per-frame state).
    let rss = peak_rss_kb();
    assert!(rss > 0, "VmHWM readable");
    assert!(rss < 400 * 1024, "peak RSS {rss} kB");
}
