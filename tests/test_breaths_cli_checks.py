"""``breathwise breaths`` on files a researcher's review brought that are not (all) breathing:
a belt that comes off halfway, an ECG or skin-conductance column chosen by mistake, an
accelerometer's time column taken for an axis, breathing under a slow sway."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer

from trainer.cli import breaths as breaths_cli


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """The JSON output and standard error of ``breathwise breaths ARGS``."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    app(args=["breaths", *args], standalone_mode=False)
    captured = capsys.readouterr()
    out: dict[str, Any] = json.loads(captured.out)
    return out, captured.err


def breathing(
    fs: float, duration_s: float, inhale_s: float = 2.0, exhale_s: float = 3.0
) -> np.ndarray:
    """Raised-cosine breaths 0 to 1 deep (the reviewer's gen.py), 1 % noise."""
    t = np.arange(round(duration_s * fs)) / fs
    ph = t % (inhale_s + exhale_s)
    x = np.where(
        ph < inhale_s,
        (1 - np.cos(np.pi * ph / inhale_s)) / 2,
        (1 + np.cos(np.pi * (ph - inhale_s) / exhale_s)) / 2,
    )
    return x + 0.01 * np.random.default_rng(0).standard_normal(t.size)


def qualities(out: dict[str, Any], lo_s: float, hi_s: float) -> Counter[str]:
    return Counter(b["quality"] for b in out["breaths"] if lo_s <= b["inhale_onset_s"] < hi_s)


@pytest.mark.parametrize("noise_sd", [0.4, 1.0])
def test_a_belt_that_comes_off_halfway_keeps_its_breathing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], noise_sd: float
) -> None:
    """10 min of breathing at 12/min, then 10 min of white noise (the belt off): the noise
    check was made on the whole file, so the noise read as ~120 "good" breaths at ~17/min
    without a word (sd 0.4), or every real breath was made an artifact with no rate (sd 1.0)."""
    x = breathing(25.0, 600.0)
    noise = 0.5 + noise_sd * np.random.default_rng(1).standard_normal(x.size)
    f = tmp_path / "half_noise.txt"
    np.savetxt(f, np.r_[x, noise], fmt="%.5f")
    out, err = run([str(f), "--fs", "25"], capsys)
    assert out["rate_bpm"] == pytest.approx(12.0, abs=0.05)
    breathing_part = qualities(out, 0.0, 585.0)
    assert breathing_part["good"] >= 115 and breathing_part["artifact"] == 0
    assert set(qualities(out, 600.0, 1200.0)) == {"artifact"}
    [note] = [w for w in out["settings"]["warnings"] if "looks like noise" in w]
    assert "over 600.0-1200.0 s" in note or "over 585.0-1200.0 s" in note, note
    assert note in err


