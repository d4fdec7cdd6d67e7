//! zswap and KSM benchmarks (issue 10, item 8).
//!
//! - `zswap/store_load_*`: one page through `Zswap::store` then `Zswap::load` (pool bookkeeping, frame accounting,
//!   LRU), against `compressor/*`: the same compressor's compress + decompress of the same page called directly.
//!   The difference is vmsim's overhead around the compressor.
//! - `ksm/full_pass`: ksmd scanning two address spaces of 1024 identical text pages each through a whole pass
//!   (checksums recorded, unstable tree, merges), reported per page scanned.
//!
//! Run: cargo bench -p vmsim --bench zswap_ksm    (docs/performance.md records the figures)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use vmsim::content::Content;
use vmsim::phys::buddy::Buddy;
use vmsim::phys::PhysMem;
use vmsim::swap::entry::SwapEntry;
use vmsim::swap::zswap::{Compressor, Zswap, ZswapConfig};

fn zswap(c: &mut Criterion) {
    let mut g = c.benchmark_group("zswap");
    g.sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(1));
    let page = Content::Text.page(1, 0);
    for comp in [Compressor::Lz4, Compressor::Zstd] {
        let mut z = Zswap::new(ZswapConfig { enabled: true, compressor: comp, ..ZswapConfig::default() });
        let mut frames = Buddy::new(1 << 16);
        let mem = PhysMem::new(1 << 16);
        let mut out = [0u8; 4096];
        let e = SwapEntry::new(0, 1);
        g.bench_function(format!("store_load_{}", comp.name()), |b| {
            b.iter(|| {
                z.store(e, &page, 1 << 20, &mut frames, &mem);
                z.load(e, &mut out, &mut frames);
            })
        });
        g.bench_function(format!("compressor_{}", comp.name()), |b| {
            b.iter(|| {
                let c = comp.compress(&page).unwrap_or_default();
                comp.decompress(&c, &mut out)
            })
        });
    }
    g.finish();
}

fn ksm(c: &mut Criterion) {
    use vmsim::arch::x86_64::X86FourLevel;
    use vmsim::kernel::mmap::MmapArgs;
    use vmsim::kernel::{Kernel, KernelConfig, Layout};
    use vmsim::mmu::tlb::TlbConfig;
    use vmsim::{VirtAddr, PAGE_SIZE};
    let mut g = c.benchmark_group("ksm");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    const PAGES: u64 = 1024;
    g.throughput(Throughput::Elements(2 * PAGES));
    g.bench_function("full_pass_2x1024_pages", |b| {
        b.iter_batched(
            || {
                let mut k =
                    Kernel::<X86FourLevel>::new(1 << 16, &TlbConfig::default(), KernelConfig::default()).expect("boot");
                for name in ["a", "b"] {
                    let pid = k.spawn(name, &Layout::default_for::<X86FourLevel>()).expect("spawn");
                    let base = k.mmap(pid, &MmapArgs::anon_rw(PAGES * PAGE_SIZE)).expect("mmap");
                    for i in 0..PAGES {
                        let _ = k.write_user(pid, VirtAddr::new(base.raw() + i * PAGE_SIZE), &Content::Text.page(3, i));
                    }
                    k.madvise(pid, base, PAGES * PAGE_SIZE, "mergeable").expect("madvise");
                }
                k.ksm_do_scan(u64::MAX); // pass 1: checksums
                k
            },
            |mut k| {
                k.ksm_do_scan(u64::MAX); // pass 2: unstable tree and merges
                assert_eq!(k.ksm.stats().pages_sharing, PAGES);
                k
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, zswap, ksm);
criterion_main!(benches);
