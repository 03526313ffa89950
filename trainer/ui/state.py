"""What the screen shows, accumulated from pipeline events; the UI only renders this.

Traces are kept as bounded deques of recent values, so a long session costs constant memory.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from analysis.breath_variability import ratio_measured
from devices.source import GIVEN_UP_REASON, SourceInfo
from trainer.coaching.coach import (
    CUE_SENSOR_BACK,
    CUE_SENSOR_LOST,
    CUE_SENSOR_LOST_BRIEF,
    CUE_SENSORS_GONE,
    CUE_SENSORS_GONE_BRIEF,
)
from trainer.programs.runner import EventKind
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
    ProgramEvent,
    StatusEvent,
    StrainEvent,
)
from trainer.session.pipeline import HR_STALE_S
from trainer.session.summary import session_clock, session_sensors

PROGRAM_CUE_HOLD_S = 15.0
"""How long a program's tip keeps the cue line against the coach's corrections and praise,
s: long enough to open the eyes at its chime and read it (the coach repeats a correction
every 16 s at most, so none is lost for good)."""
TRACE_S = 60.0
"""Seconds of breath and heart-rate history drawn on screen (OpenHRV shows 60 s of IBI)."""
TRACE_FS_HZ = 5.0
"""Rate at which the breath trace is kept: plenty for a terminal-width sparkline."""
PACE_SHOWN_S = 30.0
"""How long (s of estimate time) the coach's score of the pace stays on screen while the newer
heart-rhythm rates cannot be scored (three estimates)."""
SOURCE_LABELS = {"belt": "breathing belt", "acc": "chest movement", "rr": "heart rhythm"}
"""What each breathing source is called on screen and in the log."""


@dataclass(slots=True)
class SessionState:
    """The live picture of a session, fed with pipeline events in order.

    Attributes
    ----------
    last_breath : BreathEvent or None
        The most recent confirmed breath with the coach's feedback.
    hr_bpm : float or None
        Heart rate at the latest beat (:meth:`heart_rate_at` says whether it is still current).
    hr_t_s : float
        Session time of the latest beat, or report of a strap without RR intervals (s; -1
        before any).
    link_lost_t_s : float or None
        When the latest link still down was lost (s); None while every link is up.
    link_ok : bool
        Every sensor's link is up.
    links_down : dict of str to float
        Each device whose link is down
        (:attr:`trainer.session.events.StatusEvent.device`) and when it was lost (s).
    heart_devices : frozenset of str or None
        The names and addresses of the sensors sending the heart beats, in a session with
        several sensors (:func:`trainer.session.summary.session_sensors`): another one's link
        loss leaves the heart rate current. None (a lone sensor, or not known): a link lost
        after the latest beat is taken for the heart's.
    cue, cue_t_s : str, float
        The latest coaching cue and when it was given (session seconds); a program's cue is
        cleared when its step ends (:attr:`cue_from_program`), the sensor-lost cue when every
        link is back. The screen shows :meth:`cue_line`.
    cue_from_program : bool
        :attr:`cue` is a program's cue (a tip within its step).
    given_up : set of str
        The devices given up and not back (their link stays down unless one is found again).
    sensors_gone_t_s : float or None
        When the last sensor was given up in a session that carries on without them (s;
        :data:`trainer.session.events.SENSORS_GONE_KIND`), None otherwise, and again once
        one is back (:data:`trainer.session.events.SENSORS_BACK_KIND`).
    found_again : tuple of float or None
        (lost, back) session s of the latest sensor given up and then found again.
    status : str
        The latest non-measurement message (contact, link, bad data), empty when all is well.
    status_device : str
        The device a ``link`` status is about
        (:attr:`trainer.session.events.StatusEvent.device`), empty for other statuses.
    breath_trace, hr_trace : deque of (t_s, value)
        Recent belt force (decimated to ``TRACE_FS_HZ``) and beat-by-beat heart rate.
    step : ProgramEvent or None
        The latest program step that began (``None`` without a program).
    program_done : bool
        The program reached its end.
    strain_signs : int
        Signs of strain seen so far.
    pacer_note : str
        Label of the latest easing or restoring pacer change, empty when none.
    breath_rate : BreathRateEvent or None
        The best current breathing-rate estimate and its source (the pipeline's selector).
    last_pace : PaceEvent or None
        The coach's latest word on the pace read from the heart rhythm (a strap alone).
    own_target_ratio : float or None
        The exhale:inhale ratio the latest own-rhythm stretch asks for (its ``own`` pacer
        change's, as the pipeline's coach takes it); None before any, or in a step that asks
        none ("breathe naturally"). A program's own-rhythm steps each have their own (a body
        scan's 1.3; the screen said 1.5, the session's default).
    """

    last_breath: BreathEvent | None = None
    hr_bpm: float | None = None
    hr_t_s: float = -1.0
    link_lost_t_s: float | None = None
    cue: str = ""
    cue_t_s: float = -1.0
    cue_from_program: bool = False
    given_up: set[str] = field(default_factory=set)
    sensors_gone_t_s: float | None = None
    found_again: tuple[float, float] | None = None
    status: str = ""
    status_t_s: float = -1.0
    status_kind: str = ""
    status_device: str = ""
    link_ok: bool = True
    links_down: dict[str, float] = field(default_factory=dict)
    heart_devices: frozenset[str] | None = None
    breaths: int = 0
    marks: int = 0
    paused: bool = False
    breath_trace: deque[tuple[float, float]] = field(
        default_factory=lambda: deque(maxlen=int(TRACE_S * TRACE_FS_HZ))
    )
    hr_trace: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=200))
    recent_rates_bpm: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    recent_ratios: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    step: ProgramEvent | None = None
    program_done: bool = False
    strain_signs: int = 0
    pacer_note: str = ""
    breath_rate: BreathRateEvent | None = None
    last_pace: PaceEvent | None = None
    own_target_ratio: float | None = None
    _trace_next_t_s: float = 0.0
    _program_cue_t_s: float = -math.inf

    def apply(self, events: list[Event]) -> None:
        """Fold events, in order, into the picture."""
        for event in events:
            if isinstance(event, BreathEvent):
                self.last_breath = event
                self.breaths = event.index
                if event.breath.quality != "artifact":
                    self.recent_rates_bpm.append(event.breath.rate_bpm)
                    if ratio_measured(event.breath.ratio):
                        self.recent_ratios.append(event.breath.ratio)
                if event.feedback.cue:
                    self._set_coach_cue(event.feedback.cue, event.breath.detected_s)
            elif isinstance(event, BreathRateEvent):
                self.breath_rate = event
            elif isinstance(event, PaceEvent):
                self.last_pace = event
                if event.feedback.cue:
                    self._set_coach_cue(event.feedback.cue, event.t_s)
            elif isinstance(event, BeatsEvent):
                self.hr_bpm = event.hr_bpm
                if event.beats:
                    self.hr_t_s = event.beats[-1].t_s
                elif event.reported_t_s is not None:
                    # A strap without RR intervals: its report is as current as a beat.
                    self.hr_t_s = event.reported_t_s
                for beat in event.beats:
                    self.hr_trace.append((beat.t_s, 60_000.0 / beat.rr_ms))
            elif isinstance(event, BeltEvent):
                self._add_belt(event)
            elif isinstance(event, StatusEvent):
                self.status = event.message
                self.status_t_s = event.t_s
                self.status_kind = event.kind
                self.status_device = event.device if event.kind == "link" else ""
                link_lost = event.kind == "link" and "lost" in event.message
                given_up = link_lost and GIVEN_UP_REASON in event.message
                if event.kind == "link":
                    device = event.device
                    if link_lost:
                        # A link already down and then given up stays lost since it went.
                        self.links_down.setdefault(device, event.t_s)
                    else:
                        lost_t_s = self.links_down.pop(device, event.t_s)
                        if device in self.given_up:
                            # Given up, looked for and found: lost no longer.
                            self.given_up.discard(device)
                            self.found_again = (lost_t_s, event.t_s)
                    if given_up:
                        self.given_up.add(device)
                    self.link_ok = not self.links_down
                    self.link_lost_t_s = max(self.links_down.values(), default=None)
                    if self.link_ok and self.cue == CUE_SENSOR_LOST:
                        # Back: "while it reconnects" is over (it stayed up to 30 s after).
                        self.cue = ""
                if event.kind == SENSORS_GONE_KIND:
                    self.sensors_gone_t_s = event.t_s
                    self._set_cue(CUE_SENSORS_GONE, event.t_s)
                elif event.kind == SENSORS_BACK_KIND:
                    # "Sensor gone, carrying on" is over: said back, for as long as a cue is.
                    self.sensors_gone_t_s = None
                    self._set_cue(CUE_SENSOR_BACK, event.t_s)
                lost = link_lost or (event.kind == "contact" and "no skin contact" in event.message)
                # A sensor given up is no longer reconnected: the line says so (lost_words).
                if lost and not given_up:
                    self._set_cue(CUE_SENSOR_LOST, event.t_s)
            elif isinstance(event, ProgramEvent):
                if event.kind is EventKind.STEP:
                    self.step = event
                    if self.cue_from_program:
                        # A step's tip is about that step: not shown in the next (without
                        # this, an earlier step's tip stayed on the bar into a later one).
                        self.cue = ""
                        self.cue_from_program = False
                elif event.kind is EventKind.CUE:
                    self._set_cue(event.text, event.t_s, from_program=True)
                    self._program_cue_t_s = event.t_s
                elif event.kind is EventKind.END:
                    self.program_done = True
            elif isinstance(event, StrainEvent):
                self.strain_signs += 1
                self._set_cue(event.cue, event.t_s)
            elif isinstance(event, MarkEvent):
                self.marks += 1
            elif isinstance(event, PacerEvent):
                if event.change.action == "pause":
                    self.paused = True
                elif event.change.action in ("resume", "set", "own", "skip"):
                    # A skip (key n) ends a pause too: the next step runs.
                    self.paused = False
                if event.change.action == "own":
                    self.own_target_ratio = event.change.target_ratio
                if event.change.label.startswith(("eased", "back to")):
                    self.pacer_note = event.change.label

    def set_source(self, source: SourceInfo) -> None:
        """Learn which of the session's sensors sends the heart beats (:attr:`heart_devices`)."""
        sensors = session_sensors(source)
        self.heart_devices = (
            frozenset(i for sensor in sensors if sensor.heart for i in sensor.ids)
            if sensors
            else None
        )

    def _set_cue(self, text: str, t_s: float, *, from_program: bool = False) -> None:
        self.cue = text
        self.cue_t_s = t_s
        self.cue_from_program = from_program

    @property
    def lost_words(self) -> tuple[str, str]:
        """What the cue line says of the sensors, in full and in brief (beside another cue):
        that every one is gone and the session carries on without them, or that one is lost
        and being reconnected; empty while all is well, and for a sensor given up beside
        another that still measures (the session goes on with that one, its status line said
        so)."""
        if self.sensors_gone_t_s is not None:
            return CUE_SENSORS_GONE, CUE_SENSORS_GONE_BRIEF
        if any(device not in self.given_up for device in self.links_down):
            return CUE_SENSOR_LOST, CUE_SENSOR_LOST_BRIEF
        return "", ""

    def cue_line(self, t_s: float, shown_s: float) -> str:
        """The cue line at session time ``t_s``: the latest cue while it is at most
        ``shown_s`` old, ``""`` after (the screen then shows its default line).

        While a sensor is lost, or gone for good, the line says so for as long as it is
        (:attr:`lost_words`), with a cue given since beside it (a program's tip, a sign of
        strain, the coach's word from another sensor that still measures). The lost sensor's
        line had given way to the next cue, which then stayed for the rest of the outage: an
        earlier step's tip for two minutes into a later step.
        """
        fresh = self.cue if t_s - self.cue_t_s <= shown_s else ""
        full, brief = self.lost_words
        if not full:
            return fresh
        lost_t_s = self.sensors_gone_t_s if self.sensors_gone_t_s is not None else -math.inf
        if self.link_lost_t_s is not None:
            lost_t_s = max(lost_t_s, self.link_lost_t_s)
        since = fresh if self.cue_t_s >= lost_t_s else ""
        if not since or since in (CUE_SENSOR_LOST, CUE_SENSORS_GONE):
            return full
        return f"{brief} · {since}"

    def _set_coach_cue(self, text: str, t_s: float) -> None:
        """A coach's correction or praise, unless a program's tip came less than
        :data:`PROGRAM_CUE_HOLD_S` before: a correction a breath after a chimed tip replaced it,
        so a person who opened their eyes at the chime read "Lengthen the out-breath" instead
        of the tip. The coach says a correction again while it holds; a
        lost sensor or a sign of strain still takes the line at once."""
        if t_s - self._program_cue_t_s < PROGRAM_CUE_HOLD_S:
            return
        self._set_cue(text, t_s)

    def _add_belt(self, event: BeltEvent) -> None:
        step = max(1, round(event.fs_hz / TRACE_FS_HZ))
        times = event.t0_s + np.arange(event.values.size) / event.fs_hz
        # Keep every step-th sample on a global grid so the trace does not depend on chunking.
        start = int(np.ceil((self._trace_next_t_s - event.t0_s) * event.fs_hz - 1e-9))
        for index in range(max(0, start), event.values.size, step):
            self.breath_trace.append((float(times[index]), float(event.values[index])))
            self._trace_next_t_s = float(times[index]) + step / event.fs_hz

    def heart_rate_at(self, t_s: float) -> tuple[float | None, float | None]:
        """The heart rate to show at session time ``t_s`` and, when it is no longer current
        (the heart sensor's link is down, or no beat for :data:`HR_STALE_S`), the age of its
        last beat (s). Another sensor's link loss (a belt beside the strap) leaves it current:
        the strap still beats (without this, "-  bpm (60, 0 s ago)" under a beating strap).

        Returns
        -------
        hr_bpm, stale_s : float or None
            The latest heart rate (None before any beat); None for ``stale_s`` while current.
        """
        if self.hr_bpm is None or self.hr_t_s < 0.0:
            return self.hr_bpm, None
        age_s = max(0.0, t_s - self.hr_t_s)
        # Not knowing which sensor beats, a link lost after the latest beat is taken for the
        # heart's: beats that came after a loss came from another sensor.
        known = self.heart_devices
        heart_down = any(
            device in known if known is not None else lost_t_s >= self.hr_t_s
            for device, lost_t_s in self.links_down.items()
        )
        if not heart_down and age_s <= HR_STALE_S:
            return self.hr_bpm, None
        return self.hr_bpm, age_s

    def status_at_end(self) -> str:
        """:attr:`status` once the session is over: a link still down says when it was lost and
        that it did not come back, not "reconnecting" (nothing reconnects any more); a
        session carried on without its sensors says since when, not "carrying on to the planned end"
        (it is over); one whose sensor came back says when it was lost and when back, not
        "measuring again"."""
        if self.status_kind == SENSORS_BACK_KIND and self.found_again is not None:
            lost_t_s, back_t_s = self.found_again
            return (
                f"sensor lost at {session_clock(lost_t_s)}, back at {session_clock(back_t_s)}:"
                " measured again from then"
            )
        gone_t_s = self.sensors_gone_t_s
        if self.status_kind == SENSORS_GONE_KIND and gone_t_s is not None:
            lost_t_s = min(self.links_down.values(), default=gone_t_s)
            what, them = ("sensors", "them") if len(self.links_down) > 1 else ("sensor", "it")
            return (
                f"{what} lost at {session_clock(lost_t_s)}, given up at "
                f"{session_clock(gone_t_s)}: carried on without {them}"
            )
        t = self.links_down.get(self.status_device) if self.status_device else None
        if t is None:
            return self.status
        lost = f"connection lost at {session_clock(t)}, not back"
        return self.status.replace("connection lost, reconnecting", lost)

    @property
    def rate_bpm(self) -> float | None:
        """Measured breath rate (breaths/min) from the best current source.

        From a belt or the accelerometer: the median over the last few breaths. From the heart
        rhythm (no breath-by-breath source, or none good enough): its latest estimate. None
        when the best estimate is too unclear to be a number (:attr:`rate_unclear`).
        """
        best = self.breath_rate
        if self.rate_unclear:
            return None
        if best is not None and best.source == "rr":
            return best.rate_bpm
        if self.recent_rates_bpm:
            return float(np.median(self.recent_rates_bpm))
        return best.rate_bpm if best is not None else None

    @property
    def rate_source(self) -> str | None:
        """Where :attr:`rate_bpm` comes from: ``"belt"``, ``"acc"``, ``"rr"``, or None."""
        return self.breath_rate.source if self.breath_rate is not None else None

    @property
    def rate_unclear(self) -> bool:
        """The best current estimate is too unclear to be a number
        (:attr:`trainer.session.events.BreathRateEvent.unclear`): from the heart rhythm, below
        :data:`analysis.rr_breath.USABLE_QUALITY` (frequent ectopic beats, no RSA to read, or an
        irregular rhythm such as atrial fibrillation); from a belt or the accelerometer, its
        recent breaths all artifacts."""
        return self.breath_rate is not None and self.breath_rate.unclear

    @property
    def rate_source_label(self) -> str:
        """:attr:`rate_source` in words (``"heart rhythm"``...), empty before any estimate."""
        source = self.rate_source
        if source is None:
            return ""
        label = SOURCE_LABELS.get(source, source)
        return f"{label} (unclear)" if self.rate_unclear else label

    @property
    def follow(self) -> tuple[int, bool] | None:
        """The latest follow score and whether it judged the pace alone, or None.

        While the breath rate comes from the heart rhythm, that is the coach's score of the
        pace (:attr:`last_pace`) if it is at most ``PACE_SHOWN_S`` older than the rate on
        screen (an estimate too weak to score, or one whose window spans a pacer change, does
        not blank it at once); otherwise the latest breath's. A breath's score is not shown
        beside a heart-rhythm rate: it would describe breathing the sensor no longer sees.
        """
        best = self.breath_rate
        if best is not None and best.source == "rr":
            pace = self.last_pace
            if pace is not None and best.estimate_t_s - pace.t_s <= PACE_SHOWN_S:
                return pace.feedback.follow_score, True
            return None
        if self.last_breath is not None and self.last_breath.scored:
            return self.last_breath.feedback.follow_score, False
        return None

    @property
    def ratio(self) -> float | None:
        """Median measured exhale:inhale ratio over the last few breaths."""
        return float(np.median(self.recent_ratios)) if self.recent_ratios else None
