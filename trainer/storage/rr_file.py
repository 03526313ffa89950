"""The one reader of RR-interval files: ``hrv``, ``breaths --rr`` and ``import`` (a one-column
list, and a table of intervals without a time column) read a file through
:func:`read_rr_file`, so a file is read alike by all three: the same rows, values, refusals and
lines named. ``import`` reads one-column lists by it too: a loop of its own refused quoted
values (``"800"``) and a header with a digit (``RR1``) that ``hrv`` read.

Before, ``import`` had a table loop of its own (``import_rr_table``) sharing every rule with
``hrv``'s (:func:`~trainer.storage.text_files.is_missing`,
:func:`~trainer.storage.text_files.lost_intervals`,
:func:`~trainer.storage.rr_values.column_unit`...) but not the loop, and the two differed on
three kinds of file (found by feeding 381 RR files through both): an interval below the strap's
1/1024 s (``hrv`` kept 0.0001 ms, ``import`` refused it), a stray quote (``import``'s CSV module
joined the rest of the file into one cell and refused it) and a table separated by blanks
(``beat rr_ms``, read by ``hrv``, taken for a list and refused by ``import``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.ecg_align import detect_r_peaks
from devices.heart_rate import RR_UNITS_PER_S, rr_ms_to_raw
from devices.packets import NS_PER_S
from trainer.errors import BadArgument, UserError
from trainer.storage.decimal_comma import (
    decimal_comma_column,
    decimal_comma_hint,
    decimal_points_in_rows,
    delimiter_of,
)
from trainer.storage.imports.ecg_beats import ECG_BEATS_FROM, ecg_beat_runs, ecg_beats_note
from trainer.storage.imports.polar_table import parse_polar_text
from trainer.storage.imports.rr_checks import check_rr_unit, rr_unit_hint
from trainer.storage.imports.strap_beats import strap_beat_times
from trainer.storage.imports.table_columns import HR_COLUMNS, TIME_COLUMNS, column_key, parse_time
from trainer.storage.rr_values import (
    MAX_RR_MS,
    MIN_RR_MS,
    MS_PER_UNIT,
    PLAUSIBLE_TEXT,
    TOO_LONG_ADVICE,
    after_row_index,
    column_unit,
    implausible,
    not_positive,
    pandas_header,
    pandas_names,
    plausible_rr,
    rr_column,
    rr_list_in_seconds,
    too_long,
    too_short,
)
from trainer.storage.text_files import (
    MISSING_INTERVAL_ADVICE,
    blank_inside,
    data_lines,
    empty_last_cell,
    empty_words,
    excel_separator,
    is_missing,
    lost_intervals,
    missing_interval,
    number_or_none,
    read_text,
    rows_without_beats,
    short_quote,
    split_cells,
    timed_by_beats,
    without_comment,
)

__all__ = ["GAPS_CUT", "RR_FILE_MAX_BYTES", "RRFile", "RRTiming", "read_rr_file"]

GAPS_CUT = (
    "no successive difference is taken across a gap, and the spectrum is of the longest "
    "stretch without one, as a session's report takes them"
)
"""What a gap does to ``hrv``'s analysis, which takes the beats at the times the file gives."""
FloatArray = npt.NDArray[np.float64]
RR_FILE_MAX_BYTES = 64 * 1024 * 1024
"""Largest RR file read, bytes (weeks of beats at one per line), by every command alike."""


@dataclass(frozen=True)
class RRTiming:
    """What a table's time column says of its beats."""

    column: str
    """The time column, as the header names it."""
    gaps: list[tuple[int, int, float]]
    """``(interval, line, s)``: beats lost before each interval (its index and line), and how
    long they lasted beyond its RR."""
    problem: str | None = None
    """Why the times are not used (they go back, one is not a time), or None."""

    def warning(self, effect: str) -> str | None:
        """One line on the gaps, ending with their ``effect`` on the analysis, (or on times that
        go back), or ``None``."""
        if self.problem is not None:
            return (
                f"the time column {self.column!r} is not used ({self.problem}), so beats lost "
                "in a gap cannot be found"
            )
        if not self.gaps:
            return None
        _, line, longest = max(self.gaps, key=lambda g: g[2])
        total = sum(s for _, _, s in self.gaps)
        n = len(self.gaps)
        return (
            f"the time column {self.column!r} shows beats lost in {n} gap"
            f"{'s' if n > 1 else ''} ({total:.1f} s in all, the longest {longest:.1f} s before "
            f"line {line}), as 'breathwise import' finds them: {effect}"
        )


