"""Skipping the rest of a program step (key ``n``) and starting further in (``--from-step``),
review 31 F2: the program's clock jumps to the next step, nothing of what it jumped over is
said, chimed or conducted, the session ends when the program does (or when its minutes are
practised), and the recording replays, and is analysed, to the same steps and summary."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest
from program_runs import (
    FakeClock,
    KeyedSource,
    ProgramRun,
    compressed,
    no_sleep,
    replay_lines,
    run_live,
)
from textual.widgets import Static

from devices.packets import NS_PER_S
from devices.sim import PersonModel, SimulatedSource
from trainer.coaching.conductor import Conductor
from trainer.coaching.pacer import PacerState
from trainer.coaching.program_clock import ProgramClock
from trainer.errors import BadArgument
from trainer.programs import EventKind, load_catalog
from trainer.programs.model import Program
from trainer.programs.runner import ProgramTimeline, TimelineState
from trainer.session.events import Event, PacerEvent, ProgramEvent, SkipEvent
from trainer.session.live_replay import LiveSession, SessionPlan, SessionResult
from trainer.session.program_session import find_step, prepare_program
from trainer.storage.config import Settings
from trainer.storage.program_codec import FROM_STEP_KEY, ProgramPlan
from trainer.storage.recording import PacerChange, RecordingError, read_recording
from trainer.ui.headless import format_summary
from trainer.ui.screen import (
    QUIT_AGAIN_NOTE,
    QUIT_CONFIRM_S,
    SKIPPED_NOTE,
    BreathwiseApp,
    SessionDefaults,
)
from trainer.ui.state import SessionState

START_NS = FakeClock().ns
CATALOG = load_catalog()
BACK = compressed(CATALOG.get("back-release"), 150.0)
"""Every step of the routine, its sides, repetitions and cues, in 2.5 simulated minutes."""
TIMELINE = ProgramTimeline(BACK)
SKIP_AT_S = 112.0
"""Mid-step: the skipped step has seconds left, and cues and repetitions among them."""


def _run(
    out_dir: Path,
    program: Program = BACK,
    *,
    keys: Sequence[tuple[float, str]] = (),
    duration_s: float | None = None,
    settings: dict[str, object] | None = None,
) -> ProgramRun:
    plan = SessionPlan(
        None,
        duration_s=program.total_duration_s if duration_s is None else duration_s,
        settings={"device": ["sim"], **(settings or {})},
        program=ProgramPlan(program),
    )
    return run_live(
        out_dir,
        plan,
        person=PersonModel(seed=3),
        wrap=lambda inner, session, clock: KeyedSource(inner, session, clock, keys),
    )


def _program_events(run: ProgramRun) -> list[ProgramEvent]:
    return [e for e in run.events if isinstance(e, ProgramEvent)]


@pytest.fixture(scope="module")
def back_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProgramRun, ProgramRun]:
    """The compressed back routine run through, and with ``n`` pressed at SKIP_AT_S."""
    plain = _run(tmp_path_factory.mktemp("plain"))
    skipped = _run(tmp_path_factory.mktemp("skipped"), keys=[(SKIP_AT_S, "n")])
    return plain, skipped


def test_the_skip_is_mid_step_so_the_test_means_something() -> None:
    state = TIMELINE.at(SKIP_AT_S)
    assert state.step_left_s > 5.0 and not state.step.transition
    # Repetitions (or cues) of the step fall in what is skipped: they must not be said.
    skipped = TIMELINE.events(SKIP_AT_S, SKIP_AT_S + state.step_left_s - 1e-6)
    assert any(e.kind in (EventKind.REPETITION, EventKind.CUE) for e in skipped)


def test_n_moves_on_to_the_next_step_at_once(back_runs: tuple[ProgramRun, ProgramRun]) -> None:
    plain, skipped = back_runs
    state = TIMELINE.at(SKIP_AT_S)
    left_s = state.step_left_s
    number = state.step_index + 1
    # The line of the skip, then the next step's, at the same instant.
    said = f"skipped at {SKIP_AT_S:7.1f} s  step {number}/{len(BACK.steps)} {state.step.title}"
    where = next(i for i, line in enumerate(skipped.lines) if line.startswith(said))
    assert skipped.lines[where].endswith(f", {left_s:.0f} s of it left out")
    following = [line for line in skipped.lines[where + 1 :] if line.startswith("step ")]
    assert following[0].startswith(f"step {number + 1}/{len(BACK.steps)} at {SKIP_AT_S:7.1f} s")
    # Nothing of the rest of the step is said; everything after it comes sooner by its rest.
    before = [(e.kind, e.step_index, e.text) for e in _program_events(plain)]
    after = [(e.kind, e.step_index, e.text) for e in _program_events(skipped)]
    kept = [e for e in _program_events(plain) if e.t_s <= SKIP_AT_S]
    later = [e for e in _program_events(plain) if e.step_index > state.step_index]
    assert after == [(e.kind, e.step_index, e.text) for e in kept + later]
    assert len(after) < len(before)
    for one, two in zip(later, _program_events(skipped)[len(kept) :], strict=True):
        assert two.t_s == pytest.approx(one.t_s - left_s, abs=1e-6)
    # The program's pace follows: the next step's pattern is set at the skip.
    changes = [e for e in skipped.events if isinstance(e, PacerEvent)]
    at_skip = [e.change for e in changes if e.t_s == pytest.approx(SKIP_AT_S, abs=1e-9)]
    assert [c.action for c in at_skip][:1] == ["skip"]
    assert any(c.label == BACK.steps[number].title for c in at_skip[1:])
    assert sum(isinstance(e, SkipEvent) for e in skipped.events) == 1


def test_a_skipped_session_ends_with_its_program(
    back_runs: tuple[ProgramRun, ProgramRun],
) -> None:
    """Without --minutes the session is the program: it ends sooner by the part skipped, with
    the program's end said and the session completed."""
    plain, skipped = back_runs
    left_s = TIMELINE.at(SKIP_AT_S).step_left_s
    assert plain.result.summary["duration_s"] == 150.0
    assert skipped.result.summary["duration_s"] == pytest.approx(150.0 - left_s, abs=1e-6)
    assert skipped.result.summary["ended"] == "completed"
    assert _program_events(skipped)[-1].kind is EventKind.END


