"""Frequency-domain HRV: scaling, band rules, settings, pyhrv's published Welch numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.hrv_frequency import (
    LombSettings,
    WelchSettings,
    band_power,
    beat_times_s,
    frequency_domain,
    longest_gap_free,
    resample_nn,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def oscillating_nn(f_hz: float, amp_ms: float, n: int = 700, mean_ms: float = 1000.0) -> np.ndarray:
    """NN whose value, read at its own beat time, is a sinusoid of ``f_hz``."""
    out = np.empty(n)
    t = 0.0
    for i in range(n):
        out[i] = mean_ms + amp_ms * np.sin(2 * np.pi * f_hz * t)
        t += out[i] / 1000.0
    return out


@pytest.mark.parametrize("method", ["welch", "lomb"])
def test_power_of_a_sinusoid_is_its_variance_in_its_band(method: str) -> None:
    nn = oscillating_nn(0.1, 50.0)
    fd = frequency_domain(nn, method=method)  # type: ignore[arg-type]
    lf, hf = fd.powers_ms2["lf"], fd.powers_ms2["hf"]
    assert lf == pytest.approx(50.0**2 / 2, rel=0.03)
    assert lf is not None and hf is not None and hf < 0.02 * lf
    assert fd.peaks_hz["lf"] == pytest.approx(0.1, abs=0.002)
    assert fd.lf_hf is not None and fd.lf_hf > 50
    assert fd.lf_nu is not None and fd.hf_nu is not None
    assert fd.lf_nu + fd.hf_nu == pytest.approx(100.0)


def test_hf_oscillation_lands_in_hf() -> None:
    fd = frequency_domain(oscillating_nn(0.25, 30.0))
    assert fd.powers_ms2["hf"] == pytest.approx(450.0, rel=0.03)
    assert fd.peaks_hz["hf"] == pytest.approx(0.25, abs=0.002)
    assert fd.lf_hf is not None and fd.lf_hf < 0.05


def test_every_setting_is_reported() -> None:
    fd = frequency_domain(oscillating_nn(0.1, 20.0))
    s = fd.settings
    for key in (
        "method",
        "resampling_hz",
        "interpolation",
        "segment_s",
        "overlap",
        "window",
        "detrend",
        "nfft",
        "bands_hz",
        "band_edges",
        "band_power",
    ):
        assert key in s, key
    assert s["resampling_hz"] == 4.0 and s["interpolation"] == "cubic"
    assert s["bands_hz"]["lf"] == [0.04, 0.15]
    lomb = frequency_domain(oscillating_nn(0.1, 20.0), method="lomb", lomb_settings=LombSettings())
    assert lomb.settings["method"] == "lomb" and "scaling" in lomb.settings
    d = fd.as_dict()
    assert {"vlf_ms2", "lf_ms2", "hf_ms2", "lf_hf", "peak_lf_hz", "settings"} <= d.keys()


def test_band_edges_half_open_or_closed() -> None:
    f = np.arange(0, 0.5, 0.01)
    p = np.ones_like(f)
    lo_open, _ = band_power(f, p, 0.04, 0.15)
    lo_closed, _ = band_power(f, p, 0.04, 0.15, closed=True)
    assert lo_open == pytest.approx(11 * 0.01)  # 0.04 .. 0.14
    assert lo_closed == pytest.approx(12 * 0.01)  # 0.04 .. 0.15
    assert band_power(f, p, 0.6, 0.7) == (0.0, None)


def test_resampling_grid_and_hold_outside_beats() -> None:
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    x = np.array([800.0, 900.0, 800.0, 900.0, 800.0])
    grid, v = resample_nn(t, x, 2.0, interpolation="linear")
    assert grid[0] == 1.0 and grid[-1] == 5.0 and grid.size == 9
    assert v[1] == pytest.approx(850.0)
    grid, v = resample_nn(t, x, 1.0, t_start_s=0.0, t_end_s=6.0)
    assert v[0] == 800.0 and v[-1] == 800.0  # held, not extrapolated
    assert beat_times_s([500.0, 500.0]).tolist() == [0.5, 1.0]


def test_resampling_refuses_a_long_gap_by_default() -> None:
    """resample_nn bridged a gap of any length unless told otherwise, while frequency_domain
    refuses one over MAX_GAP_S: a spline across it invents a slow swing. The default is now
    MAX_GAP_S; None bridges, for callers that checked the beats themselves."""
    t = np.array([1.0, 2.0, 3.0, 7.0, 8.0])  # a 4 s gap
    x = np.array([800.0, 900.0, 800.0, 900.0, 800.0])
    with pytest.raises(ValueError, match=r"gap of 4\.0 s .*\(3\.0-7\.0 s\).*3 s limit"):
        resample_nn(t, x, 4.0)
    grid, v = resample_nn(t, x, 4.0, max_gap_s=None)
    assert grid.size == 29 and np.isfinite(v).all()
    # A gap of exactly MAX_GAP_S is still bridged.
    assert resample_nn(np.array([1.0, 2.0, 5.0, 6.0]), x[:4], 4.0)[0].size == 21


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="at least 4 NN intervals"):
        frequency_domain([800.0, 810.0, 820.0])
    with pytest.raises(ValueError, match=r"got -1\.0 at index 3"):
        frequency_domain([800.0, 810.0, 820.0, -1.0])
    with pytest.raises(ValueError, match=r"t_s must increase, got 2\.0 s at index 2"):
        frequency_domain([800.0] * 5, t_s=[1, 2, 2, 3, 4])
    with pytest.raises(ValueError, match="unknown method 'ar'"):
        frequency_domain([800.0] * 5, method="ar")  # type: ignore[arg-type]


@pytest.mark.shared_data
def test_pyhrv_welch_numbers_reproduced_with_its_settings() -> None:
    path = DATA / "pyhrv" / "SampleNNISeriesLong.npy"
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/data is absent")
    nn = np.load(path).astype(float)
    t = beat_times_s(nn)
    fd = frequency_domain(nn, welch_settings=WelchSettings.pyhrv(float(t[-1] - t[0])))
    # pyhrv SampleReport.txt, "Frequency Domain - FFT Welch's Method".
    assert round(fd.lf_hf or 0, 3) == 1.785
    assert fd.powers_ms2["vlf"] == pytest.approx(2050.743568530359, rel=1e-9)
    assert fd.powers_ms2["lf"] == pytest.approx(2942.5372448423686, rel=1e-9)
    assert fd.powers_ms2["hf"] == pytest.approx(1648.0967694750873, rel=1e-9)
    assert round(fd.total_ms2 or 0, 3) == 6641.378
    assert fd.peaks_hz == {"vlf": 0.0185546875, "lf": 0.0400390625, "hf": 0.150390625}
    assert fd.settings["window"] == "hamming" and fd.settings["nfft"] == 4096
    # Our defaults differ in settings, and say so.
    ours = frequency_domain(nn)
    assert ours.settings["window"] == "hann" and ours.lf_hf != fd.lf_hf


def test_welch_segments_reach_the_end_of_the_series() -> None:
    """A 0.1 Hz wave only in the last 85 s of 10 min: 256 s segments at a fixed 50 % step end
    at 512 s and never see it; raising the overlap until the segments reach the end does."""
    t = np.cumsum(np.full(750, 800.0)) / 1000.0
    nn = 800.0 + np.where(t > 515.0, 80.0 * np.sin(2 * np.pi * 0.1 * t), 0.0)
    fixed = frequency_domain(nn, welch_settings=WelchSettings(cover_all=False))
    covered = frequency_domain(nn)
    assert fixed.settings["analysed_s"] == 512.0
    lf_fixed, lf_covered = fixed.powers_ms2["lf"], covered.powers_ms2["lf"]
    assert lf_fixed is not None and lf_covered is not None
    assert lf_fixed < 10.0
    assert covered.settings["analysed_s"] >= covered.settings["n_samples"] / 4.0 - 1.0
    assert covered.settings["overlap"] >= 0.5
    assert lf_covered > 10 * lf_fixed


def test_longest_gap_free_run() -> None:
    t = np.array([0.0, 1.0, 2.0, 6.0, 7.0, 8.0, 9.0, 20.0])
    assert longest_gap_free(t) == slice(3, 7)
    assert longest_gap_free(t[:3]) == slice(0, 3)
    assert longest_gap_free(t, max_gap_s=20.0) == slice(0, 8)
    assert longest_gap_free(np.array([])) == slice(0, 0)


def test_session_spectrum_does_not_bridge_a_lost_strap() -> None:
    """5 min of 15/min RSA (+-30 ms) with the strap lost for 20 s: the session's LF power was
    563 ms^2 (12 without the gap), the spline's swing across the gap; it is now taken over the
    longest stretch with beats."""
    from trainer.reports.session_analysis import heart_metrics

    nn = oscillating_nn(0.25, 30.0, n=340, mean_ms=900.0)
    nn = nn + np.random.default_rng(3).normal(0.0, 8.0, nn.size)
    t = beat_times_s(nn)
    whole = heart_metrics(t, nn, [])
    kept = ~((t > 100.0) & (t < 120.0))
    lost = heart_metrics(t[kept], nn[kept], [])
    assert whole.lf_power_ms2 is not None and lost.lf_power_ms2 is not None
    assert whole.lf_power_ms2 < 50.0
    assert lost.lf_power_ms2 < 50.0
    assert lost.hf_power_ms2 == pytest.approx(whole.hf_power_ms2, rel=0.3)


def test_gap_free_spectrum_is_the_spectrum_of_the_longest_stretch() -> None:
    """The one spectrum ``hrv`` and the report share: beats in time order, a repeated time
    dropped, the longest run without a gap over MAX_GAP_S, and its span reported."""
    from analysis.hrv_frequency import MAX_GAP_S, gap_free_frequency_domain, ordered_beats

    rng = np.random.default_rng(1)
    nn = 900.0 + 30.0 * np.sin(np.arange(700) * 0.6) + rng.normal(0.0, 5.0, 700)
    t = np.cumsum(nn) / 1000.0
    t[400:] += 25.0  # a lost contact after beat 400
    out = gap_free_frequency_domain(nn, t)
    assert (out.n_beats, out.n_total, out.whole) == (400, 700, False)
    assert (out.start_s, out.end_s) == (t[0], t[399])
    expected = frequency_domain(nn[:400], t_s=t[:400])
    assert out.spectrum is not None and out.spectrum.powers_ms2 == expected.powers_ms2
    assert np.diff(t).max() > MAX_GAP_S
    short = gap_free_frequency_domain(nn, t, min_duration_s=400.0)
    assert short.spectrum is None and short.duration_s == pytest.approx(t[399] - t[0])
    ordered_t, ordered_nn = ordered_beats(np.r_[t[:3], t[2]], np.r_[nn[:3], 1.0])
    assert ordered_t.tolist() == t[:3].tolist() and ordered_nn.tolist() == nn[:3].tolist()


def rsa_with_a_dropout() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5 min of RR = 900 + 30 sin(2 pi 0.25 t) + N(0, 5) ms, and which beats survive a 20 s
    lost contact (140-160 s): beat times (s), RR (ms), kept mask."""
    rng = np.random.default_rng(0)
    out, now = [], 0.0
    while now < 300.0:
        rr = 900.0 + 30.0 * np.sin(2 * np.pi * 0.25 * now) + rng.normal(0.0, 5.0)
        now += rr / 1000.0
        out.append(rr)
    rr_ms = np.array(out)
    t = np.cumsum(rr_ms) / 1000.0
    return t, rr_ms, ~((t > 140.0) & (t < 160.0))


