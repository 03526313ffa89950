"""A sensor given up comes back in a session that carries on without it: the session measures
again from then, says so on the status and cue lines, and its summary and history no longer say
"lost for good"; a replay prints every line again.

The sessions run on the frozen host clock of ``tests/test_sensors_gone.py`` (the session's
timer moves it on), so a 2-minute session takes a fraction of a second; the BLE sensor that
looks for its device again runs against the fake BlueZ in
``tests/ble/test_sensor_back_ble.py``.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from program_runs import FakeClock, SleepAdvances, compressed, replay_lines

from devices.heart_rate import encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import GIVEN_UP_REASON, KeepsLooking, LinkEvent, LinkState, SourceInfo
from trainer.cli.history import format_rows
from trainer.coaching.coach import CUE_SENSOR_BACK, CUE_SENSORS_GONE
from trainer.programs import load_catalog
from trainer.session.events import SENSORS_BACK_KIND, SENSORS_GONE_KIND, Event, StatusEvent
from trainer.session.live_replay import LiveSession, SessionPlan, SessionResult
from trainer.session.pipeline import (
    CARRY_ON,
    SENSORS_GONE_KEY,
    sensors_back_message,
    sensors_gone_message,
)
from trainer.storage.history import add_recording
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import read_recording
from trainer.ui.headless import format_summary, line_printer
from trainer.ui.state import SessionState

STRAP = "C0:FF:EE:00:00:01"
LOST_S = 10.0
GONE_S = 20.0
BACK_S = 50.0
PLANNED_S = 120.0
GONE_ERROR = "HRM-Pro did not come back within 10 s; looking for it again about every 15 s"


class _StrapBack:
    """A strap as a BLE sensor told to keep looking behaves whose battery is changed: a beat a
    second for ``LOST_S``, its link lost, given up ``GONE_S`` into the session, found again at
    ``BACK_S`` (``RESTORED``) and beating a second apart from then on, until the session
    stops taking its items (:class:`devices.ble.sensors.BleSensor` after ``keep_looking``)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.info = SourceInfo("ble", "HRM-Pro", STRAP, {"hr": {}}, {})

    async def __aenter__(self) -> _StrapBack:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def _beat(self) -> RawPacket:
        payload = encode_heart_rate_measurement(60, [1024])
        return RawPacket(self.clock.ns, self.clock.ns, Stream.HEART_RATE, payload)

    async def _wait_until(self, t_ns: int) -> None:
        while self.clock.ns < t_ns:  # the session's timer moves the clock on
            await asyncio.sleep(0)

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        start = self.clock.ns
        for k in range(1, int(LOST_S) + 1):
            self.clock.ns = start + k * NS_PER_S
            yield self._beat()
        yield LinkEvent(self.clock.ns, self.clock.ns, STRAP, LinkState.LOST, "out of range")
        await self._wait_until(start + round(GONE_S * NS_PER_S))
        reason = f"{GIVEN_UP_REASON}: {GONE_ERROR}"
        yield LinkEvent(self.clock.ns, self.clock.ns, STRAP, LinkState.LOST, reason)
        back_ns = start + round(BACK_S * NS_PER_S)
        await self._wait_until(back_ns)
        self.clock.ns = back_ns  # the timer's tick may have passed it: found at BACK_S
        yield LinkEvent(back_ns, back_ns, STRAP, LinkState.RESTORED, "found again, look 2")
        k = 0
        while True:
            k += 1
            self.clock.ns = back_ns + k * NS_PER_S
            yield self._beat()


def _plan(kind: str) -> SessionPlan:
    settings: dict[str, Any] = {"device": [STRAP], SENSORS_GONE_KEY: CARRY_ON}
    if kind == "plain":
        from trainer.coaching.pacer import BreathPattern

        return SessionPlan(BreathPattern.from_rate(6.0, 2.0), PLANNED_S, settings=settings)
    program = ProgramPlan(compressed(load_catalog().get("relaxation-response"), PLANNED_S))
    return SessionPlan(None, duration_s=PLANNED_S, settings=settings, program=program)


def _live(
    tmp_path: Path, kind: str
) -> tuple[SessionResult, list[str], SessionState, dict[float, str]]:
    """The session on the strap that comes back: its result, headless and summary lines, the
    screen's state at the end, and its cue line one second after each status line."""
    clock = FakeClock()
    out = io.StringIO()
    state = SessionState()
    cue_lines: dict[float, str] = {}

    def screen(events: list[Event]) -> None:
        state.apply(events)
        for event in events:
            if isinstance(event, StatusEvent):
                cue_lines[event.t_s] = state.cue_line(event.t_s + 1.0, 30.0)

    session = LiveSession(
        _plan(kind),
        out_dir=tmp_path,
        listeners=[line_printer(out), screen],
        clock_ns=clock,
        wall_ns=clock,
        sleep=SleepAdvances(clock),
    )
    result = asyncio.run(session.run(_StrapBack(clock)))
    lines = [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]
    return result, lines, state, cue_lines


