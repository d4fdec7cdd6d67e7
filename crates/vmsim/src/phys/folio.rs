//! Compound pages (folios): 2^order contiguous frames treated as one page (include/linux/mm.h,
//! include/linux/page-flags.h, mm/page_alloc.c `prep_compound_page`).
//!
//! The head frame carries `PG_head`, the order and the folio-wide state (mapping, index, flags, refcount, and the
//! `entire_mapcount` of PMD/PUD mappings); each tail frame points to its head and keeps only its own `mapcount`
//! (PTEs mapping that 4 KiB part) and reverse-map entries. Every other frame is a base page, a folio of order 0.
//!
//! Nothing allocates a compound page yet: THP and the buddy allocator will build them with
//! [`PhysMem::prep_compound_page`], and free each frame with [`PhysMem::free_meta`] (Linux checks and clears each
//! tail in `free_tail_page_prepare`).

use super::{PageFlags, PhysMem};
use crate::Pfn;

/// Largest order a compound page may have: a 1 GiB page of 4 KiB frames (`PUD_ORDER`, include/linux/pgtable.h).
pub const MAX_FOLIO_ORDER: u8 = 18;

impl PhysMem {
    /// `compound_head()`: the head of the compound page `pfn` belongs to; `pfn` itself for heads and base pages.
    #[inline]
    pub fn compound_head(&self, pfn: Pfn) -> Pfn {
        self.meta(pfn).head().unwrap_or(pfn)
    }

    /// `PageHead()`: whether `pfn` is the first frame of a compound page.
    #[inline]
    pub fn is_head(&self, pfn: Pfn) -> bool {
        self.meta(pfn).test(PageFlags::HEAD)
    }

    /// `PageTail()`: whether `pfn` is a frame of a compound page other than its first.
    #[inline]
    pub fn is_tail(&self, pfn: Pfn) -> bool {
        self.meta(pfn).head().is_some()
    }

    /// `folio_order(page_folio(pfn))`: the order of the folio `pfn` belongs to (0 for a base page).
    #[inline]
    pub fn folio_order(&self, pfn: Pfn) -> u8 {
        self.meta(self.compound_head(pfn)).order
    }

    /// `folio_nr_pages(page_folio(pfn))`: frames in the folio `pfn` belongs to.
    #[inline]
    pub fn folio_nr_pages(&self, pfn: Pfn) -> usize {
        1 << self.folio_order(pfn)
    }

    /// `folio_mapcount(page_folio(pfn))` (include/linux/mm.h): the page-table entries mapping any part of the
    /// folio, a PMD or PUD mapping of the whole counting once (`_entire_mapcount`) and each PTE once (the pages'
    /// `_mapcount`), as Linux's `_large_mapcount` counts them.
    pub fn folio_mapcount(&self, pfn: Pfn) -> u32 {
        let head = self.compound_head(pfn);
        let first = self.meta(head);
        let tails = (1..self.folio_nr_pages(head)).map(|i| self.meta(Pfn::from_index(head.index() + i)).mapcount);
        first.entire_mapcount + first.mapcount + tails.sum::<u32>()
    }

