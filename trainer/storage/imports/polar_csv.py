"""Import a Polar-style CSV: its RR and heart rate as strap notifications, its ECG and
accelerometer as PMD frames, its respiration column as a belt stream.

The table is read by :mod:`~trainer.storage.imports.polar_table`; this module builds the
session from it (:func:`import_polar_csv`): the RR and HR as a strap's notifications, timed at
their beats (:mod:`~trainer.storage.imports.strap_beats`, moved onto the ECG's R peaks when the
file has ECG, or taken from those R peaks when it has no RR:
:mod:`~trainer.storage.imports.ecg_beats`), the ECG and accelerometer samples as PMD frames at
the file's own times (:mod:`~trainer.storage.imports.waveforms`), a respiration column as the
belt stream (:mod:`~trainer.storage.imports.belt_stream`), and a note naming the columns no
stream holds.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis.ecg_align import BeatDelay
from analysis.progress import ProgressCallback, ProgressSteps
from devices.heart_rate import rr_ms_to_raw
from devices.packets import NS_PER_S, Stream
from devices.polar_pmd import MeasurementType
from devices.source import SourceInfo
from trainer.storage.history import local_minute
from trainer.storage.imports.belt_stream import add_belt_stream
from trainer.storage.imports.ecg_beats import (
    ECG_BEATS_FROM,
    ECG_WITHOUT_BEATS,
    beat_timing_details,
    beat_timing_note,
    ecg_beat_notifications,
    ecg_beats_note,
)
from trainer.storage.imports.heart_rate_packets import resolution_note
from trainer.storage.imports.polar_table import parse_polar_csv, unused_columns_note
from trainer.storage.imports.session import (
    Imported,
    ImportFileError,
    finish_import,
    own_rhythm,
    packet_at,
)
from trainer.storage.imports.start_time import check_derived_start, file_time_ns
from trainer.storage.imports.strap_beats import strap_notifications
from trainer.storage.imports.waveforms import (
    ACC_SAMPLES_PER_FRAME,
    ECG_SAMPLES_PER_FRAME,
    ecg_unit_by_span,
    pmd_frames,
    sample_rate_hz,
    waveform_usable,
)
from trainer.storage.recording import Item
from trainer.storage.text_files import input_name


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
    unit of the RR column's values (:func:`~trainer.storage.imports.polar_table.parse_polar_csv`).
    ``fs_hz`` is ``--fs``, for a table without a time column (NeuroKit2's ``ECG, PPG, RSP`` at
    100 Hz): sample ``k`` at ``k / fs_hz`` s, the session ``n / fs_hz`` s long, dated like
    relative times. A bare ``ECG`` column there is read in the unit its values' span gives
    (:func:`~trainer.storage.imports.waveforms.ecg_unit_by_span`, said in a note). A
    respiration column (``RSP``, ``Resp``, ``belt``...) becomes the belt stream
    (:func:`~trainer.storage.imports.belt_stream.add_belt_stream`); the columns no stream holds
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
        start_wall_ns = first_ns if absolute else int(file_time_ns(path) - duration_s * NS_PER_S)
        check_derived_start(start_wall_ns, path, absolute)
    elif absolute:
        # --start moves the session, but PMD frames keep the file's own clock: it must fit too.
        check_derived_start(first_ns, path, absolute)
        if start_wall_ns != first_ns:
            # Said, not done silently: the help offers --start for a file that gives no start,
            # and a loop giving every file one would move a 2024 session to 2026 without a
            # word.
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
        packets, timing = strap_notifications(table, path)
        for t, payload in packets:
            timed.append((t - origin_ns, Stream.HEART_RATE.value, payload))
    pmd: dict[str, object] = {}
    ok = np.isfinite(table.columns.get("ecg", np.zeros(0)))
    if waveform_usable(t_rel[ok], "ECG", notes):
        t_ecg = t_rel[ok]
        pmd["ecg"] = {"fs_hz": round(sample_rate_hz(t_ecg), 3), "resolution_bits": 14}
        for t, frame in pmd_frames(
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
    if waveform_usable(t_rel[ok], "accelerometer", notes):
        t_acc = t_rel[ok]
        pmd["acc"] = {"fs_hz": round(sample_rate_hz(t_acc), 3), "resolution_bits": 16}
        for t, frame in pmd_frames(
            t_acc + sensor_origin_ns, acc[ok], MeasurementType.ACC, ACC_SAMPLES_PER_FRAME
        ):
            timed.append((t - sensor_origin_ns, Stream.PMD_DATA.value, frame))
    if pmd:
        streams[Stream.PMD_DATA.value] = pmd
    ecg_beats: dict[str, object] = {}
    if "ecg" in pmd and Stream.HEART_RATE.value not in streams:
        # No RR or heart rate, but an ECG: its R peaks are the beats. Without them the
        # recording would say "no heart-rate strap" while it holds a chest strap's ECG.
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
        belt_details = add_belt_stream(table, t_rel, streams, timed, notes)
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
    # last beat (strap_beat_times): the PMD decoder anchors the first frame's last sample, and
    # the beat timeline the first notification's last beat, at arrival, so any delay added
    # here would move every sample and beat by as much.
    items: list[Item] = [own_rhythm(start_wall_ns)]
    for t_ns, stream, payload in timed:
        items.append(packet_at(t_ns / NS_PER_S, start_wall_ns, stream, payload))
    if timing is not None:
        notes.insert(0, beat_timing_note(timing))
    # Each RR value is stored in 1/1024 s here too (strap_notifications), as for an RR list,
    # and said as for one: unsaid, a table with a time column would move pNN50 from 40.55 to
    # 42.23 % silently.
    file_rr = table.columns.get("rr")
    if file_rr is not None and np.any(given := np.isfinite(file_rr)):
        rr_ms = file_rr[given]
        resolution = resolution_note(rr_ms, [rr_ms_to_raw(float(v)) for v in rr_ms])
        if resolution is not None:
            notes.append(resolution)
    imported = replace(
        finish_import(info, items, start_wall_ns, duration_s, path), notes=tuple(notes)
    )
    steps.done()
    return imported
