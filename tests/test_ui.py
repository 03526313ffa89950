"""The Textual UI, headless: it renders the state it is given at the time its clock says."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from functools import partial

import pytest
from rich.style import Style
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from devices.packets import NS_PER_S
from trainer.coaching.coach import CUE_SENSOR_LOST
from trainer.coaching.pacer import BreathPattern, Pacer, PacerState, Phase
from trainer.coaching.program_clock import ProgramClock
from trainer.programs.runner import TimelineState
from trainer.session.events import PacerEvent, StatusEvent
from trainer.session.live_replay import SessionResult
from trainer.session.summary import SessionSummary
from trainer.storage.recording import PacerChange
from trainer.ui.screen import (
    MARK_SHOWN_S,
    REFRESH_HZ,
    BreathwiseApp,
    PacerView,
    SessionDefaults,
    render_metrics,
    render_pacer,
)
from trainer.ui.state import SessionState


class FakeSession(SessionDefaults):
    """A session whose clock the test moves by hand."""

    def __init__(self) -> None:
        self.state = SessionState()
        self.t_s = 0.0
        self.pacer = Pacer(BreathPattern.from_rate(6.0, 2.0), start_s=0.0)
        self.actions: list[str] = []
        self.finished = asyncio.Event()

    def now_s(self) -> float:
        return self.t_s

    def pacer_state(self, t_s: float) -> PacerState | None:
        return self.pacer.state(t_s)

    def stop(self) -> None:
        self.finished.set()

    async def run(self) -> SessionResult:
        await self.finished.wait()
        return SessionResult(None, {"breaths": 0})


async def _shown_at(
    app: BreathwiseApp,
    pilot: Pilot[SessionResult | None],
    session: FakeSession,
    t_s: float,
    selector: str,
) -> str:
    """What the widget ``selector`` shows once the session's clock reads ``t_s``."""
    session.t_s = t_s
    app.refresh_view()
    await pilot.pause()
    return str(app.query_one(selector, Static).render())


def _text(widget: PacerView) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


async def test_pacer_moves_with_the_clock_and_keys_reach_the_session() -> None:
    session = FakeSession()

    def quit_session() -> None:
        session.actions.append("quit")
        session.finished.set()

    app = BreathwiseApp(
        session,
        session.run,
        title="test",
        duration_s=60.0,
        on_pause=lambda: session.actions.append("pause"),
        on_mark=lambda: session.actions.append("mark"),
        on_quit=quit_session,
    )
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 1.0
        app.refresh_view()
        await pilot.pause()
        early = _text(app.query_one("#pacer", PacerView))
        session.t_s = 3.0
        app.refresh_view()
        await pilot.pause()
        later = _text(app.query_one("#pacer", PacerView))
        assert "Breathe in" in early and "Breathe in" in later
        assert later.count("█") > early.count("█")  # the bar grows during the in-breath
        session.t_s = 7.0
        app.refresh_view()
        await pilot.pause()
        assert "Breathe out" in _text(app.query_one("#pacer", PacerView))
        await pilot.press("p")
        await pilot.press("m")
        await pilot.press("q")
        await pilot.pause()
    assert session.actions == ["pause", "mark", "quit"]
    assert app.result == SessionResult(None, {"breaths": 0})
    # A frame the timer fires while the app shuts down draws nothing: its widgets are gone,
    # and the redraw raised NoMatches.
    app.refresh_view()


def test_render_pacer_phases_and_own_rhythm() -> None:
    pacer = Pacer(BreathPattern.from_rate(6.0, 1.0), start_s=0.0)
    inhale = render_pacer(pacer.state(2.5), 40).plain
    assert "Breathe in" in inhale
    assert abs(inhale.splitlines()[0].count("█") - 20) <= 1  # half-way in: half the bar
    exhale = render_pacer(pacer.state(7.5), 40).plain
    assert "Breathe out" in exhale
    assert abs(exhale.splitlines()[0].count("█") - 20) <= 1
    own = render_pacer(None, 40, 1.5).plain
    assert "own rhythm" in own and "1.5" in own
    assert pacer.state(2.5).phase is Phase.INHALE


