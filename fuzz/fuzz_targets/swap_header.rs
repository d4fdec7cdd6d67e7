//! The SWAPSPACE2 header reader on an arbitrary page: no panic, one-line errors, and an accepted header encodes
//! to a page that parses to the same header. The first 8 bytes give the file's length in pages.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vmsim::addr::PAGE_BYTES;
use vmsim::swap::SwapHeader;

fuzz_target!(|data: &[u8]| {
    let (len, rest) = data.split_at(data.len().min(8));
    let mut n = [0u8; 8];
    n[..len.len()].copy_from_slice(len);
    let file_pages = u64::from_le_bytes(n);
    let mut page = [0u8; PAGE_BYTES];
    let take = rest.len().min(PAGE_BYTES);
    page[..take].copy_from_slice(&rest[..take]);
    match SwapHeader::parse(Path::new("fuzz.swap"), &page, file_pages) {
        Ok(h) => {
            let again = SwapHeader::parse(Path::new("fuzz.swap"), &h.encode(), file_pages).expect("re-encoded header");
            assert_eq!(h, again);
        }
        Err(e) => {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "error is not one line: {s:?}");
        }
    }
});
