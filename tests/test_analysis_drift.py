"""``report``, ``history --add`` and exports say which analysis produced their numbers, and the
history's identity of a recording does not change with the version that wrote it.

Replay said when today's analysis gave other numbers than the live session closed with; the
report and the history analysed the same bytes again and said nothing, and an export did not
name the analysis at all. And the history keyed a recording by a digest of its header that held
the ``software`` string, so after an upgrade the same RR file imported again, or the same
recording re-added, became a second row.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pyedflib
import pytest
from recording_edits import resealed, without_checksums

from trainer import ANALYSIS_REVISION, SOFTWARE
from trainer.cli.app import run
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.history import (
    COLUMNS,
    SCHEMA_VERSION,
    ExportOfHeldSession,
    History,
    default_db_path,
    list_sessions,
    migrate,
    not_in_history,
)
from trainer.storage.recording import earlier_header_digest, header_digest, read_header

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"
NEW_SOFTWARE = "breathwise 0.2.0"


def _earlier_analysis(target: Path) -> Path:
    """The bundled sample as an analysis from before recordings named their revision would
    have left it: no ``analysis_revision`` in its header, and a closing summary with three
    breaths more and a coherence one higher than today's analysis finds."""
    # Such a Breathwise wrote no checksums either (recording_edits.without_checksums).
    lines = without_checksums(SAMPLE.read_text()).splitlines()
    header = json.loads(lines[0])
    del header["analysis_revision"]
    lines[0] = json.dumps(header)
    end = json.loads(lines[-1])
    end["summary"]["breaths"] += 3
    end["summary"]["coherence_score"] += 1.0
    lines[-1] = json.dumps(end)
    target.write_text("\n".join(lines) + "\n")
    return target


def _notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if "differs from what the live session" in line]


def _changes(note: str) -> str:
    """The numbers a note names: its first parenthesis."""
    return note.split(" (", 1)[1].split("): ", 1)[0]


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _earlier_analysis(tmp_path_factory.mktemp("earlier") / "earlier.bwr")