async def test_time_left_shows_only_while_the_session_runs() -> None:
    session = FakeSession()
    app = BreathwiseApp(session, session.run, title="t", duration_s=60.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 15.0
        app.refresh_view()
        await pilot.pause()
        status = app.query_one("#status", Static).render()
        assert "00:15  (00:45 left)" in str(status)
        # Between whole seconds, elapsed rounds down and left up, so that they add up to the
        # session (both rounded down had read 00:07 and 00:52 of a minute, found in review).
        session.t_s = 7.6
        app.refresh_view()
        await pilot.pause()
        assert "00:07  (00:53 left)" in str(app.query_one("#status", Static).render())
        session.t_s = 60.0
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        status = app.query_one("#status", Static).render()
        assert "left)" not in str(status) and "session over" in str(status)
        await pilot.press("q")


async def test_the_session_is_shown_over_while_it_is_saved_and_a_q_then_closes_it_once_saved() -> (
    None
):
    """Saving a session to the history analyses the whole recording (14 s for an hour's):
    meanwhile the screen went on as if the session ran, its clock counting past the planned
    length at "(00:00 left)" (review 27 F3). It is shown over, with its summary and "saving
    to your history…", at once; a q meanwhile closes it once saved, not before."""
    session = FakeSession()
    saved = asyncio.Event()
    result = SessionResult(None, {"breaths": 0, "duration_s": 60.0})

    async def run() -> SessionResult:
        await session.finished.wait()
        app.show_over(result, "saving to your history…")
        await saved.wait()
        app.add_end_note("saved to your history")
        return result

    app = BreathwiseApp(session, run, title="t", duration_s=60.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 60.0
        session.finished.set()
        await pilot.pause()
        # Saving takes long: the clock stays at the session's end.
        status = await _shown_at(app, pilot, session, 75.0, "#status")
        assert status == "01:00  ·  saving to your history…"
        assert "Session over" in _text(app.query_one("#pacer", PacerView))
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running  # not cut short
        saved.set()
        await pilot.pause()
        await pilot.pause()
        assert app.return_value is result  # closed by the q, once saved


class PausingSession(FakeSession):
    """A fake session that counts its pauses as a live or replay session does."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ProgramClock()

    def practised_s(self, t_s: float) -> float:
        return self.clock.program_s(t_s)

    def toggle_pause(self) -> None:
        t_ns = round(self.t_s * NS_PER_S)
        if self.clock.paused:
            self.clock.resume(t_ns)
        else:
            self.clock.pause(t_ns)

    async def run(self) -> SessionResult:
        await self.finished.wait()
        return SessionResult(None, {"breaths": 0, "duration_s": self.t_s})


async def test_the_clock_counts_practised_time_and_stands_still_while_paused() -> None:
    """Found in review: paused 7 s into a 60 s session, the clock ran on while the time left
    stood, "00:13  (00:52 left)" (65 s in a 60 s session). It counts practised time, as the
    time left and the summary's minutes practised do; the time paused is shown beside it."""
    session = PausingSession()
    app = BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=60.0,
        on_pause=session.toggle_pause,
        hold_at_end=True,
    )
    async with app.run_test(size=(80, 24)) as pilot:

        async def status_at(t_s: float) -> str:
            return await _shown_at(app, pilot, session, t_s, "#status")

        assert await status_at(7.0) == "00:07  (00:53 left)"
        await pilot.press("p")
        assert await status_at(13.0) == "00:07  (00:53 left)  ·  00:06 paused"
        await pilot.press("p")
        assert await status_at(20.0) == "00:14  (00:46 left)  ·  00:06 paused"
        # The planned minute practised, 66 s in: the session ends, and its clock with it.
        session.t_s = 66.0
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        assert (await status_at(80.0)).startswith("01:00  ·  00:06 paused  ·  session over")
        await pilot.press("q")


@pytest.mark.parametrize("basis", ["breaths", "pace"])
async def test_once_over_the_follow_tile_shows_the_summarys_mean(basis: str) -> None:
    """Found in review: at the end the tile said "Follow  - / 100" (the last breath, in an
    own-rhythm closing step, was not scored) while the printed summary said "follow 70/100".
    Once over, the tile shows the session's mean, the number the summary prints, labelled."""
    from trainer.ui.headless import format_summary

    session = FakeSession()
    summary: SessionSummary = {
        "breaths": 9,
        "duration_s": 60.0,
        "mean_follow_score": 70.4,
        "follow_basis": basis,
    }

    async def run() -> SessionResult:
        await session.finished.wait()
        return SessionResult(None, summary)

    app = BreathwiseApp(session, run, title="t", duration_s=60.0, hold_at_end=True)
    async with app.run_test(size=(80, 24)) as pilot:
        session.t_s = 59.0
        app.refresh_view()
        await pilot.pause()
        assert "Follow         -  / 100" in str(app.query_one("#metrics", Static).render())
        session.t_s = 60.0
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        tile = str(app.query_one("#metrics", Static).render())
        pace_only = basis == "pace"
        assert ("Mean follow    70 / 100" + ("  (pace only)" if pace_only else "")) in tile
        printed = "follow 70/100" + (" (pace only)" if pace_only else "") + ","
        assert printed in format_summary(summary)
        await pilot.press("q")


def test_once_over_the_rate_and_ratio_tiles_show_the_session_not_its_last_breaths() -> None:
    """Found in review: at the end the rate and exhale:inhale tiles showed the last few breaths
    beside a summary of the session's median rate and mean exhale:inhale."""
    from trainer.ui.headless import format_summary

    state = SessionState()
    state.recent_rates_bpm.append(7.9)  # the last breaths: a sigh at the end
    state.recent_ratios.append(1.31)
    summary: SessionSummary = {
        "median_rate_bpm": 6.02,
        "mean_ratio": 1.95,
        "breath_source": "belt",
        "mean_follow_score": 88.0,
        "follow_basis": "breaths",
    }
    running = str(render_metrics(state, None, None))
    assert "Breath rate   7.9 /min" in running and "Exhale:inhale 1.31" in running
    over = str(render_metrics(state, None, None, summary))
    assert "Median rate   6.0 /min" in over and "from       breathing belt" in over
    assert "Exhale:inhale 1.95 mean" in over
    printed = format_summary(summary)
    assert "median rate 6.0/min (from belt)" in printed and "mean exhale:inhale 1.95" in printed
    # A session without breaths says so rather than showing the last estimate.
    assert "Median rate    -  /min" in str(render_metrics(state, None, None, {"breaths": 0}))


def test_once_over_the_ratio_target_is_that_of_the_session_s_mean_ratio() -> None:
    """Found in review: at the end of a body scan the mean exhale:inhale of its paced breaths (asked
    1.50) stood beside its closing own-rhythm step's target, 1.30."""
    summary: SessionSummary = {"mean_ratio": 1.37, "target_ratio": 1.5}
    over = str(render_metrics(SessionState(), None, 1.3, summary))
    assert "Exhale:inhale 1.37 mean (target 1.50)" in over
    # While it runs, the step's own target.
    assert "(target 1.30)" in str(render_metrics(SessionState(), None, 1.3))


def test_while_paced_the_ratio_target_is_the_coachs_with_a_hold_at_the_top() -> None:
    """Found in review: a 4-7-8 pattern (in 4 s, hold 7 s, out 8 s) showed "target 2.00", the
    pattern's exhale / inhale, while the coach judged every breath against 8 / (4 + 7) = 0.73:
    a detector sees the hold at the top as inhale."""
    from trainer.coaching.coach import target_ratio

    pattern = BreathPattern(inhale_s=4.0, exhale_s=8.0, hold_in_s=7.0)
    shown = str(render_metrics(SessionState(), Pacer(pattern, start_s=0.0).state(1.0), None))
    assert f"(target {target_ratio(pattern):.2f})" in shown and "(target 0.73)" in shown
    assert "/min  (pacer 3.2)" in shown  # 60 / 19 s: the holds are part of the breath
    # A hold at the bottom is a pause outside both: the pattern's own ratio.
    rest = BreathPattern(inhale_s=4.0, exhale_s=6.0, hold_out_s=2.0)
    assert "(target 1.50)" in str(render_metrics(SessionState(), Pacer(rest).state(1.0), None))


async def test_once_over_the_rate_target_is_that_of_the_session_s_median_rate() -> None:
    """Found in review: the end screen put the median rate beside the last pacer's rate, a
    resonance assessment's last step (4.5/min) for breaths paced 6.5 to 4.5. It shows the
    summary's target of those very breaths, as the ratio line does."""
    session = FakeSession()
    session.pacer = Pacer(BreathPattern.from_rate(4.5, 1.5), start_s=0.0)
    summary: SessionSummary = {
        "breaths": 60,
        "duration_s": 600.0,
        "median_rate_bpm": 5.46,
        "target_rate_bpm": 5.5,
        "mean_ratio": 1.41,
        "target_ratio": 1.5,
    }

    async def run() -> SessionResult:
        await session.finished.wait()
        return SessionResult(None, summary)

    app = BreathwiseApp(session, run, title="t", duration_s=600.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        running = await _shown_at(app, pilot, session, 599.0, "#metrics")
        assert "(pacer 4.5)" in running
        session.t_s = 600.0
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        over = str(app.query_one("#metrics", Static).render())
        assert "Median rate   5.5 /min  (pacer 5.5)" in over, over
        assert "(target 1.50)" in over
        await pilot.press("q")
    # A summary with no rate target (own rhythm throughout) names none.
    own = str(render_metrics(SessionState(), session.pacer.state(1.0), None, {"breaths": 3}))
    assert "pacer" not in own


class OwnRhythmSession(FakeSession):
    """A program in its own-rhythm steps: no pacer, the target in the ``own`` pacer changes."""

    def pacer_state(self, t_s: float) -> PacerState | None:
        return None

    def own(self, t_s: float, target: float | None) -> None:
        change = PacerChange(int(t_s * NS_PER_S), 0, "own", target_ratio=target)
        self.state.apply([PacerEvent(t_s, change)])


async def test_in_own_rhythm_the_screen_shows_the_step_s_own_target() -> None:
    """Found in review: in a program's own-rhythm steps the screen showed the session's default
    1.5 (a body scan's steps ask 1.3, which the coach coached) and a target in a "breathe
    naturally" step that asks none. It shows what the latest own-rhythm change asks."""
    session = OwnRhythmSession()
    app = BreathwiseApp(session, session.run, title="t", duration_s=120.0)
    async with app.run_test(size=(100, 32)) as pilot:
        session.own(0.0, 1.3)
        pacer = await _shown_at(app, pilot, session, 5.0, "#pacer")
        assert "out-breath about 1.3x the in-breath" in pacer
        assert "(target 1.30)" in str(app.query_one("#metrics", Static).render())
        session.own(60.0, None)  # "breathe naturally": nothing asked
        pacer = await _shown_at(app, pilot, session, 65.0, "#pacer")
        assert "Breathe in your own rhythm" in pacer and "x the in-breath" not in pacer
        assert "target" not in str(app.query_one("#metrics", Static).render())
        await pilot.press("q")


async def test_a_long_notice_wraps_in_an_80_column_terminal() -> None:
    from textual.widgets import Footer

    from trainer.ui.sound import NOTHING_INSTALLED

    session = FakeSession()
    app = BreathwiseApp(session, session.run, title="t", duration_s=60.0)
    async with app.run_test(size=(80, 24)) as pilot:
        session.t_s = 23.0
        app.set_note(f"sound is off: {NOTHING_INSTALLED}")
        app.refresh_view()
        await pilot.pause()
        await pilot.pause()
        status = app.query_one("#status", Static)
        text = str(status.render())
        assert text.endswith("(or --no-sound) silences it")
        # The line is longer than the terminal is wide: it grows to more rows instead of
        # cutting the notice off, and stays above the key bar.
        assert len(text) > 80
        assert status.region.height >= 2 and status.region.width <= 80
        assert status.region.bottom <= app.query_one(Footer).region.y
        # Without a program's card everything fits uncompacted, header and all.
        assert not app.screen.has_class("-short")
        session.finished.set()
        await pilot.pause()


@pytest.mark.parametrize(("columns", "rows"), [(60, 20), (100, 18), (80, 16), (44, 30)])
async def test_a_long_notice_is_shown_whole_above_the_key_bar(columns: int, rows: int) -> None:
    """The status line's rows were capped at three and the panels kept their heights: at 60x20
    the sound notice (five rows there) lost its advice, at 100x18 the status line went under
    the key bar. The numbers' panel yields rows to it, keeping its frame and a line."""
    from textual.widgets import Footer

    from trainer.ui.screen import _wrapped_rows
    from trainer.ui.sound import NOTHING_INSTALLED

    session = FakeSession()
    session.state.status = "Polar H10 [C0:FF]: connected"
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=600.0, source_mark="SIMULATED SENSOR"
    )
    async with app.run_test(size=(columns, rows)) as pilot:
        app.set_note(f"sound is off: {NOTHING_INSTALLED}")
        shown = await _shown_at(app, pilot, session, 3.0, "#status")
        await pilot.pause()
        assert shown.endswith("(or --no-sound) silences it")
        status = app.query_one("#status", Static)
        assert status.region.height == _wrapped_rows(shown, columns - 2) >= 3
        assert status.region.bottom <= app.query_one(Footer).region.y
        assert app.query_one("#middle").region.height >= 3
        session.finished.set()
        await pilot.pause()


async def test_without_a_waveform_the_breathing_trace_says_what_there_is() -> None:
    import numpy as np
    from textual.widgets import Sparkline

    from trainer.session.events import BeltEvent, BreathRateEvent

    session = FakeSession()
    app = BreathwiseApp(session, session.run, title="t", duration_s=60.0)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 5.0
        app.refresh_view()
        await pilot.pause()
        label = str(app.query_one("#breath_label", Static).render())
        assert "no belt or chest signal" in label
        assert not app.query_one("#breath_trace", Sparkline).display
        # A strap alone: the rate comes from the heart rhythm, and the label says so.
        session.state.apply([BreathRateEvent(5.0, 6.0, 0.4, "rr", 5.0)])
        app.refresh_view()
        await pilot.pause()
        assert "heart rhythm" in str(app.query_one("#breath_label", Static).render())
        # A belt: the trace is drawn under its usual label.
        session.state.apply([BeltEvent(3.0, 10.0, np.linspace(1.0, 2.0, 20))])
        app.refresh_view()
        await pilot.pause()
        assert app.query_one("#breath_trace", Sparkline).display
        # Only 2 s of it so far: the trace spans those, and the label says so, not 60 s.
        assert str(app.query_one("#breath_label", Static).render()) == "Breathing (last 2 s)"
        session.t_s = 80.0
        session.state.apply([BeltEvent(5.0, 10.0, np.linspace(1.0, 2.0, 750))])
        app.refresh_view()
        await pilot.pause()
        assert str(app.query_one("#breath_label", Static).render()) == "Breathing (last 60 s)"
        session.finished.set()
        await pilot.press("q")


async def test_the_key_bar_offers_only_what_the_session_can_do() -> None:
    """Live: pause, mark, quit (saves). A replay (no such callbacks): quit alone, which ends
    the view at once."""

    def keys(app: BreathwiseApp) -> dict[str, str]:
        return {
            b.key: b.description
            for _, b, enabled, _ in app.active_bindings.values()
            if enabled and b.show
        }

    live = FakeSession()
    app = BreathwiseApp(
        live,
        live.run,
        title="t",
        duration_s=60.0,
        on_pause=lambda: None,
        on_mark=lambda: None,
        on_quit=live.finished.set,
        hold_at_end=True,
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert keys(app) == {"p": "Pause/resume", "m": "Mark moment", "q": "Quit (saves)"}
        await pilot.press("q")
        await pilot.pause()
        await pilot.pause()
        # Over, with the summary up: closing it is all that is left.
        assert keys(app) == {"q": "Quit"}
        await pilot.press("q")
        await pilot.pause()

    replay = FakeSession()
    app = BreathwiseApp(replay, replay.run, title="t", duration_s=60.0)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert keys(app) == {"q": "Quit"}
        await pilot.press("q")
        await pilot.pause()
    # Quit before the replay ended: it stops, and the screen closes with what it has.
    assert replay.finished.is_set() and app.return_value == SessionResult(None, {"breaths": 0})


async def test_a_replay_quit_early_ends_with_the_summary_of_what_was_replayed() -> None:
    from pathlib import Path

    from trainer.session.live_replay import ReplaySession
    from trainer.storage.recording import read_recording

    path = Path(__file__).parent.parent / "recordings" / "sample-neurokit2-resting.bwr"
    recording = read_recording(path)
    # Ten times as fast: a few seconds in, q stops the replay where it has got to.
    replay = ReplaySession(recording, speed=10.0)
    app = BreathwiseApp(replay, replay.run, title="t", duration_s=None)
    async with app.run_test(size=(100, 32)) as pilot:
        await asyncio.sleep(1.0)
        await pilot.press("q")
        for _ in range(20):
            await pilot.pause(0.05)
    result = app.return_value
    assert result is not None
    assert result.summary["ended"] == "replay stopped"
    assert 5.0 < result.summary["duration_s"] < recording.duration_s / 2


@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q"])
async def test_ctrl_c_and_ctrl_q_end_a_live_session_as_q_does(key: str) -> None:
    """Ctrl+C is how people stop a terminal program: it must save the session like q. (Textual
    only hinted "press ctrl+q", and ctrl+q closed the screen without the session's result.)"""
    session = FakeSession()

    def quit_session() -> None:
        session.actions.append("quit")
        session.finished.set()

    app = BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=60.0,
        on_pause=lambda: None,
        on_mark=lambda: None,
        on_quit=quit_session,
        hold_at_end=True,
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        await pilot.pause()
        assert session.actions == ["quit"]
        assert app.result is not None  # the session's result, held on the closing screen
        await pilot.press(key)  # and again: closes the summary
        await pilot.pause()
    assert app.return_value is app.result


def test_a_replayed_pause_does_not_offer_a_key_that_does_nothing() -> None:
    pacer = Pacer(BreathPattern.from_rate(6.0, 2.0), start_s=0.0)
    pacer.pause(3.0)
    state = pacer.state(4.0)
    assert render_pacer(state, 40).plain == "Paused — press p to continue"
    assert render_pacer(state, 40, can_pause=False).plain == "Paused (in the recording)"


async def test_once_over_the_clock_stops_and_the_pacer_says_so() -> None:
    """Found in use: the closing screen's clock ran on (an 18 s session showed 00:31) and the
    pacer bar froze mid-phase as if it still ran."""
    session = FakeSession()

    async def run() -> SessionResult:
        await session.finished.wait()
        return SessionResult(None, {"breaths": 0, "duration_s": 18.0})

    app = BreathwiseApp(session, run, title="t", duration_s=60.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 18.0
        session.finished.set()
        await pilot.pause()
        session.t_s = 31.0
        app.refresh_view()
        await pilot.pause()
        assert str(app.query_one("#status", Static).render()).startswith("00:18")
        assert _text(app.query_one("#pacer", PacerView)) == "Session over"
        await pilot.press("q")


async def test_a_small_terminal_keeps_the_cue_and_clock_and_drops_the_traces() -> None:
    """Found in use at 60x20: the traces squeezed to 12 columns spilled outside their box,
    and the cue and clock fell off the bottom."""
    from textual.containers import Vertical
    from textual.widgets import Footer

    session = FakeSession()
    session.state.cue = "Nicely in rhythm"
    app = BreathwiseApp(session, session.run, title="t", duration_s=60.0)
    async with app.run_test(size=(60, 20)) as pilot:
        session.t_s = 5.0
        app.refresh_view()
        await pilot.pause()
        await pilot.pause()
        assert not app.query_one("#traces", Vertical).display
        footer_y = app.query_one(Footer).region.y
        for name in ("#cue", "#status"):
            region = app.query_one(name, Static).region
            assert region.height >= 1 and region.bottom <= footer_y, name
        assert "Nicely in rhythm" in str(app.query_one("#cue", Static).render())
        session.finished.set()
        await pilot.pause()


async def test_an_old_cue_gives_way_to_the_default_line() -> None:
    """A cue describes the breathing when it was given: half a minute later (the coach
    silent meanwhile) the default line returns; a lost sensor's cue stays while it is lost."""
    session = FakeSession()
    session.state.cue, session.state.cue_t_s = "Nicely in rhythm", 10.0
    app = BreathwiseApp(session, session.run, title="t", duration_s=120.0)
    async with app.run_test(size=(100, 32)) as pilot:

        async def cue_at(t_s: float) -> str:
            return await _shown_at(app, pilot, session, t_s, "#cue")

        assert await cue_at(39.0) == "Nicely in rhythm"
        assert await cue_at(41.0) == "Follow the bar with your breath"
        lost = StatusEvent(60.0, "link", "AA:01: connection lost, reconnecting", "AA:01")
        session.state.apply([lost])
        assert await cue_at(100.0) == CUE_SENSOR_LOST
        session.finished.set()
        await pilot.pause()


def test_the_card_counts_down_to_the_session_end_when_that_comes_first() -> None:
    from trainer.programs import load_catalog
    from trainer.programs.runner import ProgramTimeline
    from trainer.ui.screen import render_program

    timeline = ProgramTimeline(load_catalog().get("deep-breathing-4-8"))
    state = timeline.at(10.0)
    whole = render_program(state, 100).plain
    assert whole.rstrip().endswith("left in program")
    cut = render_program(state, 100, session_left_s=50.0).plain
    assert "00:50 left (the session ends before the program)" in cut


async def test_a_programs_tips_take_turns_in_the_cue_panel_until_the_first_cue() -> None:
    """They were printed before the screen opened, and the screen covered them at once
    (found in use); one of them is back-release's "a stretch should never hurt"."""
    session = FakeSession()
    tips = ("Move slowly: a stretch should never hurt.", "A mat is all you need.")
    app = BreathwiseApp(session, session.run, title="t", duration_s=60.0, tips=tips)
    async with app.run_test(size=(80, 24)) as pilot:

        async def cue_at(t_s: float) -> str:
            return await _shown_at(app, pilot, session, t_s, "#cue")

        assert await cue_at(1.0) == f"Tip: {tips[0]}"
        assert await cue_at(11.0) == f"Tip: {tips[1]}"
        session.state.cue, session.state.cue_t_s = "Nicely in rhythm", 15.0
        assert await cue_at(16.0) == "Nicely in rhythm"
        assert await cue_at(60.0) == "Follow the bar with your breath"
        session.finished.set()
        await pilot.pause()


async def test_marked_fades_from_the_status_line_like_a_cue() -> None:
    """Found in review: after one ``m`` the status line said "· marked" for the rest of the
    session."""
    session = FakeSession()
    mark = partial(session.actions.append, "mark")
    app = BreathwiseApp(session, session.run, title="t", duration_s=600.0, on_mark=mark)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 10.0
        await pilot.press("m")
        assert "marked" in await _shown_at(
            app, pilot, session, 10.0 + MARK_SHOWN_S - 0.5, "#status"
        )
        later = await _shown_at(app, pilot, session, 10.0 + MARK_SHOWN_S + 0.5, "#status")
        assert "marked" not in later and later.startswith("00:14")
        # A sound notice is not a cue: it stays.
        app.set_note("sound is off: x")
        assert "sound is off" in await _shown_at(app, pilot, session, 300.0, "#status")
        session.finished.set()
    assert session.actions == ["mark"]


async def test_a_notice_covered_by_marked_comes_back_and_counts_as_shown_once_drawn() -> None:
    """Found in review: ``m`` replaced the one-time "nothing can play sound" notice with
    "marked", which then faded to nothing: the notice's only showing was lost, and it was
    recorded as said all the same."""
    session = FakeSession()
    mark = partial(session.actions.append, "mark")
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=600.0, on_mark=mark, hold_at_end=True
    )
    drawn: list[str] = []
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 10.0
        app.set_note("sound is off: x", on_shown=partial(drawn.append, "x"))
        app.action_mark()  # as ``m`` does, before any redraw drew the notice
        status = await _shown_at(app, pilot, session, 11.0, "#status")
        assert "marked" in status and "sound is off" not in status
        assert drawn == []
        await pilot.press("m")  # a second mark covers the same notice, not "marked"
        status = await _shown_at(app, pilot, session, 11.0 + MARK_SHOWN_S + 0.5, "#status")
        assert "marked" not in status and status.endswith("sound is off: x")
        assert drawn == ["x"]
        assert "sound is off: x" in await _shown_at(app, pilot, session, 300.0, "#status")
        assert drawn == ["x"]  # once
        # A mark in the last seconds does not wipe "session over" when it fades.
        await pilot.press("m")
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        over = await _shown_at(app, pilot, session, 300.0 + MARK_SHOWN_S + 1.0, "#status")
        assert "session over" in over and "sound is off" not in over
        await pilot.press("q")
    assert session.actions == ["mark"] * 3


def test_the_heart_rate_tile_at_the_end_is_the_summarys() -> None:
    """Found in review: over, the tile said 67 bpm (the last beat) beside a printed summary of
    "HR 65 -> 65"."""
    state = SessionState()
    state.hr_bpm = 67.0
    live = str(render_metrics(state, None, None))
    assert "Heart rate     67 bpm" in live
    over = str(render_metrics(state, None, None, {"hr_start_bpm": 64.6, "hr_end_bpm": 65.2}))
    assert "Heart rate     65 -> 65 bpm (start, end)" in over and "67" not in over


async def test_a_40_by_12_terminal_keeps_the_clock_and_the_simulated_mark() -> None:
    """Found in review: in a 40x12 terminal the title, the SIMULATED SENSOR label, the clock
    and the numbers were cut off (the small layout is for 80x24 and a little less)."""
    from textual.widgets import Footer

    session = FakeSession()
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=600.0, source_mark="SIMULATED SENSOR"
    )
    async with app.run_test(size=(40, 12)) as pilot:
        status = await _shown_at(app, pilot, session, 23.0, "#status")
        await pilot.pause()
        assert status.startswith("SIMULATED SENSOR  ·  00:23")
        box = app.query_one("#status", Static).region
        footer = app.query_one(Footer).region
        assert box.height >= 1 and box.bottom <= footer.y <= 11
        assert box.right <= 40
        # The pacer and the first numbers are on screen too.
        assert app.query_one("#pacer", PacerView).region.y == 0
        metrics = app.query_one("#metrics", Static).region
        assert metrics.height >= 3 and metrics.y < box.y
        session.finished.set()
    # An 80x24 terminal keeps the frames, and the mark on the numbers' frame.
    session = FakeSession()
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=600.0, source_mark="SIMULATED SENSOR"
    )
    async with app.run_test(size=(80, 24)) as pilot:
        status = await _shown_at(app, pilot, session, 23.0, "#status")
        assert status.startswith("00:23") and not app.screen.has_class("-tiny")
        session.finished.set()


