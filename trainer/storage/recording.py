"""Session recordings: one append-only JSON Lines file per session.

The format is documented in docs/recording-format.md.

The writer appends every raw packet with both host clocks, pacer changes, link changes (gaps),
user marks, a clock record after each second of quiet and each 10 s of session, and a closing
summary, the clock and closing records with a running checksum of all it wrote before
(:data:`CHECKSUM_KEY`); it flushes at least
every ``flush_interval_s`` so a session killed at any moment leaves a readable file missing at
most that much, and its length to within a second and a quarter. Files are created with
mode 0600: they hold health data.

The reader accepts a truncated last line (the signature of a killed session) and rejects
anything else that is not a well-formed Breathwise recording with one clear line, naming the
line at fault. Damage the lines cannot show themselves (bytes that fail their checksum, packets
fewer than the closing record counts) is read and listed (:attr:`Recording.damage`) for every
command to say. It tells a recording from another file by its first bytes before reading on,
then reads a block at a time and decodes each line on its own, so a large foreign file is
refused at once and a byte that is not UTF-8 damages only its line.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import io
import json
import math
import os
import re
import stat
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

from devices.packets import RawPacket, Stream
from devices.source import LinkEvent, LinkState, SourceInfo
from trainer import ANALYSIS_REVISION, SOFTWARE
from trainer.coaching.pacer import BreathPattern
from trainer.errors import UserError
from trainer.session.summary import SessionSummary, checked_summary
from trainer.storage.safe_parse import json_loads

FORMAT_NAME = "breathwise-recording"
FORMAT_VERSION = 1
SUFFIX = ".bwr"
ANALYSIS_KEY = "analysis_revision"
"""The header key of :attr:`Header.analysis_revision`. Added within format 1: a reader of
format 1 ignores header keys it does not know, so an older Breathwise reads a file that holds
it, and this one reads a file without it as of an unknown revision."""
MAX_ANALYSIS_REVISION = 1_000_000
"""Largest ``analysis_revision`` read: one raised by each analysis change never comes near;
a larger one is damage."""

# What format 1 allows, frozen here: the file format must not change when the app's own limits
# do. The pacer and the program model must stay inside these (a file the app writes is always
# readable), and since a replay rebuilds pacer patterns and program plans with the app's own
# classes they must also still accept all of it; tests/test_recording.py checks both.
FORMAT1_MIN_RATE_BPM = 1.0
"""Slowest pacer rate a format-1 recording holds (breaths/min)."""
FORMAT1_MAX_RATE_BPM = 30.0
"""Fastest pacer rate a format-1 recording holds (breaths/min)."""
FORMAT1_MIN_PERIOD_S = 60.0 / FORMAT1_MAX_RATE_BPM
"""Shortest breathing cycle (s), the fastest rate's."""
FORMAT1_MAX_PERIOD_S = 60.0 / FORMAT1_MIN_RATE_BPM
"""Longest breathing cycle (s), the slowest rate's."""
FORMAT1_MIN_RATIO = 0.2
"""Smallest exhale:inhale ratio (pacer or coached target)."""
FORMAT1_MAX_RATIO = 5.0
"""Largest exhale:inhale ratio."""
FORMAT1_MAX_STEP_S = 3 * 3600.0
"""Longest program step (per side) of a recorded plan, seconds."""
FORMAT1_MAX_REPETITIONS = 1000
"""Most repetitions of one step of a recorded plan."""
CLOCK_KIND = "clock"
"""The record kind that says only "the session was still running at ``m``"."""
CLOCK_RECORD_NS = 1_000_000_000
"""Quiet time after which a session writes a :data:`CLOCK_KIND` record, ns. A session
without a sensor writes nothing else between pacer changes, minutes apart, and one whose
sensor is gone nothing between link records: killed, it had left no trace of the time it ran
(a ``--device none`` session killed at minute 38 read as 0 s). One second
bounds that loss as the flush interval bounds the rest, for about 60 bytes a second of
quiet (140 KB for a 39 min session without a sensor)."""
CHECKSUM_KEY = "crc"
"""The key of the running checksum a :data:`CLOCK_KIND` or ``end`` record carries, always its
last: 8 lowercase hex digits of the CRC-32 (``zlib.crc32``) of every byte the writer wrote
before it, line 1 included, and of its own line up to the key (:class:`RecordingWriter`). Added
within format 1: a reader that predates it ignores a key it does not know. Without this, of
1000 single-bit flips of a 1 min recording, 119 were read and analysed to other numbers, 105
of them without a word (a belt packet's mask byte, a counter byte)."""
CHECKPOINT_NS = 10 * 1_000_000_000
"""Session time after which the writer writes a checksummed :data:`CLOCK_KIND` record though
the session is not quiet (ns): a damaged stretch is named to within 10 s of a session, about
200 lines of a belt and a strap, for 60 bytes each (22 KB an hour)."""
SYNC_INTERVAL_S = 10.0
"""Most time between two ``fsync`` of a live recording, s: a power cut (or a kernel crash)
loses at most about this much of it (:meth:`RecordingWriter.flush`). Flushed lines only reach
the OS's cache, which it writes out in its own time (30 s on Linux by default): a power cut
lost the last 30-35 s of a session where the guide said about a second. One
``fsync`` per 10 s costs a few ms."""
_CHECKSUM_TAIL = ',"' + CHECKSUM_KEY + '":"'
"""How a checksum ends its record: ``,"crc":"`` then 8 hex digits and ``"}``."""
_CHECKSUM_TAIL_CHARS = len(_CHECKSUM_TAIL) + 8 + 2


class RecordingError(UserError):
    """A file that cannot be read as a Breathwise recording (foreign, corrupt, too new, empty)."""


class RecordingWriteError(UserError):
    """A recording that cannot be created or written (no permission, a full disk).

    Parameters
    ----------
    path : Path
        The recording named in the message.
    what : str
        What failed, e.g. ``"cannot write the recording"``.
    cause : OSError
        The operating system's error; its reason ends the message.
    """

    def __init__(self, path: Path, what: str, cause: OSError) -> None:
        super().__init__(f"{path}: {what} ({cause.strerror or cause})")
        self.cause = cause


STILL_RECORDING = "still being recorded"
"""How a recording that a running session still writes has ended so far
(:attr:`Recording.ended`)."""
STILL_RECORDING_NOTE = "still being recorded by a running session"
"""What replay, report and ``history --add`` say of such a recording."""
CUT_SHORT = "recording cut short"
"""How a recording closed without its closing record (a killed session, a copy cut short) has
ended (:attr:`Recording.ended`)."""
PARTIAL_ENDINGS = frozenset({STILL_RECORDING, CUT_SHORT})
"""The endings of a recording that holds part of a session."""


@dataclass(frozen=True, slots=True)
class Damage:
    """Damage found in a recording whose every line reads as a record (:attr:`Recording.damage`).

    A line that cannot be read is refused with its number; this is what the lines cannot show
    themselves: bytes that do not match the checksum the session wrote for them
    (:data:`CHECKSUM_KEY`), or fewer or more packets than the closing record counts.

    Attributes
    ----------
    what : str
        What was found, as a clause: ``lines 201-412 do not match the checksum the session
        wrote``.
    first_line, last_line : int or None
        The stretch of lines it lies in (1 is the header); None when no stretch can be named
        (a packet count that differs: the packet lost or altered can be anywhere).
    """

    what: str
    first_line: int | None = None
    last_line: int | None = None


def damage_text(damage: Sequence[Damage]) -> str:
    """What :attr:`Recording.damage` found, in one clause for a note (``""`` when nothing)."""
    return "; ".join(found.what for found in damage)


