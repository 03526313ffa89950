"""Signs of strain in the measured breathing, and the eased pace that answers them.

docs/reference/programs.md asks the trainer to ease off when the breathing shows strain: gasping,
holding the breath, very irregular breaths, or a pacer rate far below what the person can follow.
:class:`StrainMonitor` looks at each confirmed breath (and the pacer pattern in force at its onset)
and now and then reports a :class:`StrainSign`; :func:`ease_pattern` gives the gentler pattern a
session then switches to.

Breathing much *slower* than the pacer is not a sign of strain: a person lying down and letting
go often breathes slower than asked. Taken for one, a calm 4.5/min
breather in the spine scan's 8/min stage was told "This pace is hard to follow — easing it
toward your own rhythm" and the pacer went up to 9/min, away from them, its 2:1 cut to 1.5.
The coach's own cue asks them to follow the pacer (:mod:`trainer.coaching.coach`).

An easing is only claimed when it changes the pace: :func:`ease_pattern` returns the pattern
itself when there is nothing left to ease (a pacer already near the natural rate, no holds, the
ratio within the cap), and a pace sign then suggests the person's own natural rhythm instead
(programs.md: the trainer "eases the pace or suggests returning to a natural rhythm"). Whether a
pattern can be eased depends on the pattern alone, so the cue chosen here and the easing the
conductor makes (:mod:`trainer.coaching.conductor`) always agree, live and on replay.

With a heart-rate strap alone there are no breaths, only a breathing rate read from the heart
rhythm over a window (:mod:`analysis.rr_breath`); :meth:`StrainMonitor.update_rate` judges that
rate against the pacer by the same pace threshold (``PACE_SLOW_FACTOR``), so a pacer far slower
than the person can follow is eased with a strap as with a belt (without this, a person at
10/min against a 6/min pacer was told "Slow down a little" every 70 s for the whole session).
Gasping, held and irregular breaths need the breaths themselves: a strap cannot show them.

A held breath is judged against what was asked. With a pacer, a pause longer than the pacer's own
hold by ``HOLD_MARGIN_S``; without one, a pause longer than ``OWN_HOLD_BREATH_FACTOR`` times the
person's own breath (in-breath plus out-breath, median over the window), and than ``OWN_HOLD_S``.
A fixed 6 s without a pacer called the natural end-of-exhale pause of a relaxed 4.5/min breather
(6.5 s after 6.8 s of breathing) a hold: a relaxation-response session was told
"No need to hold the breath" 15 times in 15 minutes, alternating with praise. The breath itself is
the reference, not its period: a held pause lengthens the period, and would excuse itself.

Two held breaths in a row are a sign at once, and one hold longer than a whole breath beyond the
limit (the pacer's period, or the person's own breath) is a sign on its own. Waiting for four
breaths, as the other signs do, let a person holding 20 s after each out-breath be told only
"irregular" (their held breaths made the periods vary) and "A little quicker", and "No need to
hold the breath" came on a normal breath after they had stopped. Held breaths
are left out of the irregularity measure: their length is the hold, already judged as one.

Everything here is a pure function of the breaths (and heart-rhythm rates), in session time, so a
replay finds the same signs at the same breaths. The thresholds are our own choices, set well
outside the wobble of someone following a pacer comfortably (breath-to-breath CV of 5-8 %, the
simulator's default; holds within the pacer's own) so that a sign means a real departure; they are
not clinical criteria.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from analysis.breath import Breath
from trainer.coaching.pacer import BreathPattern

WINDOW_BREATHS = 4
"""Recent usable breaths looked at; a sign needs ``MIN_HITS`` of them (one odd breath is not
strain, it may be a swallow or a detector slip)."""
MIN_HITS = 2
GASP_INHALE_S = 0.7
"""An in-breath shorter than this (s) is a gasp ..."""
GASP_FRACTION = 0.4
"""... when it is also under this fraction of the pacer's in-breath (own rhythm: always)."""
HOLD_MARGIN_S = 4.0
"""A pause after the out-breath (or a top of the in-breath) this much longer than the pacer's
own hold (s) is a held breath."""
OWN_HOLD_S = 6.0
"""Without a pacer, a pause after the out-breath is a held breath only when longer than this (s)
..."""
OWN_HOLD_BREATH_FACTOR = 1.5
"""... and than this many times the person's own breath (in-breath plus out-breath, median over
the window). Slow relaxed breathing pauses about as long as it breathes (the simulator's 4.5/min
relaxation breather: 6.5 s after 6.8 s, single pauses up to 1.4 times the median breath); a
person holding the breath pauses two breaths' length or more."""
LONG_HOLD_BREATHS = 1.0
"""A single hold beyond the limit by this many breaths (the pacer's period, or without a pacer
the person's own breath) is a sign on its own: a whole breath left out is no swallow or
detector slip."""
IRREGULAR_CV = 0.35
"""Coefficient of variation of breath periods over the window that counts as very irregular
(paced); CV = standard deviation / mean, ``ddof=1``."""
OWN_IRREGULAR_CV = 0.45
"""The same without a pacer, where natural breathing varies more."""
IRREGULAR_BREATHS = 6
"""Breaths over which the period CV is taken."""
PACE_SLOW_FACTOR = 1.5
"""Measured rate this many times the pacer's (or more): the pace is too slow to follow. (No
bound the other way: breathing slower than the pacer is not strain, see the module notes.)"""
OWN_SETTLE_S = 10.0
"""After a switch to the person's own rhythm, breaths starting within this many seconds are not
judged (a paced change waits one period of the new pattern instead): a person takes a breath or
two to move from one pace to another, and those breaths are neither strain nor steady."""
REPEAT_S = 30.0
"""At most one sign every this many seconds of breath time: a sign triggers an easing, and the
person needs a few breaths to settle into it."""

