"""A session that carries on without its sensor, ended by Ctrl+C while a look for the sensor is
under way, and one whose Bluetooth is switched off while it looks: ``breathwise live
--program`` on the real bleak stack against the fake BlueZ, run in this process as in
``test_sensor_back_ble.py`` (the give-up time is 0 s instead of 120 s, the pause between looks
1 s instead of 15 s; the connect timeout is the session's own 20 s).

Ctrl+C (SIGINT) comes while a look is scanning for the strap (it is away) or while BlueZ makes
the look's connection (it is back, and slow to connect): the session must end at once, not when
the look would have timed out, with its recording closed (``interrupted``), the look's
connection cancelled in BlueZ, and no warning of a task or coroutine left behind. The
recording holds nothing from the looks, those that failed included: after the give-up only
``clock`` records, about one a second (and the program's pacer changes).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.ble import RetryPolicy
from devices.packets import NS_PER_S
from devices.source import GIVEN_UP_REASON
from tests.ble.conftest import fake_bluez_playing, quick_open
from tests.fakebluez import STRAP_ADDRESS, STRAP_NAME
from tests.fakebluez.bus import FakeControl
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.session.pipeline import sensors_gone_message
from trainer.storage.recording import read_recording

pytestmark = pytest.mark.slow

LOOK_AGAIN_S = 1.0
LOOKING = RetryPolicy(
    initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=0.0, look_again_s=LOOK_AGAIN_S
)
CONNECT_TIMEOUT_S = 20.0
"""The session's connect timeout: a look lasts up to this long."""
GONE_AFTER_S = 3.0
MINUTES = 0.5
"""30 s: the end comes from Ctrl+C, long before the planned end."""
WARNINGS = ("Task was destroyed", "never awaited", "never retrieved", "Traceback")


