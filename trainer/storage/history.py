"""The session history: one row per recorded session in a local SQLite database.

The database lives in ``paths.data_dir() / "history.sqlite3"`` (``BREATHWISE_DATA_DIR``
overrides the directory). Each finished session's whole-session numbers go in one row keyed by
the session's identity (its start clocks and a digest of its header, see
:attr:`SessionAnalysis.session_key`), so re-analysing a recording - even moved, renamed or
copied - updates its row instead of adding another, while two different sessions that share a
start time (two RR lists imported with the same ``--start``) keep a row each. Rows written
before the digest was part of the key (keyed by the start clocks alone) are taken over by the
first recording added with those clocks (:meth:`History.store`); no migration can do it, since
the digest needs the recording, which may have moved. The change of key is schema v5, so that
an older Breathwise refuses the file rather than add a duplicate row for each session.

A recording imported from a Breathwise CSV export names the session it came from
(``exported_session``, schema v6): the history keeps one row for the two, the original's,
whichever is added first (:meth:`History.store`). Rows stored before (v5) have no link: adding
the original reads it from the headers of the recordings of the rows that share its start.

Until schema v7 the header's digest held its ``software`` string ("breathwise 0.1.0"), so the
same recording, or the same RR file imported again, under another version of Breathwise was
another session: a second row. The upgrade to v7 re-keys every row whose recording it can read
(:func:`_rekey_without_software`), merging the rows that were one session, and keeps each
earlier key as an alias (table ``session_aliases``), so a CSV export written before names its
original still; a row whose recording was gone then keeps its earlier key until the history
meets its session again with that recording readable: added again (:meth:`History.store`,
``earlier_key``), or named by a re-import of its export or another version's copy
(:meth:`History._rekey_if_readable`), when it is re-keyed. Lookups by key read the recordings
of the rows sharing the session's start clocks for that (:func:`_not_yet_rekeyed`), so such a
row is the session it holds all the while.

Schema v8 keeps what ``live``'s start needs to name a session killed before it could add
itself, and nothing else (:func:`not_in_history`): the sessions the person took out of the
history or kept out of it on purpose (table ``kept_out``), and the folders sessions recorded
to, with when a start last looked in each (table ``recording_folders``).

Concurrency: the database runs in WAL mode (readers never block the writer) with a busy timeout,
and every write is one short ``BEGIN IMMEDIATE`` transaction, so two processes finishing sessions
at the same moment queue for the write lock and both land (SQLite documentation, "Write-Ahead
Logging" and ``sqlite3_busy_timeout``). Schema changes are numbered migrations recorded in
``PRAGMA user_version``; opening a database applies the missing ones in one transaction, and a
database written by a newer Breathwise is refused before anything is written to it (not even
the switch to WAL). Opening a history already at :data:`SCHEMA_VERSION` takes no lock, so a
reader never queues behind another process's write.

Failures: every SQLite error becomes one line naming the cause where its error code tells it
(busy, damaged, disk full, read-only: :class:`HistoryUnusable`, which stops a whole
``history --add``; an error of one session's values, a plain :class:`HistoryError`, skips that
session alone: :func:`history_error`); listing falls back to
reading alone when writing is impossible (:func:`_connect_read_only`). A recording whose path is
not valid UTF-8 keeps it as bytes (a BLOB in the ``path`` column: :func:`_path_to_db`).
"""

from __future__ import annotations

import math
import os
import shlex
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from analysis.hrv_report import MAX_RELIABLE_ARTIFACT_PCT, MIN_HRV_BEATS_S, beats_span_s
from analysis.progress import ProgressCallback
from devices.errors import DecodeError
from devices.godirect import is_measurement_packet
from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import Stream
from devices.polar_pmd import PMD_EPOCH_OFFSET_NS
from devices.source import BLE_KIND, SENSORLESS_KIND, SIMULATED_KIND
from trainer.errors import UserError
from trainer.session.sensor_label import is_sensorless
from trainer.storage.paths import DATA_FOLDER_ADVICE, data_dir, ensure_private_dir, resolved
from trainer.storage.recording import (
    MAX_SESSION_NS,
    STILL_RECORDING_NOTE,
    Header,
    RecordingError,
    being_written,
    earlier_header_digest,
    header_digest,
    read_header,
)
from trainer.storage.safe_parse import json_loads

if TYPE_CHECKING:
    from trainer.session.summary import SessionSummary

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another process's write to finish before giving up (ms)."""
STARTUP_CHECK_TIMEOUT_MS = 1_000
"""How long ``live``'s check for recordings the history lacks waits for a busy history (ms): a
session must start promptly, and the check is only a note."""
SESSION_END_TIMEOUT_MS = 2_000
"""How long a live session's end waits to add its recording to a busy history (ms). Another
writer holds the lock for milliseconds (the analysis runs before it is taken), so this covers
two sessions ending together; a longer hold is another process at work, and waiting the full
:data:`BUSY_TIMEOUT_MS` left the person at a silent screen for 30 s. ``history --add`` adds
the recording later."""
MTIME_SLACK_NS = 50_000_000
"""How much earlier than the clock a file just written may be stamped (ns, 50 ms): file
systems stamp files from a coarse clock (Linux's jiffy, up to 10 ms; Windows' 15.6 ms tick), so
a recording written just after a ``live`` start looked in its folder can carry an earlier
time than that start read; the look is dated this much earlier (:func:`killed_sessions`)."""
REMOVED = "removed with history --remove"
"""Why a session is kept out of the history (table ``kept_out``): the person removed its row."""
KEPT_OUT_IMPORT = "imported with --no-history"
"""Why a session is kept out of the history: an import the person kept out of it."""
HISTORY_ROW_SUBJECT = "its history row"
"""What the note of :meth:`SessionAnalysis.changed_note` calls a row ``history --add`` wrote."""
REBUILD_ADVICE = (
    "move the file aside; 'breathwise history --add DIR' rebuilds it from the recordings in DIR"
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: breathing only, the numbers the core loop's closing summary had.
    (
        """CREATE TABLE sessions (
            session_key TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            start_wall_ns INTEGER NOT NULL,
            duration_s REAL NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            program TEXT NOT NULL DEFAULT '',
            breaths INTEGER NOT NULL DEFAULT 0,
            median_rate_bpm REAL,
            mean_ratio REAL,
            target_rate_bpm REAL,
            target_ratio REAL,
            mean_follow_score REAL,
            hr_start_bpm REAL,
            updated_wall_ns INTEGER NOT NULL
        )""",
        "CREATE INDEX sessions_by_start ON sessions (start_wall_ns)",
    ),
    # v2: heart analyses (artifact-corrected HRV, RSA, coherence) and session quality.
    (
        "ALTER TABLE sessions ADD COLUMN beats INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN mean_hr_bpm REAL",
        "ALTER TABLE sessions ADD COLUMN rmssd_ms REAL",
        "ALTER TABLE sessions ADD COLUMN sdnn_ms REAL",
        "ALTER TABLE sessions ADD COLUMN lf_power_ms2 REAL",
        "ALTER TABLE sessions ADD COLUMN hf_power_ms2 REAL",
        "ALTER TABLE sessions ADD COLUMN rsa_bpm REAL",
        "ALTER TABLE sessions ADD COLUMN coherence REAL",
        "ALTER TABLE sessions ADD COLUMN coherence_score REAL",
        "ALTER TABLE sessions ADD COLUMN artifact_pct REAL",
        "ALTER TABLE sessions ADD COLUMN marks INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN gaps INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sessions ADD COLUMN gap_s REAL",
    ),
    # v3: where the breathing came from, what the follow score judged (with a heart-rate
    # strap alone, the pace read from the heart rhythm), and how regular the breathing was.
    (
        "ALTER TABLE sessions ADD COLUMN breath_source TEXT",
        "ALTER TABLE sessions ADD COLUMN follow_basis TEXT",
        "ALTER TABLE sessions ADD COLUMN breath_cv REAL",
    ),
    # v4: time practised, without the pauses (duration_s counted them as practice).
    ("ALTER TABLE sessions ADD COLUMN practised_s REAL",),
    # v5: session keys end with the header's digest (SessionAnalysis.session_key). The rows
    # stay as they are (a v4 key is taken over when its recording is added again, see
    # History.store), so there is nothing to run: the new number is what matters. A v4
    # Breathwise keys a session by its start clocks alone, finds no row of that key in a v5
    # history and would add a second row for every session already in it; the number makes
    # it refuse the file ("newer than this Breathwise") instead.
    (),
    # v6: a recording imported from a Breathwise CSV export names the session it was exported
    # from (its header's exported_session, the original's key), so that whichever of the two
    # is added second, the history keeps one row, the original's (History.store). A v5
    # Breathwise would store the original beside the re-import's row.
    (
        "ALTER TABLE sessions ADD COLUMN exported_session TEXT",
        "CREATE INDEX sessions_by_exported ON sessions (exported_session)",
    ),
    # v7: the header's digest leaves out the software string (header_digest), so an upgrade no
    # longer makes the same session a second row. Each row whose recording can be read is
    # re-keyed, the rows that were one session merged, and the earlier keys kept as aliases
    # (exports written before name their original by one). A v6 Breathwise would key the
    # re-keyed rows' recordings otherwise and add each again: the number makes it refuse.
    (
        """CREATE TABLE session_aliases (
            earlier_key TEXT PRIMARY KEY,
            session_key TEXT NOT NULL
        )""",
        "_rekey_without_software",
    ),
    # v8: what ``live``'s start needs to tell a killed session from a file left out on purpose
    # (not_in_history). ``kept_out``: the sessions the person took out (``history --remove``)
    # or kept out (``import --no-history``), by their key and path, until added again.
    # ``recording_folders``: every folder a ``live`` session recorded to, with the time a
    # start last looked in it for recordings the history lacks. A v7 Breathwise would keep
    # neither (removing a row would name it again as a killed session): the number makes it
    # refuse.
    (
        """CREATE TABLE kept_out (
            session_key TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            reason TEXT NOT NULL,
            kept_out_wall_ns INTEGER NOT NULL
        )""",
        "CREATE INDEX kept_out_by_path ON kept_out (path)",
        """CREATE TABLE recording_folders (
            folder TEXT PRIMARY KEY,
            checked_wall_ns INTEGER NOT NULL
        )""",
    ),
    # v9: a path holds one recording, and one of the same start replaces the row
    # (History._drop_earlier_at_path); rows of one path and one start left by a Breathwise
    # before that rule are merged (_merge_same_path_same_start). A v8 Breathwise of before
    # the rule would make such rows again: the number makes it refuse.
    ("_merge_same_path_same_start",),
    # v10: when the session's sensors were lost for good (the summary's no_data_from_s), so
    # that the history says it of a session that carried on without them to its end (review
    # 31 F1): its numbers are of the time before. Rows added before stay NULL until their
    # recording is added again. Nothing for an older Breathwise to get wrong, but its rows
    # would lack it: the number makes it refuse.
    ("ALTER TABLE sessions ADD COLUMN sensor_lost_from_s REAL",),
)
"""Migration ``i`` brings the schema from version ``i`` to ``i + 1``: SQL statements, or the
name of a function of :data:`MIGRATION_STEPS` for a step that needs the recordings; never edit
a shipped one, append a new one."""
SCHEMA_VERSION = len(MIGRATIONS)


LIVE_KINDS = frozenset({BLE_KIND, SIMULATED_KIND, SENSORLESS_KIND})
"""The source kinds of the sessions ``live`` records, whose start is this host's clock."""

