"""A session outlives its lost sensor (review 31 F1): once every sensor is given up it carries on
to its planned end without them, says so once, and replays exactly; a session that cannot go on
without its sensor (a resonance assessment) ends there, and is heard to end (the early end's
notes). The cue line keeps saying that the sensor is lost while it is (review 31 F5).

The sessions run on a host clock that the session's own timer moves on, so a 2-minute session
with a 10 s outage takes a fraction of a second; ``tests/ble/test_sensors_gone_ble.py`` runs
the real Bluetooth stack against the fake BlueZ in real time.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from program_runs import FakeClock, ProcessingBug, SleepAdvances, compressed, replay_lines
from test_ui import FakeSession
from textual.widgets import Static

from devices.errors import BreathwiseDeviceError
from devices.heart_rate import encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import GIVEN_UP_REASON, LinkEvent, LinkState, SourceInfo
from trainer.cli.app import run
from trainer.cli.history import format_rows
from trainer.cli.session import when_sensors_gone
from trainer.coaching.coach import (
    CUE_SENSOR_LOST,
    CUE_SENSOR_LOST_BRIEF,
    CUE_SENSORS_GONE,
    CUE_SENSORS_GONE_BRIEF,
)
from trainer.coaching.pacer import BreathPattern
from trainer.programs import EventKind, load_catalog
from trainer.session.events import SENSORS_GONE_KIND, ProgramEvent, StatusEvent
from trainer.session.live_replay import LiveSession, SessionPlan, SessionResult
from trainer.session.pipeline import CARRY_ON, END_SESSION, SENSORS_GONE_KEY, sensors_gone_message
from trainer.storage.history import add_recording
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import read_recording
from trainer.ui.headless import format_summary, line_printer
from trainer.ui.screen import BreathwiseApp
from trainer.ui.session_sound import SessionSound
from trainer.ui.sound import (
    CHIME_S,
    EARLY_END_NOTES,
    EARLY_END_S,
    AudioOut,
    PacerSound,
    render,
)
from trainer.ui.state import SessionState

STRAP = "C0:FF:EE:00:00:01"
LOST_S = 10.0
GONE_S = 20.0
PLANNED_S = 120.0
GONE_ERROR = "HRM-Pro did not come back within 10 s"
FS = 22050


class _StrapGivenUp:
    """A strap as a BLE sensor behaves whose battery dies: a beat a second for ``LOST_S``, its
    link lost, and ``GONE_S`` into the session given up (the link event that says so, then
    the error), as :class:`devices.ble.sensors.BleSensor` does after its give-up time."""

    def __init__(self, clock: FakeClock, beats: int = int(LOST_S)) -> None:
        self.clock = clock
        self.beats = beats
        self.info = SourceInfo("ble", "HRM-Pro", STRAP, {"hr": {}}, {})

    async def __aenter__(self) -> _StrapGivenUp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        start = self.clock.ns
        for k in range(1, self.beats + 1):
            self.clock.ns = start + k * NS_PER_S
            payload = encode_heart_rate_measurement(60, [1024])
            yield RawPacket(self.clock.ns, self.clock.ns, Stream.HEART_RATE, payload)
        yield LinkEvent(self.clock.ns, self.clock.ns, STRAP, LinkState.LOST, "out of range")
        gone_ns = start + round(GONE_S * NS_PER_S)
        while self.clock.ns < gone_ns:  # the session's timer moves the clock on
            await asyncio.sleep(0)
        reason = f"{GIVEN_UP_REASON}: {GONE_ERROR}"
        yield LinkEvent(self.clock.ns, self.clock.ns, STRAP, LinkState.LOST, reason)
        raise BreathwiseDeviceError(GONE_ERROR, "check the sensor's battery, then start again")


def _plan(kind: str, when_gone: str | None) -> SessionPlan:
    settings: dict[str, Any] = {"device": [STRAP]}
    if when_gone is not None:
        settings[SENSORS_GONE_KEY] = when_gone
    if kind == "plain":
        pattern = BreathPattern.from_rate(6.0, 2.0)
        return SessionPlan(pattern, duration_s=PLANNED_S, settings=settings)
    program = compressed(load_catalog().get("relaxation-response"), PLANNED_S)
    plan = ProgramPlan(program)
    return SessionPlan(None, duration_s=PLANNED_S, settings=settings, program=plan)


def _live(
    tmp_path: Path, plan: SessionPlan, beats: int = int(LOST_S)
) -> tuple[SessionResult, list[str]]:
    """The session on the strap given up (after ``beats`` beats, one a second), its headless
    lines and summary lines."""
    clock = FakeClock()
    out = io.StringIO()
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=[line_printer(out)],
        clock_ns=clock,
        wall_ns=clock,
        sleep=SleepAdvances(clock),
    )
    result = asyncio.run(session.run(_StrapGivenUp(clock, beats)))
    return result, [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]


@pytest.mark.parametrize("kind", ["program", "plain"])
def test_the_session_carries_on_to_its_planned_end_once_its_sensor_is_gone(
    tmp_path: Path, kind: str
) -> None:
    """Before, the session ended with the sensor's error at the give-up, 100 s before its end,
    its program's last cues and end unsaid (and silent: see the sound tests below)."""
    result, lines = _live(tmp_path, _plan(kind, CARRY_ON))
    assert result.error is None, result.error
    assert result.summary["ended"] == "completed"
    assert result.summary["duration_s"] == pytest.approx(PLANNED_S)
    # The loss, the give-up with its reason (no error says it now), and the one line that
    # says the session goes on: at the give-up, once.
    status = [line for line in lines if line.startswith("status at") and "heart rhythm" not in line]
    assert status == [
        f"status at    10.0 s  {STRAP}: connection lost, reconnecting",
        f"status at    20.0 s  {STRAP}: connection lost, {GIVEN_UP_REASON}: {GONE_ERROR}",
        f"status at    20.0 s  {sensors_gone_message(False)}",
    ]
    assert sensors_gone_message(False) == ("sensor gone: carrying on without it to the planned end")
    if kind == "program":
        # The program's cues, last step and end after the give-up are said on time.
        after = [line for line in lines if line.startswith(("cue", "step", "program end"))]
        times = [float(line.split(" at ")[1].split()[0]) for line in after]
        assert [t for t in times if t > GONE_S] == pytest.approx([28.0, 52.0, 84.0, 108.0, 120.0])
        assert lines[-4].startswith("program end at   120.0 s")
    # The summary says when the sensor was lost; its numbers are of the 10 s measured.
    assert "sensor: no sensor data for the last 110 s (lost at 0:10)" in lines
    assert result.summary["beats"] == 10
    assert result.summary["no_data_from_s"] == pytest.approx(LOST_S)
    # The recording holds the loss and the choice: a replay prints every line again.
    assert result.path is not None
    recording = read_recording(result.path)
    assert recording.header.settings[SENSORS_GONE_KEY] == CARRY_ON
    assert recording.ended == "completed"
    assert [g[2] for g in recording.gaps()] == [None]
    assert replay_lines(result.path) == lines
    # The history keeps when it was lost, and lists it beside the session.
    row = add_recording(result.path).row
    assert row.sensor_lost_from_s == pytest.approx(LOST_S)
    assert row.practised_min == pytest.approx(PLANNED_S / 60.0)
    assert format_rows([row])[1].endswith("  sensor lost at 0:10")


