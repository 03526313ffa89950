"""Read a Polar-style CSV into arrays: its time column and its RR, HR, ECG, accelerometer and
respiration columns.

A Polar-style CSV is a table with a time column and any of RR, heart rate, ECG and
accelerometer columns, comma, semicolon or tab separated: the layout of ECG loggers such as
``time_ns, ecg_mV, hr_bpm, rr_ms`` (one row per ECG sample, RR and HR on the rows where the
strap notified) and of Polar Sensor Logger exports (``Phone timestamp; sensor timestamp [ns];
RR-interval [ms]``, ``...; ecg [uV]``, ``...; X [mg]; Y [mg]; Z [mg]``). The column names and
their units are :mod:`~trainer.storage.imports.table_columns`'; the rows are read by the rules
of :mod:`~trainer.storage.imports.table_rows`. A table without a time column is read at
``--fs`` (sample ``k`` at ``k / fs``).

The other rows' RR and HR cells are empty, ``NA`` (R's ``write.csv``), ``nan`` or ``#N/A``
(:func:`~trainer.storage.text_files.is_missing`); a missing RR cell is a row without a beat in
a table that has at least as many of them as intervals, or on a row holding a heart rate in a
table of strap notifications (a notification in which no beat ended: its times do not step by
the RR, :func:`~trainer.storage.text_files.timed_by_beats`), and a lost interval, refused as
``hrv`` refuses it, in a table of one row per beat
(:func:`~trainer.storage.text_files.rows_without_beats`), a heart rate beside it or not.

Naive local phone times that repeat an hour when the clocks go back are read as the second hour
from the row that goes back by about that hour (PEP 495 ``fold``; :data:`CLOCK_CHANGE_S` within
:data:`CLOCK_CHANGE_TOLERANCE_S`); any other step back is out of order and refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.progress import REPORTS, ProgressCallback, ProgressSteps
from devices.packets import NS_PER_S
from trainer.errors import BadArgument, UserError
from trainer.storage.belt_import import belt_column
from trainer.storage.decimal_comma import decimal_comma_hint
from trainer.storage.imports.session import ImportFileError, read_import_text
from trainer.storage.imports.table_columns import (
    TIME_COLUMNS,
    UNIT_ADVICE,
    UNITLESS_TIME,
    VALUE_COLUMNS,
    column_key,
    parse_time,
)
from trainer.storage.imports.table_rows import table_rows
from trainer.storage.rr_values import MS_PER_UNIT, column_unit
from trainer.storage.text_files import (
    MISSING_INTERVAL_ADVICE,
    empty_words,
    is_missing,
    is_stream,
    lost_intervals,
    missing_interval,
    rows_without_beats,
    short_quote,
    timed_by_beats,
)

FloatArray = npt.NDArray[np.float64]


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
    time column; its values are as written
    (:func:`~trainer.storage.imports.waveforms.ecg_unit_by_span` reads the unit)."""
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
    """Read a Polar-style CSV (see this module's notes): :func:`parse_polar_text` of its text."""
    return parse_polar_text(read_import_text(path), path, unit, fs_hz=fs_hz, progress=progress)


def parse_polar_text(
    text: str,
    path: Path,
    unit: str | None = None,
    *,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> PolarTable:
    """Read the text of a Polar-style CSV (see this module's notes), already read from ``path``
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
    reader = table_rows(text, path)
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
        # user who gave --fs believes the table has no times: a clear error, not a silent
        # choice.
        raise BadArgument(
            f"--fs {fs_hz:g}: {path} has a time column "
            f"({short_quote(header[names.index(time_col)].strip())}), which times its rows",
            "leave --fs out (it gives the rate of a table without a time column)",
        )
    untimed = time_col is None
    wanted: dict[str, tuple[int, float]] = {}
    unnamed_ecg: str | None = None
    for quantity, options in VALUE_COLUMNS.items():
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
                    UNIT_ADVICE[quantity.split("_")[0]],
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
            # moment early inside the hour is out of order, refused below, not the second hour:
            # taken as the second hour, 0.1 s back at 02:10 would be a 3599.9 s step forward.
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
    states as a hint. Naming only the time columns it lacks would leave such a table with no
    way in, though ``--fs`` imports it (and ``hrv`` sends its user here for that)."""
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
    ``Photosensor``, a row index), or None when there are none: without it, columns such as
    NeuroKit2's ``PPG`` would be left out without a word."""
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
