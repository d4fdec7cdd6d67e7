//! Issue 9, the process life cycle beyond what `fork_prop.rs` drives at random: `execve` releases the old address
//! space (frames, swap slots, page tables) and keeps the task's fault counters (fs/exec.c `exec_mmap`; `min_flt`
//! is per task and survives exec), and a swapped-out page shared by fork keeps Linux's swap count (one per PTE
//! holding the entry, plus one while the page is in the swap cache), which decides whether a later write copies
//! the page or reuses it (mm/memory.c `do_swap_page`, `wp_can_reuse_anon_folio`; mm/swapfile.c `folio_free_swap`).

use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::swap::entry::SwapEntry;
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{VirtAddr, PAGE_SIZE};

type K = Kernel<X86FourLevel>;

fn boot(frames: usize) -> K {
    let cfg = KernelConfig { verify: true, ..KernelConfig::default() };
    let mut k = K::new(frames, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: Some(4096), file: None }).unwrap();
    k
}

fn page(base: VirtAddr, n: u64) -> VirtAddr {
    VirtAddr::new(base.raw() + n * PAGE_SIZE)
}

fn faults(k: &K, pid: Pid) -> (u64, u64) {
    let c = k.task(pid).unwrap().counters;
    (c.min_flt, c.maj_flt)
}

/// A process writes more than RAM holds (so some of its pages are in swap), then execs. The old mm is torn down:
/// every frame, swap slot and page table it held is freed, leaving exactly what a freshly spawned process holds.
/// The fault counters carry over, and the old addresses are gone from the new address space.
#[test]
fn execve_releases_the_old_address_space_and_keeps_fault_counts() {
    let mut k = boot(256);
    let layout = Layout::default_for::<X86FourLevel>();
    let baseline = (k.frames_used(), k.page_table_frames);
    let p = k.spawn("p", &layout).unwrap();
    let fresh = (k.frames_used() - baseline.0, k.page_table_frames - baseline.1);
    let base = k.mmap(p, &MmapArgs::anon_rw(400 * PAGE_SIZE)).unwrap();
    for n in 0..400 {
        let r = k.write_user(p, page(base, n), &[u8::try_from(n % 251).unwrap() + 1]);
        assert!(matches!(r, AccessResult::Ok(_)), "page {n}: {r:?}");
    }
    assert!(k.swap.used_pages() > 0, "400 pages in 256 frames: some went to swap");
    let before = faults(&k, p);
    assert!(before.0 >= 400, "{before:?}");
    let old = k.task(p).unwrap().mm.unwrap();

    k.execve(p, &layout).unwrap();

    let new = k.task(p).unwrap().mm.unwrap();
    assert_ne!(new, old, "exec_mmap installs a new mm");
    assert!(k.mms.get(old).is_none(), "the old mm had one user: it is gone");
    assert_eq!(k.swap.used_pages(), 0, "the old mm's swap slots are freed");
    assert!(k.swap_cache.is_empty(), "and its swap-cache pages");
    assert_eq!(
        (k.frames_used() - baseline.0, k.page_table_frames - baseline.1),
        fresh,
        "only a fresh address space is left"
    );
    assert_eq!(faults(&k, p), before, "min_flt/maj_flt are per task and survive exec");
    assert_eq!(k.events.verify_failures, 0);
    // The old region is not mapped in the new address space: the access is SIGSEGV (SEGV_MAPERR).
    let mut b = [0u8];
    let r = k.read_user(p, page(base, 0), &mut b);
    assert!(matches!(r, AccessResult::Segv(_)), "{r:?}");
}