EARLIEST_PLAUSIBLE_START_NS = PMD_EPOCH_OFFSET_NS
"""2000-01-01 00:00 UTC (Unix ns), the Polar PMD epoch: no Breathwise session, nor any sensor
it reads, is older, and no PMD frame timestamp can be written before it."""
FUTURE_SLACK_NS = 86_400 * 1_000_000_000
"""How far in the future a start may be before it is called implausible (ns, a day): more
than any time zone or clock drift explains."""


def implausible_start(start_wall_ns: int, now_wall_ns: int) -> str | None:
    """Why a session's start cannot be right, or None when it can.

    A recording keeps whatever start its device's clock (or an import's ``--start``) gave it,
    so that a wrong clock never makes a recording unreadable (the reader accepts up to 2262);
    the history says so instead (:mod:`trainer.cli.history`) and progress leaves such
    sessions off its time axis (:func:`trainer.reports.progress.compute_progress`).

    Parameters
    ----------
    start_wall_ns : int
        The session's start, Unix ns.
    now_wall_ns : int
        The time now, Unix ns.

    Returns
    -------
    str or None
        ``"is in the future"`` (more than :data:`FUTURE_SLACK_NS` ahead), ``"is before 2000"``
        (:data:`EARLIEST_PLAUSIBLE_START_NS`), or None.
    """
    if start_wall_ns > now_wall_ns + FUTURE_SLACK_NS:
        return "is in the future"
    if start_wall_ns < EARLIEST_PLAUSIBLE_START_NS:
        return "is before 2000"
    return None


class HistoryError(UserError):
    """The history database cannot be opened or written (one line naming the file).

    Attributes
    ----------
    cause : str
        What kept it from being used, as :func:`history_error` told it from SQLite's error
        code: ``"busy"``, ``"damaged"``, ``"full"``, ``"read-only"``, or ``""``. Code looks at
        this, never at the message, which holds the path (without this, a data folder
        ``/home/busybee/...`` read as "busy").
    """

    def __init__(self, message: str, advice: str = "", *, cause: str = "") -> None:
        super().__init__(message, advice)
        self.cause = cause


class HistoryUnusable(HistoryError):
    """The history itself cannot be used (busy, damaged, disk full, read-only: see
    :func:`history_error`): no recording can be added until that changes."""


class NoSensorData(UserError):
    """A recording with nothing measured in it (the sensor sent nothing): nothing to add, and
    nothing in the file worth keeping."""


class StillRecording(UserError):
    """A recording a running session still writes
    (:func:`~trainer.storage.recording.being_written`): that session adds it when it ends,
    and added now, its row would hold only the part recorded so far."""


class ShorterCopy(UserError):
    """A cut-short recording of a session the history holds from a longer recording
    (:meth:`History.store`): its row is kept."""


class DamagedCopy(UserError):
    """A damaged recording (:attr:`trainer.storage.recording.Recording.damage`) of a session
    the history holds, or at a path a row holds (:meth:`History.store`): its row is kept.
    Without this, a copy with one flipped bit replaced the good original's row, and the
    history showed ratio 1.60 where the session had shown 1.65."""


