"""What a guided program is: a named sequence of steps, each with its breathing and its cues.

Programs are data (TOML files, see :mod:`trainer.programs.loader`); these frozen dataclasses are
what a file turns into once validated. A step is timed either by a duration or by repetitions
of a fixed length, optionally done once per side (left/right) in blocks or alternating, and
carries the breathing the pacer should lead:

* :class:`Paced` — a pacer pattern, either given as phase seconds (:class:`FixedPattern`) or as a
  rate and exhale:inhale ratio (:class:`RatePattern`, whose rate may be the person's stored
  resonance rate), optionally slowing from a start pattern to an end pattern in stages;
* :class:`OwnRhythm` — no pacer: the person breathes at their own pace and is coached towards a
  target exhale:inhale ratio (the relaxation response asks for an out-breath "a little longer"
  than the in-breath, ``docs/reference/programs.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

from trainer.coaching.pacer import MAX_RATIO, MIN_RATIO, BreathPattern
from trainer.errors import UserError

MAX_STEP_S = 3 * 3600.0
"""Longest step accepted, in seconds; anything longer is a typo (minutes written as seconds)."""
MAX_REPETITIONS = 1000
MIN_SCORED_STEPS = 2
"""Scored steps a resonance assessment needs: its choice compares the steps' heart responses
(Lehrer et al. 2000; ``docs/reference/physiology.md``), and one step has nothing to compare."""


class ProgramError(UserError):
    """A program that cannot be loaded or run, naming the file, the line and the field.

    Parameters
    ----------
    problem : str
        What is wrong, e.g. ``"must be a number of seconds > 0, got -2"``.
    source : str, optional
        The program file (path as shown to the user).
    line : int, optional
        1-based line in ``source`` where the offending key is written.
    field : str, optional
        Dotted field name, e.g. ``"step 3 (Sacrum): breathing.inhale_s"``.
    advice : str
        What to do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
        advice: str = "",
    ) -> None:
        where = source or ""
        if source and line is not None:
            where = f"{source}:{line}"
        parts = [part for part in (where, field) if part]
        message = ": ".join([*parts, problem])
        super().__init__(message, advice)
        self.problem = problem
        self.source = source
        self.line = line
        self.field = field


class Posture(StrEnum):
    """How the body is placed for a step; the value is the TOML spelling."""

    LYING_ON_BACK = "lying_on_back"
    LYING_ON_SIDE = "lying_on_side"
    LYING_FACE_DOWN = "lying_face_down"
    SITTING = "sitting"
    SITTING_OR_LYING = "sitting_or_lying"
    STANDING = "standing"
    HANDS_AND_KNEES = "hands_and_knees"
    ANY = "any"

    @property
    def label(self) -> str:
        """Short text for the step card."""
        return _POSTURE_LABELS[self]


_POSTURE_LABELS: dict[Posture, str] = {
    Posture.LYING_ON_BACK: "lying on your back",
    Posture.LYING_ON_SIDE: "lying on your side",
    Posture.LYING_FACE_DOWN: "lying face down",
    Posture.SITTING: "sitting",
    Posture.SITTING_OR_LYING: "sitting or lying down",
    Posture.STANDING: "standing",
    Posture.HANDS_AND_KNEES: "on hands and knees",
    Posture.ANY: "any comfortable position",
}


class ProgramKind(StrEnum):
    """What the session does with a program beyond guiding it."""

    PRACTICE = "practice"
    RESONANCE_ASSESSMENT = "resonance_assessment"
    """Score the ``scored`` steps' heart response and store the best rate as the personal rate."""


@dataclass(frozen=True, slots=True)
class FixedPattern:
    """A pacer pattern written as phase durations in seconds."""

    pattern: BreathPattern

    @property
    def personal(self) -> bool:
        """Whether the pattern needs the person's resonance rate (never for a fixed one)."""
        return False

    def resolve(self, personal_rate_bpm: float | None) -> BreathPattern:
        """The pattern (the personal rate is not needed)."""
        return self.pattern