def test_report_says_it_as_replay_does_on_stderr_and_on_its_page(
    earlier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the report showed today's numbers without a word, on the terminal or the page."""
    assert run(["replay", str(earlier), "--speed", "max", "--headless"]) == 0
    (replayed,) = _notes(capsys.readouterr().err)
    assert run(["report", str(earlier), "-o", str(tmp_path / "r.png")]) == 0
    (note,) = _notes(capsys.readouterr().err)
    # The replay's comparison, named for the report.
    assert _changes(note) == _changes(replayed)
    assert note.startswith("note: this report differs from what the live session showed (")
    assert note.endswith(
        f"and the report by today's analysis ({SOFTWARE}, analysis revision {ANALYSIS_REVISION})"
    )
    page = [t.get_text() for ax in report_figure(analyse_recording(earlier)).axes for t in ax.texts]
    on_page = [t for t in page if "differs from what the live session" in t]
    assert len(on_page) == 1
    assert " ".join(on_page[0].split()) == note.removeprefix("note: ")


def test_a_folder_of_reports_says_it_for_each_file(
    earlier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / earlier.name).write_bytes(earlier.read_bytes())
    (folder / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    assert run(["report", str(folder), "--jobs", "1", "--table-only"]) == 0
    (note,) = _notes(capsys.readouterr().err)
    assert note.startswith("note: earlier.bwr: this report differs from what the live session")


def test_a_report_whose_numbers_agree_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["report", str(SAMPLE), "-o", str(tmp_path / "r.png")]) == 0
    assert _notes(capsys.readouterr().err) == []
    page = [t.get_text() for ax in report_figure(analyse_recording(SAMPLE)).axes for t in ax.texts]
    assert not any("differs" in text for text in page)


def test_history_add_says_it_once_per_file(
    earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the row held today's numbers, and ``history --add`` said only "added"."""
    assert run(["history", "--add", str(earlier)]) == 0
    (note,) = _notes(capsys.readouterr().err)
    assert note.startswith(
        "note: earlier.bwr: its history row differs from what the live session showed ("
        f"breaths {82} -> 79, coherence "
    )
    assert "and the row by today's analysis" in note
    # The row holds today's numbers: those the note says.
    (row,) = list_sessions()
    assert row.breaths == 79
    # The same session's own recording, whose numbers agree: its row, and no note.
    assert run(["history", "--add", str(SAMPLE)]) == 0
    assert _notes(capsys.readouterr().err) == []
    assert [Path(r.path).name for r in list_sessions()] == [SAMPLE.name]


def test_exports_name_the_analysis_that_produced_them(
    earlier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: session.csv named no software at all, and the EDF+ header the recording's
    software only, which stays the same across analysis changes."""
    assert run(["export", str(earlier), "-f", "csv", "-o", str(tmp_path)]) == 0
    with (tmp_path / "earlier.session.csv").open(newline="") as handle:
        fields = {row[0]: row[1] for row in csv.reader(handle)}
    assert fields["exported_by"] == SOFTWARE
    assert fields["analysis_revision"] == str(ANALYSIS_REVISION)
    assert fields["recorded_by"] == "breathwise 0.1.0"
    assert fields["recorded_analysis_revision"] == ""  # the sample predates the revision
    edf = tmp_path / "earlier.edf"
    assert run(["export", str(earlier), "-f", "edf", "-o", str(edf)]) == 0
    with pyedflib.EdfReader(str(edf)) as reader:
        onsets, _, texts = reader.readAnnotations()
    named = [o for o, t in zip(onsets, texts, strict=True) if t.startswith("analysis")]
    assert named == [0.0]
    assert f"analysis revision {ANALYSIS_REVISION}, {SOFTWARE}" in texts


# -- identity --------------------------------------------------------------------------------


def _import(tmp_path: Path, start: str = "2026-12-01T07:00") -> Path:
    """An RR list of 300 beats imported as the issue's reproduction did (not added)."""
    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(str(900 + (k * 37) % 120) for k in range(300)) + "\n")
    target = tmp_path / "a.bwr"
    assert run(["import", str(rr), "-o", str(target), "--start", start, "--no-history"]) == 0
    return target


def _other_version(recording: Path, target: Path) -> Path:
    """``recording`` as another version of Breathwise wrote it (``sed`` on its header, and
    the checksums that version wrote over it)."""
    text = recording.read_text()
    assert SOFTWARE in text.splitlines()[0]
    target.write_text(resealed(text.replace(SOFTWARE, NEW_SOFTWARE)))
    return target


def test_another_version_of_the_same_recording_is_the_same_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: before, two identical rows."""
    a = _import(tmp_path)
    b = _other_version(a, tmp_path / "b.bwr")
    assert header_digest(read_header(a)) == header_digest(read_header(b))
    assert run(["history", "--add", str(a)]) == 0
    assert run(["history", "--add", str(b)]) == 0
    assert [Path(r.path).name for r in list_sessions()] == ["b.bwr"]
    assert "replaces the history row of a.bwr" in capsys.readouterr().err


def _v6_history(rows: list[dict[str, Any]]) -> Path:
    """A history as schema v6 wrote it, where Breathwise keeps it: its rows keyed by the start
    clocks and the header's digest with the software string in it (what Breathwise wrote until
    this change). Returns its path."""
    db = default_db_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, to_version=6)
    for values in rows:
        names = [n for n in COLUMNS if n in values]
        conn.execute(
            f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [values[n] for n in names],
        )
    conn.close()
    return db


def _v6_row(recording: Path, **extra: Any) -> dict[str, Any]:
    analysis = analyse_recording(recording)
    assert analysis.earlier_session_key is not None
    return {
        **analysis.metrics(),
        "session_key": analysis.earlier_session_key,
        "path": str(recording.resolve()),
        "updated_wall_ns": 1,
        **extra,
    }


def test_a_v6_history_is_rekeyed_merging_one_session_and_keeping_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows of the same session under two versions become one; every other row is kept, one
    whose recording is gone with its key; a re-import's link follows its original's new key;
    and the recordings match their rows again (no row added by adding them)."""
    a = _import(tmp_path)
    b = _other_version(a, tmp_path / "b.bwr")
    gone_dir = tmp_path / "gone"
    gone_dir.mkdir()
    gone = _other_version(_import(gone_dir, "2026-11-01T07:00"), gone_dir / "moved.bwr")
    (gone_dir / "a.bwr").unlink()
    gone_row = _v6_row(gone)
    gone.unlink()
    reimport = {
        "session_key": "9-9-0123456789abcdef",
        "path": "/elsewhere/back.bwr",
        "start_wall_ns": 9,
        "duration_s": 60.0,
        "updated_wall_ns": 1,
        "exported_session": _v6_row(a)["session_key"],
    }
    db = _v6_history([_v6_row(a), _v6_row(b, updated_wall_ns=2), gone_row, reimport])
    with History() as history:
        rows = history.list_sessions()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 7
    new_key = analyse_recording(a).session_key
    assert [(Path(r.path).name, r.session_key) for r in rows] == [
        ("back.bwr", "9-9-0123456789abcdef"),
        ("moved.bwr", gone_row["session_key"]),
        ("b.bwr", new_key),  # the later of two equal rows
    ]
    assert rows[0].exported_session == new_key
    capsys.readouterr()
    assert run(["history", "--add", str(a), str(b)]) == 0
    # No row added: a and b are the row's session, whose re-import's row a replaces (the
    # history keeps the original's), as it did before the upgrade.
    assert [Path(r.path).name for r in list_sessions()] == ["moved.bwr", "b.bwr"]
    assert "replaces the history row of /elsewhere/back.bwr (imported" in capsys.readouterr().err


def test_a_row_whose_recording_was_gone_at_the_upgrade_is_taken_over_when_it_is_back(
    tmp_path: Path,
) -> None:
    a = _import(tmp_path)
    row = _v6_row(a)
    hidden = a.rename(tmp_path / "hidden.bwr")
    _v6_history([row])
    assert [r.session_key for r in list_sessions()] == [row["session_key"]]
    # Back under another version's name: its earlier key was another digest, but this
    # recording's own earlier key matches the row.
    hidden.rename(a)
    assert run(["history", "--add", str(a)]) == 0
    (kept,) = list_sessions()
    assert kept.session_key == analyse_recording(a).session_key


def test_an_export_written_before_names_its_original_by_the_earlier_key(
    tmp_path: Path,
) -> None:
    """A CSV export of a session written before the upgrade holds its original's earlier key:
    imported back after it, still that session, not a second row."""
    a = _import(tmp_path)
    earlier_key = _v6_row(a)["session_key"]
    _v6_history([_v6_row(a)])
    with (
        History() as history,
        pytest.raises(ExportOfHeldSession, match=r"\(a\.bwr\), which the history already holds"),
    ):
        history.store(
            {
                "session_key": "9-9-0123456789abcdef",
                "path": str(tmp_path / "back.bwr"),
                "start_wall_ns": 9,
                "duration_s": 60.0,
                "exported_session": earlier_key,
            }
        )
    assert len(list_sessions()) == 1
    assert earlier_header_digest(read_header(a)) in earlier_key


def test_a_row_the_upgrade_could_not_rekey_is_still_the_session_its_new_export_names(
    tmp_path: Path,
) -> None:
    """Review 4, F4: a row whose recording was unreadable at the upgrade kept its earlier key;
    its recording back, an export of it names the new key, and importing that export added
    the session a second row (its minutes counted twice). Now refused, named held by the
    startup check, and the row re-keyed then."""
    rec = tmp_path / "rec"
    rec.mkdir()
    b = _import(rec)
    row = _v6_row(b)
    hidden = b.rename(tmp_path / "b.hidden")
    _v6_history([row])
    assert [r.session_key for r in list_sessions()] == [row["session_key"]]  # the upgrade
    hidden.rename(b)
    exported = tmp_path / "exp"
    assert run(["export", str(b), "-o", str(exported)]) == 0
    reimport = rec / "b-re.bwr"
    beats = exported / "a.beats.csv"
    assert run(["import", str(beats), "-o", str(reimport), "--no-history"]) == 0
    assert not_in_history(rec) == []
    assert run(["history", "--add", str(reimport)]) != 0
    (kept,) = list_sessions()
    assert (Path(kept.path).name, kept.session_key) == ("a.bwr", analyse_recording(b).session_key)
    with History() as history:
        assert history.aliases() == {row["session_key"]: kept.session_key}


def test_another_versions_copy_takes_over_a_row_the_upgrade_could_not_rekey(
    tmp_path: Path,
) -> None:
    """Its own earlier key is not the row's (the software differs), its new key is: one row."""
    a = _import(tmp_path)
    row = _v6_row(a)
    hidden = a.rename(tmp_path / "hidden.bwr")
    _v6_history([row])
    assert len(list_sessions()) == 1  # the upgrade, a.bwr gone
    hidden.rename(a)
    copy = _other_version(a, tmp_path / "copy.bwr")
    assert not_in_history(tmp_path) == []
    assert run(["history", "--add", str(copy)]) == 0
    assert [Path(r.path).name for r in list_sessions()] == ["copy.bwr"]


def test_a_recording_whose_row_the_upgrade_merged_away_is_not_named_missing(
    tmp_path: Path,
) -> None:
    """Review 4, F2: the upgrade merged the rows of two versions' recordings of one session;
    the startup check named the one whose row went as a session stopped before it could add
    itself. Its session is in the history."""
    a = _import(tmp_path)
    b = _other_version(a, tmp_path / "b.bwr")
    _v6_history([_v6_row(a), _v6_row(b, updated_wall_ns=2)])
    assert [Path(r.path).name for r in list_sessions()] == ["b.bwr"]
    assert not_in_history(tmp_path) == []
    # Another file of the same start but another session is still named.
    other = tmp_path / "other.bwr"
    other.write_text(a.read_text().replace('"rr.txt"', '"rr2.txt"', 1))
    assert read_header(other).start_wall_ns == read_header(a).start_wall_ns
    assert header_digest(read_header(other)) != header_digest(read_header(a))
    assert not_in_history(tmp_path) == [other]
