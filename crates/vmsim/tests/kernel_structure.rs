//! Issue 8, the kernel's structure: several CPUs with their own TLBs see every page-table change another CPU
//! makes (shootdowns), PCID slots are reused safely with more address spaces than slots, kswapd runs as a kernel
//! thread, and reclaim never frees a page whose reverse map it could not resolve.

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::cpu::{CpuId, TLB_NR_DYN_ASIDS};
use vmsim::kernel::kthread::KthreadKind;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::phys::rmap::{self, MmId, RmapEntry};
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{VirtAddr, Vpn, PAGE_SIZE};

type K = Kernel<X86FourLevel>;

fn boot(frames: usize, cpus: usize) -> K {
    let cfg = KernelConfig { verify: true, cpus, ..KernelConfig::default() };
    let mut k = K::new(frames, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(8192), file: None }).unwrap();
    k
}

fn region(k: &mut K, pid: Pid, pages: u64) -> VirtAddr {
    let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
    k.mmap(pid, &args).unwrap()
}

fn page(base: VirtAddr, n: u64) -> VirtAddr {
    VirtAddr::new(base.raw() + n * PAGE_SIZE)
}

fn stamp(who: u32, n: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&who.to_le_bytes());
    b[8..].copy_from_slice(&n.to_le_bytes());
    b
}

/// Process B (on CPU 1) caches its translations; A (on CPU 0) then needs more memory than is free, so reclaim on
/// CPU 0 evicts B's pages and reuses their frames for A. If the flush did not reach CPU 1, B would read A's data
/// through a stale TLB entry. Each of B's pages must read back as B wrote it, and the flushes must be IPIs.
#[test]
fn reclaim_on_one_cpu_shoots_down_another_cpus_tlb() {
    let mut k = boot(1024, 2);
    let a = k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap();
    let b = k.spawn("b", &Layout::default_for::<X86FourLevel>()).unwrap();
    assert_eq!(k.task(a).unwrap().cpu, CpuId(0));
    assert_eq!(k.task(b).unwrap().cpu, CpuId(1));
    let (ra, rb) = (region(&mut k, a, 2048), region(&mut k, b, 256));
    for n in 0..256 {
        assert!(matches!(k.write_user(b, page(rb, n), &stamp(2, n)), AccessResult::Ok(_)));
    }
    // Read them once more so every translation sits in CPU 1's TLB.
    let mut buf = [0u8; 16];
    for n in 0..256 {
        assert!(matches!(k.read_user(b, page(rb, n), &mut buf), AccessResult::Ok(_)));
    }
    for n in 0..2048 {
        assert!(matches!(k.write_user(a, page(ra, n), &stamp(1, n)), AccessResult::Ok(_)));
    }
    assert!(k.events.pswpout > 256, "A's pages pushed B's out: {:?}", k.events);
    assert!(k.events.tlb_shootdown_ipis > 0, "flushes of B's pages reached CPU 1 by IPI");
    assert!(k.cpus.get(CpuId(1)).counters.shootdowns_received > 0);
    for n in 0..256 {
        assert!(matches!(k.read_user(b, page(rb, n), &mut buf), AccessResult::Ok(_)));
        assert_eq!(buf, stamp(2, n), "B's page {n}");
    }
    for n in (0..2048).step_by(97) {
        assert!(matches!(k.read_user(a, page(ra, n), &mut buf), AccessResult::Ok(_)));
        assert_eq!(buf, stamp(1, n), "A's page {n}");
    }
    assert_eq!((k.events.verify_failures, k.events.rmap_unresolved), (0, 0));
}

