"""Polar Measurement Data (PMD) codec: control-point commands and responses, data frames, time.

Pure functions and small state machines, no I/O. Everything here follows the byte-level fact sheet
``docs/reference/ble-protocols.md`` §2, which cites the Polar BLE SDK sources (``BlePMDClient``,
``PmdControlPointCommand``, ``PmdControlPointResponse``, ``PmdSetting``, ``PmdDataFrame``,
``EcgData``, ``AccData``, ``PmdTimeStampUtils``) and the Polar Measurement Data Specification.
All multi-byte fields are little-endian. Every decoder raises only
:class:`devices.errors.DecodeError` on bad bytes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from devices.errors import DecodeError

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
"""Polar PMD GATT service."""
PMD_CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
"""PMD control point: read = features, write = commands, indicate = responses."""
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
"""PMD data characteristic: notifications carry measurement frames."""

PMD_EPOCH_OFFSET_NS = 946_684_800_000_000_000
"""Add to a PMD timestamp (ns since 2000-01-01T00:00Z) to get Unix-epoch nanoseconds."""

FEATURE_READ_TAG = 0x0F
"""Byte 0 of the value read from the control point (features), never of a response."""
RESPONSE_TAG = 0xF0
"""Byte 0 of a control-point response indication."""
STOP_NOTICE_TAG = 0x01
"""Byte 0 of an indication telling that the device stopped streaming on its own."""

FRAME_HEADER_LEN = 10
"""Type (1) + timestamp (8) + frame type (1) bytes before the samples of a data frame."""


class MeasurementType(IntEnum):
    """PMD measurement types (``PmdMeasurementType``); the number is also the feature bit."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_REC = 13
    OFFLINE_HR = 14


class OpCode(IntEnum):
    """Control-point command op codes (``PmdControlPointCommand``)."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3
    GET_SDK_MODE_SETTINGS = 4
    GET_STATUS = 5
    GET_SDK_MODE_STATUS = 6
    GET_OFFLINE_RECORDING_TRIGGER_STATUS = 7
    SET_OFFLINE_RECORDING_TRIGGER_MODE = 8
    SET_OFFLINE_RECORDING_TRIGGER_SETTINGS = 9


class Status(IntEnum):
    """Control-point response status codes, numbered as in the Polar SDK (not the 2019 spec)."""

    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13
    DISK_FULL = 14


class SettingType(IntEnum):
    """Settings TLV types (``PmdSetting``)."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


# Value formats per setting type: (struct format, size in bytes); SECURITY is 16 raw bytes.
_SETTING_FORMATS: dict[SettingType, tuple[str, int]] = {
    SettingType.SAMPLE_RATE: ("<H", 2),
    SettingType.RESOLUTION: ("<H", 2),
    SettingType.RANGE: ("<H", 2),
    SettingType.RANGE_MILLIUNIT: ("<I", 4),
    SettingType.CHANNELS: ("<B", 1),
    SettingType.FACTOR: ("<f", 4),
}
_SECURITY_LEN = 16

# The values a setting can mean, read as bounds on the device's bytes (fact sheet §2 "Settings
# TLV"): a rate of 0 Hz would divide by zero in the sample clock, a resolution beyond 32 bits is
# one the delta decoder cannot read, and the FACTOR float32 can be NaN, inf, 0 or negative,
# which would turn every compressed ACC sample into nonsense. Each interval lies inside what a
# recording header may hold (trainer.storage.recording: fs 1-100000 Hz, resolution 1-64 bits,
# factor 1e-12-1e12), so a setting that passes here is one its recording can be read back with.
SETTING_BOUNDS: dict[SettingType, tuple[float, float]] = {
    SettingType.SAMPLE_RATE: (1, 0xFFFF),
    SettingType.RESOLUTION: (1, 32),
    SettingType.RANGE: (1, 0xFFFF),
    SettingType.FACTOR: (1e-12, 1e12),
}
"""Setting type -> (lowest, highest) value :func:`parse_settings` accepts."""

SettingValue = int | float | bytes
Settings = dict[SettingType, tuple[SettingValue, ...]]


