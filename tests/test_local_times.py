"""Where a start is shown as a clock time, the zone is said (review 20, F5): a recording keeps
its start in Unix time and no zone, so ``summary.csv``'s ``start_local``, the report page and
``history`` show it in the time zone of the machine running the command, and say so, rather
than pass a cluster's UTC for the session's own wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trainer.cli.app import run
from trainer.reports.batch import SUMMARY_COLUMNS, BatchRow
from trainer.reports.report import report_figure, utc_offset_text
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.history import add_recording
from trainer.storage.imports.import_file import import_recording

START = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
"""A session begun at 07:30 in London (UTC+00:00 in March)."""
START_NS = int(START.timestamp()) * 1_000_000_000


@pytest.fixture()
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets the process's time zone, as ``TZ=... breathwise ...`` does; restored after."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("zones")
    rr = folder / "rr.txt"
    rr.write_text("".join(f"{850 + 40 * ((k // 4) % 2)}\n" for k in range(240)))
    return import_recording(rr, "auto", folder / "short.bwr", start_wall_ns=START_NS).path


def _start_local(zone_name: str, zone: Callable[[str], None]) -> str:
    zone(zone_name)
    row = BatchRow("a.bwr", "ok", metrics={"start_wall_ns": START_NS}).csv_row()
    return dict(zip(SUMMARY_COLUMNS, row, strict=True))["start_local"]


def test_summary_start_local_carries_its_utc_offset(zone: Callable[[str], None]) -> None:
    """Found in review: 2026-03-01T07:30:00 in UTC, 2026-03-01T02:30:00 in New York, with
    nothing in the value to tell which."""
    in_utc = _start_local("UTC", zone)
    in_new_york = _start_local("America/New_York", zone)
    assert in_utc == "2026-03-01T07:30:00+00:00"
    assert in_new_york == "2026-03-01T02:30:00-05:00"
    assert datetime.fromisoformat(in_utc) == datetime.fromisoformat(in_new_york) == START


def test_the_report_page_says_the_zone_of_its_start(
    imported: Path, zone: Callable[[str], None]
) -> None:
    """Found in review: "Sunday 01 March 2026, 02:30" drawn in New York, for a 07:30 session."""
    analysis = analyse_recording(imported)
    shown = {}
    for name in ("UTC", "America/New_York", "Asia/Kolkata"):
        zone(name)
        figure = report_figure(analysis)
        texts = [t.get_text() for ax in figure.axes for t in ax.texts]
        shown[name] = next(t for t in texts if "March 2026" in t).split("  ·  ")[0]
    assert shown == {
        "UTC": "Sunday 01 March 2026, 07:30 UTC+00:00",
        "America/New_York": "Sunday 01 March 2026, 02:30 UTC-05:00",
        "Asia/Kolkata": "Sunday 01 March 2026, 13:00 UTC+05:30",
    }


def test_history_names_its_times_local(
    imported: Path, zone: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    add_recording(imported)
    zone("America/New_York")
    assert run(["history"]) == 0
    head, row = capsys.readouterr().out.splitlines()[:2]
    assert head.startswith("local time ")
    assert row.startswith("2026-03-01 02:30 ")


def test_a_utc_offset_is_written_as_iso_8601_writes_it() -> None:
    def at(offset_s: int) -> time.struct_time:
        return time.struct_time((2026, 3, 1, 7, 30, 0, 6, 60, 0, "X", offset_s))

    assert [utc_offset_text(at(s)) for s in (0, 3600, -18000, 19800, -12600)] == [
        "UTC+00:00",
        "UTC+01:00",
        "UTC-05:00",
        "UTC+05:30",
        "UTC-03:30",
    ]


def test_the_history_tells_apart_the_two_instances_of_the_hour_the_clocks_go_back(
    zone: Callable[[str], None],
) -> None:
    """Review 23, F11: in New York on 2026-11-01, 01:30 comes twice (EDT, then EST); the
    history showed two sessions an hour apart both as "2026-11-01 01:30". Such a start carries
    its offset; any other keeps the plain minute, in a summer and a spring-forward night too."""
    from trainer.storage.history import local_minute

    zone("America/New_York")
    edt = int(datetime(2026, 11, 1, 5, 30, tzinfo=UTC).timestamp()) * 1_000_000_000
    est = edt + 3600 * 1_000_000_000
    assert local_minute(edt) == "2026-11-01 01:30 -04:00"
    assert local_minute(est) == "2026-11-01 01:30 -05:00"
    assert local_minute(est + 3600 * 1_000_000_000) == "2026-11-01 02:30"
    spring = int(datetime(2026, 3, 8, 7, 30, tzinfo=UTC).timestamp()) * 1_000_000_000
    assert local_minute(spring) == "2026-03-08 03:30"
    assert local_minute(START_NS) == "2026-03-01 02:30"
    zone("UTC")
    assert local_minute(edt) == "2026-11-01 05:30"


def test_the_history_table_keeps_its_columns_with_an_offset_in_it(
    imported: Path, zone: Callable[[str], None]
) -> None:
    from dataclasses import replace

    from trainer.cli.history import format_rows
    from trainer.storage.history import History

    zone("America/New_York")
    add_recording(imported)
    (row,) = History().list_sessions()
    edt = int(datetime(2026, 11, 1, 5, 30, tzinfo=UTC).timestamp()) * 1_000_000_000
    rows = [replace(row, start_wall_ns=edt), replace(row, start_wall_ns=edt + 3_600_000_000_000)]
    head, first, second = format_rows(rows)[:3]
    assert first.startswith("2026-11-01 01:30 -04:00 ")
    assert second.startswith("2026-11-01 01:30 -05:00 ")
    # The minutes end under the end of their heading on every line.
    end = f"{row.practised_min:.1f} "
    column_end = head.index("min ") + len("min")
    assert first.index(end) + len(end) - 1 == column_end == second.index(end) + len(end) - 1
