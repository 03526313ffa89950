"""An integral pulse-frequency-modulation heart that follows paced breathing exactly.

Shared by the tests that check where a heart-rate series puts its rates in time (resonance
phase, breathing phase from RR, RSA per breath): with no noise, any phase error is the method's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PacedBreath:
    """One breath of equal inhale and exhale, s."""

    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float


def ipfm_paced_beats(
    rate_bpm: float, duration_s: float, *, lag_s: float = 0.0, swing_bpm: float = 16.0
) -> tuple[np.ndarray, np.ndarray, list[PacedBreath]]:
    """Beats of a heart whose rate is ``65 - swing_bpm / 2 x cos(breathing phase)``, ``lag_s``
    late: its trough falls on each inhale onset (plus the lag), its peak on each exhale onset.
    Integral pulse-frequency modulation: a beat each time the integral of rate / 60 passes a
    whole number (0.5 ms steps).

    Returns beat times, s, the intervals they end, ms, and the breaths (equal inhale and
    exhale, so lung volume is -cos of the breathing phase)."""
    period_s = 60.0 / rate_bpm
    breaths = [
        PacedBreath(k * period_s, (k + 0.5) * period_s, (k + 1) * period_s)
        for k in range(int(duration_s // period_s))
    ]
    dt = 0.0005
    t = np.arange(0.0, duration_s + 5.0, dt)
    hr_bpm = 65.0 - 0.5 * swing_bpm * np.cos(2 * np.pi * (t - lag_s) / period_s)
    beats = np.searchsorted(np.cumsum(hr_bpm / 60.0) * dt, np.arange(1.0, duration_s))
    beat_t = t[beats]
    return beat_t[1:], np.diff(beat_t) * 1000.0, breaths
