//! Physical memory: frames that hold real bytes, with `struct page`-like metadata (LINUX-VM-SPEC §1).
//!
//! Host memory is allocated lazily in two steps: per-frame metadata in chunks of [`CHUNK_FRAMES`] frames, created
//! when a frame of the chunk is first used, and a frame's 4 KiB of data only when a non-zero byte is first written
//! (a never-written frame reads as zeros). A simulated 64 GiB machine that touches 100 MiB therefore costs about
//! 100 MiB of host memory plus 2 MiB for the allocation bitmap.
//!
//! Simplifies: one node, one zone; no memory hotplug.

pub mod alloc;
pub mod buddy;
pub mod folio;
pub mod frame_meta;
pub mod rmap;

use crate::addr::{Pfn, PhysAddr, PAGE_BYTES};
pub use frame_meta::{FrameMeta, InodeId, Mapping, PageFlags, StableNodeId};

/// Frames per metadata chunk (one 2 MiB region, like a PMD's worth of pages).
pub const CHUNK_FRAMES: usize = 512;

/// The bytes of one frame.
pub type PageData = [u8; PAGE_BYTES];

#[derive(Debug)]
struct Chunk {
    meta: Vec<FrameMeta>,
    data: Vec<Option<Box<PageData>>>,
}

impl Chunk {
    fn new() -> Self {
        let meta = std::iter::repeat_with(|| FrameMeta::EMPTY).take(CHUNK_FRAMES).collect();
        Self { meta, data: vec![None; CHUNK_FRAMES] }
    }
}

/// The chunks of RAM ever touched, by chunk number: a table that grows to the highest chunk touched, as long as
/// that stays within twice the chunks in use (the buddy allocator packs frames at the bottom of RAM); a chunk far
/// beyond (a teaching set-up that places a page in the last frame of a 256 TiB machine) goes to a sorted side
/// table, so the host never pays for the size of simulated RAM.
#[derive(Debug, Default)]
struct ChunkTable {
    dense: Vec<Option<Box<Chunk>>>,
    far: std::collections::BTreeMap<usize, Box<Chunk>>,
    /// Chunks created in `dense`.
    live: usize,
}

impl ChunkTable {
    /// Chunk `c`, if it was ever touched.
    #[inline]
    fn get(&self, c: usize) -> Option<&Chunk> {
        match self.dense.get(c) {
            Some(slot) => slot.as_deref(),
            None => self.get_far(c),
        }
    }

    #[cold]
    fn get_far(&self, c: usize) -> Option<&Chunk> {
        self.far.get(&c).map(|b| &**b)
    }

    /// Chunk `c` for writing, if it was ever touched.
    #[inline]
    fn get_mut(&mut self, c: usize) -> Option<&mut Chunk> {
        match self.dense.get_mut(c) {
            Some(slot) => slot.as_deref_mut(),
            None => self.far.get_mut(&c).map(|b| &mut **b),
        }
    }

    /// Chunk `c`, created if needed.
    #[inline]
    fn get_or_create(&mut self, c: usize) -> &mut Chunk {
        if c >= self.dense.len() {
            return self.grow_to(c);
        }
        let slot = &mut self.dense[c];
        if slot.is_none() {
            self.live += 1;
        }
        slot.get_or_insert_with(|| Box::new(Chunk::new()))
    }

    #[cold]
    fn grow_to(&mut self, c: usize) -> &mut Chunk {
        let limit = 2 * (self.live + 1).max(512);
        if c < limit && !self.far.contains_key(&c) {
            self.dense.resize_with((c + 1).max(self.dense.len() * 2).min(limit), || None);
            self.live += 1;
            return self.dense[c].get_or_insert_with(|| Box::new(Chunk::new()));
        }
        self.far.entry(c).or_insert_with(|| Box::new(Chunk::new()))
    }
}

/// Simulated RAM: `frames` page frames, lazily backed by host memory (see [`ChunkTable`]).
#[derive(Debug)]
pub struct PhysMem {
    frames: usize,
    chunks: ChunkTable,
    data_frames: usize,
}

static EMPTY_META: FrameMeta = FrameMeta::EMPTY;
static ZERO_PAGE: PageData = [0; PAGE_BYTES];

impl PhysMem {
    /// RAM of `frames` frames, all free and reading as zero.
    pub fn new(frames: usize) -> Self {
        Self { frames, chunks: ChunkTable::default(), data_frames: 0 }
    }

    /// Number of frames of RAM.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Whether `pfn` is inside RAM.
    pub fn contains(&self, pfn: Pfn) -> bool {
        pfn.index() < self.frames
    }

    /// The chunk holding `pfn`, if it was ever touched.
    #[inline]
    fn chunk(&self, pfn: Pfn) -> Option<&Chunk> {
        self.chunks.get(pfn.index() / CHUNK_FRAMES)
    }

