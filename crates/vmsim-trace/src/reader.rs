//! Block-buffered, batch-oriented reading of line-based traces, shared by the text formats.
//!
//! The input is read in large blocks into one buffer that is allocated once, so memory stays constant however long
//! the trace. Each block is cut after its last newline; the formats parse the whole lines before the cut straight
//! from the bytes, and the partial line after it is moved to the front of the buffer before the next read. A line
//! longer than the buffer is an error ([`ParseErrorKind::TooLong`]). An error stops the reader: the records before
//! the bad line are delivered first, then the error, then the end of the trace.

use crate::error::{ParseError, ParseErrorKind, Result};
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;
use std::path::PathBuf;

/// Default read block: 1 MiB amortizes the read system call to nothing and fits in L2.
pub(crate) const DEFAULT_BLOCK_BYTES: usize = 1 << 20;
/// Default records per batch: 64 Ki accesses (1 MiB of [`crate::Access`]) per hand-over to the simulator.
pub(crate) const DEFAULT_BATCH_LEN: usize = 1 << 16;
const TOO_LONG_HINT: &str = "lines are at most a few dozen bytes: is this the right trace format?";
const IO_HINT: &str = "the trace could not be read";
/// Smallest batch: one lackey `M` line yields two records, and a batch must hold a whole line.
const MIN_BATCH_LEN: usize = 2;
/// Records the record-at-a-time iterator parses ahead.
const ITER_BATCH_LEN: usize = 4096;

/// A source of record batches: a reader, or a [`crate::Threaded`] reader on another thread.
///
/// The simulator's replay loop is generic over this, so it runs the same with or without a parser thread.
pub trait BatchSource {
    /// What one record is: [`crate::Access`] for lackey traces, a `u64` page number for page traces.
    type Record;
    /// Replaces the contents of `out` with the next records and returns how many; 0 only at the end of the trace.
    ///
    /// The records before a bad line are returned first; the error comes from the next call, and the source ends.
    fn next_batch(&mut self, out: &mut Vec<Self::Record>) -> Result<usize>;
}

/// What a format's chunk parser did.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Bytes of whole lines consumed (including their newlines).
    pub(crate) consumed: usize,
    /// Lines consumed.
    pub(crate) lines: u64,
    /// The line just after the consumed ones is bad: what is wrong, and the hint.
    pub(crate) error: Option<(ParseErrorKind, &'static str)>,
}

/// A line-based trace format.
pub(crate) trait Format {
    /// What one record decodes to.
    type Record: Copy;
    /// Parses whole lines from `chunk`, appending their records to `out` while `out.len() < limit`.
    ///
    /// Every line in `chunk` ends in `\n`, except possibly the last one at the end of the input. A line yields at
    /// most two records. Parsing stops before a bad line, which is reported in [`Parsed::error`].
    fn parse(chunk: &[u8], out: &mut Vec<Self::Record>, limit: usize) -> Parsed;
}

/// The read buffer: `buf[pos..end]` holds whole unparsed lines, `buf[end..filled]` the start of a partial line.
struct Blocks<R> {
    inner: R,
    path: PathBuf,
    buf: Vec<u8>,
    block_bytes: usize,
    pos: usize,
    end: usize,
    filled: usize,
    eof: bool,
    /// Lines consumed so far.
    line: u64,
}

impl<R: Read> Blocks<R> {
    /// The whole unparsed lines, reading more input when none are left; empty at the end of the input.
    fn lines(&mut self) -> Result<&[u8]> {
        if self.pos == self.end && !self.eof {
            self.refill()?;
        }
        Ok(self.buf.get(self.pos..self.end).unwrap_or_default())
    }

