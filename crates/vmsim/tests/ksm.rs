//! Issue 10: Kernel Samepage Merging (mm/ksm.c; SPEC §9). Counters are checked against the spec's worked example
//! and against counts computed independently in the tests.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::kernel::ksm::KsmStats;
use vmsim::sim::{AnyMachine, Report};
use vmsim::with_machine;

fn run(text: &str) -> (Report, KsmStats, u64) {
    let path = Path::new("test.toml");
    let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap_or_else(|e| panic!("{e}"));
        let used = m.kernel.frames_used() as u64;
        (m.report(), m.kernel.ksm.stats(), used)
    })
}

/// The counters ksm_scan steps logged, in order: (shared, sharing, unshared, volatile, full_scans).
fn scans(r: &Report) -> Vec<[u64; 5]> {
    r.events
        .iter()
        .filter_map(|e| e.split_once("ksm: ").map(|(_, s)| s))
        .map(|s| {
            let v: Vec<u64> = s.split_whitespace().filter_map(|w| w.parse().ok()).collect();
            [v[0], v[1], v[2], v[3], v[4]]
        })
        .collect()
}

/// SPEC §9 worked example: P1 and P2, one identical page each; the merge completes in the second full scan; P2's
/// write breaks it by COW with the counters unchanged until the next scan notices.
#[test]
fn spec_9_worked_example() {
    let text = r#"
[[process]]
name = "p1"
steps = [
  { op = "mmap", name = "a", len = 4096 },
  { op = "fill", addr = "a", len = 4096, content = "text", seed = 5 },
  { op = "madvise", addr = "a", len = 4096, advice = "mergeable" },
  { op = "ksm_scan" },
  { op = "ksm_scan" },
  { op = "ksm_scan" },
  { op = "ksm_scan" },
  { op = "expect", addr = "a", hex = "" },
]
[[process]]
name = "p2"
steps = [
  { op = "mmap", name = "a", len = 4096 },
  { op = "fill", addr = "a", len = 4096, content = "text", seed = 5 },
  { op = "madvise", addr = "a", len = 4096, advice = "mergeable" },
  { op = "read", addr = "a" },
  { op = "write", addr = "a" },
  { op = "read", addr = "a" },
  { op = "read", addr = "a" },
]
"#;
    let (r, _, _) = run(text);
    assert_eq!(scans(&r), [[0, 0, 0, 2, 1], [1, 1, 0, 0, 2], [1, 0, 0, 1, 3], [1, 0, 1, 0, 4]], "{:#?}", r.events);
    assert_eq!(r.stats.faults.cow, 1, "P2's write copied the KSM page");
}

/// Two copies of the same data (and one different page each) merge under ksmd running on its timer: every
/// identical page is shared once; each process still reads its own bytes; freeing shows in RAM used.
#[test]
fn ksmd_merges_two_copies_on_its_timer() {
    let scenario = |run: bool| {
        format!(
            r#"
[ksm]
run = {run}
sleep_millisecs = 1
pages_to_scan = 64
[[process]]
name = "a"
steps = [
  {{ op = "mmap", name = "d", len = "256KiB" }},
  {{ op = "fill", addr = "d", len = "252KiB", content = "text", seed = 9 }},
  {{ op = "fill", addr = "d+0x3f000", len = 4096, content = "random", seed = 1 }},
  {{ op = "madvise", addr = "d", len = "256KiB", advice = "mergeable" }},
  {{ op = "read", addr = "d", len = "256KiB", stride = 64, repeat = 40 }},
  {{ op = "expect", addr = "d+0x3f000", hex = "{first}" }},
]
[[process]]
name = "b"
steps = [
  {{ op = "mmap", name = "d", len = "256KiB" }},
  {{ op = "fill", addr = "d", len = "252KiB", content = "text", seed = 9 }},
  {{ op = "fill", addr = "d+0x3f000", len = 4096, content = "random", seed = 2 }},
  {{ op = "madvise", addr = "d", len = "256KiB", advice = "mergeable" }},
  {{ op = "read", addr = "d", len = "256KiB", stride = 64, repeat = 40 }},
  {{ op = "expect", addr = "d+0x3f000", hex = "{second}" }},
]
"#,
            first = hex(&vmsim::content::Content::Random.page(1, 0)[..8]),
            second = hex(&vmsim::content::Content::Random.page(2, 0)[..8]),
        )
    };
    let (off, _, used_off) = run(&scenario(false));
    let (on, ksm, used_on) = run(&scenario(true));
    // 63 identical text pages: one KSM page each, mapped twice.
    assert_eq!((ksm.pages_shared, ksm.pages_sharing), (63, 63), "{ksm:?}");
    assert_eq!(ksm.pages_volatile + ksm.pages_unshared, 2, "the two random pages");
    assert!(ksm.full_scans >= 2);
    assert_eq!(used_off - used_on, 63, "63 frames freed by merging");
    assert_eq!(ksm.general_profit, 63 * 4096 - i64::try_from(ksm.rmap_items * 64).unwrap());
    assert_eq!(on.expect_failures(), 0, "{:#?}", on.events);
    assert_eq!(off.expect_failures(), 0);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

trait Failures {
    fn expect_failures(&self) -> usize;
}
impl Failures for Report {
    fn expect_failures(&self) -> usize {
        self.events.iter().filter(|e| e.contains("EXPECT FAILED")).count()
    }
}

/// max_page_sharing = 2: five identical pages make stable-node chains (each node maps at most two); use_zero_pages
/// maps zero pages to the shared zero page; unmergeable breaks every merge (contents unchanged).
#[test]
fn max_page_sharing_zero_pages_and_unmerge() {
    let text = r#"
[ksm]
max_page_sharing = 2
use_zero_pages = true
[[process]]
name = "p"
steps = [
  { op = "mmap", name = "d", len = "40KiB" },
  { op = "fill", addr = "d", len = "20KiB", content = "same:0x42" },
  { op = "fill", addr = "d+0x5000", len = "12KiB", content = "zero" },
  { op = "madvise", addr = "d", len = "40KiB", advice = "mergeable" },
  { op = "ksm_scan", batches = 3 },
  { op = "madvise", addr = "d", len = "40KiB", advice = "unmergeable" },
  { op = "ksm_scan", batches = 2 },
  { op = "expect", addr = "d+0x4000", hex = "4242424242" },
  { op = "expect", addr = "d+0x6000", hex = "0000000000" },
]
"#;
    let (r, ksm, _) = run(text);
    let s = scans(&r);
    // After three passes: pages 0..5 (0x42): nodes of two mappings: 2 nodes full + 1 unstable page;
    // pages 5..8 zero: replaced by the zero page.
    assert_eq!(s[0][0..3], [2, 2, 1], "{:#?}", r.events);
    assert_eq!(ksm.stable_node_chains, 0, "after unmerge no node is left in use");
    assert_eq!((ksm.pages_shared, ksm.pages_sharing), (0, 0), "{ksm:?}");
    assert_eq!(r.expect_failures(), 0, "{:#?}", r.events);
    assert!(r.events.iter().any(|e| e.contains("ksm:")));
}