def status_name(code: int) -> str:
    """The SDK name of a status code, or ``"UNKNOWN_<code>"`` for codes newer than this table."""
    try:
        return Status(code).name
    except ValueError:
        return f"UNKNOWN_{code}"


# -- features ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PmdFeatures:
    """Measurement types a device offers, from the control-point read (``0F`` + bitmask).

    Attributes
    ----------
    supported : frozenset of int
        Measurement type numbers whose feature bit is set (see :class:`MeasurementType`); bit *n*
        of the little-endian bitmask after byte 0 stands for type *n* [PMT].
    raw : bytes
        The value as read.
    """

    supported: frozenset[int]
    raw: bytes

    def has(self, measurement: MeasurementType) -> bool:
        """Whether the device offers ``measurement``."""
        return int(measurement) in self.supported


def parse_features(value: bytes) -> PmdFeatures:
    """Parse the value read from the PMD control point.

    Parameters
    ----------
    value : bytes
        ``0F`` then a bitmask (byte 1: b0 ECG, b1 PPG, b2 ACC, b3 PPI, b5 GYRO, b6 MAG,
        b7 SKIN_TEMP; byte 2: b1 SDK_MODE ... b6 OFFLINE_HR); the H10 returns ``0F 05 00...``
        (fact sheet §2 "Feature read", after [PMT][PSPEC19]).

    Raises
    ------
    DecodeError
        If byte 0 is not ``0F`` or the bitmask is missing.
    """
    if len(value) < 2:
        raise DecodeError(f"PMD feature read too short: {len(value)} bytes")
    if value[0] != FEATURE_READ_TAG:
        raise DecodeError(f"PMD feature read must start with 0x0F, got 0x{value[0]:02X}")
    supported: set[int] = set()
    for byte_index, byte in enumerate(value[1:3]):
        for bit in range(8):
            if byte & (1 << bit):
                supported.add(byte_index * 8 + bit)
    return PmdFeatures(frozenset(supported), bytes(value))


# -- commands ------------------------------------------------------------------------------------


def _type_byte(measurement: int, offline: bool = False) -> int:
    """Byte 2 of a command: ``(recordingType << 7) | type``, online = 0 [PRT]."""
    if not 0 <= measurement <= 0x3F:
        raise ValueError(f"measurement type out of range: {measurement}")
    return (int(offline) << 7) | measurement


def build_get_settings(measurement: MeasurementType) -> bytes:
    """``GET_SETTINGS`` command (``01 <type>``), e.g. ``01 00`` for ECG."""
    return bytes([OpCode.GET_SETTINGS, _type_byte(measurement)])


def build_stop(measurement: MeasurementType) -> bytes:
    """``STOP`` command (``03 <type>``), e.g. ``03 02`` to stop ACC."""
    return bytes([OpCode.STOP, _type_byte(measurement)])


def encode_settings(settings: Mapping[SettingType, int]) -> bytes:
    """Encode settings for a start request: each as ``type, count=1, value``.

    Start requests use count 1 and never send FACTOR [PSET][PONLINE Tbl 5]. The order is free on
    the device side; entries are written in ascending type order so the bytes are reproducible.

    Raises
    ------
    ValueError
        For FACTOR / SECURITY or a value that does not fit its field.
    """
    out = bytearray()
    for setting_type in sorted(settings):
        if setting_type in (SettingType.FACTOR, SettingType.SECURITY):
            raise ValueError(f"{setting_type.name} is never sent in a start request")
        fmt, _size = _SETTING_FORMATS[setting_type]
        try:
            packed = struct.pack(fmt, int(settings[setting_type]))
        except struct.error as exc:
            value = settings[setting_type]
            raise ValueError(f"{setting_type.name} value out of range: {value}") from exc
        out += bytes([setting_type, 1]) + packed
    return bytes(out)


