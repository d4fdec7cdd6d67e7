//! Parser throughput on synthetic traces, in accesses (lackey) or page references (pages) per second.
//!
//! Budget: lackey well above 30 M accesses/s and pages well above 40 M refs/s single-threaded, so that parsing
//! stays far from the simulator's end-to-end targets (10 M and 20 M/s).
//!
//! Last (commit e245962; 2-core AMD EPYC KVM guest at 2.6 GHz, other vCPU idle; median over 5 runs of criterion's
//! median, `scripts/bench-criterion --bench parse --runs 5`):
//!
//! | bench              | throughput        | note                                              |
//! |--------------------|-------------------|---------------------------------------------------|
//! | lackey/next_batch  | 67 M accesses/s   | random `/bin/true`-like mix: branch misses bound  |
//! | lackey/iterator    | 60 M accesses/s   | one record at a time                              |
//! | lackey/threaded    | 68 M accesses/s   | parser thread, consumer idle: = parser rate       |
//! | lackey/uniform     | 99 M accesses/s   | one line repeated: the parsing work alone         |
//! | pages/next_batch   | 94 M refs/s       | 6- and 11-digit decimal page numbers              |
//! | pages/threaded     | 90 M refs/s       |                                                   |
//!
//! With the other vCPU busy these drop by up to a half (docs/performance.md).
//!
//! `cargo bench -p vmsim-trace --bench parse`
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;
use vmsim_trace::{Access, BatchSource, LackeyReader, PagesReader, Threaded};

/// Lines per synthetic trace: large enough to stream through several 1 MiB blocks.
const LINES: usize = 1_000_000;

/// A small deterministic generator (xorshift64*), so the inputs are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A lackey trace with the mix of `valgrind --tool=lackey --trace-mem=yes /bin/true`: 76 % fetches, 17 % loads,
/// 6 % stores, 1 % modifies; code at 8-digit addresses, stack at 10-digit ones. Returns the text and its accesses.
fn lackey_trace() -> (Vec<u8>, u64) {
    let mut rng = Rng(0x5eed);
    let (mut text, mut accesses) = (Vec::with_capacity(LINES * 16), 0);
    for _ in 0..LINES {
        let r = rng.next();
        let line = match r % 100 {
            0..=75 => format!("I  {:08x},{}\n", 0x0400_0000 + (r >> 8) % 0x20_0000, 1 + (r >> 40) % 15),
            76..=92 => format!(" L {:010x},{}\n", 0x1f_ff00_0000 + (r >> 8) % 0x10_0000, 1 << ((r >> 40) % 4)),
            93..=98 => format!(" S {:010x},{}\n", 0x1f_ff00_0000 + (r >> 8) % 0x10_0000, 1 << ((r >> 40) % 4)),
            _ => format!(" M {:08x},{}\n", 0x0480_0000 + (r >> 8) % 0x10_0000, 1 << ((r >> 40) % 4)),
        };
        accesses += if line.starts_with(" M") { 2 } else { 1 };
        text.extend_from_slice(line.as_bytes());
    }
    (text, accesses)
}

/// A page trace: half small page numbers (up to 6 digits), half user-stack-like ones (11 digits).
fn pages_trace() -> Vec<u8> {
    let mut rng = Rng(0xfeed);
    let mut text = Vec::with_capacity(LINES * 10);
    for _ in 0..LINES {
        let r = rng.next();
        let page = if r & 1 == 0 { (r >> 8) % 1_000_000 } else { 0x7_ffd0_0000 + (r >> 8) % 0x10_0000 };
        text.extend_from_slice(format!("{page}\n").as_bytes());
    }
    text
}

/// Drains `source` in batches and returns how many records it gave.
fn drain<S: BatchSource>(mut source: S) -> u64 {
    let (mut out, mut n) = (Vec::new(), 0);
    while let Ok(len @ 1..) = source.next_batch(&mut out) {
        n += len as u64;
        black_box(&out);
    }
    n
}

fn lackey(c: &mut Criterion) {
    let (text, accesses) = lackey_trace();
    let shared: Arc<[u8]> = Arc::from(&text[..]);
    let mut g = c.benchmark_group("lackey");
    g.throughput(Throughput::Elements(accesses));
    g.bench_function("next_batch", |b| b.iter(|| assert_eq!(drain(LackeyReader::new(&text[..], "bench")), accesses)));
    g.bench_function("iterator", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for access in LackeyReader::new(&text[..], "bench").map_while(Result::ok) {
                black_box::<Access>(access);
                n += 1;
            }
            assert_eq!(n, accesses);
        });
    });
    g.bench_function("threaded", |b| {
        b.iter(|| {
            let reader = LackeyReader::new(Cursor::new(Arc::clone(&shared)), "bench");
            let threaded = Threaded::spawn(reader).map(drain);
            assert_eq!(threaded.ok(), Some(accesses));
        });
    });
    g.finish();

    // The best case, one line repeated: no mispredicted branches, so this is the cost of the parsing work itself.
    let uniform = "I  0401ab70,3\n".repeat(LINES).into_bytes();
    let mut g = c.benchmark_group("lackey");
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("uniform", |b| {
        b.iter(|| assert_eq!(drain(LackeyReader::new(&uniform[..], "bench")), LINES as u64))
    });
    g.finish();
}

fn pages(c: &mut Criterion) {
    let text = pages_trace();
    let shared: Arc<[u8]> = Arc::from(&text[..]);
    let mut g = c.benchmark_group("pages");
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("next_batch", |b| {
        b.iter(|| assert_eq!(drain(PagesReader::new(&text[..], "bench")), LINES as u64))
    });
    g.bench_function("threaded", |b| {
        b.iter(|| {
            let threaded = Threaded::spawn(PagesReader::new(Cursor::new(Arc::clone(&shared)), "bench")).map(drain);
            assert_eq!(threaded.ok(), Some(LINES as u64));
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = lackey, pages
}
criterion_main!(benches);
