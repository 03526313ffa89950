"""Import: RR lists and Polar-style CSV exports into recordings; malformed files name the line."""

from __future__ import annotations

import csv
import gzip
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from full_disk import fill_disk_after

from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import Stream
from trainer.cli.exchange import import_
from trainer.errors import BadArgument, UserError
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.export import export_recording, pmd_waveforms
from trainer.storage.imports.ecg_beats import ECG_WITHOUT_BEATS
from trainer.storage.imports.heart_rate_packets import rr_raw_on_beat_clock
from trainer.storage.imports.import_file import import_recording
from trainer.storage.imports.polar_table import parse_polar_csv
from trainer.storage.imports.rr_list import read_rr_list
from trainer.storage.imports.session import ImportFileError
from trainer.storage.recording import read_recording

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
H10 = DATA / "polar_h10_pvc" / "polar_h10_pvc.csv.gz"
START_NS = 1_767_250_800 * 1_000_000_000


def _rr_series(n: int = 300, seed: int = 4) -> np.ndarray:
    """A resting heart with a breathing rhythm: 900 ms +- 60 ms at 0.1 Hz, plus noise (ms)."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    rr: np.ndarray = np.round(900 + 60 * np.sin(2 * np.pi * 0.1 * k * 0.9) + rng.normal(0, 8, n))
    return rr


def test_an_rr_list_becomes_a_recording_with_the_same_intervals(tmp_path: Path) -> None:
    rr = _rr_series()
    src = tmp_path / "rr.txt"
    src.write_text("RR (ms)\n# exported by some app\n\n" + "\n".join(f"{v:g}" for v in rr) + "\n")
    out = import_recording(src, "auto", tmp_path / "rr.bwr", start_wall_ns=START_NS).path
    recording = read_recording(out)
    assert recording.header.start_wall_ns == START_NS
    assert recording.header.source.kind == "import"
    payloads = [p.payload for p in recording.packets if p.stream == Stream.HEART_RATE]
    sent = [ms for p in payloads for ms in decode_heart_rate_measurement(p).rr_ms]
    # The 0x2A37 unit is 1/1024 s: every interval survives within one unit (each beat within
    # half a unit: test_rr_list_beats_stay_on_the_files_running_sum).
    assert len(sent) == rr.size
    assert np.max(np.abs(np.asarray(sent) - rr)) <= 1000 / 1024
    # One notification per second, each carrying the beats of that second, like a strap.
    assert len(payloads) == pytest.approx(rr.sum() / 1000, abs=1.5)
    analysis = analyse_recording(out)
    assert analysis.rr_ms.size >= rr.size - 1
    assert analysis.heart.rmssd_ms is not None and analysis.heart.mean_hr_bpm is not None
    assert analysis.heart.mean_hr_bpm == pytest.approx(60_000 / rr.mean(), rel=0.01)


def test_a_dropout_in_an_rr_list_is_imported_and_corrected(tmp_path: Path) -> None:
    """One 9 s interval (a strap that lost contact) made the whole list 'not a plausible RR
    interval' and nothing was imported; now it is kept and the analysis corrects it. Longer
    than a heart-rate packet can carry (64 s) is still refused."""
    rr = _rr_series()
    rr = np.r_[rr[:50], 9000.0, rr[50:]]
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in rr) + "\n")
    analysis = analyse_recording(
        import_recording(src, "rr", tmp_path / "rr.bwr", start_wall_ns=START_NS).path
    )
    assert analysis.rr_ms.size == rr.size
    assert analysis.heart.corrected_beats >= 1
    assert analysis.heart.nn_ms is not None and float(np.max(analysis.heart.nn_ms)) < 2000.0
    src.write_text("812\n905\n70000\n890\n")
    with pytest.raises(
        ImportFileError, match=r"rr\.txt:3: RR interval 70000 ms is longer than a heart-rate packet"
    ):
        import_recording(src, "rr", tmp_path / "long.bwr")


def test_rr_in_seconds_is_recognised(tmp_path: Path) -> None:
    src = tmp_path / "rr_s.txt"
    src.write_text("0.812\n0.905\n1.001\n")
    assert read_rr_list(src)[0].tolist() == pytest.approx([812.0, 905.0, 1001.0])


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("812\n905\nabc\n900\n", 3, "'abc' is not a number"),
        ("812\n905,5\n", 2, "'905,5' is not a number (905,5 for 905.5? write a point)"),
        ("812\n# fine\n-3\n", 3, "RR interval -3 is not positive"),
        ("812\n\n# fine\n-3\n", 2, "an empty line between intervals: a missing RR"),
        ("812\n20000\n", 2, "is outside 200-3000 ms"),
        ("812\nnan\n905\n", 2, "'nan' is not a number: a missing RR interval"),
        ("812\n905\ninf\n", 3, "'inf' is not a number"),
    ],
)
def test_a_malformed_rr_list_names_the_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    src = tmp_path / "bad.txt"
    src.write_text(text)
    with pytest.raises(ImportFileError) as info:
        import_recording(src, "rr", tmp_path / "bad.bwr")
    message = info.value.user_message()
    assert f"bad.txt:{line}:" in message and words in message
    assert "\n" not in message
    assert not (tmp_path / "bad.bwr").exists()


def test_empty_and_binary_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(ImportFileError, match="no RR intervals"):
        import_recording(empty, "rr")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"812\n\xff\xfe\x00\n")
    with pytest.raises(ImportFileError, match=r"blob\.txt: not a text file"):
        import_recording(binary, "rr")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("812\n# m\xe9tronome\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"latin1\.txt:2: not UTF-8"):
        import_recording(latin1, "rr")


def _logger_csv(path: Path, *, n_acc: int = 500, decimal_comma: bool = False) -> np.ndarray:
    """A Polar Sensor Logger style ACC export: ';', ISO phone time, X/Y/Z in mg (50 Hz);
    with ``decimal_comma``, values as a European-locale spreadsheet writes them (1000,0)."""
    rng = np.random.default_rng(2)
    acc: np.ndarray = np.round(rng.normal(0, 200, (n_acc, 3)) + np.array([0.0, 0.0, 1000.0]))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Phone timestamp", "sensor timestamp [ns]", "X [mg]", "Y [mg]", "Z [mg]"])
        for k, row in enumerate(acc):
            t = np.datetime64("2026-01-01T07:00:00.000") + np.timedelta64(20 * k, "ms")
            cells = (f"{v:.1f}".replace(".", ",") if decimal_comma else f"{v:g}" for v in row)
            writer.writerow([str(t), "", *cells])
    return acc


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_a_polar_acc_export_becomes_pmd_frames(tmp_path: Path, decimal_comma: bool) -> None:
    acc = _logger_csv(tmp_path / "acc.csv", decimal_comma=decimal_comma)
    out = import_recording(tmp_path / "acc.csv", "auto", tmp_path / "acc.bwr").path
    recording = read_recording(out)
    assert recording.header.source.streams["pmd"]["acc"]["fs_hz"] == pytest.approx(50.0)
    [wave] = pmd_waveforms(recording)
    assert wave.name == "acc" and wave.values.shape == acc.shape
    assert np.array_equal(wave.values, acc)
    assert np.allclose(np.diff(wave.t_s), 0.02, atol=1e-6)
    files = export_recording(out, "csv", tmp_path / "csv")
    assert (tmp_path / "csv" / "acc.acc.csv") in files


def _relative_csv(path: Path, header: str, sep: str, scale: float, fs: float, n: int) -> np.ndarray:
    """A table whose only clock is relative (``t_s`` or ``timestamp [ms]``): ECG or ACC."""
    names = header.split(sep)
    rng = np.random.default_rng(5)
    values: np.ndarray = np.round(rng.normal(0, 300, (n, len(names) - 1)))
    lines = [header] + [
        sep.join([f"{k / fs * scale:.5f}", *(f"{v:g}" for v in row)])
        for k, row in enumerate(values)
    ]
    path.write_text("\n".join(lines) + "\n")
    return values


@pytest.mark.parametrize(
    ("header", "sep", "scale", "fs", "name"),
    [
        ("t_s,ecg_uv", ",", 1.0, 130.0, "ecg"),
        ("timestamp [ms];ecg [uV]", ";", 1000.0, 130.0, "ecg"),
        ("t_s,x_mg,y_mg,z_mg", ",", 1.0, 50.0, "acc"),
    ],
)
@pytest.mark.parametrize("start", [START_NS, None])
def test_ecg_and_acc_with_a_relative_clock_are_placed_at_the_start(
    tmp_path: Path, header: str, sep: str, scale: float, fs: float, name: str, start: int | None
) -> None:
    """Relative times once became PMD timestamps before 2000 and crashed the frame encoder."""
    src = tmp_path / "rel.csv"
    values = _relative_csv(src, header, sep, scale, fs, int(60 * fs))
    out = import_recording(src, "auto", tmp_path / "rel.bwr", start_wall_ns=start).path
    recording = read_recording(out)
    if start is not None:
        assert recording.header.start_wall_ns == start
    assert recording.header.source.streams["pmd"][name]["fs_hz"] == pytest.approx(fs)
    [wave] = pmd_waveforms(recording)
    assert wave.name == name and np.array_equal(wave.values, values)
    assert np.allclose(np.diff(wave.t_s), 1 / fs, atol=1e-5)


@pytest.mark.parametrize(
    ("rows", "line", "words"),
    [
        (["time_ns,rr_ms", "1000000000,800", "2000000000,eight"], 3, "'eight' is not a number"),
        (["time_ns,rr_ms", "1000000000,800", "x,900"], 3, "'x' is not a valid timestamp"),
        (["time_ns,rr_ms", "2000000000,800", "1000000000,900"], 3, "time goes backwards"),
        (["time_ns,rr_ms", "1000000000,800,1,2"], 2, "4 cells where the header has 2"),
        # An RR column without a time column is an RR list (test_rr_readers.py); without either:
        (["when,value", "1,800"], 1, "no time column"),
        (
            ["time_ns,temperature", "1,36.6"],
            1,
            "no RR, HR, ECG, accelerometer or respiration column",
        ),
        # Mostly implausible: a wrong unit (one artifact alone is kept: see below).
        (["time_ns,rr_ms", "1000000000,80", "2000000000,30"], 2, "is outside 200-3000 ms"),
        (["time_ns,rr_ms", "1000000000,800", "2000000000,0"], 3, "is not an RR interval"),
    ],
)
def test_a_malformed_polar_csv_names_the_line(
    tmp_path: Path, rows: list[str], line: int, words: str
) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("\n".join(rows) + "\n")
    with pytest.raises(ImportFileError) as info:
        import_recording(src, "polar", tmp_path / "bad.bwr")
    message = info.value.user_message()
    assert f"bad.csv:{line}:" in message and words in message


def test_import_command_refuses_to_overwrite_and_checks_its_options(tmp_path: Path) -> None:
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 20) + "\n")
    import_(src, "rr", tmp_path / "rr.bwr", "2026-01-01T07:00")
    with pytest.raises(UserError, match="already exists"):
        import_(src, "rr", tmp_path / "rr.bwr", None)
    with pytest.raises(BadArgument, match="--start"):
        import_(src, "rr", tmp_path / "other.bwr", "yesterday")
    # The option named, as every other option's refusal names it (said "unknown import kind",
    # which a user who typed -k could not place).
    with pytest.raises(BadArgument, match=r"^-k/--kind must be 'rr', 'polar' or 'auto', not "):
        import_(src, "kubios", tmp_path / "other.bwr", None)


@pytest.mark.parametrize(
    ("name", "example"), [("a.txt", "a.bwr"), ("morning.csv", "morning.bwr"), ("x", "x.bwr")]
)
def test_import_refuses_an_output_not_named_bwr(name: str, example: str, tmp_path: Path) -> None:
    """``-o a.txt`` wrote a recording that ``report DIR`` and ``history --add DIR``, which look
    for *.bwr, then passed by (found in review)."""
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 20) + "\n")
    with pytest.raises(BadArgument, match=r"a recording's name ends in \.bwr") as info:
        import_(src, "rr", tmp_path / name, None)
    assert info.value.advice == f"for example -o {tmp_path / example}"
    # A folder that exists: the recording inside it, by the default name.
    with pytest.raises(BadArgument, match=r"a recording's name ends in \.bwr") as info:
        import_(src, "rr", tmp_path, None)
    assert info.value.advice == f"for example -o {tmp_path / 'rr.bwr'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rr.txt"]


@pytest.mark.parametrize("free_chars", [0, 4096])
def test_import_on_a_full_disk_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_chars: int
) -> None:
    """On a tmpfs with 4 KB left, import wrote 4096 bytes of a 30964-byte recording and said
    "recording written"; with none, a traceback and a 0-byte file that made the next try fail
    with "already exists" (found by a tester)."""
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in _rr_series()) + "\n")
    fill_disk_after(monkeypatch, free_chars)
    with pytest.raises(UserError) as info:
        import_(src, "rr", tmp_path / "rr.bwr", "2026-01-01T07:00")
    assert info.value.user_message() == (
        f"{tmp_path / 'rr.bwr'}: cannot write the recording (No space left on device)"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["rr.txt"]
    monkeypatch.undo()
    import_(src, "rr", tmp_path / "rr.bwr", "2026-01-01T07:00")  # space again: nothing in the way
    written = read_recording(tmp_path / "rr.bwr")
    assert not written.truncated and written.summary is not None


@pytest.mark.parametrize("start", ["3026-03-01T07:30", "1900-03-01T07:30", "0001-03-01T07:30"])
def test_an_implausible_start_is_refused(tmp_path: Path, start: str) -> None:
    """A start far from now once made a recording the history could not store."""
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 20) + "\n")
    with pytest.raises(
        BadArgument, match=r"^--start '?\d{4}-03-01.07:30'? is (before 2000|in the f)"
    ):
        import_(src, "rr", tmp_path / "rr.bwr", start)
    assert not (tmp_path / "rr.bwr").exists()


def test_an_implausible_start_from_the_file_is_refused(tmp_path: Path) -> None:
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n820\n790\n")
    os.utime(rr, ns=(0, 631_152_000 * 10**9))  # modified 1990-01-01
    with pytest.raises(ImportFileError, match=r"rr\.txt: the start its modification time gives"):
        import_recording(rr, "rr", tmp_path / "rr.bwr")
    import_recording(rr, "rr", tmp_path / "rr.bwr", start_wall_ns=START_NS)  # --start fixes it
    ecg = tmp_path / "ecg.csv"
    t0 = 631_152_000 * 10**9  # a device clock in 1990: no PMD frame timestamp can hold it
    ecg.write_text("time_ns,ecg_uv\n" + "".join(f"{t0 + k * 7_692_308},{k}\n" for k in range(300)))
    for start in (None, START_NS):
        with pytest.raises(ImportFileError, match=r"ecg\.csv: the file's first time, 1990-"):
            import_recording(ecg, "polar", tmp_path / "ecg.bwr", start_wall_ns=start)
    assert not (tmp_path / "ecg.bwr").exists()


@pytest.mark.parametrize("kind", ["auto", "rr", "polar"])
def test_a_recording_is_not_imported_again(tmp_path: Path, kind: str) -> None:
    """Its JSON header line was once taken for a CSV header and quoted whole (~770 chars)."""
    sample = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"
    with pytest.raises(ImportFileError) as info:
        import_recording(sample, kind, tmp_path / "again.bwr")
    message = info.value.user_message()
    assert message == (
        f"{sample}: this is already a Breathwise recording — replay, report or history --add it"
    )
    assert not (tmp_path / "again.bwr").exists()
    marked = tmp_path / "marked.bwr"  # saved again by an editor that adds a byte-order mark
    marked.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes())
    with pytest.raises(ImportFileError, match="already a Breathwise recording"):
        import_recording(marked, kind, tmp_path / "again.bwr")


@pytest.mark.shared_data
def test_a_real_polar_h10_export_imports_rr_and_ecg(tmp_path: Path) -> None:
    if not H10.exists():
        pytest.skip(f"shared data not found at {H10}")
    out = import_recording(H10, "auto", tmp_path / "h10.bwr").path
    recording = read_recording(out)
    assert recording.header.start_wall_ns == 1714920600006020096
    with gzip.open(H10, "rt") as handle:
        rows = list(csv.DictReader(handle))
    rr_source = [float(r["rr_ms"]) for r in rows if r["rr_ms"]]
    payloads = [p.payload for p in recording.packets if p.stream == Stream.HEART_RATE]
    sent = [ms for p in payloads for ms in decode_heart_rate_measurement(p).rr_ms]
    assert len(sent) == len(rr_source) == 798
    assert np.max(np.abs(np.asarray(sent) - rr_source)) <= 1000 / 1024 / 2
    [ecg] = pmd_waveforms(recording)
    ecg_source = np.asarray([float(r["ecg_mV"]) for r in rows]) * 1000.0
    assert ecg.values.shape[0] == ecg_source.size
    assert np.max(np.abs(ecg.values[:, 0] - ecg_source)) <= 0.5  # whole µV in the frames
    analysis = analyse_recording(recording)
    # The recording has frequent PVCs: the artifact correction must have work to do.
    assert analysis.heart.corrected_beats > 20
    # Beats are the running sum of their RR (52 of 798 were off by up to 1.7 s), none after
    # the row that logged it: the least delay is the strap's and phone's reporting delay, the
    # shift that put them on the ECG's R peaks (tests/test_import_beat_timing.py).
    export_recording(out, "csv", tmp_path / "csv")
    beats = _csv_rows(tmp_path / "csv" / "h10.beats.csv")
    beat_t = np.asarray([float(b["t_s"]) for b in beats])
    rr_out = np.asarray([float(b["rr_ms"]) for b in beats])
    assert np.max(np.abs(np.diff(beat_t) * 1000 - rr_out[1:])) < 0.01
    row_t = np.asarray([int(r["time_ns"]) for r in rows if r["rr_ms"]]) - int(rows[0]["time_ns"])
    late_s = row_t / 1e9 - beat_t
    shift_ms = recording.header.source.details["beat_timing"]["shift_ms"]
    assert late_s.min() == pytest.approx(-shift_ms / 1000, abs=1e-5)
    edf = export_recording(out, "edf", tmp_path / "h10.edf")[0]
    pyedflib = pytest.importorskip("pyedflib")
    with pyedflib.EdfReader(str(edf)) as reader:
        labels = reader.getSignalLabels()
        assert "ECG" in labels and "Heart rate" in labels
        assert reader.getSampleFrequency(labels.index("ECG")) == 130


def test_the_commands_parse_their_arguments(tmp_path: Path) -> None:
    """import -> export -> report through typer, as ``trainer/cli/app.py`` registers them."""
    import typer
    from typer.testing import CliRunner

    from trainer.cli import exchange as exchange_cli
    from trainer.cli import report as report_cli

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("import")(exchange_cli.import_)
    app.command("export")(exchange_cli.export)
    app.command("report")(report_cli.report)
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in _rr_series(200)) + "\n")
    runner = CliRunner()
    steps = [
        [
            "import",
            str(src),
            "-k",
            "rr",
            "-o",
            str(tmp_path / "rr.bwr"),
            "--start",
            "2026-01-01T07:00",
        ],
        ["export", str(tmp_path / "rr.bwr"), "--format", "edf", "-o", str(tmp_path / "rr.edf")],
        ["export", str(tmp_path / "rr.bwr"), "-f", "csv", "-o", str(tmp_path / "csv")],
        ["report", str(tmp_path / "rr.bwr"), "-o", str(tmp_path / "rr.svg")],
    ]
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert (tmp_path / "rr.edf").stat().st_size > 0
    assert (tmp_path / "csv" / "rr.beats.csv").exists()
    assert (tmp_path / "rr.svg").read_text().lstrip().startswith("<?xml")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("header", "advice"),
    [("time_ms,ECG", "ecg_uV, ecg_mV or ecg_V"), ("t_s;acc_x;acc_y;acc_z", "acc_x_mG")],
)
def test_an_ecg_or_acc_column_without_a_unit_is_refused(
    tmp_path: Path, header: str, advice: str
) -> None:
    """Millivolts in a bare ``ECG`` column were taken for µV and rounded to -1, 0 and 1."""
    sep = ";" if ";" in header else ","
    cells = sep.join(["-1.289"] * header.count(sep))
    src = tmp_path / "bare.csv"
    src.write_text(header + "\n" + "".join(f"{k * 10}{sep}{cells}\n" for k in range(200)))
    with pytest.raises(ImportFileError) as info:
        import_recording(src, "auto", tmp_path / "bare.bwr", start_wall_ns=START_NS)
    message = info.value.user_message()
    assert "bare.csv:1:" in message and "does not say its unit" in message
    assert advice in message and "\n" not in message
    assert not (tmp_path / "bare.bwr").exists()


@pytest.mark.parametrize(
    ("columns", "per_recorded_unit"),
    [
        (["ecg_mV"], 1e-3),
        (["ECG [V]"], 1e-6),
        (["ecg [µV]"], 1.0),
        (["X [g]", "Y [g]", "Z [g]"], 1e-3),
        (["acc_x_mG", "acc_y_mG", "acc_z_mG"], 1.0),
    ],
)
def test_ecg_and_acc_are_read_in_the_unit_their_column_names(
    tmp_path: Path, columns: list[str], per_recorded_unit: float
) -> None:
    """Whatever the unit named, the frames hold the same µV (ECG) or mG (ACC)."""
    fs = 130.0
    k = np.arange(int(10 * fs))
    wave: np.ndarray = np.round(1200 * np.sin(2 * np.pi * k / fs) ** 31) - 100
    values = np.column_stack([wave + 7 * c for c in range(len(columns))])
    src = tmp_path / "units.csv"
    lines = [",".join(["time_ms", *columns])] + [
        ",".join([f"{i * 1000 / fs:.4f}", *(f"{v * per_recorded_unit:.9g}" for v in row)])
        for i, row in enumerate(values)
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = import_recording(src, "auto", tmp_path / "units.bwr", start_wall_ns=START_NS).path
    [decoded] = pmd_waveforms(read_recording(out))
    assert np.array_equal(decoded.values, values)


@pytest.mark.parametrize(
    ("columns", "note"),
    [(["ecg_mV"], True), (["ecg_mV", "rr_ms"], False), (["ecg_mV", "hr"], False)],
)
def test_an_ecg_without_beats_says_the_session_has_no_heart_numbers(
    tmp_path: Path, columns: list[str], note: bool
) -> None:
    """Review 30 F1: a Polar H10 ECG file without its RR column imported with one line,
    "recording written", and the report then said "no heart-rate strap in this session". An
    ECG with QRS now gives its beats (tests/test_import_beat_timing.py); this one, noise, has
    none."""
    fs = 130.0
    k = np.arange(int(10 * fs))
    ecg = np.random.default_rng(3).normal(0.0, 0.3, k.size)
    lines = [",".join(["time_ms", *columns])]
    for i, v in enumerate(ecg):
        beat = i % int(fs) == 0  # the RR and heart-rate cells on a beat's row only
        extra = {"rr_ms": "1000" if beat else "", "hr": "60" if beat else ""}
        lines.append(
            ",".join([f"{i * 1000 / fs:.4f}", f"{v:.6f}", *(extra[c] for c in columns[1:])])
        )
    src = tmp_path / "ecg.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    notes = import_recording(src, "auto", tmp_path / "ecg.bwr", start_wall_ns=START_NS).notes
    assert (ECG_WITHOUT_BEATS in notes) == note, notes


def test_rr_list_beats_are_the_running_sum_from_the_first_beat(tmp_path: Path) -> None:
    """The first notification once came at the end of the first whole second, which put the
    first beats up to 1 s late; the beat clock took ~30 beats to come back."""
    rr = _rr_series()
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in rr) + "\n")
    out = import_recording(src, "rr", tmp_path / "rr.bwr", start_wall_ns=START_NS).path
    export_recording(out, "csv", tmp_path / "csv")
    beats = _csv_rows(tmp_path / "csv" / "rr.beats.csv")
    t_s = np.asarray([float(b["t_s"]) for b in beats])
    rr_out = np.asarray([float(b["rr_ms"]) for b in beats])
    assert t_s.size == rr.size
    # Every beat, the first included, at the running sum of the intervals as recorded...
    assert np.max(np.abs(t_s - np.cumsum(rr_out) / 1000)) < 2e-6
    # ...which is the file's running sum rounded to 1/1024 s (the CSV's 1 µs beside it).
    assert np.max(np.abs(t_s - np.cumsum(rr) / 1000)) <= 0.5 / 1024 + 2e-6


def test_rr_list_beats_stay_on_the_files_running_sum(tmp_path: Path) -> None:
    """Found in review: each interval rounded to 1/1024 s on its own, the errors added up
    along the beats, 4.3 ms after the 477 beats of NeuroKit2's 100 Hz ECG (intervals of whole
    10 ms). Rounding the beat times instead keeps every beat within half a unit, and every
    interval within one, however long the list."""
    rng = np.random.default_rng(8)
    rr = 10.0 * np.round(rng.normal(95, 8, 3000))  # R peaks of a 100 Hz ECG, ms
    src = tmp_path / "nk.txt"
    src.write_text("\n".join(f"{v:g}" for v in rr) + "\n")
    analysis = analyse_recording(
        import_recording(src, "rr", tmp_path / "nk.bwr", start_wall_ns=START_NS).path
    )
    assert analysis.beat_t_s.size == rr.size
    assert np.max(np.abs(analysis.beat_t_s - np.cumsum(rr) / 1000)) <= 0.5 / 1024 + 1e-9
    assert np.max(np.abs(analysis.rr_ms - rr)) <= 1000 / 1024


def test_no_stored_interval_is_zero_or_beyond_a_packet() -> None:
    """A beat less than 1/1024 s after the last could round onto it: an interval of 0, which
    the pipeline takes for a corrupt value. It is stored as one unit, the next takes up the
    difference, and the beats after it are back on the file's running sum."""
    rr = np.asarray([800.0, 0.6, 0.6, 800.0, 63_999.0, 800.0])
    raw = rr_raw_on_beat_clock(rr)
    assert min(raw) >= 1 and max(raw) <= 65535
    assert raw[1:3] == [1, 1]
    ticks = np.cumsum(rr) * 1.024
    assert np.all(np.abs(np.cumsum(raw)[3:] - ticks[3:]) <= 0.5)


