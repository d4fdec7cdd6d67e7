//! LINUX-VM-SPEC §16: textbook page-replacement results, checked as tables.

use vmsim::addr::Pfn;
use vmsim::reclaim::clock::Clock;
use vmsim::reclaim::replay::{replay, replay_kind, Access, Replay};
use vmsim::reclaim::{NextUse, PolicyKind};

/// Silberschatz's reference string (20 references).
const S: [u64; 20] = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
/// Belady's reference string (12 references).
const B: [u64; 12] = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

#[test]
fn spec_16_fault_table() {
    // (string, frames, FIFO, LRU, OPT, CLOCK), SPEC §16.
    let table: [(&str, &[u64], usize, [u64; 4]); 7] = [
        ("S", &S, 1, [20, 20, 20, 20]),
        ("S", &S, 2, [15, 17, 13, 15]),
        ("S", &S, 3, [15, 12, 9, 14]),
        ("S", &S, 4, [10, 8, 8, 9]),
        ("S", &S, 5, [9, 7, 7, 9]),
        ("B", &B, 3, [9, 10, 7, 9]),
        ("B", &B, 4, [10, 8, 6, 10]),
    ];
    let kinds = [PolicyKind::Fifo, PolicyKind::Lru, PolicyKind::Opt, PolicyKind::Clock];
    for (name, refs, frames, want) in table {
        for (kind, want) in kinds.into_iter().zip(want) {
            let got = replay_kind(kind, refs, frames, 0);
            assert_eq!(got.misses, want, "{kind} on {name} with {frames} frames");
            assert_eq!(got.hits + got.misses, got.refs);
            assert_eq!(got.evictions, got.misses.saturating_sub(frames as u64));
        }
    }
}

#[test]
fn belady_anomaly_fifo_more_frames_more_faults() {
    let three = replay::<vmsim::reclaim::fifo::Fifo>(&B, 3, 0).misses;
    let four = replay::<vmsim::reclaim::fifo::Fifo>(&B, 4, 0).misses;
    assert_eq!((three, four), (9, 10));
}

/// SPEC §16 CLOCK trace, S, 3 frames: after each reference, frames, bits and hand. Copied from the spec.
const CLOCK_TRACE: &str = "
 1  7   F   7 - -  1 0 0  1   | 11  0   F   4 2 0  0 0 1  0
 2  0   F   7 0 -  1 1 0  2   | 12  3   F   3 2 0  1 0 1  1
 3  1   F   7 0 1  1 1 1  0   | 13  2   hit 3 2 0  1 1 1  1
 4  2   F   2 0 1  1 0 0  1   | 14  1   F   3 1 0  0 1 0  2
 5  0   hit 2 0 1  1 1 0  1   | 15  2   F   3 1 2  0 1 1  0
 6  3   F   2 0 3  1 0 1  0   | 16  0   F   0 1 2  1 1 1  1
 7  0   hit 2 0 3  1 1 1  0   | 17  1   hit 0 1 2  1 1 1  1
 8  4   F   4 0 3  1 0 0  1   | 18  7   F   0 7 2  0 1 0  2
 9  2   F   4 2 3  1 1 0  2   | 19  0   hit 0 7 2  1 1 0  2
10  3   hit 4 2 3  1 1 1  2   | 20  1   F   0 7 1  1 1 1  0
";

/// One row of the trace table.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    step: usize,
    page: u64,
    fault: bool,
    frames: Vec<Option<u64>>,
    bits: Vec<bool>,
    hand: usize,
}

fn parse_rows(table: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = table
        .lines()
        .flat_map(|line| line.split('|'))
        .map(str::split_whitespace)
        .filter_map(|mut f| {
            let step = f.next()?.parse().ok()?;
            let page = f.next()?.parse().ok()?;
            let fault = f.next()? == "F";
            let frames = (0..3).map(|_| f.next().and_then(|s| s.parse().ok())).collect();
            let bits = (0..3).map(|_| f.next() == Some("1")).collect();
            let hand = f.next()?.parse().ok()?;
            Some(Row { step, page, fault, frames, bits, hand })
        })
        .collect();
    rows.sort_by_key(|r| r.step);
    rows
}

#[test]
fn spec_16_clock_trace_table() {
    let rows = parse_rows(CLOCK_TRACE);
    assert_eq!(rows.len(), 20);
    let mut r = Replay::<Clock>::new(3, 0);
    for (row, &page) in rows.iter().zip(&S) {
        assert_eq!(row.page, page, "table and string S disagree at step {}", row.step);
        let access = r.access(page, NextUse::NEVER);
        let got = Row {
            step: row.step,
            page,
            fault: !matches!(access, Access::Hit(_)),
            frames: (0..3).map(|f| r.page_in(Pfn::from_index(f))).collect(),
            bits: (0..3).map(|f| r.policy().referenced(Pfn::from_index(f))).collect(),
            hand: r.policy().hand().index(),
        };
        assert_eq!(&got, row);
    }
    assert_eq!(r.stats().misses, 14);
}

#[test]
fn spec_16_clock_four_frames_fault_positions() {
    let mut r = Replay::<Clock>::new(4, 0);
    let faults: Vec<usize> = S
        .iter()
        .enumerate()
        .filter(|&(_, &p)| !matches!(r.access(p, NextUse::NEVER), Access::Hit(_)))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(faults, [1, 2, 3, 4, 6, 8, 14, 15, 18]);
}
