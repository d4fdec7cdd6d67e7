//! `vmsim sweep GRID.toml`: a research sweep. The grid file names traces (or one scenario), policies and
//! configuration values; every combination is one run with a stable id, run on all cores, written as one JSON
//! line (its settings and the report `vmsim replay --json` or `vmsim run --json` prints for it). docs/research.md
//! has the file format; an example:
//!
//! ```toml
//! policies = ["lru", "clock"]          # optional; each is `--policy P` (a scenario: --set reclaim.policy=P)
//! exact = false                        # true: `vmsim replay --exact` (machine.frames gives --frames)
//! [[trace]]
//! path = "refs.pages"                  # relative to the grid file
//! format = "pages"
//! [set]                                # the same for every run
//! "cost.major_fault_ns" = 5000000
//! [grid]                               # the product of these, in the order written
//! "machine.memory" = ["16MiB", "32MiB"]
//! ```
//!
//! Runs are ordered trace by trace, then policy by policy, then by the `[grid]` product (the last key varying
//! fastest). A run's id is a 64-bit FNV-1a hash of the vmsim version, the kind of run, the trace's contents (or the
//! scenario's text) and the effective configuration as JSON, so it names what was computed and not where the
//! files are. With `-o FILE`, runs whose id is already in FILE are skipped (an interrupted sweep resumes), new
//! lines are appended in run order, and a line cut short by a crash is removed first. `--shard I/N` keeps runs
//! I, I+N, I+2N, ... (1-based), for N machines or an array job. Each trace is decoded into memory once, before
//! its runs start, and every run replays that copy.

use super::replay::{decode, format_name, Decoded, ReplayArgs};
use super::sweep::{in_order, product};
use crate::args::{MachineOpts, TraceFormat};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use toml::Spanned;
use vmsim::config::{line_col, ConfigError, Scenario, SimConfig};
use vmsim::reclaim::PolicyKind;

/// At most this many runs in one grid (before sharding): a typo in a grid should not start a million runs.
const MAX_RUNS: usize = 1 << 20;

/// The grid file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GridFile {
    #[serde(default)]
    trace: Vec<Spanned<TraceEntry>>,
    scenario: Option<Spanned<String>>,
    policies: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exact: bool,
    max_accesses: Option<u64>,
    #[serde(default)]
    set: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    grid: BTreeMap<String, Spanned<Vec<Spanned<toml::Value>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceEntry {
    path: String,
    format: String,
}

/// One run of a sweep: everything needed to carry it out on any machine that has its files (a Ray worker gets
/// this as JSON), and the settings written beside its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The stable id (16 hex digits).
    pub id: String,
    /// Position in the grid's run order (before sharding).
    pub index: usize,
    /// `replay`, `exact` (replacement only) or `run` (a scenario).
    pub kind: String,
    /// The trace file, as the grid file's directory resolves it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
    /// The trace format.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub format: Option<String>,
    /// FNV-1a 64 of the trace file's bytes (a worker checks it before replaying).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace_digest: Option<String>,
    /// The scenario file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scenario: Option<String>,
    /// The policy (None: the configuration's).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy: Option<String>,
    /// Frames of an exact replay.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub frames: Option<u64>,
    /// `--max-accesses`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_accesses: Option<u64>,
    /// The swept values of this run, by key (JSON values as in the grid file).
    pub grid: BTreeMap<String, serde_json::Value>,
    /// Every `--set` of the run: `[set]` then the `[grid]` values.
    pub sets: Vec<String>,
}

/// One output line: the run and its report.
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    run: &'a RunSpec,
    result: serde_json::Value,
}

/// FNV-1a, 64 bits (Fowler, Noll, Vo): stable across platforms and releases, which is all an id needs (it is not
/// a defence against crafted collisions).
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    fn new() -> Self {
        Self(Self::OFFSET)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME);
        }
    }
    /// A field: its bytes and a separator, so ("ab", "c") and ("a", "bc") differ.
    fn field(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(&[0xff]);
    }
    fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// FNV-1a 64 of a file's bytes.
fn file_digest(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("{}: cannot open trace", path.display()))?;
    let mut h = Fnv::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).with_context(|| format!("{}: read error", path.display()))?;
        if n == 0 {
            return Ok(h.hex());
        }
        h.write(&buf[..n]);
    }
}

