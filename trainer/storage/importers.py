"""Import the files people already have into Breathwise recordings.

Two inputs, each turned into the very bytes a live session would have recorded, so replay,
reports, history and export work on them unchanged:

* **RR list** — one RR interval per line, read by the reader of ``hrv`` and ``breaths --rr``
  (:func:`read_rr_list`, :func:`trainer.storage.rr_file.read_rr_file`), in milliseconds (or
  seconds when their median is below 10, as some apps export: ``import`` then says so in a
  note, where ``hrv`` and ``breaths --rr`` need ``--unit s``; ``--unit`` names it,
  :func:`rr_list_in_seconds`). Blank lines before and after the intervals and ``#`` comments
  are skipped (an empty line between two intervals is a missing one, refused, as ``nan``,
  ``NA`` and a spreadsheet's ``#N/A``, which is no comment:
  :func:`~trainer.storage.text_files.is_comment`), a comma or semicolon ending every line (a
  spreadsheet's one-column CSV) is dropped, and a first line that is no number is taken as a
  column header (one naming a unit, ``rr_ms``, ``rr_s`` or ``IBI (s)``, gives the values
  theirs, as in ``hrv``), and so is pandas' ``0`` over intervals none of which is 0
  (:func:`~trainer.storage.rr_values.pandas_header`). A table with an RR column but no time
  column (``index,rr_ms``; pandas' ``,0``) is read the same way from that column
  (:func:`import_rr_table`). The reader is chosen by the file's first two lines that are not
  blank nor comments, read whole however long (:func:`_head`). Beat
  times are the running sum of the intervals, rounded to 1/1024 s
  (:func:`rr_raw_on_beat_clock`: every beat within 0.49 ms, every interval within 0.98 ms,
  said in a note, :func:`resolution_note`).
* **Polar-style CSV** — a table with a time column and any of RR, heart rate, ECG and
  accelerometer columns, comma, semicolon or tab separated: the layout of ECG loggers such as
  ``time_ns, ecg_mV, hr_bpm, rr_ms`` (one row per ECG sample, RR and HR on the rows where the
  strap notified) and of Polar Sensor Logger exports (``Phone timestamp; sensor timestamp [ns];
  RR-interval [ms]``, ``...; ecg [uV]``, ``...; X [mg]; Y [mg]; Z [mg]``). ECG and
  accelerometer columns must name their unit (``ecg_uV``, ``ecg_mV``, ``ecg_V``; ``x_mg``,
  ``acc_x_g``...): a bare ``ECG`` or ``acc_x`` is refused, as millivolts taken for microvolts
  would round to -1, 0 and 1. The RR column goes by the names ``hrv`` reads too
  (:data:`trainer.storage.rr_values.RR_COLUMNS`: ``rr_ms``, ``ibi``, ``nn``...; ``rr_s`` and the
  like in seconds). Samples keep the file's own times: no delay is added. The other rows' RR
  and HR cells are empty, ``NA`` (R's ``write.csv``), ``nan`` or ``#N/A``
  (:func:`~trainer.storage.text_files.is_missing`); a missing RR cell is a row without a beat
  in a table that has at least as many of them as intervals, or on a row holding a heart rate
  in a table of strap notifications (a notification in which no beat ended: its times do not
  step by the RR, :func:`~trainer.storage.text_files.timed_by_beats`), and a lost interval,
  refused as ``hrv`` refuses it, in a table of one row per beat
  (:func:`~trainer.storage.text_files.rows_without_beats`), a heart rate beside it or not.
  Every table, with a time column or without, skips ``#`` comment lines (above the header
  too) and a ``#`` note after a row's values, as a list does (:func:`_table_rows`).

``--unit`` is the unit of the RR values of a list and of a table's RR column alike, by the rule
every RR reader follows (:func:`trainer.storage.rr_values.column_unit`): given, it wins over the
unit a header's name states, with a note; without it, values that look like the other unit than
the name states are refused, offering ``--unit`` or renaming the column.

Encoding. RR intervals become Heart Rate Measurement (0x2A37) notifications
(:func:`devices.heart_rate.encode_heart_rate_measurement`, RR in 1/1024 s): for an RR list one
at the first beat, then one per second carrying the beats completed in that second, as a strap
sends them (:func:`rr_notifications`); for a CSV one per row group where the strap notified.
CSV beat times are the running sum of the RR (exact to 1/1024 s), not the rows' times: a phone
logger delays and batches rows by up to ~2 s. They take the latest offset that puts no beat
after the row that reported it, and re-anchor only where the rows move on by more than 1.5 s
beyond their RR, i.e. where beats were lost (:func:`strap_beat_times`); each notification is
sent at its last beat. Beats therefore sit on their rows' least delay, which includes the
strap's and phone's reporting delay (0.94 s after the ECG's R peaks on a real Polar H10 file).
When the file also has ECG (same session, same clock), every beat is moved back by the one delay
that puts the beats on the ECG's R peaks (:func:`align_beats_to_ecg`,
:mod:`analysis.ecg_align`): on that H10 file from a median 937 ms after their R peak to 6 ms
(90th percentile 11 ms, all 796 beats inside the ECG within 15 ms), the RR and so the HRV
unchanged. If the ECG cannot be trusted (no QRS in it, too few or too scattered matches, a
rhythm too regular to tell one beat from the next) the beats keep the least row delay. Either
way the header records what was done in ``source.details["beat_timing"]``
(:func:`beat_timing_details`), and ``import`` says it in one line. A file with ECG but no RR or
heart-rate column takes its beats from the ECG's R peaks (:func:`ecg_beat_notifications`,
scheduled as an RR list's), says so in a note and in ``source.details["beats_from"]``; with no
QRS in the ECG it has no beats, and the note :data:`ECG_WITHOUT_BEATS` says so. ECG or
accelerometer columns without a value (a logger's header for a sensor it did not record) make
no stream. ECG and accelerometer samples become Polar PMD data frames
(uncompressed ECG frame type 0: 3-byte signed µV; ACC frame type 1: int16 x, y, z in mG;
Polar Measurement Data Specification, as decoded by :mod:`devices.polar_pmd`), with the frame
timestamp of the last sample in the PMD epoch (2000-01-01).

A Breathwise CSV export's ``<stem>.beats.csv``, with its ``<stem>.session.csv`` beside it, is
no logger's table: its ``t_s`` are the session's own beat times, given back as they are
(:func:`import_export_beats`), so export, import and export again keep every beat within the
CSV's 1 µs (found in review: scheduled as a strap's, every beat came back 1.07 s early).

RR values, in a list or a CSV column alike (:func:`check_rr_values`): a few outside
:data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS` are artifacts, kept for the artifact
correction; a median outside it is a
wrong unit, refused. Naive local phone times that repeat an hour when the clocks go back are
read as the second hour from the row that goes back by about that hour (PEP 495 ``fold``;
:data:`CLOCK_CHANGE_S` within :data:`CLOCK_CHANGE_TOLERANCE_S`); any other step back is out of
order and refused.

Any malformed line raises :class:`ImportFileError` naming the file and the line, quoting at
most 40 characters of it (:func:`trainer.storage.text_files.short_quote`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from analysis.beats import MAX_DRIFT_S
from analysis.ecg_align import (
    MATCH_TOL_S,
    MAX_DELAY_S,
    MAX_MAD_S,
    MAX_RUNNER_UP_SHARE,
    MIN_MATCHED,
    MIN_MATCHED_SHARE,
    BeatDelay,
    detect_r_peaks,
    estimate_beat_delay,
)
from analysis.hrv_report import artifact_warning
from analysis.progress import REPORTS, ProgressCallback, ProgressSteps
from analysis.rr_artifacts import correct_rr
from devices.godirect_commands import FORCE_CHANNEL
from devices.heart_rate import (
    RR_UNITS_PER_S,
    decode_heart_rate_measurement,
    encode_heart_rate_measurement,
    rr_ms_to_raw,
)
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.polar_pmd import PMD_EPOCH_OFFSET_NS, MeasurementType, encode_frame
from devices.source import SENSORLESS_KIND, SIMULATED_KIND, SourceInfo
from trainer.errors import BadArgument, UserError
from trainer.session.sensor_label import source_mark
from trainer.storage.belt_import import belt_column, belt_packets, belt_units, to_belt_rate
from trainer.storage.decimal_comma import decimal_comma_hint, decimal_points
from trainer.storage.export import (
    BEATS_COLUMNS,
    EXPORT_FORMAT,
    EXPORT_FORMAT_VERSION,
    EXPORTED_SESSION,
    SESSION_CSV,
    STREAM_CSVS,
    WAVEFORM_CSVS,
)
from trainer.storage.history import implausible_start as history_start_problem
from trainer.storage.history import local_minute
from trainer.storage.paths import check_output_path
from trainer.storage.recording import (
    MAX_SESSION_NS,
    SUFFIX,
    Header,
    Item,
    PacerChange,
    looks_like_recording,
    write_recording,
)
from trainer.storage.rr_values import (
    MAX_RR_MS,
    MAX_RR_RAW,
    MIN_RR_MS,
    MS_PER_UNIT,
    PLAUSIBLE_RR_MS,
    RR_COLUMNS,
    SECONDS_BELOW,
    TOO_LONG_ADVICE,
    UNIT_WORDS,
    after_row_index,
    column_unit,
    implausible,
    pandas_names,
    plausible_rr,
    rr_column,
    rr_list_in_seconds,
    too_long,
    too_short,
)
from trainer.storage.text_files import (
    GZIP_MAGIC,
    MISSING_INTERVAL_ADVICE,
    decode_head,
    empty_words,
    excel_separator,
    input_name,
    is_comment,
    is_missing,
    is_stream,
    iter_lines,
    lost_intervals,
    missing_interval,
    open_input,
    pipe_words,
    read_text,
    rows_without_beats,
    short_quote,
    timed_by_beats,
    uncommented,
    without_comment,
)

FloatArray = npt.NDArray[np.float64]

KINDS = ("auto", "rr", "polar")
_MAX_BYTES = 2 * 1024**3
"""Largest file imported, bytes (a day of ECG at 130 Hz as text is about 0.5 GB)."""
START_MONO_NS = 1_000 * NS_PER_S
"""Monotonic origin of imported sessions (any value works: only differences matter)."""
RR_UNITS = ("ms", "s")
"""Units an RR list's ``--unit`` names."""
RESOLUTION_TOLERANCE_MS = 1e-6
"""Largest change of an interval, ms, that storing it in 1/1024 s may make unmentioned: a
float's rounding of a value that was a whole number of 1/1024 s (0.8203125 s)."""
MAX_RR_PER_NOTIFICATION = 9
"""RR values that fit one 20-byte notification after flags and a u8 heart rate (ATT MTU 23)."""
ECG_SAMPLES_PER_FRAME = 73
"""Samples per H10 ECG frame (229-byte frames)."""
ACC_SAMPLES_PER_FRAME = 36
MIN_SAMPLES = 2
"""Fewest ECG or accelerometer samples that make a stream: one has no sampling rate."""
MIN_WAVEFORM_HZ = 1.0
"""Lowest ECG or accelerometer rate a recording holds (the reader's floor), Hz: a column this
sparse (a few values scattered over the session) is no waveform."""


