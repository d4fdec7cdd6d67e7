//! Property tests: the O(1) policies against naive O(n) references, the policy contract for every policy, and the
//! LRU miss-ratio curve against replay. Each trace strategy comes wide (few repeats) and narrow (many collisions).

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;
use vmsim::addr::Pfn;
use vmsim::reclaim::clock::Clock;
use vmsim::reclaim::fifo::Fifo;
use vmsim::reclaim::lru::Lru;
use vmsim::reclaim::mrc::lru_mrc;
use vmsim::reclaim::opt::Opt;
use vmsim::reclaim::replay::{replay, replay_kind, Access, Replay};
use vmsim::reclaim::{NextUse, Policy, PolicyKind, Referenced};

/// Narrow: 8 pages, so frames collide; wide: 1000 pages, mostly cold misses.
fn trace() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![vec(0..8u64, 0..300), vec(0..1000u64, 0..300), vec(0..40u64, 0..300)]
}

/// Naive replay: `choose(resident pages, position)` picks the index of the victim in the `Vec`.
fn naive(
    refs: &[u64],
    frames: usize,
    mut on_hit: impl FnMut(&mut Vec<u64>, usize),
    choose: impl Fn(&[u64], usize) -> usize,
) -> u64 {
    let mut resident: Vec<u64> = Vec::new();
    let mut misses = 0;
    for (t, &p) in refs.iter().enumerate() {
        if let Some(i) = resident.iter().position(|&q| q == p) {
            on_hit(&mut resident, i);
            continue;
        }
        misses += 1;
        if frames == 0 {
            continue;
        }
        if resident.len() == frames {
            let v = choose(&resident, t);
            resident.remove(v);
        }
        resident.push(p); // newest at the back
    }
    misses
}

/// FIFO: a queue in load order, hits change nothing.
fn naive_fifo(refs: &[u64], frames: usize) -> u64 {
    naive(refs, frames, |_, _| {}, |_, _| 0)
}

/// LRU: hits move to the back, the front is least recent.
fn naive_lru(refs: &[u64], frames: usize) -> u64 {
    naive(
        refs,
        frames,
        |r, i| {
            let p = r.remove(i);
            r.push(p);
        },
        |_, _| 0,
    )
}

/// OPT: scan the rest of the trace for each resident page; the one used farthest (or never) goes.
fn naive_opt(refs: &[u64], frames: usize) -> u64 {
    naive(
        refs,
        frames,
        |_, _| {},
        |r, t| {
            let next = |p: u64| refs[t + 1..].iter().position(|&q| q == p).unwrap_or(usize::MAX);
            (0..r.len()).max_by_key(|&i| next(r[i])).unwrap()
        },
    )
}

/// CLOCK, written straight from the SPEC §16 text: frames `0..n-1`, one bit each, a hand.
fn naive_clock(refs: &[u64], n: usize) -> (u64, Vec<Option<u64>>, usize) {
    let (mut frames, mut bits, mut hand, mut misses) = (vec![None; n], vec![false; n], 0, 0);
    for &p in refs {
        if let Some(i) = frames.iter().position(|&f| f == Some(p)) {
            bits[i] = true; // on a hit: set the page's bit; hand does not move
            continue;
        }
        misses += 1;
        if n == 0 {
            continue;
        }
        loop {
            if frames[hand].is_none() || !bits[hand] {
                // empty: load there; bit 0: replace. Either way set the bit and advance.
                frames[hand] = Some(p);
                bits[hand] = true;
                hand = (hand + 1) % n;
                break;
            }
            bits[hand] = false; // second chance
            hand = (hand + 1) % n;
        }
    }
    (misses, frames, hand)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fifo_lru_opt_match_naive(refs in trace(), frames in 1..16usize) {
        prop_assert_eq!(replay::<Fifo>(&refs, frames, 0).misses, naive_fifo(&refs, frames));
        prop_assert_eq!(replay::<Lru>(&refs, frames, 0).misses, naive_lru(&refs, frames));
        prop_assert_eq!(replay::<Opt>(&refs, frames, 0).misses, naive_opt(&refs, frames));
    }

    #[test]
    fn clock_matches_naive_including_frames_and_hand(refs in trace(), frames in 1..16usize) {
        let (misses, content, hand) = naive_clock(&refs, frames);
        let mut r = Replay::<Clock>::new(frames, 0);
        r.feed(&refs);
        prop_assert_eq!(r.stats().misses, misses);
        let got: Vec<_> = (0..frames).map(|f| r.page_in(Pfn::from_index(f))).collect();
        prop_assert_eq!(got, content);
        prop_assert_eq!(r.policy().hand().index(), hand);
    }

    #[test]
    fn opt_is_a_lower_bound(refs in trace(), frames in 1..16usize) {
        let opt = replay::<Opt>(&refs, frames, 0).misses;
        for kind in PolicyKind::ALL {
            prop_assert!(replay_kind(kind, &refs, frames, 3).misses >= opt, "{} beat OPT", kind);
        }
    }

    #[test]
    fn every_policy_counts_add_up_and_evicts_only_resident_pages(refs in trace(), frames in 0..16usize, seed in any::<u64>()) {
        for kind in PolicyKind::ALL {
            vmsim::with_policy!(kind, |P| check_replay::<P>(&refs, frames, seed))?;
        }
    }

    #[test]
    fn every_policy_keeps_the_contract_under_remove_and_hardware_bits(
        ops in vec((0..4u8, 0..16usize, any::<bool>()), 0..400),
        frames in 1..16usize,
    ) {
        for kind in PolicyKind::ALL {
            vmsim::with_policy!(kind, |P| check_contract::<P>(&ops, frames))?;
        }
    }

    #[test]
    fn mrc_equals_lru_replay_at_every_size(refs in trace()) {
        let m = lru_mrc(refs.iter().copied());
        let distinct = refs.iter().collect::<BTreeSet<_>>().len();
        prop_assert_eq!(m.distinct_pages(), distinct);
        for c in 1..=distinct.max(1) {
            prop_assert_eq!(m.misses(c), replay::<Lru>(&refs, c, 0).misses, "{} frames", c);
        }
    }
}

