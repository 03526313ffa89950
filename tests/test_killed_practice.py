"""A session killed while nothing else is written (no sensor, or its sensor gone) keeps the
time it ran: review 9, finding 8. A ``--device none`` session killed at 78 s had left a file of
its header and first pacer line, added to the history as 0.0 min."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from program_runs import FakeClock, SleepAdvances, replay_lines

from devices.heart_rate import encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.sensorless import SensorlessSource
from devices.source import LinkEvent, LinkState, SourceInfo
from trainer.cli.app import run
from trainer.coaching.pacer import BreathPattern
from trainer.reports.session_analysis import analyse_recording
from trainer.session.live_replay import LiveSession, SessionPlan
from trainer.session.summary import SessionSummary
from trainer.storage.history import add_recording, list_sessions
from trainer.storage.recording import (
    CLOCK_KIND,
    CLOCK_RECORD_NS,
    Header,
    PacerChange,
    RecordingWriter,
    read_recording,
)

REPO = Path(__file__).resolve().parents[1]
START_NS = 10 * NS_PER_S
WALL_NS = 1_795_000_000 * NS_PER_S
PATTERN = BreathPattern.from_rate(6.0, 2.0).to_dict()


def _sensorless_header() -> Header:
    source = SourceInfo("none", "no sensor (timer and cues only)")
    return Header(START_NS, WALL_NS, source, {"device": "none", "minutes": 2.0})


def _killed_copy(path: Path, out: Path) -> Path:
    """``path`` without its closing record: what a kill -9 before the close leaves."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert json.loads(lines[-1])["k"] == "end"
    out.write_text("".join(lines[:-1]), encoding="utf-8")
    return out


def test_the_writer_keeps_the_time_only_when_nothing_else_was_written(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "s.bwr", _sensorless_header())
    writer.write_item(PacerChange(START_NS, WALL_NS, "set", PATTERN))
    writer.keep_time(START_NS + CLOCK_RECORD_NS - 1, WALL_NS)  # not yet a second of quiet
    writer.keep_time(START_NS + CLOCK_RECORD_NS, WALL_NS + CLOCK_RECORD_NS)
    writer.keep_time(START_NS + CLOCK_RECORD_NS + 1, WALL_NS)  # quiet again from that record
    packet = encode_heart_rate_measurement(60, [1024])
    writer.write_packet(RawPacket(START_NS + 2 * CLOCK_RECORD_NS, WALL_NS, "hr", packet))
    writer.keep_time(START_NS + 2 * CLOCK_RECORD_NS + 10, WALL_NS)  # a packet just came
    writer.flush()
    lines = [json.loads(line) for line in (tmp_path / "s.bwr").read_text().splitlines()]
    assert [line["k"] for line in lines[1:]] == ["pacer", CLOCK_KIND, "p"]
    # With the running checksum every clock record carries (docs/recording-format.md).
    assert lines[2] == {
        "k": CLOCK_KIND,
        "m": START_NS + NS_PER_S,
        "w": WALL_NS + NS_PER_S,
        "crc": lines[2]["crc"],
    }


def _sensorless_file(path: Path, seconds: int, *, end: bool) -> Path:
    """A sensorless session of ``seconds`` as the live session writes it: its first pacer
    line, a clock record each second, and with ``end`` its closing record."""
    writer = RecordingWriter(path, _sensorless_header())
    writer.write_item(PacerChange(START_NS, WALL_NS, "set", PATTERN, label="6.0/min"))
    for k in range(1, seconds + 1):
        writer.keep_time(START_NS + k * NS_PER_S, WALL_NS + k * NS_PER_S)
    if end:
        summary: SessionSummary = {"duration_s": float(seconds), "ended": "completed"}
        end_ns = START_NS + seconds * NS_PER_S
        writer.close(summary, t_mono_ns=end_ns, t_wall_ns=WALL_NS + seconds * NS_PER_S)
    else:
        writer.flush()
    return path


