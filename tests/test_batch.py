"""Batch analysis: 50 recordings on all cores, a corrupt one skipped, the same through Dask."""

from __future__ import annotations

import contextlib
import csv
import errno
import itertools
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from full_disk import free_space
from simulated_sessions import WALL_NS, write_simulated

from trainer.cli import progress_bar
from trainer.cli.app import run
from trainer.cli.early_signals import Interrupted
from trainer.cli.report import report
from trainer.errors import BadArgument, UserError
from trainer.reports.batch import (
    METRIC_COLUMNS,
    PARTIAL_NAME,
    REVISION_COLUMNS,
    SUMMARY_COLUMNS,
    BatchResult,
    BatchRow,
    StoppedBatch,
    analyse_one,
    default_workers,
    find_recordings,
    open_executor,
    run_batch,
)

N_RECORDINGS = 50
CORRUPT = "session-025.bwr"
DAY_NS = 86_400 * 1_000_000_000


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 two-minute simulated sessions (different people and paces), one of them damaged."""
    folder = tmp_path_factory.mktemp("study")
    for k in range(N_RECORDINGS):
        path = folder / f"session-{k:03d}.bwr"
        write_simulated(
            path,
            120.0,
            seed=100 + k,
            rate_bpm=5.0 + (k % 4) * 0.5,
            start_wall_ns=WALL_NS + k * DAY_NS,
        )
    corrupt = folder / CORRUPT
    lines = corrupt.read_text().splitlines(keepends=True)
    lines[40] = "{this line was damaged\n"
    corrupt.write_text("".join(lines))
    (folder / "notes.txt").write_text("not a recording\n")
    return folder


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def local_batch(
    study: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[BatchResult, list[BatchRow], Path]:
    """The whole study on a process pool of all cores, table only."""
    out = tmp_path_factory.mktemp("local")
    seen: list[BatchRow] = []
    with ProcessPoolExecutor(max_workers=default_workers()) as pool:
        result = run_batch(
            find_recordings(study), out, executor=pool, report_suffix=None, on_done=seen.append
        )
    return result, seen, out


def test_batch_on_all_cores_skips_the_corrupt_recording(
    study: Path, local_batch: tuple[BatchResult, list[BatchRow], Path]
) -> None:
    result, seen, out = local_batch
    paths = find_recordings(study)
    assert len(paths) == N_RECORDINGS  # notes.txt is not a recording
    assert len(seen) == N_RECORDINGS  # progress was reported once per recording
    assert [row.file for row in result.failed] == [CORRUPT]
    assert "damaged at line 41" in result.failed[0].error
    if default_workers() > 1:
        assert len(result.worker_pids) > 1, "the batch ran in one process only"
    rows = _table(out / "summary.csv")
    assert (out / "summary.csv").stat().st_mode & 0o777 == 0o600  # health data: owner only
    assert [r["file"] for r in rows] == sorted(p.name for p in paths)
    assert list(rows[0]) == [
        "file",
        "status",
        "error",
        "report",
        *METRIC_COLUMNS,
        *REVISION_COLUMNS,
    ]
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == N_RECORDINGS - 1
    for r in ok:
        k = int(r["file"][8:11])
        assert float(r["target_rate_bpm"]) == pytest.approx(5.0 + (k % 4) * 0.5, abs=0.01)
        assert float(r["duration_s"]) == 120.0 and int(r["breaths"]) >= 5


def _same(a: object, b: object) -> bool:
    """Equal, or floats equal to 12 significant digits: numpy 1.26's OpenBLAS sums in another
    order with one thread (a Dask worker) than with two, 2e-14 apart (found testing the
    dependency floors, .ci/floor); the newest versions agree to the bit."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def _number(cell: str) -> object:
    try:
        return float(cell)
    except ValueError:
        return cell


