"""Fixtures for the BLE tests: a private dbus-daemon with the fake BlueZ, driven by real bleak.

Each test gets its own bus and server process (scenario options differ per test) and its own
event loop, so bleak's per-loop BlueZ manager connects to that test's bus. Tests are skipped,
with the reason, where ``dbus-daemon`` is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `python -m tests.fakebluez.server` needs the repo root
    sys.path.insert(0, str(REPO_ROOT))

from devices.ble import RetryPolicy, open_devices  # noqa: E402
from devices.packets import RawPacket  # noqa: E402
from devices.source import LinkEvent, PacketSource  # noqa: E402
from tests.fakebluez.bus import (  # noqa: E402
    FakeBlueZProcess,
    FakeControl,
    PrivateBus,
    dbus_daemon_path,
    write_fake_bluetoothctl,
)
from tests.fakebluez.server import dev_path  # noqa: E402

SKIP_REASON = (
    "dbus-daemon is not installed (Debian package 'dbus-daemon'): the BLE tests run bleak"
    " against a fake BlueZ on a private D-Bus bus"
)


@dataclass
class FakeBlueZ:
    """A running fake: its bus address and a client of its control interface."""

    address: str
    control: FakeControl
    server: FakeBlueZProcess


@dataclass
class Collected:
    """Everything a source yielded, and how its iteration ended."""

    items: list[RawPacket | LinkEvent] = field(default_factory=list)
    error: BaseException | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def packets(self, stream: str | None = None) -> list[RawPacket]:
        return [i for i in self.items if isinstance(i, RawPacket) and stream in (None, i.stream)]

    def events(self) -> list[LinkEvent]:
        return [i for i in self.items if isinstance(i, LinkEvent)]

    async def wait_for(self, condition: Callable[[Collected], bool], timeout_s: float) -> None:
        """Wait until ``condition(self)`` holds (or the iteration ended); fail on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition(self):
            if self.done.is_set():
                return
            if loop.time() > deadline:
                pytest.fail(f"condition not met within {timeout_s} s: {len(self.items)} items")
            await asyncio.sleep(0.02)


def collect(source: PacketSource) -> tuple[Collected, asyncio.Task[None]]:
    """Consume ``source.packets()`` in a background task."""
    collected = Collected()

    async def run() -> None:
        try:
            async for item in source.packets():
                collected.items.append(item)
        except Exception as exc:
            collected.error = exc
        finally:
            collected.done.set()

    return collected, asyncio.create_task(run())


async def eventually(ask: Callable[[], Awaitable[object]], timeout_s: float, what: str) -> None:
    """Ask the fake BlueZ every 50 ms until ``ask()`` answers true; fail with ``what`` after
    ``timeout_s`` s. The fake answers from its own event loop, so a state that follows a call
    (a cancelled Connect() counted when it resumes) can come a turn after the call's reply."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await ask():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


async def connect_and_leave(bus_address: str, device_address: str) -> None:
    """What a killed session (``kill -9``) leaves: a device that BlueZ connected for a client
    that is gone. BlueZ keeps such a link; so does the fake."""
    bus = await MessageBus(bus_address=bus_address, bus_type=BusType.SYSTEM).connect()
    reply = await bus.call(
        Message(
            destination="org.bluez",
            path=dev_path(device_address),
            interface="org.bluez.Device1",
            member="Connect",
        )
    )
    assert reply is not None and reply.message_type is MessageType.METHOD_RETURN
    bus.disconnect()


@contextlib.contextmanager
def fake_bluez_playing(monkeypatch: pytest.MonkeyPatch, scenario: Sequence[str]) -> Iterator[None]:
    """A private bus and the fake BlueZ playing ``scenario`` (its command-line options), this
    process's bleak talking to it, for a test whose command runs its own event loop
    (``asyncio.run``): not the async :func:`fake_bluez` fixture. The server's timers start
    just before it says it is ready, that is, just before this yields."""
    if dbus_daemon_path() is None:
        pytest.skip(SKIP_REASON)
    directory = Path(tempfile.mkdtemp(prefix="fbz"))
    write_fake_bluetoothctl(directory / "bin")
    monkeypatch.setenv("PATH", f"{directory / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    try:
        with PrivateBus(directory) as bus:
            monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
            server = FakeBlueZProcess(bus.address, list(scenario))
            server.start()
            try:
                yield
            finally:
                server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def quick_open(
    policy: RetryPolicy, *, connect_timeout_s: float = 0.3
) -> Callable[..., Awaitable[PacketSource]]:
    """The command's ``open_source`` with the retry ``policy`` and the connect timeout
    shortened to 0.3 s (or ``connect_timeout_s``), the only change to the command: a
    reconnect attempt to a vanished sensor lasts the timeout."""

    async def open_source(specs: Sequence[str], guide: Any, **options: Any) -> PacketSource:
        return await open_devices(
            list(specs),
            scan_timeout_s=5.0,
            policy=policy,
            connect_timeout_s=connect_timeout_s,
            on_progress=options.get("on_progress"),
        )

    return open_source


@pytest.fixture
async def fake_bluez(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Callable[..., FakeBlueZ]]:
    """A factory: ``fake_bluez("--hr-interval", "0.1", ...)`` starts a private bus and server."""
    if dbus_daemon_path() is None:
        pytest.skip(SKIP_REASON)
    # A short directory: a unix socket path must fit in 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="fbz"))
    bin_dir = directory / "bin"
    write_fake_bluetoothctl(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    buses: list[PrivateBus] = []
    running: list[FakeBlueZ] = []

    def start(*args: str) -> FakeBlueZ:
        if running:
            raise RuntimeError("one fake per test")
        bus = PrivateBus(directory)
        address = bus.start()
        buses.append(bus)
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        server = FakeBlueZProcess(address, list(args))
        server.start()
        fake = FakeBlueZ(address, FakeControl(address), server)
        running.append(fake)
        return fake

    try:
        yield start
    finally:
        for fake in running:
            with contextlib.suppress(Exception):
                await fake.control.close()
            fake.server.stop()
        for bus in buses:
            bus.stop()
        shutil.rmtree(directory, ignore_errors=True)