def test_a_long_interval_without_beat_times_is_data_not_a_gap() -> None:
    """frequency_domain(raw_rr) raised "a gap of 3.5 s without beats" for one 3.5 s interval
    of an uncorrected series: without t_s each beat ends its interval, so there is no gap."""
    rng = np.random.default_rng(3)
    rr = 850.0 + 30.0 * rng.standard_normal(400)
    rr[200] = 3500.0
    fd = frequency_domain(rr)
    assert fd.powers_ms2["lf"] is not None and fd.settings["max_gap_s"] is None
    # Given times, the same 3.5 s between beats is still a gap that the spline would bridge.
    with pytest.raises(ValueError, match=r"a gap of 3\.5 s without beats"):
        frequency_domain(rr, t_s=np.cumsum(rr) / 1000.0)


def test_welch_refuses_to_spline_across_a_gap() -> None:
    """The spline across a 20 s dropout read VLF 2540 ms^2 and LF 226 (the whole series: 1.2
    and 6), while the t_s docstring promised that gaps stay gaps. Welch now refuses, naming the
    gap and the way out; the gap-free stretch and Lomb-Scargle (no resampling) still work."""
    from analysis.hrv_frequency import MAX_GAP_S, gap_free_frequency_domain

    t, rr, keep = rsa_with_a_dropout()
    with pytest.raises(
        ValueError, match=r"gap of 20\.\d s .*\(139\.\d-160\.\d s\).*3 s limit.*MAX_GAP_S = 3 s"
    ):
        frequency_domain(rr[keep], t_s=t[keep])
    with pytest.raises(ValueError, match="gap_free_frequency_domain"):
        resample_nn(t[keep], rr[keep], 4.0, max_gap_s=MAX_GAP_S)
    gap_free = gap_free_frequency_domain(rr[keep], t[keep])
    assert gap_free.spectrum is not None and (gap_free.spectrum.powers_ms2["lf"] or 0) < 20.0
    assert gap_free.spectrum.settings["max_gap_s"] == MAX_GAP_S
    lomb = frequency_domain(rr[keep], t_s=t[keep], method="lomb")
    assert (lomb.powers_ms2["lf"] or 0) < 20.0 and (lomb.powers_ms2["hf"] or 0) > 300.0
    # A wider limit is a setting, recorded with the values.
    bridged = frequency_domain(rr[keep], t_s=t[keep], welch_settings=WelchSettings(max_gap_s=30))
    assert bridged.settings["max_gap_s"] == 30


