"""Heart-rate notifications that decode but hold values no heart produces are unreadable.

Found in review: a sensor sending random bytes had 14 of 59 notifications decode, with heart
rates of 34109 and 55030 bpm and RR intervals of 23-64 s; they were taken as beats, and the
summary and the history said "HR 1 -> 1 bpm" with no warning.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from simulated_sessions import START_NS

from devices.heart_rate import encode_heart_rate_measurement, rr_ms_to_raw
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import SourceInfo
from trainer.session.events import StatusEvent
from trainer.session.live_replay import ReplaySession
from trainer.session.pipeline import (
    MAX_HEART_RATE_FIELD_BPM,
    RR_REACH_BACK_S,
    Pipeline,
    impossible_heart_values,
)
from trainer.storage.recording import Header, Item, read_recording, write_recording
from trainer.storage.rr_values import PLAUSIBLE_RR_MS
from trainer.ui.headless import format_summary

RR_MS = 916.0
LOST_CONTACT_MS = 4 * RR_MS
"""One interval over three beats the strap missed: the artifact correction splits it."""
DAMAGED = [
    encode_heart_rate_measurement(34109, [52838, 64291, 33894, 63078], uint16=True),
    encode_heart_rate_measurement(55030, [24166], uint16=True),
    encode_heart_rate_measurement(70, [rr_ms_to_raw(39_000.0)]),
    encode_heart_rate_measurement(80, [rr_ms_to_raw(7_000.0), rr_ms_to_raw(RR_MS)]),
    encode_heart_rate_measurement(320, [rr_ms_to_raw(RR_MS)], uint16=True),
]
"""Two from the review's random bytes (HR 34109/55030, RR 23-64 s), an interval of 39 s and
one of 7 s beside plausible heart rates, each arriving just after a beat, and a heart rate of
320 bpm beside a plausible interval."""


def _header() -> Header:
    streams: dict[str, dict[str, object]] = {"hr": {"rr_unit_s": 1 / 1024}}
    source = SourceInfo("ble", "HRM-Pro", "C0:FF:EE:00:00:01", streams, {})
    return Header(START_NS, time.time_ns(), source, {})


def _items(seconds: float) -> list[Item]:
    """A strap at 65.5 bpm, one beat a notification, with a lost contact (three notifications
    missing, then one interval of four beats) at 30 s, and the damaged notifications spread
    over the session."""
    items: list[Item] = []
    t_s, n = 0.0, 0
    damaged = iter(DAMAGED)
    while t_s < seconds:
        n += 1
        rr_ms = RR_MS
        if n in (33, 34, 35):
            t_s += RR_MS / 1000
            continue
        if n == 36:
            rr_ms = LOST_CONTACT_MS
        t_s += RR_MS / 1000
        offset = START_NS + int(t_s * NS_PER_S)
        payload = encode_heart_rate_measurement(66, [rr_ms_to_raw(rr_ms)])
        items.append(RawPacket(offset, offset, Stream.HEART_RATE, payload))
        if n % 12 == 0:
            bad = next(damaged, None)
            if bad is not None:
                items.append(RawPacket(offset + 1000, offset + 1000, Stream.HEART_RATE, bad))
    return items


def test_the_bounds_are_a_plausible_rate_and_intervals_that_fit_since_the_last_beat() -> None:
    assert MAX_HEART_RATE_FIELD_BPM == 300.0 == 60_000 / PLAUSIBLE_RR_MS[0]
    # 0 is "no rate yet" (straps send it before skin contact); a rate below 20 is what import
    # writes beside a lost contact's long interval (60000 / 6000 ms = 10 bpm).
    for hr_bpm in (0, 10, 66, 255, 300):
        assert impossible_heart_values(hr_bpm, [RR_MS], 1.0) is None
    for hr_bpm in (301, 34109):
        assert impossible_heart_values(hr_bpm, [RR_MS], 1.0) is not None
    # A lost contact's long interval is reported after it ended: it is the correction's to
    # judge, however long (the 12.4 s of tests/test_import.py), and so are short intervals.
    assert impossible_heart_values(66, [12_400.0], 12.6) is None
    assert impossible_heart_values(66, [150.0, 3000.0, 6500.0], 9.7) is None
    # A report delay of the previous beat's placement is allowed for...
    assert impossible_heart_values(66, [RR_MS, RR_MS], 0.0) is None
    assert impossible_heart_values(66, [1000 * (0.9 + RR_REACH_BACK_S)], 0.9) is None
    # ...intervals reaching back further than that are not beats (the review's random bytes).
    assert impossible_heart_values(70, [23_600.0], 0.3) == (
        "RR intervals of 23.6 s, 0.3 s after the previous beat"
    )


def test_damaged_values_are_unreadable_and_a_lost_contact_stays_a_beat(tmp_path: Path) -> None:
    seconds = 60.0
    items = _items(seconds)
    pipeline = Pipeline(_header())
    events = pipeline.handle(items)
    summary = pipeline.summary(seconds)
    assert summary["decode_errors"] == {"hr": len(DAMAGED)}
    assert summary["packets"]["hr"] == len(items)
    # No beat of theirs, while the lost contact's long interval is one, for the correction.
    assert max(b.rr_ms for b in pipeline.beats) == pytest.approx(LOST_CONTACT_MS, abs=1.0)
    assert summary["hr_start_bpm"] == pytest.approx(65.5, abs=1.0)
    assert summary["hr_end_bpm"] == pytest.approx(65.5, abs=1.0)
    text = format_summary(summary)
    assert "HR 66 -> 66 bpm" in text
    assert f"{len(DAMAGED)} of {len(items)} heart-rate packets could not be read" in text
    said = [e.message for e in events if isinstance(e, StatusEvent) and e.kind == "decode"]
    assert said == ["ignored a malformed hr packet (heart rate 34109 bpm, above 300)"]

    # Kept in the recording, so a replay counts them the same.
    end = START_NS + int(seconds * NS_PER_S)
    header = pipeline.header
    path = write_recording(
        tmp_path / "damaged.bwr",
        header,
        items,
        {"ended": "completed"},
        end_mono_ns=end,
        end_wall_ns=header.start_wall_ns + int(seconds * NS_PER_S),
    )
    recording = read_recording(path)
    assert [p.payload for p in recording.packets].count(DAMAGED[0]) == 1
    replayed = asyncio.run(ReplaySession(recording, speed=None).run())
    assert replayed.summary["decode_errors"] == {"hr": len(DAMAGED)}
    assert replayed.summary["hr_start_bpm"] == summary["hr_start_bpm"]
