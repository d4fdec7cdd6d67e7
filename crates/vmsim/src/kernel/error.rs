//! Typed kernel errors: an [`Errno`] with Linux's number, and a [`SysError`] naming the operation, the address
//! and the specific [`Cause`], so callers (the scenario runner, tests, language bindings) can match on them.
//!
//! Each errno is the one Linux returns in the same situation; the choice is cited where it is made (the
//! constructors in [`super::mmap`] and [`super::Kernel::pin`]). Faults are not errors: the fault handler returns
//! [`super::fault::FaultOutcome`] values, and Rust `Err` is kept for operations the caller asked for and could not
//! get.
//!
//! Every `Display` here is one complete line. No type here returns a `source()`: the text of a wrapped error is
//! already in the line, and a chain printer (anyhow's `{:#}`) would print it twice.

use crate::addr::{Pfn, VirtAddr, Vpn};
use crate::arch::PageSizeKind;
use crate::kernel::vma::Overlap;
use crate::swap::SwapFileError;
use std::fmt;

/// An `errno` value (include/uapi/asm-generic/errno-base.h). Only the values the model returns are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Errno {
    /// `ENOENT` (2): no such entry (a swap slot that holds nothing).
    NoEnt,
    /// `ESRCH` (3): no such process (the task is not running).
    Srch,
    /// `EIO` (5): the swap device failed an I/O.
    Io,
    /// `ENOMEM` (12): no room in the address space, the range is not mapped, or no memory for a page table.
    NoMem,
    /// `EFAULT` (14): the address is outside any mapping.
    Fault,
    /// `EBUSY` (16): the frame or the page-table slot is already taken.
    Busy,
    /// `EEXIST` (17): the swap slot is already in use.
    Exist,
    /// `EINVAL` (22): a bad argument (alignment, length, an unusable frame or swap entry).
    Inval,
    /// `ECHILD` (10): no child to wait for.
    Child,
}

impl Errno {
    /// The positive number Linux uses (`-errno` is what a system call returns).
    pub const fn errno(self) -> i32 {
        match self {
            Errno::NoEnt => 2,
            Errno::Srch => 3,
            Errno::Io => 5,
            Errno::NoMem => 12,
            Errno::Fault => 14,
            Errno::Busy => 16,
            Errno::Exist => 17,
            Errno::Inval => 22,
            Errno::Child => 10,
        }
    }

