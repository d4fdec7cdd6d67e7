//! Issue 11 item 6, "compaction counters on a hand-computed small zone": direct compaction on a failed
//! order-9 `alloc_pages`, with deferral (SPEC §12) and Linux's compact_stall / compact_success / compact_fail
//! (mm/page_alloc.c `__alloc_pages_direct_compact`, mm/compaction.c `try_to_compact_pages`).

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

/// 16 MiB = 4096 frames, min/low watermarks 128/160. The zero page claims the first order-10 block for
/// UNMOVABLE; "a" and "b" then take order-7 (128-frame) unmovable blocks in turn, lowest first: a at 128, b at
/// 256, a at 384, ... (a: odd multiples of 128 up to 29 * 128 = 3712, b: even ones up to 28 * 128), every
/// pageblock claimed for UNMOVABLE. When b exits its 14 blocks are freed: none can merge (each buddy is a's),
/// so the free blocks are 14 of order 7, one of order 8 (3840) and the small ones below frame 128: about
/// 2150 free pages, no order-9 block, fragmentation index for order 9 about 750 (> 500) and free pages above
/// low + compact_gap(9) = 160 + 1024: compaction is suitable. But nothing is movable, so every pass completes
/// without an order-9 block: COMPACT_COMPLETE, defer_compaction(9).
///
/// a then asks for 8 order-9 blocks: compaction runs at attempts 1, 3 and 7 (shift 0, 1, 2) and is deferred at
/// 2, 4, 5, 6 and 8; `try_to_compact_pages` returns COMPACT_DEFERRED (not COMPACT_SKIPPED) for those, so all 8
/// count a stall and, with no page, a failure: compact_stall 8, compact_fail 8, compact_success 0, 3 passes.
fn fragmented(extra: &str, vm: &str) -> String {
    let a: String = (0..15).map(|_| "  { op = \"alloc_pages\", order = 7, name = \"a\" },\n").collect();
    let b: String = (0..14).map(|_| "  { op = \"alloc_pages\", order = 7, name = \"b\" },\n").collect();
    format!(
        "[machine]\nmemory = \"16MiB\"\n{vm}\n[[process]]\nname = \"a\"\nsteps = [\n{a}  {{ op = \"wait\" }},\n{extra}]\n\n\
         [[process]]\nname = \"b\"\nsteps = [\n{b}  {{ op = \"exit\" }},\n]\n"
    )
}

fn run(text: &str) -> (vmsim::kernel::compaction::CompactStats, vmsim::kernel::compaction::CompactDefer, Vec<String>) {
    let path = Path::new("direct.toml");
    let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap();
        let events = m.report().events.clone();
        (m.kernel.compaction, m.kernel.compact_defer, events)
    })
}

#[test]
fn failing_order_9_requests_are_deferred_and_counted() {
    let text = fragmented("  { op = \"alloc_pages\", order = 9, count = 8, name = \"dma\" },\n", "");
    let (c, d, events) = run(&text);
    let line = events.iter().find(|e| e.contains("order 9")).unwrap();
    assert!(
        line.contains("0 of 8 blocks; direct compaction: 3 ran, 5 deferred, 0 skipped, 0 succeeded, 8 failed"),
        "{line}"
    );
    assert_eq!((c.stall, c.success, c.fail, c.passes), (8, 0, 8, 3), "{events:#?}");
    assert_eq!((c.pgmigrate_success, c.isolated), (0, 0), "nothing movable");
    // Runs at attempts 1, 3, 7 leave shift 3; attempt 8 was considered once since. compact_order_failed stays
    // 0: defer_compaction takes min(0, 9) in a zero-initialised zone.
    assert_eq!(d, vmsim::kernel::compaction::CompactDefer { considered: 1, defer_shift: 3, order_failed: 0 });
    // Every order-7 block of "a" was allocated on the fast path: no compaction before the order-9 requests.
    assert!(events
        .iter()
        .filter(|e| e.contains("order 7"))
        .all(|e| e.contains("1 of 1 blocks; direct compaction: 0 ran")));
}

/// vm.extfrag_threshold = 1000: the index (about 750) is now at or below the threshold, so compaction is not
/// suitable: COMPACT_SKIPPED, no stall, no pass, no deferral. (compaction_deferred still counts each request:
/// `++compact_considered` reaches the limit 1 << 0 and stays there.)
#[test]
fn extfrag_threshold_skips_compaction() {
    let text = fragmented(
        "  { op = \"alloc_pages\", order = 9, count = 8, name = \"dma\" },\n",
        "[vm]\nextfrag_threshold = 1000\n",
    );
    let (c, d, _) = run(&text);
    assert_eq!((c.stall, c.success, c.fail, c.passes), (0, 0, 0, 0));
    assert_eq!(d, vmsim::kernel::compaction::CompactDefer { considered: 1, defer_shift: 0, order_failed: 0 });
}

/// Direct compaction that succeeds: the compaction example's keeper and leaver interleave their pages over
/// 24 of 32 MiB and the leaver exits; three 4 MiB kernel requests (order 10) outrun the free order-10 blocks; the
/// keeper's movable pages are migrated, a block forms, and the allocation succeeds: compact_stall 1,
/// compact_success 1, compact_fail 0, and the deferral state is reset with compact_order_failed = 11.
#[test]
fn direct_compaction_succeeds_and_resets_deferral() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/compaction.toml")).unwrap();
    let text = text.replace(
        "  { op = \"compact_memory\" },\n",
        "  { op = \"alloc_pages\", order = 10, count = 3, name = \"dma\" },\n",
    );
    let (c, d, events) = run(&text);
    let line = events.iter().find(|e| e.contains("order 10")).unwrap();
    assert!(line.contains("3 of 3 blocks"), "{line}");
    assert!(c.stall >= 1 && c.stall == c.success && c.fail == 0 && c.pgmigrate_success > 0, "{c:?} {line}");
    assert_eq!(d, vmsim::kernel::compaction::CompactDefer { considered: 0, defer_shift: 0, order_failed: 11 });
}
