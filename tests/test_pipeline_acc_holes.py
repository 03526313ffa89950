"""A chest accelerometer whose link drops every few breaths: breaths resume after each hole."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from devices.packets import RawPacket, Stream
from devices.polar_pmd import MeasurementType, encode_frame
from devices.source import SourceInfo
from trainer.session.events import BreathEvent
from trainer.session.pipeline import Pipeline
from trainer.storage.recording import Header

ACC_FS_HZ = 50.0
FRAME = 36  # samples per H10 ACC notification at MTU 232
PERIOD_S = 5.0  # 12 breaths/min
INHALE_S = 2.0  # out:in 1.5
SESSION_S = 180.0
LOST_EVERY_S, DOWN_S = 20.0, 2.6  # the link lost every 20 s; back with its stream 2.6 s later


def _sample_times() -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The sensor's sample times, s, and whether each was sent (the link up)."""
    t = np.arange(round(SESSION_S * ACC_FS_HZ)) / ACC_FS_HZ + 1.0
    since_s = np.mod(t, LOST_EVERY_S)
    return t, np.asarray((t < LOST_EVERY_S) | (since_s >= DOWN_S))


def _acc_packets() -> list[RawPacket]:
    """A Polar H10 on a breathing chest (1.5 degrees of tilt, 2 mG noise), the samples sent
    while connected; the sensor's clock runs on through the holes, as an H10's does."""
    t, on = _sample_times()
    phase_s = np.mod(t, PERIOD_S)
    up = 0.5 * (1 - np.cos(np.pi * phase_s / INHALE_S))
    down = 0.5 * (1 + np.cos(np.pi * (phase_s - INHALE_S) / (PERIOD_S - INHALE_S)))
    tilt = np.deg2rad(1.5) * np.where(phase_s < INHALE_S, up, down)
    g = np.array([0.1, -0.95, 0.3]) / np.linalg.norm([0.1, -0.95, 0.3])
    side = np.cross(g, [1.0, 0.0, 0.0])
    side /= np.linalg.norm(side)
    xyz = 1000.0 * (np.cos(tilt)[:, None] * g + np.sin(tilt)[:, None] * side)
    xyz += np.random.default_rng(0).normal(0.0, 2.0, xyz.shape)
    samples = np.round(xyz).astype("<i2")
    packets = []
    i = 0
    while i < t.size:
        if not on[i]:
            i += 1
            continue
        j = i
        while j < t.size and on[j] and j - i < FRAME:
            j += 1
        sensor_ns = round(t[j - 1] * 1e9)
        payload = encode_frame(MeasurementType.ACC, sensor_ns, 1, samples[i:j].tobytes())
        arrival_ns = sensor_ns + 20_000_000
        packets.append(RawPacket(arrival_ns, arrival_ns, Stream.PMD_DATA.value, payload))
        i = j
    return packets


def _breaths(per_item: bool = False) -> list[BreathEvent]:
    acc = {"fs_hz": ACC_FS_HZ, "resolution_bits": 16, "factor": 1.0}
    source = SourceInfo("ble", "Polar H10", streams={Stream.PMD_DATA.value: {"acc": acc}})
    pipeline = Pipeline(Header(0, 0, source))
    packets = _acc_packets()
    events = []
    if per_item:
        for packet in packets:
            events += pipeline.handle([packet])
    else:
        for second in range(round(SESSION_S) + 3):
            window = (second * 10**9, (second + 1) * 10**9)
            events += pipeline.handle([p for p in packets if window[0] <= p.t_mono_ns < window[1]])
    return [e for e in events if isinstance(e, BreathEvent)]


def test_breaths_resume_and_are_good_after_each_short_hole() -> None:
    """Every hole had started the accelerometer's analysis again: its inhale direction, learnt
    over several breaths, was never learnt between holes 20 s apart, and each new detector's
    first breath is uncertain: 18 breaths in 3 min, none good, nothing coached. The
    projection now carries across a short hole: 18 breaths, 15 of them good."""
    events = _breaths()
    breaths = [e.breath for e in events]
    t, on = _sample_times()
    # Inhale onsets of the breaths that lay whole between holes.
    whole = [
        k * PERIOD_S
        for k in range(1, round(SESSION_S / PERIOD_S) + 1)
        if (k + 1) * PERIOD_S <= t[-1] and on[(t >= k * PERIOD_S) & (t <= (k + 1) * PERIOD_S)].all()
    ]
    assert len(whole) == 18
    for b in breaths:
        # Each breath is one of those that lay whole between holes, measured within 0.5 s.
        onset = min(whole, key=lambda s: abs(s - b.inhale_onset_s))
        assert abs(b.inhale_onset_s - onset) < 0.5 and abs(b.end_s - onset - PERIOD_S) < 0.5
    assert len(breaths) >= 16
    assert sum(b.quality == "good" for b in breaths) >= 12
    # Good breaths are coached.
    assert any(e.feedback.cue for e in events)


def test_holes_give_the_same_breaths_in_any_chunking() -> None:
    assert _breaths(per_item=True) == _breaths()
