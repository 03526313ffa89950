"""The analysis used as a library refuses what it cannot analyse, in one ``ValueError`` line.

Found in review 15 (Breathwise as a Python library): RR intervals in seconds passed every public
function (mean heart rate 86 161 beats/min), beat times in ms gave empty results with no hint; a
band past the spectrum's end was cut silently (Lomb HF 0.6 ms^2 where Welch read 191, a "peak"
at the grid's last bin); impossible settings raised ZeroDivisionError or IndexError, or gave
nonsense; one NaN in an ECG lost every R peak; five intervals got an LF/HF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from analysis.beats import heart_rate_bpm
from analysis.breath import detect_breaths
from analysis.breath_signal_checks import clipped_fraction, noise_stretches, power_shares
from analysis.checks import PLAUSIBLE_RR_MS
from analysis.coherence import CoherenceSettings, coherence_at, coherence_series
from analysis.ecg_align import detect_r_peaks, estimate_beat_delay
from analysis.hrv_frequency import (
    LombSettings,
    WelchSettings,
    frequency_domain,
    gap_free_frequency_domain,
    resample_nn,
)
from analysis.hrv_report import analyse_rr
from analysis.hrv_time import RollingTimeDomain, time_domain
from analysis.resonance import PacedStep, score_resonance
from analysis.rr_artifacts import (
    StreamingRRCorrector,
    correct_rr,
    detect_rr_artifacts,
    validate_rr_ms,
)
from analysis.rr_breath import estimate_breathing_from_rr
from analysis.rsa import rsa_per_breath
from trainer.reports.session_analysis import heart_metrics
from trainer.storage import rr_values


def _rr(n: int = 400, seed: int = 0) -> np.ndarray:
    """A resting heart, ms: 800 ms swinging +-40 at 6 breaths/min, with beat-to-beat noise."""
    rng = np.random.default_rng(seed)
    swing = 40.0 * np.sin(2 * np.pi * 0.1 * np.arange(n) * 0.8)
    return np.asarray(800.0 + swing + rng.normal(0, 10, n), dtype=np.float64)


class _Breath:
    inhale_onset_s = 10.0
    exhale_onset_s = 12.0
    end_s = 15.0


RR = _rr()
T = np.cumsum(RR) / 1000.0
STEP = [PacedStep(6.0, 0.0, 120.0)]

ON_RR: dict[str, Callable[[np.ndarray], object]] = {
    "validate_rr_ms": validate_rr_ms,
    "detect_rr_artifacts": detect_rr_artifacts,
    "correct_rr": correct_rr,
    "time_domain": time_domain,
    "heart_rate_bpm": heart_rate_bpm,
    "analyse_rr": analyse_rr,
    "frequency_domain": frequency_domain,
}
"""Public functions of RR (or NN) intervals alone."""

ON_BEATS: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
    "estimate_breathing_from_rr": estimate_breathing_from_rr,
    "coherence_series": coherence_series,
    "coherence_at": coherence_at,
    "frequency_domain(t_s)": lambda t, rr: frequency_domain(rr, t_s=t),
    "gap_free_frequency_domain": lambda t, rr: gap_free_frequency_domain(rr, t),
    "score_resonance": lambda t, rr: score_resonance(t, rr, STEP),
    "rsa_per_breath": lambda t, rr: rsa_per_breath(t, rr, [_Breath()]),
}
"""Public functions of beat times (s) and their intervals (ms)."""


@pytest.mark.parametrize("name", ON_RR)
def test_rr_in_seconds_is_refused_saying_so(name: str) -> None:
    """time_domain gave 86 161 beats/min for RR in seconds, with no warning."""
    with pytest.raises(ValueError, match=r"median interval is 0\.8\d*: these look like seconds"):
        ON_RR[name](RR / 1000.0)


@pytest.mark.parametrize("name", ON_BEATS)
def test_rr_in_seconds_with_beat_times_is_refused_saying_so(name: str) -> None:
    """estimate_breathing_from_rr read a breathing rate of 321/min from RR in seconds."""
    with pytest.raises(ValueError, match="these look like seconds; RR intervals are in ms"):
        ON_BEATS[name](T, RR / 1000.0)


@pytest.mark.parametrize("name", ON_BEATS)
def test_beat_times_in_ms_are_refused_saying_so(name: str) -> None:
    """coherence_series built 59 760 empty windows for beat times in ms, and said "fewer than 4
    beats in the window"; estimate_breathing_from_rr returned nothing."""
    with pytest.raises(ValueError, match="these look like ms; beat times are in s"):
        ON_BEATS[name](T * 1000.0, RR)


