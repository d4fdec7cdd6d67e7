//! Simulated time. The clock is driven by the cost model (`[cost]`, LINUX-VM-SPEC §14; crate::cost): each
//! translation advances it by a TLB lookup plus one memory reference for the data, each page-table entry a walk
//! reads by one memory reference, each resolved fault by its service time. Kernel threads (kernel/kthread.rs)
//! run when the clock reaches their timers, or at the next scheduling point after something wakes them.
//!
//! Time is kept in integer picoseconds, so it is exact and the same on every host (no floating-point drift over
//! billions of accesses); 2^64 ps is about 213 days of simulated time.

use crate::config::CostConfig;
use serde::Serialize;

/// Picoseconds per nanosecond.
pub const PS_PER_NS: u64 = 1000;

/// The costs the clock charges, in picoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClockRates {
    /// A TLB lookup.
    pub tlb_ps: u64,
    /// One memory reference (data access or page-table entry read).
    pub mem_ps: u64,
    /// A minor fault's service time.
    pub minor_fault_ps: u64,
    /// A major fault's service time.
    pub major_fault_ps: u64,
    /// A major fault served from zswap (decompression, no device I/O).
    pub zswap_load_ps: u64,
}

fn ps(ns: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "validated non-negative, rounded")]
    let v = (ns.max(0.0) * PS_PER_NS as f64).round() as u64;
    v
}

impl ClockRates {
    /// The rates of a cost configuration.
    pub fn from_cost(c: &CostConfig) -> Self {
        Self {
            tlb_ps: ps(c.tlb_hit_ns),
            mem_ps: ps(c.memory_ns),
            minor_fault_ps: ps(c.minor_fault_ns),
            major_fault_ps: ps(c.major_fault_ns),
            zswap_load_ps: ps(c.zswap_load_ns),
        }
    }
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimClock {
    now_ps: u64,
    /// What each event costs.
    pub rates: ClockRates,
}

impl SimClock {
    /// A clock at time 0.
    pub fn new(rates: ClockRates) -> Self {
        Self { now_ps: 0, rates }
    }
    /// Now, in picoseconds since boot.
    #[inline]
    pub fn now_ps(&self) -> u64 {
        self.now_ps
    }
    /// Now, in nanoseconds since boot.
    pub fn now_ns(&self) -> u64 {
        self.now_ps / PS_PER_NS
    }
    /// Let `ps` picoseconds pass.
    #[inline]
    pub fn advance(&mut self, ps: u64) {
        self.now_ps = self.now_ps.saturating_add(ps);
    }
    /// A translation that hit a TLB, and its data reference.
    #[inline]
    pub fn tlb_hit(&mut self) {
        self.advance(self.rates.tlb_ps + self.rates.mem_ps);
    }
    /// A translation that walked, reading `refs` entries, and its data reference.
    #[inline]
    pub fn walked(&mut self, refs: u8) {
        self.advance(self.rates.tlb_ps + (u64::from(refs) + 1) * self.rates.mem_ps);
    }
    /// A translation whose walk references and data access went through the CPU caches, taking `ps` in all
    /// (crate::cache::Hierarchy::access), plus the TLB lookup unless an L1 TLB answered (`stlb`): an L1 TLB hit
    /// overlaps the L1 cache access (crate::cost).
    #[inline]
    pub fn cached(&mut self, ps: u64, stlb: bool) {
        self.advance(if stlb { self.rates.tlb_ps } else { 0 } + ps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_follow_the_cost_model() {
        let mut c = SimClock::new(ClockRates::from_cost(&CostConfig::default()));
        c.tlb_hit(); // 1 ns + 100 ns
        c.walked(4); // 1 ns + 5 × 100 ns
        assert_eq!(c.now_ns(), 101 + 501);
        c.advance(c.rates.major_fault_ps);
        assert_eq!(c.now_ns(), 602 + 8_000_000);
    }
}
