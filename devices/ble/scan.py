"""Find sensors: scan with bleak and say what each device is and can stream.

Classification rules (issue 3; fact sheet §1-3): a standard heart-rate device advertises the
Heart Rate service 0x180D; a Polar device is recognised by its name or by manufacturer data
with company id 0x006B; a Vernier Go Direct device by the ``GDX`` name prefix (its service UUID
is probably not advertised, so the name is what Vernier's own clients filter on [GJS]).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from devices.ble.errors import map_bleak_error
from devices.ble.sensors import HEART_RATE_SERVICE_UUID

POLAR_COMPANY_ID = 0x006B
"""Bluetooth SIG company identifier of Polar Electro Oy."""
GODIRECT_NAME_PREFIX = "GDX"
RESPIRATION_BELT_PREFIX = "GDX-RB"


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
        What it can stream, in a fixed order.
    device : BLEDevice or None
        bleak's handle, to connect without scanning again (not shown, not compared).
    """

    name: str
    address: str
    rssi: int
    family: SensorFamily
    capabilities: tuple[Capability, ...]
    device: BLEDevice | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (for ``breathwise scan --json``)."""
        return {
            "name": self.name,
            "address": self.address,
            "rssi": self.rssi,
            "family": self.family.value,
            "capabilities": [c.value for c in self.capabilities],
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
    has_hr = HEART_RATE_SERVICE_UUID in {_norm_uuid(u) for u in service_uuids}
    is_polar = text.lower().startswith("polar") or POLAR_COMPANY_ID in (manufacturer_data or {})
    if is_polar:
        caps = [Capability.HR_RR] if has_hr or "h10" in text.lower() else []
        if "h10" in text.lower():
            caps += [Capability.ECG, Capability.ACC]
        elif not caps:
            # Polar sensors without HR in the advertisement (OH1, Verity) still offer PMD ACC.
            caps = [Capability.ACC]
        return SensorFamily.POLAR, tuple(caps)
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
        raise map_bleak_error(exc) from exc
    results = [r for device, adv in found.values() if (r := result_from_advertisement(device, adv))]
    results.sort(key=lambda r: (-r.rssi, r.name, r.address))
    return results
