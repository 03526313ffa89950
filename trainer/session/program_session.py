"""Getting a program ready for a live session, and keeping what it found afterwards.

:func:`prepare_program` picks the program from the catalog, fits it to ``--minutes``, resolves
the person's resonance rate and checks that the whole timeline can be laid out before a sensor
is opened, so every problem is one line before anything starts. :func:`store_resonance` keeps
the rate a resonance assessment chose (``save_setting("resonance_rate_bpm", ...)``), which the
resonance-training program then paces at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from trainer.errors import BadArgument
from trainer.programs.catalog import Catalog, load_catalog
from trainer.programs.model import MIN_SCORED_STEPS, Program, ProgramKind, Step
from trainer.programs.runner import ProgramTimeline
from trainer.session.sensor_label import not_stored_reason
from trainer.session.summary import SessionSummary
from trainer.storage.config import RESONANCE_MAX_BPM, RESONANCE_MIN_BPM, Settings, save_setting
from trainer.storage.program_codec import ProgramPlan
from trainer.ui.headless import incomplete_assessment


@dataclass(frozen=True, slots=True)
class PreparedProgram:
    """A program ready to conduct.

    Attributes
    ----------
    plan : ProgramPlan
        The program (fitted to the asked length) and the personal rate.
    duration_s : float
        Session length, seconds: the program's, or shorter when ``--minutes`` cut a program of
        fixed length.
    note : str
        Something to tell the person before the start (cut short...), or empty.
    from_step : int
        The 1-based step the session starts at (``--from-step``; 1: the first). The plan
        keeps every step, so they keep their numbers; the header's ``from_step`` setting
        (:data:`~trainer.storage.program_codec.FROM_STEP_KEY`) starts the program's clock there.
    """

    plan: ProgramPlan
    duration_s: float
    note: str = ""
    from_step: int = 1


def prepare_program(
    name: str,
    settings: Settings,
    *,
    minutes: float | None = None,
    catalog: Catalog | None = None,
    from_step: str | None = None,
) -> PreparedProgram:
    """The program ``name`` as a session will run it.

    Parameters
    ----------
    name : str
        Program name (``breathwise programs``).
    settings : Settings
        For the stored resonance rate.
    minutes : float, optional
        Wanted length. A program with a flexible step is stretched or shortened to it
        (:meth:`Program.with_total_duration`); a program of fixed length is ended early when
        ``minutes`` is shorter (and refused when longer, or when so short that it leaves out
        what the program needs: :meth:`Program.shortest_stop_s`); either way the returned note
        says what is left out or shortened. Within :func:`fitting_range_min` but outside the
        program's ``recommended_minutes`` it runs as asked, with a warning in the note.
    catalog : Catalog, optional
        Defaults to :func:`load_catalog` (built-in plus the person's own programs).
    from_step : str, optional
        Start at this step (``--from-step``): its 1-based number or its title
        (:func:`find_step`). ``minutes`` is then the length of the session from that step on:
        the steps from there are fitted, cut or refused as the whole program would be.

    Raises
    ------
    BadArgument
        Unknown program or step, or a length the program cannot take.
    ProgramError
        The person's program file is malformed, or the program needs a resonance rate and none
        is stored ("run the resonance-assessment program first").
    """
    whole = (catalog or load_catalog()).get(name)
    first = find_step(whole, from_step) if from_step is not None else 0
    # From a later step on, the rest is fitted to --minutes as a program of its own would be:
    # its flexible step (if it is not before the start) grows or shrinks, else it is cut.
    program = (
        replace(whole, steps=whole.steps[first:], title=f"{whole.title} from step {first + 1}")
        if first
        else whole
    )
    duration_s = program.total_duration_s
    notes: list[str] = []
    recommended = program.recommended_minutes
    meant = f"; {recommended[0]:g}-{recommended[1]:g} min recommended" if recommended else ""
    if minutes is not None:
        wanted_s = minutes * 60.0
        span = fitting_range_min(program)
        if span is not None:
            low_min, high_min = span
            if not low_min * 60.0 <= wanted_s <= high_min * 60.0:
                raise BadArgument(
                    f"--minutes {minutes:g}: {program.title} can be fitted to "
                    f"{low_min}-{high_min} min ({_fitting_reason(program)}{meant})",
                    advice=f"leave --minutes out for its usual {duration_s / 60.0:.0f} min",
                )
            fitted = program.with_total_duration(wanted_s)
            if recommended is None or minutes < recommended[0]:
                # Within the recommended length the shorter main step is what was asked for.
                notes += filter(None, [_shortened_step(program, fitted, minutes)])
            program = fitted
            duration_s = program.total_duration_s
        elif wanted_s < duration_s:
            _check_stop(program, minutes)
            notes.append(_stopped_early(program, wanted_s, minutes))
            duration_s = wanted_s
        elif not math.isclose(wanted_s, duration_s):
            raise BadArgument(
                f"--minutes {minutes:g}: {program.title} has a fixed length of "
                f"{duration_s / 60.0:.1f} min",
                advice="leave --minutes out, or give a shorter time to stop early",
            )
        if recommended is not None and not recommended[0] <= minutes <= recommended[1]:
            # Run as asked (a short session beats none), but say what the practice is meant
            # to be: docs/reference/programs.md gives the relaxation response 10-20 minutes.
            notes.append(
                f"{program.title} is meant to last {recommended[0]:g}-{recommended[1]:g} min; "
                f"{minutes:g} min is {'shorter' if minutes < recommended[0] else 'longer'}"
            )
    if first:
        notes.insert(0, _started_later(whole, first))
        program = replace(whole, steps=whole.steps[:first] + program.steps)
    note = "; ".join(notes)
    plan = ProgramPlan(program, personal_rate_bpm=settings.resonance_rate_bpm)
    # Lays out every step now: a missing personal rate fails here, before a sensor is opened.
    ProgramTimeline(plan.program, personal_rate_bpm=plan.personal_rate_bpm)
    return PreparedProgram(plan, duration_s, note, first + 1)


def step_label(step: Step) -> str:
    """A step as listed and as ``--from-step`` takes it: its title, with its side for a step
    done on one side (``Figure-four pull (right)``), as two steps share the title."""
    return f"{step.title} ({step.sides[0]})" if len(step.sides) == 1 else step.title


def find_step(program: Program, wanted: str) -> int:
    """The 0-based index of the step ``wanted`` names in ``program``: a 1-based number, or a
    title (case and spacing ignored; with its side, ``Figure-four pull (left)``, for a step done
    on one side; a title alone is its first step, and a word or two of it do when only one
    step's title holds them).

    Raises
    ------
    BadArgument
        No step (or more than one) matches: the message lists the steps with their numbers.
    """
    text = " ".join(wanted.split()).casefold()
    steps = program.steps
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(steps):
            return number - 1
    else:
        labels = [" ".join(step_label(s).split()).casefold() for s in steps]
        titles = [" ".join(s.title.split()).casefold() for s in steps]
        for names in (labels, titles):
            if text in names:
                return names.index(text)
        # A part of a title: only when it names one stretch (its steps per side, and the
        # posture changes that share a title, count as one).
        found = {titles[i] for i in range(len(steps)) if text and text in labels[i]}
        if len(found) == 1:
            return titles.index(found.pop())
    listed = ", ".join(f"{i} {step_label(s)}" for i, s in enumerate(steps, start=1))
    raise BadArgument(
        f"--from-step {wanted!r}: {program.title} has no such step (it has {len(steps)}: {listed})",
        f"give a step's number (1-{len(steps)}) or its title; 'breathwise programs "
        f"{program.name}' lists them with their lengths",
    )


def _started_later(program: Program, first: int) -> str:
    """The note for a session started at step ``first`` (0-based): where, and what it leaves
    out before it (the posture changes and side switches unnamed)."""
    left_out: list[str] = []
    for step in program.steps[:first]:
        if not step.transition and step_label(step) not in left_out:
            left_out.append(step_label(step))
    step = program.steps[first]
    before = f"; left out before it: {', '.join(left_out)}" if left_out else ""
    done, planned = program.scored_steps_by(program.step_ends_s()[first - 1])
    unstored = (
        f"; {planned - done} of {planned} rates are tried, so the rate it finds is shown but "
        "not stored"
        if program.kind is ProgramKind.RESONANCE_ASSESSMENT and done
        else ""
    )
    return (
        f'starting at step {first + 1}/{len(program.steps)}, "{step_label(step)}"{before}{unstored}'
    )


LONGEST_FITTED_MIN = 180
"""Longest ``--minutes`` a program with a flexible step is fitted to (3 h): a round bound
where the step's own limit (:data:`~trainer.programs.model.MAX_STEP_S` plus the other steps)
gave "runs 2-181 min"."""


def fitting_range_min(program: Program) -> tuple[int, int] | None:
    """Shortest and longest whole minutes ``--minutes`` can fit ``program`` to, or ``None``
    for a program of fixed length.

    The shortest is the other steps plus one minute of the flexible step
    (:meth:`~trainer.programs.model.Program.flexible_range_s`), rounded up to a whole minute;
    the longest :data:`LONGEST_FITTED_MIN`, or less if the step cannot stretch that far.
    """
    span = program.flexible_range_s()
    if span is None:
        return None
    low_s, high_s = span
    return math.ceil(low_s / 60.0 - 1e-9), min(LONGEST_FITTED_MIN, math.floor(high_s / 60.0))


def _span_text(seconds: float) -> str:
    """A step length for a message: ``30 s``, ``1 min``, ``1.5 min``."""
    return f"{seconds:.0f} s" if seconds < 60.0 else f"{seconds / 60.0:.3g} min"


def _flexible_step(program: Program) -> Step:
    return next(step for step in program.steps if step.flexible)


def _fitting_reason(program: Program) -> str:
    """Why a fitted program has its shortest length: its fixed steps and a minute of the
    flexible one."""
    step = _flexible_step(program)
    others_s = program.total_duration_s - step.total_s
    per_side = " on each side" if step.side_count > 1 else ""
    return f'its other steps take {_span_text(others_s)}, "{step.title}" at least 1 min{per_side}'


def _shortened_step(program: Program, fitted: Program, minutes: float) -> str:
    """What fitting to a shorter length did: the flexible step's new length, beside the steps
    that keep theirs; empty when it was not shortened."""
    before, after = _flexible_step(program), _flexible_step(fitted)
    if after.total_s >= before.total_s:
        return ""
    others = [f'{_span_text(s.total_s)} "{s.title}"' for s in fitted.steps if not s.flexible]
    return (
        f'{minutes:g} min: "{after.title}" runs {_span_text(after.total_s)} instead of '
        f"{_span_text(before.total_s)}; " + ", ".join(others) + " as usual"
    )


def _check_stop(program: Program, minutes: float) -> None:
    """Refuse stopping ``program`` (of fixed length) after ``minutes`` when that leaves out what
    it needs (:meth:`Program.shortest_stop_s`: a resonance assessment's second scored step).
    The bound is stated in whole minutes, as a fitted program's is (:func:`fitting_range_min`).

    Raises
    ------
    BadArgument
        ``minutes`` is below the bound, with the range and why.
    """
    full_s = program.total_duration_s
    needed_s = program.shortest_stop_s()
    low_s = min(math.ceil(needed_s / 60.0 - 1e-9) * 60.0, full_s)
    if minutes * 60.0 >= low_s:
        return
    last = [s for s in program.steps if s.scored][:MIN_SCORED_STEPS][-1]
    raise BadArgument(
        f"--minutes {minutes:g}: {program.title} can be shortened to {_minutes(low_s)}-"
        f"{_minutes(full_s)} min (it compares whole paced steps, at least {MIN_SCORED_STEPS}, "
        f'and the last of those, "{last.title}", ends at {_minutes(needed_s)} min)',
        advice=f"leave --minutes out for its usual {_minutes(full_s)} min, the only length "
        "whose rate is stored",
    )


def _minutes(seconds: float) -> str:
    """Minutes for a bound in a message: ``5``, ``10.5``."""
    return f"{round(seconds / 60.0, 1):g}"


def _stopped_early(program: Program, stop_s: float, minutes: float) -> str:
    """The note for a program of fixed length cut at ``stop_s`` seconds: where it stops, and
    which steps it leaves out (the posture changes and side switches between them unnamed)."""
    start_s = 0.0
    cut_in = ""
    left_out: list[str] = []
    for step in program.steps:
        end_s = start_s + step.total_s
        if start_s < stop_s < end_s and not step.transition:
            cut_in = step.title
        elif start_s >= stop_s and not step.transition:
            # A stretch done one side per step: name the side that is left out.
            sides = f" ({', '.join(step.sides)} side)" if step.sides else ""
            name = f"{step.title}{sides}" if step.title == cut_in else step.title
            if name not in left_out:
                left_out.append(name)
        start_s = end_s
    during = f', during "{cut_in}"' if cut_in else ""
    missed = f"; left out: {', '.join(left_out)}" if left_out else ""
    done, planned = program.scored_steps_by(stop_s)
    # store_resonance keeps only the rate of an assessment that tried every rate.
    unstored = (
        f"; {done} of {planned} rates tried, so the rate it finds is shown but not stored"
        if program.kind is ProgramKind.RESONANCE_ASSESSMENT and done < planned
        else ""
    )
    return (
        f"{program.title} lasts {program.total_duration_s / 60.0:.1f} min; it will stop after "
        f"{minutes:g} min{during}{missed}{unstored}"
    )


def store_resonance(summary: SessionSummary) -> float | None:
    """Store the rate a resonance assessment chose as the ``resonance_rate_bpm`` setting.

    Parameters
    ----------
    summary : SessionSummary
        The session summary (``Pipeline.summary``), whose ``"resonance"`` entry holds the result.

    Returns
    -------
    float or None
        The stored rate (breaths/min), or ``None`` when the session chose none (not an
        assessment, stopped before every rate was tried, or no step could be scored) or was not
        measured on the person (the simulated sensor, or none:
        :func:`trainer.session.sensor_label.not_stored_reason`).
    """
    resonance = summary.get("resonance")
    if resonance is None:
        return None
    if not_stored_reason(summary.get("source_kind", "")):
        return None
    chosen = resonance.get("chosen_rate_bpm")
    if chosen is None or incomplete_assessment(resonance):
        return None
    rate = float(chosen)  # a JSON integer is a rate too
    if not RESONANCE_MIN_BPM <= rate <= RESONANCE_MAX_BPM:
        return None  # outside what the setting accepts: a protocol with unusual rates
    save_setting("resonance_rate_bpm", rate)
    return rate
