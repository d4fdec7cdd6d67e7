//! The bad-input suite (issue 12): table-driven cases across every subcommand, each run in a fresh directory
//! holding its input files, each asserting the exit status and the located message on stderr (and, for the
//! data-loss cases, that the input files are untouched afterwards).
//!
//! A case is `case(name, args)` plus its files (`.file(NAME, BYTES)`), standard input, and what must hold. Add a
//! row for every bad input found; a failure prints the case's name, command and both outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// One bad-input case.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    args: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    stdin: Option<Vec<u8>>,
    /// Expected exit status.
    code: i32,
    /// Each must appear in stderr.
    err: Vec<String>,
    /// Each must appear in stdout.
    out: Vec<String>,
    /// Files that must still hold what they were given.
    unchanged: Vec<String>,
    /// Files that must not exist afterwards.
    absent: Vec<String>,
    /// Stdout must be exactly one JSON document.
    json: bool,
}

fn case(name: &str, args: &[&str]) -> Case {
    Case {
        name: name.into(),
        args: args.iter().map(|s| (*s).to_string()).collect(),
        files: Vec::new(),
        stdin: None,
        code: 2,
        err: Vec::new(),
        out: Vec::new(),
        unchanged: Vec::new(),
        absent: Vec::new(),
        json: false,
    }
}

impl Case {
    fn file(mut self, name: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.files.push((name.into(), bytes.as_ref().to_vec()));
        self
    }
    fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(bytes.as_ref().to_vec());
        self
    }
    fn code(mut self, c: i32) -> Self {
        self.code = c;
        self
    }
    fn err(mut self, s: &str) -> Self {
        self.err.push(s.into());
        self
    }
    fn out(mut self, s: &str) -> Self {
        self.out.push(s.into());
        self
    }
    fn unchanged(mut self, f: &str) -> Self {
        self.unchanged.push(f.into());
        self
    }
    fn absent(mut self, f: &str) -> Self {
        self.absent.push(f.into());
        self
    }
    fn json(mut self) -> Self {
        self.json = true;
        self
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_case(c: &Case, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (name, bytes) in &c.files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&p, bytes).map_err(|e| e.to_string())?;
    }
    // `@ROOT/` in an argument is the repository (for examples/ and the test data).
    let root = root();
    let args: Vec<String> = c.args.iter().map(|a| a.replace("@ROOT", &root.to_string_lossy())).collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vmsim"));
    cmd.args(&args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if c.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    if let Some(input) = &c.stdin {
        use std::io::Write;
        let mut w = child.stdin.take().ok_or("no stdin")?;
        let _ = w.write_all(input);
    }
    let o: Output = child.wait_with_output().map_err(|e| e.to_string())?;
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let show = || format!("vmsim {}\n-- stdout:\n{out}\n-- stderr:\n{err}", args.join(" "));
    let mut problems = Vec::new();
    if o.status.code() != Some(c.code) {
        problems.push(format!("exit status {:?}, expected {}", o.status.code(), c.code));
    }
    for s in &c.err {
        if !err.contains(s.as_str()) {
            problems.push(format!("stderr lacks {s:?}"));
        }
    }
    for s in &c.out {
        if !out.contains(s.as_str()) {
            problems.push(format!("stdout lacks {s:?}"));
        }
    }
    if c.code == 2 {
        // One error line: `error: ...`, never empty, never a panic.
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        if lines.len() != 1 || lines[0].trim() == "error:" {
            problems.push("expected exactly one non-empty `error:` line".into());
        }
    }
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        problems.push("panic".into());
    }
    if err.contains("did not match any variant") || err.contains("Some(") || err.contains(":0:0:") {
        problems.push("unlocated or Rust-formatted message".into());
    }
    for f in &c.unchanged {
        let given = c.files.iter().find(|(n, _)| n == f).map(|(_, b)| b.clone()).unwrap_or_default();
        if std::fs::read(dir.join(f)).ok() != Some(given) {
            problems.push(format!("{f} was changed"));
        }
    }
    for f in &c.absent {
        if dir.join(f).exists() {
            problems.push(format!("{f} exists"));
        }
    }
    // No temporary file left behind.
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with('.') && (n.ends_with(".tmp") || n.contains(".vmsim-mkswap-")) {
                problems.push(format!("temporary file {n} left behind"));
            }
        }
    }
    if c.json && serde_json::from_slice::<serde_json::Value>(&o.stdout).is_err() {
        problems.push("stdout is not exactly one JSON document".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("case {}: {}\n{}", c.name, problems.join("; "), show()))
    }
}