def test_a_sensor_lost_before_its_first_data_leaves_a_practice_the_history_keeps(
    tmp_path: Path,
) -> None:
    """The strap connected and was lost before its first beat; the session carried on to its
    planned end. Before, the history refused it as "no sensor data in it ... nothing to add;
    the file can be deleted": two minutes practised, lost from the minutes and the streak, as a
    session with --device none never is."""
    result, lines = _live(tmp_path, _plan("program", CARRY_ON), beats=0)
    assert result.error is None, result.error
    assert result.summary["duration_s"] == pytest.approx(PLANNED_S)
    assert result.summary["beats"] == 0
    assert any(
        line.startswith("sensor: no sensor data for the last 120 s (lost at 0:00)")
        for line in lines
    )
    assert result.path is not None
    row = add_recording(result.path).row
    assert row.practised_min == pytest.approx(PLANNED_S / 60.0)
    assert row.sensor_lost_from_s == 0.0
    assert (row.beats, row.breaths, row.mean_hr_bpm) == (0, 0, None)
    assert format_rows([row])[1].endswith("  sensor lost at 0:00")


@pytest.mark.parametrize("when_gone", [END_SESSION, None])
def test_a_session_that_cannot_go_on_without_its_sensor_ends_at_the_give_up(
    tmp_path: Path, when_gone: str | None
) -> None:
    """A resonance assessment (its header says "end"), and a recording made before sessions
    carried on (no such setting): the sensor's error ends the session, as before, and a
    replay says nothing of carrying on."""
    result, lines = _live(tmp_path, _plan("program", when_gone))
    assert result.error is not None and result.error.startswith(GONE_ERROR)
    # Ended at the timer's next tick after the give-up.
    assert result.summary["duration_s"] == pytest.approx(GONE_S, abs=0.5)
    assert f"status at    20.0 s  {STRAP}: connection lost, {GIVEN_UP_REASON}" in lines
    assert not any("carrying on" in line for line in lines)
    assert result.path is not None
    assert replay_lines(result.path) == lines


