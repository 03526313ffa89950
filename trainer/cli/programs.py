"""Command functions ``breathwise programs`` and ``breathwise config show|set``.

They are plain typer-annotated functions; ``trainer/cli/app.py`` registers them on the app.
Expected failures raise :class:`trainer.errors.UserError` / :class:`~trainer.errors.BadArgument`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated

import typer

from trainer.coaching.pacer import BreathPattern
from trainer.errors import BadArgument, UserError
from trainer.programs.catalog import USER, builtin_programs_dir, load_catalog, user_programs_dir
from trainer.programs.model import FixedPattern, OwnRhythm, Paced, PatternSpec, Program, Step
from trainer.programs.safety import MEDICAL_DISCLAIMER, RED_FLAG_QUESTIONS
from trainer.session.program_session import step_label
from trainer.storage.config import (
    SETTING_HELP,
    SETTING_KEYS,
    UNSET_WORDS,
    load_settings,
    parse_setting_value,
    save_setting,
    settings_as_text,
    settings_path,
)
from trainer.storage.paths import data_dir


def format_length(total_s: float) -> str:
    """A program length for listings: whole minutes (seconds under a minute)."""
    if total_s < 60.0:
        return f"{total_s:.0f} s"
    return f"{total_s / 60.0:.0f} min"


def programs(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A program's name: show its steps with their lengths, what you need for it, "
            "and, for the back, its safety note, before you start it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the programs you can run, with their length and what they do; with a NAME, that
    program step by step.

    Add your own as .toml files in the programs folder of the config directory
    (`breathwise config show` prints where it is); a file named like a built-in program
    replaces it, and one replacing a back-focused program keeps its safety questions.

    Example: breathwise programs back-release
    """
    catalog = load_catalog()
    if name is not None:
        program = catalog.get(name)
        yours = " (yours)" if catalog.origins.get(name) == USER else ""
        typer.echo("\n".join(describe_program(program, yours=yours)))
        return
    names = catalog.names()
    width = max((len(name) for name in names), default=4)
    for name in names:
        program = catalog.programs[name]
        notes: list[str] = []
        if catalog.origins.get(name) == USER:
            notes.append("yours")
        if program.back_focused:
            notes.append("safety questions first")
        if program.needs_personal_rate:
            notes.append("needs your resonance rate")
        suffix = f" [{'; '.join(notes)}]" if notes else ""
        length = format_length(program.total_duration_s)
        typer.echo(f"{name:<{width}}  {length:>7}  {program.description}{suffix}")
    for problem in catalog.problems.values():
        typer.echo(f"warning: {problem.user_message()}", err=True)


LINE_COLUMNS = 88
"""Width the description of ``programs NAME`` is wrapped to (its step table aside)."""


