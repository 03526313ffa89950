"""A synthetic ECG with its R waves where a test puts them, for the R-peak and import tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

START_NS = 1_767_250_800 * 1_000_000_000
"""A logger file's first time, Unix ns (2026-01-01 07:00 UTC)."""
ECG_FS_HZ = 130.0
"""The Polar H10's ECG rate, Hz."""


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


def resting_rr_ms(n: int, seed: int) -> np.ndarray:
    """A resting heart with a breathing rhythm: 900 ms +- 60 ms at 0.09 cycles per beat, plus
    8 ms of noise, whole ms."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    rr: np.ndarray = np.round(900 + 60 * np.sin(2 * np.pi * 0.09 * k) + rng.normal(0, 8, n))
    return rr


def ecg_only_csv(path: Path, ecg: str, hole_s: tuple[float, float] | None = None) -> np.ndarray:
    """A logger's ECG file (``time_ns, ecg_uV`` at 130 Hz, no RR or heart-rate column), as
    Polar Sensor Logger writes the ECG to a file of its own, without the samples in
    ``hole_s``; ``ecg`` is ``"ecg"`` or ``"noise"`` (no QRS). Returns the true R peaks, s (those
    outside the hole)."""
    rng = np.random.default_rng(5)
    r_peaks = 1.0 + np.cumsum(resting_rr_ms(150, 5) / 1000)
    t = np.arange(0.0, r_peaks[-1] + 0.6, 1.0 / ECG_FS_HZ)
    x = ecg_uv(t, r_peaks, rng) if ecg == "ecg" else rng.normal(0, 300, t.size)
    if hole_s is not None:
        keep = (t < hole_s[0]) | (t > hole_s[1])
        t, x = t[keep], x[keep]
        r_peaks = r_peaks[(r_peaks < hole_s[0] - 0.1) | (r_peaks > hole_s[1] + 0.1)]
    body = "\n".join(f"{START_NS + round(ti * 1e9)},{v:.1f}" for ti, v in zip(t, x, strict=True))
    path.write_text("time_ns,ecg_uV\n" + body + "\n")
    return r_peaks
