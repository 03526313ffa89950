"""The history when it cannot be used as it should: damaged, busy, on a full disk or a read-only
mount; a recording still being written; a recording whose name is not UTF-8 (found in review)."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from simulated_sessions import write_simulated

from trainer.cli.app import run
from trainer.cli.history import format_rows
from trainer.cli.session import not_in_history_note
from trainer.errors import UserError
from trainer.storage import history as hist
from trainer.storage.history import HistoryError, list_sessions, not_in_history
from trainer.storage.paths import data_dir
from trainer.storage.recording import RecordingWriter, read_recording

DAMAGE_ADVICE = "move the file aside; 'breathwise history --add DIR' rebuilds it"


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    """A folder holding one complete recording, added to the history."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    write_simulated(folder / "good.bwr", 60.0, seed=1)
    assert run(["history", "--add", str(folder)]) == 0
    return folder


def _damage(db: Path) -> None:
    """The reviewer's damage: the header's tail and the first table page overwritten."""
    data = bytearray(db.read_bytes())
    data[200:400] = b"\xaa" * 200
    data[4096:4200] = b"\x55" * 104
    db.write_bytes(bytes(data))


def test_a_damaged_history_is_one_line_with_advice_and_no_session_depends_on_it(
    good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It once ended live (at its startup check), history and progress with a traceback
    (``sqlite3.DatabaseError``), and history --add skipped every file with it."""
    db = data_dir() / "history.sqlite3"
    _damage(db)
    with pytest.raises(HistoryError, match="damaged") as raised:
        list_sessions()
    assert DAMAGE_ADVICE in raised.value.user_message()
    # live's startup check: only a note, and none here; the session's end reports it.
    write_simulated(good / "later.bwr", 60.0, seed=2)
    assert not_in_history_note(good) == ""
    capsys.readouterr()
    for command in (["history"], ["progress", "-o", str(good / "p.png")]):
        assert run(command) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "damaged" in err and DAMAGE_ADVICE in err
    # One error for all the files, not one skip each.
    assert run(["history", "--add", str(good)]) == 1
    err = capsys.readouterr().err
    assert "skipped" not in err and err.count("\n") == 1 and DAMAGE_ADVICE in err


@pytest.fixture()
def locked(good: Path) -> Iterator[Path]:
    """The history with another process holding its write lock (``BEGIN EXCLUSIVE``)."""
    db = data_dir() / "history.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\nprint('held', flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield good
    finally:
        holder.kill()
        holder.wait()


def test_a_busy_history_says_so_and_does_not_hold_up_a_session_start(
    locked: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """live's startup check once waited the 30 s busy timeout, and a write then said "not a
    usable history database (database is locked)", which reads as damage."""
    write_simulated(locked / "later.bwr", 60.0, seed=2)
    started = time.monotonic()
    note = not_in_history_note(locked)
    assert time.monotonic() - started < 5.0
    assert "later.bwr" in note
    monkeypatch.setattr(hist, "BUSY_TIMEOUT_MS", 300)
    capsys.readouterr()
    assert run(["history", "--add", str(locked / "later.bwr")]) == 1
    err = capsys.readouterr().err
    assert "the history is busy (another breathwise running?) — try again" in err
    assert "not a usable" not in err


def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)])
    if done.returncode != 0:
        pytest.skip("tmpfs cannot be mounted here")


