"""Heart Rate Measurement (GATT characteristic 0x2A37): decoder and encoder.

Layout (Heart Rate Service 1.0, section 3.1; Bluetooth SIG GATT XML ``heart_rate_measurement``),
all multi-byte fields little-endian::

    flags u8 | heart rate u8 or u16 | energy expended u16 (optional) | RR u16 x n (optional)

Flag bits: 0 = heart rate is u16, 1 = skin contact detected, 2 = contact detection supported
(bit 1 only means something when bit 2 is set), 3 = energy expended present, 4 = RR intervals
present, 5-7 reserved (ignored when decoding). RR intervals are in 1/1024 s, oldest first, and
fill every remaining byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from devices.errors import DecodeError

FLAG_HR_UINT16 = 0x01
FLAG_CONTACT_DETECTED = 0x02
FLAG_CONTACT_SUPPORTED = 0x04
FLAG_ENERGY_PRESENT = 0x08
FLAG_RR_PRESENT = 0x10

RR_UNITS_PER_S = 1024
"""RR resolution of the characteristic: 1/1024 s per unit (HRS 3.1.1.5)."""

_U8_MAX = 0xFF
_U16_MAX = 0xFFFF


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One decoded 0x2A37 notification.

    Attributes
    ----------
    hr_bpm : int
        Heart rate as reported by the sensor, beats per minute (0 is legal: no beat detected).
    contact_supported : bool
        The sensor can tell whether it touches the skin (flag bit 2).
    contact_detected : bool or None
        Skin contact (flag bit 1); ``None`` when the sensor does not support contact detection.
    energy_kj : int or None
        Accumulated energy expended, kilojoules; ``None`` when this notification carries none.
    rr_raw : tuple of int
        RR intervals in the characteristic's native 1/1024 s units, oldest first. Kept raw so
        nothing is lost to rounding; convert with :attr:`rr_ms` or :attr:`rr_s`.
    """

    hr_bpm: int
    contact_supported: bool
    contact_detected: bool | None
    energy_kj: int | None
    rr_raw: tuple[int, ...]

    @property
    def rr_ms(self) -> tuple[float, ...]:
        """RR intervals in milliseconds, ``raw * 1000 / 1024``.

        Exact in binary floating point (1000/1024 = 0.9765625 and every raw value is < 2**16),
        unlike the Polar SDK's rounding to whole milliseconds (fact sheet
        (docs/reference/ble-protocols.md) section 1).
        """
        return tuple(raw * 1000 / RR_UNITS_PER_S for raw in self.rr_raw)

    @property
    def rr_s(self) -> tuple[float, ...]:
        """RR intervals in seconds, ``raw / 1024`` (exact)."""
        return tuple(raw / RR_UNITS_PER_S for raw in self.rr_raw)


def decode_heart_rate_measurement(payload: bytes) -> HeartRateMeasurement:
    """Decode one Heart Rate Measurement notification.

    Parameters
    ----------
    payload : bytes
        The characteristic value exactly as received (untrusted).

    Returns
    -------
    HeartRateMeasurement

    Raises
    ------
    DecodeError
        Empty payload, a field cut short, an odd number of RR bytes, or bytes left over after
        the fields the flags announce. Reserved flag bits are ignored (HRS 3.1.1.1).

    Examples
    --------
    Flags 0x16 (8-bit heart rate, contact supported and detected, RR present), 72 beats/min,
    one RR interval of 1024/1024 s:

    >>> m = decode_heart_rate_measurement(bytes([0x16, 72, 0x00, 0x04]))
    >>> m.hr_bpm, m.contact_detected, m.rr_raw, m.rr_ms
    (72, True, (1024,), (1000.0,))
    """
    data = bytes(payload)
    if not data:
        raise DecodeError("empty heart-rate notification")
    flags = data[0]
    pos = 1
    if flags & FLAG_HR_UINT16:
        if len(data) < pos + 2:
            raise DecodeError(f"heart-rate notification cut short: {len(data)} bytes, u16 HR")
        hr_bpm = data[pos] | data[pos + 1] << 8
        pos += 2
    else:
        if len(data) < pos + 1:
            raise DecodeError("heart-rate notification has flags but no heart rate")
        hr_bpm = data[pos]
        pos += 1
    contact_supported = bool(flags & FLAG_CONTACT_SUPPORTED)
    contact_detected = bool(flags & FLAG_CONTACT_DETECTED) if contact_supported else None
    energy_kj: int | None = None
    if flags & FLAG_ENERGY_PRESENT:
        if len(data) < pos + 2:
            raise DecodeError("heart-rate notification announces energy expended but is too short")
        energy_kj = data[pos] | data[pos + 1] << 8
        pos += 2
    rest = len(data) - pos
    rr_raw: tuple[int, ...] = ()
    if flags & FLAG_RR_PRESENT:
        if rest % 2:
            raise DecodeError(f"heart-rate notification has an odd RR byte ({rest} RR bytes)")
        rr_raw = tuple(data[i] | data[i + 1] << 8 for i in range(pos, len(data), 2))
    elif rest:
        raise DecodeError(f"heart-rate notification has {rest} unexpected trailing bytes")
    return HeartRateMeasurement(hr_bpm, contact_supported, contact_detected, energy_kj, rr_raw)


