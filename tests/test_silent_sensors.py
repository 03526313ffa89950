"""Sensors that send too little (review 5, findings 1, 3, 4 and 7): a strap with heart rate but
no RR intervals, a strap lost beside a belt, a sensor connected but silent, a belt whose packets
are largely unreadable. Each is said during the session (from recorded data only, so a replay
says the same) and in its summary, and the history takes what was measured."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from simulated_sessions import START_NS, simulated_items

from devices.heart_rate import encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import SourceInfo
from trainer.session.events import BeatsEvent, BreathEvent, StatusEvent
from trainer.session.pipeline import HR_STALE_S, SILENT_SAY_S, Pipeline
from trainer.session.summary import sensor_loss_text
from trainer.storage import history as hist
from trainer.storage.recording import Header, Item, write_recording
from trainer.ui.headless import format_summary
from trainer.ui.state import SessionState

GDX = {"period_us": 100_000, "force_channel": 1, "rate_channel": 2, "channels": [1, 2]}


def _strap(name: str = "HRM-Pro") -> dict[str, object]:
    return {"kind": "ble", "name": name, "address": "C0:FF:EE:00:00:01", "streams": ["hr"]}


def _belt() -> dict[str, object]:
    return {"kind": "ble", "name": "GDX-RB", "address": "F4:60:77:00:00:03", "streams": ["gdx"]}


def _header(wall_ns: int, *, belt: bool) -> Header:
    """A BLE session of a strap, and with ``belt`` a belt beside it (a combined source)."""
    streams: dict[str, dict[str, object]] = {"hr": {"rr_unit_s": 1 / 1024}}
    details: dict[str, object] = {}
    if belt:
        streams["gdx"] = GDX
        details = {"sources": [_strap(), _belt()]}
    source = SourceInfo("ble", "HRM-Pro", "C0:FF:EE:00:00:01", streams, details)
    return Header(START_NS, wall_ns, source, {})


def _hr_packets(wall_ns: int, seconds: float, rr: bool = False) -> list[Item]:
    """A strap's notifications every 0.8 s at 67 bpm: without RR intervals unless ``rr``."""
    items: list[Item] = []
    t_s = 0.8
    while t_s < seconds:
        payload = encode_heart_rate_measurement(67, [916] if rr else [])
        offset = int(t_s * NS_PER_S)
        items.append(RawPacket(START_NS + offset, wall_ns + offset, Stream.HEART_RATE, payload))
        t_s += 0.8
    return items


def _write(path: Path, header: Header, items: list[Item], seconds: float) -> Path:
    end = {"end_mono_ns": START_NS + int(seconds * NS_PER_S)}
    end["end_wall_ns"] = header.start_wall_ns + int(seconds * NS_PER_S)
    return write_recording(path, header, items, {"ended": "completed"}, **end)


def _statuses(events: Sequence[object]) -> list[tuple[float, str]]:
    return [(e.t_s, e.message) for e in events if isinstance(e, StatusEvent)]


# ------------------------------------------------------------------ finding 1: heart rate, no RR
def test_a_strap_without_rr_intervals_is_said_shown_summarised_and_added(tmp_path: Path) -> None:
    """Review: 37 heart-rate notifications of 67 bpm without RR intervals gave no word, a
    summary "HR - -> -", and the history refused the file as "it never connected"."""
    wall_ns = time.time_ns()
    header = _header(wall_ns, belt=False)
    items = _hr_packets(wall_ns, 30.0)
    pipeline = Pipeline(header)
    events = pipeline.handle(items)
    said = [m for _, m in _statuses(events) if "without beat-to-beat (RR) intervals" in m]
    assert len(said) == 1
    # The screen's heart-rate tile shows the reported rate, current while reports come.
    state = SessionState()
    state.apply(events)
    assert state.heart_rate_at(29.0) == (67.0, None)
    assert any(isinstance(e, BeatsEvent) and not e.beats for e in events)
    summary = pipeline.summary(30.0)
    assert (summary["hr_start_bpm"], summary["hr_end_bpm"]) == (67.0, 67.0)
    assert summary["hr_basis"] == "device"
    assert summary["sensors_silent"] == []
    assert "HR 67 -> 67 bpm" in format_summary(summary)

    path = _write(tmp_path / "hr-only.bwr", header, items, 30.0)
    db = tmp_path / "h.sqlite3"
    assert hist.not_in_history(tmp_path, db_path=db) == [path]
    row = hist.add_recording(path, db_path=db).row
    assert row.practised_s == pytest.approx(30.0)
    assert row.hr_start_bpm == 67.0


