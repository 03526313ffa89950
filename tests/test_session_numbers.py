"""One session, one set of numbers: the rate, ratio and minutes that the closing summary, the
history, progress and the report show (found in a month of evening use)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from time import time_ns

import numpy as np
import pytest
from program_runs import PausingSource, ProgramRun, run_live, run_program

from devices.sim import PersonModel
from trainer.coaching.pacer import BreathPattern
from trainer.reports.session_analysis import analyse_recording
from trainer.session.live_replay import SessionPlan
from trainer.storage.history import SessionRow


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
    from trainer.reports.report import report_figure

    figure = report_figure(analysis)  # type: ignore[arg-type]
    return [t.get_text() for ax in figure.axes for t in ax.texts] + [
        t.get_text() for t in figure.texts
    ]


def test_the_report_shows_the_history_s_rate_and_practised_minutes(
    paused_recording: Path, tmp_path: Path
) -> None:
    """Found in use: the report's header said 2.5 min (the pause counted) where the history
    said 1.5, and its rate tile read another median than the history's."""
    from trainer.storage.history import add_recording

    analysis = analyse_recording(paused_recording)
    row = add_recording(paused_recording, db_path=tmp_path / "h.sqlite3").row
    assert row.median_rate_bpm == analysis.metrics()["median_rate_bpm"]
    assert row.mean_ratio == analysis.metrics()["mean_ratio"]
    texts = _figure_texts(analysis)
    assert any("1.5 min practised (+ 1.0 min paused)" in t for t in texts), texts
    assert f"{row.median_rate_bpm:.1f} /min" in texts
    assert "Paced breath rate" in texts


