"""When the coach may speak (review 17): settling into a new pace, no correction after a step
that asks nothing, opposite corrections, corrections that back off, and a correction only on
a breath that shows the problem."""

from __future__ import annotations

import itertools
from pathlib import Path

from program_runs import run_program
from test_coach import DETECT_DELAY_S, FOUR_EIGHT, breathe, cues, make_breath

from devices.sim import PersonModel
from trainer.coaching.coach import (
    CORRECTION_BACKOFF_MAX,
    CORRECTION_REPEAT,
    CUE_FASTER,
    CUE_IN_RHYTHM,
    CUE_LONGER_EXHALE,
    CUE_SLOWER,
    Coach,
    Feedback,
)
from trainer.coaching.pacer import BreathPattern, Pacer
from trainer.coaching.strain import OWN_SETTLE_S
from trainer.programs.catalog import load_catalog


def _own(coach: Coach, onsets_ratios: list[tuple[float, float]], target: float) -> list[Feedback]:
    """Own-rhythm breaths of 8 s (in + out, no pause) at the given onsets and out:in ratios."""
    out = []
    for onset, ratio in onsets_ratios:
        inhale = 8.0 / (1.0 + ratio)
        out.append(coach.assess_own_rhythm(make_breath(onset, inhale, 8.0 - inhale), target))
    return out


# -- F2: settling into a new pace ------------------------------------------------------------


def test_breaths_settling_into_a_new_pace_neither_cue_nor_fill_the_window() -> None:
    # Own rhythm at 12/min until 30 s, then the 4/8 pacer: the person takes two more quick
    # breaths, then follows exactly. Those two made the window's median "too fast" and the
    # first breath on the pacer was told to slow down.
    coach = Coach()
    pacer = Pacer(FOUR_EIGHT, start_s=30.0)
    for i in range(6):
        coach.assess_own_rhythm(make_breath(5.0 * i, 2.0, 3.0), 1.3)
    coach.pace_changed(30.0, FOUR_EIGHT)
    quick = [coach.assess(make_breath(30.5 + 5.0 * i, 2.0, 3.0), pacer) for i in range(2)]
    assert all(f.cue is None for f in quick)
    assert not any(f.scored for f in quick)  # the move to the pacer: not held against them
    # Onsets 42, 54, 66 s (on the pacer, the first a period after the change): nothing to
    # correct, and the third completes a window of breaths on the pacer.
    on_pace = breathe(coach, pacer, 3, 4.0, 8.0, start_s=42.0)
    assert CUE_SLOWER not in cues(on_pace)
    assert cues(on_pace) == [CUE_IN_RHYTHM]


def test_a_settle_lasts_one_period_of_the_new_pace_or_own_settle_without_one() -> None:
    coach = Coach(min_cue_interval_s=0.0)
    pacer = Pacer(FOUR_EIGHT)
    coach.pace_changed(0.0, FOUR_EIGHT)
    # Onsets 0-11.9 s settle: three fast breaths there never cue; from 12 s they count.
    fast = [coach.assess(make_breath(t, 1.0, 2.0), pacer) for t in (0.0, 4.0, 8.0)]
    assert cues(fast) == []
    later = [coach.assess(make_breath(t, 1.0, 2.0), pacer) for t in (12.0, 15.0, 18.0)]
    assert cues(later) == [CUE_SLOWER]

    coach = Coach(min_cue_interval_s=0.0)
    coach.pace_changed(100.0, None)
    settling = _own(coach, [(100.0 + 2.0 * i, 0.8) for i in range(4)], 1.3)
    assert cues(settling) == []  # onsets 100-106 s, within OWN_SETTLE_S
    after = _own(coach, [(100.0 + OWN_SETTLE_S + 8.0 * i, 0.8) for i in range(3)], 1.3)
    assert cues(after) == [CUE_LONGER_EXHALE]


def test_the_same_pace_set_again_does_not_restart_the_window() -> None:
    coach, pacer = Coach(min_cue_interval_s=0.0), Pacer(FOUR_EIGHT)
    coach.pace_changed(0.0, FOUR_EIGHT)
    breathe(coach, pacer, 2, 2.0, 3.0, start_s=12.0)
    coach.pace_changed(25.0, BreathPattern(4.0, 8.0))  # a program step with the same pace
    assert cues(breathe(coach, pacer, 1, 2.0, 3.0, start_s=22.0)) == [CUE_SLOWER]


