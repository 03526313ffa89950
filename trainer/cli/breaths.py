"""``breathwise breaths``: breath-by-breath analysis of a waveform file, or breathing from RR.

``breathwise breaths INPUT --fs HZ [--column NAME|N] [--source belt|acc] [--format json|csv]``
reads a plain CSV/text waveform (one column, or the named / numbered column; ``--source acc``
takes three columns x, y, z) and runs the same detectors as the live trainer
(:func:`analysis.breath.detect_breaths`, :func:`analysis.acc_breath.detect_acc_breaths`).
``breathwise breaths --rr FILE [--unit ms|s]`` reads RR intervals (as ``hrv`` reads them,
:func:`trainer.storage.rr_file.read_rr_file`) and estimates breathing from respiratory sinus
arrhythmia (:mod:`analysis.rr_breath`). Every problem with the input is one
:class:`trainer.errors.UserError` line naming the file and line. A waveform's time column is
checked against ``--fs`` (:func:`check_time_column`); an RR table's keeps the gaps it shows,
as ``import`` does.

Parsing is vectorised (``numpy.loadtxt``'s C reader, fed a megabyte of lines at a time): an
hour of 100 Hz data takes well under a second to read, in about 3.5 bytes of memory per byte
of file; a slow line-by-line pass runs only to name the line of an error.

Long work (a waveform of :data:`trainer.cli.progress_bar.LONG_WAVEFORM_SAMPLES` rows, sized
before it is read; an RR file of :data:`trainer.cli.progress_bar.LONG_RR_BEATS` beats) shows
``hrv``'s transient bar on a terminal's standard error: the rows as they are parsed, the
samples as the detector takes them, the checks, or the 64 s windows of ``--rr``
(:data:`READ_SHARE`, :data:`DETECT_SHARE`, :data:`ESTIMATES_SHARE`). Standard output is the
same with it or without.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import numpy as np
import typer
from numpy.typing import NDArray

from analysis.acc_breath import GRAVITY_TAU_S, MG_PER_G, AccBreathTracker, gravity_magnitude
from analysis.acc_breath import MIN_FS_HZ as ACC_TRACKER_MIN_FS_HZ
from analysis.acc_breath import NOISE_K as ACC_NOISE_K
from analysis.breath import (
    MIN_BREATH_S,
    MIN_DEPTH_STEPS,
    Breath,
    BreathTracker,
    fed_in_parts,
    settle_ends,
)
from analysis.breath_signal_checks import (
    BREATHING_BAND_HZ,
    BREATHING_POWER_TOP_HZ,
    CLIPPED_WARN_FRACTION,
    NOISE_LAG1,
    NOISE_WINDOW_S,
    SLOWEST_VALIDATED_BPM,
    TOO_SLOW_BPM,
    breathing_power,
    clipped_fraction,
    good_ratios,
    held_runs,
    lag1_autocorrelation,
    looks_inverted,
    looks_too_fast,
    noise_breaths,
    noise_stretches,
    quantisation_step,
)
from analysis.breath_variability import BreathVariability, breath_variability, ratio_measured
from analysis.hrv_report import artifact_warning
from analysis.progress import ProgressCallback, ProgressSteps, counted
from analysis.rr_artifacts import correct_rr
from analysis.rr_breath import (
    COSEN_IRREGULAR,
    GOOD_QUALITY,
    MIN_RECORDED_INTERVALS,
    MIN_USABLE_SHARE,
    USABLE_QUALITY,
    WHITE_NOISE_ALPHA,
    RRBreathEstimate,
    RRBreathTracker,
    estimate_breathing_from_rr,
    rr_breath_cycles,
    session_rate_bpm,
    usable_share,
)
from devices.packets import NS_PER_S
from trainer import SOFTWARE
from trainer.cli.hrv import say_notes, say_warnings
from trainer.errors import BadArgument, UserError
from trainer.session.pipeline import BELT_CUTOFF_HZ
from trainer.storage.decimal_comma import (
    decimal_comma_hint,
    decimal_points,
    decimal_points_in_text,
    delimiter_of,
    groups_thousands,
    one_column_of_decimal_commas,
)
from trainer.storage.importers import (
    TIME_COLUMNS,
    UNITLESS_TIME,
    check_table_fs,
    column_key,
    parse_time,
)
from trainer.storage.paths import check_output_path, write_csv
from trainer.storage.rr_file import RRFile, read_rr_file
from trainer.storage.text_files import (
    STREAM_MAX_BYTES,
    data_lines,
    data_rows,
    empty_words,
    excel_separator,
    input_name,
    is_comment,
    is_missing,
    is_stream,
    iter_lines,
    number_or_none,
    read_text,
    refuse_a_recording,
    short_quote,
    split_cells,
    without_comment,
)

__all__ = [
    "BREATH_KEYS",
    "ESTIMATE_KEYS",
    "MIN_DURATION_S",
    "RR_BREATH_KEYS",
    "SampleAnalysis",
    "TimeColumn",
    "Waveform",
    "analyse_samples",
    "breaths",
    "check_time_column",
    "estimates_rows",
    "load_waveform",
    "read_waveform",
    "rr_estimates",
]

FloatArray = NDArray[np.float64]

BREATH_KEYS = (
    "inhale_onset_s",
    "exhale_onset_s",
    "end_s",
    "inhale_s",
    "exhale_s",
    "pause_s",
    "ratio",
    "depth",
    "quality",
)
"""Fields of each breath in the output, in order."""
RR_BREATH_KEYS = (*BREATH_KEYS, "rsa_bpm")
"""Fields of each breath found from RR (``--rr``): those of every source, so that a script reads
any ``breaths`` output alike (issue 7's schema; ``depth`` was named ``rsa_bpm`` here alone,
found in review 28), the depth being the breath's peak-to-trough RSA in beats/min, repeated
as ``rsa_bpm`` under the name it had (and has in ``report``, ``history`` and exports)."""
ESTIMATE_KEYS = (
    "t_s",
    "rate_bpm",
    "phase_rad",
    "fit_swing_bpm",
    "quality",
    "white_noise_p",
    "cosen",
    "unusable_reason",
)
"""Fields of each 64 s window of ``--rr`` (JSON ``estimates``; the CSV of ``--estimates FILE``).
``fit_swing_bpm`` is the peak-to-trough of the sinusoid fitted at the window's breathing rate
(:attr:`analysis.rr_breath.RRBreathEstimate.rsa_bpm`), not a breath's RSA: it was named
``rsa_bpm`` like the breaths' peak-to-trough RSA, a different quantity (found in review)."""
MIN_DURATION_S = 20.0
"""Shortest recording analysed, s: a few breaths even at 10 breaths/min."""
MIN_MERGED_WARN = 2
"""Fewest breaths that absorbed a cycle under the detector's shortest breath for a warning
(:attr:`analysis.breath.BreathTracker.merged_breaths`): none did on the five real belts of
``../shared/data`` nor on synthetic ones at 6-70/min; 2-23 of 140-157 at 75-80/min with 5 %
breath-to-breath variability."""
MERGED_WARN_SHARE = 0.01
"""Share of the breaths found that must have absorbed such a cycle for that warning, beside
:data:`MIN_MERGED_WARN`."""
UNCLEAR_CAUSE = (
    "too little sinus arrhythmia, an irregular rhythm, or breathing slower than about 4/min"
)
"""Why no session rate, when neither irregularity test explains most windows."""
IRREGULAR_NOTE = (
    "intervals this irregular hold no breathing rhythm to read; poor strap contact, many extra "
    "beats or an irregular heart rhythm can cause it (Breathwise does not diagnose: if you "
    "have symptoms, see a doctor), and a belt or the H10's accelerometer measures the "
    "breathing directly"
)
"""Said after a session rate is refused for an irregular rhythm."""
MAX_ABS_SAMPLE = 1e100
"""Largest sample magnitude analysed. No sensor measures breathing in units that reach it, and
beyond about 1e150 the sums of squares of the analysis overflow (a numpy warning, infinite
spreads); tiny values are fine, so the analysis is scale-free in every unit a file could use."""
_MAX_BYTES = 2 * 1024**3
"""Largest waveform file read, bytes (about 100 million samples of text)."""
_ACC_NAMES = (("x", "y", "z"), ("acc_x", "acc_y", "acc_z"), ("ax", "ay", "az"))
_BELT_NAMES = ("rsp", "resp", "respiration", "belt", "force", "force_n", "rsp_v")
_UNIT_SUFFIX = re.compile(r"\s*[\[(][^\[\]()]*[\])]\s*$")
"""A trailing bracketed unit of a header name: ``[mg]``, ``(V)``."""
_ACC_UNIT_SUFFIX = re.compile(r"^(?P<name>.*\S)[_ ](?P<unit>mg|g|ms2|ms-2|m/s2|m/s\^2|m/s²)$", re.I)
"""An accelerometer column's unit written after its name: ``x_g``, ``acc_x_mg`` (as ``import``
reads them), ``ax_ms2``."""
ACC_UNITS = {"mg": ("mG", MG_PER_G), "g": ("g", 1.0), "m/s2": ("m/s²", 9.80665)}
"""Accelerometer units a header may state (:func:`_unit_key` of it), with their symbol in the
output and the standard gravity in them (9.80665 m/s², ISO 80000-3)."""
UNIT_GRAVITY_TOLERANCE = 1.25
"""Largest factor between the gravity measured and the one the header's unit gives before a
warning doubts the unit: a sensor's calibration is within a few percent, a wrong unit is off
by 9.8 or 1000."""
_PREAMBLE_SCAN = 100
"""Lines read for the first row of numbers when looking for text above a header."""
_HEAD_LINES = 200
"""Lines read for the header and the layout (the rest is read by ``numpy.loadtxt``)."""
MIN_COVERED_SHARE = 0.5
"""Share of a waveform recording that its breaths (inhale onset to end, artifacts included)
must span for the result to go without a warning (:func:`_little_covered`). The real belts of
``../shared/data`` span 93-99 % (NeuroKit2 x3, wfdb 03700181 RESP, mixedsignals Resp); an
accelerometer analysed with its time column as an axis, 11 %."""
BELT_MIN_FS_HZ = 4.0
"""Lowest --fs of a belt waveform, Hz: there the belt's 1 Hz low-pass
(:data:`trainer.session.pipeline.BELT_CUTOFF_HZ`) lies at half the Nyquist frequency."""
ACC_MIN_FS_HZ = ACC_TRACKER_MIN_FS_HZ
"""Lowest --fs of an accelerometer waveform, Hz: the tracker's own
(:data:`analysis.acc_breath.MIN_FS_HZ`)."""
MAX_FS_HZ = 100_000.0
"""Highest --fs, Hz: far above any breathing sensor's rate; more is a typo (samples per
minute, or a unit's factor)."""
FS_TOLERANCE = 0.02
"""Largest relative difference between --fs and the rate a time column gives: a sensor's
crystal is within 0.1 %; a wrong --fs (50 for 100 Hz, 100 for 125) is off by 20 % or more."""
TIME_GAP_S = 0.25
"""A time step this much longer than the usual one is samples missing, s: joined, the breaths
after it would be timed that much early, a few percent of a breath of 3-10 s."""
PHONE_TIME_GAP_S = 2.0
"""The same for a phone's times (``Phone timestamp``), s: a phone logger stamps rows in
batches up to about 2 s apart (:mod:`trainer.storage.importers`)."""


def _bare_name(name: str) -> str:
    """A header name without a trailing bracketed unit, lower case: ``X [mg]`` -> ``x``,
    ``Resp (V)`` -> ``resp``."""
    return _UNIT_SUFFIX.sub("", name).strip().lower()


def _split_unit(name: str) -> tuple[str, str | None]:
    """An accelerometer column's name, lower case, and the unit it states, as written:
    ``X [g]`` -> ``("x", "g")``, ``acc_x_mG`` -> ``("acc_x", "mG")``, ``x`` -> ``("x", None)``."""
    bracketed = _UNIT_SUFFIX.search(name)
    if bracketed is not None:
        return name[: bracketed.start()].strip().lower(), bracketed.group(0).strip()[1:-1].strip()
    suffixed = _ACC_UNIT_SUFFIX.match(name.strip())
    if suffixed is not None:
        return suffixed["name"].lower(), suffixed["unit"]
    return name.strip().lower(), None


def _unit_key(unit: str) -> str:
    """A unit as written, normalised for :data:`ACC_UNITS`: ``mG`` -> ``mg``, ``m/s^2``,
    ``m/s²``, ``ms-2`` -> ``m/s2``."""
    key = unit.lower().replace("²", "2").replace("^", "").replace(" ", "")
    return {"ms2": "m/s2", "ms-2": "m/s2", "m/s/s": "m/s2"}.get(key, key)


def _acc_unit(path: Path, columns: tuple[str, ...]) -> str | None:
    """The unit the header states for the x, y, z columns read: a symbol of :data:`ACC_UNITS`,
    or as written when it is not one of them; None when no name states one (or no header)."""
    stated = {unit for name in columns if (unit := _split_unit(name)[1]) is not None}
    keys = {_unit_key(unit) for unit in stated}
    if not keys:
        return None
    if len(keys) > 1:
        raise UserError(
            f"{path}: the x, y, z columns ({', '.join(columns)}) state different units; "
            "an accelerometer's three axes are in one unit",
            "check the columns (--column X,Y,Z)",
        )
    (key,) = keys
    if key in ACC_UNITS:
        return ACC_UNITS[key][0]
    return min(stated)  # one unit, perhaps spelt two ways: either one, the same every run


