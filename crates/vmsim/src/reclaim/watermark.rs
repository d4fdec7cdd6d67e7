//! Zone watermarks min/low/high (mm/page_alloc.c `calculate_min_free_kbytes`, `__setup_per_zone_wmarks`;
//! LINUX-VM-SPEC §5). The model has one zone holding all RAM, so `lowmem = managed = total pages`.

/// `watermark_scale_factor` default: 10, in units of 1/10000 of zone memory (mm/page_alloc.c).
pub const DEFAULT_WATERMARK_SCALE_FACTOR: u64 = 10;
/// `min_free_kbytes` lower clamp (mm/page_alloc.c).
pub const MIN_FREE_KBYTES_MIN: u64 = 128;
/// `min_free_kbytes` upper clamp (256 MiB in current kernels; older ones capped at 64 MiB).
pub const MIN_FREE_KBYTES_MAX: u64 = 262_144;

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
    /// Watermarks for a machine of `frames` frames. Linux's formula clamps `min_free_kbytes` to at least 128 kB,
    /// which would exceed all of a toy machine's memory; below 16 MiB the model scales the watermarks to
    /// 1/64, 1/32 and 1/16 of memory instead (a model choice, not Linux's).
    pub fn for_frames(frames: u64, scale_factor: u64) -> Self {
        if frames < 4096 {
            let min = frames / 64;
            return Self { min_free_kbytes: min * 4, min, low: frames / 32, high: frames / 16, promo: frames / 16 };
        }
        Self::compute(frames, scale_factor)
    }

    /// Compute for a single zone of `managed` pages with `watermark_scale_factor` (SPEC §5 formulas).
    pub fn compute(managed: u64, scale_factor: u64) -> Self {
        let lowmem_kbytes = managed * 4;
        let min_free_kbytes = int_sqrt(lowmem_kbytes * 16).clamp(MIN_FREE_KBYTES_MIN, MIN_FREE_KBYTES_MAX);
        let pages_min = min_free_kbytes >> 2;
        // min = pages_min * zone_managed / lowmem_pages; with one zone the two page counts are equal.
        let min = (pages_min * managed).checked_div(managed).unwrap_or(0);
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

    #[test]
    fn int_sqrt_floor() {
        assert_eq!(int_sqrt(134_217_728), 11585);
        assert_eq!(int_sqrt(15), 3);
        assert_eq!(int_sqrt(16), 4);
    }
}
