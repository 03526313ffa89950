"""Connection life of the three sensor families, with the real bleak against the fake BlueZ.

Every test compares what the fake says it sent while connected with what the source yielded,
so a lost or duplicated notification fails the test.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pytest

from devices.ble import (
    CombinedSource,
    DeviceBusyError,
    DeviceGoneError,
    DeviceNotFoundError,
    GoDirectBelt,
    HeartRateStrap,
    PairingFailedError,
    PolarH10,
    RetryPolicy,
    SensorCommandError,
    UnsupportedDeviceError,
    find_sensor,
    open_device,
    open_devices,
    sensor_for,
)
from devices.ble.godirect_belt import MAX_PERIOD_US, MIN_PERIOD_US
from devices.ble.polar_h10 import MAX_STREAM_RESTARTS
from devices.ble.sensors import HEART_RATE_MEASUREMENT_UUID
from devices.errors import DecodeError
from devices.godirect import decode_godirect_measurement, is_measurement_packet
from devices.godirect_commands import (
    GODIRECT_COMMAND_UUID,
    GODIRECT_RESPONSE_UUID,
    Command,
    Reassembler,
)
from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import RawPacket, Stream
from devices.polar_pmd import (
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    MeasurementType,
    SampleClock,
    build_stop,
    decode_acc,
    decode_ecg,
    parse_control_point,
    parse_frame,
)
from devices.source import LinkState, is_given_up
from tests.ble.conftest import Collected, FakeBlueZ, collect
from tests.fakebluez import (
    BELT_ADDRESS,
    H9_ADDRESS,
    H9_NAME,
    POLAR_ADDRESS,
    POLAR_NAME,
    STRAP_ADDRESS,
    STRAP_NAME,
    VERITY_ADDRESS,
    VERITY_NAME,
)
from trainer.storage.recording import MAX_BELT_PERIOD_US, MIN_BELT_PERIOD_US

FAST = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.5, give_up_after_s=10.0)
STREAM_OF_UUID = {
    HEART_RATE_MEASUREMENT_UUID: Stream.HEART_RATE,
    PMD_DATA_UUID: Stream.PMD_DATA,
    PMD_CONTROL_POINT_UUID: Stream.PMD_CONTROL,
    GODIRECT_RESPONSE_UUID: Stream.GODIRECT,
}


class FakeClock:
    """An injected host clock: strictly increasing, far from the real one."""

    def __init__(self, start: int) -> None:
        self._ticks = itertools.count(start, 1000)

    def __call__(self) -> int:
        return next(self._ticks)


async def assert_nothing_missing(fake: FakeBlueZ, address: str, got: Collected) -> None:
    """Per stream, the payloads yielded equal those the device sent while connected, in order."""
    sent = await fake.control.sent(address)
    assert sent, "the device sent nothing"
    for uuid, stream in STREAM_OF_UUID.items():
        expected = [payload for u, payload in sent if u == uuid]
        assert [p.payload for p in got.packets(stream)] == expected, stream


async def run_for(source: PolarH10 | HeartRateStrap | GoDirectBelt, seconds: float) -> Collected:
    async with source:
        got, task = collect(source)
        await asyncio.sleep(seconds)
    await asyncio.wait_for(task, 5)
    return got


async def test_strap_streams_heart_rate_with_both_clocks(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.05")
    mono, wall = FakeClock(10**12), FakeClock(1_700_000_000 * 10**9)
    strap = HeartRateStrap(STRAP_ADDRESS, policy=FAST, mono_ns=mono, wall_ns=wall)
    got = await run_for(strap, 0.6)
    packets = got.packets(Stream.HEART_RATE)
    assert len(packets) >= 3
    assert got.error is None and got.events() == []
    for packet in packets:
        assert decode_heart_rate_measurement(packet.payload).rr_raw
    assert all(10**12 <= p.t_mono_ns < 2 * 10**12 for p in packets)
    assert all(p.t_wall_ns >= 1_700_000_000 * 10**9 for p in packets)
    assert [p.t_mono_ns for p in packets] == sorted(p.t_mono_ns for p in packets)
    assert strap.info.details["battery_percent"] == 0x57
    assert strap.info.details["body_sensor_location"] == "chest"
    assert strap.info.details["manufacturer"] == "Fake Straps Inc"
    assert strap.info.streams == {"hr": {"rr_unit_s": 1 / 1024}}
    await assert_nothing_missing(fake, STRAP_ADDRESS, got)
    assert not await fake.control.is_connected(STRAP_ADDRESS)


async def test_polar_streams_ecg_acc_hr_and_stops_on_exit(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.2", "--cp-split")
    polar = await open_device(
        POLAR_ADDRESS, scan_timeout_s=5, policy=FAST, acc_fs_hz=200, acc_range_g=8
    )
    assert isinstance(polar, PolarH10)
    got = await run_for(polar, 1.6)
    assert got.error is None
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)

    # The feature read came before subscribing: with StartNotify a later read would have been
    # echoed as a control-point packet starting 0F.
    control = [parse_control_point(p.payload) for p in got.packets(Stream.PMD_CONTROL)]
    assert all(p.payload[0] != 0x0F for p in got.packets(Stream.PMD_CONTROL))
    assert len(control) >= 6  # settings ECG, start ECG, settings ACC (2 parts), start ACC, stops

    writes = [value for uuid, value in await fake.control.writes(POLAR_ADDRESS)]
    assert writes[:4] == [
        bytes.fromhex("0100"),
        bytes.fromhex("02000001820001010E00"),
        bytes.fromhex("0102"),
        bytes.fromhex("02020001C80001011000020108 00".replace(" ", "")),
    ]
    assert writes[-2:] == [bytes.fromhex("0302"), bytes.fromhex("0300")]  # stopped on exit
    assert not await fake.control.is_connected(POLAR_ADDRESS)

    frames = [parse_frame(p.payload) for p in got.packets(Stream.PMD_DATA)]
    ecg = [f for f in frames if f.measurement_type == MeasurementType.ECG]
    acc = [f for f in frames if f.measurement_type == MeasurementType.ACC]
    assert len(ecg) >= 2 and len(acc) >= 5
    assert all(len(decode_ecg(f)) == 73 for f in ecg)
    assert all(decode_acc(f).shape == (36, 3) for f in acc)
    clock = SampleClock(polar.info.streams["pmd"]["ecg"]["fs_hz"])
    for frame in ecg:
        clock.sample_times_ns(frame.timestamp_ns, 73)
    assert clock.fs_hz == pytest.approx(130 * 1.006, abs=0.02)  # the fake's +0.6 % drift
    assert polar.info.streams["pmd"] == {
        "ecg": {"fs_hz": 130, "resolution_bits": 14},
        "acc": {"fs_hz": 200, "range_g": 8, "resolution_bits": 16, "factor": 1.0},
    }
    assert polar.info.details["pmd_features"] == ["ECG", "ACC"]
    assert polar.info.details["model"] == "H10"
    assert got.packets(Stream.HEART_RATE)


def _acc_frames_after(got: Collected, mark_ns: int) -> int:
    return sum(
        1
        for p in got.packets(Stream.PMD_DATA)
        if p.t_mono_ns > mark_ns and parse_frame(p.payload).measurement_type == MeasurementType.ACC
    )


async def test_polar_restarts_a_stream_the_sensor_stopped_on_its_own(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    # The sensor stops ACC 0.4 s after starting it and says so (01 02); heart rate and ECG go on.
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.2", "--stop-notice", "acc:0.4")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST, acc_fs_hz=200)
    got = await run_for(polar, 1.6)
    assert got.error is None
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)
    assert (polar.stop_notices, polar.stream_restarts) == (1, 1)
    notices = [p for p in got.packets(Stream.PMD_CONTROL) if p.payload[:1] == b"\x01"]
    assert [n.payload for n in notices] == [bytes.fromhex("0102")]
    # ACC flows again after the notice: started anew with the same settings.
    assert _acc_frames_after(got, notices[0].t_mono_ns) >= 5
    writes = [value for _, value in await fake.control.writes(POLAR_ADDRESS)]
    start_acc = bytes.fromhex("02020001C80001011000020102 00".replace(" ", ""))
    assert writes.count(start_acc) == 2
    assert writes[-2:] == [bytes.fromhex("0302"), bytes.fromhex("0300")]  # both stopped on exit


async def test_polar_gives_up_on_a_stream_the_sensor_keeps_stopping(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.1", "--stop-notice", "acc:0.15:0")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    async with polar:
        got, task = collect(polar)
        await got.wait_for(lambda g: polar.stop_notices > MAX_STREAM_RESTARTS, 10)
        mark = len(got.items)
        await asyncio.sleep(1.3)  # ECG frames come every 0.56 s (73 samples at 130 Hz)
    await asyncio.wait_for(task, 5)
    assert got.error is None
    assert (polar.stop_notices, polar.stream_restarts) == (
        MAX_STREAM_RESTARTS + 1,
        MAX_STREAM_RESTARTS,
    )
    later = got.items[mark:]
    kinds = {
        parse_frame(i.payload).measurement_type
        for i in later
        if isinstance(i, RawPacket) and i.stream == Stream.PMD_DATA
    }
    assert kinds == {MeasurementType.ECG}  # ECG goes on, ACC stays stopped
    assert any(isinstance(i, RawPacket) and i.stream == Stream.HEART_RATE for i in later)
    writes = [value for _, value in await fake.control.writes(POLAR_ADDRESS)]
    assert writes[-1:] == [bytes.fromhex("0300")]  # only ECG was left to stop


async def test_belt_init_period_start_stop_and_measurements(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "belt")
    belt = GoDirectBelt(BELT_ADDRESS, policy=FAST, period_us=50_000)
    got = await run_for(belt, 0.8)
    assert got.error is None
    await assert_nothing_missing(fake, BELT_ADDRESS, got)
    commands = [
        value
        for uuid, value in await fake.control.writes(BELT_ADDRESS)
        if uuid == GODIRECT_COMMAND_UUID
    ]
    reassembled = [p for p in (Reassembler().feed(c) for c in commands) if p is not None]
    ids = [c[4] for c in commands if c[0] == 0x58]
    assert ids[0] == Command.INIT and len(commands[0]) == 20  # INIT goes in two writes
    assert ids[1:] == [
        Command.AVAILABLE_MASK,
        Command.SENSOR_INFO,
        Command.SENSOR_INFO,
        Command.SET_PERIOD,
        Command.START,
        Command.STOP,
    ]
    assert reassembled
    assert belt.info.details["channels"]["1"]["description"] == "Force"
    assert belt.info.details["channels"]["1"]["units"] == "N"
    assert belt.info.details["channels"]["2"]["units"] == "bpm"
    assert belt.info.streams["gdx"]["period_us"] == 50_000
    assert belt.info.streams["gdx"]["force_channel"] == 1

    packets = [p.payload for p in got.packets(Stream.GODIRECT) if is_measurement_packet(p.payload)]
    assert len(packets) >= 4  # 20 Hz for 0.8 s, minus start-up
    force = [decode_godirect_measurement(p).channel(1)[0] for p in packets]
    assert all(0.0 < f < 4.0 for f in force)
    assert math.isnan(decode_godirect_measurement(packets[0]).channel(2)[0])


def events_at_least(n: int) -> Callable[[Collected], bool]:
    return lambda got: len(got.events()) >= n


def data_after(mark: int) -> Callable[[Collected], bool]:
    def check(got: Collected) -> bool:
        return any(
            isinstance(i, RawPacket) and i.stream == Stream.PMD_DATA for i in got.items[mark:]
        )

    return check


async def test_a_belt_period_below_the_force_sensors_minimum_is_clamped_and_said(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    # The fake's force sensor allows 5 ms at the shortest. Before, 1 ms was sent unchecked and
    # the header said 1 ms, whatever the belt did with it.
    fake = fake_bluez("--devices", "belt")
    belt = GoDirectBelt(BELT_ADDRESS, policy=FAST, period_us=1_000)
    got = await run_for(belt, 0.3)
    assert got.error is None
    assert belt.info.streams["gdx"]["period_us"] == 5_000
    assert belt.info.details["channels"]["1"]["min_period_us"] == 5_000
    (note,) = belt.info.details["notes"]  # for the session to show, not a raw log line
    assert "a sample period of 1000 µs is outside the 5000-1000000000 µs" in note
    set_period = [
        p
        for p in (Reassembler().feed(v) for u, v in await fake.control.writes(BELT_ADDRESS))
        if p is not None and p[4] == Command.SET_PERIOD
    ]
    assert set_period and int.from_bytes(set_period[0][7:11], "little") == 5_000


@pytest.mark.parametrize(
    ("periods", "sent_us"),
    [
        ("50:60", 100_000),  # asked the belt for 16.7 kHz; the header said 60 µs
        ("4294967295:4294967295", 100_000),  # 71.6 min a sample
        ("200000:1000", 100_000),  # a minimum above the maximum
        ("200000:18446744073709551615", 200_000),  # a sane minimum still clamps
    ],
)
async def test_belt_period_limits_no_recording_can_hold_are_not_obeyed(
    fake_bluez: Callable[..., FakeBlueZ], periods: str, sent_us: int
) -> None:
    # Before, the belt obeyed any limits its SENSOR_INFO reply stated: it was asked for 60 µs
    # and the header said so, which read_recording refuses (gdx period_us must be 100-1e+07).
    fake = fake_bluez("--devices", "belt", "--belt-force-periods", periods)
    belt = GoDirectBelt(BELT_ADDRESS, policy=FAST, period_us=100_000)
    got = await run_for(belt, 0.3)
    assert got.error is None
    assert belt.info.streams["gdx"]["period_us"] == sent_us
    assert MIN_BELT_PERIOD_US <= sent_us <= MAX_BELT_PERIOD_US
    set_period = [
        p
        for p in (Reassembler().feed(v) for u, v in await fake.control.writes(BELT_ADDRESS))
        if p is not None and p[4] == Command.SET_PERIOD
    ]
    assert set_period and int.from_bytes(set_period[0][7:11], "little") == sent_us
    (note,) = belt.info.details["notes"]
    low, high = periods.split(":")
    assert f"{low}-{high} µs" in note


def test_belt_periods_are_those_a_recording_holds() -> None:
    assert (MIN_PERIOD_US, MAX_PERIOD_US) == (MIN_BELT_PERIOD_US, MAX_BELT_PERIOD_US)
    for bad in (MIN_PERIOD_US - 1, MAX_PERIOD_US + 1, 0):
        with pytest.raises(ValueError, match="period_us must be 100-10000000 µs"):
            GoDirectBelt(BELT_ADDRESS, period_us=bad)


async def test_link_drops_mid_session_and_every_packet_is_kept(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.1")
    down_s = 0.4
    async with PolarH10(POLAR_ADDRESS, policy=FAST) as polar:
        got, task = collect(polar)
        for _ in range(2):
            await got.wait_for(lambda g: len(g.packets(Stream.PMD_DATA)) >= 2, 5)
            before = len(got.events())
            await fake.control.drop_link(POLAR_ADDRESS, down_s)
            await got.wait_for(events_at_least(before + 2), 8)
            # The streams restart by themselves after the reconnect.
            await got.wait_for(data_after(len(got.items)), 5)
        await asyncio.sleep(0.3)
    await asyncio.wait_for(task, 5)
    assert got.error is None
    events = got.events()
    assert [e.state for e in events] == [LinkState.LOST, LinkState.RESTORED] * 2
    assert all(e.device == POLAR_ADDRESS for e in events)
    for lost, restored in zip(events[::2], events[1::2], strict=True):
        gap_s = (restored.t_mono_ns - lost.t_mono_ns) / 1e9
        # Back within 5 s of the device returning (the project's requirement, its tracker's
        # issue 3); here well under.
        assert down_s <= gap_s < down_s + 5.0
    assert len(polar.gaps) == 2
    assert polar.connections == 3
    assert await fake.control.connects(POLAR_ADDRESS) == 3
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)


@pytest.mark.parametrize("drop_on", ["1", "2,3"])
async def test_a_link_lost_while_streams_start_is_retried_not_fatal(
    fake_bluez: Callable[..., FakeBlueZ], drop_on: str
) -> None:
    """The link drops after a START is written and before it is answered: the command's
    timeout is a symptom of the drop, so it is retried like one (on the first connect, and on
    two reconnects in a row), not the end of the session."""
    fake = fake_bluez(
        "--devices", "polar", "--hr-interval", "0.1", "--drop-on-start", drop_on,
        "--down-for", "0.2",
    )  # fmt: skip
    async with PolarH10(POLAR_ADDRESS, policy=FAST) as polar:
        got, task = collect(polar)
        await got.wait_for(lambda g: len(g.packets(Stream.PMD_DATA)) >= 2, 10)
        if drop_on != "1":
            await fake.control.drop_link(POLAR_ADDRESS, 0.2)
            await got.wait_for(lambda g: len(g.events()) >= 2, 10)
            await got.wait_for(data_after(len(got.items)), 10)
    await asyncio.wait_for(task, 5)
    assert got.error is None
    events = got.events()
    if drop_on == "1":
        assert events == []  # the session had not started: nothing to report
        assert await fake.control.connects(POLAR_ADDRESS) == 2
    else:
        # Lost; connects 2 and 3 drop on their START: still down, one gap, back at connect 4.
        # Before, each of them said "back" while the link was down again, and each START waited
        # out the 5 s command timeout that the drop could have cut short.
        assert [e.state for e in events] == [LinkState.LOST, LinkState.RESTORED]
        assert await fake.control.connects(POLAR_ADDRESS) == 4
        gap_s = (events[1].t_mono_ns - events[0].t_mono_ns) / 1e9
        assert gap_s < 3.0, gap_s
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)


async def test_timed_drops_over_a_longer_session(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    """A scaled-down 'link drop every 20 s for 3 minutes': every 1 s for 4 s, strap + belt."""
    fake = fake_bluez(
        "--devices",
        "strap,belt",
        "--hr-interval",
        "0.1",
        "--drop-every",
        "1.0",
        "--down-for",
        "0.3",
    )
    source = await open_devices([STRAP_ADDRESS, BELT_ADDRESS], scan_timeout_s=5, policy=FAST)
    assert isinstance(source, CombinedSource)
    async with source:
        got, task = collect(source)
        await asyncio.sleep(4.2)
    await asyncio.wait_for(task, 5)
    assert got.error is None
    events = got.events()
    for device in (STRAP_ADDRESS, BELT_ADDRESS):
        states = [e.state for e in events if e.device == device]
        assert len(states) >= 4
        assert states[: len(states) // 2 * 2] == [LinkState.LOST, LinkState.RESTORED] * (
            len(states) // 2
        )
        await assert_nothing_missing(fake, device, _only(got, device))
    assert set(source.info.streams) == {"hr", "gdx"}


def _only(got: Collected, address: str) -> Collected:
    """The packets of one device of a strap + belt session (told apart by stream id)."""
    stream = Stream.HEART_RATE if address == STRAP_ADDRESS else Stream.GODIRECT
    return Collected(items=[p for p in got.packets() if p.stream == stream])


async def test_device_gone_for_good(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.05")
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=1.0)
    strap = HeartRateStrap(STRAP_ADDRESS, policy=policy, connect_timeout_s=0.3)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(lambda g: len(g.packets()) >= 3, 5)
        started = time.monotonic()
        await fake.control.vanish(STRAP_ADDRESS)
        await asyncio.wait_for(task, 5)
        assert time.monotonic() - started < 5.0
    assert isinstance(got.error, DeviceGoneError)
    assert "did not come back" in str(got.error) and got.error.advice
    # The loss, then the give-up (a session with another sensor goes on without this one).
    assert [e.state for e in got.events()] == [LinkState.LOST, LinkState.LOST]
    assert [is_given_up(e) for e in got.events()] == [False, True]


async def test_a_sensor_whose_bluez_object_expired_is_found_again_by_a_scan(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """BlueZ removes an unpaired device's object once it has been away for its
    TemporaryTimeout (30 s) and creates it again only when a discovery sees it. Reconnects
    kept using the scan's BLEDevice, whose object was gone (bleak: a plain BleakError "device
    'dev_…' not found"), and never scanned: a strap away for 40 s was given up at 120 s though
    it was back at 68 s (review 6, F1). Here: removed 0.5 s after the drop, back at 1.5 s."""
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.05", "--temporary-timeout", "0.5")
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=8.0)
    # Opened as the command line does: found by a scan, so bleak holds its BlueZ object.
    strap = await open_device(STRAP_ADDRESS, scan_timeout_s=5, policy=policy, connect_timeout_s=3)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(lambda g: len(g.packets()) >= 3, 5)
        await fake.control.drop_link(STRAP_ADDRESS, 1.5)
        dropped = time.monotonic()
        await got.wait_for(events_at_least(2), 7)
        assert got.error is None, got.error
        back_after_s = time.monotonic() - dropped
        mark = len(got.items)
        await got.wait_for(lambda g: len(g.items) >= mark + 3, 3)
    await asyncio.wait_for(task, 5)
    assert [e.state for e in got.events()] == [LinkState.LOST, LinkState.RESTORED]
    assert back_after_s < 1.5 + 5.0  # streaming within 5 s of its return
    await assert_nothing_missing(fake, STRAP_ADDRESS, got)


async def test_a_sensor_gone_between_scan_and_connect_is_said_in_words(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """Before: bleak's repr with a D-Bus object name ("BleakError(\"device 'dev_C0_FF_…' not
    found\")") and 3 futile retries on the vanished object, ending with "move closer" (review
    6, F4). Now one scan by address, then the sensor's name and the not-found advice."""
    fake = fake_bluez("--devices", "strap")
    found = await find_sensor(STRAP_ADDRESS, timeout_s=5)
    await fake.control.vanish(STRAP_ADDRESS)
    notes: list[str] = []
    strap = sensor_for(found, policy=FAST, connect_timeout_s=0.5, on_progress=notes.append)
    with pytest.raises(DeviceNotFoundError) as info:
        async with strap:
            pass
    assert str(info.value) == (
        f"{STRAP_NAME} ({STRAP_ADDRESS}) is no longer in range (it stopped advertising)"
    )
    assert "wake the sensor" in info.value.advice
    # One retry, by address (a scan that cannot see it either), said in words.
    assert len(notes) == 1 and "attempt 2" in notes[0], notes
    assert "no longer in range" in notes[0] and "Bleak" not in notes[0]