def test_an_rr_list_import_says_its_intervals_were_rounded_to_1024ths(tmp_path: Path) -> None:
    """The rounding was said only in the module's notes, and pNN50 in report differed from
    hrv on the same file (42.65 % against 40.97 % in review) without a word. A strap's own
    values (whole 1/1024 s) are stored as they are, and nothing is said."""
    src = tmp_path / "ms.txt"
    src.write_text("".join(f"{800 + 10 * (i % 7)}\n" for i in range(120)))
    [_, rounded] = import_recording(src, "rr", tmp_path / "ms.bwr").notes
    assert rounded.startswith("RR stored at the strap's resolution of 1/1024 s: intervals within")
    assert rounded.endswith("so pNN50 in its report can differ from 'hrv' on this file")
    assert "beats within 0.4" in rounded  # at most half a unit, 0.49 ms
    strap = tmp_path / "strap.txt"
    strap.write_text("".join(f"{(820 + 10 * (i % 7)) / 1024!r}\n" for i in range(120)))
    assert import_recording(strap, "rr", tmp_path / "strap.bwr").notes == (
        "RR intervals read as seconds (their median is below 10); 'breathwise hrv' and "
        "'breaths --rr' read this file with --unit s",
    )


def _seconds_with_dropout(tmp_path: Path) -> Path:
    """300 intervals of about 0.8 s and one lost contact of 12.4 s (the review's file)."""
    rng = np.random.default_rng(1)
    values = np.round(0.8 + 0.03 * rng.random(300), 3)
    values[150] = 12.4
    src = tmp_path / "secs_gap.txt"
    src.write_text("".join(f"{v:g}\n" for v in values))
    return src