/// Replay through the public API, tracking residency independently of the replay's own map.
fn check_replay<P: Policy>(refs: &[u64], frames: usize, seed: u64) -> Result<(), TestCaseError> {
    let mut r = Replay::<P>::new(frames, seed);
    let mut resident = BTreeSet::new();
    for &p in refs {
        match r.access(p, NextUse::NEVER) {
            Access::Hit(_) => prop_assert!(resident.contains(&p), "{}: hit on non-resident {}", P::NAME, p),
            Access::Fill(_) => prop_assert!(resident.insert(p) && resident.len() <= frames),
            Access::Replace { evicted, .. } => {
                prop_assert!(resident.remove(&evicted), "{}: evicted non-resident {}", P::NAME, evicted);
                prop_assert!(resident.insert(p) && resident.len() == frames);
            }
            Access::Bypass => prop_assert_eq!(frames, 0),
        }
        prop_assert_eq!(r.policy().len(), resident.len());
    }
    let s = r.stats();
    prop_assert_eq!(s.hits + s.misses, s.refs);
    prop_assert_eq!(s.refs, refs.len() as u64);
    Ok(())
}

/// A hardware A-bit source that stays set until tested, as the rmap walk clears it.
struct ABits(Vec<bool>);
impl Referenced for ABits {
    fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
        u32::from(std::mem::take(&mut self.0[pfn.index()]))
    }
}

/// Random insert/touch/remove/victim operations on frames, as the kernel model will issue them.
fn check_contract<P: Policy>(ops: &[(u8, usize, bool)], frames: usize) -> Result<(), TestCaseError> {
    let mut p = P::new(frames, 1);
    let mut resident = BTreeSet::new();
    let mut hw = ABits(vec![false; frames]);
    for (t, &(op, f, young)) in ops.iter().enumerate() {
        let f = f % frames;
        let pfn = Pfn::from_index(f);
        let next = NextUse((t as u64 * 7 + f as u64) % 50);
        match op {
            0 if !resident.contains(&f) => {
                p.miss(f as u64 + 1000);
                p.insert(pfn, next);
                resident.insert(f);
            }
            0 | 1 => {
                p.touch(pfn, next); // a no-op on frames not tracked
                hw.0[f] |= young && resident.contains(&f);
            }
            2 => {
                p.remove(pfn); // a no-op on frames not tracked
                resident.remove(&f);
            }
            _ => match p.victim(&mut hw) {
                Some(v) => prop_assert!(resident.remove(&v.index()), "{}: victim {:?} not resident", P::NAME, v),
                None => prop_assert!(resident.is_empty(), "{}: no victim among {:?}", P::NAME, resident),
            },
        }
        prop_assert_eq!(p.len(), resident.len(), "{} after op {}", P::NAME, t);
    }
    Ok(())
}