@dataclass(frozen=True)
class RRFile:
    """The intervals of an RR file, and those outside the plausible range kept among them."""

    values_ms: list[float]
    """Every interval, in file order, ms."""
    out_of_range: list[tuple[int, float]]
    """``(line, ms)`` of each interval outside
    :data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS`."""
    timing: RRTiming | None = None
    """What the table's time column says (None without one)."""
    notes: tuple[str, ...] = ()
    """What the reading did that the person may want to know (``--unit`` overriding the unit
    the RR column's name states), as ``import`` says it."""
    lines: tuple[int, ...] = ()
    """The file's line of each interval."""
    unit: str = "ms"
    """The unit the values were read in, ``ms`` or ``s``."""
    header: tuple[str, ...] = ()
    """A table's header cells as it writes them (empty for a list without a header)."""
    column: str | None = None
    """The RR column's name as the header writes it (also one beside an unnamed row index, as
    pandas' ``0`` in ``,0``; None for a list or a lone column without an RR column's name)."""
    beats_from: str | None = None
    """Where the intervals came from when the file holds none (an ECG's R peaks:
    :data:`~trainer.storage.imports.ecg_beats.ECG_BEATS_FROM`), else None."""

    def beat_times_s(self) -> list[float]:
        """Each beat's time, s from the start of the first interval: the running sum of the
        intervals, moved on by the gaps the time column shows (as ``import`` places them)."""
        t = np.cumsum(np.asarray(self.values_ms, dtype=np.float64)) / 1000.0
        for k, _, gap_s in self.timing.gaps if self.timing is not None else []:
            t[k:] += gap_s
        return [float(v) for v in t]

    def warnings(self, gap_effect: str = GAPS_CUT) -> list[str]:
        """What the file's reading found: out-of-range intervals, gaps in its time column
        (ending with ``gap_effect``, what they do to the analysis)."""
        timing = self.timing
        found = [self._range_warning(), None if timing is None else timing.warning(gap_effect)]
        return [w for w in found if w is not None]

    def _range_warning(self) -> str | None:
        """One line on the out-of-range intervals, or ``None`` if there are none."""
        if not self.out_of_range:
            return None
        line, ms = self.out_of_range[0]
        n = len(self.out_of_range)
        return (
            f"{n} interval{'s' if n > 1 else ''} outside {PLAUSIBLE_TEXT} "
            f"(the first on line {line}: {ms:g} ms) kept for the artifact correction: "
            "missed beats or a lost contact if long, a spurious beat if short"
        )


