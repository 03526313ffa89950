"""RR intervals as the Heart Rate Measurement notifications (0x2A37) a strap sends.

RR intervals become notifications (:func:`devices.heart_rate.encode_heart_rate_measurement`, RR
in 1/1024 s). Beats that have no rows of their own (an RR list, an ECG's R peaks) are sent as a
strap sends them: one notification at the first beat, then one per second carrying the beats
completed in that second (:func:`rr_notifications`). Beat times are the running sum of the
intervals, rounded to 1/1024 s (:func:`rr_raw_on_beat_clock`: every beat within 0.49 ms, every
interval within 0.98 ms), which the import says in a note (:func:`resolution_note`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from devices.heart_rate import RR_UNITS_PER_S, encode_heart_rate_measurement
from trainer.storage.rr_values import MAX_RR_RAW

FloatArray = npt.NDArray[np.float64]


RESOLUTION_TOLERANCE_MS = 1e-6
"""Largest change of an interval, ms, that storing it in 1/1024 s may make unmentioned: a
float's rounding of a value that was a whole number of 1/1024 s (0.8203125 s)."""

MAX_RR_PER_NOTIFICATION = 9
"""RR values that fit one 20-byte notification after flags and a u8 heart rate (ATT MTU 23)."""


def hr_field(rr_ms: Sequence[float], fallback: int) -> int:
    """The heart-rate field of a notification carrying intervals ``rr_ms`` (ms): their mean
    rate, beats/min; ``fallback`` when it carries none."""
    return round(60_000.0 / float(np.mean(rr_ms))) if len(rr_ms) else fallback


def rr_notifications(
    beat_t_s: FloatArray, rr_raw: Sequence[int], *, period_s: float = 1.0
) -> list[tuple[float, bytes]]:
    """0x2A37 payloads a strap would send once per ``period_s`` for beats at ``beat_t_s``.

    Parameters
    ----------
    beat_t_s : ndarray of float
        Beat times, s, strictly increasing: the running sum of the intervals.
    rr_raw : sequence of int
        The interval ending each beat, 1/1024 s.
    period_s : float
        Time between notifications, s.

    Returns
    -------
    list of (float, bytes)
        Send time, s, and payload, in time order. The first notification is sent at the first
        beat and carries only its RR; notification ``k >= 1``, sent at ``t0 + k * period_s``
        (``t0 = beat_t_s[0]``), carries the RR of every beat in
        ``(t0 + (k - 1) * period_s, t0 + k * period_s]``; a period without a beat repeats the
        last heart rate without RR, as straps do.

    Notes
    -----
    :class:`analysis.beats.BeatTimeline` places the last beat of the first notification at its
    arrival, and every later beat at the previous one plus its RR unless that is after the
    notification's arrival. Sending the first notification at its beat, and each later one no
    earlier than its last beat, makes it place every beat at the running sum of the intervals:
    a schedule starting at 0 anchored the first reported beat up to a whole period late, and
    the clock took ~30 beats of clamping to come back.
    """
    out: list[tuple[float, bytes]] = []
    if beat_t_s.size == 0:
        return out
    t0 = float(beat_t_s[0])
    n_periods = math.ceil((float(beat_t_s[-1]) - t0) / period_s)
    sent_at = t0 + np.arange(n_periods + 1) * period_s
    # bins[0] is 1 (beats strictly increase): the first notification holds the first beat alone.
    bins = np.searchsorted(beat_t_s, sent_at, side="right")
    hr = 60
    for k in range(n_periods + 1):
        chunk = list(rr_raw[int(bins[k - 1]) if k else 0 : int(bins[k])])
        if chunk:
            hr = hr_field([raw * 1000.0 / RR_UNITS_PER_S for raw in chunk], hr)
        for start in range(0, max(len(chunk), 1), MAX_RR_PER_NOTIFICATION):
            out.append(
                (
                    float(sent_at[k]),
                    encode_heart_rate_measurement(
                        min(hr, 255), chunk[start : start + MAX_RR_PER_NOTIFICATION]
                    ),
                )
            )
    return out


def rr_raw_on_beat_clock(rr_ms: FloatArray) -> list[int]:
    """RR intervals in the strap's 1/1024 s whose running sum stays on the file's beat times.

    Each interval is the step between its beat's and the previous beat's time, both rounded to
    1/1024 s: ``raw[i] = round(T[i]) - round(T[i-1])``, ``T`` the running sum of ``rr_ms`` in
    1/1024 s. So every beat is within half a unit (0.49 ms) of the running sum of the file's
    intervals, however many beats there are, and every interval within one unit (0.98 ms) of
    the file's. Rounding each interval on its own keeps the intervals within 0.49 ms but lets
    the errors add up along the beats: on R peaks of a 100 Hz ECG (NeuroKit2's
    ``bio_resting_8min_100hz``, 477 beats) the last beats were 4.4 ms off, and 26 ms after the
    4684 beats of pyhrv's long series.

    Parameters
    ----------
    rr_ms : ndarray of float
        The intervals, ms, each at least 1/1024 s and at most what a packet carries
        (:func:`~trainer.storage.imports.rr_checks.check_rr_values`).

    Returns
    -------
    list of int
        The intervals, 1/1024 s, each in 1..65535 (a step that rounding would take to 0 or
        beyond the u16 field is clipped, and the next interval takes up the difference).
    """
    ticks = np.cumsum(np.asarray(rr_ms, dtype=np.float64)) * (RR_UNITS_PER_S / 1000.0)
    out: list[int] = []
    placed = 0
    for target in np.rint(ticks).astype(np.int64).tolist():
        step = min(max(target - placed, 1), MAX_RR_RAW)
        out.append(step)
        placed += step
    return out


def resolution_note(rr_ms: FloatArray, rr_raw: Sequence[int]) -> str | None:
    """What storing RR intervals in the strap's 1/1024 s did to them, in one line, or None
    when every one was already a whole number of 1/1024 s (a strap's own values).

    Parameters
    ----------
    rr_ms : ndarray of float
        The file's intervals, ms.
    rr_raw : sequence of int
        The intervals as stored (:func:`rr_raw_on_beat_clock`), 1/1024 s.
    """
    stored_ms = np.asarray(rr_raw, dtype=np.float64) * (1000.0 / RR_UNITS_PER_S)
    rr_error_ms = float(np.max(np.abs(stored_ms - rr_ms)))
    if rr_error_ms < RESOLUTION_TOLERANCE_MS:
        return None
    beat_error_ms = float(np.max(np.abs(np.cumsum(stored_ms) - np.cumsum(rr_ms))))
    return (
        f"RR stored at the strap's resolution of 1/1024 s: intervals within "
        f"{rr_error_ms:.2f} ms of the file's, beats within {beat_error_ms:.2f} ms, so "
        "pNN50 in its report can differ from 'hrv' on this file"
    )
