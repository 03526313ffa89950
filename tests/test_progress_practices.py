"""Progress compares like with like, and counts all practice (review 31 F3, F4).

The reviewer's week of evenings (``/tmp/rv31/week``, faketime Dec 1-7 2026): relaxation-response
(own rhythm, about 12/min), deep-breathing-4-8 (paced 5/min), a body scan (6/min), a spine scan
(10/min), back-release (6/min), one session without a sensor and a resonance assessment (6.5/min),
with the numbers the history held. Compared as one mix, ``progress`` printed "Breath rate 7.8
vs baseline 6.0 (+1.8)" and "Coherence -0.9": which programs were done when, not progress. On
the simulated sensor it printed "1 session, 2.0 min ... streak: 0 days now" after practice on 6
of the 7 days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from trainer.cli.app import run
from trainer.reports.progress import compute_progress, progress_figure, summary_lines
from trainer.storage.history import History, SessionRow

NS_PER_S = 1_000_000_000

# (day of the week 0-6, hh:mm, program, practised min, rate, ratio, target rate, target ratio,
#  HR at start, RMSSD, RSA, coherence score): the reviewer's history, rounded as it prints.
WEEK: tuple[tuple[Any, ...], ...] = (
    (0, "20:01", "relaxation-response", 4.0, 11.86, 1.42, None, 1.3, 65.8, 22.1, 3.57, 3.83),
    (0, "20:06", "deep-breathing-4-8", 2.0, 5.11, 1.81, 5.0, 2.0, 65.9, 30.4, 6.92, 7.39),
    (1, "21:00", "body-scan-head-to-feet", 2.0, 5.99, 1.45, 6.0, 1.5, 65.6, 31.8, 7.47, 7.70),
    (2, "20:30", "spine-body-scan", 2.0, 9.91, 1.82, 10.0, 2.0, 65.8, 27.3, 5.32, 5.14),
    (2, "20:33", "deep-breathing-4-8", 3.0, 5.17, 1.76, 5.0, 2.0, 65.8, 32.1, 8.57, 7.85),
    (4, "19:45", "back-release", 2.0, 6.01, 1.40, 6.0, 1.5, 65.0, 36.1, 12.22, 9.63),
    (4, "19:48", "deep-breathing-4-8", 2.0, None, None, None, None, None, None, None, None),
    (5, "20:00", "resonance-assessment", 5.0, 6.33, 1.33, 6.5, 1.5, 65.6, 38.7, 10.19, 7.43),
    (6, "20:03", "relaxation-response", 4.0, 11.77, 1.38, None, 1.3, 65.7, 21.6, 3.62, 3.26),
)
"""Day 3 was skipped; the 19:48 session on day 4 was ``--device none``."""


def week(source: str, last_day: date) -> list[SessionRow]:
    """The reviewer's week as history rows measured by ``source`` (``sim``, ``ble``), ending on
    ``last_day``; the sensorless session stays sensorless."""
    rows = []
    for day, hhmm, program, minutes, *values in WEEK:
        when = last_day - timedelta(days=6 - day)
        hour, minute = (int(part) for part in hhmm.split(":"))
        start = datetime(when.year, when.month, when.day, hour, minute).timestamp()
        rate, ratio, target_rate, target_ratio, hr, rmssd, rsa, coherence = values
        measured = rate is not None
        rows.append(
            SessionRow(
                session_key=f"{when}-{hhmm}",
                path=f"/r/{when}-{hhmm}.bwr",
                start_wall_ns=int(start) * NS_PER_S,
                duration_s=minutes * 60.0,
                practised_s=minutes * 60.0,
                source=source if measured else "none",
                program=program,
                breaths=20 if measured else 0,
                breath_source="belt" if measured else None,
                beats=int(minutes * 65) if measured else 0,
                mean_hr_bpm=hr,
                median_rate_bpm=rate,
                mean_ratio=ratio,
                target_rate_bpm=target_rate,
                target_ratio=target_ratio,
                hr_start_bpm=hr,
                rmssd_ms=rmssd,
                rsa_bpm=rsa,
                coherence_score=coherence,
                artifact_pct=0.0 if measured else None,
            )
        )
    return rows


def _progress(
    rows: list[SessionRow],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *args: str,
) -> tuple[list[str], str, list[Any]]:
    """``breathwise progress ARGS`` on ``rows`` as the history: its stdout lines, its stderr,
    and what it drew the figure of."""
    with History():  # a history there: listing one that does not exist makes none
        pass
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    drawn: list[Any] = []

    def write_progress(result: Any, output: Path) -> Path:
        drawn.append(result)
        return output

    monkeypatch.setattr("trainer.reports.progress.write_progress", write_progress)
    assert run(["progress", "-o", str(tmp_path / "progress.png"), *args]) == 0
    out, err = capsys.readouterr()
    return out.splitlines(), err, drawn


def _key(fig: Figure) -> list[str]:
    """The entries of the figure's key (the legend above its panels)."""
    legends = [legend for ax in fig.axes if (legend := ax.get_legend()) is not None]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def test_the_week_of_mixed_programs_compares_each_program_at_its_pace_with_itself(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """On a real sensor, the trends are each practice against its own first sessions: no
    +1.8/min of breath rate, no -0.9 of coherence, made of which programs came when. In the
    first week no practice has a session after its baseline's three: no trend yet, where each
    practice of two sessions read "Breath rate: 11.8 breaths/min, baseline 11.8 (+0.0)", its
    baseline compared with itself."""
    rows = week("ble", date.today())
    lines, _, _ = _progress(rows, monkeypatch, capsys, tmp_path)
    text = "\n".join(lines)
    # The mix: a baseline of 11.9/min own rhythm, 5.1/min and 6.0/min paced, against a mean
    # of a week of everything.
    assert "baseline 6.0 (+1.8)" not in text and "baseline 7.4 (-0.9)" not in text
    assert not any(line.startswith("Breath rate") for line in lines)
    assert lines[0].startswith("9 sessions, 26.0 min practised")
    assert "baseline" not in text.replace("make its baseline", "")
    assert lines[2] == (
        "no trend yet (the first 3 sessions of a practice make its baseline): "
        "relaxation-response, own rhythm (2 sessions); deep-breathing-4-8, paced 5/min (2 "
        "sessions); resonance-assessment, paced 6.5/min (1 session); back-release, paced 6/min "
        "(1 session); spine-body-scan, paced 10/min (1 session); body-scan-head-to-feet, paced "
        "6/min (1 session)"
    )

    # A second such week: the two practices done twice a week have a trend, each its own.
    rows = week("ble", date.today() - timedelta(days=7)) + rows
    lines, _, drawn = _progress(rows, monkeypatch, capsys, tmp_path)
    assert lines[0].startswith("18 sessions, 52.0 min practised")
    assert lines[2] == (
        "trends, each practice (a program at one pace) against its own first sessions, never mixed:"
    )
    block = lines.index("relaxation-response, own rhythm: 4 sessions, mean of latest 7 days:")
    # Its latest session (11.77/min) against the median of its first three (11.86).
    assert lines[block + 1] == "  Breath rate: 11.8 breaths/min, baseline 11.9 (-0.1)"
    assert lines[block + 2] == "  Exhale:inhale ratio: 1.38, baseline 1.42 (-0.04)"
    assert lines[block + 6] == "  Coherence (score 0-10): 3.3, baseline 3.8 (-0.5)"
    # The sensorless session of day 4 is practice (in the minutes) with nothing measured: the
    # trend of deep breathing ends on day 2, and its label says so.
    day_2 = date.today() - timedelta(days=4)
    block = lines.index(
        f"deep-breathing-4-8, paced 5/min: 4 sessions, mean of 7 days to {day_2:%d %b %Y}:"
    )
    assert lines[block + 1] == "  Breath rate: 5.2 breaths/min, baseline 5.1 (+0.1)"
    assert lines[block + 6] == "  Coherence (score 0-10): 7.8, baseline 7.4 (+0.4)"
    assert (
        "baseline: median of the first 3 sessions of each practice (--program NAME shows one "
        "program alone)"
    ) in lines
    assert (
        "no trend yet (the first 3 sessions of a practice make its baseline): "
        "resonance-assessment, paced 6.5/min (2 sessions); back-release, paced 6/min (2 "
        "sessions); spine-body-scan, paced 10/min (2 sessions); body-scan-head-to-feet, paced "
        "6/min (2 sessions)"
    ) in lines
    # The figure: each practice in its colour against its own baseline, named in the key.
    (result,) = drawn[-1:]
    fig = progress_figure(result)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.axison]
    assert titles[1] == "Breath rate — each practice against its own baseline"
    key = _key(fig)
    assert key[:2] == [
        "relaxation-response, own rhythm: 4 sessions",
        "deep-breathing-4-8, paced 5/min: 4 sessions",
    ]
    assert "no trend yet (under 4 sessions)" in key
    # A baseline line per practice, at that practice's own level (11.9 and 5.1 breaths/min).
    rate_panel = [ax for ax in fig.axes if ax.axison][1]
    dashed = sorted(
        round(float(line.get_ydata()[0]), 1)  # type: ignore[arg-type, index]
        for line in rate_panel.get_lines()
        if line.get_linestyle() == "--"
    )
    assert dashed == [5.1, 11.9]


