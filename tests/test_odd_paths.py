"""Paths that are not plain files: a symbolic link that leads back to itself, a device, a pipe
(review 12, F3-F5). Each is refused in one line, or skipped with a note where the command
skips unreadable files, and never read forever; a pipe is read once where it can be."""

from __future__ import annotations

import errno
import itertools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fed_pipes import fed_pipe
from simulated_sessions import write_simulated

from trainer.cli.app import run
from trainer.storage import recording as rec
from trainer.storage.history import add_recording, list_sessions, not_in_history
from trainer.storage.paths import resolved, unreachable

LOOP = os.strerror(errno.ELOOP)  # "Too many levels of symbolic links" on Linux


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    return write_simulated(tmp_path / "good.bwr", 60.0, seed=3)


def _loop(path: Path) -> Path:
    """A link to itself: neither a file nor a folder, and never missing."""
    path.symlink_to(path.name)
    return path


@pytest.fixture()
def folder(tmp_path: Path, good: Path) -> Path:
    """A good recording beside a looping ``.bwr`` link and a looping link of another name."""
    root = tmp_path / "study"
    root.mkdir()
    (root / "a.bwr").write_bytes(good.read_bytes())
    _loop(root / "z.bwr")
    _loop(root / "month")
    return root


# ------------------------------------------------------------------- F3: a symbolic link loop
def test_a_link_loop_resolves_to_itself_made_absolute(tmp_path: Path) -> None:
    """Path.resolve raised RuntimeError on Python 3.11 (OSError from 3.13): an internal error."""
    loop = _loop(tmp_path / "self.bwr")
    assert resolved(loop) == loop.absolute()
    assert resolved(tmp_path / "nothing.bwr") == (tmp_path / "nothing.bwr").resolve()
    assert unreachable(loop) == f"cannot read ({LOOP})"
    assert unreachable(tmp_path / "nothing.bwr") is None
    assert unreachable(tmp_path) is None


def test_history_add_of_a_folder_skips_the_loop_and_adds_the_rest(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: exit 70, "internal error: RuntimeError: Symlink loop", and the good
    recording beside the loop was not added either."""
    assert run(["history", "--add", str(folder)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"skipped {folder / 'z.bwr'}: cannot read ({LOOP})" in err
    assert err[-1] == "added 1 session, skipped 1"
    assert [Path(row.path).name for row in list_sessions()] == ["a.bwr"]
    assert not any("this folder" in line for line in err)  # a loop named "month" is no folder


def test_history_add_of_a_loop_given_directly_is_a_skip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = _loop(tmp_path / "self.bwr")
    assert run(["history", "--add", str(loop)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"skipped {loop}: cannot read ({LOOP})",
        "breathwise: error: no session added, skipped 1 — see the notes above",
    ]


def test_report_dir_counts_the_loop_as_a_file_skipped(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: "cannot read this folder (...)", then "1 of 1 recordings analysed,
    0 skipped"."""
    found = rec.recordings_under(folder)
    assert found.files == [folder / "a.bwr", folder / "z.bwr"] and found.unreadable == []
    assert run(["report", str(folder), "-o", str(tmp_path / "out"), "--table-only"]) == 0
    err = capsys.readouterr().err
    assert f"skipped z.bwr: cannot read ({LOOP})" in err
    assert "1 of 2 recordings analysed, 1 skipped" in err
    assert "this folder" not in err


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("report", ["-o", "x.png"]),
        ("hrv", []),
        ("replay", ["--headless"]),
        ("export", ["-o", "x"]),
        ("import", ["-o", "x.bwr", "--no-history"]),
    ],
)
def test_a_loop_given_to_a_command_cannot_be_read_not_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, extra: list[str]
) -> None:
    """``report LOOP`` said "no such file or folder", ``hrv LOOP`` "no such file"."""
    loop = _loop(tmp_path / "self.bwr")
    assert run([command, str(loop), *[str(tmp_path / e) if "x" in e else e for e in extra]]) == 1
    assert capsys.readouterr().err == f"breathwise: error: {loop}: cannot read ({LOOP})\n"


