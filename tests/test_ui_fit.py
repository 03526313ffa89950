"""The screen's row share after resizes and layout changes: the same as a window opened there.

Review 41: the numbers' height and the status line's rows that one layout's fitter set inline
outlived it. Resized from 80x16 to 40x12, the plain layout's numbers kept 9 rows and pushed
the cue, the clock and the SIMULATED SENSOR mark off the screen; a program's card, up once
the sensor connected, kept the status line's rows counted while it connected, and cut
"connection lost" and the sound advice. The invariant tested here: after any sequence of
resizes, connecting, the card coming up, a sensor lost and back and notes, every widget has
the region, and the screen the text, of a fresh app opened at the final size in the same state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from test_ui import FakeSession, _screen_text
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from trainer.coaching.coach import CUE_SENSOR_LOST_BRIEF
from trainer.coaching.pacer import PacerState
from trainer.programs import load_catalog
from trainer.programs.runner import ProgramTimeline, TimelineState
from trainer.session.events import StatusEvent
from trainer.ui.screen import BreathwiseApp, render_metrics
from trainer.ui.state import SessionState

SIM = "SIMULATED SENSOR"
SOUND_NOTE = (
    "this program is done with the eyes closed, but the sound is off (--no-sound or the sound "
    "setting): the chime at each new stage or tip and the end bell will be silent, so open "
    "your eyes now and then to read the screen (--sound turns it on)"
)
"""The relaxation response's note with the sound off (review 41 F2c: four rows at 80x24)."""
LOST = "sim: connection lost, reconnecting"
BACK = "sim: connection back"

Op = tuple[str, int, int]
"""A step of a scenario: ``("size", columns, rows)``, ``("connect", 0, 0)`` (the sensor
connects: the program's card comes up), ``("lost", 0, 0)``, ``("back", 0, 0)`` (the link),
``("note", 0, 0)`` (the sound note), ``("tick", 0, 0)`` (1.3 s later)."""


class StagedSession(FakeSession):
    """A live session on the hand-moved clock that connects when told, with a program or not
    (a program's card is up only once connected, as a live session's)."""

    def __init__(self, program: str | None) -> None:
        super().__init__()
        self.connected = False
        self.timeline = ProgramTimeline(load_catalog().get(program)) if program else None

    @property
    def started(self) -> bool:
        return self.connected

    def pacer_state(self, t_s: float) -> PacerState | None:
        return super().pacer_state(t_s) if self.timeline is None and self.connected else None

    def program_state(self, t_s: float) -> TimelineState | None:
        return self.timeline.at(t_s) if self.timeline is not None and self.connected else None

    def program_time_s(self, t_s: float) -> float | None:
        return t_s if self.timeline is not None and self.connected else None


def _app(session: StagedSession) -> BreathwiseApp:
    return BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=600.0,
        on_pause=lambda: None,
        on_mark=lambda: None,
        on_quit=session.stop,
        source_mark=SIM,
    )


def _apply(op: Op, session: StagedSession, app: BreathwiseApp) -> None:
    """``op``'s change of state (not of size)."""
    kind = op[0]
    if kind == "connect":
        session.connected = True
    elif kind in ("lost", "back"):
        message = LOST if kind == "lost" else BACK
        event = StatusEvent(t_s=session.t_s, kind="link", message=message, device="sim")
        session.state.apply([event])
    elif kind == "note":
        app.set_note(SOUND_NOTE)
    elif kind == "tick":
        session.t_s += 1.3


def _picture(app: BreathwiseApp) -> tuple[list[tuple[str, bool, Region]], list[str]]:
    """Every widget's region (and whether shown), and the screen's rows."""
    widgets = [
        (f"{type(widget).__name__}#{widget.id}", widget.display, widget.region)
        for widget in app.screen.walk_children(Widget)
    ]
    return widgets, _screen_text(app)


async def _frames(app: BreathwiseApp, pilot: object, n: int = 2) -> None:
    for _ in range(n):
        app.refresh_view()
        await pilot.pause()  # type: ignore[attr-defined]


async def _after(
    program: str | None, first: tuple[int, int], ops: Sequence[Op]
) -> tuple[object, object, str]:
    """The picture after ``ops`` from a window of ``first``, and that of a fresh app opened at
    the final size in the same state (with a description of the run for a failure)."""
    session = StagedSession(program)
    session.t_s = 5.0
    app = _app(session)
    size = first
    async with app.run_test(size=first) as pilot:
        await _frames(app, pilot)
        for op in ops:
            if op[0] == "size":
                size = (op[1], op[2])
                await pilot.resize_terminal(*size)
            else:
                _apply(op, session, app)
            await _frames(app, pilot)
        await _frames(app, pilot)
        seen = _picture(app)
        session.stop()
    fresh_session = StagedSession(program)
    fresh_session.t_s = 5.0
    fresh = _app(fresh_session)
    for op in ops:
        if op[0] != "size":
            _apply(op, fresh_session, fresh)
    async with fresh.run_test(size=size) as pilot:
        await _frames(fresh, pilot, 3)
        expected = _picture(fresh)
        fresh_session.stop()
    where = f"{program} {first} {list(ops)}:\n" + "\n".join(seen[1]) + "\n--- fresh:\n"
    return seen, expected, where + "\n".join(expected[1])


