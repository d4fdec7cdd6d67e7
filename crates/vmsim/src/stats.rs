//! The stats object: a tree of `u64` counters mirroring the JSON documented in `docs/stats.md`.
//! Keys are added, never renamed or removed.

use crate::mmu::tlb::TlbLevelStats;
use serde::Serialize;

/// `accesses`: memory accesses issued by processes or the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccessStats {
    /// All accesses.
    pub total: u64,
    /// Loads.
    pub reads: u64,
    /// Stores.
    pub writes: u64,
    /// Instruction fetches.
    pub fetches: u64,
    /// Page translations performed (an access crossing a page boundary needs two).
    pub translations: u64,
}

impl AccessStats {
    /// Count one access of `kind` (total and its kind).
    #[inline]
    pub fn count(&mut self, kind: crate::mmu::Access) {
        self.total += 1;
        match kind {
            crate::mmu::Access::Read => self.reads += 1,
            crate::mmu::Access::Write => self.writes += 1,
            crate::mmu::Access::Fetch => self.fetches += 1,
        }
    }
}

/// `tlb`: translations satisfied by a TLB (`hits`) or needing a walk (`misses`), and per level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlbReport {
    /// L1 or STLB hits.
    pub hits: u64,
    /// STLB misses (walks started for a TLB miss).
    pub misses: u64,
    /// L1 data TLB.
    pub l1d: TlbLevelStats,
    /// L1 instruction TLB.
    pub l1i: TlbLevelStats,
    /// Unified second-level TLB.
    pub stlb: TlbLevelStats,
    /// TLB entries the kernel's flushes dropped, over all CPUs and levels.
    pub flushed_entries: u64,
    /// TLB-shootdown IPIs sent to other CPUs (0 on one CPU).
    pub shootdown_ipis: u64,
}

/// `walks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WalkReport {
    /// Page walks (TLB misses plus dirty-bit assists and walks that faulted).
    pub count: u64,
    /// Page-table entries read from memory.
    pub memory_refs: u64,
    /// Walks shortened by a paging-structure-cache hit.
    pub psc_hits: u64,
}

/// `faults`, counted as Linux counts them (SPEC §4.1 step 4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultStats {
    /// Sum of tasks' `min_flt`.
    pub minor: u64,
    /// Sum of tasks' `maj_flt`.
    pub major: u64,
    /// Copy-on-write copies (`do_wp_page` → `wp_page_copy` of a real page).
    pub cow: u64,
    /// Write faults on a write-protected page that reused it in place (`wp_page_reuse`: exclusive, or the last
    /// reference left after a fork's sharer went away).
    pub wp_reuse: u64,
    /// Processes killed by SIGSEGV.
    pub segv: u64,
    /// `minor + major`.
    pub total: u64,
    /// vmstat `pgfault`: faults that reached `handle_mm_fault`.
    pub pgfault: u64,
    /// Of `major`, those served from zswap (charged at `cost.zswap_load_ns`, not the device's latency).
    pub major_zswap: u64,
}

/// `swap`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SwapStats {
    /// `pswpout`: pages written to swap.
    pub pages_out: u64,
    /// `pswpin`: pages read from swap (including readahead).
    pub pages_in: u64,
    /// Pages read ahead (`swap_ra`).
    pub readahead: u64,
    /// Readahead pages later used by a fault (`swap_ra_hit`).
    pub readahead_hits: u64,
    /// Swap-in faults satisfied from the swap cache (minor faults).
    pub cache_hits: u64,
    /// Swap slots in use at the end.
    pub slots_used: u64,
    /// Usable swap slots.
    pub slots_total: u64,
}

/// `reclaim`, named after /proc/vmstat where Linux has the counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReclaimStats {
    /// `pgscan_kswapd`: pages kswapd took from an inactive list (reclaimed, rotated or activated).
    pub scanned_kswapd: u64,
    /// `pgscan_direct`: likewise for direct reclaim; reclaim at a group's `memory.max` is not counted here
    /// (`cgroup_reclaim()`; it is in the group's `memory.stat`).
    pub scanned_direct: u64,
    /// `pgsteal_kswapd + pgsteal_direct`: pages reclaimed (not at a group's limit, as for `scanned_direct`).
    pub stolen: u64,
    /// `pgactivate`: pages moved to the active list (policy `linux`), in every group's lists.
    pub activations: u64,
    /// `pgdeactivate`: pages moved to the inactive list (policy `linux`), in every group's lists.
    pub deactivations: u64,
    /// Clean pages dropped without I/O (their swap copy was valid).
    pub clean_dropped: u64,
    /// `allocstall`: allocations that entered direct reclaim.
    pub allocstall: u64,
    /// kswapd wakeups.
    pub kswapd_wakeups: u64,
    /// Allocations that failed with memory and swap exhausted.
    pub oom: u64,
}

