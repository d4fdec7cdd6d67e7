//! `vmsim._vmsim`, the native half of the `vmsim` Python package (the Python half is `python/vmsim/`).
//!
//! Every entry point calls the code the `vmsim` binary runs (the `vmsim_cli` library) with a buffer for standard
//! output and returns what the binary would print with `--json`, so a dict from `vmsim.replay(...)` is
//! `json.loads` of `vmsim replay ... --json`, key for key. Runs release the GIL (`Python::detach`): threads of one
//! interpreter simulate in parallel. Errors become the exceptions below, each carrying the typed error's fields as
//! attributes (and the CLI's one-line message as its argument); they pickle with their attributes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vmsim::config::{ConfigError as ConfigErr, SimConfig};
use vmsim::kernel::error::SysError as SysErr;
use vmsim::kernel::mmap::MmapArgs;
use vmsim::kernel::task::Pid;
use vmsim::kernel::vma::VmFlags;
use vmsim::mmu::Access;
use vmsim::reclaim::PolicyKind;
use vmsim::sim::{AnyMachine, StepError as StepErr};
use vmsim::with_machine;
use vmsim_cli::args::{parse_proc_view, MachineOpts, TraceFormat};
use vmsim_cli::commands;
use vmsim_cli::commands::grid;

create_exception!(vmsim, VmsimError, PyException, "Any error vmsim reports: bad input, a failed run.");
create_exception!(
    vmsim,
    ConfigError,
    VmsimError,
    "A bad configuration value or scenario: attributes path, line, column (0 when unknown) and message."
);
create_exception!(
    vmsim,
    TraceError,
    VmsimError,
    "A bad trace line or an unreadable trace: attributes path, line (0 for the whole file), kind and hint."
);
create_exception!(
    vmsim,
    StepError,
    VmsimError,
    "A scenario step that could not be carried out: attributes location (file:line:column) and kind."
);
create_exception!(
    vmsim,
    SysError,
    VmsimError,
    "A system call the kernel model refused: attributes op, addr (or None), errno, errno_name and cause."
);

/// The Python exception for `e`: the most specific typed error in its chain, with that error's fields.
fn to_py(py: Python<'_>, e: &anyhow::Error) -> PyErr {
    let msg = format!("{e:#}");
    let with = |err: PyErr, fields: &[(&str, Py<PyAny>)]| {
        let v = err.value(py);
        for (k, x) in fields {
            // Setting an attribute on a fresh exception instance cannot fail in practice; if it did, the
            // exception still carries the message.
            let _ = v.setattr(*k, x);
        }
        let _ = v.setattr("message", msg.clone());
        err
    };
    let obj = |x: &dyn ToPy| x.to_py(py);
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<ConfigErr>() {
            return with(
                ConfigError::new_err(msg.clone()),
                &[
                    ("path", obj(&c.path.display().to_string())),
                    ("line", obj(&(c.line as u64))),
                    ("column", obj(&(c.column as u64))),
                    ("detail", obj(&c.message)),
                ],
            );
        }
        if let Some(t) = cause.downcast_ref::<vmsim_trace::ParseError>() {
            return with(
                TraceError::new_err(msg.clone()),
                &[
                    ("path", obj(&t.path.display().to_string())),
                    ("line", obj(&t.line)),
                    ("kind", obj(&t.kind.to_string())),
                    ("hint", obj(&t.hint.to_string())),
                ],
            );
        }
        if let Some(s) = cause.downcast_ref::<StepErr>() {
            return with(
                StepError::new_err(msg.clone()),
                &[("location", obj(&s.location)), ("kind", obj(&s.kind.to_string()))],
            );
        }
        if let Some(s) = cause.downcast_ref::<SysErr>() {
            return sys_error(py, s, &msg);
        }
    }
    with(VmsimError::new_err(msg.clone()), &[])
}

fn sys_error(py: Python<'_>, s: &SysErr, msg: &str) -> PyErr {
    let err = SysError::new_err(msg.to_string());
    let v = err.value(py);
    let _ = v.setattr("op", s.op.name());
    let _ = v.setattr("addr", s.addr.map(vmsim::addr::VirtAddr::raw));
    let _ = v.setattr("errno", s.errno.errno());
    let _ = v.setattr("errno_name", s.errno.name());
    let _ = v.setattr("cause", s.cause.to_string());
    let _ = v.setattr("message", msg);
    err
}