    /// `prep_compound_page()` (mm/page_alloc.c): make the 2^`order` free frames from `head` (aligned to their
    /// size, as the buddy allocator hands them out) one compound page: `PG_head` and the order on the head, the head
    /// pointer on every tail.
    ///
    /// # Panics
    /// On an order of 0 or above [`MAX_FOLIO_ORDER`], a misaligned head, a range beyond RAM, or a frame that is
    /// already part of a compound page: callers are the kernel's allocators, so each is a model bug.
    pub fn prep_compound_page(&mut self, head: Pfn, order: u8) {
        assert!((1..=MAX_FOLIO_ORDER).contains(&order), "compound page of order {order}");
        let nr = 1usize << order;
        assert!(head.index() % nr == 0, "{head:?} is not aligned to order {order}");
        assert!(head.index() + nr <= self.frames(), "order-{order} page at {head:?} runs past RAM");
        for i in 0..nr {
            let m = self.meta_mut(Pfn::from_index(head.index() + i));
            assert!(m.order == 0 && m.head().is_none() && !m.test(PageFlags::HEAD), "frame already compound");
            if i > 0 {
                m.set_compound_head(head);
            }
        }
        let m = self.meta_mut(head);
        m.set(PageFlags::HEAD);
        m.order = order;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Vpn;
    use crate::arch::PageSizeKind;
    use crate::phys::rmap::{self, MmId, RmapEntry};

    fn f(i: usize) -> Pfn {
        Pfn::from_index(i)
    }

    #[test]
    fn a_2mib_folio_built_by_hand() {
        let mut m = PhysMem::new(2048);
        m.prep_compound_page(f(512), 9);
        // Head, a tail, the last tail, and base pages on either side.
        assert!(m.is_head(f(512)) && !m.is_tail(f(512)));
        assert!(m.is_tail(f(513)) && !m.is_head(f(513)) && m.is_tail(f(1023)));
        assert!(!m.is_head(f(511)) && !m.is_tail(f(511)) && !m.is_tail(f(1024)));
        for p in [512, 513, 700, 1023] {
            assert_eq!(m.compound_head(f(p)), f(512), "frame {p}");
            assert_eq!((m.folio_order(f(p)), m.folio_nr_pages(f(p))), (9, 512), "frame {p}");
        }
        for p in [0, 511, 1024, 2047] {
            assert_eq!(m.compound_head(f(p)), f(p));
            assert_eq!((m.folio_order(f(p)), m.folio_nr_pages(f(p))), (0, 1));
        }
        assert_eq!((m.meta(f(513)).order, m.meta(f(513)).head()), (0, Some(f(512))), "the order lives in the head");

        // One PMD mapping of the whole folio, plus two PTEs of another mm mapping two of its pages.
        let pmd = RmapEntry { mm: MmId(1), vpn: Vpn::new(0x600), size: PageSizeKind::Size2M };
        rmap::add(&mut m, f(512), pmd);
        rmap::add(&mut m, f(512), RmapEntry::pte(MmId(2), Vpn::new(0x10)));
        rmap::add(&mut m, f(600), RmapEntry::pte(MmId(2), Vpn::new(0x10 + 88)));
        assert_eq!(m.meta(f(512)).entire_mapcount, 1);
        assert_eq!((m.meta(f(512)).mapcount, m.meta(f(600)).mapcount), (1, 1));
        assert_eq!(m.folio_mapcount(f(700)), 3);
        assert_eq!(m.folio_mapcount(f(100)), 0);

        // Unmapped and freed frame by frame, it is 512 base pages again.
        assert!(rmap::remove(&mut m, f(512), pmd));
        assert!(rmap::remove(&mut m, f(512), RmapEntry::pte(MmId(2), Vpn::new(0x10))));
        assert!(rmap::remove(&mut m, f(600), RmapEntry::pte(MmId(2), Vpn::new(0x10 + 88))));
        for p in 512..1024 {
            m.free_meta(f(p));
        }
        assert!(!m.is_head(f(512)) && !m.is_tail(f(513)) && m.folio_order(f(700)) == 0);
    }

    #[test]
    fn tails_point_to_heads_anywhere_in_ram() {
        // A 1 GiB folio at the top of a 64 GiB machine: the head pointer keeps every bit of the frame number.
        let mut m = PhysMem::new(1 << 24);
        let head = f((1 << 24) - (1 << 18));
        m.prep_compound_page(head, 18);
        assert_eq!(m.compound_head(f((1 << 24) - 1)), head);
        assert_eq!(m.folio_nr_pages(f((1 << 24) - 5)), 1 << 18);
    }

    #[test]
    #[should_panic(expected = "not aligned")]
    fn a_misaligned_head_is_a_bug() {
        PhysMem::new(64).prep_compound_page(f(2), 2);
    }
}
