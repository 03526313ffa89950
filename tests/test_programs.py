"""Programs as data: built-ins load and lay out consistently; bad files name file, line, field."""

from __future__ import annotations

import math
import random
import re
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.coaching.coach import target_ratio as coached_ratio
from trainer.coaching.pacer import BreathPattern
from trainer.errors import BadArgument
from trainer.programs import (
    EventKind,
    OwnRhythm,
    Paced,
    ProgramError,
    ProgramKind,
    ProgramTimeline,
    load_catalog,
    loader,
    parse_program,
)
from trainer.programs.catalog import BUILTIN, USER
from trainer.programs.toml_lines import KeyLines

BUILTIN_NAMES = (
    "back-release",
    "body-scan-head-to-feet",
    "deep-breathing-4-8",
    "relaxation-response",
    "resonance-assessment",
    "resonance-training",
    "spine-body-scan",
)
PERSONAL_RATE_BPM = 5.5


@pytest.fixture()
def empty_user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "programs"
    folder.mkdir()
    return folder


def test_catalog_holds_every_program_of_programs_md(empty_user_dir: Path) -> None:
    catalog = load_catalog(empty_user_dir)
    assert catalog.names() == sorted(BUILTIN_NAMES)
    assert set(catalog.origins.values()) == {BUILTIN}
    assert not catalog.problems


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_timeline_is_consistent(name: str, empty_user_dir: Path) -> None:
    program = load_catalog(empty_user_dir).get(name)
    start_s = 12.5
    timeline = ProgramTimeline(program, personal_rate_bpm=PERSONAL_RATE_BPM, start_s=start_s)
    total = math.fsum(step.total_s for step in program.steps)
    assert timeline.total_duration_s == pytest.approx(total)
    assert program.total_duration_s == pytest.approx(total)
    assert timeline.end_s == pytest.approx(start_s + total)

    events = timeline.all_events
    assert [e.t_s for e in events] == sorted(e.t_s for e in events)
    steps = [e for e in events if e.kind is EventKind.STEP]
    assert [e.step_index for e in steps] == list(range(len(program.steps)))
    assert events[0].t_s == start_s and events[0].kind is EventKind.STEP
    assert events[-1].kind is EventKind.END and events[-1].t_s == pytest.approx(timeline.end_s)

    # Every event is visible in the state at its own time: live and replay agree on it.
    for event in events[:-1]:
        state = timeline.at(event.t_s)
        assert state.step_index == event.step_index, event
        if event.kind is EventKind.STEP:
            assert state.step_elapsed_s == pytest.approx(0.0, abs=1e-6)
        elif event.kind is EventKind.PATTERN:
            assert state.pattern == event.pattern
        elif event.kind is EventKind.CUE:
            assert state.cue == event.text
        elif event.kind is EventKind.SIDE:
            assert state.side == event.text
        elif event.kind is EventKind.REPETITION:
            assert event.text.startswith(f"{state.repetition}/")

    previous_index = 0
    t = start_s - 5.0
    while t < timeline.end_s + 5.0:
        state = timeline.at(t)
        step = program.steps[state.step_index]
        assert state.step_index >= previous_index
        previous_index = state.step_index
        assert state.step_elapsed_s + state.step_left_s == pytest.approx(step.total_s)
        assert state.elapsed_s + state.left_s == pytest.approx(total)
        assert state.finished == (t >= timeline.end_s)
        if isinstance(step.breathing, OwnRhythm):
            assert state.pattern is None
        else:
            assert isinstance(state.pattern, BreathPattern)
            assert state.target_ratio == pytest.approx(coached_ratio(state.pattern))
        if step.sides:
            assert state.side in step.sides
        if step.repetitions is not None:
            assert state.repetition is not None and 1 <= state.repetition <= step.repetitions
        t += 0.75


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_events_per_packet_span_are_each_seen_once(name: str, empty_user_dir: Path) -> None:
    seed = random.randrange(2**32)
    print(f"seed={seed}")
    rng = random.Random(seed)
    program = load_catalog(empty_user_dir).get(name)
    timeline = ProgramTimeline(program, personal_rate_bpm=PERSONAL_RATE_BPM)
    seen = []
    previous = -math.inf
    t = -1.0
    while previous < timeline.end_s:
        seen.extend(timeline.events(previous, t))
        previous = t
        t += rng.uniform(0.001, 3.0)
    assert seen == list(timeline.all_events)


def test_spine_scan_slows_with_exhale_twice_inhale(empty_user_dir: Path) -> None:
    program = load_catalog(empty_user_dir).get("spine-body-scan")
    assert program.back_focused
    assert 12 * 60 <= program.total_duration_s <= 14 * 60
    timeline = ProgramTimeline(program)
    periods = []
    for event in timeline.all_events:
        if event.kind is EventKind.PATTERN:
            assert event.pattern is not None
            assert event.pattern.exhale_s == pytest.approx(2.0 * event.pattern.inhale_s)
            periods.append(event.pattern.period_s)
    assert periods == sorted(periods)
    assert periods[0] == pytest.approx(6.0) and periods[-1] == pytest.approx(12.0)
    titles = [step.title for step in program.steps]
    assert titles.index("Tailbone") < titles.index("Sacrum") < titles.index("Lower back")
    assert titles.index("Neck and throat") < titles.index("Head and face")