def read_rr_file(
    path: Path,
    unit: str | None = None,
    *,
    error: type[UserError] = UserError,
    seconds_by_median: bool = False,
    ecg_beats: bool = False,
    ecg_fs_hz: float | None = None,
) -> RRFile:
    """Read RR intervals (ms) from a text file: one per line, or one column of a table.

    Accepted layouts, plain or gzip-compressed: one number per line; or a table (comma,
    semicolon, tab or space separated; with semicolons or tabs 806,5 reads as 806.5, a
    European spreadsheet's decimal comma, and so does one column of them under a header of one
    name or, without a header, with ``unit`` given:
    :func:`~trainer.storage.decimal_comma.decimal_comma_column`) whose header names the RR
    column (``rr_ms``, ``rr``, ``rri``, ``ibi``, ``nn``...; ``rr_s`` and the like are read as
    seconds: the names ``import`` reads too, :data:`trainer.storage.rr_values.RR_COLUMNS`), or
    with a single column beside an unnamed row index or none
    (:func:`~trainer.storage.rr_values.after_row_index`); the header pandas writes over an
    unnamed column is one
    (:func:`~trainer.storage.rr_values.pandas_header`): ``,0`` over the row index and the
    intervals (``pd.Series(rr).to_csv()``), and ``0`` over intervals none of which is 0
    (``to_csv(index=False)``), where an interval of 0 would be refused. The
    unit is ``unit`` if given, else the one the column's name states, else milliseconds, by
    the rule ``import`` follows (:func:`trainer.storage.rr_values.column_unit`): ``unit``
    overriding a name's unit is said in :attr:`RRFile.notes`, and without ``unit`` values
    that look like another unit than the name's are refused. A comma
    or semicolon ending every line (a spreadsheet's one-column CSV, ``800,``) is no column.
    Blank lines, lines starting with ``#`` and a ``#`` note after the values are skipped
    (:func:`~trainer.storage.text_files.without_comment`). A missing RR cell (empty, ``nan``,
    ``NA``, ``#N/A``: :func:`~trainer.storage.text_files.is_missing`) is a row without a beat
    in a table that has at least as many such rows as intervals (a logger's, one row per
    sample and an RR on beat rows: :func:`~trainer.storage.text_files.rows_without_beats`),
    and on a row holding a heart rate (:data:`~trainer.storage.imports.table_columns.HR_COLUMNS`) in
    a table of strap notifications, whose time column does not step by the RR
    (:func:`~trainer.storage.text_files.timed_by_beats`); in a table of one row per beat (a
    heart rate beside it or not, as an export's ``STEM.beats.csv``; a table with no time
    column to tell), and in a one-column list (where an empty line between two
    intervals is one too), it is a lost interval and is refused. A table's time column, one
    ``import`` reads (:data:`trainer.storage.imports.table_columns.TIME_COLUMNS`), is read for the
    gaps it shows (:attr:`RRFile.timing`).

    Parameters
    ----------
    path : Path
        The file.
    unit : {"ms", "s"}, optional
        ``--unit``: the unit of the values, whatever the header names (with a note).
    error : type of UserError
        The error raised for a file that cannot be read (``import``'s
        :class:`~trainer.storage.imports.session.ImportFileError`).
    seconds_by_median : bool
        ``import``'s rule for a list: values whose unit neither ``unit`` nor the column's name
        gives are seconds when their median is below
        :data:`~trainer.storage.rr_values.SECONDS_BELOW`
        (:func:`~trainer.storage.rr_values.rr_list_in_seconds`); ``hrv`` and ``breaths
        --rr`` read them as milliseconds and ask for ``--unit s``.
    ecg_beats : bool
        ``hrv``'s and ``breaths --rr``'s rule for an ECG table without an RR or heart-rate
        column (Polar Sensor Logger writes the ECG to a file of its own): the intervals
        between its R peaks (:func:`ecg_rr_file`). Otherwise such a file is refused, pointing
        to ``import``.
    ecg_fs_hz : float, optional
        ``--fs``: the sampling rate, Hz, of such an ECG table when it has no time column
        (NeuroKit2's ``ECG, PPG, RSP`` at 100 Hz), whose R peaks need it; without it that
        table is refused asking for ``--fs`` (without this, the refusal was ``import``'s "no
        time column", and ``import`` took no rate). Refused for any other file.

    Intervals outside 200-3000 ms (300-20 beats/min,
    :data:`trainer.storage.rr_values.PLAUSIBLE_RR_MS`, as ``import``) are kept: a strap that
    loses contact for a few beats sends one long interval, a spurious beat a short one, and the
    artifact correction splits, merges or interpolates them (:mod:`analysis.rr_artifacts`);
    refusing the file would lose every good beat in it. Only a file whose median lies outside
    that range is refused (its unit is wrong), and an interval longer than a heart-rate packet
    carries (:data:`trainer.storage.rr_values.MAX_RR_MS`, 63999 ms) or shorter than half of its
    1/1024 s (:data:`trainer.storage.rr_values.MIN_RR_MS`), which no recording could store.

    Returns
    -------
    RRFile
        Intervals in milliseconds, where the out-of-range ones are, and the gaps the time
        column shows.

    Raises
    ------
    UserError
        (``error``) Missing or unreadable file, no intervals, a non-number (``nan``, ``NA`` or a
        spreadsheet's ``#N/A`` in a one-column list or a table of one row per beat included)
        or a time that is not one, an empty line inside a one-column list, an interval of
        zero or less, shorter than 0.49 ms or longer than 63999 ms, a median interval outside
        200-3000 ms (a wrong unit), or without ``unit`` values that look like another unit
        than the column's name states; the message names the file and line.
    BadArgument
        ``unit`` other than ``ms`` or ``s``.
    """
    check_rr_unit(unit)
    text = read_text(path, max_bytes=RR_FILE_MAX_BYTES, what="an RR file", error=error)

    lines, blanks, delimiter = _rows(*excel_separator(text))
    if not lines:
        raise error(f"{path}: no RR intervals ({_nothing_in(path, text)})")
    first_no, first = lines[0]
    cells, words = _head(lines, delimiter)
    if not words and len(cells) > 1 and delimiter == "," and unit is not None:
        # "0,580" on every line with --unit: two columns without a header are refused, so one
        # column with decimal commas is the one reading (without this, refused as 2 columns).
        read = decimal_comma_column(lines)
        if read is not None:
            lines, delimiter = read, None
            first_no, first = lines[0]
            cells, words = _head(lines, delimiter)
    column = 0
    named: tuple[str, str] | None = None  # the RR column's name and its key
    body = lines
    time_at: tuple[int, str, float] | None = None
    hr_at: int | None = None  # a heart-rate column: one row per strap notification
    if words:
        keys = [column_key(c) for c in cells]
        hr_at = next((keys.index(c) for c in HR_COLUMNS if c in keys), None)
        # The time column import would read (its names and order), for the gaps it shows.
        time_name = next((c for c in TIME_COLUMNS if c in keys), None)
        if time_name is not None:
            time_at = (keys.index(time_name), *TIME_COLUMNS[time_name])
        found = rr_column(keys)
        if found is None and after_row_index(cells) and time_at is None:
            # pandas' Series.to_csv() (",0"), R's write.csv: the unnamed row index, the values
            # (a time column beside it is no RR column).
            found = 1
        if found is not None:
            column = found
            named = (cells[column].strip().strip('"'), keys[column])
        elif len(cells) == 1:
            column = 0
        else:
            unnamed = ": the names pandas gives unnamed columns" if pandas_names(cells) else ""
            if any(key.startswith("ecg") for key in keys) and hr_at is None:
                # Polar Sensor Logger writes the ECG to a file of its own.
                if ecg_beats:
                    time_name = None if time_at is None else cells[time_at[0]]
                    return ecg_rr_file(text, path, unit, time_name, error=error, fs_hz=ecg_fs_hz)
                raise error(
                    f"{path}:{first_no}: an ECG without RR intervals (columns: {', '.join(cells)})",
                    "'breathwise import' takes its beats from the ECG's R peaks; 'breathwise "
                    "export' of that recording writes them as STEM.beats.csv, which this reads",
                )
            raise error(
                f"{path}:{first_no}: cannot tell which column holds the RR intervals "
                f"(columns: {', '.join(cells)}{unnamed}); name it rr_ms"
            )
        body = lines[1:]
        if len(cells) == 1 and delimiter is None:
            # One name over one column ("rr_s", "RR (s)"): a comma inside a value can only be
            # a decimal one, read where no thousands separator could have written it
            # (without this, "0,580" under "rr_s" was "not a number").
            body = decimal_points_in_rows(body, "\t")
    elif len(cells) > 1:
        comma = decimal_comma_hint(first) if delimiter == "," else ""
        if comma and unit is None and decimal_comma_column(lines) is not None:
            # One reading once the unit is given (above): say so.
            comma = f"{comma[:-1]}, or give --unit to read one column of decimal commas)"
        raise error(
            f"{path}:{first_no}: {len(cells)} columns and no header{comma}; "
            "give one interval per line or a header naming the rr_ms column"
        )

    if ecg_fs_hz is not None:
        # Only an ECG table without a time column has samples to time.
        raise BadArgument(
            f"--fs {ecg_fs_hz:g} is the sampling rate of an ECG table without a time column; "
            f"{path} holds RR intervals, read as they are",
            "leave --fs out",
        )
    if len(cells) == 1 and body:
        blank = blank_inside(blanks, body[0][0], body[-1][0])
        if blank is not None:
            # A spreadsheet writes an empty cell of a one-column table as an empty line.
            raise error(
                f"{path}:{blank}: an empty line between intervals: a missing RR interval",
                MISSING_INTERVAL_ADVICE,
            )
    written: list[tuple[int, str, float]] = []  # line, cell and value of each interval
    missing: list[tuple[int, str]] = []  # line and cell of each RR cell left out
    # Those on a row holding a heart rate: a notification without a beat, if the table's times
    # show its rows are notifications (timed_by_beats, once the values' unit is known).
    notified: list[tuple[int, str]] = []
    times_ns: list[int] = []
    time_problem: str | None = None
    for no, line in body:
        row = split_cells(line, delimiter)
        if any(row[len(cells) :]):
            # More cells than the first row: read alone, the RR cell would lose them silently
            # (without this, "800,5" under "rr_ms" and Excel's "sep=," read as 800). Empty
            # ones are a trailing separator, which spreadsheets write.
            above = "header" if words else "first row"
            raise error(
                f"{path}:{no}: {short_quote(line)} has {len(row)} cells where the {above} has "
                f"{len(cells)}{decimal_comma_hint(line)}"
            )
        if column >= len(row):
            name = "" if named is None else f" ({named[0]})"
            raise error(f"{path}:{no}: row has no column {column + 1}{name}")
        cell = row[column].strip('"')
        if is_missing(cell):
            if len(cells) == 1:
                # A one-column list has no rows without a beat: a nan between two intervals is
                # a lost one (told below); before the first or after the last it loses none, as
                # an empty line there (without this, `breaths` reads a waveform's so).
                missing.append((no, cell))
                continue
            if hr_at is not None and _heart_rate_in(row, hr_at):
                notified.append((no, cell))
                continue
            missing.append((no, cell))  # no beat on this row, or a lost one: told below
            continue
        value = number_or_none(cell)
        if value is None or not math.isfinite(value):
            raise error(
                f"{path}:{no}: {short_quote(cell)} is not a number{decimal_comma_hint(cell)}"
            )
        if value <= 0.0:
            raise error(f"{path}:{no}: {not_positive(cell)}")
        written.append((no, cell, value))
        if time_at is not None:
            index, clock, time_scale = time_at
            if index >= len(row):
                raise error(f"{path}:{no}: row has no column {index + 1}")
            if time_problem is None:
                try:
                    times_ns.append(parse_time(row[index], clock, time_scale, path, no))
                except UserError:
                    # The intervals are what is analysed: an unreadable time costs the gaps,
                    # not the file (import, which places beats by it, refuses it).
                    time_problem = f"line {no}: {short_quote(row[index])} is not a valid time"
    if not written:
        raise error(f"{path}: no RR intervals (only a header or empty cells)")
    lost = lost_intervals(missing, [no for no, _, _ in written])
    if lost and len(cells) == 1:
        no, cell = lost[0]
        raise error(f"{path}:{no}: {missing_interval(cell)}", MISSING_INTERVAL_ADVICE)
    as_written = [value for _, _, value in written]
    if named is None:
        read_in, override = unit, None
    else:
        read_in, override = column_unit(*named, unit, as_written, f"{path}:{first_no}", error)
    if read_in is None and seconds_by_median and rr_list_in_seconds(as_written):
        read_in = "s"
    read_in = read_in or "ms"
    values = [value * MS_PER_UNIT[read_in] for value in as_written]
    value_lines = [no for no, _, _ in written]
    if notified and (
        time_at is None or time_problem is not None or _timed_by_beats(times_ns, values)
    ):
        # A table of beats (its times step by the RR), or one whose times cannot tell: the
        # heart rate beside an empty RR cell is the beat's, and the cell an interval lost.
        missing = sorted(missing + notified)
    # Otherwise the rows are strap notifications, each with its heart rate: an empty RR cell
    # is a second in which no beat ended (a heart under 60/min), and no interval is lost, as
    # the strap's next RR runs from its last beat (Bluetooth SIG Heart Rate Service 1.0,
    # 3.1.1.5).
    lost = lost_intervals(missing, value_lines)
    if lost and not rows_without_beats(len(missing), len(written)):
        # One row per beat: the cell is an interval lost, as in a list.
        no, cell = lost[0]
        raise error(
            f"{path}:{no}: {missing_interval(cell, in_table=True)}", MISSING_INTERVAL_ADVICE
        )
    hint = rr_unit_hint(as_written, seconds=read_in == "s")
    longest = next(
        ((no, cell) for (no, cell, _), ms in zip(written, values, strict=True) if ms > MAX_RR_MS),
        None,
    )
    if longest is not None:
        # Refused, not kept for the correction as a long interval is: no recording can hold
        # it, and a huge one (1e300) overflows the analysis' running sums.
        no, cell = longest
        raise error(
            f"{path}:{no}: {too_long(f'{cell} {read_in}')}{hint}",
            "" if hint else TOO_LONG_ADVICE,
        )
    shortest = next(
        ((no, cell) for (no, cell, _), ms in zip(written, values, strict=True) if ms < MIN_RR_MS),
        None,
    )
    if shortest is not None:
        # No heart-rate packet carries it (it rounds to 0 in 1/1024 s), and no heart beats
        # that fast: refused as the long one is, not kept as an artifact (hrv kept 0.0001 ms
        # and import refused it before the readers were one).
        no, cell = shortest
        raise error(f"{path}:{no}: {too_short(cell)}{hint}")
    outside = [
        (no, cell, ms)
        for (no, cell, _), ms in zip(written, values, strict=True)
        if not plausible_rr(ms)
    ]
    if outside and not plausible_rr(statistics.median(values)):
        no, cell, _ = outside[0]
        raise error(f"{path}:{no}: {implausible(f'{cell} {read_in}')}{hint}")
    timing = None
    if time_at is not None:
        name = cells[time_at[0]]
        timing = (
            RRTiming(name, [], time_problem)
            if time_problem is not None
            else _beat_gaps(name, times_ns, values, value_lines)
        )
    notes = () if override is None else (override,)
    return RRFile(
        values,
        [(no, ms) for no, _, ms in outside],
        timing,
        notes,
        tuple(value_lines),
        read_in,
        tuple(cells) if words else (),
        None if named is None else named[0],
    )