/// More address spaces than a CPU has PCID slots: slots are reused, each reuse flushes the slot, and no process
/// ever reads another's page through a translation tagged with a reused PCID.
#[test]
fn more_mms_than_pcid_slots_never_alias() {
    let mut k = boot(4096, 1);
    let n = u32::try_from(TLB_NR_DYN_ASIDS).unwrap() + 4;
    let pids: Vec<Pid> =
        (0..n).map(|i| k.spawn(&format!("p{i}"), &Layout::default_for::<X86FourLevel>()).unwrap()).collect();
    // Same virtual addresses in every process, different contents.
    let bases: Vec<VirtAddr> = pids.iter().map(|&p| region(&mut k, p, 8)).collect();
    assert!(bases.windows(2).all(|w| w[0] == w[1]), "same layout, same addresses");
    let mut buf = [0u8; 16];
    for round in 0..3u64 {
        for (i, &p) in (0u32..).zip(&pids) {
            for pg in 0..8 {
                let want = stamp(i, pg + round);
                if round == 0 || pg % 2 == 0 {
                    assert!(matches!(k.write_user(p, page(bases[i as usize], pg), &want), AccessResult::Ok(_)));
                }
            }
        }
        for (i, &p) in (0u32..).zip(&pids) {
            for pg in 0..8 {
                assert!(matches!(k.read_user(p, page(bases[i as usize], pg), &mut buf), AccessResult::Ok(_)));
                let last_write = if round == 0 || pg % 2 == 0 { round } else { 0 };
                assert_eq!(buf, stamp(i, pg + last_write), "process {i} page {pg} round {round}");
            }
        }
    }
    assert!(k.cpus.get(CpuId(0)).counters.asid_flushes > u64::from(n), "slots were reused and flushed");
}

/// kswapd is a kernel thread: an allocation at the low watermark wakes it, it runs at fault exits, reclaims in
/// batches, and sleeps once free memory reaches the high watermark.
#[test]
fn kswapd_runs_as_a_kernel_thread_and_sleeps_when_balanced() {
    let mut k = boot(2048, 1);
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    let base = region(&mut k, pid, 4096);
    for n in 0..4096 {
        assert!(matches!(k.write_user(pid, page(base, n), &stamp(0, n)), AccessResult::Ok(_)));
    }
    let t = *k.kthreads.get(KthreadKind::Kswapd);
    assert!(t.wakeups > 0 && t.runs >= t.wakeups, "{t:?}");
    assert!(k.events.pgscan_kswapd > 0 && k.events.pgsteal_kswapd > 0);
    assert!(k.clock.now_ns() > 0, "time passed");
    // Freeing memory balances the zone: a run finds nothing to do and sleeps.
    k.munmap(pid, base, 4096 * PAGE_SIZE).unwrap();
    k.kthreads.wake(KthreadKind::Kswapd);
    let stolen = k.events.pgsteal_kswapd;
    k.schedule_kthreads(true);
    assert!(!k.kthreads.is_awake(KthreadKind::Kswapd));
    assert_eq!(k.events.pgsteal_kswapd, stolen, "balanced: nothing reclaimed");
}

/// A reverse-map entry that leads nowhere must stop reclaim from freeing the page (freeing it would leave the
/// real PTE pointing at a free frame). The page stays mapped, intact, and the error is counted and logged.
#[test]
fn reclaim_keeps_a_page_whose_rmap_it_cannot_resolve() {
    let mut k = boot(512, 1);
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    let base = region(&mut k, pid, 2048);
    assert!(matches!(k.write_user(pid, page(base, 0), &stamp(7, 0)), AccessResult::Ok(_)));
    let pfn = k.pte(pid, page(base, 0)).unwrap_or_else(|| panic!("mapped")).pfn();
    // Corrupt the model: a mapping by an address space that does not exist.
    rmap::add(&mut k.mem, pfn, RmapEntry::pte(MmId(999), Vpn::new(5)));
    for n in 1..2048 {
        assert!(matches!(k.write_user(pid, page(base, n), &stamp(7, n)), AccessResult::Ok(_)));
    }
    assert!(k.events.rmap_unresolved > 0, "the bad entry was met and counted");
    assert!(k.log.iter().any(|e| e.what.contains("maps nothing")), "and logged");
    let pte = k.pte(pid, page(base, 0)).unwrap();
    use vmsim::arch::Pte;
    assert!(pte.is_present() && pte.pfn() == pfn, "the page was kept where it was");
    let mut buf = [0u8; 16];
    assert!(matches!(k.read_user(pid, page(base, 0), &mut buf), AccessResult::Ok(_)));
    assert_eq!(buf, stamp(7, 0));
    // Everything else swapped and came back intact.
    for n in (1..2048).step_by(31) {
        assert!(matches!(k.read_user(pid, page(base, n), &mut buf), AccessResult::Ok(_)));
        assert_eq!(buf, stamp(7, n), "page {n}");
    }
    assert_eq!(k.events.verify_failures, 0);
}