class Watched:
    """Signals ``SIGINT`` to this process once the fake BlueZ shows ``condition``, from a thread
    with its own event loop (the command runs its own): as a person pressing Ctrl+C."""

    def __init__(self, condition: str, hold_s: float) -> None:
        self.condition = condition
        self.hold_s = hold_s
        self.signalled_ns = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ctrl-c", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:  # said by the test, not lost in a thread
            self.error = exc

    async def _watch(self) -> None:
        control = FakeControl(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
        started = time.monotonic()
        try:
            while not await self._holds(control, time.monotonic() - started):
                if time.monotonic() - started > 30:
                    raise AssertionError(f"the fake never showed {self.condition}")
                await asyncio.sleep(0.05)
        finally:
            await control.close()
        await asyncio.sleep(self.hold_s)
        self.signalled_ns = time.monotonic_ns()
        os.kill(os.getpid(), signal.SIGINT)

    async def _holds(self, control: FakeControl, elapsed_s: float) -> bool:
        if self.condition == "connecting":
            return await control.is_connecting(STRAP_ADDRESS)
        # A look's scan: the strap away, after the give-up (the session's own scan is over).
        return elapsed_s > GONE_AFTER_S + 0.5 and await control.is_discovering()


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What Python could not raise (a coroutine or task left behind at garbage collection)."""
    seen: list[str] = []

    def hook(info: Any) -> None:
        seen.append(f"{info.err_msg}: {info.exc_value!r} {info.object!r}")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    yield seen


@pytest.mark.parametrize(
    ("condition", "scenario"),
    [
        # Away for good: each look is a scan for its address, up to the connect timeout.
        ("scanning", []),
        # Back at 5 s, and BlueZ takes 60 s to connect it: the look waits in Connect().
        ("connecting", ["--back-after", "5", "--slow-connect", "60", "--slow-connect-after", "4"]),
    ],
)
def test_ctrl_c_during_a_look_ends_the_session_at_once(
    condition: str,
    scenario: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    unraisable: list[str],
) -> None:
    caplog.set_level(logging.WARNING)
    options = ["--devices", "strap", "--hr-interval", "0.2", "--gone-after", f"{GONE_AFTER_S:g}"]
    monkeypatch.setattr(
        session_cli, "open_source", quick_open(LOOKING, connect_timeout_s=CONNECT_TIMEOUT_S)
    )
    out = tmp_path / "rec"
    live = ["live", "--device", STRAP_ADDRESS, "--program", "body-scan-head-to-feet"]
    live += ["--minutes", str(MINUTES), "--headless", "--no-sound", "--out", str(out)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fake_bluez_playing(monkeypatch, [*options, *scenario]):
            ctrl_c = Watched(condition, hold_s=1.0)
            ctrl_c.start()
            status = run(live)
            returned_ns = time.monotonic_ns()
            ctrl_c.join()
            assert ctrl_c.error is None, ctrl_c.error
            if condition == "connecting":
                connection = asyncio.run(_connection_left(STRAP_ADDRESS))
        gc.collect()
    captured = capsys.readouterr()
    assert status == 130, captured.err
    assert ctrl_c.signalled_ns, "no Ctrl+C was sent"
    returned_s = (returned_ns - ctrl_c.signalled_ns) / NS_PER_S
    (path,) = out.glob("*.bwr")
    recording = read_recording(path)
    summary = recording.summary
    assert summary is not None and summary["ended"] == "interrupted", summary
    end_ns = _end_record_ns(path)
    closed_s = (end_ns - ctrl_c.signalled_ns) / NS_PER_S
    with capsys.disabled():
        print(
            f"\nCtrl+C while {condition}: recording closed {closed_s:.3f} s, command returned "
            f"{returned_s:.3f} s after it"
        )
    # At once: well under the 20 s a look may take.
    assert 0.0 <= closed_s < 2.0
    assert returned_s < 5.0
    if condition == "connecting":
        assert connection == (False, False, 1), connection
    # Nothing left behind, and nothing raised.
    said = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    said += unraisable + captured.err.splitlines()
    assert not [line for line in said if any(word in line for word in WARNINGS)], said
    assert "breathwise: error" not in captured.err
    lines = captured.out.splitlines()
    gone = [line for line in lines if GIVEN_UP_REASON in line]
    assert len(gone) == 1 and gone[0].endswith(
        f"{STRAP_ADDRESS}: connection lost, {GIVEN_UP_REASON}: {STRAP_NAME} did not come back "
        f"within 0 s; looking for it again about every {LOOK_AGAIN_S:g} s"
    ), lines
    assert any(line.endswith(sensors_gone_message(False)) for line in lines), lines
    _assert_quiet_after_the_loss(path, links=2)


async def _connection_left(address: str) -> tuple[bool, bool, int]:
    """Whether the fake has the strap connected, a Connect() of it pending, and how many
    pending connects were cancelled."""
    control = FakeControl(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    try:
        # The fake counts a cancel when its pending Connect() resumes, a turn of its event
        # loop after the Disconnect(): on a loaded machine a question asked at once can come
        # first.
        deadline = time.monotonic() + 5
        while not await control.connects_cancelled(address) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return (
            await control.is_connected(address),
            await control.is_connecting(address),
            await control.connects_cancelled(address),
        )
    finally:
        await control.close()


def _records(path: Path) -> list[dict[str, Any]]:
    """The recording's lines after the header, as written."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def _end_record_ns(path: Path) -> int:
    (end,) = [r for r in _records(path) if r["k"] == "end"]
    return int(end["m"])


def _assert_quiet_after_the_loss(path: Path, links: int) -> None:
    """From the loss to the end: ``links`` ``link`` records, every one ``lost`` (the loss, the
    give-up, and the end of the looking when it stopped), and besides them only ``clock``
    records, no more than 1.25 s apart (recording-format: its timer checks four times a
    second), a program's ``pacer`` changes and the ``end``: nothing from the looks, however
    many failed."""
    records = _records(path)
    kinds = [r["k"] for r in records]
    after = records[kinds.index("link") :]
    assert after[-1]["k"] == "end"
    link_records = [r for r in after if r["k"] == "link"]
    assert [r["state"] for r in link_records] == ["lost"] * links, link_records
    assert all(r["reason"].startswith(GIVEN_UP_REASON) for r in link_records[1:])
    assert {r["k"] for r in after[:-1]} <= {"link", "clock", "pacer"}, {r["k"] for r in after}
    times_ns = [r["m"] for r in after[1:]]
    spacing_s = [(b - a) / NS_PER_S for a, b in itertools.pairwise(times_ns)]
    assert max(spacing_s) <= 1.3, spacing_s


def test_bluetooth_switched_off_while_looking_stops_the_looking_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bluetooth switched off 5 s after the strap was given up, while it is looked for again:
    the looking stops (retrying cannot help), the session says so with the advice, and it
    goes on to its planned end as any session without its sensor. Before: nothing was said;
    its last word was "looking for it again about every 1 s", which was no longer so."""
    monkeypatch.setattr(session_cli, "open_source", quick_open(LOOKING, connect_timeout_s=1.0))
    out = tmp_path / "rec"
    minutes = 0.2
    live = ["live", "--device", STRAP_ADDRESS, "--program", "body-scan-head-to-feet"]
    live += ["--minutes", str(minutes), "--headless", "--no-sound", "--out", str(out)]
    options = ["--devices", "strap", "--hr-interval", "0.2", "--gone-after", f"{GONE_AFTER_S:g}"]
    options += ["--power-off-after", f"{GONE_AFTER_S + 5:g}"]
    caplog.set_level(logging.INFO, logger="devices.ble.sensors")
    with fake_bluez_playing(monkeypatch, options):
        status = run(live)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    # Looks that failed (the strap away), then the one that found Bluetooth off.
    failed = [r for r in caplog.records if r.msg.startswith("looking for %s again failed")]
    assert len(failed) >= 2, caplog.text
    assert "breathwise: error" not in captured.err and "Traceback" not in captured.err
    lines = captured.out.splitlines()
    status_lines = [line.split(" s  ", 1)[1] for line in lines if line.startswith("status at")]
    gone_at = status_lines.index(sensors_gone_message(False))
    assert status_lines[gone_at + 1 :] == [
        f"{STRAP_ADDRESS}: connection lost, {GIVEN_UP_REASON}: {STRAP_NAME} is no longer looked "
        "for: Bluetooth is turned off — turn Bluetooth on (e.g. 'bluetoothctl power on')"
    ], status_lines
    (path,) = out.glob("*.bwr")
    recording = read_recording(path)
    summary = recording.summary
    assert summary is not None and summary["ended"] == "completed"
    assert summary["duration_s"] == pytest.approx(minutes * 60.0)
    # Nothing from the looks that failed before it, lost for good from the
    # loss, not from the end of the looking.
    _assert_quiet_after_the_loss(path, links=3)
    links = [r for r in _records(path) if r["k"] == "link"]
    assert summary["no_data_from_s"] == pytest.approx(
        (links[0]["m"] - recording.header.start_mono_ns) / NS_PER_S, abs=0.01
    )
    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