def test_vlf_is_not_reported_under_five_minutes() -> None:
    """Task Force 1996: VLF from recordings of 5 min or less is a dubious measure and should be
    avoided. It was reported (and counted in the total) from 2 min on."""
    from analysis.hrv_frequency import MIN_VLF_S

    nn = oscillating_nn(0.1, 20.0, n=420, mean_ms=800.0)
    t = beat_times_s(nn)
    short = t - t[0] < MIN_VLF_S - 20.0  # 280 s
    for method in ("welch", "lomb"):
        fd = frequency_domain(nn[short], method=method)
        assert fd.powers_ms2["vlf"] is None and fd.peaks_hz["vlf"] is None
        assert fd.total_ms2 == (fd.powers_ms2["lf"] or 0) + (fd.powers_ms2["hf"] or 0)
        assert fd.settings["total_power"].startswith("lf + hf (VLF not reported")
        assert fd.as_dict()["vlf_ms2"] is None
        long = frequency_domain(nn, method=method)
        assert long.settings["duration_s"] >= MIN_VLF_S
        assert long.powers_ms2["vlf"] is not None
        assert long.total_ms2 == pytest.approx(sum(v or 0 for v in long.powers_ms2.values()))
        assert long.settings["total_power"] == "vlf + lf + hf"


