"""Vernier Go Direct measurement packets (GDX respiration belt): decoder and encoder.

A measurement packet arrives on the Go Direct response characteristic, joined from notifications
until its length byte is reached (fact sheet (docs/reference/ble-protocols.md) section 3; VernierST
godirect-js ``Device.js``, godirect-py ``device.py``). Layout, little-endian::

    0x20 | total length | rolling counter | checksum | type | ...

    type 06 (REAL32):      mask u16 @5 | count u8 @7 | byte 8 | f32 x count x channels from 9
    type 07 (WIDE REAL32): mask u32 @5 | count u8 @9 | byte 10 | f32 ... from 11
    type 08/0A (one-channel REAL32, periodic/aperiodic): channel u8 @6 | count u8 @7 | f32 from 8
    type 09/0B (one-channel INT32,  periodic/aperiodic): channel u8 @6 | count u8 @7 | i32 from 8
    types 0C-0E (start time, dropped, period): information only, no values here.

Mask bit ``n`` set means sensor number ``n`` is present; values are sample-major (all channels of
sample 0, then sample 1...), channels in ascending sensor number. The layout of types 08-0B (which
byte holds the channel) is the one both Vernier clients read; the fact sheet names those types
without their layout.

The real capture of the fact sheet (BangleApps ``vernierrespirate``)::

    20 19 CF D8 06 06 00 02 FC | 80 8A 07 BF  00 00 C0 7F | 80 31 08 BF  00 00 C0 7F

is 25 bytes (= byte 1), counter 0xCF, checksum 0xD8 = (sum of every other byte) & 0xFF, exactly
the command checksum rule; type 06, mask 0x0006 (sensors 1 and 2), two samples:
Force -0.5295 and -0.5320 N, respiration rate NaN.

Byte 8 (byte 10 for type 07) is read by neither Vernier client. In the capture it is 0xFC, which
equals ``-(number of values in the packet) & 0xFF`` (2 samples x 2 channels = 4). With a single
capture that rule is an inference, not a documented fact: the encoder reproduces it and the
decoder ignores the byte.
"""

from __future__ import annotations

import functools
import itertools
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from devices.errors import DecodeError
from devices.godirect_commands import checksum

MEASUREMENT_PACKET = 0x20
"""Byte 0 of every measurement packet; command replies carry other values there."""

TYPE_REAL32 = 0x06
TYPE_WIDE_REAL32 = 0x07
TYPE_SINGLE_REAL32 = 0x08
TYPE_SINGLE_INT32 = 0x09
TYPE_APERIODIC_REAL32 = 0x0A
TYPE_APERIODIC_INT32 = 0x0B
TYPE_START_TIME = 0x0C
TYPE_DROPPED = 0x0D
TYPE_PERIOD = 0x0E

_INFO_TYPES = frozenset({TYPE_START_TIME, TYPE_DROPPED, TYPE_PERIOD})
_HEADER_LEN = 5  # 0x20, length, counter, checksum, type
_REAL32_VALUES_AT = 9
_MAX_PACKET_LEN = 0xFF
_MAX_MASK_BIT = 15  # sensors 0..15 fit the u16 mask of type 06


@dataclass(frozen=True, slots=True)
class GoDirectMeasurement:
    """The values of one measurement packet.

    Attributes
    ----------
    channels : tuple of int
        Sensor numbers present, ascending (1 = force in N, 2 = respiration rate in
        breaths/min on the GDX-RB).
    values : tuple of tuple of float
        One tuple per sample, one value per channel in the order of ``channels``. Integer
        packets (types 09/0B) are converted to float exactly. NaN means "not ready" (the belt's
        own respiration rate during its first seconds).
    packet_type : int
        Byte 4 of the packet (06...0E).
    """

    channels: tuple[int, ...]
    values: tuple[tuple[float, ...], ...]
    packet_type: int = TYPE_REAL32

    def channel(self, n: int) -> tuple[float, ...]:
        """All samples of sensor ``n``, oldest first.

        Raises
        ------
        DecodeError
            The packet carries values but none for sensor ``n`` (a misbehaving sensor's
            packet: counted and skipped like any other; not a ``KeyError``, the module's
            contract being :class:`~devices.errors.DecodeError` alone).
            Information packets (types 0C-0E) carry no channel at all and give an empty tuple
            for every ``n``, so a caller can skip them without special-casing.
        """
        if not self.channels:
            return ()
        try:
            index = self.channels.index(n)
        except ValueError:
            raise DecodeError(
                f"sensor {n} is not in this packet (channels {self.channels})"
            ) from None
        values = self.values
        if len(values) == 1:
            return (values[0][index],)  # the belt's usual packet, on the replay's hot path
        return tuple([sample[index] for sample in values])


