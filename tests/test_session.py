"""Sessions end to end in-process: simulated person -> live session -> recording -> replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from connect_doubles import NeverConnects, SlowConnect
from full_disk import FullDisk
from program_runs import ProcessingBug, compressed, run_live
from simulated_sessions import simulated_items

from devices.packets import NS_PER_S, RawPacket, Stream
from devices.polar_pmd import MeasurementType, encode_frame
from devices.sim import PersonModel, SimulatedSource
from devices.source import LinkEvent, PacketSource, SourceInfo
from trainer.coaching.pacer import BreathPattern
from trainer.programs import load_catalog
from trainer.session.events import BeltEvent, BreathEvent, BreathRateEvent, Event, StatusEvent
from trainer.session.live_replay import (
    PROCESSING_ADVICE,
    Listener,
    LiveSession,
    ReplaySession,
    SessionPlan,
    SessionResult,
)
from trainer.session.pipeline import Pipeline
from trainer.storage.program_codec import PLAN_KEY, ProgramPlan, plan_to_json
from trainer.storage.recording import (
    Header,
    Item,
    Mark,
    PacerChange,
    RecordingWriter,
    read_recording,
)

START_NS = 50 * NS_PER_S


class FakeClock:
    """A frozen host clock: the simulated source runs ahead as fast as it can."""

    def __init__(self) -> None:
        self.ns = START_NS

    def __call__(self) -> int:
        return self.ns


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def _run_simulated(
    tmp_path: Path,
    plan: SessionPlan,
    *,
    seed: int,
    listeners: Sequence[Listener] = (),
    drop: tuple[float, float] | None = None,
) -> tuple[LiveSession, SessionResult]:
    """A live session of ``plan`` on the simulated person, as fast as it runs (a fake clock)."""
    clock = FakeClock()
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=listeners,
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=seed), session, clock=clock, wall_clock=clock, realtime=False
    )
    if drop is not None:
        source.drop_link(*drop)
    return session, asyncio.run(session.run(source))


def _live(
    tmp_path: Path,
    minutes: float,
    *,
    rate: float = 6.0,
    ratio: float = 2.0,
    seed: int = 5,
    drop: tuple[float, float] | None = None,
) -> tuple[LiveSession, list[Event], Path]:
    events: list[Event] = []
    plan = SessionPlan(
        BreathPattern.from_rate(rate, ratio), duration_s=minutes * 60, settings={"t": 1}
    )
    session, result = _run_simulated(
        tmp_path, plan, seed=seed, listeners=[events.extend], drop=drop
    )
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


STRAP = {"kind": "ble", "name": "HRM-Pro", "address": "C0:FF:EE:00:00:01", "streams": ["hr"]}
BELT = {"kind": "ble", "name": "GDX-RB", "address": "F4:60:77:00:00:03", "streams": ["gdx"]}
DAMAGED_AT_S = 10.0
"""Session seconds after which the first belt packet cannot be read (:class:`_SilentStrap`)."""


class _SilentStrap:
    """The simulated sensor as a belt beside a strap that connected but sends nothing, the
    first of whose packets after :data:`DAMAGED_AT_S` cannot be read: the status lines that
    were printed in another order by ``replay --speed max`` (found in review)."""

    def __init__(self, inner: PacketSource) -> None:
        self.inner = inner
        self.info = replace(inner.info, kind="ble", details={"sources": [STRAP, BELT]})

    async def __aenter__(self) -> _SilentStrap:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        damaged = False
        async for item in self.inner.packets():
            if isinstance(item, RawPacket) and item.stream == Stream.HEART_RATE:
                continue
            late = item.t_mono_ns - START_NS > DAMAGED_AT_S * NS_PER_S
            if not damaged and late and isinstance(item, RawPacket):
                damaged = True
                item = replace(item, payload=bytes([0x20, 3, 0]))
            yield item


def _live_silent_strap(out_dir: Path, plan: SessionPlan) -> tuple[LiveSession, list[Event], Path]:
    """A live session of ``plan`` on a belt beside a silent strap, with a malformed packet."""
    run = run_live(
        out_dir, plan, person=PersonModel(seed=5), wrap=lambda sim, _, __: _SilentStrap(sim)
    )
    said = [e.message for e in run.events if isinstance(e, StatusEvent)]
    assert any("sends no data" in m for m in said) and any("malformed" in m for m in said)
    return run.session, run.events, run.path


@pytest.fixture(scope="module")
def statuses(tmp_path_factory: pytest.TempPathFactory) -> tuple[LiveSession, list[Event], Path]:
    """Breathing at 15/min: two breaths come before the status lines at 10 s."""
    plan = SessionPlan(BreathPattern.from_rate(15.0, 1.0), duration_s=40.0)
    return _live_silent_strap(tmp_path_factory.mktemp("statuses"), plan)


@pytest.fixture(scope="module")
def program_with_statuses(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LiveSession, list[Event], Path]:
    """A program's steps, repetitions and cues said between belt packets."""
    program = compressed(load_catalog().get("back-release"), 150.0)
    plan = SessionPlan(None, duration_s=150.0, program=ProgramPlan(program))
    return _live_silent_strap(tmp_path_factory.mktemp("program"), plan)


