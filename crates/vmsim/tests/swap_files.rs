//! Swap areas against real files and a naive model: SPEC §6 vectors on a 1 GiB swap file, header round trips,
//! corrupt headers (typed errors, no panics), `blkid`/`file`/util-linux `mkswap` cross-checks when those tools are
//! installed, and a property test of alloc/write/dup/free/read against a `BTreeMap`.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use vmsim::addr::PAGE_BYTES;
use vmsim::swap::header::{self, mkswap_with_uuid, read_swap_header};
use vmsim::swap::{mkswap, open_swapfile, SwapDeviceConfig, SwapEntry, SwapFileError, SwapSpace};

/// A file under the temp dir, unique to this process and call, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self(std::env::temp_dir().join(format!("vmsim-test-{}-{tag}-{n}.img", std::process::id())))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn file_cfg(path: &Path, priority: Option<i16>) -> SwapDeviceConfig {
    SwapDeviceConfig { priority, size_pages: None, file: Some(path.to_path_buf()) }
}

/// Overwrites `bytes` at `at` in the file.
fn poke(path: &Path, at: u64, bytes: &[u8]) {
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

/// Runs a host tool if it is installed; `None` (after a note) when it is not.
fn run_tool(tool: &str, args: &[&str]) -> Option<String> {
    match Command::new(tool).args(args).output() {
        Ok(out) => Some(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))),
        Err(e) => {
            eprintln!("note: {tool} not available ({e}); skipping this check");
            None
        }
    }
}

/// SPEC §6 vector: mkswap on 1 GiB → version 1, last_page 262143, magic at 4086..4095, 262143 slots = 1048572 kB.
#[test]
fn spec_6_one_gib_swap_file() {
    let tmp = TempPath::new("1g");
    let info = mkswap(tmp.path(), 1 << 30, Some("vmsim")).unwrap();
    assert_eq!((info.pages, info.usable_pages()), (262_144, 262_143));
    assert_eq!(fs::metadata(tmp.path()).unwrap().len(), 1 << 30);
    let mut bytes = [0u8; PAGE_BYTES];
    fs::File::open(tmp.path()).unwrap().read_exact(&mut bytes).unwrap();
    assert_eq!(bytes[1024..1028], [1, 0, 0, 0]);
    assert_eq!(bytes[1028..1032], 262_143u32.to_le_bytes());
    assert_eq!(bytes[4086..4096], [0x53, 0x57, 0x41, 0x50, 0x53, 0x50, 0x41, 0x43, 0x45, 0x32]);
    let h = read_swap_header(tmp.path()).unwrap();
    assert_eq!((h.version, h.last_page), (1, 262_143));
    let mut space = SwapSpace::new();
    assert_eq!(space.add(&file_cfg(tmp.path(), None)).unwrap(), 0);
    assert_eq!(space.total_pages(), 262_143);
    assert_eq!(space.total_pages() * 4, 1_048_572, "SwapTotal in kB");
    assert_eq!(space.area(0).unwrap().priority(), -2);
}

#[test]
fn reopening_a_file_returns_its_header_and_data() {
    let tmp = TempPath::new("reopen");
    let uuid = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00];
    let info = mkswap_with_uuid(tmp.path(), 64 * 4096, Some("teach"), uuid).unwrap();
    let page = [0x5a; PAGE_BYTES];
    {
        let mut area = open_swapfile(tmp.path()).unwrap();
        let h = area.header().unwrap();
        assert_eq!(h, &info.header);
        assert_eq!((h.last_page, h.label().as_deref(), h.uuid), (63, Some("teach"), uuid));
        assert_eq!(h.uuid_string(), "11223344-5566-7788-99aa-bbccddeeff00");
        assert_eq!(area.total_usable(), 63);
        let off = area.alloc().unwrap();
        assert_eq!(off, 1);
        area.write(off, &page).unwrap();
    }
    // The page is in the file at slot × 4096, and the header is untouched.
    let bytes = fs::read(tmp.path()).unwrap();
    assert!(bytes[4096..8192].iter().all(|&b| b == 0x5a));
    assert_eq!(read_swap_header(tmp.path()).unwrap(), info.header);
    // A reopened area starts with all slots free (swapon knows nothing of the old contents), but the bytes remain.
    let mut area = open_swapfile(tmp.path()).unwrap();
    assert_eq!(area.used(), 0);
    area.reserve(1).unwrap();
    let mut back = [0; PAGE_BYTES];
    area.read(1, &mut back).unwrap();
    assert_eq!(back, page);
}

