//! The machine's cache hierarchy: per CPU an L1 data cache, an L1 instruction cache and a unified L2; one
//! last-level cache shared by every CPU. Data accesses enter at L1D, instruction fetches at L1I, and the page
//! walker's PTE reads at the configured entry level (L1D by default; see [`WalkerEntry`]).
//!
//! Policies, each with its source:
//! - **Non-inclusive, fill on the way up** (ChampSim's default hierarchy; Intel's server LLC since Skylake-SP and
//!   AMD's L3 victim cache are both non-inclusive): a miss fills every level it passed, and an eviction never
//!   removes copies above.
//! - **Write-back, write-allocate** (Hennessy & Patterson 6th ed., B.1 "What happens on a write"): a store that
//!   misses fetches the line (read for ownership) and fills it dirty; a dirty line evicted from L1 is written into
//!   L2 (allocated there if absent), from L2 into the LLC, from the LLC to memory. Each cache counts its dirty
//!   evictions.
//! - **Coherence, write-invalidate** (MESI's effect on the other caches; Hennessy & Patterson 5.2): a store by one
//!   CPU drops the line from every other CPU's L1 and L2 (a dirty copy is written back into the LLC).
//!
//! Simplifies: no timing beyond a fixed load-to-use latency per level (no queues, MSHRs, bandwidth or overlap of
//! misses); a load does not look into another CPU's private caches (a line another CPU holds dirty is served from
//! the LLC or memory at their latency); the kernel's own memory traffic (zeroing, copying, swap I/O) does not go
//! through the caches; lines are not invalidated when a frame is freed and reused (the caches hold no data).

use super::array::{Cache, CacheGeometryError, Hit, Victim, LINE_SHIFT};
use super::prefetch::{Prefetcher, PrefetcherKind};
use super::{CacheConfig, CacheLevelConfig, WalkerEntry};
use crate::addr::PhysAddr;
use crate::arch::Level;
use crate::mmu::walk::{WalkObserver, WalkStep, MAX_LEVELS};
use crate::mmu::Access;
use serde::Serialize;

/// [`MAX_LEVELS`] as a level number.
#[allow(clippy::cast_possible_truncation, reason = "MAX_LEVELS = 5")]
const MAX_LEVELS_U8: u8 = MAX_LEVELS as u8;

/// Index of the L1 data cache in per-level arrays.
const L1D: usize = 0;
/// Index of the L1 instruction cache.
const L1I: usize = 1;
/// Index of the L2.
const L2: usize = 2;
/// Index of the LLC.
const LLC: usize = 3;

/// Where an access was served: index into [`Served`] counters.
const AT_L1: usize = 0;
const AT_L2: usize = 1;
const AT_LLC: usize = 2;
const AT_MEMORY: usize = 3;

/// One CPU's private caches and their prefetchers.
#[derive(Debug, Clone)]
struct Core {
    /// L1D, L1I, L2.
    caches: [Cache; 3],
    /// Their prefetchers.
    pf: [Prefetcher; 3],
    /// The instruction pointer of the data accesses that follow: the physical address of the last fetch (a lackey
    /// trace lists an instruction's loads and stores right after it).
    last_ip: u64,
}

/// Counters of one cache, summed over CPUs for L1 and L2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LevelCounters {
    hits: u64,
    misses: u64,
    evictions: u64,
    dirty_evictions: u64,
    pf_issued: u64,
    pf_useful: u64,
    pf_unused_evicted: u64,
}

/// Every counter of the hierarchy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    level: [LevelCounters; 4],
    data: [u64; 4],
    fetch: [u64; 4],
    walk: [[u64; 4]; MAX_LEVELS],
    coherence_invalidations: u64,
}

/// Load-to-use latencies in picoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Latencies {
    level: [u64; 4],
    memory: u64,
}

/// The caches of every CPU plus the shared LLC.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    cores: Vec<Core>,
    llc: Cache,
    llc_pf: Prefetcher,
    walker_entry: WalkerEntry,
    lat: Latencies,
    c: Counters,
    /// Latency of walk references not yet charged to the clock.
    pending_ps: u64,
    /// Levels of the paging mode (rows of the per-level walk table).
    walk_levels: u8,
    kinds: [PrefetcherKind; 4],
    cfg: CacheConfig,
    memory_ns: f64,
}

