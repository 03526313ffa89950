"""``breathwise scan`` and opening the session's sensor(s): the CLI side of :mod:`devices.ble`."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from devices.guide import BreathingGuide
from devices.source import PacketSource
from trainer.errors import BadArgument
from trainer.session.sensor_label import SIM_HR_NAMES, device_kind, is_sensorless, is_simulated

if TYPE_CHECKING:  # bleak loads with it: the command line imports it only where it scans
    from devices.ble.scan import ScanResult

NO_DEVICE_ADVICE = (
    "name your sensor with --device ('breathwise scan' lists those in range; 'breathwise config "
    "set default_device NAME' keeps it), or use --device none to practise with the pacer and "
    "cues alone, or --device sim for a demo on a simulated person"
)
"""What to do when no device is given: the person's own sensor first, the simulator last (a
demo, whose numbers are nobody's)."""


def is_simulator(spec: str) -> bool:
    """Whether a ``--device`` value names a built-in simulated sensor (``sim`` or ``sim-hr``)."""
    return is_simulated(device_kind(spec))


def is_no_sensor(spec: str) -> bool:
    """Whether a ``--device`` value asks for no sensor (``none``)."""
    return is_sensorless(device_kind(spec))


def check_devices(specs: Sequence[str]) -> list[str]:
    """The ``--device`` values without blanks, once they make sense together.

    Raises
    ------
    BadArgument
        None left, or ``none`` or a simulator given with another device.
    """
    cleaned = [s.strip() for s in specs if s.strip()]
    if not cleaned:
        raise BadArgument("--device is empty", NO_DEVICE_ADVICE)
    if len(cleaned) > 1 and any(is_no_sensor(s) for s in cleaned):
        raise BadArgument(
            f"--device {' --device '.join(cleaned)}: none means no sensor at all",
            "use --device none alone, or leave it out and name your sensors",
        )
    if len(cleaned) > 1 and any(is_simulator(s) for s in cleaned):
        raise BadArgument(
            f"--device {' --device '.join(cleaned)}: a simulator runs alone",
            "use one: sim (belt and strap) or sim-hr (a heart-rate strap alone)",
        )
    return cleaned


async def open_source(
    specs: Sequence[str],
    guide: BreathingGuide,
    *,
    seed: int | None = None,
    pair: bool = False,
    scan_timeout_s: float = 10.0,
    on_progress: Callable[[str], None] | None = None,
) -> PacketSource:
    """The packet source for ``--device`` values: the simulator, no sensor, or one or two BLE
    sensors.

    Parameters
    ----------
    specs : sequence of str
        ``["sim"]`` (simulated strap and belt), ``["sim-hr"]`` (simulated heart-rate strap
        alone), ``["none"]`` (no sensor: timer and cues only), or BLE addresses / names (two
        for a strap and a belt at once).
    guide : BreathingGuide
        What the simulated person follows (the session's pacer); unused for real sensors.
    seed : int, optional
        Seed of the simulated person.
    pair : bool
        Pair (bond) before connecting, for systems that need it (Windows with a Polar H10).
    scan_timeout_s : float
        How long to look for a named device, seconds.
    on_progress : callable, optional
        Told each retry of a slow or failing BLE connect, in a line.

    Raises
    ------
    BadArgument
        The simulator or ``none`` mixed with other devices, or an empty device.
    devices.errors.BreathwiseDeviceError
        No adapter, device not found, busy... (each with advice for the user).
    """
    cleaned = check_devices(specs)
    if is_no_sensor(cleaned[0]):
        from devices.sensorless import SensorlessSource

        return SensorlessSource()
    if is_simulator(cleaned[0]):
        from devices.sim import PersonModel, SimulatedSource

        person = PersonModel(seed=seed) if seed is not None else PersonModel()
        belt = cleaned[0].lower() not in SIM_HR_NAMES
        return SimulatedSource(person, guide, belt=belt)
    from devices.ble import open_devices

    return await open_devices(
        cleaned, scan_timeout_s=scan_timeout_s, pair=pair, on_progress=on_progress
    )


def scan(
    timeout: Annotated[
        float, typer.Option("--timeout", "-t", help="Seconds to listen for sensors, 0.5-120.")
    ] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List nearby sensors Breathwise can use, strongest signal first.

    Recognises standard heart-rate straps (Heart Rate service 0x180D), Polar sensors (by name or
    Polar's manufacturer data) and Vernier Go Direct respiration belts (names starting 'GDX').
    Use the address or a part of the name with 'breathwise live --device'. A sensor still
    connected to this computer (an earlier session killed) does not advertise; it is named
    below the list (not in --json).

    Example: breathwise scan --timeout 8
    """
    if not math.isfinite(timeout) or not 0.5 <= timeout <= 120:
        raise BadArgument(f"--timeout {timeout:g} is out of range", "use 0.5 to 120 seconds")
    from devices.ble import connected_devices
    from devices.ble import scan as ble_scan

    results = asyncio.run(ble_scan(timeout))
    if as_json:
        print(json.dumps([r.to_json() for r in results], indent=2))
        return
    # A sensor still connected to this computer (a session killed with kill -9 left its link)
    # does not advertise: without this line the person looks for it in vain.
    # One that advertises all the same is in the table: a Polar H10 takes two connections at
    # once, and keeps advertising while it holds one.
    listed = {r.address.upper() for r in results}
    held = [
        d
        for d in asyncio.run(connected_devices())
        if d.family is not None and d.address.upper() not in listed
    ]
    if not results:
        print(
            f"no sensors found in {timeout:g} s: wake the sensor (a strap needs skin contact), "
            "bring it closer, and try again"
        )
    else:
        _print_scan_table(results)
    for device in held:
        print(
            f"{device.address}{f' ({device.name})' if device.name else ''} is still connected to"
            " this computer (an earlier session, or one running now?), so it does not advertise:"
            f" if no session is using it, 'bluetoothctl disconnect {device.address}', or switch"
            " the sensor off and on"
        )


def _print_scan_table(results: list[ScanResult]) -> None:
    """The sensors found, one line each, as ``scan`` lists them."""
    print(f"{'name':<24} {'address':<20} {'signal':>7}  streams")
    for r in results:
        streams = ", ".join(c.value for c in r.capabilities) or "-"
        if r.checked_at_connect:
            streams += " (if offered: checked at connect)"
        print(f"{r.name or '(no name)':<24} {r.address:<20} {r.rssi:>4} dBm  {streams}")