#[test]
fn corrupt_or_short_files_give_located_errors() {
    let tmp = TempPath::new("corrupt");
    let path = tmp.path();
    let fresh = || {
        mkswap(path, 40 * 4096, None).unwrap();
    };
    fresh();
    poke(path, 4086, b"NOTASWAP!!");
    let e = open_swapfile(path).unwrap_err();
    let shown = format!("{}: bad magic at byte 4086: expected \"SWAPSPACE2\"", path.display());
    assert!(e.to_string().starts_with(&shown), "{e}");
    assert!(e.to_string().ends_with("(create it with vmsim mkswap)"), "{e}");

    fresh();
    poke(path, 1024, &2u32.to_le_bytes());
    assert!(matches!(open_swapfile(path), Err(SwapFileError::BadVersion { offset: 1024, version: 2, .. })));

    fresh();
    poke(path, 1028, &40u32.to_le_bytes());
    let e = open_swapfile(path).unwrap_err();
    assert!(matches!(e, SwapFileError::ShorterThanSignature { offset: 1028, last_page: 40, file_pages: 40, .. }));
    assert!(e.to_string().contains("shorter than signature"), "{e}");

    fresh();
    poke(path, 1032, &1u32.to_le_bytes()); // one bad page, entry 0 at byte 1536
    assert!(matches!(open_swapfile(path), Err(SwapFileError::BadPageOutOfRange { offset: 1536, value: 0, .. })));
    poke(path, 1536, &7u32.to_le_bytes());
    let mut area = open_swapfile(path).unwrap();
    assert_eq!(area.total_usable(), 38, "40 pages − header − bad page 7");
    let got: Vec<u64> = std::iter::from_fn(|| area.alloc()).take(8).collect();
    assert_eq!(got, [1, 2, 3, 4, 5, 6, 8, 9]);

    fresh();
    OpenOptions::new().write(true).open(path).unwrap().set_len(40 * 4096 + 100).unwrap();
    assert!(matches!(open_swapfile(path), Err(SwapFileError::NotPageMultiple { len: 163_940, .. })));
    OpenOptions::new().write(true).open(path).unwrap().set_len(100).unwrap();
    assert!(matches!(open_swapfile(path), Err(SwapFileError::TooShort { len: 100, .. })));
    // A longer file than the header says is fine: only last_page + 1 pages are used.
    fresh();
    OpenOptions::new().write(true).open(path).unwrap().set_len(80 * 4096).unwrap();
    assert_eq!(open_swapfile(path).unwrap().max_pages(), 40);

    let missing = TempPath::new("missing");
    let e = open_swapfile(missing.path()).unwrap_err();
    assert!(matches!(e, SwapFileError::Io { op: "open", .. }), "{e}");
    let mut space = SwapSpace::new();
    let e = space.add(&file_cfg(missing.path(), None)).unwrap_err();
    assert!(matches!(e, SwapFileError::Io { .. }), "{e}");
}

#[test]
fn mkswap_refuses_bad_sizes_and_labels_and_config_checks_size() {
    let tmp = TempPath::new("mkswap-args");
    let p = tmp.path();
    assert!(matches!(mkswap(p, 4096 * 10 + 1, None), Err(SwapFileError::BadSize { .. })));
    assert!(matches!(mkswap(p, 4096 * 9, None), Err(SwapFileError::BadSize { .. })));
    assert!(matches!(mkswap(p, 4096 * 10, Some("seventeen-bytes!!")), Err(SwapFileError::BadLabel { .. })));
    mkswap(p, 4096 * 10, Some("sixteen-bytes!!!")).unwrap();
    assert_eq!(read_swap_header(p).unwrap().label().as_deref(), Some("sixteen-bytes!!!"));
    let mut space = SwapSpace::new();
    let cfg = SwapDeviceConfig { size_pages: Some(11), ..file_cfg(p, None) };
    assert!(matches!(space.add(&cfg), Err(SwapFileError::BadConfig { .. })));
    let cfg = SwapDeviceConfig { size_pages: Some(10), ..file_cfg(p, Some(3)) };
    assert_eq!(space.add(&cfg).unwrap(), 0);
    assert_eq!(space.area(0).unwrap().priority(), 3);
    let e = space.add(&file_cfg(p, None)).unwrap_err();
    assert!(e.to_string().contains("already active"), "{e}");
}

