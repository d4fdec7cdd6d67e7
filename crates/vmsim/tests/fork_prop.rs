//! Property test: no page is ever lost or mixed up through fork, copy-on-write, threads, MADV_DONTNEED, exit and
//! swap. Random sequences of operations on up to six tasks, in less RAM than they touch (so pages are swapped out
//! and in while shared), on two CPUs, are checked against a naive model: one map from page to contents per
//! address space, copied at fork, shared by threads. Every read must return what the model says; at the end every
//! page of every live task is read back, and once every task has exited no frame, swap slot or page table is left.

use proptest::prelude::*;
use std::collections::BTreeMap;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::reclaim::PolicyKind;
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{VirtAddr, PAGE_SIZE};

const PAGES: u64 = 40;
const MAX_TASKS: u8 = 6;

#[derive(Clone, Debug)]
enum Op {
    Write(u8, u64, u8),
    Read(u8, u64),
    Fork(u8),
    Thread(u8),
    Exit(u8),
    DontNeed(u8, u64, u64),
    SharedWrite(u8, u64, u8),
    SharedRead(u8, u64),
    SharedDontNeed(u8, u64),
}

/// Pages of the shared anonymous (MAP_SHARED) region every task inherits from the first.
const SHARED_PAGES: u64 = 16;

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let t = 0u8..MAX_TASKS;
    let p = 0..PAGES;
    let op = prop_oneof![
        8 => (t.clone(), p.clone(), any::<u8>()).prop_map(|(t, p, v)| Op::Write(t, p, v)),
        6 => (t.clone(), p.clone()).prop_map(|(t, p)| Op::Read(t, p)),
        2 => t.clone().prop_map(Op::Fork),
        1 => t.clone().prop_map(Op::Thread),
        1 => t.clone().prop_map(Op::Exit),
        1 => (t.clone(), p, 1u64..6).prop_map(|(t, p, n)| Op::DontNeed(t, p, n)),
        3 => (t.clone(), 0..SHARED_PAGES, any::<u8>()).prop_map(|(t, p, v)| Op::SharedWrite(t, p, v)),
        3 => (t.clone(), 0..SHARED_PAGES).prop_map(|(t, p)| Op::SharedRead(t, p)),
        1 => (t, 0..SHARED_PAGES).prop_map(|(t, p)| Op::SharedDontNeed(t, p)),
    ];
    proptest::collection::vec(op, 1..250)
}

/// A live task and the model address space it runs in.
struct Live {
    pid: Pid,
    space: usize,
}

fn contents(v: u8, page: u64) -> [u8; 8] {
    let mut b = [v; 8];
    b[0] = page.to_le_bytes()[0];
    b
}

