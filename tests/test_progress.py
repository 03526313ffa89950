"""Progress over weeks: daily minutes, streaks, trends against the personal baseline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from simulated_sessions import write_simulated

from trainer.cli.history import history, progress
from trainer.errors import BadArgument, UserError
from trainer.reports import progress as progress_module
from trainer.reports.progress import (
    BASELINE_SESSIONS,
    TRENDS,
    compute_progress,
    progress_figure,
    summary_lines,
)
from trainer.storage.history import History, SessionRow, list_sessions

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


def test_a_first_short_session_reads_in_tenths_of_a_minute() -> None:
    lines = summary_lines(compute_progress([_row(DAY0, 1.5)], today=DAY0))
    assert lines[0].startswith("1 session, 1.5 min practised from ")
    assert lines[1] == "streak: 1 day now, longest 1 day"


@pytest.mark.parametrize(
    ("minutes", "total"), [([2.0, 2.0, 8.5], "12.5"), ([10.0, 25.5], "35.5"), ([2.04, 2.04], "4.0")]
)
def test_the_total_minutes_is_the_sum_of_the_minutes_table(
    minutes: list[float], total: str
) -> None:
    """Found in review: "6 sessions, 12 min practised" (12.5 rounded half to even, in the figure's
    title too) above a table of 2.0, 2.0 and 8.5 min a day; later "36 min" above 35.5."""
    rows = [_row(DAY0 + timedelta(days=k), m) for k, m in enumerate(minutes)]
    result = compute_progress(rows, today=DAY0 + timedelta(days=len(rows) - 1))
    lines = summary_lines(result)
    table = [float(line.split()[-1]) for line in lines[lines.index("minutes per day:") + 1 :]]
    assert f"{sum(table):.1f}" == total
    assert lines[0].startswith(f"{len(rows)} sessions, {total} min practised from ")
    title = progress_figure(result).axes[0].get_title(loc="left")
    assert f"— {total} min in {len(rows)} sessions" in title, title


def test_baseline_is_the_first_sessions_of_the_whole_history() -> None:
    rmssd = [30.0, 34.0, 32.0, 40.0, 44.0, 46.0, 50.0]
    rows = [_row(DAY0 + timedelta(days=d), 10.0, rmssd_ms=v) for d, v in enumerate(rmssd)]
    result = compute_progress(rows, since=DAY0 + timedelta(days=4), today=DAY0 + timedelta(days=6))
    assert len(result.sessions) == 3
    (practice,) = result.practices
    assert practice.baseline["rmssd_ms"] == float(np.median(rmssd[:BASELINE_SESSIONS]))
    assert practice.latest["rmssd_ms"] == pytest.approx(np.mean(rmssd[4:]))
    assert practice.baseline["coherence_score"] is None  # never measured


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
    # The heading, a line per session, and what the simulated sessions' mark means.
    assert len(listing) == 1 + len(PRACTICE_DAYS) + 1
    assert listing[1].startswith(f"{DAY0:%Y-%m-%d} 07:00")
    assert listing[1].endswith("SIMULATED SENSOR")

    rows = list_sessions()
    # Practice on the simulated sensor is practice: minutes and streaks count it.
    result = compute_progress(rows, today=DAY0 + timedelta(days=20))
    assert len(result.sessions) == 20 and result.current_streak_days == 14
    assert result.minutes_per_day == tuple(0.0 if d == 6 else 1.5 for d in range(21))
    assert result.practices == () and result.simulated == 20  # its numbers are not yours
    result = compute_progress(rows, today=DAY0 + timedelta(days=20), include_simulated=True)
    rates = [r.median_rate_bpm for r in rows]
    assert all(r is not None for r in rates)
    # Each pace the pacer was set to is its own practice, whose breath rate is that pace: the
    # slowing is not read as one trend of the breath rate against a baseline at 6.5.
    # The most done first (6 sessions each at 5.5 and 6), then the latest done.
    assert [p.label for p in result.practices] == [
        "no program, paced 5.5/min",
        "no program, paced 6/min",
        "no program, paced 5/min",
        "no program, paced 6.5/min",
    ]
    for practice in result.practices:
        assert practice.pace_bpm is not None
        assert practice.latest["median_rate_bpm"] == pytest.approx(practice.pace_bpm, abs=0.3)
        assert practice.baseline["median_rate_bpm"] == pytest.approx(practice.pace_bpm, abs=0.3)

    fig = progress_figure(result)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 1 + len(TRENDS) and fig.axes[: len(panels)] == panels
    for ax in panels:
        assert ax.get_ylabel()
    assert panels[-1].get_xlabel()
    out = tmp_path / "progress.png"
    # The simulated person stands in for a person here: counted on request only.
    progress(since=None, output=out, include_simulated=True)
    assert out.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "20 sessions, 30.0 min practised" in text
    # The practice at 6/min: its sessions after its first three (the baseline) against them.
    assert "  Breath rate: 5.9 breaths/min, baseline 6.0 (-0.1)" in text
    with pytest.raises(BadArgument, match="--since"):
        progress(since="last week", output=out)


def _drawn(rows: list[SessionRow], today: date) -> Figure:
    fig = progress_figure(compute_progress(rows, today=today))
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    return fig


def _panels(fig: Figure) -> list[Axes]:
    """The figure's panels, top to bottom (the key above them is an axis turned off)."""
    return [a for a in fig.axes if a.axison]