def build_start(measurement: MeasurementType, settings: Mapping[SettingType, int]) -> bytes:
    """``START`` command: ``02 <type>`` then the settings TLV.

    Example (fact sheet §2): ECG at 130 Hz, 14 bit is ``02 00 00 01 82 00 01 01 0E 00``.
    """
    return bytes([OpCode.START, _type_byte(measurement)]) + encode_settings(settings)


# -- settings TLV --------------------------------------------------------------------------------


class SettingValueError(DecodeError):
    """A settings TLV read whole, holding a value no sensor can mean (:data:`SETTING_BOUNDS`):
    a sensor saying nonsense, not bytes cut short."""


def parse_settings(tlv: bytes) -> Settings:
    """Parse a settings TLV list (``type, count, count × value``).

    Parameters
    ----------
    tlv : bytes
        Bytes after the response header (``GET_SETTINGS`` reply, or the parameters of a start
        reply). Value sizes per type follow the fact sheet §2 "Settings TLV" [PSET].

    Returns
    -------
    dict
        Setting type -> tuple of values (``int``; ``float`` for FACTOR; ``bytes`` for SECURITY).

    Raises
    ------
    SettingValueError
        On a value outside :data:`SETTING_BOUNDS` (checked once the whole list is read, so bytes
        cut short are a plain DecodeError even when a bad value comes first).
    DecodeError
        On an unknown setting type, a zero count or a truncated value.
    """
    settings: Settings = {}
    pos = 0
    while pos < len(tlv):
        if pos + 2 > len(tlv):
            raise DecodeError(f"settings TLV truncated at byte {pos}")
        raw_type, count = tlv[pos], tlv[pos + 1]
        pos += 2
        try:
            setting_type = SettingType(raw_type)
        except ValueError:
            raise DecodeError(f"unknown PMD setting type {raw_type}") from None
        if count == 0:
            raise DecodeError(f"PMD setting {setting_type.name} has count 0")
        values: list[SettingValue] = []
        for _ in range(count):
            if setting_type is SettingType.SECURITY:
                if pos + _SECURITY_LEN > len(tlv):
                    raise DecodeError("PMD SECURITY setting truncated")
                values.append(bytes(tlv[pos : pos + _SECURITY_LEN]))
                pos += _SECURITY_LEN
                continue
            fmt, size = _SETTING_FORMATS[setting_type]
            if pos + size > len(tlv):
                raise DecodeError(f"PMD setting {setting_type.name} truncated")
            (value,) = struct.unpack_from(fmt, tlv, pos)
            values.append(value)
            pos += size
        # A repeated type extends the list instead of silently replacing it.
        settings[setting_type] = settings.get(setting_type, ()) + tuple(values)
    for setting_type, (low, high) in SETTING_BOUNDS.items():
        for value in settings.get(setting_type, ()):
            if isinstance(value, bytes) or not low <= value <= high:  # also refuses NaN
                raise SettingValueError(
                    f"PMD setting {setting_type.name} {value!r} is outside {low:g}-{high:g}"
                )
    return settings


# -- control-point responses ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PmdResponse:
    """One complete control-point response (continuations already joined).

    Attributes
    ----------
    opcode : int
        The op code answered (see :class:`OpCode`).
    measurement_type : int
        The measurement type answered, recording-type bit removed (masked with 0x3F, as the SDK).
    status : int
        Status code (see :class:`Status`); unknown codes are kept as numbers.
    more : bool
        The ``more`` flag of the *last* part (always ``False`` from :class:`ResponseAssembler`).
    parameters : bytes
        Bytes after the header (a settings TLV for ``GET_SETTINGS``; empty on errors).
    """

    opcode: int
    measurement_type: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        """Whether the status is SUCCESS."""
        return self.status == Status.SUCCESS

    @property
    def status_name(self) -> str:
        """The SDK name of the status."""
        return status_name(self.status)


@dataclass(frozen=True, slots=True)
class PmdStopNotice:
    """An indication starting ``01``: the device stopped streaming these types on its own.

    Attributes
    ----------
    measurement_types : tuple of int
        The stopped types (bytes after byte 0, masked with 0x3F) [PMDC processPmdCpCommand].
    """

    measurement_types: tuple[int, ...]


