"""Running a program in-process on the simulated person, as ``live --program --headless`` does,
and replaying its recording: shared by the program, strain and resonance tests."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, replace
from pathlib import Path

from devices.sim import PersonModel, SimulatedSource
from trainer.headless import format_summary, line_printer
from trainer.pipeline import NS_PER_S, Event
from trainer.program_codec import ProgramPlan
from trainer.programs.model import Cue, Paced, Program, Step
from trainer.recording import read_recording
from trainer.session import LiveSession, ReplaySession, SessionPlan, SessionResult

START_NS = 50 * NS_PER_S


class FakeClock:
    """A frozen host clock: the simulated source runs ahead as fast as it can."""

    def __init__(self) -> None:
        self.ns = START_NS

    def __call__(self) -> int:
        return self.ns


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@dataclass
class ProgramRun:
    session: LiveSession
    result: SessionResult
    events: list[Event]
    lines: list[str]
    path: Path


def run_program(
    out_dir: Path,
    program: Program,
    *,
    person: PersonModel,
    personal_rate_bpm: float | None = None,
    duration_s: float | None = None,
) -> ProgramRun:
    """A whole live session of ``program`` on the simulator, its headless lines and recording."""
    clock = FakeClock()
    out = io.StringIO()
    events: list[Event] = []
    plan = SessionPlan(
        None,
        duration_s=program.total_duration_s if duration_s is None else duration_s,
        settings={"device": ["sim"]},
        program=ProgramPlan(program, personal_rate_bpm=personal_rate_bpm),
    )
    session = LiveSession(
        plan,
        out_dir=out_dir,
        listeners=[line_printer(out), events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=no_sleep,
    )
    source = SimulatedSource(person, session, clock=clock, wall_clock=clock, realtime=False)
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None
    lines = [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]
    return ProgramRun(session, result, events, lines, result.path)


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
