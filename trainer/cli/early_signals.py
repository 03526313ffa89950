"""Ctrl+C, SIGTERM or a hang-up before a command is ready for them: exit 128 + N at once.

The command line's imports (typer, numpy, scipy) take a second or more, and ``live`` sets up
for a while after them, before its session installs the handlers that end a session cleanly
(:func:`trainer.cli.session.live`). A signal in that window went the default way: SIGTERM and
SIGHUP killed the process (no message, not the documented status), and Ctrl+C raised
KeyboardInterrupt wherever Python happened to be. Inside a compiled module's import that is
not even a KeyboardInterrupt: numpy's C API turns it into ``ImportError: numpy._core.multiarray
failed to import`` (a traceback, exit 1), and raised inside code a C extension runs, CPython
marks it unhandled and kills the process with SIGINT after the message (exit -2 to a parent,
not 130).

So :func:`exit_on_signals` is called first thing (:mod:`trainer.__main__`), before any heavy
import: until :func:`release`, these signals print ``breathwise: interrupted`` and end the
process with ``os._exit(128 + N)``, the status ``live`` documents and a shell gives a process
killed by signal N. Nothing is lost by not unwinding: no command has written anything yet (an
open temporary file is unlinked already). Commands release the handlers as soon as their own
handling is in place, once the compiled libraries they would import later are imported
(``trainer.cli.app.PRELOADED_BY``: matplotlib for ``report``); ``live`` keeps them until its
session's signal handlers take over.
This module imports nothing heavy, so it can be imported before the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType
from typing import Any

_previous: dict[int, Any] = {}
"""The handlers replaced by :func:`exit_on_signals`, by signal number, until :func:`release`."""


def _signals() -> list[signal.Signals]:
    """SIGINT, SIGTERM, and SIGHUP where the system has it and it is not ignored (``nohup``:
    a command must run on when the terminal closes)."""
    wanted = [signal.SIGINT, signal.SIGTERM]
    sighup = getattr(signal, "SIGHUP", None)
    if sighup is not None and signal.getsignal(sighup) is not signal.SIG_IGN:
        wanted.append(sighup)
    return wanted


def _exit_now(signum: int, frame: FrameType | None) -> None:
    # os.write, not print: a signal can land inside a print to stderr (a reentrant call).
    with contextlib.suppress(OSError):  # a hang-up: the terminal is gone
        os.write(2, b"breathwise: interrupted\n")
    os._exit(128 + signum)


def exit_on_signals() -> None:
    """Until :func:`release`, end the process at once, status 128 + N, on SIGINT, SIGTERM
    or SIGHUP (signal N). Call from the main thread, before the heavy imports."""
    for sig in _signals():
        _previous[int(sig)] = signal.signal(sig, _exit_now)


def release() -> None:
    """Give back the handlers :func:`exit_on_signals` replaced (Python's KeyboardInterrupt on
    SIGINT); a handler set since by someone else is left alone. Safe to call at any time,
    from the main thread, any number of times."""
    for signum, previous in _previous.items():
        if signal.getsignal(signum) is _exit_now:
            signal.signal(signum, previous)
    _previous.clear()
