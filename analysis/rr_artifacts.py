"""RR-interval artifact detection and correction (Lipponen & Tarvainen 2019), batch and streaming.

Method
------
Lipponen, J. A. & Tarvainen, M. P. (2019), "A robust algorithm for heart rate variability time
series artefact correction using novel beat classification", J Med Eng Technol 43(3):173-181,
doi:10.1080/03091902.2019.1640306 (the method behind Kubios HRV):

* ``dRR[j] = RR[j] - RR[j-1]``; ``Th1[j] = alpha * QD(|dRR|)`` over a centred window of 91 beats,
  where QD is the quartile deviation ``(Q3 - Q1) / 2`` and ``alpha = 5.2``.
* ``mRR[j] = RR[j] - medRR[j]`` with ``medRR`` an 11-beat centred median; negative values are
  doubled (short beats are the likelier artifact); ``Th2 = alpha * QD(|mRR|)`` over 91 beats.
* Subspaces on ``a = dRR / Th1``: ``S12[j] = max(a[j-1], a[j+1])`` if ``a[j] > 0`` else the min;
  ``S22[j] = min(a[j+1], a[j+2])`` if ``a[j] >= 0`` else the max.
* Ectopic: ``a > 1 and S12 < -c1*a - c2``, or ``a < -1 and S12 > -c1*a + c2``
  (``c1 = 0.13``, ``c2 = 0.17``).
* Long: ``a > 1 and S22 < -1``, or ``mRR / Th2 > 3``; short: ``a < -1 and S22 > 1``, or
  ``mRR / Th2 < -3``.
* Missed (a long beat): ``|RR[j]/2 - medRR[j]| < Th2[j]``; extra (a short beat):
  ``|RR[j] + RR[j+1] - medRR[j]| < Th2[j]``.
* Correction: extra beats are deleted (the two pieces merged), missed beats split in two, the
  rest (ectopic, long, short) interpolated; repeated while the number of artifacts falls.
  (Here several missed beats in a row are split too: see below.)

Labels and indices
------------------
``rr_ms[j]`` is the interval that *ends* at beat ``j``, and ``labels[j]`` describes that
interval. A premature beat ``k`` gives a short interval ``k`` (ending at it) and a long
compensatory interval ``k + 1``; the paper's ectopic rule fires on the middle of the
negative-positive-negative ``dRR`` pattern, i.e. on the *long* interval, while the short one is
usually labelled ``"short"`` (both are corrected). ``"extra"`` at ``j`` means the beat ending
interval ``j`` is spurious (intervals ``j`` and ``j + 1`` merge); ``"missed"`` at ``j`` means
one or more beats are missing inside interval ``j`` (it is split into ``k + 1`` equal pieces for
``k`` missed beats).

Where this module departs from the paper
----------------------------------------
The published rules assume that most beats in every window are normal. On records with a high
ectopic burden (ventricular bigeminy, trigeminy, couplet runs: MIT-BIH 106, 119, 200) the
quartile deviations and the 11-beat median are themselves made of ectopic intervals, the
thresholds grow past a second, and most ectopic beats go unseen (measured: 27 % of PVCs found on
MIT-BIH 105/106/116/119/200 with :meth:`ArtifactParams.published`; ``docs/validation/hrv.md``).
The defaults therefore add guards, each a switch in :class:`ArtifactParams`:

* ``max_threshold_fraction=0.2``: both thresholds are capped at 20 % of the local mean interval
  (the classic 20 % rule of Kamath & Fallen 1995 as a ceiling, so the adaptive threshold can only
  be stricter). In clean simulated series with respiratory sinus arrhythmia of up to +-250 ms
  around 900 ms at 4.5-6.5 breaths/min nothing is flagged (``tests/test_rr_artifacts.py``); at
  +-300 ms (heart rate swinging 50-100 beats/min) and 6.5/min the ceiling starts to flag the
  steepest beats (15 of 2000).
* ``pair_reference=True``: ``medRR`` is the 11-beat median of pair means ``(RR[j] + RR[j+1])/2``.
  A premature interval plus its compensatory pause spans two sinus cycles, so pair means keep
  the sinus level in bigeminy where the plain median picks the short or the long interval.
* ``sign_check=True``: the ``dRR`` pattern only calls an interval long (short) if it is also at
  least one threshold above (below) the reference; otherwise in trigeminy the normal interval
  after each pause matches "a drop, then a rise within two beats".
* ``context_rules=True``: a long interval right after a short or ectopic one is a compensatory
  pause, never a missed beat; and the short/long/ectopic flag of the interval after a missed
  beat is dropped in that pass (it compares against a double interval) and re-examined after the
  split.
* ``extra_over_ectopic=True``: a short interval passing the extra-beat test is extra even when
  the ectopic rule also fires; merging is exact when the two pieces add up to one interval,
  interpolating both would insert a beat's worth of time.
* ``missed_over_ectopic=True``: its counterpart on the long side, two intervals after a missed
  beat. There, a long interval passing the missed-beat test is missed even when the ectopic
  rule also fires, and (with ``context_rules``) the flag of the interval between them (an
  echo, see ``context_rules``) does not make it a compensatory pause. Two missed beats two
  intervals apart (long, normal, long: a strap's contact flickering) make the second long
  interval's neighbours both drop steeply, the ectopic pattern, and it was interpolated to
  one interval: a beat's worth of time (0.84 s at 850 ms) left the NN series (found in
  review). Elsewhere ectopic still wins: in bigeminy the 20 % threshold ceiling lets a
  compensatory pause of 1.6 reference intervals pass the missed test (MIT-BIH 200: 692,
  **1186**, 489 ms; letting missed win everywhere cost that PVC its label). No label of
  ``docs/validation/hrv.md`` changed.
* ``run_beats=3``: a run of up to three premature beats (a ventricular couplet or triplet)
  ends in one compensatory pause, and the paper's rules, which look one or two beats around a
  jump, see only its first and last interval. An interval is labelled short when it lies in an
  unbroken stretch of intervals at least one threshold below the reference (``mRR / Th2 < -1``)
  that starts with a drop (``dRR / Th1 < -1``) and ends, at most ``run_beats`` intervals later,
  right before a pause (``dRR / Th1 > 1`` and ``mRR / Th2 > 1``). On MIT-BIH 106 and 200 this
  labels the inner intervals of couplets and triplets that were left in the NN series
  (``docs/validation/hrv.md``); sinus rhythm has no one-beat drop of a threshold, so it is
  unaffected. Longer runs are a tachycardia, whose own rhythm the adaptive windows follow.
* ``min_threshold_fraction=0.05``: both thresholds are floored at 5 % of the local mean
  interval, Kubios HRV's strictest fixed correction threshold ("very strong": 0.05 s at 60
  beats/min, scaled with the mean interval; Tarvainen et al. 2014, Kubios HRV user's guide). In
  a very regular rhythm (MIT-BIH 116: RMSSD 18 ms) the adaptive threshold falls to ~30 ms and
  single 30-50 ms steps, ordinary sinus jitter, matched the ectopic pattern.
* ``return_check=True``: the ectopic rule's positive-negative-positive branch (an interval
  shorter than both neighbours) also requires the interval to lie at least one threshold below
  the reference (``mRR / Th2 < -1``). Right after a compensatory pause the return to the sinus
  rhythm is a drop between two rises, and a slightly short sinus interval there matched the
  pattern (MIT-BIH 106, 200: the interval after a PVC's pause was flagged, not the PVC). A
  premature interval in bigeminy lies far below the pair-mean reference and still passes.
* ``partner_prematurity=0.1``: a compensatory pause implies the premature beat that caused it
  (Lipponen & Tarvainen's ectopic pattern "short then long" read from the pause's side). When
  the ectopic rule fires on a pause (``dRR / Th1 > 1``), the interval before it is labelled
  short if it is at least 10 % below the reference. The paper labels that interval only when
  its own drop passes ``Th1``; where the thresholds sit at the 20 % ceiling (records full of
  ectopy) a beat 10-20 % premature left its short interval in the NN series.
* ``comp_prematurity=0.1`` (with ``comp_pause=0.05``, ``comp_tolerance=0.05``,
  ``comp_drop=0.05``): the full compensatory pause, the classic RR-only sign of a premature
  ventricular beat (the interval enclosing the premature beat equals two sinus cycles, because
  the sinus node is not reset; Goldberger, *Clinical Electrocardiography*, ch. on ventricular
  arrhythmias; Marriott's *Practical Electrocardiography*). Interval ``j`` is labelled short
  and ``j + 1`` ectopic when ``RR[j]`` is at least 10 % below the reference and 5 % below
  ``RR[j - 1]`` (a drop, not the low phase of a slow oscillation), ``RR[j + 1]`` is at least 5 %
  above the reference and not shorter than ``RR[j + 2]`` (a pause the rhythm returns from), and
  ``RR[j] + RR[j + 1]`` is within 5 % of two reference intervals. This finds premature beats
  10-20 % early that neither the adaptive nor the 20 % ceiling threshold reaches. Respiratory
  sinus arrhythmia changes the interval smoothly over several beats and does not produce a drop
  immediately undone by an equal rise (measured on clean series: ``docs/validation/hrv.md``).
  A premature beat that resets the sinus node (pre + post well under two cycles, the usual
  supraventricular pattern) is left to the paper's rules.
* ``max_missed_beats=3``: an interval hiding ``k`` missed beats in a row (a strap losing
  contact for a few beats) lasts about ``k + 1`` reference intervals. The paper's missed test
  only tries ``k = 1``; a longer interval fails it, is labelled long and interpolated as one
  interval, and the NN series loses ``k`` beats' worth of time: every later beat time, the
  clock of the spectrum and the coherence, moves early (``breathwise hrv`` lost 1.6 s after
  one interval of three beats at 850 ms). Here ``n = round(RR / medRR)`` pieces, clipped to
  ``2 .. max_missed_beats + 1``, are tried: missed when ``|RR/n - medRR| < Th2``, and the
  interval is split into ``n`` equal pieces. For ``n = 2`` this is the paper's test, and it
  keeps the paper's logic for larger ``n``: every piece must pass for a normal interval (one
  ``Th2`` from the reference), i.e. the whole interval may be ``n Th2`` off. The tolerance
  grows with ``n`` because neighbouring beats move together (a breath spans 4-15 beats), so
  the deviations of the hidden beats add up rather than cancel. A pause that is not a
  multiple stays long: 1.5 reference intervals is a quarter off for two pieces, beyond the
  20 % ceiling of ``Th2``. The maximum of three missed beats (four pieces): at the 20 %
  ceiling, from three pieces on ``n Th2`` covers the whole rounding bin of ``n``, so past
  that only the maximum tells a pause from missed beats; four resting intervals (3-4 s)
  already reach 3000 ms, the longest plausible interval (``breathwise hrv`` and ``breaths
  --rr`` keep longer ones for this correction and say so); and a longer gap (five reference
  intervals or more) is a lost signal more than missed detections, and keeps the paper's
  handling (long, interpolated). On runs of 2 and 3
  missed beats inserted in the clean series of ``docs/validation/hrv.md`` (section 2),
  96-100 % are labelled missed and the time lost falls from 5-183 s to 0-4 s per series
  (what remains: runs whose beats were 15-25 % off their neighbours, which RR alone cannot
  tell from one beat more or less); on MIT-BIH and the Polar H10 session no label changed.
* Later passes reuse the first pass's thresholds: interpolated values are smoother than beats,
  and re-estimating on them would shrink the thresholds and erode normal beats pass after pass.

Other choices where the paper leaves room: windows are truncated at the ends of the series;
``dRR[0] = 0`` and ``a`` beyond either end is 0; thresholds are floored at ``min_threshold_ms``
(5 ms: straps resolve RR to ~1 ms, and a perfectly regular synthetic series would otherwise
have a zero threshold); ``|mRR| > 3`` flags long/short on its own, as in the paper's text;
interpolation is linear in beat index between the nearest intervals found normal in the same
pass, at most ``interp_reach_beats`` away on each side, with one side's value when only one
exists and the local mean interval when none does. The bounded reach bounds the streaming
look-ahead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from analysis.checks import check_rr_units

__all__ = [
    "ECTOPIC",
    "EXTRA",
    "LABELS",
    "LONG",
    "MAX_INTERVAL_MS",
    "MISSED",
    "NORMAL",
    "SHORT",
    "ArtifactParams",
    "ArtifactResult",
    "CorrectedBeat",
    "CorrectionResult",
    "StreamingRRCorrector",
    "correct_rr",
    "detect_rr_artifacts",
    "exact_look_ahead_beats",
    "uncorrected_rr",
    "validate_rr_ms",
]

NORMAL, ECTOPIC, MISSED, EXTRA, LONG, SHORT = range(6)
LABELS: tuple[str, ...] = ("normal", "ectopic", "missed", "extra", "long", "short")
"""Label names, indexed by the integer codes ``NORMAL`` ... ``SHORT``."""

MAX_INTERVAL_MS = 3_600_000.0
"""Longest interval accepted, ms (an hour). No heart is recorded beating again after an hour's
pause, so a longer value is a wrong unit or a damaged number; and a huge one breaks the
arithmetic of the detector: its running sums (local means) lose the intervals beside it and
its float32 sort overflows. Measured on 400 beats of 800-830 ms with one interval replaced:
up to 1e18 ms one interval is labelled (long), from 1e19 ms 111 are (44 ectopic, 22 long, 45
short), and 1e308 makes the beat times infinite."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
CodeArray = NDArray[np.int8]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ArtifactParams:
    """Settings of the detector and the correction.

    The published constants of Lipponen & Tarvainen (2019) plus this module's guards (see the
    module docstring); :meth:`published` switches the guards off.

    Attributes
    ----------
    alpha : float
        Threshold multiplier of the quartile deviation (paper: 5.2).
    c1, c2 : float
        Slope and offset of the ectopic decision boundary in the (S11, S12) plane (paper: 0.13,
        0.17).
    threshold_window_beats : int
        Centred window of the quartile deviations, in beats, odd (paper: 91).
    median_window_beats : int
        Centred window of the reference ``medRR``, in beats, odd (paper: 11).
    min_threshold_ms : float
        Floor of both thresholds, in ms.
    max_threshold_fraction : float or None
        Ceiling of both thresholds as a fraction of the local mean interval; ``None`` leaves the
        thresholds unbounded as in the paper.
    pair_reference : bool
        Take ``medRR`` over pair means instead of single intervals.
    sign_check : bool
        Require a pattern-detected long (short) interval to lie above (below) the reference.
    context_rules : bool
        No missed beat right after a premature interval; drop the echo flag after a missed beat.
    extra_over_ectopic : bool
        Let the extra-beat test win over the ectopic test.
    missed_over_ectopic : bool
        Two intervals after a missed beat, let the missed-beat test win over the ectopic test
        and (with ``context_rules``) not take the echo flag between them for a premature
        interval.
    interp_reach_beats : int
        How far, in beats, interpolation looks for a normal neighbour on each side.
    run_beats : int
        Longest run of premature intervals before a pause labelled as one run (0: off).
    min_threshold_fraction : float or None
        Floor of both thresholds as a fraction of the local mean interval; ``None``: only
        ``min_threshold_ms``.
    return_check : bool
        Require an interval the ectopic rule finds shorter than both neighbours to lie below the
        reference too.
    partner_prematurity : float or None
        Label the interval before an ectopic pause short when it is at least this fraction below
        the reference; ``None``: off.
    comp_prematurity : float or None
        Prematurity (fraction below the reference) from which a premature beat followed by a
        full compensatory pause is labelled; ``None``: the compensatory-pause rule is off.
    comp_drop : float
        Fraction by which the premature interval must also be shorter than the one before it.
    comp_pause : float
        Fraction by which the pause must exceed the reference.
    comp_tolerance : float
        Largest relative difference between premature interval + pause and two reference
        intervals.
    max_missed_beats : int
        Most consecutive missed beats one interval may hide: a long interval is split into up
        to ``max_missed_beats + 1`` pieces (paper: 1, a single missed beat).
    """

    alpha: float = 5.2
    c1: float = 0.13
    c2: float = 0.17
    threshold_window_beats: int = 91
    median_window_beats: int = 11
    min_threshold_ms: float = 5.0
    max_threshold_fraction: float | None = 0.2
    pair_reference: bool = True
    sign_check: bool = True
    context_rules: bool = True
    extra_over_ectopic: bool = True
    missed_over_ectopic: bool = True
    interp_reach_beats: int = 10
    run_beats: int = 3
    min_threshold_fraction: float | None = 0.05
    return_check: bool = True
    partner_prematurity: float | None = 0.1
    comp_prematurity: float | None = 0.1
    comp_drop: float = 0.05
    comp_pause: float = 0.05
    comp_tolerance: float = 0.05
    max_missed_beats: int = 3

    def __post_init__(self) -> None:
        for name in ("threshold_window_beats", "median_window_beats"):
            value = getattr(self, name)
            if value < 1 or value % 2 == 0:
                raise ValueError(f"{name} must be a positive odd number of beats, got {value}")
        if self.alpha <= 0 or self.min_threshold_ms <= 0:
            raise ValueError("alpha and min_threshold_ms must be positive")
        if self.interp_reach_beats < 1:
            raise ValueError("interp_reach_beats must be at least 1")
        if self.run_beats < 0:
            raise ValueError("run_beats must be non-negative")
        if self.max_missed_beats < 1:
            raise ValueError(f"max_missed_beats must be at least 1, got {self.max_missed_beats}")
        if self.max_threshold_fraction is not None and self.max_threshold_fraction <= 0:
            raise ValueError("max_threshold_fraction must be positive or None")
        for name in ("min_threshold_fraction", "partner_prematurity", "comp_prematurity"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value < 1.0:
                raise ValueError(f"{name} must be in (0, 1) or None, got {value}")
        for name in ("comp_drop", "comp_pause", "comp_tolerance"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")

    @classmethod
    def published(cls) -> ArtifactParams:
        """The paper's rules without this module's guards (for comparison and validation)."""
        return cls(
            max_threshold_fraction=None,
            pair_reference=False,
            sign_check=False,
            context_rules=False,
            extra_over_ectopic=False,
            missed_over_ectopic=False,
            run_beats=0,
            min_threshold_fraction=None,
            return_check=False,
            partner_prematurity=None,
            comp_prematurity=None,
            max_missed_beats=1,
        )

    @classmethod
    def previous_defaults(cls) -> ArtifactParams:
        """The defaults before the threshold floor, return check, partner and compensatory-pause
        rules were added (kept so the validation can show both side by side)."""
        return cls(
            min_threshold_fraction=None,
            return_check=False,
            partner_prematurity=None,
            comp_prematurity=None,
        )

    def as_dict(self) -> dict[str, str | float | int | bool | None]:
        """The settings as a JSON-ready dict (reported next to every result)."""
        return {
            "method": "Lipponen & Tarvainen 2019",
            "alpha": self.alpha,
            "c1": self.c1,
            "c2": self.c2,
            "threshold_window_beats": self.threshold_window_beats,
            "median_window_beats": self.median_window_beats,
            "min_threshold_ms": self.min_threshold_ms,
            "max_threshold_fraction": self.max_threshold_fraction,
            "pair_reference": self.pair_reference,
            "sign_check": self.sign_check,
            "context_rules": self.context_rules,
            "extra_over_ectopic": self.extra_over_ectopic,
            "missed_over_ectopic": self.missed_over_ectopic,
            "interp_reach_beats": self.interp_reach_beats,
            "run_beats": self.run_beats,
            "min_threshold_fraction": self.min_threshold_fraction,
            "return_check": self.return_check,
            "partner_prematurity": self.partner_prematurity,
            "comp_prematurity": self.comp_prematurity,
            "comp_drop": self.comp_drop,
            "comp_pause": self.comp_pause,
            "comp_tolerance": self.comp_tolerance,
            "max_missed_beats": self.max_missed_beats,
        }


DEFAULT_PARAMS = ArtifactParams()


def validate_rr_ms(rr_ms: ArrayLike) -> FloatArray:
    """Return ``rr_ms`` as a 1-D float64 array, refusing values no heart produces.

    Each interval must be positive, finite and at most :data:`MAX_INTERVAL_MS`, and the
    series' median must lie within :data:`analysis.checks.PLAUSIBLE_RR_MS` (200-3000 ms): a
    series of RR in seconds gave a mean heart rate of 86 161 beats/min. A
    single implausible interval among plausible ones is an artifact and is kept, for the
    correction to fix.

    Parameters
    ----------
    rr_ms : array_like
        RR intervals in milliseconds.

    Raises
    ------
    ValueError
        If the input is not 1-D, or holds a non-finite or non-positive interval, or one longer
        than :data:`MAX_INTERVAL_MS` (the message names the first such interval), or its
        median is outside 200-3000 ms (the message says which unit the values look like).

    Examples
    --------
    >>> validate_rr_ms([800.0, 150.0, 810.0]).tolist()
    [800.0, 150.0, 810.0]
    >>> validate_rr_ms([0.8, 0.15, 0.81])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: rr_ms: the median interval is 0.8: these look like seconds; RR intervals are in ...
    """
    rr = _checked_intervals(rr_ms)
    check_rr_units(rr)
    return rr


def _checked_intervals(rr_ms: ArrayLike) -> FloatArray:
    """The per-interval rules of :func:`validate_rr_ms`, without the series' median (which one
    interval of a stream cannot show)."""
    rr = np.asarray(rr_ms, dtype=np.float64)
    if rr.ndim != 1:
        raise ValueError(f"rr_ms must be one-dimensional, got shape {rr.shape}")
    bad = ~np.isfinite(rr) | (rr <= 0.0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"rr_ms[{first}] = {float(rr[first])!r} is not a positive finite interval")
    huge = rr > MAX_INTERVAL_MS
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise ValueError(
            f"rr_ms[{first}] = {float(rr[first]):g} is longer than {MAX_INTERVAL_MS:.0f} ms "
            "(an hour): not an interval between heartbeats"
        )
    return rr


def _rolling_quantiles(
    x: FloatArray, window: int, qs: tuple[float, ...], *, fast: bool = False
) -> list[FloatArray]:
    """Centred rolling quantiles (numpy "linear" rule) over ``window`` samples, truncated at ends.

    The truncated windows hold only existing samples, like ``pandas.rolling(center=True,
    min_periods=1)``; one sort of all windows serves every requested quantile. ``fast`` sorts in
    float32, about three times faster for the 91-beat windows; its relative rounding (6e-8, i.e.
    below 0.0001 ms) is irrelevant for a threshold that is a robust scale estimate.
    """
    n = x.size
    half = window // 2
    if n == 0:
        return [np.empty(0) for _ in qs]
    padded = np.full(n + 2 * half, np.inf, dtype=np.float32 if fast else np.float64)
    padded[half : half + n] = x
    # +inf padding sorts last, so the first m entries of each sorted row are the window's values.
    rows = np.sort(sliding_window_view(padded, window), axis=1)
    idx = np.arange(n)
    counts = np.minimum(idx + half, n - 1) - np.maximum(idx - half, 0) + 1
    out = []
    for q in qs:
        pos = q * (counts - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, counts - 1)
        frac = pos - lo
        # hi never passes the last real value of a window, so the padding is never read.
        low_v = rows[idx, lo].astype(np.float64)
        high_v = rows[idx, hi].astype(np.float64)
        out.append(low_v + frac * (high_v - low_v))
    return out


def _local_mean(rr: FloatArray, window: int) -> FloatArray:
    """Centred moving mean over ``window`` beats, truncated at the ends (ms)."""
    n = rr.size
    half = window // 2
    csum = np.concatenate(([0.0], np.cumsum(rr)))
    idx = np.arange(n)
    lo = np.maximum(idx - half, 0)
    hi = np.minimum(idx + half + 1, n)
    return np.asarray((csum[hi] - csum[lo]) / (hi - lo), dtype=np.float64)


def _threshold(
    x: FloatArray,
    ceiling_ms: FloatArray | None,
    floor_ms: FloatArray | None,
    params: ArtifactParams,
) -> FloatArray:
    """``alpha`` x quartile deviation of ``|x|`` over the window, capped and floored (ms)."""
    q1, q3 = _rolling_quantiles(np.abs(x), params.threshold_window_beats, (0.25, 0.75), fast=True)
    th = params.alpha * (q3 - q1) / 2.0
    if ceiling_ms is not None:
        th = np.minimum(th, ceiling_ms)
    if floor_ms is not None:
        th = np.maximum(th, floor_ms)
    return np.maximum(th, params.min_threshold_ms)


@dataclass(frozen=True, slots=True)
class ArtifactResult:
    """Per-beat classification and the quantities it was decided on.

    Attributes
    ----------
    rr_ms : ndarray
        The input intervals (ms).
    codes : ndarray of int8
        One label code per interval (index into :data:`LABELS`).
    drr_norm, mrr_norm : ndarray
        ``dRR / Th1`` and ``mRR / Th2`` (dimensionless; ``mRR`` with negatives doubled).
    s12, s22 : ndarray
        The subspace coordinates of the paper (dimensionless).
    th1_ms, th2_ms : ndarray
        The time-varying thresholds (ms).
    med_rr_ms : ndarray
        The local median interval (ms).
    pieces : ndarray of int64
        Into how many intervals each interval labelled missed is split (``round(RR / medRR)``,
        from 2 to ``max_missed_beats + 1``); 1 for every other interval.
    params : ArtifactParams
        The settings used.
    note : str
        Empty, or why every interval was labelled normal without being judged (too short a
        series, see :func:`detect_rr_artifacts`).
    """

    rr_ms: FloatArray
    codes: CodeArray
    drr_norm: FloatArray
    mrr_norm: FloatArray
    s12: FloatArray
    s22: FloatArray
    th1_ms: FloatArray
    th2_ms: FloatArray
    med_rr_ms: FloatArray
    pieces: IntArray
    params: ArtifactParams
    note: str = ""

    @property
    def labels(self) -> list[str]:
        """One label name per interval."""
        return [LABELS[c] for c in self.codes.tolist()]

    @property
    def n_artifacts(self) -> int:
        """Number of intervals not labelled normal."""
        return int(np.count_nonzero(self.codes))

    @property
    def counts(self) -> dict[str, int]:
        """Number of intervals per label."""
        hist = np.bincount(self.codes, minlength=len(LABELS))
        return {name: int(hist[i]) for i, name in enumerate(LABELS)}


def detect_rr_artifacts(
    rr_ms: ArrayLike, params: ArtifactParams = DEFAULT_PARAMS
) -> ArtifactResult:
    """Classify every RR interval as normal, ectopic, missed, extra, long or short.

    Lipponen & Tarvainen (2019); the decision rules and this module's documented choices are in
    the module docstring. Vectorised: every interval is classified from its own neighbourhood,
    so the label of interval ``j`` depends only on ``rr_ms[j - R : j + R + 1]`` with ``R`` the
    threshold half-window plus the median half-window plus one plus ``run_beats`` (54 beats
    with the defaults; :func:`exact_look_ahead_beats`).

    Parameters
    ----------
    rr_ms : array_like
        RR intervals in milliseconds (1-D, positive, finite).
    params : ArtifactParams, optional
        Detector settings; the published defaults plus this module's guards when omitted.

    Returns
    -------
    ArtifactResult
        Labels and the intermediate series (thresholds, subspaces, local median). A series of
        1 to ``median_window_beats - 1`` intervals (10 by default) has every interval labelled
        normal and ``note`` saying why, as :func:`correct_rr` leaves it uncorrected: the
        reference ``medRR`` is a median over ``median_window_beats`` beats and the thresholds
        quartile deviations over ``threshold_window_beats``, so fewer beats give no reference
        to judge a beat against (``[800, 1600, 800]`` was labelled short, long, short). The
        intermediate series are still those the rules compute.

    Raises
    ------
    ValueError
        On input that is not a 1-D series of positive finite intervals, or whose median is
        no heart's interval in ms (:func:`validate_rr_ms`: RR in seconds).

    Examples
    --------
    >>> detect_rr_artifacts([800.0, 1600.0, 800.0]).labels
    ['normal', 'normal', 'normal']
    >>> detect_rr_artifacts([800.0] * 10 + [1600.0] + [800.0] * 10).labels[10]
    'missed'
    """
    rr = validate_rr_ms(rr_ms)
    result = _detect(rr, params, None)
    if 0 < rr.size < params.median_window_beats:
        return replace(
            result,
            codes=np.zeros(rr.size, np.int8),
            pieces=np.ones(rr.size, np.int64),
            note=_too_short_note(rr.size, params, "left unlabelled (all normal)"),
        )
    return result


def _too_short_note(n: int, params: ArtifactParams, outcome: str) -> str:
    """Why a series of ``n`` intervals, fewer than the median window, is not judged."""
    return (
        f"only {n} RR intervals, fewer than the artifact detector's "
        f"{params.median_window_beats}-beat median window: {outcome}"
    )


def _detect(
    rr: FloatArray,
    params: ArtifactParams,
    thresholds: tuple[FloatArray, FloatArray] | None,
) -> ArtifactResult:
    """Detection on a validated series; ``thresholds`` (Th1, Th2 in ms) replace the estimates."""
    n = rr.size
    if n == 0:
        empty = np.empty(0)
        return ArtifactResult(
            rr,
            np.zeros(0, np.int8),
            empty,
            empty,
            empty,
            empty,
            empty,
            empty,
            empty,
            np.zeros(0, np.int64),
            params,
        )

    drr = np.zeros(n)
    drr[1:] = np.diff(rr)
    if params.pair_reference and n > 1:
        pav = np.empty(n)
        pav[:-1] = 0.5 * (rr[:-1] + rr[1:])
        pav[-1] = rr[-1]
        (med,) = _rolling_quantiles(pav, params.median_window_beats, (0.5,))
    else:
        (med,) = _rolling_quantiles(rr, params.median_window_beats, (0.5,))
    mrr = rr - med
    # Short beats are the likelier artifact: the paper doubles negative deviations.
    mrr = np.where(mrr < 0.0, 2.0 * mrr, mrr)
    if thresholds is None:
        level = _local_mean(rr, params.median_window_beats)
        ceiling = floor = None
        if params.max_threshold_fraction is not None:
            ceiling = params.max_threshold_fraction * level
        if params.min_threshold_fraction is not None:
            floor = params.min_threshold_fraction * level
        th1 = _threshold(drr, ceiling, floor, params)
        th2 = _threshold(mrr, ceiling, floor, params)
    else:
        th1, th2 = thresholds
    a = drr / th1
    m = mrr / th2

    # Beyond the ends of the series a (a normalised difference) is neutral: 0.
    ap = np.zeros(n + 3)
    ap[1 : n + 1] = a
    prev_a, next_a, next2_a = ap[0:n], ap[2 : n + 2], ap[3 : n + 3]
    s12 = np.where(a > 0.0, np.maximum(prev_a, next_a), np.minimum(prev_a, next_a))
    s12 = np.where(a == 0.0, 0.0, s12)
    s22 = np.where(a >= 0.0, np.minimum(next_a, next2_a), np.maximum(next_a, next2_a))

    c1, c2 = params.c1, params.c2
    ectopic = ((a > 1.0) & (s12 < -c1 * a - c2)) | ((a < -1.0) & (s12 > -c1 * a + c2))
    # Sign check (see the module notes): a pattern-detected long (short) interval must also be
    # at least one threshold above (below) the reference.
    above = m > 1.0 if params.sign_check else np.ones(n, dtype=bool)
    below = m < -1.0 if params.sign_check else np.ones(n, dtype=bool)
    long_ = ((a > 1.0) & (s22 < -1.0) & above) | (m > 3.0)
    short = ((a < -1.0) & (s22 > 1.0) & below) | (m < -3.0)
    if params.return_check:
        # An interval shorter than both neighbours is premature only if it is also short
        # against the reference; otherwise it is the return to the rhythm after a pause.
        ectopic &= (a > 0.0) | (m < -1.0)
    if params.run_beats:
        short |= _premature_runs(a, m, params.run_beats) & ~ectopic
    if params.partner_prematurity is not None and n > 1:
        # A pause the ectopic rule found implies the premature interval right before it.
        partner = np.zeros(n, dtype=bool)
        partner[:-1] = (ectopic & (a > 1.0))[1:] & (
            rr[:-1] < (1.0 - params.partner_prematurity) * med[:-1]
        )
        short |= partner & ~ectopic
    if params.comp_prematurity is not None and n > 2:
        premature = _compensated_premature(rr, med, params) & ~ectopic
        short |= premature
        ectopic[1:] |= premature[:-1]
    # k missed beats in a row leave one interval of about k + 1 reference intervals; the paper's
    # test (k = 1: |RR/2 - medRR| < Th2) asks each piece to pass for a normal interval, and so
    # does its generalisation (module notes). Below 2.5 reference intervals this is the paper's.
    pieces = np.clip(np.rint(rr / med), 2.0, params.max_missed_beats + 1.0)
    missed = long_ & (np.abs(rr / pieces - med) < th2)
    # A long interval right after a premature one is a compensatory pause (after a couplet it
    # can be near two reference intervals), not a missed beat.
    after_premature = np.zeros(n, dtype=bool)
    if params.context_rules:
        after_premature[1:] = (short | ectopic)[:-1]
    if params.missed_over_ectopic:
        # Right after a missed beat the flag of the next interval and the ectopic pattern of
        # the one after it are echoes of the double interval: that interval is then missed if
        # its own test says so. Elsewhere the paper's order stands (in bigeminy a pause can
        # pass the missed test at the 20 % ceiling: MIT-BIH 200). Each decision rests on the
        # one two intervals earlier, so in order; candidates are rare.
        for j in np.flatnonzero(missed & (after_premature | ectopic)).tolist():
            echo = j >= 2 and bool(missed[j - 2])
            missed[j] = echo
            ectopic[j] &= not echo
    else:
        missed &= ~after_premature
    rr_next = np.empty(n)
    rr_next[:-1] = rr[1:]
    rr_next[-1] = np.nan  # the last interval has no successor: it cannot be an extra beat
    extra = short & (np.abs(rr + rr_next - med) < th2)

    codes = np.zeros(n, dtype=np.int8)
    # Assigned from lowest to highest priority, later assignments win; the paper's flow tests
    # the ectopic pattern first, then long/short, then missed/extra among those.
    codes[short] = SHORT
    codes[long_] = LONG
    codes[missed] = MISSED
    if params.extra_over_ectopic:
        codes[ectopic] = ECTOPIC
        codes[extra] = EXTRA
    else:
        codes[extra] = EXTRA
        codes[ectopic] = ECTOPIC
    if params.context_rules:
        # After a missed beat the next difference is taken against a double interval, so the
        # next interval's flag is an echo; the next pass re-examines it after the split. (After
        # an extra beat the next interval is merged away and keeps its own label.)
        echo = (codes[:-1] == MISSED) & np.isin(codes[1:], (SHORT, LONG, ECTOPIC))
        codes[1:][echo] = NORMAL
    split = np.where(codes == MISSED, pieces, 1.0).astype(np.int64)
    return ArtifactResult(rr, codes, a, m, s12, s22, th1, th2, med, split, params)


def _compensated_premature(rr: FloatArray, med: FloatArray, params: ArtifactParams) -> BoolArray:
    """Premature intervals followed by a full compensatory pause (see the module notes).

    ``out[j]``: ``RR[j]`` is at least ``comp_prematurity`` below the reference ``med[j]`` and
    ``comp_drop`` below ``RR[j - 1]``; ``RR[j + 1]`` is at least ``comp_pause`` above the
    reference and not shorter than ``RR[j + 2]``; ``|RR[j] + RR[j + 1] - 2 med[j]|`` is at most
    ``comp_tolerance`` of ``2 med[j]``. Reads ``RR[j - 1 : j + 3]`` and ``med[j]``; the first
    interval and the last two are never marked (the pattern is not complete there).
    """
    assert params.comp_prematurity is not None
    n = rr.size
    out = np.zeros(n, dtype=bool)
    cur, prev, nxt, nxt2, ref = rr[1:-2], rr[:-3], rr[2:-1], rr[3:], med[1:-2]
    out[1:-2] = (
        (cur <= (1.0 - params.comp_prematurity) * ref)
        & (cur <= (1.0 - params.comp_drop) * prev)
        & (nxt >= (1.0 + params.comp_pause) * ref)
        & (nxt >= nxt2)
        & (np.abs(cur + nxt - 2.0 * ref) <= params.comp_tolerance * 2.0 * ref)
    )
    return out


def _premature_runs(a: FloatArray, m: FloatArray, max_beats: int) -> BoolArray:
    """Intervals inside a run of at most ``max_beats`` premature beats that ends in a pause.

    A run starts with a drop (``a < -1``), stays at least one threshold below the reference
    (``m < -1``) and is followed by a pause (``a > 1`` and ``m > 1``); the run of a pause starts
    at the last drop before it (an earlier drop belongs to the beat before the run, e.g. the
    drop out of a previous compensatory pause). See the module notes.
    """
    n = a.size
    low = m < -1.0
    run = np.zeros(n, dtype=bool)
    # open_[j]: j is a pause whose run start is not found yet and whose d - 1 preceding
    # intervals are all low.
    open_ = (a > 1.0) & (m > 1.0)
    for d in range(1, min(max_beats, n - 1) + 1):
        open_[d:] &= low[:-d]
        open_[:d] = False
        starts = np.flatnonzero(open_[d:] & (a[:-d] < -1.0))
        for s in starts.tolist():
            # The pause is at s + d and the run is s .. s + d - 1; runs are rare, so a loop.
            run[s : s + d] = True
        open_[starts + d] = False
    return run


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    """An artifact-corrected NN series and where each of its values came from.

    Attributes
    ----------
    rr_ms : ndarray
        The input intervals (ms).
    codes : ndarray of int8
        One label code per input interval: the first non-normal label any pass gave it.
    nn_ms : ndarray
        The corrected series (ms). Its length differs from the input by merged extra beats and
        split missed ones.
    nn_source : ndarray of int64
        For each NN value, the input interval it stands for: a split interval gives one value
        per piece, all with the same source; a merged extra beat gives one value whose source is
        the extra (first) interval, the following interval then having no value of its own.
    nn_corrected : ndarray of bool
        True where the NN value is not an input interval unchanged (merged, split, interpolated).
    pass_counts : tuple of int
        Artifacts found by each detection pass, including the last one that stopped the loop.
    iterations : int
        Number of correction passes applied.
    params : ArtifactParams
        The settings used.
    note : str
        Empty, or why the series was left as it was (too short to judge, see :func:`correct_rr`).
    """

    rr_ms: FloatArray
    codes: CodeArray
    nn_ms: FloatArray
    nn_source: IntArray
    nn_corrected: BoolArray
    pass_counts: tuple[int, ...]
    iterations: int
    params: ArtifactParams
    note: str = ""

    @property
    def labels(self) -> list[str]:
        """One label name per input interval."""
        return [LABELS[c] for c in self.codes.tolist()]

    @property
    def counts(self) -> dict[str, int]:
        """Number of input intervals per label."""
        hist = np.bincount(self.codes, minlength=len(LABELS))
        return {name: int(hist[i]) for i, name in enumerate(LABELS)}

    def nn_times_s(self, beat_t_s: FloatArray) -> FloatArray:
        """Time of the beat ending each NN value, on the clock of the input beats (s).

        An interpolated interval keeps its beat; a merged extra beat ends at the beat after the
        spurious one; a split interval (missed beats) ends its pieces at equal steps before
        its beat. Unlike ``cumsum(nn_ms)``, this never drifts from the input's clock however many
        intervals were corrected.

        Parameters
        ----------
        beat_t_s : ndarray
            Time of the beat ending each input interval (s), one per ``rr_ms`` value.

        Examples
        --------
        >>> import numpy as np
        >>> rr = np.array([800.0, 800, 800, 400, 400] + [800.0] * 6)  # one extra beat
        >>> result = correct_rr(rr)
        >>> result.nn_times_s(np.cumsum(rr) / 1000.0)[2:5].tolist()
        [2.4, 3.2, 4.0]
        """
        source = self.nn_source
        n_in = self.rr_ms.size
        t = np.asarray(beat_t_s, dtype=np.float64)[source]
        has_value = np.zeros(n_in, dtype=bool)
        has_value[source] = True
        nxt = np.minimum(source + 1, n_in - 1)
        merged = (source + 1 < n_in) & ~has_value[nxt]
        t[merged] = np.asarray(beat_t_s, dtype=np.float64)[nxt[merged]]
        # The pieces of a split interval divide it at equal steps: the last keeps the input
        # beat. From the input clock, not the pieces' values: a later pass may interpolate a
        # piece, and pieces that no longer add up to the interval put a beat before the one
        # that started it (time going backwards, two split intervals in a row).
        inner = np.flatnonzero(np.r_[source[:-1] == source[1:], False])
        if inner.size:
            beats = np.asarray(beat_t_s, dtype=np.float64)
            starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])
            first = starts[np.searchsorted(starts, inner, side="right") - 1]
            ends = np.flatnonzero(np.r_[source[:-1] != source[1:], True])
            last = ends[np.searchsorted(ends, inner)]
            j = source[inner]
            prev = np.where(j > 0, beats[np.maximum(j - 1, 0)], beats[0] - self.rr_ms[0] / 1e3)
            share = (inner - first + 1) / (last - first + 1)
            t[inner] = prev + share * (beats[j] - prev)
        return t

    def nn_for_beat(self, index: int) -> FloatArray:
        """The NN values standing for input interval ``index`` (zero, one or two values, ms)."""
        lo, hi = np.searchsorted(self.nn_source, [index, index + 1])
        return self.nn_ms[lo:hi]