EASE_TARGET_BPM = 10.0
"""Easing moves the pacer toward this rate (breaths/min): an unhurried natural rhythm, between
the 6/min of resonance breathing and the 12-20/min of quiet adult breathing
(docs/reference/physiology.md)."""
EASE_FRACTION = 0.5
"""Each easing covers this fraction of the way from the current rate to ``EASE_TARGET_BPM``."""
EASE_MAX_RATIO = 1.5
"""Easing caps the exhale:inhale ratio here (a longer out-breath is harder to sustain)."""
EASE_MIN_STEP_BPM = 0.5
"""An easing moves the rate only when it moves it at least this much (breaths/min): a pacer
faster than 9 breaths/min (half the way to ``EASE_TARGET_BPM`` is then under 0.5/min, a change
nobody would feel) is as easy in rate as easing makes it. This also ends the stacking of
easings: from any pacer rate above 2/min (resonance breathing is 4.5-6.5) at most three
easings change anything (5 -> 7.5 -> 8.75 -> 9.375/min), as the conductor's fixed cap of three
did, and the cap is now a property of the pattern, which the strain monitor can see too."""


class StrainKind(StrEnum):
    """Which sign was seen."""

    GASPING = "gasping"
    HOLDING = "holding"
    IRREGULAR = "irregular"
    PACE = "pace"


CUES: dict[StrainKind, str] = {
    StrainKind.GASPING: "Easy does it — let the in-breath come slowly, no gasping",
    StrainKind.HOLDING: "No need to hold the breath — let it flow out and in",
    StrainKind.IRREGULAR: "Let the breath settle into an easy, even rhythm",
    StrainKind.PACE: "This pace is hard to follow — easing it toward your own rhythm",
}
"""The cue of each sign; the pace cue when the pace can still be eased (:func:`can_ease`)."""

CUE_PACE_OWN_RHYTHM = "This pace is hard to follow — let your breath find its own easy rhythm"
"""The pace cue when there is nothing left to ease: no easing is claimed, the person's own
natural rhythm is suggested instead (docs/reference/programs.md, "Safety")."""


@dataclass(frozen=True, slots=True)
class StrainSign:
    """A sign of strain found at a breath.

    Attributes
    ----------
    t_s : float
        When it was seen: the breath's detection time, session seconds.
    kind : StrainKind
        Which sign.
    cue : str
        What to tell the person.
    detail : str
        The measured values behind it, for logs.
    """

    t_s: float
    kind: StrainKind
    cue: str
    detail: str


def ease_pattern(pattern: BreathPattern) -> BreathPattern:
    """A gentler pattern than ``pattern``: faster toward a natural rhythm, no holds.

    The rate moves ``EASE_FRACTION`` of the way to ``EASE_TARGET_BPM`` (never slower than now,
    and not at all when that is under ``EASE_MIN_STEP_BPM``), holds are dropped and the
    exhale:inhale ratio is capped at ``EASE_MAX_RATIO``. When none of this changes anything,
    ``pattern`` itself is returned (:func:`can_ease` is then false).
    """
    rate = pattern.rate_bpm
    step_bpm = EASE_FRACTION * (EASE_TARGET_BPM - rate)
    faster = step_bpm >= EASE_MIN_STEP_BPM
    # A ratio a float's width over the cap (1.5 stored as 1.5000000000000002) is at the cap.
    shorter = pattern.ratio > EASE_MAX_RATIO and not math.isclose(pattern.ratio, EASE_MAX_RATIO)
    held = pattern.hold_in_s > 0.0 or pattern.hold_out_s > 0.0
    if not (faster or shorter or held):
        return pattern
    if faster:
        rate += step_bpm
    return BreathPattern.from_rate(rate, min(pattern.ratio, EASE_MAX_RATIO))


