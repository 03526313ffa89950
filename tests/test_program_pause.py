"""Pausing a program session pauses the program: nothing of it advances or is skipped while
paused, it ends later by the time paused, and its recording replays to the same output; a plain
pacer session ends later by the pause too. Also the program clock itself, and what the screen
shows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from program_runs import (
    FakeClock,
    PausingSource,
    ProgramRun,
    compressed,
    no_sleep,
    replay_lines,
    run_live,
)
from rich.text import Text
from textual.widgets import Static

from devices.packets import NS_PER_S
from devices.sim import PersonModel, SimulatedSource
from trainer.coaching.conductor import Conductor
from trainer.coaching.pacer import BreathPattern, PacerState
from trainer.coaching.program_clock import ProgramClock
from trainer.programs import EventKind, load_catalog
from trainer.programs.model import OwnRhythm, Program
from trainer.programs.runner import ProgramTimeline, TimelineState
from trainer.programs.safety import CARD_REMINDER
from trainer.session.events import BreathEvent, Event, PacerEvent, ProgramEvent
from trainer.session.live_replay import LiveSession, SessionPlan, SessionResult
from trainer.session.summary import SessionSummary
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import PacerChange, read_recording
from trainer.ui.headless import format_summary
from trainer.ui.screen import CAUTION_STYLE, BreathwiseApp, SessionDefaults, render_program
from trainer.ui.state import SessionState

START_NS = FakeClock().ns
CATALOG = load_catalog()
BACK = compressed(CATALOG.get("back-release"), 150.0)
"""Sides, counted repetitions and cues in 2.5 simulated minutes."""
PAUSE_AT_S, PAUSE_FOR_S = 40.0, 20.0


Run = ProgramRun


def _run(
    out_dir: Path,
    *,
    program: Program | None,
    duration_s: float,
    toggles_s: Sequence[float] = (),
    seed: int = 3,
) -> Run:
    plan = SessionPlan(
        BreathPattern.from_rate(6.0, 2.0) if program is None else None,
        duration_s=duration_s,
        program=None if program is None else ProgramPlan(program),
    )
    return run_live(
        out_dir,
        plan,
        person=PersonModel(seed=seed),
        wrap=lambda inner, session, clock: PausingSource(inner, session, clock, toggles_s),
    )


def _program_events(run: Run) -> list[ProgramEvent]:
    return [e for e in run.events if isinstance(e, ProgramEvent)]


def _program_changes(run: Run, program: Program) -> list[PacerEvent]:
    """The program's own pattern changes (labelled with a step title; easing left out)."""
    titles = {step.title for step in program.steps}
    return [e for e in run.events if isinstance(e, PacerEvent) and e.change.label in titles]


@pytest.fixture(scope="module")
def back_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """The compressed back program unpaused, and paused 40-60 s (mid-step, mid-repetition)."""
    plain = _run(tmp_path_factory.mktemp("plain"), program=BACK, duration_s=150.0)
    paused = _run(
        tmp_path_factory.mktemp("paused"),
        program=BACK,
        duration_s=150.0,
        toggles_s=(PAUSE_AT_S, PAUSE_AT_S + PAUSE_FOR_S),
    )
    return plain, paused


def test_the_pause_is_mid_step_so_the_test_means_something() -> None:
    timeline = ProgramTimeline(BACK)
    state = timeline.at(PAUSE_AT_S)
    assert state.step_elapsed_s > 1.0 and state.step_left_s > 1.0
    # Program events fall inside the paused span of an unpaused run: they must wait.
    assert timeline.events(PAUSE_AT_S, PAUSE_AT_S + PAUSE_FOR_S)


def test_a_paused_program_session_ends_later_by_the_pause(back_runs: tuple[Run, Run]) -> None:
    plain, paused = back_runs
    assert plain.result.summary["duration_s"] == 150.0
    assert paused.result.summary["duration_s"] == 150.0 + PAUSE_FOR_S
    assert paused.result.summary["ended"] == "completed"
    # Time practised is the program's length either way.
    assert paused.result.summary["minutes_practised"] == plain.result.summary["minutes_practised"]
    recording = read_recording(paused.path)
    actions = [i.action for i in recording.items if isinstance(i, PacerChange)]
    assert actions.count("pause") == 1 and actions.count("resume") == 1


