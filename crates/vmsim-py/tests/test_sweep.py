"""vmsim.sweep: the grid of issue 15's "done when" (3 traces x 4 policies x 5 memory sizes) locally, through the
CLI and on a local Ray cluster, with identical rows; resuming; shards; errors."""

import json
import os
import random
import subprocess

import pytest

import vmsim

POLICIES = ["lru", "clock", "fifo", "s3fifo"]
SIZES = ["256KiB", "512KiB", "1MiB", "2MiB", "4MiB"]


@pytest.fixture(scope="module")
def grid(tmp_path_factory, lackey_trace):
    d = tmp_path_factory.mktemp("grid")
    for name, seed in (("a", 1), ("b", 2)):
        rng = random.Random(seed)
        (d / f"{name}.pages").write_text(
            "".join(f"{rng.randrange(1200) if rng.random() < 0.3 else rng.randrange(200)}\n" for _ in range(4000)))
    (d / "c.lackey").write_bytes(lackey_trace.read_bytes())
    g = {
        "policies": POLICIES,
        "trace": [
            {"path": str(d / "a.pages"), "format": "pages"},
            {"path": str(d / "b.pages"), "format": "pages"},
            {"path": str(d / "c.lackey"), "format": "lackey"},
        ],
        "set": {"cost.major_fault_ns": 5000000},
        "grid": {"machine.memory": SIZES},
    }
    return d, g


def test_local_sweep_runs_the_whole_grid_in_order(grid):
    _, g = grid
    rows = vmsim.sweep(g)
    assert len(rows) == 3 * 4 * 5
    assert [r["index"] for r in rows] == list(range(60))
    assert [(r["policy"], r["grid"]["machine.memory"]) for r in rows[:6]] == \
        [("lru", s) for s in SIZES] + [("clock", SIZES[0])]
    assert len({r["id"] for r in rows}) == 60
    # The model responds to what was swept: more memory, no more major faults (same trace and policy).
    for t in range(3):
        for p in range(4):
            major = [rows[t * 20 + p * 5 + k]["result"]["faults"]["major"] for k in range(5)]
            assert major == sorted(major, reverse=True), (t, p, major)
    assert rows[0]["result"]["faults"]["major"] > 0


def test_local_sweep_equals_the_cli(grid, cli, tmp_path):
    d, g = grid
    toml_file = tmp_path / "grid.toml"
    toml_file.write_text(vmsim.sweep.__globals__["_to_toml"](g))
    out = tmp_path / "cli.jsonl"
    subprocess.run([cli, "sweep", str(toml_file), "-o", str(out), "--quiet"], check=True)
    cli_rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert cli_rows == vmsim.sweep(toml_file) == vmsim.sweep(g)
    assert [r["id"] for r in vmsim.expand(g)] == [r["id"] for r in cli_rows]


def test_replay_row_is_vmsim_replay(grid):
    _, g = grid
    row = vmsim.sweep(g, shard="7/60")[0]
    assert row["index"] == 6
    want = vmsim.replay(row["trace"], format=row["format"], policy=row["policy"], sets=row["sets"])
    assert row["result"] == want


def test_output_file_resumes_and_shards_partition(grid, tmp_path):
    _, g = grid
    full = vmsim.sweep(g)
    out = tmp_path / "out.jsonl"
    first = vmsim.sweep(g, output=out, shard="1/3")
    assert [r["index"] for r in first] == list(range(0, 60, 3))
    # Cut the file's last line short, as a crash would; the resumed sweep drops it and runs that run again.
    data = out.read_bytes()
    out.write_bytes(data[:-30])
    rows = vmsim.sweep(g, output=out)
    assert rows == full
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(r["index"] for r in lines) == list(range(60))


def test_bad_grids_raise_located_errors(grid, tmp_path):
    _, g = grid
    with pytest.raises(vmsim.ConfigError, match=r"\[grid\] machine.memory=\"12XB\""):
        vmsim.sweep({**g, "grid": {"machine.memory": ["12XB"]}})
    bad = tmp_path / "bad.toml"
    bad.write_text('policies = ["lru", "nope"]\n[[trace]]\npath = "x"\nformat = "pages"\n')
    with pytest.raises(vmsim.ConfigError) as ei:
        vmsim.expand(bad)
    assert (ei.value.path, ei.value.line) == (str(bad), 1)
    with pytest.raises(vmsim.VmsimError, match="backend"):
        vmsim.sweep(g, backend="slurm")


def test_a_worker_refuses_a_changed_trace(grid, tmp_path):
    _, g = grid
    t = tmp_path / "t.pages"
    t.write_text("1\n2\n3\n")
    run = vmsim.expand({**g, "trace": [{"path": str(t), "format": "pages"}]})[0]
    t.write_text("1\n2\n4\n")
    with pytest.raises(vmsim.VmsimError, match="contents differ"):
        vmsim._vmsim.sweep_run(json.dumps(run))


def test_ray_backend_gives_the_local_rows(grid, tmp_path):
    ray = pytest.importorskip(
        "ray", reason="ray is not installed: scripts/python-tests installs it with VMSIM_TEST_RAY=1 (as .ci/run does)")
    _, g = grid
    local = vmsim.sweep(g)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        out = tmp_path / "ray.jsonl"
        assert vmsim.sweep(g, backend="ray", output=out) == local
        assert [json.loads(x) for x in out.read_text().splitlines()] == local
        # Resuming through Ray runs nothing that is done.
        assert vmsim.sweep(g, backend="ray", output=out) == local
        assert len(out.read_text().splitlines()) == 60
    finally:
        ray.shutdown()
