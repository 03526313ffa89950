"""The pipeline on streams a recording's header allows but a sensor rarely sends."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from devices.godirect import encode_godirect_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.polar_pmd import MeasurementType, encode_frame
from devices.source import LinkEvent, LinkState, SourceInfo
from trainer.coaching.pacer import BreathPattern
from trainer.session.events import BeltEvent, BreathEvent, Event, StatusEvent
from trainer.session.pipeline import Pipeline
from trainer.session.summary import sensor_loss_text
from trainer.storage.recording import Header, PacerChange, read_recording

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
    assert said[0].message == (
        f"belt samples arrived at {real_hz:.1f} Hz over the last 40 s, not the "
        f"{1e6 / recorded_us:g} Hz recorded; breaths are found at the measured rate"
    )
    assert said[0].t_s == pytest.approx(40.0, abs=0.2)  # two 20 s stretches
    assert pipeline.belt_fs_hz == pytest.approx(real_hz, rel=1e-3)
    assert len(breaths) >= 23  # 30 breaths in 300 s, the first 40 s at the wrong rate
    assert np.median([b.breath.rate_bpm for b in breaths]) == pytest.approx(RATE_BPM, abs=0.3)


def _stalled(packets: list[RawPacket], from_s: float, to_s: float) -> list[RawPacket]:
    """``packets`` with those sent in [from_s, to_s) arriving together at ``to_s``, as a
    stalled radio (link-layer retries) or a blocked event loop delivers them."""
    out = []
    for p in packets:
        t = int(to_s * 1e9) if from_s * 1e9 <= p.t_mono_ns < to_s * 1e9 else p.t_mono_ns
        out.append(RawPacket(t, t, p.stream, p.payload))
    return sorted(out, key=lambda p: p.t_mono_ns)


def _lossy(packets: list[RawPacket], until_s: float, loss: float) -> list[RawPacket]:
    rng = np.random.default_rng(1)
    return [p for p in packets if p.t_mono_ns > until_s * 1e9 or rng.random() > loss]


@pytest.mark.parametrize(
    "damage",
    [
        lambda packets: _stalled(packets, 40.0, 43.0),
        lambda packets: _stalled(packets, 100.0, 101.5),
        lambda packets: _lossy(packets, 60.0, 0.15),
        lambda packets: _lossy(packets, 300.0, 0.02),
        lambda packets: _lossy(packets, 300.0, 0.15),
    ],
    ids=["3 s stall", "1.5 s stall", "15 % loss for 60 s", "2 % loss", "15 % loss"],
)
def test_stalls_and_lost_packets_leave_the_recorded_rate_alone(
    damage: Callable[[list[RawPacket]], list[RawPacket]],
) -> None:
    """A 3 s stall delivered as a burst measured 11.5 Hz and 15 % loss 8.8 Hz: the analysis
    then ran at that rate for good and found 4 and 3 of 30 breaths. Lost packets, even at the
    right rate, restarted the tracker once a second of them was missing (2 %: 21 breaths)."""
    pipeline = _belt(100_000)
    events = pipeline.handle(damage(_belt_packets(100_000, _breathing(10.0, 300, 2.0))))
    assert [e for e in events if isinstance(e, StatusEvent)] == []
    assert pipeline.belt_fs_hz == 10.0
    assert len([e for e in events if isinstance(e, BreathEvent)]) >= 27  # 30 breathed


@pytest.mark.parametrize("stall_s", [1.05, 1.5, 3.0, 4.5])
def test_a_stall_that_loses_nothing_keeps_every_breath_and_its_time(stall_s: float) -> None:
    """Found in review: a belt stall of 1.5-3 s, every packet delivered late in a burst and none
    lost, restarted the tracker on the late packet's arrival: two breaths lost, and every later
    breath 0.4-1 s late for the rest of the session (its follow score 85 -> 63)."""
    packets = _belt_packets(100_000, _breathing(10.0, 300, 2.0))
    on_time = [e.breath for e in _breaths(_belt(100_000), packets)]
    stalled = [e.breath for e in _breaths(_belt(100_000), _stalled(packets, 100.0, 100 + stall_s))]
    assert len(stalled) == len(on_time)
    for a, b in zip(on_time, stalled, strict=True):
        assert b.inhale_onset_s == pytest.approx(a.inhale_onset_s, abs=1e-6)
        assert b.end_s == pytest.approx(a.end_s, abs=1e-6)


@pytest.mark.parametrize(
    ("lost_s", "bridged"), [(0.3, True), (0.5, True), (0.8, False), (1.9, False), (5.0, False)]
)
def test_lost_belt_packets_are_bridged_only_over_a_quarter_of_a_breath(
    lost_s: float, bridged: bool
) -> None:
    """Packets lost without a link event: the counter says how many, a straight line stands
    in for them up to 0.5 s; a longer loss restarts the tracker (1.9 s was bridged)."""
    packets = _belt_packets(100_000, _breathing(10.0, 120, 2.0))
    kept = [p for p in packets if not 60e9 < p.t_mono_ns <= (60 + lost_s) * 1e9]
    events = _belt(100_000).handle(kept)
    analysed = sum(e.values.size for e in events if isinstance(e, BeltEvent))
    assert analysed == (len(packets) if bridged else len(kept))


@pytest.mark.parametrize("lost_s", [0.3, 1.9])
def test_no_good_breath_is_drawn_across_lost_belt_samples(lost_s: float) -> None:
    """At 30/min a 1.9 s bridge made a 15/min breath marked good; a bridged breath is not
    measured where the line stands in, so it is uncertain, and its neighbours stay good."""
    fs, bpm = 10.0, 30.0
    t = np.arange(round(120 * fs)) / fs
    values = (2.0 + np.sin(2 * np.pi * bpm / 60.0 * t)).tolist()
    packets = _belt_packets(100_000, values)
    kept = [p for p in packets if not 59.45e9 < p.t_mono_ns <= (59.45 + lost_s) * 1e9]
    breaths = [e.breath for e in _breaths(_belt(100_000), kept)]
    good = [b for b in breaths if b.quality == "good"]
    assert all(b.rate_bpm == pytest.approx(bpm, abs=1.0) for b in good)
    assert len(good) >= 52  # 58 found without the loss
    across = [b for b in breaths if b.inhale_onset_s < 59.45 + lost_s and b.end_s > 59.45]
    assert all(b.quality != "good" for b in across)


def _stalling_two_sample_packets(counter_per_sample: bool) -> list[RawPacket]:
    """300 s at 10 Hz, 2 samples a packet, packets sent in [20 k + 5, 20 k + 5.8) arriving
    together at 20 k + 5.8; the counter byte counts packets or samples."""
    values = _breathing(10.0, 300, 2.0)
    packets = []
    for k, i in enumerate(range(0, len(values), 2)):
        sent_s = (i + 2) / 10.0
        phase_s = sent_s % 20.0
        arrival_s = sent_s + (5.8 - phase_s if 5.0 <= phase_s < 5.8 else 0.0)
        counter = (i if counter_per_sample else k) & 0xFF
        payload = encode_godirect_measurement([[values[i]], [values[i + 1]]], [1], counter)
        t_ns = int(arrival_s * 1e9)
        packets.append(RawPacket(t_ns, t_ns, Stream.GODIRECT.value, payload))
    return packets


@pytest.mark.parametrize("counter_per_sample", [False, True])
def test_a_counter_of_samples_bridges_nothing(counter_per_sample: bool) -> None:
    """A counter stepping by 2 (samples, 2 a packet) read as one per packet took each stall for
    lost packets: 8 samples invented, breath onsets 0.5-0.9 s late."""
    events = _belt(100_000).handle(_stalling_two_sample_packets(counter_per_sample))
    analysed = sum(e.values.size for e in events if isinstance(e, BeltEvent))
    assert analysed == 3000
    onsets = np.array([e.breath.inhale_onset_s for e in events if isinstance(e, BreathEvent)])
    assert onsets.size >= 27  # 30 breathed
    error_s = (onsets - 7.5 + 5.0) % 10.0 - 5.0  # the sine's trough is at 7.5 + 10 k s
    assert np.abs(error_s).max() < 0.3


def test_a_belt_back_at_its_recorded_rate_is_followed_back() -> None:
    """Once followed, the measured rate stayed for good."""
    fast = _belt_packets(50_000, _breathing(20.0, 100, 2.0))
    end_ns = fast[-1].t_mono_ns
    slow = [
        RawPacket(end_ns + p.t_mono_ns, 0, p.stream, p.payload)
        for p in _belt_packets(100_000, _breathing(10.0, 200, 2.0))
    ]
    # The counter runs on across the change, as one belt's does.
    slow = [
        RawPacket(
            p.t_mono_ns,
            0,
            p.stream,
            p.payload[:2] + bytes([(len(fast) + i) & 0xFF]) + p.payload[3:],
        )
        for i, p in enumerate(slow)
    ]
    pipeline = _belt(100_000)
    events = pipeline.handle(fast + slow)
    said = [e.message for e in events if isinstance(e, StatusEvent)]
    assert len(said) == 2
    assert said[1].startswith("belt samples arrived at 10.0 Hz over the last 40 s, its recorded")
    assert pipeline.belt_fs_hz == 10.0
    late = [e for e in events if isinstance(e, BreathEvent) and e.breath.inhale_onset_s > 160]
    assert len(late) >= 12  # 14 breaths after 160 s


def test_a_belt_counter_that_does_not_count_by_one_never_changes_the_rate() -> None:
    """Without a counter to find lost packets the arrival rate proves nothing."""
    packets = [
        RawPacket(p.t_mono_ns, 0, p.stream, p.payload[:2] + b"\x00" + p.payload[3:])
        for p in _belt_packets(50_000, _breathing(20.0, 120, 2.0))
    ]
    pipeline = _belt(100_000)
    assert not [e for e in pipeline.handle(packets) if isinstance(e, StatusEvent)]
    assert pipeline.belt_fs_hz == 10.0


def _queued(packets: list[RawPacket]) -> list[RawPacket]:
    """``packets`` delayed by a queue that builds to 2.2 s over 12-16 s, stays until 34 s and
    drains by 38 s: no packet lost, none more than 0.16 s after the one before."""

    def latency_s(sent_s: float) -> float:
        if sent_s < 12.0 or sent_s >= 38.0:
            return 0.0
        if sent_s < 16.0:
            return 2.2 * (sent_s - 12.0) / 4.0
        if sent_s < 34.0:
            return 2.2
        return 2.2 * (38.0 - sent_s) / 4.0

    out, last_ns = [], 0
    for p in packets:
        sent_s = p.t_mono_ns / 1e9
        last_ns = max(int((sent_s + latency_s(sent_s)) * 1e9), last_ns + 1)
        out.append(RawPacket(last_ns, last_ns, p.stream, p.payload))
    return out


def test_two_stretches_that_disagree_with_each_other_change_nothing() -> None:
    """A queue building and draining skews two stretches opposite ways (about 8.6 and 11.4 Hz);
    their mean, 10 Hz, was said as 'its recorded 10 Hz again' and the tracker restarted."""
    pipeline = _belt(100_000)
    events = pipeline.handle(_queued(_belt_packets(100_000, _breathing(10.0, 120, 2.0))))
    assert [e for e in events if isinstance(e, StatusEvent)] == []
    assert pipeline.belt_fs_hz == 10.0


def test_a_link_loss_of_another_sensor_leaves_the_belt_rate_check_alone() -> None:
    """A Polar strap's link loss started the belt's rate check again (70 s instead of 40 s)."""
    packets = _belt_packets(50_000, _breathing(20.0, 120, 2.0))
    streams = {Stream.GODIRECT.value: {"period_us": 100_000, "force_channel": 1}}
    sources = [
        {"kind": "ble", "name": "GDX-RB", "address": "AA:01", "streams": ["gdx"]},
        {"kind": "ble", "name": "Polar H10", "address": "BB:02", "streams": ["hr"]},
    ]
    source = SourceInfo("ble", "GDX-RB + Polar H10", "AA:01, BB:02", streams, {"sources": sources})
    pipeline = Pipeline(Header(0, 0, source))
    strap = LinkEvent(30 * NS_PER_S, 0, "BB:02", LinkState.LOST, "test")
    events = pipeline.handle([*(p for p in packets if p.t_mono_ns < 30e9), strap])
    events += pipeline.handle([p for p in packets if p.t_mono_ns >= 30e9])
    said = [e for e in events if isinstance(e, StatusEvent) and e.kind == "breathing"]
    assert [e.t_s for e in said] == [pytest.approx(40.0, abs=0.2)]


def test_a_link_loss_starts_the_rate_check_again() -> None:
    """Stretches on either side of a gap are not counted as consecutive."""
    packets = _belt_packets(50_000, _breathing(20.0, 120, 2.0))
    lost = LinkEvent(30 * NS_PER_S, 0, "GDX-RB", LinkState.LOST, "test")
    pipeline = _belt(100_000)
    events = pipeline.handle([*(p for p in packets if p.t_mono_ns < 30e9), lost])
    events += pipeline.handle([p for p in packets if p.t_mono_ns >= 30e9])
    said = [e for e in events if isinstance(e, StatusEvent) and e.kind == "breathing"]
    assert [e.t_s for e in said] == [pytest.approx(70.0, abs=0.2)]


def test_a_followed_belt_gives_the_same_breaths_however_its_packets_are_batched() -> None:
    """A replay hands the pipeline packets in other batches than the live session did."""
    packets = _stalled(_belt_packets(50_000, _breathing(20.0, 200, 2.0)), 70.0, 72.0)
    whole = _belt(100_000).handle(packets)
    one_by_one = _belt(100_000)
    single = [e for p in packets for e in one_by_one.handle([p])]
    assert [e for e in single if isinstance(e, StatusEvent)] == [
        e for e in whole if isinstance(e, StatusEvent)
    ]
    onsets = [e.breath.inhale_onset_s for e in whole if isinstance(e, BreathEvent)]
    assert onsets == [e.breath.inhale_onset_s for e in single if isinstance(e, BreathEvent)]
    assert len(onsets) >= 12  # 20 breathed, the first 40 s at the wrong rate


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


def test_a_stream_the_sensor_stops_on_its_own_is_said_and_so_is_its_return() -> None:
    """A Polar stop notice was only a logging warning in the BLE code: printed raw under the
    screen, and absent from every replay. The notice is recorded, so the pipeline says it."""
    acc = {"fs_hz": 4.0, "resolution_bits": 16, "factor": 1.0}
    streams = {Stream.PMD_DATA.value: {"acc": acc}, Stream.PMD_CONTROL.value: {}}
    pipeline = Pipeline(Header(0, 0, SourceInfo("ble", "Polar H10 A1", streams=streams)))
    xyz = np.tile(np.array([[-187, -28, 949]], dtype="<i2"), (8, 1))

    def frame(k: int) -> RawPacket:
        payload = encode_frame(MeasurementType.ACC, (k + 1) * 2 * 10**9, 1, xyz.tobytes())
        return RawPacket((k + 1) * 2 * 10**9, (k + 1) * 2 * 10**9, Stream.PMD_DATA.value, payload)

    def control(t_s: int, payload: bytes) -> RawPacket:
        return RawPacket(t_s * 10**9, t_s * 10**9, Stream.PMD_CONTROL.value, payload)

    events = pipeline.handle([frame(0), frame(1)])
    # ECG (type 0) was not asked for: its stop is not this session's news. ACC (2) is, once.
    events += pipeline.handle([control(5, b"\x01\x00\x02"), control(6, b"\x01\x02")])
    events += pipeline.handle([control(7, bytes.fromhex("f002020000"))])  # a start response
    events += pipeline.handle([frame(4), frame(5)])
    notes = [
        (e.t_s, e.message) for e in events if isinstance(e, StatusEvent) and e.kind == "device"
    ]
    assert notes == [
        (5.0, "Polar H10 A1: the sensor stopped its ACC stream on its own"),
        (10.0, "Polar H10 A1: ACC stream back"),
    ]
    assert pipeline.summary()["streams_stopped"] == {}
    # Stopped again and never back (the BLE code gives up after a few restarts): the ACC was
    # off for the rest of the session, and its summary, with 0 breaths, said nothing of it
    # (review 5, finding 9).
    pipeline.handle([control(32, b"\x01\x02")])
    summary = pipeline.summary(end_t_s=60.0)
    assert summary["streams_stopped"] == {"acc": 32.0}
    assert sensor_loss_text(summary) == (
        "the sensor stopped its ACC stream at 0:32 and it did not come back"
    )


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
    events: list[object] = list(_acc_frames(pipeline, xyz, fs))
    events.append(pipeline)
    return events


def _acc_frames(pipeline: Pipeline, xyz_mg: NDArray[np.float64], fs: float) -> list[Event]:
    """``xyz_mg`` (samples x 3, mG) given to ``pipeline`` as the H10's ACC frames, one a second;
    the events they cause."""
    samples = np.round(xyz_mg).astype("<i2")
    events: list[Event] = []
    per = round(fs)
    for k in range(samples.shape[0] // per):
        t_ns = (k + 1) * 10**9
        payload = encode_frame(
            MeasurementType.ACC, t_ns, 1, samples[k * per : (k + 1) * per].tobytes()
        )
        events += pipeline.handle([RawPacket(t_ns, t_ns, Stream.PMD_DATA.value, payload)])
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


@pytest.mark.parametrize("pacer_ratio", [0.5, 2.0])
def test_the_chest_accelerometer_reads_an_in_breath_longer_than_out_when_the_pacer_asks_it(
    pacer_ratio: float,
) -> None:
    """A Polar H10's accelerometer (50 Hz), the person following a 6/min pacer exactly. The
    tracker learnt the inhale direction assuming inhales shorter than exhales: a pacer at 0.5
    read 1.97, every breath good (review 26 F5); the pipeline now tells it the pacer's ratio."""
    fs, seconds = 50.0, 240.0
    acc = {"fs_hz": fs, "resolution_bits": 16, "factor": 1.0}
    source = SourceInfo("ble", "Polar H10", streams={Stream.PMD_DATA.value: {"acc": acc}})
    pipeline = Pipeline(Header(0, 0, source))
    pattern = BreathPattern.from_rate(6.0, pacer_ratio)
    period, inhale = 10.0, 10.0 / (1.0 + pacer_ratio)
    t = np.arange(round(seconds * fs)) / fs
    ph = np.mod(t, period)
    volume = np.where(
        ph < inhale,
        0.5 - 0.5 * np.cos(np.pi * ph / inhale),
        0.5 + 0.5 * np.cos(np.pi * (ph - inhale) / (period - inhale)),
    )
    g = np.array([0.1, -0.95, 0.3]) / np.linalg.norm([0.1, -0.95, 0.3])
    side = np.cross(g, [1.0, 0.0, 0.0])
    tilt = np.deg2rad(1.5) * volume
    xyz = 1000.0 * (np.cos(tilt)[:, None] * g + np.sin(tilt)[:, None] * side / np.linalg.norm(side))
    xyz += np.random.default_rng(0).normal(0.0, 2.0, xyz.shape)
    events = pipeline.handle([PacerChange(0, 0, "set", pattern.to_dict())])
    events += _acc_frames(pipeline, xyz, fs)
    good = [
        e.breath
        for e in events
        if isinstance(e, BreathEvent) and e.breath.quality == "good" and e.breath.ratio > 0
    ]
    assert len(good) >= 8
    assert np.median([b.ratio for b in good]) == pytest.approx(pacer_ratio, rel=0.1)


SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"


@pytest.mark.parametrize(
    ("period_us", "said", "at_least"), [(50_000, False, 79), (100_000, True, 65)]
)
def test_the_sample_recording_at_its_period_and_under_a_wrong_one(
    period_us: int, said: bool, at_least: int
) -> None:
    """The sample (a 20 Hz belt) as recorded, and with a header that says 10 Hz: 0 breaths
    before the arrival rate was measured, 73 while a burst could set the rate off."""
    recording = read_recording(SAMPLE)
    header = recording.header
    streams = {
        **header.source.streams,
        Stream.GODIRECT.value: {"period_us": period_us, "force_channel": 1},
    }
    pipeline = Pipeline(replace(header, source=replace(header.source, streams=streams)))
    events = pipeline.handle(recording.items)
    notes = [e for e in events if isinstance(e, StatusEvent) and e.kind == "breathing"]
    assert [e.t_s for e in notes] == ([pytest.approx(40.0, abs=0.5)] if said else [])
    assert pipeline.belt_fs_hz == pytest.approx(20.0, rel=0.01)
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    assert len(breaths) >= at_least


def test_what_the_sensors_left_out_is_said_first_and_once() -> None:
    """Notes a sensor made while connecting (kept in the header) are status lines at 0 s."""
    strap = {"notes": ["Polar Sense B5C6D7E8 does not offer ECG; streaming without it"]}
    belt = {"notes": ["GDX-RB 0K1234: a sample period of 5000 µs is outside the 10000-..."]}
    details = {"sources": [{"name": "a", "details": strap}, {"name": "b", "details": belt}]}
    source = SourceInfo("ble", "a + b", streams={"hr": {}}, details=details)
    pipeline = Pipeline(Header(0, 0, source))
    first = pipeline.handle([RawPacket(10**9, 0, Stream.HEART_RATE.value, b"\x10\x48")])
    said = [e for e in first if isinstance(e, StatusEvent)]
    assert [(e.t_s, e.kind, e.message) for e in said] == [
        (0.0, "device", strap["notes"][0]),
        (0.0, "device", belt["notes"][0]),
    ]
    again = pipeline.handle([RawPacket(2 * 10**9, 0, Stream.HEART_RATE.value, b"\x10\x48")])
    assert not [e for e in again if isinstance(e, StatusEvent)]
