//! Frame metadata as Linux keeps it in `struct page`/`struct folio`: owner and index, and the page flags the fault
//! and reclaim paths set and clear (include/linux/page-flags.h, mm/rmap.c, mm/vmscan.c, mm/swap_state.c).

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::Pte;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::vma::VmFlags;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::mmu::Access;
use vmsim::phys::{Mapping, PageFlags};
use vmsim::reclaim::PolicyKind;
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{Pfn, VirtAddr, PAGE_SIZE};

type K = Kernel<X86FourLevel>;

/// Exact mode with `frames` user frames and a swap area: each fault beyond `frames` pages evicts one page.
fn boot(frames: usize, policy: PolicyKind) -> (K, Pid) {
    let cfg = KernelConfig {
        exact: true,
        user_frames: frames as u64,
        zero_page: false,
        verify: true,
        policy,
        ..KernelConfig::default()
    };
    let mut k = K::new(frames, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(4096), file: None }).unwrap();
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    (k, pid)
}

fn region(k: &mut K, pid: Pid, pages: u64) -> VirtAddr {
    let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
    k.mmap(pid, &args).unwrap()
}

fn page(base: VirtAddr, n: u64) -> VirtAddr {
    base.checked_add(n * PAGE_SIZE).unwrap()
}

fn ok(r: AccessResult) -> Pfn {
    match r {
        AccessResult::Ok(pa) => pa.pfn(),
        other => panic!("access failed: {other:?}"),
    }
}

#[test]
fn anonymous_pages_belong_to_their_mm_at_their_virtual_page() {
    let (mut k, pid) = boot(2, PolicyKind::Lru);
    let base = region(&mut k, pid, 3);
    let mm = k.mm_of(pid).unwrap().id;
    let pfn = ok(k.write_user(pid, page(base, 1), b"x"));
    let m = k.mem.meta(pfn);
    assert_eq!((m.mapping, m.index), (Mapping::Anon { mm }, page(base, 1).vpn().raw()));
    assert!(m.is_anon());
    // Pages 0 and 2 push page 1 out to swap; reading it back maps a page that becomes anonymous on mapping.
    ok(k.write_user(pid, page(base, 0), b"y"));
    ok(k.write_user(pid, page(base, 2), b"z"));
    assert!(k.pte(pid, page(base, 1)).unwrap().swap_entry().is_some());
    let pfn = ok(k.access(pid, page(base, 1), Access::Read));
    let m = k.mem.meta(pfn);
    assert_eq!((m.mapping, m.index), (Mapping::Anon { mm }, page(base, 1).vpn().raw()));
    // Page tables and the zero page belong to nobody.
    assert_eq!(k.mem.meta(k.zero_pfn()).mapping, Mapping::None);
    assert!(k.mem.meta(k.zero_pfn()).test(PageFlags::ZERO_PAGE));
}

#[test]
fn swapbacked_and_dirty_follow_a_page_through_swap() {
    let (mut k, pid) = boot(2, PolicyKind::Lru);
    let base = region(&mut k, pid, 3);
    // A new anonymous page is swap-backed; its dirtiness is in the PTE (do_anonymous_page: pte_mkdirty only).
    let a = ok(k.write_user(pid, page(base, 0), b"a"));
    let m = k.mem.meta(a);
    assert!(m.test(PageFlags::SWAPBACKED | PageFlags::ANON_EXCLUSIVE | PageFlags::LRU), "{:?}", m.flags());
    assert!(!m.test(PageFlags::DIRTY) && !m.test(PageFlags::SWAPCACHE));
    // Evicted (add_to_swap marks it dirty, pageout cleans it, the frame is freed) ...
    ok(k.write_user(pid, page(base, 1), b"b"));
    ok(k.write_user(pid, page(base, 2), b"c"));
    assert_eq!(k.events.pswpout, 1);
    // ... read back: swap-backed, in the swap cache, clean (the copy in swap is valid).
    let a = ok(k.access(pid, page(base, 0), Access::Read));
    let m = k.mem.meta(a);
    assert!(m.test(PageFlags::SWAPBACKED | PageFlags::SWAPCACHE), "{:?}", m.flags());
    assert!(!m.test(PageFlags::DIRTY));
    // Written: the swap copy is dropped (folio_free_swap), so the page is dirty.
    let a2 = ok(k.write_user(pid, page(base, 0), b"A"));
    assert_eq!(a, a2, "reused in place (exclusive)");
    let m = k.mem.meta(a);
    assert!(m.test(PageFlags::DIRTY) && !m.test(PageFlags::SWAPCACHE), "{:?}", m.flags());
    let mut back = [0u8; 1];
    k.read_user(pid, page(base, 0), &mut back);
    assert_eq!(&back, b"A");
}