def _pick_columns(
    path: Path, line_no: int, names: list[str] | None, n_cols: int, column: str | None, acc: bool
) -> list[int]:
    """0-based columns to read: one for a belt, three for an accelerometer."""
    lower = [n.lower() for n in names] if names is not None else None
    bare = [_bare_name(n) for n in names] if names is not None else None
    shown = ", ".join(names) if names is not None else f"{n_cols} unnamed columns"

    def resolve(spec: str) -> int:
        spec = spec.strip()
        if spec.isdigit():
            k = int(spec)
            if not 1 <= k <= n_cols:
                raise BadArgument(f"--column {spec}: {path} has columns 1-{n_cols}")
            return k - 1
        for known in (lower, bare):
            if known is not None and spec.lower() in known:
                return one_named(
                    known,
                    spec.lower(),
                    f"--column {spec!r}: columns",
                    f" of {path}",
                    BadArgument,
                    [c.strip().lower() for c in column.split(",")] if column is not None else None,
                )
        raise BadArgument(f"--column {spec!r}: no such column in {path} (columns: {shown})")

    def one_named(
        known: list[str],
        name: str,
        what: str,
        of: str,
        error: type[UserError],
        triple: list[str] | None = None,
    ) -> int:
        """The index of the one column ``name``; two of that name (two belts with one channel
        title) are refused: the first was read without a word (found in review). For an
        accelerometer, ``triple`` is the three names asked for, whose first columns the
        advice gives as an example (one number, the belt's advice, is refused for acc)."""
        where = [k for k, known_name in enumerate(known) if known_name == name]
        if len(where) > 1:
            numbers = " and ".join(str(k + 1) for k in where)
            alike = ", ".join(names[k] for k in where) if names is not None else name
            advice = "choose one by its number: --column N"
            if acc:
                # The first column of each name, as the reader before this rule took them.
                first = [str(known.index(t) + 1) for t in triple or [] if t in known]
                example = ",".join(first) if len(first) == 3 else "2,3,4"
                advice = f"choose them by number: --column X,Y,Z (e.g. --column {example})"
            raise error(
                f"{what} {numbers}{of} are named alike ({alike}), so which one is meant "
                "cannot be told",
                advice,
            )
        return where[0]

    if column is not None:
        cols = [resolve(c) for c in column.split(",")]
        if len(cols) != (3 if acc else 1):
            raise BadArgument(
                f"--column: give {'three columns x,y,z' if acc else 'one column'} for "
                f"--source {'acc' if acc else 'belt'}, got {column!r}"
            )
        return cols
    by_name = f"{path}:{line_no}: columns"
    if acc:
        axes = [_split_unit(n)[0] for n in names] if names is not None else None
        if axes is not None:
            for triple in _ACC_NAMES:
                if all(t in axes for t in triple):
                    return [
                        one_named(axes, t, by_name, "", UserError, list(triple)) for t in triple
                    ]
        if n_cols == 3 and (bare is None or _index_names(bare)):
            # Three unnamed columns (pandas numbers them 0, 1, 2): x, y, z in order. Named
            # ones that are not axes (ECG, PPG, RSP...) would be analysed as an accelerometer
            # without a word.
            return [0, 1, 2]
        raise UserError(
            f"{path}:{line_no}: cannot tell which columns are x, y, z ({shown}); "
            "name them x,y,z or use --column X,Y,Z"
        )
    if n_cols == 1:
        return [0]
    if bare is not None:
        for name in _BELT_NAMES:
            if name in bare:
                return [one_named(bare, name, by_name, "", UserError)]
    raise UserError(
        f"{path}:{line_no}: {n_cols} columns ({shown}); choose one with --column NAME or N"
    )


@dataclass(frozen=True)
class TimeColumn:
    """A column of sample times found beside the waveform."""

    name: str
    """As the header writes it."""
    clock: str
    """:data:`trainer.storage.importers.TIME_COLUMNS`'s clock (``relative_s``, ``unix_ns``,
    ``pmd_ns``, ``iso``), or ``unknown`` for a name without a unit (``time``)."""
    t: FloatArray
    """One time per sample: seconds, or the column's own numbers when ``clock`` is unknown."""


@dataclass(frozen=True)
class Waveform:
    """A waveform read from a text file (:func:`load_waveform`)."""

    samples: FloatArray
    """Shape (n,) for a belt, (n, 3) for x, y, z; float64, all finite."""
    columns: tuple[str, ...]
    """The columns read: header names, or 1-based numbers of an unnamed table."""
    time: TimeColumn | None
    """The samples' times, when the header names a time column."""
    lines: NDArray[np.int64]
    """The file's line of each sample."""
    notes: tuple[str, ...] = ()
    """What the reader decided that the person should know (warnings): a first row of
    numbers taken for column names or for a sample, a time column of clock times not used."""


def load_waveform(
    path: Path,
    column: str | None = None,
    *,
    acc: bool = False,
    progress: ProgressCallback | None = None,
) -> Waveform:
    """Read a waveform, the names of its columns and its time column, from a text / CSV file.

    Layout: optional ``#`` comment lines anywhere (a spreadsheet's ``#N/A`` is no comment but a
    sample missing: :func:`trainer.storage.text_files.is_comment`), blank lines before the data
    and after it (one inside it is a sample left out, refused as a NaN or an ``NA`` is), and
    rows whose sample is missing there too (padding, left out with a note:
    :func:`_without_padding`); an optional header row (a cell neither a number nor a missing
    value makes the first row a header; so do pandas' numbered names,
    :func:`_first_row_is_header`) naming every column of the rows, the last ones possibly empty
    on a row (an event column; names aligned by two spaces or more may hold a space: ``Time
    (s)``; a trailing bracketed unit is ignored when a name is looked up: ``X [mg]`` is ``x``);
    cells separated by commas, semicolons, tabs or whitespace (with semicolons or tabs, 1,5
    reads as 1.5: a European spreadsheet's decimal comma); gzip-compressed files are read too. A
    time column (``time_s``, ``t_s``, ``time_ms``, ``timestamp [ms]``, ``sensor timestamp
    [ns]``, ``Phone timestamp``, as ``import`` reads them; or ``time``, ``t``, ``timestamp``
    without a unit) is read beside the samples (:func:`check_time_column`), unless one without a
    unit holds clock times (a note says so).

    Parameters
    ----------
    path : Path
        The file.
    column : str or None
        Column to read: a header name or a 1-based number; for ``acc``, three of them
        separated by commas. Optional for a single-column file (belt) or a three-column file
        or x/y/z header (acc); a belt column named RSP, Resp, belt or force is found by itself.
    acc : bool
        Read three columns (x, y, z) instead of one.
    progress : callable, optional
        Told the fraction read (:mod:`analysis.progress`), the rows counted as numpy parses
        them: a day of a 100 Hz belt is 150 MB of text.

    Returns
    -------
    Waveform
        The samples, the columns read and the time column.

    Raises
    ------
    UserError
        Missing, empty or unreadable file; lines of text above the header, or a row of units
        under it; a header naming fewer or more columns than the rows hold; an unnamed
        two-column table that is one column of decimal commas; a non-number, an empty,
        missing (``NA``, ``#N/A``) or NaN/infinite cell between samples, an empty line
        inside the data, a value beyond :data:`MAX_ABS_SAMPLE`, or a short row; a column
        found by its name that another shares; the message names the file and line.
    BadArgument
        ``column`` not in the file, or a name two columns share.
    """
    # Shares of the reading, measured on 4 h of a 100 Hz belt: the file read and decoded, the
    # layout checked (line ends, decimal commas, blank lines), then numpy's parsing.
    steps = ProgressSteps(progress)
    text = read_text(path, max_bytes=_MAX_BYTES, what="a waveform file")
    steps(0.15)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, separator = excel_separator(text)
    # Header, preamble and layout are read from the first lines; the rest stays one string
    # (a list of every line took ~20 bytes of objects per byte of file).
    numbered, _ = data_lines(_head(text))
    if not numbered:
        numbered, _ = data_lines(text)  # more than _HEAD_LINES of comments or blank lines
    if not numbered:
        raise UserError(
            f"{path}: no samples ({empty_words(path)})"
            if is_stream(path)
            else f"{path}: empty file (no samples)"
        )
    _refuse_preamble(path, numbered)
    delimiter = separator if separator is not None else delimiter_of(numbered[0][1])
    converted = decimal_points_in_text(text, delimiter)
    if converted is not text:
        text = converted
        numbered, _ = data_lines(_head(text))
    del converted
    first_no, first = numbered[0]
    cells = split_cells(first, delimiter)
    names: list[str] | None = None
    is_header, note = _first_row_is_header(first_no, cells, numbered[1:], delimiter)
    notes = [] if note is None else [note]
    if is_header:
        names = cells
        if len(numbered) < 2:
            raise UserError(f"{path}: no samples after the header")
    body_no, body_line = numbered[1 if names is not None else 0]
    body = text[_line_start(text, body_no) :]
    del text
    if names is None:
        _refuse_decimal_commas(path, body, body_no, delimiter)
    else:
        names = _header_names(path, first_no, first, names, (body_no, body_line), delimiter)
    n_cols = len(names) if names is not None else len(cells)
    cols = _pick_columns(path, first_no, names, n_cols, column, acc)
    body, body_no, padding = _without_padding(body, body_no, delimiter, cols)
    if padding is not None:
        notes.append(padding)
        body_line = next(data_rows(body, body_no))[1]
    blank = _blank_inside(body)
    if blank is not None:
        raise UserError(
            f"{path}:{body_no + blank}: an empty line inside the data, a sample left out (a "
            "spreadsheet writes an empty cell of a one-column table so); breath analysis "
            "needs a continuous signal (split the file at gaps)"
        )
    time_at = _time_column(names)
    if time_at is not None and time_at[1] == "unknown" and time_at[0] not in cols:
        clock_note = _clock_time_note(names, time_at[0], split_cells(body_line, delimiter))
        if clock_note is not None:
            notes.append(clock_note)
            time_at = None
    numeric_time = time_at is not None and time_at[1] != "iso"
    usecols = [*cols, time_at[0]] if time_at is not None and numeric_time else cols
    steps(0.3)
    # Comments are left out here, not by numpy's ``comments="#"``, which cut a row starting
    # with a spreadsheet's #N/A to nothing and skipped it (found in review: 100 such rows
    # were dropped silently, every later breath 2 s early); without a "#" (the usual case),
    # every line goes to numpy's C reader as it is.
    rows = (
        (without_comment(line) for _, line in data_rows(body, body_no))
        if "#" in body
        else iter_lines(body)
    )
    if steps.active:
        # Lines, not rows: a comment or a trailing newline makes the count a row or so high.
        rows = counted(rows, body.count("\n") + 1, ProgressSteps(steps.part(0.3, 0.95)))
    try:
        data = np.loadtxt(
            rows,
            delimiter=delimiter,
            usecols=usecols,
            ndmin=2,
            dtype=np.float64,
            quotechar='"',
            comments=None,
        )
    except ValueError:
        _raise_line_error(path, body, body_no, delimiter, usecols)
        raise UserError(f"{path}: cannot parse the samples") from None
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        no, line = _nth_row(body, body_no, int(np.argmax(bad)))
        raise UserError(
            f"{path}:{no}: {line.strip()[:40]!r} holds a NaN or infinite value; breath "
            "analysis needs a continuous signal (split the file at gaps)"
        )
    samples = data[:, : len(cols)]
    huge = (np.abs(samples) > MAX_ABS_SAMPLE).any(axis=1)
    if huge.any():
        no, line = _nth_row(body, body_no, int(np.argmax(huge)))
        raise UserError(
            f"{path}:{no}: {line.strip()[:40]!r} holds a value beyond ±{MAX_ABS_SAMPLE:g}, "
            "which no breathing sensor measures",
            "check the column and the units of the file",
        )
    time: TimeColumn | None = None
    lines = np.zeros(0, dtype=np.int64)
    if time_at is not None and names is not None:
        index, clock, scale = time_at
        if numeric_time:
            t = data[:, -1] * (1.0 / NS_PER_S if clock in ("unix_ns", "pmd_ns") else scale)
        else:
            t = np.array(
                [
                    parse_time(split_cells(line, delimiter)[index], clock, scale, path, no)
                    for no, line in data_rows(body, body_no)
                ],
                dtype=np.float64,
            )
            t = (t - t[0]) / NS_PER_S
        time = TimeColumn(names[index], clock, t)
        # Only a time column's messages name a sample's line. Without a comment inside the
        # data (the usual case) the samples are on consecutive lines.
        lines = (
            np.fromiter((no for no, _ in data_rows(body, body_no)), np.int64, count=len(data))
            if "#" in body
            else body_no + np.arange(len(data), dtype=np.int64)
        )
    read = tuple(names[c] if names is not None else str(c + 1) for c in cols)
    out = np.ascontiguousarray(samples if acc else samples[:, 0])
    steps.done()
    return Waveform(out, read, time, lines, tuple(notes))


