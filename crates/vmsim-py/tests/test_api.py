"""vmsim.run / replay / mrc / config / Simulator: the same results as the CLI's JSON, typed exceptions, pickling,
and the GIL released during runs."""

import pickle
import threading
import time

import pytest

import vmsim


def test_replay_is_the_cli_json(pages_trace, run_cli):
    got = vmsim.replay(pages_trace, format="pages", frames=64, reclaim__policy="clock")
    want = run_cli("replay", str(pages_trace), "--format", "pages", "--frames", "64", "--set", "reclaim.policy=clock",
                   "--json")
    assert got == want
    assert got["accesses"]["total"] == 5000
    assert got["config"]["reclaim"]["policy"] == "clock"


def test_exact_replay_is_the_cli_json(pages_trace, run_cli):
    got = vmsim.replay(pages_trace, format="pages", exact=True, policy="fifo", frames=50)
    want = run_cli("replay", str(pages_trace), "--format", "pages", "--exact", "--policy", "fifo", "--frames", "50",
                   "--json")
    assert got == want
    r = got["replay"]
    assert r["refs"] == 5000 and r["hits"] + r["misses"] == 5000


def test_lackey_replay_counts_the_real_program(lackey_trace):
    r = vmsim.replay(lackey_trace, format="lackey")
    # lackey's own summary of crates/vmsim-trace/tests/data/nolibc.c (as crates/vmsim-cli/tests/cli.rs checks).
    assert (r["accesses"]["fetches"], r["accesses"]["reads"], r["accesses"]["writes"]) == (8204, 1536, 1024)


def test_run_scenario_path_text_and_demo(root, run_cli):
    path = root / "examples" / "fork.toml"
    got = vmsim.run(path, machine__memory="32MiB")
    assert got == run_cli("run", str(path), "--set", "machine.memory=32MiB", "--json")
    assert got["faults"]["cow"] > 0
    text = path.read_text()
    from_text = vmsim.run(text, sets={"machine.memory": "32MiB"})
    assert from_text["faults"] == got["faults"]
    assert from_text["inputs"]["scenario"] == "<string>"
    assert vmsim.run(demo="fork")["faults"] == vmsim.run(root / "examples" / "fork.toml")["faults"]
    views = vmsim.run(demo="seed", proc=["meminfo"])["proc"]
    assert views[0]["path"] == "/proc/meminfo" and "MemTotal:" in views[0]["text"]


def test_mrc_matches_exact_lru_replays(pages_trace, run_cli):
    curve = vmsim.mrc(pages_trace, format="pages", step=25)
    assert curve == run_cli("mrc", str(pages_trace), "--format", "pages", "--step", "25", "--json")
    assert len(curve["frames"]) == len(curve["misses"]) == len(curve["miss_ratio"])
    for frames, misses in list(zip(curve["frames"], curve["misses"]))[:4]:
        r = vmsim.replay(pages_trace, format="pages", exact=True, policy="lru", frames=frames)
        assert r["replay"]["misses"] == misses, frames
    assert curve["misses"] == sorted(curve["misses"], reverse=True)


def test_sampled_mrc(big_trace, run_cli):
    exact = vmsim.mrc(big_trace, format="pages", step=1000)
    whole = vmsim.mrc(big_trace, format="pages", step=1000, sample_rate=1.0)
    assert whole["misses"] == exact["misses"] and whole["exact"] is False and whole["sampled_refs"] == 300_000
    est = vmsim.mrc(big_trace, format="pages", step=1000, sample_rate=0.1, max_frames=exact["frames"][-1])
    assert est == run_cli("mrc", str(big_trace), "--format", "pages", "--step", "1000", "--sample-rate", "0.1",
                          "--max-frames", str(exact["frames"][-1]), "--json")
    assert est["frames"] == exact["frames"]
    err = sum(abs(a - b) for a, b in zip(est["miss_ratio"], exact["miss_ratio"])) / len(exact["frames"])
    assert err < 0.02, err
    with pytest.raises(vmsim.VmsimError, match="--sample-rate 2"):
        vmsim.mrc(big_trace, format="pages", sample_rate=2.0)


def test_mrc_as_numpy(pages_trace):
    np = pytest.importorskip("numpy", reason="numpy is optional (vmsim.mrc(..., numpy=True))")
    c = vmsim.mrc(pages_trace, format="pages", numpy=True)
    assert c["frames"].dtype == np.uint64 and c["miss_ratio"].shape == c["frames"].shape


def test_config_is_the_effective_config_and_pickles():
    c = vmsim.config(reclaim__policy="sieve", machine__memory="64MiB")
    assert c["reclaim"]["policy"] == "sieve"
    assert pickle.loads(pickle.dumps(c)) == c


def test_results_pickle(pages_trace):
    r = vmsim.replay(pages_trace, format="pages", frames=32)
    assert pickle.loads(pickle.dumps(r)) == r


