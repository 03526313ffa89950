"""Issue 7's acceptance numbers as tests, on the same generators as the validation report.

The report (``benchmarks/validate_breath.py`` -> ``docs/validation/breathing.md``) runs the
full grid with NeuroKit2 beside us; these tests run a seeded subset of it. Targets the belt
detector does not meet yet are kept as strict expected failures with the measured numbers in
the reason, so they turn into errors the day they pass.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.acc_breath import AccBreathTracker
from benchmarks.breath_bound import Comparison, compare
from benchmarks.validate_breath import (
    MODERATE_SNR_DB,
    PASSIVE_EXHALE,
    Detected,
    Scenario,
    Score,
    chest_acc,
    in_band_snr_db,
    ours,
    score,
    score_after,
    synthetic_belt,
)
from trainer.cli.breaths import analyse_samples

SEED = 20240707
RATES = (4.0, 6.0, 10.0, 15.0)
RATIOS = (1.0, 1.5, 2.0, 3.0)


def _moderate(ratio: float, pause: float) -> list[Score]:
    out = []
    for rate in RATES:
        sc = Scenario(rate, ratio, pause_frac=pause, snr_db=MODERATE_SNR_DB, duration_s=180.0)
        x, truth = synthetic_belt(sc, SEED)
        out.append(score(ours(x, sc.fs_hz), truth))
    return out


@pytest.mark.parametrize("pause", [0.0, 0.15])
@pytest.mark.parametrize("ratio", RATIOS)
def test_moderate_noise_rate_error_and_no_false_or_missed(ratio: float, pause: float) -> None:
    scores = _moderate(ratio, pause)
    for rate, s in zip(RATES, scores, strict=True):
        print(
            f"ratio {ratio} pause {pause} rate {rate}: rate err {s.rate_err_bpm:.3f}, "
            f"onset {s.median('onset_err_s'):.3f} s, ratio err {s.median('ratio_err'):.3f}"
        )
        assert s.false == 0 and s.missed == 0, s
        assert s.rate_err_bpm <= 0.2  # the target
        # Each rate on its own, with room for one 3 min seed (now at most 42 ms and 0.069).
        assert s.median("onset_err_s") <= 0.08
        assert s.median("ratio_err") <= 0.12


def test_target_median_onset_error_100_ms() -> None:
    """Issue 7: median onset error <= 100 ms, here for every rate on its own (stricter than
    the report's median over the 4-15/min band)."""
    for pause in (0.0, 0.15):
        for ratio in RATIOS:
            for s in _moderate(ratio, pause):
                assert s.median("onset_err_s") <= 0.100


@pytest.mark.parametrize("ratio", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("pause", [0.0, 0.15])
def test_target_median_ratio_error_005(ratio: float, pause: float) -> None:
    """Issue 7: per-breath median |ratio error| <= 0.05 over 4-15/min at moderate noise."""
    errors = [e for s in _moderate(ratio, pause) for e in s.ratio_err]
    assert np.median(errors) <= 0.05


@functools.cache
def _at_3_to_1(pause: float) -> Comparison:
    """Ours and the generating model's own fit at 3:1: section 7 of the report, on its
    recordings (6 seeded 5 min recordings per rate, about 1050 breaths); the tied fit, which
    no test reads, left out."""
    return compare(3.0, pause, tied=False)


def test_target_median_ratio_error_005_at_3_to_1_without_a_pause() -> None:
    """Met thanks to the junction fit (0.045 here with its fitted baseline tilt, 0.048 with the
    line through the trough levels; the whole-breath fit alone read 0.053)."""
    assert np.median(_at_3_to_1(0.0).ours_ratio) <= 0.05


@pytest.mark.xfail(
    strict=True,
    reason="not met for 3:1 breaths with a pause: per-breath median |ratio error| 0.053 at 30 "
    "dB in-band noise (without a pause 0.045, 1:1-2:1 meet it; noise-free < 0.01). The "
    "generating model's own least-squares fit, started at the truth, reads 0.049 on the same "
    "breaths: the target is at the edge of what the signal holds "
    "(docs/validation/breathing.md, section 7)",
)
def test_target_median_ratio_error_005_at_3_to_1_with_a_pause() -> None:
    assert np.median(_at_3_to_1(0.15).ours_ratio) <= 0.05


def test_session_ratio_at_3_to_1_with_a_pause() -> None:
    """The ratio a session is coached on is the median over its breaths: per recording,
    |median detected - median true| stays well inside 0.05 where the per-breath median does
    not (0.006-0.039 on these four 3 min recordings; the report's 24 read a median of 0.014)."""
    for rate in RATES:
        sc = Scenario(rate, 3.0, pause_frac=0.15, snr_db=MODERATE_SNR_DB, duration_s=180.0)
        x, truth = synthetic_belt(sc, SEED)
        found = ours(x, sc.fs_hz)
        session = float(np.median([d.ratio for d in found]))
        true = float(np.median([t.ratio for t in truth]))
        print(f"rate {rate}: session ratio {session:.3f}, true {true:.3f}")
        assert abs(session - true) <= 0.05


@pytest.mark.parametrize("pause", [0.0, 0.15])
def test_3_to_1_ratio_error_is_near_the_model_fit(pause: float) -> None:
    """At 3:1 we stay within 15 % of the generating model's own fit (below it without a pause,
    where the junction fit shares the corners the free model fit does not; 8 % above with one).
    """
    c = _at_3_to_1(pause)
    print(
        f"pause {pause}: ours {np.median(c.ours_ratio):.4f}, model fit {np.median(c.fit_ratio):.4f}"
    )
    assert np.median(c.ours_ratio) <= 1.15 * np.median(c.fit_ratio)


@pytest.mark.parametrize("pause", [0.0, 0.15])
def test_a_passive_exhale_does_not_bias_the_ratio(pause: float) -> None:
    """A fall that is steep at first with a long slow tail (real belts show it) is timed by the
    fitted shape: a raised-cosine fit would read the ratio 0.07-0.09 high and end the exhale
    0.7-0.9 s early, the phase fits alone 0.37 high."""
    errors: list[float] = []
    signed: list[float] = []
    for rate in RATES:
        sc = Scenario(
            rate,
            2.0,
            pause_frac=pause,
            snr_db=MODERATE_SNR_DB,
            exhale_shape=PASSIVE_EXHALE,
            duration_s=180.0,
        )
        x, truth = synthetic_belt(sc, SEED)
        found = ours(x, sc.fs_hz)
        errors += score(found, truth).ratio_err
        onsets = np.array([d.inhale_onset_s for d in found])
        for t in truth[1:-1]:
            j = int(np.argmin(np.abs(onsets - t.inhale_onset_s)))
            signed.append(found[j].ratio - t.ratio)
    print(f"pause {pause}: median |error| {np.median(errors):.4f}, bias {np.median(signed):+.4f}")
    assert np.median(errors) <= 0.04
    assert abs(np.median(signed)) <= 0.02


@pytest.mark.parametrize("rate", [4.5, 5.0, 5.5, 6.0])
@pytest.mark.parametrize(("ratio", "pause"), [(1.0, 0.0), (2.0, 0.0), (2.0, 0.15)])
def test_slow_paced_at_15_db_has_no_false_breaths(rate: float, ratio: float, pause: float) -> None:
    sc = Scenario(rate, ratio, pause_frac=pause, snr_db=15.0, duration_s=240.0)
    x, truth = synthetic_belt(sc, SEED + 1)
    found = ours(x, sc.fs_hz)
    assert len(found) <= len(truth), (len(found), len(truth))
    assert len(found) >= len(truth) - 1
    assert score(found, truth).rate_err_bpm < 0.5


@pytest.mark.parametrize(("rate", "fs"), [(6.0, 50.0), (12.0, 200.0), (15.0, 25.0)])
def test_acc_posture_change_loses_no_breath_within_one(rate: float, fs: float) -> None:
    sc = Scenario(rate, 1.5, pause_frac=0.1, snr_db=35.0, duration_s=300.0, fs_hz=fs)
    acc, truth = chest_acc(sc, SEED, change_at_s=150.0)
    tracker = AccBreathTracker(fs)
    found = tracker.update(acc)
    assert tracker.posture_changes == 1
    near = [b for b in found if 90.0 < b.inhale_onset_s < 210.0]
    true_near = [t for t in truth if 90.0 < t.inhale_onset_s < 210.0]
    assert abs(len(near) - len(true_near)) <= 1
    # Once the new posture is learnt (from 165 s): every true breath found, nothing extra.
    after = score_after([Detected.from_breath(b) for b in found], truth, 165.0)
    assert after.false == 0 and after.missed == 0


@pytest.mark.parametrize("snr_db", [40.0, 30.0, 20.0])
@pytest.mark.parametrize("rate", [6.0, 15.0])
def test_in_band_snr_reads_the_synthetic_snr_within_1_5_db(rate: float, snr_db: float) -> None:
    """Section 6's SNR estimate on signals of known SNR, as its docstring claims. It crashed on
    numpy 1.26, the declared floor (it called numpy 2's ``np.trapezoid``)."""
    sc = Scenario(rate, 2.0, snr_db=snr_db)
    x, _ = synthetic_belt(sc, SEED)
    assert in_band_snr_db(x, sc.fs_hz) == pytest.approx(snr_db, abs=1.5)


def test_smoothstep_belt_is_the_same_breaths_within_1_percent_of_the_depth() -> None:
    """Section 9's off-model shape: the same breaths (truth, depths, timing) as the raised
    cosine, the cubic smoothstep 3u^2 - 2u^3 instead (at most 1.0 % of the depth from it); and
    the settled ratios of ``breathwise breaths`` on it as near the truth as the detector's own
    (they had read 0.10 off at 3:1 noise-free against 0.03, review 40 F2)."""
    sc = Scenario(10.0, 3.0, snr_db=None, drift=False, duration_s=120.0)
    cosine, truth = synthetic_belt(sc, SEED)
    smooth, smooth_truth = synthetic_belt(replace(sc, smoothstep=True), SEED)
    assert smooth_truth == truth and smooth.shape == cosine.shape
    depth = max(t.depth for t in truth)
    assert 0.005 * depth < np.max(np.abs(smooth - cosine)) <= 0.0101 * depth
    live = score(ours(smooth, sc.fs_hz), truth)
    settled = score(
        [Detected.from_breath(b) for b in analyse_samples(smooth, sc.fs_hz).breaths], truth
    )
    print(f"live {live.median('ratio_err'):.3f}, settled {settled.median('ratio_err'):.3f}")
    assert settled.median("ratio_err") <= live.median("ratio_err") + 0.005 <= 0.05


def _report_row(lines: list[str], label: str) -> list[str]:
    """The cells of the report's table row for ``label`` (the first cell)."""
    (row,) = [r for r in lines if r.startswith(f"| {label} |")]
    return [c.strip() for c in row.strip("|").split("|")]


def test_real_recording_rows_are_what_the_breaths_command_gives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The report's rows on a real belt (sections 5 and 8) are the command's output: they had
    been computed on the detector's breaths before ``settle_ends``, and read CVBB 0.300 and
    RMSSD 1.792 s on this file where ``breathwise breaths`` gives 0.310 and 1.899 s, and a
    median ratio of 1.44 where the listed breaths give 1.39 (review 6, finding 1)."""
    import typer

    from benchmarks.validate_breath import DATA, real_regularity_rows, real_section
    from trainer.cli import breaths as breaths_cli

    name = "bio_resting_8min_100hz"
    path = DATA / "neurokit2" / f"{name}.csv"
    if not path.exists():
        pytest.skip("../shared/data absent")
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    app(args=["breaths", str(path), "--fs", "100", "--column", "RSP"], standalone_mode=False)
    out = json.loads(capsys.readouterr().out)
    listed = [b for b in out["breaths"] if b["quality"] != "artifact"]
    label = f"NeuroKit2 {name} RSP"

    lines: list[str] = []
    real_section(lines, with_nk=False)
    cells = _report_row(lines, label)
    assert int(cells[3]) == len(out["breaths"])
    # Printed to 2 decimals from the same values: equal to within the printing's rounding.
    assert float(cells[4]) == pytest.approx(out["rate_bpm"], abs=0.0051)
    ratio = float(np.median([b["ratio"] for b in listed if b["ratio"] is not None]))
    assert float(cells[5]) == pytest.approx(ratio, abs=0.0051)
    good = 100.0 * sum(b["quality"] == "good" for b in out["breaths"]) / len(out["breaths"])
    assert int(cells[6]) == round(good)

    cells = _report_row(real_regularity_rows(with_nk=False), label)
    v = out["variability"]
    assert float(cells[1]) == pytest.approx(v["cv_bb"], abs=0.00051)
    assert float(cells[3]) == pytest.approx(v["rmssd_bb_s"], abs=0.00051)


def _breaths_rr(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``breathwise breaths --rr path``'s JSON."""
    import typer

    from trainer.cli import breaths as breaths_cli

    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    app(args=["breaths", "--rr", str(path)], standalone_mode=False)
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_rr_rows_are_what_breaths_rr_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Section 4's rows on real recordings ran ``correct_rr`` over the whole series and the
    tracker on the corrected intervals, whereas ``breathwise breaths --rr`` gives the tracker
    the raw intervals to correct window by window: the report read 16.439, 9.418 and 18.310
    breaths/min where the command gives 16.432, 9.367 and 18.269 (review 2, finding 11)."""
    from benchmarks.validate_breath import command_rr_estimates, rr_real_row

    # Sinus arrhythmia at 6 breaths/min with ectopic beats, which the two ways correct apart.
    rng = np.random.default_rng(11)
    t = np.arange(400) * 0.9
    rr_ms = np.round(900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0, 10, t.size))
    rr_ms[50::37] = np.round(rr_ms[50::37] * 0.6)
    path = tmp_path / "rr.txt"
    path.write_text("".join(f"{v:.0f}\n" for v in rr_ms))
    out = _breaths_rr(path, capsys)
    est = command_rr_estimates(rr_ms)
    assert [round(e.rate_bpm, 3) for e in est] == [e["rate_bpm"] for e in out["estimates"]]
    assert [round(e.quality, 4) for e in est] == [e["quality"] for e in out["estimates"]]

    found = rr_real_row("bio_resting_5min_100hz")
    if found is None:
        pytest.skip("NeuroKit2 or ../shared/data absent")
    row, real_rr_ms = found
    path.write_text("".join(f"{v:.0f}\n" for v in real_rr_ms))
    out = _breaths_rr(path, capsys)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[2]) == pytest.approx(out["rate_bpm"], abs=0.00051)
    quality = float(np.median([e["quality"] for e in out["estimates"]]))
    assert float(cells[5]) == pytest.approx(quality, abs=0.0051)
