"""Standard output and error as the terminal or pipe at their end can take them.

Two things a command's output meets that are no fault of the command:

- **A terminal that is not UTF-8.** Breathwise's lines carry a few characters outside ASCII
  (``—`` in cues and empty table cells, ``·`` between fields, ``…``, ``µV``, ``±``). In a
  locale whose character set cannot hold them (``de_DE.ISO-8859-1``, a plain ``en_US``, which
  glibc makes Latin-1, or ``PYTHONIOENCODING=ascii``), Python's standard output refuses them
  with :class:`UnicodeEncodeError`: a live session was stopped as "a bug in Breathwise" at its
  first cue, ``history`` and ``replay`` ended in a traceback. Such a stream
  gets the error handler :data:`ASCII_FALLBACK`, which writes each character the stream cannot
  encode as its nearest ASCII (``—`` -> ``-``, ``…`` -> ``...``, ``µ`` -> ``u``, ``é`` ->
  ``e``; box and bar glyphs as ``+ - | #``) and anything else as ``?``. A UTF-8 stream is left
  as Python made it. The full screen, which is drawn in box and block characters, is not run
  on such a terminal at all (:func:`trainer.cli.session.no_screen_reason`).
- **A reader that has gone.** ``breathwise history | head -1``: once ``head`` has its line
  and exits, the next write to the pipe fails with ``EPIPE``. Click answers that with a silent
  exit status 1, from wherever the command was, so what it had still to say on standard error
  (a replay's "this replay differs" note) was lost. The standard streams
  here drop what they are given once their reader is gone, as a live session's lines already
  did: the command goes on to its end, says on the other stream what it has to, and exits
  with its own status (0 for a command that did its work). The file descriptor is pointed at
  ``/dev/null`` as the Python documentation advises ("Note on SIGPIPE", :mod:`signal`), so
  that nothing written later, nor the interpreter's last flush, meets the closed pipe again.
  A terminal that has gone away (its window closed: writes fail with ``EIO``) is such a reader
  too, not a failed write: a session closed on its summary screen exited 1, "could not write
  the standard output", instead of its own 0.

:func:`prepare_streams` sets both up; the console script calls it first thing
(:func:`trainer.__main__.main`).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import unicodedata
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

ASCII_FALLBACK = "breathwise-ascii"
"""Name of the codec error handler (:func:`codecs.register_error`) that writes a character the
stream's encoding cannot hold as its ASCII counterpart (:func:`ascii_fallback`)."""

ASCII_FOR: dict[str, str] = {
    "\u2014": "-",  # — em dash: "Good pace — right with the pacer", empty table cells
    "\u2013": "-",  # – en dash: ranges "0.04–0.15 Hz"
    "\u2212": "-",  # − minus sign
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2026": "...",  # … ellipsis
    "\u00b7": "-",  # · middle dot between the fields of a status line
    "\u2022": "*",  # • bullet
    "\u00d7": "x",  # × multiplication sign
    "\u00b1": "+/-",  # ±
    "\u00b2": "^2",  # ² in ms², m/s²
    "\u00b3": "^3",  # ³
    "\u00b5": "u",  # µ micro sign (µV, µs), as SI allows in ASCII
    "\u03bc": "u",  # μ Greek mu, typed for the micro sign
    "\u00b0": " deg",  # ° degree sign
    "\u0394": "delta ",  # Δ
    "\u03a3": "sum ",  # Σ
    "\u00a7": "section ",  # §
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u2192": "->",  # →
    "\u2190": "<-",  # ←
    "\u2194": "<->",  # ↔
    "\u21d2": "=>",  # ⇒
    "\u2191": "^",  # ↑
    "\u2193": "v",  # ↓
    "\u2264": "<=",  # ≤
    "\u2265": ">=",  # ≥
    "\u2260": "!=",  # ≠
    "\u2248": "~",  # ≈
    "\u2713": "v",  # ✓
    "\u2717": "x",  # ✗
}
"""ASCII for the characters Breathwise prints (and a few a user's labels may hold) that have no
ASCII compatibility decomposition (NFKD turns ``…`` into ``...`` and ``é`` into ``e`` + accent,
but leaves ``—`` and ``µ``'s ``μ`` as they are). Box-drawing and block characters are matched by
their Unicode block instead (:func:`ascii_fallback`)."""

