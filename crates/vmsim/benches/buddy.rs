//! Buddy allocator and compaction benchmarks (issue 11, item 7): an order-0 alloc/free pair on a 1 GiB zone whose
//! free lists hold blocks of every order (a pageblock partly in use), the common case of a user page fault's
//! allocation; and `compact_memory` on a fragmented 1 GiB machine (two processes' 384 MiB interleaved page by
//! page, one exited: every other frame of the used region free).
//!
//! Run: cargo bench -p vmsim --bench buddy    (docs/performance.md records the figures)

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use vmsim::config::Scenario;
use vmsim::phys::buddy::{Buddy, MigrateType};
use vmsim::phys::PhysMem;
use vmsim::sim::AnyMachine;

const FRAGMENT: &str = r#"
[machine]
memory = "1GiB"
quantum = 1
[[process]]
name = "keeper"
steps = [
  { op = "mmap", name = "a", len = "384MiB" },
  { op = "write", addr = "a", len = "384MiB", stride = 4096 },
  { op = "wait" },
]
[[process]]
name = "leaver"
steps = [
  { op = "mmap", name = "b", len = "384MiB" },
  { op = "write", addr = "b", len = "384MiB", stride = 4096 },
  { op = "exit" },
]
"#;

/// `compact_memory` (one whole-zone pass) on the fragmented machine, which is built anew for each sample.
fn compaction(c: &mut Criterion) {
    let mut g = c.benchmark_group("compaction");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    let path = Path::new("fragment.toml");
    let (sc, cfg) = Scenario::parse(path, FRAGMENT, &[]).expect("scenario");
    g.bench_function("compact_fragmented_1gib", |bench| {
        bench.iter_batched(
            || {
                let mut m = AnyMachine::new(&cfg).expect("boot");
                if let AnyMachine::X86(x) = &mut m {
                    x.run_scenario(path, FRAGMENT, &sc).expect("run");
                }
                m
            },
            |mut m| {
                if let AnyMachine::X86(x) = &mut m {
                    x.kernel.compact_zone(None);
                    assert!(x.kernel.compaction.pgmigrate_success > 40_000, "{:?}", x.kernel.compaction);
                }
                m
            },
            criterion::BatchSize::PerIteration,
        );
    });
    g.finish();
}

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

criterion_group!(benches, bench, compaction);
criterion_main!(benches);