@dataclass(frozen=True, slots=True)
class RatePattern:
    """A pacer pattern written as a rate and an exhale:inhale ratio.

    Attributes
    ----------
    rate_bpm : float or None
        Breaths per minute; ``None`` means the person's stored resonance rate (``"personal"`` in
        TOML).
    ratio : float
        Exhale:inhale ratio of the breathing part of the cycle.
    hold_in_s, hold_out_s : float
        Holds after the in-breath and the out-breath, in seconds.
    """

    rate_bpm: float | None
    ratio: float = 1.0
    hold_in_s: float = 0.0
    hold_out_s: float = 0.0

    @property
    def personal(self) -> bool:
        """Whether the pattern uses the person's stored resonance rate."""
        return self.rate_bpm is None

    def resolve(self, personal_rate_bpm: float | None) -> BreathPattern:
        """The pattern at ``rate_bpm`` (or at ``personal_rate_bpm`` for a personal rate).

        Raises
        ------
        ProgramError
            A personal rate is needed and none is given.
        ValueError
            The rate, ratio and holds make no valid pattern (see ``BreathPattern.from_rate``).
        """
        rate = self.rate_bpm if self.rate_bpm is not None else personal_rate_bpm
        if rate is None:
            raise ProgramError(
                "this program paces at your personal resonance rate, and none is stored yet",
                # Without this, after a shortened or simulated assessment, the person was sent
                # back to an assessment that stores nothing either, without a word why.
                advice="run the resonance-assessment program first (it stores the rate it "
                "chooses once it has tried all five rates, measured on you: not a shortened one, "
                "nor on the simulated sensor), or set one with "
                "`breathwise config set resonance_rate_bpm 6`",
            )
        return BreathPattern.from_rate(
            rate, self.ratio, hold_in_s=self.hold_in_s, hold_out_s=self.hold_out_s
        )


PatternSpec = FixedPattern | RatePattern


def interpolate_patterns(
    start: BreathPattern, end: BreathPattern, fraction: float
) -> BreathPattern:
    """Pattern a ``fraction`` (0..1) of the way from ``start`` to ``end``, phase by phase.

    Each phase duration moves linearly, so the exhale:inhale proportion of a slowing scan stays
    put when both ends share it (2 s/4 s to 4 s/8 s passes through 3 s/6 s).
    """
    f = min(max(fraction, 0.0), 1.0)
    return BreathPattern(
        inhale_s=start.inhale_s + f * (end.inhale_s - start.inhale_s),
        exhale_s=start.exhale_s + f * (end.exhale_s - start.exhale_s),
        hold_in_s=start.hold_in_s + f * (end.hold_in_s - start.hold_in_s),
        hold_out_s=start.hold_out_s + f * (end.hold_out_s - start.hold_out_s),
    )


@dataclass(frozen=True, slots=True)
class Paced:
    """Breathing led by the pacer.

    Attributes
    ----------
    start : PatternSpec
        The pattern at the start of the step.
    end : PatternSpec or None
        When given, the pattern slows (or speeds) from ``start`` to ``end`` over the step, in
        stages of ``change_every_s`` seconds; the last stage plays ``end`` itself.
    change_every_s : float
        Length of one slowing stage, in seconds. Changes come in stages rather than
        continuously so the pacer changes pattern a few times per step, each change keeping
        the phase (``Pacer.set_pattern``).
    min_ratio : float or None
        The least exhale:inhale ratio that is fine, below the pattern's own: the coach asks
        for a longer out-breath only below it (:meth:`trainer.coaching.coach.Coach.assess`),
        and still praises only the full pattern. Deep breathing 4-8 is "out for 8 (or at least
        longer than the in-breath)" (``docs/reference/programs.md``). ``None``: the pattern's
        ratio is the target, with the coach's usual margins.
    """

    start: PatternSpec
    end: PatternSpec | None = None
    change_every_s: float = 30.0
    min_ratio: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.change_every_s) and self.change_every_s > 0.0):
            raise ValueError(f"change_every_s must be > 0 s, got {self.change_every_s!r}")
        floor = self.min_ratio
        if floor is not None and not MIN_RATIO <= floor <= MAX_RATIO:
            raise ValueError(f"min_ratio must be {MIN_RATIO:g}-{MAX_RATIO:g}, got {floor!r}")

    @property
    def personal(self) -> bool:
        """Whether either end uses the person's stored resonance rate."""
        return self.start.personal or (self.end is not None and self.end.personal)


@dataclass(frozen=True, slots=True)
class OwnRhythm:
    """No pacer: the person keeps their own rhythm.

    Attributes
    ----------
    target_ratio : float or None
        Exhale:inhale ratio the coach nudges towards, or ``None`` for no target.
    """

    target_ratio: float | None = None

    def __post_init__(self) -> None:
        ratio = self.target_ratio
        if ratio is not None and not MIN_RATIO <= ratio <= MAX_RATIO:
            raise ValueError(f"target ratio must be {MIN_RATIO:g}-{MAX_RATIO:g}, got {ratio!r}")

    @property
    def personal(self) -> bool:
        """Own rhythm never needs the resonance rate."""
        return False


Breathing = Paced | OwnRhythm