def test_every_program_event_after_the_pause_comes_later_by_the_pause(
    back_runs: tuple[Run, Run],
) -> None:
    plain, paused = back_runs
    before, after = _program_events(plain), _program_events(paused)
    # Nothing skipped, nothing repeated: the same steps, sides, repetitions, cues, in order.
    key = [(e.kind, e.step_index, e.text) for e in before]
    assert [(e.kind, e.step_index, e.text) for e in after] == key
    assert before[-1].kind is EventKind.END
    shifted = 0
    for one, two in zip(before, after, strict=True):
        if one.t_s <= PAUSE_AT_S:
            assert two.t_s == one.t_s
        else:
            assert two.t_s == pytest.approx(one.t_s + PAUSE_FOR_S, abs=1e-9)
            assert not PAUSE_AT_S < two.t_s < PAUSE_AT_S + PAUSE_FOR_S  # nothing while paused
            shifted += 1
    assert shifted > 10
    # The program's pacer changes (its steps' patterns) move with it.
    plain_changes, paused_changes = _program_changes(plain, BACK), _program_changes(paused, BACK)
    assert [e.change.label for e in paused_changes] == [e.change.label for e in plain_changes]
    for plain_change, paused_change in zip(plain_changes, paused_changes, strict=True):
        expected = plain_change.t_s + (PAUSE_FOR_S if plain_change.t_s > PAUSE_AT_S else 0.0)
        assert paused_change.t_s == pytest.approx(expected, abs=1e-9)
        assert paused_change.change.pattern == plain_change.change.pattern


def test_the_program_stands_still_while_paused(back_runs: tuple[Run, Run]) -> None:
    _, paused = back_runs
    session = paused.session
    at_pause = session.program_state(PAUSE_AT_S)
    later = session.program_state(PAUSE_AT_S + PAUSE_FOR_S - 1.0)
    after = session.program_state(PAUSE_AT_S + PAUSE_FOR_S + 5.0)
    assert at_pause is not None and later is not None and after is not None
    assert later.step_left_s == at_pause.step_left_s and later.left_s == at_pause.left_s
    assert later.repetition_left_s == at_pause.repetition_left_s
    assert after.left_s == pytest.approx(at_pause.left_s - 5.0)
    assert session.program_time_s(PAUSE_AT_S + PAUSE_FOR_S + 5.0) == pytest.approx(PAUSE_AT_S + 5.0)
    ended = session.program_state(150.0 + PAUSE_FOR_S)
    assert ended is not None and ended.finished


def test_the_paused_recording_replays_to_the_same_output(back_runs: tuple[Run, Run]) -> None:
    _, paused = back_runs
    assert any(line.startswith("step ") for line in paused.lines)
    assert replay_lines(paused.path) == paused.lines


def test_pausing_in_an_own_rhythm_step_pauses_the_program(tmp_path: Path) -> None:
    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.0)
    assert program.steps[0].breathing.__class__.__name__ == "OwnRhythm"
    run = _run(tmp_path, program=program, duration_s=60.0, toggles_s=(2.0, 12.0))
    assert run.result.summary["duration_s"] == 70.0
    steps = [e for e in _program_events(run) if e.kind is EventKind.STEP]
    first_len = program.steps[0].total_s
    assert steps[1].t_s == pytest.approx(first_len + 10.0, abs=1e-9)
    assert replay_lines(run.path) == run.lines


def test_a_plain_pacer_session_ends_later_by_the_pause(tmp_path: Path) -> None:
    """--minutes counts practice, with or without a program: a 15 s pause moves the end by
    15 s (it used to shorten a plain session's practice instead), and the breaths begun
    while paused are shown but not scored."""
    run = _run(tmp_path, program=None, duration_s=60.0, toggles_s=(10.0, 25.0))
    assert run.result.summary["duration_s"] == 75.0
    assert run.result.summary["minutes_practised"] == pytest.approx(1.0)
    actions = [e.change.action for e in run.events if isinstance(e, PacerEvent)]
    assert actions == ["set", "pause", "resume"]
    assert "paused  at    10.0 s" in run.lines and "resumed at    25.0 s" in run.lines
    breaths = [e for e in run.events if isinstance(e, BreathEvent)]
    in_pause = [e for e in breaths if 10.0 <= e.breath.inhale_onset_s < 25.0]
    assert in_pause and all(e.paused for e in in_pause)
    assert not any(e.paused for e in breaths if e not in in_pause)
    lines = [line for line in run.lines if line.startswith("breath ")]
    assert sum(line.endswith("paused") for line in lines) == len(in_pause)
    # Nor are those begun while settling back onto the pacer after the pause (coach notes).
    settling = [e for e in breaths if 25.0 <= e.breath.inhale_onset_s < 35.0]
    assert not any(e.scored for e in settling)
    scored = [e.feedback.follow_score for e in breaths if e.scored]
    assert run.result.summary["mean_follow_score"] == pytest.approx(np.mean(scored), abs=0.01)
    assert replay_lines(run.path) == run.lines


