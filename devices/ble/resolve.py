"""From what a user typed (an address or a name) to a connected-ready sensor object."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from devices.ble.combined import CombinedSource
from devices.ble.errors import (
    NOT_FOUND_ADVICE,
    DeviceNotFoundError,
    StillConnectedError,
    UnsupportedDeviceError,
    is_bug,
    map_bleak_error,
)
from devices.ble.godirect_belt import GoDirectBelt
from devices.ble.heart_rate_strap import HeartRateStrap
from devices.ble.polar_h10 import PolarH10
from devices.ble.scan import (
    ScanResult,
    SensorFamily,
    connected_devices,
    result_from_advertisement,
)
from devices.ble.sensors import BleSensor
from devices.source import PacketSource

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")


def is_address(spec: str) -> bool:
    """Whether ``spec`` is a Bluetooth address (or a macOS device UUID) rather than a name."""
    return bool(_MAC.match(spec) or _UUID.match(spec))


SAME_NAME_SCAN_S = 2.5
"""Least time a scan for an exact name runs in all, seconds: another sensor of the same name
(two straps of one model in a household or gym) must have been heard before the first is taken.
A sensor waiting for a connection advertises every 1 s to 2.5 s at most once it saves power
(Heart Rate Profile 1.0 §5.1.1, reduced-power advertising). Waiting only this long, and not
the whole scan time, keeps the usual single sensor quick: about 2.5 s instead of 10 s."""


async def find_sensor(spec: str, *, timeout_s: float = 10.0) -> ScanResult:
    """Scan for the device named or addressed by ``spec``.

    An address ends the scan at once; an exact (case-insensitive) name once the scan has run
    :data:`SAME_NAME_SCAN_S` (at most ``timeout_s``), and only if no other device of that name
    was heard; otherwise, after ``timeout_s``, a single recognised sensor whose name contains
    ``spec`` is taken. When nothing is found, a sensor that this computer is still connected to
    (which therefore does not advertise) is named.

    Raises
    ------
    DeviceNotFoundError
        Nothing matched, or a name matched several sensors
        (:class:`~devices.ble.errors.StillConnectedError`: the one that matched is still
        connected to this computer).
    UnsupportedDeviceError
        The device was found but is not a sensor Breathwise can use.
    devices.ble.errors.BluetoothUnavailableError
        Bluetooth is missing, off or forbidden.
    """
    wanted = spec.strip()
    by_address = is_address(wanted)
    seen: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
    loop = asyncio.get_running_loop()
    exact: asyncio.Future[tuple[BLEDevice, AdvertisementData]] = loop.create_future()

    def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
        seen[device.address] = (device, adv)
        hit = (
            (device.address.upper() == wanted.upper())
            if by_address
            else (_name(device, adv).lower() == wanted.lower())
        )
        if hit and not exact.done():
            exact.set_result((device, adv))

    started = loop.time()
    try:
        async with BleakScanner(detection_callback=on_advertisement):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await asyncio.shield(exact)
            if exact.done() and not by_address:
                # An address is unique; a name is not (without this, the weaker of two
                # straps of one name was taken, silently).
                await asyncio.sleep(started + min(timeout_s, SAME_NAME_SCAN_S) - loop.time())
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_bug(exc):  # not a Bluetooth failure to give advice about
            raise
        raise map_bleak_error(exc, device=wanted) from exc

    if exact.done():
        device, adv = exact.result()
        if not by_address:
            namesakes = [(d, a) for d, a in seen.values() if _name(d, a).lower() == wanted.lower()]
            if len(namesakes) > 1:
                namesakes.sort(key=lambda item: -(item[1].rssi or -127))
                names = ", ".join(f"{_name(d, a)} ({d.address})" for d, a in namesakes)
                raise DeviceNotFoundError(
                    f"{wanted!r} matches several sensors: {names}", "give the address"
                )
        result = result_from_advertisement(device, adv)
        if result is None:
            raise UnsupportedDeviceError(
                f"{adv.local_name or device.address} is not a sensor Breathwise can use",
                "use a heart-rate strap, a Polar H10 or a Go Direct respiration belt",
            )
        return result
    recognised = [r for d, a in seen.values() if (r := result_from_advertisement(d, a))]
    if not by_address:
        partial = [r for r in recognised if wanted.lower() in r.name.lower()]
        if len(partial) == 1:
            return partial[0]
        if len(partial) > 1:
            names = ", ".join(f"{r.name} ({r.address})" for r in partial)
            # The full name cannot tell sensors of one name apart.
            one_name = len({r.name.lower() for r in partial}) == 1
            raise DeviceNotFoundError(
                f"{wanted!r} matches several sensors: {names}",
                "give the address" if one_name else "give the full name or the address",
            )
    held = await _still_connected(wanted, by_address=by_address)
    if held:
        names = ", ".join(f"{address} ({name})" if name else address for address, name in held)
        address = held[0][0]
        raise StillConnectedError(
            f"{names} {'is' if len(held) == 1 else 'are'} still connected to this computer"
            " (an earlier session, or one running now?), so it does not advertise",
            # Not for a session running in another terminal: disconnecting would cut it.
            f"if no session is using it, run 'bluetoothctl disconnect {address}', or switch the"
            " sensor off and on, then try again",
        )
    nearby = ", ".join(f"{r.name} ({r.address})" for r in recognised) or "none"
    raise DeviceNotFoundError(
        f"no sensor {wanted!r} found in {timeout_s:g} s (sensors nearby: {nearby})",
        NOT_FOUND_ADVICE,
    )


def _name(device: BLEDevice, adv: AdvertisementData) -> str:
    return adv.local_name or device.name or ""


async def _still_connected(wanted: str, *, by_address: bool) -> list[tuple[str, str]]:
    """(address, name) of the devices matching ``wanted`` that this computer is connected to
    (:func:`~devices.ble.scan.connected_devices`).

    They are named, not used: BlueZ does not say who holds the link, and taking over one that
    another running program (a second Breathwise session) still uses would cut that program's
    stream when this session disconnects.
    """
    held = [
        (d.address, d.name)
        for d in await connected_devices()
        if (
            (d.address.upper() == wanted.upper())
            if by_address
            else wanted.lower() in d.name.lower()
        )
    ]
    return sorted(held)


def sensor_for(result: ScanResult, **options: Any) -> BleSensor:
    """The sensor object for a scan result (not connected yet).

    ``options`` go to the sensor class; family-specific ones (``acc_fs_hz``, ``acc_range_g``,
    ``ecg``, ``acc``, ``heart_rate`` for Polar; ``period_us``, ``channels`` for Go Direct) are
    dropped for the other families.
    """
    polar_only = {"acc_fs_hz", "acc_range_g", "ecg", "acc", "heart_rate"}
    belt_only = {"period_us", "channels"}
    target: BLEDevice | str = result.device if result.device is not None else result.address
    common = {k: v for k, v in options.items() if k not in polar_only | belt_only}
    common.setdefault("name", result.name or None)
    if result.family is SensorFamily.POLAR:
        polar = {k: v for k, v in options.items() if k in polar_only}
        # Without a Polar name the model is unknown (scan.classify): an H9 streams as a strap.
        unknown_model = not result.name.lower().startswith("polar")
        return PolarH10(target, **common, **polar, heart_rate_fallback=unknown_model)
    if result.family is SensorFamily.GODIRECT:
        belt = {k: v for k, v in options.items() if k in belt_only}
        return GoDirectBelt(target, **common, **belt)
    return HeartRateStrap(target, **common)


async def open_device(spec: str, *, scan_timeout_s: float = 10.0, **options: Any) -> BleSensor:
    """Find the device ``spec`` (address or name) and return its sensor, ready for ``async with``.

    Parameters
    ----------
    spec : str
        ``AA:BB:CC:DD:EE:FF``, a macOS device UUID, or a (part of a) name such as ``"H10"``.
    scan_timeout_s : float
        How long to scan, seconds.
    **options
        Sensor options (``pair``, ``policy``, ``connect_timeout_s``, ``mono_ns``, ``wall_ns``,
        and the family options of :func:`sensor_for`).
    """
    result = await find_sensor(spec, timeout_s=scan_timeout_s)
    if result.family is SensorFamily.GODIRECT and not result.capabilities:
        raise UnsupportedDeviceError(
            f"{result.name} is a Go Direct sensor but not a respiration belt",
            "use a Go Direct respiration belt (GDX-RB)",
        )
    return sensor_for(result, **options)


async def open_devices(
    specs: Sequence[str], *, scan_timeout_s: float = 10.0, **options: Any
) -> PacketSource:
    """One source for one or more devices (``--device`` given twice: strap + belt at once)."""
    if not specs:
        raise ValueError("no device given")
    sensors = [await open_device(s, scan_timeout_s=scan_timeout_s, **options) for s in specs]
    if len(sensors) == 1:
        return sensors[0]
    try:
        return CombinedSource(sensors)
    except ValueError as exc:
        advice = "choose devices that stream different things"
        raise UnsupportedDeviceError(str(exc), advice) from exc