def test_only_the_resonance_assessment_ends_when_its_sensor_is_gone() -> None:
    """It ranks the rates it measured: carried on without its sensor it would store the best
    of the first few as the person's rate. Every other program, and a plain paced session,
    needs no sensor (``--device none`` runs them)."""
    catalog = load_catalog()
    assert when_sensors_gone(None) == CARRY_ON
    for name in catalog.names():
        expected = END_SESSION if name == "resonance-assessment" else CARRY_ON
        assert when_sensors_gone(catalog.get(name)) == expected, name


# -- the sound --------------------------------------------------------------------------------


def _dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), n=1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1.0 / FS)[np.argmax(spectrum)])


def test_an_early_end_sounds_falling_notes_where_the_planned_end_rings_one_low_bell() -> None:
    pattern = BreathPattern.from_rate(6.0, 2.0)

    def state_at(t_s: float) -> Any:
        from trainer.coaching.pacer import Pacer

        return Pacer(pattern, start_s=0.0).state(t_s)

    end_s = 5.0
    early, _ = render(state_at, 4.0, 8 * FS, fs_hz=FS, end_s=end_s, early_end=True)
    planned, _ = render(state_at, 4.0, 8 * FS, fs_hz=FS, end_s=end_s)

    def at(x: np.ndarray, t_s: float, length_s: float = 0.2) -> np.ndarray:
        first = round((t_s - 4.0) * FS)
        return x[first : first + round(length_s * FS)]

    # The tone plays on up to an early end (not faded over the 10 s before, as for the planned).
    assert np.max(np.abs(at(early, 4.5, 0.4))) > 0.05
    assert np.max(np.abs(at(planned, 4.5, 0.4))) < 0.01
    # Three falling notes, twice; the planned end rings one low bell.
    heard = [_dominant_hz(at(early, end_s + offset + 0.01, 0.25)) for _, offset in EARLY_END_NOTES]
    expected = [pitch for pitch, _ in EARLY_END_NOTES]
    assert heard == pytest.approx(expected, abs=4.0)
    assert expected[0] > expected[1] > expected[2]
    assert _dominant_hz(at(planned, end_s + 0.01, 0.25)) == pytest.approx(196.0, abs=3.0)
    assert np.max(np.abs(at(early, end_s + 0.6, 0.25))) > 0.1
    assert np.max(np.abs(at(planned, end_s + 0.6, 0.25))) < np.max(np.abs(at(early, 5.6, 0.25)))
    # Nothing after the notes have died away: the session stops the sound then.
    assert np.max(np.abs(at(early, end_s + EARLY_END_NOTES[-1][1] + CHIME_S, 0.5))) < 1e-9
    assert np.max(np.abs(at(early, end_s + EARLY_END_S, 0.2))) < 0.02


