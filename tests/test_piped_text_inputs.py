"""``hrv``, ``breaths``, ``breaths --rr`` and ``import`` read a pipe, ``/dev/stdin`` and ``-``
as ``report``, ``replay`` and ``export`` read a recording through one (review 20, F4): once,
whole, within a bound, giving the same result as the file; a terminal, a device and an endless
pipe are refused in one line, and ``import`` asks for the start and the name a pipe cannot
give."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fed_pipes import fed_pipe

from trainer.cli.app import run
from trainer.storage import text_files
from trainer.storage.recording import read_recording

needs_dev_fd = pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")


def _rr_text(n: int = 360, seed: int = 1) -> str:
    """A one-column RR list, ms: about 5 min of a heart breathing at 6/min."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(np.full(n, 0.85))
    rr = 850.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0.0, 8.0, n)
    return "".join(f"{v:.1f}\n" for v in rr)


def _belt_text(fs_hz: float = 25.0, seconds: float = 120.0) -> str:
    """A one-column belt waveform of 6 breaths/min, with a header."""
    t = np.arange(int(fs_hz * seconds)) / fs_hz
    wave = np.sin(2 * np.pi * 0.1 * t) + 0.02 * np.sin(2 * np.pi * 1.3 * t)
    return "rsp\n" + "".join(f"{v:.5f}\n" for v in wave)


