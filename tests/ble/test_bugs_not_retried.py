"""A bug in our own code while connecting is said as a bug, at once (review 38 F1).

Before, the connect, reconnect and look-again loops caught every exception: a ``TypeError``
raised by our code inside a connect attempt was retried as a radio failure (4 attempts on the
first connect, up to the 120 s give-up time on a reconnect, for ever once the device was given
up and looked for again) and then told the person to move closer to the sensor or check its
battery, the bug itself only in a log. Now :func:`devices.ble.errors.is_bug` errors go through
at once, to the command's handler of bugs (its words and a saved traceback), while every real
Bluetooth failure is retried and mapped as before.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bleak import BleakClient
from bleak.exc import BleakDBusError, BleakError

from devices.ble import HeartRateStrap, PolarH10, RetryPolicy, SensorCommandError
from devices.ble.errors import ConnectFailedError, DeviceGoneError, is_bug
from devices.ble.sensors import BleSensor, LinkDroppedError
from devices.source import LinkState
from tests.ble.conftest import FakeBlueZ, collect, fake_bluez_playing, quick_open
from tests.fakebluez import POLAR_ADDRESS, STRAP_ADDRESS
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.cli.crash_report import EXIT_SOFTWARE
from trainer.storage.recording import read_recording

ADDRESS = "AA:BB:CC:DD:EE:FF"
# The module, not the function `devices.ble.scan` that the package exports under its name.
scan_module = importlib.import_module("devices.ble.scan")

BUGS: list[BaseException] = [
    TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'"),
    AttributeError("'NoneType' object has no attribute 'write_gatt_char'"),
    NameError("name 'client' is not defined"),
    AssertionError("a broken invariant"),
    KeyError("hr"),
    IndexError("list index out of range"),
    ZeroDivisionError("division by zero"),
]
"""Programming errors, as our code raises them."""


class _BleakTypeError(BleakError, TypeError):
    """A bleak error that also derives from a bug type: still bleak's, still retried."""


TRANSPORT: list[BaseException] = [
    BleakError("Not connected"),
    BleakDBusError("org.bluez.Error.Failed", ["le-connection-abort-by-local"]),
    _BleakTypeError("odd"),
    TimeoutError(),
    EOFError(),
    OSError(104, "Connection reset by peer"),
    LinkDroppedError("dropped the link as its streams started"),
    ValueError("a sensor's answer could not be read"),
    RuntimeError("AcquireNotify socket disconnected"),
]
"""Failures of the radio, BlueZ, bleak, dbus-fast or the sensor: retried as before."""


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_programming_errors_are_bugs(exc: BaseException) -> None:
    assert is_bug(exc)


@pytest.mark.parametrize("exc", TRANSPORT, ids=lambda e: type(e).__name__)
def test_bluetooth_and_os_failures_are_not_bugs(exc: BaseException) -> None:
    assert not is_bug(exc)


class _Failing(BleSensor):
    """A sensor whose every connect attempt raises ``error``, counted in ``attempts``."""

    family = "test"

    def __init__(self, error: BaseException, policy: RetryPolicy) -> None:
        super().__init__(ADDRESS, policy=policy)
        self.error = error
        self.attempts = 0

    async def _connect_once(self) -> BleakClient:
        self.attempts += 1
        raise self.error


FAST = RetryPolicy(initial_delay_s=0.01, max_delay_s=0.01, jitter=0.0, look_again_s=0.01)
"""Quick retries; the give-up time stays the default 120 s, which no test here may wait out."""


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
async def test_a_bug_in_the_first_connect_is_raised_at_once(exc: BaseException) -> None:
    """Before: 4 attempts, then ConnectFailedError "... — move closer to the sensor"."""
    sensor = _Failing(exc, FAST)
    with pytest.raises(type(exc)) as raised:
        await sensor._connect_first()
    assert raised.value is exc
    assert sensor.attempts == 1


