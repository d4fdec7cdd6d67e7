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

/// The hierarchy's rules written the naive way, one CPU, no prefetcher: non-inclusive fills on the way up,
/// write-allocate, dirty victims written into the level below (allocated there if absent), LLC victims to memory.
struct NaiveHierarchy {
    /// L1D, L1I, L2, LLC.
    c: [Naive; 4],
    /// Dirty evictions per cache.
    dirty: [u64; 4],
}

impl NaiveHierarchy {
    fn wb(&mut self, k: usize, line: u64) {
        // Write `line` back into cache k (2 = L2, 3 = LLC), or to memory past the LLC.
        if k == 4 {
            return;
        }
        let set = self.c[k].set(line);
        if let Some(e) = set.iter_mut().find(|(l, _)| *l == line) {
            e.1 = true; // marking dirty does not refresh recency
            return;
        }
        if let Some((v, true)) = self.c[k].fill(line, true) {
            self.dirty[k] += 1;
            self.wb(k + 1, v);
        }
    }
    fn fill(&mut self, k: usize, line: u64, dirty: bool) {
        if let Some((v, true)) = self.c[k].fill(line, dirty) {
            self.dirty[k] += 1;
            self.wb(if k < 2 { 2 } else { k + 1 }, v);
        }
    }
    /// Returns where the access was served: 0 = L1, 1 = L2, 2 = LLC, 3 = memory.
    fn demand(&mut self, line: u64, write: bool, first: usize) -> usize {
        if first < 2 && self.c[first].lookup(line, write) {
            return 0;
        }
        let at = if self.c[2].lookup(line, false) {
            1
        } else {
            let at = if self.c[3].lookup(line, false) { 2 } else { 3 };
            if at == 3 {
                self.fill(3, line, false);
            }
            self.fill(2, line, false);
            at
        };
        if first < 2 {
            self.fill(first, line, write);
        }
        at
    }
}

#[derive(Debug, Clone, Copy)]
enum HOp {
    Read(u64),
    Write(u64),
    Fetch(u64),
    Walk(u64),
}

fn hops() -> impl Strategy<Value = Vec<HOp>> {
    prop::collection::vec(
        prop_oneof![
            (0..96u64).prop_map(HOp::Read),
            (0..96u64).prop_map(HOp::Write),
            (0..96u64).prop_map(HOp::Fetch),
            (0..96u64).prop_map(HOp::Walk),
        ],
        1..500,
    )
}

proptest! {
    /// A tiny hierarchy (L1s of 4 lines, L2 of 8, LLC of 16, all 2-way LRU) against the naive one: the same level
    /// serves every access, and the same number of dirty lines leave each cache.
    #[test]
    fn hierarchy_matches_the_naive_model(ops in hops(), walker_l2 in any::<bool>()) {
        use vmsim::cache::{CacheConfig, CacheLevelConfig, Hierarchy, WalkerEntry};
        use vmsim::config::ByteSize;
        use vmsim::PhysAddr;
        let lvl = |lines: u64, cycles: u32| CacheLevelConfig {
            size: ByteSize(lines * LINE_BYTES), ways: 2, latency_cycles: cycles, ..vmsim::cache::DEFAULT_L1D
        };
        let cfg = CacheConfig {
            enabled: true,
            clock_ghz: 1.0,
            walker_entry: if walker_l2 { WalkerEntry::L2 } else { WalkerEntry::L1d },
            l1d: lvl(4, 1),
            l1i: lvl(4, 1),
            l2: lvl(8, 2),
            llc: lvl(16, 3),
        };
        let mut h = Hierarchy::new(&cfg, 1, 100.0, 4, 0).unwrap();
        let mut n = NaiveHierarchy {
            c: [
                Naive::new(2, 2, Replacement::Lru),
                Naive::new(2, 2, Replacement::Lru),
                Naive::new(4, 2, Replacement::Lru),
                Naive::new(8, 2, Replacement::Lru),
            ],
            dirty: [0; 4],
        };
        let ps = [1000u64, 2000, 3000, 100_000];
        let mut pending = 0;
        for op in ops {
            let pa = |line: u64| PhysAddr::try_new(line * LINE_BYTES).unwrap();
            match op {
                HOp::Read(l) | HOp::Write(l) | HOp::Fetch(l) => {
                    let (access, write, first) = match op {
                        HOp::Read(_) => (Access::Read, false, 0),
                        HOp::Write(_) => (Access::Write, true, 0),
                        _ => (Access::Fetch, false, 1),
                    };
                    let at = n.demand(l, write, first);
                    // An L1 hit costs the L1's latency; below, the level's.
                    let want = if at == 0 { ps[0] } else { ps[at] } + pending;
                    prop_assert_eq!(h.access(0, pa(l), access), want, "{:?}", op);
                    pending = 0;
                }
                HOp::Walk(l) => {
                    let at = n.demand(l, false, if walker_l2 { 2 } else { 0 });
                    pending += ps[at];
                    h.walk_read(0, vmsim::arch::Level(1), pa(l));
                }
            }
        }
        let r = h.report();
        let got = [r.l1d.dirty_evictions, r.l1i.dirty_evictions, r.l2.dirty_evictions, r.llc.dirty_evictions];
        prop_assert_eq!(got, n.dirty);
    }
}

