"""A sensor lost mid-session: nothing old is shown as current, and every result says how much of
the session had no data (found in review: "Heart rate 66 bpm" frozen for the last 40 s, a summary
"HR 66 -> 64" from beats long before the end, RMSSD from 8 beats unflagged)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import START_NS, simulated_items, write_items
from test_ui import FakeSession
from textual.widgets import Static

from analysis.beats import Beat
from analysis.hrv_report import MIN_HRV_BEATS_S
from devices.packets import NS_PER_S, RawPacket
from devices.source import LinkEvent, LinkState, SourceInfo
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import END_HR_MAX_STALE_S, analyse_recording, heart_metrics
from trainer.session.events import BeatsEvent, Event, StatusEvent
from trainer.session.live_replay import ReplaySession, SessionResult
from trainer.session.summary import (
    SessionSummary,
    checked_summary,
    sensor_loss,
    sensor_loss_text,
    sensor_lost_word,
    session_sensors,
)
from trainer.storage.history import SessionRow
from trainer.storage.recording import read_recording
from trainer.ui.headless import format_summary
from trainer.ui.screen import BreathwiseApp

LOST = "A0:9E:1A:00:00:02: connection lost, reconnecting"


def _beats(t0_s: float, t1_s: float, rr_ms: float = 900.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(t0_s, t1_s, rr_ms / 1000.0)
    return t, np.full(t.size, rr_ms)


def test_the_end_heart_rate_is_left_out_when_the_last_beat_is_long_before_the_end() -> None:
    t, rr = _beats(1.0, 34.0)
    lost = heart_metrics(t, rr, [], end_s=72.0)
    assert lost.hr_start_bpm is not None and lost.hr_end_bpm is None
    near = heart_metrics(t, rr, [], end_s=float(t[-1]) + END_HR_MAX_STALE_S - 1.0)
    assert near.hr_end_bpm is not None and abs(near.hr_end_bpm - 60_000 / 900) < 0.01


def test_a_lone_sensors_overlapping_gaps_count_once_and_an_open_one_to_the_end() -> None:
    gaps = [("sim", 10.0, 20.0), ("sim", 15.0, 25.0), ("sim", 34.0, None)]
    loss = sensor_loss(gaps, 72.0)
    assert loss == {"no_data_s": 53.0, "no_data_from_s": 34.0}
    assert sensor_loss([("sim", 5.0, 17.0)], 60.0) == {"no_data_s": 12.0, "no_data_from_s": None}
    assert sensor_loss([], 60.0) == {"no_data_s": 0.0, "no_data_from_s": None}


BELT_AND_STRAP = SourceInfo(
    "ble",
    "GDX-RB + Polar H10",
    "AA:01, BB:02",
    {"gdx": {}, "hr": {}},
    {
        "sources": [
            {"kind": "ble", "name": "GDX-RB", "address": "AA:01", "streams": ["gdx"]},
            {"kind": "ble", "name": "Polar H10", "address": "BB:02", "streams": ["hr"]},
        ]
    },
)


def test_one_sensor_lost_beside_another_is_not_a_loss_of_all_sensor_data() -> None:
    """Found in review: a belt lost at 10.5 s beside a strap beating to the end gave "no sensor
    data for the last 50 s"; only the time every sensor was lost had no data."""
    sensors = session_sensors(BELT_AND_STRAP)
    assert [(s.label, s.heart) for s in sensors] == [("belt", False), ("heart-rate strap", True)]

    def loss(gaps: list[tuple[str, float, float | None]], end_s: float) -> SessionSummary:
        summary: SessionSummary = {"duration_s": end_s}
        summary.update(sensor_loss(gaps, end_s, sensors))
        return summary

    belt = loss([("AA:01", 10.5, None)], 60.0)
    assert belt["no_data_s"] == 0.0 and belt["no_data_from_s"] is None
    assert belt["sensors_lost"] == {"belt": {"lost_s": 49.5, "lost_from_s": 10.5}}
    assert sensor_loss_text(belt) == "no data from the belt for the last 50 s (lost at 0:10)"
    assert sensor_lost_word(belt) == "belt lost"
    strap = loss([("BB:02", 10.5, None)], 60.0)
    assert sensor_loss_text(strap) == (
        "no data from the heart-rate strap for the last 50 s (lost at 0:10)"
    )
    # Both lost: "no sensor data" for the time they were lost together, and the belt's longer.
    gaps = [("AA:01", 10.0, 20.0), ("BB:02", 15.0, 25.0), ("BB:02", 34.0, None)]
    both = loss([*gaps, ("AA:01", 40.0, None)], 72.0)
    assert (both["no_data_s"], both["no_data_from_s"]) == (37.0, 40.0)
    assert sensor_loss_text(both) == (
        "no sensor data for 37 s, the last 32 s included (lost at 0:40); "
        "no data from the belt for 42 s, the last 32 s included (lost at 0:40); "
        "no data from the heart-rate strap for 48 s, the last 38 s included (lost at 0:34)"
    )
    assert sensor_lost_word(both) == "sensor lost"
    assert checked_summary(dict(both)) == both
    with pytest.raises(ValueError, match="'sensors_lost' 'belt' 'lost_s' must be a number"):
        checked_summary({"sensors_lost": {"belt": {"lost_s": "50"}}})


