"""Plain-text session output: one line per breath, for pipes, logs and tests.

Every line is a pure function of pipeline events, which themselves depend only on the recorded
items, so ``breathwise replay --headless`` prints exactly what the live session printed.

When the best breathing estimate comes from the heart rhythm (a heart-rate strap alone, see
:class:`trainer.session.pipeline.BreathRateEvent`) there are no breath lines; a ``rate`` line is
printed instead whenever that rate has moved by ``RATE_LINE_CHANGE_BPM`` since the last one, and at
least every ``RATE_LINE_EVERY_S``, rather than at every estimate; and a ``pace`` line each time
the coach has a cue about that rate against the pacer (:class:`trainer.session.pipeline.PaceEvent`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from trainer.coaching.pacer import BreathPattern
from trainer.programs.runner import EventKind
from trainer.session.pipeline import (
    BreathEvent,
    BreathRateEvent,
    Event,
    MarkEvent,
    PaceEvent,
    PacerEvent,
    ProgramEvent,
    StatusEvent,
    StrainEvent,
)
from trainer.session.sensor_label import is_sensorless, not_stored_reason, source_line
from trainer.session.summary import (
    ResonanceSummary,
    SessionSummary,
    scored_rates,
    sensor_loss_text,
)
from trainer.ui.state import SOURCE_LABELS

RATE_LINE_CHANGE_BPM = 0.5
"""A heart-rhythm rate line is printed when the rate moved this much (breaths/min)..."""
RATE_LINE_EVERY_S = 30.0
"""...or this long (s) after the last one."""
PROGRAM_COMPLETE = "Program complete — rest a moment before you get up."
"""Said when a program has run to its end: on the screen's step card and in the headless line."""


def _num(value: float | None, fmt: str, missing: str = "-") -> str:
    return missing if value is None else format(value, fmt)


def format_breath(event: BreathEvent) -> str:
    """One line for one breath.

    Example::

        breath   12 at  118.4 s  rate  6.0/min  in 3.2 s  out 6.4 s  pause 0.0 s  ratio 2.00  \
depth 1.02  HR  63 bpm  follow  91  [good]  Lengthen the out-breath

    The breath rate is in breaths/min (``/min``, as on the screen); ``bpm`` is kept for the
    heart.
    """
    b = event.breath
    f = event.feedback
    line = (
        f"breath {event.index:4d} at {b.end_s:7.1f} s  rate {b.rate_bpm:4.1f}/min  "
        f"in {b.inhale_s:4.1f} s  out {b.exhale_s:4.1f} s  pause {b.pause_s:3.1f} s  "
        f"ratio {b.ratio:4.2f}  depth {b.depth:5.2f}  HR {_num(event.hr_bpm, '3.0f', '  -')} bpm  "
        f"follow {format(f.follow_score, '3d') if event.scored else '  -'}  [{b.quality}]"
    )
    if event.paused:
        line += "  paused"
    return f"{line}  {f.cue}" if f.cue else line


def format_breath_rate(event: BreathRateEvent) -> str:
    """One line for the best current breathing rate and where it comes from.

    Example::

        rate at  125.0 s   5.9 breaths/min  from heart rhythm (rr)  quality 0.42

    A rate too unclear to be a number (:attr:`trainer.session.pipeline.BreathRateEvent.unclear`:
    a heart-rhythm rate of quality below :data:`analysis.rr_breath.USABLE_QUALITY`, weighted as
    the selector weighs it, or a belt or accelerometer rate of artifacts only) ends in
    ``unclear``: the screen shows no number for it.
    """
    label = SOURCE_LABELS.get(event.source, event.source)
    line = (
        f"rate at {event.t_s:7.1f} s  {event.rate_bpm:4.1f} breaths/min  "
        f"from {label} ({event.source})  quality {event.quality:4.2f}"
    )
    # The screen shows no number for such a rate (SessionState.rate_unclear); the log keeps it.
    return f"{line}  unclear" if event.unclear else line


def format_pace(event: PaceEvent) -> str:
    """One line for the coach's word on the pace read from the heart rhythm.

    Example::

        pace at  160.0 s   7.4 breaths/min  pacer  6.0  follow  51 (pace only)  Slow down a \
little — follow the pacer
    """
    f = event.feedback
    line = (
        f"pace at {event.t_s:7.1f} s  {event.rate_bpm:4.1f} breaths/min  "
        f"pacer {event.target_rate_bpm:4.1f}  follow {f.follow_score:3d} (pace only)"
    )
    return f"{line}  {f.cue}" if f.cue else line