/// A cache geometry that cannot be built, naming its table (`cache.l2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{level}: {error}")]
pub struct CacheConfigError {
    /// `cache.l1d`, ...
    pub level: &'static str,
    /// What is wrong.
    pub error: CacheGeometryError,
}

fn build(cfg: &CacheLevelConfig, level: &'static str, seed: u64) -> Result<Cache, CacheConfigError> {
    Cache::new(cfg.size.0, cfg.ways, cfg.replacement, seed).map_err(|error| CacheConfigError { level, error })
}

fn ps(ns: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "validated non-negative, rounded")]
    let v = (ns.max(0.0) * 1000.0).round() as u64;
    v
}

impl Hierarchy {
    /// Empty caches for `cpus` CPUs; `memory_ns` is the DRAM latency (`cost.memory_ns`), `walk_levels` the paging
    /// mode's levels, `seed` the machine's seed (random replacement draws from it).
    pub fn new(
        cfg: &CacheConfig,
        cpus: usize,
        memory_ns: f64,
        walk_levels: u8,
        seed: u64,
    ) -> Result<Self, CacheConfigError> {
        // One ChaCha stream per cache, so adding a CPU does not change another cache's draws.
        let stream = |i: u64| seed ^ 0xCAC4_E000_0000_0000 ^ i;
        let mut cores = Vec::with_capacity(cpus.max(1));
        for cpu in 0..cpus.max(1) as u64 {
            cores.push(Core {
                caches: [
                    build(&cfg.l1d, "cache.l1d", stream(cpu * 4))?,
                    build(&cfg.l1i, "cache.l1i", stream(cpu * 4 + 1))?,
                    build(&cfg.l2, "cache.l2", stream(cpu * 4 + 2))?,
                ],
                pf: [
                    Prefetcher::new(cfg.l1d.prefetcher, cfg.l1d.prefetch_degree),
                    Prefetcher::new(cfg.l1i.prefetcher, cfg.l1i.prefetch_degree),
                    Prefetcher::new(cfg.l2.prefetcher, cfg.l2.prefetch_degree),
                ],
                last_ip: 0,
            });
        }
        let cycle_ns = 1.0 / cfg.clock_ghz;
        let lat = |l: &CacheLevelConfig| ps(f64::from(l.latency_cycles) * cycle_ns);
        Ok(Self {
            cores,
            llc: build(&cfg.llc, "cache.llc", stream(u64::MAX >> 1))?,
            llc_pf: Prefetcher::new(cfg.llc.prefetcher, cfg.llc.prefetch_degree),
            walker_entry: cfg.walker_entry,
            lat: Latencies {
                level: [lat(&cfg.l1d), lat(&cfg.l1i), lat(&cfg.l2), lat(&cfg.llc)],
                memory: ps(memory_ns),
            },
            c: Counters::default(),
            pending_ps: 0,
            walk_levels: walk_levels.min(MAX_LEVELS_U8),
            kinds: [cfg.l1d.prefetcher, cfg.l1i.prefetcher, cfg.l2.prefetcher, cfg.llc.prefetcher],
            cfg: cfg.clone(),
            memory_ns,
        })
    }

    /// A data access or instruction fetch by `cpu` to physical address `pa`, after translation. Returns its
    /// latency plus that of the walk references made since the last access, in picoseconds.
    #[inline]
    pub fn access(&mut self, cpu: usize, pa: PhysAddr, access: Access) -> u64 {
        let line = pa.raw() >> LINE_SHIFT;
        let cpu = cpu.min(self.cores.len() - 1);
        let (first, write) = match access {
            Access::Fetch => {
                self.cores[cpu].last_ip = pa.raw();
                (L1I, false)
            }
            Access::Read => (L1D, false),
            Access::Write => (L1D, true),
        };
        if write && self.cores.len() > 1 {
            self.invalidate_others(cpu, line);
        }
        let ip = self.cores[cpu].last_ip;
        let at = self.demand(cpu, line, write, first, ip, true);
        if first == L1I {
            self.c.fetch[at] += 1;
        } else {
            self.c.data[at] += 1;
        }
        let ps = if at == AT_L1 { self.lat.level[first] } else { self.latency(at) };
        ps + std::mem::take(&mut self.pending_ps)
    }