def test_the_skip_is_in_the_summary_and_the_recording(
    back_runs: tuple[ProgramRun, ProgramRun],
) -> None:
    _, skipped = back_runs
    state = TIMELINE.at(SKIP_AT_S)
    title = state.step.title + (f" ({state.step.sides[0]})" if len(state.step.sides) == 1 else "")
    summary = skipped.result.summary
    assert summary["steps_skipped"] == [
        {
            "step": state.step_index + 1,
            "title": title,
            "at_s": SKIP_AT_S,
            "left_s": pytest.approx(state.step_left_s, abs=1e-6),
        }
    ]
    assert "from_step" not in summary
    assert (
        f"program: skipped step {state.step_index + 1} {title} at 112 s"
        in format_summary(summary).splitlines()
    )
    recording = read_recording(skipped.path)
    actions = [i.action for i in recording.items if isinstance(i, PacerChange)]
    assert actions.count("skip") == 1
    # The closing record holds it too (what history --add and replay compare against).
    assert recording.summary is not None
    assert recording.summary["steps_skipped"] == summary["steps_skipped"]


def test_a_skipped_recording_replays_and_is_analysed_to_the_same(
    back_runs: tuple[ProgramRun, ProgramRun],
) -> None:
    """One path for live, replay and batch: the recorded skip, not the key, moves them on."""
    from trainer.reports.session_analysis import analyse_recording

    _, skipped = back_runs
    assert any(line.startswith("skipped at") for line in skipped.lines)
    assert replay_lines(skipped.path) == skipped.lines
    analysis = analyse_recording(skipped.path)
    assert analysis.summary["steps_skipped"] == skipped.result.summary["steps_skipped"]
    assert analysis.duration_s == pytest.approx(skipped.result.summary["duration_s"])