def can_ease(pattern: BreathPattern) -> bool:
    """Whether :func:`ease_pattern` would change ``pattern`` (else it is as easy as easing
    makes it, and a pace sign suggests the person's own rhythm instead)."""
    return ease_pattern(pattern) is not pattern


class StrainMonitor:
    """Watches breaths for strain; call :meth:`update` with every confirmed breath, in order."""

    __slots__ = (
        "_judge_from_s",
        "_last_sign_s",
        "_last_strained",
        "_rate_from_s",
        "_strained",
        "_window",
    )

    def __init__(self) -> None:
        self._window: deque[tuple[Breath, BreathPattern | None]] = deque(maxlen=IRREGULAR_BREATHS)
        # Whether each of the last judged breaths gasped or held; kept across signs and pace
        # changes (it describes the person's breathing, not a window waiting for a sign).
        self._strained: deque[bool] = deque(maxlen=WINDOW_BREATHS)
        # The last breath given to update, when it was judged and gasped or held (strained()).
        self._last_strained: Breath | None = None
        self._last_sign_s = -math.inf
        self._judge_from_s = -math.inf
        # Heart-rhythm rates: a window must begin at or after this (session s) to be judged.
        self._rate_from_s = -math.inf

    def pace_changed(self, t_s: float, pattern: BreathPattern | None) -> None:
        """The pacer changed at ``t_s`` to ``pattern`` (``None``: own rhythm or paused).

        Recent breaths are forgotten, and breaths starting within one period of the new
        pattern (``OWN_SETTLE_S`` without one) are not judged: they are the move between paces.
        """
        self._window.clear()
        settle = pattern.period_s if pattern is not None else OWN_SETTLE_S
        self._judge_from_s = t_s + settle

    def update(
        self, breath: Breath, pattern: BreathPattern | None, *, paused_now: bool = False
    ) -> StrainSign | None:
        """Add ``breath`` (followed against ``pattern``; ``None``: own rhythm) and maybe report.

        Artifact breaths and breaths settling into a new pace are ignored. Signs are checked
        in the order holding (from two held breaths in a row, or one long hold, as soon as they
        come), gasping, irregular, pace (irregular breaths make the median rate meaningless);
        gasping and pace over ``WINDOW_BREATHS`` breaths, irregular over ``IRREGULAR_BREATHS``
        with the held ones left out. At most one sign per ``REPEAT_S``.
        ``paused_now``: the session is paused as the breath is reported, so no easing follows a
        sign (the conductor eases nothing while paused) and a pace sign does not claim one.
        """
        self._last_strained = None
        if breath.quality == "artifact" or breath.inhale_onset_s < self._judge_from_s:
            return None
        self._window.append((breath, pattern))
        strained = _gasp(breath, pattern) or self.held(breath, pattern)
        self._strained.append(strained)
        if strained:
            self._last_strained = breath
        t_s = breath.detected_s if math.isfinite(breath.detected_s) else breath.end_s
        if t_s - self._last_sign_s < REPEAT_S:
            return None
        found = self._find(pattern)
        if found is None:
            return None
        kind, detail = found
        self._last_sign_s = t_s
        self._window.clear()
        cue = CUES[kind]
        if kind is StrainKind.PACE and (paused_now or pattern is None or not can_ease(pattern)):
            cue = CUE_PACE_OWN_RHYTHM
        return StrainSign(t_s, kind, cue, detail)

    def held(self, breath: Breath, pattern: BreathPattern | None) -> bool:
        """Whether ``breath`` (followed against ``pattern``; ``None``: own rhythm) is a held
        breath, by the limits a sign is found with (without a pacer, against the person's own
        breath over the current window).

        For whoever shows the coach's word on the breath: a held breath's rate is the hold's,
        so a rate correction (or praise) of it answers the wrong thing.
        """
        return _hold(breath, pattern, self._own_breath_s(breath)).excess_s > 0.0

    def strained(self, breath: Breath) -> bool:
        """Whether ``breath``, the last one given to :meth:`update`, was judged (not an
        artifact, not settling into a new pace) and gasped or held: the breaths the holding
        and gasping signs are found from, whose follow score is capped
        (:data:`trainer.coaching.coach.STRAINED_SCORE_MAX`)."""
        return breath is self._last_strained

    @property
    def strained_recently(self) -> bool:
        """Whether any of the last ``WINDOW_BREATHS`` judged breaths gasped or held: praise
        over that breathing would contradict a strain sign given, or about to be given, over
        the same breaths."""
        return any(self._strained)

    def _own_breath_s(self, breath: Breath) -> float:
        """The person's own breath, in-breath plus out-breath (s): the median over the window's
        own-rhythm breaths, ``breath`` among them."""
        lengths = [
            b.inhale_s + b.exhale_s for b, p in self._window if p is None and b is not breath
        ]
        lengths.append(breath.inhale_s + breath.exhale_s)
        # statistics, not numpy: a dozen values, asked a dozen times a breath, where numpy's
        # per-call cost was a tenth of a 1 h replay at full speed (the same median).
        return statistics.median(lengths)

    def update_rate(
        self,
        t_s: float,
        rate_bpm: float,
        window_s: float,
        pattern: BreathPattern,
        *,
        paused_now: bool = False,
    ) -> StrainSign | None:
        """Judge a breathing rate read from the heart rhythm against ``pattern``; maybe report.

        For a heart-rate strap alone, where there are no breaths to :meth:`update` with. Only
        the pace sign can be seen in a rate: measured ``rate_bpm`` at least
        ``PACE_SLOW_FACTOR`` times the pacer's, the threshold the breaths are judged by.

        Persistence. From breaths, a pace sign needs the median rate of ``WINDOW_BREATHS`` breaths,
        none begun while settling into the pace (one period of it after a change), and after a sign
        those breaths are cleared, so the next sign is of new breaths. A heart-rhythm rate is
        already one rate over its whole window (64 s; the pipeline scores only windows the pacer
        held one rate throughout, of quality ``PACE_MIN_QUALITY`` or better), and a rate of
        ``PACE_SLOW_FACTOR`` times a pacer of 2.5/min or more is at least ``WINDOW_BREATHS``
        breaths in 64 s (6.4 or more against every built-in pace, all 4/min or faster), so one
        estimate stands for the breaths' median. The same two exclusions hold for its window: it is
        judged only when it begins after the settling into the current pace, and after a sign only
        when it begins at or after that sign (overlapping windows share their data, and the same
        breathing must not give a second sign, as cleared breaths do not). ``REPEAT_S`` applies as
        to breaths. Each easing changes the pace, so the next sign waits for a whole window of the
        eased pace (about 70 s).

        Parameters
        ----------
        t_s : float
            End of the estimate's window, session seconds (the sign's time).
        rate_bpm : float
            Breathing rate read from the heart rhythm, breaths/min.
        window_s : float
            Length of heart-rate data the rate covers, s.
        pattern : BreathPattern
            The pacer's pattern, held at one rate over the whole window.
        paused_now : bool
            The session is paused as the rate is reported: no easing follows (see
            :meth:`update`), so the cue suggests the person's own rhythm.

        Returns
        -------
        StrainSign or None
            A pace sign, or ``None``.
        """
        t0_s = t_s - window_s
        if t0_s < max(self._judge_from_s, self._rate_from_s) or t_s - self._last_sign_s < REPEAT_S:
            return None
        if rate_bpm < PACE_SLOW_FACTOR * pattern.rate_bpm:
            return None
        self._last_sign_s = t_s
        self._rate_from_s = t_s
        self._window.clear()
        cue = CUES[StrainKind.PACE]
        if paused_now or not can_ease(pattern):
            cue = CUE_PACE_OWN_RHYTHM
        detail = f"{rate_bpm:.1f} breaths/min from the heart rhythm against {pattern.rate_bpm:.1f}"
        return StrainSign(t_s, StrainKind.PACE, cue, detail)

    def _find(self, pattern: BreathPattern | None) -> tuple[StrainKind, str] | None:
        recent = list(self._window)[-WINDOW_BREATHS:]
        # Holds first, and from fewer breaths: a person holding 20 s per breath takes 30 s a
        # breath, and four of them outlast the holding.
        holds = [
            (b, hold)
            for b, p in recent
            if (hold := _hold(b, p, self._own_breath_s(b))).excess_s > 0.0
        ]
        if holds:
            last_b, last = holds[-1]
            longest = max(holds, key=lambda bh: bh[1].excess_s)[1]
            in_a_row = len(holds) >= MIN_HITS and holds[-MIN_HITS][0] is recent[-MIN_HITS][0]
            if len(holds) >= MIN_HITS and (len(recent) >= WINDOW_BREATHS or in_a_row):
                return StrainKind.HOLDING, longest.detail()
            if last_b is recent[-1][0] and last.excess_s >= LONG_HOLD_BREATHS * last.breath_s:
                return StrainKind.HOLDING, last.detail()
        if len(recent) < WINDOW_BREATHS:
            return None
        gasps = [b.inhale_s for b, p in recent if _gasp(b, p)]
        if len(gasps) >= MIN_HITS:
            return StrainKind.GASPING, f"in-breaths of {min(gasps):.1f} s"
        # Held breaths are left out: their length is the hold, judged above (one hold of 20 s
        # among 10 s breaths was reported as "irregular", and the holding went unsaid).
        steady = [b for b, p in self._window if _hold(b, p, self._own_breath_s(b)).excess_s <= 0.0]
        if len(self._window) >= IRREGULAR_BREATHS and len(steady) >= WINDOW_BREATHS:
            periods = np.asarray([b.end_s - b.inhale_onset_s for b in steady])
            cv = float(np.std(periods, ddof=1) / np.mean(periods))
            limit = IRREGULAR_CV if pattern is not None else OWN_IRREGULAR_CV
            if cv > limit:
                return StrainKind.IRREGULAR, f"breath periods vary by {100 * cv:.0f} %"
        if pattern is not None:
            rate = statistics.median([b.rate_bpm for b, _ in recent])
            if rate >= PACE_SLOW_FACTOR * pattern.rate_bpm:
                return StrainKind.PACE, f"{rate:.1f} breaths/min against {pattern.rate_bpm:.1f}"
        return None


