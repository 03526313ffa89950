"""A command interrupted after it has started says so, unwinds, and loses nothing.

typer (>= 0.29) turns Ctrl+C into a silent ``Exit(130)`` before :func:`trainer.cli.app.run`
sees it: every command but ``live`` ended with status 130 and nothing said. ``import``
interrupted while adding its recording to the history kept the recording out of it with no
word, and the same import again was refused (the file exists). SIGTERM and SIGHUP killed a
command where it stood, leaving an export's temporary files behind (found in review).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from simulated_sessions import write_simulated

from trainer.cli import early_signals
from trainer.cli.app import run


def _study(tmp_path: Path, recordings: int, seconds: float) -> Path:
    """A folder of ``recordings`` simulated sessions of ``seconds`` each (seeds 0, 1, ...)."""
    study = tmp_path / "study"
    study.mkdir()
    for k in range(recordings):
        write_simulated(study / f"s{k}.bwr", seconds, seed=k)
    return study


def _report_dir(study: Path, out: Path, *, stderr: int) -> subprocess.Popen[str]:
    """``breathwise report STUDY -o OUT -j 2`` in its own process group, as a terminal's
    foreground job is (a signal to the group reaches its workers too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", "report", str(study), "-o", str(out), "-j", "2"],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def command_line(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as the command line (``breathwise``), its signal handlers put back
    afterwards."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    kept = {sig: signal.getsignal(sig) for sig in signals}
    monkeypatch.setattr(early_signals, "_command_line", True)
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def _signalled(sig: signal.Signals) -> Callable[..., Any]:
    """A stand-in for a step of a command: the signal arrives there."""

    def step(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the handler runs before this ends
        raise AssertionError("the signal was not raised")

    return step


def _rr_list(path: Path) -> Path:
    path.write_text("\n".join(str(800 + 20 * (k % 7)) for k in range(400)), encoding="utf-8")
    return path


@pytest.mark.usefixtures("command_line")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_command_says_interrupted(
    sig: signal.Signals,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("trainer.cli.hrv.analyse_rr", _signalled(sig))
    assert run(["hrv", str(_rr_list(tmp_path / "rr.txt"))]) == 128 + sig
    assert capsys.readouterr().err == "breathwise: interrupted\n"


@pytest.mark.usefixtures("command_line")
def test_import_interrupted_in_the_history_step_says_how_to_add_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "imported.bwr"
    monkeypatch.setattr("trainer.storage.history.add_recording", _signalled(signal.SIGINT))
    assert run(["import", str(_rr_list(tmp_path / "rr.txt")), "-o", str(out)]) == 130
    err = capsys.readouterr().err
    assert out.exists()  # the recording is kept
    assert "note: not added to the history: interrupted; add it later with: breathwise " in err
    assert f"history --add {out}" in err
    assert err.endswith("breathwise: interrupted\n")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.usefixtures("command_line")
def test_sigterm_or_sighup_during_an_export_unwinds_and_leaves_no_temporary_file(
    sig: signal.Signals,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.storage import export as export_module

    recording = write_simulated(tmp_path / "session.bwr", 60.0, seed=4)
    real_fields = export_module._span_fields
    calls = 0

    def fields_then_signalled(*args: Any) -> Any:
        # Called for each pacer row as pacer.csv is written: the 4th file, 3 already written
        # under their temporary names.
        nonlocal calls
        calls += 1
        if calls == 3:
            os.kill(os.getpid(), sig)
            time.sleep(5)
        return real_fields(*args)

    monkeypatch.setattr(export_module, "_span_fields", fields_then_signalled)
    there = tmp_path / "there"
    there.mkdir()
    made = tmp_path / "made"  # made by the export: an empty one left behind is clutter
    for out in (there, made):
        calls = 0
        assert run(["export", str(recording), "-o", str(out)]) == 128 + sig
        assert capsys.readouterr().err.endswith("breathwise: interrupted\n")
        assert calls == 3
    assert list(there.iterdir()) == []  # no temporary file, no half-written export
    assert not made.exists()


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="process groups (POSIX)")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_whole_group_leaves_no_half_written_report(
    sig: signal.Signals, tmp_path: Path
) -> None:
    """Found in review: Ctrl+C at a terminal (or `timeout`) reaches report DIR's workers too,
    which died where they stood, leaving `.NAME.report.png.XXXX.tmp` files in the reports
    folder. Workers now leave the stopping to the command: a report under way is finished."""
    study = _study(tmp_path, 6, 600.0)
    out = tmp_path / "reports"
    proc = _report_dir(study, out, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(out.glob(".*.tmp")) and proc.poll() is None:
        assert time.monotonic() < deadline, "no report was begun"
        time.sleep(0.02)
    os.killpg(proc.pid, sig)  # while a worker writes a report, as Ctrl+C would
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert err.endswith("breathwise: interrupted\n"), err
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    assert (out / "summary.partial.csv").exists()


@pytest.mark.usefixtures("command_line")
def test_history_add_of_a_folder_stopped_says_how_far_it_got(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: stopped part-way through a folder, `history --add DIR` ended with no
    count of what it had added."""
    from trainer.cli import history as history_cli
    from trainer.storage.history import list_sessions

    folder = tmp_path / "month"
    folder.mkdir()
    for k in range(3):
        write_simulated(
            folder / f"s{k}.bwr", 30.0, seed=k, start_wall_ns=(1_800_000_000 + k) * 10**9
        )
    real_add_one = history_cli._add_one
    calls = 0

    def add_one(*args: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        return real_add_one(*args)

    monkeypatch.setattr(history_cli, "_add_one", add_one)
    assert run(["history", "--add", str(folder)]) == 130
    err = capsys.readouterr().err
    assert err.endswith(
        "stopped: added 1 session, skipped 0 before the stop\nbreathwise: interrupted\n"
    ), err
    assert len(list_sessions()) == 1


def _report_rows(out: Path) -> set[str]:
    """The recordings whose rows a stopped batch kept (whole table or partial)."""
    import csv

    for name in ("summary.csv", "summary.partial.csv"):
        if (out / name).exists():
            with (out / name).open(newline="") as handle:
                return {row["file"].removesuffix(".bwr") for row in csv.DictReader(handle)}
    return set()


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="process groups (POSIX)")
def test_report_dir_stopped_twice_ends_at_once_and_keeps_a_row_for_every_report(
    tmp_path: Path,
) -> None:
    """Found in review: stopped by `timeout` (its signal sent to the command, then again to
    its process group), `report DIR` printed `breathwise: interrupted` and then hung for good
    (a second signal had cut short the wait for the pool, whose workers then never had their
    last call); it went on drawing the recordings already queued to its pool, 4 of 5 after
    the stop, and left reports whose rows it had not kept. Here the group is signalled while
    the workers are busy, then the command again, as `timeout` and a second Ctrl+C do."""
    study = _study(tmp_path, 10, 60.0)
    for attempt, (sig, pause) in enumerate([(signal.SIGINT, 0.0), (signal.SIGTERM, 0.3)] * 2):
        out = tmp_path / f"reports{attempt}"
        proc = _report_dir(study, out, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            while not any(out.glob("*.png")) and proc.poll() is None:
                assert time.monotonic() < deadline, "no report was drawn"
                time.sleep(0.01)
            time.sleep(pause)
            drawn = {p.stem for p in out.glob("*.png")}
            os.killpg(proc.pid, sig)
            time.sleep(0.3)
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
            try:
                _, err = proc.communicate(timeout=45)
            except subprocess.TimeoutExpired:
                pytest.fail(f"attempt {attempt}: still running 45 s after the stop")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.returncode == 128 + sig, err
        assert err.endswith("breathwise: interrupted\n"), err
        reports = {p.name.removesuffix(".report.png") for p in out.glob("*.png")}
        assert reports == _report_rows(out), err  # every report has its row, and no more
        assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
        # Only those under way (one per worker) are finished: none is started after the stop.
        assert len(reports) - len(drawn) <= 2, (sorted(drawn), sorted(reports))
        assert f"kept the {len(reports)} of 10 recordings analysed before the stop" in err


def _children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # Past the command's name, which may hold spaces: state, then parent id.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process not yet ended (a zombie no reaper collects has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_the_workers_of_a_report_dir_killed_hard_end_on_sigterm(tmp_path: Path) -> None:
    """Found in review: the workers were forked while the batch held the signals and kept its
    handler, which only notes one; once the command was killed (`kill -9`, the out-of-memory
    killer) they ignored SIGTERM, SIGINT and SIGHUP for ever. Orphaned, they end on one."""
    study = _study(tmp_path, 4, 600.0)
    out = tmp_path / "reports"
    proc = _report_dir(study, out, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "no worker started"
            time.sleep(0.05)
            workers = _children_of(proc.pid)
        time.sleep(0.5)  # past the workers' start
        proc.kill()
        proc.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if _running(pid)], "orphaned workers ignore SIGTERM"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.usefixtures("command_line")
def test_report_dir_stopped_while_writing_its_table_writes_it_whole_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: a signal once every recording was analysed, while summary.csv was
    written, was raised there: no summary.csv, no summary.partial.csv, and only
    `breathwise: interrupted` said, every row lost. The end of the batch holds the signal too."""
    from trainer.reports import batch as batch_module

    study = tmp_path / "study"
    study.mkdir()
    for k in range(3):
        write_simulated(study / f"s{k}.bwr", 30.0, seed=k)
    real_write = batch_module.write_summary

    def signalled_then_written(rows: Any, path: Path) -> Path:
        os.kill(os.getpid(), signal.SIGTERM)
        return real_write(rows, path)

    monkeypatch.setattr(batch_module, "write_summary", signalled_then_written)
    out = tmp_path / "reports"
    assert run(["report", str(study), "-o", str(out), "--table-only", "-j", "1"]) == 143
    err = capsys.readouterr().err
    assert err.endswith(
        f"all 3 recordings were analysed before the stop; summary: {out / 'summary.csv'}\n"
        "breathwise: interrupted\n"
    ), err
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv"]
    assert len((out / "summary.csv").read_text().splitlines()) == 4  # the header and 3 rows
