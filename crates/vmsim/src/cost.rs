//! The effective-access-time model (the textbook EAT: Silberschatz et al., *Operating System Concepts* 10th ed.,
//! §9.3 and §10.2.2). Every translation pays a TLB lookup, every page-walk reference and every data access pays a
//! memory reference, and every fault pays its service time:
//!
//! ```text
//! total = translations × tlb_hit_ns + walk_refs × memory_ns + accesses × memory_ns
//!       + minor × minor_fault_ns + (major − major_zswap) × major_fault_ns + major_zswap × zswap_load_ns
//! EAT   = total / accesses
//! ```
//!
//! With the CPU caches modelled (`cache.enabled`, crate::cache), a data access or walk reference pays the latency
//! of the level that served it instead of `memory_ns` (Hennessy & Patterson 6th ed., B.2: average memory access
//! time built level by level), and the report shows the pyramid: per level, what it served, its latency and its
//! share of the total:
//!
//! ```text
//! total = stlb_lookups × tlb_hit_ns + Σ_level served(level) × latency(level)
//!       + minor × minor_fault_ns + (major − major_zswap) × major_fault_ns + major_zswap × zswap_load_ns
//! ```
//!
//! where an L1 TLB hit costs nothing beyond the L1 cache latency (the L1 is virtually indexed and physically
//! tagged, so the L1 TLB lookup overlaps the cache access; the L1 load-to-use latency includes it).
//!
//! Register operands never reach the memory system, so a memory trace has no register row; zswap's row (major
//! faults served by decompressing from the pool) sits between DRAM and the swap device.

use crate::cache::hierarchy::{CacheReport, Served};
use crate::config::CostConfig;
use crate::stats::{CostReport, PyramidRow, Stats, PYRAMID_ROWS};

/// Time spent in major faults: device reads at `major_fault_ns`, zswap loads at `zswap_load_ns`. Returns
/// (device ns, zswap ns).
#[allow(clippy::cast_precision_loss, reason = "counters far below 2^53 in practice; output is an estimate")]
pub fn major_fault_ns(cfg: &CostConfig, s: &Stats) -> (f64, f64) {
    let device = s.faults.major.saturating_sub(s.faults.major_zswap);
    (device as f64 * cfg.major_fault_ns, s.faults.major_zswap as f64 * cfg.zswap_load_ns)
}

/// Apply the cost model to counters.
#[allow(clippy::cast_precision_loss, reason = "counters far below 2^53 in practice; output is an estimate")]
pub fn estimate(cfg: &CostConfig, s: &Stats) -> CostReport {
    if let Some(c) = &s.caches {
        return estimate_cached(cfg, s, c);
    }
    let tlb_ns = s.accesses.translations as f64 * cfg.tlb_hit_ns;
    let walk_ns = s.walks.memory_refs as f64 * cfg.memory_ns;
    let data_ns = s.accesses.total as f64 * cfg.memory_ns;
    let (device_ns, zswap_ns) = major_fault_ns(cfg, s);
    let fault_ns = s.faults.minor as f64 * cfg.minor_fault_ns + device_ns + zswap_ns;
    let total_ns = tlb_ns + walk_ns + data_ns + fault_ns;
    let eat = if s.accesses.total == 0 { 0.0 } else { total_ns / s.accesses.total as f64 };
    CostReport { total_ns, effective_access_time_ns: eat, tlb_ns, walk_ns, data_ns, fault_ns, pyramid: None }
}

