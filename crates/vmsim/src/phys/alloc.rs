//! The frame-allocator interface the kernel allocates through (`alloc_pages`/`__free_pages`). The one
//! implementation is the buddy allocator, [`super::buddy::Buddy`].

use crate::addr::Pfn;
use crate::phys::buddy::{Buddy, MigrateType};
use crate::phys::PhysMem;

/// Hands out and takes back naturally aligned blocks of 2^order frames.
pub trait FrameAllocator {
    /// A block of 2^`order` frames for an allocation of mobility `t`, or `None` when no block is free. `mem`
    /// answers which in-use pages are movable (the fallback heuristic of `try_to_claim_block` counts them).
    fn alloc_pages(&mut self, order: u8, t: MigrateType, mem: &PhysMem) -> Option<Pfn>;
    /// Return the order-`order` block at `pfn`.
    fn free_pages(&mut self, pfn: Pfn, order: u8);
    /// Take a specific frame (teaching set-ups that place a page in frame M). False if it is not free.
    fn claim(&mut self, pfn: Pfn) -> bool;
    /// Number of free frames.
    fn free_frames(&self) -> usize;
}

impl FrameAllocator for Buddy {
    #[inline]
    fn alloc_pages(&mut self, order: u8, t: MigrateType, mem: &PhysMem) -> Option<Pfn> {
        Buddy::alloc_pages(self, order, t, mem)
    }

    #[inline]
    fn free_pages(&mut self, pfn: Pfn, order: u8) {
        Buddy::free_pages(self, pfn, order);
    }

    fn claim(&mut self, pfn: Pfn) -> bool {
        Buddy::claim(self, pfn)
    }

    #[inline]
    fn free_frames(&self) -> usize {
        usize::try_from(Buddy::free_frames(self)).unwrap_or(usize::MAX)
    }
}
