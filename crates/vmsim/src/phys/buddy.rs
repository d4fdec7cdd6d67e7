//! The buddy allocator's rules and Linux's fragmentation metrics (mm/page_alloc.c `__rmqueue_smallest`, `expand`,
//! `__free_one_page`, `__find_buddy_pfn`; mm/vmstat.c `fill_contig_page_info`, `__fragmentation_index`,
//! `unusable_free_index`, `frag_show_print`; LINUX-VM-SPEC §11).
//!
//! Issue 11 work in progress: this file is the allocator on its own, tested against the spec's vectors and a naive
//! bitmap model. It is not yet the kernel's frame allocator (kernel/ uses [`super::alloc::FreeList`]); migrate types,
//! per-CPU lists and order-aware watermarks come with the switch.
//!
//! Free blocks of order k (2^k frames, naturally aligned) sit on `free[k]`. Allocating order k takes a block from
//! the smallest order j >= k that has one and splits it, putting the upper halves back on the lists of orders
//! j-1 .. k (`expand`). Freeing merges with the buddy (`pfn ^ (1 << order)`) while the buddy is free at the same
//! order, up to [`MAX_PAGE_ORDER`].

use std::collections::BTreeSet;

/// `MAX_PAGE_ORDER` on x86-64: order-10 blocks (4 MiB) are the largest and never merge further.
pub const MAX_PAGE_ORDER: u8 = 10;
/// `NR_PAGE_ORDERS`.
pub const NR_PAGE_ORDERS: usize = MAX_PAGE_ORDER as usize + 1;

/// `__find_buddy_pfn()`: the buddy of the order-`order` block at `pfn`.
pub const fn buddy_pfn(pfn: u64, order: u8) -> u64 {
    pfn ^ (1 << order)
}

/// A buddy allocator over frames `0..frames`.
#[derive(Debug, Clone)]
pub struct Buddy {
    frames: u64,
    /// Free blocks per order, by first frame (ordered: the lowest block is taken first, deterministically).
    free: [BTreeSet<u64>; NR_PAGE_ORDERS],
}

impl Buddy {
    /// All of `frames` frames free, as the largest aligned blocks that fit (`memblock_free_all` → `__free_pages`).
    pub fn new(frames: u64) -> Self {
        let mut b = Self { frames, free: Default::default() };
        let mut pfn = 0;
        while pfn < frames {
            let mut order = MAX_PAGE_ORDER;
            while order > 0 && (pfn % (1 << order) != 0 || pfn + (1 << order) > frames) {
                order -= 1;
            }
            b.free[order as usize].insert(pfn);
            pfn += 1 << order;
        }
        b
    }

    /// `nr_free` per order (`/proc/buddyinfo`'s numbers).
    pub fn nr_free(&self) -> [u64; NR_PAGE_ORDERS] {
        std::array::from_fn(|k| self.free[k].len() as u64)
    }

    /// Free frames in all.
    pub fn free_frames(&self) -> u64 {
        self.free.iter().enumerate().map(|(k, s)| (s.len() as u64) << k).sum()
    }

    /// Allocate a block of 2^`order` frames (`__rmqueue_smallest` + `expand`); its first frame.
    pub fn alloc(&mut self, order: u8) -> Option<u64> {
        let k = usize::from(order);
        let j = (k..NR_PAGE_ORDERS).find(|&j| !self.free[j].is_empty())?;
        let pfn = self.free[j].pop_first()?;
        // expand(): the upper halves go back, order j-1 down to k.
        for o in (k..j).rev() {
            self.free[o].insert(pfn + (1 << o));
        }
        Some(pfn)
    }

    /// Free the order-`order` block at `pfn`, merging with free buddies (`__free_one_page`). False (and nothing
    /// changes) for a block outside RAM, misaligned, or overlapping a free block.
    pub fn free(&mut self, pfn: u64, order: u8) -> bool {
        if order > MAX_PAGE_ORDER
            || pfn % (1 << order) != 0
            || pfn + (1 << order) > self.frames
            || self.overlaps_free(pfn, order)
        {
            return false;
        }
        let (mut pfn, mut order) = (pfn, order);
        while order < MAX_PAGE_ORDER {
            let buddy = buddy_pfn(pfn, order);
            if !self.free[usize::from(order)].remove(&buddy) {
                break;
            }
            pfn &= !(1 << order);
            order += 1;
        }
        self.free[usize::from(order)].insert(pfn);
        true
    }