def test_a_program_session_cut_short_ends_later_by_the_pause_too(tmp_path: Path) -> None:
    run = _run(tmp_path, program=BACK, duration_s=50.0, toggles_s=(20.0, 27.5))
    assert run.result.summary["duration_s"] == 57.5
    assert not any(e.kind is EventKind.END for e in _program_events(run))


# -- the clock itself ------------------------------------------------------------------------


def test_program_clock_maps_session_time_to_program_time_and_back() -> None:
    clock = ProgramClock()
    assert clock.program_s(12.5) == 12.5 and clock.session_s(12.5) == 12.5  # no pause: identity
    clock.pause(10 * NS_PER_S)
    assert clock.paused
    assert clock.program_s(15.0) == 10.0  # an open pause: program time stands
    clock.resume(14 * NS_PER_S)
    clock.pause(20 * NS_PER_S)
    clock.pause(21 * NS_PER_S)  # already paused: ignored
    clock.resume(23 * NS_PER_S)
    assert clock.pauses == ((10 * NS_PER_S, 14 * NS_PER_S), (20 * NS_PER_S, 23 * NS_PER_S))
    assert [clock.program_s(t) for t in (5.0, 12.0, 16.0, 22.0, 30.0)] == [5, 10, 12, 16, 23]
    assert clock.paused_s(30.0) == 7.0
    # An instant a pause begins at stays before it; later ones move by the pauses before them.
    assert [clock.session_s(p) for p in (5.0, 10.0, 10.5, 16.0, 16.5)] == [5, 10, 14.5, 20, 23.5]
    for p_ns in (0, 9_999_999_999, 10 * NS_PER_S + 1, 16 * NS_PER_S + 7, 40 * NS_PER_S):
        assert clock.program_ns(clock.session_ns(p_ns)) == p_ns
    clock.resume(40 * NS_PER_S)  # not paused: ignored
    assert not clock.paused and len(clock.pauses) == 2


def test_conductor_on_its_own_clock_holds_program_changes_while_paused() -> None:
    timeline = ProgramTimeline(BACK)
    conductor = Conductor(0, 0, timeline=timeline)
    first = conductor.start()
    assert first and first[0].t_mono_ns == 0
    pattern_times = [e.t_s for e in timeline.all_events if e.kind is EventKind.PATTERN]
    due_s = next(t for t in pattern_times if t > 1.0)
    pause = PacerChange(round(1.0 * NS_PER_S), 0, "pause")
    conductor.after([PacerEvent(1.0, pause)], pause.t_mono_ns)
    held = conductor.before(round((due_s + 30.0) * NS_PER_S))
    assert held == []  # paused through the step change: nothing falls due
    resume = PacerChange(round((due_s + 30.0) * NS_PER_S), 0, "resume")
    conductor.after([PacerEvent(due_s + 30.0, resume)], resume.t_mono_ns)
    late = conductor.before(round((due_s + 30.0 + due_s) * NS_PER_S))
    # In whole ns, as the clock keeps them: the program's instant plus the time paused.
    paused_ns = resume.t_mono_ns - pause.t_mono_ns
    assert late and late[0].t_mono_ns == round(due_s * NS_PER_S) + paused_ns


# -- the screen ------------------------------------------------------------------------------


class ProgramScreenSession(SessionDefaults):
    """A program session on a hand-moved clock, as the UI sees a live or replay session."""

    def __init__(self, program: Program, personal_rate_bpm: float | None = None) -> None:
        self.state = SessionState()
        self.t_s = 0.0
        self.timeline = ProgramTimeline(program, personal_rate_bpm=personal_rate_bpm)
        self.clock = ProgramClock()
        self.finished = asyncio.Event()

    def now_s(self) -> float:
        return self.t_s

    def pacer_state(self, t_s: float) -> PacerState | None:
        return None

    def program_state(self, t_s: float) -> TimelineState:
        return self.timeline.at(self.clock.program_s(t_s))

    def program_time_s(self, t_s: float) -> float:
        return self.clock.program_s(t_s)

    def practised_s(self, t_s: float) -> float:
        return self.clock.program_s(t_s)

    def stop(self) -> None:
        self.finished.set()

    def pause(self) -> None:
        self.clock.pause(round(self.t_s * NS_PER_S))
        self.state.apply([PacerEvent(self.t_s, PacerChange(0, 0, "pause"))])

    async def run(self) -> SessionResult:
        await self.finished.wait()
        return SessionResult(None, {"breaths": 0, "duration_s": self.t_s})


def _plain(app: BreathwiseApp, selector: str) -> str:
    content = app.query_one(selector, Static).render()
    return content.plain if isinstance(content, Text) else str(content)


