"""Vernier Go Direct command packets and command replies (the measurement decoder is elsewhere).

Pure builders and parsers following the fact sheet ``docs/reference/ble-protocols.md`` §3, which
cites godirect-py (``device.py``, ``sensor.py``) and godirect-js (``Device.js``,
``constants.js``). Measurement packets are decoded by :mod:`devices.godirect`; this module builds
what the host writes and parses what the device answers to it. Every parser raises only
:class:`devices.errors.DecodeError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from devices.errors import DecodeError

GODIRECT_SERVICE_UUID = "d91714ef-28b9-4f91-ba16-f0d9a604f112"
"""Go Direct GATT service."""
GODIRECT_COMMAND_UUID = "f4bf14a6-c7d5-4b6d-8aa8-df1a7c83adcb"
"""Command characteristic (write)."""
GODIRECT_RESPONSE_UUID = "b41e6675-a329-40e0-aa01-44d2f444babe"
"""Response characteristic (notify): command replies and measurement packets."""

COMMAND_TAG = 0x58
"""Byte 0 of every host command packet."""
HEADER_LEN = 4
"""Tag, total length, rolling counter, checksum."""
REPLY_PAYLOAD_OFFSET = 6
"""Replies: byte 4 = command, byte 5 = counter, payload from byte 6 [GJS _handleResponse]."""
MAX_WRITE_LEN = 20
"""Commands are sent in writes of at most 20 bytes [GPY][GJS Device.js]."""

INIT_PARAMS = bytes.fromhex("a54a0649074808470946 0a450b440c430d420e41".replace(" ", ""))
"""Fixed parameters of the INIT command [GPY][GJS constants.js]."""

FORCE_CHANNEL = 1
"""Respiration belt channel 1: force, N [LAC][BANGLE]."""
RESPIRATION_RATE_CHANNEL = 2
"""Respiration belt channel 2: the device's own respiration rate, breaths/min [LAC][BANGLE]."""


class Command(IntEnum):
    """Go Direct command ids [GPY][GJS constants.js]."""

    STATUS = 0x10
    START = 0x18
    STOP = 0x19
    INIT = 0x1A
    SET_PERIOD = 0x1B
    SENSOR_INFO = 0x50
    AVAILABLE_MASK = 0x51
    DISCONNECT = 0x54
    DEVICE_INFO = 0x55
    DEFAULT_MASK = 0x56


def checksum(packet: bytes) -> int:
    """Checksum of a packet: the sum of every byte except byte 3 (the checksum), & 0xFF."""
    if len(packet) < HEADER_LEN:
        raise DecodeError(f"Go Direct packet too short for a checksum: {len(packet)} bytes")
    return (sum(packet) - packet[3]) & 0xFF


def build_packet(command: int, counter: int, params: bytes = b"") -> bytes:
    """One command packet: ``58 | total length | counter | checksum | command | params``.

    Parameters
    ----------
    command : int
        Command id (see :class:`Command`).
    counter : int
        Rolling counter value for this packet (0..255).
    params : bytes
        Parameters, already little-endian.

    Raises
    ------
    ValueError
        If the counter is out of range or the packet would exceed 255 bytes.
    """
    if not 0 <= counter <= 0xFF:
        raise ValueError(f"rolling counter out of range: {counter}")
    length = HEADER_LEN + 1 + len(params)
    if length > 0xFF:
        raise ValueError(f"Go Direct packet too long: {length} bytes")
    packet = bytearray([COMMAND_TAG, length, counter, 0, command]) + params
    packet[3] = checksum(bytes(packet))
    return bytes(packet)


def split_for_write(packet: bytes, max_len: int = MAX_WRITE_LEN) -> list[bytes]:
    """Split a packet into consecutive writes of at most ``max_len`` bytes."""
    if max_len < 1:
        raise ValueError("max_len must be >= 1")
    return [packet[i : i + max_len] for i in range(0, len(packet), max_len)]


