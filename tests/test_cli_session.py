"""The issue's acceptance runs of ``breathwise live`` / ``replay``, as a user runs them.

Two real-time sessions run as separate processes at once (they take real minutes): one runs its
full minute, one is killed with SIGKILL after 30 s. Everything else runs in-process through
``trainer.cli.app.run``.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from connect_doubles import SlowConnect
from fake_terminal import Terminal
from full_disk import free_space
from program_runs import ProcessingBug

from devices.packets import NS_PER_S
from trainer.cli.app import run
from trainer.storage.history import add_command
from trainer.storage.recording import read_recording

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainer", *args]


@dataclass
class Runs:
    full_dir: Path
    full: subprocess.CompletedProcess[str]
    killed_dir: Path
    killed_at_wall_ns: int
    paced_dir: Path
    paced: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    full_dir = tmp_path_factory.mktemp("full")
    killed_dir = tmp_path_factory.mktemp("killed")
    paced_dir = tmp_path_factory.mktemp("paced")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def one_minute(out_dir: Path, seed: str, *options: str) -> subprocess.Popen[str]:
        """A 1-minute simulated live session, its output kept."""
        args = ("live", "--device", "sim", "--minutes", "1", *options)
        return subprocess.Popen(
            _cli(*args, "--out", str(out_dir), "--seed", seed),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    full = one_minute(full_dir, "3", "--headless")
    # Alongside, so that the module waits no longer: the pacer said as lines.
    paced = one_minute(paced_dir, "5", "--pacer-lines", "--no-sound")
    victim = subprocess.Popen(
        _cli("live", "--device", "sim", "--minutes", "5", "--headless", "--out", str(killed_dir)),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Wait until the victim's session has started (its file exists), then 30 s more.
        deadline = time.monotonic() + 30
        while not list(killed_dir.glob("*.bwr")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(30.0)
        killed_at = time.time_ns()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        out, err = full.communicate(timeout=120)
        paced_out, paced_err = paced.communicate(timeout=120)
        yield Runs(
            full_dir,
            subprocess.CompletedProcess(full.args, full.returncode, out, err),
            killed_dir,
            killed_at,
            paced_dir,
            subprocess.CompletedProcess(paced.args, paced.returncode, paced_out, paced_err),
        )
    finally:
        for proc in (full, victim, paced):
            if proc.poll() is None:
                proc.kill()


@pytest.mark.slow
def test_live_headless_prints_a_line_per_breath_and_replay_prints_the_same(runs: Runs) -> None:
    assert runs.full.returncode == 0, runs.full.stderr
    lines = runs.full.stdout.splitlines()
    breath_lines = [line for line in lines if line.startswith("breath ")]
    # One minute at the default 6 breaths/min: about 6 breaths (the first needs a whole cycle).
    assert 4 <= len(breath_lines) <= 7, runs.full.stdout
    assert lines[-1].startswith("summary: 60 s")
    files = list(runs.full_dir.glob("*.bwr"))
    assert len(files) == 1
    assert "recording saved" in runs.full.stderr
    replay = subprocess.run(
        _cli("replay", str(files[0]), "--speed", "max", "--headless"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines() == lines


PHASE_LINE = re.compile(r"^(in|hold|out|rest) \d+\.\d s  at +\d+\.\d s$")


@pytest.mark.slow
def test_live_pacer_lines_and_replay_pacer_lines_print_the_same(runs: Runs) -> None:
    """``--pacer-lines`` (review 29 F3): the pacer's phases among the breaths, on time from a
    real clock and a real-time simulated sensor, and the replay with the option prints the very
    lines; without it, the same lines less the pacer's."""
    assert runs.paced.returncode == 0, runs.paced.stderr
    lines = runs.paced.stdout.splitlines()
    phases = [line for line in lines if PHASE_LINE.match(line)]
    # One minute at 6 breaths/min, out twice as long as in: 6 in-breaths and 6 out-breaths.
    assert phases[:2] == ["in 3.3 s  at     0.0 s", "out 6.7 s  at     3.3 s"]
    assert len(phases) == 12 and phases[-1] == "out 6.7 s  at    53.3 s", phases
    assert sum(line.startswith("breath ") for line in lines) >= 4
    assert lines[-1].startswith("summary: 60 s")
    assert "no pacer to follow" not in runs.paced.stderr
    (path,) = runs.paced_dir.glob("*.bwr")
    replays = [
        subprocess.run(
            _cli("replay", str(path), "--speed", "max", *option),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        for option in (["--pacer-lines"], ["--headless"])
    ]
    assert all(replay.returncode == 0 for replay in replays), replays
    assert replays[0].stdout.splitlines() == lines
    assert replays[1].stdout.splitlines() == [line for line in lines if line not in phases]


@pytest.mark.slow
def test_killed_session_leaves_a_replayable_file_missing_at_most_a_second(runs: Runs) -> None:
    files = list(runs.killed_dir.glob("*.bwr"))
    assert len(files) == 1
    recording = read_recording(files[0])
    assert recording.summary is None  # killed: no closing line
    last_packet_wall_ns = max(p.t_wall_ns for p in recording.packets)
    assert runs.killed_at_wall_ns - last_packet_wall_ns <= 1 * NS_PER_S
    assert len(recording.packets) > 30 * 20  # 30 s of 20 Hz belt packets at least
    replay = subprocess.run(
        _cli("replay", str(files[0]), "--speed", "max", "--headless"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    assert sum(line.startswith("breath ") for line in replay.stdout.splitlines()) >= 2


def _one_line_error(
    capsys: pytest.CaptureFixture[str], code: int, expected_code: int, text: str
) -> None:
    captured = capsys.readouterr()
    assert code == expected_code, captured
    assert "Traceback" not in captured.err + captured.out
    assert captured.err.startswith("breathwise: error:")
    assert text in captured.err.splitlines()[0]


def test_an_empty_device_is_met_with_the_sensor_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The advice led with the simulator ("use --device sim, or an address or name")."""
    from trainer.cli.sensors import NO_DEVICE_ADVICE

    code = run(["live", "--headless", "--out", str(tmp_path), "--device", " "])
    _one_line_error(capsys, code, 2, f"--device is empty — {NO_DEVICE_ADVICE}")
    assert NO_DEVICE_ADVICE.startswith("name your sensor with --device")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--minutes", "-1"], "--minutes -1"),
        (["--minutes", "0"], "--minutes 0"),
        (["--ratio", "0"], "--ratio 0"),
        (["--rate", "0"], "--rate 0"),
        (["--rate", "nan"], "--rate nan"),
        (["--device", " "], "--device is empty"),
        (["--device", "sim", "--device", "H10"], "a simulator runs alone"),
        (["--device", "sim", "--device", "sim-hr"], "use one: sim (belt and strap) or sim-hr"),
        (["--minutes", "soon"], "--minutes 'soon' is not a number"),
        (["--seed", "-1"], "--seed -1 must not be negative"),
    ],
)
def test_bad_live_arguments_give_one_line(
    args: list[str], text: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(["live", "--headless", "--out", str(tmp_path), *args])
    _one_line_error(capsys, code, 2, text)
    assert not list(tmp_path.glob("*.bwr"))


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["hrv"], "breathwise hrv --help"),
        (["live", "--devcie", "sim"], "breathwise live --help"),
        (["history", "-n", "abc"], "breathwise history --help"),
        (["config", "set"], "breathwise config set --help"),
        (["config", "sett"], "breathwise config --help"),
        (["hrvv"], "breathwise --help"),
    ],
)
def test_a_usage_error_points_at_the_help_of_its_command(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every usage error said "Try 'breathwise --help'", the list of commands, which does not
    say what a missing argument of ``hrv`` is (found in review)."""
    assert run(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("breathwise: error: ")
    assert lines[1:] == [f"Try '{hint}' for help."]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"", "empty file"),
        (os.urandom(4096), "not a Breathwise recording"),
        (b"ECG,RSP\n0.1,0.2\n", "not a Breathwise recording"),
        (
            b'{"format": "breathwise-recording", "version": 1, '
            b'"start_mono_ns": 0, "start_wall_ns": 0, "source": {"kind": "ble", "streams": {}}}\n'
            b'{"k": "p", "m": 1, "w": 1, "s": "hr", "d": "zz"}\n{"k": "mark", "m": 2, "w": 2}\n',
            "damaged at line 2",
        ),
    ],
)
def test_replay_of_bad_files_gives_one_line(
    content: bytes, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.bwr"
    path.write_bytes(content)
    code = run(["replay", str(path), "--headless", "--speed", "max"])
    _one_line_error(capsys, code, 1, text)


def test_replay_of_a_truncated_file_replays_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = REPO / "recordings" / "sample-neurokit2-resting.bwr"
    data = sample.read_bytes()
    cut = tmp_path / "cut.bwr"
    cut.write_bytes(data[: len(data) // 2 - 3])
    code = run(["replay", str(cut), "--headless", "--speed", "max"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "cut short" in captured.err
    assert sum(line.startswith("breath ") for line in captured.out.splitlines()) >= 10


def test_replay_names_an_incomplete_line_after_the_closing_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bytes after a good closing record were skipped without a word."""
    sample = REPO / "recordings" / "sample-neurokit2-resting.bwr"
    tail = tmp_path / "tail.bwr"
    tail.write_bytes(sample.read_bytes() + b'{"k": "p", "m": 12')
    code = run(["replay", str(tail), "--headless", "--speed", "max"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "incomplete line after its closing record" in captured.err
    assert "cut short" not in captured.err


def test_replay_bad_speed_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli.session import _speed

    assert _speed("inf") is None and _speed("max") is None  # "inf" once "must be above 0"
    _one_line_error(
        capsys, run(["replay", str(tmp_path / "x.bwr"), "--speed", "fast"]), 2, "--speed 'fast'"
    )
    _one_line_error(
        capsys, run(["replay", str(tmp_path / "x.bwr"), "--speed", "-2"]), 2, "--speed -2"
    )
    # 1e-9 (a typo for 1e9) once replayed the 5-minute sample over 9,500 years.
    _one_line_error(
        capsys,
        run(["replay", str(tmp_path / "x.bwr"), "--speed", "1e-9"]),
        2,
        "--speed 1e-9 is out of range — use 0.1 (ten times slower than recorded) or more, or max",
    )
    assert _speed("0.1") == 0.1 and _speed("0.5x") == 0.5
    _one_line_error(
        capsys, run(["replay", str(tmp_path / "x.bwr"), "--headless"]), 1, "no such file"
    )


def test_sample_session_replays_a_real_persons_breathing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = REPO / "recordings" / "sample-neurokit2-resting.bwr"
    code = run(["replay", str(sample), "--headless", "--speed", "max"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    breaths = [line for line in captured.out.splitlines() if line.startswith("breath ")]
    # 5 minutes of quiet resting breathing: a real adult takes some 12-20 breaths a minute.
    assert 50 <= len(breaths) <= 110, captured.out
    recording = read_recording(sample)
    assert captured.out.splitlines()[-1].startswith("summary:")
    assert recording.summary is not None
    assert recording.summary["breaths"] == len(breaths)


@pytest.mark.parametrize("group", [[], ["config"]])
def test_a_bare_command_group_shows_its_help(
    group: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``breathwise`` and ``breathwise config`` alone printed the whole help squashed into one
    "breathwise: error:" line, exit 2 (found in review): the first thing a new user types."""
    assert run(group) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(" ".join(["Usage: breathwise", *group, "[OPTIONS] COMMAND"]))
    assert "\nCommands:\n" in captured.out
    assert run([*group, "--help"]) == 0
    assert capsys.readouterr().out == captured.out


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"breathwise {version('breathwise')}\n"


@pytest.mark.parametrize("value", ["0", "0.1", "-2", "nan", "5.5"])
def test_every_bad_ratio_gets_the_range_the_help_states(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--ratio 0 said "must be above 0", --ratio 0.1 "must be 0.2-5", and --help gave no range."""
    code = run(["live", "--headless", "--out", str(tmp_path), "--ratio", value])
    _one_line_error(capsys, code, 2, f"--ratio {value} is out of range — use 0.2 to 5, e.g. 2")
    assert run(["live", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exhale:inhale ratio of the pacer, 0.2-5;" in text
    assert "Pacer rate in breaths per minute, 1-30" in text
    assert "Session length in minutes, above 0 and up to 1440" in text
    assert run(["replay", "--help"]) == 0
    assert "(0.1 or more; below 1 is slower)" in " ".join(capsys.readouterr().out.split())


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    text = capsys.readouterr().out
    assert "not a medical device" in text
    for command in ("live", "replay"):
        assert command in text
    assert run(["live", "--help"]) == 0
    assert "breaths per minute" in capsys.readouterr().out


def test_help_examples_name_files_that_ship(capsys: pytest.CaptureFixture[str]) -> None:
    """A --help example that names a file of the project names one that exists (replay's used
    to name a sample recording that was never there), and one outside the installed package
    (docs/, recordings/, benchmarks/: the wheel holds only trainer, devices and analysis) is
    said to be in the source repository: replay's example and hrv's field list sent an
    installed user to files they do not have (found in review)."""
    import re

    assert run(["--help"]) == 0
    commands = re.findall(r"^\s{2}(\w+)\s{2,}", capsys.readouterr().out.split("Commands:")[1], re.M)
    assert "replay" in commands and "breaths" in commands
    named = []
    project_path = r"\b((?:recordings|docs|trainer|benchmarks)/[\w./-]+\.\w+)"
    for command in commands:
        assert run([command, "--help"]) == 0
        # Click wraps a long path at its hyphen ("docs/hrv-" / "output.md"): join it again.
        text = re.sub(r"(?<=\w-) (?=\w)", "", " ".join(capsys.readouterr().out.split()))
        for sentence in re.split(r"(?<=\.) ", text):
            paths = re.findall(project_path, sentence)
            named += paths
            for path in paths:
                if not path.startswith("trainer/"):
                    assert "source repository" in sentence, (command, sentence)
    assert "recordings/sample-neurokit2-resting.bwr" in named
    assert "docs/hrv-output.md" in named
    for path in named:
        assert (REPO / path).exists(), path


def _screen_session(
    out: Path,
    minutes: str,
    until: bytes,
    then: signal.Signals | None,
    *extra: str,
    device: str = "sim",
    close_terminal: bool | None = None,
    env: dict[str, str] | None = None,
    wait_s: float = 15.0,
    pause_s: float = 0.0,
) -> tuple[bytes, int | None]:
    """Run ``breathwise live --device DEVICE`` on its screen in a pseudo-terminal (100x30) until
    ``until`` shows (and ``pause_s`` more), then close the terminal (by default for SIGHUP
    alone) and send the process group ``then`` (None: no signal); the screen's bytes and the
    exit code (None if it had not ended by itself ``wait_s`` later and had to be killed)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        _cli("live", "--device", device, "--minutes", minutes, "--no-sound", "--out", str(out))
        + list(extra),
        cwd=REPO,
        env={**os.environ, "TERM": "xterm-256color", **(env or {})},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    screen = b""
    code: int | None = None
    try:
        deadline = time.monotonic() + 60.0
        while until not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
        assert until in screen, screen[-2000:]
        time.sleep(pause_s)
        if close_terminal if close_terminal is not None else then == signal.SIGHUP:
            # A terminal that hangs up is gone: its master side closes, and the kernel sends
            # the session SIGHUP; nothing reads what the process still writes.
            os.close(master)
            master = -1
        if then is not None:
            os.killpg(proc.pid, then)
        # Read what it prints on the way out while it ends: a full terminal buffer would
        # otherwise hold it up (and its summary would never be seen).
        deadline = time.monotonic() + wait_s
        while master >= 0 and time.monotonic() < deadline:
            if not select.select([master], [], [], 0.2)[0]:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        if master >= 0:
            os.close(master)
    return screen, code


def _history_names() -> list[str]:
    from trainer.storage.history import History

    with History() as history:
        return [Path(row.path).name for row in history.list_sessions()]


def test_closing_the_terminal_on_the_summary_screen_loses_nothing(tmp_path: Path) -> None:
    """The screen session keeps the session in the history as soon as it ends, and says so on
    the summary screen; closing the terminal there (SIGHUP) loses nothing and ends the
    process. The history used to be written only when the summary was closed with q. The
    session had completed, so the status is 0: it was 1, from the summary printed into the
    hung-up terminal taken for a failed write (found in review)."""
    screen, code = _screen_session(tmp_path, "0.1", b"session over", signal.SIGHUP)
    assert b"saved to your history" in screen
    assert code == 0  # it ended by itself (not by the test's kill), as a completed session
    (recording,) = tmp_path.glob("*.bwr")
    assert _history_names() == [recording.name]


SLOW_HISTORY = """
import time

import trainer.storage.history as history

_record_session = history.record_session


def _slow(*args, **kwargs):
    time.sleep(4.0)  # a long session's analysis
    return _record_session(*args, **kwargs)


history.record_session = _slow
"""


def test_the_screen_says_it_is_saving_and_a_hang_up_meanwhile_loses_nothing(
    tmp_path: Path,
) -> None:
    """While the history analyses the recording (14 s for an hour's), the screen went on as
    if the session ran (review 27 F3): now it shows the session over, with its summary and
    "saving to your history…". The terminal closed meanwhile: the session is still saved
    whole, and the status is the completed session's 0."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_HISTORY, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    screen, code = _screen_session(
        out, "0.05", "saving to your history…".encode(), signal.SIGHUP,
        env={"PYTHONPATH": str(site)}, pause_s=0.5,
    )  # fmt: skip
    assert b"Session over" in screen
    assert code == 0
    (recording,) = out.glob("*.bwr")
    assert _history_names() == [recording.name]


STUCK_SCREEN = """
import asyncio
import threading

import trainer.ui.screen as screen

_drive = screen.BreathwiseApp._drive


async def _drive_then_stick(self):
    await _drive(self)

    def stick():
        # Review 27 F5: the screen's loop stuck for good in a lock (a frame queued for a
        # terminal that has gone away), its main thread blocked in lock.acquire().
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()

    asyncio.get_running_loop().call_later(1.0, stick)


screen.BreathwiseApp._drive = _drive_then_stick
"""


@pytest.mark.parametrize(
    ("then", "close_terminal"),
    [(signal.SIGHUP, True), (signal.SIGTERM, False), (None, True)],
    ids=["hang-up", "sigterm", "terminal-gone-without-a-signal"],
)
def test_a_screen_stuck_on_its_summary_still_ends_once_the_terminal_is_gone(
    tmp_path: Path, then: signal.Signals | None, close_terminal: bool
) -> None:
    """A screen whose loop is stuck on the summary (review 27 F5: its main thread blocked in
    a lock, its input thread spinning on the hung-up terminal) outlived its closed terminal
    for 24 minutes at a third of a core, and ignored SIGTERM: the session's signal handlers
    were the loop's, which never ran again, so the grace exit was never started. It now
    ends within HANGUP_GRACE_S, with the completed session's status 0, whether the terminal
    hangs up with a signal or without one (standard input hung up), or SIGTERM comes."""
    from trainer.cli.session import HANGUP_GRACE_S

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(STUCK_SCREEN, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    screen, code = _screen_session(
        out, "0.05", b"session over", then, close_terminal=close_terminal,
        env={"PYTHONPATH": str(site)}, pause_s=2.0, wait_s=HANGUP_GRACE_S + 7.0,
    )  # fmt: skip
    assert code == 0, screen[-2000:]
    (recording,) = out.glob("*.bwr")
    assert _history_names() == [recording.name]


@pytest.mark.parametrize(
    ("then", "mode"),
    [
        (signal.SIGHUP, ()),
        (signal.SIGTERM, ()),
        # kill -INT to a screen session (a typed Ctrl+C is a key there): it had closed the
        # screen with "the session ended without a result" and labelled the recording
        # "completed".
        (signal.SIGINT, ()),
        (signal.SIGHUP, ("--headless",)),
        (signal.SIGTERM, ("--headless",)),
        (signal.SIGINT, ("--headless",)),
    ],
)
def test_closing_the_terminal_mid_session_keeps_the_session(
    tmp_path: Path, then: signal.Signals, mode: tuple[str, ...]
) -> None:
    """Hanging up (or being asked to end, or Ctrl+C headless) halfway ends the session as a
    quit would, on the screen or headless: the recording is closed with its summary and the
    session is in the history. The exit status is 128 + the signal's number, as a shell
    reports a process the signal killed: it once was 0, so a supervisor could not tell an
    interrupted session from a completed one (found in review)."""
    shows = b"breath " if mode else b"Breath rate"
    screen, code = _screen_session(tmp_path, "1", shows, then, *mode)
    assert code == 128 + then, screen[-2000:]
    if then != signal.SIGHUP:  # after a hang-up nothing reads the terminal
        assert b"recording saved: " in screen and b"summary: " in screen
    (recording,) = tmp_path.glob("*.bwr")
    read = read_recording(recording)
    assert not read.truncated and read.summary is not None
    assert read.summary["ended"] == "interrupted"
    assert _history_names() == [recording.name]


def test_under_nohup_a_hang_up_does_not_end_the_session(tmp_path: Path) -> None:
    """``nohup breathwise live --headless ... &``: SIGHUP is ignored when the session starts,
    so closing the terminal must not end it."""

    def like_nohup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen(
        _cli(
            "live",
            "--device",
            "sim",
            "--minutes",
            "0.15",
            "--headless",
            "--no-sound",
            "--out",
            str(tmp_path),
        ),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=like_nohup,
    )
    try:
        deadline = time.monotonic() + 30.0
        while not list(tmp_path.glob("*.bwr")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    (recording,) = tmp_path.glob("*.bwr")
    summary = read_recording(recording).summary
    assert summary is not None and summary["ended"] == "completed"


@pytest.mark.parametrize("command", ["live", "replay"])
def test_without_a_terminal_the_screen_gives_way_to_lines_and_ends(
    tmp_path: Path, command: str
) -> None:
    """From cron, nohup or a pipe (no --headless): the screen, with nobody to see it or press
    q, once held on for ever at full CPU. It now prints lines, says why, and ends."""
    args = (
        ["live", "--device", "sim", "--minutes", "0.2", "--no-sound", "--out", str(tmp_path)]
        if command == "live"
        else ["replay", str(REPO / "recordings" / "sample-neurokit2-resting.bwr"), "-s", "max"]
    )
    done = subprocess.run(
        _cli(*args),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert done.returncode == 0, done.stderr
    assert "note: no screen (standard output is not a terminal)" in done.stderr
    assert done.stdout.splitlines()[-1].startswith("summary: ")
    assert "\x1b[" not in done.stdout  # no screen drawing in the output


def test_a_dumb_terminal_gets_lines_not_a_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.cli import session as session_cli

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys, "__stderr__", Terminal())
    monkeypatch.setenv("TERM", "dumb")
    assert session_cli.no_screen_reason() == "TERM=dumb cannot draw it"
    monkeypatch.setenv("TERM", "xterm-256color")
    assert session_cli.no_screen_reason() is None
    # `live 2>errors.log`: the screen (drawn on stderr) went to the file, the terminal blank.
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    assert "standard error is not a terminal" in (session_cli.no_screen_reason() or "")
    monkeypatch.setattr(sys, "__stderr__", Terminal())
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert "keys cannot reach the screen" in (session_cli.no_screen_reason() or "")


def test_lines_to_a_terminal_that_hung_up_do_not_end_the_session() -> None:
    """Headless, after a hang-up, the next breath line met EIO and the session ended with a
    traceback instead of being saved (about one run in three)."""
    from trainer.session.events import MarkEvent
    from trainer.ui.headless import line_printer

    class HungUp(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

    printer = line_printer(HungUp())
    printer([MarkEvent(1.0, "a"), MarkEvent(2.0, "b")])  # no exception: nowhere to print


def test_folders_that_cannot_be_written_are_one_line_and_lose_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only or impossible folder gave tracebacks: before the session for --out, after it
    (summary lost) for the history, and for `report DIR` (found by a tester)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code = run(["live", "--device", "sim", "--headless", "--out", str(blocker / "rec")])
    _one_line_error(capsys, code, 1, f"{blocker}: is a file, not a folder — check --out ")
    # The history's folder cannot be made: the session still ends with its summary and says
    # where the recording is and why it is not in the history.
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(blocker / "data"))
    out = tmp_path / "rec"
    args = ["--minutes", "0.05", "--no-sound", "--seed", "1"]
    assert run(["live", "--device", "sim", "--headless", "--out", str(out), *args]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1].startswith("summary: ")
    assert "note: not added to the history: " in captured.err and "Traceback" not in captured.err
    [recording] = out.glob("*.bwr")
    # How to add it once the history can be written (import said so, live did not).
    assert f"; add it later with: {add_command(recording)}" in captured.err
    code = run(["history"])
    _one_line_error(capsys, code, 1, "a-file/data: cannot create the folder (Not a directory)")
    code = run(["report", str(out), "-o", str(blocker / "reports")])
    _one_line_error(capsys, code, 1, "a-file: is a file, not a folder — check -o ")


def test_out_is_made_only_inside_a_folder_that_exists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --out became a folder tree (every missing parent made), unlike -o of the
    other commands; the recordings folder Breathwise owns is still made whole."""
    args = ["--device", "sim", "--headless", "--minutes", "0.02", "--no-sound", "--seed", "1"]
    missing = tmp_path / "typo" / "rec"
    code = run(["live", *args, "--out", str(missing)])
    _one_line_error(capsys, code, 1, f"--out {missing}: the folder {missing.parent} does not")
    assert not missing.parent.exists()
    code = run(["live", *args, "--out", "-"])
    _one_line_error(capsys, code, 2, "--out -: the recording cannot be written to standard")
    # Only the last part is made for --out ...
    assert run(["live", *args, "--out", str(tmp_path / "rec")]) == 0
    assert len(list((tmp_path / "rec").glob("*.bwr"))) == 1
    # ... and the whole of the app's own recordings folder.
    owned = tmp_path / "data" / "breathwise" / "recordings"
    monkeypatch.setenv("BREATHWISE_RECORDINGS_DIR", str(owned))
    assert run(["live", *args]) == 0
    assert len(list(owned.glob("*.bwr"))) == 1


def test_a_full_disk_is_refused_before_the_session(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check of the recordings folder passed on a full disk (an empty file can still be
    made there): the session began and its recording failed."""
    free_space(monkeypatch, 0)
    args = ["--device", "sim", "--headless", "--minutes", "0.02", "--no-sound"]
    code = run(["live", *args, "--out", str(tmp_path)])
    _one_line_error(
        capsys,
        code,
        1,
        f"{tmp_path}: the disk is full (0 KiB free, at least 1 MiB needed) — "
        "free some space, or choose another folder (--out",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_failure_to_add_to_the_history_costs_neither_summary_nor_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the app's own errors were caught while adding a finished session to the history:
    any other (seen: an AttributeError from a half-edited tree) ended the session with a
    traceback, and neither its summary nor where the recording was saved was printed."""
    import trainer.storage.history

    def broken(path: Path, **_: object) -> None:
        raise AttributeError("'Pipeline' object has no attribute\n'heart_metrics'")

    monkeypatch.setattr(trainer.storage.history, "record_session", broken)
    out = tmp_path / "rec"
    args = ["--minutes", "0.05", "--no-sound", "--seed", "1"]
    assert run(["live", "--device", "sim", "--headless", "--out", str(out), *args]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.out.splitlines()[-1].startswith("summary: ")
    [recording] = out.glob("*.bwr")
    assert captured.err.splitlines()[-2:] == [
        f"recording saved: {recording}",
        "note: not added to the history: "
        "AttributeError: 'Pipeline' object has no attribute 'heart_metrics'; "
        f"add it later with: {add_command(recording)}",
    ]
    assert read_recording(recording).summary is not None


def test_the_summary_comes_before_the_history_step_which_says_it_is_saving(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history step analyses the whole recording again (14 s for an hour's): the summary,
    computed already, was printed only after it, and nothing said what the wait was (review
    27 F3). The summary comes first, then "saving to your history…", then what was kept."""
    import trainer.storage.history

    real = trainer.storage.history.record_session
    before: list[tuple[str, str]] = []

    def watched(path: Path, **kwargs: Any) -> Any:
        said = capsys.readouterr()
        before.append((said.out, said.err))
        print(said.out, end="")
        print(said.err, end="", file=sys.stderr)
        return real(path, **kwargs)

    monkeypatch.setattr(trainer.storage.history, "record_session", watched)
    out = tmp_path / "rec"
    args = ["--minutes", "0.05", "--no-sound", "--seed", "1"]
    assert run(["live", "--device", "sim", "--headless", "--out", str(out), *args]) == 0
    [(out_then, err_then)] = before
    assert out_then.splitlines()[-1].startswith("summary: ")
    assert err_then.splitlines()[-1] == "saving to your history…"
    captured = capsys.readouterr()
    [recording] = out.glob("*.bwr")
    assert captured.err.splitlines()[-1] == f"recording saved: {recording}"
    assert _history_names() == [recording.name]


def test_a_processing_error_is_one_line_and_keeps_the_recording(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: an exception in the processing (a bug) ended a live session with a
    traceback, the recording stopped, closed as "completed". Now: the session stops with one
    line saying what to do, exit status 1, the recording kept and closed with the error, and
    the history step run as after any failure (here the same bug keeps the session out)."""

    ProcessingBug(20).installed(monkeypatch)
    out = tmp_path / "rec"
    args = ["--minutes", "0.05", "--no-sound", "--seed", "1", "--out", str(out)]
    assert run(["live", "--device", "sim", "--headless", *args]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.out.splitlines()[-1].startswith("summary: ")
    [recording] = out.glob("*.bwr")
    kept = read_recording(recording)
    assert kept.ended.startswith("error: processing failed ")
    assert not kept.truncated and len(kept.items) > 20
    error = kept.ended.removeprefix("error: ")
    assert captured.err.splitlines()[-3:] == [
        f"recording saved up to the failure: {recording}",
        "note: not added to the history: ZeroDivisionError: float division by zero; "
        f"add it later with: {add_command(recording)}",
        f"breathwise: error: {error}; the recording up to the failure was saved",
    ]


def test_a_slow_sensor_connect_counts_neither_in_the_session_nor_in_its_sound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: the session's clock started before the scan and connect, so their
    seconds were taken from the practice and the pacer sound ran ahead of the pacer. With a
    1 s connect, the sound now starts with the sensor's first data, at session time 0, and the
    3 s session holds 3 s of data."""
    from trainer.cli import sensors as sensors_cli
    from trainer.cli import session as session_cli
    from trainer.ui.session_sound import SessionSound

    connect_s = 1.0
    real_open = sensors_cli.open_source

    async def slow_open(*args: Any, **kwargs: Any) -> Any:
        return SlowConnect(await real_open(*args, **kwargs), connect_s)

    sound_started: list[tuple[int, float]] = []

    def spy_start(self: SessionSound) -> bool:
        sound_started.append((time.monotonic_ns(), self.sound.t_s))
        return False  # no device in the tests: the session runs silently

    monkeypatch.setattr(session_cli, "open_source", slow_open)
    monkeypatch.setattr(SessionSound, "start", spy_start)
    args = ["--minutes", "0.05", "--sound", "--seed", "2", "--out", str(tmp_path)]
    assert run(["live", "--device", "sim", "--headless", *args]) == 0
    capsys.readouterr()
    recording = read_recording(next(tmp_path.glob("*.bwr")))
    start = recording.header.start_mono_ns
    first_packet = recording.packets[0].t_mono_ns
    assert (first_packet - start) / NS_PER_S < 0.2  # was the 1 s connect
    ((started_ns, sound_t_s),) = sound_started
    assert abs(started_ns - start) / NS_PER_S < 0.2 and sound_t_s == 0.0
    assert recording.summary is not None and recording.summary["duration_s"] == pytest.approx(3.0)


def test_a_resonance_rate_that_cannot_be_stored_costs_neither_history_nor_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing the rate an assessment chose ran unguarded before 'recording saved': a settings
    file that could not be written would have ended the session with a traceback."""
    from trainer.cli import session as session_cli
    from trainer.session.live_replay import SessionResult

    def unwritable(summary: dict[str, Any]) -> float | None:
        raise PermissionError(13, "Permission denied", "settings.toml")

    added: list[Path] = []
    monkeypatch.setattr(session_cli, "store_resonance", unwritable)

    def add(path: Path) -> tuple[str | None, bool]:
        added.append(path)
        return None, False

    monkeypatch.setattr(session_cli, "_add_to_history", add)
    path = tmp_path / "a.bwr"
    settled = session_cli._settle(
        SessionResult(path, {"resonance": {"chosen_rate_bpm": 5.5}}, None)
    )
    assert settled.lines == (
        "note: your resonance rate was not stored (PermissionError: [Errno 13] Permission "
        "denied: 'settings.toml'); set it with 'breathwise config set resonance_rate_bpm 5.5'",
        f"recording saved: {path}",
    )
    assert added == [path]


def test_a_folder_linked_to_an_unplugged_drive_is_named_as_such(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data folder or --out moved to another disk and linked back, the disk not mounted, was
    refused as "is a file, not a folder", naming a path that did not exist (found in review)."""
    gone = tmp_path / "usb" / "breathwise"
    link = tmp_path / "linked"
    link.symlink_to(gone)
    code = run(["live", "--device", "sim", "--headless", "--out", str(link / "rec")])
    _one_line_error(
        capsys, code, 1, f"{link}: is a link to {gone}, which is not there: is its drive unplugged?"
    )
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(link))
    code = run(["history"])
    _one_line_error(capsys, code, 1, f"{link}: is a link to {gone}, which is not there")


def test_on_the_screen_a_strap_alone_note_is_shown_before_the_start(tmp_path: Path) -> None:
    """The note of what a strap alone leaves uncoached reaches the screen (``set_note``), not
    only a headless session's stderr (found missing in review: untested)."""
    screen, code = _screen_session(
        tmp_path, "0.1", b"strap alone: ", signal.SIGTERM, "--program", "body-scan-head-to-feet",
        device="sim-hr",
    )  # fmt: skip
    assert code == 128 + signal.SIGTERM, screen[-2000:]
    # Drawn within the status line's rows (the whole note, 245 characters, never was), and
    # whole on stderr, left on the terminal when the screen closes.
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", screen)
    assert b"strap alone: 12 of 13 steps without out-breath" in text
    assert b"note: with a heart-rate strap alone only this program's paced steps" in text


def test_a_clock_before_1970_is_refused_before_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded, said "saved", then refused by every command as "header damaged" (its start
    below the format's 0); the history --add it advised could never work (found in review)."""
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() - 57 * 365 * 86400 * NS_PER_S)
    args = ["live", "--device", "sim", "--minutes", "0.05", "--headless", "--out", str(tmp_path)]
    assert run(args) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("breathwise: error: the system clock reads 1969-")
    assert err[-1].endswith("before 1970: a recording cannot start then — set the computer's "
                            "date and time, then start again")  # fmt: skip
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("term", "encoding", "reason"),
    [
        ("dumb", "utf-8", "TERM=dumb cannot draw it"),
        ("xterm", "iso8859-1", "the terminal's character set is iso8859-1, not UTF-8"),
    ],
)
def test_a_terminal_without_the_screen_says_what_the_keys_do(
    term: str,
    encoding: str,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Review 29 F2: under TERM=dumb (Emacs' shell) or in a terminal that is not UTF-8, at a
    keyboard, p, m and q did nothing and the note did not say so (only `| tee` got a
    sentence); what was typed then ran as shell commands. The keys are now read without the
    screen (tests/test_line_keys.py), and the note says so; where they cannot be (a
    background job's keyboard), it says Ctrl+C is the way out."""
    from trainer.cli import session as session_cli

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys, "__stderr__", Terminal(encoding=encoding))
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr(session_cli, "keys_reach_us", lambda stream: True)
    assert session_cli._no_screen()
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(f"note: no screen ({reason}"), note
    assert note.endswith("; keys work as on the screen: q or Ctrl+C ends the session and saves it")
    monkeypatch.setattr(session_cli, "keys_reach_us", lambda stream: False)
    assert session_cli._no_screen()
    (note,) = capsys.readouterr().err.splitlines()
    assert note.endswith(
        "; keys do not work without the screen: Ctrl+C ends the session and saves it"
    )
    # Without a keyboard (cron, `< /dev/null`) there are no keys to speak of.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert session_cli._no_screen()
    assert "keys" not in capsys.readouterr().err.replace("keys cannot reach", "")


@pytest.mark.parametrize(("rate", "noted"), [("2", True), ("3.9", True), ("4", False)])
def test_a_pace_slower_than_slow_breathing_is_said_before_the_start(
    rate: str, noted: bool, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Review 31 F12: `--rate 2 --ratio 3` ran a 7.5 s in / 22.5 s out pacer for 4 min without
    a word. It still runs, as asked, with a note of what it is."""
    args = ["--minutes", "0.02", "--out", str(tmp_path), "--rate", rate, "--ratio", "3"]
    code = run(["live", "--headless", "--no-sound", "--device", "none", *args])
    err = capsys.readouterr().err
    assert code == 0, err
    said = [line for line in err.splitlines() if "slower than slow-paced breathing" in line]
    assert len(said) == (1 if noted else 0), err
    if noted:
        assert said[0].startswith(f"note: --rate {rate} is slower")
        assert f"one breath lasts {60.0 / float(rate):.0f} s" in said[0]
