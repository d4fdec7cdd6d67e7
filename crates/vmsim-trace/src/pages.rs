//! Page-reference strings: one page number per line, the plain-text trace format of libCacheSim.
//!
//! libCacheSim's plain-text reader (`libCacheSim/traceReader/generalReader/txt.c`, `txt_read_one_req`) reads one
//! object id per line with `strtoull(line, &end, 0)` and skips empty lines. We read the same ids, decimal or
//! `0x`-hexadecimal, and also skip lines starting with `#` and blanks around a number. Two differences: a leading `0`
//! is decimal here, where `strtoull` would read octal, and libCacheSim does not skip comments; [`write_pages`]
//! therefore writes plain decimal numbers without leading zeros or comments, which both readers agree on.

use crate::error::{quote, ParseErrorKind, Result};
use crate::reader::{self, BatchSource, Format, Parsed, Reader};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Page numbers [`write_pages`] formats before each write (at most 21 bytes each: 84 KiB).
const WRITE_CHUNK: usize = 4096;

/// Streaming reader of a page-reference trace, in constant memory.
///
/// Pull page numbers one at a time with [`Iterator`], or in batches with [`PagesReader::next_batch`] (faster).
/// After an error the reader ends.
pub struct PagesReader<R> {
    inner: Reader<R, Pages>,
}

impl PagesReader<File> {
    /// Opens the page trace at `path`; an error names the file and the OS reason.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Ok(Self::new(reader::open(path)?, path))
    }
}

impl<R: Read> PagesReader<R> {
    /// Reads a page trace from `reader`; `path` only names it in error messages. Reads are large, so `reader` need
    /// not be buffered.
    pub fn new(reader: R, path: impl Into<PathBuf>) -> Self {
        Self { inner: Reader::new(reader, path.into()) }
    }

    /// Sets the read block size in bytes (default 1 MiB), which is also the longest accepted line.
    #[must_use]
    pub fn block_bytes(mut self, bytes: usize) -> Self {
        self.inner.set_block_bytes(bytes);
        self
    }

    /// Sets the most page numbers [`next_batch`](Self::next_batch) returns (default 65,536; at least 2).
    #[must_use]
    pub fn batch_len(mut self, records: usize) -> Self {
        self.inner.set_batch_len(records);
        self
    }

    /// Replaces the contents of `out` with the next page numbers, at most the batch length, and returns how many.
    ///
    /// Returns 0 only at the end of the trace. A bad line is reported by the call after the one returning the
    /// page numbers before it; later calls return 0.
    pub fn next_batch(&mut self, out: &mut Vec<u64>) -> Result<usize> {
        self.inner.next_batch(out)
    }
}

impl<R: Read> Iterator for PagesReader<R> {
    type Item = Result<u64>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next_record()
    }
}

impl<R: Read> BatchSource for PagesReader<R> {
    type Record = u64;
    fn next_batch(&mut self, out: &mut Vec<u64>) -> Result<usize> {
        self.inner.next_batch(out)
    }
}

impl<R> fmt::Debug for PagesReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PagesReader").field(&self.inner).finish()
    }
}

/// Writes `pages` one decimal number per line, the format [`PagesReader`] and libCacheSim read.
///
/// Formats in chunks, so each write is large: `out` need not be buffered.
pub fn write_pages<W: Write + ?Sized>(out: &mut W, pages: &[u64]) -> io::Result<()> {
    let mut text = Vec::with_capacity(WRITE_CHUNK.min(pages.len()) * 21);
    for chunk in pages.chunks(WRITE_CHUNK) {
        text.clear();
        for &page in chunk {
            push_decimal(&mut text, page);
            text.push(b'\n');
        }
        out.write_all(&text)?;
    }
    Ok(())
}

/// Appends `value` in decimal.
fn push_decimal(text: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20 digits
    let mut len = 0;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
        len += 1;
        if value == 0 {
            break;
        }
    }
    text.extend_from_slice(digits.get(digits.len() - len..).unwrap_or_default());
}

/// The page-number line format, for [`Reader`].
pub(crate) struct Pages;

impl Format for Pages {
    type Record = u64;

    fn parse(chunk: &[u8], out: &mut Vec<u64>, limit: usize) -> Parsed {
        let (mut consumed, mut lines) = (0, 0);
        while out.len() < limit {
            let Some(line) = chunk.get(consumed..).filter(|rest| !rest.is_empty()) else { break };
            match parse_line(line, out) {
                Ok(len) => {
                    consumed += len;
                    lines += 1;
                }
                Err(error) => return Parsed { consumed, lines, error: Some(error) },
            }
        }
        Parsed { consumed, lines, error: None }
    }
}

const BAD_PAGE_HINT: &str = "expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`";