def test_an_early_end_drops_the_chimes_still_to_come_and_the_end_bell() -> None:
    def ended_early(cues: list[float]) -> np.ndarray:
        sound = PacerSound(lambda t: None, fs_hz=FS, cue_times_s=cues, end_s=6.0)
        sound(FS)  # the first second
        assert sound.end_early() == pytest.approx(1.0)
        return sound(7 * FS)  # 1 s to 8 s

    block = ended_early([3.0])
    assert _dominant_hz(block[: round(0.25 * FS)]) == pytest.approx(EARLY_END_NOTES[0][0], abs=4.0)
    # Neither the cue chime at 3 s nor the end bell at 6 s: the early end's notes alone.
    assert np.array_equal(block, ended_early([]))
    alone, _ = render(lambda t: None, 1.0, 7 * FS, fs_hz=FS, end_s=1.0, early_end=True)
    assert np.allclose(block, alone, atol=1e-12)


class _Playing(AudioOut):
    """An output that plays (nothing): what the session waits for."""

    def __init__(self) -> None:
        super().__init__(players=[], use_sounddevice=False, notify=lambda _: None)
        self.stopped = False

    @property
    def playing(self) -> bool:
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize(
    ("completed", "failed", "slept", "early"),
    [(True, False, 2.5, False), (False, True, EARLY_END_S, True), (False, False, None, False)],
)
def test_the_session_sound_ends_with_a_bell_the_early_notes_or_at_once(
    completed: bool, failed: bool, slept: float | None, early: bool
) -> None:
    """A failure before the planned end stopped the sound at once, with nothing to hear
    (review 31 F1); a quit still stops it at once (the person knows)."""
    audio = _Playing()
    sound = SessionSound(lambda t: None, lambda: 30.0, end_s=60.0, audio=audio)
    waits: list[float] = []
    sound.stop(completed=completed, failed=failed, sleep=waits.append)
    assert waits == ([] if slept is None else [slept])
    assert audio.stopped
    assert (sound.sound.end_s == pytest.approx(30.0)) is early