async def test_screen_shows_the_pause_on_the_card_and_no_time_left_after_the_end() -> None:
    session = ProgramScreenSession(BACK)
    app = BreathwiseApp(session, session.run, title="t", duration_s=150.0, hold_at_end=True)
    async with app.run_test(size=(120, 40)) as pilot:
        session.t_s = 10.0
        app.refresh_view()
        await pilot.pause()
        assert "(02:20 left)" in _plain(app, "#status")
        assert "paused" not in _plain(app, "#program")
        session.pause()
        # Both captures after a refresh in the settled layout (the card's width, and so its
        # wrapping, is only known once it has been shown).
        app.refresh_view()
        await pilot.pause()
        card = _plain(app, "#program")
        assert "paused" in card
        session.t_s = 40.0
        app.refresh_view()
        await pilot.pause()
        # Thirty seconds later, every countdown on the card and the clock line still stand.
        assert _plain(app, "#program") == card
        assert "00:10  (02:20 left)  ·  00:30 paused" in _plain(app, "#status")
        assert "Paused" in _plain(app, "#pacer")  # an own-rhythm-less pacer view says so too
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        assert " left)" not in _plain(app, "#status")
        assert "session over" in _plain(app, "#status")
        await pilot.press("q")


async def test_the_screen_held_at_the_end_does_not_redraw_itself_in_a_loop() -> None:
    """The program card is hidden once the summary holds the screen, so it has no width; a
    redraw asked for whenever the card had none asked for another, without end."""
    session = ProgramScreenSession(BACK)
    app = BreathwiseApp(session, session.run, title="t", duration_s=150.0, hold_at_end=True)
    async with app.run_test(size=(120, 40)) as pilot:
        session.t_s = 10.0
        app.refresh_view()
        await pilot.pause()
        session.finished.set()
        await pilot.pause()
        asked = 0
        draw = app.refresh_view

        def counted(*, keep_cue: bool = False) -> None:
            nonlocal asked
            asked += 1
            draw(keep_cue=keep_cue)

        # Redraws asked for by a redraw go through the attribute; the 20 Hz timer does not.
        app.refresh_view = counted  # type: ignore[method-assign]
        draw()
        await asyncio.sleep(0.5)
        assert asked <= 1
        await pilot.press("q")


@pytest.mark.parametrize(("size", "short"), [((80, 24), True), ((120, 40), False)])
async def test_the_whole_step_card_fits_the_terminal(size: tuple[int, int], short: bool) -> None:
    """Every word of the longest instruction is on the card (its end is often the caution:
    "Only go as high as feels easy."), and an 80x24 terminal still shows every panel, compacted
    (no header: the title is on the pacer's border)."""
    from textual.widgets import Footer, Header

    step = max(range(len(BACK.steps)), key=lambda i: len(BACK.steps[i].text))
    session = ProgramScreenSession(BACK)
    # The first whole second of that step (the program's own clock: none paused).
    session.t_s = next(
        float(t) for t in range(10_000) if session.timeline.at(float(t)).step is BACK.steps[step]
    )
    app = BreathwiseApp(session, session.run, title="Back-release", duration_s=150.0)
    async with app.run_test(size=size) as pilot:
        app.refresh_view()
        await pilot.pause()
        app.refresh_view()  # the card's wrapping, in the settled layout
        await pilot.pause()
        assert session.program_state(session.t_s).step is BACK.steps[step]
        card = " ".join(_plain(app, "#program").split())
        assert " ".join(BACK.steps[step].text.split()) in card
        assert app.screen.has_class("-short") is short
        assert app.query_one(Header).display is not short
        assert (app.query_one("#pacer").border_title == "Back-release") is short
        bottom = 0
        for selector in ("#pacer", "#program", "#middle", "#cue", "#status"):
            region = app.query_one(selector).region
            assert region.y >= bottom and region.height > 0, selector  # stacked, none hidden
            bottom = region.bottom
        assert bottom <= app.query_one(Footer).region.y <= size[1] - 1
        session.finished.set()
        await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (80, 30), (100, 30), (120, 40)])