    fn overlaps_free(&self, pfn: u64, order: u8) -> bool {
        let end = pfn + (1 << order);
        self.free.iter().enumerate().any(|(k, s)| {
            // A free block of order k overlapping [pfn, end) starts in [pfn - 2^k + 1, end).
            s.range(pfn.saturating_sub((1 << k) - 1)..end).next().is_some()
        })
    }

    /// `/proc/buddyinfo`'s line for this zone: `"Node %d, zone %8s "` then `"%6lu "` per order.
    pub fn buddyinfo_line(&self, node: u32, zone: &str) -> String {
        let mut s = format!("Node {node}, zone {zone:>8} ");
        for n in self.nr_free() {
            s.push_str(&format!("{n:6} "));
        }
        s
    }
}

/// `fill_contig_page_info()` for order `order`: (free pages, free blocks, suitable blocks in order-`order` units).
pub fn contig_page_info(nr_free: &[u64; NR_PAGE_ORDERS], order: u8) -> (u64, u64, u64) {
    let mut free_pages = 0;
    let mut blocks = 0;
    let mut suitable = 0;
    for (k, &n) in nr_free.iter().enumerate() {
        blocks += n;
        free_pages += n << k;
        if k >= usize::from(order) {
            suitable += n << (k - usize::from(order));
        }
    }
    (free_pages, blocks, suitable)
}

/// `__fragmentation_index()`: 0 with no free blocks, -1000 when a suitable block exists, else
/// `1000 - (1000 + free_pages * 1000 / 2^order) / blocks_total` (integer arithmetic, as in C).
pub fn fragmentation_index(nr_free: &[u64; NR_PAGE_ORDERS], order: u8) -> i64 {
    let (free_pages, blocks, suitable) = contig_page_info(nr_free, order);
    if blocks == 0 {
        return 0;
    }
    if suitable > 0 {
        return -1000;
    }
    let requested = 1i64 << order;
    let (free_pages, blocks) =
        (crate::kernel::overcommit::sat_i64(free_pages), crate::kernel::overcommit::sat_i64(blocks));
    1000 - (1000 + free_pages * 1000 / requested) / blocks
}

/// `unusable_free_index()`: 1000 with no free pages, else `(free_pages - (suitable << order)) * 1000 / free_pages`.
pub fn unusable_index(nr_free: &[u64; NR_PAGE_ORDERS], order: u8) -> i64 {
    let (free_pages, _, suitable) = contig_page_info(nr_free, order);
    if free_pages == 0 {
        return 1000;
    }
    let f = crate::kernel::overcommit::sat_i64(free_pages);
    (f - crate::kernel::overcommit::sat_i64(suitable << order)) * 1000 / f
}

/// `index / 1000` and `index % 1000` printed as C's `"%2d.%03d "` (or `"%d.%03d "` for the unusable index):
/// C's `/` and `%` truncate toward zero, so -500 prints as ` 0.-500`.
fn c_fixed(index: i64, width: usize) -> String {
    let whole = index / 1000;
    let frac = index % 1000;
    if frac < 0 {
        format!("{whole:width$}.-{:03} ", -frac)
    } else {
        format!("{whole:width$}.{frac:03} ")
    }
}

/// The debugfs `extfrag/extfrag_index` line of a zone.
pub fn extfrag_line(nr_free: &[u64; NR_PAGE_ORDERS], node: u32, zone: &str) -> String {
    let mut s = format!("Node {node}, zone {zone:>8} ");
    for o in 0..=MAX_PAGE_ORDER {
        s.push_str(&c_fixed(fragmentation_index(nr_free, o), 2));
    }
    s
}

