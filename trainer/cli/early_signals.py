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

Once a command is done (``live``: once its session is kept and summarised),
:func:`exit_with_on_signals` does the like until the process ends: a signal then ends it at
once with the command's status.

This module imports nothing heavy, so it can be imported before the rest.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

_previous: dict[int, Any] = {}
"""The handlers replaced by :func:`exit_on_signals`, by signal number, until :func:`release`."""

_command_line = False
"""Whether this process is the command line, which ends with its command
(:func:`exit_on_signals`)."""

_exit_ignores = False
"""Whether the signals are to be ignored once the interpreter exits (:func:`exit_with_on_signals`
registered it)."""


def handled_signals() -> list[signal.Signals]:
    """The signals a command ends on: SIGINT, SIGTERM, and SIGHUP where the system has it, each
    unless it was ignored when the command started. Under ``nohup`` a command must run on
    when the terminal closes, and a shell starts a script's background job with SIGINT
    ignored, so that the Ctrl+C meant for the foreground does not stop it (without this, a
    background ``report DIR`` stopped). Every handler of this module, a live session's
    (installed once :func:`release` gave back those from before) and ``report DIR``'s hold
    take these."""
    wanted = []
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            wanted.append(sig)
    return wanted


def _exit_now(signum: int, frame: FrameType | None) -> None:
    # os.write, not print: a signal can land inside a print to stderr (a reentrant call).
    with contextlib.suppress(OSError):  # a hang-up: the terminal is gone
        os.write(2, b"breathwise: interrupted\n")
    os._exit(128 + signum)


def exit_on_signals(*, command_line: bool = False) -> None:
    """Until :func:`release`, end the process at once, status 128 + N, on SIGINT, SIGTERM
    or SIGHUP (signal N). Call from the main thread, before the heavy imports.

    ``command_line`` says that the process ends with the command (the console script), so
    that :func:`exit_with_on_signals` leaves its handlers in place until then; not said by a
    test calling this in its own process, which goes on after it.
    """
    global _command_line
    _command_line = _command_line or command_line
    for sig in handled_signals():
        _previous[int(sig)] = signal.signal(sig, _exit_now)


def release() -> None:
    """Give back the handlers :func:`exit_on_signals` replaced (Python's KeyboardInterrupt on
    SIGINT); a handler set since by someone else is left alone. Safe to call at any time,
    from the main thread, any number of times."""
    for signum, previous in _previous.items():
        if signal.getsignal(signum) is _exit_now:
            signal.signal(signum, previous)
    _previous.clear()


