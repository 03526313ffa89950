"""The pipeline with more than one breathing source: belt and chest accelerometer together."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from test_pipeline_inputs import _belt_packets as belt_packets

from devices.packets import RawPacket, Stream
from devices.polar_pmd import MeasurementType, encode_frame
from devices.source import SourceInfo
from trainer.session.events import BreathEvent, BreathRateEvent, StatusEvent
from trainer.session.pipeline import ACC_UNSETTLED_SAY_S, Pipeline
from trainer.storage.recording import Header, read_recording, write_recording

PERIOD_S = 10.0  # 6 breaths/min
ACC_FS_HZ = 50.0
BELT_PERIOD_US = 100_000
ACC: dict[str, object] = {"fs_hz": ACC_FS_HZ, "resolution_bits": 16, "factor": 1.0}
BELT: dict[str, object] = {"period_us": BELT_PERIOD_US, "force_channel": 1}


def _pipeline(belt: bool = True, acc: bool = True) -> Pipeline:
    streams: dict[str, dict[str, object]] = {}
    if acc:
        streams[Stream.PMD_DATA.value] = {"acc": ACC}
    if belt:
        streams[Stream.GODIRECT.value] = BELT
    return Pipeline(Header(0, 0, SourceInfo("ble", "Polar H10 + GDX-RB", streams=streams)))


def _breathing(t: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 at exhale's end, 1 at inhale's end: 4 s in, 6 s out (half cosines)."""
    phase = np.mod(t, PERIOD_S) / PERIOD_S
    inhale = 0.4
    up = 0.5 * (1.0 - np.cos(np.pi * phase / inhale))
    down = 0.5 * (1.0 + np.cos(np.pi * (phase - inhale) / (1.0 - inhale)))
    return np.asarray(np.where(phase < inhale, up, down), dtype=np.float64)