def test_a_session_ending_inside_a_step_caps_its_timer_and_names_no_next_step() -> None:
    """Found in review (back-release --minutes 2): "Lying twist ... 02:35 left in step" above
    "Next: Get into position · 01:55 left in session"."""
    from trainer.programs import load_catalog
    from trainer.programs.runner import ProgramTimeline
    from trainer.ui.screen import render_program

    timeline = ProgramTimeline(load_catalog().get("back-release"))
    t_s = 0.0
    while timeline.at(t_s).step_left_s < 60.0 or not timeline.at(t_s).next_title:
        t_s += 5.0
    state = timeline.at(t_s)
    session_left_s = state.step_left_s - 40.0
    card = render_program(state, 100, session_left_s=session_left_s).plain
    left = f"{int(session_left_s // 60):02d}:{math.ceil(session_left_s) % 60:02d}"
    assert f"{left} left in session" in card.splitlines()[0]
    assert "left in step" not in card and "Next:" not in card
    # Ending in a later step: the step's own timer and the next step as before.
    later = render_program(state, 100, session_left_s=state.step_left_s + 30.0).plain
    assert "left in step" in later and "Next:" in later


async def test_a_sensor_that_cannot_connect_says_why_on_the_screen_and_draws_no_chart() -> None:
    """Found in review: "Session over", 00:00, full-height heart-rate bars with no data, and
    the reason only after q."""
    from textual.widgets import Sparkline

    session = FakeSession()
    error = "could not connect to HRM-Pro after 4 attempts — move closer and try again"

    async def run() -> SessionResult:
        await session.finished.wait()
        return SessionResult(None, {"breaths": 0, "duration_s": 0.0}, error)

    app = BreathwiseApp(session, run, title="t", duration_s=60.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        cue = str(app.query_one("#cue", Static).render())
        assert cue.startswith(f"Session failed: {error}")
        # Nothing recorded: no summary of a session that never began ("summary: 0 s ...").
        assert "summary:" not in cue and "practice:" not in cue, cue
        assert not app.query_one("#hr_trace", Sparkline).display
        label = str(app.query_one("#hr_label", Static).render())
        assert label == "Heart rate: no beats in the last 60 s"
        await pilot.press("q")


@pytest.mark.parametrize("status", ["Polar H10 [C0:FF]: connected", "link [/b] dropped [x"])
async def test_text_from_elsewhere_is_shown_as_it_is_never_read_as_markup(status: str) -> None:
    """Found in review: the sound notice said "pip install 'breathwise'", its "[sound]" taken
    for a markup tag; a sensor's name or a note with "[/...]" in it would raise mid-session.
    The status line, its notes and the title (with a file's name) are shown as plain text."""
    from trainer.ui.sound import NOTHING_INSTALLED

    session = FakeSession()
    session.state.status = status
    title = "Breathwise replay — [bold]morning[/bold] [1].bwr"
    app = BreathwiseApp(session, session.run, title=title, duration_s=60.0)
    # 20 rows: the short layout, which puts the title on the pacer's border.
    async with app.run_test(size=(120, 20)) as pilot:
        app.set_note(f"sound is off: {NOTHING_INSTALLED}")
        shown = await _shown_at(app, pilot, session, 3.0, "#status")
        assert "pip install 'breathwise[sound]'" in NOTHING_INSTALLED
        assert f"00:03  (00:57 left)  ·  {status}  ·  sound is off: {NOTHING_INSTALLED}" == shown
        assert app.screen.has_class("-short")
        border = app.query_one("#pacer", PacerView).border_title
        assert border is not None and Text.from_markup(border).plain == title
        session.finished.set()


class ProgramSession(FakeSession):
    """A program session on the hand-moved clock, with no pacer (an own-rhythm view)."""

    def __init__(self, name: str) -> None:
        from trainer.programs import load_catalog
        from trainer.programs.runner import ProgramTimeline

        super().__init__()
        self.program = load_catalog().get(name)
        self.timeline = ProgramTimeline(self.program)

    def pacer_state(self, t_s: float) -> PacerState | None:
        return None

    def program_state(self, t_s: float) -> TimelineState:
        return self.timeline.at(t_s)

    def program_time_s(self, t_s: float) -> float:
        return t_s


def _screen_text(app: BreathwiseApp) -> list[str]:
    """The terminal's rows as the person sees them, frames and all."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _words(rows: list[str]) -> str:
    """The screen's words in reading order, frames dropped: a wrapped line reads whole."""
    return " ".join(" ".join(row.strip(" │╭╮╰╯─").split()) for row in rows)


TWIST = 1
"""The back routine's lying twist, after its first "Get into position" (review 31 F7)."""
TWIST_AT_S = 25.0
"""5 s into the twist: left side, first of 8."""


@pytest.mark.parametrize("mark", ["NO SENSOR", "SIMULATED SENSOR"])
@pytest.mark.parametrize(
    "size", [(80, 24), (80, 15), (79, 16), (70, 14), (60, 12), (40, 10), (40, 30)]
)
async def test_a_small_window_keeps_the_cards_caution_and_side_and_cuts_its_instruction(
    size: tuple[int, int], mark: str
) -> None:
    """Found in review: under 16 rows the card was clipped from the bottom. At 70x14 a
    back-release card lost its caution ("stop if it hurts, or if pain spreads into a leg")
    and "Side: left · Repetition 1/8", its instruction cut mid-sentence, while the static
    NO SENSOR text and a tip kept their rows; at 79x16 the card pushed the clock off. Now
    the caution and side/repetition stay, the instruction is what gets cut (with "…"), and
    the clock with the sensor's mark stays above the key bar, with a sensor or without."""
    from textual.widgets import Footer

    session = ProgramSession("back-release")
    caution = session.program.steps[TWIST].caution
    app = BreathwiseApp(
        session,
        session.run,
        title="Breathwise — back-release",
        duration_s=session.timeline.at(0.0).left_s,
        tips=session.program.tips,
        source_mark=mark,
    )
    async with app.run_test(size=size) as pilot:
        session.t_s = TWIST_AT_S  # the lying twist, left side, first of 8
        app.refresh_view()
        await pilot.pause()
        rows = _screen_text(app)
        card = str(app.query_one("#program", Static).render())
        status = app.query_one("#status", Static).region
        key_bar = app.query_one(Footer).region
        session.finished.set()
        await pilot.pause()
    shown = _words(rows)
    where = f"{size} {mark}:\n" + "\n".join(rows)
    assert caution in shown, where
    assert "Side: left" in shown and "Repetition 1/8" in shown, where
    assert "Step 2/30 Lying twist" in shown and "On your back, knees bent" in shown, where
    if " ".join(session.program.steps[TWIST].text.split()) not in shown:
        assert "…" in card, where
    assert status.height >= 1 and status.bottom <= key_bar.y == size[1] - 1, where
    assert "00:25" in shown and mark in shown, where


@pytest.mark.parametrize("size", [(40, 10), (40, 30), (60, 12)])
async def test_a_paused_card_keeps_its_head_on_one_row(size: tuple[int, int]) -> None:
    """At 40x10 a paused card's head ("Step 1/28  Lying twist  00:25 left  paused") wrapped
    onto a second row; the title is now cut instead, and the caution and side still show."""
    session = ProgramSession("back-release")
    session.state.paused = True
    caution = session.program.steps[TWIST].caution
    app = BreathwiseApp(
        session,
        session.run,
        title="Breathwise — back-release",
        duration_s=session.timeline.at(0.0).left_s,
        source_mark="NO SENSOR",
        on_pause=lambda: None,
    )
    async with app.run_test(size=size) as pilot:
        session.t_s = TWIST_AT_S
        app.refresh_view()
        await pilot.pause()
        rows = _screen_text(app)
        card = app.query_one("#program", Static)
        head = str(card.render()).splitlines()[0]
        inner_width = card.content_region.width
        session.finished.set()
        await pilot.pause()
    where = f"{size}:\n" + "\n".join(rows)
    assert len(head) <= inner_width and head.startswith("Step 2/30"), where
    assert "paused" in head and "left" in head, where
    shown = _words(rows)
    assert caution in shown and "Side: left" in shown, where


@pytest.mark.parametrize(
    ("size", "layout"), [((100, 40), "full"), ((80, 24), "short"), ((70, 14), "tiny")]
)
async def test_the_rows_the_screen_counts_on_are_those_its_css_gives(
    size: tuple[int, int], layout: str
) -> None:
    """The card's share of the rows is counted from the panels' heights in each layout
    (PACER_ROWS ...): they must be what the CSS lays out, or the count misses rows."""
    from textual.widgets import Footer, Header

    from trainer.ui.screen import FOOTER_ROWS, HEADER_ROWS, MIDDLE_ROWS, PACER_ROWS

    session = ProgramSession("deep-breathing-4-8")
    app = BreathwiseApp(session, session.run, title="t", duration_s=600.0)
    async with app.run_test(size=size) as pilot:
        await _shown_at(app, pilot, session, 5.0, "#status")
        pacer = app.query_one("#pacer", PacerView).region.height
        middle = app.query_one("#middle").region.height
        header = app.query_one(Header).region.height if layout == "full" else HEADER_ROWS
        footer = app.query_one(Footer).region.height
        session.finished.set()
        await pilot.pause()
    assert (pacer, header, footer) == (PACER_ROWS[layout], HEADER_ROWS, FOOTER_ROWS)
    if layout == "full":
        assert middle == MIDDLE_ROWS


def test_the_row_share_gives_up_static_text_first_and_never_the_cards_own_rows() -> None:
    """The order in which a window too small for everything gives rows up."""
    from trainer.ui.screen import RowShare, share_rows

    def share(rows: int, numbers: int = 0) -> RowShare:
        # A card of 4 rows always shown and 5 of instruction, a 2-row tip, a 10-row panel.
        return share_rows(
            rows, card=4, instruction=5, cue=(1, 2), middle=(numbers, 10), middle_frame=2
        )

    assert share(21) == RowShare(5, 2, 10)  # room for all
    assert share(14) == RowShare(5, 2, 3)  # the panel shrinks first
    assert share(12) == RowShare(5, 2, 0)  # to nothing: a frame with one line is dropped
    assert share(10) == RowShare(5, 1, 0)  # then the tip's second line
    assert share(7) == RowShare(2, 1, 0)  # then the instruction
    assert share(5) == RowShare(0, 1, 0)
    assert share(4) == RowShare(0, 0, 0)  # the card's own rows stay, whatever is left
    assert share(1) == RowShare(0, 0, 0)
    # Live numbers keep a line (in their frame) until the instruction is down to one.
    assert share(13, numbers=3) == RowShare(5, 1, 3)
    assert share(9, numbers=3) == RowShare(1, 1, 3)
    assert share(7, numbers=3) == RowShare(2, 1, 0)


def test_a_cut_instruction_ends_in_an_ellipsis_and_keeps_the_lines_below_it() -> None:
    from trainer.programs import load_catalog
    from trainer.programs.runner import ProgramTimeline
    from trainer.ui.screen import card_rows, render_program

    state = ProgramTimeline(load_catalog().get("back-release")).at(TWIST_AT_S)
    caution = state.step.caution
    # 40 columns: the first line, the caution in two, side and repetition; 6 of instruction.
    assert card_rows(state, 40, cautions=[caution]) == (4, 6)
    cut = render_program(state, 40, cautions=[caution], instruction_rows=1).plain.splitlines()
    assert cut == [
        "Step 2/30  Lying twist  02:35 left",
        "On your back, knees bent and feet…",
        caution,  # wrapped by the panel, whole
        "Side: left  ·  Repetition 1/8 ( 5.0 s)",
    ]
    none = render_program(state, 40, cautions=[caution], instruction_rows=0).plain
    assert "On your back" not in none and caution in " ".join(none.split())


def test_a_programs_tip_keeps_the_cue_line_against_the_coach_for_a_while() -> None:
    """Found in review: in an eyes-closed program a tip chimes, but a correction a breath
    later replaced it, so the person who opened their eyes read the coach, not the tip. The
    tip holds the line for PROGRAM_CUE_HOLD_S against the coach; a sign of strain or a lost
    sensor takes it at once."""
    from trainer.coaching.coach import Feedback
    from trainer.coaching.strain import CUES, StrainKind
    from trainer.programs.runner import EventKind
    from trainer.session.events import PaceEvent, ProgramEvent, StrainEvent
    from trainer.ui.state import PROGRAM_CUE_HOLD_S

    def coach(t_s: float) -> PaceEvent:
        feedback = Feedback(1.0, math.nan, math.nan, 60, "Slow down a little — follow the pacer")
        return PaceEvent(t_s, 7.0, 6.0, 0.8, 60.0, feedback)

    tip = ProgramEvent(40.0, EventKind.CUE, 1, 3, "Longer out-breath", "Let the belly soften")
    state = SessionState()
    state.apply([tip, coach(45.0)])
    assert (state.cue, state.cue_t_s) == ("Let the belly soften", 40.0)
    state.apply([coach(40.0 + PROGRAM_CUE_HOLD_S)])
    assert state.cue == "Slow down a little — follow the pacer"
    later_tip = ProgramEvent(60.0, EventKind.CUE, 1, 3, "Longer out-breath", "Rest")
    strain = StrainEvent(62.0, StrainKind.GASPING, CUES[StrainKind.GASPING], "")
    state.apply([later_tip, strain])
    assert state.cue == CUES[StrainKind.GASPING]


def _contrast(style: Style) -> float:
    """WCAG 2.1 contrast ratio of a drawn segment's text against its background (1 to 21),
    reverse applied; relative luminance as WCAG 2.1 defines it (sRGB, linearised)."""
    assert style.color is not None and style.bgcolor is not None, style
    fore, back = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    if style.reverse:
        fore, back = back, fore

    def luminance(rgb: Sequence[int]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(fore), luminance(back)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _drawn(app: BreathwiseApp, text: str, *, whole: bool = False) -> Style:
    """The style of the first drawn segment that holds ``text`` (``whole``: that is ``text``),
    as the terminal gets it (Textual's NO_COLOR filter applied)."""
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            found = segment.text == text if whole else text in segment.text
            if found and segment.style is not None:
                return segment.style
    raise AssertionError(f"{text!r} is not on screen")


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
@pytest.mark.parametrize("mark", ["SIMULATED SENSOR", "NO SENSOR"])
async def test_the_heart_rate_the_step_title_and_the_sensor_mark_stay_readable(
    mark: str, no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 29 F1: under NO_COLOR Textual turns each colour into its grey, and the red of the
    heart rate and of the reversed sensor mark (and the magenta of a step's title) became
    dark greys on the dark panel: 1.7:1 and 1.6:1, where WCAG asks 4.5:1 of text and the
    labels beside them have 6.6:1. Each now keeps at least that of the labels. In colour,
    Textual drew the ANSI red and magenta as #f4005f, 4.47:1; now 6.8:1 and 7.0:1."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    session = ProgramSession("deep-breathing-4-8")
    session.state.hr_bpm = 63.0
    app = BreathwiseApp(session, session.run, title="t", duration_s=600.0, source_mark=mark)
    assert app.no_color == no_color
    async with app.run_test(size=(100, 40)) as pilot:
        await _shown_at(app, pilot, session, 5.0, "#status")
        # The mark on the numbers' frame, a segment of its own (the header's title ends in it).
        shown = {mark: _contrast(_drawn(app, mark, whole=True))}
        shown["Step 1/"] = _contrast(_drawn(app, "Step 1/"))
        # The numbers' labels (dim); without a sensor there are none, only text.
        label = 4.5
        if mark != "NO SENSOR":
            label = _contrast(_drawn(app, "Heart rate   "))
            shown["  63"] = _contrast(_drawn(app, "  63"))
        session.finished.set()
        await pilot.pause()
    assert label >= 4.5
    assert all(contrast >= max(4.5, label) for contrast in shown.values()), (shown, label)


@pytest.mark.parametrize(("columns", "rows"), [(40, 12), (52, 16)])
async def test_a_narrow_key_bar_keeps_the_quit_key(columns: int, rows: int) -> None:
    """Review 29 F5: Textual's key bar needs 59 columns for its labels and "^p palette": at 52
    it read "q Quit (▏^p palette", at 40 "m Mark mome▏^p palette", with no q at all. Narrow,
    the labels are short and the palette's entry goes (Ctrl+P still opens it); widened, the
    bar is whole again."""
    session = FakeSession()
    app = BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=600.0,
        on_pause=lambda: None,
        on_mark=lambda: None,
        on_quit=session.stop,
        source_mark="SIMULATED SENSOR",
    )
    async with app.run_test(size=(columns, rows)) as pilot:
        await _shown_at(app, pilot, session, 3.0, "#status")
        await pilot.pause()
        narrow = _screen_text(app)[-1]
        await pilot.resize_terminal(80, 24)
        await _shown_at(app, pilot, session, 4.0, "#status")
        await pilot.pause()
        wide = _screen_text(app)[-1]
        session.finished.set()
        await pilot.pause()
    assert narrow.split() == ["p", "Pause", "m", "Mark", "q", "Quit", "(saves)"], narrow
    assert "p Pause/resume  m Mark moment  q Quit (saves)" in wide and "palette" in wide, wide


END_SUMMARY: SessionSummary = {
    "source_kind": "sim",
    "minutes_practised": 0.4,
    "mean_follow_score": 71.0,
    "mean_ratio": 1.8,
    "hr_start_bpm": 64.0,
    "hr_end_bpm": 65.0,
    "mean_rsa_bpm": 7.9,
    "coherence_score": 5.1,
    "duration_s": 24.0,
    "breaths": 3,
    "median_rate_bpm": 6.1,
    "breath_source": "belt",
    "rate_basis": "paced",
    "gaps": 0,
    "marks": 0,
}
"""A short session on the simulated sensor, as `live --device sim --minutes 0.4` ends."""


@pytest.mark.parametrize("size", [(80, 20), (100, 18), (60, 20), (40, 12)])
async def test_the_closing_screen_keeps_its_status_line_and_scrolls_the_summary(
    size: tuple[int, int],
) -> None:
    """Review 29 F4: at 16-21 rows the closing screen put the status line ("00:24 · saved to
    your history · session over — press q to close") below the key bar, at 100x18 the
    summary's last line with it, and at 40x12 the summary was cut after "median" with no key
    to scroll it. The status line now stays whole above the key bar; the summary is shown
    whole, or scrolls with the arrow, Page and Home/End keys."""
    from pathlib import Path

    from textual.widgets import Footer

    from trainer.ui.headless import format_summary

    session = FakeSession()
    result = SessionResult(Path("session.bwr"), END_SUMMARY)

    async def run() -> SessionResult:
        await session.finished.wait()
        app.add_end_note("saved to your history")
        return result

    app = BreathwiseApp(
        session,
        run,
        title="Breathwise — 6.0 breaths/min",
        duration_s=24.0,
        on_pause=lambda: None,
        on_mark=lambda: None,
        on_quit=session.stop,
        source_mark="SIMULATED SENSOR",
        hold_at_end=True,
    )
    summary = format_summary(END_SUMMARY).splitlines()
    async with app.run_test(size=size) as pilot:
        session.t_s = 24.0
        app.refresh_view()
        await pilot.pause()
        session.finished.set()
        for _ in range(4):
            await pilot.pause()
        rows = _screen_text(app)
        status = app.query_one("#status", Static).region
        key_bar = app.query_one(Footer).region
        cut = any(box.max_scroll_y > 0 for box in app.query("#cue_box"))
        await pilot.press("end")
        await pilot.pause()
        # (Without the summary's scrollbar, at the end of its rows.)
        at_end = _words([row.rstrip(" ▁▂▃▄▅▆▇█") for row in _screen_text(app)])
        await pilot.press("pageup", "home")
        await pilot.pause()
        at_start = _words([row.rstrip(" ▁▂▃▄▅▆▇█") for row in _screen_text(app)])
        await pilot.press("q")
        await pilot.pause()
    where = f"{size}:\n" + "\n".join(rows)
    shown = _words(rows)
    assert status.bottom <= key_bar.y == size[1] - 1, where
    assert "00:24 · saved to your history · session over — press q to close" in shown, where
    assert "SIMULATED SENSOR" in shown, where
    if not cut:
        assert all(" ".join(line.split()) in shown for line in summary), where
    else:
        # The first line at the top, the last after End.
        assert " ".join(summary[-1].split()) in at_end, where
        assert " ".join(summary[0].split()) in at_start, where
        assert " ".join(summary[-1].split()) not in at_start, where
    assert app.return_value is result


async def test_a_frame_redraws_the_moving_pacer_and_leaves_unchanged_panels_alone() -> None:
    """Twenty frames a second: the pacer moves in each, so it is redrawn in each; the numbers,
    labels, cue and status line, whose state is the same, are neither redrawn nor laid out. A
    change is drawn, and laid out only where it changes a panel's rows.

    Each frame laid out the whole screen and repainted every panel (``Static.update`` does a
    layout): a quarter of a CPU core for a screen that is up for 20-60 minutes.
    """
    session = FakeSession()
    long_tip = "Let the out-breath be slow and soft, " * 4
    app = BreathwiseApp(
        session, session.run, title="t", duration_s=60.0, tips=("Sit tall.", long_tip)
    )
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 1.0
        app.refresh_view()
        await pilot.pause()
        screen = app.screen
        layouts: list[float] = []
        drawn: dict[str, int] = {}
        real_layout = screen._refresh_layout

        def counted_layout(*args: object, **kwargs: object) -> None:
            layouts.append(session.t_s)
            real_layout(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = counted_layout  # type: ignore[method-assign]
        names = ("pacer", "metrics", "breath_label", "hr_label", "cue", "status")
        for name in names:
            widget = app.query_one(f"#{name}", Static)
            real_render = widget.render

            def counted_render(name: str = name, real: object = real_render) -> object:
                drawn[name] = drawn.get(name, 0) + 1
                return real()  # type: ignore[operator]

            widget.render = counted_render  # type: ignore[method-assign,assignment]

        async def frame(t_s: float) -> None:
            session.t_s = t_s
            app.refresh_view()
            await pilot.pause()

        bars = []
        # Within one second of the clock: the status line's "00:01" stays as it is.
        for n in range(1, 9):
            await frame(1.0 + n / REFRESH_HZ)
            bars.append(_text(app.query_one("#pacer", PacerView)))
        assert len(set(bars)) == len(bars)  # the bar moved in every frame
        assert drawn.get("pacer", 0) >= len(bars)
        assert {name: drawn.get(name, 0) for name in names[1:]} == dict.fromkeys(names[1:], 0)
        assert layouts == []
        # The clock's next second is drawn on the status line, in the rows it had.
        await frame(2.0)
        assert drawn.get("status", 0) >= 1
        assert "00:02" in str(app.query_one("#status", Static).render())
        assert layouts == []
        # A tip of two rows in place of one: laid out, the cue panel grows to show it whole.
        cue_rows = app.query_one("#cue", Static).region.height
        await frame(11.0)
        assert layouts
        assert app.query_one("#cue", Static).region.height == cue_rows + 1
        assert "Tip: Let the out-breath" in str(app.query_one("#cue", Static).render())
        await pilot.press("q")
        await pilot.pause()
