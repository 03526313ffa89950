"""The events :class:`trainer.session.pipeline.Pipeline` emits, which the screen, the headless
lines, the session's recording and the reports consume.

Each is a frozen dataclass stamped in session seconds (the items' clock, never a wall clock),
so that a replay gives the live session's events exactly. :data:`Event` is their union, what
``Pipeline.handle`` returns a list of. The kinds of :class:`StatusEvent` that a reader acts on
(not only shows) are named here: :data:`SENSORS_GONE_KIND` and :data:`SENSORS_BACK_KIND`.

This module holds the vocabulary alone and imports nothing of the pipeline, so a consumer of
events need not import the 2,000 lines that make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from analysis.beats import Beat
from analysis.breath import Breath
from analysis.breath_sources import usable
from trainer.coaching.coach import Feedback
from trainer.coaching.pacer import Phase
from trainer.coaching.strain import StrainKind
from trainer.programs.runner import EventKind
from trainer.storage.recording import PacerChange

__all__ = [
    "SENSORS_BACK_KIND",
    "SENSORS_GONE_KIND",
    "BeatsEvent",
    "BeltEvent",
    "BreathEvent",
    "BreathRateEvent",
    "Event",
    "MarkEvent",
    "PaceEvent",
    "PacerEvent",
    "PhaseEvent",
    "ProgramEvent",
    "SkipEvent",
    "StatusEvent",
    "StrainEvent",
    "WaveformEvent",
]

SENSORS_GONE_KIND = "sensors gone"
"""The kind of the :class:`StatusEvent` that says a session carries on without its sensors."""
SENSORS_BACK_KIND = "sensors back"
"""The kind of the :class:`StatusEvent` that says a sensor given up came back, in a session
that carried on without its sensors (:func:`trainer.session.pipeline.sensors_back_message`)."""


@dataclass(frozen=True, slots=True)
class BreathEvent:
    """A breath was confirmed.

    Attributes
    ----------
    index : int
        1-based count of breaths in the session.
    breath : Breath
        Times in session seconds.
    feedback : Feedback
        The coach's assessment against the pacer (or the own-rhythm target).
    hr_bpm : float or None
        Heart rate when the breath was confirmed; None when no beat (or report of a strap
        without RR intervals) came in the :data:`trainer.session.pipeline.HR_STALE_S` before
        it (a strap lost).
    paused : bool
        More than half of the breath (inhale onset to end) fell in a pause: measured and
        shown, but its follow score does not count (there was nothing to follow).
    free : bool
        The breath began in an own-rhythm step with no ratio target ("breathe naturally"):
        measured and shown, not scored and never corrected (nothing was asked of it).
    paced : bool
        The breath began while a pacer was pacing (not paused, not an own-rhythm step): with
        a pacer, these are the breaths the session's rate and ratio are about
        (:func:`trainer.session.pipeline.counted_breaths`).
    target_ratio : float or None
        The exhale:inhale ratio the coach judged the breath against: the pacer's at the
        breath's onset as a detector sees it (:func:`trainer.coaching.coach.target_ratio`,
        holds at the top counted with the inhale), or an own-rhythm step's target; None for a
        breath nothing was asked of (``free``).
    target_rate_bpm : float or None
        The breath rate the coach judged the breath against, breaths/min: the pacer's at the
        breath's onset (:attr:`trainer.coaching.pacer.BreathPattern.rate_bpm`, holds
        included); None in own rhythm, where no rate is asked.
    source : str
        The sensor the breath was read from: ``"belt"`` or ``"acc"`` (the chest
        accelerometer), as :class:`BreathRateEvent` names them. ``breath.depth`` is in that
        signal's unit (the belt's, or mG), so a session that handed over from one to the
        other holds depths of two units, which this tells apart (issue 7, item 4: every
        estimate says which source it came from). Keyword-only and required, so that no
        breath is said to be of a source by default.
    """

    index: int
    breath: Breath
    feedback: Feedback
    hr_bpm: float | None
    paused: bool = False
    free: bool = False
    paced: bool = False
    target_ratio: float | None = None
    target_rate_bpm: float | None = None
    source: str = field(kw_only=True)

    @property
    def scored(self) -> bool:
        """Whether the follow score counts (summary, report, exports, screen): not when the
        breath was paused or free, nor when the coach could not judge it (its ratio was not
        measured, :attr:`trainer.coaching.coach.Feedback.scored`), nor for an artifact, which
        proves nothing about following (its score is 0): a belt at rest before the first
        breath read "follow 0" on each of its noise's "breaths", and the screen showed it."""
        return (
            not (self.paused or self.free)
            and self.feedback.scored
            and self.breath.quality != "artifact"
        )


@dataclass(frozen=True, slots=True)
class BreathRateEvent:
    """The best current breathing rate, given each time any source has a new estimate.

    Attributes
    ----------
    t_s : float
        Session seconds of the newest estimate (of any source): when this answer was given.
    rate_bpm : float
        Breathing rate of the best current estimate, breaths/min.
    quality : float
        Its quality, 0-1, on the scale shared by all sources (:mod:`analysis.breath_sources`).
    source : str
        Where it came from: ``"belt"``, ``"acc"`` (chest accelerometer) or ``"rr"`` (heart
        rhythm, respiratory sinus arrhythmia).
    estimate_t_s : float
        Session seconds the estimate itself refers to (a belt breath's confirmation, the end of
        an RR window); up to the selector's staleness limit before ``t_s``.
    """

    t_s: float
    rate_bpm: float
    quality: float
    source: str
    estimate_t_s: float

    @property
    def unclear(self) -> bool:
        """Too unclear to show as a number (:func:`analysis.breath_sources.usable`): a
        heart-rhythm rate below :data:`analysis.rr_breath.USABLE_QUALITY` (the selector's
        quality is that weighted by ``RR_WEIGHT``), which includes every window whose intervals
        look like white noise or are irregular beat to beat (atrial fibrillation: quality 0,
        :attr:`analysis.rr_breath.RRBreathEstimate.unusable_reason`); a belt or accelerometer
        rate whose recent breaths were all artifacts (quality 0)."""
        return not usable(self.source, self.quality)