@pytest.mark.parametrize("with_program", [True, False])
async def test_the_closing_summary_fits_the_terminal(
    size: tuple[int, int], with_program: bool
) -> None:
    """At the end the summary takes the card's place: every word of it and the "press q"
    line are on screen, above the key bar, with or without a program."""
    from textual.widgets import Footer

    summary: SessionSummary = {
        "minutes_practised": 2.0,
        "mean_follow_score": 82.0,
        "mean_ratio": 1.35,
        "hr_start_bpm": 65.0,
        "hr_end_bpm": 64.0,
        "mean_rsa_bpm": 12.6,
        "coherence_score": 10.0,
        "duration_s": 120.0,
        "breaths": 11,
        "median_rate_bpm": 6.1,
        "breath_source": "belt",
        "resonance": {"chosen_rate_bpm": 5.5, "scores": [[5.5, 9.1], [6.0, 8.7], [6.5, 8.2]]},
    }

    class Ending(ProgramScreenSession):
        async def run(self) -> SessionResult:
            await self.finished.wait()
            # A recorded session (only one has a summary to show).
            return SessionResult(Path("session.bwr"), summary)

        def program_state(self, t_s: float) -> TimelineState | None:  # type: ignore[override]
            return super().program_state(t_s) if with_program else None

    session = Ending(BACK)
    app = BreathwiseApp(session, session.run, title="t", duration_s=150.0, hold_at_end=True)
    async with app.run_test(size=size) as pilot:
        session.t_s = 120.0
        app.refresh_view()
        await pilot.pause()
        session.finished.set()
        for _ in range(3):
            await pilot.pause()
        assert not app.query_one("#program").display
        cue = app.query_one("#cue", Static)
        shown = " ".join(_plain(app, "#cue").split())
        assert shown == " ".join(format_summary(summary).split())
        status = app.query_one("#status", Static)
        assert "session over" in _plain(app, "#status")
        # Tall enough for every wrapped line, and nothing pushed below the key bar.
        assert cue.region.height >= len(format_summary(summary).splitlines())
        assert status.region.bottom <= app.query_one(Footer).region.y <= size[1] - 1
        await pilot.press("q")


def test_render_program_marks_the_pause_next_to_the_step_timer() -> None:
    state = ProgramTimeline(BACK).at(PAUSE_AT_S)
    head = render_program(state, 80, paused=True).plain.splitlines()[0]
    assert head.index("left in step") < head.index("paused")
    assert "paused" not in render_program(state, 80).plain


def test_the_card_names_the_next_step_only_where_its_last_line_has_room() -> None:
    """Wrapped onto a second line, "Next: ..." pushed the panels below it off an 80x24
    terminal (the lying twist: its side, repetition, next step and time left make 91
    characters; the card has 76)."""
    timeline = ProgramTimeline(CATALOG.get("back-release"))
    state = timeline.at(timeline.step_start_s(1) + 5.0)  # after getting down onto the mat
    assert state.step.title == "Lying twist" and state.next_title == "Get into position"
    narrow = render_program(state, 76).plain.splitlines()
    wide = render_program(state, 116).plain.splitlines()
    assert "Next:" not in narrow[-1] and len(narrow[-1]) <= 76
    assert narrow[-1].startswith("Side: left") and narrow[-1].endswith("left in program")
    assert "Next: Get into position  ·  " in wide[-1]


def _step_starts(timeline: ProgramTimeline) -> list[float]:
    """A program second one second into each step (the program's own clock)."""
    starts: list[float] = []
    seen: set[int] = set()
    for half_s in range(round(timeline.program.total_duration_s * 2)):
        state = timeline.at(half_s / 2)
        if state.step_index not in seen:
            seen.add(state.step_index)
            starts.append(half_s / 2 + 1.0)
    return starts


@pytest.mark.parametrize("name", CATALOG.names())
async def test_every_step_card_of_every_program_fits_80x24(name: str) -> None:
    """Found in review: the card's first line (step, title, posture, time left) wrapped for
    five back-release steps on an 80x24 terminal and pushed the panels below it under the key
    bar; paused or in a session cut short by --minutes, 118 of the 256 cards of the catalog
    had a first or last line wider than the card. Each step's card, running, paused, and in a
    session that ends before the program: its first and last lines fit the card's width, the
    whole instruction is on it, and every panel is on screen above the key bar."""
    from textual.widgets import Footer

    program = CATALOG.get(name)
    rate = 5.5 if program.needs_personal_rate else None
    session = ProgramScreenSession(program, personal_rate_bpm=rate)
    starts = _step_starts(session.timeline)
    assert len(starts) == len(program.steps)
    # Half the program's length: the card counts down to the session's end.
    duration_s = program.total_duration_s / 2
    # The red-flag reminder on the first card, where a back program has one.
    note = CARD_REMINDER if program.back_focused else ""
    app = BreathwiseApp(
        session,
        session.run,
        title=f"Breathwise — {program.title}",
        duration_s=duration_s,
        safety_note=note,
    )
    first_stretch = next(i for i, s in enumerate(program.steps) if not s.transition)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, t_s in enumerate(starts):
            session.t_s = t_s
            step = program.steps[index]
            for paused in (False, True):
                session.state.paused = paused
                app.refresh_view()  # the card's wrapping, in the settled layout
                await pilot.pause()
                card = app.query_one("#program")
                lines = _plain(app, "#program").splitlines()
                where = f"step {index + 1} {step.title!r}, paused={paused}"
                assert lines[0].startswith(f"Step {index + 1}/{len(program.steps)}  "), where
                assert len(lines[0]) <= card.size.width, where
                assert len(lines[-1]) <= card.size.width, where
                assert " ".join(step.text.split()) in " ".join(lines), where
                # The safety lines, whole, on the card's borders: no row of their own.
                assert app.query_one("#program").border_subtitle == (
                    _border(step.caution) if step.caution else None
                ), where
                # On the first card and the first stretch's (the routine begins with getting
                # down onto the mat, review 31 F7).
                first = note if index <= first_stretch else ""
                assert app.query_one("#program").border_title == (
                    _border(first) if first else None
                ), where
                bottom = 0
                for selector in ("#pacer", "#program", "#middle", "#cue", "#status"):
                    region = app.query_one(selector).region
                    assert region.y >= bottom and region.height > 0, (where, selector)
                    bottom = region.bottom
                assert bottom <= app.query_one(Footer).region.y, where
                if t_s < duration_s:
                    assert "left in session" in lines[-1] or "session ends" in lines[-1], where
        session.finished.set()
        await pilot.pause()


