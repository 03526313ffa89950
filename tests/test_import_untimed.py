"""Import of a table of samples without a time column (``--fs``): NeuroKit2's ECG, PPG, RSP.

Review 32 F1: ``import`` refused NeuroKit2's ``bio_*_100hz.csv`` ("no time column") and had no
``--fs``; ``hrv`` on it gave the same refusal; with a time column added by hand, the import
dropped the ``RSP`` belt column without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from synthetic_ecg import ecg_uv, resting_rr_ms

from devices.godirect import decode_godirect_measurement
from devices.packets import RawPacket, Stream
from trainer.cli.app import run
from trainer.errors import BadArgument
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.belt_import import BELT_HZ, belt_column, to_belt_rate
from trainer.storage.imports.import_file import import_recording
from trainer.storage.imports.polar_table import rate_in_name
from trainer.storage.imports.session import ImportFileError
from trainer.storage.recording import Recording, read_recording

REPO = Path(__file__).resolve().parents[1]
NEUROKIT2 = REPO / ".." / "shared" / "data" / "neurokit2"
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"
START_NS = 1_767_250_800 * 1_000_000_000
BREATH_HZ = 0.25
"""The synthetic belt's breathing, Hz (15 breaths/min)."""


def _synthetic_table(path: Path, fs_hz: float, seconds: float = 120.0) -> np.ndarray:
    """A NeuroKit2-like table at ``fs_hz``, no time column: an unnamed row index (pandas'),
    ``ECG`` in mV, ``PPG``, ``RSP`` (a 15 breaths/min belt in volts) and ``EDA``. Returns the
    true R peaks, s."""
    rng = np.random.default_rng(3)
    r_peaks = 0.8 + np.cumsum(resting_rr_ms(int(seconds / 0.9) + 5, 3) / 1000)
    r_peaks = r_peaks[r_peaks < seconds - 0.6]
    t = np.arange(round(seconds * fs_hz)) / fs_hz
    ecg_mv = ecg_uv(t, r_peaks, rng) / 1000.0
    rsp = 1.0 + 0.4 * np.sin(2 * np.pi * BREATH_HZ * t) + rng.normal(0, 0.005, t.size)
    ppg = np.sin(2 * np.pi * 1.1 * t)
    columns = zip(ecg_mv, ppg, rsp, strict=True)
    rows = (f"{k},{e:.5f},{p:.4f},{r:.5f},12.0" for k, (e, p, r) in enumerate(columns))
    path.write_text(",ECG,PPG,RSP,EDA\n" + "\n".join(rows) + "\n")
    return r_peaks


def _belt(recording: Recording) -> np.ndarray:
    values = [
        decode_godirect_measurement(p.payload).channel(1)[0]
        for p in recording.packets
        if p.stream == Stream.GODIRECT
    ]
    return np.asarray(values, dtype=np.float64)


def test_an_untimed_table_imports_with_fs_as_ecg_beats_and_belt(tmp_path: Path) -> None:
    """Sample k at k / fs: the ECG is the sensor's ECG stream with beats on its R peaks, the
    RSP the belt stream at 20 Hz in the file's unit, PPG, EDA and the row index named."""
    src = tmp_path / "bio_100hz.csv"
    r_peaks = _synthetic_table(src, 100.0)
    result = import_recording(src, output=tmp_path / "bio.bwr", start_wall_ns=START_NS, fs_hz=100)
    recording = read_recording(result.path)
    source = recording.header.source
    assert source.streams["gdx"] == {"period_us": 50_000, "force_channel": 1}
    assert source.streams["pmd"]["ecg"]["fs_hz"] == 100.0
    assert source.details["fs_hz"] == 100.0 and source.details["format"] == "untimed-csv"
    assert source.details["belt_units"] == (
        "as in the file (its 'RSP' column names no unit), not N"
    )
    assert "decimated from 100 Hz to 20 Hz" in str(source.details["belt"])
    assert recording.end_mono_ns == recording.header.start_mono_ns + 120 * 10**9
    notes = " | ".join(result.notes)
    assert "'ECG' column names no unit: read as mV" in notes
    assert "the 'RSP' column (respiration) is the belt stream: 2400 samples at 20 Hz" in notes
    assert "not imported (no stream of a recording holds them): (unnamed column 1), PPG, EDA" in (
        notes
    )
    # The belt keeps its volts (1 +- 0.4), within the decimation's ripple.
    belt = _belt(recording)
    assert belt.size == 2400
    assert 1.35 < float(np.max(belt)) < 1.45 and 0.55 < float(np.min(belt)) < 0.65
    analysis = analyse_recording(result.path)
    # Every R peak but the first ends an interval, each on its peak within a sample (10 ms).
    assert analysis.beat_t_s.size == r_peaks.size - 1
    assert np.max(np.abs(analysis.beat_t_s - r_peaks[1:])) < 0.011
    # 15 breaths/min for 120 s.
    assert analysis.summary["breath_source"] == "belt"
    assert analysis.summary["median_rate_bpm"] == pytest.approx(15.0, abs=0.2)
    assert 27 <= analysis.summary["breaths"] <= 30


