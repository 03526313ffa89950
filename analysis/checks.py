"""The argument checks the analysis modules share, each refusing in one ``ValueError`` line.

Every public function and settings class of :mod:`analysis` refuses an impossible argument at
its boundary, saying what is wrong, rather than failing deeper down with an error that names
none of it (without this, ``WelchSettings(fs_hz=-4)`` raised ``ZeroDivisionError``,
``power_shares(x, 0)`` "range() arg 3 must not be zero", ``noise_stretches(x, 0)`` called a clean
sine noise from end to end). The checks live here so that each rule is written once.

Units of heartbeat series
-------------------------
RR intervals are in milliseconds and beat times in seconds throughout :mod:`analysis`. Given in
the other unit, every number still comes out, and wrong: RR in seconds gave a mean heart rate of
86 161 beats/min, beat times in milliseconds 59 760 empty coherence windows. A series is judged
by its median, as the file readers judge a file (:mod:`trainer.storage.rr_values`), so that a
single artifact interval among plausible ones (a spurious beat of 150 ms, a lost contact of
4 s) is kept for the artifact correction, which exists to fix it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PLAUSIBLE_RR_MS",
    "check_beat_time_units",
    "check_fraction",
    "check_positive",
    "check_rr_units",
    "check_signal",
]

FloatArray = NDArray[np.float64]

PLAUSIBLE_RR_MS = (200.0, 3000.0)
"""Intervals a heart produces, ms: 300 to 20 beats/min, wider than any sinus rhythm at rest or
in exercise. A series whose median interval lies outside is in another unit, or not RR
intervals: :func:`check_rr_units` refuses it, and every RR file reader refuses such a file
(:data:`trainer.storage.rr_values.PLAUSIBLE_RR_MS` is this range). A single interval outside,
among plausible ones, is an artifact (a lost contact, a spurious beat), kept for the artifact
correction."""

_TIMES_SCALE = math.sqrt(1000.0)
"""Ratio of the median spacing of beat times (s) to the median interval (in s) above which the
times are in ms: the geometric middle between 1 (the same unit) and 1000 (times in ms).
Spacing differs from the intervals only where beats were removed (a gap) or where a beat clock
clamped a beat onto its notification's arrival, which moves the median by far less."""


def check_positive(name: str, value: float, *, allow_inf: bool = False) -> float:
    """``value`` as a float, or a ``ValueError`` when it is not a positive finite number.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : float
        The value.
    allow_inf : bool
        Take ``inf`` too (a limit that means "no limit").

    Returns
    -------
    float
        ``value``.

    Raises
    ------
    ValueError
        ``"{name} must be a positive finite number, got {value!r}"``.

    Examples
    --------
    >>> check_positive("fs_hz", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: fs_hz must be a positive finite number, got 0.0
    """
    v = float(value)
    if not (v > 0.0 and (math.isfinite(v) or (allow_inf and v == math.inf))):
        kind = "positive number" if allow_inf else "positive finite number"
        raise ValueError(f"{name} must be a {kind}, got {value!r}")
    return v


def check_fraction(name: str, value: float) -> float:
    """``value`` as a float, or a ``ValueError`` when it does not lie in ``[0, 1)``.

    Raises
    ------
    ValueError
        ``"{name} must lie in [0, 1), got {value!r}"``.
    """
    v = float(value)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return v


def check_signal(
    name: str, x: ArrayLike, *, min_size: int = 1, columns: bool = False
) -> FloatArray:
    """``x`` as a float64 array of at least ``min_size`` samples, or a ``ValueError``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    x : array_like
        The samples: shape (n,), or with ``columns`` also (n, k), k >= 1.
    min_size : int
        Fewest samples (rows) accepted.
    columns : bool
        Take a 2-D array of columns (an accelerometer's x, y, z) too.

    Returns
    -------
    ndarray
        ``x`` as float64.

    Raises
    ------
    ValueError
        When ``x`` has another shape or fewer samples, naming both.

    Examples
    --------
    >>> check_signal("x", 3.0)
    Traceback (most recent call last):
    ...
    ValueError: x must be a 1-D array of at least 1 sample, got shape ()
    """
    a = np.asarray(x, dtype=np.float64)
    shaped = a.ndim == 1 or (columns and a.ndim == 2 and a.shape[1] >= 1)
    if not shaped or a.shape[0] < min_size:
        kind = "a 1-D or 2-D (samples, columns) array" if columns else "a 1-D array"
        samples = "sample" if min_size == 1 else "samples"
        raise ValueError(
            f"{name} must be {kind} of at least {min_size} {samples}, got shape {a.shape}"
        )
    return a


