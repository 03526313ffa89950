"""Go Direct measurement packet codec: the real capture, every packet type, round trip, fuzz."""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable

import numpy as np
import pytest
from fuzzing import fuzz_seed

import devices.godirect
from devices.errors import DecodeError
from devices.godirect import (
    GoDirectMeasurement,
    channel_values,
    decode_godirect_measurement,
    encode_godirect_measurement,
    encode_godirect_measurements,
    is_measurement_packet,
    run_channel_values,
)
from devices.godirect_commands import checksum

# Fact sheet section 3, from BangleApps vernierrespirate.
CAPTURE = bytes.fromhex(
    "20 19 CF D8 06 06 00 02 FC 80 8A 07 BF 00 00 C0 7F 80 31 08 BF 00 00 C0 7F"
)
MASK_REPLY = bytes.fromhex("98 0A 01 27 51 FD 36 00 00 00")


def _packet(body: bytes, counter: int = 0x10) -> bytes:
    """Wrap ``body`` (from byte 4 on) in a header with a correct length and checksum."""
    packet = bytearray((0x20, 4 + len(body), counter, 0))
    packet += body
    packet[3] = (sum(packet) - packet[3]) & 0xFF
    return bytes(packet)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# -- the real capture -------------------------------------------------------------------------


def test_real_capture_decodes_to_the_fact_sheet_values() -> None:
    m = decode_godirect_measurement(CAPTURE)
    assert m.channels == (1, 2)
    assert m.packet_type == 0x06
    force = m.channel(1)
    assert force == pytest.approx((-0.5295, -0.5320), abs=5e-5)
    assert force == (-0.5294570922851562, -0.5320053100585938)  # exact float32 values
    assert all(math.isnan(v) for v in m.channel(2))
    assert len(m.values) == 2 and all(len(row) == 2 for row in m.values)


def test_real_capture_round_trips_byte_for_byte() -> None:
    m = decode_godirect_measurement(CAPTURE)
    assert encode_godirect_measurement(m.values, m.channels, counter=0xCF) == CAPTURE


def test_capture_obeys_the_command_checksum_rule() -> None:
    # One checksum function for commands, replies and measurements (the encoder uses it).
    assert vars(devices.godirect)["checksum"] is checksum
    assert checksum(CAPTURE) == CAPTURE[3] == 0xD8
    with pytest.raises(DecodeError, match="too short for a checksum: 3 bytes"):
        checksum(b"\x20\x03\x00")


def test_command_reply_is_not_a_measurement() -> None:
    assert is_measurement_packet(CAPTURE)
    assert not is_measurement_packet(MASK_REPLY)
    assert not is_measurement_packet(b"")
    with pytest.raises(DecodeError, match="not a Go Direct measurement packet"):
        decode_godirect_measurement(MASK_REPLY)


def test_missing_channel_raises_decode_error() -> None:
    """Review 38 F3: a KeyError before, against the module's promise of DecodeError alone."""
    reads: list[Callable[[], tuple[float, ...]]] = [
        lambda: decode_godirect_measurement(CAPTURE).channel(4),
        lambda: channel_values(CAPTURE, 4),
    ]
    for read in reads:
        with pytest.raises(DecodeError, match="sensor 4 is not in this packet") as raised:
            read()
        assert not isinstance(raised.value, KeyError)


# -- malformed packets ------------------------------------------------------------------------


@pytest.mark.parametrize("cut", range(len(CAPTURE)))
def test_every_truncation_of_the_capture_is_rejected(cut: int) -> None:
    # Each length is stopped by the check meant for it, not by a later slice or unpack.
    if cut == 0:
        reason = r"byte 0 is nothing"
    elif cut < 5:
        reason = rf"packet of {cut} bytes is shorter than its header"
    else:
        reason = rf"length byte says {CAPTURE[1]} bytes, the packet has {cut}$"
    with pytest.raises(DecodeError, match=reason):
        decode_godirect_measurement(CAPTURE[:cut])


