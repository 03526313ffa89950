"""The screen's keys without the screen (review 29 F2): read one at a time from a terminal in
cbreak mode without echo, and the terminal put back as it was however the session ends."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="termios and ptys are POSIX")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: ``(keyboard, terminal)``, the side keys are typed into and the side
    a program reads them from."""
    import pty

    keyboard, tty_side = pty.openpty()
    yield keyboard, tty_side
    for fd in (keyboard, tty_side):
        os.close(fd)


def _mode(fd: int) -> list[object]:
    import termios

    return termios.tcgetattr(fd)


def test_keys_are_read_one_at_a_time_and_the_terminal_is_put_back_after_an_error(
    terminal: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import termios

    from trainer.cli import line_keys

    keyboard, tty_side = terminal
    # This pty is not the test process's controlling terminal: say it is ours.
    monkeypatch.setattr(line_keys, "keys_reach_us", lambda stream: True)
    before = _mode(tty_side)
    pressed: list[str] = []
    during: list[list[object]] = []

    async def session() -> None:
        during.append(_mode(tty_side))
        os.write(keyboard, b"pQx")  # Caps Lock on is still q; x is no key of the session
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len(pressed) == 2:
                break
        os.write(keyboard, b"ls\n")  # typed late: not for the shell after the session
        # Arrived, and not read (no await: the loop does not run the reader meanwhile).
        assert select.select([tty_side], [], [], 5.0)[0]
        raise RuntimeError("the session failed")

    keys: dict[str, Callable[[], None]] = {
        "p": lambda: pressed.append("p"),
        "q": lambda: pressed.append("q"),
    }
    with open(tty_side, closefd=False) as stream, pytest.raises(RuntimeError):
        asyncio.run(line_keys.with_keys(session, keys, stream)())
    assert pressed == ["p", "q"]
    (mode,) = during
    lflag = int(mode[3])  # type: ignore[call-overload]
    assert not lflag & termios.ECHO and not lflag & termios.ICANON
    assert _mode(tty_side) == before
    # What was typed and not read is dropped, not left for the shell to run.
    os.set_blocking(tty_side, False)
    with pytest.raises(BlockingIOError):
        os.read(tty_side, 64)


def test_after_ctrl_z_and_fg_the_keys_are_read_one_at_a_time_again(
    terminal: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 29's follow-up: stopped with Ctrl+Z, the session's terminal got the shell's mode
    back, and after ``fg`` the keys waited for Enter and were echoed. On SIGCONT in the
    foreground the session sets cbreak mode again; after it, SIGCONT is not watched."""
    import termios

    from trainer.cli import line_keys

    keyboard, tty_side = terminal
    monkeypatch.setattr(line_keys, "keys_reach_us", lambda stream: True)
    before = _mode(tty_side)
    pressed: list[str] = []
    modes: list[int] = []

    async def session() -> None:
        # What the shell does when the job stops: its own (canonical, echoing) mode back.
        termios.tcsetattr(tty_side, termios.TCSANOW, before)  # type: ignore[arg-type]
        modes.append(int(_mode(tty_side)[3]))  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGCONT)  # fg
        for _ in range(100):
            await asyncio.sleep(0.01)
            if not int(_mode(tty_side)[3]) & termios.ICANON:  # type: ignore[call-overload]
                break
        modes.append(int(_mode(tty_side)[3]))  # type: ignore[call-overload]
        os.write(keyboard, b"q")  # no Enter
        for _ in range(100):
            await asyncio.sleep(0.01)
            if pressed:
                break

    with open(tty_side, closefd=False) as stream:
        asyncio.run(line_keys.with_keys(session, {"q": lambda: pressed.append("q")}, stream)())
    stopped, continued = modes
    assert stopped & termios.ICANON and stopped & termios.ECHO
    assert not continued & termios.ICANON and not continued & termios.ECHO
    assert pressed == ["q"]
    assert _mode(tty_side) == before
    assert signal.getsignal(signal.SIGCONT) == signal.SIG_DFL


def test_a_terminal_that_is_not_ours_is_left_alone(terminal: tuple[int, int]) -> None:
    """Not this process's controlling terminal (or a background job's): no keys, no change."""
    from trainer.cli.line_keys import keys_reach_us, reading_keys

    _, tty_side = terminal
    before = _mode(tty_side)
    with open(tty_side, closefd=False) as stream:
        assert not keys_reach_us(stream)
        loop = asyncio.new_event_loop()
        try:
            with reading_keys(stream, {}, loop) as reading:
                assert not reading
                assert _mode(tty_side) == before
        finally:
            loop.close()


def _session_at_a_dumb_terminal(
    tmp_path: Path, keys: list[tuple[float, bytes]], command: tuple[str, ...] = ()
) -> tuple[int, str, list[object], list[object]]:
    """``command`` (`live --device sim` for a minute by default) in a pseudo-terminal that is
    its controlling terminal, with TERM=dumb (Emacs' shell): the keys are typed at the given
    seconds after its first line. Returns its exit status, what it printed, and the
    terminal's mode before and after."""
    import fcntl
    import pty
    import termios

    keyboard, tty_side = pty.openpty()
    before = _mode(tty_side)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUTF8"}
    env.update(
        TERM="dumb",
        BREATHWISE_DATA_DIR=str(tmp_path / "data"),
        BREATHWISE_CONFIG_DIR=str(tmp_path / "config"),
    )

    def controlling_terminal() -> None:
        # A new session (start_new_session) takes its standard input as its terminal, as a
        # shell's job does: its keys are then the session's to read.
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    said = bytearray()
    first_line = threading.Event()

    def read_all() -> None:
        while True:
            try:
                chunk = os.read(keyboard, 4096)
            except OSError:
                return
            if not chunk:
                return
            said.extend(chunk)
            if b"\n" in said:
                first_line.set()

    reader = threading.Thread(target=read_all, daemon=True)
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "trainer", *(command or (
                "live", "--device", "sim", "--minutes", "1", "--no-sound", "--seed", "1",
                "--out", str(tmp_path)))],
            cwd=REPO, stdin=tty_side, stdout=tty_side, stderr=tty_side, env=env,
            start_new_session=True, preexec_fn=controlling_terminal,
        )  # fmt: skip
        reader.start()
        assert first_line.wait(60), bytes(said)
        started = time.monotonic()
        for at_s, key in keys:
            time.sleep(max(0.0, started + at_s - time.monotonic()))
            os.write(keyboard, key)
        status = process.wait(timeout=120)
        after = _mode(tty_side)
    finally:
        if process is not None and process.poll() is None:
            # A key that was not read (the replay runs 300 s), or no first line.
            process.kill()
            process.wait()
        os.close(tty_side)
        reader.join(5)
        os.close(keyboard)
    return status, said.decode("utf-8", errors="replace").replace("\r\n", "\n"), before, after