def test_an_rr_list_in_seconds_with_a_long_dropout_is_read_as_seconds(tmp_path: Path) -> None:
    """Found in review: the unit was told by the largest value, so one interval of 10 s or
    more read the list as milliseconds and refused it, without a word about seconds."""
    src = _seconds_with_dropout(tmp_path)
    result = import_recording(src, "rr", tmp_path / "sg.bwr", start_wall_ns=START_NS)
    assert "RR intervals read as seconds (their median is below 10)" in result.notes[0]
    analysis = analyse_recording(result.path)
    assert analysis.rr_ms.size == 300
    assert float(np.max(analysis.rr_ms)) == pytest.approx(12400.0, abs=1.0)
    assert analysis.heart.corrected_beats >= 1


def test_import_takes_the_unit_of_an_rr_list_as_hrv_does(tmp_path: Path) -> None:
    """import had no --unit, where hrv and breaths --rr have one; a wrong one is refused with
    the unit the values' median points to, as hrv refuses it."""
    src = _seconds_with_dropout(tmp_path)
    result = import_recording(src, "rr", tmp_path / "s.bwr", start_wall_ns=START_NS, unit="s")
    assert result.notes[0] == "RR intervals read as seconds (--unit s)"
    with pytest.raises(ImportFileError, match=r"the values look like seconds: use --unit s$"):
        import_recording(src, "rr", tmp_path / "ms.bwr", unit="ms")
    ms = _rr_txt(tmp_path)
    assert import_recording(ms, "rr", tmp_path / "m.bwr", unit="ms").notes[0] == (
        "RR intervals read as milliseconds"
    )
    with pytest.raises(ImportFileError, match=r"use --unit ms$"):
        import_recording(ms, "rr", tmp_path / "wrong.bwr", unit="s")
    with pytest.raises(BadArgument, match="--unit must be 'ms' or 's'"):
        import_recording(ms, "rr", tmp_path / "bad.bwr", unit="min")
    assert not (tmp_path / "wrong.bwr").exists() and not (tmp_path / "bad.bwr").exists()


