//! Issue 10: real process contents. `tests/data/snapprog.vmsnap` is a snapshot (`vmsim snapshot PID -o FILE`) of
//! scripts/workloads/snapprog.c, a static binary holding 256 KiB of repeated records, 256 KiB of zeros and 64 KiB
//! of pseudo-random bytes, taken on this project's machine. KSM and zswap are checked against counts computed
//! here from the snapshot's own pages.

use std::collections::BTreeMap;
use std::path::Path;
use vmsim::arch::Pte;
use vmsim::config::Scenario;
use vmsim::sim::{AnyMachine, Report};
use vmsim::snapshot::Snapshot;
use vmsim::{with_machine, VirtAddr};

fn snapshot() -> Snapshot {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/snapprog.vmsnap");
    Snapshot::read_from(std::fs::File::open(path).unwrap()).unwrap()
}

/// The pages a scenario loads from the snapshot: those inside the mappings vmsim keeps (not [vdso]/[vvar]).
fn loaded_pages(s: &Snapshot) -> Vec<(u64, [u8; 4096])> {
    let kept: Vec<_> = s.header.maps.iter().filter(|m| !m.path.starts_with("[v")).collect();
    s.pages
        .iter()
        .filter(|(va, _)| kept.iter().any(|m| (m.start..m.end).contains(va)))
        .map(|(va, d)| (*va, d.as_deref().copied().unwrap_or([0; 4096])))
        .collect()
}

fn run(text: &str) -> (Report, vmsim::kernel::ksm::KsmStats, Vec<(u64, Option<usize>)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenario.toml");
    let (sc, cfg) = Scenario::parse(&path, text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    let snap = snapshot();
    with_machine!(&mut m, m => {
        m.run_scenario(&path, text, &sc).unwrap_or_else(|e| panic!("{e}"));
        let k = &m.kernel;
        let pid = vmsim::kernel::task::Pid(1);
        let zs = loaded_pages(&snap)
            .iter()
            .map(|(va, _)| {
                let len = k
                    .pte(pid, VirtAddr::new(*va))
                    .and_then(|p| p.swap_entry())
                    .and_then(|e| k.zswap.compressed_len(e));
                (*va, len)
            })
            .collect();
        (m.report(), k.ksm.stats(), zs)
    })
}

/// Two processes started from the same snapshot, with PR_SET_MEMORY_MERGE, merge to exactly the counts the
/// snapshot's contents give: each distinct page content of one copy, present m times, is 2m identical pages, one
/// stable node mapped 2m times (max_page_sharing 256 is not reached by this snapshot).
#[test]
fn two_copies_of_a_snapshot_merge_as_computed() {
    let snap = snapshot();
    let pages = loaded_pages(&snap);
    let mut by_content: BTreeMap<[u8; 4096], u64> = BTreeMap::new();
    for (_, p) in &pages {
        *by_content.entry(*p).or_default() += 1;
    }
    assert!(by_content.values().all(|&m| 2 * m <= 256), "a chain would form");
    let shared = by_content.len() as u64;
    let sharing: u64 = by_content.values().map(|m| 2 * m - 1).sum();
    let text = r#"
[machine]
memory = "64MiB"
[ksm]
pages_to_scan = 10000
[[process]]
name = "one"
snapshot = "data/snapprog.vmsnap"
memory_merge = true
steps = [{ op = "ksm_scan", batches = 3 }]
[[process]]
name = "two"
snapshot = "data/snapprog.vmsnap"
memory_merge = true
steps = [{ op = "read", addr = "snap0" }]
"#;
    let (r, ksm, _) = run(text);
    assert!(r.events.iter().any(|e| e.contains("started from snapshot")), "{:#?}", r.events);
    assert_eq!((ksm.pages_shared, ksm.pages_sharing), (shared, sharing), "{ksm:?}");
    assert_eq!((ksm.pages_unshared, ksm.pages_volatile), (0, 0));
    assert!(shared > 50 && sharing > 300, "the snapshot holds repeated records and zeros: {shared} {sharing}");
}

/// zswap on the snapshot's pages: every page in the pool holds exactly what LZ4 gives for that page compressed on
/// its own (same-filled pages, such as the zeros, hold none).
#[test]
fn zswap_on_a_snapshot_stores_the_compressors_output() {
    let snap = snapshot();
    let content: BTreeMap<u64, [u8; 4096]> = loaded_pages(&snap).into_iter().collect();
    let text = r#"
[machine]
memory = "64MiB"
[zswap]
enabled = true
[reclaim]
verify = true
[[process]]
name = "one"
snapshot = "data/snapprog.vmsnap"
memory_max = "256KiB"
steps = [{ op = "read", addr = "snap0" }]
"#;
    let (r, _, zs) = run(text);
    let z = r.stats.zswap.unwrap();
    let mut stored = 0;
    for (va, len) in &zs {
        let Some(len) = len else { continue };
        stored += 1;
        let page = &content[va];
        let want = if vmsim::swap::zswap::same_filled(page).is_some() {
            0
        } else {
            vmsim::swap::zswap::Compressor::Lz4.compress(page).unwrap().len()
        };
        assert_eq!(*len, want, "page {va:#x}");
    }
    assert!(stored > 100, "most pages went to zswap: {stored}");
    assert!(z.counters.same_filled_pages > 0 && z.counters.reject_compress_poor > 0, "{z:?}");
    assert_eq!(r.stats.verify.failures, 0);
}
