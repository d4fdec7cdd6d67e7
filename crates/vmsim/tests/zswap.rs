//! Issue 10: zswap (mm/zswap.c; SPEC §10) in front of the swap device, with real compressors. Every run has verify
//! mode on, so a page lost or changed through compression, decompression or writeback fails the test.

use std::path::Path;
use vmsim::arch::Pte;
use vmsim::config::Scenario;
use vmsim::content::Content;
use vmsim::sim::{AnyMachine, Report};
use vmsim::swap::zswap::Compressor;
use vmsim::{with_machine, VirtAddr, PAGE_SIZE};

/// Runs a scenario; returns the report and, for each page of region `buf` of pid 1, the compressed length of its
/// zswap entry (None: not in zswap).
fn run(text: &str, sets: &[String], pages: u64) -> (Report, Vec<Option<usize>>) {
    let path = Path::new("test.toml");
    let (sc, cfg) = Scenario::parse(path, text, sets).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap_or_else(|e| panic!("{e}"));
        let k = &m.kernel;
        let pid = vmsim::kernel::task::Pid(1);
        let base = k.mm_of(pid).and_then(|mm| mm.vmas.iter().find(|v| v.name.as_deref() == Some("buf")).map(|v| v.start));
        let lens = (0..pages)
            .map(|i| {
                let va = VirtAddr::new(base?.raw() + i * PAGE_SIZE);
                let e = k.pte(pid, va)?.swap_entry()?;
                k.zswap.compressed_len(e)
            })
            .collect();
        (m.report(), lens)
    })
}

const TEXT: &str = r#"
[machine]
memory = "64MiB"
[swap]
size = "16MiB"
[zswap]
enabled = true
[reclaim]
verify = true
[[process]]
name = "writer"
memory_max = "256KiB"
steps = [
  { op = "mmap", name = "buf", len = "1MiB" },
  { op = "fill", addr = "buf", len = "1MiB", content = "text", seed = 7 },
]
"#;

/// Each page's stored size equals the same compressor's output on the same page, compressed here one by one.
#[test]
fn stored_size_is_the_compressors_output() {
    for (c, name) in [(Compressor::Lz4, "lz4"), (Compressor::Zstd, "zstd")] {
        let (r, lens) = run(TEXT, &[format!("zswap.compressor={name}")], 256);
        let z = r.stats.zswap.expect("zswap report");
        assert_eq!(z.compressor, name);
        let mut in_zswap = 0;
        let mut total = 0;
        for (i, len) in lens.iter().enumerate() {
            let Some(len) = len else { continue };
            let page = Content::Text.page(7, i as u64);
            let want = c.compress(&page).unwrap().len();
            assert_eq!(*len, want, "{name}: page {i}");
            in_zswap += 1;
            total += want as u64;
        }
        assert!(in_zswap > 150, "{name}: most of the 256 pages are in zswap: {in_zswap}");
        assert_eq!(z.counters.stored_pages, in_zswap);
        assert_eq!(z.counters.compressed_bytes, total);
        assert!(z.compression_ratio > 1.5, "{name}: {}", z.compression_ratio);
        assert_eq!(r.stats.swap.pages_out, 0, "nothing reached the device");
        assert_eq!(r.stats.verify.failures, 0);
    }
}

/// Same-filled pages are stored as one word; random pages are rejected (poor compression) and go to the
/// device; reading everything back gives the bytes written.
#[test]
fn same_filled_and_incompressible_pages() {
    let text = r#"
[machine]
memory = "64MiB"
[swap]
size = "16MiB"
[zswap]
enabled = true
[reclaim]
verify = true
[[process]]
name = "p"
memory_max = "128KiB"
steps = [
  { op = "mmap", name = "buf", len = "512KiB" },
  { op = "fill", addr = "buf", len = "256KiB", content = "same:0x11" },
  { op = "mmap", name = "rnd", len = "256KiB" },
  { op = "fill", addr = "rnd", len = "256KiB", content = "random", seed = 3 },
  { op = "read", addr = "buf", len = "512KiB" },
  { op = "read", addr = "rnd", len = "256KiB" },
  { op = "expect", addr = "buf+0x3f000", hex = "1111111111111111" },
]
"#;
    let (r, _) = run(text, &[], 0);
    let z = r.stats.zswap.unwrap();
    assert!(z.counters.reject_compress_poor >= 32, "{z:?}");
    assert!(r.stats.swap.pages_out >= 32, "rejected pages went to the device");
    assert!(z.counters.zswpout >= 32 && z.counters.zswpin > 0, "{z:?}");
    assert_eq!(r.stats.verify.failures, 0);
    assert!(r.stats.faults.major_zswap > 0 && r.stats.faults.major > r.stats.faults.major_zswap);
}

/// Heavy pressure with a small pool: the pool fills (pool_limit_hit), the shrink worker writes entries back
/// to the device, and every process still reads what it wrote, under every replacement policy, across fork.
#[test]
fn pool_limit_writeback_and_integrity_under_every_policy() {
    let text = r#"
[machine]
memory = "4MiB"
[swap]
size = "32MiB"
[zswap]
enabled = true
max_pool_percent = 10
[reclaim]
verify = true
[[process]]
name = "a"
steps = [
  { op = "mmap", name = "buf", len = "6MiB" },
  { op = "fill", addr = "buf", len = "6MiB", content = "text", seed = 1 },
  { op = "fork", child = "b" },
  { op = "write", addr = "buf", len = "6MiB", stride = 8192 },
  { op = "read", addr = "buf", len = "6MiB" },
  { op = "wait" },
]
[[process]]
name = "b"
steps = [
  { op = "write", addr = "buf+4096", len = "6MiB", stride = 8192, value = 1 },
  { op = "read", addr = "buf", len = "6MiB" },
  { op = "exit" },
]
"#;
    for policy in ["linux", "fifo", "lru", "clock", "random", "sieve", "s3fifo"] {
        let (r, _) = run(text, &[format!("reclaim.policy={policy}")], 0);
        let z = r.stats.zswap.unwrap();
        assert!(z.counters.pool_limit_hit > 0 && z.counters.written_back_pages > 0, "{policy}: {z:?}");
        assert!(r.stats.verify.checked > 1000, "{policy}");
        assert_eq!(r.stats.verify.failures, 0, "{policy}: {:#?}", r.events);
        assert!(r.oom_kills.is_empty(), "{policy}");
    }
}
