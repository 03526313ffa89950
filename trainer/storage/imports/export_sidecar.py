"""A Breathwise CSV export's ``<stem>.session.csv``: the session its other files are from.

A file of a Breathwise CSV export (``<stem>.<stream>.csv``, :data:`EXPORT_CSVS`) imported again
takes its start and source from the sidecar beside it (:func:`read_export_session`), so the
import is dated as the original was, keeps a simulated session's mark, and names the original
session for the history (:meth:`ExportedSession.applied_to`). An export's beats without a
sidecar, as Breathwise wrote them before December 2026, are told apart by their name and
header (:func:`export_without_sidecar`), so their start is asked for, not guessed.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from devices.packets import NS_PER_S
from devices.source import SENSORLESS_KIND, SIMULATED_KIND
from trainer.session.sensor_label import source_mark
from trainer.storage.export import (
    BEATS_COLUMNS,
    EXPORT_FORMAT,
    EXPORT_FORMAT_VERSION,
    EXPORTED_SESSION,
    SESSION_CSV,
    STREAM_CSVS,
    WAVEFORM_CSVS,
)
from trainer.storage.imports.session import Imported, ImportFileError
from trainer.storage.imports.table_rows import header_line
from trainer.storage.text_files import short_quote


@dataclass(frozen=True, slots=True)
class ExportedSession:
    """What a Breathwise CSV export's ``<stem>.session.csv`` says about the session its other
    files are from (:func:`trainer.storage.export.session_fields`).

    Attributes
    ----------
    sidecar : Path
        The ``<stem>.session.csv`` file (or ``.csv.gz``).
    start_wall_ns : int
        Session start, Unix ns: the ``t_s`` of the export count from it.
    source_kind, source_name : str
        What measured the session (``sim`` for the simulated person).
    session_key : str
        The history's identity of the original session.
    recording : str
        The original recording's file name.
    stream : str
        Which of the export's files is imported.
    """

    sidecar: Path
    start_wall_ns: int
    source_kind: str
    source_name: str
    session_key: str
    recording: str
    stream: str = "beats"
    """The export's file imported (``beats``, ``ecg``...: :data:`EXPORT_CSVS`)."""

    def applied_to(self, imported: Imported, *, start_given: bool) -> Imported:
        """``imported`` marked as this session: the simulated person (or no sensor) stays the
        source kind, so every result keeps its mark, and the header names the original
        session, so the history can tell it is one it holds.

        ``start_given``: the import's start is the person's ``--start``, not this sidecar's:
        they are correcting the clock, so the recording does not name the original and the
        history counts it as a session of its own; the note says so. Linked, its row would be
        replaced by the original's when that was added, and its corrected start lost to the
        original's wrong one for good. A row the person sees twice is better than a rule that
        silently picks one start over the other.
        """
        source = imported.header.source
        if self.source_kind in (SIMULATED_KIND, SENSORLESS_KIND):
            source = replace(
                source, kind=self.source_kind, name=f"{self.source_name} (exported, imported)"
            )
        link = {} if start_given else {EXPORTED_SESSION: self.session_key}
        settings = {**imported.header.settings, **link, "exported_recording": self.recording}
        header = replace(imported.header, source=source, settings=settings)
        what = source_mark(self.source_kind) or self.source_name
        if start_given:
            # The sidecar's start is neither used nor checked: it is not shown.
            note = (
                f"a Breathwise export of {self.recording}: its source ({what}) is read from "
                f"{self.sidecar.name}, its start is --start's: the history counts it as a "
                f"session of its own, besides {self.recording} if that is added too"
            )
        else:
            # Plausible (import_recording checked it), so the calendar can show it.
            when = datetime.fromtimestamp(self.start_wall_ns / NS_PER_S).isoformat(" ", "seconds")
            note = (
                f"a Breathwise export of {self.recording}: its start ({when}) and source "
                f"({what}) are read from {self.sidecar.name}"
            )
        return replace(imported, header=header, notes=(*imported.notes, note))


EXPORT_CSVS = frozenset((*STREAM_CSVS, *WAVEFORM_CSVS))
"""The ``<stream>`` of a Breathwise CSV export's ``<stem>.<stream>.csv``
(:mod:`trainer.storage.export`)."""


