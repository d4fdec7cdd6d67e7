//! The buddy allocator, the kernel's frame allocator (mm/page_alloc.c `__rmqueue_smallest`, `expand`,
//! `__rmqueue_claim`, `try_to_claim_block`, `__rmqueue_steal`, `__free_one_page`, `__find_buddy_pfn`), and Linux's
//! fragmentation metrics (mm/vmstat.c `fill_contig_page_info`, `__fragmentation_index`, `unusable_free_index`,
//! `frag_show_print`, `pagetypeinfo_show`; LINUX-VM-SPEC §11).
//!
//! Free blocks of order k (2^k frames, naturally aligned) sit on `free[k][migratetype]`. Allocating order k of type
//! t takes a block from the smallest order j >= k that has one of type t and splits it, putting the upper halves
//! back on the lists of orders j-1 .. k (`expand`). When type t has none, the allocation falls back to the other
//! types in Linux's order (`fallbacks[]`): first it tries to claim a whole pageblock for t, largest blocks first
//! (`__rmqueue_claim`), then it steals the smallest block without changing the pageblock's type
//! (`__rmqueue_steal`). Freeing merges with the buddy (`pfn ^ (1 << order)`) while the buddy is free at the same
//! order, up to [`MAX_PAGE_ORDER`]; a pageblock-sized buddy of another type takes the freed block's type.
//!
//! Where vmsim differs from Linux, deliberately:
//! * Each free list hands out its lowest-addressed block first (Linux's lists are LIFO, with some frees at the
//!   tail). The choice is deterministic and independent of the order of frees, and it keeps the frames in use
//!   packed at the bottom of RAM, so host memory follows the frames touched, not the size of RAM.
//! * No per-CPU page lists (the issue makes them optional), no watermark boosting on fallback, no HighAtomic
//!   reserve, CMA or isolation (their lines in `/proc/pagetypeinfo` read 0), one zone (`Normal`).
//! * Order-10 blocks that were never split are not listed one by one: they are kept as ranges of untouched
//!   frames, all in MOVABLE pageblocks as `memmap_init_range` leaves them at boot. A 256 TiB machine boots in
//!   constant time and host memory.

use std::collections::{BTreeMap, BTreeSet};

use crate::addr::Pfn;
use crate::phys::{PageFlags, PhysMem};

/// `MAX_PAGE_ORDER` on x86-64: order-10 blocks (4 MiB) are the largest and never merge further.
pub const MAX_PAGE_ORDER: u8 = 10;
/// `NR_PAGE_ORDERS`.
pub const NR_PAGE_ORDERS: usize = MAX_PAGE_ORDER as usize + 1;
/// `pageblock_order` on x86-64 with THP: `HPAGE_PMD_ORDER` = 9 (2 MiB pageblocks).
pub const PAGEBLOCK_ORDER: u8 = 9;
/// `pageblock_nr_pages`.
pub const PAGEBLOCK_PAGES: u64 = 1 << PAGEBLOCK_ORDER;
const MAX_ORDER_PAGES: u64 = 1 << MAX_PAGE_ORDER;

/// A page's mobility (`enum migratetype`, include/linux/mmzone.h). Only the three `MIGRATE_PCPTYPES` are allocated
/// from; the others exist in Linux's tables and print as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum MigrateType {
    /// `MIGRATE_UNMOVABLE`: page tables, kernel allocations.
    Unmovable = 0,
    /// `MIGRATE_MOVABLE`: anonymous and page-cache pages (`__GFP_MOVABLE`).
    Movable = 1,
    /// `MIGRATE_RECLAIMABLE`: reclaimable kernel caches (`__GFP_RECLAIMABLE`).
    Reclaimable = 2,
}

/// `MIGRATE_PCPTYPES`.
pub const MIGRATE_PCPTYPES: usize = 3;

/// `migratetype_names[]` as a kernel with `CONFIG_CMA` and `CONFIG_MEMORY_ISOLATION` (the distributions' x86-64
/// configs) prints them in `/proc/pagetypeinfo`.
pub const MIGRATETYPE_NAMES: [&str; 6] = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"];

impl MigrateType {
    const ALL: [Self; MIGRATE_PCPTYPES] = [Self::Unmovable, Self::Movable, Self::Reclaimable];

    /// `fallbacks[migratetype]` (mm/page_alloc.c): the types an allocation of this type falls back to, in order.
    pub const fn fallbacks(self) -> [Self; 2] {
        match self {
            Self::Unmovable => [Self::Reclaimable, Self::Movable],
            Self::Movable => [Self::Reclaimable, Self::Unmovable],
            Self::Reclaimable => [Self::Unmovable, Self::Movable],
        }
    }

    const fn idx(self) -> usize {
        self as usize
    }

    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Unmovable,
            2 => Self::Reclaimable,
            _ => Self::Movable,
        }
    }
}

