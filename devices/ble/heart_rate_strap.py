"""Any standard heart-rate strap: Heart Rate Measurement (0x2A37) notifications, recorded raw.

GATT glue only; :mod:`devices.heart_rate` decodes the packets downstream. Battery, body sensor
location and Device Information are read once into ``info.details`` by :class:`BleSensor`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bleak import BleakClient

from devices.ble.sensors import HEART_RATE_MEASUREMENT_UUID, BleSensor
from devices.packets import Stream


class HeartRateStrap(BleSensor):
    """A standard Bluetooth heart-rate sensor (service 0x180D): HR and RR intervals.

    Every 0x2A37 notification (about one a second, no timestamp [HRS 3.1.1.3-3.4]) leaves as a
    :class:`~devices.packets.RawPacket` of stream :attr:`~devices.packets.Stream.HEART_RATE`.
    Takes the keyword arguments of :class:`~devices.ble.sensors.BleSensor`.
    """

    family: ClassVar[str] = "heart_rate"

    def _stream_parameters(self) -> dict[str, dict[str, Any]]:
        return {Stream.HEART_RATE.value: {"rr_unit_s": 1 / 1024}}

    async def _start_streams(self, client: BleakClient) -> None:
        self._require(client, HEART_RATE_MEASUREMENT_UUID, "Heart Rate Measurement (0x2A37)")
        await client.start_notify(HEART_RATE_MEASUREMENT_UUID, self._recorder(Stream.HEART_RATE))
