//! End-to-end tests of the replacement-only commands of the `vmsim` binary: `replay --exact` on the textbook
//! reference strings (SPEC §16), `mrc` against `replay --exact`, `convert`, and `mkswap`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vmsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmsim")).args(args).current_dir(root()).output().expect("run vmsim")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmsim-exact-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A pages trace of `refs` in a new file.
fn pages_file(test: &str, refs: &[u64]) -> PathBuf {
    let f = temp_dir(test).join("refs.pages");
    std::fs::write(&f, refs.iter().map(|p| format!("{p}\n")).collect::<String>()).unwrap();
    f
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn u(v: &serde_json::Value, key: &str) -> u64 {
    v.pointer(key).and_then(serde_json::Value::as_u64).unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// `vmsim replay TRACE --format FORMAT --exact --policy POLICY --frames N --json`.
fn exact(trace: &Path, format: &str, policy: &str, frames: u64) -> serde_json::Value {
    let frames = frames.to_string();
    json(&vmsim(&[
        "replay",
        trace.to_str().unwrap(),
        "--format",
        format,
        "--exact",
        "--policy",
        policy,
        "--frames",
        &frames,
        "--json",
    ]))
}

fn assert_one_line_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    let e = stderr(o);
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    assert!(e.starts_with("error: "), "{e}");
    assert!(e.contains(needle), "expected {needle:?} in {e}");
    assert!(!e.contains("panicked"), "{e}");
}

/// Silberschatz et al., *Operating System Concepts*, 10th ed., §10.4 (SPEC §16 string S).
const S: [u64; 20] = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
/// Belady's anomaly (SPEC §16 string B).
const B: [u64; 12] = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

#[test]
fn silberschatz_three_frames_fifo_15_lru_12_opt_9() {
    let f = pages_file("silberschatz", &S);
    for (policy, faults) in [("fifo", 15), ("lru", 12), ("opt", 9)] {
        let v = exact(&f, "pages", policy, 3);
        assert_eq!(u(&v, "/faults/total"), faults, "{policy}");
        // 6 distinct pages: 6 demand-zero first touches, the rest re-faults read back from swap.
        assert_eq!(u(&v, "/faults/minor"), 6, "{policy}");
        assert_eq!(u(&v, "/faults/major"), faults - 6, "{policy}");
        assert_eq!(u(&v, "/faults/pgfault"), faults, "{policy}");
        assert_eq!(u(&v, "/swap/pages_in"), faults - 6, "{policy}");
        // Every miss after the first 3 fills evicts one (dirty) page.
        assert_eq!(u(&v, "/swap/pages_out"), faults - 3, "{policy}");
        assert_eq!(u(&v, "/replay/evictions"), faults - 3, "{policy}");
        assert_eq!(u(&v, "/replay/hits"), 20 - faults, "{policy}");
        assert_eq!((u(&v, "/accesses/total"), u(&v, "/accesses/writes")), (20, 20), "{policy}");
        assert_eq!((u(&v, "/memory/frames_total"), u(&v, "/memory/frames_used")), (3, 3), "{policy}");
        assert_eq!(v.pointer("/policy").and_then(|p| p.as_str()), Some(policy));
        assert_eq!(v.pointer("/exact").and_then(serde_json::Value::as_bool), Some(true));
    }
}

#[test]
fn belady_anomaly_fifo_9_with_3_frames_10_with_4() {
    let f = pages_file("belady", &B);
    assert_eq!(u(&exact(&f, "pages", "fifo", 3), "/faults/total"), 9);
    assert_eq!(u(&exact(&f, "pages", "fifo", 4), "/faults/total"), 10);
    // LRU is a stack algorithm: no anomaly.
    assert_eq!(u(&exact(&f, "pages", "lru", 3), "/faults/total"), 10);
    assert_eq!(u(&exact(&f, "pages", "lru", 4), "/faults/total"), 8);
}

#[test]
fn exact_policy_defaults_to_lru() {
    let f = pages_file("default-policy", &S);
    let v = json(&vmsim(&["replay", f.to_str().unwrap(), "--format", "pages", "--exact", "--frames", "3", "--json"]));
    assert_eq!(v.pointer("/policy").and_then(|p| p.as_str()), Some("lru"));
    assert_eq!(u(&v, "/faults/total"), 12);
}

/// The exact report has every key of the full model's report (docs/stats.md), and is deterministic.
#[test]
fn exact_json_has_the_full_reports_keys_and_is_deterministic() {
    let f = pages_file("shape", &S);
    let full = json(&vmsim(&["replay", f.to_str().unwrap(), "--format", "pages", "--frames", "16", "--json"]));
    let ex = exact(&f, "pages", "random", 3);
    fn keys(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        if let Some(m) = v.as_object() {
            for (k, x) in m {
                let p = format!("{prefix}/{k}");
                out.push(p.clone());
                keys(x, &p, out);
            }
        }
    }
    let (mut want, mut got) = (Vec::new(), Vec::new());
    keys(&full, "", &mut want);
    keys(&ex, "", &mut got);
    for k in &want {
        assert!(got.contains(k), "exact report lacks {k}");
    }
    assert_eq!(u(&ex, "/tlb/hits") + u(&ex, "/walks/count"), 0);
    assert!(ex.pointer("/cost/effective_access_time_ns").and_then(serde_json::Value::as_f64).unwrap() > 0.0);
    let again = exact(&f, "pages", "random", 3);
    assert_eq!(ex, again, "same trace and seed, same report");
}

#[test]
fn exact_text_summary() {
    let f = pages_file("text", &S);
    let o = vmsim(&["replay", f.to_str().unwrap(), "--format", "pages", "--exact", "--policy", "opt", "--frames", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("policy opt, 3 frames"), "{s}");
    for (label, n) in [("references", 20), ("hits", 11), ("misses", 9), ("cold", 6), ("re-faults", 3), ("evictions", 6)]
    {
        assert!(
            s.lines().any(|l| l.split_whitespace().take(2).eq([label, n.to_string().as_str()])),
            "{label} {n}: {s}"
        );
    }
    assert!(s.contains("45.00%"), "miss ratio: {s}");
}

/// A lackey access counts once per page it touches; OPT works on lackey traces too.
#[test]
fn exact_lackey_and_its_converted_pages_agree() {
    let lackey = root().join("crates/vmsim-trace/tests/data/nolibc.lackey");
    let pages = temp_dir("convert").join("nolibc.pages");
    let o = vmsim(&["convert", lackey.to_str().unwrap(), "--from", "lackey", "--to", "pages", pages.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("10764 page references"), "{}", stdout(&o));
    for policy in ["fifo", "lru", "opt", "clock"] {
        for frames in [1, 2] {
            let a = exact(&lackey, "lackey", policy, frames);
            let b = exact(&pages, "pages", policy, frames);
            assert_eq!(a.pointer("/replay"), b.pointer("/replay"), "{policy} with {frames} frames");
            assert_eq!(u(&a, "/accesses/total"), 10764);
            // lackey's own counts: 8204 fetches, 1536 loads, 1024 stores, none crossing a page.
            let kinds = (u(&a, "/accesses/fetches"), u(&a, "/accesses/reads"), u(&a, "/accesses/writes"));
            assert_eq!(kinds, (8204, 1536, 1024));
            assert_eq!(u(&a, "/faults/minor"), 2, "code and stack pages");
        }
    }
    // Two pages fit in two frames: only the two cold misses.
    assert_eq!(u(&exact(&lackey, "lackey", "opt", 2), "/faults/total"), 2);
}

/// A trace with reuse at many distances: pseudo-random walk over 60 pages with a hot set of 8.
fn mixed_trace() -> Vec<u64> {
    let mut x: u64 = 12345;
    (0..3000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let r = x >> 33;
            // Independent bits for the choice and the page.
            if r % 3 == 0 {
                (r >> 8) % 8
            } else {
                (r >> 8) % 60
            }
        })
        .collect()
}

#[test]
fn mrc_rows_equal_exact_lru_replays() {
    let f = pages_file("mrc", &mixed_trace());
    let o = vmsim(&["mrc", f.to_str().unwrap(), "--format", "pages", "--csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("frames,misses,miss_ratio"));
    let rows: Vec<(u64, u64)> = lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[0].parse().unwrap(), v[1].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 60, "one row per size up to the 60 distinct pages");
    assert_eq!(rows.last(), Some(&(60, 60)), "only cold misses once every page fits");
    for frames in [1, 2, 5, 8, 13, 30, 59, 60] {
        let row = rows.iter().find(|r| r.0 == frames).unwrap();
        let v = exact(&f, "pages", "lru", frames);
        assert_eq!(row.1, u(&v, "/faults/total"), "{frames} frames");
    }
    // Misses never grow with memory under LRU.
    assert!(rows.windows(2).all(|w| w[1].1 <= w[0].1), "{rows:?}");
}

#[test]
fn mrc_table_steps_and_lackey() {
    let f = pages_file("mrc-table", &S);
    let o = vmsim(&["mrc", f.to_str().unwrap(), "--format", "pages", "--step", "2", "--max-frames", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = "\
exact LRU miss-ratio curve of REFS (pages format): 20 references, 6 distinct pages
frames  misses  miss ratio
     2      17    0.850000
     4       8    0.400000
     6       6    0.300000
     7       6    0.300000
";
    assert_eq!(stdout(&o), want.replace("REFS", f.to_str().unwrap()));
    let lackey = root().join("crates/vmsim-trace/tests/data/nolibc.lackey");
    let o = vmsim(&["mrc", lackey.to_str().unwrap(), "--format", "lackey", "--csv"]);
    let one = u(&exact(&lackey, "lackey", "lru", 1), "/faults/total");
    assert_eq!(
        stdout(&o),
        format!("frames,misses,miss_ratio\n1,{one},{:.6}\n2,2,{:.6}\n", one as f64 / 10764.0, 2.0 / 10764.0)
    );
}

#[test]
fn exact_mode_errors_are_one_line_with_a_hint() {
    let f = pages_file("errors", &S);
    let t = f.to_str().unwrap();
    assert_one_line_error(&vmsim(&["replay", t, "--format", "pages", "--exact"]), "--exact needs --frames N");
    assert_one_line_error(&vmsim(&["replay", t, "--format", "pages", "--exact", "--frames", "0"]), "--frames 0");
    assert_one_line_error(
        &vmsim(&["replay", t, "--format", "pages", "--exact", "--frames", "3", "--memory", "1MiB"]),
        "not --memory",
    );
    let bad = temp_dir("errors").join("bad.pages");
    std::fs::write(&bad, "1\n2\nthree\n").unwrap();
    for policy in ["lru", "opt"] {
        let o = vmsim(&[
            "replay",
            bad.to_str().unwrap(),
            "--format",
            "pages",
            "--exact",
            "--frames",
            "2",
            "--policy",
            policy,
        ]);
        assert_one_line_error(&o, "bad.pages:3:");
    }
    assert_one_line_error(&vmsim(&["mrc", t, "--format", "pages", "--step", "0"]), "--step 0");
    assert_one_line_error(&vmsim(&["mrc", "no/such.pages", "--format", "pages"]), "no/such.pages");
    let o = vmsim(&["replay", t, "--format", "pages", "--exact", "--frames", "3", "--policy", "belady"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values: fifo, lru, clock, opt"), "{}", stderr(&o));
}

/// `--policy P` without `--exact` is `--set reclaim.policy=P` for the full model.
#[test]
fn policy_without_exact_sets_the_full_models_policy() {
    let f = pages_file("full-policy", &B);
    let t = f.to_str().unwrap();
    let a = vmsim(&["replay", t, "--format", "pages", "--frames", "8", "--policy", "fifo", "--json"]);
    let b = vmsim(&["replay", t, "--format", "pages", "--frames", "8", "--set", "reclaim.policy=fifo", "--json"]);
    // The same report and effective configuration; only `inputs` shows how the policy was given.
    let (mut a, mut b) = (json(&a), json(&b));
    assert_eq!(a["inputs"]["sets"], serde_json::json!(["reclaim.policy=\"fifo\"", "machine.frames=8"]));
    assert_eq!(b["inputs"]["sets"], serde_json::json!(["reclaim.policy=fifo", "machine.frames=8"]));
    a.as_object_mut().unwrap().remove("inputs");
    b.as_object_mut().unwrap().remove("inputs");
    assert_eq!(a, b);
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[test]
fn mkswap_writes_a_swapspace2_header() {
    let dir = temp_dir("mkswap");
    let f = dir.join("swapfile");
    let o = vmsim(&["mkswap", f.to_str().unwrap(), "64MiB", "--label", "vmsim-test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "Setting up swapspace version 1, size = 64 MiB (67104768 bytes)");
    assert!(lines[1].starts_with("LABEL=vmsim-test, UUID="), "{s}");
    assert_eq!(lines[2], "16384 pages of 4 KiB: 1 header page, 16383 swap slots");
    let bytes = std::fs::read(&f).unwrap();
    assert_eq!(bytes.len(), 64 << 20);
    assert_eq!(&bytes[4086..4096], b"SWAPSPACE2");
    assert_eq!(le32(&bytes, 1024), 1, "version");
    assert_eq!(le32(&bytes, 1028), 16383, "last_page");
    assert_eq!(le32(&bytes, 1032), 0, "nr_badpages");
    assert_eq!(&bytes[1052..1062], b"vmsim-test");
    let uuid = lines[1].rsplit('=').next().unwrap().replace('-', "");
    let hex: String = bytes[1036..1052].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(uuid, hex, "the UUID printed is the one written");
    // Same command, same bytes.
    let again = vmsim(&["mkswap", f.to_str().unwrap(), "64MiB", "--label", "vmsim-test"]);
    assert_eq!(o.stdout, again.stdout);
    assert_eq!(std::fs::read(&f).unwrap(), bytes);
    match Command::new("blkid").arg(&f).output() {
        Ok(b) if b.status.success() => {
            let out = String::from_utf8_lossy(&b.stdout);
            assert!(out.contains("TYPE=\"swap\""), "{out}");
            assert!(out.contains("LABEL=\"vmsim-test\""), "{out}");
        }
        _ => eprintln!("note: blkid not available or failed: TYPE=\"swap\" not cross-checked"),
    }
    let o = vmsim(&["mkswap", f.to_str().unwrap(), "1000"]);
    assert_one_line_error(&o, "not a multiple of the 4096-byte page");
    let o = vmsim(&["mkswap", f.to_str().unwrap(), "64KiB", "--label", "a-label-longer-than-16"]);
    assert_one_line_error(&o, "label");
    let o = vmsim(&["mkswap", "/nonexistent/dir/swap", "64KiB"]);
    assert_one_line_error(&o, "/nonexistent/dir/swap");
    let _ = std::fs::remove_dir_all(&dir);
}