def test_history_names_a_strap_without_rr_intervals_for_what_it_is(tmp_path: Path) -> None:
    """Review: such a session's row had the "!" of unreliable beats after its RMSSD (its 0
    beats were "under 60 s of beats"), and the legend blamed corrected or too few beats. It
    says "no RR" instead, explained as the strap's own heart rate, with no HRV; a session of
    too few beats beside it keeps its "!"."""
    from trainer.cli.history import NO_RR, UNRELIABLE_FLAG, format_rows

    wall_ns = time.time_ns()
    header = _header(wall_ns, belt=False)
    path = _write(tmp_path / "hr-only.bwr", header, _hr_packets(wall_ns, 120.0), 120.0)
    row = hist.add_recording(path, db_path=tmp_path / "h.sqlite3").row
    assert (row.beats, row.mean_hr_bpm) == (0, 67.0)
    head, line, legend = format_rows([row])
    rmssd_end = head.index("RMSSD") + len("RMSSD")
    assert line[rmssd_end - len(NO_RR) : rmssd_end + 1] == f"{NO_RR} "
    assert legend.startswith(f"{NO_RR}: heart rate from the strap")
    assert "beat-to-beat (RR) intervals" in legend
    assert row.heart_rate_only and not row.heart_unreliable
    few_beats = replace(row, beats=30, rmssd_ms=40.0)
    assert few_beats.heart_unreliable and not few_beats.heart_rate_only
    lines = format_rows([few_beats])
    assert lines[1][rmssd_end] == UNRELIABLE_FLAG
    # RSA and coherence are as unreliable (review 30 F2: the coherence cell went unmarked).
    for column in ("RSA", "coh"):
        end = head.index(column) + len(column)
        assert lines[1][end] == UNRELIABLE_FLAG, (column, lines[1])
    assert line[head.index("coh") + len("coh")] == " "
    assert lines[-1].startswith(f"{UNRELIABLE_FLAG} over 5 % of beats corrected")


def test_a_normal_strap_is_not_said_to_lack_rr_intervals() -> None:
    """Beats every notification: no heart-rate-only line, the start heart rate from beats."""
    wall_ns = time.time_ns()
    pipeline = Pipeline(_header(wall_ns, belt=False))
    events = pipeline.handle(_hr_packets(wall_ns, 30.0, rr=True))
    assert not [m for _, m in _statuses(events) if "RR" in m]
    assert pipeline.summary(30.0)["hr_basis"] == "beats"


def test_a_strap_before_skin_contact_is_not_said_to_lack_rr_intervals() -> None:
    """Straps report a heart rate without RR intervals before they are moistened: 6 such
    notifications, then beats, made "this strap sends heart rate without beat-to-beat (RR)
    intervals" a false line never withdrawn (review 7, finding 1). Without contact the rate is
    no measurement: neither taken for a strap without RR nor kept as the strap's heart rate."""
    wall_ns = time.time_ns()
    items: list[Item] = []
    for k in range(1, 40):
        before_contact = k < 7
        payload = encode_heart_rate_measurement(
            80 if before_contact else 67,
            [] if before_contact else [916],
            contact=not before_contact,
        )
        offset = k * NS_PER_S
        items.append(RawPacket(START_NS + offset, wall_ns + offset, Stream.HEART_RATE, payload))
    pipeline = Pipeline(_header(wall_ns, belt=False))
    events = pipeline.handle(items)
    assert [m for _, m in _statuses(events)] == [
        "no skin contact: moisten the strap",
        "skin contact back",
        "breath rate from the heart rhythm: the first reading needs about 64 s of beats",
    ]
    assert 80.0 not in [hr for _, hr in pipeline.device_hr]
    assert pipeline.summary(40.0)["hr_basis"] == "beats"


# ------------------------------------------------------------------ finding 3: stale heart rate
def test_breaths_after_the_strap_is_lost_carry_no_heart_rate() -> None:
    """Review: after the strap was lost beside a belt, every later breath kept its last heart
    rate (30 s old) in the headless lines and breaths.csv. A breath more than HR_STALE_S after
    the last beat now has none; one near a beat keeps it."""
    header, items, _ = simulated_items(90.0)
    cut_ns = START_NS + 30 * NS_PER_S
    items = [
        i
        for i in items
        if not (isinstance(i, RawPacket) and i.stream == Stream.HEART_RATE and i.t_mono_ns > cut_ns)
    ]
    pipeline = Pipeline(header)
    breaths = [e for e in pipeline.handle(items) if isinstance(e, BreathEvent)]
    last_beat_s = pipeline.beats[-1].t_s
    early = [e for e in breaths if e.breath.detected_s <= last_beat_s]
    late = [e for e in breaths if e.breath.detected_s > last_beat_s + HR_STALE_S]
    assert early and late
    assert all(e.hr_bpm is not None for e in early)
    assert all(e.hr_bpm is None for e in late)


# ------------------------------------------------------------------ finding 4: connected, silent
def test_a_belt_that_sends_nothing_beside_a_strap_is_said_and_summarised(tmp_path: Path) -> None:
    """Review: a belt that connected but never streamed was never mentioned."""
    wall_ns = time.time_ns()
    header = _header(wall_ns, belt=True)
    items = _hr_packets(wall_ns, 30.0, rr=True)
    pipeline = Pipeline(header)
    statuses = _statuses(pipeline.handle(items))
    message = "the belt is connected but sends no data: check it is switched on and worn"
    assert statuses == [(SILENT_SAY_S, message)]
    summary = pipeline.summary(30.0)
    assert summary["sensors_silent"] == ["belt"]
    assert "sensor: the belt was connected but sent no data" in format_summary(summary)


