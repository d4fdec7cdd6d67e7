//! The lackey reader on arbitrary bytes: it must never panic, and it must give the same records and the same
//! error (text included) whether it reads the input at once in 64 KiB blocks or 3 bytes at a time into 64-byte
//! blocks (records cut across reads and blocks).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use vmsim_trace::LackeyReader;

fn read_all(data: &[u8], block: Option<usize>) -> (Vec<(u8, u64, u32)>, Option<String>) {
    let r = match block {
        // Reads of at most 3 bytes, as a pipe may deliver them.
        Some(b) => LackeyReader::new(Box::new(Trickle(data)) as Box<dyn Read>, "fuzz.lackey").block_bytes(b),
        None => LackeyReader::new(Box::new(data) as Box<dyn Read>, "fuzz.lackey").block_bytes(1 << 16),
    };
    let mut out = Vec::new();
    for item in r {
        match item {
            Ok(a) => out.push((a.kind as u8, a.addr, a.size)),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
    (out, None)
}

/// A reader that returns at most 3 bytes per call.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(3).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Same result with a 64-byte block read 3 bytes at a time, except that a line longer than 64 bytes may stop
/// the small reader early (its records so far must then be a prefix of the whole read's).
fn same(whole: &(Vec<(u8, u64, u32)>, Option<String>), small: &(Vec<(u8, u64, u32)>, Option<String>)) {
    match &small.1 {
        Some(e) if e.contains("line is longer than 64 bytes") => {
            assert!(whole.0.starts_with(&small.0), "records differ before the long line")
        }
        _ => assert_eq!(whole, small, "block size or read size changed the result"),
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(data, None);
    let small = read_all(data, Some(64));
    same(&whole, &small);
    if let Some(e) = &whole.1 {
        assert!(!e.is_empty() && !e.contains('\n'), "error is not one line: {e:?}");
    }
});
