//! zswap: a compressed cache in RAM in front of the swap device (mm/zswap.c; Documentation/admin-guide/mm/zswap.rst;
//! LINUX-VM-SPEC §10). Transcendent memory's frontswap hook was removed in 2023; the swap code now calls zswap
//! directly, as here.
//!
//! On swap-out (`swap_writepage` → `zswap_store`) a page filled with one repeated word is kept as that word
//! (`same_filled_pages`, v4.16–v6.11 zswap); any other page is compressed with the configured compressor (real
//! LZ4 or Zstandard, through the `lz4_flex` and `zstd` crates) and kept in the pool unless the result is no smaller
//! than a page (`reject_compress_poor`). The pool's memory is real: its pages are frames taken from RAM (zsmalloc
//! allocates them with no direct reclaim, so a store fails with `reject_alloc_fail` when none is free). The pool is
//! limited to `max_pool_percent` of RAM: reaching it sets the "full" state (`pool_limit_hit`), stores are rejected
//! until the pool shrinks to `accept_threshold_percent` of the limit, and the shrink worker writes the oldest
//! entries back to the swap device, giving referenced entries a second chance (`shrink_worker` →
//! `zswap_writeback_entry`; `written_back_pages`, vmstat `zswpwb`). A rejected store goes to the swap device.
//! Swap-in (`swap_read_folio` → `zswap_load`) decompresses, drops the entry and marks the page dirty (its only copy
//! is now in RAM); it is a major fault, which the cost model charges at the decompression latency instead of the
//! device's. Freeing the swap slot frees the entry (`zswap_invalidate`).
//!
//! Simplifies: the pool's size is the sum of its objects, each rounded up to zsmalloc's 16-byte size-class step
//! (zsmalloc's per-class packing and fragmentation are not modelled); the shrink worker runs synchronously when the
//! limit is hit; no memory-pressure shrinker (`shrinker_enabled`), no per-memcg zswap limits.

use crate::addr::{Pfn, PAGE_BYTES};
use crate::phys::alloc::FrameAllocator;
use crate::swap::entry::SwapEntry;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// zsmalloc's size-class step: `ZS_SIZE_CLASS_DELTA` = `PAGE_SIZE >> CLASS_BITS` = 4096 >> 8 = 16 bytes
/// (mm/zsmalloc.c), with `ZS_MIN_ALLOC_SIZE` 32 bytes.
const ZS_CLASS_DELTA: usize = 16;
const ZS_MIN_ALLOC_SIZE: usize = 32;

/// The compressor (`/sys/module/zswap/parameters/compressor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Compressor {
    /// LZ4 (the kernel's `lz4` crypto compressor: LZ4 block format, acceleration 1).
    #[default]
    Lz4,
    /// Zstandard at the kernel crypto API's default level 3 (`ZSTD_DEF_LEVEL`, crypto/zstd.c).
    Zstd,
}

impl Compressor {
    /// Its name in sysfs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }

    /// Compress one page; `None` if the compressor failed.
    pub fn compress(self, page: &[u8; PAGE_BYTES]) -> Option<Vec<u8>> {
        match self {
            Self::Lz4 => Some(lz4_flex::block::compress(page)),
            Self::Zstd => zstd::bulk::compress(page, ZSTD_LEVEL).ok(),
        }
    }

    /// Decompress one page; false if the data did not decompress to exactly a page.
    pub fn decompress(self, data: &[u8], out: &mut [u8; PAGE_BYTES]) -> bool {
        match self {
            Self::Lz4 => lz4_flex::block::decompress_into(data, out).is_ok_and(|n| n == PAGE_BYTES),
            Self::Zstd => zstd::bulk::decompress_to_buffer(data, &mut out[..]).is_ok_and(|n| n == PAGE_BYTES),
        }
    }
}

/// The level the kernel's zstd crypto transform uses (`#define ZSTD_DEF_LEVEL 3`, crypto/zstd.c).
pub const ZSTD_LEVEL: i32 = 3;

