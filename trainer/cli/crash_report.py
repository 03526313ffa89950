"""What a person sees when a command meets a bug: one paragraph, and the details in a file.

Expected failures (a bad file, a sensor out of range, a wrong option) have their own one-line
errors with advice (:class:`trainer.errors.UserError`,
:class:`devices.errors.BreathwiseDeviceError`).
Anything else that escapes a command is a bug in Breathwise. A Python traceback tells the
person nothing they can act on, and once scrolled away it is lost to whoever could fix it. So
the traceback, with the command line and the versions that matter, is written to a report
file, and the person is told in plain words what happened and what to send. A live session
that meets a processing bug stops on its own terms first, its recording closed
(:attr:`trainer.session.live_replay.LiveSession.processing_failed`); this is the net for every
other command (``replay``, ``report``, ``import``...).

``BREATHWISE_TRACEBACK=1`` prints the traceback on stderr as well, for a developer.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from trainer import SOFTWARE
from trainer.storage import paths

EXIT_SOFTWARE = 70
"""Exit status for a bug: ``EX_SOFTWARE`` of BSD's sysexits.h ("internal software error")."""

TRACEBACK_VARIABLE = "BREATHWISE_TRACEBACK"
"""Set to 1 to have the traceback printed on stderr too."""

REPORTS_FOLDER = "crash-reports"
"""Subfolder of the data folder that keeps the reports (they are few and small)."""


def _versions() -> list[str]:
    """The versions a bug may depend on, one ``name version`` per line."""
    from importlib import metadata

    lines = [SOFTWARE, f"python {platform.python_version()} ({sys.platform})"]
    for name in ("numpy", "scipy", "bleak", "matplotlib", "typer"):
        try:
            lines.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{name} (not installed)")
    return lines


def report_text(exc: BaseException, args: Sequence[str]) -> str:
    """The report's text: the command line, the versions, and the traceback.

    Parameters
    ----------
    exc : BaseException
        The exception that escaped the command.
    args : sequence of str
        The command's arguments (without the program name).

    Returns
    -------
    str
        Plain text, ending in a newline.
    """
    from shlex import join

    header = [
        f"command: breathwise {join(args)}".rstrip(),
        f"time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        *_versions(),
        "",
    ]
    trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return "\n".join(header) + "\n" + "".join(trace)


def _write_report(text: str) -> Path | None:
    """Write ``text`` to a new file in the data folder (else the temporary folder).

    Returns the path, or None when neither can be written: the message then says so, and the
    traceback goes to stderr instead, so that it is not lost.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (paths.data_dir() / REPORTS_FOLDER, Path(tempfile.gettempdir())):
        name = ""
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # The command line can name a person's files: readable by the owner only.
            fd, name = tempfile.mkstemp(
                prefix=f"breathwise-crash-{stamp}-", suffix=".txt", dir=folder
            )
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError:
            if name:
                # A full disk: the file was made, its text not written. An empty report left
                # for each failure, in the folder support is pointed to.
                with contextlib.suppress(OSError):
                    os.unlink(name)
            continue
        return Path(name)
    return None


def report_bug(exc: BaseException, args: Sequence[str]) -> int:
    """Tell the person a command met a bug, keep the details, and give the exit status.

    Parameters
    ----------
    exc : BaseException
        The exception that escaped the command (not an expected failure).
    args : sequence of str
        The command's arguments (without the program name).

    Returns
    -------
    int
        :data:`EXIT_SOFTWARE`.
    """
    text = report_text(exc, args)
    path = _write_report(text)
    what = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(what) > 200:
        what = what[:197] + "..."
    print(f"breathwise: internal error: {what}", file=sys.stderr)
    if path is not None:
        where = f"the details are in {path}: please report it with that file"
    else:
        where = "the details follow: please report it with them"
    print(
        f"This is a bug in Breathwise, not a fault of your data or sensor; {where} "
        "(and the recording or file the command read, if you can share it).",
        file=sys.stderr,
    )
    if path is None or os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0"):
        print(text, end="", file=sys.stderr)
    return EXIT_SOFTWARE
