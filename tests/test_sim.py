"""The simulated sensor: determinism, packet rates, pacer following, heart, async source."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from devices.godirect import decode_godirect_measurement
from devices.guide import GuideState
from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import RawPacket, Stream
from devices.sim import PersonModel, SimulatedSensor, SimulatedSource
from devices.source import LinkEvent, LinkState

NS = 1_000_000_000
START_MONO = 123 * NS + 456
START_WALL = 1_700_000_000 * NS


class FixedGuide:
    """A pacer with one fixed pattern from ``start_s`` on (the real pacer lives in trainer/)."""

    def __init__(
        self,
        inhale_s: float,
        exhale_s: float,
        hold_in_s: float = 0.0,
        hold_out_s: float = 0.0,
        start_s: float = 0.0,
    ) -> None:
        self.phases = (inhale_s, hold_in_s, exhale_s, hold_out_s)
        self.start_s = start_s

    @classmethod
    def from_rate(cls, rate_bpm: float, ratio: float) -> FixedGuide:
        period = 60.0 / rate_bpm
        return cls(period / (1 + ratio), period * ratio / (1 + ratio))

    @property
    def period_s(self) -> float:
        return sum(self.phases)

    def guide_at(self, t_s: float) -> GuideState | None:
        if t_s < self.start_s:
            return None
        inhale, hold_in, exhale, hold_out = self.phases
        fraction = ((t_s - self.start_s) % self.period_s) / self.period_s
        return GuideState(inhale, hold_in, exhale, hold_out, fraction)


def _sensor(guide: FixedGuide | None = None, **person: float) -> SimulatedSensor:
    model = PersonModel(**person)  # type: ignore[arg-type]
    return SimulatedSensor(model, guide, start_mono_ns=START_MONO, start_wall_ns=START_WALL)


def _until(sensor: SimulatedSensor, t_s: float) -> list[RawPacket]:
    return sensor.packets_until(START_MONO + round(t_s * NS))


def _split(packets: list[RawPacket]) -> tuple[list[RawPacket], list[RawPacket]]:
    belt = [p for p in packets if p.stream == Stream.GODIRECT]
    heart = [p for p in packets if p.stream == Stream.HEART_RATE]
    return belt, heart


def _breaths_in(sensor: SimulatedSensor, t0_s: float, t1_s: float) -> np.ndarray:
    rows = [b for b in sensor.truth_breaths if t0_s <= b[0] < t1_s]
    return np.array(rows)


def _p2t_bpm(sensor: SimulatedSensor, t0_s: float) -> float:
    """Median per-breath RSA: max minus min beat-to-beat HR within each breath, beats/min."""
    beats = np.array(sensor.truth_beats_s)
    hr = 60.0 / np.diff(beats)
    t = beats[1:]
    swings = []
    for onset, _, _, end in sensor.truth_breaths:
        inside = (t >= onset) & (t < end)
        if onset >= t0_s and inside.sum() >= 3:
            swings.append(hr[inside].max() - hr[inside].min())
    return float(np.median(swings))


# -- determinism ------------------------------------------------------------------------------


def test_stepping_does_not_change_the_packets() -> None:
    guide = FixedGuide(4.0, 6.0, hold_in_s=0.5, start_s=90.0)
    hour = 3600
    once = _until(_sensor(guide, seed=11), hour)
    stepped = _sensor(guide, seed=11)
    tiny: list[RawPacket] = []
    for k in range(1, hour * 100 + 1):
        tiny += stepped.packets_until(START_MONO + k * 10_000_000)
    assert tiny == once
    rng = random.Random(4)
    jumpy_sensor = _sensor(guide, seed=11)
    jumpy: list[RawPacket] = []
    t_ns = START_MONO - NS  # a call before the start returns nothing
    while t_ns < START_MONO + hour * NS:
        jumpy += jumpy_sensor.packets_until(t_ns)
        t_ns = min(t_ns + rng.randrange(0, 40 * NS), START_MONO + hour * NS)
    jumpy += jumpy_sensor.packets_until(t_ns)
    assert jumpy == once
    times = [p.t_mono_ns for p in once]
    assert times == sorted(times)
    assert all(p.t_wall_ns - p.t_mono_ns == START_WALL - START_MONO for p in once)
    assert len(_split(once)[0]) == 72_001 and len(_split(once)[1]) == 3600


def test_seed_changes_the_person() -> None:
    a = _until(_sensor(seed=1), 30)
    b = _until(_sensor(seed=2), 30)
    assert [p.t_mono_ns for p in a] == [p.t_mono_ns for p in b]
    assert [p.payload for p in a] != [p.payload for p in b]


# -- packets and their rates ------------------------------------------------------------------


def test_belt_packets_at_fs_in_the_real_format() -> None:
    belt, _ = _split(_until(_sensor(seed=3), 600))
    assert len(belt) == 600 * 20 + 1  # samples at 0, 50 ms, ..., 600 s
    assert set(np.diff([p.t_mono_ns for p in belt]).tolist()) == {50_000_000}
    counters = [p.payload[2] for p in belt]
    assert all((b - a) % 256 == 1 for a, b in itertools.pairwise(counters))
    for packet in belt[::97]:
        m = decode_godirect_measurement(packet.payload)
        assert m.channels == (1, 2) and len(m.values) == 1
        assert 0.5 < m.channel(1)[0] < 8.0  # a force belt reads a few newtons


def test_belt_rate_follows_fs() -> None:
    belt, _ = _split(_until(_sensor(seed=3, belt_fs_hz=25.0), 60))
    assert len(belt) == 60 * 25 + 1
    assert set(np.diff([p.t_mono_ns for p in belt]).tolist()) == {40_000_000}


def test_heart_rate_notifications_once_per_second() -> None:
    sensor = _sensor(seed=3)
    _, heart = _split(_until(sensor, 600))
    assert len(heart) == 600
    assert set(np.diff([p.t_mono_ns for p in heart]).tolist()) == {NS}
    for packet in heart:
        m = decode_heart_rate_measurement(packet.payload)
        assert m.contact_detected is True
        if m.rr_raw:
            mean_ms = sum(m.rr_ms) / len(m.rr_ms)
            assert m.hr_bpm == round(60000 / mean_ms)
    # Every beat reaches the strap's notifications: the RR values are the beat intervals.
    last_s = (heart[-1].t_mono_ns - START_MONO) / NS
    ticks = np.round(np.array([t for t in sensor.truth_beats_s if t <= last_s]) * 1024)
    sent = [rr for p in heart for rr in decode_heart_rate_measurement(p.payload).rr_raw]
    assert sent == np.diff(ticks).astype(int).tolist()


# -- breathing --------------------------------------------------------------------------------


def test_follows_a_6_bpm_guide() -> None:
    guide = FixedGuide(4.0, 6.0)
    sensor = _sensor(guide, seed=5)
    packets = _until(sensor, 200)
    breaths = _breaths_in(sensor, 0, 180)
    rate = 60.0 / np.mean(breaths[:, 3] - breaths[:, 0])
    assert rate == pytest.approx(6.0, abs=0.3)
    lag = (breaths[:, 0] % guide.period_s + 5) % guide.period_s - 5
    assert np.median(lag) == pytest.approx(0.4, abs=0.15)
    inhale = breaths[:, 1] - breaths[:, 0]
    exhale = breaths[:, 2] - breaths[:, 1]
    assert np.median(inhale) == pytest.approx(4.0, rel=0.1)
    assert np.median(exhale) == pytest.approx(6.0 * 0.9, rel=0.1)  # ratio_bias 0.9
    # The chest force rises on the inhale and falls back on the exhale.
    belt, _ = _split(packets)
    t = (np.array([p.t_mono_ns for p in belt]) - START_MONO) / NS
    force = np.array([decode_godirect_measurement(p.payload).channel(1)[0] for p in belt])

    def at(t_s: np.ndarray) -> np.ndarray:
        return force[np.searchsorted(t, t_s)]

    rise = at(breaths[:, 1]) - at(breaths[:, 0])
    fall = at(breaths[:, 1]) - at(breaths[:, 2])
    assert np.all(rise > 0.5) and np.all(fall > 0.5)


def test_holds_follow_the_guide() -> None:
    sensor = _sensor(FixedGuide(4.0, 4.0, hold_in_s=2.0, hold_out_s=2.0), seed=6)
    _until(sensor, 130)
    breaths = _breaths_in(sensor, 0, 120)
    assert np.median(breaths[:, 1] - breaths[:, 0]) == pytest.approx(6.0, rel=0.08)
    assert np.median(breaths[:, 3] - breaths[:, 0]) == pytest.approx(12.0, rel=0.03)
    assert np.median(breaths[:, 3] - breaths[:, 2]) == pytest.approx(2.4, abs=0.4)


def test_a_late_person_shortens_rather_than_skips() -> None:
    # Frequent sighs, each followed by a pause that makes the person late for the next onset.
    guide = FixedGuide.from_rate(12.0, 1.5)
    sensor = _sensor(guide, seed=8, sigh_per_min=3.0)
    _until(sensor, 310)
    breaths = _breaths_in(sensor, 0, 300)
    periods = breaths[:, 3] - breaths[:, 0]
    assert np.sum(periods > 6.5) >= 5  # the sighs and their pauses happened
    assert np.sum(periods < 4.0) >= 5  # the next breaths were shortened
    assert abs(len(breaths) - 60) <= 1  # one breath per pacer cycle: nothing skipped


def test_natural_rhythm_without_a_guide() -> None:
    sensor = _sensor(seed=9)
    _until(sensor, 610)
    breaths = _breaths_in(sensor, 0, 600)
    periods = breaths[:, 3] - breaths[:, 0]
    assert 60.0 / periods.mean() == pytest.approx(12.0, abs=1.0)
    ratio = (breaths[:, 2] - breaths[:, 1]) / (breaths[:, 1] - breaths[:, 0])
    assert np.median(ratio) == pytest.approx(1.4, abs=0.15)
    normal = periods[periods < np.median(periods) * 1.3]  # leave out the sighs
    assert 0.03 < normal.std() / normal.mean() < 0.10


def test_guide_that_starts_later() -> None:
    sensor = _sensor(FixedGuide(4.0, 6.0, start_s=120.0), seed=10)
    _until(sensor, 320)
    before = _breaths_in(sensor, 0, 110)
    after = _breaths_in(sensor, 140, 300)
    assert 60.0 / np.mean(before[:, 3] - before[:, 0]) > 10.0
    assert 60.0 / np.mean(after[:, 3] - after[:, 0]) == pytest.approx(6.0, abs=0.1)


def test_belt_respiration_rate_channel() -> None:
    sensor = _sensor(FixedGuide(4.0, 6.0), seed=12)
    belt, _ = _split(_until(sensor, 120))
    t = (np.array([p.t_mono_ns for p in belt]) - START_MONO) / NS
    rate = np.array([decode_godirect_measurement(p.payload).channel(2)[0] for p in belt])
    assert np.all(np.isnan(rate[t < 30.0]))
    assert np.all(np.abs(rate[t > 60.0] - 6.0) < 1.0)


# -- heart ------------------------------------------------------------------------------------


def test_rsa_is_largest_near_resonance() -> None:
    resonant = _sensor(FixedGuide.from_rate(5.5, 1.5), seed=13, ectopic_per_min=0.0)
    fast = _sensor(FixedGuide.from_rate(12.0, 1.5), seed=13, ectopic_per_min=0.0)
    _until(resonant, 180)
    _until(fast, 180)
    slow_swing, fast_swing = _p2t_bpm(resonant, 20), _p2t_bpm(fast, 20)
    assert 9.0 < slow_swing < 18.0
    assert 2.0 < fast_swing < 6.0
    assert slow_swing > 2 * fast_swing


def test_heart_rate_rises_on_inhale() -> None:
    sensor = _sensor(FixedGuide(4.0, 6.0), seed=14, ectopic_per_min=0.0)
    _until(sensor, 190)
    beats = np.array(sensor.truth_beats_s)
    hr = 60.0 / np.diff(beats)
    t = beats[1:]
    inhaling = np.zeros(t.size, bool)
    late_exhale = np.zeros(t.size, bool)
    for onset, exhale, pause, _ in sensor.truth_breaths:
        inhaling |= (t >= onset + 1.0) & (t < exhale)
        late_exhale |= (t >= (exhale + pause) / 2) & (t < pause)
    assert hr[inhaling].mean() > hr[late_exhale].mean() + 5.0
    assert np.mean(hr) == pytest.approx(66.0, abs=4.0)


def test_ectopic_beats_over_ten_minutes() -> None:
    sensor = _sensor(seed=15)
    _, heart = _split(_until(sensor, 600))
    ectopic = [t for t in sensor.truth_ectopic_beats_s if 3.0 < t < 590.0]
    assert len(ectopic) >= 2
    beats = sensor.truth_beats_s
    rr = np.diff(beats)
    for t in ectopic:
        k = beats.index(t)  # rr[k - 1] ends at the ectopic beat
        normal = np.median(rr[k - 6 : k - 1])
        assert rr[k - 1] / normal == pytest.approx(0.65, abs=0.08)
        assert rr[k] / normal == pytest.approx(1.35, abs=0.1)
    # They reach the bytes: the short-long pair is in the notifications.
    sent = np.array([r for p in heart for r in decode_heart_rate_measurement(p.payload).rr_raw])
    assert np.sum(sent[1:] / sent[:-1] > 1.7) >= len(ectopic) - 1
    assert not _sensor(seed=15, ectopic_per_min=0.0).truth_ectopic_beats_s


# -- model and description --------------------------------------------------------------------


def test_rsa_curve_shape() -> None:
    person = PersonModel()
    assert person.rsa_amplitude_bpm(5.5) == pytest.approx(13.0)
    assert 3.0 <= person.rsa_amplitude_bpm(12.0) <= 4.0
    assert 2.0 <= person.rsa_amplitude_bpm(15.0) <= 4.0
    rates = np.linspace(3, 20, 50)
    best = rates[np.argmax([person.rsa_amplitude_bpm(r) for r in rates])]
    assert best == pytest.approx(5.5, abs=0.4)


def test_info_describes_the_streams() -> None:
    sensor = _sensor(seed=21)
    info = sensor.info
    assert info.kind == "sim"
    assert info.streams == {"gdx": {"period_us": 50_000, "force_channel": 1}, "hr": {}}
    assert info.details["seed"] == 21
    assert info.details["person"]["resonance_rate_bpm"] == 5.5
    json.dumps(info.details)  # goes into a recording header


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"belt_fs_hz": 0.0}, "belt_fs_hz must be > 0"),
        ({"base_hr_bpm": -60.0}, "base_hr_bpm must be finite and >= 0"),
        ({"breath_cv": math.nan}, "breath_cv must be finite and >= 0"),
        ({"seed": -1}, "seed must be finite and >= 0"),
        ({"ectopic_premature": 1.2}, "ectopic beats need 0.3 <= premature < 1"),
        ({"natural_pause_s": 10.0}, "natural_pause_s leaves no time to breathe"),
        ({"hr_period_s": True}, "hr_period_s must be a number, got True"),
    ],
)
def test_person_model_rejects_nonsense(bad: dict[str, float], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        PersonModel(**bad)  # type: ignore[arg-type]


# -- async source -----------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when the fake ``sleep`` is awaited."""

    def __init__(self, start_ns: int) -> None:
        self.now_ns = start_ns

    def __call__(self) -> int:
        return self.now_ns

    def wall(self) -> int:
        return self.now_ns - START_MONO + START_WALL

    def sleeper(self) -> Callable[[float], Awaitable[None]]:
        async def sleep(seconds: float) -> None:
            self.now_ns += round(seconds * NS) or 1

        return sleep