def test_with_minutes_a_skip_brings_the_later_steps_into_the_session(tmp_path: Path) -> None:
    """--minutes counts minutes practised: a skip moves the program on, so the person gets
    further into it in the same minutes (review 31 F2: "short of time ... never the side
    stretch, press-ups or figure-four")."""
    plain = _run(tmp_path / "a", duration_s=60.0)
    skipped = _run(tmp_path / "b", duration_s=60.0, keys=[(20.0, "n"), (30.0, "n")])
    for run in (plain, skipped):
        assert run.result.summary["duration_s"] == 60.0
        assert run.result.summary["minutes_practised"] == pytest.approx(1.0)
    reached = [max(e.step_index for e in _program_events(run)) for run in (plain, skipped)]
    assert reached[1] > reached[0]
    assert len(skipped.result.summary["steps_skipped"]) == 2
    assert replay_lines(skipped.path) == skipped.lines


def test_n_while_paused_resumes_at_the_next_step(tmp_path: Path) -> None:
    run = _run(tmp_path, keys=[(30.0, "p"), (36.0, "n")])
    state = TIMELINE.at(30.0)
    summary = run.result.summary
    assert summary["paused_s"] == pytest.approx(6.0)
    # Paused 6 s, and the rest of the step at the pause left out.
    assert summary["duration_s"] == pytest.approx(150.0 + 6.0 - state.step_left_s, abs=1e-6)
    assert summary["steps_skipped"][0]["step"] == state.step_index + 1
    steps = [e for e in _program_events(run) if e.kind is EventKind.STEP]
    assert any(e.step_index == state.step_index + 1 and e.t_s == 36.0 for e in steps)
    assert "resumed" not in "\n".join(run.lines)  # the skip itself ends the pause
    assert replay_lines(run.path) == run.lines


def test_n_in_the_last_step_ends_the_program(tmp_path: Path) -> None:
    last_start_s = TIMELINE.step_start_s(len(BACK.steps) - 1)
    run = _run(tmp_path, keys=[(last_start_s + 1.0, "n")])
    assert run.result.summary["duration_s"] == pytest.approx(last_start_s + 1.0, abs=1e-6)
    assert run.result.summary["ended"] == "completed"
    assert _program_events(run)[-1].kind is EventKind.END
    assert replay_lines(run.path) == run.lines


# -- starting further in ---------------------------------------------------------------------


def test_a_session_can_start_at_a_later_step(tmp_path: Path) -> None:
    first = 11  # 1-based: the standing side stretch's "Get into position"
    start_s = TIMELINE.step_start_s(first - 1)
    run = _run(
        tmp_path,
        duration_s=150.0 - start_s,
        settings={FROM_STEP_KEY: first},
    )
    steps = [e for e in _program_events(run) if e.kind is EventKind.STEP]
    assert steps[0].step_index == first - 1 and steps[0].t_s == 0.0
    assert run.lines[0].startswith(f"step {first}/{len(BACK.steps)} at     0.0 s")
    # Nothing before it is said, and everything after it comes sooner by what is left out.
    assert min(e.step_index for e in _program_events(run)) == first - 1
    assert run.result.summary["duration_s"] == pytest.approx(150.0 - start_s)
    assert run.result.summary["from_step"] == first
    assert _program_events(run)[-1].kind is EventKind.END
    assert f"program: started at step {first}" in run.lines
    header = read_recording(run.path).header
    assert header.settings[FROM_STEP_KEY] == first
    assert replay_lines(run.path) == run.lines


def test_a_header_naming_no_step_is_refused(tmp_path: Path) -> None:
    from trainer.session.pipeline import Pipeline

    run = _run(tmp_path, duration_s=5.0)
    header = read_recording(run.path).header
    for bad in (0, len(BACK.steps) + 1, "3", True):
        settings = {**header.settings, FROM_STEP_KEY: bad}
        with pytest.raises(RecordingError, match="from_step"):
            Pipeline(dataclasses.replace(header, settings=settings))


