"""Days in progress: a session past midnight, ``--since``, streaks, empty panels (review 37).

The reviewer's week of evenings held a deep-breathing-4-8 session from 2 Dec 2026 23:57 to
00:12. ``progress`` showed "Thu 03 Dec 12.6" and ``progress --since 2026-12-03`` "Thu 03 Dec
0.0" (F2); that one session was a 2-day streak (F3); and with nothing measured on the person
the figure drew six empty trend panels with 0.0-1.0 y axes (F9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from trainer.reports.progress import (
    TRENDS,
    Progress,
    compute_progress,
    progress_figure,
    summary_lines,
)
from trainer.storage.history import SessionRow

NS_PER_S = 1_000_000_000
SINCE = date(2026, 12, 3)


def _row(
    day: date, hhmm: str, minutes: float, values: dict[str, float] | None = None
) -> SessionRow:
    """A session starting at ``hhmm`` local time on ``day``, ``minutes`` long, with no pause;
    breath and heart numbers ``values`` (on a belt, and a strap when there is a heart rate)."""
    values = values or {}
    hour, minute = (int(part) for part in hhmm.split(":"))
    start = datetime(day.year, day.month, day.day, hour, minute).timestamp()
    measured = bool(values)
    return SessionRow(
        session_key=f"{day}-{hhmm}",
        path=f"/r/{day}-{hhmm}.bwr",
        start_wall_ns=int(start) * NS_PER_S,
        duration_s=minutes * 60.0,
        practised_s=minutes * 60.0,
        source="ble",
        program="deep-breathing-4-8",
        breaths=20 if measured else 0,
        breath_source="belt" if measured else None,
        beats=int(minutes * 65) if "hr_start_bpm" in values else 0,
        target_rate_bpm=5.0,
        **values,  # type: ignore[arg-type]
    )


MEASURED = {
    "median_rate_bpm": 5.1,
    "mean_ratio": 1.8,
    "hr_start_bpm": 66.0,
    "rmssd_ms": 31.0,
    "rsa_bpm": 8.0,
    "coherence_score": 7.5,
}


def _evenings() -> list[SessionRow]:
    """1 Dec 21:00 (10 min), 2 Dec 23:57-00:12 (15 min: 3 min on the 2nd, 12 on the 3rd), and
    4 Dec 20:00 and 20:30 (10 and 13 min), each measured on a belt and a strap."""
    return [
        _row(date(2026, 12, 1), "21:00", 10.0, MEASURED),
        _row(date(2026, 12, 2), "23:57", 15.0, MEASURED),
        _row(date(2026, 12, 4), "20:00", 10.0, MEASURED),
        _row(date(2026, 12, 4), "20:30", 13.0, MEASURED),
    ]


def _per_day(result: Progress) -> dict[date, float]:
    return dict(zip(result.days, result.minutes_per_day, strict=True))


def test_since_keeps_the_part_after_midnight_of_a_session_from_the_evening_before() -> None:
    """F2: Thu 03 Dec was 12.6 min without ``--since`` and 0.0 with ``--since 2026-12-03``."""
    rows = _evenings()
    today = date(2026, 12, 4)
    whole = compute_progress(rows, today=today)
    since = compute_progress(rows, since=SINCE, today=today)
    assert _per_day(whole)[SINCE] == pytest.approx(12.0)
    # A day's minutes do not depend on where the period shown begins.
    assert _per_day(since) == pytest.approx(
        {d: m for d, m in _per_day(whole).items() if d >= SINCE}
    )
    assert since.total_minutes == pytest.approx(12.0 + 23.0)
    # It is one of the period's sessions (its minutes are there), and the text says why the
    # count is one more than the sessions started in the period.
    assert len(since.sessions) == 3 and since.started_before == 1
    lines = summary_lines(since)
    assert lines[0] == (
        "3 sessions (1 of them started before 03 Dec 2026), 35.0 min practised from "
        "03 Dec 2026 to 04 Dec 2026"
    )
    assert "  Thu 03 Dec   12.0" in lines
    table = [float(line.split()[-1]) for line in lines[lines.index("minutes per day:") + 1 :]]
    assert f"{sum(table):.1f}" == "35.0"
    # Its numbers are of the whole session and stay with its start, before the period: the
    # trends hold the two sessions that started in it.
    assert [len(p.sessions) for p in since.practices] == [2]
    assert len(since.measured) == 2
    # The figure agrees: 12.0 min over the 3rd, the count in the title, the session's dot not
    # drawn (its start is off the axis).
    fig = progress_figure(since)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    bars = [bar.get_height() for bar in fig.axes[0].patches]  # type: ignore[attr-defined]
    assert bars == pytest.approx([12.0, 23.0])
    assert "35.0 min in 3 sessions" in fig.axes[0].get_title(loc="left")
    rate = fig.axes[1]
    dots = [line for line in rate.lines if line.get_marker() == "o"]
    assert [len(line.get_xydata()) for line in dots] == [2]  # type: ignore[arg-type]


def test_since_counts_what_started_before_it_consistently() -> None:
    """A session under a minute across the midnight is left out of the period it reaches; a
    session that ended before it is not in it; one that started before it is its only one:
    its minutes count, and the text says why there is no trend."""
    late = _row(date(2026, 12, 2), "23:59", 0.5)  # 30 s from 23:59:00, crossing nothing
    crossing = _row(date(2026, 12, 2), "23:59", 1.5)  # to 00:00:30: a session, 0.5 min after
    short = replace(crossing, duration_s=90.0, practised_s=40.0, session_key="short")
    result = compute_progress([late, crossing, short], since=SINCE, today=SINCE)
    assert result.left_out == 1  # the short one, not the one that ended on the 2nd
    assert len(result.sessions) == 1 and result.total_minutes == pytest.approx(0.5)
    measured = _row(date(2026, 12, 2), "23:57", 15.0, MEASURED)
    alone = compute_progress([measured], since=SINCE, today=SINCE)
    assert alone.minutes_per_day == pytest.approx((12.0,))
    assert summary_lines(alone)[2] == (
        "trends: none, nothing in this period was measured on you (1 session started before "
        "03 Dec 2026: its numbers are of that day)"
    )


def test_a_streak_counts_the_days_sessions_started_on() -> None:
    """F3: one 23:57-00:12 session made a 2-day streak, so for someone who practises every
    evening a late session covered the next day too."""
    late = _row(date(2026, 12, 2), "23:57", 15.0)
    result = compute_progress([late], today=SINCE)
    assert _per_day(result)[SINCE] == pytest.approx(12.0)  # its minutes still split
    assert (result.current_streak_days, result.longest_streak_days) == (1, 1)
    # Evenings on the 1st and 2nd (the late one), none on the 3rd, one on the 4th: the skipped
    # evening breaks the streak.
    rows = _evenings()[:3]
    result = compute_progress(rows, today=date(2026, 12, 4))
    assert (result.current_streak_days, result.longest_streak_days) == (1, 2)
    # Not cut by --since, and the same with it.
    since = compute_progress(rows, since=SINCE, today=date(2026, 12, 4))
    assert (since.current_streak_days, since.longest_streak_days) == (1, 2)


def _drawn(result: Progress) -> Figure:
    fig = progress_figure(result)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    return fig


def _panels(fig: Figure) -> list[Axes]:
    """The minutes panel and the trend panels, top to bottom (the key is turned off)."""
    return [ax for ax in fig.axes if ax.axison]


def _shown(labels: Sequence[Text]) -> list[str]:
    """The texts of the tick labels that show."""
    return [t.get_text() for t in labels if t.get_visible() and t.get_text()]


def test_trend_panels_without_data_show_their_note_and_no_scale() -> None:
    """F9: with every session on the simulated sensor (and not --include-simulated), six panels
    of 0.0-1.0 y axes held only a grey note; their ticks read as data scales."""
    rows = [replace(r, source="sim") for r in _evenings()]
    fig = _drawn(compute_progress(rows, today=date(2026, 12, 4)))
    minutes, *trends = _panels(fig)
    assert len(trends) == len(TRENDS)
    for ax in trends:
        assert ax.texts[0].get_text().startswith("nothing in this period was measured on you")
        assert _shown(ax.get_yticklabels()) == [] and ax.get_ylabel() == ""
        assert not ax.spines["left"].get_visible()
        assert _shown([*ax.get_xticklabels(), *ax.get_xticklabels(minor=True)]) == []
    # The minutes panel keeps its scale and labels the dates, under its bars.
    assert _shown(minutes.get_yticklabels()) != []
    assert _shown(minutes.get_xticklabels(minor=True)) == ["01 Dec", "02", "03", "04"]
    assert minutes.get_xlabel() == "day (2026)"


def test_only_the_trend_panels_without_data_lose_their_scale() -> None:
    """A belt without a strap: breath rate and ratio are drawn with their scales; the heart
    panels show their note only, and the lowest of them still labels the dates."""
    belt = {"median_rate_bpm": 5.1, "mean_ratio": 1.8}
    rows = [_row(date(2026, 12, d), "21:00", 10.0, belt) for d in (1, 2, 3, 4)]
    fig = _drawn(compute_progress(rows, today=date(2026, 12, 4)))
    minutes, *trends = _panels(fig)
    drawn = {ax.get_title(loc="left").split(" —")[0]: ax for ax in trends}
    for title, ax in drawn.items():
        blank = title not in ("Breath rate", "Exhale:inhale ratio")
        assert (_shown(ax.get_yticklabels()) == []) is blank, title
        assert (ax.texts[0].get_text() if ax.texts else "").startswith("not measured") is blank
    lowest = trends[-1]
    assert _shown(lowest.get_xticklabels(minor=True)) == ["01 Dec", "02", "03", "04"]
    assert lowest.get_xlabel() == "day (2026)" and minutes.get_xlabel() == ""


def test_the_help_and_the_guide_state_the_day_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """The streak rule and what ``--since`` keeps, where a person looks them up."""
    from pathlib import Path

    from trainer.cli.app import run

    assert run(["progress", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "a day counts in a streak when a session started on it" in text
    assert "ran past its midnight counts with its minutes from that day on" in text
    guide = Path(__file__).parents[1] / "docs" / "guide" / "history-and-reports.md"
    section = " ".join(guide.read_text(encoding="utf-8").split())
    assert "a day counts when a session (of at least a minute) started on it" in section
    assert "holds at least a minute of one that ran past midnight" not in section
    assert "so a day's minutes are the same whatever `--since`" in section