def _border(line: str) -> str:
    """A caution as the card's border holds it (console markup)."""
    return Text(line, style=CAUTION_STYLE).markup


def test_every_stretch_of_the_back_routine_says_to_stop_at_pain() -> None:
    """Found in a physiotherapist's review: "never push into pain" was one tip among three,
    gone from the screen at the first cue. Every stretch card now carries the caution,
    for as long as the stretch lasts; the posture changes between them do not."""
    program = CATALOG.get("back-release")
    stretches = [s for s in program.steps if not s.transition]
    assert stretches and all(
        "stop if it hurts" in s.caution and "pain spreads into a leg" in s.caution
        for s in stretches
    )
    assert all(not s.caution for s in program.steps if s.transition)
    # Nowhere else needs it: the other programs are breathing, not stretching.
    others = [CATALOG.get(n) for n in CATALOG.names() if n != "back-release"]
    assert not any(s.caution for p in others for s in p.steps)


def test_the_back_routine_texts_say_what_a_physiotherapist_would() -> None:
    """Found in review: the figure-four drew "the lower leg" (the crossed one) to the chest;
    the press-up did not say when to breathe."""
    program = CATALOG.get("back-release")
    figure_four = [s for s in program.steps if s.title == "Figure-four pull"]
    assert len(figure_four) == 2 and all(
        "Hold behind the thigh of the uncrossed leg" in " ".join(s.text.split())
        for s in figure_four
    )
    press_ups = next(s for s in program.steps if s.title == "Press-ups")
    assert "As you breathe out, slowly lift" in " ".join(press_ups.text.split())


@pytest.mark.parametrize(("columns", "inside"), [(80, False), (76, False), (50, True)])
async def test_the_safety_lines_stay_on_the_screen_for_the_whole_step(
    columns: int, inside: bool
) -> None:
    """The reminder after a red-flag "yes" (and the tips) were printed before the screen
    opened, which covered them at once. The reminder is handed to the screen and shown on the
    first step card for the whole step, cues or not; the caution on each stretch. Where a
    border is too narrow for a line it goes inside the card, whole. A 76-column card's
    border holds back-release's 70-character caution (it went inside below 78 columns,
    taking a row of a small window)."""
    session = ProgramScreenSession(BACK)
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=150.0, safety_note=CARD_REMINDER
    )
    caution = BACK.steps[1].caution
    assert BACK.steps[0].transition and not BACK.steps[0].caution  # getting onto the mat
    twist_s = ProgramTimeline(BACK).step_start_s(1)
    async with app.run_test(size=(columns, 40)) as pilot:

        async def card_at(t_s: float) -> tuple[str, str | None, str | None]:
            session.t_s = t_s
            app.refresh_view()
            await pilot.pause()
            card = app.query_one("#program")
            return _plain(app, "#program"), card.border_title, card.border_subtitle

        session.state.cue, session.state.cue_t_s = "Nicely in rhythm", 1.0
        # Review 31 F7: the routine begins by getting down onto the mat; the reminder stays
        # on its card and on the first stretch's, whose caution is there too.
        text, top, bottom = await card_at(0.5)
        if inside:
            assert top is None and CARD_REMINDER in " ".join(text.split())
        else:
            assert (top, bottom) == (_border(CARD_REMINDER), None)
        for t_s in (twist_s + 1.0, twist_s + 3.0):  # a cue came: the tips are gone
            text, top, bottom = await card_at(t_s)
            state = session.program_state(t_s)
            assert state is not None and state.step_index == 1
            joined = " ".join(text.split())
            if inside:
                assert top is None and bottom is None
                assert CARD_REMINDER in joined and caution in joined
            else:
                assert (top, bottom) == (_border(CARD_REMINDER), _border(caution))
                assert CARD_REMINDER not in joined
        later = next(
            float(t) for t in range(1, 150) if session.timeline.at(float(t)).step_index == 3
        )
        text, top, _ = await card_at(later)
        assert top is None and CARD_REMINDER not in text  # the first cards only
        session.finished.set()
        await pilot.pause()


