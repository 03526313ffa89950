"""A strap-only recording of 64-70 s: one 64 s window. Its report said "no breaths detected"
and rate "—" beside 16 RSA bars read from breathing cycles, and "Coherence 2.8 / 10" over an
empty coherence panel, while ``breaths --rr`` gave a rate from its window at 65 s: the live
tracker (every 10 s) had its first window due at 70 s (found in review)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.lines import Line2D
from simulated_sessions import write_simulated
from test_rr_rsa_one_measure import breathing_heart_rr

from analysis.beats import Beat
from analysis.rr_breath import RRBreathTracker
from trainer.cli.app import run
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.session.pipeline import RR_FIRST_STEP_S, RR_STEP_S


def _first_seconds(duration_s: float) -> np.ndarray:
    rr = breathing_heart_rr()
    return rr[np.cumsum(rr) / 1000.0 <= duration_s]


def test_the_live_tracker_has_its_first_window_where_breaths_rr_has_it() -> None:
    rr = _first_seconds(100.0)
    t = np.cumsum(rr) / 1000.0
    live = RRBreathTracker(step_s=RR_STEP_S, first_step_s=RR_FIRST_STEP_S, correct_artifacts=True)
    found = live.update(Beat(a, b) for a, b in zip(t.tolist(), rr.tolist(), strict=True))
    assert [e.t_s for e in found] == [65.0, 70.0, 80.0, 90.0]
    with pytest.raises(ValueError, match="first_step_s"):
        RRBreathTracker(first_step_s=0.0)


def test_a_67_s_strap_recording_reads_one_rate_throughout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "s67.txt"
    src.write_text("\n".join(f"{v:.6f}" for v in _first_seconds(67.0)) + "\n")
    assert run(["breaths", "--rr", str(src)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rate_bpm"] is not None and [e["t_s"] for e in out["estimates"]] == [65.0]
    rec = tmp_path / "s67.bwr"
    assert run(["import", str(src), "--start", "2026-01-01T07:00", "-o", str(rec)]) == 0
    analysis = analyse_recording(rec)
    # The rate of the page, the history and the replay's summary is breaths --rr's ...
    assert [e.t_s for e in analysis.rr_estimates] == [65.0]
    assert analysis.metrics()["median_rate_bpm"] == pytest.approx(out["rate_bpm"], abs=0.01)
    # ... and the RSA bars are drawn from the breaths of that rate.
    assert analysis.heart.rsa_t_s.size == sum(b["rsa_bpm"] is not None for b in out["breaths"])
    fig = report_figure(analysis)
    (coherence,) = [a for a in fig.axes if a.get_title(loc="left").startswith("Coherence")]

    def visible(line: Line2D) -> bool:
        """A marker on a value, or a segment between two: one value on a bare line is not."""
        finite = np.isfinite(np.asarray(line.get_ydata(), dtype=float))
        marked = line.get_marker() not in ("None", "", " ", None)
        return bool((marked and finite.any()) or (finite[1:] & finite[:-1]).any())

    drawn = [line for line in coherence.get_lines() if visible(line)]
    assert analysis.heart.coherence_score.size == 1
    assert drawn, "the session's one coherence value is not drawn"


def test_a_67_s_live_strap_session_whose_first_beat_came_late_reads_its_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The live grid was on the session's clock: a strap whose first beat came 2 s in had its
    65 s window short of beats and its next due at 70 s, after the end, so live, replay and
    history had no rate where ``breaths --rr`` on its exported beats read 6.0 (found in
    review)."""
    rec = write_simulated(tmp_path / "s67.bwr", 67.0, seed=5, rate_bpm=6.0, belt=False)
    analysis = analyse_recording(rec)
    assert analysis.beat_t_s[0] == pytest.approx(2.0, abs=0.1)
    assert run(["export", str(rec), "-o", str(tmp_path / "x")]) == 0
    (beats,) = (tmp_path / "x").glob("*.beats.csv")
    capsys.readouterr()
    assert run(["breaths", "--rr", str(beats)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rate_bpm"] == pytest.approx(6.0, abs=0.2)
    # The same window, on the session's clock: it began where the first interval began.
    (estimate,) = analysis.rr_estimates
    began_s = analysis.beat_t_s[0] - analysis.rr_ms[0] / 1000.0
    assert estimate.t_s == pytest.approx(began_s + out["estimates"][0]["t_s"], abs=1e-6)
    # Not to the digit: breaths --rr times the beats by the running sum of their intervals, the
    # recording by when they arrived (the strap's own clock, anchored at arrival).
    assert analysis.metrics()["median_rate_bpm"] == pytest.approx(out["rate_bpm"], abs=0.05)
