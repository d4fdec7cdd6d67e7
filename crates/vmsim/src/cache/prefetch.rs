//! Hardware prefetchers: which lines to bring into a cache before they are asked for.
//!
//! - **Next-line** (tagged): on a demand miss, or on the first demand hit to a line a prefetch brought in, fetch
//!   the next `degree` lines. A. J. Smith, "Cache Memories", *ACM Computing Surveys* 14(3), 1982, §2.1 ("tagged
//!   prefetch"); Intel's L1 "data cache unit (DCU) prefetcher" is a next-line prefetcher (Intel 64 and IA-32
//!   Architectures Optimization Reference Manual, "Data Prefetch to L1 Data Cache").
//! - **IP-stride**: a table indexed by the instruction pointer remembers each load's last line and stride; when
//!   the same non-zero stride is seen twice in a row, fetch `degree` lines ahead along it. Chen & Baer, "Effective
//!   Hardware-Based Data Prefetching for High-Performance Processors", *IEEE Trans. Computers* 44(5), 1995 (the
//!   reference prediction table); Intel's "IP-based stride prefetcher" (same manual section); ChampSim's
//!   `ip_stride`.
//!
//! Both stay inside the 4 KiB page of the access: they see physical addresses, and the next physical page need
//! not belong to the same virtual page (Intel manual: "the prefetched data must be in the same 4K page").
//!
//! Simplifies: a prefetch completes at once (never late), and uses no bandwidth or queue slots.

use super::array::LINES_PER_PAGE_SHIFT;
use serde::{Deserialize, Serialize};

/// Which prefetcher a cache has (`cache.<level>.prefetcher`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefetcherKind {
    /// No prefetching.
    #[default]
    None,
    /// Tagged next-line.
    NextLine,
    /// IP-based stride.
    IpStride,
}

impl PrefetcherKind {
    /// The config name.
    pub const fn name(self) -> &'static str {
        match self {
            PrefetcherKind::None => "none",
            PrefetcherKind::NextLine => "next_line",
            PrefetcherKind::IpStride => "ip_stride",
        }
    }
}

/// Most lines one access may prefetch (`prefetch_degree`).
pub const MAX_DEGREE: u32 = 16;

/// Entries of the IP-stride table, direct-mapped by IP: ChampSim's `ip_stride` tracks 1024 IPs.
pub const IP_TABLE_ENTRIES: usize = 1024;

/// Candidate lines of one access, at most [`MAX_DEGREE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Candidates {
    lines: [u64; MAX_DEGREE as usize],
    len: usize,
}

impl Candidates {
    fn push(&mut self, line: u64) {
        if self.len < self.lines.len() {
            self.lines[self.len] = line;
            self.len += 1;
        }
    }
    /// The lines, in order.
    pub fn as_slice(&self) -> &[u64] {
        &self.lines[..self.len]
    }
}

/// One IP-stride table entry.
#[derive(Debug, Clone, Copy, Default)]
pub struct IpEntry {
    /// The IP that owns it (+1, so 0 means empty).
    tag: u64,
    last_line: u64,
    stride: i64,
}

/// A cache's prefetcher and its state.
#[derive(Debug, Clone)]
pub enum Prefetcher {
    /// None.
    None,
    /// Tagged next-line.
    NextLine {
        /// Lines per trigger.
        degree: u32,
    },
    /// IP-based stride.
    IpStride {
        /// Lines per trigger.
        degree: u32,
        /// The reference prediction table.
        table: Box<[IpEntry]>,
    },
}

/// Whether `a` and `b` are lines of the same 4 KiB page.
#[inline]
fn same_page(a: u64, b: u64) -> bool {
    a >> LINES_PER_PAGE_SHIFT == b >> LINES_PER_PAGE_SHIFT
}

