"""Tests of the coach: follow score, cues, hysteresis, rate limit, artifacts, own rhythm, and
the pace alone (a heart-rate strap)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import pytest

from analysis.breath import Breath
from trainer.coaching.coach import (
    CUE_EARLY,
    CUE_FASTER,
    CUE_IN_RHYTHM,
    CUE_LATE,
    CUE_LONGER_EXHALE,
    CUE_LONGER_INHALE,
    CUE_ON_PACE,
    CUE_OWN_GOOD,
    CUE_SLOWER,
    PRAISE_MIN_SCORE,
    Coach,
    Feedback,
    follow_score,
    target_ratio,
)
from trainer.coaching.pacer import BreathPattern, Pacer

FOUR_EIGHT = BreathPattern(inhale_s=4.0, exhale_s=8.0)  # 5 breaths/min, ratio 2
DETECT_DELAY_S = 1.5  # a belt detector emits a breath ~1-2 s after its end


def make_breath(
    onset_s: float,
    inhale_s: float,
    exhale_s: float,
    *,
    pause_s: float = 0.0,
    quality: str = "good",
) -> Breath:
    end_s = onset_s + inhale_s + exhale_s + pause_s
    return Breath(
        inhale_onset_s=onset_s,
        exhale_onset_s=onset_s + inhale_s,
        end_s=end_s,
        inhale_s=inhale_s,
        exhale_s=exhale_s,
        pause_s=pause_s,
        ratio=exhale_s / inhale_s,
        depth=1.0,
        rate_bpm=60.0 / (end_s - onset_s),
        quality=quality,
        detected_s=end_s + DETECT_DELAY_S,
    )


def breathe(
    coach: Coach,
    pacer: Pacer,
    n: int,
    inhale_s: float,
    exhale_s: float,
    *,
    start_s: float = 0.0,
    quality: str = "good",
) -> list[Feedback]:
    """``n`` back-to-back identical breaths from ``start_s``, each assessed in turn."""
    out = []
    t = start_s
    for _ in range(n):
        out.append(coach.assess(make_breath(t, inhale_s, exhale_s, quality=quality), pacer))
        t += inhale_s + exhale_s
    return out


def cues(feedback: list[Feedback]) -> list[str]:
    return [f.cue for f in feedback if f.cue is not None]


# -- follow score ----------------------------------------------------------------------------


def test_perfect_breaths_score_above_90_and_praise() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 10, 4.0, 8.0)
    assert all(f.follow_score == 100 for f in fb)
    assert all(f.rate_error_bpm == pytest.approx(0.0) for f in fb)
    assert all(f.ratio_error == pytest.approx(0.0) for f in fb)
    assert all(f.phase_lag_s == pytest.approx(0.0, abs=1e-9) for f in fb)
    assert fb[0].cue is None and fb[1].cue is None  # needs a full window of 3 breaths
    assert fb[2].cue == CUE_IN_RHYTHM
    # Praise is repeated, but sparingly: 10 breaths of 12 s hear it twice.
    assert [i for i, f in enumerate(fb) if f.cue is not None] == [2, 6]
    assert set(cues(fb)) == {CUE_IN_RHYTHM}


def test_near_perfect_noisy_breaths_score_above_90() -> None:
    seed = 20240611
    print(f"seed {seed}")
    rng = random.Random(seed)
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    t = 0.0
    for _ in range(40):
        lag = rng.uniform(-0.3, 0.3)
        inhale, exhale = 4.0 * rng.uniform(0.95, 1.05), 8.0 * rng.uniform(0.95, 1.05)
        b = make_breath(12.0 * round(t / 12.0) + lag, inhale, exhale)
        f = coach.assess(b, pacer)
        assert f.follow_score > 90, f
        assert f.cue in (None, CUE_IN_RHYTHM)
        t += 12.0


def test_score_formula_terms() -> None:
    assert follow_score(0.0, 0.0, 0.0, "good") == 100
    assert follow_score(0.0, 0.0, 0.0, "uncertain") == 90
    assert follow_score(0.0, 0.0, 0.0, "artifact") == 0
    # One sigma on one term: exp(-1/2).
    assert follow_score(0.12, 0.0, 0.0, "good") == round(100 * math.exp(-0.5))
    assert follow_score(0.0, -0.5, 0.0, "good") == round(100 * math.exp(-0.5))
    assert follow_score(0.0, 0.0, 0.12, "good") == round(100 * math.exp(-0.5))
    # Product of the terms.
    assert follow_score(0.12, 0.5, 0.12, "good") == round(100 * math.exp(-1.5))
    # A missing term (nan) costs nothing.
    assert follow_score(0.0, math.nan, math.nan, "good") == 100
    with pytest.raises(ValueError, match="quality"):
        follow_score(0.0, 0.0, 0.0, "excellent")


def test_feedback_signs_and_units() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    # 10 s breath (6/min) against 5/min, exhale 6 vs in 4 (1.5 vs 2), starting 1 s late.
    f = coach.assess(make_breath(13.0, 4.0, 6.0), pacer)
    assert f.rate_error_bpm == pytest.approx(1.0)
    assert f.ratio_error == pytest.approx(-0.5)
    assert f.phase_lag_s == pytest.approx(1.0)
    early = coach.assess(make_breath(22.5, 4.0, 8.0), pacer)
    assert early.phase_lag_s == pytest.approx(-1.5)
    expected = follow_score(1.0 / 5.0, math.log(1.5 / 2.0), 1.0 / 12.0, "good")
    assert f.follow_score == expected < 50


def test_target_ratio_counts_hold_in_as_inhale() -> None:
    held = BreathPattern(inhale_s=4.0, exhale_s=6.0, hold_in_s=2.0, hold_out_s=2.0)
    assert target_ratio(held) == pytest.approx(1.0)
    assert target_ratio(FOUR_EIGHT) == pytest.approx(FOUR_EIGHT.ratio)
    pacer, coach = Pacer(held), Coach()
    # What a detector reports for a perfect follower: 6 s "inhale" (4 + hold), 6 s out, 2 s pause.
    f = coach.assess(make_breath(0.0, 6.0, 6.0, pause_s=2.0), pacer)
    assert f.ratio_error == pytest.approx(0.0)
    assert f.rate_error_bpm == pytest.approx(0.0)
    assert f.follow_score == 100


def test_target_is_the_pattern_at_the_inhale_onset() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    pacer.set_pattern(BreathPattern(5.0, 5.0), 24.0)  # at an onset: new cycles of 10 s
    before = coach.assess(make_breath(12.0, 4.0, 8.0), pacer)  # ends at the change
    after = coach.assess(make_breath(24.0, 5.0, 5.0), pacer)
    assert before.follow_score == after.follow_score == 100


# -- cues ------------------------------------------------------------------------------------


def test_too_fast_gives_the_rate_cue() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 6, 3.0, 6.0)  # 6.7/min against 5/min, ratio right
    assert cues(fb)[0] == CUE_SLOWER
    assert fb[2].cue == CUE_SLOWER  # as soon as the window is full
    assert all(f.rate_error_bpm > 1.5 for f in fb)


def test_too_slow_gives_the_other_rate_cue() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 4, 5.0, 10.0)  # 4/min against 5/min
    assert cues(fb)[0] == CUE_FASTER


def test_short_exhale_gives_the_exhale_cue() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 4, 6.0, 6.0)  # right rate and timing, 1:1 instead of 1:2
    assert cues(fb)[0] == CUE_LONGER_EXHALE
    assert all(f.ratio_error == pytest.approx(-1.0) for f in fb)
    assert all(f.follow_score < 50 for f in fb)


def test_long_exhale_asks_for_a_longer_inhale() -> None:
    pacer, coach = Pacer(BreathPattern(5.0, 5.0)), Coach()
    fb = breathe(coach, pacer, 4, 3.0, 7.0)
    assert cues(fb)[0] == CUE_LONGER_INHALE


@pytest.mark.parametrize(("shift_s", "cue"), [(2.0, CUE_LATE), (-2.0, CUE_EARLY), (0.5, None)])
def test_timing_cues(shift_s: float, cue: str | None) -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 4, 4.0, 8.0, start_s=12.0 + shift_s)
    assert fb[0].phase_lag_s == pytest.approx(shift_s)
    assert cues(fb)[0] == (cue or CUE_IN_RHYTHM)


def test_rate_cue_has_priority_over_exhale_and_timing() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 4, 4.0, 4.0, start_s=3.0)  # fast, short exhale, drifting timing
    assert cues(fb)[0] == CUE_SLOWER


def test_one_odd_breath_does_not_trigger_a_cue() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 3, 4.0, 8.0)
    assert fb[-1].cue == CUE_IN_RHYTHM
    odd = coach.assess(make_breath(36.0, 2.0, 3.0), pacer)  # one very fast, short-exhale breath
    assert odd.follow_score < 20
    assert odd.cue is None  # praise is not repeated so soon, and no correction either
    fb = breathe(coach, pacer, 2, 4.0, 8.0, start_s=41.0 + 7.0)
    assert cues(fb) == []
    # Two odd breaths out of three are no longer noise.
    fast = breathe(coach, pacer, 2, 2.0, 3.0, start_s=72.0)
    assert cues(fast) == [CUE_SLOWER]


def test_hysteresis_keeps_a_cue_on_between_the_thresholds() -> None:
    # Against a 1:2 target the exhale cue switches on below ratio 2/1.25 = 1.6 and off above
    # 2/1.1 = 1.82. Breaths keep the pacer's 12 s and onsets, so only the ratio is off.
    def split(ratio: float) -> tuple[float, float]:
        return 12.0 / (1.0 + ratio), 12.0 * ratio / (1.0 + ratio)

    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=4.0)
    fb = breathe(coach, pacer, 3, *split(1.5))
    assert cues(fb) == [CUE_LONGER_EXHALE]
    fb = breathe(coach, pacer, 6, *split(1.7), start_s=36.0)
    assert cues(fb) and set(cues(fb)) == {CUE_LONGER_EXHALE}  # still on between thresholds

    # From scratch, the same 1.7 never switches the cue on, nor earns praise: between the
    # thresholds the coach says nothing (praise there alternated with the correction).
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=4.0)
    fb = breathe(coach, pacer, 9, *split(1.7))
    assert cues(fb) == []

    # Past the off-threshold the problem clears and praise follows.
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=4.0)
    breathe(coach, pacer, 3, *split(1.5))
    fb = breathe(coach, pacer, 2, *split(1.9), start_s=36.0)
    # Median of 1.5, 1.5, 1.9: still on, but this breath at 1.9 (within 10 % of 2) does not
    # show a short out-breath, so it is not told to lengthen it (review 17 F7).
    assert fb[0].cue is None
    assert fb[1].cue == CUE_IN_RHYTHM  # median of 1.5, 1.9, 1.9


@pytest.mark.parametrize("interval_s", [8.0, 20.0])
def test_cue_rate_limit(interval_s: float) -> None:
    seed = 7
    print(f"seed {seed}")
    rng = random.Random(seed)
    pacer, coach = Pacer(BreathPattern(2.0, 2.0)), Coach(min_cue_interval_s=interval_s)
    given: list[tuple[float, str]] = []
    t = 0.0
    # 4 s breaths that switch between kinds of error every few breaths, so a cue is always due.
    kinds = [(2.0, 2.0), (1.5, 1.5), (2.0, 1.0), (2.5, 2.5), (1.0, 2.0)]
    for i in range(300):
        inhale, exhale = kinds[(i // 4) % len(kinds)]
        inhale *= rng.uniform(0.97, 1.03)
        b = make_breath(t, inhale, exhale)
        f = coach.assess(b, pacer)
        if f.cue is not None:
            given.append((b.detected_s, f.cue))
        t = b.end_s
    times = [g[0] for g in given]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(given) >= 10
    assert min(gaps) >= interval_s
    # The same correction is not repeated within two intervals.
    for (t0, c0), (t1, c1) in itertools.pairwise(given):
        if c0 == c1:
            assert t1 - t0 >= 2 * interval_s


# -- artifacts -------------------------------------------------------------------------------


def test_artifact_breaths_are_ignored_for_cues() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=0.0)
    fb = breathe(coach, pacer, 2, 4.0, 8.0)
    # Many wildly fast artifact breaths: scored 0, never cue, and do not fill the window.
    junk = breathe(coach, pacer, 10, 1.0, 1.0, start_s=24.0, quality="artifact")
    assert all(f.follow_score == 0 and f.cue is None for f in junk)
    assert junk[0].rate_error_bpm == pytest.approx(25.0)  # errors are still reported
    last = coach.assess(make_breath(48.0, 4.0, 8.0), pacer)
    assert cues(fb) == []
    assert last.cue == CUE_IN_RHYTHM  # the third usable breath completes the window


def test_uncertain_breaths_score_a_little_less_and_never_cue() -> None:
    """An uncertain breath may be timed wrongly in a way the person cannot fix (the chest
    accelerometer's breaths before it has learnt which way is in may be inverted): cued on,
    such breaths told a person breathing as paced to lengthen the out-breath."""
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = breathe(coach, pacer, 3, 3.0, 6.0, quality="uncertain")
    assert fb[0].follow_score < follow_score(0.0, 0.0, 0.0, "uncertain") == 90
    assert cues(fb) == []
    # The same breaths, good, fill the window and bring the correction.
    good = breathe(coach, pacer, 3, 3.0, 6.0, start_s=27.0)
    assert cues(good) == [CUE_SLOWER]


# -- paused pacer ----------------------------------------------------------------------------


def test_breaths_while_paused_do_not_cue() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=0.0)
    pacer.pause(24.0)
    breathe(coach, pacer, 2, 4.0, 8.0)
    fb = breathe(coach, pacer, 5, 2.0, 2.0, start_s=60.0)
    assert cues(fb) == []
    assert math.isnan(fb[-1].phase_lag_s)  # no pacer onset anywhere near
    assert fb[-1].follow_score < 100


# -- own rhythm ------------------------------------------------------------------------------


def test_own_rhythm_mode() -> None:
    coach = Coach(min_cue_interval_s=10.0)
    good = [coach.assess_own_rhythm(make_breath(i * 10.0, 4.0, 6.0), 1.2) for i in range(3)]
    assert all(f.rate_error_bpm == 0.0 and f.phase_lag_s == 0.0 for f in good)
    assert all(f.follow_score == 100 for f in good)
    assert good[0].ratio_error == pytest.approx(0.3)
    assert cues(good) == [CUE_OWN_GOOD]
    # A longer exhale than asked is fine: no penalty, no correction.
    longer = coach.assess_own_rhythm(make_breath(30.0, 3.0, 9.0), 1.2)
    assert longer.follow_score == 100
    assert longer.cue is None
    # Out-breath shorter than the in-breath: cue toward a longer exhale once the window agrees.
    short = [coach.assess_own_rhythm(make_breath(42.0 + i * 8.0, 4.0, 4.0), 1.2) for i in range(3)]
    assert short[0].cue is None  # one short breath among good ones is not enough
    assert CUE_LONGER_EXHALE in cues(short)
    assert all(f.follow_score < 100 for f in short)
    assert short[0].ratio_error == pytest.approx(-0.2)


def test_own_rhythm_ignores_artifacts_and_validates_target() -> None:
    coach = Coach(min_cue_interval_s=0.0)
    fb = [
        coach.assess_own_rhythm(make_breath(i * 5.0, 3.0, 2.0, quality="artifact"), 1.5)
        for i in range(5)
    ]
    assert cues(fb) == []
    assert all(f.follow_score == 0 for f in fb)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="target_ratio"):
            coach.assess_own_rhythm(make_breath(0.0, 3.0, 3.0), bad)


def test_switching_mode_starts_a_fresh_window() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=0.0)
    breathe(coach, pacer, 2, 4.0, 8.0)
    first = coach.assess_own_rhythm(make_breath(24.0, 4.0, 8.0), 1.5)
    assert first.cue is None  # two paced breaths do not count towards the own-rhythm window


def test_reset_forgets_everything() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    assert cues(breathe(coach, pacer, 3, 4.0, 8.0)) == [CUE_IN_RHYTHM]
    coach.reset()
    fb = breathe(coach, pacer, 3, 4.0, 8.0)
    assert cues(fb) == [CUE_IN_RHYTHM]  # same again: no remembered cue time or praise


def test_non_finite_ratio_is_reported_as_nan_and_not_scored() -> None:
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    b = make_breath(0.0, 4.0, 8.0)
    clamped = dataclasses.replace(b, ratio=math.inf, quality="uncertain")
    f = coach.assess(clamped, pacer)
    assert math.isnan(f.ratio_error)
    assert not f.scored  # was scored 90: the ratio term skipped (tests/test_unmeasured_ratio.py)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"min_cue_interval_s": -1.0}, "min_cue_interval_s must be a finite number >= 0"),
        ({"min_cue_interval_s": math.nan}, "min_cue_interval_s must be a finite number >= 0"),
        ({"history_breaths": 0}, "history_breaths must be >= 1"),
    ],
)
def test_coach_validation(kwargs: dict[str, float], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Coach(**kwargs)  # type: ignore[arg-type]


# -- the pace alone (a heart-rate strap: rates read from the heart rhythm) --------------------

RR_STEP_S, RR_WINDOW_S = 10.0, 64.0


def _pace(
    coach: Coach, rates: list[float], target: float = 6.0, t0_s: float = 70.0
) -> list[Feedback]:
    return [
        coach.assess_pace(r, target, t0_s + RR_STEP_S * i, window_s=RR_WINDOW_S)
        for i, r in enumerate(rates)
    ]


def test_pace_on_target_scores_high_and_praises_the_pace_not_the_timing() -> None:
    out = _pace(Coach(), [6.0, 6.1, 5.95, 6.05])
    assert [f.follow_score for f in out] == [100, 99, 100, 100]
    assert all(math.isnan(f.ratio_error) and math.isnan(f.phase_lag_s) for f in out)
    cues = [f.cue for f in out if f.cue]
    assert cues == [CUE_ON_PACE]  # from the third estimate on; praise is not repeated soon


def test_pace_too_fast_asks_to_slow_down_and_waits_a_window_before_repeating() -> None:
    coach = Coach()
    out = _pace(coach, [7.5] * 12)  # 25 % fast against 6/min
    assert out[0].follow_score == round(100 * math.exp(-0.5 * (0.25 / 0.12) ** 2))
    assert out[0].rate_error_bpm == pytest.approx(1.5)
    times = [70.0 + RR_STEP_S * i for i, f in enumerate(out) if f.cue]
    assert [f.cue for f in out if f.cue] == [CUE_SLOWER] * len(times)
    # First once three estimates agree; repeated no sooner than one window later.
    assert times[0] == 90.0
    assert all(b - a >= RR_WINDOW_S for a, b in itertools.pairwise(times))
    assert len(times) == 2


def test_pace_too_slow_asks_for_a_little_quicker() -> None:
    assert _pace(Coach(), [4.8] * 3)[-1].cue == CUE_FASTER


def test_one_odd_pace_estimate_does_not_cue() -> None:
    out = _pace(Coach(), [6.0, 6.0, 6.0, 9.0, 6.0], t0_s=0.0)
    assert CUE_SLOWER not in [f.cue for f in out]


def test_pace_and_breaths_do_not_share_a_window() -> None:
    coach = Coach(min_cue_interval_s=0.0)
    pacer = Pacer(FOUR_EIGHT)
    breathe(coach, pacer, 2, 4.0, 8.0)
    # Two paced breaths, then a rate from the heart rhythm: it starts a window of its own.
    assert _pace(coach, [5.0], target=5.0, t0_s=30.0)[0].cue is None


@pytest.mark.parametrize(("rate", "target"), [(0.0, 6.0), (6.0, -1.0), (math.nan, 6.0)])
def test_pace_validation(rate: float, target: float) -> None:
    with pytest.raises(ValueError, match="positive number"):
        Coach().assess_pace(rate, target, 0.0, window_s=RR_WINDOW_S)


def test_pace_estimates_far_apart_do_not_share_a_window() -> None:
    coach = Coach()
    # Fast rates 40 s apart (more than half a 64 s window: the ones between went unscored).
    out = [coach.assess_pace(9.0, 6.0, t, window_s=RR_WINDOW_S) for t in (70.0, 110.0, 150.0)]
    assert all(f.cue is None for f in out)
    # From 150 s on they are 10 s apart: the third in a row brings the cue.
    assert [f.cue for f in _pace(coach, [9.0, 9.0], t0_s=160.0)] == [None, CUE_SLOWER]


def test_own_rhythm_praise_needs_the_target_reached_and_the_gap_is_silent() -> None:
    """Found in use: "Lovely long out-breath" at ratio 1.38 against a 1.5 target, and two
    breaths later "Lengthen the out-breath" for the same breathing. Now: 8 % short is between
    praise (within 3 %) and the correction (10 % short), and the coach says nothing."""
    coach = Coach(min_cue_interval_s=4.0)
    short = [coach.assess_own_rhythm(make_breath(i * 8.0, 2.5, 3.45), 1.5) for i in range(8)]
    assert cues(short) == []
    coach = Coach(min_cue_interval_s=4.0)
    there = [coach.assess_own_rhythm(make_breath(i * 8.0, 2.5, 3.7), 1.5) for i in range(4)]
    assert cues(there) == [CUE_OWN_GOOD]  # 1.48: within 3 % of the target


def test_no_praise_on_a_breath_that_scored_badly() -> None:
    """Found in use: "Nicely in rhythm" beside "follow 8". The window's medians were fine
    (one odd breath never triggers a correction), but that breath earns no praise either."""
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=4.0)
    fb = breathe(coach, pacer, 2, 4.0, 8.0)
    odd = coach.assess(make_breath(24.0, 1.5, 2.0), pacer)
    assert odd.follow_score < PRAISE_MIN_SCORE and odd.cue is None
    fb = breathe(coach, pacer, 1, 4.0, 8.0, start_s=27.5)
    assert all(f.cue in (None, CUE_IN_RHYTHM) for f in fb)


def _paced_breaths(
    coach: Coach, pacer: Pacer, n: int, exhale_s: float, *, min_ratio: float | None
) -> list[Feedback]:
    """``n`` breaths of 4 s in and ``exhale_s`` out on the 12 s 4/8 pacer's onsets, the rest of
    each cycle a pause: someone who keeps the pacer's rhythm with a shorter out-breath."""
    return [
        coach.assess(
            make_breath(12.0 * i, 4.0, exhale_s, pause_s=8.0 - exhale_s),
            pacer,
            min_ratio=min_ratio,
        )
        for i in range(n)
    ]


def test_a_pace_with_a_floor_does_not_correct_an_out_breath_at_or_above_it() -> None:
    """Found in review: deep breathing 4-8 says "out for 8 (or at least longer than the
    in-breath)" and its tip says so, but 4 s in / 6 s out (ratio 1.5) was told "Lengthen the
    out-breath" every second breath, for as long as the person kept to the tip."""
    pacer, coach = Pacer(FOUR_EIGHT), Coach()
    fb = _paced_breaths(coach, pacer, 12, 6.0, min_ratio=1.1)
    assert cues(fb) == []
    # The score still says how closely the 4/8 pacer was followed (1.5 against 2: 85).
    assert {f.follow_score for f in fb} == {85}
    # At the floor itself, still nothing to correct.
    fb = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 12, 4.4, min_ratio=1.1)
    assert cues(fb) == []
    # Without the floor the same breathing is corrected, as any pace's is 25 % short.
    fb = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 12, 6.0, min_ratio=None)
    assert CUE_LONGER_EXHALE in cues(fb)


