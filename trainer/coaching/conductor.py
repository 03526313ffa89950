"""The conductor: turns a program's timeline and the strain signs into recorded pacer changes.

A live session asks the conductor before each item which pacer changes fall due up to the
item's time (the program's pattern changes, stamped at the timeline's own instants, so they sit
in the recording exactly where the program put them), and after each item whether the events it
caused call for one (a sign of strain eases the pace). Every change goes through
``LiveSession.handle``, so it is recorded and a replay needs neither the program file nor the
conductor: it replays the changes.

Easing (docs/reference/programs.md, "Safety"): on a sign of strain while the pacer leads, the pace
moves toward a natural rhythm (:func:`trainer.coaching.strain.ease_pattern`); later program patterns
are eased just as much. After ``RECOVER_S`` without a new sign the easing is undone as far as the
measured breathing allows: to the program's own pace when the breathing is under
``RETURN_FACTOR`` times it, else to the least eased pace it is under that factor of, else not
yet (it is asked again at every item). Quiet alone did not say the person could follow: a pace
sign needs breathing 1.5 times the pacer's, so a person at 12/min against a pacer eased to 9/min
was quiet, the program's 6/min came back, and the same sign eased it again 30 s later, round
after round (6 -> 8 -> 9 -> 6 ...). A person who follows the eased pace comes
back a step at a time (9 -> 8 -> 6/min, a quiet ``RECOVER_S`` each).

In the person's own rhythm there is no pace to ease: the strain cue alone is given (by the
pipeline). Nor is there when the pace is already as easy as easing makes it
(:func:`trainer.coaching.strain.can_ease`): no "eased" change is recorded then (without this,
a 12/min 1:1 pacer was "eased" to the same 12/min 1:1, and the cue said it was easing), and the
strain monitor's pace cue, which asks the same question of the same pattern, suggests the
person's own rhythm instead of claiming an easing.

Pauses: the program runs on program time (:class:`trainer.coaching.program_clock.ProgramClock`, fed
by the pipeline from the recorded pause and resume changes), so while the person has paused no
pattern change falls due, and after the resume the program goes on where it was. Changes are
stamped in session time: the program's instant plus the pauses before it. A skip (key ``n``, or
a start further in) jumps program time to the next step: the patterns of what it jumped over
are never set, and the next step's is set at the skip's instant.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np

from devices.packets import NS_PER_S
from trainer.coaching.pacer import BreathPattern
from trainer.coaching.program_clock import ProgramClock
from trainer.coaching.strain import WINDOW_BREATHS, can_ease, ease_pattern
from trainer.programs.runner import EventKind, ProgramTimeline
from trainer.session.events import BreathEvent, Event, PaceEvent, PacerEvent, StrainEvent
from trainer.session.pipeline import DEFAULT_OWN_RATIO
from trainer.storage.recording import PacerChange

RECOVER_S = 90.0
"""Seconds without a new strain sign (or a step back toward the program's pace) after which an
easing may be undone."""
RETURN_FACTOR = 1.4
"""A less eased pace (the program's own at best) comes back only when the measured breathing is
under this many times its rate. Under the pace sign's ``PACE_SLOW_FACTOR`` (1.5), so the return is
not itself a sign, with room for the wobble of a median of ``WINDOW_BREATHS`` breaths (5-8 %
breath to breath): a person following a pacer eased from 6 to 8/min may go back (8 < 8.4), one
breathing 9/min against it may not."""
EASED_LABEL = "eased"
RESTORED_LABEL = "back to the program's pace"
EASED_LESS_LABEL = "eased less, toward the program's pace"


def is_conductor_label(label: str) -> bool:
    """Whether a pacer change's ``label`` is one the conductor gave an easing or the return
    from one, not a program step's title."""
    return label in (RESTORED_LABEL, EASED_LESS_LABEL) or label.startswith(f"{EASED_LABEL}:")


class Conductor:
    """Pacer changes for one live session.

    Parameters
    ----------
    start_mono_ns, start_wall_ns : int
        The session's start clocks (ns); changes are stamped relative to them.
    timeline : ProgramTimeline or None
        The program, or ``None`` for a plain pacer session.
    pattern : BreathPattern or None
        Without a program: the session's pattern (``None``: own rhythm).
    target_ratio : float
        Without a program: the own-rhythm target exhale:inhale ratio.
    clock : ProgramClock, optional
        The program clock to read, kept up to date by its owner (a live session passes its
        pipeline's, fed from the very changes it records). Without one the conductor keeps its
        own, fed from the pause and resume events it is shown in :meth:`after`.
    """

    def __init__(
        self,
        start_mono_ns: int,
        start_wall_ns: int,
        *,
        timeline: ProgramTimeline | None,
        pattern: BreathPattern | None = None,
        target_ratio: float = DEFAULT_OWN_RATIO,
        clock: ProgramClock | None = None,
    ) -> None:
        self.start_mono_ns = start_mono_ns
        self.start_wall_ns = start_wall_ns
        self.timeline = timeline
        self._pattern = pattern
        self._target_ratio = target_ratio
        self._own_clock = clock is None
        self.clock = ProgramClock() if clock is None else clock
        self._t_s = -math.inf
        self._program_t_s = -math.inf
        self.ease_level = 0
        self._last_strain_s = -math.inf
        self._last_return_s = -math.inf
        self._paused = False
        # The measured breathing, for undoing an easing: (session s, breaths/min) of the
        # breaths shown (none paused, no artifacts), and of the heart-rhythm rates scored.
        self._breath_rates: deque[tuple[float, float]] = deque()
        self._heart_rate: tuple[float, float] | None = None

    # -- stamps --------------------------------------------------------------------------------

    def _stamp(self, t_s: float) -> tuple[int, int]:
        offset = round(t_s * NS_PER_S)
        return self.start_mono_ns + offset, self.start_wall_ns + offset

    def _program_stamp(self, program_t_s: float) -> tuple[int, int]:
        # In integer ns, so the pipeline maps the stamp back to exactly this program instant.
        offset = self.clock.session_ns(round(program_t_s * NS_PER_S))
        return self.start_mono_ns + offset, self.start_wall_ns + offset

    def _session_s(self, t_mono_ns: int) -> float:
        return (t_mono_ns - self.start_mono_ns) / NS_PER_S

    def _program_s(self, t_mono_ns: int) -> float:
        return self.clock.program_ns(t_mono_ns - self.start_mono_ns) / NS_PER_S

    # -- what the pacer should play ------------------------------------------------------------

    def base_pattern_at(self, t_s: float) -> BreathPattern | None:
        """The program's (or the session's) pattern at session second ``t_s``, before any
        easing (the program is asked at the program time of ``t_s``)."""
        if self.timeline is None:
            return self._pattern
        return self.timeline.at(self.clock.program_s(t_s)).pattern

    def _eased(self, pattern: BreathPattern, level: int | None = None) -> BreathPattern:
        """``pattern`` eased ``level`` times (default: the current :attr:`ease_level`)."""
        for _ in range(self.ease_level if level is None else level):
            pattern = ease_pattern(pattern)
        return pattern

    def measured_rate_bpm(self, t_s: float) -> float | None:
        """The person's breathing rate at session second ``t_s`` (breaths/min): the median of
        the breaths shown in the last ``RECOVER_S`` (at least ``WINDOW_BREATHS`` of them; the
        median of only the last four took a sigh and the breath after it, 7.0 and 9.7/min, for
        a person at 12/min); without them the last heart-rhythm rate scored within
        ``RECOVER_S`` (itself a rate over 64 s); else ``None`` (nothing measured)."""
        recent = [rate for when, rate in self._breath_rates if t_s - when <= RECOVER_S]
        if len(recent) >= WINDOW_BREATHS:
            return float(np.median(recent))
        if self._heart_rate is not None and t_s - self._heart_rate[0] <= RECOVER_S:
            return self._heart_rate[1]
        return None

    def _return_level(self, t_s: float) -> int | None:
        """The least easing the measured breathing allows at session second ``t_s`` (0: the
        program's own pace), or ``None`` when it allows none below the current one."""
        base = self.base_pattern_at(t_s)
        rate = self.measured_rate_bpm(t_s)
        if base is None or rate is None:
            # An own-rhythm step has no pace to follow, and without a measured rate nothing
            # shows the person cannot follow the program's: the program's pace comes back.
            return 0
        for level in range(self.ease_level):
            if rate < RETURN_FACTOR * self._eased(base, level).rate_bpm:
                return level
        return None

    def _change(
        self, stamp: tuple[int, int], program_t_s: float, pattern: BreathPattern | None, label: str
    ) -> PacerChange:
        mono, wall = stamp
        if pattern is None:
            ratio: float | None = self._target_ratio
            if self.timeline is not None:
                # None is "breathe naturally": no ratio asked, so none coached.
                ratio = self.timeline.at(program_t_s).target_ratio
            return PacerChange(mono, wall, "own", target_ratio=ratio, label=label)
        return PacerChange(mono, wall, "set", self._eased(pattern).to_dict(), label=label)

    # -- the two questions ---------------------------------------------------------------------

    def start(self) -> list[PacerChange]:
        """The changes at session start (the first step's pattern, or the plain pattern)."""
        if self.timeline is None:
            self._t_s = 0.0
            return [self._change(self._stamp(0.0), 0.0, self._pattern, "")]
        return self.before(self.start_mono_ns)

    def before(self, t_mono_ns: int) -> list[PacerChange]:
        """Changes due in ``(last time asked, t_mono_ns]``, stamped at their own instants."""
        t_s = self._session_s(t_mono_ns)
        program_t_s = self._program_s(t_mono_ns)
        # Recovery counts session time: a pause is rest too.
        quiet_s = t_s - max(self._last_strain_s, self._last_return_s)
        level = self._return_level(t_s) if self.ease_level and quiet_s >= RECOVER_S else None
        restore = level is not None
        if level is not None:
            self.ease_level = level
            self._last_return_s = t_s
        changes: list[PacerChange] = []
        if self.timeline is not None:
            # Program time stands still while paused: nothing falls due until the resume.
            for event in self.timeline.events(self._program_t_s, program_t_s):
                if event.kind is EventKind.PATTERN and not self.clock.skipped_over_s(event.t_s):
                    title = self.timeline.program.steps[event.step_index].title
                    stamp = self._program_stamp(event.t_s)
                    changes.append(self._change(stamp, event.t_s, event.pattern, title))
        self._t_s = max(self._t_s, t_s)
        self._program_t_s = max(self._program_t_s, program_t_s)
        if restore and not changes and not self._is_paused():
            pattern = self.base_pattern_at(t_s)
            if pattern is not None:
                label = EASED_LESS_LABEL if self.ease_level else RESTORED_LABEL
                changes.append(self._change(self._stamp(t_s), program_t_s, pattern, label))
        return changes

    def _is_paused(self) -> bool:
        return self._paused or self.clock.paused

    def after(self, events: Sequence[Event], t_mono_ns: int) -> list[PacerChange]:
        """Changes the events of one item call for: an eased pace after a sign of strain."""
        changes: list[PacerChange] = []
        for event in events:
            if isinstance(event, PacerEvent):
                self._pacer_event(event)
            elif isinstance(event, BreathEvent):
                if not event.paused and event.breath.quality != "artifact":
                    breath = event.breath
                    seen_s = breath.detected_s if math.isfinite(breath.detected_s) else breath.end_s
                    self._breath_rates.append((seen_s, breath.rate_bpm))
                    while seen_s - self._breath_rates[0][0] > RECOVER_S:
                        self._breath_rates.popleft()
            elif isinstance(event, PaceEvent):
                self._heart_rate = (event.t_s, event.rate_bpm)
            if not isinstance(event, StrainEvent):
                continue
            self._last_strain_s = event.t_s
            t_s = max(self._session_s(t_mono_ns), self._t_s)
            pattern = self.base_pattern_at(t_s)
            if pattern is None or self._is_paused():
                continue  # own rhythm or paused: the cue alone
            if not can_ease(self._eased(pattern)):
                # Nothing left to ease (each easing halves the way to the natural rate, and
                # stops changing it near there: the stacking ends by itself).
                continue
            self.ease_level += 1
            label = f"{EASED_LABEL}: {event.kind.value}"
            changes.append(
                self._change(self._stamp(t_s), self.clock.program_s(t_s), pattern, label)
            )
        return changes

    def _pacer_event(self, event: PacerEvent) -> None:
        action = event.change.action
        if action == "pause":
            self._paused = True
        elif action in ("resume", "set", "own", "skip"):
            self._paused = False
        if self._own_clock and self.timeline is not None:
            offset = event.change.t_mono_ns - self.start_mono_ns
            if action == "pause":
                self.clock.pause(offset)
            elif action == "skip":
                # As the pipeline moves its clock (Pipeline._skip): to the next step's start.
                now_s = self.clock.program_ns(offset) / NS_PER_S
                target_s = self.timeline.next_step_start_s(now_s)
                self.clock.skip(offset, round(target_s * NS_PER_S))
            else:
                self.clock.resume(offset)