def _index_names(cells: list[str]) -> bool:
    """Whether ``cells`` are 0, 1, ..., the column names ``pandas.DataFrame.to_csv`` writes
    over columns without a name."""
    return bool(cells) and cells == [str(k) for k in range(len(cells))]


def _first_row_is_header(
    first_no: int, cells: list[str], below: list[tuple[int, str]], delimiter: str | None
) -> tuple[bool, str | None]:
    """Whether the first row (``cells``) names the columns, and a note when that is a guess.

    A row with a word in it is a header; a missing value (R's ``NA``, ``#N/A``) is not a
    word but a sample left out, refused as such (found in review: a first ``NA`` became the
    column's name, and the sample was dropped without a word). A row of numbers is a header
    only in pandas' ``to_csv`` layout, whose unnamed columns are named 0, 1, ...: after an
    empty cell over the index column (``,0``; no row of data leaves the first cell empty), or
    alone (``0``) over rows with decimals, with a note (numpy's ``%g`` writes a first sample
    of 0.0 as ``0``). Over integers, ``0`` could be either (a counter, a converter's first
    reading): it is read as a sample, and a note says so. Read as a sample, such a name moved
    every time one sample late (found in review: the first breath lost, 9.743 breaths/min
    for 9.783).
    """
    if any(c and number_or_none(c) is None and not is_missing(c) for c in cells):
        return True, None
    named = cells[: _cell_count(cells)]
    if len(named) >= 2 and named[0] == "" and _index_names(named[1:]):
        return True, None
    if not _index_names(named) or (
        below and split_cells(below[0][1], delimiter)[: len(named)] == named
    ):
        # The second: a row the same under it (a signal at 0 from the start) is data too.
        return False, None
    shown = short_quote(",".join(named) if delimiter is None else delimiter.join(named))
    decimals = any(
        number_or_none(c) is not None and not _INTEGER.fullmatch(c)
        for _, line in below[:_HEAD_LINES]
        for c in split_cells(line, delimiter)
    )
    if not decimals:
        return False, (
            f"line {first_no} ({shown}) is read as the first sample; if it is pandas' name "
            "for an unnamed column (to_csv writes it), delete it: read as a sample, it puts "
            "every time one sample late"
        )
    # Said, as a first sample written without decimals (numpy's %g writes 0.0 as 0) would
    # look the same.
    return True, (
        f"line {first_no} ({shown}) is taken for column names (pandas' to_csv writes them "
        "over unnamed columns), not a sample: the numbers under it have decimals; if it is the "
        "first sample, put a row of names above it"
    )


_INTEGER = re.compile(r"[+-]?\d+")
"""A number written as an integer."""


def _clock_time_note(names: list[str] | None, index: int, row: list[str]) -> str | None:
    """A note for a time column without a unit (``time``) that holds clock times or dates
    (``10:00:00.000``, ``2024-05-01 10:00:00``), which it is not read as, or None when it
    holds numbers. Read as numbers, such a column made the whole file unreadable, even with
    ``--column`` (found in review)."""
    cell = row[index] if index < len(row) else ""
    if names is None or is_missing(cell) or number_or_none(cell) is not None:
        return None
    return (
        f"the column {names[index]!r} holds {short_quote(cell)}, not seconds nor "
        "milliseconds: it is not used to check --fs (a column named time_s or time_ms would "
        "be)"
    )


def _head(text: str) -> str:
    """The first :data:`_HEAD_LINES` lines of ``text``."""
    end = -1
    for _ in range(_HEAD_LINES):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end]


def _line_start(text: str, line_no: int) -> int:
    """Offset in ``text`` of the start of line ``line_no`` (1-based)."""
    pos = 0
    for _ in range(line_no - 1):
        pos = text.index("\n", pos) + 1
    return pos


_BLANK_LINE = re.compile(r"^[ \t\f\v]*$", re.MULTILINE)
"""An empty (or whitespace) line."""


def _blank_inside(body: str) -> int | None:
    """Lines from the first of ``body`` (a row of data) to its first empty line that has data
    after it, or None: one after the last row is layout (a trailing newline)."""
    end = len(body)
    while end > 0:
        # Back over the trailing empty and comment lines, to the end of the last row.
        start = body.rfind("\n", 0, end) + 1
        line = body[start:end].strip()
        if line and not is_comment(line):
            break
        end = start - 1
    blank = _BLANK_LINE.search(body, 0, max(end, 0))
    return None if blank is None else body.count("\n", 0, blank.start())


def _padding_row(line: str, delimiter: str | None, cols: list[int]) -> bool:
    """Whether a row of data has a sample cell missing (``NaN``, ``NA``, empty:
    :func:`trainer.storage.text_files.is_missing`) in one of ``cols``."""
    row = split_cells(without_comment(line) if "#" in line else line, delimiter)
    return all(c < len(row) for c in cols) and any(is_missing(row[c].strip()) for c in cols)


def _lines_text(lines: list[int]) -> str:
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"


def _without_padding(
    body: str, first_no: int, delimiter: str | None, cols: list[int]
) -> tuple[str, int, str | None]:
    """``body`` (rows from line ``first_no``) without the rows before its first sample and
    after its last whose sample is missing, its new first line, and a note naming them.

    A record padded with NaN at its ends (a WFDB export's last samples, pandas' ``diff`` or
    ``rolling`` before the first) is continuous between them: such rows at the ends are left
    out, as empty lines there are, where one inside the data is refused as a sample lost
    (found in review: four NaN at the end of a 600 s PhysioNet record refused the whole file
    with "split the file at gaps"). A file with no sample at all is left to be refused.
    """
    lead: list[int] = []
    real_no = None
    for no, line in data_rows(body, first_no):
        if not _padding_row(line, delimiter, cols):
            real_no = no
            break
        lead.append(no)
    if real_no is None:
        return body, first_no, None
    # Back from the end over the trailing padding rows, comments and empty lines.
    trail_start: list[int] = []
    pos = len(body)
    while pos > 0:
        start = body.rfind("\n", 0, pos) + 1
        stripped = body[start:pos].strip()
        if stripped and not is_comment(stripped):
            if not _padding_row(stripped, delimiter, cols):
                break
            trail_start.append(start)
        pos = start - 1
    if not lead and not trail_start:
        return body, first_no, None
    parts = []
    if lead:
        parts.append(
            f"{len(lead)} before the first sample ({_lines_text(lead)}; the times count from "
            f"line {real_no})"
        )
    if trail_start:
        trail = [first_no + body.count("\n", 0, at) for at in trail_start[::-1]]
        parts.append(f"{len(trail)} after the last sample ({_lines_text(trail)})")
        body = body[: trail_start[-1]]
    body = body[_line_start(body, real_no - first_no + 1) :]
    what = (
        "row whose sample is missing"
        if len(lead) + len(trail_start) == 1
        else ("rows whose sample is missing")
    )
    note = (
        f"left out the {what} (NaN, NA or empty), {' and '.join(parts)}: padding at the ends "
        "of the record, not a gap in it"
    )
    return body, real_no, note


def _nth_row(body: str, first_no: int, index: int) -> tuple[int, str]:
    """``(line number, line)`` of the ``index``-th row of data of ``body`` (errors only)."""
    return next(itertools.islice(data_rows(body, first_no), index, None))


def read_waveform(path: Path, column: str | None = None, *, acc: bool = False) -> FloatArray:
    """The samples of a waveform file (:func:`load_waveform`): shape (n,), or (n, 3) for
    ``acc``; float64, all finite."""
    return load_waveform(path, column, acc=acc).samples


def _data_like(line: str) -> bool:
    """Whether every cell of ``line`` is a number or a value missing (R's ``NA``, a
    spreadsheet's ``#N/A``, :func:`is_missing`): a row of data, not of names or notes. A row
    of data with a sample missing is refused as such, not as text above the column names
    (found in review: ``#N/A`` as the first row under ``rsp`` was called a program's notes).
    """
    delimiter = delimiter_of(line)
    cells = [c for c in split_cells(decimal_points(line, delimiter), delimiter) if c]
    return bool(cells) and all(number_or_none(c) is not None or is_missing(c) for c in cells)


def _refuse_preamble(path: Path, numbered: list[tuple[int, str]]) -> None:
    """Refuse lines of text above the header (a program's notes on the recording: Biopac's
    ``10 msec/sample``), which were read as the header and the first rows of data.

    A table has at most one row of names above its first row of numbers. The row just above
    the data is not counted as text when it has as many cells, one of them a number: it is
    a row of data with a bad cell, which the reader names as such.
    """
    head = numbered[:_PREAMBLE_SCAN]
    data_at = next((i for i, (_, line) in enumerate(head) if _data_like(line)), None)
    if data_at is None or data_at <= 1:
        return
    above_no, above = head[data_at - 1]
    data_no, data_line = head[data_at]
    delimiter = delimiter_of(data_line)
    above_cells = split_cells(above, delimiter)
    if len(above_cells) == len(split_cells(data_line, delimiter)) and any(
        number_or_none(c) is not None for c in above_cells
    ):
        return
    first_no, first = head[0]
    if data_at == 2 and _units_like(above_cells, split_cells(first, delimiter)):
        raise UserError(
            f"{path}:{above_no}: line {above_no} ({short_quote(above.strip())}) looks like the "
            f"units of the columns named on line {first_no} ({short_quote(first.strip())}): "
            "the numbers must follow the names",
            f"delete line {above_no} (a unit can go into a name: 'time [s]', 'rsp [V]')",
        )
    raise UserError(
        f"{path}:{data_no}: the numbers begin on line {data_no}, under {data_at} lines of "
        f"text where a table has one row of column names at most (line {first_no} is "
        f"{short_quote(first.strip())}, line {above_no} {short_quote(above.strip())})",
        "delete the lines above the column names (a program's notes on the recording)",
    )


_UNITS = frozenset(
    [
        "s",
        "sec",
        "secs",
        "second",
        "seconds",
        "ms",
        "msec",
        "min",
        "h",
        "hh:mm:ss",
        "hh:mm:ss.mmm",
        "hh:mm:ss.sss",
        "v",
        "volt",
        "volts",
        "mv",
        "millivolts",
        "uv",
        "µv",
        "μv",
        "microvolts",
        "g",
        "mg",
        "m/s^2",
        "m/s²",
        "m/s2",
        "n",
        "kg",
        "%",
        "a.u.",
        "au",
        "arb",
        "ohm",
        "ohms",
        "kohm",
        "cm",
        "mm",
        "mmhg",
        "bpm",
        "hz",
        "counts",
        "adu",
        "lsb",
    ]
)
"""Units, lower case, that a row of units under the column names holds (WFDB's ``rdsamp
-v``, LabChart, Biopac): a row naming one of them is told from a note over the names."""


def _units_like(cells: list[str], names: list[str]) -> bool:
    """Whether ``cells``, the row under the column names, look like their units: one cell per
    name (two or more, every name a word), none a number, one of them a unit of
    :data:`_UNITS` (``s,V``, ``sec,mV``, ``'hh:mm:ss.mmm','mV'``).

    Such a row is refused, not skipped, as the units it gives are not read; it is named, so
    that the advice is to delete it (found in review: the advice to delete "the lines above
    the column names" had people delete the names and keep the units). Without a known unit,
    a note over the names (``Recorded,2024-05-01`` over ``time,rsp``) would look the same.
    """
    return (
        len(names) >= 2
        and len(cells) == len(names)
        and all(n and number_or_none(n) is None for n in names)
        and all(number_or_none(c) is None for c in cells)
        and any(c.strip("'[]()").lower() in _UNITS for c in cells)
    )


def _cell_count(cells: list[str]) -> int:
    """Cells of a row without the empty ones a trailing separator leaves."""
    n = len(cells)
    while n and not cells[n - 1]:
        n -= 1
    return n


def _header_names(
    path: Path,
    header_no: int,
    header: str,
    names: list[str],
    row: tuple[int, str],
    delimiter: str | None,
) -> list[str]:
    """The header's names, one per cell of the rows, or a UserError naming both counts.

    Names and cells are matched by position, so a header with a name fewer or more than the
    rows have cells makes ``--column NAME`` read the column beside the one named (found in
    review: ``--column rsp`` of R's ``write.csv`` output read the abdomen column). In a
    table separated by spaces, names aligned by two spaces or more may hold one
    (``Time (s)   Resp``).
    """
    row_no, row_line = row
    row_cells = split_cells(row_line, delimiter)
    n_names, n_cells = _cell_count(names), _cell_count(row_cells)
    if n_names == n_cells or n_cells < n_names <= len(row_cells):
        # The second: the last columns, named, are empty on this row (an event or marker
        # column, filled where something happened): real cells, not a trailing separator's
        # (found in review: "time_s,rsp,event" over "0.00,0.49," was refused).
        return names
    if delimiter is None:
        aligned = [c.strip('"') for c in re.split(r"\s{2,}", header.strip())]
        if len(aligned) == n_cells:
            return aligned
    other = delimiter_of(row_line)
    if other != delimiter and _cell_count(split_cells(row_line, other)) == n_names:
        raise UserError(
            f"{path}:{row_no}: the header (line {header_no}) is separated by "
            f"{_SEPARATOR_NAMES[delimiter]} but the rows (line {row_no} on) by "
            f"{_SEPARATOR_NAMES[other]}",
            "use one separator in the whole file",
        )
    why = ""
    if n_cells == n_names + 1 and row_cells[0].isdigit():
        why = (
            ": the rows start with a column the header does not name, numbered as R's "
            "write.csv and write.table write row names (write the file with row.names = FALSE)"
        )
    elif delimiter is None and n_names > n_cells:
        why = (
            ": in a table separated by spaces a name with a space in it counts as two "
            "(separate the columns with tabs or commas, or align the names by two spaces)"
        )
    hint = decimal_comma_hint(row_line) if delimiter == "," else ""
    raise UserError(
        f"{path}:{row_no}: the header (line {header_no}) has {n_names} names but the rows "
        f"have {n_cells} cells, so which name is which column cannot be told{why}{hint}",
        "make the header name every column of the rows, in order",
    )


