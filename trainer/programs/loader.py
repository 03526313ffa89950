"""Read a program from TOML and check every field, pointing at the file and line of any mistake.

A program file looks like this (``trainer/programs/*.toml`` are complete examples)::

    title = "Deep breathing 4-8"
    description = "In for four, out for eight."
    back_focused = false               # true: the red-flag safety questions first. Any
    #   program that stretches or moves the back must say true; a program with a step in
    #   repetitions or on sides must say true or false; a file named like a back-focused
    #   built-in keeps its questions (false is refused there)
    kind = "practice"                  # or "resonance_assessment"
    tips = ["..."]                     # shown before the start and until the first cue
    needs = ["a chair"]                # optional: what to have at hand, a few words each
    caution = "..."                    # optional: default caution line of every step but
    #                                      transitions (a step's own caution = "..." overrides)
    eyes_closed = false                # true: cues chime as steps do (say in the first step's
    #                                      text to glance at the screen then); warned before
    #                                      the start when there is no sound
    recommended_minutes = [10, 20]     # optional: outside it, --minutes warns
    posture = "sitting"                # default for steps that do not say
    breathing = { inhale_s = 4, exhale_s = 8 }   # default for steps that do not say

    [[step]]
    title = "Settle"
    text = "..."
    duration_s = 60                    # or: repetitions = 10, repetition_s = 12
    sides = ["left", "right"]          # optional, with alternate_sides = true to switch each time
    #   or ["left"]: this side only (a step per side, with a "Switch sides" transition between)
    breathing = { own = true, ratio = 1.2 }
    #   or { inhale_s = 2, exhale_s = 4, end = { inhale_s = 4, exhale_s = 8 }, change_every_s = 60 }
    #   or { rate_bpm = 6.0, ratio = 1.0 }  or  { rate_bpm = "personal" }
    #   any paced one may add hold_in_s = 2 and/or hold_out_s = 2 (holds after in/out, s)
    #   and min_ratio = 1.1: the least exhale:inhale ratio that is fine (at least 10 % below
    #   the pace's own): the coach asks for a longer out-breath only below it, and praises only the
    #   pace's own ratio
    transition = true                  # optional: a posture change or a side switch, breathed
    #                                      freely (own = true)
    scored = true                      # optional: kind = "resonance_assessment" scores this
    #                                      step's heart response; at least two steps must say
    #                                      so, each at one fixed pace (no end)
    flexible = true                    # optional: the step that grows or shrinks when the
    #                                      program is run with --minutes (the first such step)

    [[step.cue]]
    at_s = 30
    text = "..."
    every_repetition = true            # optional, counted steps: at_s into each repetition

``tomllib`` gives line numbers for syntax errors only, so the lines of semantic errors come from
:class:`trainer.programs.toml_lines.KeyLines`.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from trainer.coaching.coach import RATIO_CUE, target_ratio
from trainer.coaching.pacer import MAX_RATE_BPM, MAX_RATIO, MIN_RATE_BPM, MIN_RATIO, BreathPattern
from trainer.programs.model import (
    MAX_REPETITIONS,
    MAX_STEP_S,
    MIN_SCORED_STEPS,
    Breathing,
    Cue,
    FixedPattern,
    OwnRhythm,
    Paced,
    PatternSpec,
    Posture,
    Program,
    ProgramError,
    ProgramKind,
    RatePattern,
    Step,
)
from trainer.programs.toml_lines import KeyLines, KeyPath
from trainer.storage.safe_parse import toml_loads

__all__ = ["NAME_PATTERN", "ProgramError", "load_program", "parse_program", "toml_error_line"]

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Program names (file stems): lower-case letters, digits, ``-`` and ``_``, so they can be typed."""

PERSONAL_RATE = "personal"
"""The ``rate_bpm`` value meaning "the person's stored resonance rate"."""

