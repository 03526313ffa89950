"""A program as JSON, so a recording carries the program it was run with.

``breathwise live --program NAME`` stores the program (after any ``--minutes`` stretching) and
the personal resonance rate in the recording header (``settings["program_plan"]``). A replay
rebuilds the very same :class:`~trainer.programs.runner.ProgramTimeline` from the file alone: the
program file may since have changed or be gone.

The JSON mirrors the dataclasses of :mod:`trainer.programs.model` one to one; it is written and
read only by this module, and a plan that cannot be read is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainer.coaching.pacer import BreathPattern
from trainer.programs.model import (
    Breathing,
    Cue,
    FixedPattern,
    OwnRhythm,
    Paced,
    PatternSpec,
    Posture,
    Program,
    ProgramKind,
    RatePattern,
    Step,
)
from trainer.storage.recording import RecordingError

PLAN_KEY = "program_plan"
"""Key of the header settings that holds the plan (``settings["program"]`` stays the name)."""
FROM_STEP_KEY = "from_step"
"""Key of the header settings that holds the 1-based step a session started at
(``live --from-step``); absent when it started at the first. The plan keeps the whole program,
so the steps keep their numbers ("step 12/30") and a replay starts where the session did."""


@dataclass(frozen=True, slots=True)
class ProgramPlan:
    """A program as a session runs it.

    Attributes
    ----------
    program : Program
        The program, already stretched to the session length.
    personal_rate_bpm : float or None
        The person's resonance rate (breaths/min) the program's personal steps pace at.
    start_s : float
        Session time at which the first step begins, in seconds.
    """

    program: Program
    personal_rate_bpm: float | None = None
    start_s: float = 0.0


def _pattern_spec_to_json(spec: PatternSpec) -> dict[str, Any]:
    if isinstance(spec, FixedPattern):
        return {"fixed": spec.pattern.to_dict()}
    return {
        "rate_bpm": spec.rate_bpm,
        "ratio": spec.ratio,
        "hold_in_s": spec.hold_in_s,
        "hold_out_s": spec.hold_out_s,
    }


def _pattern_spec_from_json(data: dict[str, Any]) -> PatternSpec:
    if "fixed" in data:
        return FixedPattern(BreathPattern.from_dict(data["fixed"]))
    rate = data["rate_bpm"]
    return RatePattern(
        None if rate is None else float(rate),
        float(data["ratio"]),
        float(data["hold_in_s"]),
        float(data["hold_out_s"]),
    )


def _breathing_to_json(breathing: Breathing) -> dict[str, Any]:
    if isinstance(breathing, OwnRhythm):
        return {"own": True, "target_ratio": breathing.target_ratio}
    # Only where there is one, so a plan without a floor is written as before.
    floor = {"min_ratio": breathing.min_ratio} if breathing.min_ratio is not None else {}
    return {
        "start": _pattern_spec_to_json(breathing.start),
        "end": None if breathing.end is None else _pattern_spec_to_json(breathing.end),
        "change_every_s": breathing.change_every_s,
        **floor,
    }


def _breathing_from_json(data: dict[str, Any]) -> Breathing:
    if data.get("own"):
        ratio = data.get("target_ratio")
        return OwnRhythm(None if ratio is None else float(ratio))
    end = data.get("end")
    floor = data.get("min_ratio")
    return Paced(
        _pattern_spec_from_json(data["start"]),
        None if end is None else _pattern_spec_from_json(end),
        float(data["change_every_s"]),
        None if floor is None else float(floor),
    )


def _step_to_json(step: Step) -> dict[str, Any]:
    # Only where there is one, so a plan without cautions is written as before.
    caution = {"caution": step.caution} if step.caution else {}
    return {
        "title": step.title,
        "text": step.text,
        "posture": step.posture.value,
        "breathing": _breathing_to_json(step.breathing),
        "duration_s": step.duration_s,
        "repetitions": step.repetitions,
        "repetition_s": step.repetition_s,
        "sides": list(step.sides),
        "alternate_sides": step.alternate_sides,
        "cues": [[cue.at_s, cue.text] for cue in step.cues],
        "scored": step.scored,
        "flexible": step.flexible,
        "transition": step.transition,
        **caution,
    }


def _step_from_json(data: dict[str, Any]) -> Step:
    duration = data.get("duration_s")
    repetitions = data.get("repetitions")
    repetition_s = data.get("repetition_s")
    return Step(
        title=str(data["title"]),
        text=str(data["text"]),
        posture=Posture(data["posture"]),
        breathing=_breathing_from_json(data["breathing"]),
        duration_s=None if duration is None else float(duration),
        repetitions=None if repetitions is None else int(repetitions),
        repetition_s=None if repetition_s is None else float(repetition_s),
        sides=tuple(str(side) for side in data.get("sides", ())),
        alternate_sides=bool(data.get("alternate_sides", False)),
        cues=tuple(Cue(float(at), str(text)) for at, text in data.get("cues", ())),
        scored=bool(data.get("scored", False)),
        flexible=bool(data.get("flexible", False)),
        transition=bool(data.get("transition", False)),
        caution=str(data.get("caution", "")),
    )


def plan_to_json(plan: ProgramPlan) -> dict[str, Any]:
    """The plan as a JSON-ready dict (for the recording header)."""
    program = plan.program
    return {
        "name": program.name,
        "title": program.title,
        "description": program.description,
        "kind": program.kind.value,
        "back_focused": program.back_focused,
        "tips": list(program.tips),
        "steps": [_step_to_json(step) for step in program.steps],
        "personal_rate_bpm": plan.personal_rate_bpm,
        "start_s": plan.start_s,
    }


def plan_from_json(data: object) -> ProgramPlan:
    """Read a plan written by :func:`plan_to_json`.

    Raises
    ------
    RecordingError
        The plan is malformed (a damaged or hand-edited header).
    """
    try:
        return parse_plan(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"the recording's program plan cannot be read ({exc})") from None


def parse_plan(data: object) -> ProgramPlan:
    """:func:`plan_from_json` raising what the reading raised (KeyError, TypeError or
    ValueError), so the recording reader can name the line."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    program = Program(
        name=str(data["name"]),
        title=str(data["title"]),
        description=str(data.get("description", "")),
        steps=tuple(_step_from_json(step) for step in data["steps"]),
        kind=ProgramKind(data.get("kind", ProgramKind.PRACTICE.value)),
        back_focused=bool(data.get("back_focused", False)),
        tips=tuple(str(tip) for tip in data.get("tips", ())),
        source="recording",
    )
    rate = data.get("personal_rate_bpm")
    return ProgramPlan(
        program, None if rate is None else float(rate), float(data.get("start_s", 0.0))
    )
