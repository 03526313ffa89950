"""Progress on long work: the fraction done of an analysis, and the bar the commands show.

The analysis steps take an optional ``progress`` callback (analysis.progress): it is called
at most about 100 times, never goes back, ends at 1.0, and changes no result. The commands show
a transient bar on standard error only for long data on a terminal
(trainer.cli.progress_bar): never for a short session, never in a pipe or a log.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from simulated_sessions import write_simulated

from analysis.coherence import measured_coherence
from analysis.hrv_report import analyse_rr
from analysis.progress import REPORTS, ProgressCallback, ProgressSteps, counted
from trainer.cli import progress_bar
from trainer.cli.exchange import import_
from trainer.cli.hrv import hrv
from trainer.cli.report import report
from trainer.reports.session_analysis import SessionAnalysis, analyse_recording
from trainer.storage.export import export_recording
from trainer.storage.imports.import_file import import_recording
from trainer.storage.recording import read_recording, recorded_span_s

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"
BAR = "━"  # what Rich draws the bar with


def _check_contract(calls: list[float]) -> None:
    """The contract of analysis.progress: few calls, within 0-1, increasing, ending at 1.0."""
    assert calls, "never called"
    assert len(calls) <= REPORTS + 1
    assert all(0.0 <= c <= 1.0 for c in calls)
    assert all(b > a for a, b in itertools.pairwise(calls)), calls
    assert calls[-1] == 1.0


def _same_analysis(a: SessionAnalysis, b: SessionAnalysis) -> None:
    assert a.metrics() == b.metrics()
    assert a.summary == b.summary
    for name in ("beat_t_s", "rr_ms", "belt_values", "pacer_fill"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("coherence", "coherence_score", "rsa_bpm", "nn_ms"):
        np.testing.assert_array_equal(getattr(a.heart, name), getattr(b.heart, name))
    assert a.breaths == b.breaths


def test_steps_keep_the_contract_whatever_they_are_told() -> None:
    calls: list[float] = []
    steps = ProgressSteps(calls.append)
    for fraction in (0.5, 0.2, 0.5, 0.505, 0.52, -1.0, 0.99, 3.0):
        steps(fraction)
    part = steps.part(0.0, 0.5)
    assert part is not None
    part(0.9)  # behind the step's 1.0 already passed on: dropped
    steps.done()
    steps.done()
    assert calls == [0.5, 0.52, 0.99, 1.0]
    # Nobody listening: nothing counted, nothing called.
    assert ProgressSteps(None).part(0.0, 1.0) is None
    assert list(counted(range(5), 5, ProgressSteps(None))) == [0, 1, 2, 3, 4]


def test_a_million_items_make_a_hundred_calls() -> None:
    calls: list[float] = []
    steps = ProgressSteps(calls.append)
    assert sum(counted(range(1_000_000), 1_000_000, steps)) == 499_999_500_000
    steps.done()
    _check_contract(calls)
    assert len(calls) == REPORTS


def test_analysing_a_real_recording_reports_progress_and_the_same_result() -> None:
    calls: list[float] = []
    with_bar = analyse_recording(SAMPLE, progress=calls.append)
    _check_contract(calls)
    _same_analysis(with_bar, analyse_recording(SAMPLE))


def test_a_strap_alone_reports_through_the_breathing_read_from_the_heart(
    tmp_path: Path,
) -> None:
    # No breaths: the heart metrics read them from the heart rhythm, the longest part.
    path = write_simulated(tmp_path / "strap.bwr", 600.0, seed=3, rate_bpm=5.5, belt=False)
    calls: list[float] = []
    with_bar = analyse_recording(path, progress=calls.append)
    _check_contract(calls)
    assert sum(0.3 < c < 0.5 for c in calls) >= 5  # the coherence windows, counted
    assert sum(0.5 < c < 1.0 for c in calls) >= 20  # the breathing windows, counted
    _same_analysis(with_bar, analyse_recording(path))


def test_hrv_and_the_coherence_series_report_progress_and_the_same_result() -> None:
    rr = analyse_recording(SAMPLE).rr_ms
    calls: list[float] = []
    assert analyse_rr(rr, progress=calls.append) == analyse_rr(rr)
    _check_contract(calls)
    t = np.cumsum(rr) / 1000.0
    calls.clear()
    assert measured_coherence(t, rr, progress=calls.append) == measured_coherence(t, rr)
    _check_contract(calls)


def _logger_csv(path: Path, minutes: float) -> None:
    """A phone logger's table: 130 Hz ECG rows (flat) and a row with each beat's RR."""
    start_ns = 1_767_250_800 * 1_000_000_000
    rr = np.round(900 + 60 * np.sin(2 * np.pi * 0.09 * np.arange(int(minutes * 60 / 0.9))))
    rows = [(round(t * 1e9), "0.0,,") for t in np.arange(0.0, minutes * 60, 1 / 130)]
    beats = zip(np.cumsum(rr) / 1000, rr, strict=True)
    rows += [(round(t * 1e9) + 1, f",70,{v:g}") for t, v in beats]
    rows.sort(key=lambda row: row[0])
    body = "".join(f"{start_ns + t},{rest}\n" for t, rest in rows)
    path.write_text("time_ns,ecg_uV,hr_bpm,rr_ms\n" + body)


def test_an_import_reports_progress_and_writes_the_same_recording(tmp_path: Path) -> None:
    src = tmp_path / "logger.csv"
    _logger_csv(src, 3.0)
    calls: list[float] = []
    with_bar = import_recording(src, "polar", tmp_path / "a.bwr", progress=calls.append)
    _check_contract(calls)
    assert sum(c < 0.9 for c in calls) >= 50  # the rows, counted as they are read
    without = import_recording(src, "polar", tmp_path / "b.bwr")
    assert (with_bar.notes, with_bar.warnings) == (without.notes, without.warnings)
    assert read_recording(with_bar.path).items == read_recording(without.path).items


@pytest.mark.parametrize("fmt", ["csv", "edf"])
def test_an_export_reports_progress_and_writes_the_same_files(tmp_path: Path, fmt: str) -> None:
    calls: list[float] = []
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    out_a, out_b = (a, b) if fmt == "csv" else (a / "s.edf", b / "s.edf")
    written = export_recording(SAMPLE, fmt, out_a, progress=calls.append)
    _check_contract(calls)
    export_recording(SAMPLE, fmt, out_b)
    for path in written:
        if fmt == "csv":
            assert path.read_bytes() == (b / path.name).read_bytes()
        else:  # EDF+ holds the time it was written in no field; its size and signals agree
            assert path.stat().st_size == out_b.stat().st_size


def test_the_span_is_read_from_the_ends_of_the_file(tmp_path: Path) -> None:
    assert recorded_span_s(SAMPLE) == pytest.approx(read_recording(SAMPLE).duration_s)
    # Cut short mid-line (a killed session): the last whole line's clock.
    cut = tmp_path / "cut.bwr"
    cut.write_bytes(SAMPLE.read_bytes()[:-300])
    assert recorded_span_s(cut) == pytest.approx(read_recording(cut).duration_s, abs=1.0)
    (tmp_path / "junk.bwr").write_text("not a recording\n")
    assert recorded_span_s(tmp_path / "junk.bwr") is None
    assert recorded_span_s(tmp_path / "missing.bwr") is None


def test_a_compressed_import_is_measured_by_its_content(tmp_path: Path) -> None:
    packed = tmp_path / "big.csv.gz"
    packed.write_bytes(gzip.compress(b"0\n" * (progress_bar.LONG_IMPORT_BYTES // 2)))
    assert packed.stat().st_size < progress_bar.LONG_IMPORT_BYTES // 100
    assert progress_bar.import_is_long(packed)
    small = tmp_path / "small.csv.gz"
    small.write_bytes(gzip.compress(b"0\n" * 1000))
    assert not progress_bar.import_is_long(small)


# ------------------------------------------------------------------------------ the bar
@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error taken for a terminal: the bar draws into the captured stream."""
    monkeypatch.setattr(progress_bar, "stderr_is_terminal", lambda: True)