def _correct_once(
    nn: FloatArray,
    source: IntArray,
    corrected: BoolArray,
    det: ArtifactResult,
    params: ArtifactParams,
) -> tuple[FloatArray, IntArray, BoolArray]:
    """Apply one correction pass: merge extra, split missed, interpolate the rest."""
    codes = det.codes
    n = nn.size
    values = nn.copy()

    # An extra beat consumes its successor; runs of "extra" pair up from the left so that a
    # merged interval is never merged again in the same pass (the next pass re-examines it).
    keep = np.ones(n, dtype=bool)
    merge_into = np.zeros(n, dtype=bool)
    for j in np.flatnonzero(codes == EXTRA).tolist():
        if keep[j] and not merge_into[j] and j + 1 < n and keep[j + 1]:
            merge_into[j] = True
            keep[j + 1] = False
    idx = np.flatnonzero(merge_into)
    values[idx] = nn[idx] + nn[idx + 1]

    interp = ((codes == ECTOPIC) | (codes == LONG) | (codes == SHORT)) & keep
    if interp.any():
        # Only intervals this pass found normal anchor the interpolation: a raw extra or missed
        # fragment, or a fragment about to be merged away, is no estimate of a beat.
        anchors = (codes == NORMAL) & keep
        values[interp] = _interpolate(nn, interp, anchors, params)

    missed = (codes == MISSED) & keep
    repeats = np.where(missed, det.pieces, 1) * keep
    new_values = np.repeat(values, repeats) / np.repeat(repeats.clip(min=1), repeats)
    new_source = np.repeat(source, repeats)
    changed = interp | merge_into | missed
    new_corrected = np.repeat(corrected | changed, repeats)
    return new_values, new_source, new_corrected


