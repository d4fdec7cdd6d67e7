//! Trace records: one memory access, as plain integers (the model crate wraps them in its address types).

use std::ops::RangeInclusive;

/// What an access does to memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A data load.
    Read,
    /// A data store.
    Write,
    /// An instruction fetch.
    Fetch,
}

/// One memory access: `size` bytes starting at virtual address `addr`.
///
/// Readers guarantee `addr + size <= 2^64`, so the accessed bytes never wrap around the address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Access {
    /// Load, store or instruction fetch.
    pub kind: AccessKind,
    /// First byte accessed.
    pub addr: u64,
    /// Bytes accessed; 0 is allowed and touches the page of `addr`.
    pub size: u32,
}

/// Page numbers (`addr >> page_shift`) of every page that `size` bytes at `addr` touch, in increasing order.
///
/// An access that crosses a page boundary touches both pages; size 0 touches the page of `addr`. Bytes past the top
/// of the address space are clipped (readers never produce them), and a `page_shift` of 64 or more puts every
/// address in page 0. The common single-page case is one shift per end and a one-element range.
pub fn pages_touched(addr: u64, size: u32, page_shift: u32) -> RangeInclusive<u64> {
    let last_byte = addr.saturating_add(u64::from(size.saturating_sub(1)));
    let page = |a: u64| a.checked_shr(page_shift).unwrap_or(0);
    page(addr)..=page(last_byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pages(addr: u64, size: u32, shift: u32) -> Vec<u64> {
        pages_touched(addr, size, shift).collect()
    }

    #[test]
    fn single_page() {
        assert_eq!(pages(0x1000, 8, 12), [1]);
        assert_eq!(pages(0x1ff8, 8, 12), [1]);
        assert_eq!(pages(0x1234, 1, 12), [1]);
    }

    #[test]
    fn size_zero_touches_the_page_of_addr() {
        assert_eq!(pages(0x1fff, 0, 12), [1]);
        assert_eq!(pages(0, 0, 12), [0]);
    }

    #[test]
    fn crossing_a_boundary_touches_both_pages() {
        assert_eq!(pages(0x1ffc, 8, 12), [1, 2]);
        assert_eq!(pages(0x1fff, 2, 12), [1, 2]);
        assert_eq!(pages(0x1000, 0x2001, 12), [1, 2, 3]);
    }

    #[test]
    fn top_of_address_space() {
        assert_eq!(pages(u64::MAX, 1, 12), [u64::MAX >> 12]);
        assert_eq!(pages(u64::MAX - 7, 8, 12), [u64::MAX >> 12]);
        // Clipped, not wrapped: readers reject this access, but the helper must not panic or wrap to page 0.
        assert_eq!(pages(u64::MAX, 2, 12), [u64::MAX >> 12]);
    }

    #[test]
    fn odd_page_shifts() {
        assert_eq!(pages(0x20_0000, 1, 21), [1]);
        assert_eq!(pages(7, 2, 0), [7, 8]);
        assert_eq!(pages(u64::MAX, 1, 64), [0]);
        assert_eq!(pages(u64::MAX, 1, 200), [0]);
    }

    proptest! {
        #[test]
        fn matches_byte_by_byte(addr in any::<u64>(), size in 0u32..10_000, shift in 0u32..20) {
            let got = pages(addr, size, shift);
            let mut want = vec![addr >> shift];
            for b in 1..u64::from(size) {
                let Some(a) = addr.checked_add(b) else { break };
                if want.last() != Some(&(a >> shift)) {
                    want.push(a >> shift);
                }
            }
            prop_assert_eq!(got, want);
        }
    }
}