class ExportOfHeldSession(UserError):
    """A recording imported from a Breathwise export of a session the history already holds
    (:meth:`History.store`): its data are the export's (beats, no belt, no pauses), so the
    history's key does not recognise it, but it is the same practice, and added it would count
    those minutes twice."""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of the history (units in the names; None where not measured).

    ``start_wall_ns`` places the session in calendar time (Unix ns); ``updated_wall_ns`` is when
    the row was last written; ``sensor_lost_from_s`` is the session time since which no sensor
    sent data and none came back (the summary's ``no_data_from_s``), None when they did.
    """

    session_key: str
    path: str
    start_wall_ns: int
    duration_s: float
    source: str = ""
    program: str = ""
    breaths: int = 0
    median_rate_bpm: float | None = None
    mean_ratio: float | None = None
    target_rate_bpm: float | None = None
    target_ratio: float | None = None
    mean_follow_score: float | None = None
    hr_start_bpm: float | None = None
    updated_wall_ns: int = 0
    beats: int = 0
    mean_hr_bpm: float | None = None
    rmssd_ms: float | None = None
    sdnn_ms: float | None = None
    lf_power_ms2: float | None = None
    hf_power_ms2: float | None = None
    rsa_bpm: float | None = None
    coherence: float | None = None
    coherence_score: float | None = None
    artifact_pct: float | None = None
    marks: int = 0
    gaps: int = 0
    gap_s: float | None = None
    breath_source: str | None = None
    follow_basis: str | None = None
    breath_cv: float | None = None
    practised_s: float | None = None
    exported_session: str | None = None
    sensor_lost_from_s: float | None = None

    @classmethod
    def from_db(cls, record: Sequence[Any]) -> SessionRow:
        """A row from the database's values in :data:`COLUMNS` order (:func:`finite_or_none`
        applied to each), each checked by :func:`_check_value`.

        Raises
        ------
        DamagedRow
            A value no Breathwise writes: of another type, or beyond any session.
        """
        values = [
            _from_db(name, finite_or_none(name, value))
            for name, value in zip(COLUMNS, record, strict=True)
        ]
        for name, value in zip(COLUMNS, values, strict=True):
            problem = _check_value(name, value)
            if problem is not None:
                path = values[COLUMNS.index("path")]
                raise DamagedRow(problem, path if isinstance(path, str) else None)
        return cls(*values)

    @property
    def practised_min(self) -> float:
        """Minutes practised: the duration without pauses (the whole duration for rows added
        before v4 kept pauses; ``history --add`` of the recording refreshes them)."""
        return (self.duration_s if self.practised_s is None else self.practised_s) / 60.0

    @property
    def beats_s(self) -> float | None:
        """Seconds of heartbeats measured (:func:`beats_span_s`)."""
        return beats_span_s(self.beats, self.mean_hr_bpm)

    @property
    def heart_rate_only(self) -> bool:
        """A heart rate without a single beat: a strap that sent its heart rate but no
        beat-to-beat (RR) intervals (the summary's ``hr_basis`` ``device``), so there is no HRV,
        RSA or coherence at all, rather than unreliable ones.

        Told from the row alone, so rows added before this was asked are told too: the mean
        heart rate of a session with beats is theirs (``SessionAnalysis.metrics``), and one
        without any can only be the strap's own.
        """
        return self.beats == 0 and self.mean_hr_bpm is not None

    @property
    def heart_unreliable(self) -> bool:
        """HRV, RSA and coherence that do not stand: more beats corrected than
        :data:`analysis.hrv_report.MAX_RELIABLE_ARTIFACT_PCT` (the threshold the report and
        ``import`` warn at), or under :data:`MIN_HRV_BEATS_S` of beats. The history flags the
        row, progress leaves those numbers out. A session of :attr:`heart_rate_only` is not
        one: it has no such numbers (its 0 beats had flagged it as one)."""
        too_short = self.beats_s is not None and self.beats_s < MIN_HRV_BEATS_S
        corrected = self.artifact_pct is not None and self.artifact_pct > MAX_RELIABLE_ARTIFACT_PCT
        return not self.heart_rate_only and (too_short or corrected)

    @property
    def start_text(self) -> str:
        """Session start as the history shows it: :func:`local_minute`."""
        return local_minute(self.start_wall_ns)


def local_minute(wall_ns: int) -> str:
    """``YYYY-MM-DD HH:MM`` of a Unix time (ns) in the local time zone, with its UTC offset
    (`` -04:00``) when that clock time comes twice, in the hour the clocks go back: two
    sessions an hour apart then read alike.

    The other instant with the same clock time is the one shifted by the difference of the
    offsets either side of a change up to 26 h away (no zone changes twice within that).
    """
    t_s = wall_ns / 1e9
    here = time.localtime(t_s)
    text = time.strftime("%Y-%m-%d %H:%M", here)
    for other in {time.localtime(t_s + k * 3600.0).tm_gmtoff for k in (-26, 26)}:
        twin = time.localtime(t_s + here.tm_gmtoff - other)
        if twin.tm_gmtoff == other != here.tm_gmtoff and twin[:5] == here[:5]:
            offset = here.tm_gmtoff // 60
            sign = "-" if offset < 0 else "+"
            return f"{text} {sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return text


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(SessionRow))
_REQUIRED_NUMBERS = frozenset(f.name for f in fields(SessionRow) if f.type in ("int", "float"))
"""Columns that always hold a number (``NOT NULL``)."""
_COLUMN_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(SessionRow)}
"""Each column's type as :class:`SessionRow` declares it (``"float | None"``)."""
_COUNTS = frozenset({"breaths", "beats", "marks", "gaps"})
"""Columns counting things: never below 0."""
_SPANS_S = frozenset({"duration_s", "practised_s", "gap_s", "sensor_lost_from_s"})
"""Columns holding a stretch of a session (s): from 0 to :data:`MAX_SESSION_NS`."""


class DamagedRow(ValueError):
    """A history row holding a value no Breathwise writes (:func:`_check_value`).

    Attributes
    ----------
    path : str or None
        The row's recording, None when the path itself is what is wrong.
    """

    def __init__(self, problem: str, path: str | None) -> None:
        super().__init__(problem)
        self.path = path


def _check_value(column: str, value: Any) -> str | None:
    """What is wrong with ``value`` read from ``column`` of the history, or None.

    SQLite keeps any value in any column that is not declared ``STRICT`` (its "type affinity":
    the text ``'x'`` stays text in a ``REAL`` column), so a hand-edited or damaged row comes
    back as it is; without this, ``hr_start_bpm = 'x'`` ended ``history`` and ``progress``
    with a traceback, and ``duration_s = 1e12`` showed 16666666862.7 minutes practised. A value
    of another type than the column's is wrong, and so are a count below 0 and a span of a
    session (:data:`_SPANS_S`) below 0 or longer than the longest session a recording holds
    (:data:`~trainer.storage.recording.MAX_SESSION_NS`, 31 days): no Breathwise writes them.
    """
    declared = _COLUMN_TYPES[column]
    if value is None:
        return None if declared.endswith("| None") else f"{column} is empty"
    if declared.startswith("str"):
        # A path that is not valid UTF-8 is kept as bytes (_path_to_db), read back as str.
        return None if isinstance(value, str) else f"{column} holds {value!r}, not text"
    if declared.startswith("int") and not isinstance(value, int):
        return f"{column} holds {value!r}, not a whole number"
    if not isinstance(value, (int, float)):
        return f"{column} holds {value!r}, not a number"
    if column in _COUNTS and value < 0:
        return f"{column} holds {value!r}, below 0"
    if column in _SPANS_S and not 0 <= value <= MAX_SESSION_NS / 1e9:
        longest = MAX_SESSION_NS / 86_400e9
        return f"{column} holds {value!r} s, beyond any session (0 to {longest:.0f} days)"
    return None


def finite_or_none(column: str, value: Any) -> Any:
    """``value`` as the history keeps it in ``column``: a number that is not finite is "not
    measured" (None; 0.0 in a column that must hold a number, :data:`_REQUIRED_NUMBERS`).

    Without this, an unmeasured mean ratio was stored as ``inf`` before it was left out of
    the mean (``tests/test_unmeasured_ratio.py``), and ``history`` showed ``inf`` in its ratio
    column for those rows ever after.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0 if column in _REQUIRED_NUMBERS else None
    return value


def _from_db(column: str, value: Any) -> Any:
    """A path stored as bytes (:func:`_path_to_db`) as the ``str`` the file system gave."""
    return os.fsdecode(value) if column == "path" and isinstance(value, bytes) else value


def _path_to_db(path: str) -> str | bytes:
    """A recording's path as the history stores it: text, or the file system's own bytes when
    the name is not valid UTF-8 (``bad\\xffname.bwr``: Python holds the byte as a lone
    surrogate, which SQLite's text cannot, so adding it once failed with "surrogates not
    allowed"). SQLite keeps a BLOB as it is in any column; :func:`_from_db` turns it back
    into the same ``str`` (``os.fsdecode``), so the path still matches the file's.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def readable_path(path: Path | str) -> str:
    """A path to show: bytes that are not UTF-8 as ``\\xff`` escapes (printing the lone
    surrogates Python holds for them fails on a UTF-8 terminal)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def add_command(path: Path | str) -> str:
    """The command that adds ``path`` to the history later, quoted to paste into a shell."""
    return f"breathwise history --add {shlex.quote(readable_path(path))}"


@dataclass(frozen=True, slots=True)
class Stored:
    """What :meth:`History.store` did.

    Attributes
    ----------
    row : SessionRow
        The session's row as it is now.
    previous_path : str or None
        The recording the row held before (None: a new row).
    legacy : bool
        The row was keyed by the start clocks alone (written by an older Breathwise), so it may
        have held another session that shared this one's start.
    replaced_exports : tuple of str
        Recordings imported from a CSV export of this session whose rows it replaced (their
        paths): the history keeps one row per session, the original's.
    replaced_earlier : bool
        The row of another recording of the same start at this path was removed: the file
        this one replaced there (an import run again, ``rm x.bwr`` then ``import ... -o
        x.bwr --start`` the same), as the path holds one recording
        (:meth:`History._drop_earlier_at_path`).
    changed_note : str
        :func:`add_recording`: the note naming the numbers of the row (today's analysis) that
        differ from those the live session closed with, and why
        (:meth:`SessionAnalysis.changed_note`); ``""`` when they agree.
    damage : str
        :func:`add_recording`: what the reader found damaged in the recording, which was added
        all the same as the history held no row it would replace (:class:`DamagedCopy`);
        ``""`` when nothing.
    ecg_without_beats : bool
        :func:`add_recording`: the recording holds an ECG but no heartbeats, as an older
        Breathwise imported it, so the row has no heart numbers until its CSV is imported
        again (:func:`trainer.storage.recording.ecg_without_beats`).
    previous_row : SessionRow or None
        The session's row as it was before this write (None: a new row, or one holding what
        no Breathwise writes, :class:`DamagedRow`, which the write mends).
    """

    row: SessionRow
    previous_path: str | None = None
    legacy: bool = False
    replaced_exports: tuple[str, ...] = ()
    changed_note: str = ""
    replaced_earlier: bool = False
    damage: str = ""
    ecg_without_beats: bool = False
    previous_row: SessionRow | None = None

    @property
    def replaced_other_file(self) -> bool:
        """The row held the numbers of another file: a copy, the file before a move or rename,
        (``legacy``) possibly another session with the same start, a recording imported
        from an export of this session (``replaced_exports``), or the earlier recording of
        this start at this path (``replaced_earlier``)."""
        moved = self.previous_path is not None and self.previous_path != self.row.path
        return moved or bool(self.replaced_exports) or self.replaced_earlier

    @property
    def refreshed(self) -> bool:
        """The row was already this file's: its numbers were written again, no session added
        (without this, ``history --add`` of a folder already in the history said "added 4
        sessions" and the history still held 4 rows)."""
        return (
            self.previous_path == self.row.path
            and not self.replaced_exports
            and not self.replaced_earlier
        )


def start_clocks(session_key: str) -> str:
    """The key an older Breathwise gave the session of ``session_key``: its start clocks alone,
    without the header's digest (:attr:`SessionAnalysis.legacy_session_key`); a key without a
    digest is returned as it is."""
    wall, mono, digest = [*session_key.split("-", 2), "", ""][:3]
    return f"{wall}-{mono}" if wall and mono and digest else session_key


def default_db_path() -> Path:
    """``data_dir() / "history.sqlite3"``."""
    return data_dir() / DB_NAME


def history_error(path: Path, exc: sqlite3.Error, doing: str) -> HistoryError:
    """The one-line error for a failed SQLite call on the history at ``path``, naming the
    cause where it can be told from SQLite's error code (``sqlite_errorname``): busy (another
    process holds the write lock), damaged, disk full, read-only; else ``cannot {doing} the
    history database``.

    Without this, a damaged file ended ``live`` with a traceback (``DatabaseError`` is not
    an ``OperationalError``), a locked one was called "not a usable history database", and a
    full disk or a read-only mount said only "disk I/O error" / "unable to open database file".

    Returns
    -------
    HistoryError
        :class:`HistoryUnusable` when the file or its folder is at fault (no session can be
        stored until that changes); a plain :class:`HistoryError` for an error of one call,
        such as a value SQLite cannot bind (``ProgrammingError``, ``IntegrityError``), which
        concerns that session alone (without this, "Error binding parameter 4" was called
        "the history database is damaged", with advice to move a healthy history aside, and
        stopped a whole ``history --add``).
    """
    name = _error_name(exc)
    text = str(exc)
    if _busy(exc):
        return HistoryUnusable(
            f"{path}: the history is busy (another breathwise running?)", "try again", cause="busy"
        )
    if _damaged(exc):
        return HistoryUnusable(
            f"{path}: the history database is damaged ({text})", REBUILD_ADVICE, cause="damaged"
        )
    if not isinstance(exc, sqlite3.OperationalError):
        return HistoryError(f"{path}: cannot {doing} the history database ({text})")
    folder = _folder_state(path.parent)
    if name == "SQLITE_FULL" or folder == "full":
        return HistoryUnusable(
            f"{path}: cannot {doing} the history database: the disk is full ({text})",
            "free some space and try again",
            cause="full",
        )
    if name.startswith("SQLITE_READONLY") or folder == "read-only":
        return HistoryUnusable(
            f"{path}: cannot {doing} the history database: its folder is read-only ({text})",
            "make it writable, or set BREATHWISE_DATA_DIR to a writable folder",
            cause="read-only",
        )
    return HistoryUnusable(f"{path}: cannot {doing} the history database ({text})")


def damaged_row_error(path: Path, exc: DamagedRow) -> HistoryUnusable:
    """The one-line error for a row of the history at ``path`` holding a value no Breathwise
    writes (:func:`_check_value`): damage, as :func:`history_error` calls a damaged file, with
    the cheaper repair first when the row names its recording: adding that recording again
    writes the whole row anew (``--remove`` drops it, when the recording is gone)."""
    if exc.path is None:
        return HistoryUnusable(
            f"{path}: the history database is damaged (a row: {exc})",
            REBUILD_ADVICE,
            cause="damaged",
        )
    shown = readable_path(exc.path)
    return HistoryUnusable(
        f"{path}: the history database is damaged (the row of {shown}: {exc})",
        f"write that row anew from its recording with {add_command(exc.path)} (or drop it "
        f"with --remove); else {REBUILD_ADVICE}",
        cause="damaged",
    )


def _error_name(exc: sqlite3.Error) -> str:
    """SQLite's name for the error code of ``exc`` (``"SQLITE_BUSY"``), ``""`` for an error
    raised by Python's sqlite3 module itself (a value it cannot bind), which has none."""
    return getattr(exc, "sqlite_errorname", None) or ""


def _busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says another connection holds the database (SQLITE_BUSY, SQLITE_LOCKED)."""
    return _error_name(exc).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _damaged(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says the file is damaged: SQLITE_CORRUPT or SQLITE_NOTADB, or a bare
    ``DatabaseError`` without an error code (SQLite's damage errors are of that class)."""
    name = _error_name(exc)
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    return type(exc) is sqlite3.DatabaseError


def _folder_state(folder: Path) -> str:
    """``"read-only"``, ``"full"`` (no block free for this user) or ``""`` for ``folder``'s
    file system, ``""`` also when it cannot be told."""
    try:
        stat = os.statvfs(folder)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return ""
    if stat.f_flag & os.ST_RDONLY or not os.access(folder, os.W_OK):
        return "read-only"
    return "full" if stat.f_bavail == 0 else ""


def _refuse_empty(path: Path) -> None:
    """Raise :class:`HistoryUnusable` (damaged) when the history file at ``path`` is empty.

    SQLite takes a 0-byte file for a new database and writes a fresh, empty one over it;
    without this, an emptied history (a failed copy or sync) read "No sessions yet" and the
    evidence was gone, where a zero-filled one was called damaged. Breathwise never leaves an
    empty history file (:func:`_create`), so one is damage, and it is left as it is.
    """
    try:
        size = path.stat().st_size
    except OSError:
        return  # not there (created next), or it cannot be told: SQLite says what it finds
    if size == 0 and path.is_file():
        raise HistoryUnusable(
            f"{path}: the history database is damaged (the file is empty: 0 bytes)",
            REBUILD_ADVICE,
            cause="damaged",
        )


def _create(path: Path) -> None:
    """Create the history at ``path`` whole: built at :data:`SCHEMA_VERSION` in WAL mode under
    a temporary name, then linked into place, so no process ever finds an empty history file
    (SQLite creates a database as a 0-byte file and writes it at its first transaction, which
    :func:`_refuse_empty` would call damaged). When two processes create it at once, the first
    link wins and the other's file is dropped. Where the folder cannot take the temporary file
    or a hard link (a read-only folder, a file system without links), SQLite creates the file
    in place as before, and names what is wrong if it cannot.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    except OSError:
        return
    os.close(fd)
    made = Path(name)
    try:
        conn = sqlite3.connect(made, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, path)
        finally:
            # The last connection to close folds the WAL into the file and deletes it.
            conn.close()
        with suppress(FileExistsError):
            os.link(made, path)
    except sqlite3.Error as exc:
        raise history_error(path, exc, "create") from None
    except OSError:
        pass  # no hard links here: SQLite creates it in place
    finally:
        with suppress(OSError):
            made.unlink()
        for extra in ("-wal", "-shm", "-journal"):
            with suppress(OSError):
                made.with_name(made.name + extra).unlink()


def _connect(path: Path, timeout_ms: int) -> sqlite3.Connection:
    ensure_private_dir(path.parent, advice=DATA_FOLDER_ADVICE)
    _refuse_empty(path)
    if not path.exists():
        _create(path)
    try:
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so the write lock is taken
        # up front and a concurrent writer waits on the busy timeout instead of failing mid-way.
        conn = sqlite3.connect(path, timeout=timeout_ms / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise history_error(path, exc, "open") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        # Before the switch to WAL, which writes to the file: a newer Breathwise's history is
        # left exactly as it was. (migrate checks again, inside its write transaction.)
        _refuse_newer(_user_version(conn), path)
        _use_wal(conn, timeout_ms)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        conn.close()
        raise history_error(path, exc, "open") from None
    except BaseException:
        conn.close()
        raise
    with suppress(OSError):
        path.chmod(0o600)
    return conn


def _connect_read_only(path: Path, timeout_ms: int) -> tuple[sqlite3.Connection, int]:
    """Open the history for reading alone, when it cannot be opened for writing.

    ``mode=ro`` still needs the WAL index (``-shm``) to be created or grown, which a read-only
    mount or a full disk refuses; then, when the WAL file is absent or empty (every commit is
    in the main file), ``immutable=1`` reads the main file without any lock or index (SQLite
    documentation, "URI filenames"). Nothing can write the file then but a process that finds
    space freed, and only a listing reads it.

    Returns
    -------
    (connection, schema version) : tuple
        The open connection and the database's ``user_version``.

    Raises
    ------
    sqlite3.Error
        It cannot be read either (the connection is closed).
    """
    uri = "file:" + quote(os.fsencode(resolved(path)), safe="/")
    wal = path.with_name(path.name + "-wal")
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout_ms / 1000)
    try:
        return conn, _user_version(conn)
    except sqlite3.OperationalError:
        # Closed before the other connection opens, or raising: each open holds a file
        # descriptor, and a long-running process (live's startup check) would keep it.
        conn.close()
        if wal.exists() and wal.stat().st_size > 0:
            raise
    except BaseException:
        conn.close()
        raise
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    try:
        return conn, _user_version(conn)
    except BaseException:
        conn.close()
        raise


def _user_version(conn: sqlite3.Connection) -> int:
    """The schema version a history database holds (``PRAGMA user_version``)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _use_wal(conn: sqlite3.Connection, timeout_ms: int) -> None:
    """Switch the file to WAL (persistent: once set, every later open finds it so).

    Switching needs an exclusive lock and SQLite answers "database is locked" at once, without
    the busy handler, when another process holds one (two processes creating the history at the
    same moment): retry until the busy timeout.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _refuse_newer(found: int, path: Path) -> None:
    """Raise HistoryError if schema version ``found`` is newer than :data:`SCHEMA_VERSION`."""
    if found > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: history schema v{found} is newer than this Breathwise "
            f"(v{SCHEMA_VERSION}); it is left as it is",
            "upgrade Breathwise",
        )


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _key_without_software(session_key: str, recording: Path) -> str | None:
    """The v7 key of the row ``session_key`` whose recording is at ``recording``
    (:func:`~trainer.storage.recording.header_digest`), or None when it cannot be told: the
    file cannot be read, or is no longer the recording the row was keyed from (another file
    of that name since), or the key is not a v5/v6 one (the start clocks alone, taken over by
    :meth:`History.store` when the recording is added again)."""
    try:
        header = read_header(recording)
    except (RecordingError, OSError, ValueError):
        return None
    clocks = f"{header.start_wall_ns}-{header.start_mono_ns}"
    if session_key != f"{clocks}-{earlier_header_digest(header)}":
        return None
    return f"{clocks}-{header_digest(header)}"


def _not_yet_rekeyed(rows: Sequence[tuple[str, str]], session_key: str) -> str | None:
    """The key of the row among ``rows`` (key, recording path) that holds the session of
    ``session_key`` under its earlier key (schemas v5 and v6): a row the upgrade to v7 could
    not re-key, its recording unreadable then (a drive unmounted, a folder moved), whose
    recording reads as that session now; None when there is none, or it is still unreadable.

    Only rows sharing the session's start clocks are read (their recordings' header lines):
    a session's rows under any version share them. Without this, such a row kept its old
    key, the CSV export of its recording names the new one, and importing that export added
    the session a second row."""
    clocks = start_clocks(session_key)
    if clocks == session_key:
        return None
    prefix = f"{clocks}-"
    for key, path in rows:
        # Read last: only a row of the same start comes this far.
        if (
            key != session_key
            and key.startswith(prefix)
            and _key_without_software(key, Path(path)) == session_key
        ):
            return key
    return None


def _rekey_without_software(conn: sqlite3.Connection) -> None:
    """Migration v7: give every row whose recording can be read its key without the software
    string, keep its earlier key as an alias, and point ``exported_session`` at the new keys.

    Rows that become one key were one session under two versions (the same import made again
    after an upgrade, a recording re-added after its header's ``software`` was changed): the
    row of the longest recording is kept, the latest written among equals, as
    :meth:`History.store` keeps the longer of two copies; the others' recordings stay where
    they are, and their earlier keys become aliases of the kept row. A row whose recording
    cannot be read keeps its key: nothing is dropped on a guess.
    """
    rows = conn.execute(
        "SELECT session_key, path, duration_s, updated_wall_ns FROM sessions"
    ).fetchall()
    groups: dict[str, list[tuple[str, float, int]]] = {}
    for key, path, duration_s, updated_ns in rows:
        new = _key_without_software(str(key), Path(_from_db("path", path)))
        if new is not None:
            groups.setdefault(new, []).append((str(key), float(duration_s), int(updated_ns)))
    for new, members in groups.items():
        kept = max(members, key=lambda m: (m[1], m[2]))[0]
        for earlier, _, _ in members:
            if earlier != kept:
                conn.execute("DELETE FROM sessions WHERE session_key = ?", (earlier,))
        conn.execute("UPDATE sessions SET session_key = ? WHERE session_key = ?", (new, kept))
        for earlier, _, _ in members:
            _alias(conn, earlier, new)


def _alias(conn: sqlite3.Connection, earlier_key: str, session_key: str) -> None:
    """Record ``earlier_key`` as an earlier key of ``session_key``, and point the re-imports
    that name it (``exported_session``) at ``session_key``."""
    conn.execute(
        "INSERT OR REPLACE INTO session_aliases (earlier_key, session_key) VALUES (?, ?)",
        (earlier_key, session_key),
    )
    conn.execute(
        "UPDATE sessions SET exported_session = ? WHERE exported_session = ?",
        (session_key, earlier_key),
    )


def _merge_same_path_same_start(conn: sqlite3.Connection) -> None:
    """Migration v9: of the rows naming one path with one start, keep the one written last
    and delete the others, as :meth:`History._drop_earlier_at_path` does when a recording is
    added.

    Such rows are one practice recorded again at one path (an import run again of a corrected
    file: another digest, so another key), the file there the latest one's. Without this pass,
    the rule applied only to rows added after it, so a history with such rows kept them, and
    ``progress`` counted 2 sessions, 9.4 min, for one 4.8 min file until the file was added
    again by hand. Rows of one path and different starts are different sessions (the earlier
    one's file deleted, "(gone)") and stay.
    """
    conn.execute(
        """DELETE FROM sessions WHERE EXISTS (
            SELECT 1 FROM sessions AS later
            WHERE later.path = sessions.path
              AND later.start_wall_ns = sessions.start_wall_ns
              AND (later.updated_wall_ns, later.session_key)
                  > (sessions.updated_wall_ns, sessions.session_key)
        )"""
    )


MIGRATION_STEPS: dict[str, Callable[[sqlite3.Connection], None]] = {
    "_rekey_without_software": _rekey_without_software,
    "_merge_same_path_same_start": _merge_same_path_same_start,
}
"""The migration steps that are functions, by the name :data:`MIGRATIONS` gives them."""


def migrate(conn: sqlite3.Connection, path: Path, *, to_version: int = SCHEMA_VERSION) -> int:
    """Bring the schema to ``to_version`` in one transaction; return the version found before.

    Raises
    ------
    HistoryError
        The database is newer than this Breathwise knows.
    """
    with _write(conn):
        found = _user_version(conn)
        _refuse_newer(found, path)
        for version in range(found, to_version):
            for statement in MIGRATIONS[version]:
                step = MIGRATION_STEPS.get(statement)
                if step is not None:
                    step(conn)
                else:
                    conn.execute(statement)
        if to_version > found:
            conn.execute(f"PRAGMA user_version = {int(to_version)}")
    return found


@dataclass(frozen=True)
class Removed:
    """A row :meth:`History.remove_paths` took out.

    Attributes
    ----------
    path : Path
        The path as given.
    start_wall_ns : int
        The removed session's start (ns since the Unix epoch).
    left : int
        Rows of other sessions still naming that path (recordings gone: "(gone)").
    """

    path: Path
    start_wall_ns: int
    left: int


class History:
    """An open history database (a context manager).

    Parameters
    ----------
    path : Path, optional
        The database file; :func:`default_db_path` when omitted. Created (mode 0600, directory
        0700) and migrated to :data:`SCHEMA_VERSION` on open.
    timeout_ms : int, optional
        How long to wait for another process's write (ms); :data:`BUSY_TIMEOUT_MS` when
        omitted.
    read_only_ok : bool
        When it cannot be opened for writing (a read-only mount, a full disk), open it for
        reading alone (:func:`_connect_read_only`; :attr:`read_only` then holds why): enough to
        list the sessions.

    Raises
    ------
    HistoryError
        It cannot be opened (the message names the cause: :func:`history_error`).

    Attributes
    ----------
    read_only : str
        Why the history was opened for reading alone, ``""`` when it can be written.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        timeout_ms: int | None = None,
        read_only_ok: bool = False,
    ) -> None:
        self.path = path if path is not None else default_db_path()
        if timeout_ms is None:
            timeout_ms = BUSY_TIMEOUT_MS
        self.read_only = ""
        try:
            self._conn = _connect(self.path, timeout_ms)
        except HistoryError as exc:
            # Busy or damaged: reading alone would meet the same.
            if not read_only_ok or not self.path.is_file() or exc.cause in ("busy", "damaged"):
                raise
            self._open_read_only(exc, timeout_ms)
            return
        try:
            # Only a history that needs it waits for the write lock: a reader must not queue
            # behind another process's write (without this, live's startup check waited the
            # whole busy timeout while another process held the history).
            if _user_version(self._conn) != SCHEMA_VERSION:
                migrate(self._conn, self.path)
        except sqlite3.Error as exc:
            self._conn.close()
            raise history_error(self.path, exc, "open") from None
        except BaseException:
            self._conn.close()
            raise

    def _open_read_only(self, cause: HistoryError, timeout_ms: int) -> None:
        """Open for reading alone after ``cause`` kept the history from being opened for
        writing; raise ``cause`` when it cannot be read either, or is of another schema."""
        try:
            self._conn, found = _connect_read_only(self.path, timeout_ms)
        except sqlite3.Error:
            raise cause from None
        if found != SCHEMA_VERSION:
            self._conn.close()
            _refuse_newer(found, self.path)
            raise HistoryError(
                f"{cause} (and it needs an upgrade to schema v{SCHEMA_VERSION}, a write)",
                cause.advice,
            )
        self.read_only = str(cause)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def upsert(self, values: Mapping[str, Any]) -> SessionRow:
        """Insert a session, or update the row with the same ``session_key``.

        ``values`` holds at least ``session_key``, ``path``, ``start_wall_ns`` and
        ``duration_s``; keys that are not columns are ignored, absent ones take their defaults.
        """
        return self.store(values).row

    def store(
        self,
        values: Mapping[str, Any],
        *,
        legacy_key: str | None = None,
        earlier_key: str | None = None,
        complete: bool = True,
        damaged: str = "",
    ) -> Stored:
        """:meth:`upsert`, saying which recording's row it replaced.

        Parameters
        ----------
        values : mapping
            As for :meth:`upsert`.
        legacy_key : str, optional
            The key an older Breathwise gave this session
            (:attr:`SessionAnalysis.legacy_session_key`): when no row has ``session_key`` but
            one has this key, that row is taken over (re-keyed and updated), so upgrading
            leaves no duplicate of a session already in the history.
        earlier_key : str, optional
            The key history schemas v5 and v6 gave this session, whose header digest held the
            software string (:attr:`SessionAnalysis.earlier_session_key`): taken over as
            ``legacy_key`` is (first), for a row the upgrade to v7 could not re-key (its
            recording was gone then), and kept as an alias of ``session_key``.
        complete : bool
            The recording has its closing record (False: cut short, by a killed session or a
            copy that stopped part-way). A cut-short recording shorter than the one whose row
            the session has is refused (:class:`ShorterCopy`): its numbers would replace the
            fuller ones (without this, a half copy turned a 0.5 min row into 0.1 min). A
            complete recording, or a longer one, replaces the row (a move, a rename, a copy).
        damaged : str
            What the reader found damaged in the recording
            (:func:`trainer.storage.recording.damage_text`), ``""`` when nothing. A damaged
            recording never replaces a row (:class:`DamagedCopy`): not that of its session,
            nor of another of its start (the damage may be in the header, which keys the
            session), nor the row of its path (the file read whole when that was written). With
            none of those it is added, the caller saying that it is damaged: the session would
            be lost from the history otherwise.

        A recording imported from a Breathwise CSV export names its original
        (``exported_session``, the original's key): both are the same practice, so the history
        keeps one row, the original's, whichever is added first. The original replaces the
        rows of its re-imports; a re-import of a session the history holds is refused.

        Raises
        ------
        ExportOfHeldSession
            ``values`` are a re-import's and the history holds its original.
        ShorterCopy
            ``values`` are of a cut-short copy of a session held from a longer recording.
        DamagedCopy
            ``damaged``, and the history holds a row the recording would replace.
        HistoryError
            The history cannot be written, or the session's times do not fit it.
        """
        row = {name: finite_or_none(name, values[name]) for name in COLUMNS if name in values}
        missing = [
            k for k in ("session_key", "path", "start_wall_ns", "duration_s") if k not in row
        ]
        if missing:
            raise ValueError(f"session values lack {', '.join(missing)}")
        row["path"] = _path_to_db(str(row["path"]))
        row["updated_wall_ns"] = time.time_ns()
        names = list(row)
        placeholders = ", ".join(f":{n}" for n in names)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "session_key")
        sql = (
            f"INSERT INTO sessions ({', '.join(names)}) VALUES ({placeholders}) "
            f"ON CONFLICT (session_key) DO UPDATE SET {updates}"
        )
        key = str(row["session_key"])
        earlier = earlier_key if earlier_key is not None and earlier_key != key else None
        previous: str | None = None
        before: SessionRow | None = None
        earlier_here = False
        legacy = False
        exports: tuple[str, ...] = ()
        refusal: tuple[str, str] | None = None
        try:
            with _write(self._conn):
                if damaged:
                    self._refuse_damaged(key, row, damaged)
                if row.get("exported_session"):
                    # An export written before v7 names its original by the earlier key.
                    row["exported_session"] = self._current_key(str(row["exported_session"]))
                    # One written since names the new key of a row that may still hold its
                    # earlier one (its recording unreadable at the upgrade).
                    self._rekey_if_readable(str(row["exported_session"]))
                # Another version's copy of such a row's recording: its own earlier key is
                # not the row's (the software differs), its new key is.
                self._rekey_if_readable(key)
                if earlier is not None and self._path_of(key) is None:
                    found_earlier = self._path_of(earlier)
                    if found_earlier is not None:
                        self._conn.execute(
                            "UPDATE sessions SET session_key = ? WHERE session_key = ?",
                            (key, earlier),
                        )
                    if found_earlier is not None or self._exports_name(earlier):
                        _alias(self._conn, earlier, key)
                # In the write transaction, so two processes adding the original and its
                # re-import at once still leave one row.
                refusal = self._export_refusal(row)
                if refusal is not None:
                    # Its own row, stored before the history linked re-imports (schema v5), is
                    # the second row the refusal is there to prevent. (Refused after the
                    # commit: an exception in here would roll the removal back.)
                    if self._conn.execute(
                        "DELETE FROM sessions WHERE session_key = ?", (key,)
                    ).rowcount:
                        refusal = (f"{refusal[0]}; its row, added before, is removed", refusal[1])
                else:
                    self._link_older_imports(key, int(row["start_wall_ns"]))
                    exports = self._drop_exports_of(key)
                    found = self._path_of(key)
                    if found is not None and not complete and found != str(values["path"]):
                        self._refuse_if_shorter(key, found, row)
                    if found is None and legacy_key is not None and legacy_key != key:
                        found = self._path_of(legacy_key)
                        if found is not None:
                            legacy = True
                            self._conn.execute(
                                "UPDATE sessions SET session_key = ? WHERE session_key = ?",
                                (key, legacy_key),
                            )
                    previous = found
                    before = self._row_or_none(key) if found is not None else None
                    earlier_here = self._drop_earlier_at_path(key, row)
                    self._conn.execute(sql, row)
                    # Added again: no longer kept out (not_in_history).
                    self._conn.execute(
                        "DELETE FROM kept_out WHERE session_key IN (?, ?) OR path = ?",
                        (key, earlier or key, row["path"]),
                    )
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "write") from None
        except OverflowError:
            # A recording with a start far from now (an import given a wrong date) holds times
            # beyond SQLite's 64-bit integers: refuse that session, keep the history as it was.
            raise HistoryError(
                f"{readable_path(_from_db('path', row['path']))}: its times do not fit the history "
                f"(start {row['start_wall_ns']} ns after 1970)",
                "re-import the file with the right --start",
            ) from None
        if refusal is not None:
            raise ExportOfHeldSession(*refusal)
        stored = self.get(key)
        assert stored is not None
        return Stored(
            stored, previous, legacy, exports, replaced_earlier=earlier_here, previous_row=before
        )

    def _row_or_none(self, session_key: str) -> SessionRow | None:
        """The row of ``session_key`` as stored, None when there is none or it holds what no
        Breathwise writes (:class:`DamagedRow`): writing the row again mends that, so it must
        not stop the write as :meth:`get` would."""
        record = self._conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM sessions WHERE session_key = ?", (session_key,)
        ).fetchone()
        if record is None:
            return None
        try:
            return SessionRow.from_db(record)
        except DamagedRow:
            return None

    def _drop_earlier_at_path(self, session_key: str, row: Mapping[str, Any]) -> bool:
        """Delete the rows of other sessions of ``row``'s start whose recording was at ``row``'s
        path; whether there was one.

        A path holds one recording: the one being added is there now, so such a row's file was
        replaced by it, and with the same start it is the same practice recorded again, as an
        import run again makes it (``rm x.bwr``, then ``import a.txt -o x.bwr --start ...`` of
        a corrected ``a.txt``: another digest, so another key). Without this, both rows
        stayed, naming the same file, and progress counted 9.4 min for one 4.9 min file. A row
        of another start at that path is another session, whose recording is gone: it stays,
        listed "(gone)" (:func:`superseded_keys`), as a deleted recording's row does.
        """
        cursor = self._conn.execute(
            "DELETE FROM sessions WHERE path = ? AND start_wall_ns = ? AND session_key != ?",
            (row["path"], row["start_wall_ns"], session_key),
        )
        return cursor.rowcount > 0

    def _rekey_if_readable(self, session_key: str) -> None:
        """Give the session of ``session_key`` its key now when its row still has the earlier
        one, its recording unreadable at the upgrade to v7 and readable again
        (:func:`_not_yet_rekeyed`), keeping the earlier key as an alias, as the upgrade does.
        In a write transaction."""
        if self._path_of(session_key) is not None:
            return
        prefix = f"{start_clocks(session_key)}-"
        rows = [
            (str(key), str(_from_db("path", path)))
            for key, path in self._conn.execute(
                "SELECT session_key, path FROM sessions WHERE substr(session_key, 1, ?) = ?",
                (len(prefix), prefix),
            )
        ]
        earlier = _not_yet_rekeyed(rows, session_key)
        if earlier is not None:
            self._conn.execute(
                "UPDATE sessions SET session_key = ? WHERE session_key = ?",
                (session_key, earlier),
            )
            _alias(self._conn, earlier, session_key)

    def _current_key(self, session_key: str) -> str:
        """``session_key``, or the key its session has now when it is an earlier one
        (``session_aliases``, schema v7)."""
        record = self._conn.execute(
            "SELECT session_key FROM session_aliases WHERE earlier_key = ?", (session_key,)
        ).fetchone()
        return session_key if record is None else str(record[0])

    def _exports_name(self, session_key: str) -> bool:
        """Whether a row is of a re-import of the session of ``session_key``."""
        return (
            self._conn.execute(
                "SELECT 1 FROM sessions WHERE exported_session = ? LIMIT 1", (session_key,)
            ).fetchone()
            is not None
        )

    def aliases(self) -> dict[str, str]:
        """Every earlier key the history knows (schema v7), with its session's key now."""
        with self._reading():
            return {
                str(earlier): str(key)
                for earlier, key in self._conn.execute(
                    "SELECT earlier_key, session_key FROM session_aliases"
                )
            }

    def _refuse_damaged(self, key: str, row: Mapping[str, Any], damaged: str) -> None:
        """Raise :class:`DamagedCopy` when a row holds the session of ``key``, another of its
        start clocks, or ``row``'s path."""
        clocks = start_clocks(key)
        prefix = f"{clocks}-"
        held = self._conn.execute(
            "SELECT path FROM sessions WHERE session_key = ? OR substr(session_key, 1, ?) = ? "
            "OR path = ? ORDER BY path = ? DESC",
            (clocks, len(prefix), prefix, row["path"], row["path"]),
        ).fetchone()
        if held is None:
            return
        shown = readable_path(_from_db("path", row["path"]))
        held_path = str(_from_db("path", held[0]))
        if held[0] == row["path"]:
            kept = "the history keeps its row, from when it read whole"
        else:
            kept = f"the history keeps the row of {readable_path(held_path)}"
        raise DamagedCopy(
            f"{shown}: damaged ({damaged}): not added; {kept}",
            "add an undamaged copy of the recording to move the row to it",
        )

    def _refuse_if_shorter(self, key: str, held_path: str, row: Mapping[str, Any]) -> None:
        """Raise :class:`ShorterCopy` when the row of ``key`` (from ``held_path``) is of a
        longer recording than cut-short ``row``."""
        held = self._conn.execute(
            "SELECT duration_s FROM sessions WHERE session_key = ?", (key,)
        ).fetchone()[0]
        if _check_value("duration_s", held) is not None:
            return  # no length to keep: the row is rewritten from this recording
        held_s = float(held)
        new_s = float(row["duration_s"])
        if new_s < held_s:
            gone = "" if Path(held_path).exists() else ", no longer there"
            raise ShorterCopy(
                f"{readable_path(_from_db('path', row['path']))}: cut short at "
                f"{new_s / 60:.1f} min, a copy of {readable_path(held_path)} ({held_s / 60:.1f} "
                f"min{gone}), whose row the history keeps: not added",
                "add the complete recording to move the row to it",
            )

    def _export_refusal(self, row: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why the history does not take ``row`` (message, advice): a re-import of a session it
        holds, or holds another re-import of; None when it takes it."""
        original_key = row.get("exported_session")
        if not original_key:
            return None
        shown = readable_path(_from_db("path", row["path"]))
        # Held under the key an older Breathwise gave it (its start clocks alone) until it is
        # added again: still the session the export is of (without this, counted twice).
        original = self.get(str(original_key)) or self.get(start_clocks(str(original_key)))
        if original is not None:
            when = original.start_text
            return (
                f"{shown}: imported from an export of the session of {when} "
                f"({Path(original.path).name}), which the history already holds: "
                "not added again",
                "its own recording is the fuller one",
            )
        # The original is elsewhere (another machine): the first re-import added stands for
        # it. Another one (the export's ECG file besides its beats, the same file imported
        # with another --start) is the same practice again.
        other = self._conn.execute(
            "SELECT path FROM sessions WHERE exported_session = ? AND session_key != ?",
            (str(original_key), row["session_key"]),
        ).fetchone()
        if other is None:
            return None
        return (
            f"{shown}: imported from an export of the same session as "
            f"{readable_path(Path(_from_db('path', other[0])).name)}, which the history already "
            "holds: not added again",
            "the history keeps one row per session: the first re-import added, until "
            "its original is",
        )

    def _link_older_imports(self, session_key: str, start_wall_ns: int) -> None:
        """Fill in ``exported_session`` of rows stored before the history kept it (schema v5,
        NULL) that may be re-imports of ``session_key``: read from their recordings' headers.

        Without this, a v5 history holding a re-import and its original kept both rows
        after the upgrade, and adding the original again removed nothing. A re-import without
        ``--start`` starts when its original did, so only rows of that start are read (a few
        header lines); one whose recording cannot be read, or names no original, stays as it
        is: a row is never dropped on a guess.
        """
        candidates = self._conn.execute(
            "SELECT session_key, path FROM sessions "
            "WHERE exported_session IS NULL AND start_wall_ns = ? AND session_key != ?",
            (start_wall_ns, session_key),
        ).fetchall()
        for key, path in candidates:
            original = _exported_session(Path(_from_db("path", path)))
            if original is not None:
                self._conn.execute(
                    "UPDATE sessions SET exported_session = ? WHERE session_key = ?",
                    (original, key),
                )

    def _drop_exports_of(self, session_key: str) -> tuple[str, ...]:
        """Delete the rows of recordings imported from an export of ``session_key``; their
        paths."""
        found = self._conn.execute(
            "SELECT path FROM sessions WHERE exported_session = ? AND session_key != ?",
            (session_key, session_key),
        ).fetchall()
        if found:
            self._conn.execute(
                "DELETE FROM sessions WHERE exported_session = ? AND session_key != ?",
                (session_key, session_key),
            )
        return tuple(str(_from_db("path", record[0])) for record in found)

    def _path_of(self, session_key: str) -> str | None:
        record = self._conn.execute(
            "SELECT path FROM sessions WHERE session_key = ?", (session_key,)
        ).fetchone()
        return None if record is None else str(_from_db("path", record[0]))

    def get(self, session_key: str) -> SessionRow | None:
        """The row of one session, or None.

        Raises
        ------
        HistoryError
            The history cannot be read.
        """
        with self._reading():
            cursor = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM sessions WHERE session_key = ?", (session_key,)
            )
            record = cursor.fetchone()
        return SessionRow.from_db(record) if record is not None else None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a failed read as :class:`HistoryError` (a damaged file shows only when the
        damaged pages are read, long after the open succeeded), and a row holding what no
        Breathwise writes (:class:`DamagedRow`) as damage too."""
        try:
            yield
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "read") from None
        except DamagedRow as exc:
            raise damaged_row_error(self.path, exc) from None

    def list_sessions(self, since_wall_ns: int | None = None) -> list[SessionRow]:
        """Sessions in start order, optionally only those starting at or after ``since_wall_ns``."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM sessions"
        params: Sequence[int] = ()
        if since_wall_ns is not None:
            sql += " WHERE start_wall_ns >= ?"
            params = (since_wall_ns,)
        sql += " ORDER BY start_wall_ns, session_key"
        with self._reading():
            return [SessionRow.from_db(record) for record in self._conn.execute(sql, params)]

    def remove_paths(self, paths: Sequence[Path]) -> list[Removed]:
        """Remove the row of the recording at each of ``paths``, all of them or none, and say
        which; the recordings themselves are left alone. A path that no longer exists is
        matched too (a "(gone)" row, the usual one to remove), as given made absolute or
        resolved as :func:`_store` stores it.

        A path names one row: when several do (a session whose file was deleted and the name
        used again by another, listed "(gone)": :func:`superseded_keys`), the row written last,
        the recording there now, is removed and the others stay. Without this, every row
        at the path went, the earlier session's too, whose numbers could not be added again
        (its recording deleted), and the message named one. Given again, the path then
        removes the next.

        Returns
        -------
        list of Removed
            One per distinct path, in the order given.

        Raises
        ------
        UserError
            A path has no row; nothing is removed then.
        HistoryError
            The history cannot be written.
        """
        removed: list[Removed] = []
        try:
            with _write(self._conn):
                for path in dict.fromkeys(paths):  # a path given twice is removed once
                    forms = {str(path.absolute()), str(resolved(path))}
                    places = ", ".join("?" * len(forms))
                    where = [_path_to_db(form) for form in forms]
                    held = self._conn.execute(
                        "SELECT session_key, path, start_wall_ns FROM sessions "
                        f"WHERE path IN ({places}) "
                        "ORDER BY updated_wall_ns DESC, start_wall_ns DESC, session_key",
                        where,
                    ).fetchall()
                    if not held:  # raised inside _write: rolled back, none removed
                        raise UserError(
                            f"{readable_path(path)}: no such recording in the history; "
                            "nothing removed",
                            "'breathwise history --paths' lists the paths it holds",
                        )
                    key, stored, start_wall_ns = held[0]
                    # Removed on purpose: kept out, or the next live start names it as a
                    # session killed before it could add itself.
                    self._keep_out({str(key): str(_from_db("path", stored))}, REMOVED)
                    self._conn.execute("DELETE FROM sessions WHERE session_key = ?", (key,))
                    removed.append(Removed(path, int(start_wall_ns), len(held) - 1))
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "write") from None
        return removed

    def keep_out(self, sessions: Mapping[str, str], reason: str) -> None:
        """Record ``sessions`` (key -> recording path) as kept out of the history on purpose
        for ``reason`` (:data:`REMOVED`, :data:`KEPT_OUT_IMPORT`): :func:`not_in_history`
        leaves them alone until one is added again (:meth:`store`).

        Raises
        ------
        HistoryError
            The history cannot be written.
        """
        try:
            with _write(self._conn):
                self._keep_out(sessions, reason)
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "write") from None

    def _keep_out(self, sessions: Mapping[str, str], reason: str) -> None:
        """:meth:`keep_out`, in a write transaction."""
        now_ns = time.time_ns()
        self._conn.executemany(
            "INSERT OR REPLACE INTO kept_out (session_key, path, reason, kept_out_wall_ns) "
            "VALUES (?, ?, ?, ?)",
            [(key, _path_to_db(path), reason, now_ns) for key, path in sessions.items()],
        )

    def kept_out(self) -> dict[str, str]:
        """The sessions kept out of the history on purpose: key -> recording path."""
        with self._reading():
            return {
                str(key): str(_from_db("path", path))
                for key, path in self._conn.execute("SELECT session_key, path FROM kept_out")
            }

    def imported_over(self) -> dict[str, tuple[str, int]]:
        """The paths an ``import --no-history`` wrote a recording to, each with that session's
        key and when (Unix ns): a row of another session at such a path, written before,
        names a file that is no longer its own (:func:`superseded_keys`)."""
        with self._reading():
            return {
                str(_from_db("path", path)): (str(key), int(wall_ns))
                for key, path, wall_ns in self._conn.execute(
                    "SELECT session_key, path, kept_out_wall_ns FROM kept_out "
                    "WHERE reason = ? ORDER BY kept_out_wall_ns",
                    (KEPT_OUT_IMPORT,),
                )
            }

    def recording_folders(self) -> dict[str, int]:
        """The folders ``live`` recorded to, each with when a start last looked in it for
        recordings the history lacks (Unix ns; :func:`killed_sessions`)."""
        with self._reading():
            return {
                str(_from_db("path", folder)): int(looked_ns)
                for folder, looked_ns in self._conn.execute(
                    "SELECT folder, checked_wall_ns FROM recording_folders"
                )
            }

    def mark_looked(self, folders: Sequence[Path], looked_wall_ns: int) -> None:
        """Record that a ``live`` start looked in ``folders`` at ``looked_wall_ns`` (Unix ns)
        for recordings the history lacks (:func:`killed_sessions`).

        Raises
        ------
        HistoryError
            The history cannot be written.
        """
        try:
            with _write(self._conn):
                self._conn.executemany(
                    "INSERT INTO recording_folders (folder, checked_wall_ns) VALUES (?, ?) "
                    "ON CONFLICT (folder) DO UPDATE SET checked_wall_ns = excluded.checked_wall_ns",
                    [(_path_to_db(_folder_key(folder)), looked_wall_ns) for folder in folders],
                )
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "write") from None

    def delete(self, session_key: str) -> bool:
        """Remove one session's row; True if there was one."""
        try:
            with _write(self._conn):
                cursor = self._conn.execute(
                    "DELETE FROM sessions WHERE session_key = ?", (session_key,)
                )
        except sqlite3.Error as exc:
            raise history_error(self.path, exc, "write") from None
        return cursor.rowcount > 0