def _interpolate(
    nn: FloatArray, bad: BoolArray, anchors: BoolArray, params: ArtifactParams
) -> FloatArray:
    """Values for the ``bad`` positions, linear in index between anchors within reach (ms)."""
    n = nn.size
    good_idx = np.flatnonzero(anchors)
    bad_idx = np.flatnonzero(bad)
    reach = params.interp_reach_beats
    if good_idx.size:
        pos = np.searchsorted(good_idx, bad_idx)
        left = good_idx[np.maximum(pos - 1, 0)]
        right = good_idx[np.minimum(pos, good_idx.size - 1)]
        has_left = (pos > 0) & (bad_idx - left <= reach)
        has_right = (pos < good_idx.size) & (right - bad_idx <= reach)
    else:
        left = right = bad_idx
        has_left = has_right = np.zeros(bad_idx.size, dtype=bool)
    span = np.maximum(right - left, 1)
    w = (bad_idx - left) / span
    both = nn[left] + w * (nn[right] - nn[left])
    local_mean = _local_mean(nn, params.median_window_beats)[bad_idx]
    out = np.where(
        has_left & has_right,
        both,
        np.where(has_left, nn[left], np.where(has_right, nn[right], local_mean)),
    )
    del n
    return np.asarray(out, dtype=np.float64)