def test_resonance_programs(empty_user_dir: Path) -> None:
    catalog = load_catalog(empty_user_dir)
    assessment = catalog.get("resonance-assessment")
    assert assessment.kind is ProgramKind.RESONANCE_ASSESSMENT
    scored = [step for step in assessment.steps if step.scored]
    timeline = ProgramTimeline(assessment)
    rates = []
    for step_index, step in enumerate(assessment.steps):
        if step.scored:
            pattern = timeline.at(timeline.step_start_s(step_index) + 1.0).pattern
            assert pattern is not None
            rates.append(round(pattern.rate_bpm, 6))
            assert step.total_s == pytest.approx(120.0)
    assert rates == [6.5, 6.0, 5.5, 5.0, 4.5]
    assert len(scored) == 5
    spans = timeline.scored_spans()
    assert [round(span.pattern.rate_bpm, 6) for span in spans] == rates
    assert all(span.t1_s - span.t0_s == pytest.approx(120.0) for span in spans)
    assert spans[0].t0_s == timeline.step_start_s(spans[0].step_index)

    training = catalog.get("resonance-training")
    assert training.needs_personal_rate
    with pytest.raises(ProgramError, match="resonance"):
        ProgramTimeline(training)
    timeline = ProgramTimeline(training, personal_rate_bpm=5.0)
    training_rates = {
        round(e.pattern.rate_bpm, 6) for e in timeline.all_events if e.pattern is not None
    }
    assert training_rates == {5.0}


def test_relaxation_response_coaches_own_rhythm_and_stretches(empty_user_dir: Path) -> None:
    program = load_catalog(empty_user_dir).get("relaxation-response")
    assert program.total_duration_s == pytest.approx(15 * 60)
    assert all(isinstance(step.breathing, OwnRhythm) for step in program.steps)
    targets = [
        s.breathing.target_ratio for s in program.steps if isinstance(s.breathing, OwnRhythm)
    ]
    assert any(t is not None and 1.0 < t < 2.0 for t in targets)
    assert program.with_total_duration(10 * 60).total_duration_s == pytest.approx(600.0)
    assert program.with_total_duration(20 * 60).total_duration_s == pytest.approx(1200.0)
    with pytest.raises(ProgramError, match="can run from"):
        program.with_total_duration(60.0)
    fixed = load_catalog(empty_user_dir).get("spine-body-scan")
    with pytest.raises(ProgramError, match="fixed length"):
        fixed.with_total_duration(600.0)


def test_an_eyes_closed_programs_cues_chime_and_its_first_card_says_to_look_then(
    empty_user_dir: Path,
) -> None:
    """Found in review: the relaxation response's cues within its 12-minute step (at 2, 5 and
    9 min) were text only, with the eyes closed and no word to open them: chimes were at
    [0, 90, 810] s, at the step changes alone."""
    catalog = load_catalog(empty_user_dir)
    for name in ("relaxation-response", "spine-body-scan"):
        program = catalog.get(name)
        assert program.eyes_closed
        timeline = ProgramTimeline(program)
        cue_times = {e.t_s for e in timeline.all_events if e.kind is EventKind.CUE}
        step_times = {e.t_s for e in timeline.all_events if e.kind is EventKind.STEP}
        assert cue_times and set(timeline.sound_cue_times_s()) == cue_times | step_times
        assert "chime" in program.steps[0].text and "open your eyes" in program.steps[0].text
    relax = ProgramTimeline(catalog.get("relaxation-response"))
    assert relax.sound_cue_times_s() == [0.0, 40.0, 90.0, 210.0, 390.0, 630.0, 810.0]
    # Eyes open: the cue is read where it shows, and only the steps chime.
    deep = ProgramTimeline(catalog.get("deep-breathing-4-8"))
    assert deep.sound_cue_times_s() == [0.0, 30.0, 330.0]


def test_deep_breathing_is_four_in_eight_out(empty_user_dir: Path) -> None:
    program = load_catalog(empty_user_dir).get("deep-breathing-4-8")
    paced = [s.breathing for s in program.steps if isinstance(s.breathing, Paced)]
    patterns = {p.start.resolve(None) for p in paced}
    assert patterns == {BreathPattern(4.0, 8.0)}
    # "out for 8 (or at least longer than the in-breath)": the coach accepts down to 1.1.
    assert {p.min_ratio for p in paced} == {1.1}
    timeline = ProgramTimeline(program)
    assert timeline.at(60.0).min_ratio == 1.1
    assert timeline.at(60.0).target_ratio == 2.0
    assert timeline.at(10.0).min_ratio is None  # "Get comfortable", own rhythm