_SEPARATOR_NAMES: dict[str | None, str] = {
    ",": "commas",
    ";": "semicolons",
    "\t": "tabs",
    None: "spaces",
}
"""The separators :func:`trainer.storage.decimal_comma.delimiter_of` finds, as a message names
them (None: runs of blanks)."""


def _refuse_decimal_commas(path: Path, body: str, first_no: int, delimiter: str | None) -> None:
    """Refuse an unnamed comma-separated table that is one column of decimal commas.

    ``0,00346`` read as two columns analysed the integer parts or the fractions as a signal
    (found in review: 5.96 and 10.25 breaths/min from a 6/min belt). Two genuine integer
    columns (``512,498``) never write a fraction with a leading zero nor a ``-0`` whole part;
    decimal commas of a signal near zero do.
    """
    if delimiter != "," or not one_column_of_decimal_commas(
        line for _, line in data_rows(body, first_no)
    ):
        return
    no, line = _nth_row(body, first_no, 0)
    raise UserError(
        f"{path}:{no}: {short_quote(line.strip())} reads as 2 columns, but every row looks "
        f"like one number with a decimal comma{decimal_comma_hint(line)}",
        "write decimal points, or separate columns with semicolons (then 0,5 reads as 0.5)",
    )


def _time_column(names: list[str] | None) -> tuple[int, str, float] | None:
    """Index, clock and scale of the header's time column, or None.

    The names and clocks are ``import``'s (:data:`trainer.storage.importers.TIME_COLUMNS`), a
    device's clock before a phone's (which stamps rows in batches), then a name without a
    unit (:data:`UNITLESS_TIME`, clock ``unknown``).
    """
    if names is None:
        return None
    keys = [column_key(n) for n in names]
    known = sorted(
        (name for name in TIME_COLUMNS if name in keys),
        key=lambda name: TIME_COLUMNS[name][0] == "iso",
    )
    if known:
        clock, scale = TIME_COLUMNS[known[0]]
        return keys.index(known[0]), clock, scale
    bare = next((name for name in UNITLESS_TIME if name in keys), None)
    return None if bare is None else (keys.index(bare), "unknown", 1.0)


BATCH_GRID_TOLERANCE = 0.01
"""How far, as a fraction of its smallest move, a move of a time column that repeats may lie
from a whole number of that move and still be on its grid (:func:`_rate_and_gaps`). A column
written coarsely (whole seconds) moves by whole numbers of its step only, up to the float error
of its decimals; one stamped per batch in milliseconds moves by 85-115 ms (the review's phone
logger: 101/85 = 1.19 of its smallest move)."""


class _TimeSteps(NamedTuple):
    """What a time column's steps say (:func:`_rate_and_gaps`)."""

    rate: float
    """Samples per unit of time over the steps that are not gaps; 0 when no regular step is
    left to count them over (a column that repeats, whose every regular move but the first is
    next to a gap)."""
    gaps: NDArray[np.bool_]
    """For each step, whether it is a gap."""
    resolution: float
    """For a column that repeats each time over several samples (median step 0), its smallest
    move, the base a gap is measured from; else 0."""
    batched: bool
    """Whether such a column's moves are not whole numbers of its smallest
    (:data:`BATCH_GRID_TOLERANCE`): times stamped per batch of samples as they arrive (a
    phone logger's), written finely, not a coarse column."""


def _rate_and_gaps(steps: FloatArray, gap: float) -> _TimeSteps:
    """The rate, the gaps and the kind of a time column, from its steps (:class:`_TimeSteps`).

    A gap is a step over the median step by more than ``gap``. A column that repeats each time
    over several samples has a median step of 0: written coarser than the samples come (whole
    seconds at 50 Hz: 0, 0, ..., 1, 1, ...), or stamped per batch of samples as they arrive
    (epoch milliseconds, five samples a time, 85-115 ms apart). Its smallest move is then the
    base a gap is measured from (found in review: every 1 s step was a gap, and the rate came
    out infinite), and its rate is counted between the first samples of consecutive times,
    where the moves into both are regular: the samples sharing a time that is entered or left
    by a gap, or the first or the last, a part of a step each, do not bias it; it is then off
    by at most a sample at each end. A column whose regular moves are each next to a gap (0,
    then 10, then 40 s) gives no rate: 0 (before, a division by zero).
    """
    median = float(np.median(steps))
    moved = np.flatnonzero(steps > 0.0)
    resolution = float(steps[moved].min()) if median == 0.0 and moved.size else 0.0
    gaps = steps > max(median, resolution) + gap
    batched = False
    if resolution > 0.0 and moved.size >= 2:
        multiples = steps[moved] / resolution
        batched = bool(np.any(np.abs(multiples - np.round(multiples)) > BATCH_GRID_TOLERANCE))
        regular = ~gaps[moved]
        pairs = regular[:-1] & regular[1:]
        span = float(steps[moved[1:]][pairs].sum())
        count = int(np.diff(moved)[pairs].sum())
    else:
        span = float(steps[~gaps].sum())
        count = int(np.count_nonzero(~gaps))
    return _TimeSteps(count / span if span > 0.0 else 0.0, gaps, resolution, batched)


def _coarse_notes(name: str, read: _TimeSteps, fs_hz: float) -> list[str]:
    """The warning for a time column written coarser than the sample step, if it is.

    A column stamped per batch of samples as they arrive (:attr:`_TimeSteps.batched`) is
    written finely: its repeats are batches, as a phone's are, and no resolution is claimed
    for it (its smallest step between batches was called one: "written to 0.085 s" for
    epoch milliseconds, review).
    """
    if read.resolution <= 0.0 or read.batched:
        return []
    return [
        f"the time column {name!r} is written to {read.resolution:g} s, coarser than the "
        f"{1.0 / fs_hz:.4g} s between samples: it gives {read.rate:.4g} Hz over the recording, "
        f"but a gap shorter than {read.resolution:g} s would not show in it"
    ]


def _matches(rate: float, fs_hz: float, slack: float) -> bool:
    return abs(rate - fs_hz) <= (FS_TOLERANCE + slack) * fs_hz


def time_column_rate(wave: Waveform) -> str | None:
    """What the time column says of the sampling rate, for a message, or None."""
    tc = wave.time
    if tc is None or tc.t.size < 2:
        return None
    # The gaps check_time_column allows for (a column without a unit read as seconds), so that
    # the rate said without --fs is the one a wrong --fs is refused with.
    rate = _rate_and_gaps(np.diff(tc.t), PHONE_TIME_GAP_S if tc.clock == "iso" else TIME_GAP_S).rate
    if rate <= 0.0:
        # A column that does not advance, or whose regular steps are each next to a gap, is
        # refused once --fs is given.
        return None
    if tc.clock != "unknown":
        return f"the time column {tc.name!r} gives {rate:.4g} Hz"
    return (
        f"the column {tc.name!r} steps by {1.0 / rate:.4g}: {rate:.4g} Hz if in seconds, "
        f"{1000.0 * rate:.4g} Hz if in milliseconds"
    )


def check_time_column(path: Path, wave: Waveform, fs_hz: float) -> tuple[list[str], float | None]:
    """Check the samples' time column against ``fs_hz``: a wrong --fs or a gap went unnoticed.

    The rate is the number of steps over their sum, gaps left out; a gap is a step over the
    median one by more than :data:`TIME_GAP_S` (:data:`PHONE_TIME_GAP_S` for a phone's
    batched times). A rate within :data:`FS_TOLERANCE` of ``fs_hz`` (plus the phone's 2 s
    over the recording) matches. A column without a unit (:data:`UNITLESS_TIME`) is tried
    as seconds, then milliseconds.

    Returns
    -------
    warnings : list of str
        For a column without a unit that matches in neither.
    rate_hz : float or None
        The rate the column gives (None when there is no time column).

    Raises
    ------
    UserError
        Times that go back, a rate that does not match ``fs_hz`` or a gap, in a column whose
        name gives its unit; naming both rates, or the line of the gap.
    """
    tc = wave.time
    if tc is None or tc.t.size < 2:
        return [], None
    steps = np.diff(tc.t)
    back = np.flatnonzero(steps < 0.0)
    if back.size:
        k = int(back[0])
        raise UserError(
            f"{path}:{wave.lines[k + 1]}: the time column {tc.name!r} goes back by "
            f"{-float(steps[k]):.6g}",
            "sort the rows by time",
        )
    gap = PHONE_TIME_GAP_S if tc.clock == "iso" else TIME_GAP_S
    span = float(tc.t[-1] - tc.t[0])
    if span <= 0.0 and tc.clock == "unknown":
        return [f"the column {tc.name!r} does not advance: it is not taken for the time"], None
    if span <= 0.0:
        raise UserError(
            f"{path}: the time column {tc.name!r} does not advance (every time is "
            f"{float(tc.t[0]):g}), so it is not the samples' times",
            "remove it from the file, or rename it",
        )
    slack = PHONE_TIME_GAP_S / span if tc.clock == "iso" and span > 0.0 else 0.0
    if tc.clock == "unknown":
        for per_s in (1.0, 1000.0):
            read = _rate_and_gaps(steps / per_s, gap)
            # A coarse column's rate is off by up to a sample at each end: one of its steps
            # over the recording. One that gives no rate does not contradict --fs, and has
            # gaps (:func:`_rate_and_gaps`): they are refused as a matching column's are.
            if read.rate <= 0.0 or _matches(
                read.rate, fs_hz, slack + read.resolution * per_s / span
            ):
                _refuse_gaps(path, wave, steps / per_s, read, fs_hz)
                return _coarse_notes(tc.name, read, fs_hz), round(read.rate, 4)
        return [
            f"{time_column_rate(wave)}, not --fs {fs_hz:g}: is --fs right? (named time_s or "
            "time_ms, the column would be checked, and a mismatch refused)"
        ], None
    read = _rate_and_gaps(steps, gap)
    rate = read.rate
    if rate <= 0.0:
        # No regular step to check --fs against (0, then 10, then 40 s): the gaps are what is
        # wrong with it (before, a division by zero).
        _refuse_gaps(path, wave, steps, read, fs_hz)
    if not _matches(rate, fs_hz, slack + read.resolution / span):
        raise UserError(
            f"{path}: --fs {fs_hz:g} Hz, but the time column {tc.name!r} gives {rate:.4g} Hz "
            f"(a step of {1.0 / rate:.4g} s): read at --fs {fs_hz:g}, every duration would "
            f"come out {rate / fs_hz:.3g} times the true one, every rate {fs_hz / rate:.3g} "
            "times",
            f"give --fs {rate:.4g}",
        )
    _refuse_gaps(path, wave, steps, read, fs_hz)
    # A phone's times are written per batch of samples as they arrive (Polar Sensor Logger's
    # "Phone timestamp"), not coarse: their batches are what PHONE_TIME_GAP_S allows for.
    notes = _coarse_notes(tc.name, read, fs_hz) if tc.clock != "iso" else []
    return notes, round(rate, 4)


def _refuse_gaps(
    path: Path, wave: Waveform, steps_s: FloatArray, read: _TimeSteps, fs_hz: float
) -> None:
    """Refuse steps of the time column that are samples missing, as a NaN is refused; in a
    column that repeats (:attr:`_TimeSteps.resolution`), a step over its smallest move."""
    gaps = read.gaps
    where = np.flatnonzero(gaps)
    if not where.size:
        return
    k = int(where[0])
    resolution_s = read.resolution
    step = max(resolution_s, 1.0 / fs_hz)
    if read.batched:
        moves = steps_s[(steps_s > 0.0) & ~gaps]
        # At least: a batch may have been due as late as the longest step between batches.
        step = float(moves.max())
        expected = (
            f"where the column, stamped per batch of samples, steps by "
            f"{float(moves.min()):.4g}-{float(moves.max()):.4g} s between batches"
        )
    elif resolution_s:
        expected = f"where the column, written to {resolution_s:g} s, steps by {resolution_s:g} s"
    else:
        expected = f"where {fs_hz:g} Hz steps by {1.0 / fs_hz:.4g} s"
    missing = float((steps_s[gaps] - step).sum())
    assert wave.time is not None
    raise UserError(
        f"{path}:{wave.lines[k + 1]}: the time column {wave.time.name!r} jumps by "
        f"{float(steps_s[k]):.4g} s after line {wave.lines[k]}, {expected} ({where.size} such "
        f"gap{'s' if where.size > 1 else ''}, {'at least ' if resolution_s else ''}"
        f"{missing:.4g} s missing in all); breath analysis needs a continuous signal (split "
        "the file at gaps)"
    )