def correct_rr(
    rr_ms: ArrayLike,
    params: ArtifactParams = DEFAULT_PARAMS,
    *,
    max_iterations: int = 5,
) -> CorrectionResult:
    """Detect and correct RR artifacts, repeating while the number of artifacts falls.

    Each pass runs :func:`detect_rr_artifacts` on the current series and corrects what it
    found (extra: merged with the next interval; missed: split into ``k + 1`` equal pieces for
    ``k`` missed beats; ectopic, long,
    short: interpolated, see the module notes). The loop stops when a pass finds nothing, when
    it finds no fewer artifacts than the pass before (the correction is no longer converging),
    or after ``max_iterations`` corrections (Lipponen & Tarvainen 2019; the repetition follows
    NeuroKit2's ``signal_fixpeaks(iterative=True)``).

    Parameters
    ----------
    rr_ms : array_like
        RR intervals in milliseconds.
    params : ArtifactParams, optional
        Detector and correction settings.
    max_iterations : int, optional
        Upper bound on correction passes (>= 1).

    Returns
    -------
    CorrectionResult
        The NN series with per-value provenance and one label per input interval. A series
        of 1 to ``median_window_beats - 1`` intervals (10 by default) is returned unchanged,
        every interval normal, no pass run, and ``note`` says why: the reference ``medRR`` is
        a median over ``median_window_beats`` beats, and fewer beats than that give no
        reference to judge a beat against; ``[800, 1600, 800]`` had every interval rewritten
        to 1066.7 ms. An empty series is returned empty.

    Raises
    ------
    ValueError
        If ``max_iterations < 1``, or ``rr_ms`` is refused by :func:`validate_rr_ms` (not a
        1-D series of positive finite intervals, or a median no heart's interval in ms).

    Examples
    --------
    Three intervals are too few to tell which one is wrong:

    >>> result = correct_rr([800.0, 1600.0, 800.0])
    >>> result.nn_ms.tolist(), result.counts["normal"]
    ([800.0, 1600.0, 800.0], 3)

    A beat the strap missed doubles one interval; it is split back into two:

    >>> result = correct_rr([800.0] * 10 + [1600.0] + [800.0] * 10)
    >>> result.labels[10], result.rr_ms.size, result.nn_ms.size
    ('missed', 21, 22)
    >>> result.nn_ms[9:13].tolist(), int(result.nn_corrected.sum())
    ([800.0, 800.0, 800.0, 800.0], 2)
    """
    if max_iterations < 1:
        raise ValueError("max_iterations must be at least 1")
    rr = validate_rr_ms(rr_ms)
    n = rr.size
    codes = np.zeros(n, dtype=np.int8)
    nn = rr.copy()
    source = np.arange(n, dtype=np.int64)
    corrected = np.zeros(n, dtype=bool)
    if 0 < n < params.median_window_beats:
        note = _too_short_note(n, params, "left uncorrected")
        return CorrectionResult(rr, codes, nn, source, corrected, (), 0, params, note)
    pass_counts: list[int] = []
    iterations = 0
    first_thresholds: tuple[FloatArray, FloatArray] | None = None
    while True:
        det = None
        if nn.size:
            # Later passes keep the first pass's thresholds (mapped through the provenance of
            # each value): interpolated values are smoother than beats, and re-estimating on
            # them would shrink the thresholds and erode normal beats pass after pass.
            th = None
            if first_thresholds is not None:
                th = (first_thresholds[0][source], first_thresholds[1][source])
            det = _detect(nn, params, th)
            if first_thresholds is None:
                first_thresholds = (det.th1_ms, det.th2_ms)
        count = det.n_artifacts if det is not None else 0
        pass_counts.append(count)
        if det is None or count == 0 or iterations >= max_iterations:
            break
        if len(pass_counts) > 1 and count >= pass_counts[-2]:
            break
        # Labels belong to the input interval a value stands for; the first pass to flag it wins.
        flagged = det.codes != NORMAL
        src = source[flagged]
        fresh = codes[src] == NORMAL
        codes[src[fresh]] = det.codes[flagged][fresh]
        nn, source, corrected = _correct_once(nn, source, corrected, det, params)
        iterations += 1
    return CorrectionResult(
        rr, codes, nn, source, corrected, tuple(pass_counts), iterations, params
    )


