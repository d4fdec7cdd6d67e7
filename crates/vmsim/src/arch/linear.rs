//! A single-level **linear** page table for teaching: one flat table indexed by the virtual page number, as in the
//! seed note ("each process has its own mapping table that translates pages to page frames").
//!
//! The table is one 4 KiB frame of 512 8-byte entries, so the address space is 512 pages (2 MiB). The entry uses a
//! deliberately simple layout, not any real architecture's:
//!
//! | Bits | Meaning |
//! |---|---|
//! | 0 | present |
//! | 1 | writable |
//! | 2 | user |
//! | 3 | executable |
//! | 5 | accessed |
//! | 6 | dirty |
//! | 8 | PROT_NONE marker when not present (as x86) |
//! | 12..51 | frame number when present |
//! | 1..5 / 12..61 | when not present and not none: swap type (5 bits) and swap offset |

use super::{Level, PageSizeKind, PagingMode, Perms, Pte};
use crate::addr::Pfn;
use crate::swap::entry::SwapEntry;
use std::fmt;

const P: u64 = 1 << 0;
const W: u64 = 1 << 1;
const U: u64 = 1 << 2;
const X: u64 = 1 << 3;
const A: u64 = 1 << 5;
const D: u64 = 1 << 6;
const PROTNONE: u64 = 1 << 8;
const PFN_MASK: u64 = 0x000F_FFFF_FFFF_F000;
/// Non-present swap entries: a marker bit (so type 0 offset 0 is not the none entry), the type, the offset.
const SWAP_MARK: u64 = 1 << 7;
const SWAP_TYPE_SHIFT: u32 = 1;
const SWAP_TYPE_MASK: u64 = 0x1F;
const SWAP_OFFSET_SHIFT: u32 = 12;

/// One entry of the linear teaching table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinearPte(u64);

impl fmt::Debug for LinearPte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinearPte({:#x} {})", self.0, self.describe_flags())
    }
}

impl Pte for LinearPte {
    fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
    fn raw(self) -> u64 {
        self.0
    }
    fn is_present(self) -> bool {
        self.0 & P != 0
    }
    fn is_leaf(self, _level: Level) -> bool {
        true
    }
    fn pfn(self) -> Pfn {
        Pfn::from_pte_field((self.0 & PFN_MASK) >> 12)
    }
    fn perms(self) -> Perms {
        if !self.is_present() && !self.is_protnone() {
            return Perms::empty();
        }
        let mut p = Perms::empty();
        for (bit, perm) in
            [(W, Perms::WRITE), (U, Perms::USER), (X, Perms::EXEC), (A, Perms::ACCESSED), (D, Perms::DIRTY)]
        {
            if self.0 & bit != 0 {
                p |= perm;
            }
        }
        if self.is_present() {
            p |= Perms::READ;
        }
        p
    }
    fn leaf(pfn: Pfn, perms: Perms, _size: PageSizeKind) -> Self {
        let mut v = (pfn.raw() << 12) & PFN_MASK;
        for (bit, perm) in
            [(W, Perms::WRITE), (U, Perms::USER), (X, Perms::EXEC), (A, Perms::ACCESSED), (D, Perms::DIRTY)]
        {
            if perms.contains(perm) {
                v |= bit;
            }
        }
        if perms.intersects(Perms::READ | Perms::WRITE | Perms::EXEC) {
            v |= P;
        } else {
            v |= PROTNONE;
        }
        Self(v)
    }
    fn table(pfn: Pfn) -> Self {
        Self(((pfn.raw() << 12) & PFN_MASK) | P | W | U | A)
    }
    fn with_status(self, bits: Perms) -> Self {
        Self(self.0 | status(bits))
    }
    fn without_status(self, bits: Perms) -> Self {
        Self(self.0 & !status(bits))
    }
    fn from_swap(entry: SwapEntry) -> Self {
        Self(
            SWAP_MARK
                | ((u64::from(entry.swap_type()) & SWAP_TYPE_MASK) << SWAP_TYPE_SHIFT)
                | (entry.offset() << SWAP_OFFSET_SHIFT),
        )
    }
    fn swap_entry(self) -> Option<SwapEntry> {
        if self.0 & (P | SWAP_MARK) != SWAP_MARK {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, reason = "masked to 5 bits")]
        let ty = ((self.0 >> SWAP_TYPE_SHIFT) & SWAP_TYPE_MASK) as u8;
        Some(SwapEntry::new(ty, self.0 >> SWAP_OFFSET_SHIFT))
    }
    fn is_protnone(self) -> bool {
        self.0 & (P | PROTNONE) == PROTNONE
    }
    fn describe_flags(self) -> String {
        if self.is_none() {
            return "none".into();
        }
        if let Some(e) = self.swap_entry() {
            return format!("not present, swap type {} offset {}", e.swap_type(), e.offset());
        }
        if self.is_protnone() {
            return "PROTNONE (not present)".into();
        }
        let names = [(P, "P"), (W, "W"), (U, "U"), (X, "X"), (A, "A"), (D, "D")];
        names.iter().filter(|(b, _)| self.0 & b != 0).map(|(_, n)| *n).collect::<Vec<_>>().join(" ")
    }
}