    /// A PTE read by `cpu`'s page walker at `level` (4 = PML4 on x86-64), entering at the configured level. Its
    /// latency is charged with the next access ([`Hierarchy::access`]).
    #[inline]
    pub fn walk_read(&mut self, cpu: usize, level: Level, pa: PhysAddr) {
        let line = pa.raw() >> LINE_SHIFT;
        let cpu = cpu.min(self.cores.len() - 1);
        let first = match self.walker_entry {
            WalkerEntry::L1d => L1D,
            WalkerEntry::L2 => L2,
        };
        // Walker reads carry no instruction pointer and do not train the prefetchers.
        let at = self.demand(cpu, line, false, first, 0, false);
        let row = usize::from(level.0.clamp(1, MAX_LEVELS_U8) - 1);
        self.c.walk[row][at] += 1;
        self.pending_ps += if at == AT_L1 { self.lat.level[first] } else { self.latency(at) };
    }

    /// The walker set an Accessed or Dirty bit in the entry at `pa` (SDM 3A §4.8: a locked write to the line it
    /// just read, so the line is where the read left it): the line becomes dirty there.
    #[inline]
    pub fn walk_wrote(&mut self, cpu: usize, pa: PhysAddr) {
        let line = pa.raw() >> LINE_SHIFT;
        let cpu = cpu.min(self.cores.len() - 1);
        let first = match self.walker_entry {
            WalkerEntry::L1d => L1D,
            WalkerEntry::L2 => L2,
        };
        self.cores[cpu].caches[first].mark_dirty(line);
    }

    /// Latency of a level below L1 (`AT_L2`, `AT_LLC`, `AT_MEMORY`).
    #[inline(always)]
    fn latency(&self, at: usize) -> u64 {
        match at {
            AT_L2 => self.lat.level[L2],
            AT_LLC => self.lat.level[LLC],
            _ => self.lat.memory,
        }
    }

    /// A demand access entering at `first` (L1D, L1I or L2); returns where it was served. Prefetchers see it when
    /// `train`. The L1 hit without a prefetcher is inlined into the callers; everything else is out of line.
    #[inline(always)]
    fn demand(&mut self, cpu: usize, line: u64, write: bool, first: usize, ip: u64, train: bool) -> usize {
        let mut looked = None;
        if first != L2 {
            let core = &mut self.cores[cpu];
            if !core.pf[first].is_some() {
                // Without a prefetcher no line here is marked prefetched: a hit is a plain hit.
                match core.caches[first].lookup(line, write) {
                    Hit::Miss => looked = Some(Hit::Miss),
                    _ => {
                        self.c.level[first].hits += 1;
                        return AT_L1;
                    }
                }
            }
        }
        self.demand_slow(cpu, line, write, first, ip, train, looked)
    }

    /// [`Hierarchy::demand`] beyond an L1 hit without a prefetcher; `looked` is the L1 lookup already made, if any.
    #[inline(never)]
    #[allow(clippy::too_many_arguments, reason = "demand's arguments plus the lookup it made")]
    fn demand_slow(
        &mut self,
        cpu: usize,
        line: u64,
        write: bool,
        first: usize,
        ip: u64,
        train: bool,
        looked: Option<Hit>,
    ) -> usize {
        let Self { cores, llc, llc_pf, c, .. } = self;
        let core = &mut cores[cpu];
        if first == L2 {
            return below_l1(core, llc, llc_pf, c, line, ip, train);
        }
        let hit = match looked {
            Some(h) => h,
            None => core.caches[first].lookup(line, write),
        };
        let lc = &mut c.level[first];
        match hit {
            Hit::Hit => {
                lc.hits += 1;
                if train && core.pf[first].is_some() {
                    prefetch(core, llc, c, first, ip, line, false);
                }
                return AT_L1;
            }
            Hit::HitPrefetched => {
                lc.hits += 1;
                lc.pf_useful += 1;
                if train {
                    prefetch(core, llc, c, first, ip, line, true);
                }
                return AT_L1;
            }
            Hit::Miss => lc.misses += 1,
        }
        let at = below_l1(core, llc, llc_pf, c, line, ip, train);
        let victim = core.caches[first].fill(line, write, false);
        evicted(core, llc, c, first, victim);
        if train && core.pf[first].is_some() {
            prefetch(core, llc, c, first, ip, line, true);
        }
        at
    }

