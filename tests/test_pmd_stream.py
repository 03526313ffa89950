"""PMD packets -> timed samples: true rate from sensor timestamps, anchoring, clock jumps."""

from __future__ import annotations

import numpy as np
import pytest

from devices.errors import DecodeError
from devices.packets import RawPacket, Stream
from devices.pmd_stream import PmdStreamDecoder
from devices.polar_pmd import MeasurementType, encode_frame

START_NS = 7_000_000_000
SENSOR0_NS = 599_618_164_814_402_794  # docs/reference/ble-protocols.md's ACC example (2019-01-01)


def _ecg_packet(arrival_s: float, last_sample_ns: int, values_uv: list[int]) -> RawPacket:
    data = b"".join(v.to_bytes(3, "little", signed=True) for v in values_uv)
    payload = encode_frame(MeasurementType.ECG, last_sample_ns, 0, data)
    t = START_NS + round(arrival_s * 1e9)
    return RawPacket(t, t, Stream.PMD_DATA, payload)


def _acc_packet(arrival_s: float, last_sample_ns: int, xyz: np.ndarray) -> RawPacket:
    payload = encode_frame(MeasurementType.ACC, last_sample_ns, 1, xyz.astype("<i2").tobytes())
    t = START_NS + round(arrival_s * 1e9)
    return RawPacket(t, t, Stream.PMD_DATA, payload)


def test_ecg_times_follow_the_sensor_clock_and_derive_the_true_rate() -> None:
    true_fs = 130.0 * 1.01  # an H10 running 1 % fast
    decoder = PmdStreamDecoder({"ecg": {"fs_hz": 130, "resolution_bits": 14}}, START_NS)
    n = 73
    times = []
    for k in range(20):
        last_ns = SENSOR0_NS + round((k + 1) * n * 1e9 / true_fs)
        jitter = 0.03 * ((-1) ** k)  # BLE arrival jitters; the sample times must not
        samples = decoder.feed(
            _ecg_packet(1.0 + (k + 1) * n / true_fs + jitter, last_ns, [104, 88] * 36 + [4])
        )
        assert samples is not None and samples.kind is MeasurementType.ECG
        assert samples.values.shape == (n, 1)
        times.append(samples.t_s)
    t = np.concatenate(times)
    assert np.allclose(np.diff(t)[n:], 1 / true_fs, rtol=1e-6)  # after the first frame: true rate
    assert (
        decoder.feed(_ecg_packet(99.0, SENSOR0_NS + 21 * n * round(1e9 / true_fs), [0] * n))
        is not None
    )
    assert samples is not None and samples.fs_hz == pytest.approx(true_fs, rel=1e-3)
    assert t[n - 1] == pytest.approx(1.0 + n / true_fs + 0.03, abs=1e-9)  # anchored at arrival once


def test_acc_in_mg_and_a_clock_jump_re_anchors_to_arrival() -> None:
    decoder = PmdStreamDecoder({"acc": {"fs_hz": 50, "resolution_bits": 16}}, START_NS)
    xyz = np.tile(np.array([[-187, -28, 949]]), (10, 1))
    first = decoder.feed(_acc_packet(2.0, SENSOR0_NS, xyz))
    assert first is not None
    assert first.values.tolist()[0] == [-187.0, -28.0, 949.0]
    assert first.t_s[-1] == pytest.approx(2.0)
    # The sensor clock resets (power cycle: back to 2019-01-01): anchor again at arrival.
    jumped = decoder.feed(_acc_packet(30.0, 1_000_000, xyz))
    assert jumped is not None
    assert jumped.t_s[-1] == pytest.approx(30.0)
    assert np.all(np.diff(jumped.t_s) > 0)


def test_malformed_frames_raise_decode_error_and_unknown_types_are_skipped() -> None:
    decoder = PmdStreamDecoder(None, START_NS)
    with pytest.raises(DecodeError, match="PMD frame too short: 2 bytes"):
        decoder.feed(RawPacket(START_NS, START_NS, Stream.PMD_DATA, b"\x00\x01"))
    ppi = encode_frame(MeasurementType.PPI, SENSOR0_NS, 0, b"\x00" * 6)
    assert decoder.feed(RawPacket(START_NS, START_NS, Stream.PMD_DATA, ppi)) is None


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"acc": {"range_g": 2}}, "pmd acc stream without fs_hz"),
        ({"ecg": {"resolution_bits": 14}}, "pmd ecg stream without fs_hz"),
        ({"ecg": {"fs_hz": 130}, "acc": {}}, "pmd acc stream without fs_hz"),
    ],
)
def test_a_stream_without_its_rate_is_refused_not_guessed(
    params: dict[str, dict[str, float]], words: str
) -> None:
    """Review 38 F2: decoded before at an assumed 130 Hz (ECG) / 200 Hz (ACC)."""
    with pytest.raises(ValueError, match=words):
        PmdStreamDecoder(params, START_NS)


def test_a_50_hz_acc_stream_is_timed_at_50_hz() -> None:
    """The reviewer's case: 20 frames of 36 samples from an H10 at its own default 50 Hz. With
    the rate guessed (200 Hz) each sample sat 5 ms after the last, and the sample clock
    restarted on 19 of 20 frames."""
    decoder = PmdStreamDecoder({"acc": {"fs_hz": 50, "range_g": 2}}, START_NS)
    n = 36
    xyz = np.zeros((n, 3))
    times = []
    for k in range(20):
        last_ns = SENSOR0_NS + round((k + 1) * n * 1e9 / 50.0)
        samples = decoder.feed(_acc_packet(1.0 + (k + 1) * n / 50.0, last_ns, xyz))
        assert samples is not None
        times.append(samples.t_s)
    t = np.concatenate(times)
    assert np.allclose(np.diff(t), 0.02, rtol=1e-6)
    assert samples is not None and samples.fs_hz == pytest.approx(50.0)


@pytest.mark.parametrize("params", [None, {}, {"acc": {"fs_hz": 50}}])
def test_an_ecg_frame_without_ecg_settings_is_a_decode_error(
    params: dict[str, dict[str, float]] | None,
) -> None:
    """A frame of a measurement the header does not list has no known rate: counted as a decode
    error (the packet stays in the recording), not timed at a guessed 130 Hz."""
    decoder = PmdStreamDecoder(params, START_NS)
    with pytest.raises(DecodeError, match="PMD ECG frame in a session whose header has no ecg"):
        decoder.feed(_ecg_packet(1.0, SENSOR0_NS, [0] * 73))
