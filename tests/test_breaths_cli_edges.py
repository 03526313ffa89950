"""``breathwise breaths`` at the edges a review found: fast breathing, a headline rate that the
table reproduces, samples a logger repeated through a dropout, and a coarse converter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer

from trainer.cli import breaths as breaths_cli

FS = 50.0


def run(path: Path, fs: float, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    app(args=["breaths", str(path), "--fs", str(fs)], standalone_mode=False)
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def breathing(rate_bpm: float, ratio: float, fs: float, duration_s: float) -> np.ndarray:
    """Raised-cosine inhales and exhales (no pause) with 1 % noise."""
    t = np.arange(0.0, duration_s, 1.0 / fs)
    period = 60.0 / rate_bpm
    inhale = period / (1.0 + ratio)
    ph = t % period
    x = np.where(
        ph < inhale,
        (1 - np.cos(np.pi * ph / inhale)) / 2,
        (1 + np.cos(np.pi * (ph - inhale) / (period - inhale))) / 2,
    )
    return x + 0.01 * np.random.default_rng(4).standard_normal(t.size)


def write(path: Path, x: np.ndarray, fmt: str = "%.5f") -> Path:
    np.savetxt(path, x, fmt=fmt)
    return path


def test_fast_breathing_reads_its_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """50 breaths/min had read 24.985 with no warning (cycles under 1.5 s were merged)."""
    out = run(write(tmp_path / "r50.txt", breathing(50.0, 1.5, 100.0, 120.0)), 100.0, capsys)
    assert out["rate_bpm"] == pytest.approx(50.0, abs=0.5)
    assert out["settings"]["detector"]["max_rate_bpm"] == 80.0
    assert out["settings"]["warnings"] == []


def test_breathing_too_fast_to_count_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(write(tmp_path / "r90.txt", breathing(90.0, 1.5, 100.0, 120.0)), 100.0, capsys)
    assert any("faster than 80 breaths/min" in w for w in out["settings"]["warnings"])
    assert all(b["quality"] != "good" for b in out["breaths"])


def test_headline_rate_is_reproducible_from_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """wfdb 03700181 RESP: rate_bpm read 19.23 where the listed onsets give 18.05 (the median
    of the corner-timed periods, which the output does not show; found in review)."""
    from benchmarks.validate_breath import real_signals

    signals = {label: (x, fs) for label, x, fs in real_signals()}
    if "wfdb 03700181 RESP" not in signals:
        pytest.skip("../shared/data absent")
    x, fs = signals["wfdb 03700181 RESP"]
    out = run(write(tmp_path / "resp.txt", x, "%.6g"), fs, capsys)
    rows = [b for b in out["breaths"] if b["quality"] != "artifact"]
    spans = [60.0 / (b["end_s"] - b["inhale_onset_s"]) for b in rows]
    assert out["rate_bpm"] == pytest.approx(float(np.median(spans)), abs=0.005)
    # The ventilator's dominant regime (3.34 s breaths): 18.0/min over any 8 breaths.
    assert out["rate_bpm"] == pytest.approx(18.0, abs=0.1)
    for a, b in zip(out["breaths"], out["breaths"][1:], strict=False):
        assert a["end_s"] == b["inhale_onset_s"]


@pytest.mark.parametrize(("at_s", "what"), [(101.7, "mid-exhale"), (100.0, "at the bottom")])
def test_a_repeated_value_is_an_artifact_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], at_s: float, what: str
) -> None:
    """30 s of one repeated sample had read as a good breath: a 33 s inhale mid-exhale, a 30 s
    pause at the bottom (found in review)."""
    x = breathing(6.0, 2.0, FS, 300.0)
    a = round(at_s * FS)
    x = np.round(x, 5)
    x[a : a + 1500] = x[a - 1]
    out = run(write(tmp_path / "held.txt", x), FS, capsys)
    [note] = [w for w in out["settings"]["warnings"] if "repeats exactly the same value" in w]
    assert f"{(a - 1) / FS:.2f}-{(a + 1499) / FS:.2f} s" in note, (what, note)
    marked = [b for b in out["breaths"] if b["quality"] == "artifact"]
    assert marked and all(
        b["inhale_onset_s"] <= (a + 1500) / FS and b["end_s"] >= (a - 1) / FS for b in marked
    )
    assert out["rate_bpm"] == pytest.approx(6.0, abs=0.05)


@pytest.mark.parametrize("depth_counts", [3, 6])
def test_a_coarse_converter_is_called_coarse_not_saturated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth_counts: int
) -> None:
    """A belt 3-6 counts deep was reported as "sensor looks saturated (clipped)" (found in
    review): its extremes hold many samples, but so does every level."""
    x = 512 + np.round(depth_counts * breathing(6.0, 2.0, FS, 300.0))
    out = run(write(tmp_path / "coarse.txt", x, "%d"), FS, capsys)
    warnings = out["settings"]["warnings"]
    assert not any("saturated" in w for w in warnings)
    assert any(w.startswith("the signal is coarse") for w in warnings)
    assert out["settings"]["clipped_fraction"] < 0.05


def test_a_coarse_converter_that_clips_is_saturated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """6 counts deep and cut 2 counts below its top: the rail holds 4x the next level."""
    x = np.minimum(512 + np.round(6 * breathing(6.0, 2.0, FS, 300.0)), 516)
    out = run(write(tmp_path / "clipped.txt", x, "%d"), FS, capsys)
    assert any("saturated" in w for w in out["settings"]["warnings"])
    assert out["settings"]["clipped_fraction"] > 0.3


def held_notes(out: dict[str, Any]) -> list[str]:
    return [w for w in out["settings"]["warnings"] if "repeats exactly the same value" in w]


def test_pauses_in_a_quantised_belt_are_breaths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quiet belt written with 2 decimals repeats one value through each 3 s end-exhale
    pause: 15 of its 29 breaths were made artifacts as held through a logger's dropout (found
    in review, ``q_pause_all.csv``)."""
    t = np.arange(0.0, 300.0, 1.0 / FS)
    ph = t % 10.0
    x = np.where(ph < 7 / 3, (1 - np.cos(np.pi * ph / (7 / 3))) / 2, 0.0)
    x = np.where((ph >= 7 / 3) & (ph < 7), (1 + np.cos(np.pi * (ph - 7 / 3) / (14 / 3))) / 2, x)
    x += 0.002 * np.random.default_rng(5).standard_normal(t.size)
    out = run(write(tmp_path / "paused.txt", x, "%.2f"), FS, capsys)
    assert held_notes(out) == []
    assert [b["quality"] for b in out["breaths"]].count("artifact") == 0
    assert out["rate_bpm"] == pytest.approx(6.0, abs=0.05)