class ImportFileError(UserError):
    """A file that cannot be imported; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Imported:
    """A session rebuilt from an import file, ready for :func:`write_recording`."""

    header: Header
    items: list[Item]
    end_mono_ns: int
    end_wall_ns: int
    notes: tuple[str, ...] = ()
    """What :attr:`ImportResult.notes` will say."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A recording written by :func:`import_recording` and what to tell the person about it.

    Attributes
    ----------
    path : Path
        The recording written.
    warnings : tuple of str
        Problems with the data that do not stop the import (many corrected beats).
    notes : tuple of str
        What the import did that the person may want to know (beats moved onto the ECG's R
        peaks, or why not: :func:`beat_timing_note`; a sensor column too sparse to import).
    """

    path: Path
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ RR list
def rr_unit_hint(values: Sequence[float], seconds: bool) -> str:
    """Advice for RR values refused as implausible: the ``--unit`` their median points to.

    Parameters
    ----------
    values : sequence of float
        The intervals as the file writes them (no unit applied).
    seconds : bool
        Whether they were read as seconds.

    Returns
    -------
    str
        ``"; the values look like seconds: use --unit s"`` (or milliseconds, ``--unit ms``)
        when :func:`rr_list_in_seconds` says the other unit, else ``""``.
    """
    if not values or rr_list_in_seconds(values) == seconds:
        return ""
    return (
        "; the values look like milliseconds: use --unit ms"
        if seconds
        else "; the values look like seconds: use --unit s"
    )


def check_rr_unit(unit: str | None) -> None:
    """Refuse a ``--unit`` other than ``ms`` or ``s`` (None: not given), for every reader of
    RR files (``import``, ``hrv``, ``breaths --rr``).

    Raises
    ------
    BadArgument
        Any other value.
    """
    if unit is not None and unit not in RR_UNITS:
        raise BadArgument(f"--unit must be 'ms' or 's', not {unit!r}")


def read_rr_list(path: Path, unit: str | None = None) -> tuple[FloatArray, str]:
    """Read an RR list (see the module notes): its intervals in milliseconds, and the note on
    the unit they were read in.

    The file is read by the reader of ``hrv`` and ``breaths --rr``
    (:func:`trainer.storage.rr_file.read_rr_file`), so a list gives the same intervals and
    refusals in all three; the one rule ``import`` adds is its unit by the median. Before,
    a loop of its own here refused lists the others read (quoted values, ``"800"``; a header
    with a digit, ``RR1``) and ``hrv`` read ``800,5`` under Excel's ``sep=,`` as 800 (found in
    review).

    Parameters
    ----------
    path : Path
        The list.
    unit : {"ms", "s"}, optional
        The values' unit; by default the one a header states (``rr_ms``, ``rr_s``,
        ``IBI (s)``: :data:`~trainer.storage.rr_values.NAMED_UNITS`), else seconds when their
        median is below :data:`~trainer.storage.rr_values.SECONDS_BELOW`
        (:func:`~trainer.storage.rr_values.rr_list_in_seconds`), else milliseconds. Given, it
        wins over the header's, with a note (:func:`~trainer.storage.rr_values.column_unit`).

    Raises
    ------
    ImportFileError
        Whatever :func:`~trainer.storage.rr_file.read_rr_file` refuses, and a table of more
        than one column (``-k rr`` forced on it: a table is read by its header).
    BadArgument
        A ``unit`` other than ``ms`` or ``s``.
    """
    # The reader imports this module for its time columns and time parsing.
    from trainer.storage.rr_file import read_rr_file

    read = read_rr_file(path, unit, error=ImportFileError, seconds_by_median=True)
    if len(read.header) > 1:
        raise ImportFileError(
            f"{path}: a table ({', '.join(read.header)}), not a list of RR intervals",
            "import it without -k rr",
        )
    rr = np.asarray(read.values_ms, dtype=np.float64)
    header = read.header[0] if read.header else ""
    seconds = read.unit == "s"
    if read.notes:
        read_as = read.notes[0]
    elif seconds and unit is None and RR_COLUMNS.get(column_key(header)) == 1000.0:
        read_as = f"RR intervals read as seconds (the header says {header!r})"
    elif not seconds:
        read_as = "RR intervals read as milliseconds"
    elif unit is None:
        read_as = (
            f"RR intervals read as seconds (their median is below {SECONDS_BELOW:g}); "
            "'breathwise hrv' and 'breaths --rr' read this file with --unit s"
        )
    else:
        read_as = "RR intervals read as seconds (--unit s)"
    return rr, read_as


def check_table_rr(table: PolarTable, given: npt.NDArray[np.bool_], path: Path) -> None:
    """:func:`check_rr_values` of a table's RR column on the rows ``given`` hold a value, the
    values shown as the file writes them."""
    if table.rr_column is None:
        return
    _, factor = table.rr_column
    rr = table.columns["rr"][given]
    shown = (rr / factor).tolist()
    check_rr_values(rr, table.lines[given], path, shown=shown, seconds=factor != 1.0)


def check_rr_values(
    rr_ms: FloatArray,
    lines: npt.NDArray[np.int64],
    path: Path,
    *,
    shown: Sequence[float] | None = None,
    seconds: bool = False,
) -> None:
    """Refuse RR values no heart-rate packet can carry, or a file that is not RR in ms.

    One rule for RR lists and CSV columns alike: a few implausible intervals (beyond
    :data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS`) are artifacts (a strap that lost
    contact for some seconds, a spurious beat) that the pipeline corrects as it would live, so
    refusing the file would lose every good beat in it; a median beyond the range is a wrong
    unit or no RR column (found in review: one 6500 ms value refused a whole Polar CSV that the
    same values as an RR list imported).

    Parameters
    ----------
    rr_ms : ndarray of float
        The intervals, ms.
    lines : ndarray of int
        The file's line of each.
    path : Path
        The file, for the message.
    shown : sequence of float, optional
        The values as the file writes them (seconds, say), for the message; ``rr_ms`` if None.
    seconds : bool
        Whether ``shown`` are seconds, for the advice on a wrong unit (:func:`rr_unit_hint`)
        that every message ends with. A table's column whose name states the other unit than
        its values look like is refused before (:func:`~trainer.storage.rr_values.column_unit`),
        so the advice is ``--unit`` for a table too.

    Raises
    ------
    ImportFileError
        A value longer than a packet carries (:data:`~trainer.storage.rr_values.MAX_RR_MS`),
        one that rounds to 0 in 1/1024 s (the beat timeline takes no interval of 0), or a
        median outside :data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS`.
    """
    written = rr_ms.tolist() if shown is None else list(shown)
    unit = "s" if seconds else "ms"
    hint = rr_unit_hint(written, seconds)
    beyond = np.flatnonzero(rr_ms > MAX_RR_MS)
    if beyond.size:
        k = int(beyond[0])
        raise ImportFileError(
            f"{path}:{lines[k]}: {too_long(f'{written[k]:g} {unit}')}{hint}",
            "" if hint else TOO_LONG_ADVICE,
        )
    shortest = np.flatnonzero(rr_ms < MIN_RR_MS)
    if shortest.size:
        k = int(shortest[0])
        raise ImportFileError(f"{path}:{lines[k]}: {too_short(f'{written[k]:g}')}{hint}")
    bad = np.flatnonzero((rr_ms < PLAUSIBLE_RR_MS[0]) | (rr_ms > PLAUSIBLE_RR_MS[1]))
    if bad.size and not plausible_rr(float(np.median(rr_ms))):
        k = int(bad[0])
        raise ImportFileError(f"{path}:{lines[k]}: {implausible(f'{written[k]:g} {unit}')}{hint}")


def _hr_field(rr_ms: Sequence[float], fallback: int) -> int:
    return round(60_000.0 / float(np.mean(rr_ms))) if len(rr_ms) else fallback


def rr_notifications(
    beat_t_s: FloatArray, rr_raw: Sequence[int], *, period_s: float = 1.0
) -> list[tuple[float, bytes]]:
    """0x2A37 payloads a strap would send once per ``period_s`` for beats at ``beat_t_s``.

    Parameters
    ----------
    beat_t_s : ndarray of float
        Beat times, s, strictly increasing: the running sum of the intervals.
    rr_raw : sequence of int
        The interval ending each beat, 1/1024 s.
    period_s : float
        Time between notifications, s.

    Returns
    -------
    list of (float, bytes)
        Send time, s, and payload, in time order. The first notification is sent at the first
        beat and carries only its RR; notification ``k >= 1``, sent at ``t0 + k * period_s``
        (``t0 = beat_t_s[0]``), carries the RR of every beat in
        ``(t0 + (k - 1) * period_s, t0 + k * period_s]``; a period without a beat repeats the
        last heart rate without RR, as straps do.

    Notes
    -----
    :class:`analysis.beats.BeatTimeline` places the last beat of the first notification at its
    arrival, and every later beat at the previous one plus its RR unless that is after the
    notification's arrival. Sending the first notification at its beat, and each later one no
    earlier than its last beat, makes it place every beat at the running sum of the intervals:
    a schedule starting at 0 anchored the first reported beat up to a whole period late, and
    the clock took ~30 beats of clamping to come back.
    """
    out: list[tuple[float, bytes]] = []
    if beat_t_s.size == 0:
        return out
    t0 = float(beat_t_s[0])
    n_periods = math.ceil((float(beat_t_s[-1]) - t0) / period_s)
    sent_at = t0 + np.arange(n_periods + 1) * period_s
    # bins[0] is 1 (beats strictly increase): the first notification holds the first beat alone.
    bins = np.searchsorted(beat_t_s, sent_at, side="right")
    hr = 60
    for k in range(n_periods + 1):
        chunk = list(rr_raw[int(bins[k - 1]) if k else 0 : int(bins[k])])
        if chunk:
            hr = _hr_field([raw * 1000.0 / RR_UNITS_PER_S for raw in chunk], hr)
        for start in range(0, max(len(chunk), 1), MAX_RR_PER_NOTIFICATION):
            out.append(
                (
                    float(sent_at[k]),
                    encode_heart_rate_measurement(
                        min(hr, 255), chunk[start : start + MAX_RR_PER_NOTIFICATION]
                    ),
                )
            )
    return out


def rr_raw_on_beat_clock(rr_ms: FloatArray) -> list[int]:
    """RR intervals in the strap's 1/1024 s whose running sum stays on the file's beat times.

    Each interval is the step between its beat's and the previous beat's time, both rounded to
    1/1024 s: ``raw[i] = round(T[i]) - round(T[i-1])``, ``T`` the running sum of ``rr_ms`` in
    1/1024 s. So every beat is within half a unit (0.49 ms) of the running sum of the file's
    intervals, however many beats there are, and every interval within one unit (0.98 ms) of
    the file's. Rounding each interval on its own keeps the intervals within 0.49 ms but lets
    the errors add up along the beats: on R peaks of a 100 Hz ECG (NeuroKit2's
    ``bio_resting_8min_100hz``, 477 beats) the last beats were 4.4 ms off, and 26 ms after the
    4684 beats of pyhrv's long series (found in review).

    Parameters
    ----------
    rr_ms : ndarray of float
        The intervals, ms, each at least 1/1024 s and at most what a packet carries
        (:func:`check_rr_values`).

    Returns
    -------
    list of int
        The intervals, 1/1024 s, each in 1..65535 (a step that rounding would take to 0 or
        beyond the u16 field is clipped, and the next interval takes up the difference).
    """
    ticks = np.cumsum(np.asarray(rr_ms, dtype=np.float64)) * (RR_UNITS_PER_S / 1000.0)
    out: list[int] = []
    placed = 0
    for target in np.rint(ticks).astype(np.int64).tolist():
        step = min(max(target - placed, 1), MAX_RR_RAW)
        out.append(step)
        placed += step
    return out


def import_rr_list(
    path: Path, *, start_wall_ns: int | None = None, unit: str | None = None
) -> Imported:
    """Build a session from an RR list.

    Parameters
    ----------
    path : Path
        The list.
    start_wall_ns : int, optional
        Wall-clock start (Unix ns); by default the file's modification time minus the
        session's length (the list was saved when the session ended).
    unit : {"ms", "s"}, optional
        The values' unit; by default from their median (:func:`read_rr_list`).
    """
    rr_ms, read_as = read_rr_list(path, unit)
    return _rr_recording(path, rr_ms, start_wall_ns, "rr-list", [read_as])


def untimed_rr_table(head: bytes) -> bool:
    """Whether a table's header (in ``head``, a file's first bytes, :func:`_head`) names an RR
    column but no time column, beside other columns: a table of intervals alone
    (``index,rr_ms``; Kubios' and NeuroKit2's; ``beat rr_ms`` with blanks between; one column
    beside an unnamed row index, pandas' ``,0`` or R's ``"","x"``,
    :func:`~trainer.storage.rr_values.after_row_index`), imported by
    the reader ``hrv`` uses (:func:`import_rr_table`), its header split as that reader splits
    it."""
    # The reader imports this module for its time columns and time parsing.
    from trainer.storage.rr_file import header_cells

    text = decode_head(head)
    # The last line of the head may be cut short: its cells are not judged.
    cut = text.rfind("\n")
    cells = header_cells(text[: cut + 1] if cut >= 0 else text)
    keys = [column_key(c) for c in cells]
    # One column beside an unnamed row index (pandas' ",0", R's write.csv), and pandas'
    # numbers over unnamed columns (",0,1", "0,1", refused by the reader as hrv refuses them:
    # which column is the RR?) are sent to that reader too.
    rr = rr_column(keys) is not None or after_row_index(cells) or pandas_names(cells)
    return len(keys) > 1 and rr and not any(k in TIME_COLUMNS for k in keys)


UNITLESS_TIME = ("time", "t", "timestamp")
"""Time-column names that give no unit: an RR table's import does not read them, and
``breaths`` checks such a column both as seconds and as milliseconds."""


def table_delimiter(first_line: str) -> str:
    """A CSV table's separator: whichever of ``;``, a tab and ``,`` its header line holds most
    (``;`` on a tie, as a decimal-comma table writes ``;`` between cells)."""
    return max((";", "\t", ","), key=first_line.count)


def import_rr_table(
    path: Path, *, start_wall_ns: int | None = None, unit: str | None = None
) -> Imported:
    """Build a session from a table's RR column when it has no time column
    (:func:`untimed_rr_table`), read by the reader of ``hrv`` and ``breaths --rr``
    (:func:`trainer.storage.rr_file.read_rr_file`), so the same file gives the same intervals
    and refusals in all three: the intervals in file order, missing cells skipped as rows of
    the other columns in a table that has as many of them as intervals and refused as lost
    intervals otherwise, read in ``unit`` ({"ms", "s"}) if given, else in the unit the column's
    name states, else milliseconds (:func:`~trainer.storage.rr_values.column_unit`); beats at
    their running sum as for an RR list (:func:`import_rr_list`).

    Raises
    ------
    ImportFileError
        Whatever :func:`~trainer.storage.rr_file.read_rr_file` refuses.
    """
    # The reader imports this module for its time columns and time parsing.
    from trainer.storage.rr_file import read_rr_file

    read = read_rr_file(path, unit, error=ImportFileError)
    name = read.column or (read.header[0] if read.header else "")
    rr_ms = np.asarray(read.values_ms, dtype=np.float64)
    # A column named only "time" gives no unit to read it in: said, not silently left out
    # (found in review), as `breaths` says of a waveform's.
    unitless = [cell for cell in read.header if column_key(cell) in UNITLESS_TIME]
    which = (
        f"no time column in a unit ({short_quote(unitless[0])} names none: time_s or time_ms "
        "would be read)"
        if unitless
        else "no time column"
    )
    read_as = (
        f"RR intervals read from the {name!r} column as {UNIT_WORDS[read.unit]}; the table has "
        f"{which}, so the beats are the running sum of the intervals"
    )
    return _rr_recording(path, rr_ms, start_wall_ns, "rr-table", [*read.notes, read_as])


def _rr_recording(
    path: Path, rr_ms: FloatArray, start_wall_ns: int | None, fmt: str, read_as: Sequence[str]
) -> Imported:
    """A session of the beats at the running sum of ``rr_ms`` (checked intervals, ms), as a
    strap would send them, with the notes ``read_as`` and the storage's resolution."""
    rr_raw = rr_raw_on_beat_clock(rr_ms)
    # Beat times from the values as encoded, so the recording agrees with itself exactly.
    beat_t = np.cumsum(np.asarray(rr_raw, dtype=np.float64) / RR_UNITS_PER_S)
    duration_s = float(beat_t[-1]) + 1.0
    if start_wall_ns is None:
        start_wall_ns = int(_file_time_ns(path) - duration_s * NS_PER_S)
        _check_derived_start(start_wall_ns, path, absolute=False)
    info = SourceInfo(
        kind="import",
        name=f"RR list {input_name(path)}",
        streams={Stream.HEART_RATE.value: {}},
        details={"imported_from": input_name(path), "format": fmt, "beats": len(rr_raw)},
    )
    items: list[Item] = [_own_rhythm(start_wall_ns)]
    for t, payload in rr_notifications(beat_t, rr_raw):
        items.append(_packet(t, start_wall_ns, Stream.HEART_RATE, payload))
    notes = list(read_as)
    resolution = resolution_note(rr_ms, rr_raw)
    if resolution is not None:
        notes.append(resolution)
    return replace(_finish(info, items, start_wall_ns, duration_s, path), notes=tuple(notes))


