"""A sensor given up comes back, on the real Bluetooth stack: ``breathwise live --program`` on a
fake strap that vanishes, is given up, and advertises again a few seconds later (its battery
changed) looks for it after the give-up, finds it and measures again to the planned end; its
replay prints what it printed.

As in ``test_sensors_gone_ble.py``, the command runs in this process so that the give-up time
(120 s in a real session) can be 1 s and the pause between looks (15 s) 2 s: ``open_source`` is
wrapped to pass a quick retry policy; bleak, the fake BlueZ and everything after the connect are
as a person runs them. Real time: about 15 s of session (``slow``), in a file of its own so
that xdist runs it beside the others.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.ble import RetryPolicy
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import GIVEN_UP_REASON, LinkEvent, LinkState
from tests.ble.conftest import fake_bluez_playing, quick_open
from tests.fakebluez import STRAP_ADDRESS, STRAP_NAME
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.session.pipeline import sensors_back_message, sensors_gone_message
from trainer.storage.history import list_sessions
from trainer.storage.recording import read_recording

pytestmark = pytest.mark.slow

GIVE_UP_S = 1.0
LOOK_AGAIN_S = 2.0
QUICK = RetryPolicy(
    initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=GIVE_UP_S, look_again_s=LOOK_AGAIN_S
)
GONE_AFTER_S = 4.0
BACK_AFTER_S = 8.0
MINUTES = 0.25


@pytest.fixture
def strap_that_comes_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """A fake BlueZ whose one strap vanishes 4 s after it starts and advertises again 8 s after
    it starts (BlueZ has removed its object by then); yields when it comes back, host
    monotonic s."""
    scenario = ["--devices", "strap", "--hr-interval", "0.2"]
    scenario += ["--gone-after", f"{GONE_AFTER_S:g}", "--back-after", f"{BACK_AFTER_S:g}"]
    with fake_bluez_playing(monkeypatch, scenario):
        yield time.monotonic() + BACK_AFTER_S


def test_a_program_measures_again_once_its_given_up_sensor_is_back(
    strap_that_comes_back: float,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: the strap, given up about 5 s in, was never tried again; though it advertised
    from 8 s, the rest of the session had no data, and its summary said "no sensor data for
    the last 11 s (lost at 0:03)"."""
    back_s = strap_that_comes_back
    monkeypatch.setattr(session_cli, "open_source", quick_open(QUICK))
    out = tmp_path / "rec"
    live = ["live", "--device", STRAP_ADDRESS, "--program", "body-scan-head-to-feet"]
    live += ["--minutes", str(MINUTES), "--headless", "--no-sound", "--out", str(out)]
    started_s = time.monotonic()
    assert run(live) == 0, capsys.readouterr().err
    ended_s = time.monotonic()
    captured = capsys.readouterr()
    assert "breathwise: error" not in captured.err
    lines = captured.out.splitlines()
    gone = [line for line in lines if GIVEN_UP_REASON in line]
    assert len(gone) == 1, "\n".join(lines)
    assert gone[0].endswith(
        f"{STRAP_ADDRESS}: connection lost, {GIVEN_UP_REASON}: {STRAP_NAME} did not come back "
        f"within {GIVE_UP_S:g} s; looking for it again about every {LOOK_AGAIN_S:g} s"
    )
    status = [line.split(" s  ", 1)[1] for line in lines if line.startswith("status at")]
    gone_at = status.index(sensors_gone_message(False))
    assert status[gone_at + 1 : gone_at + 3] == [
        f"{STRAP_ADDRESS}: connection back",
        sensors_back_message(),
    ], status
    (path,) = out.glob("*.bwr")
    recording = read_recording(path)
    start_ns = recording.header.start_mono_ns
    links = [item for item in recording.items if isinstance(item, LinkEvent)]
    assert [event.state for event in links] == [LinkState.LOST, LinkState.LOST, LinkState.RESTORED]
    lost_ns, given_up_ns, restored_ns = (event.t_mono_ns for event in links)
    heart = [
        item.t_mono_ns
        for item in recording.items
        if isinstance(item, RawPacket) and item.stream == Stream.HEART_RATE.value
    ]
    data_again_ns = min(t for t in heart if t > restored_ns)
    times = {
        "lost": (lost_ns - start_ns) / NS_PER_S,
        "given up": (given_up_ns - start_ns) / NS_PER_S,
        "advertising again": back_s - start_ns / NS_PER_S,
        "restored": (restored_ns - start_ns) / NS_PER_S,
        "data again": (data_again_ns - start_ns) / NS_PER_S,
        "whole command": ended_s - started_s,
    }
    # Found again at the first look after it advertised: within the pause with its jitter.
    assert times["advertising again"] < times["restored"]
    assert times["restored"] - times["advertising again"] < LOOK_AGAIN_S * 1.2 + 1.5
    assert times["data again"] - times["restored"] < 1.0
    # Beating to the end: the heart rate every 0.2 s from then on.
    assert len([t for t in heart if t > restored_ns]) > 10
    summary = recording.summary
    assert summary is not None and summary["ended"] == "completed"
    assert summary["duration_s"] == pytest.approx(MINUTES * 60.0)
    # The gap closed at the return: counted as any, and no "lost at" for good.
    assert summary["no_data_from_s"] is None
    assert summary["no_data_s"] == pytest.approx(times["restored"] - times["lost"], abs=0.01)
    sensor_line = [line for line in lines if line.startswith("sensor: ")]
    assert sensor_line and "(connection gaps)" in sensor_line[0], lines
    (row,) = list_sessions()
    assert row.sensor_lost_from_s is None
    # The replay prints every line the session printed.
    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    with capsys.disabled():
        print("\nsession times, s:", {k: round(v, 2) for k, v in times.items()})
    # The looking stopped at the planned end with the session: no wait for a look under way.
    assert times["whole command"] < MINUTES * 60.0 + 5.0