def test_a_lone_silent_sensor_is_said_live_and_in_replay_alike(tmp_path: Path) -> None:
    """A lone belt that sends nothing brings no item: live says it from the timer
    (``catch_up``), a replay at its end (``finish``); the same line at the same time. Its
    recording holds only the belt's command replies, and the history says that, not that it
    never connected."""
    wall_ns = time.time_ns()
    source = SourceInfo("ble", "GDX-RB", "F4:60:77:00:00:03", {"gdx": GDX})
    header = Header(START_NS, wall_ns, source, {})
    reply = RawPacket(START_NS - 1000, wall_ns, Stream.GODIRECT, bytes.fromhex("980701b81afe00"))
    live = Pipeline(header)
    live_events = live.handle([reply]) + live.catch_up(START_NS + 5 * NS_PER_S)
    assert _statuses(live_events) == []
    live_events += live.catch_up(START_NS + 11 * NS_PER_S) + live.finish(START_NS + 30 * NS_PER_S)
    replay = Pipeline(header)
    replay_events = replay.handle([reply]) + replay.finish(START_NS + 30 * NS_PER_S)
    assert _statuses(live_events) == _statuses(replay_events)
    assert [m for _, m in _statuses(live_events)] == [
        "the belt is connected but sends no data: check it is switched on and worn"
    ]
    assert live.summary(30.0)["sensors_silent"] == ["belt"]

    path = _write(tmp_path / "silent.bwr", header, [reply], 30.0)
    db = tmp_path / "h.sqlite3"
    assert hist.not_in_history(tmp_path, db_path=db) == []
    with pytest.raises(hist.NoSensorData) as info:
        hist.add_recording(path, db_path=db)
    text = info.value.user_message()
    assert "never connected" not in text
    assert "the belt connected but sent no data" in text


def test_a_session_shorter_than_the_wait_says_nothing_of_silence() -> None:
    """No status line before SILENT_SAY_S, and no "sent no data" in the summary either: a
    session quit in its first second named a healthy strap silent beside the history's "the
    session ended before its first data" (review 7, finding 5)."""
    source = SourceInfo("ble", "GDX-RB", "F4:60:77:00:00:03", {"gdx": GDX})
    pipeline = Pipeline(Header(START_NS, 0, source, {}))
    assert _statuses(pipeline.finish(START_NS + 5 * NS_PER_S)) == []
    assert pipeline.summary(5.0)["sensors_silent"] == []
    assert pipeline.summary(SILENT_SAY_S)["sensors_silent"] == ["belt"]


# ------------------------------------------------------------------ finding 7: unreadable packets
def test_unreadable_packets_are_named_in_the_summary() -> None:
    """Review: 113 of 619 belt packets unreadable, 0 breaths, and the summary said nothing."""
    summary = {"packets": {"gdx": 619}, "decode_errors": {"gdx": 113}, "duration_s": 60.0}
    assert sensor_loss_text(summary) == "113 of 619 belt packets could not be read"  # type: ignore[arg-type]
    assert "sensor: 113 of 619 belt packets could not be read" in format_summary(summary)  # type: ignore[arg-type]
    # One corrupt notification in a long session is noise, not worth a line.
    quiet = {"packets": {"hr": 3600}, "decode_errors": {"hr": 1}}
    assert sensor_loss_text(quiet) is None  # type: ignore[arg-type]


def test_a_belt_with_one_packet_in_five_cut_off_still_gives_its_breaths() -> None:
    """Review: each packet cut off by the next (its counter value gone) reset the trust in the
    belt's packet counter, so with one in five cut the lost samples were never bridged, the
    tracker restarted every few seconds and no breath came (0 of 11 in 120 s). A step of one
    more per unread packet now counts as the counter counting packets."""
    from dataclasses import replace

    header, items, _ = simulated_items(120.0)
    clean = sum(isinstance(e, BreathEvent) for e in Pipeline(header).handle(items))
    cut: list[Item] = []
    belt_packets = 0
    for item in items:
        if isinstance(item, RawPacket) and item.stream == Stream.GODIRECT:
            belt_packets += 1
            if belt_packets % 5 == 0:
                item = replace(item, payload=item.payload[:3])  # its length says more follows
        cut.append(item)
    pipeline = Pipeline(header)
    breaths = sum(isinstance(e, BreathEvent) for e in pipeline.handle(cut))
    assert pipeline.decode_errors[Stream.GODIRECT] == belt_packets // 5
    assert clean >= 10 and breaths >= clean - 1


def test_the_report_of_a_strap_without_rr_shows_its_heart_rate(tmp_path: Path) -> None:
    """The report's heart table gives the rate the strap reported, marked as its own."""
    from trainer.reports.report import report_figure
    from trainer.reports.session_analysis import analyse_recording

    wall_ns = time.time_ns()
    header = _header(wall_ns, belt=False)
    path = _write(tmp_path / "hr-only.bwr", header, _hr_packets(wall_ns, 90.0), 90.0)
    analysis = analyse_recording(path)
    assert analysis.metrics()["mean_hr_bpm"] == 67.0
    fig = report_figure(analysis)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("67.0 bpm (strap's own)") == 2
