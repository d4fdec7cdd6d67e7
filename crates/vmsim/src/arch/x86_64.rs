//! x86-64 4-level paging: Intel SDM Vol 3A §4.5; Linux `arch/x86/include/asm/pgtable_types.h`, `pgtable_64.h`
//! (LINUX-VM-SPEC §1, §2.1, §3).
//!
//! Simplifies: MAXPHYADDR is 52; no protection keys, PAT or memory types are modelled (the bits are kept as data).

use super::{Level, PageSizeKind, PagingMode, Perms, Pte};
use crate::addr::Pfn;
use crate::swap::entry::SwapEntry;
use bitflags::bitflags;
use std::fmt;

bitflags! {
    /// The x86-64 paging-structure entry bits (SDM Vol 3A Table 4-19/4-20; SPEC §2.1).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub struct X86Flags: u64 {
        /// Bit 0, P: present (`_PAGE_BIT_PRESENT`).
        const P = 1 << 0;
        /// Bit 1, R/W: writable (`_PAGE_BIT_RW`).
        const RW = 1 << 1;
        /// Bit 2, U/S: user accessible (`_PAGE_BIT_USER`).
        const US = 1 << 2;
        /// Bit 3, PWT: page-level write-through.
        const PWT = 1 << 3;
        /// Bit 4, PCD: page-level cache disable.
        const PCD = 1 << 4;
        /// Bit 5, A: accessed, set by the CPU on every entry of a successful walk.
        const A = 1 << 5;
        /// Bit 6, D: dirty, set by the CPU in the leaf on the first write.
        const D = 1 << 6;
        /// Bit 7, PS: page size (large page in a PDE/PDPTE; PAT in a 4 KiB PTE).
        const PS = 1 << 7;
        /// Bit 8, G: global (leaf). On a non-present PTE Linux uses it as `_PAGE_PROTNONE`.
        const G = 1 << 8;
        /// Bit 63, XD/NX: execute disable (`_PAGE_BIT_NX`, needs EFER.NXE).
        const NX = 1 << 63;
    }
}

/// Physical-address field of an entry, bits 12..51 (SPEC §1: `0x000FFFFFFFFFF000`).
pub const PTE_PFN_MASK: u64 = 0x000F_FFFF_FFFF_F000;
/// Linux `_PAGE_PROTNONE` is `_PAGE_GLOBAL` reused on non-present entries (SPEC §2.1).
const PROTNONE: u64 = 1 << 8;
/// Swap PTE layout (SPEC §3, `arch/x86/include/asm/pgtable_64.h`): 5 type bits at 63..59.
const SWP_TYPE_BITS: u32 = 5;
/// `SWP_OFFSET_FIRST_BIT = _PAGE_BIT_PROTNONE + 1`.
const SWP_OFFSET_FIRST_BIT: u32 = 9;
/// `SWP_OFFSET_SHIFT = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS`.
const SWP_OFFSET_SHIFT: u32 = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS;
/// Software bits cleared by `pte_to_swp_entry` before decoding: bit 3 exclusive, bit 2 uffd-wp, bit 1 soft-dirty.
const SWP_SOFT_BITS: u64 = 0b1110;

/// One x86-64 paging-structure entry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct X86Pte(u64);

impl fmt::Debug for X86Pte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X86Pte({:#018x} {})", self.0, self.describe_flags())
    }
}

impl X86Pte {
    /// The flag bits of the entry.
    pub const fn flags(self) -> X86Flags {
        X86Flags::from_bits_truncate(self.0)
    }
    /// An entry from a PFN and explicit x86 flags.
    pub const fn new(pfn: Pfn, flags: X86Flags) -> Self {
        Self(((pfn.raw() << 12) & PTE_PFN_MASK) | flags.bits())
    }
}