def _gasp(breath: Breath, pattern: BreathPattern | None) -> bool:
    if breath.inhale_s >= GASP_INHALE_S:
        return False
    return pattern is None or breath.inhale_s < GASP_FRACTION * pattern.inhale_s


@dataclass(frozen=True, slots=True)
class _Hold:
    """A breath's longest hold, at the bottom (the pause after the out-breath) or at the top.

    Attributes
    ----------
    held_s : float
        The hold as it was, s.
    asked_s : float or None
        The pacer's own hold there, s (``None``: no pacer).
    excess_s : float
        Seconds beyond the limit of a held breath (positive: a held breath).
    breath_s : float
        The breath a long hold is measured in (``LONG_HOLD_BREATHS``): the pacer's period, or
        the person's own in-breath plus out-breath, s.
    top : bool
        Held at the top of the in-breath (measured as part of it, :class:`analysis.breath.Breath`).
    """

    held_s: float
    asked_s: float | None
    excess_s: float
    breath_s: float
    top: bool = False

    def detail(self) -> str:
        """The hold as it was, for logs ("held 5.0 s after the out-breath, the pacer asks
        0.0 s"): the margin is the monitor's, not part of the hold (it reported "held 1.0 s
        beyond the pacer" for a 5 s hold against none)."""
        where = "at the top of the in-breath" if self.top else "after the out-breath"
        text = f"held {self.held_s:.1f} s {where}"
        if self.asked_s is not None:
            text += f", the pacer asks {self.asked_s:.1f} s"
        return text


def _hold(breath: Breath, pattern: BreathPattern | None, own_breath_s: float) -> _Hold:
    """The longest hold of ``breath`` against ``pattern`` (``None``: own rhythm, judged against
    ``own_breath_s``, the person's own in-breath plus out-breath, s)."""
    if pattern is None:
        limit_s = max(OWN_HOLD_S, OWN_HOLD_BREATH_FACTOR * own_breath_s)
        return _Hold(breath.pause_s, None, breath.pause_s - limit_s, own_breath_s)
    period_s = pattern.period_s
    bottom = _Hold(
        breath.pause_s,
        pattern.hold_out_s,
        breath.pause_s - pattern.hold_out_s - HOLD_MARGIN_S,
        period_s,
    )
    # A hold at the top is measured as part of the in-breath: what it has beyond the pacer's
    # in-breath is held.
    top_s = max(0.0, breath.inhale_s - pattern.inhale_s)
    top = _Hold(top_s, pattern.hold_in_s, top_s - pattern.hold_in_s - HOLD_MARGIN_S, period_s, True)
    return top if top.excess_s > bottom.excess_s else bottom
