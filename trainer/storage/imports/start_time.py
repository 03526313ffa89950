"""When an imported session started.

A file with a real clock dates itself (its first time); one with relative times, or an RR list,
is dated by ``--start`` (:func:`local_start_ns`: a naive local time, refused where the clocks
skipped it) or else by its modification time less the session's length
(:func:`file_time_ns`: the file was saved when the session ended). Every start found in a file
is checked by the history's rule (:func:`implausible_start`, :func:`check_derived_start`), so
a wrong clock does not become a recording the history cannot store.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from devices.packets import NS_PER_S
from trainer.errors import BadArgument
from trainer.storage.history import implausible_start as history_start_problem
from trainer.storage.imports.session import ImportFileError
from trainer.storage.text_files import is_stream, pipe_words


def implausible_start(start_wall_ns: int, *, now_ns: int | None = None) -> str | None:
    """Why a session cannot have started at ``start_wall_ns`` (Unix ns), or None if it can.

    The rule the history flags recordings by (:func:`trainer.storage.history.implausible_start`:
    before 2000, the PMD epoch, before which a frame timestamp cannot be written, or more than a day
    ahead), here refused: a typo or a wrong clock let through would become a recording whose
    times no longer fit a PMD frame or the history's 64-bit columns.

    Returns
    -------
    str or None
        E.g. ``"1990-01-01 00:00 is before 2000"`` (local time).
    """
    problem = history_start_problem(start_wall_ns, time.time_ns() if now_ns is None else now_ns)
    if problem is None:
        return None
    try:
        when = datetime.fromtimestamp(start_wall_ns / NS_PER_S).isoformat(" ", "minutes")
    except (OverflowError, OSError, ValueError):
        when = f"{start_wall_ns} ns after 1970"  # beyond the calendar datetime can show
    return f"{when} {problem}"


def local_start_ns(moment: datetime, text: str) -> tuple[int, str | None]:
    """``--start``'s ``moment`` (naive: local time) as Unix ns, and a note when the local time
    happened twice.

    A local time the clocks skipped (2026-03-29 02:30 in Berlin, where 02:00 became 03:00) was
    taken silently as the hour after; it is refused. One they showed twice (2026-10-25 02:30)
    is taken as the first, summer time, and the note names the UTC offset used.

    Raises
    ------
    BadArgument
        ``moment`` does not exist in the local time zone.
    ValueError, OverflowError, OSError
        ``moment`` is before the local clock can count (year 1).
    """
    first = moment.replace(fold=0).timestamp()
    if moment.tzinfo is not None or first == moment.replace(fold=1).timestamp():
        return int(first * NS_PER_S), None
    taken = datetime.fromtimestamp(first).astimezone()
    if taken.replace(tzinfo=None, fold=0) != moment.replace(fold=0):
        raise BadArgument(
            f"--start {text!r} does not exist in the local time zone: the clocks skipped it "
            f"(daylight saving time began; {text} read as {taken.isoformat(timespec='minutes')})",
            "give the time the clocks showed, or add the UTC offset (e.g. +01:00)",
        )
    return int(first * NS_PER_S), (
        f"--start {text} happened twice (the clocks went back): taken as the first, "
        f"{taken.isoformat(timespec='minutes')}; add the UTC offset for the second"
    )


def check_derived_start(start_wall_ns: int, path: Path, absolute: bool) -> None:
    """Refuse a start taken from the file: its own clock (``absolute``), or its modification
    time."""
    reason = implausible_start(start_wall_ns)
    if reason is None:
        return
    if absolute:
        raise ImportFileError(
            f"{path}: the file's first time, {reason}",
            "check the clock of the device that wrote it",
        )
    raise ImportFileError(
        f"{path}: the start its modification time gives, {reason}",
        "give the real start with --start",
    )


def file_time_ns(path: Path) -> int:
    """The modification time of ``path``, Unix ns: when the file's recording ended, by which a
    file without a clock of its own is dated.

    Raises
    ------
    ImportFileError
        ``path`` is a pipe (``-``, ``/dev/stdin``, ``<(cmd)``): its time is when the data went
        through it, now, which would date any session of the past today (a pipe has no file
        time to give).
    """
    if is_stream(path):
        raise ImportFileError(
            f"{path}: {pipe_words(path)}, with no file time to date the session by",
            "give the start with --start (e.g. --start 2026-03-01T07:30)",
        )
    return path.stat().st_mtime_ns