def test_a_pace_floor_is_kept_in_the_recorded_plan_and_left_out_where_there_is_none() -> None:
    """A replay coaches from the plan in the recording: it must carry ``min_ratio``, and plans
    without one are written as before (recordings made before the field read the same)."""
    from trainer.storage.program_codec import ProgramPlan, plan_from_json, plan_to_json

    text = _with("inhale_s = 4, exhale_s = 6 }", "inhale_s = 4, exhale_s = 6, min_ratio = 1.2 }")
    program = parse_program(text, name="mine", source="mine.toml")
    data = plan_to_json(ProgramPlan(program))
    assert data["steps"][0]["breathing"]["min_ratio"] == 1.2
    assert plan_from_json(data).program.steps == program.steps
    plain = parse_program(VALID, name="mine", source="mine.toml")
    assert "min_ratio" not in plan_to_json(ProgramPlan(plain))["steps"][0]["breathing"]


def test_back_release_cards_count_repetitions_and_switch_sides(empty_user_dir: Path) -> None:
    program = load_catalog(empty_user_dir).get("back-release")
    assert program.back_focused
    timeline = ProgramTimeline(program)
    by_title = {step.title: i for i, step in enumerate(program.steps)}

    twist = by_title["Lying twist"]
    t0 = timeline.step_start_s(twist)
    step = program.steps[twist]
    assert step.alternate_sides and step.repetition_s is not None
    seen = [timeline.at(t0 + (k + 0.5) * step.repetition_s) for k in range(4)]
    assert [(s.repetition, s.side) for s in seen] == [
        (1, "left"),
        (1, "right"),
        (2, "left"),
        (2, "right"),
    ]
    assert seen[0].repetition_left_s == pytest.approx(step.repetition_s / 2)

    # Ten on the right, then a breath's time to switch sides (own rhythm), then ten on the left.
    stretch = next(i for i, s in enumerate(program.steps) if s.title == "Standing side stretch")
    t0 = timeline.step_start_s(stretch)
    step = program.steps[stretch]
    assert not step.alternate_sides and step.repetitions == 10
    assert timeline.at(t0 + 95.0).side == "right" and timeline.at(t0 + 95.0).repetition == 10
    switch = timeline.at(t0 + 105.0)
    assert switch.step.title == "Switch sides" and switch.pattern is None
    assert switch.side is None and switch.repetition is None
    assert timeline.at(t0 + 115.0).side == "left" and timeline.at(t0 + 115.0).repetition == 1
    events = timeline.events(t0 - 1, t0 + 209.0)
    sides = [e for e in events if e.kind is EventKind.SIDE]
    assert [(e.text, e.t_s - t0) for e in sides] == [("right", 0.0), ("left", 110.0)]
    assert {t0, t0 + 100.0, t0 + 110.0} <= set(timeline.sound_cue_times_s())
    pace = timeline.at(t0 + 50.0).pattern
    paces = [(e.t_s - t0, e.pattern) for e in events if e.kind is EventKind.PATTERN]
    assert pace is not None and paces == [(0.0, pace), (100.0, None), (110.0, pace)]


def test_back_release_gives_time_to_switch_sides(empty_user_dir: Path) -> None:
    """Found in review: a stretch held on each side went straight from one side to the other,
    with only a chime, no time to roll over or cross the other leg. Each side is now a step
    of its own, with a "Switch sides" step between: free breathing, unscored, one slow
    breath long (10 s at the routine's 4-in-6-out pace), 15 s where a cushion moves too."""
    program = load_catalog(empty_user_dir).get("back-release")
    steps = program.steps
    # Only the stretches that alternate with every repetition (a twist, a hip swing) work
    # both sides in one step: there the switch is the movement itself.
    assert all(s.alternate_sides for s in steps if len(s.sides) > 1)
    one_sided = [i for i, s in enumerate(steps) if len(s.sides) == 1]
    assert len(one_sided) == 10
    switches = {}
    for first, second in zip(one_sided[::2], one_sided[1::2], strict=True):
        a, switch, b = steps[first : second + 1]
        assert second == first + 2 and a.title == b.title and a.sides != b.sides
        assert a.posture == switch.posture == b.posture
        assert a.per_side_s == b.per_side_s and a.cues == b.cues
        assert switch.transition and switch.title == "Switch sides"
        assert switch.breathing == OwnRhythm(None) and not switch.scored
        switches[a.title] = switch.total_s
        before = steps[first - 1]
        if before.title == "Get into position" and a.posture.value == "lying_on_side":
            # Onto the side the card then names, not "one side".
            assert f"your {a.sides[0]} side" in before.text, before.text
        pace = ProgramTimeline(program).at(ProgramTimeline(program).step_start_s(first)).pattern
        assert pace is not None and pace.period_s == 10.0  # so 10 s is one slow breath
    assert switches == {
        "Knees to chest on your side": 10.0,
        "Standing side stretch": 10.0,
        "Side-lying over a cushion": 15.0,  # off the cushion, roll over, cushion back
        "Lateral stretch on your back": 10.0,
        "Figure-four pull": 10.0,
    }