def test_the_heart_rate_tile_follows_the_heart_sensor_only() -> None:
    """Found in review: the belt's link loss marked a strap beating every second as stale."""
    from trainer.ui.state import SessionState

    def beats(t0: int, t1: int) -> list[Event]:
        return [BeatsEvent((Beat(float(t), 1000.0),), 60.0) for t in range(t0, t1)]

    state = SessionState()
    state.set_source(BELT_AND_STRAP)
    state.apply(
        [*beats(1, 11), StatusEvent(10.5, "link", "AA:01: connection lost, reconnecting", "AA:01")]
    )
    assert state.heart_rate_at(10.6) == (60.0, None)
    state.apply(beats(11, 60))
    assert state.heart_rate_at(59.5) == (60.0, None)
    state.apply([StatusEvent(59.6, "link", "BB:02: connection lost, reconnecting", "BB:02")])
    assert state.heart_rate_at(59.7)[1] == pytest.approx(0.7)
    state.apply([StatusEvent(59.8, "link", "BB:02: connection back", "BB:02")])
    assert state.heart_rate_at(59.9) == (60.0, None) and not state.link_ok
    # Not told the sensors (the reviewer's case): beats after the loss were not the lost one's.
    unknown = SessionState()
    unknown.apply(
        [*beats(1, 11), StatusEvent(10.5, "link", "GDX-RB: connection lost, ...", "GDX-RB")]
    )
    unknown.apply(beats(11, 60))
    assert unknown.heart_rate_at(59.5) == (60.0, None)


def test_a_belt_lost_beside_a_beating_strap_says_so_everywhere(tmp_path: Path) -> None:
    """Replay, analysis and report of a belt and strap session whose belt was lost 40 s into
    90 s while the strap beat on: no "no sensor data", the belt named."""
    header, items, end_ns = simulated_items(90.0, seed=3)
    lost_ns = START_NS + 40 * NS_PER_S
    items = [
        i
        for i in items
        if not (isinstance(i, RawPacket) and i.stream == "gdx" and i.t_mono_ns >= lost_ns)
    ]
    items.append(LinkEvent(lost_ns, 0, "AA:01", LinkState.LOST, "test"))
    items.sort(key=lambda i: i.t_mono_ns)
    source = replace(header.source, details=BELT_AND_STRAP.details)
    path = write_items(tmp_path / "belt.bwr", replace(header, source=source), items, end_ns)
    analysis = analyse_recording(path)
    summary = analysis.summary
    assert summary["no_data_s"] == 0.0 and summary["no_data_from_s"] is None
    assert summary["sensors_lost"]["belt"]["lost_s"] == pytest.approx(50.0, abs=0.1)
    assert summary["hr_end_bpm"] is not None
    replay = ReplaySession(read_recording(path), speed=None)
    replayed = asyncio.run(replay.run())
    assert replayed.summary == summary
    assert replay.state.heart_rate_at(89.9)[1] is None
    assert "sensor: no data from the belt for the last 50 s (lost at 0:40)" in format_summary(
        summary
    )
    texts = [t.get_text() for ax in report_figure(analysis).axes for t in ax.texts]
    assert any("completed, belt lost" in t for t in texts)
    assert "no data from the belt for the last 50 s" in texts
    assert not any("no sensor data" in t or "sensor lost" in t for t in texts)


