"""What every import reader returns, and the pieces it is built from.

Every reader (:mod:`~trainer.storage.imports.rr_list`, :mod:`~trainer.storage.imports.polar_csv`,
:mod:`~trainer.storage.imports.export_beats`) turns its file into the very items a live session
would have recorded: a pacer change at the start (:func:`own_rhythm`), then raw packets on a
session clock that starts at :data:`START_MONO_NS` (:func:`packet_at`), closed into an
:class:`Imported` by :func:`finish_import`, which writes the header and refuses a session longer
than a recording holds.

Any malformed line raises :class:`ImportFileError` naming the file and the line, quoting at
most 40 characters of it (:func:`trainer.storage.text_files.short_quote`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from devices.packets import NS_PER_S, RawPacket
from devices.source import SourceInfo
from trainer.errors import UserError
from trainer.storage.recording import MAX_SESSION_NS, Header, Item, PacerChange
from trainer.storage.text_files import input_name, read_text

_MAX_BYTES = 2 * 1024**3
"""Largest file imported, bytes (a day of ECG at 130 Hz as text is about 0.5 GB)."""

START_MONO_NS = 1_000 * NS_PER_S
"""Monotonic origin of imported sessions (any value works: only differences matter)."""


class ImportFileError(UserError):
    """A file that cannot be imported; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Imported:
    """A session rebuilt from an import file, ready for :func:`write_recording`."""

    header: Header
    items: list[Item]
    end_mono_ns: int
    end_wall_ns: int
    notes: tuple[str, ...] = ()
    """What :attr:`~trainer.storage.imports.import_file.ImportResult.notes` will say."""


def read_import_text(path: Path) -> str:
    """The text of an import file (gzip or not), at most :data:`_MAX_BYTES`.

    Raises
    ------
    ImportFileError
        The file cannot be read, is too large or is no text.
    """
    return read_text(
        path, max_bytes=_MAX_BYTES, what="an RR list or sensor CSV", error=ImportFileError
    )


def own_rhythm(start_wall_ns: int) -> PacerChange:
    """The first item of an imported session: the person breathed at their own rhythm."""
    return PacerChange(START_MONO_NS, start_wall_ns, "own", label="imported")


def packet_at(t_s: float, start_wall_ns: int, stream: str, payload: bytes) -> RawPacket:
    """``payload`` of ``stream`` arriving ``t_s`` seconds into a session that started at
    ``start_wall_ns`` (Unix ns)."""
    offset = round(t_s * NS_PER_S)
    return RawPacket(START_MONO_NS + offset, start_wall_ns + offset, stream, payload)


def data_digest(items: Sequence[Item]) -> str:
    """SHA-256 (hex) of the packets an import made: their session clocks, streams and bytes.

    It goes in the header's ``source.details["data_sha256"]``, so two different files
    imported with the same name and start have different headers, and so different history
    rows (:attr:`trainer.reports.session_analysis.SessionAnalysis.session_key`), while the same file
    imported again has the same one.
    """
    digest = hashlib.sha256()
    for item in items:
        if isinstance(item, RawPacket):
            digest.update(f"{item.t_mono_ns} {item.stream} {item.payload.hex()}\n".encode())
    return digest.hexdigest()


def finish_import(
    info: SourceInfo, items: list[Item], start_wall_ns: int, duration_s: float, path: Path
) -> Imported:
    """The session of ``items``, ``duration_s`` long, with its header: ``info`` plus the
    digest of its packets (:func:`data_digest`), naming ``path`` as the file imported.

    Raises
    ------
    ImportFileError
        The session is longer than a recording holds (:data:`MAX_SESSION_NS`).
    """
    end = round(duration_s * NS_PER_S)
    if end > MAX_SESSION_NS:
        # The reader refuses a recording longer than that as damaged: refuse it now, not later.
        raise ImportFileError(
            f"{path}: spans {duration_s / 86_400:.0f} days; a recording holds at most "
            f"{MAX_SESSION_NS / NS_PER_S / 86_400:.0f}",
            "split the file into shorter parts",
        )
    info = replace(info, details={**info.details, "data_sha256": data_digest(items)})
    header = Header(
        START_MONO_NS, start_wall_ns, info, {"imported_from": input_name(path), "device": "import"}
    )
    return Imported(header, items, START_MONO_NS + end, start_wall_ns + end)