def uncorrected_rr(rr_ms: ArrayLike, params: ArtifactParams = DEFAULT_PARAMS) -> CorrectionResult:
    """``rr_ms`` taken as it is: every interval ``normal`` and its own NN value, no pass run.

    What :func:`correct_rr` returns when it finds nothing, for an analysis asked not to look
    (``breathwise hrv --artifacts none``): to compare with tools that take a series as given,
    such as pyhrv's published numbers (docs/validation/hrv.md, section 4).

    Raises
    ------
    ValueError
        If ``rr_ms`` is refused by :func:`validate_rr_ms`.

    Examples
    --------
    >>> result = uncorrected_rr([800.0] * 10 + [1600.0] + [800.0] * 10)
    >>> result.labels[10], result.nn_ms.size, result.iterations
    ('normal', 21, 0)
    """
    rr = validate_rr_ms(rr_ms)
    n = rr.size
    return CorrectionResult(
        rr,
        np.zeros(n, dtype=np.int8),
        rr.copy(),
        np.arange(n, dtype=np.int64),
        np.zeros(n, dtype=bool),
        (),
        0,
        params,
    )


def exact_look_ahead_beats(params: ArtifactParams = DEFAULT_PARAMS, iterations: int = 1) -> int:
    """Look-ahead (and history), in beats, past which more data cannot change a result.

    One detection pass decides interval ``j`` from ``rr[j - R : j + R + 1]`` with
    ``R = h + k + 1 + L``: the threshold windows reach ``h`` beats (half the threshold window),
    each ``mRR`` in them reads the reference window ``k`` beats further (half the median
    window), and a pair mean one more; the run rule decides ``j`` from a pause up to ``L``
    (``run_beats``) intervals away and from the intervals in between, each read like ``j``
    itself; the subspaces, the extra-beat test, the partner rule (the pause at ``j + 1``) and the
    compensatory-pause rule (``RR[j - 1 : j + 3]``) read at most 2 beats away, within that. The
    correction of ``j`` reads the labels of the neighbours within the interpolation reach
    ``r``. One pass therefore depends on ``h + k + 1 + L + r`` beats on each side (64 with the
    defaults), and each further pass, reading the previous pass's output, adds as much.

    The bound counts positions in the series each pass reads; a merged extra beat shifts later
    positions by one and an interval split for ``k`` missed beats by ``k``, so near such beats
    add that many beats per artifact (passes after the first only; at most
    ``max_missed_beats``).

    Parameters
    ----------
    params : ArtifactParams, optional
        Settings whose windows set the reach.
    iterations : int, optional
        Number of correction passes.

    Examples
    --------
    >>> exact_look_ahead_beats(), exact_look_ahead_beats(iterations=2)
    (64, 128)
    """
    h = params.threshold_window_beats // 2
    k = params.median_window_beats // 2
    pair = 1 if params.pair_reference else 0
    return (h + k + pair + params.run_beats + params.interp_reach_beats) * iterations