@pytest.fixture(scope="module")
def body_scan_run(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    """``live --program body-scan-head-to-feet --minutes 1.5 --seed 5`` (as the reviewer did):
    60 s of candle breaths paced 4 s in, 6 s out (1.50), then 30 s in the own rhythm (1.30)."""
    from trainer.programs.catalog import load_catalog

    program = load_catalog().get("body-scan-head-to-feet")
    out = tmp_path_factory.mktemp("bodyscan")
    return run_program(out, program, person=PersonModel(seed=5), duration_s=90.0)


def test_the_target_ratio_is_that_of_the_breaths_the_ratio_is_of(
    body_scan_run: ProgramRun, tmp_path: Path
) -> None:
    """Found in review: the body scan's ratio 1.37 (its paced breaths, asked 1.50) was shown
    "target 1.43", the pacer's ratio weighed by time over the own-rhythm step too, in the
    history, the report tile and progress. The summary, the history row, the report tile and
    the figure progress draws from the row now give one target: the paced breaths'."""
    from trainer.reports.progress import compute_progress, progress_figure
    from trainer.storage.history import add_recording

    analysis = analyse_recording(body_scan_run.path)
    m = analysis.metrics()
    counted = [e for e in analysis.good_breaths if e.paced]
    assert m["rate_basis"] == "paced" and counted
    # The own-rhythm step has breaths too, which neither the ratio nor its target counts.
    assert any(e.target_ratio == pytest.approx(1.3) for e in analysis.breaths if not e.paced)
    assert {round(e.target_ratio or 0.0, 6) for e in counted} == {1.5}
    assert m["target_ratio"] == pytest.approx(1.5)
    assert body_scan_run.result.summary["target_ratio"] == m["target_ratio"]
    assert analysis.summary["target_ratio"] == m["target_ratio"]
    row = add_recording(body_scan_run.path, db_path=tmp_path / "h.sqlite3").row
    assert row.target_ratio == m["target_ratio"]
    texts = _figure_texts(analysis)
    assert f"{m['mean_ratio']:.2f}" in texts and "target 1.50" in texts, texts
    # The simulated clock starts in 1970, a date progress leaves out as impossible; the
    # simulated person's numbers are in the trends on request only.
    drawn = replace(row, start_wall_ns=_row(DAY0).start_wall_ns)
    figure = progress_figure(compute_progress([drawn], today=DAY0, include_simulated=True))
    marks = [
        line.get_ydata()
        for ax in figure.axes
        for line in ax.get_lines()
        if line.get_label() == "target"
        and ax.get_title(loc="left").startswith("Exhale:inhale ratio")
    ]
    assert [list(np.asarray(y, dtype=float)) for y in marks] == [[pytest.approx(1.5)]]


@pytest.fixture(scope="module")
def whole_body_scan(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    """``live --program body-scan-head-to-feet --seed 13`` to its end (review 37 F1): 60 s of
    candle breaths paced 4 s in, 6 s out, then 555 s in the own rhythm (ratio 1.3)."""
    from trainer.programs.catalog import load_catalog

    program = load_catalog().get("body-scan-head-to-feet")
    out = tmp_path_factory.mktemp("wholebodyscan")
    return run_program(out, program, person=PersonModel(seed=13))


def test_a_session_mostly_in_its_own_rhythm_is_headlined_by_it(
    whole_body_scan: ProgramRun, tmp_path: Path
) -> None:
    """Review 37 F1: the body scan, paced for its first minute of ten, read "median rate 6.0/min
    (while paced), follow 99" in its summary and history, "Paced breath rate 6.0/min (target
    6.0)" and "Followed the pacer 99/100" in its report, and was filed by progress under
    "paced 6/min": the 6 candle breaths, beside 107 at about 12/min. Paced for under half its
    practised time, its rate, ratio, follow, their targets and its practice are now those of
    its own-rhythm part, in the summary, the history row, the report, the export and progress
    alike."""
    from trainer.reports.progress import practice_label, practice_of
    from trainer.storage.export import BREATH_COLUMNS, breath_rows
    from trainer.storage.history import add_recording
    from trainer.storage.recording import read_recording

    summary = whole_body_scan.result.summary
    analysis = analyse_recording(whole_body_scan.path)
    own = [e for e in analysis.good_breaths if not (e.paced or e.paused)]
    paced = [e for e in analysis.good_breaths if e.paced]
    assert len(paced) >= 5 and len(own) > 10 * len(paced)
    assert summary["rate_basis"] == "own"
    assert summary["paced_s"] == pytest.approx(60.0)
    assert summary["minutes_practised"] == pytest.approx(10.25)
    assert summary["median_rate_bpm"] == pytest.approx(
        float(np.median([e.breath.rate_bpm for e in own]))
    )
    assert summary["median_rate_bpm"] == pytest.approx(12.0, abs=1.0)
    # Own rhythm: no rate was asked; the ratio asked is the own-rhythm steps' 1.3 (not the
    # candle breaths' 1.5), the follow score that of the own-rhythm breaths alone.
    assert summary["target_rate_bpm"] is None
    assert summary["target_ratio"] == pytest.approx(1.3)
    own_scores = [e.feedback.follow_score for e in own if e.scored]
    assert summary["mean_follow_score"] == pytest.approx(float(np.mean(own_scores)))
    # The closing line no longer says "while paced".
    assert not any("while paced" in line for line in whole_body_scan.lines)
    # The report, the history and progress: one set of numbers.
    m = analysis.metrics()
    for key in (
        "median_rate_bpm",
        "rate_basis",
        "target_rate_bpm",
        "mean_ratio",
        "target_ratio",
        "mean_follow_score",
    ):
        assert m[key] == summary[key], key
    row = add_recording(whole_body_scan.path, db_path=tmp_path / "h.sqlite3").row
    assert (row.median_rate_bpm, row.mean_ratio, row.mean_follow_score) == (
        m["median_rate_bpm"],
        m["mean_ratio"],
        m["mean_follow_score"],
    )
    assert practice_label(*practice_of(row)) == "body-scan-head-to-feet, own rhythm"
    texts = _figure_texts(analysis)
    assert "Out-breath, own rhythm" in texts and "Followed the pacer" not in texts, texts
    assert "Breath rate" in texts and "Paced breath rate" not in texts
    assert "own pace" in texts and f"{row.median_rate_bpm:.1f} /min" in texts
    assert "target 1.30" in texts
    # The export's counted breaths are those very breaths.
    source = read_recording(whole_body_scan.path).header.source
    rows = [dict(zip(BREATH_COLUMNS, r, strict=True)) for r in breath_rows(analysis, source)]
    counted = [r["index"] for r in rows if r["counted"] == 1]
    assert counted == [e.index for e in own]


def test_which_programs_are_headlined_by_their_own_rhythm() -> None:
    """Every built-in program, run whole, against the rule of review 37 F1 (paced for under half
    its practised time: headlined by its own rhythm): the body scan (1 min paced of 10) and the
    relaxation response (never paced) are; the spine body scan, back-release, deep breathing
    and the resonance programs (83-100 % paced) keep their paced headline."""
    from trainer.programs.catalog import load_catalog
    from trainer.programs.model import Paced
    from trainer.session.pipeline import headline_paced

    catalog = load_catalog()
    own = set()
    for name in catalog.names():
        program = catalog.get(name)
        paced_s = sum(s.total_s for s in program.steps if isinstance(s.breathing, Paced))
        if not headline_paced(paced_s, program.total_duration_s):
            own.add(name)
    assert own == {"body-scan-head-to-feet", "relaxation-response"}
    assert {"spine-body-scan", "back-release", "resonance-training"} <= set(catalog.names())


@pytest.mark.parametrize("belt", [True, False], ids=["belt", "strap-alone"])
def test_the_target_rate_is_that_of_the_breaths_the_rate_is_of(belt: bool, tmp_path: Path) -> None:
    """Found in review: the end screen put the session's median rate beside the last pacer's
    rate (a closing step's 4.5/min after 3 min at 6), and the history and report beside the
    pacer's rate weighted by time (5.6/min). The summary now holds the target of those very
    breaths (or heart-rhythm windows), the median of the rates they were asked: 6.0 here,
    which the history row, the report tile and the end screen all show."""
    from simulated_sessions import write_simulated

    from trainer.reports.report import report_figure
    from trainer.storage.history import add_recording
    from trainer.ui.screen import render_metrics
    from trainer.ui.state import SessionState

    path = write_simulated(
        tmp_path / "closing.bwr",
        240.0,
        seed=2,
        steps=((180.0, 4.5, 2.0, "Closing"),),
        belt=belt,
    )
    analysis = analyse_recording(path)
    summary = analysis.summary
    assert summary["breath_source"] == ("belt" if belt else "rr")
    assert summary["rate_basis"] == "paced"
    if belt:
        counted = [e for e in analysis.good_breaths if e.paced]
        assert {round(e.target_rate_bpm or 0.0, 6) for e in counted} == {6.0, 4.5}
        assert summary["target_rate_bpm"] == float(np.median([e.target_rate_bpm for e in counted]))
    else:
        assert summary["rr_target_rate_bpm"] == summary["target_rate_bpm"]
    assert summary["target_rate_bpm"] == pytest.approx(6.0)
    m = analysis.metrics()
    assert m["target_rate_bpm"] == summary["target_rate_bpm"]
    row = add_recording(path, db_path=tmp_path / "h.sqlite3").row
    assert row.target_rate_bpm == summary["target_rate_bpm"]
    figure = report_figure(analysis)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts] + [
        t.get_text() for t in figure.texts
    ]
    assert "target 6.0 /min" in texts, texts
    # The end screen, whose pacer is the closing step's.
    last = analysis.pacer_spans[-1].rate_bpm
    assert last == pytest.approx(4.5)
    over = str(render_metrics(SessionState(), None, None, summary))
    assert "(pacer 6.0)" in over, over


def test_heart_numbers_are_stored_as_computed(paused_recording: Path, tmp_path: Path) -> None:
    """Found in review: the RSA 2.7476 was stored as 2.75 and then shown to 0.1 as 2.8 (the
    summary, the history, the report's header) while the report's table, printed from the
    full value, said 2.7. The summary and the history row hold the numbers unrounded."""
    from trainer.storage.history import add_recording

    analysis = analyse_recording(paused_recording)
    heart = analysis.heart
    assert heart.mean_rsa_bpm is not None and heart.mean_coherence_score is not None
    assert analysis.summary["mean_rsa_bpm"] == heart.mean_rsa_bpm
    assert analysis.summary["coherence_score"] == heart.mean_coherence_score
    assert analysis.summary["hr_start_bpm"] == heart.hr_start_bpm
    m = analysis.metrics()
    row = add_recording(paused_recording, db_path=tmp_path / "h.sqlite3").row
    for column, value in [
        ("rsa_bpm", heart.mean_rsa_bpm),
        ("coherence_score", heart.mean_coherence_score),
        ("mean_hr_bpm", heart.mean_hr_bpm),
        ("rmssd_ms", heart.rmssd_ms),
        ("practised_s", analysis.practised_s),
    ]:
        assert m[column] == value and getattr(row, column) == value, column


def test_a_report_page_gives_one_rsa_and_one_coherence(paused_recording: Path) -> None:
    """The header tiles and the HRV table of one page print the same RSA and coherence score,
    also where a value stored to 0.01 would have flipped when shown to 0.1 (2.7476: 2.75, 2.8)."""
    analysis = analyse_recording(paused_recording)
    heart = replace(analysis.heart, mean_rsa_bpm=2.7476, mean_coherence_score=4.2496)
    texts = _figure_texts(replace(analysis, heart=heart))
    assert "RSA 2.7 bpm" in texts and "2.7 bpm" in texts, texts  # header, table
    assert "4.2 / 10" in texts, texts
    assert any(t.endswith(" / 4.2") for t in texts), texts  # the table's ratio / score


def test_summary_csv_has_a_readable_local_start() -> None:
    """Found in use: the folder report's summary.csv had only ``start_wall_ns``."""
    import time

    from trainer.reports.batch import SUMMARY_COLUMNS, BatchRow

    start_ns = 1_780_000_000 * 1_000_000_000 + 123
    row = BatchRow("a.bwr", "ok", metrics={"start_wall_ns": start_ns}).csv_row()
    cells = dict(zip(SUMMARY_COLUMNS, row, strict=True))
    assert cells["start_wall_ns"] == str(start_ns)
    expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(1_780_000_000))
    assert cells["start_local"].startswith(expected)
    # With its UTC offset, it names the instant itself (review 20, F5).
    assert datetime.fromisoformat(cells["start_local"]).timestamp() == 1_780_000_000


