"""The BLE commands as a user runs them: ``breathwise`` processes against the fake BlueZ."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from tests.ble.conftest import FakeBlueZ, connect_and_leave
from tests.ble.live_runs import breathwise as _breathwise
from tests.fakebluez import (
    BELT_NAME,
    H9_NAME,
    POLAR_ADDRESS,
    POLAR_NAME,
    STRAP_ADDRESS,
    STRAP_NAME,
    VERITY_NAME,
)
from trainer.storage.recording import read_recording

REPO = Path(__file__).resolve().parents[2]


async def test_scan_command_lists_the_three_fake_devices(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake_bluez()
    result = _breathwise("scan", "--timeout", "1", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [d["name"] for d in found] == [POLAR_NAME, BELT_NAME, STRAP_NAME]
    assert found[0]["capabilities"] == ["hr+rr", "ecg", "acc"]
    table = _breathwise("scan", "--timeout", "1")
    assert table.returncode == 0, table.stderr
    assert POLAR_ADDRESS in table.stdout and "dBm" in table.stdout


async def test_scan_names_a_sensor_a_killed_session_left_connected(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    """A connected sensor does not advertise: scan said only "no sensors found ... wake the
    sensor" (review 6, F2)."""
    fake = fake_bluez("--devices", "strap,polar")
    await connect_and_leave(fake.address, STRAP_ADDRESS)
    result = _breathwise("scan", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    assert POLAR_ADDRESS in result.stdout  # advertising: in the table
    assert f"{STRAP_ADDRESS} ({STRAP_NAME}) is still connected to this computer" in result.stdout
    assert f"'bluetoothctl disconnect {STRAP_ADDRESS}'" in result.stdout
    listed = json.loads(_breathwise("scan", "--timeout", "1", "--json").stdout)
    assert [d["address"] for d in listed] == [POLAR_ADDRESS]  # --json lists what advertises


async def test_scan_without_a_bluetooth_service_is_one_line(
    fake_bluez: Callable[..., FakeBlueZ],
) -> None:
    fake_bluez("--no-adapter")
    result = _breathwise("scan", "--timeout", "1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("breathwise: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_scan_timeout_is_one_line() -> None:
    result = _breathwise("scan", "--timeout", "0")
    assert result.returncode == 2
    assert result.stderr.startswith("breathwise: error: --timeout 0 is out of range")


async def test_live_with_a_device_nobody_has_is_one_line_and_records_nothing(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    fake_bluez()
    result = _breathwise("live", "--device", "toaster", "--headless", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("breathwise: error:")
    assert "toaster" in result.stderr.splitlines()[0]
    assert not list(tmp_path.glob("*.bwr"))


async def test_a_default_device_not_found_says_it_is_the_setting(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A default_device nobody has (a strap replaced since) was reported as if typed: "no
    sensor 'toaster' found", with nothing saying it is the setting or how to change it, as a
    bad program setting says (review 5, finding 10)."""
    fake_bluez()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert _breathwise("config", "set", "default_device", "toaster").returncode == 0
    result = _breathwise("live", "--headless", "--out", str(tmp_path))
    assert result.returncode == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith("breathwise: error: ")
    assert "default_device = 'toaster': no sensor" in line
    assert "'breathwise config set default_device NAME'" in line
    assert len(result.stderr.splitlines()) == 1 and not list(tmp_path.glob("*.bwr"))


async def test_live_on_a_polar_h9_records_its_rr_intervals(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    # 'scan' offers an H9; 'live' used to refuse it (opened as an H10: no PMD control point).
    fake_bluez("--devices", "h9", "--hr-interval", "0.2")
    live = _breathwise(
        "live", "--device", H9_NAME, "--minutes", "0.1", "--headless", "--out", str(tmp_path)
    )
    assert live.returncode == 0, live.stderr
    (path,) = tmp_path.glob("*.bwr")
    recording = read_recording(path)
    assert recording.header.source.details["family"] == "heart_rate"
    assert recording.header.source.streams == {"hr": {"rr_unit_s": 1 / 1024}}
    assert sum(p.stream == "hr" for p in recording.packets) >= 10


async def test_what_a_sensor_left_out_is_a_status_line_live_and_in_the_replay(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    """A Verity Sense offers no ECG: that went through unconfigured logging, printed raw on
    stderr without the 'breathwise:' prefix (and under the screen garbled it)."""
    fake_bluez("--devices", "verity", "--hr-interval", "0.2")
    live = _breathwise(
        "live", "--device", VERITY_NAME, "--minutes", "0.1", "--headless", "--out", str(tmp_path)
    )
    assert live.returncode == 0, live.stderr
    note = f"status at     0.0 s  {VERITY_NAME} does not offer ECG; streaming without it"
    assert note in live.stdout.splitlines()
    assert "does not offer" not in live.stderr and "streaming at" not in live.stderr
    (path,) = tmp_path.glob("*.bwr")
    replay = _breathwise("replay", str(path), "--speed", "max", "--headless")
    assert replay.returncode == 0, replay.stderr
    assert note in replay.stdout.splitlines()


async def test_a_strap_refusing_to_have_its_serial_read_still_records_its_heart_rate(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    """A strap refusing the read of a Device Information string (here the firmware revision,
    as if it needed encryption) ended the start after 4 attempts with "run again with
    --pair": pairing a strap whose heart rate needs none, to fill in the recording header."""
    fake_bluez("--devices", "strap", "--hr-interval", "0.2", "--refuse-read", "2a26:unpaired")
    live = _breathwise(
        "live", "--device", STRAP_NAME, "--minutes", "0.1", "--headless", "--no-sound",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert live.returncode == 0, live.stderr
    assert "connecting to" not in live.stderr  # no retries
    note = (
        f"status at     0.0 s  {STRAP_NAME} did not let its firmware revision be read (not"
        " paired (org.bluez.Error.NotPermitted)); streaming, and recording without it"
    )
    assert note in live.stdout.splitlines(), live.stdout
    (path,) = tmp_path.glob("*.bwr")
    recording = read_recording(path)
    assert "firmware_revision" not in recording.header.source.details
    assert sum(p.stream == "hr" for p in recording.packets) >= 10


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        ("--require-pairing", "run 'breathwise live' again with --pair"),
        ("--busy", "the device is busy"),
    ],
)
async def test_a_connect_that_fails_leaves_no_recording_and_says_so(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path, scenario: str, why: str
) -> None:
    """A belt that needs pairing, started without --pair, or one that failed every attempt,
    left a recording of a header and nothing else, which the history then said could be
    deleted, while a sensor never found left nothing (found in review). Now neither leaves a
    file, and the error says so."""
    fake_bluez("--devices", "belt", scenario)
    live = _breathwise(
        "live", "--device", BELT_NAME, "--minutes", "0.2", "--headless", "--no-sound",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert live.returncode == 1, live.stderr
    assert list(tmp_path.iterdir()) == []
    assert "Traceback" not in live.stderr and "can be deleted" not in live.stderr
    # No summary of a session that never began ("practice: 0.0 min", "summary: 0 s ...").
    assert "summary:" not in live.stdout and "practice:" not in live.stdout, live.stdout
    error = live.stderr.splitlines()[-1]
    assert error.startswith("breathwise: error: ") and why in error, error
    assert error.endswith(
        "; no sensor connected and nothing was recorded, so no recording was kept"
    )


async def _discovering(bus_address: str) -> bool:
    """Whether the fake adapter is scanning (``Adapter1.Discovering``)."""
    bus = await MessageBus(bus_address=bus_address, bus_type=BusType.SYSTEM).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path="/org/bluez/hci0",
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=["org.bluez.Adapter1", "Discovering"],
            )
        )
    finally:
        bus.disconnect()
    assert reply is not None and reply.message_type == MessageType.METHOD_RETURN, reply
    return bool(reply.body[0].value)


async def test_ctrl_c_while_looking_for_the_sensor_leaves_no_recording_and_exits_130(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    """Ctrl+C while the sensor was still being looked for left an empty recording to delete
    (found in review), when the same scan ending on its own left nothing; the interrupted
    session still exits 130."""
    fake = fake_bluez("--devices", "belt")
    live = subprocess.Popen(
        [sys.executable, "-m", "trainer", "live", "--device", "toaster", "--minutes", "0.2",
         "--headless", "--no-sound", "--out", str(tmp_path)],
        cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        # Scanning: the session runs, with its own signal handlers, by then.
        while not await _discovering(fake.address):
            assert live.poll() is None and loop.time() < deadline, "never began to scan"
            await asyncio.sleep(0.05)
        live.send_signal(signal.SIGINT)
        out, err = await asyncio.to_thread(live.communicate, timeout=30)
    finally:
        if live.poll() is None:
            live.kill()
            live.communicate()
    assert live.returncode == 130, err
    assert list(tmp_path.iterdir()) == []
    assert "summary:" not in out and "practice:" not in out, out
    assert "Traceback" not in err and "can be deleted" not in err and "saved" not in err
    assert err.splitlines()[-1] == (
        "note: no sensor connected and nothing was recorded, so no recording was kept"
    )
