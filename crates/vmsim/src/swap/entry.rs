//! The generic swap entry `swp_entry_t` (`include/linux/swapops.h`; LINUX-VM-SPEC §3).

use std::fmt;

/// `MAX_SWAPFILES_SHIFT = 5`: 32 type values.
pub const MAX_SWAPFILES_SHIFT: u32 = 5;
/// `SWP_TYPE_SHIFT = BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT = 63 - 5 = 58`.
pub const SWP_TYPE_SHIFT: u32 = 63 - MAX_SWAPFILES_SHIFT;
/// `SWP_OFFSET_MASK = (1 << 58) - 1`.
pub const SWP_OFFSET_MASK: u64 = (1 << SWP_TYPE_SHIFT) - 1;

/// A swap entry: which swap area (`type`) and which page slot in it (`offset`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SwapEntry {
    val: u64,
}

impl fmt::Debug for SwapEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SwapEntry(type {}, offset {:#x})", self.swap_type(), self.offset())
    }
}

impl SwapEntry {
    /// `swp_entry(type, offset)`: `val = (type << 58) | (offset & SWP_OFFSET_MASK)`.
    pub const fn new(swap_type: u8, offset: u64) -> Self {
        Self { val: ((swap_type as u64 & 0x1F) << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK) }
    }
    /// `swp_type()`.
    #[allow(clippy::cast_possible_truncation, reason = "5-bit field")]
    pub const fn swap_type(self) -> u8 {
        (self.val >> SWP_TYPE_SHIFT) as u8
    }
    /// `swp_offset()`: the page slot in the area.
    pub const fn offset(self) -> u64 {
        self.val & SWP_OFFSET_MASK
    }
    /// The generic encoded value (`swp_entry_t.val`).
    pub const fn val(self) -> u64 {
        self.val
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §3 test vectors for the generic encoding.
    #[test]
    fn spec_3_generic_vectors() {
        assert_eq!(SwapEntry::new(1, 0x1234).val(), 0x0400_0000_0000_1234);
        assert_eq!(SwapEntry::new(0, 0).val(), 0);
        assert_eq!(SwapEntry::new(0, 1).val(), 1);
        assert_eq!(SwapEntry::new(3, 0x7FFFF).val(), 0x0C00_0000_0007_FFFF);
        let e = SwapEntry::new(3, 0x7FFFF);
        assert_eq!((e.swap_type(), e.offset()), (3, 0x7FFFF));
    }
}
