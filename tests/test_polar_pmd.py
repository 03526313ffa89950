"""Polar PMD codec: every example of the fact sheet (docs/reference/ble-protocols.md §2), edge
cases, fuzzing."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fuzzing import fuzz_decoder

from devices.errors import DecodeError
from devices.packets import RawPacket, Stream
from devices.pmd_stream import PmdStreamDecoder
from devices.polar_pmd import (
    PMD_EPOCH_OFFSET_NS,
    MeasurementType,
    OpCode,
    PmdFeatures,
    PmdResponse,
    PmdStopNotice,
    ResponseAssembler,
    SampleClock,
    SettingType,
    SettingValueError,
    Status,
    build_get_settings,
    build_start,
    build_stop,
    decode_acc,
    decode_delta_frame,
    decode_ecg,
    encode_settings,
    parse_control_point,
    parse_features,
    parse_frame,
    parse_response,
    parse_settings,
    status_name,
)

H = bytes.fromhex

ECG_EXAMPLE = H(
    "00 EA1CACCC99435208 00 680000 580000 460000 3D0000 320000 260000 160000 040000".replace(
        " ", ""
    )
)
ACC_EXAMPLE = H("02 EA54A2428B455208 01 45FFE4FFB503 45FFE4FFB803".replace(" ", ""))


# -- fact-sheet examples -------------------------------------------------------------------------


def test_feature_read_of_the_h10() -> None:
    features = parse_features(H("0F0500") + bytes(14))
    assert features.has(MeasurementType.ECG)
    assert features.has(MeasurementType.ACC)
    assert not features.has(MeasurementType.PPG)
    assert features.supported == {0, 2}


def test_feature_bits_of_byte_two() -> None:
    features = parse_features(H("0F0002") + H("40"))
    assert features.has(MeasurementType.SDK_MODE)
    features = parse_features(H("0F0040"))
    assert features.has(MeasurementType.OFFLINE_HR)
    assert features.supported == {14}


def test_command_builders_match_the_h10_table() -> None:
    assert build_get_settings(MeasurementType.ECG) == H("0100")
    assert build_get_settings(MeasurementType.ACC) == H("0102")
    assert build_start(
        MeasurementType.ECG, {SettingType.SAMPLE_RATE: 130, SettingType.RESOLUTION: 14}
    ) == H("02000001820001010E00")
    start_acc = build_start(
        MeasurementType.ACC,
        {SettingType.RANGE: 8, SettingType.SAMPLE_RATE: 200, SettingType.RESOLUTION: 16},
    )
    assert start_acc == H("020200 01C800 0101 1000 0201 0800".replace(" ", ""))
    assert build_stop(MeasurementType.ACC) == H("0302")
    assert build_stop(MeasurementType.ECG) == H("0300")


def test_other_acc_rates_and_ranges_encode_as_listed() -> None:
    for rate, raw in ((25, "1900"), (50, "3200"), (100, "6400"), (200, "C800")):
        assert encode_settings({SettingType.SAMPLE_RATE: rate}) == H("0001" + raw)
    for g, raw in ((2, "0200"), (4, "0400"), (8, "0800")):
        assert encode_settings({SettingType.RANGE: g}) == H("0201" + raw)


def test_start_requests_never_send_factor() -> None:
    with pytest.raises(ValueError, match="FACTOR is never sent in a start request"):
        encode_settings({SettingType.FACTOR: 1})
    with pytest.raises(ValueError, match="SAMPLE_RATE value out of range: 70000"):
        encode_settings({SettingType.SAMPLE_RATE: 70000})


def test_ecg_settings_response() -> None:
    response = parse_response(H("F00100000000018200010 10E00".replace(" ", "")))
    assert (response.opcode, response.measurement_type, response.status) == (1, 0, 0)
    assert response.ok and not response.more
    assert parse_settings(response.parameters) == {
        SettingType.SAMPLE_RATE: (130,),
        SettingType.RESOLUTION: (14,),
    }


def test_acc_settings_response() -> None:
    raw = "F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00"
    response = parse_response(H(raw.replace(" ", "")))
    assert parse_settings(response.parameters) == {
        SettingType.SAMPLE_RATE: (25, 50, 100, 200),
        SettingType.RESOLUTION: (16,),
        SettingType.RANGE: (2, 4, 8),
    }


def test_start_and_stop_responses() -> None:
    ecg = parse_response(H("F00200000000"))
    assert (ecg.opcode, ecg.measurement_type, ecg.status, ecg.more) == (2, 0, 0, False)
    acc = parse_response(H("F00202000001"))
    assert (acc.opcode, acc.measurement_type, acc.ok) == (2, 2, True)
    for mtype in (0, 2):
        stop = parse_response(bytes([0xF0, 0x03, mtype, 0x00, 0x00]))
        assert (stop.opcode, stop.measurement_type, stop.ok) == (OpCode.STOP, mtype, True)


def test_verity_start_response_carries_factor() -> None:
    response = parse_response(H("F002020000050140DA7F39"))
    (factor,) = parse_settings(response.parameters)[SettingType.FACTOR]
    assert isinstance(factor, float)
    assert factor == pytest.approx(0.000244, rel=1e-4)


def test_ecg_frame_example() -> None:
    frame = parse_frame(ECG_EXAMPLE)
    assert frame.measurement_type == MeasurementType.ECG
    assert (frame.frame_type, frame.compressed) == (0, False)
    assert decode_ecg(frame).tolist() == [104, 88, 70, 61, 50, 38, 22, 4]


def test_acc_frame_example_and_its_timestamp() -> None:
    frame = parse_frame(ACC_EXAMPLE)
    assert frame.timestamp_ns == 599618164814402794
    unix_s = (frame.timestamp_ns + PMD_EPOCH_OFFSET_NS) / 1e9
    when = dt.datetime.fromtimestamp(unix_s, dt.UTC)
    assert when.strftime("%Y-%m-%d %H:%M:%S") == "2019-01-01 00:36:04"
    assert decode_acc(frame).tolist() == [[-187, -28, 949], [-187, -28, 952]]


def test_delta_example_verity_0x80() -> None:
    # Reference (-48, 357, 4068), a block of 8-bit deltas; the sheet gives its first two samples.
    data = H("D0FF6501E40F") + H("0802") + H("FC07FF") + H("0C13F2")
    samples = decode_delta_frame(data, 3, 16)
    assert samples.tolist() == [[-48, 357, 4068], [-52, 364, 4067], [-40, 383, 4053]]


def test_delta_example_verity_0x80_full_block_of_29() -> None:
    data = H("D0FF6501E40F") + H("081D") + H("FC07FF") + H("0C13F2") + bytes(27 * 3)
    samples = decode_delta_frame(data, 3, 16)
    assert samples.shape == (30, 3)
    assert samples[:3].tolist() == [[-48, 357, 4068], [-52, 364, 4067], [-40, 383, 4053]]
    assert (samples[3:] == samples[2]).all()


def test_delta_example_acc_type_0x81() -> None:
    data = H("F1FF1400F003" + "0601" + "7B0F08")
    assert decode_delta_frame(data, 3, 16).tolist() == [[-15, 20, 1008], [-20, 17, 1008]]
    frame = parse_frame(bytes([0x02]) + bytes(8) + bytes([0x81]) + data)
    assert frame.compressed and frame.frame_type == 1
    # Compressed type 1 -> value x factor (mG) [PACC].
    assert decode_acc(frame, factor=1.0).tolist() == [[-15, 20, 1008], [-20, 17, 1008]]


def test_compressed_acc_type_0_scales_by_factor_times_1000() -> None:
    data = H("D0FF6501E40F") + H("0802") + H("FC07FF") + H("0C13F2")
    frame = parse_frame(bytes([0x02]) + bytes(8) + bytes([0x80]) + data)
    got = decode_acc(frame, factor=0.000244)
    assert got[0].tolist() == pytest.approx([-48 * 0.244, 357 * 0.244, 4068 * 0.244])


# -- control-point responses ---------------------------------------------------------------------


@pytest.mark.parametrize("code", list(range(15)))
def test_every_status_code_parses_with_its_sdk_name(code: int) -> None:
    payload = bytes([0xF0, 0x02, 0x02, code]) + (b"\x00" if code == 0 else b"")
    response = parse_response(payload)
    assert response.status == code
    assert response.status_name == Status(code).name
    assert response.ok is (code == 0)


def test_status_names_follow_the_sdk_numbering() -> None:
    assert status_name(6) == "ALREADY_IN_STATE"
    assert status_name(10) == "INVALID_MTU"
    assert status_name(13) == "DEVICE_IN_CHARGER"
    assert status_name(99) == "UNKNOWN_99"


def test_error_response_has_no_more_byte() -> None:
    response = parse_response(H("F002020D"))
    assert response.status == Status.DEVICE_IN_CHARGER
    assert response.parameters == b"" and not response.more


def test_success_without_more_byte_is_rejected() -> None:
    with pytest.raises(DecodeError, match="lacks its 'more' byte"):
        parse_response(H("F0020200"))


def test_assembler_joins_more_continuations() -> None:
    assembler = ResponseAssembler()
    assert assembler.feed(H("F001020001") + H("00041900320064")) is None
    assert assembler.waiting
    joined = assembler.feed(H("F001020000") + H("00C800010110000203020004000800"))
    assert isinstance(joined, PmdResponse)
    assert not assembler.waiting
    settings = parse_settings(joined.parameters)
    assert settings[SettingType.SAMPLE_RATE] == (25, 50, 100, 200)
    assert settings[SettingType.RANGE] == (2, 4, 8)


def test_assembler_rejects_a_foreign_continuation() -> None:
    assembler = ResponseAssembler()
    assert assembler.feed(H("F00102000100")) is None
    with pytest.raises(DecodeError, match="does not match the pending response"):
        assembler.feed(H("F00100000000"))
    assert not assembler.waiting


def test_stop_notice() -> None:
    notice = parse_control_point(H("010002"))
    assert isinstance(notice, PmdStopNotice)
    assert notice.measurement_types == (0, 2)
    assert isinstance(ResponseAssembler().feed(H("0102")), PmdStopNotice)


def test_control_point_routes_by_first_byte() -> None:
    assert isinstance(parse_control_point(H("0F0500")), PmdFeatures)
    assert isinstance(parse_control_point(H("F00200000000")), PmdResponse)
    for bad, reason in (
        (b"", "empty PMD control-point value"),
        (H("AA"), "unknown PMD control-point value tag 0xAA"),
        (H("0F"), "PMD feature read too short: 1 bytes"),
        (H("F002"), "PMD response too short: 2 bytes"),
    ):
        with pytest.raises(DecodeError, match=reason):
            parse_control_point(bad)


def test_settings_tlv_errors() -> None:
    for bad, reason in (
        (H("00"), "settings TLV truncated at byte 0"),
        (H("0001"), "PMD setting SAMPLE_RATE truncated"),
        (H("000182"), "PMD setting SAMPLE_RATE truncated"),
        (H("0900"), "unknown PMD setting type 9"),
        (H("0700"), "unknown PMD setting type 7"),
    ):
        with pytest.raises(DecodeError, match=reason):
            parse_settings(bad)
    assert parse_settings(H("0401 03")) == {SettingType.CHANNELS: (3,)}
    assert parse_settings(H("0301 E8030000")) == {SettingType.RANGE_MILLIUNIT: (1000,)}
    security = parse_settings(H("0601") + bytes(range(16)))
    assert security == {SettingType.SECURITY: (bytes(range(16)),)}


@pytest.mark.parametrize(
    "tlv",
    [
        "0001 0000",  # SAMPLE_RATE 0 Hz: the sample clock would divide by it
        "0003 19000000 3200",  # one 0 Hz among the offered rates
        "0101 0000",  # RESOLUTION 0 bits
        "0101 2100",  # RESOLUTION 33 bits: beyond what the delta decoder reads
        "0201 0000",  # RANGE ±0 g
        "0501 0000C07F",  # FACTOR NaN
        "0501 0000807F",  # FACTOR +inf
        "0501 00000000",  # FACTOR 0
        "0501 40DA7FB9",  # FACTOR -0.000244
    ],
)
def test_settings_no_sensor_can_mean_are_refused(tlv: str) -> None:
    # Before, they were returned as read: a NaN factor reached the header (which the reader then
    # refused) and NaN samples ended the live session; a 0 Hz rate raised in the sample clock.
    with pytest.raises(SettingValueError, match="is outside"):
        parse_settings(H(tlv.replace(" ", "")))


def test_setting_bounds_fit_what_a_recording_header_holds(tmp_path: Path) -> None:
    # A setting the parser lets through must give a header the reader accepts (a parser bound
    # wider than the reader's would record a session nothing can read back).
    from devices.polar_pmd import SETTING_BOUNDS
    from devices.source import SourceInfo
    from trainer.storage.recording import Header, read_recording, write_recording

    for corner in (0, 1):
        acc = {
            "fs_hz": SETTING_BOUNDS[SettingType.SAMPLE_RATE][corner],
            "range_g": SETTING_BOUNDS[SettingType.RANGE][corner],
            "resolution_bits": SETTING_BOUNDS[SettingType.RESOLUTION][corner],
            "factor": SETTING_BOUNDS[SettingType.FACTOR][corner],
        }
        source = SourceInfo("ble", "Polar H10 X", streams={"pmd": {"acc": acc}})
        path = tmp_path / f"corner{corner}.bwr"
        write_recording(path, Header(0, 0, source), [], None, end_mono_ns=1, end_wall_ns=1)
        assert read_recording(path).header.source.streams["pmd"]["acc"] == acc


def test_cut_short_settings_are_unreadable_not_impossible() -> None:
    # The H10's start reply ends in a lone byte that is no TLV: unreadable means "no factor",
    # whatever was read before it.
    with pytest.raises(DecodeError, match="settings TLV truncated at byte 4") as info:
        parse_settings(H("0001 0000 05".replace(" ", "")))
    assert not isinstance(info.value, SettingValueError)
    assert parse_settings(H("0501 40DA7F39"))[SettingType.FACTOR][0] == pytest.approx(
        0.000244, 1e-4
    )


# -- data frames ---------------------------------------------------------------------------------


def test_frame_header_masks_type_and_reads_compression_bit() -> None:
    frame = parse_frame(bytes([0x42]) + struct.pack("<Q", 123) + bytes([0x81]) + b"xyz")
    assert (frame.measurement_type, frame.timestamp_ns) == (2, 123)
    assert (frame.frame_type, frame.compressed, frame.data) == (1, True, b"xyz")
    with pytest.raises(DecodeError, match="PMD frame too short: 9 bytes"):
        parse_frame(bytes(9))


def test_ecg_negative_and_extreme_values() -> None:
    values = [-20000, -1, 0, 1, 20000, -(2**23), 2**23 - 1]
    body = b"".join(v.to_bytes(3, "little", signed=True) for v in values)
    frame = parse_frame(bytes([0]) + bytes(8) + b"\x00" + body)
    assert decode_ecg(frame).tolist() == values


@pytest.mark.parametrize(("frame_type", "width"), [(0, 1), (1, 2), (2, 3)])
def test_acc_widths(frame_type: int, width: int) -> None:
    lo = -(2 ** (8 * width - 1))
    hi = 2 ** (8 * width - 1) - 1
    xyz = [lo, 0, hi, -1, 1, 5]
    body = b"".join(v.to_bytes(width, "little", signed=True) for v in xyz)
    frame = parse_frame(bytes([2]) + bytes(8) + bytes([frame_type]) + body)
    assert decode_acc(frame).tolist() == [xyz[:3], xyz[3:]]


def test_wrong_lengths_and_types_are_decode_errors() -> None:
    ecg = parse_frame(bytes([0]) + bytes(8) + b"\x00" + bytes(4))
    acc = parse_frame(bytes([2]) + bytes(8) + b"\x01" + bytes(7))
    with pytest.raises(DecodeError, match="4 sample bytes is not a multiple of 3"):
        decode_ecg(ecg)
    with pytest.raises(DecodeError, match="ACC frame length 7 is not a multiple of 6"):
        decode_acc(acc)
    with pytest.raises(DecodeError, match=r"not an ACC frame \(type 0\)"):
        decode_acc(ecg)
    with pytest.raises(DecodeError, match=r"not an ECG frame \(type 2\)"):
        decode_ecg(acc)
    with pytest.raises(DecodeError, match="unknown ACC frame type 5"):
        decode_acc(parse_frame(bytes([2]) + bytes(8) + b"\x05" + bytes(6)))


def _encode_delta_reference(samples: list[list[int]], resolution: int, delta_bits: int) -> bytes:
    """An independent encoder (one block), to check the decoder on arbitrary data."""
    width = (resolution + 7) // 8
    out = bytearray()
    for value in samples[0]:
        out += (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
    bits: list[int] = []
    for prev, cur in itertools.pairwise(samples):
        for p, c in zip(prev, cur, strict=True):
            delta = (c - p) & ((1 << delta_bits) - 1)
            bits += [(delta >> k) & 1 for k in range(delta_bits)]
    out += bytes([delta_bits, len(samples) - 1])
    for start in range(0, len(bits), 8):
        out.append(sum(bit << k for k, bit in enumerate(bits[start : start + 8])))
    return bytes(out)


def test_delta_decoder_matches_an_independent_encoder() -> None:
    seed = 20240611
    print(f"delta round-trip seed={seed}")
    rng = random.Random(seed)
    for _ in range(300):
        channels = rng.choice((1, 3))
        delta_bits = rng.randint(2, 16)
        n = rng.randint(1, 40)
        span = 2 ** (delta_bits - 1)
        samples = [[rng.randint(-3000, 3000) for _ in range(channels)]]
        for _ in range(n):
            samples.append([v + rng.randint(-span, span - 1) for v in samples[-1]])
        data = _encode_delta_reference(samples, 16, delta_bits)
        assert decode_delta_frame(data, channels, 16).tolist() == samples


def test_delta_reference_is_sign_extended_at_the_resolution() -> None:
    # 14-bit reference 0x3FFF is -1; the spare high bits of its two bytes are ignored.
    assert decode_delta_frame(H("FF3F"), 1, 14).tolist() == [[-1]]
    assert decode_delta_frame(H("FFFF"), 1, 14).tolist() == [[-1]]
    assert decode_delta_frame(H("0020"), 1, 14).tolist() == [[-8192]]


def test_delta_errors() -> None:
    for bad, reason in (
        (H("D0FF65"), "delta frame shorter than its reference sample"),
        (H("D0FF6501E40F08"), "delta block header truncated at byte 6"),
        (H("D0FF6501E40F0801FC07"), "delta block truncated$"),
        (H("D0FF6501E40F0001"), "invalid delta width 0 bits"),
    ):
        with pytest.raises(DecodeError, match=reason):
            decode_delta_frame(bad, 3, 16)
    with pytest.raises(DecodeError, match="unsupported PMD resolution 40 bits"):
        decode_delta_frame(H("00"), 1, 40)


# -- sample times --------------------------------------------------------------------------------


def test_first_frame_spreads_back_at_the_nominal_rate() -> None:
    clock = SampleClock(130.0)
    times = clock.sample_times_ns(1_000_000_000, 3)
    period = 1e9 / 130
    assert times.tolist() == [
        1_000_000_000 - round(2 * period),
        1_000_000_000 - round(period),
        1_000_000_000,
    ]


def test_later_frames_split_the_interval_evenly() -> None:
    clock = SampleClock(130.0)
    clock.sample_times_ns(10_000_000_000, 73)
    times = clock.sample_times_ns(10_000_000_000 + 73 * 7_600_000, 73)
    assert times[0] == 10_000_000_000 + 7_600_000
    assert times[-1] == 10_000_000_000 + 73 * 7_600_000
    assert np.all(np.diff(times) == 7_600_000)


def test_true_rate_is_derived_from_timestamps() -> None:
    true_fs = 130.78  # +0.6 % drift, as the H10 does [polar#71]
    clock = SampleClock(130.0)
    t0 = 599_616_000_000_000_000
    all_times = []
    for frame in range(1, 40):
        last_index = frame * 73 - 1
        all_times.append(clock.sample_times_ns(t0 + round(last_index * 1e9 / true_fs), 73))
    assert clock.fs_hz == pytest.approx(true_fs, abs=0.01)
    times = np.concatenate(all_times)
    assert np.all(np.diff(times) > 0)
    assert 1e9 / np.diff(times[73:]).mean() == pytest.approx(true_fs, abs=0.01)


def test_a_timestamp_jump_restarts_the_clock() -> None:
    clock = SampleClock(130.0)
    clock.sample_times_ns(10_000_000_000, 73)
    jumped = clock.sample_times_ns(50_000_000_000, 73)
    assert clock.restarts == 1
    assert jumped[-1] == 50_000_000_000
    assert jumped[-1] - jumped[-2] == round(1e9 / 130)
    back = clock.sample_times_ns(40_000_000_000, 73)
    assert clock.restarts == 2 and back[-1] == 40_000_000_000
    clock.reset()
    assert clock.fs_hz == 130.0


# -- fuzzing -------------------------------------------------------------------------------------


def _structured_frame(rng: random.Random) -> bytes:
    head = bytes([rng.choice((0, 2, 0x40, 0x42, rng.randrange(256)))]) + rng.randbytes(8)
    frame_type = rng.choice((0, 1, 2, 0x80, 0x81, 0x82, rng.randrange(256)))
    return head + bytes([frame_type]) + rng.randbytes(rng.randrange(0, 80))


def _decode_any_frame(payload: bytes) -> None:
    frame = parse_frame(payload)
    if frame.measurement_type == MeasurementType.ECG:
        decode_ecg(frame)
    else:
        decode_acc(frame, resolution_bits=16, factor=0.5)


def _feed_assembler(payload: bytes) -> None:
    assembler = ResponseAssembler()
    assembler.feed(bytes([0xF0, 0x01, 0x02, 0x00, 0x01]))
    assembler.feed(payload)


_STREAM = PmdStreamDecoder(
    {"ecg": {"fs_hz": 130, "resolution_bits": 14}, "acc": {"fs_hz": 50, "range_g": 8}}, 0
)


def _feed_stream(payload: bytes) -> None:
    # Stateful: each frame meets the sample clock the frames before it left (the clock's
    # integer arithmetic once overflowed on a timestamp of 2**63 ns or more).
    _STREAM.feed(RawPacket(1, 1, Stream.PMD_DATA, payload))


DECODERS: dict[str, tuple[Callable[[bytes], object], Callable[[random.Random], bytes]]] = {
    "frames": (_decode_any_frame, _structured_frame),
    "stream": (_feed_stream, _structured_frame),
    "delta": (lambda p: decode_delta_frame(p, 3, 16), lambda r: r.randbytes(r.randrange(0, 60))),
    "delta_ecg": (
        lambda p: decode_delta_frame(p, 1, 14),
        lambda r: r.randbytes(r.randrange(0, 40)),
    ),
    "control_point": (
        parse_control_point,
        lambda r: (
            bytes([r.choice((0x0F, 0xF0, 0x01, r.randrange(256)))])
            + r.randbytes(r.randrange(0, 24))
        ),
    ),
    "assembler": (
        _feed_assembler,
        lambda r: (
            bytes([0xF0, 0x01, r.choice((2, 0)), r.randrange(3)]) + r.randbytes(r.randrange(8))
        ),
    ),
    "settings": (parse_settings, lambda r: r.randbytes(r.randrange(0, 30))),
}


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_fuzzed_payloads_raise_only_decode_error(name: str) -> None:
    decoder, make = DECODERS[name]
    fuzz_decoder(name, decoder, make)
