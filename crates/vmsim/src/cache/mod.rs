//! CPU caches: the middle of the memory pyramid, between the TLBs and DRAM (issue 16).
//!
//! | File           | Models                                                                    |
//! |----------------|---------------------------------------------------------------------------|
//! | `array.rs`     | one set-associative array: tags, dirty and prefetched bits, replacement   |
//! | `hierarchy.rs` | L1D, L1I and L2 per CPU, a shared LLC; data, fetch and page-walk paths    |
//! | `prefetch.rs`  | tagged next-line and IP-stride prefetchers                                |
//!
//! Off by default (`cache.enabled = false`): the replay then charges one flat `cost.memory_ns` per data access and
//! per walk reference, as before, and pays nothing for the caches. When on, every data access goes through the
//! caches after translation (physically indexed and tagged), and so does every PTE read of the page walker; the
//! TLBs and paging-structure caches stay in front (a TLB hit reads no PTE at all).
//!
//! **Defaults: one AMD Zen 4 core** (Ryzen 7000 / EPYC 9004), from AMD's *Software Optimization Guide for the AMD
//! Zen4 Microarchitecture* (pub. 57647), §2.12 "Cache and Memory": L1D 32 KiB 8-way, L1I 32 KiB 8-way, L2 1 MiB
//! 8-way (private), L3 32 MiB 16-way shared by the 8 cores of a CCD, 64-byte lines. Load-to-use latencies: L1D 4
//! cycles (the SOG's integer load latency; LLVM's Znver4 model uses the same `LoadLatency = 4`), L2 14 cycles and
//! L3 about 50 cycles (SOG figures as measured by Chips and Cheese, "AMD's Zen 4, Part 2: Memory Subsystem", 2022
//! **[U]**: the model has not been checked against the SOG's own table). The clock is 5.0 GHz (the Ryzen 9 7950X
//! runs at 4.5 GHz base, 5.7 GHz boost **[U]**: a round figure between). DRAM latency stays `cost.memory_ns`
//! (100 ns). Every set count is a power of two, which Intel's Golden Cove (48 KiB 12-way L1D, 1.25 MiB 10-way L2)
//! also gives but its LLC (sliced, 3 MiB per slice) does not; ChampSim's default core (L1D 48 KiB 12-way 5
//! cycles, L2 512 KiB 8-way 10 cycles, LLC 2 MiB 16-way 20 cycles; `champsim_config.json`) is a smaller, faster
//! variant of the same shape.
//!
//! **Where the page walker enters.** Intel's walker (the page-miss handler) reads paging entries through the L1
//! data cache: Haswell through Skylake count its loads by where they hit with `PAGE_WALKER_LOADS.DTLB_L1`
//! ("DTLB page walker loads that hit in the L1+FB"), `_L2`, `_L3` and `_MEMORY` (event 0xBC; Linux
//! tools/perf/pmu-events). ChampSim connects its PTW to the L1D (`config/defaults.py`, `ptw_core_defaults`:
//! `lower_level = L1D`). AMD does not document where Zen 4's walker enters **[U]**; the default is `l1d`, and
//! `cache.walker_entry = "l2"` models a walker that reads through L2 (then walk references never hit L1).

pub mod array;
pub mod hierarchy;
pub mod prefetch;

use crate::config::ByteSize;
pub use array::{Cache, Replacement, LINE_BYTES};
pub use hierarchy::{CacheReport, Hierarchy, Served, WalkCaches};
pub use prefetch::PrefetcherKind;
use serde::{Deserialize, Serialize};

/// Where the page walker's PTE reads enter the hierarchy (`cache.walker_entry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkerEntry {
    /// The L1 data cache (Intel, ChampSim).
    #[default]
    L1d,
    /// The L2.
    L2,
}

impl WalkerEntry {
    /// The config name.
    pub const fn name(self) -> &'static str {
        match self {
            WalkerEntry::L1d => "l1d",
            WalkerEntry::L2 => "l2",
        }
    }
}

fn one() -> u32 {
    1
}