impl Pte for X86Pte {
    fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
    fn raw(self) -> u64 {
        self.0
    }
    fn is_present(self) -> bool {
        self.0 & X86Flags::P.bits() != 0
    }
    fn is_leaf(self, level: Level) -> bool {
        // SDM 3A §4.5: level 1 (PT) entries always map a page; PDE/PDPTE map one when PS = 1.
        level.0 == 1 || ((level.0 == 2 || level.0 == 3) && self.0 & X86Flags::PS.bits() != 0)
    }
    fn pfn(self) -> Pfn {
        // Bits 12..51 hold the frame; the mask guarantees it fits in 40 bits.
        Pfn::from_pte_field((self.0 & PTE_PFN_MASK) >> 12)
    }
    fn perms(self) -> Perms {
        let f = self.flags();
        let mut p = Perms::empty();
        if f.contains(X86Flags::P) || self.is_protnone() {
            if f.contains(X86Flags::P) {
                p |= Perms::READ; // no write-only x86 PTE (SPEC §2.1)
                if !f.contains(X86Flags::NX) {
                    p |= Perms::EXEC;
                }
                if f.contains(X86Flags::G) {
                    p |= Perms::GLOBAL;
                }
            }
            if f.contains(X86Flags::RW) {
                p |= Perms::WRITE;
            }
            if f.contains(X86Flags::US) {
                p |= Perms::USER;
            }
            if f.contains(X86Flags::A) {
                p |= Perms::ACCESSED;
            }
            if f.contains(X86Flags::D) {
                p |= Perms::DIRTY;
            }
        }
        p
    }
    fn leaf(pfn: Pfn, perms: Perms, size: PageSizeKind) -> Self {
        let mut f = X86Flags::empty();
        let accessible = perms.intersects(Perms::READ | Perms::WRITE | Perms::EXEC);
        if perms.contains(Perms::WRITE) {
            f |= X86Flags::RW;
        }
        if perms.contains(Perms::USER) {
            f |= X86Flags::US;
        }
        if perms.contains(Perms::ACCESSED) {
            f |= X86Flags::A;
        }
        if perms.contains(Perms::DIRTY) {
            f |= X86Flags::D;
        }
        if !perms.contains(Perms::EXEC) {
            f |= X86Flags::NX;
        }
        if size != PageSizeKind::Size4K {
            f |= X86Flags::PS;
        }
        if accessible {
            f |= X86Flags::P;
            if perms.contains(Perms::GLOBAL) {
                f |= X86Flags::G;
            }
            Self::new(pfn, f)
        } else {
            // Linux PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED with P clear (SPEC §2.1).
            Self(Self::new(pfn, f).0 | PROTNONE)
        }
    }
    fn table(pfn: Pfn) -> Self {
        // Linux _PAGE_TABLE = P | RW | US | A (arch/x86/include/asm/pgtable_types.h).
        Self::new(pfn, X86Flags::P | X86Flags::RW | X86Flags::US | X86Flags::A)
    }
    fn with_status(self, bits: Perms) -> Self {
        Self(self.0 | status_bits(bits))
    }
    fn without_status(self, bits: Perms) -> Self {
        Self(self.0 & !status_bits(bits))
    }
    fn from_swap(entry: SwapEntry) -> Self {
        // SPEC §3: pte = ((~off << 14) >> 5) | (type << 59), logical shifts.
        let off = entry.offset();
        let ty = u64::from(entry.swap_type());
        Self(((!off << SWP_OFFSET_SHIFT) >> SWP_TYPE_BITS) | (ty << (64 - SWP_TYPE_BITS)))
    }
    fn swap_entry(self) -> Option<SwapEntry> {
        if self.is_none() || self.is_present() || self.is_protnone() {
            return None;
        }
        // SPEC §3: clear the software flag bits, then type = pte >> 59, offset = (~pte << 5) >> 14.
        let v = self.0 & !SWP_SOFT_BITS;
        #[allow(clippy::cast_possible_truncation, reason = "5-bit field")]
        let ty = (v >> (64 - SWP_TYPE_BITS)) as u8;
        let off = (!v << SWP_TYPE_BITS) >> SWP_OFFSET_SHIFT;
        Some(SwapEntry::new(ty, off))
    }
    fn is_protnone(self) -> bool {
        // pte_protnone(): PROTNONE set and P clear (arch/x86/include/asm/pgtable.h).
        self.0 & (PROTNONE | X86Flags::P.bits()) == PROTNONE
    }
    fn describe_flags(self) -> String {
        if !self.is_present() {
            if self.is_none() {
                return "none".to_string();
            }
            if self.is_protnone() {
                return "PROTNONE (not present)".to_string();
            }
            return "not present (swap entry)".to_string();
        }
        let names = [
            (X86Flags::P, "P"),
            (X86Flags::RW, "RW"),
            (X86Flags::US, "US"),
            (X86Flags::PWT, "PWT"),
            (X86Flags::PCD, "PCD"),
            (X86Flags::A, "A"),
            (X86Flags::D, "D"),
            (X86Flags::PS, "PS"),
            (X86Flags::G, "G"),
            (X86Flags::NX, "NX"),
        ];
        let f = self.flags();
        names.iter().filter(|(b, _)| f.contains(*b)).map(|(_, n)| *n).collect::<Vec<_>>().join(" ")
    }
}

fn status_bits(bits: Perms) -> u64 {
    let mut v = 0;
    if bits.contains(Perms::ACCESSED) {
        v |= X86Flags::A.bits();
    }
    if bits.contains(Perms::DIRTY) {
        v |= X86Flags::D.bits();
    }
    v
}

/// x86-64 with 4-level paging (48-bit virtual addresses, CR4.LA57 = 0). SDM 3A §4.5.
#[derive(Debug)]
pub enum X86FourLevel {}

