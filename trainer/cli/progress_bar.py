"""Progress bars on standard error: a folder of recordings, and one long step on its own.

One look for both: ``report DIR`` counts the recordings done (and keeps its bar, the record of
a batch), a long single step (hours of a recording analysed, an overnight RR file) shows the
percent done and goes when it is done. A single step shows it only when it is long and
standard error is a terminal: a short session never flashes a bar, and a pipe or a log never
gets one (:func:`long_work_bar`).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from time import monotonic

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeRemainingColumn,
)

from analysis.progress import ProgressCallback

LONG_RECORDING_S = 20 * 60.0
"""A recording this long or longer (s) shows a bar while it is analysed: 2 h of a 130 Hz ECG
with RR took 12.6 s to report on 2 cores, so 20 min take about 2 s, where a bar starts to help."""
LONG_RR_BEATS = 10_000
"""An RR series of this many beats or more (about 2.5 h) shows a bar in ``hrv``: 72,000 beats
took 7 s, nearly all of it the coherence windows."""
LONG_IMPORT_BYTES = 4 * 1024 * 1024
"""A file to import of this many bytes or more (uncompressed) shows a bar: a phone logger's
130 Hz ECG with RR is 24 MB in 2 h, so this is about 20 min of it, 1.5 s of reading."""


def _bar(console: Console, *, counted: bool, transient: bool) -> Progress:
    """The one look of a bar: what is done, the bar, how far (``counted``: items done of all,
    else the percent), and the time left.

    A transient bar leaves standard output alone: Rich would otherwise send what the command
    prints there while the bar runs to the bar's stream, standard error."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn() if counted else TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
        redirect_stdout=not transient,
    )


def batch_progress(console: Console) -> Progress:
    """The bar of a folder of recordings: recordings done of all, time left; kept when done."""
    return _bar(console, counted=True, transient=False)


LOG_EVERY_S = 30.0
"""Off a terminal, a batch's progress line comes at most this often (s) ..."""
LOG_EVERY_FRACTION = 0.1
"""... and only once this much more of the batch is done since the last one (or the start)."""


class BatchLog:
    """Progress lines of a folder of recordings, for a log (standard error no terminal).

    The bar redraws itself on a terminal; in a log (a cron job, a cluster's output file) it
    drew nothing until the end, and 1,100 recordings ran 9 min without a line (found in
    review). So a line such as ``analysed 120 of 1100 recordings (3 skipped), 4 min so far,
    about 30 min left`` is written when both :data:`LOG_EVERY_S` have passed since the last
    line (or the start) and :data:`LOG_EVERY_FRACTION` more of the recordings are done: the
    rarer of the two, so that a log gets at most one line every 30 s and at most about ten in
    all, and a batch done within 30 s gets none (its closing line says it all). The last
    recording gets none either, for the same reason.

    Parameters
    ----------
    total : int
        Recordings in the batch.
    write : callable
        Writes one line (no newline at its end).
    clock : callable, optional
        Seconds from any fixed origin, read at the start and at each recording done
        (default: this module's ``monotonic``, :func:`time.monotonic`, looked up when the log
        is made, so that a test can stand in a clock of its own).
    """

    def __init__(
        self,
        total: int,
        write: Callable[[str], None],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self.skipped = 0
        self._write = write
        self._clock: Callable[[], float] = monotonic if clock is None else clock
        self._start = self._clock()
        self._last_s = self._start
        self._last_done = 0

    def advance(self, skipped: bool) -> None:
        """Count one recording done (``skipped``: it could not be analysed), and write a line
        when one is due."""
        self.done += 1
        self.skipped += int(skipped)
        now = self._clock()
        if self.done >= self.total:
            return
        if now - self._last_s < LOG_EVERY_S:
            return
        if self.done - self._last_done < LOG_EVERY_FRACTION * self.total:
            return
        self._last_s = now
        self._last_done = self.done
        elapsed = now - self._start
        # Time left as the rate so far gives it, as the bar's own estimate does.
        left = elapsed * (self.total - self.done) / self.done
        self._write(
            f"analysed {self.done} of {self.total} recordings ({self.skipped} skipped), "
            f"{duration_words(elapsed)} so far, about {duration_words(left)} left"
        )


def duration_words(seconds: float) -> str:
    """A duration for a log line: ``45 s``, ``4 min``, ``2 h 05 min`` (whole units, rounded
    down: a rough figure, not a measurement)."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (a closed or replaced stream is not).

    Asked of the stream itself rather than of Rich, which takes ``FORCE_COLOR`` (set by many
    CI systems) as a terminal and would draw the bar into a log.
    """
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # closed
        return False


@contextlib.contextmanager
def long_work_bar(description: str, long: bool) -> Iterator[ProgressCallback | None]:
    """A transient bar on standard error for one long step, or None when none is shown.

    Parameters
    ----------
    description : str
        What is being done, before the bar (``"analysing big.bwr"``).
    long : bool
        Whether the work is long, decided by its data's length (:data:`LONG_RECORDING_S`,
        :data:`LONG_RR_BEATS`, :data:`LONG_IMPORT_BYTES`).

    Yields
    ------
    callable or None
        The ``progress`` callback to give the step (:mod:`analysis.progress`), or None: the
        work is short, or standard error is no terminal. The bar is erased when the block
        ends, however it ends; lines written to standard error meanwhile go above it, and
        standard output is never touched.
    """
    if not (long and stderr_is_terminal()):
        yield None
        return
    console = Console(file=sys.stderr, force_terminal=True)
    if console.is_dumb_terminal:  # TERM=dumb: no cursor movement to redraw a bar with
        yield None
        return
    bar = _bar(console, counted=False, transient=True)
    # Not markup: a file named "[red]a.bwr" would lose its "[red]".
    task = bar.add_task(escape(description), total=1.0)
    with bar:
        yield lambda fraction: bar.update(task, completed=fraction)


def recording_is_long(path: Path) -> bool:
    """Whether analysing the recording at ``path`` is long work (:data:`LONG_RECORDING_S`)."""
    from trainer.storage.recording import recorded_span_s

    span = recorded_span_s(path)
    return span is not None and span >= LONG_RECORDING_S


def import_is_long(path: Path) -> bool:
    """Whether importing ``path`` is long work (:data:`LONG_IMPORT_BYTES` uncompressed; a
    ``.gz`` file's size as its gzip trailer gives it, modulo 4 GiB, RFC 1952)."""
    try:
        size = path.stat().st_size
        if path.suffix.lower() == ".gz" and size >= 4:
            with path.open("rb") as raw:
                raw.seek(-4, io.SEEK_END)
                size = int.from_bytes(raw.read(4), "little")
    except OSError:
        return False
    return size >= LONG_IMPORT_BYTES
