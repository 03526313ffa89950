"""The pipeline on streams a recording's header allows but a sensor rarely sends."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from devices.godirect import encode_godirect_measurement
from devices.packets import RawPacket, Stream
from devices.polar_pmd import MeasurementType, encode_frame
from devices.source import SourceInfo
from trainer.pipeline import BreathEvent, Pipeline, StatusEvent
from trainer.recording import Header

RATE_BPM = 6.0


def _belt(period_us: int) -> Pipeline:
    streams = {Stream.GODIRECT.value: {"period_us": period_us, "force_channel": 1}}
    return Pipeline(Header(0, 0, SourceInfo("ble", "GDX-RB", streams=streams)))


def _belt_packets(period_us: int, values: list[float], per_packet: int = 1) -> list[RawPacket]:
    packets = []
    for i in range(0, len(values), per_packet):
        chunk = values[i : i + per_packet]
        t_ns = (i + len(chunk)) * period_us * 1000  # arrival with its last sample
        payload = encode_godirect_measurement([[v] for v in chunk], [1], (i // per_packet) & 0xFF)
        packets.append(RawPacket(t_ns, t_ns, Stream.GODIRECT.value, payload))
    return packets


def _breathing(fs_hz: float, duration_s: float, offset: float) -> list[float]:
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    values: list[float] = (offset + np.sin(2 * np.pi * RATE_BPM / 60.0 * t)).tolist()
    return values


def _breaths(pipeline: Pipeline, packets: list[RawPacket]) -> list[BreathEvent]:
    events = pipeline.handle(packets)
    events += pipeline.handle([RawPacket(10**15, 0, Stream.HEART_RATE.value, b"\x10\x48")])
    return [e for e in events if isinstance(e, BreathEvent)]


@pytest.mark.parametrize("period_us", [250_000, 500_000, 1_000_000])
def test_a_slow_belt_is_analysed_as_far_as_it_can_be(period_us: int) -> None:
    """A header allows periods up to 10 s; from 500 ms the 1 Hz low-pass raised out of replay."""
    fs = 1e6 / period_us
    breaths = _breaths(_belt(period_us), _belt_packets(period_us, _breathing(fs, 300, 2.0)))
    assert len(breaths) >= 25  # 30 breaths in 300 s
    assert np.median([b.breath.rate_bpm for b in breaths]) == pytest.approx(RATE_BPM, abs=0.3)


def test_glitches_before_the_first_sample_are_not_held_as_zero() -> None:
    """A NaN first sample was held as 0.0: on a 1000 N offset that step hid every breath."""
    values = [math.nan] * 3 + _breathing(10.0, 180, 1000.0)
    breaths = _breaths(_belt(100_000), _belt_packets(100_000, values, per_packet=2))
    assert len(breaths) >= 15  # 18 breaths in 180 s
    assert breaths[0].breath.inhale_onset_s < 20.0
    all_glitch = _belt(100_000)
    assert _breaths(all_glitch, _belt_packets(100_000, [math.nan] * 50)) == []


@pytest.mark.parametrize(("recorded_us", "real_us"), [(100_000, 50_000), (50_000, 100_000)])
def test_a_belt_at_another_rate_than_its_period_is_followed_and_said_once(
    recorded_us: int, real_us: int
) -> None:
    """Taken at its recorded period the tracker restarted every second: no breaths, no word."""
    real_hz = 1e6 / real_us
    pipeline = _belt(recorded_us)
    events = pipeline.handle(_belt_packets(real_us, _breathing(real_hz, 300, 2.0)))
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    said = [e for e in events if isinstance(e, StatusEvent)]
    assert len(said) == 1 and said[0].kind == "breathing"
    assert f"belt samples arrive at {real_hz:.1f} Hz, not the {1e6 / recorded_us:g} Hz" in (
        said[0].message
    )
    assert said[0].t_s == pytest.approx(20.0, abs=0.2)
    assert pipeline.belt_fs_hz == pytest.approx(real_hz, rel=1e-3)
    assert len(breaths) >= 25  # 30 breaths in 300 s, the first 20 s at the wrong rate
    assert np.median([b.breath.rate_bpm for b in breaths]) == pytest.approx(RATE_BPM, abs=0.3)


def test_a_belt_on_time_within_radio_jitter_is_left_alone() -> None:
    rng = np.random.default_rng(7)
    packets = [
        RawPacket(p.t_mono_ns + int(rng.uniform(0, 60e6)), 0, p.stream, p.payload)
        for p in _belt_packets(100_000, _breathing(10.0, 300, 2.0))
    ]
    pipeline = _belt(100_000)
    events = pipeline.handle(packets)
    assert not [e for e in events if isinstance(e, StatusEvent)]
    assert pipeline.belt_fs_hz == 10.0
    assert len([e for e in events if isinstance(e, BreathEvent)]) >= 28


def test_belt_packets_of_a_stream_the_header_does_not_declare_are_not_analysed() -> None:
    """Without its period the belt's samples have no times: they were taken as 20 Hz."""
    pipeline = Pipeline(Header(0, 0, SourceInfo("ble", "strap", streams={"hr": {}})))
    assert _breaths(pipeline, _belt_packets(50_000, _breathing(20.0, 120, 2.0))) == []
    assert pipeline.packet_counts[Stream.GODIRECT.value] == 2400


