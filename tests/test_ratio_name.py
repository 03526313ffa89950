"""One name for each thing a person reads, in every command's output (review 37 F8).

The exhale:inhale ratio was "out:in" on the practice line, "mean ratio" on the summary line,
"ratio" on each breath's line and in the history table, "Exhale : inhale" in the report,
"Exhale:inhale ratio" in progress and "Mean out:in" on the closing screen. A session run
without a program was "(none)" in the history and "no program" in progress. The last two
headless lines both gave the follow score, the ratio and the heart rate, labelled differently.
Machine-readable names (JSON keys, CSV columns such as ``ratio`` and ``mean_ratio``) are a data
contract and keep theirs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from simulated_sessions import write_simulated

from trainer.cli.app import run
from trainer.coaching.pacer import BreathPattern
from trainer.reports.progress import compute_progress, progress_figure, summary_lines
from trainer.reports.report import _step_line, report_figure
from trainer.reports.session_analysis import PacerSpan, analyse_recording
from trainer.session.events import PacerEvent
from trainer.storage.history import History
from trainer.storage.recording import PacerChange
from trainer.ui.headless import format_pacer_event
from trainer.ui.screen import render_metrics
from trainer.ui.state import SessionState

NAME = "exhale:inhale"
"""The exhale:inhale ratio's one name (/work/shared/reference/physiology.md's term)."""
OLD_NAMES = re.compile(r"out:in|out : in|mean ratio|exhale : inhale|exhale / inhale|\bratio \d")
"""What it was called before, matched case-insensitively: a "ratio" followed by its number was
the breath line's label."""
DAY_NS = 86_400 * 1_000_000_000


def _figure_texts(figure: object) -> str:
    """Every text a figure draws: titles, axis labels, notes and legend entries."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    assert isinstance(figure, Figure)
    return "\n".join(t.get_text() for t in figure.findobj(Text))


def _assert_named(text: str, where: str) -> None:
    assert NAME in text.lower(), (where, text)
    old = OLD_NAMES.search(text.lower())
    assert old is None, (where, old, text)


def test_every_output_of_one_session_names_the_ratio_and_the_missing_program_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``live --rate 6 --ratio 2`` session (no program) as headless replay, history,
    report, progress and the closing screen show it."""
    path = write_simulated(tmp_path / "s.bwr", 180.0, seed=2)

    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    headless = capsys.readouterr().out
    _assert_named(headless, "headless")
    breath_lines = [line for line in headless.splitlines() if line.startswith("breath ")]
    assert breath_lines and all(f" {NAME} " in line for line in breath_lines)

    assert run(["history", "--add", str(path)]) == 0
    capsys.readouterr()
    assert run(["history"]) == 0
    table = capsys.readouterr().out.splitlines()
    _assert_named(table[0], "history header")
    assert "ratio" not in table[0].split()
    # The same words for a session without a program as progress uses below.
    assert " no program " in table[1] and "(none)" not in table[1]

    analysis = analyse_recording(path)
    _assert_named(_figure_texts(report_figure(analysis)), "report")

    with History() as history:
        (row,) = history.list_sessions()
    # Enough sessions of one practice for progress to show its trends.
    rows = [
        dataclasses.replace(row, session_key=f"{k}", start_wall_ns=row.start_wall_ns + k * DAY_NS)
        for k in range(5)
    ]
    progress = compute_progress(rows, include_simulated=True)
    progress_text = "\n".join(summary_lines(progress))
    _assert_named(progress_text, "progress")
    assert "no program, paced 6/min" in progress_text
    _assert_named(_figure_texts(progress_figure(progress)), "progress figure")

    closing = str(render_metrics(SessionState(), None, None, analysis.summary))
    _assert_named(closing, "closing screen")


def test_pacer_lines_name_the_ratio() -> None:
    """A headless pacer line (an eased pace) and the report's step list (the page of a
    session without a sensor) said "out:in"."""
    pattern = BreathPattern.from_rate(5.0, 1.5)
    change = PacerChange(0, 0, "set", pattern.to_dict(), label="eased: slower")
    line = format_pacer_event(PacerEvent(120.0, change))
    assert line is not None
    _assert_named(line, "pacer line")
    for span in (
        PacerSpan(0.0, 60.0, "paced", 6.0, 2.0, "Lying twist"),
        PacerSpan(60.0, 120.0, "own", None, 1.3, ""),
    ):
        _assert_named(_step_line(span), "report step")
    _assert_named(str(render_metrics(SessionState(), None, 1.3)), "screen")


def test_the_practice_and_summary_lines_each_give_a_number_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``practice:`` and ``summary:`` both gave the follow score, the exhale:inhale ratio and
    the heart rate from start to end, each with its own label ("out:in" and "mean ratio",
    "follow 81/100" and "follow 81"): now each is on one of them."""
    path = write_simulated(tmp_path / "s.bwr", 120.0, seed=2)
    assert run(["replay", str(path), "--speed", "max", "--headless"]) == 0
    lines = capsys.readouterr().out.splitlines()
    practice = next(line for line in lines if line.startswith("practice: "))
    summary = lines[-1]
    assert summary.startswith("summary: ")
    for label in ("follow ", "HR ", f"{NAME} ", "RSA ", "coherence ", "median rate "):
        assert (label in practice) != (label in summary), (label, practice, summary)
