"""Command functions ``breathwise programs`` and ``breathwise config show|set``.

They are plain typer-annotated functions; ``trainer/cli/app.py`` registers them on the app.
Expected failures raise :class:`trainer.errors.UserError` / :class:`~trainer.errors.BadArgument`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainer.errors import BadArgument, UserError
from trainer.programs.catalog import USER, builtin_programs_dir, load_catalog, user_programs_dir
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


def programs() -> None:
    """List the programs you can run, with their length and what they do.

    Add your own as .toml files in the programs folder of the config directory
    (`breathwise config show` prints where it is); a file named like a built-in program
    replaces it, and one replacing a back-focused program keeps its safety questions.
    """
    catalog = load_catalog()
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
    # The folder holding the health data besides the recordings (found in review: named
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
    where the recordings then went (found in review).

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