def _date_labels(fig: Figure) -> list[tuple[float, str, object]]:
    """(location, text, window extent) of every visible date label of the panel that labels
    the shared date axis: the lowest, or the minutes panel when no trend panel has data."""
    ax = next(a for a in reversed(_panels(fig)) if a.get_xlabel())
    out = []
    for tick in [*ax.xaxis.get_major_ticks(), *ax.xaxis.get_minor_ticks()]:
        label = tick.label1
        if label.get_visible() and label.get_text():
            out.append((float(tick.get_loc()), label.get_text(), label.get_window_extent()))
    return sorted(out, key=lambda item: item[0])


def _num(day: date, hour: float = 0.0) -> float:
    return float(date2num(datetime(day.year, day.month, day.day))) + hour / 24  # type: ignore[no-untyped-call]


def _panel_texts(fig: Figure) -> dict[str, str]:
    """Panel title -> the note written across it (empty when it drew data)."""
    return {
        ax.get_title(loc="left"): " ".join(t.get_text() for t in ax.texts)
        for ax in fig.axes
        if ax.axison
    }


def test_sessions_all_on_one_day_show_one_date_label_centred_on_that_day() -> None:
    """A new user's first chart read as the day before: ticks at 13:26 and 10:33 the next day
    labelled "04 Dec" and "05 Dec", the data between (tester)."""
    fig = _drawn([_row(DAY0, 10.0, 7), _row(DAY0, 5.0, 18)], today=DAY0)
    labels = _date_labels(fig)
    assert [(loc, text) for loc, text, _ in labels] == [(_num(DAY0, 12), "02 Mar")]
    ax = _panels(fig)[-1]
    assert ax.get_xlim() == (_num(DAY0), _num(DAY0 + timedelta(days=1)))
    # The tick marks are the day's boundaries, and its bar stands over its middle.
    assert list(ax.xaxis.get_majorticklocs()) == [_num(DAY0), _num(DAY0 + timedelta(days=1))]
    (bar,) = fig.axes[0].patches
    assert bar.get_x() + bar.get_width() / 2 == pytest.approx(_num(DAY0, 12))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "days", "step"),
    [
        (DAY0, 13, 1),  # two weeks
        (DAY0, 26, 1),
        (date(2026, 8, 3), 120, 1),  # four months: "10 Aug17 Aug Aug Aug" ran together
        (date(2025, 11, 20), 60, 1),  # across New Year
        (date(2024, 1, 10), 700, 3),
    ],
)
def test_date_labels_never_overlap_and_ticks_sit_on_day_boundaries(
    first: date, days: int, step: int
) -> None:
    rows = [_row(first + timedelta(days=d), 10.0) for d in range(0, days, step)]
    fig = _drawn(rows, today=first + timedelta(days=days - 1))
    labels = _date_labels(fig)
    assert len(labels) >= 2
    for (_, a, box_a), (_, b, box_b) in pairwise(labels):
        assert box_a.x1 + 2 < box_b.x0, f"{a!r} runs into {b!r}"  # type: ignore[attr-defined]
    ax = _panels(fig)[-1]
    lo, hi = ax.get_xlim()
    assert (lo, hi) == (_num(first), _num(first + timedelta(days=days)))
    for loc in ax.xaxis.get_majorticklocs():
        assert lo <= loc <= hi and loc == int(loc)  # at midnight, within the days shown