def test_a_band_without_power_has_no_peak() -> None:
    """A constant series named each band's first bin as its peak (argmax of zeros)."""
    fd = frequency_domain(np.full(400, 800.0))
    assert fd.peaks_hz == {"vlf": None, "lf": None, "hf": None}
    assert fd.powers_ms2 == {"vlf": 0.0, "lf": 0.0, "hf": 0.0}
    f = np.arange(0.0, 0.5, 0.01)
    assert band_power(f, np.zeros(f.size), 0.04, 0.15) == (0.0, None)
    assert band_power(f, np.where(f == 0.1, 1.0, 0.0), 0.04, 0.15)[1] == pytest.approx(0.1)


def test_peak_power_fraction_follows_its_definition() -> None:
    """The one peak-power share that coherence, resonance and breathing from RR all call."""
    from analysis.hrv_frequency import peak_power_fraction

    freq = np.arange(0.0, 0.5, 0.005)
    psd = np.ones(freq.size)
    psd[np.argmin(np.abs(freq - 0.3))] = 50.0  # outside the peak band
    psd[np.argmin(np.abs(freq - 0.1))] = 20.0
    pf = peak_power_fraction(freq, psd, (0.04, 0.26), 0.015, (0.0033, 0.4))
    assert pf is not None
    assert pf.peak_hz == pytest.approx(0.1) and freq[pf.peak_index] == pf.peak_hz
    total = psd[(freq >= 0.0033) & (freq <= 0.4)].sum() * 0.005
    assert pf.total_power == pytest.approx(total)
    assert pf.peak_power == pytest.approx((20.0 + 6 * 1.0) * 0.005)  # 0.085-0.115 Hz, closed
    assert pf.fraction == pytest.approx(pf.peak_power / total)
    # The peak window is clipped to the total band, and an empty peak band has no peak.
    edge = peak_power_fraction(freq, psd, (0.0, 0.02), 0.015, (0.01, 0.4))
    assert edge is not None and edge.peak_power == pytest.approx(2 * 0.005)
    assert peak_power_fraction(freq, psd, (0.6, 0.7), 0.015, (0.0033, 0.4)) is None


