"""Running ``breathwise live`` as its own process against the fake BlueZ, and checking what it
recorded: shared by the live acceptance runs, which are kept in files of their own so that
xdist (``--dist loadfile``) runs the 1 min and the 3 min session side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devices.packets import Stream
from tests.ble.conftest import FakeBlueZ
from tests.ble.test_sensors import STREAM_OF_UUID
from tests.fakebluez import POLAR_ADDRESS
from trainer.storage.recording import Recording

REPO = Path(__file__).resolve().parents[2]


def breathwise(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """``breathwise ARGS`` as a separate process, as a user would start it, with this
    process's environment (the fake BlueZ fixture exports DBUS_SYSTEM_BUS_ADDRESS and PATH,
    for its fake bluetoothctl, to ``os.environ``)."""
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


async def assert_every_connected_packet_recorded(fake: FakeBlueZ, recording: Recording) -> None:
    """Per stream, the recording holds what the device sent while connected, in order.

    The device keeps sending for a moment after the session's end (until the streams are
    stopped): those packets are after the recording's last one, so the recording must equal the
    start of what was sent, missing at most the last second.
    """
    sent = await fake.control.sent(POLAR_ADDRESS)
    for uuid, stream in STREAM_OF_UUID.items():
        expected = [payload for u, payload in sent if u == uuid]
        got = [p.payload for p in recording.packets if p.stream == stream]
        assert got == expected[: len(got)], f"{stream}: recorded payloads differ from those sent"
        # At most ~2 s of packets after the end: HR ~1/s, PMD ECG + ACC frames ~8/s.
        tail = {Stream.HEART_RATE: 3, Stream.PMD_DATA: 20}.get(stream, 2)
        assert len(expected) - len(got) <= tail, f"{stream}: {len(expected) - len(got)} missing"


def assert_replay_equals_live(path: Path, live_stdout: str) -> None:
    """``replay`` of the recording prints what the live session printed."""
    replay = breathwise("replay", str(path), "--speed", "max", "--headless", timeout_s=120)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == live_stdout
