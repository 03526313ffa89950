"""Import an RR list, or a table of RR intervals without a time column.

An RR list holds one RR interval per line, read by the reader of ``hrv`` and ``breaths --rr``
(:func:`read_rr_list`, :func:`trainer.storage.rr_file.read_rr_file`), in milliseconds (or
seconds when their median is below 10, as some apps export: ``import`` then says so in a note,
where ``hrv`` and ``breaths --rr`` need ``--unit s``; ``--unit`` names it,
:func:`~trainer.storage.rr_values.rr_list_in_seconds`). Blank lines before and after the
intervals and ``#`` comments are skipped (an empty line between two intervals is a missing one,
refused, as ``nan``, ``NA`` and a spreadsheet's ``#N/A``, which is no comment:
:func:`~trainer.storage.text_files.is_comment`), a comma or semicolon ending every line (a
spreadsheet's one-column CSV) is dropped, and a first line that is no number is taken as a
column header (one naming a unit, ``rr_ms``, ``rr_s`` or ``IBI (s)``, gives the values theirs,
as in ``hrv``), and so is pandas' ``0`` over intervals none of which is 0
(:func:`~trainer.storage.rr_values.pandas_header`). A table with an RR column but no time
column (``index,rr_ms``; pandas' ``,0``) is read the same way from that column
(:func:`import_rr_table`).

Beat times are the running sum of the intervals, rounded to 1/1024 s and sent as a strap sends
them (:mod:`~trainer.storage.imports.heart_rate_packets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from devices.heart_rate import RR_UNITS_PER_S
from devices.packets import NS_PER_S, Stream
from devices.source import SourceInfo
from trainer.storage.imports.heart_rate_packets import (
    resolution_note,
    rr_notifications,
    rr_raw_on_beat_clock,
)
from trainer.storage.imports.session import (
    Imported,
    ImportFileError,
    finish_import,
    own_rhythm,
    packet_at,
)
from trainer.storage.imports.start_time import check_derived_start, file_time_ns
from trainer.storage.imports.table_columns import UNITLESS_TIME, column_key
from trainer.storage.recording import Item
from trainer.storage.rr_file import read_rr_file
from trainer.storage.rr_values import RR_COLUMNS, SECONDS_BELOW, UNIT_WORDS
from trainer.storage.text_files import input_name, short_quote

FloatArray = npt.NDArray[np.float64]


def read_rr_list(path: Path, unit: str | None = None) -> tuple[FloatArray, str]:
    """Read an RR list (see this module's notes): its intervals in milliseconds, and the note on
    the unit they were read in.

    The file is read by the reader of ``hrv`` and ``breaths --rr``
    (:func:`trainer.storage.rr_file.read_rr_file`), so a list gives the same intervals and
    refusals in all three; the one rule ``import`` adds is its unit by the median. A reader of
    its own here would drift from theirs: one refused lists the others read (quoted values,
    ``"800"``; a header with a digit, ``RR1``), while ``hrv`` read ``800,5`` under Excel's
    ``sep=,`` as 800.

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


def import_rr_table(
    path: Path, *, start_wall_ns: int | None = None, unit: str | None = None
) -> Imported:
    """Build a session from a table's RR column when it has no time column
    (:func:`~trainer.storage.imports.sniff.untimed_rr_table`), read by the reader of ``hrv``
    and ``breaths --rr`` (:func:`trainer.storage.rr_file.read_rr_file`), so the same file gives
    the same intervals
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
    read = read_rr_file(path, unit, error=ImportFileError)
    name = read.column or (read.header[0] if read.header else "")
    rr_ms = np.asarray(read.values_ms, dtype=np.float64)
    # A column named only "time" gives no unit to read it in: said, as `breaths` says of a
    # waveform's, so the person does not wonder why their time column was left out.
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
        start_wall_ns = int(file_time_ns(path) - duration_s * NS_PER_S)
        check_derived_start(start_wall_ns, path, absolute=False)
    info = SourceInfo(
        kind="import",
        name=f"RR list {input_name(path)}",
        streams={Stream.HEART_RATE.value: {}},
        details={"imported_from": input_name(path), "format": fmt, "beats": len(rr_raw)},
    )
    items: list[Item] = [own_rhythm(start_wall_ns)]
    for t, payload in rr_notifications(beat_t, rr_raw):
        items.append(packet_at(t, start_wall_ns, Stream.HEART_RATE, payload))
    notes = list(read_as)
    resolution = resolution_note(rr_ms, rr_raw)
    if resolution is not None:
        notes.append(resolution)
    return replace(finish_import(info, items, start_wall_ns, duration_s, path), notes=tuple(notes))