@pytest.mark.slow
def test_a_local_dask_cluster_gives_identical_results(
    study: Path, local_batch: tuple[BatchResult, list[BatchRow], Path], tmp_path: Path
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    local, _, local_out = local_batch
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        open_executor(cluster.scheduler_address) as executor,
    ):
        remote = run_batch(
            find_recordings(study), tmp_path / "dask", executor=executor, report_suffix=None
        )
    assert [(r.file, r.status, r.error) for r in remote.rows] == [
        (r.file, r.status, r.error) for r in local.rows
    ]
    differences = [
        (a.file, key, a.metrics.get(key), b.metrics.get(key))
        for a, b in zip(local.rows, remote.rows, strict=True)
        for key in sorted(set(a.metrics) | set(b.metrics))
        if not _same(a.metrics.get(key), b.metrics.get(key))
    ]
    assert differences == []
    assert len(remote.failed) == 1
    remote_table = _table(tmp_path / "dask" / "summary.csv")
    local_table = _table(local_out / "summary.csv")
    assert [list(r) for r in remote_table] == [list(r) for r in local_table]
    assert all(
        _same(_number(a[k]), _number(b[k]))
        for a, b in zip(local_table, remote_table, strict=True)
        for k in a
    )
    assert not remote.worker_pids & local.worker_pids


