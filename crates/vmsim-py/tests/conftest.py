"""Fixtures: the repository, the `vmsim` binary (built if needed) and traces written for the tests."""

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> str:
    """The `vmsim` binary of this checkout (cargo builds it when missing or stale; a no-op in .ci/run)."""
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "vmsim-cli"], cwd=ROOT, check=True)
    return str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "vmsim")


@pytest.fixture(scope="session")
def run_cli(cli):
    def run(*args: str) -> dict:
        out = subprocess.run([cli, *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def pages_trace(tmp_path_factory) -> Path:
    """5,000 references over 300 pages, with a hot set: misses fall as frames grow."""
    rng = random.Random(15)
    f = tmp_path_factory.mktemp("traces") / "small.pages"
    f.write_text("".join(f"{rng.randrange(40) if rng.random() < 0.6 else rng.randrange(300)}\n" for _ in range(5000)))
    return f


@pytest.fixture(scope="session")
def big_trace(tmp_path_factory) -> Path:
    """300,000 references over 20,000 pages: a full-model replay of it takes a good fraction of a second."""
    rng = random.Random(16)
    f = tmp_path_factory.mktemp("traces") / "big.pages"
    f.write_text("".join(f"{rng.randrange(20000) if rng.random() < 0.5 else rng.randrange(2000)}\n"
                         for _ in range(300_000)))
    return f


@pytest.fixture(scope="session")
def lackey_trace(root) -> Path:
    return root / "crates" / "vmsim-trace" / "tests" / "data" / "nolibc.lackey"


def pytest_report_header(config):
    return f"vmsim repository: {ROOT}; VMSIM_TEST_RAY={os.environ.get('VMSIM_TEST_RAY', '')}"