def check_rr_units(rr_ms: FloatArray, name: str = "rr_ms", *, unit_only: bool = False) -> None:
    """Refuse a series of intervals whose median no heart produces in milliseconds.

    The median lies within :data:`PLAUSIBLE_RR_MS` for any heart; outside, the series is in
    another unit (the message says which it looks like), or no RR intervals at all. An empty
    series passes.

    Parameters
    ----------
    rr_ms : ndarray
        The intervals, 1-D, positive and finite (checked before).
    name : str
        The argument's name, for the message.
    unit_only : bool
        Refuse only a median that no heart's interval reaches in ms from either side: under
        :data:`PLAUSIBLE_RR_MS`'s lower end (seconds, or no heart), or at or over 1000 times
        it (microseconds). For functions of NN series, which the artifact correction derives
        from a series judged whole: on a degenerate one (a few 4 s intervals among 1 s ones)
        merged beats move the corrected median past 3000 ms, which is no unit.

    Raises
    ------
    ValueError
        One line with the median and what the values look like.

    Examples
    --------
    >>> check_rr_units(np.array([0.8, 0.81, 0.79]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: rr_ms: the median interval is 0.8: these look like seconds; RR intervals are in ...
    """
    if rr_ms.size == 0:
        return
    median = float(np.median(rr_ms))
    low, high = PLAUSIBLE_RR_MS
    if low <= median <= high or (unit_only and low <= median < 1000.0 * low):
        return
    if low <= median * 1000.0 <= high:
        looks = "these look like seconds; RR intervals are in ms (multiply by 1000)"
    elif low <= median / 1000.0 <= high:
        looks = "these look like microseconds; RR intervals are in ms (divide by 1000)"
    else:
        looks = (
            f"no heart beats at that rate (a median RR of {low:.0f}-{high:.0f} ms, "
            f"{60000.0 / high:.0f}-{60000.0 / low:.0f} beats/min): not RR intervals in ms"
        )
    raise ValueError(f"{name}: the median interval is {median:.4g}: {looks}")


def check_beat_time_units(
    t_s: FloatArray, rr_ms: FloatArray, name: str = "beat_t_s", rr_name: str = "nn_ms"
) -> None:
    """Refuse beat times whose spacing is about 1000 times their intervals': times in ms.

    Beats lie one interval apart, so the median spacing of the times (s) matches the median
    interval (ms / 1000) within a small factor; over :data:`_TIMES_SCALE` times it the times
    are in ms. (Spacing far below the intervals is not refused: beats a clock placed close
    together are not a unit.) Fewer than two beats pass (nothing to compare).

    Parameters
    ----------
    t_s : ndarray
        Time of the beat ending each interval, 1-D, finite, increasing (checked before).
    rr_ms : ndarray
        The intervals, ms, as many (checked before, and by :func:`check_rr_units`).
    name, rr_name : str
        The arguments' names, for the message.

    Raises
    ------
    ValueError
        One line with both medians and what the times look like.

    Examples
    --------
    >>> rr = np.array([800.0, 810.0, 790.0])
    >>> check_beat_time_units(np.cumsum(rr), rr)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: beat_t_s: the beats lie a median 800 apart where the median of nn_ms is 800 ms: ...
    """
    if t_s.size < 2:
        return
    spacing = float(np.median(np.diff(t_s)))
    interval_s = float(np.median(rr_ms)) / 1000.0
    if spacing <= _TIMES_SCALE * interval_s:
        return
    raise ValueError(
        f"{name}: the beats lie a median {spacing:.4g} apart where the median of {rr_name} is "
        f"{interval_s * 1000.0:.4g} ms: these look like ms; beat times are in s (divide by 1000)"
    )