def _check_uint(name: str, value: object, maximum: int) -> int:
    # bool is an int subclass; a True heart rate is a caller bug, not 1 bpm.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be in 0..{maximum}, got {value}")
    return value


def encode_heart_rate_measurement(
    hr_bpm: int,
    rr_raw: Sequence[int] = (),
    *,
    contact: bool | None = True,
    energy_kj: int | None = None,
    uint16: bool | None = None,
) -> bytes:
    """Build a Heart Rate Measurement payload (the inverse of the decoder).

    Parameters
    ----------
    hr_bpm : int
        Heart rate, beats per minute, 0..65535.
    rr_raw : sequence of int
        RR intervals in 1/1024 s units (0..65535), oldest first. The RR flag is set only when
        there is at least one value.
    contact : bool or None
        ``True``: contact supported and detected; ``False``: supported, not detected; ``None``:
        contact detection not supported.
    energy_kj : int or None
        Energy expended, kJ (0..65535), or ``None`` to leave the field out.
    uint16 : bool or None
        Heart-rate field width: ``None`` picks u8 when the value fits, else u16; ``True`` forces
        u16; ``False`` forces u8.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        A value out of its field's range, a non-integer, or ``uint16=False`` with ``hr_bpm > 255``.
    """
    hr = _check_uint("hr_bpm", hr_bpm, _U16_MAX)
    wide = hr > _U8_MAX if uint16 is None else bool(uint16)
    if not wide and hr > _U8_MAX:
        raise ValueError(f"hr_bpm {hr} does not fit the u8 field (uint16=False)")
    rr = [_check_uint("rr_raw value", value, _U16_MAX) for value in rr_raw]
    flags = 0
    if wide:
        flags |= FLAG_HR_UINT16
    if contact is not None:
        flags |= FLAG_CONTACT_SUPPORTED | (FLAG_CONTACT_DETECTED if contact else 0)
    if energy_kj is not None:
        flags |= FLAG_ENERGY_PRESENT
    if rr:
        flags |= FLAG_RR_PRESENT
    out = bytearray((flags,))
    out += hr.to_bytes(2 if wide else 1, "little")
    if energy_kj is not None:
        out += _check_uint("energy_kj", energy_kj, _U16_MAX).to_bytes(2, "little")
    for value in rr:
        out += value.to_bytes(2, "little")
    return bytes(out)


def rr_ms_to_raw(rr_ms: float) -> int:
    """Convert an RR interval from milliseconds to 1/1024 s units: ``round(ms * 1024 / 1000)``.

    Parameters
    ----------
    rr_ms : float
        RR interval, milliseconds (finite, >= 0).

    Returns
    -------
    int
        The value a sensor would send (Python's round-half-to-even).

    Raises
    ------
    ValueError
        Non-finite or negative input, or a result beyond the u16 field (about 64 s).
    """
    value = float(rr_ms)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"rr_ms must be finite and >= 0, got {rr_ms!r}")
    raw = round(value * RR_UNITS_PER_S / 1000)
    if raw > _U16_MAX:
        raise ValueError(f"rr_ms {value} is beyond the 16-bit RR field")
    return raw