def resolution_note(rr_ms: FloatArray, rr_raw: Sequence[int]) -> str | None:
    """What storing RR intervals in the strap's 1/1024 s did to them, in one line, or None
    when every one was already a whole number of 1/1024 s (a strap's own values).

    Parameters
    ----------
    rr_ms : ndarray of float
        The file's intervals, ms.
    rr_raw : sequence of int
        The intervals as stored (:func:`rr_raw_on_beat_clock`), 1/1024 s.
    """
    stored_ms = np.asarray(rr_raw, dtype=np.float64) * (1000.0 / RR_UNITS_PER_S)
    rr_error_ms = float(np.max(np.abs(stored_ms - rr_ms)))
    if rr_error_ms < RESOLUTION_TOLERANCE_MS:
        return None
    beat_error_ms = float(np.max(np.abs(np.cumsum(stored_ms) - np.cumsum(rr_ms))))
    return (
        f"RR stored at the strap's resolution of 1/1024 s: intervals within "
        f"{rr_error_ms:.2f} ms of the file's, beats within {beat_error_ms:.2f} ms, so "
        "pNN50 in its report can differ from 'hrv' on this file"
    )


# ------------------------------------------------------------------------------ Polar CSV
TIME_COLUMNS = {
    "time_ns": ("unix_ns", 1.0),
    "timestamp_ns": ("unix_ns", 1.0),
    "phone_timestamp": ("iso", 1.0),
    "sensor_timestamp_ns": ("pmd_ns", 1.0),
    "timestamp_ms": ("relative_s", 1e-3),
    "time_ms": ("relative_s", 1e-3),
    "time_s": ("relative_s", 1.0),
    "t_s": ("relative_s", 1.0),
}
"""Normalised time-column names (:func:`column_key`), in order of preference, with their clock
and scale to s/ns (:func:`parse_time`); ``hrv`` and ``breaths`` read the same ones."""
HR_COLUMNS = ("hr_bpm", "hr", "heart_rate_bpm")
"""Normalised heart-rate column names (:func:`column_key`), in order of preference, in beats/min.
In a table of strap notifications (0x2A37), whose times do not step by the RR
(:func:`~trainer.storage.text_files.timed_by_beats`), a row holding a heart rate may carry no RR
interval: :func:`trainer.storage.rr_file.read_rr_file` and :func:`parse_polar_csv` read an empty
RR cell there as no beat completed; in a table of beats it is a lost interval."""
_VALUE_COLUMNS: dict[str, dict[str, float | None]] = {
    "rr": dict[str, float | None](RR_COLUMNS),
    "hr": dict.fromkeys(HR_COLUMNS, 1.0),
    "ecg": {"ecg_uv": 1.0, "ecg_mv": 1e3, "ecg_v": 1e6, "ecg": None},
    **{
        f"acc_{axis}": {
            f"{axis}_mg": 1.0,
            f"acc_{axis}_mg": 1.0,
            f"{axis}_g": 1e3,
            f"acc_{axis}_g": 1e3,
            f"acc_{axis}": None,
        }
        for axis in "xyz"
    },
}
"""Normalised column names per quantity, in order of preference, with the factor to the recorded
unit (µV, mG, ms; RR's are every RR reader's, :data:`trainer.storage.rr_values.RR_COLUMNS`);
None for a name without a unit, which is refused: ECG is written in µV, mV or V and
acceleration in mG or g, and a wrong guess scales the signal by 1000 (millivolts read as
microvolts round to -1, 0 and 1)."""
_UNIT_ADVICE = {
    "ecg": "name its unit in the header: ecg_uV, ecg_mV or ecg_V",
    "acc": "name their unit in the header: acc_x_mG, acc_y_mG, acc_z_mG (or _g for g)",
}
"""What to rename a column to when its name gives no unit, per quantity."""


def column_key(name: str) -> str:
    """A header cell as a lookup key: lower case, every run of other characters one ``_``
    (``sensor timestamp [ns]`` -> ``sensor_timestamp_ns``, ``Time (s)`` -> ``time_s``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower().replace("µ", "u")).strip("_")


@dataclass(frozen=True, slots=True)
class PolarTable:
    """A Polar-style CSV read into arrays (times in Unix ns; NaN where a row has no value)."""

    time_ns: npt.NDArray[np.int64]
    columns: dict[str, FloatArray]
    lines: npt.NDArray[np.int64]
    rr_column: tuple[str, float] | None = None
    """The RR column's header name and its factor to ms (1000 for seconds), or None."""
    notes: tuple[str, ...] = ()
    """What the import says of the reading: ``--unit`` overriding the RR column's name."""
    fs_hz: float | None = None
    """``--fs``, Hz, for a table without a time column (its row ``k`` at ``k / fs_hz``);
    None for a table with one."""
    unnamed_ecg: str | None = None
    """The header's name of an ECG column that names no unit (``ECG``), in a table without a
    time column; its values are as written (:func:`ecg_unit_by_span` reads the unit)."""
    belt: tuple[str, str | None] | None = None
    """The respiration belt column's header name and the unit it names
    (:func:`trainer.storage.belt_import.belt_column`), its values in ``columns["belt"]``."""
    unused: tuple[str, ...] = ()
    """The header's columns the import holds no stream for (``PPG``, ``EDA``), as written:
    said in a note, not dropped silently (:func:`unused_columns_note`)."""


