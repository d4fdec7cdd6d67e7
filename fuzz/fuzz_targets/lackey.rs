//! The lackey reader on arbitrary bytes: it must never panic, and it must give the same records and the same
//! error (text included) whether it reads the input at once in 64 KiB blocks or 3 bytes at a time into 64-byte
//! blocks (records cut across reads and blocks).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmsim_fuzz::{collect, same, source};
use vmsim_trace::LackeyReader;

fn read_all(data: &[u8], block: Option<usize>) -> (Vec<(u8, u64, u32)>, Option<String>) {
    let r = LackeyReader::new(source(data, block.is_some()), "fuzz.lackey").block_bytes(block.unwrap_or(1 << 16));
    collect(r.map(|i| i.map(|a| (a.kind as u8, a.addr, a.size))))
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(data, None);
    let small = read_all(data, Some(64));
    same(&whole, &small);
});