SECONDS_OVER_RR_MS = (
    "the column's name (rr_ms) says milliseconds; the values are read as seconds because of "
    "--unit s"
)
"""The note of ``--unit s`` over a column named rr_ms, the same from every RR reader."""


def test_import_reads_a_table_in_the_unit_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table named rr_ms holding seconds was analysed by hrv and breaths --rr with --unit s,
    but import refused --unit for a table ("a table's RR column is in milliseconds") and
    refused the table without it: --unit is now the unit of a table's RR column too, and its
    overriding the column's name is said, in import's one note as in hrv's."""
    rr = _rr_series(120)
    src = tmp_path / "t.csv"
    src.write_text("time,rr_ms\n" + "".join(f"{i},{v / 1000:.4f}\n" for i, v in enumerate(rr)))
    import_(src, "auto", tmp_path / "t.bwr", "2026-03-01T07:30", False, "s")
    notes = [line for line in capsys.readouterr().err.splitlines() if "--unit" in line]
    assert notes == [f"note: {SECONDS_OVER_RR_MS}"]
    imported = analyse_recording(tmp_path / "t.bwr").rr_ms
    assert np.max(np.abs(imported - np.round(rr / 1000, 4) * 1000)) <= 1000 / 1024
    # The other way round: a column named in seconds that holds milliseconds.
    named_s = tmp_path / "s.csv"
    named_s.write_text("index,rr_s\n" + "".join(f"{i},{v:.0f}\n" for i, v in enumerate(rr)))
    result = import_recording(named_s, "auto", tmp_path / "s.bwr", unit="ms")
    assert result.notes[0] == (
        "the column's name (rr_s) says seconds; the values are read as milliseconds because of "
        "--unit ms"
    )
    # A unit the name agrees with is nothing to say.
    agreed = tmp_path / "agreed.csv"
    agreed.write_text(named_s.read_text().replace("rr_s", "rr_ms"))
    agreed_notes = import_recording(agreed, "auto", tmp_path / "a.bwr", unit="ms").notes
    assert not any("because of --unit" in note for note in agreed_notes)


