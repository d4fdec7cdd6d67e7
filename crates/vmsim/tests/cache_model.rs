//! The CPU caches (issue 16) against naive models, and small cases computed by hand.
#![allow(clippy::cast_possible_truncation, reason = "test sizes are small")]

use proptest::prelude::*;
use std::collections::VecDeque;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::cache::array::{Cache, Hit, Replacement, Victim, LINE_BYTES};
use vmsim::cache::hierarchy::Served;
use vmsim::config::SimConfig;
use vmsim::mmu::Access;
use vmsim::sim::Machine;

/// A cache as a textbook draws it: per set, the lines in recency (LRU) or arrival (FIFO) order, oldest first.
struct Naive {
    sets: Vec<VecDeque<(u64, bool)>>,
    ways: usize,
    policy: Replacement,
}

impl Naive {
    fn new(sets: usize, ways: usize, policy: Replacement) -> Self {
        Self { sets: vec![VecDeque::new(); sets], ways, policy }
    }
    fn set(&mut self, line: u64) -> &mut VecDeque<(u64, bool)> {
        let n = self.sets.len() as u64;
        &mut self.sets[(line % n) as usize]
    }
    /// Hit or miss; on a hit, a write dirties the line and LRU moves it to the back.
    fn lookup(&mut self, line: u64, write: bool) -> bool {
        let lru = self.policy == Replacement::Lru;
        let s = self.set(line);
        let Some(i) = s.iter().position(|&(l, _)| l == line) else { return false };
        let (l, d) = s[i];
        if lru {
            s.remove(i);
            s.push_back((l, d || write));
        } else {
            s[i].1 = d || write;
        }
        true
    }
    /// Fill after a miss: the oldest line goes when the set is full.
    fn fill(&mut self, line: u64, dirty: bool) -> Option<(u64, bool)> {
        let ways = self.ways;
        let s = self.set(line);
        let victim = if s.len() == ways { s.pop_front() } else { None };
        s.push_back((line, dirty));
        victim
    }
    fn invalidate(&mut self, line: u64) -> Option<bool> {
        let s = self.set(line);
        let i = s.iter().position(|&(l, _)| l == line)?;
        s.remove(i).map(|(_, d)| d)
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A demand access (filled on a miss), a store if `write`.
    Access { line: u64, write: bool },
    /// Another CPU's store drops the line.
    Invalidate(u64),
}

fn ops(lines: u64) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            8 => (0..lines, any::<bool>()).prop_map(|(line, write)| Op::Access { line, write }),
            1 => (0..lines).prop_map(Op::Invalidate),
        ],
        1..400,
    )
}

fn check(sets: u64, ways: u32, policy: Replacement, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut c = Cache::new(sets * u64::from(ways) * LINE_BYTES, ways, policy, 0).unwrap();
    let mut n = Naive::new(sets as usize, ways as usize, policy);
    for op in ops {
        match *op {
            Op::Access { line, write } => {
                let hit = c.lookup(line, write) != Hit::Miss;
                prop_assert_eq!(hit, n.lookup(line, write), "line {}", line);
                if !hit {
                    let got = c.fill(line, write, false).map(|Victim { line, dirty, .. }| (line, dirty));
                    prop_assert_eq!(got, n.fill(line, write), "victim of line {}", line);
                }
            }
            Op::Invalidate(line) => prop_assert_eq!(c.invalidate(line), n.invalidate(line)),
        }
    }
    Ok(())
}

proptest! {
    /// Wide: lines spread over many sets of an 8-way cache (the L1 shape).
    #[test]
    fn lru_cache_matches_the_naive_model_wide(ops in ops(4096)) {
        check(64, 8, Replacement::Lru, &ops)?;
    }

    /// Narrow: few lines into 2 sets, so sets fill and evict all the time.
    #[test]
    fn lru_cache_matches_the_naive_model_narrow(ops in ops(24), ways in 1u32..=4) {
        check(2, ways, Replacement::Lru, &ops)?;
    }

    #[test]
    fn fifo_cache_matches_the_naive_model(ops in ops(24), ways in 1u32..=4) {
        check(2, ways, Replacement::Fifo, &ops)?;
    }
}