@pytest.fixture()
def own_mount(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The history (with good.bwr in it) on a small file system of its own."""
    mount = tmp_path / "mount"
    _mount_tmpfs(mount, "256k")
    try:
        db = data_dir() / "history.sqlite3"
        with sqlite3.connect(db) as conn:  # its WAL checkpointed into the main file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (mount / "history.sqlite3").write_bytes(db.read_bytes())
        monkeypatch.setenv("BREATHWISE_DATA_DIR", str(mount))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path) -> None:
    """Fill the file system of ``mount`` to its last block."""
    fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError) as full:
            while True:
                os.write(fd, b"\0" * 4096)
        assert full.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_lists_read_only_and_names_the_cause(
    own_mount: Path, good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a full disk history said "cannot open the history database (disk I/O error)" and
    listed nothing."""
    _fill(own_mount)
    capsys.readouterr()
    assert run(["history"]) == 0
    out, err = capsys.readouterr()
    assert "good.bwr" in out and "the disk is full" in err
    write_simulated(good / "later.bwr", 60.0, seed=2)
    assert run(["history", "--add", str(good / "later.bwr")]) == 1
    assert "the disk is full" in capsys.readouterr().err


def test_a_read_only_mount_lists_read_only_and_names_the_cause(
    own_mount: Path, good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a read-only mount history said "(unable to open database file)" and listed
    nothing."""
    subprocess.run(["mount", "-o", "remount,ro", str(own_mount)], check=True)
    capsys.readouterr()
    assert run(["history"]) == 0
    out, err = capsys.readouterr()
    assert "good.bwr" in out and "read-only" in err
    assert run(["history", "--add", str(good / "good.bwr")]) == 1
    assert "its folder is read-only" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["read-only", "full"])
@pytest.mark.parametrize("command", ["history", "progress"])
def test_no_history_yet_on_an_unwritable_data_folder_is_no_sessions_yet(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    command: str,
) -> None:
    """A look at a history that does not exist made it: on a read-only or full data folder
    that failed, "cannot create the history database", exit 1, where there was nothing to
    list (found in review)."""
    mount = tmp_path / "mount"
    _mount_tmpfs(mount, "256k")
    try:
        (mount / "data").mkdir()
        monkeypatch.setenv("BREATHWISE_DATA_DIR", str(mount / "data"))
        if how == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        else:
            _fill(mount)
        assert run([command]) == 0
        out, err = capsys.readouterr()
        assert "No sessions" in out and "error" not in err
        assert list((mount / "data").iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_progress_on_an_unwritable_data_folder_shows_its_summary_and_skips_the_figure(
    own_mount: Path, good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """The default figure is progress.png in the data folder, the very folder that cannot be
    written: progress printed its summary, then "progress.png: cannot write (Read-only file
    system)", exit 1, where docs/guide/history-and-reports.md says progress still lists (found
    in review)."""
    if how == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(own_mount)], check=True)
    else:
        _fill(own_mount)
    capsys.readouterr()
    assert run(["progress", "--include-simulated"]) == 0  # good.bwr is a simulated session
    out, err = capsys.readouterr()
    assert "1 session" in out
    cause = "cannot write there (Read-only file system)" if how == "read-only" else "disk is full"
    assert f"note: no progress figure: {own_mount}: " in err and cause in err
    assert "(-o FILE in a writable folder draws it)" in err
    assert not (own_mount / "progress.png").exists()
    # -o elsewhere still draws it.
    figure = tmp_path / "elsewhere.png"
    assert run(["progress", "-o", str(figure), "--include-simulated"]) == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_a_recording_still_being_written_is_not_called_missing(tmp_path: Path) -> None:
    """A second live, started while a first one recorded, said the first one's recording was
    "not in your history (a session stopped before it could add itself?)"."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    source = read_recording(write_simulated(tmp_path / "source.bwr", 10.0, seed=1))
    header = source.header
    with hist.History():  # empty: every recording is newer than its latest session
        pass
    writer = RecordingWriter(folder / "running.bwr", header)
    writer.write_packet(source.packets[0])
    assert not_in_history(folder) == []
    writer.close({}, t_mono_ns=header.start_mono_ns + 1, t_wall_ns=header.start_wall_ns + 1)
    # Closed (or its process killed: the kernel drops the lock), it is missing again.
    assert not_in_history(folder) == [folder / "running.bwr"]


