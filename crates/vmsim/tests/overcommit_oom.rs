//! Issue 10: overcommit accounting (mm/util.c `__vm_enough_memory`, SPEC §7) and the OOM killer (mm/oom_kill.c,
//! SPEC §8), run through scenarios as a user writes them. Every run has verify mode on.

use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::{AnyMachine, Report};
use vmsim::with_machine;

struct Run {
    report: Report,
    meminfo: String,
    expect_failures: u64,
    committed: u64,
    oom_scores: Vec<(u32, u64)>,
}

fn run(text: &str) -> Run {
    let path = Path::new("test.toml");
    let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap_or_else(|e| panic!("{e}"));
        let k = &m.kernel;
        let oom_scores = k.processes().filter(|t| t.is_running()).map(|t| (t.pid.0, k.oom_score(t.pid))).collect();
        Run {
            report: m.report(),
            meminfo: m.meminfo(),
            expect_failures: m.expect_failures,
            committed: k.overcommit.committed,
            oom_scores,
        }
    })
}

fn kb(meminfo: &str, field: &str) -> u64 {
    let line = meminfo.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Mode 2 on 16 MiB RAM + 4 MiB swap (ratio 50): CommitLimit = 2048 + 1023 usable swap pages = 3071 pages =
/// 12284 kB. The admin reserve is min(16384/32, 8192) = 512 kB = 128 pages (uid 1000 pays it), the user reserve
/// min(total_vm/32, 512 kB). An 8 MiB mapping fits, a second one does not; munmap gives its charge back.
#[test]
fn strict_overcommit_refuses_beyond_the_commit_limit() {
    let text = r#"
[machine]
memory = "16MiB"
[swap]
size = "4MiB"
[vm]
overcommit_memory = 2
[[process]]
name = "p"
uid = 1000
steps = [
  { op = "mmap", name = "a", len = "8MiB", expect = "ok" },
  { op = "mmap", name = "b", len = "8MiB", expect = "ENOMEM" },
  { op = "mmap", name = "ro", len = "8MiB", prot = "r", expect = "ok" },
  { op = "mprotect", addr = "ro", len = "8MiB", prot = "rw" },
  { op = "munmap", addr = "a", len = "8MiB" },
  { op = "mmap", name = "c", len = "8MiB", expect = "ok" },
  { op = "mmap", name = "n", len = "64MiB", noreserve = true, expect = "ENOMEM" },
]
"#;
    let r = run(text);
    assert_eq!(kb(&r.meminfo, "CommitLimit"), (2048 + 1023) * 4);
    assert_eq!(r.expect_failures, 0, "{:#?}", r.report.events);
    // The read-only mapping is not charged; making it writable is, and fails while `a` holds 2048 pages.
    assert!(r.report.events.iter().any(|e| e.contains("mprotect") && e.contains("ENOMEM")), "{:#?}", r.report.events);
    // Left: c (2048 pages); the initial stack VMA (its pages) is charged too.
    assert_eq!(
        r.committed,
        2048 + vmsim::kernel::Layout::default_for::<vmsim::arch::x86_64::X86FourLevel>().stack_pages
    );
    assert_eq!(kb(&r.meminfo, "Committed_AS"), r.committed * 4);
    assert_eq!(r.report.overcommit.refused, 3);
}

/// Mode 0 refuses only a single request larger than RAM + swap (SPEC §7: `pages > totalram + total_swap`);
/// mode 1 nothing. MAP_NORESERVE is honoured outside mode 2.
#[test]
fn heuristic_and_always_modes() {
    let steps = r#"
[[process]]
name = "p"
steps = [
  { op = "mmap", name = "fits", len = 20967424, expect = "ok" },
  { op = "mmap", name = "huge", len = "20MiB", expect = "ENOMEM_IN_GUESS" },
  { op = "mmap", name = "nr", len = "1GiB", noreserve = true, expect = "ok" },
]
"#;
    let guess = run(&format!(
        "[machine]\nmemory = \"16MiB\"\n[swap]\nsize = \"4MiB\"\n{}",
        steps.replace("ENOMEM_IN_GUESS", "ENOMEM")
    ));
    assert_eq!(guess.expect_failures, 0, "{:#?}", guess.report.events);
    // RAM + usable swap = 4096 + 1023 = 5119 pages: 5119 pages fit, 20 MiB = 5120 pages do not (not `>`).
    let always = run(&format!(
        "[machine]\nmemory = \"16MiB\"\n[swap]\nsize = \"4MiB\"\n[vm]\novercommit_memory = 1\n{}",
        steps.replace("ENOMEM_IN_GUESS", "ok")
    ));
    assert_eq!(always.expect_failures, 0, "{:#?}", always.report.events);
    // MAP_NORESERVE is not charged: only the two accountable mappings (and the stack) are.
    let stack = vmsim::kernel::Layout::default_for::<vmsim::arch::x86_64::X86FourLevel>().stack_pages;
    assert_eq!(always.committed, 5119 + 5120 + stack);
}

/// fork charges a copy of every accountable mapping: in mode 2 a parent holding more than half the limit
/// cannot fork, and the step's `expect` sees ENOMEM.
#[test]
fn strict_fork_fails_with_enomem() {
    let text = r#"
[machine]
memory = "16MiB"
[swap]
size = "0"
[vm]
overcommit_memory = 2
[[process]]
name = "parent"
steps = [
  { op = "mmap", name = "a", len = "5MiB" },
  { op = "fork", child = "child", expect = "ENOMEM" },
  { op = "munmap", addr = "a", len = "5MiB" },
  { op = "fork", child = "child2", expect = "ok" },
]
[[process]]
name = "child"
steps = [{ op = "exit" }]
[[process]]
name = "child2"
steps = [{ op = "exit" }]
"#;
    let r = run(text);
    assert_eq!(r.expect_failures, 0, "{:#?}", r.report.events);
}

/// Without swap, three processes fill RAM. The OOM killer picks the largest badness (not the allocating
/// process), frees it, and the allocation goes on; `oom_score_adj = -1000` is never picked even when largest;
/// the kill is logged in the kernel's format.
#[test]
fn oom_killer_chooses_by_badness_and_the_run_goes_on() {
    let text = r#"
[machine]
memory = "16MiB"
[swap]
size = "0"
[reclaim]
verify = true
[[process]]
name = "protected"
oom_score_adj = -1000
steps = [
  { op = "mmap", name = "a", len = "6MiB" },
  { op = "write", addr = "a", len = "6MiB" },
]
[[process]]
name = "big"
steps = [
  { op = "mmap", name = "a", len = "5MiB" },
  { op = "write", addr = "a", len = "5MiB" },
]
[[process]]
name = "small"
steps = [
  { op = "mmap", name = "a", len = "1MiB" },
  { op = "write", addr = "a", len = "1MiB" },
  { op = "mmap", name = "b", len = "6MiB" },
  { op = "write", addr = "b", len = "6MiB" },
  { op = "expect", addr = "b+0x5ff000", hex = "5a" },
]
"#;
    let r = run(text);
    let kills = &r.report.oom_kills;
    assert_eq!(kills.len(), 1, "{:#?}", r.report.events);
    assert_eq!(kills[0].name, "big");
    assert_eq!(kills[0].invoked_by, Some(vmsim::kernel::task::Pid(3)));
    let line = r.report.events.iter().find(|e| e.contains("Killed process")).unwrap();
    assert!(
        line.starts_with("pid 2: Out of memory: Killed process 2 (big) total-vm:")
            && line.contains("kB, anon-rss:5120kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:")
            && line.ends_with("oom_score_adj:0"),
        "{line}"
    );
    assert!(r.report.events.iter().any(|e| e.contains("small invoked oom-killer")), "{:#?}", r.report.events);
    let states: Vec<&str> = r.report.processes.iter().map(|p| p.state.as_str()).collect();
    assert_eq!(states, ["running", "killed (out of memory)", "running"]);
    assert_eq!(r.expect_failures, 0);
    assert_eq!(r.report.stats.verify.failures, 0);
    // /proc/PID/oom_score of the survivors: protected 0; small's follows its RSS.
    assert_eq!(r.oom_scores[0], (1, 0));
    assert!(r.oom_scores[1].1 > 666, "{:?}", r.oom_scores);
}

/// A group at memory.max with no swap: the group's OOM killer picks among the group's tasks (the forked child
/// joins the parent's group), and memory.high throttles by reclaim without ever killing.
#[test]
fn memcg_oom_and_memory_high() {
    let text = r#"
[machine]
memory = "64MiB"
[swap]
size = "0"
[[process]]
name = "parent"
memory_max = "4MiB"
steps = [
  { op = "mmap", name = "a", len = "3MiB" },
  { op = "write", addr = "a", len = "3MiB" },
  { op = "fork", child = "child" },
  { op = "wait" },
]
[[process]]
name = "child"
steps = [
  { op = "mmap", name = "b", len = "2MiB" },
  { op = "write", addr = "b", len = "2MiB" },
]
"#;
    let r = run(text);
    let kills = &r.report.oom_kills;
    assert_eq!(kills.len(), 1, "{:#?}", r.report.events);
    assert!(kills[0].memcg.is_some());
    // The parent has 3 MiB, the child 512 KiB of its own plus the 3 MiB it shares: the child's RSS counts the
    // shared pages too, so it is the larger and is killed (ties go to the later task).
    assert_eq!(kills[0].name, "child");
    assert!(r.report.events.iter().any(|e| e.contains("Memory cgroup out of memory: Killed process")));
    let g = r.report.processes[0].memcg.as_ref().unwrap();
    assert_eq!((g.events.oom, g.events.oom_kill), (1, 1));
    assert_eq!(r.report.processes[0].state, "running", "the parent survives its child");

    let high = r#"
[machine]
memory = "64MiB"
[swap]
size = "16MiB"
[reclaim]
verify = true
[[process]]
name = "throttled"
memory_high = "2MiB"
steps = [
  { op = "mmap", name = "a", len = "4MiB" },
  { op = "write", addr = "a", len = "4MiB", repeat = 2 },
]
"#;
    let r = run(high);
    let p = &r.report.processes[0];
    let g = p.memcg.as_ref().unwrap();
    assert_eq!(p.state, "running");
    assert!(g.events.high > 0 && g.events.oom == 0, "{g:?}");
    assert!(g.usage_pages <= 512, "{g:?}");
    assert!(p.swap_pages > 0);
    assert_eq!(r.report.stats.verify.failures, 0);
}
