"""``breathwise hrv``: output formats and one-line errors on bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from rr_files import polar_logger_rr
from synthetic_ecg import ECG_FS_HZ, ecg_only_csv

from analysis.hrv_report import analyse_rr
from trainer import __version__
from trainer.cli import hrv as hrv_cli
from trainer.errors import BadArgument, UserError
from trainer.storage.imports.ecg_beats import ECG_BEATS_FROM, ecg_beats_note

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("hrv")(hrv_cli.hrv)
    app.command("other")(lambda: None)  # two commands, so "hrv" is a subcommand as in breathwise
    return app


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    make_app()(args=["hrv", *args], standalone_mode=False)
    return capsys.readouterr().out


def rr_series(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.cumsum(np.full(n, 0.85))
    return 850.0 + 40.0 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0.0, 10.0, n)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_json_has_the_documented_structure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rr = rr_series()
    rr[150] *= 0.6  # one premature beat
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    assert set(out) == {"beats", "nn_ms", "metrics", "settings", "warnings"}
    assert len(out["beats"]) == rr.size
    assert set(out["beats"][0]) == {"rr_ms", "label"}
    assert out["beats"][150]["label"] != "normal"
    assert out["metrics"]["time"]["rmssd_ms"] > 0
    assert out["metrics"]["frequency"]["lf_hf"] > 0
    assert out["settings"]["frequency"]["resampling_hz"] == 4.0
    assert out["settings"]["artifacts"]["method"] == "Lipponen & Tarvainen 2019"
    # Provenance: which version's methods made these numbers (found missing in review).
    assert out["settings"]["software"] == f"breathwise {__version__}"


def test_seconds_column_table_and_csv_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rr = rr_series(200)
    table = "time,RR_ms,hr\n" + "".join(f"{i},{v / 1000:.4f},70\n" for i, v in enumerate(rr))
    f = write(tmp_path / "rr.csv", table)
    ms = json.loads(call([str(f), "--unit", "s"], capsys))
    assert [b["rr_ms"] for b in ms["beats"]] == pytest.approx((rr / 1000).round(4) * 1000)
    named_s = write(tmp_path / "rr_s.csv", "rr_s\n" + "".join(f"{v / 1000}\n" for v in rr))
    assert json.loads(call([str(named_s)], capsys))["beats"][0]["rr_ms"] == pytest.approx(rr[0])
    csv_out = call([str(f), "--unit", "s", "--format", "csv"], capsys)
    lines = csv_out.splitlines()
    header = lines.index("index,rr_ms,label")
    assert all(line.startswith("# ") for line in lines[:header])
    assert any(line.startswith("# metrics.time.rmssd_ms=") for line in lines)
    assert len(lines) - header - 1 == rr.size


def test_gzip_file_with_empty_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "time_ns,ecg_mV,rr_ms\n" + "".join(
        f"{i},0.1,{'' if i % 3 else 800 + i % 7}\n" for i in range(300)
    )
    f = tmp_path / "rec.csv.gz"
    f.write_bytes(gzip.compress(rows.encode()))
    out = json.loads(call([str(f)], capsys))
    assert len(out["beats"]) == 100


def test_nan_cells_of_a_table_with_one_row_per_sample_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write(
        tmp_path / "t.csv",
        "t,rr_ms\n" + "".join(f"{i},{800 if i % 2 else 'nan'}\n" for i in range(40)),
    )
    assert len(json.loads(call([str(f)], capsys))["beats"]) == 20


BAD_INPUTS = [
    ("missing", None, "no such file"),
    ("empty.txt", "", "no RR intervals"),
    ("comments.txt", "# nothing here\n\n", "no RR intervals"),
    ("text.txt", "hello\nworld\n", ":2: 'world' is not a number"),
    ("negative.txt", "800\n-812\n790\n", ":2: RR interval -812 is not positive"),
    ("zero.txt", "800\n0\n", ":2: RR interval 0 is not positive"),
    ("absurd.txt", "800\n12000\n", ":2: RR interval 12000 ms is outside 200-3000 ms"),
    ("seconds.txt", "0.8\n0.81\n", "the values look like seconds: use --unit s"),
    # The unit is told by the median, as import's (once by the first value refused: a
    # 12.4 s dropout first in a list of seconds got no hint).
    ("dropout_first.txt", "12.4\n0.8\n0.81\n", "the values look like seconds: use --unit s"),
    ("columns.csv", "a,b\n1,2\n", "cannot tell which column holds the RR intervals"),
    ("noheader.csv", "800,1\n810,2\n", "2 columns and no header"),
    ("binary.bin", "\x00\x01\x02", "not a text file"),
    ("header_only.csv", "rr_ms\n\n", "only a header or empty cells"),
    ("inf.txt", "800\ninf\n", ":2: 'inf' is not a number"),
    # A nan in a one-column list is a lost interval, not a row without a beat: once skipped.
    ("nan.txt", "800\n810\nnan\n790\n", ":3: 'nan' is not a number: a missing RR interval"),
    ("nan_named.txt", "rr_ms\n800\nNaN\n790\n", ":3: 'NaN' is not a number: a missing RR"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_INPUTS)
def test_bad_input_is_one_clear_line_naming_the_file(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as info:
        make_app()(args=["hrv", str(path)], standalone_mode=False)
    message = info.value.user_message()
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_bad_options_are_bad_arguments(tmp_path: Path) -> None:
    f = write(tmp_path / "rr.txt", "800\n810\n")
    with pytest.raises(BadArgument, match="--unit must be 'ms' or 's'"):
        make_app()(args=["hrv", str(f), "--unit", "min"], standalone_mode=False)
    with pytest.raises(BadArgument, match="--format must be 'json' or 'csv'"):
        make_app()(args=["hrv", str(f), "--format", "xml"], standalone_mode=False)
    with pytest.raises(UserError, match="use --unit ms"):
        make_app()(args=["hrv", str(f), "--unit", "s"], standalone_mode=False)


def test_through_the_breathwise_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``breathwise``'s own entry point: errors are one line on stderr, exit 1."""
    from trainer.cli import app as cli

    bad = write(tmp_path / "bad.txt", "800\nabc\n")
    assert cli.run(["hrv", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "bad.txt:2" in err
    good = write(tmp_path / "good.txt", "\n".join(str(v) for v in rr_series(50)))
    assert cli.run(["hrv", str(good)]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["n_intervals"] == 50


@pytest.mark.shared_data
def test_real_polar_session_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "polar_h10_pvc" / "polar_h10_pvc.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/data is absent")
    out = json.loads(call([str(path)], capsys))
    assert out["metrics"]["n_intervals"] == 798
    # A session with frequent PVCs: most intervals touch one, and the output says so.
    assert out["metrics"]["artifacts"]["artifact_pct"] > 40
    assert any("artifacts" in w for w in out["warnings"])


def test_a_decimal_comma_table_reads_as_the_same_intervals(tmp_path: Path) -> None:
    """A spreadsheet in a European locale: columns split by ';' (or tabs), 806,5 for 806.5."""
    rr = np.round(rr_series(), 1)
    points = write(tmp_path / "points.txt", "\n".join(f"{v:.1f}" for v in rr))
    for sep in (";", "\t"):
        rows = "\n".join(f"{i}{sep}{v:.1f}".replace(".", ",") for i, v in enumerate(rr))
        commas = write(tmp_path / "commas.csv", f"beat{sep}rr_ms\n{rows}\n")
        assert hrv_cli.read_rr_file(commas).values_ms == pytest.approx(
            hrv_cli.read_rr_file(points).values_ms
        )
    # One column with a comma cannot be told from two columns: the error says what to do.
    single = write(tmp_path / "single.txt", "\n".join(f"{v:.1f}".replace(".", ",") for v in rr))
    first = f"{rr[0]:.1f}"
    with pytest.raises(UserError, match=rf"\({first.replace('.', ',')} for {first}\? write a"):
        hrv_cli.read_rr_file(single)


def test_polar_sensor_logger_rr_export_is_read(tmp_path: Path) -> None:
    """Polar Sensor Logger's RR file (``Phone timestamp;RR-interval [ms]``), which import
    already knew, was refused by hrv and breaths --rr: 'cannot tell which column'."""
    rr = [900.0, 912.0, 887.0, 905.0]
    f = tmp_path / "Polar_H10_RR.txt"
    f.write_text(
        "Phone timestamp;RR-interval [ms]\n"
        + "".join(f"2024-01-01T10:00:{i:02d}.000;{v:.0f}\n" for i, v in enumerate(rr))
    )
    assert hrv_cli.read_rr_file(f).values_ms == rr
    g = tmp_path / "seconds.csv"
    g.write_text("time,RR (s)\n" + "".join(f"{i},{v / 1000}\n" for i, v in enumerate(rr)))
    assert hrv_cli.read_rr_file(g).values_ms == pytest.approx(rr)


def test_unit_wins_over_the_column_name_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--unit s over a column named rr_ms was taken without a word, while a column named rr_s
    won over --unit ms and was refused ("rename it rr_ms"), and import refused --unit for any
    table. Now --unit wins over the name either way, with one note on standard error, as
    import says it; without it, the refusal offers both remedies."""
    rr = np.round(rr_series(200), 1)
    in_s = "".join(f"{i},{v / 1000:.4f}\n" for i, v in enumerate(rr))
    ms_named = write(tmp_path / "ms.csv", "time,rr_ms\n" + in_s)
    s_named = write(tmp_path / "s.csv", "rr_s\n" + "".join(f"{v:.1f}\n" for v in rr))
    cases = [
        (
            ms_named,
            "s",
            "the column's name (rr_ms) says milliseconds; the values are read as "
            "seconds because of --unit s",
        ),
        (
            s_named,
            "ms",
            "the column's name (rr_s) says seconds; the values are read as "
            "milliseconds because of --unit ms",
        ),
    ]
    for f, unit, note in cases:
        make_app()(args=["hrv", str(f), "--unit", unit], standalone_mode=False)
        captured = capsys.readouterr()
        beats = json.loads(captured.out)["beats"]
        assert [b["rr_ms"] for b in beats] == pytest.approx(rr, abs=0.1)
        # The warnings (VLF under 5 min) follow the one note.
        assert captured.err.splitlines()[0] == f"note: {note}"
        assert not [line for line in captured.err.splitlines()[1:] if "warning: " not in line]
    with pytest.raises(UserError) as refused:
        hrv_cli.read_rr_file(s_named)
    assert refused.value.user_message().endswith("— use --unit ms, or rename the column rr_ms")


def test_a_slow_heart_is_warned_that_hf_is_not_resolved(tmp_path: Path) -> None:
    """At 40 beats/min the beats resolve rhythms up to 0.33 Hz: HF (to 0.4 Hz) was reported
    without a word; at 60 beats/min there is nothing to say."""
    rng = np.random.default_rng(5)

    def hf_warnings(mean_ms: float) -> list[str]:
        rr = mean_ms + rng.normal(0.0, 20.0, round(300_000 / mean_ms))
        found: list[str] = analyse_rr(rr)["warnings"]
        return [w for w in found if "resolve heart rhythms up to" in w]

    (slow,) = hf_warnings(1500.0)
    assert slow.startswith("at a mean heart rate of 40 beats/min") and "0.33 Hz" in slow
    assert hf_warnings(1000.0) == []


def test_two_missed_beats_in_a_row_keep_the_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One interval spanning three beats (a strap losing contact for two) was interpolated as
    one interval: the NN series, the clock of the spectrum and the coherence, ended 1.6 s
    early. It is split into three beats, and the NN series lasts as long as the recording."""
    clean = rr_series()
    rr = np.r_[clean[:150], clean[150:153].sum(), clean[153:]]
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    assert out["beats"][150]["label"] == "missed"
    assert out["metrics"]["duration_s"] == pytest.approx(np.round(rr, 1).sum() / 1000.0)
    assert sum(out["nn_ms"]) == pytest.approx(np.round(rr, 1).sum())
    assert len(out["nn_ms"]) == clean.size
    end_s = out["metrics"]["coherence"]["window_end_s"]
    assert end_s == pytest.approx(np.round(rr, 1).sum() / 1000.0)


def test_counts_say_what_they_count_in_json_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``metrics.n_nn`` (values of nn_ms) sat beside ``metrics.time.n_nn`` (intervals the
    time-domain metrics use): one name, two counts. Each now names what it counts."""
    from analysis.rr_artifacts import correct_rr

    clean = rr_series()
    rr = np.r_[clean[:100], clean[100:102].sum(), clean[102:200], 0.6 * clean[200], clean[201:]]
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    metrics = out["metrics"]
    corrected = correct_rr(np.round(rr, 1))
    assert metrics["n_intervals"] == len(out["beats"]) == rr.size
    assert metrics["n_nn_values"] == len(out["nn_ms"]) == rr.size + 1  # one missed beat split
    assert metrics["time"]["n_original_nn"] == int((~corrected.nn_corrected).sum())
    assert metrics["time"]["n_original_nn"] < metrics["n_nn_values"]
    assert "n_nn" not in metrics and "n_nn" not in metrics["time"]
    lines = call([str(f), "--format", "csv"], capsys).splitlines()
    assert f"# metrics.n_nn_values={rr.size + 1}" in lines
    assert any(line.startswith("# metrics.time.n_original_nn=") for line in lines)
    assert not any(".n_nn=" in line for line in lines)


def test_coherence_block_says_its_window_and_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 0-10 score over the last 64 s was explained only under ``settings``: the block now
    carries its window, what it was computed over and its scale, in JSON and CSV."""
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr_series()) + "\n")
    out = json.loads(call([str(f)], capsys))
    coherence = out["metrics"]["coherence"]
    assert coherence["window_s"] == 64.0
    assert coherence["window_end_s"] == pytest.approx(out["metrics"]["duration_s"])
    assert coherence["window_start_s"] == pytest.approx(coherence["window_end_s"] - 64.0)
    assert "last 64 s of the corrected NN series" in coherence["computed_over"]
    assert coherence["score_scale"].startswith("0-10")
    assert "McCraty" in coherence["ratio_definition"]
    assert 0.0 <= coherence["score"] <= 10.0
    assert "applied_to" not in out["settings"]["coherence"]  # said once, in the block
    lines = call([str(f), "--format", "csv"], capsys).splitlines()
    assert any(line.startswith("# metrics.coherence.score_scale=") for line in lines)
    assert any(line.startswith("# metrics.coherence.window_start_s=") for line in lines)