def test_a_belt_off_a_multiple_of_20_hz_is_resampled_and_one_column_needs_no_separator(
    tmp_path: Path,
) -> None:
    """125 Hz (no whole multiple of 20): the polyphase filter, to 20 Hz exactly; a table of
    one column (``RSP`` over its values), which reads like a list, is a table with --fs."""
    src = tmp_path / "resp.csv"
    fs = 125.0
    t = np.arange(round(90 * fs)) / fs
    src.write_text("RSP_V\n" + "\n".join(f"{v:.5f}" for v in np.sin(2 * np.pi * BREATH_HZ * t)))
    result = import_recording(src, output=tmp_path / "r.bwr", start_wall_ns=START_NS, fs_hz=fs)
    recording = read_recording(result.path)
    details = recording.header.source.details
    assert recording.header.source.streams == {"gdx": {"period_us": 50_000, "force_channel": 1}}
    assert details["belt_units"] == "V (the file's 'RSP_V' column), not N"
    assert "resample_poly, up 4 down 25" in str(details["belt"])
    belt = _belt(recording)
    assert belt.size == 90 * BELT_HZ
    # The sine at its own times, away from the filter's edges.
    expected = np.sin(2 * np.pi * BREATH_HZ * np.arange(belt.size) / BELT_HZ)
    assert np.max(np.abs(belt - expected)[40:-40]) < 0.01
    assert analyse_recording(result.path).summary["median_rate_bpm"] == pytest.approx(15, abs=0.2)


def test_belt_rates_kept_decimated_in_stages_or_resampled() -> None:
    x = np.sin(np.arange(20_000) / 50.0)
    assert to_belt_rate(x[:100], 10.0).method is None  # 100 000 µs: a belt stream's period
    assert to_belt_rate(x[:100], 10.0).period_us == 100_000
    staged = to_belt_rate(x, 1000.0)  # 50 = 10 x 5
    assert staged.values.size == 400 and "in stages of 10 x 5" in str(staged.method)
    slow = to_belt_rate(x[:300], 3.0)  # 333 333.3 µs: brought to 20 Hz
    assert slow.fs_hz == BELT_HZ and slow.values.size == 2000
    assert belt_column("rsp") == (True, None) and belt_column("resp_mv") == (True, "mV")
    assert belt_column("ppg") == (False, None) and belt_column("rspx") == (False, None)


def test_without_fs_the_error_asks_for_it_with_the_rate_the_name_states(tmp_path: Path) -> None:
    src = tmp_path / "bio_resting_100hz.csv"
    _synthetic_table(src, 100.0, seconds=20)
    with pytest.raises(ImportFileError) as info:
        import_recording(src, output=tmp_path / "x.bwr", start_wall_ns=START_NS)
    message = info.value.user_message()
    assert "bio_resting_100hz.csv:1: no time column in the header" in message
    assert "give their sampling rate with --fs HZ (its name says 100 Hz: --fs 100)" in message
    # A hint only: never a rate taken from a name unasked.
    assert rate_in_name(Path("a_62.47Hz.csv")) == 62.47 and rate_in_name(Path("ahz.csv")) is None
    plain = tmp_path / "bio.csv"
    plain.write_text(src.read_text())
    with pytest.raises(ImportFileError) as info:
        import_recording(plain, output=tmp_path / "y.bwr", start_wall_ns=START_NS)
    assert "give their sampling rate with --fs HZ, or add a time column" in (
        info.value.user_message()
    )
    # A time column without a unit is not read: the advice names it.
    unitless = tmp_path / "unitless.csv"
    unitless.write_text("time,ECG\n" + "".join(f"{k / 100},{k % 9}\n" for k in range(300)))
    with pytest.raises(ImportFileError) as info:
        import_recording(unitless, output=tmp_path / "z.bwr", start_wall_ns=START_NS)
    assert info.value.user_message().endswith(
        "give their sampling rate with --fs HZ, or name the unit of its 'time' column (time_s "
        "or time_ms)"
    )