def _raise_line_error(
    path: Path, body: str, first_no: int, delimiter: str | None, cols: list[int]
) -> None:
    """Find the first bad line of ``body`` (the rows, from line ``first_no``; slow pass,
    errors only) and raise a UserError naming it."""
    need = max(cols) + 1
    for no, line in data_rows(body, first_no):
        row = split_cells(line, delimiter)
        if len(row) < need:
            other = delimiter_of(line)
            if other != delimiter and len(split_cells(line, other)) >= need:
                # A row pasted from another program (found in review: "row has 1 columns"
                # for a row of two values separated by ";" among rows separated by ",").
                raise UserError(
                    f"{path}:{no}: line {no} is separated by {_SEPARATOR_NAMES[other]} where "
                    f"the rows before it use {_SEPARATOR_NAMES[delimiter]}",
                    "use one separator in the whole file",
                )
            raise UserError(f"{path}:{no}: row has {len(row)} columns, expected at least {need}")
        for c in cols:
            cell = row[c].strip().strip('"')
            if cell == "":
                raise UserError(f"{path}:{no}: empty cell in column {c + 1}")
            if is_missing(cell):
                raise UserError(
                    f"{path}:{no}: {short_quote(cell)} is not a number: a sample missing (a "
                    "spreadsheet's or R's mark for a value it has not); breath analysis needs "
                    "a continuous signal (split the file at gaps)"
                )
            if number_or_none(cell) is None:
                # Whether its column groups thousands is asked only of a comma number.
                grouped = "," in cell and groups_thousands(body, delimiter)
                raise UserError(
                    f"{path}:{no}: {cell[:40]!r} is not a number"
                    f"{decimal_comma_hint(cell, grouped=grouped)}"
                )


def _breath_row(b: Breath) -> dict[str, Any]:
    def num(v: float) -> float | None:
        return round(v, 4) if math.isfinite(v) else None

    return {
        "inhale_onset_s": num(b.inhale_onset_s),
        "exhale_onset_s": num(b.exhale_onset_s),
        "end_s": num(b.end_s),
        "inhale_s": num(b.inhale_s),
        "exhale_s": num(b.exhale_s),
        "pause_s": num(b.pause_s),
        # Unmeasured (inf, or 0 for a fall that took no time) is null, as everywhere ratios
        # are used (ratio_measured): 0.0 passed for a value, and the median of such ratios.
        "ratio": num(b.ratio) if ratio_measured(b.ratio) else None,
        "depth": float(f"{b.depth:.6g}"),
        "quality": b.quality,
    }


def _median_rate(rates: list[float]) -> float | None:
    return round(float(np.median(rates)), 3) if rates else None


def _check_fs(fs: float, minimum: float, what: str) -> float:
    if not (math.isfinite(fs) and minimum <= fs <= MAX_FS_HZ):
        raise BadArgument(
            f"--fs must lie within {minimum:g}-{MAX_FS_HZ:g} Hz for {what}, got {fs!r}"
        )
    return float(fs)


READ_SHARE = {"belt": 0.4, "acc": 0.1}
"""Share of ``breaths``' work on a waveform that reading the file takes, by source, for the
progress bar: 3.9 of 9.5 s on 4 h of a 100 Hz belt; 2.3 of 22.7 s on 1 h of a 200 Hz
accelerometer, whose tracker takes most of the rest (profiled, 2 busy cores)."""
DETECT_SHARE = {"belt": 0.6, "acc": 0.9}
"""Share of :func:`analyse_samples`' work that the breath detector takes, by source, for the
progress bar; the signal checks take the rest (same profiles as :data:`READ_SHARE`)."""


def _analyse_waveform(
    input: Path,
    fs: float | None,
    column: str | None,
    source: str,
    invert: bool = False,
    progress: ProgressCallback | None = None,
    inhale_longer: bool = False,
) -> dict[str, Any]:
    """The result of ``breaths`` on a waveform file (JSON's fields); its warnings are the
    caller's to say. ``progress`` is told the fraction done (:mod:`analysis.progress`);
    ``inhale_longer`` is :func:`analyse_samples`'."""
    acc = source == "acc"
    what = "an accelerometer" if acc else "a belt"
    if fs is None:
        refuse_a_recording(input, what="a waveform file")
        try:
            implied = time_column_rate(load_waveform(input, column, acc=acc))
        except UserError:
            implied = None  # the file's own problem is said once --fs is given
        raise BadArgument(
            f"--fs is required for a waveform file (samples per second of {what})"
            + (f"; {implied}" if implied else "")
        )
    fs_hz = _check_fs(fs, ACC_MIN_FS_HZ if acc else BELT_MIN_FS_HZ, what)
    steps = ProgressSteps(progress)
    read_share = READ_SHARE[source]
    wave = load_waveform(input, column, acc=acc, progress=steps.part(0.0, read_share))
    time_warnings, time_rate = check_time_column(input, wave, fs_hz)
    n = wave.samples.shape[0]
    duration = n / fs_hz
    needed = math.ceil(MIN_DURATION_S * fs_hz)
    if n < needed:
        # Counted in samples: a duration rounded for display could read as enough.
        raise UserError(
            f"{input}: only {n} samples ({_short_of(duration, MIN_DURATION_S)} s at "
            f"{fs_hz:g} Hz); breath analysis needs at least {MIN_DURATION_S:g} s ({needed} "
            "samples)"
        )
    settings: dict[str, Any] = {
        "software": SOFTWARE,
        # Which recording this is, as --rr's settings say (a JSON kept beside many files).
        "file": str(input),
        "fs_hz": fs_hz,
        # The column analysed, also when found by itself (by its name, or the only one).
        "column": ",".join(wave.columns),
        "time_column": None if wave.time is None else wave.time.name,
        "time_column_rate_hz": time_rate,
        "samples": n,
        "duration_s": round(duration, 3),
        "time_origin": "first sample = 0 s",
    }
    unit = _acc_unit(input, wave.columns) if acc else None
    gravity = None
    if acc:
        try:
            gravity = gravity_magnitude(wave.samples, fs_hz)
        except ValueError as error:
            raise UserError(f"{input}: {error}") from None
    analysed = analyse_samples(
        wave.samples,
        fs_hz,
        source=source,
        invert=invert,
        column=column,
        unit=unit,
        gravity=gravity,
        progress=steps.part(read_share, 1.0),
        inhale_longer=inhale_longer,
    )
    steps.done()
    warnings = [*wave.notes, *time_warnings, *analysed.warnings]
    settings |= analysed.settings
    settings["warnings"] = warnings  # the output's keys are the issue's; notes go here
    return {
        "breaths": [_breath_row(b) for b in analysed.breaths],
        "rate_bpm": analysed.rate_bpm,
        "variability": analysed.variability.as_dict(),
        "source": source,
        "settings": settings,
    }


@dataclass(frozen=True)
class SampleAnalysis:
    """What ``breathwise breaths`` finds in a waveform's samples (:func:`analyse_samples`).

    Attributes
    ----------
    breaths : list of Breath
        The breaths as listed, times in s from the first sample: each ends at the next one's
        inhale onset (:func:`analysis.breath.settle_ends`), artifacts included.
    rate_bpm : float or None
        The headline rate, breaths/min, rounded to 0.001 as output: the median of 60 / (end -
        inhale onset) over ``breaths`` that are not artifacts; ``None`` without any.
    variability : BreathVariability
        Breath-to-breath variability of ``breaths`` (:mod:`analysis.breath_variability`).
    warnings : list of str
        The warnings about the signal, in the order they are given.
    settings : dict
        The analysis's entries of the output's ``settings`` (method, detector, the checks'
        measures), in output order.
    """

    breaths: list[Breath]
    rate_bpm: float | None
    variability: BreathVariability
    warnings: list[str]
    settings: dict[str, Any]


