//! Issue 9, `madvise(MADV_DONTNEED)` on memory that is not private anonymous (mm/madvise.c
//! `madvise_dontneed_single_vma` → `zap_page_range_single`): the PTEs go, the contents stay where they live. A
//! private file mapping loses its copy-on-write copies and reads the file again; a shared file mapping and shared
//! anonymous memory (shmem) read back what was written, from the page cache. Also the /proc views of shmem:
//! meminfo `Shmem` (also in `Cached` and `Mapped`) and status `RssShmem` (fs/proc/meminfo.c, fs/proc/task_mmu.c).

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::procfs::ProcFile;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

fn kb(text: &str, field: &str) -> u64 {
    let line = text.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or_else(|| panic!("{field}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

const SCENARIO: &str = r#"
[machine]
memory = "16MiB"
[reclaim]
verify = true
[[file]]
name = "data"
size = "1MiB"
[[process]]
name = "p"
steps = [
  { op = "mmap", name = "m", addr = 0x40000000, fixed = true, len = "64KiB", prot = "rw", file = "data" },
  { op = "store", addr = "m+0x1000", text = "private copy" },
  { op = "expect", addr = "m+0x1000", text = "private copy" },
  { op = "madvise", addr = "m", len = "64KiB", advice = "dontneed" },
  { op = "expect", addr = "m+0x1000", text = "data page 1\n" },
  { op = "mmap", name = "s", addr = 0x40200000, fixed = true, len = "64KiB", prot = "rw", file = "data", shared = true },
  { op = "store", addr = "s+0x2000", text = "shared write" },
  { op = "madvise", addr = "s", len = "64KiB", advice = "dontneed" },
  { op = "expect", addr = "s+0x2000", text = "shared write" },
  { op = "mmap", name = "shm", len = "64KiB", prot = "rw", shared = true },
  { op = "write", addr = "shm", len = "64KiB" },
  { op = "store", addr = "shm+0x3000", text = "shmem data" },
  { op = "madvise", addr = "shm", len = "64KiB", advice = "dontneed" },
  { op = "expect", addr = "shm+0x3000", text = "shmem data" },
  { op = "read", addr = "shm", len = "64KiB" },
]
"#;

#[test]
fn dontneed_keeps_file_and_shmem_contents_and_drops_private_copies() {
    let path = Path::new("madvise.toml");
    let (sc, cfg) = Scenario::parse(path, SCENARIO, &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, SCENARIO, &sc).unwrap_or_else(|e| panic!("{e}"));
        let log: Vec<String> = m.kernel.log.iter().map(|e| e.what.clone()).collect();
        assert!(!log.iter().any(|l| l.contains("EXPECT") || l.contains("verify")), "{log:?}");
        let e = m.kernel.events;
        assert_eq!(e.cow, 1, "one private copy of a file page (do_cow_fault), dropped by MADV_DONTNEED");
        // The private copy was freed: no anonymous page is left.
        let meminfo = m.meminfo();
        assert_eq!(kb(&meminfo, "AnonPages"), 0, "{meminfo}");
        // 16 shmem pages, resident in the shmem object after the zap and mapped again by the last read.
        assert_eq!(kb(&meminfo, "Shmem"), 64, "{meminfo}");
        assert!(kb(&meminfo, "Cached") >= 64 + 64, "file pages and shmem are both in Cached: {meminfo}");
        assert!(kb(&meminfo, "Mapped") >= 64, "{meminfo}");
        let status = m.proc_files(ProcFile::Status(None));
        let (_, body) = status.first().unwrap();
        assert_eq!(kb(body, "RssShmem"), 64, "{body}");
        assert_eq!(kb(body, "RssAnon"), 0, "{body}");
        assert!(kb(body, "RssFile") > 0, "{body}");
        assert_eq!(
            kb(body, "VmRSS"),
            kb(body, "RssAnon") + kb(body, "RssFile") + kb(body, "RssShmem"),
            "{body}"
        );
    });
}
