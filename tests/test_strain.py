"""Strain signs in the breathing, the eased pace that answers them, and the sensor-lost cue."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from breath_shapes import breaths_of as _breaths
from program_runs import FakeClock, compressed, no_sleep, replay_lines, run_program

from analysis.breath import Breath
from devices.packets import NS_PER_S
from devices.sim import PersonModel, SimulatedSource
from trainer.coaching.coach import CUE_FASTER, CUE_SENSOR_LOST
from trainer.coaching.conductor import RECOVER_S, Conductor
from trainer.coaching.pacer import BreathPattern
from trainer.coaching.strain import (
    CUE_PACE_OWN_RHYTHM,
    CUES,
    EASE_MAX_RATIO,
    EASE_TARGET_BPM,
    PACE_SLOW_FACTOR,
    REPEAT_S,
    StrainKind,
    StrainMonitor,
    StrainSign,
    can_ease,
    ease_pattern,
)
from trainer.programs import load_catalog
from trainer.session.events import BreathEvent, PaceEvent, PacerEvent, StatusEvent, StrainEvent
from trainer.session.live_replay import LiveSession, SessionPlan
from trainer.session.pipeline import Pipeline
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import PacerChange, read_recording
from trainer.ui.state import SessionState

SLOW = BreathPattern.from_rate(6.0, 2.0)  # 3.33 s in, 6.67 s out


def _signs(breaths: list[Breath], pattern: BreathPattern | None) -> list[StrainKind]:
    monitor = StrainMonitor()
    return [s.kind for b in breaths if (s := monitor.update(b, pattern)) is not None]


def test_steady_breathing_with_the_pacer_shows_no_strain() -> None:
    assert _signs(_breaths([(3.3, 6.0, 0.5), (3.5, 6.5, 0.2)] * 20), SLOW) == []
    assert _signs(_breaths([(1.8, 2.6, 0.6), (1.7, 2.9, 0.4)] * 20), None) == []


@pytest.mark.parametrize(
    ("shapes", "pattern", "kind"),
    [
        ([(3.3, 6.0, 0.5), (0.4, 6.0, 0.5), (0.5, 6.0, 0.5), (3.3, 6.0, 0.5)], SLOW, "gasping"),
        ([(3.3, 6.0, 6.0), (3.3, 6.0, 0.5), (3.3, 6.0, 7.0), (3.3, 6.0, 0.5)], SLOW, "holding"),
        ([(1.8, 2.6, 8.0), (1.8, 2.6, 0.5), (1.8, 2.6, 9.0), (1.8, 2.6, 0.5)], None, "holding"),
        ([(1.5, 2.5, 0.3)] * 4, SLOW, "pace"),
        (
            [(2.0, 3.7, 0.3), (4.5, 9.0, 0.5)] * 3,
            SLOW,
            "irregular",
        ),
    ],
)
def test_each_sign_is_found(
    shapes: list[tuple[float, float, float]], pattern: BreathPattern | None, kind: str
) -> None:
    assert _signs(_breaths(shapes), pattern)[:1] == [StrainKind(kind)]


def test_one_odd_breath_is_not_strain_and_signs_are_rate_limited() -> None:
    assert (
        _signs(_breaths([(3.3, 6.0, 0.5)] * 3 + [(0.4, 6.0, 0.5)] + [(3.3, 6.0, 0.5)] * 3), SLOW)
        == []
    )
    gasping = _breaths([(0.4, 6.0, 0.5)] * 12)  # 6.9 s per breath: 83 s
    monitor = StrainMonitor()
    times = [s.t_s for b in gasping if (s := monitor.update(b, SLOW)) is not None]
    assert len(times) >= 2
    assert all(b - a >= REPEAT_S for a, b in itertools.pairwise(times))


def test_breaths_settling_into_a_new_pace_are_not_judged() -> None:
    monitor = StrainMonitor()
    monitor.pace_changed(100.0, SLOW)
    settling = _breaths([(1.5, 2.5, 0.3)] * 2, start_s=100.0)  # still at the old, faster pace
    steady = _breaths([(3.3, 6.0, 0.5)] * 4, start_s=settling[-1].end_s)
    assert [monitor.update(b, SLOW) for b in settling + steady] == [None] * 6


def test_easing_moves_toward_a_natural_rhythm_without_holds() -> None:
    held = BreathPattern(4.0, 8.0, hold_in_s=2.0, hold_out_s=2.0)  # 16 s: 3.75 /min
    eased = ease_pattern(held)
    assert eased.hold_in_s == eased.hold_out_s == 0.0
    assert eased.rate_bpm == pytest.approx(3.75 + 0.5 * (EASE_TARGET_BPM - 3.75))
    assert eased.ratio == pytest.approx(EASE_MAX_RATIO)
    again = ease_pattern(ease_pattern(eased))
    assert eased.rate_bpm < again.rate_bpm < EASE_TARGET_BPM
    fast = BreathPattern.from_rate(12.0, 1.0)
    assert ease_pattern(fast).rate_bpm == pytest.approx(12.0)  # never slows a pace down


SPINE_STAGE = BreathPattern(inhale_s=2.5, exhale_s=5.0)
"""The spine body scan's 8/min, 2:1 stage."""
ONE_TO_ONE_12 = BreathPattern.from_rate(12.0, 1.0)
"""A pacer already as easy as easing makes it: 12/min, 1:1, no holds."""


