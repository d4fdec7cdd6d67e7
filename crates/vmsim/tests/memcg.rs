//! A per-group memory limit (cgroup v2 `memory.max`) reclaims inside the group (LINUX-VM-SPEC §5).

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::{Pid, TaskState};
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{VirtAddr, PAGE_SIZE};

type K = Kernel<X86FourLevel>;

fn boot(swap: bool) -> K {
    let cfg = KernelConfig { verify: true, ..KernelConfig::default() };
    let mut k = K::new(4096, &TlbConfig::default(), cfg).unwrap();
    if swap {
        k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(2048), file: None }).unwrap();
    }
    k
}

fn fill(k: &mut K, pid: Pid, pages: u64) -> Vec<AccessResult> {
    let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
    let base = k.mmap(pid, &args).unwrap();
    let mut out = Vec::new();
    for p in 0..pages {
        out.push(k.write_user(pid, VirtAddr::new(base.raw() + p * PAGE_SIZE), &p.to_le_bytes()));
        if let Some(g) = k.task(pid).and_then(|t| k.memcgs.get(&t.memcg)) {
            assert!(g.usage <= g.limit_pages, "usage {} over limit {}", g.usage, g.limit_pages);
        }
    }
    for p in 0..pages {
        let mut b = [0u8; 8];
        if matches!(k.read_user(pid, VirtAddr::new(base.raw() + p * PAGE_SIZE), &mut b), AccessResult::Ok(_)) {
            assert_eq!(u64::from_le_bytes(b), p);
        }
    }
    out
}

#[test]
fn limit_reclaims_inside_the_group_only() {
    let mut k = boot(true);
    let free = k.spawn("free", &Layout::default_for::<X86FourLevel>()).unwrap();
    let capped = k.spawn("capped", &Layout::default_for::<X86FourLevel>()).unwrap();
    let group = k.set_memory_max(capped, 64);
    fill(&mut k, free, 500);
    fill(&mut k, capped, 300);
    // RAM is plentiful: only the capped group was reclaimed, and it stayed within its limit.
    assert_eq!(k.rss(free).swap_ents, 0);
    assert_eq!(k.rss(free).anon_pages, 500);
    let g = &k.memcgs[&group];
    assert!(g.usage <= 64 && g.reclaimed > 200 && g.max_events > 0, "{g:?}");
    assert!(k.rss(capped).anon_pages <= 64);
    assert!(k.events.pswpout > 200);
    assert_eq!(k.events.verify_failures, 0);
}

#[test]
fn without_swap_the_group_oom_killer_ends_the_process() {
    let mut k = boot(false);
    let capped = k.spawn("capped", &Layout::default_for::<X86FourLevel>()).unwrap();
    let other = k.spawn("other", &Layout::default_for::<X86FourLevel>()).unwrap();
    let group = k.set_memory_max(capped, 32);
    let r = fill(&mut k, capped, 100);
    assert!(r.iter().any(|r| matches!(r, AccessResult::OutOfMemory)));
    assert_eq!(k.tasks[&capped].state, TaskState::OutOfMemory);
    assert_eq!(k.memcgs[&group].oom_kills, 1);
    // The rest of the machine goes on.
    let r = fill(&mut k, other, 100);
    assert!(r.iter().all(|r| matches!(r, AccessResult::Ok(_))));
}

fn region(k: &mut K, pid: Pid, pages: u64) -> VirtAddr {
    let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
    k.mmap(pid, &args).unwrap()
}

/// Reclaim at a group's `memory.max` is `cgroup_reclaim()`: mm/vmscan.c `shrink_inactive_list` counts it with
/// `count_memcg_events()` only (the group's memory.stat), and gates `__count_vm_events()` (/proc/vmstat) on
/// `!cgroup_reclaim(sc)`. Every page taken from the inactive list counts as scanned, also those rotated because
/// their fault left them young.
#[test]
fn limit_reclaim_counts_in_the_group_not_in_vmstat() {
    let mut k = boot(true);
    let capped = k.spawn("capped", &Layout::default_for::<X86FourLevel>()).unwrap();
    let group = k.set_memory_max(capped, 64);
    fill(&mut k, capped, 300);
    let e = &k.events;
    assert_eq!((e.pgscan_kswapd, e.pgscan_direct, e.pgsteal_kswapd, e.pgsteal_direct), (0, 0, 0, 0));
    let g = &k.memcgs[&group];
    assert!(g.reclaimed > 200);
    assert_eq!(g.stat.pgsteal_direct, g.reclaimed, "limit reclaim is direct reclaim");
    assert_eq!((g.stat.pgscan_kswapd, g.stat.pgsteal_kswapd), (0, 0));
    // Each new page is young from its fault: the first trip to the inactive tail rotates it, the second takes it.
    assert!(g.stat.pgscan_direct > g.stat.pgsteal_direct, "{:?}", g.stat);
    assert_eq!(g.stat.pgscan(), g.stat.pgscan_direct);
}