def test_import_reads_a_polar_csvs_rr_column_in_the_unit_given(tmp_path: Path) -> None:
    """A logger table with ECG whose rr_ms column holds seconds: --unit s reads its RR as
    seconds (refused before, as for every table), the ECG as it was."""
    fs = 130.0
    n = int(30 * fs)
    ecg = np.round(300 * np.sin(2 * np.pi * np.arange(n) / fs))
    beat_rows = set(range(int(fs), n, int(fs)))  # one beat a second
    lines = ["time_ms,ecg_uV,hr_bpm,rr_ms"]
    for k in range(n):
        lines.append(f"{k / fs * 1000:.3f},{ecg[k]:g}," + ("60,1.0" if k in beat_rows else ","))
    src = tmp_path / "polar.csv"
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError) as refused:
        import_recording(src, "polar", tmp_path / "no.bwr", start_wall_ns=START_NS)
    assert refused.value.user_message().endswith("use --unit s, or rename the column rr_s")
    result = import_recording(src, "polar", tmp_path / "p.bwr", start_wall_ns=START_NS, unit="s")
    assert SECONDS_OVER_RR_MS in result.notes
    analysis = analyse_recording(result.path)
    assert analysis.rr_ms.size >= len(beat_rows) - 2
    assert np.allclose(analysis.rr_ms, 1000.0, atol=1.0)  # 1.0 s each, not 1.0 ms
    [ecg_wave] = pmd_waveforms(read_recording(result.path))
    assert np.array_equal(ecg_wave.values[:, 0], ecg)


def test_import_refuses_a_unit_for_a_table_without_rr(tmp_path: Path) -> None:
    """--unit names the unit of RR intervals: for an ECG table it would go unused, unsaid."""
    src = tmp_path / "ecg.csv"
    src.write_text("time_ms,ecg_uV\n" + "".join(f"{8 * i},{i % 50}\n" for i in range(500)))
    with pytest.raises(BadArgument, match="this table has no RR column"):
        import_recording(src, "auto", tmp_path / "e.bwr", start_wall_ns=START_NS, unit="s")


def test_import_cli_has_a_unit_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_(
        _seconds_with_dropout(tmp_path), "rr", tmp_path / "x.bwr", "2026-03-01T07:30", False, "s"
    )
    assert "note: RR intervals read as seconds (--unit s)" in capsys.readouterr().err


@pytest.mark.parametrize("clock", ["time_ns", "time_ms"])
def test_polar_csv_samples_and_beats_keep_the_files_times(tmp_path: Path, clock: str) -> None:
    """Every packet was once sent 50 ms after its row's time, and the beat timeline and the PMD
    decoder both anchor at arrival: all beats and samples came out 50 ms late."""
    fs = 130.0
    n = int(30 * fs)
    t_ns = np.round(np.arange(n) / fs * 1e9).astype(np.int64)
    ecg = np.round(300 * np.sin(2 * np.pi * np.arange(n) / fs))
    beat_rows = set(range(int(fs), n, int(fs)))  # one beat a second: RR 1000 ms is 1024/1024 s
    absolute = clock == "time_ns"
    lines = [f"{clock},ecg_uV,hr_bpm,rr_ms"]
    for k in range(n):
        when = f"{START_NS + t_ns[k]}" if absolute else f"{t_ns[k] / 1e6:.6f}"
        lines.append(f"{when},{ecg[k]:g}," + ("60,1000" if k in beat_rows else ","))
    src = tmp_path / "polar.csv"
    src.write_text("\n".join(lines) + "\n")
    out = import_recording(src, "polar", tmp_path / "polar.bwr", start_wall_ns=START_NS).path
    assert read_recording(out).header.start_wall_ns == START_NS
    export_recording(out, "csv", tmp_path / "csv")
    samples = _csv_rows(tmp_path / "csv" / "polar.ecg.csv")
    sample_t = np.asarray([float(s["t_s"]) for s in samples])
    assert sample_t.size == n
    assert np.max(np.abs(sample_t - t_ns / 1e9)) < 2e-6
    assert np.array_equal([float(s["ecg_uV"]) for s in samples], ecg)
    beats = _csv_rows(tmp_path / "csv" / "polar.beats.csv")
    beat_t = np.asarray([float(b["t_s"]) for b in beats])
    assert beat_t.size == len(beat_rows)
    assert np.max(np.abs(beat_t - t_ns[sorted(beat_rows)] / 1e9)) < 2e-6