def test_breathing_much_slower_than_the_pacer_is_not_strain() -> None:
    """Found in review: a calm 4.5/min breather (4 s in, 9 s out) in the spine scan's 8/min
    stage was told "This pace is hard to follow — easing it toward your own rhythm", and the
    easing took the pacer up to 9/min, away from them."""
    calm = _breaths([(4.0, 9.0, 0.3)] * 8)
    assert _signs(calm, SPINE_STAGE) == []
    assert _signs(_breaths([(5.0, 10.0, 1.0)] * 8), ONE_TO_ONE_12) == []  # 3.75 against 12/min
    # Far faster than the pacer still is: the pace is too slow to follow.
    assert _signs(_breaths([(1.0, 1.8, 0.2)] * 4), SPINE_STAGE) == [StrainKind.PACE]


def _pace_sign(pattern: BreathPattern, *, paused_now: bool = False) -> StrainSign:
    monitor = StrainMonitor()
    hurried = _breaths([(1.0, 1.6, 0.2)] * 4)  # 21/min
    signs = [monitor.update(b, pattern, paused_now=paused_now) for b in hurried]
    found = [s for s in signs if s is not None]
    assert [s.kind for s in found] == [StrainKind.PACE]
    return found[0]


def test_a_pace_sign_claims_an_easing_only_when_there_is_one() -> None:
    """A 12/min 1:1 pacer "eased" stayed 12/min 1:1 while the cue said it was easing."""
    assert _pace_sign(SPINE_STAGE).cue == CUES[StrainKind.PACE]
    assert "easing" in CUES[StrainKind.PACE]
    assert not can_ease(ONE_TO_ONE_12)
    assert _pace_sign(ONE_TO_ONE_12).cue == CUE_PACE_OWN_RHYTHM
    assert "easing" not in CUE_PACE_OWN_RHYTHM and "own easy rhythm" in CUE_PACE_OWN_RHYTHM
    # Paused, the conductor eases nothing: no cue claims it.
    assert _pace_sign(SPINE_STAGE, paused_now=True).cue == CUE_PACE_OWN_RHYTHM


def test_easing_stops_where_it_would_change_nothing() -> None:
    assert ease_pattern(ONE_TO_ONE_12) is ONE_TO_ONE_12
    # Near the natural rate only a ratio over the cap or a hold is left to ease.
    near = BreathPattern.from_rate(9.5, 2.0)
    assert can_ease(near) and ease_pattern(near).rate_bpm == pytest.approx(9.5)
    assert ease_pattern(near).ratio == pytest.approx(EASE_MAX_RATIO)
    assert not can_ease(ease_pattern(near))
    held = BreathPattern.from_rate(10.0, 1.0, hold_out_s=1.0)
    assert can_ease(held) and ease_pattern(held).hold_out_s == 0.0
    # From 5/min: three easings, then nothing more (it used to creep on, 9.375 -> 9.69 ...).
    rates = []
    pattern = BreathPattern.from_rate(5.0, 2.0)
    while can_ease(pattern):
        pattern = ease_pattern(pattern)
        rates.append(round(pattern.rate_bpm, 3))
    assert rates == [7.5, 8.75, 9.375]


