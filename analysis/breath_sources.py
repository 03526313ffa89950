"""Several breathing sources, one answer: the best by quality, always naming where it came from.

A person may wear a belt, a chest strap with an accelerometer (Polar H10) and a heart-rate strap
at once, or any one of them. Each source yields :class:`BreathEstimate` values on one scale:

* ``"belt"`` and ``"acc"``: breath by breath (:class:`analysis.breath.Breath`). The estimate
  after each breath carries the median rate of the last ``n_recent`` breaths (artifacts
  excluded) and a quality equal to the mean per-breath score over them: 1 for ``"good"``, 0.5
  for ``"uncertain"``, 0 for ``"artifact"``. The accelerometer's score is scaled by
  ``ACC_WEIGHT`` (0.9): it sees the same chest movement as a belt, through tilt, with more
  room for movement artifacts. A breath during which the person moved
  (:attr:`analysis.breath.Breath.motion` at least
  :data:`analysis.acc_breath.MOTION_UNCERTAIN`: steps or sway as strong as half the breathing)
  scores at most ``MOVING_SCORE`` (0.25): an accelerometer on a walking person then stays at or
  below 0.9 x 0.25 = 0.23 and the heart-rhythm source takes over once its own quality is above
  0.46 (0.7 x 0.46 = 0.32, the 0.23 plus the switch margin). As an "uncertain" label alone
  (0.45) it would still win over RR quality up to 0.64.
* ``"rr"``: :class:`analysis.rr_breath.RRBreathEstimate` quality (its spectral-peak measure)
  scaled by ``RR_WEIGHT`` (0.7): breathing read through the heart is indirect (rate only, no
  ratio, see :mod:`analysis.rr_breath`), so a good belt or accelerometer always wins over it.
  A heart rhythm with no rhythm in it (intervals like white noise, or irregular beat to beat,
  as in atrial fibrillation: :attr:`analysis.rr_breath.RRBreathEstimate.unusable_reason`) has
  quality 0, so any other source wins, and alone it is shown as unclear.

An estimate is *usable* (:func:`usable`) when it is worth showing as a number: a belt or
accelerometer estimate with at least one of its recent breaths not an artifact (quality above
0; an all-artifact estimate carries only an artifact's rate), a heart-rhythm estimate of RR
quality :data:`analysis.rr_breath.USABLE_QUALITY` or more. One that is not is shown as unclear.

:class:`BreathSourceSelector` keeps the latest estimate of each source and answers the best
one: usable before unusable, then by quality. It ignores an estimate older than ``stale_s``
(30 s) behind the newest estimate seen; and a breath-by-breath source (belt, accelerometer)
that has given no breath for ``STALE_BREATHS`` (2.5) of its own breath periods hands over to
any other source that is up to date and usable. A working source confirms a breath about
every period: on the three NeuroKit2 recordings (spontaneous breathing, belt, 197 breaths) the
time between confirmations was a median 1.0, 95th percentile 1.5-1.7 and at most 3.5 times the
period of the estimate before (60 / its median rate), over 2.5 times in 3 cases (1.5 %); a
breath the detector misses doubles one interval, which 2.5 tolerates. At 6/min that hands over
after 25 s instead of the 30 s limit, at 12/min after 12.5 s; paced breathing is steadier.

Ties and near ties keep the current source (``switch_margin``), so the answer does not flicker
between two equally good sources, except that a more direct source (earlier in
:data:`SOURCES`) takes over from a less direct one as soon as its quality is at least as high:
a good belt (1.0) wins over a good accelerometer (0.9) whichever gave the first breath.
:func:`best_source` picks one source for a whole recording, weighing how much of it each source
covered (see there).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analysis.acc_breath import MOTION_UNCERTAIN
from analysis.breath import Breath
from analysis.rr_breath import USABLE_QUALITY, RRBreathEstimate

__all__ = [
    "ACC_WEIGHT",
    "MOVING_SCORE",
    "QUALITY_SCORES",
    "RR_WEIGHT",
    "SOURCES",
    "STALE_BREATHS",
    "BreathEstimate",
    "BreathEstimator",
    "BreathSourceSelector",
    "best_source",
    "from_rr",
    "lagging",
    "usable",
]

SOURCES = ("belt", "acc", "rr")
"""Known source names."""
QUALITY_SCORES = {"good": 1.0, "uncertain": 0.5, "artifact": 0.0}
"""Per-breath score of each quality label."""
ACC_WEIGHT = 0.9
"""Scale applied to accelerometer quality (module notes)."""
RR_WEIGHT = 0.7
"""Scale applied to RR-derived quality (module notes)."""
MOVING_SCORE = 0.25
"""Largest per-breath score of a breath taken while the person moved (module notes)."""
STALE_BREATHS = 2.5
"""Breath periods without a new breath after which a belt or accelerometer hands over to another
up-to-date, usable source (module notes)."""
_WEIGHTS = {"belt": 1.0, "acc": ACC_WEIGHT, "rr": RR_WEIGHT}


@dataclass(frozen=True, slots=True)
class BreathEstimate:
    """The breathing state as one source sees it at one instant.

    Attributes
    ----------
    t_s : float
        When the estimate became known, s (session clock).
    rate_bpm : float
        Breathing rate, breaths/min.
    quality : float
        0 (useless) to 1 (best), comparable across sources (module notes).
    source : str
        ``"belt"``, ``"acc"`` or ``"rr"``.
    breath : Breath or None
        The breath that produced it (belt and accelerometer), else None.
    phase_rad : float or None
        Breath phase at ``t_s`` (RR source only), radians, 0 at inhale onset.
    """

    t_s: float
    rate_bpm: float
    quality: float
    source: str
    breath: Breath | None = None
    phase_rad: float | None = None


class BreathEstimator:
    """Turns one breath-by-breath source (belt or accelerometer) into estimates.

    Parameters
    ----------
    source : str
        ``"belt"`` or ``"acc"``.
    n_recent : int
        Breaths the rate and quality are taken over.
    """

    def __init__(self, source: str, *, n_recent: int = 5) -> None:
        if source not in ("belt", "acc"):
            raise ValueError(f"source must be 'belt' or 'acc', got {source!r}")
        if n_recent < 1:
            raise ValueError("n_recent must be at least 1")
        self.source = source
        self._recent: deque[Breath] = deque(maxlen=n_recent)

    def update(self, breaths: Iterable[Breath]) -> list[BreathEstimate]:
        """One estimate per new breath, in order (the breath's ``detected_s`` is its time).

        When all the recent breaths are artifacts the estimate has quality 0 and the newest
        artifact's rate: not :func:`usable`, shown as unclear, never as a number.
        """
        out: list[BreathEstimate] = []
        weight = _WEIGHTS[self.source]
        for b in breaths:
            self._recent.append(b)
            scores = [_score(r) for r in self._recent]
            rates = sorted(r.rate_bpm for r in self._recent if r.quality != "artifact")
            rate = _median(rates) if rates else b.rate_bpm
            quality = weight * sum(scores) / len(scores)
            out.append(BreathEstimate(b.detected_s, rate, quality, self.source, breath=b))
        return out


def usable(source: str, quality: float) -> bool:
    """Whether an estimate of ``source`` and ``quality`` (the common scale) is worth showing
    as a number (module notes).

    A belt or accelerometer estimate is when any of its recent breaths was not an artifact
    (quality above 0); a heart-rhythm one when its RR quality is at least
    :data:`analysis.rr_breath.USABLE_QUALITY` (``quality`` here is that times ``RR_WEIGHT``).
    """
    if source == "rr":
        return quality >= RR_WEIGHT * USABLE_QUALITY
    return quality > 0.0


def lagging(estimate: BreathEstimate, now_s: float, stale_breaths: float = STALE_BREATHS) -> bool:
    """Whether a belt or accelerometer estimate is more than ``stale_breaths`` of its breath
    periods (60 / its rate) behind ``now_s`` (s): its source has stopped giving breaths
    (module notes). A heart-rhythm estimate never lags: it comes at a fixed step."""
    if estimate.source == "rr" or not estimate.rate_bpm > 0.0:
        return False
    return now_s - estimate.t_s > stale_breaths * 60.0 / estimate.rate_bpm


def from_rr(estimates: Iterable[RRBreathEstimate]) -> list[BreathEstimate]:
    """RR-derived estimates on the common scale (quality times ``RR_WEIGHT``)."""
    return [
        BreathEstimate(e.t_s, e.rate_bpm, RR_WEIGHT * e.quality, "rr", phase_rad=e.phase_rad)
        for e in estimates
    ]


class BreathSourceSelector:
    """Best current estimate among several sources (module notes).

    Parameters
    ----------
    stale_s : float
        An estimate more than this far behind the newest one seen is ignored, s.
    switch_margin : float
        Another source must beat the current one's quality by this much to take over (unless
        it is the more direct source, module notes).
    stale_breaths : float
        Breath periods (60 / the estimate's rate) behind the newest estimate after which a
        belt or accelerometer estimate gives way to any up-to-date, usable one.
    """

    def __init__(
        self,
        *,
        stale_s: float = 30.0,
        switch_margin: float = 0.1,
        stale_breaths: float = STALE_BREATHS,
    ) -> None:
        if not (math.isfinite(stale_s) and stale_s > 0.0):
            raise ValueError("stale_s must be positive")
        if not 0.0 <= switch_margin < 1.0:
            raise ValueError("switch_margin must lie in [0, 1)")
        if not (math.isfinite(stale_breaths) and stale_breaths > 0.0):
            raise ValueError("stale_breaths must be positive")
        self._stale_s = float(stale_s)
        self._margin = float(switch_margin)
        self._stale_breaths = float(stale_breaths)
        self._latest: dict[str, BreathEstimate] = {}
        self._now = -math.inf
        self._current: str | None = None

    @property
    def current_source(self) -> str | None:
        """The source of the last answer, or None."""
        return self._current

    def update(self, estimates: Iterable[BreathEstimate]) -> BreathEstimate | None:
        """Take new estimates (any sources, any order); return the best current one, or None."""
        for e in estimates:
            if e.source not in _WEIGHTS:
                raise ValueError(f"unknown source {e.source!r}")
            old = self._latest.get(e.source)
            if old is None or e.t_s >= old.t_s:
                self._latest[e.source] = e
            self._now = max(self._now, e.t_s)
        fresh = [e for e in self._latest.values() if e.t_s >= self._now - self._stale_s]
        prompt = [e for e in fresh if not lagging(e, self._now, self._stale_breaths)]
        if any(usable(e.source, e.quality) for e in prompt):
            # A source that stopped giving breaths hands over to one still giving usable ones.
            fresh = prompt
        if not fresh:
            return None
        best = max(fresh, key=_rank)
        current = self._latest.get(self._current) if self._current is not None else None
        if (
            current is not None
            and current in fresh
            and usable(current.source, current.quality) == usable(best.source, best.quality)
            and best.quality - current.quality < self._margin
            and not (
                SOURCES.index(best.source) < SOURCES.index(current.source)
                and best.quality >= current.quality
            )
        ):
            best = current
        self._current = best.source
        return best


def best_source(
    estimates: Mapping[str, Sequence[BreathEstimate]],
    *,
    max_span_s: float = 30.0,
) -> tuple[str, float] | None:
    """The source that measured the most of a recording, weighed by how well.

    Each source scores the sum, over its :func:`usable` estimates, of quality times the time
    the estimate stands for: a belt or accelerometer estimate its breath (inhale onset to end),
    any other (heart rhythm) the time since that source's previous estimate, at most
    ``max_span_s`` (the selector's staleness limit: nothing is shown longer than that; a
    source's first such estimate stands for none). The score is the source's quality averaged
    over the whole recording, time it did not cover or covered unusably counting 0; so 2 min of
    accelerometer at 0.9 (108 quality-seconds) lose to 28 min of heart rhythm at 0.56 (941),
    and over the same time a good belt (1.0) beats a good accelerometer (0.9).

    Parameters
    ----------
    estimates : mapping of str to sequence of BreathEstimate
        Each source's estimates over the recording, in time order.
    max_span_s : float
        Longest time one estimate without a breath stands for, s.

    Returns
    -------
    (str, float) or None
        The best source and its mean quality over the time its usable estimates cover; ties
        go to the earlier of ``SOURCES``. When no usable estimate covers any time (a heart
        rhythm's single estimate, at the end of a session just over a window long), the source
        of the best usable estimate, and its quality: that estimate was shown and coached, so
        the session's rate is from it (without this, the summary had none). None if no
        source has a usable estimate.
    """
    scored: list[tuple[float, int, str, float]] = []
    lone: list[tuple[float, int, str]] = []
    for name, items in estimates.items():
        weighted = covered = 0.0
        previous_t_s: float | None = None
        for e in items:
            if e.breath is not None:
                span_s = e.breath.end_s - e.breath.inhale_onset_s
            elif previous_t_s is None:
                span_s = 0.0
            else:
                span_s = min(max(e.t_s - previous_t_s, 0.0), max_span_s)
            previous_t_s = e.t_s
            if usable(e.source, e.quality):
                lone.append((e.quality, -SOURCES.index(name), name))
                if span_s > 0.0:
                    weighted += e.quality * span_s
                    covered += span_s
        if covered > 0.0:
            scored.append((weighted, -SOURCES.index(name), name, weighted / covered))
    if scored:
        _, _, name, quality = max(scored)
        return name, quality
    if lone:
        quality, _, name = max(lone)
        return name, quality
    return None


def _rank(e: BreathEstimate) -> tuple[bool, float, int]:
    """The selector's order: usable first, then by quality, then the more direct source."""
    return usable(e.source, e.quality), e.quality, -SOURCES.index(e.source)


def _score(b: Breath) -> float:
    """Per-breath score: its label's, at most ``MOVING_SCORE`` while moving (module notes)."""
    score = QUALITY_SCORES.get(b.quality, 0.0)
    return min(score, MOVING_SCORE) if b.motion >= MOTION_UNCERTAIN else score


def _median(values: Sequence[float]) -> float:
    n = len(values)
    mid = n // 2
    return float(values[mid]) if n % 2 else 0.5 * (values[mid - 1] + values[mid])