/// The zswap module parameters (`[zswap]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZswapConfig {
    /// `enabled` (Kconfig `ZSWAP_DEFAULT_ON` is n: off by default).
    pub enabled: bool,
    /// `compressor`.
    pub compressor: Compressor,
    /// `max_pool_percent` (default 20).
    pub max_pool_percent: u32,
    /// `accept_threshold_percent` (default 90).
    pub accept_threshold_percent: u32,
}

impl Default for ZswapConfig {
    fn default() -> Self {
        Self { enabled: false, compressor: Compressor::Lz4, max_pool_percent: 20, accept_threshold_percent: 90 }
    }
}

/// What an entry holds.
#[derive(Clone, Debug)]
enum Data {
    /// A page of one repeated 8-byte word (`zswap_is_page_same_filled`).
    Same(u64),
    /// Compressed bytes.
    Compressed(Box<[u8]>),
}

#[derive(Clone, Debug)]
struct Entry {
    data: Data,
    /// Its position in the LRU (store order).
    seq: u64,
    /// Second chance for writeback (`entry->referenced`).
    referenced: bool,
}

/// The debugfs counters (`/sys/kernel/debug/zswap/`) and vmstat's `zswpin`/`zswpout`/`zswpwb`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ZswapStats {
    /// `stored_pages`: entries held now.
    pub stored_pages: u64,
    /// `same_filled_pages`: entries held now that are one repeated word.
    pub same_filled_pages: u64,
    /// `pool_total_size`: bytes of RAM the pool uses (its pages × 4096).
    pub pool_total_size: u64,
    /// Compressed bytes held (before rounding to pool pages).
    pub compressed_bytes: u64,
    /// `written_back_pages`.
    pub written_back_pages: u64,
    /// `pool_limit_hit`.
    pub pool_limit_hit: u64,
    /// `reject_compress_poor`: compressed to a page or more.
    pub reject_compress_poor: u64,
    /// `reject_compress_fail`.
    pub reject_compress_fail: u64,
    /// `reject_alloc_fail`: no free frame for the pool.
    pub reject_alloc_fail: u64,
    /// Stores refused because the pool was full (the "full" state).
    pub reject_pool_full: u64,
    /// `duplicate_entry`: a store replaced an entry of the same slot.
    pub duplicate_entry: u64,
    /// `decompress_fail`.
    pub decompress_fail: u64,
    /// vmstat `zswpout`: pages stored.
    pub zswpout: u64,
    /// vmstat `zswpin`: pages loaded.
    pub zswpin: u64,
    /// vmstat `zswpwb`: pages written back to the swap device.
    pub zswpwb: u64,
}

/// The zswap pool.
#[derive(Debug, Default)]
pub struct Zswap {
    /// Parameters.
    pub cfg: ZswapConfig,
    entries: FxHashMap<SwapEntry, Entry>,
    lru: BTreeMap<u64, SwapEntry>,
    next_seq: u64,
    /// Bytes of pool objects (each rounded to its size class).
    pool_bytes: u64,
    /// The frames the pool occupies (zsmalloc pages).
    pub(crate) frames: Vec<Pfn>,
    /// `zswap_pool_reached_full`.
    full: bool,
    /// Counters.
    pub stats: ZswapStats,
}

/// What [`Zswap::store`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreResult {
    /// Kept in the pool (compressed, or as one word).
    Stored,
    /// Not kept: write the page to the swap device.
    Rejected,
    /// Not kept because the pool is full: write the page to the device, then run the shrink worker.
    PoolFull,
}

impl Zswap {
    /// A pool with parameters `cfg`.
    pub fn new(cfg: ZswapConfig) -> Self {
        Self { cfg, ..Self::default() }
    }

    /// `zswap_max_pages()`: `totalram_pages() * max_pool_percent / 100`.
    pub fn max_pages(&self, totalram: u64) -> u64 {
        totalram * u64::from(self.cfg.max_pool_percent) / 100
    }

