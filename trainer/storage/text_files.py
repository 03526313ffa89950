"""Reading the text files people bring: RR lists, waveform tables, Polar-style CSV.

One reader for every command that takes such a file (``hrv``, ``breaths``, ``import``), so a
file that one of them reads, the others read the same way, and a bad one is refused with the
same one-line message: a missing path, a directory, a binary file, text that is not UTF-8, a
damaged gzip file or one too large to be what it claims.

A pipe (``cmd | breathwise hrv -``, ``/dev/stdin``, ``<(cmd)``, a named pipe) is read once,
whole, into memory (:func:`stream_bytes`), at most :data:`STREAM_MAX_BYTES`, and every later
look at it (a command's peek at the head, then the reading) is at those bytes
(:func:`open_input`): a pipe cannot be read twice.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import math
import os
import re
import shlex
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np
from numpy.typing import ArrayLike

from trainer.errors import UserError
from trainer.storage.paths import unreachable
from trainer.storage.recording import looks_like_recording

GZIP_MAGIC = b"\x1f\x8b"
"""First two bytes of a gzip file (RFC 1952, section 2.3.1): such files are read decompressed,
whatever their name."""
MISSING_INTERVAL_ADVICE = (
    "an interval cannot be skipped: the beats around it would join into one false "
    "successive difference; split the file at the gap"
)
"""Advice for a ``nan`` in a one-column RR list, or a table of one row per beat (``hrv``,
``breaths --rr`` and ``import`` refuse it alike: :func:`rows_without_beats`)."""
_SNIFF_BYTES = 65536
"""How far into the file a NUL byte marks it as binary (text never holds one)."""


_READ_BLOCK = 1 << 20
"""Bytes read at a time once the file's own size is used up (gzip, a file that grew), 1 MiB."""


