"""The session history: schema migrations, upserts, concurrent writers, the history command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import write_simulated

from trainer import ANALYSIS_REVISION
from trainer.cli.app import run
from trainer.cli.history import format_rows
from trainer.storage import history as hist
from trainer.storage.history import (
    COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    HistoryError,
    SessionRow,
    list_sessions,
    migrate,
    record_session,
)

REPO = Path(__file__).resolve().parents[1]
DAY_NS = 86_400 * 1_000_000_000


def add_or_update_session(
    metrics: Mapping[str, object], path: Path, *, db_path: Path | None = None
) -> SessionRow:
    """Store whole-session numbers as ``history --add`` does after analysing a recording
    (:meth:`History.store`, the recording's path resolved), without a recording to analyse."""
    with History(db_path) as history:
        return history.store({**metrics, "path": path.resolve()}).row


def _metrics(key: str, start_wall_ns: int, **extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "session_key": key,
        "start_wall_ns": start_wall_ns,
        "duration_s": 600.0,
        "breaths": 60,
        "median_rate_bpm": 6.1,
        "mean_ratio": 1.9,
        "rmssd_ms": 42.0,
        "not_a_column": "ignored",
    }
    values.update(extra)
    return values


def test_a_new_database_is_at_the_latest_schema_and_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "history.sqlite3"
    with History(db):
        pass
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
    assert set(names) == set(COLUMNS)
    assert db.stat().st_mode & 0o777 == 0o600
    assert db.parent.stat().st_mode & 0o777 == 0o700


def test_migrating_a_v1_database_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrate(conn, db, to_version=1) == 0
    conn.execute(
        "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, breaths, "
        "median_rate_bpm, updated_wall_ns) VALUES ('old', '/r/old.bwr', 5, 300.0, 30, 5.5, 1)"
    )
    conn.close()

    with History(db) as history:
        rows = history.list_sessions()
    assert len(rows) == 1
    old = rows[0]
    assert (old.session_key, old.path, old.breaths, old.median_rate_bpm) == (
        "old",
        "/r/old.bwr",
        30,
        5.5,
    )
    # Columns added by v2 take their defaults on old rows.
    assert old.rmssd_ms is None and old.beats == 0 and old.gaps == 0
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_every_migration_step_applies_in_order(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    for version in range(1, len(MIGRATIONS) + 1):
        assert migrate(conn, db, to_version=version) == version - 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    # Opening again changes nothing.
    assert migrate(conn, db) == SCHEMA_VERSION


def test_a_newer_database_is_refused_not_damaged(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with History(db) as history:
        history.upsert({**_metrics("a", 1), "path": "/x.bwr"})
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer than this Breathwise"):
        History(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1


def test_a_v4_history_is_upgraded_to_v5_and_a_v4_breathwise_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys with the header digest came without a new schema number: a v4 Breathwise, keying
    by the start clocks alone, found no row of its key and added a second row per session."""
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, to_version=4)
    for key, path in (("5-1000", "/r/old.bwr"), ("7-1000-0123456789abcdef", "/r/new.bwr")):
        conn.execute(
            "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, "
            "practised_s, updated_wall_ns) VALUES (?, ?, 5, 300.0, 280.0, 1)",
            (key, path),
        )
    conn.close()
    rows = _upgraded_and_refused_by(db, 4, monkeypatch)
    assert [(r.session_key, r.path, r.practised_s) for r in rows] == [
        ("5-1000", "/r/old.bwr", 280.0),
        ("7-1000-0123456789abcdef", "/r/new.bwr", 280.0),
    ]


def test_a_v5_history_is_upgraded_and_a_v5_breathwise_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link of a re-imported export to its original needs a column (v6): a v5 Breathwise
    would add an original beside the row of its re-import, so the number makes it refuse the
    file instead."""
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, to_version=5)
    conn.execute(
        "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, updated_wall_ns) "
        "VALUES ('5-1000-0123456789abcdef', '/r/a.bwr', 5, 300.0, 1)"
    )
    conn.close()
    (row,) = _upgraded_and_refused_by(db, 5, monkeypatch)
    assert (row.path, row.exported_session) == ("/r/a.bwr", None)


def _upgraded_and_refused_by(
    db: Path, older: int, monkeypatch: pytest.MonkeyPatch
) -> list[SessionRow]:
    """The rows of ``db`` opened (so migrated to :data:`SCHEMA_VERSION`), after checking that a
    Breathwise of schema ``older`` (its migrations and number) then refuses the file."""
    with History(db) as history:
        rows = history.list_sessions()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    monkeypatch.setattr(hist, "SCHEMA_VERSION", older)
    newer = rf"schema v{SCHEMA_VERSION} is newer than this Breathwise \(v{older}\)"
    with pytest.raises(HistoryError, match=newer):
        History(db)
    return rows


def test_rows_of_one_path_and_one_start_left_by_an_older_version_are_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A v8 history's rows of one path and one start (an import run again, by a Breathwise
    before the rule that the later replaces the row) stayed two sessions: progress counted
    9.4 min for one 4.8 min file (found in review). Opened now, the last written is kept;
    a row of the same path and another start (an earlier session, its file gone) stays."""
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, to_version=8)
    day = 1_800_000_000 * 10**9
    for key, path, start, updated in [
        ("first", "/r/x.bwr", day, 10),
        ("again", "/r/x.bwr", day, 20),
        ("older", "/r/x.bwr", day - DAY_NS, 5),
        ("other", "/r/y.bwr", day, 1),
    ]:
        conn.execute(
            "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, "
            "updated_wall_ns) VALUES (?, ?, ?, 290.0, ?)",
            (key, path, start, updated),
        )
    conn.close()
    rows = _upgraded_and_refused_by(db, 8, monkeypatch)
    assert [row.session_key for row in rows] == ["older", "again", "other"]


def test_a_newer_history_is_one_line_and_left_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opening it switched it to WAL (a write to the file) before refusing it."""
    db = hist.default_db_path()
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db)
    conn.execute(
        "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, "
        "updated_wall_ns) VALUES ('k', '/r/a.bwr', 5, 300.0, 1)"
    )
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    recording = write_simulated(tmp_path / "a.bwr", 60.0, seed=1)
    for args in (["history"], ["progress"], ["history", "--add", str(recording)]):
        assert run(args) == 1
        assert capsys.readouterr().err == (
            f"breathwise: error: {db}: history schema v{SCHEMA_VERSION + 1} is newer than "
            f"this Breathwise (v{SCHEMA_VERSION}); it is left as it is — upgrade Breathwise\n"
        )
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(HistoryError, match=r"history\.sqlite3"):
        History(db)


def test_reanalysing_a_session_updates_its_row(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    first = add_or_update_session(_metrics("s1", 10), tmp_path / "a.bwr", db_path=db)
    assert first.rmssd_ms == 42.0
    time.sleep(0.001)
    again = add_or_update_session(
        _metrics("s1", 10, rmssd_ms=50.0), tmp_path / "moved" / "a.bwr", db_path=db
    )
    rows = list_sessions(db_path=db)
    assert len(rows) == 1
    assert rows[0].rmssd_ms == 50.0
    assert rows[0].path == str((tmp_path / "moved" / "a.bwr").resolve())
    assert again.updated_wall_ns >= first.updated_wall_ns


def test_list_is_in_start_order_and_filters_by_date(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    for key, day in (("c", 3), ("a", 1), ("b", 2)):
        add_or_update_session(_metrics(key, day * DAY_NS), tmp_path / f"{key}.bwr", db_path=db)
    assert [r.session_key for r in list_sessions(db_path=db)] == ["a", "b", "c"]
    assert [r.session_key for r in list_sessions(2 * DAY_NS, db_path=db)] == ["b", "c"]


def test_upsert_requires_the_identity_columns(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history, pytest.raises(ValueError, match="path"):
        history.upsert({"session_key": "x", "start_wall_ns": 1, "duration_s": 1.0})


def test_a_session_whose_times_do_not_fit_is_refused_and_the_history_kept(tmp_path: Path) -> None:
    """A start in 3026 (an import given a wrong date) once crashed with OverflowError."""
    db = tmp_path / "history.sqlite3"
    add_or_update_session(_metrics("ok", DAY_NS), tmp_path / "ok.bwr", db_path=db)
    with pytest.raises(HistoryError) as info:
        add_or_update_session(_metrics("far", 33 * 10**18), tmp_path / "far.bwr", db_path=db)
    message = info.value.user_message()
    assert "far.bwr: its times do not fit the history" in message and "\n" not in message
    assert [r.session_key for r in list_sessions(db_path=db)] == ["ok"]


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from trainer.storage.history import History
    db, go, name, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    while not go.exists():
        time.sleep(0.001)
    for i in range(n):
        with History(db) as history:
            history.store(
                {"session_key": f"{name}-{i}", "start_wall_ns": i, "duration_s": 60.0,
                 "path": f"/r/{name}-{i}.bwr"}
            )
    """
)


def test_two_processes_finishing_at_the_same_moment_both_land(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "history.sqlite3"  # neither process finds it: both create it
    go = tmp_path / "go"
    n = 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(go), name, str(n)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    time.sleep(0.3)  # both interpreters are up and polling for the go signal
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    keys = {row.session_key for row in list_sessions(db_path=db)}
    assert keys == {f"{name}-{i}" for name in ("first", "second") for i in range(n)}


def test_default_location_follows_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "bw"))
    assert hist.default_db_path() == tmp_path / "bw" / "history.sqlite3"
    add_or_update_session(_metrics("k", 1), tmp_path / "k.bwr")
    assert (tmp_path / "bw" / "history.sqlite3").exists()


def test_a_strap_alone_session_keeps_its_source_and_marks_a_pace_only_follow_score(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.sqlite3"
    strap = record_session(
        write_simulated(tmp_path / "strap.bwr", 240.0, seed=3, belt=False), db_path=db
    )
    belt = record_session(write_simulated(tmp_path / "belt.bwr", 240.0, seed=3), db_path=db)
    assert (strap.breath_source, strap.follow_basis) == ("rr", "pace")
    assert (belt.breath_source, belt.follow_basis) == ("belt", "breaths")
    assert strap.mean_follow_score is not None and strap.mean_follow_score > 80
    # Regularity comes with the breaths: none from the heart rhythm alone.
    assert strap.breath_cv is None and belt.breath_cv is not None and 0 < belt.breath_cv < 0.2
    lines = format_rows([strap, belt])
    # The columns are fixed-width and right-aligned under their heads.
    end = lines[0].index("follow") + len("follow")
    assert lines[1][end - 6 : end].strip() == f"{strap.mean_follow_score:.0f}p"
    assert lines[2][end - 6 : end].strip() == f"{belt.mean_follow_score:.0f}"


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an unreadable recording first, then two good ones."""
    folder = tmp_path_factory.mktemp("old-recordings")
    (folder / "a.bwr").write_text("not a recording\n")
    write_simulated(folder / "b.bwr", 60.0, seed=1)
    write_simulated(folder / "c.bwr", 60.0, seed=2, start_wall_ns=time.time_ns() - DAY_NS)
    return folder


def test_add_skips_an_unreadable_file_and_adds_the_rest(
    two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """history --add DIR once stopped at the first bad file and added nothing after it."""
    assert run(["history", "--add", str(two_sessions)]) == 0
    err = capsys.readouterr().err.splitlines()
    skipped = [line for line in err if line.startswith("skipped")]
    assert skipped == [
        f"skipped {two_sessions / 'a.bwr'}: not a Breathwise recording — expected a .bwr file "
        "written by 'breathwise live'"
    ]
    assert err[-1] == "added 2 sessions, skipped 1"
    assert sorted(Path(r.path).name for r in list_sessions()) == ["b.bwr", "c.bwr"]


def test_add_takes_several_paths_and_fails_only_when_nothing_was_added(
    two_sessions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--add a.bwr b.bwr once ended in "Got unexpected extra argument(s)"."""
    good, bad = two_sessions / "b.bwr", two_sessions / "a.bwr"
    assert run(["history", "--add", str(bad), str(good), "-a", str(two_sessions / "c.bwr")]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "added 2 sessions, skipped 1"
    assert len(list_sessions()) == 2

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["history", "--add", str(bad), str(empty)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "breathwise: error: no session added, skipped 2 — see the notes above"
    assert f"skipped {empty}: no .bwr recordings in this folder or its subfolders" in err
    assert len(list_sessions()) == 2

    assert run(["history", str(good)]) == 2
    assert "without --add" in capsys.readouterr().err
    assert run(["history", "--add"]) == 2
    assert "--add needs recordings" in capsys.readouterr().err


def test_add_of_one_file_given_twice_or_inside_a_folder_given_too_adds_it_once(
    two_sessions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--add x.bwr x.bwr ./x.bwr`` said "added 1 session, refreshed 2" of one file and one
    row (found in review)."""
    monkeypatch.chdir(two_sessions)
    assert run(["history", "--add", "b.bwr", "b.bwr", "./b.bwr", str(two_sessions)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "added 2 sessions, skipped 1"
    assert [line.split(" (")[0] for line in err[:-1] if line.startswith("added ")] == [
        "added b.bwr",
        "added c.bwr",
    ]
    assert len(list_sessions()) == 2


def test_program_names_are_never_cut(tmp_path: Path) -> None:
    """Found in use: "body-scan-head-to-" and "resonance-assessme"; they are names to type."""
    import dataclasses

    row = record_session(write_simulated(tmp_path / "s.bwr", 60.0, seed=1), db_path=tmp_path / "h")
    long = dataclasses.replace(row, program="body-scan-head-to-feet")
    lines = format_rows([row, long])
    assert "body-scan-head-to-feet " in lines[2]
    end = lines[0].index("rate") + len("rate")
    assert all(line[end - 5 : end].strip() for line in lines[1:])  # columns still aligned


def test_a_session_whose_sensor_never_connected_is_not_practice(tmp_path: Path) -> None:
    """It was added as a 2 s session and started a streak (found in review)."""
    from simulated_sessions import simulated_items

    from devices.packets import RawPacket
    from trainer.errors import UserError
    from trainer.storage.recording import write_recording

    header, items, _ = simulated_items(60.0)
    no_data = [item for item in items if not isinstance(item, RawPacket)]
    path = write_recording(
        tmp_path / "never.bwr", header, no_data, None, end_mono_ns=2 * 10**9, end_wall_ns=0
    )
    db = tmp_path / "history.sqlite3"
    with pytest.raises(UserError, match=r"never\.bwr: no sensor data in it") as info:
        hist.record_session(path, db_path=db)
    assert "can be deleted" in info.value.user_message()
    assert list_sessions(db_path=db) == []


def test_time_paused_is_not_counted_as_practice(tmp_path: Path) -> None:
    """A 10 min session paused for 5 showed 10 min in history and progress (found in review)."""
    from simulated_sessions import START_NS, simulated_items

    from trainer.reports.progress import compute_progress
    from trainer.storage.recording import PacerChange, write_recording

    header, items, end_ns = simulated_items(600.0)
    pause = [
        PacerChange(START_NS + 120 * 10**9, 0, "pause"),
        PacerChange(START_NS + 420 * 10**9, 0, "resume"),
    ]
    items = sorted([*items, *pause], key=lambda item: item.t_mono_ns)
    path = write_recording(
        tmp_path / "p.bwr", header, items, None, end_mono_ns=end_ns, end_wall_ns=0
    )
    db = tmp_path / "history.sqlite3"
    row = hist.record_session(path, db_path=db)
    assert row.duration_s == 600.0 and row.practised_s == 300.0
    assert format_rows([row])[1].split()[2] == "5.0"
    # A session without a program says so in progress's words, not an empty cell or "(none)"
    # (review 37 F8).
    assert row.program == "" and format_rows([row])[1].split()[3:5] == ["no", "program"]
    assert compute_progress([row]).total_minutes == pytest.approx(5.0)


def test_summary_history_and_report_agree_on_the_starting_heart_rate_with_an_artifact(
    tmp_path: Path,
) -> None:
    """The summary once took the raw RR intervals and the history the corrected beats: a missed
    beat in the first minute made them disagree (65.32 vs 65.51 bpm on a reviewed session)."""
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.imports.import_file import import_recording

    rng = np.random.default_rng(7)
    k = np.arange(400)
    rr = np.round(900 + 50 * np.sin(2 * np.pi * 0.09 * k) + rng.normal(0, 6, k.size))
    # A missed beat 20 beats in: one interval twice as long, the strap's commonest artifact.
    rr = np.r_[rr[:20], rr[20] + rr[21], rr[22:]]
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:g}" for v in rr) + "\n")
    recording = import_recording(
        src, "rr", tmp_path / "rr.bwr", start_wall_ns=1_767_250_800 * 10**9
    ).path

    analysis = analyse_recording(recording)
    assert analysis.heart.corrected_beats >= 1
    row = record_session(recording, db_path=tmp_path / "history.sqlite3")
    # Summary (closing line, replay, headless), history row and report panel: one value...
    assert analysis.summary["hr_start_bpm"] == row.hr_start_bpm
    assert analysis.heart.hr_start_bpm is not None
    assert row.hr_start_bpm == analysis.heart.hr_start_bpm
    # ...the corrected one: the raw first minute is about 1.5 bpm slower with the missed beat.
    first = analysis.beat_t_s <= analysis.beat_t_s[0] + 60.0
    raw = 60_000.0 / float(np.mean(analysis.rr_ms[first]))
    assert row.hr_start_bpm - raw > 0.5
    assert analysis.summary["hr_end_bpm"] == pytest.approx(analysis.heart.hr_end_bpm, abs=0.005)


def test_summary_history_and_report_agree_on_rsa_when_a_breath_is_an_artifact(
    tmp_path: Path,
) -> None:
    """The summary took RSA over breaths not flagged as artifacts, the report and history over
    all of them (computing the heart metrics twice): one breath six times too deep on the belt
    (a knock, a slipping belt) made them read 11.48 and 11.5 beats/min."""
    from simulated_sessions import START_NS, simulated_items

    from devices.godirect import (
        decode_godirect_measurement,
        encode_godirect_measurement,
        is_measurement_packet,
    )
    from devices.packets import RawPacket, Stream
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.recording import write_recording

    header, items, end_ns = simulated_items(300.0, seed=1)

    def in_breath(item: object) -> bool:
        # The simulated breath from 140.45 s to 150.5 s (trough to trough), seed 1.
        return (
            isinstance(item, RawPacket)
            and item.stream == Stream.GODIRECT.value
            and is_measurement_packet(item.payload)
            and 140.45 <= (item.t_mono_ns - START_NS) / 1e9 < 150.5
        )

    inside = [i for i in items if isinstance(i, RawPacket) and in_breath(i)]
    trough = min(
        v for i in inside for row in decode_godirect_measurement(i.payload).values for v in row
    )
    deepened: list[object] = []
    for item in items:
        if in_breath(item):
            assert isinstance(item, RawPacket)
            m = decode_godirect_measurement(item.payload)
            rows = [[trough + 6.0 * (v - trough) for v in row] for row in m.values]
            payload = encode_godirect_measurement(rows, m.channels, item.payload[2])
            item = RawPacket(item.t_mono_ns, item.t_wall_ns, item.stream, payload)
        deepened.append(item)
    path = write_recording(
        tmp_path / "deep.bwr",
        header,
        deepened,  # type: ignore[arg-type]
        {"ended": "completed"},
        end_mono_ns=end_ns,
        end_wall_ns=header.start_wall_ns + end_ns - START_NS,
    )
    analysis = analyse_recording(path)
    artifacts = [e.breath for e in analysis.breaths if e.breath.quality == "artifact"]
    assert len(artifacts) == 1 and 139.0 < artifacts[0].inhale_onset_s < 142.0
    row = record_session(path, db_path=tmp_path / "history.sqlite3")
    assert analysis.summary["mean_rsa_bpm"] == row.rsa_bpm == analysis.metrics()["rsa_bpm"]
    # The report's per-breath RSA leaves the artifact out, as the summary's mean does.
    assert artifacts[0].inhale_onset_s not in analysis.heart.rsa_t_s.tolist()


# -- session identity (hostile review, finding 3) --------------------------------------------


def _import_rr(tmp_path: Path, name: str, rr_ms: list[int], start: str) -> Path:
    source = tmp_path / name
    source.write_text("\n".join(str(ms) for ms in rr_ms) + "\n")
    target = tmp_path / f"{source.stem}.bwr"
    assert run(["import", str(source), "--start", start, "-o", str(target)]) == 0
    return target


def _rr(seed: int, n: int = 150) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(ms) for ms in 900 + 60 * np.sin(np.arange(n) / 2.0) + rng.normal(0, 15, n)]


def test_two_imports_with_the_same_start_keep_a_row_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every import starts its monotonic clock at the same value, so two RR lists imported
    with the same --start had one history row: "added" twice, one session silently gone."""
    a = _import_rr(tmp_path, "a.txt", _rr(1), "2026-03-01T07:30")
    b = _import_rr(tmp_path, "b.txt", _rr(2, 170), "2026-03-01T07:30")
    capsys.readouterr()
    assert run(["history", "--add", str(a), str(b)]) == 0
    err = capsys.readouterr().err.splitlines()
    # import added them: this --add writes their rows again, and says so.
    assert err[0].startswith("refreshed a.bwr (") and err[0].endswith(
        " min): already in the history"
    )
    assert err[1].startswith("refreshed b.bwr (") and err[1].endswith(
        " min): already in the history"
    )
    rows = list_sessions()
    assert sorted(Path(r.path).name for r in rows) == ["a.bwr", "b.bwr"]
    assert sorted(r.beats for r in rows) == [150, 170]
    # The same name, start and length, but other intervals: still another session.
    other = tmp_path / "again"
    other.mkdir()
    c = _import_rr(other, "a.txt", _rr(3), "2026-03-01T07:30")
    record_session(c)
    assert len(list_sessions()) == 3


def test_a_copy_or_a_move_keeps_the_row_and_says_it_replaced_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged copy of a recording replaced the original's row with the message "added";
    then a copy cut short replaced it, its minutes with it (found in review: 0.5 -> 0.1 min)."""
    original = write_simulated(tmp_path / "a.bwr", 60.0, seed=1)
    assert run(["history", "--add", str(original)]) == 0
    # The copy's header is the original's, respaced by an editor: the same session.
    lines = original.read_text().splitlines()
    lines[0] = json.dumps(json.loads(lines[0]), indent=None, separators=(", ", ": "))
    cut = tmp_path / "cut.bwr"
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    capsys.readouterr()
    assert run(["history", "--add", str(cut)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"skipped {cut}: cut short at 0.5 min, a copy of {original} (1.0 min), whose row the "
        "history keeps: not added — add the complete recording to move the row to it"
    )
    (row,) = list_sessions()
    assert (Path(row.path).name, row.practised_min) == ("a.bwr", 1.0)

    copy = tmp_path / "copy.bwr"
    copy.write_text("\n".join(lines) + "\n")
    assert run(["history", "--add", str(copy)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert " min); it replaces the history row of a.bwr (a copy of the same session)" in err[0]
    # Not a session more: the history still holds one row.
    assert (
        err[-1] == "added 0 sessions, 1 replacing another file's row of the same session, skipped 0"
    )
    assert [Path(r.path).name for r in list_sessions()] == ["copy.bwr"]

    moved = tmp_path / "sub" / "moved.bwr"
    moved.parent.mkdir()
    copy.rename(moved)
    assert run(["history", "--add", str(moved)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"it replaces the history row of {copy} (the same session, moved or renamed)" in err[0]
    # Added again from where it is: a refresh, said as plainly as before.
    assert run(["history", "--add", str(moved)]) == 0
    assert "replaces" not in capsys.readouterr().err
    assert len(list_sessions()) == 1


def test_rows_keyed_by_the_start_clocks_alone_are_taken_over_not_duplicated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A history written before the header digest was part of the key keeps working: adding
    its recordings again updates their rows instead of adding a second row each."""
    from trainer.reports.session_analysis import analyse_recording

    a = write_simulated(tmp_path / "a.bwr", 60.0, seed=1)
    b = write_simulated(tmp_path / "b.bwr", 60.0, seed=2, start_wall_ns=5 * DAY_NS)
    for path in (a, b):
        analysis = analyse_recording(path)
        old = {**analysis.metrics(), "session_key": analysis.legacy_session_key}
        add_or_update_session(old, path)
        assert analysis.session_key.startswith(analysis.legacy_session_key + "-")
    capsys.readouterr()
    assert run(["history", "--add", str(a), str(b)]) == 0
    assert "replaces" not in capsys.readouterr().err
    rows = list_sessions()
    assert sorted(Path(r.path).name for r in rows) == ["a.bwr", "b.bwr"]
    assert all(r.session_key.count("-") == 2 for r in rows)
    # Such a row may have held another session with the same start: taken over, it says so.
    analysis = analyse_recording(a)
    with History() as history:
        history.delete(analysis.session_key)
    add_or_update_session({**analysis.metrics(), "session_key": analysis.legacy_session_key}, b)
    assert run(["history", "--add", str(a)]) == 0
    assert (
        capsys.readouterr()
        .err.splitlines()[0]
        .endswith(
            "it replaces the history row of b.bwr (kept by an older Breathwise for the same start "
            "time)"
        )
    )
    assert sorted(Path(r.path).name for r in list_sessions()) == ["a.bwr", "b.bwr"]


def test_a_moved_recording_held_by_its_start_clocks_alone_is_not_named_missing(
    tmp_path: Path,
) -> None:
    """After the upgrade of a v2/v3 history (rows keyed by the start clocks alone), a moved
    recordings folder made the next live start call every session in it "not in your history
    (a session stopped before it could add itself?)", though ``history --add`` takes their
    rows over (found in review: 8 named, 1 missing)."""
    from trainer.reports.session_analysis import analyse_recording

    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    a = write_simulated(before / "a.bwr", 60.0, seed=1)
    analysis = analyse_recording(a)
    add_or_update_session({**analysis.metrics(), "session_key": analysis.legacy_session_key}, a)
    before.rename(after)
    killed = write_simulated(after / "killed.bwr", 60.0, seed=2, start_wall_ns=5 * DAY_NS)
    assert hist.not_in_history(after) == [killed]


def test_a_complete_import_is_not_taken_for_a_copy_cut_short(tmp_path: Path) -> None:
    """An import's closing summary names no end (``{imported, source_file}``), so the analysis
    said "recording cut short" of it, and ``add_recording`` took that for a file cut short: a
    complete import of a session held from a longer recording was refused as a shorter copy
    (found in review). The reader's ``truncated`` decides, as it does for a killed session."""
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.export import export_recording
    from trainer.storage.history import add_recording
    from trainer.storage.imports.import_file import import_recording

    sample = REPO / "recordings" / "sample-neurokit2-resting.bwr"
    export_recording(sample, "csv", tmp_path / "exp")
    (beats,) = (tmp_path / "exp").glob("*.beats.csv")
    back = import_recording(beats, output=tmp_path / "back.bwr").path
    analysis = analyse_recording(back)
    assert analysis.ended == "imported" and not analysis.truncated
    db = tmp_path / "history.sqlite3"
    # The session held from a longer recording elsewhere: a complete one replaces the row.
    with History(db) as history:
        history.store(
            {**analysis.metrics(), "path": str(tmp_path / "longer.bwr"), "duration_s": 1e4}
        )
    stored = add_recording(back, db_path=db)
    assert stored.previous_path == str(tmp_path / "longer.bwr")
    assert stored.row.path == str(back.resolve())
    assert stored.row.duration_s == pytest.approx(analysis.duration_s, abs=0.1)
    # A file cut short is still refused.
    cut = tmp_path / "cut.bwr"
    lines = back.read_bytes().splitlines(keepends=True)
    cut.write_bytes(b"".join(lines[: len(lines) // 2]))
    assert analyse_recording(cut).truncated
    with pytest.raises(hist.ShorterCopy, match=r"cut short at .* a copy of .*back\.bwr"):
        add_recording(cut, db_path=db)


def test_remove_takes_rows_out_all_or_none_and_never_the_recordings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong import or a test session could not be taken out of the history at all."""
    kept, gone, test = tmp_path / "kept.bwr", tmp_path / "gone.bwr", tmp_path / "test.bwr"
    for n, path in enumerate((kept, gone, test)):
        add_or_update_session(_metrics(f"k{n}", time.time_ns() - (3 - n) * DAY_NS), path)
    kept.write_text("a recording")
    test.write_text("a recording")  # gone.bwr never existed: a "(gone)" row

    def paths() -> list[str]:
        return [Path(row.path).name for row in list_sessions()]

    capsys.readouterr()
    # One path without a row: one line naming it, and nothing removed.
    stray = tmp_path / "stray.bwr"
    assert run(["history", "--remove", str(test), str(stray)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f"breathwise: error: {stray}: no such recording in the history; nothing removed — "
        "'breathwise history --paths' lists the paths it holds\n"
    )
    assert paths() == ["kept.bwr", "gone.bwr", "test.bwr"]
    # The rows go, the files stay; a path relative to the current folder is found too.
    monkeypatch.chdir(tmp_path)
    assert run(["history", "--remove", "test.bwr", str(gone)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "removed from the history: test.bwr (the recording itself is left where it is)",
        f"removed from the history: {gone} (the recording itself is left where it is)",
    ]
    assert paths() == ["kept.bwr"] and test.read_text() == "a recording"
    assert run(["history", "--add", str(kept), "--remove"]) == 2
    assert "--add and --remove cannot be combined" in capsys.readouterr().err
    assert run(["history", "--remove"]) == 2
    assert paths() == ["kept.bwr"]


def test_remove_of_a_path_two_sessions_name_takes_out_the_recording_there_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--remove x.bwr`` deleted both rows at that path, the "(gone)" one of an earlier
    session whose file was deleted too (its numbers cannot be added again), and said it
    removed one (found in review)."""
    x = tmp_path / "x.bwr"
    add_or_update_session(_metrics("early", time.time_ns() - 2 * DAY_NS), x)
    add_or_update_session(_metrics("late", time.time_ns() - DAY_NS), x)
    x.write_text("the later session's recording")
    capsys.readouterr()
    assert run(["history", "--remove", str(x)]) == 0
    err = capsys.readouterr().err
    assert [row.session_key for row in list_sessions()] == ["early"]
    late = time.strftime("%Y-%m-%d %H:%M", time.localtime((time.time_ns() - DAY_NS) / 1e9))
    assert err.startswith(f"removed from the history: {x}, the session of ")
    assert late[:10] in err and "an earlier session" in err and "stays" in err
    assert f"'breathwise history --remove {x}' again removes the next" in err
    # Given again, the path removes the earlier session's row, with the usual line.
    assert run(["history", "--remove", str(x)]) == 0
    assert capsys.readouterr().err == (
        f"removed from the history: {x} (the recording itself is left where it is)\n"
    )
    assert list_sessions() == [] and x.exists()


def test_a_session_that_failed_before_any_data_does_not_say_its_recording_was_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sensor that could not connect ended with "the recording up to the failure was saved"
    right after the history's "nothing to add; the file can be deleted" (found in review)."""
    from simulated_sessions import simulated_items

    from devices.packets import RawPacket
    from trainer.cli import session as session_cli
    from trainer.errors import UserError
    from trainer.session.live_replay import SessionResult
    from trainer.storage.recording import read_recording, write_recording

    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    header, items, _ = simulated_items(60.0)
    no_data = [item for item in items if not isinstance(item, RawPacket)]
    path = write_recording(
        tmp_path / "never.bwr", header, no_data, None, end_mono_ns=2 * 10**9, end_wall_ns=0
    )
    summary = read_recording(path).summary
    assert summary is not None
    failed = SessionResult(path, summary, error="could not connect to HRM-Pro — move closer")
    settled = session_cli._settle(failed)
    assert settled.empty and any("can be deleted" in line for line in settled.lines)
    with pytest.raises(UserError, match="could not connect to HRM-Pro") as info:
        session_cli._finish(failed, settled)
    assert "saved" not in info.value.user_message()


def test_a_strap_that_never_sent_a_beat_is_not_named_at_startup(tmp_path: Path) -> None:
    """A recording whose strap only said "no beat" (a heart-rate notification without RR
    intervals, before skin contact) was named by the startup note as missing from the
    history, then refused by ``history --add`` (found in review): the two now agree. One
    notification with a beat in it is named, and added."""
    import time

    from devices.heart_rate import encode_heart_rate_measurement
    from devices.packets import RawPacket, Stream
    from devices.source import SourceInfo
    from trainer.errors import UserError
    from trainer.storage.recording import Header, write_recording

    now = time.time_ns()
    header = Header(0, now, SourceInfo("ble", "Polar H10 A0:9E", streams={}))
    db = tmp_path / "h.sqlite3"

    def recording(name: str, payload: bytes) -> Path:
        packet = RawPacket(10**9, now + 10**9, Stream.HEART_RATE.value, payload)
        end = {"end_mono_ns": 2 * 10**9, "end_wall_ns": now + 2 * 10**9}
        return write_recording(tmp_path / name, header, [packet], {}, **end)

    empty = recording("empty.bwr", bytes([0x00, 0]))
    assert hist.not_in_history(tmp_path, db_path=db) == []
    with pytest.raises(UserError, match="no sensor data"):
        hist.add_recording(empty, db_path=db)
    beat = recording("beat.bwr", encode_heart_rate_measurement(60, [1024]))
    assert hist.not_in_history(tmp_path, db_path=db) == [beat]


def test_a_file_the_reader_refuses_outright_is_not_named_at_startup(tmp_path: Path) -> None:
    """A file of zero bytes (what a power cut leaves), an empty one, and one whose header is
    cut short were named by the ``live`` start note as "not in your history", then refused
    by the ``history --add`` it suggested ("nothing of a session is left in this file"; review
    3, finding 4). A killed session's recording beside them is still named."""
    from trainer.errors import UserError

    db = tmp_path / "h.sqlite3"
    folder = tmp_path / "recordings"
    folder.mkdir()
    killed = write_simulated(folder / "killed.bwr", 60.0, seed=1)
    header_line = killed.read_bytes().split(b"\n", 1)[0]
    (folder / "zeros.bwr").write_bytes(bytes(4096))
    (folder / "empty.bwr").write_bytes(b"")
    (folder / "cut.bwr").write_bytes(header_line[:100])
    assert hist.not_in_history(folder, db_path=db) == [killed]
    for name, reason in (
        ("zeros.bwr", r"zeros\.bwr: all zero bytes, not a Breathwise recording"),
        ("empty.bwr", r"empty\.bwr: empty file, not a Breathwise recording"),
        ("cut.bwr", r"cut\.bwr: recording header cut short"),
    ):
        with pytest.raises(UserError, match=reason):
            hist.add_recording(folder / name, db_path=db)


def test_a_start_the_host_clock_did_not_give_hides_no_killed_session(tmp_path: Path) -> None:
    """Only the latest start of a session ``live`` recorded, and not after now, hides older
    recordings from the startup note: one row dated four years ahead (a device clock gone
    wrong) had hidden every killed session (review 3, finding 5), and an import starts when
    its data did, on another clock, up to a day ahead."""
    db = tmp_path / "h.sqlite3"
    folder = tmp_path / "recordings"
    folder.mkdir()
    now = time.time_ns()
    killed = write_simulated(folder / "killed.bwr", 60.0, seed=1)
    killed_ns = now - 3600 * 10**9  # killed an hour ago
    os.utime(killed, ns=(killed_ns, killed_ns))
    rows = [
        _metrics("before", now - 2 * 3600 * 10**9, source="ble"),
        _metrics("future", now + 4 * 365 * DAY_NS, source="sim"),
        _metrics("ahead", now + 600 * 10**9, source="ble"),  # not yet: a clock set back since
        _metrics("import", now - 600 * 10**9, source="import"),
        _metrics("sample", now - 60 * 10**9, source="sample"),
        # A re-imported export keeps its original's source and start (review 8, finding 4).
        _metrics("reimport", now - 300 * 10**9, source="sim", exported_session="orig"),
    ]
    # In the folder of the killed session: only a start there, or a start's look in it, counts
    # (tests/test_killed_sessions.py).
    for row in rows:
        add_or_update_session(row, folder / f"{row['session_key']}.bwr", db_path=db)
    assert hist.not_in_history(folder, db_path=db) == [killed]
    # A session live recorded since: the note was shown at its start, and is not again.
    add_or_update_session(
        _metrics("after", now - 600 * 10**9, source="none"), folder / "after.bwr", db_path=db
    )
    assert hist.not_in_history(folder, db_path=db) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "{rec}", "--speed", "max", "--headless"],
        ["export", "{rec}", "-o", "{tmp}/out"],
        ["report", "{rec}", "-o", "{tmp}/r.png"],
        ["hrv", "{rr}"],
        ["breaths", "--rr", "{rr}"],
        ["import", "{rr}", "--no-history", "-o", "{tmp}/i.bwr"],
    ],
)
def test_no_file_is_refused_by_the_cli_layer_before_our_own_checks(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    """typer's ``Path`` parameters default to ``readable=True``: an unreadable file then got
    typer's generic refusal (exit 2, "... is not readable. Try 'breathwise --help'") before the
    command could give its own one line, and ``history --add`` refused all its files over one
    (review 1, finding 1). The tests run as root, who reads any file, so ``os.access`` says
    "unreadable" here, which is what typer asks; the command then reads the file itself."""
    import os

    recording = write_simulated(tmp_path / "locked.bwr", 60.0, seed=1)
    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(str(900 + 40 * (i % 7)) for i in range(200)) + "\n")
    real_access = os.access
    locked = {recording, rr}
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode, **kw: False if Path(p) in locked else real_access(p, mode, **kw),
    )
    args = [a.format(rec=recording, rr=rr, tmp=tmp_path) for a in argv]
    code = run(args)
    assert "not readable" not in capsys.readouterr().err
    assert code == 0


def test_an_unreadable_recordings_row_can_be_removed_and_its_add_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root, who reads any file: ``os.access`` says "unreadable" instead,
    which is what click's check asked. ``--remove`` reads no file; ``--add`` opens it and
    meets what the file system says (here: readable), never click's generic refusal."""
    import os

    recording = write_simulated(tmp_path / "locked.bwr", 60.0, seed=1)
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode, **kw: False if Path(p) == recording else real_access(p, mode, **kw),
    )
    assert run(["history", "--add", str(recording)]) == 0
    assert [Path(row.path).name for row in list_sessions()] == ["locked.bwr"]
    capsys.readouterr()
    assert run(["history", "--remove", str(recording)]) == 0
    assert "removed from the history: " in capsys.readouterr().err
    assert list_sessions() == [] and recording.exists()


def test_a_refreshed_row_without_a_closing_summary_names_the_numbers_that_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 39 F2: an import (or a killed session) has no closing summary, so ``history
    --add`` rewrote its row with today's numbers without a word (an H10 import's rate 9.8 ->
    none, RSA 2.3 -> none, coherence 3.0 -> 1.4). The row it replaces is compared instead."""
    a = _import_rr(tmp_path, "a.txt", _rr(1), "2026-03-01T07:30")
    capsys.readouterr()
    # The same numbers again: a refresh says nothing more.
    assert run(["history", "--add", str(a)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("refreshed a.bwr (") and not _notes(err), err
    (fresh,) = list_sessions()
    assert fresh.median_rate_bpm is not None and fresh.rsa_bpm is not None
    assert fresh.coherence_score is not None
    # As an earlier analysis stored it: other rate and coherence, no RSA; an RMSSD (not a
    # number the note names) and a ratio within the shown precision do not count.
    with sqlite3.connect(hist.default_db_path()) as conn:
        conn.execute(
            "UPDATE sessions SET median_rate_bpm = ?, rsa_bpm = NULL, coherence_score = ?, "
            "rmssd_ms = ?",
            (fresh.median_rate_bpm + 2.0, fresh.coherence_score + 1.6, 999.0),
        )
    conn.close()
    assert run(["history", "--add", str(a)]) == 0
    err = _notes(capsys.readouterr().err.splitlines())
    assert len(err) == 1, err
    assert err[0].startswith(
        "note: a.bwr: its history row changed from what an earlier analysis stored ("
        f"median rate {fresh.median_rate_bpm + 2.0:.1f} -> {fresh.median_rate_bpm:.1f}/min, "
        f"RSA - -> {fresh.rsa_bpm:.1f} bpm, "
        f"coherence {fresh.coherence_score + 1.6:.1f} -> {fresh.coherence_score:.1f}/10): "
        "the row now holds today's analysis ("
    ), err[0]
    # This import named today's revision: the note says the rows should have agreed.
    assert f"made under this analysis revision ({ANALYSIS_REVISION}" in err[0]
    # What is stored is today's analysis, as before the fix.
    (again,) = list_sessions()
    assert replace_updated(again) == replace_updated(fresh)
    # Refreshed again: the row now agrees with today's analysis, nothing to say.
    assert run(["history", "--add", str(a)]) == 0
    assert not _notes(capsys.readouterr().err.splitlines())


def test_an_import_refreshing_its_row_names_the_numbers_that_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``import`` to the name of a deleted recording of the same session refreshes its row:
    a row stored otherwise (by an earlier analysis) is named as the ``history --add`` note
    does."""
    a = _import_rr(tmp_path, "a.txt", _rr(1), "2026-03-01T07:30")
    (fresh,) = list_sessions()
    assert fresh.mean_follow_score is None and fresh.breaths == 0
    with sqlite3.connect(hist.default_db_path()) as conn:
        conn.execute("UPDATE sessions SET breaths = 7, hr_start_bpm = ?", (99.0,))
    conn.close()
    a.unlink()
    capsys.readouterr()
    assert (
        run(["import", str(tmp_path / "a.txt"), "--start", "2026-03-01T07:30", "-o", str(a)]) == 0
    )
    err = capsys.readouterr().err
    assert "already in your history: its row refreshed" in err
    assert (
        "note: its history row changed from what an earlier analysis stored (breaths 7 -> 0, "
        f"HR at start 99 -> {fresh.hr_start_bpm:.0f} bpm): "
    ) in err
    (again,) = list_sessions()
    assert replace_updated(again) == replace_updated(fresh)


def _notes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("note:")]


def replace_updated(row: SessionRow) -> SessionRow:
    """``row`` but when it was written."""
    return replace(row, updated_wall_ns=0)


def test_a_killed_sessions_refreshed_row_names_the_numbers_that_changed(tmp_path: Path) -> None:
    """A session killed before its closing summary (review 39: follow 84 -> 77, no note):
    its refreshed row is compared with the one stored before, revision named."""
    from trainer.reports.session_analysis import analyse_recording
    from trainer.storage.history import add_recording

    whole = write_simulated(tmp_path / "whole.bwr", 60.0, seed=1)
    killed = tmp_path / "killed.bwr"
    lines = whole.read_bytes().splitlines(keepends=True)
    killed.write_bytes(b"".join(lines[:-1]))  # no closing record
    analysis = analyse_recording(killed)
    assert analysis.truncated and analysis.recorded_summary is None
    db = tmp_path / "h.sqlite3"
    first = add_recording(killed, db_path=db)
    assert first.changed_note == ""
    assert add_recording(killed, db_path=db).changed_note == ""
    with History(db) as history:
        # A row of a history from before schema v3 holds no breath source: not a change.
        assert first.row.breath_source is not None
        changed = {"breaths": first.row.breaths + 3, "gaps": 2, "breath_source": None}
        history.upsert({**asdict(first.row), **changed})
    stored = add_recording(killed, db_path=db)
    assert stored.refreshed
    assert stored.changed_note.startswith(
        "note: its history row changed from what an earlier analysis stored ("
        f"breaths {first.row.breaths + 3} -> {first.row.breaths}, gaps 2 -> 0): "
        "the row now holds today's analysis ("
    ), stored.changed_note
    assert replace_updated(stored.row) == replace_updated(first.row)
