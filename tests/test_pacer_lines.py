"""``--pacer-lines``: the pacer said as a line at each phase, live and in replay (review 29 F3).

Headless output had no pacer at all: a screen-reader or braille user, or anyone on a shell
without sound, had nothing to breathe along to. The sessions here run on a fake host clock that
every sleep moves on (the timer's and the simulated sensor's), so a live session's timer really
runs, and its lines are compared with its replay's.
"""

from __future__ import annotations

import asyncio
import io
import random
import re
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path

import pytest
from program_runs import compressed

from devices.packets import NS_PER_S
from devices.sensorless import SensorlessSource
from devices.sim import PersonModel, SimulatedSource
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.coaching.pacer import BreathPattern, Pacer, Phase
from trainer.programs.catalog import load_catalog
from trainer.session.events import Event, PacerEvent, PhaseEvent, ProgramEvent
from trainer.session.live_replay import CUE_SETTLE_NS, LiveSession, ReplaySession, SessionPlan
from trainer.session.pipeline import Pipeline
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import Recording, read_recording
from trainer.ui.headless import PHASE_WORDS, format_phase, line_printer

START_NS = 50 * NS_PER_S
SETTLE_S = CUE_SETTLE_NS / NS_PER_S
PHASE_LINE = re.compile(r"^(in|hold|out|rest) \d+\.\d s  at +\d+\.\d s$")


def _cues(pacer: Pacer, after_s: float, n: int) -> list[tuple[float, str, float]]:
    return [
        (round(c.t_s, 3), c.phase.value, round(c.left_s, 3))
        for c in islice(pacer.phase_cues(after_s), n)
    ]


# -- the pacer's cues ----------------------------------------------------------------------


def test_each_phase_that_lasts_is_a_cue_with_its_length() -> None:
    pacer = Pacer(BreathPattern(inhale_s=4.0, exhale_s=8.0, hold_in_s=2.0, hold_out_s=1.0))
    assert _cues(pacer, -1.0, 5) == [
        (0.0, "inhale", 4.0),
        (4.0, "hold_in", 2.0),
        (6.0, "exhale", 8.0),
        (14.0, "hold_out", 1.0),
        (15.0, "inhale", 4.0),
    ]
    # No hold of 0 s: in and out alternate.
    plain = Pacer(BreathPattern.from_rate(6.0, 2.0), start_s=3.0)
    assert _cues(plain, 0.0, 3) == [
        (3.0, "inhale", 3.333),
        (6.333, "exhale", 6.667),
        (13.0, "inhale", 3.333),
    ]
    # Strictly after the time asked about.
    assert _cues(plain, 6.333333333333334, 1) == [(13.0, "inhale", 3.333)]


def test_a_pause_has_no_cue_and_the_resume_says_what_is_left() -> None:
    pacer = Pacer(BreathPattern(inhale_s=4.0, exhale_s=6.0))
    pacer.pause(6.0)  # 2 s into the out-breath
    pacer.resume(20.0)
    assert _cues(pacer, 0.0, 3) == [
        (4.0, "exhale", 6.0),
        (20.0, "exhale", 4.0),
        (24.0, "inhale", 4.0),
    ]


def test_a_session_paused_from_its_start_says_nothing_until_the_resume() -> None:
    pacer = Pacer(BreathPattern(inhale_s=4.0, exhale_s=6.0))
    pacer.pause(0.0)
    assert list(pacer.phase_cues(-1.0)) == []
    pacer.resume(5.0)
    assert _cues(pacer, -1.0, 2) == [(5.0, "inhale", 4.0), (9.0, "exhale", 6.0)]


def test_a_new_pace_inside_a_phase_says_what_is_left_and_the_same_pace_says_nothing() -> None:
    pacer = Pacer(BreathPattern(inhale_s=4.0, exhale_s=6.0))
    pacer.set_pattern(BreathPattern(inhale_s=4.0, exhale_s=6.0), 2.0)  # nothing new
    pacer.set_pattern(BreathPattern(inhale_s=5.0, exhale_s=10.0), 7.0)  # half the out-breath
    assert _cues(pacer, -1.0, 4) == [
        (0.0, "inhale", 4.0),
        (4.0, "exhale", 6.0),
        (7.0, "exhale", 5.0),
        (12.0, "inhale", 5.0),
    ]