def test_report_command_on_a_directory_writes_reports_and_table(
    study: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    for name in ("session-001.bwr", "session-002.bwr", CORRUPT):
        (small / name).write_bytes((study / name).read_bytes())
    report(small, tmp_path / "reports", fmt="pdf", jobs=2)
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == ["session-001.report.pdf", "session-002.report.pdf", "summary.csv"]
    rows = {r["file"]: r for r in _table(tmp_path / "reports" / "summary.csv")}
    assert rows["session-001.bwr"]["report"] == "session-001.report.pdf"
    assert rows[CORRUPT]["status"] == "error" and rows[CORRUPT]["report"] == ""


def test_report_dir_on_a_full_disk_or_an_impossible_folder_is_one_fitting_line(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a full disk `report DIR` ended in a traceback writing summary.csv, and the advice for a
    folder it cannot make named `--out` and `recordings_dir`, which `report` does not have
    (found by a tester)."""
    small = tmp_path / "small"
    small.mkdir()
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("an earlier table\n")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # where a full disk shows (delayed allocation)
    # An earlier table is replaced, and kept whole when that fails.
    code = run(["report", str(small), "-o", str(out), "--table-only", "--jobs", "1"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"breathwise: error: {out / 'summary.csv'}: cannot write (No space left on device)"
    )
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]
    assert (out / "summary.csv").read_text() == "an earlier table\n"

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert run(["report", str(small), "-o", str(blocker / "reports")]) == 1
    # Caught before any work by the check of -o, with advice that fits the command.
    assert capsys.readouterr().err == (
        f"breathwise: error: {blocker}: is a file, not a folder — check -o {blocker / 'reports'}\n"
    )


@pytest.mark.parametrize("typed", [False, True])
def test_a_reports_folder_that_is_a_file_names_where_it_came_from(
    typed: bool, study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was "--output DIR/reports is not a directory", exit 2, with no -o typed, and with no
    advice when -o named a file (found in review)."""
    small = tmp_path / "small"
    small.mkdir()
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    blocker = tmp_path / "a-file" if typed else small / "reports"
    blocker.write_text("x")
    code = run(["report", str(small), "--jobs", "1", *(["-o", str(blocker)] if typed else [])])
    err = capsys.readouterr().err
    if typed:
        assert code == 2
        assert err == (
            f"breathwise: error: --output {blocker} is a file: for a folder of recordings, -o "
            "names the folder the reports go in — choose another folder with -o\n"
        )
    else:
        assert code == 1
        assert err == (
            f"breathwise: error: the reports folder {blocker} (the default for a folder) is a "
            "file, not a folder — move or rename that file, or choose another folder with -o\n"
        )
    assert blocker.read_text() == "x"


def test_report_dir_refuses_a_full_disk_before_the_work(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The check of the output folder passed on a full disk (an empty file can still be made
    there), so every recording was analysed before summary.csv failed."""
    small = tmp_path / "small"
    small.mkdir()
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    out = tmp_path / "out"
    free_space(monkeypatch, 200 * 1024)
    code = run(["report", str(small), "-o", str(out), "--jobs", "1"])
    assert code == 1
    assert capsys.readouterr().err == (
        f"breathwise: error: {out}: the disk is full (200 KiB free, at least 1 MiB needed) — "
        "free some space, or choose another folder with -o\n"
    )
    assert list(out.iterdir()) == []  # nothing analysed, nothing written


def test_bad_batch_arguments(study: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no \.bwr recordings"):
        find_recordings(tmp_path)
    with pytest.raises(BadArgument, match="--format"):
        report(study, tmp_path / "x", fmt="jpg")
    with pytest.raises(BadArgument, match="--jobs"), open_executor(None, 0):
        pass


@pytest.mark.parametrize("address", ["garbage", "foo://1.2.3.4:1", " "])
def test_a_scheduler_address_dask_cannot_parse_is_a_bad_argument(address: str, study: Path) -> None:
    pytest.importorskip("dask.distributed")
    # In a process of its own: a Dask client started in a pytest worker that has forked
    # process pools before can hang starting its event loop thread.
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "report", str(study), "--scheduler", address],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 2
    assert result.stderr.startswith("breathwise: error: --scheduler ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (study / "reports").exists()


def test_a_skipped_file_is_named_as_it_is_not_read_as_markup(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The progress console read "skipped [red]old.bwr: ..." as markup, naming a file
    "old.bwr" that is not there (found in review of the live screen's markup)."""
    small = tmp_path / "small"
    small.mkdir()
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    (small / "[red]old.bwr").write_bytes((study / CORRUPT).read_bytes())
    report(small, tmp_path / "reports", jobs=1, no_reports=True)
    assert "skipped [red]old.bwr: " in capsys.readouterr().err


def test_a_skipped_line_is_one_line_whatever_its_length(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Off a terminal the progress console wrapped at 80 columns, putting a long path on a line
    of its own: a log read line by line lost which file was skipped (found in review)."""
    small = tmp_path / "small"
    small.mkdir()
    name = "a-long-recording-name-from-a-study-of-many-sessions-" + "x" * 60 + ".bwr"
    (small / name).write_bytes((study / CORRUPT).read_bytes())
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    report(small, tmp_path / "reports", jobs=1, no_reports=True)
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("skipped ")]
    assert line.startswith(f"skipped {name}: ") and len(line) > 120


def test_a_skipped_file_is_named_once_on_its_line_and_in_the_table(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reader's message starts with the file's full path, so the line read
    "skipped z.bwr: /…/small/z.bwr: not a Breathwise recording" (found in review)."""
    small = tmp_path / "small"
    small.mkdir()
    (small / "session-001.bwr").write_bytes((study / "session-001.bwr").read_bytes())
    (small / "z.bwr").write_bytes(b"garbage\n")
    report(small, tmp_path / "reports", jobs=1, no_reports=True)
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("skipped ")]
    assert line.startswith("skipped z.bwr: not a Breathwise recording")
    assert str(small) not in line
    rows = {r["file"]: r for r in _table(tmp_path / "reports" / "summary.csv")}
    assert rows["z.bwr"]["error"].startswith("not a Breathwise recording")


def _copy(study: Path, folder: Path, count: int) -> list[str]:
    """The first ``count`` readable recordings of the study, copied into ``folder``."""
    folder.mkdir()
    names = [f"session-{k:03d}.bwr" for k in range(count)]
    for name in names:
        (folder / name).write_bytes((study / name).read_bytes())
    return names


class _StopAfter:
    """A stand-in for the per-recording analysis: the real one for ``rows`` recordings, then
    Ctrl+C's like (:class:`Interrupted`, SIGTERM) raised where the next one would be done."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.calls = 0

    def __call__(self, *args: Any) -> tuple[BatchRow, int]:
        self.calls += 1
        if self.calls > self.rows + 1:
            # The next recording, which the worker may start before the batch hears of the
            # stop: long enough for the batch to cancel the rest meanwhile.
            time.sleep(0.5)
        if self.calls > self.rows:
            raise Interrupted(signal.SIGTERM)
        return analyse_one(*args)


def test_a_batch_stopped_keeps_its_rows_sorted_and_starts_no_more_work(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped (a SIGTERM from `timeout` after 540 s of 1,100 recordings), a batch left no
    table at all: every row analysed was lost, and the pool's exit went on to analyse every
    recording left before the interruption could end it (found in review)."""
    small = tmp_path / "small"
    names = _copy(study, small, 6)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("an earlier whole table\n")
    stand_in = _StopAfter(3)
    monkeypatch.setattr("trainer.reports.batch.analyse_one", stand_in)
    stopped: list[StoppedBatch] = []
    # Last file first, one at a time: the rows come in the reverse of the table's order.
    paths = sorted(find_recordings(small), reverse=True)
    with pytest.raises(Interrupted), ThreadPoolExecutor(max_workers=1) as pool:
        run_batch(paths, out, executor=pool, report_suffix=None, on_stopped=stopped.append)
    assert stand_in.calls <= 5  # the 6th never started, nor the 5th but by a race
    assert stopped == [StoppedBatch(3, 6, out / PARTIAL_NAME, "")]
    partial = _table(out / PARTIAL_NAME)
    assert [r["file"] for r in partial] == names[3:]  # sorted as the whole table is
    assert list(partial[0]) == list(SUMMARY_COLUMNS)
    assert all(r["status"] == "ok" and r["breaths"] for r in partial)
    assert (out / PARTIAL_NAME).stat().st_mode & 0o777 == 0o600
    # Whole or not at all, and the whole table of an earlier batch is not taken for it.
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv", PARTIAL_NAME]
    assert (out / "summary.csv").read_text() == "an earlier whole table\n"

    # A batch that ends writes the whole table and removes the part, which it holds.
    monkeypatch.undo()
    with ThreadPoolExecutor(max_workers=1) as pool:
        run_batch(paths, out, executor=pool, report_suffix=None)
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]
    whole = _table(out / "summary.csv")
    assert [r["file"] for r in whole] == names
    assert whole[3:] == partial


@contextlib.contextmanager
def _one_thread(scheduler: str | None, jobs: int | None) -> Iterator[Executor]:
    """A stand-in for ``open_executor``: one thread, so the recordings go in order."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def test_report_dir_interrupted_says_what_it_kept(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    small = tmp_path / "small"
    names = _copy(study, small, 5)
    out = tmp_path / "out"
    monkeypatch.setattr("trainer.reports.batch.analyse_one", _StopAfter(2))
    monkeypatch.setattr("trainer.reports.batch.open_executor", _one_thread)
    code = run(["report", str(small), "-o", str(out), "--table-only"])
    err = capsys.readouterr().err
    assert code == 128 + signal.SIGTERM and "Traceback" not in err
    assert err.splitlines()[-2:] == [
        f"kept the 2 of 5 recordings analysed before the stop in {out / PARTIAL_NAME} (not the "
        "whole table, which is summary.csv); run the same command again to analyse them all",
        "breathwise: interrupted",
    ]
    assert [r["file"] for r in _table(out / PARTIAL_NAME)] == names[:2]
    assert sorted(p.name for p in out.iterdir()) == [PARTIAL_NAME]

    # Stopped again before any row: the first stop's table, left beside "nothing kept",
    # would be read as this run's.
    monkeypatch.setattr("trainer.reports.batch.analyse_one", _StopAfter(0))
    code = run(["report", str(small), "-o", str(out), "--table-only"])
    err = capsys.readouterr().err
    assert code == 128 + signal.SIGTERM
    assert "none of the 5 recordings was analysed before the stop: nothing kept" in err
    assert list(out.iterdir()) == []


def test_report_dir_stops_when_its_output_cannot_be_written(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A disk that fills mid-batch: each recording left was "skipped" with "cannot write (No
    space left on device)" as if it were at fault, and the batch exited 0 with reports
    missing (found in review). The output's failure stops the batch, keeping the rows done."""
    from trainer.reports import report as report_module

    small = tmp_path / "small"
    names = _copy(study, small, 5)
    out = tmp_path / "out"
    real = report_module.write_report
    written: list[Path] = []

    def fills_after_two(analysis: Any, target: Path) -> Path:
        if len(written) == 2:
            raise UserError(f"{target}: cannot write (No space left on device)")
        written.append(real(analysis, target))
        return target

    monkeypatch.setattr(report_module, "write_report", fills_after_two)
    monkeypatch.setattr("trainer.reports.batch.open_executor", _one_thread)
    code = run(["report", str(small), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "skipped" not in err
    assert err.splitlines()[-1] == (
        f"breathwise: error: {out / 'session-002.report.png'}: cannot write (No space left on "
        "device)"
    )
    assert [r["file"] for r in _table(out / PARTIAL_NAME)] == names[:2]
    assert sorted(p.name for p in out.iterdir()) == [
        "session-000.report.png",
        "session-001.report.png",
        PARTIAL_NAME,
    ]


def test_the_process_pool_stops_without_the_work_left_when_interrupted() -> None:
    """Its exit waited for every recording submitted: minutes after a Ctrl+C."""
    started = time.monotonic()
    with pytest.raises(Interrupted), open_executor(None, 1) as pool:
        futures = [pool.submit(time.sleep, 0.5) for _ in range(20)]
        futures[0].result()
        raise Interrupted(signal.SIGINT)
    assert time.monotonic() - started < 5.0  # 10 s of work was left
    assert sum(f.cancelled() for f in futures) >= 15


def test_report_dir_in_a_log_says_how_far_it_is_now_and_then(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In a log the bar draws nothing until the end: 1,100 recordings ran 9 min without a line
    (found in review). Here each recording takes 40 s by the clock the log reads."""
    small = tmp_path / "small"
    _copy(study, small, 12)
    (small / "session-000.bwr").write_bytes((study / CORRUPT).read_bytes())
    seconds = itertools.count(0.0, 40.0)
    monkeypatch.setattr(progress_bar, "monotonic", lambda: next(seconds))
    code = run(["report", str(small), "-o", str(tmp_path / "out"), "--table-only", "-j", "1"])
    err = capsys.readouterr().err.splitlines()
    assert code == 0
    # Every 2 (10 % of 12, whole) and 30 s; none for the last, which the closing line says.
    assert [line for line in err if line.startswith("analysed ")] == [
        f"analysed {done} of 12 recordings (1 skipped), {done * 40 // 60} min so far, "
        f"about {(12 - done) * 40 // 60} min left"
        for done in (2, 4, 6, 8, 10)
    ]
    assert err[-1].startswith("11 of 12 recordings analysed, 1 skipped; summary: ")
    assert not any("━" in line for line in err)  # no bar in a log


def test_the_log_of_a_batch_is_the_rarer_of_30_s_and_10_percent() -> None:
    lines: list[str] = []
    now = [0.0]
    log = progress_bar.BatchLog(1100, lines.append, clock=lambda: now[0])
    for done in range(1, 1101):
        now[0] = done * 0.5  # 1,100 recordings in 550 s: 10 % every 55 s
        log.advance(skipped=done % 100 == 0)
    assert lines[0] == "analysed 110 of 1100 recordings (1 skipped), 55 s so far, about 8 min left"
    assert len(lines) == 9
    lines.clear()
    now[0] = 1000.0
    fast = progress_bar.BatchLog(1100, lines.append, clock=lambda: now[0])
    for done in range(1, 1101):
        now[0] = 1000.0 + done * 0.02  # 22 s in all: a short batch says nothing on the way
        fast.advance(skipped=False)
    assert lines == []
    now[0] = 2000.0
    slow = progress_bar.BatchLog(10, lines.append, clock=lambda: now[0])
    for done in range(1, 10):
        now[0] = 2000.0 + done * 3600.0
        slow.advance(skipped=False)
    assert (
        lines[-1]
        == "analysed 9 of 10 recordings (0 skipped), 9 h 00 min so far, about 1 h 00 min left"
    )
    assert len(lines) == 9


def test_report_dir_on_a_terminal_keeps_its_bar_and_writes_no_log_line(
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    small = tmp_path / "small"
    _copy(study, small, 3)
    seconds = itertools.count(0.0, 40.0)
    monkeypatch.setattr(progress_bar, "monotonic", lambda: next(seconds))
    monkeypatch.setattr(progress_bar, "stderr_is_terminal", lambda: True)
    code = run(["report", str(small), "-o", str(tmp_path / "out"), "--table-only", "-j", "1"])
    err = capsys.readouterr().err
    assert code == 0
    assert "3/3" in err and "━" in err
    assert "analysed " not in err


def test_a_batch_stopped_on_a_dask_cluster_keeps_its_rows_and_cancels_the_rest(
    study: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    paths = find_recordings(study)
    seen: list[BatchRow] = []
    stopped: list[StoppedBatch] = []

    def done(row: BatchRow) -> None:
        seen.append(row)
        if len(seen) == 3:
            raise Interrupted(signal.SIGINT)

    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        pytest.raises(Interrupted),
        open_executor(cluster.scheduler_address) as executor,
    ):
        run_batch(
            paths,
            tmp_path,
            executor=executor,
            report_suffix=None,
            on_done=done,
            on_stopped=stopped.append,
        )
    (what,) = stopped
    assert 3 <= what.done < len(paths) and what.partial_csv == tmp_path / PARTIAL_NAME
    kept = [r["file"] for r in _table(tmp_path / PARTIAL_NAME)]
    assert len(kept) == what.done and kept == sorted(kept)
    assert {row.file for row in seen} <= set(kept)


def test_a_recording_cut_short_is_said_in_the_table_on_stderr_and_in_an_export(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report FILE` and `replay` say a recording holds part of a session; `report DIR` gave
    its row `ok` with part of the session's length, and `export` nothing (found in review)."""
    small = tmp_path / "small"
    _copy(study, small, 1)
    lines = (small / "session-000.bwr").read_text(encoding="utf-8").splitlines(keepends=True)
    assert '"k":"end"' in lines[-1]
    (small / "killed.bwr").write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    out = tmp_path / "out"
    assert run(["report", str(small), "-o", str(out), "--table-only"]) == 0
    err = capsys.readouterr().err
    assert "note: killed.bwr: recording cut short: its row is of what it holds so far" in err
    assert "session-000.bwr: recording cut short" not in err
    rows = {r["file"]: r for r in _table(out / "summary.csv")}
    assert rows["killed.bwr"]["ended"] == "recording cut short"
    assert rows["session-000.bwr"]["ended"] == "completed"

    assert run(["export", str(small / "killed.bwr"), "-o", str(tmp_path / "csv")]) == 0
    assert (
        "note: the recording was cut short (session killed?); the export holds what it holds so "
        "far" in capsys.readouterr().err
    )
    fields = dict(
        line.split(",", 1)
        for line in (tmp_path / "csv" / "killed.session.csv").read_text().splitlines()
    )
    assert fields["ended"] == "recording cut short"


def test_a_copy_of_an_import_cut_short_is_said_to_be_cut_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of a 10-minute import cut short (an rsync stopped, a full disk during cp) had
    "imported" as its ending: ``report DIR`` gave its part of the session a row like a whole
    one's, with no note, and ``report FILE`` and ``export`` were silent too (found in review)."""
    rr = [800.0 + 40.0 * math.sin(k / 3.0) for k in range(750)]
    (tmp_path / "rr.txt").write_text("\n".join(f"{v:g}" for v in rr) + "\n", encoding="utf-8")
    whole = tmp_path / "in" / "whole.bwr"
    whole.parent.mkdir()
    argv = ["import", str(tmp_path / "rr.txt"), "--start", "2026-01-05T07:00", "-o", str(whole)]
    assert run(argv) == 0
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    assert '"k":"end"' in lines[-1]
    (tmp_path / "in" / "cut.bwr").write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    capsys.readouterr()
    out = tmp_path / "out"
    assert run(["report", str(tmp_path / "in"), "-o", str(out), "--table-only"]) == 0
    err = capsys.readouterr().err
    assert "note: cut.bwr: recording cut short: its row is of what it holds so far" in err
    assert "whole.bwr: recording cut short" not in err
    rows = {r["file"]: r for r in _table(out / "summary.csv")}
    assert rows["cut.bwr"]["ended"] == "recording cut short"
    assert rows["whole.bwr"]["ended"] == "imported"
    assert run(["report", str(tmp_path / "in" / "cut.bwr"), "-o", str(tmp_path / "c.png")]) == 0
    assert "was cut short" in capsys.readouterr().err
    assert run(["export", str(tmp_path / "in" / "cut.bwr"), "-o", str(tmp_path / "csv")]) == 0
    assert "the recording was cut short" in capsys.readouterr().err


def _stuck(path: str, out_dir: str | None, report_suffix: str | None, name: str) -> Any:
    """A stand-in for the per-recording analysis that never ends: a report begun (its
    temporary file there) and a worker that hangs."""
    assert out_dir is not None and report_suffix is not None
    target = Path(out_dir) / (Path(name).stem + ".report" + report_suffix)
    (target.parent / f".{target.name}.x1y2.tmp").write_bytes(b"half a page")
    time.sleep(60)


def test_a_stopped_batch_gives_up_a_recording_that_does_not_end(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait for the recordings under way is bounded: a worker that does not end is killed
    and what it left removed, so the command always ends (it could hang for good, found in
    review)."""
    monkeypatch.setattr("trainer.reports.batch.STOP_WAIT_S", 1.0, raising=False)
    monkeypatch.setattr("trainer.reports.batch.analyse_one", _stuck)
    small = tmp_path / "small"
    _copy(study, small, 3)
    out = tmp_path / "out"
    stopped: list[StoppedBatch] = []
    started = time.monotonic()
    workers: list[Any] = []
    with pytest.raises(KeyboardInterrupt), open_executor(None, 1) as pool:

        def ctrl_c() -> None:
            # While the worker is at it: Python's KeyboardInterrupt, out of the batch's wait.
            workers.extend(pool._processes.values())  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(2.0, ctrl_c)
        timer.start()
        try:
            run_batch(find_recordings(small), out, executor=pool, on_stopped=stopped.append)
        finally:
            timer.cancel()
    assert time.monotonic() - started < 15.0  # not the 60 s the worker would take
    assert stopped == [StoppedBatch(0, 3, None, "")]
    assert list(out.iterdir()) == []  # its temporary file removed
    assert workers and not any(w.is_alive() for w in workers)


def test_a_stopped_batch_starts_no_recording_beyond_its_workers(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool is handed no more recordings than it has workers: those it queued ahead of
    them ran to their end after a stop (a pool of 2 went on with 4 recordings, found in
    review)."""
    small = tmp_path / "small"
    _copy(study, small, 8)
    calls: list[str] = []

    def counted(*args: Any) -> tuple[BatchRow, int]:
        calls.append(args[3])
        time.sleep(0.2)
        return analyse_one(*args)

    def stop(row: BatchRow) -> None:
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr("trainer.reports.batch.analyse_one", counted)
    stopped: list[StoppedBatch] = []
    with pytest.raises(Interrupted), ThreadPoolExecutor(max_workers=2) as pool:
        run_batch(
            find_recordings(small),
            tmp_path / "out",
            executor=pool,
            report_suffix=None,
            on_done=stop,
            on_stopped=stopped.append,
            in_flight=2,
        )
    # The first done, the other under way finished, and at most one handed over meanwhile.
    assert len(calls) <= 3
    (what,) = stopped
    assert what.done == len(calls) and what.partial_csv == tmp_path / "out" / PARTIAL_NAME


def test_a_batch_stopped_with_every_recording_done_writes_the_whole_table(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped during its last recordings, a batch wrote every row to summary.partial.csv
    and advised running it all again (found in review): it is the whole table."""
    from trainer.cli.report import _stopped_words

    small = tmp_path / "small"
    names = _copy(study, small, 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / PARTIAL_NAME).write_text("an earlier stop's rows\n")
    seen: list[BatchRow] = []

    def stop_at_the_last(row: BatchRow) -> None:
        seen.append(row)
        if len(seen) == 3:
            raise Interrupted(signal.SIGTERM)

    stopped: list[StoppedBatch] = []
    with pytest.raises(Interrupted), ThreadPoolExecutor(max_workers=1) as pool:
        run_batch(
            find_recordings(small),
            out,
            executor=pool,
            report_suffix=None,
            on_done=stop_at_the_last,
            on_stopped=stopped.append,
            in_flight=1,
        )
    assert stopped == [StoppedBatch(3, 3, None, "", out / "summary.csv")]
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]
    assert [r["file"] for r in _table(out / "summary.csv")] == names
    words = _stopped_words(stopped[0])
    assert (
        words == f"all 3 recordings were analysed before the stop; summary: {out / 'summary.csv'}"
    )
    assert "again" not in words


def test_report_dir_with_nothing_to_analyse_fails_as_history_add_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every recording unreadable ended 0 ("0 of 1 recordings analysed"), an empty folder 2
    (a usage error), where `history --add` of either ends 1 (found in review)."""
    bad = tmp_path / "allbad"
    bad.mkdir()
    (bad / "bad.bwr").write_text("not a bwr")
    out = tmp_path / "out"
    assert run(["report", str(bad), "-o", str(out), "--table-only", "-j", "1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-2] == f"0 of 1 recordings analysed, 1 skipped; summary: {out / 'summary.csv'}"
    assert err[-1] == (
        "breathwise: error: none of the 1 recordings could be analysed — see the notes above"
    )
    (row,) = _table(out / "summary.csv")
    assert row["file"] == "bad.bwr" and row["status"] == "error"

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["report", str(empty), "--table-only"]) == 1
    assert capsys.readouterr().err == (
        f"breathwise: error: {empty}: no .bwr recordings in this folder or its subfolders\n"
    )


def test_a_second_ctrl_c_ends_the_wait_and_the_same_signal_sent_twice_does_not(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`timeout` signals the command, then its group: the same stop twice at once, which must
    not give up the recordings under way. A second Ctrl+C a second or more later ends the
    wait for them (before, a second Ctrl+C cut the wait short and the command hung)."""
    monkeypatch.setattr("trainer.reports.batch.analyse_one", _stuck)
    small = tmp_path / "small"
    _copy(study, small, 2)
    out = tmp_path / "out"
    stopped: list[StoppedBatch] = []
    kill = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
    timers = [threading.Timer(at, kill) for at in (2.0, 2.05, 4.0)]
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), open_executor(None, 1) as pool:
        for timer in timers:
            timer.start()
        try:
            run_batch(find_recordings(small), out, executor=pool, on_stopped=stopped.append)
        finally:
            for timer in timers:
                timer.cancel()
    took = time.monotonic() - started
    assert 3.5 < took < 15.0  # past the repeat at 2.05 s, ended by the second Ctrl+C at 4 s
    assert stopped == [StoppedBatch(0, 2, None, "")]
    assert list(out.iterdir()) == []


def _killed_at_001(path: str, out_dir: str | None, report_suffix: str | None, name: str) -> Any:
    """A stand-in for the per-recording analysis whose worker is killed (the out-of-memory
    killer) half-way through session-001's report: its temporary file there."""
    if name == "session-001.bwr":
        assert out_dir is not None and report_suffix is not None
        target = Path(out_dir) / (Path(name).stem + ".report" + report_suffix)
        (target.parent / f".{target.name}.x1y2.tmp").write_bytes(b"half a page")
        os.kill(os.getpid(), signal.SIGKILL)
    return analyse_one(path, out_dir, report_suffix, name)


def test_a_worker_killed_stops_the_batch_with_a_row_for_what_it_lost(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: a worker killed (the out-of-memory killer, kill -9) ended report DIR as
    "internal error: BrokenProcessPool ... a bug in Breathwise" (exit 70, a crash report), the
    killed report's temporary file left in the reports folder. Now one line says so (exit 1),
    the recordings lost with the pool have rows saying why, and nothing half-written is left."""
    from trainer.reports.batch import WORKER_DIED

    monkeypatch.setattr("trainer.reports.batch.analyse_one", _killed_at_001)
    small = tmp_path / "small"
    _copy(study, small, 4)
    out = tmp_path / "out"
    code = run(["report", str(small), "-o", str(out), "-j", "2"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("breathwise: error: a worker process died while analysing "), err
    assert "session-001.bwr" in last and "out of memory" in last
    rows = {r["file"]: r for r in _table(out / PARTIAL_NAME)}
    assert rows["session-001.bwr"]["status"] == "error"
    assert rows["session-001.bwr"]["error"] == WORKER_DIED
    assert "lost with a worker process that died" in err
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    # Every report left has its row, an analysed one.
    for report_file in out.glob("*.png"):
        row = rows[report_file.name.removesuffix(".report.png") + ".bwr"]
        assert row["status"] == "ok" and row["report"] == report_file.name


def test_a_ctrl_c_while_the_workers_end_keeps_the_whole_table(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: a signal after the last recording was analysed, while the pool's
    workers ended, was raised there: the whole table was said only to be "interrupted".
    Now it is noted: the table is written whole and said to be so, and then raised."""
    from trainer.reports import batch as batch_module

    real_end_pool = batch_module._end_pool

    def ctrl_c_then_end(pool: ProcessPoolExecutor, wait_s: float) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Python's KeyboardInterrupt, were it raised here
        real_end_pool(pool, wait_s)

    monkeypatch.setattr(batch_module, "_end_pool", ctrl_c_then_end)
    small = tmp_path / "small"
    names = _copy(study, small, 3)
    out = tmp_path / "out"
    stopped: list[StoppedBatch] = []
    workers: list[Any] = []
    with pytest.raises(KeyboardInterrupt), open_executor(None, 1) as pool:

        def note_workers(row: BatchRow) -> None:
            workers.extend(pool._processes.values())  # type: ignore[attr-defined]

        run_batch(
            find_recordings(small),
            out,
            executor=pool,
            report_suffix=None,
            on_done=note_workers,
            on_stopped=stopped.append,
            in_flight=1,
        )
    assert stopped == [StoppedBatch(3, 3, None, "", out / "summary.csv")]
    assert [r["file"] for r in _table(out / "summary.csv")] == names
    assert workers and not any(w.is_alive() for w in workers)