def _in_order(events: Sequence[Event]) -> list[str]:
    """Every event but the belt's raw samples, in order, as text (repr: a NaN in a breath's
    feedback is unequal to itself). Merged belt packets come as one :class:`BeltEvent` per
    call, one by one as one per packet: their samples are compared joined (:func:`_belt`)."""
    return [repr(e) for e in events if not isinstance(e, BeltEvent)]


def _belt(events: Sequence[Event]) -> np.ndarray:
    """The belt samples of ``events``, joined, each preceded by its time (s)."""
    chunks = [
        np.stack([e.t0_s + np.arange(e.values.size) / e.fs_hz, e.values])
        for e in events
        if isinstance(e, BeltEvent)
    ]
    return np.concatenate(chunks, axis=1) if chunks else np.empty((2, 0))


def assert_same_events(got: Sequence[Event], expected: Sequence[Event]) -> None:
    """The same events in the same order: status lines, program steps, marks and pacer changes
    as well as breaths (the order is what a headless session and its replay print)."""
    assert _in_order(got) == _in_order(expected)
    got_belt, expected_belt = _belt(got), _belt(expected)
    # Times from another start sample differ by float rounding (1e-14 s); samples not at all.
    np.testing.assert_allclose(got_belt[0], expected_belt[0], rtol=0.0, atol=1e-9)
    np.testing.assert_array_equal(got_belt[1], expected_belt[1])


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


@pytest.mark.parametrize("live", ["three_minutes", "statuses", "program_with_statuses"])
def test_replay_reproduces_the_live_events_exactly(
    live: str, request: pytest.FixtureRequest
) -> None:
    """``replay --speed max`` (4096 items at a time) gives every event the live session gave
    (one item at a time), in the same order: it prints what the session printed."""
    _, events, path = request.getfixturevalue(live)
    recording = read_recording(path)
    assert recording.summary is not None
    replayed: list[Event] = []
    result = asyncio.run(ReplaySession(recording, speed=None, listeners=[replayed.extend]).run())
    # repr: NaN feedback values (no pacer onset nearby) compare unequal to themselves.
    assert repr(_breathing(replayed)) == repr(_breathing(events))
    assert_same_events(replayed, events)
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
    all_singly = [e for item in recording.items for e in one.handle((item,))]
    all_batched = Pipeline(recording.header).handle(recording.items)
    assert_same_events(all_batched, all_singly)
    singly, batched = _breathing(all_singly), _breathing(all_batched)
    assert repr(singly) == repr(batched)
    assert len(_breaths(singly)) > 10
    # Every breath is followed by the selector's answer; the heart rhythm adds its own.
    assert len(singly) - len(_breaths(singly)) > len(_breaths(singly))


def _belt_alone(items: list[Item]) -> list[Item]:
    """The items without the strap's packets: only the belt streams (nothing then ends a run
    of belt packets held for one update but a pacer change, a mark or a link event)."""
    return [i for i in items if not (isinstance(i, RawPacket) and i.stream == Stream.HEART_RATE)]