def test_the_printed_summary_says_how_long_the_sensor_was_gone() -> None:
    summary: SessionSummary = {
        "duration_s": 72.0,
        "source_kind": "ble",
        "hr_start_bpm": 66.0,
        "hr_end_bpm": None,
        "gaps": 1,
        "no_data_s": 38.0,
        "no_data_from_s": 34.0,
    }
    text = format_summary(summary)
    assert "sensor: no sensor data for the last 38 s (lost at 0:34)" in text
    assert text.splitlines()[-1].startswith("summary:")
    summary["no_data_s"] = 50.0
    assert "no sensor data for 50 s, the last 38 s included" in format_summary(summary)
    summary.update({"no_data_s": 12.0, "no_data_from_s": None})
    assert sensor_loss_text(summary) == "no sensor data for 12 s (connection gaps)"
    summary.update({"no_data_s": 0.0})
    assert "sensor:" not in format_summary(summary)


def test_hrv_from_under_a_minute_of_beats_is_flagged_unreliable() -> None:
    # Found in review: a Polar lost 8 s in stored RMSSD 27 ms from 8 beats, counted in progress.
    short = SessionRow("k", "p", 0, 60.0, beats=8, mean_hr_bpm=65.0, rmssd_ms=27.0)
    assert short.beats_s is not None and short.beats_s < MIN_HRV_BEATS_S
    assert short.heart_unreliable
    enough = SessionRow("k", "p", 0, 300.0, beats=300, mean_hr_bpm=65.0, rmssd_ms=27.0)
    assert not enough.heart_unreliable


async def test_the_heart_rate_tile_is_not_shown_as_current_while_the_sensor_is_lost() -> None:
    session = FakeSession()
    summary: SessionSummary = {"breaths": 0, "duration_s": 72.0, "no_data_s": 38.0}

    async def run() -> SessionResult:
        await session.finished.wait()
        return SessionResult(None, summary)

    beat = Beat(t_s=33.5, rr_ms=909.0)
    session.state.apply([BeatsEvent((beat,), 66.0)])
    app = BreathwiseApp(session, run, title="t", duration_s=72.0, hold_at_end=True)
    async with app.run_test(size=(100, 32)) as pilot:
        session.t_s = 34.0
        app.refresh_view()
        await pilot.pause()
        assert "Heart rate     66 bpm" in str(app.query_one("#metrics", Static).render())
        session.state.apply([StatusEvent(34.2, "link", LOST, "A0:9E:1A:00:00:02")])
        session.t_s = 60.0
        app.refresh_view()
        await pilot.pause()
        metrics = str(app.query_one("#metrics", Static).render())
        assert "Heart rate     -  bpm  (66, 26 s ago)" in metrics
        label = str(app.query_one("#hr_label", Static).render())
        assert label == "Heart rate (1 s of beats, none for the last 26 s)"
        session.t_s = 72.0
        session.finished.set()
        await pilot.pause()
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert "reconnecting" not in status
        assert "connection lost at 0:34, not back" in status
        await pilot.press("q")


def test_a_strap_that_simply_stops_beating_goes_stale_too() -> None:
    from trainer.session.pipeline import HR_STALE_S
    from trainer.ui.state import SessionState

    state = SessionState()
    state.apply([BeatsEvent((Beat(t_s=10.0, rr_ms=900.0),), 66.7)])
    assert state.heart_rate_at(10.0 + HR_STALE_S) == (66.7, None)
    assert state.heart_rate_at(10.0 + HR_STALE_S + 1.0) == (66.7, HR_STALE_S + 1.0)


