"""``breathwise breaths``: output structure, column choice, RR input, and one-line errors."""

from __future__ import annotations

import csv
import io
import itertools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from rr_files import polar_logger_rr

from analysis.breath_signal_checks import NOISE_LAG1, lag1_autocorrelation, looks_inverted
from analysis.progress import ProgressCallback
from benchmarks.validate_breath import Scenario, synthetic_belt
from trainer import __version__
from trainer.cli import breaths as breaths_cli
from trainer.errors import BadArgument, UserError
from trainer.storage import waveform_csv

KEYS = {
    "inhale_onset_s",
    "exhale_onset_s",
    "end_s",
    "inhale_s",
    "exhale_s",
    "pause_s",
    "ratio",
    "depth",
    "quality",
}


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    return app


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    make_app()(args=["breaths", *args], standalone_mode=False)
    return capsys.readouterr().out


def belt_signal(fs: float = 25.0, duration_s: float = 120.0) -> np.ndarray:
    x, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=duration_s, fs_hz=fs), 3)
    return x


def test_single_column_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = belt_signal()
    f = tmp_path / "belt.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in x) + "\n")
    out = json.loads(call([str(f), "--fs", "25"], capsys))
    assert set(out) == {"breaths", "rate_bpm", "variability", "source", "settings"}
    assert out["source"] == "belt"
    # Regularity: the generator's 5 % CV of each phase gives a period CV of about 3-4 %.
    v = out["variability"]
    assert v["n_intervals"] == len(out["breaths"]) - 1
    assert v["mean_bb_s"] == pytest.approx(6.0, rel=0.05) and 0.02 < v["cv_bb"] < 0.06
    assert out["rate_bpm"] == pytest.approx(10.0, abs=0.5)
    assert len(out["breaths"]) >= 17
    assert set(out["breaths"][0]) == KEYS
    assert np.median([b["ratio"] for b in out["breaths"]]) == pytest.approx(2.0, abs=0.3)
    assert out["settings"]["fs_hz"] == 25.0
    assert out["settings"]["software"] == f"breathwise {__version__}"


def test_breaths_end_where_the_next_begins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A breath's end had been the streaming corner estimate, up to 0.17 s after the next
    breath's inhale onset on a review's clean belt: the pause counted time of the next inhale."""
    sc = Scenario(10.0, 2.0, pause_frac=0.15, snr_db=30.0, duration_s=180.0, fs_hz=25.0)
    x, truth = synthetic_belt(sc, 3)
    f = tmp_path / "belt.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in x) + "\n")
    rows = json.loads(call([str(f), "--fs", "25"], capsys))["breaths"]
    assert len(rows) >= 25
    for a, b in itertools.pairwise(rows):
        assert a["end_s"] == pytest.approx(b["inhale_onset_s"], abs=1e-4)
        assert a["pause_s"] == pytest.approx(
            a["end_s"] - a["exhale_onset_s"] - a["exhale_s"], abs=2e-4
        )
    true_pause = np.median([t.end_s - t.pause_start_s for t in truth])
    assert np.median([r["pause_s"] for r in rows[:-1]]) == pytest.approx(true_pause, abs=0.06)


def test_a_flat_signal_is_called_flat_not_saturated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An all-zero column (a belt that is off) was reported as 100 % clipped (found in review)."""
    f = tmp_path / "off.txt"
    f.write_text("0\n" * 1000)
    out = json.loads(call([str(f), "--fs", "25"], capsys))
    assert out["breaths"] == []
    assert out["settings"]["warnings"] == [
        "the signal is flat: every sample has the same value, so it holds no breathing "
        "(sensor off or not worn?)"
    ]


def test_too_short_is_counted_in_samples(tmp_path: Path) -> None:
    """20.0 s at 100.0001 Hz was refused as "only 20.0 s; needs at least 20 s"."""
    f = tmp_path / "short.txt"
    f.write_text("\n".join(f"{np.sin(i / 40):.4f}" for i in range(2000)))
    with pytest.raises(
        UserError, match=r"only 2000 samples .* needs at least 20 s \(2001 samples\)"
    ):
        make_app()(args=["breaths", str(f), "--fs", "100.0001"], standalone_mode=False)