def analyse_samples(
    samples: FloatArray,
    fs_hz: float,
    *,
    source: str = "belt",
    invert: bool = False,
    column: str | None = None,
    unit: str | None = None,
    gravity: float | None = None,
    progress: ProgressCallback | None = None,
    inhale_longer: bool = False,
) -> SampleAnalysis:
    """The analysis of ``breathwise breaths`` on samples already read, as the command runs it.

    The command reads the file, checks its time column and length, then calls this; the
    validation report (``benchmarks/validate_breath.py``) calls it too, so that its rows on
    the real recordings are what the command gives.

    Parameters
    ----------
    samples : ndarray
        The waveform as recorded, shape (n,) for a belt or (n, 3) for an accelerometer (x, y,
        z), at least :data:`MIN_DURATION_S` long.
    fs_hz : float
        Sampling rate, Hz.
    source : {"belt", "acc"}
        The sensor: a belt (:func:`analysis.breath.detect_breaths`) or a chest accelerometer
        (:class:`analysis.acc_breath.AccBreathTracker`).
    invert : bool
        A belt that falls on inhale: analyse ``-samples``.
    column : str or None
        The ``--column`` asked for, named in warnings that the column holds no breathing.
    unit : str or None
        Accelerometer only: the unit the file's header states (a symbol of
        :data:`ACC_UNITS`, or as written), said in the settings; a known one is checked
        against the gravity measured.
    gravity : float or None
        Accelerometer only: the magnitude of gravity in the samples' units, which scales the
        analysis (:class:`analysis.acc_breath.AccBreathTracker`); None measures it
        (:func:`analysis.acc_breath.gravity_magnitude`).
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): the samples fed to the detector,
        then the signal checks one by one (:data:`DETECT_SHARE`). The result is the same.
    inhale_longer : bool
        Accelerometer only: the person breathed in for longer than out (exhale:inhale below
        1), so a breath falling faster than it rises orients the signal
        (:attr:`analysis.acc_breath.AccBreathTracker.inhale_longer`); without it, such
        breathing reads upside down, its ratio inverted.

    Returns
    -------
    SampleAnalysis
        The breaths as listed, the rate, the variability, warnings and settings.

    Raises
    ------
    ValueError
        An accelerometer whose samples hold no gravity, when ``gravity`` is None
        (:func:`analysis.acc_breath.gravity_magnitude`).
    """
    acc = source == "acc"
    data = -samples if invert else samples
    n = data.shape[0]
    duration = n / fs_hz
    settings: dict[str, Any] = {}
    warnings: list[str] = []
    told = ProgressSteps(progress)
    detected = DETECT_SHARE[source]
    # The checks' shares of what is left after the detector, in the order they run, as
    # profiled on a 4 h belt: clipping 0.1, converter step 0.1, noise windows 0.1, power
    # spectrum 0.25, held runs 0.3, the ends and the rest 0.15.
    after: dict[str, float] = {}
    at = detected
    for check, share in (
        ("clipped", 0.1),
        ("coarse", 0.1),
        ("noise", 0.1),
        ("spectrum", 0.25),
        ("held", 0.3),
    ):
        at += share * (1.0 - detected)
        after[check] = at
    if not acc:
        settings["inverted"] = invert
    if acc:
        merged = 0  # the accelerometer's tracker keeps no such count
        g = gravity_magnitude(data, fs_hz) if gravity is None else gravity
        tracker = AccBreathTracker(fs_hz, gravity=g, inhale_longer=inhale_longer)
        settings["inhale_longer"] = inhale_longer
        found = fed_in_parts(tracker.update, data, told.part(0.0, detected))
        settings["method"] = (
            f"chest ACC: 1.5 Hz low-pass, gravity ({GRAVITY_TAU_S:g} s) for the posture-change "
            "hold and the adaptive principal axis (30 s), the breathing projected from the "
            "posture's first sample (no high-pass), then the belt detector, its hysteresis at "
            f"least {ACC_NOISE_K:g} times the sensor noise measured across the breathing; "
            "thresholds in thousandths of the gravity measured, so any unit gives the same "
            "breaths"
        )
        settings["working_fs_hz"] = tracker.work_fs_hz
        settings["posture_changes"] = tracker.posture_changes
        # The unit the header states (depths are in it), and the scale the analysis took.
        settings["unit"] = unit
        settings["gravity"] = float(f"{g:.6g}")
        warnings += _doubted_unit(unit, g)
    else:
        # detect_breaths' tracker, kept to ask how many breaths absorbed too short a cycle.
        belt_tracker = BreathTracker(fs_hz, cutoff_hz=BELT_CUTOFF_HZ)
        found = fed_in_parts(belt_tracker.update, data, told.part(0.0, detected))
        merged = belt_tracker.merged_breaths
        settings["method"] = (
            f"belt: causal {BELT_CUTOFF_HZ:g} Hz Butterworth low-pass, adaptive hysteresis "
            "turning points, phases timed by raised-cosine fits on the raw signal, each "
            "breath's rise and fall through one shared peak (robust Gauss-Newton; corner rule "
            "where a phase does not fit)"
        )
    settings["detector"] = {
        "cutoff_hz": BELT_CUTOFF_HZ,
        "rel_delta": 0.3,
        "onset_fraction": 0.05,
        "max_rate_bpm": round(60.0 / MIN_BREATH_S, 3),
    }
    # The whole file is here: each breath ends at the next one's fitted inhale onset.
    settings["ends"] = "next breath's inhale onset (analysis.breath.settle_ends)"
    clipped = clipped_fraction(data)
    told(after["clipped"])
    settings["clipped_fraction"] = round(clipped, 4)
    flat = [i for i, col in enumerate(data.reshape(n, -1).T) if np.ptp(col) == 0.0]
    if flat:
        # A constant column is a sensor that is off or unplugged, not one driven past its range.
        which = "" if data.ndim == 1 else f" (column {', '.join('xyz'[i] for i in flat)})"
        warnings.append(
            f"the signal is flat{which}: every sample has the same value, so it holds no "
            "breathing (sensor off or not worn?)"
        )
    elif clipped > CLIPPED_WARN_FRACTION:
        warnings.append(
            f"{100 * clipped:.0f} % of the samples sit at exactly the signal's minimum or "
            "maximum: the sensor looks saturated (clipped), so breath times, ratios and even "
            "the count may not be the breathing's"
        )
    if not flat and not acc:
        step = quantisation_step(data)
        depths = [b.depth for b in found if b.quality != "artifact"]
        steps = float(np.median(depths)) / step if depths and step > 0.0 else math.inf
        if steps < MIN_DEPTH_STEPS:
            # Few levels everywhere is a coarse converter (or a belt with little stretch), not
            # clipping, although its extremes hold many samples too.
            warnings.append(
                f"the signal is coarse: its breaths are a median of {steps:.1f} steps deep (a "
                f"step of {step:g}, the converter's resolution), so breath times and ratios are "
                f"only as fine as those steps; breaths under {MIN_DEPTH_STEPS} steps are marked "
                "uncertain (more gain, a finer converter or a tighter belt would help)"
            )
    told(after["coarse"])
    if looks_too_fast(found, MIN_BREATH_S):
        warnings.append(
            "most breaths are uncertain and shorter than "
            f"{2 * MIN_BREATH_S:g} s: breathing faster than {60.0 / MIN_BREATH_S:g} "
            f"breaths/min (cycles under {MIN_BREATH_S:g} s) is taken for wiggles and merged, "
            "so it reads at half its rate"
        )
    elif merged >= max(MIN_MERGED_WARN, MERGED_WARN_SHARE * len(found)):
        # Near the limit only some cycles fall under it: at 80/min with 5 % breath-to-breath
        # variability a third were merged, silently, and the rate read 76 (review 28, F8).
        warnings.append(
            f"{merged} breaths took in a cycle shorter than {MIN_BREATH_S:g} s (faster than "
            f"{60.0 / MIN_BREATH_S:g} breaths/min), merged as a wiggle: breathing this fast "
            "is undercounted, and the rate reads low"
        )
    if not flat:
        warnings += _nothing_measured(data, duration, found, column)
    if acc and not flat:
        warnings += _time_like_axes(data, duration, column)
    if not acc and not flat:
        lag1 = lag1_autocorrelation(data)
        settings["lag1_autocorrelation"] = round(lag1, 4)
        # The detector finds "breaths" in any wander of the low-passed signal; white noise (a
        # disconnected input, a random column, a belt that came off) has plenty. Judged window
        # by window, so that a belt that comes off halfway keeps its breathing half.
        noisy = noise_stretches(data, fs_hz)
        told(after["noise"])
        if noisy == [(0, n)] and found:
            warnings.append(
                f"the signal looks like noise, not breathing: consecutive samples are nearly "
                f"unrelated (lag-1 autocorrelation {lag1:.2f}, where breathing reads above "
                f"0.7): the {len(found)} breaths found in it are marked artifacts and no rate "
                "is given; is it the right column, and is the sensor connected?"
            )
            found = [replace(b, quality="artifact") for b in found]
        else:
            notes: list[str] = []
            if noisy:
                found, notes = _mark_noise(found, data, fs_hz, noisy)
                warnings += notes
            doubt = _not_breathing(data, fs_hz, settings, column)
            told(after["spectrum"])
            if found and not notes and doubt:
                # Noise has its own warning (and its power lies faster than breathing too).
                # A breath of a signal that may not be breathing is not a good one: a
                # researcher filtering on quality kept an ECG's 90-s "breaths" (review).
                warnings += doubt
                found = [
                    replace(b, quality="uncertain") if b.quality == "good" else b for b in found
                ]
        upside_down, skew = looks_inverted(data, fs_hz, found, cutoff_hz=BELT_CUTOFF_HZ)
        settings["slope_skewness"] = round(skew, 3)
        if upside_down:
            good = good_ratios(found)
            warnings.append(
                "the breaths may be upside down: the signal rises slowly and falls fast "
                f"(median exhale:inhale ratio {float(np.median(good)):.2f}, slope skewness "
                f"{skew:+.2f}). That is also what breathing in for longer than out gives (a "
                "pacer's ratio under 1): if so, the numbers are right as they are; only if "
                "the belt falls on inhale, run again "
                + ("without --invert" if invert else "with --invert")
            )
    held = [] if flat else held_runs(data, fs_hz, found)
    told(after["held"])
    if held:
        found, note = _mark_held(found, held, fs_hz)
        warnings.append(note)
    if not flat:
        warnings += _unmeasured_ratios(found)
    settled = settle_ends(found)
    if not flat:
        warnings += _little_covered(settled, duration)
    # From the breaths as listed (each ends at the next one's inhale onset), so that the
    # headline is reproducible from the table; the corner-timed Breath.rate_bpm read 19.23 on
    # wfdb 03700181 where the onsets give 18.05 (docs/validation/breathing.md, section 5).
    rates = [60.0 / (b.end_s - b.inhale_onset_s) for b in settled if b.quality != "artifact"]
    rate = _median_rate(rates)
    if rate is not None and rate < TOO_SLOW_BPM:
        warnings.append(_too_slow(rate, settled))
    # On the breaths as listed: their ends settled, the joins between them are too.
    variability = breath_variability(settled)
    told.done()
    return SampleAnalysis(settled, rate, variability, warnings, settings)