/// `blkid` (util-linux) recognises vmsim's mkswap output as swap, with its label and UUID.
#[test]
fn blkid_sees_a_swap_area() {
    let tmp = TempPath::new("blkid");
    let info = mkswap(tmp.path(), 1 << 20, Some("vmsim-swap")).unwrap();
    let path = tmp.path().to_str().unwrap();
    let Some(out) = run_tool("blkid", &["-p", path]) else { return };
    eprintln!("blkid -p: {out}");
    assert!(out.contains("TYPE=\"swap\""), "{out}");
    assert!(out.contains("VERSION=\"1\""), "{out}");
    assert!(out.contains("LABEL=\"vmsim-swap\""), "{out}");
    assert!(out.contains(&format!("UUID=\"{}\"", info.header.uuid_string())), "{out}");
}

/// `file` identifies the header too.
#[test]
fn file_sees_a_swap_area() {
    let tmp = TempPath::new("file");
    mkswap(tmp.path(), 1 << 20, Some("lbl")).unwrap();
    let Some(out) = run_tool("file", &[tmp.path().to_str().unwrap()]) else { return };
    eprintln!("file: {out}");
    assert!(out.contains("Linux swap file"), "{out}");
    assert!(out.contains("version 1, size 255 pages, 0 bad pages"), "{out}");
}

/// Byte-for-byte equal to util-linux `mkswap -U UUID -L LABEL` on a file of the same size.
#[test]
fn same_bytes_as_util_linux_mkswap() {
    let (ours, theirs) = (TempPath::new("ours"), TempPath::new("theirs"));
    let uuid_text = "01234567-89ab-cdef-0123-456789abcdef";
    let uuid = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    mkswap_with_uuid(ours.path(), 1 << 20, Some("mylabel"), uuid).unwrap();
    fs::File::create(theirs.path()).unwrap().set_len(1 << 20).unwrap();
    let theirs_str = theirs.path().to_str().unwrap();
    let Some(out) = run_tool("mkswap", &["-U", uuid_text, "-L", "mylabel", theirs_str]) else { return };
    if !out.contains("Setting up swapspace") {
        eprintln!("note: mkswap did not run ({out}); skipping");
        return;
    }
    let (a, b) = (fs::read(ours.path()).unwrap(), fs::read(theirs.path()).unwrap());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "first difference at byte {:?}", a.iter().zip(&b).position(|(x, y)| x != y));
    let h = read_swap_header(theirs.path()).unwrap();
    assert_eq!((h.last_page, h.label().as_deref(), h.uuid_string().as_str()), (255, Some("mylabel"), uuid_text));
}

/// Fills a page from a seed and the entry, so pages written to different slots differ.
fn page_for(seed: u8, e: SwapEntry) -> Box<[u8; PAGE_BYTES]> {
    let mut page = Box::new([0u8; PAGE_BYTES]);
    let salt = e.val().to_le_bytes();
    for ((b, i), s) in page.iter_mut().zip((0..=255u8).cycle()).zip(salt.iter().cycle()) {
        *b = seed ^ i ^ s;
    }
    page
}

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    Write(usize, u8),
    Read(usize),
    Dup(usize),
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(i, s)| Op::Write(i, s)),
        3 => any::<usize>().prop_map(Op::Read),
        1 => any::<usize>().prop_map(Op::Dup),
        3 => any::<usize>().prop_map(Op::Free),
    ]
}

/// Slot state in the naive model: usage count and the seed of the last page written.
#[derive(Debug, Clone, Copy)]
struct Slot {
    count: u32,
    seed: Option<u8>,
}

