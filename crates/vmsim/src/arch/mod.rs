//! Architectures: paging geometry ([`PagingMode`]) and page-table entry formats ([`Pte`]).
//!
//! The walker, the TLB and the kernel model are generic over a `PagingMode` and never touch architecture bits;
//! each architecture lives in its own file and converts between its real bit layout and the neutral [`Perms`].
//! Adding an architecture (5-level x86, RISC-V Sv39/48/57, AArch64) means adding one file with one `impl` of each
//! trait; if the kernel model needs changing, a trait method is missing.

pub mod linear;
pub mod x86_64;

use crate::addr::{Pfn, VirtAddr, PAGE_SHIFT};
use crate::swap::entry::SwapEntry;
use bitflags::bitflags;
use std::fmt;

bitflags! {
    /// Architecture-neutral permissions and status of a mapping.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct Perms: u8 {
        /// Readable. (x86 has no write-only pages: any present page is readable; SPEC §2.1.)
        const READ = 1 << 0;
        /// Writable.
        const WRITE = 1 << 1;
        /// Executable (x86: NX clear).
        const EXEC = 1 << 2;
        /// Accessible from user mode (x86 U/S).
        const USER = 1 << 3;
        /// Accessed: set by the page walker on use (x86 A, bit 5).
        const ACCESSED = 1 << 4;
        /// Dirty: set by the page walker on the first write (x86 D, bit 6).
        const DIRTY = 1 << 5;
        /// Global: survives address-space switches in the TLB (x86 G, bit 8).
        const GLOBAL = 1 << 6;
    }
}

impl Perms {
    /// Read/write/execute/user bits only (what protection checks look at).
    pub const ACCESS_MASK: Perms = Perms::READ.union(Perms::WRITE).union(Perms::EXEC).union(Perms::USER);

    /// `rwx` in the style of `/proc/PID/maps`.
    pub fn rwx(self) -> String {
        let mut s = String::with_capacity(3);
        s.push(if self.contains(Perms::READ) { 'r' } else { '-' });
        s.push(if self.contains(Perms::WRITE) { 'w' } else { '-' });
        s.push(if self.contains(Perms::EXEC) { 'x' } else { '-' });
        s
    }
}

/// A level of the page-table radix tree: 1 is the last level (x86 PT, "pte"); `LEVELS` is the root.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Level(pub u8);

/// An index into one page table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TableIndex(pub u16);

impl TableIndex {
    /// As a `usize`, for addressing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// Bytes per page-table entry on every supported architecture.
pub const PTE_BYTES: u64 = 8;

/// Size of the page a leaf entry maps (ordered by size).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum PageSizeKind {
    /// 4 KiB base page.
    Size4K,
    /// 2 MiB large page (x86 PDE with PS=1).
    Size2M,
    /// 1 GiB huge page (x86 PDPTE with PS=1).
    Size1G,
}

impl PageSizeKind {
    /// log2 of the size in bytes.
    pub const fn shift(self) -> u32 {
        match self {
            PageSizeKind::Size4K => 12,
            PageSizeKind::Size2M => 21,
            PageSizeKind::Size1G => 30,
        }
    }
    /// Human label.
    pub const fn label(self) -> &'static str {
        match self {
            PageSizeKind::Size4K => "4K",
            PageSizeKind::Size2M => "2M",
            PageSizeKind::Size1G => "1G",
        }
    }
}