def _import_rr(tmp_path: Path, rr_ms: list[float], name: str = "rr.txt") -> Path:
    from trainer.storage.imports.import_file import import_recording

    source = tmp_path / name
    source.write_text("\n".join(f"{v:.0f}" for v in rr_ms) + "\n")
    start_ns = 1_780_000_000 * 1_000_000_000
    return import_recording(source, "auto", tmp_path / f"{name}.bwr", start_wall_ns=start_ns).path


def _rr_series(n: int, *, seed: int, ectopic_every: int = 0) -> list[float]:
    """RR intervals (ms) of a person breathing at 6/min: a 1000 ms mean with a 60 ms RSA swing;
    every ``ectopic_every``-th beat premature (70 %) and the next compensating (130 %)."""
    rng = np.random.default_rng(seed)
    rr, t = [], 0.0
    for k in range(n):
        value = 1000.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0, 15)
        if ectopic_every and k % ectopic_every == 0:
            value *= 0.7
        elif ectopic_every and k % ectopic_every == 1:
            value *= 1.3
        rr.append(value)
        t += value / 1000.0
    return rr


def test_an_import_has_no_made_up_target_ratio(tmp_path: Path) -> None:
    """Found in use: an imported RR list got target_ratio 1.5 in the history and summary.csv
    and progress drew target marks at 1.5, though no pacer asked for anything."""
    path = _import_rr(tmp_path, _rr_series(400, seed=1))
    m = analyse_recording(path).metrics()
    assert m["target_ratio"] is None and m["target_rate_bpm"] is None