/// The model built from where each access and walk reference was served.
#[allow(clippy::cast_precision_loss, reason = "counters far below 2^53 in practice; output is an estimate")]
fn estimate_cached(cfg: &CostConfig, s: &Stats, c: &CacheReport) -> CostReport {
    let f = |n: u64| n as f64;
    // A walk reference served by "L1" was served by the L1D (the walker's only L1).
    let (l1d, l1i, l2, llc, dram) =
        (c.l1d.latency_ns, c.l1i.latency_ns, c.l2.latency_ns, c.llc.latency_ns, c.memory_latency_ns);
    let time = |x: &Served, l1: f64| f(x.l1) * l1 + f(x.l2) * l2 + f(x.llc) * llc + f(x.memory) * dram;
    let data_ns = time(&c.data, l1d) + time(&c.fetch, l1i);
    let walk_ns = time(&c.walk, l1d);
    // An L1 TLB hit overlaps the L1 cache access (virtually indexed, physically tagged L1: Hennessy & Patterson
    // 6th ed., B.3 "Fast address translation"), and the L1 load-to-use latency already includes it; STLB lookups
    // (hits and the misses that start walks) pay `tlb_hit_ns`.
    let stlb_lookups = s.tlb.stlb.hits + s.tlb.stlb.misses;
    let tlb_ns = f(stlb_lookups) * cfg.tlb_hit_ns;
    let minor_ns = f(s.faults.minor) * cfg.minor_fault_ns;
    let device = s.faults.major.saturating_sub(s.faults.major_zswap);
    let (major_ns, zswap_ns) = major_fault_ns(cfg, s);
    let fault_ns = minor_ns + major_ns + zswap_ns;
    let total_ns = tlb_ns + walk_ns + data_ns + fault_ns;
    let eat = if s.accesses.total == 0 { 0.0 } else { total_ns / f(s.accesses.total) };
    let row = |level: &'static str, data: u64, walk: u64, time_ns: f64, latency: f64| {
        let served = data + walk;
        PyramidRow {
            level,
            served,
            data,
            walk,
            latency_ns: if served == 0 { latency } else { time_ns / f(served) },
            time_ns,
            share: if total_ns > 0.0 { time_ns / total_ns } else { 0.0 },
        }
    };
    let (d, i, w) = (&c.data, &c.fetch, &c.walk);
    let rows: [PyramidRow; PYRAMID_ROWS] = [
        row("tlb", stlb_lookups, 0, tlb_ns, cfg.tlb_hit_ns),
        row("l1", d.l1 + i.l1, w.l1, f(d.l1) * l1d + f(i.l1) * l1i + f(w.l1) * l1d, l1d),
        row("l2", d.l2 + i.l2, w.l2, f(d.l2 + i.l2 + w.l2) * l2, l2),
        row("llc", d.llc + i.llc, w.llc, f(d.llc + i.llc + w.llc) * llc, llc),
        row("dram", d.memory + i.memory, w.memory, f(d.memory + i.memory + w.memory) * dram, dram),
        row("zswap", s.faults.major_zswap, 0, zswap_ns, cfg.zswap_load_ns),
        row("swap", device, 0, major_ns, cfg.major_fault_ns),
        row("minor_fault", s.faults.minor, 0, minor_ns, cfg.minor_fault_ns),
    ];
    CostReport { total_ns, effective_access_time_ns: eat, tlb_ns, walk_ns, data_ns, fault_ns, pyramid: Some(rows) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Silberschatz §10.2.2: memory 200 ns, fault 8 ms, one fault per 1000 accesses → EAT ≈ 8.2 µs.
    #[test]
    fn textbook_eat() {
        let cfg = CostConfig {
            tlb_hit_ns: 0.0,
            memory_ns: 200.0,
            minor_fault_ns: 0.0,
            major_fault_ns: 8_000_000.0,
            zswap_load_ns: 0.0,
        };
        let mut s = Stats::default();
        s.accesses.total = 1000;
        s.faults.major = 1;
        let r = estimate(&cfg, &s);
        // (1 - p) × 200 + p × 8 ms with p = 1/1000, where the faulting access also pays its memory reference.
        assert!((r.effective_access_time_ns - 8200.0).abs() < 1e-9, "{}", r.effective_access_time_ns);
    }

    /// Hennessy & Patterson's AMAT by hand: 100 data accesses, 90 served by L1 (1 ns), 6 by L2 (4 ns), 3 by the LLC
    /// (10 ns), 1 by DRAM (100 ns): 90 + 24 + 30 + 100 = 244 ns, 2.44 ns per access; walk references add their own.
    #[test]
    fn pyramid_by_hand() {
        let cfg = CostConfig {
            tlb_hit_ns: 0.0,
            memory_ns: 100.0,
            minor_fault_ns: 0.0,
            major_fault_ns: 0.0,
            zswap_load_ns: 0.0,
        };
        let mut c = CacheReport::default();
        (c.l1d.latency_ns, c.l1i.latency_ns, c.l2.latency_ns, c.llc.latency_ns, c.memory_latency_ns) =
            (1.0, 1.0, 4.0, 10.0, 100.0);
        c.data = Served { l1: 90, l2: 6, llc: 3, memory: 1 };
        c.walk = Served { l1: 4, l2: 0, llc: 0, memory: 0 };
        let mut s = Stats::default();
        s.accesses.total = 100;
        s.caches = Some(c);
        let r = estimate(&cfg, &s);
        assert!((r.data_ns - 244.0).abs() < 1e-9, "{}", r.data_ns);
        assert!((r.walk_ns - 4.0).abs() < 1e-9);
        assert!((r.effective_access_time_ns - 2.48).abs() < 1e-9);
        let p = r.pyramid.unwrap();
        assert_eq!((p[1].level, p[1].served, p[1].walk), ("l1", 94, 4));
        assert!((p[4].share - 100.0 / 248.0).abs() < 1e-12);
        assert!((p.iter().map(|r| r.share).sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