    /// The chunk holding `pfn` for writing, if it was ever touched.
    #[inline]
    fn chunk_if_mut(&mut self, pfn: Pfn) -> Option<&mut Chunk> {
        self.chunks.get_mut(pfn.index() / CHUNK_FRAMES)
    }

    /// The chunk holding `pfn`, created if needed.
    #[inline]
    fn chunk_mut(&mut self, pfn: Pfn) -> &mut Chunk {
        self.chunks.get_or_create(pfn.index() / CHUNK_FRAMES)
    }

    /// Metadata of a frame (a shared default for frames never touched).
    pub fn meta(&self, pfn: Pfn) -> &FrameMeta {
        match self.chunk(pfn) {
            Some(c) => &c.meta[pfn.index() % CHUNK_FRAMES],
            None => &EMPTY_META,
        }
    }

    /// Mutable metadata of a frame.
    pub fn meta_mut(&mut self, pfn: Pfn) -> &mut FrameMeta {
        &mut self.chunk_mut(pfn).meta[pfn.index() % CHUNK_FRAMES]
    }

    /// Reset the metadata of a frame being freed (`free_pages_prepare()`, mm/page_alloc.c): the only way to
    /// rewrite a [`FrameMeta`] as a whole. The caller returns the frame to the allocator.
    pub fn free_meta(&mut self, pfn: Pfn) {
        if let Some(c) = self.chunk_if_mut(pfn) {
            c.meta[pfn.index() % CHUNK_FRAMES].reset();
        }
    }

    /// Page migration's move of a page's `struct page` state to its new frame (mm/migrate.c
    /// `folio_migrate_mapping` + `folio_migrate_flags`: mapping, index, flags, counts, swap entry, rmap, memcg).
    /// The old frame is left as a freed frame's metadata; the contents are copied separately.
    pub fn migrate_meta(&mut self, old: Pfn, new: Pfn) {
        let m = std::mem::replace(self.meta_mut(old), FrameMeta::EMPTY);
        *self.meta_mut(new) = m;
    }

    /// The frame's bytes (all zero if never written).
    pub fn page(&self, pfn: Pfn) -> &PageData {
        match self.chunk(pfn) {
            Some(c) => c.data[pfn.index() % CHUNK_FRAMES].as_deref().unwrap_or(&ZERO_PAGE),
            None => &ZERO_PAGE,
        }
    }

    /// The frame's bytes for writing; allocates host memory for it.
    pub fn page_mut(&mut self, pfn: Pfn) -> &mut PageData {
        let i = pfn.index() % CHUNK_FRAMES;
        let slot = &mut self.chunks.get_or_create(pfn.index() / CHUNK_FRAMES).data[i];
        if slot.is_none() {
            self.data_frames += 1;
        }
        slot.get_or_insert_with(|| Box::new([0; PAGE_BYTES]))
    }

    /// Replace the frame's bytes with `data` (a copy into the frame). Unlike `*page_mut(pfn) = *data`, a frame
    /// without host memory gets a fresh copy of `data` rather than 4 KiB of zeros overwritten at once.
    pub fn set_page(&mut self, pfn: Pfn, data: &PageData) {
        let i = pfn.index() % CHUNK_FRAMES;
        match &mut self.chunk_mut(pfn).data[i] {
            Some(page) => **page = *data,
            slot @ None => {
                *slot = Some(Box::new(*data));
                self.data_frames += 1;
            }
        }
    }

    /// Fill the frame with zeros (`clear_page`), releasing its host memory.
    pub fn zero_frame(&mut self, pfn: Pfn) {
        if let Some(c) = self.chunk_if_mut(pfn) {
            if c.data[pfn.index() % CHUNK_FRAMES].take().is_some() {
                self.data_frames -= 1;
            }
        }
    }

    /// Copy one frame's contents to another (`copy_page`).
    pub fn copy_frame(&mut self, src: Pfn, dst: Pfn) {
        if self.is_zero_backed(src) {
            self.zero_frame(dst);
        } else {
            let data = *self.page(src);
            self.set_page(dst, &data);
        }
    }

    /// Whether the frame has no host memory (reads as all zeros).
    pub fn is_zero_backed(&self, pfn: Pfn) -> bool {
        match self.chunk(pfn) {
            Some(c) => c.data[pfn.index() % CHUNK_FRAMES].is_none(),
            None => true,
        }
    }

    /// Read a little-endian u64 at an 8-byte-aligned physical address (page-table entries).
    pub fn read_u64(&self, pa: PhysAddr) -> u64 {
        let off = pa.offset_in_frame() & !7;
        let page = self.page(pa.pfn());
        let mut b = [0u8; 8];
        b.copy_from_slice(&page[off..off + 8]);
        u64::from_le_bytes(b)
    }

    /// Write a little-endian u64 at an 8-byte-aligned physical address.
    pub fn write_u64(&mut self, pa: PhysAddr, value: u64) {
        let off = pa.offset_in_frame() & !7;
        if value == 0 && self.is_zero_backed(pa.pfn()) {
            return;
        }
        self.page_mut(pa.pfn())[off..off + 8].copy_from_slice(&value.to_le_bytes());
    }