@functools.lru_cache(maxsize=64)
def _real32_layout(head: bytes, n: int) -> tuple[struct.Struct, int, int, int] | None:
    """For a type-06 packet whose bytes 4-7 are ``head``: the struct of its values, the
    packet's length, and where sensor ``n``'s values sit among them (first, step); None when
    the packet holds no value of sensor ``n`` (:func:`channel_values` then decodes it whole,
    to raise what :func:`decode_godirect_measurement` raises)."""
    channels = _mask_channels(int.from_bytes(head[1:3], "little"))
    count = head[3]
    if n not in channels or count == 0:
        return None
    width = len(channels)
    return (
        _values_struct(count * width, "f"),
        _REAL32_VALUES_AT + 4 * count * width,
        channels.index(n),
        width,
    )


def channel_values(payload: bytes, n: int) -> tuple[float, ...]:
    """``decode_godirect_measurement(payload).channel(n)``, with the same errors.

    The belt's packets, 20 or more a second for hours, are nearly all the same type-06 layout:
    its struct is looked up by the packet's bytes 4-7, and the values of sensor ``n`` read
    straight out of it (a 1 h replay decodes 72,000 of them). Any other packet, or one whose
    length byte or size does not fit that layout, is decoded whole.

    Raises
    ------
    DecodeError
        As :func:`decode_godirect_measurement` and :meth:`GoDirectMeasurement.channel`.
    """
    data = payload if type(payload) is bytes else bytes(payload)
    if len(data) > _REAL32_VALUES_AT and data[0] == MEASUREMENT_PACKET and data[4] == TYPE_REAL32:
        layout = _real32_layout(data[4:8], n)
        if layout is not None and data[1] == len(data) == layout[1]:
            values: tuple[float, ...] = layout[0].unpack_from(data, _REAL32_VALUES_AT)
            return values[layout[2] :: layout[3]]
    return decode_godirect_measurement(data).channel(n)


def run_channel_values(payloads: Sequence[bytes], n: int) -> tuple[npt.NDArray[np.float64], int]:
    """The values of sensor ``n`` in the longest run of ``payloads``, from the first, that are
    whole type-06 measurement packets of one layout (the first one's: length, mask, samples);
    and how many packets that run holds.

    The same numbers as :func:`channel_values` on each packet of the run, joined (a float32
    widened to float64 is exact either way), read with one numpy view of the joined packets
    rather than a struct per packet: what a replay at full speed reads ahead of its belt
    packets (``trainer.session.pipeline.Pipeline._look_ahead``). A first packet of any other
    kind, or a packet in pieces, gives no values and a run of 0. The checksum is not read,
    as :func:`channel_values` does not read it.
    """
    empty = np.empty(0, dtype=np.float64)
    if not payloads:
        return empty, 0
    first = bytes(payloads[0])
    size = len(first)
    if size <= _REAL32_VALUES_AT or first[0] != MEASUREMENT_PACKET or first[4] != TYPE_REAL32:
        return empty, 0
    layout = _real32_layout(first[4:8], n)
    if layout is None or first[1] != size or layout[1] != size:
        return empty, 0
    _, _, index, width = layout
    sizes = [len(p) for p in payloads]
    run = next((k for k, length in enumerate(sizes) if length != size), len(sizes))
    rows = np.frombuffer(b"".join(payloads[:run]), dtype=np.uint8).reshape(run, size)
    # Bytes 0, 1 and 4-7 (marker, length, type, mask, sample count) as the first packet's;
    # the counter (2) and checksum (3) vary.
    same = (rows[:, [0, 1, 4, 5, 6, 7]] == rows[0, [0, 1, 4, 5, 6, 7]]).all(axis=1)
    if not same.all():
        run = int(np.argmin(same))
        rows = rows[:run]
    values = np.ascontiguousarray(rows[:, _REAL32_VALUES_AT:]).view("<f4")[:, index::width]
    return values.reshape(-1).astype(np.float64), run


def is_measurement_packet(payload: bytes) -> bool:
    """Whether ``payload`` claims to be a measurement packet (byte 0 is 0x20).

    Command replies share the characteristic; a pipeline checks this before decoding so replies
    are skipped rather than counted as decode errors.
    """
    return len(payload) > 0 and payload[0] == MEASUREMENT_PACKET


