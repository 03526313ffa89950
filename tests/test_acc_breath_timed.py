"""Accelerometer breathing on a drifting sensor clock: breath times follow the sensor's samples."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.acc_breath import KEEP_HOLE_S, TimedAccBreathTracker
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


def test_a_hole_in_the_samples_is_spanned_by_no_breath() -> None:
    t1 = np.arange(0, 90, 1 / NOMINAL_HZ)
    t2 = np.arange(110, 200, 1 / NOMINAL_HZ)
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    breaths = _feed(tracker, t1, _chest(t1, 12.0)) + _feed(tracker, t2, _chest(t2, 12.0))
    assert (tracker.holes, tracker.restarts) == (1, 0)
    assert not any(b.inhale_onset_s < 110 and b.end_s > 90 for b in breaths)
    assert any(b.inhale_onset_s > 130 for b in breaths)


def _paced_chest(t_s: np.ndarray, rate_bpm: float = 12.0, ratio: float = 2.0) -> np.ndarray:
    """Gravity plus a breathing tilt (mG) with inhales shorter than exhales (raised-cosine
    phases, no pause), so that the tracker can learn which way is in; inhale onsets at whole
    periods."""
    period_s = 60.0 / rate_bpm
    inhale = 1.0 / (1.0 + ratio)
    phase = np.mod(t_s, period_s) / period_s
    up = 0.5 * (1 - np.cos(np.pi * phase / inhale))
    down = 0.5 * (1 + np.cos(np.pi * (phase - inhale) / (1 - inhale)))
    breathing = np.where(phase < inhale, up, down)
    noise = np.random.default_rng(1).normal(0.0, 2.0, (t_s.size, 3))
    chest = np.column_stack([-187 + 6 * breathing, -28 + 4 * breathing, 949 + 26 * breathing])
    return chest + noise


def _holed(holes: list[tuple[float, float]], end_s: float = 240.0) -> np.ndarray:
    t = np.arange(0, end_s, 1 / NOMINAL_HZ)
    keep = np.ones(t.size, dtype=bool)
    for start, stop in holes:
        keep &= (t < start) | (t >= stop)
    return t[keep]


def test_a_short_hole_keeps_what_the_tracker_learnt() -> None:
    # Every hole had started a new detector: gravity, axis and the inhale direction learnt
    # again, and a new breath detector whose first breath is uncertain. With the link lost
    # every 20 s for 2.6 s, no breath was ever good. Now a hole of a few seconds is bridged:
    # the first breath begun after it is good.
    t = _holed([(120.0, 122.6)])
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    before = _feed(tracker, t[t < 120], _paced_chest(t[t < 120]))
    assert tracker.orientation_settled and before[-1].quality == "good"
    after = _feed(tracker, t[t >= 120], _paced_chest(t[t >= 120]))
    assert (tracker.holes, tracker.restarts) == (1, 0)
    assert tracker.orientation_settled
    # The breath under way when the link came back (onset at 120 s) is lost; the next is
    # measured, and good.
    first = after[0]
    assert abs(first.inhale_onset_s - 125.0) < 0.3 and abs(first.end_s - 130.0) < 0.3
    assert first.quality == "good"
    assert all(b.quality == "good" for b in after)


def test_no_breath_time_falls_before_the_samples_resume() -> None:
    # The low-pass delay taken off the times put the onset of a breath begun at the first
    # sample after a hole (the link back 0.45 s into an inhale) 0.15 s before it, which the
    # sample times mapped onto the samples before the hole: the breath seemed to span it,
    # from 87.74 s.
    t = _holed([(87.85, 90.45)], end_s=110.0)
    breaths = _feed(TimedAccBreathTracker(NOMINAL_HZ), t, _paced_chest(t, rate_bpm=8.0))
    after = [b for b in breaths if b.end_s > 90.45]
    assert after and min(b.inhale_onset_s for b in after) >= 90.45
    # Its start, the rise already under way, is not seen: not good.
    assert after[0].quality == "uncertain"


@pytest.mark.parametrize("step_s", [40.0, -5.0])
def test_a_long_hole_or_a_clock_restart_starts_again(step_s: float) -> None:
    # Past KEEP_HOLE_S the person may have taken the strap off; a step backwards is the
    # sensor's clock restarting (switched off and on): what was learnt may no longer hold.
    t1 = np.arange(0, 120, 1 / NOMINAL_HZ)
    t2 = t1[-1] + step_s + np.arange(0, 60, 1 / NOMINAL_HZ)
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    _feed(tracker, t1, _paced_chest(t1))
    assert tracker.orientation_settled
    after = _feed(tracker, t2, _paced_chest(t2))
    assert (tracker.holes, tracker.restarts) == (1, 1)
    assert after and after[0].quality == "uncertain"
    assert KEEP_HOLE_S < 40.0


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
    assert tracker.holes == 1
    assert not any(b.inhale_onset_s < 102.5 < b.end_s for b in breaths)
    assert any(b.inhale_onset_s > 130 for b in breaths)


def test_times_and_samples_must_match() -> None:
    tracker = TimedAccBreathTracker(NOMINAL_HZ)
    with pytest.raises(ValueError, match="shape"):
        tracker.update(np.arange(10) / NOMINAL_HZ, np.zeros((9, 3)))
