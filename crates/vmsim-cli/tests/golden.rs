//! Golden-output regression test: runs the `vmsim` binary on a fixed table of cases and compares its output byte
//! for byte with the files under `tests/golden/`, so a refactor can prove that its output is unchanged (or explain
//! every difference).
//!
//! Each row of [`CASES`] is a case name and the arguments of one `vmsim` run (cwd = the workspace root, so the
//! paths in the arguments, and the trace path that the text replay report echoes, are relative and the same on
//! every host; no output needs normalising). A case that must succeed is compared on stdout against
//! `tests/golden/<name>.out` (and must exit 0 with an empty stderr); a case that must fail is compared on stderr
//! against `tests/golden/<name>.err` (and must exit with the given status and an empty stdout). Every `.out` and
//! `.err` file in `tests/golden/` must belong to a case. On a mismatch the test names the case and its command and
//! shows a short diff of the lines that differ (`-` expected, that is the golden file; `+` actual), then fails
//! after checking every case.
//!
//! Inputs: `examples/*.toml`, the embedded demo, and in `tests/golden/data/`: `ops.toml` (a scenario with the
//! steps the examples do not use), `lackey-tiny.trace` (valgrind lackey of `tiny.c`, whose header says how it was
//! recorded) and `pages.trace` (written by `gen-pages.py`). The whole table takes about 3 s in release.
//!
//! To regenerate the expected files after an intended change of output, or after adding a row (then review
//! `git diff`):
//!
//! ```sh
//! VMSIM_UPDATE_GOLDEN=1 cargo test --release -p vmsim-cli --test golden
//! ```
//!
//! which rewrites the file of every case whose output changed (and deletes `.out`/`.err` files no case uses)
//! instead of comparing. A case whose exit status or other stream is wrong still fails, and its file is left alone.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a case must do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Exit 0 with nothing on stderr; stdout is compared with `<name>.out`.
    Stdout,
    /// Exit with this status and nothing on stdout; stderr is compared with `<name>.err`.
    Fails(i32),
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    expect: Expect,
}