def ecg_rr_file(
    text: str,
    path: Path,
    unit: str | None = None,
    time_column: str | None = None,
    *,
    error: type[UserError] = UserError,
    fs_hz: float | None = None,
) -> RRFile:
    """The intervals between the R peaks of an ECG table without an RR column.

    The beats are those ``import`` takes from such a file: the R peaks of
    :func:`analysis.ecg_align.detect_r_peaks` (Pan & Tompkins 1985), in runs split where no
    heart-rate packet could carry the interval
    (:func:`~trainer.storage.imports.ecg_beats.ecg_beat_runs`). An interval across a shorter hole in
    the ECG stays, long, for the artifact correction, as
    ``import`` keeps it; between two runs, the time column shows a gap
    (:attr:`RRFile.timing`), so each beat keeps its R peak's time.

    Parameters
    ----------
    text : str
        The file's text.
    path : Path
        The file, named in messages.
    unit : str, optional
        ``--unit``: refused, as an ECG's intervals have no unit to choose.
    time_column : str, optional
        The time column's name as the header writes it, for the gaps' warning.
    error : type of UserError
        The error raised for an ECG in which no QRS is found.
    fs_hz : float, optional
        ``--fs``: the rate of a table without a time column, its row ``k`` at ``k / fs_hz``
        (:func:`~trainer.storage.imports.polar_table.parse_polar_text`, which refuses it for a table
        with a time column, and asks for it when a table has none).

    Returns
    -------
    RRFile
        Intervals in ms, each on the line of its closing R peak's sample, with
        :attr:`RRFile.beats_from` and a note saying where they came from.

    Raises
    ------
    BadArgument
        ``unit`` given.
    UserError
        (``error``) An ECG in which fewer than two R peaks are found, or what
        :func:`~trainer.storage.imports.polar_table.parse_polar_text` refuses.
    """
    if unit is not None:
        raise BadArgument(
            f"--unit is the unit of RR intervals: {path} is an ECG, whose intervals are "
            "taken from its R peaks",
            "leave --unit out",
        )
    table = parse_polar_text(text, path, fs_hz=fs_hz)
    ecg = table.columns["ecg"]
    ok = np.isfinite(ecg)
    time_ns, lines = table.time_ns[ok], table.lines[ok]
    t_s = (time_ns - (time_ns[0] if time_ns.size else 0)).astype(np.float64) / NS_PER_S
    runs = ecg_beat_runs(detect_r_peaks(t_s, ecg[ok]))
    if not runs:
        raise error(
            f"{path}: an ECG without RR intervals, and no QRS found in it (flat, noise or not "
            "an ECG), so no beats to analyse"
        )
    values: list[float] = []
    value_lines: list[int] = []
    gaps: list[tuple[int, int, float]] = []
    # Each R peak is one of the samples (detect_r_peaks returns their times), so its index.
    rows = np.flatnonzero(ok)
    for i, run in enumerate(runs):
        at = np.searchsorted(t_s, run)
        ends = at[1:]
        if i > 0:
            gaps.append((len(values), int(lines[ends[0]]), float(run[0] - runs[i - 1][-1])))
        values += [float(v) for v in _peak_intervals_ms(rows[at], time_ns[at], fs_hz)]
        value_lines += [int(v) for v in lines[ends]]
    timing = None if not gaps else RRTiming(time_column or "time", gaps)
    return RRFile(
        values,
        [(no, ms) for no, ms in zip(value_lines, values, strict=True) if not plausible_rr(ms)],
        timing,
        (ecg_beats_note(len(values)),),
        tuple(value_lines),
        "ms",
        tuple(header_cells(text)),
        None,
        ECG_BEATS_FROM,
    )


