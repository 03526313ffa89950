"""The screen's keys where there is no screen: one key at a time from a terminal's standard input.

Where the live or replay screen cannot be drawn (``TERM=dumb`` as in Emacs' ``M-x shell``, a
terminal that is not UTF-8, standard output piped into ``tee``) the session prints lines
instead. The keys were the screen's alone: ``q`` then did nothing, what was typed was echoed
into the lines, and after the session the shell ran it as commands. Here the
terminal is put in cbreak mode without echo for the session (``tty.setcbreak``: each key is
read as it is pressed, Ctrl+C still sends SIGINT), and put back as it was on every way out:
the session's end, Ctrl+C or another signal ending it, an exception. Stopped with Ctrl+Z, the
session finds the terminal in the mode the shell put back; on ``fg`` (SIGCONT, in the
foreground) cbreak mode is set again, else the keys waited for Enter and were echoed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import IO, Any, TypeVar

Result = TypeVar("Result")


def keys_reach_us(stream: IO[Any] | None) -> bool:
    """Whether keys typed at ``stream`` can be read here one at a time: it is a terminal, this
    process is in its foreground (a background job that changed the terminal's mode would be
    stopped by SIGTTOU, and its keys are the shell's), and the system has termios (not
    Windows)."""
    if sys.platform == "win32" or stream is None:
        return False
    try:
        fd = stream.fileno()
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except (AttributeError, ValueError, OSError):
        # No file descriptor (a test's capture), or a terminal that is not this process's
        # controlling one (ENOTTY): its keys are not ours to take.
        return False


@contextlib.contextmanager
def reading_keys(
    stream: IO[Any] | None,
    actions: Mapping[str, Callable[[], None]],
    loop: asyncio.AbstractEventLoop,
) -> Iterator[bool]:
    """Call ``actions[key]`` for each key typed at ``stream`` while the block runs in ``loop``;
    yields whether keys are read (:func:`keys_reach_us`).

    The terminal's mode is restored when the block ends, however it ends. Keys are taken case
    blind (Caps Lock on is still ``q``); others are dropped, not echoed. End of input (Ctrl+D)
    or a read error (the terminal gone) stops the reading, and the session goes on.
    """
    if not keys_reach_us(stream):
        yield False
        return
    import termios
    import tty

    assert stream is not None  # (keys_reach_us)
    fd = stream.fileno()
    before = termios.tcgetattr(fd)

    def on_input() -> None:
        try:
            typed = os.read(fd, 64)
        except OSError:
            typed = b""
        if not typed:
            loop.remove_reader(fd)
            return
        for key in typed.decode("ascii", errors="ignore").lower():
            action = actions.get(key)
            if action is not None:
                action()

    def on_continue() -> None:
        # Continued in the background (bg), the keys are the shell's, and changing the mode
        # would stop this job again (SIGTTOU): only a job brought to the foreground takes them.
        if keys_reach_us(stream):
            with contextlib.suppress(OSError):
                tty.setcbreak(fd, termios.TCSANOW)

    tty.setcbreak(fd, termios.TCSANOW)
    try:
        loop.add_reader(fd, on_input)
        watching = _watch_signal(loop, signal.SIGCONT, on_continue)
        try:
            yield True
        finally:
            loop.remove_reader(fd)
            if watching:
                loop.remove_signal_handler(signal.SIGCONT)
    finally:
        # A job put in the background meanwhile (Ctrl+Z, bg) would be stopped by SIGTTOU for
        # changing the terminal's mode, after its session was kept; blocked, the mode is put
        # back all the same (POSIX: tcsetattr proceeds when SIGTTOU is blocked).
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
        try:
            # TCSAFLUSH: once what the session printed is out, dropping keys typed and not
            # yet read: they were meant for the session, not for the shell that reads next.
            with contextlib.suppress(OSError):  # the terminal is gone: nothing to put back
                termios.tcsetattr(fd, termios.TCSAFLUSH, before)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _watch_signal(
    loop: asyncio.AbstractEventLoop, signum: int, handler: Callable[[], None]
) -> bool:
    """Call ``handler`` in ``loop`` on signal ``signum``; whether that could be arranged (a
    loop outside the main thread cannot take signals: the keys then work until a Ctrl+Z)."""
    try:
        loop.add_signal_handler(signum, handler)
    except (RuntimeError, ValueError, NotImplementedError):
        return False
    return True


def with_keys(
    run: Callable[[], Awaitable[Result]],
    actions: Mapping[str, Callable[[], None]],
    stream: IO[Any] | None = None,
) -> Callable[[], Coroutine[Any, Any, Result]]:
    """``run`` with the keys of ``actions`` read from ``stream`` (standard input by default)
    while it runs (:func:`reading_keys`)."""

    async def keyed() -> Result:
        with reading_keys(
            sys.stdin if stream is None else stream, actions, asyncio.get_running_loop()
        ):
            return await run()

    return keyed