def test_the_pacer_sound_follows_the_pause(tmp_path: Path) -> None:
    """The program's chimes and end bell move with a pause (session_cli wires this listener)."""
    from trainer.cli.session import _sound_follows_pauses
    from trainer.ui.session_sound import SessionSound
    from trainer.ui.sound import AudioOut

    clock = FakeClock()
    timeline = ProgramTimeline(BACK)
    plan = SessionPlan(None, duration_s=150.0, program=ProgramPlan(BACK))
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=no_sleep)
    cues = timeline.sound_cue_times_s()
    audio = SessionSound(
        session.pacer_state,
        session.now_s,
        end_s=150.0,
        cue_times_s=cues,
        audio=AudioOut(notify=lambda _text: None),  # never started: no device needed
    )
    seen: list[tuple[list[float], float | None]] = []

    def spy(events: list[Event]) -> None:
        if any(
            isinstance(e, PacerEvent) and e.change.action in ("pause", "resume") for e in events
        ):
            seen.append((list(audio.sound._cues), audio.sound.end_s))

    session.add_listener(_sound_follows_pauses(session, audio, timeline))
    session.add_listener(spy)
    inner = SimulatedSource(
        PersonModel(seed=3), session, clock=clock, wall_clock=clock, realtime=False
    )
    toggles = (PAUSE_AT_S, PAUSE_AT_S + PAUSE_FOR_S)
    asyncio.run(session.run(PausingSource(inner, session, clock, toggles)))
    (paused_cues, paused_end), (resumed_cues, resumed_end) = seen
    assert paused_cues == [] and paused_end is None  # nothing due while paused
    later = [c for c in cues if c > PAUSE_AT_S]
    assert later, "the compressed program has step changes after the pause"
    assert resumed_cues[-len(later) :] == pytest.approx([c + PAUSE_FOR_S for c in later], abs=1e-6)
    assert resumed_end == pytest.approx(150.0 + PAUSE_FOR_S, abs=1e-6)


def test_the_end_bell_of_a_plain_session_moves_with_a_pause(tmp_path: Path) -> None:
    """A plain session now ends later by the time paused; its tone and end bell must too (found
    in review: the bell rang at the old end and the session ran on in silence)."""
    from trainer.cli.session import _sound_follows_pauses
    from trainer.ui.session_sound import SessionSound
    from trainer.ui.sound import AudioOut

    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=60.0)
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=no_sleep)
    audio = SessionSound(
        session.pacer_state, session.now_s, end_s=60.0, audio=AudioOut(notify=lambda _t: None)
    )
    session.add_listener(_sound_follows_pauses(session, audio, None))
    inner = SimulatedSource(
        PersonModel(seed=3), session, clock=clock, wall_clock=clock, realtime=False
    )
    result = asyncio.run(session.run(PausingSource(inner, session, clock, (20.0, 35.0))))
    assert result.summary["duration_s"] == pytest.approx(75.0)
    assert audio.sound.end_s == pytest.approx(75.0, abs=1e-6)


def test_breaths_begun_while_paused_are_not_scored_in_the_report_or_export(
    tmp_path: Path,
) -> None:
    """The summary left them out; the report's score panel and breaths.csv still showed their
    zeros (found in review)."""
    import csv

    from matplotlib.lines import Line2D

    from trainer.reports.report import report_figure
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.export import export_recording

    run = _run(tmp_path / "rec", program=None, duration_s=120.0, toggles_s=(40.0, 70.0))
    analysis = analyse_recording(run.path)
    paused = [e for e in analysis.breaths if e.paused]
    assert paused
    out = export_recording(run.path, "csv", tmp_path / "csv")
    breaths_csv = next(p for p in out if p.name.endswith(".breaths.csv"))
    with breaths_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    marked = [r for r in rows if r["paused"] == "1"]
    assert len(marked) == len(paused) and all(r["follow_score"] == "" for r in marked)
    assert [r["follow_score"] == "" for r in rows] == [not e.scored for e in analysis.breaths]
    assert any(r["follow_score"] != "" for r in rows if r["paused"] == "0")
    figure = report_figure(analysis)
    panel = next(
        ax for ax in figure.axes if ax.get_title(loc="left").startswith("How well you followed")
    )
    each = next(line for line in panel.get_lines() if line.get_label() == "each breath")
    assert isinstance(each, Line2D)
    scored = [e for e in analysis.good_breaths if e.scored]
    assert np.asarray(each.get_xdata()).size == len(scored)