    /// The symbolic name: `"EINVAL"`.
    pub const fn name(self) -> &'static str {
        match self {
            Errno::NoEnt => "ENOENT",
            Errno::Srch => "ESRCH",
            Errno::Io => "EIO",
            Errno::NoMem => "ENOMEM",
            Errno::Fault => "EFAULT",
            Errno::Busy => "EBUSY",
            Errno::Exist => "EEXIST",
            Errno::Inval => "EINVAL",
            Errno::Child => "ECHILD",
        }
    }

    /// What `swap_duplicate()`-style slot operations return for a swap error (mm/swapfile.c `__swap_duplicate`:
    /// `EINVAL` for an entry naming no area or no slot, `ENOENT` for a free slot, `EEXIST` for a slot already
    /// taken (`swapcache_prepare`), `ENOMEM` when the count needs a continuation page; `EIO` for a failed write,
    /// as `swap_writepage` reports it).
    pub fn of_swap(e: &SwapFileError) -> Self {
        match e {
            SwapFileError::SlotFree { .. } => Errno::NoEnt,
            SwapFileError::SlotInUse { .. } => Errno::Exist,
            SwapFileError::CountOverflow { .. } => Errno::NoMem,
            SwapFileError::Io { .. } => Errno::Io,
            _ => Errno::Inval,
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operation that failed: the system calls the model implements, and the teaching set-ups that place pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SysOp {
    /// `mmap`.
    Mmap,
    /// `munmap`.
    Munmap,
    /// `mprotect`.
    Mprotect,
    /// `brk`.
    Brk,
    /// Trace replay's implicit mapping ([`super::Kernel::map_trace_region`]).
    MapTraceRegion,
    /// Map a page to a chosen frame ([`super::Kernel::pin`]).
    Pin,
    /// Place a page in a chosen swap slot ([`super::Kernel::pin_swapped`]).
    PinSwapped,
    /// `fork`.
    Fork,
    /// `clone(CLONE_VM | CLONE_THREAD …)`: a new thread.
    Clone,
    /// `execve`.
    Execve,
    /// `wait4`.
    Wait,
    /// `madvise`.
    Madvise,
    /// `msync`.
    Msync,
    /// `mmap` of a file.
    MmapFile,
}

impl SysOp {
    /// The name as shown in messages: `"mmap"`.
    pub const fn name(self) -> &'static str {
        match self {
            SysOp::Mmap => "mmap",
            SysOp::Munmap => "munmap",
            SysOp::Mprotect => "mprotect",
            SysOp::Brk => "brk",
            SysOp::MapTraceRegion => "map_trace_region",
            SysOp::Pin => "pin",
            SysOp::PinSwapped => "pin_swapped",
            SysOp::Fork => "fork",
            SysOp::Clone => "clone",
            SysOp::Execve => "execve",
            SysOp::Wait => "wait4",
            SysOp::Madvise => "madvise",
            SysOp::Msync => "msync",
            SysOp::MmapFile => "mmap",
        }
    }
}

impl fmt::Display for SysOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an operation failed, specifically (the [`Errno`] is the coarse, Linux-visible part).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The task has exited or was killed.
    #[error("process is not running")]
    ProcessNotRunning,
    /// A length of 0.
    #[error("length is 0")]
    ZeroLength,
    /// A length that wraps when rounded up to whole pages.
    #[error("length {len:#x} overflows when rounded up to pages")]
    LengthOverflow {
        /// The length asked for, in bytes.
        len: u64,
    },
    /// An address that must be page aligned is not.
    #[error("address is not page aligned")]
    Unaligned,
    /// `addr + len` wraps past the top of the 64-bit address space.
    #[error("range wraps past the end of the address space")]
    RangeOverflow,
    /// The range ends above the top of the user address space (`TASK_SIZE`).
    #[error("range ends beyond the user address space (top {top:#x})")]
    BeyondTaskSize {
        /// The top of the user address space.
        top: u64,
    },
    /// No free range of the address space is large enough (`get_unmapped_area` failed).
    #[error("no free range of {len:#x} bytes in the address space")]
    NoAddressSpace {
        /// The length needed, in bytes (page aligned).
        len: u64,
    },
    /// The new VMA would overlap an existing one.
    #[error(transparent)]
    VmaOverlap(Overlap),
    /// Part of the range is not mapped (`mprotect` of a hole).
    #[error("range {start:#x}..{end:#x} is not fully mapped")]
    RangeNotMapped {
        /// Start of the range.
        start: VirtAddr,
        /// End of the range.
        end: VirtAddr,
    },
    /// The heap VMA that `brk` would move is gone.
    #[error("no heap mapping to resize")]
    NoHeap,
    /// The frame number is beyond simulated RAM.
    #[error("frame {} is outside RAM ({frames} frames)", .pfn.raw())]
    FrameOutsideRam {
        /// The frame asked for.
        pfn: Pfn,
        /// Frames of RAM.
        frames: usize,
    },
    /// The frame lies beyond the replacement policies' 32-bit frame index (reclaim::MAX_FRAMES).
    #[error("frame {} is beyond frame 2^32-2, the last a replacement policy can track", .pfn.raw())]
    FrameBeyondPolicies {
        /// The frame asked for.
        pfn: Pfn,
    },
    /// The frame is already allocated.
    #[error("frame {} is already in use", .pfn.raw())]
    FrameInUse {
        /// The frame asked for.
        pfn: Pfn,
    },
    /// The page lies outside every VMA.
    #[error("page {} ({:#x}) is not inside any mapping", .vpn.raw(), .vpn.start().raw())]
    NotInVma {
        /// The page.
        vpn: Vpn,
    },
    /// The page already has an entry (a frame or a swap entry).
    #[error("page {} is already mapped", .vpn.raw())]
    AlreadyMapped {
        /// The page.
        vpn: Vpn,
    },
    /// A huge leaf maps the page; it would have to be split first (`split_huge_pmd`).
    #[error("page {} lies inside a {} page", .vpn.raw(), .size.label())]
    HugePage {
        /// The page.
        vpn: Vpn,
        /// The size of the leaf in the way.
        size: PageSizeKind,
    },
    /// No frame for a missing page table.
    #[error("out of memory for page tables")]
    PageTableOom,
    /// `__vm_enough_memory` refused the charge (mm/util.c): `vm.overcommit_memory` would be exceeded.
    #[error(
        "not enough memory to commit {pages} pages (vm.overcommit_memory = {mode}: Committed_AS {committed} \
         pages, CommitLimit {limit} pages)"
    )]
    Overcommit {
        /// Pages asked for.
        pages: u64,
        /// The mode.
        mode: u8,
        /// `Committed_AS` before the request, in pages.
        committed: u64,
        /// `CommitLimit` in pages.
        limit: u64,
    },
    /// `wait4` with no child to wait for (`ECHILD`).
    #[error("no child process to wait for")]
    NoChild,
    /// No file of that name was declared (`EBADF`: the scenario's file descriptor is not open).
    #[error("no file named {0:?} (declare it in a [[file]] table)")]
    NoSuchFile(String),
    /// A file offset that is not a multiple of the page size (`EINVAL`, mm/mmap.c `do_mmap`).
    #[error("file offset {0:#x} is not page aligned")]
    UnalignedOffset(u64),
    /// An `madvise` advice the model does not implement.
    #[error("advice {0:?} is not supported (expected dontneed, mergeable or unmergeable)")]
    UnsupportedAdvice(String),
    /// The swap entry cannot be reserved: no such area, not a data slot, or already in use. (Boxed, as is
    /// [`Cause::SwapWrite`]'s: a swap error is large and rare, and every `Result` carrying a `Cause` would pay
    /// for its size.)
    #[error("{0} (configure a swap area: [swap] size = \"1MiB\")")]
    SwapSlotUnusable(Box<SwapFileError>),
    /// Writing the page to its swap slot failed.
    #[error("{0}")]
    SwapWrite(Box<SwapFileError>),
}