/// A Rust value as a Python object, for exception attributes.
trait ToPy {
    fn to_py(&self, py: Python<'_>) -> Py<PyAny>;
}
impl ToPy for String {
    fn to_py(&self, py: Python<'_>) -> Py<PyAny> {
        pyo3::types::PyString::new(py, self).into_any().unbind()
    }
}
impl ToPy for u64 {
    fn to_py(&self, py: Python<'_>) -> Py<PyAny> {
        pyo3::types::PyInt::new(py, *self).into_any().unbind()
    }
}

fn vmsim_error(msg: impl Into<String>) -> PyErr {
    VmsimError::new_err(msg.into())
}

/// Runs `f` without the GIL with a buffer for what the command prints, and returns the buffer as text.
fn capture<F>(py: Python<'_>, f: F) -> PyResult<String>
where
    F: FnOnce(&mut Vec<u8>) -> anyhow::Result<()> + Send,
{
    let r = py.detach(move || {
        let mut out = Vec::new();
        f(&mut out).map(|()| out)
    });
    match r {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| vmsim_error(format!("output is not UTF-8: {e}"))),
        Err(e) => Err(to_py(py, &e)),
    }
}

/// `--set`, `--proc` and `--max-accesses` as the CLI's options, with `--json` and `--quiet`.
fn machine_opts(sets: Vec<String>, proc: &[String], max_accesses: Option<u64>) -> PyResult<MachineOpts> {
    let proc = proc
        .iter()
        .map(|v| parse_proc_view(v).map_err(|e| vmsim_error(format!("proc={v:?}: {e}"))))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(MachineOpts { sets, json: true, proc, max_accesses, quiet: true })
}

fn trace_format(format: &str) -> PyResult<TraceFormat> {
    match format {
        "lackey" => Ok(TraceFormat::Lackey),
        "pages" => Ok(TraceFormat::Pages),
        other => Err(vmsim_error(format!("format={other:?}: unknown trace format (expected \"lackey\" or \"pages\")"))),
    }
}

/// `vmsim run --json`: a scenario file, scenario text, an embedded demo, or (none of them) the default demo.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, demo=None, sets=Vec::new(), proc=Vec::new(), max_accesses=None, sweep=Vec::new()))]
#[allow(clippy::too_many_arguments, reason = "the Python keywords of vmsim.run")]
fn run_json(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    demo: Option<String>,
    sets: Vec<String>,
    proc: Vec<String>,
    max_accesses: Option<u64>,
    sweep: Vec<String>,
) -> PyResult<String> {
    let opts = machine_opts(sets, &proc, max_accesses)?;
    capture(py, move |out| match text {
        Some(t) => commands::run::run_text(Path::new("<string>"), &t, &opts, &sweep, out),
        None => commands::run::run(path.as_deref(), demo.as_deref(), &opts, &sweep, out),
    })
}

/// `vmsim replay --json` (with `exact`, `vmsim replay --exact --json`).
#[pyfunction]
#[pyo3(signature = (trace, format, policy=None, frames=None, memory=None, exact=false, scenario=None, strict=false,
    sets=Vec::new(), proc=Vec::new(), max_accesses=None))]
#[allow(clippy::too_many_arguments, reason = "the Python keywords of vmsim.replay")]
fn replay_json(
    py: Python<'_>,
    trace: PathBuf,
    format: &str,
    policy: Option<&str>,
    frames: Option<u64>,
    memory: Option<String>,
    exact: bool,
    scenario: Option<PathBuf>,
    strict: bool,
    sets: Vec<String>,
    proc: Vec<String>,
    max_accesses: Option<u64>,
) -> PyResult<String> {
    let format = trace_format(format)?;
    let policy = policy
        .map(|p| {
            p.parse::<PolicyKind>().map_err(|_| {
                let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.name()).collect();
                vmsim_error(format!("policy={p:?}: unknown policy (expected one of {})", names.join(", ")))
            })
        })
        .transpose()?;
    let machine = machine_opts(sets, &proc, max_accesses)?;
    let a = commands::replay::ReplayArgs {
        trace,
        format,
        frames,
        memory,
        strict,
        scenario,
        quiet: true,
        machine,
        decoded: None,
    };
    capture(py, move |out| {
        if exact {
            commands::exact::replay_exact(&a, policy, out)
        } else {
            commands::replay::replay(&a, policy, out)
        }
    })
}