def _store(
    metrics: Mapping[str, Any],
    path: Path | str,
    *,
    db_path: Path | None,
    legacy_key: str | None,
    earlier_key: str | None,
    complete: bool,
    timeout_ms: int | None,
    damaged: str = "",
) -> Stored:
    values = dict(metrics)
    values["path"] = str(resolved(Path(path)))
    with History(db_path, timeout_ms=timeout_ms) as history:
        return history.store(
            values,
            legacy_key=legacy_key,
            earlier_key=earlier_key,
            complete=complete,
            damaged=damaged,
        )


def superseded_keys(
    rows: Iterable[SessionRow], imported_over: Mapping[str, tuple[str, int]] | None = None
) -> frozenset[str]:
    """Keys of the rows whose path another row, written later, names: the file there is that
    row's recording now, not theirs (a path holds one recording), so theirs is gone.

    Such a row is another session (of another start: one of the same start is replaced when
    the later one is added, :meth:`History._drop_earlier_at_path`) whose file was deleted and
    the name used again (without this, the older row still claimed the file, not "(gone)").
    Its session stays in the history, and in ``progress``, as a deleted recording's does.
    A recording imported with ``--no-history`` to a row's path since the row was written
    (``imported_over``: :meth:`History.imported_over`) took it as well (without this, the
    row of the deleted file still claimed the new one's path).

    Examples
    --------
    >>> a = SessionRow("a", "/r/x.bwr", 1, 60.0, updated_wall_ns=5)
    >>> b = SessionRow("b", "/r/x.bwr", 2, 60.0, updated_wall_ns=9)
    >>> sorted(superseded_keys([a, b, SessionRow("c", "/r/y.bwr", 3, 60.0)]))
    ['a']
    >>> sorted(superseded_keys([a, b], {"/r/x.bwr": ("d", 12)}))
    ['a', 'b']
    """
    latest: dict[str, SessionRow] = {}
    older: set[str] = set()
    for row in rows:
        taken = (imported_over or {}).get(row.path)
        if taken is not None and taken[0] != row.session_key and taken[1] > row.updated_wall_ns:
            older.add(row.session_key)
        held = latest.get(row.path)
        if held is None:
            latest[row.path] = row
            continue
        newer, other = (row, held) if row.updated_wall_ns > held.updated_wall_ns else (held, row)
        latest[row.path] = newer
        older.add(other.session_key)
    return frozenset(older)


