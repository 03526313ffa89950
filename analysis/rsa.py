"""Respiratory sinus arrhythmia (RSA) by the peak-to-trough method, one value per breath.

Peak-to-trough (Grossman, van Beek & Wientjes 1990, Psychophysiology 27:702; Grossman & Taylor
2007, Biol Psychol 74:263): for each breath, the fastest heart rate during inhalation minus the
slowest heart rate during exhalation (the heart speeds up while breathing in and slows while
breathing out). Equivalently in intervals: the longest RR during exhalation minus the shortest
RR during inhalation. A breath where the heart does not follow that pattern gives a value of 0
or below, which is kept (it is information, not an error).

Beat attribution: interval ``rr_ms[i]`` ends at beat time ``beat_t_s[i]``; its instantaneous rate
``60000 / rr_ms[i]`` is the heart's mean rate over the whole interval (Berger et al. 1986, IEEE
Trans Biomed Eng 33:900), so it belongs to the phase containing the interval's midpoint
(:func:`analysis.beats.instantaneous_heart_rate`), as Grossman's method asks for the heart
periods *during* each phase. Attributed by the beat that ends it, an interval that mostly lies
in the inhale but ends just after the exhale onset counts as exhale: on an integral
pulse-frequency-modulation heart swinging 12 beats/min with its trough at each inhale onset,
the median read 9.9 beats/min at 6 breaths/min and 0 at 15/min; by midpoints 11.3 and 8.9.
The heart-rate response trails the breath by a fraction of a second to a few seconds; ``lag_s``
shifts both phase windows later by that much (0 by default, so the definition stays the textbook
one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

from analysis.beats import instantaneous_heart_rate
from analysis.checks import check_beat_time_units, check_rr_units

__all__ = ["BreathEvents", "BreathRSA", "rsa_per_breath"]


class BreathEvents(Protocol):
    """Anything with the three breath times RSA needs (``analysis.breath.Breath`` has them)."""

    @property
    def inhale_onset_s(self) -> float: ...

    @property
    def exhale_onset_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class BreathRSA:
    """Peak-to-trough RSA of one breath.

    Attributes
    ----------
    inhale_onset_s, exhale_onset_s, end_s : float
        The breath, seconds (same clock as the beat times).
    n_inhale_beats, n_exhale_beats : int
        Intervals whose midpoint falls in each (lag-shifted) phase.
    max_hr_inhale_bpm, min_hr_exhale_bpm : float or None
        Fastest rate while breathing in and slowest while breathing out, beats/min; ``None``
        when the phase holds no beat.
    peak_to_trough_bpm : float or None
        ``max_hr_inhale_bpm - min_hr_exhale_bpm``, beats/min.
    peak_to_trough_ms : float or None
        Longest exhale RR minus shortest inhale RR, ms.
    """

    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float
    n_inhale_beats: int
    n_exhale_beats: int
    max_hr_inhale_bpm: float | None
    min_hr_exhale_bpm: float | None
    peak_to_trough_bpm: float | None
    peak_to_trough_ms: float | None

    @property
    def valid(self) -> bool:
        """True when both phases held at least one beat."""
        return self.peak_to_trough_bpm is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def rsa_per_breath(
    beat_t_s: ArrayLike,
    rr_ms: ArrayLike,
    breaths: Sequence[BreathEvents],
    *,
    lag_s: float = 0.0,
) -> list[BreathRSA]:
    """Peak-to-trough RSA for every breath.

    Parameters
    ----------
    beat_t_s : array_like
        Time of the beat ending each interval, s, non-decreasing.
    rr_ms : array_like
        The (artifact-corrected) intervals, ms, one per beat time.
    breaths : sequence of BreathEvents
        Objects with ``inhale_onset_s <= exhale_onset_s <= end_s`` (s, same clock).
    lag_s : float, optional
        Heart-rate response lag, s: inhale is ``[inhale_onset + lag, exhale_onset + lag)`` and
        exhale ``[exhale_onset + lag, end + lag)``; an interval belongs to the phase holding its
        midpoint (module notes).

    Returns
    -------
    list of BreathRSA
        One entry per breath, in the given order.

    Raises
    ------
    ValueError
        On mismatched lengths, non-positive intervals, decreasing beat times, intervals whose
        median is no heart's in ms or beat times in ms (:mod:`analysis.checks`), or a breath
        whose times are out of order.

    Examples
    --------
    Breathing at 6 breaths/min; the heart beats every 1000 ms -/+ 100 ms and fastest in the
    middle of each in-breath (t = 10, 20, ... s), as RSA does:

    >>> import numpy as np
    >>> from analysis.breath import detect_breaths
    >>> t_s = np.arange(0.0, 120.0, 0.04)
    >>> breaths = detect_breaths(np.sin(2 * np.pi * 0.1 * t_s), 25.0)
    >>> beat_t_s = [0.0]
    >>> while beat_t_s[-1] < 120.0:
    ...     beat_t_s.append(beat_t_s[-1] + 1.0 - 0.1 * np.cos(2 * np.pi * 0.1 * beat_t_s[-1]))
    >>> rsa = rsa_per_breath(beat_t_s[1:], 1000.0 * np.diff(beat_t_s), breaths)
    >>> len(rsa), all(b.valid for b in rsa)
    (11, True)
    >>> b = rsa[0]
    >>> round(b.max_hr_inhale_bpm, 1), round(b.min_hr_exhale_bpm, 1), round(b.peak_to_trough_bpm)
    (66.7, 54.6, 12)
    """
    t = np.asarray(beat_t_s, dtype=np.float64)
    rr = np.asarray(rr_ms, dtype=np.float64)
    if t.ndim != 1 or t.shape != rr.shape:
        raise ValueError("beat_t_s and rr_ms must be 1-D and of equal length")
    if rr.size and (not np.all(np.isfinite(rr)) or np.any(rr <= 0.0)):
        raise ValueError("rr_ms must hold positive finite intervals")
    if np.any(np.diff(t) < 0.0):
        raise ValueError("beat_t_s must be non-decreasing")
    check_rr_units(rr, unit_only=True)
    check_beat_time_units(t, rr, rr_name="rr_ms")
    mid, _, kept = instantaneous_heart_rate(t, rr)
    rr = rr[kept]

    out: list[BreathRSA] = []
    for b in breaths:
        t0, t1, t2 = float(b.inhale_onset_s), float(b.exhale_onset_s), float(b.end_s)
        if not t0 <= t1 <= t2:
            raise ValueError(f"breath times out of order: {t0}, {t1}, {t2}")
        i0, i1, i2 = np.searchsorted(mid, [t0 + lag_s, t1 + lag_s, t2 + lag_s], side="left")
        inhale, exhale = rr[i0:i1], rr[i1:i2]
        max_hr = 60000.0 / float(inhale.min()) if inhale.size else None
        min_hr = 60000.0 / float(exhale.max()) if exhale.size else None
        p2t_bpm = max_hr - min_hr if max_hr is not None and min_hr is not None else None
        p2t_ms = float(exhale.max() - inhale.min()) if inhale.size and exhale.size else None
        counts = (int(inhale.size), int(exhale.size))
        out.append(BreathRSA(t0, t1, t2, *counts, max_hr, min_hr, p2t_bpm, p2t_ms))
    return out