def test_from_step_takes_a_number_or_a_title() -> None:
    program = CATALOG.get("back-release")
    assert find_step(program, "2") == 1
    assert find_step(program, "lying TWIST") == 1
    assert program.steps[find_step(program, "Figure-four pull")].sides == ("right",)
    left = find_step(program, "figure-four pull (left)")
    assert program.steps[left].sides == ("left",) and left == len(program.steps) - 1
    assert program.steps[find_step(program, "press")].title == "Press-ups"
    with pytest.raises(BadArgument) as caught:
        find_step(program, "headstand")
    message = caught.value.user_message()
    # Unknown: every step, with its number, to choose from.
    assert "--from-step 'headstand': Back-release routine has no such step" in message
    assert "1 Get into position, 2 Lying twist," in message
    assert "30 Figure-four pull (left)" in message
    for wrong in ("0", "31", "stretch", "side"):  # out of range; words of several titles
        with pytest.raises(BadArgument):
            find_step(program, wrong)


def test_minutes_with_from_step_count_from_that_step() -> None:
    """--minutes is the session's length from the step it starts at: a fixed program is cut
    there (or refused when longer than what is left), a flexible step after it is fitted."""
    back = CATALOG.get("back-release")
    timeline = ProgramTimeline(back)
    side = find_step(back, "standing side stretch")
    left_s = back.total_duration_s - timeline.step_start_s(side)
    whole = prepare_program("back-release", Settings(), from_step="standing side stretch")
    assert whole.from_step == side + 1 and whole.duration_s == pytest.approx(left_s)
    assert whole.plan.program == back  # every step kept, with its number
    assert whole.note.startswith(f'starting at step {side + 1}/30, "Standing side stretch (right)"')
    assert "left out before it: Lying twist, Shins on a chair, Knees to chest" in whole.note
    cut = prepare_program("back-release", Settings(), minutes=10, from_step=str(side + 1))
    assert cut.duration_s == 600.0 and cut.from_step == side + 1
    assert "from step" in cut.note and "it will stop after 10 min" in cut.note
    with pytest.raises(BadArgument, match="fixed length"):
        prepare_program("back-release", Settings(), minutes=40, from_step=str(side + 1))
    # The relaxation response from its main step on: that step is fitted to what is left.
    relax = CATALOG.get("relaxation-response")
    fitted = prepare_program("relaxation-response", Settings(), minutes=10, from_step="2")
    assert fitted.duration_s == 600.0
    assert fitted.plan.program.steps[0] == relax.steps[0]
    assert fitted.plan.program.steps[1].total_s == 600.0 - relax.steps[2].total_s


# -- the clock and the conductor -------------------------------------------------------------


def test_program_clock_jumps_at_a_skip_and_maps_back() -> None:
    clock = ProgramClock()
    clock.pause(10 * NS_PER_S)
    clock.resume(14 * NS_PER_S)
    clock.skip(20 * NS_PER_S, 50 * NS_PER_S)  # program 16 s -> 50 s at session 20 s
    assert clock.skips == ((20 * NS_PER_S, 16 * NS_PER_S, 50 * NS_PER_S),)
    assert [clock.program_s(t) for t in (5.0, 12.0, 19.0, 20.0, 25.0)] == [5, 10, 15, 50, 55]
    # Practised time counts the minutes lived, not the program's jump.
    assert [clock.practised_s(t) for t in (19.0, 20.0, 25.0)] == [15, 16, 21]
    # What the skip jumped over maps to its instant, and was never reached.
    assert [clock.session_s(p) for p in (15.0, 16.0, 30.0, 50.0, 55.0)] == [19, 20, 20, 20, 25]
    assert clock.skipped_over_s(16.0) and clock.skipped_over_s(49.9)
    assert not clock.skipped_over_s(15.9) and not clock.skipped_over_s(50.0)
    assert clock.reached_whole(50 * NS_PER_S, 60 * NS_PER_S)
    assert not clock.reached_whole(10 * NS_PER_S, 17 * NS_PER_S)
    for p_ns in (0, 9 * NS_PER_S, 12 * NS_PER_S + 3, 50 * NS_PER_S, 70 * NS_PER_S + 11):
        assert clock.program_ns(clock.session_ns(p_ns)) == p_ns
    # A skip ends a pause; one that would not move the program on is no skip.
    clock.pause(30 * NS_PER_S)
    clock.skip(33 * NS_PER_S, 10 * NS_PER_S)
    assert not clock.paused and len(clock.skips) == 1
    assert clock.pauses[-1] == (30 * NS_PER_S, 33 * NS_PER_S)


