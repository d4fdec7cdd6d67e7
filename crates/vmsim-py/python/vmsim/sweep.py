"""Sweeps: a grid of traces (or a scenario) x policies x configuration values, run on this machine's cores or on
a Ray cluster, with the same results either way. The grid is the file ``vmsim sweep`` reads (docs/research.md),
given as a path, as TOML text, or as a dict of the same shape::

    grid = {
        "policies": ["lru", "clock", "fifo", "s3fifo"],
        "trace": [{"path": "a.pages", "format": "pages"}, {"path": "prog.lackey", "format": "lackey"}],
        "set": {"cost.major_fault_ns": 5000000},
        "grid": {"machine.memory": ["1MiB", "2MiB", "4MiB"]},
    }
    rows = vmsim.sweep(grid)                      # local: every core, each trace decoded once
    rows = vmsim.sweep(grid, backend="ray")       # one Ray task per run; ray.init() first, or ray_address=...

Each row is one line of ``vmsim sweep``'s output: the run's ``id``, ``index``, ``kind``, ``trace``/``scenario``,
``policy``, ``grid`` (the swept values), ``sets`` and ``result`` (the report ``vmsim replay --json`` or
``vmsim run --json`` prints). Rows come back in the grid's run order. With ``output=FILE`` the rows are also
appended to FILE (JSON lines) as they finish, in run order, and runs whose id is already in FILE are not run
again: an interrupted sweep resumes where it stopped, whichever backend ran it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Optional, Union

from . import _vmsim
from ._vmsim import VmsimError


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise VmsimError(f"grid: cannot write {v!r} ({type(v).__name__}) as TOML")


def _to_toml(grid: Mapping[str, Any]) -> str:
    """A grid dict as the TOML text of a grid file (keys quoted, so dotted names stay one key)."""
    top, tables = [], []
    for k, v in grid.items():
        if isinstance(v, Mapping):
            tables.append(f"[{json.dumps(k)}]\n" + "".join(f"{json.dumps(str(kk))} = {_toml_value(vv)}\n"
                                                          for kk, vv in v.items()))
        elif isinstance(v, (list, tuple)) and v and all(isinstance(x, Mapping) for x in v):
            for x in v:
                tables.append(f"[[{json.dumps(k)}]]\n" + "".join(f"{json.dumps(str(kk))} = {_toml_value(vv)}\n"
                                                                 for kk, vv in x.items()))
        else:
            top.append(f"{json.dumps(k)} = {_toml_value(v)}\n")
    return "".join(top) + "\n".join(tables)


GridLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _grid_args(grid: GridLike) -> dict:
    if isinstance(grid, Mapping):
        return {"text": _to_toml(grid)}
    if isinstance(grid, str) and ("\n" in grid or grid.lstrip().startswith("[")):
        return {"text": grid}
    return {"path": os.fspath(grid)}


def expand(grid: GridLike, *, shard: Optional[str] = None) -> list:
    """The runs of a grid in order (``vmsim sweep --list``): dicts with id, index, kind, trace, policy, grid, sets.
    ``shard="I/N"`` keeps runs I, I+N, ... (1-based)."""
    return [json.loads(s) for s in _vmsim.sweep_expand(shard=shard, **_grid_args(grid))]


def _done(output: Optional[str]) -> dict:
    """The rows already in ``output``, by id (a last line cut short is dropped, as ``vmsim sweep`` does)."""
    rows = {}
    if output is None or not os.path.exists(output):
        return rows
    with open(output, "rb") as f:
        data = f.read()
    whole = data.rfind(b"\n") + 1
    if whole < len(data):
        with open(output, "r+b") as f:
            f.truncate(whole)
    for n, line in enumerate(data[:whole].decode().splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                rows[row["id"]] = row
            except (ValueError, KeyError, TypeError):
                raise VmsimError(f"{output}:{n}: not a line of vmsim sweep's output (a JSON object with an \"id\")")
    return rows


def _run_spec(spec: str) -> str:
    """One run, on a Ray worker: reads the trace (checking its digest) and returns the output line."""
    from vmsim import _vmsim as native

    return native.sweep_run(spec)


def sweep(grid: GridLike, *, backend: str = "local", output: Optional[Union[str, "os.PathLike[str]"]] = None,
          shard: Optional[str] = None, jobs: Optional[int] = None, ray_address: Optional[str] = None) -> list:
    """Runs every run of ``grid`` (of shard ``"I/N"`` only, if given) and returns the rows in run order.

    ``backend="local"`` runs on ``jobs`` threads (default: every core); ``backend="ray"`` submits one task per run
    to the Ray cluster this process is connected to (``ray.init(address=ray_address)`` if it is not yet), and
    every worker reads the traces at the paths in the runs, so they must be on storage the workers share.
    """
    output = None if output is None else os.fspath(output)
    runs = expand(grid, shard=shard)
    done = _done(output)
    if backend == "local":
        if output is None:
            text = _vmsim.sweep_local(shard=shard, jobs=jobs, **_grid_args(grid))
            return [json.loads(line) for line in text.splitlines()]
        _vmsim.sweep_local(out=output, shard=shard, jobs=jobs, **_grid_args(grid))
        done = _done(output)
    elif backend == "ray":
        import ray

        if not ray.is_initialized():
            ray.init(address=ray_address)
        task = ray.remote(num_cpus=1)(_run_spec)
        todo = [r for r in runs if r["id"] not in done]
        refs = [task.remote(json.dumps({k: v for k, v in r.items()})) for r in todo]
        out = open(output, "a", encoding="utf-8") if output is not None else None
        try:
            for r, ref in zip(todo, refs):  # in run order, each as soon as it and the ones before are done
                line = ray.get(ref)
                done[r["id"]] = json.loads(line)
                if out is not None:
                    out.write(line + "\n")
                    out.flush()
        finally:
            if out is not None:
                out.close()
    else:
        raise VmsimError(f"backend={backend!r}: expected \"local\" or \"ray\"")
    missing = [r["id"] for r in runs if r["id"] not in done]
    if missing:
        raise VmsimError(f"{len(missing)} runs have no result (first: {missing[0]})")
    return [done[r["id"]] for r in runs]