def test_a_program_at_another_pace_is_another_practice_and_one_program_can_be_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """resonance-training paces at the rate the last assessment stored: at 5.5 after 6.0 its
    coherence is not the same exercise's. ``--program`` shows one program alone."""
    today = date.today()
    first = today - timedelta(days=9)
    base = week("ble", today)[0]  # relaxation-response, own rhythm
    rows = [replace(base, start_wall_ns=base.start_wall_ns - 9 * 86_400 * NS_PER_S)]
    paces = [(6.0, 5.0), (6.0, 5.2), (6.0, 5.1), (6.0, 5.4), (5.5, 8.0), (5.5, 8.2), (5.5, 8.1)]
    for k, (pace, coherence) in enumerate([*paces, (5.5, 8.6)]):
        day = first + timedelta(days=k + 1)
        start = int(datetime(day.year, day.month, day.day, 20).timestamp()) * NS_PER_S
        rows.append(
            replace(
                base,
                session_key=f"rt{k}",
                path=f"/r/rt{k}.bwr",
                start_wall_ns=start,
                program="resonance-training",
                target_rate_bpm=pace + 0.04,  # the median of its breaths' targets
                median_rate_bpm=pace,
                coherence_score=coherence,
            )
        )
    lines, _, _ = _progress(rows, monkeypatch, capsys, tmp_path, "--program", "resonance-training")
    assert lines[0].startswith("8 sessions of resonance-training, 32.0 min practised")
    assert not any("relaxation-response" in line for line in lines)
    # Each pace's fourth session against the median of its first three.
    five_and_a_half = lines.index(
        "resonance-training, paced 5.5/min: 4 sessions, mean of 7 days to "
        f"{today - timedelta(days=1):%d %b %Y}:"
    )
    assert lines[five_and_a_half + 6] == "  Coherence (score 0-10): 8.6, baseline 8.1 (+0.5)"
    six = lines.index(
        f"resonance-training, paced 6/min: 4 sessions, mean of 7 days to "
        f"{first + timedelta(days=4):%d %b %Y}:"
    )
    assert lines[six + 6] == "  Coherence (score 0-10): 5.4, baseline 5.1 (+0.3)"
    # A name no program has is refused, naming the programs.
    assert run(["progress", "--program", "relaxation"]) == 2
    err = capsys.readouterr().err
    assert "--program 'relaxation': no program of that name" in err
    assert "relaxation-response" in err


