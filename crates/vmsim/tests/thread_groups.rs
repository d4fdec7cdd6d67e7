//! Issue 9 audit: thread groups and wait4. A thread-group leader that has exited while another thread of its group
//! still runs is not reaped (kernel/exit.c `wait_consider_task`: an `EXIT_ZOMBIE` is reaped only if
//! `!delay_group_leader(p)`; include/linux/sched/signal.h `delay_group_leader` = `thread_group_leader(p) &&
//! !thread_group_empty(p)`): wait blocks until the last thread has gone. `exit_group` ends every thread of the group
//! (kernel/exit.c `do_group_exit` → `zap_other_threads`), as a fatal signal does.

use std::path::Path;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::config::Scenario;
use vmsim::kernel::fork::WaitStatus;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::{Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;
use vmsim::PAGE_SIZE;

type K = Kernel<X86FourLevel>;

#[test]
fn a_leader_whose_threads_still_run_is_not_reaped() {
    let mut k = K::new(1024, &TlbConfig::default(), KernelConfig::default()).unwrap();
    let layout = Layout::default_for::<X86FourLevel>();
    let parent = k.spawn("parent", &layout).unwrap();
    let child = k.fork(parent, "child").unwrap();
    let _ = k.mmap(child, &MmapArgs::anon_rw(4 * PAGE_SIZE)).unwrap();
    let thread = k.clone_thread(child, "thread").unwrap();
    assert_eq!(k.wait(parent, Some(child)).unwrap(), WaitStatus::WouldBlock);
    k.exit(child); // the leader alone: the thread goes on in the same mm
    assert!(k.task(thread).unwrap().is_running());
    assert_eq!(k.wait(parent, Some(child)).unwrap(), WaitStatus::WouldBlock, "delay_group_leader");
    assert_eq!(k.wait(parent, None).unwrap(), WaitStatus::WouldBlock, "wait4(-1) too");
    k.exit(thread);
    assert_eq!(k.wait(parent, Some(child)).unwrap(), WaitStatus::Reaped(child));
    assert!(k.wait(parent, None).is_err(), "ECHILD: nothing left to wait for");
}

#[test]
fn exit_group_ends_every_thread_and_frees_the_mm() {
    let mut k = K::new(1024, &TlbConfig::default(), KernelConfig::default()).unwrap();
    let layout = Layout::default_for::<X86FourLevel>();
    let parent = k.spawn("parent", &layout).unwrap();
    let child = k.fork(parent, "child").unwrap();
    let mm = k.task(child).unwrap().mm.unwrap();
    let threads = [k.clone_thread(child, "a").unwrap(), k.clone_thread(child, "b").unwrap()];
    assert_eq!(k.mms.get(mm).unwrap().users, 3);
    k.exit_group(threads[1]); // from a thread that is not the leader
    for t in [child, threads[0], threads[1]] {
        assert!(!k.task(t).unwrap().is_running(), "task {t:?} still runs");
    }
    assert!(k.mms.get(mm).is_none(), "the mm went with its last user");
    assert!(k.task(parent).unwrap().is_running(), "the parent is another group");
    assert_eq!(k.wait(parent, Some(child)).unwrap(), WaitStatus::Reaped(child));
}

/// Run a scenario; returns how many `expect` steps failed and whether every task has ended.
fn run(text: &str) -> (u64, bool) {
    let path = Path::new("test.toml");
    let (sc, cfg) = Scenario::parse(path, text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(path, text, &sc).unwrap_or_else(|e| panic!("{e}"));
        (m.expect_failures, m.kernel.processes().all(|t| !t.is_running()))
    })
}

/// The child's leader exits at once; its thread writes the shared page three turns later. The parent's wait must
/// not return before the thread has gone, so the parent then reads the thread's text.
#[test]
fn scenario_wait_returns_only_when_the_whole_group_has_exited() {
    let text = r#"
[machine]
memory = "16MiB"
cpus = 2

[[process]]
name = "parent"
steps = [
  { op = "mmap", name = "flag", len = "4KiB", prot = "rw", shared = true },
  { op = "store", addr = "flag", text = "init" },
  { op = "fork", child = "child" },
  { op = "wait", child = "child" },
  { op = "expect", addr = "flag", text = "done" },
  { op = "exit" },
]

[[process]]
name = "child"
steps = [
  { op = "thread", child = "worker" },
  { op = "exit" },
]

[[process]]
name = "worker"
steps = [
  { op = "read", addr = "flag" },
  { op = "read", addr = "flag" },
  { op = "read", addr = "flag" },
  { op = "store", addr = "flag", text = "done" },
  { op = "exit" },
]
"#;
    assert_eq!(run(text), (0, true));
}

/// `exit_group` from the worker thread ends the leader before the leader's store: the text stays "init".
#[test]
fn scenario_exit_group_ends_the_other_threads() {
    let text = r#"
[machine]
memory = "16MiB"
cpus = 2

[[process]]
name = "parent"
steps = [
  { op = "mmap", name = "flag", len = "4KiB", prot = "rw", shared = true },
  { op = "store", addr = "flag", text = "init" },
  { op = "fork", child = "child" },
  { op = "wait", child = "child" },
  { op = "expect", addr = "flag", text = "init" },
  { op = "exit" },
]

[[process]]
name = "child"
steps = [
  { op = "thread", child = "worker" },
  { op = "read", addr = "flag" },
  { op = "read", addr = "flag" },
  { op = "store", addr = "flag", text = "late" },
]

[[process]]
name = "worker"
steps = [
  { op = "exit_group" },
]
"#;
    assert_eq!(run(text), (0, true));
}

#[test]
fn exit_group_takes_no_fields() {
    let text = r#"
[[process]]
name = "p"
steps = [ { op = "exit_group", code = 1 } ]
"#;
    let err = Scenario::parse(Path::new("t.toml"), text, &[]).unwrap_err().to_string();
    assert!(err.contains("exit_group takes no fields"), "{err}");
}