def test_one_old_session_and_recent_ones_keep_readable_labels_and_visible_bars() -> None:
    """One 2020 session with recent ones: labels were a black smear (every Monday of six years)
    and the minutes bars, 0.8 day wide, vanished (tester)."""
    today = date(2026, 12, 5)
    rows = [_row(date(2020, 3, 4), 10.0)] + [
        _row(today - timedelta(days=d), 10.0) for d in range(10)
    ]
    fig = _drawn(rows, today=today)
    labels = _date_labels(fig)
    assert 3 <= len(labels) <= 20
    for (_, a, box_a), (_, b, box_b) in pairwise(labels):
        assert box_a.x1 + 2 < box_b.x0, f"{a!r} runs into {b!r}"  # type: ignore[attr-defined]
    bars = fig.axes[0].patches
    widths_px = [bar.get_window_extent().width for bar in bars if bar.get_height() > 0]  # type: ignore[attr-defined]
    assert min(widths_px) >= 3.0  # binned by month: each bar is visible (100 dpi here)
    assert sum(bar.get_height() for bar in bars) == pytest.approx(110.0)  # type: ignore[attr-defined]
    assert fig.axes[0].get_ylabel() == "min / month"


def test_a_missing_panel_names_the_sensor_it_needs_or_too_little_data() -> None:
    """An imported RR list was told its ratio needs a heart-rate strap (it needs a belt or the
    chest accelerometer); a session with a strap was told every panel needs one (tester)."""
    imported = _row(
        DAY0,
        6.6,
        median_rate_bpm=14.0,
        hr_start_bpm=61.0,
        rmssd_ms=98.0,
        rsa_bpm=2.6,
        coherence_score=0.1,
    )
    imported = replace(imported, beats=400, breath_source="rr", source="import")
    notes = _panel_texts(_drawn([imported], today=DAY0))
    ratio = next(text for title, text in notes.items() if title.startswith("Exhale:inhale"))
    assert "belt" in ratio and "chest" in ratio and "heart-rate strap" not in ratio
    # A belt and a strap, but too short for coherence: the data is missing, not a sensor.
    both = replace(
        _row(DAY0, 1.0, median_rate_bpm=6.0, mean_ratio=1.8, hr_start_bpm=65.0, rmssd_ms=37.0),
        beats=63,
        breaths=5,
        breath_source="belt",
    )
    notes = _panel_texts(_drawn([both], today=DAY0))
    coherence = next(text for title, text in notes.items() if title.startswith("Coherence"))
    assert coherence.startswith("not enough data yet")
    # No sensor data at all in what was recorded: nothing to blame a sensor for.
    bare = _drawn([_row(DAY0, 1.0)], today=DAY0)
    texts = [text for title, text in _panel_texts(bare).items() if not title.startswith("Min")]
    assert len(texts) == len(TRENDS)
    assert all(text.startswith("not enough data yet") for text in texts)
    # A belt alone: the heart panels do need the strap.
    belt = replace(_row(DAY0, 5.0, median_rate_bpm=6.0, mean_ratio=1.9), breaths=30)
    notes = _panel_texts(_drawn([belt], today=DAY0))
    rmssd = next(text for title, text in notes.items() if title.startswith("RMSSD"))
    assert rmssd == "not measured (needs a heart-rate strap)"