/// `exact`: 24 frames for user pages, one eviction per fault (heavy swapping of shared pages); otherwise 160 frames
/// with watermarks and kswapd.
fn check(ops: Vec<Op>, policy: PolicyKind, exact: bool) -> Result<(), TestCaseError> {
    let frames = if exact { 24 } else { 160 };
    let cfg = KernelConfig {
        verify: true,
        cpus: 2,
        policy,
        exact,
        user_frames: frames as u64,
        zero_page: !exact,
        ..KernelConfig::default()
    };
    let mut k = Kernel::<X86FourLevel>::new(frames, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(4096), file: None }).unwrap();
    let baseline = k.frames_used();
    let first = k.spawn("t0", &Layout::default_for::<X86FourLevel>()).unwrap();
    let args = MmapArgs::anon_rw(PAGES * PAGE_SIZE);
    let base = k.mmap(first, &args).unwrap();
    let shared_args = MmapArgs { len: SHARED_PAGES * PAGE_SIZE, shared: true, ..args.clone() };
    let shared_base = k.mmap(first, &shared_args).unwrap();
    let sva = |p: u64| VirtAddr::new(shared_base.raw() + p * PAGE_SIZE);
    // One model for the shared region: every task descends from the first, so all map the same object.
    let mut shared: BTreeMap<u64, [u8; 8]> = BTreeMap::new();
    let va = |p: u64| VirtAddr::new(base.raw() + p * PAGE_SIZE);
    let mut spaces: Vec<BTreeMap<u64, [u8; 8]>> = vec![BTreeMap::new()];
    let mut live = vec![Live { pid: first, space: 0 }];
    let read = |k: &mut Kernel<X86FourLevel>, l: &Live, p: u64, spaces: &[BTreeMap<u64, [u8; 8]>], i: usize| {
        let mut buf = [0u8; 8];
        let r = k.read_user(l.pid, va(p), &mut buf);
        prop_assert!(matches!(r, AccessResult::Ok(_)), "op {i}: read by {:?} page {p}: {r:?}", l.pid);
        let want = spaces[l.space].get(&p).copied().unwrap_or([0; 8]);
        prop_assert_eq!(buf, want, "op {}: task {:?} page {}", i, l.pid, p);
        Ok(())
    };
    for (i, op) in ops.into_iter().enumerate() {
        let pick = |t: u8, n: usize| usize::from(t) % n;
        match op {
            Op::Write(t, p, v) => {
                let l = &live[pick(t, live.len())];
                let r = k.write_user(l.pid, va(p), &contents(v, p));
                prop_assert!(matches!(r, AccessResult::Ok(_)), "op {i}: write: {r:?}");
                spaces[l.space].insert(p, contents(v, p));
            }
            Op::Read(t, p) => {
                let l = &live[pick(t, live.len())];
                read(&mut k, l, p, &spaces, i)?;
            }
            Op::Fork(t) if live.len() < usize::from(MAX_TASKS) => {
                let parent = &live[pick(t, live.len())];
                let child = k.fork(parent.pid, "child").unwrap();
                spaces.push(spaces[parent.space].clone());
                live.push(Live { pid: child, space: spaces.len() - 1 });
            }
            Op::Thread(t) if live.len() < usize::from(MAX_TASKS) => {
                let parent = &live[pick(t, live.len())];
                let (pid, space) = (k.clone_thread(parent.pid, "thread").unwrap(), parent.space);
                live.push(Live { pid, space });
            }
            Op::Exit(t) if live.len() > 1 => {
                let l = live.remove(pick(t, live.len()));
                k.exit(l.pid);
            }
            Op::DontNeed(t, p, n) => {
                let l = &live[pick(t, live.len())];
                let n = n.min(PAGES - p);
                k.madvise(l.pid, va(p), n * PAGE_SIZE, "dontneed").unwrap();
                for q in p..p + n {
                    spaces[l.space].remove(&q);
                }
            }
            Op::SharedWrite(t, p, v) => {
                let l = &live[pick(t, live.len())];
                let r = k.write_user(l.pid, sva(p), &contents(v, p));
                prop_assert!(matches!(r, AccessResult::Ok(_)), "op {i}: shared write: {r:?}");
                shared.insert(p, contents(v, p));
            }
            Op::SharedRead(t, p) => {
                let l = &live[pick(t, live.len())];
                let mut buf = [0u8; 8];
                let r = k.read_user(l.pid, sva(p), &mut buf);
                prop_assert!(matches!(r, AccessResult::Ok(_)), "op {i}: shared read: {r:?}");
                prop_assert_eq!(buf, shared.get(&p).copied().unwrap_or([0; 8]), "op {}: shared page {}", i, p);
            }
            Op::SharedDontNeed(t, p) => {
                // MADV_DONTNEED on shared memory drops the mapping, not the contents.
                let l = &live[pick(t, live.len())];
                k.madvise(l.pid, sva(p), PAGE_SIZE, "dontneed").unwrap();
            }
            _ => {}
        }
    }
    for l in &live {
        for p in 0..PAGES {
            read(&mut k, l, p, &spaces, usize::MAX)?;
        }
        for p in 0..SHARED_PAGES {
            let mut buf = [0u8; 8];
            prop_assert!(matches!(k.read_user(l.pid, sva(p), &mut buf), AccessResult::Ok(_)));
            prop_assert_eq!(buf, shared.get(&p).copied().unwrap_or([0; 8]), "end: shared page {}", p);
        }
    }
    prop_assert_eq!(k.events.verify_failures, 0);
    prop_assert_eq!(k.events.rmap_unresolved, 0);
    for l in live {
        k.exit(l.pid);
    }
    prop_assert_eq!(k.swap.used_pages(), 0, "swap slots left after every task exited");
    prop_assert_eq!(k.frames_used(), baseline, "frames left after every task exited");
    prop_assert_eq!(k.page_table_frames, 0);
    prop_assert!(k.swap_cache.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn fork_cow_threads_and_swap_lose_nothing_linux(ops in ops()) {
        check(ops, PolicyKind::Linux, false)?;
    }

    #[test]
    fn fork_cow_threads_and_swap_lose_nothing_clock_24_frames(ops in ops()) {
        check(ops, PolicyKind::Clock, true)?;
    }

    #[test]
    fn fork_cow_threads_and_swap_lose_nothing_lru_24_frames(ops in ops()) {
        check(ops, PolicyKind::Lru, true)?;
    }

    #[test]
    fn fork_cow_threads_and_swap_lose_nothing_linux_24_frames(ops in ops()) {
        check(ops, PolicyKind::Linux, true)?;
    }
}