def test_the_conductor_records_no_easing_that_changes_nothing() -> None:
    """Found in review: the "easing" of a 12/min 1:1 pacer changed nothing, yet a pacer
    change labelled "eased: pace" was recorded (and shown); a fourth sign at the old cap of
    three easings recorded the same pace again."""
    start = 10 * NS_PER_S
    sign = StrainEvent(40.0, StrainKind.PACE, CUE_PACE_OWN_RHYTHM, "")
    plain = Conductor(start, 0, timeline=None, pattern=ONE_TO_ONE_12)
    plain.start()
    assert plain.after([sign], start + 40 * NS_PER_S) == []
    assert plain.ease_level == 0
    assert plain.before(start + int((40 + RECOVER_S + 1) * NS_PER_S)) == []  # nothing to undo
    # Repeated signs against 6/min: 8, 9, 9.5/min, then no more changes.
    stacked = Conductor(start, 0, timeline=None, pattern=SLOW)
    stacked.start()
    rates = []
    for k in range(5):
        t_s = 40.0 + REPEAT_S * k
        gasp = StrainEvent(t_s, StrainKind.GASPING, CUES[StrainKind.GASPING], "")
        for change in stacked.after([gasp], start + round(t_s * NS_PER_S)):
            assert change.pattern is not None and change.label == "eased: gasping"
            rates.append(round(BreathPattern.from_dict(change.pattern).rate_bpm, 3))
    assert rates == [8.0, 9.0, 9.5]


def test_a_heart_rhythm_rate_far_above_the_pacer_is_a_pace_sign() -> None:
    """A strap alone: the rate read from the heart rhythm is judged by the breaths' threshold,
    once its window has settled into the pace, and once per window of new data."""
    monitor = StrainMonitor()
    monitor.pace_changed(0.0, SLOW)  # settles until 10 s
    assert monitor.update_rate(70.0, 10.0, 64.0, SLOW) is None  # window from 6 s: settling
    sign = monitor.update_rate(80.0, 10.0, 64.0, SLOW)
    assert sign is not None and sign.kind is StrainKind.PACE and sign.t_s == 80.0
    assert sign.cue == CUES[StrainKind.PACE] and "heart rhythm" in sign.detail
    # The windows overlapping the sign's hold the same breathing: no second sign from them.
    assert [monitor.update_rate(t, 10.0, 64.0, SLOW) for t in range(90, 144, 10)] == [None] * 6
    assert monitor.update_rate(144.0, 10.0, 64.0, SLOW) is not None
    # Just under PACE_SLOW_FACTOR, or slower than the pacer, is no strain.
    calm = StrainMonitor()
    below = PACE_SLOW_FACTOR * SLOW.rate_bpm - 0.1
    assert [calm.update_rate(t, r, 64.0, SLOW) for t, r in ((80.0, below), (150.0, 4.0))] == [
        None,
        None,
    ]
    # As from breaths: a pace that cannot be eased, or a pause, gets the own-rhythm cue.
    own = StrainMonitor().update_rate(80.0, 20.0, 64.0, ONE_TO_ONE_12)
    paused = StrainMonitor().update_rate(80.0, 10.0, 64.0, SLOW, paused_now=True)
    assert own is not None and paused is not None
    assert own.cue == paused.cue == CUE_PACE_OWN_RHYTHM


