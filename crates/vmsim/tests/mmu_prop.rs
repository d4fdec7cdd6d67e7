//! Property test: the radix page tables of several address spaces in simulated frames, used from several CPUs,
//! each with its own TLB hierarchy, paging-structure caches and ASID table, against a naive map from (mm, page) to
//! (frame, permissions). Translations and faults must agree on every CPU: no CPU may ever use a stale translation
//! after a page-table change, whichever CPU made it. Eight address spaces on three CPUs overflow the six dynamic
//! ASID slots, so slot reuse is exercised; small, colliding TLBs force evictions; a narrow page strategy makes
//! pages share tables and TLB sets. Runs with and without PCIDs.

use proptest::prelude::*;
use std::collections::BTreeMap;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::Perms;
use vmsim::kernel::cpu::{CpuId, Cpus};
use vmsim::kernel::pgtable::{self, Pgd};
use vmsim::kernel::task::Pid;
use vmsim::mmu::psc::PscConfig;
use vmsim::mmu::tlb::{TlbConfig, TlbGeometry};
use vmsim::mmu::{check_access, Access, AddressSpace, Fault, Mode, Outcome};
use vmsim::phys::buddy::Buddy;
use vmsim::phys::rmap::MmId;
use vmsim::phys::PhysMem;
use vmsim::{Pfn, VirtAddr};

const MMS: u8 = 8;
const CPUS: u8 = 3;

#[derive(Clone, Debug)]
enum Op {
    Map(u8, u64, u64, u8),
    Unmap(u8, u64),
    Protect(u8, u64, u8),
    Access(u8, u8, u64, u8, u8, bool),
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
    let mm = 0u8..MMS;
    let cpu = 0u8..CPUS;
    let op = prop_oneof![
        3 => (mm.clone(), vpns.clone(), 0u64..64, any::<u8>()).prop_map(|(m, v, f, p)| Op::Map(m, v, f, p)),
        1 => (mm.clone(), vpns.clone()).prop_map(|(m, v)| Op::Unmap(m, v)),
        1 => (mm.clone(), vpns.clone(), any::<u8>()).prop_map(|(m, v, p)| Op::Protect(m, v, p)),
        6 => (cpu, mm, vpns, any::<u8>(), 0u8..3, any::<bool>())
            .prop_map(|(c, m, v, o, a, u)| Op::Access(c, m, v, o, a, u)),
    ];
    proptest::collection::vec(op, 1..400)
}

fn check(ops: Vec<Op>, spread: u64, pcid: bool) -> Result<(), TestCaseError> {
    let tiny = TlbConfig {
        l1d: TlbGeometry { entries: 4, ways: 2 },
        l1i: TlbGeometry { entries: 4, ways: 2 },
        stlb: TlbGeometry { entries: 8, ways: 2 },
        psc: PscConfig::default(),
    };
    let mut cpus: Cpus<X86FourLevel> = Cpus::new(usize::from(CPUS), &tiny, pcid).unwrap();
    let mut mem = PhysMem::new(4096);
    let mut frames = Buddy::new(4096);
    // Data frames are 0..64, claimed so that the allocator never hands them out for tables.
    for i in 0..64 {
        assert!(frames.claim(Pfn::try_new(i).unwrap()));
    }
    let pgds: Vec<Pgd> = (0..MMS)
        .map(|i| Pgd { root: pgtable::alloc_table(&mut mem, &mut frames).unwrap(), mm: MmId(u32::from(i) + 1) })
        .collect();
    let mut model: Vec<BTreeMap<u64, (u64, Perms)>> = vec![BTreeMap::new(); usize::from(MMS)];
    let va = |v: u64| VirtAddr::new(v * spread * 4096);
    for (i, op) in (0u16..).zip(ops) {
        // Page-table changes are made from a CPU chosen by the op number, so flushes are local or remote.
        cpus.this_cpu = CpuId(i % u16::from(CPUS));
        match op {
            Op::Map(m, v, f, p) => {
                let m = usize::from(m);
                if model[m].contains_key(&v) {
                    continue;
                }
                let perms = perms_of(p);
                let (_, flush) = pgtable::map_page::<X86FourLevel>(
                    &mut mem,
                    &mut frames,
                    pgds[m],
                    va(v),
                    Pfn::try_new(f).unwrap(),
                    perms,
                )
                .unwrap();
                let _ = flush.flush(&mut cpus);
                model[m].insert(v, (f, perms));
            }
            Op::Unmap(m, v) => {
                let m = usize::from(m);
                let (_, flush) = pgtable::unmap_page::<X86FourLevel>(&mut mem, pgds[m], va(v));
                let _ = flush.flush(&mut cpus);
                model[m].remove(&v);
            }
            Op::Protect(m, v, p) => {
                let m = usize::from(m);
                if let Some(e) = model[m].get_mut(&v) {
                    e.1 = perms_of(p);
                    let _ = pgtable::protect_page::<X86FourLevel>(&mut mem, pgds[m], va(v), e.1).flush(&mut cpus);
                }
            }
            Op::Access(c, m, v, off, a, user) => {
                let (cpu, m) = (CpuId(u16::from(c)), usize::from(m));
                let asid = cpus.switch_to(cpu, Pid(pgds[m].mm.0), pgds[m].mm);
                let space = AddressSpace { root: pgds[m].root, asid };
                let acc = access_of(a);
                let mode = if user { Mode::User } else { Mode::Supervisor };
                let addr = VirtAddr::new(va(v).raw() + u64::from(off) * 13 % 4096);
                let got = cpus.get_mut(cpu).mmu.translate(&mut mem, space, addr, acc, mode);
                let want = match model[m].get(&v) {
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
                    (g, w) => prop_assert!(
                        false,
                        "op {i}: cpu {c} mm {m} va {:#x} {:?}: got {:?}, model {:?}",
                        addr.raw(),
                        acc,
                        g,
                        w
                    ),
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Narrow: 24 pages, adjacent, sharing one page table and colliding in the TLB sets.
    #[test]
    fn cpus_never_use_a_stale_translation_narrow(ops in ops(0u64..24)) {
        check(ops, 1, true)?;
    }

    /// Wide: pages spread over the address space so they need separate tables at every level.
    #[test]
    fn cpus_never_use_a_stale_translation_wide(ops in ops(0u64..24)) {
        check(ops, (1 << 27) + 513, true)?;
    }

    /// Without PCIDs: every switch to another address space flushes the CPU's TLB.
    #[test]
    fn cpus_never_use_a_stale_translation_without_pcid(ops in ops(0u64..24)) {
        check(ops, 1, false)?;
    }
}