def _open_text(path: Path) -> TextIO:
    """``path`` opened for reading as UTF-8 text, through gzip if its name ends in .gz."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return path.open(newline="", encoding="utf-8")


def export_without_sidecar(path: Path, head: bytes) -> bool:
    """Whether ``path`` is a Breathwise CSV export's ``<stem>.beats.csv`` (by its name and its
    header line) with no ``<stem>.session.csv`` beside it (:func:`read_export_session` found
    none): as an older Breathwise wrote them. Imported as any CSV, it would be dated by the
    file's time (today) and added as a second session."""
    name = path.name.lower()
    if not name.endswith((".beats.csv", ".beats.csv.gz")):
        return False
    cells = [cell.strip() for cell in header_line(head).split(",")]
    return cells == list(BEATS_COLUMNS)


def read_export_session(path: Path) -> ExportedSession | None:
    """The ``<stem>.session.csv`` beside a Breathwise CSV export's ``<stem>.<stream>.csv``, or
    ``None`` when ``path`` is not such a file or there is no such sidecar (the file is then
    imported as any CSV, at its own time).

    The stem is what is left when a known stream name (:data:`EXPORT_CSVS`) is taken off the
    end, so it may hold dots of its own: ``evening.2026-12-05.bwr`` exports as
    ``evening.2026-12-05.beats.csv``; cutting the name at its first dot would find no sidecar
    for such a file.

    Raises
    ------
    ImportFileError
        The sidecar is there but cannot be read, or is not a Breathwise export's, or gives no
        whole-number start: ignored, a ``start_wall_ns,abc`` row would date the import today,
        unlinked, a simulated session without its SIMULATED SENSOR mark.
    """
    name = path.name
    # Exports are often gzipped to be kept or sent: a beats.csv.gz that found no sidecar would
    # be dated today as an unlinked session.
    for suffix in (".csv", ".csv.gz"):
        if name.lower().endswith(suffix):
            base = name[: -len(suffix)]
            break
    else:
        return None
    stem, dot, stream = base.rpartition(".")
    if not (dot and stem and stream.lower() in EXPORT_CSVS):
        return None
    sidecar = next(
        (
            candidate
            for candidate in (
                path.with_name(f"{stem}.{SESSION_CSV}.csv"),
                path.with_name(f"{stem}.{SESSION_CSV}.csv.gz"),
            )
            if candidate.exists()
        ),
        None,
    )
    if sidecar is None:
        return None
    try:
        with _open_text(sidecar) as handle:
            fields = {row[0]: row[1] for row in csv.reader(handle) if len(row) == 2}
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        raise _sidecar_error(sidecar, path, f"cannot be read ({short_quote(problem)})") from None
    if fields.get("format") != EXPORT_FORMAT:
        raise _sidecar_error(sidecar, path, f"has no 'format,{EXPORT_FORMAT}' row")
    _check_export_version(fields.get("format_version"), sidecar, path)
    text = fields.get("start_wall_ns")
    if text is None or not re.fullmatch(r"[+-]?\d+", text.strip()):
        got = "no start_wall_ns row" if text is None else f"start_wall_ns {short_quote(text)}"
        raise _sidecar_error(sidecar, path, f"{got} is not a whole number of ns")
    return ExportedSession(
        sidecar,
        int(text),
        fields.get("source_kind", ""),
        fields.get("source_name", ""),
        fields.get("session_key", ""),
        fields.get("recording", ""),
        stream.lower(),
    )


def _check_export_version(text: str | None, sidecar: Path, path: Path) -> None:
    """Refuse an export whose ``format_version`` row is no whole number or is newer than
    :data:`trainer.storage.export.EXPORT_FORMAT_VERSION`: its columns may mean other things
    (docs/export-formats.md, "Versions"). No row at all is an export written before the row
    was (December 2026), of version 1's layout.

    Raises
    ------
    ImportFileError
        The version is not a whole number, or is above this Breathwise's.
    """
    if text is None:
        return
    if not re.fullmatch(r"\d+", text.strip()):
        raise _sidecar_error(
            sidecar, path, f"format_version {short_quote(text)} is not a whole number"
        )
    version = int(text)
    if version > EXPORT_FORMAT_VERSION:
        raise ImportFileError(
            f"{sidecar}: a Breathwise export of format version {version}, newer than this "
            f"Breathwise reads ({EXPORT_FORMAT_VERSION})",
            f"update Breathwise, or pass --start to import {path.name} as a session of its own",
        )


def _sidecar_error(sidecar: Path, path: Path, problem: str) -> ImportFileError:
    return ImportFileError(
        f"{sidecar}: a damaged Breathwise export sidecar: {problem}",
        f"fix it, or pass --start to import {path.name} as a session of its own",
    )
