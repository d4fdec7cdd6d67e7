//! Frame allocation. A simple free-list allocator now; the buddy allocator (mm/page_alloc.c) replaces it later
//! behind the same [`FrameAllocator`] trait.

use crate::addr::Pfn;

/// Hands out and takes back single frames.
pub trait FrameAllocator {
    /// Take a free frame, or `None` when RAM is exhausted.
    fn alloc(&mut self) -> Option<Pfn>;
    /// Return a frame.
    fn free(&mut self, pfn: Pfn);
    /// Take a specific frame (teaching set-ups that place a page in frame M). False if it is not free.
    fn claim(&mut self, pfn: Pfn) -> bool;
    /// Number of free frames.
    fn free_frames(&self) -> usize;
    /// Whether `pfn` is currently allocated.
    fn is_allocated(&self, pfn: Pfn) -> bool;
}

/// A LIFO free list over a bitmap. Frames never handed out are taken from the top of RAM downwards, so low frame
/// numbers stay free for teaching scenarios that pin pages to specific frames. Host cost: one bit per frame.
#[derive(Debug)]
pub struct FreeList {
    frames: usize,
    allocated: Vec<u64>,
    /// Frames below this index have never been handed out by the bump path (they may have been claimed).
    bump: usize,
    free: Vec<Pfn>,
    nr_free: usize,
}

impl FreeList {
    /// All `frames` frames free.
    pub fn new(frames: usize) -> Self {
        Self { frames, allocated: vec![0; frames.div_ceil(64)], bump: frames, free: Vec::new(), nr_free: frames }
    }

    fn bit(&self, i: usize) -> bool {
        self.allocated[i / 64] >> (i % 64) & 1 == 1
    }

    fn set(&mut self, i: usize, v: bool) {
        if v {
            self.allocated[i / 64] |= 1 << (i % 64);
        } else {
            self.allocated[i / 64] &= !(1 << (i % 64));
        }
    }
}

impl FrameAllocator for FreeList {
    fn alloc(&mut self) -> Option<Pfn> {
        while let Some(p) = self.free.pop() {
            if !self.bit(p.index()) {
                self.set(p.index(), true);
                self.nr_free -= 1;
                return Some(p);
            }
        }
        while self.bump > 0 {
            self.bump -= 1;
            if !self.bit(self.bump) {
                self.set(self.bump, true);
                self.nr_free -= 1;
                return Some(Pfn::from_index(self.bump));
            }
        }
        None
    }

    fn free(&mut self, pfn: Pfn) {
        debug_assert!(self.bit(pfn.index()), "double free of {pfn:?}");
        if self.bit(pfn.index()) {
            self.set(pfn.index(), false);
            self.nr_free += 1;
            if pfn.index() < self.bump {
                // Still reachable by the bump path: no list entry needed.
            } else {
                self.free.push(pfn);
            }
        }
    }

    fn claim(&mut self, pfn: Pfn) -> bool {
        if pfn.index() >= self.frames || self.bit(pfn.index()) {
            return false;
        }
        self.set(pfn.index(), true);
        self.nr_free -= 1;
        true
    }

    fn free_frames(&self) -> usize {
        self.nr_free
    }

    fn is_allocated(&self, pfn: Pfn) -> bool {
        pfn.index() < self.frames && self.bit(pfn.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_every_frame_once_then_none() {
        let mut a = FreeList::new(10);
        let mut got: Vec<_> = (0..10).map(|_| a.alloc().unwrap().index()).collect();
        assert_eq!(a.alloc(), None);
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        a.free(Pfn::from_index(4));
        assert_eq!(a.free_frames(), 1);
        assert_eq!(a.alloc(), Some(Pfn::from_index(4)));
    }

    #[test]
    fn claimed_frames_are_skipped() {
        let mut a = FreeList::new(4);
        assert!(a.claim(Pfn::from_index(3)));
        assert!(!a.claim(Pfn::from_index(3)));
        assert_eq!(a.alloc(), Some(Pfn::from_index(2)));
        a.free(Pfn::from_index(2));
        assert_eq!(a.alloc(), Some(Pfn::from_index(2)));
        assert_eq!(a.free_frames(), 2);
        assert!(!a.claim(Pfn::from_index(9)));
    }
}
