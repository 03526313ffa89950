"""Progress bars on standard error: a folder of recordings, and one long step on its own.

One look for both: ``report DIR`` counts the recordings done (and keeps its bar, the record of
a batch), a long single step (hours of a recording analysed, an overnight RR file) shows the
percent done and goes when it is done. A single step shows it only when it is long and
standard error is a terminal: a short session never flashes a bar, and a pipe or a log never
gets one (:func:`long_work_bar`).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from time import monotonic
from typing import BinaryIO

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
LONG_WAVEFORM_SAMPLES = 120_000
"""A waveform of this many samples (rows) or more shows a bar in ``breaths``: 20 min of a
100 Hz belt. Reading and analysing take 5-12 µs a sample on 2 busy cores (4 h of a 100 Hz belt
9.5 s, of which 40 % reading; 4 h of a 200 Hz accelerometer 14 s), so this is about 1 s."""
_HEAD_BYTES = 64 * 1024
"""Bytes of a waveform read to measure its lines' length (:func:`waveform_is_long`)."""


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
        :data:`LONG_RR_BEATS`, :data:`LONG_IMPORT_BYTES`, :data:`LONG_WAVEFORM_SAMPLES`).

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


def _content_size(raw: BinaryIO, gzipped: bool) -> int:
    """The bytes of the open file ``raw`` uncompressed: its size, or a gzip file's as its
    trailer gives it, modulo 4 GiB (RFC 1952, ISIZE). Raises OSError."""
    size = raw.seek(0, io.SEEK_END)
    if gzipped and size >= 4:
        raw.seek(-4, io.SEEK_END)
        size = int.from_bytes(raw.read(4), "little")
    return size


def import_is_long(path: Path) -> bool:
    """Whether importing ``path`` is long work (:data:`LONG_IMPORT_BYTES` uncompressed; a
    ``.gz`` file's size as its gzip trailer gives it, modulo 4 GiB, RFC 1952)."""
    if not path.is_file():
        return False  # a pipe's size is not known before it is read: no bar
    try:
        with path.open("rb") as raw:
            size = _content_size(raw, path.suffix.lower() == ".gz")
    except OSError:
        return False
    return size >= LONG_IMPORT_BYTES


def waveform_is_long(path: Path) -> bool:
    """Whether ``breaths`` on the waveform at ``path`` is long work
    (:data:`LONG_WAVEFORM_SAMPLES`), decided before the file is read, since reading is 40 %
    of the work on a belt.

    The rows are estimated as the (uncompressed) size over the mean length of the whole lines
    of its first :data:`_HEAD_BYTES`: a CSV's rows are of nearly one length, and a header or a
    comment on top makes the estimate a few lines short at most. A gzip file is known by its
    magic bytes, as the reader knows it (:func:`trainer.storage.text_files.read_text`). An
    unreadable file is not long: its error is the reader's to say.
    """
    from trainer.storage.text_files import GZIP_MAGIC, open_input

    try:
        # A pipe is read here, once, and the reader is given the same bytes (open_input).
        with open_input(path) as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            if gzipped:
                with gzip.GzipFile(fileobj=raw) as unpacked:
                    head = unpacked.read(_HEAD_BYTES)
            else:
                head = raw.read(_HEAD_BYTES)
            size = _content_size(raw, gzipped)
    except (OSError, EOFError, zlib.error):
        return False
    lines = head.count(b"\n")
    if len(head) < _HEAD_BYTES or lines == 0:
        return lines >= LONG_WAVEFORM_SAMPLES  # all of it read, or one endless line
    # Bytes per line over the whole lines only: the head ends inside a line.
    return size * lines / (head.rindex(b"\n") + 1) >= LONG_WAVEFORM_SAMPLES