impl PagingMode for X86FourLevel {
    type Pte = X86Pte;
    const NAME: &'static str = "x86-64";
    const LEVELS: u8 = 4;
    const VA_BITS: u32 = 48;
    const LEVEL_NAMES: &'static [&'static str] = &["PML4", "PDPT", "PD", "PT"];
    /// arch/x86/mm/pgtable.c `ptep_clear_flush_young()` is only `ptep_test_and_clear_young()`: "On x86 CPUs,
    /// clearing the accessed bit without a TLB flush doesn't cause data corruption", at worst the mistaken reclaim
    /// of a hot page whose cached translation keeps it from setting A again; the entry goes at the next flush.
    const CLEAR_YOUNG_FLUSHES_TLB: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::VirtAddr;

    fn idx(va: u64) -> [usize; 4] {
        let va = VirtAddr::new(va);
        [4, 3, 2, 1].map(|l| X86FourLevel::index(va, Level(l)).get())
    }

    /// SPEC §1 test vectors: index extraction and canonical checks.
    #[test]
    fn spec_1_index_vectors() {
        assert_eq!(idx(0x0000_7FFF_FFFF_F000), [255, 511, 511, 511]);
        assert_eq!(idx(0x0000_7F12_3456_7ABC), [0xFE, 0x48, 0x1A2, 0x167]);
        assert_eq!(VirtAddr::new(0x7F12_3456_7ABC).page_offset(), 0xABC);
        assert_eq!(idx(0x0000_0000_0060_1040), [0, 0, 3, 1]);
        assert_eq!(idx(0xFFFF_8000_0000_0000), [256, 0, 0, 0]);
        for ok in [0x0000_7FFF_FFFF_F000u64, 0x7F12_3456_7ABC, 0x601040, 0xFFFF_8000_0000_0000] {
            assert!(X86FourLevel::is_canonical(VirtAddr::new(ok)), "{ok:#x}");
        }
        assert!(!X86FourLevel::is_canonical(VirtAddr::new(0x0000_8000_0000_0000)));
        assert!(!X86FourLevel::is_canonical(VirtAddr::new(0x8000_0000_0000_0000)));
    }

    fn pfn(v: u64) -> Pfn {
        Pfn::try_new(v).unwrap()
    }

    /// SPEC §2 test vectors for x86-64 entries.
    #[test]
    fn spec_2_pte_vectors() {
        let all = Perms::READ | Perms::WRITE | Perms::USER | Perms::ACCESSED | Perms::DIRTY;
        assert_eq!(X86Pte::leaf(pfn(0x12345), all, PageSizeKind::Size4K).raw(), 0x8000_0000_1234_5067);
        let ro = Perms::READ | Perms::USER | Perms::ACCESSED;
        assert_eq!(X86Pte::leaf(pfn(5), ro, PageSizeKind::Size4K).raw(), 0x8000_0000_0000_5025);
        let pde = X86Pte::leaf(pfn(0x4000_0000 >> 12), all | Perms::EXEC, PageSizeKind::Size2M);
        assert_eq!(pde.raw(), 0x0000_0000_4000_00E7);
        assert!(pde.is_leaf(Level(2)));
        let d = X86Pte::from_raw(0x8000_0000_1234_5067);
        assert_eq!(d.pfn(), pfn(0x12345));
        assert_eq!(d.raw() & 0xFFF, 0x067);
        assert!(d.flags().contains(X86Flags::NX));
        assert_eq!(d.perms(), all);
        assert_eq!(d.describe_flags(), "P RW US A D NX");
    }

    /// SPEC §3 test vectors: x86-64 swap PTE encoding.
    #[test]
    fn spec_3_swap_pte_vectors() {
        let cases: [(u8, u64, u64); 5] = [
            (1, 0x1234, 0x0FFF_FFFF_FFDB_9600),
            (0, 0x0, 0x07FF_FFFF_FFFF_FE00),
            (0, 0x1, 0x07FF_FFFF_FFFF_FC00),
            (3, 0x7FFFF, 0x1FFF_FFFF_F000_0000),
            (31, 0xABCDE, 0xFFFF_FFFF_EA86_4200),
        ];
        for (ty, off, raw) in cases {
            let pte = X86Pte::from_swap(SwapEntry::new(ty, off));
            assert_eq!(pte.raw(), raw, "type {ty} offset {off:#x}");
            assert!(!pte.is_present());
            assert_eq!(pte.swap_entry(), Some(SwapEntry::new(ty, off)));
        }
        // Software bits (exclusive, uffd-wp, soft-dirty) are ignored when decoding.
        let pte = X86Pte::from_raw(0x0FFF_FFFF_FFDB_9600 | 0b1110);
        assert_eq!(pte.swap_entry(), Some(SwapEntry::new(1, 0x1234)));
    }

    #[test]
    fn protnone_keeps_the_frame_but_is_not_present() {
        let pte = X86Pte::leaf(pfn(7), Perms::USER | Perms::ACCESSED, PageSizeKind::Size4K);
        assert!(!pte.is_present());
        assert!(pte.is_protnone());
        assert_eq!(pte.pfn(), pfn(7));
        assert_eq!(pte.swap_entry(), None);
    }
}