def _silent_strap() -> tuple[Header, list[Item], str]:
    """A strap that connected beside the belt but sends nothing (found in review)."""
    header, items, _ = simulated_items(40.0, rate_bpm=15.0, ratio=1.0)
    strap = {"kind": "ble", "name": "HRM-Pro", "address": "C0:FF:EE:00:00:01", "streams": ["hr"]}
    belt = {"kind": "ble", "name": "GDX-RB", "address": "F4:60:77:00:00:03", "streams": ["gdx"]}
    source = replace(header.source, kind="ble", details={"sources": [strap, belt]})
    return replace(header, source=source), _belt_alone(items), "connected but sends no data"


def _malformed_belt_packet() -> tuple[Header, list[Item], str]:
    """A belt alone, one of whose packets 10 s in cannot be read (found in review)."""
    header, items, _ = simulated_items(40.0, rate_bpm=15.0, ratio=1.0)
    items = _belt_alone(items)
    k, packet = next(
        (k, item)
        for k, item in enumerate(items)
        if isinstance(item, RawPacket) and item.t_mono_ns - header.start_mono_ns > 10 * NS_PER_S
    )
    items[k] = replace(packet, payload=bytes([0x20, 3, 0]))
    return header, items, "ignored a malformed gdx packet"


def _belt_rate_off() -> tuple[Header, list[Item], str]:
    """A belt sending 20 samples/s under a header that says 16.7: after two 20 s stretches the
    analysis goes over to the measured rate, and says so. Breathing at 30/min, breaths are
    found meanwhile, between the restarts of the tracker a sample count falling behind makes."""
    header, items, _ = simulated_items(100.0, rate_bpm=30.0, ratio=1.0)
    streams = dict(header.source.streams)
    streams[Stream.GODIRECT.value] = {**streams[Stream.GODIRECT.value], "period_us": 60_000}
    source = replace(header.source, streams=streams)
    return replace(header, source=source), _belt_alone(items), "belt samples arrived at 20.0 Hz"


def _program() -> tuple[Header, list[Item], str]:
    """A program's steps, repetitions and cues, said between belt packets."""
    program = compressed(load_catalog().get("back-release"), 150.0)
    header, items, _ = simulated_items(150.0, rate_bpm=6.0, ratio=1.5)
    settings = {**header.settings, PLAN_KEY: plan_to_json(ProgramPlan(program))}
    return replace(header, settings=settings), _belt_alone(items), "ProgramEvent("


@pytest.mark.parametrize(
    "case",
    [_silent_strap, _malformed_belt_packet, _belt_rate_off, _program],
    ids=lambda c: c.__name__,
)
def test_every_event_comes_in_the_same_order_however_items_are_batched(
    case: Callable[[], tuple[Header, list[Item], str]],
) -> None:
    """A status line (a silent sensor, a malformed packet, the belt's rate) or a program's step
    added while belt samples were held for one update came before the breaths those samples
    confirmed when the items were handled together (``replay --speed max``), after them when
    handled one by one (live, a timed replay): the two printed different lines."""
    header, items, said = case()
    one = Pipeline(header)
    singly = [e for item in items for e in one.handle((item,))]
    batched = Pipeline(header).handle(items)
    assert_same_events(batched, singly)
    order = _in_order(singly)
    # The event comes after a breath: one a batch of all the items could have held back.
    first_breath = next(k for k, text in enumerate(order) if text.startswith("BreathEvent("))
    assert any(said in text for text in order[first_breath:])


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
        while not session.started:  # the session starts once the source is connected
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
    for it (found in review). The connect is abandoned and released; nothing was recorded, so
    no recording is left behind (it once held a header alone, for the person to delete)."""
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
    assert result.summary["ended"] == "quit" and result.path is None
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_ends_the_session_with_one_line_and_keeps_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write error once escaped as a traceback, losing the summary and the history entry."""
    real_create = RecordingWriter.create.__func__  # type: ignore[attr-defined]

    def create(cls: type[RecordingWriter], *args: Any, **kwargs: Any) -> RecordingWriter:
        writer: RecordingWriter = real_create(cls, *args, **kwargs)
        writer._file = FullDisk(writer._file, 60_000)  # type: ignore[assignment]
        return writer

    monkeypatch.setattr(RecordingWriter, "create", classmethod(create))
    _, result = _run_simulated(
        tmp_path, SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=300.0), seed=5
    )
    assert result.path is not None
    assert result.error == (
        f"{result.path}: cannot write the recording any more (No space left on device)"
    )
    assert 5.0 < result.summary["duration_s"] < 300.0  # ended when the disk filled
    kept = read_recording(result.path)  # what reached the disk reads as a cut-short session
    assert kept.truncated and len(kept.items) > 100


