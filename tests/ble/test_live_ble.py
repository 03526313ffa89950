"""Issue 3's acceptance run: ``breathwise live`` on the fake Polar H10 as a separate process.

The fake BlueZ runs as its own process on a private bus; ``breathwise`` runs as another, exactly as
a user would start it. BLE runs in real time, so this takes a real minute: ``slow``. The 3 minute
link-drop run is in ``test_live_ble_link_drops.py``, so that the two run side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from devices.packets import Stream
from devices.polar_pmd import MeasurementType, parse_frame
from tests.ble.conftest import FakeBlueZ
from tests.ble.live_runs import (
    assert_every_connected_packet_recorded,
    assert_replay_equals_live,
    breathwise,
)
from tests.fakebluez import POLAR_ADDRESS
from trainer.storage.recording import read_recording

pytestmark = pytest.mark.slow


async def test_live_polar_records_rr_ecg_and_acc_and_replays_the_same(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    fake = fake_bluez("--devices", "polar")
    live = breathwise(
        "live",
        "--device",
        POLAR_ADDRESS,
        "--minutes",
        "1",
        "--headless",
        "--out",
        str(tmp_path),
        timeout_s=180,
    )
    assert live.returncode == 0, live.stderr
    (path,) = tmp_path.glob("*.bwr")
    recording = read_recording(path)
    kinds = {
        parse_frame(p.payload).measurement_type
        for p in recording.packets
        if p.stream == Stream.PMD_DATA
    }
    assert kinds == {MeasurementType.ECG, MeasurementType.ACC}
    assert sum(p.stream == Stream.HEART_RATE for p in recording.packets) >= 50
    assert recording.header.source.streams["pmd"]["ecg"]["fs_hz"] == 130
    # With no belt, breathing comes from the chest accelerometer (the fake breathes at 12/min).
    rates = [
        float(line.split("rate")[1].split()[0].removesuffix("/min"))
        for line in live.stdout.splitlines()
        if line.startswith("breath ")
    ]
    assert len(rates) >= 6, live.stdout
    assert abs(float(np.median(rates)) - 12.0) < 1.0
    await assert_every_connected_packet_recorded(fake, recording)
    # The sensor was told to stop streaming on exit (an H10 left streaming drains its battery).
    writes = [value for _, value in await fake.control.writes(POLAR_ADDRESS)]
    assert bytes.fromhex("0300") in writes and bytes.fromhex("0302") in writes
    assert_replay_equals_live(path, live.stdout)
