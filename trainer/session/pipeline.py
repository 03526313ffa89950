"""The one data path: session items in, events out — the same code for live, replay and batch.

``Pipeline.handle(items)`` decodes raw packets with the pure decoders of :mod:`devices`, feeds
the streaming processors of :mod:`analysis`, applies pacer changes, and asks the coach about
every breath. It never reads a clock: every time comes from the items, so replaying a recording
reproduces the live session's events exactly.

Consecutive belt packets are merged into one processor update. That cannot change any output:
the breath processors give the same breaths for any chunking (tested), and merging never moves
a packet across an item of another kind, so the heart-rate and pacer state seen by each breath is
the same as when packets are handled one by one. Nor does it change the order of the events: one
added while belt samples wait for their update (a status line, a program's step) first has
them analysed (``_EventLog``), so it comes after their breaths, as one item at a time.

Breathing comes from up to three sources (docs/reference/design.md, "Sources of breathing, best
first"): the belt and the chest accelerometer, breath by breath, whenever they stream; and
whenever the strap sends RR intervals (nearly all do), the heart rhythm
(:class:`analysis.rr_breath.RRBreathTracker`, respiratory sinus arrhythmia, artifacts corrected
per window). Every new estimate of any source goes to a
:class:`analysis.breath_sources.BreathSourceSelector`, and its answer, the best current
breathing rate and the source it came from, is reported as a
:class:`trainer.session.events.BreathRateEvent`. With a belt and an accelerometer both giving
breaths, only one's breaths are shown and coached: the belt's while it gives good ones, else the
accelerometer's (``Pipeline._breath``, said in a status line when it changes). Analysing the
accelerometer beside a belt costs about 2 s of CPU per hour of session at 25-200 Hz (10-20 µs a
working sample), live and again in each replay.

A strap may send its heart rate without RR intervals (the Heart Rate Measurement characteristic
makes them optional, flag bit 4): a status line says so once (:data:`HR_ONLY_SAY_PACKETS`), the
heart rate it reports is shown (a :class:`trainer.session.events.BeatsEvent` without beats) and is
the summary's start and end heart rate (``hr_basis`` ``device``); there is then no HRV, RSA or
breath rate from the heart. A sensor the header lists that sends no measurement at all in the first
:data:`SILENT_SAY_S` s of the session is named in a status line, and in the summary's
``sensors_silent``; the check runs at the first item after that time, or at
:meth:`Pipeline.catch_up` and :meth:`Pipeline.finish`, whichever comes first, and the line is
stamped :data:`SILENT_SAY_S`, so live and replay print the same.

With no breath-by-breath source (a heart-rate strap alone) the coach still has the pace: each
heart-rhythm rate that is the selector's answer, of quality ``PACE_MIN_QUALITY`` or better,
and that covers a stretch where the pacer held one rate, is scored against that rate
(:meth:`trainer.coaching.coach.Coach.assess_pace`) and reported as a
:class:`trainer.session.events.PaceEvent`; the same rate is judged for strain
(:meth:`trainer.coaching.strain.StrainMonitor.update_rate`: a pacer far slower than the person
breathes), and a sign is a :class:`trainer.session.events.StrainEvent` whose cue takes the place of
the coach's, as after a breath.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.acc_breath import MIN_FS_HZ as ACC_MIN_FS_HZ
from analysis.acc_breath import MOTION_UNCERTAIN, TimedAccBreathTracker
from analysis.beats import Beat, BeatTimeline, HeartRateTracker
from analysis.breath import Breath, BreathTracker
from analysis.breath_sources import (
    SOURCES,
    BreathEstimate,
    BreathEstimator,
    BreathSourceSelector,
    best_source,
    from_rr,
    lagging,
)
from analysis.breath_variability import breath_variability, measured_ratios, ratio_measured
from analysis.progress import ProgressCallback
from analysis.rr_breath import (
    RRBreathEstimate,
    RRBreathTracker,
    session_rate_members,
)
from devices.errors import DecodeError
from devices.godirect import channel_values, is_measurement_packet, run_channel_values
from devices.godirect_commands import Reassembler
from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.pmd_stream import PmdStreamDecoder
from devices.polar_pmd import STOP_NOTICE_TAG, MeasurementType, parse_stop_notice
from devices.source import (
    GIVEN_UP_REASON,
    LinkEvent,
    LinkState,
    SourceInfo,
    is_given_up,
    source_notes,
)
from trainer.coaching.coach import (
    CUE_FASTER,
    CUE_IN_RHYTHM,
    CUE_ON_PACE,
    CUE_OWN_GOOD,
    CUE_SLOWER,
    Coach,
    strained_score,
    target_ratio,
)
from trainer.coaching.pacer import BreathPattern, Pacer, PhaseCue
from trainer.coaching.program_clock import ProgramClock
from trainer.coaching.strain import StrainMonitor
from trainer.programs.model import ProgramKind, Step
from trainer.programs.runner import EventKind, ProgramTimeline
from trainer.session.events import (
    SENSORS_BACK_KIND,
    SENSORS_GONE_KIND,
    BeatsEvent,
    BeltEvent,
    BreathEvent,
    BreathRateEvent,
    Event,
    MarkEvent,
    PaceEvent,
    PacerEvent,
    PhaseEvent,
    ProgramEvent,
    SkipEvent,
    StatusEvent,
    StrainEvent,
    WaveformEvent,
)
from trainer.session.summary import ResonanceSummary, Sensor, SessionSummary, listed_sensors
from trainer.storage.program_codec import FROM_STEP_KEY, PLAN_KEY, plan_from_json
from trainer.storage.recording import Header, Item, Mark, PacerChange, RecordingError
from trainer.storage.rr_values import PLAUSIBLE_RR_MS

if TYPE_CHECKING:
    from trainer.reports.session_analysis import HeartMetrics

HR_STALE_S = 5.0
"""A heart rate whose last beat (or, from a strap without RR intervals, whose last report) is
older than this (s of session time) is not current: the screen shows "-" for it and a breath
confirmed later gets no heart rate (headless lines, exports). A strap notifies about once a
second and even 40 bpm beats every 1.5 s, so 5 s without a beat is a lost sensor or contact.
Review found "Heart rate 66 bpm" frozen on screen for the last 40 s of a session whose sensor
was gone, and then every breath after a strap was lost beside a belt carrying its last heart
rate, 30 s old, up to the end."""
HR_ONLY_SAY_PACKETS = 5
"""Heart-rate notifications in a row with a heart rate but no RR interval, before any beat,
after which the strap is said to send none: a strap sending RR intervals can send one
notification without any (no beat since the last, below 60 bpm at 1 notification/s), never
five in a row (40 bpm beats every 1.5 s)."""
MAX_HEART_RATE_FIELD_BPM = 60_000.0 / PLAUSIBLE_RR_MS[0]
"""Fastest heart rate a heart produces, beats/min (300): the shortest of
:data:`PLAUSIBLE_RR_MS` as a rate. A notification whose heart-rate field is faster holds
damaged bytes, and is counted unreadable (without this, 34109 and 55030 bpm from a sensor
sending random bytes were taken, with their RR intervals). Breathwise's own ``import`` writes
at most 255 there. No lower bound: 0 is "no rate yet" (straps send it before skin contact), and
a field computed from the latest intervals, as ``import`` computes it (60000 / their mean), is
below 20 bpm for a lost-contact interval of a few seconds, which the artifact correction is
to have."""
RR_REACH_BACK_S = 5.0
"""How far, s, a notification's RR intervals may reach back before the previous beat on the
session clock. They end at its last beat, at or before its arrival, and begin at the beat
before them, which was reported earlier: on the session clock they can only overlap it by the
error of where that beat was placed, a notification's report delay when the timeline anchored
it at arrival (below :data:`analysis.beats.MAX_DRIFT_S`, 1.5 s, else it re-anchors), a few
seconds when the radio bunches notifications. Intervals reaching back further are damaged
bytes, whatever their length (without this, random bytes gave intervals of 23-64 s 0.3 s
after the previous notification, and the session's heart rate read "1 -> 1 bpm"). A real long
interval is not: a strap that lost contact for a few beats, or 12 s (``import`` keeps such
ones), reports it after it ended, as long after the previous beat as it lasted. Before the
first beat, the session's start stands for the previous beat."""
SILENT_SAY_S = 10.0
"""Session seconds after which a listed sensor that has sent no measurement is named in a
status line: a belt streams 10 packets/s from its start and a strap notifies every second, so
10 s of nothing is a sensor switched off, not worn, or not streaming (without this, a belt
that answered every command but never streamed went unmentioned for a whole session)."""
BELT_RESYNC_S = 1.0
"""A belt packet this far from where its sample count puts it means samples were lost: restart
(unless a trusted counter says none was: :data:`BELT_DELAY_MAX_S`)."""
BELT_DELAY_MAX_S = 5.0
"""Most a belt packet can be late (s), a trusted packet counter (:data:`BELT_COUNTER_TRUST_STEPS`)
saying no packet was lost, and still be taken as held up on the way (link-layer retries, a
stalled host): its samples keep their sample count's times. Without this, a 1.5-3 s stall
restarted the tracker on the late packet's arrival, lost two breaths, and left every later
breath 0.4-1 s late for the rest of the session (follow 85 -> 63 for one 2 s stall in 12 min)."""
BELT_RATE_STRETCH_S = 20.0
"""Stretch of loss-free belt packets (s) over which their arrival rate is measured: its first
and last :data:`BELT_RATE_BLOCK_S` are 12 s or more apart, so radio jitter (tens of ms) stays
well below 1 %."""
BELT_RATE_BLOCK_S = 4.0
"""Each end of a stretch (s) whose earliest packet, against its sample count, marks the belt's
clock: a packet can arrive late (a stall, link-layer retries) but never early, so a stall
shorter than this leaves the measured rate alone."""
BELT_RATE_STRETCHES = 2
"""Consecutive stretches that must measure the same rate (within :data:`BELT_RATE_AGREEMENT`
of each other), away from the rate in use, before the analysis changes rate: one odd stretch
(a long stall) changes nothing."""
BELT_RATE_AGREEMENT = 0.05
"""Relative spread within which the consecutive stretches' rates agree with each other: two
stretches skewed opposite ways by a queue building and draining (8.6 and 11.4 Hz) do not."""
BELT_RATE_TOLERANCE = 0.10
"""Relative disagreement between arrival rate and the rate in use beyond which the belt runs at
another rate (a belt's crystal is off by parts per million)."""
BELT_STEADY_GAP_S = 2.0
"""A pause between belt packets longer than this (a lost link) starts the stretch again: the
packet counter (one byte) could have wrapped unseen."""
BELT_BRIDGE_MAX_S = 0.5
"""Longest run of lost belt samples (s) bridged by a straight line: a quarter of the shortest
breath the detector accepts (2 s), so a bridge cannot stand in for a breath (at 2 s one
invented a 15/min breath marked good). A longer loss the counter vouches for restarts the
tracker."""
BELT_BRIDGE_UNCERTAIN_FRACTION = 0.05
"""A breath that turns (inhale onset, exhale onset, end) within a bridged span longer than this
fraction of the breath is marked "uncertain": a turn there is drawn by the line, not measured,
and can be off by the span's length. At 6/min no bridge (<= 0.5 s) reaches it; at 30/min
(2 s a breath) a 0.2 s one does."""
BELT_BRIDGE_FIT_PERIODS = 2.0
"""A packet after lost ones is bridged only if it arrives this many sample periods or less from
where the lost samples put it: the counter and the clock then tell the same story."""
BELT_COUNTER_TRUST_STEPS = 10
"""Consecutive measurement packets whose counter byte steps by exactly one before the counter is
trusted to count packets (and so lost samples) for bridging. The +1-per-packet meaning is not
documented; a counter of samples with 2 samples a packet steps by 2 and is never trusted. A
belt packet that arrived but could not be read (cut off by the next, damaged) took a counter
value too: a step of one more for each counts as a step of one. Without that, a belt sending
one unreadable packet in five never earned the trust, its lost samples were never bridged, the
tracker restarted 12 times a minute, and no breath was found in a minute."""
BELT_CUTOFF_HZ = 1.0
"""Low-pass of the belt's breath detector (its default: passes breaths up to 30/min)."""
DEFAULT_OWN_RATIO = 1.5
PACED_SHARE_MIN = 0.5
"""The least share of a session's practised time (pauses excluded) the pacer must have paced
for the session's headline numbers (rate, ratio, follow, their targets, the practice progress
files it under) to be those of its paced breaths (:func:`headline_paced`). Under it, the
session is an own-rhythm one with a paced part, and its headline is of the rest: the body
scan paces its first minute of ten (candle breaths, 6/min) and then breathes in its own
rhythm, and its summary, history row, report and practice read "paced 6.0/min, followed the
pacer 99/100" of 6 breaths beside 107 taken at about 12/min. Half, so that
the headline is of whichever part the session mostly was."""
PRAISE_CUES = frozenset({CUE_IN_RHYTHM, CUE_ON_PACE, CUE_OWN_GOOD})
"""The coach's praise, withheld over breathing the strain monitor finds gasping or held
(:attr:`trainer.coaching.strain.StrainMonitor.strained_recently`)."""
HELD_WITHHELD_CUES = PRAISE_CUES | {CUE_FASTER, CUE_SLOWER}
"""The coach's cues withheld on a held breath (:meth:`trainer.coaching.strain.StrainMonitor.held`):
praise, and a rate correction, whose rate is the hold's."""
PACE_MIN_QUALITY = 0.35
"""Least heart-rhythm quality (:class:`analysis.rr_breath.RRBreathEstimate`, before the selector's
weighting) whose rate the coach scores. Measured on 64 s windows every 5-10 s:

* the simulated person breathing at 4.5-15/min (4 seeds, 10 min each): 92-99 % of estimates
  kept, none more than 0.5 breaths/min off;
* heart rate with no breathing in it (62 beats/min plus 3 beats/min of white jitter, 30 seeds of
  5 min): 3 % kept (11 % at 0.3);
* the three NeuroKit2 recordings (spontaneous breathing, weak RSA; the belt's rate over the same
  window): 3 of the 30 estimates 2 breaths/min or more off kept (one stretch while the belt's
  rate fell from 13 to 7), 42 of the 87 within 1 breath/min.

The coach adds its own guard: a cue needs the median of three scored estimates in a row."""
RR_STEP_S = 10.0
"""Interval between breathing estimates from the heart rhythm, s. Each one analyses 64 s of
beats, so a rate change shows up over about half a minute whatever the step; 10 s rather than
the tracker's 5 s halves its cost (artifact correction and spectrum per estimate), which keeps
a one-hour replay within its 2 s budget (benchmarks/bench_pipeline.py)."""
RR_FIRST_STEP_S = 5.0
"""Grid of the first breathing estimate from the heart rhythm, s: the step of
``breathwise breaths --rr`` (:func:`analysis.rr_breath.estimate_breathing_from_rr`'s default), so
the first reading comes with the first full window that command reads, up to 5 s sooner than on
the :data:`RR_STEP_S` grid. A 64-70 s strap recording had no rate in its replay, report and
history while ``breaths --rr`` gave one from its window at 65 s."""


UNSHOWN_BREATHS = 3
"""Breaths of the breath-by-breath source not shown that are kept to be shown when it takes
over (Pipeline._breath): it takes over after at most 2.5 of the other's breath periods
without a breath (:data:`analysis.breath_sources.STALE_BREATHS`), so up to 3 of its own."""

SAME_BREATH_FRACTION = 0.25
"""Part of a breath by which its inhale onset may come before the end of the last breath shown,
from the other breath-by-breath source, and still be a new breath (Pipeline._follows_shown):
belt and accelerometer on one simulated 6/min breathing (tests/test_pipeline_sources.py) place
inhale onsets and ends within 0.3 s of each other, and a quarter of a 6/min breath is 2.5 s, of
a 30/min one 0.5 s. An accelerometer that took the wrong direction for inhaling is half a
breath off: the breath overlapping the last one shown is left out, the next one is new."""


ACC_UNSETTLED_SAY_S = 120.0
"""Seconds of accelerometer breaths shown without a learnt inhale direction before the person
is told why nothing is coached. Ordinary breathing has it learnt 54-65 s into a posture at
6/min and 79-95 s at 4/min (:mod:`analysis.acc_breath` step 5); breathing as long in as out
(1:1, box breathing) never does, and its breaths, all uncertain, bring no cues: a whole
session went by without a word."""

ACC_HELD_SAY_S = 15.0
"""Seconds the chest accelerometer's output may stay held for movement before the person is
told: rolling over or sitting up settles within a few seconds
(:attr:`analysis.acc_breath.AccBreathTracker.held_s`); a quarter minute is walking or exercise."""


BELT_FIRST_WAIT_S = 45.0
"""Session seconds during which, with a belt in the session and no belt breath yet, the
accelerometer's breaths are not shown: a belt's first breath comes two breaths in (about 35 s
at 4 breaths/min); the accelerometer's first came sooner, before it had learnt which way is
in, and was shown and scored ahead of the belt's in a healthy session."""

TRAINER_MIN_BREATH_S = 1.5
"""Shortest breath a session counts, s (40 breaths/min; :data:`analysis.breath.MIN_BREATH_S`,
0.75 s, is the detector's default for files). A session coaches slow breathing, where a
quicker cycle is a sniff, a cough or a movement: at 0.75 s a double sniff became two breaths
scored 0 in a paced session (3 sniffs in 5 min took the mean follow from 89 to 73, found in
review), while at 1.5 s it merges into the breath it interrupts, as it did before the
detector's limit was lowered for researchers' fast breathing."""

SENSORS_GONE_KEY = "when_sensors_gone"
"""Header setting saying what a live session does once every sensor is given up (it stayed
away past the give-up time, :data:`devices.source.GIVEN_UP_REASON`): :data:`CARRY_ON` (it goes
on without them to its planned end, as a session without a sensor) or :data:`END_SESSION` (it
ends there, with the sensor's error: a resonance assessment, which is nothing without its
measurements). Absent in recordings made before 2026-12-08, whose sessions all ended there.
In the header, not decided again by whoever reads the recording, so that a replay says what
the live session did, with today's rule or not."""
CARRY_ON = "carry on"
""":data:`SENSORS_GONE_KEY`: the session goes on to its planned end without its sensors."""
END_SESSION = "end"
""":data:`SENSORS_GONE_KEY`: the session ends when its last sensor is given up."""


def sensors_gone_message(several: bool) -> str:
    """The one line that says a session carries on once its last sensor is given up (review
    31 F1: it ended there, 80 s to 10 min before its planned end, and silently, in programs
    done with the eyes closed); ``several``: a session of more than one sensor. Not how to
    stop: the line is the pipeline's, the same in a replay, a batch or a session run where no
    keys reach (cron), and the screen's key bar and the line keys' note already say it."""
    what, them = ("sensors", "them") if several else ("sensor", "it")
    return f"{what} gone: carrying on without {them} to the planned end"


def sensors_back_message() -> str:
    """The line that says a session carrying on without its sensors measures again: a sensor
    given up was looked for and found (a ``restored`` link event after the give-up), and the
    "carrying on without it" of :func:`sensors_gone_message` is no longer true."""
    return "sensor back: measuring again"


_AT_END_S = 1e-6
"""A program event this close to the session's end, s, begins with it (float sums of step
lengths land a rounding error either side of the end)."""

PROGRAM_END_SLACK_S = 1e-9
"""At the session's end, program events up to this much later are due too: the end is kept in
whole nanoseconds and a program's length is a sum of floats, so the program's own end can lie
an ulp or a rounded nanosecond after the session's."""


def impossible_heart_values(
    hr_bpm: int, rr_ms: Sequence[float], since_previous_beat_s: float
) -> str | None:
    """Why a decoded Heart Rate Measurement holds values no heart produces, or None.

    Parameters
    ----------
    hr_bpm : int
        Its heart-rate field, beats/min.
    rr_ms : sequence of float
        Its RR intervals, ms.
    since_previous_beat_s : float
        Session time from the previous beat (or, before the first, the session's start) to
        the notification's arrival, s.

    Returns
    -------
    str or None
        A heart rate above :data:`MAX_HEART_RATE_FIELD_BPM`, or intervals that would begin
        more than :data:`RR_REACH_BACK_S` before the previous beat, in words; None when there
        is none. Short intervals (a spurious beat) and 0 ms ones are judged elsewhere (the
        artifact correction, and the caller).
    """
    if hr_bpm > MAX_HEART_RATE_FIELD_BPM:
        return f"heart rate {hr_bpm} bpm, above {MAX_HEART_RATE_FIELD_BPM:.0f}"
    reach_s = math.fsum(rr_ms) / 1000.0
    if reach_s > since_previous_beat_s + RR_REACH_BACK_S:
        return (
            f"RR intervals of {reach_s:.1f} s, {since_previous_beat_s:.1f} s after the "
            "previous beat"
        )
    return None


@dataclass(slots=True)
class _BeltState:
    fs_hz: float
    force_channel: int
    # The arrival-rate check (Pipeline._check_belt_rate). The header's rate is the reference;
    # fs_hz is the rate in use. A stretch: its first packet's time, the samples since (its
    # first packet's included), the last packet's time and counter byte, and the earliest
    # packet (least arrival offset against the sample count at recorded_hz) at each end.
    recorded_hz: float = 0.0
    stretch_t0_s: float | None = None
    stretch_samples: int = 0
    stretch_last_s: float = 0.0
    last_counter: int | None = None
    head_min: tuple[float, float] | None = None
    tail_min: tuple[float, float] | None = None
    measured_hz: list[float] = field(default_factory=list)
    # Bridging (Pipeline._belt_packet): consecutive +1 counter steps seen (up to the trust
    # count), and the bridged spans (session s, from the last real sample to the next) whose
    # breaths are marked uncertain.
    counter_steps: int = 0
    unread: int = 0
    bridged_spans: list[tuple[float, float]] = field(default_factory=list)
    tracker: BreathTracker | None = None
    t0_s: float = 0.0
    n_samples: int = 0
    last_good: float | None = None
    pending: list[float] = field(default_factory=list)
    # Packets longer than a notification (ATT MTU 23: 20 bytes) arrive in pieces.
    joiner: Reassembler = field(default_factory=Reassembler)
    ahead: _BeltLookahead | None = None
    """The tracker fed ahead of the flushes in a call of many items (Pipeline._look_ahead)."""


@dataclass(slots=True)
class _BeltLookahead:
    """A breath tracker fed, in one call, the samples the belt packets of a ``handle`` call
    are expected to bring, and what it found, for :meth:`Pipeline._flush_belt` to hand out
    flush by flush (:meth:`Pipeline._look_ahead`).

    ``tracker`` is the belt's tracker, already fed ``samples``; ``before`` a copy of it as it
    was before them, to go back to when the samples the packets bring are not those expected
    (lost ones bridged, or the expected ones ended early by a command reply or a packet in
    pieces; a restart drops the tracker and its look-ahead). ``fed`` of the ``samples`` have
    come so far, and ``breaths`` holds, in order, the breaths found and not yet handed out,
    each with the index (from the first sample ``base``) of the sample whose update returns
    it.
    """

    tracker: BreathTracker
    before: BreathTracker
    samples: npt.NDArray[np.float64]
    base: int
    breaths: deque[tuple[int, Breath]]
    fed: int = 0


LOOKAHEAD_MIN_ITEMS = 64
"""Items in one :meth:`Pipeline.handle` call from which the belt's breath tracker is fed its
samples ahead of the flushes, in one update (:meth:`Pipeline._look_ahead`): a replay at full
speed hands 4096 at a time; live, a call holds a few."""

LOOKAHEAD_MIN_SAMPLES = 100
"""Belt samples a look-ahead needs to be worth its copy of the tracker (5 s at 20 Hz)."""

_NEVER_NS = 2**63
"""A host clock no item reaches (recordings hold signed 64-bit ns)."""


def _event_time(event: Event) -> float:
    """Session time of a status line, a program event or a pacer cue, seconds."""
    assert isinstance(event, StatusEvent | ProgramEvent | PhaseEvent)
    return event.t_s


class _EventLog(list[Event]):
    """The events of one call of the pipeline, in the order they happen.

    Consecutive belt packets are merged: their samples wait (``_BeltState.pending``) until an
    item of another kind or the end of the call, and only then are the breaths they hold found.
    An event added meanwhile (a sensor silent since the start, a malformed packet, the belt's
    rate, a program's step) came before breaths those earlier samples confirm, when the items
    were handled in one call (``replay --speed max``, 4096 at a time) and after them when
    handled one by one (live, a timed replay): a status line at 10.0 s was printed above the
    breaths of 4.5 and 8.3 s. So adding an event first analyses the belt
    samples held (``before``), whatever path adds it: the order is that of one item at a time.
    ``before`` adds events of its own (belt samples, breaths) once nothing is held any more:
    the call each of those makes back into it returns at once.
    """

    __slots__ = ("_before",)

    def __init__(self, before: Callable[[_EventLog], None]) -> None:
        super().__init__()
        self._before = before

    def append(self, event: Event, /) -> None:
        """Add ``event`` after the events of the belt samples held before it."""
        self._before(self)
        super().append(event)


class Pipeline:
    """Decoders, processors and coach for one session.

    Parameters
    ----------
    header : Header
        The session header: start clocks and per-stream parameters (belt sample period).
    coach : Coach, optional
        Defaults to a :class:`Coach` with its default cue interval.

    When the header's settings carry a program plan (``settings["program_plan"]``, see
    :mod:`trainer.storage.program_codec`), the pipeline lays the program out in session time and
    reports its steps, sides, repetitions and cues as :class:`trainer.session.events.ProgramEvent`
    at the first item at or after each one, so live, replay and batch see them at the same items.
    The pacer itself only follows recorded pacer changes.

    The program runs on :attr:`program_clock`: recorded pauses stop it, so while the person has
    paused nothing of the program begins, and after the resume it goes on where it was. Program
    events are reported in session time (program time plus the pauses before it).

    With ``phases=True`` the pacer's cues (:meth:`trainer.coaching.pacer.Pacer.phase_cues`) are
    reported too, as :class:`trainer.session.events.PhaseEvent`, as program events are: at the first
    item, or the first :meth:`catch_up` or :meth:`finish`, that has gone past each one. Both, and
    the status line of a silent sensor, are then reported in the order of their times, so that where
    the items and the catch-ups fall between them does not change the order either: a live session
    that catches up every tick prints what its replay, which has only the items, prints.
    """

    def __init__(self, header: Header, *, coach: Coach | None = None, phases: bool = False) -> None:
        self.header = header
        self.coach = coach or Coach()
        self.phases = phases
        # The pacer's cues still to say (phases=True), from _cues_said_s on: asked again of the
        # pacer at each change, which can retime those after it.
        self._cues: Iterator[PhaseCue] | None = None
        self._next_cue: PhaseCue | None = None
        self._cues_said_s = -math.inf
        # No item stamped before this (host ns) has the next cue due: one comparison per item.
        self._cue_due_ns = _NEVER_NS
        self.pacer: Pacer | None = None
        self.target_ratio: float | None = DEFAULT_OWN_RATIO
        self._previous_context: tuple[Pacer | None, float | None] = (None, DEFAULT_OWN_RATIO)
        self._context_since_s = -math.inf
        # The reader refuses a belt stream without its period; without a belt stream no belt
        # packet is analysed, so the rate below is never used.
        gdx = header.source.streams.get(Stream.GODIRECT.value, {})
        period_us = float(gdx.get("period_us", 1_000_000))
        self._belt = _BeltState(
            fs_hz=1e6 / period_us,
            force_channel=int(gdx.get("force_channel", 1)),
            recorded_hz=1e6 / period_us,
        )
        self._pmd = PmdStreamDecoder(
            header.source.streams.get(Stream.PMD_DATA.value), header.start_mono_ns
        )
        self.pmd_samples: Counter[str] = Counter()
        self._pmd_kinds = frozenset(header.source.streams.get(Stream.PMD_DATA.value) or {})
        # PMD streams the sensor stopped on its own and not yet back: kind -> session time, s.
        self._pmd_stopped: dict[str, float] = {}
        self._source_name = header.source.name
        self._has_belt = Stream.GODIRECT.value in header.source.streams
        self._not_belt_devices = _not_belt_devices(header.source)
        self._has_acc = "acc" in (header.source.streams.get(Stream.PMD_DATA.value) or {})
        self._acc: TimedAccBreathTracker | None = None
        self._acc_too_slow = False
        self._acc_moving_said = False
        # What the sensors did otherwise than asked while connecting, said with the first
        # events, live and in every replay of the recording (its header keeps them).
        self._device_notes: list[Event] = [
            StatusEvent(0.0, "device", note) for note in source_notes(header.source)
        ]
        self._acc_held_said = False
        # Inhale onset of the first of the accelerometer breaths shown in a row without a learnt
        # inhale direction (None: the last one shown had it), and whether that run was told.
        self._acc_unsettled_since: float | None = None
        self._acc_unsettled_said = False
        self._heart_cache: tuple[tuple[int, int, float], HeartMetrics] | None = None
        # Raw RR from the strap: the tracker corrects artifacts in each window it analyses.
        self._rr_breath = RRBreathTracker(
            step_s=RR_STEP_S, first_step_s=RR_FIRST_STEP_S, correct_artifacts=True
        )
        self._estimators = {name: BreathEstimator(name) for name in ("belt", "acc")}
        self._selector = BreathSourceSelector()
        # Whose breaths are shown and coached when belt and accelerometer both give them (see
        # _breath): the same choice as the rate's, between those two alone.
        self._breath_selector = BreathSourceSelector()
        self._last_shown: tuple[str, Breath] | None = None
        self._unshown: dict[str, deque[Breath]] = {
            name: deque(maxlen=UNSHOWN_BREATHS) for name in ("belt", "acc")
        }
        self._latest_estimate: dict[str, BreathEstimate] = {}
        self.rr_estimates: list[RRBreathEstimate] = []
        # The heart rhythm's estimates whose window held no pause, and of those the ones whose
        # window the pacer paced throughout: what a strap-alone session's rate is from, as
        # counted_breaths picks the breaths of a belt or accelerometer. Each with the rate the
        # pacer held over its whole window (None when it held none), the rate it was asked.
        # "own": the unpaused windows the pacer paced none of (a session paced for less than
        # half its time is headlined by its own-rhythm part, counted_breaths).
        self._rr_counted: dict[str, list[tuple[RRBreathEstimate, float | None]]] = {
            "paced": [],
            "own": [],
            "unpaused": [],
        }
        self.paces: list[PaceEvent] = []
        self.estimates: dict[str, list[BreathEstimate]] = {}
        self.breath_rate: BreathRateEvent | None = None
        self._timeline = BeatTimeline()
        self._hr = HeartRateTracker()
        self.device_hr: list[tuple[float, float]] = []
        """Every heart rate the strap reported (session s, beats/min), RR or not."""
        # Session time of the latest beat, or report of a strap without RR (HR_STALE_S).
        self._heart_t_s: float | None = None
        self._hr_only_packets = 0
        self._sensors = listed_sensors(header.source)
        # Addresses of the sensors given up for the rest of the session (_link_event).
        self._given_up: set[str] = set()
        self.carries_on = header.settings.get(SENSORS_GONE_KEY) == CARRY_ON
        """Whether the session goes on to its planned end once every sensor is given up (its
        header's :data:`SENSORS_GONE_KEY`)."""
        self.sensors_gone_s: float | None = None
        """Session time (s) at which the last of the sensors was given up, None while one is
        still there (or will be reconnected, or came back since); with :attr:`carries_on`,
        the session went on without them from then."""
        self._data_streams: set[str] = set()
        self._silence_checked = not self._sensors
        self._contact_ok = True
        self.breaths: list[BreathEvent] = []
        self.beats: list[Beat] = []
        self.marks: list[MarkEvent] = []
        self.gaps: list[tuple[str, float, float | None]] = []
        self.packet_counts: Counter[str] = Counter()
        self.decode_errors: Counter[str] = Counter()
        self.last_t_s = 0.0
        # The time the pacer paced (not paused, not an own-rhythm step), s: the pacing spans
        # closed so far, the one open since _paced_from_s, and when the last one closed.
        self._paced_closed_s = 0.0
        self._paced_from_s: float | None = None
        self._paced_until_s = -math.inf
        self.strain = StrainMonitor()
        self.strain_signs: list[StrainEvent] = []
        plan_json = header.settings.get(PLAN_KEY)
        self.program: ProgramTimeline | None = None
        if plan_json is not None:
            plan = plan_from_json(plan_json)
            self.program = ProgramTimeline(
                plan.program, personal_rate_bpm=plan.personal_rate_bpm, start_s=plan.start_s
            )
        self._program_t_s = -math.inf
        self.program_clock = ProgramClock()
        """The recorded pauses: practised time; and with the skips, program time when a program
        runs."""
        self.skips: list[SkipEvent] = []
        """The steps the person skipped the rest of (key ``n``), in order."""
        self.from_step = 1
        """The 1-based step the program started at (``live --from-step``; 1: its first)."""
        if self.program is not None:
            self.from_step = _from_step(header.settings.get(FROM_STEP_KEY), self.program)
            if self.from_step > 1:
                # Started further in: the program's clock is at that step from session time 0,
                # and what lies before it is never reached (said, chimed or conducted).
                start_s = self.program.step_start_s(self.from_step - 1)
                self.program_clock.skip(0, round(start_s * NS_PER_S))

    # ----------------------------------------------------------------------------- time
    def session_time_s(self, t_mono_ns: int) -> float:
        """Session seconds of a host monotonic timestamp."""
        return (t_mono_ns - self.header.start_mono_ns) / NS_PER_S

    @property
    def hr_bpm(self) -> float | None:
        """Current heart rate: from RR when there is any, else what the strap reported."""
        value = self._hr.hr_bpm
        if value is None and self.device_hr:
            return self.device_hr[-1][1]
        return value

    @property
    def belt_fs_hz(self) -> float:
        """Sampling rate of the belt force channel (Hz)."""
        return self._belt.fs_hz

    # ----------------------------------------------------------------------------- items
    def handle(self, items: Sequence[Item]) -> list[Event]:
        """Process items in order and return the events they cause, in order.

        The events are the same, in the same order, however the items are split into calls
        (one by one live and in a timed replay, 4096 at a time at ``--speed max``).
        """
        events = _EventLog(self._flush_belt)
        events.extend(self._device_notes)
        self._device_notes = []
        if len(items) >= LOOKAHEAD_MIN_ITEMS and self._has_belt:
            self._look_ahead(items)
        for item in items:
            # One comparison for most items: nothing is due without a program, once the
            # silence check is done, before the next pacer cue (never, without phases).
            if (
                item.t_mono_ns >= self._cue_due_ns
                or self.program is not None
                or not self._silence_checked
            ):
                self._say_due(item.t_mono_ns, events)
            if isinstance(item, RawPacket):
                self.last_t_s = self.session_time_s(item.t_mono_ns)
                self.packet_counts[item.stream] += 1
                if item.stream == Stream.GODIRECT:
                    # Without the belt's parameters its period is unknown: recorded, not
                    # analysed (the reader refuses such a file; only a live header can lack them).
                    if self._has_belt:
                        self._belt_packet(item, events)
                    continue
                self._flush_belt(events)
                if item.stream == Stream.HEART_RATE:
                    self._heart_packet(item, events)
                elif item.stream == Stream.PMD_DATA:
                    self._pmd_packet(item, events)
                elif item.stream == Stream.PMD_CONTROL:
                    self._pmd_control_packet(item, events)
                # Other streams (control points, unknown ids) are recorded, not analysed.
                continue
            self._flush_belt(events)
            if isinstance(item, PacerChange):
                self._pacer_change(item, events)
            elif isinstance(item, LinkEvent):
                self._link_event(item, events)
            elif isinstance(item, Mark):
                mark = MarkEvent(self.session_time_s(item.t_mono_ns), item.label)
                self.marks.append(mark)
                events.append(mark)
        self._flush_belt(events)
        self._end_look_ahead()
        return list(events)

    def finish(self, end_mono_ns: int) -> list[Event]:
        """The events due by the session's end that no item came to trigger: the program's cues
        and its end, when the session ran the whole program.

        Program events are otherwise found as items arrive, and none arrives at or after the
        planned end (the session stops there), so the program's end went unsaid. Live and
        replay both call this with the recorded end, so both say the same.
        """
        events = _EventLog(self._flush_belt)
        self._say_due(end_mono_ns, events, slack_s=PROGRAM_END_SLACK_S, at_end=True)
        self._flush_belt(events)
        return list(events)

    def catch_up(self, t_mono_ns: int, *, slack_s: float = 0.0) -> list[Event]:
        """The program's events due by ``t_mono_ns`` (plus ``slack_s``) that no item came to
        trigger: while the sensor is silent, or when there is none (``--device none``), a live
        session calls this so that steps and cues are said on time. A replay finds the same
        events at its next item, with the same times and in the same order."""
        events = _EventLog(self._flush_belt)
        self._say_due(t_mono_ns, events, slack_s=slack_s)
        self._flush_belt(events)
        return list(events)

    @property
    def next_phase_s(self) -> float | None:
        """Session time (s) of the next pacer cue not yet reported, as the pacer stands now
        (None without ``phases``, without a pacer, or while it is paused)."""
        return None if self._next_cue is None else self._next_cue.t_s

    def _say_due(
        self, t_mono_ns: int, events: _EventLog, *, slack_s: float = 0.0, at_end: bool = False
    ) -> None:
        """Add what has fallen due by ``t_mono_ns`` with no item of its own: a silent sensor's
        status line, the program's events and (``phases``) the pacer's cues.

        With ``phases`` they are added in the order of their times (ties: the status line, then
        the program, then the pacer), each said once the session has gone past it: a set of
        them said over two calls comes out in the order it does in one, however the calls fall
        (the class notes). Without, in the order the status line and the program events always
        came, which replays of earlier recordings print.
        """
        due: list[Event] = []
        if not self._silence_checked:
            self._check_silence(t_mono_ns, due)
        if self.program is not None:
            self._program_events(t_mono_ns, due, slack_s=slack_s, at_end=at_end)
        if self.phases and self._next_cue is not None:
            cues = self._phase_events(t_mono_ns)
            if cues:
                due = list(heapq.merge(sorted(due, key=_event_time), cues, key=_event_time))
        for event in due:
            events.append(event)  # one by one: _EventLog analyses held belt samples first

    def _phase_events(self, t_mono_ns: int) -> list[Event]:
        """The pacer's cues the session has gone past by ``t_mono_ns``, as program events are
        (``_AT_END_S``): a cue at the very instant of a change is that change's to retime."""
        limit = self.session_time_s(t_mono_ns) - _AT_END_S
        found: list[Event] = []
        cue = self._next_cue
        while cue is not None and cue.t_s <= limit:
            found.append(PhaseEvent(cue.t_s, cue.phase, cue.left_s))
            self._cues_said_s = cue.t_s
            cue = next(self._cues, None) if self._cues is not None else None
        self._set_next_cue(cue)
        return found

    def _set_next_cue(self, cue: PhaseCue | None) -> None:
        """Keep ``cue`` as the next to say, and the first item stamp it can be due at: a
        nanosecond below its time plus ``_AT_END_S``, the exact test being
        :meth:`_phase_events`'."""
        self._next_cue = cue
        if cue is None:
            self._cue_due_ns = _NEVER_NS
        else:
            offset_ns = math.floor((cue.t_s + _AT_END_S) * NS_PER_S) - 1
            self._cue_due_ns = self.header.start_mono_ns + offset_ns

    def _restart_cues(self) -> None:
        """Ask the pacer again for its cues after ``_cues_said_s``: a change has just been made
        to it (or it has gone, for an own-rhythm step)."""
        if self.pacer is None:
            self._cues = None
            self._set_next_cue(None)
            return
        self._cues = self.pacer.phase_cues(self._cues_said_s)
        self._set_next_cue(next(self._cues, None))

    def _check_silence(self, t_mono_ns: int, events: list[Event]) -> None:
        """Once the session has reached :data:`SILENT_SAY_S`, name each listed sensor that has
        sent no measurement and whose link is up (a lost link is said already), in a status
        line stamped at that time."""
        if self.session_time_s(t_mono_ns) < SILENT_SAY_S:
            return
        self._silence_checked = True
        down = {device for device, _, end in self.gaps if end is None}
        for sensor in self._silent_sensors():
            if sensor.ids & down or (len(self._sensors) == 1 and down):
                continue
            message = (
                f"the {sensor.label} is connected but sends no data: check it is switched on "
                "and worn"
            )
            events.append(StatusEvent(SILENT_SAY_S, "device", message))

    def _silent_sensors(self) -> list[Sensor]:
        """The listed sensors none of whose streams has brought a measurement yet."""
        return [s for s in self._sensors if not s.streams & self._data_streams]

    def program_time_s(self, t_mono_ns: int) -> float:
        """Program seconds at a host monotonic timestamp: session time less the pauses, plus
        what was skipped."""
        offset = t_mono_ns - self.header.start_mono_ns
        return self.program_clock.program_ns(offset) / NS_PER_S

    def _program_events(
        self, t_mono_ns: int, events: list[Event], slack_s: float = 0.0, *, at_end: bool = False
    ) -> None:
        """Add the program's events due by ``t_mono_ns`` (plus ``slack_s``) to ``events``.

        An event is said once the session has gone past its time, not at it: at the instant
        a step begins the session may be ending, and a step, side, repetition or cue that
        begins with the end is never practised (a session cut at a step's start said "step
        2/13 at 60.0 s" as it closed). ``at_end``: ``t_mono_ns`` is the session's end, where
        only the program's own end may begin.
        """
        assert self.program is not None
        t_s = self.program_time_s(t_mono_ns)
        if at_end:
            found = self.program.events(self._program_t_s, t_s + slack_s)
            found = [e for e in found if e.kind is EventKind.END or e.t_s < t_s - _AT_END_S]
        else:
            found = self.program.events(self._program_t_s, t_s - _AT_END_S)
        self._program_t_s = max(self._program_t_s, t_s - _AT_END_S)
        clock = self.program_clock
        # What a skip jumped over is never reached: not said (a step's line, its cues).
        found = [
            e for e in found if e.kind is not EventKind.PATTERN and not clock.skipped_over_s(e.t_s)
        ]
        if not found:
            return
        steps = self.program.program.steps
        for event in found:
            events.append(
                ProgramEvent(
                    self.program_clock.session_s(event.t_s),
                    event.kind,
                    event.step_index,
                    len(steps),
                    steps[event.step_index].title,
                    event.text,
                    _step_detail(steps[event.step_index]) if event.kind is EventKind.STEP else "",
                )
            )

    def _belt_packet(self, packet: RawPacket, events: _EventLog) -> None:
        joiner = self._belt.joiner
        dropped = joiner.dropped
        try:
            whole = joiner.feed(packet.payload)
        except DecodeError as exc:
            self._decode_error(packet, exc, events)
            return
        if joiner.dropped != dropped:
            cut = DecodeError("an incomplete Go Direct packet was cut off by the next one")
            self._decode_error(packet, cut, events)
        if whole is None or not is_measurement_packet(whole):
            return  # command replies share the characteristic; they are recorded, not analysed
        self._data_streams.add(packet.stream)
        try:
            values = channel_values(whole, self._belt.force_channel)
        except DecodeError as exc:  # a missing channel included: only DecodeError comes out
            self._decode_error(packet, exc, events)
            return
        belt = self._belt
        t_s = self.last_t_s  # handle() has just set it from this packet's arrival
        # Byte 2 is the packet's rolling counter (devices.godirect), read for every measurement
        # packet so that an information packet between two is not taken for a lost one.
        previous_counter = belt.last_counter
        self._check_belt_rate(t_s, whole[2], len(values), events)
        if not values:
            return
        if belt.last_good is None:
            # Nothing to hold a glitch at yet: the analysed belt starts at its first finite
            # sample (holding 0.0 instead made a step that hid the breaths for a minute).
            while values and not math.isfinite(values[0]):
                values = values[1:]
            if not values:
                return
            belt.last_good = values[0]
        n = len(values)
        if belt.tracker is not None:
            expected_last_s = belt.t0_s + (belt.n_samples + len(belt.pending) + n - 1) / belt.fs_hz
            late_s = t_s - expected_last_s
            # Only a counter seen to count packets says how many samples were lost.
            lost, counted = 0, False
            if previous_counter is not None and belt.counter_steps >= BELT_COUNTER_TRUST_STEPS:
                lost, counted = n * ((whole[2] - previous_counter - 1) & 0xFF), True
            if lost:
                lost_s = lost / belt.fs_hz
                fits = abs(late_s - lost_s) <= BELT_BRIDGE_FIT_PERIODS / belt.fs_hz
                if fits and lost_s <= BELT_BRIDGE_MAX_S:
                    self._fill_lost_belt_samples(lost, values)
                elif abs(late_s) > BELT_RESYNC_S or lost_s > BELT_BRIDGE_MAX_S:
                    self._restart_belt(events)
            elif abs(late_s) > BELT_RESYNC_S:
                # Late with none lost: held up on the way, sampled on time. Restarting there
                # took the late arrival for the time base, and every later breath stayed up to
                # 1 s late. Up to half a counter's turn only, so that 256 lost packets are not
                # taken for none.
                held_up_max_s = min(BELT_DELAY_MAX_S, 128 * n / belt.fs_hz)
                if not (counted and 0.0 < late_s <= held_up_max_s):
                    self._restart_belt(events)
        if belt.tracker is None:
            belt.t0_s = t_s - (n - 1) / belt.fs_hz
            belt.n_samples = 0
            # A belt slower than 2.5 Hz (only a hand-set period) gets a cutoff below its Nyquist
            # rate, so that it is analysed as far as it can be rather than stopping the session.
            cutoff_hz = min(BELT_CUTOFF_HZ, 0.4 * belt.fs_hz)
            belt.tracker = BreathTracker(
                belt.fs_hz,
                t0_s=belt.t0_s,
                cutoff_hz=cutoff_hz,
                min_breath_s=TRAINER_MIN_BREATH_S,
            )
        # A NaN sample (sensor glitch) would poison the filter state: hold the last good value.
        # The held value lives in the state, so the result does not depend on packet grouping.
        last_good = belt.last_good
        for value in values:
            if math.isfinite(value):
                last_good = value
            belt.pending.append(last_good)
        belt.last_good = last_good

    def _restart_belt(self, events: _EventLog) -> None:
        """Analyse the samples held, then start a new breath tracker at the next packet."""
        self._flush_belt(events)
        self._belt.tracker = None
        self._belt.ahead = None

    def _fill_lost_belt_samples(self, lost: int, values: tuple[float, ...]) -> None:
        """Stand in for ``lost`` samples of lost packets by a straight line to ``values``.

        Called when a counter trusted to count packets (:data:`BELT_COUNTER_TRUST_STEPS`)
        says packets holding at most :data:`BELT_BRIDGE_MAX_S` of samples were lost and the
        arrival time agrees within :data:`BELT_BRIDGE_FIT_PERIODS` sample periods (the packet
        is as late against the sample count as the lost samples last, not a stall): the
        tracker then goes on at the right sample count instead of restarting, which cost a
        breath or two each time (2 % of packets lost over 300 s: 21 of 30 breaths found). The
        line is at most a quarter of the shortest breath, and a breath turning inside a long
        enough one is marked uncertain (:data:`BELT_BRIDGE_UNCERTAIN_FRACTION`); only samples
        before this packet's are made, so nothing is looked ahead of.
        """
        belt = self._belt
        assert belt.last_good is not None
        first = belt.n_samples + len(belt.pending)
        belt.bridged_spans.append(
            (belt.t0_s + (first - 1) / belt.fs_hz, belt.t0_s + (first + lost) / belt.fs_hz)
        )
        start = belt.last_good
        end = next((v for v in values if math.isfinite(v)), start)
        steps = np.arange(1, lost + 1, dtype=np.float64) / (lost + 1)
        belt.pending.extend((start + (end - start) * steps).tolist())

    def _check_belt_rate(self, t_s: float, counter: int, n_samples: int, events: _EventLog) -> None:
        """Measure the belt's sample rate from its packets' arrival; change rate when it is off.

        A packet leaves the belt when its last sample is taken and arrives after a delay that is
        never negative but often long: a stall of the host or the radio (link-layer retries)
        delivers seconds of packets at once. Against the recorded rate ``f0`` a packet's arrival
        offset is ``t - N / f0`` (``N`` samples since the stretch began); at the true rate ``f``
        its least value grows as ``t (1 - f / f0)``. The least offset in the first and in the
        last :data:`BELT_RATE_BLOCK_S` of a :data:`BELT_RATE_STRETCH_S` stretch is an on-time
        packet at each end unless a whole block was late, so ``f = f0 (1 - slope)`` between the
        two, and delays inside the stretch do not count. A lost packet would make the rate look
        slow: the packet counter (byte 2) must step by exactly one from packet to packet, else
        the stretch starts again, as it does after a pause longer than
        :data:`BELT_STEADY_GAP_S` and on a link loss of the belt (:meth:`_reset_belt_rate`). A
        counter that does not count by one never lets a stretch end, so the analysis then keeps
        the recorded period. The same steps, :data:`BELT_COUNTER_TRUST_STEPS` in a row, let
        :meth:`_belt_packet` trust the counter for bridging lost samples.

        The analysis changes rate only when :data:`BELT_RATE_STRETCHES` consecutive stretches
        all measure more than :data:`BELT_RATE_TOLERANCE` off the rate in use (a header
        written with another period than the belt kept) and agree with each other within
        :data:`BELT_RATE_AGREEMENT`; it goes back to the recorded rate when the stretches fit
        it again, and says each change as a measurement. The arrival times are the host's only
        clock for the belt, as Polar frames' rates come from their timestamps
        (docs/reference/design.md, "Time"); the same packets and arrival times give the same
        result in a replay.
        """
        belt = self._belt
        step = None if belt.last_counter is None else (counter - belt.last_counter) & 0xFF
        follows = step == 1
        # Each unread packet since the last measurement took a value (BELT_COUNTER_TRUST_STEPS).
        counts = step is not None and 1 <= step <= 1 + belt.unread
        belt.last_counter, belt.unread = counter, 0
        if belt.counter_steps < BELT_COUNTER_TRUST_STEPS:
            belt.counter_steps = belt.counter_steps + 1 if counts else 0
        if (
            belt.stretch_t0_s is None
            or not follows
            or t_s - belt.stretch_last_s > BELT_STEADY_GAP_S
        ):
            self._start_belt_stretch(t_s, n_samples)
            return
        belt.stretch_samples += n_samples
        belt.stretch_last_s = t_s
        offset = (t_s - belt.stretch_t0_s, t_s - belt.stretch_samples / belt.recorded_hz)
        head = belt.head_min
        if offset[0] <= BELT_RATE_BLOCK_S and (head is None or offset[1] < head[1]):
            belt.head_min = offset
        if offset[0] < BELT_RATE_STRETCH_S - BELT_RATE_BLOCK_S:
            return
        if belt.tail_min is None or offset[1] < belt.tail_min[1]:
            belt.tail_min = offset
        if offset[0] < BELT_RATE_STRETCH_S:
            return
        head, tail = belt.head_min, belt.tail_min
        assert head is not None and tail is not None
        slope = (tail[1] - head[1]) / (tail[0] - head[0])
        self._start_belt_stretch(t_s, n_samples)
        belt.measured_hz = [*belt.measured_hz, belt.recorded_hz * (1.0 - slope)]
        belt.measured_hz = belt.measured_hz[-BELT_RATE_STRETCHES:]
        if len(belt.measured_hz) < BELT_RATE_STRETCHES or any(
            abs(hz / belt.fs_hz - 1.0) <= BELT_RATE_TOLERANCE for hz in belt.measured_hz
        ):
            return
        slowest_hz = min(belt.measured_hz)
        # All off the rate in use and agreeing within a few %: all on one side of it, so their
        # mean is off it too. (No samples over a stretch reads 0 Hz: no rate to follow.)
        if slowest_hz <= 0.0 or max(belt.measured_hz) / slowest_hz - 1.0 > BELT_RATE_AGREEMENT:
            return  # the stretches disagree with each other too: no rate is shown
        measured_hz = float(np.mean(belt.measured_hz))
        seconds = BELT_RATE_STRETCHES * BELT_RATE_STRETCH_S
        if abs(measured_hz / belt.recorded_hz - 1.0) <= BELT_RATE_TOLERANCE:
            new_hz = belt.recorded_hz
            message = (
                f"belt samples arrived at {measured_hz:.1f} Hz over the last {seconds:g} s, "
                f"its recorded {belt.recorded_hz:g} Hz again; breaths are found at that rate"
            )
        else:
            new_hz = measured_hz
            message = (
                f"belt samples arrived at {measured_hz:.1f} Hz over the last {seconds:g} s, "
                f"not the {belt.recorded_hz:g} Hz recorded; breaths are found at the "
                "measured rate"
            )
        events.append(StatusEvent(t_s, "breathing", message))
        # The samples held so far (analysed by the append above, _EventLog) were taken at the
        # old rate; the next ones start a tracker at the new one.
        self._restart_belt(events)
        belt.fs_hz = new_hz
        belt.measured_hz = []

    def _start_belt_stretch(self, t_s: float, n_samples: int) -> None:
        belt = self._belt
        belt.stretch_t0_s, belt.stretch_last_s = t_s, t_s
        belt.stretch_samples = n_samples
        belt.head_min = (0.0, t_s - n_samples / belt.recorded_hz)
        belt.tail_min = None

    def _reset_belt_rate(self) -> None:
        """Forget the belt's rate stretches: packets after the belt's link gap start a new count.

        The counter's trust (:data:`BELT_COUNTER_TRUST_STEPS`) stays: it is the same belt.
        """
        belt = self._belt
        belt.stretch_t0_s, belt.last_counter = None, None
        belt.measured_hz = []

    def _flush_belt(self, events: _EventLog) -> None:
        belt = self._belt
        if not belt.pending or belt.tracker is None:
            return
        chunk = np.asarray(belt.pending, dtype=np.float64)
        t0 = belt.t0_s + belt.n_samples / belt.fs_hz
        belt.pending = []
        belt.n_samples += chunk.size
        events.append(BeltEvent(t0, belt.fs_hz, chunk))
        for breath in self._track(chunk):
            # A breath turning where a straight line stood in for lost samples has that turn
            # (and so its phases and rate) drawn, not measured: it is not good
            # (analysis.breath: "uncertain"). A line elsewhere in the breath moves no turn.
            margin_s = 1.0 / belt.fs_hz
            turns_s = (breath.inhale_onset_s, breath.exhale_onset_s, breath.end_s)
            belt.bridged_spans = [
                s for s in belt.bridged_spans if s[1] + margin_s >= breath.inhale_onset_s
            ]
            # The line can misplace a turn by up to its length; a short line in a long breath
            # (one sample at 6/min) moves it too little to matter.
            longest_s = BELT_BRIDGE_UNCERTAIN_FRACTION * (breath.end_s - breath.inhale_onset_s)
            if breath.quality == "good" and any(
                start - margin_s <= turn_s <= end + margin_s
                for start, end in belt.bridged_spans
                if end - start - margin_s > longest_s
                for turn_s in turns_s
            ):
                breath = replace(breath, quality="uncertain")
            self._breath(breath, events, "belt")

    def _look_ahead(self, items: Sequence[Item]) -> None:
        """Feed the belt's tracker now, in one update, the samples the belt packets among
        ``items`` are expected to bring: :meth:`_flush_belt` then hands out its breaths
        flush by flush (:meth:`_track`) instead of updating it with each second's samples.

        The breaths, and the flush each comes out of, are those of the flush-by-flush
        updates: a tracker finds the same breaths, each returned by the update holding the
        sample that completes it (its ``detected_s``), however its input is split into updates
        (analysis.breath; tests/test_breath.py), and the samples are checked, flush by flush,
        against those expected. Nothing is looked ahead of: each breath still comes out at the
        flush of that sample, after the events of the items before it. What costs a breath
        fitted alone at each flush (about 1 ms, numpy's per-call overhead on one breath's
        arrays) is shared by the breaths of the whole call: a 1 h replay at full speed spent a
        quarter of its time there. The expected samples are those of whole measurement packets,
        a glitch held at the last good value, as :meth:`_belt_packet` makes them; the first
        packet that is not one of the first one's layout (a command reply, one in pieces, a
        decode error) ends them, read in one go (:func:`devices.godirect.run_channel_values`).
        """
        belt = self._belt
        tracker = belt.tracker
        last_good = belt.last_good
        if tracker is None or last_good is None or belt.ahead is not None or belt.joiner.pending:
            return
        payloads = [
            item.payload
            for item in items
            if isinstance(item, RawPacket) and item.stream == Stream.GODIRECT
        ]
        values, _ = run_channel_values(payloads, belt.force_channel)
        if len(belt.pending) + values.size < LOOKAHEAD_MIN_SAMPLES:
            return
        # A glitch (NaN) holds the last good value, as _belt_packet holds it.
        bad = ~np.isfinite(values)
        if bad.any():
            good_at = np.where(bad, -1, np.arange(values.size))
            np.maximum.accumulate(good_at, out=good_at)
            values = np.where(good_at >= 0, values[np.maximum(good_at, 0)], last_good)
        chunk = np.concatenate((np.asarray(belt.pending, dtype=np.float64), values))
        before = copy.deepcopy(tracker)
        # The tracker counts samples from its first, at belt.t0_s: a breath's detected_s is
        # the time of the sample whose update returns it.
        base, t0_s, fs_hz = belt.n_samples, belt.t0_s, belt.fs_hz
        found = deque(
            (round((b.detected_s - t0_s) * fs_hz) - base, b) for b in tracker.update(chunk)
        )
        belt.ahead = _BeltLookahead(tracker, before, chunk, base, found)

    def _track(self, chunk: npt.NDArray[np.float64]) -> list[Breath]:
        """The breaths the belt's tracker finds in ``chunk``, the samples of one flush: from
        the look-ahead while they are the samples it expected (:meth:`_look_ahead`), else by
        updating the tracker (taken back first to where the expected samples stopped coming)."""
        belt = self._belt
        tracker, ahead = belt.tracker, belt.ahead
        assert tracker is not None
        if ahead is None:
            return tracker.update(chunk)
        end = ahead.fed + chunk.size
        if end <= ahead.samples.size and np.array_equal(chunk, ahead.samples[ahead.fed : end]):
            ahead.fed = end
            found: list[Breath] = []
            while ahead.breaths and ahead.breaths[0][0] < end:
                found.append(ahead.breaths.popleft()[1])
            if end == ahead.samples.size:
                belt.ahead = None  # every expected sample came: the tracker is where it should be
            return found
        return self._undo_look_ahead().update(chunk)

    def _undo_look_ahead(self) -> BreathTracker:
        """The belt's tracker as it would be without the look-ahead: its copy from before,
        fed the expected samples that did come (whose breaths were handed out already)."""
        belt = self._belt
        ahead = belt.ahead
        assert ahead is not None
        belt.ahead = None
        tracker = ahead.before
        if ahead.fed:
            tracker.update(ahead.samples[: ahead.fed])
        belt.tracker = tracker
        return tracker

    def _end_look_ahead(self) -> None:
        """At the end of a ``handle`` call: a look-ahead whose samples did not all come (the
        items ran out of them first) is taken back, so that the next call starts from the
        samples that came."""
        if self._belt.ahead is not None:
            self._undo_look_ahead()

    def _breath(self, breath: Breath, events: _EventLog, source: str) -> None:
        """Take a breath of the belt or the accelerometer: estimate, show, coach.

        With both sources giving breaths, only those of the one a second
        :class:`analysis.breath_sources.BreathSourceSelector`, fed the two alone, answers with
        are shown and coached (two breath lists would count every breath twice); the other's
        feed the rate's selector all the same. When the choice changes between two running
        sources it is said (not at a source's first breath), and the new source's last few
        breaths not yet shown (up to :data:`UNSHOWN_BREATHS`) that began after the last breath
        shown are shown first, so that its breaths run on from the other's.
        """
        estimates = self._estimators[source].update((breath,))
        previous = self._breath_selector.current_source
        chosen = self._breath_selector.update(estimates)
        last = self._latest_estimate.get(previous) if previous is not None else None
        self._latest_estimate.update((e.source, e) for e in estimates)
        # A belt's first breath comes two breaths in, the accelerometer's sooner, before it
        # knows which way is in: with a belt on, its breaths wait for the belt a while (they
        # are shown, the last few, if it never comes).
        waiting = (
            source == "acc"
            and self._has_belt
            and not self.estimates.get("belt")
            and breath.detected_s < BELT_FIRST_WAIT_S
        )
        if chosen is None or chosen.source != source or waiting:
            self._unshown[source].append(breath)
        else:
            # A source's first breath is a source starting (a belt's first comes two breaths
            # in, the accelerometer's may come sooner): the rate line names it; a handover
            # between two running sources is said.
            if previous is not None and previous != source and self.estimates.get(source):
                events.append(
                    StatusEvent(
                        breath.detected_s, "breathing", _handover_note(source, breath, last)
                    )
                )
            pending = [*self._unshown[source], breath]
            self._unshown[source].clear()
            for item in pending:
                if self._follows_shown(item, source):
                    self._show(item, events, source)
        self._estimates(estimates, events)

    def _say_unsettled(self, breath: Breath, events: _EventLog) -> None:
        """Say once, when the accelerometer's breaths shown have had no learnt inhale direction
        for :data:`ACC_UNSETTLED_SAY_S`, that nothing is coached until it is learnt; said again
        after it has been learnt and lost (a new posture)."""
        assert self._acc is not None
        if self._acc.orientation_settled or breath.motion >= MOTION_UNCERTAIN:
            # Movement is said on its own ("moving: ..."), and is reason enough for no cues.
            self._acc_unsettled_since = None
            self._acc_unsettled_said = False
            return
        if self._breath_selector.current_source != "acc":
            return
        if self._acc_unsettled_since is None:
            self._acc_unsettled_since = breath.inhale_onset_s
        waited_s = breath.end_s - self._acc_unsettled_since
        if waited_s >= ACC_UNSETTLED_SAY_S and not self._acc_unsettled_said:
            self._acc_unsettled_said = True
            message = (
                "the chest accelerometer cannot tell in from out yet (breathing as long in as "
                "out gives it no clue): no cues until it can; a belt tells them apart"
            )
            events.append(StatusEvent(breath.detected_s, "breathing", message))

    def _follows_shown(self, breath: Breath, source: str) -> bool:
        """Whether a breath of ``source`` begins after the last one shown ended, give or take
        :data:`SAME_BREATH_FRACTION` of it: two sources see a breath's turns a fraction of a
        second apart, so one beginning earlier than that is one already shown."""
        if self._last_shown is None:
            return True
        shown_source, shown = self._last_shown
        if shown_source == source:
            return True
        slack_s = SAME_BREATH_FRACTION * (breath.end_s - breath.inhale_onset_s)
        return breath.inhale_onset_s >= shown.end_s - slack_s

    def _mostly_paused(self, breath: Breath) -> bool:
        """Whether more than half of ``breath`` (inhale onset to end) fell in a pause.

        By its onset alone, a breath begun just before a resume and taken wholly after it
        counted as paused, and one begun just before a pause and taken in it was scored
        against a pacer that stood still (found in use: such a breath scored 0 and took a
        session's mean follow from 85 to 57).
        """
        onset_ns = round(breath.inhale_onset_s * NS_PER_S)
        end_ns = max(onset_ns, round(breath.end_s * NS_PER_S))
        clock = self.program_clock
        if end_ns == onset_ns:
            return clock.paused_at(onset_ns)
        return 2 * (clock.paused_ns(end_ns) - clock.paused_ns(onset_ns)) > end_ns - onset_ns

    def _show(self, breath: Breath, events: _EventLog, source: str) -> None:
        self._last_shown = (source, breath)
        # A breath is judged by what was asked when it began: one begun in the step before a
        # switch between paced and own rhythm belongs to that step (against the new pacer,
        # which had not started, it scored 0 and its error lingered in the coach's window).
        pacer, target = self.pacer, self.target_ratio
        if breath.inhale_onset_s < self._context_since_s:
            pacer, target = self._previous_context
        paused = self._mostly_paused(breath)
        free = False
        target_rate: float | None = None
        if pacer is not None:
            feedback = self.coach.assess(
                breath, pacer, paused=paused, min_ratio=self._min_ratio_at(breath.inhale_onset_s)
            )
            asked = pacer.state(breath.inhale_onset_s).pattern
            # What Coach.assess judged the rate and ratio against: the session's targets are
            # of these.
            target, target_rate = target_ratio(asked), asked.rate_bpm
            pattern = None if paused else asked
        elif target is not None:
            feedback = self.coach.assess_own_rhythm(breath, target, paused=paused)
            pattern = None
        else:
            feedback = self.coach.observe_free(breath)
            pattern = None
            free = True
        # Paused as the breath is reported: the conductor eases nothing, so no cue claims it.
        sign = self.strain.update(breath, pattern, paused_now=self.program_clock.paused)
        if self.strain.strained(breath):
            # No step asks for a hold or a gasp: such a breath never scores as on target, as
            # one held in the own rhythm did (only its ratio is judged there).
            feedback = replace(feedback, follow_score=strained_score(feedback.follow_score))
        if sign is not None:
            strain = StrainEvent(sign.t_s, sign.kind, sign.cue, sign.detail)
            self.strain_signs.append(strain)
            events.append(strain)
            # One voice at a time: the strain cue takes the place of the coach's.
            feedback = replace(feedback, cue=sign.cue)
        elif (feedback.cue in PRAISE_CUES and self.strain.strained_recently) or (
            feedback.cue in HELD_WITHHELD_CUES and self.strain.held(breath, pattern)
        ):
            # A held breath's rate is the hold's: "A little quicker" answered a person holding
            # 20 s after each out-breath; the hold is the strain monitor's to
            # answer. Nor is breathing that gasps or holds praised: "Lovely long out-breath"
            # alternated with "No need to hold the breath". A ratio or timing
            # correction stays: an out-breath cut short and then held is what "Lengthen the
            # out-breath" is for.
            feedback = replace(feedback, cue=None)
        event = BreathEvent(
            len(self.breaths) + 1,
            breath,
            feedback,
            self._hr_at(breath.detected_s),
            paused,
            free,
            paced=pattern is not None and not paused,
            target_ratio=target,
            target_rate_bpm=target_rate,
            source=source,
        )
        self.breaths.append(event)
        events.append(event)

    def _min_ratio_at(self, t_s: float) -> float | None:
        """The least exhale:inhale ratio the program's step at session time ``t_s`` accepts
        (:attr:`trainer.programs.model.Paced.min_ratio`); ``None`` without a program or floor.

        Read from the recording's program plan, so a replay coaches as the session did; a plan
        written before the field existed has none.
        """
        if self.program is None:
            return None
        t_mono_ns = self.header.start_mono_ns + round(t_s * NS_PER_S)
        return self.program.at(self.program_time_s(t_mono_ns)).min_ratio

    def _hr_at(self, t_s: float) -> float | None:
        """The heart rate at session time ``t_s``: :attr:`hr_bpm` while its last beat (or
        report) is at most :data:`HR_STALE_S` old, else None (a strap lost beside a belt)."""
        if self._heart_t_s is None or t_s - self._heart_t_s > HR_STALE_S:
            return None
        return self.hr_bpm

    def _estimates(self, new: list[BreathEstimate], events: _EventLog) -> None:
        """Hand new estimates to the source selector; report its answer after each one."""
        for estimate in new:
            self.estimates.setdefault(estimate.source, []).append(estimate)
            best = self._selector.update((estimate,))
            if best is None:
                continue
            self.breath_rate = BreathRateEvent(
                estimate.t_s, best.rate_bpm, best.quality, best.source, best.t_s
            )
            events.append(self.breath_rate)

    def _heart_packet(self, packet: RawPacket, events: _EventLog) -> None:
        try:
            hrm = decode_heart_rate_measurement(packet.payload)
        except DecodeError as exc:
            self._decode_error(packet, exc, events)
            return
        t_s = self.session_time_s(packet.t_mono_ns)
        previous_s = self._timeline.last_beat_s
        since_s = t_s - (min(0.0, t_s) if previous_s is None else previous_s)
        impossible = impossible_heart_values(hrm.hr_bpm, hrm.rr_ms, since_s)
        if impossible is not None:
            # Read, but no heart sends it: the bytes are damaged, the rest of them (contact
            # bits, the other intervals) as likely as the value out of range. Kept in the
            # recording like every packet, so a replay counts it the same.
            self._decode_error(packet, DecodeError(impossible), events)
            return
        contact_ok = hrm.contact_detected is not False
        if contact_ok != self._contact_ok:
            self._contact_ok = contact_ok
            message = "skin contact back" if contact_ok else "no skin contact: moisten the strap"
            events.append(StatusEvent(t_s, "contact", message))
        if hrm.hr_bpm > 0:
            self._data_streams.add(packet.stream)
            # A rate the strap reports without skin contact is no measurement (straps do so
            # before they are moistened): not shown, kept, nor taken for a strap without RR
            # (without this, "heart rate only" was said of a strap about to send beats).
            if contact_ok:
                self.device_hr.append((t_s, float(hrm.hr_bpm)))
        rr_ms = [rr for rr in hrm.rr_ms if rr > 0.0]
        if len(rr_ms) < len(hrm.rr_raw):
            # No heart beats twice at once: a zero interval is a corrupt value, not a beat.
            self._decode_error(packet, DecodeError("RR interval of 0"), events)
        if not rr_ms:
            if not contact_ok:
                self._hr_only_packets = 0
            elif hrm.hr_bpm > 0 and not self.beats:
                self._heart_rate_only(t_s, float(hrm.hr_bpm), events)
            return
        self._hr_only_packets = 0
        beats = self._timeline.update(t_s, rr_ms)
        if beats and not self.beats and not self._has_belt and not self._has_acc:
            # A heart-rate strap alone: the first breath rate is a window of beats away, and a
            # short session would otherwise show none without saying why.
            window_s = self._rr_breath.window_s
            events.append(
                StatusEvent(
                    t_s,
                    "breathing",
                    f"breath rate from the heart rhythm: the first reading needs about "
                    f"{window_s:.0f} s of beats",
                )
            )
        if beats:
            self._hr.update(beats)
            self.beats.extend(beats)
            self._heart_t_s = beats[-1].t_s
            events.append(BeatsEvent(tuple(beats), self.hr_bpm))
            found = self._rr_breath.update(beats)
            self.rr_estimates.extend(found)
            for estimate in found:
                self._count_rr(estimate)
                self._estimates(from_rr((estimate,)), events)
                self._pace(estimate, events)

    def _heart_rate_only(self, t_s: float, hr_bpm: float, events: _EventLog) -> None:
        """A heart rate reported without RR intervals before any beat: shown (a
        :class:`trainer.session.events.BeatsEvent` without beats), and after
        :data:`HR_ONLY_SAY_PACKETS` such notifications in a row said once, with what it leaves
        out."""
        self._heart_t_s = t_s
        self._hr_only_packets += 1
        if self._hr_only_packets == HR_ONLY_SAY_PACKETS:
            message = (
                "this strap sends heart rate without beat-to-beat (RR) intervals: heart rate "
                "only, no HRV, RSA or breath rate from the heart"
            )
            events.append(StatusEvent(t_s, "device", message))
        events.append(BeatsEvent((), hr_bpm, reported_t_s=t_s))

    def _count_rr(self, estimate: RRBreathEstimate) -> None:
        """File a heart-rhythm estimate under the breaths it may count for (see
        :func:`counted_breaths`): none if a pause fell in its window."""
        t0_s = max(0.0, estimate.t_s - estimate.window_s)
        clock = self.program_clock
        if clock.paused_s(estimate.t_s) != clock.paused_s(t0_s) or clock.paused:
            return
        asked = None if self.pacer is None else self.pacer.steady_rate_bpm(t0_s, estimate.t_s)
        self._rr_counted["unpaused"].append((estimate, asked))
        if asked is not None:
            self._rr_counted["paced"].append((estimate, asked))
        elif self._paced_from_s is None and t0_s >= self._paced_until_s:
            self._rr_counted["own"].append((estimate, None))

    def rr_rate_bpm(
        self, *, paced_headline: bool = True
    ) -> tuple[float | None, str | None, float | None]:
        """The session's breathing rate read from the heart rhythm, which windows it is of,
        and the rate those windows were asked.

        As :func:`counted_breaths` for breaths: the windows the pacer paced throughout when
        they give a rate (``"paced"``), else those without a pause (``"unpaused"``), each by
        :func:`analysis.rr_breath.session_rate_bpm`; ``(None, None, None)`` when neither does.
        In a session paced for less than half its time (not ``paced_headline``), the windows
        the pacer paced none of (``"own"``) when they give a rate. The target is the median of
        the pacer rates held over the very windows that median rate is of
        (:func:`analysis.rr_breath.session_rate_members`), like for like as
        :func:`session_target_rate` for breaths; None when none was paced throughout.
        """
        rates = {basis: self._rr_rate_of(basis) for basis in self._rr_counted}
        if rates["paced"] is not None and not paced_headline and rates["own"] is not None:
            return rates["own"]
        return rates["paced"] or rates["unpaused"] or (None, None, None)

    def _rr_rate_of(self, basis: str) -> tuple[float, str, float | None] | None:
        """The heart rhythm's session rate from the windows filed under ``basis``
        (:meth:`rr_rate_bpm`), with ``basis`` and its target; None when they give none."""
        counted = self._rr_counted[basis]
        members = session_rate_members([estimate for estimate, _ in counted])
        if not members:
            return None
        rate = float(np.median([counted[i][0].rate_bpm for i in members]))
        asked = [a for a in (counted[i][1] for i in members) if a is not None]
        return rate, basis, float(np.median(asked)) if asked else None

    def paced_s(self, end_s: float) -> float:
        """Time the pacer paced up to session time ``end_s``, s: not paused, not in an
        own-rhythm step or before the first pace (:func:`headline_paced`)."""
        open_s = 0.0 if self._paced_from_s is None else max(0.0, end_s - self._paced_from_s)
        return self._paced_closed_s + open_s

    def _pace(self, estimate: RRBreathEstimate, events: _EventLog) -> None:
        """Score a heart-rhythm rate against the pacer when it is what the person is shown
        (the selector's answer: no belt or accelerometer is doing better), good enough, and
        the pacer held one rate over its whole window."""
        best = self.breath_rate
        if (
            self.pacer is None
            or best is None
            or best.source != "rr"
            or best.estimate_t_s != estimate.t_s
            or estimate.quality < PACE_MIN_QUALITY
        ):
            return
        target = self.pacer.steady_rate_bpm(estimate.t_s - estimate.window_s, estimate.t_s)
        if target is None:
            return
        feedback = self.coach.assess_pace(
            estimate.rate_bpm, target, estimate.t_s, window_s=estimate.window_s
        )
        # The strain rule holds with a strap too (docs/reference/programs.md, "Safety"): a rate
        # far above the pacer's is a pace sign, which the conductor eases as after breaths.
        sign = self.strain.update_rate(
            estimate.t_s,
            estimate.rate_bpm,
            estimate.window_s,
            self.pacer.pattern_at(estimate.t_s),
            paused_now=self.program_clock.paused,
        )
        if sign is not None:
            strain = StrainEvent(sign.t_s, sign.kind, sign.cue, sign.detail)
            self.strain_signs.append(strain)
            events.append(strain)
            # One voice at a time: the strain cue takes the place of the coach's.
            feedback = replace(feedback, cue=sign.cue)
        event = PaceEvent(
            estimate.t_s, estimate.rate_bpm, target, estimate.quality, estimate.window_s, feedback
        )
        self.paces.append(event)
        events.append(event)

    def _pmd_control_packet(self, packet: RawPacket, events: _EventLog) -> None:
        """Say when the sensor stops one of the session's streams on its own.

        A Polar sensor sends a stop notice on its control point when it ends a stream itself
        (``devices.ble.polar_h10`` asks for it again, a few times). The notice is recorded, so
        saying it from here, not from the BLE code, makes every replay say it too.
        Command responses on the same characteristic are recorded, not analysed.
        """
        if packet.payload[:1] != bytes([STOP_NOTICE_TAG]):
            return
        try:
            notice = parse_stop_notice(packet.payload)
        except DecodeError as exc:
            self._decode_error(packet, exc, events)
            return
        for value in notice.measurement_types:
            try:
                kind = MeasurementType(value).name.lower()
            except ValueError:
                continue  # a type this session never asked for
            if kind in self._pmd_kinds and kind not in self._pmd_stopped:
                t_s = self.session_time_s(packet.t_mono_ns)
                self._pmd_stopped[kind] = t_s
                message = (
                    f"{self._source_name}: the sensor stopped its {kind.upper()} stream on its own"
                )
                events.append(StatusEvent(t_s, "device", message))

    def _pmd_packet(self, packet: RawPacket, events: _EventLog) -> None:
        try:
            samples = self._pmd.feed(packet)
        except DecodeError as exc:
            self._decode_error(packet, exc, events)
            return
        self._data_streams.add(packet.stream)
        if samples is None:
            return
        kind = samples.kind.name.lower()
        if kind in self._pmd_stopped:
            del self._pmd_stopped[kind]
            message = f"{self._source_name}: {kind.upper()} stream back"
            events.append(StatusEvent(self.session_time_s(packet.t_mono_ns), "device", message))
        self.pmd_samples[kind] += samples.values.shape[0]
        events.append(WaveformEvent(kind, samples.t_s, samples.values, samples.fs_hz))
        # Breathing from the chest accelerometer whenever it streams, belt or not: a belt that
        # sends nothing or only artifacts hands over to it (_breath; docs/reference/design.md,
        # "Sources of breathing, best first"). At 200 Hz that costs about 2 s of CPU an hour.
        if kind == "acc":
            if self._acc is None:
                fs_hz = self._pmd.settings["acc"]["fs_hz"]
                if fs_hz < ACC_MIN_FS_HZ:
                    if not self._acc_too_slow:
                        self._acc_too_slow = True
                        message = (
                            f"accelerometer at {fs_hz:g} Hz is too slow to follow breathing "
                            f"(needs {ACC_MIN_FS_HZ:g} Hz); its samples are kept"
                        )
                        events.append(StatusEvent(float(samples.t_s[0]), "breathing", message))
                    return
                self._acc = TimedAccBreathTracker(
                    fs_hz,
                    min_breath_s=TRAINER_MIN_BREATH_S,
                    inhale_longer=self._inhale_longer_at(float(samples.t_s[0])),
                )
            for breath in self._acc.update(samples.t_s, samples.values):
                belt_shown = self._breath_selector.current_source == "belt"
                if (
                    breath.motion >= MOTION_UNCERTAIN
                    and not self._acc_moving_said
                    and not belt_shown
                ):
                    # Said once: steps or sway swamp the breathing the accelerometer sees.
                    self._acc_moving_said = True
                    message = (
                        "moving: the chest accelerometer sees steps or sway as strong as the "
                        "breathing; its breaths are marked uncertain"
                    )
                    events.append(StatusEvent(breath.detected_s, "breathing", message))
                self._breath(breath, events, "acc")
                self._say_unsettled(breath, events)
            held_s = self._acc.held_s
            belt_shown = self._breath_selector.current_source == "belt"
            if held_s >= ACC_HELD_SAY_S and not self._acc_held_said and not belt_shown:
                # Movement that never settles gives no breath to carry the label above.
                self._acc_held_said = True
                message = (
                    f"moving: for {held_s:.0f} s the chest accelerometer has seen only "
                    "movement; no breaths from it until you are still"
                )
                events.append(StatusEvent(float(samples.t_s[-1]), "breathing", message))
            elif held_s == 0.0:
                self._acc_held_said = False

    def _decode_error(self, packet: RawPacket, exc: Exception, events: _EventLog) -> None:
        self.decode_errors[packet.stream] += 1
        if packet.stream == Stream.GODIRECT:
            # A packet the belt sent, whose counter value is gone (_check_belt_rate).
            self._belt.unread += 1
        # Sent, if unreadable: the summary counts those (summary.unreadable_text).
        self._data_streams.add(packet.stream)
        # Tell once per stream per 100 errors: a broken sensor must not flood the screen.
        if self.decode_errors[packet.stream] % 100 == 1:
            events.append(
                StatusEvent(
                    self.session_time_s(packet.t_mono_ns),
                    "decode",
                    f"ignored a malformed {packet.stream} packet ({exc})",
                )
            )

    def _pacer_change(self, change: PacerChange, events: _EventLog) -> None:
        t_s = self.session_time_s(change.t_mono_ns)
        # One record of the pauses serves the practised time and, in a program session, the
        # program's clock. A program session can pause in an own-rhythm step too.
        offset_ns = change.t_mono_ns - self.header.start_mono_ns
        if change.action == "pause":
            if self.pacer is not None or self.program is not None:
                self.program_clock.pause(offset_ns)
        else:
            # Any other change (resume, a new pace, a skip) ends a pause.
            self.program_clock.resume(offset_ns)
        if change.action == "skip":
            self._skip(t_s, offset_ns, events)
        if change.action == "set" and change.pattern is not None:
            pattern = BreathPattern.from_dict(change.pattern)
            if self.pacer is None:
                self._switch_context(t_s)
                self.pacer = Pacer(pattern, start_s=t_s)
            else:
                self.pacer.set_pattern(pattern, t_s)
        elif change.action == "pause" and self.pacer is not None:
            self.pacer.pause(t_s)
        elif change.action in ("resume", "skip") and self.pacer is not None:
            # A skip ends a pause too: the person moves on, and the next step's pace follows.
            self.pacer.resume(t_s)
        elif change.action == "own":
            self._switch_context(t_s)
            self.pacer = None
            # None: breathe naturally, no ratio asked (a program's "breathe normally" step).
            self.target_ratio = change.target_ratio
        paced = self.pacer is not None and not self.pacer.paused
        if paced and self._paced_from_s is None:
            self._paced_from_s = t_s
        elif not paced and self._paced_from_s is not None:
            self._paced_closed_s += max(0.0, t_s - self._paced_from_s)
            self._paced_from_s = None
            self._paced_until_s = t_s
        asked = self.pacer.pattern_at(t_s) if paced and self.pacer else None
        if self._acc is not None:
            self._acc.inhale_longer = self._inhale_longer_at(t_s)
        # Both settle into the new pace: its first breaths are the move from the old one.
        self.strain.pace_changed(t_s, asked)
        self.coach.pace_changed(t_s, asked)
        events.append(PacerEvent(t_s, change))
        if self.phases:
            self._restart_cues()

    def _skip(self, t_s: float, offset_ns: int, events: _EventLog) -> None:
        """Move the program on to the start of the step after the current one (a recorded
        ``skip``), and say which step was left: the program's clock jumps there, and what lies
        between is never said, chimed or conducted. Nothing to skip without a program, or once
        it is over."""
        program = self.program
        if program is None:
            return
        clock = self.program_clock
        now_s = clock.program_ns(offset_ns) / NS_PER_S
        state = program.at(now_s)
        if state.finished:
            return
        clock.skip(offset_ns, round(program.next_step_start_s(now_s) * NS_PER_S))
        step = state.step
        # A stretch done one side per step is told apart by its side.
        title = f"{step.title} ({step.sides[0]})" if len(step.sides) == 1 else step.title
        skip = SkipEvent(t_s, state.step_index, state.step_count, title, state.step_left_s)
        self.skips.append(skip)
        events.append(skip)

    def _inhale_longer_at(self, t_s: float) -> bool:
        """Whether the person is asked to breathe in for longer than out at session time
        ``t_s`` (the pacer's exhale:inhale ratio below 1, holds not counted, or an own-rhythm
        target below 1): the chest accelerometer learns which way is inhale from the breaths'
        asymmetry and must know which phase is the faster (without this, a pacer at 0.5 read
        1.97, every breath good)."""
        if self.pacer is not None:
            return self.pacer.pattern_at(t_s).ratio < 1.0
        return self.target_ratio is not None and self.target_ratio < 1.0

    def _switch_context(self, t_s: float) -> None:
        """Keep what was asked until ``t_s``, for breaths begun before it (see _breath)."""
        self._previous_context = (self.pacer, self.target_ratio)
        self._context_since_s = t_s

    def _link_event(self, event: LinkEvent, events: _EventLog) -> None:
        t_s = self.session_time_s(event.t_mono_ns)
        # A strap's link loss leaves the belt's packets and counter as they were.
        if event.device not in self._not_belt_devices:
            self._reset_belt_rate()
        if is_given_up(event):
            # The sensor will not be reconnected: its gap, open since the loss, stays open.
            if not any(d == event.device and end is None for d, _, end in self.gaps):
                self.gaps.append((event.device, t_s, None))
            self._given_up.add(event.device)
            # The last sensor given up ends the session with the source's error, which says
            # why ("... did not come back within 120 s"): the status line said it word for word
            # just before it, so it says only that the sensor is given up.
            # With a sensor left, the session goes on and this line alone says why; so it does
            # in a session that carries on without its sensors (SENSORS_GONE_KEY), which says
            # that in a line of its own (and its summary when the sensor was lost).
            last = all(sensor.ids & self._given_up for sensor in self._sensors)
            reason = GIVEN_UP_REASON if last and not self.carries_on else event.reason
            message = f"{event.device}: connection lost, {reason}"
            events.append(StatusEvent(t_s, "link", message, event.device))
            if last and self.sensors_gone_s is None:
                self.sensors_gone_s = t_s
                if self.carries_on:
                    # Said once, here: live and in every replay (the header holds the choice).
                    gone = sensors_gone_message(len(self._sensors) > 1)
                    events.append(StatusEvent(t_s, SENSORS_GONE_KIND, gone))
            return
        if event.state is LinkState.LOST:
            self.gaps.append((event.device, t_s, None))
            events.append(
                StatusEvent(
                    t_s, "link", f"{event.device}: connection lost, reconnecting", event.device
                )
            )
            return
        for index in range(len(self.gaps) - 1, -1, -1):
            device, start, end = self.gaps[index]
            if device == event.device and end is None:
                self.gaps[index] = (device, start, t_s)
                break
        events.append(StatusEvent(t_s, "link", f"{event.device}: connection back", event.device))
        if event.device in self._given_up:
            # Given up, then looked for and found (a session that carries on without its
            # sensors keeps looking): it measures again, and the session is no longer without
            # them; its gap closed above, as any.
            self._given_up.discard(event.device)
            if self.sensors_gone_s is not None:
                self.sensors_gone_s = None
                events.append(StatusEvent(t_s, SENSORS_BACK_KIND, sensors_back_message()))

    # ----------------------------------------------------------------------------- summary
    def summary(
        self, end_t_s: float | None = None, *, progress: ProgressCallback | None = None
    ) -> SessionSummary:
        """Whole-session numbers for the recording's closing line and the session report:
        every key of :class:`trainer.session.summary.SessionSummary` that applies to the session
        but ``ended``, which whoever ends it adds. ``progress`` is told the fraction done of
        :meth:`heart_metrics`, nearly all of the time it takes (:mod:`analysis.progress`)."""
        end = self.last_t_s if end_t_s is None else end_t_s
        good = [e for e in self.breaths if e.breath.quality != "artifact"]
        paused = self.program_clock.paused_s(end)
        paced_s = self.paced_s(end)
        # The headline is of the part the session mostly was: paced, or its own rhythm.
        paced_headline = headline_paced(paced_s, max(0.0, end - paused))
        counted, basis = counted_breaths(good, paced_headline=paced_headline)
        rates = [e.breath.rate_bpm for e in counted]
        rr_rate, rr_basis, rr_target = self.rr_rate_bpm(paced_headline=paced_headline)
        # The session's breath rate comes from the source that measured the most of the
        # session, weighed by its quality (analysis.breath_sources.best_source: usable quality
        # times the time covered, so a short good stretch does not outweigh a long fair one):
        # breath by breath from the breaths shown (the belt's or, where it gave none or worse
        # ones, the accelerometer's), else the heart rhythm's session rate.
        chosen = best_source(self.estimates)
        source = chosen[0] if chosen is not None else None
        if source == "rr":
            median_rate, rate_basis, target_rate = _finite(rr_rate), rr_basis, rr_target
        else:
            median_rate = _finite(np.median(rates)) if rates else None
            rate_basis = basis if rates else None
            target_rate = session_target_rate(counted)
        if median_rate is None:
            source = rate_basis = target_rate = None
        # The ratio from the very breaths the rate is from, those whose ratio was measured.
        ratio_breaths = ratio_counted(counted)
        ratios = measured_ratios(e.breath for e in ratio_breaths)
        target = session_target_ratio(ratio_breaths)
        # Of the same part of the session as the rate: in a session headlined by its own
        # rhythm, neither the paced breaths nor the pace read from the heart rhythm (scored
        # against the pacer only).
        scores = counted_scores(good, basis)
        follow_basis = "breaths" if scores else None
        if not scores and self.paces and (paced_headline or rr_basis == "paced"):
            # A heart-rate strap alone: the coach scored the pace read from the heart rhythm.
            scores = [p.feedback.follow_score for p in self.paces]
            follow_basis = "pace"
        # Regularity: the coefficient of variation of breath-to-breath intervals.
        variability = breath_variability([e.breath for e in self.breaths])
        # The start and end heart rates come from the artifact-corrected beats, as the history
        # and the report take them (trainer.reports.session_analysis.heart_metrics): one definition.
        heart = self.heart_metrics(end, progress=progress) if len(self.beats) >= 2 else None
        hr_start = _finite(heart.hr_start_bpm) if heart else None
        hr_end = _finite(heart.hr_end_bpm) if heart else None
        hr_basis = "beats" if hr_start is not None or hr_end is not None else None
        if hr_basis is None and self.device_hr:
            # A strap without RR intervals: the heart rate it reported is all there is.
            from trainer.reports.session_analysis import device_hr_span

            device = device_hr_span(self.device_hr, end)
            hr_start, hr_end = _finite(device[0]), _finite(device[1])
            hr_basis = "device"
        summary: SessionSummary = {
            "duration_s": end,
            "breaths": len(self.breaths),
            "median_rate_bpm": median_rate,
            "breath_source": source,
            "rate_basis": rate_basis,
            "target_rate_bpm": target_rate,
            "rr_rate_bpm": _finite(rr_rate),
            "rr_rate_basis": rr_basis,
            "rr_target_rate_bpm": rr_target,
            "mean_ratio": _finite(np.mean(ratios)) if ratios else None,
            "target_ratio": target,
            "breath_cv": _finite(variability.cv_bb),
            "mean_follow_score": _finite(np.mean(scores)) if scores else None,
            "follow_basis": follow_basis,
            "beats": len(self.beats),
            "hr_start_bpm": hr_start,
            "hr_end_bpm": hr_end,
            "hr_basis": hr_basis,
            "marks": len(self.marks),
            "gaps": len(self.gaps),
            "packets": dict(sorted(self.packet_counts.items())),
            "waveform_samples": dict(sorted(self.pmd_samples.items())),
            "decode_errors": dict(sorted(self.decode_errors.items())),
            "minutes_practised": max(0.0, end - paused) / 60.0,
            "paused_s": paused,
            "paced_s": paced_s,
            "strain_signs": len(self.strain_signs),
            # What measured it: "sim" (a simulated person) and "none" (no sensor) are labelled
            # wherever the summary is shown (trainer.session.sensor_label).
            "source_kind": self.header.source.kind,
            # Only once the session lasted as long as the status line waits: a strap notifies
            # once a second, so a session quit in its first second has a sensor not silent yet.
            "sensors_silent": (
                [s.label for s in self._silent_sensors()] if end >= SILENT_SAY_S else []
            ),
            # A stream the sensor stopped and that never came back (the BLE code restarts it
            # a few times, then gives up): said, or a session of 0 breaths has no word why.
            "streams_stopped": {k: round(t, 3) for k, t in sorted(self._pmd_stopped.items())},
        }
        summary["mean_rsa_bpm"] = _finite(heart.mean_rsa_bpm) if heart else None
        summary["coherence"] = _finite(heart.mean_coherence) if heart else None
        summary["coherence_score"] = _finite(heart.mean_coherence_score) if heart else None
        if self.program is not None:
            summary["program"] = self.program.program.name
            summary["steps_skipped"] = [
                {
                    "step": skip.step_index + 1,
                    "title": skip.step_title,
                    "at_s": skip.t_s,
                    "left_s": skip.left_s,
                }
                for skip in self.skips
            ]
            if self.from_step > 1:
                summary["from_step"] = self.from_step
            if self.program.program.kind is ProgramKind.RESONANCE_ASSESSMENT:
                summary["resonance"] = self._resonance(good, end, heart)
        return summary

    def heart_metrics(
        self, end_s: float, *, progress: ProgressCallback | None = None
    ) -> HeartMetrics:
        """Whole-session heart metrics up to ``end_s`` (session s), as the summary and the
        session report both show them (:func:`trainer.reports.session_analysis.heart_metrics`:
        Lipponen-Tarvainen artifact correction, RSA peak-to-trough per breath not flagged as
        an artifact after Grossman et al. 1990, McCraty et al. 2006 coherence).

        Kept until more beats or breaths arrive: the summary and the report of one replay
        share one computation, and so one set of numbers. ``progress`` is told the fraction
        done (:mod:`analysis.progress`; at once 1.0 when the numbers are kept ones).
        """
        from trainer.reports.session_analysis import (
            heart_metrics,  # session_analysis builds on this module
        )

        key = (len(self.beats), len(self.breaths), end_s)
        if self._heart_cache is None or self._heart_cache[0] != key:
            t = np.asarray([b.t_s for b in self.beats], dtype=np.float64)
            rr = np.asarray([b.rr_ms for b in self.beats], dtype=np.float64)
            good = [e.breath for e in self.breaths if e.breath.quality != "artifact"]
            metrics = heart_metrics(t, rr, good, end_s=end_s, progress=progress)
            self._heart_cache = (key, metrics)
        elif progress is not None:
            progress(1.0)
        return self._heart_cache[1]

    def _resonance(
        self, good: list[BreathEvent], end_s: float, heart: HeartMetrics | None
    ) -> ResonanceSummary:
        """Score the program's completed paced steps (:func:`analysis.resonance.score_resonance`,
        Lehrer et al. 2000 protocol) on the artifact-corrected beats and the measured breaths."""
        from analysis.resonance import PacedStep, score_resonance

        assert self.program is not None
        # Spans are laid out in program time; the beats and breaths are in session time.
        clock = self.program_clock
        spans = self.program.scored_spans()
        # A rate skipped, wholly or in part (or before the step the session started at), is
        # not tried: the session scores whole steps only.
        steps = [
            PacedStep(span.pattern.rate_bpm, clock.session_s(span.t0_s), clock.session_s(span.t1_s))
            for span in spans
            if clock.session_s(span.t1_s) <= end_s + 1.0
            and clock.reached_whole(round(span.t0_s * NS_PER_S), round(span.t1_s * NS_PER_S))
        ]
        # A session stopped early tried only some rates: its best is not the person's rate.
        planned: ResonanceSummary = {"rates_planned": len(spans), "rates_tried": len(steps)}
        nn_t, nn = _increasing_nn(heart)
        if not steps or nn.size < 4:
            return {"chosen_rate_bpm": None, "ranking_bpm": [], "scores": [], **planned}
        result = score_resonance(nn_t, nn, steps, breaths=[e.breath for e in good])
        return {
            "chosen_rate_bpm": _round(result.chosen_rate_bpm),
            # The rates are the program's own paced rates: always finite.
            "ranking_bpm": [round(float(rate), 2) for rate in result.ranking_bpm],
            "scores": [
                [round(float(step.rate_bpm), 2), _round(step.score, 3)] for step in result.steps
            ],
            # A rate tried but set aside is named with the reason, not silently left out.
            "unscored": [
                [
                    round(float(step.rate_bpm), 2),
                    "; ".join(step.flags) or "no heart-rate swing measured",
                ]
                for step in result.steps
                if step.score is None
            ],
            **planned,
        }


_SOURCE_NAMES = {"belt": "the belt", "acc": "the chest accelerometer"}


def _from_step(value: object, timeline: ProgramTimeline) -> int:
    """The header's ``from_step`` setting (``live --from-step``) checked against the program:
    a 1-based step number, 1 when absent.

    Raises
    ------
    RecordingError
        It names no step of the program: a damaged header, never guessed.
    """
    if value is None:
        return 1
    count = len(timeline.program.steps)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= count:
        raise RecordingError(
            f"header setting {FROM_STEP_KEY!r} is {value!r}, not a step of the program "
            f"(1-{count}): the header is damaged"
        )
    return value


def _handover_note(source: str, breath: Breath, previous: BreathEstimate | None) -> str:
    """The status line when the breaths shown change source to ``source`` at ``breath``
    (Pipeline._breath), from the one whose latest estimate is ``previous``."""
    if previous is None:
        return f"breaths from {_SOURCE_NAMES[source]}"
    new, old = _SOURCE_NAMES[source], _SOURCE_NAMES[previous.source]
    if lagging(previous, breath.detected_s):
        age_s = breath.detected_s - previous.t_s
        return f"breaths from {new}: {old} has given none for {age_s:.0f} s"
    if SOURCES.index(source) < SOURCES.index(previous.source):
        return f"breaths from {new}: it measures breathing more directly than {old}"
    return f"breaths from {new}: clearer than those of {old}"


def _not_belt_devices(source: SourceInfo) -> frozenset[str]:
    """Names and addresses under which the sensors other than the belt report link events.

    A combined source lists its sensors in ``details["sources"]`` (devices.ble.combined); a
    device named there without the belt stream is another sensor. Anything else (a lone
    sensor, an unknown name) is taken for the belt's, so that its rate check starts again.
    """
    others: set[str] = set()
    for entry in source.details.get("sources", ()):
        if isinstance(entry, dict) and Stream.GODIRECT.value not in entry.get("streams", ()):
            others.update(str(entry[key]) for key in ("address", "name") if entry.get(key))
    return frozenset(others)


def headline_paced(paced_s: float, practised_s: float) -> bool:
    """Whether a session's headline numbers are those of its paced part: the pacer paced at
    least :data:`PACED_SHARE_MIN` of its practised time (a session of no time practised too,
    which has no other part).

    Parameters
    ----------
    paced_s : float
        Time the pacer paced, s (:meth:`Pipeline.paced_s`; the summary's ``paced_s``).
    practised_s : float
        Session time less the time paused, s.
    """
    return paced_s >= PACED_SHARE_MIN * practised_s


def counted_breaths(
    breaths: Sequence[BreathEvent], *, paced_headline: bool = True
) -> tuple[list[BreathEvent], str]:
    """The breaths a session's rate and ratio are about, and which they are.

    Breaths taken mostly while paused never count (docs/guide/sessions.md: "shown but not
    scored"). In a session mostly paced (``paced_headline``, :func:`headline_paced`), the
    exercise is the paced breathing: only breaths begun while the pacer paced count (a
    program's "breathe normally" warm-up or own-rhythm steps would pull a 6/min session's
    median toward 12/min). In a session paced for less than half its time (the body scan's
    first minute of ten), the exercise is its own rhythm: only the breaths begun while the
    pacer did not pace count (``"own"``), as all of them in a session that never paced (own
    rhythm, an import: ``"unpaused"``).

    Parameters
    ----------
    breaths : sequence of BreathEvent
        The session's breaths, usually those not flagged as artifacts.
    paced_headline : bool
        Whether the session's headline is of its paced part (the summary's ``paced_s`` against
        its practised time, :func:`headline_paced`).

    Returns
    -------
    list of BreathEvent, str
        The breaths, and ``"paced"``, ``"own"`` or ``"unpaused"`` (the summary's
        ``rate_basis``).
    """
    paced = [e for e in breaths if e.paced and not e.paused]
    if paced and not paced_headline:
        own = [e for e in breaths if not (e.paced or e.paused)]
        if own:
            return own, "own"
    if paced:
        return paced, "paced"
    return [e for e in breaths if not e.paused], "unpaused"


def counted_scores(breaths: Sequence[BreathEvent], basis: str | None) -> list[int]:
    """The follow scores a session's mean follow score is of: of every scored breath
    (:attr:`trainer.session.events.BreathEvent.scored`: not an artifact, not paused, not free), or
    when the session's rate and ratio are of its own-rhythm part (``basis`` ``"own"``,
    :func:`counted_breaths`) only of the breaths of that part. The body scan's "followed the pacer
    99" was of its own-rhythm steps but for its 6 paced breaths, beside the rate of those 6 (review
    37 F1).

    Parameters
    ----------
    breaths : sequence of BreathEvent
        The session's breaths.
    basis : str or None
        The ``rate_basis`` :func:`counted_breaths` gave.

    Returns
    -------
    list of int
        The scores, 0-100.
    """
    own = basis == "own"
    return [e.feedback.follow_score for e in breaths if e.scored and not (own and e.paced)]


def ratio_counted(counted: Sequence[BreathEvent]) -> list[BreathEvent]:
    """The breaths of ``counted`` (:func:`counted_breaths`) whose ratios a session's mean
    exhale:inhale ratio is of: the ``"good"`` ones with a measured ratio, or when there are none
    of those, every one.

    An ``"uncertain"`` breath's turns are doubtful (:mod:`analysis.breath`), and a ratio has no
    upper bound: one breath on a slipping belt read as 0.1 s in and 5.8 s out
    (ratio 47.9) made a session's mean 3.03, where the good breaths' mean was 1.32 and the
    breathing's median 1.64, after the coach had twice asked for a longer out-breath. The coach
    cues, too, come from good breaths only (:meth:`trainer.coaching.coach.Coach.assess`).

    Parameters
    ----------
    counted : sequence of BreathEvent
        The breaths the session's rate is about.

    Returns
    -------
    list of BreathEvent
        The good breaths with a measured ratio, or ``counted`` when there are none.
    """
    good = [e for e in counted if e.breath.quality == "good" and ratio_measured(e.breath.ratio)]
    return good if good else list(counted)


def session_target_ratio(counted: Sequence[BreathEvent]) -> float | None:
    """The exhale:inhale target of a session's mean ratio: the mean of the targets of the very
    breaths that ratio averages, like for like.

    The mean ratio is of the breaths :func:`ratio_counted` picks from the counted ones (the good
    ones with a measured ratio, when there are any); this is the mean of what each was asked
    (:attr:`trainer.session.events.BreathEvent.target_ratio`), those asked nothing left out (an
    own-rhythm "breathe naturally" step, an import). Weighing the pacer's ratio by time instead,
    own-rhythm steps included, told a body scan's "ratio 1.37, target 1.43" of breaths paced at
    1.50, and counted a program's holds against the ratio (``BreathPattern.ratio``
    leaves the hold at the top out, a detector sees it as inhale).

    Parameters
    ----------
    counted : sequence of BreathEvent
        The breaths the session's ratio is of (:func:`ratio_counted`).

    Returns
    -------
    float or None
        The mean target ratio (dimensionless), or None when none of those breaths had one.
    """
    targets = [
        e.target_ratio
        for e in counted
        if e.target_ratio is not None and ratio_measured(e.breath.ratio)
    ]
    return float(np.mean(targets)) if targets else None


def session_target_rate(counted: Sequence[BreathEvent]) -> float | None:
    """The breath-rate target of a session's median rate: the median of the pacer rates the
    very breaths that median is of were asked
    (:attr:`trainer.session.events.BreathEvent.target_rate_bpm`), those asked none left out (own
    rhythm, an import).

    A median beside a median: someone who breathed each breath exactly at its pacer's rate has
    a median rate equal to this, whatever the steps' lengths. The last pacer's rate instead
    (the closing step of a resonance assessment, 4.5/min, beside a median of about 5.5) or the
    pacer's rate weighted by time (5.75/min over 10 min at 6 and 10 at 5.5, against a median
    of the 60 breaths at 6 and 55 at 5.5 of 6.0) judged a perfect follower off target.

    Parameters
    ----------
    counted : sequence of BreathEvent
        The breaths the session's rate is about (:func:`counted_breaths`).

    Returns
    -------
    float or None
        The median target rate, breaths/min, or None when none of those breaths had one.
    """
    targets = [e.target_rate_bpm for e in counted if e.target_rate_bpm is not None]
    return float(np.median(targets)) if targets else None


def _step_detail(step: Step) -> str:
    """A step's instruction and, after it, its caution: without a screen (headless, a replay's
    lines) the step's line is the only place the caution can be shown."""
    return f"{step.text} {step.caution}" if step.caution else step.text


def _increasing_nn(
    heart: HeartMetrics | None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """NN beat times (s) and intervals (ms), time-ordered, without repeated times."""
    if heart is None:
        return np.empty(0), np.empty(0)
    order = np.argsort(heart.nn_t_s, kind="stable")
    nn_t, nn = heart.nn_t_s[order], heart.nn_ms[order]
    keep = np.r_[True, np.diff(nn_t) > 1e-6]
    return nn_t[keep], nn[keep]


def _round(value: float | np.floating[Any] | None, digits: int = 2) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _finite(value: float | np.floating[Any] | None) -> float | None:
    """``value`` as a float, unrounded, or None when missing or not finite.

    The summary's numbers are kept as computed: each view rounds once, as it shows them. Stored
    to 0.01 and then shown to 0.1, an RSA of 2.7476 read 2.8 (2.75, half to even) in the
    summary, the history and the report's header but 2.7 in the report's table, printed from
    the full value.
    """
    return None if value is None or not np.isfinite(value) else float(value)