def _follow(summary: SessionSummary, scale: str = "") -> str:
    """The mean follow score (followed by ``scale``), marked when it judged the pace alone (a
    heart-rate strap)."""
    score = _num(summary.get("mean_follow_score"), ".0f") + scale
    return f"{score} (pace only)" if summary.get("follow_basis") == "pace" else score


class RateLines:
    """Decides which heart-rhythm rate estimates get a line (module notes): the first, then
    each that moved ``RATE_LINE_CHANGE_BPM`` from the last printed or came
    ``RATE_LINE_EVERY_S`` after it. A belt or accelerometer answer in between ends the run, so
    the heart rhythm taking over again is printed at once."""

    def __init__(self) -> None:
        self._last: BreathRateEvent | None = None

    def line(self, event: BreathRateEvent) -> str | None:
        """The line to print for ``event``, or None."""
        if event.source != "rr":
            self._last = None
            return None
        last = self._last
        if (
            last is not None
            and abs(event.rate_bpm - last.rate_bpm) < RATE_LINE_CHANGE_BPM
            and event.t_s - last.t_s < RATE_LINE_EVERY_S
        ):
            return None
        self._last = event
        return format_breath_rate(event)


def format_program_event(event: ProgramEvent) -> str:
    """One line for a step, side, repetition, cue or the program's end.

    Example::

        step 3/9 at  135.0 s  Sacrum — Move your attention a little higher, ...
        program end at  780.0 s  Program complete — rest a moment before you get up.
    """
    at = f"at {event.t_s:7.1f} s"
    if event.kind is EventKind.STEP:
        detail = " ".join(event.detail.split())
        head = f"step {event.step_index + 1}/{event.step_count} {at}  {event.text}"
        return f"{head} — {detail}" if detail else head
    if event.kind is EventKind.SIDE:
        return f"side {at}  {event.text}"
    if event.kind is EventKind.REPETITION:
        return f"repetition {at}  {event.text}  ({event.step_title})"
    if event.kind is EventKind.CUE:
        return f"cue {at}  {event.text}"
    return f"program end {at}  {PROGRAM_COMPLETE}"


def format_pacer_event(event: PacerEvent) -> str | None:
    """A line for a pause, a resume, or a labelled pacer change that is not a program step
    (easing, restoring)."""
    change = event.change
    if change.action in ("pause", "resume"):
        return f"{'paused ' if change.action == 'pause' else 'resumed'} at {event.t_s:7.1f} s"
    if not change.label or not change.label.startswith(("eased", "back to")):
        return None
    if change.action == "set" and change.pattern is not None:
        pattern = BreathPattern.from_dict(change.pattern)
        pace = f"{pattern.rate_bpm:.1f} breaths/min, out:in {pattern.ratio:.2f}"
        return f"pacer at {event.t_s:7.1f} s  {change.label} -> {pace}"
    return f"pacer at {event.t_s:7.1f} s  {change.label}"