class Interrupted(BaseException):
    """Ctrl+C, SIGTERM or SIGHUP during a command, raised where Python was, as Python raises
    KeyboardInterrupt: what the command writes unwinds (its temporary files removed), and
    :func:`trainer.cli.app.run` says so and returns 128 + the signal's number.

    Not a KeyboardInterrupt: typer (>= 0.29) turns that into a silent status 130 before the
    command line sees it, so every command but ``live`` ended with nothing said; and given
    back the default action, SIGTERM (a supervisor, ``timeout``) or SIGHUP (the terminal
    closed) killed an ``export`` where it stood, its temporary files left in the output
    folder, status -15 or -1 to its parent. A ``BaseException``, so that no
    ``except Exception`` takes it for a failure to note and go on from.

    Attributes
    ----------
    signum : int
        The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


INTERRUPTIONS = (KeyboardInterrupt, Interrupted)
"""What a command stopped part-way sees: :class:`Interrupted` on the command line, Python's
KeyboardInterrupt where no handler of ours is installed (a test calling the CLI in-process)."""


_unwinding_pid = 0
"""The process :func:`unwind_on_signals` was called in: a forked worker (``report DIR``'s
process pool) inherits the handler, and leaves the stopping to it (:func:`_in_a_worker`)."""


_worker_of = 0
"""In a worker process of the command (``report DIR``'s process pool): the command's process
id (:func:`as_a_worker`)."""


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _unwinding_pid:
        _in_a_worker(signum, _unwinding_pid)
        return
    raise Interrupted(signum)


def _worker_signal(signum: int, frame: FrameType | None) -> None:
    _in_a_worker(signum, _worker_of)


def as_a_worker(command_pid: int) -> None:
    """Give a worker process of the command (``report DIR``'s process pool; its initializer)
    the worker's handling of SIGINT, SIGTERM and SIGHUP (:func:`_in_a_worker`); ``command_pid``
    is the command's process id. One ignored (``nohup``) stays ignored.

    Not left to what the fork copies: a worker forked while the batch held the signals (it
    forks at its first recording) kept the batch's handler, which only notes a signal, so that
    once the command was killed (``kill -9``, the out-of-memory killer) its workers ignored
    SIGTERM, SIGINT and SIGHUP for ever; a worker started afresh (the spawn
    and forkserver start methods) would have Python's own handlers.
    """
    global _worker_of
    _worker_of = command_pid
    for sig in handled_signals():
        signal.signal(sig, _worker_signal)


def _in_a_worker(signum: int, command_pid: int) -> None:
    """A signal in a worker process of the command (``report DIR``'s process pool), whose
    process id is ``command_pid``.

    Raised there, it came out as a traceback when the worker waited for work; killed the
    default way, the worker left the report it was writing as a temporary file (found in
    review). A Ctrl+C or a ``timeout`` reaches the whole process group, so the command itself
    has it too and stops the pool: work not begun is cancelled, and a report under way is
    finished whole. So the worker ignores it while the command lives, and ends the default
    way once the command is gone (nothing else would stop it then).
    """
    if os.getppid() == command_pid:
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def unwind_on_signals() -> None:
    """:func:`release`, and on the command line SIGINT, SIGTERM and SIGHUP then raise
    :class:`Interrupted`, for the commands that do not handle them themselves.

    Not in a process that goes on after the command (a test calling
    :func:`trainer.cli.app.run`): its handlers are left as :func:`release` leaves them.
    """
    global _unwinding_pid
    release()
    if not _command_line:
        return
    _unwinding_pid = os.getpid()
    for sig in handled_signals():
        signal.signal(sig, _raise_interrupted)


def exit_with_on_signals(status: int) -> Callable[[], None]:
    """From now until the process ends, a SIGINT, SIGTERM or SIGHUP does not change how it
    ends: it exits at once with ``status``, and once the interpreter tears its modules down
    the signal is ignored. For a command that is done and has said all it had to (its output
    is flushed here): ``live`` once its session is kept and summarised, the command line once
    the command has returned.

    A signal then went the default way: the second of a quick ^C^C, or of a supervisor's
    repeated SIGTERM, after a session had been kept and summarised, killed the process with
    the signal (status -2 or -15 to its parent) instead of the documented 130 or 143.
    Ignored, not a handler, for the teardown itself: the interpreter puts back the
    default action of every signal it handles before it unloads its modules, which takes tens
    of milliseconds with numpy and scipy loaded. Nothing is lost by not unwinding: there is
    nothing left to do but exit.

    Returns
    -------
    callable
        Puts back the handlers found, for a caller that goes on after the command (a test
        calling :func:`trainer.cli.app.run`); on the command line (:func:`exit_on_signals`
        with ``command_line``) it does nothing, so that no signal finds the default action
        between the command's end and the process's.
    """
    global _exit_ignores
    for stream in (sys.stdout, sys.stderr):
        # A stream that is gone (a closed pipe) has nothing more to lose.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()

    def _exit_with(signum: int, frame: FrameType | None) -> None:
        os._exit(status)

    found = {int(sig): signal.signal(sig, _exit_with) for sig in handled_signals()}
    if not _command_line:

        def put_back() -> None:
            for signum, handler in found.items():
                if signal.getsignal(signum) is _exit_with and handler is not None:
                    signal.signal(signum, handler)

        return put_back
    if not _exit_ignores:
        # Registered after the command's own, so run first of the exit functions: until then
        # a thread that does not end cannot keep the process from ending on a signal.
        atexit.register(_ignore_signals)
        _exit_ignores = True
    return lambda: None


def _ignore_signals() -> None:
    """Ignore SIGINT, SIGTERM and SIGHUP: for the interpreter's teardown, at exit."""
    for sig in handled_signals():
        signal.signal(sig, signal.SIG_IGN)
