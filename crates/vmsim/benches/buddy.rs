//! Buddy allocator benchmark (issue 11, item 7): an order-0 alloc/free pair on a 1 GiB zone whose free lists hold
//! blocks of every order (a pageblock partly in use), the common case of a user page fault's allocation.
//!
//! Run: cargo bench -p vmsim --bench buddy    (docs/performance.md records the figures)

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use vmsim::phys::buddy::{Buddy, MigrateType};
use vmsim::phys::PhysMem;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("buddy");
    g.sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    let frames = (1u64 << 30) / 4096;
    let mem = PhysMem::new(4096);
    let mut b = Buddy::new(frames);
    // Some frames in use, so the lists hold blocks of orders 0..=9 besides the untouched order-10 blocks.
    for _ in 0..1000 {
        b.alloc_pages(0, MigrateType::Movable, &mem).expect("free frames");
    }
    g.bench_function("alloc_free_order0", |bench| {
        bench.iter(|| {
            let p = b.alloc_pages(0, MigrateType::Movable, &mem).expect("free frame");
            b.free_pages(black_box(p), 0);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