def list_sessions(
    since_wall_ns: int | None = None, *, db_path: Path | None = None
) -> list[SessionRow]:
    """All sessions of the history in start order (see :meth:`History.list_sessions`); read
    alone when the history cannot be written (a read-only mount, a full disk)."""
    with History(db_path, read_only_ok=True) as history:
        return history.list_sessions(since_wall_ns)


def not_in_history(
    folder: Path, *, db_path: Path | None = None, timeout_ms: int | None = None
) -> list[Path]:
    """Recordings in ``folder`` that the history lacks and that were written after the last
    look for them there: what a session killed before it could add itself (``kill -9``, a
    power cut) leaves behind. Reads the history alone (:func:`killed_sessions` is what a
    ``live`` start calls: it looks in every folder sessions recorded to, and records the look).

    The last look (:meth:`_Holdings.looked_ns`) is the later of the latest ``live`` start
    that looked in ``folder`` (table ``recording_folders``, schema v8) and the latest start
    of a session ``live`` recorded there (:data:`LIVE_KINDS`) that the history holds, each
    only if not after now: a file's time and such a start are read from the same clock, this
    host's. Per folder: with one latest start for the whole history, one
    session recorded to another folder (``live --out``) after a session was killed hid it
    for good. An import's start is its data's (a file's times, a ``--start``), a sample's is
    fixed, and a start after now is a wrong clock (:func:`implausible_start`); found in
    review: one session dated four years ahead hid every killed session from the note, and
    an import dated later that day would have hidden one killed before it. A re-imported
    export (``exported_session``) is an import too, though it keeps its original's source.

    Left alone too, whatever their time:

    - a session the person took out of the history (``history --remove``) or kept out of it
      (``import --no-history``), by its key (moved or renamed since too) or its path (table
      ``kept_out``), until it is added again (without this, a test session removed on
      purpose was named at the next start as a killed session, with the command that undid
      the removal);
    - a recording with no sensor data in it (:func:`_holds_sensor_data`), which
      :func:`add_recording` refuses as nothing to add (without this, the note asked for a
      ``history --add`` that then said "skipped ... nothing to add");
    - a recording imported from an export of a session the history holds, itself or through
      another re-import (adding it is refused: :meth:`History.store`), and one of a session
      the history holds under another file's row (:func:`_session_held`);
    - a recording another session is still writing (:func:`being_written`): it adds itself at
      its end.

    ``timeout_ms`` is how long to wait for a busy history.

    Raises
    ------
    HistoryError
        The history cannot be opened or read.
    """
    with History(db_path, timeout_ms=timeout_ms, read_only_ok=True) as history:
        holdings = _Holdings.read(history)
    return holdings.missing(folder, time.time_ns())


