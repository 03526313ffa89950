"""A Breathwise CSV export imported back is the session it came from (review of the
``<stem>.session.csv`` sidecar): any stem, either order of ``history --add``, a start checked
as any other, ``--start`` said plainly, and no ``inf`` from rows of an older Breathwise. The
schema step (v6) is tested with the others, in ``test_history.py``."""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import WALL_NS, write_simulated

from trainer.cli.app import run
from trainer.cli.history import format_rows
from trainer.errors import UserError
from trainer.reports.session_analysis import analyse_recording
from trainer.storage import history as hist
from trainer.storage.export import export_recording, pmd_waveforms
from trainer.storage.history import (
    History,
    add_recording,
    list_sessions,
    migrate,
)
from trainer.storage.imports.export_sidecar import read_export_session
from trainer.storage.imports.import_file import import_recording
from trainer.storage.imports.session import ImportFileError
from trainer.storage.recording import read_recording

STEM = "evening.2026-12-05"
"""A recording name with dots of its own (found in review: its export found no sidecar)."""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 90 s simulated session ``rec/<STEM>.bwr`` exported as CSV into ``exp/``."""
    root = tmp_path_factory.mktemp("roundtrip")
    (root / "rec").mkdir()
    original = write_simulated(root / "rec" / f"{STEM}.bwr", 90.0, seed=3)
    export_recording(original, "csv", root / "exp")
    return root


PLAIN = "plain"
"""A stem without dots: what the tests of the other findings use, so each fails for its own
finding on the code before the fix."""


def _copy(exported: Path, tmp_path: Path, stem: str = PLAIN) -> tuple[Path, Path]:
    """The original recording and the export's folder, copied so a test may change them; the
    export's files renamed ``<stem>.<stream>.csv``."""
    shutil.copytree(exported, tmp_path / "t")
    folder = tmp_path / "t" / "exp"
    for file in folder.iterdir():
        file.rename(folder / file.name.replace(STEM, stem))
    return tmp_path / "t" / "rec" / f"{STEM}.bwr", folder


def _set_sidecar_start(folder: Path, start_wall_ns: str) -> None:
    sidecar = folder / f"{PLAIN}.session.csv"
    lines = [
        f"start_wall_ns,{start_wall_ns}" if line.startswith("start_wall_ns,") else line
        for line in sidecar.read_text().splitlines()
    ]
    sidecar.write_text("\n".join(lines) + "\n")


def test_a_stem_with_dots_finds_its_sidecar(exported: Path, tmp_path: Path) -> None:
    """``evening.2026-12-05.beats.csv`` imported at the file's time, without the SIMULATED
    SENSOR mark, and ``history --add`` counted it next to its original."""
    original, folder = _copy(exported, tmp_path, STEM)
    beats = folder / f"{STEM}.beats.csv"
    found = read_export_session(beats)
    assert found is not None and found.recording == original.name
    # Only a known stream's name is taken off: a stem alone, or an unknown part, is no export.
    assert read_export_session(folder / f"{STEM}.csv") is None
    assert read_export_session(folder / "evening.notes.csv") is None
    # A copy that upper-cased the name's ending (as the code before read it) is still one.
    shouted = beats.rename(folder / f"{STEM}.BEATS.CSV")
    assert read_export_session(shouted) == found
    shouted.rename(beats)

    result = import_recording(beats, output=tmp_path / "back.bwr")
    back = analyse_recording(result.path)
    assert back.start_wall_ns == WALL_NS
    assert back.source_kind == "sim"
    db = tmp_path / "history.sqlite3"
    add_recording(original, db_path=db)
    with pytest.raises(UserError, match=r"an export of the session of .* not added again"):
        add_recording(result.path, db_path=db)
    assert len(list_sessions(db_path=db)) == 1


