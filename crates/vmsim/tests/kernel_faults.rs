//! Fault-handling vectors from LINUX-VM-SPEC §4 on x86-64 4-level paging.

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::Pte;
use vmsim::kernel::error::{Cause, Errno, SysOp};
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::signal::SegvCode;
use vmsim::kernel::task::{Pid, TaskState};
use vmsim::kernel::vma::VmFlags;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::mmu::Access;
use vmsim::{VirtAddr, PAGE_SIZE};

type K = Kernel<X86FourLevel>;

fn boot() -> (K, Pid) {
    let mut k = K::new(1024, &TlbConfig::default(), KernelConfig::default()).unwrap();
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    (k, pid)
}

fn anon(k: &mut K, pid: Pid, pages: u64, prot: &str) -> VirtAddr {
    let args = MmapArgs {
        addr: None,
        len: pages * PAGE_SIZE,
        prot: VmFlags::from_prot(prot).unwrap(),
        fixed: false,
        grows_down: false,
        shared: false,
        name: None,
        file: None,
        noreserve: false,
    };
    k.mmap(pid, &args).unwrap()
}

fn counters(k: &K, pid: Pid) -> (u64, u64, u64, u64) {
    let c = k.task(pid).unwrap().counters;
    (c.min_flt, c.maj_flt, k.events.pgfault, k.rss(pid).anon_pages)
}

fn page(base: VirtAddr, n: u64) -> VirtAddr {
    base.checked_add(n * PAGE_SIZE).unwrap()
}

#[test]
fn spec_4_demand_zero_and_zero_page_fault_counts() {
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 4, "rw");
    // read page 0 → zero page: 1 minor, RSS 0
    assert!(matches!(k.access(pid, page(base, 0), Access::Read), AccessResult::Ok(_)));
    assert_eq!(counters(&k, pid), (1, 0, 1, 0));
    assert_eq!(k.pte(pid, base).unwrap().pfn(), k.zero_pfn());
    // then write page 0 → replaced by a private page: 2 minor, RSS 1
    assert!(matches!(k.access(pid, page(base, 0), Access::Write), AccessResult::Ok(_)));
    assert_eq!(counters(&k, pid), (2, 0, 2, 1));
    assert_ne!(k.pte(pid, base).unwrap().pfn(), k.zero_pfn());
    // then write page 1 (no prior read) → 3 minor, RSS 2
    assert!(matches!(k.access(pid, page(base, 1), Access::Write), AccessResult::Ok(_)));
    assert_eq!(counters(&k, pid), (3, 0, 3, 2));
    // further accesses hit the TLB: no more faults
    for _ in 0..10 {
        k.access(pid, page(base, 1), Access::Write);
        k.access(pid, page(base, 0), Access::Read);
    }
    assert_eq!(counters(&k, pid), (3, 0, 3, 2));
}

#[test]
fn zero_page_reads_zero_and_written_data_reads_back() {
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 2, "rw");
    let mut buf = [0xAAu8; 16];
    k.read_user(pid, base, &mut buf);
    assert_eq!(buf, [0; 16]);
    // a write spanning the page boundary touches both pages
    let at = VirtAddr::new(base.raw() + PAGE_SIZE - 3);
    k.write_user(pid, at, b"abcdef");
    let mut back = [0u8; 6];
    k.read_user(pid, at, &mut back);
    assert_eq!(&back, b"abcdef");
}

#[test]
fn spec_4_segv_maperr_without_vma_does_not_count_pgfault() {
    let (mut k, pid) = boot();
    let r = k.access(pid, VirtAddr::new(0x1000), Access::Read);
    let AccessResult::Segv(info) = r else { panic!("{r:?}") };
    assert_eq!(info.code, SegvCode::MapErr);
    assert_eq!(info.code.si_code(), 1);
    assert_eq!(info.addr.raw(), 0x1000);
    assert_eq!(k.events.pgfault, 0);
    assert!(matches!(k.tasks[&pid].state, TaskState::Segv(_)));
    assert!(k.tasks[&pid].mm.is_none(), "memory freed");
}