class CommandBuilder:
    """Builds command packets with the device's rolling counter.

    The counter starts at 0xFF and is decremented before each send, so the first command uses
    0xFE; INIT resets it [GPY device.py][GJS Device.js]. With a fresh builder, ``init()`` (FE),
    ``available_mask()`` (FD), ``set_period(100_000)`` (FC), ``start(0b110)`` (FB) and
    ``stop()`` (FA) give exactly the computed examples of the fact sheet.
    """

    def __init__(self) -> None:
        self._counter = 0xFF

    @property
    def counter(self) -> int:
        """The counter value of the last packet built (0xFF before any)."""
        return self._counter

    def build(self, command: int, params: bytes = b"") -> bytes:
        """Decrement the counter (mod 256) and build a packet with it."""
        self._counter = (self._counter - 1) & 0xFF
        return build_packet(command, self._counter, params)

    def init(self) -> bytes:
        """INIT (0x1A) with its fixed parameters; resets the counter first."""
        self._counter = 0xFF
        return self.build(Command.INIT, INIT_PARAMS)

    def status(self) -> bytes:
        """STATUS (0x10): firmware versions, battery, charging state."""
        return self.build(Command.STATUS)

    def device_info(self) -> bytes:
        """DEVICE_INFO (0x55): order code, serial number, name."""
        return self.build(Command.DEVICE_INFO)

    def available_mask(self) -> bytes:
        """AVAILABLE_MASK (0x51): which sensor channels exist."""
        return self.build(Command.AVAILABLE_MASK)

    def default_mask(self) -> bytes:
        """DEFAULT_MASK (0x56): which channels the device enables by default."""
        return self.build(Command.DEFAULT_MASK)

    def sensor_info(self, channel: int) -> bytes:
        """SENSOR_INFO (0x50) for one channel number."""
        if not 0 <= channel <= 31:
            raise ValueError(f"channel out of range: {channel}")
        return self.build(Command.SENSOR_INFO, bytes([channel]))

    def set_period(self, period_us: int) -> bytes:
        """SET_PERIOD (0x1B): ``ff 00`` + u32 period in µs + ``00×4``."""
        if not 0 < period_us <= 0xFFFFFFFF:
            raise ValueError(f"period out of range: {period_us} µs")
        return self.build(Command.SET_PERIOD, b"\xff\x00" + struct.pack("<I", period_us) + bytes(4))

    def start(self, channel_mask: int) -> bytes:
        """START (0x18): ``ff 01`` + u32 channel mask (bit n = channel n) + ``00×8``."""
        if not 0 < channel_mask <= 0xFFFFFFFF:
            raise ValueError(f"channel mask out of range: {channel_mask}")
        return self.build(Command.START, b"\xff\x01" + struct.pack("<I", channel_mask) + bytes(8))

    def stop(self) -> bytes:
        """STOP (0x19): ``ff 00 ff ff ff ff``."""
        return self.build(Command.STOP, b"\xff\x00\xff\xff\xff\xff")

    def disconnect(self) -> bytes:
        """DISCONNECT (0x54)."""
        return self.build(Command.DISCONNECT)


def channel_mask(channels: list[int] | tuple[int, ...]) -> int:
    """The u32 mask with bit ``n`` set for every channel number ``n``."""
    mask = 0
    for channel in channels:
        if not 0 <= channel <= 31:
            raise ValueError(f"channel out of range: {channel}")
        mask |= 1 << channel
    return mask


# -- reassembly ----------------------------------------------------------------------------------


