//! Issue 9: file-backed mappings and the page cache. Fault counts follow mm/memory.c (`do_read_fault` with
//! fault-around, `do_cow_fault`, `do_shared_fault`, `wp_page_shared`) and mm/filemap.c (`filemap_fault`, mmap
//! read-around); reclaim of file pages follows mm/vmscan.c and mm/workingset.c. Every scenario here runs with
//! verify mode on, so a clean file page dropped with contents that differ from its file fails the test.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::kernel::AccessResult;
use vmsim::sim::AnyMachine;
use vmsim::{with_machine, VirtAddr, PAGE_SIZE};

/// The outcome of a scenario: per-process (min_flt, maj_flt) in pid order, and the machine's counters.
struct Run {
    faults: Vec<(u64, u64)>,
    events: vmsim::kernel::VmEvents,
    meminfo: String,
    log: Vec<String>,
    cached: u64,
    dirty: u64,
    swap_used: u64,
}

/// Run a scenario: `[machine]` lines, `[[file]]` tables and `[[process]]` tables, with verify mode on.
fn run(machine: &str, files: &str, body: &str) -> Run {
    run_with(machine, "", files, body)
}

/// [`run`] with more `[reclaim]` lines.
fn run_with(machine: &str, reclaim: &str, files: &str, body: &str) -> Run {
    let text = format!("[machine]\n{machine}\n[reclaim]\nverify = true\n{reclaim}\n{files}\n{body}");
    let path = Path::new("test.toml");
    let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, &text, &sc).unwrap_or_else(|e| panic!("{e}"));
        let k = &m.kernel;
        Run {
            faults: k.processes().map(|t| (t.counters.min_flt, t.counters.maj_flt)).collect(),
            events: k.events,
            meminfo: m.meminfo(),
            log: k.log.iter().map(|e| e.what.clone()).collect(),
            cached: k.files.cached_pages(),
            dirty: k.file_dirty_pages(),
            swap_used: k.swap.used_pages(),
        }
    })
}

const FILE_1M: &str = "[[file]]\nname = \"data\"\nsize = \"1MiB\"\n";
/// A 2 MiB-aligned fixed address, so the fault-around windows are the file's aligned 16-page blocks.
const AT: &str = "addr = 0x40000000, fixed = true";

fn one(steps: &str) -> String {
    format!("[[process]]\nname = \"p\"\nsteps = [\n{steps}\n]\n")
}