def _peak_intervals_ms(
    rows: npt.NDArray[np.int64], time_ns: npt.NDArray[np.int64], fs_hz: float | None
) -> FloatArray:
    """The intervals, ms, between R peaks at the table's rows ``rows``, sampled at ``time_ns``
    (ns, the time column's) or at ``fs_hz`` (row ``k`` at ``k / fs_hz`` s, ``--fs``).

    From the integer sample counts or nanoseconds, divided once: at 100 Hz 58 samples give
    580.0 ms. The difference of the peaks' times in seconds, times 1000, gave 580.0000000000001
    and 629.999999999999, so successive differences of exactly 50 ms landed either side of
    50 ms and pNN50 counted about half of them (45.59 % for 40.55 % on NeuroKit2's 8 min
    resting ECG; :data:`analysis.hrv_time.NN50_FLOAT_SLACK_MS` now absorbs such
    noise too, but the intervals written in the output are the sampled ones).
    """
    if fs_hz is not None:
        return np.diff(rows).astype(np.float64) * 1000.0 / fs_hz
    return np.diff(time_ns).astype(np.float64) / (NS_PER_S / 1000)


def _timed_by_beats(times_ns: list[int], values_ms: list[float]) -> bool:
    """:func:`~trainer.storage.text_files.timed_by_beats` of a table's rows holding an
    interval, their times in ns on the time column's clock."""
    t = np.asarray(times_ns, dtype=np.int64)
    return timed_by_beats((t - t[0]) / NS_PER_S if t.size else t, values_ms)


