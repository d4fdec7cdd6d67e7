//! Issue 5: the seed note's pages 13 and 14 really live in swap; and a real SWAPSPACE2 swap file holds the
//! swapped-out pages at `slot * 4096`.

use std::path::Path;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::arch::Pte;
use vmsim::config::Scenario;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::{AccessResult, Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::reclaim::PolicyKind;
use vmsim::sim::AnyMachine;
use vmsim::swap::swapfile::SwapDeviceConfig;
use vmsim::{with_machine, VirtAddr, PAGE_SIZE};

#[test]
fn seed_pages_13_and_14_swap_in_with_a_major_fault() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (sc, cfg) = Scenario::parse(&path, &text, &[]).unwrap();
    let mut m = AnyMachine::new(&cfg).unwrap();
    with_machine!(&mut m, m => {
        m.run_scenario(&path, &text, &sc).unwrap();
        let pid = m.find_pid(None).unwrap();
        assert_eq!(m.kernel.swap.used_pages(), 2, "slots 1 and 2 hold pages 13 and 14");
        let mut buf = [0u8; 28];
        let r = m.kernel.read_user(pid, VirtAddr::new(13 * PAGE_SIZE), &mut buf);
        assert!(matches!(r, AccessResult::Ok(_)), "{r:?}");
        assert_eq!(&buf, b"page 13 lives in swap slot 1");
        let c = m.kernel.task(pid).unwrap().counters;
        assert_eq!((c.maj_flt, m.kernel.events.pswpin), (1, 1));
        // Now resident: the page-table entry is present.
        assert!(m.kernel.pte(pid, VirtAddr::new(13 * PAGE_SIZE)).unwrap().is_present());
        let r = m.kernel.read_user(pid, VirtAddr::new(14 * PAGE_SIZE), &mut buf);
        assert!(matches!(r, AccessResult::Ok(_)));
        assert_eq!(&buf, b"page 14 lives in swap slot 2");
    });
}

#[test]
fn swap_file_holds_the_swapped_out_pages() {
    let dir = std::env::temp_dir().join(format!("vmsim-swapfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("swap.img");
    vmsim::swap::header::mkswap(&file, 1024 * PAGE_SIZE, Some("test")).unwrap();
    let cfg = KernelConfig { verify: true, policy: PolicyKind::Lru, ..KernelConfig::default() };
    let mut k = Kernel::<X86FourLevel>::new(128, &TlbConfig::default(), cfg).unwrap();
    k.swap.add(&SwapDeviceConfig { priority: None, size_pages: None, file: Some(file.clone()) }).unwrap();
    let pid = k.spawn("t", &Layout::default_for::<X86FourLevel>()).unwrap();
    let pages = 400u64;
    let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
    let base = k.mmap(pid, &args).unwrap();
    let tag = |p: u64| format!("page {p:05} of the swap-file test").into_bytes();
    for p in 0..pages {
        assert!(matches!(k.write_user(pid, VirtAddr::new(base.raw() + p * PAGE_SIZE), &tag(p)), AccessResult::Ok(_)));
    }
    assert!(k.events.pswpout > 200);
    // Every page now in swap is in the file at slot * 4096, byte for byte.
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[4086..4096], b"SWAPSPACE2");
    let mut in_file = 0;
    for p in 0..pages {
        let pte = k.pte(pid, VirtAddr::new(base.raw() + p * PAGE_SIZE)).unwrap();
        if let Some(e) = pte.swap_entry() {
            let at = usize::try_from(e.offset() * PAGE_SIZE).unwrap();
            assert!(e.offset() > 0, "slot 0 is the header");
            assert_eq!(&bytes[at..at + tag(p).len()], &tag(p)[..], "page {p} in slot {}", e.offset());
            in_file += 1;
        }
    }
    assert!(in_file > 200, "{in_file}");
    // And everything reads back, through swap-in.
    for p in 0..pages {
        let mut buf = vec![0u8; tag(p).len()];
        k.read_user(pid, VirtAddr::new(base.raw() + p * PAGE_SIZE), &mut buf);
        assert_eq!(buf, tag(p));
    }
    assert_eq!(k.events.verify_failures, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