@dataclass(frozen=True, slots=True)
class CorrectedBeat:
    """One input interval as finalised by :class:`StreamingRRCorrector`.

    Attributes
    ----------
    index : int
        Position of the interval in the input stream (0-based).
    rr_ms : float
        The input interval (ms).
    label : str
        Its label (one of :data:`LABELS`).
    nn_ms : tuple of float
        The NN values standing for it: one usually, ``k + 1`` for an interval hiding ``k`` missed
        beats, none for the
        interval consumed by the merge of a preceding extra beat (ms).
    corrected : bool
        True if ``nn_ms`` differs from ``(rr_ms,)``.
    """

    index: int
    rr_ms: float
    label: str
    nn_ms: tuple[float, ...]
    corrected: bool


@dataclass
class StreamingRRCorrector:
    """Artifact correction of an RR stream with a bounded look-ahead, one beat at a time.

    Each :meth:`push` appends an interval and finalises the interval ``look_ahead_beats``
    earlier: :func:`correct_rr` runs on a buffer of the last ``history_beats`` finalised-or-not
    intervals before it, the interval itself and the ``look_ahead_beats`` after it, and the
    result for that interval is emitted. :meth:`flush` finalises the rest at the end of a stream.

    Guarantees (tested in ``tests/test_rr_artifacts.py``):

    * Always: the emission for interval ``j`` is what :func:`correct_rr` gives for ``j`` on
      ``rr[max(0, j - history_beats) : j + look_ahead_beats + 1]``; the intervals still pending
      at :meth:`flush` all come from one run on the last ``history_beats + 1 +
      look_ahead_beats`` intervals. Two exceptions keep the emitted NN stream consistent when
      the windows of neighbouring intervals disagree: an interval consumed by an emitted
      extra-beat merge emits nothing (no time counted twice), and an interval a later window
      merges into an already emitted, unmerged predecessor emits its own value (no time lost).
    * Equal to batch: with ``max_iterations=1`` and ``look_ahead_beats`` and ``history_beats``
      both at least :func:`exact_look_ahead_beats` (64 beats with the default settings), every
      emission equals ``correct_rr(rr, max_iterations=1)`` for that interval, from the first
      interval to the last (the buffer holds the series from its start until it is longer than
      the history, so there are no start effects, and the end is flushed like the batch end).
      With more iterations the same holds when ``look_ahead_beats`` and ``history_beats`` reach
      ``exact_look_ahead_beats(iterations=max_iterations)`` and batch and buffer run the same
      number of passes; the loop's stopping rule counts artifacts over the whole series, so
      this last condition cannot be guaranteed locally (on the recordings under test it holds).
    * Shorter look-ahead (the live default, 12 beats, about 10 s at rest): the centred windows
      are truncated at the newest beat exactly as at the end of a batch series, and a corrected
      interval whose next normal neighbour is further ahead is held at its left neighbour's
      value. Agreement with batch on real recordings is reported in ``docs/validation/hrv.md``.

    Each push runs :func:`correct_rr` on ``history_beats + 1 + look_ahead_beats`` intervals,
    about a millisecond per beat with the defaults (``benchmarks/bench_hrv.py``): negligible
    at one beat a second.

    Parameters
    ----------
    look_ahead_beats : int
        Beats that must follow an interval before it is finalised (>= 3: the classification
        itself reads two intervals ahead, the extra-beat merge one).
    history_beats : int
        Beats kept before the interval being finalised.
    params : ArtifactParams
        Detector and correction settings.
    max_iterations : int
        Correction passes per buffer (see :func:`correct_rr`).

    Examples
    --------
    A beat the strap missed, live: an interval is final 12 beats after it arrives; the missed
    one is split in two:

    >>> rr_ms = [800.0] * 10 + [1600.0] + [800.0] * 10
    >>> corrector = StreamingRRCorrector()
    >>> live = [beat for rr in rr_ms for beat in corrector.push(rr)]
    >>> len(live), len(live + corrector.flush())
    (9, 21)
    >>> corrector = StreamingRRCorrector()
    >>> beats = [beat for rr in rr_ms for beat in corrector.push(rr)] + corrector.flush()
    >>> beats[10].label, beats[10].nn_ms
    ('missed', (800.0, 800.0))

    With a look-ahead and history of :func:`exact_look_ahead_beats` and one pass, the stream
    is the batch correction:

    >>> corrector = StreamingRRCorrector(look_ahead_beats=64, history_beats=64, max_iterations=1)
    >>> beats = [beat for rr in rr_ms for beat in corrector.push(rr)] + corrector.flush()
    >>> batch = correct_rr(rr_ms, max_iterations=1)
    >>> [v for beat in beats for v in beat.nn_ms] == batch.nn_ms.tolist()
    True
    """

    look_ahead_beats: int = 12
    history_beats: int = 64
    params: ArtifactParams = DEFAULT_PARAMS
    max_iterations: int = 5
    _buffer: deque[float] = field(init=False, repr=False)
    _first_index: int = field(init=False, default=0, repr=False)
    _next_index: int = field(init=False, default=0, repr=False)
    _consumed: int = field(init=False, default=-1, repr=False)

    def __post_init__(self) -> None:
        if self.look_ahead_beats < 3:
            raise ValueError("look_ahead_beats must be at least 3")
        if self.history_beats < 0:
            raise ValueError("history_beats must be non-negative")
        self._buffer = deque(maxlen=self.history_beats + 1 + self.look_ahead_beats)

    @property
    def pending_beats(self) -> int:
        """Intervals pushed but not yet finalised."""
        return self._first_index + len(self._buffer) - self._next_index

    def push(self, rr_ms: float) -> list[CorrectedBeat]:
        """Add one RR interval (ms); return the interval finalised by it, if any.

        Raises
        ------
        ValueError
            If ``rr_ms`` is not a positive finite number.
        """
        # One interval of a stream has no median to judge its unit by: a spurious beat of
        # 150 ms is an artifact the correction fixes.
        value = float(_checked_intervals([rr_ms])[0])
        if len(self._buffer) == self._buffer.maxlen:
            self._first_index += 1
        self._buffer.append(value)
        end = self._first_index + len(self._buffer)
        if end - self._next_index <= self.look_ahead_beats:
            return []
        return self._finalise(self._next_index + 1)

    def flush(self) -> list[CorrectedBeat]:
        """Finalise every pending interval (end of the stream), with truncated windows."""
        return self._finalise(self._first_index + len(self._buffer))

    def _finalise(self, stop: int) -> list[CorrectedBeat]:
        if self._next_index >= stop:
            return []
        rr = np.fromiter(self._buffer, dtype=np.float64, count=len(self._buffer))
        result = correct_rr(rr, self.params, max_iterations=self.max_iterations)
        out: list[CorrectedBeat] = []
        for index in range(self._next_index, stop):
            local = index - self._first_index
            label = LABELS[int(result.codes[local])]
            raw = float(rr[local])
            if index == self._consumed:
                nn: tuple[float, ...] = ()
            else:
                nn = tuple(result.nn_for_beat(local).tolist())
                if not nn:
                    # This buffer merged the interval into its predecessor, but the predecessor
                    # was emitted unmerged (its look-ahead differed): keep the interval itself.
                    nn = (raw,)
                elif label == "extra" and len(nn) == 1:
                    self._consumed = index + 1
            out.append(CorrectedBeat(index, raw, label, nn, nn != (raw,)))
        self._next_index = stop
        return out