    fn refill(&mut self) -> Result<()> {
        self.buf.copy_within(self.end..self.filled, 0);
        self.filled -= self.end;
        (self.pos, self.end) = (0, 0);
        if self.buf.len() < self.block_bytes {
            self.buf.resize(self.block_bytes, 0);
        }
        loop {
            let Some(free) = self.buf.get_mut(self.filled..).filter(|free| !free.is_empty()) else {
                // The buffer holds part of one line: fine if it is the last line and ends exactly here.
                return match read_retrying(&mut self.inner, &mut [0]) {
                    Ok(0) => self.end_of_input(),
                    Ok(_) => Err(self.error(ParseErrorKind::TooLong(self.block_bytes), TOO_LONG_HINT)),
                    Err(e) => Err(self.error(ParseErrorKind::Io(e.to_string()), IO_HINT)),
                };
            };
            match read_retrying(&mut self.inner, free) {
                Ok(0) => return self.end_of_input(),
                Ok(n) => {
                    let new = free.get(..n).unwrap_or_default();
                    let last_newline = new.iter().rposition(|&b| b == b'\n');
                    self.filled += n;
                    if let Some(i) = last_newline {
                        self.end = self.filled - n + i + 1;
                        return Ok(());
                    }
                }
                Err(e) => return Err(self.error(ParseErrorKind::Io(e.to_string()), IO_HINT)),
            }
        }
    }

    /// The input has ended: what is left is the last line, which has no newline.
    fn end_of_input(&mut self) -> Result<()> {
        self.eof = true;
        self.end = self.filled;
        Ok(())
    }

    fn consume(&mut self, bytes: usize, lines: u64) {
        self.pos += bytes;
        self.line += lines;
    }

    /// An error about the line after the consumed ones.
    fn error(&self, kind: ParseErrorKind, hint: &'static str) -> ParseError {
        ParseError { path: self.path.clone(), line: self.line + 1, kind, hint }
    }
}

/// A streaming reader of format `F`: batches for the simulator, records one at a time for everyone else.
pub(crate) struct Reader<R, F: Format> {
    blocks: Blocks<R>,
    batch_len: usize,
    /// An error found after some records of a batch, delivered by the next call.
    deferred: Option<ParseError>,
    done: bool,
    iter_buf: Vec<F::Record>,
    iter_pos: usize,
    format: PhantomData<F>,
}

impl<R, F: Format> fmt::Debug for Reader<R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.blocks.path)
            .field("line", &self.blocks.line)
            .field("block_bytes", &self.blocks.block_bytes)
            .field("batch_len", &self.batch_len)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read, F: Format> Reader<R, F> {
    pub(crate) fn new(inner: R, path: PathBuf) -> Self {
        let blocks = Blocks {
            inner,
            path,
            buf: Vec::new(), // allocated by the first read, after the block size is final
            block_bytes: DEFAULT_BLOCK_BYTES,
            pos: 0,
            end: 0,
            filled: 0,
            eof: false,
            line: 0,
        };
        let (batch_len, iter_buf) = (DEFAULT_BATCH_LEN, Vec::new());
        Self { blocks, batch_len, deferred: None, done: false, iter_buf, iter_pos: 0, format: PhantomData }
    }

    /// Sets the read block size, which is also the longest accepted line. Takes effect at the next read.
    pub(crate) fn set_block_bytes(&mut self, bytes: usize) {
        self.blocks.block_bytes = bytes.max(1);
    }

    pub(crate) fn set_batch_len(&mut self, records: usize) {
        self.batch_len = records.max(MIN_BATCH_LEN);
    }

    pub(crate) fn next_batch(&mut self, out: &mut Vec<F::Record>) -> Result<usize> {
        out.clear();
        // Records parsed ahead by the iterator come first.
        let ahead = self.iter_buf.get(self.iter_pos..).unwrap_or_default();
        let take = ahead.len().min(self.batch_len);
        out.extend_from_slice(ahead.get(..take).unwrap_or_default());
        self.iter_pos += take;
        self.fill(out, self.batch_len)
    }

    pub(crate) fn next_record(&mut self) -> Option<Result<F::Record>> {
        if let Some(&record) = self.iter_buf.get(self.iter_pos) {
            self.iter_pos += 1;
            return Some(Ok(record));
        }
        let mut buf = std::mem::take(&mut self.iter_buf);
        buf.clear();
        let filled = self.fill(&mut buf, ITER_BATCH_LEN);
        self.iter_buf = buf;
        self.iter_pos = 0;
        match filled {
            Ok(0) => None,
            Ok(_) => self.next_record(),
            Err(e) => Some(Err(e)),
        }
    }

    /// Appends records to `out` until it holds at least `batch_len - 1`, the input ends, or a line is bad.
    fn fill(&mut self, out: &mut Vec<F::Record>, batch_len: usize) -> Result<usize> {
        if let Some(err) = self.deferred.take() {
            return Err(err);
        }
        if self.done {
            return Ok(out.len());
        }
        // A line yields up to two records, so stop one short of the batch length.
        let limit = batch_len.saturating_sub(1).max(1);
        while out.len() < limit {
            let chunk = match self.blocks.lines() {
                Ok(chunk) => chunk,
                Err(err) => return self.fail(err, out),
            };
            if chunk.is_empty() {
                self.done = true;
                break;
            }
            let parsed = F::parse(chunk, out, limit);
            self.blocks.consume(parsed.consumed, parsed.lines);
            if let Some((kind, hint)) = parsed.error {
                let err = self.blocks.error(kind, hint);
                return self.fail(err, out);
            }
        }
        Ok(out.len())
    }

    /// Stops the reader; the error is returned now, or after the records already in `out`.
    fn fail(&mut self, err: ParseError, out: &[F::Record]) -> Result<usize> {
        self.done = true;
        if out.is_empty() {
            Err(err)
        } else {
            self.deferred = Some(err);
            Ok(out.len())
        }
    }
}