@dataclass(frozen=True, slots=True)
class PaceEvent:
    """The coach's word on a breathing rate read from the heart rhythm (no breath-by-breath
    source), against the pacer.

    Attributes
    ----------
    t_s : float
        Session seconds the estimate refers to (the end of its window).
    rate_bpm : float
        Breathing rate read from the heart rhythm, breaths/min.
    target_rate_bpm : float
        The pacer's rate, held over the whole window, breaths/min.
    quality : float
        The estimate's own quality, 0-1 (:class:`analysis.rr_breath.RRBreathEstimate`).
    window_s : float
        Length of heart-rate data the estimate covers, s.
    feedback : Feedback
        The rate error, the follow score on the pace alone, and maybe a cue (ratio and timing
        are ``nan``: not measured).
    """

    t_s: float
    rate_bpm: float
    target_rate_bpm: float
    quality: float
    window_s: float
    feedback: Feedback


@dataclass(frozen=True, slots=True)
class BeatsEvent:
    """New beats rebuilt from a heart-rate notification (times in session seconds).

    A strap that sends its heart rate without RR intervals gives an event with no beats:
    ``hr_bpm`` is what it reported, at ``reported_t_s`` (session s; None when beats came).
    """

    beats: tuple[Beat, ...]
    hr_bpm: float | None
    reported_t_s: float | None = None


@dataclass(frozen=True, slots=True)
class BeltEvent:
    """New belt samples: ``values`` (signal units) starting at ``t0_s``, spaced ``1 / fs_hz``."""

    t0_s: float
    fs_hz: float
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class WaveformEvent:
    """Timed samples of a sensor waveform other than the belt (Polar ECG in µV, ACC in mG).

    Attributes
    ----------
    kind : str
        ``"ecg"`` or ``"acc"``.
    t_s : ndarray, shape (n,)
        Sample times, session seconds (from the sensor's clock, see devices.pmd_stream).
    values : ndarray, shape (n, channels)
        ECG: one column (µV); ACC: x, y, z (mG).
    fs_hz : float
        Sample rate derived from the sensor timestamps so far.
    """

    kind: str
    t_s: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    fs_hz: float


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """Something the person should know that is not a measurement (contact, link, bad data).

    ``device`` names the sensor a ``"link"`` event is about (its address or name, as in the
    gaps), so that the screen can tell which link is down without reading the message.
    """

    t_s: float
    kind: str
    message: str
    device: str = ""


@dataclass(frozen=True, slots=True)
class MarkEvent:
    """A user mark, in session seconds."""

    t_s: float
    label: str


@dataclass(frozen=True, slots=True)
class PacerEvent:
    """The pacer changed (set, pause, resume, own rhythm), or the program moved on to its next
    step (``skip``)."""

    t_s: float
    change: PacerChange


@dataclass(frozen=True, slots=True)
class SkipEvent:
    """The person skipped the rest of a program step (key ``n``): a recorded ``skip`` pacer
    change, at which the program's clock jumps to the next step's start
    (:class:`trainer.coaching.program_clock.ProgramClock`).

    Attributes
    ----------
    t_s : float
        Session time of the skip, in seconds.
    step_index, step_count : int
        0-based index of the step skipped, and number of steps.
    step_title : str
        Its title, with its side for a step done on one side (``"Figure-four pull (right)"``).
    left_s : float
        Seconds of the step that were not done.
    """

    t_s: float
    step_index: int
    step_count: int
    step_title: str
    left_s: float


@dataclass(frozen=True, slots=True)
class PhaseEvent:
    """What the pacer asks from now on (:class:`trainer.coaching.pacer.PhaseCue`): a phase
    begins, or goes on after a resume or a pace change that retimed it. Reported only by a
    pipeline made with ``phases=True`` (``--pacer-lines``).

    Attributes
    ----------
    t_s : float
        Session time of the cue, seconds.
    phase : Phase
        The phase to breathe.
    left_s : float
        Seconds of it from ``t_s`` on.
    """

    t_s: float
    phase: Phase
    left_s: float


@dataclass(frozen=True, slots=True)
class ProgramEvent:
    """Something in the program's timeline began (a step, side, repetition, cue or the end).

    Attributes
    ----------
    t_s : float
        Session time the timeline puts it at, in seconds.
    kind : EventKind
        What began (pattern changes are not reported: they arrive as recorded pacer changes).
    step_index, step_count : int
        0-based index of the step and number of steps.
    step_title : str
        Title of the step.
    text : str
        The step title, the side, ``"3/10 left"`` for a repetition, or the cue text.
    detail : str
        For a step: its instruction text, then its caution if it has one; otherwise empty.
    """

    t_s: float
    kind: EventKind
    step_index: int
    step_count: int
    step_title: str
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StrainEvent:
    """A sign of strain in the breathing (:mod:`trainer.coaching.strain`), with its cue."""

    t_s: float
    kind: StrainKind
    cue: str
    detail: str


Event = (
    BreathEvent
    | BreathRateEvent
    | PaceEvent
    | BeatsEvent
    | BeltEvent
    | WaveformEvent
    | StatusEvent
    | MarkEvent
    | PacerEvent
    | PhaseEvent
    | ProgramEvent
    | SkipEvent
    | StrainEvent
)