def test_conductor_on_its_own_clock_moves_on_at_a_skip() -> None:
    timeline = ProgramTimeline(BACK)
    conductor = Conductor(0, 0, timeline=timeline)
    conductor.start()
    state = timeline.at(SKIP_AT_S)
    conductor.before(round(SKIP_AT_S * NS_PER_S))
    skip = PacerChange(round(SKIP_AT_S * NS_PER_S), 0, "skip")
    conductor.after([PacerEvent(SKIP_AT_S, skip)], skip.t_mono_ns)
    changes = conductor.before(skip.t_mono_ns)
    # The next step's pattern at once, stamped at the skip; none of the skipped step's.
    assert [c.label for c in changes] == [BACK.steps[state.step_index + 1].title]
    assert changes[0].t_mono_ns == skip.t_mono_ns


def test_the_sound_moves_on_with_a_skip(tmp_path: Path) -> None:
    """The chimes of the skipped step's rest are dropped, the next step's sounds at once, and
    the end bell comes sooner by what was skipped."""
    from trainer.cli.session import _sound_follows_pauses
    from trainer.ui.session_sound import SessionSound
    from trainer.ui.sound import AudioOut

    clock = FakeClock()
    plan = SessionPlan(None, duration_s=150.0, program=ProgramPlan(BACK))
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=no_sleep)
    cues = TIMELINE.sound_cue_times_s()
    audio = SessionSound(
        session.pacer_state,
        session.now_s,
        end_s=150.0,
        cue_times_s=cues,
        audio=AudioOut(notify=lambda _text: None),  # never started: no device needed
    )
    session.add_listener(_sound_follows_pauses(session, audio, TIMELINE))
    seen: list[tuple[list[float], float | None]] = []

    def spy(events: list[Event]) -> None:
        if any(isinstance(e, SkipEvent) for e in events):
            seen.append((list(audio.sound._cues), audio.sound.end_s))

    session.add_listener(spy)
    inner = SimulatedSource(
        PersonModel(seed=3), session, clock=clock, wall_clock=clock, realtime=False
    )
    asyncio.run(session.run(KeyedSource(inner, session, clock, [(SKIP_AT_S, "n")])))
    [(after, end)] = seen
    state = TIMELINE.at(SKIP_AT_S)
    left_s = state.step_left_s
    assert end == pytest.approx(150.0 - left_s, abs=1e-6)
    later = [c - left_s for c in cues if c >= SKIP_AT_S + left_s]
    assert after[-len(later) :] == pytest.approx(later, abs=1e-6)
    assert after[-len(later)] == pytest.approx(SKIP_AT_S)  # the next step's chime, now
    assert not [c for c in after if SKIP_AT_S < c < SKIP_AT_S + 1e-3 and c != after[-len(later)]]


# -- the keys on the screen -------------------------------------------------------------------


class ScreenSession(SessionDefaults):
    """A program session on a hand-moved clock, as the screen sees a live one."""

    def __init__(self, program: Program) -> None:
        self.state = SessionState()
        self.t_s = 0.0
        self.timeline = ProgramTimeline(program)
        self.actions: list[str] = []
        self.finished = asyncio.Event()

    def now_s(self) -> float:
        return self.t_s

    def pacer_state(self, t_s: float) -> PacerState | None:
        return None

    def program_state(self, t_s: float) -> TimelineState:
        return self.timeline.at(t_s)

    def program_time_s(self, t_s: float) -> float:
        return t_s

    def stop(self) -> None:
        self.finished.set()

    def quit(self) -> None:
        self.actions.append("quit")
        self.finished.set()

    async def run(self) -> SessionResult:
        await self.finished.wait()
        return SessionResult(None, {"breaths": 0})