@dataclass(frozen=True, slots=True)
class Cue:
    """A line of guidance given ``at_s`` seconds into a step (counted from the step start)."""

    at_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of a program.

    Attributes
    ----------
    title : str
        Short name, shown on the step card ("Tailbone", "Lying twist").
    text : str
        The instruction, in full sentences.
    posture : Posture
        How the body is placed.
    breathing : Breathing
        What the pacer does during the step.
    duration_s : float or None
        Length per side in seconds, for a timed step.
    repetitions : int or None
        Repetitions per side, for a counted step (then ``repetition_s`` is required).
    repetition_s : float or None
        Seconds per repetition.
    sides : tuple of str
        Sides to work in turn, e.g. ``("left", "right")``; empty for a symmetric step. One
        side, e.g. ``("left",)``, for a step that works only that side: a stretch held for
        minutes on each side is one such step per side, with a ``transition`` between them
        to switch sides (rolling over, crossing the other leg takes a moment).
    alternate_sides : bool
        Switch side at every repetition (a twist to one side then the other) instead of doing
        all repetitions on one side first.
    cues : tuple of Cue
        Timed guidance within the step, ascending ``at_s``.
    scored : bool
        The session scores this step's heart response (resonance assessment).
    flexible : bool
        The step that grows or shrinks when a program is run at another length.
    transition : bool
        A short step to change posture before the next one (stand up, get down onto all
        fours), or to switch between the two sides of a stretch: breathed freely and not
        scored, and not named in the session report, where the steps it separates need the
        room.
    caution : str
        A line the step card shows under the instruction for as long as the step lasts ("Stop
        if it hurts, or if pain spreads into a leg."): a caution that matters on every stretch
        cannot be a tip, which shows only until the session's first cue
        (``docs/reference/programs.md``: "Never push into pain"). Empty for none.
    """

    title: str
    text: str
    posture: Posture
    breathing: Breathing
    duration_s: float | None = None
    repetitions: int | None = None
    repetition_s: float | None = None
    sides: tuple[str, ...] = ()
    alternate_sides: bool = False
    cues: tuple[Cue, ...] = field(default=())
    scored: bool = False
    flexible: bool = False
    transition: bool = False
    caution: str = ""

    def __post_init__(self) -> None:
        free = isinstance(self.breathing, OwnRhythm) and self.breathing.target_ratio is None
        if self.transition and not (free and not self.scored):
            raise ValueError("a transition is breathed freely (own = true, no ratio), unscored")
        counted = self.repetitions is not None
        if (self.duration_s is None) == (not counted):
            raise ValueError("a step has either duration_s or repetitions, not both or neither")
        if counted:
            if self.repetition_s is None:
                raise ValueError("repetitions need repetition_s")
            if not 1 <= int(self.repetitions or 0) <= MAX_REPETITIONS:
                raise ValueError(f"repetitions must be 1-{MAX_REPETITIONS}")
        if not 0.0 < self.per_side_s <= MAX_STEP_S:
            raise ValueError(f"a step lasts more than 0 s and at most {MAX_STEP_S:g} s")
        if self.alternate_sides and not (len(self.sides) > 1 and counted):
            raise ValueError("alternate_sides needs two sides or more and repetitions")
        if len(set(self.sides)) != len(self.sides):
            raise ValueError("sides must be different")
        if any(b.at_s < a.at_s for a, b in zip(self.cues, self.cues[1:], strict=False)):
            raise ValueError("cues must be in time order")
        if any(not 0.0 <= cue.at_s < self.total_s for cue in self.cues):
            raise ValueError("cues must fall within the step")

    @property
    def per_side_s(self) -> float:
        """Seconds spent on one side (the whole step when it has no sides)."""
        if self.duration_s is not None:
            return float(self.duration_s)
        return float(self.repetitions or 0) * float(self.repetition_s or 0.0)

    @property
    def side_count(self) -> int:
        """Number of sides worked in turn (1 for a symmetric step)."""
        return max(1, len(self.sides))

    @property
    def total_s(self) -> float:
        """Length of the whole step, all sides, in seconds."""
        return self.per_side_s * self.side_count


@dataclass(frozen=True, slots=True)
class Program:
    """A guided program.

    Attributes
    ----------
    name : str
        Identifier used on the command line (the file name without ``.toml``).
    title : str
        Display name.
    description : str
        One line for ``breathwise programs``.
    steps : tuple of Step
        The steps, played in order.
    kind : ProgramKind
        Plain practice, or a resonance assessment whose result the session stores.
    back_focused : bool
        Show the red-flag safety screen before the program starts.
    tips : tuple of str
        Advice shown before the start (when to practise, what helps).
    needs : tuple of str
        What the person needs at hand (a mat, a chair, a cushion), each in a few words, for
        ``breathwise programs NAME`` and the lines before the start: otherwise the
        chair, the cushion and the mat are named only in a tip once the routine has begun.
    eyes_closed : bool
        Done with the eyes closed: the step changes, the cues and the end reach the person by
        sound only (a chime, then a glance at the screen), so a session without sound is
        warned about before it starts.
    recommended_minutes : tuple of float or None
        The length the practice is meant to have, ``(shortest, longest)`` in minutes (the
        relaxation response: 10-20 min); ``--minutes`` outside it is run, with a warning.
        ``None`` when the program does not say.
    source : str or None
        Where the program was read from, for messages.
    """

    name: str
    title: str
    description: str
    steps: tuple[Step, ...]
    kind: ProgramKind = ProgramKind.PRACTICE
    back_focused: bool = False
    tips: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    eyes_closed: bool = False
    recommended_minutes: tuple[float, float] | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a program needs at least one step")
        span = self.recommended_minutes
        if span is not None and not (
            len(span) == 2 and all(math.isfinite(m) for m in span) and 0.0 < span[0] <= span[1]
        ):
            raise ValueError("recommended_minutes must be [shortest, longest], both above 0")

    @property
    def total_duration_s(self) -> float:
        """Length of the whole program, in seconds."""
        return math.fsum(step.total_s for step in self.steps)

    def step_ends_s(self) -> list[float]:
        """When each step ends, in seconds from the program's start (pauses not counted)."""
        ends: list[float] = []
        for step in self.steps:
            ends.append((ends[-1] if ends else 0.0) + step.total_s)
        return ends

    def _scored_ends_s(self) -> list[float]:
        """When each scored step ends, in seconds from the program's start."""
        return [
            end for step, end in zip(self.steps, self.step_ends_s(), strict=True) if step.scored
        ]

    def scored_steps_by(self, stop_s: float) -> tuple[int, int]:
        """``(done, planned)``: the scored steps a session stopped at ``stop_s`` seconds of
        program time completes, and all the program has. A step cut short is not scored
        (the session scores whole steps only)."""
        ends = self._scored_ends_s()
        return sum(end <= stop_s for end in ends), len(ends)

    def shortest_stop_s(self) -> float:
        """The earliest a session may stop and still do what the program is for, in seconds.

        A resonance assessment must complete :data:`MIN_SCORED_STEPS` scored steps: stopped
        earlier it has nothing to choose from (without this, ``--minutes 1`` ran the settling
        minute alone, then said no rate could be scored, as if the person had not followed the
        pacer). A practice has no such part, so any length of it is practice: 0.
        """
        if self.kind is not ProgramKind.RESONANCE_ASSESSMENT:
            return 0.0
        ends = self._scored_ends_s()
        return ends[min(MIN_SCORED_STEPS, len(ends)) - 1] if ends else self.total_duration_s

    @property
    def needs_personal_rate(self) -> bool:
        """Whether some step paces at the person's stored resonance rate."""
        return any(step.breathing.personal for step in self.steps)

    def flexible_range_s(self) -> tuple[float, float] | None:
        """Shortest and longest total length (s) :meth:`with_total_duration` accepts, or
        ``None`` for a program of fixed length: its first flexible step runs 1 min to
        :data:`MAX_STEP_S` per side, the other steps as written."""
        step = next((s for s in self.steps if s.flexible), None)
        if step is None:
            return None
        others = self.total_duration_s - step.total_s
        return others + 60.0 * step.side_count, others + MAX_STEP_S * step.side_count

    def with_total_duration(self, total_s: float) -> Program:
        """The program stretched or shortened to ``total_s`` seconds via its flexible step.

        Raises
        ------
        ProgramError
            The program has no flexible step, or ``total_s`` leaves it no time.
        """
        flexible = [i for i, step in enumerate(self.steps) if step.flexible]
        if not flexible:
            raise ProgramError(
                f"the program {self.name!r} has a fixed length "
                f"({self.total_duration_s / 60.0:.0f} min)",
                source=self.source,
            )
        index = flexible[0]
        step = self.steps[index]
        others = self.total_duration_s - step.total_s
        per_side = (total_s - others) / step.side_count
        if not (math.isfinite(per_side) and per_side >= 60.0 and per_side <= MAX_STEP_S):
            low_s, high_s = self.flexible_range_s() or (0.0, 0.0)
            raise ProgramError(
                f"the program {self.name!r} can run from {math.ceil(low_s / 60.0):.0f} min to "
                f"{high_s / 60.0:.0f} min, not {total_s / 60.0:.1f} min"
            )
        if step.duration_s is not None:
            new_step = replace(step, duration_s=per_side, cues=())
        else:
            count = max(1, round(per_side / float(step.repetition_s or 1.0)))
            new_step = replace(step, repetitions=count, cues=())
        # Cues past the new end are dropped: a shortened step cannot speak after it is over.
        new_step = replace(
            new_step, cues=tuple(cue for cue in step.cues if cue.at_s < new_step.total_s)
        )
        steps = (*self.steps[:index], new_step, *self.steps[index + 1 :])
        return replace(self, steps=steps)