/// `vmsim mrc --json`.
#[pyfunction]
#[pyo3(signature = (trace, format, max_frames=None, step=1, sample_rate=None))]
fn mrc_json(
    py: Python<'_>,
    trace: PathBuf,
    format: &str,
    max_frames: Option<u64>,
    step: u64,
    sample_rate: Option<f64>,
) -> PyResult<String> {
    let format = trace_format(format)?;
    let shape = commands::mrc::Shape::Json;
    let a = commands::mrc::MrcArgs { trace, format, shape, max_frames, step, quiet: true, sample_rate };
    capture(py, move |out| commands::mrc::mrc(&a, out))
}

/// The effective configuration `sets` give (every value, defaults included), as JSON.
#[pyfunction]
#[pyo3(signature = (sets=Vec::new()))]
fn config_json(py: Python<'_>, sets: Vec<String>) -> PyResult<String> {
    let cfg = SimConfig::from_sets(&sets).map_err(|e| to_py(py, &anyhow::Error::new(e)))?;
    serde_json::to_string(&cfg).map_err(|e| vmsim_error(e.to_string()))
}

/// A grid given as a file or as text (then relative paths start in the current directory).
fn grid_input(path: Option<PathBuf>, text: Option<String>) -> anyhow::Result<(PathBuf, String, PathBuf)> {
    use anyhow::Context;
    match (path, text) {
        (Some(p), None) => {
            let text = std::fs::read_to_string(&p).with_context(|| format!("{}: cannot read file", p.display()))?;
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            let dir =
                std::fs::canonicalize(&parent).with_context(|| format!("{}: cannot resolve", parent.display()))?;
            Ok((p, text, dir))
        }
        (None, Some(t)) => Ok((PathBuf::from("<grid>"), t, std::env::current_dir()?)),
        _ => anyhow::bail!("give the grid as a path or as text, not both"),
    }
}

/// The runs of a grid (`vmsim sweep --list`), each as JSON: id, settings, trace or scenario.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, shard=None))]
fn sweep_expand(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    shard: Option<String>,
) -> PyResult<Vec<String>> {
    let r = py.detach(move || -> anyhow::Result<Vec<String>> {
        let (shown, text, dir) = grid_input(path, text)?;
        let shard_of = shard.as_deref().map(grid::parse_shard).transpose()?;
        let runs = grid::shard(grid::expand(&shown, &text, &dir)?, shard_of);
        runs.iter().map(|r| Ok(serde_json::to_string(r)?)).collect()
    });
    r.map_err(|e| to_py(py, &e))
}

/// One run of a grid (a JSON run from `sweep_expand`), as a worker does it: reads the trace, checks its digest,
/// returns the output line.
#[pyfunction]
fn sweep_run(py: Python<'_>, spec: String) -> PyResult<String> {
    let r = py.detach(move || -> anyhow::Result<String> {
        let spec: grid::RunSpec = serde_json::from_str(&spec)?;
        grid::run_one(&spec, None)
    });
    r.map_err(|e| to_py(py, &e))
}

/// `vmsim sweep` on this machine's cores: appends to `out` (skipping runs already there), or returns the lines
/// when `out` is None.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, out=None, shard=None, jobs=None))]
fn sweep_local(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    out: Option<PathBuf>,
    shard: Option<String>,
    jobs: Option<usize>,
) -> PyResult<String> {
    capture(py, move |buf| {
        let (shown, text, dir) = grid_input(path, text)?;
        let out = out.unwrap_or_else(|| PathBuf::from("-"));
        let a = grid::SweepArgs { grid: shown.clone(), out, shard, jobs, list: false, quiet: true };
        grid::sweep_text(&shown, &text, &dir, &a, buf)
    })
}