def test_simulated_practice_counts_in_minutes_and_streaks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The reviewer's week on the simulated sensor: practice on 6 of 7 days (26 min) read
    "1 session, 2.0 min ... streak: 0 days now"; only the numbers are not the person's."""
    rows = week("sim", date.today())
    lines, err, drawn = _progress(rows, monkeypatch, capsys, tmp_path)
    assert lines[0].startswith("9 sessions, 26.0 min practised from ")
    assert lines[1] == "streak: 3 days now, longest 3 days"
    assert lines[2] == (
        "trends: none, nothing in this period was measured on you (8 sessions on the simulated "
        "sensor: --include-simulated shows them; 1 session without a sensor)"
    )
    assert "SIMULATED" not in "\n".join(lines)  # none of their numbers is shown
    assert "note: 8 simulated-sensor sessions counted as practice (minutes, streak)" in err
    (result,) = drawn
    fig = progress_figure(result)
    panels = [ax for ax in fig.axes if ax.axison]
    assert "26.0 min in 9 sessions; streak 3 days" in panels[0].get_title(loc="left")
    assert all(ax.texts[0].get_text().startswith("nothing in this period") for ax in panels[1:])
    # The evening of day 2, when all there was were simulated sessions: "No sessions in this
    # period yet".
    early = [r for r in rows if r.start_wall_ns < rows[3].start_wall_ns]
    result = compute_progress(early, today=date.today() - timedelta(days=5))
    assert summary_lines(result)[:2] == [
        f"3 sessions, 8.0 min practised from {result.days[0]:%d %b %Y} to "
        f"{result.days[-1]:%d %b %Y}",
        "streak: 2 days now, longest 2 days",
    ]


