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
    usable,
)
from analysis.rr_breath import RRBreathEstimate
from trainer.session.events import BreathRateEvent
from trainer.ui.state import SessionState


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
    with pytest.raises(ValueError, match="source must be 'belt' or 'acc', got 'rr'"):
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
    with pytest.raises(ValueError, match="unknown source 'ppg'"):
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


def test_an_all_artifact_estimate_is_unclear_not_a_number() -> None:
    """Its rate was the newest artifact's (26/min) and the screen showed it as a number."""
    est = BreathEstimator("acc")
    last = est.update([replace(breath(10.0 * k), quality="artifact") for k in range(1, 6)])[-1]
    assert last.quality == 0.0 and not usable(last.source, last.quality)
    event = BreathRateEvent(50.0, last.rate_bpm, last.quality, last.source, last.t_s)
    assert event.unclear
    state = SessionState()
    state.apply([event])
    assert state.rate_bpm is None and state.rate_source_label == "chest movement (unclear)"
    # One measured breath among them is a number again.
    assert usable("acc", est.update([breath(60.0)])[0].quality)
    # Another source's usable estimate wins over it, by however little.
    sel = BreathSourceSelector()
    sel.update([last])
    best = sel.update(from_rr([RRBreathEstimate(51.0, 12.0, 0.0, 6.0, 0.2, 64.0)]))
    assert best is not None and best.source == "rr"


@pytest.mark.parametrize(("rate_bpm", "handover_s"), [(6.0, 130.0), (12.0, 120.0)])
def test_a_source_that_stops_hands_over_within_a_few_of_its_breaths(
    rate_bpm: float, handover_s: float
) -> None:
    """The accelerometer's last breath at 100 s (then held for movement): its rate stayed on
    screen until 140 s, whatever its breath period. Now after 2.5 of its periods (25 s at
    6/min, 12.5 s at 12/min), at the next heart-rhythm estimate (every 10 s)."""
    period = 60.0 / rate_bpm
    est, sel = BreathEstimator("acc"), BreathSourceSelector()
    t = 100.0 - 9 * period
    for k in range(10):
        sel.update(est.update([breath(t + k * period, period=period)]))
    shown = {}
    for t_s in range(110, 160, 10):
        best = sel.update(from_rr([RRBreathEstimate(float(t_s), 9.0, 0.0, 6.0, 0.9, 64.0)]))
        assert best is not None
        shown[t_s] = best.source
    assert min(t_s for t_s, source in shown.items() if source == "rr") == handover_s


def test_a_stopped_source_stays_while_nothing_usable_replaces_it() -> None:
    est, sel = BreathEstimator("belt"), BreathSourceSelector()
    for k in range(1, 11):
        sel.update(est.update([breath(10.0 * k)]))
    # The belt's last breath came at 101 s; 2.5 of its breaths are 25 s.
    unclear_rr = from_rr([RRBreathEstimate(130.0, 12.0, 0.0, 6.0, 0.1, 64.0)])
    best = sel.update(unclear_rr)
    assert best is not None and best.source == "belt"  # 29 s old, within the 30 s limit
    best = sel.update(from_rr([RRBreathEstimate(132.0, 12.0, 0.0, 6.0, 0.1, 64.0)]))
    assert best is not None and best.source == "rr"  # past the 30 s limit: unclear


def test_a_good_belt_takes_over_from_a_good_accelerometer_that_came_first() -> None:
    """1.0 against 0.9 is within the switch margin: whichever gave the first breath kept the
    answer, so a healthy belt beside an accelerometer was not the source."""
    sel = BreathSourceSelector()
    acc, belt = BreathEstimator("acc"), BreathEstimator("belt")
    assert sel.update(acc.update([breath(10.0)])) is not None
    best = sel.update(belt.update([breath(10.5)]))
    assert best is not None and best.source == "belt"
    # The other way round the accelerometer needs the margin: the belt stays.
    best = sel.update(acc.update([breath(20.0)]))
    assert best is not None and best.source == "belt"


def test_the_session_source_weighs_the_time_each_source_covered() -> None:
    """12 accelerometer estimates over the first 2 min (0.9) beat 174 heart-rhythm ones over
    28 min (0.56) on mean quality: the 30 min session's rate came from those 2 min."""
    acc = BreathEstimator("acc").update([breath(10.0 * k) for k in range(1, 13)])
    rr = [BreathEstimate(64.0 + 10.0 * k, 6.0, 0.56, "rr") for k in range(174)]
    result = best_source({"acc": acc, "rr": rr})
    assert result is not None and result[0] == "rr" and result[1] == pytest.approx(0.56)
    # Over the same time a good belt beats a good accelerometer, and a longer unusable heart
    # rhythm (0.1 x 0.7) beats neither.
    belt = BreathEstimator("belt").update([breath(10.0 * k) for k in range(1, 13)])
    low = [BreathEstimate(64.0 + 10.0 * k, 6.0, 0.07, "rr") for k in range(174)]
    result = best_source({"acc": acc, "belt": belt, "rr": low})
    assert result is not None and result[0] == "belt"


def test_a_lone_heart_rhythm_estimate_is_the_sessions_source() -> None:
    """A heart-rhythm session just over a window long has one estimate: it was shown ("6.0
    breaths/min from heart rhythm") and coached, yet it stood for no time, so the summary gave
    no rate (review 3, finding 6). It is the source when nothing covers time; an unusable
    one is not."""
    assert best_source({"rr": [BreathEstimate(70.0, 6.0, 0.38, "rr")]}) == ("rr", 0.38)
    assert best_source({"rr": [BreathEstimate(70.0, 6.0, 0.05, "rr")]}) is None
    # Anything covering time still wins over a lone estimate of higher quality.
    two = [BreathEstimate(70.0, 6.0, 0.3, "rr"), BreathEstimate(75.0, 6.0, 0.3, "rr")]
    result = best_source({"rr": two})
    assert result is not None and result[0] == "rr" and result[1] == pytest.approx(0.3)