def test_a_dropout_past_3000_ms_is_corrected_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A strap that loses two beats at 1100 ms sends one 3300 ms interval: the whole file was
    refused ('outside 200-3000 ms'), every good beat in it lost. Now the interval is kept, the
    correction splits it into its three beats, and a warning names the line."""
    rr = np.round(1100.0 + 40.0 * np.sin(np.arange(300) * 0.5))
    rr = np.r_[rr[:100], rr[100:103].sum(), rr[103:200], 90.0, rr[200:]]
    f = write(tmp_path / "dropout.txt", "\n".join(f"{v:g}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    assert [b["label"] for b in out["beats"]][100] == "missed"
    assert out["warnings"][0] == (
        "2 intervals outside 200-3000 ms (the first on line 101: 3326 ms) kept for the "
        "artifact correction: missed beats or a lost contact if long, a spurious beat if short"
    )
    assert out["beats"][198]["label"] != "normal"  # the 90 ms one
    # A file of mostly implausible values keeps being refused: its unit is wrong.
    with pytest.raises(UserError, match=r"outside 200-3000 ms, and so are at least half"):
        call([str(write(tmp_path / "us.txt", "800\n12000\n13000\n"))], capsys)


def test_a_recording_is_named_as_one_with_the_command_that_exports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a .bwr, hrv quoted its whole JSON header as a 745-character list of "columns"."""
    from trainer.cli import app as cli

    sample = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"
    marked = tmp_path / "marked.bwr"  # saved again by an editor that adds a byte-order mark
    marked.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes()[:300])  # and cut short
    for path in (sample, marked):
        assert cli.run(["hrv", str(path)]) == 1
        err = capsys.readouterr().err
        assert err == (
            f"breathwise: error: {path}: this is a Breathwise recording, not an RR file — "
            f"'breathwise export {path}' writes its beats (RR) and waveforms as CSV files\n"
        )


