//! Zone watermarks min/low/high (mm/page_alloc.c `calculate_min_free_kbytes`, `__setup_per_zone_wmarks`;
//! LINUX-VM-SPEC §5). The model has one zone holding all RAM, so `lowmem = managed = total pages`.

/// `watermark_scale_factor` default: 10, in units of 1/10000 of zone memory (mm/page_alloc.c).
pub const DEFAULT_WATERMARK_SCALE_FACTOR: u64 = 10;
/// `min_free_kbytes` lower clamp (mm/page_alloc.c).
pub const MIN_FREE_KBYTES_MIN: u64 = 128;
/// `min_free_kbytes` upper clamp (256 MiB in current kernels; older ones capped at 64 MiB).
pub const MIN_FREE_KBYTES_MAX: u64 = 262_144;
/// The smallest machine whose watermarks are Linux's own: 256 frames (1 MiB), where `int_sqrt(1024 * 16)` = 128 kB
/// reaches the floor [`MIN_FREE_KBYTES_MIN`].
pub const SMALLEST_LINUX_FRAMES: u64 = 256;

/// The watermarks of a zone, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Watermarks {
    /// `min_free_kbytes` in kB.
    pub min_free_kbytes: u64,
    /// WMARK_MIN: below it, allocations enter direct reclaim.
    pub min: u64,
    /// WMARK_LOW: below it, kswapd is woken.
    pub low: u64,
    /// WMARK_HIGH: kswapd reclaims until free pages reach it.
    pub high: u64,
    /// WMARK_PROMO.
    pub promo: u64,
}

/// `int_sqrt()` (lib/math/int_sqrt.c): the floor of the square root.
pub fn int_sqrt(x: u64) -> u64 {
    x.isqrt()
}

/// `mult_frac(x, n, d) = (x / d) * n + ((x % d) * n) / d` (include/linux/math.h).
pub const fn mult_frac(x: u64, n: u64, d: u64) -> u64 {
    (x / d) * n + ((x % d) * n) / d
}

impl Watermarks {
    /// Watermarks for a machine of `frames` frames: Linux's formula ([`Self::compute`]) for every machine of at
    /// least [`SMALLEST_LINUX_FRAMES`] frames (1 MiB), where `min_free_kbytes = int_sqrt(lowmem_kbytes * 16)` is
    /// at or above its 128 kB floor, so the floor never binds; at 4 MiB this gives min/low/high 64/80/96 pages as
    /// Linux does. Below 1 MiB (no Linux runs there) the floor alone would be 32 pages, all of a 32-frame machine:
    /// the model scales the 1 MiB machine's watermarks (32/40/48 of 256 pages) to the machine's size instead
    /// ([`Self::scaled_below_linux`]), a model choice.
    pub fn for_frames(frames: u64, scale_factor: u64) -> Self {
        if frames < SMALLEST_LINUX_FRAMES {
            return Self::scaled_below_linux(frames, scale_factor);
        }
        Self::compute(frames, scale_factor)
    }

    /// A machine below 1 MiB: the watermarks of a [`SMALLEST_LINUX_FRAMES`]-frame machine times
    /// `frames / SMALLEST_LINUX_FRAMES` (rounded down), so they meet Linux's at 1 MiB and stay below memory.
    pub fn scaled_below_linux(frames: u64, scale_factor: u64) -> Self {
        let at_1m = Self::compute(SMALLEST_LINUX_FRAMES, scale_factor);
        let scale = |v: u64| v * frames / SMALLEST_LINUX_FRAMES;
        Self {
            min_free_kbytes: scale(at_1m.min_free_kbytes),
            min: scale(at_1m.min),
            low: scale(at_1m.low),
            high: scale(at_1m.high),
            promo: scale(at_1m.promo),
        }
    }

    /// Compute for a single zone of `managed` pages with `watermark_scale_factor` (SPEC §5 formulas).
    pub fn compute(managed: u64, scale_factor: u64) -> Self {
        let lowmem_kbytes = managed * 4;
        let min_free_kbytes = int_sqrt(lowmem_kbytes * 16).clamp(MIN_FREE_KBYTES_MIN, MIN_FREE_KBYTES_MAX);
        Self::from_min_free_kbytes(managed, min_free_kbytes, scale_factor)
    }