    /// `zswap_accept_thr_pages()`: `max_pages * accept_thr_percent / 100`.
    pub fn accept_thr_pages(&self, totalram: u64) -> u64 {
        self.max_pages(totalram) * u64::from(self.cfg.accept_threshold_percent) / 100
    }

    /// Pages the pool needs for its objects now.
    pub fn pool_pages_needed(&self) -> u64 {
        self.pool_bytes.div_ceil(PAGE_BYTES as u64)
    }

    /// `zswap_total_pages()`: pages the pool occupies.
    pub fn total_pages(&self) -> u64 {
        self.frames.len() as u64
    }

    /// The compressed size of slot `e`'s entry (0 for a same-filled page), if it has one.
    pub fn compressed_len(&self, e: SwapEntry) -> Option<usize> {
        self.entries.get(&e).map(|x| match &x.data {
            Data::Same(_) => 0,
            Data::Compressed(c) => c.len(),
        })
    }

    /// Whether slot `e` has an entry.
    pub fn contains(&self, e: SwapEntry) -> bool {
        self.entries.contains_key(&e)
    }

    /// `zswap_check_limits()`: enter the full state at `max_pages` (counting `pool_limit_hit`), leave it at or
    /// below the accept threshold. Returns whether the pool is full.
    pub fn check_limits(&mut self, totalram: u64) -> bool {
        let cur = self.total_pages();
        if cur >= self.max_pages(totalram) {
            self.stats.pool_limit_hit += 1;
            self.full = true;
        } else if self.full && cur <= self.accept_thr_pages(totalram) {
            self.full = false;
        }
        self.full
    }

