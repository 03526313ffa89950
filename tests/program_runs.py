"""Running a program in-process on the simulated person, as ``live --program --headless`` does,
and replaying its recording: shared by the program, strain and resonance tests."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from devices.packets import NS_PER_S, RawPacket
from devices.sensorless import SensorlessSource
from devices.sim import PersonModel, SimulatedSource
from devices.source import LinkEvent, PacketSource, SourceInfo
from trainer.coaching.pacer import BreathPattern
from trainer.programs.model import Cue, Paced, Program, Step
from trainer.session.events import Event
from trainer.session.live_replay import LiveSession, ReplaySession, SessionPlan, SessionResult
from trainer.session.pipeline import Pipeline
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import Item, read_recording
from trainer.ui.headless import format_summary, line_printer

START_NS = 50 * NS_PER_S


class FakeClock:
    """A frozen host clock: the simulated source runs ahead as fast as it can."""

    def __init__(self) -> None:
        self.ns = START_NS

    def __call__(self) -> int:
        return self.ns


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def record_sensorless(folder: Path, duration_s: float = 5.0) -> Path:
    """A ``--device none`` session of ``duration_s`` recorded into ``folder`` on the frozen
    clock (its timer ticking 0.25 s at a time); the recording's path."""
    clock = FakeClock()

    async def tick(_: float) -> None:
        clock.ns += NS_PER_S // 4
        await asyncio.sleep(0)

    plan = SessionPlan(None, duration_s=duration_s)
    session = LiveSession(plan, out_dir=folder, clock_ns=clock, wall_ns=clock, sleep=tick)
    result = asyncio.run(session.run(SensorlessSource()))
    assert result.path is not None
    return result.path


class ProcessingBug:
    """``Pipeline.handle`` that fails once it has been given ``after`` items: a stand-in for a
    bug in the processing. Counts its calls, failed or not."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.items = 0
        self.calls = 0
        self._handle = Pipeline.handle

    def installed(self, monkeypatch: pytest.MonkeyPatch) -> ProcessingBug:
        """This, as ``Pipeline.handle`` for the rest of the test."""
        monkeypatch.setattr(Pipeline, "handle", lambda pipeline, items: self(pipeline, items))
        return self

    def __call__(self, pipeline: Pipeline, items: Sequence[Item]) -> list[Event]:
        self.calls += 1
        self.items += len(items)
        if self.items > self.after:
            raise ZeroDivisionError("float division by zero")
        return self._handle(pipeline, items)


class SleepAdvances:
    """The session timer's sleep, moving the frozen host clock on by what it sleeps."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.ns += round(seconds * NS_PER_S)
        await asyncio.sleep(0)


class KeyedSource:
    """A simulated source that presses keys at given session seconds: ``p`` (pause or resume)
    and ``n`` (next step).

    Before yielding the first item at or after each instant, it sets the frozen host clock to
    that instant and calls the key's action on the session, as a person pressing it then
    would. Session time 0 is ``start_ns`` on the host clock. With ``limit_s``, the sensor stops
    after that many session seconds: a session that would never end (a pause never resumed)
    fails its test instead of hanging it.
    """

    def __init__(
        self,
        inner: SimulatedSource,
        session: LiveSession,
        clock: FakeClock,
        keys: Sequence[tuple[float, str]],
        *,
        start_ns: int = START_NS,
        limit_s: float | None = None,
    ) -> None:
        self.inner = inner
        self.info: SourceInfo = inner.info
        self._actions: dict[str, Callable[[], None]] = {
            "p": session.toggle_pause,
            "n": session.next_step,
        }
        self._clock = clock
        self._keys = sorted((start_ns + round(t * NS_PER_S), key) for t, key in keys)
        self._limit_ns = None if limit_s is None else start_ns + round(limit_s * NS_PER_S)

    async def __aenter__(self) -> KeyedSource:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        async for item in self.inner.packets():
            if self._limit_ns is not None and item.t_mono_ns > self._limit_ns:
                return
            while self._keys and item.t_mono_ns >= self._keys[0][0]:
                at_ns, key = self._keys.pop(0)
                self._clock.ns = at_ns
                self._actions[key]()
            yield item