#[test]
fn spec_4_write_to_read_only_vma_is_accerr() {
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 1, "r");
    assert!(matches!(k.access(pid, base, Access::Read), AccessResult::Ok(_)));
    let pgfault = k.events.pgfault;
    let r = k.access(pid, base, Access::Write);
    let AccessResult::Segv(info) = r else { panic!("{r:?}") };
    assert_eq!(info.code, SegvCode::AccErr);
    assert_eq!(info.code.si_code(), 2);
    assert_eq!(k.events.pgfault, pgfault, "rejected before handle_mm_fault");
}

#[test]
fn exec_from_readable_non_exec_vma_maps_then_accerr() {
    // SPEC §4.1 step 2: the fetch of a not-present page of a readable VMA is resolved first (minor fault),
    // and the retried fetch faults with P=1 and gets SEGV_ACCERR.
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 1, "r");
    let r = k.access(pid, base, Access::Fetch);
    let AccessResult::Segv(info) = r else { panic!("{r:?}") };
    assert_eq!(info.code, SegvCode::AccErr);
    assert_eq!(k.tasks[&pid].counters.min_flt, 1);
}

#[test]
fn segv_kills_one_process_others_go_on() {
    let (mut k, a) = boot();
    let b = k.spawn("b", &Layout::default_for::<X86FourLevel>()).unwrap();
    let pa = anon(&mut k, a, 1, "rw");
    let pb = anon(&mut k, b, 1, "rw");
    k.write_user(b, pb, b"still here");
    let used_before = k.frames_used();
    k.write_user(a, pa, b"x");
    assert!(k.frames_used() > used_before);
    assert!(matches!(k.access(a, VirtAddr::new(0x10), Access::Write), AccessResult::Segv(_)));
    let mut buf = [0u8; 10];
    assert!(matches!(k.read_user(b, pb, &mut buf), AccessResult::Ok(_)));
    assert_eq!(&buf, b"still here");
    // a's data page and all its page tables were freed
    assert!(k.frames_used() < used_before);
}

fn stack_setup(prev_gap: u64) -> (K, Pid, VirtAddr) {
    let (mut k, pid) = boot();
    let stack = k.mm_stack_start(pid);
    let prev_end = VirtAddr::new(stack.raw() - prev_gap);
    let args = MmapArgs {
        addr: Some(VirtAddr::new(prev_end.raw() - 16 * PAGE_SIZE)),
        len: 16 * PAGE_SIZE,
        prot: VmFlags::READ | VmFlags::WRITE,
        fixed: true,
        grows_down: false,
        shared: false,
        name: None,
        file: None,
        noreserve: false,
    };
    k.mmap(pid, &args).unwrap();
    (k, pid, stack)
}

trait StackStart {
    fn mm_stack_start(&self, pid: Pid) -> VirtAddr;
}
impl StackStart for K {
    fn mm_stack_start(&self, pid: Pid) -> VirtAddr {
        let mm = self.mm_of(pid).unwrap();
        mm.vmas.iter().find(|v| v.flags.contains(VmFlags::GROWSDOWN)).unwrap().start
    }
}

#[test]
fn spec_4_stack_guard_gap_too_close_is_maperr() {
    let (mut k, pid, s) = stack_setup(512 << 10);
    let pgfault = k.events.pgfault;
    let r = k.access(pid, VirtAddr::new(s.raw() - PAGE_SIZE), Access::Write);
    let AccessResult::Segv(info) = r else { panic!("{r:?}") };
    assert_eq!(info.code, SegvCode::MapErr);
    assert_eq!(k.events.pgfault, pgfault);
}

#[test]
fn spec_4_stack_grows_when_gap_is_large_enough() {
    let (mut k, pid, s) = stack_setup(2 << 20);
    let r = k.access(pid, VirtAddr::new(s.raw() - PAGE_SIZE), Access::Write);
    assert!(matches!(r, AccessResult::Ok(_)), "{r:?}");
    assert_eq!(k.events.pgfault, 1);
    assert_eq!(k.tasks[&pid].counters.min_flt, 1);
    assert_eq!(k.mm_stack_start(pid).raw(), s.raw() - PAGE_SIZE);
    assert_eq!(k.events.stack_grow, 1);
}

#[test]
fn stack_growth_respects_rlimit() {
    let (mut k, pid) = boot();
    let s = k.mm_stack_start(pid);
    let far = VirtAddr::new(s.raw() - (9 << 20)); // beyond the 8 MiB RLIMIT_STACK
    assert!(matches!(k.access(pid, far, Access::Write), AccessResult::Segv(_)));
}