def test_a_processing_error_stops_the_session_and_keeps_its_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a processing exception ended the session with a traceback, the sensor's
    data from then on unrecorded, and the recording closed as "completed" (38 s of a 120 s
    session). Now the session stops there with one line, every item it took recorded, the
    pipeline never called again, and the recording closed with the error."""
    bug = ProcessingBug(800).installed(monkeypatch)
    events: list[Event] = []
    session, result = _run_simulated(
        tmp_path,
        SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=120.0),
        seed=1,
        listeners=[events.extend],
    )
    assert bug.calls == 801  # the failed call the last: nothing processed after it
    assert result.error is not None and result.path is not None
    assert result.error == session.processing_failed
    assert result.error.startswith("processing failed ")
    assert "(ZeroDivisionError: float division by zero), so the session was stopped — " in (
        result.error
    )
    assert result.error.endswith(f" — {PROCESSING_ADVICE}")
    assert result.summary["ended"] == f"error: {result.error}"
    assert 0.0 < result.summary["duration_s"] < 120.0
    assert any(isinstance(e, BreathEvent) for e in events)  # what came before it was shown
    kept = read_recording(result.path)
    assert not kept.truncated and kept.ended == f"error: {result.error}"
    # Recorded before it was processed: the item that failed, and those that came meanwhile.
    assert len(kept.items) >= bug.items
    assert kept.summary is not None and kept.summary["breaths"] > 0


def test_a_processing_error_at_the_end_is_no_completed_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing summary failing too (the pipeline's state is unknown after a bug): the
    recording still closes, with the duration and the error, not as "completed"."""

    def broken(self: Pipeline, end_t_s: float | None = None) -> dict[str, Any]:
        raise KeyError("heart")

    monkeypatch.setattr(Pipeline, "summary", broken)
    _, result = _run_simulated(
        tmp_path, SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=30.0), seed=1
    )
    assert result.error is not None and result.path is not None
    assert "(KeyError: 'heart'), so the session was stopped" in result.error
    kept = read_recording(result.path)
    assert kept.summary is not None and "breaths" not in kept.summary
    assert kept.summary["duration_s"] == 30.0 and kept.ended == f"error: {result.error}"
    assert kept.ended.startswith("error: processing failed 30.0 s into the session")


class _SourceWithABug:
    """``inner``, whose packets end with a bug in the source's own code after ``items``."""

    def __init__(self, inner: SimulatedSource, items: int) -> None:
        self.inner = inner
        self.info = inner.info
        self._items = items

    async def __aenter__(self) -> _SourceWithABug:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        count = 0
        async for item in self.inner.packets():
            yield item
            count += 1
            if count == self._items:
                raise AttributeError("'NoneType' object has no attribute 'start_notify'")


def test_a_bug_in_the_source_is_raised_and_no_completed_session(tmp_path: Path) -> None:
    """A bug in a sensor's code (review 38 F1: one in a BLE reconnect now reaches the session
    at once) goes on to the command's handler of bugs; the recording closed with what came
    before it, as "completed" before: now with the error."""
    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=120.0)
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=_no_sleep)
    source = SimulatedSource(
        PersonModel(seed=1), session, clock=clock, wall_clock=clock, realtime=False
    )
    with pytest.raises(AttributeError, match="start_notify"):
        asyncio.run(session.run(_SourceWithABug(source, 500)))
    (path,) = tmp_path.glob("*.bwr")
    kept = read_recording(path)
    assert not kept.truncated and len(kept.items) >= 500
    assert kept.ended == (
        "error: internal error: AttributeError: 'NoneType' object has no attribute 'start_notify'"
    )
    assert kept.summary is not None and 0.0 < kept.summary["duration_s"] < 120.0


CONNECT_S = 8.0
"""How long the slow sensor below takes to be found and connected, s."""


