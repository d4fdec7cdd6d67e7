//! Reader for the memory traces of valgrind's lackey tool (`valgrind --tool=lackey --trace-mem=yes PROG`).
//!
//! Format, from `lackey/lk_main.c` (`trace_instr`, `trace_load`, `trace_store`, `trace_modify`), one access per line:
//!
//! ```text
//! I  0401ab70,3        instruction fetch: printf("I  %08lx,%lu\n", addr, size)
//!  L 1fff000688,8      data load
//!  S 1fff000688,8      data store
//!  M 1fff000688,8      data modify: a load then a store of the same bytes, read here as two accesses
//! ```
//!
//! The address is hexadecimal (an optional `0x` is accepted), the size decimal. Lackey writes the trace to stderr,
//! between valgrind's own messages (`==1234== Lackey, an example Valgrind tool`); lines starting with `==` or with
//! valgrind's verbose prefix `--` are skipped, as are blank lines. Blanks around the fields, `\r\n` line ends and a
//! last line without a newline are accepted. Anything else is an error, including output of the traced program
//! itself: send it elsewhere (`PROG > /dev/null 2> trace`) or use `--log-file`.

use crate::error::{quote, ParseErrorKind, Result};
use crate::reader::{self, BatchSource, Format, Parsed, Reader};
use crate::record::{Access, AccessKind};
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Streaming reader of a lackey trace, in constant memory.
///
/// Pull records one at a time with [`Iterator`], or in batches with [`LackeyReader::next_batch`] (faster). An `M`
/// line yields a [`AccessKind::Read`] then a [`AccessKind::Write`] of the same bytes. After an error the reader ends.
pub struct LackeyReader<R> {
    inner: Reader<R, Lackey>,
}

impl LackeyReader<File> {
    /// Opens the lackey trace at `path`; an error names the file and the OS reason.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Ok(Self::new(reader::open(path)?, path))
    }
}

impl<R: Read> LackeyReader<R> {
    /// Reads a lackey trace from `reader`; `path` only names it in error messages. Reads are large, so `reader`
    /// need not be buffered.
    pub fn new(reader: R, path: impl Into<PathBuf>) -> Self {
        Self { inner: Reader::new(reader, path.into()) }
    }

    /// Sets the read block size in bytes (default 1 MiB), which is also the longest accepted line.
    #[must_use]
    pub fn block_bytes(mut self, bytes: usize) -> Self {
        self.inner.set_block_bytes(bytes);
        self
    }

    /// Sets the most records [`next_batch`](Self::next_batch) returns (default 65,536; at least 2).
    #[must_use]
    pub fn batch_len(mut self, records: usize) -> Self {
        self.inner.set_batch_len(records);
        self
    }

    /// Replaces the contents of `out` with the next records, at most the batch length, and returns how many.
    ///
    /// Returns 0 only at the end of the trace. A bad line is reported by the call after the one returning the
    /// records before it; later calls return 0.
    pub fn next_batch(&mut self, out: &mut Vec<Access>) -> Result<usize> {
        self.inner.next_batch(out)
    }
}

impl<R: Read> Iterator for LackeyReader<R> {
    type Item = Result<Access>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next_record()
    }
}

impl<R: Read> BatchSource for LackeyReader<R> {
    type Record = Access;
    fn next_batch(&mut self, out: &mut Vec<Access>) -> Result<usize> {
        self.inner.next_batch(out)
    }
}

impl<R> fmt::Debug for LackeyReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LackeyReader").field(&self.inner).finish()
    }
}

/// The lackey line format, for [`Reader`].
pub(crate) struct Lackey;

impl Format for Lackey {
    type Record = Access;

