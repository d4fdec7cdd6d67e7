//! The pages reader on arbitrary bytes: no panic, the same pages and error read at once or 3 bytes at a time into 64-byte blocks, and
//! every page it accepts writes back (write_pages) and reads again as the same pages.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmsim_fuzz::{collect, same, source};
use vmsim_trace::{write_pages, PagesReader};

fn read_all(data: &[u8], block: Option<usize>) -> (Vec<u64>, Option<String>) {
    let r = PagesReader::new(source(data, block.is_some()), "fuzz.pages").block_bytes(block.unwrap_or(1 << 16));
    collect(r)
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(data, None);
    let small = read_all(data, Some(64));
    same(&whole, &small);
    let mut text = Vec::new();
    write_pages(&mut text, &whole.0).expect("write to a Vec");
    let again = read_all(&text, None);
    assert_eq!(again, (whole.0, None), "written pages do not read back");
});