def test_entering_a_paced_step_does_not_tell_someone_on_the_pacer_to_slow_down(
    tmp_path: Path,
) -> None:
    # Review 17 F2: deep breathing 4-8 starts with "breathe normally"; at 30 s the 4/8 pacer
    # starts, and this simulated person's first breath on it (54.2 s, 5.1/min) was told
    # "Slow down a little — follow the pacer".
    user_dir = tmp_path / "programs"
    user_dir.mkdir()
    program = load_catalog(user_dir).get("deep-breathing-4-8")
    run = run_program(tmp_path / "rec", program, person=PersonModel(seed=2), duration_s=100.0)
    breath_lines = [line for line in run.lines if line.startswith("breath ")]
    assert len(breath_lines) >= 10
    assert not any(CUE_SLOWER in line for line in run.lines)


def test_breaths_before_the_change_and_after_the_settle_are_scored() -> None:
    coach = Coach()
    pacer = Pacer(FOUR_EIGHT, start_s=0.0)
    before = coach.assess(make_breath(26.0, 4.0, 8.0), pacer)
    coach.pace_changed(30.0, BreathPattern(5.0, 10.0))
    pacer.set_pattern(BreathPattern(5.0, 10.0), 30.0)
    settling = coach.assess(make_breath(31.0, 5.0, 10.0), pacer)
    settled = coach.assess(make_breath(45.0, 5.0, 10.0), pacer)
    assert before.scored and settled.scored and not settling.scored


def test_a_breath_is_judged_by_the_settle_its_onset_fell_in() -> None:
    # Review 22 F1: steps of one period each (3/7 then 4/8): a breath begun 0.5 s into a step is
    # judged when it ends, after the next change, and was scored against the step it began in.
    coach = Coach()
    three_seven, four_eight = BreathPattern(3.0, 7.0), BreathPattern(4.0, 8.0)
    pacer = Pacer(three_seven, start_s=0.0)
    coach.pace_changed(0.0, three_seven)
    coach.pace_changed(10.0, four_eight)
    pacer.set_pattern(four_eight, 10.0)
    first = coach.assess(make_breath(0.5, 3.0, 7.0), pacer)
    second = coach.assess(make_breath(10.5, 4.0, 8.0), pacer)
    assert not first.scored and not second.scored


def test_a_slowing_patterns_small_stages_are_no_move_to_settle_into() -> None:
    # A slowing pattern's next stage (5 % slower) asks nobody to move: its breaths are scored
    # and the window is kept, so a correction due is still said.
    coach = Coach(min_cue_interval_s=0.0)
    pacer = Pacer(FOUR_EIGHT, start_s=0.0)
    coach.pace_changed(0.0, FOUR_EIGHT)
    fast = [coach.assess(make_breath(t, 1.0, 2.0), pacer) for t in (12.0, 15.0)]
    slower = BreathPattern(4.2, 8.4)
    coach.pace_changed(18.0, slower)
    pacer.set_pattern(slower, 18.0)
    third = coach.assess(make_breath(18.5, 1.0, 2.0), pacer)
    assert all(f.scored for f in [*fast, third])
    assert third.cue == CUE_SLOWER
    # A move (to 12/min) settles again.
    quick = BreathPattern(2.0, 3.0)
    coach.pace_changed(30.0, quick)
    pacer.set_pattern(quick, 30.0)
    assert not coach.assess(make_breath(30.5, 2.0, 3.0), pacer).scored


def test_a_follower_loses_no_follow_score_to_the_breaths_entering_a_pace(
    tmp_path: Path,
) -> None:
    # Deep breathing 4-8 enters its pacer at 30 s: the two breaths this simulated person takes
    # while moving onto it scored 0 each and took the session's mean follow from 88 to 82.
    user_dir = tmp_path / "programs"
    user_dir.mkdir()
    program = load_catalog(user_dir).get("deep-breathing-4-8")
    run = run_program(tmp_path / "rec", program, person=PersonModel(seed=1), duration_s=120.0)
    scored = [line for line in run.lines if line.startswith("breath ") and "follow   -" not in line]
    assert scored and not any("follow   0 " in line for line in scored)


# -- F8: nothing from the previous step once a step asks nothing -----------------------------