    /// A store by `cpu`: every other CPU's copies go (write-invalidate).
    #[cold]
    fn invalidate_others(&mut self, cpu: usize, line: u64) {
        let Self { cores, llc, c, .. } = self;
        for (i, core) in cores.iter_mut().enumerate() {
            if i == cpu {
                continue;
            }
            for k in [L1D, L1I, L2] {
                if let Some(dirty) = core.caches[k].invalidate(line) {
                    c.coherence_invalidations += 1;
                    if dirty {
                        c.level[k].dirty_evictions += 1;
                        writeback_llc(llc, c, line);
                    }
                }
            }
        }
    }

    /// The counters and configuration as the report shows them.
    pub fn report(&self) -> CacheReport {
        let level = |k: usize, lat_ps: u64| {
            let l = self.c.level[k];
            let kind = self.kinds[k];
            let prefetch = (kind != PrefetcherKind::None).then(|| PrefetchReport {
                kind: kind.name(),
                issued: l.pf_issued,
                useful: l.pf_useful,
                unused_evicted: l.pf_unused_evicted,
                accuracy: ratio(l.pf_useful, l.pf_issued),
                coverage: ratio(l.pf_useful, l.pf_useful + l.misses),
            });
            LevelReport {
                hits: l.hits,
                misses: l.misses,
                evictions: l.evictions,
                dirty_evictions: l.dirty_evictions,
                latency_ns: ns(lat_ps),
                prefetch,
            }
        };
        let served = |a: [u64; 4]| Served { l1: a[AT_L1], l2: a[AT_L2], llc: a[AT_LLC], memory: a[AT_MEMORY] };
        let mut walk_levels = [WalkLevel::default(); MAX_LEVELS];
        for (i, row) in walk_levels.iter_mut().enumerate() {
            #[allow(clippy::cast_possible_truncation, reason = "i < MAX_LEVELS")]
            let n = i as u8 + 1;
            *row = WalkLevel { level: n, served: served(self.c.walk[i]) };
        }
        let walk = self.c.walk.iter().fold([0u64; 4], |mut s, r| {
            for (a, b) in s.iter_mut().zip(r) {
                *a += b;
            }
            s
        });
        CacheReport {
            walker_entry: self.walker_entry.name(),
            l1d: level(L1D, self.lat.level[L1D]),
            l1i: level(L1I, self.lat.level[L1I]),
            l2: level(L2, self.lat.level[L2]),
            llc: level(LLC, self.lat.level[LLC]),
            memory_latency_ns: self.memory_ns,
            data: served(self.c.data),
            fetch: served(self.c.fetch),
            walk: served(walk),
            walk_levels: WalkLevels { rows: walk_levels, levels: self.walk_levels },
            coherence_invalidations: self.c.coherence_invalidations,
        }
    }

    /// The configuration the hierarchy was built from.
    pub fn config(&self) -> &CacheConfig {
        &self.cfg
    }

    /// Whether `pa`'s line is in `cpu`'s L1D (for tests and teaching printouts).
    pub fn in_l1d(&self, cpu: usize, pa: PhysAddr) -> bool {
        self.cores[cpu.min(self.cores.len() - 1)].caches[L1D].contains(pa.raw() >> LINE_SHIFT)
    }
}

/// `n / d`, 0 when `d` is 0.
fn ratio(n: u64, d: u64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "a ratio for output")]
    let r = if d == 0 { 0.0 } else { n as f64 / d as f64 };
    r
}

/// Picoseconds as nanoseconds.
fn ns(ps: u64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "latencies far below 2^53 ps")]
    let v = ps as f64 / 1000.0;
    v
}

