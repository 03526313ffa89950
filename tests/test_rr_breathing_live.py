"""Breathing from RR intervals alone in live and replayed sessions: pipeline, selector, the
coach's word on the pace, headless output, and ``breathwise live --device sim-hr`` end to end in
compressed time."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from program_runs import FakeClock, no_sleep
from rich.text import Text
from simulated_sessions import START_NS, simulated_items

import devices.sim
import trainer.cli.session
from analysis.rr_breath import USABLE_QUALITY
from devices.heart_rate import RR_UNITS_PER_S, encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.sim import PersonModel, SimulatedSource
from devices.source import SourceInfo
from trainer.cli.app import run
from trainer.coaching.coach import CUE_FASTER, CUE_ON_PACE, CUE_SLOWER
from trainer.coaching.pacer import BreathPattern
from trainer.reports.session_analysis import analyse_recording
from trainer.session.events import BreathEvent, BreathRateEvent, Event, PaceEvent, StatusEvent
from trainer.session.live_replay import LiveSession, SessionPlan
from trainer.session.pipeline import PACE_MIN_QUALITY, RR_STEP_S, Pipeline
from trainer.storage.recording import Header, Item, PacerChange, read_recording
from trainer.ui.headless import RATE_LINE_EVERY_S, RateLines, format_pace, format_summary
from trainer.ui.screen import render_metrics
from trainer.ui.state import SessionState

SEED = 20260601
PACED_BPM = 6.0


def _strap_items(
    duration_s: float,
    *,
    rate_bpm: float = PACED_BPM,
    ectopic_at_s: tuple[float, ...] = (),
    rsa_bpm: float = 6.0,
    jitter_seed: int | None = None,
) -> tuple[Header, list[Item]]:
    """A plain heart-rate strap's packets for synthetic beats with RSA at ``rate_bpm``.

    Heart rate ``62 + rsa_bpm sin(2 pi f t)`` beats/min, ``f = rate_bpm / 60``, integrated beat
    by beat (with ``jitter_seed``, plus a random 3 beats/min per beat); premature beats (65 % of
    the interval, then a compensatory pause) at ``ectopic_at_s``. One notification a second
    carries the RR intervals of the beats since the previous one. The pacer runs at 6/min.
    """
    f_hz = rate_bpm / 60.0
    t, beats = 0.0, []
    pending = sorted(ectopic_at_s)
    jitter = np.random.default_rng(jitter_seed) if jitter_seed is not None else None
    while t < duration_s:
        hr = 62.0 + rsa_bpm * math.sin(2 * math.pi * f_hz * t)
        if jitter is not None:
            hr += 3.0 * jitter.standard_normal()
        rr_s = 60.0 / hr
        if pending and t + rr_s > pending[0]:
            pending.pop(0)
            beats += [t + 0.65 * rr_s, t + 2.0 * rr_s]
            t += 2.0 * rr_s
            continue
        t += rr_s
        beats.append(t)
    ticks = [round(b * RR_UNITS_PER_S) for b in beats]
    header = Header(START_NS, 0, SourceInfo("test", "strap", streams={Stream.HEART_RATE.value: {}}))
    items: list[Item] = [PacerChange(START_NS, 0, "set", BreathPattern.from_rate(6, 2).to_dict())]
    k = 1
    for second in range(1, int(duration_s) + 1):
        rr: list[int] = []
        while k < len(beats) and beats[k] <= second:
            rr.append(ticks[k] - ticks[k - 1])
            k += 1
        payload = encode_heart_rate_measurement(60, rr, contact=True)
        t_ns = START_NS + second * NS_PER_S
        items.append(RawPacket(t_ns, t_ns, Stream.HEART_RATE.value, payload))
    return header, items


def _rates(events: list[Event]) -> list[BreathRateEvent]:
    return [e for e in events if isinstance(e, BreathRateEvent)]


def test_a_strap_alone_gives_breath_rates_from_the_heart_rhythm() -> None:
    header, items = _strap_items(240.0, ectopic_at_s=(80.0, 150.0))
    pipeline = Pipeline(header)
    events = pipeline.handle(items)
    rates = _rates(events)
    assert not any(isinstance(e, BreathEvent) for e in events)
    # One estimate per RR_STEP_S once a whole 64 s window has beats.
    assert 64.0 <= rates[0].t_s <= 64.0 + 2 * RR_STEP_S
    assert len(rates) >= (240.0 - 80.0) / RR_STEP_S
    assert {e.source for e in rates} == {"rr"}
    assert max(abs(e.rate_bpm - PACED_BPM) for e in rates) < 0.3
    assert all(0.0 < e.quality <= 0.7 for e in rates)  # RR quality is weighted by 0.7
    assert all(e.estimate_t_s == e.t_s for e in rates)
    # A short session showed no rate at all and said nothing: it now says what it waits for.
    notes = [e for e in events if isinstance(e, StatusEvent)]
    assert [(n.t_s, n.message) for n in notes] == [
        (2.0, "breath rate from the heart rhythm: the first reading needs about 64 s of beats")
    ]
    summary = pipeline.summary()
    assert summary["breath_source"] == "rr"
    assert summary["breaths"] == 0
    assert summary["median_rate_bpm"] == pytest.approx(PACED_BPM, abs=0.2)
    assert summary["rr_rate_bpm"] == summary["median_rate_bpm"]


def test_ectopic_beats_are_corrected_before_the_spectrum() -> None:
    clean_header, clean = _strap_items(200.0, rate_bpm=5.0)
    header, ectopic = _strap_items(200.0, rate_bpm=5.0, ectopic_at_s=tuple(range(70, 200, 9)))
    expected = _rates(Pipeline(clean_header).handle(clean))
    got = _rates(Pipeline(header).handle(ectopic))
    assert [e.t_s for e in got] == [e.t_s for e in expected]
    # A premature beat every 9 s: without correction each one is a spike in the heart rate.
    assert max(abs(a.rate_bpm - b.rate_bpm) for a, b in zip(got, expected, strict=True)) < 0.2


def test_any_chunking_gives_the_same_events() -> None:
    rng = random.Random(SEED)
    print(f"chunking seed {SEED}")
    header, items = _strap_items(150.0, ectopic_at_s=(100.0,))
    batched = Pipeline(header).handle(items)
    one = Pipeline(header)
    singly = [e for item in items for e in one.handle((item,))]
    chunked_pipeline = Pipeline(header)
    chunked: list[Event] = []
    i = 0
    while i < len(items):
        n = rng.randint(1, 40)
        chunked += chunked_pipeline.handle(items[i : i + n])
        i += n
    assert repr(singly) == repr(batched) == repr(chunked)
    assert _rates(batched)


def test_a_zero_rr_interval_is_reported_not_fatal() -> None:
    header, items = _strap_items(20.0)
    bad = encode_heart_rate_measurement(60, [0, 1024], contact=True)
    t_ns = START_NS + 21 * NS_PER_S
    pipeline = Pipeline(header)
    events = pipeline.handle([*items, RawPacket(t_ns, t_ns, Stream.HEART_RATE.value, bad)])
    assert any(isinstance(e, StatusEvent) and e.kind == "decode" for e in events)
    assert pipeline.decode_errors[Stream.HEART_RATE.value] == 1
    assert pipeline.beats[-1].rr_ms == 1000.0  # the good interval of that packet is kept


def test_with_a_belt_the_belt_wins_and_the_heart_rhythm_takes_over_when_it_stops() -> None:
    header, items, _ = simulated_items(300.0, seed=3)
    belt_stops_ns = START_NS + 150 * NS_PER_S
    # The belt falls off after 150 s; the strap keeps sending.
    kept = [
        i
        for i in items
        if not (
            isinstance(i, RawPacket) and i.stream == Stream.GODIRECT and i.t_mono_ns > belt_stops_ns
        )
    ]
    pipeline = Pipeline(header)
    events = pipeline.handle(kept)
    rates = _rates(events)
    before = [e for e in rates if e.t_s < 150.0]
    assert before and {e.source for e in before} == {"belt"}
    # With a belt there is no wait for the heart rhythm to tell of.
    assert not any("first reading" in e.message for e in events if isinstance(e, StatusEvent))
    # An estimate older than the selector's 30 s is stale: the heart rhythm answers after that.
    after = [e for e in rates if e.t_s > 190.0]
    assert after and {e.source for e in after} == {"rr"}
    assert all(abs(e.rate_bpm - PACED_BPM) < 0.5 for e in after)
    state = SessionState()
    state.apply(events)
    assert state.rate_source == "rr" and state.rate_source_label == "heart rhythm"
    assert state.rate_bpm == after[-1].rate_bpm
    # Over the whole session the belt's mean quality is still the better one.
    assert pipeline.summary()["breath_source"] == "belt"


def test_rate_lines_come_on_change_or_every_30_s() -> None:
    def event(t_s: float, rate: float, source: str = "rr") -> BreathRateEvent:
        return BreathRateEvent(t_s, rate, 0.4, source, t_s)

    lines = RateLines()
    stream = [
        event(70, 6.0),  # first: printed
        event(80, 6.2),
        event(90, 5.8),
        event(100, 6.0),  # 30 s after the last line: printed
        event(110, 6.6),  # moved 0.6: printed
        event(120, 6.3),
        event(125, 6.3, "belt"),  # the belt answers: no line, the run ends
        event(130, 6.3),  # the heart rhythm answers again: printed at once
    ]
    printed = [e.t_s for e in stream if lines.line(e) is not None]
    assert printed == [70, 100, 110, 130]
    assert RATE_LINE_EVERY_S == 30.0
    line = RateLines().line(event(70, 5.94))
    assert line == "rate at    70.0 s   5.9 breaths/min  from heart rhythm (rr)  quality 0.40"
    weak = RateLines().line(BreathRateEvent(70, 24.3, 0.05, "rr", 70))
    assert weak is not None and weak.endswith("quality 0.05  unclear")


def test_summary_line_names_the_source() -> None:
    text = format_summary({"duration_s": 180.0, "median_rate_bpm": 5.96, "breath_source": "rr"})
    assert "median rate 6.0/min (from rr)" in text.splitlines()[-1]
    assert "(from -)" in format_summary({"duration_s": 10.0}).splitlines()[-1]
    assert ", 1 breath, " in format_summary({"duration_s": 10.0, "breaths": 1})
    assert ", 2 breaths, " in format_summary({"duration_s": 10.0, "breaths": 2})


def test_the_screen_shows_where_the_rate_comes_from() -> None:
    state = SessionState()
    text = render_metrics(state, None, 1.5).plain
    assert "from" in text and "heart rhythm" not in text
    state.apply([BreathRateEvent(70.0, 5.9, 0.3, "rr", 70.0)])
    shown = render_metrics(state, None, 1.5)
    assert isinstance(shown, Text)
    assert "5.9 /min" in shown.plain and "heart rhythm" in shown.plain


# ------------------------------------------------------------------ the coach on the pace alone


def _paces(events: list[Event]) -> list[PaceEvent]:
    return [e for e in events if isinstance(e, PaceEvent)]


def test_a_strap_alone_following_the_pacer_is_scored_on_its_pace() -> None:
    header, items = _strap_items(300.0)
    pipeline = Pipeline(header)
    events = pipeline.handle(items)
    paces = _paces(events)
    rates = _rates(events)
    # Every heart-rhythm rate whose window lies after the pacer's start is scored.
    assert [p.t_s for p in paces] == [r.t_s for r in rates if r.t_s >= 64.0]
    assert {p.target_rate_bpm for p in paces} == {PACED_BPM}
    assert all(p.feedback.follow_score >= 95 for p in paces)
    assert all(math.isnan(p.feedback.ratio_error) for p in paces)
    praise = [p.t_s for p in paces if p.feedback.cue]
    assert {p.feedback.cue for p in paces if p.feedback.cue} == {CUE_ON_PACE}
    assert praise[0] == paces[2].t_s and len(praise) >= 3
    assert all(b - a >= 48.0 for a, b in itertools.pairwise(praise))  # not a nag
    summary = pipeline.summary()
    score = summary["mean_follow_score"]
    assert summary["follow_basis"] == "pace" and score is not None and score >= 95
    practice, last = format_summary(summary).splitlines()
    assert f"follow {summary['mean_follow_score']:.0f}/100 (pace only)," in practice
    # Given once, on the practice line (the summary line repeated it, review 37 F8).
    assert "follow" not in last


@pytest.mark.parametrize(("rate", "cue"), [(8.0, CUE_SLOWER), (4.5, CUE_FASTER)])
def test_a_strap_alone_off_the_pace_is_told_which_way(rate: float, cue: str) -> None:
    header, items = _strap_items(300.0, rate_bpm=rate)
    events = Pipeline(header).handle(items)
    paces = _paces(events)
    assert paces and all(p.feedback.follow_score < 20 for p in paces)
    cues = [(p.t_s, p.feedback.cue) for p in paces if p.feedback.cue]
    # The first cue once three estimates agree; repeated only after a whole window.
    assert [c for _, c in cues] == [cue] * len(cues) and 2 <= len(cues) <= 4
    assert cues[0][0] == paces[2].t_s
    assert all(b[0] - a[0] >= 64.0 for a, b in itertools.pairwise(cues))
    state = SessionState()
    state.apply(events)
    assert state.cue == cue
    line = format_pace(paces[2])
    assert line.startswith(f"pace at {paces[2].t_s:7.1f} s  ") and line.endswith(cue)
    assert "pacer  6.0  follow" in line and "(pace only)" in line


def test_no_pace_score_across_a_pacer_change_or_a_pause() -> None:
    header, items = _strap_items(400.0)
    change_ns, pause_ns, resume_ns = (START_NS + s * NS_PER_S for s in (150, 300, 310))
    extra: list[Item] = [
        PacerChange(change_ns, 0, "set", BreathPattern.from_rate(6, 1.5).to_dict()),  # same rate
        PacerChange(pause_ns, 0, "pause", None),
        PacerChange(resume_ns, 0, "resume", None),
    ]
    merged = sorted([*items, *extra], key=lambda i: i.t_mono_ns)
    paces = _paces(Pipeline(header).handle(merged))
    times = [p.t_s for p in paces]
    # A new ratio at the same rate keeps the pace comparable; the pause does not.
    assert any(150.0 < t < 214.0 for t in times)
    assert not any(300.0 <= t < 310.0 + 64.0 for t in times)
    assert times[-1] >= 380.0


def test_a_new_rate_is_scored_once_a_whole_window_has_it() -> None:
    header, items = _strap_items(400.0)
    change_ns = START_NS + 150 * NS_PER_S
    merged = sorted(
        [*items, PacerChange(change_ns, 0, "set", BreathPattern.from_rate(5, 2).to_dict())],
        key=lambda i: i.t_mono_ns,
    )
    paces = _paces(Pipeline(header).handle(merged))
    assert not any(150.0 <= p.t_s < 214.0 for p in paces)
    later = [p for p in paces if p.t_s >= 214.0]
    # The strap still breathes at 6/min: 20 % faster than the new pacer.
    assert later and {p.target_rate_bpm for p in later} == {5.0}
    assert any(p.feedback.cue == CUE_SLOWER for p in later)


def test_a_weak_heart_rhythm_is_not_scored() -> None:
    header, items = _strap_items(300.0, rsa_bpm=0.0, jitter_seed=SEED)
    pipeline = Pipeline(header)
    events = pipeline.handle(items)
    assert _rates(events)  # the rate is still shown, with its (low) quality
    assert all(e.quality / 0.7 < PACE_MIN_QUALITY for e in _rates(events))
    assert not _paces(events)
    summary = pipeline.summary()
    assert summary["mean_follow_score"] is None and summary["follow_basis"] is None


def test_an_unclear_heart_rhythm_shows_no_rate() -> None:
    """Below USABLE_QUALITY the heart rhythm's "rate" is noise: the screen says so instead of
    showing a number. A sinus arrhythmia of 6 beats/min peak to trough half drowned in 3
    beats/min of white jitter per beat: 4 of 23 rates usable. (White jitter alone once read
    15-26 breaths/min at quality up to 0.34; the white-noise test of analysis.rr_breath now
    leaves none of it usable.)"""
    header, items = _strap_items(300.0, rsa_bpm=3.0, jitter_seed=SEED)
    rates = _rates(Pipeline(header).handle(items))
    low = [e for e in rates if e.quality < 0.7 * USABLE_QUALITY]
    high = [e for e in rates if e.quality >= 0.7 * USABLE_QUALITY]
    assert low and high
    state = SessionState()
    state.apply([low[0]])
    assert state.rate_bpm is None and state.rate_unclear
    shown = render_metrics(state, None, 1.5).plain
    assert "Breath rate    -  /min" in shown and "heart rhythm (unclear)" in shown
    state.apply([high[0]])
    assert state.rate_bpm == high[0].rate_bpm and not state.rate_unclear
    assert "heart rhythm (unclear)" not in render_metrics(state, None, 1.5).plain


def test_the_screen_shows_the_pace_score_only_beside_the_rate_it_judges() -> None:
    header, items = _strap_items(300.0, rate_bpm=8.0)
    pace = _paces(Pipeline(header).handle(items))[0]
    state = SessionState()
    state.apply([BreathRateEvent(60.0, 7.5, 0.4, "rr", 60.0)])
    assert "Follow         -  / 100\n" in render_metrics(state, None, 1.5).plain
    state.apply([BreathRateEvent(pace.t_s, pace.rate_bpm, 0.4, "rr", pace.t_s), pace])
    shown = render_metrics(state, None, 1.5).plain
    assert f"Follow       {pace.feedback.follow_score:4d} / 100  (pace only)" in shown
    # Three unscored estimates later the score is no longer about the rate on screen.
    state.apply([BreathRateEvent(pace.t_s + 40.0, 6.0, 0.1, "rr", pace.t_s + 40.0)])
    assert state.follow is None


def test_with_a_belt_the_coach_scores_breaths_not_the_pace() -> None:
    header, items, _ = simulated_items(240.0, seed=3)
    pipeline = Pipeline(header)
    events = pipeline.handle(items)
    assert not _paces(events)
    assert pipeline.summary()["follow_basis"] == "breaths"


# ------------------------------------------------------------------ live --device sim-hr, CLI


class _CompressedLive(LiveSession):
    """``LiveSession`` on a frozen clock: the simulated strap runs ahead as fast as it can."""

    clock = FakeClock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(clock_ns=self.clock, wall_ns=self.clock, sleep=no_sleep)
        super().__init__(*args, **kwargs)


def _compressed_source(
    real: type[SimulatedSource],
) -> Callable[..., SimulatedSource]:
    def make(*args: Any, **kwargs: Any) -> SimulatedSource:
        clock = _CompressedLive.clock
        return real(*args, **kwargs, clock=clock, wall_clock=clock, realtime=False)

    return make


@pytest.fixture
def compressed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """``breathwise live`` with the host clock frozen (as tests/test_session.py runs sessions)."""
    monkeypatch.setattr(_CompressedLive, "clock", FakeClock())
    monkeypatch.setattr(trainer.cli.session, "LiveSession", _CompressedLive)
    monkeypatch.setattr(devices.sim, "SimulatedSource", _compressed_source(SimulatedSource))


def test_live_sim_hr_headless_shows_rr_rates_and_replays_identically(
    compressed_time: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--device", "sim-hr", "--minutes", "3", "--rate", "6", "--headless"]
    code = run(["live", *args, "--no-sound", "--out", str(tmp_path), "--seed", "5"])
    live = capsys.readouterr()
    assert code == 0, live.err
    lines = live.out.splitlines()
    rate_lines = [line for line in lines if line.startswith("rate at ")]
    assert not any(line.startswith("breath ") for line in lines)  # no belt: no breath lines
    # From the first full window on, every printed rate is within 0.5/min of the pacer.
    times = [float(line.split()[2]) for line in rate_lines]
    rates = [float(line.split()[4]) for line in rate_lines]
    assert times and 64.0 <= times[0] <= 80.0 and times[-1] >= 150.0
    assert all(abs(r - 6.0) <= 0.5 for r in rates), rate_lines
    assert all("from heart rhythm (rr)" in line for line in rate_lines)
    # Not a flood: a 10 s estimate cadence, at most one line per estimate, mostly fewer.
    assert len(rate_lines) <= (180.0 - 64.0) / RR_STEP_S / 2
    # The coach judges the pace: praise for following the pacer, nothing to correct.
    pace_lines = [line for line in lines if line.startswith("pace at ")]
    assert pace_lines and all(line.endswith(CUE_ON_PACE) for line in pace_lines)
    assert "/100 (pace only)," in lines[-2]
    assert lines[-1].startswith("summary: 180 s, 0 breaths, median rate ")
    assert "(from rr, while paced)" in lines[-1]

    (path,) = tmp_path.glob("*.bwr")
    recording = read_recording(path)
    assert set(recording.header.source.streams) == {Stream.HEART_RATE.value}
    assert {p.stream for p in recording.packets} == {Stream.HEART_RATE.value}
    assert recording.summary is not None and recording.summary["breath_source"] == "rr"
    assert recording.summary["median_rate_bpm"] == pytest.approx(6.0, abs=0.3)

    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    assert capsys.readouterr().out == live.out

    # History, reports and batch read the session's numbers from the same analysis.
    metrics = analyse_recording(path).metrics()
    assert metrics["breath_source"] == "rr" and metrics["breaths"] == 0
    # RSA from the heart rhythm's own cycles: the simulated person's slow paced breathing
    # swings the heart rate by several beats per minute.
    rsa = metrics["rsa_bpm"]
    assert isinstance(rsa, float) and 3.0 < rsa < 30.0
    assert metrics["median_rate_bpm"] == pytest.approx(
        recording.summary["median_rate_bpm"], abs=0.3
    )


def test_sim_hr_is_documented_in_live_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["live", "--help"]) == 0
    assert "sim-hr" in " ".join(capsys.readouterr().out.split()).replace("sim- hr", "sim-hr")


def test_sim_hr_cannot_be_mixed_with_real_sensors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(["live", "--headless", "--out", str(tmp_path), "-d", "sim-hr", "-d", "H10"])
    assert code == 2 and "--device sim-hr --device H10: a simulator runs alone" in (
        capsys.readouterr().err
    )
    assert not list(tmp_path.glob("*.bwr"))


# ------------------------------------------------------------------ replay == live, in-process


async def _run_live(session: LiveSession, source: SimulatedSource) -> None:
    result = await session.run(source)
    assert result.error is None


def _in_process(tmp_path: Path, seed: int) -> tuple[list[Event], Path]:
    clock = FakeClock()
    events: list[Event] = []
    plan = SessionPlan(BreathPattern.from_rate(5.5, 2.0), duration_s=150.0)
    session = LiveSession(
        plan,
        out_dir=tmp_path,
        listeners=[events.extend],
        clock_ns=clock,
        wall_ns=clock,
        sleep=no_sleep,
    )
    source = SimulatedSource(
        PersonModel(seed=seed), session, clock=clock, wall_clock=clock, realtime=False, belt=False
    )
    asyncio.run(_run_live(session, source))
    (path,) = tmp_path.glob("*.bwr")
    return events, path


def test_replay_of_a_strap_session_reproduces_every_rate_event(tmp_path: Path) -> None:
    events, path = _in_process(tmp_path, seed=8)
    recording = read_recording(path)
    replayed = Pipeline(recording.header).handle(recording.items)
    live_rates = _rates(events)
    assert live_rates and repr(_rates(replayed)) == repr(live_rates)
    assert _paces(events) and repr(_paces(replayed)) == repr(_paces(events))
    rates = np.array([e.rate_bpm for e in live_rates])
    assert np.all(np.abs(rates - 5.5) <= 0.5), rates


def test_simulated_strap_sends_only_heart_rate_packets_of_the_same_heart() -> None:
    person = PersonModel(seed=12)
    with_belt = devices.sim.SimulatedSensor(person, None, start_mono_ns=0, start_wall_ns=0)
    strap = devices.sim.SimulatedSensor(person, None, start_mono_ns=0, start_wall_ns=0, belt=False)
    packets = strap.packets_until(60 * NS_PER_S)
    reference = with_belt.packets_until(60 * NS_PER_S)
    assert packets == [p for p in reference if p.stream == Stream.HEART_RATE]
    assert len(packets) == 60
    assert strap.truth_beats_s == with_belt.truth_beats_s
    assert list(strap.info.streams) == [Stream.HEART_RATE.value]
    assert replace(strap.info, name="x", streams={}) == replace(
        with_belt.info, name="x", streams={}
    )


def test_a_report_of_a_strap_alone_reads_no_breathing_from_a_rhythm_without_it() -> None:
    """Independent intervals (atrial fibrillation): the session analysis fed corrected beats to
    the breathing windows, the correction smoothed them into something not white, and the
    report showed 92-121 'breathing cycles' and an RSA of 5-9 beats/min for 5 of 6 seeds."""
    from trainer.reports.session_analysis import heart_metrics

    for seed in range(6):
        rng = np.random.default_rng(seed)
        s2 = math.log(1 + (150 / 700) ** 2)
        rr = rng.lognormal(math.log(700) - s2 / 2, math.sqrt(s2), 600)
        rr = rr[np.cumsum(rr) < 300_000]
        heart = heart_metrics(np.cumsum(rr) / 1000.0, rr, [])
        assert heart.rsa_t_s.size == 0 and heart.mean_rsa_bpm is None
