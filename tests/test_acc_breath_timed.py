"""Accelerometer breathing on a drifting sensor clock: breath times follow the sensor's samples."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.acc_breath import TimedAccBreathTracker
from analysis.breath import Breath

NOMINAL_HZ = 50.0


def _chest(t_s: np.ndarray, rate_bpm: float) -> np.ndarray:
    """Gravity on z plus a breathing tilt (mG), peaks of the breathing at known times."""
    breathing = -np.cos(2 * np.pi * rate_bpm / 60.0 * t_s)  # trough (inhale onset) at k * period
    return np.column_stack([-187 + 6 * breathing, -28 + 4 * breathing, 949 + 40 * breathing])


def _feed(
    tracker: TimedAccBreathTracker, t_s: np.ndarray, xyz: np.ndarray, frame: int = 36
) -> list[Breath]:
    out = []
    for start in range(0, t_s.size, frame):
        out.extend(tracker.update(t_s[start : start + frame], xyz[start : start + frame]))
    return out


def test_breath_times_follow_a_clock_running_2_percent_fast() -> None:
    true_hz = NOMINAL_HZ * 1.02
    t = np.arange(int(240 * true_hz)) / true_hz
    breaths = _feed(TimedAccBreathTracker(NOMINAL_HZ), t, _chest(t, 10.0))
    late = [b for b in breaths if b.inhale_onset_s > 120]
    assert len(late) >= 15
    # Onsets keep a fixed place in the 6 s cycle (a symmetric sine leaves the detector free to
    # call either extreme the inhale onset). Read at the nominal rate instead, they would drift
    # by 2 % of the elapsed time: 2.4 s between 120 s and 240 s.
    phase_s = np.array([b.inhale_onset_s % 6.0 for b in late])
    phase_s = (phase_s - phase_s[0] + 3.0) % 6.0 - 3.0
    assert np.max(np.abs(phase_s)) < 0.3
    assert abs(np.median([b.rate_bpm for b in late]) - 10.0) < 0.3


def test_a_hole_in_the_samples_starts_again_and_no_breath_spans_it() -> None:
    t1 = np.arange(0, 90, 1 / NOMINAL_HZ)
    t2 = np.arange(110, 200, 1 / NOMINAL_HZ)
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    breaths = _feed(tracker, t1, _chest(t1, 12.0)) + _feed(tracker, t2, _chest(t2, 12.0))
    assert tracker.restarts == 1
    assert not any(b.inhale_onset_s < 100 < b.end_s for b in breaths)
    assert any(b.inhale_onset_s > 130 for b in breaths)


def test_timed_tracker_is_exported() -> None:
    import analysis.acc_breath

    assert "TimedAccBreathTracker" in analysis.acc_breath.__all__


def _noisy_chest(t_s: np.ndarray) -> np.ndarray:
    """:func:`_chest` at 10/min with 2 mG of sensor noise (a seeded, realistic stream)."""
    return _chest(t_s, 10.0) + np.random.default_rng(0).normal(0.0, 2.0, (t_s.size, 3))


def test_a_refused_chunk_keeps_the_time_base() -> None:
    # The times of a chunk refused for a NaN had been stored anyway: every breath after it
    # came out one chunk (1 s) early. Now it is as if that chunk had never come.
    t = np.arange(0, 240, 1 / NOMINAL_HZ)
    xyz = _noisy_chest(t)
    per = int(NOMINAL_HZ)
    refused = TimedAccBreathTracker(NOMINAL_HZ)
    skipped = TimedAccBreathTracker(NOMINAL_HZ)
    got: list[Breath] = []
    want: list[Breath] = []
    for start in range(0, t.size, per):
        chunk_t, chunk = t[start : start + per], xyz[start : start + per]
        if start == 60 * per:
            bad = chunk.copy()
            bad[3, 1] = np.nan
            with pytest.raises(ValueError, match="finite"):
                refused.update(chunk_t, bad)
            continue
        got += refused.update(chunk_t, chunk)
        want += skipped.update(chunk_t, chunk)
    assert [b.inhale_onset_s for b in got if b.inhale_onset_s > 70.0]
    assert got == want


def test_a_hole_inside_one_chunk_is_a_hole() -> None:
    # Times jumping 5 s inside one chunk had been read as continuous: a breath spanned it.
    t = np.arange(0, 240, 1 / NOMINAL_HZ)
    t[int(100 * NOMINAL_HZ) :] += 5.0
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    breaths = tracker.update(t, _noisy_chest(t))
    assert tracker.restarts == 1
    assert not any(b.inhale_onset_s < 102.5 < b.end_s for b in breaths)
    assert any(b.inhale_onset_s > 130 for b in breaths)


def test_times_and_samples_must_match() -> None:
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    with pytest.raises(ValueError, match="shape"):
        tracker.update(np.arange(10) / NOMINAL_HZ, np.zeros((9, 3)))