/// A page-table entry in an architecture's real bit layout, stored little-endian in a simulated frame.
pub trait Pte: Copy + Eq + fmt::Debug {
    /// Wraps a raw entry read from memory.
    fn from_raw(raw: u64) -> Self;
    /// The raw entry, as written to memory.
    fn raw(self) -> u64;
    /// The all-zero entry ("pte_none").
    fn none() -> Self {
        Self::from_raw(0)
    }
    /// Whether the entry is all zero: nothing mapped, nothing in swap.
    fn is_none(self) -> bool {
        self.raw() == 0
    }
    /// Present bit: the walker may use it.
    fn is_present(self) -> bool;
    /// Whether a present entry at `level` maps a page (rather than pointing to the next table).
    fn is_leaf(self, level: Level) -> bool;
    /// Frame this entry points to (next table or mapped page).
    fn pfn(self) -> Pfn;
    /// Neutral permissions and status bits.
    fn perms(self) -> Perms;
    /// A leaf entry mapping `pfn` with `perms`. An entry with no access at all is encoded as the architecture's
    /// PROT_NONE form (not present, but still remembering the frame).
    fn leaf(pfn: Pfn, perms: Perms, size: PageSizeKind) -> Self;
    /// A non-leaf entry pointing at the table in `pfn`. Linux gives user tables `_PAGE_TABLE` = P|RW|US|A
    /// (arch/x86/include/asm/pgtable_types.h), so permissions are decided by the leaf.
    fn table(pfn: Pfn) -> Self;
    /// This entry with the given status bits (A, D) also set.
    fn with_status(self, bits: Perms) -> Self;
    /// This entry with the given status bits (A, D) cleared.
    fn without_status(self, bits: Perms) -> Self;
    /// A non-present entry holding a swap entry (Linux `swp_entry_to_pte`).
    fn from_swap(entry: SwapEntry) -> Self;
    /// The swap entry held by a non-present, non-none entry (Linux `pte_to_swp_entry`); `None` otherwise.
    fn swap_entry(self) -> Option<SwapEntry>;
    /// The PROT_NONE form: not present to the hardware but still mapping a frame (x86 `_PAGE_PROTNONE`).
    fn is_protnone(self) -> bool;
    /// Names of the set flag bits, for step-by-step translation printouts (e.g. `P RW US A D NX`).
    fn describe_flags(self) -> String;
}

/// The geometry of one paging mode. Implemented by uninhabited enums used only as type parameters.
pub trait PagingMode: 'static {
    /// The entry format.
    type Pte: Pte;
    /// Name used in configuration and output, e.g. `"x86-64"`.
    const NAME: &'static str;
    /// Number of table levels walked (4 for x86-64 4-level paging).
    const LEVELS: u8;
    /// Width of the virtual address space in bits.
    const VA_BITS: u32;
    /// Index bits per level (9 for 512-entry tables).
    const INDEX_BITS: u32 = 9;
    /// Names of the levels, root first (`["PML4", "PDPT", "PD", "PT"]`).
    const LEVEL_NAMES: &'static [&'static str];
    /// Whether `ptep_clear_flush_young()` flushes the TLB entry of a young PTE it clears. The generic version
    /// does (mm/pgtable-generic.c: `young = ptep_test_and_clear_young(...); if (young) flush_tlb_page(...)`);
    /// x86 overrides it with a plain `ptep_test_and_clear_young()` (arch/x86/mm/pgtable.c).
    const CLEAR_YOUNG_FLUSHES_TLB: bool = true;

    /// Index of `va` in the table at `level` (default: `INDEX_BITS` bits per level above the page offset).
    fn index(va: VirtAddr, level: Level) -> TableIndex {
        let shift = PAGE_SHIFT + Self::INDEX_BITS * u32::from(level.0 - 1);
        let mask = (1u64 << Self::INDEX_BITS) - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to INDEX_BITS <= 16 bits")]
        TableIndex(((va.raw() >> shift) & mask) as u16)
    }
    /// Whether `va` is canonical (default: bits 63..VA_BITS-1 all equal, i.e. sign-extended; SDM 3A §3.3.7.1).
    fn is_canonical(va: VirtAddr) -> bool {
        let shift = Self::VA_BITS - 1;
        let top = va.raw() >> shift;
        top == 0 || top == (u64::MAX >> shift)
    }
    /// The fault of an address the MMU refuses before it reads any table (`Fault::NonCanonical`), in this mode's
    /// words, and what the kernel does with it. Default (x86-64): a non-canonical address raises #GP, which the
    /// kernel delivers as SIGSEGV with SI_KERNEL (arch/x86/kernel/traps.c), not a page fault.
    fn describe_out_of_range(va: VirtAddr) -> (String, &'static str) {
        (
            format!("non-canonical address {:#x} (#GP)", va.raw()),
            "a general-protection fault, not a page fault: the kernel sends SIGSEGV (SI_KERNEL)",
        )
    }
    /// Human name of a level (`PML4` …).
    fn level_name(level: Level) -> &'static str {
        let i = usize::from(Self::LEVELS - level.0);
        Self::LEVEL_NAMES.get(i).copied().unwrap_or("?")
    }
}