_PROGRAM_KEYS = (
    "title",
    "description",
    "kind",
    "back_focused",
    "tips",
    "needs",
    "caution",
    "eyes_closed",
    "recommended_minutes",
    "posture",
    "breathing",
    "step",
)
_STEP_KEYS = (
    "title",
    "text",
    "posture",
    "duration_s",
    "repetitions",
    "repetition_s",
    "sides",
    "alternate_sides",
    "breathing",
    "cue",
    "scored",
    "flexible",
    "transition",
    "caution",
)
_PATTERN_KEYS = ("inhale_s", "exhale_s", "hold_in_s", "hold_out_s", "rate_bpm", "ratio")
_BREATHING_KEYS = (*_PATTERN_KEYS, "own", "end", "change_every_s", "min_ratio")
_CUE_KEYS = ("at_s", "text", "every_repetition")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def toml_error_line(error: tomllib.TOMLDecodeError, text: str) -> int:
    """1-based line of a TOML syntax error (the last line for "at end of document")."""
    match = _TOML_POSITION.search(str(error))
    if match is not None:
        return int(match.group(1))
    return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))


def toml_error_problem(error: tomllib.TOMLDecodeError) -> str:
    """The syntax error's description without its position (the position is shown separately)."""
    return _TOML_POSITION.sub("", str(error)).replace("(at end of document)", "").strip()


class _Checker:
    """Validation context: knows the file, its key lines and how to name a field."""

    def __init__(self, source: str, lines: KeyLines) -> None:
        self.source = source
        self.lines = lines
        self.step_titles: dict[int, str] = {}

    def label(self, path: KeyPath) -> str:
        """Human name of a field: ``step 3 ("Sacrum"): breathing.inhale_s``."""
        if len(path) >= 2 and path[0] == "step" and isinstance(path[1], int):
            title = self.step_titles.get(path[1])
            head = f"step {path[1] + 1}" + (f" ({title!r})" if title else "")
            rest = path[2:]
        else:
            head, rest = "", path
        names: list[str] = []
        for part in rest:
            if isinstance(part, int):
                names.append(f"[{part + 1}]")
            else:
                names.append(("." if names else "") + part)
        tail = "".join(names)
        if head and tail:
            return f"{head}: {tail}"
        return head or tail or "program"

    def fail(self, path: KeyPath, problem: str) -> NoReturn:
        raise ProgramError(
            problem,
            source=self.source,
            line=self.lines.line_of(path),
            field=self.label(path),
            advice=(
                "fix the program file (the built-in programs are examples: "
                "'breathwise config show' says where they are)"
            ),
        )

    def keys(self, table: Mapping[str, Any], path: KeyPath, allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else (f"; expected one of: {', '.join(allowed)}")
                )
                self.fail((*path, key), f"unknown field {key!r}{hint}")

    def table(self, value: object, path: KeyPath) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"must be a table, got {_kind(value)}")
        return value

    def text(self, table: Mapping[str, Any], key: str, path: KeyPath, *, required: bool) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.fail(path, f"missing field {key!r}")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail((*path, key), f"must be non-empty text, got {_kind(value)}")
        return value.strip()

    def flag(self, table: Mapping[str, Any], key: str, path: KeyPath) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.fail((*path, key), f"must be true or false, got {_kind(value)}")
        return value

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        path: KeyPath,
        *,
        low: float,
        high: float,
        low_open: bool = False,
        unit: str = "",
    ) -> float:
        value = table[key]
        lower = f"more than {low:g}" if low_open else f"at least {low:g}"
        wanted = f"a number {lower} and at most {high:g}{unit}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail((*path, key), f"must be {wanted}, got {_kind(value)}")
        number = float(value)
        too_low = number <= low if low_open else number < low
        if not math.isfinite(number) or too_low or number > high:
            self.fail((*path, key), f"must be {wanted}, got {value!r}")
        return number

    def optional_number(
        self,
        table: Mapping[str, Any],
        key: str,
        path: KeyPath,
        *,
        low: float,
        high: float,
        low_open: bool = False,
        unit: str = "",
    ) -> float | None:
        if key not in table:
            return None
        return self.number(table, key, path, low=low, high=high, low_open=low_open, unit=unit)