def _ectopic_series(seed: int = 3) -> np.ndarray:
    """Ten minutes at ~800 ms with 0.1 Hz and 0.25 Hz rhythms and one premature beat every
    23 beats (short interval then a compensatory long one): the correction interpolates both,
    which changes the total of the series by seconds."""
    rng = np.random.default_rng(seed)
    k = np.arange(750)
    rr = 800.0 + 40.0 * np.sin(2 * np.pi * 0.08 * k) + 25.0 * np.sin(2 * np.pi * 0.2 * k)
    rr += rng.normal(0.0, 5.0, k.size)
    for i in range(20, k.size - 2, 23):
        rr[i], rr[i + 1] = 0.55 * rr[i], 1.6 * rr[i + 1]
    rounded: np.ndarray = rr.round(1)
    return rounded


def test_interpolated_ectopics_keep_the_input_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hrv`` timed the corrected series at cumsum(NN), which drifts by what interpolation
    changed (-17.2 s on MIT-BIH 119): ``duration_s`` and the coherence window ended seconds
    before the recording. Both are now on the input's clock, the running sum of RR."""
    rr = _ectopic_series()
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    assert out["metrics"]["artifacts"]["counts"]["normal"] < rr.size - 40
    assert abs(sum(out["nn_ms"]) - rr.sum()) > 2000.0  # the drift cumsum(NN) would carry
    assert out["metrics"]["duration_s"] == pytest.approx(rr.sum() / 1000.0)
    assert out["metrics"]["coherence"]["window_end_s"] == pytest.approx(rr.sum() / 1000.0)
    assert "running sum of RR" in out["metrics"]["coherence"]["computed_over"]
    assert "running sum of RR" in out["settings"]["frequency"]["series"]


def test_hrv_and_the_session_report_agree_on_identical_beats() -> None:
    """``hrv`` and the report gave different LF/HF for the same beats (MIT-BIH 119 HF 174.8
    against 158.7 ms^2): two clocks. Both now read one spectrum and one coherence function on
    the input's beat times."""
    from analysis.coherence import coherence_at
    from analysis.hrv_report import analyse_rr
    from trainer.reports.session_analysis import heart_metrics

    rr = _ectopic_series()
    beat_t_s = np.cumsum(rr) / 1000.0
    heart = heart_metrics(beat_t_s, rr, [])
    out = analyse_rr(rr)
    freq = out["metrics"]["frequency"]
    assert freq["lf_ms2"] == heart.lf_power_ms2
    assert freq["hf_ms2"] == heart.hf_power_ms2
    assert freq["lf_hf"] == heart.lf_hf
    coherence = out["metrics"]["coherence"]
    last = coherence_at(heart.nn_t_s, heart.nn_ms)
    assert coherence["window_end_s"] == last.t_end_s == pytest.approx(beat_t_s[-1])
    assert coherence["ratio"] == last.ratio and coherence["score"] == last.score
    # The report's series reads the same function on the same clock: at one of its instants.
    te = float(heart.coherence_t_s[-1])
    assert coherence_at(heart.nn_t_s, heart.nn_ms, te).ratio == heart.coherence[-1]


