"""Full disks for tests, without root or a small file system to fill."""

from __future__ import annotations

import errno
import os
import resource
import shutil
from collections.abc import Callable
from typing import Any

import pytest


class FullDisk:
    """A text file on a disk that fills after ``budget`` characters: writes beyond it raise
    ``OSError(ENOSPC)``, as a real full disk does."""

    def __init__(self, file: Any, budget: int) -> None:
        self._file = file
        self._left = budget

    def write(self, text: str) -> int:
        if len(text) > self._left:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(text)
        return int(self._file.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def file_size_limit(limit_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the size of any file the child writes (``RLIMIT_FSIZE``).

    Writes past the cap fail with ``EFBIG`` ("File too large"; Python ignores the ``SIGXFSZ``
    that comes with it), in C libraries too: the way to fill a disk under code that cannot be
    monkeypatched, such as EDFlib.
    """

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return limit


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, free_chars: int) -> None:
    """Every file opened with ``os.fdopen`` from now on (the recording writer's) sits on a
    disk with ``free_chars`` characters free; ``monkeypatch.undo()`` frees it."""
    real_fdopen = os.fdopen

    def fdopen(*args: Any, **kwargs: Any) -> Any:
        return FullDisk(real_fdopen(*args, **kwargs), free_chars)

    monkeypatch.setattr(os, "fdopen", fdopen)


def free_space(monkeypatch: pytest.MonkeyPatch, free_bytes: int) -> None:
    """Every disk reports ``free_bytes`` free (``shutil.disk_usage``, what a check before the
    work sees); files can still be made, as on a full disk with inodes left, and written until
    the real disk fills. ``monkeypatch.undo()`` frees it."""
    real_disk_usage = shutil.disk_usage

    def disk_usage(path: Any) -> Any:
        return real_disk_usage(path)._replace(free=free_bytes)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