def test_the_command_line_sounds_the_early_end_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``live --sound`` stopped the sound with ``completed=False`` alone after a failure: the
    session ended in silence. A processing error (a bug) stands in for any failure here."""

    stops: list[dict[str, bool]] = []

    def spy_stop(self: SessionSound, **kwargs: Any) -> None:
        stops.append({k: v for k, v in kwargs.items() if k != "sleep"})

    monkeypatch.setattr(SessionSound, "start", lambda self: True)
    monkeypatch.setattr(SessionSound, "stop", spy_stop)
    ProcessingBug(20).installed(monkeypatch)
    args = ["--minutes", "0.05", "--sound", "--seed", "1", "--out", str(tmp_path)]
    assert run(["live", "--device", "sim", "--headless", *args]) == 1
    capsys.readouterr()
    assert stops == [{"completed": False, "failed": True}]


# -- the cue line -----------------------------------------------------------------------------


def _step(t_s: float, index: int) -> ProgramEvent:
    return ProgramEvent(t_s, EventKind.STEP, index, 3, f"step {index + 1}", f"step {index + 1}")


def _cue(t_s: float, text: str) -> ProgramEvent:
    return ProgramEvent(t_s, EventKind.CUE, 0, 3, "step 1", text)


LOST = StatusEvent(30.0, "link", f"{STRAP}: connection lost, reconnecting", STRAP)
TIP = "Let the belly be soft. It rises as you breathe in"


def test_the_cue_line_says_the_sensor_is_lost_for_as_long_as_it_is() -> None:
    """Review 31 F5: the step's tip replaced "Sensor lost", and stayed on the line through
    the rest of the outage, into the next step."""
    state = SessionState()
    state.apply([_step(0.0, 0), LOST])
    assert state.cue_line(31.0, 30.0) == CUE_SENSOR_LOST
    state.apply([_cue(40.0, TIP)])
    assert state.cue_line(41.0, 30.0) == f"{CUE_SENSOR_LOST_BRIEF} · {TIP}"
    assert state.cue_line(71.0, 30.0) == CUE_SENSOR_LOST  # the tip's time is over
    state.apply([_cue(80.0, TIP), _step(90.0, 1)])
    assert state.cue_line(91.0, 30.0) == CUE_SENSOR_LOST  # not the last step's tip
    gone = f"{STRAP}: connection lost, {GIVEN_UP_REASON}: {GONE_ERROR}"
    state.apply([StatusEvent(150.0, "link", gone, STRAP)])
    state.apply([StatusEvent(150.0, SENSORS_GONE_KIND, sensors_gone_message(False))])
    assert state.cue_line(151.0, 30.0) == CUE_SENSORS_GONE
    state.apply([_cue(160.0, "Notice the breath")])
    assert state.cue_line(161.0, 30.0) == f"{CUE_SENSORS_GONE_BRIEF} · Notice the breath"
    assert state.cue_line(200.0, 30.0) == CUE_SENSORS_GONE
    assert state.status_at_end() == "sensor lost at 0:30, given up at 2:30: carried on without it"


def test_a_tip_ends_with_its_step_and_the_lost_line_when_the_sensor_is_back() -> None:
    state = SessionState()
    state.apply([_step(0.0, 0), _cue(40.0, TIP)])
    assert state.cue_line(45.0, 30.0) == TIP
    state.apply([_step(50.0, 1)])
    assert state.cue_line(51.0, 30.0) == ""  # the screen shows its default line
    state.apply([LOST])
    state.apply([StatusEvent(35.0, "link", f"{STRAP}: connection back", STRAP)])
    assert state.cue_line(36.0, 30.0) == ""


def test_a_sensor_given_up_beside_one_that_measures_leaves_the_line_to_the_coach() -> None:
    """A belt given up beside a beating strap: the session goes on with the strap, coached;
    "reconnecting" would not be true (nothing reconnects)."""
    state = SessionState()
    given_up = f"AA:01: connection lost, {GIVEN_UP_REASON}: GDX-RB did not come back"
    state.apply([StatusEvent(9.0, "link", "AA:01: connection lost, reconnecting", "AA:01")])
    assert state.cue_line(10.0, 30.0) == CUE_SENSOR_LOST
    state.apply([StatusEvent(129.0, "link", given_up, "AA:01")])
    assert state.cue_line(130.0, 30.0) == ""


async def test_the_screen_keeps_sensor_lost_on_the_cue_bar_with_the_tip_beside_it() -> None:
    session = FakeSession()
    app = BreathwiseApp(session, session.run, title="t", duration_s=300.0)
    async with app.run_test(size=(100, 32)) as pilot:

        async def bar_at(t_s: float) -> str:
            session.t_s = t_s
            app.refresh_view()
            await pilot.pause()
            return " ".join(str(app.query_one("#cue", Static).render()).split())

        session.state.apply([_step(0.0, 0), LOST, _cue(40.0, TIP)])
        assert await bar_at(45.0) == f"{CUE_SENSOR_LOST_BRIEF} · {TIP}"
        session.state.apply([_step(90.0, 1)])
        assert await bar_at(95.0) == CUE_SENSOR_LOST
        assert await bar_at(150.0) == CUE_SENSOR_LOST
        gone = f"{STRAP}: connection lost, {GIVEN_UP_REASON}: {GONE_ERROR}"
        session.state.apply(
            [
                StatusEvent(152.0, "link", gone, STRAP),
                StatusEvent(152.0, SENSORS_GONE_KIND, sensors_gone_message(False)),
            ]
        )
        assert await bar_at(153.0) == CUE_SENSORS_GONE
        status = " ".join(str(app.query_one("#status", Static).render()).split())
        assert sensors_gone_message(False) in status
        session.finished.set()
        await pilot.pause()
