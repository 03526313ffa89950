"""A program laid out in session time: what is happening at any instant, as a pure function of t.

:class:`ProgramTimeline` turns a :class:`~trainer.programs.model.Program` into absolute times
once (step starts, side switches, repetitions, cues, slowing stages) and then answers two
questions without side effects:

* :meth:`ProgramTimeline.at` — the state at session time ``t_s``: step, side, repetition,
  current cue, seconds left, and the pacer pattern to use (``None`` for the person's own rhythm);
* :meth:`ProgramTimeline.events` — what begins in a time span ``(t0_s, t1_s]``, so a session
  calling it once per packet with the previous and the current packet time sees every event
  exactly once, whatever the packet spacing, and replay sees the same events as live.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

from trainer.coaching.coach import target_ratio as coached_ratio
from trainer.coaching.pacer import BreathPattern
from trainer.programs.model import OwnRhythm, Paced, Program, Step, interpolate_patterns

_EDGE_S = 1e-9
"""Slack at boundaries: ``start + k * length`` computed for an event and ``(t - start) // length``
computed for a query can differ by an ulp; the query must land on the event's side."""


class EventKind(StrEnum):
    """What starts at a timeline event; members are listed in the order of simultaneous events."""

    STEP = "step"
    SIDE = "side"
    REPETITION = "repetition"
    PATTERN = "pattern"
    CUE = "cue"
    END = "end"


_KIND_ORDER = {kind: i for i, kind in enumerate(EventKind)}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """Something that begins at session time ``t_s``.

    Attributes
    ----------
    t_s : float
        Session time, in seconds.
    kind : EventKind
        What begins.
    step_index : int
        Index of the step it belongs to (the last step for ``END``).
    text : str
        What to announce: the step title, the side, ``"3/10"`` for a repetition, the cue text;
        empty for a pattern change.
    pattern : BreathPattern or None
        For ``PATTERN`` events, the pattern from now on (``None``: own rhythm, no pacer).
    """

    t_s: float
    kind: EventKind
    step_index: int
    text: str = ""
    pattern: BreathPattern | None = None


@dataclass(frozen=True, slots=True)
class TimelineState:
    """The program at one instant.

    Attributes
    ----------
    step : Step
        The current step (the last one once the program is over).
    step_index, step_count : int
        Index of ``step`` and number of steps.
    step_elapsed_s, step_left_s : float
        Seconds since the step began and until it ends.
    side : str or None
        Side being worked, for a step with sides.
    side_index : int
        Index of ``side`` in ``step.sides`` (0 for a step without sides).
    repetition : int or None
        1-based repetition on the current side, for a counted step.
    repetition_left_s : float or None
        Seconds left in the current repetition, for a counted step.
    cue : str or None
        The latest cue of the step given so far.
    pattern : BreathPattern or None
        The pattern the pacer should play; ``None`` for the person's own rhythm.
    target_ratio : float or None
        Exhale:inhale ratio to coach towards: the pattern's as the coach measures it
        (:func:`trainer.coaching.coach.target_ratio`), or the own-rhythm target.
    elapsed_s, left_s : float
        Seconds since the program started and until it ends.
    finished : bool
        Whether the program is over.
    next_title : str or None
        Title of the next step, for "next: ..." hints.
    min_ratio : float or None
        The least exhale:inhale ratio the step accepts below ``target_ratio``
        (:attr:`~trainer.programs.model.Paced.min_ratio`); ``None`` when it names none.
    steps : tuple of Step
        Every step of the program, in order (what a card says of the others).
    """

    step: Step
    step_index: int
    step_count: int
    step_elapsed_s: float
    step_left_s: float
    side: str | None
    side_index: int
    repetition: int | None
    repetition_left_s: float | None
    cue: str | None
    pattern: BreathPattern | None
    target_ratio: float | None
    elapsed_s: float
    left_s: float
    finished: bool
    next_title: str | None
    min_ratio: float | None = None
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredSpan:
    """A step whose heart response the session scores (resonance assessment).

    Attributes
    ----------
    step_index : int
        Index of the step.
    t0_s, t1_s : float
        Session times at which the step begins and ends, in seconds.
    pattern : BreathPattern
        The pace held during the step (``pattern.rate_bpm`` is the rate being assessed).
    """

    step_index: int
    t0_s: float
    t1_s: float
    pattern: BreathPattern


