"""Peak-to-trough RSA per breath."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from ipfm import ipfm_paced_beats

from analysis.breath import Breath
from analysis.rsa import rsa_per_breath


@dataclass(frozen=True)
class Events:
    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float


def rsa_beats(period_s: float, inhale_s: float, n_breaths: int, swing_bpm: float):  # type: ignore[no-untyped-def]
    """Beats whose heart rate rises through each inhale and falls through each exhale."""

    def hr_at(x: float) -> float:
        phase = (x % period_s) / period_s
        k = inhale_s / period_s
        # Triangle: 0 at inhale onset, 1 at exhale onset, back to 0 at the breath's end.
        up = phase / k if phase < k else (1 - phase) / (1 - k)
        return 60.0 + swing_bpm * up

    t, rr, now = [], [], 0.0
    while now < period_s * n_breaths:
        interval = 1000.0
        for _ in range(5):  # the beat ending the interval carries the rate of that instant
            interval = 60000.0 / hr_at(now + interval / 1000.0)
        now += interval / 1000.0
        t.append(now)
        rr.append(interval)
    starts = [i * period_s for i in range(n_breaths)]
    breaths = [Events(s, s + inhale_s, s + period_s) for s in starts]
    return np.array(t), np.array(rr), breaths


def test_peak_to_trough_recovers_the_swing() -> None:
    t, rr, breaths = rsa_beats(10.0, 4.0, 6, swing_bpm=12.0)
    out = rsa_per_breath(t, rr, breaths)
    assert len(out) == 6
    for r in out[1:]:
        assert r.valid
        assert r.n_inhale_beats >= 3 and r.n_exhale_beats >= 5
        # Beats sample the triangle about once a second, missing its tips by up to one beat's
        # slope (3 bpm/s rising, 2 bpm/s falling): between 12 - 3 - 2 and 12 bpm.
        assert 7.0 < (r.peak_to_trough_bpm or 0.0) <= 12.0
        assert r.max_hr_inhale_bpm is not None and r.min_hr_exhale_bpm is not None
        assert r.peak_to_trough_ms == pytest.approx(
            60000.0 / r.min_hr_exhale_bpm - 60000.0 / r.max_hr_inhale_bpm
        )


def test_definition_on_hand_placed_beats() -> None:
    t = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    rr = np.array([1000.0, 900.0, 800.0, 900.0, 1000.0, 1100.0])
    (r,) = rsa_per_breath(t, rr, [Events(0.0, 3.0, 6.0)])
    assert r.n_inhale_beats == 3 and r.n_exhale_beats == 3
    assert r.max_hr_inhale_bpm == pytest.approx(75.0)  # 800 ms
    assert r.min_hr_exhale_bpm == pytest.approx(60000 / 1100)
    assert r.peak_to_trough_bpm == pytest.approx(75.0 - 60000 / 1100)
    assert r.peak_to_trough_ms == pytest.approx(300.0)
    # A lag moves the windows later: the 800 ms beat now falls out of the inhale.
    (lagged,) = rsa_per_breath(t, rr, [Events(0.0, 3.0, 6.0)], lag_s=1.0)
    assert lagged.n_inhale_beats == 3 and lagged.max_hr_inhale_bpm == pytest.approx(75.0)
    (lagged2,) = rsa_per_breath(t, rr, [Events(0.0, 2.0, 6.0)], lag_s=1.0)
    assert lagged2.max_hr_inhale_bpm == pytest.approx(75.0) and lagged2.n_inhale_beats == 2


def test_breath_without_beats_in_a_phase_is_invalid_not_an_error() -> None:
    t = np.array([0.5, 1.5])
    rr = np.array([1000.0, 1000.0])
    (r,) = rsa_per_breath(t, rr, [Events(0.0, 3.0, 6.0)])
    assert not r.valid and r.peak_to_trough_bpm is None and r.min_hr_exhale_bpm is None
    assert r.as_dict()["n_inhale_beats"] == 2


def test_accepts_the_breath_detector_output() -> None:
    b = Breath(0.0, 3.0, 6.0, 3.0, 3.0, 0.0, 1.0, 1.0, 10.0, "good", 6.5)
    t = np.array([1.0, 2.0, 4.0, 5.0])
    rr = np.array([900.0, 850.0, 950.0, 1000.0])
    (r,) = rsa_per_breath(t, rr, [b])
    assert r.peak_to_trough_ms == pytest.approx(150.0)


def test_bad_input_raises() -> None:
    # Its own check, not instantaneous_heart_rate's, which says nn_ms (found mutating it).
    with pytest.raises(ValueError, match="beat_t_s and rr_ms must be 1-D and of equal length"):
        rsa_per_breath([1.0, 2.0], [900.0], [])
    with pytest.raises(ValueError, match="beat_t_s must be non-decreasing"):
        rsa_per_breath([2.0, 1.0], [900.0, 900.0], [])
    with pytest.raises(ValueError, match="rr_ms must hold positive finite intervals"):
        rsa_per_breath([1.0], [0.0], [])
    with pytest.raises(ValueError, match=r"breath times out of order: 3\.0, 2\.0, 6\.0"):
        rsa_per_breath([1.0], [900.0], [Events(3.0, 2.0, 6.0)])


@pytest.mark.parametrize(("rate_bpm", "at_least_bpm"), [(6.0, 11.0), (15.0, 8.0)])
def test_an_interval_belongs_to_the_phase_holding_its_midpoint(
    rate_bpm: float, at_least_bpm: float
) -> None:
    """A heart swinging 12 beats/min, trough at each inhale onset, peak at each exhale onset.
    Attributed by the beat that ends it, the interval spanning the exhale onset (the fastest)
    counted as exhale: the median read 9.9 at 6/min and 0 at 15/min; by midpoints 11.3 and
    8.9 (an interval's mean rate never reaches the instantaneous peak)."""
    beat_t, rr_ms, breaths = ipfm_paced_beats(rate_bpm, 300.0, swing_bpm=12.0)
    whole = [b for b in breaths if b.end_s < beat_t[-1]]
    result = rsa_per_breath(beat_t, rr_ms, whole)
    assert len(result) == len(whole) and all(r.valid for r in result)
    values = [np.nan if r.peak_to_trough_bpm is None else r.peak_to_trough_bpm for r in result]
    assert at_least_bpm < float(np.median(values)) < 12.0
