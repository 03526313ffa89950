"""The analysis revision moves with the analysis: a change that makes replays show other lines or
numbers fails here until ``trainer.ANALYSIS_REVISION`` is raised.

Without this the revision would be one more number to remember, and a recording's
``analysis_revision`` could name a revision whose analysis it was not analysed by: the replay
note (``breathwise replay``) would then blame "a fault" for a change nobody recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import replace
from pathlib import Path

from old_imports import old_import
from simulated_sessions import simulated_items, with_belt_force, write_items, write_simulated

from devices.packets import NS_PER_S, RawPacket, Stream
from devices.sim import PersonModel, SimulatedSensor
from trainer import ANALYSIS_REVISION
from trainer.coaching.pacer import BreathPattern, Pacer
from trainer.session.live_replay import ReplaySession
from trainer.storage.recording import PacerChange, read_recording
from trainer.ui.headless import format_summary, line_printer

REPO = Path(__file__).resolve().parents[1]

REPLAY_DIGESTS = {
    1: "856238408d13d50d",
    # Impossible heart values unreadable, shelved exhales keep their trough onset, the ACC axis
    # independent of column order (2026-12-06); the damaged strap joined the references here.
    2: "2efb0bc2d392fb05",
    # A strap alone judged for strain on the pace it reads from the heart rhythm (2026-12-06,
    # review 11 F4); the strap far faster than its pacer joined the references here.
    3: "c3cda8a46cd19e1b",
    # The coach settles into a new pace, backs off unanswered corrections and waits before the
    # opposite one (review 17 F2 F3 F6 F7 F8); held breaths said at once and as they were, no
    # cue but strain's on them, own-rhythm holds against the person's breath (F1 F10 F13), and
    # an eased pace returns only when the breathing is near it (F5); 2026-12-07. The
    # breath-holder joined the references here.
    4: "743d784c23315b30",
    # Breaths begun while settling into a new pace are not scored (2026-12-07).
    5: "3124d597f8d7df90",
    # A session's mean exhale:inhale ratio of its good breaths, when it has any (review 17 F4,
    # 2026-12-07).
    6: "84d6361be9d9e569",
    # A belt breath after a long pause ends at the next inhale, live too (review 28 F2); the
    # belt's first sample taken off before its low-pass (F9); the chest accelerometer measured
    # from its epoch's first sample, its hysteresis above the sensor's noise, and a posture
    # change that loses at most one breath (review 28 F1); 2026-12-07.
    7: "3b469e6012d58a35",
    # Before the first breath, "breaths" within the noise of a belt at rest are artifacts, and
    # the first real breaths are no longer judged by their depth (review 28 F4); 2026-12-07.
    # The belt put on at rest joined the references here. An artifact breath's line says
    # "follow -", not "follow 0". A breath's line names the source of its depth, "(belt)"
    # (wording only: c245483c9494d2b4 before it).
    8: "01249a228191c5cc",
    # A session paced for under half its practised time headlined by its own rhythm, and a
    # breath held or gasped scoring at most 50 (review 37 F1, F4; 2026-12-07). The body scan
    # with held breaths joined the references here. The exhale:inhale ratio named so on every
    # line, and the practice and summary lines no longer both giving follow and heart rate
    # (wording only, review 37 F8: 6ef45350e1474b04 before it).
    9: "8cc55918327fef5c",
    # A belt recording that starts in the quiet before an inhale: its first, untested
    # "breaths" held back until one stands out of the noise, then artifacts if shallow (review
    # 40 F1, F3, F5); an import by a Breathwise before 2026-12-06 asks no out-breath ratio
    # (review 39 F4); 2026-12-07. The old import joined the references here.
    10: "b917635daf449c97",
}
"""Per analysis revision, the :func:`_replay_digest` of the reference recordings: what their
replays print, as a person reads it."""


def _replayed_text(path: Path) -> str:
    """What ``breathwise replay PATH --speed max --headless`` prints on standard output."""
    out = io.StringIO()
    recording = read_recording(path)
    result = asyncio.run(ReplaySession(recording, speed=None, listeners=[line_printer(out)]).run())
    return out.getvalue() + format_summary(result.summary) + "\n"


def _damaged_strap(path: Path) -> Path:
    """A strap alone whose every 25th notification holds bytes that decode but no heart sends
    (an RR interval of 64 s, 0xFFFF, reported a second after the previous beat): revision 2
    counts them unreadable, revision 1 took them as beats."""
    header, items, end_ns = simulated_items(150.0, seed=5, rate_bpm=6.0, belt=False)
    heart = [
        k
        for k, item in enumerate(items)
        if isinstance(item, RawPacket) and item.stream == Stream.HEART_RATE
    ]
    for k in heart[10::25]:
        packet = items[k]
        assert isinstance(packet, RawPacket)
        items[k] = replace(packet, payload=bytes([0x10, 60, 0xFF, 0xFF]))
    return write_items(path, header, items, end_ns)


def _hurried_strap(path: Path) -> Path:
    """A strap alone whose wearer breathes at 10/min while the recorded pacer asks 6/min, and
    was never eased: revision 3 reads a pace sign from the heart rhythm (10 >= 1.5 x 6),
    revision 2 gave a strap no strain signs."""
    header, items, end_ns = simulated_items(240.0, seed=4, rate_bpm=10.0, belt=False)
    first = items[0]
    assert isinstance(first, PacerChange)
    items[0] = replace(first, pattern=BreathPattern.from_rate(6.0, 2.0).to_dict())
    return write_items(path, header, items, end_ns)


def _held_breaths(path: Path) -> Path:
    """A belt session paced at 6/min whose wearer holds 20 s after each out-breath from 120 s
    to 216 s: revision 4 says holding at the first hold and reports it as it was, revision 3
    called it "irregular" and answered the next holds with "A little quicker"."""
    header, items, end_ns = simulated_items(1.0, seed=2)
    asked = BreathPattern.from_rate(6.0, 2.0)
    followed = Pacer(asked, start_s=0.0)
    followed.set_pattern(BreathPattern(asked.inhale_s, asked.exhale_s, hold_out_s=20.0), 120.0)
    followed.set_pattern(asked, 216.0)
    sensor = SimulatedSensor(
        PersonModel(seed=2), followed, start_mono_ns=header.start_mono_ns,
        start_wall_ns=header.start_wall_ns,
    )  # fmt: skip
    end_ns = header.start_mono_ns + 300 * NS_PER_S
    return write_items(path, header, [items[0], *sensor.packets_until(end_ns)], end_ns)


def _still_start(path: Path) -> Path:
    """A belt session whose first 30 s are a belt at rest (the level its breathing starts
    from, the sensor's white noise and a random wander of 0.025 N in 0.05-3 Hz): revision 8
    reports the wander's "breaths" as artifacts, revision 7 as breaths at 13-45/min, and
    answered them with a strain cue ("This pace is hard to follow")."""
    import numpy as np
    import scipy.signal

    header, items, end_ns = simulated_items(150.0, seed=6)
    rng = np.random.default_rng(6)
    sos = scipy.signal.butter(4, [0.05, 3.0], "bandpass", fs=20.0, output="sos")
    wander = scipy.signal.sosfiltfilt(sos, rng.standard_normal(4000))[1000:]
    wander *= 0.025 / np.std(wander)

    def at_rest(level: float, t_s: float, row: int) -> float:
        return level + float(wander[int(t_s * 20.0)]) + 0.01 * rng.standard_normal()

    items = with_belt_force(header, items, 30.0, at_rest)
    return write_items(path, header, items, end_ns)


def _scan_with_holds(path: Path) -> Path:
    """The head-to-feet body scan stopped at 4 minutes (paced for its first minute, then its
    own rhythm), its wearer breathing 4/min with a 9 s pause after each out-breath: revision 9
    headlines it by its own rhythm and scores each breath told for holding at most 50,
    revision 8 headlined it by its few paced breaths and scored the holds 100 (review 37 F1,
    F4)."""
    from program_runs import run_program

    from trainer.programs.catalog import load_catalog

    program = load_catalog().get("body-scan-head-to-feet")
    person = PersonModel(seed=5, natural_pause_s=9.0, natural_rate_bpm=4.0)
    return run_program(path, program, person=person, duration_s=240.0).path


def _replay_digest(tmp_path: Path) -> str:
    """SHA-256 (16 hex digits) of the replays of a real person's belt and beats (the bundled
    sample), the simulated person with a belt and a link gap, with a strap alone (breathing
    read from the heart rhythm), with a strap sending damaged notifications (since revision 2),
    with a strap alone far faster than its pacer (since revision 3) and with a belt wearer
    holding the breath (since revision 4), with a belt put on at rest (since revision 8) and
    a body scan with held breaths (since revision 9) and an import by an older Breathwise
    (since revision 10; revision 1's digest is of the first three, revision 2's of the first
    four, revision 3's of the first five, revisions 4-7's of the first six, revision 8's of the
    first seven, revision 9's of the first eight), to the precision shown: a last binary
    digit that moves on another machine moves no line."""
    recordings = [
        REPO / "recordings" / "sample-neurokit2-resting.bwr",
        write_simulated(
            tmp_path / "belt.bwr", 180.0, seed=2, gap=(100.0, 6.0), marks=((30.0, "m"),)
        ),
        write_simulated(tmp_path / "strap.bwr", 240.0, seed=3, rate_bpm=5.5, belt=False),
        _damaged_strap(tmp_path / "damaged.bwr"),
        _hurried_strap(tmp_path / "hurried.bwr"),
        _held_breaths(tmp_path / "held.bwr"),
        _still_start(tmp_path / "still.bwr"),
        _scan_with_holds(tmp_path / "scan"),
        old_import(tmp_path / "old-import"),
    ]
    text = "".join(_replayed_text(path) for path in recordings)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_replays_are_those_of_the_current_analysis_revision(tmp_path: Path) -> None:
    digest = _replay_digest(tmp_path)
    assert REPLAY_DIGESTS.get(ANALYSIS_REVISION) == digest, (
        f"replays now print {digest}, not what analysis revision {ANALYSIS_REVISION} printed. "
        "If existing recordings now replay other breaths, numbers or cues, raise "
        "trainer.ANALYSIS_REVISION and add this digest under it to REPLAY_DIGESTS; if only "
        "the wording of a line changed, put it under the current revision instead."
    )


def test_each_revision_printed_something_of_its_own() -> None:
    """A revision raised without an analysis change, or two sharing a digest, would make the
    replay note name a difference between analyses that print the same."""
    assert max(REPLAY_DIGESTS) == ANALYSIS_REVISION
    assert len(set(REPLAY_DIGESTS.values())) == len(REPLAY_DIGESTS)