#[test]
fn lru_flags_mirror_the_two_list_policy() {
    const FRAMES: usize = 24;
    let (mut k, pid) = boot(FRAMES, PolicyKind::Linux);
    let base = region(&mut k, pid, 64);
    let mut x = 7u64;
    let mut seen_workingset = false;
    for step in 0..4000u32 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // Mostly a hot set of 16 pages, sometimes any of 64: activations, deactivations and evictions.
        let p = if x >> 61 == 0 { (x >> 20) % 64 } else { (x >> 20) % 16 };
        ok(k.write_user(pid, page(base, p), &step.to_le_bytes()[..1]));
        let vmsim::reclaim::PolicyImpl::Linux(lists) = k.lru.inner() else { unreachable!() };
        for f in (0..FRAMES).map(Pfn::from_index) {
            let m = k.mem.meta(f);
            if !m.test(PageFlags::LRU) {
                continue;
            }
            assert_eq!(m.test(PageFlags::ACTIVE), lists.is_active(f), "PG_active of {f:?} at step {step}");
            assert_eq!(m.test(PageFlags::REFERENCED), lists.is_referenced(f), "PG_referenced of {f:?} at {step}");
            seen_workingset |= m.test(PageFlags::WORKINGSET);
        }
    }
    let s = k.lru.stats();
    assert!(s.activations > 0 && s.deactivations > 0 && k.events.pswpout > 0, "{s:?}");
    assert!(seen_workingset, "deactivated pages are marked PG_workingset");
}

/// A page read back from swap stays in the swap cache, read-only; `mprotect` then makes it writable because it is
/// exclusive (`can_change_pte_writable`, mm/mprotect.c), so a write dirties the PTE without a fault and the swap
/// copy goes stale. Reclaim must see the dirty PTE (try_to_unmap_one → folio_mark_dirty) and write the page again
/// rather than drop it as clean.
#[test]
fn a_swap_cache_page_written_through_a_writable_pte_is_written_back() {
    let (mut k, pid) = boot(2, PolicyKind::Lru);
    let base = region(&mut k, pid, 3);
    ok(k.write_user(pid, page(base, 0), b"old"));
    ok(k.write_user(pid, page(base, 1), b"b"));
    ok(k.write_user(pid, page(base, 2), b"c")); // page 0 goes to swap
    let a = ok(k.access(pid, page(base, 0), Access::Read)); // back, in the swap cache, read-only
    assert!(k.mem.meta(a).test(PageFlags::SWAPCACHE | PageFlags::ANON_EXCLUSIVE));
    k.mprotect(pid, base, 3 * PAGE_SIZE, VmFlags::READ | VmFlags::WRITE).unwrap();
    let faults = k.events.pgfault;
    ok(k.write_user(pid, page(base, 0), b"new"));
    assert_eq!(k.events.pgfault, faults, "written through the now-writable PTE, no fault");
    assert!(k.mem.meta(a).test(PageFlags::SWAPCACHE), "the stale swap copy is still there");
    let out = k.events.pswpout;
    ok(k.write_user(pid, page(base, 1), b"b"));
    ok(k.write_user(pid, page(base, 2), b"c")); // page 0 is reclaimed again
    assert!(k.pte(pid, page(base, 0)).unwrap().swap_entry().is_some());
    assert!(k.events.pswpout > out);
    let mut back = [0u8; 3];
    k.read_user(pid, page(base, 0), &mut back);
    assert_eq!(&back, b"new");
    assert_eq!(k.events.verify_failures, 0);
}