def _lines_text(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def being_written(recording: Path) -> bool:
    """Whether a running session is still writing ``recording``.

    The writer holds an exclusive ``flock`` on the file from its creation until it closes it
    (:class:`RecordingWriter`); the kernel drops it when the process ends, ``kill -9`` and a
    crash included, so a recording left by a killed session reads as not being written.
    Without this, a second ``live`` called the first one's recording, still being
    written, "not in your history (a session stopped before it could add itself?)", and
    replay and report called it "cut short (session killed?)". A lock rather than a
    recent-mtime rule: a session paused for long writes nothing for minutes, and a killed
    one's file is recent too. False where locks are not available (no ``fcntl``: Windows) or
    the file cannot be opened.
    """
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with recording.open("rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@dataclass(frozen=True, slots=True)
class PacerChange:
    """A pacer instruction at a session instant.

    Attributes
    ----------
    t_mono_ns, t_wall_ns : int
        Host clocks when the change took effect (ns).
    action : str
        ``"set"`` (start or change the pattern), ``"pause"``, ``"resume"`` or ``"own"`` (no pacer:
        the person breathes in their own rhythm toward ``target_ratio``).
    pattern : dict or None
        For ``"set"``: ``BreathPattern.to_dict()``.
    target_ratio : float or None
        For ``"own"``: the exhale:inhale ratio the coach aims for.
    label : str
        Optional context, e.g. the program step title.
    """

    t_mono_ns: int
    t_wall_ns: int
    action: str
    pattern: dict[str, float] | None = None
    target_ratio: float | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Mark:
    """A moment the user marked (key ``m``), with an optional label."""

    t_mono_ns: int
    t_wall_ns: int
    label: str = ""


Item = RawPacket | PacerChange | LinkEvent | Mark
"""Everything a session handles, in the order it happened."""


def _slot_setter(name: str) -> Callable[[RawPacket, Any], None]:
    """The setter of :class:`~devices.packets.RawPacket`'s slot ``name``."""
    setter: Callable[[RawPacket, Any], None] = vars(RawPacket)[name].__set__
    return setter


_NEW = object.__new__
_SET_MONO = _slot_setter("t_mono_ns")
_SET_WALL = _slot_setter("t_wall_ns")
_SET_STREAM = _slot_setter("stream")
_SET_PAYLOAD = _slot_setter("payload")


def _packet(t_mono_ns: int, t_wall_ns: int, stream: str, payload: bytes) -> RawPacket:
    """``RawPacket(t_mono_ns, t_wall_ns, stream, payload)``, the same object, made through its
    slots: the frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, 2.5 times as long, and a day's recording makes 1.8 million."""
    packet: RawPacket = _NEW(RawPacket)
    _SET_MONO(packet, t_mono_ns)
    _SET_WALL(packet, t_wall_ns)
    _SET_STREAM(packet, stream)
    _SET_PAYLOAD(packet, payload)
    return packet


_OTHER = 255
"""The stream code of an item :class:`RecordedItems` keeps as it is (a pacer change, a link
change, a mark, a packet of a 256th stream)."""
_ITEMS_AT_ONCE = 4096
"""Items :class:`RecordedItems` makes at a time while it is iterated."""


class RecordedItems(Sequence[Item]):
    """A recording's items in order (:attr:`Recording.items`), its packets held in columns.

    A packet is held as its two clocks (8 bytes each), a stream code (1 byte) and its payload's
    bytes (with 8 bytes for where they end) and made a :class:`~devices.packets.RawPacket`
    again each time it is read: about 40 bytes for a belt packet that takes 96 in the file,
    where one object per packet (the object, its two clocks, its stream id and payload) held
    about 250, and replay, report and export of a 24 h recording (186 MB) needed about 2 GB.
    The other items are kept as they are, few (pacer changes, link changes,
    marks). Reads as a sequence: ``len``, an index, a slice (a list), iteration, and ``==``
    to any sequence of the same items. Filled by :func:`read_recording`, then
    :meth:`freeze` makes it read-only.
    """

    __slots__ = (
        "_codes",
        "_counts",
        "_ends",
        "_filling",
        "_frozen",
        "_mono",
        "_others",
        "_payload",
        "_stream_codes",
        "_streams",
        "_wall",
    )

    def __init__(self) -> None:
        self._mono = array("q")
        self._wall = array("q")
        self._codes = bytearray()
        self._ends = array("q")
        """Where each item's payload ends in :attr:`_payload` (an item kept whole: where the
        one before it ends)."""
        self._filling = bytearray()
        """The payloads while items are added (:meth:`freeze` makes them :attr:`_payload`)."""
        self._payload = b""
        self._streams: list[str] = []
        """Stream ids by code."""
        self._stream_codes: dict[str, int] = {}
        self._counts: list[int] = []
        """Packets per stream code."""
        self._others: dict[int, Item] = {}
        """Items kept whole, by index."""
        self._frozen = False

    def append(self, item: Item) -> None:
        """Add ``item`` after the others (only before :meth:`freeze`)."""
        if type(item) is RawPacket and self.append_packet(
            item.t_mono_ns, item.t_wall_ns, item.stream, item.payload
        ):
            return
        if self._frozen:
            raise TypeError("RecordedItems are read-only once read")
        self._others[len(self._codes)] = item
        self._mono.append(0)
        self._wall.append(0)
        self._ends.append(len(self._filling))
        self._codes.append(_OTHER)

    def append_packet(self, t_mono_ns: int, t_wall_ns: int, stream: str, payload: bytes) -> bool:
        """Add ``RawPacket(t_mono_ns, t_wall_ns, stream, payload)`` after the others, in
        columns; False (nothing added) when its stream is a 256th, whose packets
        :meth:`append` keeps whole."""
        if self._frozen:
            raise TypeError("RecordedItems are read-only once read")
        code = self._stream_codes.get(stream)
        if code is None:
            if len(self._streams) == _OTHER:
                return False
            code = self._stream_codes[stream] = len(self._streams)
            self._streams.append(stream)
            self._counts.append(0)
        self._mono.append(t_mono_ns)
        self._wall.append(t_wall_ns)
        self._filling += payload
        self._ends.append(len(self._filling))
        self._counts[code] += 1
        self._codes.append(code)
        return True

    def freeze(self) -> None:
        """End :meth:`append`: the payloads become one ``bytes``, whose slices are the packets'
        payloads at no more cost than a copy."""
        if not self._frozen:
            self._payload = bytes(self._filling)
            self._filling = bytearray()
            self._frozen = True

    def stream_counts(self) -> dict[str, int]:
        """Packets per stream id, those kept whole included."""
        counts = {stream: self._counts[code] for code, stream in enumerate(self._streams)}
        for item in self._others.values():
            if isinstance(item, RawPacket):
                counts[item.stream] = counts.get(item.stream, 0) + 1
        return {stream: count for stream, count in counts.items() if count}

    def non_packets(self) -> list[Item]:
        """The items that are not packets (pacer changes, link changes, marks), in order."""
        return [item for _, item in sorted(self._others.items()) if not isinstance(item, RawPacket)]

    def packets_of(self, stream: str) -> Iterator[RawPacket]:
        """The packets of ``stream``, in order; made only for that stream."""
        code = self._stream_codes.get(stream)
        for index, held in enumerate(self._codes):
            if held == code:
                yield self._packet_at(index)
            elif held == _OTHER:
                item = self._others[index]
                if isinstance(item, RawPacket) and item.stream == stream:
                    yield item

    def _make(self, index: int) -> Item:
        if self._codes[index] == _OTHER:
            return self._others[index]
        return self._packet_at(index)

    def _packet_at(self, index: int) -> RawPacket:
        """The packet at ``index``, one held in columns."""
        if not self._frozen:
            self.freeze()
        start = self._ends[index - 1] if index else 0
        return _packet(
            self._mono[index],
            self._wall[index],
            self._streams[self._codes[index]],
            bytes(self._payload[start : self._ends[index]]),
        )

    def _items(self, start: int, stop: int) -> list[Item]:
        """Items ``start`` to ``stop`` (indices in range), made."""
        if start >= stop:
            return []
        if not self._frozen:
            self.freeze()
        streams, others, payload = self._streams, self._others, self._payload
        new, packet_type = _NEW, RawPacket
        set_mono, set_wall = _SET_MONO, _SET_WALL
        set_stream, set_payload = _SET_STREAM, _SET_PAYLOAD
        begin = self._ends[start - 1] if start else 0
        made: list[Item] = []
        add = made.append
        index = start
        for code, mono, wall, end in zip(
            self._codes[start:stop],
            self._mono[start:stop],
            self._wall[start:stop],
            self._ends[start:stop],
            strict=True,
        ):
            if code == _OTHER:
                add(others[index])
            else:
                # _packet, inline: this loop makes every packet a replay handles.
                packet = new(packet_type)
                set_mono(packet, mono)
                set_wall(packet, wall)
                set_stream(packet, streams[code])
                set_payload(packet, payload[begin:end])
                add(packet)
            begin = end
            index += 1
        return made

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._items(start, stop)
            return [self._make(k) for k in range(start, stop, step)]
        count = len(self)
        if not -count <= index < count:
            raise IndexError("recording item index out of range")
        return self._make(index % count)

    def __iter__(self) -> Iterator[Item]:
        for start in range(0, len(self), _ITEMS_AT_ONCE):
            yield from self._items(start, min(start + _ITEMS_AT_ONCE, len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == theirs for mine, theirs in zip(self, other, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable until frozen, as a list

    def __repr__(self) -> str:
        return f"RecordedItems({len(self)} items, {sum(self._counts)} packets in columns)"


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a recording.

    Attributes
    ----------
    start_mono_ns, start_wall_ns : int
        Both host clocks at session start; session time ``t_s`` is
        ``(t_mono_ns - start_mono_ns) / 1e9``.
    source : SourceInfo
        Device kind, name, address, per-stream decoding parameters.
    settings : dict
        What the session was asked to do (rate, ratio, minutes, program...).
    software : str
        ``"breathwise X.Y.Z"`` that wrote the file.
    version : int
        Format version.
    analysis_revision : int or None
        :data:`trainer.ANALYSIS_REVISION` of the software that wrote the file: the analysis
        its live results (events shown, closing summary) came from. None for a file written
        before the field existed (unknown), whose header holds no ``analysis_revision``.
    """

    start_mono_ns: int
    start_wall_ns: int
    source: SourceInfo
    settings: dict[str, Any] = field(default_factory=dict)
    software: str = SOFTWARE
    version: int = FORMAT_VERSION
    analysis_revision: int | None = ANALYSIS_REVISION

    @property
    def planned_s(self) -> float | None:
        """The session length asked for (``settings["minutes"]``) in seconds, or None when the
        header does not say or says something that is not a positive number (a header built
        by hand: :func:`read_recording` refuses such a file)."""
        minutes = _positive_minutes(self.settings.get("minutes"))
        return None if minutes is None else minutes * 60.0

    def to_json(self) -> dict[str, Any]:
        """The header line's JSON object; ``analysis_revision`` only when known, so a file
        written before it existed reads back to the same object (and :func:`header_digest`)."""
        revision = {} if self.analysis_revision is None else {ANALYSIS_KEY: self.analysis_revision}
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "software": self.software,
            **revision,
            "start_mono_ns": self.start_mono_ns,
            "start_wall_ns": self.start_wall_ns,
            "source": {
                "kind": self.source.kind,
                "name": self.source.name,
                "address": self.source.address,
                "streams": self.source.streams,
                "details": self.source.details,
            },
            "settings": self.settings,
        }


ECG_BEATS_REVISION = 8
"""The first :data:`trainer.ANALYSIS_REVISION` whose ``import`` took a Polar CSV's beats from
its ECG's R peaks when it had no RR or heart-rate column (2026-12-07). The
importers before it kept such an ECG without a beat; revision 8 had them but for its first
16 minutes (05bf929 to 010a38a), and from it on an ECG import without beats is one whose ECG
has no QRS (``ECG_WITHOUT_BEATS`` of :mod:`trainer.storage.imports.ecg_beats`), where importing
again gets none either."""


def ecg_without_beats(header: Header) -> bool:
    """Whether a recording is an import by a Breathwise that did not take beats from an ECG,
    of an ECG without RR or heart-rate values: it holds the ECG (a ``pmd`` stream with
    ``ecg`` parameters) but no heart-rate stream, so no beat, and importing its CSV again
    takes the beats from the ECG's R peaks (without this, 30,000 ECG samples read as "no
    heart-rate strap"). Said, not made good on read: beats derived now would change what
    replays of such recordings show.

    A live session never matches (its source kind is not ``import``, and a strap's ECG comes
    with its heart-rate stream), nor an import of revision :data:`ECG_BEATS_REVISION` or
    later (its importer found no QRS in that ECG).
    """
    streams = header.source.streams
    pmd = streams.get(Stream.PMD_DATA.value)
    revision = header.analysis_revision
    return (
        header.source.kind == "import"
        and isinstance(pmd, dict)
        and "ecg" in pmd
        and Stream.HEART_RATE.value not in streams
        and (revision is None or revision < ECG_BEATS_REVISION)
    )


def session_stem(start_wall_ns: int) -> str:
    """The name of a session's recording without its suffix, from its start:
    ``session-YYYYMMDD-HHMMSS`` in local time."""
    return "session-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(start_wall_ns / 1e9))


def header_digest(header: Header) -> str:
    """A content identity of a recording's header: the first 16 hex digits of the SHA-256 of its
    JSON with sorted keys (so spacing, key order or a byte-order mark added by an editor do not
    change it).

    A header holds the start clocks, the source and the settings: a live session's clocks are
    unique to the nanosecond, and an import's header holds the imported file's name and a
    digest of its data (``details["data_sha256"]``). So a recording renamed, moved or copied
    keeps its identity, and two different sessions that share a start time do not.

    The analysis revision and the ``software`` string are left out: they say which Breathwise
    wrote the file, not which session it holds, so an RR file imported again after an upgrade
    is the same session (the history would count it twice), as is a file from before the
    revision existed. (Until history schema v7 the digest held ``software``, and the same
    import under two versions made two history rows: :func:`earlier_header_digest`.)
    """
    return _digest(header, without=(ANALYSIS_KEY, "software"))


def earlier_header_digest(header: Header) -> str:
    """:func:`header_digest` as history schemas v5 and v6 computed it, ``software`` included:
    what an upgrade of such a history recognises its rows' recordings by
    (:mod:`trainer.storage.history`, migration v7)."""
    return _digest(header, without=(ANALYSIS_KEY,))


def _digest(header: Header, *, without: tuple[str, ...]) -> str:
    """The first 16 hex digits of the SHA-256 of the header's JSON without the keys
    ``without``, keys sorted, no spaces."""
    identity = header.to_json()
    for key in without:
        identity.pop(key, None)
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(slots=True)
class Recording:
    """A recording read back: header, items in order, closing summary (None if cut short)."""

    path: Path
    header: Header
    items: Sequence[Item]
    """In the order they happened: a :class:`RecordedItems` when read from a file."""
    summary: SessionSummary | None
    end_mono_ns: int | None
    truncated: bool
    still_recording: bool = False
    """No closing record yet, and a running session still writes the file
    (:func:`being_written`): what it holds so far, not a session cut short."""
    clock_mono_ns: int | None = None
    """The latest ``m`` of the file's :data:`CLOCK_KIND` records (the session was still
    running then), None when it has none (every recording written before them)."""
    silences: tuple[tuple[int, int], ...] = ()
    """Stretches ``(from_mono_ns, to_mono_ns)`` longer than :data:`SILENCE_NS` in which the
    file holds no record at all, in time order: the session recorded nothing there."""
    damage: tuple[Damage, ...] = ()
    """Damage the records do not show themselves (:class:`Damage`): the file is read as it is,
    and every command that shows numbers from it says what was found."""
    checksums: int = 0
    """How many of the writer's checksums (:data:`CHECKSUM_KEY`) the file holds: 0 for one
    written before them, whose bytes nothing can vouch for."""

    @property
    def reached_mono_ns(self) -> int:
        """Host monotonic ns the session is known to have reached: its close; cut short
        (killed), the latest of its last item and its last clock record; the start at least."""
        if self.end_mono_ns is not None:
            return self.end_mono_ns
        reached = self.header.start_mono_ns
        if self.items:
            reached = max(reached, self.items[-1].t_mono_ns)
        if self.clock_mono_ns is not None:
            reached = max(reached, self.clock_mono_ns)
        return reached

    @property
    def duration_s(self) -> float:
        """Seconds from the start to the close (or, if cut short, to :attr:`reached_mono_ns`)."""
        return max(0.0, (self.reached_mono_ns - self.header.start_mono_ns) / 1e9)

    @property
    def ended(self) -> str:
        """How the session ended: the closing summary's ``ended``; ``"imported"`` for an
        import, whose closing line names the file it came from instead;
        :data:`STILL_RECORDING` for a recording a running session still writes
        (:attr:`still_recording`); ``"recording cut short"`` for a recording closed without
        saying (killed, or cut short), an import's too: ``import`` closes every file it writes.

        One answer for replay, the report and the history, which had each called a complete
        import "recording cut short" and worked around it in their own way. A copy of an
        import cut short was "imported", and ``report DIR`` gave its 6 of 60 minutes a row
        like a whole session's, with no note."""
        summary = self.summary or {}
        ended = summary.get("ended")
        if ended:
            return ended
        if self.summary is not None and (
            summary.get("imported") or self.header.source.kind == "import"
        ):
            return "imported"
        if self.still_recording:
            return STILL_RECORDING
        return CUT_SHORT

    @property
    def packets(self) -> list[RawPacket]:
        """Only the raw packets, in order (all made at once: :meth:`packets_of` makes those
        of one stream as they are read)."""
        return [item for item in self.items if isinstance(item, RawPacket)]

    def packets_of(self, stream: str) -> Iterator[RawPacket]:
        """The raw packets of ``stream``, in order, each made as it is read."""
        if isinstance(self.items, RecordedItems):
            return self.items.packets_of(stream)
        return (i for i in self.items if isinstance(i, RawPacket) and i.stream == stream)

    def gaps(self) -> list[tuple[str, int, int | None]]:
        """Connection gaps as ``(device, lost_mono_ns, restored_mono_ns or None)``."""
        open_gaps: dict[str, int] = {}
        gaps: list[tuple[str, int, int | None]] = []
        items = self.items
        for item in items.non_packets() if isinstance(items, RecordedItems) else items:
            if isinstance(item, LinkEvent):
                if item.state is LinkState.LOST:
                    open_gaps.setdefault(item.device, item.t_mono_ns)
                elif item.device in open_gaps:
                    gaps.append((item.device, open_gaps.pop(item.device), item.t_mono_ns))
        gaps.extend((device, start, None) for device, start in open_gaps.items())
        return sorted(gaps, key=lambda gap: gap[1])


def _check_stream_id(stream: str) -> str:
    # Stream ids are written unescaped into JSON on the hot path, so keep them to a safe alphabet.
    if not stream or not all(c.isascii() and (c.isalnum() or c == "_") for c in stream):
        raise ValueError(f"invalid stream id {stream!r}: use letters, digits and '_'")
    return stream


class RecordingWriter:
    """Append a session to a new file, flushed at least every ``flush_interval_s`` seconds.

    Parameters
    ----------
    path : Path
        The file to create; it must not exist (sessions never overwrite one another).
    header : Header
        Written as the first line, flushed at once.
    flush_interval_s : float
        Upper bound on how much a killed session can lose (checked on every write; the session
        loop also calls :meth:`flush_if_due` on a timer for quiet periods).
    clock : callable
        Monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        path: Path,
        header: Header,
        *,
        flush_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except FileExistsError:
            raise  # never replaced; create() then takes the next free name
        except OSError as exc:
            raise RecordingWriteError(path, "cannot create the recording", exc) from None
        # Held until the file is closed or the process ends: readers see that the session is
        # still running (being_written).
        with contextlib.suppress(OSError, ImportError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file: IO[str] = os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 16)
        first = json.dumps(header.to_json(), separators=(",", ":")) + "\n"
        self._crc = zlib.crc32(_summed_header(header.to_json()))
        """The running CRC-32 of every byte written so far (:data:`CHECKSUM_KEY`) but
        :attr:`_unsummed`'s."""
        self._unsummed: list[str] = []
        """Lines written and not yet summed: summed :data:`_SUM_LINES` at a time, joined (one
        call each was a quarter of the writer's time)."""
        try:
            self._file.write(first)
            self._file.flush()
        except OSError as exc:
            # Without its header line the file is no recording, only a name that blocks the
            # next attempt ("already exists"): remove it.
            with contextlib.suppress(OSError):
                self._file.close()
            with contextlib.suppress(OSError):
                path.unlink()
            raise RecordingWriteError(path, "cannot write the recording", exc) from None
        self._last_flush_s = clock()
        self._last_sync_s = self._last_flush_s
        self._dirty = False
        # The latest m written (the header's start first): keep_time measures quiet from it.
        self._last_m = header.start_mono_ns
        # The m of the last checksummed record (the start first): the next is due
        # CHECKPOINT_NS later.
        self._checkpoint_m = header.start_mono_ns
        self.closed = False
        self.failure: OSError | None = None
        self.displaced = ""
        """Set by :meth:`close` when :attr:`path` no longer names the file written (moved or
        removed while the session ran): what happened, in one line; ``""`` while it does."""

    @classmethod
    def create(cls, directory: Path, header: Header, *, stem: str | None = None) -> RecordingWriter:
        """Create a new recording in ``directory`` named after the session's start time."""
        from trainer.storage.paths import SESSION_FOLDER_ADVICE, ensure_private_dir

        ensure_private_dir(directory, advice=SESSION_FOLDER_ADVICE)
        if stem is None:
            stem = session_stem(header.start_wall_ns)
        counter = 1
        while True:
            # Two sessions started in the same second race for the name: O_EXCL decides.
            path = directory / (f"{stem}{SUFFIX}" if counter == 1 else f"{stem}-{counter}{SUFFIX}")
            try:
                return cls(path, header)
            except FileExistsError:
                counter += 1

    def _write_line(self, line: str) -> None:
        if self.closed:
            return
        try:
            self._file.write(line)
        except OSError as exc:
            self._fail(exc)
            return
        self._unsummed.append(line)
        if len(self._unsummed) >= _SUM_LINES:
            self._sum_written()
        self._dirty = True
        self.flush_if_due()

    def _sum_written(self) -> None:
        """Take :attr:`_unsummed` into the running checksum."""
        self._crc = zlib.crc32("".join(self._unsummed).encode("utf-8"), self._crc)
        self._unsummed.clear()

    def _checksummed(self, body: str) -> str:
        """The record ``body`` (its JSON object without the closing brace) closed with the
        running checksum of everything written before it and of ``body`` itself
        (:data:`CHECKSUM_KEY`), as a line. The checksum goes on from that value: what follows
        is checked on its own, so damage is named to the stretch between two checksums."""
        self._sum_written()
        self._crc = zlib.crc32(body.encode("utf-8"), self._crc)
        return f'{body}{_CHECKSUM_TAIL}{self._crc:08x}"}}\n'

    def _write_checksum(self, t_mono_ns: int, t_wall_ns: int) -> None:
        """Write a checksummed :data:`CLOCK_KIND` record at ``t_mono_ns``: the session was
        running then, and the file up to here is what the writer wrote."""
        if self.closed:
            return
        self._checkpoint_m = t_mono_ns
        line = self._checksummed(f'{{"k":"{CLOCK_KIND}","m":{t_mono_ns},"w":{t_wall_ns}')
        self._write_line(line)
        if not self.closed:
            # Its own digits are not summed: the reader's comparison checks them.
            self._unsummed.pop()

    def _fail(self, exc: OSError) -> None:
        """Stop writing after a failed write (disk full, storage gone): keep what is on disk.

        A recording is append-only, so what reached the file before stays readable; the line cut
        by the failure reads as the cut-off tail of a killed session. The caller sees
        :attr:`failure` and ends the session.
        """
        self.failure = exc
        self.closed = True
        with contextlib.suppress(OSError):
            self._file.close()

    @property
    def failure_message(self) -> str:
        """The failed write in one line, or ``""`` while writing works."""
        if self.failure is None:
            return ""
        reason = self.failure.strerror or str(self.failure)
        return f"{self.path}: cannot write the recording any more ({reason})"

    def write_packet(self, packet: RawPacket) -> None:
        """Append one raw packet (hot path: formatted by hand, no json.dumps)."""
        stream = _check_stream_id(packet.stream)
        if packet.t_mono_ns > self._last_m:
            self._last_m = packet.t_mono_ns
        self._write_line(
            f'{{"k":"p","m":{packet.t_mono_ns},"w":{packet.t_wall_ns},'
            f'"s":"{stream}","d":"{packet.payload.hex()}"}}\n'
        )
        if packet.t_mono_ns - self._checkpoint_m >= CHECKPOINT_NS:
            self._write_checksum(packet.t_mono_ns, packet.t_wall_ns)

    def write_item(self, item: Item) -> None:
        """Append any session item."""
        if isinstance(item, RawPacket):
            self.write_packet(item)
            return
        record: dict[str, Any]
        if isinstance(item, PacerChange):
            record = {"k": "pacer", "m": item.t_mono_ns, "w": item.t_wall_ns, "action": item.action}
            if item.pattern is not None:
                record["pattern"] = item.pattern
            if item.target_ratio is not None:
                record["target_ratio"] = item.target_ratio
            if item.label:
                record["label"] = item.label
        elif isinstance(item, LinkEvent):
            record = {
                "k": "link",
                "m": item.t_mono_ns,
                "w": item.t_wall_ns,
                "device": item.device,
                "state": item.state.value,
                "reason": item.reason,
            }
        else:
            record = {"k": "mark", "m": item.t_mono_ns, "w": item.t_wall_ns, "label": item.label}
        self._last_m = max(self._last_m, item.t_mono_ns)
        self._write_line(json.dumps(record, separators=(",", ":")) + "\n")
        if item.t_mono_ns - self._checkpoint_m >= CHECKPOINT_NS:
            self._write_checksum(item.t_mono_ns, item.t_wall_ns)

    def keep_time(self, t_mono_ns: int, t_wall_ns: int) -> None:
        """Write a :data:`CLOCK_KIND` record ("still running at ``t_mono_ns``") when nothing
        was written for :data:`CLOCK_RECORD_NS`: the session loop calls it on its timer, so a
        session killed while no sensor speaks still leaves how long it ran."""
        if t_mono_ns - self._last_m < CLOCK_RECORD_NS:
            return
        self._last_m = t_mono_ns
        self._write_checksum(t_mono_ns, t_wall_ns)

    def flush_if_due(self) -> None:
        """Flush when the last flush is older than the interval and something is buffered."""
        if self._dirty and self._clock() - self._last_flush_s >= self._flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Hand buffered lines to the OS now (survives a killed process), and to the disk when
        the last ``fsync`` is :data:`SYNC_INTERVAL_S` old (a power cut then loses at most
        that much)."""
        if not self.closed:
            now_s = self._clock()
            try:
                self._file.flush()
                if now_s - self._last_sync_s >= SYNC_INTERVAL_S:
                    os.fsync(self._file.fileno())
                    self._last_sync_s = now_s
            except OSError as exc:
                self._fail(exc)
                return
            self._last_flush_s = now_s
            self._dirty = False

    def close(self, summary: SessionSummary | None, *, t_mono_ns: int, t_wall_ns: int) -> None:
        """Write the closing summary, fsync and close. Idempotent."""
        if self.closed:
            return
        record = {"k": "end", "m": t_mono_ns, "w": t_wall_ns, "summary": summary or {}}
        # The checksum covers the summary too: the numbers replay compares its own with.
        line = self._checksummed(json.dumps(record, separators=(",", ":"))[:-1])
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self._fail(exc)
            return
        self.displaced = self._displacement()
        self._file.close()
        self.closed = True

    def _displacement(self) -> str:
        """What became of the file if :attr:`path` no longer names it, else ``""``.

        Writes go to the open file, not to its name: a recording moved while the session ran
        is complete where it went, and the path names nothing or another file. A file with no
        name left (``st_nlink == 0``) was removed from its folder: deleted, or moved to another
        file system, which copies the file and then unlinks it, so the copy holds the session
        up to the move (without this, "nothing of this session was kept" was untrue then).
        Either way "saved" to the path would be untrue.
        """
        try:
            written = os.fstat(self._file.fileno())
        except OSError:
            return ""  # cannot tell: the write and fsync just succeeded, so say nothing
        if written.st_nlink == 0:
            return (
                f"{self.path}: the recording was removed from its folder while the session ran; "
                "a copy made before then (a move to another disk), if any, holds the session up "
                "to that moment"
            )
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            named = None
        except OSError:
            return ""
        if named is not None and (named.st_dev, named.st_ino) == (written.st_dev, written.st_ino):
            return ""
        return (
            f"{self.path}: the recording was moved while the session ran; it is whole where it "
            "went: add it with 'breathwise history --add' and its new path"
        )


MAX_CLOCK_NS = 2**63 - 1
"""Largest clock reading a recording may hold: a signed 64-bit integer (the history's SQLite
column; as a wall clock, the year 2262)."""
MIN_BELT_PERIOD_US = 100
"""Shortest belt sample period read (10 kHz), far beyond any respiration belt."""
MAX_BELT_PERIOD_US = 10_000_000
"""Longest belt sample period read (one sample per 10 s): slower cannot show a breath."""
EARLY_ITEM_NS = 60 * 1_000_000_000
"""How long before session time 0 a record may be stamped (ns). A live session stamps a
packet that arrived between the connect and the start a few milliseconds early; a minute is
far beyond that, and far below what one flipped bit of a clock moves it by."""
LATE_ITEM_NS = 60 * 1_000_000_000
"""How long after the closing record's clock another record may be stamped (ns): the close
takes the planned end, and a packet that arrived while the session stopped is still written."""
CLOCK_JUMP_NS = 60 * 1_000_000_000
"""How far a record's monotonic clock may run ahead of the record before it, and ahead of
what its wall clock ran (ns; :func:`_clock_jump`). A minute: a flipped bit of a clock above
its 36th moves it further, and only a session that wrote nothing for a minute while the wall
clock was stepped back comes near it."""
CLOSING_SLACK_S = 1.0
"""How far, s, the closing record's ``m`` may lie from the session length its summary gives
(:func:`_check_closing_clock`): the two are written together, the length rounded to a
millisecond by earlier versions."""
SILENCE_NS = 60 * 1_000_000_000
"""A stretch longer than this (ns) without any record is a silence (:attr:`Recording.silences`):
a live session writes a record at least every 1.25 s (a ``clock`` record in quiet), so only a
stopped process (Ctrl-Z, a debugger), a file edited by hand, or an older recording without
``clock`` records and without a sensor has one. The analysis samples nothing in it, so its
cost follows the records, not the span (without this, one packet moved 30 days after the
rest made ``report`` run 4 minutes and fail with MemoryError)."""
MAX_SESSION_NS = 31 * 24 * 3600 * 1_000_000_000
"""Longest session read (31 days, ns): an import of a long RR list stays far inside it, and a
clock beyond it is damage even in a recording cut short before its closing record."""


class _Damage(ValueError):
    """A value no Breathwise session writes, said in words that name it (a message shows them
    without the exception's name)."""


_FIELDS = {
    "k": "the record's kind",
    "m": "the host's monotonic clock in ns",
    "w": "the host's wall clock in ns",
    "s": "the packet's stream id",
    "d": "the packet's bytes in hex",
    "action": "what the pacer did",
    "device": "the device whose link changed",
    "state": "lost or restored",
    "start_mono_ns": "the host's monotonic clock at the start in ns",
    "start_wall_ns": "the host's wall clock at the start in ns",
    "source": "what measured the session, and the parameters that decode its packets",
    "kind": "what measured the session: ble, import, sample, sim or none",
    "streams": "each stream's decoding parameters",
}
"""What each field a reader cannot do without holds, for the message naming a missing one."""


def _field(obj: dict[str, Any], key: str) -> Any:
    """``obj[key]``, else _Damage naming the field and saying what it holds."""
    try:
        return obj[key]
    except KeyError:
        raise _Damage(f"missing field {key!r}: {_FIELDS[key]}") from None


def _string_field(obj: dict[str, Any], key: str) -> str:
    """``obj[key]`` when it is a string, else _Damage naming the field and what it holds."""
    value = _field(obj, key)
    if not isinstance(value, str):
        raise _Damage(f"field {key!r} ({_FIELDS[key]}) must be a string, got {value!r}")
    return value


def _clock_ns(name: str, value: object) -> int:
    """A host clock reading in ns: an integer in 0..:data:`MAX_CLOCK_NS` (else ValueError)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Damage(f"{name} must be an integer of nanoseconds, got {value!r}")
    if not 0 <= value <= MAX_CLOCK_NS:
        raise _Damage(f"{name} {value} is out of range")
    return value


def _number(name: str, value: object, low: float, high: float) -> float:
    """``value`` as a float in ``low..high``, else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Damage(f"{name} must be a number, got {value!r}")
    number = float(value)
    # A bound reached through float arithmetic (a ratio of 0.2 recomputed from the phases as
    # 0.19999999999999993) is the bound: refused, the session the app ran was unreadable.
    slack = 1e-9 * max(abs(low), abs(high), 1.0)
    if not low - slack <= number <= high + slack:  # also refuses NaN
        raise _Damage(f"{name} must be {low:g}-{high:g}, got {value!r}")
    return min(max(number, low), high)


def _text(name: str, value: object) -> str:
    """``value`` if it is a string, else ValueError naming ``name`` (``str()`` would turn a
    damaged ``null`` into the label ``"None"``)."""
    if not isinstance(value, str):
        raise _Damage(f"{name} must be a string, got {value!r}")
    return value


def _object(name: str, value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ValueError naming ``name``."""
    if not isinstance(value, dict):
        raise _Damage(f"{name} is not an object, got {value!r}")
    return value


def _count(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Damage(f"{name} must be an integer {low}-{high}, got {value!r}")
    return value


def _check_streams(streams: dict[str, Any]) -> dict[str, Any]:
    """The per-stream decoding parameters, refused (ValueError) if no Breathwise session wrote
    them: the decoders divide by these and size arrays with them."""
    for stream, params in streams.items():
        if not isinstance(params, dict):
            raise ValueError(f"parameters of stream {stream!r} are not an object")
    gdx = streams.get(Stream.GODIRECT.value)
    if gdx is not None:
        # Belt packets carry no time of their own: without the period a replay would guess.
        if "period_us" not in gdx:
            raise ValueError("gdx stream without period_us, the belt's sample period")
        _number("gdx period_us", gdx["period_us"], MIN_BELT_PERIOD_US, MAX_BELT_PERIOD_US)
        if "force_channel" in gdx:
            _count("gdx force_channel", gdx["force_channel"], 0, 255)
    pmd = streams.get(Stream.PMD_DATA.value, {})
    for kind in ("ecg", "acc"):
        params = pmd.get(kind)
        if params is None:
            continue
        if not isinstance(params, dict):
            raise ValueError(f"pmd {kind} parameters are not an object")
        # Frames carry their sensor's times, not its rate: without it a replay would guess
        # (without this, a 50 Hz ACC stream read at an assumed 200 Hz).
        if "fs_hz" not in params:
            raise ValueError(f"pmd {kind} stream without fs_hz, its sampling rate")
        _number(f"pmd {kind} fs_hz", params["fs_hz"], 1.0, 100_000.0)
        if "resolution_bits" in params:
            _count(f"pmd {kind} resolution_bits", params["resolution_bits"], 1, 64)
        if "factor" in params:
            _number(f"pmd {kind} factor", params["factor"], 1e-12, 1e12)
    return streams


def _source_from_json(obj: Any) -> SourceInfo:
    """The header's ``source``. Its ``kind`` and ``streams`` are required (every Breathwise
    since format 1 began writes them): without the streams' parameters a belt's packets would
    be dropped without a word, and without the kind a simulated session would count as real."""
    if not isinstance(obj, dict):
        raise ValueError("header 'source' is not an object")
    return SourceInfo(
        kind=_text("source kind", _field(obj, "kind")),
        name=_text("source name", obj.get("name", "")),
        address=_text("source address", obj.get("address", "")),
        streams=_check_streams(dict(_object("source streams", _field(obj, "streams")))),
        details=dict(_object("source details", obj.get("details", {}))),
    )


def _positive_minutes(value: object) -> float | None:
    """``settings["minutes"]`` as a float when it is a positive finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < math.inf else None  # NaN fails too


def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The header settings the replay and the analysis use, refused (ValueError) when no
    Breathwise session wrote them (``minutes`` sizes the replay's progress bar; ``program``
    names the session in the history; ``program_plan`` lays out the program a replay shows).
    Other keys are informative and kept as they are."""
    minutes = settings.get("minutes")
    if minutes is not None and _positive_minutes(minutes) is None:
        raise ValueError(f"settings minutes must be a positive number, got {minutes!r}")
    rate = settings.get("rate_bpm")
    if rate is not None:
        _number("settings rate_bpm", rate, FORMAT1_MIN_RATE_BPM, FORMAT1_MAX_RATE_BPM)
    ratio = settings.get("ratio")
    if ratio is not None:
        _number("settings ratio", ratio, FORMAT1_MIN_RATIO, FORMAT1_MAX_RATIO)
    if "program" in settings:
        _text("settings program", settings["program"])
    # Imported here: the codec imports this module for RecordingError.
    from trainer.storage.program_codec import PLAN_KEY, parse_plan

    if PLAN_KEY in settings:
        try:
            parse_plan(settings[PLAN_KEY])
        except (KeyError, TypeError, ValueError) as exc:
            # Read here, the damage names the file and line; in the pipeline it named neither.
            raise ValueError(f"settings {PLAN_KEY} cannot be read ({exc})") from None
    return settings


_SIGNATURE = re.compile(r'\ufeff?\{\s*"format"\s*:\s*"' + FORMAT_NAME + '"')
"""How every recording begins (an editor may have added a byte-order mark)."""


def _empty_recording(path: Path) -> RecordingError:
    """The error for a recording with nothing in it: an empty file, or an empty pipe, whose
    cause is most often the command before it failing (without this, ``replay /dev/stdin``
    of an empty pipe said "empty file", as ``hrv`` had)."""
    # Imported here: text_files imports this module.
    from trainer.storage.text_files import empty_words, is_stream

    if is_stream(path):
        return RecordingError(f"{path}: {empty_words(path)} (no Breathwise recording came)")
    return RecordingError(f"{path}: empty file, not a Breathwise recording")


def looks_like_recording(head: bytes | str) -> bool:
    """Whether the first bytes of a file are a Breathwise recording's: its header line begins
    with the format name, so a file cut inside that line is still recognised."""
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    return _SIGNATURE.match(text) is not None


_HEADER_START = '{"format":"' + FORMAT_NAME + '"'
"""How the writer begins every recording (:class:`RecordingWriter`)."""


def _begins_signature(head: bytes | str) -> bool:
    """Whether ``head``, all a file holds, is the start of how a recording begins, cut before
    the format's name ends (``{"format":"breathwise-recordin``): what a copy stopped within
    its first 31 bytes leaves. It was "not a Breathwise recording", from 32 bytes on "header
    cut short". Three characters at least (``{"f``): ``{`` alone begins any
    JSON."""
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = text.removeprefix("\ufeff")
    return len(text) >= 3 and _HEADER_START.startswith(text)


def _parse_header(line: str | Unreadable, path: Path, complete: bool) -> Header:
    try:
        if isinstance(line, Unreadable):
            raise _Damage(line.reason)
        obj = json_loads(line)
    except (json.JSONDecodeError, _Damage) as exc:
        head = line.head if isinstance(line, Unreadable) else line
        if looks_like_recording(head) or (not complete and _begins_signature(head)):
            # Ours, but the header line itself is broken: say which way.
            if not complete:
                raise RecordingError(
                    f"{path}: recording header cut short (the file ends inside line 1)",
                    "a copy cut short, or a session killed as it began: nothing of the session "
                    "is in it",
                ) from None
            detail = str(exc) if isinstance(exc, _Damage) else f"JSONDecodeError: {exc}"
            raise RecordingError(
                f"{path}: recording header is damaged at line 1 ({detail})"
            ) from None
        obj = None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        raise RecordingError(
            f"{path}: not a Breathwise recording",
            "expected a .bwr file written by 'breathwise live'",
        )
    version = obj.get("version")
    # Version 1 is the first; a bool is an int to Python but no writer's version.
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RecordingError(f"{path}: recording header has no valid format version")
    if version > FORMAT_VERSION:
        raise RecordingError(
            f"{path}: recording format v{version} is newer than this Breathwise reads "
            f"(v{FORMAT_VERSION})",
            "upgrade Breathwise",
        )
    try:
        return Header(
            start_mono_ns=_clock_ns("start_mono_ns", _field(obj, "start_mono_ns")),
            start_wall_ns=_clock_ns("start_wall_ns", _field(obj, "start_wall_ns")),
            source=_source_from_json(_field(obj, "source")),
            settings=_check_settings(dict(_object("settings", obj.get("settings", {})))),
            software=_text("software", obj.get("software", "")),
            version=version,
            analysis_revision=_analysis_revision(obj.get(ANALYSIS_KEY)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordingError(f"{path}: recording header is damaged at line 1 ({exc})") from None


def _analysis_revision(value: object) -> int | None:
    """The header's ``analysis_revision``: None when absent (a file written before it
    existed); ValueError when it is not an integer 1-:data:`MAX_ANALYSIS_REVISION`."""
    if value is None:
        return None
    return _count(ANALYSIS_KEY, value, 1, MAX_ANALYSIS_REVISION)


def _parse_item(obj: dict[str, Any], *, imported: bool = False) -> Item | tuple[str, Any] | None:
    """A record line's item; ``("end", (m, w, summary))`` for the closing record,
    ``("clock", (m, w))`` for a clock record; None for a kind this version does not know.

    ``imported``: the line is of an import (the header's ``source.kind`` is ``import``), whose
    own-rhythm record asks no ratio (:func:`_asked_ratio`).
    """
    kind = _string_field(obj, "k")
    m = _clock_ns("m", _field(obj, "m"))
    w = _clock_ns("w", _field(obj, "w"))
    if kind == "p":
        stream = _string_field(obj, "s")
        payload = _string_field(obj, "d")
        try:
            data = bytes.fromhex(payload)
        except ValueError:
            raise _Damage(f"field 'd' ({_FIELDS['d']}) is not hex: {payload[:40]!r}") from None
        return RawPacket(m, w, stream, data)
    if kind == "pacer":
        pattern = obj.get("pattern")
        if pattern is not None:
            # Checked here so a damaged pattern names its line instead of failing the replay.
            BreathPattern.from_dict(pattern)
        ratio = obj.get("target_ratio")
        action = _text("pacer action", _field(obj, "action"))
        return PacerChange(
            m,
            w,
            action,
            {str(k): float(v) for k, v in pattern.items()} if pattern is not None else None,
            _asked_ratio(
                _number("target_ratio", ratio, FORMAT1_MIN_RATIO, FORMAT1_MAX_RATIO)
                if ratio is not None
                else None,
                action,
                imported=imported,
            ),
            _text("pacer label", obj.get("label", "")),
        )
    if kind == "link":
        return LinkEvent(
            m,
            w,
            _text("link device", _field(obj, "device")),
            _link_state(_field(obj, "state")),
            _text("link reason", obj.get("reason", "")),
        )
    if kind == "mark":
        return Mark(m, w, _text("mark label", obj.get("label", "")))
    if kind == CLOCK_KIND:
        return (CLOCK_KIND, (m, w))
    if kind == "end":
        # The writer always writes an object (``{}`` when it has nothing to say); the replay,
        # the report and the history read "ended" from it. Every key we write is checked for
        # its type, so a damaged value is named here, with its line, not misread later.
        return ("end", (m, w, checked_summary(_object("end summary", obj.get("summary", {})))))
    return None  # a kind from a newer minor revision: skip it, keep reading


def _asked_ratio(ratio: float | None, action: str, *, imported: bool) -> float | None:
    """The exhale:inhale ratio a pacer record's ``target_ratio`` asked of the person (no unit):
    ``ratio`` as recorded, but None for an import's own-rhythm record.

    Nobody paced an imported session, but the importers before 2026-12-06 (eef770e) wrote its
    one ``own`` record with ``"target_ratio": 1.5``, which today's write without. Read as it
    stands, the same CSV gave two sessions: the old import's own rhythm scored against 1.5 (its
    report "Out-breath, own rhythm 87/100 ... target 1.50", its history row follow 87), the new
    one's unscored ("—", review 39 F4). Dropped here, where the reader makes the record a
    :class:`PacerChange`, so replay, report, export and ``history --add`` all see the import
    as today's importer writes it. A live or simulated session's own-rhythm step keeps its
    ratio (a program's relaxation response or body scan asks 1.3): its source kind is never
    ``import``.
    """
    if imported and action == "own":
        return None
    return ratio


def _link_state(value: object) -> LinkState:
    """A link record's ``state``, else _Damage saying which values it may take."""
    for state in LinkState:
        if value == state.value:
            return state
    states = " or ".join(repr(state.value) for state in LinkState)
    raise _Damage(f"field 'state' must be {states}, got {value!r}")


_PACKET_LINE = re.compile(
    r'\{"k":"p","m":(0|[1-9][0-9]*),"w":(0|[1-9][0-9]*),"s":"([^"\\]*)","d":"([0-9a-fA-F]*)"\}'
)
"""A packet line exactly as :meth:`RecordingWriter.write_packet` formats it: JSON integers of
plain ASCII digits (``int()`` would also take "-5", " 7", "1_000" and "012", which JSON does
not), a stream name without quotes or escapes, the payload as hex digits only
(``bytes.fromhex`` would also skip spaces)."""


def _parse_packet_line(line: str) -> RawPacket | None:
    """Parse a packet line exactly as :meth:`RecordingWriter.write_packet` formats it, or None.

    Packet lines are nearly every line of a recording; one compiled pattern is several times
    faster than ``json.loads``. Anything not in exactly the writer's shape falls back to JSON.
    """
    match = _PACKET_LINE.fullmatch(line)
    if match is None:
        return None
    m, w, stream, payload = match.groups()
    t_mono_ns, t_wall_ns = int(m), int(w)
    if t_mono_ns > MAX_CLOCK_NS or t_wall_ns > MAX_CLOCK_NS or len(payload) % 2:
        return None
    return _packet(t_mono_ns, t_wall_ns, stream, bytes.fromhex(payload))


_HEAD_BYTES = 64 * 1024
"""How much of a file is looked at before the rest is read: enough to tell a recording from
another file, however large that file is."""
_BLOCK_BYTES = 1 << 20
"""How much of a file is read (and decoded) at a time; at least :data:`_HEAD_BYTES`."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""Longest line held (bytes): far beyond any header or record a session writes (kilobytes), so
that a file of no lines (a disk image, a zero-filled tail) is never held in memory whole."""
_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A line :func:`iter_lines` could not turn into text: why, and its first bytes (enough to
    tell a recording's damaged header from another file's)."""

    reason: str
    head: bytes


def _decode(raw: bytes) -> str | Unreadable:
    """One line's bytes as text, or why they are not UTF-8 (naming the first bad byte)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
            raw[:_HEAD_BYTES],
        )


def _open_recording(path: Path) -> io.BufferedReader:
    """``path`` opened for reading: a file, or a pipe (``replay <(zcat x.bwr.gz)``).

    A device is refused: /dev/zero was read forever, at full CPU, to tell whether it held only
    zero bytes, as ``hrv`` and ``breaths`` refuse it (``a device, not a file``).
    """
    try:
        # A buffer as large as the head, so that peeking at the head reads no more than it.
        raw = io.FileIO(path, "r")
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RecordingError(f"{path}: is a directory, not a recording") from None
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read ({exc.strerror})") from None
    if not _readable_kind(raw.fileno()):
        raw.close()
        raise RecordingError(
            f"{path}: a device, not a Breathwise recording",
            "expected a .bwr file written by 'breathwise live'",
        )
    return io.BufferedReader(raw, buffer_size=_HEAD_BYTES)


def _readable_kind(fd: int) -> bool:
    """Whether the open ``fd`` is a regular file or a pipe, the two a recording is read from."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISREG(mode) or stat.S_ISFIFO(mode)


def _rest_is(file: io.BufferedReader, allowed: bytes) -> bool:
    """Whether the rest of ``file`` holds only the bytes in ``allowed`` (zero bytes, or blanks),
    read a block at a time: constant memory, however large the file.

    A file is read to its end; a pipe only as far as :data:`MAX_LINE_BYTES`, past which it is
    taken as holding more (False): an endless pipe of blank lines was read forever (found in
    review), and no recording begins with that many blanks.
    """
    left = math.inf if stat.S_ISREG(os.fstat(file.fileno()).st_mode) else MAX_LINE_BYTES
    zeros = bytes(_BLOCK_BYTES) if allowed == b"\0" else b""
    while left > 0 and (block := file.read(_BLOCK_BYTES)):
        left -= len(block)
        # Zeros compared whole with a block of zeros: 400 MB in 0.2 s (counting them, 0.9 s).
        other = block != zeros[: len(block)] if zeros else bool(block.strip(allowed))
        if other:
            return False
    return left > 0


def _refuse_foreign(path: Path, file: io.BufferedReader, head: bytes) -> None:
    """RecordingError unless ``head``, the first bytes of ``file``, may begin a recording.

    Decided from the first bytes alone, so that a large file of something else is refused at
    once (a 400 MB file of zeros was read whole, 945 MB at the peak, to be refused); only a file
    whose head is blank or zeros is read on, a block at a time, to say what it is.
    """
    foreign = "expected a .bwr file written by 'breathwise live'"
    if not head.strip(_BLANK):
        if _rest_is(file, _BLANK):
            raise _empty_recording(path)
        raise RecordingError(f"{path}: not a Breathwise recording (it begins blank)", foreign)
    if not head.strip(b"\0"):
        if _rest_is(file, b"\0"):
            raise RecordingError(
                f"{path}: all zero bytes, not a Breathwise recording",
                "a power cut or a failed copy? Nothing of a session is left in this file",
            )
        raise RecordingError(f"{path}: not a Breathwise recording (binary data)", foreign)
    if looks_like_recording(head) or head.removeprefix(_BOM).lstrip(_BLANK).startswith(b"{"):
        return  # a JSON object: its first line decides (another program's JSON is refused there)
    try:
        # Not final: the head may end inside a character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        binary = b"\0" in head
    except UnicodeDecodeError:
        binary = True
    raise RecordingError(
        f"{path}: not a Breathwise recording" + (" (binary data)" if binary else ""), foreign
    )


def iter_lines(path: Path) -> Generator[tuple[int, str | Unreadable, bool]]:
    """Yield ``(line_number, text, ends_with_newline)`` of a recording, read a block at a time.

    The first bytes are checked first: RecordingError for a file that is missing, empty, all
    zero bytes, binary or other text, before the rest is read. Each line is decoded on its own,
    so bytes that are not UTF-8 damage only their line: it comes as :class:`Unreadable`, for the
    caller to name its number (or to take it as the cut-off tail of a killed session), as does
    a line that grows past :data:`MAX_LINE_BYTES` (not held: skipped to its end). A byte-order
    mark an editor added before the first line is dropped.
    """
    overlong = f"a line of over {MAX_LINE_BYTES >> 20} MiB, longer than any a session writes"
    number = 0
    parts: list[bytes] = []  # the line being read, from the blocks before
    size = 0
    skipped: bytes | None = None  # the first bytes of an overlong line being skipped
    with _open_recording(path) as file:
        try:
            _refuse_foreign(path, file, file.peek(_HEAD_BYTES)[:_HEAD_BYTES])
            while chunk := file.read(_BLOCK_BYTES):
                end = chunk.rfind(b"\n")
                if end < 0:
                    if skipped is None:
                        parts.append(chunk)
                        size += len(chunk)
                        if size > MAX_LINE_BYTES:
                            # Two parts hold the head: all but the first are whole blocks.
                            skipped = b"".join(parts[:2])[:_HEAD_BYTES]
                            parts, size = [], 0
                    continue
                block = chunk[: end + 1]
                if skipped is not None:
                    number += 1
                    yield number, Unreadable(overlong, skipped), True
                    block, skipped = block[block.index(b"\n") + 1 :], None
                elif parts:
                    block, parts, size = b"".join([*parts, block]), [], 0
                if number == 0:
                    block = block.removeprefix(_BOM)
                try:
                    # A block at once (a line at a time took half as long again).
                    lines: list[str] | list[str | Unreadable] = block.decode("utf-8").split("\n")
                except UnicodeDecodeError:
                    lines = [_decode(raw) for raw in block.split(b"\n")]
                for line in lines[:-1]:  # the last is the nothing after the final newline
                    number += 1
                    yield number, line, True
                if end + 1 < len(chunk):
                    parts, size = [chunk[end + 1 :]], len(chunk) - end - 1
        except OSError as exc:
            raise RecordingError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if skipped is not None:
        yield number + 1, Unreadable(overlong, skipped), False
    elif parts:
        tail = b"".join(parts)
        yield number + 1, _decode(tail.removeprefix(_BOM) if number == 0 else tail), False


def read_header(path: Path | str) -> Header:
    """A recording's header (line 1) alone, checked as :func:`read_recording` checks it.

    Raises
    ------
    RecordingError
        A file :func:`read_recording` refuses before its second line: missing, unreadable,
        empty, all zero bytes, foreign, too new, or a header damaged or cut short.
    """
    path = Path(path)
    lines = iter_lines(path)
    try:
        first = next(lines, None)
    finally:
        lines.close()  # closes the file now, not when the generator is collected
    if first is None:  # iter_lines refuses a file of no line before this
        raise _empty_recording(path)
    return _parse_header(first[1], path, first[2])


_SPAN_TAIL_BYTES = 64 * 1024
"""How much of a recording's end :func:`recorded_span_s` reads: a waveform packet line is
under 1 KiB, so the last complete line is always in it."""


def recorded_span_s(path: Path | str) -> float | None:
    """Seconds from a recording's start to the clock of its last complete line (its closing
    record, or the last item or clock record of one cut short), from its header and its last
    64 KiB alone.

    What decides, before reading it whole, whether its analysis is long enough to show a
    progress bar: hours of a recording take tens of seconds to analyse. None when the header
    or no line at the end can be read; :func:`read_recording` then says what is wrong.
    """
    if not Path(path).is_file():
        # A pipe (report <(zcat x.bwr.gz)) can be read once: by the analysis, not here. Read
        # here, the analysis found it empty and called it "empty file".
        return None
    try:
        header = read_header(path)
        with open(path, "rb") as file:
            size = file.seek(0, io.SEEK_END)
            file.seek(max(0, size - _SPAN_TAIL_BYTES))
            tail = file.read()
    except (RecordingError, OSError):
        return None
    # The first line of the tail may be cut at its start, the last one at its end (a killed
    # session): whichever parses, newest first.
    for line in reversed(tail.splitlines()):
        try:
            record = json_loads(line)
        except ValueError:
            continue
        clock = record.get("m") if isinstance(record, dict) else None
        if isinstance(clock, int) and not isinstance(clock, bool):
            return max(0.0, (clock - header.start_mono_ns) / 1e9)
    return None


def read_recording(path: Path | str) -> Recording:
    """Read a whole recording; a cut-off last line is tolerated, other damage is an error.

    A recording without a closing record that a running session still writes
    (:func:`being_written`) is read as far as it is written, with
    :attr:`Recording.still_recording` set. Damage that leaves every line a record (a stretch
    whose checksum fails, a packet count that differs from the closing record's) is read and
    listed in :attr:`Recording.damage`, not raised: docs/recording-format.md, "Checksums".

    Raises
    ------
    RecordingError
        Foreign, empty, binary, too new, or damaged before its last line; the message names the
        file and line.
    """
    path = Path(path)
    lines = iter_lines(path)
    first = next(lines, None)
    if first is None:  # iter_lines refuses a file of no line before this
        raise _empty_recording(path)
    header = _parse_header(first[1], path, first[2])
    # Belt packets carry no time of their own: without the header's period they cannot be read.
    belt_period_known = Stream.GODIRECT.value in header.source.streams
    imported = header.source.kind == "import"
    items = RecordedItems()
    summary: SessionSummary | None = None
    end_mono_ns: int | None = None
    clock_mono_ns: int | None = None
    truncated = not first[2]
    pending_error: str | None = None
    latest_ns, latest_line = header.start_mono_ns, 1
    # The last packet of each stream, (m, line): a stream's packets are written as they arrive,
    # so one before its predecessor is damage (a flipped digit), which the decoders would meet
    # as time running backwards.
    stream_last: dict[str, tuple[int, int]] = {}
    # The record before, its m, w and line (the header first), for _clock_jump.
    prev_mono_ns, prev_wall_ns, prev_line = header.start_mono_ns, header.start_wall_ns, 1
    first_jump: str | None = None
    silences: list[tuple[int, int]] = []
    checksums = _Checksums()
    if first[2] and isinstance(first[1], str):
        checksums.header(first[1])
    summing = checksums.pending
    # A packet of a stream neither this Breathwise knows nor the header lists is damage:
    # analysed, it was dropped as "unknown" without a word (a flipped bit made "gdx" "odx").
    # A stream it knows is analysed whether the header lists it or not (the
    # header holds decoding parameters, and the Polar control point's and a strap's need
    # none): no flipped bit turns one known id into another. A later version's new stream
    # is read when its header lists it.
    streams = {*header.source.streams, *(stream.value for stream in Stream)}
    end_line: int | None = None
    end_checksummed = False
    unknown_kinds: list[tuple[int, object]] = []
    packet_line = _PACKET_LINE.fullmatch
    append_packet = items.append_packet
    for number, line, complete in lines:
        if pending_error is not None:
            # A bad line followed by more lines is damage, not a cut-off tail.
            raise RecordingError(pending_error)
        if (
            complete
            and end_line is None
            and type(line) is str
            and (match := packet_line(line)) is not None
        ):
            # A complete packet line in the writer's own shape, nearly every line: the checks
            # below, in their order, on the line's fields, without the RawPacket the general
            # path makes (and RecordedItems would take apart again). Anything else the line
            # holds (a clock out of range, an odd number of hex digits, a stream the header
            # does not list) goes the general way, which says what it is.
            mono_text, wall_text, stream, hex_text = match.groups()
            t_ns, w_ns = int(mono_text), int(wall_text)
            if (
                t_ns <= MAX_CLOCK_NS
                and w_ns <= MAX_CLOCK_NS
                and not len(hex_text) % 2
                and stream in streams
            ):
                summing.append(line)
                if len(summing) >= _SUM_LINES:
                    checksums.sum_pending()
                try:
                    _check_session_clock(t_ns, header.start_mono_ns)
                    _check_stream_order(t_ns, stream, stream_last.get(stream))
                    if t_ns - prev_mono_ns > CLOCK_JUMP_NS and first_jump is None:
                        jump = _clock_jump(
                            t_ns, w_ns, prev_mono_ns, prev_wall_ns, prev_line, header
                        )
                        if jump is not None:
                            first_jump = f"{path}: damaged at line {number} ({jump})"
                except _Damage as exc:
                    pending_error = f"{path}: damaged at line {number} ({exc})"
                    continue
                if not belt_period_known and stream == Stream.GODIRECT.value:
                    raise RecordingError(_no_belt_period(path, number))
                stream_last[stream] = (t_ns, number)
                if not append_packet(t_ns, w_ns, stream, bytes.fromhex(hex_text)):
                    items.append(RawPacket(t_ns, w_ns, stream, bytes.fromhex(hex_text)))
                if t_ns > latest_ns:
                    if t_ns - latest_ns > SILENCE_NS:
                        silences.append((latest_ns, t_ns))
                    latest_ns, latest_line = t_ns, number
                prev_mono_ns, prev_wall_ns, prev_line = t_ns, w_ns, number
                continue
        try:
            if isinstance(line, Unreadable):
                raise _Damage(line.reason)
            if not line.strip():
                continue
            if end_line is not None and not complete:
                # A cut-off line after the close (an interrupted append): no session data.
                truncated = True
                continue
            parsed: Item | tuple[str, Any] | None = _parse_packet_line(line)
            checkpoint = False
            if parsed is not None and complete:
                # As the writer formats a packet (no carriage return, no checksum): summed as
                # it is, without the checks of _Checksums.line (nearly every line is one).
                summing.append(line)
                if len(summing) >= _SUM_LINES:
                    checksums.sum_pending()
            elif complete:
                checkpoint = checksums.line(number, line)
            if parsed is None:
                obj = json_loads(line)
                if not isinstance(obj, dict):
                    raise _Damage(f"not a JSON object but {type(obj).__name__}")
                if "k" not in obj and obj.get("format") == FORMAT_NAME:
                    raise _Damage("the header of another recording: two recordings joined?")
                parsed = _parse_item(obj, imported=imported)
                if parsed is None and len(unknown_kinds) < 3:
                    unknown_kinds.append((number, obj.get("k")))
            if end_line is not None:
                # A session writes its closing record last, once: what follows it was put there
                # (files joined, or one edited), and read, it was taken as part of the session.
                second = isinstance(parsed, tuple) and parsed[0] == "end"
                raise _Damage(
                    f"{'a second closing record' if second else 'a record'} after the closing "
                    f"record of line {end_line}, which a session writes last: two files "
                    "joined, or one edited?"
                )
            if isinstance(parsed, RawPacket) and parsed.stream not in streams:
                raise _Damage(
                    f"a packet of stream {parsed.stream!r}, which the header does not list "
                    f"({', '.join(sorted(header.source.streams)) or 'none'}): a damaged "
                    "stream id?"
                )
            if parsed is not None:
                if isinstance(parsed, tuple):
                    t_ns, w_ns = parsed[1][0], parsed[1][1]
                else:
                    t_ns, w_ns = parsed.t_mono_ns, parsed.t_wall_ns
                _check_session_clock(t_ns, header.start_mono_ns)
                if isinstance(parsed, RawPacket):
                    _check_stream_order(
                        parsed.t_mono_ns, parsed.stream, stream_last.get(parsed.stream)
                    )
                if isinstance(parsed, tuple) and parsed[0] == "end":
                    length_s = _summary_length_s(parsed[1][2])
                    if length_s is not None:
                        _check_closing_clock(t_ns, header.start_mono_ns, length_s)
                    elif t_ns - prev_mono_ns > CLOCK_JUMP_NS:
                        # A close without a length to check it by (an import's): its w.
                        jump = _clock_jump(
                            t_ns, w_ns, prev_mono_ns, prev_wall_ns, prev_line, header
                        )
                        if jump is not None:
                            raise _Damage(jump)
                # The first test alone on the hot path: records come milliseconds apart.
                elif t_ns - prev_mono_ns > CLOCK_JUMP_NS and first_jump is None:
                    jump = _clock_jump(t_ns, w_ns, prev_mono_ns, prev_wall_ns, prev_line, header)
                    if jump is not None and not complete:
                        raise _Damage(jump)  # a cut-off last line: a tail cut short
                    if jump is not None:
                        # Damage only if no closing record follows (see _clock_jump).
                        first_jump = f"{path}: damaged at line {number} ({jump})"
        except (ValueError, KeyError, TypeError) as exc:
            if not complete:
                truncated = True
                continue
            # Our own words need no exception name; a library's (JSONDecodeError) do.
            detail = str(exc) if isinstance(exc, _Damage) else f"{exc.__class__.__name__}: {exc}"
            pending_error = f"{path}: damaged at line {number} ({detail})"
            continue
        if parsed is None:
            continue
        if (
            not belt_period_known
            and isinstance(parsed, RawPacket)
            and parsed.stream == Stream.GODIRECT.value
        ):
            # Analysed, they would be dropped without a word (a header without its source).
            raise RecordingError(_no_belt_period(path, number))
        if isinstance(parsed, tuple) and parsed[0] == "end":
            end_mono_ns, _, summary = parsed[1]
            end_line, end_checksummed = number, checkpoint
            continue
        if isinstance(parsed, tuple):
            # A clock record: no item, only how far the session ran (checked as one).
            t_ns, w_ns = parsed[1]
            clock_mono_ns = t_ns if clock_mono_ns is None else max(clock_mono_ns, t_ns)
        else:
            t_ns, w_ns = parsed.t_mono_ns, parsed.t_wall_ns
            if isinstance(parsed, RawPacket):
                stream_last[parsed.stream] = (t_ns, number)
            items.append(parsed)
        if t_ns > latest_ns:
            if t_ns - latest_ns > SILENCE_NS:
                silences.append((latest_ns, t_ns))
            latest_ns, latest_line = t_ns, number
        prev_mono_ns, prev_wall_ns, prev_line = t_ns, w_ns, number
    if pending_error is not None:
        # The damaged line was the last complete line: a killed writer can leave a cut line
        # followed by a newline only if it crashed mid-write, which append-only writes rule out.
        raise RecordingError(pending_error)
    if end_mono_ns is None and first_jump is not None:
        raise RecordingError(first_jump)
    if end_mono_ns is not None and latest_ns > end_mono_ns + LATE_ITEM_NS:
        # One record far past the close: the analysis would stretch the session to it, and the
        # breath it cuts in two would be lost without a word.
        raise RecordingError(
            f"{path}: damaged at line {latest_line} (m {latest_ns} is "
            f"{_span_text(latest_ns - end_mono_ns)} after the closing record)"
        )
    if end_mono_ns is not None and end_mono_ns - latest_ns > SILENCE_NS:
        silences.append((latest_ns, end_mono_ns))
    damage = checksums.damage()
    if checksums.count and end_line is not None and not end_checksummed:
        # Every checksummed file closes with one: its key damaged leaves the summary unchecked.
        first_line = checksums.verified_line + 1
        damage.append(
            Damage(
                f"the closing record (line {end_line}) has lost its checksum, so "
                f"{_lines_text(first_line, end_line)} are unchecked",
                first_line,
                end_line,
            )
        )
    items.freeze()
    counted = _packet_count_damage(items, summary, unknown_kinds)
    if counted is not None:
        damage.append(counted)
    return Recording(
        path,
        header,
        items,
        summary,
        end_mono_ns,
        truncated or summary is None,
        still_recording=end_mono_ns is None and being_written(path),
        clock_mono_ns=clock_mono_ns,
        silences=tuple(silences),
        damage=tuple(damage),
        checksums=checksums.count,
    )


def _no_belt_period(path: Path, number: int) -> str:
    """The error of a belt packet at line ``number`` of a recording whose header gives no
    belt sample period."""
    return (
        f"{path}: recording header is damaged at line 1 (source streams has no "
        f"{Stream.GODIRECT.value!r} entry with the belt's sample period, yet line "
        f"{number} is a belt packet)"
    )


class _Checksums:
    """The reader's side of the writer's running checksum (:data:`CHECKSUM_KEY`): each
    complete line is given to :meth:`line` in order, and the stretches between checksums that
    do not match are :meth:`damage`.

    The writer goes on from the value it wrote, so each stretch is checked on its own: a
    mismatch names the lines from the last checksum to this one, and the next stretch is
    checked from the value written (had the checksum's own digits been damaged, the next
    stretch fails too: both are named, as one range). A trailing carriage return (a copy that
    turned the line ends into CRLF) and blank lines are not the writer's and are not summed,
    so that such a copy, whose records read the same, is not called damaged. Lines are summed
    :data:`_SUM_LINES` at a time, joined: one call each was a fifth of the reader's time.
    """

    __slots__ = ("_crc", "_damaged", "count", "pending", "verified_line")

    def __init__(self) -> None:
        self._crc = 0
        self._damaged: list[list[int]] = []
        self.pending: list[str] = []
        """Lines to sum, in order, each without its newline (:meth:`sum_pending`); a caller
        may append a line it knows to hold no checksum."""
        self.count = 0
        """Checksums met."""
        self.verified_line = 0
        """The line of the last checksum met (0: none yet)."""

    def header(self, text: str) -> None:
        """Sum line 1, ``text``, a header :func:`_parse_header` has read
        (:func:`_summed_header`)."""
        self._crc = zlib.crc32(_summed_header(json_loads(text)))

    def line(self, number: int, text: str) -> bool:
        """Sum one complete line's ``text`` (without its newline); whether it carries a
        checksum, which is then compared."""
        if text.endswith("\r"):
            text = text[:-1]
        tail = len(text) - _CHECKSUM_TAIL_CHARS
        if tail < 0 or not (text.endswith('"}') and text.startswith(_CHECKSUM_TAIL, tail)):
            self.pending.append(text)
            if len(self.pending) >= _SUM_LINES:
                self.sum_pending()
            return False
        self.sum_pending()
        computed = zlib.crc32(text[:tail].encode("utf-8"), self._crc)
        digits = text[-10:-2]
        written = int(digits, 16) if _HEX8.fullmatch(digits) else None
        self.count += 1
        if computed != written:
            first = self.verified_line + 1
            if self._damaged and self._damaged[-1][1] == first - 1:
                self._damaged[-1][1] = number
            else:
                self._damaged.append([first, number])
        self._crc = computed if written is None else written
        self.verified_line = number
        return True

    def sum_pending(self) -> None:
        """Sum :attr:`pending`, each line with its newline, and empty it (the same list)."""
        if self.pending:
            self.pending.append("")  # each line with its newline
            self._crc = zlib.crc32("\n".join(self.pending).encode("utf-8"), self._crc)
            self.pending.clear()

    def damage(self) -> list[Damage]:
        """The stretches whose checksum did not match, in file order."""
        return [
            Damage(
                f"{_lines_text(first, last)} do not match the checksum the session wrote",
                first,
                last,
            )
            for first, last in self._damaged
        ]


_SUM_LINES = 1024
"""Lines :class:`_Checksums` holds before it sums them (a waveform line is under 1 KiB)."""
_HEX8 = re.compile(r"[0-9a-f]{8}")


def _summed_header(header: dict[str, Any]) -> bytes:
    """What the checksum sums of line 1: the header's JSON with sorted keys and no spaces, as
    :func:`header_digest` takes it, so that a header an editor respaced or reordered (and
    saved with a byte-order mark) is no damage, while any value changed is. The writer's
    own line is compact, in its own key order."""
    return (json.dumps(header, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def _packet_count_damage(
    items: Sequence[Item],
    summary: SessionSummary | None,
    unknown_kinds: Sequence[tuple[int, object]],
) -> Damage | None:
    """:class:`Damage` when the packets of a stream are not as many as the closing summary's
    ``packets`` counts: a packet line lost, added or damaged into a record of another kind
    (``"k":"p"`` made ``"k":"q"``, skipped as a kind from a newer version, whose line
    ``unknown_kinds`` then names). None when they agree, or the summary has no count (an
    import's, a killed session's) or is of a session whose processing failed (``ended``
    ``error: ...``: the count stopped there, the recording did not)."""
    counted = (summary or {}).get("packets")
    if not isinstance(counted, dict) or str((summary or {}).get("ended", "")).startswith("error"):
        return None
    held = (
        items.stream_counts()
        if isinstance(items, RecordedItems)
        else Counter(item.stream for item in items if isinstance(item, RawPacket))
    )
    differ = sorted(s for s in set(held) | set(counted) if held.get(s, 0) != counted.get(s, 0))
    if not differ:
        return None
    what = ", ".join(
        f"{held.get(s, 0)} {s!r} packets where its closing record counts {counted.get(s, 0)}"
        for s in differ
    )
    if unknown_kinds:
        kinds = ", ".join(f"line {number} ({kind!r})" for number, kind in unknown_kinds)
        one = len(unknown_kinds) == 1
        what += (
            f"; {'a record' if one else 'records'} of a kind this Breathwise does not know at "
            f"{kinds}: {'a damaged packet' if one else 'damaged packets'}?"
        )
    return Damage(f"it holds {what}")


def _check_closing_clock(end_mono_ns: int, start_mono_ns: int, duration_s: float) -> None:
    """ValueError when the closing record's ``m`` disagrees with its own summary's
    ``duration_s`` (:func:`_summary_length_s`): both are written together from one clock,
    the session's length, so more than :data:`CLOSING_SLACK_S` between them is damage (a
    flipped digit of ``m``).

    The close is checked against its summary, not its wall clock ``w`` as a killed session's
    records are (:func:`_clock_jump`): a session with nothing to write for minutes (no
    sensor: a pacer and the close) across a step back of the wall clock closes with ``m``
    that far ahead of ``w``, and was refused whole as damaged.
    """
    length_s = (end_mono_ns - start_mono_ns) / 1e9
    if abs(length_s - duration_s) > CLOSING_SLACK_S:
        raise _Damage(
            f"m {end_mono_ns} closes the session {length_s:.0f} s after its start, while its "
            f"summary says it lasted {duration_s:.0f} s"
        )


def _summary_length_s(summary: Any) -> float | None:
    """A closing summary's ``duration_s``, s, or None when it has none (an import's)."""
    duration_s = summary.get("duration_s") if isinstance(summary, dict) else None
    if not isinstance(duration_s, (int, float)) or isinstance(duration_s, bool):
        return None
    return float(duration_s)


def _span_text(span_ns: int) -> str:
    """A clock difference for a message: seconds, or years when it is that far."""
    span_s = span_ns / 1e9
    return f"{span_s / 31_557_600:.0f} years" if span_s >= 31_557_600 else f"{span_s:.0f} s"


def _check_stream_order(t_mono_ns: int, stream: str, previous: tuple[int, int] | None) -> None:
    """ValueError when a packet of ``stream`` at ``t_mono_ns`` arrived before ``previous``
    (``(m, line)``), the last packet of its stream: a live session writes each stream's
    packets in the order they arrive."""
    if previous is not None and t_mono_ns < previous[0]:
        raise _Damage(
            f"m {t_mono_ns} is {_span_text(previous[0] - t_mono_ns)} before "
            f"that of line {previous[1]}, the previous {stream!r} packet"
        )


def _clock_jump(
    mono_ns: int, wall_ns: int, prev_mono_ns: int, prev_wall_ns: int, prev_line: int, header: Header
) -> str | None:
    """Why a record's clock ``m`` (``mono_ns``, beside its ``w``, ``wall_ns``) cannot be right
    after the record before it (its clocks and line; line 1 is the header's start clocks), or
    None when it can.

    Both clocks of a record are read at the same instant, so from one record to the next
    they advance together, but for what moves the wall clock ``w`` alone: a step of it (NTP,
    a person setting it), and a suspend, which stops the monotonic clock ``m`` and not ``w``
    (Linux ``CLOCK_MONOTONIC``). An ``m`` that runs more than :data:`CLOCK_JUMP_NS` ahead
    of the record before and more than that ahead of what ``w`` ran is damage: a flipped bit
    above the 36th (2^36 ns, 69 s) of one of the two ``m``. A suspend only makes ``w`` run
    further; a backward step of the wall clock passes unless no record was written for over
    a minute around it.

    Not every record's ``w`` is read from the wall clock: a program's steps carry the start's
    ``w`` plus their ``m`` offset (``trainer.coaching.conductor``). After a suspend such a
    record's ``w`` is behind that of a mark before it, so the two records alone would look
    damaged. The record must also hold an ``m`` further from the session
    start than its own ``w`` is, by the same margin: a flipped bit of its ``m`` does that, a
    suspend never does (it only puts ``w`` ahead), and a record stamped from ``m`` never does.

    Only a recording without its closing ``end`` record is refused for it. With one, every
    record lies within the close (:data:`LATE_ITEM_NS`), and the close's own ``m`` is checked
    against its summary's length instead (:func:`_check_closing_clock`: a 60 s session whose
    ``end`` ``m`` gained 1000 s from one changed digit was 17.7 min in the history, found in
    review). Checking a finished session's records here too refused a session without a
    sensor whose wall clock was stepped back while nothing was written; a
    record's ``m`` flipped forward but within the close now misplaces that record (a pacer
    change moved 100 s changed a follow score from 88 to 98), as one flipped backward always
    could.
    """
    step_mono_ns = mono_ns - prev_mono_ns
    step_wall_ns = wall_ns - prev_wall_ns
    if step_mono_ns <= CLOCK_JUMP_NS or step_mono_ns - step_wall_ns <= CLOCK_JUMP_NS:
        return None
    ahead_ns = (mono_ns - header.start_mono_ns) - (wall_ns - header.start_wall_ns)
    if ahead_ns <= CLOCK_JUMP_NS:
        return None
    before = "the session start" if prev_line == 1 else f"that of line {prev_line}"
    wall = _span_text(abs(step_wall_ns)) + (" after" if step_wall_ns >= 0 else " before")
    return (
        f"m {mono_ns} is {_span_text(step_mono_ns)} after {before} while w is "
        f"{wall} it: a clock of one of the two lines is damaged"
    )


def _check_session_clock(t_mono_ns: int, start_mono_ns: int) -> None:
    """ValueError when a record's monotonic clock lies outside any session that started at
    ``start_mono_ns`` (see :data:`EARLY_ITEM_NS` and :data:`MAX_SESSION_NS`)."""
    offset_ns = t_mono_ns - start_mono_ns
    if offset_ns < -EARLY_ITEM_NS:
        raise _Damage(f"m {t_mono_ns} is {_span_text(-offset_ns)} before the session start")
    if offset_ns > MAX_SESSION_NS:
        raise _Damage(f"m {t_mono_ns} is {_span_text(offset_ns)} after the session start")


def write_recording(
    path: Path,
    header: Header,
    items: Sequence[Item],
    summary: SessionSummary | None,
    *,
    end_mono_ns: int,
    end_wall_ns: int,
) -> Path:
    """Write a whole recording at once (used for derived recordings such as imports and samples).

    Unlike a live session, which keeps whatever it could save, this is all or nothing: the file
    is written under a temporary name beside ``path`` and renamed onto it once complete
    (:func:`trainer.storage.paths.replacing`), so a failed write (a full disk) leaves no partial
    recording, nor a name that blocks the next attempt. An existing ``path`` is replaced: the
    caller decides whether that may happen.

    Raises
    ------
    RecordingWriteError
        The file cannot be written (no permission, no space left).
    """
    from trainer.storage.paths import replacing

    try:
        with replacing(path) as temp:
            temp.unlink()  # the writer creates its file itself: exclusively, owner-only
            writer = RecordingWriter(temp, header, flush_interval_s=math.inf)
            for item in items:
                if writer.failure is not None:
                    break
                writer.write_item(item)
            writer.close(summary, t_mono_ns=end_mono_ns, t_wall_ns=end_wall_ns)
            if writer.failure is not None:
                # The writer keeps what it could, as a live session must; here that is a loss.
                raise writer.failure
    except RecordingWriteError as exc:
        raise RecordingWriteError(path, "cannot write the recording", exc.cause) from None
    except OSError as exc:
        raise RecordingWriteError(path, "cannot write the recording", exc) from None
    return path


@dataclass(frozen=True, slots=True)
class FoundRecordings:
    """The recordings under a folder (:func:`recordings_under`).

    Attributes
    ----------
    files : list of Path
        Every ``.bwr`` file found, sorted by path.
    unreadable : list of (Path, str)
        Folders that could not be listed, with why: their recordings, if any, are not in
        ``files``, and the command names them rather than pass over them without a word.
    """

    files: list[Path]
    unreadable: list[tuple[Path, str]]


def recordings_under(folder: Path) -> FoundRecordings:
    """Every recording (``.bwr`` file) in ``folder`` and its subfolders, at any depth.

    ``live --out`` invites a folder per month or programme, and ``history --add DIR`` is how a
    damaged history is rebuilt: taking only the files directly in DIR passed over 21 of 22
    recordings in month folders without a word. Linked folders are
    followed, each folder listed once (a link back up the tree is not a loop); a folder that
    cannot be listed is returned in :attr:`FoundRecordings.unreadable`. A ``.bwr`` name that
    is neither a file nor a folder (a link that leads back to itself) is among the files, for
    the reader to refuse as unreadable.
    """
    files: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    listed: set[tuple[int, int]] = set()
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            info = current.stat()
            if (info.st_dev, info.st_ino) in listed:
                continue
            listed.add((info.st_dev, info.st_ino))
            with os.scandir(current) as scan:
                entries = list(scan)
        except OSError as exc:
            unreadable.append((current, exc.strerror or str(exc)))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir():
                    pending.append(path)
                elif path.suffix == SUFFIX and entry.is_file():
                    files.append(path)
            except OSError as exc:
                if path.suffix == SUFFIX:
                    # Neither a file nor a folder (a link that leads back to itself): read as
                    # a recording, it is skipped as one that cannot be read, and counted, not
                    # named "a folder" and left out of the count.
                    files.append(path)
                elif exc.errno != errno.ELOOP:
                    unreadable.append((path, exc.strerror or str(exc)))
                # Any other link loop holds no recording, as a link to nothing does not.
    return FoundRecordings(sorted(files), sorted(unreadable))