def _rr_file(path: Path, beats: int) -> Path:
    k = np.arange(beats)
    np.savetxt(path, np.round(900 + 60 * np.sin(2 * np.pi * 0.09 * k)), fmt="%d")
    return path


def _hrv(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    hrv(path)
    out, err = capsys.readouterr()
    json.loads(out)  # standard output holds the result alone
    return out, err


@pytest.mark.usefixtures("terminal")
def test_hrv_of_many_beats_shows_a_bar_on_a_terminal_and_erases_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_out, err = _hrv(_rr_file(tmp_path / "night.txt", progress_bar.LONG_RR_BEATS), capsys)
    assert "analysing night.txt" in err and BAR in err and "100%" in err
    # Transient: after its last frame the line is erased and the cursor shown again.
    assert err.rstrip("\n").endswith("\x1b[2K") or "\x1b[2K" in err[err.rindex("100%") :]
    assert BAR not in long_out
    _, err = _hrv(_rr_file(tmp_path / "short.txt", 500), capsys)
    assert err == ""


def test_hrv_never_shows_a_bar_off_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As many CI systems set it: Rich then takes any stream for a terminal, a log too.
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, err = _hrv(_rr_file(tmp_path / "night.txt", progress_bar.LONG_RR_BEATS), capsys)
    assert err == ""


def test_a_long_recording_shows_a_bar_only_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sample is 5 min: short by the rule, long when the rule is 4 min.
    report(SAMPLE, tmp_path / "short.png")
    assert BAR not in capsys.readouterr().err
    monkeypatch.setattr(progress_bar, "LONG_RECORDING_S", 240.0)
    report(SAMPLE, tmp_path / "piped.png")
    err = capsys.readouterr().err
    assert BAR not in err and "\x1b" not in err
    monkeypatch.setattr(progress_bar, "stderr_is_terminal", lambda: True)
    report(SAMPLE, tmp_path / "long.png")
    err = capsys.readouterr().err
    assert "analysing sample-neurokit2-resting.bwr" in err and BAR in err
    assert err.rstrip().endswith(f"report written: {tmp_path / 'long.png'}")


def test_an_import_of_a_long_file_shows_its_bars_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "logger.csv"
    _logger_csv(src, 3.0)
    import_(src, "polar", tmp_path / "short.bwr", "2026-01-01T07:00", history=False)
    assert BAR not in capsys.readouterr().err
    monkeypatch.setattr(progress_bar, "LONG_IMPORT_BYTES", src.stat().st_size)
    monkeypatch.setattr(progress_bar, "LONG_RECORDING_S", 120.0)
    monkeypatch.setattr(progress_bar, "stderr_is_terminal", lambda: True)
    import_(src, "polar", tmp_path / "long.bwr", "2026-01-01T07:00")
    err = capsys.readouterr().err
    assert "importing logger.csv" in err and "adding long.bwr to the history" in err
    assert "added to your history" in err


# ------------------------------------------------------------------------ breathwise breaths
def _belt_file(path: Path, minutes: float, fs: float = 25.0) -> Path:
    """A belt at 10 breaths/min with a time column, as a logger writes it."""
    from benchmarks.validate_breath import Scenario, synthetic_belt

    x, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=minutes * 60, fs_hz=fs), 3)
    t = np.arange(x.size) / fs
    rows = "".join(f"{a:.3f},{b:.5f}\n" for a, b in zip(t, x, strict=True))
    path.write_text("time_s,rsp\n" + rows)
    return path