def test_an_accelerometer_too_slow_to_follow_breathing_is_said_once() -> None:
    acc = {"fs_hz": 4.0, "resolution_bits": 16, "factor": 1.0}
    source = SourceInfo("ble", "Polar H10", streams={Stream.PMD_DATA.value: {"acc": acc}})
    pipeline = Pipeline(Header(0, 0, source))
    xyz = np.tile(np.array([[-187, -28, 949]], dtype="<i2"), (8, 1))
    events = []
    for k in range(10):
        payload = encode_frame(MeasurementType.ACC, (k + 1) * 2 * 10**9, 1, xyz.tobytes())
        t_ns = (k + 1) * 2 * 10**9
        events += pipeline.handle([RawPacket(t_ns, t_ns, Stream.PMD_DATA.value, payload)])
    notes = [e.message for e in events if isinstance(e, StatusEvent)]
    assert notes == [
        "accelerometer at 4 Hz is too slow to follow breathing (needs 5 Hz); its samples are kept"
    ]
    assert pipeline.pmd_samples["acc"] == 80


def _walking_events(bounce_mg: NDArray[np.float64] | float, seconds: float = 180.0) -> list[object]:
    """Events of a pipeline fed a Polar H10's accelerometer (50 Hz): breathing at 10/min (26 mG
    of tilt) under a walking bounce along gravity at 1.8 Hz of ``bounce_mg`` (per sample, or
    one value) with a sideways sway of 30 % of it at 0.9 Hz."""
    fs = 50.0
    acc = {"fs_hz": fs, "resolution_bits": 16, "factor": 1.0}
    source = SourceInfo("ble", "Polar H10", streams={Stream.PMD_DATA.value: {"acc": acc}})
    pipeline = Pipeline(Header(0, 0, source))
    t = np.arange(round(seconds * fs)) / fs
    g = np.array([0.1, -0.95, 0.3]) / np.linalg.norm([0.1, -0.95, 0.3])
    side = np.cross(g, [1.0, 0.0, 0.0])
    tilt = np.deg2rad(1.5) * 0.5 * (1 - np.cos(2 * np.pi * t / 6.0))
    xyz = 1000.0 * (np.cos(tilt)[:, None] * g + np.sin(tilt)[:, None] * side / np.linalg.norm(side))
    bounce = np.broadcast_to(bounce_mg, t.shape)
    xyz += (bounce * np.sin(2 * np.pi * 1.8 * t))[:, None] * g
    xyz[:, 0] += 0.3 * bounce * np.sin(2 * np.pi * 0.9 * t)
    samples = np.round(xyz).astype("<i2")
    events: list[object] = []
    per = round(fs)
    for k in range(samples.shape[0] // per):
        t_ns = (k + 1) * 10**9
        payload = encode_frame(
            MeasurementType.ACC, t_ns, 1, samples[k * per : (k + 1) * per].tobytes()
        )
        events += pipeline.handle([RawPacket(t_ns, t_ns, Stream.PMD_DATA.value, payload)])
    events.append(pipeline)
    return events


def test_walking_under_the_chest_accelerometer_is_said_once() -> None:
    """A 25 mG bounce: the accelerometer's breaths were 'good' at source quality 0.82; now
    the person is told once."""
    *events, pipeline = _walking_events(25.0)
    assert isinstance(pipeline, Pipeline)
    notes = [e.message for e in events if isinstance(e, StatusEvent)]
    assert len(notes) == 1 and notes[0].startswith("moving: the chest accelerometer"), notes
    breaths = [e.breath for e in events if isinstance(e, BreathEvent)]
    assert len(breaths) >= 10
    assert all(b.quality != "good" for b in breaths)
    assert pipeline.breath_rate is not None and pipeline.breath_rate.quality < 0.3


def test_movement_that_never_settles_is_said_once_per_bout() -> None:
    """Strong movement holds the accelerometer's output as a posture change that never
    settles: no breath came out, so nothing had said why. A 100 mG bounce from the start and,
    after 60 s of standing still, a 200 mG one (a 100 mG one then only gives artifacts, which
    the other note covers): told once in each bout, 15 s into it."""
    t = np.arange(round(180 * 50.0)) / 50.0
    bounce = np.where(t < 60.0, 100.0, np.where(t >= 120.0, 200.0, 0.0))
    events = _walking_events(bounce)
    notes = [e for e in events if isinstance(e, StatusEvent)]
    assert [n.message for n in notes] == [
        "moving: for 15 s the chest accelerometer has seen only movement; no breaths from it "
        "until you are still"
    ] * 2, notes
    assert 15.0 <= notes[0].t_s <= 17.0 and 135.0 <= notes[1].t_s <= 137.0
    breaths = [e.breath for e in events if isinstance(e, BreathEvent)]
    assert breaths and all(60.0 < b.inhale_onset_s < 125.0 for b in breaths)