def test_a_long_breath_hold_is_no_noise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A belt holding still through a 90-s apnoea shows only its own noise there, which reads as
    noise window by window; the breath holding it is as deep as any and stays a breath."""
    fs = 25.0
    x = np.r_[breathing(fs, 150.0), 0.01 * np.random.default_rng(2).standard_normal(90 * 25)]
    x = np.r_[x, breathing(fs, 150.0)]
    f = tmp_path / "apnoea.txt"
    np.savetxt(f, x, fmt="%.5f")
    out, _ = run([str(f), "--fs", "25"], capsys)
    assert out["settings"]["warnings"] == []
    assert "artifact" not in qualities(out, 0.0, 400.0)
    assert out["rate_bpm"] == pytest.approx(12.0, abs=0.05)


NEUROKIT2 = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "neurokit2"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("file", "column", "like"),
    [
        ("bio_resting_5min_100hz.csv", "ECG", "faster, as in an ECG"),
        ("bio_resting_8min_100hz.csv", "ECG", "faster, as in an ECG"),
        ("bio_eventrelated_100hz.csv", "ECG", "faster, as in an ECG"),
        ("bio_resting_5min_100hz.csv", "PPG", "faster, as in an ECG or a pulse wave"),
        ("bio_eventrelated_100hz.csv", "EDA", "slower, with no breathing rhythm"),
        ("bio_resting_8min_100hz.csv", "EDA", "slower, with no breathing rhythm"),
        ("bio_resting_5min_100hz.csv", "RSP", None),
        ("bio_resting_8min_100hz.csv", "RSP", None),
        ("bio_eventrelated_100hz.csv", "RSP", None),
    ],
)
def test_a_column_that_is_not_breathing_is_questioned(
    capsys: pytest.CaptureFixture[str], file: str, column: str, like: str | None
) -> None:
    """The ECG column read as 23.9/min with "good" 91-s breaths (90-s inhales) and only a
    ratio warning; the EDA column as 4.8/min with no warning at all (found in review)."""
    path = NEUROKIT2 / file
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    out, err = run([str(path), "--fs", "100", "--column", column], capsys)
    doubts = [w for w in out["settings"]["warnings"] if "does not look like breathing" in w]
    if like is None:
        assert doubts == [] and out["settings"]["power_shares"]["breathing"] > 0.7
        assert sum(b["quality"] == "good" for b in out["breaths"]) > 0.8 * len(out["breaths"])
        return
    [doubt] = doubts
    assert like in doubt and f"is column {column!r} the breathing signal?" in doubt
    assert doubt in err
    # Its breaths are not "good" ones: a researcher filtering on quality kept them.
    qualities = {b["quality"] for b in out["breaths"]}
    assert "good" not in qualities and "uncertain" in qualities


def test_breathing_under_a_slow_sway_is_not_questioned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 70-s sway twice the breaths' depth holds most of the power (83 %), but the breathing
    keeps its own peak and is read right: no doubt about the column."""
    x = breathing(50.0, 300.0)
    x += 2.0 * np.sin(2 * np.pi * np.arange(x.size) / 50.0 / 70.0)
    f = tmp_path / "sway70.txt"
    np.savetxt(f, x, fmt="%.5f")
    out, _ = run([str(f), "--fs", "50"], capsys)
    assert out["settings"]["power_shares"]["slower"] > 0.5
    assert out["settings"]["warnings"] == []
    assert out["rate_bpm"] == pytest.approx(12.0, abs=0.05)


@pytest.mark.parametrize(
    ("name", "fs", "hum", "noise_sd"),
    [("hum_1.0", 500, 1.0, 0.02), ("hum_1.5", 500, 1.5, 0.02), ("noisy_1.0", 100, 0.0, 1.0)],
)
def test_a_belt_under_mains_hum_or_broadband_noise_is_not_questioned(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    fs: int,
    hum: float,
    noise_sd: float,
) -> None:
    """A 12/min sine with 50 Hz mains hum as large as the breaths or 1.5 times larger (500 Hz),
    or white sensor noise of 1.0 standard deviation (100 Hz), is read right, yet was said not
    to look like breathing (31-50 % of the power up to the Nyquist frequency at breathing
    rates), its good breaths then marked uncertain (review). Up to 5 Hz: 88-100 %."""
    t = np.arange(0.0, 180.0, 1.0 / fs)
    rng = np.random.default_rng(1)
    x = np.sin(2 * np.pi * 0.2 * t) + hum * np.sin(2 * np.pi * 50 * t + 0.3)
    x += noise_sd * rng.standard_normal(t.size)
    f = tmp_path / f"{name}.csv"
    np.savetxt(f, x, fmt="%.5f", header="resp", comments="")
    out, err = run([str(f), "--fs", str(fs)], capsys)
    assert "does not look like breathing" not in err
    assert out["settings"]["power_shares"]["breathing"] > 0.8
    assert out["rate_bpm"] == pytest.approx(12.0, abs=0.2)
    assert sum(b["quality"] == "good" for b in out["breaths"]) >= 0.9 * len(out["breaths"])


