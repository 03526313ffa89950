"""A breath whose exhale:inhale ratio was not measured (inhale clamped to zero: ratio inf).

Such a breath is "uncertain" (analysis.breath); its ratio must not reach a mean, a target
comparison, a score or a cue (analysis.breath_variability.ratio_measured).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from test_coach import FOUR_EIGHT, cues, make_breath

from analysis.breath import Breath
from analysis.breath_variability import measured_ratios, ratio_measured
from devices.godirect import encode_godirect_measurement
from devices.packets import RawPacket, Stream
from devices.source import SourceInfo
from trainer.coaching.coach import CUE_IN_RHYTHM, Coach
from trainer.coaching.pacer import Pacer
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.session.events import BreathEvent
from trainer.session.pipeline import Pipeline
from trainer.storage.recording import Header, write_recording
from trainer.ui.state import SessionState

FS_HZ = 20.0
PERIOD_US = 50_000


def _unmeasured(onset_s: float) -> Breath:
    breath = make_breath(onset_s, 4.0, 8.0, quality="uncertain")
    return dataclasses.replace(breath, ratio=math.inf)


def test_ratio_measured_and_measured_ratios() -> None:
    assert [ratio_measured(r) for r in (2.0, math.inf, math.nan, 0.0, -1.0)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    breaths = [make_breath(0.0, 4.0, 8.0), _unmeasured(12.0), make_breath(24.0, 4.0, 6.0)]
    assert measured_ratios(breaths) == [2.0, 1.5]


def test_paced_breath_with_no_ratio_is_not_scored_and_does_not_fill_the_window() -> None:
    """It scored 90 ("uncertain", the ratio term skipped) and counted towards praise."""
    pacer, coach = Pacer(FOUR_EIGHT), Coach(min_cue_interval_s=0.0)
    fb = [coach.assess(make_breath(t, 4.0, 8.0), pacer) for t in (0.0, 12.0)]
    odd = coach.assess(_unmeasured(24.0), pacer)
    assert not odd.scored and odd.cue is None and math.isnan(odd.ratio_error)
    assert odd.rate_error_bpm == pytest.approx(0.0)
    # The window needs three judged breaths: praise waits for the third measured one.
    third = coach.assess(make_breath(36.0, 4.0, 8.0), pacer)
    assert all(f.scored for f in fb) and third.scored
    assert cues([*fb, odd]) == [] and third.cue == CUE_IN_RHYTHM


def test_own_rhythm_breaths_with_no_ratio_are_never_praised() -> None:
    """A sawtooth belt (instant inhales) heard "Lovely long out-breath" and scored 90."""
    coach = Coach(min_cue_interval_s=0.0)
    fb = [coach.assess_own_rhythm(_unmeasured(i * 12.0), 1.2) for i in range(8)]
    assert cues(fb) == []
    assert not any(f.scored for f in fb)


def _belt_packets(values: np.ndarray) -> list[RawPacket]:
    packets = []
    for i, v in enumerate(values):
        t_ns = (i + 1) * PERIOD_US * 1000
        payload = encode_godirect_measurement([[float(v)]], [1], i & 0xFF)
        packets.append(RawPacket(t_ns, t_ns, Stream.GODIRECT.value, payload))
    return packets


def test_session_mean_ratio_leaves_out_unmeasured_ratios() -> None:
    """One inf ratio made the session's mean ratio inf (shown as '-')."""
    t = np.arange(round(150 * FS_HZ)) / FS_HZ
    saw = 1.0 - (t % 5.0) / 5.0  # instant rises: ratio inf
    sine = np.sin(2 * np.pi * 6.0 / 60.0 * t)
    streams = {Stream.GODIRECT.value: {"period_us": PERIOD_US, "force_channel": 1}}
    pipeline = Pipeline(Header(0, 0, SourceInfo("ble", "GDX-RB", streams=streams)))
    events = pipeline.handle(_belt_packets(np.concatenate([saw, sine])))
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    unmeasured = [e for e in breaths if not ratio_measured(e.breath.ratio)]
    measured = [e for e in breaths if ratio_measured(e.breath.ratio)]
    assert len(unmeasured) >= 20 and len(measured) >= 10
    assert not any(e.scored for e in unmeasured)
    good = [e.breath.ratio for e in measured if e.breath.quality == "good"]
    summary = pipeline.summary()
    assert summary["mean_ratio"] == pytest.approx(np.mean(good), abs=0.01)
    # The screen's ratio, a median of the last few, skips them too.
    state = SessionState()
    state.apply([*measured[-3:], *unmeasured[-3:]])
    assert state.ratio == pytest.approx(np.median([e.breath.ratio for e in measured[-3:]]))


