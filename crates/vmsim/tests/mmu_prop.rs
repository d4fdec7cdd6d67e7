//! Property test: the radix page table in simulated frames plus the TLB hierarchy and paging-structure caches
//! against a naive map from page to (frame, permissions). Translations and faults must agree, and no stale
//! translation may survive an invalidation. Small, colliding TLBs force evictions; a narrow page strategy
//! makes pages share tables and TLB sets.

use proptest::prelude::*;
use std::collections::BTreeMap;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::{PagingMode, Perms};
use vmsim::kernel::pgtable;
use vmsim::mmu::psc::PscConfig;
use vmsim::mmu::tlb::{TlbConfig, TlbGeometry};
use vmsim::mmu::{check_access, Access, AddressSpace, Fault, Mmu, Mode, Outcome};
use vmsim::phys::alloc::{FrameAllocator, FreeList};
use vmsim::phys::PhysMem;
use vmsim::{Asid, Pfn, VirtAddr};

#[derive(Clone, Debug)]
enum Op {
    Map(u64, u64, u8),
    Unmap(u64),
    Protect(u64, u8),
    Access(u64, u8, u8, bool),
}

fn perms_of(bits: u8) -> Perms {
    let mut p = Perms::USER | Perms::READ;
    if bits & 1 != 0 {
        p |= Perms::WRITE;
    }
    if bits & 2 != 0 {
        p |= Perms::EXEC;
    }
    if bits & 4 != 0 {
        p -= Perms::USER;
    }
    p
}

fn access_of(k: u8) -> Access {
    match k % 3 {
        0 => Access::Read,
        1 => Access::Write,
        _ => Access::Fetch,
    }
}

fn ops(vpns: impl Strategy<Value = u64> + Clone) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (vpns.clone(), 0u64..64, any::<u8>()).prop_map(|(v, f, p)| Op::Map(v, f, p)),
        1 => vpns.clone().prop_map(Op::Unmap),
        1 => (vpns.clone(), any::<u8>()).prop_map(|(v, p)| Op::Protect(v, p)),
        6 => (vpns, any::<u8>(), 0u8..2, any::<bool>()).prop_map(|(v, o, a, u)| Op::Access(v, o, a, u)),
    ];
    proptest::collection::vec(op, 1..300)
}

fn check(ops: Vec<Op>, spread: u64) -> Result<(), TestCaseError> {
    let tiny = TlbConfig {
        l1d: TlbGeometry { entries: 4, ways: 2 },
        l1i: TlbGeometry { entries: 4, ways: 2 },
        stlb: TlbGeometry { entries: 8, ways: 2 },
        psc: PscConfig::default(),
    };
    let mut mmu: Mmu<X86FourLevel> = Mmu::new(&tiny).unwrap();
    let mut mem = PhysMem::new(4096);
    let mut frames = FreeList::new(4096);
    // Data frames are 0..64 (never handed out by the allocator, which takes from the top).
    for i in 0..64 {
        assert!(frames.claim(Pfn::try_new(i).unwrap()));
    }
    let root = pgtable::alloc_table(&mut mem, &mut frames).unwrap();
    let asids = [Asid(1), Asid(2)];
    let spaces: Vec<AddressSpace> = asids
        .iter()
        .map(|&asid| AddressSpace {
            root: if asid == Asid(1) { root } else { pgtable::alloc_table(&mut mem, &mut frames).unwrap() },
            asid,
        })
        .collect();
    let mut model: [BTreeMap<u64, (u64, Perms)>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for (i, op) in ops.into_iter().enumerate() {
        let which = i % 2;
        let sp = spaces[which];
        let va = |v: u64| VirtAddr::new(v * spread * 4096);
        match op {
            Op::Map(v, f, p) => {
                if model[which].contains_key(&v) {
                    continue;
                }
                let perms = perms_of(p);
                pgtable::map_page::<X86FourLevel>(
                    &mut mem,
                    &mut frames,
                    sp.root,
                    va(v),
                    Pfn::try_new(f).unwrap(),
                    perms,
                )
                .unwrap();
                model[which].insert(v, (f, perms));
            }
            Op::Unmap(v) => {
                if let Some((_, flush)) = pgtable::unmap_page::<X86FourLevel>(&mut mem, sp.root, sp.asid, va(v)) {
                    flush.flush(&mut mmu);
                }
                model[which].remove(&v);
            }
            Op::Protect(v, p) => {
                if let Some(e) = model[which].get_mut(&v) {
                    e.1 = perms_of(p);
                    let flush = pgtable::protect_page::<X86FourLevel>(&mut mem, sp.root, sp.asid, va(v), e.1);
                    if let Some(flush) = flush {
                        flush.flush(&mut mmu);
                    }
                }
            }
            Op::Access(v, off, a, user) => {
                let acc = access_of(a);
                let mode = if user { Mode::User } else { Mode::Supervisor };
                let addr = VirtAddr::new(va(v).raw() + u64::from(off) * 13 % 4096);
                let got = mmu.translate(&mut mem, sp, addr, acc, mode);
                let want = match model[which].get(&v) {
                    None => Err(()),
                    Some(&(f, p)) => match check_access(addr, p, acc, mode) {
                        Some(fault) => Ok(Err(fault)),
                        None => Ok(Ok(f * 4096 + addr.page_offset())),
                    },
                };
                match (got, want) {
                    (Outcome::Fault(Fault::NotPresent { .. }), Err(())) => {}
                    (Outcome::Fault(f), Ok(Err(w))) => prop_assert_eq!(f, w),
                    (Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. }, Ok(Ok(w))) => {
                        prop_assert_eq!(pa.raw(), w)
                    }
                    (g, w) => prop_assert!(false, "op {i}: va {:#x} {:?}: got {:?}, model {:?}", addr.raw(), acc, g, w),
                }
            }
        }
    }
    let _ = X86FourLevel::LEVELS;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Narrow: 24 pages, adjacent, sharing one page table and colliding in the TLB sets.
    #[test]
    fn walk_and_tlb_agree_with_flat_map_narrow(ops in ops(0u64..24)) {
        check(ops, 1)?;
    }

    /// Wide: pages spread over the address space so they need separate tables at every level.
    #[test]
    fn walk_and_tlb_agree_with_flat_map_wide(ops in ops(0u64..24)) {
        check(ops, (1 << 27) + 513)?;
    }
}
