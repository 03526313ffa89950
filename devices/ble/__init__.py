"""Bluetooth Low Energy sensors through bleak: scan, connect, stream, reconnect.

The only package that imports bleak. Public entry points for the CLI::

    results = await scan(timeout_s=5.0)                 # list[ScanResult], strongest first
    source = await open_device("AA:BB:CC:DD:EE:FF")      # or a name; a PacketSource
    async with source:
        async for item in source.packets(): ...          # RawPacket | LinkEvent
"""

from __future__ import annotations

from devices.ble.backoff import RetryPolicy
from devices.ble.combined import CombinedSource
from devices.ble.errors import (
    BleError,
    BluetoothOffError,
    BluetoothUnavailableError,
    ConnectFailedError,
    DeviceBusyError,
    DeviceGoneError,
    DeviceNotFoundError,
    NoAdapterError,
    PairingFailedError,
    PermissionDeniedError,
    SensorCommandError,
    StillConnectedError,
    UnsupportedDeviceError,
)
from devices.ble.godirect_belt import GoDirectBelt
from devices.ble.heart_rate_strap import HeartRateStrap
from devices.ble.polar_h10 import PolarH10
from devices.ble.resolve import find_sensor, is_address, open_device, open_devices, sensor_for
from devices.ble.scan import (
    Capability,
    ConnectedDevice,
    ScanResult,
    SensorFamily,
    classify,
    connected_devices,
    scan,
)
from devices.ble.sensors import BleSensor

__all__ = [
    "BleError",
    "BleSensor",
    "BluetoothOffError",
    "BluetoothUnavailableError",
    "Capability",
    "CombinedSource",
    "ConnectFailedError",
    "ConnectedDevice",
    "DeviceBusyError",
    "DeviceGoneError",
    "DeviceNotFoundError",
    "GoDirectBelt",
    "HeartRateStrap",
    "NoAdapterError",
    "PairingFailedError",
    "PermissionDeniedError",
    "PolarH10",
    "RetryPolicy",
    "ScanResult",
    "SensorCommandError",
    "SensorFamily",
    "StillConnectedError",
    "UnsupportedDeviceError",
    "classify",
    "connected_devices",
    "find_sensor",
    "is_address",
    "open_device",
    "open_devices",
    "scan",
    "sensor_for",
]