@functools.lru_cache(maxsize=256)
def _mask_channels(mask: int) -> tuple[int, ...]:
    # Cached: a device sends the same few masks for hours, and this is on the replay hot path.
    return tuple(bit for bit in range(mask.bit_length()) if mask >> bit & 1)


@functools.lru_cache(maxsize=256)
def _values_struct(n_values: int, fmt: str) -> struct.Struct:
    return struct.Struct(f"<{n_values}{fmt}")


def _read_values(
    data: bytes, start: int, count: int, n_channels: int, fmt: str
) -> tuple[tuple[float, ...], ...]:
    expected = start + 4 * count * n_channels
    if len(data) != expected:
        raise DecodeError(
            f"Go Direct packet is {len(data)} bytes, its header announces {expected} "
            f"({count} samples x {n_channels} channels)"
        )
    if count == 0:
        return ()
    flat = _values_struct(count * n_channels, fmt).unpack_from(data, start)
    if fmt == "i":
        flat = tuple(float(v) for v in flat)
    if count == 1:
        return (flat,)  # the belt's usual packet: one sample, skip the row slicing
    return tuple(flat[i : i + n_channels] for i in range(0, len(flat), n_channels))


def decode_godirect_measurement(payload: bytes) -> GoDirectMeasurement:
    """Decode one complete (joined) Go Direct measurement packet.

    Parameters
    ----------
    payload : bytes
        The packet, untrusted. Its length byte must equal ``len(payload)``, so a packet split
        over several notifications has to be joined first.

    Returns
    -------
    GoDirectMeasurement
        Information packets (types 0C-0E) decode to a measurement with no channels.

    Raises
    ------
    DecodeError
        Not a measurement packet (byte 0 is not 0x20), length byte mismatch, truncated or
        oversized body, empty sensor mask, or an unknown packet type. The checksum is not
        enforced: Vernier's own clients ignore it on incoming packets; see
        :func:`devices.godirect_commands.checksum`.
    """
    data = payload if type(payload) is bytes else bytes(payload)
    if not data or data[0] != MEASUREMENT_PACKET:
        first = f"0x{data[0]:02X}" if data else "nothing"
        raise DecodeError(f"not a Go Direct measurement packet (byte 0 is {first})")
    if len(data) < _HEADER_LEN:
        raise DecodeError(f"Go Direct packet of {len(data)} bytes is shorter than its header")
    if data[1] != len(data):
        raise DecodeError(f"Go Direct length byte says {data[1]} bytes, the packet has {len(data)}")
    kind = data[4]
    if kind in _INFO_TYPES:
        return GoDirectMeasurement((), (), kind)
    if kind in (TYPE_REAL32, TYPE_WIDE_REAL32):
        wide = kind == TYPE_WIDE_REAL32
        start = 11 if wide else _REAL32_VALUES_AT
        if len(data) < start:
            raise DecodeError(f"Go Direct type {kind:02X} packet of {len(data)} bytes is cut short")
        mask = int.from_bytes(data[5:9] if wide else data[5:7], "little")
        count = data[9 if wide else 7]
        channels = _mask_channels(mask)
        if not channels:
            raise DecodeError("Go Direct measurement packet with an empty sensor mask")
        return GoDirectMeasurement(
            channels, _read_values(data, start, count, len(channels), "f"), kind
        )
    if kind in (TYPE_SINGLE_REAL32, TYPE_APERIODIC_REAL32, TYPE_SINGLE_INT32, TYPE_APERIODIC_INT32):
        if len(data) < 8:
            raise DecodeError(f"Go Direct type {kind:02X} packet of {len(data)} bytes is cut short")
        fmt = "f" if kind in (TYPE_SINGLE_REAL32, TYPE_APERIODIC_REAL32) else "i"
        return GoDirectMeasurement((data[6],), _read_values(data, 8, data[7], 1, fmt), kind)
    raise DecodeError(f"unknown Go Direct measurement type 0x{kind:02X}")