def test_simulated_sessions_in_the_trends_are_marked_in_the_text_and_the_figure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--include-simulated`` drew a figure with no SIMULATED mark, though history and report
    carry one."""
    rows = week("sim", date.today() - timedelta(days=7)) + week("sim", date.today())
    lines, _, drawn = _progress(rows, monkeypatch, capsys, tmp_path, "--include-simulated")
    mark = (
        "SIMULATED SENSOR: 16 sessions in the trends: a simulated person's breathing and heart, "
        "not yours"
    )
    assert lines[2] == mark
    assert "relaxation-response, own rhythm: 4 sessions (SIMULATED SENSOR), mean of" in lines[4]
    (result,) = drawn
    fig = progress_figure(result)
    assert fig.get_suptitle() == "Breathwise — progress — SIMULATED SENSOR"
    assert fig.get_supxlabel() == mark
    key = _key(fig)
    assert "relaxation-response, own rhythm: 4 sessions (SIMULATED SENSOR)" in key
    # A real session among them: the mark says how many of those in the trends are simulated.
    mixed = [replace(rows[0], source="ble"), *rows[1:]]
    lines, _, _ = _progress(mixed, monkeypatch, capsys, tmp_path, "--include-simulated")
    assert lines[2].startswith("SIMULATED SENSOR: 15 of the 16 sessions in the trends: ")
    assert "relaxation-response, own rhythm: 4 sessions (3 of them SIMULATED SENSOR)" in lines[4]


def test_the_pace_class_of_a_session() -> None:
    """Own rhythm without a target; the target to the nearest 0.5/min, half up."""
    from trainer.reports.progress import pace_class, practice_label

    row = week("ble", date(2026, 12, 7))[0]
    assert pace_class(row) is None
    assert [pace_class(replace(row, target_rate_bpm=t)) for t in (5.0, 5.24, 5.25, 6.74)] == [
        5.0,
        5.0,
        5.5,
        6.5,
    ]
    assert practice_label("", None) == "no program, own rhythm"
    assert practice_label("deep-breathing-4-8", 5.0) == "deep-breathing-4-8, paced 5/min"
