"""Scanning and finding devices with the real bleak against the fake BlueZ."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from devices.ble import (
    BluetoothOffError,
    Capability,
    DeviceNotFoundError,
    NoAdapterError,
    PermissionDeniedError,
    SensorFamily,
    StillConnectedError,
    classify,
    find_sensor,
    scan,
)
from devices.ble.heart_rate_strap import HeartRateStrap
from devices.ble.polar_h10 import PolarH10
from devices.ble.resolve import SAME_NAME_SCAN_S, sensor_for
from devices.ble.scan import ScanResult
from devices.polar_pmd import PMD_SERVICE_UUID
from tests.ble.conftest import FakeBlueZ, connect_and_leave
from tests.fakebluez import (
    BELT_ADDRESS,
    BELT_NAME,
    POLAR_ADDRESS,
    POLAR_NAME,
    STRAP_ADDRESS,
    STRAP_NAME,
    STRAP_TWIN_ADDRESS,
)


async def test_scan_lists_the_three_fake_sensors_strongest_first(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake_bluez()
    results = await scan(0.5)
    assert [(r.name, r.address) for r in results] == [
        (POLAR_NAME, POLAR_ADDRESS),  # -55 dBm ± 3
        (BELT_NAME, BELT_ADDRESS),  # -65 dBm ± 3
        (STRAP_NAME, STRAP_ADDRESS),  # -70 dBm ± 3
    ]
    assert [r.rssi for r in results] == sorted((r.rssi for r in results), reverse=True)
    polar, belt, strap = results
    assert polar.family is SensorFamily.POLAR
    assert polar.capabilities == (Capability.HR_RR, Capability.ECG, Capability.ACC)
    assert belt.family is SensorFamily.GODIRECT
    assert belt.capabilities == (Capability.RESPIRATION_FORCE, Capability.RESPIRATION_RATE)
    assert strap.family is SensorFamily.HEART_RATE
    assert strap.capabilities == (Capability.HR_RR,)
    assert strap.to_json() == {
        "name": STRAP_NAME,
        "address": STRAP_ADDRESS,
        "rssi": strap.rssi,
        "family": "heart_rate",
        "capabilities": ["hr+rr"],
        "checked_at_connect": False,
    }


def test_classification_rules() -> None:
    assert classify("Polar OH1 1234", ["180d"]) == (
        SensorFamily.POLAR,
        (Capability.HR_RR, Capability.ACC),
    )
    assert classify("Polar Sense B5C6D7E8", []) == (SensorFamily.POLAR, (Capability.ACC,))
    assert classify("", [PMD_SERVICE_UUID], {0x006B: b""}) == (
        SensorFamily.POLAR,
        (Capability.ACC,),
    )
    # Known by Polar's company id alone, the model is unknown: a Polar sensor, which streams
    # ECG and ACC if it offers PMD at connect (an H10) and heart rate alone if not (an H9).
    # Before, it was a plain strap: an H10 with no name in its advertisement lost ECG and ACC;
    # then it was listed with heart rate alone, understating an H10.
    for name in ("", None, "A0-9E-1A-00-00-0A"):
        kind = classify(name, ["180d"], {0x006B: b"\x00"})
        assert kind == (SensorFamily.POLAR, (Capability.HR_RR, Capability.ECG, Capability.ACC))
        unnamed = ScanResult(name or "", "A0:9E:1A:00:00:0A", -50, *kind)
        assert type(sensor_for(unnamed)) is PolarH10
        assert unnamed.checked_at_connect
    named = classify("Polar H10 A1B2C3D4", ["180d"], {0x006B: b""})
    assert named is not None
    assert not ScanResult("Polar H10 A1B2C3D4", "A0:9E:1A:00:00:0B", -50, *named).checked_at_connect
    # A Polar device showing neither the heart-rate nor the PMD service: nothing to use.
    assert classify("", [], {0x006B: b""}) is None
    assert classify("GDX-TMP 123", []) == (SensorFamily.GODIRECT, ())
    assert classify("Any strap", ["0000180d-0000-1000-8000-00805f9b34fb"]) == (
        SensorFamily.HEART_RATE,
        (Capability.HR_RR,),
    )
    assert classify("Headphones", ["0000110b-0000-1000-8000-00805f9b34fb"]) is None


@pytest.mark.parametrize(
    ("name", "sensor_class"),
    [
        ("Polar H9 ABCD1234", HeartRateStrap),
        ("Polar H7 0A1B2C3D", HeartRateStrap),
        ("Polar Pacer Pro 1A2B3C4D", HeartRateStrap),
        ("Polar H10 A1B2C3D4", PolarH10),
        ("Polar OH1 1A2B3C4D", PolarH10),
        ("Polar Sense B5C6D7E8", PolarH10),
    ],
)
def test_only_polar_sensors_with_pmd_open_as_pmd_sensors(name: str, sensor_class: type) -> None:
    # Before, every "Polar" name opened as PolarH10, asked for ECG and ACC, and an H9 or H7
    # (heart-rate service only) failed at connect: "no Polar PMD control point".
    kind = classify(name, ["0000180d-0000-1000-8000-00805f9b34fb"], {0x006B: b""})
    assert kind is not None
    sensor = sensor_for(ScanResult(name, "A0:9E:1A:00:00:09", -50, *kind))
    assert type(sensor) is sensor_class
    if sensor_class is HeartRateStrap:
        assert kind == (SensorFamily.HEART_RATE, (Capability.HR_RR,))


async def test_find_by_address_exact_name_and_partial_name(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake_bluez()
    started = time.monotonic()
    by_address = await find_sensor(STRAP_ADDRESS.lower(), timeout_s=10)
    # An address ends the scan at once; an exact name once no namesake was heard in
    # SAME_NAME_SCAN_S: neither waits out the timeout.
    assert time.monotonic() - started < 2
    started = time.monotonic()
    by_name = await find_sensor(POLAR_NAME.upper(), timeout_s=10)
    assert SAME_NAME_SCAN_S <= time.monotonic() - started < SAME_NAME_SCAN_S + 2
    assert (by_address.address, by_address.family) == (STRAP_ADDRESS, SensorFamily.HEART_RATE)
    assert by_name.address == POLAR_ADDRESS
    partial = await find_sensor("gdx-rb", timeout_s=0.5)
    assert partial.address == BELT_ADDRESS


async def test_not_found_lists_what_is_nearby(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez()
    with pytest.raises(DeviceNotFoundError) as info:
        await find_sensor("Garmin HRM", timeout_s=0.4)
    assert POLAR_NAME in str(info.value) and info.value.advice
    with pytest.raises(DeviceNotFoundError, match="no sensor 'AA:BB:CC:DD:EE:FF' found"):
        await find_sensor("AA:BB:CC:DD:EE:FF", timeout_s=0.3)


async def test_ambiguous_partial_name(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez()
    with pytest.raises(DeviceNotFoundError, match="several sensors"):
        await find_sensor("r", timeout_s=0.4)


async def test_two_sensors_of_one_name_are_refused_even_by_the_full_name(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """Before, the exact name took whichever advertised first (in review, the weaker strap),
    silently, while a partial name matching both was refused (review 6, F5)."""
    fake_bluez("--devices", "strap,strap-twin")
    for spec in (STRAP_NAME, STRAP_NAME.lower(), "HRM-Pro"):
        with pytest.raises(DeviceNotFoundError, match="matches several sensors") as info:
            await find_sensor(spec, timeout_s=3)
        assert STRAP_ADDRESS in str(info.value) and STRAP_TWIN_ADDRESS in str(info.value)
        # The full name cannot tell them apart.
        assert info.value.advice == "give the address"
    found = await find_sensor(STRAP_TWIN_ADDRESS, timeout_s=3)
    assert found.address == STRAP_TWIN_ADDRESS


async def test_a_sensor_a_killed_session_left_connected_is_named_with_the_way_out(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """Before: "no sensor ... found (sensors nearby: none)" with the advice to close other
    apps, though the link is held by this computer (review 6, F2)."""
    fake = fake_bluez("--devices", "strap,polar")
    await connect_and_leave(fake.address, STRAP_ADDRESS)
    assert await fake.control.is_connected(STRAP_ADDRESS)
    for spec in (STRAP_ADDRESS, "hrm-pro"):
        with pytest.raises(StillConnectedError) as info:
            await find_sensor(spec, timeout_s=0.5)
        assert str(info.value).startswith(
            f"{STRAP_ADDRESS} ({STRAP_NAME}) is still connected to this computer"
        )
        assert f"'bluetoothctl disconnect {STRAP_ADDRESS}'" in info.value.advice
        assert "off and on" in info.value.advice
    # Another name is not found as before: the connected strap is not it.
    with pytest.raises(DeviceNotFoundError) as other:
        await find_sensor("Garmin", timeout_s=0.3)
    assert type(other.value) is DeviceNotFoundError
    # The advertising sensor beside it is still found.
    assert (await find_sensor(POLAR_ADDRESS, timeout_s=5)).address == POLAR_ADDRESS


async def test_no_adapter(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--no-adapter")
    with pytest.raises(NoAdapterError, match="no Bluetooth adapter found") as info:
        await scan(0.2)
    assert info.value.advice


async def test_bluetooth_off(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--powered-off")
    with pytest.raises(BluetoothOffError, match="turned off"):
        await scan(0.2)


async def test_permission_denied(fake_bluez: Callable[..., FakeBlueZ]) -> None:
    fake_bluez("--deny-discovery")
    with pytest.raises(PermissionDeniedError, match="access to Bluetooth was denied") as info:
        await scan(0.2)
    assert "bluetooth" in info.value.user_message().lower()


async def test_no_bluetooth_service_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'missing'}")
    with pytest.raises(NoAdapterError, match="Bluetooth service"):
        await scan(0.2)