def test_back_release_gives_time_to_change_posture_before_each_stretch(
    empty_user_dir: Path,
) -> None:
    """Found in review: the first repetition of a stretch in a new posture (standing up from
    the floor, getting onto all fours) began the second the previous stretch ended. Each
    posture change now has a short "Get into position" step first: free breathing, unscored."""
    program = load_catalog(empty_user_dir).get("back-release")
    # The posture only ever changes into a short step of free breathing.
    for before, step in pairwise(program.steps):
        if step.posture != before.posture:
            assert step.total_s <= 15.0 and step.breathing == OwnRhythm(None), step.title
    stretches = [s for s in program.steps if not s.transition]
    changes = sum(a.posture != b.posture for a, b in pairwise(stretches))
    assert changes == 7  # side, standing, all fours, side, back, face down, back
    # Review 31 F7: the twist's first repetition began at 0.0 s, with the person still at the
    # keyboard after the safety questions. Getting down onto the mat comes first now.
    first = program.steps[0]
    assert first.transition and first.title == "Get into position" and first.total_s == 20.0
    assert "lie down" in first.text.lower() and "knees bent" in first.text
    assert program.steps[1].title == "Lying twist" and first.posture == program.steps[1].posture
    last_stretch = program.steps[1]
    for before, step in pairwise(program.steps[1:]):
        if step.transition:
            assert step.title in ("Get into position", "Switch sides")
            assert 10.0 <= step.total_s <= 15.0 and not step.sides and step.repetitions is None
            assert step.breathing == OwnRhythm(None) and not step.scored  # nothing asked
            continue
        if step.posture != last_stretch.posture:
            # Never straight into a new posture: the step before is its transition.
            assert before.transition and before.title == "Get into position"
            assert before.posture == step.posture
        else:
            # No pause where nothing changes, but to switch to the other side of a stretch or
            # to fetch what the next stretch rests on (the chair), or take the legs off it.
            assert (
                not before.transition
                or (before.title == "Switch sides" and last_stretch.title == step.title)
                or (before.title == "Get into position" and "chair" in before.text)
            )
        last_stretch = step
    positions = [s for s in program.steps if s.title == "Get into position"]
    # One per posture change, and the first, and onto and off the chair.
    assert all(s.transition for s in positions) and len(positions) == changes + 3
    # The stretches keep the lengths docs/reference/programs.md gives (36 min in all), in its
    # order; the posture changes and the chair add 135 s and the five side switches 55 s
    # (test_back_release_gives_time_to_switch_sides): 39:10 in all.
    assert math.fsum(s.total_s for s in stretches) == 36 * 60.0
    assert math.fsum(s.total_s for s in positions) == 135.0
    assert program.total_duration_s == 36 * 60.0 + 135.0 + 55.0 == 39 * 60.0 + 10.0


def test_back_release_has_time_to_reach_the_chair(empty_user_dir: Path) -> None:
    """Found in a physiotherapist's review: "Shins on a chair" began the second the lying
    twist ended, with the chair still to be fetched."""
    program = load_catalog(empty_user_dir).get("back-release")
    index = next(i for i, s in enumerate(program.steps) if s.title == "Shins on a chair")
    before = program.steps[index - 1]
    assert before.transition and before.title == "Get into position"
    assert "chair" in before.text and before.total_s == 15.0
    # Review 31 F7: and to take the legs down off it before the knees are hugged.
    after = program.steps[index + 1]
    assert after.transition and after.title == "Get into position"
    assert "off the chair" in after.text and after.total_s == 15.0
    assert program.steps[index + 2].title == "Knees to chest"


def test_a_transition_step_must_be_breathed_freely() -> None:
    text = (
        'title = "Mine"\ndescription = "x"\nposture = "sitting"\n'
        '[[step]]\ntitle = "Up"\ntext = "Stand up."\nduration_s = 10\n'
        "breathing = { inhale_s = 4, exhale_s = 6 }\ntransition = true\n"
    )
    with pytest.raises(ProgramError, match="transition is breathed freely"):
        parse_program(text, name="mine", source="mine.toml")


VALID = """\
title = "Mine"
description = "A test program."
back_focused = false
posture = "sitting"

[[step]]
title = "First"
text = "Breathe."
duration_s = 60
breathing = { inhale_s = 4, exhale_s = 6 }

[[step.cue]]
at_s = 10
text = "Soften."

[[step]]
title = "Second"
text = "Keep going."
repetitions = 3
repetition_s = 10
sides = ["left", "right"]
breathing = { own = true, ratio = 1.5 }
"""


