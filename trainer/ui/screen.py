"""The terminal UI (Textual): renders a session's state; computes nothing of its own.

The app is handed a session (live or replay) and a coroutine that runs it. Twenty times a second
it reads ``session.now_s()`` and ``session.state`` and redraws; keys call the session's actions.
Tests drive it headless with ``App.run_test()`` and an injected clock.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar, Literal, NamedTuple, Protocol

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Span, Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Footer, Header, Sparkline, Static
from textual.widgets._footer import FooterKey

from trainer.coaching.coach import target_ratio as breath_target_ratio
from trainer.coaching.pacer import PacerState, Phase
from trainer.programs.runner import TimelineState
from trainer.session.live_replay import AlwaysStarted, SessionResult
from trainer.session.sensor_label import SENSORLESS_MARK
from trainer.session.summary import SessionSummary
from trainer.ui.headless import PROGRAM_COMPLETE, format_summary
from trainer.ui.state import SOURCE_LABELS, SessionState

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
SHORT_ROWS = 30
"""Terminals with fewer rows than this get the compact layout while a program's card or the
closing summary is up (:class:`BreathwiseApp`)."""
PLAIN_SHORT_ROWS = 23
"""Without a card or summary the full layout needs 22 rows; fewer get the compact one."""
TINY_ROWS = 16
"""Terminals with fewer rows than this (a 40x12 pane) get the tiny layout: the pacer without
its frame, the numbers without theirs and shrinking first, so that the status line - the
mark of a simulated or missing sensor, and the clock - always stays on screen (found in
review: at 40x12 the clock and the SIMULATED SENSOR label were cut off)."""
PACER_ROWS = {"full": 6, "short": 4, "tiny": 2}
"""The pacer panel's rows in each layout (the CSS of :class:`BreathwiseApp`)."""
CUE_ROWS = {"full": (3, 5), "short": (1, 2), "tiny": (1, 1)}
"""The cue panel's fewest and most rows in each layout (its CSS), frame included."""
STATUS_MAX_ROWS = {"full": 3, "short": 3, "tiny": 2}
"""The status line's most rows in each layout (its CSS), beside a step card; a longer one
takes rows from the numbers' panel down to a line of numbers (:meth:`BreathwiseApp._fit_card`),
as it does without a card (:meth:`BreathwiseApp._fit_plain`)."""
Fitter = Literal["plain", "card", "end", "css"]
"""What sets the panels' heights: :meth:`BreathwiseApp._fit_plain` (no card, no summary),
``_fit_card`` (a program's step card), ``_fit_end`` (the closing summary), or the CSS alone
(the tiny layout without a card or summary, where the numbers take the rows left)."""
MIDDLE_ROWS = 10
MIDDLE_ROWS_NARROW = 8
"""The numbers' (and traces') panel rows, in a terminal of :data:`NARROW_COLUMNS` or more and
in a narrower one (its CSS; the tiny layout gives it what is left)."""
MIDDLE_FEWEST_ROWS = 3
"""The fewest rows the numbers' panel yields to a long status line: its frame and one line."""
HEADER_ROWS = FOOTER_ROWS = 1
"""Textual's header (shown above the short layout) and key bar."""
MARK_SHOWN_S = 4.0
QUIT_CONFIRM_S = 3.0
"""In a program done with the eyes closed, a second ``q`` within this many seconds of the first
ends the session (without this, lying down, a stray key ended a session at once)."""
QUIT_AGAIN_NOTE = "press q again to stop (the session is saved)"
SKIPPED_NOTE = "skipped to the next step"
"""Seconds "marked" stays on the status line after ``m``, as a cue stays a while (it stayed
for the rest of the session; the count of marks beside the clock remains)."""
NARROW_COLUMNS = 80
"""Terminals narrower than this drop the traces, so the numbers keep their width."""
TIP_SHOWN_S = 10.0
"""Seconds each of a program's tips stays in the cue panel before the next (until a cue)."""
CUE_SHOWN_S = 30.0
"""A cue older than this gives way to the default line: a cue is about the breathing when it
was given, and the coach is silent while nothing is clearly right or wrong."""
BREATH_TRACE_LABEL = "Breathing (last 60 s)"
TRACE_WINDOW_S = 60.0


def trace_label(what: str, first_t_s: float | None, t_s: float) -> str:
    """``"<what> (last 60 s)"``, or, in a session's first minute, the seconds the trace holds.

    A sparkline stretches whatever it is given across its width: 12 s of breathing drawn under
    "last 60 s" would show breaths five times slower than they are.
    """
    span_s = TRACE_WINDOW_S if first_t_s is None else min(TRACE_WINDOW_S, t_s - first_t_s)
    return f"{what} (last {max(1.0, span_s):.0f} s)"


SENSORLESS_PANEL = (
    "No sensor: nothing is measured or scored.\n\nFollow the pacer and the step card; the "
    "chimes mark each change. The session is kept in your history as minutes practised."
)
"""The numbers' panel of a session without a sensor (``--device none``)."""
SENSORLESS_REPLAY_PANEL = (
    "No sensor: nothing was measured or scored.\n\nThis session was practised with the pacer, "
    "step cards and chimes alone; the replay shows them as they came."
)
"""The same panel in a replay, which neither asks anyone to follow the pacer nor keeps
anything in the history."""
NO_WAVEFORM_LABEL = "Breathing: no belt or chest signal yet"
NO_WAVEFORM_RR_LABEL = "Breathing: read from the heart rhythm (rate only, no waveform)"
NO_BEATS_LABEL = "Heart rate: no beats in the last 60 s"


class ViewableSession(Protocol):
    """What the UI needs from a live or replay session (:mod:`trainer.session.live_replay`).

    Every member is read by the screen; those a session may have nothing to say about answer
    with a neutral value, as :class:`SessionDefaults` gives them: no program (``None``), no
    pauses (practised time is session time), no connecting phase (started, not start-paused,
    no early marks).
    """

    state: SessionState

    def now_s(self) -> float:
        """Session seconds now."""
        ...

    def pacer_state(self, t_s: float) -> PacerState | None:
        """The pacer at ``t_s``, or ``None`` in own-rhythm mode or before the start."""
        ...

    def program_state(self, t_s: float) -> TimelineState | None:
        """The program at session second ``t_s``; ``None`` without a program."""
        ...

    def program_time_s(self, t_s: float) -> float | None:
        """Program seconds (session seconds less pauses) at ``t_s``; ``None`` without one."""
        ...

    def practised_s(self, t_s: float) -> float:
        """Session seconds at ``t_s`` less the pauses: what the countdown counts."""
        ...

    @property
    def started(self) -> bool:
        """Whether the session's clock runs (a live session waits for its sensor)."""
        ...

    @property
    def start_paused(self) -> bool:
        """Pause was pressed (an odd number of times) while connecting."""
        ...

    @property
    def early_marks(self) -> Sequence[str]:
        """Marks pressed while connecting, recorded at the start (not yet in the state)."""
        ...

    def stop(self) -> None:
        """End the session at the point reached; its ``run`` then returns the summary."""
        ...


class SessionDefaults(AlwaysStarted):
    """The neutral answers of :class:`ViewableSession` for a session with no program, no
    pauses and no connecting phase (a test double, a simple front end)."""

    def program_state(self, t_s: float) -> TimelineState | None:
        """No program."""
        return None

    def program_time_s(self, t_s: float) -> float | None:
        """No program."""
        return None

    def practised_s(self, t_s: float) -> float:
        """No pauses: every second is practised."""
        return t_s


# Explicit reds, not the ANSI names: Textual draws "red" and "magenta" as its dark theme's
# #f4005f, 4.47:1 on the panel's #121212, just under the 4.5:1 WCAG 2.1 asks of text.
HEART_STYLE = "bold #ff6b6b"
"""The heart rate's number (it is told from the breathing numbers by its colour; 6.8:1)."""
MARK_STYLE = "bold reverse #ff6b6b"
"""The SIMULATED SENSOR / NO SENSOR mark on the numbers' frame (6.8:1)."""
STEP_TITLE_STYLE = "bold #ff5fd7"
"""A program step's title on its card (magenta, 7.0:1)."""


def without_colour(text: Text) -> Text:
    """``text`` with the colours taken out of its styles, their bold, reverse and dim kept.

    Under ``NO_COLOR`` Textual turns every colour into the grey of its luminance. Red and
    magenta are dark: the heart rate's number became grey 59 on the panel's 18 (contrast
    1.7:1, where WCAG 2.1 asks 4.5:1 of text), the reversed SIMULATED SENSOR mark dark text
    on grey 54 (1.6:1), the step card's title 1.7:1. Without a colour of
    their own they take the panel's text colour, which the theme keeps light on its dark
    background (14:1), and a reversed mark becomes a block of it with the background's
    colour as text; bold and reverse still set them apart.
    """
    plain = text.copy()
    plain.style = _colourless(text.style)
    plain.spans = [Span(span.start, span.end, _colourless(span.style)) for span in text.spans]
    return plain


def _colourless(style: str | Style) -> Style:
    return (Style.parse(style) if isinstance(style, str) else style).without_color