@pytest.mark.parametrize(
    "failure",
    [
        "AuthenticationFailed",
        "AuthenticationRejected",
        "AuthenticationCanceled",
        "AuthenticationTimeout",
    ],
)
async def test_a_failed_pairing_is_said_at_once_with_how_to_pair_afresh(
    fake_bluez: Callable[..., FakeBlueZ], failure: str
) -> None:
    """Before: retried 4 times as a radio failure and ended with the raw D-Bus text and
    "move closer to the sensor" (review 6, F8)."""
    fake = fake_bluez("--devices", "polar", "--require-pairing", "--pair-error", failure)
    notes: list[str] = []
    polar = PolarH10(
        POLAR_ADDRESS, name=POLAR_NAME, policy=FAST, pair=True, on_progress=notes.append
    )
    with pytest.raises(PairingFailedError) as info:
        async with polar:
            pass
    assert str(info.value).startswith(f"pairing with {POLAR_NAME} failed: authentication ")
    assert f"org.bluez.Error.{failure}" in str(info.value)
    assert f"'bluetoothctl remove {POLAR_ADDRESS}'" in info.value.advice
    assert "--pair" in info.value.advice and "closer" not in info.value.advice
    assert notes == []  # not retried
    assert await fake.control.connects(POLAR_ADDRESS) == 0


