//! What the trace-reader fuzz targets share: feeding the input all at once or in tiny reads, and comparing the two
//! results.

use std::fmt::{Debug, Display};
use std::io::Read;

/// A reader that returns at most 3 bytes per call, as a pipe may deliver them.
pub struct Trickle<'a>(pub &'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(3).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// `data` as a reader: whole, or 3 bytes per read with `trickle`.
pub fn source(data: &[u8], trickle: bool) -> Box<dyn Read + '_> {
    if trickle {
        Box::new(Trickle(data))
    } else {
        Box::new(data)
    }
}

/// The records a reader yields up to its first error, and that error's text.
pub fn collect<T, E: Display>(items: impl Iterator<Item = Result<T, E>>) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    for item in items {
        match item {
            Ok(x) => out.push(x),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
    (out, None)
}

/// Same result with a 64-byte block read 3 bytes at a time, except that a line longer than 64 bytes may stop
/// the small reader early (its records so far must then be a prefix of the whole read's). The whole read's error,
/// if any, is one non-empty line.
pub fn same<T: PartialEq + Debug>(whole: &(Vec<T>, Option<String>), small: &(Vec<T>, Option<String>)) {
    match &small.1 {
        Some(e) if e.contains("line is longer than 64 bytes") => {
            assert!(whole.0.starts_with(&small.0), "records differ before the long line")
        }
        _ => assert_eq!(whole, small, "block size or read size changed the result"),
    }
    if let Some(e) = &whole.1 {
        assert!(!e.is_empty() && !e.contains('\n'), "error is not one line: {e:?}");
    }
}
