//! SHARDS: an approximate LRU miss-ratio curve from a spatially hashed sample of the pages, in memory that grows
//! with the sample rather than with the trace's distinct pages.
//!
//! Source: Waldspurger, Park, Garthwaite, Ahmad, "Efficient MRC Construction with SHARDS", FAST 2015, §3
//! (fixed-rate sampling) and §3.3 (SHARDS_adj). A page is sampled iff `hash(page) mod P < T`, so the sample rate is
//! `R = T / P`; every reference to a sampled page is kept, which preserves its reuse. In the sampled stream a stack
//! distance `d` stands for `d / R` distinct pages of the whole trace, so a reference that hits the sampled stack at
//! `⌊c·R⌋` frames estimates a hit at `c` frames. SHARDS_adj: the sample holds `Ns` references where `N·R` were
//! expected; the difference is counted as hits at every size (the paper adds it to the smallest-distance bucket),
//! so the miss ratio is sampled misses over `N·R` (clamped to 1).
//!
//! Simplifies: fixed rate only (no fixed-size variant that lowers `T` as the sample grows). With `R = 1` every page
//! is sampled and the curve is [`super::mrc`]'s exact one. Weak where few pages are sampled: a rate that leaves
//! under about a thousand sampled pages gives a visibly stepped curve (the paper's error figures use 10^5+ pages).

use super::mrc::{Mrc, StackDistances};

/// `P`: the hash is taken modulo 2^24, as in the paper's implementation (§3.1).
pub const MODULUS: u64 = 1 << 24;

/// A sample rate outside `(0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("sample rate {0}: expected a number in (0, 1], e.g. 0.01 (at least 1/{MODULUS})")]
pub struct BadRate(pub f64);

/// The sampler and the stack distances of the sampled references.
#[derive(Debug, Clone)]
pub struct Shards {
    threshold: u64,
    refs: u64,
    sampled: StackDistances,
}

/// splitmix64's finalizer (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a
/// bijection on u64 whose low bits depend on every input bit, so `hash mod 2^24` spreads consecutive page numbers.
fn hash(page: u64) -> u64 {
    let mut z = page.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Shards {
    /// Samples at `rate` (rounded to a multiple of 1/2^24).
    pub fn new(rate: f64) -> Result<Self, BadRate> {
        #[allow(clippy::cast_precision_loss, reason = "2^24 is exact in f64")]
        let p = MODULUS as f64;
        if !(rate > 0.0 && rate <= 1.0) || (rate * p).round() < 1.0 {
            return Err(BadRate(rate));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "in 1..=2^24, checked above")]
        let threshold = (rate * p).round() as u64;
        Ok(Self { threshold, refs: 0, sampled: StackDistances::default() })
    }

    /// One reference of the trace.
    #[inline]
    pub fn reference(&mut self, page: u64) {
        self.refs += 1;
        if hash(page) % MODULUS < self.threshold {
            self.sampled.reference(page);
        }
    }

    /// The estimated curve.
    pub fn finish(&self) -> SampledMrc {
        SampledMrc { refs: self.refs, threshold: self.threshold, sampled: self.sampled.finish() }
    }
}

/// An estimated miss-ratio curve.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledMrc {
    refs: u64,
    threshold: u64,
    sampled: Mrc,
}

impl SampledMrc {
    /// The rate actually used (`T / 2^24`).
    #[allow(clippy::cast_precision_loss, reason = "both at most 2^24")]
    pub fn rate(&self) -> f64 {
        self.threshold as f64 / MODULUS as f64
    }

    /// References in the whole trace.
    pub fn refs(&self) -> u64 {
        self.refs
    }

    /// References to sampled pages.
    pub fn sampled_refs(&self) -> u64 {
        self.sampled.refs()
    }

    /// Distinct pages of the trace, estimated (sampled distinct pages / rate).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an estimate"
    )]
    pub fn distinct_pages(&self) -> u64 {
        (self.sampled.distinct_pages() as f64 / self.rate()).round() as u64
    }

    /// Estimated miss ratio of exact LRU with `frames` frames (SHARDS_adj).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an estimate"
    )]
    pub fn miss_ratio(&self, frames: u64) -> f64 {
        let expected = self.refs as f64 * self.rate();
        if expected <= 0.0 {
            return 0.0;
        }
        let scaled = (frames as f64 * self.rate()).floor() as usize;
        (self.sampled.misses(scaled) as f64 / expected).min(1.0)
    }

    /// Estimated misses with `frames` frames (the ratio times the references, rounded).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an estimate"
    )]
    pub fn misses(&self, frames: u64) -> u64 {
        (self.miss_ratio(frames) * self.refs as f64).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::super::mrc::lru_mrc;
    use super::*;

    /// A skewed synthetic trace: `n` references over `pages` pages, three quarters to a hot tenth, from an LCG.
    fn trace(n: usize, pages: u64, seed: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let r = x >> 33;
                if r % 4 == 0 {
                    (r >> 2) % pages
                } else {
                    (r >> 2) % (pages / 10)
                }
            })
            .collect()
    }

    #[test]
    fn rate_one_is_the_exact_curve() {
        let t = trace(20_000, 2_000, 1);
        let exact = lru_mrc(t.iter().copied());
        let mut s = Shards::new(1.0).unwrap();
        t.iter().for_each(|&p| s.reference(p));
        let c = s.finish();
        assert_eq!((c.refs(), c.sampled_refs(), c.distinct_pages()), (20_000, 20_000, exact.distinct_pages() as u64));
        for f in 0..=2_100u64 {
            assert_eq!(c.misses(f), exact.misses(usize::try_from(f).unwrap()), "{f} frames");
        }
    }

    /// The mean absolute error of the curve against the exact one, over sizes up to the distinct pages, is what
    /// the paper reports (§5.1); at 10 % of 20,000 pages it stays below 0.01 here, where dropping the 1/R scaling
    /// of the distances (a bug this guards against) is off by more than 0.1.
    #[test]
    fn a_ten_percent_sample_is_within_a_hundredth_of_the_exact_curve() {
        let t = trace(400_000, 20_000, 7);
        let exact = lru_mrc(t.iter().copied());
        let mut s = Shards::new(0.1).unwrap();
        t.iter().for_each(|&p| s.reference(p));
        let c = s.finish();
        let sizes: Vec<u64> = (1..=40).map(|i| i * 500).collect();
        let mae = |f: &dyn Fn(u64) -> f64| {
            sizes.iter().map(|&k| (f(k) - exact.miss_ratio(usize::try_from(k).unwrap())).abs()).sum::<f64>()
                / sizes.len() as f64
        };
        let err = mae(&|k| c.miss_ratio(k));
        assert!(err < 0.01, "mean absolute error {err}");
        let unscaled = mae(&|k| c.sampled.miss_ratio(usize::try_from(k).unwrap()));
        assert!(unscaled > 0.1, "without scaling {unscaled}");
        let (pages, want) = (c.distinct_pages(), exact.distinct_pages() as u64);
        assert!(pages.abs_diff(want) * 20 < want, "{pages} distinct pages estimated, {want} exact");
    }

    #[test]
    fn bad_rates_are_refused() {
        for r in [0.0, -0.5, 1.5, f64::NAN, 1e-9] {
            assert!(Shards::new(r).is_err(), "{r}");
        }
        assert!(Shards::new(1.0 / 16_777_216.0).is_ok());
    }
}