def test_a_breath_begun_before_a_change_is_scored_but_never_corrects_after_it() -> None:
    coach = Coach()
    fb = _own(coach, [(100.0 + 8.0 * i, 0.8) for i in range(3)], 1.3)
    assert cues(fb) == [CUE_LONGER_EXHALE]
    # "Coming back" at 130 s asks nothing; the breath begun at 124 s ends after it and is
    # judged against the step it began in (the pipeline's rule): scored, not corrected.
    coach.pace_changed(130.0, None)
    last = _own(coach, [(124.0 + 8.0 * i, 0.8) for i in range(1)], 1.3)[0]
    assert last.cue is None and last.scored and last.follow_score > 0


# -- F3: opposite corrections ----------------------------------------------------------------


def test_an_opposite_rate_correction_waits_for_breaths_that_answer_the_first() -> None:
    # 6/min pacer; measured periods scatter 15 % either side (a slipping belt), so the
    # 3-breath median jumps from fast to slow.
    pacer, coach = Pacer(BreathPattern.from_rate(6.0, 2.0)), Coach()
    periods = [8.5, 8.5, 8.5, 11.5, 11.5, 8.5, 11.5, 11.5, 11.5, 11.5, 11.5]
    given: list[tuple[float, str]] = []
    t = 0.0
    for period in periods:
        breath = make_breath(t, period / 3.0, 2.0 * period / 3.0)
        cue = coach.assess(breath, pacer).cue
        if cue is not None:
            given.append((breath.detected_s, cue))
        t += period
    assert given[0][1] == CUE_SLOWER
    slower_s = given[0][0]
    quicker = [s for s, c in given if c == CUE_FASTER]
    # Before: "A little quicker" 10 s after "Slow down", on a window holding the breaths that
    # drew it. Now only once three breaths begun after "Slow down" say so.
    assert quicker
    assert quicker[0] - slower_s >= CORRECTION_REPEAT * 8.0
    onsets_after = [t0 for t0 in itertools.accumulate([0.0, *periods]) if t0 >= slower_s]
    assert quicker[0] >= onsets_after[2] + 8.0  # the third such breath has ended


# -- F6: a correction that has not helped backs off ------------------------------------------


def test_an_unanswered_correction_backs_off_and_starts_again_once_cleared() -> None:
    coach = Coach()
    # 8 s own-rhythm breaths at out:in 0.8 against 1.3, for 10 minutes.
    fb = _own(coach, [(8.0 * i, 0.8) for i in range(75)], 1.3)
    times = [8.0 * i + 8.0 + DETECT_DELAY_S for i, f in enumerate(fb) if f.cue]
    assert all(f.cue in (None, CUE_LONGER_EXHALE) for f in fb)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Before: every 16 s, 36 times. Now 16, 32, 64 s, then 64 s to the end.
    assert gaps[:3] == [16.0, 32.0, 64.0]
    assert all(g == CORRECTION_BACKOFF_MAX * 8.0 for g in gaps[3:])
    assert len(times) <= 12
    # The out-breath reaches the target (cleared), then falls short again: the reminder comes
    # back at the shortest repeat, not a minute later.
    t0 = 8.0 * 75
    _own(coach, [(t0 + 8.0 * i, 1.4) for i in range(4)], 1.3)
    again = _own(coach, [(t0 + 32.0 + 8.0 * i, 0.8) for i in range(8)], 1.3)
    again_times = [t0 + 40.0 + 8.0 * i + DETECT_DELAY_S for i, f in enumerate(again) if f.cue]
    assert [b - a for a, b in itertools.pairwise(again_times)] == [16.0, 32.0]


# -- F7: a correction only on a breath that shows the problem --------------------------------


def test_no_correction_on_a_breath_that_already_does_what_is_asked() -> None:
    coach = Coach()
    # Two short out-breaths, then one at 1.55 against 1.3: the window's median is still short,
    # but "Lengthen the out-breath" next to 1.55 tells the person the opposite of the truth.
    fb = _own(coach, [(0.0, 0.8), (8.0, 0.8), (16.0, 1.55)], 1.3)
    assert fb[-1].follow_score == 100
    assert fb[-1].cue is None
    # A breath that does show it gets the correction.
    fb = _own(Coach(), [(0.0, 0.8), (8.0, 0.8), (16.0, 1.0)], 1.3)
    assert fb[-1].cue == CUE_LONGER_EXHALE