CASES: list[tuple[str | None, tuple[int, int], list[Op]]] = [
    # F1: the plain layout's numbers (9 rows at 80x16) kept in the tiny layout.
    (None, (80, 16), [("connect", 0, 0), ("size", 40, 12)]),
    # F2a: the plain layout's status line of one row kept at 40x12: "connection lost" hidden.
    (None, (80, 24), [("connect", 0, 0), ("size", 40, 12), ("lost", 0, 0)]),
    # F2b: the status line's rows counted while connecting, kept under the card.
    (
        "back-release",
        (80, 24),
        [("connect", 0, 0), ("lost", 0, 0), ("size", 80, 60), ("size", 44, 20)],
    ),
    # F2c: the eyes-closed program's sound note: four rows, where the card counted three.
    ("relaxation-response", (80, 24), [("note", 0, 0), ("tick", 0, 0), ("connect", 0, 0)]),
    # Back from tiny to plain, and plain to card in a tiny window.
    (None, (40, 12), [("connect", 0, 0), ("size", 80, 16), ("lost", 0, 0), ("size", 120, 40)]),
    ("back-release", (40, 12), [("note", 0, 0), ("size", 80, 17), ("connect", 0, 0)]),
]


@pytest.mark.parametrize(("program", "first", "ops"), CASES)
async def test_a_resized_or_changed_screen_is_that_of_a_fresh_window(
    program: str | None, first: tuple[int, int], ops: list[Op]
) -> None:
    seen, expected, where = await _after(program, first, ops)
    assert seen == expected, where


SIZES = [(40, 12), (70, 14), (80, 16), (79, 16), (80, 24), (60, 20), (120, 40), (80, 60)]
SEED = 41


@seed(SEED)
@settings(max_examples=12, deadline=None)
@given(
    program=st.sampled_from([None, "back-release", "relaxation-response"]),
    first=st.sampled_from(SIZES),
    ops=st.lists(
        st.one_of(
            st.sampled_from(SIZES).map(lambda size: ("size", *size)),
            st.sampled_from(["connect", "lost", "back", "note", "tick"]).map(
                lambda kind: (kind, 0, 0)
            ),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_any_sequence_of_resizes_and_changes_ends_as_a_fresh_window(
    program: str | None, first: tuple[int, int], ops: list[Op]
) -> None:
    seen, expected, where = asyncio.run(_after(program, first, ops))
    assert seen == expected, where


async def test_the_tiny_layouts_cue_is_brief_or_cut_with_an_ellipsis() -> None:
    """Review 41 F4: at 40x12 the one-row cue read "Sensor lost — keep breathing easily", its
    end cut without a sign of it; a program's tip the same. The lost sensor's line is now the
    brief one, and a tip too long for the row ends in "…"."""
    session = StagedSession(None)
    session.connected = True
    app = BreathwiseApp(
        session,
        session.run,
        title="t",
        duration_s=600.0,
        source_mark=SIM,
        tips=("Move slowly and stay well inside a comfortable range of movement.",),
    )
    async with app.run_test(size=(40, 12)) as pilot:
        session.t_s = 5.0
        await _frames(app, pilot)
        tip = str(app.query_one("#cue", Static).render())
        session.state.apply([StatusEvent(t_s=5.0, kind="link", message=LOST, device="sim")])
        await _frames(app, pilot)
        lost = str(app.query_one("#cue", Static).render())
        rows = _screen_text(app)
        await pilot.resize_terminal(80, 24)
        await _frames(app, pilot)
        wide = str(app.query_one("#cue", Static).render())
        session.stop()
    assert tip.startswith("Tip: Move slowly") and tip.endswith("…"), tip
    assert cell_len(tip) <= 38, tip
    assert lost == CUE_SENSOR_LOST_BRIEF, lost
    assert any(CUE_SENSOR_LOST_BRIEF in row for row in rows), "\n".join(rows)
    # The window's own rows: the cue in full again.
    assert wide.startswith("Sensor lost — keep breathing easily while it reconnects"), wide


def test_the_closing_heart_rate_line_fits_the_numbers_panel() -> None:
    """Review 41 F3: "Heart rate     65 -> 65 bpm  (start -> end)", 43 cells, wrapped in the
    closing numbers' panel of 40 (44 wide less its frame and padding) in every window of 80
    columns or more."""
    summary = {"hr_start_bpm": 65.0, "hr_end_bpm": 72.0, "median_rate_bpm": 6.1}
    lines = render_metrics(SessionState(), None, None, summary).plain.splitlines()  # type: ignore[arg-type]
    (heart,) = [line for line in lines if line.startswith("Heart rate")]
    assert "65 -> 72 bpm" in heart and "start" in heart and "end" in heart, heart
    assert all(cell_len(line) <= 40 for line in lines), lines


async def test_the_start_note_stays_for_the_first_step_only() -> None:
    """Review 41 F5: "starting at step 2/30, ..." (--from-step) stayed on the status line all
    session, and came back after every "marked"; it now goes when the first step ends, and
    the lasting note (the sound's) stays."""
    session = StagedSession("back-release")
    session.connected = True
    app = _app(session)
    start = 'starting at step 1/30, "Get into position"'
    app.set_start_note(start)
    app.set_note("sound is off")
    first_ends_s = session.timeline.at(0.0).step_left_s if session.timeline else 0.0
    async with app.run_test(size=(120, 40)) as pilot:
        session.t_s = 1.0
        await _frames(app, pilot)
        before = str(app.query_one("#status", Static).render())
        session.t_s = first_ends_s + 1.0
        await _frames(app, pilot)
        after = str(app.query_one("#status", Static).render())
        session.stop()
    assert start in before and "sound is off" in before, before
    assert start not in after and "sound is off" in after, after