    /// Read bytes starting at `pa`; the range must not cross the frame.
    pub fn read_bytes(&self, pa: PhysAddr, out: &mut [u8]) {
        let off = pa.offset_in_frame();
        out.copy_from_slice(&self.page(pa.pfn())[off..off + out.len()]);
    }

    /// Write bytes starting at `pa`; the range must not cross the frame.
    pub fn write_bytes(&mut self, pa: PhysAddr, data: &[u8]) {
        let off = pa.offset_in_frame();
        if data.iter().all(|&b| b == 0) && self.is_zero_backed(pa.pfn()) {
            return;
        }
        self.page_mut(pa.pfn())[off..off + data.len()].copy_from_slice(data);
    }

    /// Host bytes used for frame contents.
    pub fn host_data_bytes(&self) -> usize {
        self.data_frames * PAGE_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_returns_the_bytes() {
        let mut m = PhysMem::new(1 << 24); // 64 GiB
        let pa = PhysAddr::from_parts(Pfn::try_new(12_345_678).unwrap(), 100);
        m.write_bytes(pa, b"hello");
        let mut out = [0; 5];
        m.read_bytes(pa, &mut out);
        assert_eq!(&out, b"hello");
        assert_eq!(m.host_data_bytes(), 4096);
        m.write_u64(PhysAddr::from_parts(Pfn::try_new(3).unwrap(), 8), 0xDEAD_BEEF);
        assert_eq!(m.read_u64(PhysAddr::from_parts(Pfn::try_new(3).unwrap(), 8)), 0xDEAD_BEEF);
    }

    /// A frame near the top of a 2^36-frame RAM goes to the side table; the dense table stays small.
    #[test]
    fn far_frames_do_not_size_the_table() {
        let mut m = PhysMem::new(1 << 36);
        let top = Pfn::from_index((1 << 36) - 1);
        m.write_u64(top.start(), 42);
        m.meta_mut(top).refcount = 1;
        assert_eq!(m.read_u64(top.start()), 42);
        assert_eq!(m.meta(top).refcount, 1);
        assert!(m.chunks.dense.is_empty() && m.chunks.far.len() == 1);
        for i in 0..2000 {
            m.meta_mut(Pfn::from_index(i * CHUNK_FRAMES)).refcount = 1;
        }
        assert!(m.chunks.dense.len() <= 4096, "{}", m.chunks.dense.len());
        assert_eq!(m.read_u64(top.start()), 42);
        m.zero_frame(top);
        assert_eq!((m.read_u64(top.start()), m.host_data_bytes()), (0, 0));
    }

    #[test]
    fn untouched_frames_read_zero_and_cost_nothing() {
        let m = PhysMem::new(1 << 24);
        assert_eq!(m.read_u64(PhysAddr::from_parts(Pfn::try_new(99).unwrap(), 0)), 0);
        assert_eq!(m.host_data_bytes(), 0);
        assert_eq!(m.meta(Pfn::try_new(99).unwrap()).refcount, 0);
    }

    #[test]
    fn flags_change_bit_by_bit_and_free_resets_everything() {
        let mut m = PhysMem::new(8);
        let p = Pfn::try_new(5).unwrap();
        let meta = m.meta_mut(p);
        meta.set(PageFlags::LRU | PageFlags::DIRTY);
        meta.set(PageFlags::SWAPCACHE);
        meta.clear(PageFlags::DIRTY);
        assert_eq!(meta.flags(), PageFlags::LRU | PageFlags::SWAPCACHE);
        assert!(meta.test_and_clear(PageFlags::SWAPCACHE | PageFlags::DIRTY));
        assert!(!meta.test_and_clear(PageFlags::SWAPCACHE));
        assert!(meta.test(PageFlags::LRU) && !meta.test(PageFlags::LRU | PageFlags::DIRTY));
        meta.refcount = 3;
        m.free_meta(p);
        assert_eq!(*m.meta(p), FrameMeta::EMPTY);
        m.free_meta(Pfn::try_new(7).unwrap()); // never touched: nothing to reset
    }

    #[test]
    fn metadata_stays_small() {
        // Every frame of a touched 2 MiB chunk pays this, mapped or not; a private page's rmap is inline.
        assert!(std::mem::size_of::<FrameMeta>() <= 80, "{}", std::mem::size_of::<FrameMeta>());
    }

    #[test]
    fn copy_and_zero() {
        let mut m = PhysMem::new(8);
        let (a, b) = (Pfn::try_new(1).unwrap(), Pfn::try_new(2).unwrap());
        m.write_bytes(a.start(), &[7; 16]);
        m.copy_frame(a, b);
        assert_eq!(m.page(b)[..16], [7; 16]);
        m.zero_frame(a);
        assert!(m.is_zero_backed(a));
        assert_eq!(m.page(a)[0], 0);
    }
}
