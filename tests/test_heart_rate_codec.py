"""Heart Rate Measurement (0x2A37) codec: fact-sheet examples, every flag combination, fuzz."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fuzzing import fuzz_seed
from hypothesis import given
from hypothesis import strategies as st

from devices.errors import DecodeError
from devices.heart_rate import (
    HeartRateMeasurement,
    decode_heart_rate_measurement,
    encode_heart_rate_measurement,
    rr_ms_to_raw,
)

# -- fact sheet (docs/reference/ble-protocols.md) section 1 examples -------------------------


def test_smartgattlib_example() -> None:
    m = decode_heart_rate_measurement(bytes.fromhex("16 48 54 01 EC 02"))
    assert m == HeartRateMeasurement(72, True, True, None, (340, 748))
    assert m.rr_s == (0.33203125, 0.73046875)
    assert m.rr_ms == (332.03125, 730.46875)


@pytest.mark.parametrize(
    ("hex_payload", "expected"),
    [
        ("10 00 FF FF", HeartRateMeasurement(0, False, None, None, (65535,))),
        ("11 00 00 FF FF 7F 80", HeartRateMeasurement(0, False, None, None, (65535, 32895))),
        ("08 00 7F 80", HeartRateMeasurement(0, False, None, 32895, ())),
        ("06 00", HeartRateMeasurement(0, True, True, None, ())),
        ("04 00", HeartRateMeasurement(0, True, False, None, ())),
    ],
)
def test_polar_sdk_examples(hex_payload: str, expected: HeartRateMeasurement) -> None:
    assert decode_heart_rate_measurement(bytes.fromhex(hex_payload)) == expected


def test_rr_ms_is_exact_and_matches_conversion() -> None:
    m = HeartRateMeasurement(60, True, True, None, (1, 1023, 1024, 65535))
    assert m.rr_ms == (1000 / 1024, 1023 * 1000 / 1024, 1000.0, 65535 * 1000 / 1024)
    assert m.rr_ms[3] == 63999.0234375
    assert m.rr_s == (1 / 1024, 1023 / 1024, 1.0, 65535 / 1024)
    assert rr_ms_to_raw(1000.0) == 1024
    assert rr_ms_to_raw(332.03125) == 340
    assert rr_ms_to_raw(800.0) == 819  # 819.2 rounds down
    assert all(rr_ms_to_raw(raw * 1000 / 1024) == raw for raw in range(0, 65536, 7))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (-1.0, "rr_ms must be finite and >= 0, got -1.0"),
        (float("nan"), "rr_ms must be finite and >= 0, got nan"),
        (float("inf"), "rr_ms must be finite and >= 0, got inf"),
        (70_000.0, "beyond the 16-bit RR field"),
    ],
)
def test_rr_ms_to_raw_rejects(bad: float, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rr_ms_to_raw(bad)


# -- every flag combination ---------------------------------------------------------------------


@pytest.mark.parametrize("flags", range(32))
@pytest.mark.parametrize("n_rr", [0, 1, 9])
@pytest.mark.parametrize("rfu", [0x00, 0xE0])
def test_every_flag_combination(flags: int, n_rr: int, rfu: int) -> None:
    hr = 0x1A2 if flags & 0x01 else 0x8C
    rr = [300 + 97 * i for i in range(n_rr)] if flags & 0x10 else []
    body = bytearray((flags | rfu,))
    body += hr.to_bytes(2 if flags & 0x01 else 1, "little")
    if flags & 0x08:
        body += (5000).to_bytes(2, "little")
    for value in rr:
        body += value.to_bytes(2, "little")
    m = decode_heart_rate_measurement(bytes(body))
    supported = bool(flags & 0x04)
    assert m.hr_bpm == hr
    assert m.contact_supported is supported
    assert m.contact_detected == (bool(flags & 0x02) if supported else None)
    assert m.energy_kj == (5000 if flags & 0x08 else None)
    assert m.rr_raw == tuple(rr)
    again = encode_heart_rate_measurement(
        m.hr_bpm,
        m.rr_raw,
        contact=m.contact_detected,
        energy_kj=m.energy_kj,
        uint16=bool(flags & 0x01),
    )
    assert decode_heart_rate_measurement(again) == m
    # Canonical inputs (no reserved bits, no contact bit without support, RR flag only with
    # values) come back byte for byte.
    if rfu == 0 and (supported or not flags & 0x02) and (n_rr or not flags & 0x10):
        assert again == bytes(body)


@pytest.mark.parametrize(
    ("hex_payload", "reason"),
    [
        ("", "empty heart-rate notification"),  # empty
        ("00", "flags but no heart rate"),  # flags, no HR
        ("01 48", "cut short: 2 bytes, u16 HR"),  # u16 HR cut short
        ("08 48 01", "announces energy expended but is too short"),  # EE cut short
        ("10 48 54", r"odd RR byte \(1 RR bytes\)"),  # odd RR byte
        ("10 48 54 01 EC", r"odd RR byte \(3 RR bytes\)"),  # odd byte after a whole one
        ("18 48 7F 80 54", r"odd RR byte \(1 RR bytes\)"),  # EE then odd RR byte
        ("00 48 00", "1 unexpected trailing bytes"),  # trailing byte with no RR flag
        ("09 00 01", "announces energy expended but is too short"),  # u16 HR + EE missing
    ],
)
def test_malformed_payloads_raise_decode_error(hex_payload: str, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_heart_rate_measurement(bytes.fromhex(hex_payload))


def test_rr_flag_with_no_values_decodes_empty() -> None:
    assert decode_heart_rate_measurement(bytes.fromhex("10 48")).rr_raw == ()


@pytest.mark.parametrize(
    ("kwargs", "hr", "reason"),
    [
        ({}, -1, r"hr_bpm must be in 0\.\.65535, got -1"),
        ({}, 65536, r"hr_bpm must be in 0\.\.65535, got 65536"),
        ({"uint16": False}, 256, "does not fit the u8 field"),
        ({"energy_kj": 65536}, 60, r"energy_kj must be in 0\.\.65535, got 65536"),
        ({"energy_kj": -1}, 60, r"energy_kj must be in 0\.\.65535, got -1"),
        ({"rr_raw": (65536,)}, 60, r"rr_raw value must be in 0\.\.65535, got 65536"),
        ({"rr_raw": (-5,)}, 60, r"rr_raw value must be in 0\.\.65535, got -5"),
        ({"rr_raw": (1.5,)}, 60, "rr_raw value must be an int, got 1.5"),
        ({}, True, "hr_bpm must be an int, got True"),
        ({}, 60.0, "hr_bpm must be an int, got 60.0"),
    ],
)
def test_encoder_rejects_out_of_range(kwargs: dict[str, object], hr: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        encode_heart_rate_measurement(hr, **kwargs)  # type: ignore[arg-type]


def test_encoder_widths() -> None:
    assert encode_heart_rate_measurement(72, (340, 748)) == bytes.fromhex("16 48 54 01 EC 02")
    assert encode_heart_rate_measurement(300)[0] & 0x01  # auto u16
    assert encode_heart_rate_measurement(72, uint16=True) == bytes.fromhex("07 48 00")
    assert encode_heart_rate_measurement(0, contact=None, energy_kj=32895) == bytes.fromhex(
        "08 00 7F 80"
    )
    assert encode_heart_rate_measurement(0, contact=False) == bytes.fromhex("04 00")


# -- property-based round trip ------------------------------------------------------------------


@given(
    hr=st.integers(0, 65535),
    rr=st.lists(st.integers(0, 65535), max_size=20),
    contact=st.sampled_from([None, True, False]),
    energy=st.none() | st.integers(0, 65535),
    force_wide=st.booleans(),
)
def test_round_trip_property(
    hr: int, rr: list[int], contact: bool | None, energy: int | None, force_wide: bool
) -> None:
    payload = encode_heart_rate_measurement(
        hr, rr, contact=contact, energy_kj=energy, uint16=True if force_wide else None
    )
    m = decode_heart_rate_measurement(payload)
    assert m == HeartRateMeasurement(hr, contact is not None, contact, energy, tuple(rr))
    assert bool(payload[0] & 0x01) == (force_wide or hr > 255)


# -- fuzz -------------------------------------------------------------------------------------


def test_fuzz_decoder_raises_only_decode_error() -> None:
    seed = fuzz_seed("heart-rate")
    rng = np.random.default_rng(seed)
    n = 100_000
    lengths = rng.integers(0, 41, n)
    blob = rng.integers(0, 256, (n, 40), dtype=np.uint8)
    # Bias the flags towards the field combinations, so decoding goes deep as often as not.
    blob[:, 0] = np.where(rng.random(n) < 0.8, blob[:, 0] & 0x1F, blob[:, 0])
    rows = [row[:length].tobytes() for row, length in zip(blob, lengths.tolist(), strict=True)]
    started = time.perf_counter()
    decoded = 0
    for payload in rows:
        try:
            m = decode_heart_rate_measurement(payload)
        except DecodeError:
            continue
        except Exception as exc:  # pragma: no cover - the failure being tested for
            pytest.fail(f"seed {seed}: {payload.hex()} raised {exc!r}")
        decoded += 1
        # Decoded values must describe the payload: the same values re-encode to a payload
        # of the same length that decodes to the same measurement.
        again = encode_heart_rate_measurement(
            m.hr_bpm,
            m.rr_raw,
            contact=m.contact_detected,
            energy_kj=m.energy_kj,
            uint16=bool(payload[0] & 0x01),
        )
        assert decode_heart_rate_measurement(again) == m, f"seed {seed}: {payload.hex()}"
        assert len(again) == len(payload) or (payload[0] & 0x10 and not m.rr_raw)
    elapsed = time.perf_counter() - started
    print(f"{n} payloads, {decoded} decoded, {elapsed:.2f} s")
    assert 0.1 * n < decoded < 0.9 * n  # the fuzz exercised both paths