def test_a_killed_sensorless_session_keeps_its_minutes_everywhere(tmp_path: Path) -> None:
    """The reproduction's file: killed at 78 s. It read as 0 s, was added as 0.0 min, and the
    replay said ``summary: 0 s, no sensor``."""
    path = _sensorless_file(tmp_path / "killed.bwr", 78, end=False)
    recording = read_recording(path)
    assert recording.summary is None and recording.ended == "recording cut short"
    assert [type(item) for item in recording.items] == [PacerChange]  # no item of its own
    assert recording.duration_s == pytest.approx(78.0)
    assert analyse_recording(recording).duration_s == pytest.approx(78.0)
    stored = add_recording(path)
    assert stored.row.practised_min == pytest.approx(1.3)
    assert [row.practised_min for row in list_sessions()] == [pytest.approx(1.3)]
    lines = replay_lines(path)
    assert lines[-1].startswith("summary: 78 s, no sensor"), lines[-3:]


def test_clock_records_change_nothing_in_a_finished_session(tmp_path: Path) -> None:
    """The closing record gives the length, as before: the clock records only stand in for it."""
    with_clocks = _sensorless_file(tmp_path / "a.bwr", 30, end=True)
    lines = with_clocks.read_text(encoding="utf-8").splitlines(keepends=True)
    without = tmp_path / "b.bwr"
    without.write_text("".join(line for line in lines if CLOCK_KIND not in line))
    assert replay_lines(with_clocks) == replay_lines(without)
    assert replay_lines(without)[-1].startswith("summary: 30 s, no sensor")


class _StrapGoneAfter:
    """A strap that sends 10 s of heart rate, then is lost for good: the session goes on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.info = SourceInfo("ble", "HRM-Pro", "C0:FF:EE:00:00:01", {"hr": {}}, {})

    async def __aenter__(self) -> _StrapGoneAfter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        start = self.clock.ns
        for k in range(1, 11):
            self.clock.ns = start + k * NS_PER_S
            payload = encode_heart_rate_measurement(60, [1024])
            yield RawPacket(self.clock.ns, self.clock.ns, Stream.HEART_RATE, payload)
        yield LinkEvent(self.clock.ns, self.clock.ns, "hr", LinkState.LOST, "out of range")
        nothing: asyncio.Queue[RawPacket] = asyncio.Queue()
        while True:
            yield await nothing.get()


@pytest.mark.parametrize("sensor", ["none", "strap gone"])
def test_a_live_session_killed_in_a_quiet_stretch_keeps_its_length(
    sensor: str, tmp_path: Path
) -> None:
    """The live session writes a clock record each second of quiet: killed at 60 s, its file
    says 60 s (it said 0 s without a sensor, and 10 s when the strap was lost at 10 s)."""
    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=60.0)
    session = LiveSession(
        plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=SleepAdvances(clock)
    )
    source = SensorlessSource() if sensor == "none" else _StrapGoneAfter(clock)
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.summary["duration_s"] == pytest.approx(60.0)
    killed = _killed_copy(result.path, tmp_path / "killed.bwr.copy")
    assert read_recording(killed).duration_s == pytest.approx(60.0, abs=1.25)
    assert analyse_recording(killed).duration_s == pytest.approx(60.0, abs=1.25)
    if sensor == "strap gone":
        # The gap is open to where the session is known to have run, not to the loss.
        (gap,) = analyse_recording(killed).gaps
        assert gap.t0_s == pytest.approx(10.0) and gap.t1_s == pytest.approx(60.0, abs=1.25)


def test_a_sensorless_session_killed_with_kill_9_is_added_with_its_minutes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's reproduction, shortened: ``live --device none`` killed with SIGKILL."""
    out = tmp_path / "rec"
    live = ["live", "--device", "none", "--headless", "--minutes", "2", "--no-sound"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", *live, "--out", str(out)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Until a clock record 3 s into the session is on disk (at most 20 s: none ever came).
        deadline = time.monotonic() + 20.0
        reached_s = 0.0
        while time.monotonic() < deadline and reached_s < 3.0:
            time.sleep(0.2)
            for path in out.glob("*.bwr"):
                lines = path.read_bytes().splitlines()
                start = json.loads(lines[0])["start_mono_ns"]
                clocks = [json.loads(line)["m"] for line in lines[1:] if b'"clock"' in line]
                reached_s = max([0.0, *((m - start) / NS_PER_S for m in clocks)])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    (path,) = out.glob("*.bwr")
    assert read_recording(path).duration_s >= 3.0
    assert run(["history", "--add", str(path)]) == 0
    said = capsys.readouterr()
    added = said.out + said.err
    assert f"added {path.name} (0.0 min)" not in added and f"added {path.name} (0." in added
    (row,) = list_sessions()
    assert row.practised_min >= 3.0 / 60.0
