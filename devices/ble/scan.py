"""Find sensors: scan with bleak and say what each device is and can stream.

Classification rules (the project's requirement; fact sheet (docs/reference/ble-protocols.md)
§1-3): a standard heart-rate device advertises the Heart Rate service 0x180D; a Polar device is
recognised by its name or by manufacturer data
with company id 0x006B; a Vernier Go Direct device by the ``GDX`` name prefix (its service UUID
is probably not advertised, so the name is what Vernier's own clients filter on [GJS]).

Only a Polar device that shows the PMD service (advertised, or a model known to have it: H10,
OH1, Verity Sense) is of the Polar family, driven by :class:`~devices.ble.polar_h10.PolarH10`;
other Polar straps (H9, H7) offer nothing but the standard heart-rate service and are heart-rate
devices like any other strap. A Polar device with the heart-rate service known only by its
manufacturer data (no name in the advertisement) is of the Polar family too: its model is
unknown, and :class:`~devices.ble.polar_h10.PolarH10` streams heart rate alone when it finds no
PMD service.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from devices.ble.errors import is_bug, map_bleak_error
from devices.ble.sensors import HEART_RATE_SERVICE_UUID
from devices.polar_pmd import PMD_SERVICE_UUID

logger = logging.getLogger(__name__)

POLAR_COMPANY_ID = 0x006B
"""Bluetooth SIG company identifier of Polar Electro Oy."""
GODIRECT_NAME_PREFIX = "GDX"
RESPIRATION_BELT_PREFIX = "GDX-RB"
POLAR_PMD_MODELS = ("h10", "oh1", "sense")
"""Polar models with the PMD service, as their advertised names spell them (``Polar H10 …``,
``Polar OH1 …``, ``Polar Sense …`` for the Verity Sense); its 128-bit UUID is rarely advertised."""


class SensorFamily(StrEnum):
    """Which sensor class can drive a device."""

    HEART_RATE = "heart_rate"
    POLAR = "polar"
    GODIRECT = "godirect"


class Capability(StrEnum):
    """What a device can stream."""

    HR_RR = "hr+rr"
    ECG = "ecg"
    ACC = "acc"
    RESPIRATION_FORCE = "respiration_force"
    RESPIRATION_RATE = "respiration_rate"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One recognised device.

    Attributes
    ----------
    name : str
        Advertised name (empty if none).
    address : str
        Bluetooth address (a UUID on macOS).
    rssi : int
        Signal strength, dBm (higher is stronger).
    family : SensorFamily
        The sensor class that drives it.
    capabilities : tuple of Capability
        What it can stream, in a fixed order; for a Polar sensor whose name gives no model,
        what it may stream (:attr:`checked_at_connect`).
    device : BLEDevice or None
        bleak's handle, to connect without scanning again (not shown, not compared).
    """

    name: str
    address: str
    rssi: int
    family: SensorFamily
    capabilities: tuple[Capability, ...]
    device: BLEDevice | None = field(default=None, compare=False, repr=False)

    @property
    def checked_at_connect(self) -> bool:
        """Whether :attr:`capabilities` are only what it may stream: a Polar sensor whose name
        gives no model (:data:`POLAR_PMD_MODELS`) has its PMD features read at connect."""
        return self.family is SensorFamily.POLAR and _polar_model(self.name) is None

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (for ``breathwise scan --json``)."""
        return {
            "name": self.name,
            "address": self.address,
            "rssi": self.rssi,
            "family": self.family.value,
            "capabilities": [c.value for c in self.capabilities],
            "checked_at_connect": self.checked_at_connect,
        }


def _norm_uuid(uuid: str) -> str:
    uuid = uuid.lower()
    return f"0000{uuid}-0000-1000-8000-00805f9b34fb" if len(uuid) == 4 else uuid


def classify(
    name: str | None,
    service_uuids: Sequence[str] = (),
    manufacturer_data: Mapping[int, bytes] | None = None,
) -> tuple[SensorFamily, tuple[Capability, ...]] | None:
    """Family and capabilities of an advertised device, or ``None`` if it is not a sensor we use.

    Parameters
    ----------
    name : str or None
        Advertised local name.
    service_uuids : sequence of str
        Advertised service UUIDs (16-bit short forms accepted).
    manufacturer_data : mapping, optional
        Company id -> data.
    """
    text = name or ""
    uuids = {_norm_uuid(u) for u in service_uuids}
    has_hr = HEART_RATE_SERVICE_UUID in uuids
    named_polar = text.lower().startswith("polar")
    is_polar = named_polar or POLAR_COMPANY_ID in (manufacturer_data or {})
    model = _polar_model(text)
    if is_polar and not named_polar and has_hr and PMD_SERVICE_UUID not in uuids:
        # Known by its company id alone, the model is unknown: listed with what a Polar strap
        # may offer (an H10's ECG and ACC), as ScanResult.checked_at_connect says. PolarH10
        # reads what it offers at connect and streams heart rate alone, as a strap, when it has
        # no PMD service (an H9).
        return SensorFamily.POLAR, (Capability.HR_RR, Capability.ECG, Capability.ACC)
    if is_polar and (model is not None or PMD_SERVICE_UUID in uuids):
        if model == "h10":
            return SensorFamily.POLAR, (Capability.HR_RR, Capability.ECG, Capability.ACC)
        # OH1, Verity Sense: ACC (and PPG), no ECG; the feature read at connect tells for sure.
        hr = (Capability.HR_RR,) if has_hr else ()
        return SensorFamily.POLAR, (*hr, Capability.ACC)
    if text.upper().startswith(GODIRECT_NAME_PREFIX):
        belt = text.upper().startswith(RESPIRATION_BELT_PREFIX)
        belt_caps = (Capability.RESPIRATION_FORCE, Capability.RESPIRATION_RATE)
        return SensorFamily.GODIRECT, belt_caps if belt else ()
    if has_hr:
        return SensorFamily.HEART_RATE, (Capability.HR_RR,)
    return None


def result_from_advertisement(device: BLEDevice, adv: AdvertisementData) -> ScanResult | None:
    """A :class:`ScanResult` for one advertisement, or ``None`` for devices we do not use."""
    name = adv.local_name or device.name or ""
    kind = classify(name, adv.service_uuids, adv.manufacturer_data)
    if kind is None:
        return None
    family, caps = kind
    return ScanResult(name, device.address, adv.rssi, family, caps, device)


async def scan(timeout_s: float = 5.0) -> list[ScanResult]:
    """Scan for ``timeout_s`` seconds; recognised sensors, strongest signal first.

    Raises
    ------
    devices.ble.errors.BleError
        :class:`~devices.ble.errors.NoAdapterError`,
        :class:`~devices.ble.errors.BluetoothOffError` or
        :class:`~devices.ble.errors.PermissionDeniedError` (with advice) when Bluetooth cannot
        be used; other failures as :class:`~devices.ble.errors.ConnectFailedError`.
    """
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_bug(exc):  # not a Bluetooth failure to give advice about
            raise
        raise map_bleak_error(exc) from exc
    results = [r for device, adv in found.values() if (r := result_from_advertisement(device, adv))]
    results.sort(key=lambda r: (-r.rssi, r.name, r.address))
    return results


@dataclass(frozen=True, slots=True)
class ConnectedDevice:
    """A device this computer's Bluetooth service is connected to, which therefore does not
    advertise and which no scan lists.

    Attributes
    ----------
    address : str
        Bluetooth address.
    name : str
        Its name as BlueZ knows it (empty if none).
    family : SensorFamily or None
        The sensor class that would drive it, ``None`` for devices Breathwise does not use.
    """

    address: str
    name: str
    family: SensorFamily | None


async def connected_devices() -> list[ConnectedDevice]:
    """The devices BlueZ says are connected (``org.bluez.Device1`` with ``Connected``).

    BlueZ keeps the link of a program that ended without disconnecting (``kill -9``, a crash;
    bleak's ``backends/bluezdbus/client.py``: "The BlueZ backend does not disconnect devices
    when the application closes or crashes", bluez/bluez#89, hbldh/bleak#315), and a connected
    sensor stops advertising, so only BlueZ's own list of devices shows it. bleak has no public
    call for that list, so BlueZ's ObjectManager is asked directly. Empty off Linux, or when
    BlueZ cannot be asked: callers only use it to explain what a scan did not find.
    """
    if not sys.platform.startswith("linux"):
        return []
    # bleak's own D-Bus library, installed with it on Linux only.
    from dbus_fast import BusType, DBusError, Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        async with asyncio.timeout(2.0):
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
            try:
                reply = await bus.call(
                    Message(
                        destination="org.bluez",
                        path="/",
                        interface="org.freedesktop.DBus.ObjectManager",
                        member="GetManagedObjects",
                    )
                )
            finally:
                bus.disconnect()
    except (OSError, TimeoutError, DBusError, ValueError) as exc:
        logger.debug("could not ask BlueZ for connected devices: %r", exc)
        return []
    if reply is None or reply.message_type is not MessageType.METHOD_RETURN:
        return []
    found: list[ConnectedDevice] = []
    for interfaces in reply.body[0].values():
        properties = interfaces.get("org.bluez.Device1")
        if not properties or not _value(properties, "Connected"):
            continue
        name = str(_value(properties, "Name") or "")
        uuids = [str(u) for u in _value(properties, "UUIDs") or []]
        makers = {
            int(k): bytes(v.value)
            for k, v in (_value(properties, "ManufacturerData") or {}).items()
        }
        kind = classify(name, uuids, makers)
        address = str(_value(properties, "Address") or "")
        found.append(ConnectedDevice(address, name, kind[0] if kind else None))
    return sorted(found, key=lambda d: (d.name, d.address))


def _value(properties: dict[str, Any], key: str) -> Any:
    """The value of a D-Bus property (a ``dbus_fast.Variant``), or ``None`` when absent."""
    variant = properties.get(key)
    return variant.value if variant is not None else None


def _polar_model(name: str) -> str | None:
    """The Polar PMD model a device name gives (:data:`POLAR_PMD_MODELS`), lower case, or None."""
    return next((w for w in name.lower().split() if w in POLAR_PMD_MODELS), None)
