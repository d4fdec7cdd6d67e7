//! A per-group memory limit (cgroup v2 `memory.max`) reclaims inside the group (LINUX-VM-SPEC §5).

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::{Pid, TaskState};
use vmsim::kernel::vma::VmFlags;
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
    let args = MmapArgs {
        addr: None,
        len: pages * PAGE_SIZE,
        prot: VmFlags::READ | VmFlags::WRITE,
        fixed: false,
        grows_down: false,
        name: None,
    };
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
