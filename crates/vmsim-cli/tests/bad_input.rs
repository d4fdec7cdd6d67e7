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