def test_intervals_no_heart_produces_in_any_unit_are_refused() -> None:
    with pytest.raises(ValueError, match="look like microseconds"):
        time_domain(RR * 1000.0)
    with pytest.raises(ValueError, match="no heart beats at that rate"):
        heart_rate_bpm(RR / 10.0)


def test_nn_functions_refuse_units_not_a_corrected_median_past_3000_ms() -> None:
    """The correction of a degenerate series (a few 4 s intervals among 1 s ones) can merge
    its NN median past 3000 ms, which is no unit: the NN functions take it (were it refused, the
    session's heart metrics of such a series would fail), the RR functions do not."""
    nn = np.full(20, 3500.0)
    assert time_domain(nn).mean_nn_ms == 3500.0
    with pytest.raises(ValueError, match="no heart beats at that rate"):
        validate_rr_ms(nn)


def test_single_artifact_intervals_in_a_plausible_series_are_kept_for_the_correction() -> None:
    """The median is judged, not each interval: a spurious beat of 150 ms, an interval of
    0.3 ms, a lost contact of 4 s are artifacts that correct_rr exists to fix."""
    rr = RR.copy()
    rr[[100, 200, 300]] = [150.0, 0.3, 4000.0]
    assert validate_rr_ms(rr)[200] == 0.3
    result = correct_rr(rr)
    assert result.labels[100] != "normal" and result.labels[300] != "normal"
    assert time_domain(rr).n_original_nn == rr.size
    # A stream is judged beat by beat: one short beat alone is no unit.
    assert StreamingRRCorrector().push(150.0) == []
    rolling = RollingTimeDomain()
    rolling.push(0.15, 150.0)
    assert rolling.current().mean_nn_ms == 150.0


def test_a_session_of_intervals_no_heart_produces_gets_no_heart_numbers_and_says_why() -> None:
    """The session's heart metrics meet the analysis' refusal with a note, not a failure at
    the session's end: before, a strap sending 4 s intervals got a heart rate of 15/min."""
    rr = np.full(60, 4000.0)
    metrics = heart_metrics(np.cumsum(rr) / 1000.0, rr, [])
    assert metrics.mean_hr_bpm is None
    assert metrics.settings["heart"] == (
        "not analysed: the median RR interval is 4000 ms, outside 200-3000 ms (no heart's)"
    )


def test_the_readers_and_the_analysis_share_one_plausible_range() -> None:
    assert rr_values.PLAUSIBLE_RR_MS is PLAUSIBLE_RR_MS == (200.0, 3000.0)


# F2: a band past the end of the spectrum.