_BOX_DRAWING = range(0x2500, 0x2580)
"""Unicode block "Box Drawing": the frames of panels and tables."""
_BLOCK_ELEMENTS = range(0x2580, 0x25A0)
"""Unicode block "Block Elements": the bars (``█``, ``▌``, shades)."""

UTF8_PROBE = "\u2014\u2026\u00b7\u256d\u2500\u2502\u2588\u258f"
"""Characters the full screen and the headless lines draw with (dashes, dots, frames, bars): a
stream whose encoding holds them all shows Breathwise whole."""


def ascii_fallback(char: str) -> str:
    """The ASCII text to write for one character that a stream's encoding cannot hold.

    Parameters
    ----------
    char : str
        One character.

    Returns
    -------
    str
        :data:`ASCII_FOR`'s entry; for a box-drawing character ``-`` (horizontal), ``|``
        (vertical) or ``+`` (a corner or a junction), for a block element ``#``; otherwise the
        character's compatibility decomposition (Unicode NFKD, UAX #15) without its combining
        marks (``é`` -> ``e``, ``ﬁ`` -> ``fi``) when that is ASCII; else ``?``.

    Examples
    --------
    >>> ascii_fallback("—"), ascii_fallback("…"), ascii_fallback("é"), ascii_fallback("╭")
    ('-', '...', 'e', '+')
    >>> ascii_fallback("漢")
    '?'
    """
    if char in ASCII_FOR:
        return ASCII_FOR[char]
    code = ord(char)
    if code in _BOX_DRAWING:
        name = unicodedata.name(char, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "=" if "DOUBLE" in name else "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        return "+"
    if code in _BLOCK_ELEMENTS:
        return "#"
    decomposed = "".join(
        ASCII_FOR.get(part, part)
        for part in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(part)
    )
    return decomposed if decomposed and decomposed.isascii() else "?"


def _degrade(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler :data:`ASCII_FALLBACK`: ASCII for the characters ``exc`` covers."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = "".join(ascii_fallback(char) for char in exc.object[exc.start : exc.end])
    return text, exc.end


codecs.register_error(ASCII_FALLBACK, _degrade)


def shows_unicode(encoding: str | None) -> bool:
    """Whether text in ``encoding`` can hold what Breathwise draws (:data:`UTF8_PROBE`).

    Parameters
    ----------
    encoding : str or None
        A codec name as a stream gives it (``"utf-8"``, ``"ISO-8859-1"``, ``"ANSI_X3.4-1968"``);
        None (a stream without one) is taken as able, as there is nothing to go by.

    Returns
    -------
    bool
        True for UTF-8 and other encodings of the whole of Unicode (UTF-16, GB18030).
    """
    if encoding is None:
        return True
    try:
        UTF8_PROBE.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def printable(text: str, encoding: str | None) -> str:
    """``text`` with every character ``encoding`` cannot hold replaced by its ASCII
    (:func:`ascii_fallback`); unchanged when the encoding holds it all, is None or unknown.

    Examples
    --------
    >>> printable("Good pace — right with the pacer", "latin-1")
    'Good pace - right with the pacer'
    """
    if encoding is None:
        return text
    try:
        return text.encode(encoding, ASCII_FALLBACK).decode(encoding)
    except LookupError:
        return text


class _DropWhenGone(io.BufferedIOBase):
    """The binary layer under a standard stream that drops its writes once the reader at the
    other end of the pipe has gone (``EPIPE``), instead of raising :class:`BrokenPipeError`.

    Parameters
    ----------
    inner : BinaryIO
        The stream's own buffer (``sys.stdout.buffer``); left open when this one is closed,
        as the interpreter still owns it.
    """

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self.gone = False
        """Whether the reader has gone: what is written since is dropped."""
        self.failure: OSError | None = None
        """The error that stopped the writes otherwise (a full disk under ``> out.json``):
        what is written since is dropped, and the command line says so at the end
        (:func:`output_failure`), where the interpreter's last flush said nothing and the
        command exited 0 over a cut file."""
        self._terminal = False
        """The stream leads to a terminal: a write that fails there means the terminal has
        gone away (hung up, ``EIO``), and nothing is left cut short for anyone to read."""
        with contextlib.suppress(OSError, ValueError):
            self._terminal = inner.isatty()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._inner.fileno()

    def isatty(self) -> bool:
        return self._inner.isatty()

    @property
    def name(self) -> str | int:
        """The inner stream's name (``<stdout>``), which the text layer reports as its own."""
        return getattr(self._inner, "name", "")

    def write(self, data: ReadableBuffer, /) -> int:
        size = memoryview(data).nbytes
        if self.gone:
            return size
        try:
            return self._inner.write(data)
        except BrokenPipeError:
            self._reader_gone()
        except OSError as exc:
            self._failed(exc)
        return size

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self._inner.flush()
        except BrokenPipeError:
            self._reader_gone()
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        if self._terminal:
            self._reader_gone()
            return
        self.failure = exc
        self.gone = True  # nothing more can be trusted to reach the file: later writes dropped

    def _reader_gone(self) -> None:
        self.gone = True
        # The descriptor now leads to /dev/null: what the inner buffer still holds, and what a
        # child process or the interpreter's last flush writes there, goes nowhere quietly.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._inner.fileno())
            finally:
                os.close(devnull)
            self._inner.flush()


def _prepared(stream: TextIO | None) -> TextIO | None:
    """``stream`` as :func:`prepare_streams` leaves it: the same text over a
    :class:`_DropWhenGone` buffer, with :data:`ASCII_FALLBACK` as its error handler when its
    encoding is not Unicode's."""
    if not isinstance(stream, io.TextIOWrapper):
        return stream  # not the interpreter's own stream (already replaced): left alone
    errors = stream.errors if shows_unicode(stream.encoding) else ASCII_FALLBACK
    with contextlib.suppress(OSError, ValueError):
        stream.flush()
    return io.TextIOWrapper(
        _DropWhenGone(stream.buffer),
        encoding=stream.encoding,
        errors=errors,
        line_buffering=stream.line_buffering,
        write_through=stream.write_through,
    )


def _flushed_layer(stream: TextIO | None) -> _DropWhenGone | None:
    """The :class:`_DropWhenGone` under ``stream``, once ``stream`` is flushed (so that what it
    still holds is tried, and a reader gone since the last write is found); None for a stream
    :func:`prepare_streams` did not make."""
    if stream is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        stream.flush()
    layer = getattr(stream, "buffer", None)
    return layer if isinstance(layer, _DropWhenGone) else None


class ClosedOutput(io.TextIOBase):
    """Standard output when there is none (its descriptor closed: ``cmd >&-``, a daemon's
    job), where Python leaves ``sys.stdout`` None and ``print`` drops what it is given without
    a word: ``hrv`` and ``breaths`` lost their result and exited 0. It takes
    the writes and remembers that there were some (:attr:`written`), for the command to fail
    on."""

    def __init__(self) -> None:
        super().__init__()
        self.written = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return len(text)


def output_failure(stream: TextIO | None) -> OSError | None:
    """The error that stopped writes to ``stream`` (a full disk, an I/O error), if it is one
    :func:`prepare_streams` made and a write to it failed otherwise than by its reader going;
    None otherwise."""
    layer = _flushed_layer(stream)
    return layer.failure if layer is not None else None


def output_gone(stream: TextIO | None) -> bool:
    """Whether what is written to ``stream`` goes nowhere: its reader has gone (a ``| tee`` a
    Ctrl+C ended with the session) or its disk failed; only for a stream
    :func:`prepare_streams` made."""
    layer = _flushed_layer(stream)
    return layer is not None and layer.gone


def prepare_streams() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` write what their terminal can show and go quiet
    once their reader has gone (see the module's docstring).

    ``sys.__stdout__`` and ``sys.__stderr__`` stay the interpreter's own streams (the full
    screen draws on the latter itself); their error handler too becomes
    :data:`ASCII_FALLBACK` when their encoding is not Unicode's, for whatever else writes there.
    """
    for original in (sys.__stdout__, sys.__stderr__):
        if isinstance(original, io.TextIOWrapper) and not shows_unicode(original.encoding):
            with contextlib.suppress(OSError, ValueError):
                original.reconfigure(errors=ASCII_FALLBACK)
    sys.stdout = _prepared(sys.stdout)
    sys.stderr = _prepared(sys.stderr)