def _acc_samples(minutes: float, fs: float = 50.0) -> np.ndarray:
    """A chest accelerometer tilting 1.5° a unit of a 10 breaths/min belt, in mG."""
    from benchmarks.validate_breath import Scenario, synthetic_belt

    x, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=minutes * 60, fs_hz=fs), 3)
    angle = np.deg2rad(1.5) * (x - 5.0)
    acc = np.column_stack((1000 * np.sin(angle), -1000 * np.cos(angle), np.full(x.size, 50.0)))
    return acc + np.random.default_rng(0).normal(0, 1.0, acc.shape)


def test_a_belt_is_read_and_analysed_with_progress_and_the_same_result(tmp_path: Path) -> None:
    from trainer.cli.breaths import _analyse_waveform, analyse_samples
    from trainer.storage.waveform_csv import load_waveform

    path = _belt_file(tmp_path / "belt.csv", 10.0)
    calls: list[float] = []
    wave = load_waveform(path, "rsp", progress=calls.append)
    _check_contract(calls)
    assert sum(0.3 < c < 0.95 for c in calls) >= 50  # the rows, counted as numpy parses them
    np.testing.assert_array_equal(wave.samples, load_waveform(path, "rsp").samples)
    calls.clear()
    with_bar = analyse_samples(wave.samples, 25.0, progress=calls.append)
    _check_contract(calls)
    # The detector fed in parts, not one jump at its end: the bar moves during the analysis.
    assert sum(0.0 < c < 0.6 for c in calls) >= 50
    assert with_bar == analyse_samples(wave.samples, 25.0)
    calls.clear()
    whole = _analyse_waveform(path, 25.0, "rsp", "belt", progress=calls.append)
    _check_contract(calls)
    assert whole == _analyse_waveform(path, 25.0, "rsp", "belt")


def test_an_accelerometer_is_analysed_with_progress_and_the_same_result() -> None:
    from trainer.cli.breaths import analyse_samples

    acc = _acc_samples(10.0)
    calls: list[float] = []
    with_bar = analyse_samples(acc, 50.0, source="acc", progress=calls.append)
    _check_contract(calls)
    assert sum(0.0 < c < 0.9 for c in calls) >= 50  # the tracker fed in parts
    assert with_bar.breaths  # breathing found, and the same breaths
    assert with_bar == analyse_samples(acc, 50.0, source="acc")