def _with_ectopics(rr: np.ndarray, every: int) -> np.ndarray:
    """``rr`` with a premature beat every ``every`` beats: short (60 %) then long (140 %)."""
    out = rr.astype(np.float64).copy()
    for k in range(10, out.size - 1, every):
        out[k], out[k + 1] = 0.6 * out[k], 1.4 * out[k + 1]
    return out


def test_an_import_with_many_corrected_beats_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An import once said only 'recording written', even with 61.7 % of beats corrected."""
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(f"{v:g}" for v in _rr_series()) + "\n")
    import_(clean, "rr", tmp_path / "clean.bwr", "2026-01-01T07:00")
    assert "warning" not in capsys.readouterr().err

    ectopic = tmp_path / "ectopic.txt"
    ectopic.write_text("\n".join(f"{v:g}" for v in _with_ectopics(_rr_series(), 8)) + "\n")
    import_(ectopic, "rr", tmp_path / "ectopic.bwr", "2026-01-01T07:00")
    err = capsys.readouterr().err
    heart = analyse_recording(tmp_path / "ectopic.bwr").heart
    assert heart.artifact_pct is not None and heart.artifact_pct > 5
    # The share named is the report's "Beats corrected" (the same decoded, corrected beats).
    share = f"{heart.artifact_pct:.1f} % of beats ({heart.corrected_beats} of 300) corrected"
    # Named by its file, as hrv's and breaths' warnings are (a batch's log is grepped by it).
    assert f"breathwise: warning: {ectopic}: {share} as artifacts, over 5 %: HRV, RSA" in err


@pytest.mark.shared_data
def test_the_polar_h10_pvc_file_gets_one_warning_from_import_hrv_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not H10.exists():
        pytest.skip(f"shared data not found at {H10}")
    from analysis.hrv_report import analyse_rr
    from trainer.reports.report import report_figure

    import_(H10, "auto", tmp_path / "h10.bwr", None)
    err = capsys.readouterr().err
    expected = (
        "61.7 % of beats (492 of 798) corrected as artifacts, over 5 %: "
        "HRV, RSA and coherence are unreliable"
    )
    assert f"breathwise: warning: {H10}: {expected}\n" in err
    # The file has its own clock: no --start, no note that one replaced it.
    assert "replaces the file's own start" not in err
    import_(H10, "auto", tmp_path / "moved.bwr", "2026-02-01T07:30")
    start = datetime.fromtimestamp(read_recording(tmp_path / "h10.bwr").header.start_wall_ns / 1e9)
    assert (
        f"note: --start 2026-02-01 07:30 replaces the file's own start, "
        f"{start:%Y-%m-%d %H:%M} (leave --start out to keep it)"
    ) in capsys.readouterr().err
    analysis = analyse_recording(tmp_path / "h10.bwr")
    texts = [t.get_text() for ax in report_figure(analysis).axes for t in ax.texts]
    assert f"Warning: {expected}" in texts
    with gzip.open(H10, "rt") as handle:
        rr = [float(r["rr_ms"]) for r in csv.DictReader(handle) if r["rr_ms"]]
    assert expected in analyse_rr(rr)["warnings"]


def test_an_output_in_a_missing_folder_is_refused_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``import rr.txt -o /nonexist/x.bwr`` created /nonexist at the root (found in review)."""
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in _rr_series(100)) + "\n")
    with pytest.raises(UserError, match=r"the folder .*nowhere/deeper does not exist") as info:
        import_(src, "rr", tmp_path / "nowhere" / "deeper" / "rr.bwr", "2026-01-01T07:00")
    assert "check the path, or create the folder first (mkdir -p " in info.value.user_message()
    assert not (tmp_path / "nowhere").exists()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadArgument, match="a recording cannot be written to standard output"):
        import_(src, "rr", Path("-"), "2026-01-01T07:00")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rr.txt"]


def test_an_import_header_holds_a_digest_of_its_data(tmp_path: Path) -> None:
    """Two RR lists with the same name and start had identical headers, so one history row."""
    rr = _rr_series(120)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = tmp_path / "one" / "rr.txt"
    first.write_text("\n".join(f"{v:g}" for v in rr) + "\n")
    second = tmp_path / "two" / "rr.txt"
    second.write_text("\n".join(f"{v:g}" for v in rr[::-1]) + "\n")
    digests = []
    for source, name in ((first, "a"), (first, "b"), (second, "c")):
        out = import_recording(source, "rr", tmp_path / f"{name}.bwr", start_wall_ns=START_NS).path
        digests.append(read_recording(out).header.source.details["data_sha256"])
    assert digests[0] == digests[1] != digests[2]  # the same file again: the same session
    assert len(digests[0]) == 64


def test_a_file_longer_than_a_recording_holds_is_refused(tmp_path: Path) -> None:
    """The reader refuses a session longer than 31 days as damaged: so does the import."""
    src = tmp_path / "long.csv"
    day_ns = 86_400 * 10**9
    src.write_text(f"time_ns,rr_ms\n{START_NS},1000\n{START_NS + 32 * day_ns},1000\n")
    with pytest.raises(ImportFileError, match="spans 32 days; a recording holds at most 31"):
        import_recording(src, "polar", tmp_path / "long.bwr")
    assert not (tmp_path / "long.bwr").exists()


def _batched_polar_csv(
    path: Path, rr: np.ndarray, seed: int, lost: tuple[int, int] | None = None
) -> np.ndarray:
    """A Polar-style CSV (``time_ns, hr_bpm, rr_ms``) whose rows a phone logger wrote late and
    in batches: each beat's row 0.5-2 s after the beat, never before an earlier row, and RR rows
    of one batch 8 ms apart. ``lost`` drops the rows of beats ``[a, b)``, as a link gap does.
    Returns the true beat times, s (running sum of the RR as encoded)."""
    rng = np.random.default_rng(seed)
    beat_s = np.cumsum(np.round(rr * 1.024) / 1024)
    row_s = np.maximum.accumulate(beat_s + rng.uniform(0.5, 2.0, rr.size))
    keep = np.ones(rr.size, dtype=bool)
    if lost is not None:
        keep[lost[0] : lost[1]] = False
    lines = ["time_ns,hr_bpm,rr_ms"]
    previous_ns = -1
    for k in np.flatnonzero(keep):
        t_ns = max(START_NS + round(row_s[k] * 1e9), previous_ns + 8_000_000)
        starts = t_ns - previous_ns > 200_000_000  # a new batch: a row with a heart rate
        lines.append(f"{t_ns},{'60' if starts else ''},{rr[k]:g}")
        previous_ns = t_ns
    path.write_text("\n".join(lines) + "\n")
    return beat_s