def test_sessions_shorter_than_the_minimum_do_not_count() -> None:
    """An aborted 2 s start read "1 session, 0.0 min practised ... streak: 1 day now" (tester)."""
    minimum = progress_module.MIN_PRACTISED_MIN
    assert 0.5 <= minimum <= 3.0
    aborted = _row(DAY0 + timedelta(days=1), 2 / 60)
    only = compute_progress([aborted], today=DAY0 + timedelta(days=1))
    assert only.sessions == () and only.left_out == 1 and only.current_streak_days == 0
    assert summary_lines(only) == [
        f"No sessions in this period yet (1 session under {minimum:g} min left out)."
    ]
    real = _row(DAY0, 10.0, rmssd_ms=40.0)
    short = replace(aborted, rmssd_ms=5.0)
    result = compute_progress([real, short], today=DAY0 + timedelta(days=2))
    assert len(result.sessions) == 1 and result.total_minutes == pytest.approx(10.0)
    assert result.current_streak_days == 0  # the aborted start did not carry the streak on
    (practice,) = result.practices
    assert practice.baseline["rmssd_ms"] == 40.0 and not practice.compared
    assert summary_lines(result)[0].endswith("(1 session under 1 min left out)")
    # Pauses are not practice: 3 min with 2.5 paused is short too.
    paused = replace(_row(DAY0, 3.0), practised_s=30.0)
    assert compute_progress([paused], today=DAY0).left_out == 1


def test_titles_count_in_words_and_describe_the_window_shown() -> None:
    """ "streak 1 days", "1 sessions", a legend entry for a 7-day mean never drawn, and "latest
    7 days" for a history that ended in 2020 (tester)."""
    fig = _drawn([_row(DAY0, 10.0, rmssd_ms=40.0)], today=DAY0)
    title = fig.axes[0].get_title(loc="left")
    assert "in 1 session;" in title and "streak 1 day (longest 1 day)" in title
    # One session has no trend yet: no line, no baseline.
    assert _legend_texts(fig) == ["no trend yet (under 4 sessions)"]
    one_day = [_row(DAY0, 10.0, hour=h, rmssd_ms=40.0 + h) for h in (7, 9, 12, 19)]
    fig = _drawn(one_day, today=DAY0)
    assert _legend_texts(fig) == [
        "no program, own rhythm: 4 sessions",
        "baseline: median of the practice's first 3 sessions",
    ]  # one day: no line to show
    two_days = [*one_day[:3], _row(DAY0 + timedelta(days=1), 10.0, rmssd_ms=44.0)]
    fig = _drawn(two_days, today=DAY0 + timedelta(days=1))
    assert f"{7}-day mean" in _legend_texts(fig)

    old = [
        _row(date(2020, 3, 4), 10.0, rmssd_ms=40.0),
        _row(date(2020, 3, 5), 10.0, rmssd_ms=42.0),
        _row(date(2020, 3, 6), 12.0, rmssd_ms=44.0),
        _row(date(2020, 3, 6), 12.0, hour=19, rmssd_ms=46.0),
    ]
    result = compute_progress(old, today=date(2026, 12, 5))
    lines = summary_lines(result)
    assert "no program, own rhythm: 4 sessions, mean of 7 days to 06 Mar 2020:" in lines
    assert "  RMSSD: 46 ms, baseline 42 (+4)" in lines
    titles = [ax.get_title(loc="left") for ax in progress_figure(result).axes]
    assert (
        "RMSSD — no program, own rhythm: mean of 7 days to 06 Mar 2020 46 vs baseline 42" in titles
    )
    assert not any("latest" in t for t in titles)


def _legend_texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return [t.get_text() for legend in legends if legend is not None for t in legend.get_texts()]