def test_a_floor_still_corrects_below_it_and_praises_only_the_full_pace() -> None:
    # 1:1 is below "longer than the in-breath".
    fb = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 6, 4.0, min_ratio=1.1)
    assert cues(fb)[0] == CUE_LONGER_EXHALE
    # 1.05 is below the floor too, though 25 % short of 1.1 it is not.
    fb = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 6, 4.2, min_ratio=1.1)
    assert cues(fb)[0] == CUE_LONGER_EXHALE
    # The full 4/8 is praised; 1.5, accepted, is not.
    assert cues(_paced_breaths(Coach(), Pacer(FOUR_EIGHT), 4, 8.0, min_ratio=1.1)) == [
        CUE_IN_RHYTHM
    ]
    accepted = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 12, 6.0, min_ratio=1.1)
    assert CUE_IN_RHYTHM not in cues(accepted)
    # A floor at or above the pace's own ratio changes nothing.
    fb = _paced_breaths(Coach(), Pacer(FOUR_EIGHT), 12, 6.0, min_ratio=2.0)
    assert CUE_LONGER_EXHALE in cues(fb)


@pytest.mark.parametrize(
    ("quality", "scored"), [("good", True), ("uncertain", True), ("artifact", False)]
)
def test_an_artifact_breath_is_shown_unscored_not_as_follow_0(quality: str, scored: bool) -> None:
    """A belt at rest before the first breath reads its noise's "breaths" as artifacts
    (analysis revision 8), each scored 0 (an artifact proves nothing about following): the
    lines said "follow   0", and the screen and exports showed that 0 as the person's. The
    summary always left them out; now nothing shows a score for them."""
    from breath_shapes import breaths_of

    from trainer.session.events import BreathEvent
    from trainer.ui.headless import format_breath

    breath = dataclasses.replace(breaths_of([(3.3, 6.7, 0.0)])[0], quality=quality)
    coach = Coach()
    feedback = coach.assess(breath, Pacer(BreathPattern.from_rate(6.0, 2.0), start_s=100.0))
    event = BreathEvent(1, breath, feedback, 64.0, paced=True, target_ratio=2.0, source="belt")
    assert event.scored == scored
    assert ("follow   -" in format_breath(event)) == (not scored)