def test_session_mean_ratio_is_of_the_good_breaths() -> None:
    """Found in review: one uncertain breath on a slipping belt read as 0.1 s in and 5.8 s out
    (ratio 47.9) made a session's mean ratio 3.03 where its good breaths' mean was 1.32. Uncertain
    breaths count only when none is good."""
    t = np.arange(round(180 * FS_HZ)) / FS_HZ
    streams = {Stream.GODIRECT.value: {"period_us": PERIOD_US, "force_channel": 1}}
    pipeline = Pipeline(Header(0, 0, SourceInfo("ble", "GDX-RB", streams=streams)))
    pipeline.handle(_belt_packets(np.sin(2 * np.pi * 6.0 / 60.0 * t)))
    events = pipeline.breaths
    good = [e for e in events if e.breath.quality == "good"]
    assert len(good) >= 10
    odd = dataclasses.replace(
        good[5].breath, quality="uncertain", inhale_s=0.1, exhale_s=5.8, ratio=58.0
    )
    events[events.index(good[5])] = dataclasses.replace(good[5], breath=odd)
    kept = [e.breath.ratio for e in events if e.breath.quality == "good"]
    assert pipeline.summary()["mean_ratio"] == pytest.approx(np.mean(kept))
    assert np.mean(kept) < 1.2
    # With no good breath at all, the uncertain ones are what there is.
    for k, e in enumerate(events):
        doubtful = dataclasses.replace(e.breath, quality="uncertain")
        events[k] = dataclasses.replace(e, breath=doubtful)
    everything = [e.breath.ratio for e in events]
    assert pipeline.summary()["mean_ratio"] == pytest.approx(np.mean(everything))
    assert np.mean(everything) > 2.0


def _saw_then_sine(tmp_path: Path) -> Path:
    """A recorded belt: 4 min of instant rises (ratio inf), then 4 min of 6/min sine."""
    t = np.arange(round(240 * FS_HZ)) / FS_HZ
    saw = 1.0 - (t % 5.0) / 5.0
    sine = np.sin(2 * np.pi * 6.0 / 60.0 * t)
    values = np.concatenate([saw, sine])
    start_ns, wall_ns = 10**12, 1_760_000_000 * 10**9
    items = [
        RawPacket(start_ns + p.t_mono_ns, wall_ns + p.t_mono_ns, p.stream, p.payload)
        for p in _belt_packets(values)
    ]
    gdx = {"period_us": PERIOD_US, "force_channel": 1}
    header = Header(start_ns, wall_ns, SourceInfo("ble", "belt", "", {"gdx": gdx}, {}), {})
    end_ns = round(values.size / FS_HZ * 1e9)
    path = tmp_path / "saw.bwr"
    write_recording(
        path, header, items, None, end_mono_ns=start_ns + end_ns, end_wall_ns=wall_ns + end_ns
    )
    return path


def test_recorded_session_mean_ratio_leaves_out_unmeasured_ratios(tmp_path: Path) -> None:
    """The history and report's mean ratio (SessionAnalysis.metrics) was inf as well."""
    path = _saw_then_sine(tmp_path)
    analysis = analyse_recording(path)
    ratios = [e.breath.ratio for e in analysis.good_breaths]
    assert any(not ratio_measured(r) for r in ratios)
    mean = analysis.metrics()["mean_ratio"]
    assert mean == pytest.approx(
        np.mean(measured_ratios(e.breath for e in analysis.good_breaths)), abs=0.01
    )


def test_the_report_draws_no_unmeasured_ratio(tmp_path: Path) -> None:
    """The ratio panel drew an unmeasured (inf) ratio at the scale's top, 5, as a breath."""
    analysis = analyse_recording(_saw_then_sine(tmp_path))
    figure = report_figure(analysis)
    (panel,) = [ax for ax in figure.axes if ax.get_title(loc="left") == "Exhale:inhale ratio"]
    (points,) = [line for line in panel.get_lines() if line.get_label() == "each breath"]
    drawn = np.asarray(points.get_ydata(), dtype=float)
    expected = measured_ratios(e.breath for e in analysis.good_breaths)
    assert len(expected) < len(analysis.good_breaths)  # some were not measured
    assert drawn.size == len(expected)
    assert drawn == pytest.approx(np.clip(expected, 0.0, 5.0))
