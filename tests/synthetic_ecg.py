"""A synthetic ECG with its R waves where a test puts them, for the R-peak and import tests."""

from __future__ import annotations

import numpy as np


def ecg_uv(t_s: np.ndarray, r_peaks_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A lead-II-like ECG with its R waves at ``r_peaks_s``: Q, R, S and T as Gaussians (µV),
    on a breathing baseline wander, with 20 µV of noise."""
    x = 200 * np.sin(2 * np.pi * 0.25 * t_s) + rng.normal(0, 20, t_s.size)
    waves = ((-0.025, -120, 0.008), (0.0, 1200, 0.010), (0.030, -300, 0.010), (0.25, 250, 0.04))
    for r in r_peaks_s:
        near = np.abs(t_s - r) < 0.5
        for lag_s, amplitude_uv, width_s in waves:
            x[near] += amplitude_uv * np.exp(-0.5 * ((t_s[near] - r - lag_s) / width_s) ** 2)
    return x