def parse_response(value: bytes) -> PmdResponse:
    """Parse one control-point response indication (without joining continuations).

    Layout ``F0, opcode, type, status, more (only on success), parameters...`` [PRESP][PSPEC21].

    Raises
    ------
    DecodeError
        If byte 0 is not ``F0`` or the header is truncated.
    """
    if len(value) < 4:
        raise DecodeError(f"PMD response too short: {len(value)} bytes")
    if value[0] != RESPONSE_TAG:
        raise DecodeError(f"PMD response must start with 0xF0, got 0x{value[0]:02X}")
    opcode, mtype, status = value[1], value[2] & 0x3F, value[3]
    if status != Status.SUCCESS:
        # Error responses carry no `more` byte; anything after the status is ignored.
        return PmdResponse(opcode, mtype, status, False, b"")
    if len(value) < 5:
        raise DecodeError("successful PMD response lacks its 'more' byte")
    return PmdResponse(opcode, mtype, status, value[4] != 0, bytes(value[5:]))


def parse_stop_notice(value: bytes) -> PmdStopNotice:
    """Parse an ``01 <types...>`` indication (device stopped streaming).

    Raises
    ------
    DecodeError
        If byte 0 is not ``01``.
    """
    if not value or value[0] != STOP_NOTICE_TAG:
        raise DecodeError("PMD stop notice must start with 0x01")
    return PmdStopNotice(tuple(b & 0x3F for b in value[1:]))


def parse_control_point(value: bytes) -> PmdFeatures | PmdResponse | PmdStopNotice:
    """Route a control-point value by byte 0: ``0F`` features, ``F0`` response, ``01`` stop.

    Reads of the control point return the feature value; responses come only as indications, so
    byte 0 tells them apart [polar#360][polar#281].

    Raises
    ------
    DecodeError
        On an empty value, an unknown byte 0 or a malformed body.
    """
    if not value:
        raise DecodeError("empty PMD control-point value")
    tag = value[0]
    if tag == FEATURE_READ_TAG:
        return parse_features(value)
    if tag == RESPONSE_TAG:
        return parse_response(value)
    if tag == STOP_NOTICE_TAG:
        return parse_stop_notice(value)
    raise DecodeError(f"unknown PMD control-point value tag 0x{tag:02X}")


class ResponseAssembler:
    """Join a response split over several indications by the ``more`` flag.

    If ``more`` is non-zero, bytes 5.. of the following indications are appended to the
    parameters until one arrives with ``more`` = 0 [PMDC sendPmdCommand].
    """

    def __init__(self) -> None:
        self._pending: PmdResponse | None = None

    @property
    def waiting(self) -> bool:
        """Whether a response is incomplete."""
        return self._pending is not None

    def reset(self) -> None:
        """Drop a partial response (after a reconnect)."""
        self._pending = None

    def feed(self, value: bytes) -> PmdResponse | PmdStopNotice | None:
        """Feed one indication; return a complete response or stop notice, or ``None``.

        Raises
        ------
        DecodeError
            For a malformed indication or a continuation that does not match the pending
            response (the partial response is dropped).
        """
        if value[:1] == bytes([STOP_NOTICE_TAG]):
            return parse_stop_notice(value)
        part = parse_response(value)
        pending = self._pending
        if pending is not None:
            if (part.opcode, part.measurement_type) != (pending.opcode, pending.measurement_type):
                self._pending = None
                raise DecodeError("PMD continuation does not match the pending response")
            if not part.ok:
                self._pending = None
                return part
            part = PmdResponse(
                pending.opcode,
                pending.measurement_type,
                pending.status,
                part.more,
                pending.parameters + part.parameters,
            )
        if part.more:
            self._pending = part
            return None
        self._pending = None
        return part