def test_a_new_pace_on_a_phase_edge_is_one_cue_with_the_new_length() -> None:
    """A program's step of whole cycles changes the pace on an inhale onset, which a float sum
    of periods puts a rounding error either side of the old pattern's: one cue there, the new
    pattern's, not two."""
    old = BreathPattern.from_rate(5.5, 2.0)
    edge = old.period_s + old.period_s + old.period_s  # != 3 * period by an ulp
    pacer = Pacer(old)
    pacer.set_pattern(BreathPattern(inhale_s=4.0, exhale_s=8.0), edge)
    cues = [c for c in islice(pacer.phase_cues(edge - 1.0), 3)]
    assert [(c.phase, c.left_s) for c in cues] == [
        (Phase.INHALE, 4.0),
        (Phase.EXHALE, 8.0),
        (Phase.INHALE, 4.0),
    ]
    assert cues[0].t_s == edge


# -- the lines -----------------------------------------------------------------------------


def test_a_cue_is_one_short_line_naming_what_to_do_first() -> None:
    assert {PHASE_WORDS[p] for p in Phase} == {"in", "hold", "out", "rest"}
    event = PhaseEvent(12.0, Phase.INHALE, 4.0)
    assert format_phase(event) == "in 4.0 s  at    12.0 s"
    assert format_phase(PhaseEvent(31.42, Phase.HOLD_OUT, 1.25)) == "rest 1.2 s  at    31.4 s"


class _Ticking:
    """A host clock that every sleep moves on: the session's timer and the simulated sensor
    take turns, as in real time, in no time."""

    def __init__(self) -> None:
        self.ns = START_NS
        self.at: list[tuple[float, Callable[[], None]]] = []

    def __call__(self) -> int:
        return self.ns

    async def sleep(self, seconds: float) -> None:
        self.ns += max(1, round(seconds * NS_PER_S))
        # Keys pressed at their time: at the first wake-up past it.
        while self.at and (self.ns - START_NS) / NS_PER_S >= self.at[0][0]:
            self.at.pop(0)[1]()
        await asyncio.sleep(0)


def _live(
    tmp_path: Path,
    plan: SessionPlan,
    *,
    device: str = "none",
    pauses_at_s: Sequence[float] = (),
) -> tuple[str, list[tuple[float, Event]], Recording]:
    """A live session with pacer lines on the fake clock, on ``device`` (``none``, ``sim`` or
    ``sim-hr``, a strap alone that sends about once a second): its lines, each event with the
    session time it was said at, and its recording."""
    clock = _Ticking()
    out = io.StringIO()
    said: list[tuple[float, Event]] = []
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        clock_ns=clock,
        wall_ns=clock,
        sleep=clock.sleep,
        pacer_phases=True,
        listeners=[line_printer(out)],
    )
    session.add_listener(lambda events: said.extend((session.now_s(), e) for e in events))
    clock.at = [(t, session.toggle_pause) for t in pauses_at_s]
    source = (
        SensorlessSource()
        if device == "none"
        else SimulatedSource(
            PersonModel(seed=4),
            session,
            clock=clock,
            wall_clock=clock,
            sleep=clock.sleep,
            poll_s=0.02,
            belt=device == "sim",
        )
    )
    result = asyncio.run(session.run(source))
    assert result.path is not None and result.error is None, result
    return out.getvalue(), said, read_recording(result.path)


def _replayed(
    recording: Recording, *, timed: bool, phases: bool = True
) -> tuple[str, list[tuple[float, Event]]]:
    """A replay's lines, and each event with the replay's session time when it was said."""
    clock = [0.0]

    async def nap(seconds: float) -> None:
        clock[0] += seconds
        await asyncio.sleep(0)

    out = io.StringIO()
    said: list[tuple[float, Event]] = []
    replay = ReplaySession(
        recording,
        speed=1.0 if timed else None,
        clock=lambda: clock[0],
        sleep=nap,
        listeners=[line_printer(out)],
        pacer_phases=phases,
    )
    replay.add_listener(lambda events: said.extend((clock[0], e) for e in events))
    asyncio.run(replay.run())
    return out.getvalue(), said