def killed_sessions(
    folder: Path, *, db_path: Path | None = None, timeout_ms: int | None = None
) -> list[tuple[Path, list[Path]]]:
    """What a ``live`` start about to record to ``folder`` names: :func:`not_in_history` of
    ``folder`` and of every other folder known to the history (table ``recording_folders``,
    the folders of the sessions ``live`` recorded), each with what it holds, ``folder``
    first, folders without any left out. Then it records the look in each folder it could
    read, so that what it named is not named again at the next start; a folder that is not
    there now (a drive unmounted) keeps its last look, and its files are named when it is
    back. The look's time is taken before any folder is read, less :data:`MTIME_SLACK_NS`,
    so that a file written meanwhile, or just after, is named at the next start.

    Without this, a session killed while recording to ``--out DIR`` was named only if the
    very next session recorded to the same folder; one session elsewhere first, and it stayed
    out of the history, never named. Now it is named at the next start in any folder.

    A history that can only be read (a read-only mount, a full disk) or is busy for longer
    than ``timeout_ms`` cannot record the look: the same recordings are named again at the
    next start.

    Raises
    ------
    HistoryError
        The history cannot be opened or read.
    """
    now_ns = time.time_ns()
    looked_ns = now_ns - MTIME_SLACK_NS
    found: list[tuple[Path, list[Path]]] = []
    looked: list[Path] = []
    with History(db_path, timeout_ms=timeout_ms, read_only_ok=True) as history:
        holdings = _Holdings.read(history)
        here = _folder_key(folder)
        others = [Path(other) for other in sorted(holdings.folders() - {here})]
        for place in (folder, *others):
            try:
                # Not there, or not ours to read now: looked in when it is.
                if place is not folder and not os.access(place, os.R_OK | os.X_OK):
                    continue
                missing = holdings.missing(place, now_ns)
            except OSError:
                continue  # unreadable now: looked at when it can be
            looked.append(place)
            if missing:
                found.append((place, missing))
        if not history.read_only:
            # Only a note's bookkeeping: a busy history costs a note repeated, never a start.
            with suppress(HistoryError):
                history.mark_looked(looked, looked_ns)
    return found