/// Runs `ops` against `space` and a `BTreeMap` model. `zero_unwritten`: a never-written slot reads as zeros (memory
/// store; a file may hold stale bytes of an earlier use).
fn check_against_model(space: &mut SwapSpace, ops: &[Op], zero_unwritten: bool) -> Result<(), TestCaseError> {
    let mut model: BTreeMap<SwapEntry, Slot> = BTreeMap::new();
    let capacity = space.total_pages();
    let pick = |model: &BTreeMap<SwapEntry, Slot>, i: usize| model.keys().nth(i % model.len().max(1)).copied();
    let mut buf = [0u8; PAGE_BYTES];
    for op in ops {
        match *op {
            Op::Alloc => match space.alloc() {
                Some(e) => {
                    prop_assert_ne!(e.offset(), 0, "slot 0 is the header");
                    prop_assert!(!model.contains_key(&e), "{:?} handed out twice", e);
                    prop_assert_eq!(space.count(e), 1);
                    model.insert(e, Slot { count: 1, seed: None });
                }
                None => prop_assert_eq!(u64::try_from(model.len()).unwrap(), capacity, "None while not full"),
            },
            Op::Write(i, seed) => {
                if let Some(e) = pick(&model, i) {
                    space.write(e, &page_for(seed, e)).unwrap();
                    model.get_mut(&e).unwrap().seed = Some(seed);
                }
            }
            Op::Read(i) => {
                if let Some(e) = pick(&model, i) {
                    space.read(e, &mut buf).unwrap();
                    match model[&e].seed {
                        Some(seed) => prop_assert!(buf == *page_for(seed, e), "{:?} read back wrong data", e),
                        None if zero_unwritten => prop_assert!(buf.iter().all(|&b| b == 0)),
                        None => {}
                    }
                }
            }
            Op::Dup(i) => {
                if let Some(e) = pick(&model, i) {
                    space.dup(e);
                    model.get_mut(&e).unwrap().count += 1;
                }
            }
            Op::Free(i) => {
                if let Some(e) = pick(&model, i) {
                    let slot = model.get_mut(&e).unwrap();
                    slot.count -= 1;
                    let now_free = slot.count == 0;
                    prop_assert_eq!(space.free(e), now_free);
                    if now_free {
                        model.remove(&e);
                        prop_assert!(space.read(e, &mut buf).is_err(), "read of freed {:?}", e);
                    }
                }
            }
        }
        for (&e, slot) in &model {
            prop_assert_eq!(space.count(e), slot.count);
        }
        prop_assert_eq!(space.used_pages(), u64::try_from(model.len()).unwrap());
        prop_assert_eq!(space.is_full(), u64::try_from(model.len()).unwrap() == capacity);
    }
    Ok(())
}

proptest! {
    /// Wide: two in-memory areas spanning several clusters.
    #[test]
    fn memory_store_agrees_with_model(
        sizes in (2u64..700, 2u64..700),
        same_prio in any::<bool>(),
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut space = SwapSpace::new();
        let prio = same_prio.then_some(1);
        for size in [sizes.0, sizes.1] {
            space.add(&SwapDeviceConfig { priority: prio, size_pages: Some(size), file: None }).unwrap();
        }
        check_against_model(&mut space, &ops, true)?;
    }

    /// Narrow: tiny areas, so they fill up and slots are reused.
    #[test]
    fn tiny_memory_areas_agree_with_model(
        sizes in (2u64..6, 2u64..6),
        ops in prop::collection::vec(op(), 1..200),
    ) {
        let mut space = SwapSpace::new();
        for size in [sizes.0, sizes.1] {
            space.add(&SwapDeviceConfig { priority: Some(0), size_pages: Some(size), file: None }).unwrap();
        }
        check_against_model(&mut space, &ops, true)?;
    }

    /// The header parser never panics, whatever page 0 holds.
    #[test]
    fn any_header_page_parses_or_errors(bytes in prop::collection::vec(any::<u8>(), PAGE_BYTES), magic in any::<bool>(),
                                         file_pages in 0u64..1000) {
        let mut page = [0u8; PAGE_BYTES];
        page.copy_from_slice(&bytes);
        if magic {
            page[4086..].copy_from_slice(b"SWAPSPACE2");
            page[1024..1028].copy_from_slice(&1u32.to_le_bytes());
        }
        let _ = header::SwapHeader::parse(Path::new("fuzz.img"), &page, file_pages);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A swap file (3 clusters) behind the same model.
    #[test]
    fn file_store_agrees_with_model(ops in prop::collection::vec(op(), 1..300), small in any::<bool>()) {
        let tmp = TempPath::new("prop");
        let pages = if small { 12 } else { 600 };
        mkswap(tmp.path(), pages * 4096, None).unwrap();
        let mut space = SwapSpace::new();
        space.add(&file_cfg(tmp.path(), None)).unwrap();
        check_against_model(&mut space, &ops, false)?;
    }
}
