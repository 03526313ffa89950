"""``breathwise history --format csv|json``: the history as data, one record per session.

The text listing (:func:`trainer.cli.history.format_rows`) is for reading: aligned cells,
``—`` for a missing value, ``!``, ``p``, ``no RR`` and ``(gone)`` after cells and the marks
(SIMULATED SENSOR, NO SENSOR, sensor lost at M:SS) as text at the end of a line, explained
in footnotes. A script wants each of those as a value of its own column: this module gives
the same rows as records whose columns are named, and hold what, ``summary.csv`` of
``breathwise report DIR`` (:data:`trainer.reports.batch.SUMMARY_COLUMNS`) has where the
meaning is the same, and the history's own beside them (docs/export-formats.md, "The
history listing").
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Collection, Iterable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from devices.source import SENSORLESS_KIND, SIMULATED_KIND
from trainer.storage.history import SessionRow, readable_path

Value = str | int | float | bool | None
"""One cell: None is a value that does not exist or was not measured."""

FORMATS: tuple[str, ...] = ("text", "csv", "json")
"""The values of ``history --format``: ``text`` the aligned listing, the others data."""

TABLE_COLUMNS: tuple[str, ...] = (
    "path",
    "session_key",
    "start_wall_ns",
    "start_local",
    "duration_s",
    "practised_s",
    "practised_min",
    "source",
    "simulated",
    "no_sensor",
    "sensor_lost_from_s",
    "program",
    "breaths",
    "median_rate_bpm",
    "mean_ratio",
    "breath_source",
    "breath_cv",
    "target_rate_bpm",
    "target_ratio",
    "mean_follow_score",
    "follow_basis",
    "beats",
    "hr_start_bpm",
    "mean_hr_bpm",
    "rmssd_ms",
    "sdnn_ms",
    "lf_power_ms2",
    "hf_power_ms2",
    "rsa_bpm",
    "coherence",
    "coherence_score",
    "artifact_pct",
    "heart_rate_only",
    "heart_unreliable",
    "marks",
    "gaps",
    "gap_s",
    "recording_gone",
)
"""Every column of ``history --format csv`` (and key of ``--format json``), in order.

Those ``summary.csv`` has too (``start_wall_ns`` ... ``gap_s``) hold the same quantity in the
same unit; the others are the history's own: the recording's ``path`` and the ``session_key``
(as the database holds them), ``practised_min`` (the text listing's ``min``), the marks
``simulated``, ``no_sensor`` and ``sensor_lost_from_s``, the database's ``breath_source``, and
the listing's ``no RR``, ``!`` and ``(gone)`` as ``heart_rate_only``, ``heart_unreliable`` and
``recording_gone``. ``summary.csv``'s others (``rate_basis``, ``spectrum_start_s``,
``spectrum_end_s``, ``spectrum_whole``, ``ended``) are not kept in the history database, so
they are not here: the two lists are two tables, kept apart on purpose
(``tests/test_history_format.py`` holds the shared columns equal in value)."""


def start_local(start_wall_ns: int) -> str | None:
    """``start_wall_ns`` (Unix ns) as local ``YYYY-MM-DDTHH:MM:SS+HH:MM``, the fraction of a
    second cut off, as ``summary.csv``'s ``start_local`` (``trainer.reports.batch``): in the
    time zone of the machine listing it (``TZ``; a recording keeps none), its UTC offset
    naming the instant also in the hour the clocks go back. None when the calendar cannot
    show it (a start far off, from an import's wrong ``--start``)."""
    try:
        return datetime.fromtimestamp(start_wall_ns // 1_000_000_000).astimezone().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def table_row(row: SessionRow, superseded: Collection[str]) -> dict[str, Value]:
    """One session as a record of :data:`TABLE_COLUMNS`.

    ``superseded`` holds the keys of the sessions whose path a later recording took
    (:func:`trainer.storage.history.superseded_keys`): their ``recording_gone`` is True, as is
    that of a session whose file is no longer there (the listing's ``(gone)``).
    """
    values: dict[str, Value] = {
        # Shown as the listing's --paths shows it: bytes that are not UTF-8 as \xff escapes.
        "path": readable_path(row.path),
        "session_key": row.session_key,
        "start_wall_ns": row.start_wall_ns,
        "start_local": start_local(row.start_wall_ns),
        "duration_s": row.duration_s,
        "practised_s": row.practised_s,
        "practised_min": row.practised_min,
        "source": row.source,
        "simulated": row.source == SIMULATED_KIND,
        "no_sensor": row.source == SENSORLESS_KIND,
        "sensor_lost_from_s": row.sensor_lost_from_s,
        "program": row.program,
        "breaths": row.breaths,
        "median_rate_bpm": row.median_rate_bpm,
        "mean_ratio": row.mean_ratio,
        "breath_source": row.breath_source,
        "breath_cv": row.breath_cv,
        "target_rate_bpm": row.target_rate_bpm,
        "target_ratio": row.target_ratio,
        "mean_follow_score": row.mean_follow_score,
        "follow_basis": row.follow_basis,
        "beats": row.beats,
        "hr_start_bpm": row.hr_start_bpm,
        "mean_hr_bpm": row.mean_hr_bpm,
        "rmssd_ms": row.rmssd_ms,
        "sdnn_ms": row.sdnn_ms,
        "lf_power_ms2": row.lf_power_ms2,
        "hf_power_ms2": row.hf_power_ms2,
        "rsa_bpm": row.rsa_bpm,
        "coherence": row.coherence,
        "coherence_score": row.coherence_score,
        "artifact_pct": row.artifact_pct,
        "heart_rate_only": row.heart_rate_only,
        "heart_unreliable": row.heart_unreliable,
        "marks": row.marks,
        "gaps": row.gaps,
        "gap_s": row.gap_s,
        "recording_gone": row.session_key in superseded or not Path(row.path).exists(),
    }
    assert tuple(values) == TABLE_COLUMNS
    return {name: _present(v) for name, v in values.items()}


def _present(value: Value) -> Value:
    """``value``, None for what is not there: a number that is not finite (strict JSON has
    no NaN; the database's rows hold none: this is a guard) and an empty text (a plain
    session's ``program``), so that JSON's null is CSV's empty cell (``summary.csv``'s)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return None if value == "" else value


def _cell(value: Value) -> str:
    """A CSV cell as ``summary.csv`` writes one: empty for None, ``True``/``False``, numbers
    as Python writes them (``repr``: every digit, ``.`` as decimal point whatever the
    locale)."""
    return "" if value is None else str(value)


def write_table(
    rows: Iterable[SessionRow], superseded: Collection[str], out: TextIO, fmt: str
) -> None:
    """Write ``rows`` to ``out`` as ``fmt`` (``csv`` or ``json``), and nothing else.

    CSV: a header line of :data:`TABLE_COLUMNS`, then one line a session, ``,`` between
    cells, lines ending CRLF (Python's :mod:`csv`, as ``summary.csv``); an empty history is
    the header alone. JSON: an array of one object a session, keyed by the same names, null
    for a missing value; strict JSON (``allow_nan=False``: :func:`table_row` leaves no NaN).
    """
    records = [table_row(row, superseded) for row in rows]
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(TABLE_COLUMNS)
        writer.writerows([_cell(record[name]) for name in TABLE_COLUMNS] for record in records)
    elif fmt == "json":
        out.write(json.dumps(records, indent=1, allow_nan=False) + "\n")
    else:
        raise ValueError(f"not a data format: {fmt!r}")
