"""Tests of the breathing pacer: phases, fill, pattern changes, pauses, onsets, guide."""

from __future__ import annotations

import itertools
import json
import math
import random

import pytest

from devices.guide import BreathingGuide, GuideState
from trainer.coaching.pacer import BreathPattern, Pacer, PacerState, Phase

FOUR_EIGHT = BreathPattern(inhale_s=4.0, exhale_s=8.0)
BOX = BreathPattern(inhale_s=4.0, exhale_s=4.0, hold_in_s=2.0, hold_out_s=2.0)


def _fills(pacer: Pacer, t0_s: float, t1_s: float, dt_s: float) -> list[float]:
    n = round((t1_s - t0_s) / dt_s)
    return [pacer.state(t0_s + i * dt_s).fill for i in range(n + 1)]


# -- BreathPattern ---------------------------------------------------------------------------


def test_pattern_properties() -> None:
    assert FOUR_EIGHT.period_s == 12.0
    assert FOUR_EIGHT.rate_bpm == pytest.approx(5.0)
    assert FOUR_EIGHT.ratio == pytest.approx(2.0)
    assert BOX.period_s == 12.0
    assert BOX.ratio == pytest.approx(1.0)


def test_from_rate_splits_the_breathing_part() -> None:
    p = BreathPattern.from_rate(5.0, 2.0)
    assert p.inhale_s == pytest.approx(4.0)
    assert p.exhale_s == pytest.approx(8.0)
    assert p.rate_bpm == pytest.approx(5.0)
    held = BreathPattern.from_rate(5.0, 1.0, hold_in_s=1.0, hold_out_s=3.0)
    assert held.inhale_s == pytest.approx(4.0)
    assert held.exhale_s == pytest.approx(4.0)
    assert held.period_s == pytest.approx(12.0)
    assert held.ratio == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inhale_s": 0.0, "exhale_s": 4.0}, "must be > 0"),
        ({"inhale_s": 4.0, "exhale_s": -1.0}, "must be > 0"),
        ({"inhale_s": 4.0, "exhale_s": 4.0, "hold_in_s": -0.5}, "holds must be >= 0"),
        ({"inhale_s": 0.5, "exhale_s": 0.5}, "2-60 s"),
        ({"inhale_s": 30.0, "exhale_s": 31.0}, "2-60 s"),
        ({"inhale_s": math.nan, "exhale_s": 4.0}, "finite"),
        ({"inhale_s": math.inf, "exhale_s": 4.0}, "finite"),
    ],
)
def test_pattern_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BreathPattern(**kwargs)


def test_pattern_period_bounds_are_inclusive() -> None:
    assert BreathPattern(1.0, 1.0).period_s == 2.0
    assert BreathPattern(30.0, 30.0).period_s == 60.0