def test_a_loop_as_an_output_folder_cannot_be_read_not_a_file(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """export -o LOOP said "is a file, not a folder"; config set recordings_dir LOOP called it
    a link to something not there ("is its drive unplugged?")."""
    loop = _loop(tmp_path / "out")
    assert run(["export", str(good), "-o", str(loop)]) == 1
    assert capsys.readouterr().err == f"breathwise: error: {loop}: cannot read ({LOOP})\n"
    assert run(["config", "set", "recordings_dir", str(loop)]) == 2
    err = capsys.readouterr().err
    assert f"{loop}: cannot read ({LOOP})" in err and "unplugged" not in err


def test_a_loop_in_the_recordings_folder_does_not_stop_the_look_for_killed_sessions(
    tmp_path: Path, good: Path
) -> None:
    """``live`` looks for recordings its history lacks at every start: a loop among them
    raised the resolve error there."""
    add_recording(good)
    _loop(tmp_path / "zz.bwr")
    assert not_in_history(tmp_path) == []


# ----------------------------------------------------------------- F4: a device, an endless pipe
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("command", ["replay", "report", "export", "history"])
def test_dev_zero_is_refused_at_once(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Found in review: all four read /dev/zero forever at full CPU."""
    args = {
        "replay": ["replay", "/dev/zero", "--headless"],
        "report": ["report", "/dev/zero", "-o", "o.png"],
        "export": ["export", "/dev/zero", "-o", "e"],
        "history": ["history", "--add", "/dev/zero"],
    }[command]
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(run(args)), daemon=True)
    worker.start()
    worker.join(30)
    assert outcome == [1], "still reading /dev/zero after 30 s"
    assert "/dev/zero: a device, not a Breathwise recording" in capsys.readouterr().err


@pytest.fixture()
def endless_blanks() -> Iterator[Path]:
    """A pipe that never ends, of blank lines (``yes "" | breathwise replay /dev/stdin``)."""
    yield from fed_pipe(itertools.repeat(b"\n" * 65536))


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_an_endless_pipe_of_blank_lines_is_refused_after_a_bounded_look(
    endless_blanks: Path,
) -> None:
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            rec.read_recording(endless_blanks)
        except rec.RecordingError as exc:
            outcome.append(exc)

    started = time.monotonic()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    assert outcome, "still reading the pipe after 30 s"
    assert "not a Breathwise recording (it begins blank)" in str(outcome[0])
    assert time.monotonic() - started < 30


def test_a_file_of_blanks_however_long_is_still_called_empty(tmp_path: Path) -> None:
    """The bound is for pipes: a file is read to its end, as before."""
    blank = tmp_path / "blank.bwr"
    blank.write_bytes(b"\n" * (rec.MAX_LINE_BYTES + 4096))
    with pytest.raises(rec.RecordingError, match="empty file"):
        rec.read_recording(blank)


# ------------------------------------------------------------------------------ F5: a pipe
@pytest.fixture()
def piped(good: Path) -> Iterator[Path]:
    """``good`` given through a pipe, as ``<(cat good.bwr)`` gives it: readable once."""
    yield from fed_pipe([good.read_bytes()])


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_report_and_export_read_a_pipe_once(
    piped: Path, good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: "/dev/fd/63: empty file, not a Breathwise recording": the header was
    read for the progress bar, then the whole pipe again, which was empty by then."""
    assert rec.recorded_span_s(piped) is None  # not read here: the analysis reads it
    assert run(["export", str(piped), "-o", str(tmp_path / "exp")]) == 0
    assert "empty file" not in capsys.readouterr().err
    assert sorted(p.suffix for p in (tmp_path / "exp").iterdir())[0] == ".csv"
    # Named as `live` names the session, not after the pipe's number ("63.belt.csv").
    stem = rec.session_stem(rec.read_recording(good).header.start_wall_ns)
    assert {p.name.split(".")[0] for p in (tmp_path / "exp").iterdir()} == {stem}


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_report_of_a_pipe_is_drawn(
    piped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.png"
    assert run(["report", str(piped), "-o", str(out)]) == 0
    assert out.stat().st_size > 0


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_pipe_without_an_output_asks_for_one(
    piped: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Written beside the recording, the output went to /dev/fd/63.report.png (no such file)."""
    assert run([command, str(piped)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"breathwise: error: {piped}: a pipe, with no folder beside it")
    assert "say where the" in err and "goes with -o" in err


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_history_add_refuses_a_pipe_and_leaves_the_file_s_row(
    piped: Path, good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read once, the pipe was added as "pipe:[761863] (gone)", taking over the row of the
    file it came from."""
    add_recording(good)
    assert run(["history", "--add", str(piped)]) == 1
    err = capsys.readouterr().err
    assert f"skipped {piped}: a pipe, not a file: the history keeps where each recording is" in (
        err
    )
    assert "save the recording to a file, then add that file" in err
    assert [row.path for row in list_sessions()] == [str(good.resolve())]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_history_add_of_a_named_pipe_without_a_writer_does_not_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opened to be read, a named pipe nothing writes to waited for a writer for ever."""
    fifo = tmp_path / "ff.bwr"
    os.mkfifo(fifo)
    outcome: list[int] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run(["history", "--add", str(fifo)])), daemon=True
    )
    worker.start()
    worker.join(30)
    assert outcome == [1], "still waiting for a writer after 30 s"
    assert "a pipe, not a file" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_replay_still_reads_a_pipe(piped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["replay", str(piped), "--headless", "--speed", "max"]) == 0
    assert "summary: 60 s" in capsys.readouterr().out
