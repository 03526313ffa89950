"""The breath detector resuming after a hole in its samples (BreathTracker.after_hole)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.breath import Breath, BreathTracker

FS_HZ = 20.0
PERIOD_S = 5.0  # 12 breaths/min
INHALE_S = 2.0  # out:in 1.5, no pause


def _belt(t_s: np.ndarray) -> np.ndarray:
    """Raised-cosine inhale and exhale, inhale onsets at whole periods; a little noise."""
    phase_s = np.mod(t_s, PERIOD_S)
    up = 0.5 * (1 - np.cos(np.pi * phase_s / INHALE_S))
    down = 0.5 * (1 + np.cos(np.pi * (phase_s - INHALE_S) / (PERIOD_S - INHALE_S)))
    noise = np.random.default_rng(2).normal(0.0, 0.005, t_s.size)
    return np.asarray(3.0 + np.where(phase_s < INHALE_S, up, down) + noise, dtype=np.float64)


def _feed(tracker: BreathTracker, x: np.ndarray, per: int = 5) -> list[Breath]:
    return [b for i in range(0, x.size, per) for b in tracker.update(x[i : i + per])]


def _after_hole(resume_s: float) -> tuple[list[Breath], list[Breath]]:
    """Breaths of a detector fed 60 s, then resumed after a hole ending at ``resume_s``;
    and those of a new detector given only the samples after it."""
    before = np.arange(0.0, 60.0, 1 / FS_HZ)
    after = np.arange(resume_s, resume_s + 20.0, 1 / FS_HZ)
    tracker = BreathTracker(FS_HZ)
    _feed(tracker, _belt(before))
    resumed = _feed(tracker.after_hole(resume_s), _belt(after))
    new = _feed(BreathTracker(FS_HZ, t0_s=resume_s), _belt(after))
    return resumed, new


def test_the_first_breath_after_a_hole_is_measured_and_good() -> None:
    # The samples resume 1.5 s before an exhale ends (at 65 s). A new detector, with nothing
    # to compare it with, calls its first breath uncertain: with a link lost every 20 s,
    # no breath was ever good. Resumed, the detector keeps the depths it learnt.
    resumed, new = _after_hole(63.5)
    assert abs(new[0].inhale_onset_s - 65.0) < 0.2 and new[0].quality == "uncertain"
    first = resumed[0]
    assert abs(first.inhale_onset_s - 65.0) < 0.2 and abs(first.end_s - 70.0) < 0.2
    assert first.quality == "good"
    assert all(b.quality == "good" for b in resumed)


@pytest.mark.parametrize("resume_s", [65.3, 66.0])
def test_a_breath_under_way_when_the_samples_resume_is_not_a_breath(resume_s: float) -> None:
    # The rise had begun before the samples resumed: its onset is not in them, so the first
    # breath is the next one, not one starting at the first sample.
    resumed, _ = _after_hole(resume_s)
    assert abs(resumed[0].inhale_onset_s - 70.0) < 0.2
    assert resumed[0].quality == "good"


def test_after_hole_without_breaths_is_a_new_detector() -> None:
    # Nothing learnt yet (the hole came before the first breath): as a new detector.
    first = np.arange(0.0, 4.0, 1 / FS_HZ)
    after = np.arange(10.0, 40.0, 1 / FS_HZ)
    tracker = BreathTracker(FS_HZ)
    assert _feed(tracker, _belt(first)) == []
    resumed = _feed(tracker.after_hole(10.0), _belt(after))
    assert resumed == _feed(BreathTracker(FS_HZ, t0_s=10.0), _belt(after))


def test_a_shallow_fall_into_the_first_trough_gives_an_uncertain_breath() -> None:
    # 0.6 s before the exhale's end the signal falls 10 % of the depth more: the trough
    # starts a breath, but a fall that small may be a low-pass settling after the hole
    # (analysis.acc_breath, "Holes"), so the breath is not good.
    resumed, _ = _after_hole(64.4)
    assert abs(resumed[0].inhale_onset_s - 65.0) < 0.2
    assert resumed[0].quality == "uncertain"
    assert resumed[1].quality == "good"