def test_a_beat_off_its_interval_is_no_hole_and_a_hole_keeps_its_intervals() -> None:
    """Review 21 F1: a late notification carrying two intervals moves a beat back by about half
    a second; the report left that measured interval out of mean HR, SDNN and RMSSD (one beat
    in 50 of a sim session: RMSSD 43.82 against `hrv`'s 43.33 ms), though nothing was an
    artifact and the docs promise the two agree without a hole over 3 s."""
    from analysis.hrv_report import analyse_rr
    from trainer.reports.session_analysis import heart_metrics

    rng = np.random.default_rng(21)
    rr = np.round(850.0 + 40.0 * np.sin(np.arange(300) / 2.0) + rng.normal(0, 10, 300), 3)
    beat_t_s = np.cumsum(rr) / 1000.0
    beat_t_s[100] -= 0.607  # the timeline's clamp: 247 ms after the beat before it
    heart = heart_metrics(beat_t_s, rr, [])
    time = analyse_rr(rr)["metrics"]["time"]
    assert heart.rmssd_ms == pytest.approx(time["rmssd_ms"], rel=1e-12)
    assert heart.sdnn_ms == pytest.approx(time["sdnn_ms"], rel=1e-12)
    assert heart.mean_hr_bpm == pytest.approx(time["mean_hr_bpm"], rel=1e-12)
    # A hole of 20 s (a lost contact) before beat 200: both intervals either side still count,
    # only their difference is left out.
    holed_t = np.cumsum(rr) / 1000.0
    holed_t[200:] += 20.0
    holed = heart_metrics(holed_t, rr, [])
    d = np.diff(rr)
    across = np.delete(d, 199)
    assert holed.sdnn_ms == pytest.approx(time["sdnn_ms"], rel=1e-12)
    assert holed.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(across**2))), rel=1e-12)
    # Beats lost without a 3 s hole (review 22 F5): a step 1.9 s beyond its interval (2.75 s
    # in all), past where the beat clock re-anchors, is a loss too.
    lost_t = np.cumsum(rr) / 1000.0
    lost_t[200:] += 1.9
    lost = heart_metrics(lost_t, rr, [])
    assert lost.rmssd_ms == pytest.approx(holed.rmssd_ms, rel=1e-12)


def test_across_a_gap_its_time_column_shows_hrv_gives_the_reports_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 30 F5: with a 40 s hole, `hrv` warned of the gap and joined the intervals across
    it all the same (LF 2565 ms^2, where the report of the same beats read 1238, the longest
    stretch without it). It takes the file's beat times now, as the report does."""
    from trainer.reports.session_analysis import heart_metrics

    rr = np.round(rr_series(700), 0)
    f = write(tmp_path / "polar.txt", polar_logger_rr(rr, 300, 40.0))
    out = json.loads(call([str(f)], capsys))
    beat_t_s = np.cumsum(rr) / 1000.0
    beat_t_s[300:] += 40.0
    heart = heart_metrics(beat_t_s, rr, [])
    time, freq = out["metrics"]["time"], out["metrics"]["frequency"]
    assert time["rmssd_ms"] == pytest.approx(heart.rmssd_ms, rel=1e-12)
    assert freq["lf_ms2"] == pytest.approx(heart.lf_power_ms2, rel=1e-12)
    assert freq["hf_ms2"] == pytest.approx(heart.hf_power_ms2, rel=1e-12)
    assert any(w.startswith("frequency-domain metrics computed over") for w in out["warnings"])
    # The joined series' numbers, as before: not these.
    joined = analyse_rr(rr)["metrics"]
    assert joined["time"]["n_diffs"] == time["n_diffs"] + 1  # the difference across the gap
    assert joined["frequency"]["lf_ms2"] != pytest.approx(freq["lf_ms2"], rel=1e-3)