def test_an_accelerometer_time_column_taken_for_an_axis_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A headerless t,x,y,z file read with --column 1,2,3: 17.7 breaths/min from 8 breaths in
    the first 33 s of 300, in silence (found in review); the belt path already warned for a
    time column."""
    fs = 25.0
    depth = breathing(fs, 300.0, 2.0, 4.0)  # 10/min, tilting the chest 1.5 degrees per unit
    t = np.arange(depth.size) / fs
    angle = np.deg2rad(20.0 + 1.5 * depth)
    rng = np.random.default_rng(2)
    x = 1000.0 * np.sin(angle) + 2.0 * rng.standard_normal(t.size)
    z = 1000.0 * np.cos(angle) + 2.0 * rng.standard_normal(t.size)
    y = 50.0 + 2.0 * rng.standard_normal(t.size)
    f = tmp_path / "acc_nohdr.csv"
    np.savetxt(f, np.c_[t, x, y, z], delimiter=",", fmt="%.4f")
    out, err = run([str(f), "--fs", "25", "--source", "acc", "--column", "1,2,3"], capsys)
    time_like, covered = out["settings"]["warnings"]
    assert time_like.startswith("column '1' only rises over all 300.0 s, like a time or counter")
    assert covered.startswith("breaths were found in only") and covered in err
    right, _ = run([str(f), "--fs", "25", "--source", "acc", "--column", "2,3,4"], capsys)
    assert right["settings"]["warnings"] == []
    assert right["rate_bpm"] == pytest.approx(10.0, abs=0.05)


def test_breaths_slower_than_validated_are_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 40-s sway 4 times the breaths' depth read as six "good" 40-s breaths, 1.5/min, with no
    warning (found in review: the reviewer's wander40.txt); breathing at 3/min, the slowest
    validated, gets none."""
    x = breathing(50.0, 300.0)
    x += 2.0 * np.sin(2 * np.pi * np.arange(x.size) / 50.0 / 40.0)
    f = tmp_path / "wander40.txt"
    np.savetxt(f, x, fmt="%.5f")
    out, err = run([str(f), "--fs", "50"], capsys)
    [slow] = out["settings"]["warnings"]
    assert slow.startswith(f"the median rate, {out['rate_bpm']:.2f} breaths/min") and slow in err
    assert "slower than the 3/min the analysis is validated for" in slow
    f3 = tmp_path / "slow3.txt"
    np.savetxt(f3, breathing(25.0, 400.0, 6.0, 14.0), fmt="%.5f")
    out, _ = run([str(f3), "--fs", "25"], capsys)
    assert out["rate_bpm"] == pytest.approx(3.0, abs=0.02)
    assert out["settings"]["warnings"] == []


@pytest.mark.parametrize("event", ["step", "missing-value codes"])
def test_one_local_event_does_not_make_a_real_belt_read_as_not_breathing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, event: str
) -> None:
    """Review 28, F3: one baseline step of five times the breath depth (a strap shifting), or
    two -9999 samples (a logger's code for a missing one), in NeuroKit2's real 5-min belt made
    the whole file read as "does not look like breathing", blaming the column, and all 73 good
    breaths uncertain. Such an event floods only the stretch it is in, or is a stray value."""
    path = NEUROKIT2 / "bio_resting_5min_100hz.csv"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    header = path.read_text().splitlines()[0].split(",")
    rsp = np.loadtxt(path, delimiter=",", skiprows=1, usecols=header.index("RSP"))
    if event == "step":
        low, high = np.percentile(rsp, [5, 95])
        rsp[15000:] += 5.0 * (high - low)
    else:
        rsp[[5000, 18000]] = -9999.0
    changed = tmp_path / "belt.txt"
    np.savetxt(changed, rsp, fmt="%.6f")
    out, err = run([str(changed), "--fs", "100"], capsys)
    assert "does not look like breathing" not in err
    qualities = Counter(b["quality"] for b in out["breaths"])
    assert qualities["good"] >= 65, qualities


@pytest.mark.parametrize(("rate_bpm", "warned"), [(60.0, False), (75.0, True), (80.0, True)])
def test_breathing_near_the_fastest_counted_says_some_cycles_were_merged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rate_bpm: float, warned: bool
) -> None:
    """Review 28, F8: at 80/min with 5 % breath-to-breath variation a third of the cycles fall
    under the detector's 0.75 s and are merged as wiggles: 101 breaths for 157, a rate of 76,
    and no warning (the one for breathing too fast needs most breaths uncertain)."""
    from benchmarks.validate_breath import Scenario, synthetic_belt

    sc = Scenario(rate_bpm, 1.5, snr_db=None, fs_hz=100.0, duration_s=120, drift=False, cv=0.05)
    x, _ = synthetic_belt(sc, 1)
    path = tmp_path / "fast.txt"
    np.savetxt(path, x[:-900], fmt="%.6f")
    _, err = run([str(path), "--fs", "100"], capsys)
    assert ("merged as a wiggle" in err) is warned