def test_replay_report_and_add_say_a_recording_is_still_being_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording another ``live`` still wrote was "cut short (session killed?)" to replay
    and report, and ``history --add`` added its first minutes as a session (review 1,
    finding 3). Its writer's lock tells them apart; once closed, it is an ordinary file."""
    source = read_recording(write_simulated(tmp_path / "source.bwr", 40.0, seed=1))
    header = source.header
    running = tmp_path / "running.bwr"
    writer = RecordingWriter(running, header)
    for item in source.items:
        writer.write_item(item)
    writer.flush()
    still = "still being recorded by a running session; showing what it holds so far"
    capsys.readouterr()
    assert run(["replay", str(running), "--speed", "max", "--headless"]) == 0
    err = capsys.readouterr().err
    assert f"note: {running} is {still}" in err and "cut short" not in err
    assert run(["report", str(running), "-o", str(tmp_path / "running.png")]) == 0
    assert f"note: {running} is {still}" in capsys.readouterr().err
    assert run(["history", "--add", str(running)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"skipped {running}: still being recorded by a running session — it adds itself to "
        "the history when it ends"
    )
    assert list_sessions() == []
    # The report's page says so too, where a killed session's says "recording cut short".
    recording = read_recording(running)
    assert recording.still_recording and recording.ended == "still being recorded"
    # Killed (the kernel drops the lock, as a close does here), it is a session cut short.
    writer.close(None, t_mono_ns=header.start_mono_ns + 1, t_wall_ns=header.start_wall_ns + 1)
    lines = running.read_bytes().splitlines(keepends=True)
    running.write_bytes(b"".join(lines[:-1]))  # no closing record, as a killed session's
    recording = read_recording(running)
    assert not recording.still_recording and recording.ended == "recording cut short"
    assert run(["replay", str(running), "--speed", "max", "--headless"]) == 0
    assert "cut short (session killed?)" in capsys.readouterr().err
    assert run(["history", "--add", str(running)]) == 0


def test_a_recording_whose_name_is_not_utf8_is_added_and_shown_readably(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """history --add once skipped it: "UnicodeEncodeError: ... surrogates not allowed"."""
    name = os.fsdecode(b"bad\xffname.bwr")
    recording = write_simulated(tmp_path / name, 60.0, seed=1)
    assert run(["history", "--add", str(recording)]) == 0
    assert capsys.readouterr().err.splitlines()[0] == "added bad\\xffname.bwr (1.0 min)"
    (row,) = list_sessions()
    assert row.path == str(recording.resolve())
    assert "bad\\xffname.bwr  SIMULATED SENSOR" in format_rows([row])[1]
    # Stored as the file system's bytes: found again, a refresh and not another file's row.
    assert run(["history", "--add", str(recording)]) == 0
    assert "replaces" not in capsys.readouterr().err
    assert not_in_history(tmp_path) == []


def test_a_value_sqlite_cannot_bind_skips_that_session_alone(
    good: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any SQLite error but an ``OperationalError`` was "the history database is damaged",
    with advice to move a healthy history aside, and stopped the whole ``--add`` batch
    (found in review: ``Error binding parameter 4: type 'list' is not supported``)."""
    with hist.History() as history, pytest.raises(HistoryError) as raised:
        history.store({"session_key": "k", "path": "/x.bwr", "start_wall_ns": 1, "duration_s": [1]})
    assert type(raised.value) is HistoryError and raised.value.cause == ""
    message = raised.value.user_message()
    assert "damaged" not in message and DAMAGE_ADVICE not in message
    assert "Error binding parameter" in message
    # In a batch: that file is skipped, the others are added.
    write_simulated(good / "bad.bwr", 60.0, seed=2)
    write_simulated(good / "later.bwr", 60.0, seed=3)
    store = hist._store

    def unbindable(metrics: dict[str, object], path: Path, **kwargs: object) -> object:
        if Path(path).name == "bad.bwr":
            metrics = {**metrics, "duration_s": [1.0]}
        return store(metrics, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hist, "_store", unbindable)
    capsys.readouterr()
    assert run(["history", "--add", str(good)]) == 0
    err = capsys.readouterr().err
    assert f"skipped {good / 'bad.bwr'}: " in err and "damaged" not in err
    # good.bwr was added by the fixture: refreshed, not a session more.
    assert err.splitlines()[-1] == "added 1 session, refreshed 1 already in the history, skipped 1"


def test_damage_is_told_by_sqlites_error_code() -> None:
    """Damaged: SQLITE_CORRUPT, SQLITE_NOTADB, or a bare DatabaseError without a code."""
    db = Path("/data/history.sqlite3")

    def error(kind: type[sqlite3.Error], name: str | None) -> sqlite3.Error:
        exc = kind("some failure")
        if name is not None:
            exc.sqlite_errorname = name
        return exc

    for exc, cause in (
        (error(sqlite3.DatabaseError, "SQLITE_CORRUPT"), "damaged"),
        (error(sqlite3.DatabaseError, "SQLITE_NOTADB"), "damaged"),
        (error(sqlite3.DatabaseError, None), "damaged"),
        (error(sqlite3.OperationalError, "SQLITE_BUSY"), "busy"),
        (error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_NOTNULL"), ""),
        (error(sqlite3.ProgrammingError, None), ""),
        (error(sqlite3.InterfaceError, None), ""),
    ):
        made = hist.history_error(db, exc, "write")
        assert made.cause == cause, exc
        assert isinstance(made, hist.HistoryUnusable) == bool(cause), exc
        assert ("damaged" in str(made)) == (cause == "damaged"), exc


def _unwritable(path: Path, timeout_ms: int) -> sqlite3.Connection:
    """``_connect`` on a history that cannot be written (as on a read-only mount)."""
    exc = sqlite3.OperationalError("attempt to write a readonly database")
    exc.sqlite_errorname = "SQLITE_READONLY"
    raise hist.history_error(path, exc, "open")


class _Tracked(sqlite3.Connection):
    """A connection that knows its URI; its ``PRAGMA user_version`` fails when told to."""

    fail_in: tuple[str, ...] = ()
    uri = ""

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if "user_version" in sql and any(mark in self.uri for mark in self.fail_in):
            raise sqlite3.OperationalError("unable to open database file")
        return super().execute(sql, *args)  # type: ignore[arg-type]


def _is_open(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes  # noqa: B018 - raises on a closed connection
    except sqlite3.ProgrammingError:
        return False
    return True


@pytest.mark.parametrize(
    ("fail_in", "wal_bytes", "falls_back"),
    [
        (("mode=ro",), 0, True),  # the mode=ro connection fails, immutable=1 reads
        (("mode=ro",), 100, False),  # a WAL with data: immutable=1 would miss it
        (("mode=ro", "immutable=1"), 0, False),  # History._open_read_only's PRAGMA fails
    ],
)
def test_the_read_only_fallback_closes_every_connection_it_gives_up(
    good: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail_in: tuple[str, ...],
    wal_bytes: int,
    falls_back: bool,
) -> None:
    """``_connect_read_only`` left its ``mode=ro`` connection open when its PRAGMA failed, and
    ``History._open_read_only`` its connection when its own PRAGMA did (found in review)."""
    db = data_dir() / "history.sqlite3"
    with sqlite3.connect(db) as conn:  # every commit in the main file, no WAL left
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(b"\0" * wal_bytes)
    opened: list[_Tracked] = []
    connect = sqlite3.connect

    def tracked(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(database, *args, factory=_Tracked, **kwargs)  # type: ignore[call-overload]
        conn.uri = str(database)
        conn.fail_in = fail_in
        opened.append(conn)
        return conn  # type: ignore[no-any-return]

    monkeypatch.setattr(hist, "_connect", _unwritable)
    monkeypatch.setattr(sqlite3, "connect", tracked)
    if falls_back:
        with hist.History(read_only_ok=True) as history:
            assert history.read_only and len(history.list_sessions()) == 1
            assert [_is_open(c) for c in opened] == [False, True]
    else:
        with pytest.raises(HistoryError, match="read-only"):
            hist.History(read_only_ok=True)
    assert opened and not any(_is_open(c) for c in opened)


def test_a_data_folder_named_busy_still_falls_back_to_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``"busy" in str(exc)`` matched the path: a history in ``/home/busybee/...`` that could
    not be written was never listed read-only (found in review). The error code decides."""
    folder = tmp_path / "busybee"
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(folder))
    recording = write_simulated(tmp_path / "good.bwr", 60.0, seed=1)
    assert run(["history", "--add", str(recording)]) == 0

    monkeypatch.setattr(hist, "_connect", _unwritable)
    with hist.History(read_only_ok=True) as history:
        assert "busybee" in history.read_only and len(history.list_sessions()) == 1


def test_a_session_end_waits_briefly_on_a_busy_history_and_says_how_to_add_it_later(
    locked: Path,
) -> None:
    """The end of a live session waited the full 30 s busy timeout, printing nothing, then
    said only "the history is busy ... — try again"."""
    from trainer.cli.session import _add_to_history

    recording = locked / "later.bwr"
    write_simulated(recording, 60.0, seed=2)
    started = time.monotonic()
    problem, empty = _add_to_history(recording)
    assert time.monotonic() - started < 5.0
    assert not empty
    assert problem == (
        "it is busy (another breathwise?) — add it later with: "
        f"breathwise history --add {recording}"
    )
    assert "later.bwr" not in {Path(row.path).name for row in list_sessions()}


def test_a_recording_without_sensor_data_is_not_called_missing(tmp_path: Path) -> None:
    """Found in review: a sim-hr session ended before its first beat was "not added to the
    history: ... no sensor data in it", and the next live's note asked to add it, which
    ``history --add`` then skipped as "nothing to add"."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    source = read_recording(write_simulated(tmp_path / "source.bwr", 10.0, seed=1))
    with hist.History():
        pass
    empty = RecordingWriter(folder / "empty.bwr", source.header)
    empty.close(
        {}, t_mono_ns=source.header.start_mono_ns + 1, t_wall_ns=source.header.start_wall_ns + 1
    )
    with pytest.raises(UserError, match="no sensor data in it"):
        hist.record_session(folder / "empty.bwr")
    assert not_in_history(folder) == []
    assert not_in_history_note(folder) == ""
    # One packet in it: a session killed after its sensor sent something is missing.
    killed = RecordingWriter(folder / "killed.bwr", source.header)
    killed.write_packet(source.packets[0])
    killed.close(
        {}, t_mono_ns=source.header.start_mono_ns + 1, t_wall_ns=source.header.start_wall_ns + 1
    )
    assert not_in_history(folder) == [folder / "killed.bwr"]