/// A demand access that missed L1 (or enters at L2): L2, then the LLC, then memory. Fills L2 on the way back.
#[inline]
fn below_l1(
    core: &mut Core,
    llc: &mut Cache,
    llc_pf: &mut Prefetcher,
    c: &mut Counters,
    line: u64,
    ip: u64,
    train: bool,
) -> usize {
    match core.caches[L2].lookup(line, false) {
        Hit::Hit => {
            c.level[L2].hits += 1;
            if train && core.pf[L2].is_some() {
                prefetch(core, llc, c, L2, ip, line, false);
            }
            return AT_L2;
        }
        Hit::HitPrefetched => {
            c.level[L2].hits += 1;
            c.level[L2].pf_useful += 1;
            if train {
                prefetch(core, llc, c, L2, ip, line, true);
            }
            return AT_L2;
        }
        Hit::Miss => c.level[L2].misses += 1,
    }
    let at = match llc.lookup(line, false) {
        Hit::Hit | Hit::HitPrefetched => {
            let l = &mut c.level[LLC];
            l.hits += 1;
            if train && llc_pf.is_some() {
                llc_prefetch(llc, llc_pf, c, ip, line, false);
            }
            AT_LLC
        }
        Hit::Miss => {
            c.level[LLC].misses += 1;
            let v = llc.fill(line, false, false);
            llc_evicted(c, v);
            if train && llc_pf.is_some() {
                llc_prefetch(llc, llc_pf, c, ip, line, true);
            }
            AT_MEMORY
        }
    };
    let v = core.caches[L2].fill(line, false, false);
    evicted(core, llc, c, L2, v);
    if train && core.pf[L2].is_some() {
        prefetch(core, llc, c, L2, ip, line, true);
    }
    at
}

/// Counts a victim of private cache `k` and writes a dirty one back to the level below.
#[inline]
fn evicted(core: &mut Core, llc: &mut Cache, c: &mut Counters, k: usize, v: Option<Victim>) {
    let Some(v) = v else { return };
    let lc = &mut c.level[k];
    lc.evictions += 1;
    lc.pf_unused_evicted += u64::from(v.unused_prefetch);
    if v.dirty {
        lc.dirty_evictions += 1;
        if k == L2 {
            writeback_llc(llc, c, v.line);
        } else {
            // Write-back into L2, allocating there if absent (non-inclusive).
            if !core.caches[L2].mark_dirty(v.line) {
                let v2 = core.caches[L2].fill(v.line, true, false);
                evicted(core, llc, c, L2, v2);
            }
        }
    }
}

/// Counts a victim of the LLC; a dirty one is written to memory.
#[inline]
fn llc_evicted(c: &mut Counters, v: Option<Victim>) {
    let Some(v) = v else { return };
    let lc = &mut c.level[LLC];
    lc.evictions += 1;
    lc.pf_unused_evicted += u64::from(v.unused_prefetch);
    lc.dirty_evictions += u64::from(v.dirty);
}

/// A dirty line written back into the LLC (allocated there if absent).
fn writeback_llc(llc: &mut Cache, c: &mut Counters, line: u64) {
    if !llc.mark_dirty(line) {
        let v = llc.fill(line, true, false);
        llc_evicted(c, v);
    }
}

/// Runs private cache `k`'s prefetcher on a demand access to `line` and brings the lines it asks for into `k`
/// (and the levels below it that miss them), marked prefetched.
fn prefetch(core: &mut Core, llc: &mut Cache, c: &mut Counters, k: usize, ip: u64, line: u64, trigger: bool) {
    let cands = core.pf[k].observe(ip, line, trigger);
    for &p in cands.as_slice() {
        if core.caches[k].contains(p) {
            continue;
        }
        c.level[k].pf_issued += 1;
        if k != L2 && !core.caches[L2].touch(p) {
            bring_to_llc(llc, c, p);
            let v = core.caches[L2].fill(p, false, false);
            evicted(core, llc, c, L2, v);
        } else if k == L2 {
            bring_to_llc(llc, c, p);
        }
        let v = core.caches[k].fill(p, false, true);
        evicted(core, llc, c, k, v);
    }
}

/// A prefetch passing through the LLC: refresh the line, or fill it from memory.
fn bring_to_llc(llc: &mut Cache, c: &mut Counters, line: u64) {
    if !llc.touch(line) {
        let v = llc.fill(line, false, false);
        llc_evicted(c, v);
    }
}