# ------------------------------------------------------------------------------- progress
DAY0 = date(2026, 3, 2)  # a Monday


def _row(day: date, minutes: float = 10.0, **values: object) -> SessionRow:
    start_ns = int(datetime(day.year, day.month, day.day, 20).timestamp() * 1e9)
    return SessionRow(
        session_key=f"{day}",
        path=f"/r/{day}.bwr",
        start_wall_ns=start_ns,
        duration_s=minutes * 60.0,
        **values,  # type: ignore[arg-type]
    )


def test_sessions_with_unreliable_beats_stay_out_of_the_heart_trends() -> None:
    """Found in use: a file with 12.7 % of beats corrected, which the report calls unreliable,
    moved progress's RMSSD mean 35.08 -> 39.25 and showed in history unflagged."""
    from trainer.cli.history import format_rows
    from trainer.reports.progress import compute_progress, summary_lines

    rows = [_row(DAY0 + timedelta(days=k), rmssd_ms=35.0, artifact_pct=1.0) for k in range(4)]
    bad = _row(DAY0 + timedelta(days=4), rmssd_ms=51.0, rsa_bpm=9.0, artifact_pct=12.7)
    result = compute_progress([*rows, bad], today=DAY0 + timedelta(days=4))
    (practice,) = result.practices
    assert practice.latest["rmssd_ms"] == pytest.approx(35.0)
    assert practice.latest["rsa_bpm"] is None
    assert result.total_minutes == pytest.approx(50.0)  # its minutes still count
    assert result.unreliable == 1
    text = "\n".join(summary_lines(result))
    assert (
        "1 session with over 5 % of beats corrected or under 60 s of beats left out of RMSSD"
        in text
    )
    lines = format_rows([*rows, bad])
    assert "!" in lines[-2] and all("!" not in line for line in lines[1:-2])
    assert "over 5 % of beats corrected" in lines[-1]


