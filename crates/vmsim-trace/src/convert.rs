//! Converting a lackey trace into a page-reference string, to cross-check vmsim's replacement policies against
//! libCacheSim on a real program's references.

use crate::error::ParseError;
use crate::lackey::LackeyReader;
use crate::pages::write_pages;
use crate::record::pages_touched;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Page numbers converted before each write: bounds memory even for huge accesses at small page sizes.
const FLUSH_PAGES: usize = 1 << 16;

/// Converting a trace failed: the input was bad, or the output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The lackey trace is bad or unreadable.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Writing the page trace failed; carries the OS error.
    #[error("cannot write the page trace: {0}")]
    Write(io::Error),
}

/// Writes the page number of every page each access of the lackey trace touches, in trace order, in the format of
/// [`crate::PagesReader`] (one decimal number per line, which libCacheSim's plain-text reader also reads).
///
/// Page numbers are `addr >> page_shift` ([`pages_touched`]): an access crossing a page boundary gives one line per
/// page, an `M` line a load and a store. `path` names the input in error messages; neither `reader` nor `writer`
/// need be buffered. Returns the number of page references written.
pub fn lackey_to_pages<R: Read, W: Write>(
    reader: R,
    path: impl Into<PathBuf>,
    mut writer: W,
    page_shift: u32,
) -> Result<u64, ConvertError> {
    let mut lackey = LackeyReader::new(reader, path);
    let (mut accesses, mut pages) = (Vec::new(), Vec::with_capacity(FLUSH_PAGES));
    let mut written: u64 = 0;
    let mut flush = |pages: &mut Vec<u64>| {
        written += pages.len() as u64;
        let result = write_pages(&mut writer, pages).map_err(ConvertError::Write);
        pages.clear();
        result
    };
    while lackey.next_batch(&mut accesses)? > 0 {
        for access in &accesses {
            for page in pages_touched(access.addr, access.size, page_shift) {
                pages.push(page);
                if pages.len() >= FLUSH_PAGES {
                    flush(&mut pages)?;
                }
            }
        }
    }
    flush(&mut pages)?;
    writer.flush().map_err(ConvertError::Write)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PagesReader, Result};

    fn convert(text: &str, page_shift: u32) -> std::result::Result<String, String> {
        let mut out = Vec::new();
        match lackey_to_pages(text.as_bytes(), "trace.txt", &mut out, page_shift) {
            Ok(n) => {
                let text = String::from_utf8_lossy(&out).into_owned();
                assert_eq!(n, text.lines().count() as u64);
                Ok(text)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn one_line_per_page_touched() {
        let text = "==1== banner\nI  401000,4\n L 1fff,2\n M 3000,8\n S ffffffffffffffff,1\n L 5000,1\n";
        assert_eq!(convert(text, 12).as_deref(), Ok("1025\n1\n2\n3\n3\n4503599627370495\n5\n"));
        assert_eq!(convert(" L 1ffffe,4\n", 21).as_deref(), Ok("0\n1\n"));
    }

    #[test]
    fn huge_accesses_are_written_in_pieces() {
        let text = " L 0,200000\n";
        let want: String = (0..200_000).map(|p| format!("{p}\n")).collect();
        assert_eq!(convert(text, 0), Ok(want));
    }

    #[test]
    fn parse_errors_are_located() {
        let want = r#"trace.txt:2: unknown operation "X" (expected I, L, S or M)"#;
        assert_eq!(convert("I  1,1\nX 2,2\n", 12), Err(want.into()));
    }

    /// Accepts `room` bytes, then fails.
    struct Full(usize);

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            match self.0.min(buf.len()) {
                0 => Err(io::Error::other("no space left")),
                n => {
                    self.0 -= n;
                    Ok(n)
                }
            }
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_say_so() {
        let err = lackey_to_pages(&b"I  1,1\nI  2,2\n"[..], "t", Full(3), 0).map_err(|e| e.to_string());
        assert_eq!(err, Err("cannot write the page trace: no space left".into()));
    }

    #[test]
    fn real_capture_converts_and_reads_back() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nolibc.lackey");
        let mut out = Vec::new();
        let written = lackey_to_pages(std::fs::File::open(&path)?, &path, &mut out, 12)?;
        // One reference per access (nothing crosses a page): 8204 fetches, 1536 loads, 1024 stores.
        assert_eq!(written, 8204 + 1536 + 1024);
        let pages = PagesReader::new(&out[..], "pages").collect::<Result<Vec<u64>>>()?;
        assert_eq!(pages.len() as u64, written);
        assert_eq!(pages.first(), Some(&0x401));
        let mut distinct = pages.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 2);
        Ok(())
    }
}