def _acc_packets(seconds: float) -> list[RawPacket]:
    """A Polar H10 lying still on a breathing chest: 1.5 degrees of tilt, 1 packet a second."""
    t = np.arange(round(seconds * ACC_FS_HZ)) / ACC_FS_HZ
    g = np.array([0.1, -0.95, 0.3]) / np.linalg.norm([0.1, -0.95, 0.3])
    side = np.cross(g, [1.0, 0.0, 0.0])
    side /= np.linalg.norm(side)
    tilt = np.deg2rad(1.5) * _breathing(t)
    xyz = 1000.0 * (np.cos(tilt)[:, None] * g + np.sin(tilt)[:, None] * side)
    xyz += np.random.default_rng(0).normal(0.0, 2.0, xyz.shape)
    samples = np.round(xyz).astype("<i2")
    per = round(ACC_FS_HZ)
    packets = []
    for k in range(samples.shape[0] // per):
        t_ns = (k + 1) * 10**9
        payload = encode_frame(
            MeasurementType.ACC, t_ns, 1, samples[k * per : (k + 1) * per].tobytes()
        )
        packets.append(RawPacket(t_ns, t_ns, Stream.PMD_DATA.value, payload))
    return packets


def _belt_packets(seconds: float) -> list[RawPacket]:
    """A force belt (N) on the same breathing, one sample a packet."""
    fs = 1e6 / BELT_PERIOD_US
    values = 2.0 + _breathing(np.arange(round(seconds * fs)) / fs)
    return belt_packets(BELT_PERIOD_US, values.tolist())


def _run(pipeline: Pipeline, *streams: list[RawPacket]) -> list[object]:
    items = sorted((p for s in streams for p in s), key=lambda p: p.t_mono_ns)
    events: list[object] = []
    for second in range(0, items[-1].t_mono_ns // 10**9 + 1):
        batch = [p for p in items if second * 10**9 <= p.t_mono_ns < (second + 1) * 10**9]
        events += pipeline.handle(batch)
    return events


def test_a_belt_that_sends_nothing_leaves_the_breathing_to_the_accelerometer() -> None:
    """A header naming a belt kept the accelerometer from being analysed: a combined session
    whose belt sent nothing had no breaths and no rate at all."""
    pipeline = _pipeline()
    events = _run(pipeline, _acc_packets(180.0))
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    assert len(breaths) >= 15  # 18 in 180 s
    assert pipeline.breath_rate is not None and pipeline.breath_rate.source == "acc"
    assert pipeline.breath_rate.rate_bpm == pytest.approx(6.0, abs=0.3)
    assert pipeline.summary()["breath_source"] == "acc"


def test_a_healthy_belt_stays_the_source_beside_the_accelerometer() -> None:
    """Both analysed: the belt's breaths, and only they, are shown and coached, as without the
    accelerometer; the rate and the session's source are the belt's."""
    belt, acc = _belt_packets(300.0), _acc_packets(300.0)
    both = _pipeline()
    events = _run(both, belt, acc)
    alone = _pipeline(acc=False)
    alone_events = _run(alone, belt)
    shown = [e.breath for e in events if isinstance(e, BreathEvent)]
    belt_breaths = [e.breath for e in alone_events if isinstance(e, BreathEvent)]
    # The accelerometer's first breath, before the belt's and before it knew which way is in,
    # was shown and scored (found in review): it now waits for the belt.
    assert shown == belt_breaths
    assert len(belt_breaths) >= 27
    assert not [e for e in events if isinstance(e, StatusEvent)]
    assert "acc" in both.estimates  # the accelerometer was analysed all the same
    rates = [e for e in events if isinstance(e, BreathRateEvent)]
    assert {e.source for e in rates if e.t_s >= belt_breaths[0].detected_s} == {"belt"}
    assert both.summary()["breath_source"] == "belt"
    assert both.summary()["median_rate_bpm"] == alone.summary()["median_rate_bpm"]


def test_a_belt_that_stops_hands_over_to_the_accelerometer_and_says_so() -> None:
    """The belt sends nothing after 120 s: the accelerometer's breaths carry on within a few
    breaths, once each, with a status line; the session's source is the one that measured most
    of it."""
    pipeline = _pipeline()
    events = _run(pipeline, _belt_packets(120.0), _acc_packets(300.0))
    notes = [e for e in events if isinstance(e, StatusEvent)]
    assert len(notes) == 1, notes
    assert notes[0].message.startswith(
        "breaths from the chest accelerometer: the belt has given none for "
    )
    assert 120.0 < notes[0].t_s <= 150.0
    breaths = [e.breath for e in events if isinstance(e, BreathEvent)]
    assert len(breaths) >= 27  # 30 in 300 s, none lost at the handover
    assert [e.index for e in events if isinstance(e, BreathEvent)] == list(
        range(1, len(breaths) + 1)
    )
    # No breath shown twice: each begins about where the one before ended.
    for before, after in itertools.pairwise(breaths):
        assert after.inhale_onset_s > before.inhale_onset_s + 0.5 * PERIOD_S
    assert max(b.end_s for b in breaths) > 280.0
    assert pipeline.breath_rate is not None and pipeline.breath_rate.source == "acc"
    assert pipeline.summary()["breath_source"] == "acc"


def test_a_recorded_handover_replays_to_the_same_events_and_summary(tmp_path: Path) -> None:
    """Replay runs the same pipeline: from the file, all at once, it says and shows what the
    session did packet by packet."""
    header = _pipeline().header
    items = sorted([*_belt_packets(120.0), *_acc_packets(200.0)], key=lambda p: p.t_mono_ns)
    live = _pipeline()
    live_events = [e for item in items for e in live.handle([item])]
    path = write_recording(
        tmp_path / "both.bwr",
        header,
        items,
        live.summary(),
        end_mono_ns=items[-1].t_mono_ns,
        end_wall_ns=items[-1].t_mono_ns,
    )
    recording = read_recording(path)
    replay = Pipeline(recording.header)
    replay_events = replay.handle(recording.items)
    kinds = (BreathEvent, BreathRateEvent, StatusEvent)
    # repr: NaN feedback values compare unequal to themselves.
    assert repr([e for e in replay_events if isinstance(e, kinds)]) == repr(
        [e for e in live_events if isinstance(e, kinds)]
    )
    assert any(isinstance(e, StatusEvent) for e in replay_events)
    assert recording.summary is not None
    summary = dict(recording.summary)
    summary.pop("ended", None)
    assert replay.summary() == summary


def test_a_sniff_does_not_become_breaths_of_a_paced_session() -> None:
    """With the detector's 0.75 s shortest breath, three double sniffs (two 0.8 s bumps) in a
    paced 5 min session became six breaths scored 0: 34 breaths, mean follow 89 -> 73 (found
    in review). A session keeps the 1.5 s shortest breath."""
    from trainer.session import pipeline as pipeline_module
    from trainer.storage.recording import PacerChange

    fs = 1e6 / BELT_PERIOD_US
    t = np.arange(round(300.0 * fs)) / fs
    values = 2.0 + _breathing(t)
    for start in (107.5, 207.5, 257.5):
        inside = (t >= start) & (t < start + 1.6)
        values = np.where(inside, values + np.sin(np.pi * (t - start) / 0.8) ** 2, values)
    pipeline = _pipeline(acc=False)
    pattern = {"inhale_s": 4.0, "exhale_s": 6.0, "hold_in_s": 0.0, "hold_out_s": 0.0}
    events: list[object] = list(pipeline.handle([PacerChange(0, 0, "set", pattern)]))
    events += _run(pipeline, belt_packets(BELT_PERIOD_US, values.tolist()))
    shown = [e for e in events if isinstance(e, BreathEvent)]
    assert min(e.breath.end_s - e.breath.inhale_onset_s for e in shown) > 1.5
    assert len(shown) <= 30
    mean_follow = pipeline.summary()["mean_follow_score"]
    assert mean_follow is not None and mean_follow > 85.0
    assert pipeline_module.TRAINER_MIN_BREATH_S == 1.5


def test_breathing_the_accelerometer_cannot_orient_says_why_nothing_is_coached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """5 s in, 5 s out on the accelerometer alone: all 59 breaths uncertain, no cue in 10 min,
    and nothing said why (found in review). Said once, after 2 min, not at every breath;
    ordinary 4 s in / 6 s out breathing learns the direction and says nothing."""
    import sys

    module = sys.modules[__name__]
    even = _pipeline(belt=False)
    monkeypatch.setattr(module, "_breathing", lambda t: 0.5 * (1 - np.cos(2 * np.pi * t / 10.0)))
    events = _run(even, _acc_packets(300.0))
    monkeypatch.undo()
    said = [e for e in events if isinstance(e, StatusEvent) and "in from out" in e.message]
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    assert len(said) == 1 and not [e for e in breaths if e.feedback.cue]
    first = next(b for b in breaths if b.breath.end_s - breaths[0].breath.inhale_onset_s >= 120)
    assert ACC_UNSETTLED_SAY_S == 120.0 and said[0].t_s == first.breath.detected_s
    ordinary = _run(_pipeline(belt=False), _acc_packets(300.0))
    assert not [e for e in ordinary if isinstance(e, StatusEvent)]


def test_the_headless_lines_name_the_source_of_each_breaths_depth() -> None:
    """With a belt and an H10, the lines' depth went from the belt's N (about 1) to the
    accelerometer's mG (about 26) at the handover, and a line alone did not say which (found
    in review, with breaths.csv's depth): each names its source after the depth now."""
    import io
    import re

    from trainer.ui.headless import line_printer

    out = io.StringIO()
    printer = line_printer(out)
    printer(_run(_pipeline(), _belt_packets(120.0), _acc_packets(300.0)))  # type: ignore[arg-type]
    shown = re.findall(r"^breath .* depth +(\S+) \((\w+)\) +HR ", out.getvalue(), re.M)
    assert len(shown) == sum(line.startswith("breath ") for line in out.getvalue().splitlines())
    sources = [source for _, source in shown]
    belt = sources.count("belt")
    assert belt >= 8 and sources == ["belt"] * belt + ["acc"] * (len(sources) - belt)
    assert len(sources) - belt >= 15
    for depth, source in shown:
        assert float(depth) == pytest.approx({"belt": 1.0, "acc": 26.2}[source], rel=0.1)
