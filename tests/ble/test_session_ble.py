"""Whole sessions on real bleak against the fake BlueZ: what a person sees when a sensor misbehaves.

In-process (a :class:`LiveSession` on the sensors ``breathwise live`` opens), so that the retry
and give-up times can be made short; the replay of the recording must print what the session
printed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from devices.ble import RetryPolicy, open_devices
from tests.ble.conftest import FakeBlueZ
from tests.fakebluez import BELT_ADDRESS, STRAP_ADDRESS, STRAP_NAME
from trainer.coaching.pacer import BreathPattern
from trainer.session.live_replay import LiveSession, ReplaySession, SessionPlan
from trainer.session.summary import sensor_loss_text
from trainer.storage.recording import read_recording
from trainer.ui.headless import line_printer

GIVE_UP_S = 1.0
QUICK = RetryPolicy(initial_delay_s=0.1, max_delay_s=0.3, give_up_after_s=GIVE_UP_S)


async def test_a_belt_gone_for_good_leaves_the_session_to_the_strap(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    """Before, the belt's DeviceGoneError ended the merged stream and with it the session (with
    an error, at the give-up time) although the strap still streamed."""
    fake_bluez(
        "--devices", "strap,belt", "--hr-interval", "0.2", "--gone-after", "2",
        "--only", BELT_ADDRESS,
    )  # fmt: skip
    source = await open_devices(
        [STRAP_ADDRESS, BELT_ADDRESS], scan_timeout_s=5, policy=QUICK, connect_timeout_s=0.3
    )
    printed = io.StringIO()
    plan = SessionPlan(pattern=BreathPattern(inhale_s=4.0, exhale_s=6.0), duration_s=8.0)
    session = LiveSession(plan, out_dir=tmp_path, listeners=[line_printer(printed)])
    result = await session.run(source)
    assert result.error is None
    assert result.summary["ended"] == "completed"
    assert result.summary["duration_s"] >= 7.5
    lines = printed.getvalue().splitlines()
    given_up = [line for line in lines if "given up" in line]
    assert len(given_up) == 1, lines
    assert BELT_ADDRESS in given_up[0] and f"within {GIVE_UP_S:g} s" in given_up[0]
    # The strap kept sending after the belt was given up.
    assert result.path is not None
    recording = read_recording(result.path)
    gone_ns = max(g[1] for g in recording.gaps())
    assert sum(p.stream == "hr" and p.t_mono_ns > gone_ns for p in recording.packets) >= 20
    assert [g[2] for g in recording.gaps()] == [None]
    loss = sensor_loss_text(result.summary)
    assert loss is not None and loss.startswith("no data from the belt for the last"), loss
    assert result.summary["gaps"] == 1
    replayed = io.StringIO()
    replay = await ReplaySession(recording, speed=None, listeners=[line_printer(replayed)]).run()
    assert replayed.getvalue() == printed.getvalue()
    assert sensor_loss_text(replay.summary) == loss


async def test_a_lone_sensor_given_up_says_why_once(
    fake_bluez: Callable[..., FakeBlueZ], tmp_path: Path
) -> None:
    """With the only sensor given up, its status line ("connection lost, given up: HRM-Pro
    Fake did not come back within 120 s") was followed by the session's error saying the
    same ("HRM-Pro Fake did not come back within 120 s — check ...", found in review): the
    error says why, the status line only that it is given up. A session whose header does
    not ask it to carry on without its sensors (a resonance assessment; a recording from
    before sessions did) ends there: ``test_sensors_gone_ble.py`` for one that carries on."""
    fake_bluez("--devices", "strap", "--hr-interval", "0.2", "--gone-after", "2")
    source = await open_devices([STRAP_ADDRESS], scan_timeout_s=5, policy=QUICK)
    printed = io.StringIO()
    plan = SessionPlan(pattern=BreathPattern(inhale_s=4.0, exhale_s=6.0), duration_s=30.0)
    session = LiveSession(plan, out_dir=tmp_path, listeners=[line_printer(printed)])
    result = await session.run(source)
    assert result.error is not None
    assert result.error.startswith(f"{STRAP_NAME} did not come back within {GIVE_UP_S:g} s")
    lines = printed.getvalue().splitlines()
    given_up = [line for line in lines if "given up" in line]
    assert len(given_up) == 1, lines
    assert given_up[0].endswith(f"{STRAP_ADDRESS}: connection lost, given up"), given_up
    assert not any("did not come back" in line for line in lines), lines
    assert result.path is not None
    replayed = io.StringIO()
    await ReplaySession(
        read_recording(result.path), speed=None, listeners=[line_printer(replayed)]
    ).run()
    assert replayed.getvalue() == printed.getvalue()