    fn parse(chunk: &[u8], out: &mut Vec<Access>, limit: usize) -> Parsed {
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

/// A bad line: what is wrong and the hint.
type Bad = (ParseErrorKind, &'static str);

const UNKNOWN_OP_HINT: &str = "expected I, L, S or M";

/// The value of each byte as a hex digit, or `NOT_HEX`.
const NOT_HEX: u8 = 0xff;
const HEX_DIGITS: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut d: u8 = 0;
    while d < 10 {
        table[(b'0' + d) as usize] = d;
        d += 1;
    }
    let mut d: u8 = 0;
    while d < 6 {
        table[(b'a' + d) as usize] = 10 + d;
        table[(b'A' + d) as usize] = 10 + d;
        d += 1;
    }
    table
};

/// `0x01` in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
const HIGHS: u64 = ONES * 0x80;

/// The number of leading hex digits in the eight bytes of `block` (the first byte in the low bits), and their
/// value. SWAR: all eight bytes are classified and converted at once, without a branch per digit.
#[inline(always)]
fn hex_block(block: u64) -> (u32, u64) {
    let low7 = block & !HIGHS;
    // High bit of each byte set where the byte is in lo..=hi. The sums cannot carry: low7 bytes are below 0x80 and
    // the added constants below 0x50.
    let in_range = |lo: u8, hi: u8| {
        let at_least_lo = low7 + ONES * u64::from(0x80 - lo);
        let above_hi = low7 + ONES * u64::from(0x7f - hi);
        at_least_lo & !above_hi & HIGHS
    };
    let hex = (in_range(b'0', b'9') | in_range(b'a', b'f') | in_range(b'A', b'F')) & !block;
    let digits = (!hex & HIGHS).trailing_zeros() / 8;
    if digits == 0 {
        return (0, 0);
    }
    // Shift the digits to the top lanes; the zero bytes shifted in below them read as leading zeros.
    let x = block << (8 * (8 - digits));
    // Nibble per byte: '0'..'9' have bit 6 clear, 'a'..'f' and 'A'..'F' set (add 9 to their low nibble 1..6).
    let nibbles = (x & (ONES * 0x0f)) + ((x >> 6) & ONES) * 9;
    // Pack: the earlier digit (lower lane) is the more significant one.
    let bytes = ((nibbles & 0x000f_000f_000f_000f) << 4) | ((nibbles >> 8) & 0x000f_000f_000f_000f);
    let halves = ((bytes & 0x0000_00ff_0000_00ff) << 8) | ((bytes >> 16) & 0x0000_00ff_0000_00ff);
    (digits, ((halves & 0xffff) << 16) | ((halves >> 32) & 0xffff))
}

/// Parses one line at the start of `s`, appends its accesses to `out` and returns the bytes consumed, newline
/// included.
#[inline(always)]
fn parse_line(s: &[u8], out: &mut Vec<Access>) -> std::result::Result<usize, Bad> {
    let (op, mut i) = match s {
        // Fast path: the exact layout lk_main.c prints.
        [b'I', b' ', b' ', ..] => (b'I', 3),
        [b' ', op @ (b'L' | b'S' | b'M'), b' ', ..] => (*op, 3),
        _ => match parse_prefix(s)? {
            Prefix::Op(op, i) => (op, i),
            Prefix::Skip(len) => return Ok(len),
        },
    };
    i = skip_blanks(s, i);

    // The address: hex, with an optional 0x.
    let addr_at = i;
    if let Some(b"0x" | b"0X") = s.get(i..i + 2) {
        i += 2;
    }
    let digits_at = i;
    let mut addr: u64 = 0;
    let mut too_large = false;
    // The first eight digits at once (lackey prints at least eight), any others one at a time.
    if let Some(block) = s.get(i..i + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        let (digits, value) = hex_block(u64::from_le_bytes(block));
        addr = value;
        i += digits as usize;
    }
    while let Some(&b) = s.get(i) {
        let digit = HEX_DIGITS[usize::from(b)];
        if digit == NOT_HEX {
            break;
        }
        too_large |= addr > u64::MAX >> 4;
        addr = addr << 4 | u64::from(digit);
        i += 1;
    }
    if too_large {
        let text = quote(token(s, addr_at, true));
        return Err((ParseErrorKind::AddressTooLarge(text), "addresses have at most 16 hex digits"));
    }
    match s.get(i) {
        Some(b',') if i > digits_at => i += 1,
        None | Some(b' ' | b'\t' | b'\r' | b'\n') if i > digits_at => {
            return Err((ParseErrorKind::MissingComma, "expected `addr,size`, as in ` L 1ffefff8a8,8`"));
        }
        _ => {
            let text = quote(token(s, addr_at, true));
            return Err((ParseErrorKind::BadAddress(text), "expected hex digits, as in ` L 1ffefff8a8,8`"));
        }
    }

    // The size: decimal.
    let size_at = i;
    let mut size: u64 = 0;
    while let Some(&b) = s.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        size = size * 10 + u64::from(digit); // cannot overflow: size <= u32::MAX before each step
        if size > u64::from(u32::MAX) {
            let text = quote(token(s, size_at, false));
            return Err((ParseErrorKind::SizeTooLarge(text), "sizes are at most 4294967295"));
        }
        i += 1;
    }
    let size = u32::try_from(size).unwrap_or(u32::MAX); // checked just above
    let len = match s.get(i) {
        Some(b'\n') if i > size_at => i + 1,
        None if i > size_at => i,
        Some(b' ' | b'\t' | b'\r') if i > size_at => {
            let rest = skip_blanks(s, i);
            match s.get(rest) {
                Some(b'\n') => rest + 1,
                None => rest,
                Some(_) => {
                    let text = quote(trim_end(s.get(rest..line_len(s)).unwrap_or_default()));
                    return Err((ParseErrorKind::TrailingText(text), "a lackey line ends after `addr,size`"));
                }
            }
        }
        _ => {
            let text = quote(token(s, size_at, false));
            return Err((ParseErrorKind::BadSize(text), "expected a decimal byte count, as in ` L 1ffefff8a8,8`"));
        }
    };

    if size == 0 {
        return Err((ParseErrorKind::ZeroSize, "lackey sizes are 1 or more: is the trace damaged?"));
    }
    if addr.checked_add(u64::from(size - 1)).is_none() {
        return Err((ParseErrorKind::AddressOverflow { addr, size }, "addr + size must not exceed 2^64"));
    }
    // One push per line whatever the operation (no unpredictable branch); lk_main.c: "M" is a load and a store of
    // the same location (a read-modify-write instruction), so it adds the store.
    let kind = match op {
        b'I' => AccessKind::Fetch,
        b'S' => AccessKind::Write,
        _ => AccessKind::Read,
    };
    out.push(Access { kind, addr, size });
    if op == b'M' {
        out.push(Access { kind: AccessKind::Write, addr, size });
    }
    Ok(len)
}

/// How a line not in lackey's exact layout starts.
enum Prefix {
    /// An operation (`I`, `L`, `S` or `M`), and the index after it.
    Op(u8, usize),
    /// A line to skip, and its length.
    Skip(usize),
}

/// The slow path for the start of a line: valgrind's messages, blank lines, and operations with unusual blanks.
#[inline(never)]
fn parse_prefix(s: &[u8]) -> std::result::Result<Prefix, Bad> {
    // Valgrind's own messages, `==pid== ...` and (verbose) `--pid-- ...`.
    if let [b'=', b'=', ..] | [b'-', b'-', ..] = s {
        return Ok(Prefix::Skip(line_len(s)));
    }
    let at = skip_blanks(s, 0);
    match s.get(at) {
        None | Some(b'\n') => Ok(Prefix::Skip(line_len(s))), // a blank line
        Some(&op @ (b'I' | b'L' | b'S' | b'M'))
            if matches!(s.get(at + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')) =>
        {
            Ok(Prefix::Op(op, at + 1))
        }
        Some(_) => Err((ParseErrorKind::UnknownOp(quote(token(s, at, true))), UNKNOWN_OP_HINT)),
    }
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

/// The field starting at `at`: up to a blank, the line end, or (with `comma`) a comma.
#[cold]
fn token(s: &[u8], at: usize, comma: bool) -> &[u8] {
    let rest = s.get(at..).unwrap_or_default();
    let end = rest.iter().position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n') || (comma && b == b','));
    rest.get(..end.unwrap_or(rest.len())).unwrap_or_default()
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

    const fn fetch(addr: u64, size: u32) -> Access {
        Access { kind: AccessKind::Fetch, addr, size }
    }
    const fn read(addr: u64, size: u32) -> Access {
        Access { kind: AccessKind::Read, addr, size }
    }
    const fn write(addr: u64, size: u32) -> Access {
        Access { kind: AccessKind::Write, addr, size }
    }

    fn parse_all(text: &[u8]) -> Result<Vec<Access>> {
        LackeyReader::new(text, "trace.txt").collect()
    }

    /// The error message for `text`, which must fail.
    fn error(text: &str) -> String {
        match parse_all(text.as_bytes()) {
            Ok(records) => format!("parsed: {records:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn hex_block_matches_scalar() {
        let cases: [(&[u8; 8], u32, u64); 8] = [
            (b"0401ab70", 8, 0x0401_ab70),
            (b"1fff0006", 8, 0x1fff_0006),
            (b"88,8\n I ", 2, 0x88),
            (b"ABCDEFab", 8, 0xabcd_efab),
            (b",3\n L 12", 0, 0),
            (b"9:;@`gG/", 1, 9),
            (b"f\xff123456", 1, 0xf),
            (b"\xc1\xb0000000", 0, 0),
        ];
        for (text, digits, value) in cases {
            assert_eq!(hex_block(u64::from_le_bytes(*text)), (digits, value), "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn each_operation() {
        let text = "I  0401ab70,3\n L 1fff000688,8\n S 1fff000680,4\n M 0403000,8\n";
        let want = [
            fetch(0x0401ab70, 3),
            read(0x1fff000688, 8),
            write(0x1fff000680, 4),
            read(0x403000, 8),
            write(0x403000, 8),
        ];
        assert_eq!(parse_all(text.as_bytes()), Ok(want.to_vec()));
    }

    #[test]
    fn valgrind_messages_and_blank_lines_are_skipped() {
        let text = "==6837== Lackey, an example Valgrind tool\n==6837== \n--6837-- verbose\n\n   \n\t\r\nI  10,1\n==6837== Counted 1 calls to main()\n";
        assert_eq!(parse_all(text.as_bytes()), Ok(vec![fetch(0x10, 1)]));
    }

    #[test]
    fn lenient_spelling() {
        let text = "I 0x10,1\n L 0XaBcD,2\r\n\tS   ff,3  \r\nM\t0000000000000000000000001,1\n L 20,4";
        let want = [fetch(0x10, 1), read(0xabcd, 2), write(0xff, 3), read(1, 1), write(1, 1), read(0x20, 4)];
        assert_eq!(parse_all(text.as_bytes()), Ok(want.to_vec()));
    }

    #[test]
    fn top_of_the_address_space() {
        let text = "I  ffffffffffffffff,1\n L fffffffffffffff8,8\n S ffffffffffffffff,1\n L 0,4294967295\n";
        let want = [fetch(u64::MAX, 1), read(u64::MAX - 7, 8), write(u64::MAX, 1), read(0, u32::MAX)];
        assert_eq!(parse_all(text.as_bytes()), Ok(want.to_vec()));
    }

    /// Lackey never writes a size of 0 (lackey/lk_main.c: `tl_assert(dsize >= 1 && dsize <= MAX_DSIZE)` for
    /// data, instruction lengths of at least `VG_MIN_INSTR_SZB` = 1): such a line is a located error.
    #[test]
    fn size_zero_is_an_error() {
        for text in ["I  04000000,0\n", " L 10,0\n", " S ffffffffffffffff,0\n", " M 1,00\n"] {
            let e = parse_all(text.as_bytes()).unwrap_err();
            assert_eq!((e.line, e.kind), (1, ParseErrorKind::ZeroSize), "{text:?}");
        }
        let e = LackeyReader::new(&b"I  1,1\n L 2,0\n"[..], "t.lackey").collect::<Result<Vec<_>>>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.lackey:2: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"
        );
    }

    #[test]
    fn error_messages() {
        let cases = [
            ("X 12,3", r#"trace.txt:1: unknown operation "X" (expected I, L, S or M)"#),
            ("I  1,1\nSB 04017000", r#"trace.txt:2: unknown operation "SB" (expected I, L, S or M)"#),
            (" Ld 12,3", r#"trace.txt:1: unknown operation "Ld" (expected I, L, S or M)"#),
            ("hello world", r#"trace.txt:1: unknown operation "hello" (expected I, L, S or M)"#),
            ("I  04zz,3", r#"trace.txt:1: address "04zz" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"#),
            ("I  ,3", r#"trace.txt:1: address "" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"#),
            ("I", r#"trace.txt:1: address "" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"#),
            (" L 0x,8", r#"trace.txt:1: address "0x" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"#),
            (
                " L 10000000000000000,8",
                r#"trace.txt:1: address "10000000000000000" does not fit in 64 bits (addresses have at most 16 hex digits)"#,
            ),
            (" L 0401 8", "trace.txt:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
            (" L 0401\n", "trace.txt:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
            (" L 0401,x", r#"trace.txt:1: size "x" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"#),
            (" L 0401,", r#"trace.txt:1: size "" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"#),
            (" L 0401,8x", r#"trace.txt:1: size "8x" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"#),
            (" L 0401,-8", r#"trace.txt:1: size "-8" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"#),
            (" L 0401,,8", r#"trace.txt:1: size ",8" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"#),
            (" L 0401,4294967296", r#"trace.txt:1: size "4294967296" does not fit in 32 bits (sizes are at most 4294967295)"#),
            (
                " L ffffffffffffffff,2",
                "trace.txt:1: 2-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space (addr + size must not exceed 2^64)",
            ),
            (
                " L fffffffffffffff9,8",
                "trace.txt:1: 8-byte access at 0xfffffffffffffff9 runs past the top of the 64-bit address space (addr + size must not exceed 2^64)",
            ),
            (" L 0401,8 extra words \r\n", r#"trace.txt:1: unexpected text "extra words" after the record (a lackey line ends after `addr,size`)"#),
            (" L 0401,8 ,9", r#"trace.txt:1: unexpected text ",9" after the record (a lackey line ends after `addr,size`)"#),
        ];
        for (text, want) in cases {
            assert_eq!(error(text), want, "input {text:?}");
        }
    }

    #[test]
    fn long_garbage_is_quoted_short() {
        let text = format!("{}\n", "Z".repeat(100));
        assert_eq!(
            error(&text),
            format!("trace.txt:1: unknown operation \"{}…\" (expected I, L, S or M)", "Z".repeat(32))
        );
    }

    #[test]
    fn error_line_counts_messages_and_blank_lines() {
        let text = "==1== banner\n\nI  1,1\n M 2,2\n\n L 3,zz\n";
        assert!(error(text).starts_with("trace.txt:6: size \"zz\""), "{}", error(text));
    }

    #[test]
    fn error_on_last_line_without_newline() {
        assert!(error("I  1,1\n L 2,2\n S zz,3").starts_with("trace.txt:3: address \"zz\""));
        assert!(error("I  1,1\n L 2,2\n S 3").starts_with("trace.txt:3: missing ','"));
        assert!(error("I  1,1\n L 2,2\nQ").starts_with("trace.txt:3: unknown operation \"Q\""));
    }

    #[test]
    fn records_before_a_bad_line_come_first() {
        let mut r = LackeyReader::new(&b"I  1,1\n M 2,2\n L zz,3\nI  4,4\n"[..], "t");
        assert_eq!(r.next(), Some(Ok(fetch(1, 1))));
        assert_eq!(r.next(), Some(Ok(read(2, 2))));
        assert_eq!(r.next(), Some(Ok(write(2, 2))));
        assert_eq!(r.next().map(|e| e.map_err(|e| e.line)), Some(Err(3)));
        assert_eq!(r.next(), None);
    }

    #[test]
    fn lines_split_across_blocks() {
        let text = b"==1== a long valgrind banner line\nI  0401ab70,3\n L 1fff000688,8\n M 0403000,8\n S 1fff000680,4";
        let want = parse_all(text);
        for block in 34..=48 {
            for batch in [2, 3, 1000] {
                let r = LackeyReader::new(&text[..], "trace.txt").block_bytes(block).batch_len(batch);
                assert_eq!(r.collect::<Result<Vec<_>>>(), want, "block {block}");
            }
        }
    }

    #[test]
    fn error_in_a_line_split_across_blocks() {
        let text = b"I  0401ab70,3\n L 1fff000688,8\n M 0403000,8\n S 1fff00068x,4\n";
        for block in 18..=40 {
            let got = LackeyReader::new(&text[..], "trace.txt").block_bytes(block).collect::<Result<Vec<_>>>();
            assert_eq!(got.map_err(|e| (e.line, e.kind)), Err((4, ParseErrorKind::BadAddress("1fff00068x".into()))));
        }
    }

    #[test]
    fn line_too_long_for_the_block() {
        let text = b"I  1,1\n==1== Command: ./prog with a very long argument list\nI  2,2\n";
        let got = LackeyReader::new(&text[..], "trace.txt").block_bytes(32).collect::<Result<Vec<_>>>();
        let got = got.map_err(|e| e.to_string());
        assert_eq!(got, Err("trace.txt:2: line is longer than 32 bytes (lines are at most a few dozen bytes: is this the right trace format?)".into()));
    }

    #[test]
    fn open_missing_file_names_it() {
        let err = LackeyReader::open("/nonexistent/x.lackey").map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("/nonexistent/x.lackey: cannot open: No such file or directory (os error 2) (check the path and permissions)".into())
        );
    }

    #[test]
    fn real_capture_parses_fully() -> Result<()> {
        // tests/data/nolibc.c says how it was captured. Its summary reports "guest instrs: 8,204".
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nolibc.lackey");
        let mut r = LackeyReader::open(path)?;
        let (mut batch, mut all) = (Vec::new(), Vec::new());
        while r.next_batch(&mut batch)? > 0 {
            all.extend_from_slice(&batch);
        }
        let count = |kind| all.iter().filter(|a| a.kind == kind).count();
        // 8204 I lines; 1024 L + 512 M loads; 512 S + 512 M stores.
        assert_eq!((count(AccessKind::Fetch), count(AccessKind::Read), count(AccessKind::Write)), (8204, 1536, 1024));
        // The code is in one 4 KiB page, `buf` fills another: no other memory is touched.
        let mut pages: Vec<u64> = all.iter().flat_map(|a| crate::pages_touched(a.addr, a.size, 12)).collect();
        pages.sort_unstable();
        pages.dedup();
        assert_eq!(pages.len(), 2, "{pages:x?}");
        assert!(all.iter().filter(|a| a.kind == AccessKind::Fetch).all(|a| a.addr >> 12 == pages[0]));
        assert!(all.iter().all(|a| (1..=8).contains(&a.size)));
        Ok(())
    }

    /// How to spell a record: the round trip must not depend on it.
    #[derive(Debug, Clone, Copy)]
    struct Spelling {
        prefix: bool,
        upper: bool,
        pad: usize,
        crlf: bool,
        trailing_blank: bool,
        banner_before: bool,
    }

    #[derive(Debug, Clone, Copy)]
    enum Op {
        I,
        L,
        S,
        M,
    }

    fn spelling() -> impl Strategy<Value = Spelling> {
        (any::<bool>(), any::<bool>(), 0usize..18, any::<bool>(), any::<bool>(), prop::bool::weighted(0.1)).prop_map(
            |(prefix, upper, pad, crlf, trailing_blank, banner_before)| Spelling {
                prefix,
                upper,
                pad,
                crlf,
                trailing_blank,
                banner_before,
            },
        )
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![Just(Op::I), Just(Op::L), Just(Op::S), Just(Op::M)]
    }

    /// A valid record: `addr + size <= 2^64`.
    fn record(
        addr: impl Strategy<Value = u64>,
        size: impl Strategy<Value = u32>,
    ) -> impl Strategy<Value = (Op, u64, u32)> {
        (op(), addr, size).prop_map(|(op, addr, size)| {
            // Sizes are 1 or more (size 0 is an error), and addr + size - 1 must not pass 2^64 - 1.
            let room = u64::MAX - addr;
            let size = size.max(1);
            let size = if u64::from(size - 1) > room { u32::try_from(room + 1).unwrap_or(u32::MAX) } else { size };
            (op, addr, size)
        })
    }

    fn write_lackey(records: &[((Op, u64, u32), Spelling)]) -> (String, Vec<Access>) {
        let (mut text, mut want) = (String::new(), Vec::new());
        for &((op, addr, size), sp) in records {
            if sp.banner_before {
                text.push_str("==4242== some valgrind message\n");
            }
            text.push_str(match op {
                Op::I => "I  ",
                Op::L => " L ",
                Op::S => " S ",
                Op::M => " M ",
            });
            let digits = if sp.upper { format!("{addr:0w$X}", w = sp.pad) } else { format!("{addr:0w$x}", w = sp.pad) };
            text.push_str(&format!("{}{digits},{size}", if sp.prefix { "0x" } else { "" }));
            text.push_str(if sp.trailing_blank { " " } else { "" });
            text.push_str(if sp.crlf { "\r\n" } else { "\n" });
            match op {
                Op::I => want.push(fetch(addr, size)),
                Op::L => want.push(read(addr, size)),
                Op::S => want.push(write(addr, size)),
                Op::M => want.extend([read(addr, size), write(addr, size)]),
            }
        }
        (text, want)
    }

    fn round_trip(
        records: &[((Op, u64, u32), Spelling)],
        block: usize,
        batch: usize,
        drop_last_newline: bool,
    ) -> std::result::Result<(), TestCaseError> {
        let (mut text, want) = write_lackey(records);
        if drop_last_newline {
            text.truncate(text.trim_end_matches(['\r', '\n']).len());
        }
        let got: Result<Vec<_>> = LackeyReader::new(text.as_bytes(), "t").block_bytes(block).collect();
        prop_assert_eq!(got, Ok(want.clone()));
        let mut r = LackeyReader::new(text.as_bytes(), "t").block_bytes(block).batch_len(batch);
        let (mut out, mut batched) = (Vec::new(), Vec::new());
        while r.next_batch(&mut out).map_err(|e| TestCaseError::fail(e.to_string()))? > 0 {
            prop_assert!(out.len() <= batch.max(2));
            batched.extend_from_slice(&out);
        }
        prop_assert_eq!(batched, want);
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip_wide(
            records in vec((record(any::<u64>(), any::<u32>()), spelling()), 0..200),
            block in 48usize..300,
            batch in 1usize..50,
            drop_last_newline in any::<bool>(),
        ) {
            round_trip(&records, block, batch, drop_last_newline)?;
        }

        #[test]
        fn round_trip_narrow(
            // Near the top of the address space and around small values, with sizes that just fit.
            records in vec((record(prop_oneof![0u64..64, u64::MAX - 64..=u64::MAX], 0u32..80), spelling()), 0..200),
            block in 48usize..100,
            batch in 1usize..5,
            drop_last_newline in any::<bool>(),
        ) {
            round_trip(&records, block, batch, drop_last_newline)?;
        }

        #[test]
        fn hex_block_agrees_with_a_byte_loop(block in any::<[u8; 8]>(), hexy in vec(prop::sample::select(b"09afAFgG/:@`,\xb0".to_vec()), 8)) {
            for bytes in [block, <[u8; 8]>::try_from(&hexy[..]).unwrap_or_default()] {
                let digits = bytes.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                let value = bytes.iter().take(digits).fold(0u64, |v, &b| v << 4 | u64::from(HEX_DIGITS[usize::from(b)]));
                prop_assert_eq!(hex_block(u64::from_le_bytes(bytes)), (u32::try_from(digits).unwrap_or(99), value));
            }
        }

        #[test]
        fn garbage_never_panics_and_both_apis_agree(
            bytes in prop_oneof![
                vec(any::<u8>(), 0..600),
                vec(prop::sample::select(b" \t\r\n,=-#ILSMxX0123456789abcdefABCDEFz\xff".to_vec()), 0..600),
            ],
            block in 1usize..80,
            batch in 1usize..8,
        ) {
            let pulled: Vec<_> = LackeyReader::new(&bytes[..], "t").block_bytes(block).collect();
            prop_assert!(pulled.len() <= bytes.len() * 2 + 1);
            prop_assert!(pulled.iter().take(pulled.len().saturating_sub(1)).all(Result::is_ok));
            let mut r = LackeyReader::new(&bytes[..], "t").block_bytes(block).batch_len(batch);
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
