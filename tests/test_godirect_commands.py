"""Go Direct command packets and replies: fact-sheet examples byte for byte (§3), fuzzing."""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

import pytest
from fuzzing import fuzz_decoder

from devices.errors import DecodeError
from devices.godirect_commands import (
    INIT_PARAMS,
    SENSOR_INFO_LEN,
    Command,
    CommandBuilder,
    Reassembler,
    SensorInfo,
    build_packet,
    channel_mask,
    checksum,
    encode_sensor_info,
    parse_channel_mask,
    parse_device_info,
    parse_reply,
    parse_sensor_info,
    parse_status,
    split_for_write,
)

H = bytes.fromhex


def test_computed_examples_byte_for_byte() -> None:
    commands = CommandBuilder()
    init = commands.init()
    assert init[2] == 0xFE  # first command after INIT uses 0xFE
    assert commands.available_mask()[2] == 0xFD
    assert commands.set_period(100_000) == H("580FFCA41BFF00A086010000000000")
    assert commands.start(channel_mask([1, 2])) == H("5813FB8418FF0106") + bytes(11)
    assert commands.stop() == H("580BFA7119FF00FFFFFFFF")


def test_init_packet_and_counter_reset() -> None:
    commands = CommandBuilder()
    for _ in range(5):
        commands.status()
    init = commands.init()
    assert init[:5] == bytes([0x58, 5 + len(INIT_PARAMS), 0xFE, checksum(init), Command.INIT])
    assert init[5:] == H("a54a0649074808470946 0a450b440c430d420e41".replace(" ", ""))
    assert commands.counter == 0xFE


def test_counter_wraps_modulo_256() -> None:
    commands = CommandBuilder()
    counters = [commands.status()[2] for _ in range(300)]
    assert counters[:2] == [0xFE, 0xFD]
    assert counters[0xFE] == 0x00 and counters[0xFF] == 0xFF


def test_other_commands() -> None:
    commands = CommandBuilder()
    assert commands.sensor_info(2)[4:] == bytes([Command.SENSOR_INFO, 2])
    assert commands.device_info()[4] == Command.DEVICE_INFO
    assert commands.default_mask()[4] == Command.DEFAULT_MASK
    assert commands.disconnect()[4] == Command.DISCONNECT
    with pytest.raises(ValueError, match="period out of range: 0 µs"):
        commands.set_period(0)
    with pytest.raises(ValueError, match="channel mask out of range: 0"):
        commands.start(0)
    with pytest.raises(ValueError, match="channel out of range: 40"):
        commands.sensor_info(40)
    with pytest.raises(ValueError, match="rolling counter out of range: 256"):
        build_packet(0x10, 256)


def test_checksum_is_the_sum_of_the_other_bytes() -> None:
    for packet in (H("580FFCA41BFF00A086010000000000"), H("980A012751FD36000000")):
        assert checksum(packet) == packet[3]
    # The real measurement capture obeys the same rule.
    capture = H("2019CFD806060002FC808A07BF0000C07F803108BF0000C07F")
    assert checksum(capture) == 0xD8


def test_writes_are_at_most_20_bytes() -> None:
    init = CommandBuilder().init()
    chunks = split_for_write(init)
    assert [len(c) for c in chunks] == [20, 5]
    assert b"".join(chunks) == init


def test_mask_reply_lists_sensors_1_2_4_5() -> None:
    reply = parse_reply(H("980A012751FD36000000"))
    assert (reply.command, reply.counter) == (Command.AVAILABLE_MASK, 0xFD)
    assert parse_channel_mask(reply.payload) == (1, 2, 4, 5)


def _reply(command: int, counter: int, payload: bytes) -> bytes:
    packet = bytearray([0x98, 6 + len(payload), 0x01, 0, command, counter]) + payload
    packet[3] = checksum(bytes(packet))
    return bytes(packet)


FORCE = SensorInfo(
    channel=1,
    sensor_id=5301,
    numeric_type=0,
    sampling_mode=0,
    description="Force",
    units="N",
    uncertainty=0.01,
    min_value=-50.0,
    max_value=50.0,
    min_period_us=5000,
    max_period_us=10**9,
    typical_period_us=100_000,
    period_granularity_us=1000,
    mutual_exclusion_mask=0,
)


def test_sensor_info_round_trip_and_layout() -> None:
    payload = encode_sensor_info(FORCE)
    assert len(payload) == SENSOR_INFO_LEN == 148
    # Offsets read by godirect-js: description at 8, units at 68, typical period at 136.
    assert payload[8:13] == b"Force" and payload[68:69] == b"N"
    assert struct.unpack_from("<I", payload, 136)[0] == 100_000
    assert parse_sensor_info(payload) == FORCE


