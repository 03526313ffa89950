"""A signal before ``live``'s session handles signals: exit 128 + N, one line, no traceback.

The handlers that end a session cleanly were installed 1.2-1.5 s after the start, after the
heavy imports; before that SIGTERM killed the process and Ctrl+C raised KeyboardInterrupt
wherever Python was, which inside a compiled module's import became a traceback.
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

from trainer.cli import early_signals

REPO = Path(__file__).resolve().parents[1]
LIVE = ("live", "--device", "sim", "--headless", "--minutes", "1", "--no-sound", "--seed", "1")


def _spawn(out: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", *LIVE, "--out", str(out)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ends_quietly(proc: subprocess.Popen[str], code: int, out: Path) -> None:
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err[-2000:]
    assert err == "breathwise: interrupted\n"
    assert not out.exists()  # it ended before the session was set up: nothing made


SITE_PAUSE_AT_MODULE = textwrap.dedent(
    """
    import builtins, os, time

    _import = builtins.__import__

    def _pausing(name, *args, **kwargs):
        # The first import of PAUSE_MODULE: pause there once, so that the test's signal lands
        # during the command line's imports whatever the machine's speed.
        if name == os.environ["PAUSE_MODULE"] and not os.path.exists(os.environ["PAUSED_AT"]):
            open(os.environ["PAUSED_AT"], "w").close()
            time.sleep(30)
        return _import(name, *args, **kwargs)

    builtins.__import__ = _pausing
    """
)


def _spawn_paused(tmp_path: Path, site_code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """``live`` in a child paused by ``site_code`` (a sitecustomize) until it is signalled."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(site_code)
    paused = tmp_path / "paused"
    proc = _spawn(tmp_path / "rec", {"PYTHONPATH": str(site), "PAUSED_AT": str(paused), **env})
    deadline = time.monotonic() + 60
    while not paused.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert paused.exists(), "the child never reached the pause: the test needs another"
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("module", ["typer", "numpy"])
def test_a_signal_during_the_imports_ends_with_128_plus_n(
    tmp_path: Path, sig: signal.Signals, module: str
) -> None:
    """SIGTERM there killed the process (-15 to its parent, no message), not 143 as
    documented. The child pauses at its first import of ``module`` (it had been signalled
    after a fixed 0.2 or 0.6 s, which a slow start or a fast machine could miss)."""
    proc = _spawn_paused(tmp_path, SITE_PAUSE_AT_MODULE, {"PAUSE_MODULE": module})
    proc.send_signal(sig)
    _ends_quietly(proc, 128 + sig, tmp_path / "rec")


SITE_PAUSE = textwrap.dedent(
    """
    import builtins, os, sys, time

    _import = builtins.__import__

    def _pausing(name, *args, **kwargs):
        # A compiled module (scipy's) asking for numpy's C API while it is created: pause
        # there once, so the test's Ctrl+C lands where a real one sometimes did.
        caller = sys._getframe(1) if name.endswith("_multiarray_umath") else None
        if (
            caller is not None
            and caller.f_code.co_name == "_call_with_frames_removed"
            and not os.path.exists(os.environ["PAUSED_AT"])
        ):
            open(os.environ["PAUSED_AT"], "w").close()
            time.sleep(30)
        return _import(name, *args, **kwargs)

    builtins.__import__ = _pausing
    """
)


def test_ctrl_c_inside_a_compiled_modules_import_is_no_traceback(tmp_path: Path) -> None:
    """Ctrl+C while scipy's compiled modules import numpy's C API became "ImportError: numpy.
    _core.multiarray failed to import" with a traceback, exit 1."""
    proc = _spawn_paused(tmp_path, SITE_PAUSE, {})
    proc.send_signal(signal.SIGINT)
    _ends_quietly(proc, 130, tmp_path / "rec")


def test_release_gives_back_the_handlers_once() -> None:
    """Commands other than live, and live's session, get Python's own handling back."""
    before = signal.getsignal(signal.SIGINT)
    early_signals.exit_on_signals()
    try:
        assert signal.getsignal(signal.SIGINT) is not before
    finally:
        early_signals.release()
    assert signal.getsignal(signal.SIGINT) is before
    early_signals.release()  # nothing held: nothing done
    assert signal.getsignal(signal.SIGINT) is before


SITE_PAUSE_IN_EXTENSION = textwrap.dedent(
    """
    import builtins, os, sys, time

    _import = builtins.__import__

    def _created(frame):
        # The modules an extension module's creation was called with, if it is that.
        if frame is None or frame.f_code.co_name != "_call_with_frames_removed":
            return ()
        return frame.f_locals.get("args") or ()

    def _pausing(name, *args, **kwargs):
        # A compiled module of PAUSE_PREFIX importing while it is created (matplotlib's
        # ft2font imports enum): pause there once, so that the test's Ctrl+C lands inside it.
        prefix = os.environ["PAUSE_PREFIX"]
        created = _created(sys._getframe().f_back)
        names = [getattr(m, "name", getattr(m, "__name__", "")) for m in created]
        if any(str(n).startswith(prefix) for n in names) and not os.path.exists(
            os.environ["PAUSED_AT"]
        ):
            open(os.environ["PAUSED_AT"], "w").close()
            time.sleep(30)
        return _import(name, *args, **kwargs)

    builtins.__import__ = _pausing
    """
)


def test_ctrl_c_while_report_imports_matplotlib_is_no_traceback(tmp_path: Path) -> None:
    """``report`` imported matplotlib (compiled) when it got to the figure, after the early
    handlers were given back: Ctrl+C inside that import ended the process by SIGINT (-2 to
    its parent) or with an import traceback. It is now imported while they still hold."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE_PAUSE_IN_EXTENSION)
    paused = tmp_path / "paused"
    out = tmp_path / "report.png"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trainer",
            "report",
            str(REPO / "recordings" / "sample-neurokit2-resting.bwr"),
            "-o",
            str(out),
        ],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": str(site),
            "PAUSED_AT": str(paused),
            "PAUSE_PREFIX": "matplotlib.",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not paused.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert paused.exists(), "the child never reached the pause: the test needs another"
    proc.send_signal(signal.SIGINT)
    _ends_quietly(proc, 130, out)


def test_a_command_started_with_sigint_ignored_runs_on_through_ctrl_c(tmp_path: Path) -> None:
    """Review 23 F10: a shell starts a script's background job with SIGINT ignored, so that the
    Ctrl+C meant for the foreground does not reach it; Breathwise put its own handler over the
    ignore and stopped (a background ``report DIR``, a ``live`` session). SIGTERM still ends it,
    kept."""

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    out = tmp_path / "rec"
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", *LIVE, "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint,
    )
    try:
        # Once during the imports (early handlers), once in the session (its own): once its
        # recording is there, not after a fixed 6 s, which a loaded machine's imports outlast
        # (a fresh-clone CI found no recording at all).
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 60.0
        while not list(out.glob("*.bwr")) and proc.poll() is None:
            assert time.monotonic() < deadline, "no recording after 60 s"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        time.sleep(2.0)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert list(out.glob("*.bwr"))  # ended by SIGTERM, kept