def render_pacer(
    pacer: PacerState | None,
    width: int,
    own_ratio: float | None = None,
    *,
    rows: int = 3,
    can_pause: bool = True,
) -> Text:
    """The pacer as rich text: a bar that fills on the in-breath and empties on the out-breath.

    Parameters
    ----------
    pacer : PacerState or None
        None in own-rhythm mode.
    width : int
        Characters available.
    own_ratio : float or None
        Exhale:inhale ratio suggested in own-rhythm mode.
    rows : int
        Height of the bar in lines (the phase label takes one more): 3, or 1 in a short
        terminal.
    can_pause : bool
        Whether p can resume a pause here (not in a replay, which shows a recorded pause).
    """
    width = max(10, width)
    if pacer is None:
        ratio = f" (out-breath about {own_ratio:.1f}x the in-breath)" if own_ratio else ""
        return Text(f"Breathe in your own rhythm{ratio}", style="bold")
    if pacer.paused:
        return Text(paused_text(can_pause), style="bold yellow")
    # Eighth-blocks make the bar move smoothly instead of jumping a whole cell at a time.
    cells = pacer.fill * width
    full = int(cells)
    eighths = int((cells - full) * 8)
    partial = " ▏▎▍▌▋▊▉"[eighths] if full < width and eighths else ""
    bar = "█" * full + partial
    style = PHASE_STYLE[pacer.phase]
    text = Text()
    for _ in range(max(1, rows)):
        text.append(bar.ljust(width) + "\n", style=style)
    label = f"{PHASE_WORDS[pacer.phase]}   {pacer.phase_left_s:4.1f} s"
    text.append(label.center(width), style=style)
    return text


def paused_text(can_pause: bool) -> str:
    """What a pause says: how to resume it, where that is possible."""
    return "Paused — press p to continue" if can_pause else "Paused (in the recording)"


CONNECTING_TEXT = "Connecting to the sensor…"
"""The pacer panel while a live session's source still connects (its clock has not started)."""
START_PAUSED_TEXT = "the session will start paused — press p to start it running"
"""Added to it when pause was pressed meanwhile (``LiveSession.start_paused``)."""


def connecting_text(start_paused: bool) -> Text:
    """The pacer panel before the session starts: no pacer runs yet, and a pause pressed
    meanwhile is waiting for the start."""
    if start_paused:
        return Text(f"{CONNECTING_TEXT}\n{START_PAUSED_TEXT}", style="bold yellow")
    return Text(CONNECTING_TEXT, style="bold")


def render_metrics(
    state: SessionState,
    pacer: PacerState | None,
    target_ratio: float | None,
    summary: SessionSummary | None = None,
    t_s: float | None = None,
) -> Text:
    """Measured breath rate (with the source it comes from), ratio and heart rate beside the
    targets.

    Parameters
    ----------
    state : SessionState
        The session's picture: its follow score is the latest breath's (or pace's).
    pacer : PacerState or None
        The pacer now, for the targets: its rate, and the ratio the coach judges a breath
        against (:func:`trainer.coaching.coach.target_ratio`, a hold at the top counted with
        the inhale as a detector sees it), not the pattern's ``exhale_s / inhale_s``.
    target_ratio : float or None
        The exhale:inhale target without a pacer (an own-rhythm step's; None when it asks
        none).
    summary : SessionSummary or None
        The summary of a session that is over: the rate, exhale:inhale and follow lines then
        show its median rate (and its source), mean exhale:inhale and mean follow score, the
        numbers the printed summary gives (``trainer.ui.headless.format_summary``), labelled as
        such, the targets of those very breaths (``target_rate_bpm``, ``target_ratio``), and
        its heart rate at the start and the end. The latest breath's score said "-" when that
        breath was not scored (an own-rhythm closing step) beside a summary of "follow
        70/100", and the rate and ratio those of the last few breaths.
    t_s : float, optional
        Session time now (s): a heart rate whose last beat is no longer current then reads
        "-" with the age of that beat (:meth:`SessionState.heart_rate_at`), not as if current.
    """
    text = Text()
    rate = state.rate_bpm
    ratio = state.ratio
    source = state.rate_source_label
    rate_label = "Breath rate  "
    follow_label = "Follow       "
    follow = float(state.follow[0]) if state.follow is not None else None
    pace_only = state.follow is not None and state.follow[1]
    if summary is not None:
        # Over: the session's own numbers, as the printed summary gives them, not the last
        # few breaths'.
        rate, ratio = summary.get("median_rate_bpm"), summary.get("mean_ratio")
        chosen = summary.get("breath_source")
        source = SOURCE_LABELS.get(chosen, str(chosen)) if chosen else ""
        rate_label = "Median rate  "
        follow_label = "Mean follow  "
        follow = summary.get("mean_follow_score")
        pace_only = summary.get("follow_basis") == "pace"
    target_rate = pacer.pattern.rate_bpm if pacer is not None else None
    # The coach's target (Coach.assess), not pattern.ratio: a 4-7-8 pattern's breaths are
    # judged against 8 / (4 + 7) = 0.73, and the screen said 2.00.
    target_r = breath_target_ratio(pacer.pattern) if pacer is not None else target_ratio
    if summary is not None:
        # Over: the targets of the breaths the median rate and mean ratio are of, not the
        # last step's (a body scan showed its paced breaths' 1.37 beside its closing
        # own-rhythm step's 1.30; a resonance assessment's median rate beside its last
        # step's 4.5/min).
        target_rate = summary.get("target_rate_bpm")
        target_r = summary.get("target_ratio")
    text.append(rate_label, style="dim")
    text.append(f"{rate:4.1f}" if rate is not None else "  - ", style="bold")
    text.append(f" /min  (pacer {target_rate:.1f})\n" if target_rate else " /min\n")
    text.append("  from       ", style="dim")
    text.append(f"{source or '-'}\n")
    # One column wider than the other labels, as its number has two decimals: the decimal
    # points line up. "Mean exhale:inhale" would leave the target no room in the panel's 40
    # columns, so once over the number is followed by "mean" instead.
    text.append("Exhale:inhale ", style="dim")
    text.append(f"{ratio:4.2f}" if ratio is not None else " -  ", style="bold")
    mean = " mean " if summary is not None else "      "
    text.append(f"{mean}(target {target_r:.2f})\n" if target_r else f"{mean.rstrip()}\n")
    text.append("Heart rate   ", style="dim")
    if summary is None:
        hr, stale_s = state.heart_rate_at(t_s) if t_s is not None else (state.hr_bpm, None)
        if stale_s is not None:
            # Lost: the old number is not the heart rate now; say how old it is.
            text.append("  - ", style=HEART_STYLE)
            text.append(f" bpm  ({hr:.0f}, {stale_s:.0f} s ago)\n", style="dim")
        else:
            text.append(f"{hr:4.0f}" if hr is not None else "  - ", style=HEART_STYLE)
            text.append(" bpm\n")
    else:
        # Over: the summary's start and end heart rates, as it prints them ("HR 65 -> 65"),
        # not the last beat's rate (67 beside a summary of 65 -> 65).
        start, end = summary.get("hr_start_bpm"), summary.get("hr_end_bpm")
        text.append(f"{start:4.0f}" if start is not None else "  - ", style=HEART_STYLE)
        text.append(" -> ")
        text.append(f"{end:.0f}" if end is not None else "-", style=HEART_STYLE)
        # 40 cells with two-digit rates: the panel's inside at 80 columns or more. With
        # "  (start -> end)" it was 43, and wrapped its last word onto a row of its own.
        text.append(" bpm (start, end)\n")
    text.append(follow_label, style="dim")
    text.append(f"{follow:4.0f}" if follow is not None else "  - ", style="bold")
    text.append(" / 100  (pace only)\n" if pace_only else " / 100\n")
    text.append("Breaths      ", style="dim")
    text.append(f"{state.breaths:4d}")
    return text