def _count(n: object, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_summary(summary: SessionSummary) -> str:
    """The closing lines of a session; the last one starts with ``summary:`` and names the
    source of the median breath rate (``belt``, ``acc`` or ``rr``, the heart rhythm).

    Before it: how the practice went (minutes practised, mean follow score, mean
    exhale:inhale ratio, heart rate start -> end, mean RSA per breath, mean coherence score)
    and, after a resonance assessment, the chosen rate and the ranking. The text depends only on
    the summary dict, which replay recomputes identically. When a sensor was lost, a line says
    for how long (:func:`trainer.session.summary.sensor_loss_text`). A session on the simulated
    person, or without a sensor, says so first (:func:`trainer.session.sensor_label.source_line`);
    without a sensor the ``summary:`` line holds only what such a session has (duration, gaps,
    marks).
    """
    kind = summary.get("source_kind", "")
    marked = source_line(kind)
    lines = [marked] if marked else []
    practised = _num(summary.get("minutes_practised"), ".1f")
    if is_sensorless(kind):
        # Nothing measured: a line of dashes would read as a session that failed.
        lines.append(f"practice: {practised} min practised")
    else:
        lines += [
            f"practice: {practised} min practised, "
            f"follow {_follow(summary, '/100')}, "
            f"out:in {_num(summary.get('mean_ratio'), '.2f')}, "
            f"HR {_num(summary.get('hr_start_bpm'), '.0f')} -> "
            f"{_num(summary.get('hr_end_bpm'), '.0f')} bpm, "
            f"RSA {_num(summary.get('mean_rsa_bpm'), '.1f')} bpm, "
            f"coherence {_num(summary.get('coherence_score'), '.1f')}/10"
        ]
    resonance = summary.get("resonance")
    if resonance is not None:
        lines.append(format_resonance(resonance, kind))
    lost = sensor_loss_text(summary)
    if lost:
        lines.append(f"sensor: {lost}")
    if is_sensorless(kind):
        # Breaths, rate, ratio, follow and heart rate are never measured without a sensor.
        lines.append(
            f"summary: {summary.get('duration_s', 0):.0f} s, no sensor, "
            f"gaps {summary.get('gaps', 0)}, marks {summary.get('marks', 0)}"
        )
        return "\n".join(lines)
    lines.append(
        f"summary: {summary.get('duration_s', 0):.0f} s, "
        f"{_count(summary.get('breaths', 0), 'breath')}, "
        f"median rate {_num(summary.get('median_rate_bpm'), '.1f')}/min"
        f" (from {summary.get('breath_source') or '-'}"
        f"{', while paced' if summary.get('rate_basis') == 'paced' else ''}), "
        f"mean ratio {_num(summary.get('mean_ratio'), '.2f')}, "
        f"follow {_follow(summary)}, "
        f"HR {_num(summary.get('hr_start_bpm'), '.0f')} -> "
        f"{_num(summary.get('hr_end_bpm'), '.0f')} bpm, "
        f"gaps {summary.get('gaps', 0)}, marks {summary.get('marks', 0)}"
    )
    return "\n".join(lines)


def format_resonance(resonance: ResonanceSummary, source_kind: str = "") -> str:
    """The assessment's outcome: the chosen rate and every scored rate, best first, and why the
    rate is not stored when it is not (an assessment stopped early, or one measured on the
    simulated sensor: ``source_kind`` is the recording header's)."""
    chosen = resonance.get("chosen_rate_bpm")
    if chosen is None:
        if resonance.get("rates_planned", 0) and not resonance.get("rates_tried", 0):
            # Not the person's doing: the session ended before a rate's step was complete,
            # whether before that step began or during it (then its step line and some of its
            # breaths were printed: "before the first rate's step" contradicted them).
            return (
                "resonance: no rate scored (the session ended before the first rate's step "
                "was complete)"
            )
        return "resonance: no rate could be scored (too few beats, or the pacer was not followed)"
    scores = dict(scored_rates(resonance))
    ranking = ", ".join(
        f"{rate:.1f} ({_num(scores.get(float(rate)), '.2f')})"
        for rate in resonance.get("ranking_bpm", [])
    )
    line = f"resonance: chosen {chosen:.1f} breaths/min; ranking (score) {ranking}"
    for rate, reason in resonance.get("unscored", []):
        line += f"; {float(rate):.1f} not scored ({reason})"
    missing = incomplete_assessment(resonance)
    if missing:
        return f"{line}; {missing}, so it is not stored"
    unmeasured = not_stored_reason(source_kind)
    return f"{line}; {unmeasured}" if unmeasured else line


def incomplete_assessment(resonance: ResonanceSummary) -> str | None:
    """What an assessment stopped early left untried ("only 1 of 5 rates tried"), or None
    when it tried every rate (or predates the count)."""
    planned, tried = resonance.get("rates_planned"), resonance.get("rates_tried")
    if planned is not None and tried is not None and tried < planned:
        return f"only {tried} of {planned} rates tried"
    return None


def line_printer(out: TextIO) -> Callable[[list[Event]], None]:
    """A pipeline listener that prints breaths, heart-rhythm breath rates (:class:`RateLines`),
    the coach's cues on their pace, marks, status messages, program steps and cues, strain
    signs and easings to ``out``."""
    rates = RateLines()
    gone = False

    def emit(text: str) -> None:
        nonlocal gone
        if gone:
            return
        try:
            print(text, file=out, flush=True)
        except OSError:
            # The terminal hung up (EIO) or the pipe closed: the session goes on to be saved;
            # only its lines have nowhere to go.
            gone = True

    def listener(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, BreathEvent):
                emit(format_breath(event))
            elif isinstance(event, BreathRateEvent):
                line = rates.line(event)
                if line is not None:
                    emit(line)
            elif isinstance(event, PaceEvent):
                if event.feedback.cue:
                    emit(format_pace(event))
            elif isinstance(event, MarkEvent):
                emit(f"mark at {event.t_s:7.1f} s  {event.label}".rstrip())
            elif isinstance(event, StatusEvent):
                emit(f"status at {event.t_s:7.1f} s  {event.message}")
            elif isinstance(event, ProgramEvent):
                emit(format_program_event(event))
            elif isinstance(event, StrainEvent):
                line = f"strain at {event.t_s:7.1f} s  {event.kind.value} ({event.detail})"
                emit(f"{line}  {event.cue}")
            elif isinstance(event, PacerEvent):
                text = format_pacer_event(event)
                if text is not None:
                    emit(text)

    return listener
