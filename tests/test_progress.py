"""Progress over weeks: daily minutes, streaks, trends against the personal baseline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from simulated_sessions import write_simulated

from trainer.errors import BadArgument
from trainer.history import SessionRow, list_sessions
from trainer.history_cli import history, progress
from trainer.progress import (
    BASELINE_SESSIONS,
    TRENDS,
    compute_progress,
    progress_figure,
    summary_lines,
)

DAY0 = date(2026, 3, 2)  # a Monday
PRACTICE_DAYS = [*range(0, 6), *range(7, 21)]  # three weeks, day 6 missed: 20 sessions


def _wall_ns(day: date, hour: int = 7) -> int:
    return int(datetime(day.year, day.month, day.day, hour).timestamp() * 1e9)


def _row(day: date, minutes: float, hour: int = 7, **values: float) -> SessionRow:
    return SessionRow(
        session_key=f"{day}-{hour}",
        path=f"/r/{day}-{hour}.bwr",
        start_wall_ns=_wall_ns(day, hour),
        duration_s=minutes * 60.0,
        **values,  # type: ignore[arg-type]
    )


def test_minutes_per_day_and_streaks() -> None:
    rows = [_row(DAY0 + timedelta(days=d), 10.0) for d in PRACTICE_DAYS]
    rows.append(_row(DAY0 + timedelta(days=3), 5.0, hour=20))  # twice on day 3
    result = compute_progress(rows, today=DAY0 + timedelta(days=20))
    assert result.days[0] == DAY0 and len(result.days) == 21
    assert result.minutes_per_day[3] == pytest.approx(15.0)
    assert result.minutes_per_day[6] == 0.0
    assert result.total_minutes == pytest.approx(205.0)
    assert (result.current_streak_days, result.longest_streak_days) == (14, 14)
    # Today is not over: a run up to yesterday still counts; two days off break it.
    later = compute_progress(rows, today=DAY0 + timedelta(days=21))
    assert later.current_streak_days == 14 and later.minutes_per_day[-1] == 0.0
    assert compute_progress(rows, today=DAY0 + timedelta(days=22)).current_streak_days == 0


def test_a_first_short_session_reads_as_one_session_not_zero_minutes() -> None:
    lines = summary_lines(compute_progress([_row(DAY0, 0.2)], today=DAY0))
    assert lines[0].startswith("1 session, 0.2 min practised from ")
    assert lines[1] == "streak: 1 day now, longest 1 day"


def test_baseline_is_the_first_sessions_of_the_whole_history() -> None:
    rmssd = [30.0, 34.0, 32.0, 40.0, 44.0, 46.0, 50.0]
    rows = [_row(DAY0 + timedelta(days=d), 10.0, rmssd_ms=v) for d, v in enumerate(rmssd)]
    result = compute_progress(rows, since=DAY0 + timedelta(days=4), today=DAY0 + timedelta(days=6))
    assert len(result.sessions) == 3
    assert result.baseline["rmssd_ms"] == float(np.median(rmssd[:BASELINE_SESSIONS]))
    assert result.latest["rmssd_ms"] == pytest.approx(np.mean(rmssd[4:]))
    assert result.baseline["coherence_score"] is None  # never measured


def test_twenty_simulated_sessions_over_three_weeks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "recordings"
    folder.mkdir()
    for k, d in enumerate(PRACTICE_DAYS):
        day = DAY0 + timedelta(days=d)
        # The person slows down over the weeks, from 6.5 to 5 breaths per minute.
        write_simulated(
            folder / f"session-{day:%Y%m%d}.bwr",
            90.0,
            seed=200 + k,
            rate_bpm=6.5 - 1.5 * k / (len(PRACTICE_DAYS) - 1),
            start_wall_ns=_wall_ns(day),
        )
    history(paths=[folder], add=True, limit=0)
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 1 + len(PRACTICE_DAYS)
    assert listing[1].startswith(f"{DAY0:%Y-%m-%d} 07:00")

    rows = list_sessions()
    result = compute_progress(rows, today=DAY0 + timedelta(days=20))
    assert len(result.sessions) == 20 and result.current_streak_days == 14
    assert result.minutes_per_day == tuple(0.0 if d == 6 else 1.5 for d in range(21))
    rates = [r.median_rate_bpm for r in rows]
    assert all(r is not None for r in rates)
    assert result.baseline["median_rate_bpm"] is not None
    assert result.latest["median_rate_bpm"] is not None
    assert result.latest["median_rate_bpm"] < result.baseline["median_rate_bpm"] - 0.8

    fig = progress_figure(result)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 1 + len(TRENDS)
    for ax in panels:
        assert ax.get_ylabel()
    assert panels[-1].get_xlabel()
    out = tmp_path / "progress.png"
    progress(since=None, output=out)
    assert out.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "20 sessions, 30 min practised" in text and "Breath rate" in text
    with pytest.raises(BadArgument, match="--since"):
        progress(since="last week", output=out)