def test_a_pause_in_an_own_rhythm_step_is_exported_as_a_pause(tmp_path: Path) -> None:
    """Found in review: paused in a "breathe normally" step, the export said ``pacer own`` for
    the pause (and the report counted it as own-rhythm time), as if nothing had happened. The
    pause is now a ``pacer paused`` span, as a pause of the pacer is, and own rhythm resumes
    after it."""
    import csv

    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.export import event_rows, export_recording

    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.0)
    assert isinstance(program.steps[0].breathing, OwnRhythm) and program.steps[0].total_s > 2.0
    run = _run(tmp_path / "rec", program=program, duration_s=60.0, toggles_s=(2.0, 12.0))
    analysis = analyse_recording(run.path)
    first = [(s.mode, round(s.t0_s, 3), round(s.t1_s, 3)) for s in analysis.pacer_spans[:3]]
    assert first[:2] == [("own", 0.0, 2.0), ("paused", 2.0, 12.0)]
    assert first[2][:2] == ("own", 12.0)
    assert (2.0, 10.0, "pacer paused", "") in [
        (round(t, 3), round(d, 3), k, x) for t, d, k, x in event_rows(analysis)
    ]
    out = export_recording(run.path, "csv", tmp_path / "csv")
    events_csv = next(p for p in out if p.name.endswith(".events.csv"))
    with events_csv.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"].startswith("pacer")]
    assert [(r["kind"], float(r["t_s"])) for r in rows[:3]] == [
        ("pacer own", 0.0),
        ("pacer paused", 2.0),
        ("pacer own", 12.0),
    ]


def test_a_session_cut_at_a_step_s_start_does_not_begin_that_step(tmp_path: Path) -> None:
    """Found in review: ``--minutes 1`` of the head-to-feet body scan said "step 2/13 at 60.0
    s" as the session closed, a step never practised; a replay said it too."""
    program = CATALOG.get("body-scan-head-to-feet")
    assert program.steps[0].total_s == 60.0
    run = _run(tmp_path, program=program, duration_s=60.0)
    said = _program_events(run)
    assert [e.step_index for e in said if e.kind is EventKind.STEP] == [0]
    assert all(e.t_s < 60.0 for e in said)
    assert not [line for line in run.lines if line.startswith("step 2/")]
    assert replay_lines(run.path) == run.lines


def test_breaths_paused_in_an_own_rhythm_step_never_cue(tmp_path: Path) -> None:
    """Relaxation response paused from 200 to 400 s: 4 of its 40 paused breaths carried "Lovely
    long out-breath" (found in review); with a pacer, paused breaths never cued."""
    program = CATALOG.get("relaxation-response")
    run = _run(tmp_path, program=program, duration_s=600.0, toggles_s=(200.0, 400.0))
    breaths = [e for e in run.events if isinstance(e, BreathEvent)]
    paused = [e for e in breaths if e.paused]
    assert len(paused) >= 20
    assert not [e for e in paused if e.feedback.cue]
    assert [e for e in breaths if not e.paused and e.feedback.cue]  # cues elsewhere


def test_an_own_rhythm_step_without_a_ratio_spans_none_after_one_with_a_ratio(
    tmp_path: Path,
) -> None:
    """The relaxation response's "Coming back" step asks no ratio, as its "Settle in" does, but
    its report and export span took the 1.3 of the step before it, while the pipeline scored
    nothing against it. A pause inside the 1.3 step still keeps 1.3 on both sides."""
    from trainer.reports.session_analysis import analyse_recording

    program = compressed(CATALOG.get("relaxation-response"), 60.0)
    ratios = [getattr(s.breathing, "target_ratio", None) for s in program.steps]
    assert ratios == [None, 1.3, None]
    middle_s = program.steps[0].total_s + program.steps[1].total_s / 2
    run = _run(
        tmp_path / "rec", program=program, duration_s=60.0, toggles_s=(middle_s, middle_s + 2)
    )
    spans = [(s.mode, s.ratio) for s in analyse_recording(run.path).pacer_spans]
    assert spans == [("own", None), ("own", 1.3), ("paused", 1.3), ("own", 1.3), ("own", None)]
