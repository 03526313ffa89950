"""Guided programs as data: the model, the TOML loader, the catalog and the session timeline.

Typical use by a session::

    catalog = load_catalog()
    program = catalog.get("spine-body-scan")
    timeline = ProgramTimeline(program, personal_rate_bpm=settings.resonance_rate_bpm)
    for event in timeline.events(previous_t_s, t_s): ...   # once per packet
    state = timeline.at(t_s)
"""

from trainer.programs.catalog import Catalog, load_catalog, user_programs_dir
from trainer.programs.loader import load_program, parse_program
from trainer.programs.model import (
    Cue,
    FixedPattern,
    OwnRhythm,
    Paced,
    Posture,
    Program,
    ProgramError,
    ProgramKind,
    RatePattern,
    Step,
)
from trainer.programs.runner import (
    EventKind,
    ProgramTimeline,
    ScoredSpan,
    TimelineEvent,
    TimelineState,
)

__all__ = [
    "Catalog",
    "Cue",
    "EventKind",
    "FixedPattern",
    "OwnRhythm",
    "Paced",
    "Posture",
    "Program",
    "ProgramError",
    "ProgramKind",
    "ProgramTimeline",
    "RatePattern",
    "ScoredSpan",
    "Step",
    "TimelineEvent",
    "TimelineState",
    "load_catalog",
    "load_program",
    "parse_program",
    "user_programs_dir",
]