/// The debugfs `extfrag/unusable_index` line of a zone.
pub fn unusable_line(nr_free: &[u64; NR_PAGE_ORDERS], node: u32, zone: &str) -> String {
    let mut s = format!("Node {node}, zone {zone:>8} ");
    for o in 0..=MAX_PAGE_ORDER {
        s.push_str(&c_fixed(unusable_index(nr_free, o), 1));
    }
    s
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation, reason = "tests index a bitmap of fewer than 3000 frames")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lists(v: &[u64]) -> [u64; NR_PAGE_ORDERS] {
        std::array::from_fn(|k| v.get(k).copied().unwrap_or(0))
    }

    /// SPEC §11 vectors: the index table, the buddy pairs and the buddyinfo/extfrag lines.
    #[test]
    fn spec_11_vectors() {
        let a = lists(&[1000]);
        assert_eq!((fragmentation_index(&a, 0), unusable_index(&a, 0)), (-1000, 0));
        assert_eq!((fragmentation_index(&a, 4), unusable_index(&a, 4)), (937, 1000));
        assert_eq!([1, 2, 3, 5].map(|o| fragmentation_index(&a, o)), [499, 749, 874, 968]);
        let b = lists(&[100, 50, 10]);
        assert_eq!(contig_page_info(&b, 2), (240, 160, 10));
        assert_eq!((fragmentation_index(&b, 2), unusable_index(&b, 2)), (-1000, 833));
        assert_eq!((fragmentation_index(&b, 3), unusable_index(&b, 3)), (807, 1000));
        let c = lists(&[0, 0, 0, 1]);
        assert_eq!((fragmentation_index(&c, 4), unusable_index(&c, 4)), (-500, 1000));
        let z = lists(&[]);
        assert_eq!((fragmentation_index(&z, 3), unusable_index(&z, 3)), (0, 1000));
        assert_eq!(buddy_pfn(0x1000, 0), 0x1001);
        assert_eq!(buddy_pfn(0x1008, 3), 0x1000);
        assert_eq!(buddy_pfn(0x1200, 9), 0x1000);
        assert_eq!(buddy_pfn(0x12340, 4), 0x12350);
        let mut buddy = Buddy { frames: 2000, free: Default::default() };
        for p in 0..1000 {
            buddy.free[0].insert(p * 2);
        }
        assert_eq!(
            buddy.buddyinfo_line(0, "Normal"),
            "Node 0, zone   Normal   1000      0      0      0      0      0      0      0      0      0      0 "
        );
        assert_eq!(
            extfrag_line(&a, 0, "Normal"),
            "Node 0, zone   Normal -1.000  0.499  0.749  0.874  0.937  0.968  0.984  0.992  0.996  0.998  0.999 "
        );
        assert!(extfrag_line(&c, 0, "Normal").contains(" 0.-500 "), "C prints -500 as 0.-500");
    }

    #[test]
    fn split_and_coalesce() {
        let mut b = Buddy::new(1024);
        assert_eq!(b.nr_free()[10], 1);
        assert_eq!(b.alloc(0), Some(0));
        // 1 frame taken from an order-10 block: one free block of each order 0..=9.
        assert_eq!(b.nr_free(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
        assert!(b.free(0, 0));
        assert_eq!(b.nr_free()[10], 1, "fully coalesced");
        assert!(!b.free(0, 0), "double free refused");
        assert!(!b.free(3, 2), "misaligned refused");
    }

    proptest! {
        /// Against a naive bitmap: allocations never overlap and stay in RAM, free counts agree, and freeing
        /// everything coalesces back to the starting lists.
        #[test]
        fn matches_a_naive_bitmap(frames in 1u64..3000, ops in prop::collection::vec((0u8..=4, any::<bool>(), any::<prop::sample::Index>()), 1..200)) {
            let mut b = Buddy::new(frames);
            let start = b.nr_free();
            let mut used = vec![false; frames as usize];
            let mut held: Vec<(u64, u8)> = Vec::new();
            for (order, do_alloc, pick) in ops {
                if do_alloc || held.is_empty() {
                    if let Some(p) = b.alloc(order) {
                        prop_assert_eq!(p % (1 << order), 0);
                        for f in p..p + (1 << order) {
                            prop_assert!(f < frames && !used[f as usize], "overlap or beyond RAM at {}", f);
                            used[f as usize] = true;
                        }
                        held.push((p, order));
                    } else {
                        // Refused only when no free aligned run of 2^order frames exists among free blocks.
                        prop_assert!(b.nr_free()[usize::from(order)..].iter().all(|&n| n == 0));
                    }
                } else {
                    let (p, o) = held.swap_remove(pick.index(held.len()));
                    prop_assert!(b.free(p, o));
                    for f in p..p + (1 << o) {
                        used[f as usize] = false;
                    }
                }
                prop_assert_eq!(b.free_frames(), used.iter().filter(|u| !**u).count() as u64);
            }
            for (p, o) in held {
                prop_assert!(b.free(p, o));
            }
            prop_assert_eq!(b.nr_free(), start);
        }
    }
}
