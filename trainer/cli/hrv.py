"""``breathwise hrv``: HRV with artifact correction from a file of RR intervals.

The analysis is :func:`analysis.hrv_report.analyse_rr`, the same one reports and the live UI
use. This module only reads and checks the file and prints the result; every problem with the
input is one :class:`trainer.errors.UserError` line naming the file (and line).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from analysis.hrv_report import analyse_rr
from analysis.rr_artifacts import DEFAULT_PARAMS, ArtifactParams
from devices.heart_rate import RR_UNITS_PER_S, rr_ms_to_raw
from trainer import SOFTWARE
from trainer.errors import BadArgument, UserError
from trainer.session.pipeline import NS_PER_S
from trainer.storage.decimal_comma import (
    decimal_comma_hint,
    decimal_points_in_rows,
    delimiter_of,
)
from trainer.storage.importers import (
    TIME_COLUMNS,
    check_rr_unit,
    column_key,
    parse_time,
    rr_unit_hint,
    strap_beat_times,
)
from trainer.storage.rr_values import (
    MAX_RR_MS,
    MS_PER_UNIT,
    PLAUSIBLE_TEXT,
    TOO_LONG_ADVICE,
    column_unit,
    implausible,
    plausible_rr,
    rr_column,
    too_long,
)
from trainer.storage.text_files import (
    MISSING_INTERVAL_ADVICE,
    blank_inside,
    data_lines,
    empty_last_cell,
    is_missing,
    lost_intervals,
    missing_interval,
    number_or_none,
    read_text,
    rows_without_beats,
    short_quote,
    split_cells,
    without_comment,
)

__all__ = ["RRFile", "RRTiming", "hrv", "read_rr_file"]

GAPS_JOINED = (
    "HRV joins the intervals around each gap, so their successive difference is false and the "
    "spectrum runs across it; split the file at the gap for exact numbers"
)
"""What a gap does to ``hrv``'s analysis, which takes the intervals without their times."""
_MAX_BYTES = 64 * 1024 * 1024
"""Largest RR file read, bytes (days of beats at one per line)."""


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

    def beat_times_s(self) -> list[float]:
        """Each beat's time, s from the start of the first interval: the running sum of the
        intervals, moved on by the gaps the time column shows (as ``import`` places them)."""
        t = np.cumsum(np.asarray(self.values_ms, dtype=np.float64)) / 1000.0
        for k, _, gap_s in self.timing.gaps if self.timing is not None else []:
            t[k:] += gap_s
        return [float(v) for v in t]

    def say_notes(self) -> None:
        """Print :attr:`notes` on standard error, each ``note: ...`` as ``import`` prints it."""
        for note in self.notes:
            typer.echo(f"note: {note}", err=True)

    def warnings(self, gap_effect: str = GAPS_JOINED) -> list[str]:
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