def test_breathing_from_rr_reports_progress_and_the_same_result(tmp_path: Path) -> None:
    from trainer.cli.breaths import _analyse_rr

    path = _rr_file(tmp_path / "rr.txt", 900)
    calls: list[float] = []
    with_bar = _analyse_rr(path, progress=calls.append)
    _check_contract(calls)
    assert sum(0.01 < c < 0.98 for c in calls) >= 50  # the 64 s windows, counted
    assert with_bar == _analyse_rr(path)


def test_a_waveform_is_sized_before_it_is_read(tmp_path: Path) -> None:
    rows = progress_bar.LONG_WAVEFORM_SAMPLES
    line = b"12.345,0.12345\n"
    plain = tmp_path / "long.csv"
    plain.write_bytes(b"time_s,rsp\n" + line * rows)
    assert progress_bar.waveform_is_long(plain)
    packed = tmp_path / "long.csv.gz"  # known by its magic bytes, as the reader knows it
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert progress_bar.waveform_is_long(packed)
    short = tmp_path / "short.csv"
    short.write_bytes(b"time_s,rsp\n" + line * (rows // 2))
    assert not progress_bar.waveform_is_long(short)
    assert not progress_bar.waveform_is_long(tmp_path / "missing.csv")
    assert not progress_bar.waveform_is_long(tmp_path)  # a folder: the reader says so


def _breaths(capsys: pytest.CaptureFixture[str], **options: Any) -> tuple[str, str]:
    from trainer.cli.breaths import breaths

    breaths(**options)
    out, err = capsys.readouterr()
    return out, err


@pytest.mark.parametrize("kind", ["rr", "belt", "acc"])
def test_breaths_on_long_work_shows_a_bar_only_on_a_terminal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    # Long by rules lowered to these files' length (a real day takes minutes).
    monkeypatch.setattr(progress_bar, "LONG_RR_BEATS", 900)
    monkeypatch.setattr(progress_bar, "LONG_WAVEFORM_SAMPLES", 15_000)
    options: dict[str, Any]
    if kind == "rr":
        path = _rr_file(tmp_path / "night.txt", 900)
        options = {"rr": path, "format": "csv"}
    elif kind == "belt":
        # Upside down: a warning to say while the bar is up.
        path = _belt_file(tmp_path / "night.csv", 10.0)
        options = {"input": path, "fs": 25.0, "format": "csv", "invert": True}
    else:
        path = tmp_path / "night.csv"
        np.savetxt(path, _acc_samples(5.0), fmt="%.2f", delimiter=",", header="x,y,z", comments="")
        options = {"input": path, "fs": 50.0, "source": "acc"}
    # As many CI systems set it: Rich then takes any stream for a terminal, a log too.
    monkeypatch.setenv("FORCE_COLOR", "1")
    piped_out, piped_err = _breaths(capsys, **options)
    assert BAR not in piped_err and "\x1b" not in piped_err
    assert ("breathwise: warning" in piped_err) == (kind == "belt")
    monkeypatch.setattr(progress_bar, "stderr_is_terminal", lambda: True)
    # What the bar is told, beside what it draws (Rich redraws 10 times a second, so the
    # frames of a short test run are few).
    told: list[float] = []
    real_bar = progress_bar.long_work_bar

    @contextlib.contextmanager
    def spied(description: str, long: bool) -> Iterator[ProgressCallback | None]:
        with real_bar(description, long) as progress:
            assert progress is not None

            def tell(fraction: float) -> None:
                told.append(fraction)
                progress(fraction)

            yield tell

    monkeypatch.setattr(progress_bar, "long_work_bar", spied)
    out, err = _breaths(capsys, **options)
    assert f"analysing {path.name}" in err and BAR in err and "100%" in err
    assert "\x1b[2K" in err[err.rindex("100%") :]  # erased when done
    if kind == "belt":
        # Said once the bar is gone, on a line of its own, not glued to its last frame.
        assert err.index("breathwise: warning") > err.rindex("\x1b[2K")
        assert err.endswith(piped_err)
    # The bar moved through the work, not from nothing to all of it at the end.
    _check_contract(told)
    assert sum(0.05 < c < 0.95 for c in told) >= 50, told
    monkeypatch.setattr(progress_bar, "long_work_bar", real_bar)
    assert out == piped_out  # standard output byte for byte the same, bar or not
    # Short by the rules: no bar even on a terminal.
    monkeypatch.setattr(progress_bar, "LONG_RR_BEATS", 901)
    monkeypatch.setattr(progress_bar, "LONG_WAVEFORM_SAMPLES", 10**9)
    out, err = _breaths(capsys, **options)
    assert BAR not in err and out == piped_out