@pytest.mark.parametrize(
    ("rate", "ratio", "holds", "message"),
    [
        (0.5, 1.0, (0.0, 0.0), "rate_bpm must be"),
        (31.0, 1.0, (0.0, 0.0), "rate_bpm must be"),
        (6.0, 0.1, (0.0, 0.0), "ratio must be"),
        (6.0, 5.5, (0.0, 0.0), "ratio must be"),
        (6.0, 1.0, (5.0, 5.0), "no time to breathe"),
        (math.nan, 1.0, (0.0, 0.0), "finite"),
    ],
)
def test_from_rate_validation(
    rate: float, ratio: float, holds: tuple[float, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BreathPattern.from_rate(rate, ratio, hold_in_s=holds[0], hold_out_s=holds[1])


def test_dict_round_trip_through_json() -> None:
    for p in (FOUR_EIGHT, BOX, BreathPattern.from_rate(5.5, 1.5)):
        assert BreathPattern.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    # Holds may be omitted and unknown keys (a newer writer) are ignored.
    assert BreathPattern.from_dict({"inhale_s": 4, "exhale_s": 8, "future": 1}) == FOUR_EIGHT


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"inhale_s": 4.0}, "lacks exhale_s"),
        ({"inhale_s": "4", "exhale_s": 8.0}, "inhale_s must be a number"),
        ({"inhale_s": True, "exhale_s": 8.0}, "inhale_s must be a number"),
        ({"inhale_s": 4.0, "exhale_s": 8.0, "hold_in_s": None}, "hold_in_s must be a number"),
        ({"inhale_s": 4.0, "exhale_s": 80.0}, "cycle must last"),
        ([4.0, 8.0], "must be a mapping"),
        # A list of the keys (a damaged recording's pacer record) passes the key check and
        # raised TypeError at data[key] without the mapping check (found in review).
        (["inhale_s", "exhale_s"], "must be a mapping"),
    ],
)
def test_from_dict_rejects_bad_data(data: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        BreathPattern.from_dict(data)  # type: ignore[arg-type]


# -- phases and durations --------------------------------------------------------------------


def test_phases_and_durations_of_box_pattern() -> None:
    pacer = Pacer(BOX, start_s=10.0)
    expected = [
        (10.0, Phase.INHALE, 0.0, 4.0),
        (13.0, Phase.INHALE, 3.0, 1.0),
        (14.0, Phase.HOLD_IN, 0.0, 2.0),
        (15.5, Phase.HOLD_IN, 1.5, 0.5),
        (16.0, Phase.EXHALE, 0.0, 4.0),
        (19.0, Phase.EXHALE, 3.0, 1.0),
        (20.0, Phase.HOLD_OUT, 0.0, 2.0),
        (21.0, Phase.HOLD_OUT, 1.0, 1.0),
        (22.0, Phase.INHALE, 0.0, 4.0),
    ]
    for t, phase, elapsed, left in expected:
        s = pacer.state(t)
        assert s.phase is phase, t
        assert s.phase_elapsed_s == pytest.approx(elapsed), t
        assert s.phase_left_s == pytest.approx(left), t
        assert s.pattern == BOX
        assert not s.paused
    assert pacer.state(10.0).cycle_index == 0
    assert pacer.state(21.9).cycle_index == 0
    assert pacer.state(22.0).cycle_index == 1
    assert pacer.state(10.0 + 12.0 * 50 + 6.0).cycle_index == 50
    assert pacer.state(16.0).cycle_fraction == pytest.approx(0.5)


def test_time_spent_in_each_phase_matches_pattern() -> None:
    pacer = Pacer(BOX)
    dt = 0.01
    spent = dict.fromkeys(Phase, 0.0)
    for i in range(round(36.0 / dt)):
        spent[pacer.state((i + 0.5) * dt).phase] += dt
    assert spent[Phase.INHALE] == pytest.approx(12.0, abs=0.02)
    assert spent[Phase.HOLD_IN] == pytest.approx(6.0, abs=0.02)
    assert spent[Phase.EXHALE] == pytest.approx(12.0, abs=0.02)
    assert spent[Phase.HOLD_OUT] == pytest.approx(6.0, abs=0.02)


def test_without_holds_the_hold_phases_never_appear() -> None:
    pacer = Pacer(FOUR_EIGHT)
    phases = {pacer.state(i * 0.05).phase for i in range(1000)}
    assert phases == {Phase.INHALE, Phase.EXHALE}


def test_before_start_waits_at_first_inhale() -> None:
    pacer = Pacer(FOUR_EIGHT, start_s=5.0)
    assert pacer.state(0.0) == pacer.state(5.0)
    assert pacer.state(0.0).fill == 0.0
    assert pacer.pattern_at(-3.0) == FOUR_EIGHT


# -- fill ------------------------------------------------------------------------------------


def test_fill_values_at_landmarks() -> None:
    pacer = Pacer(BOX)
    assert pacer.state(0.0).fill == pytest.approx(0.0)
    assert pacer.state(2.0).fill == pytest.approx(0.5)
    assert pacer.state(5.0).fill == pytest.approx(1.0)
    assert pacer.state(18.0 - 12.0).fill == pytest.approx(1.0)
    assert pacer.state(8.0).fill == pytest.approx(0.5)
    assert pacer.state(11.0).fill == pytest.approx(0.0)


def test_fill_is_continuous_and_smooth() -> None:
    dt = 0.001
    for pattern in (FOUR_EIGHT, BOX, BreathPattern(1.0, 1.0)):
        fills = _fills(Pacer(pattern), 0.0, 3 * pattern.period_s, dt)
        steps = [b - a for a, b in itertools.pairwise(fills)]
        # Continuity: the largest step is the cosine's steepest slope times dt.
        max_slope = math.pi / 2 / min(pattern.inhale_s, pattern.exhale_s)
        assert max(abs(s) for s in steps) <= max_slope * dt * 1.001
        # Smoothness (C1): slope changes between steps stay small, even across phase boundaries.
        bends = [abs(b - a) for a, b in itertools.pairwise(steps)]
        curvature = (math.pi / min(pattern.inhale_s, pattern.exhale_s)) ** 2 / 2
        assert max(bends) <= curvature * dt * dt * 1.01 + 1e-12
        assert all(0.0 <= f <= 1.0 for f in fills)


# -- pattern changes -------------------------------------------------------------------------


@pytest.mark.parametrize("at_s", [1.0, 3.9, 4.0, 7.3, 11.99, 25.0])
def test_rate_change_keeps_phase_and_fill(at_s: float) -> None:
    pacer = Pacer(FOUR_EIGHT)
    before = pacer.state(at_s)
    new = BreathPattern(inhale_s=3.0, exhale_s=3.0)
    pacer.set_pattern(new, at_s)
    after = pacer.state(at_s)
    assert after.phase is before.phase
    assert after.pattern == new
    assert after.cycle_index == before.cycle_index
    frac_before = before.phase_elapsed_s / FOUR_EIGHT.duration_of(before.phase)
    frac_after = after.phase_elapsed_s / new.duration_of(after.phase)
    assert frac_after == pytest.approx(frac_before)
    assert after.fill == pytest.approx(before.fill, abs=1e-12)
    # The state just before the change still follows the old pattern.
    assert pacer.pattern_at(at_s - 1e-6) == FOUR_EIGHT
    fills = _fills(pacer, at_s - 0.5, at_s + 0.5, 0.001)
    assert max(abs(b - a) for a, b in itertools.pairwise(fills)) < 0.002


def test_change_mid_hold_in_onto_pattern_without_holds_keeps_fill() -> None:
    pacer = Pacer(BOX)
    before = pacer.state(17.0)
    assert before.phase is Phase.HOLD_IN
    pacer.set_pattern(FOUR_EIGHT, 17.0)
    after = pacer.state(17.0)
    assert after.fill == before.fill == 1.0
    assert after.phase is Phase.EXHALE
    assert after.phase_elapsed_s == 0.0
    assert pacer.state(21.0).fill == pytest.approx(0.5)


def test_mid_hold_out_onto_no_hold_pattern_starts_next_cycle() -> None:
    pacer = Pacer(BOX)
    before = pacer.state(23.0)
    assert before.phase is Phase.HOLD_OUT
    pacer.set_pattern(FOUR_EIGHT, 23.0)
    after = pacer.state(23.0)
    assert after.phase is Phase.INHALE
    assert after.fill == before.fill == 0.0
    assert after.cycle_index == before.cycle_index + 1
    assert pacer.inhale_onsets(20.0, 36.0) == pytest.approx([23.0, 35.0])


def test_changes_must_be_in_time_order() -> None:
    pacer = Pacer(FOUR_EIGHT, start_s=2.0)
    with pytest.raises(ValueError, match="time order"):
        pacer.set_pattern(BOX, 1.0)
    pacer.set_pattern(BOX, 10.0)
    with pytest.raises(ValueError, match="time order"):
        pacer.pause(9.0)


def test_two_changes_at_one_instant_the_later_wins() -> None:
    pacer = Pacer(FOUR_EIGHT)
    pacer.set_pattern(BOX, 0.0)
    assert pacer.pattern_at(0.0) == BOX
    assert pacer.state(0.0).phase is Phase.INHALE
    pacer.set_pattern(BOX, 5.0)
    pacer.set_pattern(FOUR_EIGHT, 5.0)
    assert pacer.pattern_at(5.0) == FOUR_EIGHT


def test_past_queries_are_unchanged_by_later_changes() -> None:
    rng = random.Random(1234)
    print("seed 1234")
    pacer = Pacer(FOUR_EIGHT)
    times = sorted(rng.uniform(0.0, 100.0) for _ in range(200))
    snapshot: dict[float, PacerState] = {}
    changed_at: set[float] = set()
    for t in times:
        snapshot[t] = pacer.state(t)
        if rng.random() < 0.1:
            changed_at.add(t)
            choice = rng.randrange(3)
            if choice == 0:
                new = BreathPattern.from_rate(rng.uniform(3, 12), rng.uniform(0.5, 3))
                pacer.set_pattern(new, t)
            elif choice == 1:
                pacer.pause(t)
            else:
                pacer.resume(t)
    assert len(changed_at) > 5
    for t, s in snapshot.items():
        if t not in changed_at:
            assert pacer.state(t) == s


# -- pause / resume --------------------------------------------------------------------------


def test_pause_freezes_and_resume_continues() -> None:
    pacer = Pacer(FOUR_EIGHT)
    pacer.pause(6.0)
    frozen = pacer.state(6.0)
    assert frozen.paused
    assert frozen.phase is Phase.EXHALE
    for t in (6.5, 20.0, 100.0):
        assert pacer.state(t) == frozen
    pacer.resume(100.0)
    resumed = pacer.state(100.0)
    assert not resumed.paused
    assert resumed.phase_elapsed_s == pytest.approx(frozen.phase_elapsed_s)
    assert resumed.fill == pytest.approx(frozen.fill)
    # 94 s of pause shifts everything: the state at 100 + x equals the unpaused state at 6 + x.
    plain = Pacer(FOUR_EIGHT)
    for x in (0.5, 3.0, 17.25):
        a, b = pacer.state(100.0 + x), plain.state(6.0 + x)
        assert a.phase is b.phase
        assert a.fill == pytest.approx(b.fill)
        assert a.cycle_index == b.cycle_index
    assert pacer.paused is False


def test_pause_and_resume_are_idempotent() -> None:
    pacer = Pacer(FOUR_EIGHT)
    pacer.resume(1.0)  # not paused: nothing happens
    pacer.pause(2.0)
    pacer.pause(5.0)  # already paused: the pause still dates from 2 s
    assert pacer.state(5.0).phase_elapsed_s == pytest.approx(2.0)
    pacer.resume(8.0)
    assert pacer.state(9.0).phase_elapsed_s == pytest.approx(3.0)


def test_set_pattern_while_paused_stays_paused() -> None:
    pacer = Pacer(FOUR_EIGHT)
    pacer.pause(2.0)
    pacer.set_pattern(BOX, 3.0)
    s = pacer.state(4.0)
    assert s.paused
    assert s.pattern == BOX
    assert s.phase_elapsed_s == pytest.approx(2.0)  # half of BOX's 4 s inhale, like 4-8's 2 s
    pacer.resume(10.0)
    assert pacer.state(12.0).phase is Phase.HOLD_IN


# -- inhale onsets ---------------------------------------------------------------------------


def test_inhale_onsets_plain() -> None:
    pacer = Pacer(FOUR_EIGHT, start_s=1.0)
    assert pacer.inhale_onsets(0.0, 40.0) == pytest.approx([1.0, 13.0, 25.0, 37.0])
    assert pacer.inhale_onsets(13.0, 25.0) == pytest.approx([13.0, 25.0])  # inclusive bounds
    assert pacer.inhale_onsets(13.5, 24.5) == []
    assert pacer.inhale_onsets(30.0, 20.0) == []


def test_inhale_onsets_across_pattern_change_and_pause() -> None:
    pacer = Pacer(FOUR_EIGHT)  # onsets 0, 12, 24
    pacer.set_pattern(BreathPattern(inhale_s=3.0, exhale_s=3.0), 30.0)
    # At 30 s: 6 s into 4-8 = 2 s into the 8 s exhale (25 %) -> 3 + 0.75 s into 3-3 = 3.75 s;
    # 2.25 s to the next onset.
    assert pacer.inhale_onsets(0.0, 45.0) == pytest.approx([0.0, 12.0, 24.0, 32.25, 38.25, 44.25])
    pacer.pause(46.0)
    pacer.resume(56.0)  # 10 s paused: next onset 50.25 + 10
    assert pacer.inhale_onsets(40.0, 70.0) == pytest.approx([44.25, 60.25, 66.25])
    # Every onset is where the state says an inhale begins.
    for onset in pacer.inhale_onsets(0.0, 70.0):
        s = pacer.state(onset)
        assert s.phase is Phase.INHALE
        assert s.phase_elapsed_s == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("rates", [(6.5, 6.0), (6.0, 5.5), (5.5, 5.0), (5.0, 4.5), (7.3, 4.1)])
def test_a_change_on_an_onset_after_whole_cycles_keeps_that_onset(
    rates: tuple[float, float],
) -> None:
    """A resonance assessment's 2 min steps are whole cycles, so each rate change falls on an
    inhale onset; float rounding put the new segment 1.15e-14 s past it, and the onset was in
    neither segment: the breath taken on it was timed against one a period away and scored 0
    (review 1, finding 1). Every change after whole cycles lists its onset once."""
    first, second = rates
    period = 60.0 / first
    for cycles in range(1, 30):
        at = 60.0 + cycles * period
        p = Pacer(BreathPattern.from_rate(first, 1.5), start_s=60.0)
        p.set_pattern(BreathPattern.from_rate(second, 1.5), at)
        around = p.inhale_onsets(at - 0.5 * period, at + 0.5 * period)
        assert around == [pytest.approx(at, abs=1e-9)], (cycles, around)
        assert p.state(at).phase is Phase.INHALE and p.state(at).phase_elapsed_s < 1e-9


def test_pause_at_an_onset_moves_the_onset_to_the_resume() -> None:
    pacer = Pacer(FOUR_EIGHT)
    pacer.pause(12.0)
    pacer.resume(15.0)
    assert pacer.inhale_onsets(0.0, 30.0) == pytest.approx([0.0, 15.0, 27.0])


# -- guide -----------------------------------------------------------------------------------


def test_guide_at_implements_breathing_guide() -> None:
    pacer = Pacer(BOX, start_s=2.0)
    guide: BreathingGuide = pacer
    g = guide.guide_at(8.0)
    assert g == GuideState(
        inhale_s=4.0, hold_in_s=2.0, exhale_s=4.0, hold_out_s=2.0, cycle_fraction=0.5
    )
    assert g is not None and g.period_s == 12.0
    assert pacer.guide_at(1.0) is None  # before the start
    pacer.pause(10.0)
    assert pacer.guide_at(11.0) is None
    pacer.resume(20.0)
    g2 = pacer.guide_at(20.0)
    assert g2 is not None
    assert g2.cycle_fraction == pytest.approx(8.0 / 12.0)


def test_steady_rate_spans_only_unpaused_stretches_at_one_rate() -> None:
    pacer = Pacer(FOUR_EIGHT, start_s=10.0)  # 5 breaths/min
    pacer.set_pattern(BreathPattern.from_rate(5.0, 1.0), 100.0)  # same rate, new ratio
    pacer.set_pattern(BreathPattern.from_rate(6.0, 2.0), 200.0)
    pacer.pause(300.0)
    pacer.resume(320.0)
    assert pacer.steady_rate_bpm(10.0, 199.0) == pytest.approx(5.0)
    assert pacer.steady_rate_bpm(200.0, 299.0) == pytest.approx(6.0)
    assert pacer.steady_rate_bpm(320.0, 400.0) == pytest.approx(6.0)
    assert pacer.steady_rate_bpm(9.0, 60.0) is None  # before the start
    assert pacer.steady_rate_bpm(150.0, 250.0) is None  # the rate changed
    assert pacer.steady_rate_bpm(290.0, 330.0) is None  # a pause inside
    assert pacer.steady_rate_bpm(305.0, 310.0) is None  # paused throughout
    assert pacer.steady_rate_bpm(60.0, 50.0) is None