class _SlowToConnect(SlowConnect):
    """The simulated sensor behind a scan and connect that take ``CONNECT_S`` on the host clock
    (a fake one here, where :class:`SlowConnect` waits real seconds), as a real strap does; it
    notes what the session's clock said meanwhile."""

    def __init__(self, inner: SimulatedSource, clock: FakeClock, session: LiveSession) -> None:
        super().__init__(inner, 0.0)
        self._clock = clock
        self._session = session
        self.now_while_connecting: list[float] = []

    async def __aenter__(self) -> _SlowToConnect:
        self.now_while_connecting.append(self._session.now_s())
        self._clock.ns += int(CONNECT_S * NS_PER_S)
        self.now_while_connecting.append(self._session.now_s())
        await self.inner.__aenter__()
        return self


def test_the_session_clock_starts_when_the_sensor_is_connected(tmp_path: Path) -> None:
    """Found in review: the start was taken before the scan and connect, so an 8 s connect left
    52 s of a 1-minute session measured and the pacer 8 s ahead of the first breath. The clock
    now starts once the sensor streams: a full minute of data, the first pacer change and the
    sound at session time 0."""
    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=60.0)
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=_no_sleep)
    inner = SimulatedSource(
        PersonModel(seed=4), session, clock=clock, wall_clock=clock, realtime=False
    )
    source = _SlowToConnect(inner, clock, session)
    result = asyncio.run(session.run(source))
    connected_ns = START_NS + int(CONNECT_S * NS_PER_S)

    assert source.now_while_connecting == [0.0, 0.0]  # the screen's clock waits too
    assert result.path is not None and result.summary["duration_s"] == 60.0
    assert result.summary["minutes_practised"] == 1.0
    recording = read_recording(result.path)
    assert recording.header.start_mono_ns == connected_ns
    first_change = next(i for i in recording.items if isinstance(i, PacerChange))
    assert first_change.t_mono_ns == connected_ns
    packets = [i.t_mono_ns for i in recording.packets]
    # Sensor data over the whole planned minute (52 s of it before).
    assert (packets[0] - connected_ns) / NS_PER_S < 0.1
    assert (packets[-1] - connected_ns) / NS_PER_S > 59.5


def test_the_start_hook_runs_once_the_sensor_is_connected(tmp_path: Path) -> None:
    """What starts the pacer sound: called once, at session time 0 with the pacer running."""
    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=10.0)
    session = LiveSession(plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=_no_sleep)
    started_at: list[tuple[int, float, bool]] = []
    session.add_start_hook(
        lambda: started_at.append((clock.ns, session.now_s(), session.pacer_state(0.0) is not None))
    )
    inner = SimulatedSource(
        PersonModel(seed=4), session, clock=clock, wall_clock=clock, realtime=False
    )
    asyncio.run(session.run(_SlowToConnect(inner, clock, session)))
    assert started_at == [(START_NS + int(CONNECT_S * NS_PER_S), 0.0, True)]


def test_a_sensor_that_never_connects_leaves_an_empty_session(tmp_path: Path) -> None:
    """Stopped while still connecting: the half minute spent waiting is not practice."""
    clock = FakeClock()
    session = LiveSession(
        SessionPlan(BreathPattern(4.0, 6.0), 600.0),
        out_dir=tmp_path,
        clock_ns=clock,
        wall_ns=clock,
    )

    async def scenario() -> SessionResult:
        def quit_later() -> None:
            clock.ns += 30 * NS_PER_S  # half a minute spent waiting for the sensor
            session.stop("quit")

        asyncio.get_running_loop().call_later(0.05, quit_later)
        return await asyncio.wait_for(session.run(NeverConnects()), 5.0)  # type: ignore[arg-type]

    result = asyncio.run(scenario())
    assert result.summary["ended"] == "quit" and result.summary["duration_s"] == 0.0
    assert result.summary["minutes_practised"] == 0.0