const fn ok(name: &'static str, args: &'static [&'static str]) -> Case {
    Case { name, args, expect: Expect::Stdout }
}

const fn fails(name: &'static str, status: i32, args: &'static [&'static str]) -> Case {
    Case { name, args, expect: Expect::Fails(status) }
}

const LACKEY: &str = "crates/vmsim-cli/tests/golden/data/lackey-tiny.trace";
const PAGES: &str = "crates/vmsim-cli/tests/golden/data/pages.trace";
const OPS: &str = "crates/vmsim-cli/tests/golden/data/ops.toml";
const FORK_ALIVE: &str = "crates/vmsim-cli/tests/golden/data/fork-alive.toml";

/// The cases: name (the golden file's stem) and arguments.
#[rustfmt::skip]
const CASES: &[Case] = &[
    // Scenario runs, JSON.
    ok("run-demo-json",                      &["run", "--json"]),
    ok("run-example-demo-json",              &["run", "--json", "examples/demo.toml"]),
    ok("run-example-seed-json",              &["run", "--json", "examples/seed.toml"]),
    ok("run-example-validate-json",          &["run", "--json", "examples/validate-kernel-faults.toml"]),
    ok("run-example-multicpu-json",          &["run", "--json", "examples/multicpu.toml"]),
    ok("run-example-fork-json",              &["run", "--json", "examples/fork.toml"]),
    ok("run-demo-fork-text",                 &["run", "--demo", "fork"]),
    ok("run-demo-tour-text",                 &["run", "--demo", "tour"]),
    ok("run-demo-shared-json-proc",          &["run", "--demo", "shared", "--json", "--proc", "status,smaps_rollup"]),
    ok("run-demo-threads-json",              &["run", "--demo", "threads", "--json"]),
    ok("run-demo-pagecache-proc",            &["run", "--demo", "pagecache", "--set", "reclaim.verify=true", "--proc", "meminfo,vmstat,smaps:3"]),
    ok("run-compaction-proc",                &["run", "examples/compaction.toml", "--proc", "buddyinfo,pagetypeinfo,extfrag_index,unusable_index"]),
    ok("run-compaction-json",                &["run", "examples/compaction.toml", "--json"]),
    fails("run-demo-unknown", 2,             &["run", "--demo", "nope"]),
    fails("run-example-multicpu-cpus1", 2,   &["run", "examples/multicpu.toml", "--set", "machine.cpus=1"]),
    // The demo under every policy the full model accepts, and other settings.
    ok("run-demo-policy-fifo-json",          &["run", "--json", "--set", "reclaim.policy=fifo"]),
    ok("run-demo-policy-lru-json",           &["run", "--json", "--set", "reclaim.policy=lru"]),
    ok("run-demo-policy-clock-json",         &["run", "--json", "--set", "reclaim.policy=clock"]),
    ok("run-demo-policy-random-json",        &["run", "--json", "--set", "reclaim.policy=random"]),
    ok("run-demo-policy-sieve-json",         &["run", "--json", "--set", "reclaim.policy=sieve"]),
    ok("run-demo-policy-s3fifo-json",        &["run", "--json", "--set", "reclaim.policy=s3fifo"]),
    ok("run-demo-policy-linux-json",         &["run", "--json", "--set", "reclaim.policy=linux"]),
    fails("run-demo-policy-opt", 2,          &["run", "--json", "--set", "reclaim.policy=opt"]),
    ok("run-demo-random-seed7-json",         &["run", "--json", "--set", "reclaim.policy=random", "--set", "machine.seed=7"]),
    ok("run-demo-verify-json",               &["run", "--json", "--set", "reclaim.verify=true"]),
    ok("run-demo-nopcid-json",               &["run", "--json", "--set", "machine.pcid=false"]),
    ok("run-demo-page-cluster0-json",        &["run", "--json", "--set", "reclaim.page_cluster=0"]),
    ok("run-demo-memory12m-json",            &["run", "--json", "--set", "machine.memory=12MiB"]),
    ok("run-demo-nozeropage-json",           &["run", "--json", "--set", "machine.zero_page=false"]),
    // The steps the examples do not reach (mprotect, munmap, exec, store, brk shrink, grows_down, TLB reuse across
    // context switches, which machine.pcid=false flushes).
    ok("run-ops-json",                       &["run", "--json", OPS]),
    ok("run-ops-nopcid-json",                &["run", "--json", OPS, "--set", "machine.pcid=false"]),
    ok("run-ops-cpus3-json",                 &["run", "--json", OPS, "--set", "machine.cpus=3"]),
    ok("run-demo-cpus2-json",                &["run", "--json", "--set", "machine.cpus=2"]),
    ok("run-demo-quantum64-json",            &["run", "--json", "--set", "machine.quantum=64", "--set", "machine.cpus=2"]),
    ok("run-ops-text",                       &["run", OPS]),
    // Text reports.
    ok("run-demo-text",                      &["run"]),
    ok("run-demo-proc",                      &["run", "--proc", "meminfo,vmstat"]),
    ok("run-demo-json-proc",                 &["run", "--json", "--proc", "meminfo,vmstat"]),
    // Per-process /proc views: two live processes sharing 256 pages after fork; then every process exited.
    ok("run-fork-alive-proc",                &["run", FORK_ALIVE, "--proc", "status,smaps,smaps_rollup"]),
    ok("run-fork-alive-proc-pid",            &["run", FORK_ALIVE, "--proc", "status:2,smaps_rollup:1,status:9"]),
    ok("run-example-fork-proc",              &["run", "examples/fork.toml", "--proc", "status,smaps"]),
    // Translations: the linear seed table (a resident page and a swapped one) and x86-64's four levels.
    ok("translate-fork-cow",                 &["translate", "--scenario", "examples/cow.toml", "--pid", "2", "--access", "write", "0x7ffff7eef000", "0x7ffff7ef0000"]),
    ok("translate-fork-parent",              &["translate", "--scenario", "examples/cow.toml", "--pid", "1", "0x7ffff7ef0000"]),
    // Per-CPU TLBs: the thread worker's page is cached on its own CPU (1), not on CPU 0.
    ok("translate-threads-own-cpu",          &["translate", "--scenario", "examples/threads.toml", "--pid", "2", "0x7ffff7efe000"]),
    ok("translate-threads-cpu0",             &["translate", "--scenario", "examples/threads.toml", "--pid", "2", "--cpu", "0", "0x7ffff7efe000"]),
    fails("translate-cpu-beyond", 2,         &["translate", "--scenario", "examples/cow.toml", "--cpu", "1", "0x7ffff7ef0000"]),
    ok("translate-seed-9192",                &["translate", "--scenario", "examples/seed.toml", "9192"]),
    ok("translate-seed-0xD000",              &["translate", "--scenario", "examples/seed.toml", "0xD000"]),
    // The linear table's last page, then pages past its 512 entries: the table-length check, not x86's #GP.
    ok("translate-seed-beyond",              &["translate", "--scenario", "examples/seed.toml", "0x1FFFFF", "0x200000", "0x300000"]),
    ok("translate-seed-write",               &["translate", "--scenario", "examples/seed.toml", "--access", "write", "0", "61440"]),
    fails("translate-ops-exited", 2,         &["translate", "--scenario", OPS, "--pid", "3", "0x400000"]),
    ok("translate-demo-x86",                 &["translate", "--scenario", "examples/demo.toml", "--set", "machine.memory=256MiB",
                                              "--pid", "2", "0x555555551000", "0x7fffffdce000"]),
    // Lackey trace: no reclaim at the default 1 GiB; kswapd and direct reclaim at 512 KiB; direct only at 256 KiB.
    ok("replay-lackey-json",                 &["replay", LACKEY, "--format", "lackey", "--json"]),
    ok("replay-lackey-512k-json",            &["replay", LACKEY, "--format", "lackey", "--json", "--memory", "512KiB"]),
    ok("replay-lackey-256k-json",            &["replay", LACKEY, "--format", "lackey", "--json", "--memory", "256KiB"]),
    ok("replay-lackey-256k-proc",            &["replay", LACKEY, "--format", "lackey", "--memory", "256KiB", "--proc", "meminfo,vmstat"]),
    // Issue 16: the CPU caches and the pyramid (text), and with both prefetchers and a 2-CPU demo (JSON).
    ok("replay-lackey-caches",               &["replay", LACKEY, "--format", "lackey", "--set", "cache.enabled=true"]),
    ok("replay-lackey-caches-prefetch-json", &["replay", LACKEY, "--format", "lackey", "--json", "--set", "cache.enabled=true",
                                              "--set", "cache.l1d.prefetcher=\"ip_stride\"", "--set", "cache.l2.prefetcher=\"next_line\""]),
    ok("run-example-pyramid",                &["run", "examples/pyramid.toml"]),
    ok("run-demo-cpus2-caches-json",         &["run", "--json", "--set", "machine.cpus=2", "--set", "cache.enabled=true"]),
    // Pages trace: the full model at small --frames, then exact mode under every policy.
    ok("replay-pages-frames32-json",         &["replay", PAGES, "--format", "pages", "--json", "--frames", "32"]),
    ok("replay-pages-frames64-json",         &["replay", PAGES, "--format", "pages", "--json", "--frames", "64"]),
    ok("replay-pages-frames64-lru-json",     &["replay", PAGES, "--format", "pages", "--json", "--frames", "64", "--policy", "lru"]),
    ok("replay-pages-exact-fifo-json",       &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "fifo"]),
    ok("replay-pages-exact-lru-json",        &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "lru"]),
    ok("replay-pages-exact-clock-json",      &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "clock"]),
    ok("replay-pages-exact-opt-json",        &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "opt"]),
    ok("replay-pages-exact-random-json",     &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "random"]),
    ok("replay-pages-exact-sieve-json",      &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "sieve"]),
    ok("replay-pages-exact-s3fifo-json",     &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "s3fifo"]),
    ok("replay-pages-exact-linux-json",      &["replay", PAGES, "--format", "pages", "--json", "--exact", "--frames", "64", "--policy", "linux"]),
    ok("replay-pages-exact-lru-text",        &["replay", PAGES, "--format", "pages", "--exact", "--frames", "64"]),
    // Miss-ratio curves.
    ok("mrc-pages-csv",                      &["mrc", PAGES, "--format", "pages", "--csv"]),
    ok("mrc-lackey-step8",                   &["mrc", LACKEY, "--format", "lackey", "--step", "8"]),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn file_name(case: &Case) -> String {
    match case.expect {
        Expect::Stdout => format!("{}.out", case.name),
        Expect::Fails(_) => format!("{}.err", case.name),
    }
}

