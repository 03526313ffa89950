"""docs/export-formats.md names every column the code writes, in the order it writes them.

Review 21 (F2) found the export's CSV files, ``summary.csv`` and the history database
documented nowhere. The page's tables are read here and compared with real output: an export
of a simulated session with a belt, beats and Polar ECG and accelerometer frames, the
summary table's header, and the columns of a new history database, so that a column added,
removed or renamed without the page fails.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import START_NS, simulated_items, write_items

from devices.packets import RawPacket
from devices.polar_pmd import MeasurementType, encode_frame
from trainer.reports.batch import SUMMARY_COLUMNS
from trainer.storage.export import EXPORT_FORMAT_VERSION, export_recording
from trainer.storage.history import SCHEMA_VERSION, History

PAGE = Path(__file__).resolve().parents[1] / "docs" / "export-formats.md"


def _sections() -> dict[str, list[list[str]]]:
    """The page's tables by the heading above them: per table, the backticked names of each
    row's first cell (a cell may name several: ``acc_x_mg``, ``acc_y_mg``, ...), in order."""
    sections: dict[str, list[list[str]]] = {}
    heading = ""
    in_table = False
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading, in_table = line.lstrip("#").strip(), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.split("|")[1]
        if not in_table:  # the header row; the separator row follows
            sections.setdefault(heading, []).append([])
            in_table = True
            continue
        if set(first.strip()) <= {"-", ":"}:
            continue
        sections[heading][-1] += re.findall(r"`([^`]+)`", first)
    return sections


def _table(heading: str) -> list[str]:
    tables = _sections()[heading]
    assert len(tables) == 1, f"one table under {heading!r}"
    return tables[0]


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV export of a 60 s simulated session that also holds H10 ECG and ACC frames."""
    root = tmp_path_factory.mktemp("formats")
    header, items, end_ns = simulated_items(60.0, seed=2, marks=((10.0, "cough"),))
    # The H10's stream settings, as its sensor class writes them (the rate is required).
    header.source.streams["pmd"] = {
        "ecg": {"fs_hz": 130, "resolution_bits": 14},
        "acc": {"fs_hz": 200, "resolution_bits": 16, "range_g": 8, "factor": 1.0},
    }
    sensor0 = 800_000_000 * 1_000_000_000
    wall0 = header.start_wall_ns - START_NS
    frames: list[RawPacket] = []
    for k in range(50):
        last_s = (k + 1) * 73 / 130.0
        ecg = b"".join(int(v).to_bytes(3, "little", signed=True) for v in range(73))
        payload = encode_frame(MeasurementType.ECG, sensor0 + round(last_s * 1e9), 0, ecg)
        arrive = START_NS + round((last_s + 0.05) * 1e9)
        frames.append(RawPacket(arrive, wall0 + arrive, "pmd", payload))
        xyz = np.zeros(3 * 36, dtype="<i2").tobytes()
        payload = encode_frame(MeasurementType.ACC, sensor0 + round(last_s * 1e9), 1, xyz)
        frames.append(RawPacket(arrive + 1000, wall0 + arrive + 1000, "pmd", payload))
    items = sorted([*items, *frames], key=lambda item: item.t_mono_ns)
    path = write_items(root / "s.bwr", header, items, end_ns)
    export_recording(path, "csv", root / "csv")
    return root / "csv"


@pytest.mark.parametrize("name", ["beats", "belt", "breaths", "pacer", "events"])
def test_each_stream_csv_has_the_documented_columns(exported: Path, name: str) -> None:
    assert _header(exported / f"s.{name}.csv") == _table(f"`STEM.{name}.csv`")


def test_the_waveform_csvs_have_the_documented_columns(exported: Path) -> None:
    documented = _table("`STEM.ecg.csv` and `STEM.acc.csv`")
    written = _header(exported / "s.ecg.csv") + _header(exported / "s.acc.csv")[1:]
    assert written == documented


SESSION_FAMILIES = {
    "settings.": "settings.KEY",
    "streams.": "streams.STREAM.KEY",
    "details.": "details.KEY",
}
"""The rows of ``session.csv`` that copy the header's values, one per value: the page
documents each family in one row (review 32 F3)."""


def _documented_name(field: str) -> str:
    return next((row for start, row in SESSION_FAMILIES.items() if field.startswith(start)), field)


def test_session_csv_has_the_documented_rows(exported: Path) -> None:
    with (exported / "s.session.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["field", "value"]
    # Every fixed row by its name, then each family of the header's values in its place.
    named: list[str] = []
    for field, _ in rows[1:]:
        name = _documented_name(field)
        if not named or name != named[-1] or name not in SESSION_FAMILIES.values():
            named.append(name)
    assert named == _table("`STEM.session.csv`")
    fields = dict(rows[1:])
    # The families hold the header's values (this session's: set up in the fixture).
    assert fields["streams.gdx.period_us"] == "50000"
    assert fields["settings.rate_bpm"] == "6.0"
    assert fields["details.seed"] == "2"
    assert fields["belt_unit"] == "N"
    assert fields["ecg_fs_hz"] == "130.0"
    assert fields["acc_fs_hz"] == "200.0"
    assert dict(rows[1:])["format_version"] == str(EXPORT_FORMAT_VERSION)
    # The page says CRLF: the csv module's line end.
    assert (exported / "s.session.csv").read_bytes().startswith(b"field,value\r\n")


def test_summary_csv_has_the_documented_columns() -> None:
    assert _table("`summary.csv` (`breathwise report DIR`)") == list(SUMMARY_COLUMNS)


def test_the_history_listing_has_the_documented_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``history --format csv`` (review 34 F7): its header as the command writes it, and the
    columns the page calls "as `summary.csv`" are those of summary.csv's names, all of them."""
    from trainer.cli.app import run

    heading = "The history listing (`breathwise history --format csv|json`)"
    assert run(["history", "--format", "csv"]) == 0
    header = next(csv.reader(capsys.readouterr().out.splitlines()))
    assert header == _table(heading)
    text = PAGE.read_text(encoding="utf-8").split(f"## {heading}")[1].split("\n## ")[0]
    same = [
        name
        for line in text.splitlines()
        if line.startswith("| `") and "| as `summary.csv`" in line
        for name in re.findall(r"`([^`]+)`", line.split("|")[1])
    ]
    assert same == [name for name in header if name in SUMMARY_COLUMNS]


def test_the_history_has_the_documented_columns(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    History(db).close()
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sessions)")]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert columns == _table("The history database (`history.sqlite3`)")
    assert version == SCHEMA_VERSION
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    assert f"`PRAGMA user_version` ({SCHEMA_VERSION} today," in text


def test_the_guides_cut_a_beats_file_at_its_rr_column() -> None:
    """sessions.md piped ``cut -d, -f4 s.beats.csv`` into ``hrv -``: a file of three columns,
    so an empty column and "no RR intervals" (found in review). Every ``cut -fN`` of a
    ``beats.csv`` in the guides takes ``rr_ms``."""
    from trainer.storage.export import BEATS_COLUMNS

    docs = PAGE.parent
    cuts = [
        int(match.group(1))
        for page in (docs / "guide").glob("*.md")
        for match in re.finditer(r"cut -d, -f(\d+) \S*beats\.csv", page.read_text(encoding="utf-8"))
    ]
    assert cuts, "no cut of a beats.csv in the guides: update this test"
    assert {BEATS_COLUMNS[n - 1] for n in cuts} == {"rr_ms"}
