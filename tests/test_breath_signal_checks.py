"""Pure checks of a breathing waveform (analysis.breath_signal_checks): rails against a coarse
converter, and samples repeated through a dropout."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.breath import MIN_BREATH_S, detect_breaths
from analysis.breath_signal_checks import (
    HELD_MIN_S,
    NOISE_WINDOW_S,
    clipped_fraction,
    held_runs,
    looks_too_fast,
    noise_breaths,
    noise_level,
    noise_stretches,
    power_shares,
    quantisation_step,
)

FS = 50.0


def slow_belt(depth: float = 1.0, duration_s: float = 300.0) -> np.ndarray:
    """6 breaths/min, 1:2, 1 % noise."""
    t = np.arange(0.0, duration_s, 1.0 / FS)
    ph = t % 10.0
    x = np.where(ph < 10 / 3, (1 - np.cos(np.pi * ph / (10 / 3))) / 2, 0.0)
    x = np.where(ph >= 10 / 3, (1 + np.cos(np.pi * (ph - 10 / 3) / (20 / 3))) / 2, x)
    return depth * (x + 0.01 * np.random.default_rng(1).standard_normal(t.size))


@pytest.mark.parametrize("counts", [3, 6, 20])
def test_a_coarse_converter_has_no_rail(counts: int) -> None:
    """Its extremes hold many samples (37-54 % at 3-6 counts), but so does every level."""
    x = 512 + np.round(slow_belt(counts))
    assert clipped_fraction(x) == 0.0
    assert quantisation_step(x) == 1.0
    assert held_runs(x, FS) == []  # its levels hold for up to 2.8 s while a breath turns


def test_a_rail_is_clipping() -> None:
    x = slow_belt()
    assert clipped_fraction(np.minimum(x, 0.6)) > 0.3
    # One long stretch at the minimum is an event, not a rail.
    y = x.copy()
    y[5000:6500] = y.min() - 0.01
    assert clipped_fraction(y) == 0.0
    assert held_runs(y, FS) == [(5000, 6500)]


@pytest.mark.parametrize("counts", [None, 3])
def test_a_repeated_value_is_found_on_fine_and_coarse_signals(counts: int | None) -> None:
    x = slow_belt() if counts is None else 512 + np.round(slow_belt(counts))
    x[5085:6585] = x[5084]
    [(start, stop)] = held_runs(x, FS)
    # A coarse level may have held before the dropout began: the run includes that.
    assert stop == 6585 and (start == 5084 if counts is None else 5084 - 2 * FS < start <= 5084)


def test_short_repeats_are_not_reported() -> None:
    x = slow_belt()
    n = round(HELD_MIN_S * FS) - 2
    x[1000 : 1000 + n] = x[999]
    assert held_runs(x, FS) == []
    # All three axes must repeat for an accelerometer's row to.
    xyz = np.column_stack((slow_belt(), slow_belt(2.0), slow_belt(3.0)))
    xyz[1000:3000, :2] = xyz[999, :2]
    assert held_runs(xyz, FS) == []
    xyz[1000:3000, 2] = xyz[999, 2]
    assert held_runs(xyz, FS) == [(999, 3000)]


def test_breathing_too_fast_looks_too_fast() -> None:
    t = np.arange(0.0, 120.0, 0.01)
    noise = 0.01 * np.random.default_rng(4).standard_normal(t.size)
    fast = detect_breaths(np.sin(2 * np.pi * 1.5 * t) + noise, 100.0)  # 90/min
    assert looks_too_fast(fast, MIN_BREATH_S)
    ok = detect_breaths(np.sin(2 * np.pi * (50 / 60) * t) + noise, 100.0)  # 50/min
    assert not looks_too_fast(ok, MIN_BREATH_S)
    assert not looks_too_fast(detect_breaths(slow_belt(), FS), MIN_BREATH_S)


def quiet_paused_belt(drift_per_s: float = 0.0, hold_in_s: float = 0.0) -> np.ndarray:
    """A quiet belt written with 2 decimals (0.01 a step, 100 steps a breath): 6 breaths/min,
    exhale twice the inhale, a 3 s pause after each exhale (or ``hold_in_s`` at the top
    instead), noise 0.002, so that every pause repeats one value for seconds (the reviewer's
    ``q_pause_all.csv``)."""
    t = np.arange(0.0, 300.0, 1.0 / FS)
    ph = t % 10.0
    inhale, exhale = 7.0 / 3.0, 14.0 / 3.0
    top = inhale + hold_in_s
    x = np.where(ph < inhale, (1 - np.cos(np.pi * ph / inhale)) / 2, 1.0)
    x = np.where(ph >= top, (1 + np.cos(np.pi * (ph - top) / exhale)) / 2, x)
    x = np.where(ph >= top + exhale, 0.0, x)
    noise = 0.002 * np.random.default_rng(5).standard_normal(t.size)
    return np.round(x + noise + drift_per_s * t, 2)


@pytest.mark.parametrize(
    ("drift_per_s", "hold_in_s"), [(0.0, 0.0), (0.001, 0.0), (0.0, 3.0)], ids=str
)
def test_pauses_in_a_quantised_belt_are_no_dropout(drift_per_s: float, hold_in_s: float) -> None:
    """Each pause (or hold at the top) repeats one value for 2-3 s, as a logger does through a
    dropout; they had been reported as held runs and their breaths made artifacts (found in
    review: 15 of 29 breaths)."""
    x = quiet_paused_belt(drift_per_s, hold_in_s)
    assert len(held_runs(x, FS)) >= 4  # the candidates, taken for dropouts without breaths
    assert held_runs(x, FS, detect_breaths(x, FS)) == []


def test_a_quantised_pause_in_a_real_belt_is_no_dropout() -> None:
    """NeuroKit2's bio_resting_5min belt written with 2 decimals repeats 0.94 through a 2.96 s
    end-exhale pause at 134.9 s, a one-off among breaths of 3.6 s (found in review)."""
    from benchmarks.validate_breath import real_signals

    signals = {label: (x, fs) for label, x, fs in real_signals()}
    if "NeuroKit2 bio_resting_5min_100hz RSP" not in signals:
        pytest.skip("../shared/data absent")
    x, fs = signals["NeuroKit2 bio_resting_5min_100hz RSP"]
    x = np.round(x, 2)
    assert [(a / fs, b / fs) for a, b in held_runs(x, fs)] == [(134.9, 137.86)]
    assert held_runs(x, fs, detect_breaths(x, fs)) == []


@pytest.mark.parametrize(
    ("at_s", "hold_s", "drift_per_s", "what"),
    [
        (101.0, 3.0, 0.0, "mid-inhale"),
        (104.0, 3.0, 0.0, "mid-exhale"),
        (104.67, 6.5, 0.0, "mid-exhale, resuming mid-inhale on the same level, no jump"),
        (97.5, 3.0, 0.0, "in a pause, resuming mid-inhale with a jump"),
        (97.5, 9.3, 0.002, "in a pause, resuming on the next breath's pause, a breath hidden"),
        (97.5, 30.0, 0.0, "in a pause, for 3 breaths"),
        (277.5, 22.5, 0.0, "in a pause, to the end of the recording"),
    ],
)
def test_a_dropout_in_a_quantised_belt_is_still_found(
    at_s: float, hold_s: float, drift_per_s: float, what: str
) -> None:
    x = quiet_paused_belt(drift_per_s)
    a, n = round(at_s * FS), round(hold_s * FS)
    x[a : a + n] = x[a - 1]
    runs = held_runs(x, FS, detect_breaths(x, FS))
    assert any(start <= a - 1 and stop >= a + n for start, stop in runs), (what, runs)


def test_noise_is_found_stretch_by_stretch() -> None:
    """Breathing, then white noise louder than it (a belt that came off): the whole file's
    lag-1 autocorrelation (0.11) had called all of it noise, the breathing half too."""
    x = slow_belt()
    rng = np.random.default_rng(3)
    noisy = np.r_[x, 0.5 + rng.standard_normal(x.size)]
    [(start, stop)] = noise_stretches(noisy, FS)
    assert x.size - NOISE_WINDOW_S * FS / 2 <= start <= x.size and stop == noisy.size
    found = detect_breaths(noisy, FS)
    marks = noise_breaths(found, noisy, FS, [(start, stop)])
    assert all(m for b, m in zip(found, marks, strict=True) if b.inhale_onset_s > 315.0)
    assert not any(m for b, m in zip(found, marks, strict=True) if b.end_s < 285.0)
    assert noise_stretches(x, FS) == []
    assert noise_stretches(noisy[x.size :], FS) == [(0, x.size)]  # noise throughout
    assert noise_level(noisy[x.size :]) == pytest.approx(1.0, abs=0.05)
    assert noise_level(x) == pytest.approx(0.01, abs=0.002)  # the breathing barely counts


@pytest.mark.parametrize("fs", [4.0, 25.0, 100.0])
def test_slow_breathing_with_pauses_is_no_noise(fs: float) -> None:
    """3 breaths/min, the slowest the tool is validated for, with an 8-s still pause after
    each exhale, at 15 dB: every window holds a whole breath."""
    from benchmarks.validate_breath import Scenario, synthetic_belt

    x, _ = synthetic_belt(Scenario(3.0, 2.0, pause_frac=0.4, snr_db=15.0, fs_hz=fs), 1)
    assert noise_stretches(x, fs) == []


@pytest.mark.shared_data
def test_real_belts_have_no_noise_stretch() -> None:
    from benchmarks.validate_breath import real_signals

    signals = real_signals()
    if not signals:
        pytest.skip("../shared/data absent")
    for label, x, fs in signals:
        assert noise_stretches(x, fs) == [], label


def test_an_ecg_is_not_breathing_and_belts_are() -> None:
    """Sharp spikes at 70/min (an ECG's QRS complexes) put their power faster than breathing;
    belts at 3-80 breaths/min, 4-100 Hz, at 0 dB in-band SNR, keep most of theirs in the band."""
    from benchmarks.validate_breath import Scenario, synthetic_belt

    t = np.arange(0.0, 120.0, 0.01)
    ecg = np.exp(-0.5 * (((t % (60 / 70)) - 0.3) / 0.01) ** 2)
    ecg += 0.01 * np.random.default_rng(6).standard_normal(t.size)
    assert power_shares(ecg, 100.0).not_breathing() == "faster"
    for rate in (3.0, 15.0, 30.0, 80.0):
        for fs in (4.0, 25.0, 100.0):
            x, _ = synthetic_belt(Scenario(rate, 2.0, snr_db=0.0, fs_hz=fs, duration_s=120.0), 1)
            shares = power_shares(x, fs)
            assert shares.breathing > 0.6 and shares.not_breathing() is None, (rate, fs)


def _rails_by_sorting(col: np.ndarray) -> set[float]:
    """The rails as first written: every value sorted and counted (``np.unique``)."""
    from analysis.breath_signal_checks import RAIL_CONTRAST, RAIL_RUNS

    values, counts = np.unique(col, return_counts=True)
    out: set[float] = set()
    if values.size < 2:
        return out
    for value, count, inner in (
        (values[0], counts[0], counts[1]),
        (values[-1], counts[-1], counts[-2]),
    ):
        at = col == value
        pairs = np.concatenate(([False], at[1:] & at[:-1], [False]))
        if count > RAIL_CONTRAST * inner and np.count_nonzero(pairs[1:] & ~pairs[:-1]) >= RAIL_RUNS:
            out.add(float(value))
    return out


def test_rails_found_in_a_few_passes_are_those_sorting_finds() -> None:
    """The rails are counted without sorting every sample (a day of belt is 8.6 million); they
    must be the same as sorting gives, ties, clipping, NaN and constant signals included."""
    from analysis.breath_signal_checks import _rails

    seed = 20261207
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    for k in range(2000):
        n = int(rng.integers(2, 400))
        x = np.round(rng.normal(0.0, 1.0, n), int(rng.integers(0, 3)))
        if k % 2:
            x = np.clip(x, -rng.uniform(0.1, 2.0), rng.uniform(0.1, 2.0))
        if k % 7 == 0:
            x[rng.integers(0, n, 3)] = np.nan
        if k % 13 == 0:
            x[:] = x[0]
        assert _rails(x) == _rails_by_sorting(x), (k, x)
