"""A simulated session is labelled wherever results are shown, a live session needs an explicit
device, and ``--device none`` practises a program with timer and cues alone.

Found in review: without a configured sensor ``live`` fell back to the simulator, and its
numbers (follow 86, RSA 11.6) sat unlabelled in the history, reports and progress as the
person's own; ``--device none`` failed with "cannot reach the Bluetooth service".
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from matplotlib.text import Text as MplText
from program_runs import FakeClock, compressed, record_sensorless, replay_lines, run_program
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from devices.packets import NS_PER_S
from devices.sensorless import SensorlessSource
from devices.sim import PersonModel, SimulatedSource
from trainer.cli.app import run
from trainer.cli.history import format_rows
from trainer.programs.catalog import load_catalog
from trainer.programs.safety import RED_FLAG_QUESTIONS, ScreenRecord, ScreenStore
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.session.events import Event, ProgramEvent
from trainer.session.live_replay import LiveSession, ReplaySession, SessionPlan, SessionResult
from trainer.session.sensor_label import SENSORLESS_MARK, SIMULATED_MARK, device_kind, source_line
from trainer.session.summary import SessionSummary
from trainer.storage.history import History, SessionRow, list_sessions, record_session
from trainer.storage.program_codec import ProgramPlan
from trainer.storage.recording import read_recording
from trainer.ui.headless import format_summary, line_printer
from trainer.ui.screen import (
    SENSORLESS_PANEL,
    SENSORLESS_REPLAY_PANEL,
    BreathwiseApp,
    SessionDefaults,
)

CATALOG = load_catalog()

# ---------------------------------------------------------------- the simulated person, labelled


def test_a_simulated_session_says_so_in_its_summary_and_its_replay(tmp_path: Path) -> None:
    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=3))
    assert done.result.summary["source_kind"] == "sim"
    summary = format_summary(done.result.summary).splitlines()
    assert summary[0] == f"{SIMULATED_MARK}: a simulated person's breathing and heart, not yours"
    # A replay recomputes the summary from the recording's header: labelled the same.
    assert replay_lines(done.path) == done.lines


def test_a_real_sensor_summary_has_no_mark() -> None:
    summary: SessionSummary = {"source_kind": "ble", "duration_s": 60.0, "breaths": 6}
    assert format_summary(summary).splitlines()[0].startswith("practice: ")


def _row(key: str, source: str, day: int, follow: float) -> SessionRow:
    # .timestamp(), not strftime("%s"): that is glibc's, not Python's.
    start = int(datetime(2026, 11, day).timestamp()) * NS_PER_S + 9 * 3600 * NS_PER_S
    return SessionRow(
        key, f"/r/{key}.bwr", start, 600.0, source=source, program="back-release",
        median_rate_bpm=6.0, mean_follow_score=follow, rsa_bpm=11.6, practised_s=600.0,
    )  # fmt: skip


def test_history_marks_simulated_and_sensorless_rows_and_says_what_the_marks_mean() -> None:
    lines = format_rows(
        [_row("a", "ble", 1, 70.0), _row("b", "sim", 2, 86.0), _row("c", "none", 3, 0.0)]
    )
    assert not lines[1].endswith("SENSOR")  # a real sensor: nothing added
    assert lines[2].endswith(SIMULATED_MARK) and "86" in lines[2]
    assert lines[3].endswith(SENSORLESS_MARK)
    assert lines[4].startswith(f"{SIMULATED_MARK}: ") and lines[5].startswith(SENSORLESS_MARK)


def test_progress_counts_simulated_practice_and_leaves_its_numbers_out_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 31 F4: practice on the simulated sensor was left out of everything ("1 session ...
    streak: 0 days now" after practice on 6 of 7 days): the minutes are the person's, only the
    numbers are not."""
    rows = [_row("a", "ble", 1, 70.0), _row("b", "sim", 2, 86.0), _row("c", "sim", 3, 90.0)]
    rows.append(_row("d", "ble", 4, 72.0))
    with History():  # a history there: listing one that does not exist makes none
        pass
    monkeypatch.setattr("trainer.storage.history.History.list_sessions", lambda *a, **k: rows)
    figure = tmp_path / "p.png"
    assert run(["progress", "-o", str(figure)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("4 sessions, 40.0 min practised")
    assert "streak: 0 days now, longest 4 days" in out
    assert SIMULATED_MARK not in out  # none of their numbers is shown
    assert (
        "no trend yet (the first 3 sessions of a practice make its baseline): back-release, "
        "own rhythm (2 sessions)"
    ) in out
    assert (
        "note: 2 simulated-sensor sessions counted as practice (minutes, streak) and left out "
        "of the trends: their numbers are not yours (--include-simulated shows them)"
    ) in err
    assert run(["progress", "-o", str(figure), "--include-simulated"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("4 sessions, 40.0 min practised")
    assert (
        f"{SIMULATED_MARK}: 2 of the 4 sessions in the trends: a simulated person's breathing "
        "and heart, not yours"
    ) in out.splitlines()
    assert "back-release, own rhythm: 4 sessions (2 of them SIMULATED SENSOR), mean of " in out
    assert "note:" not in err
    # With --since, the simulated sessions of the period shown, as every other count is.
    assert run(["progress", "-o", str(figure), "--since", "2026-11-03"]) == 0
    assert "note: 1 simulated-sensor session counted as practice" in capsys.readouterr().err
    assert run(["progress", "-o", str(figure), "--since", "2026-11-04"]) == 0
    assert "note:" not in capsys.readouterr().err


def _texts(figure: object) -> list[str]:
    return [t.get_text() for t in figure.findobj(MplText)]  # type: ignore[attr-defined]


def test_the_report_of_a_simulated_session_is_titled_and_footed_as_such(tmp_path: Path) -> None:
    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=3))
    texts = _texts(report_figure(analyse_recording(done.path)))
    assert f"{SIMULATED_MARK} — deep-breathing-4-8" in texts
    assert f"{SIMULATED_MARK}: a simulated person's breathing and heart, not yours" in texts


class _Session(SessionDefaults):
    """A session at rest for the screen: the marker depends on nothing it does."""

    def __init__(self) -> None:
        from trainer.ui.state import SessionState

        self.state = SessionState()
        self.done = asyncio.Event()

    def now_s(self) -> float:
        return 1.0

    def pacer_state(self, t_s: float) -> None:
        return None

    def stop(self) -> None:
        self.done.set()

    async def run(self) -> SessionResult:
        await self.done.wait()
        return SessionResult(None, {"breaths": 0})


async def _screen(mark: str, *, replay: bool = False) -> tuple[str, str, str, bool]:
    session = _Session()
    app = BreathwiseApp(
        session, session.run, title="Breathwise", duration_s=60.0, source_mark=mark, replay=replay
    )
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_view()
        await pilot.pause()
        metrics = app.query_one("#metrics", Static)
        border = metrics.border_title
        content = metrics.render()
        shown = (
            # Textual keeps a border title as markup.
            Text.from_markup(str(border or "")).plain,
            content.plain if isinstance(content, Text) else str(content),
            app.title,
            app.query_one("#traces", Vertical).display,
        )
        session.done.set()
    return shown


async def test_the_live_screen_marks_a_simulated_sensor_in_every_layout() -> None:
    border, content, title, traces = await _screen(SIMULATED_MARK)
    # 80x24: the short layout, where the header (and its title) is hidden: the numbers' panel
    # carries the mark.
    assert border == SIMULATED_MARK
    assert title.endswith(f"— {SIMULATED_MARK}")
    assert "Breath rate" in content and traces


async def test_the_screen_without_a_sensor_says_nothing_is_measured() -> None:
    border, content, _, traces = await _screen(SENSORLESS_MARK)
    assert border == SENSORLESS_MARK and content == SENSORLESS_PANEL and not traces


async def test_replaying_a_sensorless_session_does_not_say_follow_the_pacer() -> None:
    """The live panel ("Follow the pacer... kept in your history") was shown in replays too."""
    border, content, _, _ = await _screen(SENSORLESS_MARK, replay=True)
    assert border == SENSORLESS_MARK and content == SENSORLESS_REPLAY_PANEL
    assert "Follow" not in content and "history" not in content


async def test_a_real_sensor_screen_has_no_mark() -> None:
    border, _, title, _ = await _screen("")
    assert border == "" and title == "Breathwise"


# ---------------------------------------------------------------- choosing the device


def test_live_without_a_device_or_a_default_asks_for_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It ran the simulator, scored and kept as the person's own session."""
    args = ["live", "--headless", "--no-sound", "--minutes", "0.05", "--out", str(tmp_path)]
    assert run(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("breathwise: error: no sensor chosen — ")
    assert "--device none" in err[0] and "--device sim" in err[0] and "breathwise scan" in err[0]
    assert not list(tmp_path.glob("*.bwr"))


@pytest.mark.parametrize(
    ("spec", "source"),
    [
        ("sim", lambda: SimulatedSource(PersonModel(seed=1), None).info.kind),
        (" SIM-HR ", lambda: SimulatedSource(PersonModel(seed=1), None, belt=False).info.kind),
        ("none", lambda: SensorlessSource().info.kind),
        ("Polar H10", lambda: "ble"),
        ("AA:BB:CC:DD:EE:FF", lambda: "ble"),
    ],
)
def test_a_device_value_maps_to_the_kind_its_recording_will_carry(
    spec: str, source: Callable[[], str]
) -> None:
    """Found in review: the screen's mark came from the --device text by its own rules, the
    summary's, replay's and history's from the header's kind."""
    assert device_kind(spec) == source()


def test_the_note_before_a_simulated_session_is_the_summary_s_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--device", "sim", "--minutes", "0.02", "--no-sound", "--seed", "1"]
    assert run(["live", "--headless", "--out", str(tmp_path), *args]) == 0
    out, err = capsys.readouterr()
    assert f"note: {source_line('sim')} (your own sensor: 'breathwise scan')" in err.splitlines()
    assert source_line("sim") in out.splitlines()


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (
            ["--device", "none", "--program", "resonance-assessment"],
            "Resonance assessment needs a heart-rate sensor",
        ),
        (["--device", "none", "--device", "H10"], "none means no sensor at all"),
    ],
)
def test_no_sensor_is_refused_where_it_cannot_work(
    args: list[str], text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["live", "--headless", "--no-sound", "--out", str(tmp_path), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and text in err[0], err
    assert not list(tmp_path.glob("*.bwr"))


# ---------------------------------------------------------------- --device none


def test_back_release_without_a_sensor_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``live --device none --program back-release --headless``: the steps and repetitions
    are said, nothing is measured, the recording says "none" and the history keeps the
    minutes practised; a replay prints the same."""
    ScreenStore().save(ScreenRecord(date.today(), {q.key: False for q in RED_FLAG_QUESTIONS}))
    # From the twist (step 2, after getting down onto the mat: review 31 F7).
    args = ["--device", "none", "--program", "back-release", "--minutes", "0.2", "--no-sound"]
    args += ["--from-step", "2"]
    assert run(["live", "--headless", "--out", str(tmp_path), *args]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("step 2/30 at     0.0 s  Lying twist")
    assert "repetition at    10.0 s  1/8 right  (Lying twist)" in lines
    assert not any(line.startswith("breath ") for line in lines)
    # Found in review: the summary line was all dashes ("0 breaths, median rate -/min...").
    assert lines[-4:] == [
        f"{SENSORLESS_MARK}: timer and cues only, nothing measured",
        "practice: 0.2 min practised",
        "program: started at step 2",
        "summary: 12 s, no sensor, gaps 0, marks 0",
    ]
    assert f"note: {SENSORLESS_MARK}: timer and cues only, nothing measured" in err
    # What it needs, before the start (review 31 F12), not only in a tip once it has begun.
    assert "  you need: a mat or a folded blanket on the floor, a chair, a firm cushion" in err
    assert "not added to the history" not in err
    [path] = tmp_path.glob("*.bwr")
    assert read_recording(path).header.source.kind == "none"
    [row] = list_sessions()
    assert row.source == "none" and row.program == "back-release"
    assert row.practised_min == pytest.approx(0.2, abs=0.02) and row.mean_follow_score is None
    assert format_rows([row])[1].endswith(SENSORLESS_MARK)
    assert replay_lines(path) == lines


def test_without_a_sensor_the_program_s_cues_are_said_on_time(tmp_path: Path) -> None:
    """Program events came with the sensor's items: with none, a repetition was said only at
    the next step's pacer change, or at the end."""
    clock = FakeClock()
    said: list[tuple[float, Event]] = []
    program = CATALOG.get("back-release")
    plan = SessionPlan(None, duration_s=35.0, program=ProgramPlan(program))

    async def tick(_: float) -> None:
        clock.ns += NS_PER_S // 4
        await asyncio.sleep(0)

    session = LiveSession(
        plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=tick, listeners=[]
    )
    session.add_listener(lambda events: said.extend((session.now_s(), e) for e in events))
    session.add_listener(line_printer(io.StringIO()))
    result = asyncio.run(session.run(SensorlessSource()))
    assert result.summary["ended"] == "completed" and result.summary["breaths"] == 0
    cues = [(t, e) for t, e in said if isinstance(e, ProgramEvent) and e.t_s > 0.0]
    # The twist (and its first repetition) after getting down onto the mat, then a repetition.
    assert [round(e.t_s) for _, e in cues] == [20, 20, 30]
    # Said within the quiet second and a timer's tick of their time.
    assert all(t - e.t_s <= 1.5 for t, e in cues), [(t, e.t_s) for t, e in cues]


def test_a_sensorless_replay_says_the_cues_on_time_and_prints_what_live_did(
    tmp_path: Path,
) -> None:
    """A timed replay said a sensorless session's repetitions only at the next pacer change,
    in bursts (the recording has no other items); live calls the pipeline's catch_up on its
    timer, and now the replay does too. Its lines stay the live session's, at any speed."""
    clock = FakeClock()
    program = CATALOG.get("back-release")
    plan = SessionPlan(None, duration_s=35.0, program=ProgramPlan(program))

    async def tick(_: float) -> None:
        clock.ns += NS_PER_S // 4
        await asyncio.sleep(0)

    live_out = io.StringIO()
    session = LiveSession(
        plan, out_dir=tmp_path, clock_ns=clock, wall_ns=clock, sleep=tick, listeners=[]
    )
    session.add_listener(line_printer(live_out))
    result = asyncio.run(session.run(SensorlessSource()))
    assert result.path is not None
    recording = read_recording(result.path)

    replay_clock = [0.0]

    async def nap(seconds: float) -> None:
        replay_clock[0] += seconds
        await asyncio.sleep(0)

    said: list[tuple[float, Event]] = []
    timed_out = io.StringIO()
    replay = ReplaySession(recording, speed=1.0, clock=lambda: replay_clock[0], sleep=nap)
    replay.add_listener(lambda events: said.extend((replay_clock[0], e) for e in events))
    replay.add_listener(line_printer(timed_out))
    asyncio.run(replay.run())
    cues = [(t, e) for t, e in said if isinstance(e, ProgramEvent) and e.t_s > 0.0]
    # The twist (and its first repetition) after getting down onto the mat, then a repetition.
    assert [round(e.t_s) for _, e in cues] == [20, 20, 30]
    # Said within the quiet second and a nap of their time, not at the next step (35 s).
    assert all(0.0 <= t - e.t_s <= 1.5 for t, e in cues), [(t, e.t_s) for t, e in cues]

    fastest = io.StringIO()
    asyncio.run(ReplaySession(recording, speed=None, listeners=[line_printer(fastest)]).run())
    assert timed_out.getvalue() == fastest.getvalue() == live_out.getvalue() != ""


def test_a_sensorless_recording_joins_the_history_but_an_empty_sensor_one_does_not(
    tmp_path: Path,
) -> None:
    row = record_session(record_sensorless(tmp_path))
    assert row.source == "none" and row.duration_s == pytest.approx(5.0, abs=0.3)


def test_none_as_the_default_device_is_no_sensor_to_look_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``config set default_device none`` said the next session would look for a sensor
    named 'none'."""
    assert run(["config", "set", "default_device", "none"]) == 0
    assert capsys.readouterr().err == ""


def test_the_readme_s_first_command_shows_the_mark_on_its_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``breathwise live --device sim`` on the full screen (drawn nowhere, 80x24): marked all
    session long, and its summary printed after says so."""
    from trainer.cli import session as session_cli

    seen: list[tuple[str, str]] = []

    def on_screen(app: BreathwiseApp) -> SessionResult | None:
        async def drive() -> SessionResult | None:
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause(0.5)
                border = app.query_one("#metrics", Static).border_title
                seen.append((Text.from_markup(str(border or "")).plain, app.title))
                while app.result is None:
                    await pilot.pause(0.1)
                await pilot.press("q")
            return app.return_value

        return asyncio.run(drive())

    monkeypatch.setattr(session_cli, "no_screen_reason", lambda: None)
    monkeypatch.setattr(BreathwiseApp, "run", on_screen)
    args = ["--device", "sim", "--minutes", "0.05", "--no-sound", "--out", str(tmp_path)]
    assert run(["live", *args]) == 0
    assert seen == [
        (SIMULATED_MARK, f"Breathwise — 6.0 breaths/min, exhale:inhale 2.0 — {SIMULATED_MARK}")
    ]
    out = capsys.readouterr().out
    assert out.startswith(f"{SIMULATED_MARK}: a simulated person's breathing and heart, not yours")
