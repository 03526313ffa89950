"""Time-domain heart-rate variability: mean NN and HR, SDNN, RMSSD, SDSD, pNN50.

Definitions follow the Task Force of the ESC and NASPE (1996), "Heart rate variability:
standards of measurement, physiological interpretation and clinical use", Eur Heart J
17:354-381, on NN (normal-to-normal) intervals, except the denominator of pNN50 (below):

* ``mean_nn_ms`` = mean of NN; ``sdnn_ms`` = sample standard deviation of NN (``ddof=1``: the
  series is a sample of the person's intervals, so the unbiased variance estimate).
* ``d`` = successive differences ``NN[i+1] - NN[i]``; ``rmssd_ms`` = ``sqrt(mean(d**2))`` (the
  mean over the ``N-1`` differences, no ddof: it is a root mean square, not a deviation about a
  mean); ``sdsd_ms`` = sample standard deviation of ``d`` (``ddof=1``).
* ``nn50`` = number of ``|d| > 50 ms`` (:data:`NN50_MS`; a difference of exactly 50 ms does
  not count, whatever float rounding makes of it: :data:`NN50_FLOAT_SLACK_MS`);
  ``pnn50_pct`` = ``100 * nn50 / len(d)``, the share of the ``N-1`` successive differences
  (docs/reference/physiology.md: "% of successive differences > 50 ms"), as pyhrv computes it
  (``nn50 / len(nn_diff)``; its SampleReport is reproduced by the tests). This is *not* the
  Task Force's wording: its Table 1 divides by "the total number of all NN intervals" (``N``),
  as NeuroKit2 does. ``N-1`` is kept because NN50 counts differences, so its share of the
  differences is a proportion (over ``N`` it can never reach 100 %), and with corrected values
  left out the differences used are fewer than the intervals by more than one. The two differ
  by the factor ``(N-1)/N``: 40.97 % (195/476) against 40.88 % (195/477) on NeuroKit2's 8 min
  resting ECG.
* ``mean_hr_bpm`` = ``60000 / mean_nn_ms``, the rate that fits the recording's beats into its
  duration.

``convention="pyhrv"`` reproduces pyhrv 0.4 (Gomes et al. 2019), whose SampleReport numbers are a
published cross-check: identical SDNN, RMSSD and pNN50, but SDSD is the standard deviation of
``|d|`` (pyhrv's ``nni_diff`` takes absolute values) and mean HR is the mean of the instantaneous
rates ``60000 / NN``.

Corrected series: pass ``valid`` (``False`` for interpolated, merged or split values, e.g.
``~CorrectionResult.nn_corrected``) to compute every metric on original NN intervals only, and
successive differences only between two adjacent valid intervals, as the Task Force defines NN
statistics; interpolated values are smoother than beats and would pull RMSSD down.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from analysis.checks import check_positive, check_rr_units

__all__ = ["NN50_FLOAT_SLACK_MS", "NN50_MS", "RollingTimeDomain", "TimeDomain", "time_domain"]

Convention = Literal["task_force", "pyhrv"]

NN50_MS = 50.0
"""The successive difference, ms, that NN50 counts those beyond (Task Force 1996;
docs/reference/physiology.md: "% of successive differences > 50 ms")."""

NN50_FLOAT_SLACK_MS = 1e-9
"""How far beyond :data:`NN50_MS` a difference must lie, ms, to count: float rounding, not
the beats, decides the last 1e-13 ms of a difference.

RR intervals are decimal numbers (a text file's 0.1 ms, an ECG's sample period of 10 ms at
100 Hz) held as binary floats, so a difference that is exactly 50 ms comes out a few 1e-14 ms
either side of it, and ``> 50.0`` counted about half of them at random: 22 of the 217 NN50 of
NeuroKit2's 8 min resting ECG at 100 Hz (``hrv --fs 100``, pNN50 45.59 %, where the same beats
written as text gave 40.55 %), and 124 of 9252 differences of exactly 50 ms
between one-decimal values (``830.1``...). 1e-9 ms lies far above that noise (a difference of
two intervals under the 64 s a heart-rate packet carries is off by at most ~1e-11 ms) and far
below what any source resolves (a nanosecond clock, 1e-6 ms; a strap's 1/1024 s, whose
differences never come within 0.2 ms of 50 ms), so no difference a recording can hold moves
from one side of 50 ms to the other by it."""


@dataclass(frozen=True, slots=True)
class TimeDomain:
    """Time-domain HRV of one NN series (``None`` where too few intervals to define a value).

    Attributes
    ----------
    n_original_nn : int
        NN intervals the metrics use: the values marked original (``valid``), all of them
        without a mask.
    n_diffs : int
        Successive differences used (between adjacent original intervals only, and only
        where ``joined``).
    mean_nn_ms, sdnn_ms, rmssd_ms, sdsd_ms : float or None
        In milliseconds (definitions in the module docstring).
    mean_hr_bpm : float or None
        Beats per minute.
    nn50 : int
        Successive differences larger than 50 ms in magnitude.
    pnn50_pct : float or None
        Percent of the successive differences used that are larger than 50 ms (of ``n_diffs``,
        not of the intervals: module docstring).
    settings : dict
        The conventions used (JSON-ready).
    """

    n_original_nn: int
    n_diffs: int
    mean_nn_ms: float | None
    sdnn_ms: float | None
    rmssd_ms: float | None
    sdsd_ms: float | None
    mean_hr_bpm: float | None
    nn50: int
    pnn50_pct: float | None
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The metrics and settings as a JSON-ready dict."""
        return asdict(self)