def test_a_band_past_the_lomb_grid_is_refused_and_inside_it_matches_welch() -> None:
    """Lomb read HF 0.15-1.0 Hz as 0.6 ms^2 with a peak at 0.498 Hz (the grid's last bin),
    where Welch read 191 ms^2 at 0.55 Hz."""
    t = np.cumsum(np.full(600, 0.5))
    nn = 500.0 + 20.0 * np.sin(2 * np.pi * 0.55 * t)
    bands = (("lf", 0.04, 0.15), ("hf", 0.15, 1.0))
    with pytest.raises(ValueError, match=r"band 'hf' reaches 1 Hz, above the 0\.5 Hz.*f_max_hz"):
        LombSettings(bands=bands)
    with pytest.raises(ValueError, match=r"band 'hf' reaches 0\.4 Hz, above the 0\.3 Hz"):
        LombSettings(f_max_hz=0.3)
    lomb = frequency_domain(
        nn, t_s=t, method="lomb", lomb_settings=LombSettings(f_max_hz=1.0, bands=bands)
    )
    welch = frequency_domain(nn, t_s=t, welch_settings=WelchSettings(bands=bands))
    assert lomb.powers_ms2["hf"] == pytest.approx(200.0, rel=0.05)
    assert welch.powers_ms2["hf"] == pytest.approx(200.0, rel=0.05)
    assert lomb.peaks_hz["hf"] == pytest.approx(0.55, abs=0.002)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WelchSettings(fs_hz=0.5),
        lambda: WelchSettings(bands=(("hf", 0.15, 2.5),)),
        lambda: CoherenceSettings(fs_hz=0.5),
    ],
)
def test_a_band_past_the_nyquist_frequency_is_refused(make: Callable[[], object]) -> None:
    """WelchSettings(fs_hz=0.5) analysed HF as 0.15-0.25 Hz; CoherenceSettings(fs_hz=0.5) cut
    its 0.0033-0.4 Hz total and named the last bin its peak."""
    with pytest.raises(ValueError, match=r"above the .* Hz where the spectrum ends \(fs_hz / 2\)"):
        make()


# F3: impossible settings and arguments.

X = np.sin(2 * np.pi * 0.2 * np.arange(0.0, 120.0, 0.04))
IMPOSSIBLE: dict[str, tuple[Callable[[], Any], str]] = {
    "WelchSettings(fs_hz=-4)": (lambda: WelchSettings(fs_hz=-4.0), "fs_hz must be a positive"),
    "WelchSettings(fs_hz=nan)": (lambda: WelchSettings(fs_hz=np.nan), "fs_hz must be a positive"),
    "WelchSettings(overlap=1)": (lambda: WelchSettings(overlap=1.0), r"overlap must lie in"),
    "WelchSettings(segment_s=0)": (lambda: WelchSettings(segment_s=0.0), "segment_s must be"),
    "LombSettings(df_hz=0)": (lambda: LombSettings(df_hz=0.0), "df_hz must be a positive"),
    "resample_nn(fs_hz=0)": (lambda: resample_nn(T, RR, 0.0), "fs_hz must be a positive"),
    "resample_nn(fs_hz=-1)": (lambda: resample_nn(T, RR, -1.0), "fs_hz must be a positive"),
    "resample_nn(fs_hz=nan)": (lambda: resample_nn(T, RR, np.nan), "fs_hz must be a positive"),
    "detect_breaths(3.0)": (lambda: detect_breaths(3.0, 25.0), "x must be one-dimensional"),
    "power_shares(x, 0)": (lambda: power_shares(X, 0.0), "fs_hz must be a positive"),
    "power_shares(empty)": (lambda: power_shares(np.array([]), 25.0), "x must be a 1-D array"),
    "noise_stretches(x, 0)": (lambda: noise_stretches(X, 0.0), "fs_hz must be a positive"),
    "clipped_fraction(empty)": (lambda: clipped_fraction(np.array([])), "data must be a 1-D"),
    "score_resonance(nan)": (
        lambda: score_resonance(T, RR, [PacedStep(float("nan"), 0.0, 120.0)]),
        "every step needs a positive rate",
    ),
    "RollingTimeDomain(nan)": (
        lambda: RollingTimeDomain(window_s=float("nan")),
        "window_s must be a positive",
    ),
    "RollingTimeDomain(-1)": (lambda: RollingTimeDomain(window_s=-1.0), "window_s must be"),
    "CoherenceSettings(fs_hz=0)": (lambda: CoherenceSettings(fs_hz=0.0), "fs_hz must be"),
    "CoherenceSettings(update_s=0)": (lambda: CoherenceSettings(update_s=0.0), "update_s must"),
    "CoherenceSettings(window_s=0)": (lambda: CoherenceSettings(window_s=0.0), "window_s must"),
    "CoherenceSettings(score_p 0.5, 0.5)": (
        lambda: CoherenceSettings(score_p_low=0.5, score_p_high=0.5),
        "score_p_low .* must be below score_p_high",
    ),
    "frequency_domain(min_duration_s=nan)": (
        lambda: frequency_domain(RR, min_duration_s=float("nan")),
        "min_duration_s must be",
    ),
}


