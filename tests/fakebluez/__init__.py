"""A fake BlueZ on a private D-Bus bus, so the real bleak code path runs without Bluetooth.

``server`` exports ``org.bluez`` (Adapter1, Device1, GattService1, GattCharacteristic1) with
simulated sensors and scenario switches; ``bus`` starts a private ``dbus-daemon`` and the server
process and talks to the server's control interface. How and why this works is written up in
``docs/reference/ble-without-hardware.md``.
"""

from __future__ import annotations

STRAP_ADDRESS = "C0:FF:EE:00:00:01"
STRAP_NAME = "HRM-Pro Fake"
STRAP_TWIN_ADDRESS = "C0:FF:EE:00:00:11"
"""A second strap named :data:`STRAP_NAME` (device ``strap-twin``)."""
POLAR_ADDRESS = "A0:9E:1A:00:00:02"
POLAR_NAME = "Polar H10 A1B2C3D4"
BELT_ADDRESS = "F4:60:77:00:00:03"
BELT_NAME = "GDX-RB 0K2002Z5"
H9_ADDRESS = "A0:9E:1A:00:00:09"
H9_NAME = "Polar H9 ABCD1234"
"""A Polar strap with only the standard heart-rate service (no PMD): H9, H7."""
VERITY_ADDRESS = "A0:9E:1A:00:00:05"
VERITY_NAME = "Polar Sense B5C6D7E8"
"""A Polar Verity Sense: PMD with ACC (52 Hz, ±8 g) and PPG but no ECG."""

CONTROL_PATH = "/org/breathwise/FakeBlueZ"
CONTROL_INTERFACE = "org.breathwise.FakeBlueZ1"
READY_LINE = "FAKEBLUEZ READY"