def test_a_peak_band_without_power_has_no_peak_as_in_band_power() -> None:
    """An all-zero band's argmax is its first bin: peak_power_fraction named it (resonance
    reported a heart-rate peak of 2.4/min for a flat step) where band_power gives no peak."""
    from analysis.hrv_frequency import NO_POWER_MS2, peak_power_fraction

    freq = np.arange(0.0, 0.5, 0.005)
    flat = peak_power_fraction(freq, np.zeros(freq.size), (0.04, 0.26), 0.015, (0.0033, 0.4))
    assert flat is not None
    assert (flat.peak_hz, flat.peak_index, flat.peak_power, flat.fraction) == (None, None, 0, 0)
    assert band_power(freq, np.zeros(freq.size), 0.04, 0.26, closed=True)[1] is None
    # Power outside the peak band only: the total is kept, the peak band has none.
    psd = np.where(np.abs(freq - 0.3) < 1e-9, 1.0, 0.0)
    high = peak_power_fraction(freq, psd, (0.04, 0.26), 0.015, (0.0033, 0.4))
    assert high is not None and high.peak_hz is None
    assert high.total_power == pytest.approx(0.005) and high.fraction == 0.0
    # The floor is NO_POWER_MS2 (band_power's), or the caller's for another unit.
    tiny = np.where(np.abs(freq - 0.1) < 1e-9, NO_POWER_MS2 / 0.005, 0.0)
    at_floor = peak_power_fraction(freq, tiny, (0.04, 0.26), 0.015, (0.0, 0.4))
    assert at_floor is not None and at_floor.peak_hz is None
    low_floor = peak_power_fraction(freq, tiny, (0.04, 0.26), 0.015, (0.0, 0.4), no_power=0.0)
    assert low_floor is not None and low_floor.peak_hz == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("gap_start_s", "gap_end_s"), [(200.0, 300.0), (100.0, 400.0), (50.0, 500.0)]
)
def test_lomb_band_power_does_not_grow_with_a_gap(gap_start_s: float, gap_end_s: float) -> None:
    """Found in review: scaled by the first-to-last span, 1250 ms^2 of LF read 1484, 2463 and
    4893 ms^2 with 100, 300 and 450 s of a 600 s series missing. Removing beats does not change
    the rhythm: the density is scaled by the time the beats cover and still integrates to the
    variance of the values kept."""
    t_list, rr_list = [0.0], []
    while t_list[-1] < 600.0:
        rr_list.append(900.0 + 50.0 * np.sin(2 * np.pi * 0.1 * t_list[-1]))
        t_list.append(t_list[-1] + rr_list[-1] / 1000.0)
    rr, t = np.array(rr_list), np.array(t_list[1:])
    whole = frequency_domain(rr, t_s=t, method="lomb")
    keep = ~((t > gap_start_s) & (t < gap_end_s))
    gapped = frequency_domain(rr[keep], t_s=t[keep], method="lomb")
    assert whole.powers_ms2["lf"] == pytest.approx(1250.0, rel=0.01)
    assert gapped.powers_ms2["lf"] == pytest.approx(1250.0, rel=0.04)
    assert gapped.total_ms2 == pytest.approx(np.var(rr[keep]), rel=0.02)
    covered = gapped.settings["covered_s"]
    assert covered == pytest.approx(600.0 - (gap_end_s - gap_start_s), abs=3.0)
    assert whole.settings["covered_s"] == whole.settings["duration_s"]


def test_lomb_refuses_beats_that_cover_no_time() -> None:
    rr = np.full(200, 800.0)
    with pytest.raises(ValueError, match="no two neighbouring beats lie within max_gap_s"):
        frequency_domain(rr, t_s=4.0 * np.arange(1, 201), method="lomb")
    with pytest.raises(ValueError, match="max_gap_s"):
        LombSettings(max_gap_s=0.0)