def describe_program(program: Program, *, yours: str = "") -> list[str]:
    """The lines of ``breathwise programs NAME``: what the program is, how long it lasts, what
    it needs, its safety note for the back, its steps (number, start, length, what to do) and
    its tips (without this, there was no way to see a program's steps and props before
    starting it, and the chair, cushion and mat were named only once the routine had begun)."""

    def wrapped(text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(
            text, LINE_COLUMNS, initial_indent=indent, subsequent_indent=" " * max(len(indent), 2)
        )

    total_s = program.total_duration_s
    lines = wrapped(f"{program.title} ({program.name}){yours}: {program.description}")
    length = f"Length: {_clock(total_s)} ({format_length(total_s)}), {len(program.steps)} steps"
    if program.recommended_minutes is not None:
        low, high = program.recommended_minutes
        length += f"; meant to last {low:g}-{high:g} min (--minutes fits it)"
    elif any(step.flexible for step in program.steps):
        length += "; --minutes fits it to your time"
    lines += wrapped(length)
    if program.needs:
        lines += wrapped(f"You need: {', '.join(program.needs)}.")
    if program.eyes_closed:
        lines += wrapped(
            "Done with the eyes closed: a chime marks each new step and tip, and a bell the "
            "end, so keep the sound on."
        )
    if program.needs_personal_rate:
        lines += wrapped(
            "Paces at your resonance rate: run resonance-assessment first (or set "
            "resonance_rate_bpm with 'breathwise config set')."
        )
    if program.back_focused:
        signs = "; ".join(q.sign for q in RED_FLAG_QUESTIONS)
        cautions = sorted({s.caution for s in program.steps if s.caution})
        lines += [""]
        lines += wrapped(
            f"Safety: before it starts you are asked about warning signs ({signs}); if any "
            "applies, see a doctor before doing it."
            + "".join(f" {caution}" for caution in cautions)
        )
        lines += wrapped(MEDICAL_DISCLAIMER)
    lines += ["", "Steps (start at one with: breathwise live --program "
              f"{program.name} --from-step N):"]  # fmt: skip
    start_s = 0.0
    width = len(str(len(program.steps)))
    posture = None
    for number, step in enumerate(program.steps, start=1):
        head = f"{number:>{width}}  {_clock(start_s):>5}  {_clock(step.total_s):>5}  "
        # The posture where it changes (the first step's too), not on every line.
        what = f"{step_label(step)} — {_step_summary(step, step.posture != posture)}"
        posture = step.posture
        lines += textwrap.wrap(
            what, LINE_COLUMNS, initial_indent=head, subsequent_indent=" " * len(head)
        )
        start_s += step.total_s
    if program.tips:
        lines += ["", "Tips:"]
        for tip in program.tips:
            lines += wrapped(tip, "  - ")
    lines += [""]
    twice = (
        " (on the screen q twice: with the eyes closed a key is easily brushed)"
        if program.eyes_closed
        else ""
    )
    lines += wrapped(
        "During the session: n skips the rest of a step, p pauses, m marks a moment, q ends "
        f"and saves it{twice}."
    )
    return lines


def _clock(seconds: float) -> str:
    """``m:ss`` (``1:05:00`` past an hour)."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _pattern_text(pattern: BreathPattern) -> str:
    """``4 s in, 6 s out`` (holds too, when there are any)."""
    parts = [f"{_seconds(pattern.inhale_s)} in"]
    if pattern.hold_in_s:
        parts.append(f"hold {_seconds(pattern.hold_in_s)}")
    parts.append(f"{_seconds(pattern.exhale_s)} out")
    if pattern.hold_out_s:
        parts.append(f"hold {_seconds(pattern.hold_out_s)}")
    return ", ".join(parts)


def _spec_text(spec: PatternSpec) -> str:
    if isinstance(spec, FixedPattern):
        return _pattern_text(spec.pattern)
    rate = "your resonance rate" if spec.rate_bpm is None else f"{spec.rate_bpm:g} breaths/min"
    ratio = f", out {spec.ratio:g}× as long as in" if spec.ratio != 1.0 else ""
    return f"{rate}{ratio}"


def _step_summary(step: Step, posture: bool = True) -> str:
    """How a step is done, in a few words: its repetitions and sides, its posture (unless
    ``posture`` is False), and its breathing (``8 × 10 s, left and right in turn; lying on your
    back; paced 4 s in, 6 s out``)."""
    parts: list[str] = []
    if step.repetitions is not None:
        count = f"{step.repetitions} × {_seconds(float(step.repetition_s or 0.0))}"
        if step.alternate_sides:
            count += f", {' and '.join(step.sides)} in turn"
        elif len(step.sides) > 1:
            count += f" on each side ({', '.join(step.sides)})"
        parts.append(count)
    elif len(step.sides) > 1:
        parts.append(f"{_clock(step.per_side_s)} on each side ({', '.join(step.sides)})")
    if posture:
        parts.append(step.posture.label)
    breathing = step.breathing
    if step.transition:
        parts.append("breathe as you like")
    elif isinstance(breathing, OwnRhythm):
        ratio = breathing.target_ratio
        parts.append(
            "your own rhythm" + (f", out-breath {ratio:g}× the in-breath" if ratio else "")
        )
    elif isinstance(breathing, Paced):
        paced = f"paced {_spec_text(breathing.start)}"
        if breathing.end is not None:
            paced += f", slowing to {_spec_text(breathing.end)}"
        parts.append(paced)
    if step.scored:
        parts.append("scored")
    return "; ".join(parts)


def config_show() -> None:
    """Show the settings, where they are stored, where your data and your own programs are.

    Your data is the history, the safety answers, the progress chart and crash reports
    (BREATHWISE_DATA_DIR moves it); recordings go to the recordings folder shown. Deleting
    those two folders erases everything Breathwise kept about you.
    """
    path = settings_path()
    settings = load_settings(path)
    shown = settings_as_text(settings)
    width = max(len(key) for key in SETTING_KEYS)
    state = "" if path.exists() else " (not created yet: all defaults)"
    typer.echo(f"settings file: {path}{state}")
    # The folder holding the health data besides the recordings (without this, named
    # nowhere, so a person could not find or erase it).
    typer.echo(f"your data (history, safety answers, progress chart, crash reports): {data_dir()}")
    typer.echo(f"your programs: {user_programs_dir()}")
    typer.echo(f"built-in programs (examples to copy): {builtin_programs_dir()}")
    typer.echo()
    for key in SETTING_KEYS:
        typer.echo(f"{key:<{width}} = {shown[key]:<24} # {SETTING_HELP[key]}")
    if settings.recordings_dir is None:
        typer.echo(f"(recordings go to {settings.effective_recordings_dir})")


def config_set(
    key: Annotated[str, typer.Argument(help=f"One of: {', '.join(SETTING_KEYS)}.")],
    value: Annotated[str, typer.Argument(help="The new value; 'default' removes the setting.")],
) -> None:
    """Change one setting (written to the settings file at once).

    A value is checked now rather than when a session starts: a program must exist, and a
    recordings_dir must be an absolute path to a folder that can be written; it is created
    now if missing, but only the last folder of the path (as mkdir without -p): a mistyped
    path, or a drive not mounted, is refused rather than created on the internal disk. A
    sensor name or address cannot be checked without a Bluetooth scan, which this command does
    not do: the next session looks for it ('breathwise scan' lists the sensors in range).
    """
    unset = value.strip().lower() in UNSET_WORDS
    created = False
    if key == "program" and not unset:
        name = parse_setting_value(key, value)
        load_catalog().get(name)  # an unknown or broken program is refused here, not at start
    if key == "recordings_dir" and not unset:
        created = _check_recordings_dir(parse_setting_value(key, value))
    settings = save_setting(key, value)
    typer.echo(f"{key} = {settings_as_text(settings)[key]}")
    if created:
        typer.echo(f"note: created the folder {settings.recordings_dir}", err=True)
    if key == "default_device" and not unset:
        from trainer.cli.sensors import is_no_sensor, is_simulator

        device = settings.default_device or ""
        if not is_simulator(device) and not is_no_sensor(device):
            typer.echo(
                f"note: {device!r} is not a simulator (sim, sim-hr): the next session will look "
                "for a sensor with this name or address ('breathwise scan' lists those in "
                "range)",
                err=True,
            )


RECORDINGS_PARENT_ADVICE = (
    "check the path; a folder on a drive needs the drive mounted first (set a folder one below "
    "its mount point, e.g. /mnt/usb/breathwise); if the folders are meant, create them "
    "yourself: mkdir -p {folder}"
)
"""The advice when the folder a ``recordings_dir`` goes in is missing."""


def _check_recordings_dir(folder: Path) -> bool:
    """Create ``folder`` if needed and prove a file can be written there; whether it was made.

    Only ``folder`` itself is made, in a folder that exists, as ``mkdir`` without ``-p`` does
    and as ``live --out DIR`` makes DIR: a mistyped path (``/mnt/usbb/breathwise``), or one on
    a drive not mounted whose mount point is missing, was created whole on the internal disk,
    where the recordings then went.

    Raises
    ------
    BadArgument
        The folder it goes in does not exist, or it cannot be created or written, with the
        reason (read-only disk, no permission, a file in the way, a system folder such as
        /proc).
    """
    import shlex

    from trainer.storage.paths import check_writable_dir

    existed = folder.is_dir()
    if not existed and not folder.parent.exists():
        missing = folder.parent
        while not missing.parent.exists():
            missing = missing.parent
        raise BadArgument(
            f"setting 'recordings_dir' {folder}: the folder {missing} does not exist "
            "(only the last folder of the path is created)",
            RECORDINGS_PARENT_ADVICE.format(folder=shlex.quote(str(folder))),
        )
    try:
        check_writable_dir(folder, advice="choose a folder you can write to")
    except UserError as exc:
        raise BadArgument(
            f"setting 'recordings_dir' {exc}", "choose a folder you can write to"
        ) from None
    return not existed