def test_hrv_gives_the_session_mean_coherence_the_report_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The docs said ``hrv`` and the report give the same coherence for the same beats, but
    ``hrv`` gave the last 64 s (0.092 / 0.5 on NeuroKit2's 8 min resting ECG) and the report,
    summary.csv and the history the mean of the 5 s series (0.342 / 2.19; review). ``hrv`` now
    gives both, each named."""
    from trainer.reports.session_analysis import heart_metrics

    rng = np.random.default_rng(4)
    t_s = np.cumsum(np.full(400, 0.85))
    # Coherent for the first half, then a white-noise rhythm: the two measures differ.
    rr = np.where(t_s < 170.0, 850.0 + 50.0 * np.sin(2 * np.pi * 0.1 * t_s), 850.0)
    rr = np.round(rr + rng.normal(0.0, np.where(t_s < 170.0, 5.0, 40.0)), 3)  # as written
    heart = heart_metrics(np.cumsum(rr) / 1000.0, rr, [])
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.3f}" for v in rr) + "\n")
    coherence = json.loads(call([str(f)], capsys))["metrics"]["coherence"]
    assert coherence["session_mean_ratio"] == pytest.approx(heart.mean_coherence, rel=1e-12)
    assert coherence["session_mean_score"] == pytest.approx(heart.mean_coherence_score, rel=1e-12)
    assert coherence["session_windows"] == heart.coherence.size > 20
    assert coherence["session_mean_score"] > coherence["score"] + 2.0  # not the last window
    assert (
        "the coherence of the session report, summary.csv and the history"
        in (coherence["session_mean_over"])
    )
    lines = call([str(f), "--format", "csv"], capsys).splitlines()
    assert any(line.startswith("# metrics.coherence.session_mean_score=") for line in lines)


def test_a_long_dropout_limits_the_spectrum_to_the_longest_stretch_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 40 s lost contact, which ``hrv`` now accepts and corrects, became one interpolated
    interval: on cumsum(NN) the gap vanished and the spline ran the spectrum across it. The
    spectrum now covers the longest stretch without a gap over 3 s, as the report's does, and a
    warning names it."""
    from analysis.hrv_report import analyse_rr
    from trainer.reports.session_analysis import heart_metrics

    clean = rr_series(n=600)
    rr = np.r_[clean[:450], 40000.0, clean[450:]]
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    start_s, end_s = rr[0] / 1000.0, rr[:450].sum() / 1000.0
    stretch = [w for w in out["warnings"] if w.startswith("frequency-domain metrics computed")]
    assert stretch == [
        f"frequency-domain metrics computed over the beats from {start_s:.1f} s to "
        f"{end_s:.1f} s (450 of 601 NN values), the longest stretch without a gap over 3 s only"
    ]
    assert out["metrics"]["duration_s"] == pytest.approx(rr.sum() / 1000.0)
    assert f"{start_s:.1f}-{end_s:.1f} s" in out["settings"]["frequency"]["series"]
    heart = heart_metrics(np.cumsum(rr) / 1000.0, rr, [])
    assert analyse_rr(rr)["metrics"]["frequency"]["hf_ms2"] == heart.hf_power_ms2


def test_the_published_artifact_rules_can_be_chosen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A researcher comparing with another tool could not switch this tool's guards off from
    the command line (data review)."""
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr_series()) + "\n")
    guarded = json.loads(call([str(f)], capsys))["settings"]["artifacts"]
    paper = json.loads(call([str(f), "--artifacts", "published"], capsys))["settings"]["artifacts"]
    assert guarded["min_threshold_fraction"] == 0.05 and guarded["max_missed_beats"] == 3
    assert paper["min_threshold_fraction"] is None and paper["max_threshold_fraction"] is None
    assert paper["max_missed_beats"] == 1 and paper["run_beats"] == 0
    with pytest.raises(BadArgument, match="--artifacts must be 'default', 'published' or 'none'"):
        call([str(f), "--artifacts", "off"], capsys)


def test_artifacts_none_takes_every_interval_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 30 F3: the validation's pyhrv column is on the raw series, which no option gave:
    `hrv` read RMSSD 54.959 where the report lists 60.523. ``--artifacts none`` looks for no
    artifact, and says so."""
    rr = np.round(rr_series(), 1)
    rr[100] *= 2.0  # a missed beat
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    fixed = json.loads(call([str(f)], capsys))
    raw = json.loads(call([str(f), "--artifacts", "none"], capsys))
    assert fixed["beats"][100]["label"] == "missed"
    assert {b["label"] for b in raw["beats"]} == {"normal"}
    assert raw["nn_ms"] == pytest.approx(rr.tolist())
    assert raw["metrics"]["artifacts"]["artifact_pct"] is None
    assert raw["settings"]["artifacts"] == {"method": "none: every interval taken as it is"}
    assert any(w.startswith("artifacts not looked for (--artifacts none)") for w in raw["warnings"])
    diffs = np.diff(rr)
    assert raw["metrics"]["time"]["rmssd_ms"] == pytest.approx(np.sqrt(np.mean(diffs**2)))
    assert fixed["metrics"]["time"]["rmssd_ms"] < 0.8 * raw["metrics"]["time"]["rmssd_ms"]


def test_artifacts_none_gives_pyhrvs_published_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/validation/hrv.md section 4: pyhrv's report for SampleNNISeriesLong, RMSSD 60.523 and
    SDNN 85.357 ms, from the command line."""
    source = DATA / "pyhrv" / "SampleNNISeriesLong.npy"
    if not source.exists():
        pytest.skip(f"{source} is not here (../shared/data beside the repository)")
    f = write(tmp_path / "long.txt", "\n".join(repr(float(v)) for v in np.load(source)) + "\n")
    time = json.loads(call([str(f), "--artifacts", "none"], capsys))["metrics"]["time"]
    assert (round(time["rmssd_ms"], 3), round(time["sdnn_ms"], 3)) == (60.523, 85.357)


def test_vlf_is_null_under_five_minutes_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """4 min gave a VLF power and a total including it, which the Task Force (1996) calls
    dubious from recordings of 5 min or less; now null in JSON and CSV, with a warning."""
    rr = rr_series(n=280)  # 238 s
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    out = json.loads(call([str(f)], capsys))
    freq = out["metrics"]["frequency"]
    assert freq["vlf_ms2"] is None and freq["peak_vlf_hz"] is None
    assert freq["total_ms2"] == pytest.approx(freq["lf_ms2"] + freq["hf_ms2"])
    assert any(w.startswith("VLF not computed") for w in out["warnings"])
    csv_text = call([str(f), "--format", "csv"], capsys)
    assert "# metrics.frequency.vlf_ms2=null\n" in csv_text
    long = analyse_rr(rr_series(n=400))  # 340 s
    assert long["metrics"]["frequency"]["vlf_ms2"] is not None
    assert not any(w.startswith("VLF") for w in long["warnings"])


def test_too_short_a_series_is_reported_uncorrected_with_a_warning() -> None:
    report = analyse_rr(np.array([800.0, 1600.0, 800.0]))
    assert report["nn_ms"] == [800.0, 1600.0, 800.0]
    assert any("left uncorrected" in w for w in report["warnings"])


def test_an_empty_line_between_intervals_is_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read as nothing, it joined the beats around it (a false successive difference), where
    ``nan`` on that line is refused."""
    rr = [f"{v:.1f}" for v in rr_series()]
    f = write(tmp_path / "rr.txt", "\n".join([*rr[:150], "", *rr[150:]]) + "\n\n")
    with pytest.raises(UserError, match=r"rr\.txt:151: an empty line between intervals"):
        call([str(f)], capsys)
    # Before and after the list, and in a table whose RR cells may be empty, it is layout.
    around = write(tmp_path / "around.txt", "\n# rr\n\n" + "\n".join(rr) + "\n\n")
    assert len(hrv_cli.read_rr_file(around).values_ms) == len(rr)
    table = write(tmp_path / "t.csv", "t,rr_ms\n" + "\n".join([f"0,{rr[0]}", "", f"1,{rr[1]}"]))
    assert len(hrv_cli.read_rr_file(table).values_ms) == 2


def test_a_gap_the_timestamps_show_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Polar Sensor Logger RR file whose Phone timestamps jump 10 min: import kept the gap,
    hrv joined the beats without a word."""
    rr = rr_series(600)
    f = write(tmp_path / "polar.txt", polar_logger_rr(rr, 300, 600.0))
    out = json.loads(call([str(f)], capsys))
    assert out["metrics"]["n_intervals"] == 600
    gap = out["warnings"][0]
    assert "'Phone timestamp' shows beats lost in 1 gap (600.0 s" in gap, gap
    assert "before line 302" in gap and "no successive difference is taken across a gap" in gap
    # Without a gap, nothing is said.
    steady = write(
        tmp_path / "steady.txt",
        "timestamp [ms];RR-interval [ms]\n"
        + "".join(
            f"{1000 * t:.0f};{v:.0f}\n" for t, v in zip(np.cumsum(rr) / 1000.0, rr, strict=True)
        ),
    )
    out = json.loads(call([str(steady)], capsys))
    assert not [w for w in out["warnings"] if "gap" in w and "time column" in w]
    # A time that is not one costs the check, not the file hrv read before times were read.
    text = polar_logger_rr(rr, 300, 600.0).splitlines()
    text[5] = "2024-03-01T00:00:60.000;" + text[5].split(";")[1]
    odd = write(tmp_path / "odd.txt", "\n".join(text) + "\n")
    out = json.loads(call([str(odd)], capsys))
    assert out["metrics"]["n_intervals"] == 600
    assert (
        "'Phone timestamp' is not used (line 6: '2024-03-01T00:00:60.000' is not a valid"
        in (out["warnings"][0])
    )


def test_warnings_go_to_standard_error_as_breaths_prints_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hrv's warnings were only in its output: a run writing the JSON to a file showed
    nothing of a gap or of 20 % of beats corrected (found in review), where ``breaths`` and
    ``breaths --rr`` print theirs on standard error. Each is printed once, as they print it."""
    rr = rr_series(600)
    rr[::5] *= 0.6  # one premature beat in five: far over the 5 % of artifacts
    f = write(tmp_path / "polar.txt", polar_logger_rr(rr, 300, 600.0))
    for fmt in ("json", "csv"):
        make_app()(args=["hrv", str(f), "--format", fmt], standalone_mode=False)
        captured = capsys.readouterr()
        if fmt == "json":
            warnings = json.loads(captured.out)["warnings"]
        else:
            warnings = [
                line.removeprefix("# warning: ")
                for line in captured.out.splitlines()
                if line.startswith("# warning: ")
            ]
        assert any("shows beats lost in 1 gap" in w for w in warnings), warnings
        assert any("corrected as artifacts, over 5 %" in w for w in warnings), warnings
        assert captured.err.splitlines() == [f"breathwise: warning: {f}: {w}" for w in warnings]
    # Without a warning, standard error stays empty.
    quiet = write(tmp_path / "quiet.txt", "\n".join(f"{v:.1f}" for v in rr_series(450)) + "\n")
    assert json.loads(call([str(quiet)], capsys))["warnings"] == []
    assert capsys.readouterr().err == ""


def test_a_series_under_a_minute_of_beats_is_flagged_as_report_and_history_flag_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hrv gave the RMSSD of a 30 s file with no warning while the history marked it "!" and
    the report said "unreliable: 32 s of beats" (found in review): one rule for all three."""
    from trainer.cli.app import run
    from trainer.reports.report import _rmssd_note
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.history import list_sessions

    short = write(tmp_path / "s30.txt", "\n".join(f"{v:.0f}" for v in rr_series(35)) + "\n")
    out = json.loads(call([str(short)], capsys))
    assert out["metrics"]["time"]["rmssd_ms"] is not None
    flagged = [w for w in out["warnings"] if w.startswith("under 60 s of beats (")]
    assert flagged == [
        "under 60 s of beats (30 s): RMSSD, SDNN, pNN50 and coherence are unreliable"
    ]
    rec = tmp_path / "s30.bwr"
    assert run(["import", str(short), "--start", "2026-01-01T07:00", "-o", str(rec)]) == 0
    analysis = analyse_recording(rec)
    assert _rmssd_note(analysis.metrics()) == "unreliable: 30 s of beats"
    (row,) = list_sessions()
    assert row.heart_unreliable
    # A minute and more of the same heart: no warning from hrv, as the history does not flag it.
    long = write(tmp_path / "s72.txt", "\n".join(f"{v:.0f}" for v in rr_series(85)) + "\n")
    out = json.loads(call([str(long)], capsys))
    assert not [w for w in out["warnings"] if "of beats (" in w]


@pytest.mark.parametrize(("beats", "rough"), [(170, True), (280, True), (300, False)])
def test_lf_from_under_250_s_of_beats_comes_with_a_warning(beats: int, rough: bool) -> None:
    """Review 30 F7: LF from 148 s of beats had no caveat, where the Task Force's rule of 10
    periods of its 0.04 Hz edge asks for 250 s (its "about 2 min" is the shortest given a
    spectrum at all)."""
    rr = rr_series(beats)
    span_s = float(rr[1:].sum()) / 1000.0  # first beat to last
    warnings = analyse_rr(rr)["warnings"]
    said = [w for w in warnings if w.startswith("LF is rough")]
    assert bool(said) == rough == (span_s < 250.0), (span_s, warnings)
    if rough:
        assert f"lasts {span_s:.1f} s, {span_s * 0.04:.1f} periods" in said[0]


def test_an_ecg_file_without_rr_gives_hrv_from_its_r_peaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 30 F1 left `hrv` on Polar Sensor Logger's ECG file (no RR column) pointing to
    `import`: an import, an export and a second command for what `import` already computes.
    Now `hrv` takes the intervals between the ECG's R peaks, as `import` does, and says so."""
    f = tmp_path / "ecg.csv"
    r_peaks = ecg_only_csv(f, "ecg")
    make_app()(args=["hrv", str(f)], standalone_mode=False)
    said = capsys.readouterr()
    out = json.loads(said.out)
    true_rr_ms = np.diff(r_peaks) * 1000.0
    assert out["metrics"]["n_intervals"] == true_rr_ms.size
    # Each interval within two ECG samples (2 x 7.7 ms) of the truth: the peaks' sampling.
    rr_ms = np.asarray([b["rr_ms"] for b in out["beats"]])
    assert np.max(np.abs(rr_ms - true_rr_ms)) <= 2000.0 / ECG_FS_HZ
    true_rmssd = float(np.sqrt(np.mean(np.diff(true_rr_ms) ** 2)))
    assert out["metrics"]["time"]["rmssd_ms"] == pytest.approx(true_rmssd, rel=0.05)
    assert out["settings"]["beats_from"] == ECG_BEATS_FROM
    assert ecg_beats_note(true_rr_ms.size) in said.err


def test_ecg_r_peaks_across_a_long_hole_keep_their_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 70 s hole in the ECG (longer than a packet's RR field): no interval spans it, the
    gap is warned of and cut, as import's runs of beats are."""
    f = tmp_path / "hole.csv"
    r_peaks = ecg_only_csv(f, "ecg", hole_s=(40.0, 110.0))
    out = json.loads(call([str(f)], capsys))
    after = r_peaks[r_peaks > 110.0]
    assert out["metrics"]["n_intervals"] == r_peaks.size - 2  # the interval across is left out
    assert max(b["rr_ms"] for b in out["beats"]) < 2000.0
    gap = next(w for w in out["warnings"] if "beats lost in 1 gap" in w)
    assert f"the longest {after[0] - r_peaks[r_peaks < 40.0][-1]:.1f} s" in gap


def test_an_ecg_file_without_qrs_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "noise.csv"
    ecg_only_csv(f, "noise")
    with pytest.raises(UserError, match=r"noise\.csv: an ECG without RR intervals, and no QRS"):
        call([str(f)], capsys)


def test_unit_is_refused_for_an_ecg_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "ecg.csv"
    ecg_only_csv(f, "ecg")
    with pytest.raises(BadArgument, match=r"--unit is the unit of RR intervals: .* is an ECG"):
        call([str(f), "--unit", "s"], capsys)


def test_breaths_rr_on_an_ecg_file_takes_its_r_peaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`breaths --rr` reads RR files as `hrv` does: an ECG file gives its R peaks' intervals,
    said in settings.beats_from (it pointed to `import` before)."""
    from trainer.cli.breaths import breaths

    f = tmp_path / "ecg.csv"
    r_peaks = ecg_only_csv(f, "ecg")
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths)
    app.command("other")(lambda: None)
    app(args=["breaths", "--rr", str(f)], standalone_mode=False)
    out = json.loads(capsys.readouterr().out)
    assert out["settings"]["intervals"] == r_peaks.size - 1
    assert out["settings"]["beats_from"] == ECG_BEATS_FROM
    assert out["source"] == "rr"


@pytest.mark.shared_data
def test_the_real_h10_ecg_file_gives_the_heart_numbers_of_its_rr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real H10 session (frequent PVCs) as Polar Sensor Logger's ECG file, against `hrv` on
    the same session's own RR: 800 against 798 intervals, mean HR 79.43 against 79.31 bpm,
    61.8 against 61.7 % corrected (import's numbers for the same beats: review 30 F1)."""
    h10 = DATA / "polar_h10_pvc" / "polar_h10_pvc.csv.gz"
    if not h10.exists():
        pytest.skip(f"shared data not found at {h10}")
    with gzip.open(h10, "rt") as handle:
        rows = [line.split(",") for line in handle.read().splitlines()[1:]]
    ecg = write(
        tmp_path / "ecg.csv",
        "time_ns,ecg_mV\n" + "".join(f"{r[0]},{r[1]}\n" for r in rows if r[1]),
    )
    rr = write(tmp_path / "rr.txt", "".join(f"{r[3]}\n" for r in rows if r[3]))
    from_ecg, own = json.loads(call([str(ecg)], capsys)), json.loads(call([str(rr)], capsys))
    assert (from_ecg["metrics"]["n_intervals"], own["metrics"]["n_intervals"]) == (800, 798)
    ecg_time, own_time = from_ecg["metrics"]["time"], own["metrics"]["time"]
    assert ecg_time["mean_hr_bpm"] == pytest.approx(own_time["mean_hr_bpm"], abs=0.5)
    ecg_artifacts, own_artifacts = from_ecg["metrics"]["artifacts"], own["metrics"]["artifacts"]
    assert ecg_artifacts["artifact_pct"] == pytest.approx(own_artifacts["artifact_pct"], abs=0.5)


@pytest.mark.shared_data
def test_an_ecg_at_100_hz_gives_whole_sample_intervals_and_the_pnn50_of_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 F1: the R peaks' times in s, differenced and times 1000, gave 580.0000000000001
    and 629.999999999999 ms at 100 Hz, so differences of exactly 50 ms (5 samples) counted at
    random: pNN50 45.59 % (217 of 476) from NeuroKit2's 8 min resting ECG, where the same beats
    written as text give 40.97 % (195 of 476). Now each interval is a whole number of samples,
    10 ms, and the ECG and its intervals as text give the same pNN50."""
    ecg = DATA / "neurokit2" / "bio_resting_8min_100hz.csv"
    if not ecg.exists():
        pytest.skip(f"shared data not found at {ecg}")
    from_ecg = json.loads(call([str(ecg), "--fs", "100"], capsys))
    rr_ms = np.asarray([b["rr_ms"] for b in from_ecg["beats"]])
    assert rr_ms.size == 477
    assert np.array_equal(rr_ms, np.round(rr_ms / 10.0) * 10.0)  # exact, not within 1e-12
    as_text = write(tmp_path / "rr.txt", "".join(f"{v:.0f}\n" for v in rr_ms))
    own = json.loads(call([str(as_text)], capsys))
    for time in (from_ecg["metrics"]["time"], own["metrics"]["time"]):
        assert (time["nn50"], time["n_diffs"]) == (195, 476)
        assert time["pnn50_pct"] == pytest.approx(40.97, abs=0.005)


def test_corrections_under_five_percent_are_said_on_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 F5: 21 of 477 intervals corrected (4.4 %) left standard error empty, where over
    5 % a warning says it; now one note line names the count and the labels, and over 5 % the
    warning alone is said."""
    rr = rr_series(450)
    for i in (60, 180, 300):  # three premature beats: short, then a compensatory long one
        rr[i], rr[i + 1] = 0.6 * rr[i], 1.4 * rr[i + 1]
    f = write(tmp_path / "rr.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    make_app()(args=["hrv", str(f)], standalone_mode=False)
    said = capsys.readouterr()
    artifacts = json.loads(said.out)["metrics"]["artifacts"]
    counts = {k: n for k, n in artifacts["counts"].items() if k != "normal" and n}
    corrected = sum(counts.values())
    assert 0 < artifacts["artifact_pct"] <= 5.0
    (line,) = said.err.splitlines()
    assert line.startswith(
        f"note: {corrected} of 450 intervals corrected ({100 * corrected / 450:.1f} %): "
    )
    assert sorted(line.split(": ")[-1].split(", ")) == sorted(f"{k} {n}" for k, n in counts.items())
    # Over 5 %: the warning, not the note too.
    rr[::10] *= 0.6
    many = write(tmp_path / "many.txt", "\n".join(f"{v:.1f}" for v in rr) + "\n")
    make_app()(args=["hrv", str(many)], standalone_mode=False)
    err = capsys.readouterr().err
    assert "corrected as artifacts, over 5 %" in err and "note:" not in err


def test_hf_from_a_minute_and_lf_from_a_two_minute_recording() -> None:
    """Review 36 F4: no band at all under 120 s from the first beat to the last, HF refused too,
    where docs/reference/physiology.md gives a band ~10 periods of its lower edge, "about 1 min
    for HF, 2 min for LF"; and the first 2 min of a recording (118.1 s first beat to last) got
    nothing. Now HF from a minute, rough under 66.7 s; LF, LF/HF, total and normalised units
    from a 2-minute recording, its beats' span plus two intervals; none under a minute."""
    rr = rr_series(400)
    beat_s = np.cumsum(rr) / 1000.0

    def within(length_s: float) -> dict[str, Any]:
        return analyse_rr(rr[beat_s <= length_s])

    two_min = within(120.0)
    span_s = two_min["metrics"]["duration_s"] - rr[0] / 1000.0
    assert 117.0 < span_s < 120.0  # first beat to last: under 2 min
    freq = two_min["metrics"]["frequency"]
    assert freq["lf_ms2"] > 0 and freq["hf_ms2"] > 0 and freq["lf_hf"] is not None
    assert freq["total_ms2"] == pytest.approx(freq["lf_ms2"] + freq["hf_ms2"])
    assert any(w.startswith("LF is rough") for w in two_min["warnings"])
    assert not any(w.startswith("HF is rough") for w in two_min["warnings"])

    ninety = within(90.0)
    freq = ninety["metrics"]["frequency"]
    assert freq["hf_ms2"] > 0 and freq["peak_hf_hz"] is not None
    assert [freq[k] for k in ("vlf_ms2", "lf_ms2", "lf_hf", "total_ms2", "lf_nu", "hf_nu")] == [
        None
    ] * 6
    (said,) = [w for w in ninety["warnings"] if w.startswith("LF not computed")]
    assert "under 120 s (Task Force 1996: about 2 min for LF); HF only" in said
    assert not any(w.startswith(("LF is rough", "VLF", "HF is rough")) for w in ninety["warnings"])
    assert ninety["settings"]["frequency"]["band_min_s"] == {"hf": 60.0, "lf": 120.0}

    one_min = within(60.0)
    assert one_min["metrics"]["frequency"]["hf_ms2"] > 0
    assert any(w.startswith("HF is rough") for w in one_min["warnings"])
    under = within(50.0)
    assert under["metrics"]["frequency"] is None
    assert any("under 60 s: frequency-domain metrics not computed" in w for w in under["warnings"])

    # The session report keeps 120 s first beat to last for every band (no summary moves).
    from analysis.hrv_frequency import gap_free_frequency_domain

    kept = rr[beat_s <= 120.0]
    assert gap_free_frequency_domain(kept, np.cumsum(kept) / 1000.0).spectrum is None


def test_a_series_just_under_a_minute_is_not_said_to_last_a_minute() -> None:
    """59.74 s of beats read "under 60 s of beats (60 s)" (review 36 F4); 59.7 s now, and
    whole seconds below, as the report's "unreliable: 30 s of beats"."""
    from analysis.hrv_report import short_series_warning

    said = short_series_warning(60, 60.26)  # 59.74 s of beats
    assert said is not None and said.startswith("under 60 s of beats (59.7 s): ")
    said = short_series_warning(60, 60.01)  # 59.99 s
    assert said is not None and said.startswith("under 60 s of beats (59.9 s): ")
    said = short_series_warning(30, 60.5)  # 29.75 s
    assert said is not None and said.startswith("under 60 s of beats (30 s): ")


def test_one_column_of_decimal_commas_is_read_where_it_has_one_reading(tmp_path: Path) -> None:
    """Review 36 F3: ``0,580`` on every line was refused under a one-name header (``rr_s``,
    ``RR (s)``) and with ``--unit s``, though one column is its only reading there, and the
    hint quoted "806,5" whatever the cell. Read now; without a header or a unit (two columns?)
    it is still refused, quoting the cell and naming --unit; numbers a thousands separator may
    have written (1,012) are not guessed."""
    rr = np.round(rr_series(), 1)
    points = hrv_cli.read_rr_file(
        write(tmp_path / "points.txt", "\n".join(f"{v / 1000:.4f}" for v in rr)), "s"
    )
    commas = "\n".join(f"{v / 1000:.4f}".replace(".", ",") for v in rr) + "\n"
    for header in ("rr_s\n", "RR (s)\n"):
        f = write(tmp_path / "named.txt", header + commas)
        assert hrv_cli.read_rr_file(f).values_ms == pytest.approx(points.values_ms)
    bare = write(tmp_path / "bare.txt", commas)
    assert hrv_cli.read_rr_file(bare, "s").values_ms == pytest.approx(points.values_ms)
    in_ms = write(tmp_path / "ms.txt", "\n".join(f"{v:.1f}".replace(".", ",") for v in rr))
    assert hrv_cli.read_rr_file(in_ms, "ms").values_ms == pytest.approx(list(rr))
    cell = commas.split("\n", 1)[0]
    with pytest.raises(
        UserError,
        match=rf"bare\.txt:1: 2 columns and no header \({cell} for {cell.replace(',', '.')}\? "
        r"write a point, or give --unit",
    ):
        hrv_cli.read_rr_file(bare)
    grouped = write(tmp_path / "grouped.txt", "1,012\n1,040\n1,100\n")
    with pytest.raises(UserError, match=r"1012 with its thousands grouped, or 1\.012"):
        hrv_cli.read_rr_file(grouped, "s")
