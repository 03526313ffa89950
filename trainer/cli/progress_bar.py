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
from collections.abc import Iterator
from pathlib import Path

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


def _content_size(path: Path, gzipped: bool) -> int:
    """The bytes of ``path`` uncompressed: its size, or a gzip file's as its trailer gives it,
    modulo 4 GiB (RFC 1952, ISIZE). Raises OSError."""
    size = path.stat().st_size
    if gzipped and size >= 4:
        with path.open("rb") as raw:
            raw.seek(-4, io.SEEK_END)
            size = int.from_bytes(raw.read(4), "little")
    return size


def import_is_long(path: Path) -> bool:
    """Whether importing ``path`` is long work (:data:`LONG_IMPORT_BYTES` uncompressed; a
    ``.gz`` file's size as its gzip trailer gives it, modulo 4 GiB, RFC 1952)."""
    try:
        size = _content_size(path, path.suffix.lower() == ".gz")
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
    from trainer.storage.text_files import GZIP_MAGIC

    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
        if gzipped:
            with gzip.open(path) as unpacked:
                head = unpacked.read(_HEAD_BYTES)
        else:
            with path.open("rb") as raw:
                head = raw.read(_HEAD_BYTES)
        size = _content_size(path, gzipped)
    except (OSError, EOFError, zlib.error):
        return False
    lines = head.count(b"\n")
    if len(head) < _HEAD_BYTES or lines == 0:
        return lines >= LONG_WAVEFORM_SAMPLES  # all of it read, or one endless line
    # Bytes per line over the whole lines only: the head ends inside a line.
    return size * lines / (head.rindex(b"\n") + 1) >= LONG_WAVEFORM_SAMPLES