    /// `zswap_store()` of `page` for slot `e`, given `totalram` pages of RAM. Pool pages come from `frames`
    /// (without reclaim: none free is `reject_alloc_fail`), and pages the pool no longer needs go back to it.
    pub fn store(
        &mut self,
        e: SwapEntry,
        page: &[u8; PAGE_BYTES],
        totalram: u64,
        frames: &mut impl FrameAllocator,
        mem: &crate::phys::PhysMem,
    ) -> StoreResult {
        // A store replaces any older entry of the slot ("check_old"): that copy is stale either way.
        if self.invalidate(e) {
            self.stats.duplicate_entry += 1;
        }
        if self.check_limits(totalram) {
            self.stats.reject_pool_full += 1;
            self.release_frames(frames);
            return StoreResult::PoolFull;
        }
        let data = match same_filled(page) {
            Some(word) => Data::Same(word),
            None => match self.cfg.compressor.compress(page) {
                None => {
                    self.stats.reject_compress_fail += 1;
                    self.release_frames(frames);
                    return StoreResult::Rejected;
                }
                Some(c) if c.len() >= PAGE_BYTES => {
                    self.stats.reject_compress_poor += 1;
                    self.release_frames(frames);
                    return StoreResult::Rejected;
                }
                Some(c) => Data::Compressed(c.into_boxed_slice()),
            },
        };
        let size = object_size(&data);
        let need = (self.pool_bytes + size).div_ceil(PAGE_BYTES as u64);
        while self.total_pages() < need {
            // zswap's pool pages are __GFP_MOVABLE (zsmalloc supports migration, mm/zswap.c zswap_store).
            match frames.alloc_pages(0, crate::phys::buddy::MigrateType::Movable, mem) {
                Some(pfn) => self.frames.push(pfn),
                None => {
                    self.stats.reject_alloc_fail += 1;
                    self.release_frames(frames);
                    return StoreResult::Rejected;
                }
            }
        }
        self.pool_bytes += size;
        if let Data::Compressed(c) = &data {
            self.stats.compressed_bytes += c.len() as u64;
        } else {
            self.stats.same_filled_pages += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.lru.insert(seq, e);
        self.entries.insert(e, Entry { data, seq, referenced: true });
        self.stats.stored_pages += 1;
        self.stats.zswpout += 1;
        self.update_size();
        StoreResult::Stored
    }

    /// `zswap_load()`: decompress slot `e`'s page into `out` and drop the entry (the page is now only in RAM).
    /// `None` if the slot has no entry; `Some(false)` if decompression failed (the entry is dropped all the same).
    pub fn load(&mut self, e: SwapEntry, out: &mut [u8; PAGE_BYTES], frames: &mut impl FrameAllocator) -> Option<bool> {
        let entry = self.entries.get(&e)?;
        let ok = self.decode(&entry.data, out);
        if !ok {
            self.stats.decompress_fail += 1;
        }
        self.stats.zswpin += 1;
        self.invalidate(e);
        self.release_frames(frames);
        Some(ok)
    }

    fn decode(&self, data: &Data, out: &mut [u8; PAGE_BYTES]) -> bool {
        match data {
            Data::Same(word) => {
                for chunk in out.chunks_exact_mut(8) {
                    chunk.copy_from_slice(&word.to_ne_bytes());
                }
                true
            }
            Data::Compressed(c) => self.cfg.compressor.decompress(c, out),
        }
    }

    /// `zswap_invalidate()`: the slot was freed (or rewritten): drop its entry. True if there was one. The caller
    /// returns pool frames no longer needed with [`Zswap::release_frames`].
    pub fn invalidate(&mut self, e: SwapEntry) -> bool {
        let Some(entry) = self.entries.remove(&e) else { return false };
        self.lru.remove(&entry.seq);
        self.pool_bytes -= object_size(&entry.data);
        match &entry.data {
            Data::Compressed(c) => self.stats.compressed_bytes -= c.len() as u64,
            Data::Same(_) => self.stats.same_filled_pages -= 1,
        }
        self.stats.stored_pages -= 1;
        self.update_size();
        true
    }

    /// Give back the pool frames beyond what the objects need (zsmalloc frees empty zspages).
    pub fn release_frames(&mut self, frames: &mut impl FrameAllocator) {
        let need = self.pool_pages_needed();
        while self.total_pages() > need {
            if let Some(pfn) = self.frames.pop() {
                frames.free_pages(pfn, 0);
            }
        }
        self.update_size();
    }

    /// The next entry the shrink worker writes back (`shrink_memcg_cb` over the LRU, oldest first): a referenced
    /// entry loses its bit and goes to the back (second chance). Returns the slot with its page in `out`; the
    /// entry stays until [`Zswap::written_back`] says the device has the page. `None` when the pool is empty.
    pub fn writeback_next(&mut self, out: &mut [u8; PAGE_BYTES]) -> Option<SwapEntry> {
        loop {
            let (&seq, &e) = self.lru.iter().next()?;
            let entry = self.entries.get_mut(&e)?;
            if entry.referenced {
                entry.referenced = false;
                self.lru.remove(&seq);
                let new = self.next_seq;
                self.next_seq += 1;
                entry.seq = new;
                self.lru.insert(new, e);
                continue;
            }
            let data = entry.data.clone();
            if !self.decode(&data, out) {
                self.stats.decompress_fail += 1;
            }
            return Some(e);
        }
    }

    /// The page of slot `e` is on the swap device now: drop the entry (`zswap_writeback_entry`'s end).
    pub fn written_back(&mut self, e: SwapEntry) {
        if self.invalidate(e) {
            self.stats.written_back_pages += 1;
            self.stats.zswpwb += 1;
        }
    }

    /// Whether the shrink worker should go on: more pages than the accept threshold.
    pub fn above_accept_threshold(&self, totalram: u64) -> bool {
        self.total_pages() > self.accept_thr_pages(totalram)
    }

    fn update_size(&mut self) {
        self.stats.pool_total_size = self.total_pages() * PAGE_BYTES as u64;
    }
}

/// An object's size in the pool: its bytes rounded up to the size class (a same-filled page takes none).
fn object_size(d: &Data) -> u64 {
    match d {
        Data::Same(_) => 0,
        Data::Compressed(c) => c.len().max(ZS_MIN_ALLOC_SIZE).next_multiple_of(ZS_CLASS_DELTA) as u64,
    }
}

/// `zswap_is_page_same_filled()`: the page's repeated 8-byte word, if it is one.
pub fn same_filled(page: &[u8; PAGE_BYTES]) -> Option<u64> {
    let mut words = page.chunks_exact(8).map(|c| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8])));
    let first = words.next()?;
    words.all(|w| w == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phys::buddy::Buddy;
    use crate::phys::PhysMem;

    fn text_page(seed: u8) -> [u8; PAGE_BYTES] {
        let mut p = [0u8; PAGE_BYTES];
        for (i, b) in p.iter_mut().enumerate() {
            *b = b"the quick brown fox jumps over the lazy dog "[(i + usize::from(seed)) % 44];
        }
        p
    }

    /// SPEC §10 vector: 8 GiB RAM → max_pages 419,430, accept threshold 377,487.
    #[test]
    fn spec_10_limits() {
        let z = Zswap::new(ZswapConfig { enabled: true, ..ZswapConfig::default() });
        assert_eq!(z.max_pages(2_097_152), 419_430);
        assert_eq!(z.accept_thr_pages(2_097_152), 377_487);
    }

    /// Store and load round-trip with both compressors; same-filled pages take no pool space; random data is
    /// rejected as poorly compressible; the pool's frames follow its objects.
    #[test]
    fn store_load_roundtrip() {
        for c in [Compressor::Lz4, Compressor::Zstd] {
            let mut z = Zswap::new(ZswapConfig { enabled: true, compressor: c, ..ZswapConfig::default() });
            let mut frames = Buddy::new(8);
            let mem = PhysMem::new(8);
            let e1 = SwapEntry::new(0, 1);
            let page = text_page(3);
            assert_eq!(z.store(e1, &page, 1 << 20, &mut frames, &mem), StoreResult::Stored);
            assert_eq!((z.total_pages(), frames.free_frames()), (1, 7));
            assert!(z.stats.compressed_bytes < 400, "{c:?}: {}", z.stats.compressed_bytes);
            let e2 = SwapEntry::new(0, 2);
            let same = [0xABu8; PAGE_BYTES];
            assert_eq!(z.store(e2, &same, 1 << 20, &mut frames, &mem), StoreResult::Stored);
            assert_eq!(z.stats.same_filled_pages, 1);
            let mut rng = 0x1234_5678_u64;
            let mut random = [0u8; PAGE_BYTES];
            for b in &mut random {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                *b = rng.to_le_bytes()[0];
            }
            assert_eq!(z.store(SwapEntry::new(0, 3), &random, 1 << 20, &mut frames, &mem), StoreResult::Rejected);
            assert_eq!(z.stats.reject_compress_poor, 1);
            let mut out = [0u8; PAGE_BYTES];
            assert_eq!(z.load(e1, &mut out, &mut frames), Some(true));
            assert_eq!(out, page);
            assert_eq!(frames.free_frames(), 8, "the pool's only page is given back");
            assert_eq!(z.load(e2, &mut out, &mut frames), Some(true));
            assert_eq!(out, same);
            assert_eq!(z.load(e2, &mut out, &mut frames), None, "a load drops the entry");
            assert_eq!((z.stats.stored_pages, z.stats.zswpout, z.stats.zswpin), (0, 2, 2));
        }
    }

    /// The full state: stores are refused from max_pages until the pool drops to the accept threshold.
    #[test]
    fn hysteresis() {
        let mut z = Zswap::new(ZswapConfig { enabled: true, ..ZswapConfig::default() });
        // 100 pages of RAM: max 20 pool pages, accept at 18.
        z.frames = (0..20).map(Pfn::from_index).collect();
        assert!(z.check_limits(100));
        assert_eq!(z.stats.pool_limit_hit, 1);
        z.frames.truncate(19);
        assert!(z.check_limits(100), "below max but above the threshold: still full");
        z.frames.truncate(18);
        assert!(!z.check_limits(100), "at the accept threshold the pool accepts again");
        z.frames.push(Pfn::from_index(18));
        assert!(!z.check_limits(100), "below max and not full");
        assert_eq!(z.stats.pool_limit_hit, 1);
    }
}