def read_at_most(fh: io.BufferedIOBase | BinaryIO, max_bytes: int, *, size_hint: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``fh`` (one more tells a file over the limit), with
    memory in proportion to what is read.

    ``fh.read(max_bytes + 1)`` asks for the whole limit at once (CPython allocates the buffer
    before it reads): 2 GiB for a 40 kB file, a MemoryError wherever 2 GiB of address space is
    not to be had (``ulimit -v``, a container's limit, a 1 GB single-board computer; found in
    review). The first read is sized by ``size_hint`` (a regular file's size: one read, no
    copy), then blocks until the end or the limit.

    Parameters
    ----------
    fh : io.BufferedIOBase or BinaryIO
        The open file (or standard input), at its start.
    max_bytes : int
        The size limit, bytes.
    size_hint : int
        The expected size, bytes (``os.fstat(...).st_size``, or a block size when unknown).

    Returns
    -------
    bytes
        What was read: longer than ``max_bytes`` only when the file is.
    """
    first = fh.read(min(max_bytes, max(size_hint, 0)) + 1)
    chunks = [first]
    total = len(first)
    while first and total <= max_bytes:
        block = fh.read(min(_READ_BLOCK, max_bytes + 1 - total))
        if not block:
            break
        chunks.append(block)
        total += len(block)
    return first if len(chunks) == 1 else b"".join(chunks)


STDIN = "-"
"""The path that stands for standard input, as ``cat -`` reads it (a file named ``-`` is
``./-``)."""
STREAM_MAX_BYTES = 256 * 1024**2
"""Most bytes read from a pipe, 256 MiB: it is held in memory whole, so an endless one
(``yes 800 | breathwise hrv -``) is refused at that point rather than read until the memory
is gone. Far beyond any RR list (64 MiB is its own limit) and a day of a 100 Hz belt (about
100 MB); a larger waveform is read from a file, up to the command's own limit."""

_streams: dict[str, tuple[object, bytes]] = {}
"""The bytes of each pipe read so far (:func:`stream_bytes`), by the path given, with what tells
that pipe from a later one of the same name (a test's second ``-``, ``/dev/fd/63`` reused)."""


def is_stream(path: Path) -> bool:
    """Whether ``path`` is read as a stream, once: ``-`` (standard input), a pipe (``/dev/stdin``
    or ``/dev/fd/63`` of a pipe, a named pipe) or a socket. A regular file, a folder, a device
    and a missing path are not (their readers say what they are).

    Examples
    --------
    >>> is_stream(Path("-")), is_stream(Path("/"))
    (True, False)
    """
    if str(path) == STDIN:
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def input_name(path: Path) -> str:
    """The name of an input file in what is written of it (a recording's ``imported_from``, a
    progress bar): its file name, ``stdin`` for standard input, ``pipe`` for another pipe
    (``/dev/fd/63``'s ``63`` names nothing the person gave)."""
    if str(path) in (STDIN, "/dev/stdin"):
        return "stdin"
    return "pipe" if is_stream(path) else path.name


def pipe_words(path: Path) -> str:
    """What a stream (:func:`is_stream`) is called in a message: ``standard input`` for ``-``,
    else ``a pipe``."""
    return "standard input" if str(path) == STDIN else "a pipe"


def empty_words(path: Path) -> str:
    """What an input ``path`` with nothing in it is called: ``the file is empty``, or for a
    stream (:func:`is_stream`) what most often empties it, the command before it failing.
    Without this, ``: | breathwise hrv -`` said "the file is empty", which hid that.

    Examples
    --------
    >>> empty_words(Path("-"))
    'standard input is empty: did the command before it fail?'
    >>> empty_words(Path("/nonexistent/rr.txt"))
    'the file is empty'
    """
    if str(path) in (STDIN, "/dev/stdin"):
        return "standard input is empty: did the command before it fail?"
    if is_stream(path):
        return "the pipe is empty: did the command writing it fail?"
    return "the file is empty"


def _stdin_binary(error: type[UserError]) -> BinaryIO:
    """Standard input's bytes (``sys.stdin``, so that what replaced it, as a test's runner
    does, is read), or ``error`` when it is closed."""
    stdin = sys.stdin
    if stdin is None:  # started with stdin closed (`<&-`)
        raise error(f"{STDIN}: standard input is closed")
    buffer = getattr(stdin, "buffer", None)
    return cast("BinaryIO", stdin if buffer is None else buffer)


def _stream_identity(path: Path, error: type[UserError]) -> object:
    """What tells this pipe from another of the same name: standard input's object, or a
    pipe's device and inode (a pipe's inode is its own while it is open)."""
    if str(path) == STDIN:
        return _stdin_binary(error)
    info = path.stat()
    return (info.st_dev, info.st_ino)


def stream_bytes(path: Path, *, error: type[UserError] = UserError) -> bytes:
    """The whole content of the stream ``path`` (:func:`is_stream`), read at the first call and
    given again at the next (a pipe can be read once), at most :data:`STREAM_MAX_BYTES`.

    Parameters
    ----------
    path : Path
        ``-`` for standard input, or a pipe's path.
    error : type of UserError
        The error raised.

    Returns
    -------
    bytes
        What came through the pipe, as it came (a gzip stream is not decompressed here).

    Raises
    ------
    UserError
        (or ``error``) standard input closed or a terminal (nothing piped in: it would wait for
        typing), a read failing, or more than :data:`STREAM_MAX_BYTES` coming.
    """
    key = str(path)
    try:
        identity = _stream_identity(path, error)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    known = _streams.get(key)
    if known is not None and known[0] == identity:
        return known[1]
    try:
        if key == STDIN:
            fh = _stdin_binary(error)
            if fh.isatty():
                raise error(
                    f"{path}: standard input is a terminal, not a file",
                    "pipe the file in (breathwise hrv - < rr.txt) or name it",
                )
            raw = read_at_most(fh, STREAM_MAX_BYTES, size_hint=_READ_BLOCK)
        else:
            with path.open("rb") as handle:
                raw = read_at_most(handle, STREAM_MAX_BYTES, size_hint=_READ_BLOCK)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > STREAM_MAX_BYTES:
        # Standard input may be a file (`hrv - < big.csv`): its name is the way in then.
        raise error(
            f"{path}: more than {_size(STREAM_MAX_BYTES)} through {pipe_words(path)}, "
            "the most read from one",
            "give the file's name instead (save what is piped to a file first)",
        )
    # One pipe at a time is the command's input: an earlier one's bytes are let go.
    _streams.clear()
    _streams[key] = (identity, raw)
    return raw


def open_input(path: Path, *, error: type[UserError] = UserError) -> BinaryIO:
    """``path`` opened to read its bytes: a file as it is, a stream (:func:`is_stream`) as the
    bytes :func:`stream_bytes` read from it, so that the command's every look at it sees them.

    Raises
    ------
    OSError
        The file cannot be opened.
    UserError
        (or ``error``) the stream cannot be read (:func:`stream_bytes`).
    """
    if is_stream(path):
        return io.BytesIO(stream_bytes(path, error=error))
    return path.open("rb")


def _recording_error(path: Path, what: str, error: type[UserError]) -> UserError:
    """``path`` refused as a recording, with the export that reads it: of the file itself, or
    for a stream (:func:`is_stream`) of a file it is saved to first. Without this, a piped
    recording was told ``breathwise export -``, which export refuses, or
    ``export /dev/fd/63``, a path gone once the command has ended."""
    export = (
        "save it to a file, then 'breathwise export FILE'"
        if is_stream(path)
        else (f"'breathwise export {shlex.quote(str(path))}'")
    )
    return error(
        f"{path}: this is a Breathwise recording, not {what}",
        f"{export} writes its beats (RR) and waveforms as CSV files",
    )


def refuse_a_recording(path: Path, *, what: str, error: type[UserError] = UserError) -> None:
    """Refuse ``path`` if it is a Breathwise recording (gzipped or not), as :func:`read_text`
    does, without reading more than its start; anything else (no file, another kind) is left
    for the reading to say. For a command that asks for more before it reads the file:
    ``breaths REC.bwr`` asked for --fs first, then refused the file.

    Raises
    ------
    UserError
        (or ``error``) ``path`` is a recording, with advice to export it.
    """
    try:
        with open_input(path, error=error) as fh:
            head = fh.read(_SNIFF_BYTES)
            if head[:2] == GZIP_MAGIC:
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh) as unpacked:
                    head = unpacked.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        return
    if looks_like_recording(head):
        raise _recording_error(path, what, error)