def _mark_held(
    found: list[Breath], held: list[tuple[int, int]], fs_hz: float
) -> tuple[list[Breath], str]:
    """Mark the breaths overlapping runs of repeated samples (:func:`held_runs`) as artifacts,
    and say where the runs are."""
    spans = [(a / fs_hz, (b - 1) / fs_hz) for a, b in held]
    out = [
        replace(b, quality="artifact")
        if any(b.inhale_onset_s <= hi and lo <= b.end_s for lo, hi in spans)
        else b
        for b in found
    ]
    marked = sum(1 for a, b in zip(found, out, strict=True) if a is not b)
    where = ", ".join(f"{lo:.2f}-{hi:.2f} s" for lo, hi in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    total_s = sum(hi - lo for lo, hi in spans)
    them = "it" if len(spans) == 1 else "them"
    if marked == 0:
        which = f"No breath overlaps {them}"
    elif marked == 1:
        which = f"The breath overlapping {them} is marked as an artifact"
    else:
        which = f"The {marked} breaths overlapping {them} are marked as artifacts"
    return out, (
        f"the signal repeats exactly the same value over {where}{more} ({total_s:.1f} s in "
        "all), which neither a sensor with noise nor a pause in the breathing explains: a "
        f"logger holding its last sample through a dropout? {which}"
    )


def _not_breathing(
    data: FloatArray, fs_hz: float, settings: dict[str, Any], column: str | None
) -> list[str]:
    """A warning when a belt signal's power up to a few Hz lies mostly outside breathing rates
    (:func:`power_shares`): another column chosen by mistake, such as an ECG (whose "breaths"
    were 0.1-91 s long, 90-s inhales marked good, at a plausible 23.9/min) or skin
    conductance (4.8/min); mains hum or sensor noise above :data:`BREATHING_POWER_TOP_HZ` on a
    belt does not count; nor does a local event (a step of the baseline, a logger's -9999:
    :func:`breathing_power`). The shares go in the settings."""
    power = breathing_power(data, fs_hz)
    settings["power_shares"] = {
        "slower": round(power.whole.slower, 3),
        "breathing": round(power.whole.breathing, 3),
        "faster": round(power.whole.faster, 3),
        "stretches": power.stretches,
        "median_stretch_breathing": round(power.median_stretch.breathing, 3),
    }
    found = power.not_breathing()
    if found is None:
        return []
    side, shares = found
    of_it = "its" if shares is power.whole else f"the median of its {power.stretches} stretches'"
    lo, hi = BREATHING_BAND_HZ
    if side == "faster":
        like = f"{100 * shares.faster:.0f} % lies faster, as in an ECG or a pulse wave"
    else:
        like = (
            f"{100 * shares.slower:.0f} % lies slower, with no breathing rhythm standing out, as "
            "in skin conductance or a temperature"
        )
    question = (
        f"is column {column!r} the breathing signal?"
        if column is not None
        else "does the file hold a breathing signal?"
    )
    return [
        f"the signal does not look like breathing: only {100 * shares.breathing:.0f} % of {of_it} "
        f"power up to {BREATHING_POWER_TOP_HZ:g} Hz lies at breathing rates ({60 * lo:g}-"
        f"{60 * hi:g} breaths/min), {like}; so the "
        f"breaths and the rate found in it are doubtful (its good breaths are marked "
        f"uncertain): {question} (choose the column with --column)"
    ]


def _mark_noise(
    found: list[Breath], data: FloatArray, fs_hz: float, noisy: list[tuple[int, int]]
) -> tuple[list[Breath], list[str]]:
    """Mark the breaths made of the noise of stretches that look like noise
    (:func:`noise_breaths`) as artifacts, and say where those stretches are. A stretch with no
    such breath (a belt holding still through a long pause) is not mentioned."""
    marks = noise_breaths(found, data, fs_hz, noisy)
    out = [replace(b, quality="artifact") if m else b for b, m in zip(found, marks, strict=True)]
    marked = [b for b, m in zip(found, marks, strict=True) if m]
    spans = [
        (a / fs_hz, z / fs_hz)
        for a, z in noisy
        if any(b.inhale_onset_s < z / fs_hz and a / fs_hz < b.end_s for b in marked)
    ]
    if not spans:
        return out, []
    where = ", ".join(f"{lo:.1f}-{hi:.1f} s" for lo, hi in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    total_s = sum(hi - lo for lo, hi in spans)
    which = (
        "the breath found there is marked as an artifact"
        if len(marked) == 1
        else f"the {len(marked)} breaths found there are marked as artifacts"
    )
    return out, [
        f"the signal looks like noise, not breathing, over {where}{more} ({total_s:.0f} s in "
        "all): consecutive samples there are nearly unrelated (lag-1 autocorrelation under "
        f"{NOISE_LAG1:g} in every {NOISE_WINDOW_S:g}-s window, where breathing reads above "
        f"0.7), so {which} and the rate is taken from the rest; did the sensor come off or "
        "disconnect?"
    ]


def _short_of(value: float, limit: float) -> str:
    """``value`` with the fewest decimals (up to 6) that still show it below ``limit``.

    999 samples at 50 Hz are 19.98 s, which one decimal would print as 20.0, the very limit
    the message says was not reached.
    """
    for decimals in range(1, 7):
        text = f"{value:.{decimals}f}"
        if float(text) < limit:
            return text
    return f"{value:.6f}"


def _doubted_unit(unit: str | None, gravity: float) -> list[str]:
    """A warning when the header's accelerometer unit is not what the gravity measured in the
    samples says (more than :data:`UNIT_GRAVITY_TOLERANCE` off): a mislabelled column, or
    values with an offset or gravity partly removed. The breaths do not depend on it."""
    known = {symbol: g for symbol, g in ACC_UNITS.values()}
    if unit not in known:
        return []
    expected = known[unit]
    if 1.0 / UNIT_GRAVITY_TOLERANCE <= gravity / expected <= UNIT_GRAVITY_TOLERANCE:
        return []
    return [
        f"the header says the unit is {unit}, but gravity measures {gravity:.4g} in the "
        f"samples, not about {expected:g}: the values are not in {unit}, or hold an offset; "
        "the breaths do not depend on the unit (the analysis is scaled to the gravity "
        "measured), but the depths are in the file's numbers"
    ]


def _nothing_measured(
    data: FloatArray, duration_s: float, found: list[Breath], column: str | None
) -> list[str]:
    """Warnings for an analysis that ran but found no breath of usable quality at all, so an
    empty result says why rather than passing for a finding: the wrong column, e.g. the time
    column (a signal that only rises or only falls never turns back, so it holds no breath).
    """
    warnings = []
    usable = [b for b in found if b.quality != "artifact"]
    which = f"column {column!r}" if column is not None else "the signal"
    if not usable:
        steps = np.diff(data, axis=0)
        if data.ndim == 1 and ((steps >= 0).all() or (steps <= 0).all()):
            trend = "rises" if data[-1] > data[0] else "falls"
            warnings.append(
                f"no breathing found: {which} only {trend} over all {duration_s:.1f} s, like "
                "a time or counter column, never turning back as breathing does; is it the "
                "right column? (choose one with --column)"
            )
        else:
            seen = f" ({len(found)} breaths detected, all artifacts)" if found else ""
            question = (
                f"is column {column!r} the breathing signal?"
                if column is not None
                else "does the file hold a breathing signal?"
            )
            warnings.append(
                f"no breathing found in {duration_s:.1f} s of data{seen}: {question} "
                "(choose the column with --column)"
            )
    return warnings


def _time_like_axes(data: FloatArray, duration_s: float, column: str | None) -> list[str]:
    """A warning for each accelerometer axis that only rises or only falls over the whole
    recording, as a belt's column gets in :func:`_nothing_measured`: a time or counter column
    taken for an axis (``--column 1,2,3`` on a ``t,x,y,z`` file read 17.7 breaths/min from 33
    s of 300, in silence). A real axis carries noise and turns back."""
    names = column.split(",") if column is not None and column.count(",") == 2 else None
    warnings = []
    for i, col in enumerate(data.T):
        steps = np.diff(col)
        if (steps >= 0).all() or (steps <= 0).all():
            trend = "rises" if col[-1] > col[0] else "falls"
            which = f"column {names[i].strip()!r}" if names else f"the {'xyz'[i]} axis"
            warnings.append(
                f"{which} only {trend} over all {duration_s:.1f} s, like a time or counter "
                "column, never turning back as an accelerometer's axis does; is it the right "
                "column? (choose x, y, z with --column)"
            )
    return warnings


def _too_slow(rate_bpm: float, settled: list[Breath]) -> str:
    """The warning for a median rate below :data:`TOO_SLOW_BPM`: breaths that slow
    are more often a swaying baseline (a DC-coupled belt, a moving subject) or a slow signal
    that is not breathing, read in place of the breathing riding on it."""
    usable = [b for b in settled if b.quality != "artifact"]
    inhale = float(np.median([b.inhale_s for b in usable]))
    length = float(np.median([b.end_s - b.inhale_onset_s for b in usable]))
    return (
        f"the median rate, {rate_bpm:.2f} breaths/min (breaths of {length:.0f} s, inhales of "
        f"{inhale:.0f} s), is slower than the {SLOWEST_VALIDATED_BPM:g}/min the analysis is "
        "validated for: a slow sway of the baseline larger than the breaths (a DC-coupled "
        "belt, a moving subject) is read as breaths in place of the breathing riding on it, "
        "and so is a slow signal that is not breathing; look at the signal before trusting "
        "the rate"
    )


def _little_covered(settled: list[Breath], duration_s: float) -> list[str]:
    """A warning when the breaths, artifacts included (each explained by its own warning),
    span under :data:`MIN_COVERED_SHARE` of the recording: the rate then describes only that
    part, and the rest holds nothing the detector could follow as breathing."""
    covered = sum(b.end_s - b.inhale_onset_s for b in settled)
    if not settled or covered >= MIN_COVERED_SHARE * duration_s:
        return []
    first, last = settled[0].inhale_onset_s, settled[-1].end_s
    return [
        f"breaths were found in only {covered:.1f} s of the {duration_s:.1f}-s recording "
        f"({100 * covered / duration_s:.0f} %, between {first:.1f} and {last:.1f} s): the "
        "rest holds no breathing the detector could follow, so the rate and the breaths "
        "describe that part only"
    ]


def _unmeasured_ratios(found: list[Breath]) -> list[str]:
    """A warning for the usable breaths whose exhale:inhale ratio is null
    (:func:`analysis.breath_variability.ratio_measured`), so a null is explained: their inhale
    took no time (the signal jumps up in one sample, as a sawtooth or a counter that wraps
    does; a chest never does) or their exhale did. Given after the noise check, which makes
    every breath of a noise signal an artifact: those are explained by it already.
    """
    warnings = []
    usable = [b for b in found if b.quality != "artifact"]
    unmeasured = [b for b in usable if not ratio_measured(b.ratio)]  # null in the output
    if unmeasured:
        instant = sum(1 for b in unmeasured if b.inhale_s <= 0.0)
        if instant == len(unmeasured):
            why = (
                "their rises (inhales) are instantaneous, a jump within one sample that no "
                "chest makes (a sawtooth or a wrapping counter?)"
            )
        else:
            falls = sum(1 for b in unmeasured if b.exhale_s <= 0.0)
            why = (
                f"their phases could not be timed ({instant} rise and {falls} fall instantaneously)"
            )
        warnings.append(
            f"the exhale:inhale ratio could not be measured for {len(unmeasured)} of "
            f"{len(usable)} breaths (ratio null): {why}"
        )
    return warnings


def rr_estimates(
    beat_t_s: FloatArray,
    rr_ms: list[float] | FloatArray,
    progress: ProgressCallback | None = None,
) -> list[RRBreathEstimate]:
    """The 64 s window estimates of ``breathwise breaths --rr``, as the command makes them
    from the intervals it read: raw, each window corrected by the tracker
    (:func:`analysis.rr_breath.estimate_breathing_from_rr` with ``correct_artifacts``). The
    validation report calls it too, so that its rows on real recordings are the command's.

    Parameters
    ----------
    beat_t_s : ndarray
        Time of the beat ending each interval, s, increasing (the command's clock: the
        running sum of the intervals from 0 s, moved on by the gaps a time column shows).
    rr_ms : list of float or ndarray
        The intervals as recorded, ms.
    progress : callable, optional
        Told the fraction of the beats fed (:mod:`analysis.progress`).
    """
    return estimate_breathing_from_rr(beat_t_s, rr_ms, correct_artifacts=True, progress=progress)


ESTIMATES_SHARE = (0.01, 0.98)
"""Where the 64 s windows lie in ``breaths --rr``'s analysis, for the progress bar: 55.1 of
56.4 s on 6 h of beats; the artifact correction before them took 0.4 s, the breaths after
them 0.9 s (profiled, 2 busy cores)."""


def _analyse_rr(
    rr_path: Path,
    unit: str | None = None,
    *,
    read: RRFile | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The result of ``breaths --rr`` (JSON's fields); its warnings are the caller's to say.

    ``read`` is the file already read (its notes said), so that the caller can size a
    progress bar by its beats; ``progress`` is told the fraction done
    (:mod:`analysis.progress`)."""
    rr = read
    if rr is None:
        rr = read_rr_file(rr_path, unit, ecg_beats=True)
        say_notes(rr)
    steps = ProgressSteps(progress)
    values = rr.values_ms
    duration = sum(values) / 1000.0
    tracker = RRBreathTracker()
    if duration < tracker.window_s:
        raise UserError(
            f"{rr_path}: only {len(values)} intervals ({duration:.0f} s); breathing from RR "
            f"needs at least {tracker.window_s:g} s"
        )
    corrected = correct_rr(values)
    steps(ESTIMATES_SHARE[0])
    nn = corrected.nn_ms
    # On the file's own clock (first beat = 0 s): corrected intervals do not sum to the raw
    # ones; a gap its time column shows is kept, as import keeps it.
    raw_t = np.asarray(rr.beat_times_s(), dtype=np.float64)
    t = corrected.nn_times_s(raw_t)
    # Window by window on the raw intervals, as live: the whiteness test must see them
    # uncorrected (an irregular rhythm, smoothed by the correction, would pass it), and the
    # entropy test leaves out the values the correction changed.
    estimates = rr_estimates(raw_t, values, steps.part(*ESTIMATES_SHARE))
    # No breath where no beat was: rr_breath_cycles leaves out the cycles over a gap.
    cycles = rr_breath_cycles(t, nn, estimates)
    steps.done()
    rate = session_rate_bpm(estimates)
    warnings = rr.warnings(
        "the gap is kept (the breaths' times are the file's), and the windows over it have "
        "fewer beats"
    )
    # The breaths are read from the corrected beats: told as hrv and import tell it (found in
    # review: 61.7 % corrected on a PVC recording, said by both, not here).
    too_many = artifact_warning(int(np.count_nonzero(corrected.codes)), len(values))
    if too_many is not None:
        warnings.append(too_many)
    share = usable_share(estimates)
    if rate is None:
        # A window the correction left too few intervals of could not be tested: its
        # white-noise p-value of 1 says nothing about noise (RRBreathEstimate.unusable_reason).
        untested = [
            e.recorded_intervals is not None and e.recorded_intervals < MIN_RECORDED_INTERVALS
            for e in estimates
        ]
        noise = sum(
            e.white_noise_p > WHITE_NOISE_ALPHA and not u
            for e, u in zip(estimates, untested, strict=True)
        )
        irregular = sum(
            e.cosen > COSEN_IRREGULAR and not u for e, u in zip(estimates, untested, strict=True)
        )
        if 2 * noise > len(estimates):
            cause = f"in {noise} of {len(estimates)} windows the intervals look like white noise"
        elif 2 * irregular > len(estimates):
            cause = (
                f"in {irregular} of {len(estimates)} windows the rhythm is irregular beat to beat"
            )
        elif 2 * sum(untested) > len(estimates):
            cause = (
                f"in {sum(untested)} of {len(estimates)} windows the artifact correction changed "
                "nearly every interval"
            )
        else:
            cause = UNCLEAR_CAUSE
        warnings.append(
            f"the heart rhythm shows breathing in only {100 * share:.0f} % of its 64 s windows "
            f"(a session rate needs {100 * MIN_USABLE_SHARE:.0f} %): {cause}; no breathing "
            "rate is given"
        )
        if cause != UNCLEAR_CAUSE:
            # Said as what the data show, not as a condition: Breathwise does not diagnose
            # (found in review: "as in atrial fibrillation" read as a diagnosis).
            warnings.append(IRREGULAR_NOTE)

    def label(q: float) -> str:
        return "good" if q >= GOOD_QUALITY else "uncertain" if q >= USABLE_QUALITY else "artifact"

    return {
        "breaths": [
            {
                "inhale_onset_s": round(c.inhale_onset_s, 3),
                "exhale_onset_s": round(c.exhale_onset_s, 3),
                "end_s": round(c.end_s, 3),
                "inhale_s": round(c.exhale_onset_s - c.inhale_onset_s, 3),
                "exhale_s": round(c.end_s - c.exhale_onset_s, 3),
                "pause_s": None,
                "ratio": None,
                "depth": None if c.rsa_bpm is None else round(c.rsa_bpm, 3),
                "quality": label(c.quality),
                "rsa_bpm": None if c.rsa_bpm is None else round(c.rsa_bpm, 3),
            }
            for c in cycles
        ],
        "rate_bpm": None if rate is None else round(rate, 3),
        # The heart rhythm places breath boundaries to within a second or so, far coarser than
        # breath-to-breath variability itself.
        "variability": None,
        "source": "rr",
        "estimates": [
            {
                "t_s": round(e.t_s, 3),
                "rate_bpm": round(e.rate_bpm, 3),
                "phase_rad": round(e.phase_rad, 4),
                "fit_swing_bpm": round(e.rsa_bpm, 3),
                "quality": round(e.quality, 4),
                "white_noise_p": round(e.white_noise_p, 4),
                # Infinite when no two pairs of intervals match: JSON has no infinity.
                "cosen": round(e.cosen, 3) if math.isfinite(e.cosen) else None,
                "unusable_reason": e.unusable_reason,
            }
            for e in estimates
        ],
        "settings": {
            "software": SOFTWARE,
            "file": str(rr_path),
            "intervals": len(values),
            **({} if rr.beats_from is None else {"beats_from": rr.beats_from}),
            "corrected_values": int(corrected.nn_corrected.sum()),
            "time_origin": "first beat = 0 s (end of the first interval at its RR)",
            "method": "RSA: 64 s windows every 5 s, 4 Hz resampling, f^3-whitened Hann "
            "spectrum peak in 3-30 breaths/min, phase from a sinusoid fit; windows whose raw "
            "intervals (those the artifact correction left alone) pass as white noise "
            "(Fisher's and Bartlett's tests, p > "
            f"{WHITE_NOISE_ALPHA}) or whose coefficient of sample entropy (Lake & Moorman "
            f"2011, over the intervals the correction left alone) exceeds {COSEN_IRREGULAR:g} "
            "unusable",
            "breath_boundaries": "heart-rate troughs (inhale onset) and peaks (exhale onset); "
            "depth (also given as rsa_bpm) is the breath's peak-to-trough RSA in beats/min "
            "(Grossman et al. 1990: max heart rate from inhale to exhale onset - min from "
            "exhale onset to the end, as report and history give it; null when a half holds "
            "no beat); ratio and pause cannot be measured from RR",
            "quality_labels": f"good >= {GOOD_QUALITY}, uncertain >= {USABLE_QUALITY} "
            "(windowed RSA quality)",
            "usable_share": round(share, 4),
            "warnings": warnings,
        },
    }


def _as_csv(result: dict[str, Any], source_name: str) -> str:
    """The CSV of ``breaths`` (``--format csv``): ``#`` lines of the JSON's fields other than
    the breaths, then one table, a row a breath.

    One table alone, so that a CSV reader reads the file as it is: ``--rr`` wrote the 64 s
    windows after it as a second table (an empty line and a ``# estimates`` line between),
    which ``pandas.read_csv(f, comment="#")`` merged with the breaths into 123 rows of strings
    (review, F3). They are :func:`estimates_rows`, written by ``--estimates FILE``.
    """
    buf = io.StringIO()
    buf.write(f"# breathwise breaths {source_name}\n")
    buf.write(f"# source={result['source']}\n")
    buf.write(f"# rate_bpm={json.dumps(result['rate_bpm'])}\n")
    for key, value in (result.get("variability") or {}).items():
        buf.write(f"# variability.{key}={json.dumps(value)}\n")
    for key, value in result["settings"].items():
        buf.write(f"# settings.{key}={json.dumps(value)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    keys = RR_BREATH_KEYS if result["source"] == "rr" else BREATH_KEYS
    writer.writerow(keys)
    for row in result["breaths"]:
        writer.writerow(["" if row[k] is None else row[k] for k in keys])
    return buf.getvalue()


def estimates_rows(result: dict[str, Any]) -> list[list[str]]:
    """The rows of ``--estimates FILE``: one per 64 s window of ``--rr`` (JSON's ``estimates``),
    the fields of :data:`ESTIMATE_KEYS` in order, an empty cell for null, as the breaths' CSV
    writes them."""
    return [
        ["" if row[k] is None else str(row[k]) for k in ESTIMATE_KEYS]
        for row in result["estimates"]
    ]


def _refuse_estimates_path(estimates: Path, rr: Path) -> None:
    """Refuse an ``--estimates`` path that is a folder, or the RR file being read: replaced
    by the windows' table, the intervals would be lost for good."""
    if estimates.is_dir():
        raise BadArgument(
            f"--estimates {estimates} is a folder: it names the CSV file the windows go to",
            "give a file name, for example --estimates windows.csv",
        )
    try:
        same = estimates.is_file() and rr.is_file() and os.path.samefile(estimates, rr)
    except OSError:
        return  # either cannot be looked at: reading or writing it says why
    if same:
        raise BadArgument(
            f"--estimates {estimates} is the RR file being read: writing there would replace it",
            "choose another name for --estimates",
        )


def breaths(
    input: Annotated[
        Path | None,
        typer.Argument(
            help="Waveform file (CSV or text): one column, or choose one with --column; - "
            "reads standard input (a pipe is read whole, at most "
            f"{STREAM_MAX_BYTES // 1024**2} MiB).",
            show_default=False,
            readable=False,
        ),
    ] = None,
    fs: Annotated[
        float | None,
        typer.Option(
            "--fs",
            help=f"Sampling rate of INPUT, Hz (required for a waveform): "
            f"{BELT_MIN_FS_HZ:g}-{MAX_FS_HZ:g} for a belt, {ACC_MIN_FS_HZ:g}-{MAX_FS_HZ:g} "
            "for --source acc; with --rr, of an ECG table without a time column.",
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Column to read: header NAME (a unit in brackets may be left out: X for "
            "'X [mg]') or 1-based number N (acc: X,Y,Z).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="belt: one chest-expansion column; acc: x,y,z columns of a chest "
            "accelerometer in any unit that is 0 at no acceleration (mG, g, m/s^2, raw counts; "
            "the scale is taken from the gravity in the signal, so not high-passed).",
        ),
    ] = "belt",
    rr: Annotated[
        Path | None,
        typer.Option(
            "--rr",
            help="RR-interval file (one per line, or a column named rr_ms, RR-interval [ms], "
            "rr_s...) instead; a time column beside it (as import reads it) shows gaps; an "
            "ECG table without RR gives its R peaks' intervals (without a time column, give "
            "its rate with --fs); - reads standard input.",
            readable=False,
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="With --rr: unit of the intervals in the file, ms or s, as for 'breathwise hrv': "
            "by default the unit the column's name states (rr_s: s), else ms; given, it wins "
            "over the name's, and a note says so.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json (breaths, rate, variability, settings; with --rr the 64 s windows, "
            "estimates, too) or csv (one table, a row a breath; the rest as # lines). "
            "Fields: docs/breaths-output.md in the source repository.",
        ),
    ] = "json",
    estimates: Annotated[
        Path | None,
        typer.Option(
            "--estimates",
            help="With --rr: also write the 64 s windows (JSON's estimates: t_s, rate_bpm, "
            "quality, unusable_reason...) to this CSV file, a table of their own; a file "
            "already there is replaced. Example: --format csv --estimates windows.csv.",
            readable=False,
        ),
    ] = None,
    invert: Annotated[
        bool,
        typer.Option(
            "--invert",
            help="Belt only: negate the signal (any units) before analysis, for a belt or sensor "
            "whose signal falls on inhale (worn or wired the other way round). Without it a "
            "rise is an inhale.",
        ),
    ] = False,
    inhale_longer: Annotated[
        bool,
        typer.Option(
            "--inhale-longer",
            help="Accelerometer only (--source acc): the person breathed in for longer than "
            "out (exhale:inhale below 1, as a pacer's --ratio under 1 asks). The "
            "accelerometer's inhale direction is learnt from the breaths' shape assuming the "
            "in-breath is the quicker; without this such breathing reads upside down, its "
            "ratio inverted (0.5 as 2).",
        ),
    ] = False,
) -> None:
    """Breath by breath: inhale/exhale onsets, phases, ratio, depth and quality.

    From a belt or chest-accelerometer waveform, or (with --rr) breathing rate from the heart
    rhythm alone. Times are seconds from the first sample. The result goes to standard output.
    Each breath ends where the next begins; rate_bpm is the median of 60 / (end_s -
    inhale_onset_s) over the breaths that are not artifacts. Breathing up to 80 breaths/min
    is counted (settings.detector.max_rate_bpm); faster cycles are taken for wiggles and
    merged, and a warning says so.

    How regular the breathing was comes with it ("variability"; CSV: '# variability.' lines):
    breath-to-breath intervals between inhale onsets, as NeuroKit2's rsp_rrv reports them
    (mean_bb_s, sd_bb_s, rmssd_bb_s, cv_bb, mcv_bb, ...), and the coefficients of variation
    of depth and exhale:inhale ratio. Not from --rr: the heart rhythm places breaths too
    coarsely for it.

    A belt signal must rise on inhale; if the breaths look upside down (inhales slower than
    exhales, the signal falling fast: a belt whose signal falls on inhale, or breathing in
    for longer than out, which is right as it is), a warning says so, and --invert analyses
    the negated signal. A warning also says when no breathing was
    found (a time column chosen by mistake?), a breath's ratio could not be measured, the
    sensor looks clipped or too coarse (few converter steps per breath), or the signal
    repeats one value for seconds (a logger holding its last sample through a dropout) or
    looks like noise, judged in 30-s windows (a belt that came off): the breaths there are
    marked artifacts. And when the signal does not look like breathing (most of its power
    faster, as an ECG's, or slower, as skin conductance's: the wrong column?), an
    accelerometer axis only rises (a time column), the breaths span under half the
    recording, or the median rate is under 2.85/min (5 % below 3/min, the slowest
    validated, which reads up to 0.06/min off).
    A chest accelerometer does not say which way is inhale: it is learnt from the breaths'
    shape, taking the in-breath as the quicker phase; breathing in for longer than out
    (exhale:inhale under 1) needs --inhale-longer, or it reads upside down.
    A chest accelerometer (--source acc) may be in any unit that is 0 at no acceleration
    (mG, g, m/s^2, a digital sensor's counts): the analysis is scaled to the gravity in the
    signal (settings.gravity, in the file's units), so each gives the same breaths; a signal
    without gravity (high-passed) is refused. A unit the header states (X [g], x_g) is said
    in settings.unit, with a warning when the gravity measured does not fit it.
    Warnings go to standard error and into the output (JSON: settings.warnings; CSV: its
    '# settings.warnings=' line). settings.column names the column analysed.

    A time column (time_s, t_s, time_ms, timestamp [ms], sensor timestamp [ns], Phone
    timestamp) is checked against --fs: a rate it does not give, or a gap in it (samples
    missing), is refused, naming both rates or the line; a column just named time, t or
    timestamp, whose unit is not known, gets a warning instead (holding clock times or
    dates, it is not used). An empty line inside the data is a sample missing, refused as a
    NaN, an NA or a spreadsheet's #N/A is (# starts a comment otherwise; such rows before the
    first sample or after the last are padding, left out with a warning); so is a header that
    names fewer or more columns than the rows have (R's row names; a named last column may be
    empty, as an event column), lines of text above the header, a row of units under it, and
    a column name two columns share (choose by number). pandas' numbered header (,0 over an
    index; 0 or 0,1 with a warning) is taken for names over decimal numbers. settings.file
    names the file.

    With --rr, the CSV holds the breath table (depth, repeated as rsa_bpm, is the breath's
    peak-to-trough RSA in beats/min, as report and history give it), one table that a CSV
    reader reads as it is; the 64 s windows (t_s, rate_bpm, quality, unusable_reason...),
    JSON's "estimates", go to a CSV file of their own with --estimates FILE.

    Every field of the JSON and CSV, for each source (belt, acc, --rr), its unit and where its
    formula comes from: docs/breaths-output.md in the source repository (the docs are not
    installed).

    Example: breathwise breaths belt.csv --fs 50 --column rsp

    Example: breathwise breaths --rr rr.txt --format csv --estimates windows.csv > breaths.csv
    """
    from trainer.cli.progress_bar import LONG_RR_BEATS, long_work_bar, waveform_is_long

    if format not in ("json", "csv"):
        raise BadArgument(f"--format must be 'json' or 'csv', not {format!r}")
    if source not in ("belt", "acc"):
        raise BadArgument(f"--source must be 'belt' or 'acc', not {source!r}")
    if estimates is not None:
        if rr is None:
            raise BadArgument(
                "--estimates is the table of --rr's 64 s windows: a waveform has none",
                "give --rr FILE, or leave --estimates out",
            )
        # Before the work, as report's -o: a mistyped folder is one line now, not after it.
        check_output_path(estimates, "the windows' table", "windows.csv", "--estimates")
        _refuse_estimates_path(estimates, rr)
    if rr is not None:
        if input is not None:
            raise BadArgument("give either a waveform INPUT or --rr FILE, not both")
        # --fs is not among them: the rate of an ECG table without a time column, whose R peaks
        # give the intervals (review 32 F1); read_rr_file refuses it for any other file.
        waveform_only = [
            name
            for name, given in (
                ("--column", column is not None),
                ("--invert", invert),
                ("--inhale-longer", inhale_longer),
            )
            if given
        ] + (["--source acc"] if source == "acc" else [])
        if waveform_only:
            # "--fs describe ... leave them out" for one option (found in review).
            one = len(waveform_only) == 1
            named = ", ".join(waveform_only[:-1]) + (" and " if not one else "") + waveform_only[-1]
            raise BadArgument(
                f"{named} {'describes' if one else 'describe'} a waveform INPUT, not --rr",
                f"an RR file is read as it is: leave {'it' if one else 'them'} out",
            )
        if fs is not None:
            check_table_fs(fs)
        read = read_rr_file(rr, unit, ecg_beats=True, ecg_fs_hz=fs)
        say_notes(read)
        # As hrv's: read first, so that the bar is sized by the beats; gone before the result
        # is written, so standard output holds the result alone.
        with long_work_bar(
            f"analysing {input_name(rr)}", len(read.values_ms) >= LONG_RR_BEATS
        ) as progress:
            result = _analyse_rr(rr, unit, read=read, progress=progress)
        name = str(rr)
    elif input is None:
        raise BadArgument("give a waveform INPUT (with --fs) or --rr FILE")
    elif unit is not None:
        raise BadArgument(
            "--unit is the unit of an --rr file's intervals",
            "a waveform's units do not matter: its breaths are timed in samples (--fs)",
        )
    else:
        if inhale_longer and source != "acc":
            raise BadArgument(
                "--inhale-longer is for a chest accelerometer (--source acc): a belt's "
                "inhale is its rise, whatever its length"
            )
        if invert and source == "acc":
            raise BadArgument(
                "--invert is for a belt: the accelerometer's orientation is found from the "
                "signal itself"
            )
        # Sized before the file is read: the reading is 40 % of a belt's work. Without --fs
        # the file is refused, not analysed.
        long = fs is not None and waveform_is_long(input)
        with long_work_bar(f"analysing {input_name(input)}", long) as progress:
            result = _analyse_waveform(
                input, fs, column, source, invert, progress, inhale_longer=inhale_longer
            )
        name = str(input)
    # Said once the bar is gone: click writes past Rich's redirection of standard error, so a
    # warning said under the bar was glued to its last frame (found in testing).
    say_warnings(Path(name), result["settings"]["warnings"])
    if estimates is not None:
        # Written whole before standard output is (write_csv replaces the file at once), so
        # that a full disk is one line and no result.
        write_csv(estimates, ESTIMATE_KEYS, estimates_rows(result))
    if format == "json":
        typer.echo(json.dumps(result, indent=1, allow_nan=False))
    else:
        typer.echo(_as_csv(result, name), nl=False)