/// A machine to drive step by step: accesses, mmap, munmap, fork, and the report at any time.
#[pyclass(module = "vmsim._vmsim")]
struct Simulator {
    state: Mutex<SimState>,
}

#[derive(Debug)]
struct SimState {
    machine: AnyMachine,
    cfg: SimConfig,
    sets: Vec<String>,
    first: Pid,
}

fn access_kind(kind: &str) -> PyResult<Access> {
    match kind {
        "r" | "read" | "load" => Ok(Access::Read),
        "w" | "write" | "store" => Ok(Access::Write),
        "x" | "exec" | "fetch" => Ok(Access::Fetch),
        other => Err(vmsim_error(format!("kind={other:?}: expected \"read\", \"write\" or \"fetch\""))),
    }
}

impl SimState {
    fn pid(&self, pid: Option<u32>) -> PyResult<Pid> {
        let Some(p) = pid else { return Ok(self.first) };
        let found = with_machine!(&self.machine, m => m.find_pid(Some(p)));
        found.ok_or_else(|| vmsim_error(format!("pid={p}: no such process")))
    }
}

impl Simulator {
    /// Runs `f` on the state without the GIL.
    fn with<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut SimState) -> PyResult<T> + Send) -> PyResult<T> {
        py.detach(|| {
            let mut g = self.state.lock().map_err(|_| vmsim_error("the simulator panicked in an earlier call"))?;
            f(&mut g)
        })
    }
}

#[pymethods]
impl Simulator {
    /// Boots a machine (`sets` are `--set` strings) and starts one process, pid 1; with `implicit`, one mapping
    /// covers all of user space (as `vmsim replay` does), else only what `mmap` maps is legal.
    #[new]
    #[pyo3(signature = (sets=Vec::new(), implicit=true))]
    fn new(py: Python<'_>, sets: Vec<String>, implicit: bool) -> PyResult<Self> {
        let cfg = SimConfig::from_sets(&sets).map_err(|e| to_py(py, &anyhow::Error::new(e)))?;
        let mut machine = commands::boot(&cfg, None, &sets).map_err(|e| to_py(py, &e))?;
        let first = with_machine!(&mut machine, m => m.spawn_trace_process(implicit))
            .map_err(|e| to_py(py, &anyhow::Error::new(e)))?;
        Ok(Self { state: Mutex::new(SimState { machine, cfg, sets, first }) })
    }

    /// The first process's pid.
    #[getter]
    fn pid(&self, py: Python<'_>) -> PyResult<u32> {
        self.with(py, |s| Ok(s.first.0))
    }

    /// The pids of the processes still running, in order.
    fn pids(&self, py: Python<'_>) -> PyResult<Vec<u32>> {
        self.with(py, |s| {
            Ok(with_machine!(&s.machine, m => m.kernel.tasks.iter().filter(|(_, t)| t.is_running()).map(|(p, _)| p.0).collect()))
        })
    }

    /// One access of `size` bytes at `addr`; false when the process is no longer running (SIGSEGV, OOM kill).
    #[pyo3(signature = (addr, kind="read", size=1, pid=None))]
    fn access(&self, py: Python<'_>, addr: u64, kind: &str, size: u32, pid: Option<u32>) -> PyResult<bool> {
        let kind = access_kind(kind)?;
        self.with(py, |s| {
            let pid = s.pid(pid)?;
            Ok(with_machine!(&mut s.machine, m => m.access(pid, addr, size, kind)))
        })
    }

    /// Accesses every address of `addrs` in order; returns how many were made before the process stopped running
    /// (`len(addrs)` when it still runs).
    #[pyo3(signature = (addrs, kind="read", size=1, pid=None))]
    fn access_many(&self, py: Python<'_>, addrs: Vec<u64>, kind: &str, size: u32, pid: Option<u32>) -> PyResult<usize> {
        let kind = access_kind(kind)?;
        self.with(py, |s| {
            let pid = s.pid(pid)?;
            Ok(with_machine!(&mut s.machine, m => addrs.iter().take_while(|&&a| m.access(pid, a, size, kind)).count()))
        })
    }