/// One cache: `[cache.l1d]`, `[cache.l1i]`, `[cache.l2]`, `[cache.llc]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheLevelConfig {
    /// Capacity (bytes or `"32KiB"`); `size / (ways × 64 B)` sets, a power of two.
    pub size: ByteSize,
    /// Ways per set.
    pub ways: u32,
    /// Load-to-use latency in core cycles (at `cache.clock_ghz`).
    pub latency_cycles: u32,
    /// `lru` (default), `fifo` or `random`.
    #[serde(default)]
    pub replacement: Replacement,
    /// `none` (default), `next_line` or `ip_stride`.
    #[serde(default)]
    pub prefetcher: PrefetcherKind,
    /// Lines one trigger may prefetch, 1..=16. Default 1.
    #[serde(default = "one")]
    pub prefetch_degree: u32,
}

/// Zen 4 L1D: 32 KiB, 8-way, 4 cycles (module doc).
pub const DEFAULT_L1D: CacheLevelConfig = level(32 << 10, 8, 4);
/// Zen 4 L1I: 32 KiB, 8-way; a fetch that hits costs like an L1D hit (module doc).
pub const DEFAULT_L1I: CacheLevelConfig = level(32 << 10, 8, 4);
/// Zen 4 L2: 1 MiB, 8-way, 14 cycles (module doc).
pub const DEFAULT_L2: CacheLevelConfig = level(1 << 20, 8, 14);
/// Zen 4 L3 of one CCD: 32 MiB, 16-way, about 50 cycles (module doc).
pub const DEFAULT_LLC: CacheLevelConfig = level(32 << 20, 16, 50);
/// Core clock in GHz (module doc).
pub const DEFAULT_CLOCK_GHZ: f64 = 5.0;

const fn level(size: u64, ways: u32, latency_cycles: u32) -> CacheLevelConfig {
    CacheLevelConfig {
        size: ByteSize(size),
        ways,
        latency_cycles,
        replacement: Replacement::Lru,
        prefetcher: PrefetcherKind::None,
        prefetch_degree: 1,
    }
}

/// `[cache]`: the CPU caches (off by default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Model the caches. Default false: one flat `cost.memory_ns` per data access and walk reference.
    pub enabled: bool,
    /// Core clock in GHz, converting `latency_cycles` to time. Default 5.0.
    pub clock_ghz: f64,
    /// Where page-walk PTE reads enter: `l1d` (default) or `l2`.
    pub walker_entry: WalkerEntry,
    /// Per-CPU L1 data cache.
    pub l1d: CacheLevelConfig,
    /// Per-CPU L1 instruction cache.
    pub l1i: CacheLevelConfig,
    /// Per-CPU unified L2.
    pub l2: CacheLevelConfig,
    /// Shared last-level cache.
    pub llc: CacheLevelConfig,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            clock_ghz: DEFAULT_CLOCK_GHZ,
            walker_entry: WalkerEntry::L1d,
            l1d: DEFAULT_L1D,
            l1i: DEFAULT_L1I,
            l2: DEFAULT_L2,
            llc: DEFAULT_LLC,
        }
    }
}

impl CacheConfig {
    /// The first value out of range: `(dotted key, message)`.
    pub fn check(&self) -> Result<(), (String, String)> {
        if !(self.clock_ghz.is_finite() && self.clock_ghz > 0.0 && self.clock_ghz <= 1000.0) {
            return Err((
                "cache.clock_ghz".into(),
                format!("cache.clock_ghz = {}: must be a number of GHz in (0, 1000]", self.clock_ghz),
            ));
        }
        for (name, l) in
            [("cache.l1d", self.l1d), ("cache.l1i", self.l1i), ("cache.l2", self.l2), ("cache.llc", self.llc)]
        {
            if let Err(e) = array::sets_of(l.size.0, l.ways) {
                let key =
                    if matches!(e, array::CacheGeometryError::ZeroWays | array::CacheGeometryError::TooManyWays { .. })
                    {
                        format!("{name}.ways")
                    } else {
                        format!("{name}.size")
                    };
                return Err((key, format!("{name}: {e}")));
            }
            if !(1..=prefetch::MAX_DEGREE).contains(&l.prefetch_degree) {
                return Err((
                    format!("{name}.prefetch_degree"),
                    format!(
                        "{name}.prefetch_degree = {}: out of range 1..={}",
                        l.prefetch_degree,
                        prefetch::MAX_DEGREE
                    ),
                ));
            }
            if l.latency_cycles > 100_000 {
                return Err((
                    format!("{name}.latency_cycles"),
                    format!("{name}.latency_cycles = {}: out of range 0..=100000", l.latency_cycles),
                ));
            }
        }
        Ok(())
    }
}