def test_since_does_not_cut_the_streak_and_the_window_says_its_days() -> None:
    """Found in use: ``progress --since`` turned "2 days now, longest 2" into "1 day", and
    called a 1-day window "latest 7 days"."""
    from trainer.reports.progress import compute_progress, summary_lines

    days = [DAY0 + timedelta(days=k) for k in range(5)]
    rows = [_row(d, rmssd_ms=40.0 + k) for k, d in enumerate(days)]
    today = days[-1]
    whole = compute_progress(rows, today=today)
    cut = compute_progress(rows, today=today, since=today)
    assert (cut.current_streak_days, cut.longest_streak_days) == (5, 5)
    assert (whole.current_streak_days, whole.longest_streak_days) == (5, 5)
    (shown,), (practice,) = cut.practices, whole.practices
    assert shown.latest["rmssd_ms"] == pytest.approx(44.0)  # the one day shown
    assert shown.latest_label == "latest 1 day"
    assert practice.latest_label == "latest 7 days"
    # The baseline is what its line says: the median of the first three sessions.
    assert shown.baseline["rmssd_ms"] == pytest.approx(41.0)
    assert "baseline: median of the first 3 sessions of the practice" in summary_lines(cut)


def test_progress_text_is_rounded_as_history_and_lists_minutes_per_day() -> None:
    from trainer.reports.progress import compute_progress, summary_lines

    rows = [
        _row(DAY0, 12.0, hr_start_bpm=65.93, coherence_score=10.0),
        _row(DAY0 + timedelta(days=2), 7.5, hr_start_bpm=64.0, coherence_score=10.0),
        _row(DAY0 + timedelta(days=3), 5.0, hr_start_bpm=64.0, coherence_score=10.0),
        # The first after the baseline's three: the trend's recent number.
        _row(DAY0 + timedelta(days=4), 5.0, hr_start_bpm=65.93, coherence_score=10.0),
    ]
    lines = summary_lines(compute_progress(rows, today=DAY0 + timedelta(days=4)))
    text = "\n".join(lines)
    assert "65.93" not in text and "10.00" not in text
    assert "Coherence (score 0-10): 10.0" in text
    assert "  Resting heart rate (first minute): 66 beats/min, baseline 64 (+2)" in lines
    assert "minutes per day:" in lines
    assert any(line.split()[-1] == "12.0" and "02 Mar" in line for line in lines)
    assert any(line.split()[-1] == "0.0" and "03 Mar" in line for line in lines)