/// Threads of one process on two CPUs: one unmaps a page the other has cached. The unmapping CPU must shoot the
/// other CPU's entry down (an IPI: the mm is loaded there), so the other thread's next access faults (SIGSEGV: the
/// page is gone) instead of reading a freed frame.
#[test]
fn munmap_by_one_thread_shoots_down_the_other_threads_cpu() {
    let mut k = boot(1024, 2);
    let a = k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap();
    let r = region(&mut k, a, 4);
    let b = k.clone_thread(a, "b").unwrap();
    assert_ne!(k.task(a).unwrap().cpu, k.task(b).unwrap().cpu, "the thread runs on the other CPU");
    assert_eq!(k.task(b).unwrap().tgid, a);
    assert!(matches!(k.write_user(a, page(r, 0), &stamp(1, 0)), AccessResult::Ok(_)));
    let mut buf = [0u8; 16];
    assert!(matches!(k.read_user(b, page(r, 0), &mut buf), AccessResult::Ok(_)));
    assert_eq!(buf, stamp(1, 0), "threads share the address space");
    let ipis = k.events.tlb_shootdown_ipis;
    k.munmap(a, r, 4 * PAGE_SIZE).unwrap();
    assert!(k.events.tlb_shootdown_ipis > ipis, "CPU 1 had the mm loaded: an IPI");
    let res = k.read_user(b, page(r, 0), &mut buf);
    assert!(matches!(res, AccessResult::Segv(_)), "{res:?}");
    // SIGSEGV ends the whole thread group.
    assert!(!k.task(a).unwrap().is_running() && !k.task(b).unwrap().is_running());
    assert_eq!(k.frames_used(), 1, "only the zero page is left");
}

/// A munmap of a few pages is one mmu_gather: one `flush_tlb_mm_range` for the range, so one shootdown IPI to each
/// other CPU running the mm (a thread there), however many pages (up to the 33-page ceiling) it drops.
#[test]
fn munmap_sends_one_ipi_per_remote_cpu_not_one_per_page() {
    let mut k = boot(1024, 2);
    let a = k.spawn("a", &Layout::default_for::<X86FourLevel>()).unwrap();
    let va = k.mmap(a, &MmapArgs::anon_rw(16 * PAGE_SIZE)).unwrap();
    for i in 0..16 {
        assert!(matches!(k.write_user(a, VirtAddr::new(va.raw() + i * PAGE_SIZE), &[1]), AccessResult::Ok(_)));
    }
    let t = k.clone_thread(a, "t").unwrap();
    assert!(k.set_task_cpu(t, CpuId(1)) && k.set_task_cpu(a, CpuId(0)));
    let mut b = [0u8];
    for i in 0..16 {
        assert!(matches!(k.read_user(t, VirtAddr::new(va.raw() + i * PAGE_SIZE), &mut b), AccessResult::Ok(_)));
    }
    let _ = k.enter(a); // the caller runs on CPU 0
    let before = k.events.tlb_shootdown_ipis;
    k.munmap(a, va, 16 * PAGE_SIZE).unwrap();
    assert_eq!(k.events.tlb_shootdown_ipis - before, 1);
}
