"""Beat times and strap notifications for the RR values of a logger's timed rows.

A table's RR values are sent as Heart Rate Measurement notifications, one per row group where
the strap notified (:func:`strap_notifications`). Their beat times are the running sum of the
RR (exact to 1/1024 s), not the rows' times: a phone logger delays and batches rows by up to
~2 s. They take the latest offset that puts no beat after the row that reported it, and
re-anchor only where the rows move on by more than 1.5 s beyond their RR, i.e. where beats were
lost (:func:`strap_beat_times`); each notification is sent at its last beat. Beats therefore sit
on their rows' least delay, which includes the strap's and phone's reporting delay (0.94 s after
the ECG's R peaks on a real Polar H10 file); a file with ECG moves them onto its R peaks
(:mod:`~trainer.storage.imports.ecg_beats`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.beats import MAX_DRIFT_S
from analysis.ecg_align import BeatDelay
from devices.heart_rate import RR_UNITS_PER_S, encode_heart_rate_measurement, rr_ms_to_raw
from devices.packets import NS_PER_S
from trainer.storage.imports.ecg_beats import align_beats_to_ecg
from trainer.storage.imports.heart_rate_packets import MAX_RR_PER_NOTIFICATION, hr_field
from trainer.storage.imports.polar_table import PolarTable
from trainer.storage.imports.rr_checks import check_table_rr
from trainer.storage.imports.waveforms import MIN_SAMPLES

FloatArray = npt.NDArray[np.float64]


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


def strap_notifications(
    table: PolarTable, path: Path
) -> tuple[list[tuple[int, bytes]], BeatDelay | None]:
    """Group RR values into notifications and time them at their beats.

    A row with a heart rate starts a notification; RR-only rows within 0.2 s of it continue it
    (loggers spread one notification's RR over the next rows). Each notification is sent at its
    last beat (:func:`strap_beat_times`, moved onto the ECG's R peaks by
    :func:`~trainer.storage.imports.ecg_beats.align_beats_to_ecg` when the file has ECG), so the
    beat timeline places every beat at the running sum of the RR; one without RR at its row, but
    not after the next one with RR.

    Returns
    -------
    packets : list of (int, bytes)
        Send time (Unix ns, the file's clock) and 0x2A37 payload, in time order.
    timing : BeatDelay or None
        The beats' delay after the ECG's R peaks, removed when found
        (:func:`~trainer.storage.imports.ecg_beats.align_beats_to_ecg`); None when the file has
        no ECG or no RR.
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
            bpm = hr_field([r * 1000.0 / RR_UNITS_PER_S for r in raws], 60)
        packets.append((when, encode_heart_rate_measurement(max(0, min(bpm, 255)), raws)))
    return packets, timing
