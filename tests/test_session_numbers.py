"""One session, one set of numbers: the rate, ratio and minutes that the closing summary, the
history, progress and the report show (found in a month of evening use)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from program_runs import PausingSource, run_live

from devices.sim import PersonModel
from trainer.analysis_run import analyse_recording
from trainer.pacer import BreathPattern
from trainer.session import SessionPlan


def _paused_session(out_dir: Path) -> Path:
    """``live --rate 6 --minutes 1.5`` with a 60 s pause from 5 s in (as the reviewer did)."""
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=90.0)
    run = run_live(
        out_dir,
        plan,
        person=PersonModel(seed=10),
        wrap=lambda inner, session, clock: PausingSource(inner, session, clock, (5.0, 65.0)),
    )
    return run.path


@pytest.fixture(scope="module")
def paused_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _paused_session(tmp_path_factory.mktemp("paused"))


def test_breaths_taken_while_paused_do_not_make_the_rate(paused_recording: Path) -> None:
    """Found in use: ``history`` read 11.9/min ratio 1.44 (the breaths of the pause), the
    report 6.9/min, for one 6/min session."""
    analysis = analyse_recording(paused_recording)
    paced = [e for e in analysis.good_breaths if e.paced]
    paused = [e for e in analysis.breaths if e.paused]
    assert paced and paused and not any(e.paced for e in paused)
    m = analysis.metrics()
    assert m["rate_basis"] == "paced"
    assert m["median_rate_bpm"] == pytest.approx(
        float(np.median([e.breath.rate_bpm for e in paced])), abs=0.01
    )
    assert m["median_rate_bpm"] == pytest.approx(6.0, abs=1.0)
    # The ratio from the very same breaths.
    assert m["mean_ratio"] == pytest.approx(
        float(np.mean([e.breath.ratio for e in paced])), abs=0.01
    )
    # The closing summary (and so the history) and the report read the same numbers.
    assert analysis.summary["median_rate_bpm"] == m["median_rate_bpm"]
    assert analysis.summary["mean_ratio"] == m["mean_ratio"]


def _figure_texts(analysis: object) -> list[str]:
    from trainer.report import report_figure

    figure = report_figure(analysis)  # type: ignore[arg-type]
    return [t.get_text() for ax in figure.axes for t in ax.texts] + [
        t.get_text() for t in figure.texts
    ]


def test_the_report_shows_the_history_s_rate_and_practised_minutes(
    paused_recording: Path, tmp_path: Path
) -> None:
    """Found in use: the report's header said 2.5 min (the pause counted) where the history
    said 1.5, and its rate tile read another median than the history's."""
    from trainer.history import add_recording

    analysis = analyse_recording(paused_recording)
    row = add_recording(paused_recording, db_path=tmp_path / "h.sqlite3").row
    assert row.median_rate_bpm == analysis.metrics()["median_rate_bpm"]
    assert row.mean_ratio == analysis.metrics()["mean_ratio"]
    texts = _figure_texts(analysis)
    assert any("1.5 min practised (+ 1.0 min paused)" in t for t in texts), texts
    assert f"{row.median_rate_bpm:.1f} /min" in texts
    assert "Paced breath rate" in texts