# -- data frames ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PmdFrame:
    """The header of a PMD data frame and its sample bytes.

    Attributes
    ----------
    measurement_type : int
        Byte 0 masked with 0x3F, as the SDK does [PFRAME].
    timestamp_ns : int
        Sensor time of the **last** sample, ns since 2000-01-01T00:00Z (add
        :data:`PMD_EPOCH_OFFSET_NS` for Unix time).
    frame_type : int
        Byte 9 without the compression bit (0, 1, 2 ...).
    compressed : bool
        Bit 7 of byte 9: samples are delta-compressed.
    data : bytes
        Sample bytes (byte 10 on).
    """

    measurement_type: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    data: bytes


def encode_frame(
    measurement: MeasurementType, timestamp_ns: int, frame_type: int, samples: bytes
) -> bytes:
    """A PMD data notification: the inverse of :func:`parse_frame` (imports, simulators, tests).

    Parameters
    ----------
    measurement : MeasurementType
        Byte 0.
    timestamp_ns : int
        Sensor time of the **last** sample, ns since 2000-01-01T00:00Z (u64) [PFRAME].
    frame_type : int
        Byte 9 (bit 7 set for delta-compressed frames).
    samples : bytes
        The encoded samples.
    """
    if not 0 <= timestamp_ns < 1 << 64:
        raise ValueError(f"timestamp {timestamp_ns} does not fit the u64 field")
    return struct.pack("<BQB", int(measurement), timestamp_ns, frame_type & 0xFF) + bytes(samples)


def parse_frame(payload: bytes) -> PmdFrame:
    """Split a PMD data notification into header fields and sample bytes [PFRAME][PONLINE Tbl 6].

    Raises
    ------
    DecodeError
        If the payload is shorter than the 10-byte header, or its timestamp is 2**63 ns or more
        (292 years past 2000: no sensor clock, and beyond the int64 sample times).
    """
    if len(payload) < FRAME_HEADER_LEN:
        raise DecodeError(f"PMD frame too short: {len(payload)} bytes")
    (timestamp_ns,) = struct.unpack_from("<Q", payload, 1)
    if timestamp_ns >= 1 << 63:
        raise DecodeError(f"PMD frame timestamp {timestamp_ns} ns is beyond any sensor clock")
    frame_byte = payload[9]
    return PmdFrame(
        measurement_type=payload[0] & 0x3F,
        timestamp_ns=timestamp_ns,
        frame_type=frame_byte & 0x7F,
        compressed=bool(frame_byte & 0x80),
        data=bytes(payload[FRAME_HEADER_LEN:]),
    )


def _signed_samples(data: bytes, width: int) -> npt.NDArray[np.int64]:
    """Little-endian signed integers of ``width`` bytes (1..4) laid end to end."""
    if len(data) % width:
        raise DecodeError(f"{len(data)} sample bytes is not a multiple of {width}")
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    weights = np.left_shift(np.int64(1), 8 * np.arange(width, dtype=np.int64))
    values = raw @ weights
    sign = np.int64(1) << np.int64(8 * width - 1)
    return np.where(values >= sign, values - (sign << np.int64(1)), values)