def test_truncation_with_a_consistent_length_byte_is_rejected() -> None:
    shorter = bytearray(CAPTURE[:-4])
    shorter[1] = len(shorter)
    with pytest.raises(DecodeError, match="announces"):
        decode_godirect_measurement(bytes(shorter))


def test_extra_bytes_are_rejected() -> None:
    longer = bytearray(CAPTURE + b"\x00\x00\x00\x00")
    longer[1] = len(longer)
    with pytest.raises(DecodeError, match="is 29 bytes, its header announces 25"):
        decode_godirect_measurement(bytes(longer))


def test_empty_mask_and_unknown_type_are_rejected() -> None:
    with pytest.raises(DecodeError, match="mask"):
        decode_godirect_measurement(_packet(bytes((0x06, 0, 0, 0, 0))))
    with pytest.raises(DecodeError, match="unknown"):
        decode_godirect_measurement(_packet(bytes((0x05, 0, 0, 0, 0))))


# -- the other packet types -------------------------------------------------------------------


def test_wide_real32_packet() -> None:
    mask = (1 << 1) | (1 << 20)
    body = bytes((0x07,)) + struct.pack("<IBB", mask, 2, 0) + struct.pack("<4f", 1, 2, 3, 4)
    m = decode_godirect_measurement(_packet(body))
    assert m == GoDirectMeasurement((1, 20), ((1.0, 2.0), (3.0, 4.0)), 0x07)
    assert m.channel(20) == (2.0, 4.0)


@pytest.mark.parametrize("kind", [0x08, 0x0A])
def test_single_channel_real32(kind: int) -> None:
    body = bytes((kind, 0, 5, 3)) + struct.pack("<3f", 0.5, -1.25, 8.0)
    m = decode_godirect_measurement(_packet(body))
    assert m == GoDirectMeasurement((5,), ((0.5,), (-1.25,), (8.0,)), kind)


@pytest.mark.parametrize("kind", [0x09, 0x0B])
def test_single_channel_int32(kind: int) -> None:
    body = bytes((kind, 0, 3, 2)) + struct.pack("<2i", -7, 2**31 - 1)
    m = decode_godirect_measurement(_packet(body))
    assert m.channel(3) == (-7.0, float(2**31 - 1))
    assert all(isinstance(v, float) for v in m.channel(3))


@pytest.mark.parametrize("kind", [0x0C, 0x0D, 0x0E])
def test_information_packets_carry_no_values(kind: int) -> None:
    m = decode_godirect_measurement(_packet(bytes((kind, 1, 2, 3, 4))))
    assert m.channels == () and m.values == () and m.packet_type == kind
    assert m.channel(1) == ()


# -- encoder ----------------------------------------------------------------------------------


def test_encoder_round_trip_several_samples() -> None:
    samples = [(0.25, float("nan"), 7.0), (-3.5, 12.0, 0.0)]
    payload = encode_godirect_measurement(samples, (1, 2, 4), counter=200)
    assert payload[1] == len(payload) == 9 + 4 * 6
    assert payload[2] == 200
    assert payload[3] == checksum(payload)
    assert payload[8] == (-6) & 0xFF
    m = decode_godirect_measurement(payload)
    assert m.channels == (1, 2, 4)
    flat = [v for row in m.values for v in row]
    pairs = list(zip(flat, [v for row in samples for v in row], strict=True))
    assert len(pairs) == 6 and all(_same(a, b) for a, b in pairs)


