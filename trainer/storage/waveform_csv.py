"""Reading a breathing waveform from a CSV / text table: ``breathwise breaths``' input.

:func:`load_waveform` reads one column (a belt) or three (an accelerometer's x, y, z) and the
samples' time column, if the header names one, from a text file as people bring them:

* the layout: comments, blank lines and rows padded with missing samples at the ends
  (:func:`_without_padding`), text above the header or a row of units under it refused
  (:func:`_refuse_preamble`), a header told from a first row of numbers
  (:func:`_first_row_is_header`) and matched to the rows' cells (:func:`_header_names`);
* the cells: separators and decimal commas (:mod:`trainer.storage.decimal_comma`), missing
  values and spreadsheet errors (:mod:`trainer.storage.text_files`);
* the columns: chosen by ``--column`` or found by their names (:func:`_pick_columns`), an
  accelerometer's unit as the header states it (:func:`acc_unit`);
* the time column: its rate checked against ``--fs`` and its gaps refused
  (:func:`check_time_column`, :func:`time_column_rate`).

Every problem with the file is one :class:`trainer.errors.UserError` line naming the file and
line; a bad ``--column`` is a :class:`trainer.errors.BadArgument`.

Parsing is vectorised (``numpy.loadtxt``'s C reader, fed a megabyte of lines at a time): an
hour of 100 Hz data takes well under a second to read, in about 3.5 bytes of memory per byte
of file; a slow line-by-line pass runs only to name the line of an error.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from analysis.acc_breath import MG_PER_G
from analysis.progress import ProgressCallback, ProgressSteps, counted
from devices.packets import NS_PER_S
from trainer.errors import BadArgument, UserError
from trainer.storage.decimal_comma import (
    decimal_comma_hint,
    decimal_points,
    decimal_points_in_text,
    delimiter_of,
    groups_thousands,
    one_column_of_decimal_commas,
)
from trainer.storage.imports.table_columns import (
    TIME_COLUMNS,
    UNITLESS_TIME,
    column_key,
    parse_time,
)
from trainer.storage.text_files import (
    data_lines,
    data_rows,
    empty_words,
    excel_separator,
    is_comment,
    is_missing,
    is_stream,
    iter_lines,
    number_or_none,
    read_text,
    short_quote,
    split_cells,
    without_comment,
)

__all__ = [
    "ACC_UNITS",
    "BATCH_GRID_TOLERANCE",
    "FS_TOLERANCE",
    "MAX_ABS_SAMPLE",
    "PHONE_TIME_GAP_S",
    "TIME_GAP_S",
    "TimeColumn",
    "Waveform",
    "acc_unit",
    "check_time_column",
    "load_waveform",
    "read_waveform",
    "time_column_rate",
]

FloatArray = NDArray[np.float64]

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
_PREAMBLE_SCAN = 100
"""Lines read for the first row of numbers when looking for text above a header."""
_HEAD_LINES = 200
"""Lines read for the header and the layout (the rest is read by ``numpy.loadtxt``)."""
FS_TOLERANCE = 0.02
"""Largest relative difference between --fs and the rate a time column gives: a sensor's
crystal is within 0.1 %; a wrong --fs (50 for 100 Hz, 100 for 125) is off by 20 % or more."""
TIME_GAP_S = 0.25
"""A time step this much longer than the usual one is samples missing, s: joined, the breaths
after it would be timed that much early, a few percent of a breath of 3-10 s."""
PHONE_TIME_GAP_S = 2.0
"""The same for a phone's times (``Phone timestamp``), s: a phone logger stamps rows in
batches up to about 2 s apart (:mod:`trainer.storage.imports.strap_beats`)."""


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


def acc_unit(path: Path, columns: tuple[str, ...]) -> str | None:
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
        title) are refused: the first was read without a word. For an
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
    """:data:`trainer.storage.imports.table_columns.TIME_COLUMNS`'s clock (``relative_s``,
    ``unix_ns``, ``pmd_ns``, ``iso``), or ``unknown`` for a name without a unit (``time``)."""
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
    # with a spreadsheet's #N/A to nothing and skipped it (without this, 100 such rows
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
    word but a sample left out, refused as such (without this, a first ``NA`` became the
    column's name, and the sample was dropped without a word). A row of numbers is a header
    only in pandas' ``to_csv`` layout, whose unnamed columns are named 0, 1, ...: after an
    empty cell over the index column (``,0``; no row of data leaves the first cell empty), or
    alone (``0``) over rows with decimals, with a note (numpy's ``%g`` writes a first sample
    of 0.0 as ``0``). Over integers, ``0`` could be either (a counter, a converter's first
    reading): it is read as a sample, and a note says so. Read as a sample, such a name moved
    every time one sample late (without this, the first breath lost, 9.743 breaths/min
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
    ``--column``."""
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
    (without this, four NaN at the end of a 600 s PhysioNet record refused the whole file
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
    (without this, ``#N/A`` as the first row under ``rsp`` was called a program's notes).
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
    that the advice is to delete it (without this, the advice to delete "the lines above
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
        # (without this, "time_s,rsp,event" over "0.00,0.49," was refused).
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
    (without this, 5.96 and 10.25 breaths/min from a 6/min belt). Two genuine integer
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

    The names and clocks are ``import``'s
    (:data:`trainer.storage.imports.table_columns.TIME_COLUMNS`), a device's clock before a phone's
    (which stamps rows in batches), then a name without a
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
    base a gap is measured from (without this, every 1 s step was a gap, and the rate came
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
                # A row pasted from another program (without this, "row has 1 columns"
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