def _heart_rate_in(row: list[str], index: int) -> bool:
    """Whether ``row`` holds a heart rate (a positive number) in its column ``index``."""
    if index >= len(row):
        return False
    value = number_or_none(row[index].strip().strip('"'))
    return value is not None and math.isfinite(value) and value > 0.0


def _nothing_in(path: Path, text: str) -> str:
    """Why the file ``path`` with no row holding something has no intervals: it is empty (a
    stream's words: :func:`empty_words`), or it holds only Excel's ``sep=`` line (found in
    review: a file of ``sep=;`` alone was called empty)."""
    _, separator = excel_separator(text)
    if separator is None:
        return empty_words(path)
    shown = "\\t" if separator == "\t" else separator
    return f"it holds only Excel's separator line, sep={shown}, and no data"


def _rows(
    text: str, separator: str | None = None
) -> tuple[list[tuple[int, str]], list[int], str | None]:
    """The rows of an RR file's ``text`` that hold something, ``(line number, text)``, as every
    RR reader takes them: a ``#`` note after the values left out, a comma or semicolon ending
    every line dropped, decimal commas read as points where the separator allows; with the
    numbers of the blank lines and the separator: ``separator`` if given (Excel's ``sep=``
    line, :func:`~trainer.storage.text_files.excel_separator`), else the first row's
    (:func:`~trainer.storage.decimal_comma.delimiter_of`; None for blanks).
    """
    numbered, blanks = data_lines(text)
    # A note after a value ("815 # ectopic") is left out in a table's row as in a list's line.
    lines = [(no, without_comment(line)) for no, line in numbered]
    if not lines:
        return [], blanks, None
    ends_with = empty_last_cell(line for _, line in lines)
    if ends_with is not None:
        # A spreadsheet's one-column CSV ("800,"): the empty cell on every row is no column.
        lines = [(no, line.rstrip(ends_with).rstrip()) for no, line in lines]
    delimiter = separator if separator is not None else delimiter_of(lines[0][1])
    return decimal_points_in_rows(lines, delimiter), blanks, delimiter


