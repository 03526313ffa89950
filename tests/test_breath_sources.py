"""Tests for analysis.breath_sources: several sources, the best by quality, named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis.acc_breath import MOTION_UNCERTAIN
from analysis.breath import Breath
from analysis.breath_sources import (
    ACC_WEIGHT,
    MOVING_SCORE,
    RR_WEIGHT,
    BreathEstimate,
    BreathEstimator,
    BreathSourceSelector,
    best_source,
    from_rr,
)
from analysis.rr_breath import RRBreathEstimate


def breath(t: float, quality: str = "good", period: float = 10.0) -> Breath:
    return Breath(
        t - period, t - period + 4, t, 4.0, 5.0, 1.0, 1.25, 1.0, 60 / period, quality, t + 1
    )


def test_estimator_rates_and_quality() -> None:
    est = BreathEstimator("belt", n_recent=3)
    out = est.update([breath(10.0), breath(20.0, "uncertain"), breath(30.0, "artifact", 5.0)])
    assert [e.source for e in out] == ["belt"] * 3
    assert out[0].quality == 1.0
    assert out[1].quality == pytest.approx(0.75)
    assert out[2].quality == pytest.approx(0.5)
    assert out[2].rate_bpm == pytest.approx(6.0)  # the artifact's rate is left out
    assert out[2].breath is not None and out[2].t_s == 31.0
    acc = BreathEstimator("acc").update([breath(10.0)])
    assert acc[0].quality == pytest.approx(ACC_WEIGHT)
    with pytest.raises(ValueError):
        BreathEstimator("rr")


def test_selector_prefers_quality_and_names_the_source() -> None:
    sel = BreathSourceSelector(stale_s=20.0, switch_margin=0.1)
    rr = from_rr([RRBreathEstimate(10.0, 6.0, 0.3, 8.0, 0.9, 64.0)])
    assert rr[0].quality == pytest.approx(RR_WEIGHT * 0.9)
    best = sel.update(rr)
    assert best is not None and best.source == "rr"
    belt = BreathEstimator("belt").update([breath(11.0)])
    best = sel.update(belt)
    assert best is not None and best.source == "belt" and best.rate_bpm == 6.0
    # A slightly better acc estimate does not take over (margin); a stale belt is dropped.
    best = sel.update([BreathEstimate(13.0, 6.1, 0.95, "acc")])
    assert best is not None and best.source == "belt"
    best = sel.update([BreathEstimate(40.0, 6.1, 0.5, "acc")])
    assert best is not None and best.source == "acc"
    assert sel.current_source == "acc"
    with pytest.raises(ValueError):
        sel.update([BreathEstimate(41.0, 6.0, 0.5, "ppg")])


def test_belt_outranks_rr_of_any_quality() -> None:
    sel = BreathSourceSelector(switch_margin=0.0)
    sel.update(from_rr([RRBreathEstimate(10.0, 6.0, 0.0, 8.0, 1.0, 64.0)]))
    best = sel.update(BreathEstimator("belt").update([breath(10.0)]))
    assert best is not None and best.source == "belt"


def test_nothing_to_select() -> None:
    assert BreathSourceSelector().update([]) is None
    assert best_source({"belt": [], "rr": []}) is None


def test_best_source_of_a_recording() -> None:
    belt = BreathEstimator("belt").update([breath(10.0, "uncertain"), breath(20.0, "artifact")])
    acc = BreathEstimator("acc").update([breath(10.0), breath(20.0)])
    rr = from_rr([RRBreathEstimate(10.0, 6.0, 0.0, 8.0, 0.8, 64.0)])
    result = best_source({"belt": belt, "acc": acc, "rr": rr})
    assert result is not None
    assert result[0] == "acc" and result[1] == pytest.approx(ACC_WEIGHT)


def test_a_moving_accelerometer_scores_below_the_heart_rhythm_source() -> None:
    # An 'uncertain' accelerometer breath scored 0.45, above RR quality up to 0.64 (x 0.7).
    moving = replace(breath(10.0, "uncertain"), motion=MOTION_UNCERTAIN)
    acc = BreathEstimator("acc").update([moving])
    assert acc[0].quality == pytest.approx(ACC_WEIGHT * MOVING_SCORE)
    still = replace(breath(20.0, "uncertain"), motion=0.9 * MOTION_UNCERTAIN)
    assert BreathEstimator("acc").update([still])[0].quality == pytest.approx(0.5 * ACC_WEIGHT)
    sel = BreathSourceSelector()
    sel.update(acc)
    rr = from_rr([RRBreathEstimate(11.0, 6.0, 0.0, 8.0, 0.5, 64.0)])
    assert sel.update(rr) is not None and sel.current_source == "rr"
