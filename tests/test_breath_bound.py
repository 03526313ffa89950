"""Tests for benchmarks.breath_bound: the generating model's own fit, the report's yardstick."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.breath_bound import fit_generating_model, ratio_errors
from benchmarks.validate_breath import Scenario, synthetic_belt

SEED = 4242


@pytest.mark.parametrize(("ratio", "pause"), [(1.0, 0.0), (3.0, 0.0), (2.0, 0.15)])
def test_noise_free_fit_returns_the_truth(ratio: float, pause: float) -> None:
    # With drift but no noise, the fit moves from the truth only as far as the spline baseline
    # differs from the generator's drift.
    sc = Scenario(10.0, ratio, pause_frac=pause, snr_db=None, duration_s=90.0)
    x, truth = synthetic_belt(sc, SEED)
    fit = fit_generating_model(x, sc, truth)
    true = np.array([(b.inhale_onset_s, b.exhale_onset_s, b.pause_start_s) for b in truth])
    assert np.max(np.abs(fit - true)) < 0.005
    assert np.max(ratio_errors(x, sc, truth)) < 0.002


def test_fit_finds_the_truth_from_a_wrong_start() -> None:
    # Started 0.2 s off on every time, the fit must come back: it fits, it does not echo.
    sc = Scenario(10.0, 2.0, snr_db=None, duration_s=90.0)
    x, truth = synthetic_belt(sc, SEED)
    moved = [
        type(b)(
            b.inhale_onset_s + 0.2, b.exhale_onset_s - 0.2, b.pause_start_s + 0.2, b.end_s, b.depth
        )
        for b in truth
    ]
    fit = fit_generating_model(x, sc, moved)
    true = np.array([(b.inhale_onset_s, b.exhale_onset_s, b.pause_start_s) for b in truth])
    assert np.median(np.abs(fit - true)) < 0.005


def test_with_noise_the_tied_fit_is_at_least_as_good_as_the_free_one() -> None:
    sc = Scenario(15.0, 3.0, snr_db=30.0, duration_s=180.0)
    x, truth = synthetic_belt(sc, SEED)
    free = ratio_errors(x, sc, truth)
    tied = ratio_errors(x, sc, truth, tied=True)
    assert 0.0 < np.median(tied) <= np.median(free)


def test_tied_fit_refuses_breathing_with_a_pause() -> None:
    sc = Scenario(10.0, 2.0, pause_frac=0.15, snr_db=None, duration_s=60.0)
    x, truth = synthetic_belt(sc, SEED)
    with pytest.raises(ValueError, match="without a pause"):
        fit_generating_model(x, sc, truth, tied=True)