def _head(lines: list[tuple[int, str]], delimiter: str | None) -> tuple[list[str], bool]:
    """The first row's cells, and whether they are a header: a cell of words in them, or the
    numbers pandas names unnamed columns by where they cannot be values
    (:func:`~trainer.storage.rr_values.pandas_header`: ``,0`` over an index column, ``0`` over
    intervals none of which is 0)."""
    cells = split_cells(lines[0][1], delimiter)
    # A first value missing (R's NA, a spreadsheet's #N/A) is no column name, but a value.
    words = any(number_or_none(c) is None and not is_missing(c) for c in cells)
    if words and delimiter is None and len(lines) > 1 and len(split_cells(lines[1][1], None)) == 1:
        # One value a row under a header of words ("IBI (s)"): one name, not "IBI" and "(s)".
        cells = [" ".join(cells)]
    if not words:
        # Read as values, such a row was refused: "2 columns and no header" for ",0", and "RR
        # interval 0 is not positive" for "0" (in all three commands).
        below = (split_cells(line, delimiter) for _, line in islice(lines, 1, None))
        words = pandas_header(cells, below)
    return cells, words


def header_cells(text: str) -> list[str]:
    """A table's header cells as :func:`read_rr_file` splits them, or an empty list when the
    first row of ``text`` is no header (a list's first value). ``import`` routes a file by
    them (:func:`trainer.storage.imports.sniff.untimed_rr_table`), so that a table the reader
    reads is sent to it whatever its separator (without this, ``beat rr_ms`` with blanks
    between the cells, read by ``hrv``, was taken for a one-column list by ``import``)."""
    lines, _, delimiter = _rows(*excel_separator(text))
    if not lines:
        return []
    cells, words = _head(lines, delimiter)
    return cells if words else []