/// `__find_buddy_pfn()`: the buddy of the order-`order` block at `pfn`.
pub const fn buddy_pfn(pfn: u64, order: u8) -> u64 {
    pfn ^ (1 << order)
}

/// `should_try_claim_block()` (mm/page_alloc.c, v6.15+): whether a fallback from a block of order `order` should
/// try to claim the whole pageblock for `start`.
pub const fn should_try_claim_block(order: u8, start: MigrateType) -> bool {
    order >= PAGEBLOCK_ORDER
        || order >= PAGEBLOCK_ORDER / 2
        || matches!(start, MigrateType::Reclaimable | MigrateType::Unmovable)
}

/// Counters of the allocator's fallbacks (Linux traces them as `mm_page_alloc_extfrag`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FallbackStats {
    /// Pageblocks whose type a fallback changed (`try_to_claim_block` succeeded or took a block >= pageblock).
    pub claimed_blocks: u64,
    /// Allocations served from another type's block without claiming it (`__rmqueue_steal`).
    pub steals: u64,
}

/// The buddy allocator of one zone over frames `first..frames`.
#[derive(Debug, Clone)]
pub struct Buddy {
    frames: u64,
    /// Frames below this are not managed (reserved at boot; exact mode's user frames).
    first: u64,
    /// Free blocks per order and type, by first frame.
    free: [[BTreeSet<u64>; MIGRATE_PCPTYPES]; NR_PAGE_ORDERS],
    /// Bit k of `nonempty[t]`: `free[k][t]` has a block.
    nonempty: [u16; MIGRATE_PCPTYPES],
    /// Never-split order-10 blocks, MOVABLE: ranges `start -> end` (both multiples of 1024).
    untouched: BTreeMap<u64, u64>,
    /// Order-10 blocks in `untouched`.
    untouched_blocks: u64,
    /// Pageblock types, indexed by pfn >> 9; pageblocks beyond the vector are MOVABLE.
    pageblock: Vec<u8>,
    nr_free: u64,
    /// Fallback counters.
    pub fallback: FallbackStats,
}

impl Buddy {
    /// All of `frames` frames free, as the largest aligned blocks that fit (`memblock_free_all` → `__free_pages`).
    pub fn new(frames: u64) -> Self {
        Self::with_reserved(frames, 0)
    }

    /// Frames `first..frames` free; frames below `first` stay out of the allocator (`memblock_reserve`).
    pub fn with_reserved(frames: u64, first: u64) -> Self {
        let mut b = Self {
            frames,
            first,
            free: Default::default(),
            nonempty: [0; MIGRATE_PCPTYPES],
            untouched: BTreeMap::new(),
            untouched_blocks: 0,
            pageblock: Vec::new(),
            nr_free: frames.saturating_sub(first),
            fallback: FallbackStats::default(),
        };
        let lo = first.next_multiple_of(MAX_ORDER_PAGES).min(frames);
        let hi = (frames / MAX_ORDER_PAGES * MAX_ORDER_PAGES).max(lo);
        b.add_range(first, lo);
        if hi > lo {
            b.untouched.insert(lo, hi);
            b.untouched_blocks = (hi - lo) / MAX_ORDER_PAGES;
        }
        b.add_range(hi, frames);
        b
    }

    /// Free `[start, end)` as the largest aligned blocks that fit, all MOVABLE.
    fn add_range(&mut self, start: u64, end: u64) {
        let mut pfn = start;
        while pfn < end {
            let mut order = MAX_PAGE_ORDER;
            while order > 0 && (pfn % (1 << order) != 0 || pfn + (1 << order) > end) {
                order -= 1;
            }
            self.add(pfn, order, MigrateType::Movable);
            pfn += 1 << order;
        }
    }