@pytest.mark.parametrize("exc", BUGS[:3], ids=lambda e: type(e).__name__)
async def test_a_bug_in_a_reconnect_is_raised_at_once(exc: BaseException) -> None:
    """Before: retried until the 120 s give-up time, then DeviceGoneError "... — check the
    sensor's battery and that it is worn"."""
    sensor = _Failing(exc, FAST)
    with pytest.raises(type(exc)) as raised:
        await asyncio.wait_for(sensor._reconnect_after(0), 5.0)
    assert raised.value is exc
    assert sensor.attempts == 1


async def test_a_bug_while_looking_again_is_raised_at_once() -> None:
    """Before: logged and looked for again every 15 s until the session ended."""
    bug = TypeError("a bug in our code")
    sensor = _Failing(bug, FAST)
    with pytest.raises(TypeError) as raised:
        await asyncio.wait_for(sensor._look_again(0), 5.0)
    assert raised.value is bug
    assert sensor.attempts == 1


@pytest.mark.parametrize("exc", TRANSPORT, ids=lambda e: type(e).__name__)
async def test_bluetooth_failures_are_still_retried_and_given_advice(exc: BaseException) -> None:
    sensor = _Failing(exc, FAST)
    with pytest.raises(ConnectFailedError) as raised:
        await sensor._connect_first()
    assert sensor.attempts == FAST.connect_attempts
    assert raised.value.advice and raised.value.__cause__ is exc
    gone = _Failing(exc, RetryPolicy(initial_delay_s=0.01, max_delay_s=0.01, give_up_after_s=0.1))
    with pytest.raises(DeviceGoneError):
        await asyncio.wait_for(gone._reconnect_after(0), 5.0)
    assert gone.attempts > 1


async def test_a_bug_in_a_scan_is_not_called_a_bluetooth_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: ConnectFailedError "Bluetooth connection failed: TypeError(...) — move closer"."""
    bug = TypeError("a bug in our code")

    async def discover(**_options: Any) -> dict[str, Any]:
        raise bug

    monkeypatch.setattr(scan_module.BleakScanner, "discover", discover)
    with pytest.raises(TypeError) as raised:
        await scan_module.scan(timeout_s=0.1)
    assert raised.value is bug


def _acc_restart_raises(monkeypatch: pytest.MonkeyPatch, error: Exception) -> list[int]:
    """Make the Polar's ACC start raise ``error`` on every start after the first (the restart
    after the sensor's stop notice); the number of starts is in the list returned."""
    started = PolarH10._start_acc
    calls = [0]

    async def start_acc(self: PolarH10, client: BleakClient) -> None:
        calls[0] += 1
        if calls[0] > 1:
            raise error
        await started(self, client)

    monkeypatch.setattr(PolarH10, "_start_acc", start_acc)
    return calls