/// Global reclaim that takes pages from a group's lists counts in /proc/vmstat and in the group's memory.stat
/// (`count_memcg_events(lruvec_memcg(lruvec), ..)` is not gated).
#[test]
fn global_reclaim_of_a_group_counts_in_both() {
    let cfg = KernelConfig { verify: true, ..KernelConfig::default() };
    let mut k = K::new(1024, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(4096), file: None }).unwrap();
    let grouped = k.spawn("grouped", &Layout::default_for::<X86FourLevel>()).unwrap();
    let free = k.spawn("free", &Layout::default_for::<X86FourLevel>()).unwrap();
    let group = k.set_memory_max(grouped, 1 << 20);
    fill(&mut k, grouped, 700);
    fill(&mut k, free, 700);
    let g = &k.memcgs[&group];
    assert_eq!(g.max_events, 0, "no limit reclaim");
    assert!(g.stat.pgsteal() > 0, "global reclaim took the group's pages: {:?}", g.stat);
    let e = &k.events;
    assert!(e.pgscan_kswapd >= g.stat.pgscan_kswapd && e.pgscan_direct >= g.stat.pgscan_direct);
    assert!(e.pgsteal_kswapd >= g.stat.pgsteal_kswapd && e.pgsteal_direct >= g.stat.pgsteal_direct);
    assert!(e.pgscan_kswapd + e.pgscan_direct > e.pgsteal_kswapd + e.pgsteal_direct, "rotations are scans");
    assert_eq!(e.verify_failures, 0);
}

/// `pgactivate`/`pgdeactivate` are node-wide and not gated on `cgroup_reclaim()`: activations in a group's lists
/// count in /proc/vmstat too. x86 clears Accessed bits without a TLB flush (arch/x86/mm/pgtable.c
/// `ptep_clear_flush_young`), so a hot page whose translation stays cached never looks young again: here another
/// process runs between the hot reads and, without PCIDs, each switch flushes the TLB (CR3 write), so every hot
/// read walks and sets A.
#[test]
fn activations_in_a_group_count_in_pgactivate() {
    let cfg = KernelConfig { verify: true, pcid: false, ..KernelConfig::default() };
    let mut k = K::new(4096, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(2048), file: None }).unwrap();
    let capped = k.spawn("capped", &Layout::default_for::<X86FourLevel>()).unwrap();
    let other = k.spawn("other", &Layout::default_for::<X86FourLevel>()).unwrap();
    let group = k.set_memory_max(capped, 32);
    let hot = region(&mut k, capped, 1);
    let cold = region(&mut k, capped, 200);
    let elsewhere = region(&mut k, other, 1);
    assert!(matches!(k.write_user(capped, hot, &[1]), AccessResult::Ok(_)));
    let mut b = [0u8];
    for p in 0..200 {
        assert!(matches!(k.write_user(capped, VirtAddr::new(cold.raw() + p * PAGE_SIZE), &[2]), AccessResult::Ok(_)));
        assert!(matches!(k.read_user(other, elsewhere, &mut b), AccessResult::Ok(_)));
        assert!(matches!(k.read_user(capped, hot, &mut b), AccessResult::Ok(_)));
    }
    let group_stats = k.memcgs[&group].lru.stats();
    assert!(group_stats.activations > 0, "the hot page was activated in the group: {group_stats:?}");
    let all = k.lru_stats();
    assert_eq!(all.activations, k.lru.stats().activations + group_stats.activations);
    assert_eq!(all.deactivations, k.lru.stats().deactivations + group_stats.deactivations);
    assert_eq!(k.rss(capped).swap_ents + k.rss(capped).anon_pages, 201);
}

/// `folio_check_references()`: `if (referenced_folio || referenced_ptes > 1) return FOLIOREF_ACTIVATE;`. Pages a
/// forked child shares with its parent and that both used since the last scan are young in two mappings: they are
/// activated at their first scan, where a page used through one mapping is only rotated.
#[test]
fn pages_young_in_two_processes_are_activated_at_first_scan() {
    let activations = |child_reads: bool| {
        let mut k = boot(true);
        let parent = k.spawn("parent", &Layout::default_for::<X86FourLevel>()).unwrap();
        let group = k.set_memory_max(parent, 64);
        let shared = region(&mut k, parent, 32);
        let mut b = [0u8];
        for p in 0..32 {
            let va = VirtAddr::new(shared.raw() + p * PAGE_SIZE);
            assert!(matches!(k.write_user(parent, va, &[1]), AccessResult::Ok(_)));
        }
        let child = k.fork(parent, "child").unwrap();
        for p in 0..32 {
            let va = VirtAddr::new(shared.raw() + p * PAGE_SIZE);
            assert!(matches!(k.read_user(parent, va, &mut b), AccessResult::Ok(_)));
            if child_reads {
                assert!(matches!(k.read_user(child, va, &mut b), AccessResult::Ok(_)));
            }
        }
        // New pages push the shared ones to the inactive tail and through reclaim at the limit.
        let more = region(&mut k, parent, 64);
        for p in 0..64 {
            assert!(matches!(
                k.write_user(parent, VirtAddr::new(more.raw() + p * PAGE_SIZE), &[2]),
                AccessResult::Ok(_)
            ));
        }
        k.memcgs[&group].lru.stats().activations
    };
    let (one, two) = (activations(false), activations(true));
    assert!(two >= one + 32, "every shared page used by both is activated: {one} vs {two}");
}
