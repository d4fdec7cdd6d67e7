//! Addresses, page numbers and frame numbers (LINUX-VM-SPEC §1).
//!
//! `VirtAddr`, `PhysAddr`, `Vpn` and `Pfn` are `Copy` newtypes over `u64` so that a frame number can never be
//! passed where a virtual page number is expected. Any 64-bit virtual address is representable (traces can issue
//! anything); whether it is canonical is a question for the paging mode, answered by a fault, not by construction.
//! Physical frame numbers are checked against MAXPHYADDR when built from raw input.

use serde::{Deserialize, Serialize};
use std::fmt;

/// log2 of the base page size. SPEC §1: a page is `1 << 12` bytes.
pub const PAGE_SHIFT: u32 = 12;
/// Base page size in bytes (4 KiB).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Base page size as a `usize`, for buffers.
pub const PAGE_BYTES: usize = 1 << PAGE_SHIFT;
/// Largest supported physical address width. SDM Vol 3A §4.1.4: MAXPHYADDR is at most 52.
pub const MAX_PHYS_BITS: u32 = 52;

/// Errors building an address-like value from raw input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// A frame number that needs more than [`MAX_PHYS_BITS`] of physical address.
    #[error("physical frame number {0:#x} exceeds the 52-bit physical address space")]
    PfnTooLarge(u64),
    /// An address that must be page aligned was not.
    #[error("address {0:#x} is not aligned to the page size")]
    Misaligned(u64),
}

macro_rules! hex_debug {
    ($t:ident, $label:literal) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "({:#x})"), self.0)
            }
        }
        impl fmt::LowerHex for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

/// A virtual address issued by a process or a trace. Any 64-bit value is representable.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct VirtAddr(u64);
hex_debug!(VirtAddr, "VirtAddr");

impl VirtAddr {
    /// Wraps a raw 64-bit virtual address.
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }
    /// The raw address (for encoding, output and index arithmetic at the edges).
    pub const fn raw(self) -> u64 {
        self.0
    }
    /// Virtual page number: `va >> 12` (SPEC §1).
    pub const fn vpn(self) -> Vpn {
        Vpn(self.0 >> PAGE_SHIFT)
    }
    /// Byte offset within the 4 KiB page: `va & 0xFFF` (SPEC §1).
    pub const fn page_offset(self) -> u64 {
        self.0 & (PAGE_SIZE - 1)
    }
    /// Bytes from this address to the end of its page (1..=4096).
    #[allow(clippy::cast_possible_truncation, reason = "at most 4096")]
    pub const fn bytes_to_page_end(self) -> usize {
        (PAGE_SIZE - self.page_offset()) as usize
    }
    /// The address `bytes` further on, or `None` past the top of the 64-bit space.
    pub const fn checked_add(self, bytes: u64) -> Option<Self> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
    /// The address `bytes` lower, or `None` below zero.
    pub const fn checked_sub(self, bytes: u64) -> Option<Self> {
        match self.0.checked_sub(bytes) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
    /// Round down to a page boundary.
    pub const fn page_align_down(self) -> Self {
        Self(self.0 & !(PAGE_SIZE - 1))
    }
    /// Round up to a page boundary, or `None` if that overflows.
    pub const fn page_align_up(self) -> Option<Self> {
        match self.0.checked_add(PAGE_SIZE - 1) {
            Some(v) => Some(Self(v & !(PAGE_SIZE - 1))),
            None => None,
        }
    }
    /// Whether the address is on a page boundary.
    pub const fn is_page_aligned(self) -> bool {
        self.page_offset() == 0
    }
}

/// A physical address inside simulated RAM.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct PhysAddr(u64);
hex_debug!(PhysAddr, "PhysAddr");

impl PhysAddr {
    /// `pa = (pfn << 12) | offset` (SPEC §1); `offset` is masked to the page.
    pub const fn from_parts(pfn: Pfn, offset: u64) -> Self {
        Self((pfn.0 << PAGE_SHIFT) | (offset & (PAGE_SIZE - 1)))
    }
    /// Wraps a raw physical address (checked: at most 52 bits).
    pub const fn try_new(raw: u64) -> Result<Self, AddrError> {
        if raw >> MAX_PHYS_BITS != 0 {
            Err(AddrError::PfnTooLarge(raw >> PAGE_SHIFT))
        } else {
            Ok(Self(raw))
        }
    }
    /// The raw address.
    pub const fn raw(self) -> u64 {
        self.0
    }
    /// The frame holding this address.
    pub const fn pfn(self) -> Pfn {
        Pfn(self.0 >> PAGE_SHIFT)
    }
    /// Byte offset within the frame.
    pub const fn page_offset(self) -> u64 {
        self.0 & (PAGE_SIZE - 1)
    }
    /// Byte offset within the frame, for indexing the frame's bytes.
    #[allow(clippy::cast_possible_truncation, reason = "masked to 12 bits")]
    pub const fn offset_in_frame(self) -> usize {
        (self.0 & (PAGE_SIZE - 1)) as usize
    }
}

