"""The end of a headless ``live`` session: what it says and keeps whatever comes meanwhile.

A second Ctrl+C or SIGTERM while it is being saved. Found in review: the session's signal
handlers went with its event loop, so a second Ctrl+C (the impatient ^C^C) raised
KeyboardInterrupt inside the history step, and a second SIGTERM (a supervisor repeating its
stop) killed the process: exit 130 with no summary and no path, or -15, and in 2 of 5 runs the
session was left out of the history. The child here is held, by a sitecustomize, at the moment
the signals must land, so that they land there whatever the machine's speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trainer.cli.session import STILL_SAVING
from trainer.storage.history import History

REPO = Path(__file__).resolve().parents[1]

SITE_HOLD = textwrap.dedent(
    """
    import atexit, os, time

    def _hold():
        # Say where the child is held, then wait there until the test has signalled it.
        open(os.environ["HELD_AT"], "w").close()
        while not os.path.exists(os.environ["GO_ON"]):
            time.sleep(0.01)

    if os.environ["HOLD"] == "history":
        import trainer.storage.history as history

        _record = history.record_session

        def _held(path, **kwargs):
            _hold()
            return _record(path, **kwargs)

        history.record_session = _held
    else:
        # Registered before the command runs, so run last of the exit functions: inside the
        # interpreter's shutdown, once the command is done.
        atexit.register(_hold)
    """
)


def _wait_for(found: Path | None, folder: Path, proc: subprocess.Popen[str]) -> None:
    """Wait until ``found`` exists (or, None, a recording in ``folder``), the child alive."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if found.exists() if found is not None else any(folder.glob("*.bwr")):
            return
        time.sleep(0.01)
    raise AssertionError(f"the child never got there (status {proc.poll()})")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("held", ["history", "exit"])
def test_a_second_signal_while_saving_loses_nothing(
    tmp_path: Path, sig: signal.Signals, held: str
) -> None:
    """The first signal ends the session; two more, while it is added to the history (or,
    once all is said, while the interpreter shuts down), are told to wait at most once and
    change nothing: summary, path and history row are kept, the status is 128 + N."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE_HOLD)
    out = tmp_path / "rec"
    held_at, go_on = tmp_path / "held", tmp_path / "go-on"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "HOLD": held,
        "HELD_AT": str(held_at),
        "GO_ON": str(go_on),
    }
    live = ("live", "--device", "sim", "--headless", "--minutes", "1", "--no-sound", "--seed", "61")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", *live, "--out", str(out)],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(None, out, proc)  # the session runs, its handlers in place
        proc.send_signal(sig)
        _wait_for(held_at, out, proc)
        for _ in range(2):
            proc.send_signal(sig)
            time.sleep(0.05)
        time.sleep(0.5)  # time for the signals to take effect, had they any
        go_on.touch()
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 128 + sig, stderr[-2000:]
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr[-2000:]
    (recording,) = out.glob("*.bwr")
    assert stdout.splitlines()[-1].startswith("summary: ")
    lines = stderr.splitlines()
    assert lines[-1] == f"recording saved: {recording}"
    # Told once, while it mattered; after all is said, nothing is.
    assert lines.count(STILL_SAVING) == (1 if held == "history" else 0)
    with History() as history:
        assert [Path(row.path) for row in history.list_sessions()] == [recording]


def test_a_closed_standard_output_costs_only_the_summary(tmp_path: Path) -> None:
    """``live --headless | head -1``: the summary's print to the closed pipe (EPIPE) skipped
    what is said on standard error after it, "recording saved: PATH" first (found in
    review); only the summary has nowhere to go."""
    out = tmp_path / "rec"
    live = (
        "live",
        "--device",
        "sim",
        "--headless",
        "--minutes",
        "0.2",
        "--no-sound",
        "--seed",
        "72",
    )
    err = tmp_path / "err"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "trainer", *live, "--out", str(out)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert proc.stdout is not None
        try:
            assert proc.stdout.readline().startswith("breath ")
            proc.stdout.close()  # as `head -1` exits
            assert proc.wait(timeout=90) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    (recording,) = out.glob("*.bwr")
    said = err.read_text()
    assert said.splitlines()[-1] == f"recording saved: {recording}", said[-2000:]
    assert "Traceback" not in said and "Exception ignored" not in said


def test_in_process_the_handlers_are_given_back(tmp_path: Path) -> None:
    """Once a headless session is kept, a signal ends the process with the session's status
    (see above); a caller that goes on (here the test run) gets its own handlers back."""
    from trainer.cli import early_signals
    from trainer.cli.app import run

    # The caller's own handlers, whatever an earlier test of this worker left (an in-process
    # session on the screen leaves its own: its process would have ended with it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # As another test of the same process may have done: not the command line for that.
    early_signals.exit_on_signals()
    early_signals.release()
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    args = ["--minutes", "0.05", "--no-sound", "--seed", "1", "--out", str(tmp_path)]
    assert run(["live", "--device", "sim", "--headless", *args]) == 0
    assert {sig: signal.getsignal(sig) for sig in before} == before
