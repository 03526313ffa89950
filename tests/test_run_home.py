"""The test suite's own housekeeping: a pytest run leaves nothing behind in the temp folder,
and CI hands the files to its workers longest-waiting first."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass
class _Collected:
    """What the ordering hook reads of a collected test: its file and its ``slow`` marker."""

    path: Path
    name: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return pytest.mark.slow.mark if name == "slow" and self.slow else None


def test_files_with_a_real_time_test_are_handed_out_first(pytestconfig: pytest.Config) -> None:
    """The README's ``--dist loadfile --no-loadscope-reorder`` hands out files in the order
    conftest leaves them: xdist's own order (most tests first) ran the 3 min BLE acceptance
    file, a single test, last and alone, 185 s of a 671 s run. Files with a ``slow`` test come
    first in their collection order, then the others most tests first; no file's tests are
    reordered."""
    conftest = pytestconfig.pluginmanager.get_plugin(str(REPO / "tests" / "conftest.py"))
    assert conftest is not None
    quick3 = [_Collected(Path("a.py"), f"a{i}") for i in range(3)]
    mixed = [_Collected(Path("b.py"), "b0"), _Collected(Path("b.py"), "b1", slow=True)]
    quick5 = [_Collected(Path("c.py"), f"c{i}") for i in range(5)]
    lone_slow = [_Collected(Path("d.py"), "d0", slow=True)]
    items = [*quick3, *mixed, *quick5, *lone_slow]
    conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        *["b0", "b1", "d0"],
        *[f"c{i}" for i in range(5)],
        *[f"a{i}" for i in range(3)],
    ]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim, file order option included."""
    readme = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    (command,) = [line for line in readme if line.startswith("python3 ") and "pytest" in line]
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "--dist loadfile --no-loadscope-reorder" in command
