"""Import the beats of a Breathwise CSV export, at the times the session placed them.

A Breathwise CSV export's ``<stem>.beats.csv``, with its ``<stem>.session.csv`` beside it
(:mod:`~trainer.storage.imports.export_sidecar`), is no logger's table: its ``t_s`` are the
session's own beat times, given back as they are (:func:`import_export_beats`), so export,
import and export again keep every beat within the CSV's 1 µs. Scheduled as a strap's rows
instead, every beat would come back 1.07 s early.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from devices.heart_rate import RR_UNITS_PER_S, encode_heart_rate_measurement, rr_ms_to_raw
from devices.packets import NS_PER_S, Stream
from devices.source import SourceInfo
from trainer.storage.imports.heart_rate_packets import MAX_RR_PER_NOTIFICATION, hr_field
from trainer.storage.imports.polar_table import parse_polar_csv
from trainer.storage.imports.rr_checks import check_table_rr
from trainer.storage.imports.session import (
    Imported,
    ImportFileError,
    finish_import,
    own_rhythm,
    packet_at,
)
from trainer.storage.recording import Item

FloatArray = npt.NDArray[np.float64]


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
    as a strap would send them (at most
    :data:`~trainer.storage.imports.heart_rate_packets.MAX_RR_PER_NOTIFICATION`, spanning at
    most ``period_s``), sent at its last beat; a beat that is not (one the timeline clamped onto an
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
    """The notification of the beats at indices ``group``, sent at the last one's time."""
    raws = [int(rr_raw[k]) for k in group]
    hr = hr_field([raw * 1000.0 / RR_UNITS_PER_S for raw in raws], 60)
    return float(beat_t_s[group[-1]]), encode_heart_rate_measurement(min(hr, 255), raws)


def import_export_beats(path: Path, *, start_wall_ns: int, unit: str | None = None) -> Imported:
    """Build a session from the ``<stem>.beats.csv`` of a Breathwise CSV export.

    Its ``t_s`` count from the session's start (``start_wall_ns``, the sidecar's or
    ``--start``) and are given back as they are (:func:`export_beat_notifications`): exported
    and imported again, every beat keeps its time to float rounding of the CSV's 1 µs, not the
    running-sum schedule of :func:`~trainer.storage.imports.strap_beats.strap_beat_times`, which
    puts every beat of a sample session 1.07 s early and those of a simulated one 2.0-2.75 s
    early. ``unit`` is ``--unit``, as
    for any table (:func:`~trainer.storage.imports.polar_table.parse_polar_csv`).
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
    items: list[Item] = [own_rhythm(start_wall_ns)]
    for t, payload in export_beat_notifications(beat_t, rr_raw):
        items.append(packet_at(t, start_wall_ns, Stream.HEART_RATE, payload))
    return replace(finish_import(info, items, start_wall_ns, duration_s, path), notes=table.notes)