def _kind(value: object) -> str:
    """How a wrong value is described: its TOML type and, when short, the value itself."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "text",
        list: "an array",
        dict: "a table",
    }
    kind = names.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown}" if len(shown) <= 40 else kind


def _pattern(check: _Checker, table: Mapping[str, Any], path: KeyPath) -> PatternSpec:
    """A pattern from phase seconds or from ``rate_bpm`` (+ ``ratio``), with optional holds."""
    has_phases = "inhale_s" in table or "exhale_s" in table
    has_rate = "rate_bpm" in table
    if has_phases and has_rate:
        check.fail((*path, "rate_bpm"), "give either inhale_s/exhale_s or rate_bpm, not both")
    if not (has_phases or has_rate):
        check.fail(path, "missing the pace: inhale_s and exhale_s, or rate_bpm (or own = true)")
    holds = {
        key: check.optional_number(table, key, path, low=0.0, high=30.0, unit=" s") or 0.0
        for key in ("hold_in_s", "hold_out_s")
    }
    if has_phases:
        if "ratio" in table:
            check.fail((*path, "ratio"), "ratio goes with rate_bpm; inhale_s/exhale_s fix it")
        for key in ("inhale_s", "exhale_s"):
            if key not in table:
                check.fail(path, f"missing field {key!r}")
        inhale = check.number(table, "inhale_s", path, low=0.0, high=30.0, low_open=True, unit=" s")
        exhale = check.number(table, "exhale_s", path, low=0.0, high=30.0, low_open=True, unit=" s")
        try:
            return FixedPattern(
                BreathPattern(inhale, exhale, holds["hold_in_s"], holds["hold_out_s"])
            )
        except ValueError as exc:
            check.fail(path, str(exc))
    ratio = check.optional_number(table, "ratio", path, low=MIN_RATIO, high=MAX_RATIO)
    rate_value = table["rate_bpm"]
    rate: float | None
    if rate_value == PERSONAL_RATE:
        rate = None
    elif isinstance(rate_value, str):
        check.fail(
            (*path, "rate_bpm"), f"must be breaths/min or {PERSONAL_RATE!r}, got {rate_value!r}"
        )
    else:
        rate = check.number(
            table, "rate_bpm", path, low=MIN_RATE_BPM, high=MAX_RATE_BPM, unit=" breaths/min"
        )
    spec = RatePattern(
        rate_bpm=rate,
        ratio=1.0 if ratio is None else ratio,
        hold_in_s=holds["hold_in_s"],
        hold_out_s=holds["hold_out_s"],
    )
    if rate is not None:
        try:
            spec.resolve(None)
        except ValueError as exc:
            check.fail(path, str(exc))
    return spec


def _breathing(check: _Checker, value: object, path: KeyPath) -> Breathing:
    table = check.table(value, path)
    check.keys(table, path, _BREATHING_KEYS)
    if check.flag(table, "own", path):
        for key in table:
            if key not in ("own", "ratio"):
                check.fail((*path, key), "not used with own = true (only ratio is)")
        ratio = check.optional_number(table, "ratio", path, low=MIN_RATIO, high=MAX_RATIO)
        return OwnRhythm(target_ratio=ratio)
    start = _pattern(check, {k: v for k, v in table.items() if k in _PATTERN_KEYS}, path)
    end: PatternSpec | None = None
    every: float | None = None
    if "end" in table:
        end_path = (*path, "end")
        end_table = check.table(table["end"], end_path)
        check.keys(end_table, end_path, _PATTERN_KEYS)
        end = _pattern(check, end_table, end_path)
        every = check.optional_number(
            table, "change_every_s", path, low=1.0, high=MAX_STEP_S, unit=" s"
        )
    elif "change_every_s" in table:
        check.fail((*path, "change_every_s"), "only used with end (a slowing pattern)")
    floor = _min_ratio(check, table, path, (start,) if end is None else (start, end))
    return Paced(
        start=start,
        end=end,
        change_every_s=30.0 if every is None else every,
        min_ratio=floor,
    )


def _min_ratio(
    check: _Checker, table: Mapping[str, Any], path: KeyPath, specs: Sequence[PatternSpec]
) -> float | None:
    """``min_ratio``, checked to lie at least 10 % below the ratio of every pattern it relaxes.

    The coach praises a ratio within 10 % of the pace's own (:data:`RATIO_CUE`'s off
    threshold) and corrects one below the floor: a floor in that band would have praise and
    correction alternate over the same breathing, and one above the pace's ratio would correct
    the very breathing the pacer leads. The ratio compared is the one the coach judges against
    (:func:`trainer.coaching.coach.target_ratio`, a hold at the top counted as inhale), or for
    a personal rate, not known until the session, the written ``ratio``.
    """
    floor = check.optional_number(table, "min_ratio", path, low=MIN_RATIO, high=MAX_RATIO)
    if floor is None:
        return None
    for spec in specs:
        asked = (
            spec.ratio
            if isinstance(spec, RatePattern) and spec.personal
            else target_ratio(spec.resolve(None))
        )
        highest = asked / math.exp(RATIO_CUE[1])
        if floor > highest:
            check.fail(
                (*path, "min_ratio"),
                f"must be at most {highest:.3g}, 10 % below the pace's own exhale:inhale ratio "
                f"({asked:.3g}) where the coach's praise begins, got {floor:g}",
            )
    return floor


def _posture(check: _Checker, value: object, path: KeyPath) -> Posture:
    try:
        return Posture(value if isinstance(value, str) else "")
    except ValueError:
        choices = ", ".join(p.value for p in Posture)
        check.fail(path, f"unknown posture {value!r}; expected one of: {choices}")


def _sides(check: _Checker, value: object, path: KeyPath) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        check.fail(
            path, f'must be an array of side names like ["left", "right"], got {_kind(value)}'
        )
    sides = tuple(v.strip() for v in value)
    if not sides or len(set(sides)) != len(sides):
        check.fail(path, "must name one side, or different sides to work in turn")
    return sides


def _cues(
    check: _Checker, value: object, path: KeyPath, step_s: float, repetition_s: float | None
) -> tuple[Cue, ...]:
    if not isinstance(value, list):
        check.fail(path, f"must be an array of tables ([[step.cue]]), got {_kind(value)}")
    cues: list[Cue] = []
    written_at = 0.0
    for i, item in enumerate(value):
        cue_path = (*path, i)
        table = check.table(item, cue_path)
        check.keys(table, cue_path, _CUE_KEYS)
        if "at_s" not in table:
            check.fail(cue_path, "missing field 'at_s'")
        at_s = check.number(table, "at_s", cue_path, low=0.0, high=MAX_STEP_S, unit=" s")
        if at_s >= step_s:
            check.fail((*cue_path, "at_s"), f"falls after the step's end ({step_s:g} s)")
        if at_s < written_at:
            check.fail((*cue_path, "at_s"), "cues must be in time order")
        written_at = at_s
        text = check.text(table, "text", cue_path, required=True)
        if not check.flag(table, "every_repetition", cue_path):
            cues.append(Cue(at_s=at_s, text=text))
            continue
        # A hold-and-release stretch needs its "release" in every repetition, not the first.
        if repetition_s is None:
            check.fail((*cue_path, "every_repetition"), "needs a counted step (repetitions)")
        if at_s >= repetition_s:
            check.fail((*cue_path, "at_s"), f"falls after a repetition's end ({repetition_s:g} s)")
        slots = round(step_s / repetition_s)
        cues.extend(Cue(at_s=at_s + k * repetition_s, text=text) for k in range(slots))
    return tuple(sorted(cues, key=lambda cue: cue.at_s))


def _step(
    check: _Checker,
    value: object,
    index: int,
    default_posture: Posture | None,
    default_breathing: Breathing | None,
    default_caution: str = "",
) -> Step:
    path: KeyPath = ("step", index)
    table = check.table(value, path)
    title = check.text(table, "title", path, required=True)
    check.step_titles[index] = title
    check.keys(table, path, _STEP_KEYS)
    text = check.text(table, "text", path, required=True)
    if "posture" in table:
        posture = _posture(check, table["posture"], (*path, "posture"))
    elif default_posture is not None:
        posture = default_posture
    else:
        check.fail(path, "missing field 'posture' (and the program sets no default posture)")
    if "breathing" in table:
        breathing = _breathing(check, table["breathing"], (*path, "breathing"))
    elif default_breathing is not None:
        breathing = default_breathing
    else:
        check.fail(path, "missing field 'breathing' (and the program sets no default breathing)")

    duration = check.optional_number(
        table, "duration_s", path, low=0.0, high=MAX_STEP_S, low_open=True, unit=" s"
    )
    repetitions: int | None = None
    repetition_s: float | None = None
    if "repetitions" in table:
        if duration is not None:
            check.fail((*path, "repetitions"), "give either duration_s or repetitions, not both")
        count = table["repetitions"]
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not 1 <= count <= MAX_REPETITIONS
        ):
            check.fail(
                (*path, "repetitions"),
                f"must be a whole number from 1 to {MAX_REPETITIONS}, got {_kind(count)}",
            )
        repetitions = count
        if "repetition_s" not in table:
            check.fail((*path, "repetitions"), "needs repetition_s too (seconds per repetition)")
        repetition_s = check.number(
            table, "repetition_s", path, low=0.0, high=600.0, low_open=True, unit=" s"
        )
        if repetitions * repetition_s > MAX_STEP_S:
            check.fail((*path, "repetitions"), f"makes the step longer than {MAX_STEP_S:g} s")
    elif "repetition_s" in table:
        check.fail((*path, "repetition_s"), "only used with repetitions")
    elif duration is None:
        check.fail(path, "missing field 'duration_s' (or repetitions and repetition_s)")

    sides = _sides(check, table["sides"], (*path, "sides")) if "sides" in table else ()
    alternate = check.flag(table, "alternate_sides", path)
    if alternate and not (len(sides) > 1 and repetitions is not None):
        check.fail((*path, "alternate_sides"), "needs two sides or more and repetitions")
    per_side_s = (
        duration if duration is not None else float(repetitions or 0) * (repetition_s or 0.0)
    )
    total_s = per_side_s * max(1, len(sides))
    cues: tuple[Cue, ...] = ()
    if "cue" in table:
        cues = _cues(check, table["cue"], (*path, "cue"), total_s, repetition_s)
    transition = check.flag(table, "transition", path)
    # A transition (standing up, rolling over) is no stretch: the program's caution is for the
    # steps that are; a step may still give its own.
    caution = (
        check.text(table, "caution", path, required=False)
        if "caution" in table
        else ("" if transition else default_caution)
    )
    try:
        return Step(
            title=title,
            text=text,
            posture=posture,
            breathing=breathing,
            duration_s=duration,
            repetitions=repetitions,
            repetition_s=repetition_s,
            sides=sides,
            alternate_sides=alternate,
            cues=cues,
            scored=check.flag(table, "scored", path),
            flexible=check.flag(table, "flexible", path),
            transition=transition,
            caution=" ".join(caution.split()),
        )
    except ValueError as exc:  # the model's own checks, should the ones above miss a case
        check.fail(path, str(exc))


def parse_program(
    text: str, *, name: str, source: str, replaces_back_focused: str | None = None
) -> Program:
    """Build a :class:`Program` from TOML text.

    Parameters
    ----------
    text : str
        The TOML document.
    name : str
        The program's name (its file stem), checked against :data:`NAME_PATTERN`.
    source : str
        How to name the file in error messages.
    replaces_back_focused : str, optional
        The title of the back-focused built-in program this file replaces (same name): the
        program then asks the safety questions first whether or not the file says so, and a
        file saying ``back_focused = false`` is refused (:func:`_back_focused`).

    Raises
    ------
    ProgramError
        Syntax errors and every invalid, missing or unknown field, naming ``source``, the line
        and the field.
    """
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(
            f"not valid TOML: {toml_error_problem(exc)}",
            source=source,
            line=toml_error_line(exc, text),
            advice="fix the program file's syntax",
        ) from None
    check = _Checker(source, KeyLines.scan(text))
    if not NAME_PATTERN.match(name):
        raise ProgramError(
            f"the file name {name!r} is not a usable program name",
            source=source,
            advice="name the file with lower-case letters, digits, '-' or '_', ending in .toml",
        )
    check.keys(data, (), _PROGRAM_KEYS)
    title = check.text(data, "title", (), required=True)
    description = check.text(data, "description", (), required=True)
    if "\n" in description:
        check.fail(("description",), "must be one line")
    kind_value = data.get("kind", ProgramKind.PRACTICE.value)
    try:
        kind = ProgramKind(kind_value)
    except ValueError:
        choices = ", ".join(k.value for k in ProgramKind)
        check.fail(("kind",), f"unknown kind {kind_value!r}; expected one of: {choices}")
    tips_value = data.get("tips", [])
    if not isinstance(tips_value, list) or not all(isinstance(t, str) for t in tips_value):
        check.fail(("tips",), f"must be an array of text, got {_kind(tips_value)}")
    needs_value = data.get("needs", [])
    if not isinstance(needs_value, list) or not all(isinstance(t, str) for t in needs_value):
        check.fail(("needs",), f"must be an array of text, got {_kind(needs_value)}")
    caution = check.text(data, "caution", (), required=False)
    recommended = _recommended_minutes(check, data)
    default_posture = _posture(check, data["posture"], ("posture",)) if "posture" in data else None
    default_breathing = (
        _breathing(check, data["breathing"], ("breathing",)) if "breathing" in data else None
    )
    steps_value = data.get("step")
    if not isinstance(steps_value, list) or not steps_value:
        check.fail(("step",), "a program needs at least one [[step]]")
    steps = tuple(
        _step(check, item, i, default_posture, default_breathing, caution)
        for i, item in enumerate(steps_value)
    )
    if kind is ProgramKind.RESONANCE_ASSESSMENT:
        scored = [s for s in steps if s.scored]
        fixed = [s for s in scored if isinstance(s.breathing, Paced) and s.breathing.end is None]
        if len(scored) < MIN_SCORED_STEPS or len(fixed) < len(scored):
            check.fail(
                ("step",),
                f"a resonance assessment needs at least {MIN_SCORED_STEPS} steps with scored = "
                "true, each at one fixed pace (breathing = { rate_bpm = ... } or "
                "inhale_s/exhale_s, no end); "
                f"{len(scored)} step(s) here are scored, {len(fixed)} of them at a fixed pace",
            )
    return Program(
        name=name,
        title=title,
        description=description,
        steps=steps,
        kind=kind,
        back_focused=_back_focused(check, data, steps, name, replaces_back_focused),
        tips=tuple(t.strip() for t in tips_value if t.strip()),
        needs=tuple(" ".join(t.split()) for t in needs_value if t.strip()),
        eyes_closed=check.flag(data, "eyes_closed", ()),
        recommended_minutes=recommended,
        source=source,
    )


def _back_focused(
    check: _Checker,
    data: Mapping[str, Any],
    steps: Sequence[Step],
    name: str,
    replaces_back_focused: str | None,
) -> bool:
    """Whether the program asks the red-flag safety questions first.

    ``docs/reference/programs.md``: "Before any back-focused program, screen for red flags".
    The flag defaults to false, so a copy of a back program that leaves the line out would run
    its stretches with no questions, even unattended (without this, a user file replacing
    ``back-release`` without the line did). Hence:

    * a file named like a back-focused built-in replaces its steps but not its screen: without
      the line it asks the questions, and ``back_focused = false`` is refused;
    * a file with a step done in repetitions or on sides must state the flag either way. Those
      two fields are how a program writes an exercise (every stretch of ``back-release`` has
      one; no breathing program or body scan has any), so leaving the line out of such a file
      is far more likely an omission than a decision. They do not show that the exercise is
      for the back (a hand or neck stretch has sides too), so ``false`` is accepted when
      written; and a program without them (a body scan of the spine) cannot be told from a
      breathing exercise, which is why the format notes say that every program that stretches
      or moves the back must set the flag.
    """
    if replaces_back_focused is not None:
        if data.get("back_focused", True) is False:
            raise ProgramError(
                f"cannot be false: this file replaces the built-in {name!r} "
                f"({replaces_back_focused}), whose red-flag safety questions cannot be turned "
                "off",
                source=check.source,
                line=check.lines.line_of(("back_focused",)),
                field="back_focused",
                advice="remove the line or set it to true",
            )
        check.flag(data, "back_focused", ())
        return True
    if "back_focused" not in data:
        exercise = next(
            (
                (i, "repetitions" if step.repetitions is not None else "sides")
                for i, step in enumerate(steps)
                if not step.transition and (step.repetitions is not None or step.sides)
            ),
            None,
        )
        if exercise is not None:
            index, key = exercise
            raise ProgramError(
                f"a step {'in repetitions' if key == 'repetitions' else 'on sides'} is an "
                "exercise: the program must say whether it works on the back",
                source=check.source,
                line=check.lines.line_of(("step", index, key)),
                field=check.label(("step", index, key)),
                advice="add back_focused = true (the safety questions first; any program that "
                "stretches or moves the back) or back_focused = false near the top of the file",
            )
    return check.flag(data, "back_focused", ())


def _recommended_minutes(check: _Checker, data: Mapping[str, Any]) -> tuple[float, float] | None:
    """``recommended_minutes = [shortest, longest]``, checked; ``None`` when absent."""
    if "recommended_minutes" not in data:
        return None
    value = data["recommended_minutes"]
    numbers = (
        [float(v) for v in value]
        if isinstance(value, list)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        else []
    )
    if len(numbers) != 2 or not all(math.isfinite(v) for v in numbers):
        check.fail(("recommended_minutes",), "must be [shortest, longest] in minutes")
    if not 0.0 < numbers[0] <= numbers[1]:
        check.fail(("recommended_minutes",), "needs 0 < shortest <= longest")
    return numbers[0], numbers[1]


def load_program(
    path: Path, *, display: str | None = None, replaces_back_focused: str | None = None
) -> Program:
    """Read and validate the program file ``path``; its name is the file stem.

    Parameters
    ----------
    path : Path
        A ``.toml`` program file.
    display : str, optional
        How to name the file in messages (defaults to ``str(path)``).
    replaces_back_focused : str, optional
        Title of the back-focused built-in the file replaces (see :func:`parse_program`).

    Raises
    ------
    ProgramError
        The file cannot be read, is not UTF-8, or is not a valid program.
    """
    source = display or str(path)
    try:
        # utf-8-sig: Windows Notepad starts the file with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ProgramError(
            f"cannot read the program: {exc.strerror or exc}", source=source
        ) from None
    except UnicodeDecodeError as exc:
        raise ProgramError(
            f"not UTF-8 text (byte {exc.start})", source=source, advice="save the file as UTF-8"
        ) from None
    return parse_program(
        text, name=path.stem, source=source, replaces_back_focused=replaces_back_focused
    )