#[test]
fn munmap_frees_pages_and_tables_and_later_access_segfaults() {
    let (mut k, pid) = boot();
    let before = k.frames_used();
    let base = anon(&mut k, pid, 8, "rw");
    for i in 0..8 {
        k.access(pid, page(base, i), Access::Write);
    }
    assert_eq!(k.rss(pid).anon_pages, 8);
    k.munmap(pid, base, 8 * PAGE_SIZE).unwrap();
    assert_eq!(k.rss(pid).anon_pages, 0);
    assert_eq!(k.frames_used(), before, "data pages and the page tables under them are freed");
    assert!(matches!(k.access(pid, base, Access::Read), AccessResult::Segv(_)));
}

#[test]
fn mprotect_read_only_then_write_is_accerr_and_back() {
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 2, "rw");
    k.write_user(pid, base, b"hi");
    k.mprotect(pid, base, PAGE_SIZE, VmFlags::READ).unwrap();
    let mut b = [0u8; 2];
    assert!(matches!(k.read_user(pid, base, &mut b), AccessResult::Ok(_)));
    // the TLB entry was flushed: the write must fault and be refused
    assert!(matches!(k.access(pid, base, Access::Write), AccessResult::Segv(_)));
}

#[test]
fn mprotect_unmapped_range_is_enomem() {
    let (mut k, pid) = boot();
    let base = anon(&mut k, pid, 1, "rw");
    let e = k.mprotect(pid, base, 2 * PAGE_SIZE, VmFlags::READ).unwrap_err();
    assert_eq!((e.op, e.addr, e.errno), (SysOp::Mprotect, Some(base), Errno::NoMem));
    assert!(matches!(e.cause, Cause::RangeNotMapped { start, .. } if start == base), "{e}");
}

#[test]
fn brk_grows_and_shrinks_heap() {
    let (mut k, pid) = boot();
    let start = k.mm_of(pid).unwrap().start_brk;
    let new = k.brk(pid, VirtAddr::new(start.raw() + 3 * PAGE_SIZE)).unwrap();
    assert_eq!(new.raw(), start.raw() + 3 * PAGE_SIZE);
    assert!(matches!(k.access(pid, VirtAddr::new(start.raw() + 2 * PAGE_SIZE), Access::Write), AccessResult::Ok(_)));
    k.brk(pid, VirtAddr::new(start.raw() + PAGE_SIZE)).unwrap();
    assert!(matches!(k.access(pid, VirtAddr::new(start.raw() + 2 * PAGE_SIZE), Access::Read), AccessResult::Segv(_)));
}

#[test]
fn non_canonical_address_is_sigsegv_si_kernel() {
    let (mut k, pid) = boot();
    let r = k.access(pid, VirtAddr::new(0x0000_8000_0000_0000), Access::Read);
    let AccessResult::Segv(info) = r else { panic!("{r:?}") };
    assert_eq!(info.code, SegvCode::Kernel);
}

/// `expand_downwards()` refuses to grow a stack below `mmap_min_addr` (65536): the fault is SEGV_MAPERR, as
/// there is no VMA there (mm/mmap.c: `if (address < mmap_min_addr) return -EPERM;`).
#[test]
fn stack_does_not_grow_below_mmap_min_addr() {
    let (mut k, pid) = boot();
    let args = MmapArgs {
        addr: Some(VirtAddr::new(0x20000)),
        len: 0x10000,
        prot: VmFlags::READ | VmFlags::WRITE,
        fixed: true,
        grows_down: true,
        shared: false,
        name: None,
        file: None,
        noreserve: false,
    };
    k.mmap(pid, &args).unwrap();
    // 0x10000 is at mmap_min_addr: the stack may grow to it.
    assert!(matches!(k.write_user(pid, VirtAddr::new(0x1f000), &[1]), AccessResult::Ok(_)));
    assert!(matches!(k.write_user(pid, VirtAddr::new(0x10000), &[1]), AccessResult::Ok(_)));
    // One page lower is below mmap_min_addr: SIGSEGV, SEGV_MAPERR.
    match k.write_user(pid, VirtAddr::new(0xf000), &[1]) {
        AccessResult::Segv(info) => assert_eq!(info.code, SegvCode::MapErr),
        other => panic!("{other:?}"),
    }
}