    /// `__setup_per_zone_wmarks()` (mm/page_alloc.c) for one zone of `managed` pages, given `min_free_kbytes`.
    fn from_min_free_kbytes(managed: u64, min_free_kbytes: u64, scale_factor: u64) -> Self {
        // pages_min = min_free_kbytes >> (PAGE_SHIFT - 10)
        let pages_min = min_free_kbytes >> 2;
        // tmp = pages_min * zone_managed_pages(zone) / lowmem_pages; with one zone the two page counts are equal.
        let min = (pages_min * managed).checked_div(managed).unwrap_or(0);
        // tmp = max(tmp >> 2, mult_frac(zone_managed_pages(zone), watermark_scale_factor, 10000))
        let step = (min >> 2).max(mult_frac(managed, scale_factor, 10_000));
        Self { min_free_kbytes, min, low: min + step, high: min + 2 * step, promo: min + 3 * step }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §5 test vectors (single zone, scale factor 10).
    #[test]
    fn spec_5_watermark_vectors() {
        let gib = 262_144u64; // pages per GiB
        let rows = [
            (gib, 4096, 1024, 1286, 1548, 1810),
            (4 * gib, 8192, 2048, 3096, 4144, 5192),
            (8 * gib, 11585, 2896, 4993, 7090, 9187),
            (16 * gib, 16384, 4096, 8290, 12484, 16678),
            (256 * gib, 65536, 16384, 83492, 150600, 217708),
        ];
        for (pages, mfk, min, low, high, promo) in rows {
            let w = Watermarks::compute(pages, DEFAULT_WATERMARK_SCALE_FACTOR);
            assert_eq!(
                (w.min_free_kbytes, w.min, w.low, w.high, w.promo),
                (mfk, min, low, high, promo),
                "{pages} pages"
            );
        }
    }

    /// Linux at 4 MiB (1024 pages): min_free_kbytes = int_sqrt(4096 * 16) = 256 kB, min = 256 >> 2 = 64 pages,
    /// step = max(64 >> 2, 1024 * 10 / 10000) = 16, so min/low/high = 64/80/96 (mm/page_alloc.c
    /// `calculate_min_free_kbytes`, `__setup_per_zone_wmarks`). The model used 16/32/64 here before.
    #[test]
    fn linux_watermarks_below_4096_frames() {
        let w = Watermarks::for_frames(1024, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high, w.promo), (256, 64, 80, 96, 112));
        // 1 MiB: the 128 kB floor is reached exactly (int_sqrt(16384) = 128): 32/40/48.
        let w = Watermarks::for_frames(256, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high), (128, 32, 40, 48));
        // 8 MiB and 12 MiB: int_sqrt(8192 * 16) = 362 kB -> 90 pages; int_sqrt(12288 * 16) = 443 kB -> 110.
        let w = Watermarks::for_frames(2048, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high), (362, 90, 112, 134));
        let w = Watermarks::for_frames(3072, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high), (443, 110, 137, 164));
        // Every size from 1 MiB up is exactly compute() (Linux's formula).
        for frames in [256, 257, 1000, 4095, 4096, 100_000] {
            assert_eq!(Watermarks::for_frames(frames, 10), Watermarks::compute(frames, 10), "{frames}");
        }
    }

    /// Below 1 MiB the model scales the 1 MiB watermarks (32/40/48) to the machine: 64 frames -> 8/10/12;
    /// 16 frames (examples/seed.toml) -> 2/2/3. They stay below memory at every size.
    #[test]
    fn toy_machines_scale_the_1mib_watermarks() {
        let w = Watermarks::for_frames(64, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high), (32, 8, 10, 12));
        let w = Watermarks::for_frames(16, DEFAULT_WATERMARK_SCALE_FACTOR);
        assert_eq!((w.min_free_kbytes, w.min, w.low, w.high), (8, 2, 2, 3));
        for frames in 1..256 {
            let w = Watermarks::for_frames(frames, DEFAULT_WATERMARK_SCALE_FACTOR);
            assert!(w.min <= w.low && w.low <= w.high && w.high < frames, "{frames}: {w:?}");
        }
    }

    #[test]
    fn int_sqrt_floor() {
        assert_eq!(int_sqrt(134_217_728), 11585);
        assert_eq!(int_sqrt(15), 3);
        assert_eq!(int_sqrt(16), 4);
    }
}