def _lateness(said: list[tuple[float, Event]]) -> list[float]:
    return [round(t - e.t_s, 4) for t, e in said if isinstance(e, PhaseEvent)]


def test_with_no_sensor_each_phase_is_said_on_time_through_pauses_and_replays_the_same(
    tmp_path: Path,
) -> None:
    """``--device none --pacer-lines``: nothing but the timer drives the session, and each
    phase is said a settling tenth of a second after its time; a pause stops them, the resume
    says what is left of the phase. The replay prints the very lines, timed or at max speed,
    and without the option the same lines less the pacer's."""
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=40.0)
    live, said, recording = _live(tmp_path, plan, pauses_at_s=(13.0, 17.5))
    lines = live.splitlines()
    phases = [line for line in lines if PHASE_LINE.match(line)]
    assert phases[:3] == [
        "in 3.3 s  at     0.0 s",
        "out 6.7 s  at     3.3 s",
        "in 3.3 s  at    10.0 s",
    ]
    paused = next(i for i, line in enumerate(lines) if line.startswith("paused "))
    resumed = next(i for i, line in enumerate(lines) if line.startswith("resumed"))
    assert resumed == paused + 1  # nothing said while paused
    after = lines[resumed + 1]
    # 13 s is 3.0 s into the 3.3 s in-breath: what is left of it, at the resume.
    assert re.fullmatch(r"in 0\.[1-3] s  at +17\.[5-8] s", after), after
    assert after.split("at")[1] == lines[resumed].split("at")[1]
    assert lines[resumed + 2].startswith("out 6.7 s")
    # Said within the settling time and a few ms of each phase's time (a 0.25 s timer alone
    # would be up to 0.35 s late).
    late = _lateness(said)
    assert len(late) == len(phases) and all(SETTLE_S <= x <= SETTLE_S + 0.01 for x in late), late

    assert _replayed(recording, timed=False)[0] == live
    timed, timed_said = _replayed(recording, timed=True)
    assert timed == live
    assert all(0.0 <= x <= 0.01 for x in _lateness(timed_said)), _lateness(timed_said)
    without = _replayed(recording, timed=False, phases=False)[0]
    assert without.splitlines() == [line for line in lines if not PHASE_LINE.match(line)]


CATALOG = load_catalog()


@pytest.mark.parametrize("device", ["none", "sim", "sim-hr"])
def test_a_program_with_new_paces_pauses_and_cues_replays_the_lines_live_printed(
    tmp_path: Path, device: str
) -> None:
    """A program changes the pace at its steps and slowing stages, often inside a phase, and
    says its cues; with the sensor's packets, the timer's ticks and the program's events in
    between, each phase is said on time (a strap sends once a second) and live and replay
    print the same lines, the pacer's and the program's in the order of their times."""
    program = compressed(CATALOG.get("spine-body-scan"), 150.0)
    plan = SessionPlan(None, duration_s=150.0, program=ProgramPlan(program))
    live, said, recording = _live(tmp_path, plan, device=device, pauses_at_s=(31.0, 36.0))
    late = _lateness(said)
    # On the fake clock the sensor's 20 ms naps add to the timer's (in real time they overlap).
    assert late and all(0.0 <= x <= SETTLE_S + 0.02 + 0.01 for x in late), late
    events = [e for _, e in said]
    paces = {
        e.t_s: BreathPattern.from_dict(e.change.pattern)
        for e in events
        if isinstance(e, PacerEvent) and e.change.pattern is not None
    }
    # Some new pace (a slowing stage) lands inside a phase: what is left of it is said.
    assert any(
        isinstance(e, PhaseEvent)
        and e.t_s in paces
        and e.left_s < paces[e.t_s].duration_of(e.phase)
        for e in events
    )
    timed = [e for e in events if isinstance(e, PhaseEvent | ProgramEvent)]
    assert [e.t_s for e in timed] == sorted(e.t_s for e in timed)
    assert any(isinstance(e, ProgramEvent) for e in timed)
    assert _replayed(recording, timed=False)[0] == live
    assert _replayed(recording, timed=True)[0] == live
    if device == "sim":
        assert any(line.startswith("breath ") for line in live.splitlines())