    /// Frames of RAM.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    fn add(&mut self, pfn: u64, order: u8, t: MigrateType) {
        self.free[usize::from(order)][t.idx()].insert(pfn);
        self.nonempty[t.idx()] |= 1 << order;
    }

    fn remove(&mut self, pfn: u64, order: u8, t: MigrateType) -> bool {
        let set = &mut self.free[usize::from(order)][t.idx()];
        let found = set.remove(&pfn);
        if found && set.is_empty() {
            self.nonempty[t.idx()] &= !(1 << order);
        }
        found
    }

    /// The type of the pageblock holding `pfn` (`get_pfnblock_migratetype`).
    pub fn pageblock_type(&self, pfn: u64) -> MigrateType {
        self.pageblock
            .get(usize::try_from(pfn >> PAGEBLOCK_ORDER).unwrap_or(usize::MAX))
            .map_or(MigrateType::Movable, |&t| MigrateType::from_u8(t))
    }

    fn set_pageblock_type(&mut self, pfn: u64, t: MigrateType) {
        let Ok(i) = usize::try_from(pfn >> PAGEBLOCK_ORDER) else { return };
        if i >= self.pageblock.len() {
            if t == MigrateType::Movable {
                return;
            }
            self.pageblock.resize(i + 1, MigrateType::Movable as u8);
        }
        self.pageblock[i] = t as u8;
    }

    /// `nonempty` for type `t`, with the untouched blocks counted as MOVABLE order 10.
    fn mask(&self, t: MigrateType) -> u16 {
        let untouched = u16::from(t == MigrateType::Movable && self.untouched_blocks > 0) << MAX_PAGE_ORDER;
        self.nonempty[t.idx()] | untouched
    }

    /// Take the lowest free block of order `order` and type `t`.
    fn take_first(&mut self, order: u8, t: MigrateType) -> Option<u64> {
        let set = &mut self.free[usize::from(order)][t.idx()];
        if let Some(pfn) = set.pop_first() {
            if set.is_empty() {
                self.nonempty[t.idx()] &= !(1 << order);
            }
            return Some(pfn);
        }
        if order != MAX_PAGE_ORDER || t != MigrateType::Movable {
            return None;
        }
        // Only MOVABLE order 10 can come from the untouched ranges (listed blocks below them go first).
        let (pfn, end) = self.untouched.pop_first()?;
        if pfn + MAX_ORDER_PAGES < end {
            self.untouched.insert(pfn + MAX_ORDER_PAGES, end);
        }
        self.untouched_blocks -= 1;
        Some(pfn)
    }

    /// `expand()`: the upper halves of an order-`high` block at `pfn` go back on type `t`'s lists down to `low`.
    fn expand(&mut self, pfn: u64, low: u8, high: u8, t: MigrateType) {
        for o in (low..high).rev() {
            self.add(pfn + (1 << o), o, t);
        }
    }

    /// `__rmqueue_smallest()`.
    #[inline]
    fn rmqueue_smallest(&mut self, order: u8, t: MigrateType) -> Option<u64> {
        let mask = self.mask(t) >> order;
        if mask == 0 {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, reason = "trailing_zeros of a u16 is at most 16")]
        let j = order + mask.trailing_zeros() as u8;
        let pfn = self.take_first(j, t)?;
        self.expand(pfn, order, j, t);
        Some(pfn)
    }

    /// The first fallback type with a free block of exactly `order` (`find_fallback_migratetype`).
    fn fallback_type(&self, order: u8, t: MigrateType) -> Option<MigrateType> {
        t.fallbacks().into_iter().find(|&f| self.mask(f) & (1 << order) != 0)
    }

    /// `__rmqueue_claim()`: from the largest order down, claim the pageblock of a fallback block for `t`.
    fn rmqueue_claim(&mut self, order: u8, t: MigrateType, mem: &PhysMem) -> Option<u64> {
        for current in (order..=MAX_PAGE_ORDER).rev() {
            if !should_try_claim_block(current, t) {
                break; // find_suitable_fallback() returns -2: no smaller order may claim either
            }
            let Some(block_type) = self.fallback_type(current, t) else { continue };
            if let Some(pfn) = self.try_to_claim_block(current, order, t, block_type, mem) {
                return Some(pfn);
            }
        }
        None
    }

    /// `try_to_claim_block()`.
    fn try_to_claim_block(
        &mut self,
        current: u8,
        order: u8,
        t: MigrateType,
        block_type: MigrateType,
        mem: &PhysMem,
    ) -> Option<u64> {
        if current >= PAGEBLOCK_ORDER {
            // Take ownership of whole pageblocks: change_pageblock_range() then expand() onto t's lists.
            let pfn = self.take_first(current, block_type)?;
            for pb in 0..(1u64 << (current - PAGEBLOCK_ORDER)) {
                self.set_pageblock_type(pfn + pb * PAGEBLOCK_PAGES, t);
            }
            self.fallback.claimed_blocks += 1 << (current - PAGEBLOCK_ORDER);
            self.expand(pfn, order, current, t);
            return Some(pfn);
        }
        let head = *self.free[usize::from(current)][block_type.idx()].first()?;
        let start = head & !(PAGEBLOCK_PAGES - 1);
        // prep_move_freepages_block(): free pages and in-use movable (LRU) pages of the pageblock.
        let end = (start + PAGEBLOCK_PAGES).min(self.frames);
        let free_blocks = self.free_blocks_in(start, end);
        let free_pages: u64 = free_blocks.iter().map(|&(_, o, _)| 1u64 << o).sum();
        let movable_pages = (start.max(self.first)..end)
            .filter(|&p| {
                !free_blocks.iter().any(|&(b, o, _)| (b..b + (1 << o)).contains(&p))
                    && mem.meta(Pfn::from_frame(p)).test(PageFlags::LRU)
            })
            .count() as u64;
        let alike = if t == MigrateType::Movable {
            movable_pages
        } else if block_type == MigrateType::Movable {
            PAGEBLOCK_PAGES - (free_pages + movable_pages)
        } else {
            0
        };
        if free_pages + alike < 1 << (PAGEBLOCK_ORDER - 1) {
            return None;
        }
        // __move_freepages_block() + set_pageblock_migratetype(), then __rmqueue_smallest() of the new type.
        for (b, o, bt) in free_blocks {
            self.remove(b, o, bt);
            self.add(b, o, t);
        }
        self.set_pageblock_type(start, t);
        self.fallback.claimed_blocks += 1;
        self.rmqueue_smallest(order, t)
    }

    /// The free blocks inside `[start, end)` (within one pageblock): (first frame, order, type).
    fn free_blocks_in(&self, start: u64, end: u64) -> Vec<(u64, u8, MigrateType)> {
        let mut out = Vec::new();
        for (o, by_type) in self.free.iter().enumerate().take(usize::from(PAGEBLOCK_ORDER)) {
            for t in MigrateType::ALL {
                #[allow(clippy::cast_possible_truncation, reason = "o < NR_PAGE_ORDERS")]
                out.extend(by_type[t.idx()].range(start..end).map(|&b| (b, o as u8, t)));
            }
        }
        out
    }

    /// `__rmqueue_steal()`: the smallest fallback block, its pageblock keeping its type.
    fn rmqueue_steal(&mut self, order: u8, t: MigrateType) -> Option<u64> {
        for current in order..=MAX_PAGE_ORDER {
            if let Some(f) = self.fallback_type(current, t) {
                let pfn = self.take_first(current, f)?;
                self.expand(pfn, order, current, f);
                self.fallback.steals += 1;
                return Some(pfn);
            }
        }
        None
    }

    /// Allocate a block of 2^`order` frames of type `t` (`__rmqueue`): own type, then claim, then steal. `mem`
    /// tells the claim heuristic which in-use pages are movable (on an LRU list).
    pub fn alloc_pages(&mut self, order: u8, t: MigrateType, mem: &PhysMem) -> Option<Pfn> {
        if order > MAX_PAGE_ORDER {
            return None;
        }
        let pfn = match self.rmqueue_smallest(order, t) {
            Some(p) => p,
            None => self.rmqueue_claim(order, t, mem).or_else(|| self.rmqueue_steal(order, t))?,
        };
        self.nr_free -= 1 << order;
        Some(Pfn::from_frame(pfn))
    }

    /// Free the order-`order` block at `pfn` (`__free_one_page`), merging with free buddies.
    pub fn free_pages(&mut self, pfn: Pfn, order: u8) {
        let (mut pfn, mut order) = (pfn.raw(), order);
        debug_assert!(self.is_allocated_block(pfn, order), "double free or misaligned block {pfn:#x}/{order}");
        self.nr_free += 1 << order;
        let t = self.pageblock_type(pfn);
        while order < MAX_PAGE_ORDER {
            let buddy = buddy_pfn(pfn, order);
            if buddy < self.first || buddy + (1 << order) > self.frames {
                break;
            }
            // Below a pageblock the buddy shares pfn's pageblock and type; a pageblock-sized buddy has its own
            // (all three PCP types are mergeable, and the buddy takes the freed block's type).
            let bt = if order >= PAGEBLOCK_ORDER { self.pageblock_type(buddy) } else { t };
            if !self.remove(buddy, order, bt) {
                break;
            }
            if bt != t {
                self.set_pageblock_type(buddy, t);
            }
            pfn &= !(1 << order);
            order += 1;
        }
        self.add(pfn, order, t);
    }

    /// If the order-10 block at `block` lies in an untouched range, cut it out of the range and put it on the
    /// MOVABLE order-10 list, where the list operations see it.
    fn list_untouched(&mut self, block: u64) {
        let Some((&s, &e)) = self.untouched.range(..=block).next_back() else { return };
        if block >= e {
            return;
        }
        self.untouched.remove(&s);
        if s < block {
            self.untouched.insert(s, block);
        }
        if block + MAX_ORDER_PAGES < e {
            self.untouched.insert(block + MAX_ORDER_PAGES, e);
        }
        self.untouched_blocks -= 1;
        self.add(block, MAX_PAGE_ORDER, MigrateType::Movable);
    }

    /// Take frame `pfn` out of the free lists, wherever it is (a teaching set-up that places a page in frame M;
    /// `take_page_off_buddy`). False if it is allocated or outside the managed frames.
    pub fn claim(&mut self, pfn: Pfn) -> bool {
        let p = pfn.raw();
        if p < self.first || p >= self.frames {
            return false;
        }
        // An untouched order-10 block: list it first, so the split below finds it.
        self.list_untouched(p & !(MAX_ORDER_PAGES - 1));
        for order in 0..=MAX_PAGE_ORDER {
            let start = p & !((1u64 << order) - 1);
            for t in MigrateType::ALL {
                if self.remove(start, order, t) {
                    // Split around p: every half not holding p goes back, at its order.
                    for o in (0..order).rev() {
                        let half = (p & !((1u64 << o) - 1)) ^ (1 << o);
                        self.add(half, o, t);
                    }
                    self.nr_free -= 1;
                    return true;
                }
            }
        }
        false
    }

    /// Take every free frame of the pageblock at `start` off the free lists (compaction's free scanner,
    /// `isolate_freepages_block` → `__isolate_free_page`, which splits what it takes to order 0). A free block
    /// larger than the pageblock gives up the pageblock and keeps its other half free. The frames come back
    /// lowest first; the caller returns unused ones with [`Buddy::free_pages`].
    pub fn isolate_free_pageblock(&mut self, start: u64) -> Vec<u64> {
        let start = start & !(PAGEBLOCK_PAGES - 1);
        let end = (start + PAGEBLOCK_PAGES).min(self.frames);
        if start < self.first || start >= end {
            return Vec::new();
        }
        let mut out = Vec::new();
        // An untouched order-10 block: list it, so that the order-10 case below finds it.
        let block = start & !(MAX_ORDER_PAGES - 1);
        self.list_untouched(block);
        for t in MigrateType::ALL {
            if self.remove(block, MAX_PAGE_ORDER, t) {
                // Keep the other half free, at order 9 and of its own pageblock's type.
                let other = if start == block { block + PAGEBLOCK_PAGES } else { block };
                let ot = self.pageblock_type(other);
                self.add(other, PAGEBLOCK_ORDER, ot);
                out.extend(start..end);
                self.nr_free -= end - start;
                return out;
            }
        }
        for (o, by_type) in self.free.iter_mut().enumerate().take(usize::from(PAGEBLOCK_ORDER) + 1) {
            for (ti, set) in by_type.iter_mut().enumerate() {
                let taken: Vec<u64> = set.range(start..end).copied().collect();
                for b in taken {
                    set.remove(&b);
                    out.extend(b..b + (1 << o));
                }
                if set.is_empty() {
                    self.nonempty[ti] &= !(1 << o);
                }
            }
        }
        out.sort_unstable();
        self.nr_free -= out.len() as u64;
        out
    }

    /// One past the highest frame ever handed out or listed below the untouched ranges: the end of the region in
    /// use (the zone's end when no untouched range is left, or when the boot tail lies above them).
    pub fn used_frontier(&self) -> u64 {
        match self.untouched.last_key_value() {
            // The last untouched range reaches the aligned end: the region in use ends where it starts.
            Some((&start, &end)) if end == self.frames / MAX_ORDER_PAGES * MAX_ORDER_PAGES => start.max(self.first),
            _ => self.frames,
        }
    }

    /// Free frames in all.
    pub fn free_frames(&self) -> u64 {
        self.nr_free
    }

    /// Whether a free block overlaps `[pfn, pfn + 2^order)` (checks a free; slow).
    fn overlaps_free(&self, pfn: u64, order: u8) -> bool {
        let end = pfn + (1 << order);
        let listed = self.free.iter().enumerate().any(|(k, by_type)| {
            // A free block of order k overlapping [pfn, end) starts in [pfn - 2^k + 1, end).
            by_type.iter().any(|s| s.range(pfn.saturating_sub((1 << k) - 1)..end).next().is_some())
        });
        listed || self.untouched.range(..end).next_back().is_some_and(|(_, &e)| e > pfn)
    }

    /// Whether `[pfn, pfn + 2^order)` is an aligned block of managed frames, none of them free.
    pub fn is_allocated_block(&self, pfn: u64, order: u8) -> bool {
        order <= MAX_PAGE_ORDER
            && pfn % (1 << order) == 0
            && pfn >= self.first
            && pfn + (1 << order) <= self.frames
            && !self.overlaps_free(pfn, order)
    }

    /// `nr_free` per order (`/proc/buddyinfo`'s numbers).
    pub fn nr_free(&self) -> [u64; NR_PAGE_ORDERS] {
        std::array::from_fn(|k| {
            let listed: u64 = self.free[k].iter().map(|s| s.len() as u64).sum();
            listed + if k == usize::from(MAX_PAGE_ORDER) { self.untouched_blocks } else { 0 }
        })
    }

    /// Free blocks per order of type `t` (`/proc/pagetypeinfo`'s rows).
    pub fn nr_free_of(&self, t: MigrateType) -> [u64; NR_PAGE_ORDERS] {
        std::array::from_fn(|k| {
            let listed = self.free[k][t.idx()].len() as u64;
            listed
                + if k == usize::from(MAX_PAGE_ORDER) && t == MigrateType::Movable { self.untouched_blocks } else { 0 }
        })
    }

    /// Whether a free block of at least `order` exists in one of the three allocatable types (the per-order
    /// loop of `__zone_watermark_ok`).
    pub fn has_free_block(&self, order: u8) -> bool {
        MigrateType::ALL.iter().any(|&t| self.mask(t) >> order != 0)
    }

    /// `__zone_watermark_ok()` (mm/page_alloc.c) for one zone without lowmem reserve, HighAtomic reserve or
    /// CMA: free pages less the `(1 << order) - 1` a block of the order cannot use
    /// (`__zone_watermark_unusable_free`) must be above `mark`; for order > 0 a free block of at least `order`
    /// must exist on a MIGRATE_PCPTYPES list (the per-order loop).
    pub fn watermark_ok(&self, order: u8, mark: u64) -> bool {
        let unusable = (1u64 << order.min(MAX_PAGE_ORDER)) - 1;
        // C's free_pages is a long and may go negative: compare without wrapping.
        if self.nr_free <= mark.saturating_add(unusable) {
            return false;
        }
        order == 0 || self.has_free_block(order)
    }

    /// Pageblocks of each type (`pagetypeinfo_showblockcount`), over the managed frames.
    pub fn pageblock_counts(&self) -> [u64; MIGRATE_PCPTYPES] {
        let total = self.frames.div_ceil(PAGEBLOCK_PAGES);
        let mut c = [0u64; MIGRATE_PCPTYPES];
        for &t in self.pageblock.iter().take(usize::try_from(total).unwrap_or(usize::MAX)) {
            c[usize::from(t)] += 1;
        }
        let listed: u64 = c.iter().sum();
        c[MigrateType::Movable.idx()] += total - listed;
        c
    }

    /// `/proc/buddyinfo`'s line for this zone: `"Node %d, zone %8s "` then `"%6lu "` per order.
    pub fn buddyinfo_line(&self, node: u32, zone: &str) -> String {
        let mut s = format!("Node {node}, zone {zone:>8} ");
        for n in self.nr_free() {
            s.push_str(&format!("{n:6} "));
        }
        s
    }

    /// `/proc/pagetypeinfo` for this zone (`pagetypeinfo_show`), every line ending in a newline.
    pub fn pagetypeinfo(&self, node: u32, zone: &str) -> String {
        use std::fmt::Write;
        let mut s = format!("Page block order: {PAGEBLOCK_ORDER}\nPages per block:  {PAGEBLOCK_PAGES}\n\n");
        let _ = write!(s, "{:<43} ", "Free pages count per migrate type at order");
        for o in 0..NR_PAGE_ORDERS {
            let _ = write!(s, "{o:6} ");
        }
        s.push('\n');
        for (i, name) in MIGRATETYPE_NAMES.iter().enumerate() {
            let _ = write!(s, "Node {node:4}, zone {zone:>8}, type {name:>12} ");
            let counts = MigrateType::ALL.get(i).map_or([0; NR_PAGE_ORDERS], |&t| self.nr_free_of(t));
            for n in counts {
                // The kernel stops counting a list at 100000 and prints ">100000".
                if n >= 100_000 {
                    s.push_str(">100000 ");
                } else {
                    let _ = write!(s, "{n:6} ");
                }
            }
            s.push('\n');
        }
        let _ = write!(s, "\n{:<23}", "Number of blocks type ");
        for name in MIGRATETYPE_NAMES {
            let _ = write!(s, "{name:>12} ");
        }
        s.push('\n');
        let _ = write!(s, "Node {node}, zone {zone:>8} ");
        let counts = self.pageblock_counts();
        for i in 0..MIGRATETYPE_NAMES.len() {
            let _ = write!(s, "{:12} ", counts.get(i).copied().unwrap_or(0));
        }
        s.push('\n');
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
#[allow(clippy::cast_possible_truncation, reason = "tests index a bitmap of fewer than 5000 frames")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lists(v: &[u64]) -> [u64; NR_PAGE_ORDERS] {
        std::array::from_fn(|k| v.get(k).copied().unwrap_or(0))
    }

    fn pfn(p: u64) -> Pfn {
        Pfn::from_index(p as usize)
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
        // 1000 free order-0 blocks: every other frame of 2000 allocated.
        let mem = PhysMem::new(2000);
        let mut buddy = Buddy::new(2000);
        let all: Vec<_> = (0..2000).map(|_| buddy.alloc_pages(0, MigrateType::Movable, &mem).unwrap()).collect();
        for p in all.iter().filter(|p| p.raw() % 2 == 0) {
            buddy.free_pages(*p, 0);
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

    /// `__zone_watermark_ok`: free pages minus `2^order - 1` strictly above the mark, and for order > 0 a
    /// free block of at least that order.
    #[test]
    fn order_aware_watermark() {
        let mem = PhysMem::new(1024);
        let mut b = Buddy::new(1024);
        assert!(!b.watermark_ok(0, 1024) && b.watermark_ok(0, 1023), "strictly above the mark");
        // Order 10: 1024 - 1023 = 1 free page counted, above a mark of 0 only.
        assert!(b.watermark_ok(10, 0) && !b.watermark_ok(10, 1));
        // Every other frame taken: 512 free pages, none in a block above order 0.
        let all: Vec<_> = (0..1024).map(|_| b.alloc_pages(0, MigrateType::Movable, &mem).unwrap()).collect();
        for p in all.iter().filter(|p| p.raw() % 2 == 0) {
            b.free_pages(*p, 0);
        }
        assert!(b.watermark_ok(0, 500));
        assert!(!b.watermark_ok(1, 0), "enough pages, but no order-1 block: the per-order loop fails");
        b.free_pages(all[1], 0);
        assert!(b.watermark_ok(1, 0) && !b.watermark_ok(2, 0));
    }

    #[test]
    fn split_and_coalesce() {
        let mem = PhysMem::new(1024);
        let mut b = Buddy::new(1024);
        assert_eq!(b.nr_free()[10], 1);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(0)));
        // 1 frame taken from an order-10 block: one free block of each order 0..=9.
        assert_eq!(b.nr_free(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
        b.free_pages(pfn(0), 0);
        assert_eq!(b.nr_free()[10], 1, "fully coalesced");
        assert!(!b.is_allocated_block(0, 0), "a free frame is not allocated");
        assert!(!b.is_allocated_block(3, 2), "misaligned");
    }

    /// The lowest block of the smallest order is taken first, so frames are handed out bottom-up.
    #[test]
    fn lowest_frames_first() {
        let mem = PhysMem::new(4096);
        let mut b = Buddy::new(4096);
        let got: Vec<u64> = (0..5).map(|_| b.alloc_pages(0, MigrateType::Movable, &mem).unwrap().raw()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4]);
        b.free_pages(pfn(1), 0);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(1)));
        assert_eq!(b.alloc_pages(9, MigrateType::Movable, &mem), Some(pfn(512)));
    }

    /// A first unmovable allocation on a fresh zone claims a whole order-10 block (two pageblocks) for
    /// UNMOVABLE (`try_to_claim_block`, current_order >= pageblock_order); movable order-0 allocations then
    /// come from the next block, and a movable allocation with no movable block left steals the smallest
    /// unmovable block without changing its pageblock (`__rmqueue_steal`: should_try_claim_block is false
    /// below order 4 for MOVABLE).
    #[test]
    fn fallback_claims_then_steals() {
        let mem = PhysMem::new(2048);
        let mut b = Buddy::new(2048);
        assert_eq!(b.alloc_pages(0, MigrateType::Unmovable, &mem), Some(pfn(0)));
        assert_eq!(b.pageblock_counts(), [2, 2, 0]);
        assert_eq!(b.fallback.claimed_blocks, 2);
        assert_eq!(b.nr_free_of(MigrateType::Unmovable)[..10], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(1024)));
        // Use up every movable frame: 1023 more.
        for _ in 0..1023 {
            b.alloc_pages(0, MigrateType::Movable, &mem).unwrap();
        }
        assert_eq!(b.nr_free_of(MigrateType::Movable), [0; NR_PAGE_ORDERS]);
        // Movable order 0 falls back. __rmqueue_claim runs from order 10 down: the unmovable order-9 block is a
        // whole pageblock, claimed at once (current_order >= pageblock_order).
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(512)));
        assert_eq!(b.pageblock_counts(), [1, 3, 0]);
        for _ in 0..511 {
            b.alloc_pages(0, MigrateType::Movable, &mem).unwrap();
        }
        // Now only orders 0..=8 of pageblock 0 are free (unmovable). The order-8 block may claim (8 >= 9/2): its
        // pageblock has 511 free pages and one in-use page that is not on an LRU, 511 >= 256, so the whole
        // pageblock becomes MOVABLE and the lowest movable frame, 1, is taken.
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(1)));
        assert_eq!(b.pageblock_counts(), [0, 4, 0]);
        assert_eq!(b.fallback.steals, 0);
    }

    /// A steal: a movable order-0 request whose only fallback block is small (order < 4 never claims).
    #[test]
    fn small_movable_fallback_steals() {
        let mem = PhysMem::new(1024);
        let mut b = Buddy::new(1024);
        // Claim all 1024 frames' pageblocks for UNMOVABLE, then free a single unmovable frame.
        let all: Vec<_> = (0..1024).map(|_| b.alloc_pages(0, MigrateType::Unmovable, &mem).unwrap()).collect();
        assert_eq!(b.pageblock_counts(), [2, 0, 0]);
        b.free_pages(all[7], 0);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(7)));
        assert_eq!((b.fallback.steals, b.pageblock_counts()), (1, [2, 0, 0]), "stolen, pageblock kept");
    }

    #[test]
    fn claim_a_specific_frame_splits_around_it() {
        let mem = PhysMem::new(1 << 20);
        let mut b = Buddy::new(1 << 20);
        assert!(b.claim(pfn(5)));
        assert!(!b.claim(pfn(5)), "already taken");
        assert!(b.claim(pfn(700_001)), "inside an untouched block");
        assert_eq!(b.free_frames(), (1 << 20) - 2);
        // The splits left order-0 blocks at 4 and 700,000 (the buddies of the claimed frames), then order-1 blocks
        // at 6 and 700,002 ...: the smallest order goes first, and the lowest block within it.
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(4)));
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(700_000)));
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(6)));
        b.free_pages(pfn(5), 0);
        b.free_pages(pfn(700_001), 0);
        b.free_pages(pfn(4), 0);
        b.free_pages(pfn(6), 0);
        b.free_pages(pfn(700_000), 0);
        assert_eq!(b.nr_free()[10], 1024, "everything coalesced again");
    }

    /// A 2^36-frame zone (256 TiB) boots without listing its blocks and hands out its lowest frames.
    #[test]
    fn huge_zone_is_cheap() {
        let frames = 1u64 << 36;
        let mem = PhysMem::new(1 << 20);
        let mut b = Buddy::new(frames);
        assert_eq!(b.nr_free()[10], frames / 1024);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem), Some(pfn(0)));
        assert_eq!(b.free_frames(), frames - 1);
        assert!(b.claim(Pfn::from_index((frames - 1) as usize)));
        assert!(b.pagetypeinfo(0, "Normal").contains(">100000"));
    }

    #[test]
    fn reserved_frames_stay_out() {
        let mem = PhysMem::new(3000);
        let mut b = Buddy::with_reserved(3000, 1000);
        assert_eq!(b.free_frames(), 2000);
        assert_eq!(b.alloc_pages(0, MigrateType::Movable, &mem).map(|p| p.raw()), Some(1000));
        assert!(!b.claim(pfn(10)));
    }

    #[test]
    fn pagetypeinfo_format() {
        let mem = PhysMem::new(2048);
        let mut b = Buddy::new(2048);
        b.alloc_pages(0, MigrateType::Unmovable, &mem).unwrap();
        let text = b.pagetypeinfo(0, "Normal");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Page block order: 9");
        assert_eq!(lines[1], "Pages per block:  512");
        assert_eq!(lines[2], "");
        assert_eq!(
            lines[3],
            "Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 "
        );
        assert_eq!(
            lines[4],
            "Node    0, zone   Normal, type    Unmovable      1      1      1      1      1      1      1      1      1      1      0 "
        );
        assert_eq!(
            lines[5],
            "Node    0, zone   Normal, type      Movable      0      0      0      0      0      0      0      0      0      0      1 "
        );
        assert_eq!(lines[10], "");
        assert_eq!(
            lines[11],
            "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate "
        );
        assert_eq!(
            lines[12],
            "Node 0, zone   Normal            2            2            0            0            0            0 "
        );
    }

    proptest! {
        /// Against a naive bitmap: allocations of any order and type never overlap and stay in RAM, free counts
        /// agree, a refusal means no free aligned run exists, and freeing everything coalesces back to the
        /// starting lists.
        #[test]
        fn matches_a_naive_bitmap(frames in 1u64..5000, ops in prop::collection::vec((0u8..=10, 0u8..3, any::<bool>(), any::<prop::sample::Index>()), 1..200)) {
            let mem = PhysMem::new(frames as usize);
            let mut b = Buddy::new(frames);
            let start = b.nr_free();
            let mut used = vec![false; frames as usize];
            let mut held: Vec<(u64, u8)> = Vec::new();
            for (order, t, do_alloc, pick) in ops {
                let t = MigrateType::from_u8(t);
                if do_alloc || held.is_empty() {
                    if let Some(p) = b.alloc_pages(order, t, &mem) {
                        let p = p.raw();
                        prop_assert_eq!(p % (1 << order), 0);
                        for f in p..p + (1 << order) {
                            prop_assert!(f < frames && !used[f as usize], "overlap or beyond RAM at {}", f);
                            used[f as usize] = true;
                        }
                        held.push((p, order));
                    } else {
                        prop_assert!(!b.has_free_block(order));
                        let run = (0..frames).step_by(1 << order).any(|s| s + (1 << order) <= frames && (s..s + (1 << order)).all(|f| !used[f as usize]));
                        prop_assert!(!run, "refused order {} although an aligned free run exists", order);
                    }
                } else {
                    let (p, o) = held.swap_remove(pick.index(held.len()));
                    prop_assert!(b.is_allocated_block(p, o));
                    b.free_pages(pfn(p), o);
                    for f in p..p + (1 << o) {
                        used[f as usize] = false;
                    }
                }
                prop_assert_eq!(b.free_frames(), used.iter().filter(|u| !**u).count() as u64);
            }
            for (p, o) in held {
                b.free_pages(pfn(p), o);
            }
            prop_assert_eq!(b.nr_free(), start);
        }
    }
}