class PausingSource(KeyedSource):
    """A :class:`KeyedSource` that presses ``p`` at each of ``at_s`` (session seconds)."""

    def __init__(
        self,
        inner: SimulatedSource,
        session: LiveSession,
        clock: FakeClock,
        at_s: Sequence[float],
        *,
        start_ns: int = START_NS,
        limit_s: float | None = None,
    ) -> None:
        keys = [(t, "p") for t in at_s]
        super().__init__(inner, session, clock, keys, start_ns=start_ns, limit_s=limit_s)


@dataclass
class ProgramRun:
    session: LiveSession
    result: SessionResult
    events: list[Event]
    lines: list[str]
    path: Path


SourceWrap = Callable[[SimulatedSource, LiveSession, FakeClock], PacketSource]
"""Puts a test double around the simulated sensor (given the session and its clock)."""


def run_live(
    out_dir: Path, plan: SessionPlan, *, person: PersonModel, wrap: SourceWrap | None = None
) -> ProgramRun:
    """A whole live session of ``plan`` on the simulator (inside ``wrap``, if given) on a frozen
    clock, its headless lines and recording."""
    clock = FakeClock()
    out = io.StringIO()
    events: list[Event] = []
    session = LiveSession(
        plan,
        out_dir=out_dir,
        listeners=[line_printer(out), events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=no_sleep,
    )
    sim = SimulatedSource(person, session, clock=clock, wall_clock=clock, realtime=False)
    source = sim if wrap is None else wrap(sim, session, clock)
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None
    lines = [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]
    return ProgramRun(session, result, events, lines, result.path)


def run_program(
    out_dir: Path,
    program: Program,
    *,
    person: PersonModel,
    personal_rate_bpm: float | None = None,
    duration_s: float | None = None,
) -> ProgramRun:
    """A whole live session of ``program`` on the simulator, its headless lines and recording."""
    plan = SessionPlan(
        None,
        duration_s=program.total_duration_s if duration_s is None else duration_s,
        settings={"device": ["sim"]},
        program=ProgramPlan(program, personal_rate_bpm=personal_rate_bpm),
    )
    return run_live(out_dir, plan, person=person)


def record_paced(out_dir: Path, duration_s: float, seed: int) -> Path:
    """A live session paced at 6/min, 2:1, on the simulated person (``seed``), recorded to
    ``out_dir`` as ``breathwise live`` records it: its closing record holds the whole
    summary, packet counts included. Returns the recording."""
    clock = FakeClock()
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=duration_s)
    session = LiveSession(plan, out_dir=out_dir, clock_ns=clock, wall_ns=clock, sleep=no_sleep)
    source = SimulatedSource(
        PersonModel(seed=seed), session, clock=clock, wall_clock=clock, realtime=False
    )
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None
    return result.path


def replay_lines(path: Path) -> list[str]:
    """What ``breathwise replay FILE --headless --speed max`` prints."""
    out = io.StringIO()
    session = ReplaySession(read_recording(path), speed=None, listeners=[line_printer(out)])
    result = asyncio.run(session.run())
    return [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]


def compressed(program: Program, total_s: float) -> Program:
    """``program`` with every step, repetition, cue and slowing stage scaled to ``total_s``.

    Pacer patterns keep their own seconds: only the program's clock runs faster, so every
    step, side, repetition and cue still happens, in a test that takes a fraction of a second.
    """
    factor = total_s / program.total_duration_s

    def step(s: Step) -> Step:
        breathing = s.breathing
        if isinstance(breathing, Paced):
            breathing = replace(breathing, change_every_s=breathing.change_every_s * factor)
        return replace(
            s,
            breathing=breathing,
            duration_s=None if s.duration_s is None else s.duration_s * factor,
            repetition_s=None if s.repetition_s is None else s.repetition_s * factor,
            cues=tuple(Cue(c.at_s * factor, c.text) for c in s.cues),
        )

    return replace(program, steps=tuple(step(s) for s in program.steps))
