//! Issue 10, integrity: with verify mode on, no page's content is lost or changed through KSM merge and unmerge,
//! zswap compression, decompression and writeback, an OOM kill of another process, fork, or compaction (page
//! migration, issue 11) under heavy pressure and under every replacement policy. Each process checks its own bytes with `expect` steps.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

const SCENARIO: &str = r#"
[machine]
memory = "6MiB"
[swap]
size = "8MiB"
[vm]
overcommit_memory = 1
[zswap]
enabled = true
max_pool_percent = 15
[ksm]
run = true
sleep_millisecs = 1
pages_to_scan = 500
[reclaim]
verify = true

[[process]]
name = "twin-a"
memory_merge = true
steps = [
  { op = "mmap", name = "d", len = "2MiB" },
  { op = "fill", addr = "d", len = "2MiB", content = "text", seed = 4 },
  { op = "read", addr = "d", len = "2MiB", stride = 256, repeat = 3 },
  { op = "compact_memory" },
  { op = "fork", child = "twin-a-child" },
  { op = "compact_memory" },
  { op = "store", addr = "d+0x1000", text = "changed by twin-a" },
  { op = "read", addr = "d", len = "2MiB", repeat = 4 },
  { op = "madvise", addr = "d", len = "1MiB", advice = "unmergeable" },
  { op = "expect", addr = "d+0x1000", text = "changed by twin-a" },
  { op = "wait" },
]

[[process]]
name = "twin-a-child"
steps = [
  { op = "read", addr = "d", len = "2MiB", repeat = 2 },
  { op = "compact_memory" },
  { op = "store", addr = "d+0x2000", text = "child's own" },
  { op = "compact_memory" },
  { op = "expect", addr = "d+0x2000", text = "child's own" },
  { op = "exit" },
]

[[process]]
name = "twin-b"
memory_merge = true
steps = [
  { op = "mmap", name = "d", len = "2MiB" },
  { op = "fill", addr = "d", len = "2MiB", content = "text", seed = 4 },
  { op = "read", addr = "d", len = "2MiB", stride = 256, repeat = 3 },
  { op = "read", addr = "d", len = "2MiB", repeat = 4 },
  { op = "expect", addr = "d+0x1000", hex = "EXPECTED_B" },
]

[[process]]
name = "hog"
oom_score_adj = 1000
steps = [
  { op = "mmap", name = "h", len = "16MiB" },
  { op = "fill", addr = "h", len = "16MiB", content = "random", seed = 8 },
]
"#;

#[test]
fn no_page_is_lost_through_ksm_zswap_oom_and_fork_under_every_policy() {
    let page = vmsim::content::Content::Text.page(4, 1);
    let hex: String = page[..16].iter().map(|b| format!("{b:02x}")).collect();
    let text = SCENARIO.replace("EXPECTED_B", &hex);
    for policy in ["linux", "fifo", "lru", "clock", "random", "sieve", "s3fifo"] {
        let path = Path::new("integrity.toml");
        let (sc, cfg) = Scenario::parse(path, &text, &[format!("reclaim.policy={policy}")]).unwrap();
        let mut m = AnyMachine::new(&cfg).unwrap();
        with_machine!(&mut m, m => {
            m.run_scenario(path, &text, &sc).unwrap_or_else(|e| panic!("{policy}: {e}"));
            let r = m.report();
            let fails: Vec<&String> = r.events.iter().filter(|e| e.contains("FAILED")).collect();
            assert!(fails.is_empty(), "{policy}: {fails:#?}");
            assert_eq!(m.expect_failures, 0, "{policy}");
            assert!(r.stats.verify.checked > 100, "{policy}: {:?}", r.stats.verify);
            assert_eq!(r.stats.verify.failures, 0, "{policy}");
            assert!(r.oom_kills.iter().any(|k| k.name == "hog"), "{policy}: the hog is killed: {:#?}", r.events);
            let z = r.stats.zswap.unwrap();
            assert!(z.counters.zswpout > 0, "{policy}: zswap was used");
            let c = m.kernel.compaction;
            assert!(c.passes == 4 && c.pgmigrate_success > 0, "{policy}: compaction migrated pages: {c:?}");
            let ksm = r.stats.ksm.unwrap();
            assert!(ksm.pages_scanned > 0, "{policy}: ksmd ran");
            let states: Vec<&str> = r.processes.iter().map(|p| p.state.as_str()).collect();
            assert_eq!(states.iter().filter(|s| s.starts_with("killed")).count(), 1, "{policy}: {states:?}");
        });
    }
}