def time_domain(
    nn_ms: ArrayLike,
    *,
    valid: ArrayLike | None = None,
    joined: ArrayLike | None = None,
    convention: Convention = "task_force",
) -> TimeDomain:
    """Time-domain HRV metrics of an NN series.

    Parameters
    ----------
    nn_ms : array_like
        NN intervals in milliseconds, in beat order.
    valid : array_like of bool, optional
        Which values are original NN intervals; the others are left out, and a successive
        difference is used only when both of its intervals are valid and adjacent.
    joined : array_like of bool, optional
        One fewer than ``nn_ms``: whether each interval follows the one before it directly, so
        their difference is a successive difference (``False`` across a hole in the beats, a
        lost contact or link). The intervals either side of a hole still count, as they were
        measured; only the difference across it is left out (Task Force 1996). Default: all.
    convention : {"task_force", "pyhrv"}
        Variance and HR conventions (module docstring).

    Returns
    -------
    TimeDomain
        The metrics, with the settings used.

    Raises
    ------
    ValueError
        If the inputs are not 1-D, differ in length, hold non-finite or non-positive intervals,
        the median interval is no heart's in ms (RR in seconds: the message says so,
        :func:`analysis.checks.check_rr_units`), or the convention is unknown.

    Examples
    --------
    >>> td = time_domain([800.0, 810.0, 790.0, 850.0, 800.0])
    >>> td.n_original_nn, td.mean_nn_ms, round(td.rmssd_ms, 1), td.nn50, round(td.mean_hr_bpm, 1)
    (5, 810.0, 40.6, 1, 74.1)
    >>> across = time_domain([800.0, 810.0, 790.0, 850.0, 800.0], joined=[True, True, False, True])
    >>> across.n_original_nn, across.n_diffs, round(across.rmssd_ms, 1)
    (5, 3, 31.6)
    """
    result = _time_domain(nn_ms, valid, convention, joined)
    check_rr_units(np.asarray(nn_ms, dtype=np.float64), "nn_ms", unit_only=True)
    return result


