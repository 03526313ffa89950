"""``breathwise history --format csv|json`` (review 34 F7): the history as data.

Before, ``history`` printed aligned text alone, with ``—`` for a missing value and the marks
(SIMULATED SENSOR, NO SENSOR, sensor lost at M:SS, ``!``, ``(gone)``) as words at the end of a
line: a script wanting every session's numbers had to run ``report DIR --table-only`` on each
folder of recordings instead. The history here holds a simulated session, a session without a
sensor, an import and a session whose sensor was lost (its recording gone), each made as the
other tests make them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from program_runs import record_sensorless
from simulated_sessions import write_simulated

from devices.packets import NS_PER_S
from trainer.cli.app import run
from trainer.reports.batch import SUMMARY_COLUMNS, SUMMARY_NAME
from trainer.storage.history import History, SessionRow, default_db_path, record_session
from trainer.storage.history_table import TABLE_COLUMNS, write_table

DAY_NS = 86_400 * NS_PER_S
LOST_S = 10.0
BOOLEANS = (
    "simulated",
    "no_sensor",
    "heart_rate_only",
    "heart_unreliable",
    "recording_gone",
)
INTEGERS = ("start_wall_ns", "breaths", "beats", "marks", "gaps")
TEXTS = ("path", "session_key", "start_local", "source", "program", "breath_source", "follow_basis")


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a simulated session and an import (both kept), and beside it a history
    database holding them, a sensorless session and a session whose sensor was lost."""
    root = tmp_path_factory.mktemp("history-format")
    folder = root / "recordings"
    folder.mkdir()
    write_simulated(folder / "sim.bwr", 90.0, seed=4, start_wall_ns=time.time_ns() - 3 * DAY_NS)
    rr = [800.0 + 40.0 * math.sin(k / 3.0) for k in range(300)]
    (root / "rr.txt").write_text("\n".join(f"{v:g}" for v in rr) + "\n", encoding="utf-8")
    argv = ["import", str(root / "rr.txt"), "--start", "2026-01-05T07:00", "--no-history"]
    assert run([*argv, "-o", str(folder / "imported.bwr")]) == 0
    sensorless = record_sensorless(root / "live")
    db = root / "history.sqlite3"
    for recording in (folder / "sim.bwr", folder / "imported.bwr", sensorless):
        record_session(recording, db_path=db)
    with History(db) as history:
        # As the history keeps a session that carried on without its strap (review 31 F1:
        # tests/test_sensors_gone.py records one): 10 s of beats, then 110 s without.
        history.store(
            {
                "session_key": "lost-1",
                "path": str(root / "deleted" / "lost.bwr"),
                "start_wall_ns": time.time_ns() - DAY_NS,
                "duration_s": 120.0,
                "practised_s": 120.0,
                "source": "ble",
                "program": "deep-breathing-4-8",
                "beats": 12,
                "mean_hr_bpm": 72.0,
                "hr_start_bpm": 72.5,
                "rmssd_ms": 40.0,
                "sensor_lost_from_s": LOST_S,
            }
        )
    return root


@pytest.fixture
def history(recordings: Path) -> list[SessionRow]:
    """The module's history as this test's own (the default database), and its rows."""
    target = default_db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(recordings / "history.sqlite3", target)
    with History(target) as opened:
        rows = opened.list_sessions()
    assert len(rows) == 4
    return rows


def _output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(["history", *argv]) == 0
    return capsys.readouterr().out


def _typed(cells: dict[str, str]) -> dict[str, Any]:
    """A CSV row with each cell read as its column holds it: None for an empty cell."""
    typed: dict[str, Any] = {}
    for name, cell in cells.items():
        if cell == "":
            typed[name] = None
        elif name in BOOLEANS:
            assert cell in ("True", "False"), (name, cell)
            typed[name] = cell == "True"
        elif name in INTEGERS:
            typed[name] = int(cell)
        elif name in TEXTS:
            typed[name] = cell
        else:
            typed[name] = float(cell)
    return typed


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == list(TABLE_COLUMNS)
    return [_typed(cells) for cells in reader]


def _by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in rows}


def _strict(name: str) -> None:
    raise AssertionError(f"{name} in the JSON: not strict JSON")


