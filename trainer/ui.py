"""The terminal UI (Textual): renders a session's state; computes nothing of its own.

The app is handed a session (live or replay) and a coroutine that runs it. Twenty times a second
it reads ``session.now_s()`` and ``session.state`` and redraws; keys call the session's actions.
Tests drive it headless with ``App.run_test()`` and an injected clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar, Protocol

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Sparkline, Static

from trainer.pacer import PacerState, Phase
from trainer.session import SessionResult
from trainer.state import SessionState

PHASE_WORDS = {
    Phase.INHALE: "Breathe in",
    Phase.HOLD_IN: "Hold",
    Phase.EXHALE: "Breathe out",
    Phase.HOLD_OUT: "Rest",
}
PHASE_STYLE = {
    Phase.INHALE: "bold cyan",
    Phase.HOLD_IN: "bold yellow",
    Phase.EXHALE: "bold green",
    Phase.HOLD_OUT: "bold yellow",
}
REFRESH_HZ = 20.0


class ViewableSession(Protocol):
    """What the UI needs from a live or replay session."""

    state: SessionState

    def now_s(self) -> float: ...

    def pacer_state(self, t_s: float) -> PacerState | None: ...


def render_pacer(pacer: PacerState | None, width: int, own_ratio: float | None = None) -> Text:
    """The pacer as rich text: a bar that fills on the in-breath and empties on the out-breath.

    Parameters
    ----------
    pacer : PacerState or None
        None in own-rhythm mode.
    width : int
        Characters available.
    """
    width = max(10, width)
    if pacer is None:
        ratio = f" (out-breath about {own_ratio:.1f}x the in-breath)" if own_ratio else ""
        return Text(f"Breathe in your own rhythm{ratio}", style="bold")
    if pacer.paused:
        return Text("Paused — press p to continue", style="bold yellow")
    # Eighth-blocks make the bar move smoothly instead of jumping a whole cell at a time.
    cells = pacer.fill * width
    full = int(cells)
    eighths = int((cells - full) * 8)
    partial = " ▏▎▍▌▋▊▉"[eighths] if full < width and eighths else ""
    bar = "█" * full + partial
    style = PHASE_STYLE[pacer.phase]
    text = Text()
    for _ in range(3):
        text.append(bar.ljust(width) + "\n", style=style)
    label = f"{PHASE_WORDS[pacer.phase]}   {pacer.phase_left_s:4.1f} s"
    text.append(label.center(width), style=style)
    return text


def render_metrics(
    state: SessionState, pacer: PacerState | None, target_ratio: float | None
) -> Text:
    """Measured breath rate, ratio and heart rate beside the targets."""
    text = Text()
    rate = state.rate_bpm
    ratio = state.ratio
    target_rate = pacer.pattern.rate_bpm if pacer is not None else None
    target_r = pacer.pattern.ratio if pacer is not None else target_ratio
    text.append("Breath rate  ", style="dim")
    text.append(f"{rate:4.1f}" if rate is not None else "  - ", style="bold")
    text.append(f" bpm  (pacer {target_rate:.1f})\n" if target_rate else " bpm\n")
    text.append("Out : in     ", style="dim")
    text.append(f"{ratio:4.2f}" if ratio is not None else "  - ", style="bold")
    text.append(f"      (target {target_r:.2f})\n" if target_r else "\n")
    text.append("Heart rate   ", style="dim")
    text.append(f"{state.hr_bpm:4.0f}" if state.hr_bpm is not None else "  - ", style="bold red")
    text.append(" bpm\n")
    text.append("Follow       ", style="dim")
    score = state.last_breath.feedback.follow_score if state.last_breath else None
    text.append(f"{score:4d}" if score is not None else "  - ", style="bold")
    text.append(" / 100\n")
    text.append("Breaths      ", style="dim")
    text.append(f"{state.breaths:4d}")
    return text


class PacerView(Static):
    """The animated pacer."""


class BreathwiseApp(App[SessionResult | None]):
    """One session on screen.

    Parameters
    ----------
    session : ViewableSession
        A :class:`trainer.session.LiveSession` or :class:`trainer.session.ReplaySession`.
    run_session : callable
        Coroutine function that runs the session to its end and returns its result.
    title : str
        Shown in the header.
    duration_s : float or None
        Planned length, for the time-left display.
    on_pause, on_mark, on_quit : callables, optional
        Key actions (live sessions); replay leaves pause and mark out.
    """

    CSS = """
    Screen { layout: vertical; }
    #pacer { height: 6; border: round $accent; padding: 0 1; }
    #middle { height: 9; }
    #metrics { width: 44; border: round $primary; padding: 0 1; }
    #traces { border: round $primary; padding: 0 1; }
    #traces Sparkline { height: 3; }
    #cue { height: 3; border: round $success; padding: 0 1; content-align: center middle; }
    #status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause/resume"),
        Binding("m", "mark", "Mark moment"),
        Binding("q", "quit_session", "Quit (saves)"),
    ]

    def __init__(
        self,
        session: ViewableSession,
        run_session: Callable[[], Awaitable[SessionResult]],
        *,
        title: str,
        duration_s: float | None,
        target_ratio: float | None = None,
        on_pause: Callable[[], None] | None = None,
        on_mark: Callable[[], None] | None = None,
        on_quit: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self._run_session = run_session
        self._duration_s = duration_s
        self._target_ratio = target_ratio
        self._on_pause = on_pause
        self._on_mark = on_mark
        self._on_quit = on_quit
        self.title = title
        self.result: SessionResult | None = None
        self._note = ""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield PacerView(id="pacer")
        with Horizontal(id="middle"):
            yield Static(id="metrics")
            with Vertical(id="traces"):
                yield Static("Breathing (last 60 s)", classes="label")
                yield Sparkline([], id="breath_trace")
                yield Static("Heart rate (last 60 s)", classes="label")
                yield Sparkline([], id="hr_trace")
        yield Static(id="cue")
        yield Static(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.set_interval(1.0 / REFRESH_HZ, self.refresh_view)
        self.run_worker(self._drive(), exclusive=True)

    async def _drive(self) -> None:
        self.result = await self._run_session()
        self.refresh_view()
        self.exit(self.result)

    def refresh_view(self) -> None:
        """Redraw everything from the session's state at the session's current time."""
        t_s = self.session.now_s()
        state = self.session.state
        pacer = self.session.pacer_state(t_s)
        pacer_view = self.query_one("#pacer", PacerView)
        width = max(10, pacer_view.size.width - 2)
        pacer_view.update(render_pacer(pacer, width, self._target_ratio))
        self.query_one("#metrics", Static).update(render_metrics(state, pacer, self._target_ratio))
        horizon = t_s - 60.0
        self.query_one("#breath_trace", Sparkline).data = [
            v for t, v in state.breath_trace if t >= horizon
        ] or [0.0]
        self.query_one("#hr_trace", Sparkline).data = [
            v for t, v in state.hr_trace if t >= horizon
        ] or [0.0]
        self.query_one("#cue", Static).update(Text(state.cue or "Follow the bar with your breath"))
        clock = f"{int(t_s // 60):02d}:{int(t_s % 60):02d}"
        if self._duration_s is not None:
            left = max(0.0, self._duration_s - t_s)
            clock += f"  ({int(left // 60):02d}:{int(left % 60):02d} left)"
        parts = [clock]
        if state.status:
            parts.append(state.status)
        if state.marks:
            parts.append(f"{state.marks} mark(s)")
        if self._note:
            parts.append(self._note)
        self.query_one("#status", Static).update("  ·  ".join(parts))

    def action_pause(self) -> None:
        if self._on_pause is not None:
            self._on_pause()
            self.refresh_view()

    def action_mark(self) -> None:
        if self._on_mark is not None:
            self._on_mark()
            self._note = "marked"
            self.refresh_view()

    def action_quit_session(self) -> None:
        if self._on_quit is not None:
            self._note = "saving…"
            self._on_quit()
        else:
            self.exit(self.result)