/// A virtual page number (`va >> 12`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Vpn(u64);
hex_debug!(Vpn, "Vpn");

impl Vpn {
    /// Wraps a raw page number (pages traces, teaching tables).
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }
    /// The raw page number.
    pub const fn raw(self) -> u64 {
        self.0
    }
    /// First address of the page (wraps only for page numbers above 2^52, which no trace can produce).
    pub const fn start(self) -> VirtAddr {
        VirtAddr(self.0.wrapping_shl(PAGE_SHIFT))
    }
    /// The next page number, or `None` at the top.
    pub const fn checked_next(self) -> Option<Self> {
        match self.0.checked_add(1) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
}

/// A physical page frame number (`pa >> 12`), at most 40 bits (MAXPHYADDR 52).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Pfn(u64);
hex_debug!(Pfn, "Pfn");

impl Pfn {
    /// Checked construction: SDM 3A §4.1.4, physical addresses have at most 52 bits.
    pub const fn try_new(raw: u64) -> Result<Self, AddrError> {
        if raw >> (MAX_PHYS_BITS - PAGE_SHIFT) != 0 {
            Err(AddrError::PfnTooLarge(raw))
        } else {
            Ok(Self(raw))
        }
    }
    /// Construction from a value already known to fit (an index into a frame array of a valid machine).
    pub const fn from_index(index: usize) -> Self {
        Self(index as u64)
    }
    /// Construction from a frame number already known to fit (a frame of a valid machine, below 2^36), as the
    /// buddy allocator keeps them.
    pub const fn from_frame(raw: u64) -> Self {
        Self(raw)
    }
    /// Construction from a PTE's masked address field (at most 40 bits by construction of the mask).
    pub const fn from_pte_field(raw: u64) -> Self {
        Self(raw & ((1 << (MAX_PHYS_BITS - PAGE_SHIFT)) - 1))
    }
    /// The raw frame number.
    pub const fn raw(self) -> u64 {
        self.0
    }
    /// Index into dense per-frame arrays.
    #[allow(clippy::cast_possible_truncation, reason = "vmsim requires a 64-bit host (lib.rs)")]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
    /// First physical address of the frame.
    pub const fn start(self) -> PhysAddr {
        PhysAddr(self.0 << PAGE_SHIFT)
    }
}

/// An address-space identifier (x86 PCID, Arm/RISC-V ASID) tagging TLB entries. SPEC §14.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default, Debug)]
#[serde(transparent)]
pub struct Asid(pub u16);

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed note's worked example: va 9192 → page 2, offset 1000; frame 5 → pa 21480 = 0x53E8.
    #[test]
    fn seed_note_worked_example() {
        let va = VirtAddr::new(9192);
        assert_eq!(va.raw(), 0x23E8);
        assert_eq!(va.vpn(), Vpn::new(2));
        assert_eq!(va.page_offset(), 1000);
        let pa = PhysAddr::from_parts(Pfn::try_new(5).unwrap(), va.page_offset());
        assert_eq!(pa.raw(), 21480);
        assert_eq!(pa.raw(), 0x53E8);
    }

    #[test]
    fn pfn_is_limited_to_52_bit_physical_addresses() {
        assert!(Pfn::try_new((1 << 40) - 1).is_ok());
        assert_eq!(Pfn::try_new(1 << 40), Err(AddrError::PfnTooLarge(1 << 40)));
    }

    #[test]
    fn alignment_helpers() {
        let va = VirtAddr::new(0x1234);
        assert_eq!(va.page_align_down().raw(), 0x1000);
        assert_eq!(va.page_align_up().unwrap().raw(), 0x2000);
        assert!(VirtAddr::new(u64::MAX).page_align_up().is_none());
        assert_eq!(format!("{va:?}"), "VirtAddr(0x1234)");
    }
}