@pytest.mark.parametrize("kind", ["program", "plain"])
def test_a_sensor_back_after_the_give_up_measures_again_to_the_end(
    tmp_path: Path, kind: str
) -> None:
    """Before: "sensor gone: carrying on without it to the planned end" stayed the last word
    from 20 s to the end, the cue line said "Sensor gone" to the end, though the strap beat
    again from 51 s."""
    result, lines, state, cue_lines = _live(tmp_path, kind)
    assert result.error is None, result.error
    assert result.summary["ended"] == "completed"
    assert result.summary["duration_s"] == pytest.approx(PLANNED_S)
    status = [line for line in lines if line.startswith("status at") and "heart rhythm" not in line]
    assert status == [
        f"status at    10.0 s  {STRAP}: connection lost, reconnecting",
        f"status at    20.0 s  {STRAP}: connection lost, {GIVEN_UP_REASON}: {GONE_ERROR}",
        f"status at    20.0 s  {sensors_gone_message(False)}",
        f"status at    50.0 s  {STRAP}: connection back",
        f"status at    50.0 s  {sensors_back_message()}",
    ]
    assert sensors_back_message() == "sensor back: measuring again"
    # The numbers resume: the beats from 51 s to the end count, 10 before and 70 after.
    assert result.summary["beats"] == 10 + int(PLANNED_S - BACK_S)
    assert result.summary["hr_end_bpm"] == pytest.approx(60.0)
    # The breath rate read from the heart rhythm again, once it has its 64 s of beats.
    rates = [float(line.split()[2]) for line in lines if line.startswith("rate at")]
    assert rates and min(rates) > BACK_S
    # The heart-rate tile is current again (not "-" with the age of the beat before the loss).
    assert state.heart_rate_at(PLANNED_S - 1.0) == (60.0, None)
    # The gap is a gap like any, closed at the return; not "lost for good from 0:10".
    assert result.summary["no_data_from_s"] is None
    assert result.summary["no_data_s"] == pytest.approx(BACK_S - LOST_S)
    assert "sensor: no sensor data for 40 s (connection gaps)" in lines
    assert not any("lost at" in line for line in lines)
    # The screen: the cue line says the sensor is back, then leaves the line to the session.
    assert state.sensors_gone_t_s is None and not state.given_up and state.link_ok
    assert cue_lines[GONE_S] == CUE_SENSORS_GONE
    assert cue_lines[BACK_S] == CUE_SENSOR_BACK
    assert state.status_at_end() == "sensor lost at 0:10, back at 0:50: measured again from then"
    # The recording holds what happened: a replay prints every line again.
    assert result.path is not None
    recording = read_recording(result.path)
    ((_, lost_ns, back_ns),) = recording.gaps()
    assert back_ns is not None
    assert (back_ns - lost_ns) / NS_PER_S == pytest.approx(BACK_S - LOST_S)
    assert replay_lines(result.path) == lines
    # The history keeps the session without a loss "for good".
    row = add_recording(result.path).row
    assert row.sensor_lost_from_s is None
    assert row.beats == 80
    assert "sensor lost" not in format_rows([row])[1]


def test_the_cue_line_says_the_sensor_is_back_and_the_gone_line_ends() -> None:
    """Before: after "sensor back" the cue line still said "Sensor gone — the session carries
    on without it to its planned end", and the end status "given up: carried on without it"."""
    state = SessionState()
    lost = StatusEvent(10.0, "link", f"{STRAP}: connection lost, reconnecting", STRAP)
    gone = StatusEvent(20.0, "link", f"{STRAP}: connection lost, {GIVEN_UP_REASON}: x", STRAP)
    state.apply([lost, gone, StatusEvent(20.0, SENSORS_GONE_KIND, sensors_gone_message(False))])
    assert state.cue_line(21.0, 30.0) == CUE_SENSORS_GONE
    back = StatusEvent(50.0, "link", f"{STRAP}: connection back", STRAP)
    state.apply([back, StatusEvent(50.0, SENSORS_BACK_KIND, sensors_back_message())])
    assert state.cue_line(51.0, 30.0) == CUE_SENSOR_BACK
    assert state.cue_line(90.0, 30.0) == ""  # its time is over: the screen's default line
    assert state.status == sensors_back_message()
    assert state.status_at_end() == "sensor lost at 0:10, back at 0:50: measured again from then"
    # Lost again and given up again: "gone" again.
    state.apply(
        [
            StatusEvent(60.0, "link", f"{STRAP}: connection lost, reconnecting", STRAP),
            StatusEvent(80.0, "link", f"{STRAP}: connection lost, {GIVEN_UP_REASON}: x", STRAP),
            StatusEvent(80.0, SENSORS_GONE_KIND, sensors_gone_message(False)),
        ]
    )
    assert state.cue_line(81.0, 30.0) == CUE_SENSORS_GONE
    assert state.status_at_end() == "sensor lost at 1:00, given up at 1:20: carried on without it"


def test_a_ble_source_of_several_sensors_passes_keep_looking_to_each() -> None:
    """A belt given up beside a strap that still measures is looked for again too: the same
    rule as for the last sensor (the combined source tells every sensor)."""
    from devices.ble.combined import CombinedSource
    from devices.ble.sensors import BleSensor

    strap = BleSensor("AA:00:00:00:00:01", name="strap")
    belt = BleSensor("AA:00:00:00:00:02", name="belt")
    belt.info.streams["gdx"] = {}
    combined = CombinedSource([strap, belt])
    assert isinstance(combined, KeepsLooking) and isinstance(strap, KeepsLooking)
    assert not strap.look_again and not belt.look_again
    combined.keep_looking()
    assert strap.look_again and belt.look_again