fn prefetcher() -> impl Strategy<Value = vmsim::cache::PrefetcherKind> {
    use vmsim::cache::PrefetcherKind as P;
    prop_oneof![Just(P::None), Just(P::NextLine), Just(P::IpStride)]
}

proptest! {
    /// With prefetchers anywhere and two CPUs, the bookkeeping holds: every access is served exactly once, each L1
    /// sees exactly its demand accesses, and no prefetcher is credited with more useful or wasted lines than it
    /// issued.
    #[test]
    fn prefetch_counters_are_consistent(
        ops in prop::collection::vec((0..2usize, 0..4u8, 0..4096u64), 1..600),
        pf in prop::collection::vec(prefetcher(), 4),
        degree in 1u32..=4,
    ) {
        use vmsim::cache::{CacheConfig, CacheLevelConfig, Hierarchy};
        use vmsim::config::ByteSize;
        use vmsim::PhysAddr;
        let lvl = |lines: u64, p| CacheLevelConfig {
            size: ByteSize(lines * LINE_BYTES), ways: 4, latency_cycles: 1, prefetcher: p, prefetch_degree: degree,
            ..vmsim::cache::DEFAULT_L1D
        };
        let cfg = CacheConfig {
            enabled: true,
            l1d: lvl(16, pf[0]),
            l1i: lvl(16, pf[1]),
            l2: lvl(64, pf[2]),
            llc: lvl(256, pf[3]),
            ..CacheConfig::default()
        };
        let mut h = Hierarchy::new(&cfg, 2, 100.0, 4, 0).unwrap();
        let (mut data, mut fetch, mut walk) = (0u64, 0u64, 0u64);
        for (cpu, kind, line) in ops {
            let pa = PhysAddr::try_new(line * LINE_BYTES).unwrap();
            match kind {
                0 => { h.access(cpu, pa, Access::Read); data += 1; }
                1 => { h.access(cpu, pa, Access::Write); data += 1; }
                2 => { h.access(cpu, pa, Access::Fetch); fetch += 1; }
                _ => { h.walk_read(cpu, vmsim::arch::Level(1), pa); walk += 1; }
            }
        }
        let r = h.report();
        prop_assert_eq!((r.data.total(), r.fetch.total(), r.walk.total()), (data, fetch, walk));
        prop_assert_eq!(r.l1d.hits + r.l1d.misses, data + walk);
        prop_assert_eq!(r.l1i.hits + r.l1i.misses, fetch);
        prop_assert_eq!(r.data.l1 + r.walk.l1, r.l1d.hits);
        for l in [r.l1d, r.l1i, r.l2, r.llc] {
            if let Some(p) = l.prefetch {
                prop_assert!(p.useful + p.unused_evicted <= p.issued, "{:?}", p);
                prop_assert!((0.0..=1.0).contains(&p.accuracy) && (0.0..=1.0).contains(&p.coverage));
            }
        }
    }
}
