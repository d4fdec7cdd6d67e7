//! Page contents for scenarios: what KSM can merge and zswap can compress depends on what pages hold, so a `fill`
//! step writes generated contents (or a copy of another region) rather than one byte per page.
//!
//! Every generator is a pure function of (kind, seed, page index): the same scenario gives the same bytes on
//! every host.

use crate::addr::PAGE_BYTES;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A content generator (`content = "..."` of a `fill` step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// All zero bytes (`"zero"`).
    Zero,
    /// Every byte the same value (`"same:0xAB"`): a same-filled page.
    Same(u8),
    /// Seeded random bytes (`"random"`): incompressible, never merged.
    Random,
    /// Seeded text-like bytes (`"text"`): English words separated by spaces and newlines, compressible about 2–3×.
    Text,
    /// A copy of another region of the same process (`"copy:REGION"`): identical pages, as two copies of one
    /// program or data set have.
    Copy(String),
}

impl Content {
    /// Parse `zero`, `same:0xAB` (or `same:171`), `random`, `text`, `copy:NAME`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("unknown content {s:?} (expected zero, same:0xAB, random, text or copy:REGION)");
        match s.split_once(':') {
            None => match s {
                "zero" => Ok(Self::Zero),
                "random" => Ok(Self::Random),
                "text" => Ok(Self::Text),
                _ => Err(bad()),
            },
            Some(("same", v)) => {
                let v = v.trim();
                let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    Some(h) => u8::from_str_radix(h, 16).ok(),
                    None => v.parse().ok(),
                };
                n.map(Self::Same).ok_or_else(|| format!("same:{v}: expected a byte value 0..=255 such as same:0xAB"))
            }
            Some(("copy", r)) if !r.trim().is_empty() => Ok(Self::Copy(r.trim().to_string())),
            _ => Err(bad()),
        }
    }

    /// Page `index` of this content under `seed` (not for [`Content::Copy`], which reads memory).
    pub fn page(&self, seed: u64, index: u64) -> [u8; PAGE_BYTES] {
        let mut p = [0u8; PAGE_BYTES];
        match self {
            Self::Zero | Self::Copy(_) => {}
            Self::Same(v) => p.fill(*v),
            Self::Random => rng(seed, index).fill_bytes(&mut p),
            Self::Text => text_page(&mut rng(seed, index), &mut p),
        }
        p
    }
}

fn rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(&index.to_le_bytes());
    ChaCha8Rng::from_seed(s)
}

/// Words for text-like pages (the most frequent English words, so the text compresses as prose does).
const WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
    "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
    "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
    "memory", "page", "frame", "kernel", "process", "virtual", "address", "table", "swap", "fault",
];

fn text_page(r: &mut ChaCha8Rng, p: &mut [u8; PAGE_BYTES]) {
    let mut at = 0;
    let mut line = 0;
    while at < PAGE_BYTES {
        let w = WORDS[r.gen_range(0..WORDS.len())].as_bytes();
        let sep: &[u8] = if line > 60 { b"\n" } else { b" " };
        line = if line > 60 { 0 } else { line + w.len() + 1 };
        for &b in w.iter().chain(sep) {
            if at == PAGE_BYTES {
                break;
            }
            p[at] = b;
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_generate() {
        assert_eq!(Content::parse("same:0xAB"), Ok(Content::Same(0xAB)));
        assert_eq!(Content::parse("same:7"), Ok(Content::Same(7)));
        assert_eq!(Content::parse("copy:buf"), Ok(Content::Copy("buf".into())));
        assert!(Content::parse("same:300").is_err());
        assert!(Content::parse("bogus").is_err());
        assert!(Content::parse("copy:").is_err());
        let t = Content::Text.page(1, 0);
        assert_eq!(t, Content::Text.page(1, 0), "deterministic");
        assert_ne!(t, Content::Text.page(1, 1), "pages differ");
        assert!(t.iter().all(|b| b.is_ascii_lowercase() || *b == b' ' || *b == b'\n'));
        let lz = lz4_flex::block::compress(&t).len();
        assert!(lz < 2600, "text compresses: {lz}");
        assert!(lz4_flex::block::compress(&Content::Random.page(1, 0)).len() >= PAGE_BYTES);
    }
}