def test_progress_panels_keep_a_sensible_span() -> None:
    """Found in use: a rate panel spanning 5.99-6.02 drew rounding noise as a trend."""
    from trainer.reports.progress import compute_progress, progress_figure

    rows = [
        _row(DAY0 + timedelta(days=k), median_rate_bpm=6.0 + 0.01 * k, coherence_score=10.0)
        for k in range(3)
    ]
    figure = progress_figure(compute_progress(rows, today=DAY0 + timedelta(days=2)))
    spans = {
        ax.get_title(loc="left").split(" —")[0]: ax.get_ylim()[1] - ax.get_ylim()[0]
        for ax in figure.axes[1:]
    }
    assert spans["Breath rate"] >= 2.0
    assert spans["Coherence (score 0-10)"] >= 2.0
    coherence = next(ax for ax in figure.axes if ax.get_title(loc="left").startswith("Coh"))
    assert coherence.get_ylim()[1] <= 10.0 + 1e-9  # a 0-10 score


def test_history_rows_name_their_recording_and_say_when_it_is_gone(tmp_path: Path) -> None:
    """Found in use: no way from a history row to its file."""
    from trainer.cli.history import format_rows

    here = tmp_path / "20260302-200000.bwr"
    here.write_text("")
    rows = [
        replace(_row(DAY0), path=str(here)),
        replace(_row(DAY0 + timedelta(days=1)), path=str(tmp_path / "moved.bwr")),
    ]
    lines = format_rows(rows)
    assert lines[0].rstrip().endswith("recording")
    assert lines[1].endswith("20260302-200000.bwr")
    assert lines[2].endswith("moved.bwr (gone)")
    assert format_rows(rows, full_paths=True)[1].endswith(str(here))


def test_a_sensorless_report_gives_minutes_steps_and_one_line(tmp_path: Path) -> None:
    """Found in use: the report of a ``--device none`` session was a page of empty charts
    saying "no breaths detected", "needs at least 64 s of heart beats", "Beats corrected 0 of
    0"."""
    import asyncio

    from program_runs import FakeClock

    from devices.packets import NS_PER_S
    from devices.sensorless import SensorlessSource
    from trainer.programs import load_catalog
    from trainer.reports.report import NOTHING_MEASURED
    from trainer.session.live_replay import LiveSession
    from trainer.storage.program_codec import ProgramPlan

    clock = FakeClock()

    async def tick(_: float) -> None:
        clock.ns += NS_PER_S // 4
        await asyncio.sleep(0)

    plan = SessionPlan(
        None, duration_s=35.0, program=ProgramPlan(load_catalog().get("back-release"))
    )
    session = LiveSession(
        plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=tick, listeners=[]
    )
    result = asyncio.run(session.run(SensorlessSource()))
    assert result.path is not None
    texts = " ".join(_figure_texts(analyse_recording(result.path)))
    assert NOTHING_MEASURED in texts.replace("\n", " ")
    assert "0.6 min practised" in texts and "Lying twist" in texts
    for misleading in ("no breaths detected", "64 s of heart", "Beats corrected"):
        assert misleading not in texts
    assert "differs" not in texts
    # A recording whose closing numbers today's analysis does not give says so on its page,
    # as a sensor session's does (it was said on stderr only).
    lines = result.path.read_text().splitlines()
    end = json.loads(lines[-1])
    end["summary"]["marks"] = 3
    lines[-1] = json.dumps(end)
    result.path.write_text("\n".join(lines) + "\n")
    texts = " ".join(_figure_texts(analyse_recording(result.path))).replace("\n", " ")
    assert "(marks 3 -> 0)" in texts and NOTHING_MEASURED in texts