/// A thread's exec: the mm is shared with another task, so exec only drops one user (`mmput`); the other task keeps
/// the address space and its pages.
#[test]
fn execve_of_one_user_keeps_the_mm_for_the_other() {
    let mut k = boot(1024);
    let layout = Layout::default_for::<X86FourLevel>();
    let p = k.spawn("p", &layout).unwrap();
    let base = k.mmap(p, &MmapArgs::anon_rw(8 * PAGE_SIZE)).unwrap();
    assert!(matches!(k.write_user(p, base, b"kept"), AccessResult::Ok(_)));
    let t = k.clone_thread(p, "t").unwrap();
    let shared = k.task(p).unwrap().mm.unwrap();
    assert_eq!(k.mms.get(shared).unwrap().users, 2);
    k.execve(t, &layout).unwrap();
    assert_ne!(k.task(t).unwrap().mm, Some(shared));
    assert_eq!(k.mms.get(shared).unwrap().users, 1);
    let mut b = [0u8; 4];
    assert!(matches!(k.read_user(p, base, &mut b), AccessResult::Ok(_)));
    assert_eq!(&b, b"kept");
}

/// A page in swap when the process forks: `copy_nonpresent_pte` → `swap_duplicate`, so the slot is held by two
/// PTEs. The child's read swaps the page in (a major fault) into the swap cache, mapped read-only: the parent's PTE
/// still holds the entry. While the parent lives, the child's write must copy (`folio_free_swap` fails: the entry
/// is still in use). With a second page, after the parent has exited, the write reuses the page in place and the
/// slot is freed.
#[test]
fn swap_entries_shared_by_fork_keep_their_counts() {
    let mut k = boot(1024);
    let layout = Layout::default_for::<X86FourLevel>();
    let parent = k.spawn("parent", &layout).unwrap();
    let base = k.mmap(parent, &MmapArgs::anon_rw(2 * PAGE_SIZE)).unwrap();
    let (e0, e1) = (SwapEntry::new(0, 100), SwapEntry::new(0, 200));
    k.pin_swapped(parent, base.vpn(), e0, b"page zero").unwrap();
    k.pin_swapped(parent, page(base, 1).vpn(), e1, b"page one").unwrap();
    assert_eq!((k.swap.count(e0), k.swap.count(e1)), (1, 1));

    let child = k.fork(parent, "child").unwrap();
    assert_eq!((k.swap.count(e0), k.swap.count(e1)), (2, 2), "one reference per PTE holding the entry");
    assert_eq!(k.mm_of(child).unwrap().counters.swap_ents, 2, "the child's VmSwap");

    // The child reads page 0: a major fault; the page sits in the swap cache, the parent's PTE keeps the entry.
    let mut b = [0u8; 9];
    assert!(matches!(k.read_user(child, base, &mut b), AccessResult::Ok(_)));
    assert_eq!(&b, b"page zero");
    assert_eq!(faults(&k, child).1, 1, "swap-in is a major fault");
    assert_eq!(k.swap.count(e0), 2, "the parent's PTE + the swap cache");
    // Its write while the parent still holds the entry copies the page.
    let cow = k.events.cow;
    assert!(matches!(k.write_user(child, base, b"child"), AccessResult::Ok(_)));
    assert_eq!(k.events.cow, cow + 1, "shared through swap: the write copies");
    let mut p = [0u8; 9];
    assert!(matches!(k.read_user(parent, base, &mut p), AccessResult::Ok(_)));
    assert_eq!(&p, b"page zero", "the parent still sees its own data");

    // Page 1: the parent exits first; the child is then the only holder of the entry.
    k.exit(parent);
    assert_eq!(k.swap.count(e1), 1, "exit dropped the parent's reference");
    assert!(matches!(k.read_user(child, page(base, 1), &mut b[..8]), AccessResult::Ok(_)));
    assert_eq!(&b[..8], b"page one");
    let (cow, reuse) = (k.events.cow, k.events.wp_reuse);
    assert!(matches!(k.write_user(child, page(base, 1), b"mine"), AccessResult::Ok(_)));
    assert_eq!((k.events.cow, k.events.wp_reuse), (cow, reuse + 1), "sole holder: reused in place");
    assert_eq!(k.swap.count(e1), 0, "the stale swap copy was freed (folio_free_swap)");

    k.exit(child);
    assert_eq!(k.swap.used_pages(), 0);
    assert!(k.swap_cache.is_empty());
    assert_eq!(k.events.verify_failures, 0);
}
