//! Property tests: the set-associative [`Tlb`], the [`TlbHierarchy`] and the paging-structure caches against naive
//! reference models (a `Vec` per set with explicit LRU timestamps), over random operation sequences (STYLE §3.13).
//!
//! Each strategy comes in a wide form (page numbers anywhere in 64 bits) and a narrow one (a few dozen page numbers,
//! so sets collide and LRU decides). Every inserted translation gets a fresh frame number, so a frame that was ever
//! evicted or invalidated must never come back from a lookup.

use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeSet;
use vmsim::addr::{Asid, Pfn, VirtAddr, Vpn};
use vmsim::arch::{Level, Perms};
use vmsim::mmu::psc::{Psc, PscConfig};
use vmsim::mmu::tlb::{Tlb, TlbConfig, TlbEntry, TlbGeometry, TlbHierarchy, TlbLevelStats, TlbLookup};

// ---------------------------------------------------------------------------------------------------------------
// Reference TLB: a Vec per set, an explicit timestamp per entry, linear scans everywhere.

#[derive(Debug, Clone)]
struct ModelTlb {
    ways: usize,
    sets: Vec<Vec<(TlbEntry, u64)>>,
    clock: u64,
}

fn global(e: &TlbEntry) -> bool {
    e.perms.contains(Perms::GLOBAL)
}

fn matches(e: &TlbEntry, asid: Asid, vpn: Vpn) -> bool {
    e.vpn == vpn && (e.asid == asid || global(e))
}

impl ModelTlb {
    fn new(g: TlbGeometry) -> Self {
        let sets = (g.entries / g.ways) as usize;
        Self { ways: g.ways as usize, sets: vec![Vec::new(); sets], clock: 0 }
    }

    fn set(&mut self, vpn: Vpn) -> &mut Vec<(TlbEntry, u64)> {
        let n = self.sets.len() as u64;
        &mut self.sets[usize::try_from(vpn.raw() % n).unwrap()]
    }

    fn lookup(&mut self, asid: Asid, vpn: Vpn) -> Option<TlbEntry> {
        self.clock += 1;
        let now = self.clock;
        let set = self.set(vpn);
        let hits: Vec<usize> = (0..set.len()).filter(|&i| matches(&set[i].0, asid, vpn)).collect();
        assert!(hits.len() <= 1, "model holds two translations for {asid:?} {vpn:?}");
        let &i = hits.first()?;
        set[i].1 = now;
        Some(set[i].0)
    }

    fn insert(&mut self, e: TlbEntry) -> Option<TlbEntry> {
        self.clock += 1;
        let now = self.clock;
        let ways = self.ways;
        let set = self.set(e.vpn);
        let conflicts = |x: &TlbEntry| x.vpn == e.vpn && (x.asid == e.asid || global(x) || global(&e));
        let replaced = set.iter().any(|(x, _)| conflicts(x));
        set.retain(|(x, _)| !conflicts(x));
        let mut evicted = None;
        if !replaced && set.len() == ways {
            let lru = (0..set.len()).min_by_key(|&i| set[i].1).unwrap();
            evicted = Some(set.remove(lru).0);
        }
        set.push((e, now));
        evicted
    }

    fn update(&mut self, asid: Asid, vpn: Vpn, f: impl FnOnce(&mut TlbEntry)) -> bool {
        match self.set(vpn).iter_mut().find(|(e, _)| matches(e, asid, vpn)) {
            Some((e, _)) => {
                f(e);
                true
            }
            None => false,
        }
    }

    fn remove_where(&mut self, mut dead: impl FnMut(&TlbEntry) -> bool) {
        for set in &mut self.sets {
            set.retain(|(e, _)| !dead(e));
        }
    }

    fn invalidate_page(&mut self, asid: Asid, vpn: Vpn) {
        self.remove_where(|e| matches(e, asid, vpn));
    }
    fn invalidate_asid(&mut self, asid: Asid) {
        self.remove_where(|e| e.asid == asid && !global(e));
    }
    fn invalidate_all_non_global(&mut self) {
        self.remove_where(|e| !global(e));
    }
    fn invalidate_all(&mut self) {
        self.remove_where(|_| true);
    }

    fn sorted_entries(&self) -> Vec<(u64, u16, u64, u8)> {
        let mut v: Vec<_> = self.sets.iter().flatten().map(|(e, _)| key(e)).collect();
        v.sort_unstable();
        v
    }
}