def keep_out(
    recording: Path,
    reason: str,
    *,
    db_path: Path | None = None,
    timeout_ms: int | None = None,
) -> bool:
    """Record that ``recording`` is kept out of the history on purpose (``reason``, e.g.
    :data:`KEPT_OUT_IMPORT`), so that a ``live`` start does not name it as a killed session
    (:func:`not_in_history`); adding it later (:meth:`History.store`) takes the mark away.

    Only a history that exists is written: one created for this alone would be a history the
    person did not ask for (``import --no-history`` into a fresh data folder); the first
    ``live`` start then names the recording, once, with the command that adds it.

    Returns
    -------
    bool
        Whether the mark was recorded (False: no history yet).

    Raises
    ------
    RecordingError
        The recording's header cannot be read.
    HistoryError
        The history cannot be written.
    """
    path = db_path if db_path is not None else default_db_path()
    if not path.is_file():
        return False
    key = _recording_keys(read_header(recording))[0]
    with History(path, timeout_ms=timeout_ms) as history:
        history.keep_out({key: str(resolved(recording))}, reason)
    return True


def _folder_key(folder: Path) -> str:
    """``folder`` as the history names it: resolved, as a row's path is (:func:`_store`)."""
    return str(resolved(folder))


def _recording_keys(header: Header) -> tuple[str, str, str]:
    """The keys the session of a recording with ``header`` has had: its key now, its key of
    history schemas v5 and v6 (:func:`~trainer.storage.recording.earlier_header_digest`),
    and its start clocks alone (an older Breathwise's)."""
    clocks = f"{header.start_wall_ns}-{header.start_mono_ns}"
    return f"{clocks}-{header_digest(header)}", f"{clocks}-{earlier_header_digest(header)}", clocks


@dataclass(frozen=True, slots=True)
class _Holdings:
    """What the history holds that tells whether a recording is missing from it
    (:func:`not_in_history`), read once for every folder a start looks in."""

    rows: tuple[SessionRow, ...]
    aliases: Mapping[str, str]
    kept_out: Mapping[str, str]
    """Key -> path of the sessions kept out on purpose (table ``kept_out``)."""
    looks: Mapping[str, int]
    """Folder -> when a ``live`` start last looked in it (Unix ns, ``recording_folders``)."""

    @classmethod
    def read(cls, history: History) -> _Holdings:
        """Read what :func:`not_in_history` needs from an open history."""
        return cls(
            tuple(history.list_sessions()),
            history.aliases(),
            history.kept_out(),
            history.recording_folders(),
        )

    def _live_rows(self, now_ns: int) -> Iterator[SessionRow]:
        """The rows of sessions ``live`` recorded on this host's clock, not after now."""
        for row in self.rows:
            # A re-imported export keeps its original's source and start: those are another
            # recording's (another machine's) clock, not a start live recorded here.
            if (
                row.source in LIVE_KINDS
                and row.exported_session is None
                and row.start_wall_ns <= now_ns
            ):
                yield row

    def folders(self) -> set[str]:
        """Every folder ``live`` recorded to, as far as the history knows."""
        return set(self.looks) | {os.path.dirname(row.path) for row in self._live_rows(2**63)}

    def looked_ns(self, folder: str, now_ns: int) -> int:
        """When ``folder`` (as :func:`_folder_key` names it) was last looked in: the later of
        a start's look and the latest start of a ``live`` session held from it, neither after
        ``now_ns`` (a wrong clock then); 0 when never."""
        look = self.looks.get(folder, 0)
        started = (
            row.start_wall_ns
            for row in self._live_rows(now_ns)
            if os.path.dirname(row.path) == folder
        )
        return max(look if look <= now_ns else 0, max(started, default=0))

    def missing(self, folder: Path, now_ns: int) -> list[Path]:
        """The recordings in ``folder`` :func:`not_in_history` names, at ``now_ns``."""
        from trainer.storage.recording import SUFFIX

        files = sorted(folder.glob(f"*{SUFFIX}"))
        if not files:
            return []
        since_ns = self.looked_ns(_folder_key(folder), now_ns)
        # Paths as the history stores them, resolved (_store), and as kept out (keep_out).
        left = {row.path for row in self.rows} | set(self.kept_out.values())
        # The sessions a re-import's adding is refused for (History._export_refusal): held as
        # themselves, or (the original elsewhere) through another re-import of theirs.
        keys = {row.session_key for row in self.rows}
        held = keys | {r.exported_session for r in self.rows if r.exported_session is not None}
        # An export written before schema v7 names its original by the earlier key.
        held |= {earlier for earlier, key in self.aliases.items() if key in held}
        # The sessions the history holds, by every key they had: a recording whose row the
        # upgrade to v7 merged into another's (two versions' recordings of one session) is held.
        identities = keys | {earlier for earlier, key in self.aliases.items() if key in keys}
        # Rows that may still have their earlier key (their recordings unreadable at the upgrade).
        by_path = [(row.session_key, row.path) for row in self.rows]
        return [
            file
            for file in files
            if str(resolved(file)) not in left
            and _mtime_ns(file) > since_ns
            # Last: they open the file, and only the few files left come this far.
            and not being_written(file)
            and not _refused_as_held(_exported_session(file), held, by_path)
            and not _session_held(file, identities, by_path)
            and not _kept_out(file, self.kept_out)
            and _holds_sensor_data(file)
        ]


def _mtime_ns(file: Path) -> int:
    """When ``file`` was last written (Unix ns); -1 when it is gone since it was listed."""
    try:
        return file.stat().st_mtime_ns
    except OSError:
        return -1


def _kept_out(recording: Path, kept_out: Mapping[str, str]) -> bool:
    """Whether the session of ``recording`` is kept out of the history on purpose: one of its
    keys (:func:`_recording_keys`: a row removed may have had an older one) is a key of
    ``kept_out``. False when its header cannot be read."""
    if not kept_out:
        return False
    try:
        header = read_header(recording)
    except (RecordingError, OSError, ValueError):
        return False
    return any(key in kept_out for key in _recording_keys(header))


def _session_held(recording: Path, identities: set[str], rows: Sequence[tuple[str, str]]) -> bool:
    """Whether the history holds the session of ``recording`` under another file's row: its
    key, its earlier key (schemas v5, v6) or its start clocks (the key of schemas v2-v4's
    rows) is among ``identities`` (the rows' keys and their aliases), or a row of ``rows``
    (key, path) not yet re-keyed is of its session (:func:`_not_yet_rekeyed`). False when its
    header cannot be read.

    Without this, after the upgrade to v7 merged the rows of two recordings of one
    session, the one whose row went was named at every ``live`` start as a session stopped
    before it could add itself."""
    try:
        header = read_header(recording)
    except (RecordingError, OSError, ValueError):
        return False
    # The start clocks alone: the key of a row an older Breathwise (schemas v2, v3) wrote,
    # which History.store takes over. Left out, every session of such a history was named
    # "not in your history" once its folder moved.
    return (
        any(k in identities for k in _recording_keys(header))
        or _not_yet_rekeyed(rows, _recording_keys(header)[0]) is not None
    )


def _refused_as_held(
    exported_session: str | None, held: set[str], rows: Sequence[tuple[str, str]] = ()
) -> bool:
    """Whether ``history --add`` refuses a recording imported from an export of
    ``exported_session`` (None: not a re-import) when ``held`` are the session keys and the
    re-imports' originals the history holds; the original may be held under its older key,
    the start clocks alone or, in a row of ``rows`` (key, path) the upgrade to v7 could not
    re-key, the key its header digest had with the software string (:func:`_not_yet_rekeyed`,
    which :meth:`History.store` re-keys when it refuses the re-import)."""
    if exported_session is None:
        return False
    return (
        exported_session in held
        or start_clocks(exported_session) in held
        or _not_yet_rekeyed(rows, exported_session) is not None
    )


def _holds_sensor_data(recording: Path) -> bool:
    """Whether ``recording`` holds a sensor packet with data in it, or is of a session
    practised without a sensor (``--device none``, added with no data by design): else
    :func:`add_recording` has nothing to add. Reads up to the first such packet (a session's
    first lines), or the whole of a file without any (short, a strap that only ever said
    "no beat": notifications of 0 bpm without RR intervals, or a belt that only answered
    commands, which :func:`add_recording` refuses; the startup note had named such a file,
    then ``history --add`` refused it).

    A file whose header the reader refuses (:func:`~trainer.storage.recording.read_header`:
    empty, all zero bytes, a header cut short or damaged: what a power cut or a session
    killed as it began leaves) holds nothing to add either; the note had named such files
    too. Damage further on is not judged here: ``history --add`` names its
    line, and the rest of the session may be worth the edit."""
    try:
        header = read_header(recording)
    except RecordingError:
        return False
    if is_sensorless(header.source.kind):
        return True
    try:
        with recording.open("rb") as handle:
            handle.readline()  # the header, read above
            for line in handle:
                # A cut-off last line or damage: not ours to judge here.
                with suppress(ValueError):
                    item = json_loads(line)
                    if item.get("k") == "p" and _packet_has_data(item):
                        return True
    except (OSError, AttributeError):
        return True  # it changed since (OSError), or a line is no object: --add judges it
    return False


