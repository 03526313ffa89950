"""A private D-Bus system bus with the fake BlueZ on it, and a client for its control interface.

``PrivateBus`` starts ``dbus-daemon`` with a permissive configuration on a socket in a temporary
directory; ``FakeBlueZProcess`` starts ``python -m tests.fakebluez.server`` on that bus and waits
for its ready line; ``write_fake_bluetoothctl`` makes the ``bluetoothctl`` that bleak asks for
its version (it needs >= 5.55 and only warns when the command is missing).
``docs/reference/ble-without-hardware.md`` explains each piece.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from tests.fakebluez import CONTROL_INTERFACE, CONTROL_PATH, READY_LINE

REPO_ROOT = Path(__file__).resolve().parents[2]
# ``python -m tests.fakebluez.server``, after binding ``tests`` to this repository's tests even
# where another package of that name is installed (see tests/own_package.py).
_RUN_SERVER = (
    f"import sys; sys.path.insert(0, {str(REPO_ROOT / 'tests')!r}); "
    "import own_package; own_package.bind(); "
    "import runpy; runpy.run_module('tests.fakebluez.server', run_name='__main__', alter_sys=True)"
)

# No "--" may appear inside XML comments of a dbus-daemon config, so this one has none.
_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow send_destination="*"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


def dbus_daemon_path() -> str | None:
    """The ``dbus-daemon`` executable, or ``None`` when it is not installed."""
    return shutil.which("dbus-daemon")


def write_fake_bluetoothctl(directory: Path) -> Path:
    """Write an executable ``bluetoothctl`` printing ``5.72`` into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bluetoothctl"
    path.write_text("#!/bin/sh\necho 5.72\n")
    path.chmod(0o755)
    return path


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux ``PR_SET_PDEATHSIG``).

    A test run killed from outside (a CI time limit) then leaves no bus or server behind.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _read_line(stream: Any, timeout_s: float) -> str:
    """One line from a pipe, or ``""`` if none arrives within ``timeout_s``."""
    ready, _, _ = select.select([stream], [], [], timeout_s)
    return stream.readline().decode().strip() if ready else ""


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    """Ask a child to stop, kill it after 5 s, and close its pipe."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


class PrivateBus:
    """A ``dbus-daemon`` on ``<directory>/system_bus_socket`` that allows everything."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "system_bus_socket"
        self.address = f"unix:path={self.socket}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> str:
        """Start the daemon; return its address once it accepts connections."""
        daemon = dbus_daemon_path()
        if daemon is None:
            raise FileNotFoundError("dbus-daemon is not installed")
        config = self.directory / "bus.conf"
        config.write_text(_CONFIG.format(address=self.address))
        self._process = subprocess.Popen(
            [
                daemon,
                f"--config-file={config}",
                "--nofork",
                "--nopidfile",
                "--print-address=1",
            ],
            stdout=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        line = _read_line(self._process.stdout, timeout_s)
        if not line.startswith("unix:"):
            self.stop()
            raise RuntimeError(f"dbus-daemon did not start (printed {line!r})")
        return self.address

    def stop(self) -> None:
        """Stop the daemon (idempotent)."""
        process, self._process = self._process, None
        _terminate(process)

    def __enter__(self) -> PrivateBus:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class FakeBlueZProcess:
    """``python -m tests.fakebluez.server`` as a child process.

    Parameters
    ----------
    address : str
        D-Bus address of the private bus.
    args : list of str
        Scenario options (see ``python -m tests.fakebluez.server --help``).
    """

    def __init__(self, address: str, args: list[str] | None = None) -> None:
        self.address = address
        self.args = list(args or [])
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the server and wait until it owns ``org.bluez``."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        self._process = subprocess.Popen(
            [sys.executable, "-c", _RUN_SERVER, "--address", self.address, *self.args],
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
            env=env,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = _read_line(self._process.stdout, deadline - time.monotonic())
            if line == READY_LINE:
                return
            if self._process.poll() is not None:
                break
        code = self._process.poll()
        self.stop()
        raise RuntimeError(f"fake BlueZ did not start (exit code {code})")

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        process, self._process = self._process, None
        _terminate(process)


class FakeControl:
    """Async client of the fake's control interface (drop links, read back what was sent)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._bus: MessageBus | None = None

    async def connect(self) -> FakeControl:
        self._bus = await MessageBus(bus_address=self.address, bus_type=BusType.SYSTEM).connect()
        return self

    async def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    async def _call(self, member: str, signature: str, body: list[Any]) -> list[Any]:
        if self._bus is None:
            await self.connect()
        assert self._bus is not None
        reply = await self._bus.call(
            Message(
                destination="org.bluez",
                path=CONTROL_PATH,
                interface=CONTROL_INTERFACE,
                member=member,
                signature=signature,
                body=body,
            )
        )
        assert reply is not None
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{member} failed: {reply.error_name} {reply.body}")
        return list(reply.body)

    async def drop_link(self, address: str, down_s: float = 0.5) -> None:
        """Drop the device's link; it refuses connections for ``down_s`` seconds."""
        await self._call("DropLink", "sd", [address, down_s])

    async def vanish(self, address: str) -> None:
        """Disconnect the device and remove it for good."""
        await self._call("Vanish", "s", [address])

    async def sent(self, address: str) -> list[tuple[str, bytes]]:
        """Every (characteristic UUID, payload) the device sent while connected."""
        (items,) = await self._call("Sent", "s", [address])
        return [(str(uuid), bytes(payload)) for uuid, payload in items]

    async def writes(self, address: str) -> list[tuple[str, bytes]]:
        """Every (characteristic UUID, value) the host wrote to the device."""
        (items,) = await self._call("Writes", "s", [address])
        return [(str(uuid), bytes(payload)) for uuid, payload in items]

    async def connects(self, address: str) -> int:
        """How many connections the device accepted."""
        (count,) = await self._call("Connects", "s", [address])
        return int(count)

    async def is_connected(self, address: str) -> bool:
        """Whether the device is connected now."""
        (connected,) = await self._call("IsConnected", "s", [address])
        return bool(connected)

    async def is_connecting(self, address: str) -> bool:
        """Whether a ``Connect()`` of the device is pending now (a slow connect)."""
        (connecting,) = await self._call("IsConnecting", "s", [address])
        return bool(connecting)

    async def connects_cancelled(self, address: str) -> int:
        """How many pending ``Connect()`` calls of the device a ``Disconnect()`` cancelled."""
        (count,) = await self._call("ConnectsCancelled", "s", [address])
        return int(count)

    async def is_discovering(self) -> bool:
        """Whether the adapter's discovery runs (started and not stopped) now."""
        (discovering,) = await self._call("IsDiscovering", "", [])
        return bool(discovering)

    async def power_off(self) -> None:
        """Switch Bluetooth off: the adapter unpowered, every link dropped."""
        await self._call("PowerOff", "", [])

    async def remove_adapter(self) -> None:
        """Unplug the adapter: its object and every device object removed."""
        await self._call("RemoveAdapter", "", [])


def main(argv: list[str] | None = None) -> int:
    """Start a private bus with the fake BlueZ for manual runs; print the environment to use.

    Usage::

        python -m tests.fakebluez.bus [--dir DIR] [server options, e.g. --drop-every 20]

    then, in another shell, ``export`` the two printed variables and run ``breathwise scan`` or
    ``breathwise live --device A0:9E:1A:00:00:02 --minutes 1 --headless``. Ctrl-C stops both.
    """
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(
        description=main.__doc__.splitlines()[0] if main.__doc__ else ""
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="directory for socket and bluetoothctl"
    )
    args, server_args = parser.parse_known_args(argv)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="fakebluez"))
    directory.mkdir(parents=True, exist_ok=True)
    bin_dir = directory / "bin"
    write_fake_bluetoothctl(bin_dir)
    with PrivateBus(directory) as bus:
        server = FakeBlueZProcess(bus.address, server_args)
        server.start()
        try:
            print(f"export DBUS_SYSTEM_BUS_ADDRESS={bus.address}", flush=True)
            print(f'export PATH="{bin_dir}{os.pathsep}$PATH"', flush=True)
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