def read_rr_file(path: Path, unit: str | None = None) -> RRFile:
    """Read RR intervals (ms) from a text file: one per line, or one column of a table.

    Accepted layouts, plain or gzip-compressed: one number per line; or a table (comma,
    semicolon, tab or space separated; with semicolons or tabs 806,5 reads as 806.5, a
    European spreadsheet's decimal comma) whose header names the RR column (``rr_ms``, ``rr``,
    ``rri``, ``ibi``, ``nn``...; ``rr_s`` and the like are read as seconds: the names ``import``
    reads too, :data:`trainer.storage.rr_values.RR_COLUMNS`), or with a single column. The
    unit is ``unit`` if given, else the one the column's name states, else milliseconds, by
    the rule ``import`` follows (:func:`trainer.storage.rr_values.column_unit`): ``unit``
    overriding a name's unit is said in :attr:`RRFile.notes`, and without ``unit`` values
    that look like another unit than the name's are refused. A comma
    or semicolon ending every line (a spreadsheet's one-column CSV, ``800,``) is no column.
    Blank lines, lines starting with ``#`` and a ``#`` note after the values are skipped
    (:func:`~trainer.storage.text_files.without_comment`). A missing RR cell (empty, ``nan``,
    ``NA``, ``#N/A``: :func:`~trainer.storage.text_files.is_missing`) is a row without a beat
    in a table that has at least as many such rows as intervals (a logger's, one row per
    sample and an RR on beat rows: :func:`~trainer.storage.text_files.rows_without_beats`);
    in a table of one row per beat, and in a one-column list (where an empty line between two
    intervals is one too), it is a lost interval and is refused. A table's time column, one
    ``import`` reads (:data:`trainer.storage.importers.TIME_COLUMNS`), is read for the gaps it shows
    (:attr:`RRFile.timing`).

    Parameters
    ----------
    path : Path
        The file.
    unit : {"ms", "s"}, optional
        ``--unit``: the unit of the values, whatever the header names (with a note).

    Intervals outside 200-3000 ms (300-20 beats/min,
    :data:`trainer.storage.rr_values.PLAUSIBLE_RR_MS`, as ``import``) are kept: a strap that
    loses contact for a few beats sends one long interval, a spurious beat a short one, and the
    artifact correction splits, merges or interpolates them (:mod:`analysis.rr_artifacts`);
    refusing the file would lose every good beat in it. Only a file whose median lies outside
    that range is refused (its unit is wrong), and an interval longer than a heart-rate packet
    carries (:data:`trainer.storage.rr_values.MAX_RR_MS`, 63999 ms), which ``import`` could not
    store either.

    Returns
    -------
    RRFile
        Intervals in milliseconds, where the out-of-range ones are, and the gaps the time
        column shows.

    Raises
    ------
    UserError
        Missing or unreadable file, no intervals, a non-number (``nan``, ``NA`` or a
        spreadsheet's ``#N/A`` in a one-column list or a table of one row per beat included)
        or a time that is not one, an empty line inside a one-column list, an interval of
        zero or less or longer than 63999 ms, a median interval outside 200-3000 ms (a wrong
        unit), or without ``unit`` values that look like another unit than the column's name
        states; the message names the file and line.
    BadArgument
        ``unit`` other than ``ms`` or ``s``.
    """
    check_rr_unit(unit)
    text = read_text(path, max_bytes=_MAX_BYTES, what="an RR file")

    numbered, blanks = data_lines(text)
    # A note after a value ("815 # ectopic") is left out in a table's row as in a list's line.
    lines = [(no, without_comment(line)) for no, line in numbered]
    if not lines:
        raise UserError(f"{path}: no RR intervals (the file is empty)")

    ends_with = empty_last_cell(line for _, line in lines)
    if ends_with is not None:
        # A spreadsheet's one-column CSV ("800,"): the empty cell on every row is no column.
        lines = [(no, line.rstrip(ends_with).rstrip()) for no, line in lines]
    first_no, first = lines[0]
    delimiter = delimiter_of(first)
    lines = decimal_points_in_rows(lines, delimiter)
    first = lines[0][1]
    cells = split_cells(first, delimiter)
    # A first value missing (R's NA, a spreadsheet's #N/A) is no column name, but a value.
    words = any(number_or_none(c) is None and not is_missing(c) for c in cells)
    if words and delimiter is None and len(lines) > 1 and len(split_cells(lines[1][1], None)) == 1:
        # One value a row under a header of words ("IBI (s)"): one name, not "IBI" and "(s)".
        cells = [" ".join(cells)]
    column = 0
    named: tuple[str, str] | None = None  # the RR column's name and its key
    body = lines
    time_at: tuple[int, str, float] | None = None
    if words:
        keys = [column_key(c) for c in cells]
        # The time column import would read (its names and order), for the gaps it shows.
        time_name = next((c for c in TIME_COLUMNS if c in keys), None)
        if time_name is not None:
            time_at = (keys.index(time_name), *TIME_COLUMNS[time_name])
        found = rr_column(keys)
        if found is not None:
            column = found
            named = (cells[column].strip().strip('"'), keys[column])
        elif len(cells) == 1:
            column = 0
        else:
            raise UserError(
                f"{path}:{first_no}: cannot tell which column holds the RR intervals "
                f"(columns: {', '.join(cells)}); name it rr_ms"
            )
        body = lines[1:]
    elif len(cells) > 1:
        comma = decimal_comma_hint(first) if delimiter == "," else ""
        raise UserError(
            f"{path}:{first_no}: {len(cells)} columns and no header{comma}; "
            "give one interval per line or a header naming the rr_ms column"
        )

    if len(cells) == 1 and body:
        blank = blank_inside(blanks, body[0][0], body[-1][0])
        if blank is not None:
            # A spreadsheet writes an empty cell of a one-column table as an empty line.
            raise UserError(
                f"{path}:{blank}: an empty line between intervals: a missing RR interval",
                MISSING_INTERVAL_ADVICE,
            )
    written: list[tuple[int, str, float]] = []  # line, cell and value of each interval
    missing: list[tuple[int, str]] = []  # line and cell of each RR cell left out
    times_ns: list[int] = []
    time_problem: str | None = None
    for no, line in body:
        row = split_cells(line, delimiter)
        if column >= len(row):
            raise UserError(f"{path}:{no}: row has no column {column + 1}")
        cell = row[column].strip('"')
        if is_missing(cell):
            if len(cells) == 1:
                # A one-column list has no rows without a beat: a nan there is a lost interval.
                raise UserError(f"{path}:{no}: {missing_interval(cell)}", MISSING_INTERVAL_ADVICE)
            missing.append((no, cell))  # no beat on this row, or a lost one: told below
            continue
        value = number_or_none(cell)
        if value is None or not math.isfinite(value):
            raise UserError(f"{path}:{no}: {cell[:40]!r} is not a number{decimal_comma_hint(cell)}")
        if value <= 0.0:
            raise UserError(f"{path}:{no}: RR interval {cell} is not positive")
        written.append((no, cell, value))
        if time_at is not None:
            index, clock, time_scale = time_at
            if index >= len(row):
                raise UserError(f"{path}:{no}: row has no column {index + 1}")
            if time_problem is None:
                try:
                    times_ns.append(parse_time(row[index], clock, time_scale, path, no))
                except UserError:
                    # The intervals are what is analysed: an unreadable time costs the gaps,
                    # not the file (import, which places beats by it, refuses it).
                    time_problem = f"line {no}: {short_quote(row[index])} is not a valid time"
    if not written:
        raise UserError(f"{path}: no RR intervals (only a header or empty cells)")
    lost = lost_intervals(missing, [no for no, _, _ in written])
    if lost and not rows_without_beats(len(missing), len(written)):
        # One row per beat: the cell is an interval lost, as in a list.
        no, cell = lost[0]
        raise UserError(
            f"{path}:{no}: {missing_interval(cell, in_table=True)}", MISSING_INTERVAL_ADVICE
        )
    as_written = [value for _, _, value in written]
    if named is None:
        read_in, override = unit, None
    else:
        read_in, override = column_unit(*named, unit, as_written, f"{path}:{first_no}")
    read_in = read_in or "ms"
    values = [value * MS_PER_UNIT[read_in] for value in as_written]
    value_lines = [no for no, _, _ in written]
    hint = rr_unit_hint(as_written, seconds=read_in == "s")
    longest = next(
        ((no, cell) for (no, cell, _), ms in zip(written, values, strict=True) if ms > MAX_RR_MS),
        None,
    )
    if longest is not None:
        # Refused, not kept for the correction as a long interval is: no recording can hold
        # it, and a huge one (1e300) overflows the analysis' running sums.
        no, cell = longest
        raise UserError(
            f"{path}:{no}: {too_long(f'{cell} {read_in}')}{hint}",
            "" if hint else TOO_LONG_ADVICE,
        )
    outside = [
        (no, cell, ms)
        for (no, cell, _), ms in zip(written, values, strict=True)
        if not plausible_rr(ms)
    ]
    if outside and not plausible_rr(statistics.median(values)):
        no, cell, _ = outside[0]
        raise UserError(f"{path}:{no}: {implausible(f'{cell} {read_in}')}{hint}")
    timing = None
    if time_at is not None:
        name = cells[time_at[0]]
        timing = (
            RRTiming(name, [], time_problem)
            if time_problem is not None
            else _beat_gaps(name, times_ns, values, value_lines)
        )
    notes = () if override is None else (override,)
    return RRFile(values, [(no, ms) for no, _, ms in outside], timing, notes)