def _packet_has_data(item: Mapping[str, Any]) -> bool:
    """Whether a recorded packet can hold a measurement: a heart-rate notification with a
    heart rate or RR intervals (heart rate alone is data: a strap may send no intervals, and
    :func:`add_recording` adds its session), a belt notification that begins a measurement
    packet (its command replies share the characteristic), or any Polar packet. One that
    cannot be decoded counts as data: ``history --add`` judges it. A notification saying
    0 bpm without intervals ("no beat yet", before skin contact) is not data."""
    stream = item.get("s")
    try:
        payload = bytes.fromhex(str(item["d"]))
        if stream == Stream.GODIRECT.value:
            return is_measurement_packet(payload)
        if stream != Stream.HEART_RATE.value:
            return True
        hrm = decode_heart_rate_measurement(payload)
    except (DecodeError, KeyError, ValueError):
        return True
    return bool(hrm.rr_raw) or hrm.hr_bpm > 0


_NOTHING_ADVICE = "nothing to add; the file can be deleted"


def _nothing_measured(summary: Mapping[str, Any]) -> str:
    """Why a recording holds no measurement, as its packets tell it: none at all (the sensor
    never connected, or the session ended first), or packets without a measurement in them (a
    sensor connected but sent no data). Never "it never connected" for a file holding packets."""
    packets = sum(int(n) for n in (summary.get("packets") or {}).values())
    if not packets:
        return (
            "no sensor data in it (the sensor sent nothing: it never connected, or the session "
            "ended before its first data)"
        )
    silent = " and ".join(summary.get("sensors_silent") or ()) or "sensor"
    return (
        f"no sensor data in it ({packets} packets, none with a measurement: the {silent} "
        "connected but sent no data)"
    )


_HEADER_MAX_BYTES = 1 << 20
"""A recording's header line is far shorter; a longer first line is not one (not read on)."""


def _exported_session(recording: Path) -> str | None:
    """The ``exported_session`` setting of a recording's header (the key of the session it was
    exported from: :mod:`trainer.storage.imports.export_sidecar`), or None, also when the file
    cannot be read."""
    from trainer.storage.export import exported_session_of

    try:
        with recording.open("rb") as handle:
            header = json_loads(handle.readline(_HEADER_MAX_BYTES))
        return exported_session_of(header["settings"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def record_session(
    recording: Path | str, *, db_path: Path | None = None, timeout_ms: int | None = None
) -> SessionRow:
    """Analyse a recording and add it to the history, or refresh its row; the row.

    :func:`add_recording` without saying which row it replaced.
    """
    return add_recording(recording, db_path=db_path, timeout_ms=timeout_ms).row


def add_recording(
    recording: Path | str,
    *,
    db_path: Path | None = None,
    timeout_ms: int | None = None,
    progress: ProgressCallback | None = None,
) -> Stored:
    """Analyse a recording and add it to the history, or refresh its row.

        The hook to call when a live session has closed its recording, and what ``breathwise
        history --add`` runs for each file.

        A recording without any sensor data (the sensor never connected) is not practice: it is
        refused, so that it neither shows as a session nor counts toward a streak. A session
        practised without a sensor (``--device none``) has none by design and is added: its
        minutes count, its measures stay empty; so is one whose sensor was lost before its
        first data and did not come back (it carried on without it), with when it was lost.
        A recording a running session still writes is refused (:class:`StillRecording`):
        that session adds it as it ends, as the startup check (:func:`not_in_history`)
        leaves it to it. ``timeout_ms`` is how long to wait for a
        busy history (:class:`History`; a live session's end waits
    :data:`SESSION_END_TIMEOUT_MS`). ``progress`` is told the fraction done of the analysis,
        nearly all of the time it takes (:mod:`analysis.progress`).

        Raises
        ------
        UserError
            The recording cannot be read, holds no sensor data, is still being recorded, is a
            damaged copy of a session the history holds (:class:`DamagedCopy`), or the
            history cannot be written.
    """
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.export import exported_session_of

    if Path(recording).is_fifo():
        # Read from a pipe (<(zcat x.bwr.gz)), the row named "pipe:[761863]", a recording that
        # is gone at once, and took over the row of the file it came from.
        raise UserError(
            f"{recording}: a pipe, not a file: the history keeps where each recording is",
            "save the recording to a file, then add that file",
        )
    if being_written(Path(recording)):
        raise StillRecording(
            f"{recording}: {STILL_RECORDING_NOTE}",
            "it adds itself to the history when it ends",
        )

    analysis = analyse_recording(recording, progress=progress)
    # A strap without RR intervals measured the heart rate: minutes practised with that.
    reported_hr = analysis.summary.get("hr_basis") == "device"
    measured = analysis.belt_values.size or analysis.rr_ms.size or analysis.breaths or reported_hr
    # Since when no sensor sent data, and none came back (a session that carried on without
    # them): its numbers are of the time before.
    lost_from_s = analysis.summary.get("no_data_from_s")
    # A sensor lost before its first data, the session carried on: practised without a
    # sensor, as one with --device none is (it was refused as "nothing measured; the file
    # can be deleted", the evening's minutes and streak lost).
    if not measured and not is_sensorless(analysis.source_kind) and lost_from_s is None:
        if analysis.ecg_without_beats:
            # Not "the file can be deleted": its ECG gives the beats when its CSV is imported
            # again.
            raise NoSensorData(
                f"{recording}: it holds an ECG but no heartbeats (imported by a Breathwise "
                "that did not take beats from an ECG)",
                "import its CSV again to get them",
            )
        raise NoSensorData(f"{recording}: {_nothing_measured(analysis.summary)}", _NOTHING_ADVICE)
    # The original's key when this is a re-import of a Breathwise CSV export
    # (trainer.storage.imports.export_sidecar).
    exported = exported_session_of(analysis.settings)
    stored = _store(
        {**analysis.metrics(), "exported_session": exported, "sensor_lost_from_s": lost_from_s},
        recording,
        db_path=db_path,
        legacy_key=analysis.legacy_session_key,
        earlier_key=analysis.earlier_session_key,
        # As the reader found the file (no closing record: a killed session, a copy cut
        # short), not as ``ended`` words it: a copy of an import cut short still says
        # "imported".
        complete=not analysis.truncated,
        timeout_ms=timeout_ms,
        damaged=analysis.damage,
    )
    note = analysis.changed_note(HISTORY_ROW_SUBJECT)
    if not _shows_numbers(analysis.recorded_summary) and _same_session_row(stored):
        # No closing summary to compare with (an import's holds only where it came from, a
        # killed session has none): the row it replaces is the only record of what the person
        # was shown (without this, an H10 import's rate 9.8 -> none, RSA 2.3 -> none,
        # coherence 3.0 -> 1.4, without a word).
        assert stored.previous_row is not None
        note = row_changed_note(
            stored.previous_row,
            stored.row,
            software=analysis.software,
            revision=analysis.analysis_revision,
        )
    return replace(
        stored,
        changed_note=note,
        damage=analysis.damage,
        ecg_without_beats=analysis.ecg_without_beats,
    )


def _shows_numbers(summary: SessionSummary | None) -> bool:
    """Whether a recording's closing summary holds any number a person read
    (:data:`trainer.ui.headless.SHOWN_NUMBERS`): an import's holds only its provenance
    (``imported``, ``source_file``), a killed session's is None."""
    from trainer.ui.headless import SHOWN_NUMBERS

    return summary is not None and any(n.value(summary)[0] for n in SHOWN_NUMBERS)


def _same_session_row(stored: Stored) -> bool:
    """Whether :attr:`Stored.previous_row` is this recording's session's row written before:
    not one taken over by its start clocks alone from another path (``legacy``: possibly
    another session that shared the start)."""
    if stored.previous_row is None:
        return False
    return not (stored.legacy and stored.previous_path != stored.row.path)


ROW_SHOWN_KEYS: tuple[tuple[str, str], ...] = (
    ("breaths", "breaths"),
    ("median_rate_bpm", "median_rate_bpm"),
    ("breath_source", "breath_source"),
    ("mean_ratio", "mean_ratio"),
    ("mean_follow_score", "mean_follow_score"),
    ("hr_start_bpm", "hr_start_bpm"),
    ("mean_rsa_bpm", "rsa_bpm"),
    ("coherence_score", "coherence_score"),
    ("gaps", "gaps"),
    ("marks", "marks"),
    ("duration_s", "duration_s"),
)
"""The numbers of :data:`trainer.ui.headless.SHOWN_NUMBERS` a history row holds: each
summary key with its column (``minutes_practised`` is :attr:`SessionRow.practised_min`)."""


def _row_as_summary(row: SessionRow) -> dict[str, Any]:
    """``row``'s numbers under the summary keys :func:`trainer.ui.headless.changed_numbers`
    compares (:data:`ROW_SHOWN_KEYS`; minutes practised as ``progress`` counts them)."""
    numbers: dict[str, Any] = {key: getattr(row, column) for key, column in ROW_SHOWN_KEYS}
    numbers["minutes_practised"] = row.practised_min
    if numbers["breath_source"] is None:
        # Not held, as a summary that lacks it: the column was added in schema v3, and a row
        # of an older history holds NULL there ("rate from - -> belt" of every such row). A
        # rate that came or went is named by "median rate".
        del numbers["breath_source"]
    return numbers


def row_changed_note(
    before: SessionRow, after: SessionRow, *, software: str, revision: int | None
) -> str:
    """One line naming the numbers of a history row that a refresh changed, for a recording
    with no closing summary to compare today's analysis with (an import, a session cut
    short); ``""`` when every number reads the same at the shown precision.

    The labels, formats and tolerance are those of the note comparing a closing summary
    (:func:`trainer.ui.headless.changed_numbers`, :data:`~trainer.ui.headless.SHOWN_NUMBERS`).
    The row does not record which analysis wrote it; the recording's header names the
    revision it was made under (``revision``, None before recordings named it), and
    ``software`` the Breathwise that wrote it.
    """
    from trainer import ANALYSIS_REVISION, SOFTWARE
    from trainer.ui.headless import changed_numbers

    changes = changed_numbers(
        cast("SessionSummary", _row_as_summary(before)),
        cast("SessionSummary", _row_as_summary(after)),
    )
    if not changes:
        return ""
    writer = software or "an unnamed Breathwise"
    today = f"today's analysis ({SOFTWARE}, analysis revision {ANALYSIS_REVISION})"
    if revision is None:
        made = (
            f"the recording was made by {writer}, from before recordings named their analysis "
            "revision (unnamed)"
        )
    elif revision == ANALYSIS_REVISION:
        made = (
            f"the recording was made under this analysis revision ({revision}, {writer}), so "
            "the earlier row came from an analysis change that did not raise the revision, a "
            "history edited by hand, or a fault (please report it with the recording)"
        )
    else:
        which = "an earlier" if revision < ANALYSIS_REVISION else "a later"
        made = f"the recording was made under {which} analysis revision ({revision}, {writer})"
    return (
        f"note: {HISTORY_ROW_SUBJECT} changed from what an earlier analysis stored "
        f"({', '.join(changes)}): the row now holds {today}; {made}"
    )
