//! The effective-access-time model (the textbook EAT: Silberschatz et al., *Operating System Concepts* 10th ed.,
//! §9.3 and §10.2.2). Every translation pays a TLB lookup, every page-walk reference and every data access pays a
//! memory reference, and every fault pays its service time:
//!
//! ```text
//! total = translations × tlb_hit_ns + walk_refs × memory_ns + accesses × memory_ns
//!       + minor × minor_fault_ns + (major − major_zswap) × major_fault_ns + major_zswap × zswap_load_ns
//! EAT   = total / accesses
//! ```

use crate::config::CostConfig;
use crate::stats::{CostReport, Stats};

/// Apply the cost model to counters.
#[allow(clippy::cast_precision_loss, reason = "counters far below 2^53 in practice; output is an estimate")]
pub fn estimate(cfg: &CostConfig, s: &Stats) -> CostReport {
    let tlb_ns = s.accesses.translations as f64 * cfg.tlb_hit_ns;
    let walk_ns = s.walks.memory_refs as f64 * cfg.memory_ns;
    let data_ns = s.accesses.total as f64 * cfg.memory_ns;
    let device = s.faults.major.saturating_sub(s.faults.major_zswap);
    let fault_ns = s.faults.minor as f64 * cfg.minor_fault_ns
        + device as f64 * cfg.major_fault_ns
        + s.faults.major_zswap as f64 * cfg.zswap_load_ns;
    let total_ns = tlb_ns + walk_ns + data_ns + fault_ns;
    let eat = if s.accesses.total == 0 { 0.0 } else { total_ns / s.accesses.total as f64 };
    CostReport { total_ns, effective_access_time_ns: eat, tlb_ns, walk_ns, data_ns, fault_ns }
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
}