fn parse_format(s: &str) -> Option<TraceFormat> {
    match s {
        "lackey" => Some(TraceFormat::Lackey),
        "pages" => Some(TraceFormat::Pages),
        _ => None,
    }
}

/// A value as a `--set` takes it (TOML: strings quoted).
fn set_value(v: &toml::Value) -> String {
    v.to_string()
}

fn json_value(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Parses a grid file (`shown` names it in errors; relative paths start in `dir`) and expands it into its runs,
/// with their ids, checking every configuration first.
pub fn expand(shown: &Path, text: &str, dir: &Path) -> Result<Vec<RunSpec>> {
    let at = |off: usize, msg: String| ConfigError::at(shown, text, off, msg);
    let g: GridFile = toml::from_str(text).map_err(|e| {
        let off = e.span().map_or(text.len(), |s| s.start);
        at(off, e.message().trim().to_string())
    })?;
    let version = env!("CARGO_PKG_VERSION");
    // The [set] values in the order written, then each [grid] key's values.
    let mut fixed: Vec<(&String, &Spanned<toml::Value>)> = g.set.iter().collect();
    fixed.sort_by_key(|(_, v)| v.span().start);
    let fixed: Vec<(String, usize)> =
        fixed.iter().map(|(k, v)| (format!("{k}={}", set_value(v.get_ref())), v.span().start)).collect();
    let mut axes: Vec<(&String, &Spanned<Vec<Spanned<toml::Value>>>)> = g.grid.iter().collect();
    axes.sort_by_key(|(_, v)| v.span().start);
    for (k, vs) in &axes {
        if vs.get_ref().is_empty() {
            return Err(at(vs.span().start, format!("[grid] {k}: no values (give at least one)")).into());
        }
    }
    // Where each `KEY=VALUE` a run may carry was written, to blame a bad value on its line.
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    for (set, off) in &fixed {
        let (l, c) = line_col(text, *off);
        written.insert(set.clone(), format!("{}:{l}:{c}: [set] {set}", shown.display()));
    }
    for (k, vs) in &axes {
        for v in vs.get_ref() {
            let set = format!("{k}={}", set_value(v.get_ref()));
            let (l, c) = line_col(text, v.span().start);
            written.insert(set.clone(), format!("{}:{l}:{c}: [grid] {set}", shown.display()));
        }
    }
    let relabel = |e: ConfigError| {
        let path = e.path.to_string_lossy().into_owned();
        match written.iter().find(|(set, _)| path == format!("--set {set}")) {
            Some((_, label)) => ConfigError { path: label.into(), line: 0, column: 0, ..e },
            None => e,
        }
    };
    let axis_values: Vec<(String, Vec<String>)> = axes
        .iter()
        .map(|(k, vs)| ((*k).clone(), vs.get_ref().iter().map(|v| set_value(v.get_ref())).collect()))
        .collect();
    let combos = product(&axis_values);
    let policies: Vec<Option<(PolicyKind, usize)>> = match &g.policies {
        None => vec![None],
        Some(ps) if ps.is_empty() => {
            bail!(at(0, "policies = []: give at least one policy, or leave policies out".into()))
        }
        Some(ps) => ps
            .iter()
            .map(|p| {
                p.get_ref().parse::<PolicyKind>().map(|k| Some((k, p.span().start))).map_err(|_| {
                    let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.name()).collect();
                    at(
                        p.span().start,
                        format!("unknown policy {:?} (expected one of {})", p.get_ref(), names.join(", ")),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    // The inputs: traces, or one scenario.
    enum Input {
        Trace { path: PathBuf, format: TraceFormat, digest: String },
        Scenario { path: PathBuf, text: String },
    }
    let inputs: Vec<Input> = match (&g.trace[..], &g.scenario) {
        ([], None) => bail!(at(0, "no inputs: give [[trace]] entries (path, format) or scenario = \"FILE\"".into())),
        ([_, ..], Some(s)) => bail!(at(s.span().start, "give [[trace]] entries or a scenario, not both".into())),
        ([], Some(s)) => {
            if g.exact {
                bail!(at(s.span().start, "exact = true replays traces: a scenario runs in the full model".into()));
            }
            let path = dir.join(s.get_ref());
            let text = std::fs::read_to_string(&path)
                .map_err(|e| at(s.span().start, format!("{}: cannot read scenario: {e}", path.display())))?;
            vec![Input::Scenario { path, text }]
        }
        (traces, None) => traces
            .iter()
            .map(|t| {
                let e = t.get_ref();
                let format = parse_format(&e.format).ok_or_else(|| {
                    at(t.span().start, format!("trace format {:?}: expected \"lackey\" or \"pages\"", e.format))
                })?;
                let path = dir.join(&e.path);
                let digest = file_digest(&path).map_err(|err| at(t.span().start, format!("{err:#}")))?;
                Ok(Input::Trace { path, format, digest })
            })
            .collect::<Result<_, ConfigError>>()?,
    };
    let total = inputs.len() * policies.len() * combos.len();
    if total > MAX_RUNS {
        bail!(at(0, format!("{total} runs (at most {MAX_RUNS}): split the grid")));
    }
    let mut runs = Vec::with_capacity(total);
    for input in &inputs {
        for policy in &policies {
            for combo in &combos {
                let mut sets: Vec<String> = fixed.iter().map(|(s, _)| s.clone()).collect();
                sets.extend(combo.iter().cloned());
                let grid: BTreeMap<String, serde_json::Value> = axes
                    .iter()
                    .zip(combo)
                    .map(|((k, vs), set)| {
                        let v = vs.get_ref().iter().find(|v| format!("{k}={}", set_value(v.get_ref())) == *set);
                        ((*k).clone(), v.map_or(serde_json::Value::Null, |v| json_value(v.get_ref())))
                    })
                    .collect();
                let mut h = Fnv::new();
                h.field("vmsim sweep run v1");
                h.field(version);
                let mut spec = RunSpec {
                    id: String::new(),
                    index: runs.len(),
                    kind: String::new(),
                    trace: None,
                    format: None,
                    trace_digest: None,
                    scenario: None,
                    policy: policy.map(|(k, _)| k.name().to_string()),
                    frames: None,
                    max_accesses: g.max_accesses,
                    grid,
                    sets: sets.clone(),
                };
                let blame_policy = |e: anyhow::Error| -> anyhow::Error {
                    match policy {
                        Some((k, off)) => at(*off, format!("policy {}: {e:#}", k.name())).into(),
                        None => e,
                    }
                };
                match input {
                    Input::Trace { path, format, digest } => {
                        spec.trace = Some(path.display().to_string());
                        spec.format = Some(format_name(*format).to_string());
                        spec.trace_digest = Some(digest.clone());
                        h.field(format_name(*format));
                        h.field(digest);
                        if g.exact {
                            spec.kind = "exact".into();
                            // machine.frames is --frames; the rest (seed, cost) is the configuration.
                            let frames = sets.iter().rev().find_map(|s| s.strip_prefix("machine.frames="));
                            let Some(frames) = frames.and_then(|f| f.parse::<u64>().ok()) else {
                                bail!(at(
                                    0,
                                    "exact = true needs machine.frames (in [set] or [grid]): the frames of each replay"
                                        .into()
                                ));
                            };
                            spec.frames = Some(frames);
                            spec.sets.retain(|s| !s.starts_with("machine.frames="));
                            let cfg = SimConfig::from_sets(&spec.sets).map_err(relabel)?;
                            h.field(&format!("frames={frames}"));
                            h.field(spec.policy.as_deref().unwrap_or("lru"));
                            h.field(&serde_json::to_string(&cfg)?);
                        } else {
                            spec.kind = "replay".into();
                            let mut all = sets.clone();
                            if let Some((k, _)) = policy {
                                all.push(format!("reclaim.policy={:?}", k.name()));
                            }
                            let cfg = SimConfig::from_sets(&all).map_err(relabel)?;
                            vmsim::sim::AnyMachine::new(&cfg).map_err(|e| blame_policy(e.into()))?;
                            h.field(&serde_json::to_string(&cfg)?);
                        }
                    }
                    Input::Scenario { path, text } => {
                        spec.kind = "run".into();
                        spec.scenario = Some(path.display().to_string());
                        if let Some((k, _)) = policy {
                            spec.sets.push(format!("reclaim.policy={:?}", k.name()));
                        }
                        let (_, cfg) = Scenario::parse(path, text, &spec.sets).map_err(relabel)?;
                        let mut t = Fnv::new();
                        t.write(text.as_bytes());
                        h.field(&t.hex());
                        h.field(&serde_json::to_string(&cfg)?);
                    }
                }
                h.field(&spec.max_accesses.map_or(String::new(), |n| n.to_string()));
                h.field(&spec.kind);
                spec.id = h.hex();
                runs.push(spec);
            }
        }
    }
    let mut seen = BTreeSet::new();
    for r in &runs {
        if !seen.insert(&r.id) {
            bail!(at(
                0,
                format!("two runs have the same configuration (id {}): a value is repeated in the grid", r.id)
            ));
        }
    }
    Ok(runs)
}

/// `--shard I/N` as (I, N), 1 <= I <= N.
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let bad = || anyhow::anyhow!("--shard {s}: expected I/N with 1 <= I <= N (e.g. --shard 2/4: the second of four)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The runs of shard `(i, n)`: indexes i-1, i-1+n, ...
pub fn shard(runs: Vec<RunSpec>, shard: Option<(usize, usize)>) -> Vec<RunSpec> {
    match shard {
        None => runs,
        Some((i, n)) => runs.into_iter().filter(|r| r.index % n == i - 1).collect(),
    }
}

/// Carries out one run and returns its output line (without a newline). `decoded` is the trace in memory, if the
/// caller decoded it; a worker without it reads the file and checks its digest first.
pub fn run_one(spec: &RunSpec, decoded: Option<&Decoded>) -> Result<String> {
    let mut out = Vec::new();
    let machine = MachineOpts {
        sets: spec.sets.clone(),
        json: true,
        proc: Vec::new(),
        max_accesses: spec.max_accesses,
        quiet: true,
    };
    let policy = spec
        .policy
        .as_deref()
        .map(|p| p.parse::<PolicyKind>().map_err(|_| anyhow::anyhow!("run {}: unknown policy {p:?}", spec.id)))
        .transpose()?;
    match spec.kind.as_str() {
        "replay" | "exact" => {
            let (Some(trace), Some(format)) = (&spec.trace, &spec.format) else {
                bail!("run {}: a {} run needs trace and format", spec.id, spec.kind);
            };
            let format =
                parse_format(format).ok_or_else(|| anyhow::anyhow!("run {}: bad format {format:?}", spec.id))?;
            let path = PathBuf::from(trace);
            if decoded.is_none() {
                if let Some(want) = &spec.trace_digest {
                    let got = file_digest(&path)?;
                    if &got != want {
                        bail!(
                            "{trace}: contents differ from the sweep's (digest {got}, expected {want}): the file \
                             changed, or this machine has another file at that path"
                        );
                    }
                }
            }
            let a = ReplayArgs {
                trace: path,
                format,
                frames: spec.frames,
                memory: None,
                strict: false,
                scenario: None,
                quiet: true,
                machine,
                decoded: decoded.cloned(),
            };
            if spec.kind == "exact" {
                super::exact::replay_exact(&a, policy, &mut out)?;
            } else {
                super::replay::replay(&a, policy, &mut out)?;
            }
        }
        "run" => {
            let Some(sc) = &spec.scenario else { bail!("run {}: a run needs a scenario", spec.id) };
            super::run::run(Some(Path::new(sc)), None, &machine, &[], &mut out)?;
        }
        other => bail!("run {}: unknown kind {other:?}", spec.id),
    }
    let result: serde_json::Value = serde_json::from_slice(&out)?;
    Ok(serde_json::to_string(&Line { run: spec, result })?)
}

/// The ids already in an output file; a last line cut short (no newline) is removed from the file.
fn done_ids(path: &Path) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if whole < bytes.len() {
        let f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.set_len(whole as u64)?;
        eprintln!("{}: removed a last line cut short (an interrupted run); it runs again", path.display());
    }
    for (n, line) in bytes[..whole].lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let id = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v.get("id").and_then(serde_json::Value::as_str).map(str::to_string));
        match id {
            Some(id) => {
                ids.insert(id);
            }
            None => {
                bail!("{}:{}: not a line of vmsim sweep's output (a JSON object with an \"id\")", path.display(), n + 1)
            }
        }
    }
    Ok(ids)
}

/// What `vmsim sweep` was asked for.
#[derive(Debug)]
pub struct SweepArgs {
    /// The grid file.
    pub grid: PathBuf,
    /// Output file (`-`: standard output, no resuming).
    pub out: PathBuf,
    /// `--shard I/N`.
    pub shard: Option<String>,
    /// Threads (default: every core).
    pub jobs: Option<usize>,
    /// Print the runs (without results) instead of running them.
    pub list: bool,
    /// No summary on stderr.
    pub quiet: bool,
}

/// `vmsim sweep`: lines go to the output file (or `stdout`).
pub fn sweep(a: &SweepArgs, stdout: &mut dyn Write) -> Result<()> {
    let text = super::read_text(&a.grid)?;
    // Absolute paths in the runs: a worker (another thread, process or machine) may start elsewhere.
    let parent = a.grid.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(parent).with_context(|| format!("{}: cannot resolve", parent.display()))?;
    sweep_text(&a.grid, &text, &dir, a, stdout)
}

/// [`sweep`] of a grid given as text (`shown` names it; relative paths start in `dir`, which should be absolute).
pub fn sweep_text(shown: &Path, text: &str, dir: &Path, a: &SweepArgs, stdout: &mut dyn Write) -> Result<()> {
    let shard_of = a.shard.as_deref().map(parse_shard).transpose()?;
    let runs = shard(expand(shown, text, dir)?, shard_of);
    if a.list {
        for r in &runs {
            writeln!(stdout, "{}", serde_json::to_string(r)?)?;
        }
        return Ok(());
    }
    let to_file = a.out != Path::new("-");
    let done = if to_file { done_ids(&a.out)? } else { BTreeSet::new() };
    let todo: Vec<RunSpec> = runs.iter().filter(|r| !done.contains(&r.id)).cloned().collect();
    let threads = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    if !a.quiet {
        eprintln!(
            "sweep {}: {} runs{}, {} already done, {} to run on {threads} threads",
            shown.display(),
            runs.len(),
            shard_of.map_or(String::new(), |(i, n)| format!(" in shard {i}/{n}")),
            runs.len() - todo.len(),
            todo.len()
        );
    }
    // Each trace once, in memory, for all its runs.
    let mut decoded: BTreeMap<String, Decoded> = BTreeMap::new();
    for r in &todo {
        if let (Some(t), Some(f)) = (&r.trace, &r.format) {
            if !decoded.contains_key(t) {
                let format = parse_format(f).unwrap_or(TraceFormat::Pages);
                decoded.insert(t.clone(), decode(Path::new(t), format)?);
            }
        }
    }
    let mut file = if to_file {
        Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&a.out)
                .with_context(|| format!("{}: cannot open for appending", a.out.display()))?,
        )
    } else {
        None
    };
    let work = |r: &RunSpec| run_one(r, r.trace.as_ref().and_then(|t| decoded.get(t)));
    in_order(&todo, threads, work, |i, line| {
        let line = line.with_context(|| {
            let r = &todo[i];
            format!("run {} ({}{})", r.id, r.trace.as_deref().or(r.scenario.as_deref()).unwrap_or(""), {
                let s = r.sets.join(" ");
                let p = r.policy.as_deref().map_or(String::new(), |p| format!(" policy {p}"));
                if s.is_empty() {
                    p
                } else {
                    format!("{p} {s}")
                }
            })
        })?;
        match &mut file {
            Some(f) => {
                f.write_all(format!("{line}\n").as_bytes())?;
                f.flush()?;
            }
            None => writeln!(stdout, "{line}")?,
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "" and "a" and "foobar".
        for (s, want) in
            [("", 0xcbf2_9ce4_8422_2325u64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)]
        {
            let mut h = Fnv::new();
            h.write(s.as_bytes());
            assert_eq!(h.0, want, "{s:?}");
        }
    }

    #[test]
    fn shards_partition_the_runs() {
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