/// An operation that failed: what was asked ([`SysOp`]), where, the errno Linux would return, and why.
///
/// Displays as one line: `pin at 0x5000: frame 3 is already in use (EBUSY)`.
#[derive(Debug)]
pub struct SysError {
    /// The operation.
    pub op: SysOp,
    /// The address it was asked for, if it has one.
    pub addr: Option<VirtAddr>,
    /// The errno Linux would return.
    pub errno: Errno,
    /// The specific reason.
    pub cause: Cause,
}

impl SysError {
    /// An error of `op` at `addr`.
    pub fn new(op: SysOp, addr: Option<VirtAddr>, errno: Errno, cause: Cause) -> Self {
        Self { op, addr, errno, cause }
    }

    /// The same failure reported as part of `op` (a `MAP_FIXED` mmap that could not unmap the range is an
    /// mmap error).
    pub fn during(mut self, op: SysOp) -> Self {
        self.op = op;
        self
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op)?;
        if let Some(a) = self.addr {
            write!(f, " at {:#x}", a.raw())?;
        }
        write!(f, ": {} ({})", self.cause, self.errno)
    }
}

impl std::error::Error for SysError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swap::SwapEntry;

    #[test]
    fn errno_numbers_are_linux_ones() {
        let all = [
            (Errno::NoEnt, 2, "ENOENT"),
            (Errno::Srch, 3, "ESRCH"),
            (Errno::Io, 5, "EIO"),
            (Errno::NoMem, 12, "ENOMEM"),
            (Errno::Fault, 14, "EFAULT"),
            (Errno::Busy, 16, "EBUSY"),
            (Errno::Exist, 17, "EEXIST"),
            (Errno::Inval, 22, "EINVAL"),
        ];
        for (e, n, name) in all {
            assert_eq!((e.errno(), e.name(), e.to_string()), (n, name, name.to_string()));
        }
    }

    #[test]
    fn swap_errors_map_to_swap_duplicate_errnos() {
        let entry = SwapEntry::new(0, 5);
        assert_eq!(Errno::of_swap(&SwapFileError::NoSuchArea { entry }), Errno::Inval);
        assert_eq!(Errno::of_swap(&SwapFileError::NotASlot { entry, last: 3 }), Errno::Inval);
        assert_eq!(Errno::of_swap(&SwapFileError::SlotInUse { entry, count: 1 }), Errno::Exist);
        assert_eq!(Errno::of_swap(&SwapFileError::SlotFree { entry, op: "write" }), Errno::NoEnt);
        assert_eq!(Errno::of_swap(&SwapFileError::CountOverflow { entry }), Errno::NoMem);
    }

    #[test]
    fn every_display_is_one_line() {
        let vpn = Vpn::new(5);
        let pfn = Pfn::from_index(3);
        let entry = SwapEntry::new(1, 5);
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let causes = vec![
            Cause::ProcessNotRunning,
            Cause::ZeroLength,
            Cause::LengthOverflow { len: u64::MAX },
            Cause::Unaligned,
            Cause::RangeOverflow,
            Cause::BeyondTaskSize { top: 1 << 47 },
            Cause::NoAddressSpace { len: 1 << 20 },
            Cause::VmaOverlap(Overlap { start: 0x1000, end: 0x2000 }),
            Cause::RangeNotMapped { start: VirtAddr::new(0x1000), end: VirtAddr::new(0x3000) },
            Cause::NoHeap,
            Cause::FrameOutsideRam { pfn, frames: 2 },
            Cause::FrameBeyondPolicies { pfn },
            Cause::FrameInUse { pfn },
            Cause::NotInVma { vpn },
            Cause::AlreadyMapped { vpn },
            Cause::HugePage { vpn, size: PageSizeKind::Size2M },
            Cause::PageTableOom,
            Cause::Overcommit { pages: 10, mode: 2, committed: 5, limit: 12 },
            Cause::SwapSlotUnusable(Box::new(SwapFileError::NoSuchArea { entry })),
            Cause::SwapWrite(Box::new(SwapFileError::Io {
                path: "/swap".into(),
                op: "write",
                offset: 4096,
                source: io,
            })),
        ];
        for cause in causes {
            let c = cause.to_string();
            assert!(!c.is_empty() && !c.contains('\n'), "{c:?}");
            let e = SysError::new(SysOp::Pin, Some(vpn.start()), Errno::Busy, cause);
            let s = e.to_string();
            assert!(!s.contains('\n'), "{s:?}");
            assert!(s.starts_with("pin at 0x5000: ") && s.ends_with(" (EBUSY)"), "{s}");
        }
        let e = SysError::new(SysOp::Mmap, None, Errno::Inval, Cause::ZeroLength);
        assert_eq!(e.to_string(), "mmap: length is 0 (EINVAL)");
        assert_eq!(e.during(SysOp::Brk).op, SysOp::Brk);
    }
}
