//! Typed errors of the kernel's operations: each failure names its operation, address, Linux errno and cause.

use vmsim::arch::linear::Linear;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::error::{Cause, Errno, SysError, SysOp};
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::vma::VmFlags;
use vmsim::kernel::{Kernel, KernelConfig, KernelError, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::swap::{SwapDeviceConfig, SwapEntry, SwapFileError};
use vmsim::{Pfn, VirtAddr, Vpn, PAGE_SIZE};

fn args(addr: Option<u64>, len: u64, fixed: bool) -> MmapArgs {
    MmapArgs {
        addr: addr.map(VirtAddr::new),
        len,
        prot: VmFlags::READ | VmFlags::WRITE,
        fixed,
        grows_down: false,
        shared: false,
        name: None,
        file: None,
        noreserve: false,
    }
}

fn x86() -> (Kernel<X86FourLevel>, Pid) {
    let mut k = Kernel::new(1024, &TlbConfig::default(), KernelConfig::default()).unwrap();
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    (k, pid)
}

/// The seed note's machine: 8 frames, linear table, pages 0..4 mapped.
fn linear() -> (Kernel<Linear>, Pid) {
    let mut k = Kernel::new(8, &TlbConfig::default(), KernelConfig::default()).unwrap();
    let pid = k.spawn("t", &Layout::default_for::<Linear>()).unwrap();
    k.mmap(pid, &args(Some(0), 4 * PAGE_SIZE, true)).unwrap();
    (k, pid)
}

fn one_line(e: &SysError) {
    let s = e.to_string();
    assert!(!s.contains('\n') && s.starts_with(e.op.name()) && s.ends_with(&format!("({})", e.errno)), "{s}");
}

#[test]
fn mmap_of_length_zero_is_einval() {
    let (mut k, pid) = x86();
    let e = k.mmap(pid, &args(None, 0, false)).unwrap_err();
    assert_eq!((e.op, e.addr, e.errno, e.errno.errno()), (SysOp::Mmap, None, Errno::Inval, 22));
    assert!(matches!(e.cause, Cause::ZeroLength));
    assert_eq!(e.to_string(), "mmap: length is 0 (EINVAL)");
}

#[test]
fn mmap_errors_carry_the_address() {
    let (mut k, pid) = x86();
    let e = k.mmap(pid, &args(Some(0x1001), PAGE_SIZE, true)).unwrap_err();
    assert_eq!((e.op, e.addr, e.errno), (SysOp::Mmap, Some(VirtAddr::new(0x1001)), Errno::Inval));
    assert!(matches!(e.cause, Cause::Unaligned));
    one_line(&e);
    let e = k.mmap(pid, &args(Some(1 << 47), PAGE_SIZE, true)).unwrap_err();
    assert_eq!(e.errno, Errno::NoMem);
    assert!(matches!(e.cause, Cause::BeyondTaskSize { .. }), "{e}");
    let e = k.mmap(pid, &args(None, u64::MAX, false)).unwrap_err();
    assert!(matches!(e.cause, Cause::LengthOverflow { len: u64::MAX }), "{e}");
    let e = k.mmap(pid, &args(None, 1 << 47, false)).unwrap_err();
    assert_eq!(e.errno, Errno::NoMem);
    assert!(matches!(e.cause, Cause::NoAddressSpace { len } if len == 1 << 47), "{e}");
}

#[test]
fn munmap_and_mprotect_errors() {
    let (mut k, pid) = x86();
    let e = k.munmap(pid, VirtAddr::new(0x1234), PAGE_SIZE).unwrap_err();
    assert_eq!((e.op, e.errno), (SysOp::Munmap, Errno::Inval));
    assert!(matches!(e.cause, Cause::Unaligned));
    let e = k.munmap(pid, VirtAddr::new(!0xfff), 2 * PAGE_SIZE).unwrap_err();
    assert_eq!(e.errno, Errno::Inval);
    assert!(matches!(e.cause, Cause::RangeOverflow));
    let e = k.mprotect(pid, VirtAddr::new(0x10_0000), 0, VmFlags::READ).unwrap_err();
    assert_eq!((e.op, e.errno), (SysOp::Mprotect, Errno::Inval));
    assert!(matches!(e.cause, Cause::ZeroLength));
}

#[test]
fn operations_on_an_exited_process_are_esrch() {
    let (mut k, pid) = x86();
    k.exit(pid);
    let e = k.mmap(pid, &args(None, PAGE_SIZE, false)).unwrap_err();
    assert_eq!((e.op, e.errno, e.errno.errno()), (SysOp::Mmap, Errno::Srch, 3));
    assert!(matches!(e.cause, Cause::ProcessNotRunning));
    let e = k.brk(pid, VirtAddr::new(0x5555_5556_0000)).unwrap_err();
    assert_eq!((e.op, e.errno), (SysOp::Brk, Errno::Srch));
    let e = k.pin(pid, Vpn::new(0), Pfn::from_index(1)).unwrap_err();
    assert_eq!((e.op, e.errno), (SysOp::Pin, Errno::Srch));
}

#[test]
fn pin_to_a_frame_in_use_is_ebusy() {
    let (mut k, pid) = linear();
    k.pin(pid, Vpn::new(0), Pfn::from_index(5)).unwrap();
    let e = k.pin(pid, Vpn::new(1), Pfn::from_index(5)).unwrap_err();
    assert_eq!((e.op, e.addr, e.errno), (SysOp::Pin, Some(VirtAddr::new(PAGE_SIZE)), Errno::Busy));
    assert!(matches!(e.cause, Cause::FrameInUse { pfn } if pfn == Pfn::from_index(5)), "{e}");
    assert_eq!(e.to_string(), "pin at 0x1000: frame 5 is already in use (EBUSY)");
}

#[test]
fn pin_errors_follow_vm_insert_page() {
    let (mut k, pid) = linear();
    let e = k.pin(pid, Vpn::new(0), Pfn::from_index(8)).unwrap_err();
    assert_eq!(e.errno, Errno::Inval);
    assert!(matches!(e.cause, Cause::FrameOutsideRam { frames: 8, .. }), "{e}");
    let e = k.pin(pid, Vpn::new(9), Pfn::from_index(5)).unwrap_err();
    assert_eq!((e.errno, e.errno.errno()), (Errno::Fault, 14));
    assert!(matches!(e.cause, Cause::NotInVma { vpn } if vpn == Vpn::new(9)), "{e}");
    assert_eq!(e.cause.to_string(), "page 9 (0x9000) is not inside any mapping");
    k.pin(pid, Vpn::new(2), Pfn::from_index(5)).unwrap();
    let e = k.pin(pid, Vpn::new(2), Pfn::from_index(6)).unwrap_err();
    assert_eq!(e.errno, Errno::Busy);
    assert!(matches!(e.cause, Cause::AlreadyMapped { vpn } if vpn == Vpn::new(2)), "{e}");
    one_line(&e);
}

#[test]
fn pin_swapped_keeps_the_typed_swap_error() {
    let (mut k, pid) = linear();
    // No swap area: the entry names no area.
    let e = k.pin_swapped(pid, Vpn::new(0), SwapEntry::new(0, 1), b"x").unwrap_err();
    assert_eq!((e.op, e.errno), (SysOp::PinSwapped, Errno::Inval));
    assert!(matches!(&e.cause, Cause::SwapSlotUnusable(s) if matches!(**s, SwapFileError::NoSuchArea { .. })), "{e}");
    one_line(&e);
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(16), file: None }).unwrap();
    k.pin_swapped(pid, Vpn::new(0), SwapEntry::new(0, 1), b"x").unwrap();
    // The slot is taken now.
    let e = k.pin_swapped(pid, Vpn::new(1), SwapEntry::new(0, 1), b"y").unwrap_err();
    assert_eq!((e.errno, e.errno.errno()), (Errno::Exist, 17));
    assert!(matches!(&e.cause, Cause::SwapSlotUnusable(s) if matches!(**s, SwapFileError::SlotInUse { count: 1, .. })));
    // The page is taken too.
    let e = k.pin_swapped(pid, Vpn::new(0), SwapEntry::new(0, 2), b"z").unwrap_err();
    assert!(matches!(e.cause, Cause::AlreadyMapped { .. }), "{e}");
}

#[test]
fn kernel_errors_keep_typed_sources() {
    let cfg = KernelConfig { page_cluster: 40, ..KernelConfig::default() };
    let e = Kernel::<Linear>::new(8, &TlbConfig::default(), cfg).unwrap_err();
    assert!(matches!(e, KernelError::SwapState(_)), "{e}");
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn machine_errors_keep_the_swap_error() {
    let mut cfg = vmsim::config::SimConfig::default();
    cfg.swap.devices.push(SwapDeviceConfig { priority: Some(-5), size_pages: Some(16), file: None });
    let e = vmsim::sim::AnyMachine::new(&cfg).unwrap_err();
    assert!(matches!(e, KernelError::Swap(SwapFileError::PriorityOutOfRange { priority: -5, .. })), "{e}");
    assert!(std::error::Error::source(&e).is_none(), "the swap error's text is the whole message");
    cfg.swap.devices.clear();
    cfg.reclaim.policy = vmsim::reclaim::PolicyKind::Opt;
    let e = vmsim::sim::AnyMachine::new(&cfg).unwrap_err();
    assert!(matches!(e, KernelError::OptNeedsTrace), "{e}");
    assert!(e.to_string().contains("--policy opt") && !e.to_string().contains('\n'), "{e}");
}