def _summary_seconds(said: str) -> float:
    found = re.search(r"^summary: (\d+) s", said, re.MULTILINE)
    assert found, said
    return float(found.group(1))


def test_q_ends_a_session_without_the_screen_and_m_marks_it(tmp_path: Path) -> None:
    """Review 29 F2: under TERM=dumb q did not end the session (it ran its full minute), m did
    nothing, and the keys were echoed into the lines, then run by the shell."""
    status, said, before, after = _session_at_a_dumb_terminal(tmp_path, [(4.0, b"m"), (6.0, b"q")])
    assert status == 0, said
    note = next(line for line in said.splitlines() if line.startswith("note: no screen"))
    assert note.endswith("; keys work as on the screen: q or Ctrl+C ends the session and saves it")
    assert _summary_seconds(said) < 30.0, said
    assert re.search(r"^summary: .*marks 1$", said, re.MULTILINE), said
    assert not re.search(r"^[mq]$|[mq]summary", said, re.MULTILINE), said  # not echoed
    assert "recording saved: " in said
    assert after == before


def test_ctrl_c_still_ends_it_and_puts_the_terminal_back(tmp_path: Path) -> None:
    """In cbreak mode Ctrl+C is still the terminal's: SIGINT ends the session (saved, status
    130) and the terminal's mode is put back."""
    status, said, before, after = _session_at_a_dumb_terminal(tmp_path, [(4.0, b"\x03")])
    assert status == 128 + signal.SIGINT, said
    assert _summary_seconds(said) < 30.0, said
    assert "recording saved: " in said
    assert after == before


def test_q_stops_a_replay_without_the_screen(tmp_path: Path) -> None:
    """A replay's screen has q alone: without the screen it stops the replay there too."""
    sample = REPO / "recordings" / "sample-neurokit2-resting.bwr"
    status, said, before, after = _session_at_a_dumb_terminal(
        tmp_path, [(3.0, b"q")], ("replay", str(sample))
    )
    assert status == 0, said
    assert re.search(r"^note: replay stopped at \d+ s of \d+ s", said, re.MULTILINE), said
    assert after == before


def test_keys_pressed_while_the_ended_session_is_saved_do_nothing(tmp_path: Path) -> None:
    """The keys are read until the session is kept: an m while it was being saved printed
    "mark at 6.0 s" after its summary, for a session already closed."""
    status, said, _, _ = _session_at_a_dumb_terminal(
        tmp_path,
        [(2.0 + 0.05 * n, b"m") for n in range(200)],
        ("live", "--device", "sim", "--minutes", "0.1", "--no-sound", "--seed", "1",
         "--out", str(tmp_path)),
    )  # fmt: skip
    assert status == 0, said
    lines = said.splitlines()
    end = next(n for n, line in enumerate(lines) if line.startswith("summary: "))
    assert not any(line.startswith("mark at") for line in lines[end:]), said
    assert int(re.findall(r"marks (\d+)", lines[end])[0]) > 0, said


def test_n_skips_to_the_next_step_of_a_program_without_the_screen(tmp_path: Path) -> None:
    """Review 31 F2: the next-step key works where there is no screen too, recorded as the
    screen's is, and the summary names the step skipped."""
    command = (
        "live", "--device", "sim", "--program", "deep-breathing-4-8", "--minutes", "2",
        "--no-sound", "--seed", "1", "--out", str(tmp_path),
    )  # fmt: skip
    status, said, before, after = _session_at_a_dumb_terminal(
        tmp_path, [(3.0, b"n"), (6.0, b"q")], command
    )
    assert status == 0, said
    skipped = re.search(r"^skipped at +([\d.]+) s  step 1/3 Get comfortable, \d+ s", said, re.M)
    assert skipped, said
    at = skipped.group(1)
    assert re.search(rf"^step 2/3 at +{re.escape(at)} s  Four in, eight out", said, re.M), said
    assert re.search(rf"^program: skipped step 1 Get comfortable at {float(at):.0f} s$", said, re.M)
    assert not re.search(r"^n$|nsummary", said, re.MULTILINE), said  # not echoed
    assert _summary_seconds(said) < 30.0, said
    assert after == before
