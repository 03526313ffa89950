"""Undoing an easing (review 17 F5): the program's pace comes back only when the measured
breathing is near enough it, so a person who cannot follow it is not eased, restored and eased
again round after round."""

from __future__ import annotations

from collections.abc import Callable

from analysis.breath import Breath
from devices.packets import NS_PER_S
from trainer.coaching.coach import Feedback
from trainer.coaching.conductor import (
    EASED_LESS_LABEL,
    RECOVER_S,
    RESTORED_LABEL,
    RETURN_FACTOR,
    Conductor,
    is_conductor_label,
)
from trainer.coaching.pacer import BreathPattern
from trainer.coaching.strain import CUES, PACE_SLOW_FACTOR, StrainKind
from trainer.session.events import BreathEvent, Event, PaceEvent, StrainEvent
from trainer.storage.recording import PacerChange

SLOW = BreathPattern.from_rate(6.0, 2.0)
START_NS = 10 * NS_PER_S


def _ns(t_s: float) -> int:
    return START_NS + round(t_s * NS_PER_S)


def _breath_event(t_s: float, rate_bpm: float) -> BreathEvent:
    """A breath at ``rate_bpm`` ending (and confirmed) at session second ``t_s``."""
    period = 60.0 / rate_bpm
    inhale, exhale = period / 2.5, period * 1.5 / 2.5
    breath = Breath(
        t_s - period, t_s - period + inhale, t_s, inhale, exhale, 0.0, 1.5, 1.0, rate_bpm,
        "good", t_s
    )  # fmt: skip
    return BreathEvent(
        1, breath, Feedback(0.0, 0.0, 0.0, 50, None), None, False, False, source="belt"
    )


def _eased_twice() -> Conductor:
    """A plain 6/min session eased by pace signs at 40 s and 70 s (to 8, then 9/min)."""
    conductor = Conductor(START_NS, 0, timeline=None, pattern=SLOW)
    conductor.start()
    for t_s in (40.0, 70.0):
        sign = StrainEvent(t_s, StrainKind.PACE, CUES[StrainKind.PACE], "")
        assert len(conductor.after([sign], _ns(t_s))) == 1
    assert conductor.ease_level == 2
    return conductor


def _breathe(
    conductor: Conductor, rate_of: Callable[[float], float], t0_s: float, t1_s: float
) -> list[tuple[float, PacerChange]]:
    """Feed breaths from ``t0_s`` to ``t1_s`` at the rate ``rate_of(pace)`` gives for the pace
    the conductor plays; (time, change) of every change it makes meanwhile."""
    changes: list[tuple[float, PacerChange]] = []
    pace = BreathPattern.from_rate(9.0, 1.5).rate_bpm
    t_s = t0_s
    while t_s < t1_s:
        rate = rate_of(pace)
        t_s += 60.0 / rate
        for change in conductor.before(_ns(t_s)):
            changes.append((t_s, change))
            assert change.pattern is not None
            pace = BreathPattern.from_dict(change.pattern).rate_bpm
        events: list[Event] = [_breath_event(t_s, rate)]
        assert conductor.after(events, _ns(t_s)) == []
    return changes


def test_a_person_far_off_the_programs_pace_keeps_the_easing() -> None:
    """Review 17 F5: 12/min against a 6/min pacer eased to 9/min is quiet (12 < 1.5 x 9),
    and the program's 6/min came back after 90 s, to be eased again 30 s later: 6 -> 8 -> 9 ->
    6 -> 8 -> 9. Now the easing stays while the breathing is still far off."""
    conductor = _eased_twice()
    assert _breathe(conductor, lambda _: 12.0, 70.0, 70.0 + 4 * RECOVER_S) == []
    assert conductor.ease_level == 2
    # The pace brought back is not itself a pace sign, with room for a median's wobble.
    assert 1.0 < RETURN_FACTOR < PACE_SLOW_FACTOR


def test_a_person_following_the_eased_pace_comes_back_a_step_at_a_time() -> None:
    """One who follows the eased pace goes back once the breathing is near enough the pace it
    returns to: 9 -> 8/min (9 is over 1.4 x 6), then 8 -> 6/min, a quiet RECOVER_S each."""
    conductor = _eased_twice()
    changes = _breathe(conductor, lambda pace: pace, 70.0, 70.0 + 3 * RECOVER_S)
    rates = [round(BreathPattern.from_dict(c.pattern or {}).rate_bpm, 1) for _, c in changes]
    labels = [c.label for _, c in changes]
    assert rates == [8.0, 6.0]
    assert labels == [EASED_LESS_LABEL, RESTORED_LABEL]
    assert all(is_conductor_label(label) for label in labels)
    (t_less, _), (t_back, _) = changes
    assert t_less >= 70.0 + RECOVER_S and t_back - t_less >= RECOVER_S
    assert conductor.ease_level == 0


def test_a_strap_alone_keeps_the_easing_by_the_rate_from_the_heart_rhythm() -> None:
    """With no breaths, the rate read from the heart rhythm decides: 12/min keeps the easing
    (it came back after 90 s, found in review with a strap alone), 6.5/min lets it go."""
    for rate, level in ((12.0, 2), (6.5, 0)):
        conductor = _eased_twice()
        for t_s in range(80, 80 + 2 * int(RECOVER_S), 10):
            pace = PaceEvent(float(t_s), rate, 9.0, 0.5, 64.0, Feedback(0.0, 0.0, 0.0, 50, None))
            conductor.before(_ns(t_s))
            conductor.after([pace], _ns(t_s))
        assert conductor.ease_level == level