def read_text(path: Path, *, max_bytes: int, what: str, error: type[UserError] = UserError) -> str:
    """The text of ``path``, decompressed if it is gzip, without a byte-order mark.

    Parameters
    ----------
    path : Path
        The file.
    max_bytes : int
        Largest accepted size in bytes, after decompression: beyond it the file is refused
        before it fills the memory.
    what : str
        What the file should be (``"an RR file"``), for the size message.
    error : type of UserError
        The error raised (a command may use a subclass of its own).

    Returns
    -------
    str
        The decoded text (UTF-8; a leading byte-order mark, as Excel writes, is dropped).

    Raises
    ------
    UserError
        (or ``error``) naming the file, and for undecodable text the line, in one line.
    """
    streamed = is_stream(path)
    raw = stream_bytes(path, error=error) if streamed else _file_bytes(path, max_bytes, error)
    if raw[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) if streamed else gzip.open(path) as fh:
                raw = read_at_most(fh, max_bytes, size_hint=_READ_BLOCK)
        except (OSError, EOFError, zlib.error) as exc:
            raise error(f"{path}: damaged gzip file ({exc})") from None
    if looks_like_recording(raw[:_SNIFF_BYTES]):
        # Read as a table, its JSON header was quoted whole as a list of "columns".
        raise _recording_error(path, what, error)
    if len(raw) > max_bytes:
        raise error(f"{path}: larger than {_size(max_bytes)}, not {what}")
    if path.suffix.lower() in (".edf", ".bdf") or _is_edf(raw):
        raise error(
            f"{path}: an EDF file, not {what}; EDF import is not supported",
            "use the STEM.beats.csv of a CSV export instead (breathwise export -f csv)",
        )
    if raw[:2] in _UTF16_BOMS:
        # Windows tools ("Unicode" in Notepad, Excel's "Unicode text") save UTF-16 with a BOM.
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise error(f"{path}: damaged UTF-16 text", "save it as UTF-8 and try again") from None
    if b"\x00" in raw[:_SNIFF_BYTES]:
        if _looks_utf16(raw[:_SNIFF_BYTES]):
            raise error(
                f"{path}: UTF-16 text without a byte-order mark, not UTF-8",
                "save it as UTF-8 and try again",
            )
        raise error(f"{path}: not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(*_not_utf8(path, raw, exc.start)) from None


def _file_bytes(path: Path, max_bytes: int, error: type[UserError]) -> bytes:
    """The bytes of the file ``path``, at most ``max_bytes + 1`` (:func:`read_at_most`), or
    ``error`` naming why it cannot be read: a link loop, no such file, no regular file (a
    folder, a device: /dev/zero would be read for ever)."""
    why = unreachable(path)
    if why is not None:
        raise error(f"{path}: {why}")  # a link loop, which exists() takes for a missing file
    if not path.exists():
        if str(path) == "/dev/stdin":  # its link to fd 0 leads nowhere: started with `<&-`
            raise error(f"{path}: standard input is closed")
        raise error(f"{path}: no such file")
    if not path.is_file():
        if not (path.is_char_device() or path.is_block_device()):
            raise error(f"{path}: not a file")
        if _is_terminal(path):
            raise error(
                f"{path}: a terminal, not a file",
                "pipe the file in (breathwise hrv - < rr.txt) or name it",
            )
        raise error(f"{path}: a device, not a file")
    try:
        with path.open("rb") as fh:
            return read_at_most(fh, max_bytes, size_hint=os.fstat(fh.fileno()).st_size)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None


def _is_terminal(path: Path) -> bool:
    """Whether the device ``path`` is a terminal (``/dev/stdin`` with nothing piped in)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def _not_utf8(path: Path, raw: bytes, at: int) -> tuple[str, str]:
    """The refusal of text that is not UTF-8, and its advice: the line, the first byte that
    is no UTF-8 and the character it is in Windows-1252.

    Excel in a European locale saves "CSV" in Windows-1252 (a ``µ`` or ``°`` in a column's
    name is then one byte, 0xB5 or 0xB0), unless "CSV UTF-8" is chosen; the message said only
    "not UTF-8 text (byte 17)". Such a file is refused, not read as
    Windows-1252: the same bytes are other letters in Windows-1250 (Central European) or
    Mac Roman, and a column name read wrong is chosen by another name than the one the person
    sees; saved as UTF-8 it is read as it is.
    """
    start = raw.rfind(b"\n", 0, at) + 1
    end = raw.find(b"\n", at)
    line = raw[start : len(raw) if end < 0 else end].rstrip(b"\r")
    shown = line.decode("cp1252", "replace")
    column = len(raw[start:at].decode("cp1252", "replace")) + 1
    char = raw[at : at + 1].decode("cp1252", "replace")
    line_no = raw.count(b"\n", 0, at) + 1
    # Five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are no character in Windows-1252 either.
    meant = (
        "no character in Windows-1252 either"
        if char == "\ufffd"
        else f"{short_quote(char)} in Windows-1252, as Excel saves 'CSV' in a European locale"
    )
    return (
        f"{path}:{line_no}: not UTF-8 text: byte 0x{raw[at]:02X} at character {column} "
        f"({meant}: {short_quote(shown)})",
        "save it as UTF-8 (Excel: 'CSV UTF-8') and try again",
    )


def decode_head(raw: bytes) -> str:
    """The first bytes of a file as text, decoded as :func:`read_text` decodes the whole
    (UTF-16 after its byte-order mark, else UTF-8 without one), what cannot be decoded (a
    character cut at the end) replaced: for choosing how to read a file by its start.

    Decoded as UTF-8 always, a UTF-16 table's header was ``b\x00e\x00a\x00t\x00...`` to
    ``import``, which took a table of intervals ``hrv`` reads for one with a time column and
    refused it; a UTF-8 byte-order mark stuck to the first cell (``\ufeff,0``)."""
    if raw[:2] in _UTF16_BOMS:
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8-sig", "replace")


QUOTE_CHARS = 40
"""Longest text an error message quotes from a file, characters: a line of megabytes of
garbage once made a megabyte "one-line" error."""


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of ``text``, cut to ``limit`` characters and ``…`` when longer, for messages.

    Examples
    --------
    >>> short_quote("0,963")
    "'0,963'"
    >>> short_quote("x" * 50, 4)
    "'xxxx…'"
    """
    return repr(text if len(text) <= limit else text[:limit] + "…")


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""Byte-order marks of UTF-16 little- and big-endian text (Unicode 15, section 23.8)."""
_EDF_VERSION = b"0       "
"""The 8-byte version field an EDF or EDF+ file starts with (Kemp et al. 1992)."""


def _is_edf(raw: bytes) -> bool:
    """Whether ``raw`` starts as an EDF(+) header: the version field, then a header length
    (bytes 184-192) that is a multiple of 256 (Kemp et al. 1992, "Header record")."""
    if raw[:8] != _EDF_VERSION or len(raw) < 256:
        return False
    size = raw[184:192].strip()
    return size.isdigit() and int(size) >= 256 and int(size) % 256 == 0


def _looks_utf16(raw: bytes) -> bool:
    """Whether NUL bytes sit at nearly every other position and nowhere else, as in UTF-16
    text of Latin characters (``8\\x000\\x000\\x00``)."""
    if len(raw) < 8:
        return False
    zeros = sorted((raw[0::2].count(0) / len(raw[0::2]), raw[1::2].count(0) / len(raw[1::2])))
    return zeros[0] <= 0.1 and zeros[1] >= 0.9


def split_cells(line: str, delimiter: str | None) -> list[str]:
    """The cells of one table row: ``delimiter`` as CSV (quotes honoured, cells stripped of
    blanks and quotes), or runs of whitespace when it is None (quotes stripped too: R's
    ``write.table`` quotes its names and row names)."""
    if delimiter is None:
        return [cell.strip('"') for cell in line.split()]
    return [cell.strip().strip('"') for cell in next(csv.reader([line], delimiter=delimiter))]


SPREADSHEET_ERRORS = (
    "#N/A",
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#EXTERNAL!",
    "#PYTHON!",
    "#GETTING_DATA",
    "#ERROR!",
)
"""The error values a spreadsheet writes into a cell it has no number for (Excel's list,
"How to correct a #N/A error" and siblings; Google Sheets' ``#ERROR!``): saved as CSV, a
column with a value missing holds ``#N/A``. They start with ``#`` but are values, not
comments (without this, 100 ``#N/A`` rows of a belt were skipped as comments, and every
later breath was timed 2 s early)."""
_SPREADSHEET_ERROR = re.compile(
    "(?:"
    + "|".join(re.escape(code) for code in SPREADSHEET_ERRORS)
    + ")"
    + r"""(?=[ ]*(?:$|[,;\t"'])|\s+(?:[-+]?[.\d]|[#"']))""",
    re.IGNORECASE,
)
"""One of :data:`SPREADSHEET_ERRORS` as a whole cell: followed by the end of the line, a
separator (``,``, ``;``, a tab) or a quote, or by blanks and the next cell of a table separated
by blanks (a number, another code). Followed by words it is the start of a note
(``#N/A = sample lost``), a comment as any other (without this, such a line was taken for a
value by one reader and a header by another)."""
MISSING_WORDS = frozenset({"na", "n/a", "nan", "-nan", "+nan", "null", "none", "-", "--"})
"""Cells, lower case, that programs write for a value they do not have: R's ``NA``, NumPy's
``nan``, SQL's and JSON's ``null``, Python's ``None``, a dash."""


def spreadsheet_error(text: str) -> bool:
    """Whether ``text`` (a cell, or a line) starts with a spreadsheet's error value
    (:data:`SPREADSHEET_ERRORS`), blanks and a quote before it allowed.

    Examples
    --------
    >>> spreadsheet_error("#N/A"), spreadsheet_error('"#DIV/0!";0,5'), spreadsheet_error("# N/A")
    (True, True, False)
    """
    return _SPREADSHEET_ERROR.match(text.lstrip().lstrip("\"'")) is not None


def is_comment(line: str) -> bool:
    """Whether ``line`` is a ``#`` comment: its first character (after blanks) is ``#`` and
    it does not start with a spreadsheet's error value (``#N/A`` is a value missing).

    One rule for every reader and every place in a file, above the data or inside it: a
    program's notes (``# fs=100``, ``#Recorded 2024-05-01``) are comments; ``#N/A``,
    ``#DIV/0!`` are cells when they are the whole cell (:data:`SPREADSHEET_ERRORS`). Text after
    the ``#`` is not otherwise judged, so that a note such as ``#NA ward`` or
    ``#N/A = sample lost`` stays a note.
    """
    stripped = line.lstrip()
    return stripped[:1] == "#" and not spreadsheet_error(stripped)


def is_missing(cell: str) -> bool:
    """Whether ``cell`` (stripped) stands for a value left out: empty, ``NaN``, ``NA``,
    ``null``, a dash (:data:`MISSING_WORDS`, any case) or a spreadsheet's error value
    (:data:`SPREADSHEET_ERRORS`)."""
    if not cell or cell.lower() in MISSING_WORDS or spreadsheet_error(cell):
        return True
    value = number_or_none(cell)
    return value is not None and math.isnan(value)


def data_lines(text: str) -> tuple[list[tuple[int, str]], list[int]]:
    """The lines of ``text`` that hold something, numbered from 1, and the blank ones.

    Returns
    -------
    numbered : list of (int, str)
        ``(line number, line)`` of each line neither blank nor a ``#`` comment
        (:func:`is_comment`: ``#N/A`` is a value, not a comment).
    blanks : list of int
        Numbers of the blank (or whitespace-only) lines, ascending: one inside the data is a
        value left out, as a spreadsheet writes an empty cell of a one-column table
        (:func:`blank_inside`).
    """
    numbered: list[tuple[int, str]] = []
    blanks: list[int] = []
    for no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            blanks.append(no)
        elif not is_comment(stripped):
            numbered.append((no, line))
    return numbered, blanks


def iter_lines(text: str, start: int = 0, chunk_chars: int = 1 << 20) -> Iterator[str]:
    """The lines of ``text[start:]``, split a megabyte at a time.

    A list of every line of a large file costs about 70 bytes a line in Python objects (a
    12 h, 1 kHz waveform: 43 million lines, 3 GB); this holds one chunk's lines at a time,
    for ``numpy.loadtxt``, which takes any iterable of lines.
    """
    pos = start
    while pos < len(text):
        end = text.find("\n", pos + chunk_chars)
        end = len(text) if end < 0 else end + 1
        yield from text[pos:end].splitlines()
        pos = end


def data_rows(text: str, first_no: int = 1) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of each line of ``text`` neither blank nor a ``#`` comment
    (:func:`is_comment`), numbered from ``first_no``, without a list of them all
    (:func:`iter_lines`)."""
    for no, line in enumerate(iter_lines(text), start=first_no):
        stripped = line.strip()
        if stripped and not is_comment(stripped):
            yield no, line


def without_comment(line: str) -> str:
    """``line`` stripped, without a ``#`` comment: empty for a comment line
    (:func:`is_comment`), the text before a ``#`` after a value (``812  # arrhythmia``, and in
    a table's row, ``12.5,815 # ectopic``), and a spreadsheet's error value (``#N/A``) kept
    wherever it is a cell, as the value it is (``12.5,#N/A``), as is a ``#`` ending a cell
    (a header's ``beat #,rr_ms``).

    One rule for every reader, lists and tables alike (without this, the list readers took
    ``815 # ectopic`` and the table readers refused it).

    Examples
    --------
    >>> without_comment(" 812  # lap"), without_comment("1;#N/A;2 # ok"), without_comment("# x")
    ('812', '1;#N/A;2', '')
    >>> without_comment("beat #,rr_ms"), without_comment('"beat #","rr_ms"')
    ('beat #,rr_ms', '"beat #","rr_ms"')
    >>> without_comment('"41",866,"beat #41 ectopic" # checked')
    '"41",866,"beat #41 ectopic"'
    """
    stripped = line.strip()
    if is_comment(stripped):
        return ""
    at = stripped.find("#")
    while at >= 0 and (
        spreadsheet_error(stripped[at:])
        or _CELL_END.match(stripped, at + 1)
        # Inside a quoted cell ("beat #", "lap #2"): R's write.csv and spreadsheets quote
        # cells, and a cut there left the quote open.
        or stripped.count('"', 0, at) % 2 == 1
    ):
        at = stripped.find("#", at + 1)
    return stripped if at < 0 else stripped[:at].strip()


_CELL_END = re.compile(r"[ ]*[,;\t]")
"""A separator right after a ``#``: the ``#`` ends a cell (a column named ``beat #``), no note
starts there."""


def uncommented(text: str) -> str:
    """``text`` with every line :func:`without_comment`: comment lines left empty, so that
    line numbers stay the file's (a table reader counts the empty ones as blank)."""
    if "#" not in text:
        return text
    return "\n".join(without_comment(line) for line in text.splitlines())


_SEPARATOR_LINE = re.compile(r'[ \t]*"?sep=([,;\t])"?\1*[ \t]*', re.IGNORECASE)
"""Excel's first line naming a CSV's separator, ``sep=;`` (quoted, ``"sep=,"``, when a program
quoted it as a cell; followed by more of the separator when saved from a sheet of several
columns): a comma, a semicolon or a tab, the separators every reader knows."""


def excel_separator(text: str) -> tuple[str, str | None]:
    r"""The separator Excel's ``sep=X`` first line names, and ``text`` with that line blank.

    Excel writes ``sep=;`` (or ``sep=,``, a tab after ``sep=``) as a CSV's first line to tell
    itself the separator, whatever the locale; to the other readers it was a line of text above
    the header, and ``breaths``, ``hrv``, ``breaths --rr`` and ``import`` refused the file.
    Every table reader now takes the separator from it, so ``sep=;`` over ``0,5;1,2`` rows
    reads 0.5 and 1.2. The line is left empty rather than removed, so the readers still name
    the file's own lines; a line naming another separator (``sep=|``) is no such line, and is
    refused as any text above the header.

    Returns
    -------
    text : str
        ``text``, its first line emptied if it names the separator.
    separator : str or None
        ``,``, ``;`` or a tab; None without such a line.

    Examples
    --------
    >>> excel_separator('"sep=;"\na;b\n0,5;1,2\n')
    ('\na;b\n0,5;1,2\n', ';')
    >>> excel_separator("a,b\n"), excel_separator("sep=|\na|b\n")[1]
    (('a,b\n', None), None)
    """
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    found = _SEPARATOR_LINE.fullmatch(first.rstrip("\r"))
    if found is None:
        return text, None
    return ("" if end < 0 else text[end:]), found.group(1)


NO_BEAT_ROWS_PER_BEAT = 1.0
"""Rows with the RR cell missing per row holding an interval, at least, for a table's missing
cells to be rows without a beat (:func:`rows_without_beats`)."""


def rows_without_beats(missing: int, beats: int) -> bool:
    """Whether a table's ``missing`` RR cells (:func:`is_missing`) are rows on which no beat
    ended, beside ``beats`` rows holding an interval, rather than intervals lost.

    A logger writing one row per sample (ECG at 130 Hz, a 10 Hz heart-rate log) writes an RR on
    the rows where a beat ended and leaves the others empty, ``NA`` (R's ``write.csv``) or
    ``#N/A``: most of its rows have no RR, about 130 per beat at 130 Hz. A table of one row per
    beat (``beat,rr_ms``; ``time_ms,rr_ms``) has an RR on every row, and a cell missing there
    is an interval lost: skipping it would join the intervals around it into one false
    successive difference, as in a one-column list, and refusing it is the rule of
    :data:`MISSING_INTERVAL_ADVICE`. The line between them is at least as many rows without
    an RR as with one (:data:`NO_BEAT_ROWS_PER_BEAT`): two rows a beat or more is a sampled
    log (a 130 Hz ECG logger has 100 or more), while a table of beats that lost half of them is
    no record of its rhythm to analyse. Counting is all a table without a time column allows,
    and with one it is the same test, since a sampled log's missing cells are its rows between
    beats. A table of one row per strap notification (about 1 Hz) whose RR is empty on the
    seconds a slow heart (under 60/min) completed no beat has fewer missing rows than beats:
    its readers leave out the rows holding a heart rate before asking
    (:data:`trainer.storage.imports.table_columns.HR_COLUMNS`), since a notification loses no
    interval, but only when its time column shows it is one (:func:`timed_by_beats` false).

    Examples
    --------
    >>> rows_without_beats(2900, 300), rows_without_beats(1, 299), rows_without_beats(0, 5)
    (True, False, True)
    """
    return missing == 0 or missing >= NO_BEAT_ROWS_PER_BEAT * beats


BEAT_TIME_TOLERANCE_S = 0.02
"""How far a step of a per-beat table's time column may differ from its RR interval, s, and
still be that interval: the time written to 0.01 s or finer, the RR to 1 ms or the strap's
1/1024 s (:func:`timed_by_beats`)."""
BEAT_TIMED_SHARE = 0.5
"""Share of a table's steps between rows holding an interval that must equal their RR, at
least, for its rows to be beats (:func:`timed_by_beats`). A per-beat table's steps all do but
for a lost beat or a re-anchored time (1.0 in an export); a phone logger's 1 Hz notifications
step by a second or by nothing whatever the RR: over 280 simulated ones (mean RR 800-1200 ms,
arrival jitter 30 ms sd) at most 0.40 of their steps matched, a heart at 60/min with little
variability, and at most 0.13 at 55/min."""


def timed_by_beats(times_s: ArrayLike, rr_ms: ArrayLike) -> bool:
    """Whether a table's rows holding an interval are beats, each at its beat's time, rather
    than strap notifications (0x2A37) stamped as they arrived.

    A table of one row per beat (``t_s,rr_ms,hr_bpm``, a Breathwise export's ``STEM.beats.csv``;
    ``time_ms,rr_ms``) is timed by its beats: its time column steps by the RR, the time at the
    end of each interval (or at its start). A logger's table of notifications (Polar Sensor
    Logger's ``Phone timestamp;HR [bpm];RR-interval [ms]``) steps by about a second whatever
    the RR, and not at all between the values one notification carries. An empty RR cell on a
    row holding a heart rate is a second in which no beat ended only in the second kind; in
    the first it is an interval lost (without this, an export's beats table with one RR
    blanked was read without it, its two neighbours joined into one false successive
    difference).

    Parameters
    ----------
    times_s : array_like of float
        The time of each row holding an interval, in file order, s (any origin).
    rr_ms : array_like of float
        Those rows' intervals, ms.

    Returns
    -------
    bool
        True when at least :data:`BEAT_TIMED_SHARE` of the steps between consecutive rows equal
        the RR at their end or at their start, within :data:`BEAT_TIME_TOLERANCE_S`, and also
        when there is no step to judge by (fewer than two rows): the reading that refuses a
        missing cell rather than joining the intervals around it.

    Examples
    --------
    >>> timed_by_beats([0.8, 1.61, 2.40, 3.22], [800, 810, 790, 820])
    True
    >>> timed_by_beats([1.0, 2.0, 3.0, 3.0, 4.0], [1090, 1110, 700, 450, 1080])
    False
    """
    t = np.asarray(times_s, dtype=np.float64)
    rr_s = np.asarray(rr_ms, dtype=np.float64) / 1000.0
    if t.size < 2:
        return True
    steps = np.diff(t)
    at_end = np.abs(steps - rr_s[1:]) <= BEAT_TIME_TOLERANCE_S
    at_start = np.abs(steps - rr_s[:-1]) <= BEAT_TIME_TOLERANCE_S
    return max(float(at_end.mean()), float(at_start.mean())) >= BEAT_TIMED_SHARE


def lost_intervals(
    missing: Sequence[tuple[int, str]], beat_lines: Sequence[int]
) -> list[tuple[int, str]]:
    """The missing RR cells (line, cell) that lie between two rows holding an interval: only
    those can be intervals lost. One before the first interval or after the last loses none
    (pandas' ``df.t.diff()`` leaves the first cell empty, R's ``c(NA, diff(t))`` writes ``NA``
    there; without this, such files were refused as a lost interval)."""
    if not beat_lines:
        return list(missing)
    first, last = min(beat_lines), max(beat_lines)
    return [(line, cell) for line, cell in missing if first < line < last]


def missing_interval(cell: str, *, in_table: bool = False) -> str:
    """The refusal of a missing RR ``cell`` (:func:`is_missing`) as a lost interval, without
    the file and line, the same in every reader (with :data:`MISSING_INTERVAL_ADVICE`); in a
    table, ``in_table``, it says why the cell is no row without a beat
    (:func:`rows_without_beats`), as a logger's empty rows are."""
    what = "an empty RR cell" if not cell else f"{short_quote(cell)} is not a number"
    why = " (the table has an RR on most rows: one row per beat)" if in_table else ""
    return f"{what}: a missing RR interval{why}"


def blank_inside(blanks: list[int], first_no: int, last_no: int) -> int | None:
    """The first blank line strictly between lines ``first_no`` and ``last_no``, or None.

    Blank lines before the first value or after the last are layout (a trailing newline, a
    gap under the header); one between two values is a value missing.
    """
    k = bisect.bisect_right(blanks, first_no)
    return blanks[k] if k < len(blanks) and blanks[k] < last_no else None


def empty_last_cell(lines: Iterable[str]) -> str | None:
    """The separator every line ends with, ``,`` or ``;``, or None when not every line does.

    A spreadsheet saves a one-column sheet with an empty column beside it as ``800,`` on every
    row: that empty cell is no column, and the readers drop it (without this, ``hrv`` took
    the first interval for a header, "columns: 800, ", and ``import`` refused "800,").
    """
    ends: set[str] = set()
    for line in lines:
        ends.add(line.rstrip()[-1:])
        if len(ends) > 1:
            return None
    end = ends.pop() if ends else ""
    return end if end in (",", ";") else None


def number_or_none(text: str) -> float | None:
    """``text`` as a float, or None when it is not a number (``"nan"`` is one)."""
    try:
        return float(text)
    except ValueError:
        return None


def _size(n_bytes: int) -> str:
    if n_bytes >= 1024**3 and n_bytes % 1024**3 == 0:
        return f"{n_bytes // 1024**3} GiB"
    return f"{n_bytes // 1024**2} MiB"


__all__ = [
    "BEAT_TIMED_SHARE",
    "BEAT_TIME_TOLERANCE_S",
    "GZIP_MAGIC",
    "MISSING_INTERVAL_ADVICE",
    "STDIN",
    "STREAM_MAX_BYTES",
    "blank_inside",
    "data_lines",
    "data_rows",
    "empty_words",
    "excel_separator",
    "input_name",
    "is_comment",
    "is_missing",
    "is_stream",
    "iter_lines",
    "lost_intervals",
    "missing_interval",
    "number_or_none",
    "open_input",
    "pipe_words",
    "read_text",
    "rows_without_beats",
    "short_quote",
    "split_cells",
    "spreadsheet_error",
    "stream_bytes",
    "timed_by_beats",
    "uncommented",
    "without_comment",
]
