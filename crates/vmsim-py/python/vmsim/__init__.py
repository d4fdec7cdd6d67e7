"""vmsim: an executable model of Linux virtual memory, from Python.

Every function returns what the ``vmsim`` command prints with ``--json``, as a dict (docs/stats.md lists the
keys), and runs without holding the GIL, so threads simulate in parallel::

    import vmsim
    r = vmsim.replay("refs.txt", format="pages", frames=64)
    r["faults"]["major"], r["tlb"]["hits"]
    vmsim.replay("refs.txt", format="pages", exact=True, policy="clock", frames=3)["replay"]["misses"]
    vmsim.run("examples/demo.toml", machine__memory="16MiB")      # machine__memory is --set machine.memory
    curve = vmsim.mrc("refs.txt", format="pages")                  # curve["frames"], curve["miss_ratio"]

Configuration overrides are ``--set`` values: keyword arguments with ``__`` for the dot
(``reclaim__policy="clock"``), or ``sets={"reclaim.policy": "clock"}``. Errors raise :class:`VmsimError` or one
of its subclasses (:class:`ConfigError`, :class:`TraceError`, :class:`StepError`, :class:`SysError`), whose
attributes are the fields of the error (``e.path``, ``e.line``, ...) and whose message is the CLI's one line.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Mapping, Optional, Union

from . import _vmsim
from ._vmsim import ConfigError, StepError, SysError, TraceError, VmsimError, __version__

__all__ = [
    "run", "replay", "mrc", "config", "Simulator", "sweep", "expand",
    "VmsimError", "ConfigError", "TraceError", "StepError", "SysError", "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


def _value(v: Any) -> str:
    """A Python value as the text of a ``--set KEY=VALUE``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    raise VmsimError(f"cannot pass {v!r} ({type(v).__name__}) as a configuration value: use a str, int, float or bool")


def _sets(sets: Union[Mapping[str, Any], Iterable[str], None], overrides: Mapping[str, Any]) -> list:
    """``--set`` strings from ``sets`` (a mapping or ``KEY=VALUE`` strings), then the keyword overrides."""
    out = []
    if isinstance(sets, Mapping):
        out += [f"{k}={_value(v)}" for k, v in sets.items()]
    elif sets is not None:
        out += [str(s) for s in sets]
    out += [f"{k.replace('__', '.')}={_value(v)}" for k, v in overrides.items()]
    return out


def _is_scenario_text(s: str) -> bool:
    return "\n" in s or s.lstrip().startswith("[")


def run(scenario: Optional[PathLike] = None, *, demo: Optional[str] = None, sets=None, proc: Iterable[str] = (),
        max_accesses: Optional[int] = None, **overrides: Any) -> dict:
    """Runs a scenario (a path, or TOML text when it has a newline) or an embedded demo; ``vmsim run --json``."""
    kw = dict(demo=demo, sets=_sets(sets, overrides), proc=list(proc), max_accesses=max_accesses)
    if isinstance(scenario, str) and _is_scenario_text(scenario):
        return json.loads(_vmsim.run_json(text=scenario, **kw))
    path = None if scenario is None else os.fspath(scenario)
    return json.loads(_vmsim.run_json(path=path, **kw))


def replay(trace: PathLike, *, format: str, policy: Optional[str] = None, frames: Optional[int] = None,
           memory: Optional[str] = None, exact: bool = False, scenario: Optional[PathLike] = None,
           strict: bool = False, sets=None, proc: Iterable[str] = (), max_accesses: Optional[int] = None,
           **overrides: Any) -> dict:
    """Replays a trace (``format`` "lackey" or "pages"); ``vmsim replay --json`` (``--exact`` with ``exact``)."""
    return json.loads(_vmsim.replay_json(
        os.fspath(trace), format, policy=policy, frames=frames, memory=memory, exact=exact,
        scenario=None if scenario is None else os.fspath(scenario), strict=strict,
        sets=_sets(sets, overrides), proc=list(proc), max_accesses=max_accesses))


def mrc(trace: PathLike, *, format: str, max_frames: Optional[int] = None, step: int = 1,
        sample_rate: Optional[float] = None, numpy: bool = False) -> dict:
    """The exact LRU miss-ratio curve (``vmsim mrc --json``), or with ``sample_rate`` SHARDS' estimate of it.
    With ``numpy``, the curve's three lists are arrays."""
    d = json.loads(_vmsim.mrc_json(os.fspath(trace), format, max_frames=max_frames, step=step,
                                   sample_rate=sample_rate))
    if numpy:
        import numpy as np

        for k in ("frames", "misses"):
            d[k] = np.asarray(d[k], dtype=np.uint64)
        d["miss_ratio"] = np.asarray(d["miss_ratio"], dtype=np.float64)
    return d


def config(sets=None, **overrides: Any) -> dict:
    """The effective configuration (every value, defaults included) that the overrides give."""
    return json.loads(_vmsim.config_json(_sets(sets, overrides)))


class Simulator:
    """A machine driven step by step, for notebooks::

        sim = vmsim.Simulator(machine__memory="64MiB", implicit=False)
        buf = sim.mmap(1 << 20)                  # anonymous, read-write
        sim.access_many(range(buf, buf + (1 << 20), 4096), kind="write")
        child = sim.fork()
        sim.access(buf, kind="write", pid=child) # a copy-on-write fault
        sim.report()["faults"]["cow"]

    ``implicit=True`` (the default) maps all of user space, as ``vmsim replay`` does, so any address is legal.
    Calls release the GIL; one simulator is used by one thread at a time (calls from others wait).
    """

    def __init__(self, *, sets=None, implicit: bool = True, **overrides: Any) -> None:
        self._sets = _sets(sets, overrides)
        self._sim = _vmsim.Simulator(self._sets, implicit)

    @property
    def pid(self) -> int:
        """The first process (started at boot)."""
        return self._sim.pid

    def pids(self) -> list:
        """The pids of the running processes."""
        return self._sim.pids()

    def access(self, addr: int, kind: str = "read", size: int = 1, pid: Optional[int] = None) -> bool:
        """One access; False once the process is no longer running (SIGSEGV, OOM kill)."""
        return self._sim.access(addr, kind, size, pid)

    def access_many(self, addrs: Iterable[int], kind: str = "read", size: int = 1, pid: Optional[int] = None) -> int:
        """Accesses in order; returns how many were made before the process stopped (all of them if it runs)."""
        return self._sim.access_many([int(a) for a in addrs], kind, size, pid)

    def mmap(self, length: int, prot: str = "rw", *, addr: Optional[int] = None, fixed: bool = False,
             shared: bool = False, name: Optional[str] = None, pid: Optional[int] = None) -> int:
        """Anonymous mmap(2); returns the address. Raises :class:`SysError` (with ``errno``) when refused."""
        return self._sim.mmap(length, prot, addr, fixed, shared, name, pid)

    def munmap(self, addr: int, length: int, pid: Optional[int] = None) -> None:
        """munmap(2)."""
        self._sim.munmap(addr, length, pid)

    def fork(self, pid: Optional[int] = None, name: str = "child") -> int:
        """fork(2); returns the child's pid."""
        return self._sim.fork(pid, name)

    def report(self, proc: Iterable[str] = ()) -> dict:
        """The report so far: the keys of ``vmsim run --json``."""
        return json.loads(self._sim.report_json(list(proc)))


from .sweep import expand, sweep  # noqa: E402  (the sweep module uses the names above)
