//! fork benchmark (issue 9, item 8): fork of a process with R resident anonymous pages, then the child's exit
//! and the parent's wait. Linux's fork does work per page-table entry (copy_pte_range), not per byte: no page is
//! copied until someone writes it. The model does the same, so the time per fork grows with the resident pages
//! (their PTEs, rmap entries and refcounts) and the page-table pages, never with the bytes they hold. Sizes:
//! 16 MiB, 64 MiB, 256 MiB, 1 GiB resident; throughput is in resident pages, so a flat "per page" figure across
//! the sizes is the linear scaling.
//!
//! Run: cargo bench -p vmsim --bench fork    (docs/performance.md records the figures)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use vmsim::arch::x86_64::X86FourLevel;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::{Kernel, KernelConfig, Layout};
use vmsim::mmu::tlb::TlbConfig;
use vmsim::mmu::Access;
use vmsim::{VirtAddr, PAGE_SIZE};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("fork");
    g.sample_size(10).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    for mib in [16u64, 64, 256, 1024] {
        let pages = mib << 8;
        let mut k = Kernel::<X86FourLevel>::new((4 << 30) / 4096, &TlbConfig::default(), KernelConfig::default())
            .expect("boot 4 GiB");
        let pid = k.spawn("parent", &Layout::default_for::<X86FourLevel>()).expect("spawn");
        let args = MmapArgs::anon_rw(pages * PAGE_SIZE);
        let base = k.mmap(pid, &args).expect("mmap");
        for i in 0..pages {
            k.access(pid, VirtAddr::new(base.raw() + i * PAGE_SIZE), Access::Write);
        }
        g.throughput(Throughput::Elements(pages));
        g.bench_function(format!("fork_exit_wait_{mib}MiB_resident"), |b| {
            b.iter(|| {
                let child = k.fork(pid, "child").expect("fork");
                k.exit(child);
                k.wait(pid, Some(child)).expect("wait");
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
