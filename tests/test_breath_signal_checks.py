"""Pure checks of a breathing waveform (analysis.breath_signal_checks): rails against a coarse
converter, and samples repeated through a dropout."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.breath import MIN_BREATH_S, detect_breaths
from analysis.breath_signal_checks import (
    HELD_MIN_S,
    clipped_fraction,
    held_runs,
    looks_too_fast,
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