def test_fs_is_refused_where_the_file_has_its_own_times_or_no_samples(tmp_path: Path) -> None:
    timed = tmp_path / "timed.csv"
    timed.write_text("time_ns,ecg_uV\n" + "".join(f"{k * 10**7},{k % 7}\n" for k in range(500)))
    with pytest.raises(BadArgument, match=r"--fs 100: .*timed\.csv has a time column"):
        import_recording(timed, output=tmp_path / "t.bwr", fs_hz=100)
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n" * 100)
    with pytest.raises(BadArgument, match=r"--fs 4: .* is read as an RR list"):
        import_recording(rr, "rr", tmp_path / "r.bwr", start_wall_ns=START_NS, fs_hz=4)
    with pytest.raises(BadArgument, match="no ECG, accelerometer or respiration column"):
        import_recording(rr, output=tmp_path / "r.bwr", start_wall_ns=START_NS, fs_hz=4)
    table = tmp_path / "rr_table.csv"
    table.write_text("index,rr_ms\n" + "".join(f"{k},800\n" for k in range(100)))
    with pytest.raises(BadArgument, match="no ECG, accelerometer or respiration column"):
        import_recording(table, output=tmp_path / "r.bwr", start_wall_ns=START_NS, fs_hz=4)
    for fs in (0.5, 200_000.0, float("nan")):
        with pytest.raises(BadArgument, match="--fs must lie within 1-100000 Hz"):
            import_recording(table, output=tmp_path / "r.bwr", fs_hz=fs)


def test_a_timed_tables_respiration_column_is_the_belt_or_named(tmp_path: Path) -> None:
    """With a time column the RSP column was dropped without a word (review 32 F1)."""
    src = tmp_path / "timed.csv"
    t = np.arange(6000) / 100.0
    rsp = np.sin(2 * np.pi * BREATH_HZ * t)
    src.write_text(
        "timestamp [ms],RSP,PPG\n"
        + "".join(f"{round(1000 * ti)},{v:.5f},0\n" for ti, v in zip(t, rsp, strict=True))
    )
    result = import_recording(src, output=tmp_path / "t.bwr", start_wall_ns=START_NS)
    recording = read_recording(result.path)
    assert recording.header.source.streams["gdx"]["period_us"] == 50_000
    assert _belt(recording).size == 1200
    assert any("not imported (no stream of a recording holds them): PPG" in n for n in result.notes)
    # Rows a logger jittered by up to 0.8 of a period make no belt stream: said, with an ECG
    # kept.
    jittered = tmp_path / "jittered.csv"
    rng = np.random.default_rng(1)
    times = np.round(1000 * t + rng.uniform(0, 8, t.size)).astype(int)
    jittered.write_text(
        "timestamp [ms],RSP,ecg_uV\n"
        + "".join(
            f"{ms},{v:.5f},{k % 9}\n" for k, (ms, v) in enumerate(zip(times, rsp, strict=True))
        )
    )
    result = import_recording(jittered, output=tmp_path / "j.bwr", start_wall_ns=START_NS)
    assert "gdx" not in read_recording(result.path).header.source.streams
    assert any(
        "'RSP' column (respiration) is left out: its rows are not evenly" in n
        for n in (result.notes)
    )