def test_saturated_signal_is_analysed_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = belt_signal()
    lo, hi = np.percentile(x, [15, 85])
    f = tmp_path / "clipped.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in np.clip(x, lo, hi)) + "\n")
    make_app()(args=["breaths", str(f), "--fs", "25"], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["breaths"]
    assert out["settings"]["clipped_fraction"] == pytest.approx(0.3, abs=0.02)
    assert len(out["settings"]["warnings"]) == 1
    assert captured.err.startswith("breathwise: warning: ") and "saturated" in captured.err
    # The unclipped signal: no warning.
    g = tmp_path / "belt.txt"
    g.write_text("\n".join(f"{v:.5f}" for v in x) + "\n")
    make_app()(args=["breaths", str(g), "--fs", "25"], standalone_mode=False)
    captured = capsys.readouterr()
    assert json.loads(captured.out)["settings"]["warnings"] == [] and captured.err == ""


def test_named_and_numbered_column_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = belt_signal()
    f = tmp_path / "table.csv"
    f.write_text(
        "# exported\ntime,ECG,RSP\n"
        + "".join(f"{i / 25:.2f},0.1,{v:.5f}\n" for i, v in enumerate(x))
    )
    by_name = json.loads(call([str(f), "--fs", "25", "--column", "RSP"], capsys))
    by_number = json.loads(call([str(f), "--fs", "25", "--column", "3"], capsys))
    auto = json.loads(call([str(f), "--fs", "25"], capsys))  # "RSP" is recognised
    assert by_name["breaths"] == by_number["breaths"] == auto["breaths"]
    text = call([str(f), "--fs", "25", "--column", "rsp", "--format", "csv"], capsys)
    lines = text.splitlines()
    header = lines.index(",".join(breaths_cli.BREATH_KEYS))
    assert all(line.startswith("# ") for line in lines[:header])
    assert len(lines) - header - 1 == len(by_name["breaths"])
    cv = json.loads(next(v for v in lines if v.startswith("# variability.cv_bb=")).split("=")[1])
    assert cv == by_name["variability"]["cv_bb"]


def test_acc_source_reads_three_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = belt_signal(50.0) - 5.0
    angle = np.deg2rad(1.5) * x
    acc = np.column_stack((1000 * np.sin(angle), -1000 * np.cos(angle), np.full(x.size, 50.0)))
    acc += np.random.default_rng(0).normal(0, 1.0, acc.shape)
    f = tmp_path / "acc.csv"
    f.write_text("x;y;z\n" + "".join(f"{a:.2f};{b:.2f};{c:.2f}\n" for a, b, c in acc))
    out = json.loads(call([str(f), "--fs", "50", "--source", "acc"], capsys))
    assert out["source"] == "acc"
    assert out["rate_bpm"] == pytest.approx(10.0, abs=0.5)


def test_breathing_in_longer_than_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Review 26 F5: the accelerometer read an exhale:inhale ratio of 0.5 as 1.97, every breath
    # good, with no way to say otherwise; an upright belt breathing so was told to --invert.
    volume, _ = synthetic_belt(Scenario(10.0, 0.5, snr_db=35.0, duration_s=180.0, fs_hz=50.0), 3)
    belt = tmp_path / "belt.txt"
    belt.write_text("\n".join(f"{v:.5f}" for v in volume) + "\n")
    make_app()(args=["breaths", str(belt), "--fs", "50"], standalone_mode=False)
    captured = capsys.readouterr()
    assert np.median([b["ratio"] for b in json.loads(captured.out)["breaths"]]) < 0.7
    assert "breathing in for longer than out" in captured.err
    assert "the numbers are right as they are" in captured.err
    angle = np.deg2rad(1.5) * (volume - 5.0)
    acc = np.column_stack((1000 * np.sin(angle), -1000 * np.cos(angle), np.full(angle.size, 50.0)))
    acc += np.random.default_rng(0).normal(0, 1.0, acc.shape)
    f = tmp_path / "acc.csv"
    f.write_text("x;y;z\n" + "".join(f"{a:.2f};{b:.2f};{c:.2f}\n" for a, b, c in acc))

    def good_ratio(out: dict[str, Any]) -> float:
        return float(np.median([b["ratio"] for b in out["breaths"] if b["quality"] == "good"]))

    out = json.loads(call([str(f), "--fs", "50", "--source", "acc"], capsys))
    assert out["settings"]["inhale_longer"] is False
    assert good_ratio(out) == pytest.approx(2.0, rel=0.15)  # the assumption, as documented
    out = json.loads(call([str(f), "--fs", "50", "--source", "acc", "--inhale-longer"], capsys))
    assert out["settings"]["inhale_longer"] is True
    assert good_ratio(out) == pytest.approx(0.5, rel=0.15)
    with pytest.raises(BadArgument, match="--inhale-longer is for a chest accelerometer"):
        call([str(belt), "--fs", "50", "--inhale-longer"], capsys)


def test_rr_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(1)
    beats = [0.0]
    while beats[-1] < 300:
        hr = 65 + 6 * np.sin(2 * np.pi * 0.1 * beats[-1])  # 6 breaths/min RSA
        beats.append(beats[-1] + 60 / hr + rng.normal(0, 0.004))
    rr = np.diff(beats) * 1000
    f = tmp_path / "rr.txt"
    f.write_text("\n".join(f"{v:.1f}" for v in rr))
    out = json.loads(call(["--rr", str(f)], capsys))
    assert out["source"] == "rr"
    assert out["rate_bpm"] == pytest.approx(6.0, abs=0.3)
    # The fields of every source (issue 7's schema), the depth repeated as rsa_bpm.
    assert set(out["breaths"][0]) == KEYS | {"rsa_bpm"}
    assert all(b["depth"] == b["rsa_bpm"] for b in out["breaths"])
    assert out["breaths"][0]["ratio"] is None
    assert out["variability"] is None  # the heart rhythm places breaths too coarsely
    assert len(out["breaths"]) == pytest.approx(28, abs=3)
    assert out["estimates"][0]["quality"] > 0.3


def test_rr_without_breathing_in_it_gives_no_rate_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    beats = np.cumsum(60.0 / 65.0 + rng.normal(0.0, 0.005, 330))  # no sinus arrhythmia at all
    f = tmp_path / "flat_rr.txt"
    f.write_text("\n".join(f"{v:.1f}" for v in np.diff(beats) * 1000))
    make_app()(args=["breaths", "--rr", str(f)], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["rate_bpm"] is None
    assert out["breaths"] == []
    assert out["settings"]["usable_share"] < 1 / 3
    assert "no breathing rate is given" in captured.err
    assert "no breathing rate is given" in out["settings"]["warnings"][0]


def test_rr_times_stay_on_the_files_clock_after_corrections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Times were the running sum of corrected intervals: 9 s off by the end of a real file."""
    rng = np.random.default_rng(2)
    beats = [0.0]
    while beats[-1] < 300:
        hr = 65 + 6 * np.sin(2 * np.pi * 0.1 * beats[-1])
        beats.append(beats[-1] + 60 / hr + rng.normal(0, 0.004))
    rr = np.diff(beats) * 1000
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(f"{v:.1f}" for v in rr))
    late = rr.copy()
    late[20::12] *= 1.5  # a long interval every 12 beats: each is interpolated (shortened)
    damaged = tmp_path / "damaged.txt"
    damaged.write_text("\n".join(f"{v:.1f}" for v in late))
    truth = json.loads(call(["--rr", str(clean)], capsys))
    got = json.loads(call(["--rr", str(damaged)], capsys))
    length_s = late.sum() / 1000
    assert got["estimates"][-1]["t_s"] <= length_s
    assert got["breaths"][-1]["end_s"] <= length_s
    # The damaged file's clock runs later by the added time; compare ends on it.
    added = np.cumsum(late - rr) / 1000
    beat_t = np.cumsum(rr) / 1000
    want = [e["end_s"] + np.interp(e["end_s"], beat_t, added) for e in truth["breaths"]]
    ends = np.array([b["end_s"] for b in got["breaths"]])
    nearest = [float(np.min(np.abs(ends - w))) for w in want]
    assert np.median(nearest) < 0.5


def _write(tmp_path: Path, name: str, text: str) -> str:
    f = tmp_path / name
    f.write_text(text)
    return str(f)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.txt", "", "empty file"),
        ("comments.txt", "# nothing\n\n", "empty file"),
        ("words.txt", "1.0\n2.0\nthree\n4.0\n", ":3: 'three' is not a number"),
        ("short.txt", "\n".join(["1.0"] * 100), "needs at least 20 s"),
        ("nan.txt", "\n".join(["1.0"] * 500 + ["nan"] + ["1.0"] * 500), ":501:"),
        ("cells.csv", "a,b\n1,2\n3,\n4,5\n", ":3: empty cell"),
        ("ragged.csv", "a,b\n1,2\n3\n", ":3: row has 1 columns"),
    ],
)
def test_bad_files_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    path = _write(tmp_path, name, text)
    column = ["--column", "b"] if name.endswith(".csv") else []
    with pytest.raises(UserError) as err:
        call([path, "--fs", "10", *column], capsys)
    msg = err.value.user_message()
    assert "\n" not in msg and path in msg and message in msg, msg


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "x.txt", "\n".join(["1.0"] * 1000))
    with pytest.raises(BadArgument, match="--fs is required"):
        call([path], capsys)
    with pytest.raises(BadArgument, match="--format"):
        call([path, "--fs", "10", "--format", "xml"], capsys)
    with pytest.raises(BadArgument, match="--source"):
        call([path, "--fs", "10", "--source", "ppg"], capsys)
    with pytest.raises(BadArgument, match="no such column"):
        call([path, "--fs", "10", "--column", "rsp"], capsys)
    with pytest.raises(BadArgument, match="give a waveform INPUT"):
        call([], capsys)
    with pytest.raises(UserError, match="no such file"):
        call([str(tmp_path / "missing.txt"), "--fs", "10"], capsys)
    two = _write(tmp_path, "two.csv", "a,b\n" + "1,2\n" * 500)
    with pytest.raises(UserError, match="choose one with --column"):
        call([two, "--fs", "10"], capsys)


def test_fs_help_states_the_limits_the_check_keeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--fs`` was the one numeric option whose help gave no range (found in review)."""
    from trainer.cli.app import run

    assert run(["breaths", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "4-100000 for a belt, 5-100000 for --source acc;" in shown
    path = _write(tmp_path, "x.txt", "\n".join(["1.0"] * 1000))
    for fs, source in (("3.9", "belt"), ("100001", "belt"), ("4.9", "acc")):
        with pytest.raises(BadArgument, match=r"--fs must lie within [45]-100000 Hz"):
            call([path, "--fs", fs, "--source", source], capsys)


def test_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = _write(tmp_path, "bad.txt", "1\n2\nx\n")
    code = (
        "import sys, typer\n"
        "from trainer.cli import breaths as breaths_cli\n"
        "from trainer.errors import UserError\n"
        "app = typer.Typer(pretty_exceptions_enable=False)\n"
        "app.command('breaths')(breaths_cli.breaths)\n"
        "app.command('other')(lambda: None)\n"
        "try:\n"
        "    app(args=sys.argv[1:], standalone_mode=False)\n"
        "except UserError as e:\n"
        "    print('breathwise: error: ' + e.user_message(), file=sys.stderr)\n"
        "    sys.exit(e.exit_code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "breaths", path, "--fs", "10"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_an_hour_at_100_hz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An hour-long file works (its speed: benchmarks/bench_breath.py, (b))."""
    t = np.arange(360_000) / 100.0
    x = np.sin(2 * np.pi * 0.2 * t) + 0.01 * np.random.default_rng(2).standard_normal(t.size)
    f = tmp_path / "hour.txt"
    np.savetxt(f, x, fmt="%.5f")
    out = json.loads(call([str(f), "--fs", "100"], capsys))
    assert len(out["breaths"]) == pytest.approx(720, abs=3)


def test_a_decimal_comma_table_reads_as_the_same_waveform(tmp_path: Path) -> None:
    """Columns split by ';' or tabs with 1,234 for 1.234, as a European-locale spreadsheet
    writes them: the same samples as the file with points."""
    x = np.round(belt_signal(), 4)
    points = tmp_path / "points.csv"
    points.write_text("t,rsp\n" + "\n".join(f"{i / 25:.2f},{v:.4f}" for i, v in enumerate(x)))
    expected = waveform_csv.read_waveform(points, "rsp")
    for sep in (";", "\t"):
        commas = tmp_path / "commas.csv"
        rows = (f"{i / 25:.2f}{sep}{v:.4f}".replace(".", ",") for i, v in enumerate(x))
        commas.write_text(f"t{sep}rsp\n" + "\n".join(rows))
        assert np.array_equal(waveform_csv.read_waveform(commas, "rsp"), expected)
        # Without a header the first row is still numbers, not names (a trailing separator
        # too).
        rows = (f"{i / 25:.2f}{sep}{v:.4f}{sep}".replace(".", ",") for i, v in enumerate(x))
        commas.write_text("\n".join(rows))
        assert np.array_equal(waveform_csv.read_waveform(commas, "2"), expected)


def test_absurdly_large_values_are_refused_and_tiny_ones_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Around 1e300 the analysis' sums of squares overflowed: a numpy RuntimeWarning leaked to
    # stderr. The scale of a real signal does not matter, down to 1e-300 and up to 1e100.
    x = belt_signal().tolist()
    files = {}
    for name, scale in (("one", 1.0), ("tiny", 1e-300), ("large", 1e99)):
        files[name] = _write(tmp_path, f"{name}.txt", "\n".join(repr(v * scale) for v in x))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        reference = json.loads(call([files["one"], "--fs", "25"], capsys))
        for name in ("tiny", "large"):
            out = json.loads(call([files[name], "--fs", "25"], capsys))
            assert out["rate_bpm"] == reference["rate_bpm"]
            assert len(out["breaths"]) == len(reference["breaths"])
    huge = _write(tmp_path, "huge.txt", "1.0\n" + "\n".join(repr(v * 1e300) for v in x))
    with pytest.raises(UserError) as err:
        call([huge, "--fs", "25"], capsys)
    msg = err.value.user_message()
    assert msg.startswith(f"{huge}:2: ") and "beyond ±1e+100" in msg


def test_waveform_options_with_rr_and_named_non_axes_are_refused(tmp_path: Path) -> None:
    """Found by a tester: --rr with --fs/--column ran and ignored them; --source acc on a file
    with ECG, PPG and RSP columns analysed them as x, y, z without a word."""
    from trainer.errors import BadArgument, UserError

    rr = tmp_path / "rr.txt"
    rr.write_text("800\n" * 400)
    # One option "describes" and is left out as "it" ("--fs describe ... leave them out" was
    # found in review); more "describe" and are "them".
    for extra, words, them in (
        (["--invert"], "--invert describes", "it"),
        (["--fs", "50", "--column", "2"], "--column describes", "it"),
        (
            ["--fs", "50", "--column", "2", "--invert"],
            "--column and --invert describe",
            "them",
        ),
        (["--source", "acc"], "--source acc describes", "it"),
    ):
        with pytest.raises(BadArgument) as info:
            make_app()(args=["breaths", "--rr", str(rr), *extra], standalone_mode=False)
        assert info.value.user_message() == (
            f"{words} a waveform INPUT, not --rr — an RR file is read as it is: leave {them} out"
        )
    # With --rr, --fs is the rate of an ECG table without a time column (review 32 F1): for a
    # file of RR intervals it is refused as such.
    with pytest.raises(BadArgument) as info:
        make_app()(args=["breaths", "--rr", str(rr), "--fs", "50"], standalone_mode=False)
    assert info.value.user_message() == (
        f"--fs 50 is the sampling rate of an ECG table without a time column; {rr} holds RR "
        "intervals, read as they are — leave --fs out"
    )
    bio = tmp_path / "bio.csv"
    bio.write_text("ECG,PPG,RSP\n" + "0.1,0.2,0.3\n" * 3000)
    with pytest.raises(UserError, match=r"cannot tell which columns are x, y, z \(ECG, PPG, RSP\)"):
        waveform_csv.read_waveform(bio, acc=True)
    unnamed = tmp_path / "xyz.csv"
    unnamed.write_text("0.1,0.2,0.3\n" * 10)
    assert waveform_csv.read_waveform(unnamed, acc=True).shape == (10, 3)


def test_an_upside_down_belt_is_reported_and_invert_rights_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A belt falling on inhale read the inverse ratio (0.50 for 1.99), every breath "good",
    # without a word.
    x = belt_signal()
    f = tmp_path / "upside_down.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in -x) + "\n")
    make_app()(args=["breaths", str(f), "--fs", "25"], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert np.median([b["ratio"] for b in out["breaths"]]) < 0.7
    assert out["settings"]["inverted"] is False
    assert out["settings"]["slope_skewness"] < -0.2
    assert len(out["settings"]["warnings"]) == 1
    assert "upside down" in captured.err and "with --invert" in captured.err
    out = json.loads(call([str(f), "--fs", "25", "--invert"], capsys))
    assert out["settings"]["inverted"] is True and out["settings"]["warnings"] == []
    assert np.median([b["ratio"] for b in out["breaths"]]) == pytest.approx(2.0, abs=0.3)
    with pytest.raises(BadArgument, match="--invert"):
        call([str(f), "--fs", "25", "--invert", "--source", "acc", "--column", "1,1,1"], capsys)
    with pytest.raises(BadArgument, match="--invert"):
        call(["--rr", str(f), "--invert"], capsys)


def test_real_belts_do_not_look_upside_down() -> None:
    from analysis.breath import detect_breaths
    from benchmarks.validate_breath import real_signals

    signals = real_signals()
    if not signals:
        pytest.skip("../shared/data absent")
    for label, x, fs in signals:
        inverted, skew = looks_inverted(x, fs, detect_breaths(x, fs))
        assert not inverted, label
        # The saturated impedance channel of mixedsignals falls steeply (skewness -1.7), but
        # none of its breaths is good (clipped), so its orientation is not judged.
        assert skew > 0.0 or "mixedsignals" in label, label
        if "NeuroKit2" in label:  # clearly asymmetric breathing: upside down, it is flagged
            assert looks_inverted(-x, fs, detect_breaths(-x, fs))[0], label
        # Nor like noise: breathing changes smoothly from sample to sample.
        assert lag1_autocorrelation(x) > 0.99, label


def test_white_noise_is_said_to_be_noise_not_breathing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """White noise (a disconnected input, a random column) read as 33 'breaths' at 22/min
    without a word (found in review); a noisy belt at 0 dB is still breathing."""
    f = tmp_path / "noise.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in np.random.default_rng(1).normal(size=3000)))
    make_app()(args=["breaths", str(f), "--fs", "25"], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["rate_bpm"] is None and out["breaths"]
    assert {b["quality"] for b in out["breaths"]} == {"artifact"}
    (warning,) = out["settings"]["warnings"]
    assert warning.startswith("the signal looks like noise, not breathing")
    assert warning in captured.err
    for rate, fs in ((30.0, 4.0), (15.0, 25.0)):
        x, _ = synthetic_belt(Scenario(rate, 3.0, snr_db=0.0, fs_hz=fs, duration_s=120.0), 1)
        assert lag1_autocorrelation(x) > NOISE_LAG1


def test_rr_of_an_irregular_rhythm_gives_no_rate_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Independent intervals (atrial fibrillation): read as 27 breaths/min before the
    white-noise test of analysis.rr_breath."""
    rng = np.random.default_rng(7)
    f = tmp_path / "af_rr.txt"
    f.write_text("\n".join(f"{v:.1f}" for v in rng.normal(650.0, 150.0, 460).clip(300.0)))
    make_app()(args=["breaths", "--rr", str(f)], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["rate_bpm"] is None
    assert "white noise" in captured.err and "no breathing rate is given" in captured.err
    assert any("white noise" in (e["unusable_reason"] or "") for e in out["estimates"])
    # What the data show, not a condition (found in review: "as in atrial fibrillation" read
    # as a diagnosis).
    assert "atrial" not in captured.err + captured.out
    assert "Breathwise does not diagnose" in captured.err


def test_rr_of_an_irregular_rhythm_corrected_elsewhere_gives_no_rate_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Independent intervals already corrected by another tool (here correct_rr) pass the
    white-noise test: with that test alone this file read 27.8 breaths/min. The irregularity
    test of analysis.rr_breath (step 6) finds them."""
    from analysis.rr_artifacts import correct_rr

    rng = np.random.default_rng(1)  # fixed seed: the file is the same every run
    s2 = np.log(1.0 + (130.0 / 700.0) ** 2)
    rr = rng.lognormal(np.log(700.0) - s2 / 2.0, np.sqrt(s2), 857)
    nn = correct_rr(rr[np.cumsum(rr) < 300_000.0]).nn_ms
    f = tmp_path / "af_corrected_rr.txt"
    f.write_text("\n".join(f"{v:.1f}" for v in nn))
    make_app()(args=["breaths", "--rr", str(f)], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["rate_bpm"] is None
    assert "irregular beat to beat" in captured.err and "no breathing rate" in captured.err
    irregular = [e for e in out["estimates"] if e["cosen"] is not None and e["cosen"] > -1.5]
    assert len(irregular) > len(out["estimates"]) / 2
    assert all(e["quality"] == 0.0 and e["unusable_reason"] for e in irregular)
    assert any("irregular rhythm" in e["unusable_reason"] for e in irregular)


def test_a_duration_just_short_of_the_minimum_is_printed_short_of_it(tmp_path: Path) -> None:
    """999 samples at 50 Hz read "20.0 s ... needs at least 20 s" (found in review)."""
    f = tmp_path / "short.txt"
    f.write_text("\n".join(f"{np.sin(i / 40):.4f}" for i in range(999)))
    with pytest.raises(UserError) as info:
        make_app()(args=["breaths", str(f), "--fs", "50"], standalone_mode=False)
    assert info.value.user_message() == (
        f"{f}: only 999 samples (19.98 s at 50 Hz); breath analysis needs at least 20 s "
        "(1000 samples)"
    )
    assert breaths_cli._short_of(19.9999, 20.0) == "19.9999"
    assert breaths_cli._short_of(12.34, 20.0) == "12.3"


def test_the_time_column_chosen_by_mistake_gets_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A monotonic ramp (the time column) gave 0 breaths, rate null and no warning."""
    x = belt_signal()
    f = tmp_path / "table.csv"
    t = np.arange(x.size) / 25.0
    f.write_text("t,rsp\n" + "".join(f"{a:.2f},{b:.5f}\n" for a, b in zip(t, x, strict=True)))
    make_app()(args=["breaths", str(f), "--fs", "25", "--column", "t"], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["breaths"] == [] and out["rate_bpm"] is None
    (warning,) = out["settings"]["warnings"]
    assert warning.startswith(
        f"no breathing found: column 't' only rises over all {x.size / 25:.1f} s"
    )
    assert "is it the right column?" in warning
    assert captured.err == f"breathwise: warning: {f}: {warning}\n"
    # The CSV output carries it too, and the breathing column gets no warning.
    csv_out = call([str(f), "--fs", "25", "--column", "t", "--format", "csv"], capsys)
    assert f"# settings.warnings={json.dumps([warning])}" in csv_out.splitlines()
    assert (
        json.loads(call([str(f), "--fs", "25", "--column", "rsp"], capsys))["settings"]["warnings"]
        == []
    )
    # A drift with noise in it is not monotonic, and gets the general warning.
    g = tmp_path / "drift.txt"
    drift = t + np.random.default_rng(1).normal(scale=0.05, size=t.size)
    g.write_text("\n".join(f"{v:.5f}" for v in drift))
    out = json.loads(call([str(g), "--fs", "25"], capsys))
    assert out["rate_bpm"] is None
    assert out["settings"]["warnings"] == [
        f"no breathing found in {x.size / 25:.1f} s of data: does the file hold a breathing "
        "signal? (choose the column with --column)"
    ]


def test_breaths_whose_ratio_cannot_be_measured_are_counted_and_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sawtooth with instant rises gave ratio null for every breath without a word."""
    t = np.arange(0.0, 120.0, 1.0 / 50.0)
    f = tmp_path / "saw.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in 1.0 - (t * 0.2) % 1.0))
    out = json.loads(call([str(f), "--fs", "50"], capsys))
    n = len(out["breaths"])
    assert n >= 20 and all(b["ratio"] is None for b in out["breaths"])
    assert out["settings"]["warnings"] == [
        f"the exhale:inhale ratio could not be measured for {n} of {n} breaths (ratio null): "
        "their rises (inhales) are instantaneous, a jump within one sample that no chest makes "
        "(a sawtooth or a wrapping counter?)"
    ]


def test_a_recording_is_named_as_one_with_the_command_that_exports_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a .bwr, breaths read its JSON header as a table's header; without --fs it asked
    for one first, for a file it would then refuse (found in review)."""
    from trainer.cli import app as cli

    sample = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"
    for extra in (["--fs", "50"], [], ["--rr", str(sample)]):
        args = ["breaths", *extra] if extra[:1] == ["--rr"] else ["breaths", str(sample), *extra]
        assert cli.run(args) in (1, 2)
        err = capsys.readouterr().err
        assert f"{sample}: this is a Breathwise recording, not " in err
        assert f"'breathwise export {sample}' writes its beats (RR) and waveforms" in err
        assert err.count("\n") == 1


def test_a_ratio_of_zero_is_unmeasured_null_in_json_and_empty_in_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a breath whose fall took no time (ratio 0, which
    analysis.breath_variability.ratio_measured counts as unmeasured) was written as ratio 0.0,
    a value, with no warning; only inf was null."""
    from dataclasses import replace

    from analysis.breath import Breath, fed_in_parts

    def one_without_a_fall(
        update: Callable[[np.ndarray], list[Breath]],
        data: np.ndarray,
        progress: ProgressCallback | None = None,
    ) -> list[Breath]:
        found = fed_in_parts(update, data, progress)
        found[3] = replace(found[3], exhale_s=0.0, ratio=0.0, quality="uncertain")
        return found

    monkeypatch.setattr(breaths_cli, "fed_in_parts", one_without_a_fall)
    f = tmp_path / "belt.txt"
    f.write_text("\n".join(f"{v:.5f}" for v in belt_signal()))
    out = json.loads(call([str(f), "--fs", "25"], capsys))
    ratios = [b["ratio"] for b in out["breaths"]]
    assert ratios[3] is None and all(r is not None and r > 0.5 for r in ratios[:3])
    n = sum(1 for b in out["breaths"] if b["quality"] != "artifact")
    assert out["settings"]["warnings"] == [
        f"the exhale:inhale ratio could not be measured for 1 of {n} breaths (ratio null): "
        "their phases could not be timed (0 rise and 1 fall instantaneously)"
    ]
    rows = call([str(f), "--fs", "25", "--format", "csv"], capsys).splitlines()
    table = [line for line in rows if not line.startswith("#")]
    column = table[0].split(",").index("ratio")
    assert table[4].split(",")[column] == ""
    assert table[3].split(",")[column] not in ("", "0.0")


def _belt_rows(fs: float = 25.0) -> list[str]:
    return [f"{v:.5f}" for v in belt_signal(fs)]


def _table(tmp_path: Path, name: str, header: str, row: Callable[[int, str], str]) -> str:
    """A file of ``header``, then ``row(i, sample)`` for each sample of the test belt."""
    return _write(
        tmp_path,
        name,
        header + "\n" + "".join(f"{row(i, v)}\n" for i, v in enumerate(_belt_rows())),
    )


def test_a_header_naming_fewer_columns_than_the_rows_is_refused(tmp_path: Path) -> None:
    """R's write.csv row names shifted every name one column left: --column rsp read the
    abdomen (found in review: 15.04/min from a 6/min rsp column)."""
    r_csv = _table(tmp_path, "r.csv", '"abdomen","rsp"', lambda i, v: f'"{i + 1}",0.1,{v}')
    r_table = _table(tmp_path, "r.txt", '"abdomen" "rsp"', lambda i, v: f'"{i + 1}" 0.1 {v}')
    for path in (r_csv, r_table):
        with pytest.raises(UserError) as err:
            waveform_csv.read_waveform(Path(path), "rsp")
        msg = err.value.user_message()
        assert "header (line 1) has 2 names but the rows have 3 cells" in msg, msg
        assert "row.names = FALSE" in msg and "\n" not in msg
    spaced = _table(
        tmp_path, "s.txt", "Time (s) Resp Abdomen", lambda i, v: f"{i / 25:.2f} {v} 0.1"
    )
    with pytest.raises(UserError, match=r"4 names but the rows have 3 cells, .*: in a table sep"):
        waveform_csv.read_waveform(Path(spaced), "Resp")


def test_names_aligned_by_spaces_name_their_own_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``Time (s)   Resp   Abdomen`` split into four names, so Resp named the abdomen."""
    x = belt_signal()
    f = _table(
        tmp_path,
        "ws.txt",
        "Time (s)   Resp   Abdomen",
        lambda i, v: f"{i / 25:.2f}   {v}   0.1",
    )
    assert np.allclose(waveform_csv.read_waveform(Path(f), "Resp"), x, atol=1e-5)
    out = json.loads(call([f, "--fs", "25", "--column", "resp"], capsys))
    assert out["settings"]["column"] == "Resp"
    assert out["settings"]["time_column"] == "Time (s)"
    assert out["settings"]["time_column_rate_hz"] == pytest.approx(25.0)


def test_an_empty_line_inside_the_data_is_a_gap(tmp_path: Path) -> None:
    """An empty line (a spreadsheet's empty cell of a one-column table) was skipped: the
    timeline shrank, 6.66/min read from 6/min; NaN was refused, so is it now."""
    x = _belt_rows()
    gap = _write(tmp_path, "gap.txt", "\n".join([*x[:100], "", *x[100:]]) + "\n")
    with pytest.raises(UserError, match=r"gap\.txt:101: an empty line inside the data"):
        waveform_csv.read_waveform(Path(gap))
    table = _write(tmp_path, "gap.csv", "rsp\n\n" + "\n".join([*x[:50], "  ", *x[50:]]))
    with pytest.raises(UserError, match=r"gap\.csv:53: an empty line inside"):
        waveform_csv.read_waveform(Path(table))
    # Around the data, empty lines are layout.
    fine = _write(tmp_path, "fine.csv", "\n# belt\nrsp\n\n" + "\n".join(x) + "\n\n\n")
    assert waveform_csv.read_waveform(Path(fine)).size == len(x)


def test_a_time_column_checks_fs_and_gaps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A time column at 25 Hz read with --fs 50 halved every duration without a word."""
    f = _table(tmp_path, "t.csv", "time_s,rsp", lambda i, v: f"{i / 25:.3f},{v}")
    with pytest.raises(UserError) as err:
        call([f, "--fs", "50"], capsys)
    msg = err.value.user_message()
    assert "--fs 50 Hz, but the time column 'time_s' gives 25 Hz" in msg and "--fs 25" in msg
    with pytest.raises(BadArgument, match=r"--fs is required .*'time_s' gives 25 Hz"):
        call([f], capsys)
    out = json.loads(call([f, "--fs", "25"], capsys))
    assert out["settings"]["column"] == "rsp" and out["settings"]["time_column"] == "time_s"
    # 10 s of samples missing after row 1000 (line 1001).
    gap = _table(
        tmp_path,
        "gap.csv",
        "t_s;rsp",
        lambda i, v: f"{i / 25 + (10.0 if i >= 1000 else 0.0):.3f};{v}",
    )
    with pytest.raises(UserError, match=r"gap\.csv:1002: the time column 't_s' jumps by 10\.04 s"):
        call([gap, "--fs", "25"], capsys)
    back = _table(
        tmp_path, "back.csv", "time_ms,rsp", lambda i, v: f"{40 * i if i != 7 else 0},{v}"
    )
    with pytest.raises(UserError, match=r"back\.csv:9: the time column 'time_ms' goes back"):
        call([back, "--fs", "25"], capsys)
    # A name without a unit: only a warning when it matches neither seconds nor ms.
    loose = _table(tmp_path, "loose.csv", "time,rsp", lambda i, v: f"{i / 25:.3f},{v}")
    out = json.loads(call([loose, "--fs", "25"], capsys))
    assert out["settings"]["warnings"] == [] and out["settings"]["time_column_rate_hz"] == 25.0
    out = json.loads(call([loose, "--fs", "50"], capsys))
    assert "25 Hz if in seconds" in out["settings"]["warnings"][0]
    # A column of one time gives no rate (it advised "--fs inf").
    still = _table(tmp_path, "still.csv", "time_s,rsp", lambda i, v: f"7,{v}")
    with pytest.raises(UserError, match=r"'time_s' does not advance \(every time is 7\)"):
        call([still, "--fs", "25"], capsys)
    unnamed = _table(tmp_path, "unnamed.csv", "time,rsp", lambda i, v: f"7,{v}")
    warnings = json.loads(call([unnamed, "--fs", "25"], capsys))["settings"]["warnings"]
    assert warnings == ["the column 'time' does not advance: it is not taken for the time"]


def test_a_phone_loggers_acc_file_is_read_on_its_sensor_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Polar Sensor Logger's ``X [mg];Y [mg];Z [mg]`` were not found as x, y, z; its sensor
    times (not the phone's, batched) check --fs."""
    fs = 50.0
    t = np.arange(int(120 * fs)) / fs
    breath = np.sin(2 * np.pi * t / 6.0)
    rows = "".join(
        f"2024-03-01T09:30:{int(ti // 1) % 60:02d}.000;{1709283000000000000 + round(ti * 1e9)};"
        f"{round(300 + 20 * b)};{round(5 + 3 * b)};{round(940 - 8 * b)}\n"
        for ti, b in zip(t, breath, strict=True)
    )
    f = _write(
        tmp_path, "acc.txt", "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n" + rows
    )
    out = json.loads(call([f, "--fs", "50", "--source", "acc"], capsys))
    assert out["settings"]["column"] == "X [mg],Y [mg],Z [mg]"
    assert out["settings"]["time_column"] == "sensor timestamp [ns]"
    assert out["rate_bpm"] == pytest.approx(10.0, abs=0.5)
    with pytest.raises(UserError, match="gives 50 Hz"):
        call([f, "--fs", "100", "--source", "acc"], capsys)


def test_a_phone_loggers_batched_times_are_not_called_coarse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with the phone's times alone (a batch of 36 samples at 200 Hz stamped as it
    arrives) was warned of as "written to 0.15 s, coarser than the samples" once a time column
    in whole seconds got its rate over the recording: batches are no resolution."""
    fs = 200.0
    t = np.arange(int(50 * fs)) / fs
    breath = np.sin(2 * np.pi * t / 6.0)
    rng = np.random.default_rng(2)
    arrival = {b: b * 36 / fs + 0.2 + rng.uniform(0.0, 0.03) for b in range(t.size // 36 + 1)}
    rows = "".join(
        f"2024-03-01T09:30:{arrival[k // 36]:06.3f};"
        f"{300 + 20 * b:.1f};{5 + 3 * b + rng.normal(0, 1):.1f};{940 - 8 * b:.1f}\n"
        for k, b in enumerate(breath)
    )
    f = _write(tmp_path, "acc.txt", "Phone timestamp;X [mg];Y [mg];Z [mg]\n" + rows)
    out = json.loads(call([f, "--fs", "200", "--source", "acc"], capsys))
    assert out["settings"]["time_column"] == "Phone timestamp"
    assert not [w for w in out["settings"]["warnings"] if "time column" in w]
    assert out["rate_bpm"] == pytest.approx(10.0, abs=0.5)


def test_text_above_the_header_is_named(tmp_path: Path) -> None:
    """Biopac's notes above the header were read as the header and a row of data:
    "'RSP,' is not a number" on line 4."""
    f = _table(
        tmp_path,
        "b.txt",
        "rsp_study.acq\n10 msec/sample\n2 channels\nmin\tCH1",
        lambda i, v: f"{i / 1500:.5f}\t{v}",
    )
    with pytest.raises(UserError) as err:
        waveform_csv.read_waveform(f_path := Path(f), "CH1")
    msg = err.value.user_message()
    assert f"{f_path}:5: the numbers begin on line 5, under 4 lines of text" in msg, msg
    assert "'rsp_study.acq'" in msg and "'min\\tCH1'" in msg
    # A header, then a row with a bad cell: that row is named, not taken for text.
    bad = _table(tmp_path, "bad.csv", "t,rsp\n0,oops", lambda i, v: f"{i},{v}")
    with pytest.raises(UserError, match=r"bad\.csv:2: 'oops' is not a number"):
        waveform_csv.read_waveform(Path(bad), "rsp")


def test_one_column_of_decimal_commas_is_not_two_columns(tmp_path: Path) -> None:
    """``0,00346`` read as two columns: following the advice to choose one, --column 1 and 2
    gave 5.96 and 10.25 breaths/min from a 6/min belt."""
    x = _belt_rows()
    f = _write(tmp_path, "dc.txt", "\n".join(v.replace(".", ",") for v in x))
    for column in (None, "1", "2"):
        with pytest.raises(UserError) as err:
            waveform_csv.read_waveform(Path(f), column)
        msg = err.value.user_message()
        assert "every row looks like one number with a decimal comma" in msg
        assert f"({x[0].replace('.', ',')} for {x[0]}? write a point)" in msg
    named = _write(tmp_path, "dc.csv", "rsp\n" + "\n".join(v.replace(".", ",") for v in x))
    with pytest.raises(UserError, match=r"dc\.csv:2: '(\S+)' is not a number \(\1 for "):
        waveform_csv.read_waveform(Path(named))
    # Two columns of integers stay two columns.
    ints = _write(
        tmp_path, "ints.csv", "".join(f"{500 + i % 7},{480 + i % 5}\n" for i in range(600))
    )
    assert waveform_csv.read_waveform(Path(ints), "2")[:2].tolist() == [480.0, 481.0]


def test_the_column_analysed_is_named_when_found_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = _belt_rows()
    named = _write(tmp_path, "n.csv", "ECG,RSP\n" + "".join(f"0.1,{v}\n" for v in x))
    assert json.loads(call([named, "--fs", "25"], capsys))["settings"]["column"] == "RSP"
    alone = _write(tmp_path, "a.txt", "\n".join(x))
    assert json.loads(call([alone, "--fs", "25"], capsys))["settings"]["column"] == "1"


def rr_with_rsa(seconds: float = 300.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    beats = [0.0]
    while beats[-1] < seconds:
        hr = 65 + 6 * np.sin(2 * np.pi * 0.1 * beats[-1])  # 6 breaths/min RSA
        beats.append(beats[-1] + 60 / hr + rng.normal(0, 0.004))
    return np.diff(beats) * 1000


def test_rr_in_seconds_takes_unit_as_hrv_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hint said "use --unit s", which breaths did not have."""
    rr = rr_with_rsa()
    f = _write(tmp_path, "rr_s.txt", "\n".join(f"{v / 1000:.4f}" for v in rr))
    with pytest.raises(UserError, match="look like seconds: use --unit s"):
        call(["--rr", f], capsys)
    out = json.loads(call(["--rr", f, "--unit", "s"], capsys))
    assert out["rate_bpm"] == pytest.approx(6.0, abs=0.3)
    with pytest.raises(BadArgument, match="--unit must be 'ms' or 's'"):
        call(["--rr", f, "--unit", "min"], capsys)
    with pytest.raises(BadArgument, match="--unit is the unit of an --rr file"):
        call(
            [_write(tmp_path, "b.txt", "\n".join(_belt_rows())), "--fs", "25", "--unit", "s"],
            capsys,
        )


def test_rr_unit_over_a_column_name_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column named rr_ms holding seconds was read as seconds with --unit s without a word
    (and import refused --unit for a table): --unit still wins, and one note says so."""
    rr = rr_with_rsa()
    f = _write(
        tmp_path,
        "t.csv",
        "time,rr_ms\n" + "".join(f"{i},{v / 1000:.4f}\n" for i, v in enumerate(rr)),
    )
    with pytest.raises(UserError) as refused:
        call(["--rr", f], capsys)
    assert refused.value.user_message().endswith("— use --unit s, or rename the column rr_s")
    make_app()(args=["breaths", "--rr", f, "--unit", "s"], standalone_mode=False)
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rate_bpm"] == pytest.approx(6.0, abs=0.3)
    notes = [line for line in captured.err.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: the column's name (rr_ms) says milliseconds; the values are read as seconds "
        "because of --unit s"
    ]


def _numeric(cell: str) -> float | None:
    """A CSV cell as a number: an empty cell is null, anything else must parse as a float."""
    return None if cell == "" else float(cell)


def test_rr_csv_is_one_table_and_the_windows_go_to_estimates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CSV of --rr held two tables (the breaths, then after an empty line the 64 s
    windows), which pandas.read_csv(f, comment="#") merged into one table of strings (review,
    F3). The breaths are the CSV's one table now, numeric but for quality's labels, and the
    windows (per-window rate, quality and unusable_reason, which docs/guide/own-data.md
    promises) go to a CSV of their own with --estimates; the RSA swing keeps its names."""
    f = _write(tmp_path, "rr.txt", "\n".join(f"{v:.1f}" for v in rr_with_rsa()))
    text = call(["--rr", f, "--format", "csv"], capsys)
    as_json = json.loads(call(["--rr", f], capsys))
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert "" not in body  # no second table
    rows = list(csv.reader(body))
    assert rows[0] == list(breaths_cli.RR_BREATH_KEYS)
    assert len(rows) - 1 == len(as_json["breaths"]) > 20
    label = breaths_cli.RR_BREATH_KEYS.index("quality")
    for row in rows[1:]:
        assert len(row) == len(breaths_cli.RR_BREATH_KEYS)
        assert row[label] in {"good", "uncertain", "artifact"}
        numbers = [_numeric(cell) for k, cell in enumerate(row) if k != label]
        assert numbers[breaths_cli.RR_BREATH_KEYS.index("depth")] is not None
    first = dict(zip(rows[0], rows[1], strict=True))
    assert float(first["rsa_bpm"]) == as_json["breaths"][0]["rsa_bpm"]
    # The windows: a table of their own, the JSON's estimates; the breaths' CSV is the same.
    windows_csv = tmp_path / "windows.csv"
    assert call(["--rr", f, "--format", "csv", "--estimates", str(windows_csv)], capsys) == text
    with windows_csv.open(newline="", encoding="utf-8") as handle:
        windows = list(csv.DictReader(handle))
    assert len(windows) == len(as_json["estimates"]) > 40
    assert list(windows[0]) == list(breaths_cli.ESTIMATE_KEYS)
    for written, window in zip(windows, as_json["estimates"], strict=True):
        for key in ("t_s", "rate_bpm", "phase_rad", "fit_swing_bpm", "quality", "cosen"):
            assert _numeric(written[key]) == window[key]
        assert (written["unusable_reason"] or None) == window["unusable_reason"]
    # The JSON is as it was: the windows are in it, --estimates or not.
    json_too = tmp_path / "again.csv"
    assert json.loads(call(["--rr", f, "--estimates", str(json_too)], capsys)) == as_json
    assert json_too.read_bytes() == windows_csv.read_bytes()


def test_pandas_reads_the_rr_csv_and_the_windows_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's reading, pandas.read_csv(f, comment="#"), gives the breaths alone, one
    numeric column per field (but quality's labels); before, 123 rows of strings."""
    pd = pytest.importorskip("pandas", reason="pandas (installed with neurokit2) reads the CSV")
    f = _write(tmp_path, "rr.txt", "\n".join(f"{v:.1f}" for v in rr_with_rsa()))
    text = call(["--rr", f, "--format", "csv"], capsys)
    as_json = json.loads(call(["--rr", f], capsys))
    table = pd.read_csv(io.StringIO(text), comment="#")
    assert list(table.columns) == list(breaths_cli.RR_BREATH_KEYS)
    assert len(table) == len(as_json["breaths"])
    for column in table.columns:
        if column != "quality":
            assert pd.api.types.is_numeric_dtype(table[column]), column
    assert table["rsa_bpm"].tolist() == [b["rsa_bpm"] for b in as_json["breaths"]]
    assert table["ratio"].isna().all() and table["pause_s"].isna().all()
    windows_csv = tmp_path / "windows.csv"
    call(["--rr", f, "--format", "csv", "--estimates", str(windows_csv)], capsys)
    windows = pd.read_csv(windows_csv)
    assert list(windows.columns) == list(breaths_cli.ESTIMATE_KEYS)
    assert len(windows) == len(as_json["estimates"])
    assert windows["rate_bpm"].tolist() == [e["rate_bpm"] for e in as_json["estimates"]]
    assert pd.api.types.is_numeric_dtype(windows["quality"])


def test_estimates_is_refused_where_it_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--estimates names a CSV file for --rr's windows: refused before the analysis without
    --rr, over the RR file itself (which it would replace), for a folder, standard output, or
    in a folder that does not exist."""
    rr_text = "\n".join(f"{v:.1f}" for v in rr_with_rsa())
    f = _write(tmp_path, "rr.txt", rr_text)
    belt = _write(tmp_path, "belt.txt", "\n".join(_belt_rows()))
    with pytest.raises(BadArgument, match="--estimates is the table of --rr's 64 s windows"):
        call([belt, "--fs", "25", "--estimates", str(tmp_path / "w.csv")], capsys)
    with pytest.raises(BadArgument, match="is the RR file being read"):
        call(["--rr", f, "--estimates", f], capsys)
    assert Path(f).read_text() == rr_text
    with pytest.raises(BadArgument, match="is a folder"):
        call(["--rr", f, "--estimates", str(tmp_path)], capsys)
    with pytest.raises(BadArgument, match="cannot be written to standard output"):
        call(["--rr", f, "--estimates", "-"], capsys)
    with pytest.raises(UserError, match="does not exist"):
        call(["--rr", f, "--estimates", str(tmp_path / "no" / "w.csv")], capsys)
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["belt.txt", "rr.txt"]


def test_an_rr_tables_time_gap_is_kept_as_import_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Beats lost for 10 min (Polar Sensor Logger's Phone timestamp jumps) were joined: the
    breaths after it came 600 s early, with no warning."""
    rr = rr_with_rsa(600.0)
    beat = np.cumsum(rr) / 1000.0
    beat[400:] += 600.0
    f = _write(tmp_path, "polar.txt", polar_logger_rr(rr, 400, 600.0))
    out = json.loads(call(["--rr", f], capsys))
    warning = out["settings"]["warnings"][0]
    assert "beats lost in 1 gap (600.0 s in all" in warning and "before line 402" in warning
    assert out["breaths"][-1]["end_s"] > 1150.0
    assert not [b for b in out["breaths"] if beat[399] + 1 < b["inhale_onset_s"] < beat[400] - 1]


def test_reading_a_large_file_costs_a_few_times_its_size(tmp_path: Path) -> None:
    """Every line was a Python string in two lists: reading took about 17 bytes of memory per
    byte of file (4 h at 100 Hz, 25 MB: 552 MB peak; 12 h at 1 kHz in review: 9.4 GB)."""
    import subprocess
    import sys

    f = tmp_path / "big.txt"
    np.savetxt(f, np.sin(np.arange(1_000_000) / 40.0), fmt="%.5f", header="rsp", comments="")
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from trainer.storage import waveform_csv\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "waveform_csv.read_waveform(Path(sys.argv[1]))\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print((after - before) * 1024 / Path(sys.argv[1]).stat().st_size)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(f)], capture_output=True, text=True, check=True
    )
    assert float(run.stdout) < 6.0


def test_rr_of_breathing_at_3_per_min_gives_no_rate_and_names_the_slow_breathing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 28, F13: below about 4/min the heart rhythm's windows peak at its beat jitter, so
    no rate is given; the warning blamed too little sinus arrhythmia alone, though the
    simulated person's swing at 3/min is 5-8 beats/min."""
    from devices.guide import GuideState
    from devices.sim import PersonModel, SimulatedSensor

    class Slow:
        def guide_at(self, t_s: float) -> GuideState:
            return GuideState(8.0, 0.0, 12.0, 0.0, (t_s % 20.0) / 20.0)  # 3/min, 1.5:1

    sim = SimulatedSensor(PersonModel(seed=0), Slow(), start_mono_ns=0, start_wall_ns=0)
    sim.packets_until(300 * 10**9)
    beats_s = np.asarray(sim.truth_beats_s)
    f = tmp_path / "rr_3_per_min.txt"
    f.write_text("\n".join(f"{v:.0f}" for v in np.diff(beats_s[beats_s < 300.0]) * 1000.0))
    make_app()(args=["breaths", "--rr", str(f)], standalone_mode=False)
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rate_bpm"] is None
    assert "breathing slower than about 4/min" in captured.err
