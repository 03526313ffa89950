"""The test suite's own housekeeping: a pytest run leaves nothing behind in the temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_run_removes_the_private_homes_it_made(tmp_path: Path) -> None:
    """conftest's pytest_configure made a breathwise-tests-* folder in every pytest process
    (the controller and each xdist worker) and never removed it: 1,811 had gathered in /tmp
    (found in review). A run with two workers, its temp folder pointed here, leaves none."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "tests/test_version.py",
        ],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in tmp_path.glob("breathwise-tests-*")) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pytest-of-"))
