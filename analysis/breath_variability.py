"""How regular the breathing is: breath-to-breath variability of a run of detected breaths.

The time-domain measures of breath rate variability (BRV, also RRV for *respiratory* rate
variability) follow Soni & Muniyandi (2019), the set NeuroKit2's ``rsp_rrv`` reports, on the
breath-to-breath (BB) intervals: the times between consecutive inhale onsets. Two more numbers
describe the regularity of the breath itself rather than its timing: the coefficient of
variation of depth and of the exhale:inhale ratio.

Intervals are taken only between breaths that follow one another directly (the next breath
starts where the previous one ended, within a quarter of its length) and are not artifacts, so
a stretch the detector rejected or a lost stretch of signal adds no interval spanning it;
successive differences only between intervals that share a breath.

References
----------
Soni R, Muniyandi M (2019). Breath rate variability: a novel measure to study the meditation
effects. International Journal of Yoga 12(1): 45-54. doi:10.4103/ijoy.IJOY_27_17

Makowski D et al. (2021). NeuroKit2: A Python toolbox for neurophysiological signal
processing. Behavior Research Methods 53: 1689-1696 (``rsp_rrv``: RRV_MeanBB, RRV_SDBB,
RRV_RMSSD, RRV_SDSD, RRV_CVBB, RRV_CVSD, RRV_MedianBB, RRV_MadBB, RRV_MCVBB).

Examples
--------
>>> from analysis.breath import Breath
>>> def breath(onset_s, period_s):
...     return Breath(onset_s, onset_s + period_s / 3, onset_s + period_s, period_s / 3,
...                   2 * period_s / 3, 0.0, 2.0, 1.0, 60 / period_s, "good", onset_s + period_s)
>>> onsets = [0.0, 10.0, 21.0, 30.0, 40.0]
>>> v = breath_variability([breath(t, 10.0 + (i % 2)) for i, t in enumerate(onsets)])
>>> v.n_intervals, round(v.mean_bb_s, 2), round(v.rmssd_bb_s, 2)
(4, 10.0, 1.41)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from analysis.breath import Breath

__all__ = [
    "MAD_SCALE",
    "BreathVariability",
    "bb_intervals",
    "breath_variability",
    "measured_ratios",
    "ratio_measured",
]

MAD_SCALE = 1.4826
"""Scale making the median absolute deviation estimate the SD of normal data (NeuroKit2's
``mad`` default, used for RRV_MadBB)."""
_JOIN_FRACTION = 0.25
"""A breath follows the previous one directly when its onset lies within this fraction of the
previous breath's length of that breath's end."""


def ratio_measured(ratio: float) -> bool:
    """Whether an exhale:inhale ratio was measured: a finite positive number.

    The breath detector clamps a phase it cannot place to zero length, so a breath whose rise
    is instantaneous (a jump within one sample) has ratio ``inf`` and one with no fall ratio
    ``0`` (:class:`analysis.breath.Breath`, quality ``"uncertain"``). Such a ratio says
    nothing about how the person breathed: it is left out wherever ratios are averaged,
    compared with a target or scored, so one such breath cannot make a session's mean ratio
    ``inf``.

    Examples
    --------
    >>> ratio_measured(1.8), ratio_measured(math.inf), ratio_measured(0.0)
    (True, False, False)
    """
    return math.isfinite(ratio) and ratio > 0.0


def measured_ratios(breaths: Iterable[Breath]) -> list[float]:
    """The exhale:inhale ratios of ``breaths`` that were measured (:func:`ratio_measured`).

    The caller chooses the breaths (e.g. not artifacts); this only drops unmeasured ratios.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.breath import detect_breaths
    >>> belt = 2.0 + np.sin(2 * np.pi * 0.1 * np.arange(0.0, 120.0, 0.04))
    >>> ratios = measured_ratios(detect_breaths(belt, 25.0))
    >>> len(ratios), round(float(np.median(ratios)), 2)
    (11, 1.0)
    """
    return [b.ratio for b in breaths if ratio_measured(b.ratio)]


@dataclass(frozen=True, slots=True)
class BreathVariability:
    """Breath-to-breath variability of a run of breaths (module notes); ``nan`` where too few.

    Attributes
    ----------
    n_intervals : int
        BB intervals used (between directly consecutive non-artifact breaths).
    mean_bb_s, median_bb_s : float
        Mean and median BB interval, s.
    sd_bb_s : float
        Standard deviation of the BB intervals (``ddof=1``), s; needs 2 intervals.
    rmssd_bb_s, sdsd_bb_s : float
        Root mean square and standard deviation (``ddof=1``) of successive differences of BB
        intervals, s; need 1 and 2 differences.
    cv_bb, cvsd_bb : float
        ``sd_bb_s / mean_bb_s`` and ``rmssd_bb_s / mean_bb_s``.
    mad_bb_s : float
        Median absolute deviation of the BB intervals times :data:`MAD_SCALE`, s.
    mcv_bb : float
        ``mad_bb_s / median_bb_s``: a coefficient of variation that one odd breath barely moves.
    depth_cv, ratio_cv : float
        Coefficient of variation (``ddof=1``) of the non-artifact breaths' depths and finite
        exhale:inhale ratios; need 2 breaths.
    """

    n_intervals: int
    mean_bb_s: float
    median_bb_s: float
    sd_bb_s: float
    rmssd_bb_s: float
    sdsd_bb_s: float
    cv_bb: float
    cvsd_bb: float
    mad_bb_s: float
    mcv_bb: float
    depth_cv: float
    ratio_cv: float

    def as_dict(self, digits: int = 4) -> dict[str, float | int | None]:
        """The values rounded to ``digits`` decimals, ``None`` for ``nan`` (JSON-ready)."""
        return {
            k: (v if isinstance(v, int) else round(v, digits) if math.isfinite(v) else None)
            for k, v in asdict(self).items()
        }


def _cv(values: Sequence[float]) -> float:
    if len(values) < 2:
        return math.nan
    arr = np.asarray(values, dtype=np.float64)
    mean = float(arr.mean())
    return float(arr.std(ddof=1)) / mean if mean > 0.0 else math.nan


def bb_intervals(breaths: Sequence[Breath]) -> list[list[float]]:
    """BB intervals, s, in runs of directly consecutive non-artifact breaths (module notes).

    Each inner list is one unbroken run; successive differences are taken within a run only.

    Examples
    --------
    Six breaths of 10, 11, 10, 12, 10 and 11 s, the third an artifact: it breaks the run, and
    no interval starts or ends at it:

    >>> from analysis.breath import Breath
    >>> def breath(onset_s, period_s, quality="good"):
    ...     end_s = onset_s + period_s
    ...     return Breath(onset_s, onset_s + period_s / 3, end_s, period_s / 3,
    ...                   2 * period_s / 3, 0.0, 2.0, 1.0, 60 / period_s, quality, end_s)
    >>> onsets_s = [0.0, 10.0, 21.0, 31.0, 43.0, 53.0]
    >>> periods_s = [10.0, 11.0, 10.0, 12.0, 10.0, 11.0]
    >>> qualities = ["good", "good", "artifact", "good", "good", "good"]
    >>> bb_intervals([breath(*b) for b in zip(onsets_s, periods_s, qualities)])
    [[10.0], [12.0, 10.0]]
    """
    runs: list[list[float]] = []
    run: list[float] = []
    for prev, nxt in itertools.pairwise(breaths):
        length = prev.end_s - prev.inhale_onset_s
        joined = abs(nxt.inhale_onset_s - prev.end_s) <= _JOIN_FRACTION * length
        if joined and prev.quality != "artifact" and nxt.quality != "artifact":
            run.append(nxt.inhale_onset_s - prev.inhale_onset_s)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def breath_variability(breaths: Sequence[Breath]) -> BreathVariability:
    """Breath-to-breath variability of ``breaths`` (in time order; module notes).

    Parameters
    ----------
    breaths : sequence of Breath
        Detected breaths, e.g. from :func:`analysis.breath.detect_breaths`.

    Returns
    -------
    BreathVariability
        Times in seconds; ``nan`` for a measure with too few intervals or breaths.

    Examples
    --------
    Two minutes of belt at a steady 6 breaths/min: ten 10 s intervals that hardly vary:

    >>> import numpy as np
    >>> from analysis.breath import detect_breaths
    >>> belt = 2.0 + np.sin(2 * np.pi * 0.1 * np.arange(0.0, 120.0, 0.04))
    >>> v = breath_variability(detect_breaths(belt, 25.0))
    >>> v.n_intervals, round(v.mean_bb_s, 2), round(v.rmssd_bb_s, 2), round(v.cv_bb, 3)
    (10, 10.0, 0.0, 0.0)
    """
    runs = bb_intervals(breaths)
    bb = np.asarray([x for run in runs for x in run], dtype=np.float64)
    diffs = np.concatenate([np.diff(run) for run in runs]) if runs else np.empty(0)
    nan = math.nan
    mean = float(bb.mean()) if bb.size else nan
    median = float(np.median(bb)) if bb.size else nan
    sd = float(bb.std(ddof=1)) if bb.size >= 2 else nan
    rmssd = float(np.sqrt(np.mean(diffs**2))) if diffs.size else nan
    sdsd = float(diffs.std(ddof=1)) if diffs.size >= 2 else nan
    mad = MAD_SCALE * float(np.median(np.abs(bb - median))) if bb.size else nan
    good = [b for b in breaths if b.quality != "artifact"]
    return BreathVariability(
        n_intervals=int(bb.size),
        mean_bb_s=mean,
        median_bb_s=median,
        sd_bb_s=sd,
        rmssd_bb_s=rmssd,
        sdsd_bb_s=sdsd,
        cv_bb=sd / mean,
        cvsd_bb=rmssd / mean,
        mad_bb_s=mad,
        mcv_bb=mad / median,
        depth_cv=_cv([b.depth for b in good]),
        ratio_cv=_cv(measured_ratios(good)),
    )