async def test_malformed_notifications_are_recorded_and_rejected_by_decoders(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.05", "--malformed-every", "3")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST, acc_fs_hz=200)
    got = await run_for(polar, 1.0)
    assert got.error is None
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)
    rejected = accepted = 0
    for packet in got.packets():
        try:
            if packet.stream == Stream.HEART_RATE:
                decode_heart_rate_measurement(packet.payload)
            elif packet.stream == Stream.PMD_DATA:
                frame = parse_frame(packet.payload)
                if frame.measurement_type == MeasurementType.ECG:
                    decode_ecg(frame)
                else:
                    decode_acc(frame)
            accepted += 1
        except DecodeError:
            rejected += 1
    assert rejected >= 3 and accepted >= 10


async def test_control_point_error_is_reported_and_the_link_closed(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--cp-error", "acc:9")
    with pytest.raises(SensorCommandError, match="INVALID_RANGE") as info:
        async with PolarH10(POLAR_ADDRESS, policy=FAST):
            pass
    # The range asked for was one the sensor offered: nothing for the user to choose.
    assert "take the sensor off the strap" in info.value.advice
    assert not await fake.control.is_connected(POLAR_ADDRESS)
    assert await fake.control.connects(POLAR_ADDRESS) == 1  # refused commands are not retried


@pytest.mark.parametrize("factor", ["nan", "0", "-0.000244", "inf"])
async def test_an_impossible_acc_factor_refuses_the_stream_with_advice(
    fake_bluez: Callable[..., FakeBlueZ], factor: str
) -> None:
    # Before, the FACTOR was taken as sent: the header held NaN (or 0, or a negative scale),
    # every compressed ACC sample decoded to NaN and ended the session with a traceback, and
    # the reader refused the recording ("pmd acc factor must be 1e-12-1e+12").
    fake = fake_bluez("--devices", "polar", "--acc-factor", factor)
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    with pytest.raises(SensorCommandError, match="started ACC with an impossible scale") as info:
        async with polar:
            pass
    assert "FACTOR" in str(info.value)
    assert "take the sensor off the strap" in info.value.advice
    assert polar.info.streams["pmd"]["acc"]["factor"] == 1.0  # never the device's nonsense
    # The stream the sensor started is stopped, not left sending frames nobody can scale.
    writes = [value for _, value in await fake.control.writes(POLAR_ADDRESS)]
    assert writes[-1] == build_stop(MeasurementType.ACC)
    assert not await fake.control.is_connected(POLAR_ADDRESS)
    assert await fake.control.connects(POLAR_ADDRESS) == 1  # a refusal is not retried


async def test_a_verity_factor_is_kept_for_the_decoder(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake_bluez("--devices", "polar", "--acc-factor", "0.000244")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    got = await run_for(polar, 0.2)
    assert got.error is None
    assert polar.info.streams["pmd"]["acc"]["factor"] == pytest.approx(0.000244, rel=1e-6)


async def test_already_in_state_is_tolerated(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--devices", "polar", "--cp-error", "ecg:6")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST, acc=False)
    got = await run_for(polar, 0.2)
    assert got.error is None


async def test_slow_connect_is_cancelled_and_retried(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake = fake_bluez("--devices", "strap", "--slow-connect", "5", "--hr-interval", "0.05")
    started = time.monotonic()
    strap = HeartRateStrap(STRAP_ADDRESS, policy=FAST, connect_timeout_s=0.8)
    got = await run_for(strap, 0.3)
    # The 5 s connect was abandoned after 0.8 s (bleak's Disconnect cancels it), then retried.
    assert time.monotonic() - started < 4.5
    assert got.packets(Stream.HEART_RATE)
    assert await fake.control.connects(STRAP_ADDRESS) == 1


async def test_each_retry_of_a_slow_connect_is_said(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    """Before, a slow sensor's retries were only logged (nothing configures logging): headless
    'live' said nothing for 84 s."""
    fake_bluez("--devices", "strap", "--slow-connect", "5", "--slow-connects", "2")
    said: list[str] = []
    strap = HeartRateStrap(
        STRAP_ADDRESS, name="HRM", policy=FAST, connect_timeout_s=0.5, on_progress=said.append
    )
    await run_for(strap, 0.1)
    assert said == [
        f"connecting to HRM ... (attempt {n} of up to 4, the last timed out after 0.5 s)"
        for n in (2, 3)
    ]


async def test_busy_device(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--devices", "strap", "--busy")
    policy = RetryPolicy(initial_delay_s=0.05, max_delay_s=0.1, busy_attempts=2)
    with pytest.raises(DeviceBusyError) as info:
        async with HeartRateStrap(STRAP_ADDRESS, policy=policy):
            pass
    assert "other apps" in info.value.advice


# BlueZ answers insufficient authentication with NotPermitted "Not paired" (src/gatt-client.c),
# which the --pair advice had missed (review 7, finding 2: it read as Bluetooth access denied);
# a back end that passes the ATT code on gives the other form.
PAIRING_ERRORS = [
    ("bluez", "not paired (org.bluez.Error.NotPermitted)"),
    ("att", "insufficient authentication (ATT error 0x05)"),
]


@pytest.mark.parametrize(("form", "words"), PAIRING_ERRORS)
async def test_pairing_option(fake_bluez: Callable[..., FakeBlueZ], form: str, words: str) -> None:
    fake = fake_bluez("--devices", "polar", "--require-pairing", "--pairing-error", form)
    with pytest.raises(SensorCommandError, match="refused a PMD command") as info:
        async with PolarH10(POLAR_ADDRESS, policy=FAST):
            pass
    assert "--pair" in info.value.advice  # the flag 'breathwise live' has
    # Said in words, not as the repr of bleak's argument tuple (found in review).
    assert words in str(info.value)
    assert "<" not in str(info.value) and "GATT Protocol Error" not in str(info.value)
    polar = PolarH10(POLAR_ADDRESS, policy=FAST, pair=True)
    got = await run_for(polar, 0.8)
    assert got.packets(Stream.PMD_DATA)
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)


@pytest.mark.parametrize(("form", "words"), PAIRING_ERRORS)
async def test_a_belt_that_needs_pairing_is_told_so_at_once(
    fake_bluez: Callable[..., FakeBlueZ], form: str, words: str
) -> None:
    """Before, the belt's refused write was retried 4 times as a radio failure and ended with
    bleak's exception repr and 'move closer to the sensor'."""
    fake = fake_bluez("--devices", "belt", "--require-pairing", "--pairing-error", form)
    with pytest.raises(SensorCommandError, match="must be paired first") as info:
        async with GoDirectBelt(BELT_ADDRESS, policy=FAST):
            pass
    assert "--pair" in info.value.advice
    assert words in str(info.value)
    assert "<" not in str(info.value)
    assert await fake.control.connects(BELT_ADDRESS) == 1  # a refusal is not retried
    belt = GoDirectBelt(BELT_ADDRESS, policy=FAST, pair=True)
    got = await run_for(belt, 0.5)
    assert got.error is None and got.packets(Stream.GODIRECT)


async def test_wrong_family_is_unsupported(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--devices", "strap")
    with pytest.raises(UnsupportedDeviceError, match="PMD"):
        async with PolarH10(STRAP_ADDRESS, policy=FAST):
            pass


async def open_and_run(name: str, seconds: float) -> tuple[PolarH10 | HeartRateStrap, Collected]:
    """Find ``name`` by scanning, connect the sensor class chosen for it and stream."""
    sensor = await open_device(name, scan_timeout_s=5, policy=FAST)
    assert isinstance(sensor, PolarH10 | HeartRateStrap)
    got = await run_for(sensor, seconds)
    assert got.error is None
    return sensor, got


@pytest.mark.parametrize(
    ("extra", "spec", "sensor_class"),
    [((), H9_NAME, HeartRateStrap), (("--unnamed",), H9_ADDRESS, PolarH10)],
    ids=["named", "unnamed"],
)
async def test_a_polar_strap_without_pmd_streams_rr_as_a_heart_rate_strap(
    fake_bluez: Callable[..., FakeBlueZ], extra: tuple[str, ...], spec: str, sensor_class: type
) -> None:
    """Named, an H9 opens as a strap (before: as PolarH10, refused: "no Polar PMD control
    point"). Known by Polar's company id alone its model is unknown, so it opens as a Polar
    sensor, which streams heart rate and RR as a strap when it finds no PMD service."""
    fake = fake_bluez("--devices", "h9", "--hr-interval", "0.05", *extra)
    strap, got = await open_and_run(spec, 0.6)
    assert type(strap) is sensor_class
    packets = got.packets(Stream.HEART_RATE)
    assert len(packets) >= 3
    assert all(decode_heart_rate_measurement(p.payload).rr_raw for p in packets)
    assert strap.info.streams == {"hr": {"rr_unit_s": 1 / 1024}}
    assert strap.info.details["family"] == "heart_rate"
    assert strap.info.details["model"] == "H9"
    await assert_nothing_missing(fake, H9_ADDRESS, got)


async def test_an_unnamed_polar_h10_still_streams_ecg_and_acc(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """Without a name in its advertisement an H10 was taken for a plain strap: no ECG, no ACC."""
    fake = fake_bluez("--devices", "polar", "--hr-interval", "0.2", "--unnamed")
    polar, got = await open_and_run(POLAR_ADDRESS, 1.6)
    assert isinstance(polar, PolarH10)
    frames = [parse_frame(p.payload) for p in got.packets(Stream.PMD_DATA)]
    assert {f.measurement_type for f in frames} == {MeasurementType.ECG, MeasurementType.ACC}
    assert got.packets(Stream.HEART_RATE)
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)


async def test_a_pmd_sensor_without_ecg_streams_what_it_offers(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    # A Verity Sense: ACC at 52 Hz, ±8 g only, no ECG. Before: "does not offer ECG (turn that
    # stream off ...)", and with ECG off "does not offer ACC at 50 Hz / ±2 g".
    fake = fake_bluez("--devices", "verity", "--hr-interval", "0.2")
    polar, got = await open_and_run(VERITY_NAME, 1.6)
    assert isinstance(polar, PolarH10)
    await assert_nothing_missing(fake, VERITY_ADDRESS, got)
    frames = [parse_frame(p.payload) for p in got.packets(Stream.PMD_DATA)]
    assert frames and {f.measurement_type for f in frames} == {MeasurementType.ACC}
    assert got.packets(Stream.HEART_RATE)
    assert polar.info.streams["pmd"] == {
        "acc": {"fs_hz": 52, "range_g": 8, "resolution_bits": 16, "factor": 1.0}
    }
    assert polar.info.details["pmd_features"] == ["PPG", "ACC"]
    # Notes for the session to show, not logging warnings printed raw on stderr.
    assert polar.info.details["notes"] == [
        f"{VERITY_NAME} does not offer ECG; streaming without it",
        f"{VERITY_NAME} offers ACC at [52] Hz, ±[8] g: streaming at 52 Hz, ±8 g",
    ]
    # Asked for what was offered, never for ECG.
    writes = [value for _, value in await fake.control.writes(VERITY_ADDRESS)]
    assert not any(w[:2] == bytes.fromhex("0200") for w in writes)


def test_combined_source_rejects_overlapping_streams() -> None:
    with pytest.raises(ValueError, match="'hr'"):
        CombinedSource([PolarH10(POLAR_ADDRESS), HeartRateStrap(STRAP_ADDRESS)])


def test_bad_options_are_rejected_early() -> None:
    with pytest.raises(ValueError, match=r"acc_fs_hz must be one of \(25, 50, 100, 200\), got 75"):
        PolarH10(POLAR_ADDRESS, acc_fs_hz=75)
    with pytest.raises(ValueError, match="the force channel must be streamed"):
        GoDirectBelt(BELT_ADDRESS, channels=(2,))


def test_sample_times_of_a_recording_are_monotonic() -> None:
    # Guards the helper used above: sample times across frames never go back.
    clock = SampleClock(130.0)
    times = np.concatenate([clock.sample_times_ns(10**9 * k, 130) for k in range(1, 5)])
    assert np.all(np.diff(times) > 0)


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("denied", "read not permitted (ATT error 0x02)"),
        ("unpaired", "not paired (org.bluez.Error.NotPermitted)"),
    ],
)
async def test_an_optional_detail_the_sensor_will_not_let_be_read_is_left_out(
    fake_bluez: Callable[..., FakeBlueZ], how: str, words: str
) -> None:
    # Before: the refused read failed every connect attempt alike ("switch the sensor off and
    # on", or "--pair" to bond a strap whose heart rate needs no pairing), and heart rate,
    # which needs none of these details, never streamed.
    fake = fake_bluez(
        "--devices", "strap", "--hr-interval", "0.05",
        "--refuse-read", f"2a26:{how}", "--refuse-read", f"2a19:{how}",
    )  # fmt: skip
    strap = HeartRateStrap(STRAP_ADDRESS, policy=FAST)
    got = await run_for(strap, 0.6)
    assert got.error is None and len(got.packets(Stream.HEART_RATE)) >= 3
    await assert_nothing_missing(fake, STRAP_ADDRESS, got)
    assert await fake.control.connects(STRAP_ADDRESS) == 1
    details = strap.info.details
    # Absent, not made up; what the sensor did let be read is kept.
    assert "firmware_revision" not in details and "battery_percent" not in details
    assert details["manufacturer"] == "Fake Straps Inc"
    assert details["body_sensor_location"] == "chest"
    assert details["notes"] == [
        f"{STRAP_ADDRESS} did not let its firmware revision and battery level be read"
        f" ({words}); streaming, and recording without them"
    ]


MTU_NOTE = (
    "refused to start {}: INVALID_MTU (10), the Bluetooth link's MTU is too small for its"
    " frames (PMD needs >= 232 bytes, and on Linux BlueZ, not this program, settles the MTU:"
    " a newer BlueZ or another Bluetooth adapter may allow it); streaming without it"
)


async def test_ecg_refused_for_a_small_mtu_is_left_out_and_heart_rate_and_acc_go_on(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    # Before: "refused to start ECG: INVALID_MTU (10) — the Bluetooth link's MTU is too small
    # for PMD" ended the start, and the heart rate and ACC the session could use went with it.
    fake = fake_bluez("--devices", "polar", "--cp-error", "ecg:10", "--hr-interval", "0.2")
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    got = await run_for(polar, 1.2)
    assert got.error is None
    await assert_nothing_missing(fake, POLAR_ADDRESS, got)
    frames = [parse_frame(p.payload) for p in got.packets(Stream.PMD_DATA)]
    assert frames and {f.measurement_type for f in frames} == {MeasurementType.ACC}
    assert got.packets(Stream.HEART_RATE)
    # The header promises no ECG, and the note says why there is none.
    assert set(polar.info.streams["pmd"]) == {"acc"}
    assert polar.info.details["notes"] == [f"{POLAR_ADDRESS} {MTU_NOTE.format('ECG')}"]
    assert await fake.control.connects(POLAR_ADDRESS) == 1


async def test_a_small_mtu_still_ends_the_start_when_nothing_else_would_stream(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake = fake_bluez("--devices", "polar", "--cp-error", "ecg:10")
    with pytest.raises(SensorCommandError, match="INVALID_MTU") as info:
        async with PolarH10(POLAR_ADDRESS, policy=FAST, acc=False, heart_rate=False):
            pass
    assert info.value.advice.startswith("update BlueZ or use another Bluetooth adapter")
    assert not await fake.control.is_connected(POLAR_ADDRESS)