def test_catch_ups_anywhere_between_the_items_do_not_change_the_lines(tmp_path: Path) -> None:
    """What makes live and replay agree: a live session says cues and program events at its
    timer's ticks too, a replay only at the items. Wherever the catch-ups fall, the lines are
    those of the items alone."""
    program = compressed(CATALOG.get("deep-breathing-4-8"), 90.0)
    plan = SessionPlan(None, duration_s=90.0, program=ProgramPlan(program))
    # No sensor: the items are the pacer changes alone, with long stretches between them.
    _, _, recording = _live(tmp_path, plan, pauses_at_s=(40.0, 44.0))
    end_ns = recording.end_mono_ns
    assert end_ns is not None

    def lines(rng: random.Random | None) -> str:
        out = io.StringIO()
        printer = line_printer(out)
        pipeline = Pipeline(recording.header, phases=True)
        before = recording.header.start_mono_ns
        for item in recording.items:
            if rng is not None and item.t_mono_ns > before:
                for _ in range(rng.randrange(40)):
                    printer(pipeline.catch_up(rng.randrange(before, item.t_mono_ns + 1)))
            printer(pipeline.handle((item,)))
            before = max(before, item.t_mono_ns)
        printer(pipeline.finish(end_ns))
        return out.getvalue()

    alone = lines(None)
    assert sum(bool(PHASE_LINE.match(line)) for line in alone.splitlines()) > 10
    assert "cue at" in alone
    for seed in range(3):
        assert lines(random.Random(seed)) == alone, seed


# -- the command line ----------------------------------------------------------------------


def test_the_note_says_when_nothing_paces_a_headless_session() -> None:
    def never() -> bool:
        raise AssertionError("not asked when the sound is off")

    off = session_cli.no_pacer_note(False, paced=True, players_found=never)
    assert off.startswith("note: no pacer to follow: the sound is off")
    assert "--pacer-lines" in off and "\n" not in off
    silent = session_cli.no_pacer_note(True, paced=True, players_found=lambda: False)
    assert "no sound output was found" in silent
    assert session_cli.no_pacer_note(True, paced=True, players_found=lambda: True) == ""
    # In the own rhythm alone there is no pacer to miss.
    assert session_cli.no_pacer_note(False, paced=False, players_found=never) == ""


def test_live_headless_without_sound_says_once_on_stderr_that_no_pacer_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, the only word was the "sound is off" notice, at the first session per data
    folder; ``--device none --headless`` then printed nothing between start and summary."""
    args = ["live", "--device", "none", "--minutes", "0.02", "--out", str(tmp_path)]
    for _ in range(2):  # every session, not the first one only
        assert run([*args, "--headless", "--no-sound"]) == 0
        out, err = capsys.readouterr()
        notes = [line for line in err.splitlines() if "no pacer to follow" in line]
        assert len(notes) == 1 and notes[0].startswith("note: ")
        assert "--pacer-lines" in notes[0] and "no pacer" not in out


def test_live_pacer_lines_prints_the_pacer_and_needs_no_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--pacer-lines`` alone runs without the screen, prints each phase, and ``replay
    --pacer-lines`` prints the same."""
    args = ["live", "--device", "none", "--rate", "20", "--ratio", "1", "--minutes", "0.1"]
    assert run([*args, "--pacer-lines", "--no-sound", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "no pacer to follow" not in err
    lines = out.splitlines()
    assert lines[:3] == [
        "in 1.5 s  at     0.0 s",
        "out 1.5 s  at     1.5 s",
        "in 1.5 s  at     3.0 s",
    ]
    assert lines[-1].startswith("summary: 6 s, no sensor")
    (path,) = tmp_path.glob("*.bwr")
    assert run(["replay", str(path), "--speed", "max", "--pacer-lines"]) == 0
    assert capsys.readouterr().out == out
