"""Progress on long work: the fraction done of an analysis, and the bar the commands show.

The analysis steps take an optional ``progress`` callback (analysis.progress): it is called
at most about 100 times, never goes back, ends at 1.0, and changes no result. The commands show
a transient bar on standard error only for long data on a terminal
(trainer.cli.progress_bar): never for a short session, never in a pipe or a log.
"""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import write_simulated

from analysis.coherence import measured_coherence
from analysis.hrv_report import analyse_rr
from analysis.progress import REPORTS, ProgressSteps, counted
from trainer.cli import progress_bar
from trainer.cli.exchange import import_
from trainer.cli.hrv import hrv
from trainer.cli.report import report
from trainer.reports.session_analysis import SessionAnalysis, analyse_recording
from trainer.storage.export import export_recording
from trainer.storage.importers import import_recording
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