def _beat_gaps(
    name: str, times_ns: list[int], values_ms: list[float], lines: list[int]
) -> RRTiming:
    """Where the rows' times show beats lost, as ``import`` finds them in the same file.

    The beats are placed by :func:`trainer.storage.imports.strap_beats.strap_beat_times`, the
    import's rule: the running sum of the intervals, re-anchored where the rows move on by more than
    :data:`trainer.storage.imports.strap_beats.LOSS_S` beyond it; each re-anchoring is a gap.
    """
    t = np.asarray(times_ns, dtype=np.float64)
    steps = np.diff(t)
    if steps.size and (steps < 0).any():
        k = int(np.flatnonzero(steps < 0)[0]) + 1
        return RRTiming(name, [], f"it goes back on line {lines[k]}")
    # In the strap's 1/1024 s as import encodes them (every interval fits: MAX_RR_MS).
    rr_raw = [rr_ms_to_raw(v) for v in values_ms]
    beat_s = strap_beat_times((t - t[0]) / NS_PER_S, rr_raw)
    rr_s = np.asarray(rr_raw, dtype=np.float64) / RR_UNITS_PER_S
    added = np.diff(beat_s) - rr_s[1:]
    # Re-anchored runs are more than LOSS_S apart; rounding leaves nanoseconds elsewhere.
    where = np.flatnonzero(added > 1e-6)
    return RRTiming(name, [(int(k) + 1, lines[k + 1], float(added[k])) for k in where])