def _app(session: ScreenSession, *, live: bool = True, eyes_closed: bool = False) -> BreathwiseApp:
    return BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=600.0,
        on_pause=(lambda: session.actions.append("pause")) if live else None,
        on_mark=(lambda: session.actions.append("mark")) if live else None,
        on_quit=session.quit if live else None,
        on_next=(lambda: session.actions.append("next")) if live else None,
        confirm_quit=eyes_closed,
        hold_at_end=True,
    )


def _rows(app: BreathwiseApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_n_skips_a_step_on_the_screen_and_the_key_bar_says_so() -> None:
    session = ScreenSession(CATALOG.get("back-release"))
    app = _app(session)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 25.0
        app.refresh_view()
        await pilot.pause()
        assert "n Next step" in _rows(app)[-1]
        await pilot.press("n")
        await pilot.pause()
        assert session.actions == ["next"]
        status = str(app.query_one("#status", Static).render())
        assert SKIPPED_NOTE in status
        session.finished.set()
        await pilot.pause()
        await pilot.press("n")  # over: nothing left to skip
        await pilot.pause()
        assert session.actions == ["next"]
        await pilot.press("q")


async def test_a_replay_offers_no_next_step() -> None:
    session = ScreenSession(CATALOG.get("back-release"))
    app = _app(session, live=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert "Next step" not in _rows(app)[-1]
        await pilot.press("n")
        await pilot.pause()
        assert session.actions == []
        session.finished.set()
        await pilot.pause()
        await pilot.press("q")


async def test_with_the_eyes_closed_q_ends_the_session_only_when_pressed_twice() -> None:
    """Review 31 F12: lying down with the eyes closed, a brushed key ended the session at once.
    In an eyes-closed program q asks for a second q within QUIT_CONFIRM_S."""
    session = ScreenSession(CATALOG.get("relaxation-response"))
    app = _app(session, eyes_closed=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 10.0
        app.refresh_view()
        await pilot.pause()
        assert "q Quit (q twice, saves)" in _rows(app)[-1]
        await pilot.press("q")
        await pilot.pause()
        assert session.actions == []  # not yet
        assert QUIT_AGAIN_NOTE in str(app.query_one("#status", Static).render())
        # Too late for the second: it asks again.
        session.t_s = 10.0 + QUIT_CONFIRM_S + 0.5
        app.refresh_view()
        await pilot.pause()
        assert QUIT_AGAIN_NOTE not in str(app.query_one("#status", Static).render())
        await pilot.press("q")
        await pilot.pause()
        assert session.actions == []
        session.t_s += QUIT_CONFIRM_S - 0.5
        await pilot.press("q")
        await pilot.pause()
        await pilot.pause()
        assert session.actions == ["quit"]
        assert app.result is not None
        await pilot.press("q")  # the summary closes at once


async def test_with_the_eyes_closed_ctrl_c_still_ends_the_session_at_once() -> None:
    session = ScreenSession(CATALOG.get("relaxation-response"))
    app = _app(session, eyes_closed=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 10.0
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        await pilot.pause()
        assert session.actions == ["quit"]
        await pilot.press("q")


async def test_with_the_eyes_open_one_q_still_ends_the_session() -> None:
    session = ScreenSession(CATALOG.get("back-release"))
    app = _app(session)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 10.0
        await pilot.pause()
        assert "q Quit (saves)" in _rows(app)[-1]
        await pilot.press("q")
        await pilot.pause()
        await pilot.pause()
        assert session.actions == ["quit"]
        await pilot.press("q")


@pytest.mark.parametrize("columns", [40, 60, 72, 81, 100])
@pytest.mark.parametrize("eyes_closed", [False, True])
async def test_the_key_bar_keeps_q_whole_with_the_next_step_key(
    columns: int, eyes_closed: bool
) -> None:
    """The key bar went short below 60 columns for p, m and q (review 29 F5); with n, and the
    longer label of a q pressed twice, 60 columns cut it at q ("q Q▏^p palette")."""
    session = ScreenSession(CATALOG.get("back-release"))
    app = _app(session, eyes_closed=eyes_closed)
    async with app.run_test(size=(columns, 24)) as pilot:
        await pilot.pause()
        bar = _rows(app)[-1]
        session.finished.set()
        await pilot.pause()
        await pilot.press("q")
    quit_labels = (
        ("q Quit (twice)", "q Quit (q twice, saves)") if eyes_closed else ("q Quit (saves)",)
    )
    assert any(label in bar for label in quit_labels), bar
    assert "n Next" in bar, bar


def test_a_rate_skipped_in_an_assessment_is_not_tried(tmp_path: Path) -> None:
    """A resonance assessment scores whole steps only: a rate skipped part-way is not tried, so
    the assessment is incomplete and its rate not stored, as one stopped early."""
    program = CATALOG.get("resonance-assessment")
    timeline = ProgramTimeline(program)
    second = next(i for i, s in enumerate(program.steps) if s.scored) + 1
    skip_at_s = timeline.step_start_s(second) + 30.0
    run = _run(tmp_path, program, keys=[(skip_at_s, "n")])
    resonance = run.result.summary["resonance"]
    assert resonance["rates_planned"] == 5 and resonance["rates_tried"] == 4
    skipped_rate = timeline.at(skip_at_s).pattern
    assert skipped_rate is not None
    tried = [rate for rate, _ in resonance["scores"]]
    assert round(skipped_rate.rate_bpm, 2) not in tried and len(tried) == 4
    assert "only 4 of 5 rates tried, so it is not stored" in "\n".join(run.lines)
    assert replay_lines(run.path) == run.lines


def test_from_step_is_refused_without_a_program_and_names_the_steps_when_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.cli.app import run

    base = ["live", "--device", "none", "--headless", "--no-sound"]
    assert run([*base, "--from-step", "2"]) == 2
    assert "--from-step needs --program" in capsys.readouterr().err
    assert run([*base, "--program", "deep-breathing-4-8", "--from-step", "nap"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--from-step 'nap': Deep breathing 4-8 has no such step (it has 3:" in err
    assert "1 Get comfortable, 2 Four in, eight out, 3 Rest" in err


def test_the_report_shows_where_a_step_was_skipped(
    back_runs: tuple[ProgramRun, ProgramRun],
) -> None:
    from matplotlib.text import Text as MplText

    from trainer.reports.report import report_figure
    from trainer.reports.session_analysis import analyse_recording

    _, skipped = back_runs
    title = skipped.result.summary["steps_skipped"][0]["title"]
    figure = report_figure(analyse_recording(skipped.path))
    texts = [t.get_text() for t in figure.findobj(MplText)]
    assert f"skipped: {title}" in texts


def test_a_sensorless_report_lists_the_start_and_the_skips(tmp_path: Path) -> None:
    from matplotlib.text import Text as MplText

    from devices.sensorless import SensorlessSource
    from trainer.reports.report import report_figure
    from trainer.reports.session_analysis import analyse_recording

    clock = FakeClock()
    start_s = TIMELINE.step_start_s(10)  # step 11
    plan = SessionPlan(
        None,
        duration_s=150.0 - start_s,
        settings={FROM_STEP_KEY: 11},
        program=ProgramPlan(BACK),
    )
    pressed: list[float] = []

    async def tick(_: float) -> None:
        # The timer's sleep: time passes, and 5 s in the person presses n.
        clock.ns += NS_PER_S // 4
        if not pressed and session.now_s() >= 5.0:
            pressed.append(session.now_s())
            session.next_step()
        await asyncio.sleep(0)

    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=tick)
    result = asyncio.run(session.run(SensorlessSource()))
    assert result.path is not None and result.summary["from_step"] == 11
    [skip] = result.summary["steps_skipped"]
    words = " ".join(
        " ".join(
            t.get_text() for t in report_figure(analyse_recording(result.path)).findobj(MplText)
        ).split()
    )
    assert f"Program: started at step 11; skipped step {skip['step']} {skip['title']}" in words
