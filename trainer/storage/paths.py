"""Where Breathwise keeps things on disk (per-OS user directories via platformdirs).

Every location can be overridden by an environment variable, which tests use to stay out of the
real home directory:

=========================  ==============================  ===================================
what                       default (Linux)                 override
=========================  ==============================  ===================================
recordings                 ~/.local/share/breathwise/      ``BREATHWISE_RECORDINGS_DIR``
                           recordings
data (history, answers)    ~/.local/share/breathwise       ``BREATHWISE_DATA_DIR``
config (settings.toml)     ~/.config/breathwise            ``BREATHWISE_CONFIG_DIR``
=========================  ==============================  ===================================
"""

from __future__ import annotations

import contextlib
import csv
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import platformdirs

APP_NAME = "breathwise"


def data_dir() -> Path:
    """Directory for the history database, safety answers and recordings (not created here)."""
    override = os.environ.get("BREATHWISE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """Directory of ``settings.toml`` and user ``programs/`` (not created here)."""
    override = os.environ.get("BREATHWISE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


RECORDINGS_DIR_VARIABLE = "BREATHWISE_RECORDINGS_DIR"
"""The environment variable that moves the default recordings folder."""


def default_recordings_dir() -> Path:
    """Where sessions are recorded unless ``--out`` or the ``recordings_dir`` setting says so."""
    override = os.environ.get(RECORDINGS_DIR_VARIABLE)
    return Path(override) if override else data_dir() / "recordings"


def resolved(path: Path) -> Path:
    """``path`` made absolute with its links followed, or made absolute as it is when its links
    cannot be followed (a symbolic link that leads back to itself).

    The one place a path a person gave is resolved: :meth:`pathlib.Path.resolve` raises on a
    link loop (``RuntimeError`` on Python 3.11 and 3.12, ``OSError`` from 3.13), which was an
    "internal error" that stopped ``history --add`` of a folder holding one such link.
    The loop itself is then refused where the file is read, as unreadable.
    """
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def unreachable(path: Path) -> str | None:
    """Why ``path`` cannot even be looked at (``"cannot read (Too many levels of symbolic
    links)"`` for a link loop), or None when it can, or when it is simply not there.

    :meth:`pathlib.Path.exists` is False for a link loop as for a missing file, so a command
    called a loop "no such file"; this names what is wrong, and the
    caller still says "no such file" its own way for a path that is not there.
    """
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    return None


def ensure_private_dir(path: Path, *, advice: str) -> Path:
    """Create ``path`` (and parents) readable by the owner only; health data lives there.

    Parameters
    ----------
    path : Path
        The folder.
    advice : str
        What the command that asked can do about a folder that cannot be made: its own
        option or setting for another folder (:data:`SESSION_FOLDER_ADVICE`,
        :data:`OUTPUT_FOLDER_ADVICE`...).

    Raises
    ------
    trainer.errors.UserError
        The folder cannot be created (a read-only disk, no permission, a file in the way).
    """
    from trainer.errors import UserError

    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        # A folder moved to another disk and linked back, the disk not mounted: mkdir meets
        # the link (which exists, but not as a folder) and says "file exists".
        _refuse_dangling_link(path, advice)
        raise UserError(f"{path}: is a file, not a folder", advice) from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise UserError(f"{path}: cannot create the folder ({reason})", advice) from None
    return path


def _refuse_dangling_link(path: Path, advice: str) -> None:
    """Refuse ``path`` if it, or a folder it is in, is a symbolic link to nothing (a folder
    moved to a disk that is not mounted), naming the link and where it points."""
    from trainer.errors import UserError

    for part in (*reversed(path.parents), path):
        why = unreachable(part) if part.is_symlink() else None
        if why is not None:
            raise UserError(f"{part}: {why}", advice)  # a link that leads back to itself
        if part.is_symlink() and not part.exists():
            raise UserError(
                f"{part}: is a link to {os.readlink(part)}, which is not there: is its drive "
                "unplugged?",
                f"plug in the drive, or {advice}",
            )


MIN_FREE_BYTES = 1024 * 1024
"""Least free space for :func:`check_writable_dir` to pass (bytes, 1 MiB).

Less is as good as a full disk for anything Breathwise writes: one report figure is
0.1-0.4 MB, and a live session records about 0.1 MB a minute (the 5-minute sample recording
is 0.6 MB). It is no promise that a whole output fits - a disk that fills later is still
caught where the file is written, keeping what was already there - but a disk that is full
before the work is refused before it, not after it (``report DIR`` analysed every recording
and then failed on ``summary.csv``).
"""


def check_writable_dir(path: Path, *, advice: str) -> Path:
    """Create ``path`` as :func:`ensure_private_dir` does, prove a file can be made in it, and
    that its disk has :data:`MIN_FREE_BYTES` free.

    Called before a session or a batch starts, so that a read-only, foreign or full folder is
    one line now rather than a failure once the person has settled in or the work is done.
    ``advice`` is as for :func:`ensure_private_dir`.

    Raises
    ------
    trainer.errors.UserError
        The folder cannot be created or written, or its disk is (nearly) full.
    """
    from trainer.errors import UserError

    ensure_private_dir(path, advice=advice)
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
        # Free to this user (statvfs f_bavail): the blocks kept for root do not count.
        free_bytes = shutil.disk_usage(path).free
    except OSError as exc:
        raise UserError(f"{path}: cannot write there ({exc.strerror or exc})", advice) from None
    if free_bytes < MIN_FREE_BYTES:
        raise UserError(
            f"{path}: the disk is full ({free_bytes / 1024:.0f} KiB free, "
            f"at least {MIN_FREE_BYTES // 1024**2} MiB needed)",
            f"free some space, or {advice}",
        )
    return path


SESSION_FOLDER_ADVICE = (
    "choose another folder (--out, or 'breathwise config set recordings_dir DIR'; "
    "BREATHWISE_DATA_DIR moves the history)"
)
"""For the folders a live session writes: its recordings and the history."""
OUTPUT_FOLDER_ADVICE = "choose another folder with -o"
"""For a command that writes where its ``-o`` says (import, report)."""
DATA_FOLDER_ADVICE = "set BREATHWISE_DATA_DIR to a folder that can be written"
"""For the data folder (the history, the screening answers), which no option moves."""


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield an owner-only temporary file beside ``target``; on success rename it onto ``target``.

    The caller writes the whole file to the yielded path. Until the rename, ``target`` (if it
    exists) is untouched, so a failed or interrupted write never leaves half a file nor damages
    the one it replaces; the rename is atomic on POSIX and Windows. The temporary file is created
    with mode 0600 before anything is written, because the content is health data.

    Raises
    ------
    OSError
        The folder cannot be written, or the write or rename failed (the temporary file is
        removed first).
    """
    with replacing_together([target]) as (temp,):
        yield temp


@contextlib.contextmanager
def replacing_together(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """:func:`replacing` for a set of files that belong together (an export's CSVs): yield a
    temporary file beside each target, and rename them onto their targets only once every one
    is written, so a full disk half-way through leaves none of them new and none replaced (a
    set mixing two sessions was read back as one).

    Raises
    ------
    OSError
        A folder cannot be written, or a write or a rename failed (the temporary files not
        renamed yet are removed first).
    """
    temps: list[Path] = []
    try:
        for target in targets:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)  # made 0600; writers reopen it by name (some, like EDFlib, must)
            temps.append(Path(name))
        yield temps
        for temp in temps:
            with temp.open("rb+") as handle:
                os.fsync(handle.fileno())
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()


CsvTable = tuple[Path, Sequence[str], Iterable[Sequence[str]]]
"""A CSV file to write: its path, its header and its rows."""


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """Write a CSV table whole (:func:`replacing`): header first, then ``rows``.

    Raises
    ------
    UserError
        The file cannot be written (a full disk), in one line; a file already there is left
        as it was. Text that UTF-8 cannot hold is written with backslash escapes.
    """
    return write_csvs([(path, header, rows)])[0]


def write_csvs(tables: Sequence[CsvTable]) -> list[Path]:
    """Write CSV tables all or none (:func:`replacing_together`); return their paths.

    Raises
    ------
    UserError
        A file cannot be written (a full disk), in one line naming it; then no file of the set
        is written and those already there are left as they were. Text that UTF-8 cannot hold
        is written with backslash escapes.
    """
    from trainer.errors import UserError

    paths = [path for path, _, _ in tables]
    current = paths[0] if paths else Path()
    try:
        with replacing_together(paths) as temps:
            for temp, (path, header, rows) in zip(temps, tables, strict=True):
                current = path
                # A cell that is no Unicode (a lone surrogate from a name that is not UTF-8) is
                # written escaped, never left to raise once some files of an export are written.
                with temp.open("w", newline="", encoding="utf-8", errors="backslashreplace") as f:
                    writer = csv.writer(f)
                    writer.writerow(header)
                    writer.writerows(rows)
    except OSError as exc:
        also = "; none of the other files was written or replaced" if len(paths) > 1 else ""
        raise UserError(f"{current}: cannot write ({exc.strerror or exc}){also}") from None
    return paths


def refuse_output_over_input(output: Path | None, source: Path, option: str = "-o") -> None:
    """Refuse an output file that is the very file being read.

    ``report sess.png -o sess.png`` replaced the recording it read with its report, with no
    ``--force`` asked (a recording renamed when mailed, or a slip of the shell's completion):
    the input is lost for good, so no option allows it.

    Parameters
    ----------
    output : Path or None
        The output as typed (``None``: the command's default, never the input).
    source : Path
        The file read.
    option : str
        The option that named ``output``, for the message.

    Raises
    ------
    BadArgument
        ``output`` is ``source`` (the same file, by any path or link).
    """
    from trainer.errors import BadArgument

    if output is None:
        return
    try:
        same = output.is_file() and os.path.samefile(output, source)
    except OSError:
        return  # either cannot be looked at: the command's own checks say why
    if same:
        raise BadArgument(
            f"{option} {output} is the recording being read: writing there would replace it",
            f"choose another name for {option}",
        )


def check_output_path(path: Path, what: str, example: str, option: str = "-o") -> Path:
    """Refuse a user-given output path that is ``-`` or whose folder does not exist.

    Called before the work, and creates nothing. A mistyped ``-o`` must not become a new
    folder tree (``-o /nonexist/x.bwr`` once created ``/nonexist``): as for ``cp`` or
    ``tar -f``, the folder the output goes into must exist; only the last part of ``path`` is
    made (the file, or for an output folder the folder itself). The locations Breathwise owns
    (its data and recordings folders) are still created as needed, by
    :func:`ensure_private_dir`. ``-`` means standard output to most tools, which none of
    these outputs (files that are replaced whole, or folders of them) can be written to.

    Parameters
    ----------
    path : Path
        The output file or folder as the user typed it.
    what : str
        What is written, for the message (``"an EDF file"``).
    example : str
        A name that would do, for the advice.
    option : str
        The option that named it.

    Raises
    ------
    trainer.errors.BadArgument
        ``path`` is ``-``.
    trainer.errors.UserError
        The parent folder is missing, or is a file.
    """
    from trainer.errors import BadArgument, UserError

    if str(path) == "-":
        raise BadArgument(
            f"{option} -: {what} cannot be written to standard output",
            f"give a name, for example {option} {example}",
        )
    parent = path.parent
    if parent.is_dir():
        return path
    if parent.exists():
        raise UserError(f"{parent}: is a file, not a folder", f"check {option} {path}")
    _refuse_dangling_link(parent, f"check {option} {path}")
    raise UserError(
        f"{option} {path}: the folder {parent} does not exist",
        f"check the path, or create the folder first (mkdir -p {shlex.quote(str(parent))})",
    )
