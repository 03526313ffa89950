"""Review 31 F1 on the real Bluetooth stack: ``breathwise live --program`` on a fake strap that
vanishes for good runs on to its planned end, exits 0, and its replay prints what it printed.

The command runs in this process (``trainer.cli.app.run``) so that the give-up time, 120 s in a
real session, can be made 1 s: ``open_source`` is wrapped to pass a quick retry policy; bleak,
the fake BlueZ and everything after the connect are as a person runs them. Real time: about
12 s of session (``slow``), in a file of its own so that xdist runs it beside the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.ble import RetryPolicy
from devices.source import GIVEN_UP_REASON
from tests.ble.conftest import fake_bluez_playing, quick_open
from tests.fakebluez import STRAP_ADDRESS, STRAP_NAME
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.session.pipeline import CARRY_ON, SENSORS_GONE_KEY, sensors_gone_message
from trainer.storage.history import list_sessions
from trainer.storage.recording import read_recording

pytestmark = pytest.mark.slow

GIVE_UP_S = 1.0
QUICK = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=GIVE_UP_S)
MINUTES = 0.2


@pytest.fixture
def strap_that_vanishes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fake BlueZ whose one strap vanishes for good 4 s after it starts (the session has
    connected by then), on a private bus this process's bleak talks to. Not the async
    ``fake_bluez`` fixture: the command runs its own event loop (``asyncio.run``)."""
    with fake_bluez_playing(
        monkeypatch, ["--devices", "strap", "--hr-interval", "0.2", "--gone-after", "4"]
    ):
        yield


def test_a_program_outlives_its_only_sensor_and_ends_as_planned(
    strap_that_vanishes: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: "breathwise: error: HRM-Pro Fake did not come back within 1 s ...", exit
    status 1, at the give-up (about 4 s in), the program's remaining time unplayed."""
    monkeypatch.setattr(session_cli, "open_source", quick_open(QUICK))
    out = tmp_path / "rec"
    live = ["live", "--device", STRAP_ADDRESS, "--program", "body-scan-head-to-feet"]
    live += ["--minutes", str(MINUTES), "--headless", "--no-sound", "--out", str(out)]
    assert run(live) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert "breathwise: error" not in captured.err
    lines = captured.out.splitlines()
    # Said once each: the give-up with its reason, and that the session goes on.
    gone = [line for line in lines if GIVEN_UP_REASON in line]
    assert len(gone) == 1, "\n".join(lines)
    assert gone[0].endswith(
        f"{STRAP_ADDRESS}: connection lost, {GIVEN_UP_REASON}: {STRAP_NAME} did not come back "
        f"within {GIVE_UP_S:g} s; looking for it again about every {QUICK.look_again_s:g} s"
    )
    carrying_on = [line for line in lines if line.endswith(sensors_gone_message(False))]
    assert len(carrying_on) == 1 and carrying_on[0].startswith("status at")
    assert lines.index(carrying_on[0]) == lines.index(gone[0]) + 1
    # The summary names when the sensor was lost: the loss, not the give-up.
    (path,) = out.glob("*.bwr")
    recording = read_recording(path)
    summary = recording.summary
    assert summary is not None and summary["ended"] == "completed"
    assert summary["duration_s"] == pytest.approx(MINUTES * 60.0)
    lost_s = summary["no_data_from_s"]
    assert lost_s is not None and 0.5 < lost_s < 8.0
    assert recording.header.settings[SENSORS_GONE_KEY] == CARRY_ON
    sensor_line = [line for line in lines if line.startswith("sensor: ")]
    assert sensor_line and f"(lost at 0:{int(lost_s):02d})" in sensor_line[0], lines
    assert lines[-1].startswith(f"summary: {MINUTES * 60.0:.0f} s, ")
    assert f"recording saved: {path}" in captured.err
    # Kept in the history with its minutes, as a completed session is, and the loss.
    (row,) = list_sessions()
    assert row.practised_min == pytest.approx(MINUTES)
    assert row.sensor_lost_from_s == pytest.approx(lost_s)
    assert run(["history"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].endswith(f"  sensor lost at 0:{int(lost_s):02d}"), listed
    # The replay prints every line the session printed, the carrying on included.
    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
