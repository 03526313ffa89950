"""What a person presses while the sensor still connects is kept ("nothing lost").

Before the sensor is connected a live session has no clock, pipeline or recording yet (its
clock starts once the source streams). A mark pressed then is recorded at session time 0 with
its text, and a pause makes the session start paused; quitting then still ends cleanly, with
the marks kept. Found in review: both were silently dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from connect_doubles import NeverConnects, SlowConnect
from program_runs import FakeClock, PausingSource, compressed, replay_lines, run_live
from rich.text import Text

from devices.packets import NS_PER_S
from devices.sim import PersonModel, SimulatedSource
from trainer.coaching.pacer import BreathPattern
from trainer.programs import EventKind, load_catalog
from trainer.programs.model import Program
from trainer.session.events import Event, ProgramEvent
from trainer.session.live_replay import LiveSession, SessionPlan, SessionResult
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import Mark, PacerChange, read_recording
from trainer.ui.screen import CONNECTING_TEXT, START_PAUSED_TEXT, BreathwiseApp, PacerView

START_NS = FakeClock().ns
CONNECT_S = 8.0
"""How long the sensor below takes to be found and connected, s."""
CONNECTED_NS = START_NS + int(CONNECT_S * NS_PER_S)
STREAM_LIMIT_S = 400.0
"""The simulated sensor stops after this many session seconds, longer than any session here."""
BACK = compressed(load_catalog().get("back-release"), 150.0)


class PressedWhileConnecting(PausingSource):
    """The simulated sensor behind a ``CONNECT_S`` connect, during which ``press`` runs (a
    person pressing keys while waiting); once streaming, it toggles the pause at the given
    session seconds."""

    def __init__(
        self,
        inner: SimulatedSource,
        session: LiveSession,
        clock: FakeClock,
        press: Callable[[], None],
        toggles_s: Sequence[float] = (),
    ) -> None:
        super().__init__(
            inner, session, clock, toggles_s, start_ns=CONNECTED_NS, limit_s=STREAM_LIMIT_S
        )
        self._press = press

    async def __aenter__(self) -> PressedWhileConnecting:
        self._clock.ns += int(CONNECT_S * NS_PER_S) // 2
        self._press()
        self._clock.ns = CONNECTED_NS
        await self.inner.__aenter__()
        return self


def _run(
    out_dir: Path,
    press: Callable[[LiveSession], None],
    *,
    program: Program | None = None,
    pattern: BreathPattern | None = BreathPattern.from_rate(6.0, 2.0),  # noqa: B008
    duration_s: float = 60.0,
    toggles_s: Sequence[float] = (),
) -> tuple[SessionResult, list[Event], list[str]]:
    """A session on the simulator whose ``press`` runs mid-connect; its result, events and
    headless lines (summary included)."""
    plan = SessionPlan(
        pattern if program is None else None,
        duration_s=duration_s,
        program=None if program is None else ProgramPlan(program),
    )
    run = run_live(
        out_dir,
        plan,
        person=PersonModel(seed=3),
        wrap=lambda inner, session, clock: PressedWhileConnecting(
            inner, session, clock, lambda: press(session), toggles_s
        ),
    )
    return run.result, run.events, run.lines


def _mark_and_pause(session: LiveSession) -> None:
    assert session.now_s() == 0.0  # still no session clock
    session.mark("dizzy")
    session.toggle_pause()


def test_a_mark_and_a_pause_pressed_while_connecting_take_effect_at_the_start(
    tmp_path: Path,
) -> None:
    """The mark is recorded at session time 0 with its text; the session starts paused and,
    resumed 5 s in, ends 5 s later; the headless lines say both, and the replay too."""
    result, _, lines = _run(tmp_path, _mark_and_pause, toggles_s=(5.0,))
    assert result.path is not None
    recording = read_recording(result.path)
    assert recording.header.start_mono_ns == CONNECTED_NS
    marks = [i for i in recording.items if isinstance(i, Mark)]
    assert [(m.label, m.t_mono_ns) for m in marks] == [("dizzy", CONNECTED_NS)]
    changes = [(c.action, c.t_mono_ns) for c in recording.items if isinstance(c, PacerChange)]
    assert changes == [
        ("set", CONNECTED_NS),
        ("pause", CONNECTED_NS),
        ("resume", CONNECTED_NS + 5 * NS_PER_S),
    ]
    assert result.summary["marks"] == 1
    assert result.summary["duration_s"] == 65.0
    assert result.summary["minutes_practised"] == pytest.approx(1.0)
    assert "mark at     0.0 s  dizzy" in lines
    assert "paused  at     0.0 s" in lines and "resumed at     5.0 s" in lines
    assert lines[-1].endswith("marks 1")
    assert replay_lines(result.path) == lines


def test_a_pause_pressed_twice_while_connecting_starts_the_session_running(
    tmp_path: Path,
) -> None:
    def press(session: LiveSession) -> None:
        session.toggle_pause()
        session.toggle_pause()

    result, _, _ = _run(tmp_path, press)
    assert result.path is not None
    actions = [c.action for c in read_recording(result.path).items if isinstance(c, PacerChange)]
    assert actions == ["set"]
    assert result.summary["duration_s"] == 60.0


def test_own_rhythm_has_nothing_to_pause_while_connecting_either(tmp_path: Path) -> None:
    """As once started: a plain own-rhythm session has no pacer to pause."""

    result, _, _ = _run(tmp_path, LiveSession.toggle_pause, pattern=None)
    assert result.path is not None
    actions = [c.action for c in read_recording(result.path).items if isinstance(c, PacerChange)]
    assert actions == ["own"]


def test_a_program_paused_while_connecting_stands_still_until_the_resume(tmp_path: Path) -> None:
    """Its first step begins at 0, its second comes later by the time paused (20 s)."""
    plain, plain_events, _ = _run(tmp_path / "plain", lambda s: None, program=BACK, duration_s=150)
    paused, paused_events, lines = _run(
        tmp_path / "paused", _mark_and_pause, program=BACK, duration_s=150.0, toggles_s=(20.0,)
    )

    def steps(events: list[Event]) -> list[float]:
        return [e.t_s for e in events if isinstance(e, ProgramEvent) and e.kind is EventKind.STEP]

    assert steps(plain_events)[0] == steps(paused_events)[0] == 0.0
    assert steps(paused_events)[1:] == [t + 20.0 for t in steps(plain_events)[1:]]
    assert paused.summary["duration_s"] == plain.summary["duration_s"] + 20.0
    assert "mark at     0.0 s  dizzy" in lines and "paused  at     0.0 s" in lines


def test_quitting_while_connecting_keeps_nothing_for_the_marks_made_meanwhile(
    tmp_path: Path,
) -> None:
    """A mark made while the sensor still connected kept a recording of a header, a pacer
    setting and the mark, which was then summarised as a 0 s session and called deletable
    (found in review): a mark places a moment of a session, and there was none."""
    session = LiveSession(SessionPlan(BreathPattern(4.0, 6.0), 600.0), out_dir=tmp_path)

    async def scenario() -> SessionResult:
        def press_then_quit() -> None:
            session.mark("gave up waiting")
            session.toggle_pause()
            session.stop("quit")

        asyncio.get_running_loop().call_later(0.05, press_then_quit)
        return await asyncio.wait_for(session.run(NeverConnects()), 5.0)  # type: ignore[arg-type]

    result = asyncio.run(scenario())
    assert result.summary["ended"] == "quit" and result.summary["duration_s"] < 0.1
    assert result.path is None and not result.recorded and list(tmp_path.iterdir()) == []
    assert result.summary["marks"] == 0


def test_quitting_while_connecting_with_only_a_pause_keeps_no_recording(tmp_path: Path) -> None:
    """A pause pressed while connecting is no measurement and no mark: the session that never
    connected leaves no file (it once left a header and a pause, for the person to delete)."""
    session = LiveSession(SessionPlan(BreathPattern(4.0, 6.0), 600.0), out_dir=tmp_path)

    async def scenario() -> SessionResult:
        def pause_then_quit() -> None:
            session.toggle_pause()
            session.stop("quit")

        asyncio.get_running_loop().call_later(0.05, pause_then_quit)
        return await asyncio.wait_for(session.run(NeverConnects()), 5.0)  # type: ignore[arg-type]

    result = asyncio.run(scenario())
    assert result.summary["ended"] == "quit" and result.path is None
    assert list(tmp_path.iterdir()) == []


# -- the screen --------------------------------------------------------------------------------


def _pacer_text(app: BreathwiseApp) -> str:
    content = app.query_one("#pacer", PacerView).render()
    return content.plain if isinstance(content, Text) else str(content)


def _status(app: BreathwiseApp) -> str:
    return str(app.query_one("#status").render())


def _app(session: LiveSession, source: Any, duration_s: float) -> BreathwiseApp:
    # As 'breathwise live' wires it (trainer.cli.session.live).
    return BreathwiseApp(
        session,
        lambda: session.run(source),
        title="t",
        duration_s=duration_s,
        on_pause=session.toggle_pause,
        on_mark=session.mark,
        on_quit=lambda: session.stop("quit"),
        hold_at_end=True,
    )


async def test_the_screen_shows_a_pause_and_a_mark_pressed_while_connecting(
    tmp_path: Path,
) -> None:
    """While connecting the screen says so (not "Breathe in your own rhythm" for a paced
    session), that the session will start paused, and counts the mark; once connected the
    pacer is paused until p, and the mark is in the recording at session time 0."""
    duration_s = 1.5
    session = LiveSession(
        SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=duration_s), out_dir=tmp_path
    )
    # Connected when the test says so: a fixed 0.5 s connect raced the key presses on a
    # loaded machine.
    connected = asyncio.Event()
    source = SlowConnect(SimulatedSource(PersonModel(seed=1), session), 0.0, until=connected)
    app = _app(session, source, duration_s)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert _pacer_text(app) == CONNECTING_TEXT
        await pilot.press("p")
        await pilot.press("m")
        await pilot.pause()
        assert not session.started
        assert session.start_paused and session.early_marks == ("",)
        assert _pacer_text(app) == f"{CONNECTING_TEXT}\n{START_PAUSED_TEXT}"
        assert "1 mark" in _status(app)
        connected.set()
        while not session.started:
            await pilot.pause(0.05)
        app.refresh_view()
        await pilot.pause()
        assert _pacer_text(app) == "Paused — press p to continue"
        assert "1 mark" in _status(app) and "2 marks" not in _status(app)
        await asyncio.sleep(0.3)
        await pilot.press("p")  # resumed 0.3 s in: the session ends 0.3 s later than planned
        while app.result is None:
            await pilot.pause(0.05)
        await pilot.press("q")
        await pilot.pause()
    result = app.return_value
    assert result is not None and result.path is not None
    assert result.summary["ended"] == "completed" and result.summary["marks"] == 1
    recording = read_recording(result.path)
    start = recording.header.start_mono_ns
    assert [(m.label, m.t_mono_ns) for m in recording.items if isinstance(m, Mark)] == [("", start)]
    changes = [c for c in recording.items if isinstance(c, PacerChange)]
    assert [c.action for c in changes] == ["set", "pause", "resume"]
    assert changes[1].t_mono_ns == start
    assert result.summary["duration_s"] > duration_s + 0.25


async def test_quitting_on_the_screen_while_connecting_ends_at_once_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    session = LiveSession(SessionPlan(BreathPattern(4.0, 6.0), 600.0), out_dir=tmp_path)
    app = _app(session, NeverConnects(), 600.0)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.press("q")
        for _ in range(40):
            if app.result is not None:
                break
            await pilot.pause(0.05)
        assert app.result is not None  # not waiting for a sensor that never comes
        assert "session over" in _status(app)
        await pilot.press("q")
        await pilot.pause()
    result = app.return_value
    assert result is not None and result.path is None and list(tmp_path.iterdir()) == []
    assert result.summary["ended"] == "quit"


def test_quitting_while_the_sensor_is_still_looked_for_ends_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scan for a BLE sensor (up to 10 s a sensor) came before the session's connect, and
    a quit then (Ctrl+C, q) waited it out: measured 7.1 s for a quit 2 s into an 8 s scan,
    0.6 s now. The session ends at once, and keeps nothing: no session began for the mark
    made meanwhile to be part of (nor a summary of one)."""
    import time

    from trainer.cli import session as session_cli
    from trainer.cli.app import run

    async def endless_scan(specs: list[str], session: LiveSession, **_: Any) -> Any:
        session.mark("still no strap")
        # What Ctrl+C does (trainer.cli.session._run_with_signals), a moment into the scan.
        asyncio.get_running_loop().call_later(0.1, session.stop, "interrupted")
        await asyncio.sleep(8.0)  # scanning on, unless abandoned
        return NeverConnects()

    monkeypatch.setattr(session_cli, "open_source", endless_scan)
    started = time.monotonic()
    args = ["--headless", "--no-sound", "--rate", "6", "--out", str(tmp_path)]
    assert run(["live", "--device", "AA:BB:CC:DD:EE:FF", *args]) == 0
    assert time.monotonic() - started < 5.0
    captured = capsys.readouterr()
    assert "summary:" not in captured.out and "mark at" not in captured.out, captured.out
    assert list(tmp_path.iterdir()) == []
    assert captured.err.splitlines()[-1] == (
        "note: no sensor connected and nothing was recorded, so no recording was kept"
    )


