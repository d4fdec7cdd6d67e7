//! Replacement-only replay cost per reference, per policy (STYLE §3.13).
//!
//! Trace: 1M references drawn from a Zipf(0.9) distribution over 65,536 pages (ChaCha8, seed 42), replayed into
//! 4096 frames; `Throughput::Elements` = references, so criterion reports references per second. OPT's time includes
//! building its next-use table. `lru_10m` replays 10M references of the same distribution with exact LRU, the
//! figure to hold against libCacheSim's `LRU` (`scripts/crosscheck-libcachesim --time`).
//!
//! Budget: LRU ≥ 2× libCacheSim's `process_trace` on the same trace (plain-text reader, LRU, same cache size).
//! Last (2-core shared box, `cargo bench -p vmsim --bench policies`), ns per reference / M refs per second:
//!   fifo 10.9 ns / 92 M·s⁻¹   lru 12.2 / 82   clock 14.5 / 69   opt 38.4 / 26 (with table)   random 17.6 / 57
//!   sieve 12.2 / 82   s3fifo 20.7 / 48   linux 12.0 / 83   lru_10m: 128.6 ms = 12.9 ns / 78 M refs/s.
//! For comparison, libcachesim 0.3.5 `LRU(4096).process_trace()` on the same 10M references: 1.17–1.68 s
//! (6–8.5 M refs/s) from a plain-text trace, 0.83 s (12 M refs/s) from oracleGeneral binary; same miss count
//! (4,657,712).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::Duration;
use vmsim::reclaim::lru::Lru;
use vmsim::reclaim::replay::{replay, replay_kind};
use vmsim::reclaim::PolicyKind;

const PAGES: usize = 1 << 16;
const FRAMES: usize = 4096;
const ZIPF_S: f64 = 0.9;

/// `n` page numbers, Zipf(`ZIPF_S`) over `PAGES` pages by inverse-CDF sampling; page ranks are scattered so that
/// hot pages are not numerically adjacent.
fn zipf_trace(n: usize, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(PAGES);
    let mut total = 0.0;
    for k in 1..=PAGES {
        total += 1.0 / (k as f64).powf(ZIPF_S);
        cdf.push(total);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let u = rng.gen::<f64>() * total;
            let rank = cdf.partition_point(|&c| c < u) as u64;
            rank.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40 // scatter ranks over a 24-bit page space
        })
        .collect()
}

fn policies(c: &mut Criterion) {
    let trace = zipf_trace(1_000_000, 42);
    let mut g = c.benchmark_group("replay_zipf_1m_4096");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(trace.len() as u64));
    for kind in PolicyKind::ALL {
        g.bench_with_input(BenchmarkId::from_parameter(kind), &trace, |b, t| {
            b.iter(|| black_box(replay_kind(kind, t, FRAMES, 0)))
        });
    }
    g.finish();
}

fn lru_10m(c: &mut Criterion) {
    let trace = zipf_trace(10_000_000, 42);
    let mut g = c.benchmark_group("lru_10m");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(trace.len() as u64));
    g.bench_function("lru", |b| b.iter(|| black_box(replay::<Lru>(&trace, FRAMES, 0))));
    g.finish();
}

criterion_group!(benches, policies, lru_10m);
criterion_main!(benches);
