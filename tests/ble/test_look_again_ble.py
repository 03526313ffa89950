"""Looking for a given-up sensor again, on the real bleak stack against the fake BlueZ: a failure
retrying cannot help stops the looking, and closing the sensor while a look is connecting ends
that look at once and leaves nothing behind in BlueZ.

The give-up time (120 s in a session) is 0 here and the pause between looks (15 s) 0.5 s, so
that a sensor is looked for again within a second of its loss; the connect timeout is the
session's 20 s where a look must be cut short, to show that closing does not wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest

from devices.ble import DeviceGoneError, HeartRateStrap, RetryPolicy, open_device
from devices.source import LinkState, is_given_up
from tests.ble.conftest import Collected, FakeBlueZ, collect, eventually
from tests.fakebluez import STRAP_ADDRESS, STRAP_NAME

pytestmark = pytest.mark.slow

LOOK_AGAIN_S = 0.5
LOOKING = RetryPolicy(
    initial_delay_s=0.1, max_delay_s=0.2, give_up_after_s=0.0, look_again_s=LOOK_AGAIN_S
)
"""Given up at the first failed reconnect, looked for again every 0.4-0.6 s."""
SESSION_CONNECT_TIMEOUT_S = 20.0
LOOK_FAILED = "looking for %s again failed (%r)"


def given_up(got: Collected) -> bool:
    return any(is_given_up(event) for event in got.events())


def looks_failed(caplog: pytest.LogCaptureFixture) -> int:
    """How many looks failed in a way worth another (the sensor's log)."""
    return sum(record.msg == LOOK_FAILED for record in caplog.records)


def assert_looking_stopped(got: Collected, error: DeviceGoneError) -> None:
    """The loss, the give-up (looking again), and the end of the looking with its reason and
    advice, each said once as a given-up ``LOST``; no return."""
    events = got.events()
    assert [e.state for e in events] == [LinkState.LOST] * 3, events
    assert [is_given_up(e) for e in events] == [False, True, True]
    assert "looking for it again" in events[1].reason
    assert events[2].reason == f"given up: {error} — {error.advice}"


async def looking_strap(
    fake: FakeBlueZ, *, connect_timeout_s: float, pair: bool = False
) -> HeartRateStrap:
    """The strap found by a scan, as the command line opens it, told to keep looking."""
    strap = await open_device(
        STRAP_ADDRESS,
        scan_timeout_s=5,
        policy=LOOKING,
        connect_timeout_s=connect_timeout_s,
        pair=pair,
    )
    assert isinstance(strap, HeartRateStrap)
    strap.keep_looking()
    return strap


@pytest.mark.parametrize(
    ("switch", "words"),
    [
        ("power_off", "Bluetooth is turned off"),
        ("remove_adapter", "no Bluetooth adapter found"),
    ],
)
async def test_bluetooth_going_away_while_looking_again_stops_the_looking(
    fake_bluez: Callable[..., FakeBlueZ],
    caplog: pytest.LogCaptureFixture,
    switch: str,
    words: str,
) -> None:
    """Bluetooth switched off (or its adapter unplugged) while a given-up strap is looked for:
    retrying cannot help, so the looking stops with the sensor's DeviceGoneError, which says
    why and how to fix it, not a raw bleak error, and no look follows. It is said first, in a
    link event (before: nothing said it, and the DeviceGoneError ends only the packets of a
    sensor whose session carries on without it)."""
    caplog.set_level(logging.INFO, logger="devices.ble.sensors")
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.05")
    strap = await looking_strap(fake, connect_timeout_s=1.0)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(lambda g: len(g.packets()) >= 3, 5)
        await fake.control.vanish(STRAP_ADDRESS)
        await got.wait_for(given_up, 5)
        # Still looking: looks that failed because the strap is away are followed by more.
        await got.wait_for(lambda g: looks_failed(caplog) >= 2, 10)
        assert not got.done.is_set(), got.error
        await getattr(fake.control, switch)()
        switched = time.monotonic()
        await asyncio.wait_for(got.done.wait(), 10)
        stopped_after_s = time.monotonic() - switched
        failed = looks_failed(caplog)
        # No look after the stop (one every 0.5 s would have come in this time).
        await asyncio.sleep(4 * LOOK_AGAIN_S)
        assert looks_failed(caplog) == failed
        assert strap._supervisor is not None and strap._supervisor.done()
    await asyncio.wait_for(task, 5)
    error = got.error
    assert isinstance(error, DeviceGoneError), repr(error)
    assert str(error).startswith(f"{STRAP_NAME} is no longer looked for: {words}"), str(error)
    assert error.advice and "Bleak" not in str(error)
    # The look under way when it went (up to its 1 s timeout), then the pause, then one more.
    assert stopped_after_s < 1.0 + 1.2 * LOOK_AGAIN_S + 1.0
    assert_looking_stopped(got, error)
    print(f"\n{switch}: looking stopped {stopped_after_s:.2f} s after")


async def test_a_pairing_refused_when_found_again_stops_the_looking(
    fake_bluez: Callable[..., FakeBlueZ],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A strap paired at the start (``--pair``) comes back having cleared its bond and refuses
    a new pairing: retrying the same pairing cannot help, so the looking stops with the
    pairing advice, and it is tried once, not every 0.5 s to the session's end."""
    caplog.set_level(logging.INFO, logger="devices.ble.sensors")
    scenario = ["--devices", "strap", "--hr-interval", "0.05"]
    scenario += ["--gone-after", "2", "--back-after", "4"]
    scenario += ["--pair-error", "AuthenticationRejected", "--pair-error-after", "3"]
    fake = fake_bluez(*scenario)
    strap = await looking_strap(fake, connect_timeout_s=1.0, pair=True)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(given_up, 5)
        await asyncio.wait_for(got.done.wait(), 10)
        failed = looks_failed(caplog)
        await asyncio.sleep(4 * LOOK_AGAIN_S)
        assert looks_failed(caplog) == failed
    await asyncio.wait_for(task, 5)
    error = got.error
    assert isinstance(error, DeviceGoneError), repr(error)
    assert str(error).startswith(
        f"{STRAP_NAME} is no longer looked for: pairing with {STRAP_NAME} failed: authentication"
        " rejected (org.bluez.Error.AuthenticationRejected)"
    ), str(error)
    assert f"'bluetoothctl remove {STRAP_ADDRESS}'" in error.advice
    assert_looking_stopped(got, error)
    # Connected once (the start): the refused pairing made no connection.
    assert await fake.control.connects(STRAP_ADDRESS) == 1


async def test_closing_while_a_look_scans_for_the_sensor_ends_at_once(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """A given-up strap is looked for by a scan for its address that lasts up to the connect
    timeout (20 s in a session): closing meanwhile (the session's end) ends the scan at once
    and stops the adapter's discovery."""
    fake = fake_bluez("--devices", "strap", "--hr-interval", "0.05")
    strap = await looking_strap(fake, connect_timeout_s=SESSION_CONNECT_TIMEOUT_S)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(lambda g: len(g.packets()) >= 3, 5)
        await fake.control.vanish(STRAP_ADDRESS)
        await got.wait_for(given_up, 5)
        # The pause (at most 0.6 s), then a scan that cannot find it for 20 s.
        await asyncio.sleep(2.0)
        assert await fake.control.is_discovering()
        closing = time.monotonic()
        await strap.aclose()
        closed_after_s = time.monotonic() - closing
    await asyncio.wait_for(task, 5)
    assert got.error is None
    assert closed_after_s < 2.0, closed_after_s
    assert not await fake.control.is_discovering()
    assert not await fake.control.is_connected(STRAP_ADDRESS)
    print(f"\nclosed {closed_after_s:.3f} s after the request, mid-scan")


async def test_closing_while_a_look_connects_cancels_the_connection(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """A given-up strap is back, and BlueZ is still making the look's connection (up to the
    connect timeout): closing meanwhile cancels that connection in BlueZ (its Disconnect) and
    ends at once, with no link left behind."""
    scenario = ["--devices", "strap", "--hr-interval", "0.05"]
    scenario += ["--gone-after", "2", "--back-after", "3"]
    scenario += ["--slow-connect", "60", "--slow-connect-after", "2.5"]
    fake = fake_bluez(*scenario)
    strap = await looking_strap(fake, connect_timeout_s=SESSION_CONNECT_TIMEOUT_S)
    async with strap:
        got, task = collect(strap)
        await got.wait_for(given_up, 5)
        await eventually(
            lambda: fake.control.is_connecting(STRAP_ADDRESS), 10, "no look reached Connect()"
        )
        await asyncio.sleep(0.5)
        closing = time.monotonic()
        await strap.aclose()
        closed_after_s = time.monotonic() - closing
    await asyncio.wait_for(task, 5)
    assert got.error is None
    assert closed_after_s < 2.0, closed_after_s
    # Counted when the fake's pending Connect() resumes, a turn after the Disconnect().
    await eventually(
        lambda: fake.control.connects_cancelled(STRAP_ADDRESS),
        5,
        "BlueZ saw no pending Connect() cancelled",
    )
    assert await fake.control.connects_cancelled(STRAP_ADDRESS) == 1
    assert not await fake.control.is_connecting(STRAP_ADDRESS)
    assert not await fake.control.is_connected(STRAP_ADDRESS)
    assert [e.state for e in got.events()] == [LinkState.LOST, LinkState.LOST]
    print(f"\nclosed {closed_after_s:.3f} s after the request, mid-Connect()")
