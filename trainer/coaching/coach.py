"""The coach: compares each measured breath with the pacer and says what to change.

Every breath gets a :class:`Feedback`: its rate, ratio and timing errors against the pacer
target, a 0-100 follow score, and now and then a short spoken/displayed cue. With a heart-rate
strap alone there are no breaths, only a breathing rate read from the heart rhythm every few
seconds: each of those gets a :class:`Feedback` on the rate alone (:meth:`Coach.assess_pace`).
Cues come from the median of the last few usable breaths (one odd breath never triggers one),
switch on and off at different thresholds (hysteresis, so a value hovering at a threshold does
not make the coach flip-flop), and are rate limited on breath time, never on a wall clock, so
replaying a session gives the same cues.

The target of a breath is the pacer pattern in force at the breath's inhale onset. Measured
breaths (:class:`analysis.breath.Breath`) count a hold at the top as inhale and time a
post-exhale pause separately, so the target ratio is the pattern's
``exhale_s / (inhale_s + hold_in_s)`` (:func:`target_ratio`), which is the pattern's
:attr:`~trainer.coaching.pacer.BreathPattern.ratio` when it has no hold after the inhale.

A breath whose ratio was not measured (the detector clamped its inhale or exhale to zero,
:func:`analysis.breath_variability.ratio_measured`) is not judged at all: its inhale onset,
from which the rate and timing are taken, is as unreliable as its ratio. It gets no follow
score (:attr:`Feedback.scored` is false), never enters the window and never brings a cue, so
a run of such breaths is neither praised nor corrected.

After a change of pace that asks the person to move (:func:`is_a_move`: from no pace, as at the
start, after a pause or an own-rhythm step, or to one the old pace would score under
:data:`MOVE_SCORE` against; not a slowing pattern's small stages), the coach settles as the
strain monitor does
(:meth:`trainer.coaching.strain.StrainMonitor.pace_changed`): breaths begun within one period of
the new pace (:data:`~trainer.coaching.strain.OWN_SETTLE_S` without a pacer) neither cue nor
enter the window. They are the move from one pace to the next: on entering a paced step the two
breaths still taken at the person's own rhythm made the window's median, and "Slow down a
little" came on the first breath taken on the pacer. Nor are those begun after
the change on a pacer scored: the person cannot match a pace they have only just been shown,
and each such breath counted about 0 in the session's follow score (a simulated person who
followed every step: back-release 76 → 82, deep breathing 4-8 82 → 88, whose two breaths
on entering the 4-8 pace had scored 0). Each breath is judged by the settle its onset fell in,
though later changes came before it ended. A breath
begun before the change, judged against what was asked when it began, never cues either: its
correction would arrive after a step that asks nothing.

A correction is said only on a breath that shows the problem itself (past the problem's "off"
threshold), as praise needs a breath that scored well: the window's median alone put "Lengthen
the out-breath" next to a breath at 1.55 against 1.3. A correction that has not
helped backs off: each repeat waits twice as long as the one before, up to
:data:`CORRECTION_BACKOFF_MAX` intervals, until the window shows the problem cleared (33
identical reminders in a 15-minute relaxation response). A correction opposite to
the last one of its pair (quicker after slower, a longer in-breath after a longer out-breath,
early after late) waits its repeat interval and for a window of breaths all begun after that
cue, the person's answer to it: a median hovering around the target switched "Slow down" and
"A little quicker" 8-17 s apart for breathing on the pacer's rate.

Only good breaths enter the window that cues are drawn from: an uncertain one is scored (a
little lower) but never corrects or praises. Such a breath may be timed wrongly in a way the
person cannot fix: before the chest accelerometer has learnt which way is in, its breaths may
be inverted (a 2:1 breath read as 1:2), and cued on, the coach said "Lengthen the out-breath"
to a person breathing exactly as paced.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

from analysis.breath import Breath
from analysis.breath_variability import ratio_measured
from trainer.coaching.pacer import BreathPattern, Pacer
from trainer.coaching.strain import OWN_SETTLE_S

# -- follow score ----------------------------------------------------------------------------

RATE_SIGMA = 0.12
"""Width of the rate penalty, as a fraction of the target rate: 0.6 breaths/min off a 5/min
pacer (12 %) keeps exp(-1/2) = 61 % on that term."""
RATIO_SIGMA = 0.5
"""Width of the ratio penalty on ``ln(measured / target)``: a 1:1 breath against a 1:2 target
(ln 2 = 0.69) keeps 38 % on that term, 1.5 against 2 keeps 85 %."""
LAG_SIGMA = 0.12
"""Width of the timing penalty, as a fraction of the pacer period (1.2 s at 6 breaths/min)."""

STRAINED_SCORE_MAX = 50
"""The most a breath the strain monitor finds held or gasped scores
(:meth:`trainer.coaching.strain.StrainMonitor.strained`, :func:`strained_score`), whatever its
rate, ratio and timing: half marks, under the 60 from which the report reads "mostly on
target" and the 80 of "on target". The score says how closely a breath did what was asked, and
no step asks for a hold or a gasp. With a pacer such a breath already scores low (a hold 4 s
beyond the pacer's at 6/min makes a 14 s breath of a 10 s one, 29 % slow: 6 at most); in the
own rhythm only the ratio is scored, and breaths held 8-11 s after the out-breath each scored
100 beside three "No need to hold the breath" cues, the session "follow 100/100"."""
QUALITY_WEIGHT = {"good": 1.0, "uncertain": 0.9, "artifact": 0.0}
"""Score multiplier per breath quality: an artifact proves nothing about following, an uncertain
breath is mostly right but we claim a little less."""

# -- cue thresholds (on, off) on the window medians ------------------------------------------

RATE_CUE = (0.10, 0.05)
"""Relative rate error that switches the rate cue on / off (10 % / 5 % of the target rate)."""
RATIO_CUE = (math.log(1.25), math.log(1.10))
"""``|ln(measured / target ratio)|`` that switches an exhale cue on / off (25 % / 10 % off)."""
FLOOR_CUE = (0.0, 0.0)
"""A pace that names the least ratio it accepts below its own (``min_ratio`` of
:meth:`Coach.assess`): the exhale cue is on while the window's median is below that floor and
off at it, so breathing at or above the floor is never told to lengthen the out-breath. No
band is needed against flip-flopping: praise needs the median within 10 % of the pace's own
ratio, and the program loader keeps a floor below that, so across the floor the coach only
turns a correction on or off."""
OWN_RATIO_CUE = (math.log(1.10), 0.0)
"""Own-rhythm mode: exhale cue on when the ratio is 10 % short of the target, off at the
target."""
LAG_CUE = (0.12, 0.06)
"""Phase lag, as a fraction of the pacer period, that switches a timing cue on / off."""

OWN_PRAISE_SHORTFALL = math.log(1.03)
"""Own-rhythm mode: praise ("lovely long out-breath") only when the ratio is within 3 % of the
target or above it; between that and the exhale cue the coach says nothing."""
MOVE_SCORE = 90
"""A change of pace is a move to settle into (:meth:`Coach.pace_changed`) when the old pace,
followed exactly, would score below this against the new one: a rate 5 % apart scores 92,
10 % apart 71, half the ratio 38. The stages of a slowing pattern (spine body scan: a few
percent each) are no move: breathing follows them as they come, and settling at each one kept
the coach silent through a pattern that changed every few seconds."""
SETTLE_WINDOWS = 8
"""How many recent settles the coach keeps: a breath is judged when it ends, a period or more
after its onset, by which time a program of short steps may have changed pace again; its
settle is the one its onset fell in."""
PRAISE_MIN_SCORE = 60
"""Praise is never given on a breath that scored below this, whatever the window's medians."""

CORRECTION_REPEAT = 2.0
"""The same correction is repeated no sooner than this many ``min_cue_interval_s``: a second
reminder is useful, a nag every few breaths is not."""
CORRECTION_BACKOFF_MAX = 8.0
"""A correction repeated while its problem stays waits twice as long each time (16, 32, 64 s
by default), up to this many ``min_cue_interval_s`` (64 s), or one heart-rhythm window when
that is longer; the wait starts again from :data:`CORRECTION_REPEAT` once the window shows the
problem cleared."""
PRAISE_REPEAT = 6.0
"""Praise is repeated no sooner than this many ``min_cue_interval_s`` (48 s by default): with
the eyes closed, a voice that keeps saying "fine" is a distraction."""

# -- cue texts -------------------------------------------------------------------------------

CUE_SLOWER = "Slow down a little — follow the pacer"
CUE_FASTER = "A little quicker — follow the pacer"
CUE_LONGER_EXHALE = "Lengthen the out-breath"
CUE_LONGER_INHALE = "Take a little longer over the in-breath"
CUE_LATE = "You are a bit late — start the in-breath with the rise"
CUE_EARLY = "You are a bit early — wait for the rise to breathe in"
CUE_IN_RHYTHM = "Nicely in rhythm"
CUE_OWN_GOOD = "Lovely long out-breath — keep it easy"
CUE_ON_PACE = "Good pace — right with the pacer"
"""Praise when only the pace is measured (a heart-rate strap alone): "in rhythm" would claim a
timing the heart rhythm cannot show."""
CUE_SENSOR_LOST = "Sensor lost — keep breathing easily while it reconnects"
"""Shown when the link to a sensor drops or the strap loses skin contact (no measurement to
coach from, so the person is simply told to carry on)."""
CUE_SENSOR_LOST_BRIEF = "Sensor lost, reconnecting"
""":data:`CUE_SENSOR_LOST` beside another cue (a program's tip) while the link is down."""
CUE_SENSORS_GONE = "Sensor gone — the session carries on without it to its planned end"
"""Shown once every sensor is given up in a session that carries on without them (the pacer,
steps, cues and sound go on; nothing is measured any more)."""
CUE_SENSORS_GONE_BRIEF = "Sensor gone, carrying on"
""":data:`CUE_SENSORS_GONE` beside another cue."""
CUE_SENSOR_BACK = "Sensor back — measuring again"
"""Shown when a sensor given up comes back in a session that carried on without it (it is
looked for until the end): "Sensor gone" is no longer true, and the numbers move again."""


class _Mode(Enum):
    """What the coach is comparing, and so which cues it can give; each value is the praise
    the mode gives when there is nothing to correct."""

    PACED = CUE_IN_RHYTHM
    """Breaths against a pacer: rate, ratio and timing."""
    OWN = CUE_OWN_GOOD
    """Breaths in the person's own rhythm against a ratio target."""
    PACE = CUE_ON_PACE
    """The breathing rate alone, read from the heart rhythm, against a pacer."""
    FREE = ""
    """Breaths in the person's own rhythm with nothing asked of them: no cue at all."""


class _Problem(Enum):
    """What a cue corrects, in priority order (rate first: a wrong rate also drifts timing)."""

    TOO_FAST = CUE_SLOWER
    TOO_SLOW = CUE_FASTER
    SHORT_EXHALE = CUE_LONGER_EXHALE
    LONG_EXHALE = CUE_LONGER_INHALE
    LATE = CUE_LATE
    EARLY = CUE_EARLY


_OPPOSITE = {
    _Problem.TOO_FAST: _Problem.TOO_SLOW,
    _Problem.TOO_SLOW: _Problem.TOO_FAST,
    _Problem.SHORT_EXHALE: _Problem.LONG_EXHALE,
    _Problem.LONG_EXHALE: _Problem.SHORT_EXHALE,
    _Problem.LATE: _Problem.EARLY,
    _Problem.EARLY: _Problem.LATE,
}
"""The correction that asks the opposite of each (module notes: it waits for an answer to the
other)."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """How one breath compared with its target.

    Attributes
    ----------
    rate_error_bpm : float
        Measured rate minus target rate, breaths/min (positive = faster than the pacer).
    ratio_error : float
        Measured exhale:inhale ratio minus the target ratio (positive = longer exhale);
        ``nan`` when the breath's ratio is not finite.
    phase_lag_s : float
        Measured inhale onset minus the nearest pacer inhale onset, s (positive = late);
        ``nan`` when the pacer had no onset within one period (paused).
    follow_score : int
        0-100, see :func:`follow_score`; 0 when not ``scored``.
    cue : str or None
        A short cue to show or say, or ``None`` (most breaths: cues are rate limited).
    scored : bool
        Whether the breath could be judged: false for a breath whose ratio was not measured
        (module notes), whose ``follow_score`` then means nothing and counts nowhere.
    """

    rate_error_bpm: float
    ratio_error: float
    phase_lag_s: float
    follow_score: int
    cue: str | None
    scored: bool = True


def target_ratio(pattern: BreathPattern) -> float:
    """The exhale:inhale ratio a measured breath should show for ``pattern``.

    A detector sees a hold at the top as part of the inhale and a hold at the bottom as a
    pause outside both (:class:`analysis.breath.Breath`), so this is
    ``exhale_s / (inhale_s + hold_in_s)``.
    """
    return pattern.exhale_s / (pattern.inhale_s + pattern.hold_in_s)


def is_a_move(old: BreathPattern, new: BreathPattern) -> bool:
    """Whether changing from pace ``old`` to ``new`` asks the person to move: breathing exactly
    at ``old`` would score below :data:`MOVE_SCORE` against ``new`` (:func:`follow_score`, no
    lag).

    Examples
    --------
    >>> is_a_move(BreathPattern(4.0, 8.0), BreathPattern(4.2, 8.4))  # a slowing stage, 5 %
    False
    >>> is_a_move(BreathPattern(2.0, 3.0), BreathPattern(4.0, 8.0))  # 12/min to 5/min
    True
    """
    rel_rate = (old.rate_bpm - new.rate_bpm) / new.rate_bpm
    log_ratio = math.log(target_ratio(old) / target_ratio(new))
    return follow_score(rel_rate, log_ratio, 0.0, "good") < MOVE_SCORE


def _log_ratio_error(measured: float, target: float) -> float:
    """``ln(measured / target)``, or ``nan`` when the measured ratio is not a positive number."""
    if not (math.isfinite(measured) and measured > 0.0):
        return math.nan
    return math.log(measured / target)


def _sq(x: float) -> float:
    """``x ** 2``, with a missing (``nan``) term counting as no penalty."""
    return 0.0 if math.isnan(x) else x * x


def follow_score(
    rel_rate_error: float, log_ratio_error: float, lag_fraction: float, quality: str
) -> int:
    """The 0-100 follow score of one breath.

    ``score = round(100 * w * exp(-(z_rate^2 + z_ratio^2 + z_lag^2) / 2))``, the product of three
    Gaussian penalties, with

    * ``z_rate = ((measured - target) / target rate) / RATE_SIGMA`` (0.12),
    * ``z_ratio = ln(measured ratio / target ratio) / RATIO_SIGMA`` (0.5; a log so that half
      and twice the target ratio weigh the same),
    * ``z_lag = (phase lag / pacer period) / LAG_SIGMA`` (0.12),
    * ``w = QUALITY_WEIGHT[quality]`` (good 1, uncertain 0.9, artifact 0).

    A missing term (``nan``: no pacer onset nearby, no ratio in a pace read from the heart
    rhythm) adds no penalty. A breath held or gasped scores at most :data:`STRAINED_SCORE_MAX`
    (:func:`strained_score`, applied by the session, which knows the strain monitor's
    judgement). The Gaussian-penalty form follows the product brief (the project's
    specification, which is not part of the repository); the widths are our own choice, set so
    that the breath-to-breath wobble of someone following well scores high: 5 % off in rate,
    10 % in ratio and 0.5 s late at 6 breaths/min, all at once, scores 83; half of each, 95.

    Parameters
    ----------
    rel_rate_error : float
        (measured - target) / target rate, dimensionless.
    log_ratio_error : float
        ln(measured / target exhale:inhale ratio).
    lag_fraction : float
        Phase lag divided by the pacer period.
    quality : str
        ``"good"``, ``"uncertain"`` or ``"artifact"``.

    Raises
    ------
    ValueError
        Unknown ``quality``.
    """
    try:
        weight = QUALITY_WEIGHT[quality]
    except KeyError:
        raise ValueError(f"unknown breath quality {quality!r}") from None
    z2 = (
        _sq(rel_rate_error / RATE_SIGMA)
        + _sq(log_ratio_error / RATIO_SIGMA)
        + _sq(lag_fraction / LAG_SIGMA)
    )
    return max(0, min(100, round(100.0 * weight * math.exp(-0.5 * z2))))


def strained_score(score: int) -> int:
    """The follow score of a breath held or gasped, from the ``score`` :func:`follow_score`
    gave it: at most :data:`STRAINED_SCORE_MAX`."""
    return min(score, STRAINED_SCORE_MAX)


def _median(values: list[float]) -> float:
    """Median of the non-``nan`` values, ``nan`` if there are none."""
    kept = sorted(v for v in values if not math.isnan(v))
    n = len(kept)
    if n == 0:
        return math.nan
    mid = n // 2
    return kept[mid] if n % 2 else 0.5 * (kept[mid - 1] + kept[mid])


def _switch(active: bool, value: float, on_off: tuple[float, float]) -> bool:
    """Hysteresis: turn on above ``on``, stay on until at or below ``off`` (``nan`` = off)."""
    if math.isnan(value):
        return False
    on, off = on_off
    return value > off if active else value > on


@dataclass(frozen=True, slots=True)
class _Sample:
    """One usable breath's errors, relative to its own target."""

    rel_rate: float
    log_ratio: float
    lag_fraction: float
    floor_margin: float = math.nan
    """``ln(measured / min_ratio)`` when the pace accepts less than its own ratio, else nan."""
    onset_s: float = -math.inf
    """When the breathing the sample describes began, session s (a breath's inhale onset, the
    start of a heart-rhythm rate's window)."""


class Coach:
    """Turns measured breaths into feedback and occasional cues.

    Feed breaths in the order they were detected, through :meth:`assess` (a pacer leads) or
    :meth:`assess_own_rhythm` (the person keeps their own rhythm); with no breath-by-breath
    source (a heart-rate strap alone), feed the rates read from the heart rhythm through
    :meth:`assess_pace`. Switching between them starts a fresh window.

    Parameters
    ----------
    min_cue_interval_s : float
        At least this many seconds of breath time (``Breath.detected_s``) between two cues.
    history_breaths : int
        Number of recent usable (non-artifact) breaths whose medians drive the cues; no cue is
        given before that many have been seen.

    Raises
    ------
    ValueError
        ``min_cue_interval_s`` negative or not finite, ``history_breaths`` below 1.
    """

    __slots__ = (
        "_active",
        "_backoff",
        "_given",
        "_history",
        "_judge_from_s",
        "_last_cue",
        "_last_cue_s",
        "_last_pace_s",
        "_min_interval_s",
        "_mode",
        "_pattern",
        "_settles",
        "_window",
    )

    def __init__(self, *, min_cue_interval_s: float = 8.0, history_breaths: int = 3) -> None:
        if not (math.isfinite(min_cue_interval_s) and min_cue_interval_s >= 0.0):
            raise ValueError(
                f"min_cue_interval_s must be a finite number >= 0, got {min_cue_interval_s!r}"
            )
        if history_breaths < 1:
            raise ValueError(f"history_breaths must be >= 1, got {history_breaths!r}")
        self._min_interval_s = float(min_cue_interval_s)
        self._history = history_breaths
        self._window: deque[_Sample] = deque(maxlen=history_breaths)
        self._active: set[_Problem] = set()
        self._mode = _Mode.PACED
        self._last_cue: str | None = None
        self._last_cue_s = -math.inf
        self._last_pace_s = -math.inf
        # Per correction: when it was last given, and its wait before a repeat while it has not
        # cleared (absent: not given since it last cleared).
        self._given: dict[_Problem, float] = {}
        self._backoff: dict[_Problem, float] = {}
        self._judge_from_s = -math.inf
        # Recent settles into a pace: (from, until) session seconds, breaths begun in which
        # are not scored.
        self._settles: deque[tuple[float, float]] = deque(maxlen=SETTLE_WINDOWS)
        self._pattern: BreathPattern | None = None

    def reset(self) -> None:
        """Forget the breath window, the active problems and the cue timing (a new session)."""
        self._window.clear()
        self._active.clear()
        self._last_cue = None
        self._last_cue_s = -math.inf
        self._last_pace_s = -math.inf
        self._given.clear()
        self._backoff.clear()
        self._judge_from_s = -math.inf
        self._settles.clear()
        self._pattern = None

    def pace_changed(self, t_s: float, pattern: BreathPattern | None) -> None:
        """What is asked changed at ``t_s``: a new pace ``pattern``, or ``None`` (own rhythm,
        a step that asks nothing, or paused).

        Unless the change is no move (:func:`is_a_move`: a slowing pattern's next stage), the
        window and the active problems are forgotten, and breaths begun before ``t_s`` plus
        one period of ``pattern`` (:data:`~trainer.coaching.strain.OWN_SETTLE_S` without one)
        neither cue nor enter the window; with a pacer, those begun after ``t_s`` are not
        scored either (module notes). The same pattern set
        again changes nothing. How often each correction has been repeated is kept: a new
        pace does not make an unanswered correction new.

        Parameters
        ----------
        t_s : float
            When the change took effect, session seconds (the breaths' clock).
        pattern : BreathPattern or None
            The pace now asked, ``None`` when no pacer runs.
        """
        if pattern is not None and pattern == self._pattern:
            return
        previous, self._pattern = self._pattern, pattern
        if pattern is not None and previous is not None and not is_a_move(previous, pattern):
            return
        self._window.clear()
        self._active.clear()
        settle_s = pattern.period_s if pattern is not None else OWN_SETTLE_S
        self._judge_from_s = t_s + settle_s
        if pattern is not None:
            self._settles.append((t_s, self._judge_from_s))

    def assess(
        self,
        breath: Breath,
        pacer: Pacer,
        *,
        paused: bool | None = None,
        min_ratio: float | None = None,
    ) -> Feedback:
        """Compare ``breath`` with the pacer target at its inhale onset.

        Parameters
        ----------
        breath : Breath
            A measured breath; times in session seconds, the pacer's clock.
        pacer : Pacer
            The pacer the person follows.
        paused : bool, optional
            Whether the breath counts as taken while paused (the pipeline's rule: more than
            half of it in a pause); by default, whether the pacer was paused at its onset.
        min_ratio : float, optional
            The least exhale:inhale ratio the step accepts (a program's ``min_ratio``, e.g.
            deep breathing 4-8's "or at least longer than the in-breath"): "Lengthen the
            out-breath" comes only while the window's median is below it (:data:`FLOOR_CUE`),
            not 25 % short of the pace's ratio. Praise still needs the pace's own ratio, and
            the follow score still measures the breath against the pacer (it says how closely
            the pacer was followed, not whether the breathing is acceptable). A floor at or
            above the pace's ratio changes nothing.

        Returns
        -------
        Feedback
            The breath's errors, its follow score and maybe a cue. Paused breaths are scored
            but never cue and do not enter the window. Breaths begun after a change of pace
            and before it settled (:meth:`pace_changed`), and a breath whose ratio was not
            measured, are not scored (module notes).
        """
        self._set_mode(_Mode.PACED)
        onset = breath.inhale_onset_s
        state = pacer.state(onset)
        pattern = state.pattern
        period = pattern.period_s
        rate_error = breath.rate_bpm - pattern.rate_bpm
        ratio_target = target_ratio(pattern)
        lag = self._phase_lag_s(pacer, onset, period)
        if not ratio_measured(breath.ratio) or any(a <= onset < b for a, b in self._settles):
            return _unscored(rate_error, lag)
        ratio_error = breath.ratio - ratio_target
        floor_margin = math.nan
        if min_ratio is not None and min_ratio < ratio_target:
            floor_margin = _log_ratio_error(breath.ratio, min_ratio)
        sample = _Sample(
            rel_rate=rate_error / pattern.rate_bpm,
            log_ratio=_log_ratio_error(breath.ratio, ratio_target),
            lag_fraction=lag / period,
            floor_margin=floor_margin,
            onset_s=onset,
        )
        score = follow_score(sample.rel_rate, sample.log_ratio, sample.lag_fraction, breath.quality)
        cue = None
        if paused is None:
            paused = state.paused
        if breath.quality == "good" and not paused and onset >= self._judge_from_s:
            cue = self._update(sample, _cue_time(breath), score)
        return Feedback(rate_error, ratio_error, lag, score, cue)

    def observe_free(self, breath: Breath) -> Feedback:
        """A breath in an own-rhythm step that asks nothing of it ("breathe naturally").

        No target, so no error, no correction and no praise; the score is the breath's
        quality alone and callers do not count it (:attr:`BreathEvent.free`). Earlier errors
        leave the window: they were measured against something this step does not ask.
        """
        self._set_mode(_Mode.FREE)
        ratio_error = math.nan
        return Feedback(0.0, ratio_error, 0.0, follow_score(0.0, 0.0, 0.0, breath.quality), None)

    def assess_own_rhythm(
        self, breath: Breath, target_ratio: float, *, paused: bool = False
    ) -> Feedback:
        """Score ``breath`` with no pacer: only its exhale:inhale ratio matters.

        The rate and phase errors are 0. Only a ratio *below* ``target_ratio`` is penalised and
        cued ("Lengthen the out-breath"): in the relaxation-response practice a longer exhale
        than asked is fine.

        Parameters
        ----------
        breath : Breath
            A measured breath.
        target_ratio : float
            Wanted exhale:inhale ratio (e.g. 1.2 for "a little longer out than in"), > 0.
        paused : bool
            The breath was taken while paused (more than half of it): scored, but it never
            cues and does not enter the window, as with a pacer; nor does a breath begun
            before a change had settled (:meth:`pace_changed`).

        Returns
        -------
        Feedback
            A breath whose ratio was not measured is not scored (module notes): the ratio is
            all this mode judges.

        Raises
        ------
        ValueError
            ``target_ratio`` not a positive finite number.
        """
        if not (math.isfinite(target_ratio) and target_ratio > 0.0):
            raise ValueError(f"target_ratio must be a positive number, got {target_ratio!r}")
        self._set_mode(_Mode.OWN)
        if not ratio_measured(breath.ratio):
            return _unscored(0.0, 0.0)
        log_error = _log_ratio_error(breath.ratio, target_ratio)
        shortfall = min(log_error, 0.0)
        ratio_error = breath.ratio - target_ratio
        score = follow_score(0.0, shortfall, 0.0, breath.quality)
        cue = None
        onset = breath.inhale_onset_s
        if breath.quality == "good" and not paused and onset >= self._judge_from_s:
            sample = _Sample(0.0, log_error, 0.0, onset_s=onset)
            cue = self._update(sample, _cue_time(breath), score)
        return Feedback(0.0, ratio_error, 0.0, score, cue)

    def assess_pace(
        self, rate_bpm: float, target_rate_bpm: float, t_s: float, *, window_s: float
    ) -> Feedback:
        """Score a breathing rate measured without breath-by-breath data against the pacer.

        With a heart-rate strap alone the breathing rate is read from the heart rhythm
        (:mod:`analysis.rr_breath`) over a window of ``window_s``: there is no ratio and no
        timing to judge, so the score has the rate term only and the cues are "slow down",
        "a little quicker" and :data:`CUE_ON_PACE`. Such a rate follows a change over about
        half its window, so the same correction is not repeated within one window: the person
        gets time to act on it before hearing it again. Rates more than half a window apart
        (the ones between could not be scored) do not share a median: the window starts afresh.
        The rate is only as good as the heart rhythm's (:mod:`analysis.rr_breath`, limits): a
        Mayer wave (about 6/min) can pass for breathing when breathing is fast and shallow.

        Parameters
        ----------
        rate_bpm : float
            Measured breathing rate, breaths/min.
        target_rate_bpm : float
            The pacer's rate over the whole window, breaths/min.
        t_s : float
            When the estimate became known, session seconds (the cue clock).
        window_s : float
            Length of data the estimate covers, s.

        Returns
        -------
        Feedback
            ``ratio_error`` and ``phase_lag_s`` are ``nan`` (not measured).

        Raises
        ------
        ValueError
            A rate that is not a positive finite number.
        """
        for name, value in (("rate_bpm", rate_bpm), ("target_rate_bpm", target_rate_bpm)):
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self._set_mode(_Mode.PACE)
        if t_s - self._last_pace_s > 0.5 * window_s:
            self._window.clear()
            self._active.clear()
        self._last_pace_s = t_s
        rate_error = rate_bpm - target_rate_bpm
        sample = _Sample(rate_error / target_rate_bpm, math.nan, math.nan, onset_s=t_s - window_s)
        score = follow_score(sample.rel_rate, math.nan, math.nan, "good")
        cue = self._update(sample, t_s, score, repeat_floor_s=window_s)
        return Feedback(rate_error, math.nan, math.nan, score, cue)

    # -- internals -----------------------------------------------------------------------

    def _set_mode(self, mode: _Mode) -> None:
        if mode is not self._mode:
            # Errors against a pacer, against a free ratio target, or of the rate alone do not
            # mix in one median.
            self._window.clear()
            self._active.clear()
            self._mode = mode

    @staticmethod
    def _phase_lag_s(pacer: Pacer, onset_s: float, period_s: float) -> float:
        onsets = pacer.inhale_onsets(onset_s - period_s, onset_s + period_s)
        if not onsets:
            return math.nan
        nearest = min(onsets, key=lambda t: abs(onset_s - t))
        return onset_s - nearest

    def _update(
        self, sample: _Sample, t_s: float, score: int, *, repeat_floor_s: float = 0.0
    ) -> str | None:
        """Add a usable sample to the window, update the problems, and pick a cue if allowed.

        A correction comes when a problem is clearly on (past its "on" threshold) and this
        breath shows it (past its "off" threshold), praise only when everything is clearly fine
        (within every "off" threshold) and this breath scored at least
        :data:`PRAISE_MIN_SCORE`; in between the coach says nothing, so that praise and a
        correction never alternate over the same breathing. A correction waits at least
        ``repeat_floor_s`` before it is given again, longer while it goes unanswered, and one
        opposite to the last of its pair waits for breaths that answer that (module notes)."""
        self._window.append(sample)
        if len(self._window) < self._history:
            return None
        self._update_problems()
        since = t_s - self._last_cue_s
        if since < self._min_interval_s:
            return None
        repeat_s = max(CORRECTION_REPEAT * self._min_interval_s, repeat_floor_s)
        if self._active:
            problem = next(p for p in _Problem if p in self._active)
            if not self._shows(problem, sample) or not self._may_correct(problem, t_s, repeat_s):
                return None
            cap_s = max(CORRECTION_BACKOFF_MAX * self._min_interval_s, repeat_floor_s)
            unanswered = problem in self._backoff
            self._backoff[problem] = (
                min(2.0 * self._backoff[problem], cap_s) if unanswered else repeat_s
            )
            self._given[problem] = t_s
            cue = problem.value
        elif score >= PRAISE_MIN_SCORE and self._clearly_fine():
            cue = self._mode.value
            if cue == self._last_cue and since < PRAISE_REPEAT * self._min_interval_s:
                return None
        else:
            return None
        self._last_cue, self._last_cue_s = cue, t_s
        return cue

    def _may_correct(self, problem: _Problem, t_s: float, repeat_s: float) -> bool:
        """Whether ``problem``'s correction may be given at ``t_s``: its own repeat wait is
        over, and the opposite correction, if given, is ``repeat_s`` old and every breath in
        the window began after it."""
        given_s = self._given.get(problem)
        if given_s is not None and t_s - given_s < self._backoff.get(problem, repeat_s):
            return False
        opposite_s = self._given.get(_OPPOSITE[problem])
        if opposite_s is None:
            return True
        return t_s - opposite_s >= repeat_s and all(s.onset_s >= opposite_s for s in self._window)

    def _shows(self, problem: _Problem, sample: _Sample) -> bool:
        """Whether one breath's own errors show ``problem`` (past its "off" threshold)."""
        for each, value, (_, off) in self._problem_values(
            sample.rel_rate, sample.log_ratio, sample.lag_fraction, sample.floor_margin
        ):
            if each is problem:
                return not math.isnan(value) and value > off
        return False

    def _problem_values(
        self, rate: float, ratio: float, lag: float, floor: float
    ) -> list[tuple[_Problem, float, tuple[float, float]]]:
        """Each problem this mode judges, with the value its thresholds apply to and those
        (on, off) thresholds, from the relative rate error, the log ratio error, the lag as
        a fraction of the period and the log margin above a floor (nan: no floor)."""
        if self._mode is _Mode.OWN:
            return [(_Problem.SHORT_EXHALE, -ratio, OWN_RATIO_CUE)]
        short = (-ratio, RATIO_CUE) if math.isnan(floor) else (-floor, FLOOR_CUE)
        return [
            (_Problem.TOO_FAST, rate, RATE_CUE),
            (_Problem.TOO_SLOW, -rate, RATE_CUE),
            (_Problem.SHORT_EXHALE, *short),
            (_Problem.LONG_EXHALE, ratio, RATIO_CUE),
            (_Problem.LATE, lag, LAG_CUE),
            (_Problem.EARLY, -lag, LAG_CUE),
        ]

    def _update_problems(self) -> None:
        window = list(self._window)
        floor = math.nan
        if not math.isnan(window[-1].floor_margin):
            floor = _median([s.floor_margin for s in window])
        for problem, value, on_off in self._problem_values(
            _median([s.rel_rate for s in window]),
            _median([s.log_ratio for s in window]),
            _median([s.lag_fraction for s in window]),
            floor,
        ):
            self._toggle(problem, value, on_off)

    def _clearly_fine(self) -> bool:
        """Every window median within its "off" threshold (a term not measured passes)."""
        window = list(self._window)
        ratio = _median([s.log_ratio for s in window])
        if self._mode is _Mode.OWN:
            return not ratio < -OWN_PRAISE_SHORTFALL
        rate = _median([s.rel_rate for s in window])
        lag = _median([s.lag_fraction for s in window])
        return (
            not abs(rate) > RATE_CUE[1]
            and not abs(ratio) > RATIO_CUE[1]
            and not abs(lag) > LAG_CUE[1]
        )

    def _toggle(self, problem: _Problem, value: float, on_off: tuple[float, float]) -> None:
        if _switch(problem in self._active, value, on_off):
            self._active.add(problem)
        else:
            self._active.discard(problem)
        if not math.isnan(value) and value <= on_off[1]:
            # Cleared: a later correction of it starts again at the shortest repeat.
            self._backoff.pop(problem, None)


def _unscored(rate_error_bpm: float, phase_lag_s: float) -> Feedback:
    """The feedback on a breath that cannot be judged: no ratio error, no score, no cue."""
    return Feedback(rate_error_bpm, math.nan, phase_lag_s, 0, None, scored=False)


def _cue_time(breath: Breath) -> float:
    """When a cue about ``breath`` can be given: when it was detected (its end if unknown)."""
    return breath.detected_s if math.isfinite(breath.detected_s) else breath.end_s