def test_a_quantised_pause_in_a_real_belt_is_a_breath(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NeuroKit2's bio_resting_5min belt written with 2 decimals: its 2.96 s end-exhale pause at
    134.90 s made 2 breaths artifacts (found in review); with 3 decimals none."""
    from benchmarks.validate_breath import real_signals

    signals = {label: (x, fs) for label, x, fs in real_signals()}
    if "NeuroKit2 bio_resting_5min_100hz RSP" not in signals:
        pytest.skip("../shared/data absent")
    x, fs = signals["NeuroKit2 bio_resting_5min_100hz RSP"]
    out = run(write(tmp_path / "rsp.txt", x, "%.2f"), fs, capsys)
    assert held_notes(out) == []
    assert len(out["breaths"]) == 80
    assert [b["quality"] for b in out["breaths"]].count("artifact") == 0


@pytest.mark.parametrize(
    ("holds_at_s", "says"),
    [
        ([104.0], "The breath overlapping it is marked as an artifact"),
        ([104.0, 204.0], "The 2 breaths overlapping them are marked as artifacts"),
    ],
)
def test_the_held_note_counts_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], holds_at_s: list[float], says: str
) -> None:
    """It said "The 1 breath overlapping it is marked as artifacts" (found in review)."""
    x = np.round(breathing(6.0, 2.0, FS, 300.0), 5)
    for at_s in holds_at_s:
        a = round(at_s * FS)
        x[a : a + round(2.5 * FS)] = x[a - 1]  # mid-exhale, within one breath
    out = run(write(tmp_path / "held.txt", x), FS, capsys)
    [note] = held_notes(out)
    assert note.endswith(says), note
    assert [b["quality"] for b in out["breaths"]].count("artifact") == len(holds_at_s)