def test_a_gzipped_export_finds_its_sidecar(exported: Path, tmp_path: Path) -> None:
    """A ``beats.csv.gz`` was read but found no sidecar, gzipped or not, so it was imported at
    the file's own time as an unlinked session, its SIMULATED SENSOR mark lost (found in
    review)."""
    _, folder = _copy(exported, tmp_path)
    plain = read_export_session(folder / f"{PLAIN}.beats.csv")
    assert plain is not None
    for name in (f"{PLAIN}.beats.csv", f"{PLAIN}.session.csv"):
        (folder / f"{name}.gz").write_bytes(gzip.compress((folder / name).read_bytes()))
    beats_gz = folder / f"{PLAIN}.beats.csv.gz"
    assert read_export_session(beats_gz) == plain
    (folder / f"{PLAIN}.session.csv").unlink()  # only the gzipped sidecar left
    zipped = read_export_session(beats_gz)
    assert zipped is not None and zipped.sidecar.name == f"{PLAIN}.session.csv.gz"
    assert dataclasses.replace(zipped, sidecar=plain.sidecar) == plain
    back = analyse_recording(import_recording(beats_gz, output=tmp_path / "gz.bwr").path)
    assert back.start_wall_ns == WALL_NS and back.source_kind == "sim"
    # A damaged gzipped sidecar is refused like any unreadable one, not ignored.
    (folder / f"{PLAIN}.session.csv.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(ImportFileError, match="cannot be read"):
        read_export_session(beats_gz)


def test_the_original_added_after_its_reimport_replaces_its_row(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``history --add exp/back.bwr rec/orig.bwr`` said "added 2 sessions" and kept both: the
    refusal worked only when the original was there first (also: an import added on another
    machine, the original's folder added later)."""
    original, folder = _copy(exported, tmp_path)
    back = import_recording(folder / f"{PLAIN}.beats.csv", output=folder / "back.bwr").path

    assert run(["history", "--add", str(back), str(original)]) == 0
    err = capsys.readouterr().err
    assert (
        f"added {original.name} (1.5 min); it replaces the history row of back.bwr "
        "(imported from its CSV export)"
    ) in err.replace(str(folder) + "/", "")
    rows = list_sessions()
    assert [Path(r.path).name for r in rows] == [original.name]
    assert rows[0].exported_session is None
    # The re-import, added again, is refused: one row per session, the original's.
    assert run(["history", "--add", str(back)]) == 1
    assert "not added again" in capsys.readouterr().err
    assert len(list_sessions()) == 1


def test_a_reimport_alone_keeps_the_link_to_its_original(exported: Path, tmp_path: Path) -> None:
    original, folder = _copy(exported, tmp_path)
    back = import_recording(folder / f"{PLAIN}.beats.csv", output=tmp_path / "back.bwr").path
    db = tmp_path / "history.sqlite3"
    stored = add_recording(back, db_path=db)
    assert stored.row.exported_session == analyse_recording(original).session_key
    again = add_recording(original, db_path=db)
    assert again.replaced_exports == (str(back.resolve()),)
    assert again.replaced_other_file
    assert [r.path for r in list_sessions(db_path=db)] == [str(original.resolve())]


@pytest.mark.parametrize(
    ("start_wall_ns", "reason"),
    [
        ("0", "is before 2000"),
        ("4102444800000000000", "is in the future"),  # 2100-01-01
        ("99999999999999999999999", "is in the future"),  # a traceback: year 3170843
    ],
)
def test_an_implausible_sidecar_start_is_refused_in_one_line(
    exported: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    start_wall_ns: str,
    reason: str,
) -> None:
    """The sidecar's start skipped the check ``--start`` and a file's own times get: 0 imported
    at 1970 and 2100 at 2100 (rc 0), and 1e23 ns was a ValueError traceback."""
    _, folder = _copy(exported, tmp_path)
    _set_sidecar_start(folder, start_wall_ns)
    out = tmp_path / "back.bwr"
    assert run(["import", str(folder / f"{PLAIN}.beats.csv"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{PLAIN}.session.csv: the session's start it gives" in err and reason in err
    assert "--start" in err
    assert not out.exists()
    # The person's --start is what the import needs then; the source still comes from it.
    assert (
        run(
            [
                "import",
                str(folder / f"{PLAIN}.beats.csv"),
                "-o",
                str(out),
                "--start",
                "2026-03-01T07:30",
            ]
        )
        == 0
    )
    assert analyse_recording(out).source_kind == "sim"


def test_with_start_the_link_is_dropped_and_the_corrected_start_kept(
    exported: Path, tmp_path: Path
) -> None:
    """``import ... --start 2026-03-01T07:30`` kept the link: the original (its clock wrong,
    2020-01-01 00:00) added after the re-import replaced its row, and the corrected start was
    lost for good (the re-import, added again, refused)."""
    original, folder = _copy(exported, tmp_path)
    _set_sidecar_start(folder, str(1_577_836_800 * 10**9))  # 2020-01-01T00:00Z
    given = 1_772_350_200 * 10**9  # 2026-03-01T07:30Z
    result = import_recording(
        folder / f"{PLAIN}.beats.csv", output=tmp_path / "back.bwr", start_wall_ns=given
    )
    (note,) = [n for n in result.notes if "Breathwise export" in n]
    assert "its start (" not in note and "its start is --start's" in note
    assert "the history counts it as a session of its own" in note
    back = analyse_recording(result.path)
    assert back.start_wall_ns == given
    assert back.source_kind == "sim"  # the source still comes from the sidecar
    assert "exported_session" not in back.settings
    db = tmp_path / "history.sqlite3"
    add_recording(result.path, db_path=db)
    assert add_recording(original, db_path=db).replaced_exports == ()
    rows = {Path(r.path).name: r.start_wall_ns for r in list_sessions(db_path=db)}
    assert rows["back.bwr"] == given and len(rows) == 2
    assert add_recording(result.path, db_path=db).row.start_wall_ns == given


def test_a_stored_infinite_number_reads_as_not_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows stored before an unmeasured ratio was left out of the mean hold ``inf``:
    ``history`` showed ``inf`` in the ratio column."""
    db = hist.default_db_path()
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, db, to_version=5)
    conn.execute(
        "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, breaths, "
        "mean_ratio, rmssd_ms, coherence, updated_wall_ns) "
        "VALUES ('k', '/r/a.bwr', ?, 300.0, 30, ?, ?, ?, 1)",
        (WALL_NS, float("inf"), float("-inf"), 2.5),
    )
    conn.close()
    (row,) = list_sessions()
    assert (row.mean_ratio, row.rmssd_ms, row.coherence) == (None, None, 2.5)
    assert "inf" not in "\n".join(format_rows([row]))
    assert run(["history"]) == 0
    assert "inf" not in capsys.readouterr().out
    # Nor is one stored now, from whatever computed it.
    with History(db) as history:
        stored = history.store(
            {
                "session_key": "j",
                "path": "/r/b.bwr",
                "start_wall_ns": WALL_NS + 1,
                "duration_s": 60.0,
                "mean_ratio": float("inf"),
            }
        )
    assert stored.row.mean_ratio is None
    raw = sqlite3.connect(db).execute("SELECT mean_ratio FROM sessions WHERE session_key = 'j'")
    assert raw.fetchone()[0] is None


def test_live_does_not_name_a_reimport_of_a_held_session(exported: Path, tmp_path: Path) -> None:
    """``live`` names the recordings of its folder the history lacks, with the command to add
    them: a re-import there, whose adding is refused, was named after every session."""
    from trainer.storage.history import not_in_history

    original, folder = _copy(exported, tmp_path)
    back = original.parent / "back.bwr"
    import_recording(folder / f"{PLAIN}.beats.csv", output=back)
    add_recording(original)
    assert back.stat().st_mtime_ns > WALL_NS  # newer than the history's latest session
    assert not_in_history(original.parent) == []
    # Without the original in the history it is a session of its own, and named.
    assert not_in_history(original.parent, db_path=tmp_path / "other.sqlite3") == [
        back,
        original,
    ]


def test_live_does_not_name_a_second_reimport_of_a_session_held_through_another(
    exported: Path, tmp_path: Path
) -> None:
    """The original elsewhere, one re-import held: ``live`` named a second re-import of that
    session as missing from the history, whose adding ``history --add`` refuses."""
    from trainer.storage.history import not_in_history

    _, folder = _copy(exported, tmp_path)
    rec = tmp_path / "rec"
    rec.mkdir()
    first = import_recording(folder / f"{PLAIN}.beats.csv", output=rec / "first.bwr").path
    export_recording(first, "csv", tmp_path / "again")
    chained = import_recording(tmp_path / "again" / "first.beats.csv", output=rec / "c.bwr").path
    add_recording(first)
    with pytest.raises(UserError, match="not added again"):
        add_recording(chained)
    assert not_in_history(rec) == []


def test_two_reimports_of_one_session_are_one_row(exported: Path, tmp_path: Path) -> None:
    """Where the original is not in the history, the first re-import stands for it: a second
    (re-exported from the first re-import and imported again) is the same practice, and the
    original, added later, replaces it. (One given ``--start`` is a session of its own.)"""
    original, folder = _copy(exported, tmp_path)
    beats = folder / f"{PLAIN}.beats.csv"
    first = import_recording(beats, output=tmp_path / "first.bwr").path
    export_recording(first, "csv", tmp_path / "again")
    chained = import_recording(tmp_path / "again" / "first.beats.csv", output=tmp_path / "c.bwr")
    key = analyse_recording(original).session_key
    assert analyse_recording(chained.path).settings["exported_session"] == key

    add_recording(first)
    with pytest.raises(UserError, match=r"same session as first\.bwr.*not added again"):
        add_recording(chained.path)
    assert add_recording(original).replaced_exports == (str(first.resolve()),)
    with pytest.raises(UserError, match=r"session of .* already holds"):
        add_recording(chained.path)
    assert [r.path for r in list_sessions()] == [str(original.resolve())]


def test_a_reimport_added_before_the_link_is_replaced_by_its_original(
    exported: Path, tmp_path: Path
) -> None:
    """A v5 history may hold both rows (the one-way refusal), their link column NULL after the
    upgrade: adding the original again removed nothing, and the session counted twice."""
    original, folder = _copy(exported, tmp_path)
    back = import_recording(folder / f"{PLAIN}.beats.csv", output=tmp_path / "back.bwr").path
    add_recording(back)
    db = hist.default_db_path()
    with History(db) as history:  # another session of the same start, its file gone
        history.store(
            {
                "session_key": "gone",
                "path": "/gone.bwr",
                "start_wall_ns": WALL_NS,
                "duration_s": 60.0,
            }
        )
    with sqlite3.connect(db) as conn:  # what a v5 Breathwise stored: no link
        conn.execute("UPDATE sessions SET exported_session = NULL")
    assert add_recording(original).replaced_exports == (str(back.resolve()),)
    # A row whose recording names no original (here: cannot be read) is never dropped.
    assert sorted(Path(r.path).name for r in list_sessions()) == sorted(["gone.bwr", original.name])
    with pytest.raises(UserError, match=r"already holds: not added again$"):
        add_recording(back)
    assert len(list_sessions()) == 2


def test_a_reimport_of_a_held_session_removes_its_own_older_row(
    exported: Path, tmp_path: Path
) -> None:
    """Where both rows are there (a v5 history, the original stored by a v5 Breathwise),
    ``history --add`` of the re-import removes its own row."""
    original, folder = _copy(exported, tmp_path)
    back = import_recording(folder / f"{PLAIN}.beats.csv", output=tmp_path / "back.bwr").path
    add_recording(back)
    key = analyse_recording(original).session_key
    db = hist.default_db_path()
    with sqlite3.connect(db) as conn:  # what a v5 Breathwise stored: no link, two rows
        conn.execute("UPDATE sessions SET exported_session = NULL")
        conn.execute(
            "INSERT INTO sessions (session_key, path, start_wall_ns, duration_s, "
            "updated_wall_ns) VALUES (?, ?, ?, 90.0, 1)",
            (key, str(original.resolve()), WALL_NS),
        )
    assert len(list_sessions()) == 2
    with pytest.raises(UserError, match=r"not added again; its row, added before, is removed"):
        add_recording(back)
    assert [r.path for r in list_sessions()] == [str(original.resolve())]


def test_a_reimport_of_an_original_held_under_its_older_key_is_refused(tmp_path: Path) -> None:
    """A session kept by a v4 Breathwise has the legacy key (its start clocks) until it is added
    again; the refusal looked up the sidecar's full key only, so its re-import was added beside
    it (2 rows, 20 min)."""
    with History(tmp_path / "h.sqlite3") as history:
        base = {"start_wall_ns": WALL_NS, "duration_s": 600.0}
        history.store({**base, "session_key": f"{WALL_NS}-5000", "path": "/x/O.bwr"})
        with pytest.raises(UserError, match=r"\(O\.bwr\), which the history already holds"):
            history.store(
                {
                    **base,
                    "session_key": f"{WALL_NS}-1000000000000-aaaa",
                    "path": "/x/R.bwr",
                    "exported_session": f"{WALL_NS}-5000-0123456789abcdef",
                }
            )
        assert [r.path for r in history.list_sessions()] == ["/x/O.bwr"]
    assert hist.start_clocks(f"{WALL_NS}-5000-0123abcd") == f"{WALL_NS}-5000"
    assert hist.start_clocks(f"{WALL_NS}-5000") == f"{WALL_NS}-5000"


def _beats(path: Path) -> list[tuple[float, float]]:
    lines = path.read_text().splitlines()[1:]
    return [(float(t), float(rr)) for t, rr, _ in (line.split(",") for line in lines)]


@pytest.mark.parametrize("gap", [None, (40.0, 6.0)])
def test_exported_beats_come_back_at_their_times(
    tmp_path: Path, gap: tuple[float, float] | None
) -> None:
    """Exported, imported and exported again, every beat keeps its ``t_s`` (found in review:
    every one came back 2.0-2.75 s early, the first at -0.75 s, out of step with the pacer).

    The simulated session's first beats are clamped by the live timeline (their spacing is not
    their RR), and a link gap re-anchors it: each case must come back as it was."""
    original = write_simulated(tmp_path / "orig.bwr", 90.0, seed=3, gap=gap)
    export_recording(original, "csv", tmp_path / "a")
    back = import_recording(tmp_path / "a" / "orig.beats.csv", output=tmp_path / "back.bwr")
    export_recording(back.path, "csv", tmp_path / "b")
    first = _beats(tmp_path / "a" / "orig.beats.csv")
    again = _beats(tmp_path / "b" / "back.beats.csv")
    assert len(again) == len(first) > 80
    assert [rr for _, rr in again] == [rr for _, rr in first]
    # The CSV keeps 1 µs: within 2 µs, every beat.
    assert max(abs(a - b) for (a, _), (b, _) in zip(first, again, strict=True)) <= 2e-6


def test_a_damaged_sidecar_is_refused_not_ignored(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``start_wall_ns,abc`` was skipped: the import was dated today, source ``import``, its
    link and its SIMULATED SENSOR mark lost. With --start it is a session of its own."""
    _, folder = _copy(exported, tmp_path)
    _set_sidecar_start(folder, "abc")
    beats = folder / f"{PLAIN}.beats.csv"
    with pytest.raises(UserError, match=r"damaged Breathwise export sidecar: start_wall_ns 'abc'"):
        read_export_session(beats)
    assert run(["import", str(beats), "-o", str(tmp_path / "x.bwr")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "pass --start to import plain.beats.csv as a session of its own" in err
    assert not (tmp_path / "x.bwr").exists()
    assert (
        run(["import", str(beats), "-o", str(tmp_path / "y.bwr"), "--start", "2026-01-01T08:00"])
        == 0
    )
    assert analyse_recording(tmp_path / "y.bwr").session_key
    # No sidecar at all is still no export: imported at the file's own time.
    (folder / f"{PLAIN}.session.csv").unlink()
    assert read_export_session(beats) is None


def test_a_name_that_is_not_utf8_exports_whole(exported: Path, tmp_path: Path) -> None:
    """``bad\\xffname.bwr`` raised UnicodeEncodeError after five CSVs, before the sidecar."""
    original, _ = _copy(exported, tmp_path)
    bad = original.with_name(os.fsdecode(b"bad\xffname.bwr"))
    original.rename(bad)
    written = export_recording(bad, "csv", tmp_path / "out")
    sidecar = tmp_path / "out" / os.fsdecode(b"bad\xffname.session.csv")
    assert sidecar in written
    found = read_export_session(tmp_path / "out" / os.fsdecode(b"bad\xffname.beats.csv"))
    assert found is not None and found.recording == "bad\\xffname.bwr"


def test_an_exported_ecg_that_starts_late_keeps_its_session_times(
    exported: Path, tmp_path: Path
) -> None:
    """The ``t_s`` of an export's ECG count from the session's start: one that began 5 s in
    came back at 0 s, 5 s out of step with the session's beats and pacer."""
    _, folder = _copy(exported, tmp_path)
    t_s = 5.0 + np.arange(1300) / 130.0
    ecg = np.round(300.0 * np.sin(2 * np.pi * 1.2 * t_s))
    rows = "\n".join(f"{t:.6f},{v:g}" for t, v in zip(t_s, ecg, strict=True))
    (folder / f"{PLAIN}.ecg.csv").write_text(f"t_s,ecg_uV\n{rows}\n")
    back = import_recording(folder / f"{PLAIN}.ecg.csv", output=tmp_path / "ecg.bwr").path
    [wave] = pmd_waveforms(read_recording(back))
    assert wave.t_s[0] == pytest.approx(5.0, abs=1e-3)
    assert np.array_equal(wave.values[:, 0], ecg)


def test_an_older_export_without_its_sidecar_asks_for_its_start(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exports made before session.csv existed were imported as any logger's CSV, dated by the
    file's time (today) and added as a second session, counted twice (found in review)."""
    original, folder = _copy(exported, tmp_path)
    assert run(["history", "--add", str(original)]) == 0
    (folder / f"{PLAIN}.session.csv").unlink()
    beats = folder / f"{PLAIN}.beats.csv"
    capsys.readouterr()
    assert run(["import", str(beats), "-o", str(tmp_path / "back.bwr")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"breathwise: error: {beats}: a Breathwise CSV export without its {PLAIN}.session.csv"
    )
    assert "'history --add' its recording instead" in err
    assert not (tmp_path / "back.bwr").exists() and len(hist.list_sessions()) == 1
    # Given its start, it is imported as the person says, its beats at their exported times
    # from that start: they came back 2.1 s early, scheduled as a strap's (review 39 F3).
    start = ["--start", "2026-03-01T07:30", "--no-history"]
    assert run(["import", str(beats), "-o", str(tmp_path / "back.bwr"), *start]) == 0
    exported_t = np.loadtxt(beats, delimiter=",", skiprows=1, usecols=0)
    back_t = np.sort(analyse_recording(tmp_path / "back.bwr").beat_t_s)
    assert back_t.size == exported_t.size
    assert np.max(np.abs(back_t - exported_t)) < 1e-5


def _set_sidecar_version(folder: Path, version: str | None) -> None:
    """Rewrite the sidecar's ``format_version`` row as ``version``; None removes the row, as
    an export written before the row has it."""
    sidecar = folder / f"{PLAIN}.session.csv"
    lines = [
        line for line in sidecar.read_text().splitlines() if not line.startswith("format_version,")
    ]
    if version is not None:
        lines.insert(2, f"format_version,{version}")
    sidecar.write_text("\n".join(lines) + "\n")


def test_the_sidecar_names_its_format_version_and_older_exports_still_import(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: the export carried no format version, so a reader could not tell a
    layout it does not know. ``session.csv`` now has ``format_version,1`` right after
    ``format``; an export without the row (written before it) imports as before, a newer
    version or one that is no number is refused in one line, as a newer recording is."""
    _, folder = _copy(exported, tmp_path)
    sidecar = folder / f"{PLAIN}.session.csv"
    assert sidecar.read_text().splitlines()[1:3] == [
        "format,breathwise-export",
        "format_version,1",
    ]
    beats = folder / f"{PLAIN}.beats.csv"
    with_row = read_export_session(beats)
    assert with_row is not None and with_row.start_wall_ns == WALL_NS
    _set_sidecar_version(folder, None)
    assert read_export_session(beats) == with_row
    assert run(["import", str(beats), "-o", str(tmp_path / "old.bwr"), "--no-history"]) == 0
    assert analyse_recording(tmp_path / "old.bwr").start_wall_ns == WALL_NS
    capsys.readouterr()
    for version, problem in (
        ("2", "format version 2, newer than this Breathwise reads (1)"),
        ("1.5", "format_version '1.5' is not a whole number"),
    ):
        _set_sidecar_version(folder, version)
        with pytest.raises(ImportFileError, match=re.escape(problem)):
            read_export_session(beats)
        assert run(["import", str(beats), "-o", str(tmp_path / "new.bwr")]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and problem in err
        assert not (tmp_path / "new.bwr").exists()
