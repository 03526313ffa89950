"""The programs a person can run: the built-in ones plus their own, by name.

Built-in programs are the TOML files shipped in this package (``trainer/programs/*.toml``).
People add their own as ``*.toml`` files in the ``programs/`` folder of the config directory
(``breathwise config show`` prints where that is); a user file named like a built-in program
replaces it, so a built-in can be adjusted by copying and editing it. A back-focused built-in's
red-flag safety questions go with its name: the file that replaces it asks them too, and one
that says ``back_focused = false`` is refused (:func:`trainer.programs.loader.parse_program`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from trainer.errors import BadArgument
from trainer.programs.loader import ProgramError, load_program, parse_program
from trainer.programs.model import Program
from trainer.storage.paths import config_dir

BUILTIN = "built-in"
USER = "user"


def user_programs_dir() -> Path:
    """Folder of the person's own programs: ``<config dir>/programs`` (may not exist)."""
    return config_dir() / "programs"


def builtin_programs_dir() -> str:
    """Where the programs shipped with the package are (examples for a person's own: an
    installed wheel leaves no source tree to look in)."""
    return str(resources.files("trainer.programs"))


def _builtin_programs() -> dict[str, Program]:
    """Load the programs shipped with the package; a broken one is a bug, so it raises."""
    found: dict[str, Program] = {}
    package = resources.files("trainer.programs")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or not entry.is_file():
            continue
        name = entry.name[: -len(".toml")]
        found[name] = parse_program(
            entry.read_text(encoding="utf-8"), name=name, source=f"trainer/programs/{entry.name}"
        )
    return found


@dataclass(frozen=True, slots=True)
class Catalog:
    """Programs by name, with where each came from and the user files that failed to load.

    Attributes
    ----------
    programs : dict of str to Program
        Every loadable program, user files overriding built-ins of the same name.
    origins : dict of str to str
        ``"built-in"`` or ``"user"`` per program name.
    problems : dict of str to ProgramError
        User files that failed to load, by program name; asking for one raises its error.
    """

    programs: dict[str, Program]
    origins: dict[str, str]
    problems: dict[str, ProgramError] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Program names, sorted."""
        return sorted(self.programs)

    def get(self, name: str) -> Program:
        """The program called ``name``.

        Raises
        ------
        ProgramError
            The person's file of that name is malformed (rather than silently running the
            built-in they meant to replace).
        BadArgument
            No program has that name.
        """
        problem = self.problems.get(name)
        if problem is not None:
            raise problem
        program = self.programs.get(name)
        if program is None:
            raise BadArgument(
                f"no program named {name!r}",
                advice=f"choose one of: {', '.join(self.names())} (see `breathwise programs`)",
            )
        return program


def load_catalog(user_dir: Path | None = None) -> Catalog:
    """Built-in programs plus the ``*.toml`` files of ``user_dir``.

    Parameters
    ----------
    user_dir : Path, optional
        Folder of user programs; :func:`user_programs_dir` by default. A missing folder means
        no user programs.

    Raises
    ------
    ProgramError
        A built-in program is malformed (a packaging bug, not the user's doing).
    """
    builtins = _builtin_programs()
    programs = dict(builtins)
    origins = dict.fromkeys(programs, BUILTIN)
    problems: dict[str, ProgramError] = {}
    folder = user_programs_dir() if user_dir is None else user_dir
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            replaced = builtins.get(path.stem)
            back_title = replaced.title if replaced is not None and replaced.back_focused else None
            try:
                program = load_program(path, replaces_back_focused=back_title)
            except ProgramError as exc:
                problems[path.stem] = exc
                continue
            programs[program.name] = program
            origins[program.name] = USER
    return Catalog(programs=programs, origins=origins, problems=problems)