/// Parses one line at the start of `s`, appends its page number (if any) to `out` and returns the bytes consumed,
/// newline included.
#[inline(always)]
fn parse_line(s: &[u8], out: &mut Vec<u64>) -> std::result::Result<usize, (ParseErrorKind, &'static str)> {
    let mut i = skip_blanks(s, 0);
    let number_at = i;
    let (radix, digits_at) = match (s.get(i), s.get(i + 1)) {
        (None | Some(b'\n'), _) => return Ok(i + usize::from(s.get(i).is_some())), // a blank line
        (Some(b'#'), _) => return Ok(line_len(s)),                                 // a comment
        (Some(b'0'), Some(b'x' | b'X')) => (16, i + 2),
        _ => (10, i),
    };
    i = digits_at;
    let mut page: u64 = 0;
    while let Some(&b) = s.get(i) {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' if radix == 16 => b - b'a' + 10,
            b'A'..=b'F' if radix == 16 => b - b'A' + 10,
            _ => break,
        };
        let Some(bigger) = page.checked_mul(radix).and_then(|p| p.checked_add(u64::from(digit))) else {
            let text = quote(token(s, number_at));
            return Err((ParseErrorKind::PageTooLarge(text), "page numbers are at most 18446744073709551615"));
        };
        page = bigger;
        i += 1;
    }
    let len = match s.get(i) {
        Some(b'\n') if i > digits_at => i + 1,
        None if i > digits_at => i,
        Some(b' ' | b'\t' | b'\r') if i > digits_at => {
            let rest = skip_blanks(s, i);
            match s.get(rest) {
                Some(b'\n') => rest + 1,
                None => rest,
                Some(_) => {
                    let text = quote(trim_end(s.get(rest..line_len(s)).unwrap_or_default()));
                    return Err((ParseErrorKind::TrailingText(text), "expected one page number per line"));
                }
            }
        }
        _ => return Err((ParseErrorKind::BadPage(quote(token(s, number_at))), BAD_PAGE_HINT)),
    };
    out.push(page);
    Ok(len)
}

/// The index of the first non-blank byte at or after `i`.
#[inline(always)]
fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r') = s.get(i) {
        i += 1;
    }
    i
}

/// The length of the line at the start of `s`, newline included.
fn line_len(s: &[u8]) -> usize {
    s.iter().position(|&b| b == b'\n').map_or(s.len(), |i| i + 1)
}