def decode_delta_frame(data: bytes, channels: int, resolution_bits: int) -> npt.NDArray[np.int64]:
    """Decode delta-compressed samples [PMDC parseDeltaFramesAll][PSPEC21][PONLINE 4.3].

    1. A reference sample: ``channels`` × ceil(resolution/8) bytes, signed little-endian,
       sign-extended at ``resolution_bits``.
    2. Repeating blocks ``deltaBits u8, count u8`` then ceil(deltaBits·channels·count/8) bytes,
       read **LSB-first**, in the order s0c0, s0c1, s0c2, s1c0, ...
    3. Each delta is two's complement at ``deltaBits``; sample = previous + delta.

    Parameters
    ----------
    data : bytes
        Sample bytes of the frame (after the 10-byte header).
    channels : int
        Channels per sample (1 for ECG, 3 for ACC).
    resolution_bits : int
        Bits of the reference sample (the measurement's RESOLUTION setting).

    Returns
    -------
    ndarray of int64, shape (1 + Σcount, channels)
        Raw sample values before any FACTOR.

    Raises
    ------
    DecodeError
        On a truncated reference or block, ``deltaBits`` of 0 or above 32, or a resolution
        larger than 32 bits.
    """
    if channels < 1:
        raise ValueError("channels must be >= 1")
    if not 1 <= resolution_bits <= 32:
        raise DecodeError(f"unsupported PMD resolution {resolution_bits} bits")
    width = math.ceil(resolution_bits / 8)
    ref_len = channels * width
    if len(data) < ref_len:
        raise DecodeError("delta frame shorter than its reference sample")
    reference = []
    for c in range(channels):
        value = int.from_bytes(data[c * width : (c + 1) * width], "little")
        value &= (1 << resolution_bits) - 1
        if value & (1 << (resolution_bits - 1)):
            value -= 1 << resolution_bits
        reference.append(value)
    samples: list[list[int]] = [reference]
    pos = ref_len
    while pos < len(data):
        if pos + 2 > len(data):
            raise DecodeError(f"delta block header truncated at byte {pos}")
        delta_bits, count = data[pos], data[pos + 1]
        pos += 2
        if not 1 <= delta_bits <= 32:
            raise DecodeError(f"invalid delta width {delta_bits} bits")
        n_bits = delta_bits * channels * count
        n_bytes = math.ceil(n_bits / 8)
        if pos + n_bytes > len(data):
            raise DecodeError("delta block truncated")
        # One big integer holds the block; bit k of it is bit k of the LSB-first bit stream.
        block = int.from_bytes(data[pos : pos + n_bytes], "little")
        pos += n_bytes
        mask = (1 << delta_bits) - 1
        sign = 1 << (delta_bits - 1)
        previous = samples[-1]
        for s in range(count):
            current = []
            for c in range(channels):
                delta = (block >> ((s * channels + c) * delta_bits)) & mask
                if delta & sign:
                    delta -= 1 << delta_bits
                current.append(previous[c] + delta)
            samples.append(current)
            previous = current
    return np.asarray(samples, dtype=np.int64)


def decode_ecg(frame: PmdFrame, *, resolution_bits: int = 14) -> npt.NDArray[np.int64]:
    """ECG samples of a frame, in µV.

    Uncompressed frame type 0: 3-byte signed little-endian µV per sample
    [PSPEC21][PECGD][BH]. Delta-compressed frames: one channel, reference at
    ``resolution_bits`` (the ECG RESOLUTION setting; 14 on the H10).

    Raises
    ------
    DecodeError
        If the frame is not ECG, has an unknown frame type or a wrong length.
    """
    if frame.measurement_type != MeasurementType.ECG:
        raise DecodeError(f"not an ECG frame (type {frame.measurement_type})")
    if frame.compressed:
        return decode_delta_frame(frame.data, 1, resolution_bits)[:, 0]
    if frame.frame_type != 0:
        raise DecodeError(f"unknown ECG frame type {frame.frame_type}")
    return _signed_samples(frame.data, 3)


_ACC_WIDTHS = {0: 1, 1: 2, 2: 3}


def decode_acc(
    frame: PmdFrame, *, resolution_bits: int = 16, factor: float = 1.0
) -> npt.NDArray[np.float64]:
    """Accelerometer samples of a frame, shape (n, 3) for x, y, z, in mG.

    Uncompressed frame types 0/1/2 are int8/int16/int24 x, y, z in mG (the H10 sends 0x01)
    [PACC][BH]. Delta-compressed frames are decoded with :func:`decode_delta_frame` and scaled as
    the SDK does: compressed type 0 -> value × factor × 1000 mG, type 1 -> value × factor [PACC].

    Parameters
    ----------
    frame : PmdFrame
        A parsed ACC frame.
    resolution_bits : int
        ACC RESOLUTION setting, used for the reference sample of compressed frames.
    factor : float
        FACTOR setting from the start response (1.0 when the device sends none).

    Raises
    ------
    DecodeError
        If the frame is not ACC, has an unknown frame type or a wrong length.
    """
    if frame.measurement_type != MeasurementType.ACC:
        raise DecodeError(f"not an ACC frame (type {frame.measurement_type})")
    if frame.compressed:
        raw = decode_delta_frame(frame.data, 3, resolution_bits).astype(np.float64)
        if frame.frame_type == 0:
            return raw * factor * 1000.0
        if frame.frame_type == 1:
            return raw * factor
        raise DecodeError(f"unknown compressed ACC frame type {frame.frame_type}")
    width = _ACC_WIDTHS.get(frame.frame_type)
    if width is None:
        raise DecodeError(f"unknown ACC frame type {frame.frame_type}")
    if len(frame.data) % (3 * width):
        raise DecodeError(f"ACC frame length {len(frame.data)} is not a multiple of {3 * width}")
    return _signed_samples(frame.data, width).reshape(-1, 3).astype(np.float64)


