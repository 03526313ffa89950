"""Tests for analysis.beats: beat times rebuilt from RR notifications, and heart rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from analysis.beats import (
    Beat,
    BeatTimeline,
    HeartRateTracker,
    heart_rate_bpm,
    instantaneous_heart_rate,
)

SEED = 8675309


def _session(
    rr_ms: np.ndarray, report_delay_s: np.ndarray, every_s: float = 1.0
) -> tuple[np.ndarray, list[tuple[float, list[float]]]]:
    """True beat times and the notifications a strap would send for them.

    Beat ``i`` ends RR ``i``; beats are reported in notifications sent every ``every_s`` (the
    beats since the previous one), each arriving ``report_delay_s[k]`` after it was due.
    """
    beat_t = 10.0 + np.cumsum(rr_ms) / 1000.0
    notes: list[tuple[float, list[float]]] = []
    due = 10.0 + every_s
    i = 0
    k = 0
    while i < beat_t.size:
        batch = []
        while i < beat_t.size and beat_t[i] <= due:
            batch.append(float(rr_ms[i]))
            i += 1
        if batch:
            arrival = due + float(report_delay_s[k % report_delay_s.size])
            if notes:  # a link delivers notifications in order
                arrival = max(arrival, notes[-1][0])
            notes.append((arrival, batch))
            k += 1
        due += every_s
    return beat_t, notes


def _run(timeline: BeatTimeline, notes: list[tuple[float, list[float]]]) -> list[Beat]:
    beats: list[Beat] = []
    for t, rr in notes:
        new = timeline.update(t, rr)
        assert len(new) == len(rr)
        assert all(b.t_s <= t for b in new)  # never reported before it arrived
        beats += new
    return beats


def test_first_notification_anchors_its_last_beat_at_arrival() -> None:
    tl = BeatTimeline()
    beats = tl.update(100.0, [800.0, 900.0, 1000.0])
    assert [b.rr_ms for b in beats] == [800.0, 900.0, 1000.0]
    assert [b.t_s for b in beats] == pytest.approx([98.1, 99.0, 100.0])
    assert tl.anchors == 1 and tl.last_beat_s == 100.0


def test_later_beats_follow_the_rr_clock_not_arrival_jitter() -> None:
    rng = np.random.default_rng(1)
    rr = rng.uniform(700, 1100, 300)
    delay = rng.uniform(0.02, 0.3, 50)  # BLE latency on top of the wait for the next report
    truth, notes = _session(rr, delay)
    tl = BeatTimeline()
    beats = _run(tl, notes)
    assert tl.anchors == 1
    t = np.array([b.t_s for b in beats])
    # How late each notification arrived after its last beat really happened.
    ends = np.cumsum([len(batch) for _, batch in notes]) - 1
    report_lag = np.array([a for a, _ in notes]) - truth[ends]
    offset = t - truth
    # The clock starts late by the first notification's lag and is pulled down to the
    # shortest lag seen, never below the true beat times.
    assert offset[0] == pytest.approx(report_lag[0], abs=1e-9)
    assert offset.min() >= -1e-9
    assert offset[-1] == pytest.approx(report_lag.min(), abs=1e-9)
    np.testing.assert_allclose(np.diff(t)[-100:], rr[-100:] / 1000.0, atol=1e-9)


def test_beats_stay_in_order_after_a_late_anchor() -> None:
    tl = BeatTimeline()
    tl.update(10.5, [300.0])
    late = tl.update(13.0, [300.0, 300.0])  # 2 s late: re-anchored at 13.0
    assert tl.anchors == 2 and late[-1].t_s == 13.0
    # The next report arrives at the same time although its beats came 0.6 s later: they
    # cannot go after the arrival nor before the previous beat.
    squeezed = tl.update(13.2, [300.0, 300.0])
    assert [b.t_s for b in squeezed] == pytest.approx([13.1, 13.2])
    assert tl.clamps == 1


def test_clock_running_ahead_is_clamped_to_arrival() -> None:
    # RR values 2 % longer than the real intervals (a slow sensor clock): the summed clock
    # runs ahead of arrivals and must be held back.
    real_rr = np.full(120, 800.0)
    truth, notes = _session(real_rr, np.array([0.3]))
    notes = [(t, [r * 1.02 for r in rr]) for t, rr in notes]
    tl = BeatTimeline()
    beats = _run(tl, notes)
    assert tl.clamps > 0
    assert tl.anchors == 1
    assert abs(beats[-1].t_s - (truth[-1] + 0.3)) < 0.5


def test_lost_notification_reanchors() -> None:
    rr = np.full(200, 1000.0)
    truth, notes = _session(rr, np.array([0.2]))
    # Drop 5 notifications (5 beats, 5 s of RR): the summed clock falls 5 s behind.
    kept = notes[:50] + notes[55:]
    tl = BeatTimeline(max_drift_s=1.5)
    beats = _run(tl, kept)
    assert tl.anchors == 2
    t = np.array([b.t_s for b in beats])
    after = t[50:]
    np.testing.assert_allclose(after, truth[55:] + 0.2, atol=1e-9)


def test_small_loss_within_drift_is_not_reanchored() -> None:
    rr = np.full(100, 1000.0)
    truth, notes = _session(rr, np.array([0.1]))
    kept = notes[:30] + notes[31:]  # one beat lost: 1.1 s lag, below 1.5 s
    tl = BeatTimeline(max_drift_s=1.5)
    beats = _run(tl, kept)
    assert tl.anchors == 1
    t = np.array([b.t_s for b in beats])
    # Beats after the loss stay a beat early (the documented cost of trusting RR sums).
    np.testing.assert_allclose(t[30:], truth[31:] + 0.1 - 1.0, atol=1e-9)


def test_empty_notifications_change_nothing() -> None:
    tl = BeatTimeline()
    assert tl.update(1.0, []) == []
    assert tl.last_beat_s is None
    tl.update(2.0, [1000.0])
    assert tl.update(2.5, []) == []
    assert tl.update(3.1, [1000.0]) == [Beat(3.0, 1000.0)]


def test_rejects_bad_input() -> None:
    tl = BeatTimeline()
    tl.update(5.0, [900.0])
    with pytest.raises(ValueError, match="arrival times must not go backwards"):
        tl.update(4.0, [900.0])  # arrival going backwards
    for bad in ([0.0], [-5.0], [math.nan], [math.inf]):
        with pytest.raises(ValueError, match="RR intervals must be positive and finite"):
            tl.update(6.0, bad)
    with pytest.raises(ValueError, match="t_arrival_s must be finite"):
        tl.update(math.nan, [900.0])
    with pytest.raises(ValueError, match="max_drift_s must be positive"):
        BeatTimeline(max_drift_s=0.0)


@seed(SEED)
@settings(max_examples=60, deadline=None)
@given(
    rr=st.lists(st.floats(300.0, 2000.0), min_size=1, max_size=60),
    delays=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=10),
    every_s=st.floats(0.5, 2.0),
)
def test_beats_never_precede_arrival_and_keep_rr_order(
    rr: list[float], delays: list[float], every_s: float
) -> None:
    print(f"hypothesis seed {SEED}, rr={rr}, delays={delays}, every_s={every_s}")
    _, notes = _session(np.array(rr), np.array(delays), every_s)
    tl = BeatTimeline()
    beats = _run(tl, notes)
    assert [b.rr_ms for b in beats] == [r for _, batch in notes for r in batch]
    times = [b.t_s for b in beats]
    assert times == sorted(times)


def test_heart_rate_bpm() -> None:
    assert heart_rate_bpm([1000.0] * 5) == pytest.approx(60.0)
    # 60000 / mean, not the mean of instantaneous rates (which would be 90).
    assert heart_rate_bpm([500.0, 1000.0]) == pytest.approx(80.0)
    for bad, reason in (
        ([], r"non-empty 1-D sequence, got shape \(0,\)"),
        ([0.0, 800.0], "positive and finite"),
        ([math.nan], "positive and finite"),
        ([[800.0]], r"non-empty 1-D sequence, got shape \(1, 1\)"),
    ):
        with pytest.raises(ValueError, match=reason):
            heart_rate_bpm(bad)


def test_heart_rate_tracker_windows() -> None:
    hr = HeartRateTracker(n_beats=4)
    assert hr.hr_bpm is None
    assert hr.update([]) is None
    beats = [Beat(float(i), 1000.0) for i in range(1, 6)]
    assert hr.update(beats) == pytest.approx(60.0)
    assert hr.update([Beat(5.5, 500.0), Beat(6.0, 500.0)]) == pytest.approx(80.0)

    timed = HeartRateTracker(n_beats=100, window_s=3.0)
    timed.update([Beat(1.0, 1000.0), Beat(2.0, 1000.0)])
    # After a link gap only the beats within 3 s of the latest count.
    assert timed.update([Beat(20.0, 500.0), Beat(20.5, 500.0)]) == pytest.approx(120.0)
    with pytest.raises(ValueError, match="n_beats must be >= 1"):
        HeartRateTracker(n_beats=0)
    with pytest.raises(ValueError, match="window_s must be positive"):
        HeartRateTracker(window_s=-1.0)


@pytest.mark.parametrize(
    "bad", [Beat(1.0, 0.0), Beat(1.0, -800.0), Beat(1.0, math.nan), Beat(math.inf, 800.0)]
)
def test_heart_rate_tracker_refuses_a_bad_interval(bad: Beat) -> None:
    """A zero interval raised ZeroDivisionError and a negative one gave -75 beats/min."""
    hr = HeartRateTracker(n_beats=4)
    hr.update([Beat(0.5, 1000.0)])
    with pytest.raises(ValueError, match="positive and finite"):
        hr.update([bad])
    assert hr.hr_bpm == pytest.approx(60.0)


def test_instantaneous_heart_rate_sits_at_interval_midpoints() -> None:
    t_mid, hr, kept = instantaneous_heart_rate([1.0, 1.5, 2.5], [1000.0, 500.0, 1000.0])
    assert t_mid.tolist() == [0.5, 1.25, 2.0]
    assert hr.tolist() == [60.0, 120.0, 60.0]
    assert kept.all()
    # A beat clamped 10 ms after the one before, its interval 60 ms longer: its midpoint falls
    # behind the previous one and is dropped, so the times stay increasing.
    t_mid, hr, kept = instantaneous_heart_rate([1.0, 1.01, 2.0], [900.0, 960.0, 990.0])
    assert kept.tolist() == [True, False, True]
    assert np.all(np.diff(t_mid) > 0.0)
    for t_bad, rr_bad, reason in (
        ([1.0], [0.0], "positive and finite"),
        ([1.0, 2.0], [800.0], "1-D and of equal length"),
        ([1.0], [math.nan], "positive and finite"),
    ):
        with pytest.raises(ValueError, match=reason):
            instantaneous_heart_rate(t_bad, rr_bad)
