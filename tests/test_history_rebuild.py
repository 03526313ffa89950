"""Rebuilding and trusting the history: a tree of month folders added whole, rows already
there said to be refreshed, a hand-edited row or an emptied file called damaged (review 9)."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest
from simulated_sessions import WALL_NS, write_simulated

from trainer.cli.app import run
from trainer.reports.batch import find_recordings
from trainer.storage import history as hist
from trainer.storage import recording as rec
from trainer.storage.history import SCHEMA_VERSION, HistoryError, list_sessions
from trainer.storage.paths import data_dir

DAMAGE_ADVICE = "move the file aside; 'breathwise history --add DIR' rebuilds it"
DAY_NS = 86_400 * 1_000_000_000


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Three one-minute sessions: one at the top, one in a month folder, one a level deeper."""
    root = tmp_path / "practice"
    for k, name in enumerate(("top.bwr", "2026-10/a.bwr", "2026-11/week-2/b.bwr")):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_simulated(path, 60.0, seed=10 + k, start_wall_ns=WALL_NS + k * DAY_NS)
    (root / "2026-10" / "notes.txt").write_text("not a recording\n")
    return root


def test_history_add_takes_the_recordings_of_every_subfolder(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: 'history --add DIR', the documented rebuild, said "added 1 session,
    skipped 0" for a tree of 22 recordings in month folders."""
    assert run(["history", "--add", str(tree)]) == 0
    err = capsys.readouterr().err.splitlines()
    added = sorted(line.split(" (")[0] for line in err if line.endswith(" min)"))
    assert added == ["added 2026-10/a.bwr", "added 2026-11/week-2/b.bwr", "added top.bwr"]
    assert err[-1] == "added 3 sessions, skipped 0"
    assert sorted(Path(row.path).name for row in list_sessions()) == ["a.bwr", "b.bwr", "top.bwr"]


def test_a_folder_with_nothing_in_it_or_below_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    (empty / "2026-10").mkdir(parents=True)
    assert run(["history", "--add", str(empty)]) == 1
    err = capsys.readouterr().err
    assert f"skipped {empty}: no .bwr recordings in this folder or its subfolders" in err


def test_a_folder_that_cannot_be_listed_is_named_not_passed_over(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tests run as root in CI, which reads a folder of mode 000: the refusal is made here.
    locked = tree / "2026-11"
    scandir = os.scandir

    def refusing(path: os.PathLike[str]) -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    assert run(["history", "--add", str(tree)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (
        f"skipped {locked}: cannot read this folder (Permission denied); its recordings are not "
        "added"
    ) in err
    assert err[-1] == "added 2 sessions, skipped 1"


def test_a_link_back_up_the_tree_is_followed_once(tree: Path) -> None:
    (tree / "2026-10" / "up").symlink_to(tree, target_is_directory=True)
    (tree / "elsewhere").symlink_to(tree / "2026-11", target_is_directory=True)
    found = rec.recordings_under(tree)
    assert found.unreadable == []
    names = [path.relative_to(tree).as_posix() for path in found.files]
    # Each folder listed once, whichever path reached it first.
    assert sorted(Path(name).name for name in names) == ["a.bwr", "b.bwr", "top.bwr"]
    assert "2026-10/a.bwr" in names and "top.bwr" in names


def test_report_dir_takes_every_subfolder_and_mirrors_it_in_its_reports(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """report DIR said "no .bwr recordings in this directory" for a tree of month folders."""
    assert len(find_recordings(tree)) == 3
    out = tree / "reports"
    assert run(["report", str(tree), "--jobs", "1"]) == 0
    assert "3 of 3 recordings analysed, 0 skipped" in capsys.readouterr().err
    with (out / "summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["status"], r["report"]) for r in rows] == [
        ("2026-10/a.bwr", "ok", "2026-10/a.report.png"),
        ("2026-11/week-2/b.bwr", "ok", "2026-11/week-2/b.report.png"),
        ("top.bwr", "ok", "top.report.png"),
    ]
    for r in rows:
        assert (out / r["report"]).stat().st_size > 0
    assert (out / "2026-11").stat().st_mode & 0o777 == 0o700  # health data: owner only
    # Run again: the reports folder inside DIR holds no recording, and nothing is doubled.
    assert run(["report", str(tree), "--jobs", "1", "--table-only"]) == 0
    with (out / "summary.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 3


def test_adding_recordings_already_in_the_history_says_refreshed_not_added(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: 'history --add' of a folder whose 4 recordings were in the history said
    "added 4 sessions, skipped 0", and the history still held 4 rows."""
    assert run(["history", "--add", str(tree)]) == 0
    capsys.readouterr()
    write_simulated(tree / "new.bwr", 60.0, seed=20, start_wall_ns=WALL_NS + 5 * DAY_NS)
    assert run(["history", "--add", str(tree)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "refreshed top.bwr (1.0 min): already in the history" in err
    assert "refreshed 2026-10/a.bwr (1.0 min): already in the history" in err
    assert "added new.bwr (1.0 min)" in err
    assert err[-1] == "added 1 session, refreshed 3 already in the history, skipped 0"
    assert len(list_sessions()) == 4


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ("hr_start_bpm = 'x'", "hr_start_bpm holds 'x', not a number"),
        ("median_rate_bpm = 'fast'", "median_rate_bpm holds 'fast', not a number"),
        ("breaths = 2.5", "breaths holds 2.5, not a whole number"),
        ("duration_s = 1e12, practised_s = 1e12", "duration_s holds 1000000000000.0 s, beyond"),
        ("practised_s = -60", "practised_s holds -60.0 s, beyond any session (0 to 31 days)"),
    ],
)
def test_a_hand_edited_row_is_damage_in_one_line_and_adding_its_recording_mends_it(
    tree: Path, edit: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: hr_start_bpm = 'x' ended history and progress with a traceback
    (ValueError), and duration_s = 1e12 showed "16666666862.7 min practised"."""
    assert run(["history", "--add", str(tree)]) == 0
    edited = tree / "2026-10" / "a.bwr"
    with sqlite3.connect(data_dir() / "history.sqlite3") as conn:
        conn.execute(f"UPDATE sessions SET {edit} WHERE path = ?", (str(edited),))
    conn.close()
    capsys.readouterr()
    for command in (["history"], ["progress", "-o", str(tree / "p.png")]):
        assert run(command) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"the history database is damaged (the row of {edited}: {said}" in err
        assert f"breathwise history --add {edited}" in err and DAMAGE_ADVICE in err
    with pytest.raises(HistoryError, match="damaged"):
        list_sessions()
    # The advice works: the recording writes its whole row again.
    assert run(["history", "--add", str(edited)]) == 0
    assert run(["history"]) == 0
    assert {row.practised_min for row in list_sessions()} == {1.0}


def test_an_emptied_history_file_is_damaged_and_left_as_it_is(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: a 0-byte history (a failed copy or sync) read "No sessions yet" and was
    overwritten with a fresh database, where a zero-filled one was called damaged."""
    db = data_dir() / "history.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"")
    for command in (["history"], ["progress", "-o", str(tree / "p.png")]):
        assert run(command) == 1
        err = capsys.readouterr().err
        assert err == (
            f"breathwise: error: {db}: the history database is damaged (the file is empty: "
            f"0 bytes) — {DAMAGE_ADVICE} from the recordings in DIR\n"
        )
    assert run(["history", "--add", str(tree)]) == 1
    assert "skipped" not in capsys.readouterr().err
    assert db.stat().st_size == 0 and sorted(os.listdir(db.parent)) == ["history.sqlite3"]


def test_a_new_history_is_created_whole_and_leaves_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built under a temporary name and linked into place: no other process ever finds the
    empty file SQLite starts a database with (which is now called damaged), nor one without
    its tables."""
    db = tmp_path / "data" / "history.sqlite3"
    seen: list[bool] = []
    migrate = hist.migrate

    def watched(conn: sqlite3.Connection, path: Path, **kwargs: int) -> int:
        seen.append(db.exists())
        return migrate(conn, path, **kwargs)

    monkeypatch.setattr(hist, "migrate", watched)
    assert list_sessions(db_path=db) == []
    assert seen == [False]  # the schema was made before the file was there to be found
    assert sorted(os.listdir(db.parent)) == ["history.sqlite3"]
    assert db.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_an_import_made_again_to_the_same_file_says_its_row_was_refreshed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(["800", "820", "790"] * 60) + "\n")
    out = tmp_path / "rr.bwr"
    args = ["import", str(src), "--start", "2026-01-01T07:00", "-o", str(out)]
    assert run(args) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "added to your history (2.4 min)"
    out.unlink()
    assert run(args) == 0
    said = capsys.readouterr().err.splitlines()[-1]
    assert said == "already in your history: its row refreshed (2.4 min)"
    assert len(list_sessions()) == 1