def parse_polar_csv(
    path: Path,
    unit: str | None = None,
    *,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> PolarTable:
    """Read a Polar-style CSV (see the module notes): :func:`parse_polar_text` of its text."""
    return parse_polar_text(_read_text(path), path, unit, fs_hz=fs_hz, progress=progress)


def parse_polar_text(
    text: str,
    path: Path,
    unit: str | None = None,
    *,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> PolarTable:
    """Read the text of a Polar-style CSV (see the module notes), already read from ``path``
    (standard input cannot be read twice).

    Parameters
    ----------
    text : str
        The file's text (:func:`~trainer.storage.text_files.read_text`).
    path : Path
        The file, named in errors.
    unit : {"ms", "s"}, optional
        ``--unit``: the unit of the RR column's values, whatever its name says (with a note);
        by default the name's (:func:`~trainer.storage.rr_values.column_unit`).
    fs_hz : float, optional
        ``--fs``: the sampling rate, Hz, of a table without a time column (NeuroKit2's
        ``ECG, PPG, RSP`` at 100 Hz): its data row ``k`` (comment lines are none) is at
        ``k / fs_hz`` s, and its ECG may be a bare ``ECG`` (:attr:`PolarTable.unnamed_ecg`).
    progress : callable, optional
        Told the fraction of the file's lines read (:mod:`analysis.progress`): 2 h of a
        130 Hz ECG are 940,000 rows, most of an import's time.

    Raises
    ------
    ImportFileError
        No time column (and no ``fs_hz``: the message asks for ``--fs`` when the table has
        ECG, accelerometer or respiration columns) or no known data column, a row with the
        wrong number of cells, a cell that is not a number (or time), naming the line; without
        ``unit``, RR values that look like another unit than the column's name states.
    BadArgument
        ``unit`` given for a table without an RR column; ``fs_hz`` given for a table with a
        time column, or for one without ECG, accelerometer or respiration columns.
    """
    steps = ProgressSteps(progress)
    lines_in_file = text.count("\n") + 1 if steps.active else 0
    stride = max(lines_in_file // REPORTS, 1)
    # One comparison per row when nobody listens (inf is never reached).
    due: float = stride if steps.active else math.inf
    reader = _table_rows(text, path)
    try:
        header_no, header = next(reader)
    except StopIteration:
        raise ImportFileError(
            f"{path}: nothing to import ({empty_words(path)})"
            if is_stream(path)
            else f"{path}: empty file"
        ) from None
    names = [column_key(h) for h in header]
    time_col = next((c for c in TIME_COLUMNS if c in names), None)
    if time_col is not None and fs_hz is not None:
        # The file's own times and --fs could disagree; one of them would be ignored, and a
        # user who gave --fs believes the table has no times (found in review 32: a clear
        # error, not a silent choice).
        raise BadArgument(
            f"--fs {fs_hz:g}: {path} has a time column "
            f"({short_quote(header[names.index(time_col)].strip())}), which times its rows",
            "leave --fs out (it gives the rate of a table without a time column)",
        )
    untimed = time_col is None
    wanted: dict[str, tuple[int, float]] = {}
    unnamed_ecg: str | None = None
    for quantity, options in _VALUE_COLUMNS.items():
        for option, factor in options.items():
            if option not in names:
                continue
            index = names.index(option)
            if factor is None and untimed and quantity == "ecg":
                # NeuroKit2's and other research tables' bare "ECG": its unit is read from
                # its values' span once they are read (ecg_unit_by_span), and said.
                unnamed_ecg = header[index].strip()
                factor = 1.0
            if factor is None:
                raise ImportFileError(
                    f"{path}:{header_no}: the {short_quote(header[index].strip())} column does "
                    "not say "
                    "its unit",
                    _UNIT_ADVICE[quantity.split("_")[0]],
                )
            # RR as written: its unit is known once its values are (column_unit).
            wanted[quantity] = (index, 1.0 if quantity == "rr" else factor)
            break
    belt_unit: str | None = None
    belt_at = next((i for i, key in enumerate(names) if belt_column(key)[0]), None)
    if belt_at is not None:
        wanted["belt"] = (belt_at, 1.0)
        belt_unit = belt_column(names[belt_at])[1]
    if untimed and fs_hz is None:
        raise _untimed_error(path, header_no, header, wanted)
    if untimed and not any(q in wanted for q in ("ecg", "acc_x", "belt")):
        raise BadArgument(
            f"--fs {fs_hz:g}: {path} has no ECG, accelerometer or respiration column to sample "
            f"at that rate (columns: {short_quote(', '.join(header))})",
            "leave --fs out",
        )
    if not wanted:
        raise ImportFileError(
            f"{path}:{header_no}: no RR, HR, ECG, accelerometer or respiration column in the "
            f"header ({short_quote(', '.join(header))})"
        )
    if unit is not None and "rr" not in wanted:
        raise BadArgument(
            f"{path}: --unit is the unit of RR intervals, and this table has no RR column",
            "leave --unit out",
        )
    used = {index for index, _ in wanted.values()} | {
        i for i, key in enumerate(names) if key in TIME_COLUMNS
    }
    unused = _unused_columns(header, used)
    t_index = -1
    clock, scale = "", 1.0
    if time_col is not None:
        clock, scale = TIME_COLUMNS[time_col]
        t_index = names.index(time_col)
    sample_ns = 0.0 if fs_hz is None else NS_PER_S / fs_hz
    times: list[int] = []
    lines: list[int] = []
    values: dict[str, list[float]] = {q: [] for q in wanted}
    missing_rr: list[tuple[int, str]] = []
    fold = 0
    for number, row in reader:
        if number >= due:
            due = number + stride
            steps(number / lines_in_file)
        if len(row) > len(header) or len(row) <= max(t_index, *(i for i, _ in wanted.values())):
            raise ImportFileError(
                f"{path}:{number}: {len(row)} cells where the header has {len(header)}"
            )
        if untimed:
            # Sample k at k / fs, from the first data row (comment lines are no samples).
            t_ns = round(len(times) * sample_ns)
        else:
            t_ns = parse_time(row[t_index], clock, scale, path, number, fold)
        if clock == "iso" and (fold or (times and t_ns < times[-1])):
            # Naive local times repeat an hour when the clocks go back (2026-10-25 02:00-03:00
            # in Berlin): from the row that goes back by about that hour, the hour is the
            # second one, fold=1 (PEP 495), until the times are no longer ambiguous. A row a
            # moment early inside the hour is out of order, refused below, not the second hour
            # (found in review: 0.1 s back at 02:10 was taken as a 3599.9 s step forward).
            second = parse_time(row[t_index], clock, scale, path, number, 1)
            first = parse_time(row[t_index], clock, scale, path, number, 0)
            back_s = (times[-1] - first) / NS_PER_S
            goes_back = _is_clock_change(back_s) and second >= times[-1]
            fold = int(second != first and (fold == 1 or goes_back))
            t_ns = second if fold else first
        times.append(t_ns)
        lines.append(number)
        for quantity, (index, factor) in wanted.items():
            cell = row[index].strip()
            # A digit first is a number: is_missing's checks (or a ValueError) on every
            # cell of a day of ECG would cost more than the parse itself.
            if not cell or (not cell[0].isdigit() and is_missing(cell)):
                value = math.nan
            else:
                try:
                    value = float(cell) * factor
                except ValueError:
                    raise ImportFileError(
                        f"{path}:{number}: {short_quote(header[index].strip())} value "
                        f"{short_quote(cell)} is not a number{decimal_comma_hint(cell)}"
                    ) from None
            if math.isnan(value):
                # No value on this row (empty, R's NA, nan, a spreadsheet's #N/A): for RR,
                # told below whether it is a row without a beat or a lost interval.
                if quantity == "rr":
                    missing_rr.append((number, cell))
                values[quantity].append(math.nan)
                continue
            if not math.isfinite(value):
                raise ImportFileError(
                    f"{path}:{number}: {short_quote(header[index].strip())} is {short_quote(cell)}"
                )
            values[quantity].append(value)
    if not times:
        raise ImportFileError(f"{path}: no data rows")
    t = np.asarray(times, dtype=np.int64)
    if np.any(np.diff(t) < 0):
        k = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
        back_s = (t[k - 1] - t[k]) / NS_PER_S
        clock_change = clock == "iso" and _is_clock_change(back_s)
        raise ImportFileError(
            f"{path}:{lines[k]}: time goes backwards by {back_s:.3g} s"
            + (
                " (a daylight saving clock change in the local phone times?)"
                if clock_change
                else ""
            ),
            "sort the rows by time"
            if not clock_change
            else "re-export the file with UTC times, or split it at this line",
        )
    columns = {q: np.asarray(v) for q, v in values.items()}
    rr_column = None
    notes: tuple[str, ...] = ()
    if "rr" in wanted:
        index = wanted["rr"][0]
        name = header[index].strip()
        beat_rows = np.flatnonzero(np.isfinite(columns["rr"]))
        written = columns["rr"][beat_rows].tolist()
        read_in, override = column_unit(
            name, names[index], unit, written, f"{path}:{header_no}", ImportFileError
        )
        factor = MS_PER_UNIT[read_in or "ms"]
        columns["rr"] = columns["rr"] * factor
        if written:
            beat_s = (t[beat_rows] - t[0]) / NS_PER_S
            if "hr" in columns and not timed_by_beats(beat_s, columns["rr"][beat_rows]):
                # Rows of strap notifications (their times do not step by the RR): one with a
                # heart rate and no RR is a second in which no beat ended, read_rr_file's rule.
                notified = {lines[k] for k in np.flatnonzero(columns["hr"] > 0.0)}
                missing_rr = [(no, cell) for no, cell in missing_rr if no not in notified]
            _check_missing_rr(missing_rr, [lines[k] for k in beat_rows], path)
        rr_column = (name, factor)
        notes = () if override is None else (override,)
    steps.done()
    return PolarTable(
        t,
        columns,
        np.asarray(lines),
        rr_column,
        notes,
        fs_hz=fs_hz if untimed else None,
        unnamed_ecg=unnamed_ecg,
        belt=None if belt_at is None else (header[belt_at].strip(), belt_unit),
        unused=unused,
    )


_RATE_IN_NAME = re.compile(r"(?<![0-9.])(\d+(?:\.\d+)?)[ _-]?hz(?![a-z])", re.IGNORECASE)
"""A sampling rate a file's name states (``bio_resting_5min_100hz.csv``: 100 Hz)."""


def rate_in_name(path: Path) -> float | None:
    """The sampling rate, Hz, that ``path``'s name states (``..._100hz.csv``), or None.

    Only a hint in a message: a rate is never taken from a name unasked.
    """
    found = _RATE_IN_NAME.search(path.name)
    return None if found is None else float(found.group(1))


_TIME_EXPECTED = "time_ns, Phone timestamp, sensor timestamp [ns], timestamp [ms]"


def _untimed_error(
    path: Path, header_no: int, header: Sequence[str], wanted: dict[str, tuple[int, float]]
) -> UserError:
    """The refusal of a table without a time column when no ``--fs`` was given: a table of
    samples (ECG, accelerometer, respiration) is told to give ``--fs``, with the rate its name
    states as a hint (review 32 F1: it named only time columns, and ``hrv`` sent the user to
    ``import``, which had no ``--fs``)."""
    listed = short_quote(", ".join(header))
    if not any(q in wanted for q in ("ecg", "acc_x", "belt")):
        return ImportFileError(
            f"{path}:{header_no}: no time column in the header ({listed})",
            f"expected one of {_TIME_EXPECTED}",
        )
    rate = rate_in_name(path)
    hint = "" if rate is None else f" (its name says {rate:g} Hz: --fs {rate:g})"
    unitless = [cell.strip() for cell in header if column_key(cell) in UNITLESS_TIME]
    column = (
        f"name the unit of its {short_quote(unitless[0])} column (time_s or time_ms)"
        if unitless
        else f"add a time column ({_TIME_EXPECTED})"
    )
    return ImportFileError(
        f"{path}:{header_no}: no time column in the header ({listed}), so the samples' times "
        "are not in the file",
        f"give their sampling rate with --fs HZ{hint}, or {column}",
    )


def _unused_columns(header: Sequence[str], used: set[int]) -> tuple[str, ...]:
    """The header's columns outside ``used`` (their indices), as written; an unnamed one as
    ``"(unnamed column N)"``; empty cells after the last named one (a spreadsheet's trailing
    separators) are none."""
    last = max((i for i, cell in enumerate(header) if cell.strip()), default=-1)
    return tuple(
        cell.strip() or f"(unnamed column {i + 1})"
        for i, cell in enumerate(header[: last + 1])
        if i not in used
    )


def unused_columns_note(unused: Sequence[str]) -> str | None:
    """The note naming a table's columns no stream of a recording holds (``PPG``, ``EDA``,
    ``Photosensor``, a row index), or None when there are none (review 32 F1: NeuroKit2's
    ``RSP`` and ``PPG`` were left out without a word)."""
    if not unused:
        return None
    return (
        f"not imported (no stream of a recording holds them): {', '.join(unused)}; "
        "the recording has the other columns"
    )


CLOCK_CHANGE_S = 3600.0
"""How far a daylight saving change puts local clocks back, s (one hour in every zone that
has the change in Europe and North America)."""
CLOCK_CHANGE_TOLERANCE_S = 600.0
"""How far a step back in naive local phone times may differ from :data:`CLOCK_CHANGE_S`, s,
and still be read as the clock change: a logger's rows jitter and batch by a few seconds, a
gap in the rows across the change can shorten the step by minutes."""


def _is_clock_change(back_s: float) -> bool:
    """Whether local times stepping back by ``back_s`` seconds look like the clocks going back
    (:data:`CLOCK_CHANGE_S` within :data:`CLOCK_CHANGE_TOLERANCE_S`)."""
    return abs(back_s - CLOCK_CHANGE_S) <= CLOCK_CHANGE_TOLERANCE_S


def _table_rows(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each row of a CSV table's ``text`` that holds something,
    its header first, by the rules every RR reader follows: ``#`` comment lines (above the
    header or among the rows) and a ``#`` note after the values left out
    (:func:`~trainer.storage.text_files.uncommented`), the separator the header holds most
    (:func:`table_delimiter`) unless Excel's ``sep=`` first line names it
    (:func:`~trainer.storage.text_files.excel_separator`), and decimal commas read as points
    where they must be
    (:func:`~trainer.storage.decimal_comma.decimal_points`)."""
    text, delimiter = excel_separator(text)
    text = uncommented(text)
    if delimiter is None:
        # The whole header line, however long (its first 4 KiB were read alone before).
        delimiter = table_delimiter(_header_line(text))
    reader = csv.reader(io.StringIO(decimal_points(text, delimiter)), delimiter=delimiter)
    for row in _rows(reader, path):
        if row and (row[0].strip() or any(cell.strip() for cell in row)):
            yield reader.line_num, row


def _check_missing_rr(
    missing: Sequence[tuple[int, str]], beat_lines: Sequence[int], path: Path
) -> None:
    """Refuse the first of a table's ``missing`` RR cells (line, cell) between two of its
    intervals (on ``beat_lines``; :func:`~trainer.storage.text_files.lost_intervals`) unless
    they are rows without a beat (:func:`~trainer.storage.text_files.rows_without_beats`),
    with the line ``hrv`` and ``breaths --rr`` refuse it with."""
    lost = lost_intervals(missing, beat_lines)
    if lost and not rows_without_beats(len(missing), len(beat_lines)):
        number, cell = lost[0]
        raise ImportFileError(
            f"{path}:{number}: {missing_interval(cell, in_table=True)}", MISSING_INTERVAL_ADVICE
        )


def _rows(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    """``reader``'s rows, its errors (a cell over the csv module's 128 KiB limit, a stray
    quote) as :class:`ImportFileError` naming the line, not a traceback."""
    number = 1  # the row being read
    try:
        for row in reader:
            yield row
            number += 1
    except csv.Error as exc:
        raise ImportFileError(f"{path}:{number}: not a CSV row ({exc})") from None


def parse_time(cell: str, clock: str, scale: float, path: Path, line: int, fold: int = 0) -> int:
    """A time cell as ns on its clock; ``fold`` picks the second of a local time that happened
    twice (PEP 495), for ISO times without an offset."""
    text = cell.strip()
    try:
        if clock == "iso":
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return int(moment.replace(fold=fold).timestamp() * NS_PER_S)
        if clock in ("unix_ns", "pmd_ns"):
            value = int(text) if text.lstrip("-").isdigit() else int(float(text))
            return value + (PMD_EPOCH_OFFSET_NS if clock == "pmd_ns" else 0)
        return round(float(text) * scale * NS_PER_S)
    except ValueError:
        raise ImportFileError(
            f"{path}:{line}: time {short_quote(text)} is not a valid timestamp"
        ) from None


LOSS_S = MAX_DRIFT_S
"""Smallest loss of beats, s, after which CSV beat times re-anchor: the live beat timeline's
re-anchoring threshold (:data:`analysis.beats.MAX_DRIFT_S`, 1.5 s), so a replay of the
import re-anchors where, and only where, the import did."""
_FLOOR_WINDOW_S = 30.0
"""Span, s, over which the least delay between a beat and the row that reported it is taken on
each side of a candidate loss: long enough to hold a promptly logged row (a phone logger delays
and batches rows by up to ~2 s), short enough that drift between the phone's and the strap's
clocks (~1 s per 1000 s at 1000 ppm) stays well below :data:`LOSS_S` inside it."""


def strap_beat_times(
    row_t_s: FloatArray,
    rr_raw: Sequence[int],
    can_break: npt.NDArray[np.bool_] | None = None,
    *,
    loss_s: float = LOSS_S,
    window_s: float = _FLOOR_WINDOW_S,
) -> FloatArray:
    """Beat times for RR values logged on rows whose times jitter: the running sum of the RR.

    Parameters
    ----------
    row_t_s : ndarray of float
        Time of the row that carries each RR value, s, non-decreasing.
    rr_raw : sequence of int
        The RR values, 1/1024 s (exact, as the strap measured them).
    can_break : ndarray of bool, optional
        Where a loss may be placed (before the first RR of a notification); anywhere if None.
    loss_s : float
        Least rise, s, of the row delay that is taken as beats lost.
    window_s : float
        Span, s, of rows before and after a candidate loss over which the least delay is taken.

    Returns
    -------
    ndarray of float
        One time per RR value, s: ``offset + cumsum(rr)`` within each run without lost beats,
        with the latest offset that puts no beat after the row that reported it.

    Notes
    -----
    A phone logger writes a row when the strap's notification reaches it, and it delays and
    batches them: on a real Polar Sensor Logger file (H10, 10 min) the delay of a beat's row
    after the running sum of the RR varies by 2.1 s from row to row, while the RR are exact to
    1/1024 s. So beat times are the RR's running sum, and row times only bound them: a beat
    cannot be logged before it happened, so ``offset = min(row_t - cumsum(rr))``, the smallest
    delay seen.

    Beats were lost (a link gap, a dropped notification) where the rows move on by more than
    their RR: the delay's floor rises and stays up. It is found as a rise of more than
    ``loss_s`` from the least delay over the ``window_s`` before a row to that over the
    ``window_s`` from it, placed at the row in such a run whose delay rose most from the row
    before; each run between losses gets its own offset. A loss too short to tell from jitter
    (< ``loss_s``) is not seen: the beats after it are placed early by as much, as the live beat
    timeline (:class:`analysis.beats.BeatTimeline`) would place them.
    """
    row = np.asarray(row_t_s, dtype=np.float64)
    cum = np.cumsum(np.asarray(rr_raw, dtype=np.float64) / RR_UNITS_PER_S)
    n = cum.size
    if n == 0:
        return cum
    lag = row - cum
    allowed = np.ones(n, dtype=bool) if can_break is None else np.asarray(can_break, dtype=bool)
    lo = np.searchsorted(row, row - window_s, side="left")
    hi = np.searchsorted(row, row + window_s, side="right")
    rises = np.zeros(n, dtype=bool)
    for k in range(1, n):
        if allowed[k]:
            before = float(lag[lo[k] : k].min()) if lo[k] < k else float(lag[k - 1])
            rises[k] = float(lag[k : hi[k]].min()) - before > loss_s
    starts = [0]
    k = 1
    while k < n:
        if not rises[k]:
            k += 1
            continue
        end = k
        while end < n and rises[end]:
            end += 1
        jumps = lag[k:end] - lag[k - 1 : end - 1]
        starts.append(k + int(np.argmax(jumps)))
        k = end
    # A run whose offset is not more than loss_s above the one before would not re-anchor the
    # live timeline either: join it to that one (the offsets are of whole runs, not windows).
    while True:
        bounds = [*starts, n]
        offsets = [float(lag[a:b].min()) for a, b in pairwise(bounds)]
        small = [i for i in range(1, len(starts)) if offsets[i] - offsets[i - 1] <= loss_s]
        if not small:
            break
        del starts[small[0]]
    out = np.empty(n, dtype=np.float64)
    for (a, b), offset in zip(pairwise(bounds), offsets, strict=True):
        out[a:b] = cum[a:b] + offset
    return out


def _strap_notifications(
    table: PolarTable, path: Path
) -> tuple[list[tuple[int, bytes]], BeatDelay | None]:
    """Group RR values into notifications and time them at their beats.

    A row with a heart rate starts a notification; RR-only rows within 0.2 s of it continue it
    (loggers spread one notification's RR over the next rows). Each notification is sent at its
    last beat (:func:`strap_beat_times`, moved onto the ECG's R peaks by
    :func:`align_beats_to_ecg` when the file has ECG), so the beat timeline places every beat
    at the running sum of the RR; one without RR at its row, but not after the next one with RR.

    Returns
    -------
    packets : list of (int, bytes)
        Send time (Unix ns, the file's clock) and 0x2A37 payload, in time order.
    timing : BeatDelay or None
        The beats' delay after the ECG's R peaks, removed when found (:func:`align_beats_to_ecg`);
        None when the file has no ECG or no RR.
    """
    rr = table.columns.get("rr")
    hr = table.columns.get("hr")
    if rr is not None:
        given = np.isfinite(rr)
        if np.any(given):
            check_table_rr(table, given, path)
    out: list[tuple[int, list[int], int]] = []
    rr_rows: list[int] = []
    rr_starts: list[bool] = []
    rr_raws: list[int] = []
    last_hr = 0
    for k in range(table.time_ns.size):
        has_rr = rr is not None and math.isfinite(rr[k])
        has_hr = hr is not None and math.isfinite(hr[k])
        if not has_rr and not has_hr:
            continue
        t = int(table.time_ns[k])
        if has_hr:
            last_hr = round(float(hr[k]))  # type: ignore[index]
        continues = (
            out
            and not has_hr
            and t - out[-1][0] <= 0.2 * NS_PER_S
            and len(out[-1][1]) < MAX_RR_PER_NOTIFICATION
        )
        if not continues:
            out.append((t, [], last_hr))
        if has_rr:
            rr_starts.append(not out[-1][1])
            rr_rows.append(t)
            rr_raws.append(rr_ms_to_raw(float(rr[k])))  # type: ignore[index]
            out[-1][1].append(rr_raws[-1])
    first_ns = int(table.time_ns[0])
    beat_s = strap_beat_times(
        (np.asarray(rr_rows, dtype=np.int64) - first_ns) / NS_PER_S,
        rr_raws,
        np.asarray(rr_starts, dtype=bool),
    )
    timing: BeatDelay | None = None
    ecg = table.columns.get("ecg")
    ok = np.zeros(0, dtype=bool) if ecg is None else np.isfinite(ecg)
    if ecg is not None and beat_s.size and np.count_nonzero(ok) >= MIN_SAMPLES:
        beat_s, timing = align_beats_to_ecg(
            beat_s, (table.time_ns[ok] - first_ns) / NS_PER_S, ecg[ok]
        )
    beat_ns = np.rint(beat_s * NS_PER_S).astype(np.int64)
    last_beat = np.cumsum([len(raws) for _, raws, _ in out]) - 1
    sent = [
        first_ns + int(beat_ns[last_beat[i]]) if raws else t for i, (t, raws, _) in enumerate(out)
    ]
    # A notification without RR keeps its row's time unless that is after the next one's beat.
    later = math.inf
    for i in range(len(out) - 1, -1, -1):
        if out[i][1]:
            later = sent[i]
        elif sent[i] > later:
            sent[i] = int(later)
    packets = []
    for when, (_, raws, bpm) in zip(sent, out, strict=True):
        if bpm <= 0 and raws:
            bpm = _hr_field([r * 1000.0 / RR_UNITS_PER_S for r in raws], 60)
        packets.append((when, encode_heart_rate_measurement(max(0, min(bpm, 255)), raws)))
    return packets, timing


ECG_ALIGNMENT_METHOD = (
    f"analysis.ecg_align: Pan-Tompkins R peaks (zero-phase); the delay in 0-{MAX_DELAY_S:g} s "
    f"with most beat-R differences within {1000 * MATCH_TOL_S:g} ms, refined to the median of "
    f"the matched; used if >= {MIN_MATCHED} and >= {MIN_MATCHED_SHARE:.0%} of the beats inside "
    f"the ECG match, MAD <= {1000 * MAX_MAD_S:g} ms, runner-up delay <= "
    f"{MAX_RUNNER_UP_SHARE:.0%} of the votes"
)
"""How the shift was found, as the header records it (the parameters make it reproducible)."""


def align_beats_to_ecg(
    beat_s: FloatArray, ecg_t_s: FloatArray, ecg: FloatArray
) -> tuple[FloatArray, BeatDelay]:
    """Move RR-derived beats onto the R peaks of the same file's ECG, if it can be trusted.

    Parameters
    ----------
    beat_s : ndarray of float
        Beat times from :func:`strap_beat_times`, s: they still hold the least delay between
        a beat and the row that logged it, the strap's and phone's reporting delay (0.94 s on
        a real H10 file).
    ecg_t_s : ndarray of float
        ECG sample times, s, on the same clock (the file's, from its first row).
    ecg : ndarray of float
        ECG samples, µV.

    Returns
    -------
    beat_s : ndarray of float
        The beats moved back by the delay :func:`analysis.ecg_align.estimate_beat_delay`
        found, every one by the same amount so every RR interval keeps; unchanged when the
        ECG cannot be trusted (flat, noise, too few or too scattered matches, too regular a
        rhythm to tell one beat from the next).
    found : BeatDelay
        The delay found, or why none was (:func:`beat_timing_details` records it).
    """
    found = estimate_beat_delay(beat_s, ecg_t_s, ecg)
    return (beat_s if found.delay_s is None else beat_s - found.delay_s), found


def beat_timing_details(found: BeatDelay) -> dict[str, object]:
    """How the beats were placed, for the header's ``source.details["beat_timing"]``.

    Returns
    -------
    dict
        ``method`` (``"ecg_r_peaks"``: moved onto the R peaks; ``"least_row_delay"``: kept
        where :func:`strap_beat_times` put them), ``shift_ms`` (added to every beat, <= 0),
        ``matched_beats``, ``beats_in_ecg``, ``r_peaks``, ``mad_ms`` (spread of the matched
        beats about the delay), ``estimator`` (the method and its parameters) and, when the
        ECG was not used, ``reason`` (one line).
    """
    details: dict[str, object] = {
        "method": "least_row_delay" if found.delay_s is None else "ecg_r_peaks",
        "shift_ms": 0.0 if found.delay_s is None else round(-1000.0 * found.delay_s, 3),
        "matched_beats": found.matched,
        "beats_in_ecg": found.considered,
        "r_peaks": found.r_peaks,
        "mad_ms": None if found.mad_s is None else round(1000.0 * found.mad_s, 3),
        "estimator": ECG_ALIGNMENT_METHOD,
    }
    if found.delay_s is None:
        details["reason"] = found.reason
    return details


def beat_timing_note(found: BeatDelay) -> str:
    """One line for the person importing: how the beats were placed against the ECG."""
    if found.delay_s is not None:
        return (
            f"beats moved {1000 * found.delay_s:.0f} ms earlier onto the ECG's R peaks "
            f"({found.matched} of {found.considered} beats inside the ECG matched)"
        )
    return f"beats keep the logger's least delay, not aligned to the ECG: {found.reason}"


def _frames(
    t_ns: npt.NDArray[np.int64], samples: FloatArray, kind: MeasurementType, per_frame: int
) -> list[tuple[int, bytes]]:
    out = []
    for start in range(0, t_ns.size, per_frame):
        stop = min(start + per_frame, t_ns.size)
        block = np.rint(samples[start:stop])
        if kind is MeasurementType.ECG:
            ints = np.clip(block.astype(np.int64), -(1 << 23), (1 << 23) - 1)
            data = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.ravel())
            frame_type = 0
        else:
            data = np.clip(block, -32768, 32767).astype("<i2").tobytes()
            frame_type = 1
        last = int(t_ns[stop - 1])
        out.append((last, encode_frame(kind, last - PMD_EPOCH_OFFSET_NS, frame_type, data)))
    return out


def _rate_hz(t_ns: npt.NDArray[np.int64]) -> float:
    if t_ns.size < 2:
        return 0.0
    return float((t_ns.size - 1) * NS_PER_S / max(int(t_ns[-1] - t_ns[0]), 1))


ECG_WITHOUT_BEATS = (
    "ECG without an RR or heart-rate column, and no QRS found in it (flat, noise or not an "
    "ECG): the session has no heart rate or HRV (the recording keeps the ECG)"
)
"""The note of a Polar CSV import with ECG but no beats, neither in an RR or heart-rate column
nor from the ECG's R peaks (:func:`ecg_beat_notifications` found fewer than two)."""

ECG_BEATS_FROM = "ECG R peaks (analysis.ecg_align)"
"""``source.details["beats_from"]`` of a Polar CSV import whose beats came from its ECG."""


def ecg_beats_note(beats: int) -> str:
    """The note of a Polar CSV import whose beats came from its ECG's R peaks (review 30 F1:
    such a file had no heart rate or HRV at all)."""
    return (
        f"no RR or heart-rate column: {beats} beats taken from the ECG's R peaks "
        "(analysis.ecg_align, Pan-Tompkins), so the heart rate and HRV come from the ECG, "
        "not from a strap's RR"
    )


def ecg_beat_runs(peaks_s: FloatArray) -> list[FloatArray]:
    """An ECG's R peaks in runs of beats whose intervals a heart-rate packet can carry.

    Parameters
    ----------
    peaks_s : ndarray of float
        R-peak times, s, increasing (:func:`analysis.ecg_align.detect_r_peaks`).

    Returns
    -------
    list of ndarray of float
        The peaks, split where two neighbours lie more than
        :data:`~trainer.storage.rr_values.MAX_RR_MS` apart (a hole in the ECG no RR field
        holds); runs of a single peak, which give no interval, are left out. An interval
        across a shorter hole stays in its run, long, as a strap's across beats it missed.
    """
    cuts = np.flatnonzero(np.diff(peaks_s) * 1000.0 > MAX_RR_MS) + 1
    return [run for run in np.split(peaks_s, cuts) if run.size >= 2]


def ecg_beat_notifications(
    t_s: FloatArray, ecg: FloatArray
) -> tuple[list[tuple[float, bytes]], FloatArray, list[int]]:
    """Heart Rate Measurement notifications for the beats at an ECG's R peaks.

    Parameters
    ----------
    t_s : ndarray of float
        ECG sample times, s, increasing.
    ecg : ndarray of float
        ECG samples (any unit).

    Returns
    -------
    packets : list of (float, bytes)
        Send time, s (the clock of ``t_s``), and 0x2A37 payload, scheduled as an RR list's
        (:func:`rr_notifications`: one per second from the first beat), so the beat timeline
        puts every beat on its R peak to within 1/1024 s. Empty when fewer than two R peaks
        were found (:func:`analysis.ecg_align.detect_r_peaks`).
    rr_ms : ndarray of float
        The intervals between neighbouring R peaks, ms: one per beat after the first peak of
        each run. An interval across a hole in the ECG is kept, long, as a strap's is across
        beats it missed, so the artifact correction treats it as missed beats; one longer than
        a packet's RR field holds (:data:`~trainer.storage.rr_values.MAX_RR_MS`) ends a run
        instead, and the next run's first notification re-anchors the beat timeline
        (:class:`analysis.beats.BeatTimeline`), as after beats a strap lost.
    rr_raw : list of int
        The same intervals in 1/1024 s, their running sum within each run on the R peaks
        (:func:`rr_raw_on_beat_clock`).
    """
    packets: list[tuple[float, bytes]] = []
    rr_all: list[FloatArray] = []
    raw_all: list[int] = []
    for run in ecg_beat_runs(detect_r_peaks(t_s, ecg)):
        rr_ms = np.diff(run) * 1000.0
        rr_raw = rr_raw_on_beat_clock(rr_ms)
        beat_s = float(run[0]) + np.cumsum(np.asarray(rr_raw, dtype=np.float64)) / RR_UNITS_PER_S
        packets += rr_notifications(beat_s, rr_raw)
        rr_all.append(rr_ms)
        raw_all += rr_raw
    return packets, (np.concatenate(rr_all) if rr_all else np.empty(0)), raw_all


def import_polar_csv(
    path: Path,
    *,
    start_wall_ns: int | None = None,
    session_times: bool = False,
    unit: str | None = None,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> Imported:
    """Build a session from a Polar-style CSV (RR/HR, ECG, accelerometer and/or respiration
    columns), or from a table of samples without a time column at ``fs_hz``.

    Relative time columns (``timestamp [ms]``) need ``start_wall_ns``; otherwise the file's
    modification time minus the session's length is used. They count from the file's first
    row, unless ``session_times``: a Breathwise export's ``t_s`` count from the session's start
    (an ECG that began 5 s into the session came back at 0 s). ``unit`` is ``--unit``, the
    unit of the RR column's values (:func:`parse_polar_csv`). ``fs_hz`` is ``--fs``, for a
    table without a time column (NeuroKit2's ``ECG, PPG, RSP`` at 100 Hz): sample ``k`` at
    ``k / fs_hz`` s, the session ``n / fs_hz`` s long, dated like relative times. A bare
    ``ECG`` column there is read in the unit its values' span gives
    (:func:`ecg_unit_by_span`, said in a note). A respiration column (``RSP``, ``Resp``,
    ``belt``...) becomes the belt stream (:func:`_belt_stream`); the columns no stream holds
    (``PPG``, ``EDA``) are named in a note. ``progress`` is told the fraction done
    (:mod:`analysis.progress`).
    """
    steps = ProgressSteps(progress)
    # Measured on 2 h of 130 Hz ECG with RR: reading the rows is 90 % of the time.
    table = parse_polar_csv(path, unit, fs_hz=fs_hz, progress=steps.part(0.0, 0.9))
    notes = list(table.notes)
    if table.unnamed_ecg is not None and "ecg" in table.columns:
        factor, said = ecg_unit_by_span(table.columns["ecg"], table.unnamed_ecg, path)
        table = replace(table, columns={**table.columns, "ecg": table.columns["ecg"] * factor})
        notes.append(said)
    first_ns = int(table.time_ns[0])
    absolute = first_ns > 10**17  # Unix ns since 1973: a real clock, not a relative one
    origin_ns = 0 if session_times and not absolute else first_ns
    t_rel = table.time_ns - origin_ns
    duration_s = max(float(t_rel[-1]) / NS_PER_S, 0.0) + 1.0
    if table.fs_hz is not None:
        # n samples of 1 / fs each: the session the samples cover, as the sample's.
        duration_s = t_rel.size / table.fs_hz
    if start_wall_ns is None:
        start_wall_ns = first_ns if absolute else int(_file_time_ns(path) - duration_s * NS_PER_S)
        _check_derived_start(start_wall_ns, path, absolute)
    elif absolute:
        # --start moves the session, but PMD frames keep the file's own clock: it must fit too.
        _check_derived_start(first_ns, path, absolute)
        if start_wall_ns != first_ns:
            # Said, not done silently: the help offers --start for a file that gives no start,
            # and a loop giving every file one moved a 2024 session to 2026 without a word
            # (found in review).
            notes.append(
                f"--start {local_minute(start_wall_ns)} replaces the file's own start, "
                f"{local_minute(first_ns)} (leave --start out to keep it)"
            )
    # PMD frames carry the sensor clock (ns since 2000): a file with a real clock keeps its own
    # times; relative times (t_s, timestamp [ms]) start at 0 and are placed at the session's
    # start, as a sensor synced to the phone would have stamped them.
    sensor_origin_ns = first_ns if absolute else start_wall_ns
    streams: dict[str, dict[str, object]] = {}
    timed: list[tuple[int, str, bytes]] = []
    timing: BeatDelay | None = None
    if "rr" in table.columns or "hr" in table.columns:
        streams[Stream.HEART_RATE.value] = {}
        packets, timing = _strap_notifications(table, path)
        for t, payload in packets:
            timed.append((t - origin_ns, Stream.HEART_RATE.value, payload))
    pmd: dict[str, object] = {}
    ok = np.isfinite(table.columns.get("ecg", np.zeros(0)))
    if _waveform_usable(t_rel[ok], "ECG", notes):
        t_ecg = t_rel[ok]
        pmd["ecg"] = {"fs_hz": round(_rate_hz(t_ecg), 3), "resolution_bits": 14}
        for t, frame in _frames(
            t_ecg + sensor_origin_ns,
            table.columns["ecg"][ok].reshape(-1, 1),
            MeasurementType.ECG,
            ECG_SAMPLES_PER_FRAME,
        ):
            timed.append((t - sensor_origin_ns, Stream.PMD_DATA.value, frame))
    if all(q in table.columns for q in ("acc_x", "acc_y", "acc_z")):
        acc = np.column_stack([table.columns[q] for q in ("acc_x", "acc_y", "acc_z")])
        ok = np.all(np.isfinite(acc), axis=1)
    else:
        acc, ok = np.zeros((0, 3)), np.zeros(0, dtype=bool)
    if _waveform_usable(t_rel[ok], "accelerometer", notes):
        t_acc = t_rel[ok]
        pmd["acc"] = {"fs_hz": round(_rate_hz(t_acc), 3), "resolution_bits": 16}
        for t, frame in _frames(
            t_acc + sensor_origin_ns, acc[ok], MeasurementType.ACC, ACC_SAMPLES_PER_FRAME
        ):
            timed.append((t - sensor_origin_ns, Stream.PMD_DATA.value, frame))
    if pmd:
        streams[Stream.PMD_DATA.value] = pmd
    ecg_beats: dict[str, object] = {}
    if "ecg" in pmd and Stream.HEART_RATE.value not in streams:
        # No RR or heart rate, but an ECG: its R peaks are the beats (review 30 F1: the
        # recording said "no heart-rate strap" while it held a chest strap's ECG).
        ok = np.isfinite(table.columns["ecg"])
        ecg_packets, _, ecg_rr_raw = ecg_beat_notifications(
            t_rel[ok] / NS_PER_S, table.columns["ecg"][ok]
        )
        if ecg_packets:
            streams[Stream.HEART_RATE.value] = {}
            for t_s, payload in ecg_packets:
                timed.append((round(t_s * NS_PER_S), Stream.HEART_RATE.value, payload))
            ecg_beats = {"beats_from": ECG_BEATS_FROM, "beats": len(ecg_rr_raw)}
            # No resolution note: the R peaks' own sample period (7.7 ms at 130 Hz) is far
            # coarser than the 1/1024 s the intervals are stored in, and the beats stay within
            # 0.49 ms of the peaks (rr_raw_on_beat_clock).
            notes.append(ecg_beats_note(len(ecg_rr_raw)))
        else:
            notes.append(ECG_WITHOUT_BEATS)
    belt_details: dict[str, object] = {}
    if table.belt is not None:
        belt_details = _belt_stream(table, t_rel, streams, timed, notes)
    if (unused := unused_columns_note(table.unused)) is not None:
        notes.append(unused)
    if not timed:
        raise ImportFileError(
            f"{path}: no RR, heart-rate, ECG, accelerometer or respiration values"
        )
    timed.sort(key=lambda x: x[0])
    untimed = (
        {}
        if table.fs_hz is None
        else {"fs_hz": table.fs_hz, "times": "row k at k / fs_hz s (--fs; no time column)"}
    )
    info = SourceInfo(
        kind="import",
        name=f"{'CSV table' if untimed else 'Polar CSV'} {input_name(path)}",
        streams=streams,
        details={
            "imported_from": input_name(path),
            "format": "untimed-csv" if untimed else "polar-csv",
            **untimed,
            **({} if timing is None else {"beat_timing": beat_timing_details(timing)}),
            **ecg_beats,
            **belt_details,
        },
    )
    # PMD frames arrive at their last sample's row time and heart-rate notifications at their
    # last beat (:func:`strap_beat_times`): the PMD decoder anchors the first frame's last
    # sample, and the beat timeline the first notification's last beat, at arrival, so any
    # delay added here would move every sample and beat by as much.
    items: list[Item] = [_own_rhythm(start_wall_ns)]
    for t_ns, stream, payload in timed:
        items.append(_packet(t_ns / NS_PER_S, start_wall_ns, stream, payload))
    if timing is not None:
        notes.insert(0, beat_timing_note(timing))
    # Each RR value is stored in 1/1024 s here too (_strap_notifications); only the RR-list path
    # said so, and a table with a time column moved pNN50 from 40.55 to 42.23 % silently (found
    # in review).
    file_rr = table.columns.get("rr")
    if file_rr is not None and np.any(given := np.isfinite(file_rr)):
        rr_ms = file_rr[given]
        resolution = resolution_note(rr_ms, [rr_ms_to_raw(float(v)) for v in rr_ms])
        if resolution is not None:
            notes.append(resolution)
    imported = replace(_finish(info, items, start_wall_ns, duration_s, path), notes=tuple(notes))
    steps.done()
    return imported


ECG_SPANS = ((5e-5, 0.05, "V", 1e6), (0.05, 50.0, "mV", 1e3), (50.0, 50_000.0, "µV", 1.0))
"""Spans (0.5th to 99.5th percentile) of an ECG in each unit, with the factor to µV: an R wave
of 0.1-5 mV spans 0.05-50 in millivolts, a thousand times more in microvolts and less in volts,
so the three do not overlap."""


def ecg_unit_by_span(ecg: FloatArray, name: str, path: Path) -> tuple[float, str]:
    """The unit of an ECG column that names none (NeuroKit2's ``ECG``), read from its values.

    A logger's table must name it (``ecg_uV``...: a bare name is refused there), as millivolts
    taken for microvolts would round to -1, 0 and 1. A research table without a time column
    writes ``ECG`` in mV (NeuroKit2's are 0.3-1.4 mV peak to peak): the span of its values
    (0.5th to 99.5th percentile) tells the three units apart by a factor of 1000
    (:data:`ECG_SPANS`), and the note says which was taken and how to name another.

    Returns
    -------
    factor : float
        To µV, the unit the PMD frames hold.
    note : str

    Raises
    ------
    ImportFileError
        A span no ECG has in V, mV or µV (a flat column, a signal in other units).
    """
    finite = ecg[np.isfinite(ecg)]
    span = float(np.percentile(finite, 99.5) - np.percentile(finite, 0.5)) if finite.size else 0.0
    for low, high, unit, factor in ECG_SPANS:
        if low <= span < high:
            return factor, (
                f"the {name!r} column names no unit: read as {unit} (its values span "
                f"{span:.3g}, an ECG's in {unit}); name it ecg_uV, ecg_mV or ecg_V if not"
            )
    raise ImportFileError(
        f"{path}: the {short_quote(name)} column names no unit, and its values' span, "
        f"{span:.3g}, is no ECG's in V, mV or µV",
        _UNIT_ADVICE["ecg"],
    )


MIN_BELT_FS_HZ = 4.0
"""Lowest rate of a belt column that makes a belt stream, Hz: the belt's 1 Hz low-pass
(:data:`trainer.session.pipeline.BELT_CUTOFF_HZ`) at half the Nyquist frequency, the floor of
``breaths --fs`` for a belt."""
EVEN_TIMES_TOLERANCE = 0.25
"""Largest distance, in sample periods, of a timed table's belt row from its place on an even
grid: a belt stream's samples are evenly spaced, a logger's jittered rows are not."""


def _belt_stream(
    table: PolarTable,
    t_rel: npt.NDArray[np.int64],
    streams: dict[str, dict[str, object]],
    timed: list[tuple[int, str, bytes]],
    notes: list[str],
) -> dict[str, object]:
    """The table's respiration column as a belt stream: the header's ``gdx`` entry and one
    Go Direct packet per sample (:mod:`trainer.storage.belt_import`), added to ``streams`` and
    ``timed``; returns ``source.details`` entries (``belt_units``, ``belt``), with a note.

    The samples must be evenly spaced and without holes: a table without a time column's all
    are; a timed table's rows holding a value must lie within :data:`EVEN_TIMES_TOLERANCE` of
    a period of an even grid. Otherwise, or below :data:`MIN_BELT_FS_HZ`, the column is left
    out with a note saying why (review 32 F1: NeuroKit2's ``RSP`` was dropped without a word).
    """
    assert table.belt is not None
    name, unit = table.belt
    values = table.columns["belt"]
    ok = np.isfinite(values)
    what = f"the {name!r} column (respiration)"
    if table.fs_hz is not None and not np.all(ok):
        notes.append(
            f"{what} has {int(np.count_nonzero(~ok))} empty cells: a belt signal with holes is "
            "left out (fill or cut them to import it)"
        )
        return {}
    t = t_rel[ok]
    if t.size < MIN_SAMPLES:
        return {}
    fs_hz = table.fs_hz if table.fs_hz is not None else _rate_hz(t)
    if table.fs_hz is None:
        grid = t[0] + np.arange(t.size) * (NS_PER_S / fs_hz)
        worst = float(np.max(np.abs(t - grid))) * fs_hz / NS_PER_S
        if worst > EVEN_TIMES_TOLERANCE:
            notes.append(
                f"{what} is left out: its rows are not evenly timed ({worst:.2g} sample periods "
                "off an even grid), and a belt stream's samples are"
            )
            return {}
    if fs_hz < MIN_BELT_FS_HZ:
        notes.append(
            f"{what} is left out: {fs_hz:.3g} Hz is below the {MIN_BELT_FS_HZ:g} Hz the belt "
            "analysis needs"
        )
        return {}
    samples = to_belt_rate(values[ok], fs_hz)
    streams[Stream.GODIRECT.value] = {
        "period_us": samples.period_us,
        "force_channel": FORCE_CHANNEL,
    }
    step_ns = NS_PER_S / samples.fs_hz
    first = int(t[0])
    for k, payload in enumerate(belt_packets(samples.values)):
        timed.append((first + round(k * step_ns), Stream.GODIRECT.value, payload))
    unit_words = (
        f"in the file's unit ({unit}), not newtons"
        if unit not in (None, "N")
        else "in newtons"
        if unit == "N"
        else "in the file's unit (it names none), not newtons"
    )
    notes.append(
        f"{what} is the belt stream: {samples.values.size} samples at {samples.fs_hz:g} Hz"
        f"{'' if samples.method is None else ', ' + samples.method}, {unit_words}"
    )
    return {
        "belt_units": belt_units(name, unit),
        "belt": {
            "column": name,
            "unit": unit,
            "fs_hz": fs_hz,
            "resampling": samples.method or "none",
        },
    }


def _waveform_usable(t_ns: npt.NDArray[np.int64], what: str, notes: list[str]) -> bool:
    """Whether a column's sample times (ns) make an ECG or accelerometer stream.

    A column with no values (a logger's header for a sensor it did not record) is none: it
    made a header with a 0 Hz rate, which the reader refuses as damaged; so is one whose few
    values are scattered below :data:`MIN_WAVEFORM_HZ`, which is left out with a note.
    """
    if t_ns.size < MIN_SAMPLES:
        return False
    rate_hz = _rate_hz(t_ns)
    if rate_hz < MIN_WAVEFORM_HZ:
        notes.append(
            f"the {what} column's {t_ns.size} values ({rate_hz:.2g} per second) are too sparse "
            "for a waveform: left out"
        )
        return False
    return True


# ------------------------------------------------------------------------------ common
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


def _check_derived_start(start_wall_ns: int, path: Path, absolute: bool) -> None:
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


def _file_time_ns(path: Path) -> int:
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


def _read_text(path: Path) -> str:
    return read_text(
        path, max_bytes=_MAX_BYTES, what="an RR list or sensor CSV", error=ImportFileError
    )


def _own_rhythm(start_wall_ns: int) -> PacerChange:
    return PacerChange(START_MONO_NS, start_wall_ns, "own", label="imported")


def _packet(t_s: float, start_wall_ns: int, stream: str, payload: bytes) -> RawPacket:
    offset = round(t_s * NS_PER_S)
    return RawPacket(START_MONO_NS + offset, start_wall_ns + offset, stream, payload)


def data_digest(items: Sequence[Item]) -> str:
    """SHA-256 (hex) of the packets an import made: their session clocks, streams and bytes.

    It goes in the header's ``source.details["data_sha256"]``, so two different files
    imported with the same name and start have different headers, and so different history
    rows (:attr:`trainer.reports.session_analysis.SessionAnalysis.session_key`), while the same file
    imported again has the same one.
    """
    digest = hashlib.sha256()
    for item in items:
        if isinstance(item, RawPacket):
            digest.update(f"{item.t_mono_ns} {item.stream} {item.payload.hex()}\n".encode())
    return digest.hexdigest()


def _finish(
    info: SourceInfo, items: list[Item], start_wall_ns: int, duration_s: float, path: Path
) -> Imported:
    end = round(duration_s * NS_PER_S)
    if end > MAX_SESSION_NS:
        # The reader refuses a recording longer than that as damaged: refuse it now, not later.
        raise ImportFileError(
            f"{path}: spans {duration_s / 86_400:.0f} days; a recording holds at most "
            f"{MAX_SESSION_NS / NS_PER_S / 86_400:.0f}",
            "split the file into shorter parts",
        )
    info = replace(info, details={**info.details, "data_sha256": data_digest(items)})
    header = Header(
        START_MONO_NS, start_wall_ns, info, {"imported_from": input_name(path), "device": "import"}
    )
    return Imported(header, items, START_MONO_NS + end, start_wall_ns + end)


_HEAD_BYTES = 4096
"""What :func:`_head` reads first, bytes: the header and first rows of nearly every file."""
_HEAD_MAX_BYTES = 64 * 1024 * 1024
"""The most :func:`_head` reads, bytes: the largest RR file ``hrv`` reads
(:data:`trainer.storage.rr_file.RR_FILE_MAX_BYTES`), so that a header line ``hrv`` reads is
judged whole, and a file without line ends (not text) is not read to its end here."""


def _head(path: Path) -> bytes:
    """The start of ``path`` (uncompressed if gzip) through its first two lines that are
    neither blank nor comments (a table's header and first row, or a list's first values),
    which the import chooses its reader by (:func:`_kind_of`, :func:`untimed_rr_table`); the
    whole file when shorter, at most :data:`_HEAD_MAX_BYTES`. Empty if it cannot be read (the
    reader then says what is wrong with the file).

    The first 4 KiB were read alone before, and a header line longer than that (a logger's
    hundreds of columns, a long comment block above the header) was judged cut: the table
    was taken for a list and refused, where ``hrv`` read it (found in review).
    """
    try:
        with open_input(path, error=ImportFileError) as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) if gzipped else raw as handle:
                head = bytearray(handle.read(_HEAD_BYTES))
                while len(head) < _HEAD_MAX_BYTES and not _has_lines(head, 2):
                    # Doubling: a long line is decoded and searched a few times, not once a
                    # block.
                    more = handle.read(min(len(head), _HEAD_MAX_BYTES - len(head)))
                    if not more:
                        break
                    head += more
    except (OSError, EOFError, zlib.error):
        return b""
    return bytes(head)


def _has_lines(head: bytes | bytearray, count: int) -> bool:
    """Whether ``head`` holds ``count`` whole lines (ended) that are neither blank nor ``#``
    comments, after Excel's ``sep=`` line (:func:`_header_line`'s rule)."""
    text, _ = excel_separator(decode_head(bytes(head)))
    found = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith(("\n", "\r")):
            return False
        if line.strip() and not is_comment(line):
            found += 1
            if found == count:
                return True
    return False


def detect_kind(path: Path) -> str:
    """``"polar"`` for a table whose first line has a separator and a letter, else ``"rr"``."""
    return _kind_of(_head(path))


def _header_line(head: bytes | str) -> str:
    """The first line of ``head`` (a file's start, or its text) that is neither blank nor a
    ``#`` comment, without a note after it
    (:func:`~trainer.storage.text_files.without_comment`): a table's header, or a list's first
    line (found in review: a table under ``# exported by ...`` was taken for a list, and a
    comment under its header for a row)."""
    # Excel's "sep=;" line is no header: the table's starts below it.
    text = head if isinstance(head, str) else decode_head(head)
    text, _ = excel_separator(text)
    for raw in iter_lines(text):
        if raw.strip() and not is_comment(raw):
            return without_comment(raw)
    return ""


def _kind_of(head: bytes) -> str:
    # A separator ending the line is a spreadsheet's empty column, not a table's (rr_ms,).
    line = _header_line(head).rstrip(",;")
    has_sep = any(sep in line for sep in (",", ";", "\t"))
    return "polar" if has_sep and any(c.isalpha() for c in line) else "rr"


def beat_warnings(items: Sequence[Item]) -> tuple[str, ...]:
    """Warnings about the beats a session's items carry: too many corrected as artifacts.

    The RR intervals are decoded from the Heart Rate Measurement packets exactly as the
    pipeline decodes them, and corrected as the report corrects them
    (:func:`analysis.rr_artifacts.correct_rr`), so the share named is the report's "Beats
    corrected"; the wording is :func:`analysis.hrv_report.artifact_warning`, the one the
    ``hrv`` command and the report use.

    Parameters
    ----------
    items : sequence of Item
        A session's items (packets of any stream, pacer changes...).

    Returns
    -------
    tuple of str
        Empty when there are fewer than two beats or few were corrected.
    """
    rr = [
        ms
        for item in items
        if isinstance(item, RawPacket) and item.stream == Stream.HEART_RATE
        for ms in decode_heart_rate_measurement(item.payload).rr_ms
    ]
    if len(rr) < 2:
        return ()
    correction = correct_rr(np.asarray(rr, dtype=np.float64))
    warning = artifact_warning(int(np.count_nonzero(correction.codes)), len(rr))
    return () if warning is None else (warning,)


@dataclass(frozen=True, slots=True)
class ExportedSession:
    """What a Breathwise CSV export's ``<stem>.session.csv`` says about the session its other
    files are from (:func:`trainer.storage.export.session_fields`).

    Attributes
    ----------
    sidecar : Path
        The ``<stem>.session.csv`` file (or ``.csv.gz``).
    start_wall_ns : int
        Session start, Unix ns: the ``t_s`` of the export count from it.
    source_kind, source_name : str
        What measured the session (``sim`` for the simulated person).
    session_key : str
        The history's identity of the original session.
    recording : str
        The original recording's file name.
    stream : str
        Which of the export's files is imported.
    """

    sidecar: Path
    start_wall_ns: int
    source_kind: str
    source_name: str
    session_key: str
    recording: str
    stream: str = "beats"
    """The export's file imported (``beats``, ``ecg``...: :data:`EXPORT_CSVS`)."""

    def applied_to(self, imported: Imported, *, start_given: bool) -> Imported:
        """``imported`` marked as this session: the simulated person (or no sensor) stays the
        source kind, so every result keeps its mark, and the header names the original
        session, so the history can tell it is one it holds.

        ``start_given``: the import's start is the person's ``--start``, not this sidecar's:
        they are correcting the clock, so the recording does not name the original and the
        history counts it as a session of its own; the note says so. (Found in review: linked,
        its row was replaced by the original's when that was added, and its corrected start
        lost to the original's wrong one for good. A row the person sees twice is better
        than a rule that silently picks one start over the other.)
        """
        source = imported.header.source
        if self.source_kind in (SIMULATED_KIND, SENSORLESS_KIND):
            source = replace(
                source, kind=self.source_kind, name=f"{self.source_name} (exported, imported)"
            )
        link = {} if start_given else {EXPORTED_SESSION: self.session_key}
        settings = {**imported.header.settings, **link, "exported_recording": self.recording}
        header = replace(imported.header, source=source, settings=settings)
        what = source_mark(self.source_kind) or self.source_name
        if start_given:
            # The sidecar's start is neither used nor checked: it is not shown.
            note = (
                f"a Breathwise export of {self.recording}: its source ({what}) is read from "
                f"{self.sidecar.name}, its start is --start's: the history counts it as a "
                f"session of its own, besides {self.recording} if that is added too"
            )
        else:
            # Plausible (import_recording checked it), so the calendar can show it.
            when = datetime.fromtimestamp(self.start_wall_ns / NS_PER_S).isoformat(" ", "seconds")
            note = (
                f"a Breathwise export of {self.recording}: its start ({when}) and source "
                f"({what}) are read from {self.sidecar.name}"
            )
        return replace(imported, header=header, notes=(*imported.notes, note))


EXPORT_CSVS = frozenset((*STREAM_CSVS, *WAVEFORM_CSVS))
"""The ``<stream>`` of a Breathwise CSV export's ``<stem>.<stream>.csv``
(:mod:`trainer.storage.export`)."""


def _open_text(path: Path) -> TextIO:
    """``path`` opened for reading as UTF-8 text, through gzip if its name ends in .gz."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return path.open(newline="", encoding="utf-8")


def _export_without_sidecar(path: Path, head: bytes) -> bool:
    """Whether ``path`` is a Breathwise CSV export's ``<stem>.beats.csv`` (by its name and its
    header line) with no ``<stem>.session.csv`` beside it (:func:`read_export_session` found
    none): as an older Breathwise wrote them. Imported as any CSV, it was dated by the file's
    time (today) and added as a second session (found in review)."""
    name = path.name.lower()
    if not name.endswith((".beats.csv", ".beats.csv.gz")):
        return False
    cells = [cell.strip() for cell in _header_line(head).split(",")]
    return cells == list(BEATS_COLUMNS)


def read_export_session(path: Path) -> ExportedSession | None:
    """The ``<stem>.session.csv`` beside a Breathwise CSV export's ``<stem>.<stream>.csv``, or
    ``None`` when ``path`` is not such a file or there is no such sidecar (the file is then
    imported as any CSV, at its own time).

    The stem is what is left when a known stream name (:data:`EXPORT_CSVS`) is taken off the
    end, so it may hold dots of its own: ``evening.2026-12-05.bwr`` exports as
    ``evening.2026-12-05.beats.csv`` (found in review: such a file found no sidecar).

    Raises
    ------
    ImportFileError
        The sidecar is there but cannot be read, or is not a Breathwise export's, or gives no
        whole-number start (found in review: ``start_wall_ns,abc`` was ignored, and the import
        dated today, unlinked, a simulated session without its SIMULATED SENSOR mark).
    """
    name = path.name
    # Exports are often gzipped to be kept or sent (found in review: a beats.csv.gz was read
    # but found no sidecar, so it was dated today as an unlinked session).
    for suffix in (".csv", ".csv.gz"):
        if name.lower().endswith(suffix):
            base = name[: -len(suffix)]
            break
    else:
        return None
    stem, dot, stream = base.rpartition(".")
    if not (dot and stem and stream.lower() in EXPORT_CSVS):
        return None
    sidecar = next(
        (
            candidate
            for candidate in (
                path.with_name(f"{stem}.{SESSION_CSV}.csv"),
                path.with_name(f"{stem}.{SESSION_CSV}.csv.gz"),
            )
            if candidate.exists()
        ),
        None,
    )
    if sidecar is None:
        return None
    try:
        with _open_text(sidecar) as handle:
            fields = {row[0]: row[1] for row in csv.reader(handle) if len(row) == 2}
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        raise _sidecar_error(sidecar, path, f"cannot be read ({short_quote(problem)})") from None
    if fields.get("format") != EXPORT_FORMAT:
        raise _sidecar_error(sidecar, path, f"has no 'format,{EXPORT_FORMAT}' row")
    _check_export_version(fields.get("format_version"), sidecar, path)
    text = fields.get("start_wall_ns")
    if text is None or not re.fullmatch(r"[+-]?\d+", text.strip()):
        got = "no start_wall_ns row" if text is None else f"start_wall_ns {short_quote(text)}"
        raise _sidecar_error(sidecar, path, f"{got} is not a whole number of ns")
    return ExportedSession(
        sidecar,
        int(text),
        fields.get("source_kind", ""),
        fields.get("source_name", ""),
        fields.get("session_key", ""),
        fields.get("recording", ""),
        stream.lower(),
    )


def _check_export_version(text: str | None, sidecar: Path, path: Path) -> None:
    """Refuse an export whose ``format_version`` row is no whole number or is newer than
    :data:`trainer.storage.export.EXPORT_FORMAT_VERSION`: its columns may mean other things
    (docs/export-formats.md, "Versions"). No row at all is an export written before the row
    was (December 2026), of version 1's layout.

    Raises
    ------
    ImportFileError
        The version is not a whole number, or is above this Breathwise's.
    """
    if text is None:
        return
    if not re.fullmatch(r"\d+", text.strip()):
        raise _sidecar_error(
            sidecar, path, f"format_version {short_quote(text)} is not a whole number"
        )
    version = int(text)
    if version > EXPORT_FORMAT_VERSION:
        raise ImportFileError(
            f"{sidecar}: a Breathwise export of format version {version}, newer than this "
            f"Breathwise reads ({EXPORT_FORMAT_VERSION})",
            f"update Breathwise, or pass --start to import {path.name} as a session of its own",
        )


def _sidecar_error(sidecar: Path, path: Path, problem: str) -> ImportFileError:
    return ImportFileError(
        f"{sidecar}: a damaged Breathwise export sidecar: {problem}",
        f"fix it, or pass --start to import {path.name} as a session of its own",
    )


SAME_SPACING_S = 1e-4
"""Two exported beats whose spacing differs from the later one's RR by no more than this (s)
are spaced by that RR: the CSV keeps times to 1 µs and RR to 1/1024 s exactly, so a clamped or
re-anchored beat (always off by more than a millisecond) is never taken for one that was not."""


def export_beat_notifications(
    beat_t_s: FloatArray, rr_raw: Sequence[int], *, period_s: float = 1.0
) -> list[tuple[float, bytes]]:
    """0x2A37 payloads that make the beat timeline place every beat at ``beat_t_s``.

    For the ``<stem>.beats.csv`` of a Breathwise CSV export, whose ``t_s`` are the beats as the
    session's own :class:`analysis.beats.BeatTimeline` placed them (docs/recording-format.md,
    "CSV export"): unlike a strap's or a phone app's rows they need no scheduling, only to be
    given back. Beats spaced by their RR (within :data:`SAME_SPACING_S`) share a notification,
    as a strap would send them (at most :data:`MAX_RR_PER_NOTIFICATION`, spanning at most
    ``period_s``), sent at its last beat; a beat that is not (one the timeline clamped onto an
    arrival, spread, or re-anchored after a loss) starts a notification of its own.

    Why that is exact: the timeline puts a notification's beats at the previous beat plus their
    RR, moved back onto the arrival if the last is later, re-anchored there if it is more than
    :data:`analysis.beats.MAX_DRIFT_S` earlier. A timeline's own output only ever has beats
    spaced by their RR, closer (clamped, spread) or more than that threshold further apart
    (re-anchored); each case is placed back on its arrival, i.e. on its exported time.

    Parameters
    ----------
    beat_t_s : ndarray of float
        Exported beat times, session s, non-decreasing (may be negative: beats before the
        start of an import aligned to its ECG).
    rr_raw : sequence of int
        The interval ending each beat, 1/1024 s.
    period_s : float
        Longest span of one notification's beats, s.

    Returns
    -------
    list of (float, bytes)
        Send time (session s) and payload, in time order.
    """
    rr_s = np.asarray(rr_raw, dtype=np.float64) / RR_UNITS_PER_S
    out: list[tuple[float, bytes]] = []
    group: list[int] = []
    for k in range(beat_t_s.size):
        joins = (
            group
            and abs(float(beat_t_s[k] - beat_t_s[k - 1]) - float(rr_s[k])) <= SAME_SPACING_S
            and len(group) < MAX_RR_PER_NOTIFICATION
            and float(beat_t_s[k] - beat_t_s[group[0]]) <= period_s
        )
        if group and not joins:
            out.append(_export_notification(beat_t_s, rr_raw, group))
            group = []
        group.append(k)
    if group:
        out.append(_export_notification(beat_t_s, rr_raw, group))
    return out


def _export_notification(
    beat_t_s: FloatArray, rr_raw: Sequence[int], group: list[int]
) -> tuple[float, bytes]:
    raws = [int(rr_raw[k]) for k in group]
    hr = _hr_field([raw * 1000.0 / RR_UNITS_PER_S for raw in raws], 60)
    return float(beat_t_s[group[-1]]), encode_heart_rate_measurement(min(hr, 255), raws)


def import_export_beats(path: Path, *, start_wall_ns: int, unit: str | None = None) -> Imported:
    """Build a session from the ``<stem>.beats.csv`` of a Breathwise CSV export.

    Its ``t_s`` count from the session's start (``start_wall_ns``, the sidecar's or
    ``--start``) and are given back as they are (:func:`export_beat_notifications`): exported
    and imported again, every beat keeps its time to float rounding of the CSV's 1 µs, not the
    running-sum schedule of :func:`strap_beat_times`, which put every beat of a sample session
    1.07 s early and those of a simulated one 2.0-2.75 s early. ``unit`` is ``--unit``, as
    for any table (:func:`parse_polar_csv`).
    """
    table = parse_polar_csv(path, unit)
    rr = table.columns.get("rr")
    if rr is None or not np.all(np.isfinite(rr)):
        raise ImportFileError(
            f"{path}: a Breathwise beats export needs an rr_ms value on every row",
            "import the file it was exported from, or the RR as an RR list",
        )
    check_table_rr(table, np.isfinite(rr), path)
    rr_raw = [rr_ms_to_raw(v) for v in rr.tolist()]
    beat_t = table.time_ns.astype(np.float64) / NS_PER_S
    duration_s = max(float(beat_t[-1]), 0.0) + 1.0
    info = SourceInfo(
        kind="import",
        name=f"Breathwise export {path.name}",
        streams={Stream.HEART_RATE.value: {}},
        details={
            "imported_from": path.name,
            "format": "breathwise-export-beats",
            "beats": len(rr_raw),
            "beat_timing": {"method": "exported_times"},
        },
    )
    items: list[Item] = [_own_rhythm(start_wall_ns)]
    for t, payload in export_beat_notifications(beat_t, rr_raw):
        items.append(_packet(t, start_wall_ns, Stream.HEART_RATE, payload))
    return replace(_finish(info, items, start_wall_ns, duration_s, path), notes=table.notes)


MAX_TABLE_FS_HZ = 100_000.0
"""Highest ``--fs``, Hz: the highest ECG or accelerometer rate a recording's header holds (and
``breaths``' ceiling); more is a typo."""


def check_table_fs(fs_hz: float) -> None:
    """Refuse an ``--fs`` no recording can hold: below :data:`MIN_WAVEFORM_HZ` (the reader's
    floor for an ECG or accelerometer rate) or above :data:`MAX_TABLE_FS_HZ`, or not a number.

    Raises
    ------
    BadArgument
    """
    if not (math.isfinite(fs_hz) and MIN_WAVEFORM_HZ <= fs_hz <= MAX_TABLE_FS_HZ):
        raise BadArgument(
            f"--fs must lie within {MIN_WAVEFORM_HZ:g}-{MAX_TABLE_FS_HZ:g} Hz, got {fs_hz!r}",
            "give the table's samples per second",
        )


def check_recording_name(output: Path, default_name: str) -> None:
    """Refuse an ``-o`` whose name does not end in ``.bwr``, before any work.

    A recording written as ``morning.csv`` or ``a.txt`` is a recording all the same, but
    ``report DIR`` and ``history --add DIR`` look for ``*.bwr`` (:data:`SUFFIX`) and pass it
    by (found in review), as the other writers' ``-o`` are checked for their endings
    (``report``: .png, .pdf or .svg; ``export -f edf``: .edf).

    Parameters
    ----------
    output : Path
        The recording to create, as ``-o`` gave it.
    default_name : str
        The default recording's name, for the advice when ``output`` is a folder.

    Raises
    ------
    trainer.errors.BadArgument
        ``output``'s name does not end in ``.bwr``.
    """
    if output.suffix == SUFFIX:
        return
    # "-o folder" (an existing one) most likely meant the recording inside it.
    example = output / default_name if output.is_dir() else output.with_suffix(SUFFIX)
    raise BadArgument(
        f"-o {output}: a recording's name ends in {SUFFIX} (report and history --add of a "
        "folder find it by that ending)",
        f"for example -o {example}",
    )


def import_recording(
    path: Path,
    kind: str = "auto",
    output: Path | None = None,
    *,
    start_wall_ns: int | None = None,
    unit: str | None = None,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import ``path`` as a new recording; return it with any warning about its data.

    Parameters
    ----------
    path : Path
        An RR list or a Polar-style CSV (optionally ``.gz``).
    kind : str
        ``"rr"``, ``"polar"`` or ``"auto"`` (see :func:`detect_kind`).
    output : Path, optional
        The recording to create (default ``<stem>.bwr`` beside the input); never overwritten.
        Its folder must exist (:func:`trainer.storage.paths.check_output_path`).
    start_wall_ns : int, optional
        Session start (Unix ns) when the file carries no absolute time; for a file of a
        Breathwise CSV export, the start its ``<stem>.session.csv`` gives by default
        (:func:`read_export_session`).
    unit : {"ms", "s"}, optional
        ``--unit``: the unit of the RR values, of a list or of a table's RR column, whatever
        a header names (with a note); by default a header's, else for a list from their median
        (:func:`read_rr_list`), for a table's column without a unit in its name milliseconds
        (:func:`~trainer.storage.rr_values.column_unit`). Refused for a table without an RR
        column.
    fs_hz : float, optional
        ``--fs``: the sampling rate, Hz, of a table of samples without a time column
        (:func:`import_polar_csv`); refused for any other file (:func:`check_table_fs`).
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): a Polar-style CSV's rows as they are
        read, then the recording written; the other kinds are read at once.
    """
    if kind not in KINDS:
        raise BadArgument(f"-k/--kind must be 'rr', 'polar' or 'auto', not {kind!r}")
    check_rr_unit(unit)
    if fs_hz is not None:
        check_table_fs(fs_hz)
    if output is None and is_stream(path):
        # Beside the input, it went to /dev/fd/63.bwr, or to "-.bwr" for standard input.
        raise BadArgument(
            f"{path}: {pipe_words(path)}, with no name or folder for the recording",
            "name it with -o (e.g. -o morning.bwr)",
        )
    default = path.with_name(path.name.split(".")[0] + SUFFIX)
    if output is not None:
        check_output_path(output, "a recording", default.name)
        check_recording_name(output, default.name)
    # A recording's JSON header line would otherwise be read as a CSV header and quoted whole.
    head = _head(path)
    if looks_like_recording(head):
        raise ImportFileError(
            f"{path}: this is already a Breathwise recording",
            # replay, report and history --add read files, not a pipe (found in review).
            "save it to a file, then replay, report or history --add the file"
            if is_stream(path)
            else "replay, report or history --add it",
        )
    auto = kind == "auto"
    if auto:
        # With --fs, a table of samples, even of one column ("RSP" over its values), which
        # _kind_of takes for a list: an RR list needs no rate.
        kind = "polar" if fs_hz is not None else _kind_of(head)
    steps = ProgressSteps(progress)
    start_given = start_wall_ns is not None
    try:
        exported = read_export_session(path)
    except ImportFileError:
        if not start_given:
            raise
        # As the advice says: with --start, a session of its own, its sidecar left aside.
        exported = None
    if exported is None and not start_given and _export_without_sidecar(path, head):
        stem = path.name[: path.name.lower().rfind(".beats.csv")]
        raise ImportFileError(
            f"{path}: a Breathwise CSV export without its {stem}.session.csv (Breathwise wrote "
            "none before December 2026), so the session's start is not in it",
            "give it with --start, to the second (its recording's name, "
            "session-YYYYMMDD-HHMMSS.bwr, holds it; 'breathwise history --format csv' lists it "
            "as start_local); if the history holds that session, this import counts its "
            "practice twice: 'history --add' its recording instead",
        )
    if exported is not None and not start_given:
        # As any start found in a file (_check_derived_start): a wrong one would become a
        # recording the history cannot store, or a session in 1970 (found in review: a
        # sidecar's start of 0, of 2100 and of 1e23 ns were taken, the last one a traceback).
        reason = implausible_start(exported.start_wall_ns)
        if reason is not None:
            raise ImportFileError(
                f"{exported.sidecar}: the session's start it gives, {reason}",
                "give the real start with --start",
            )
        start_wall_ns = exported.start_wall_ns
    if fs_hz is not None and exported is not None:
        raise BadArgument(
            f"--fs {fs_hz:g}: {path} is a Breathwise CSV export, timed by its t_s column",
            "leave --fs out",
        )
    our_beats = (
        exported.stream == "beats" if exported is not None else _export_without_sidecar(path, head)
    )
    if our_beats and start_wall_ns is not None:
        # Our own beat times, not a logger's rows: given back, not scheduled like a strap's;
        # an older export without its sidecar too, given its --start (every beat came back
        # 2.1 s early, the first before the start: review 39 F3).
        imported = import_export_beats(path, start_wall_ns=start_wall_ns, unit=unit)
    elif (
        exported is None and fs_hz is None and (kind == "polar" or auto) and untimed_rr_table(head)
    ):
        # Before the list: a table whose cells blanks separate looks like a list to _kind_of.
        # With --fs, a table of samples that has an RR column too (ECG, RR on beat rows) is
        # read as one (parse_polar_text refuses --fs for a table of intervals alone).
        imported = import_rr_table(path, start_wall_ns=start_wall_ns, unit=unit)
    elif kind == "rr":
        if fs_hz is not None:
            raise BadArgument(
                f"--fs {fs_hz:g}: {path} is read as an RR list, whose intervals need no rate",
                "leave --fs out",
            )
        imported = import_rr_list(path, start_wall_ns=start_wall_ns, unit=unit)
    else:
        imported = import_polar_csv(
            path,
            start_wall_ns=start_wall_ns,
            session_times=exported is not None,
            unit=unit,
            fs_hz=fs_hz,
            progress=steps.part(0.0, 0.9),
        )
    if exported is not None:
        imported = exported.applied_to(imported, start_given=start_given)
    target = output or default
    if target.exists():
        raise UserError(f"{target}: already exists", "choose another name with -o")
    written = write_recording(
        target,
        imported.header,
        imported.items,
        {"imported": True, "source_file": input_name(path)},
        end_mono_ns=imported.end_mono_ns,
        end_wall_ns=imported.end_wall_ns,
    )
    # A file full of ectopic beats or dropouts imports fine, but its HRV would mislead: say so
    # now, not only when (and if) a report is drawn.
    result = ImportResult(written, beat_warnings(imported.items), imported.notes)
    steps.done()
    return result