impl Prefetcher {
    /// A prefetcher of `kind` issuing up to `degree` lines per trigger.
    pub fn new(kind: PrefetcherKind, degree: u32) -> Self {
        let degree = degree.clamp(1, MAX_DEGREE);
        match kind {
            PrefetcherKind::None => Prefetcher::None,
            PrefetcherKind::NextLine => Prefetcher::NextLine { degree },
            PrefetcherKind::IpStride => {
                Prefetcher::IpStride { degree, table: vec![IpEntry::default(); IP_TABLE_ENTRIES].into_boxed_slice() }
            }
        }
    }

    /// Whether there is a prefetcher.
    #[inline(always)]
    pub fn is_some(&self) -> bool {
        !matches!(self, Prefetcher::None)
    }

    /// Sees a demand access to `line` by the instruction at `ip`; `trigger` says it missed or was the first use of
    /// a prefetched line. Returns the lines to prefetch (the caller drops those already cached).
    pub fn observe(&mut self, ip: u64, line: u64, trigger: bool) -> Candidates {
        let mut out = Candidates::default();
        match self {
            Prefetcher::None => {}
            Prefetcher::NextLine { degree } => {
                if trigger {
                    for k in 1..=u64::from(*degree) {
                        let Some(next) = line.checked_add(k) else { break };
                        if !same_page(line, next) {
                            break;
                        }
                        out.push(next);
                    }
                }
            }
            Prefetcher::IpStride { degree, table } => {
                let tag = ip.wrapping_add(1);
                // Fibonacci hashing of the IP into the table.
                #[allow(clippy::cast_possible_truncation, reason = "the top 10 bits")]
                let slot =
                    (ip.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - IP_TABLE_ENTRIES.trailing_zeros())) as usize;
                let e = &mut table[slot];
                if e.tag != tag {
                    *e = IpEntry { tag, last_line: line, stride: 0 };
                    return out;
                }
                #[allow(clippy::cast_possible_wrap, reason = "line numbers are below 2^58: the difference fits")]
                let stride = line.wrapping_sub(e.last_line) as i64;
                if stride == 0 {
                    // Another access to the same line (a small stride in bytes): nothing learned (ChampSim's
                    // ip_stride also ignores it), so a loop walking an array 8 bytes at a time trains on stride 1.
                    return out;
                }
                if stride == e.stride {
                    let mut next = line;
                    for _ in 0..*degree {
                        match next.checked_add_signed(stride) {
                            Some(n) if same_page(line, n) => {
                                out.push(n);
                                next = n;
                            }
                            _ => break,
                        }
                    }
                }
                e.stride = stride;
                e.last_line = line;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_stays_in_the_page_and_fires_on_triggers() {
        let mut p = Prefetcher::new(PrefetcherKind::NextLine, 2);
        assert_eq!(p.observe(0, 64, true).as_slice(), [65, 66]);
        assert!(p.observe(0, 64, false).as_slice().is_empty());
        // Line 127 is the last of page 1 (64 lines per page).
        assert!(p.observe(0, 127, true).as_slice().is_empty());
        assert_eq!(p.observe(0, 126, true).as_slice(), [127]);
    }

    #[test]
    fn ip_stride_needs_the_same_stride_twice() {
        let mut p = Prefetcher::new(PrefetcherKind::IpStride, 2);
        assert!(p.observe(0x400, 10, true).as_slice().is_empty()); // allocate
        assert!(p.observe(0x400, 13, true).as_slice().is_empty()); // stride 3 seen once
        assert!(p.observe(0x400, 13, true).as_slice().is_empty()); // the same line again: ignored
        assert_eq!(p.observe(0x400, 16, false).as_slice(), [19, 22]); // twice: prefetch along it
        assert!(p.observe(0x500, 17, true).as_slice().is_empty()); // another IP has its own entry
        assert_eq!(p.observe(0x400, 19, true).as_slice(), [22, 25]);
        assert!(p.observe(0x400, 18, true).as_slice().is_empty()); // stride changed
        assert_eq!(p.observe(0x400, 17, true).as_slice(), [16, 15]); // -1 twice: negative strides work
                                                                     // ... and stop at the page's first line (line 64 starts page 1).
        for line in [66, 65] {
            p.observe(0x600, line, true);
        }
        assert!(p.observe(0x600, 64, true).as_slice().is_empty());
    }
}