# -- sample times --------------------------------------------------------------------------------


class SampleClock:
    """Turn frame timestamps into per-sample sensor times, deriving the true sample rate.

    Rules [PTS]: the first frame (or the first after a reset or a jump) spreads its ``N`` samples
    back from its timestamp ``T`` at the nominal rate, ``t_i = T - (N-1-i)·1e9/fs``. Every later
    frame spreads its samples evenly between the previous and its own timestamp,
    ``Δ = (T_n - T_(n-1))/N``, ``t_i = T_(n-1) + (i+1)·Δ``. The H10's real rate drifts from
    nominal (128-131 Hz for 130 Hz ECG, about 1 % [polar#71][polar#580]), which this captures.
    Timestamps can jump [polar#387]: a frame whose implied rate is off nominal by more than
    ``max_rate_error`` (or whose time goes backwards) restarts the clock as a first frame.

    Parameters
    ----------
    nominal_fs_hz : float
        Nominal sample rate in Hz (e.g. 130 for H10 ECG).
    max_rate_error : float
        Largest relative deviation of an implied rate from nominal still taken as drift.
    """

    def __init__(self, nominal_fs_hz: float, *, max_rate_error: float = 0.1) -> None:
        if not nominal_fs_hz > 0:
            raise ValueError("nominal_fs_hz must be positive")
        self.nominal_fs_hz = float(nominal_fs_hz)
        self.max_rate_error = float(max_rate_error)
        self._last_ns: int | None = None
        self._anchor_ns = 0
        self._samples_since_anchor = 0
        self.restarts = 0
        """How many times a jump or backwards step restarted the clock."""

    def reset(self) -> None:
        """Forget the previous frame, as on a stream stop [PMDC]."""
        self._last_ns = None
        self._samples_since_anchor = 0

    @property
    def fs_hz(self) -> float:
        """Sample rate derived from timestamps since the last (re)start; nominal before that."""
        if self._last_ns is None or self._samples_since_anchor == 0:
            return self.nominal_fs_hz
        span_ns = self._last_ns - self._anchor_ns
        return self._samples_since_anchor * 1e9 / span_ns if span_ns > 0 else self.nominal_fs_hz

    def sample_times_ns(self, frame_timestamp_ns: int, n_samples: int) -> npt.NDArray[np.int64]:
        """Sensor times (ns, PMD epoch) of the ``n_samples`` samples of a frame, oldest first."""
        if n_samples <= 0:
            return np.zeros(0, dtype=np.int64)
        idx = np.arange(n_samples, dtype=np.int64)
        last = self._last_ns
        if last is not None:
            span = frame_timestamp_ns - last
            nominal_span = n_samples * 1e9 / self.nominal_fs_hz
            if span > 0 and abs(span / nominal_span - 1.0) <= self.max_rate_error:
                self._last_ns = frame_timestamp_ns
                self._samples_since_anchor += n_samples
                # Integer arithmetic: ns timestamps near 6e17 lose precision in float64.
                return last + ((idx + 1) * span) // n_samples
            self.restarts += 1
        period = 1e9 / self.nominal_fs_hz
        self._last_ns = frame_timestamp_ns
        self._anchor_ns = frame_timestamp_ns
        self._samples_since_anchor = 0
        offsets = np.round((n_samples - 1 - idx) * period).astype(np.int64)
        return frame_timestamp_ns - offsets
