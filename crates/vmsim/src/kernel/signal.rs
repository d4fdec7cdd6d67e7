//! SIGSEGV delivery (arch/x86/mm/fault.c `bad_area`, `__bad_area_nosemaphore`; include/uapi/asm-generic/siginfo.h).

use crate::addr::VirtAddr;
use crate::mmu::Access;

/// `si_code` of a SIGSEGV.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SegvCode {
    /// `SEGV_MAPERR` (1): address not mapped to an object.
    MapErr,
    /// `SEGV_ACCERR` (2): invalid permissions for the mapped object.
    AccErr,
    /// `SI_KERNEL` (0x80): a general-protection fault (non-canonical address) delivered as SIGSEGV.
    Kernel,
    /// `BUS_ADRERR` (2) of a **SIGBUS**: an access to a file mapping past the end of the file (mm/filemap.c
    /// `filemap_fault` returns `VM_FAULT_SIGBUS` for a page at or past `DIV_ROUND_UP(i_size, PAGE_SIZE)`).
    BusAdrErr,
}

impl SegvCode {
    /// The numeric `si_code`.
    pub const fn si_code(self) -> i32 {
        match self {
            SegvCode::MapErr => 1,
            SegvCode::AccErr => 2,
            SegvCode::Kernel => 0x80,
            SegvCode::BusAdrErr => 2,
        }
    }
    /// The constant's name.
    pub const fn name(self) -> &'static str {
        match self {
            SegvCode::MapErr => "SEGV_MAPERR",
            SegvCode::AccErr => "SEGV_ACCERR",
            SegvCode::Kernel => "SI_KERNEL",
            SegvCode::BusAdrErr => "BUS_ADRERR",
        }
    }
}

/// What a SIGSEGV reports: the fault address (`si_addr`), the reason, and the access that faulted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SegvInfo {
    /// `si_addr`.
    pub addr: VirtAddr,
    /// `si_code`.
    pub code: SegvCode,
    /// The access that faulted.
    pub access: Access,
}

impl SegvInfo {
    /// One line for people: `SIGSEGV (SEGV_MAPERR) at 0x0: write`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}, si_code {}) at {:#x} on {}",
            if self.code == SegvCode::BusAdrErr { "SIGBUS" } else { "SIGSEGV" },
            self.code.name(),
            self.code.si_code(),
            self.addr.raw(),
            self.access.name()
        )
    }
}