def _follow_elsewhere(
    tmp_path: Path, pattern: BreathPattern, own_rate_bpm: float, *, belt: bool = True
) -> tuple[list[str], list[StrainEvent], list[PacerChange]]:
    """A plain session pacing ``pattern`` while the simulated person ignores the pacer and
    breathes at ``own_rate_bpm``: the coach's cues, the strain signs and the recorded easings.
    ``belt=False``: a heart-rate strap alone (cues on the pace read from the heart rhythm)."""
    clock = FakeClock()
    events: list[object] = []
    session = LiveSession(
        SessionPlan(pattern, 240.0),
        out_dir=tmp_path,
        listeners=[events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=no_sleep,
    )
    person = PersonModel(seed=4, natural_rate_bpm=own_rate_bpm, natural_ratio=2.0)
    source = SimulatedSource(person, None, clock=clock, wall_clock=clock, realtime=False, belt=belt)
    result = asyncio.run(session.run(source))
    cues = [
        e.feedback.cue for e in events if isinstance(e, BreathEvent | PaceEvent) and e.feedback.cue
    ]
    strain = [e for e in events if isinstance(e, StrainEvent)]
    assert result.path is not None
    eased = [
        i
        for i in read_recording(result.path).items
        if isinstance(i, PacerChange) and i.label.startswith("eased")
    ]
    return cues, strain, eased


def test_a_person_far_slower_than_the_pacer_is_asked_to_follow_not_eased(tmp_path: Path) -> None:
    """End to end: 4.5/min against the spine scan's 8/min 2:1 stage. No strain sign and no
    easing (it took the pacer to 9/min and the ratio to 1.5); the coach asks them to follow."""
    cues, strain, eased = _follow_elsewhere(tmp_path, SPINE_STAGE, 4.5)
    assert strain == [] and eased == []
    assert CUE_FASTER in cues


def test_a_hurried_person_under_a_pacer_that_cannot_ease_is_not_told_it_eases(
    tmp_path: Path,
) -> None:
    """End to end: 20/min against a 12/min 1:1 pacer. A pace sign, with the own-rhythm cue,
    and no "eased" change (it was recorded, changing nothing, under a cue saying "easing")."""
    cues, strain, eased = _follow_elsewhere(tmp_path, ONE_TO_ONE_12, 20.0)
    assert [s.kind for s in strain][:1] == [StrainKind.PACE]
    assert {s.cue for s in strain if s.kind is StrainKind.PACE} == {CUE_PACE_OWN_RHYTHM}
    assert CUE_PACE_OWN_RHYTHM in cues and eased == []
    # Against a pacer that can be eased, the same breathing is eased, and the cue says so.
    cues, strain, eased = _follow_elsewhere(tmp_path / "eased", SLOW, 12.0)
    assert [s.cue for s in strain][:1] == [CUES[StrainKind.PACE]] and eased
    assert eased[0].label == "eased: pace"
    # An easing is no program: the plain session's history row and report title named the
    # program "eased: pace" (found in review).
    from trainer.reports.session_analysis import analyse_recording

    (recording,) = (tmp_path / "eased").glob("*.bwr")
    assert analyse_recording(recording).metrics()["program"] == ""


def test_a_strap_alone_eases_a_pacer_far_slower_than_the_person_and_replays_it(
    tmp_path: Path,
) -> None:
    """End to end with a heart-rate strap alone (found in review: 10/min against 6/min was
    told "Slow down a little — follow the pacer" every 70 s, never eased). The rate from the
    heart rhythm gives the pace sign, the conductor eases, and a replay shows the same."""
    cues, strain, eased = _follow_elsewhere(tmp_path, SLOW, 12.0, belt=False)
    assert strain and {s.kind for s in strain} == {StrainKind.PACE}
    assert strain[0].cue == CUES[StrainKind.PACE] and CUES[StrainKind.PACE] in cues
    assert eased and eased[0].label == "eased: pace"
    assert BreathPattern.from_dict(eased[0].pattern or {}).rate_bpm > SLOW.rate_bpm
    (path,) = tmp_path.glob("*.bwr")
    recording = read_recording(path)
    replayed = Pipeline(recording.header).handle(recording.items)
    assert repr([e for e in replayed if isinstance(e, StrainEvent)]) == repr(strain)
    lines = replay_lines(path)
    # Every easing recorded is replayed. (Two since review 17 F5: 12/min stays eased at 8/min,
    # 1.5 times it, a second pace sign; the program's 6/min used to come back instead.)
    assert sum(line.startswith("pacer at") and "eased: pace" in line for line in lines) == len(
        eased
    )
    # Against a pacer as easy as easing makes it: the own-rhythm cue, nothing recorded.
    cues, strain, eased = _follow_elsewhere(tmp_path / "own", ONE_TO_ONE_12, 20.0, belt=False)
    assert strain and {s.cue for s in strain} == {CUE_PACE_OWN_RHYTHM} and eased == []


def test_conductor_eases_on_strain_and_restores_the_pace_later() -> None:
    start = 10 * NS_PER_S
    conductor = Conductor(start, 0, timeline=None, pattern=SLOW)
    assert [c.pattern for c in conductor.start()] == [SLOW.to_dict()]
    sign = StrainEvent(40.0, StrainKind.GASPING, CUES[StrainKind.GASPING], "")
    (eased,) = conductor.after([sign], start + 40 * NS_PER_S)
    assert eased.action == "set" and eased.label == "eased: gasping"
    assert eased.pattern == ease_pattern(SLOW).to_dict()
    assert conductor.before(start + int((40 + RECOVER_S - 1) * NS_PER_S)) == []
    (back,) = conductor.before(start + int((40 + RECOVER_S + 1) * NS_PER_S))
    assert back.pattern == SLOW.to_dict() and back.label.startswith("back to")
    # In the person's own rhythm there is no pace to ease: the cue alone.
    own = Conductor(start, 0, timeline=None, pattern=None)
    own.start()
    assert own.after([sign], start + 40 * NS_PER_S) == []


def test_an_easing_is_recorded_and_replays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The simulated person does not strain: the monitor is made to see a sign at one breath.
    real_update = StrainMonitor.update
    count = {"n": 0}

    def update(
        self: StrainMonitor, breath: Breath, pattern: BreathPattern | None, **kw: bool
    ) -> object:
        count["n"] += 1
        if count["n"] == 8:
            return StrainSign(breath.detected_s, StrainKind.GASPING, CUES[StrainKind.GASPING], "x")
        return real_update(self, breath, pattern, **kw)

    monkeypatch.setattr(StrainMonitor, "update", update)
    program = compressed(load_catalog().get("deep-breathing-4-8"), 150.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=3))
    strain = [e for e in done.events if isinstance(e, StrainEvent)]
    assert len(strain) == 1
    eased = [
        e for e in done.events if isinstance(e, PacerEvent) and e.change.label.startswith("eased")
    ]
    assert len(eased) == 1 and eased[0].t_s >= strain[0].t_s
    assert any(line.startswith("strain at") and "no gasping" in line for line in done.lines)
    labels = [i.label for i in read_recording(done.path).items if isinstance(i, PacerChange)]
    assert "eased: gasping" in labels
    # The replay, with the real monitor, finds no sign, yet plays the recorded easing.
    monkeypatch.setattr(StrainMonitor, "update", real_update)
    replayed = replay_lines(done.path)
    assert [line for line in replayed if line.startswith("pacer at")] == [
        line for line in done.lines if line.startswith("pacer at")
    ]


def test_sensor_lost_gives_the_sensor_lost_cue() -> None:
    state = SessionState()
    state.apply([StatusEvent(12.0, "link", "belt: connection lost, reconnecting", "belt")])
    assert state.cue == CUE_SENSOR_LOST and not state.link_ok
    state = SessionState()
    state.apply([StatusEvent(3.0, "contact", "no skin contact: moisten the strap")])
    assert state.cue == CUE_SENSOR_LOST


def test_a_dropped_link_in_a_program_session_shows_the_cue(tmp_path: Path) -> None:
    program = compressed(load_catalog().get("body-scan-head-to-feet"), 90.0)
    clock = FakeClock()
    plan = SessionPlan(None, 90.0, program=ProgramPlan(program))
    cues: list[str] = []
    session = LiveSession(
        plan,
        out_dir=None,
        listeners=[lambda _: cues.append(session.state.cue)],
        clock_ns=clock,
        wall_ns=clock,
        sleep=no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=2), session, clock=clock, wall_clock=clock, realtime=False
    )
    source.drop_link(40.0, 5.0)
    asyncio.run(session.run(source))
    assert CUE_SENSOR_LOST in cues
