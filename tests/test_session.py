"""Sessions end to end in-process: simulated person -> live session -> recording -> replay."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devices.sim import PersonModel, SimulatedSource
from trainer.pacer import BreathPattern
from trainer.pipeline import NS_PER_S, BreathEvent, BreathRateEvent, Event, Pipeline
from trainer.recording import Mark, PacerChange, RecordingWriter, read_recording
from trainer.session import LiveSession, ReplaySession, SessionPlan, SessionResult

START_NS = 50 * NS_PER_S


class FakeClock:
    """A frozen host clock: the simulated source runs ahead as fast as it can."""

    def __init__(self) -> None:
        self.ns = START_NS

    def __call__(self) -> int:
        return self.ns


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def _live(
    tmp_path: Path,
    minutes: float,
    *,
    rate: float = 6.0,
    ratio: float = 2.0,
    seed: int = 5,
    drop: tuple[float, float] | None = None,
) -> tuple[LiveSession, list[Event], Path]:
    clock = FakeClock()
    events: list[Event] = []
    plan = SessionPlan(
        BreathPattern.from_rate(rate, ratio), duration_s=minutes * 60, settings={"t": 1}
    )
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=[events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=seed), session, clock=clock, wall_clock=clock, realtime=False
    )
    if drop is not None:
        source.drop_link(*drop)
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None
    return session, events, result.path


def _breaths(events: Sequence[object]) -> list[BreathEvent]:
    return [e for e in events if isinstance(e, BreathEvent)]


def _breathing(events: list[Event]) -> list[BreathEvent | BreathRateEvent]:
    """Breaths and best-rate answers (belt and heart rhythm), in order."""
    return [e for e in events if isinstance(e, BreathEvent | BreathRateEvent)]


@pytest.fixture(scope="module")
def three_minutes(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LiveSession, list[Event], Path]:
    return _live(tmp_path_factory.mktemp("live"), 3.0)


def test_measured_breathing_follows_the_pacer(
    three_minutes: tuple[LiveSession, list[Event], Path],
) -> None:
    _, events, _ = three_minutes
    breaths = [e for e in _breaths(events) if e.breath.inhale_onset_s > 60.0]
    assert len(breaths) >= 10
    rates = [e.breath.rate_bpm for e in breaths]
    assert abs(float(np.median(rates)) - 6.0) < 1.0
    ratios = [e.breath.ratio for e in breaths]
    assert 1.4 < float(np.median(ratios)) < 2.6
    assert float(np.median([e.feedback.follow_score for e in breaths])) > 50
    assert all(e.hr_bpm is not None and 40 < e.hr_bpm < 110 for e in breaths)


def test_replay_reproduces_the_live_events_exactly(
    three_minutes: tuple[LiveSession, list[Event], Path],
) -> None:
    _, events, path = three_minutes
    recording = read_recording(path)
    assert recording.summary is not None
    replayed: list[Event] = []
    result = asyncio.run(ReplaySession(recording, speed=None, listeners=[replayed.extend]).run())
    # repr: NaN feedback values (no pacer onset nearby) compare unequal to themselves.
    assert repr(_breathing(replayed)) == repr(_breathing(events))
    assert any(isinstance(e, BreathRateEvent) for e in events)
    live_summary = dict(recording.summary)
    live_summary.pop("ended")
    replay_summary = dict(result.summary)
    replay_summary.pop("ended")
    assert replay_summary == live_summary


def test_item_by_item_and_batched_handling_agree(
    three_minutes: tuple[LiveSession, list[Event], Path],
) -> None:
    _, _, path = three_minutes
    recording = read_recording(path)
    one = Pipeline(recording.header)
    singly = _breathing([e for item in recording.items for e in one.handle((item,))])
    batched = _breathing(Pipeline(recording.header).handle(recording.items))
    assert repr(singly) == repr(batched)
    assert len(_breaths(singly)) > 10
    # Every breath is followed by the selector's answer; the heart rhythm adds its own.
    assert len(singly) - len(_breaths(singly)) > len(_breaths(singly))


def test_marks_and_pauses_are_recorded_and_replayed(tmp_path: Path) -> None:
    clock = FakeClock()
    events: list[Event] = []
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=60.0)
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=[events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=2), session, clock=clock, wall_clock=clock, realtime=False
    )

    async def main() -> None:
        task = asyncio.create_task(session.run(source))
        await asyncio.sleep(0)
        clock.ns = START_NS + 10 * NS_PER_S
        session.mark("tingling")
        session.toggle_pause()
        assert session.state.paused
        clock.ns = START_NS + 15 * NS_PER_S
        session.toggle_pause()
        await task

    asyncio.run(main())
    recording = read_recording(next(tmp_path.glob("*.bwr")))
    assert [m.label for m in recording.items if isinstance(m, Mark)] == ["tingling"]
    actions = [p.action for p in recording.items if isinstance(p, PacerChange)]
    assert actions == ["set", "pause", "resume"]
    assert recording.summary is not None and recording.summary["marks"] == 1


def test_a_link_drop_is_a_recorded_gap_and_breathing_resumes(tmp_path: Path) -> None:
    _, events, path = _live(tmp_path, 2.0, drop=(40.0, 8.0))
    recording = read_recording(path)
    gaps = recording.gaps()
    assert len(gaps) == 1
    _, lost_ns, back_ns = gaps[0]
    assert back_ns is not None
    assert abs((lost_ns - recording.header.start_mono_ns) / NS_PER_S - 40.0) < 0.5
    assert abs((back_ns - lost_ns) / NS_PER_S - 8.0) < 0.5
    breaths = _breaths(events)
    assert any(b.breath.inhale_onset_s > 60.0 for b in breaths)
    # No breath may straddle the hole: the belt stream restarts after a gap.
    assert not any(b.breath.inhale_onset_s < 44.0 < b.breath.end_s for b in breaths)


def test_quitting_while_the_sensor_still_connects_ends_the_session_at_once(
    tmp_path: Path,
) -> None:
    """A sensor can take minutes to find and connect; q, Ctrl+C or Ctrl+Q meanwhile once waited
    for it (found in review). The connect is abandoned and released, and the recording closed."""
    from devices.source import SourceInfo

    released: list[str] = []

    class SlowSensor:
        info = SourceInfo("ble", "slow strap", "AA:BB", {}, {})

        async def __aenter__(self) -> SlowSensor:
            try:
                await asyncio.sleep(3600)  # scanning, connecting, backing off...
            except asyncio.CancelledError:
                released.append("connect abandoned")
                raise
            return self

        async def __aexit__(self, *exc: object) -> None:
            released.append("closed")

        def packets(self) -> object:
            raise AssertionError("never connected: nothing to read")

    async def scenario() -> SessionResult:
        session = LiveSession(SessionPlan(BreathPattern(4.0, 6.0), 600.0), out_dir=tmp_path)
        asyncio.get_running_loop().call_later(0.05, session.stop, "quit")
        return await asyncio.wait_for(session.run(SlowSensor()), 5.0)  # type: ignore[arg-type]

    result = asyncio.run(scenario())
    assert released == ["connect abandoned"]
    assert result.summary["ended"] == "quit" and result.path is not None
    recording = read_recording(result.path)
    assert recording.summary is not None and recording.summary["ended"] == "quit"


class _FullDisk:
    """A recording file on a disk that fills after ``budget`` characters."""

    def __init__(self, file: Any, budget: int) -> None:
        self._file = file
        self._left = budget

    def write(self, text: str) -> int:
        if len(text) > self._left:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(text)
        return int(self._file.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def test_a_full_disk_ends_the_session_with_one_line_and_keeps_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write error once escaped as a traceback, losing the summary and the history entry."""
    real_create = RecordingWriter.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[RecordingWriter], *args: Any, **kwargs: Any) -> RecordingWriter:
        writer = real_create(cls, *args, **kwargs)
        writer._file = _FullDisk(writer._file, 60_000)  # type: ignore[assignment]
        return writer

    monkeypatch.setattr(RecordingWriter, "create", classmethod(create))
    clock = FakeClock()
    session = LiveSession(
        SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=300.0),
        out_dir=tmp_path,
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=5), session, clock=clock, wall_clock=clock, realtime=False
    )
    result = asyncio.run(session.run(source))
    assert result.path is not None
    assert result.error == (
        f"{result.path}: cannot write the recording any more (No space left on device)"
    )
    assert 5.0 < result.summary["duration_s"] < 300.0  # ended when the disk filled
    kept = read_recording(result.path)  # what reached the disk reads as a cut-short session
    assert kept.truncated and len(kept.items) > 100