def test_a_sensor_not_found_on_the_screen_ends_with_its_message_and_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A BLE scan that finds nothing (or no Bluetooth adapter) failed inside the screen: it
    printed Textual's traceback and ended with "the session ended without a result", the
    message and its advice lost (found in review). The screen now closes and the command
    ends as it does without a screen: one line, with the advice, exit status 1."""
    from textual.app import App

    from devices.errors import BreathwiseDeviceError
    from trainer.cli import session as session_cli
    from trainer.cli.app import run

    async def scan_finds_nothing(specs: list[str], session: LiveSession, **_: Any) -> Any:
        await asyncio.sleep(0.2)
        raise BreathwiseDeviceError(
            "no sensor matching 'H10' found", "switch the strap on and wet its electrodes"
        )

    def run_headless(app: App[Any]) -> Any:
        # The full screen, as a terminal gets it, drawn nowhere.
        return App.run(app, headless=True, size=(80, 24))

    monkeypatch.setattr(session_cli, "open_source", scan_finds_nothing)
    monkeypatch.setattr(session_cli, "no_screen_reason", lambda: None)
    monkeypatch.setattr(BreathwiseApp, "run", run_headless)
    args = ["--device", "H10", "--minutes", "0.2", "--no-sound", "--out", str(tmp_path)]
    assert run(["live", *args]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "breathwise: error: no sensor matching 'H10' found"
        " — switch the strap on and wet its electrodes"
    ]
    assert list(tmp_path.iterdir()) == []  # never connected, as without a screen


def test_headless_live_says_each_connect_retry_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A slow sensor's retries reach the person (before: 84 s of silence, review 5 finding 8):
    the sensor tells ``on_progress``, headless ``live`` prints it as a note on stderr."""
    from devices.ble.errors import ConnectFailedError
    from devices.source import SourceInfo
    from trainer.cli import session as session_cli
    from trainer.cli.app import run

    class FailsToConnect:
        info = SourceInfo(kind="ble", name="HRM", address="AA:BB:CC:DD:EE:FF")

        def __init__(self, on_progress: Callable[[str], None]) -> None:
            self._on_progress = on_progress

        async def __aenter__(self) -> FailsToConnect:
            self._on_progress("connecting to HRM ... (attempt 2 of 4, the last timed out)")
            raise ConnectFailedError("could not connect to HRM after 4 attempts", "move closer")

        async def __aexit__(self, *exc: object) -> None:
            pass

    async def slow_sensor(specs: list[str], session: LiveSession, **options: Any) -> Any:
        return FailsToConnect(options["on_progress"])

    monkeypatch.setattr(session_cli, "open_source", slow_sensor)
    args = ["--headless", "--no-sound", "--minutes", "0.1", "--out", str(tmp_path)]
    assert run(["live", "--device", "AA:BB:CC:DD:EE:FF", *args]) == 1
    captured = capsys.readouterr()
    note = "note: connecting to HRM ... (attempt 2 of 4, the last timed out)"
    assert note in captured.err.splitlines()
    assert "connecting to" not in captured.out  # stdout is what a replay prints again