def _beat_gaps(
    name: str, times_ns: list[int], values_ms: list[float], lines: list[int]
) -> RRTiming:
    """Where the rows' times show beats lost, as ``import`` finds them in the same file.

    The beats are placed by :func:`trainer.storage.importers.strap_beat_times`, the import's
    rule: the running sum of the intervals, re-anchored where the rows move on by more than
    :data:`trainer.storage.importers.LOSS_S` beyond it; each re-anchoring is a gap.
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


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, value))


def _as_csv(result: dict[str, Any], source: Path) -> str:
    """Beat table as CSV, metrics and settings above it as ``# key=value`` comment lines."""
    buf = io.StringIO()
    buf.write(f"# breathwise hrv {source}\n")
    flat: list[tuple[str, Any]] = []
    _flatten("metrics", result["metrics"], flat)
    _flatten("settings", result["settings"], flat)
    for key, value in flat:
        buf.write(f"# {key}={json.dumps(value)}\n")
    for warning in result["warnings"]:
        buf.write(f"# warning: {warning}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["index", "rr_ms", "label"])
    for i, beat in enumerate(result["beats"]):
        writer.writerow([i, repr(beat["rr_ms"]), beat["label"]])
    return buf.getvalue()


def hrv(
    input: Annotated[
        Path,
        typer.Argument(
            help="Text file of RR intervals: one per line, or a table with an rr_ms column.",
            show_default=False,
            readable=False,
        ),
    ],
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="Unit of the intervals in the file, of a list or of a table's RR column: ms or "
            "s. Default: the unit the column's name states (rr_s: s), else ms. Given, it wins "
            "over the name's, and a note says so.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json: labels, corrected NN series, metrics and settings; "
            "csv: one row per interval with its label, metrics as # comment lines. "
            "Fields: docs/hrv-output.md in the source repository.",
        ),
    ] = "json",
    artifacts: Annotated[
        str,
        typer.Option(
            "--artifacts",
            help="default: Lipponen & Tarvainen 2019 with this tool's guards (a 5 % floor "
            "and 20 % ceiling on the thresholds, rules for ectopic runs and runs of missed "
            "beats; docs/validation/hrv.md in the source repository); published: the paper's "
            "rules alone, to compare with other tools. settings.artifacts lists every rule used.",
        ),
    ] = "default",
) -> None:
    """Heart-rate variability of an RR-interval file, with artifact correction.

    Ectopic, missed and extra beats are found and corrected (Lipponen & Tarvainen 2019), then
    time-domain (SDNN, RMSSD, pNN50...), frequency-domain (VLF/LF/HF, LF/HF) and coherence
    metrics are computed. The result goes to standard output.

    Counts: metrics.n_intervals = RR intervals read; metrics.n_nn_values = values of the
    corrected series nn_ms (split missed beats add some, merged extra beats remove some);
    metrics.time.n_original_nn = uncorrected intervals the time-domain metrics use. Coherence
    is one value over the last 64 s, on our 0-10 scale (the block says so). Every field is
    described in docs/hrv-output.md in the source repository (the docs are not installed).

    An empty line between the intervals of a one-column list is a missing interval, refused
    as 'nan' is. A table's time column (Phone timestamp, timestamp [ms]..., as 'breathwise
    import' reads it) is read for beats lost in a gap, found as import finds them: a warning
    names them, as the analysis joins the intervals around each.

    A table's RR column is found by the names 'breathwise import' reads (rr_ms, rr, rri, ibi,
    nn..., in seconds rr_s, ibi_s...). Without --unit, values that look like the other unit
    than their column's name states (seconds under rr_ms) are refused: give --unit, or rename
    the column. Intervals outside 200-3000 ms (300-20 beats/min) are
    kept for the correction, with a warning; a file whose median is outside that range is
    refused (a wrong unit), and so is an interval over 63999 ms, the longest a heart-rate
    packet carries; 'import' and 'breaths --rr' apply the same rules.
    """
    if format not in ("json", "csv"):
        raise BadArgument(f"--format must be 'json' or 'csv', not {format!r}")
    if artifacts not in ("default", "published"):
        raise BadArgument(f"--artifacts must be 'default' or 'published', not {artifacts!r}")
    rr = read_rr_file(input, unit)
    rr.say_notes()
    params = ArtifactParams.published() if artifacts == "published" else DEFAULT_PARAMS
    result = analyse_rr(rr.values_ms, params=params)
    # Provenance: the numbers depend on the version's methods and defaults.
    result["settings"] = {"software": SOFTWARE, **result["settings"]}
    for note in rr.warnings()[::-1]:
        result["warnings"].insert(0, note)
    if format == "json":
        typer.echo(json.dumps(result, indent=2, allow_nan=False))
    else:
        typer.echo(_as_csv(result, input), nl=False)