/// Runs the LLC's prefetcher.
fn llc_prefetch(llc: &mut Cache, pf: &mut Prefetcher, c: &mut Counters, ip: u64, line: u64, trigger: bool) {
    let cands = pf.observe(ip, line, trigger);
    for &p in cands.as_slice() {
        if llc.contains(p) {
            continue;
        }
        c.level[LLC].pf_issued += 1;
        let v = llc.fill(p, false, true);
        llc_evicted(c, v);
    }
}

/// The page walker's view of the caches: [`WalkObserver`] for one CPU.
#[derive(Debug)]
pub struct WalkCaches<'a> {
    /// The hierarchy.
    pub caches: &'a mut Hierarchy,
    /// The walking CPU.
    pub cpu: usize,
}

impl WalkObserver for WalkCaches<'_> {
    #[inline]
    fn step(&mut self, step: WalkStep) {
        self.caches.walk_read(self.cpu, step.level, step.entry_pa);
    }
    #[inline]
    fn wrote(&mut self, entry_pa: PhysAddr) {
        self.caches.walk_wrote(self.cpu, entry_pa);
    }
}

/// Accesses served at each level (`caches.served.data` etc.).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Served {
    /// By the L1 the access entered (L1D for data and walks, L1I for fetches).
    pub l1: u64,
    /// By the L2.
    pub l2: u64,
    /// By the last-level cache.
    pub llc: u64,
    /// By DRAM.
    pub memory: u64,
}

impl Served {
    /// All of them.
    pub const fn total(&self) -> u64 {
        self.l1 + self.l2 + self.llc + self.memory
    }
}

/// One prefetcher's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PrefetchReport {
    /// `next_line` or `ip_stride`.
    pub kind: &'static str,
    /// Prefetches issued (lines brought in that were not already cached here).
    pub issued: u64,
    /// Prefetched lines later hit by a demand access.
    pub useful: u64,
    /// Prefetched lines evicted before any demand access.
    pub unused_evicted: u64,
    /// `useful / issued`.
    pub accuracy: f64,
    /// `useful / (useful + misses)`: the share of this cache's would-be misses the prefetcher removed.
    pub coverage: f64,
}

/// One cache's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LevelReport {
    /// Demand accesses that hit.
    pub hits: u64,
    /// Demand accesses that missed.
    pub misses: u64,
    /// Lines replaced.
    pub evictions: u64,
    /// Of which dirty (written back to the level below).
    pub dirty_evictions: u64,
    /// Load-to-use latency.
    pub latency_ns: f64,
    /// Its prefetcher, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<PrefetchReport>,
}

/// PTE reads of one walk level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WalkLevel {
    /// The table level (4 = PML4, 1 = PT on x86-64).
    pub level: u8,
    /// Where its PTE reads were served.
    #[serde(flatten)]
    pub served: Served,
}

/// The walk levels of the paging mode, top level first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkLevels {
    rows: [WalkLevel; MAX_LEVELS],
    levels: u8,
}

impl WalkLevels {
    /// Rows, top level first.
    pub fn rows(&self) -> impl Iterator<Item = &WalkLevel> {
        self.rows[..usize::from(self.levels)].iter().rev()
    }
}

impl Serialize for WalkLevels {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.rows())
    }
}

/// `caches` in the stats object (docs/stats.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CacheReport {
    /// Where the page walker's reads enter: `l1d` or `l2`.
    pub walker_entry: &'static str,
    /// L1 data caches (all CPUs).
    pub l1d: LevelReport,
    /// L1 instruction caches (all CPUs).
    pub l1i: LevelReport,
    /// L2 caches (all CPUs).
    pub l2: LevelReport,
    /// The shared last-level cache.
    pub llc: LevelReport,
    /// DRAM latency (`cost.memory_ns`).
    pub memory_latency_ns: f64,
    /// Loads and stores by where they were served.
    pub data: Served,
    /// Instruction fetches by where they were served.
    pub fetch: Served,
    /// Page-walk PTE reads by where they were served.
    pub walk: Served,
    /// The same per walk level, top first.
    pub walk_levels: WalkLevels,
    /// Copies dropped from other CPUs' L1/L2 by stores (write-invalidate).
    pub coherence_invalidations: u64,
}
