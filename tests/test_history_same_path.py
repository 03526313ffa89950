"""A path holds one recording (review 20, F6): a session added at the path another row names
takes that path from it. Of the same start it is the same practice recorded again (an import
run again after ``rm``) and replaces the row; of another start the older row's recording is
gone, and ``history`` says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from trainer.cli.app import run
from trainer.storage.history import list_sessions

_BEAT_S = np.cumsum(np.full(400, 0.89))
RR = 890.0 + 50.0 * np.sin(2 * np.pi * 0.1 * _BEAT_S) + np.random.default_rng(7).normal(0, 8, 400)
"""An RR list, ms: a heart at about 67/min breathing at 6/min."""


def _rr_lines(n: int) -> str:
    """The first ``n`` intervals of :data:`RR` (300: 4.4 min; 330: 4.9 min)."""
    return "".join(f"{v:.0f}\n" for v in RR[:n])


def _import(folder: Path, n: int, start: str, capsys: pytest.CaptureFixture[str]) -> str:
    """``rm x.bwr; breathwise import a.txt -o x.bwr --start START`` of the first ``n``
    intervals; its stderr."""
    source = folder / "a.txt"
    source.write_text(_rr_lines(n))
    (folder / "x.bwr").unlink(missing_ok=True)
    assert run(["import", str(source), "-o", str(folder / "x.bwr"), "--start", start]) == 0
    return capsys.readouterr().err


def _history(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert run(["history", "--paths", *args]) == 0
    return capsys.readouterr().out.splitlines()[1:]


def _progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(["progress", "-o", str(tmp_path / "p.png")]) == 0
    return capsys.readouterr().out.splitlines()[0]


def test_an_import_run_again_at_the_same_path_and_start_replaces_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reviewer's reproduction: two rows naming x.bwr, neither "(gone)", and "2 sessions,
    9.4 min practised" for one 4.9 min file."""
    _import(tmp_path, 300, "2026-03-02T08:00", capsys)
    err = _import(tmp_path, 330, "2026-03-02T08:00", capsys)
    assert (
        "added to your history (4.9 min); it replaces the history row of the earlier x.bwr "
        "(another recording of the same start at this path)"
    ) in err
    rows = list_sessions()
    assert len(rows) == 1 and rows[0].path == str((tmp_path / "x.bwr").resolve())
    assert rows[0].practised_min == pytest.approx(4.9, abs=0.05)
    assert _progress(tmp_path, capsys).startswith("1 session, 4.9 min practised")
    # Added again, it is the same session: refreshed, not one more.
    assert run(["history", "--add", str(tmp_path / "x.bwr")]) == 0
    assert "refreshed x.bwr (4.9 min): already in the history" in capsys.readouterr().err


def test_another_session_at_the_path_leaves_the_older_row_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another start is another session: its row stays (and counts, as a deleted recording's
    does), but no longer claims the file."""
    here = str((tmp_path / "x.bwr").resolve())
    _import(tmp_path, 300, "2026-03-02T08:00", capsys)
    shutil.copy(tmp_path / "x.bwr", tmp_path / "monday.bwr.keep")
    _import(tmp_path, 330, "2026-03-03T08:00", capsys)
    lines = _history(capsys)
    assert [line.split()[:2] for line in lines] == [
        ["2026-03-02", "08:00"],
        ["2026-03-03", "08:00"],
    ]
    assert lines[0].endswith(f"{here} (gone)") and lines[1].endswith(here)
    assert _progress(tmp_path, capsys).startswith("2 sessions, 9.4 min practised")
    # The older recording put back and added: the path is its own again, the other's gone.
    shutil.copy(tmp_path / "monday.bwr.keep", tmp_path / "x.bwr")
    assert run(["history", "--add", str(tmp_path / "x.bwr")]) == 0
    capsys.readouterr()
    lines = _history(capsys)
    assert lines[0].endswith(here) and lines[1].endswith(f"{here} (gone)")
    # The last row alone is judged against the whole history, not against itself.
    assert _history(capsys, "-n", "1") == [lines[1]]


def test_a_recording_imported_without_the_history_takes_the_older_row_s_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: after ``import --no-history`` to a deleted recording's path, its row
    still claimed the file, which held the other session (no "(gone)")."""
    here = str((tmp_path / "x.bwr").resolve())
    _import(tmp_path, 300, "2026-03-02T08:00", capsys)
    (tmp_path / "x.bwr").unlink()
    source = tmp_path / "b.txt"
    source.write_text(_rr_lines(330))
    args = ["-o", str(tmp_path / "x.bwr"), "--start", "2026-03-03T08:00", "--no-history"]
    assert run(["import", str(source), *args]) == 0
    capsys.readouterr()
    assert [line.split()[:2] + line.split()[-2:] for line in _history(capsys)] == [
        ["2026-03-02", "08:00", here, "(gone)"]
    ]
    # Added later, it is listed as the path's recording, the older row still gone.
    assert run(["history", "--add", str(tmp_path / "x.bwr")]) == 0
    capsys.readouterr()
    lines = _history(capsys)
    assert lines[0].endswith(f"{here} (gone)") and lines[1].endswith(here)