def _time_domain(
    nn_ms: ArrayLike,
    valid: ArrayLike | None,
    convention: Convention,
    joined: ArrayLike | None = None,
) -> TimeDomain:
    """:func:`time_domain` without the check of the median's unit, for a window of a stream
    (:class:`RollingTimeDomain`), whose few beats may all be artifacts."""
    nn = np.asarray(nn_ms, dtype=np.float64)
    if nn.ndim != 1:
        raise ValueError("nn_ms must be one-dimensional")
    if nn.size and (not np.all(np.isfinite(nn)) or np.any(nn <= 0.0)):
        raise ValueError("nn_ms must hold positive finite intervals")
    if convention not in ("task_force", "pyhrv"):
        raise ValueError(f"unknown convention {convention!r}")
    ok = np.ones(nn.size, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    if ok.shape != nn.shape:
        raise ValueError("valid must have the same length as nn_ms")

    pair = ok[1:] & ok[:-1]
    if joined is not None:
        follows = np.asarray(joined, dtype=bool)
        if follows.shape != (max(nn.size - 1, 0),):
            raise ValueError("joined must be one shorter than nn_ms")
        pair &= follows
    values = nn[ok]
    d = np.diff(nn)[pair]
    n, m = values.size, d.size

    mean_nn = float(values.mean()) if n else None
    sdnn = float(values.std(ddof=1)) if n > 1 else None
    rmssd = float(np.sqrt(np.mean(d * d))) if m else None
    if convention == "pyhrv":
        sdsd = float(np.abs(d).std(ddof=1)) if m > 1 else None
        mean_hr = float(np.mean(60000.0 / values)) if n else None
    else:
        sdsd = float(d.std(ddof=1)) if m > 1 else None
        mean_hr = 60000.0 / mean_nn if mean_nn else None
    nn50 = int(np.count_nonzero(np.abs(d) > NN50_MS + NN50_FLOAT_SLACK_MS))
    pnn50 = 100.0 * nn50 / m if m else None

    settings: dict[str, Any] = {
        "convention": convention,
        "sdnn_ddof": 1,
        "rmssd": "sqrt(mean(diff**2)) over N-1 differences",
        "sdsd": "std(|diff|, ddof=1)" if convention == "pyhrv" else "std(diff, ddof=1)",
        "mean_hr": "mean(60000/NN)" if convention == "pyhrv" else "60000/mean(NN)",
        "pnn50_threshold_ms": NN50_MS,
        "pnn50": "100 * NN50 / differences used (N-1, as pyhrv; Task Force: N)",
        "differences": _differences_used(valid is not None, joined is not None),
    }
    return TimeDomain(n, m, mean_nn, sdnn, rmssd, sdsd, mean_hr, nn50, pnn50, settings)


def _differences_used(masked: bool, joined: bool) -> str:
    """The ``differences`` setting: which successive differences the statistics take."""
    if masked and joined:
        return "adjacent valid intervals only, none across a hole"
    if joined:
        return "all but across a hole"
    return "adjacent valid intervals only" if masked else "all"


@dataclass
class RollingTimeDomain:
    """Time-domain HRV over the latest ``window_s`` seconds of a beat stream (live display).

    :meth:`current` equals :func:`time_domain` on the beats whose time lies in
    ``(t_last - window_s, t_last]``, with their validity as the mask (tested); memory holds
    one window of beats.

    Parameters
    ----------
    window_s : float
        Window length, s (60 s: the span peers show live; Task Force short-term HRV is 5 min).
    convention : {"task_force", "pyhrv"}
        As in :func:`time_domain`.

    Raises
    ------
    ValueError
        If ``window_s`` is not a positive finite number (a NaN window never dropped a beat, a
        negative one kept none), or the convention is unknown.

    Examples
    --------
    A 3 s window over six beats keeps the last four, as :func:`time_domain` on them:

    >>> import numpy as np
    >>> nn_ms = [800.0, 810.0, 790.0, 850.0, 800.0, 820.0]
    >>> rolling = RollingTimeDomain(window_s=3.0)
    >>> for t_s, nn in zip(np.cumsum(nn_ms) / 1000.0, nn_ms):
    ...     rolling.push(float(t_s), nn)
    >>> now = rolling.current()
    >>> now.n_original_nn, now.mean_nn_ms, round(now.rmssd_ms, 1)
    (4, 815.0, 46.5)
    >>> round(time_domain(nn_ms[2:]).rmssd_ms, 1)
    46.5
    """

    window_s: float = 60.0
    convention: Convention = "task_force"
    _t: deque[float] = field(init=False, repr=False, default_factory=deque)
    _x: deque[float] = field(init=False, repr=False, default_factory=deque)
    _ok: deque[bool] = field(init=False, repr=False, default_factory=deque)

    def __post_init__(self) -> None:
        check_positive("window_s", self.window_s)
        if self.convention not in ("task_force", "pyhrv"):
            raise ValueError(f"unknown convention {self.convention!r}")

    def push(self, beat_t_s: float, nn_ms: float, valid: bool = True) -> None:
        """Add one NN interval ending at ``beat_t_s`` (s); ``valid=False`` for corrected ones.

        Raises
        ------
        ValueError
            If the time does not increase or the interval is not positive and finite.
        """
        if not (nn_ms > 0.0 and np.isfinite(nn_ms)):
            raise ValueError(f"nn_ms must be a positive finite interval, got {nn_ms!r}")
        if self._t and not beat_t_s > self._t[-1]:
            raise ValueError("beat times must increase")
        self._t.append(beat_t_s)
        self._x.append(nn_ms)
        self._ok.append(bool(valid))
        while self._t and self._t[0] <= beat_t_s - self.window_s:
            self._t.popleft()
            self._x.popleft()
            self._ok.popleft()

    def current(self) -> TimeDomain:
        """Metrics of the current window."""
        result = _time_domain(
            np.fromiter(self._x, dtype=np.float64, count=len(self._x)),
            np.fromiter(self._ok, dtype=bool, count=len(self._ok)),
            self.convention,
        )
        result.settings["window_s"] = self.window_s
        return result