def test_a_long_reply_is_reassembled_from_20_byte_notifications() -> None:
    packet = _reply(Command.SENSOR_INFO, 0xFB, encode_sensor_info(FORCE))
    chunks = [packet[i : i + 20] for i in range(0, len(packet), 20)]
    reassembler = Reassembler()
    results = [reassembler.feed(c) for c in chunks]
    assert results[:-1] == [None] * (len(chunks) - 1)
    assert results[-1] == packet
    assert reassembler.pending == 0
    reply = parse_reply(packet)
    assert parse_sensor_info(reply.payload).description == "Force"


def test_reassembler_errors_drop_the_partial_packet() -> None:
    reassembler = Reassembler()
    with pytest.raises(DecodeError, match="declares length 2"):
        reassembler.feed(H("9802"))
    with pytest.raises(DecodeError, match="overruns its packet by 1 bytes"):
        reassembler.feed(H("9806012700FD00"))  # one byte more than declared
    assert reassembler.pending == 0
    assert reassembler.feed(b"") is None
    assert reassembler.feed(H("98")) is None
    assert reassembler.feed(H("0601")) is None
    assert reassembler.feed(H("9F1AFD")) == H("9806019F1AFD")


def test_reply_errors() -> None:
    good = _reply(Command.STATUS, 0xFE, bytes(12))
    bad_sum = good[:3] + bytes([good[3] ^ 1]) + good[4:]
    for bad, reason in (
        (good[:5], "reply too short: 5 bytes"),
        (bad_sum, "reply checksum mismatch"),
        (good + b"\x00", "reply length byte 18 != 19 bytes"),
    ):
        with pytest.raises(DecodeError, match=reason):
            parse_reply(bad)


def test_status_and_device_info() -> None:
    status = parse_status(bytes([0, 0, 1, 8, 0, 0, 2, 0, 0, 5, 87, 1]))
    assert (status.main_firmware, status.ble_firmware) == ("1.8", "2.5")
    assert (status.battery_percent, status.charging_state) == (87, 1)
    info = parse_device_info(
        b"GDX-RB".ljust(16, b"\0")
        + b"0K2002Z5".ljust(16, b"\0")
        + b"GDX-RB 0K2002Z5".ljust(32, b"\0")
    )
    assert (info.order_code, info.serial_number, info.name) == (
        "GDX-RB",
        "0K2002Z5",
        "GDX-RB 0K2002Z5",
    )
    for parse, size, what in (
        (parse_status, 12, "status reply"),
        (parse_device_info, 64, "device info"),
        (parse_channel_mask, 4, "channel mask reply"),
    ):
        with pytest.raises(DecodeError, match=f"^{what} too short: {size - 1} bytes"):
            parse(bytes(size - 1))


def _reassemble_then_parse(payload: bytes) -> None:
    reassembler = Reassembler()
    for start in range(0, len(payload), 20):
        packet = reassembler.feed(payload[start : start + 20])
        if packet is not None:
            parse_reply(packet)


def _valid_ish_reply(rng: random.Random) -> bytes:
    payload = rng.randbytes(rng.randrange(0, 160))
    packet = bytearray([0x98, (6 + len(payload)) & 0xFF, 1, 0, rng.randrange(256), 0]) + payload
    packet[3] = checksum(bytes(packet)) if rng.random() < 0.8 else rng.randrange(256)
    if rng.random() < 0.2:
        packet[1] = rng.randrange(256)
    return bytes(packet)


DECODERS: dict[str, tuple[Callable[[bytes], object], Callable[[random.Random], bytes]]] = {
    # Half well-formed (right length byte, mostly right checksum): uniform random bytes almost
    # never decode, and then the fuzz would not get past the first check.
    "reply": (
        parse_reply,
        lambda r: _valid_ish_reply(r) if r.random() < 0.5 else r.randbytes(r.randrange(0, 30)),
    ),
    "reassembled_reply": (_reassemble_then_parse, _valid_ish_reply),
    "sensor_info": (parse_sensor_info, lambda r: r.randbytes(r.choice((r.randrange(150), 148)))),
    "device_info": (parse_device_info, lambda r: r.randbytes(r.randrange(0, 70))),
    "status": (parse_status, lambda r: r.randbytes(r.randrange(0, 16))),
    "channel_mask": (parse_channel_mask, lambda r: r.randbytes(r.randrange(0, 8))),
}


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_fuzzed_payloads_raise_only_decode_error(name: str) -> None:
    decoder, make = DECODERS[name]
    fuzz_decoder(name, decoder, make)