fn status(bits: Perms) -> u64 {
    let mut v = 0;
    if bits.contains(Perms::ACCESSED) {
        v |= A;
    }
    if bits.contains(Perms::DIRTY) {
        v |= D;
    }
    v
}

/// The linear teaching mode: one level, 512 entries, a 2 MiB address space.
#[derive(Debug)]
pub enum Linear {}

impl PagingMode for Linear {
    type Pte = LinearPte;
    const NAME: &'static str = "linear";
    const LEVELS: u8 = 1;
    const VA_BITS: u32 = 21;
    const LEVEL_NAMES: &'static [&'static str] = &["PT"];

    fn is_canonical(va: crate::addr::VirtAddr) -> bool {
        // No sign extension: the teaching space is simply 0 .. 2 MiB.
        va.raw() >> Self::VA_BITS == 0
    }

    /// The table has `2^(VA_BITS - 12)` = 512 entries, one per page: an address whose page number is past the
    /// last entry has no entry at all. The textbook MMU compares each page number with the page-table length
    /// register (PTLR) and traps to the operating system on failure (Silberschatz et al., *Operating System
    /// Concepts* 10th ed., §9.3.3), which ends the process with SIGSEGV.
    fn describe_out_of_range(va: crate::addr::VirtAddr) -> (String, &'static str) {
        let entries = 1u64 << (Self::VA_BITS - crate::addr::PAGE_SHIFT);
        (
            format!(
                "page {} is beyond the {entries}-entry page table (pages 0..={}): the MMU's page-table length check \
                 traps to the operating system",
                va.raw() >> crate::addr::PAGE_SHIFT,
                entries - 1
            ),
            "no entry is read: the kernel sends SIGSEGV",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::VirtAddr;

    /// Past the 512-entry table there is no entry: the fault is the table-length check, not x86's #GP.
    #[test]
    fn beyond_the_table_is_a_length_check_fault() {
        assert!(Linear::is_canonical(VirtAddr::new(0x1f_ffff)));
        assert!(!Linear::is_canonical(VirtAddr::new(0x20_0000)));
        let (what, then) = Linear::describe_out_of_range(VirtAddr::new(0x30_0000));
        assert!(what.starts_with("page 768 is beyond the 512-entry page table (pages 0..=511)"), "{what}");
        assert!(!what.contains("#GP") && !what.contains("canonical") && then.contains("SIGSEGV"));
    }

    #[test]
    fn index_is_the_page_number() {
        assert_eq!(Linear::index(VirtAddr::new(9192), Level(1)).get(), 2);
        assert_eq!(Linear::index(VirtAddr::new(15 * 4096 + 7), Level(1)).get(), 15);
        assert!(Linear::is_canonical(VirtAddr::new(0x1F_FFFF)));
        assert!(!Linear::is_canonical(VirtAddr::new(0x20_0000)));
    }

    #[test]
    fn encode_decode_round_trip() {
        let p = Perms::READ | Perms::WRITE | Perms::USER;
        let pte = LinearPte::leaf(Pfn::try_new(5).unwrap(), p, PageSizeKind::Size4K);
        assert_eq!(pte.raw(), 0x5007);
        assert_eq!(pte.pfn().raw(), 5);
        assert_eq!(pte.perms(), p);
        let sw = LinearPte::from_swap(SwapEntry::new(0, 13));
        assert!(!sw.is_present() && !sw.is_none());
        assert_eq!(sw.swap_entry(), Some(SwapEntry::new(0, 13)));
        assert_eq!(LinearPte::none().swap_entry(), None);
    }
}