def _mmss(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def _mmss_left(seconds: float) -> str:
    """Time left as m:ss, rounded up as a countdown is: elapsed (rounded down) and left then
    add up to the whole (both rounded down read 00:07 and 00:52 of a minute, found in
    review), and 00:00 means over."""
    return _mmss(math.ceil(seconds - 1e-9))


CARD_SEPARATOR = "  ·  "
"""Between the parts of the step card's last line (side, repetition, next step, time left)."""

Segment = tuple[str, str]
"""A run of text on the step card and its style."""


def _first_fitting(variants: Sequence[Sequence[Segment]], width: int) -> Sequence[Segment]:
    """The first of ``variants`` (fullest first) whose text fits in ``width`` characters; the
    last, the most compact, when none does (it wraps)."""
    for variant in variants:
        if sum(len(text) for text, _ in variant) <= width:
            return variant
    return variants[-1]


def _ends_in_step(program: TimelineState, session_left_s: float | None) -> bool:
    """The session (cut short by ``--minutes``) ends before the current step does: the step
    timer then counts down to the session's end and no next step is announced."""
    return session_left_s is not None and session_left_s < program.step_left_s - 1.0


def _card_head(
    program: TimelineState,
    width: int,
    *,
    paused: bool,
    can_pause: bool,
    session_left_s: float | None = None,
) -> Sequence[Segment]:
    """The card's first line: step number and title, posture, time left in the step, and the
    pause, on one line of ``width``.

    Wrapped onto a second line it pushed the panels below it off an 80x24 terminal (found in
    review: five back-release steps, "Step 13/27  Hip swings on hands and knees   (on hands
    and knees)   03:20 left in step", 85 characters on a card of 76; paused, 115). So, as
    long as it does not fit: narrower gaps, the pause said in a word (the pacer panel says how
    to resume), the timer without "in step", and last the posture (the instruction and the
    step before it set the posture up). When the session ends inside this step
    (:func:`_ends_in_step`) the timer counts down to that end, "left in session": "02:35 left in
    step" over a session with 01:55 left promised time it did not have.
    """
    step = program.step
    title = (f"Step {program.step_index + 1}/{program.step_count}  {step.title}", STEP_TITLE_STYLE)
    posture = f"({step.posture.label})"
    ends_here = _ends_in_step(program, session_left_s)
    left = _mmss_left(
        session_left_s if ends_here and session_left_s is not None else program.step_left_s
    )
    pause_long = paused_text(can_pause).lower() if paused else ""
    pause_short = "paused" if paused else ""

    def head(gap: str, pause: str, timer: str, *, with_posture: bool = True) -> list[Segment]:
        segments = [title]
        if with_posture:
            segments.append((f"{gap}{posture}", "dim"))
        segments.append((f"{gap}{timer}", "bold"))
        if pause:
            segments.append((f"  {pause}", "bold yellow"))
        return segments

    in_step = f"{left} left in session" if ends_here else f"{left} left in step"
    compact = head("  ", pause_short, f"{left} left", with_posture=False)
    # Last, the title is cut (with "…"): wrapped, the head took a second row that a small
    # window (40x10, paused) could not give, and pushed the card's caution out.
    over = sum(len(text) for text, _ in compact) - width
    if over > 0:
        text, style = title
        keep = max(len(text) - over - 1, len(f"Step {program.step_count}/{program.step_count}"))
        compact = [(text[:keep].rstrip() + "…", style), *compact[1:]]
    return _first_fitting(
        [
            head("   ", pause_long, in_step),
            head("  ", pause_long, in_step),
            head("  ", pause_short, in_step),
            head("  ", pause_short, f"{left} left"),
            compact,
        ],
        width,
    )


def _card_foot(
    program: TimelineState, width: int, session_left_s: float | None
) -> Sequence[Segment]:
    """The card's last line: side, repetition, next step, and the time left in the program
    (or in a session that ends before it), on one line of ``width`` as long as it fits.

    "Next: ..." only where the line has room for it: wrapped onto a second line, it pushed the
    panels below off an 80x24 terminal (a sided, counted step with a long instruction, e.g.
    the lying twist); the next step's own card and chime announce it anyway. A session cut
    short by ``--minutes`` says so in full where there is room, else "left in session", and
    names no next step when it ends inside this one. Where even that does not fit, side and
    repetition alone (the status line shows the time left).
    """
    step = program.step
    parts: list[str] = []
    if program.side is not None:
        parts.append(f"Side: {program.side}")
    if program.repetition is not None and step.repetitions is not None:
        rep = f"Repetition {program.repetition}/{step.repetitions}"
        if program.repetition_left_s is not None:
            rep += f" ({program.repetition_left_s:4.1f} s)"
        parts.append(rep)
    if session_left_s is not None and session_left_s < program.left_s - 1.0:
        ends = [
            f"{_mmss_left(session_left_s)} left (the session ends before the program)",
            f"{_mmss_left(session_left_s)} left in session",
        ]
    else:
        ends = [f"{_mmss_left(program.left_s)} left in program"]
    variants: list[list[Segment]] = []
    # A step the session ends before is not announced as coming.
    if program.next_title and not _ends_in_step(program, session_left_s):
        upcoming = f"Next: {program.next_title}"
        variants += [[(CARD_SEPARATOR.join([*parts, upcoming, end]), "cyan")] for end in ends]
    variants += [[(CARD_SEPARATOR.join([*parts, end]), "cyan")] for end in ends]
    if parts:
        # A narrow card: side and repetition on one line without the time left, which the
        # status line shows too; wrapped, they took a second row of a small window.
        variants += [[(separator.join(parts), "cyan")] for separator in (CARD_SEPARATOR, " · ")]
    return _first_fitting(variants, width)


def _wrapped_rows(text: str, width: int) -> int:
    """Rows ``text`` takes in a panel ``width`` cells wide, wrapped as Textual wraps it."""
    return sum(len(Content(line).wrap(max(1, width))) for line in text.split("\n"))


def _one_row(text: str, width: int) -> str:
    """``text`` on one row of ``width`` cells: whole if it fits, else its first row as Textual
    wraps it, cut with "…" (:func:`_cut_instruction`)."""
    if cell_len(text) <= width:
        return text
    lines = [line.plain.rstrip() for line in Content(text).wrap(max(1, width))]
    return _cut_instruction(lines, 1, width)[0]


def _instruction_lines(program: TimelineState, width: int) -> list[str]:
    """The step's instruction wrapped to ``width``, as the card shows it."""
    instruction = Content(" ".join(program.step.text.split()))
    return [line.plain.rstrip() for line in instruction.wrap(max(1, width))]


def _cut_instruction(lines: Sequence[str], rows: int, width: int) -> list[str]:
    """The first ``rows`` of ``lines``; when that leaves some out, the last one ends in "…"
    (at a word's end where one is near) so that the cut shows."""
    if rows >= len(lines):
        return list(lines)
    kept = list(lines[: max(0, rows)])
    if kept:
        last = kept[-1]
        if cell_len(last) + 2 > width:
            shorter = last.rsplit(" ", 1)[0]
            last = shorter if shorter != last else set_cell_size(last, width - 2)
        last = last.rstrip(" ,;:")
        # After a sentence's end the cut is of the next one: "way. …", not "way.…".
        kept[-1] = last + (" …" if last.endswith((".", "!", "?")) else "…")
    return kept


def card_rows(
    program: TimelineState,
    width: int,
    *,
    paused: bool = False,
    can_pause: bool = True,
    session_left_s: float | None = None,
    cautions: Sequence[str] = (),
) -> tuple[int, int]:
    """Rows of :func:`render_program`'s card at ``width``: ``(kept, instruction)``.

    ``kept`` are the rows always shown (first line, safety lines, side and repetition),
    ``instruction`` those of the whole instruction, the part a small window cuts.
    """
    width = max(20, width)
    if program.finished:
        return _wrapped_rows(PROGRAM_COMPLETE, width), 0
    head = _card_head(
        program, width, paused=paused, can_pause=can_pause, session_left_s=session_left_s
    )
    foot = _card_foot(program, width, session_left_s)
    kept = sum(
        _wrapped_rows("".join(text for text, _ in line), width) for line in (head, foot)
    ) + sum(_wrapped_rows(line, width) for line in cautions)
    return kept, len(_instruction_lines(program, width))


def render_program(
    program: TimelineState,
    width: int,
    *,
    paused: bool = False,
    can_pause: bool = True,
    session_left_s: float | None = None,
    cautions: Sequence[str] = (),
    instruction_rows: int | None = None,
) -> Text:
    """The step card: step number and title, posture, instruction, the step's caution, side,
    repetition, countdowns.

    Parameters
    ----------
    program : TimelineState
        The program at the session's current program time (``ProgramTimeline.at``; it stands
        still while paused, and so do the countdowns).
    width : int
        Characters available (the card wraps the instruction to it; its first and last lines
        are fitted to it, :func:`_card_head` and :func:`_card_foot`).
    paused : bool
        The session is paused: said next to the step timer.
    can_pause : bool
        Whether p can resume the pause (not in a replay).
    session_left_s : float or None
        Seconds left in the session, when it ends before the program does (``--minutes``
        shorter than the program): the card then counts down to that end instead.
    cautions : sequence of str
        Safety lines to show under the instruction (the step's caution, the red-flag screen's
        reminder) where the card's borders have no room for them (:class:`BreathwiseApp`
        puts them there when they fit, which costs no row of an 80x24 terminal). Always
        whole.
    instruction_rows : int or None
        Rows the instruction may take (None: all it needs). A window too small for the whole
        card cuts the instruction, ending it in "…", never the safety lines nor side and
        repetition below it: clipped from the bottom, a 70x14 window lost the caution "stop
        if it hurts" and "Side: left · Repetition 1/8".
    """
    width = max(20, width)
    text = Text()
    if program.finished:
        text.append(PROGRAM_COMPLETE, style="bold green")
        return text
    head = _card_head(
        program, width, paused=paused, can_pause=can_pause, session_left_s=session_left_s
    )
    for segment, style in head:
        text.append(segment, style=style)
    text.append("\n")
    if instruction_rows is None:
        text.append(" ".join(program.step.text.split()) + "\n")
    else:
        lines = _cut_instruction(_instruction_lines(program, width), instruction_rows, width)
        text.append("".join(line + "\n" for line in lines))
    for line in cautions:
        text.append(line + "\n", style=CAUTION_STYLE)
    for segment, style in _card_foot(program, width, session_left_s):
        text.append(segment, style=style)
    return text


CAUTION_STYLE = "bold yellow"
BORDER_TEXT_MARGIN = 6
"""Columns of a card's border a title cannot use: each side a corner, a line and a space
(Textual draws ``╰─ title ─╯``, and cuts a longer title with "…")."""


def place_cautions(
    caution: str, note: str, border_columns: int
) -> tuple[Text | None, Text | None, list[str]]:
    """Where the card's safety lines go: ``(top border, bottom border, lines in the card)``.

    The step's caution goes on the bottom border and the screen's note (the red-flag reminder)
    on the top one, where they take no row: with them as lines the longest back-release cards
    pushed the panels below off an 80x24 terminal. One longer than its border (a narrow
    terminal, or a card without a frame: ``border_columns`` 0) becomes a line of the card
    instead, whole: a safety line is never cut short.

    ``border_columns`` is the card's whole width, frame included (the caution of
    back-release, 70 characters, fits on the border of a 76-column card).
    """
    room = border_columns - BORDER_TEXT_MARGIN
    top = Text(note, style=CAUTION_STYLE) if note and len(note) <= room else None
    bottom = Text(caution, style=CAUTION_STYLE) if caution and len(caution) <= room else None
    inside = [line for line, border in ((caution, bottom), (note, top)) if line and border is None]
    return top, bottom, inside


class RowShare(NamedTuple):
    """Rows given to the step card's instruction, the cue panel and the numbers' panel."""

    instruction: int
    cue: int
    middle: int


def share_rows(
    rows: int,
    *,
    card: int,
    instruction: int,
    cue: tuple[int, int],
    middle: tuple[int, int],
    middle_frame: int,
) -> RowShare:
    """Share ``rows`` between a step card, the cue and the numbers when they do not all fit.

    Parameters
    ----------
    rows : int
        Rows for the three (the window's, less the pacer, header, status line and key bar).
    card : int
        The card's rows always shown, frame included: its first line, its safety lines and
        side and repetition.
    instruction : int
        Rows of the card's whole instruction.
    cue, middle : tuple of int
        The fewest and the most rows of the cue panel and of the numbers' panel.
    middle_frame : int
        Rows of the numbers' panel's frame: a frame with no line inside is not shown.

    Returns
    -------
    RowShare
        Each takes what it asks while there is room. Otherwise rows are given up in this
        order: the numbers' panel down to its fewest (none for the static NO SENSOR text),
        the cue's second line (a tip's end), the instruction down to one line, the numbers'
        last line, the instruction's last line, the cue. The card's own rows are never given
        up: the caution and the side to stretch matter more than anything below them.
    """
    share = {"middle": middle[1], "cue": cue[1], "instruction": instruction}
    over = card + sum(share.values()) - rows
    order = (
        ("middle", middle[0]),
        ("cue", cue[0]),
        ("instruction", min(1, instruction)),
        ("middle", 0),
        ("instruction", 0),
        ("cue", 0),
    )
    for part, fewest in order:
        given = max(0, min(over, share[part] - fewest))
        share[part] -= given
        over -= given
    if middle_frame and 0 < share["middle"] <= middle_frame:
        # A frame around nothing: its rows go back to a cut instruction.
        freed, share["middle"] = share["middle"], 0
        share["instruction"] = min(instruction, share["instruction"] + freed)
    return RowShare(share["instruction"], share["cue"], share["middle"])


def _text_key(text: Text) -> tuple[object, ...]:
    """What ``text`` draws: its characters, its styles and how it is laid out. (``Text``'s own
    ``==`` compares the characters and spans alone, not the style of the whole text.)"""
    return (
        text.plain,
        text.style,
        tuple(text.spans),
        text.justify,
        text.overflow,
        text.no_wrap,
        text.end,
        text.tab_size,
    )


class TextPanel(Static):
    """A panel of text redrawn only when its text changes (:meth:`show`).

    ``Static.update`` repaints the panel and lays out the whole screen each time it is called:
    with every panel updated twenty times a second that cost a quarter of a CPU core (measured
    with a simulated sensor at 100x30), for a screen that is up for 20-60 minutes on laptops
    and small machines. Most panels change once a second or less (the clock, a breath's
    numbers, a cue); only the pacer moves in every frame.

    Parameters
    ----------
    content : Text, optional
        What the panel shows first.
    fixed_size : bool
        The panel's size never depends on its text (its CSS, or the screen's row share, sets
        it): a change is repainted without laying out the screen again. Otherwise (a panel of
        ``height: auto``) a change that wraps to another number of rows is laid out, as the
        panel's height may change with it; one of the same rows is only repainted.
    id, classes : str, optional
        As for :class:`textual.widgets.Static`.
    """

    def __init__(
        self,
        content: Text | None = None,
        *,
        fixed_size: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("" if content is None else content, id=id, classes=classes)
        self._fixed_size = fixed_size
        self._shown: tuple[object, ...] | None = None if content is None else _text_key(content)

    def show(self, text: Text) -> None:
        """Show ``text``: repainted (and, unless the panel's size is fixed, laid out) only if it
        differs from what the panel shows."""
        key = _text_key(text)
        if key == self._shown:
            return
        self._shown = key
        if self._fixed_size:
            self.update(text, layout=False)
            return
        width = self.content_size.width
        # The rows the text takes at the panel's width, as Textual counts them for a panel of
        # ``height: auto``; unknown before the panel's first layout, or while it is hidden.
        rows_before = self._rows(width) if width else None
        self.update(text, layout=False)
        if rows_before is None or self._rows(width) != rows_before:
            # Its rows change, and with them, maybe, the panel's height: lay the screen out.
            # (The clock's every second on the status line takes the same rows: repainted.)
            self.refresh(layout=True)

    def _rows(self, width: int) -> int:
        """Rows of the panel's text at ``width`` cells (the container and viewport sizes
        matter only to a container)."""
        return self.get_content_height(self.size, self.app.size, width)


class PacerView(TextPanel):
    """The animated pacer: its rows are its CSS's in every layout, so that a frame only repaints
    it (it moves in every frame)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(fixed_size=True, id=id)


class CueBox(VerticalScroll, can_focus=False):
    """Holds the cue panel; at the end it scrolls the closing summary when the window has too
    few rows for it (the keys reach it through :class:`BreathwiseApp`, which nothing focuses:
    p, m and q stay the app's)."""


SCROLL_KEYS = {
    "up": "scroll_up",
    "down": "scroll_down",
    "pageup": "scroll_page_up",
    "pagedown": "scroll_page_down",
    "home": "scroll_home",
    "end": "scroll_end",
}
"""Keys that scroll the closing summary, and the :class:`CueBox` method that does it
(:meth:`BreathwiseApp.action_scroll_summary`)."""


KEY_BAR_FULL_COLUMNS = 60
"""Terminals narrower than this get the short key bar (:class:`KeyBar`), for the keys ``p``,
``m`` and ``q``; the next-step key and the two-press quit need more (:data:`KEY_BAR_MORE`)."""
KEY_BAR_MORE = {"next_step": 13, "quit_twice": 9}
"""Columns the full key bar needs beyond :data:`KEY_BAR_FULL_COLUMNS` for these actions, when
the session offers them: " n Next step " and "(q twice, saves)" against "(saves)"."""
SHORT_KEY_LABELS = {
    "pause": "Pause",
    "mark": "Mark",
    "next_step": "Next",
    "quit_twice": "Quit (twice)",
}
"""The key bar's labels in a narrow terminal, by action; the others keep theirs."""


class KeyBar(Footer):
    """Textual's key bar, with shorter labels and no command-palette entry when ``narrow``.

    Its labels and the ``^p palette`` entry need 59 columns: below that the bar was cut at
    its right end, and at 40 columns "q Quit (saves)", the key that ends and saves the
    session, was not shown at all. Narrow, it reads ``p Pause  m Mark
    q Quit (saves)`` (33 columns); Ctrl+P still opens the palette.
    """

    narrow: reactive[bool] = reactive(False, recompose=True)

    def compose(self) -> ComposeResult:
        """Textual's keys, relabelled and without the palette's when narrow."""
        for widget in super().compose():
            if self.narrow and isinstance(widget, FooterKey):
                if widget.has_class("-command-palette"):
                    continue
                widget.description = SHORT_KEY_LABELS.get(widget.action, widget.description)
            yield widget


class BreathwiseApp(App[SessionResult | None]):
    """One session on screen.

    Parameters
    ----------
    session : ViewableSession
        A :class:`trainer.session.live_replay.LiveSession` or
        :class:`trainer.session.live_replay.ReplaySession`.
    run_session : callable
        Coroutine function that runs the session to its end and returns its result.
    title : str
        Shown in the header.
    duration_s : float or None
        Planned length, for the time-left display. In a program session (a session with a
        ``program_time_s(t_s)`` method that returns a time) it is counted in program time, which
        stands still while paused.
    on_pause, on_mark, on_quit : callables, optional
        Key actions (live sessions); replay leaves pause and mark out.
    on_next : callable, optional
        Key ``n``: skip the rest of the program's step (a live program session).
    confirm_quit : bool
        ``q`` ends the session only when pressed again within :data:`QUIT_CONFIRM_S` (a program
        done with the eyes closed, where a stray key is easily pressed); Ctrl+C stays at once.
    hold_at_end : bool
        Keep the screen up after the session ends, showing the summary until ``q``.
    tips : sequence of str
        A program's tips: printed before the screen opens, where the screen at once covers
        them, so they are shown again in the cue panel, in turn, until the first cue of the
        session. A caution that must stay in view is a step's ``caution`` instead, on its card.
    safety_note : str
        What the red-flag screen asks to keep in mind (its reminder after a "yes" the person
        chose to continue with): printed before the screen opens too, and covered by it, so
        the first step card shows it for the whole of that step (:func:`place_cautions`).
    source_mark : str
        ``"SIMULATED SENSOR"`` or ``"NO SENSOR"`` (:mod:`trainer.session.sensor_label`), or ``""``
        for a real sensor: shown on the numbers' panel all session long, and in the title, so that
        nobody takes a simulated person's numbers for their own. Without a sensor the panel
        says that nothing is measured, in place of empty numbers.
    replay : bool
        The session is a replay: the panel without a sensor says what was practised, not what
        to do now.

    A session with a ``program_state(t_s)`` method that returns a state shows the step card.
    In its own rhythm the pacer panel and the numbers show the ratio the latest own-rhythm
    change asks (:attr:`trainer.ui.state.SessionState.own_target_ratio`), the coach's: a fixed
    ratio given to the screen said 1.5 in every program's own-rhythm steps, a body scan's 1.3
    and a "breathe naturally" step that asks none alike.
    """

    # A program's card, or the summary at the end, does not fit beside everything else in
    # fewer than SHORT_ROWS rows (an 80x24 terminal): the screen then takes the class
    # "-short", which compacts it (no header: its title moves onto the pacer's border; a
    # one-line pacer bar and a borderless cue).
    CSS = """
    Screen { layout: vertical; }
    #pacer { height: 6; border: round $accent; padding: 0 1; }
    #program { height: auto; border: round $secondary; padding: 0 1; }
    Screen.-short Header { display: none; }
    Screen.-short #pacer { height: 4; }
    Screen.-short #cue { min-height: 1; max-height: 2; border: none; }
    Screen.-narrow #metrics { width: 1fr; }
    #middle { height: 10; }
    Screen.-narrow #middle { height: 8; }
    #metrics { width: 44; height: 100%; border: round $primary; padding: 0 1; }
    #traces { border: round $primary; padding: 0 1; }
    #traces Sparkline { height: 3; }
    #cue { height: auto; min-height: 3; max-height: 5; border: round $success; padding: 0 1;
        content-align: center middle; }
    #cue_box { height: auto; scrollbar-size-vertical: 1; }
    #status { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    #metrics:nocolor, #program:nocolor { border-title-color: $foreground;
        border-subtitle-color: $foreground; }
    Screen.-tiny #pacer { height: 2; border: none; padding: 0; }
    Screen.-tiny #middle { height: 1fr; min-height: 0; }
    Screen.-tiny #program { border: none; padding: 0; background: $boost; }
    Screen.-tiny #metrics { border: none; padding: 0; }
    Screen.-tiny #cue { min-height: 1; max-height: 1; }
    Screen.-tiny #status { max-height: 2; padding: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause/resume"),
        Binding("m", "mark", "Mark moment"),
        Binding("n", "next_step", "Next step"),
        Binding("q", "quit_session", "Quit (saves)"),
        # An eyes-closed program: q twice within QUIT_CONFIRM_S (see check_action).
        Binding("q", "quit_twice", "Quit (q twice, saves)"),
        # A replay has nothing to save: the same key under a plain name (see check_action).
        Binding("q", "quit_view", "Quit"),
        *(Binding(key, f"scroll_summary('{how}')", show=False) for key, how in SCROLL_KEYS.items()),
    ]

    def __init__(
        self,
        session: ViewableSession,
        run_session: Callable[[], Awaitable[SessionResult]],
        *,
        title: str,
        duration_s: float | None,
        on_pause: Callable[[], None] | None = None,
        on_mark: Callable[[], None] | None = None,
        on_quit: Callable[[], None] | None = None,
        on_next: Callable[[], None] | None = None,
        confirm_quit: bool = False,
        hold_at_end: bool = False,
        tips: Sequence[str] = (),
        safety_note: str = "",
        source_mark: str = "",
        replay: bool = False,
    ) -> None:
        super().__init__()
        self._replay = replay
        self._hold_at_end = hold_at_end
        self._finished = False
        """The session is over, and shown so (:meth:`show_over`)."""
        self._settled = False
        """``run_session`` has returned: what the session left is kept, the screen can close."""
        self.session = session
        self._run_session = run_session
        self._duration_s = duration_s
        self._tips = tuple(tips)
        self._safety_note = safety_note
        self._card_borders: tuple[Text | None, Text | None] = (None, None)
        self._fitter: Fitter = "css"
        """What sets the panels' heights now (:data:`Fitter`): inline styles are its alone."""
        self._cue_text = ""
        self._on_pause = on_pause
        self._on_mark = on_mark
        self._on_quit = on_quit
        self._on_next = on_next
        self._confirm_quit = confirm_quit
        self._quit_asked_s: float | None = None
        """Session time of a first ``q`` still waiting for its second (``confirm_quit``)."""
        self._source_mark = source_mark
        self.title = f"{title} — {source_mark}" if source_mark else title
        self.result: SessionResult | None = None
        self.failure: Exception | None = None
        """What ended the session's run instead of a result (a sensor not found, no Bluetooth
        adapter): the screen closes and the caller raises it where the terminal is its own again
        (:meth:`raise_failure`)."""
        self._note = ""
        self._note_until_s: float | None = None
        """Session time after which the note gives way (only "marked" fades)."""
        self._covered_note = ""
        """The lasting note that "marked" covers, put back when it fades: a sound notice
        shown once per setup was otherwise wiped by the first ``m``."""
        self._note_to_confirm: tuple[str, Callable[[], None]] | None = None
        """A note from :meth:`set_note` and what to call once it has been drawn (see there)."""
        self._end_notes: list[str] = []
        self._summary: str | None = None
        self._end_fitted: tuple[Size, str] | None = None
        """The window's size and the status line the closing summary was fitted to."""
        self._plain_fitted: tuple[Size, int, int] | None = None
        """The window's size, the status line's rows and the numbers' :meth:`_fit_plain` set."""
        self._start_note = ""
        """A note about how the session starts (:meth:`set_start_note`), until its step ends."""
        self._start_note_step: int | None = None
        """The program's step the start note was first shown in (None: not yet shown)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield PacerView(id="pacer")
        # Shown once the session has a program (its pipeline exists only after the start).
        # Its rows are set by the screen's row share (_fit_card) before its text.
        card = TextPanel(fixed_size=True, id="program")
        card.display = False
        yield card
        with Horizontal(id="middle"):
            yield TextPanel(fixed_size=True, id="metrics")
            with Vertical(id="traces"):
                yield TextPanel(Text(BREATH_TRACE_LABEL), classes="label", id="breath_label")
                yield Sparkline([], id="breath_trace")
                yield TextPanel(Text("Heart rate (last 60 s)"), classes="label", id="hr_label")
                yield Sparkline([], id="hr_trace")
        with CueBox(id="cue_box"):
            yield TextPanel(id="cue")
        yield TextPanel(id="status")
        yield KeyBar()

    async def on_mount(self) -> None:
        metrics = self.query_one("#metrics", Static)
        if self._source_mark:
            # On the panel's border: there in every layout (the header, with the title, is
            # dropped in a short terminal).
            metrics.border_title = self._paint(Text(self._source_mark, style=MARK_STYLE))
        self.set_interval(1.0 / REFRESH_HZ, self.refresh_view)
        self.run_worker(self._drive(), exclusive=True)

    def _paint(self, text: Text) -> Text:
        """``text`` as drawn here: under ``NO_COLOR`` without its colours
        (:func:`without_colour`), which Textual would turn into greys too dark to read."""
        return without_colour(text) if self.no_color else text

    def _left_s(self, t_s: float, program: TimelineState | None) -> float | None:
        """Seconds left in the session while it runs; None once over or without a plan."""
        if self._finished:
            return None
        program_t_s = self.session.program_time_s(t_s)
        if program is not None and program_t_s is not None:
            # The program's clock, which stops while paused; a session cut short by --minutes
            # ends before the program does.
            if self._duration_s is None:
                return program.left_s
            # The planned minutes are practised minutes: a skipped step moves the program on,
            # not them (and a start further in leaves the steps before it out of both).
            practised_s = self.session.practised_s(t_s)
            return max(0.0, min(self._duration_s - practised_s, program.left_s))
        if self._duration_s is None:
            return None
        # Practised time: a pause stops the countdown (the session's end moves with it).
        return max(0.0, self._duration_s - self.session.practised_s(t_s))

    def raise_failure(self) -> None:
        """Once the screen is closed: raise what ended the session's run, if anything did, so
        that the command reports it as it does without a screen (``breathwise: error: ...``)."""
        if self.failure is not None:
            raise self.failure

    def close_when_over(self) -> None:
        """Close the screen as soon as the session is over, without holding its summary for a
        key (the terminal has gone away, or the process is asked to end); at once if it is
        over already."""
        self._hold_at_end = False
        if self._settled:
            self.exit(self.result)

    def add_end_note(self, text: str) -> None:
        """Say on the closing screen's status line what was kept (e.g. "saved to your
        history"), before "session over"."""
        self._end_notes.append(text)

    def set_note(self, text: str, *, on_shown: Callable[[], None] | None = None) -> None:
        """Show a lasting notice in the status line (e.g. "sound is off: ..."); thread-safe
        enough for the audio thread: it only replaces strings that the next redraw reads.

        ``on_shown`` is called (in the screen's thread) once a redraw has put the notice on
        the status line: a notice said once per setup is recorded as said only then, not when
        a screen that closes first never drew it.
        """
        self._note_to_confirm = (text, on_shown) if on_shown is not None else None
        self._note, self._covered_note = text, ""
        self._note_until_s = None

    def set_start_note(self, text: str) -> None:
        """Show a note about how the session starts (``--from-step``, a program cut short) on
        the status line, after the lasting note (:meth:`set_note`), until the program's first
        step ends: it is printed before the screen opens too, where the screen covers it."""
        self._start_note, self._start_note_step = text, None

    def show_over(self, result: SessionResult, note: str = "") -> None:
        """Show the session as over, with its summary (held at the end), before ``run_session``
        has returned: the clock stops at the session's end, and ``note`` (e.g. "saving to your
        history…") is on the status line until it returns. Saving a long session to the
        history re-analyses the whole recording (14 s for an hour's): meanwhile the clock
        counted on past the planned length at "(00:00 left)". The screen
        closes only once ``run_session`` has returned, so that nothing is cut short; a q
        meanwhile closes it then."""
        if self._finished:
            return
        self.result = result
        self._finished = True
        self.refresh_bindings()
        self.refresh_view()
        if self._hold_at_end:
            self._show_summary()
        self._note, self._note_until_s, self._covered_note = note, None, ""
        self.refresh_view(keep_cue=True)

    async def _drive(self) -> None:
        try:
            result = await self._run_session()
        except Exception as exc:
            # Raised inside the screen, it became Textual's traceback and the one-line message
            # with its advice was lost (without this, a sensor that is not found).
            self.failure = exc
            self.exit(None)
            return
        self.show_over(result)
        self._settled = True
        if not self._hold_at_end:
            self.exit(self.result)
            return
        self._note = "  ·  ".join([*self._end_notes, "session over — press q to close"])
        # Not to be wiped by a "marked" of the last seconds fading (nor by what it covered).
        self._note_until_s, self._covered_note = None, ""
        self.refresh_view(keep_cue=True)

    def _show_summary(self) -> None:
        """Put the closing summary in the cue panel."""
        summary = (
            format_summary(self.result.summary) if self.result and self.result.recorded else ""
        )
        if self.result is not None and self.result.error:
            # Why it failed, on the screen (it came only after q, without this, "Session
            # over", 00:00 and nothing more for a sensor that could not connect).
            summary = f"Session failed: {self.result.error}\n{summary}"
        program = self.session.program_state(self.session.now_s())
        if program is not None and program.finished:
            summary = f"{PROGRAM_COMPLETE}\n{summary}"
        self._summary = summary
        self.query_one("#cue", TextPanel).show(Text(summary))

    def _fit_end(self, status_line: Callable[[bool], str], *, short: bool, tiny: bool) -> bool:
        """Share the rows of the closing screen: the status line whole, then the summary, then
        the numbers' panel; return whether the status line is to lead with the sensor's mark
        (the numbers' frame, which carries it, is not on screen).

        At 16 to 21 rows the panels needed more rows than there were: the status line (the
        clock, "saved to your history", "press q to close") went below the key bar and, at
        100x18, the summary's last line with it; at 40x12 the summary was cut and could not be
        scrolled. The numbers' panel repeats what the summary says, so it
        yields first; a summary that does not fit even so scrolls, with the arrow, Page and
        Home/End keys (:meth:`action_scroll_summary`).
        """
        columns, rows = self.size.width, self.size.height
        layout = "tiny" if tiny else "short" if short else "full"
        around = PACER_ROWS[layout] + (0 if short else HEADER_ROWS) + FOOTER_ROWS
        cue_frame = 0 if short else 2
        # Its padding takes a column each side, its frame (full layout) one more.
        summary = _wrapped_rows(self._summary or "", columns - 2 - cue_frame) + cue_frame
        natural = MIDDLE_ROWS_NARROW if columns < NARROW_COLUMNS else MIDDLE_ROWS
        middle_frame = 0 if tiny else 2
        lead_mark = tiny and bool(self._source_mark)
        while True:
            status = _wrapped_rows(status_line(lead_mark), columns - (0 if tiny else 2))
            left = max(0, rows - around - status)
            cue = min(summary, max(left, 1 + cue_frame))
            # Tiny: the numbers take what is left (their CSS's 1fr), else their own height.
            middle = max(0, left - cue) if tiny else min(natural, max(0, left - cue))
            if middle <= middle_frame:
                middle = 0
            if middle > 0 or lead_mark or not self._source_mark:
                break
            lead_mark = True
        key = (self.size, status_line(lead_mark))
        if key != self._end_fitted:
            self._end_fitted = key
            # Counted to fit: a scrollbar of the whole screen would take two columns and wrap
            # lines the count did not expect.
            self.screen.styles.overflow_y = "hidden"
            self.query_one("#status", Static).styles.max_height = status
            # The panel holds every row of the summary (above the cap a cue gets: the summary
            # is the one thing left to read); the box around it shows what fits and scrolls
            # the rest, beside a scrollbar of one column.
            inner = columns - 2 - cue_frame - (1 if cue < summary else 0)
            panel = self.query_one("#cue", Static)
            panel.styles.min_height = 0
            # Read as lines from their start, not centred as a one-line cue is.
            panel.styles.content_align_horizontal = "left"
            panel.styles.height = panel.styles.max_height = (
                _wrapped_rows(self._summary or "", inner) + cue_frame
            )
            panel.display = True
            box = self.query_one(CueBox)
            box.styles.height = cue
            middle_panel = self.query_one("#middle")
            middle_panel.styles.height = middle
            middle_panel.display = middle > 0
        return lead_mark

    def action_scroll_summary(self, how: str) -> None:
        """Scroll the closing summary (:data:`SCROLL_KEYS`) where the window cuts it."""
        if how in SCROLL_KEYS.values():
            getattr(self.query_one(CueBox), how)(animate=False)

    def refresh_view(self, *, keep_cue: bool = False) -> None:
        """Redraw everything from the session's state at the session's current time.

        Nothing once the app is shutting down: the frame timer can fire while the widgets are
        being removed, and ``query_one`` then raised NoMatches (seen under load at the end of a
        headless test)."""
        if not self.is_running:
            return
        keep_cue = keep_cue or (self._finished and self._hold_at_end)
        t_s = self.session.now_s()
        if self._finished and self.result is not None:
            # Over: the clock stops where the session ended.
            t_s = min(t_s, self.result.summary.get("duration_s", t_s))
        state = self.session.state
        pacer = self.session.pacer_state(t_s)
        program = self.session.program_state(t_s)
        # The card, or at the end the summary, needs the rows of a short terminal.
        rows_needed = SHORT_ROWS if program is not None or self._finished else PLAIN_SHORT_ROWS
        short = self.size.height < rows_needed
        self.screen.set_class(short, "-short")
        tiny = self.size.height < TINY_ROWS
        self.screen.set_class(tiny, "-tiny")
        narrow = self.size.width < NARROW_COLUMNS
        self.screen.set_class(narrow, "-narrow")
        key_bar = self.query_one(KeyBar)
        # Recomposed if it changes. The full labels of the keys this session offers must fit,
        # or the bar is cut at its right end, where q is.
        more = sum(n for action, n in KEY_BAR_MORE.items() if self.check_action(action, ()))
        key_bar.narrow = self.size.width < KEY_BAR_FULL_COLUMNS + more
        # Without a sensor there are no traces to wait for.
        self.query_one("#traces", Vertical).display = not (
            narrow or self._source_mark == SENSORLESS_MARK
        )
        can_pause = self._on_pause is not None
        pacer_view = self.query_one("#pacer", PacerView)
        width = max(10, pacer_view.size.width - 2)
        # A Text, not a str (read as markup): the title holds a file's or a program's name.
        # Set only when it changes: setting it repaints the pacer, also where nothing moves.
        if short != (pacer_view.border_title is not None):
            pacer_view.border_title = Text(self.title) if short else None
        # A replay has always started; a live session waits for its sensor.
        connecting = not self.session.started
        if self._finished:
            # A bar frozen mid-phase would look as if the pacer still ran.
            pacer_view.show(Text("Session over", style="bold"))
        elif connecting:
            # Not "Breathe in your own rhythm" (no pacer yet) while a pacer is only waiting.
            pacer_view.show(self._paint(connecting_text(self.session.start_paused)))
        elif pacer is None and state.paused:
            # A program paused in an own-rhythm step: there is no pacer to show paused.
            pacer_view.show(self._paint(Text(paused_text(can_pause), style="bold yellow")))
        else:
            rows = 1 if short else 3
            pacer_view.show(
                self._paint(
                    render_pacer(
                        pacer, width, state.own_target_ratio, rows=rows, can_pause=can_pause
                    )
                )
            )
        over = self.result.summary if self._finished and self.result is not None else None
        sensorless = SENSORLESS_REPLAY_PANEL if self._replay else SENSORLESS_PANEL
        if tiny:
            # Its blank line is a row the card or the clock needs more.
            sensorless = sensorless.replace("\n\n", "\n")
        self.query_one("#metrics", TextPanel).show(
            Text(sensorless)
            if self._source_mark == SENSORLESS_MARK
            else self._paint(render_metrics(state, pacer, state.own_target_ratio, over, t_s))
        )
        horizon = t_s - TRACE_WINDOW_S
        recent = [(t, v) for t, v in state.breath_trace if t >= horizon]
        breathing = [v for _, v in recent]
        trace = self.query_one("#breath_trace", Sparkline)
        # With no breathing waveform (a heart-rate strap alone), a flat trace would look like a
        # held breath: say what there is instead.
        trace.display = bool(breathing)
        trace.data = breathing or [0.0]
        self.query_one("#breath_label", TextPanel).show(
            Text(
                trace_label("Breathing", recent[0][0], t_s)
                if recent
                else NO_WAVEFORM_RR_LABEL
                if state.rate_source == "rr"
                else NO_WAVEFORM_LABEL
            )
        )
        heart = [(t, v) for t, v in state.hr_trace if t >= horizon]
        hr_trace = self.query_one("#hr_trace", Sparkline)
        # No beats: no chart (a sparkline of one 0 drew full-height bars of nothing, found in
        # review of a sensor that never connected).
        hr_trace.display = bool(heart)
        hr_trace.data = [v for _, v in heart] or [0.0]
        stale_s = state.heart_rate_at(t_s)[1]
        if not heart:
            hr_label = NO_BEATS_LABEL
        elif stale_s is None:
            hr_label = trace_label("Heart rate", heart[0][0], t_s)
        else:
            # The chart ends at the last beat: "last 59 s" over 5 s of beats said otherwise.
            span_s = max(1.0, heart[-1][0] - heart[0][0])
            hr_label = f"Heart rate ({span_s:.0f} s of beats, none for the last {stale_s:.0f} s)"
        self.query_one("#hr_label", TextPanel).show(Text(hr_label))
        card = self.query_one("#program", Static)
        # At the end the summary takes the card's place (and says if the program is done).
        card.display = program is not None and not self._finished
        left = self._left_s(t_s, program)
        if not keep_cue:
            default = "Follow the bar with your breath" if pacer is not None else ""
            if self._tips and state.cue_t_s < 0.0:
                default = f"Tip: {self._tips[int(t_s // TIP_SHOWN_S) % len(self._tips)]}"
            # A cue for a while; that a sensor is lost for as long as it is (SessionState).
            self._cue_text = state.cue_line(t_s, CUE_SHOWN_S) or default or "Breathe easily"
            cue = self._cue_text
            if tiny:
                # One row (its padding a column each side): the brief form of a lost sensor's
                # line, and any cue still too long cut with "…" where a word ends ("Sensor lost
                # — keep breathing easily" was cut mid-sentence, and showed no cut).
                full, brief = state.lost_words
                if full and cue.startswith(full):
                    cue = brief + cue[len(full) :]
                cue = _one_row(cue, self.size.width - 2)
            self.query_one("#cue", TextPanel).show(Text(cue))
        # The clock counts practised time, as "left" and the summary's minutes practised do:
        # it stands still while paused (it ran on, so that elapsed and left added up to more
        # than the session), and the time paused is shown beside it.
        practised_s = self.session.practised_s(t_s)
        clock = _mmss(practised_s)
        if left is not None:
            clock += f"  ({_mmss_left(left)} left)"
        parts = [clock]
        paused_s = t_s - practised_s
        if paused_s >= 1.0:
            parts.append(f"{_mmss(paused_s)} paused")
        status = state.status_at_end() if self._finished else state.status
        if status:
            parts.append(status)
        # Marks made while connecting are recorded at the start: counted already.
        marks = state.marks + len(self.session.early_marks)
        if marks:
            parts.append(f"{marks} mark" + ("" if marks == 1 else "s"))
        if self._note_until_s is not None and t_s > self._note_until_s:
            self._note, self._note_until_s = self._covered_note, None
            self._covered_note = ""
        if self._note:
            parts.append(self._note)
        if self._start_note and program is not None:
            # How the session starts ("starting at step 2/30, ..."): a fact for its first step,
            # which then took the status line's rows all session, and came back after every
            # "marked" or "skipped" (review 41 F5).
            if self._start_note_step is None:
                self._start_note_step = program.step_index
            elif program.step_index != self._start_note_step:
                self._start_note = ""
        if self._start_note and not self._finished:
            parts.append(self._start_note)

        def status_line(with_mark: bool) -> str:
            return "  ·  ".join([self._source_mark, *parts] if with_mark else parts)

        # Tiny: the numbers' frame, which carries the mark, is gone; the status line leads
        # with it instead (and wherever the card needs the numbers' rows).
        with_mark = tiny and bool(self._source_mark)
        fitter: Fitter = (
            "card"
            if program is not None and card.display
            else "end"
            if self._summary is not None
            else "css"
            if tiny
            else "plain"
        )
        if fitter != self._fitter:
            # Another fitter takes over: what the last one set inline goes, or it overrides the
            # new one's CSS (the plain layout's numbers' height of 9 at 80x16, kept at 40x12,
            # pushed the clock and the SIMULATED SENSOR mark off the screen) or its count (its
            # status line's rows, kept once a program's card came up, cut "connection lost").
            self._unfit()
            self._fitter = fitter
        if fitter == "card" and program is not None:
            with_mark = self._fit_card(
                program,
                status_line,
                paused=state.paused,
                can_pause=can_pause,
                left_s=left,
                short=short,
                tiny=tiny,
                narrow=narrow,
            )
        elif fitter == "end":
            with_mark = self._fit_end(status_line, short=short, tiny=tiny)
        elif fitter == "plain":
            self._fit_plain(status_line(with_mark), short=short, narrow=narrow)
        # Plain text, never markup: a string handed to Static is read as Textual markup, which
        # ate the "[sound]" of "pip install 'breathwise[sound]'" in the sound notice (found in
        # review), and a sensor's name or a note with "[/...]" in it would raise mid-session.
        self.query_one("#status", TextPanel).show(Text(status_line(with_mark)))
        confirm = self._note_to_confirm
        if confirm is not None and confirm[0] == self._note:
            self._note_to_confirm = None
            confirm[1]()

    def _unfit(self) -> None:
        """Take away every style a fitter (:data:`Fitter`) set inline: the CSS of the layout
        holds again, until the next fitter sets its own."""
        self.screen.styles.overflow_y = None
        self.query_one("#status", Static).styles.max_height = None
        self.query_one("#program").styles.height = None
        self.query_one(CueBox).styles.height = None
        cue = self.query_one("#cue", Static)
        cue.styles.min_height = cue.styles.max_height = None
        cue.styles.content_align_horizontal = None
        for name in ("#middle", "#cue"):
            panel = self.query_one(name)
            panel.styles.height = None
            panel.display = True
        self._plain_fitted = self._end_fitted = None

    def _fit_plain(self, status: str, *, short: bool, narrow: bool) -> None:
        """Without a card or the summary: the status line whole, the numbers' panel yielding
        it rows (down to a line of numbers in its frame).

        The status line's rows were capped at three and the panels kept their own heights: at
        60x20 the sound notice (five rows) lost its advice, and at 100x18 the status line went
        under the key bar. The tiny layout's numbers take what is left already.
        """
        columns, rows = self.size.width, self.size.height
        layout = "short" if short else "full"
        around = PACER_ROWS[layout] + (0 if short else HEADER_ROWS) + FOOTER_ROWS
        cue_frame = 0 if short else 2
        fewest, most = CUE_ROWS[layout]
        cue = min(
            most, max(fewest, _wrapped_rows(self._cue_text, columns - 2 - cue_frame) + cue_frame)
        )
        natural = MIDDLE_ROWS_NARROW if narrow else MIDDLE_ROWS
        # The numbers keep their frame and a line: a status line longer than that leaves is cut.
        status_rows = max(
            1, min(_wrapped_rows(status, columns - 2), rows - around - cue - MIDDLE_FEWEST_ROWS)
        )
        middle = max(MIDDLE_FEWEST_ROWS, min(natural, rows - around - cue - status_rows))
        key = (self.size, status_rows, middle)
        if key == self._plain_fitted:
            return
        self._plain_fitted = key
        self.query_one("#status", Static).styles.max_height = status_rows
        self.query_one("#middle").styles.height = None if middle == natural else middle

    def _fit_card(
        self,
        program: TimelineState,
        status_line: Callable[[bool], str],
        *,
        paused: bool,
        can_pause: bool,
        left_s: float | None,
        short: bool,
        tiny: bool,
        narrow: bool,
    ) -> bool:
        """Draw the step card and share the window's rows between it, the numbers and the
        cue (:func:`share_rows`); return whether the status line is to lead with the sensor's
        mark (the numbers' frame, which carries it, is not on screen).

        The card's height was its text's (``height: auto``, and two thirds of the tiny
        layout's rows): the card was clipped from the bottom, losing its caution and side,
        while the static NO SENSOR text and a tip kept their rows (at 70x14),
        and a long card pushed the clock off a 79x16 window. The rows are counted here, where
        the text and the window's size are known, not read back from a layout that has not
        happened yet.
        """
        columns, rows = self.size.width, self.size.height
        card = self.query_one("#program", TextPanel)
        # Tiny: the card loses its frame, as the pacer and the numbers do (two rows more for
        # the card, and its safety lines go inside it).
        card_frame = 0 if tiny else 2
        top, bottom, cautions = place_cautions(
            program.step.caution,
            self._safety_note if program.step_index <= self._reminder_step() else "",
            0 if tiny else columns,
        )
        if (top, bottom) != self._card_borders:
            self._card_borders = (top, bottom)
            card.border_title, card.border_subtitle = (
                None if border is None else self._paint(border) for border in (top, bottom)
            )
        # Inside the frame and the padding of a column each side.
        width = columns - 2 * card_frame
        kept, instruction = card_rows(
            program,
            width,
            paused=paused,
            can_pause=can_pause,
            session_left_s=left_s,
            cautions=cautions,
        )
        cue_frame = 0 if short else 2
        fewest, most = CUE_ROWS["tiny" if tiny else "short" if short else "full"]
        cue_rows = _wrapped_rows(self._cue_text, columns - 2 - cue_frame) + cue_frame
        # Live numbers keep a line; the static explanation without a sensor yields first.
        middle_frame = 0 if tiny else 2
        numbers = 0 if self._source_mark == SENSORLESS_MARK else 1 + middle_frame
        # The numbers' panel takes what is left in the tiny layout, its own height otherwise.
        middle = rows if tiny else MIDDLE_ROWS_NARROW if narrow else MIDDLE_ROWS
        layout = "tiny" if tiny else "short" if short else "full"
        around = PACER_ROWS[layout] + (0 if short else HEADER_ROWS) + FOOTER_ROWS
        lead_mark = tiny and bool(self._source_mark)
        while True:
            status_rows = _wrapped_rows(status_line(lead_mark), columns - (0 if tiny else 2))
            counted = min(STATUS_MAX_ROWS[layout], status_rows)
            share = share_rows(
                rows - around - counted,
                card=kept + card_frame,
                instruction=instruction,
                cue=(fewest, min(most, max(fewest, cue_rows))),
                middle=(numbers, middle),
                middle_frame=middle_frame,
            )
            if share.middle > 0 or lead_mark or not self._source_mark:
                break
            # The numbers' panel, with the mark on its frame, has given its rows to the card.
            lead_mark = True
        # A status line longer than its cap (the eyes-closed program's advice to turn the
        # sound on, four rows at 80x24) takes the rows left over, then the numbers' down to a
        # line in their frame, as without a card (_fit_plain): cut at three rows, its end,
        # "--sound turns it on", was lost.
        spare = rows - around - counted - (kept + card_frame + sum(share))
        wanted = status_rows - counted
        from_spare = max(0, min(wanted, spare))
        fewest_middle = max(numbers, middle_frame + 1) if share.middle > 0 else 0
        from_middle = max(0, min(wanted - from_spare, share.middle - fewest_middle))
        middle_rows = share.middle - from_middle
        # The rows counted for it, and no more: a cap left by another layout's count hid the
        # status ("connection lost") or let it push the numbers up (found in review 41).
        self.query_one("#status", Static).styles.max_height = counted + from_spare + from_middle
        card.styles.height = kept + card_frame + share.instruction
        for name, panel_rows in (("#middle", middle_rows), ("#cue", share.cue)):
            panel = self.query_one(name)
            panel.styles.height = panel_rows
            panel.display = panel_rows > 0
        # The rows are counted to fit: a scrollbar, left from a layout before this one (the
        # first, or a resize), would take two columns, wrap lines the count did not expect,
        # and so stay (found at 40x10: the status line wrapped and the clock was cut).
        self.screen.styles.overflow_y = "hidden"
        card.show(
            self._paint(
                render_program(
                    program,
                    width,
                    paused=paused,
                    can_pause=can_pause,
                    session_left_s=left_s,
                    cautions=cautions,
                    instruction_rows=share.instruction if share.instruction < instruction else None,
                )
            )
        )
        return lead_mark

    def _reminder_step(self) -> int:
        """The index of the last step whose card shows the red-flag reminder: the session's
        first step that is not a posture change, and those before it (a routine that begins
        by getting down onto the mat, or a session started further in)."""
        first = self.session.program_state(0.0)
        if first is None:
            return 0
        later = range(first.step_index, len(first.steps))
        return next((i for i in later if not first.steps[i].transition), first.step_index)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer (and show in the key bar) only what this session can do: a replay cannot
        pause, mark or save, and a session that is over can only be closed."""
        live = not self._finished  # once over, only closing the summary is left
        if action == "pause":
            return live and self._on_pause is not None
        if action == "mark":
            return live and self._on_mark is not None
        if action == "next_step":
            return live and self._on_next is not None
        if action == "quit_session":
            return live and self._on_quit is not None and not self._confirm_quit
        if action == "quit_twice":
            return live and self._on_quit is not None and self._confirm_quit
        if action == "quit_view":
            return not live or self._on_quit is None
        if action == "scroll_summary":
            return self._summary is not None
        return True

    async def action_quit(self) -> None:
        """Ctrl+Q (Textual's quit): what q does, so the session is saved, never dropped."""
        self._quit_as_q()

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual only shows a hint here (it copies text in inputs, and this screen
        has none); people press it to stop, so it stops the session as q does."""
        self._quit_as_q()

    def _quit_as_q(self) -> None:
        # At once, also where q asks twice: Ctrl+C and Ctrl+Q are never pressed by chance.
        if self.check_action("quit_session", ()) or self.check_action("quit_twice", ()):
            self.action_quit_session()
        else:
            self.action_quit_view()

    def action_quit_view(self) -> None:
        if not self._finished:
            # A replay quit early ends at the point reached; _drive then closes the screen
            # with the summary of what was replayed.
            self.session.stop()
            return
        if not self._settled:
            # Over but still being saved (show_over): closed once saved, not cut short.
            self._hold_at_end = False
            return
        self.exit(self.result)

    def action_pause(self) -> None:
        if self._on_pause is not None:
            self._on_pause()
            self.refresh_view()

    def action_mark(self) -> None:
        if self._on_mark is not None:
            self._on_mark()
            self._show_brief_note("marked", MARK_SHOWN_S)
            self.refresh_view()

    def action_next_step(self) -> None:
        if self._on_next is not None:
            self._on_next()
            self._show_brief_note(SKIPPED_NOTE, MARK_SHOWN_S)
            self.refresh_view()

    def _show_brief_note(self, text: str, shown_s: float) -> None:
        """``text`` on the status line for ``shown_s`` seconds, then what it covered."""
        if self._note_until_s is None:
            # A lasting note (a sound notice), not an earlier brief one: kept for after.
            self._covered_note = self._note
        self._note = text
        self._note_until_s = self.session.now_s() + shown_s

    def action_quit_twice(self) -> None:
        """``q`` in a program done with the eyes closed: the first press asks for a second
        within :data:`QUIT_CONFIRM_S`; the second ends the session (saved)."""
        if self._on_quit is None:
            return
        now_s = self.session.now_s()
        asked = self._quit_asked_s
        if not self.session.started or (asked is not None and now_s - asked <= QUIT_CONFIRM_S):
            # Still connecting, nothing is lost by one press: it ends at once, as before.
            self.action_quit_session()
            return
        self._quit_asked_s = now_s
        self._show_brief_note(QUIT_AGAIN_NOTE, QUIT_CONFIRM_S)
        self.refresh_view()

    def action_quit_session(self) -> None:
        # Offered only while a live session runs (check_action); quit_view does the rest.
        if self._on_quit is not None:
            self._note, self._note_until_s = "saving…", None
            self._on_quit()
