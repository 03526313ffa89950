"""Getting a program ready for a live session, and keeping what it found afterwards.

:func:`prepare_program` picks the program from the catalog, fits it to ``--minutes``, resolves
the person's resonance rate and checks that the whole timeline can be laid out before a sensor
is opened, so every problem is one line before anything starts. :func:`store_resonance` keeps
the rate a resonance assessment chose (``save_setting("resonance_rate_bpm", ...)``), which the
resonance-training program then paces at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trainer.config import RESONANCE_MAX_BPM, RESONANCE_MIN_BPM, Settings, save_setting
from trainer.errors import BadArgument
from trainer.headless import incomplete_assessment
from trainer.program_codec import ProgramPlan
from trainer.programs.catalog import Catalog, load_catalog
from trainer.programs.runner import ProgramTimeline
from trainer.sensor_label import not_stored_reason


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
    """

    plan: ProgramPlan
    duration_s: float
    note: str = ""


def prepare_program(
    name: str,
    settings: Settings,
    *,
    minutes: float | None = None,
    catalog: Catalog | None = None,
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
        ``minutes`` is shorter (and refused when longer). Outside the program's
        ``recommended_minutes`` it runs as asked, with a warning in the returned note.
    catalog : Catalog, optional
        Defaults to :func:`load_catalog` (built-in plus the person's own programs).

    Raises
    ------
    BadArgument
        Unknown program, or a length the program cannot take.
    ProgramError
        The person's program file is malformed, or the program needs a resonance rate and none
        is stored ("run the resonance-assessment program first").
    """
    program = (catalog or load_catalog()).get(name)
    duration_s = program.total_duration_s
    note = ""
    recommended = program.recommended_minutes
    meant = f" ({recommended[0]:g}-{recommended[1]:g} min recommended)" if recommended else ""
    if minutes is not None:
        wanted_s = minutes * 60.0
        span = program.flexible_range_s()
        if span is not None:
            low_s, high_s = span
            if not low_s <= wanted_s <= high_s:
                raise BadArgument(
                    f"--minutes {minutes:g}: {program.title} runs "
                    f"{math.ceil(low_s / 60.0):.0f}-{high_s / 60.0:.0f} min{meant}",
                    advice=f"leave --minutes out for its usual {duration_s / 60.0:.0f} min",
                )
            program = program.with_total_duration(wanted_s)
            duration_s = program.total_duration_s
        elif wanted_s < duration_s:
            note = (
                f"{program.title} lasts {duration_s / 60.0:.1f} min; "
                f"it will stop after {minutes:g} min"
            )
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
            advice = (
                f"{program.title} is meant to last {recommended[0]:g}-{recommended[1]:g} min; "
                f"{minutes:g} min is {'shorter' if minutes < recommended[0] else 'longer'}"
            )
            note = f"{note}; {advice}" if note else advice
    plan = ProgramPlan(program, personal_rate_bpm=settings.resonance_rate_bpm)
    # Lays out every step now: a missing personal rate fails here, before a sensor is opened.
    ProgramTimeline(plan.program, personal_rate_bpm=plan.personal_rate_bpm)
    return PreparedProgram(plan, duration_s, note)


def store_resonance(summary: dict[str, Any]) -> float | None:
    """Store the rate a resonance assessment chose as the ``resonance_rate_bpm`` setting.

    Parameters
    ----------
    summary : dict
        The session summary (``Pipeline.summary``), whose ``"resonance"`` entry holds the result.

    Returns
    -------
    float or None
        The stored rate (breaths/min), or ``None`` when the session chose none (not an
        assessment, stopped before every rate was tried, or no step could be scored) or was not
        measured on the person (the simulated sensor, or none:
        :func:`trainer.sensor_label.not_stored_reason`).
    """
    resonance = summary.get("resonance")
    if not isinstance(resonance, dict):
        return None
    if not_stored_reason(str(summary.get("source_kind", ""))):
        return None
    chosen = resonance.get("chosen_rate_bpm")
    if chosen is None or incomplete_assessment(resonance):
        return None
    rate = float(chosen)
    if not RESONANCE_MIN_BPM <= rate <= RESONANCE_MAX_BPM:
        return None  # outside what the setting accepts: a protocol with unusual rates
    save_setting("resonance_rate_bpm", rate)
    return rate