@pytest.mark.parametrize("what", ["moved", "deleted"])
def test_a_recording_moved_or_deleted_while_the_session_runs_is_not_said_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """'mv rec/*.bwr moved/' during a session: it said "recording saved: PATH", then "not added
    to the history: ... no such file"."""
    from trainer.cli import session as session_cli

    clock = FakeClock()
    session = LiveSession(
        SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=30.0),
        out_dir=tmp_path / "rec",
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    (tmp_path / "moved").mkdir()

    def displace(_: Sequence[Event]) -> None:
        assert session.writer is not None
        path = session.writer.path
        if path.exists():
            if what == "moved":
                path.rename(tmp_path / "moved" / path.name)
            else:
                path.unlink()

    session.add_listener(displace)
    source = SimulatedSource(
        PersonModel(seed=5), session, clock=clock, wall_clock=clock, realtime=False
    )
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None
    said = "moved" if what == "moved" else "removed from its folder"
    assert result.displaced.startswith(f"{result.path}: the recording was {said} while")
    added: list[Path] = []

    def add(path: Path) -> tuple[str | None, bool]:
        added.append(path)
        return None, False

    monkeypatch.setattr(session_cli, "_add_to_history", add)
    settled = session_cli._settle(result)
    assert not any("recording saved" in line for line in settled.lines)
    assert f"note: {result.displaced}" in settled.lines
    assert "recording moved or deleted" in settled.status
    assert added == []  # nothing to add from a path that names nothing
    if what == "moved":
        assert read_recording(tmp_path / "moved" / result.path.name).summary is not None


class _ChestAccelerometer:
    """A Polar H10 sending only its accelerometer, lying on a chest that breathes at 6.5
    breaths/min with 1.5 degrees of tilt: one PMD ACC frame a second, stamped as they arrive."""

    FS_HZ = 50

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.info = SourceInfo(
            "ble",
            "Polar H10 (test)",
            streams={
                Stream.PMD_DATA.value: {
                    "acc": {"fs_hz": float(self.FS_HZ), "resolution_bits": 16, "factor": 1.0}
                }
            },
        )
        self._clock = clock
        self._seconds = seconds

    async def __aenter__(self) -> _ChestAccelerometer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        start_ns = self._clock()
        rng = np.random.default_rng(3)
        t = np.arange(round(self._seconds * self.FS_HZ)) / self.FS_HZ
        g = np.array([0.1, -0.95, 0.3]) / np.linalg.norm([0.1, -0.95, 0.3])
        side = np.cross(g, [1.0, 0.0, 0.0])
        side /= np.linalg.norm(side)
        tilt = np.deg2rad(1.5) * 0.5 * (1 - np.cos(2 * np.pi * t * 6.5 / 60.0))
        xyz = 1000.0 * (np.cos(tilt)[:, None] * g + np.sin(tilt)[:, None] * side)
        samples = np.round(xyz + rng.normal(0.0, 2.0, xyz.shape)).astype("<i2")
        for k in range(samples.shape[0] // self.FS_HZ):
            sensor_ns = 599_618_164_814_402_794 + (k + 1) * NS_PER_S
            frame = samples[k * self.FS_HZ : (k + 1) * self.FS_HZ].tobytes()
            payload = encode_frame(MeasurementType.ACC, sensor_ns, 1, frame)
            # Arrival a few ms after the frame's last sample, jittered as a BLE link does.
            self._clock.ns = start_ns + (k + 1) * NS_PER_S + int(rng.integers(2, 40)) * 10**6
            yield RawPacket(self._clock.ns, self._clock.ns, Stream.PMD_DATA.value, payload)
            await asyncio.sleep(0)


def test_replay_of_a_chest_accelerometer_session_reproduces_it_exactly(tmp_path: Path) -> None:
    """The design's promise for the accelerometer (the simulated person wears a belt, not a
    Polar H10): a live session recorded from PMD ACC frames replays to the same breaths, rate
    answers and summary, so a replay that differs is an analysis change, never the replay."""
    clock = FakeClock()
    live_events: list[Event] = []
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=150.0)
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=[live_events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=_no_sleep,
    )
    result = asyncio.run(session.run(_ChestAccelerometer(clock, 160.0)))
    assert result.path is not None and result.error is None
    recording = read_recording(result.path)
    assert recording.summary is not None and recording.summary["breath_source"] == "acc"
    assert len(_breaths(live_events)) >= 10
    replayed: list[Event] = []
    again = asyncio.run(ReplaySession(recording, speed=None, listeners=[replayed.extend]).run())
    assert repr(_breathing(replayed)) == repr(_breathing(live_events))
    live_summary, replay_summary = dict(recording.summary), dict(again.summary)
    live_summary.pop("ended")
    replay_summary.pop("ended")
    assert replay_summary == live_summary