def test_config_error_carries_its_fields_and_pickles(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[machine]\nmemory = \"16MiB\"\nfrobs = 3\n")
    with pytest.raises(vmsim.ConfigError) as ei:
        vmsim.run(bad)
    e = ei.value
    assert (e.path, e.line) == (str(bad), 3), e
    assert e.column >= 1 and "frobs" in str(e)
    assert isinstance(e, vmsim.VmsimError)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is vmsim.ConfigError and (e2.path, e2.line, e2.column, str(e2)) == (e.path, e.line, e.column,
                                                                                       str(e))
    with pytest.raises(vmsim.ConfigError, match="--set machine.memory=12XB") as ei:
        vmsim.run(machine__memory="12XB")
    assert ei.value.line == 0


def test_trace_error_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.pages"
    bad.write_text("1\n2\nthree\n")
    with pytest.raises(vmsim.TraceError) as ei:
        vmsim.replay(bad, format="pages", frames=64)
    e = ei.value
    assert (e.path, e.line) == (str(bad), 3)
    assert str(e).startswith(f"{bad}:3:") and "\n" not in str(e)
    assert pickle.loads(pickle.dumps(e)).line == 3
    missing = tmp_path / "missing.pages"
    with pytest.raises(vmsim.VmsimError, match=f"^{missing}: cannot open trace"):
        vmsim.replay(missing, format="pages", frames=64)


def test_bad_arguments_are_vmsim_errors(pages_trace):
    with pytest.raises(vmsim.VmsimError, match="unknown policy"):
        vmsim.replay(pages_trace, format="pages", policy="nope", exact=True, frames=3)
    with pytest.raises(vmsim.VmsimError, match="unknown trace format"):
        vmsim.replay(pages_trace, format="csv")
    with pytest.raises(vmsim.VmsimError, match="--exact needs --frames"):
        vmsim.replay(pages_trace, format="pages", exact=True)


def test_step_error_has_a_location(tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('[[process]]\nname = "p"\nsteps = [\n  { op = "read", addr = "nowhere", len = "4KiB" },\n]\n')
    with pytest.raises(vmsim.StepError) as ei:
        vmsim.run(sc)
    assert ei.value.location.startswith(f"{sc}:4:"), ei.value.location


def test_simulator_mmap_fork_and_copy_on_write():
    sim = vmsim.Simulator(implicit=False, machine__memory="64MiB")
    buf = sim.mmap(16 * 4096)
    assert sim.access_many(range(buf, buf + 16 * 4096, 4096), kind="write") == 16
    child = sim.fork()
    assert sim.pids() == [sim.pid, child]
    assert sim.access(buf, kind="write", pid=child)
    r = sim.report()
    assert r["faults"]["cow"] == 1
    assert r["accesses"]["writes"] == 17
    assert r["inputs"]["command"] == "simulator"
    # Outside every mapping: SIGSEGV, the process stops.
    assert not sim.access(0x1000, pid=child)
    assert sim.pids() == [sim.pid]
    assert sim.report()["faults"]["segv"] == 1


def test_simulator_errors_are_typed():
    sim = vmsim.Simulator()
    with pytest.raises(vmsim.SysError) as ei:
        sim.munmap(3, 4096)
    assert (ei.value.errno, ei.value.errno_name, ei.value.op, ei.value.addr) == (22, "EINVAL", "munmap", 3)
    with pytest.raises(vmsim.VmsimError, match="no such process"):
        sim.access(0, pid=99)
    with pytest.raises(vmsim.VmsimError, match="kind="):
        sim.access(0, kind="jump")
    with pytest.raises(vmsim.ConfigError):
        vmsim.Simulator(reclaim__policy="nope")


def test_two_threads_run_inside_vmsim_at_once(big_trace):
    """The GIL is released during a run: while one thread is inside a long replay, another thread keeps running
    Python and its own short vmsim calls. With the GIL held, the second thread could not run at all between the
    first call's entry and exit, so no mark of it could fall in the middle half of that call."""
    marks = []
    stop = threading.Event()

    def other():
        while not stop.is_set():
            vmsim.replay(big_trace, format="pages", exact=True, frames=64, max_accesses=None)
            marks.append(time.perf_counter())

    t = threading.Thread(target=other)
    t.start()
    try:
        while len(marks) < 2:  # the other thread is up and running its calls
            time.sleep(0.01)
        t0 = time.perf_counter()
        r = vmsim.replay(big_trace, format="pages", frames=4096)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    assert r["accesses"]["total"] == 300_000
    quarter = (t1 - t0) / 4
    inside = [m for m in marks if t0 + quarter <= m <= t1 - quarter]
    assert inside, f"no call of the other thread finished inside the middle of a {t1 - t0:.3f} s replay"


def test_two_replays_in_parallel_give_the_results_of_one(big_trace):
    want = vmsim.replay(big_trace, format="pages", frames=4096)
    got = [None, None]

    def work(i):
        got[i] = vmsim.replay(big_trace, format="pages", frames=4096)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert got == [want, want]
