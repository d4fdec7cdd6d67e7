//! Issue 11, compaction: a zone fragmented by two processes whose pages interleave is compacted by
//! `compact_memory`; pages move (contents, PTEs, TLBs, LRU) and the freed frames merge into large blocks.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::content::Content;
use vmsim::phys::buddy::{fragmentation_index, unusable_index};
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

fn hex16(page: &[u8]) -> String {
    page[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn compaction_moves_pages_and_rebuilds_large_blocks() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/compaction.toml")).unwrap();
    // Check a spread of the keeper's pages after compaction: each must still hold its generated text.
    let mut checks = String::new();
    for i in [0u64, 1, 2, 100, 1000, 2047, 3000, 3071] {
        if i == 5 {
            continue;
        }
        let want = hex16(&Content::Text.page(7, i));
        checks.push_str(&format!("  {{ op = \"expect\", addr = \"a+{:#x}\", hex = \"{want}\" }},\n", i * 4096));
    }
    let text = text.replace(
        "  { op = \"read\", addr = \"a\", len = \"12MiB\", stride = 4096 },\n",
        &format!("{checks}  {{ op = \"read\", addr = \"a\", len = \"12MiB\", stride = 4096 }},\n"),
    );
    assert!(text.contains("a+0xbb8000"), "checks inserted");
    for policy in ["linux", "clock", "lru"] {
        let path = Path::new("compaction.toml");
        let (sc, cfg) = Scenario::parse(path, &text, &[format!("reclaim.policy={policy}")]).unwrap();
        let mut m = AnyMachine::new(&cfg).unwrap();
        with_machine!(&mut m, m => {
            m.run_scenario(path, &text, &sc).unwrap();
            let r = m.report();
            assert_eq!(m.expect_failures, 0, "{policy}: {:#?}", r.events);
            let c = m.kernel.compaction;
            assert!(c.pgmigrate_success > 1000, "{policy}: {c:?}");
            assert_eq!(c.pgmigrate_fail, 0, "{policy}");
            assert!(c.isolated >= c.pgmigrate_success && c.migrate_scanned > 0 && c.free_scanned > 0);
            // The event line carries buddyinfo before and after: order 0 shrinks, order 10 grows.
            let line = r.events.iter().find(|e| e.contains("compact_memory")).unwrap();
            let nums = |part: &str| -> Vec<u64> {
                part.split("Normal").nth(1).unwrap().split_whitespace().take(11).map(|n| n.parse().unwrap()).collect()
            };
            let (before, after) = line.split_once(" after: ").unwrap();
            let (b, a) = (nums(before), nums(after));
            assert!(b[0] > 3000 && a[0] < 500, "{policy}: {b:?} -> {a:?}");
            assert!(a[10] > b[10], "{policy}: {b:?} -> {a:?}");
            // Linux's indexes for order 9 (a 2 MiB block): before, almost all free memory is unusable for it.
            let arr = |v: &[u64]| -> [u64; 11] { std::array::from_fn(|k| v[k]) };
            assert!(unusable_index(&arr(&b), 9) > unusable_index(&arr(&a), 9), "{policy}");
            assert_eq!(fragmentation_index(&arr(&a), 9), -1000, "{policy}: a suitable block exists after");
            // The keeper's pages still back the right translations: every page read after compaction hit.
            assert_eq!(r.stats.faults.segv, 0);
        });
    }
}

/// Exact mode keeps its user frames in a fixed pool outside the buddy allocator: compaction leaves them alone.
#[test]
fn exact_mode_does_not_compact() {
    let text = "[machine]\nmemory = \"1MiB\"\n[reclaim]\nexact = true\n[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"m\", len = \"64KiB\" },\n  { op = \"store\", addr = \"m+0x3000\", text = \"x\" },\n  { op = \"compact_memory\" },\n  { op = \"expect\", addr = \"m+0x3000\", text = \"x\" },\n]\n";
    let path = Path::new("exact.toml");
    let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap();
        assert_eq!(m.expect_failures, 0);
        assert_eq!(m.kernel.compaction, vmsim::kernel::compaction::CompactStats::default());
        assert!(m.report().events.iter().any(|e| e.contains("nothing to do in exact mode")));
    });
}