def _beats_after_import(src: Path, tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    out = import_recording(src, "polar", tmp_path / "b.bwr", start_wall_ns=START_NS).path
    export_recording(out, "csv", tmp_path / "csv")
    beats = _csv_rows(tmp_path / "csv" / "b.beats.csv")
    return (
        np.asarray([float(b["t_s"]) for b in beats]),
        np.asarray([float(b["rr_ms"]) for b in beats]),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_polar_csv_beats_are_the_running_sum_of_rr_whatever_the_rows_delay(
    tmp_path: Path, seed: int
) -> None:
    """Notifications were sent at their rows' times, and the beat timeline took a logger's
    batched rows for arrival times: on a real H10 file 52 of 798 beats moved by up to 1.7 s
    against their own RR."""
    rr = _rr_series(400, seed)
    src = tmp_path / "b.csv"
    truth_s = _batched_polar_csv(src, rr, seed)
    t_s, rr_out = _beats_after_import(src, tmp_path)
    assert t_s.size == rr.size
    # One offset, the same for every beat: the beats are the running sum of the RR...
    offset_s = t_s - np.cumsum(rr_out) / 1000
    assert np.ptp(offset_s) < 1e-5
    assert np.max(np.abs(np.diff(t_s) * 1000 - rr_out[1:])) < 0.01
    # ...so the true beat times but for that offset...
    assert np.ptp(t_s - truth_s) < 1e-5
    # ...the latest that puts no beat after its row (times from the first row, the origin).
    rows_ns = [int(line.split(",")[0]) for line in src.read_text().split()[1:]]
    rows_s = (np.asarray(rows_ns) - rows_ns[0]) / 1e9
    assert np.all(t_s <= rows_s + 1e-6)
    assert np.min(rows_s - t_s) < 1e-6


def test_polar_csv_beats_re_anchor_only_where_beats_were_lost(tmp_path: Path) -> None:
    rr = _rr_series(400, 7)
    src = tmp_path / "b.csv"
    truth_s = _batched_polar_csv(src, rr, 7, lost=(200, 206))  # ~5.4 s of beats lost
    t_s, rr_out = _beats_after_import(src, tmp_path)
    assert t_s.size == rr.size - 6
    step_ms = np.diff(t_s) * 1000 - rr_out[1:]
    [jump] = np.flatnonzero(np.abs(step_ms) > 0.01)
    assert jump == 199  # between the last beat before the gap and the first after it
    # The gap is the lost beats' time, to within the rows' jitter (0.5-2 s).
    lost_ms = float(np.sum(rr[200:206]))
    assert abs(step_ms[jump] - lost_ms) < 1500
    after = truth_s[206:]
    assert np.ptp(t_s[200:] - after) < 1e-5


def test_an_import_is_added_to_the_history_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """import once said only "recording written" and left the session out of the history,
    which docs/guide/history-and-reports.md says treats an import "like any session"."""
    from simulated_sessions import write_simulated

    from trainer.cli.app import run
    from trainer.storage.history import list_sessions

    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 60) + "\n")
    out = tmp_path / "rr.bwr"
    assert run(["import", str(src), "--start", "2026-01-01T07:00", "-o", str(out)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "added to your history (2.4 min)"
    assert [row.path for row in list_sessions()] == [str(out.resolve())]
    other = tmp_path / "other.bwr"
    args = ["import", str(src), "--start", "2026-01-02T07:00", "-o", str(other), "--no-history"]
    assert run(args) == 0
    assert "history" not in capsys.readouterr().err
    assert len(list_sessions()) == 1
    # A re-import of an export of a session the history holds: the history's rule, a note.
    original = write_simulated(tmp_path / "live.bwr", 60.0, seed=1)
    assert run(["history", "--add", str(original)]) == 0
    export_recording(original, "csv", tmp_path / "csv")
    capsys.readouterr()
    again = tmp_path / "again.bwr"
    assert run(["import", str(tmp_path / "csv" / "live.beats.csv"), "-o", str(again)]) == 0
    err = capsys.readouterr().err
    assert "note: not added to the history: " in err and "already holds" in err
    assert len(list_sessions()) == 2


def _polar_rr_csv(path: Path, rr_ms: list[float], times: list[str] | None = None) -> None:
    """A Polar app RR export: ``Phone timestamp;RR-interval [ms]``, one row per beat."""
    if times is None:
        t = np.datetime64("2026-01-01T07:00:00.000") + np.cumsum(
            np.asarray(rr_ms).astype("timedelta64[ms]")
        )
        times = [str(x) for x in t]
    rows = [f"{when};{rr:g}" for when, rr in zip(times, rr_ms, strict=True)]
    path.write_text("Phone timestamp;RR-interval [ms]\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("artifact_ms", [6500.0, 30.0])
def test_one_artifact_rr_in_a_polar_csv_is_kept_for_correction(
    tmp_path: Path, artifact_ms: float
) -> None:
    """ "p.csv:51: 6500 ms is not a plausible RR interval" refused the whole file, while an RR
    list with the same value imported: one rule for both now, the median's."""
    rr = [float(v) for v in _rr_series(120)]
    rr[49] = artifact_ms
    _polar_rr_csv(tmp_path / "p.csv", rr)
    result = import_recording(tmp_path / "p.csv", output=tmp_path / "p.bwr")
    sent = [
        ms
        for p in read_recording(result.path).packets
        if p.stream == Stream.HEART_RATE
        for ms in decode_heart_rate_measurement(p.payload).rr_ms
    ]
    assert len(sent) == len(rr) and min(abs(ms - artifact_ms) for ms in sent) < 1.0


def test_error_messages_quote_at_most_40_characters(tmp_path: Path) -> None:
    """A 2 MB garbage line made a 2 MB "one-line" error (and, in a CSV cell over the csv
    module's 128 KiB limit, a traceback)."""
    junk = "x" * 100_000
    (tmp_path / "rr.txt").write_text(f"800\n{junk * 20}\n")
    (tmp_path / "p.csv").write_text(f"time_ns,rr_ms\n1000000000,{junk}\n")
    # Not rr_ms: a table of intervals without a time column is read now, however long its
    # header (the first 4 KiB of it made a list of it, refused).
    (tmp_path / "head.csv").write_text(f"{junk},hr_bpm\n1000000000,80\n")
    for name in ("rr.txt", "p.csv", "head.csv"):
        with pytest.raises(ImportFileError) as info:
            kind = "rr" if name.endswith(".txt") else "polar"
            import_recording(tmp_path / name, kind, output=tmp_path / "x.bwr")
        message = info.value.user_message()
        assert "x" * 40 + "…" in message and len(message) < 400
    (tmp_path / "huge.csv").write_text(f"time_ns,rr_ms\n1000000000,{junk * 20}\n")
    with pytest.raises(ImportFileError, match=r"huge.csv:2: not a CSV row \(field larger"):
        import_recording(tmp_path / "huge.csv", output=tmp_path / "x.bwr")


def test_an_rr_list_in_seconds_with_a_decimal_comma_is_named(tmp_path: Path) -> None:
    """``0,963`` said only "'0,963' is not an RR interval"; ``hrv`` hinted the comma."""
    (tmp_path / "rr_s_comma.txt").write_text("0,963\n0,912\n")
    with pytest.raises(ImportFileError, match=r"0,963 for 0\.963\? write a point"):
        import_recording(tmp_path / "rr_s_comma.txt", "rr", tmp_path / "x.bwr")


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Berlin (CEST to CET on 2026-10-25 03:00, CET to CEST on
    2026-03-29 02:00) for the test, and the process's own zone again after it."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _rr_txt(tmp_path: Path) -> Path:
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 20) + "\n")
    return src


@pytest.mark.usefixtures("berlin")
def test_a_polar_csv_across_the_autumn_clock_change_imports(tmp_path: Path) -> None:
    """Naive local phone times repeat 02:00-03:00 on 2026-10-25 in Berlin: "time goes
    backwards" refused the file. The repeated hour is the second one (fold=1)."""
    # 02:59:50-59 CEST, then 02:00:00 CET (one second later, an hour "back") and on.
    times = [f"2026-10-25T02:59:5{s}.000" for s in range(10)]
    times += [f"2026-10-25T02:00:0{s}.000" for s in range(10)]
    _polar_rr_csv(tmp_path / "dst.csv", [1000.0] * 20, times)
    table = parse_polar_csv(tmp_path / "dst.csv")
    assert np.all(np.diff(table.time_ns) == 1_000_000_000)
    # A backward jump of an hour where no hour repeats is still refused, the change named.
    _polar_rr_csv(
        tmp_path / "back.csv",
        [1000.0] * 3,
        ["2026-06-01T03:00:00", "2026-06-01T03:00:01", "2026-06-01T02:00:02"],
    )
    with pytest.raises(ImportFileError, match=r"time goes backwards .* daylight saving"):
        parse_polar_csv(tmp_path / "back.csv")


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize("day", ["2026-10-25", "2026-10-18"])
def test_a_row_a_moment_early_in_the_repeated_hour_is_out_of_order(
    tmp_path: Path, day: str
) -> None:
    """Any step back inside 02:00-03:00 on the autumn change was read as the second hour: 300
    rows at 0.8 s from 02:10, one 0.1 s early, imported with a 3599.9 s step (3839 s long);
    a week earlier the same rows were refused. Only a step of about an hour is the change."""
    t = np.datetime64(f"{day}T02:10:00.000") + np.arange(300) * np.timedelta64(800, "ms")
    t[150] -= np.timedelta64(900, "ms")  # 0.1 s before the row above it
    _polar_rr_csv(tmp_path / "early.csv", [800.0] * 300, [str(x) for x in t])
    with pytest.raises(ImportFileError, match=r"early\.csv:152: time goes backwards by 0\.1 s$"):
        parse_polar_csv(tmp_path / "early.csv")


@pytest.mark.usefixtures("berlin")
def test_a_start_that_does_not_exist_locally_is_refused(tmp_path: Path) -> None:
    """2026-03-29 02:30 was never shown in Berlin (02:00 became 03:00): it was taken as 03:30."""
    with pytest.raises(BadArgument, match="does not exist in the local time zone"):
        import_(_rr_txt(tmp_path), "rr", tmp_path / "x.bwr", "2026-03-29T02:30")
    assert not (tmp_path / "x.bwr").exists()


@pytest.mark.usefixtures("berlin")
def test_an_ambiguous_start_says_which_offset_it_took(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_(_rr_txt(tmp_path), "rr", tmp_path / "x.bwr", "2026-10-25T02:30")
    assert "taken as the first, 2026-10-25T02:30+02:00" in capsys.readouterr().err
    assert read_recording(tmp_path / "x.bwr").header.start_wall_ns == (
        1_792_888_200 * 1_000_000_000  # 2026-10-25T00:30Z
    )


def test_an_rr_list_in_seconds_is_said_to_be_read_as_seconds(tmp_path: Path) -> None:
    """It was read as seconds silently, where hrv and breaths --rr refuse it without --unit s."""
    src = tmp_path / "rr_s.txt"
    src.write_text("".join(f"{0.8 + 0.01 * (i % 7):.3f}\n" for i in range(120)))
    result = import_recording(src, "rr", tmp_path / "s.bwr")
    assert any("read as seconds" in note and "--unit s" in note for note in result.notes)
    ms = tmp_path / "rr_ms.txt"
    ms.write_text("".join(f"{800 + 10 * (i % 7)}\n" for i in range(120)))
    assert import_recording(ms, "rr", tmp_path / "ms.bwr").notes[0] == (
        "RR intervals read as milliseconds"
    )


def test_an_imported_session_has_no_ratio_target(tmp_path: Path) -> None:
    """Nobody paced an imported session: its own-rhythm record held a target ratio of 1.5 all
    the same, and the report drew that "target" under a headline saying "target —" (found in
    review). The import's own-rhythm record holds no target."""
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(str(900 + 40 * (i % 7)) for i in range(200)) + "\n")
    import_(src, "rr", tmp_path / "rr.bwr", "2026-01-01T07:00")
    spans = analyse_recording(tmp_path / "rr.bwr").pacer_spans
    assert spans and all(s.mode == "own" and s.ratio is None for s in spans)


def test_a_table_with_a_time_column_says_its_rr_were_stored_in_1024ths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Kubios-style ``time_s,rr_ms`` table had its RR rounded to 1/1024 s with no note (pNN50
    40.55 -> 42.23 % on the NeuroKit2 resting ECG), while the same intervals as a list got the
    note docs/guide/own-data.md describes (found in review): both say it now, in the same words."""
    rr = np.round(_rr_series(200))
    t = np.cumsum(rr) / 1000.0
    table = tmp_path / "tab.csv"
    table.write_text(
        "time_s,rr_ms\n" + "".join(f"{a:.3f},{b:.0f}\n" for a, b in zip(t, rr, strict=True))
    )
    listed = tmp_path / "list.txt"
    listed.write_text("\n".join(f"{v:.0f}" for v in rr) + "\n")
    note = "note: RR stored at the strap's resolution of 1/1024 s: intervals within "
    for src in (table, listed):
        import_(src, "auto", tmp_path / f"{src.stem}.bwr", "2026-01-01T07:00")
        err = capsys.readouterr().err
        assert note in err and "so pNN50 in its report can differ from 'hrv'" in err, src.name
    # Values a strap sent (a whole number of 1/1024 s each) are stored as they are: no note.
    exact = np.round(rr * 1.024) / 1.024
    strap = tmp_path / "strap.csv"
    strap.write_text(
        "time_s,rr_ms\n" + "".join(f"{a:.3f},{b:.6f}\n" for a, b in zip(t, exact, strict=True))
    )
    import_(strap, "auto", tmp_path / "strap.bwr", "2026-01-01T07:00")
    assert note not in capsys.readouterr().err