/// The field starting at `at`, up to a blank or the line end.
#[cold]
fn token(s: &[u8], at: usize) -> &[u8] {
    let rest = s.get(at..).unwrap_or_default();
    let end = rest.iter().position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

fn trim_end(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')).map_or(0, |i| i + 1);
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn parse_all(text: &[u8]) -> Result<Vec<u64>> {
        PagesReader::new(text, "pages.txt").collect()
    }

    fn error(text: &str) -> String {
        match parse_all(text.as_bytes()) {
            Ok(pages) => format!("parsed: {pages:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn decimal_and_hex() {
        let text = "0\n1\n4096\n0x1000\n0Xabc\n0xFF\n007\n18446744073709551615\n0xffffffffffffffff\n";
        assert_eq!(parse_all(text.as_bytes()), Ok(vec![0, 1, 4096, 0x1000, 0xabc, 0xff, 7, u64::MAX, u64::MAX]));
    }

    #[test]
    fn comments_blanks_and_whitespace() {
        let text = "# page trace of matmul\n\n  12  \n\t0x10\t\r\n   # indented comment\n \r\n#\n13";
        assert_eq!(parse_all(text.as_bytes()), Ok(vec![12, 0x10, 13]));
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(parse_all(b""), Ok(vec![]));
        assert_eq!(parse_all(b"\n\n# nothing\n"), Ok(vec![]));
    }

    #[test]
    fn error_messages() {
        let hint = "expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`";
        let cases = [
            ("12ab", format!(r#"pages.txt:1: page number "12ab" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            ("1\n2\nx", format!(r#"pages.txt:3: page number "x" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            ("0x\n", format!(r#"pages.txt:1: page number "0x" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            ("0x1g", format!(r#"pages.txt:1: page number "0x1g" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            ("-1", format!(r#"pages.txt:1: page number "-1" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            ("1,2", format!(r#"pages.txt:1: page number "1,2" is not a decimal or 0x-hexadecimal number ({hint})"#)),
            (
                "18446744073709551616",
                r#"pages.txt:1: page number "18446744073709551616" does not fit in 64 bits (page numbers are at most 18446744073709551615)"#.into(),
            ),
            (
                "0x10000000000000000",
                r#"pages.txt:1: page number "0x10000000000000000" does not fit in 64 bits (page numbers are at most 18446744073709551615)"#.into(),
            ),
            ("1\n\n 12 13 \n", r#"pages.txt:3: unexpected text "13" after the record (expected one page number per line)"#.into()),
            ("12 # comment", r##"pages.txt:1: unexpected text "# comment" after the record (expected one page number per line)"##.into()),
        ];
        for (text, want) in cases {
            assert_eq!(error(text), want, "input {text:?}");
        }
    }

    #[test]
    fn lines_split_across_blocks() {
        let text = b"# comment line\n18446744073709551615\n0x1234\n\n7\n 99 \n0";
        let want = parse_all(text);
        for block in 22..=40 {
            let got = PagesReader::new(&text[..], "t").block_bytes(block).collect::<Result<Vec<_>>>();
            assert_eq!(got, want, "block {block}");
        }
    }

    #[test]
    fn error_on_last_line_split_across_blocks() {
        let text = b"100000\n200000\n300000\n40000z";
        for block in 8..=30 {
            let got = PagesReader::new(&text[..], "t").block_bytes(block).collect::<Result<Vec<_>>>();
            assert_eq!(got.map_err(|e| (e.line, e.kind)), Err((4, ParseErrorKind::BadPage("40000z".into()))));
        }
    }

    #[test]
    fn line_too_long() {
        let got = PagesReader::new(&b"1\n# a long comment line\n"[..], "t").block_bytes(8).collect::<Result<Vec<_>>>();
        assert_eq!(got.map_err(|e| (e.line, e.kind)), Err((2, ParseErrorKind::TooLong(8))));
    }

    #[test]
    fn open_missing_file_names_it() {
        let err = PagesReader::open("/nonexistent/p.txt").map(|_| ()).map_err(|e| e.to_string());
        let want =
            "/nonexistent/p.txt: cannot open: No such file or directory (os error 2) (check the path and permissions)";
        assert_eq!(err, Err(want.into()));
    }

    #[test]
    fn writer_format() -> io::Result<()> {
        let mut out = Vec::new();
        write_pages(&mut out, &[0, 7, 10, 4096, u64::MAX])?;
        assert_eq!(String::from_utf8_lossy(&out), "0\n7\n10\n4096\n18446744073709551615\n");
        Ok(())
    }

    fn round_trip(pages: &[u64], block: usize, batch: usize) -> std::result::Result<(), TestCaseError> {
        let mut text = Vec::new();
        write_pages(&mut text, pages).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: Result<Vec<u64>> = PagesReader::new(&text[..], "t").block_bytes(block).collect();
        prop_assert_eq!(got.as_deref(), Ok(pages));
        let mut r = PagesReader::new(&text[..], "t").block_bytes(block).batch_len(batch);
        let (mut out, mut batched) = (Vec::new(), Vec::new());
        while r.next_batch(&mut out).map_err(|e| TestCaseError::fail(e.to_string()))? > 0 {
            prop_assert!(out.len() <= batch.max(2));
            batched.extend_from_slice(&out);
        }
        prop_assert_eq!(&batched[..], pages);
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip_wide(pages in vec(any::<u64>(), 0..500), block in 21usize..200, batch in 1usize..100) {
            round_trip(&pages, block, batch)?;
        }

        #[test]
        fn round_trip_narrow(
            pages in vec(prop_oneof![0u64..20, u64::MAX - 20..=u64::MAX], 0..500),
            block in 21usize..40,
            batch in 1usize..4,
        ) {
            round_trip(&pages, block, batch)?;
        }

        #[test]
        fn hex_spellings_read_back(pages in vec(any::<u64>(), 0..200), upper in any::<bool>()) {
            let text: String = pages.iter().map(|p| if upper { format!("0X{p:X}\n") } else { format!(" 0x{p:x} \r\n") }).collect();
            prop_assert_eq!(parse_all(text.as_bytes()), Ok(pages));
        }

        #[test]
        fn garbage_never_panics_and_both_apis_agree(
            bytes in prop_oneof![
                vec(any::<u8>(), 0..600),
                vec(prop::sample::select(b" \t\r\n#xX0123456789abcdefABCDEFz,-\xff".to_vec()), 0..600),
            ],
            block in 1usize..80,
            batch in 1usize..8,
        ) {
            let pulled: Vec<_> = PagesReader::new(&bytes[..], "t").block_bytes(block).collect();
            prop_assert!(pulled.len() <= bytes.len() + 1);
            prop_assert!(pulled.iter().take(pulled.len().saturating_sub(1)).all(Result::is_ok));
            let mut r = PagesReader::new(&bytes[..], "t").block_bytes(block).batch_len(batch);
            let (mut out, mut batched) = (Vec::new(), Vec::new());
            loop {
                match r.next_batch(&mut out) {
                    Ok(0) => break,
                    Ok(_) => batched.extend(out.iter().copied().map(Ok)),
                    Err(e) => {
                        prop_assert!(e.line >= 1);
                        batched.push(Err(e));
                    }
                }
            }
            prop_assert_eq!(pulled, batched);
        }
    }
}