async def test_a_bug_restarting_a_stopped_stream_ends_the_packets_as_itself(
    fake_bluez: Callable[..., FakeBlueZ], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On real bleak: the Polar stops ACC on its own, and the restart (a background task) meets
    a bug. Before: logged at INFO ("could not restart the ACC stream") and the session went on
    without ACC and without a word."""
    fake_bluez("--devices", "polar", "--hr-interval", "0.1", "--stop-notice", "acc:0.3")
    bug = AttributeError("'NoneType' object has no attribute 'write_gatt_char'")
    calls = _acc_restart_raises(monkeypatch, bug)
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    async with polar:
        got, task = collect(polar)
        await asyncio.wait_for(task, 5)
    assert got.error is bug
    assert (calls[0], polar.stop_notices, polar.stream_restarts) == (2, 1, 0)


async def test_a_refused_restart_of_a_stopped_stream_lets_the_session_go_on(
    fake_bluez: Callable[..., FakeBlueZ], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sensor that refuses the restart is no bug: the other streams go on, nothing raised."""
    fake_bluez("--devices", "polar", "--hr-interval", "0.1", "--stop-notice", "acc:0.3")
    refused = SensorCommandError("Polar H10 refused to start ACC: invalid state (6)", "retry")
    calls = _acc_restart_raises(monkeypatch, refused)
    polar = PolarH10(POLAR_ADDRESS, policy=FAST)
    async with polar:
        got, task = collect(polar)
        await got.wait_for(lambda g: calls[0] == 2, 5)
        mark = len(got.packets("hr"))
        await got.wait_for(lambda g: len(g.packets("hr")) >= mark + 3, 5)
    await asyncio.wait_for(task, 5)
    assert got.error is None
    assert (polar.stop_notices, polar.stream_restarts) == (1, 0)


def _bug_on_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the strap's stream start raise a bug on every connect after the first."""
    started = HeartRateStrap._start_streams
    calls = [0]

    async def start_streams(self: HeartRateStrap, client: BleakClient) -> None:
        calls[0] += 1
        if calls[0] > 1:
            raise AttributeError("'NoneType' object has no attribute 'start_notify'")
        await started(self, client)

    monkeypatch.setattr(HeartRateStrap, "_start_streams", start_streams)


async def test_a_bug_on_reconnect_ends_the_packets_as_itself(
    fake_bluez: Callable[..., FakeBlueZ], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On real bleak: the link drops, the reconnect meets a bug. Before: retried until the
    give-up time, then DeviceGoneError with advice about the battery; the supervisor also
    turned any other exception into a Bluetooth error with advice."""
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.1")
    _bug_on_reconnect(monkeypatch)
    policy = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=1.0)
    async with HeartRateStrap(STRAP_ADDRESS, policy=policy, connect_timeout_s=0.3) as strap:
        got, task = collect(strap)
        await got.wait_for(lambda g: len(g.packets()) >= 2, 5)
        await fake.control.drop_link(STRAP_ADDRESS, 0.2)
        await asyncio.wait_for(task, 5)
    assert isinstance(got.error, AttributeError), repr(got.error)
    assert [e.state for e in got.events()] == [LinkState.LOST]


@pytest.fixture
def strap_that_drops(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fake strap whose link drops 3 s after the fake starts, for a command run in-process."""
    with fake_bluez_playing(
        monkeypatch,
        ["--devices", "strap", "--hr-interval", "0.2", "--drop-every", "3", "--down-for", "0.3"],
    ):
        yield


def test_a_bug_on_reconnect_is_said_as_a_bug_and_the_recording_kept(
    strap_that_drops: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``breathwise live`` as a person runs it. Before: after the give-up time, exit 1 and
    "breathwise: error: HRM-Pro Fake did not come back within 1 s — check the sensor's battery
    and that it is worn, then start again". Now the bug's words, a saved traceback, exit 70,
    and the recording of the time before it closed with the error."""
    _bug_on_reconnect(monkeypatch)
    quick = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=1.0)
    monkeypatch.setattr(session_cli, "open_source", quick_open(quick))
    out = tmp_path / "rec"
    live = ["live", "--device", STRAP_ADDRESS, "--minutes", "0.3", "--headless", "--no-sound"]
    assert run([*live, "--out", str(out)]) == EXIT_SOFTWARE
    err = capsys.readouterr().err
    assert "breathwise: internal error: AttributeError: 'NoneType' object has no attribute" in err
    assert "This is a bug in Breathwise, not a fault of your data or sensor" in err
    assert "battery" not in err and "move closer" not in err
    # The recording of the time before the bug is kept, closed and readable.
    (path,) = out.glob("*.bwr")
    recording = read_recording(path)
    assert recording.summary is not None and not recording.truncated
    assert sum(p.stream == "hr" for p in recording.packets) >= 5
    # Closed with the bug, not as "completed".
    assert recording.ended.startswith("error: internal error: AttributeError: "), recording.ended