def _with(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


MALFORMED = [
    # (file text, line, words the field name must contain, words of the problem)
    (_with("duration_s = 60", "duraton_s = 60"), 9, "step 1", "did you mean 'duration_s'"),
    (_with("inhale_s = 4,", "inhale_s = -4,"), 10, "breathing.inhale_s", "more than 0"),
    (_with("at_s = 10", "at_s = 600"), 13, "cue[1].at_s", "after the step's end"),
    (_with('posture = "sitting"', 'posture = "upside_down"'), 4, "posture", "unknown posture"),
    (_with("repetition_s = 10\n", ""), 19, "step 2", "repetition_s"),
    (_with('sides = ["left", "right"]', 'sides = ["left", "left"]'), 21, "sides", "different"),
    (_with("ratio = 1.5", "ratio = 9"), 22, "breathing.ratio", "at most 5"),
    (_with('title = "Second"\n', ""), 16, "step 2", "missing field 'title'"),
    (_with("{ inhale_s = 4, exhale_s = 6 }", '{ rate_bpm = "fast" }'), 10, "rate_bpm", "personal"),
    (_with("duration_s = 60", "duration_s = 60\nrepetitions = 2"), 10, "repetitions", "not both"),
    (_with('text = "Soften."', "text = "), 14, "", "not valid TOML"),
    (
        _with('posture = "sitting"', 'posture = "sitting"\nrecommended_minutes = [20, 10]'),
        5,
        "recommended_minutes",
        "shortest <= longest",
    ),
    (
        _with('posture = "sitting"', 'posture = "sitting"\nrecommended_minutes = 15'),
        5,
        "recommended_minutes",
        "[shortest, longest]",
    ),
    (
        _with('text = "Soften."', 'text = "Soften."\nevery_repetition = true'),
        15,
        "cue[1].every_repetition",
        "needs a counted step",
    ),
    # The least ratio a pace accepts lies at or below its own, and only a pace has one.
    (
        _with("inhale_s = 4, exhale_s = 6 }", "inhale_s = 4, exhale_s = 6, min_ratio = 1.6 }"),
        10,
        "breathing.min_ratio",
        "at most 1.36, 10 % below the pace's own exhale:inhale ratio (1.5)",
    ),
    (
        _with("inhale_s = 4, exhale_s = 6 }", "inhale_s = 4, exhale_s = 6, min_ratio = 1.4 }"),
        10,
        "breathing.min_ratio",
        "where the coach's praise begins, got 1.4",
    ),
    (
        _with("inhale_s = 4, exhale_s = 6 }", "inhale_s = 4, exhale_s = 6, min_ratio = 0 }"),
        10,
        "breathing.min_ratio",
        "at least 0.2",
    ),
    (_with("ratio = 1.5", "ratio = 1.5, min_ratio = 1"), 22, "min_ratio", "own = true"),
    # A step in repetitions or on sides is an exercise: the file says whether it is a back one.
    (_with("back_focused = false\n", ""), 18, "step 2", "must say whether it works on the back"),
    (
        _with("back_focused = false\n", "")
        .replace("repetitions = 3", "duration_s = 30")
        .replace("repetition_s = 10\n", ""),
        19,
        "step 2 ('Second'): sides",
        "a step on sides is an exercise",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "problem"), MALFORMED)
def test_malformed_user_program_names_file_line_and_field(
    text: str, line: int, field: str, problem: str, empty_user_dir: Path
) -> None:
    path = empty_user_dir / "mine.toml"
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog(empty_user_dir)
    assert "mine" in catalog.problems
    with pytest.raises(ProgramError) as caught:
        catalog.get("mine")
    error = caught.value
    message = error.user_message()
    print(message)
    assert f"{path}:{line}:" in message
    assert error.line == line
    assert field in (error.field or "")
    assert problem in error.problem


def test_valid_user_program_loads_and_overrides_builtin(empty_user_dir: Path) -> None:
    (empty_user_dir / "mine.toml").write_text(VALID, encoding="utf-8")
    (empty_user_dir / "deep-breathing-4-8.toml").write_text(VALID, encoding="utf-8")
    catalog = load_catalog(empty_user_dir)
    mine = catalog.get("mine")
    assert catalog.origins["mine"] == USER
    assert catalog.origins["deep-breathing-4-8"] == USER
    assert catalog.get("deep-breathing-4-8").title == "Mine"
    assert mine.total_duration_s == pytest.approx(60 + 3 * 10 * 2)
    timeline = ProgramTimeline(mine)
    assert timeline.at(10.0).cue == "Soften."
    assert timeline.at(9.9).cue is None
    assert timeline.at(60.0 + 35.0).side == "right"
    assert timeline.at(60.0 + 35.0).target_ratio == pytest.approx(1.5)


def test_program_file_with_a_byte_order_mark_loads(empty_user_dir: Path) -> None:
    # Windows Notepad saves UTF-8 with a byte-order mark.
    (empty_user_dir / "mine.toml").write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    catalog = load_catalog(empty_user_dir)
    assert "mine" not in catalog.problems
    assert catalog.get("mine").title == "Mine"


def test_broken_user_override_is_reported_not_silently_replaced(empty_user_dir: Path) -> None:
    (empty_user_dir / "spine-body-scan.toml").write_text("title = 3\n", encoding="utf-8")
    catalog = load_catalog(empty_user_dir)
    with pytest.raises(ProgramError, match="title"):
        catalog.get("spine-body-scan")


def test_unknown_program_is_a_bad_argument(empty_user_dir: Path) -> None:
    with pytest.raises(BadArgument, match="no program named 'nope'") as caught:
        load_catalog(empty_user_dir).get("nope")
    assert caught.value.exit_code == 2
    assert "spine-body-scan" in caught.value.advice


def test_bad_file_names_are_refused() -> None:
    with pytest.raises(ProgramError, match="not a usable program name"):
        parse_program(VALID, name="My Program", source="My Program.toml")


def test_slowing_step_reaches_its_end_pattern() -> None:
    text = _with(
        "{ inhale_s = 4, exhale_s = 6 }",
        "{ inhale_s = 2, exhale_s = 4, end = { rate_bpm = 5, ratio = 2 }, change_every_s = 20 }",
    )
    program = parse_program(text, name="slow", source="slow.toml")
    timeline = ProgramTimeline(program)
    first, middle, last = (timeline.at(t).pattern for t in (0.0, 25.0, 59.0))
    assert first == BreathPattern(2.0, 4.0)
    assert last is not None and last.rate_bpm == pytest.approx(5.0)
    assert middle is not None and first.period_s < middle.period_s < last.period_s


def test_a_paced_step_coaches_the_ratio_a_detector_sees_with_a_hold_at_the_top() -> None:
    """4-7-8: the hold at the top reads as inhale, so the coach asks 8 / (4 + 7), not 8 / 4."""
    text = _with("{ inhale_s = 4, exhale_s = 6 }", "{ inhale_s = 4, hold_in_s = 7, exhale_s = 8 }")
    timeline = ProgramTimeline(parse_program(text, name="four-seven-eight", source="f.toml"))
    state = timeline.at(5.0)
    assert state.pattern is not None and state.pattern.ratio == pytest.approx(2.0)
    assert state.target_ratio == pytest.approx(8.0 / 11.0)


def test_key_lines_follow_tables_and_arrays() -> None:
    text = (
        'a = 1\n[[step]]\ntitle = "x"\n[[step.cue]]\nat_s = 1\n[[step]]\n'
        'cue = [\n  { at_s = 2, text = "p" },\n  { at_s = 3, text = "q" },\n]\n'
        "[step.breathing]\nown = true\n"
    )
    lines = KeyLines.scan(text)
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("step", 0, "title")) == 3
    assert lines.line_of(("step", 0, "cue", 0, "at_s")) == 5
    assert lines.line_of(("step", 1, "cue", 1, "text")) == 9
    assert lines.line_of(("step", 1, "breathing", "own")) == 12
    assert lines.line_of(("step", 1, "missing")) == 6