/// `page_cache`: file pages (mm/filemap.c, mm/workingset.c), named after /proc/vmstat where Linux has the counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageCacheStats {
    /// Simulated files declared.
    pub files: u64,
    /// Page-cache pages of files at the end (meminfo `Cached` less shmem).
    pub cached_pages: u64,
    /// Dirty page-cache pages at the end (meminfo `Dirty`).
    pub dirty_pages: u64,
    /// Pages read from files into the page cache, by faults and readahead.
    pub read_in: u64,
    /// Dirty pages written back to their files (msync and reclaim).
    pub written_back: u64,
    /// `nr_vmscan_write`: of those, written by reclaim.
    pub vmscan_write: u64,
    /// `pgsteal_file`: file pages reclaimed.
    pub stolen_file: u64,
    /// `pgsteal_anon`: anonymous pages reclaimed.
    pub stolen_anon: u64,
    /// `workingset_refault_file`: pages read back in where an eviction left a shadow entry.
    pub refaults: u64,
    /// `workingset_activate_file`: refaults recent enough to be activated at once.
    pub refault_activations: u64,
    /// `workingset_restore_file`: activated refaults that were in the working set when evicted.
    pub refault_restores: u64,
}

/// `verify`: integrity checks of pages read back from swap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerifyStats {
    /// Whether verify mode was on.
    pub enabled: bool,
    /// Pages checked.
    pub checked: u64,
    /// Pages whose content did not match (each also reported in `events`).
    pub failures: u64,
}

/// `memory`, in 4 KiB frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryStats {
    /// RAM.
    pub frames_total: u64,
    /// In use at the end (data, page tables, the zero page).
    pub frames_used: u64,
    /// Holding page tables at the end.
    pub page_table_frames: u64,
    /// Host bytes holding frame contents at the end.
    pub host_data_bytes: u64,
}

/// `cost`: the effective-access-time estimate (see [`crate::cost`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CostReport {
    /// Total simulated time in ns.
    pub total_ns: f64,
    /// `total_ns / accesses.total`.
    pub effective_access_time_ns: f64,
    /// Of which TLB lookups.
    pub tlb_ns: f64,
    /// Of which page-walk memory references.
    pub walk_ns: f64,
    /// Of which the data accesses themselves.
    pub data_ns: f64,
    /// Of which fault service.
    pub fault_ns: f64,
    /// Where the time went, level by level (present only when the caches are modelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pyramid: Option<[PyramidRow; PYRAMID_ROWS]>,
}

/// Rows of the pyramid: TLB, L1, L2, LLC, DRAM, zswap, swap device, minor faults.
pub const PYRAMID_ROWS: usize = 8;

/// One level of the memory pyramid in `cost.pyramid`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PyramidRow {
    /// `tlb`, `l1`, `l2`, `llc`, `dram`, `swap` (major faults: the swap device or a file's disk), `minor_fault`.
    pub level: &'static str,
    /// Accesses served here: data accesses and fetches plus walk references (`tlb`: STLB lookups, as an L1 TLB hit
    /// overlaps the L1 cache access; `swap`: major faults; `minor_fault`: minor faults).
    pub served: u64,
    /// Of which data accesses and instruction fetches.
    pub data: u64,
    /// Of which page-walk PTE reads.
    pub walk: u64,
    /// Time per access served here (the mean when L1D and L1I latencies differ).
    pub latency_ns: f64,
    /// `served × latency_ns`.
    pub time_ns: f64,
    /// `time_ns / cost.total_ns`.
    pub share: f64,
}

/// `zswap` (present when zswap is enabled): its parameters and the debugfs counters (SPEC §10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ZswapReport {
    /// `compressor`.
    pub compressor: &'static str,
    /// `max_pool_percent`.
    pub max_pool_percent: u32,
    /// `accept_threshold_percent`.
    pub accept_threshold_percent: u32,
    /// The counters.
    #[serde(flatten)]
    pub counters: crate::swap::zswap::ZswapStats,
    /// Bytes the stored pages hold uncompressed (meminfo `Zswapped`).
    pub stored_bytes: u64,
    /// `stored_bytes / pool_total_size` (0 when the pool is empty).
    pub compression_ratio: f64,
}

/// The whole stats object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Accesses.
    pub accesses: AccessStats,
    /// TLBs.
    pub tlb: TlbReport,
    /// Page walks.
    pub walks: WalkReport,
    /// CPU caches: present only when modelled (`cache.enabled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caches: Option<crate::cache::CacheReport>,
    /// Faults.
    pub faults: FaultStats,
    /// Swap.
    pub swap: SwapStats,
    /// Reclaim.
    pub reclaim: ReclaimStats,
    /// Page cache.
    pub page_cache: PageCacheStats,
    /// Verify mode.
    pub verify: VerifyStats,
    /// Memory.
    pub memory: MemoryStats,
    /// Cost model.
    pub cost: CostReport,
    /// zswap, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zswap: Option<ZswapReport>,
    /// Compaction's counters, when a compaction pass ran (kernel/compaction.rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compaction: Option<crate::kernel::compaction::CompactStats>,
    /// KSM's sysfs counters, when KSM runs or scanned anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ksm: Option<crate::kernel::ksm::KsmStats>,
}