/// `Read::read`, retried while interrupted by a signal.
fn read_retrying(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

/// Opens `path` for reading, with an error that names it.
pub(crate) fn open(path: &std::path::Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| ParseError::open(path.to_path_buf(), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy format: each line is a decimal number, a line `x` is bad, `d` yields two records.
    struct Digits;

    impl Format for Digits {
        type Record = u64;
        fn parse(chunk: &[u8], out: &mut Vec<u64>, limit: usize) -> Parsed {
            let mut parsed = Parsed { consumed: 0, lines: 0, error: None };
            for line in chunk.split_inclusive(|&b| b == b'\n') {
                if out.len() >= limit {
                    break;
                }
                let text = std::str::from_utf8(line).unwrap_or("x").trim();
                match text {
                    "x" => {
                        parsed.error = Some((ParseErrorKind::BadPage(text.into()), "digits"));
                        break;
                    }
                    "d" => out.extend([7, 7]),
                    _ => out.push(text.parse().unwrap_or(0)),
                }
                parsed.consumed += line.len();
                parsed.lines += 1;
            }
            parsed
        }
    }

    /// Hands out its input a few bytes per read, with an interruption in between, to exercise refills.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        interrupt: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.step.min(buf.len()).min(self.data.len());
            let (head, tail) = self.data.split_at(n);
            buf[..n].copy_from_slice(head);
            self.data = tail;
            Ok(n)
        }
    }

    /// Fails on the second read.
    struct FailSecond(bool);

    impl Read for FailSecond {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Err(io::Error::other("disk on fire"));
            }
            let line = b"1\n2\n3";
            buf[..line.len()].copy_from_slice(line);
            Ok(line.len())
        }
    }

    fn reader(data: &[u8], block: usize, step: usize) -> Reader<Trickle<'_>, Digits> {
        let mut r = Reader::new(Trickle { data, step, interrupt: false }, PathBuf::from("t"));
        r.set_block_bytes(block);
        r
    }

    fn all(r: &mut Reader<impl Read, Digits>) -> (Vec<u64>, Option<ParseError>) {
        let mut got = Vec::new();
        while let Some(item) = r.next_record() {
            match item {
                Ok(v) => got.push(v),
                Err(e) => return (got, Some(e)),
            }
        }
        (got, None)
    }

    #[test]
    fn lines_split_across_blocks_and_reads() {
        let data = b"10\n200\n3000\n4\n55555\n6";
        for block in [6, 7, 8, 64] {
            for step in [1, 2, 3, 100] {
                let (got, err) = all(&mut reader(data, block, step));
                assert_eq!(got, [10, 200, 3000, 4, 55555, 6], "block {block} step {step}");
                assert_eq!(err, None);
            }
        }
    }

    #[test]
    fn line_longer_than_block_is_an_error_naming_its_line() {
        let (got, err) = all(&mut reader(b"1\n22\n333333\n4\n", 6, 2));
        assert_eq!(got, [1, 22]);
        let err = err.map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("t:3: line is longer than 6 bytes (lines are at most a few dozen bytes: is this the right trace format?)"));
    }

    #[test]
    fn last_line_may_fill_the_block_exactly() {
        assert_eq!(all(&mut reader(b"1\n123456", 6, 3)), (vec![1, 123456], None));
    }

    #[test]
    fn records_before_an_error_come_first_then_the_error_then_the_end() {
        let mut r = reader(b"1\n2\nx\n4\n", 64, 64);
        let mut out = Vec::new();
        assert_eq!(r.next_batch(&mut out), Ok(2));
        assert_eq!(out, [1, 2]);
        let err = r.next_batch(&mut out).map_err(|e| e.line);
        assert_eq!((err, out.len()), (Err(3), 0));
        assert_eq!(r.next_batch(&mut out), Ok(0));
        assert_eq!(r.next_record(), None);
    }

    #[test]
    fn error_on_first_line_is_returned_at_once() {
        let mut r = reader(b"x", 64, 64);
        assert_eq!(r.next_batch(&mut Vec::new()).map_err(|e| e.line), Err(1));
    }

    #[test]
    fn read_errors_are_located_and_stop_the_reader() {
        let mut r: Reader<_, Digits> = Reader::new(FailSecond(false), PathBuf::from("t"));
        let (got, err) = all(&mut r);
        assert_eq!(got, [1, 2]);
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("t:3: read error: disk on fire (the trace could not be read)")
        );
        assert_eq!(r.next_record(), None);
    }

    #[test]
    fn batches_respect_the_batch_length_and_pairs_stay_together() {
        let mut r = reader(b"1\nd\n2\nd\nd\n3\n", 64, 64);
        r.set_batch_len(2);
        let mut out = Vec::new();
        let mut batches = Vec::new();
        while r.next_batch(&mut out).unwrap_or(0) > 0 {
            batches.push(out.clone());
        }
        assert_eq!(batches, [vec![1], vec![7, 7], vec![2], vec![7, 7], vec![7, 7], vec![3]]);
    }

    #[test]
    fn iterator_and_batches_mix() {
        let mut r = reader(b"1\n2\n3\n4\n5\n", 64, 64);
        assert_eq!(r.next_record(), Some(Ok(1)));
        r.set_batch_len(2);
        let mut out = Vec::new();
        assert_eq!(r.next_batch(&mut out), Ok(2));
        assert_eq!(out, [2, 3]);
        r.set_batch_len(100);
        assert_eq!(r.next_batch(&mut out), Ok(2));
        assert_eq!(out, [4, 5]);
        assert_eq!(r.next_batch(&mut out), Ok(0));
    }

    #[test]
    fn empty_input_is_an_empty_trace() {
        assert_eq!(all(&mut reader(b"", 8, 8)), (vec![], None));
    }

    #[test]
    fn open_names_the_missing_file() {
        let err = open(std::path::Path::new("/nonexistent/dir/t.trace")).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("/nonexistent/dir/t.trace: cannot open: No such file or directory (os error 2) (check the path and permissions)".into())
        );
    }
}