fn meminfo_kb(m: &str, field: &str) -> u64 {
    let line = m.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Reading an uncached 1 MiB file in order: one major fault (mmap read-around reads 32 pages and marks page 24;
/// the retried fault's fault-around maps pages 0..15), then fault-around maps 16 pages per fault; the marked pages
/// start the next window asynchronously. 256 pages: faults at 0 (major), 16, 24 in the first window, then two per
/// 32-page window: 1 major + 16 minor.
#[test]
fn sequential_read_of_an_uncached_file() {
    let r = run(
        "memory = \"16MiB\"",
        FILE_1M,
        &one(&format!(
            "{{ op = \"mmap\", name = \"m\", {AT}, len = \"1MiB\", prot = \"r\", file = \"data\" }},
             {{ op = \"read\", addr = \"m\", len = \"1MiB\" }},
             {{ op = \"expect\", addr = \"m+0x5000\", text = \"data page 5\\n\" }},
             {{ op = \"expect\", addr = \"m+0xff000\", text = \"data page 255\\n\" }}"
        )),
    );
    assert_eq!(r.faults, vec![(16, 1)], "{:?}", r.log);
    assert_eq!((r.events.pgmajfault, r.events.pgpgin_file, r.cached), (1, 256, 256));
    assert!(!r.log.iter().any(|l| l.contains("EXPECT")), "{:?}", r.log);
    assert_eq!(meminfo_kb(&r.meminfo, "Cached"), 1024);
    assert_eq!(meminfo_kb(&r.meminfo, "Mapped"), 1024);
    assert_eq!(meminfo_kb(&r.meminfo, "Inactive(file)"), 1024);
}

/// Cached file, read backwards and sparsely: only fault-around (no I/O). Backwards, the fault at the top page of
/// each aligned 16-page block maps the whole block: 16 faults. One page in every 16: one fault each, and each
/// maps its whole block.
#[test]
fn cached_file_backwards_and_sparse_reads() {
    let warm = format!(
        "{{ op = \"mmap\", name = \"w\", len = \"1MiB\", prot = \"r\", file = \"data\" }},
         {{ op = \"read\", addr = \"w\", len = \"1MiB\" }},
         {{ op = \"munmap\", addr = \"w\", len = \"1MiB\" }},
         {{ op = \"mmap\", name = \"m\", {AT}, len = \"1MiB\", prot = \"r\", file = \"data\" }},"
    );
    let base = run("memory = \"16MiB\"", FILE_1M, &one(&warm[..warm.len() - 1]));
    let mut steps = warm.clone();
    for i in (0..256u64).rev() {
        steps.push_str(&format!("{{ op = \"read\", addr = \"m+{:#x}\" }},", i * PAGE_SIZE));
    }
    let back = run("memory = \"16MiB\"", FILE_1M, &one(&steps[..steps.len() - 1]));
    assert_eq!(back.faults[0].0 - base.faults[0].0, 16);
    assert_eq!(back.faults[0].1, base.faults[0].1, "no major faults: the file is cached");
    let sparse = run(
        "memory = \"16MiB\"",
        FILE_1M,
        &one(&format!("{warm} {{ op = \"read\", addr = \"m\", len = \"1MiB\", stride = \"64KiB\" }}")),
    );
    assert_eq!(sparse.faults[0].0 - base.faults[0].0, 16);
}

/// Sparse reads, one page in 64 of an uncached file: each is a page-cache miss (no window covers it), so a major
/// fault. With readahead each reads a 32-page window centred on it (`ra->start = pgoff - ra_pages / 2`); with
/// `read_ahead_kb = 0` only the page itself.
#[test]
fn sparse_reads_of_an_uncached_file_are_major_faults() {
    let steps = one(&format!(
        "{{ op = \"mmap\", name = \"m\", {AT}, len = \"1MiB\", prot = \"r\", file = \"data\" }},
         {{ op = \"read\", addr = \"m\", len = \"1MiB\", stride = \"256KiB\" }}"
    ));
    let ra = run("memory = \"16MiB\"", FILE_1M, &steps);
    assert_eq!(ra.faults, vec![(0, 4)]);
    assert_eq!(ra.events.pgpgin_file, 32 + 3 * 32, "windows 0..32, 48..80, 112..144, 176..208");
    let no_ra = run_with("memory = \"16MiB\"", "read_ahead_kb = 0", FILE_1M, &steps);
    assert_eq!(no_ra.faults, vec![(0, 4)]);
    assert_eq!(no_ra.events.pgpgin_file, 4);
}

/// `MAP_PRIVATE` writes: without a prior read, each write is one `do_cow_fault` (the file page is read in,
/// copied to an anonymous page); after a read, fault-around mapped the block read-only, so the read is one fault
/// and each write one more (`do_wp_page` copies a file page, never reuses it). The file never changes.
#[test]
fn private_file_writes_copy_and_never_reach_the_file() {
    let no_read = run(
        "memory = \"16MiB\"",
        FILE_1M,
        &one(&format!(
            "{{ op = \"mmap\", name = \"m\", {AT}, len = \"64KiB\", prot = \"rw\", file = \"data\" }},
             {{ op = \"write\", addr = \"m\", len = \"64KiB\", value = 0x41 }},
             {{ op = \"expect\", addr = \"m+0x1000\", text = \"Aata page 1\" }},
             {{ op = \"mmap\", name = \"r\", len = \"64KiB\", prot = \"r\", file = \"data\" }},
             {{ op = \"expect\", addr = \"r+0x1000\", text = \"data page 1\\n\" }}"
        )),
    );
    // 16 write faults, then one read fault of the second mapping (fault-around maps the rest of its block).
    assert_eq!(no_read.faults[0].0 + no_read.faults[0].1, 17, "{:?}", no_read.log);
    assert_eq!(no_read.events.cow, 16);
    assert!(!no_read.log.iter().any(|l| l.contains("EXPECT")), "{:?}", no_read.log);
    assert_eq!(meminfo_kb(&no_read.meminfo, "AnonPages"), 64);
    let with_read = run(
        "memory = \"16MiB\"",
        FILE_1M,
        &one(&format!(
            "{{ op = \"mmap\", name = \"m\", {AT}, len = \"64KiB\", prot = \"rw\", file = \"data\" }},
             {{ op = \"read\", addr = \"m\", len = \"64KiB\" }},
             {{ op = \"write\", addr = \"m\", len = \"64KiB\" }}"
        )),
    );
    // The read: page 0 major (read-around; the retry's fault-around maps 0..15); then 16 copy-on-write faults.
    assert_eq!(with_read.faults, vec![(16, 1)]);
    assert_eq!(with_read.events.cow, 16);
}

/// `MAP_SHARED` writes dirty the page cache; the first write after a read faults (write notification), msync
/// writes the pages back and write-protects them, so the next write faults again; the data survives dropping the
/// cache and is seen by a new mapping read from the file.
#[test]
fn shared_file_writes_msync_and_survive_the_cache() {
    let r = run(
        "memory = \"16MiB\"",
        FILE_1M,
        &one(&format!(
            "{{ op = \"mmap\", name = \"s\", {AT}, len = \"64KiB\", prot = \"rw\", file = \"data\", shared = true }},
             {{ op = \"read\", addr = \"s\", len = \"64KiB\" }},
             {{ op = \"store\", addr = \"s+0x2100\", text = \"hello file\" }},
             {{ op = \"write\", addr = \"s\", len = \"64KiB\", stride = \"8KiB\" }},
             {{ op = \"msync\", addr = \"s\", len = \"64KiB\" }},
             {{ op = \"write\", addr = \"s+0x3000\" }},
             {{ op = \"msync\", addr = \"s\", len = \"64KiB\" }},
             {{ op = \"munmap\", addr = \"s\", len = \"64KiB\" }},
             {{ op = \"drop_caches\" }},
             {{ op = \"mmap\", name = \"t\", len = \"64KiB\", prot = \"r\", file = \"data\" }},
             {{ op = \"expect\", addr = \"t+0x2100\", text = \"hello file\" }},
             {{ op = \"expect\", addr = \"t+0x3000\", hex = \"5a617461\" }}"
        )),
    );
    assert!(!r.log.iter().any(|l| l.contains("EXPECT")), "{:?}", r.log);
    // read: page 0 major (the retry's fault-around maps 0..15); store to page 2: 1 (wp_page_shared); writes to
    // pages 0,2,..,14: 7 (page 2 is already writable); after msync, a write to page 3: 1; the new mapping after
    // drop_caches: page 2 major (read-around; the retry maps its whole window).
    assert_eq!(r.faults, vec![(9, 2)], "{:?}", r.log);
    assert_eq!(r.events.file_writeback, 8 + 1);
    assert_eq!(meminfo_kb(&r.meminfo, "Dirty"), 0);
}

/// Reclaim of file pages: a file four times RAM read twice through a shared mapping and written sparsely; the
/// page cache is reclaimed (clean pages dropped, dirty ones written back), nothing goes to swap, every byte
/// written is found again, and the second pass refaults pages whose shadow entries were left.
#[test]
fn file_pages_are_reclaimed_without_swap_and_nothing_is_lost() {
    let r = run(
        "memory = \"8MiB\"",
        "[[file]]\nname = \"big\"\nsize = \"32MiB\"\n",
        &one("{ op = \"mmap\", name = \"m\", len = \"32MiB\", prot = \"rw\", file = \"big\", shared = true },
             { op = \"write\", addr = \"m\", len = \"32MiB\", stride = \"1MiB\", value = 0x77 },
             { op = \"read\", addr = \"m\", len = \"32MiB\", repeat = 2 },
             { op = \"expect\", addr = \"m+0x1f00000\", hex = \"77\" },
             { op = \"expect\", addr = \"m+0x1f00001\", text = \"ig page 7936\" }"),
    );
    assert!(!r.log.iter().any(|l| l.contains("EXPECT") || l.contains("verify")), "{:?}", r.log);
    assert_eq!(r.swap_used, 0, "file pages never go to swap");
    assert!(r.events.pgsteal_file > 8000, "{}", r.events.pgsteal_file);
    assert_eq!(r.events.pgsteal_anon, 0);
    // 32 pages were written: each was written back by reclaim or is still dirty in the cache.
    assert_eq!(r.events.nr_vmscan_write + r.dirty, 32);
    assert_eq!(r.events.file_writeback, r.events.nr_vmscan_write);
    assert!(r.events.workingset_refault_file > 0);
    assert!(r.events.verify_checked > 8000 && r.events.verify_failures == 0);
}

/// fork: a file mapping's PTEs are not copied (no anon_vma); the child faults its pages in from the same page
/// cache, so parent and child map the same frames.
#[test]
fn fork_shares_the_page_cache() {
    let text = format!(
        "[machine]\nmemory = \"16MiB\"\n{FILE_1M}
[[process]]
name = \"parent\"
steps = [
  {{ op = \"mmap\", name = \"m\", {AT}, len = \"64KiB\", prot = \"r\", file = \"data\" }},
  {{ op = \"read\", addr = \"m\", len = \"64KiB\" }},
  {{ op = \"fork\", child = \"child\" }},
  {{ op = \"wait\" }},
]
[[process]]
name = \"child\"
steps = [ {{ op = \"read\", addr = \"m\", len = \"64KiB\" }}, {{ op = \"exit\" }} ]
"
    );
    let path = Path::new("fork.toml");
    let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, &text, &sc).unwrap();
        let k = &mut m.kernel;
        let t: Vec<_> = k.processes().map(|t| (t.counters.min_flt, t.counters.maj_flt)).collect();
        // The parent: one major fault at page 0 (read-around; the retry's fault-around maps all 16). The child:
        // one minor fault, whose fault-around maps all 16 from the shared cache.
        assert_eq!(t, vec![(0, 1), (1, 0)]);
        assert_eq!(k.files.cached_pages(), 32);
        // Each of the 16 pages is mapped by both: mapcount 2 on the page-cache page.
        let inode = k.files.lookup("data").unwrap();
        let f = k.files.get(inode).unwrap();
        let pfn = f.pages[&3];
        assert_eq!(k.mem.meta(pfn).mapcount, 1, "the child exited: only the parent maps it");
    });
}

/// A file mapping longer than the file: an access past the last page of the file gets SIGBUS (`filemap_fault`
/// returns `VM_FAULT_SIGBUS`).
#[test]
fn access_past_the_end_of_the_file_is_sigbus() {
    let r = run(
        "memory = \"16MiB\"",
        "[[file]]\nname = \"small\"\nsize = 5000\n",
        &one("{ op = \"mmap\", name = \"m\", len = \"16KiB\", prot = \"r\", file = \"small\" },
             { op = \"read\", addr = \"m+0x1fff\" },
             { op = \"read\", addr = \"m+0x2000\" }"),
    );
    assert!(r.log.iter().any(|l| l.contains("SIGBUS (BUS_ADRERR")), "{:?}", r.log);
}

#[test]
fn reads_through_the_kernel_api_see_file_contents() {
    let text = format!("[machine]\nmemory = \"16MiB\"\n{FILE_1M}\n[[process]]\nname = \"p\"\n");
    let path = Path::new("api.toml");
    let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, &text, &sc).unwrap();
        let pid = m.find_pid(None).unwrap();
        let inode = m.kernel.files.lookup("data").unwrap();
        let mut args = vmsim::kernel::mmap::MmapArgs::anon_rw(2 * PAGE_SIZE);
        args.file = Some((inode, 3 * PAGE_SIZE));
        let va = m.kernel.mmap(pid, &args).unwrap();
        let mut buf = [0u8; 12];
        assert!(matches!(m.kernel.read_user(pid, VirtAddr::new(va.raw() + PAGE_SIZE), &mut buf), AccessResult::Ok(_)));
        assert_eq!(&buf, b"data page 4\n", "offset 3 pages: the second page of the mapping is file page 4");
        args.file = Some((inode, 100));
        assert!(m.kernel.mmap(pid, &args).is_err(), "an unaligned offset is EINVAL");
    });
}

/// `translate` names the file page a PTE maps and what a write would do to it.
#[test]
fn translate_names_the_file_page() {
    let text = format!(
        "[machine]\nmemory = \"16MiB\"\n{FILE_1M}\n[[process]]\nname = \"p\"\nsteps = [
  {{ op = \"mmap\", name = \"m\", {AT}, len = \"1MiB\", prot = \"rw\", file = \"data\" }},
  {{ op = \"read\", addr = \"m+0x3000\" }},
]\n"
    );
    let path = Path::new("t.toml");
    let (sc, cfg) = Scenario::parse(path, &text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, &text, &sc).unwrap();
        let pid = m.find_pid(None).unwrap();
        let t = m.translate_verbose(pid, VirtAddr::new(0x4000_3000), vmsim::mmu::Access::Read).unwrap();
        let page = t.page.unwrap();
        assert!(page.contains("page 3 of file data in the page cache (clean)"), "{page}");
        assert!(page.contains("a write copies it"), "{page}");
    });
}