async def _collect(source: SimulatedSource) -> list[RawPacket | LinkEvent]:
    items: list[RawPacket | LinkEvent] = []
    async with source:
        async for item in source.packets():
            items.append(item)
    return items


async def test_async_source_yields_the_same_packets() -> None:
    guide = FixedGuide(4.0, 6.0)
    person = PersonModel(seed=31)
    reference = _until(
        SimulatedSensor(person, guide, start_mono_ns=START_MONO, start_wall_ns=START_WALL), 90
    )
    fast_clock = FakeClock(START_MONO)
    fast = SimulatedSource(
        person, guide, clock=fast_clock, wall_clock=fast_clock.wall, realtime=False, duration_s=90
    )
    assert await _collect(fast) == reference
    assert fast.sensor is not None and fast.sensor.truth_breaths
    clock = FakeClock(START_MONO)
    live = SimulatedSource(
        person,
        guide,
        clock=clock,
        wall_clock=clock.wall,
        sleep=clock.sleeper(),
        realtime=True,
        duration_s=90,
    )
    assert await _collect(live) == reference
    assert clock.now_ns >= START_MONO + 90 * NS


async def test_drop_link_loses_the_window() -> None:
    person = PersonModel(seed=32)
    reference = _until(
        SimulatedSensor(person, None, start_mono_ns=START_MONO, start_wall_ns=START_WALL), 60
    )
    clock = FakeClock(START_MONO)
    source = SimulatedSource(
        person, None, clock=clock, wall_clock=clock.wall, sleep=clock.sleeper(), duration_s=60
    )
    source.drop_link(20.0, 5.0)
    items = await _collect(source)
    events = [(i, item) for i, item in enumerate(items) if isinstance(item, LinkEvent)]
    assert [e.state for _, e in events] == [LinkState.LOST, LinkState.RESTORED]
    (i_lost, lost), (i_back, back) = events
    assert lost.t_mono_ns == START_MONO + 20 * NS
    assert back.t_mono_ns == START_MONO + 25 * NS
    assert back.t_wall_ns - back.t_mono_ns == START_WALL - START_MONO
    assert i_back > i_lost
    window = range(START_MONO + 20 * NS, START_MONO + 25 * NS)
    kept = [p for p in reference if p.t_mono_ns not in window]
    assert [item for item in items if isinstance(item, RawPacket)] == kept
    assert len(kept) < len(reference) - 100
    assert all(p.t_mono_ns < lost.t_mono_ns for p in items[:i_lost])
    assert all(p.t_mono_ns >= back.t_mono_ns for p in items[i_back + 1 :])


async def test_overlapping_drops_merge_and_aclose_ends_the_stream() -> None:
    clock = FakeClock(START_MONO)
    source = SimulatedSource(PersonModel(seed=33), None, clock=clock, realtime=False)
    source.drop_link(10.0, 5.0)
    source.drop_link(12.0, 8.0)
    items: list[RawPacket | LinkEvent] = []
    async with source:
        async for item in source.packets():
            items.append(item)
            if item.t_mono_ns > START_MONO + 30 * NS:
                await source.aclose()
    events = [item for item in items if isinstance(item, LinkEvent)]
    assert [(e.state, e.t_mono_ns - START_MONO) for e in events] == [
        (LinkState.LOST, 10 * NS),
        (LinkState.RESTORED, 20 * NS),
    ]
    assert items[-1].t_mono_ns < START_MONO + 31 * NS
    with pytest.raises(ValueError, match="drop_link needs at_s >= 0 and duration_s > 0"):
        source.drop_link(5.0, 0.0)
