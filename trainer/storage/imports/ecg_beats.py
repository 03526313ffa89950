"""Beats and an ECG in the same file: RR-derived beats moved onto its R peaks, or beats taken
from them.

When the file also has ECG (same session, same clock), every beat is moved back by the one delay
that puts the beats on the ECG's R peaks (:func:`align_beats_to_ecg`,
:mod:`analysis.ecg_align`): on a real Polar H10 file from a median 937 ms after their R peak to
6 ms (90th percentile 11 ms, all 796 beats inside the ECG within 15 ms), the RR and so the HRV
unchanged. If the ECG cannot be trusted (no QRS in it, too few or too scattered matches, a
rhythm too regular to tell one beat from the next) the beats keep the least row delay. Either
way the header records what was done in ``source.details["beat_timing"]``
(:func:`beat_timing_details`), and ``import`` says it in one line (:func:`beat_timing_note`).

A file with ECG but no RR or heart-rate column takes its beats from the ECG's R peaks
(:func:`ecg_beat_notifications`, scheduled as an RR list's), says so in a note and in
``source.details["beats_from"]``; with no QRS in the ECG it has no beats, and the note
:data:`ECG_WITHOUT_BEATS` says so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from analysis.ecg_align import (
    MATCH_TOL_S,
    MAX_DELAY_S,
    MAX_MAD_S,
    MAX_RUNNER_UP_SHARE,
    MIN_MATCHED,
    MIN_MATCHED_SHARE,
    BeatDelay,
    detect_r_peaks,
    estimate_beat_delay,
)
from devices.heart_rate import RR_UNITS_PER_S
from trainer.storage.imports.heart_rate_packets import rr_notifications, rr_raw_on_beat_clock
from trainer.storage.rr_values import MAX_RR_MS

FloatArray = npt.NDArray[np.float64]


ECG_ALIGNMENT_METHOD = (
    f"analysis.ecg_align: Pan-Tompkins R peaks (zero-phase); the delay in 0-{MAX_DELAY_S:g} s "
    f"with most beat-R differences within {1000 * MATCH_TOL_S:g} ms, refined to the median of "
    f"the matched; used if >= {MIN_MATCHED} and >= {MIN_MATCHED_SHARE:.0%} of the beats inside "
    f"the ECG match, MAD <= {1000 * MAX_MAD_S:g} ms, runner-up delay <= "
    f"{MAX_RUNNER_UP_SHARE:.0%} of the votes"
)
"""How the shift was found, as the header records it (the parameters make it reproducible)."""


def align_beats_to_ecg(
    beat_s: FloatArray, ecg_t_s: FloatArray, ecg: FloatArray
) -> tuple[FloatArray, BeatDelay]:
    """Move RR-derived beats onto the R peaks of the same file's ECG, if it can be trusted.

    Parameters
    ----------
    beat_s : ndarray of float
        Beat times from :func:`~trainer.storage.imports.strap_beats.strap_beat_times`, s: they
        still hold the least delay between a beat and the row that logged it, the strap's and
        phone's reporting delay (0.94 s on a real H10 file).
    ecg_t_s : ndarray of float
        ECG sample times, s, on the same clock (the file's, from its first row).
    ecg : ndarray of float
        ECG samples, µV.

    Returns
    -------
    beat_s : ndarray of float
        The beats moved back by the delay :func:`analysis.ecg_align.estimate_beat_delay`
        found, every one by the same amount so every RR interval keeps; unchanged when the
        ECG cannot be trusted (flat, noise, too few or too scattered matches, too regular a
        rhythm to tell one beat from the next).
    found : BeatDelay
        The delay found, or why none was (:func:`beat_timing_details` records it).
    """
    found = estimate_beat_delay(beat_s, ecg_t_s, ecg)
    return (beat_s if found.delay_s is None else beat_s - found.delay_s), found


def beat_timing_details(found: BeatDelay) -> dict[str, object]:
    """How the beats were placed, for the header's ``source.details["beat_timing"]``.

    Returns
    -------
    dict
        ``method`` (``"ecg_r_peaks"``: moved onto the R peaks; ``"least_row_delay"``: kept
        where :func:`~trainer.storage.imports.strap_beats.strap_beat_times` put them),
        ``shift_ms`` (added to every beat, <= 0), ``matched_beats``, ``beats_in_ecg``,
        ``r_peaks``, ``mad_ms`` (spread of the matched beats about the delay), ``estimator``
        (the method and its parameters) and, when the ECG was not used, ``reason`` (one line).
    """
    details: dict[str, object] = {
        "method": "least_row_delay" if found.delay_s is None else "ecg_r_peaks",
        "shift_ms": 0.0 if found.delay_s is None else round(-1000.0 * found.delay_s, 3),
        "matched_beats": found.matched,
        "beats_in_ecg": found.considered,
        "r_peaks": found.r_peaks,
        "mad_ms": None if found.mad_s is None else round(1000.0 * found.mad_s, 3),
        "estimator": ECG_ALIGNMENT_METHOD,
    }
    if found.delay_s is None:
        details["reason"] = found.reason
    return details


def beat_timing_note(found: BeatDelay) -> str:
    """One line for the person importing: how the beats were placed against the ECG."""
    if found.delay_s is not None:
        return (
            f"beats moved {1000 * found.delay_s:.0f} ms earlier onto the ECG's R peaks "
            f"({found.matched} of {found.considered} beats inside the ECG matched)"
        )
    return f"beats keep the logger's least delay, not aligned to the ECG: {found.reason}"


ECG_WITHOUT_BEATS = (
    "ECG without an RR or heart-rate column, and no QRS found in it (flat, noise or not an "
    "ECG): the session has no heart rate or HRV (the recording keeps the ECG)"
)
"""The note of a Polar CSV import with ECG but no beats, neither in an RR or heart-rate column
nor from the ECG's R peaks (:func:`ecg_beat_notifications` found fewer than two)."""

ECG_BEATS_FROM = "ECG R peaks (analysis.ecg_align)"
"""``source.details["beats_from"]`` of a Polar CSV import whose beats came from its ECG."""


def ecg_beats_note(beats: int) -> str:
    """The note of a Polar CSV import whose beats came from its ECG's R peaks, which give such
    a file the heart rate and HRV it would otherwise lack."""
    return (
        f"no RR or heart-rate column: {beats} beats taken from the ECG's R peaks "
        "(analysis.ecg_align, Pan-Tompkins), so the heart rate and HRV come from the ECG, "
        "not from a strap's RR"
    )


def ecg_beat_runs(peaks_s: FloatArray) -> list[FloatArray]:
    """An ECG's R peaks in runs of beats whose intervals a heart-rate packet can carry.

    Parameters
    ----------
    peaks_s : ndarray of float
        R-peak times, s, increasing (:func:`analysis.ecg_align.detect_r_peaks`).

    Returns
    -------
    list of ndarray of float
        The peaks, split where two neighbours lie more than
        :data:`~trainer.storage.rr_values.MAX_RR_MS` apart (a hole in the ECG no RR field
        holds); runs of a single peak, which give no interval, are left out. An interval
        across a shorter hole stays in its run, long, as a strap's across beats it missed.
    """
    cuts = np.flatnonzero(np.diff(peaks_s) * 1000.0 > MAX_RR_MS) + 1
    return [run for run in np.split(peaks_s, cuts) if run.size >= 2]


def ecg_beat_notifications(
    t_s: FloatArray, ecg: FloatArray
) -> tuple[list[tuple[float, bytes]], FloatArray, list[int]]:
    """Heart Rate Measurement notifications for the beats at an ECG's R peaks.

    Parameters
    ----------
    t_s : ndarray of float
        ECG sample times, s, increasing.
    ecg : ndarray of float
        ECG samples (any unit).

    Returns
    -------
    packets : list of (float, bytes)
        Send time, s (the clock of ``t_s``), and 0x2A37 payload, scheduled as an RR list's
        (:func:`~trainer.storage.imports.heart_rate_packets.rr_notifications`: one per second
        from the first beat), so the beat timeline puts every beat on its R peak to within
        1/1024 s. Empty when fewer than two R peaks
        were found (:func:`analysis.ecg_align.detect_r_peaks`).
    rr_ms : ndarray of float
        The intervals between neighbouring R peaks, ms: one per beat after the first peak of
        each run. An interval across a hole in the ECG is kept, long, as a strap's is across
        beats it missed, so the artifact correction treats it as missed beats; one longer than
        a packet's RR field holds (:data:`~trainer.storage.rr_values.MAX_RR_MS`) ends a run
        instead, and the next run's first notification re-anchors the beat timeline
        (:class:`analysis.beats.BeatTimeline`), as after beats a strap lost.
    rr_raw : list of int
        The same intervals in 1/1024 s, their running sum within each run on the R peaks
        (:func:`~trainer.storage.imports.heart_rate_packets.rr_raw_on_beat_clock`).
    """
    packets: list[tuple[float, bytes]] = []
    rr_all: list[FloatArray] = []
    raw_all: list[int] = []
    for run in ecg_beat_runs(detect_r_peaks(t_s, ecg)):
        rr_ms = np.diff(run) * 1000.0
        rr_raw = rr_raw_on_beat_clock(rr_ms)
        beat_s = float(run[0]) + np.cumsum(np.asarray(rr_raw, dtype=np.float64)) / RR_UNITS_PER_S
        packets += rr_notifications(beat_s, rr_raw)
        rr_all.append(rr_ms)
        raw_all += rr_raw
    return packets, (np.concatenate(rr_all) if rr_all else np.empty(0)), raw_all