def test_programs_command_lists_names_lengths_and_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from trainer.cli.programs import programs

    monkeypatch.setenv("BREATHWISE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "broken.toml").write_text("title = [\n", encoding="utf-8")
    app = typer.Typer()
    app.command()(programs)
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(BUILTIN_NAMES)
    spine = next(line for line in lines if line.startswith("spine-body-scan"))
    assert "13 min" in spine and "safety questions first" in spine
    assert "broken.toml:" in result.stderr


def test_a_release_cue_comes_in_every_repetition_of_the_figure_four() -> None:
    """It came once, in the first of 16 holds (found by a tester)."""
    from trainer.programs import EventKind
    from trainer.programs.runner import ProgramTimeline

    program = load_catalog().get("back-release")
    timeline = ProgramTimeline(program)
    # One step per leg, with a switch between (test_back_release_gives_time_to_switch_sides).
    indices = {i for i, s in enumerate(program.steps) if s.title == "Figure-four pull"}
    assert len(indices) == 2
    events = [e for e in timeline.all_events if e.step_index in indices]
    starts = [e.t_s for e in events if e.kind is EventKind.REPETITION]
    cues = [e.t_s for e in events if e.kind is EventKind.CUE]
    assert len(starts) == 16 == len(cues)
    assert [c - s for c, s in zip(cues, starts, strict=True)] == [30.0] * 16


def test_a_programs_caution_goes_on_every_step_but_its_transitions() -> None:
    """``caution`` at the top is every step's; a transition has none unless it says so, and a
    step's own replaces it. It travels in the recording's plan, so a replay shows it too."""
    from trainer.storage.program_codec import ProgramPlan, plan_from_json, plan_to_json

    text = (
        'caution = "Stop if it hurts."\neyes_closed = true\nrecommended_minutes = [5, 10]\n'
        + VALID.replace(
            'title = "Second"',
            'title = "Up"\ntext = "Stand."\nduration_s = 10\nbreathing = { own = true }\n'
            'transition = true\n\n[[step]]\ntitle = "Second"\ncaution = "Knees soft."',
        )
    )
    program = parse_program(text, name="mine", source="mine.toml")
    assert [s.caution for s in program.steps] == ["Stop if it hurts.", "", "Knees soft."]
    assert program.eyes_closed and program.recommended_minutes == (5.0, 10.0)
    back = plan_from_json(plan_to_json(ProgramPlan(program))).program
    assert [s.caution for s in back.steps] == [s.caution for s in program.steps]
    plain = parse_program(VALID, name="mine", source="mine.toml")
    assert "caution" not in plan_to_json(ProgramPlan(plain))["steps"][0]


def test_the_format_notes_name_every_key_the_loader_accepts() -> None:
    """The user guide (docs/guide/programs.md) sends people to the loader's module notes,
    which omitted ``scored`` and ``flexible`` (and the holds): a resonance assessment could not
    be written from them."""
    keys = (
        *loader._PROGRAM_KEYS,
        *loader._STEP_KEYS,
        *loader._BREATHING_KEYS,
        *loader._CUE_KEYS,
    )
    missing = [k for k in keys if not re.search(rf"\b{k}\b", loader.__doc__ or "")]
    assert missing == []


def test_resonance_assessment_without_scored_steps_names_the_key(empty_user_dir: Path) -> None:
    """The error said "needs at least two scored steps" and never named ``scored = true``."""
    steps = "".join(
        f'\n[[step]]\ntitle = "{rate}"\ntext = "."\nduration_s = 120\n'
        f"breathing = {{ rate_bpm = {rate}, ratio = 1.0 }}\n"
        for rate in (6.5, 6.0)
    )
    head = (
        'title = "My RA"\ndescription = "x"\nkind = "resonance_assessment"\nposture = "sitting"\n'
    )
    path = empty_user_dir / "my-ra.toml"
    path.write_text(head + steps, encoding="utf-8")
    with pytest.raises(ProgramError) as caught:
        load_catalog(empty_user_dir).get("my-ra")
    assert "scored = true" in caught.value.problem
    assert "0 step(s) here are scored" in caught.value.problem
    path.write_text(head + steps.replace("duration_s = 120", "duration_s = 120\nscored = true"))
    assert len(load_catalog(empty_user_dir).get("my-ra").steps) == 2


def _back_release_without_its_flag(flag: str | None) -> str:
    """The built-in back-release's file with its ``back_focused`` line replaced by ``flag``
    (left out when ``None``), as a person's edited copy would be."""
    text = (Path(loader.__file__).parent / "back-release.toml").read_text(encoding="utf-8")
    assert "\nback_focused = true\n" in text
    return text.replace("\nback_focused = true\n", "\n" if flag is None else f"\n{flag}\n")


def test_a_file_replacing_a_back_focused_builtin_keeps_its_safety_questions(
    empty_user_dir: Path,
) -> None:
    """Found in review: a copy of back-release without its ``back_focused`` line, saved under
    the same name, ran its stretches with no safety questions, even unattended."""
    path = empty_user_dir / "back-release.toml"
    for flag in (None, "back_focused = true"):
        path.write_text(_back_release_without_its_flag(flag), encoding="utf-8")
        catalog = load_catalog(empty_user_dir)
        assert catalog.origins["back-release"] == USER
        assert catalog.get("back-release").back_focused, flag
    # Written out, "false" is refused in one line, at that line, not silently obeyed.
    text = _back_release_without_its_flag("back_focused = false")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("back_focused = false") + 1
    with pytest.raises(ProgramError) as caught:
        load_catalog(empty_user_dir).get("back-release")
    message = caught.value.user_message()
    assert "\n" not in message and f"{path}:{line}: back_focused: cannot be false" in message
    assert "safety questions cannot be turned off" in message
    assert message.endswith("remove the line or set it to true")
    # Only a back-focused built-in's name carries its questions.
    (empty_user_dir / "deep-breathing-4-8.toml").write_text(VALID, encoding="utf-8")
    assert not load_catalog(empty_user_dir).get("deep-breathing-4-8").back_focused


def test_a_copy_of_back_release_under_another_name_must_say_whether_it_is_for_the_back(
    empty_user_dir: Path,
) -> None:
    """The same copy under its own name: its stretches (steps in repetitions or on sides)
    make the flag required, so leaving the line out is an error rather than no screen."""
    path = empty_user_dir / "my-back.toml"
    path.write_text(_back_release_without_its_flag(None), encoding="utf-8")
    with pytest.raises(ProgramError) as caught:
        load_catalog(empty_user_dir).get("my-back")
    assert "step 2 ('Lying twist'): repetitions" in caught.value.user_message()
    assert "back_focused = true" in caught.value.advice
    path.write_text(_back_release_without_its_flag("back_focused = true"), encoding="utf-8")
    assert load_catalog(empty_user_dir).get("my-back").back_focused


def test_programs_marks_a_replaced_back_program_as_asking_the_safety_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from trainer.cli.programs import programs

    monkeypatch.setenv("BREATHWISE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "back-release.toml").write_text(
        _back_release_without_its_flag(None), encoding="utf-8"
    )
    app = typer.Typer()
    app.command()(programs)
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("back-release"))
    assert line.endswith("[yours; safety questions first]")


def test_an_assessment_may_stop_only_once_two_scored_steps_are_done() -> None:
    """What a resonance assessment needs of a --minutes cut: whole scored steps, two at least
    (an unscored step between them counts towards the time, not the steps)."""
    step = '\n[[step]]\ntitle = "{0}"\ntext = "."\nduration_s = {1}\nbreathing = {2}\n{3}'
    paced = "{ rate_bpm = 6.0 }"
    text = 'title = "My RA"\ndescription = "x"\nkind = "resonance_assessment"\n'
    text += 'posture = "sitting"\n' + "".join(
        step.format(title, seconds, breathing, "scored = true\n" if scored else "")
        for title, seconds, breathing, scored in (
            ("Settle", 30, "{ own = true }", False),
            ("A", 90, paced, True),
            ("Rest", 30, "{ own = true }", False),
            ("B", 90, paced, True),
            ("C", 90, paced, True),
        )
    )
    program = parse_program(text, name="my-ra", source="my-ra.toml")
    assert program.step_ends_s() == [30.0, 120.0, 150.0, 240.0, 330.0]
    assert program.shortest_stop_s() == 240.0
    assert program.scored_steps_by(239.0) == (1, 3)
    assert program.scored_steps_by(240.0) == (2, 3)
    assert load_catalog().get("spine-body-scan").shortest_stop_s() == 0.0


def test_programs_name_shows_the_steps_what_is_needed_and_the_safety_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Review 31 F12: `breathwise programs back-release` said "Got unexpected extra
    argument(s)"; the chair, cushion and mat were named only in a tip once the 39-min routine
    had begun."""
    from trainer.cli.app import run
    from trainer.programs.safety import MEDICAL_DISCLAIMER, RED_FLAG_QUESTIONS

    assert run(["programs", "back-release"]) == 0
    out = capsys.readouterr().out
    words = " ".join(out.split())
    program = load_catalog().get("back-release")
    assert words.startswith("Back-release routine (back-release): Gentle back stretches")
    assert f"Length: 39:10 (39 min), {len(program.steps)} steps" in words
    assert "You need: a mat or a folded blanket on the floor, a chair, a firm cushion." in words
    # The safety note of a back program: the warning signs asked about, the caution of every
    # stretch, and the not-a-medical-device statement.
    assert all(q.sign in words for q in RED_FLAG_QUESTIONS)
    assert "see a doctor before doing it" in words and program.steps[1].caution in words
    assert " ".join(MEDICAL_DISCLAIMER.split()) in words
    # Every step, numbered, with its start and length: what --from-step takes.
    lines = out.splitlines()
    assert " 1   0:00   0:20  Get into position — lying on your back; breathe as you like" in lines
    assert any(line.startswith(" 2   0:20   2:40  Lying twist — 8 × 10 s") for line in lines)
    assert any(
        line.startswith("30  33:50   5:20  Figure-four pull (left) — 8 × 40 s") for line in lines
    )
    assert "--from-step N" in words and "n skips the rest of a step" in words
    assert "Tips:" in lines


def test_programs_name_of_another_program_has_no_back_safety_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.cli.app import run

    assert run(["programs", "relaxation-response"]) == 0
    words = " ".join(capsys.readouterr().out.split())
    assert "Safety:" not in words
    assert "meant to last 10-20 min" in words and "eyes closed" in words
    assert "q twice" in words
    assert "1 0:00 1:30 Settle in — lying on your back; your own rhythm" in words
    assert run(["programs", "no-such-program"]) == 2
    assert "no program named 'no-such-program'" in capsys.readouterr().err


def test_needs_must_be_a_list_of_text() -> None:
    text = VALID.replace("back_focused = false\n", 'back_focused = false\nneeds = "a chair"\n')
    with pytest.raises(ProgramError, match="needs: must be an array of text"):
        parse_program(text, name="mine", source="mine.toml")
    text = VALID.replace("back_focused = false\n", 'back_focused = false\nneeds = ["a  chair"]\n')
    assert parse_program(text, name="mine", source="mine.toml").needs == ("a chair",)