def _stages(step: Step, personal_rate_bpm: float | None) -> tuple[float, tuple[BreathPattern, ...]]:
    """Stage length (s) and the pattern of each stage of a step; one stage unless slowing.

    A slowing step of length ``L`` with stages of ``c`` seconds has ``n = ceil(L / c)`` stages,
    the k-th playing the pattern ``k / (n - 1)`` of the way from start to end, so the first
    stage is the start pattern and the last the end pattern.
    """
    breathing = step.breathing
    if isinstance(breathing, OwnRhythm):
        return step.total_s, ()
    start = breathing.start.resolve(personal_rate_bpm)
    if breathing.end is None:
        return step.total_s, (start,)
    end = breathing.end.resolve(personal_rate_bpm)
    count = max(1, math.ceil(step.total_s / breathing.change_every_s - _EDGE_S))
    if count == 1:
        return step.total_s, (start,)
    return breathing.change_every_s, tuple(
        interpolate_patterns(start, end, k / (count - 1)) for k in range(count)
    )


class ProgramTimeline:
    """A program placed in session time, starting at ``start_s``.

    Parameters
    ----------
    program : Program
        The program to lay out.
    personal_rate_bpm : float, optional
        The person's stored resonance rate (breaths/min), needed by programs that pace at it.
    start_s : float
        Session time at which the first step begins, in seconds.

    Raises
    ------
    ProgramError
        The program needs a personal rate and none is given.
    """

    __slots__ = (
        "_event_times",
        "_events",
        "_stage_s",
        "_stages",
        "_starts",
        "personal_rate_bpm",
        "program",
        "start_s",
        "total_duration_s",
    )

    def __init__(
        self, program: Program, *, personal_rate_bpm: float | None = None, start_s: float = 0.0
    ) -> None:
        self.program = program
        self.personal_rate_bpm = personal_rate_bpm
        self.start_s = float(start_s)
        starts: list[float] = []
        offset = 0.0
        for step in program.steps:
            starts.append(offset)
            offset += step.total_s
        self._starts = tuple(starts)
        self.total_duration_s = offset
        """Length of the program, in seconds."""
        stage_lengths: list[float] = []
        stages: list[tuple[BreathPattern, ...]] = []
        for step in program.steps:
            length, patterns = _stages(step, personal_rate_bpm)
            stage_lengths.append(length)
            stages.append(patterns)
        self._stage_s = tuple(stage_lengths)
        self._stages = tuple(stages)
        self._events = self._build_events()
        self._event_times = tuple(event.t_s for event in self._events)

    @property
    def end_s(self) -> float:
        """Session time at which the program ends, in seconds."""
        return self.start_s + self.total_duration_s

    def step_start_s(self, index: int) -> float:
        """Session time at which step ``index`` begins, in seconds."""
        return self.start_s + self._starts[index]

    # -- layout ------------------------------------------------------------------------------

    def _build_events(self) -> tuple[TimelineEvent, ...]:
        events: list[TimelineEvent] = []
        for index, step in enumerate(self.program.steps):
            t0 = self.start_s + self._starts[index]
            events.append(TimelineEvent(t0, EventKind.STEP, index, step.title))
            if step.sides and not step.alternate_sides:
                for side_index, side in enumerate(step.sides):
                    events.append(
                        TimelineEvent(
                            t0 + side_index * step.per_side_s, EventKind.SIDE, index, side
                        )
                    )
            if step.repetitions is not None and step.repetition_s is not None:
                count = step.repetitions
                for slot in range(count * step.side_count):
                    side_index, repetition = self._slot_position(step, slot)
                    label = f"{repetition}/{count}"
                    if step.sides:
                        label += f" {step.sides[side_index]}"
                    events.append(
                        TimelineEvent(
                            t0 + slot * step.repetition_s, EventKind.REPETITION, index, label
                        )
                    )
            patterns = self._stages[index]
            if not patterns:
                events.append(TimelineEvent(t0, EventKind.PATTERN, index, "", None))
            for stage, pattern in enumerate(patterns):
                events.append(
                    TimelineEvent(
                        t0 + stage * self._stage_s[index], EventKind.PATTERN, index, "", pattern
                    )
                )
            for cue in step.cues:
                events.append(TimelineEvent(t0 + cue.at_s, EventKind.CUE, index, cue.text))
        events.append(TimelineEvent(self.end_s, EventKind.END, len(self.program.steps) - 1, ""))
        events.sort(key=lambda e: (e.t_s, e.step_index, _KIND_ORDER[e.kind]))
        return tuple(events)

    @staticmethod
    def _slot_position(step: Step, slot: int) -> tuple[int, int]:
        """Side index and 1-based repetition of the ``slot``-th repetition of a counted step."""
        count = step.repetitions or 1
        if step.alternate_sides:
            return slot % step.side_count, slot // step.side_count + 1
        return slot // count, slot % count + 1

    # -- queries -----------------------------------------------------------------------------

    def at(self, t_s: float) -> TimelineState:
        """The program at session time ``t_s`` (seconds).

        Before ``start_s`` this is the start of the first step; from ``end_s`` on, the end of
        the last step with ``finished`` set.
        """
        total = self.total_duration_s
        rel = min(max(t_s - self.start_s, 0.0), total)
        # The session's end is kept in whole nanoseconds, and the program's length is a sum
        # of floats: either can fall an ulp short of the other.
        finished = t_s - self.start_s >= total - _EDGE_S
        steps = self.program.steps
        if finished:
            index = len(steps) - 1
        else:
            index = max(bisect_right(self._starts, rel + _EDGE_S) - 1, 0)
        step = steps[index]
        elapsed = min(max(rel - self._starts[index], 0.0), step.total_s)
        probe = min(elapsed + _EDGE_S, step.total_s)

        side_index = 0
        repetition: int | None = None
        repetition_left: float | None = None
        if step.repetitions is not None and step.repetition_s is not None:
            slots = step.repetitions * step.side_count
            slot = min(int(probe // step.repetition_s), slots - 1)
            side_index, repetition = self._slot_position(step, slot)
            repetition_left = max((slot + 1) * step.repetition_s - elapsed, 0.0)
        elif step.sides:
            side_index = min(int(probe // step.per_side_s), step.side_count - 1)

        cue_times = [cue.at_s for cue in step.cues]
        cue_index = bisect_right(cue_times, probe) - 1
        cue = step.cues[cue_index].text if cue_index >= 0 else None

        patterns = self._stages[index]
        pattern: BreathPattern | None = None
        if patterns:
            stage = min(int(probe // self._stage_s[index]), len(patterns) - 1)
            pattern = patterns[stage]
        breathing = step.breathing
        if isinstance(breathing, Paced) and pattern is not None:
            # As the coach judges it: a hold at the top is inhale to a detector.
            target_ratio: float | None = coached_ratio(pattern)
        else:
            target_ratio = breathing.target_ratio if isinstance(breathing, OwnRhythm) else None

        return TimelineState(
            step=step,
            step_index=index,
            step_count=len(steps),
            step_elapsed_s=elapsed,
            step_left_s=step.total_s - elapsed,
            side=step.sides[side_index] if step.sides else None,
            side_index=side_index,
            repetition=repetition,
            repetition_left_s=repetition_left,
            cue=cue,
            pattern=pattern,
            target_ratio=target_ratio,
            elapsed_s=rel,
            left_s=total - rel,
            finished=finished,
            next_title=steps[index + 1].title if index + 1 < len(steps) else None,
            min_ratio=breathing.min_ratio if isinstance(breathing, Paced) else None,
            steps=steps,
        )

    def next_step_start_s(self, t_s: float) -> float:
        """Session time (s, on the program's clock) at which the step after the one running at
        ``t_s`` begins: where a skip (key ``n``) lands; the program's end from its last step
        (or once it is over)."""
        state = self.at(t_s)
        following = state.step_index + 1
        if state.finished or following >= len(self.program.steps):
            return self.end_s
        return self.step_start_s(following)

    def pattern_at(self, t_s: float) -> BreathPattern | None:
        """The pacer pattern at session time ``t_s``; ``None`` for the person's own rhythm."""
        return self.at(t_s).pattern

    def events(self, t0_s: float, t1_s: float) -> list[TimelineEvent]:
        """Events at session times in ``(t0_s, t1_s]``, in order.

        The interval is open on the left so consecutive spans share no event; pass
        ``t0_s = -math.inf`` (or anything before ``start_s``) on the first call to get the
        first step's events.
        """
        if t1_s <= t0_s:
            return []
        lo = bisect_right(self._event_times, t0_s)
        hi = bisect_right(self._event_times, t1_s)
        return list(self._events[lo:hi])

    def sound_cue_times_s(self) -> list[float]:
        """Session times (s) that deserve a cue chime: step starts and side switches, and in a
        program done with the eyes closed its cues within a step too.

        Made for :class:`trainer.ui.sound.PacerSound`, so step changes can be heard with the eyes
        closed. ``docs/reference/programs.md`` asks that such a program reach the person without
        looking; a cue within a step is guidance as much as a new step is (the relaxation
        response's whole 12-minute step is led by three of them), and without a chime it was
        never read. Its first card says to glance at the screen at a chime.
        With the eyes open, the cue is read where it appears and a chime would only interrupt.
        """
        kinds = {EventKind.STEP, EventKind.SIDE}
        if self.program.eyes_closed:
            kinds.add(EventKind.CUE)
        return sorted({event.t_s for event in self._events if event.kind in kinds})

    def scored_spans(self) -> list[ScoredSpan]:
        """The steps the session scores (resonance assessment), with their times and pattern."""
        spans: list[ScoredSpan] = []
        for index, step in enumerate(self.program.steps):
            patterns = self._stages[index]
            if step.scored and patterns:
                t0 = self.start_s + self._starts[index]
                spans.append(ScoredSpan(index, t0, t0 + step.total_s, patterns[0]))
        return spans

    @property
    def all_events(self) -> tuple[TimelineEvent, ...]:
        """Every event of the program, in order."""
        return self._events