/// Runs every case (on a few threads), reporting all failures at once.
fn run_all(group: &str, cases: Vec<Case>) {
    let base = std::env::temp_dir().join(format!("vmsim-bad-{}-{group}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name.clone()), "duplicate case name {}", c.name);
    }
    let threads = 2;
    let chunks: Vec<Vec<(usize, Case)>> =
        (0..threads).map(|t| cases.iter().cloned().enumerate().filter(|(i, _)| i % threads == t).collect()).collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let base = &base;
                s.spawn(move || {
                    chunk.iter().filter_map(|(i, c)| run_case(c, &base.join(format!("{i}"))).err()).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let _ = std::fs::remove_dir_all(&base);
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

const REFS: &str = "1\n2\n3\n1\n";

/// Data loss: an output is never one of the inputs, and a failed write leaves no partial file.
#[test]
fn outputs_never_destroy_inputs() {
    let refused = "writing it would destroy the input";
    run_all(
        "outputs",
        vec![
            case("convert onto its input", &["convert", "refs.txt", "--from", "pages", "--to", "pages", "refs.txt"])
                .file("refs.txt", REFS)
                .err("refs.txt: the output is the input file refs.txt")
                .err(refused)
                .unchanged("refs.txt"),
            case(
                "convert onto its input via ./",
                &["convert", "refs.txt", "--from", "pages", "--to", "pages", "./refs.txt"],
            )
            .file("refs.txt", REFS)
            .err(refused)
            .unchanged("refs.txt"),
            case(
                "convert onto a hard link of its input",
                &["convert", "refs.txt", "--from", "pages", "--to", "pages", "sub/../refs.txt"],
            )
            .file("refs.txt", REFS)
            .file("sub/x", "")
            .err(refused)
            .unchanged("refs.txt"),
            case(
                "convert lackey onto its input",
                &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "t.lackey"],
            )
            .file("t.lackey", "I  04000000,3\n")
            .err(refused)
            .unchanged("t.lackey"),
            case(
                "failed convert keeps the old output",
                &["convert", "bad.txt", "--from", "pages", "--to", "pages", "out.txt"],
            )
            .file("bad.txt", "1\nzz\n")
            .file("out.txt", "old\n")
            .err("bad.txt:2:")
            .unchanged("out.txt"),
            case(
                "failed convert creates no output",
                &["convert", "bad.txt", "--from", "pages", "--to", "pages", "out.txt"],
            )
            .file("bad.txt", "1\n2\n-3\n")
            .err("bad.txt:3:")
            .absent("out.txt"),
            case(
                "failed lackey convert creates no output",
                &["convert", "bad.lackey", "--from", "lackey", "--to", "pages", "out.txt"],
            )
            .file("bad.lackey", "I  04000000,3\n X 1,1\n")
            .err("bad.lackey:2:")
            .absent("out.txt"),
            case("convert into a directory", &["convert", "refs.txt", "--from", "pages", "--to", "pages", "sub"])
                .file("refs.txt", REFS)
                .file("sub/x", "")
                .err("sub: is a directory"),
            case(
                "convert into a missing directory",
                &["convert", "refs.txt", "--from", "pages", "--to", "pages", "nodir/out.txt"],
            )
            .file("refs.txt", REFS)
            .err("nodir/out.txt: cannot create"),
            case(
                "convert of a missing input creates nothing",
                &["convert", "missing.txt", "--from", "pages", "--to", "pages", "out.txt"],
            )
            .err("missing.txt: cannot open trace")
            .absent("out.txt"),
            case("convert to lackey", &["convert", "refs.txt", "--from", "pages", "--to", "lackey", "out.txt"])
                .file("refs.txt", REFS)
                .err("--to lackey")
                .absent("out.txt"),
            case("convert succeeds", &["convert", "refs.txt", "--from", "pages", "--to", "pages", "out.txt"])
                .file("refs.txt", REFS)
                .code(0)
                .out("out.txt: 4 page references")
                .unchanged("refs.txt"),
            case("mkswap too small keeps the old file", &["mkswap", "swap.img", "1000"])
                .file("swap.img", "precious")
                .err("swap.img")
                .unchanged("swap.img"),
            case(
                "mkswap bad label keeps the old file",
                &["mkswap", "swap.img", "64KiB", "-L", "a-label-longer-than-16"],
            )
            .file("swap.img", "precious")
            .err("a-label-longer-than-16")
            .unchanged("swap.img"),
            case("mkswap into a missing directory", &["mkswap", "nodir/swap.img", "64KiB"])
                .err("nodir/swap.img: create"),
            case("mkswap bad size", &["mkswap", "swap.img", "12parsecs"]).err("SIZE").absent("swap.img"),
        ],
    );
}

/// `--json` prints exactly one JSON document on stdout, with or without /proc views; errors go to stderr only.
#[test]
fn json_is_one_document() {
    let mut cases = Vec::new();
    for (i, proc) in ["", "meminfo", "vmstat", "meminfo,vmstat,status,smaps,smaps_rollup"].iter().enumerate() {
        let mut args = vec!["replay", "-", "--format", "pages", "--frames", "64", "--json"];
        if !proc.is_empty() {
            args.extend(["--proc", proc]);
        }
        let c = case(&format!("replay stdin json {i}"), &args).stdin(REFS).code(0).json();
        cases.push(c.out("\"vmsim_version\"").out("\"trace\": \"<stdin>\"").out("\"config\""));
        let mut args = vec!["run", "--demo", "fork", "--json"];
        if !proc.is_empty() {
            args.extend(["--proc", proc]);
        }
        let c = case(&format!("run demo json {i}"), &args).code(0).json();
        cases.push(c.out("\"scenario\": \"<embedded demo fork>\"").out("\"machine\""));
    }
    cases.push(
        case("exact json", &["replay", "-", "--format", "pages", "--frames", "2", "--exact", "--json"])
            .stdin(REFS)
            .code(0)
            .json(),
    );
    run_all("json", cases);
}

/// Scenario files: every bad value, step and syntax error is one line `s.toml:LINE:COL: ...` pointing at the value
/// or the step (with its index and op), under `run` and under `translate`.
#[test]
#[rustfmt::skip]
fn scenario_errors_are_located() {
    run_all("scenario", vec![
        // Issue 10: overcommit, OOM, KSM, zswap, contents, snapshots, sweeps.
        case("run: vm overcommit_memory 3", &["run", "s.toml"])
            .file("s.toml", b"[vm]\novercommit_memory = 3\n[[process]]\nname = \"a\"\n")
            .err("s.toml:2:21: vm.overcommit_memory = 3: expected 0 (heuristic), 1 (always) or 2 (strict)"),
        case("run: vm extfrag_threshold 1001", &["run", "s.toml"])
            .file("s.toml", b"[vm]\nextfrag_threshold = 1001\n[[process]]\nname = \"a\"\n")
            .err("s.toml:2:21: vm.extfrag_threshold = 1001: out of range 0..=1000"),
        case("run: alloc_pages order 11", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [{ op = \"alloc_pages\", order = 11, name = \"x\" }]\n")
            .err("s.toml:3:10: step 1 (alloc_pages) of process \"a\": alloc_pages order = 11: out of range 0..=10 (MAX_PAGE_ORDER on x86-64)"),
        case("run: free_pages unknown name", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [{ op = \"free_pages\", name = \"x\" }]\n")
            .err("s.toml:3:10: step 1 (free_pages) of process \"a\": free_pages name \"x\": no alloc_pages step of this process has that name"),
        case("run: zswap compressor lzo", &["run", "s.toml"])
            .file("s.toml", b"[zswap]\ncompressor = \"lzo\"\n[[process]]\nname = \"a\"\n")
            .err("s.toml:2:14: unknown variant `lzo`, expected `lz4` or `zstd`"),
        case("run: ksm pages_to_scan 0", &["run", "s.toml"])
            .file("s.toml", b"[ksm]\npages_to_scan = 0\n[[process]]\nname = \"a\"\n")
            .err("s.toml:2:17: ksm.pages_to_scan = 0: out of range 1..=1000000"),
        case("run: ksm max_page_sharing 1", &["run", "s.toml"])
            .file("s.toml", b"[ksm]\nmax_page_sharing = 1\n[[process]]\nname = \"a\"\n")
            .err("s.toml:2:20: ksm.max_page_sharing = 1: out of range 2..=65536"),
        case("run: oom_score_adj out of range", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\noom_score_adj = 5000\n")
            .err("s.toml:3:17: oom_score_adj = 5000: out of range -1000..=1000"),
        case("run: fill content bogus", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", len = 4096 },\n  { op = \"fill\", addr = \"b\", len = 4096, content = \"bogus\" },\n]\n")
            .err("s.toml:5:3: step 2 (fill) of process \"a\": unknown content \"bogus\" (expected zero, same:0xAB, random, text or copy:REGION)"),
        case("run: fill same value too big", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", len = 4096 },\n  { op = \"fill\", addr = \"b\", len = 4096, content = \"same:300\" },\n]\n")
            .err("s.toml:5:3: step 2 (fill) of process \"a\": same:300: expected a byte value 0..=255 such as same:0xAB"),
        case("run: snapshot missing", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsnapshot = \"missing.vmsnap\"\n")
            .err("s.toml:3:12: snapshot missing.vmsnap: No such file or directory (os error 2)"),
        case("run: snapshot not a snapshot", &["run", "s.toml"])
            .file("bad.vmsnap", b"not a snapshot")
            .file("s.toml", b"[[process]]\nname = \"a\"\nsnapshot = \"bad.vmsnap\"\n")
            .err("s.toml:3:12: snapshot bad.vmsnap: not a vmsim snapshot (expected the zstd-compressed magic \"VMSIMSNP\")"),
        case("run: sweep without values", &["run", "--demo", "fork", "--sweep", "machine.memory"])
            .err("--sweep machine.memory: expected KEY=V1,V2,... (e.g. --sweep machine.memory=64MiB,48MiB,32MiB)"),
        case("run: sweep bad value", &["run", "--demo", "fork", "--sweep", "zswap.max_pool_percent=0,20"])
            .err("--sweep zswap.max_pool_percent=0: zswap.max_pool_percent = 0: out of range 1..=100"),
        case("run: set zswap accept threshold", &["run", "--demo", "fork", "--set", "zswap.accept_threshold_percent=101"])
            .err("--set zswap.accept_threshold_percent=101: zswap.accept_threshold_percent = 101: out of range 0..=100"),
        case("snapshot: no such process", &["snapshot", "0", "-o", "x.vmsnap"])
            .err("/proc/0/maps: No such file or directory (os error 2)"),
        case("run: machine memory bad unit", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = \"12parsecs\"\n")
            .err("s.toml:2:10: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("translate: machine memory bad unit", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"12parsecs\"\n")
            .err("s.toml:2:10: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run: machine memory negative", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = -5\n")
            .err("s.toml:2:10: -5 is negative (expected a size: a number of bytes, or a string like \"64KiB\")"),
        case("translate: machine memory negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = -5\n")
            .err("s.toml:2:10: -5 is negative (expected a size: a number of bytes, or a string like \"64KiB\")"),
        case("run: machine memory too small", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = \"8KiB\"\n")
            .err("s.toml:2:10: machine memory of 2 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("translate: machine memory too small", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"8KiB\"\n")
            .err("s.toml:2:10: machine memory of 2 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run: machine memory too big", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = \"1024TiB\"\n")
            .err("s.toml:2:10: machine memory of 274877906944 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("translate: machine memory too big", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"1024TiB\"\n")
            .err("s.toml:2:10: machine memory of 274877906944 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run: machine memory overflow", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = \"99999999999TiB\"\n")
            .err("s.toml:2:10: size \"99999999999TiB\" overflows 64 bits"),
        case("translate: machine memory overflow", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"99999999999TiB\"\n")
            .err("s.toml:2:10: size \"99999999999TiB\" overflows 64 bits"),
        case("run: machine memory float", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = 1.5\n")
            .err("s.toml:2:10: invalid type: floating point `1.5`, expected a size: a number of bytes, or a string like \"64KiB\""),
        case("translate: machine memory float", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = 1.5\n")
            .err("s.toml:2:10: invalid type: floating point `1.5`, expected a size: a number of bytes, or a string like \"64KiB\""),
        case("run: machine memory bool", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = true\n")
            .err("s.toml:2:10: invalid type: boolean `true`, expected a size: a number of bytes, or a string like \"64KiB\""),
        case("translate: machine memory bool", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = true\n")
            .err("s.toml:2:10: invalid type: boolean `true`, expected a size: a number of bytes, or a string like \"64KiB\""),
        case("run: machine frames zero", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nframes = 0\n")
            .err("s.toml:2:10: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("translate: machine frames zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nframes = 0\n")
            .err("s.toml:2:10: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run: machine frames 3", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nframes = 3\n")
            .err("s.toml:2:10: machine memory of 3 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("translate: machine frames 3", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nframes = 3\n")
            .err("s.toml:2:10: machine memory of 3 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run: machine frames string", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nframes = \"many\"\n")
            .err("s.toml:2:10: invalid type: string \"many\", expected a non-negative integer"),
        case("translate: machine frames string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nframes = \"many\"\n")
            .err("s.toml:2:10: invalid type: string \"many\", expected a non-negative integer"),
        case("run: machine frames huge", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nframes = 99999999999999\n")
            .err("s.toml:2:10: machine memory of 99999999999999 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("translate: machine frames huge", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nframes = 99999999999999\n")
            .err("s.toml:2:10: machine memory of 99999999999999 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run: machine cpus zero", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = 0\n")
            .err("s.toml:2:8: machine.cpus = 0: out of range 1..=1024"),
        case("translate: machine cpus zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = 0\n")
            .err("s.toml:2:8: machine.cpus = 0: out of range 1..=1024"),
        case("run: machine cpus 2000", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = 2000\n")
            .err("s.toml:2:8: machine.cpus = 2000: out of range 1..=1024"),
        case("translate: machine cpus 2000", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = 2000\n")
            .err("s.toml:2:8: machine.cpus = 2000: out of range 1..=1024"),
        case("run: machine cpus negative", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = -1\n")
            .err("s.toml:2:8: invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("translate: machine cpus negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = -1\n")
            .err("s.toml:2:8: invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("run: machine page size", &["run", "s.toml"])
            .file("s.toml", b"[machine]\npage_size = 8192\n")
            .err("s.toml:2:13: machine.page_size = 8192: only 4096 is supported (x86-64 base pages)"),
        case("translate: machine page size", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\npage_size = 8192\n")
            .err("s.toml:2:13: machine.page_size = 8192: only 4096 is supported (x86-64 base pages)"),
        case("run: machine arch unknown", &["run", "s.toml"])
            .file("s.toml", b"[machine]\narch = \"riscv\"\n")
            .err("s.toml:2:8: unknown variant `riscv`, expected `x86-64` or `linear`"),
        case("translate: machine arch unknown", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\narch = \"riscv\"\n")
            .err("s.toml:2:8: unknown variant `riscv`, expected `x86-64` or `linear`"),
        case("run: machine unknown key", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncolour = \"red\"\n")
            .err("s.toml:2:1: unknown field `colour`, expected one of `arch`"),
        case("translate: machine unknown key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncolour = \"red\"\n")
            .err("s.toml:2:1: unknown field `colour`, expected one of `arch`"),
        case("run: machine seed string", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nseed = \"x\"\n")
            .err("s.toml:2:8: invalid type: string \"x\", expected a non-negative integer"),
        case("translate: machine seed string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nseed = \"x\"\n")
            .err("s.toml:2:8: invalid type: string \"x\", expected a non-negative integer"),
        case("run: machine zero_page int", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nzero_page = 1\n")
            .err("s.toml:2:13: invalid type: integer `1`, expected a boolean"),
        case("translate: machine zero_page int", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nzero_page = 1\n")
            .err("s.toml:2:13: invalid type: integer `1`, expected a boolean"),
        case("run: machine pcid string", &["run", "s.toml"])
            .file("s.toml", b"[machine]\npcid = \"yes\"\n")
            .err("s.toml:2:8: invalid type: string \"yes\", expected a boolean"),
        case("translate: machine pcid string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\npcid = \"yes\"\n")
            .err("s.toml:2:8: invalid type: string \"yes\", expected a boolean"),
        case("run: machine quantum negative", &["run", "s.toml"])
            .file("s.toml", b"[machine]\nquantum = -1\n")
            .err("s.toml:2:11: invalid value: integer `-1`, expected a non-negative integer"),
        case("translate: machine quantum negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\nquantum = -1\n")
            .err("s.toml:2:11: invalid value: integer `-1`, expected a non-negative integer"),
        case("run: machine not a table", &["run", "s.toml"])
            .file("s.toml", b"machine = 5\n")
            .err("s.toml:1:11: invalid type: integer `5`, expected the [machine] table"),
        case("translate: machine not a table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"machine = 5\n")
            .err("s.toml:1:11: invalid type: integer `5`, expected the [machine] table"),
        case("run: machine twice", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = 1\n[machine]\ncpus = 2\n")
            .err("s.toml:3:1: invalid table header; duplicate key `machine` in document root"),
        case("translate: machine twice", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = 1\n[machine]\ncpus = 2\n")
            .err("s.toml:3:1: invalid table header; duplicate key `machine` in document root"),
        case("run: duplicate key", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = 1\ncpus = 2\n")
            .err("s.toml:3:1: duplicate key `cpus` in table `machine`"),
        case("translate: duplicate key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = 1\ncpus = 2\n")
            .err("s.toml:3:1: duplicate key `cpus` in table `machine`"),
        case("run: tlb l1d zero entries", &["run", "s.toml"])
            .file("s.toml", b"[tlb]\nl1d = { entries = 0, ways = 4 }\n")
            .err("s.toml:2:19: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("translate: tlb l1d zero entries", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb]\nl1d = { entries = 0, ways = 4 }\n")
            .err("s.toml:2:19: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("run: tlb l1d zero ways", &["run", "s.toml"])
            .file("s.toml", b"[tlb]\nl1d = { entries = 64, ways = 0 }\n")
            .err("s.toml:2:30: tlb.l1d.ways = 0: a TLB needs at least one way"),
        case("translate: tlb l1d zero ways", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb]\nl1d = { entries = 64, ways = 0 }\n")
            .err("s.toml:2:30: tlb.l1d.ways = 0: a TLB needs at least one way"),
        case("run: tlb l1d not multiple", &["run", "s.toml"])
            .file("s.toml", b"[tlb.l1d]\nentries = 63\nways = 4\n")
            .err("s.toml:2:11: tlb.l1d.entries = 63 is not a multiple of tlb.l1d.ways = 4"),
        case("translate: tlb l1d not multiple", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.l1d]\nentries = 63\nways = 4\n")
            .err("s.toml:2:11: tlb.l1d.entries = 63 is not a multiple of tlb.l1d.ways = 4"),
        case("run: tlb stlb sets not power", &["run", "s.toml"])
            .file("s.toml", b"[tlb.stlb]\nentries = 1536\nways = 8\n")
            .err("s.toml:2:11: tlb.stlb.entries = 1536 with tlb.stlb.ways = 8 gives 192 sets, which is not a power of two (the set index is the low bits of the page number)"),
        case("translate: tlb stlb sets not power", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.stlb]\nentries = 1536\nways = 8\n")
            .err("s.toml:2:11: tlb.stlb.entries = 1536 with tlb.stlb.ways = 8 gives 192 sets, which is not a power of two (the set index is the low bits of the page number)"),
        case("run: tlb l1i too many", &["run", "s.toml"])
            .file("s.toml", b"[tlb.l1i]\nentries = 4194304\nways = 4\n")
            .err("s.toml:2:11: tlb.l1i.entries = 4194304: at most 1048576 entries are supported"),
        case("translate: tlb l1i too many", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.l1i]\nentries = 4194304\nways = 4\n")
            .err("s.toml:2:11: tlb.l1i.entries = 4194304: at most 1048576 entries are supported"),
        case("run: tlb psc too many", &["run", "s.toml"])
            .file("s.toml", b"[tlb.psc]\npde = 4194304\n")
            .err("s.toml:2:7: tlb.psc.pde = 4194304: at most 1048576 entries are supported"),
        case("translate: tlb psc too many", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.psc]\npde = 4194304\n")
            .err("s.toml:2:7: tlb.psc.pde = 4194304: at most 1048576 entries are supported"),
        case("run: tlb unknown table", &["run", "s.toml"])
            .file("s.toml", b"[tlb.l3]\nentries = 4\nways = 4\n")
            .err("s.toml:1:6: unknown field `l3`, expected one of `l1d`"),
        case("translate: tlb unknown table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.l3]\nentries = 4\nways = 4\n")
            .err("s.toml:1:6: unknown field `l3`, expected one of `l1d`"),
        case("run: tlb missing ways", &["run", "s.toml"])
            .file("s.toml", b"[tlb.l1d]\nentries = 64\n")
            .err("s.toml:1:1: missing field `ways`"),
        case("translate: tlb missing ways", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.l1d]\nentries = 64\n")
            .err("s.toml:1:1: missing field `ways`"),
        case("run: tlb psc enabled string", &["run", "s.toml"])
            .file("s.toml", b"[tlb.psc]\nenabled = \"no\"\n")
            .err("s.toml:2:11: invalid type: string \"no\", expected a boolean"),
        case("translate: tlb psc enabled string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[tlb.psc]\nenabled = \"no\"\n")
            .err("s.toml:2:11: invalid type: string \"no\", expected a boolean"),
        case("run: cost negative", &["run", "s.toml"])
            .file("s.toml", b"[cost]\nmemory_ns = -1.0\n")
            .err("s.toml:2:13: cost.memory_ns = -1: must be a non-negative number of nanoseconds"),
        case("translate: cost negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[cost]\nmemory_ns = -1.0\n")
            .err("s.toml:2:13: cost.memory_ns = -1: must be a non-negative number of nanoseconds"),
        case("run: cost nan", &["run", "s.toml"])
            .file("s.toml", b"[cost]\nmemory_ns = nan\n")
            .err("s.toml:2:13: cost.memory_ns = NaN: must be a non-negative number of nanoseconds"),
        case("translate: cost nan", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[cost]\nmemory_ns = nan\n")
            .err("s.toml:2:13: cost.memory_ns = NaN: must be a non-negative number of nanoseconds"),
        case("run: cost inf", &["run", "s.toml"])
            .file("s.toml", b"[cost]\nmajor_fault_ns = inf\n")
            .err("s.toml:2:18: cost.major_fault_ns = inf: must be a non-negative number of nanoseconds"),
        case("translate: cost inf", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[cost]\nmajor_fault_ns = inf\n")
            .err("s.toml:2:18: cost.major_fault_ns = inf: must be a non-negative number of nanoseconds"),
        case("run: cost string", &["run", "s.toml"])
            .file("s.toml", b"[cost]\ntlb_hit_ns = \"fast\"\n")
            .err("s.toml:2:14: invalid type: string \"fast\", expected a number"),
        case("translate: cost string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[cost]\ntlb_hit_ns = \"fast\"\n")
            .err("s.toml:2:14: invalid type: string \"fast\", expected a number"),
        case("run: cost unknown", &["run", "s.toml"])
            .file("s.toml", b"[cost]\ndisk_ns = 5\n")
            .err("s.toml:2:1: unknown field `disk_ns`, expected one of `tlb_hit_ns`"),
        case("translate: cost unknown", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[cost]\ndisk_ns = 5\n")
            .err("s.toml:2:1: unknown field `disk_ns`, expected one of `tlb_hit_ns`"),
        case("run: reclaim swappiness", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\nswappiness = 300\n")
            .err("s.toml:2:14: reclaim.swappiness = 300: out of range 0..=200 (vm.swappiness)"),
        case("translate: reclaim swappiness", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\nswappiness = 300\n")
            .err("s.toml:2:14: reclaim.swappiness = 300: out of range 0..=200 (vm.swappiness)"),
        case("run: reclaim wsf zero", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\nwatermark_scale_factor = 0\n")
            .err("s.toml:2:26: reclaim.watermark_scale_factor = 0: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("translate: reclaim wsf zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\nwatermark_scale_factor = 0\n")
            .err("s.toml:2:26: reclaim.watermark_scale_factor = 0: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("run: reclaim wsf big", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\nwatermark_scale_factor = 3001\n")
            .err("s.toml:2:26: reclaim.watermark_scale_factor = 3001: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("translate: reclaim wsf big", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\nwatermark_scale_factor = 3001\n")
            .err("s.toml:2:26: reclaim.watermark_scale_factor = 3001: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("run: reclaim page_cluster", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\npage_cluster = 32\n")
            .err("s.toml:2:16: reclaim.page_cluster = 32: out of range 0..=31 (vm.page-cluster)"),
        case("translate: reclaim page_cluster", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\npage_cluster = 32\n")
            .err("s.toml:2:16: reclaim.page_cluster = 32: out of range 0..=31 (vm.page-cluster)"),
        case("run: reclaim policy unknown", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\npolicy = \"belady\"\n")
            .err("s.toml:2:10: unknown variant `belady`, expected one of `fifo`"),
        case("translate: reclaim policy unknown", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\npolicy = \"belady\"\n")
            .err("s.toml:2:10: unknown variant `belady`, expected one of `fifo`"),
        case("run: reclaim policy opt", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\npolicy = \"opt\"\n")
            .err("s.toml:2:10: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("translate: reclaim policy opt", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\npolicy = \"opt\"\n")
            .err("s.toml:2:10: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("run: reclaim unknown key", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\nagressive = true\n")
            .err("s.toml:2:1: unknown field `agressive`, expected one of `policy`"),
        case("translate: reclaim unknown key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\nagressive = true\n")
            .err("s.toml:2:1: unknown field `agressive`, expected one of `policy`"),
        case("run: reclaim verify string", &["run", "s.toml"])
            .file("s.toml", b"[reclaim]\nverify = \"yes\"\n")
            .err("s.toml:2:10: invalid type: string \"yes\", expected a boolean"),
        case("translate: reclaim verify string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[reclaim]\nverify = \"yes\"\n")
            .err("s.toml:2:10: invalid type: string \"yes\", expected a boolean"),
        case("run: swap size unit", &["run", "s.toml"])
            .file("s.toml", b"[swap]\nsize = \"1 furlong\"\n")
            .err("s.toml:2:8: unknown size unit \"furlong\" in \"1 furlong\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("translate: swap size unit", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\nsize = \"1 furlong\"\n")
            .err("s.toml:2:8: unknown size unit \"furlong\" in \"1 furlong\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run: swap device missing file", &["run", "s.toml"])
            .file("s.toml", b"[swap]\ndevices = [{file = \"nonexistent.img\"}]\n")
            .err("s.toml:2:11: nonexistent.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("translate: swap device missing file", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\ndevices = [{file = \"nonexistent.img\"}]\n")
            .err("s.toml:2:11: nonexistent.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("run: swap device not swap", &["run", "s.toml"])
            .file("s.toml", b"[swap]\ndevices = [{file = \"s.toml\"}]\n")
            .err("s.toml:2:11: s.toml: file is 37 bytes, shorter than the 4096-byte header page (create it with vmsim mkswap)"),
        case("translate: swap device not swap", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\ndevices = [{file = \"s.toml\"}]\n")
            .err("s.toml:2:11: s.toml: file is 37 bytes, shorter than the 4096-byte header page (create it with vmsim mkswap)"),
        case("run: swap device unknown key", &["run", "s.toml"])
            .file("s.toml", b"[swap]\ndevices = [{size = \"1KiB\"}]\n")
            .err("s.toml:2:13: unknown field `size`, expected one of `priority`"),
        case("translate: swap device unknown key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\ndevices = [{size = \"1KiB\"}]\n")
            .err("s.toml:2:13: unknown field `size`, expected one of `priority`"),
        case("run: swap device size zero", &["run", "s.toml"])
            .file("s.toml", b"[swap]\ndevices = [{size_pages = 0}]\n")
            .err("s.toml:2:11: in-memory swap area of 0 pages: no usable slot (at least 2: the header page and one slot)"),
        case("translate: swap device size zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\ndevices = [{size_pages = 0}]\n")
            .err("s.toml:2:11: in-memory swap area of 0 pages: no usable slot (at least 2: the header page and one slot)"),
        case("run: swap device size one", &["run", "s.toml"])
            .file("s.toml", b"[swap]\ndevices = [{size_pages = 1}]\n")
            .err("s.toml:2:11: in-memory swap area of 1 pages: no usable slot (at least 2: the header page and one slot)"),
        case("translate: swap device size one", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[swap]\ndevices = [{size_pages = 1}]\n")
            .err("s.toml:2:11: in-memory swap area of 1 pages: no usable slot (at least 2: the header page and one slot)"),
        case("run: swap devices table", &["run", "s.toml"])
            .file("s.toml", b"[[swap.devices]]\nfile = \"nope.img\"\n")
            .err("s.toml:1:1: nope.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("translate: swap devices table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[swap.devices]]\nfile = \"nope.img\"\n")
            .err("s.toml:1:1: nope.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("run: top unknown table", &["run", "s.toml"])
            .file("s.toml", b"[kernel]\nhz = 100\n")
            .err("s.toml:1:2: unknown field `kernel`, expected one of `machine`"),
        case("translate: top unknown table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[kernel]\nhz = 100\n")
            .err("s.toml:1:2: unknown field `kernel`, expected one of `machine`"),
        case("run: top unknown key", &["run", "s.toml"])
            .file("s.toml", b"name = \"x\"\n")
            .err("s.toml:1:1: unknown field `name`, expected one of `machine`"),
        case("translate: top unknown key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"name = \"x\"\n")
            .err("s.toml:1:1: unknown field `name`, expected one of `machine`"),
        case("run: description int", &["run", "s.toml"])
            .file("s.toml", b"description = 5\n")
            .err("s.toml:1:15: invalid type: integer `5`, expected a string"),
        case("translate: description int", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"description = 5\n")
            .err("s.toml:1:15: invalid type: integer `5`, expected a string"),
        case("run: process no name", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nsteps = []\n")
            .err("s.toml:1:1: missing field `name`"),
        case("translate: process no name", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nsteps = []\n")
            .err("s.toml:1:1: missing field `name`"),
        case("run: process name int", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = 5\n")
            .err("s.toml:2:8: invalid type: integer `5`, expected a string"),
        case("translate: process name int", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = 5\n")
            .err("s.toml:2:8: invalid type: integer `5`, expected a string"),
        case("run: process unknown key", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nnice = 5\n")
            .err("s.toml:3:1: unknown field `nice`, expected one of `name`"),
        case("translate: process unknown key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nnice = 5\n")
            .err("s.toml:3:1: unknown field `nice`, expected one of `name`"),
        case("run: process cpu out of range", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\ncpu = 5\n")
            .err("s.toml:3:7: process \"a\": cpu = 5 is out of range 0..1 (machine.cpus = 1)"),
        case("translate: process cpu out of range", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\ncpu = 5\n")
            .err("s.toml:3:7: process \"a\": cpu = 5 is out of range 0..1 (machine.cpus = 1)"),
        case("run: process cpu negative", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\ncpu = -1\n")
            .err("s.toml:3:7: invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("translate: process cpu negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\ncpu = -1\n")
            .err("s.toml:3:7: invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("run: process second cpu out of range", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[[process]]\nname = \"b\"\ncpu = 3\n")
            .err("s.toml:5:7: process \"b\": cpu = 3 is out of range 0..1 (machine.cpus = 1)"),
        case("translate: process second cpu out of range", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[[process]]\nname = \"b\"\ncpu = 3\n")
            .err("s.toml:5:7: process \"b\": cpu = 3 is out of range 0..1 (machine.cpus = 1)"),
        case("run: process memory_max unit", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nmemory_max = \"8 bananas\"\n")
            .err("s.toml:3:14: unknown size unit \"bananas\" in \"8 bananas\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("translate: process memory_max unit", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nmemory_max = \"8 bananas\"\n")
            .err("s.toml:3:14: unknown size unit \"bananas\" in \"8 bananas\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run: process stack_limit unit", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nstack_limit = \"x\"\n")
            .err("s.toml:3:15: invalid size \"x\" (expected a number of bytes, e.g. 4096, \"64KiB\", \"2GiB\")"),
        case("translate: process stack_limit unit", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nstack_limit = \"x\"\n")
            .err("s.toml:3:15: invalid size \"x\" (expected a number of bytes, e.g. 4096, \"64KiB\", \"2GiB\")"),
        case("run: process steps not array", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = 5\n")
            .err("s.toml:3:9: invalid type: integer `5`, expected an array"),
        case("translate: process steps not array", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = 5\n")
            .err("s.toml:3:9: invalid type: integer `5`, expected an array"),
        case("run: process steps table", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[process.steps]\nop = \"exit\"\n")
            .err("s.toml:3:1: invalid type: map, expected an array"),
        case("translate: process steps table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[process.steps]\nop = \"exit\"\n")
            .err("s.toml:3:1: invalid type: map, expected an array"),
        case("run: process every one forked", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"a\" },\n]\n")
            .err("s.toml:2:8: no process starts at boot: every [[process]] (the first is \"a\") is the child of a fork or thread step"),
        case("translate: process every one forked", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"a\" },\n]\n")
            .err("s.toml:2:8: no process starts at boot: every [[process]] (the first is \"a\") is the child of a fork or thread step"),
        case("run: process two forking each other", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [ { op = \"fork\", child = \"b\" } ]\n[[process]]\nname = \"b\"\nsteps = [ { op = \"fork\", child = \"a\" } ]\n")
            .err("s.toml:2:8: no process starts at boot: every [[process]] (the first is \"a\") is the child of a fork or thread step"),
        case("translate: process two forking each other", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [ { op = \"fork\", child = \"b\" } ]\n[[process]]\nname = \"b\"\nsteps = [ { op = \"fork\", child = \"a\" } ]\n")
            .err("s.toml:2:8: no process starts at boot: every [[process]] (the first is \"a\") is the child of a fork or thread step"),
        case("run: step unknown op", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"jump\" },\n]\n")
            .err("s.toml:5:3: step 2 (jump) of process \"a\": unknown variant `jump`, expected one of `mmap`"),
        case("translate: step unknown op", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"jump\" },\n]\n")
            .err("s.toml:5:3: step 2 (jump) of process \"a\": unknown variant `jump`, expected one of `mmap`"),
        case("run: step missing op", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (no op) of process \"a\": missing field `op`"),
        case("translate: step missing op", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (no op) of process \"a\": missing field `op`"),
        case("run: step op int", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = 5 },\n]\n")
            .err("s.toml:4:3: step 1 (no op) of process \"a\": invalid type: integer `5`, expected an op name"),
        case("translate: step op int", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = 5 },\n]\n")
            .err("s.toml:4:3: step 1 (no op) of process \"a\": invalid type: integer `5`, expected an op name"),
        case("run: step not a table", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  \"read\",\n]\n")
            .err("s.toml:4:3: step 1 (no op) of process \"a\": invalid type: string \"read\", expected a step, a table like { op = \"read\", addr = \"buf\" }"),
        case("translate: step not a table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  \"read\",\n]\n")
            .err("s.toml:4:3: step 1 (no op) of process \"a\": invalid type: string \"read\", expected a step, a table like { op = \"read\", addr = \"buf\" }"),
        case("run: step unknown field", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", size = 4 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown field `size`, expected one of `addr`"),
        case("translate: step unknown field", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", size = 4 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown field `size`, expected one of `addr`"),
        case("run: step read missing addr", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"read\" },\n]\n")
            .err("s.toml:4:3: step 1 (read) of process \"a\": missing field `addr`"),
        case("translate: step read missing addr", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"read\" },\n]\n")
            .err("s.toml:4:3: step 1 (read) of process \"a\": missing field `addr`"),
        case("run: step read unknown region", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"nobuf\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("translate: step read unknown region", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"nobuf\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("run: step read bad addr", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"read\", addr = \"b u f\" },\n]\n")
            .err("s.toml:4:3: step 1 (read) of process \"a\": bad address \"b u f\" (expected a number like 0x1000 or a region name like \"buf+0x10\")"),
        case("translate: step read bad addr", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"read\", addr = \"b u f\" },\n]\n")
            .err("s.toml:4:3: step 1 (read) of process \"a\": bad address \"b u f\" (expected a number like 0x1000 or a region name like \"buf+0x10\")"),
        case("run: step read bad offset", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf+zz\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": bad offset in address \"buf+zz\""),
        case("translate: step read bad offset", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf+zz\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": bad offset in address \"buf+zz\""),
        case("run: step read region overflow", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf+0xffffffffffffffff\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": address buf+0xffffffffffffffff overflows"),
        case("translate: step read region overflow", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf+0xffffffffffffffff\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": address buf+0xffffffffffffffff overflows"),
        case("run: step read stride zero", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", len = 10, stride = 0 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": stride must be at least 1 byte"),
        case("translate: step read stride zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", len = 10, stride = 0 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": stride must be at least 1 byte"),
        case("run: step read repeat negative", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", repeat = -1 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("translate: step read repeat negative", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", repeat = -1 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": invalid value: integer `-1`, expected an integer 0..=4294967295"),
        case("run: step read repeat huge", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", repeat = 99999999999 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": invalid value: integer `99999999999`, expected an integer 0..=4294967295"),
        case("translate: step read repeat huge", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", repeat = 99999999999 },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": invalid value: integer `99999999999`, expected an integer 0..=4294967295"),
        case("run: step read len unit", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", len = \"4 KB please\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown size unit \"kb please\" in \"4 KB please\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("translate: step read len unit", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"read\", addr = \"buf\", len = \"4 KB please\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": unknown size unit \"kb please\" in \"4 KB please\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run: step write value big", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"write\", addr = \"buf\", value = 256 },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": invalid value: integer `256`, expected an integer 0..=255"),
        case("translate: step write value big", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"write\", addr = \"buf\", value = 256 },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": invalid value: integer `256`, expected an integer 0..=255"),
        case("run: step write value string", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"write\", addr = \"buf\", value = \"x\" },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": invalid type: string \"x\", expected an integer 0..=255"),
        case("translate: step write value string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"write\", addr = \"buf\", value = \"x\" },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": invalid type: string \"x\", expected an integer 0..=255"),
        case("run: step exec stride zero", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"exec\", addr = \"buf\", len = 8, stride = 0 },\n]\n")
            .err("s.toml:5:3: step 2 (exec) of process \"a\": stride must be at least 1 byte"),
        case("translate: step exec stride zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"exec\", addr = \"buf\", len = 8, stride = 0 },\n]\n")
            .err("s.toml:5:3: step 2 (exec) of process \"a\": stride must be at least 1 byte"),
        case("run: step mmap bad prot", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = \"4KiB\", prot = \"rwq\" },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": bad prot \"rwq\" (expected a combination of r, w, x, or \"none\")"),
        case("translate: step mmap bad prot", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = \"4KiB\", prot = \"rwq\" },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": bad prot \"rwq\" (expected a combination of r, w, x, or \"none\")"),
        case("run: step mmap missing len", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\" },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": missing field `len`"),
        case("translate: step mmap missing len", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\" },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": missing field `len`"),
        case("run: step mmap fixed int", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4096, fixed = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": invalid type: integer `1`, expected a boolean"),
        case("translate: step mmap fixed int", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4096, fixed = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (mmap) of process \"a\": invalid type: integer `1`, expected a boolean"),
        case("run: step mmap failed then used", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", addr = 4097, len = 4096, fixed = true },\n  { op = \"read\", addr = \"b\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": region \"b\" does not exist: its mmap(0x1001, 4 KiB) failed: EINVAL"),
        case("translate: step mmap failed then used", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", addr = 4097, len = 4096, fixed = true },\n  { op = \"read\", addr = \"b\" },\n]\n")
            .err("s.toml:5:3: step 2 (read) of process \"a\": region \"b\" does not exist: its mmap(0x1001, 4 KiB) failed: EINVAL"),
        case("run: step mmap zero then used", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", len = 0 },\n  { op = \"write\", addr = \"b\" },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": region \"b\" does not exist: its mmap(NULL, 0 B) failed: EINVAL"),
        case("translate: step mmap zero then used", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", len = 0 },\n  { op = \"write\", addr = \"b\" },\n]\n")
            .err("s.toml:5:3: step 2 (write) of process \"a\": region \"b\" does not exist: its mmap(NULL, 0 B) failed: EINVAL"),
        case("run: step mprotect bad prot", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"mprotect\", addr = \"buf\", len = 4096, prot = \"q\" },\n]\n")
            .err("s.toml:5:3: step 2 (mprotect) of process \"a\": bad prot \"q\" (expected a combination of r, w, x, or \"none\")"),
        case("translate: step mprotect bad prot", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"mprotect\", addr = \"buf\", len = 4096, prot = \"q\" },\n]\n")
            .err("s.toml:5:3: step 2 (mprotect) of process \"a\": bad prot \"q\" (expected a combination of r, w, x, or \"none\")"),
        case("run: step mprotect missing prot", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"mprotect\", addr = \"buf\", len = 4096 },\n]\n")
            .err("s.toml:5:3: step 2 (mprotect) of process \"a\": missing field `prot`"),
        case("translate: step mprotect missing prot", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"mprotect\", addr = \"buf\", len = 4096 },\n]\n")
            .err("s.toml:5:3: step 2 (mprotect) of process \"a\": missing field `prot`"),
        case("run: step munmap unknown region", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"munmap\", addr = \"nobuf\", len = 4096 },\n]\n")
            .err("s.toml:4:3: step 1 (munmap) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("translate: step munmap unknown region", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"munmap\", addr = \"nobuf\", len = 4096 },\n]\n")
            .err("s.toml:4:3: step 1 (munmap) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("run: step munmap missing len", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"munmap\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (munmap) of process \"a\": missing field `len`"),
        case("translate: step munmap missing len", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"munmap\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (munmap) of process \"a\": missing field `len`"),
        case("run: step brk overflow", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"brk\", size = \"0xffffffffffffffff\" },\n]\n")
            .err("s.toml:4:3: step 1 (brk) of process \"a\": brk size overflows"),
        case("translate: step brk overflow", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"brk\", size = \"0xffffffffffffffff\" },\n]\n")
            .err("s.toml:4:3: step 1 (brk) of process \"a\": brk size overflows"),
        case("run: step brk missing size", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"brk\" },\n]\n")
            .err("s.toml:4:3: step 1 (brk) of process \"a\": missing field `size`"),
        case("translate: step brk missing size", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"brk\" },\n]\n")
            .err("s.toml:4:3: step 1 (brk) of process \"a\": missing field `size`"),
        case("run: step store both", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", text = \"a\", hex = \"00\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": store needs exactly one of text = \"...\" or hex = \"...\""),
        case("translate: step store both", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", text = \"a\", hex = \"00\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": store needs exactly one of text = \"...\" or hex = \"...\""),
        case("run: step store neither", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": store needs exactly one of text = \"...\" or hex = \"...\""),
        case("translate: step store neither", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": store needs exactly one of text = \"...\" or hex = \"...\""),
        case("run: step store odd hex", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", hex = \"abc\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": hex \"abc\" has an odd number of digits"),
        case("translate: step store odd hex", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", hex = \"abc\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": hex \"abc\" has an odd number of digits"),
        case("run: step store bad hex", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", hex = \"zz\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": bad hex byte \"zz\""),
        case("translate: step store bad hex", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"store\", addr = \"buf\", hex = \"zz\" },\n]\n")
            .err("s.toml:5:3: step 2 (store) of process \"a\": bad hex byte \"zz\""),
        case("run: step store unknown region", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"store\", addr = \"nobuf\", text = \"x\" },\n]\n")
            .err("s.toml:4:3: step 1 (store) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("translate: step store unknown region", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"store\", addr = \"nobuf\", text = \"x\" },\n]\n")
            .err("s.toml:4:3: step 1 (store) of process \"a\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("run: step expect neither", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": expect needs exactly one of text = \"...\" or hex = \"...\""),
        case("translate: step expect neither", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": expect needs exactly one of text = \"...\" or hex = \"...\""),
        case("run: step expect both", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\", text = \"a\", hex = \"61\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": expect needs exactly one of text = \"...\" or hex = \"...\""),
        case("translate: step expect both", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\", text = \"a\", hex = \"61\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": expect needs exactly one of text = \"...\" or hex = \"...\""),
        case("run: step expect bad hex", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\", hex = \"0g\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": bad hex byte \"0g\""),
        case("translate: step expect bad hex", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"expect\", addr = \"buf\", hex = \"0g\" },\n]\n")
            .err("s.toml:5:3: step 2 (expect) of process \"a\": bad hex byte \"0g\""),
        case("run: step pin neither", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": pin needs exactly one of frame = N or swap = SLOT"),
        case("translate: step pin neither", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": pin needs exactly one of frame = N or swap = SLOT"),
        case("run: step pin both", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 2, swap = 3 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": pin needs exactly one of frame = N or swap = SLOT"),
        case("translate: step pin both", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 2, swap = 3 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": pin needs exactly one of frame = N or swap = SLOT"),
        case("run: step pin frame outside", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 99999999 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": frame 99999999 is outside RAM (262144 frames)"),
        case("translate: step pin frame outside", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 99999999 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": frame 99999999 is outside RAM (262144 frames)"),
        case("run: step pin frame twice", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 5 },\n  { op = \"pin\", page = 2, frame = 5 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 1 (0x1000) is not inside any mapping"),
        case("translate: step pin frame twice", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 5 },\n  { op = \"pin\", page = 2, frame = 5 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 1 (0x1000) is not inside any mapping"),
        case("run: step pin swap zero", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, swap = 0 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": swap slot 0 holds the swap header and is never used for data (use 1 or more)"),
        case("translate: step pin swap zero", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, swap = 0 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": swap slot 0 holds the swap header and is never used for data (use 1 or more)"),
        case("run: step pin text with frame", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 9, text = \"x\" },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 1 (0x1000) is not inside any mapping"),
        case("translate: step pin text with frame", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 9, text = \"x\" },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 1 (0x1000) is not inside any mapping"),
        case("run: step pin page huge", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 0xffffffffffffff, frame = 9 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 72057594037927935 (0xfffffffffffff000) is not inside any mapping"),
        case("translate: step pin page huge", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 0xffffffffffffff, frame = 9 },\n]\n")
            .err("s.toml:4:3: step 1 (pin) of process \"a\": page 72057594037927935 (0xfffffffffffff000) is not inside any mapping"),
        case("run: step pin frame huge", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 0xffffffffffffffff },\n]\n")
            .err("s.toml:4:35: number too large to fit in target type"),
        case("translate: step pin frame huge", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"pin\", page = 1, frame = 0xffffffffffffffff },\n]\n")
            .err("s.toml:4:35: number too large to fit in target type"),
        case("run: step fork unknown", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n]\n")
            .err("s.toml:4:3: no [[process]] named \"b\" to start (name it in a [[process]] entry of its own)"),
        case("translate: step fork unknown", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n]\n")
            .err("s.toml:4:3: no [[process]] named \"b\" to start (name it in a [[process]] entry of its own)"),
        case("run: step fork missing child", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\" },\n]\n")
            .err("s.toml:4:3: step 1 (fork) of process \"a\": missing field `child`"),
        case("translate: step fork missing child", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\" },\n]\n")
            .err("s.toml:4:3: step 1 (fork) of process \"a\": missing field `child`"),
        case("run: step thread unknown", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"thread\", child = \"b\" },\n]\n")
            .err("s.toml:4:3: no [[process]] named \"b\" to start (name it in a [[process]] entry of its own)"),
        case("translate: step thread unknown", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"thread\", child = \"b\" },\n]\n")
            .err("s.toml:4:3: no [[process]] named \"b\" to start (name it in a [[process]] entry of its own)"),
        case("run: step fork twice", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n  { op = \"fork\", child = \"b\" },\n]\n[[process]]\nname = \"b\"\n")
            .err("s.toml:5:3: [[process]] \"b\" is started by more than one fork/thread step"),
        case("translate: step fork twice", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n  { op = \"fork\", child = \"b\" },\n]\n[[process]]\nname = \"b\"\n")
            .err("s.toml:5:3: [[process]] \"b\" is started by more than one fork/thread step"),
        case("run: step wait deadlock", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n  { op = \"wait\", child = \"b\" },\n]\n[[process]]\nname = \"b\"\nsteps = [ { op = \"wait\" } ]\n")
            .err("s.toml:5:3: deadlock: every remaining process is blocked in wait"),
        case("translate: step wait deadlock", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"fork\", child = \"b\" },\n  { op = \"wait\", child = \"b\" },\n]\n[[process]]\nname = \"b\"\nsteps = [ { op = \"wait\" } ]\n")
            .err("s.toml:5:3: deadlock: every remaining process is blocked in wait"),
        case("run: step madvise advice", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"madvise\", addr = \"buf\", len = 4096, advice = \"free\" },\n]\n")
            .err("s.toml:5:3: step 2 (madvise) of process \"a\": advice \"free\" is not supported (expected dontneed, mergeable or unmergeable)"),
        case("translate: step madvise advice", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"madvise\", addr = \"buf\", len = 4096, advice = \"free\" },\n]\n")
            .err("s.toml:5:3: step 2 (madvise) of process \"a\": advice \"free\" is not supported (expected dontneed, mergeable or unmergeable)"),
        case("run: step madvise missing len", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"madvise\", addr = \"buf\", advice = \"dontneed\" },\n]\n")
            .err("s.toml:5:3: step 2 (madvise) of process \"a\": missing field `len`"),
        case("translate: step madvise missing len", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"buf\", len = \"64KiB\" },\n  { op = \"madvise\", addr = \"buf\", advice = \"dontneed\" },\n]\n")
            .err("s.toml:5:3: step 2 (madvise) of process \"a\": missing field `len`"),
        case("run: step exit extra field", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"exit\", code = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (exit) of process \"a\": exit takes no fields, found `code`"),
        case("translate: step exit extra field", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"exit\", code = 1 },\n]\n")
            .err("s.toml:4:3: step 1 (exit) of process \"a\": exit takes no fields, found `code`"),
        case("run: step execve extra", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"execve\", path = \"/bin/sh\" },\n]\n")
            .err("s.toml:4:3: step 1 (execve) of process \"a\": execve takes no fields, found `path`"),
        case("translate: step execve extra", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"execve\", path = \"/bin/sh\" },\n]\n")
            .err("s.toml:4:3: step 1 (execve) of process \"a\": execve takes no fields, found `path`"),
        case("run: step compact_memory extra", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"compact_memory\", order = 9 },\n]\n")
            .err("s.toml:4:3: step 1 (compact_memory) of process \"a\": compact_memory takes no fields, found `order`"),
        case("run: step drop_caches extra", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"drop_caches\", level = 3 },\n]\n")
            .err("s.toml:4:3: step 1 (drop_caches) of process \"a\": drop_caches takes no fields, found `level`"),
        case("run: step second process bad", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[[process]]\nname = \"b\"\nsteps = [\n  { op = \"read\", addr = \"nobuf\" },\n]\n")
            .err("s.toml:6:3: step 1 (read) of process \"b\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("translate: step second process bad", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[[process]]\nname = \"b\"\nsteps = [\n  { op = \"read\", addr = \"nobuf\" },\n]\n")
            .err("s.toml:6:3: step 1 (read) of process \"b\": unknown region \"nobuf\" (name it in an earlier mmap step: name = \"nobuf\")"),
        case("run: syntax form feed", &["run", "s.toml"])
            .file("s.toml", b"# a\x0c comment\n")
            .err("s.toml:1:4: control character U+000C is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("translate: syntax form feed", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"# a\x0c comment\n")
            .err("s.toml:1:4: control character U+000C is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("run: syntax nul", &["run", "s.toml"])
            .file("s.toml", b"# a\x00 comment\n")
            .err("s.toml:1:4: control character U+0000 is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("translate: syntax nul", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"# a\x00 comment\n")
            .err("s.toml:1:4: control character U+0000 is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("run: syntax bare cr", &["run", "s.toml"])
            .file("s.toml", b"# a\x0d comment\n")
            .err("s.toml:1:4: control character U+000D is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("translate: syntax bare cr", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"# a\x0d comment\n")
            .err("s.toml:1:4: control character U+000D is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("run: syntax cut inside inline table", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4")
            .err("s.toml:4:25: invalid inline table; expected `}`"),
        case("translate: syntax cut inside inline table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4")
            .err("s.toml:4:25: invalid inline table; expected `}`"),
        case("run: syntax cut after comma", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4096, ")
            .err("s.toml:4:28: invalid inline table; expected `}`"),
        case("translate: syntax cut after comma", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", len = 4096, ")
            .err("s.toml:4:28: invalid inline table; expected `}`"),
        case("run: syntax cut inside string", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mm")
            .err("s.toml:4:13: invalid basic string"),
        case("translate: syntax cut inside string", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mm")
            .err("s.toml:4:13: invalid basic string"),
        case("run: syntax cut inside array", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n")
            .err("s.toml:4:1: invalid array; expected `]`"),
        case("translate: syntax cut inside array", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n")
            .err("s.toml:4:1: invalid array; expected `]`"),
        case("run: syntax unclosed table header", &["run", "s.toml"])
            .file("s.toml", b"[machine\n")
            .err("s.toml:1:9: invalid table header; expected `.`, `]`"),
        case("translate: syntax unclosed table header", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine\n")
            .err("s.toml:1:9: invalid table header; expected `.`, `]`"),
        case("run: syntax bad key", &["run", "s.toml"])
            .file("s.toml", b"[machine]\n= 5\n")
            .err("s.toml:2:1: invalid key"),
        case("translate: syntax bad key", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\n= 5\n")
            .err("s.toml:2:1: invalid key"),
        case("run: syntax bad value", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = \n")
            .err("s.toml:2:8: invalid string; expected `\"`, `'`"),
        case("translate: syntax bad value", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = \n")
            .err("s.toml:2:8: invalid string; expected `\"`, `'`"),
        case("run: syntax newline in inline table", &["run", "s.toml"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\",\n len = 4096 },\n]\n")
            .err("s.toml:4:16: invalid inline table; expected `}`"),
        case("translate: syntax newline in inline table", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\",\n len = 4096 },\n]\n")
            .err("s.toml:4:16: invalid inline table; expected `}`"),
        case("run: syntax invalid utf8 escape", &["run", "s.toml"])
            .file("s.toml", b"[machine]\narch = \"\\x41\"\n")
            .err("s.toml:2:11: invalid escape sequence; expected `b`, `f`, `n`, `r`, `t`, `u`, `U`, `\\`, `\"`"),
        case("translate: syntax invalid utf8 escape", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\narch = \"\\x41\"\n")
            .err("s.toml:2:11: invalid escape sequence; expected `b`, `f`, `n`, `r`, `t`, `u`, `U`, `\\`, `\"`"),
        case("run: syntax tab ok but del", &["run", "s.toml"])
            .file("s.toml", b"# a\x7f comment\n")
            .err("s.toml:1:4: control character U+007F is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("translate: syntax tab ok but del", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"# a\x7f comment\n")
            .err("s.toml:1:4: control character U+007F is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)"),
        case("run: syntax leading zeros", &["run", "s.toml"])
            .file("s.toml", b"[machine]\ncpus = 01\n")
            .err("s.toml:2:9: expected newline, `#`"),
        case("translate: syntax leading zeros", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"[machine]\ncpus = 01\n")
            .err("s.toml:2:9: expected newline, `#`"),
        case("run: syntax bare word", &["run", "s.toml"])
            .file("s.toml", b"hello\n")
            .err("s.toml:1:6: expected `.`, `=`"),
        case("translate: syntax bare word", &["translate", "--scenario", "s.toml", "0x1000"])
            .file("s.toml", b"hello\n")
            .err("s.toml:1:6: expected `.`, `=`"),
    ]);
}

/// Command-line values (`--set KEY=VALUE`, `--frames`, `--memory`, `--policy`, ...), trace contents (pages and
/// lackey under replay, exact replay, mrc and convert), translate, mkswap, and clap's own errors.
#[test]
#[rustfmt::skip]
fn command_line_and_trace_errors_are_located() {
    run_all("cli", vec![
        case("run set machine.cpus=0", &["run", "s.toml", "--set", "machine.cpus=0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024"),
        case("run demo set machine.cpus=0", &["run", "--set", "machine.cpus=0"])
            .err("--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024"),
        case("replay set machine.cpus=0", &["replay", "refs.txt", "--format", "pages", "--set", "machine.cpus=0"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024"),
        case("run set machine.cpus=abc", &["run", "s.toml", "--set", "machine.cpus=abc"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.cpus=abc: invalid type: string \"abc\", expected an integer 0..=4294967295"),
        case("run demo set machine.cpus=abc", &["run", "--set", "machine.cpus=abc"])
            .err("--set machine.cpus=abc: invalid type: string \"abc\", expected an integer 0..=4294967295"),
        case("replay set machine.cpus=abc", &["replay", "refs.txt", "--format", "pages", "--set", "machine.cpus=abc"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.cpus=abc: invalid type: string \"abc\", expected an integer 0..=4294967295"),
        case("run set machine.memory=1KiB", &["run", "s.toml", "--set", "machine.memory=1KiB"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.memory=1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run demo set machine.memory=1KiB", &["run", "--set", "machine.memory=1KiB"])
            .err("--set machine.memory=1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("replay set machine.memory=1KiB", &["replay", "refs.txt", "--format", "pages", "--set", "machine.memory=1KiB"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.memory=1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("run set machine.memory=12parsecs", &["run", "s.toml", "--set", "machine.memory=12parsecs"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.memory=12parsecs: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run demo set machine.memory=12parsecs", &["run", "--set", "machine.memory=12parsecs"])
            .err("--set machine.memory=12parsecs: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("replay set machine.memory=12parsecs", &["replay", "refs.txt", "--format", "pages", "--set", "machine.memory=12parsecs"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.memory=12parsecs: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("run set machine.frames=-1", &["run", "s.toml", "--set", "machine.frames=-1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.frames=-1: invalid value: integer `-1`, expected a non-negative integer"),
        case("run demo set machine.frames=-1", &["run", "--set", "machine.frames=-1"])
            .err("--set machine.frames=-1: invalid value: integer `-1`, expected a non-negative integer"),
        case("replay set machine.frames=-1", &["replay", "refs.txt", "--format", "pages", "--set", "machine.frames=-1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.frames=-1: invalid value: integer `-1`, expected a non-negative integer"),
        case("run set machine.colour=red", &["run", "s.toml", "--set", "machine.colour=red"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.colour=red: unknown field `colour`, expected one of `arch`"),
        case("run demo set machine.colour=red", &["run", "--set", "machine.colour=red"])
            .err("--set machine.colour=red: unknown field `colour`, expected one of `arch`"),
        case("replay set machine.colour=red", &["replay", "refs.txt", "--format", "pages", "--set", "machine.colour=red"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.colour=red: unknown field `colour`, expected one of `arch`"),
        case("run set machine", &["run", "s.toml", "--set", "machine"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine: expected KEY=VALUE, e.g. machine.memory=2GiB"),
        case("run demo set machine", &["run", "--set", "machine"])
            .err("--set machine: expected KEY=VALUE, e.g. machine.memory=2GiB"),
        case("replay set machine", &["replay", "refs.txt", "--format", "pages", "--set", "machine"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine: expected KEY=VALUE, e.g. machine.memory=2GiB"),
        case("run set =5", &["run", "s.toml", "--set", "=5"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set =5: empty key component in \"\" (expected a dotted key like machine.memory)"),
        case("run demo set =5", &["run", "--set", "=5"])
            .err("--set =5: empty key component in \"\" (expected a dotted key like machine.memory)"),
        case("replay set =5", &["replay", "refs.txt", "--format", "pages", "--set", "=5"])
            .file("refs.txt", b"1\n2\n")
            .err("--set =5: empty key component in \"\" (expected a dotted key like machine.memory)"),
        case("run set machine..cpus=1", &["run", "s.toml", "--set", "machine..cpus=1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine..cpus=1: empty key component in \"machine..cpus\" (expected a dotted key like machine.memory)"),
        case("run demo set machine..cpus=1", &["run", "--set", "machine..cpus=1"])
            .err("--set machine..cpus=1: empty key component in \"machine..cpus\" (expected a dotted key like machine.memory)"),
        case("replay set machine..cpus=1", &["replay", "refs.txt", "--format", "pages", "--set", "machine..cpus=1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine..cpus=1: empty key component in \"machine..cpus\" (expected a dotted key like machine.memory)"),
        case("run set machine.memory.x=1", &["run", "s.toml", "--set", "machine.memory.x=1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.memory.x=1: memory is not a table (it holds a value)"),
        case("run demo set machine.memory.x=1", &["run", "--set", "machine.memory.x=1"])
            .err("--set machine.memory.x=1: memory is not a table (it holds a value)"),
        case("replay set machine.memory.x=1", &["replay", "refs.txt", "--format", "pages", "--set", "machine.memory.x=1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.memory.x=1: memory is not a table (it holds a value)"),
        case("run set reclaim.swappiness=201", &["run", "s.toml", "--set", "reclaim.swappiness=201"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set reclaim.swappiness=201: reclaim.swappiness = 201: out of range 0..=200 (vm.swappiness)"),
        case("run demo set reclaim.swappiness=201", &["run", "--set", "reclaim.swappiness=201"])
            .err("--set reclaim.swappiness=201: reclaim.swappiness = 201: out of range 0..=200 (vm.swappiness)"),
        case("replay set reclaim.swappiness=201", &["replay", "refs.txt", "--format", "pages", "--set", "reclaim.swappiness=201"])
            .file("refs.txt", b"1\n2\n")
            .err("--set reclaim.swappiness=201: reclaim.swappiness = 201: out of range 0..=200 (vm.swappiness)"),
        case("run set reclaim.policy=belady", &["run", "s.toml", "--set", "reclaim.policy=belady"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set reclaim.policy=belady: unknown variant `belady`, expected one of `fifo`"),
        case("run demo set reclaim.policy=belady", &["run", "--set", "reclaim.policy=belady"])
            .err("--set reclaim.policy=belady: unknown variant `belady`, expected one of `fifo`"),
        case("replay set reclaim.policy=belady", &["replay", "refs.txt", "--format", "pages", "--set", "reclaim.policy=belady"])
            .file("refs.txt", b"1\n2\n")
            .err("--set reclaim.policy=belady: unknown variant `belady`, expected one of `fifo`"),
        case("run set reclaim.policy=opt", &["run", "s.toml", "--set", "reclaim.policy=opt"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set reclaim.policy=opt: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("run demo set reclaim.policy=opt", &["run", "--set", "reclaim.policy=opt"])
            .err("--set reclaim.policy=opt: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("replay set reclaim.policy=opt", &["replay", "refs.txt", "--format", "pages", "--set", "reclaim.policy=opt"])
            .file("refs.txt", b"1\n2\n")
            .err("--set reclaim.policy=opt: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("run set tlb.l1d.entries=0", &["run", "s.toml", "--set", "tlb.l1d.entries=0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set tlb.l1d.entries=0: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("run demo set tlb.l1d.entries=0", &["run", "--set", "tlb.l1d.entries=0"])
            .err("--set tlb.l1d.entries=0: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("replay set tlb.l1d.entries=0", &["replay", "refs.txt", "--format", "pages", "--set", "tlb.l1d.entries=0"])
            .file("refs.txt", b"1\n2\n")
            .err("--set tlb.l1d.entries=0: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("run set tlb.l1d.ways=3", &["run", "s.toml", "--set", "tlb.l1d.ways=3"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set tlb.l1d.ways=3: tlb.l1d.entries = 64 is not a multiple of tlb.l1d.ways = 3"),
        case("run demo set tlb.l1d.ways=3", &["run", "--set", "tlb.l1d.ways=3"])
            .err("--set tlb.l1d.ways=3: tlb.l1d.entries = 64 is not a multiple of tlb.l1d.ways = 3"),
        case("replay set tlb.l1d.ways=3", &["replay", "refs.txt", "--format", "pages", "--set", "tlb.l1d.ways=3"])
            .file("refs.txt", b"1\n2\n")
            .err("--set tlb.l1d.ways=3: tlb.l1d.entries = 64 is not a multiple of tlb.l1d.ways = 3"),
        case("run set tlb.stlb.entries=100", &["run", "s.toml", "--set", "tlb.stlb.entries=100"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set tlb.stlb.entries=100: tlb.stlb.entries = 100 is not a multiple of tlb.stlb.ways = 12"),
        case("run demo set tlb.stlb.entries=100", &["run", "--set", "tlb.stlb.entries=100"])
            .err("--set tlb.stlb.entries=100: tlb.stlb.entries = 100 is not a multiple of tlb.stlb.ways = 12"),
        case("replay set tlb.stlb.entries=100", &["replay", "refs.txt", "--format", "pages", "--set", "tlb.stlb.entries=100"])
            .file("refs.txt", b"1\n2\n")
            .err("--set tlb.stlb.entries=100: tlb.stlb.entries = 100 is not a multiple of tlb.stlb.ways = 12"),
        case("run set tlb.psc.pde=99999999", &["run", "s.toml", "--set", "tlb.psc.pde=99999999"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set tlb.psc.pde=99999999: tlb.psc.pde = 99999999: at most 1048576 entries are supported"),
        case("run demo set tlb.psc.pde=99999999", &["run", "--set", "tlb.psc.pde=99999999"])
            .err("--set tlb.psc.pde=99999999: tlb.psc.pde = 99999999: at most 1048576 entries are supported"),
        case("replay set tlb.psc.pde=99999999", &["replay", "refs.txt", "--format", "pages", "--set", "tlb.psc.pde=99999999"])
            .file("refs.txt", b"1\n2\n")
            .err("--set tlb.psc.pde=99999999: tlb.psc.pde = 99999999: at most 1048576 entries are supported"),
        case("run set cost.memory_ns=-1", &["run", "s.toml", "--set", "cost.memory_ns=-1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set cost.memory_ns=-1: cost.memory_ns = -1: must be a non-negative number of nanoseconds"),
        case("run demo set cost.memory_ns=-1", &["run", "--set", "cost.memory_ns=-1"])
            .err("--set cost.memory_ns=-1: cost.memory_ns = -1: must be a non-negative number of nanoseconds"),
        case("replay set cost.memory_ns=-1", &["replay", "refs.txt", "--format", "pages", "--set", "cost.memory_ns=-1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set cost.memory_ns=-1: cost.memory_ns = -1: must be a non-negative number of nanoseconds"),
        case("run set cost.memory_ns=nan", &["run", "s.toml", "--set", "cost.memory_ns=nan"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set cost.memory_ns=nan: cost.memory_ns = NaN: must be a non-negative number of nanoseconds"),
        case("run demo set cost.memory_ns=nan", &["run", "--set", "cost.memory_ns=nan"])
            .err("--set cost.memory_ns=nan: cost.memory_ns = NaN: must be a non-negative number of nanoseconds"),
        case("replay set cost.memory_ns=nan", &["replay", "refs.txt", "--format", "pages", "--set", "cost.memory_ns=nan"])
            .file("refs.txt", b"1\n2\n")
            .err("--set cost.memory_ns=nan: cost.memory_ns = NaN: must be a non-negative number of nanoseconds"),
        case("run set swap.size=-1", &["run", "s.toml", "--set", "swap.size=-1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set swap.size=-1: -1 is negative (expected a size: a number of bytes, or a string like \"64KiB\")"),
        case("run demo set swap.size=-1", &["run", "--set", "swap.size=-1"])
            .err("--set swap.size=-1: -1 is negative (expected a size: a number of bytes, or a string like \"64KiB\")"),
        case("replay set swap.size=-1", &["replay", "refs.txt", "--format", "pages", "--set", "swap.size=-1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set swap.size=-1: -1 is negative (expected a size: a number of bytes, or a string like \"64KiB\")"),
        case("run set swap.devices=[{file=\"none.img\"}]", &["run", "s.toml", "--set", "swap.devices=[{file=\"none.img\"}]"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set swap.devices=[{file=\"none.img\"}]: none.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("run demo set swap.devices=[{file=\"none.img\"}]", &["run", "--set", "swap.devices=[{file=\"none.img\"}]"])
            .err("--set swap.devices=[{file=\"none.img\"}]: none.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("replay set swap.devices=[{file=\"none.img\"}]", &["replay", "refs.txt", "--format", "pages", "--set", "swap.devices=[{file=\"none.img\"}]"])
            .file("refs.txt", b"1\n2\n")
            .err("--set swap.devices=[{file=\"none.img\"}]: none.img: open at byte 0 failed: No such file or directory (os error 2)"),
        case("run set swap.devices=5", &["run", "s.toml", "--set", "swap.devices=5"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set swap.devices=5: invalid type: integer `5`, expected an array"),
        case("run demo set swap.devices=5", &["run", "--set", "swap.devices=5"])
            .err("--set swap.devices=5: invalid type: integer `5`, expected an array"),
        case("replay set swap.devices=5", &["replay", "refs.txt", "--format", "pages", "--set", "swap.devices=5"])
            .file("refs.txt", b"1\n2\n")
            .err("--set swap.devices=5: invalid type: integer `5`, expected an array"),
        case("run set nosuch.key=1", &["run", "s.toml", "--set", "nosuch.key=1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set nosuch.key=1: unknown field `nosuch`, expected one of `machine`"),
        case("run demo set nosuch.key=1", &["run", "--set", "nosuch.key=1"])
            .err("--set nosuch.key=1: unknown field `nosuch`, expected one of `machine`"),
        case("replay set nosuch.key=1", &["replay", "refs.txt", "--format", "pages", "--set", "nosuch.key=1"])
            .file("refs.txt", b"1\n2\n")
            .err("--set nosuch.key=1: unknown field `nosuch`, expected one of `machine`"),
        case("run set process.name=x", &["run", "s.toml", "--set", "process.name=x"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set process.name=x: unknown field `process`, expected one of `machine`"),
        case("run demo set process.name=x", &["run", "--set", "process.name=x"])
            .err("--set process.name=x: unknown field `process`, expected one of `machine`"),
        case("replay set process.name=x", &["replay", "refs.txt", "--format", "pages", "--set", "process.name=x"])
            .file("refs.txt", b"1\n2\n")
            .err("--set process.name=x: unknown field `process`, expected one of `machine`"),
        case("run set machine.arch=riscv", &["run", "s.toml", "--set", "machine.arch=riscv"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.arch=riscv: unknown variant `riscv`, expected `x86-64` or `linear`"),
        case("run demo set machine.arch=riscv", &["run", "--set", "machine.arch=riscv"])
            .err("--set machine.arch=riscv: unknown variant `riscv`, expected `x86-64` or `linear`"),
        case("replay set machine.arch=riscv", &["replay", "refs.txt", "--format", "pages", "--set", "machine.arch=riscv"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.arch=riscv: unknown variant `riscv`, expected `x86-64` or `linear`"),
        case("run set machine.page_size=8192", &["run", "s.toml", "--set", "machine.page_size=8192"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.page_size=8192: machine.page_size = 8192: only 4096 is supported (x86-64 base pages)"),
        case("run demo set machine.page_size=8192", &["run", "--set", "machine.page_size=8192"])
            .err("--set machine.page_size=8192: machine.page_size = 8192: only 4096 is supported (x86-64 base pages)"),
        case("replay set machine.page_size=8192", &["replay", "refs.txt", "--format", "pages", "--set", "machine.page_size=8192"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.page_size=8192: machine.page_size = 8192: only 4096 is supported (x86-64 base pages)"),
        case("run set reclaim.page_cluster=99", &["run", "s.toml", "--set", "reclaim.page_cluster=99"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set reclaim.page_cluster=99: reclaim.page_cluster = 99: out of range 0..=31 (vm.page-cluster)"),
        case("run demo set reclaim.page_cluster=99", &["run", "--set", "reclaim.page_cluster=99"])
            .err("--set reclaim.page_cluster=99: reclaim.page_cluster = 99: out of range 0..=31 (vm.page-cluster)"),
        case("replay set reclaim.page_cluster=99", &["replay", "refs.txt", "--format", "pages", "--set", "reclaim.page_cluster=99"])
            .file("refs.txt", b"1\n2\n")
            .err("--set reclaim.page_cluster=99: reclaim.page_cluster = 99: out of range 0..=31 (vm.page-cluster)"),
        case("run set reclaim.watermark_scale_factor=0", &["run", "s.toml", "--set", "reclaim.watermark_scale_factor=0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set reclaim.watermark_scale_factor=0: reclaim.watermark_scale_factor = 0: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("run demo set reclaim.watermark_scale_factor=0", &["run", "--set", "reclaim.watermark_scale_factor=0"])
            .err("--set reclaim.watermark_scale_factor=0: reclaim.watermark_scale_factor = 0: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("replay set reclaim.watermark_scale_factor=0", &["replay", "refs.txt", "--format", "pages", "--set", "reclaim.watermark_scale_factor=0"])
            .file("refs.txt", b"1\n2\n")
            .err("--set reclaim.watermark_scale_factor=0: reclaim.watermark_scale_factor = 0: out of range 1..=3000 (vm.watermark_scale_factor)"),
        case("run set machine.quantum=-5", &["run", "s.toml", "--set", "machine.quantum=-5"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.quantum=-5: invalid value: integer `-5`, expected a non-negative integer"),
        case("run demo set machine.quantum=-5", &["run", "--set", "machine.quantum=-5"])
            .err("--set machine.quantum=-5: invalid value: integer `-5`, expected a non-negative integer"),
        case("replay set machine.quantum=-5", &["replay", "refs.txt", "--format", "pages", "--set", "machine.quantum=-5"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.quantum=-5: invalid value: integer `-5`, expected a non-negative integer"),
        case("run set machine.seed=1.5", &["run", "s.toml", "--set", "machine.seed=1.5"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.seed=1.5: invalid type: floating point `1.5`, expected a non-negative integer"),
        case("run demo set machine.seed=1.5", &["run", "--set", "machine.seed=1.5"])
            .err("--set machine.seed=1.5: invalid type: floating point `1.5`, expected a non-negative integer"),
        case("replay set machine.seed=1.5", &["replay", "refs.txt", "--format", "pages", "--set", "machine.seed=1.5"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.seed=1.5: invalid type: floating point `1.5`, expected a non-negative integer"),
        case("translate set machine.cpus=0", &["translate", "--scenario", "s.toml", "--set", "machine.cpus=0", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024"),
        case("exact set machine.cpus=0", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "2", "--set", "machine.cpus=0"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024"),
        case("translate set tlb.l1d.entries=0", &["translate", "--scenario", "s.toml", "--set", "tlb.l1d.entries=0", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set tlb.l1d.entries=0: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("exact set tlb.l1d.entries=0", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "2", "--set", "tlb.l1d.entries=0"])
            .file("refs.txt", b"1\n2\n")
            .err("--set tlb.l1d.entries=0: tlb.l1d.entries = 0: a TLB needs at least one entry"),
        case("translate set machine.memory=1KiB", &["translate", "--scenario", "s.toml", "--set", "machine.memory=1KiB", "0x1000"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--set machine.memory=1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact set machine.memory=1KiB", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "2", "--set", "machine.memory=1KiB"])
            .file("refs.txt", b"1\n2\n")
            .err("--set machine.memory=1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("replay frames 0", &["replay", "refs.txt", "--format", "pages", "--frames", "0"])
            .file("refs.txt", b"1\n")
            .err("--frames 0: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact frames 0", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "0"])
            .file("refs.txt", b"1\n")
            .err("--frames 0: out of range 1..=134217728 in exact mode (a trace needs no more frames than it has distinct pages)"),
        case("replay frames 1", &["replay", "refs.txt", "--format", "pages", "--frames", "1"])
            .file("refs.txt", b"1\n")
            .err("--frames 1: machine memory of 1 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact frames 1", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "1"])
            .file("refs.txt", b"1\n")
            .code(0),
        case("replay frames 3", &["replay", "refs.txt", "--format", "pages", "--frames", "3"])
            .file("refs.txt", b"1\n")
            .err("--frames 3: machine memory of 3 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact frames 3", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "3"])
            .file("refs.txt", b"1\n")
            .code(0),
        case("replay frames 99999999999999999", &["replay", "refs.txt", "--format", "pages", "--frames", "99999999999999999"])
            .file("refs.txt", b"1\n")
            .err("--frames 99999999999999999: machine memory of 99999999999999999 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact frames 99999999999999999", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "99999999999999999"])
            .file("refs.txt", b"1\n")
            .err("--frames 99999999999999999: out of range 1..=134217728 in exact mode (a trace needs no more frames than it has distinct pages)"),
        case("replay memory 1KiB", &["replay", "refs.txt", "--format", "pages", "--memory", "1KiB"])
            .file("refs.txt", b"1\n")
            .err("--memory 1KiB: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("replay memory 12parsecs", &["replay", "refs.txt", "--format", "pages", "--memory", "12parsecs"])
            .file("refs.txt", b"1\n")
            .err("--memory 12parsecs: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("replay memory -1", &["replay", "refs.txt", "--format", "pages", "--memory", "-1"])
            .file("refs.txt", b"1\n")
            .err("unexpected argument '-1' found"),
        case("replay memory 0", &["replay", "refs.txt", "--format", "pages", "--memory", "0"])
            .file("refs.txt", b"1\n")
            .err("--memory 0: machine memory of 0 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("replay memory 1PiB", &["replay", "refs.txt", "--format", "pages", "--memory", "1PiB"])
            .file("refs.txt", b"1\n")
            .err("--memory 1PiB: unknown size unit \"pib\" in \"1PiB\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("replay policy opt", &["replay", "refs.txt", "--format", "pages", "--policy", "opt"])
            .file("refs.txt", b"1\n")
            .err("--policy opt: reclaim.policy = opt needs to know the future, which only a whole trace gives: use `vmsim replay TRACE --exact --policy opt`"),
        case("replay policy unknown", &["replay", "refs.txt", "--format", "pages", "--policy", "belady"])
            .file("refs.txt", b"1\n")
            .err("invalid value 'belady' for '--policy <POLICY>'"),
        case("replay format unknown", &["replay", "refs.txt", "--format", "champsim"])
            .file("refs.txt", b"1\n")
            .err("invalid value 'champsim' for '--format <FORMAT>'"),
        case("replay no format", &["replay", "refs.txt"])
            .file("refs.txt", b"1\n")
            .err("the following required arguments were not provided:"),
        case("replay missing trace", &["replay", "nope.txt", "--format", "pages"])
            .err("nope.txt: cannot open trace: No such file or directory (os error 2)"),
        case("replay trace is dir", &["replay", "d", "--format", "pages"])
            .file("d/x", b"")
            .err("d:1: read error: Is a directory (os error 21) (the trace could not be read)"),
        case("replay strict without scenario", &["replay", "refs.txt", "--format", "pages", "--strict"])
            .file("refs.txt", b"1\n")
            .err("--strict needs --scenario FILE: its first process defines the legal mappings"),
        case("replay scenario missing", &["replay", "refs.txt", "--format", "pages", "--scenario", "nope.toml"])
            .file("refs.txt", b"1\n")
            .err("nope.toml: cannot read file: No such file or directory (os error 2)"),
        case("replay scenario bad", &["replay", "refs.txt", "--format", "pages", "--scenario", "s.toml"])
            .file("refs.txt", b"1\n")
            .file("s.toml", b"[machine]\ncpus = 0\n")
            .err("s.toml:2:8: machine.cpus = 0: out of range 1..=1024"),
        case("replay scenario bad frames", &["replay", "refs.txt", "--format", "pages", "--scenario", "s.toml", "--frames", "2"])
            .file("refs.txt", b"1\n")
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--frames 2: machine memory of 2 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("exact no frames", &["replay", "refs.txt", "--format", "pages", "--exact"])
            .file("refs.txt", b"1\n")
            .err("--exact needs --frames N: the number of page frames to replace pages in (e.g. --frames 3)"),
        case("exact with memory", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "2", "--memory", "1MiB"])
            .file("refs.txt", b"1\n")
            .err("--exact takes memory as --frames N, not --memory (drop --memory)"),
        case("exact with strict", &["replay", "refs.txt", "--format", "pages", "--exact", "--frames", "2", "--strict"])
            .file("refs.txt", b"1\n")
            .err("--exact replays page numbers only, with no address space: --strict and --scenario need the full model (drop --exact)"),
        case("pages letters replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\nabc\n")
            .err("t.pages:2: page number \"abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages letters replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1\nabc\n")
            .err("t.pages:2: page number \"abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages letters mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\nabc\n")
            .err("t.pages:2: page number \"abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages letters convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1\nabc\n")
            .err("t.pages:2: page number \"abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages negative replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n-3\n")
            .err("t.pages:2: page number \"-3\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages negative replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1\n-3\n")
            .err("t.pages:2: page number \"-3\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages negative mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n-3\n")
            .err("t.pages:2: page number \"-3\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages negative convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1\n-3\n")
            .err("t.pages:2: page number \"-3\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages float replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1.5\n")
            .err("t.pages:1: page number \"1.5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages float replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1.5\n")
            .err("t.pages:1: page number \"1.5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages float mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1.5\n")
            .err("t.pages:1: page number \"1.5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages float convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1.5\n")
            .err("t.pages:1: page number \"1.5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex bad replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"0xZZ\n")
            .err("t.pages:1: page number \"0xZZ\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex bad replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"0xZZ\n")
            .err("t.pages:1: page number \"0xZZ\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex bad mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"0xZZ\n")
            .err("t.pages:1: page number \"0xZZ\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex bad convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"0xZZ\n")
            .err("t.pages:1: page number \"0xZZ\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages overflow replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"99999999999999999999999\n")
            .err("t.pages:1: page number \"99999999999999999999999\" does not fit in 64 bits (page numbers are at most 18446744073709551615)"),
        case("pages overflow replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"99999999999999999999999\n")
            .err("t.pages:1: page number \"99999999999999999999999\" does not fit in 64 bits (page numbers are at most 18446744073709551615)"),
        case("pages overflow mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"99999999999999999999999\n")
            .err("t.pages:1: page number \"99999999999999999999999\" does not fit in 64 bits (page numbers are at most 18446744073709551615)"),
        case("pages overflow convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"99999999999999999999999\n")
            .err("t.pages:1: page number \"99999999999999999999999\" does not fit in 64 bits (page numbers are at most 18446744073709551615)"),
        case("pages two numbers replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1 2\n")
            .err("t.pages:1: unexpected text \"2\" after the record (expected one page number per line)"),
        case("pages two numbers replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1 2\n")
            .err("t.pages:1: unexpected text \"2\" after the record (expected one page number per line)"),
        case("pages two numbers mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1 2\n")
            .err("t.pages:1: unexpected text \"2\" after the record (expected one page number per line)"),
        case("pages two numbers convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1 2\n")
            .err("t.pages:1: unexpected text \"2\" after the record (expected one page number per line)"),
        case("pages nul replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n\x00\n")
            .err("t.pages:2: page number \"\\0\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages nul replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1\n\x00\n")
            .err("t.pages:2: page number \"\\0\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages nul mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n\x00\n")
            .err("t.pages:2: page number \"\\0\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages nul convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1\n\x00\n")
            .err("t.pages:2: page number \"\\0\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages huge page 2^52 replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"4503599627370496\n")
            .err("t.pages: reference 1 is page 4503599627370496, beyond the user address space of x86-64 (page numbers must be below 34359738367; vmsim replay --exact and vmsim mrc take any page number)"),
        case("pages huge page 2^52 replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"4503599627370496\n")
            .code(0),
        case("pages huge page 2^52 mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"4503599627370496\n")
            .code(0),
        case("pages huge page 2^52 convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"4503599627370496\n")
            .code(0),
        case("pages huge page 2^35 replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"34359738368\n")
            .err("t.pages: reference 1 is page 34359738368, beyond the user address space of x86-64 (page numbers must be below 34359738367; vmsim replay --exact and vmsim mrc take any page number)"),
        case("pages huge page 2^35 replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"34359738368\n")
            .code(0),
        case("pages huge page 2^35 mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"34359738368\n")
            .code(0),
        case("pages huge page 2^35 convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"34359738368\n")
            .code(0),
        case("pages huge page max replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"18446744073709551615\n")
            .err("t.pages: reference 1 is page 18446744073709551615, beyond the user address space of x86-64 (page numbers must be below 34359738367; vmsim replay --exact and vmsim mrc take any page number)"),
        case("pages huge page max replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"18446744073709551615\n")
            .code(0),
        case("pages huge page max mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"18446744073709551615\n")
            .code(0),
        case("pages huge page max convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"18446744073709551615\n")
            .code(0),
        case("pages invalid utf8 replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n\xff\xfe\n")
            .err("t.pages:2: page number \"��\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages invalid utf8 replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1\n\xff\xfe\n")
            .err("t.pages:2: page number \"��\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages invalid utf8 mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1\n\xff\xfe\n")
            .err("t.pages:2: page number \"��\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages invalid utf8 convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1\n\xff\xfe\n")
            .err("t.pages:2: page number \"��\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages trailing junk replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"12abc\n")
            .err("t.pages:1: page number \"12abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages trailing junk replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"12abc\n")
            .err("t.pages:1: page number \"12abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages trailing junk mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"12abc\n")
            .err("t.pages:1: page number \"12abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages trailing junk convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"12abc\n")
            .err("t.pages:1: page number \"12abc\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex prefix only replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"0x\n")
            .err("t.pages:1: page number \"0x\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex prefix only replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"0x\n")
            .err("t.pages:1: page number \"0x\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex prefix only mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"0x\n")
            .err("t.pages:1: page number \"0x\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages hex prefix only convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"0x\n")
            .err("t.pages:1: page number \"0x\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages plus sign replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"+5\n")
            .err("t.pages:1: page number \"+5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages plus sign replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"+5\n")
            .err("t.pages:1: page number \"+5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages plus sign mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"+5\n")
            .err("t.pages:1: page number \"+5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages plus sign convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"+5\n")
            .err("t.pages:1: page number \"+5\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages underscore replay", &["replay", "t.pages", "--format", "pages"])
            .file("t.pages", b"1_000\n")
            .err("t.pages:1: page number \"1_000\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages underscore replay exact", &["replay", "t.pages", "--format", "pages", "--exact", "--frames", "4"])
            .file("t.pages", b"1_000\n")
            .err("t.pages:1: page number \"1_000\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages underscore mrc", &["mrc", "t.pages", "--format", "pages"])
            .file("t.pages", b"1_000\n")
            .err("t.pages:1: page number \"1_000\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("pages underscore convert", &["convert", "t.pages", "--from", "pages", "--to", "pages", "out.txt"])
            .file("t.pages", b"1_000\n")
            .err("t.pages:1: page number \"1_000\" is not a decimal or 0x-hexadecimal number (expected one page number per line, decimal or 0x-hex, as in `4096` or `0x1000`)"),
        case("lackey unknown op replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"I  00401000,5\n X 00403040,1\n")
            .err("t.lackey:2: unknown operation \"X\" (expected I, L, S or M)"),
        case("lackey unknown op replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b"I  00401000,5\n X 00403040,1\n")
            .err("t.lackey:2: unknown operation \"X\" (expected I, L, S or M)"),
        case("lackey unknown op mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"I  00401000,5\n X 00403040,1\n")
            .err("t.lackey:2: unknown operation \"X\" (expected I, L, S or M)"),
        case("lackey unknown op convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b"I  00401000,5\n X 00403040,1\n")
            .err("converting to out.txt: t.lackey:2: unknown operation \"X\" (expected I, L, S or M)"),
        case("lackey bad addr replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 0040zz40,4\n")
            .err("t.lackey:1: address \"0040zz40\" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"),
        case("lackey bad addr replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 0040zz40,4\n")
            .err("t.lackey:1: address \"0040zz40\" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"),
        case("lackey bad addr mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 0040zz40,4\n")
            .err("t.lackey:1: address \"0040zz40\" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"),
        case("lackey bad addr convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 0040zz40,4\n")
            .err("converting to out.txt: t.lackey:1: address \"0040zz40\" is not hexadecimal (expected hex digits, as in ` L 1ffefff8a8,8`)"),
        case("lackey no size replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey no size replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey no size mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey no size convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040\n")
            .err("converting to out.txt: t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey size zero replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,0\n")
            .err("t.lackey:1: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"),
        case("lackey size zero replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040,0\n")
            .err("t.lackey:1: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"),
        case("lackey size zero mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,0\n")
            .err("t.lackey:1: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"),
        case("lackey size zero convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040,0\n")
            .err("converting to out.txt: t.lackey:1: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"),
        case("lackey size zero instruction after good lines", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"I  04000000,3\n L 10,8\nI  04000003,0\n")
            .err("t.lackey:3: size 0: an access of no bytes (lackey sizes are 1 or more: is the trace damaged?)"),
        case("lackey size huge replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,99999999999\n")
            .err("t.lackey:1: size \"99999999999\" does not fit in 32 bits (sizes are at most 4294967295)"),
        case("lackey size huge replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040,99999999999\n")
            .err("t.lackey:1: size \"99999999999\" does not fit in 32 bits (sizes are at most 4294967295)"),
        case("lackey size huge mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,99999999999\n")
            .err("t.lackey:1: size \"99999999999\" does not fit in 32 bits (sizes are at most 4294967295)"),
        case("lackey size huge convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040,99999999999\n")
            .err("converting to out.txt: t.lackey:1: size \"99999999999\" does not fit in 32 bits (sizes are at most 4294967295)"),
        case("lackey addr overflow replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L ffffffffffffffff,8\n")
            .err("t.lackey:1: 8-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space (addr + size must not exceed 2^64)"),
        case("lackey addr overflow replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L ffffffffffffffff,8\n")
            .err("t.lackey:1: 8-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space (addr + size must not exceed 2^64)"),
        case("lackey addr overflow mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L ffffffffffffffff,8\n")
            .err("t.lackey:1: 8-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space (addr + size must not exceed 2^64)"),
        case("lackey addr overflow convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L ffffffffffffffff,8\n")
            .err("converting to out.txt: t.lackey:1: 8-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space (addr + size must not exceed 2^64)"),
        case("lackey addr too long replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 1ffffffffffffffff,8\n")
            .err("t.lackey:1: address \"1ffffffffffffffff\" does not fit in 64 bits (addresses have at most 16 hex digits)"),
        case("lackey addr too long replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 1ffffffffffffffff,8\n")
            .err("t.lackey:1: address \"1ffffffffffffffff\" does not fit in 64 bits (addresses have at most 16 hex digits)"),
        case("lackey addr too long mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 1ffffffffffffffff,8\n")
            .err("t.lackey:1: address \"1ffffffffffffffff\" does not fit in 64 bits (addresses have at most 16 hex digits)"),
        case("lackey addr too long convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 1ffffffffffffffff,8\n")
            .err("converting to out.txt: t.lackey:1: address \"1ffffffffffffffff\" does not fit in 64 bits (addresses have at most 16 hex digits)"),
        case("lackey garbage replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"hello world\n")
            .err("t.lackey:1: unknown operation \"hello\" (expected I, L, S or M)"),
        case("lackey garbage replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b"hello world\n")
            .err("t.lackey:1: unknown operation \"hello\" (expected I, L, S or M)"),
        case("lackey garbage mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"hello world\n")
            .err("t.lackey:1: unknown operation \"hello\" (expected I, L, S or M)"),
        case("lackey garbage convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b"hello world\n")
            .err("converting to out.txt: t.lackey:1: unknown operation \"hello\" (expected I, L, S or M)"),
        case("lackey nul replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,4\n\x00\n")
            .err("t.lackey:2: unknown operation \"\\0\" (expected I, L, S or M)"),
        case("lackey nul replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040,4\n\x00\n")
            .err("t.lackey:2: unknown operation \"\\0\" (expected I, L, S or M)"),
        case("lackey nul mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,4\n\x00\n")
            .err("t.lackey:2: unknown operation \"\\0\" (expected I, L, S or M)"),
        case("lackey nul convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040,4\n\x00\n")
            .err("converting to out.txt: t.lackey:2: unknown operation \"\\0\" (expected I, L, S or M)"),
        case("lackey missing comma replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040 4\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey missing comma replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040 4\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey missing comma mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040 4\n")
            .err("t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey missing comma convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040 4\n")
            .err("converting to out.txt: t.lackey:1: missing ',' after the address (expected `addr,size`, as in ` L 1ffefff8a8,8`)"),
        case("lackey negative size replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,-4\n")
            .err("t.lackey:1: size \"-4\" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"),
        case("lackey negative size replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b" L 00403040,-4\n")
            .err("t.lackey:1: size \"-4\" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"),
        case("lackey negative size mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b" L 00403040,-4\n")
            .err("t.lackey:1: size \"-4\" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"),
        case("lackey negative size convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b" L 00403040,-4\n")
            .err("converting to out.txt: t.lackey:1: size \"-4\" is not a decimal number (expected a decimal byte count, as in ` L 1ffefff8a8,8`)"),
        case("lackey binary replay", &["replay", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"\x7fELF\x02\x01\x01\n")
            .err("t.lackey:1: unknown operation \"\\u{7f}ELF\\u{2}\\u{1}\\u{1}\" (expected I, L, S or M)"),
        case("lackey binary replay exact", &["replay", "t.lackey", "--format", "lackey", "--exact", "--frames", "4"])
            .file("t.lackey", b"\x7fELF\x02\x01\x01\n")
            .err("t.lackey:1: unknown operation \"\\u{7f}ELF\\u{2}\\u{1}\\u{1}\" (expected I, L, S or M)"),
        case("lackey binary mrc", &["mrc", "t.lackey", "--format", "lackey"])
            .file("t.lackey", b"\x7fELF\x02\x01\x01\n")
            .err("t.lackey:1: unknown operation \"\\u{7f}ELF\\u{2}\\u{1}\\u{1}\" (expected I, L, S or M)"),
        case("lackey binary convert", &["convert", "t.lackey", "--from", "lackey", "--to", "pages", "out.txt"])
            .file("t.lackey", b"\x7fELF\x02\x01\x01\n")
            .err("converting to out.txt: t.lackey:1: unknown operation \"\\u{7f}ELF\\u{2}\\u{1}\\u{1}\" (expected I, L, S or M)"),
        case("mrc step 0", &["mrc", "refs.txt", "--format", "pages", "--step", "0"])
            .file("refs.txt", b"1\n")
            .err("--step 0: must be at least 1 (show every K-th number of frames)"),
        case("mrc max frames 0", &["mrc", "refs.txt", "--format", "pages", "--max-frames", "0"])
            .file("refs.txt", b"1\n")
            .err("--max-frames 0: must be at least 1 (with no frames every reference misses)"),
        case("mrc max frames negative", &["mrc", "refs.txt", "--format", "pages", "--max-frames", "-1"])
            .file("refs.txt", b"1\n")
            .err("unexpected argument '-1' found"),
        case("mrc missing", &["mrc", "nope.txt", "--format", "pages"])
            .err("nope.txt: cannot open trace: No such file or directory (os error 2)"),
        case("translate missing scenario", &["translate", "--scenario", "nope.toml", "0"])
            .err("nope.toml: cannot read file: No such file or directory (os error 2)"),
        case("translate bad addr", &["translate", "--scenario", "s.toml", "zz"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("\"zz\": not an address (expected decimal like 9192 or hex like 0x23E8)"),
        case("translate negative addr", &["translate", "--scenario", "s.toml", "--", "-1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("\"-1\": not an address (expected decimal like 9192 or hex like 0x23E8)"),
        case("translate addr overflow", &["translate", "--scenario", "s.toml", "0x1ffffffffffffffff"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("\"0x1ffffffffffffffff\": not an address (expected decimal like 9192 or hex like 0x23E8)"),
        case("translate bad pid", &["translate", "--scenario", "s.toml", "--pid", "9", "0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--pid 9: no process 9 in the scenario s.toml (it declares 1 process(es))"),
        case("translate pid zero", &["translate", "--scenario", "s.toml", "--pid", "0", "0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("--pid 0: no process 0 in the scenario s.toml (it declares 1 process(es))"),
        case("translate no addr", &["translate", "--scenario", "s.toml"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("the following required arguments were not provided:"),
        case("translate bad scenario", &["translate", "--scenario", "s.toml", "0"])
            .file("s.toml", b"[machine]\ncpus = 0\n")
            .err("s.toml:2:8: machine.cpus = 0: out of range 1..=1024"),
        case("translate exited", &["translate", "--scenario", "s.toml", "0"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [ { op = \"exit\" } ]\n")
            .err("s.toml:2:8: process 1 (a) is not running at the end of the scenario (it exited or was killed); choose one with --pid"),
        case("translate exited pid", &["translate", "--scenario", "s.toml", "--pid", "1", "0"])
            .file("s.toml", b"[[process]]\nname = \"a\"\nsteps = [ { op = \"exit\" } ]\n")
            .err("--pid 1: process 1 (a, s.toml:2:8) is not running at the end of the scenario (it exited or was killed)"),
        case("translate exited second", &["translate", "--scenario", "s.toml", "--pid", "2", "0"])
            .file("s.toml", b"[[process]]\nname = \"a\"\n[[process]]\nname = \"b\"\nsteps = [ { op = \"exit\" } ]\n")
            .err("--pid 2: process 2 (b, s.toml:4:8) is not running at the end of the scenario (it exited or was killed)"),
        case("translate access unknown", &["translate", "--scenario", "s.toml", "--access", "jump", "0"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("invalid value 'jump' for '--access <ACCESS>'"),
        case("mkswap size 0", &["mkswap", "swap.img", "0"])
            .err("swap.img: size 0 bytes: too small (mkswap needs at least 10 pages = 40960 bytes)"),
        case("mkswap size 4095", &["mkswap", "swap.img", "4095"])
            .err("swap.img: size 4095 bytes: not a multiple of the 4096-byte page (try 0)"),
        case("mkswap size 4096", &["mkswap", "swap.img", "4096"])
            .err("swap.img: size 4096 bytes: too small (mkswap needs at least 10 pages = 40960 bytes)"),
        case("mkswap size 40959", &["mkswap", "swap.img", "40959"])
            .err("swap.img: size 40959 bytes: not a multiple of the 4096-byte page (try 36864)"),
        case("mkswap size 12parsecs", &["mkswap", "swap.img", "12parsecs"])
            .err("SIZE: unknown size unit \"parsecs\" in \"12parsecs\" (expected B, KiB, MiB, GiB, TiB or pages)"),
        case("mkswap size -1", &["mkswap", "swap.img", "-1"])
            .err("unexpected argument '-1' found"),
        case("mkswap size 99999999TiB", &["mkswap", "swap.img", "99999999TiB"])
            .err("SIZE: size \"99999999TiB\" overflows 64 bits"),
        case("mkswap size 17TiB", &["mkswap", "swap.img", "17TiB"])
            .err("swap.img: size 18691697672192 bytes: too large (last_page is 32 bits: at most 17592186044416 bytes)"),
        case("mkswap into dir", &["mkswap", "d", "64KiB"])
            .file("d/x", b"")
            .err("d: rename into place at byte 0 failed: Is a directory (os error 21)"),
        case("run missing", &["run", "nope.toml"])
            .err("nope.toml: cannot read file: No such file or directory (os error 2)"),
        case("run dir", &["run", "d"])
            .file("d/x", b"")
            .err("d: cannot read file: Is a directory (os error 21)"),
        case("run demo unknown", &["run", "--demo", "nope"])
            .err("--demo nope: no such demo (expected one of paging"),
        case("run demo and file", &["run", "s.toml", "--demo", "fork"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("give a scenario file or --demo NAME, not both"),
        case("run invalid utf8", &["run", "s.toml"])
            .file("s.toml", b"[machine]\n# \xff\xfe\n")
            .err("s.toml: cannot read file: stream did not contain valid UTF-8"),
        case("run empty proc", &["run", "s.toml", "--proc", "bogus"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("invalid value 'bogus' for '--proc <VIEWS>': unknown /proc view `bogus` (meminfo, vmstat, status[:PID], smaps[:PID], smaps_rollup[:PID], oom_score[:PID], oom_score_adj[:PID], ksm, zswap, memory.events, buddyinfo, pagetypeinfo, extfrag_index, unusable_index)"),
        case("run proc bad pid", &["run", "s.toml", "--proc", "status:x"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("invalid value 'status:x' for '--proc <VIEWS>': `x` is not a pid"),
        case("run proc meminfo pid", &["run", "s.toml", "--proc", "meminfo:1"])
            .file("s.toml", b"[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", name = \"buf\", len = \"64KiB\" }, { op = \"write\", addr = \"buf\", len = \"64KiB\" } ]\n")
            .err("invalid value 'meminfo:1' for '--proc <VIEWS>': unknown /proc view `meminfo:1` (meminfo, vmstat, status[:PID], smaps[:PID], smaps_rollup[:PID], oom_score[:PID], oom_score_adj[:PID], ksm, zswap, memory.events, buddyinfo, pagetypeinfo, extfrag_index, unusable_index)"),
        case("unknown command", &["frobnicate"])
            .err("unrecognized subcommand 'frobnicate'"),
        case("unknown flag", &["run", "--frobnicate"])
            .err("unexpected argument '--frobnicate' found"),
        case("convert to lackey", &["convert", "refs.txt", "--from", "pages", "--to", "lackey", "o.txt"])
            .file("refs.txt", b"1\n")
            .err("--to lackey: a trace can only be converted to pages (page numbers carry no addresses or sizes)"),
    ]);
}

/// A replay that cannot finish says so: a pages trace beyond the user address space is an error; a trace process
/// killed part-way is reported as an event (text and JSON), never a silent partial result.
#[test]
fn early_stops_are_reported() {
    run_all(
        "stops",
        vec![
            case("pages beyond user space", &["replay", "t.pages", "--format", "pages", "--frames", "64"])
                .file("t.pages", "1\n2\n34359738368\n")
                .err("t.pages: reference 3 is page 34359738368, beyond the user address space"),
            case(
                "pages beyond user space, linear",
                &["replay", "t.pages", "--format", "pages", "--set", "machine.arch=\"linear\"", "--frames", "64"],
            )
            .file("t.pages", "1\n600\n")
            .err("t.pages: reference 2 is page 600, beyond the user address space of linear"),
            case("lackey process killed", &["replay", "t.lackey", "--format", "lackey", "--frames", "64"])
                .file("t.lackey", " L 00403040,4\n L ffff800000000000,4\n L 00403040,4\n")
                .code(0)
                .out("replay stopped: the trace process ended at trace record 2"),
            case(
                "lackey process killed, json",
                &["replay", "t.lackey", "--format", "lackey", "--frames", "64", "--json"],
            )
            .file("t.lackey", " L 00403040,4\n L ffff800000000000,4\n L 00403040,4\n")
            .code(0)
            .json()
            .out("replay stopped: the trace process ended at trace record 2"),
        ],
    );
}

/// `--max-accesses` stops a run or replay with a located error; `mrc` streams (a huge `--max-frames` prints its
/// first rows at once and ends cleanly under a closed pipe); completions and the man page are generated.
#[test]
fn limits_streams_and_generated_docs() {
    let big = "[machine]\nmemory = \"1MiB\"\n[[process]]\nname = \"a\"\nsteps = [\n  { op = \"mmap\", name = \"b\", len = \"4KiB\" },\n  { op = \"read\", addr = \"b\", len = 4096, stride = 1, repeat = 4294967295 },\n]\n";
    let mut cases = vec![
        case("run max accesses", &["run", "big.toml", "--max-accesses", "1000"])
            .file("big.toml", big)
            .err("big.toml:7:3: step 2 (read) of process \"a\": stopped after 1000 accesses (--max-accesses 1000)"),
        case("replay max accesses", &["replay", "-", "--format", "pages", "--max-accesses", "2"])
            .stdin("1\n2\n3\n")
            .err("<stdin>: the trace has more than 2 records (--max-accesses 2)"),
        case("replay max accesses enough", &["replay", "-", "--format", "pages", "--max-accesses", "3", "--json"])
            .stdin("1\n2\n3\n")
            .code(0)
            .json(),
        case("memory beyond 256 TiB", &["run", "--demo", "seed", "--set", "machine.frames=68719476737"])
            .err("--set machine.frames=68719476737: machine memory of 68719476737 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("memory beyond 256 TiB, file", &["run", "big.toml"])
            .file("big.toml", "[machine]\nmemory = \"512TiB\"\n")
            .err("big.toml:2:10: machine memory of 137438953472 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        case("memory beyond 256 TiB, replay", &["replay", "-", "--format", "pages", "--memory", "257TiB"])
            .stdin("1\n")
            .err("--memory 257TiB: machine memory of 68987912192 frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
        // Issue 12: the documented range runs, with host memory for the pages touched (tests/huge_machine.rs
        // checks the peak RSS).
        case("64 TiB machine runs a small trace", &["replay", "-", "--format", "pages", "--memory", "64TiB", "--json"])
            .stdin("1\n2\n1\n")
            .code(0)
            .json(),
        case("256 TiB machine runs the demo", &["run", "--set", "machine.memory=256TiB", "--json"]).code(0).json(),
        case("largest machine runs a small trace", &["replay", "-", "--format", "pages", "--frames", "68719476736", "--json"])
            .stdin("1\n2\n1\n")
            .code(0)
            .json(),
        case("largest exact replay", &["replay", "-", "--format", "pages", "--frames", "4294967296", "--json"])
            .stdin("1\n")
            .code(0)
            .json(),
        case("max accesses negative", &["run", "--max-accesses", "-1"]).err("unexpected argument '-1'"),
        case("max accesses word", &["run", "--max-accesses", "lots"])
            .err("invalid value 'lots' for '--max-accesses <N>'"),
        case("man page", &["man"]).code(0).out(".TH vmsim 1").out("completions"),
        case("completions unknown shell", &["completions", "tcsh"]).err("invalid value 'tcsh'"),
    ];
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        cases.push(case(&format!("completions {shell}"), &["completions", shell]).code(0).out("mkswap"));
    }
    run_all("limits", cases);
    // mrc with 10^10 rows: reading only the head must end it quickly and cleanly (no abort, no panic).
    let dir = std::env::temp_dir().join(format!("vmsim-bad-{}-mrc", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.txt"), "1\n2\n3\n1\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["mrc", "r.txt", "--format", "pages", "--csv", "--max-frames", "10000000000"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    let mut stdout = child.stdout.take().unwrap();
    std::io::Read::read_exact(&mut stdout, &mut head).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&head).starts_with("frames,misses,miss_ratio\n1,4,1.000000\n2,4,1.000000\n"));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}