def test_a_bad_output_is_refused_before_any_work_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``progress -o p.txt`` printed its whole text summary, then refused to write "a report"
    (the output is a figure); a missing folder was created (found in review)."""
    with pytest.raises(BadArgument) as info:
        progress(since=None, output=tmp_path / "p.txt")
    assert info.value.user_message() == (
        "cannot write the progress figure as 'p.txt': the name must end in .png, .pdf or .svg"
        " — for example -o p.pdf"
    )
    with pytest.raises(UserError, match=r"nowhere does not exist"):
        progress(since=None, output=tmp_path / "nowhere" / "p.png")
    assert capsys.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []


FAR_FUTURE_NS = 9_000_000_000 * 1_000_000_000  # 2255, a device clock gone wrong
BEFORE_2000_NS = 800_000_000 * 1_000_000_000  # 1995, an import given a wrong --start


def test_impossible_start_dates_are_left_off_the_time_axis_with_a_note() -> None:
    """One session dated 2262 stretched the axis (and the days of the minutes panel) from
    today to 2262, and one dated 1995 became the personal baseline."""
    rows = [_row(DAY0 + timedelta(days=d), 10.0, rmssd_ms=40.0 + d) for d in range(5)]
    wrong = [
        replace(rows[0], session_key="future", start_wall_ns=FAR_FUTURE_NS, rmssd_ms=90.0),
        replace(rows[0], session_key="old", start_wall_ns=BEFORE_2000_NS, rmssd_ms=10.0),
    ]
    today = DAY0 + timedelta(days=4)
    result = compute_progress([*rows, *wrong], today=today)
    assert result.off_axis == 2 and len(result.sessions) == 5
    assert (result.days[0], result.days[-1]) == (DAY0, today)
    assert result.practices[0].baseline["rmssd_ms"] == 41.0  # the first three: 40, 41, 42
    assert summary_lines(result)[0].endswith(
        "(2 sessions with an impossible start date left out, see 'breathwise history')"
    )
    fig = progress_figure(result)
    assert fig.get_supxlabel() == (
        "2 sessions with an impossible start date left out, see 'breathwise history'"
    )
    low, high = fig.axes[0].get_xlim()
    assert high - low == 5  # days
    # A day ahead is a time zone or a clock a little off, not an impossible date.
    ahead = replace(rows[0], session_key="ahead", start_wall_ns=_wall_ns(today + timedelta(1)))
    assert compute_progress([*rows, ahead], today=today).off_axis == 0
    # With --since, counted in the period shown, as left_out is: the 1995 one is not in it.
    short = replace(rows[0], session_key="short", practised_s=20.0)
    since = compute_progress([*rows, *wrong, short], since=DAY0 + timedelta(days=2), today=today)
    assert (since.off_axis, since.left_out, len(since.sessions)) == (1, 0, 3)


def test_history_names_each_session_whose_start_cannot_be_right(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.cli.app import run
    from trainer.storage.history import History

    with History() as store:
        for key, start in (
            ("ok", _wall_ns(DAY0)),
            ("future", FAR_FUTURE_NS),
            ("old", BEFORE_2000_NS),
        ):
            store.upsert(
                {
                    "session_key": key,
                    "path": f"/r/{key}.bwr",
                    "start_wall_ns": start,
                    "duration_s": 600.0,
                }
            )
    assert run(["history"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 4  # the heading and every session, as before
    notes = captured.err.splitlines()
    assert len(notes) == 2
    assert notes[0].startswith("note: /r/old.bwr: its start 1995-")
    assert notes[0].endswith(
        " is before 2000 (a wrong clock, or a wrong --start when imported); progress leaves it "
        "off its time axis"
    )
    assert notes[1].startswith("note: /r/future.bwr: its start 2255-")
    assert " is in the future (" in notes[1]


def test_the_default_figure_goes_to_the_data_folder_not_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It went to ./breathwise-progress.png, so a run in a clone left a file to commit (one
    was committed) and one in any folder a file to clean up (found in review)."""
    from trainer.cli.app import run
    from trainer.storage.paths import data_dir

    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    rows = [_row(DAY0 + timedelta(days=d), 10.0) for d in range(3)]
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    with History():  # the history's folder, there with sessions
        pass
    figure = data_dir() / "progress.png"
    figure.write_bytes(b"last run's figure")  # drawn again from the history: replaced
    assert run(["progress"]) == 0
    assert list(here.iterdir()) == []
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert f"progress figure written: {figure}" in capsys.readouterr().err