fn key(e: &TlbEntry) -> (u64, u16, u64, u8) {
    (e.vpn.raw(), e.asid.0, e.pfn.raw(), e.perms.bits())
}

fn sorted_entries(t: &Tlb) -> Vec<(u64, u16, u64, u8)> {
    let mut v: Vec<_> = t.entries().map(|e| key(&e)).collect();
    v.sort_unstable();
    v
}

// ---------------------------------------------------------------------------------------------------------------
// Operations.

#[derive(Debug, Clone)]
enum Op {
    Lookup { asid: u16, vpn: u64, fetch: bool },
    Insert { asid: u16, vpn: u64, global: bool, dirty: bool, fetch: bool },
    SetDirty { asid: u16, vpn: u64 },
    InvalidatePage { asid: u16, vpn: u64 },
    InvalidateAsid { asid: u16 },
    InvalidateAllNonGlobal,
    InvalidateAll,
}

/// Operations over the given page-number strategy; lookups and inserts dominate, as in a replay.
fn op(vpns: impl Strategy<Value = u64> + Clone + 'static) -> impl Strategy<Value = Op> {
    let asid = 0..4u16;
    prop_oneof![
        8 => (asid.clone(), vpns.clone(), any::<bool>()).prop_map(|(asid, vpn, fetch)| Op::Lookup { asid, vpn, fetch }),
        6 => (asid.clone(), vpns.clone(), prop::bool::weighted(0.15), any::<bool>(), any::<bool>())
            .prop_map(|(asid, vpn, global, dirty, fetch)| Op::Insert { asid, vpn, global, dirty, fetch }),
        1 => (asid.clone(), vpns.clone()).prop_map(|(asid, vpn)| Op::SetDirty { asid, vpn }),
        2 => (asid.clone(), vpns).prop_map(|(asid, vpn)| Op::InvalidatePage { asid, vpn }),
        1 => asid.prop_map(|asid| Op::InvalidateAsid { asid }),
        1 => Just(Op::InvalidateAllNonGlobal),
        1 => Just(Op::InvalidateAll),
    ]
}

/// Wide: page numbers anywhere (including above 2^52, which `Vpn::new` accepts) or in a 48-bit space.
fn wide() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![any::<u64>(), 0..(1u64 << 36), Just(u64::MAX), Just(0)]
}

/// Narrow: 40 page numbers, so a TLB with 1–16 sets sees constant conflicts.
fn narrow() -> impl Strategy<Value = u64> + Clone {
    0..40u64
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![1 => vec(op(wide()), 1..400), 3 => vec(op(narrow()), 1..400)]
}

/// Geometries from direct-mapped to fully associative.
fn geometry() -> impl Strategy<Value = TlbGeometry> {
    prop::sample::select(vec![(1, 1), (4, 1), (8, 2), (16, 4), (12, 12), (48, 12), (64, 4), (32, 32)])
        .prop_map(|(entries, ways)| TlbGeometry { entries, ways })
}

fn make_entry(asid: u16, vpn: u64, global: bool, dirty: bool, pfn: u64) -> TlbEntry {
    let mut perms = Perms::READ | Perms::USER;
    perms.set(Perms::GLOBAL, global);
    perms.set(Perms::DIRTY, dirty);
    TlbEntry { vpn: Vpn::new(vpn), pfn: Pfn::try_new(pfn).unwrap(), perms, asid: Asid(asid) }
}

/// Frames of translations that were dropped (evicted, replaced or invalidated). Frames are never reused, so none
/// may be returned again.
#[derive(Default)]
struct Graveyard(BTreeSet<u64>);