def test_a_recording_whose_sensor_never_came_back_says_so_everywhere(tmp_path: Path) -> None:
    """Replay, analysis and report of a session whose sensor was lost 40 s into 90 s."""
    header, items, end_ns = simulated_items(90.0, seed=3, gap=(40.0, 1000.0))
    # The sensor never came back: no "restored" link event.
    items = [i for i in items if not (isinstance(i, LinkEvent) and i.state is LinkState.RESTORED)]
    path = write_items(tmp_path / "lost.bwr", header, items, end_ns)
    analysis = analyse_recording(path)
    summary = analysis.summary
    assert summary["no_data_s"] == pytest.approx(50.0, abs=0.1)
    assert summary["no_data_from_s"] == pytest.approx(40.0, abs=0.1)
    assert summary["hr_start_bpm"] is not None and summary["hr_end_bpm"] is None
    replayed = asyncio.run(ReplaySession(read_recording(path), speed=None).run())
    assert replayed.summary == summary
    assert "sensor: no sensor data for the last 50 s (lost at 0:40)" in format_summary(summary)
    fig = report_figure(analysis)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("completed, sensor lost" in t for t in texts)
    assert "no sensor data for the last 50 s" in texts


def test_a_polars_empty_breathing_panel_does_not_say_there_was_no_belt_sensor(
    tmp_path: Path,
) -> None:
    """Found in review: "no breathing signal (no belt in this session)" on the report of a
    Polar, whose breathing comes from its accelerometer."""
    from trainer.reports.report import _no_breathing_text

    header, items, end_ns = simulated_items(20.0, seed=3)
    analysis = analyse_recording(write_items(tmp_path / "s.bwr", header, items, end_ns))
    strap = replace(analysis, summary={}, breaths=())
    assert _no_breathing_text(strap) == "no breathing signal (no belt in this session)"
    polar = replace(strap, summary={"waveform_samples": {"acc": 2000}})
    assert _no_breathing_text(polar) == (
        "no breathing signal: no breaths found in the chest movement"
    )
    assert "chest movement" in _no_breathing_text(replace(polar, breaths=analysis.breaths))


def test_the_report_and_the_history_judge_too_few_beats_alike() -> None:
    """59 intervals of 61 s with two missed beats: the history (beats x mean NN interval, 59 s)
    flagged the RMSSD, the report (the raw intervals' sum, 61 s) showed it as reliable (found
    in review). Both now read the session's numbers the same way."""
    from trainer.reports.report import _rmssd_note

    rr = np.array([2000.0 if k in (20, 40) else 1000.0 + 30 * np.sin(k) for k in range(59)])
    t = np.cumsum(rr) / 1000.0
    m = heart_metrics(t, rr, [], end_s=float(t[-1]))
    row = SessionRow(
        "k", "p", 0, 70.0, beats=rr.size, mean_hr_bpm=m.mean_hr_bpm, rmssd_ms=m.rmssd_ms
    )
    assert row.heart_unreliable
    metrics = {"rmssd_ms": m.rmssd_ms, "mean_hr_bpm": m.mean_hr_bpm, "beats": rr.size}
    note = _rmssd_note(metrics)
    assert note.startswith("unreliable:"), note


def test_a_link_given_up_stays_lost_since_it_went() -> None:
    """A sensor given up after 2 min says "connection lost, given up: ..." on a link already
    down: the screen moved the loss to the give-up (129 s for a belt lost at 9 s)."""
    from trainer.ui.state import SessionState

    state = SessionState()
    state.set_source(BELT_AND_STRAP)
    state.apply([StatusEvent(9.0, "link", "AA:01: connection lost, reconnecting", "AA:01")])
    state.apply(
        [StatusEvent(129.0, "link", "AA:01: connection lost, given up: gone 120 s", "AA:01")]
    )
    assert state.links_down == {"AA:01": 9.0} and state.link_lost_t_s == 9.0
    # Lost again after coming back: the new loss counts from its own time.
    state.apply([StatusEvent(130.0, "link", "AA:01: connection back", "AA:01")])
    state.apply([StatusEvent(140.0, "link", "AA:01: connection lost, reconnecting", "AA:01")])
    assert state.links_down == {"AA:01": 140.0}