def test_import_hrv_and_breaths_rr_take_an_untimed_ecg_with_fs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hrv`` on NeuroKit2's file gave import's "no time column", and import took no rate: a
    loop. All three take --fs, and ask for it."""
    src = tmp_path / "bio_100hz.csv"
    r_peaks = _synthetic_table(src, 100.0)
    out = tmp_path / "bio.bwr"
    asked = "give their sampling rate with --fs HZ (its name says 100 Hz: --fs 100)"
    for command in (["import", str(src), "-o", str(out)], ["hrv", str(src)]):
        assert run(command) == 1
        assert asked in capsys.readouterr().err
    assert run(["import", str(src), "-o", str(out), "--fs", "100", "--no-history"]) == 0
    assert "the 'RSP' column (respiration) is the belt stream" in capsys.readouterr().err
    assert "gdx" in read_recording(out).header.source.streams
    assert run(["hrv", str(src), "--fs", "100"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["n_intervals"] == r_peaks.size - 1
    assert result["settings"]["beats_from"] == "ECG R peaks (analysis.ecg_align)"
    assert run(["breaths", "--rr", str(src), "--fs", "100"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["intervals"] == r_peaks.size - 1
    assert run(["hrv", str(src), "--fs", "0"]) == 2
    assert "--fs must lie within 1-100000 Hz" in capsys.readouterr().err


@pytest.mark.shared_data
def test_neurokit2_resting_imports_as_the_sample_with_its_belt_byte_for_byte(
    tmp_path: Path,
) -> None:
    """NeuroKit2's bio_resting_5min_100hz.csv with --fs 100: the belt is the bundled sample's
    packet for packet (both decimate 100 -> 20 Hz by trainer.storage.belt_import), so the
    breaths are the sample's: 79, median 16.61/min, measured equal to the last digit. The
    beats are our R peaks (analysis.ecg_align) where the sample has NeuroKit2's: 439 against
    430, our detector taking 9 more in three noisy stretches (92, 230 and 295 s)."""
    src = NEUROKIT2 / "bio_resting_5min_100hz.csv"
    if not src.exists():
        pytest.skip(f"shared data not found at {src}")
    result = import_recording(src, output=tmp_path / "nk.bwr", fs_hz=100)
    imported, sample = read_recording(result.path), read_recording(SAMPLE)

    def belt(recording: Recording) -> list[tuple[int, bytes]]:
        return [
            (item.t_mono_ns - recording.header.start_mono_ns, item.payload)
            for item in recording.items
            if isinstance(item, RawPacket) and item.stream == Stream.GODIRECT
        ]

    assert belt(imported) == belt(sample)
    assert imported.header.source.streams["gdx"] == sample.header.source.streams["gdx"]
    ours, theirs = analyse_recording(result.path).summary, analyse_recording(SAMPLE).summary
    assert ours["breaths"] == theirs["breaths"] == 79
    assert ours["median_rate_bpm"] == pytest.approx(theirs["median_rate_bpm"], abs=0.01)
    assert ours["mean_ratio"] == pytest.approx(theirs["mean_ratio"], abs=0.01)
    assert abs(ours["beats"] - theirs["beats"]) <= 0.025 * theirs["beats"]
    assert any(
        "not imported (no stream of a recording holds them): PPG;" in n for n in (result.notes)
    )
    with pytest.raises(ImportFileError) as info:
        import_recording(src, output=tmp_path / "again.bwr")
    assert "(its name says 100 Hz: --fs 100)" in info.value.user_message()


def test_an_imported_respiration_column_exports_in_its_own_unit(tmp_path: Path) -> None:
    """The import writes its belt's unit as words ("as in the file (its 'RSP' column names no
    unit), not N") and as ``details["belt"]["unit"]``; export took the words' first one and
    labelled the belt "as". A column without a unit exports in arbitrary units, one in volts
    in V, each with where it came from as the transducer."""
    from trainer.storage.export import belt_unit, edf_transducers

    for column, unit in (("RSP", "a.u."), ("resp_V", "V")):
        src = tmp_path / f"{column}.csv"
        t = np.arange(0, 120, 0.01)
        src.write_text(f"{column}\n" + "".join(f"{v:.5f}\n" for v in np.sin(2 * np.pi * 0.25 * t)))
        out = import_recording(src, "auto", tmp_path / f"{column}.bwr", fs_hz=100.0)
        source = read_recording(out.path).header.source
        assert belt_unit(source) == unit
        assert edf_transducers(source)["belt"].startswith("respiration belt from")
