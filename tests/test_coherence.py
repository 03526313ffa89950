"""Coherence ratio and display score; the streaming tracker equals the batch series."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from analysis.coherence import (
    CoherenceSettings,
    CoherenceTracker,
    coherence_at,
    coherence_score,
    coherence_series,
)


def beats(n: int, seed: int, *, osc_ms: float, f_hz: float = 0.1, noise_ms: float = 0.0):  # type: ignore[no-untyped-def]
    """Beat times (s) and NN (ms): an oscillation read at each beat plus white noise."""
    rng = np.random.default_rng(seed)
    t, x, now = [], [], 0.0
    for _ in range(n):
        v = 900.0 + osc_ms * np.sin(2 * np.pi * f_hz * now) + rng.normal(0.0, noise_ms)
        now += v / 1000.0
        t.append(now)
        x.append(v)
    return np.array(t), np.array(x)


def test_sinusoidal_rhythm_is_fully_coherent() -> None:
    t, x = beats(200, 0, osc_ms=80.0)
    r = coherence_at(t, x)
    assert r.peak_hz == pytest.approx(0.1, abs=0.005)
    assert r.peak_fraction is not None and r.peak_fraction > 0.85
    assert r.ratio is not None and r.ratio > 16
    assert r.score == 10.0


@pytest.mark.parametrize("osc_ms", [40.0, 80.0])
@pytest.mark.parametrize("f_hz", [0.08, 0.1, 0.12])
def test_powers_are_in_ms2_of_the_rhythm(osc_ms: float, f_hz: float) -> None:
    """A sine of amplitude A ms has power A**2 / 2 ms**2 (Parseval): the total power reads it
    within 5 %, and the peak's +-0.015 Hz holds 0.85-1.0 of it (the rest leaks out through
    the 64 s rectangular window). Only their ratio had been tested, so a periodogram off by a
    factor of 2 passed while ``hrv --json`` printed both powers (review 4, finding 2)."""
    t, x = beats(200, 0, osc_ms=osc_ms, f_hz=f_hz)
    r = coherence_at(t, x)
    assert r.total_power_ms2 is not None and r.peak_power_ms2 is not None
    assert r.total_power_ms2 == pytest.approx(osc_ms**2 / 2.0, rel=0.05)
    assert 0.85 < r.peak_power_ms2 / (osc_ms**2 / 2.0) <= 1.0


def test_white_noise_rhythm_is_not_coherent() -> None:
    """The documented score floor: chance peaks of a noise rhythm hold about 16 % of power."""
    results = [coherence_at(*beats(200, seed, osc_ms=0.0, noise_ms=40.0)) for seed in range(200)]
    fractions = np.array([r.peak_fraction for r in results], dtype=float)
    scores = np.array([r.score for r in results], dtype=float)
    print(f"seeds 0-199: mean p {fractions.mean():.3f}, p90 {np.percentile(fractions, 90):.3f}")
    assert 0.13 < fractions.mean() < 0.19
    assert np.median(scores) == 0.0
    assert np.percentile(scores, 90) <= 1.0
    assert all(r.ratio is not None and r.ratio < 0.5 for r in results)


def test_ratio_follows_the_mccraty_formula() -> None:
    t, x = beats(200, 2, osc_ms=40.0, noise_ms=30.0)
    r = coherence_at(t, x)
    assert r.peak_power_ms2 is not None and r.total_power_ms2 is not None
    p, total = r.peak_power_ms2, r.total_power_ms2
    assert r.ratio == pytest.approx((p / (total - p)) ** 2)
    assert r.peak_fraction == pytest.approx(p / total)
    assert 0.0 < r.score < 10.0  # type: ignore[operator]


def test_score_mapping_is_documented_and_monotone() -> None:
    assert coherence_score(0.2) == 0.0 and coherence_score(0.05) == 0.0
    assert coherence_score(0.8) == 10.0 and coherence_score(0.95) == 10.0
    assert coherence_score(0.5) == 5.0
    values = [coherence_score(p) for p in np.linspace(0, 1, 101)]
    assert values == sorted(values)


def test_window_uses_only_the_latest_64_s() -> None:
    t1, x1 = beats(150, 3, osc_ms=0.0, noise_ms=40.0)
    t2, x2 = beats(150, 4, osc_ms=80.0)
    t = np.concatenate([t1, t1[-1] + t2])
    x = np.concatenate([x1, x2])
    late = coherence_at(t, x)
    early = coherence_at(t, x, t_end_s=float(t1[-1]))
    assert late.score == 10.0 and early.score is not None and early.score < 2.0


def test_gaps_and_short_data_give_a_note_not_a_value() -> None:
    t, x = beats(100, 5, osc_ms=50.0)
    assert coherence_at(t[:20], x[:20]).ratio is None  # under 64 s of beats
    gap_t = t.copy()
    gap_t[60:] += 10.0
    r = coherence_at(gap_t, x)
    assert r.ratio is None and "gap" in r.note
    assert coherence_at([], []).note == "no beats"


def test_a_wider_gap_limit_is_a_setting_the_resampling_honours() -> None:
    """coherence_at checks its window's gaps against settings.max_gap_s and resampled with no
    limit; with resample_nn's default now MAX_GAP_S it passes its own, so a wider setting still
    gives a value rather than a ValueError."""
    t, x = beats(100, 5, osc_ms=50.0)
    gap_t = t.copy()
    gap_t[60:] += 5.0
    assert coherence_at(gap_t, x).ratio is None
    wide = coherence_at(gap_t, x, settings=CoherenceSettings(max_gap_s=10.0))
    assert wide.ratio is not None and wide.note == ""


@pytest.mark.parametrize("rr_ms", [1000.0, 857.0, 923.4375])
def test_a_constant_rhythm_has_no_variability_not_a_score(rr_ms: float) -> None:
    """Float rounding (1e-26 ms^2) after the detrend was scored as a rhythm (found in review)."""
    t = np.cumsum(np.full(200, rr_ms)) / 1000.0
    results = coherence_series(t, np.full(200, rr_ms))
    assert results and all(r.ratio is None for r in results)
    assert {r.note for r in results} == {"no variability in the window"}


def test_variability_outside_the_peak_band_has_no_peak() -> None:
    """A window whose power lies above 0.26 Hz named a peak in an all but empty search band
    (the argmax of ~1e-9 ms^2 there); as the HRV spectra, a band without power
    (NO_POWER_MS2) has no peak, and the window is scored 0."""
    t = np.arange(1.0, 101.0)
    r = coherence_at(t, 1000.0 + 0.005 * np.sin(2 * np.pi * 0.35 * t))
    assert r.total_power_ms2 is not None and r.total_power_ms2 > 1e-6
    assert (r.peak_hz, r.ratio, r.score, r.peak_fraction) == (None, 0.0, 0.0, 0.0)
    assert r.note == "no power in the peak band"


def test_the_gap_limit_is_the_spectra_gap_limit() -> None:
    """CoherenceSettings.max_gap_s was a literal 3.0 beside hrv_frequency.MAX_GAP_S, which
    says it is the coherence window's: the default now follows that constant."""
    code = (
        "import analysis.hrv_frequency as h; h.MAX_GAP_S = 4.25; "
        "from analysis.coherence import CoherenceSettings; "
        "print(CoherenceSettings().max_gap_s)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "4.25"


def test_tracker_equals_batch_whatever_the_chunking() -> None:
    seed = 6
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    t, x = beats(500, seed, osc_ms=50.0, noise_ms=20.0)
    batch = coherence_series(t, x)
    assert len(batch) > 50
    first = t[0] + 64.0
    assert [r.t_end_s for r in batch[:3]] == pytest.approx([first, first + 5.0, first + 10.0])
    for _ in range(3):
        tracker = CoherenceTracker()
        out = []
        i = 0
        while i < t.size:
            k = int(rng.integers(1, 40))
            out.extend(tracker.extend(t[i : i + k], x[i : i + k]))
            i += k
        assert out == batch
        assert len(tracker._t) < 120  # bounded memory: about one window of beats


def test_tracker_rejects_bad_beats() -> None:
    tracker = CoherenceTracker(CoherenceSettings())
    tracker.push(1.0, 900.0)
    with pytest.raises(ValueError, match="beat times must increase"):
        tracker.push(0.5, 900.0)
    with pytest.raises(ValueError, match=r"nn_ms must be a positive finite interval, got -1\.0"):
        tracker.push(2.0, -1.0)


def test_slow_drift_below_the_band_is_not_a_rhythm() -> None:
    """Breathing at 30/min with no RSA: the band's largest value was drift at its lowest bin,
    scored 10/10 "one steady rhythm" (found by a tester)."""
    rng = np.random.default_rng(4)
    t, x, now = [], [], 0.0
    for _ in range(120):
        v = 900.0 + 40.0 * np.sin(2 * np.pi * 0.012 * now) + rng.normal(0.0, 1.0)  # slow wander
        now += v / 1000.0
        t.append(now)
        x.append(v)
    r = coherence_at(np.array(t), np.array(x))
    assert r.score == 0.0 and r.ratio == 0.0
    assert r.note == "no rhythm in the band, only slow drift below it"


def test_a_recording_shorter_than_the_window_says_so_not_gap() -> None:
    """A clean 61 s series read 'a gap of more than 3 s without beats', sending a user looking
    for a lost strap; a real gap still reads as one."""
    rr = 900.0 + np.random.default_rng(0).normal(0.0, 20.0, 68)
    t = np.cumsum(rr) / 1000.0
    short = coherence_at(t, rr)
    assert short.ratio is None
    assert short.note == "only 61 s of beats, shorter than the 64 s window"
    rr = 900.0 + np.random.default_rng(0).normal(0.0, 20.0, 100)
    t = np.cumsum(rr) / 1000.0
    lost = (t > 40.0) & (t < 50.0)
    assert "a gap of more than 3 s" in coherence_at(t[~lost], rr[~lost]).note


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("negative", "nn_ms must hold positive finite intervals, got -900.0 at index 100"),
        ("nan_time", "t_s must hold finite times, got nan at index 100"),
        ("unsorted", "t_s must increase"),
    ],
)
def test_batch_coherence_refuses_bad_beats_with_our_message(bad: str, message: str) -> None:
    """A negative interval gave a score; NaN or unsorted times gave SciPy's internal errors.
    Batch now applies the spectra's rule (checked_beats), as the tracker refuses such beats."""
    t, x = beats(200, 0, osc_ms=50.0)
    if bad == "negative":
        x[100] = -900.0
    elif bad == "nan_time":
        t[100] = np.nan
    else:
        t[[100, 101]] = t[[101, 100]]
    for call in (lambda: coherence_at(t, x), lambda: coherence_series(t, x)):
        with pytest.raises(ValueError, match=message):
            call()


def test_tracker_refuses_a_nan_first_beat_time_and_goes_on() -> None:
    """A NaN first time became the clock of every update instant: each later push failed."""
    t, x = beats(200, 1, osc_ms=50.0)
    tracker = CoherenceTracker()
    with pytest.raises(ValueError, match="beat_t_s must be a finite time"):
        tracker.push(float("nan"), 900.0)
    assert tracker.extend(t, x) == coherence_series(t, x)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_series_equals_each_window_read_from_the_whole_recording(seed: int) -> None:
    """The series hands each window only its own beats: the same results as each window read
    from the whole series, at the start, across gaps and at the end."""
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    t, x = beats(400, seed, osc_ms=50.0, noise_ms=20.0)
    for at in rng.choice(np.arange(30, 370), size=3, replace=False):
        t[at:] += rng.uniform(2.0, 12.0)  # lost beats: a gap of up to 12 s
    whole = [coherence_at(t, x, r.t_end_s) for r in coherence_series(t, x)]
    assert len(whole) > 40
    assert any(r.ratio is None for r in whole) and any(r.ratio is not None for r in whole)
    assert coherence_series(t, x) == whole