def _check_layout(n_samples: int, channels: Sequence[int], counter: int) -> tuple[int, int]:
    """Validate an encoder request; return (mask, packet length)."""
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter <= 0xFF:
        raise ValueError(f"counter must be an int in 0..255, got {counter!r}")
    chans = list(channels)
    if not chans:
        raise ValueError("at least one channel is needed")
    for ch in chans:
        if isinstance(ch, bool) or not isinstance(ch, int) or not 0 <= ch <= _MAX_MASK_BIT:
            raise ValueError(f"channel numbers must be ints in 0..{_MAX_MASK_BIT}, got {ch!r}")
    if any(b <= a for a, b in itertools.pairwise(chans)):
        raise ValueError(f"channels must be strictly ascending (mask order), got {chans}")
    if not 0 <= n_samples <= 0xFF:
        raise ValueError(f"a packet holds 0..255 samples, got {n_samples}")
    length = _REAL32_VALUES_AT + 4 * n_samples * len(chans)
    if length > _MAX_PACKET_LEN:
        raise ValueError(f"{n_samples} samples x {len(chans)} channels exceed the 255-byte packet")
    mask = 0
    for ch in chans:
        mask |= 1 << ch
    return mask, length


def encode_godirect_measurement(
    samples: Sequence[Sequence[float]], channels: Sequence[int], counter: int = 0
) -> bytes:
    """Build a type-06 (REAL32) measurement packet in the layout of the real capture.

    Parameters
    ----------
    samples : sequence of sequence of float
        One row per sample, one value per channel (in the order of ``channels``). Values are
        stored as float32 (NaN allowed: "not ready").
    channels : sequence of int
        Sensor numbers, strictly ascending, 0..15 (the u16 mask).
    counter : int
        Rolling counter, byte 2 (0..255).

    Returns
    -------
    bytes
        ``20 | len | counter | checksum | 06 | mask u16 | count | -(values) & 0xFF | f32...``;
        the checksum is computed last over the finished packet (module docstring).

    Raises
    ------
    ValueError
        Bad counter or channels, a row of the wrong width, more than 255 samples or a packet
        longer than 255 bytes, a value a float32 cannot hold.
    """
    rows = [tuple(row) for row in samples]
    mask, length = _check_layout(len(rows), channels, counter)
    width = len(channels)
    flat: list[float] = []
    for row in rows:
        if len(row) != width:
            raise ValueError(f"each sample needs {width} values, got {len(row)}")
        flat.extend(row)
    n_values = len(flat)
    head = bytes(
        (
            MEASUREMENT_PACKET,
            length,
            counter,
            0,
            TYPE_REAL32,
            mask & 0xFF,
            mask >> 8,
            len(rows),
            -n_values & 0xFF,
        )
    )
    try:
        body = struct.pack(f"<{n_values}f", *flat)
    except (struct.error, OverflowError, TypeError) as exc:
        raise ValueError(f"sample values must be float32-representable numbers: {exc}") from None
    packet = bytearray(head + body)
    packet[3] = checksum(bytes(packet))
    return bytes(packet)


def encode_godirect_measurements(
    samples: npt.ArrayLike, channels: Sequence[int], first_counter: int = 0
) -> list[bytes]:
    """Many one-sample type-06 packets at once (a simulated stream), vectorised.

    Packet ``i`` is byte-for-byte ``encode_godirect_measurement([samples[i]], channels,
    (first_counter + i) & 0xFF)`` (tested); this only avoids a Python call per sample.

    Parameters
    ----------
    samples : array_like, shape (n, len(channels))
        One row per packet; stored as float32.
    channels : sequence of int
        Sensor numbers, strictly ascending, 0..15.
    first_counter : int
        Rolling counter of the first packet; it increments by one per packet, modulo 256.

    Returns
    -------
    list of bytes
    """
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(channels):
        raise ValueError(f"samples must have shape (n, {len(channels)}), got {values.shape}")
    with np.errstate(over="ignore"):
        as_f32 = values.astype("<f4")
    if np.any(np.isinf(as_f32) & np.isfinite(values)):
        raise ValueError("sample values must be float32-representable numbers")
    mask, length = _check_layout(1, channels, first_counter)
    n = values.shape[0]
    out = np.zeros((n, length), dtype=np.uint8)
    out[:, 0] = MEASUREMENT_PACKET
    out[:, 1] = length
    out[:, 2] = (first_counter + np.arange(n)) & 0xFF
    out[:, 4] = TYPE_REAL32
    out[:, 5] = mask & 0xFF
    out[:, 6] = mask >> 8
    out[:, 7] = 1
    out[:, 8] = -len(channels) & 0xFF
    out[:, _REAL32_VALUES_AT:] = as_f32.view(np.uint8).reshape(n, -1)
    # godirect_commands.checksum over every row at once: byte 3 is still 0 here, so the sum of
    # the row is the sum of the other bytes (tested against checksum()).
    out[:, 3] = (out.sum(axis=1, dtype=np.int64) & 0xFF).astype(np.uint8)
    flat = out.tobytes()
    return [flat[i : i + length] for i in range(0, n * length, length)]