def _as_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _out(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert run(args) == 0, capsys.readouterr().err
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def _without_file(result: dict[str, object]) -> dict[str, object]:
    """The result less settings.file, which names the input as given."""
    settings = dict(result["settings"])  # type: ignore[call-overload]
    settings.pop("file", None)
    return {**result, "settings": settings}


@needs_dev_fd
@pytest.mark.parametrize("command", ["hrv", "breaths --rr"])
def test_an_rr_list_through_a_pipe_or_stdin_gives_the_file_s_result(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Found in review: "-: no such file", "/dev/fd/63: not a file" (exit 1)."""
    text = _rr_text()
    rr = tmp_path / "rr.txt"
    rr.write_text(text)
    words = command.split()
    from_file = _out([*words, str(rr)], capsys)
    for path in fed_pipe([text.encode()]):
        assert _without_file(_out([*words, str(path)], capsys)) == _without_file(from_file)
    _as_stdin(monkeypatch, text.encode())
    assert _without_file(_out([*words, "-"], capsys)) == _without_file(from_file)
    # Another standard input in the same process is read anew, not the first one's bytes.
    _as_stdin(monkeypatch, _rr_text(seed=2).encode())
    assert _without_file(_out([*words, "-"], capsys)) != _without_file(from_file)


@needs_dev_fd
def test_a_gzip_stream_through_a_pipe_is_read_decompressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _rr_text()
    rr = tmp_path / "rr.txt"
    rr.write_text(text)
    from_file = _out(["hrv", str(rr)], capsys)
    for path in fed_pipe([gzip.compress(text.encode())]):
        assert _without_file(_out(["hrv", str(path)], capsys)) == _without_file(from_file)


@needs_dev_fd
def test_a_waveform_through_a_pipe_is_read_once_though_looked_at_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``breaths`` peeks at the file's head (its progress bar, a recording refused) before it
    reads it: a pipe read there was empty for the reading."""
    text = _belt_text()
    belt = tmp_path / "belt.csv"
    belt.write_text(text)
    from_file = _out(["breaths", str(belt), "--fs", "25"], capsys)
    for path in fed_pipe([text.encode()]):
        from_pipe = _out(["breaths", str(path), "--fs", "25"], capsys)
    assert _without_file(from_pipe) == _without_file(from_file)
    assert from_pipe["settings"]["file"] == str(path)  # type: ignore[index]
    # Without --fs: the head is looked at for a recording and a time column, then refused.
    for path in fed_pipe([text.encode()]):
        assert run(["breaths", str(path)]) == 2
    assert "--fs is required" in capsys.readouterr().err


@needs_dev_fd
def test_import_of_a_pipe_asks_for_the_start_and_the_name_it_cannot_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pipe's time is now: dated by it, a past session would land today."""
    text = _rr_text().encode()
    out = tmp_path / "p.bwr"
    for path in fed_pipe([text]):
        assert run(["import", str(path), "-o", str(out), "--no-history"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"breathwise: error: {path}: a pipe, with no file time to date the session by — give "
        "the start with --start (e.g. --start 2026-03-01T07:30)\n"
    )
    assert not out.exists()
    for path in fed_pipe([text]):
        assert run(["import", str(path), "--no-history", "--start", "2026-03-01T07:30"]) == 2
    assert f"{path}: a pipe, with no name or folder for the recording" in capsys.readouterr().err
    _as_stdin(monkeypatch, text)
    args = ["import", "-", "-o", str(out), "--no-history", "--start", "2026-03-01T07:30"]
    assert run(args) == 0
    header = read_recording(out).header
    assert header.source.name == "RR list stdin"
    assert header.source.details["imported_from"] == "stdin"
    same = tmp_path / "same.bwr"
    (tmp_path / "rr.txt").write_bytes(text)
    args = ["import", str(tmp_path / "rr.txt"), "-o", str(same), "--no-history"]
    assert run([*args, "--start", "2026-03-01T07:30"]) == 0
    assert read_recording(same).items == read_recording(out).items


@needs_dev_fd
def test_a_polar_table_with_its_own_clock_needs_no_start_through_afed_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = 1_714_920_600_000_000_000
    rows = [f"{first + k * 850_000_000},{rr:.0f}" for k, rr in enumerate(np.full(300, 850.0))]
    text = "time_ns,rr_ms\n" + "\n".join(rows) + "\n"
    out = tmp_path / "t.bwr"
    for path in fed_pipe([text.encode()]):
        assert run(["import", str(path), "-o", str(out), "--no-history"]) == 0
    assert read_recording(out).header.start_wall_ns == first


@needs_dev_fd
def test_an_endless_pipe_is_refused_at_the_bound(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``yes 800 | breathwise hrv -`` read until the memory was gone."""
    monkeypatch.setattr(text_files, "STREAM_MAX_BYTES", 1024**2)
    for path in fed_pipe(itertools.repeat(b"800\n" * 16384)):
        assert run(["hrv", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"breathwise: error: {path}: more than 1 MiB through a pipe, the most read from one — "
        "give the file's name instead (save what is piped to a file first)\n"
    )


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_is_refused_rather_than_waited_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``breathwise hrv -`` with nothing piped in would wait for typing."""
    leader, follower = os.openpty()
    try:
        with open(follower, "rb", closefd=False) as tty:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(tty))
            assert run(["hrv", "-"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("breathwise: error: -: standard input is a terminal, not a file")
        tty_path = f"/proc/self/fd/{follower}"
        if Path(tty_path).exists():
            assert run(["breaths", "--rr", tty_path]) == 1
            assert f"{tty_path}: a terminal, not a file" in capsys.readouterr().err
    finally:
        os.close(leader)
        os.close(follower)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_as_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["hrv", "/dev/zero"]) == 1
    assert capsys.readouterr().err == "breathwise: error: /dev/zero: a device, not a file\n"


def test_a_real_process_reads_its_standard_input(tmp_path: Path) -> None:
    """The command as a pipeline runs it: ``-`` and ``/dev/stdin`` of a real pipe."""
    text = _rr_text()
    rr = tmp_path / "rr.txt"
    rr.write_text(text)
    outputs = []
    for name in ["-", "/dev/stdin", str(rr)]:
        done = subprocess.run(
            [sys.executable, "-m", "trainer", "hrv", name, "--format", "csv"],
            input=text.encode(),
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        first, rest = done.stdout.split(b"\n", 1)
        assert first == f"# breathwise hrv {name}".encode()  # the input as given
        outputs.append(rest)
    assert outputs[0] == outputs[1] == outputs[2]


@needs_dev_fd
@pytest.mark.parametrize("command", ["hrv", "breaths", "import"])
def test_a_piped_recording_is_told_a_way_that_reads_it(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: ``hrv -`` of a recording advised ``breathwise export -`` (export does
    not read ``-``), ``hrv <(...)`` named ``/dev/fd/63`` (gone once the command ends), and
    ``import -`` said to replay, report or history --add it, none of which reads ``-``."""
    sample = Path(__file__).resolve().parents[1] / "recordings/sample-neurokit2-resting.bwr"
    raw = sample.read_bytes()
    args = ["-o", "x.bwr", "--start", "2026-01-01T08:00"] if command == "import" else []
    advice = (
        "save it to a file, then replay, report or history --add the file"
        if command == "import"
        else "save it to a file, then 'breathwise export FILE' writes its beats (RR)"
    )
    monkeypatch.chdir(Path(__file__).parent)  # nothing is written: refused before
    _as_stdin(monkeypatch, raw)
    assert run([command, "-", *args]) == 1
    err = capsys.readouterr().err
    assert advice in err and "export -'" not in err
    for path in fed_pipe([raw]):
        assert run([command, str(path), *args]) == 1
    err = capsys.readouterr().err
    assert advice in err and "/dev/fd" not in err.split("—", 1)[1]


def test_a_file_named_dash_is_read_as_dot_slash_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guide says a file named ``-`` is ``./-``; pathlib makes ``./-`` ``-``, so it read
    standard input: "-: no RR intervals (the file is empty)" (found in review)."""
    (tmp_path / "-").write_text(_rr_text())
    (tmp_path / "rr.txt").write_text(_rr_text())
    monkeypatch.chdir(tmp_path)
    from_file = _out(["hrv", "rr.txt"], capsys)
    _as_stdin(monkeypatch, b"")
    assert _without_file(_out(["hrv", "./-"], capsys)) == _without_file(from_file)
    # "-" alone is still standard input.
    _as_stdin(monkeypatch, _rr_text(seed=2).encode())
    assert _without_file(_out(["hrv", "-"], capsys)) != _without_file(from_file)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("hrv -", "-: no RR intervals (standard input is empty: did the command before it fail?)"),
        ("breaths --rr -", "-: no RR intervals (standard input is empty"),
        ("breaths - --fs 25", "-: no samples (standard input is empty"),
        ("import - -k polar -o x.bwr", "-: nothing to import (standard input is empty"),
    ],
)
def test_an_empty_pipe_is_not_called_an_empty_file(
    command: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``: | breathwise hrv -`` said "the file is empty", which hid the usual cause, the
    command before it failing (found in review)."""
    monkeypatch.chdir(tmp_path)
    _as_stdin(monkeypatch, b"")
    assert run(command.split()) == 1
    assert said in capsys.readouterr().err
    assert not (tmp_path / "x.bwr").exists()


def test_dev_stdin_closed_is_called_closed_standard_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hrv /dev/stdin <&-`` said "/dev/stdin: no such file" (found in review)."""
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "hrv", "/dev/stdin"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        # fd 0 closed in the child, as the shell's <&- does (DEVNULL is replaced by closing it).
        preexec_fn=lambda: os.close(0),
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "breathwise: error: /dev/stdin: standard input is closed\n"


@pytest.mark.parametrize("command", ["replay {} --headless --speed max", "export {} -o out"])
def test_an_empty_pipe_of_a_recording_is_not_called_an_empty_file(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The recording commands read a pipe too; an empty one was "empty file, not a Breathwise
    recording", where hrv and breaths now name the usual cause (review 23, left by its fix)."""
    monkeypatch.chdir(tmp_path)
    for path in fed_pipe([b""]):
        assert run(command.format(path).split()) == 1
        err = capsys.readouterr().err
        assert "the pipe is empty: did the command writing it fail?" in err
        assert "empty file" not in err