impl Graveyard {
    fn bury(&mut self, before: &[(u64, u16, u64, u8)], after: &[(u64, u16, u64, u8)]) {
        let live: BTreeSet<u64> = after.iter().map(|k| k.2).collect();
        self.0.extend(before.iter().map(|k| k.2).filter(|p| !live.contains(p)));
    }
    fn check(&self, e: Option<TlbEntry>) -> Result<(), TestCaseError> {
        if let Some(e) = e {
            prop_assert!(!self.0.contains(&e.pfn.raw()), "lookup returned a dropped translation {e:?}");
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Single TLB.

fn run_tlb(g: TlbGeometry, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut tlb = Tlb::new(g).unwrap();
    let mut model = ModelTlb::new(g);
    let mut dead = Graveyard::default();
    let mut next_pfn = 1;
    for op in ops {
        let before = sorted_entries(&tlb);
        match op {
            Op::Lookup { asid, vpn, .. } => {
                let got = tlb.lookup(Asid(asid), Vpn::new(vpn));
                prop_assert_eq!(got, model.lookup(Asid(asid), Vpn::new(vpn)));
                dead.check(got)?;
            }
            Op::Insert { asid, vpn, global, dirty, .. } => {
                let e = make_entry(asid, vpn, global, dirty, next_pfn);
                next_pfn += 1;
                prop_assert_eq!(tlb.insert(e), model.insert(e));
                prop_assert_eq!(tlb.peek(e.asid, e.vpn), Some(e));
            }
            Op::SetDirty { asid, vpn } => {
                let f = |e: &mut TlbEntry| e.perms.toggle(Perms::DIRTY);
                prop_assert_eq!(tlb.update(Asid(asid), Vpn::new(vpn), f), model.update(Asid(asid), Vpn::new(vpn), f));
            }
            Op::InvalidatePage { asid, vpn } => {
                tlb.invalidate_page(Asid(asid), Vpn::new(vpn));
                model.invalidate_page(Asid(asid), Vpn::new(vpn));
                prop_assert_eq!(tlb.peek(Asid(asid), Vpn::new(vpn)), None);
                // No global entry for the page survives, whatever ASID looks.
                for other in 0..4 {
                    prop_assert!(tlb.peek(Asid(other), Vpn::new(vpn)).is_none_or(|e| !e.perms.contains(Perms::GLOBAL)));
                }
            }
            Op::InvalidateAsid { asid } => {
                tlb.invalidate_asid(Asid(asid));
                model.invalidate_asid(Asid(asid));
                prop_assert!(tlb.entries().all(|e| e.asid != Asid(asid) || e.perms.contains(Perms::GLOBAL)));
            }
            Op::InvalidateAllNonGlobal => {
                tlb.invalidate_all_non_global();
                model.invalidate_all_non_global();
                prop_assert!(tlb.entries().all(|e| e.perms.contains(Perms::GLOBAL)));
            }
            Op::InvalidateAll => {
                tlb.invalidate_all();
                model.invalidate_all();
                prop_assert_eq!(tlb.occupancy(), 0);
            }
        }
        let after = sorted_entries(&tlb);
        prop_assert_eq!(&after, &model.sorted_entries());
        prop_assert_eq!(tlb.occupancy(), after.len());
        prop_assert!(after.len() <= g.entries as usize);
        dead.bury(&before, &after);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn tlb_agrees_with_naive_lru_model(g in geometry(), ops in ops()) {
        run_tlb(g, ops)?;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Hierarchy: two model L1s in front of a model STLB.

struct ModelHierarchy {
    l1d: ModelTlb,
    l1i: ModelTlb,
    stlb: ModelTlb,
    stats: [TlbLevelStats; 3],
}

impl ModelHierarchy {
    fn lookup(&mut self, asid: Asid, vpn: Vpn, fetch: bool) -> TlbLookup {
        let (l1, s) = if fetch { (&mut self.l1i, 1) } else { (&mut self.l1d, 0) };
        if let Some(e) = l1.lookup(asid, vpn) {
            self.stats[s].hits += 1;
            return TlbLookup::L1(e);
        }
        self.stats[s].misses += 1;
        match self.stlb.lookup(asid, vpn) {
            Some(e) => {
                self.stats[2].hits += 1;
                l1.insert(e);
                TlbLookup::Stlb(e)
            }
            None => {
                self.stats[2].misses += 1;
                TlbLookup::Miss
            }
        }
    }

    fn all(&mut self) -> [&mut ModelTlb; 3] {
        [&mut self.l1d, &mut self.l1i, &mut self.stlb]
    }
}

fn run_hierarchy(cfg: TlbConfig, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut h = TlbHierarchy::new(&cfg).unwrap();
    let mut m = ModelHierarchy {
        l1d: ModelTlb::new(cfg.l1d),
        l1i: ModelTlb::new(cfg.l1i),
        stlb: ModelTlb::new(cfg.stlb),
        stats: Default::default(),
    };
    let mut dead = Graveyard::default();
    let mut next_pfn = 1;
    let contents = |h: &TlbHierarchy| {
        let mut v = sorted_entries(h.l1d());
        v.extend(sorted_entries(h.l1i()));
        v.extend(sorted_entries(h.stlb()));
        v
    };
    for op in ops {
        let before = contents(&h);
        match op {
            Op::Lookup { asid, vpn, fetch } => {
                let got = h.lookup(Asid(asid), Vpn::new(vpn), fetch);
                prop_assert_eq!(got, m.lookup(Asid(asid), Vpn::new(vpn), fetch));
                dead.check(got.entry())?;
            }
            Op::Insert { asid, vpn, global, dirty, fetch } => {
                let e = make_entry(asid, vpn, global, dirty, next_pfn);
                next_pfn += 1;
                h.fill(e, fetch);
                m.stlb.insert(e);
                if fetch {
                    m.l1i.insert(e)
                } else {
                    m.l1d.insert(e)
                };
            }
            Op::SetDirty { asid, vpn } => {
                let f = |e: &mut TlbEntry| e.perms.toggle(Perms::DIRTY);
                let found = m.all().map(|t| t.update(Asid(asid), Vpn::new(vpn), f)).iter().any(|&b| b);
                prop_assert_eq!(h.update(Asid(asid), Vpn::new(vpn), f), found);
            }
            Op::InvalidatePage { asid, vpn } => {
                h.invalidate_page(Asid(asid), Vpn::new(vpn));
                for t in m.all() {
                    t.invalidate_page(Asid(asid), Vpn::new(vpn));
                }
                prop_assert_eq!(h.lookup(Asid(asid), Vpn::new(vpn), false), TlbLookup::Miss);
                prop_assert_eq!(m.lookup(Asid(asid), Vpn::new(vpn), false), TlbLookup::Miss);
            }
            Op::InvalidateAsid { asid } => {
                h.invalidate_asid(Asid(asid));
                for t in m.all() {
                    t.invalidate_asid(Asid(asid));
                }
            }
            Op::InvalidateAllNonGlobal => {
                h.invalidate_all_non_global();
                for t in m.all() {
                    t.invalidate_all_non_global();
                }
            }
            Op::InvalidateAll => {
                h.invalidate_all();
                for t in m.all() {
                    t.invalidate_all();
                }
            }
        }
        prop_assert_eq!(sorted_entries(h.l1d()), m.l1d.sorted_entries());
        prop_assert_eq!(sorted_entries(h.l1i()), m.l1i.sorted_entries());
        prop_assert_eq!(sorted_entries(h.stlb()), m.stlb.sorted_entries());
        let s = h.stats();
        prop_assert_eq!([s.l1d, s.l1i, s.stlb], m.stats);
        dead.bury(&before, &contents(&h));
    }
    Ok(())
}

fn hierarchy_config() -> impl Strategy<Value = TlbConfig> {
    (geometry(), geometry(), geometry()).prop_map(|(l1d, l1i, stlb)| TlbConfig {
        l1d,
        l1i,
        stlb,
        ..TlbConfig::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn hierarchy_agrees_with_naive_model(cfg in hierarchy_config(), ops in ops()) {
        run_hierarchy(cfg, ops)?;
    }

    #[test]
    fn default_hierarchy_agrees_with_naive_model(ops in vec(op(narrow()), 1..400)) {
        run_hierarchy(TlbConfig::default(), ops)?;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Paging-structure caches: a model Vec per entry level, fully associative, LRU by timestamp.

const LEVELS: u8 = 4;

#[derive(Debug, Clone)]
enum PscOp {
    Lookup { asid: u16, va: u64 },
    Insert { asid: u16, va: u64, level: u8 },
    InvalidatePage { asid: u16, va: u64 },
    InvalidateAsid { asid: u16 },
    InvalidateAll,
}

/// One cached entry: (asid, region, table pfn, LRU stamp).
type PscSlot = (u16, u64, u64, u64);

struct ModelPsc {
    /// Per entry level 2, 3, 4: capacity and slots.
    levels: Vec<(usize, Vec<PscSlot>)>,
    clock: u64,
}

fn region(va: u64, entry_level: u8) -> u64 {
    va >> (12 + 9 * u32::from(entry_level - 1))
}

impl ModelPsc {
    fn lookup(&mut self, asid: u16, va: u64) -> Option<(Level, Pfn)> {
        self.clock += 1;
        for entry_level in 2..=LEVELS {
            let (_, cache) = &mut self.levels[usize::from(entry_level - 2)];
            if let Some(slot) = cache.iter_mut().find(|s| s.0 == asid && s.1 == region(va, entry_level)) {
                slot.3 = self.clock;
                return Some((Level(entry_level - 1), Pfn::try_new(slot.2).unwrap()));
            }
        }
        None
    }

    fn insert(&mut self, asid: u16, va: u64, level_of_table: u8, pfn: u64) {
        self.clock += 1;
        let entry_level = level_of_table + 1;
        if !(2..=LEVELS).contains(&entry_level) {
            return;
        }
        let (cap, cache) = &mut self.levels[usize::from(entry_level - 2)];
        let r = region(va, entry_level);
        cache.retain(|s| !(s.0 == asid && s.1 == r));
        if cache.len() == *cap {
            if *cap == 0 {
                return;
            }
            let lru = (0..cache.len()).min_by_key(|&i| cache[i].3).unwrap();
            cache.remove(lru);
        }
        cache.push((asid, r, pfn, self.clock));
    }

    fn drop_asid(&mut self, asid: Option<u16>) {
        for (_, cache) in &mut self.levels {
            cache.retain(|s| asid.is_some_and(|a| a != s.0));
        }
    }
}

fn psc_op(vas: impl Strategy<Value = u64> + Clone + 'static) -> impl Strategy<Value = PscOp> {
    let asid = 0..3u16;
    prop_oneof![
        6 => (asid.clone(), vas.clone()).prop_map(|(asid, va)| PscOp::Lookup { asid, va }),
        6 => (asid.clone(), vas.clone(), 0..=LEVELS).prop_map(|(asid, va, level)| PscOp::Insert { asid, va, level }),
        1 => (asid.clone(), vas).prop_map(|(asid, va)| PscOp::InvalidatePage { asid, va }),
        1 => asid.prop_map(|asid| PscOp::InvalidateAsid { asid }),
        1 => Just(PscOp::InvalidateAll),
    ]
}

/// Narrow addresses: combinations of 3 PML4 slots, 3 PDPT slots, 3 PD slots and 2 pages, so regions share tables.
fn narrow_va() -> impl Strategy<Value = u64> + Clone {
    (0..3u64, 0..3u64, 0..3u64, 0..2u64).prop_map(|(a, b, c, d)| (a << 39) | (b << 30) | (c << 21) | (d << 12))
}

fn psc_config() -> impl Strategy<Value = PscConfig> {
    (0..6u32, 0..6u32, 0..8u32).prop_map(|(pml4e, pdpte, pde)| PscConfig { enabled: true, pml4e, pdpte, pde })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn psc_agrees_with_naive_model(
        cfg in psc_config(),
        ops in prop_oneof![vec(psc_op(narrow_va()), 1..300), vec(psc_op(0..(1u64 << 48)), 1..300)],
    ) {
        let mut psc = Psc::new(&cfg).unwrap();
        let caps = [cfg.pde, cfg.pdpte, cfg.pml4e].map(|c| c as usize);
        let mut model = ModelPsc { levels: caps.iter().map(|&c| (c, Vec::new())).collect(), clock: 0 };
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                PscOp::Lookup { asid, va } => {
                    prop_assert_eq!(psc.lookup(Asid(asid), VirtAddr::new(va), LEVELS), model.lookup(asid, va));
                }
                PscOp::Insert { asid, va, level } => {
                    let pfn = n as u64 + 1;
                    psc.insert(Asid(asid), VirtAddr::new(va), Level(level), Pfn::try_new(pfn).unwrap());
                    model.insert(asid, va, level, pfn);
                }
                PscOp::InvalidatePage { asid, va } => {
                    psc.invalidate_page(Asid(asid), VirtAddr::new(va));
                    model.drop_asid(Some(asid));
                    prop_assert_eq!(psc.lookup(Asid(asid), VirtAddr::new(va), LEVELS), None);
                }
                PscOp::InvalidateAsid { asid } => {
                    psc.invalidate_asid(Asid(asid));
                    model.drop_asid(Some(asid));
                }
                PscOp::InvalidateAll => {
                    psc.invalidate_all();
                    model.drop_asid(None);
                }
            }
            prop_assert_eq!(psc.occupancy(), model.levels.iter().map(|(_, c)| c.len()).sum::<usize>());
        }
    }
}