    /// mmap(2) of anonymous memory: returns the address. `prot` is a combination of r, w, x (or "none").
    #[pyo3(signature = (length, prot="rw", addr=None, fixed=false, shared=false, name=None, pid=None))]
    #[allow(clippy::too_many_arguments, reason = "mirrors mmap(2)'s arguments as Python keywords")]
    fn mmap(
        &self,
        py: Python<'_>,
        length: u64,
        prot: &str,
        addr: Option<u64>,
        fixed: bool,
        shared: bool,
        name: Option<String>,
        pid: Option<u32>,
    ) -> PyResult<u64> {
        let prot = VmFlags::from_prot(prot)
            .ok_or_else(|| vmsim_error(format!("prot={prot:?}: expected a combination of r, w, x, or \"none\"")))?;
        let r = self.with(py, |s| {
            let pid = s.pid(pid)?;
            let args = MmapArgs {
                addr: addr.map(vmsim::addr::VirtAddr::new),
                len: length,
                prot,
                fixed,
                grows_down: false,
                shared,
                name,
                file: None,
                noreserve: false,
            };
            Ok(with_machine!(&mut s.machine, m => m.kernel.mmap(pid, &args)))
        })?;
        r.map(vmsim::addr::VirtAddr::raw).map_err(|e| sys_error(py, &e, &e.to_string()))
    }

    /// munmap(2).
    #[pyo3(signature = (addr, length, pid=None))]
    fn munmap(&self, py: Python<'_>, addr: u64, length: u64, pid: Option<u32>) -> PyResult<()> {
        let r = self.with(py, |s| {
            let pid = s.pid(pid)?;
            Ok(with_machine!(&mut s.machine, m => m.kernel.munmap(pid, vmsim::addr::VirtAddr::new(addr), length)))
        })?;
        r.map_err(|e| sys_error(py, &e, &e.to_string()))
    }

    /// fork(2): returns the child's pid. The child shares every private page copy-on-write.
    #[pyo3(signature = (pid=None, name="child"))]
    fn fork(&self, py: Python<'_>, pid: Option<u32>, name: &str) -> PyResult<u32> {
        let r = self.with(py, |s| {
            let pid = s.pid(pid)?;
            Ok(with_machine!(&mut s.machine, m => m.kernel.fork(pid, name)))
        })?;
        r.map(|p| p.0).map_err(|e| sys_error(py, &e, &e.to_string()))
    }

    /// The report so far, as the JSON `vmsim run --json` prints (with `proc` views, e.g. `["meminfo"]`).
    #[pyo3(signature = (proc=Vec::new()))]
    fn report_json(&self, py: Python<'_>, proc: Vec<String>) -> PyResult<String> {
        let views = machine_opts(Vec::new(), &proc, None)?.proc;
        self.with(py, |s| {
            let (report, shown) = with_machine!(&s.machine, m => (m.report(), vmsim_cli::output::proc_views(&views, |v| m.proc_files(v))));
            let inputs =
                vmsim_cli::output::Inputs { command: "simulator", sets: s.sets.clone(), ..Default::default() };
            let mut out = Vec::new();
            vmsim_cli::output::json_report(&mut out, &report, &shown, &inputs, &s.cfg)
                .map_err(|e| vmsim_error(format!("{e:#}")))?;
            String::from_utf8(out).map_err(|e| vmsim_error(e.to_string()))
        })
    }
}

/// The module: the functions above, `Simulator`, the exceptions and `__version__`.
#[pymodule]
fn _vmsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run_json, m)?)?;
    m.add_function(wrap_pyfunction!(replay_json, m)?)?;
    m.add_function(wrap_pyfunction!(mrc_json, m)?)?;
    m.add_function(wrap_pyfunction!(config_json, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_expand, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_local, m)?)?;
    m.add_class::<Simulator>()?;
    m.add("VmsimError", py.get_type::<VmsimError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("TraceError", py.get_type::<TraceError>())?;
    m.add("StepError", py.get_type::<StepError>())?;
    m.add("SysError", py.get_type::<SysError>())?;
    Ok(())
}