fn command_line(case: &Case) -> String {
    let mut s = String::from("vmsim");
    for a in case.args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// At most this many changed lines are shown per case.
const DIFF_CHANGES: usize = 24;
/// Unchanged lines shown around each change.
const DIFF_CONTEXT: usize = 2;
/// Lines are cut to this many characters in the diff.
const DIFF_WIDTH: usize = 200;
/// Above this many cells (differing expected lines x differing actual lines) the diff does not look for common
/// lines inside the differing part: it shows it as removed, then added.
const DIFF_MAX_CELLS: usize = 4_000_000;

fn clip(line: &str) -> String {
    if line.chars().count() <= DIFF_WIDTH {
        line.to_string()
    } else {
        let head: String = line.chars().take(DIFF_WIDTH).collect();
        format!("{head}... ({} chars)", line.chars().count())
    }
}

/// One line of a diff: in both (index in expected), only in expected, only in actual.
#[derive(Clone, Copy)]
enum Op {
    Same(usize),
    Removed(usize),
    Added(usize),
}

/// The edit script from `e` to `a`: common prefix and suffix, and a longest common subsequence between them.
fn diff_ops(e: &[&str], a: &[&str]) -> Vec<Op> {
    let prefix = e.iter().zip(a).take_while(|(x, y)| x == y).count();
    let suffix = e[prefix..].iter().rev().zip(a[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (me, ma) = (&e[prefix..e.len() - suffix], &a[prefix..a.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(Op::Same).collect();
    if me.len().saturating_mul(ma.len()) <= DIFF_MAX_CELLS {
        // lcs[i][j]: length of the longest common subsequence of me[i..] and ma[j..].
        let w = ma.len() + 1;
        let mut lcs = vec![0u32; (me.len() + 1) * w];
        for i in (0..me.len()).rev() {
            for j in (0..ma.len()).rev() {
                lcs[i * w + j] = if me[i] == ma[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < me.len() || j < ma.len() {
            if i < me.len() && j < ma.len() && me[i] == ma[j] {
                ops.push(Op::Same(prefix + i));
                i += 1;
                j += 1;
            } else if j == ma.len() || (i < me.len() && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                ops.push(Op::Removed(prefix + i));
                i += 1;
            } else {
                ops.push(Op::Added(prefix + j));
                j += 1;
            }
        }
    } else {
        ops.extend((0..me.len()).map(|i| Op::Removed(prefix + i)));
        ops.extend((0..ma.len()).map(|j| Op::Added(prefix + j)));
    }
    ops.extend((e.len() - suffix..e.len()).map(Op::Same));
    ops
}

/// A short unified-style diff: the changed lines with a little context, at most [`DIFF_CHANGES`] of them.
fn short_diff(expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    // Lines keep their '\n', so a missing newline at the end is a difference too.
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let ops = diff_ops(&el, &al);
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| !matches!(ops[k], Op::Same(_))).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "    expected {} bytes, {} lines; got {} bytes, {} lines; {} lines removed, {} added",
        expected.len(),
        el.len(),
        actual.len(),
        al.len(),
        changed.iter().filter(|&&k| matches!(ops[k], Op::Removed(_))).count(),
        changed.iter().filter(|&&k| matches!(ops[k], Op::Added(_))).count(),
    );
    let shown = &changed[..changed.len().min(DIFF_CHANGES)];
    let near = |k: usize| shown.iter().any(|&c| k + DIFF_CONTEXT >= c && k <= c + DIFF_CONTEXT);
    let mut last: Option<usize> = None;
    for k in (0..ops.len()).filter(|&k| near(k)) {
        if last.is_none_or(|l| k != l + 1) {
            // The hunk's position: lines of expected and actual before op k, plus one.
            let before_e = ops[..k].iter().filter(|o| !matches!(o, Op::Added(_))).count();
            let before_a = ops[..k].iter().filter(|o| !matches!(o, Op::Removed(_))).count();
            let _ = writeln!(out, "    @@ expected line {}, actual line {} @@", before_e + 1, before_a + 1);
        }
        last = Some(k);
        let (sign, line) = match ops[k] {
            Op::Same(i) => (' ', el[i]),
            Op::Removed(i) => ('-', el[i]),
            Op::Added(j) => ('+', al[j]),
        };
        let body = line.strip_suffix('\n').unwrap_or(line);
        let eol = if line.ends_with('\n') { "" } else { "  (no newline at end)" };
        let _ = writeln!(out, "    {sign}{}{eol}", clip(body));
    }
    if changed.len() > shown.len() {
        let _ = writeln!(out, "    ... and {} more changed lines", changed.len() - shown.len());
    }
    out
}

fn first_lines(bytes: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.lines().take(n).map(|l| format!("    | {}\n", clip(l))).collect()
}

/// Runs one case; returns its compared output, or why the run itself is wrong (status, the other stream).
fn run(case: &Case) -> Result<Vec<u8>, String> {
    let o = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(case.args)
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run vmsim: {e}"))?;
    let status = o.status.code();
    match case.expect {
        Expect::Stdout if status == Some(0) && o.stderr.is_empty() => Ok(o.stdout),
        Expect::Fails(want) if status == Some(want) && o.stdout.is_empty() => Ok(o.stderr),
        expect => Err(format!(
            "  expected {expect:?}, got exit status {status:?}, {} bytes of stdout, {} bytes of stderr\n  stderr:\n{}",
            o.stdout.len(),
            o.stderr.len(),
            first_lines(&o.stderr, 10)
        )),
    }
}

#[test]
fn golden_outputs() {
    let update = std::env::var_os("VMSIM_UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    let dir = golden_dir();
    let mut failures = Vec::new();

    let mut names = std::collections::HashSet::new();
    for case in CASES {
        assert!(names.insert(file_name(case)), "case {} is in the table twice", case.name);
    }

    for case in CASES {
        let path = dir.join(file_name(case));
        let actual = match run(case) {
            Ok(out) => out,
            Err(why) => {
                failures.push(format!("case {}: {}\n{why}", case.name, command_line(case)));
                continue;
            }
        };
        if update {
            if fs::read(&path).ok().as_deref() != Some(&actual[..]) {
                fs::write(&path, &actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
                eprintln!("updated {}", rel(&path));
            }
            continue;
        }
        match fs::read(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "case {}: {}\n  output differs from {}\n{}",
                case.name,
                command_line(case),
                rel(&path),
                short_diff(&expected, &actual)
            )),
            Err(e) => failures.push(format!(
                "case {}: {}\n  cannot read {}: {e} (new case? run with VMSIM_UPDATE_GOLDEN=1)",
                case.name,
                command_line(case),
                rel(&path)
            )),
        }
    }

    // Golden files that no case uses: a renamed or removed case.
    for entry in fs::read_dir(&dir).expect("read tests/golden") {
        let path = entry.expect("read tests/golden").path();
        let golden_file = path.extension().is_some_and(|x| x == "out" || x == "err");
        if !path.is_file() || !golden_file {
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if !names.contains(&name) {
            if update {
                fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
                eprintln!("removed {} (no case uses it)", rel(&path));
            } else {
                failures.push(format!(
                    "{}: no case uses this file (delete it, or run with VMSIM_UPDATE_GOLDEN=1)",
                    rel(&path)
                ));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} problems in {} golden cases (after an intended change: VMSIM_UPDATE_GOLDEN=1 cargo test --release -p \
         vmsim-cli --test golden, then review git diff):\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// A golden file's path relative to the workspace root, for messages.
fn rel(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("crates/vmsim-cli/tests/golden/{name}")
}