/// A machine with 1-entry TLBs and no paging-structure caches, so every other access walks all 4 levels.
fn tiny_tlb_machine(extra: &[&str]) -> Machine<X86FourLevel> {
    let mut sets: Vec<String> = [
        "cache.enabled=true",
        "tlb.l1d.entries=1",
        "tlb.l1d.ways=1",
        "tlb.stlb.entries=1",
        "tlb.stlb.ways=1",
        "tlb.psc.enabled=false",
        "machine.memory=16MiB",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    sets.extend(extra.iter().map(|s| s.to_string()));
    Machine::new(&SimConfig::from_sets(&sets).unwrap()).unwrap()
}

fn walk_served(m: &Machine<X86FourLevel>) -> (Served, Vec<Served>) {
    let c = m.report().stats.caches.unwrap();
    (c.walk, c.walk_levels.rows().map(|w| w.served).collect())
}

/// A walk whose PTEs are all cached: pages A and B share every table and their PTEs share a 64-byte line, so
/// after A and B have been touched (faulting in their tables), A again misses the 1-entry TLBs and walks 4 levels,
/// and all 4 PTE reads hit the L1D: 4 × 0.8 ns.
#[test]
fn a_walk_whose_ptes_are_all_cached_hits_l1_four_times() {
    let mut m = tiny_tlb_machine(&[]);
    let pid = m.spawn_trace_process(true).unwrap();
    let (a, b) = (0x40_0000u64, 0x40_1000u64);
    assert!(m.access(pid, a, 8, Access::Write));
    assert!(m.access(pid, b, 8, Access::Write));
    let (before, levels_before) = walk_served(&m);
    let t0 = m.kernel.clock.now_ps();
    assert!(m.access(pid, a, 8, Access::Read));
    let (after, levels_after) = walk_served(&m);
    assert_eq!(
        (after.l1 - before.l1, after.l2 - before.l2, after.llc - before.llc, after.memory - before.memory),
        (4, 0, 0, 0)
    );
    for (x, y) in levels_after.iter().zip(&levels_before) {
        assert_eq!(x.l1 - y.l1, 1, "one L1 hit per level");
    }
    // The clock: an STLB lookup (1 ns) + 4 PTE reads and the data read, each an L1D hit (4 cycles at 5 GHz).
    assert_eq!(m.kernel.clock.now_ps() - t0, 1000 + 5 * 800);
}

/// The same walk with the walker entering at L2: its reads never hit L1, and each costs the L2 latency.
#[test]
fn a_walker_entering_at_l2_is_served_by_l2() {
    let mut m = tiny_tlb_machine(&["cache.walker_entry=\"l2\""]);
    let pid = m.spawn_trace_process(true).unwrap();
    let (a, b) = (0x40_0000u64, 0x40_1000u64);
    assert!(m.access(pid, a, 8, Access::Write));
    assert!(m.access(pid, b, 8, Access::Write));
    let (before, _) = walk_served(&m);
    assert!(m.access(pid, a, 8, Access::Read));
    let (after, _) = walk_served(&m);
    assert_eq!((after.l1, after.l2 - before.l2, after.memory - before.memory), (0, 4, 0));
}

/// Every walk reference is served somewhere, and the report's walk references are the walker's.
#[test]
fn every_walk_reference_is_served_once() {
    let mut m = tiny_tlb_machine(&[]);
    let pid = m.spawn_trace_process(true).unwrap();
    for i in 0..2000u64 {
        let addr = 0x1000_0000 + (i * 7919 % 512) * 4096 + (i % 64) * 8;
        assert!(m.access(pid, addr, 8, if i % 3 == 0 { Access::Write } else { Access::Read }));
    }
    let r = m.report().stats;
    let c = r.caches.unwrap();
    assert_eq!(c.walk.total(), r.walks.memory_refs);
    assert_eq!(c.walk_levels.rows().map(|w| w.served.total()).sum::<u64>(), r.walks.memory_refs);
    assert_eq!(c.data.total(), r.accesses.total);
    assert_eq!(c.l1d.hits + c.l1d.misses, c.data.total() + c.walk.total());
}

/// A store on one CPU drops the line from the other CPU's caches (write-invalidate).
#[test]
fn stores_invalidate_other_cpus_copies() {
    use vmsim::cache::{CacheConfig, Hierarchy};
    use vmsim::PhysAddr;
    let cfg = CacheConfig { enabled: true, ..CacheConfig::default() };
    let mut h = Hierarchy::new(&cfg, 2, 100.0, 4, 0).unwrap();
    let pa = PhysAddr::try_new(0x12340).unwrap();
    h.access(0, pa, Access::Read);
    h.access(1, pa, Access::Read);
    assert!(h.in_l1d(0, pa) && h.in_l1d(1, pa));
    h.access(1, pa, Access::Write);
    assert!(!h.in_l1d(0, pa) && h.in_l1d(1, pa));
    let r = h.report();
    assert_eq!(r.coherence_invalidations, 2, "CPU 0's L1D and L2 copies");
    // CPU 0 reads again: its L1 and L2 lost the line; the LLC still has it.
    h.access(0, pa, Access::Read);
    assert_eq!(h.report().data, Served { l1: 1, l2: 0, llc: 2, memory: 1 });
}

/// Write-back, write-allocate: a store miss fills the L1 dirty; evicting it writes it into L2, not memory.
#[test]
fn dirty_l1_evictions_are_written_back_to_l2() {
    use vmsim::cache::{CacheConfig, CacheLevelConfig, Hierarchy};
    use vmsim::config::ByteSize;
    use vmsim::PhysAddr;
    // A 1-line direct-mapped L1D over the default L2 and LLC.
    let l1d = CacheLevelConfig { size: ByteSize(64), ways: 1, ..vmsim::cache::DEFAULT_L1D };
    let cfg = CacheConfig { enabled: true, l1d, ..CacheConfig::default() };
    let mut h = Hierarchy::new(&cfg, 1, 100.0, 4, 0).unwrap();
    let (x, y) = (PhysAddr::try_new(0x1000).unwrap(), PhysAddr::try_new(0x2000).unwrap());
    h.access(0, x, Access::Write); // miss everywhere: from memory, L1 dirty
    h.access(0, y, Access::Read); // evicts dirty x into L2
    h.access(0, x, Access::Read); // L2 hit
    let r = h.report();
    assert_eq!(r.l1d.dirty_evictions, 1);
    assert_eq!(r.data, Served { l1: 0, l2: 1, llc: 0, memory: 2 });
    assert_eq!(r.llc.dirty_evictions, 0);
}