@pytest.mark.parametrize("name", IMPOSSIBLE)
def test_impossible_arguments_are_refused_in_one_line(name: str) -> None:
    """They raised ZeroDivisionError, IndexError, OverflowError, "range() arg 3 must not be
    zero" or "cannot reshape array", or returned nonsense (a one-sample grid at 0 Hz, a clean
    sine called noise end to end, a NaN rate scored)."""
    make, message = IMPOSSIBLE[name]
    with pytest.raises(ValueError, match=message) as caught:
        make()
    assert "\n" not in str(caught.value)


# F4: an ECG with a lost sample, or of another length than its times.


def _ecg(seconds: float = 120.0, fs_hz: float = 130.0) -> tuple[np.ndarray, np.ndarray]:
    """A chest strap's ECG at 130 Hz: narrow R waves at about 72/min (varying from beat to
    beat, as a heart's do) over a little noise."""
    t = np.arange(0.0, seconds, 1.0 / fs_hz)
    rng = np.random.default_rng(1)
    beats = 0.5 + np.cumsum(rng.normal(60.0 / 72.0, 0.06, int(1.5 * seconds)))
    beats = beats[beats < seconds - 0.5]
    ecg = np.zeros(t.size)
    for b in beats:
        ecg += np.exp(-0.5 * ((t - b) / 0.012) ** 2)
    return t, ecg + rng.normal(0.0, 0.01, t.size)


def test_a_lost_ecg_sample_is_left_out_and_the_peaks_are_found() -> None:
    """One NaN sample gave 0 R peaks and the reason "flat, noise or not an ECG"."""
    t, ecg = _ecg()
    clean = detect_r_peaks(t, ecg)
    assert clean.size >= 140
    lost = ecg.copy()
    lost[1000] = np.nan
    lost[5000:5003] = np.inf
    peaks = detect_r_peaks(t, lost)
    assert peaks.size >= clean.size - 1
    np.testing.assert_allclose(np.intersect1d(peaks, clean), peaks, atol=1e-9)
    delay = estimate_beat_delay(clean + 0.5, t, lost)
    assert delay.reason == "" and delay.delay_s == pytest.approx(0.5, abs=0.01)


def test_ecg_times_and_samples_of_different_lengths_are_refused() -> None:
    """A shorter ECG raised IndexError."""
    t, ecg = _ecg()
    with pytest.raises(ValueError, match="ECG times and samples must be 1-D and of equal length"):
        detect_r_peaks(t, ecg[:-500])
    with pytest.raises(ValueError, match="ECG times and samples must be 1-D and of equal length"):
        estimate_beat_delay(t[:10], t, ecg[:-500])


# F6: a spectrum of a few seconds.


def test_a_series_under_the_minimum_gets_no_band_as_vlf_gets_none() -> None:
    """Five intervals (3.2 s) got LF/HF 0.30 and "peaks" while VLF was withheld."""
    fd = frequency_domain([800.0, 810.0, 790.0, 800.0, 805.0])
    assert fd.powers_ms2 == {"vlf": None, "lf": None, "hf": None}
    assert set(fd.peaks_hz.values()) == {None}
    assert fd.lf_hf is None and fd.lf_nu is None and fd.total_ms2 is None
    assert fd.settings["min_duration_s"] == 120.0
    assert "under min_duration_s = 120 s" in fd.settings["total_power"]
    assert fd.freq_hz.size > 0  # the spectrum is still there to read
    # Asked for, the short series is analysed as before.
    forced = frequency_domain([800.0, 810.0, 790.0, 800.0, 805.0], min_duration_s=0.0)
    assert forced.lf_hf == pytest.approx(0.296397782212256)
    # A series over the minimum is as before: LF and HF, VLF from 300 s.
    long = frequency_domain(RR)
    assert long.powers_ms2["vlf"] is not None and long.powers_ms2["lf"] is not None
    assert "min_duration_s" not in long.settings