def test_a_figure_asked_for_with_no_sessions_to_draw_says_it_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``progress --help``'s example on a history without the program's sessions exited 0
    with no file and no word about it (found in review)."""
    from trainer.cli.app import run

    rows = [_row(DAY0, 10.0)]
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    with History():
        pass
    figure = tmp_path / "progress.pdf"
    assert run(["progress", "--program", "deep-breathing-4-8", "-o", str(figure)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("No sessions of deep-breathing-4-8 in this period yet")
    assert f"note: {figure} not written: no sessions to draw" in err
    assert not figure.exists()


def test_the_progress_figure_never_replaces_what_is_not_a_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rule report follows too: a figure there is replaced, a folder or a link of its
    name is refused, before the summary is shown."""
    from trainer.cli.app import run
    from trainer.storage.paths import data_dir

    rows = [_row(DAY0 + timedelta(days=d), 10.0) for d in range(3)]
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    (data_dir() / "progress.png").mkdir(parents=True)
    link = tmp_path / "link.svg"
    link.symlink_to(tmp_path / "elsewhere.svg")
    cases: list[tuple[list[str], Path, str]] = [
        ([], data_dir() / "progress.png", "a folder"),
        (["-o", str(link)], link, "a link"),
    ]
    for args, target, kind in cases:
        assert run(["progress", *args]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err == (
            f"breathwise: error: {target}: is {kind}, not the progress figure: not replaced — "
            "move it aside, or write elsewhere with -o\n"
        )
    assert link.is_symlink() and not (tmp_path / "elsewhere.svg").exists()


def test_a_default_figure_that_fails_to_write_is_a_note_and_an_explicit_one_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data folder passed its check (a file could be made, enough free) and the write
    failed all the same: the summary was shown, then exit 1 for a figure not asked for."""
    from trainer.cli.app import run
    from trainer.storage.paths import data_dir

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    rows = [_row(DAY0 + timedelta(days=d), 10.0) for d in range(3)]
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    monkeypatch.setattr(Figure, "savefig", disk_full)
    with History():  # a history there: listing one that does not exist makes none
        pass
    figure = data_dir() / "progress.png"
    assert run(["progress"]) == 0
    out, err = capsys.readouterr()
    assert "3 sessions" in out
    assert err == (
        f"note: no progress figure: {figure}: cannot write (No space left on device) "
        "(-o FILE in a writable folder draws it)\n"
    )
    assert list(data_dir().glob("*.png")) == []
    asked = tmp_path / "asked.png"
    assert run(["progress", "-o", str(asked)]) == 1
    out, err = capsys.readouterr()
    assert "3 sessions" in out
    assert err == f"breathwise: error: {asked}: cannot write (No space left on device)\n"


def test_the_printed_change_is_the_difference_of_the_printed_numbers() -> None:
    """Found in review: "Breath rate: 5.8 ... baseline 6.0 (-0.1)", the change taken before
    rounding (5.84 - 5.96)."""
    first = [_row(DAY0 + timedelta(days=d), 10.0, median_rate_bpm=5.96) for d in range(3)]
    later = [_row(DAY0 + timedelta(days=d), 10.0, median_rate_bpm=5.84) for d in (20, 21, 22)]
    result = compute_progress(first + later, today=DAY0 + timedelta(days=22))
    (line,) = [line for line in summary_lines(result) if line.startswith("  Breath rate")]
    assert "5.8" in line and "baseline 6.0 (-0.2)" in line


def test_a_long_run_of_weeks_without_practice_is_one_line() -> None:
    """One import of a years-old session printed 153 rows of 0.0 between it and this week, and
    the trends scrolled off the screen (found in review). Two empty weeks keep their rows."""
    old = date(2024, 1, 1)  # a Monday
    today = date(2026, 12, 1)
    rows = [_row(old, 5.0), _row(date(2026, 11, 9), 10.0), _row(today, 12.0)]
    result = compute_progress(rows, today=today)
    table = progress_module.minutes_table(result)
    assert table[0] == "minutes per week:"
    assert table[1] == "  week of 01 Jan 2024    5.0"
    first_empty = old + timedelta(days=7)
    last_empty = date(2026, 11, 2)
    weeks = (last_empty - first_empty).days // 7 + 1
    assert table[2] == (
        f"  {weeks} weeks without practice "
        f"(weeks of {first_empty:%d %b %Y} to {last_empty:%d %b %Y})"
    )
    assert table[3:] == [
        "  week of 09 Nov 2026   10.0",
        "  week of 16 Nov 2026    0.0",
        "  week of 23 Nov 2026    0.0",
        "  week of 30 Nov 2026   12.0",
    ]
    assert progress_module.total_minutes_text(result) == "27.0"


def test_a_session_longer_than_a_day_is_split_across_the_days_it_covers() -> None:
    """Found in review: a 35 h import from 10 Nov 08:00 printed "Tue 10 Nov 2125.3" minutes,
    more than a day has. Its minutes are split; its streak is of the day it started on (review
    37 F3: a day counts when a session started on it)."""
    day = date(2026, 11, 10)
    row = _row(day, 35 * 60.0, hour=8)  # 08:00 on the 10th to 19:00 on the 11th
    result = compute_progress([row], since=date(2026, 11, 8), today=day + timedelta(days=1))
    per_day = dict(zip(result.days, result.minutes_per_day, strict=True))
    assert per_day[day] == pytest.approx(16 * 60.0)
    assert per_day[day + timedelta(days=1)] == pytest.approx(19 * 60.0)
    assert max(result.minutes_per_day) <= 24 * 60.0
    assert (result.current_streak_days, result.longest_streak_days) == (1, 1)
    lines = summary_lines(result)
    assert "  Tue 10 Nov  960.0" in lines and "  Wed 11 Nov  1140.0" in lines
    table = [float(line.split()[-1]) for line in lines[lines.index("minutes per day:") + 1 :]]
    assert f"{sum(table):.1f}" == "2100.0"
    assert lines[0].startswith("1 session, 2100.0 min practised from ")


def test_a_split_session_shares_its_pauses_and_reaches_past_today() -> None:
    """Minutes practised (pauses left out) are shared in proportion to each day's part of the
    span; a session ending after ``today`` still has its last day in the table."""
    day = date(2026, 11, 10)
    row = replace(_row(day, 4 * 60.0, hour=22), practised_s=3 * 3600.0)  # 22:00-02:00
    result = compute_progress([row], today=day)
    assert result.days == (day, day + timedelta(days=1))
    assert result.minutes_per_day == pytest.approx((90.0, 90.0))
    assert result.total_minutes == pytest.approx(180.0)


def test_a_few_seconds_past_midnight_do_not_make_a_streak_day() -> None:
    """The start day counts; the day its last seconds fall on does not."""
    day = date(2026, 11, 10)
    start_ns = _wall_ns(day, 23) + (50 * 60 + 30) * 10**9  # to 00:00:30: 0.5 min on the 11th
    rows = [replace(_row(day, 10.0, hour=23), start_wall_ns=start_ns)]
    result = compute_progress(rows, today=day + timedelta(days=1))
    assert result.minutes_per_day[-1] == pytest.approx(0.5)
    assert (result.current_streak_days, result.longest_streak_days) == (1, 1)
