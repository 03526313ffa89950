"""Suite-wide fixtures: no test ever touches the real user's settings, history or recordings."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_DIR_VARIABLES = {
    "BREATHWISE_DATA_DIR": "data",
    "BREATHWISE_CONFIG_DIR": "config",
    "BREATHWISE_RECORDINGS_DIR": "recordings",
}


_RUN_HOME = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Before any fixture (module-scoped ones included): a private home for the whole run."""
    root = Path(tempfile.mkdtemp(prefix="breathwise-tests-"))
    config.stash[_RUN_HOME] = root
    for variable, name in _DIR_VARIABLES.items():
        os.environ[variable] = str(root / name)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's home: every pytest process (each xdist worker too) made its own, and
    none was ever removed (1,811 of them had gathered in /tmp)."""
    root = config.stash.get(_RUN_HOME, None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh set of Breathwise directories per test (child processes inherit them)."""
    root = tmp_path_factory.mktemp("user")
    for variable, name in _DIR_VARIABLES.items():
        monkeypatch.setenv(variable, str(root / name))
    yield root