class Reassembler:
    """Join response notifications into whole packets.

    A packet's byte 1 is its total length; notifications are appended until that many bytes
    have arrived [GJS _handleResponse][GPY]. Each notification starts a new packet when none is
    pending. A notification that completes the pending packet to its declared length is joined
    to it (unless the joined checksum fails and the notification is a whole packet by itself).
    Otherwise a notification that is a whole packet by itself (its length byte equals its size
    and its checksum holds) is taken as one even while a partial packet is pending: that
    partial was cut off (a lost notification), and waiting for it to fill up would swallow the
    good packets after it. So one malformed or lost notification costs at most its own packet.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.dropped = 0
        """Partial packets given up for a whole one that arrived instead."""

    @property
    def pending(self) -> int:
        """Bytes of an incomplete packet held."""
        return len(self._buffer)

    def reset(self) -> None:
        """Drop an incomplete packet (after a reconnect)."""
        self._buffer.clear()

    def feed(self, chunk: bytes) -> bytes | None:
        """Add one notification; return a complete packet or ``None`` while one is pending.

        Raises
        ------
        DecodeError
            If the declared length is shorter than a header, or the notification overruns the
            declared length; the partial packet is dropped.
        """
        if not chunk:
            return None
        if not self._buffer and len(chunk) >= HEADER_LEN and chunk[1] == len(chunk):
            return bytes(chunk)  # a whole packet in one notification: nearly every one
        if self._buffer:
            joined = bytes(self._buffer) + chunk
            declared = self._buffer[1] if len(self._buffer) >= 2 else None
            if len(joined) == declared and (_checksum_holds(joined) or not _is_whole_packet(chunk)):
                # Completion first: a packet's tail can look like a whole packet by chance (a
                # belt holds the same rate value, and so the same tail, for many packets).
                self._buffer.clear()
                return joined
            if _is_whole_packet(chunk):
                self._buffer.clear()
                self.dropped += 1
        self._buffer += chunk
        if len(self._buffer) < 2:
            return None
        length = self._buffer[1]
        if length < HEADER_LEN:
            self._buffer.clear()
            raise DecodeError(f"Go Direct packet declares length {length}")
        if len(self._buffer) < length:
            return None
        if len(self._buffer) > length:
            overrun = len(self._buffer) - length
            self._buffer.clear()
            raise DecodeError(f"Go Direct notification overruns its packet by {overrun} bytes")
        packet = bytes(self._buffer)
        self._buffer.clear()
        return packet


def _checksum_holds(packet: bytes) -> bool:
    return len(packet) >= HEADER_LEN and checksum(packet) == packet[3]


def _is_whole_packet(chunk: bytes) -> bool:
    return len(chunk) >= HEADER_LEN and chunk[1] == len(chunk) and _checksum_holds(chunk)


# -- replies -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """A command reply: the command and counter it answers, and its payload."""

    command: int
    counter: int
    payload: bytes


def parse_reply(packet: bytes) -> Reply:
    """Parse a complete command reply (byte 4 command, byte 5 counter, payload from byte 6).

    The checksum rule of the command packets holds for replies too (checked on the mask reply
    ``98 0A 01 27 51 FD 36 00 00 00`` of the fact sheet).

    Raises
    ------
    DecodeError
        If the packet is truncated, its length byte disagrees or its checksum is wrong.
    """
    if len(packet) < REPLY_PAYLOAD_OFFSET:
        raise DecodeError(f"Go Direct reply too short: {len(packet)} bytes")
    if packet[1] != len(packet):
        raise DecodeError(f"Go Direct reply length byte {packet[1]} != {len(packet)} bytes")
    if checksum(packet) != packet[3]:
        raise DecodeError("Go Direct reply checksum mismatch")
    return Reply(packet[4], packet[5], bytes(packet[REPLY_PAYLOAD_OFFSET:]))


def parse_channel_mask(payload: bytes) -> tuple[int, ...]:
    """Channel numbers set in a u32 mask reply (AVAILABLE_MASK, DEFAULT_MASK), ascending.

    Example: payload ``36 00 00 00`` lists channels 1, 2, 4, 5 (fact sheet §3).

    Raises
    ------
    DecodeError
        If fewer than 4 bytes are given.
    """
    if len(payload) < 4:
        raise DecodeError(f"channel mask reply too short: {len(payload)} bytes")
    (mask,) = struct.unpack_from("<I", payload)
    return tuple(n for n in range(32) if mask & (1 << n))


_SENSOR_INFO = struct.Struct("<bBIBB60s32sdddIQIII")
SENSOR_INFO_LEN = _SENSOR_INFO.size
"""148 bytes: the SENSOR_INFO payload layout [GPY sensor.py]."""


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """One channel's description, read from the device rather than hard-coded.

    Attributes
    ----------
    channel : int
        Channel (sensor) number.
    sensor_id : int
        Vernier sensor id (0 means "no sensor").
    numeric_type : int
        0 = real (float) values, 1 = int32.
    sampling_mode : int
        0 = periodic, 1 = aperiodic.
    description, units : str
        E.g. ``"Force"`` / ``"N"``.
    uncertainty, min_value, max_value : float
        In the channel's units.
    min_period_us, max_period_us, typical_period_us, period_granularity_us : int
        Sampling periods, µs.
    mutual_exclusion_mask : int
        Channels that cannot run together with this one.
    """

    channel: int
    sensor_id: int
    numeric_type: int
    sampling_mode: int
    description: str
    units: str
    uncertainty: float
    min_value: float
    max_value: float
    min_period_us: int
    max_period_us: int
    typical_period_us: int
    period_granularity_us: int
    mutual_exclusion_mask: int


def _c_string(raw: bytes) -> str:
    """A NUL-padded UTF-8 field as text (undecodable bytes replaced, never raising)."""
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace")


def parse_sensor_info(payload: bytes) -> SensorInfo:
    """Parse a SENSOR_INFO payload, struct ``<bBIBB60s32sdddIQIII`` [GPY sensor.py].

    Field order: number, spare, id, numeric type, sampling mode, description (60), units (32),
    uncertainty, min, max (float64), min period (u32 µs), max period (u64 µs), typical period,
    granularity (u32 µs), mutual-exclusion mask (u32).

    Raises
    ------
    DecodeError
        If the payload is shorter than 148 bytes.
    """
    if len(payload) < SENSOR_INFO_LEN:
        raise DecodeError(f"sensor info too short: {len(payload)} of {SENSOR_INFO_LEN} bytes")
    f = _SENSOR_INFO.unpack_from(payload)
    return SensorInfo(
        channel=f[0],
        sensor_id=f[2],
        numeric_type=f[3],
        sampling_mode=f[4],
        description=_c_string(f[5]),
        units=_c_string(f[6]),
        uncertainty=f[7],
        min_value=f[8],
        max_value=f[9],
        min_period_us=f[10],
        max_period_us=f[11],
        typical_period_us=f[12],
        period_granularity_us=f[13],
        mutual_exclusion_mask=f[14],
    )


def encode_sensor_info(info: SensorInfo) -> bytes:
    """The 148-byte SENSOR_INFO payload for ``info`` (the inverse of :func:`parse_sensor_info`).

    Used by simulated devices; text longer than its field is cut.
    """
    return _SENSOR_INFO.pack(
        info.channel,
        0,
        info.sensor_id,
        info.numeric_type,
        info.sampling_mode,
        info.description.encode()[:60],
        info.units.encode()[:32],
        info.uncertainty,
        info.min_value,
        info.max_value,
        info.min_period_us,
        info.max_period_us,
        info.typical_period_us,
        info.period_granularity_us,
        info.mutual_exclusion_mask,
    )


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """DEVICE_INFO reply: order code (16 B), serial number (16 B), device name (32 B) [GJS]."""

    order_code: str
    serial_number: str
    name: str


def parse_device_info(payload: bytes) -> DeviceInfo:
    """Parse a DEVICE_INFO payload.

    Raises
    ------
    DecodeError
        If the payload is shorter than 64 bytes.
    """
    if len(payload) < 64:
        raise DecodeError(f"device info too short: {len(payload)} bytes")
    return DeviceInfo(
        _c_string(payload[0:16]), _c_string(payload[16:32]), _c_string(payload[32:64])
    )


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """STATUS reply: firmware versions, battery (%) and charging state [GJS _getStatus]."""

    main_firmware: str
    ble_firmware: str
    battery_percent: int
    charging_state: int


def parse_status(payload: bytes) -> DeviceStatus:
    """Parse a STATUS payload (main fw bytes 2.3, BLE fw bytes 6.9, battery 10, charging 11).

    Raises
    ------
    DecodeError
        If the payload is shorter than 12 bytes.
    """
    if len(payload) < 12:
        raise DecodeError(f"status reply too short: {len(payload)} bytes")
    return DeviceStatus(
        f"{payload[2]}.{payload[3]}", f"{payload[6]}.{payload[9]}", payload[10], payload[11]
    )
