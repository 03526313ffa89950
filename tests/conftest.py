"""Suite-wide fixtures: no test ever touches the real user's settings, history or recordings."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from own_package import bind

# Before any test module imports tests.fakebluez or tests.ble (see own_package).
bind()

# One BLAS thread per test process, set before anything loads numpy (nothing above does): the
# suite runs in 4 xdist workers (README), and each one's OpenBLAS pool of a thread per core
# oversubscribed a 2-core machine several times over. Set only where not set.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

_DIR_VARIABLES = {
    "BREATHWISE_DATA_DIR": "data",
    "BREATHWISE_CONFIG_DIR": "config",
    "BREATHWISE_RECORDINGS_DIR": "recordings",
}


_RUN_HOME = pytest.StashKey[Path]()


_WORKER_PARENT = "breathwise_tests_home"
"""The ``workerinput`` key under which an xdist controller hands its workers its own home."""


def pytest_configure(config: pytest.Config) -> None:
    """Before any fixture (module-scoped ones included): a private home for the whole run.

    An xdist worker makes its home inside its controller's, so the controller's removal takes
    a worker's too: a worker stopped before its own clean-up (xdist ends slow workers at the
    end of a run, as on a loaded machine) left its folder in the temp folder.
    """
    workerinput: dict[str, str] = getattr(config, "workerinput", {})
    root = Path(tempfile.mkdtemp(prefix="breathwise-tests-", dir=workerinput.get(_WORKER_PARENT)))
    config.stash[_RUN_HOME] = root
    for variable, name in _DIR_VARIABLES.items():
        os.environ[variable] = str(root / name)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller, before it starts a worker: hand it this run's home."""
    node.workerinput[_WORKER_PARENT] = str(node.config.stash[_RUN_HOME])


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's home: every pytest process (each xdist worker too) made its own, and
    none was ever removed (1,811 of them had gathered in /tmp)."""
    root = config.stash.get(_RUN_HOME, None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a ``slow`` (real-time) test run first, the others most tests first.

    The README runs the suite with ``--dist loadfile --no-loadscope-reorder``, so xdist hands
    out whole files in this order. Its own order (most tests first, the default since 3.5) put
    the two one-test BLE acceptance files last, one after the other on one worker: the 3 min
    link-drop run started about 485 s into a 671 s run and was its tail, the other workers
    done. Started first, the real-time files (which mostly wait on a clock) overlap the
    CPU-bound ones. Sorting is stable: a file's tests keep their order, and the slow files
    keep their collection order, which starts both BLE acceptance runs at once.
    """
    tests_in = Counter(item.path for item in items)
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: (0, 0) if item.path in slow else (1, -tests_in[item.path]))


@pytest.fixture(autouse=True)
def private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh set of Breathwise directories per test (child processes inherit them)."""
    root = tmp_path_factory.mktemp("user")
    for variable, name in _DIR_VARIABLES.items():
        monkeypatch.setenv(variable, str(root / name))
    yield root