def test_csv_has_a_row_per_session_each_cell_of_its_column_s_type(
    history: list[SessionRow], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _output(["--format", "csv"], capsys)
    # Only the table: a header and one CRLF line per session, nothing of the text listing.
    assert out.count("\r\n") == 1 + len(history)
    assert "local time" not in out and "SIMULATED SENSOR" not in out and "—" not in out
    rows = _csv_rows(out)
    assert [row["session_key"] for row in rows] == [row.session_key for row in history]
    by = _by_source(rows)
    assert set(by) == {"sim", "none", "import", "ble"}
    for row in rows:
        assert isinstance(row["start_wall_ns"], int) and isinstance(row["practised_min"], float)
        # ISO 8601 with its UTC offset, the same instant to the second.
        start = datetime.fromisoformat(row["start_local"])
        assert start.utcoffset() is not None
        assert start.timestamp() == row["start_wall_ns"] // NS_PER_S
        assert row["simulated"] is (row["source"] == "sim")
        assert row["no_sensor"] is (row["source"] == "none")
    sim, none, imported, lost = by["sim"], by["none"], by["import"], by["ble"]
    assert sim["practised_min"] == pytest.approx(1.5, abs=0.05)
    assert 5.0 < sim["median_rate_bpm"] < 7.0 and sim["rmssd_ms"] > 0
    assert sim["sensor_lost_from_s"] is None and sim["recording_gone"] is False
    assert Path(sim["path"]).name == "sim.bwr" and Path(sim["path"]).is_absolute()
    # Nothing measured without a sensor: empty cells, never 0 or nan.
    assert none["breaths"] == 0 and none["beats"] == 0
    assert none["median_rate_bpm"] is None and none["rmssd_ms"] is None
    assert none["hr_start_bpm"] is None and none["mean_follow_score"] is None
    assert none["practised_min"] == pytest.approx(5.0 / 60.0, abs=0.01)
    assert imported["program"] == "imported" and imported["beats"] == 300
    assert imported["start_local"].startswith("2026-01-05T07:00:00")
    assert imported["target_rate_bpm"] is None and imported["rmssd_ms"] > 0
    # The sensor lost: when, as a number; its file deleted; its 12 beats too few to stand.
    assert lost["sensor_lost_from_s"] == LOST_S
    assert lost["recording_gone"] is True and lost["heart_unreliable"] is True
    assert lost["practised_min"] == 2.0 and lost["program"] == "deep-breathing-4-8"


def test_json_is_strict_and_holds_what_the_csv_holds(
    history: list[SessionRow], capsys: pytest.CaptureFixture[str]
) -> None:
    records = json.loads(_output(["--format", "json"], capsys), parse_constant=_strict)
    assert isinstance(records, list) and len(records) == len(history)
    assert all(list(record) == list(TABLE_COLUMNS) for record in records)
    assert records == _csv_rows(_output(["--format", "csv"], capsys))
    by = _by_source(records)
    assert by["none"]["rmssd_ms"] is None and by["ble"]["sensor_lost_from_s"] == LOST_S
    assert by["sim"]["simulated"] is True and by["ble"]["recording_gone"] is True


def test_limit_selects_the_last_sessions_in_every_format(
    history: list[SessionRow], capsys: pytest.CaptureFixture[str]
) -> None:
    last = [row.session_key for row in history[-2:]]
    assert [
        r["session_key"] for r in _csv_rows(_output(["-n", "2", "--format", "csv"], capsys))
    ] == last
    shown = json.loads(_output(["--format", "json", "--limit", "2"], capsys))
    assert [record["session_key"] for record in shown] == last


def test_an_empty_history_is_an_empty_table_and_a_note_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["history", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert out == ",".join(TABLE_COLUMNS) + "\r\n"
    assert err.startswith("note: no sessions yet")
    assert run(["history", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [] and "no sessions yet" in err


def test_an_unknown_format_is_a_usage_error_before_any_work(
    recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["history", "--format", "xml"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--format must be one of text, csv, json, not 'xml'" in err
    # Refused before --add did anything: nothing added.
    assert run(["history", "--format", "xml", "--add", str(recordings / "recordings")]) == 2
    assert not default_db_path().exists()


def test_the_columns_summary_csv_has_too_hold_the_same_values(
    recordings: Path, history: list[SessionRow], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same name, same quantity and unit: a script reads either table alike."""
    assert run(["report", str(recordings / "recordings"), "-o", str(tmp_path), "--table-only"]) == 0
    with (tmp_path / SUMMARY_NAME).open(newline="", encoding="utf-8") as handle:
        summary = {row["file"]: row for row in csv.DictReader(handle)}
    listed = csv.DictReader(io.StringIO(_output(["--format", "csv"], capsys), newline=""))
    by_file = {Path(row["path"]).name: row for row in listed}
    shared = [name for name in TABLE_COLUMNS if name in SUMMARY_COLUMNS]
    assert len(shared) == 28
    for name in ("sim.bwr", "imported.bwr"):
        assert {c: by_file[name][c] for c in shared} == {c: summary[name][c] for c in shared}


def test_a_value_that_is_not_finite_is_null_never_nan(history: list[SessionRow]) -> None:
    import dataclasses

    odd = dataclasses.replace(history[0], rmssd_ms=math.nan, coherence=math.inf)
    out = io.StringIO()
    write_table([odd], frozenset(), out, "json")
    (record,) = json.loads(out.getvalue(), parse_constant=_strict)
    assert record["rmssd_ms"] is None and record["coherence"] is None
    out = io.StringIO()
    write_table([odd], frozenset(), out, "csv")
    (row,) = _csv_rows(out.getvalue())
    assert row["rmssd_ms"] is None and row["coherence"] is None


def test_start_local_is_in_the_listing_machine_s_zone_with_its_offset(
    history: list[SessionRow], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As summary.csv's: the same instant in every zone, its offset saying which."""
    zones = {}
    try:
        for name in ("UTC", "America/New_York"):
            monkeypatch.setenv("TZ", name)
            time.tzset()
            zones[name] = _by_source(_csv_rows(_output(["--format", "csv"], capsys)))["import"]
    finally:
        monkeypatch.undo()
        time.tzset()
    new_york = zones["America/New_York"]["start_local"]
    assert new_york.endswith("-05:00")  # January: EST
    instants = {datetime.fromisoformat(row["start_local"]) for row in zones.values()}
    assert len(instants) == 1