@pytest.mark.parametrize(
    ("samples", "channels", "counter", "reason"),
    [
        ([(1.0,)], (2, 1), 0, "strictly ascending"),  # not ascending
        ([(1.0,)], (1, 1), 0, "strictly ascending"),  # duplicate
        ([(1.0,)], (), 0, "at least one channel"),  # no channel
        ([(1.0,)], (16,), 0, r"ints in 0\.\.15, got 16"),  # beyond the u16 mask
        ([(1.0, 2.0)], (1,), 0, "each sample needs 1 values, got 2"),  # row too wide
        ([(1.0,)], (1,), 256, "counter must be an int"),  # counter
        ([(1.0,)], (1,), -1, "counter must be an int"),
        ([(1e39,)], (1,), 0, "float32-representable"),  # not a float32
        ([(1.0,)] * 62, (1,), 0, "exceed the 255-byte packet"),  # 9 + 62 * 4 > 255 bytes
    ],
)
def test_encoder_rejects(
    samples: list[tuple[float, ...]], channels: tuple[int, ...], counter: int, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        encode_godirect_measurement(samples, channels, counter)


def test_batch_encoder_matches_the_single_encoder() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(0, 3, (600, 2))
    values[::7, 1] = np.nan
    packets = encode_godirect_measurements(values, (1, 2), first_counter=250)
    assert len(packets) == 600
    for i, packet in enumerate(packets):
        assert packet == encode_godirect_measurement([values[i]], (1, 2), (250 + i) & 0xFF)
        assert packet[3] == checksum(packet)
    with pytest.raises(ValueError, match="float32-representable"):
        encode_godirect_measurements(np.array([[1e39, 0.0]]), (1, 2))
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(3, 3\)"):
        encode_godirect_measurements(np.zeros((3, 3)), (1, 2))


# -- fuzz -------------------------------------------------------------------------------------


def test_fuzz_decoder_raises_only_decode_error() -> None:
    seed = fuzz_seed("Go Direct")
    rng = np.random.default_rng(seed)
    n = 100_000
    lengths = rng.integers(0, 41, n)
    blob = rng.integers(0, 256, (n, 40), dtype=np.uint8)
    # Most payloads look like measurement packets with a right length byte and a known type,
    # and small counts, so the decoder gets past its first checks.
    plausible = rng.random(n) < 0.9
    blob[plausible, 0] = 0x20
    right_length = plausible & (rng.random(n) < 0.8)
    blob[right_length, 1] = lengths[right_length]
    blob[plausible, 4] = rng.integers(0x05, 0x10, int(plausible.sum()))
    small = rng.random(n) < 0.7
    blob[small, 7] = rng.integers(0, 4, int(small.sum()))
    blob[small, 9] = rng.integers(0, 4, int(small.sum()))
    blob[small, 6] &= 0x03
    rows = [row[:length].tobytes() for row, length in zip(blob, lengths.tolist(), strict=True)]
    started = time.perf_counter()
    decoded = 0
    for payload in rows:
        try:
            m = decode_godirect_measurement(payload)
        except DecodeError:
            continue
        except Exception as exc:  # pragma: no cover - the failure being tested for
            pytest.fail(f"seed {seed}: {payload.hex()} raised {exc!r}")
        decoded += 1
        assert all(len(row) == len(m.channels) for row in m.values), payload.hex()
        if m.packet_type == 0x06 and m.values:
            again = decode_godirect_measurement(
                encode_godirect_measurement(m.values, m.channels, payload[2])
            )
            assert again.channels == m.channels
            assert all(
                _same(a, b)
                for r1, r2 in zip(again.values, m.values, strict=True)
                for a, b in zip(r1, r2, strict=True)
            ), f"seed {seed}: {payload.hex()}"
    elapsed = time.perf_counter() - started
    print(f"{n} payloads, {decoded} decoded, {elapsed:.2f} s")
    assert decoded > 1000  # the fuzz reached the value-reading code


def _outcome(read: Callable[[], tuple[float, ...]]) -> tuple[str, object]:
    """The values read, or the DecodeError's words; any other exception is raised (the
    decoders' contract: review 38 F3 found a KeyError for a packet without the channel)."""
    try:
        values = read()
    except DecodeError as exc:
        return type(exc).__name__, str(exc)
    # NaN compared by its bits: the fast path must give the very floats.
    return "values", [struct.pack("<d", v) for v in values]


def test_fuzz_channel_values_is_decoding_then_channel() -> None:
    """``channel_values`` (the pipeline's fast path for the belt's packets) gives what
    ``decode_godirect_measurement(payload).channel(n)`` gives, the same errors included, on
    fuzzed payloads: type-06 packets of the right layout, and each of them with one byte
    changed (the length byte, the type, the mask, the count among them) or cut short."""
    seed = fuzz_seed("Go Direct channel_values")
    rng = np.random.default_rng(seed)
    payloads: list[bytes] = []
    for _ in range(5_000):
        channels = sorted(rng.choice(16, size=int(rng.integers(1, 4)), replace=False).tolist())
        samples = rng.normal(0.0, 10.0, (int(rng.integers(1, 4)), len(channels)))
        samples[rng.random(samples.shape) < 0.1] = np.nan
        good = encode_godirect_measurement(samples.tolist(), channels, int(rng.integers(256)))
        payloads.append(good)
        bad = bytearray(good)
        at = int(rng.integers(0, 9)) if rng.random() < 0.7 else int(rng.integers(len(good)))
        bad[at] = int(rng.integers(256))
        payloads.append(bytes(bad))
        payloads.append(good[: int(rng.integers(len(good)))])
    fast = 0
    missing = 0
    for payload in payloads:
        for n in (0, 1, 2, 5):
            try:
                got = _outcome(lambda p=payload, k=n: channel_values(p, k))  # type: ignore[misc]
                want = _outcome(
                    lambda p=payload, k=n: decode_godirect_measurement(p).channel(k)  # type: ignore[misc]
                )
            except Exception as exc:  # the failure being tested for
                pytest.fail(f"seed {seed}: {payload.hex()} sensor {n} raised {exc!r}")
            assert got == want, f"seed {seed}: {payload.hex()} sensor {n}"
            missing += "is not in this packet" in str(got[1])
            fast += got[0] == "values" and len(payload) > 9 and payload[4] == 0x06
    assert fast > 2_000  # the fast path was taken, not only the fallback
    assert missing > 1_000  # and packets well formed but without the channel asked for


# -- in the pipeline: packets longer than one notification ----------------------------------


def _belt_samples(chunks: list[bytes]) -> tuple[list[float], dict[str, int]]:
    """Force samples the pipeline takes from these notifications, and its decode errors."""
    from devices.packets import RawPacket, Stream
    from devices.source import SourceInfo
    from trainer.session.events import BeltEvent
    from trainer.session.pipeline import Pipeline
    from trainer.storage.recording import Header

    source = SourceInfo(
        kind="ble",
        name="GDX-RB",
        address="x",
        streams={"gdx": {"period_us": 100_000, "force_channel": 1}},
        details={},
    )
    pipeline = Pipeline(Header(0, 0, source))
    events = []
    for i, chunk in enumerate(chunks):
        t_ns = 1_000_000_000 + i * 50_000_000
        events += pipeline.handle([RawPacket(t_ns, t_ns, Stream.GODIRECT.value, chunk)])
    # A later item flushes the samples held for the breath tracker.
    events += pipeline.handle([RawPacket(9 * 10**9, 0, Stream.HEART_RATE.value, b"\x10\x48")])
    values = [float(v) for e in events if isinstance(e, BeltEvent) for v in e.values]
    return values, dict(pipeline.decode_errors)


def test_a_packet_split_over_notifications_is_joined_at_every_cut() -> None:
    """The 25-byte capture does not fit one 20-byte notification (ATT MTU 23): the belt
    sends it in two, and the pipeline joins them (fact sheet, docs/reference/ble-protocols.md: join
    until byte 1 is reached)."""
    whole, errors = _belt_samples([CAPTURE])
    assert errors == {} and whole == pytest.approx([-0.5295, -0.5320], abs=1e-4)
    for cut in range(1, len(CAPTURE)):
        assert _belt_samples([CAPTURE[:cut], CAPTURE[cut:]]) == (whole, {}), cut


def test_a_lost_piece_costs_only_its_own_packet() -> None:
    """The second half of one packet never arrives: the next whole packet is not swallowed
    into it (it would have been, waiting for 25 bytes), and the loss is counted."""
    values, errors = _belt_samples([CAPTURE[:20], CAPTURE, MASK_REPLY, CAPTURE])
    assert len(values) == 4
    assert errors == {"gdx": 1}


def test_a_tail_that_looks_like_a_whole_packet_still_completes_its_own() -> None:
    """A 25-byte packet's last 5 bytes are the force's top byte and the rate float; a rate the
    belt holds for many packets can make them look whole (length byte 5, checksum right).
    They must complete the packet they belong to, not replace it (found in review: every
    packet was lost while that rate lasted)."""
    rate = struct.unpack("<f", struct.pack("<I", 0x4140BB05))[0]  # about 12.05 breaths/min
    packets = [
        encode_godirect_measurement([(1.0 + 0.01 * k, rate), (1.0, rate)], (1, 2), k)
        for k in range(4)
    ]
    assert all(len(p) == 25 for p in packets)
    tail = packets[0][20:]
    assert tail[1] == len(tail) and checksum(tail) == tail[3]  # looks whole
    chunks = [piece for p in packets for piece in (p[:20], p[20:])]
    values, errors = _belt_samples(chunks)
    assert errors == {} and len(values) == 8
    assert values[::2] == pytest.approx([1.0, 1.01, 1.02, 1.03], abs=1e-6)


def test_a_packet_without_the_force_channel_is_a_counted_decode_error() -> None:
    """The pipeline catches DecodeError alone since review 38 F3 (it caught KeyError and
    ValueError too): a packet from a sensor that left the force channel out is counted, the
    packets around it kept."""
    without = encode_godirect_measurement([(2.5,)], (2,), 7)
    values, errors = _belt_samples([CAPTURE, without, CAPTURE])
    assert len(values) == 4
    assert errors == {"gdx": 1}


def test_a_run_of_packets_reads_as_channel_values_does_packet_by_packet() -> None:
    """run_channel_values (a replay's read-ahead) gives channel_values' numbers, bit for bit,
    up to the first packet of another layout or length: a command reply, a packet in pieces,
    another mask or sample count."""
    rng = np.random.default_rng(5)
    packets = [
        encode_godirect_measurement([(float(f), math.nan)], [1, 2], k % 256)
        for k, f in enumerate(rng.normal(0.0, 3.0, 300).astype(np.float32))
    ]
    packets[40] = encode_godirect_measurement([(math.nan, 1.0)], [1, 2], 40)
    expected = [v for p in packets for v in channel_values(p, 1)]
    values, run = run_channel_values(packets, 1)
    assert run == 300
    assert values.tobytes() == np.array(expected).tobytes()
    two_samples = encode_godirect_measurement([(1.0, 2.0), (3.0, 4.0)], [1, 2], 7)
    for odd in (bytes([0x55, 6, 0, 0, 0, 0]), packets[5][:10], two_samples, packets[5][:-4]):
        values, run = run_channel_values([*packets[:120], odd, *packets[120:]], 1)
        assert run == 120
        assert values.tobytes() == np.array(expected[:120]).tobytes()
    assert run_channel_values([two_samples, two_samples], 2)[0].tolist() == [2.0, 4.0] * 2
    assert run_channel_values([bytes([0x55, 6, 0, 0, 0, 0]), *packets], 1)[1] == 0
    assert run_channel_values(packets, 3)[1] == 0  # no sensor 3 in them
    assert run_channel_values([], 1)[1] == 0