def test_a_strap_alone_rate_leaves_the_pause_out_too(tmp_path: Path) -> None:
    """With a heart-rate strap alone the rate is read from the heart rhythm in 64 s windows:
    windows a pause fell in count no more than breaths taken while paused. The simulated person
    breathes 12/min through a 5-minute pause of a 10-minute 6/min session."""
    from simulated_sessions import START_NS, simulated_items

    from devices.packets import NS_PER_S
    from trainer.storage.recording import PacerChange, write_recording

    header, items, end_ns = simulated_items(
        600.0,
        seed=4,
        belt=False,
        steps=((150.0, 12.0, 1.0, ""), (450.0, 6.0, 2.0, "")),
    )
    kept = [i for i in items if not (isinstance(i, PacerChange) and i.t_mono_ns > START_NS)]
    for t_s, action in ((150.0, "pause"), (450.0, "resume")):
        t_ns = START_NS + int(t_s * NS_PER_S)
        kept.append(PacerChange(t_ns, header.start_wall_ns + t_ns - START_NS, action))
    kept.sort(key=lambda item: item.t_mono_ns)
    path = write_recording(
        tmp_path / "strap.bwr",
        header,
        kept,
        {"ended": "completed"},
        end_mono_ns=end_ns,
        end_wall_ns=header.start_wall_ns + end_ns - START_NS,
    )
    analysis = analyse_recording(path)
    m = analysis.metrics()
    assert m["breath_source"] == "rr" and m["rate_basis"] == "paced"
    assert m["median_rate_bpm"] == pytest.approx(6.0, abs=0.5)


def test_a_recording_that_never_reached_the_history_is_named_at_the_next_start(
    tmp_path: Path,
) -> None:
    """Found in use: a session killed with ``kill -9`` leaves a readable recording that never
    reaches the history, and nothing says so. The next ``live`` names it (never adds it)."""
    import os

    from simulated_sessions import write_simulated

    from trainer.cli.session import not_in_history_note
    from trainer.storage.history import add_recording, list_sessions

    folder = tmp_path / "recordings"
    folder.mkdir()
    old = write_simulated(folder / "old.bwr", 60.0, seed=1)
    add_recording(old)
    assert not_in_history_note(folder) == ""
    killed = write_simulated(folder / "killed.bwr", 60.0, seed=2)
    os.utime(killed, ns=(time_ns(), time_ns()))
    note = not_in_history_note(folder)
    assert "killed.bwr" in note and f"breathwise history --add {killed}" in note
    assert len(list_sessions()) == 1  # not added silently
    # The command pastes as it is in a folder whose name has a space (it had not been quoted).
    spaced = tmp_path / "my recordings"
    spaced.mkdir()
    lost = write_simulated(spaced / "lost.bwr", 60.0, seed=3)
    os.utime(lost, ns=(time_ns(), time_ns()))
    assert f"breathwise history --add '{lost}'" in not_in_history_note(spaced)


def test_a_breath_is_paused_when_most_of_it_fell_in_the_pause(tmp_path: Path) -> None:
    """Found in use: breaths were classed by their onset alone, so one begun just before a
    resume and taken after it was left unscored, and one begun before a pause and taken in it
    was scored against a pacer standing still (it scored 0: mean follow 85 -> 57)."""
    toggles = (14.6, 21.6, 40.3, 47.9, 66.1, 71.0)
    plan = SessionPlan(BreathPattern.from_rate(6.0, 2.0), duration_s=90.0)
    run = run_live(
        tmp_path,
        plan,
        person=PersonModel(seed=3),
        wrap=lambda inner, session, clock: PausingSource(inner, session, clock, toggles),
    )
    spans = list(zip(toggles[0::2], toggles[1::2], strict=True))

    def share(a: float, b: float) -> float:
        return sum(max(0.0, min(b, e) - max(a, s)) for s, e in spans) / (b - a)

    events = analyse_recording(run.path).breaths
    by_onset = [any(s <= e.breath.inhale_onset_s < f for s, f in spans) for e in events]
    for e in events:
        assert e.paused == (share(e.breath.inhale_onset_s, e.breath.end_s) > 0.5), e
    # The onset rule would have classed at least one of these breaths the other way.
    assert any(b != e.paused for b, e in zip(by_onset, events, strict=True))
