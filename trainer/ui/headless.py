"""Plain-text session output: one line per breath, for pipes, logs and tests.

Every line is a pure function of pipeline events, which themselves depend only on the recorded
items, so ``breathwise replay --headless`` prints exactly what the live session printed.

When the best breathing estimate comes from the heart rhythm (a heart-rate strap alone, see
:class:`trainer.session.events.BreathRateEvent`) there are no breath lines; a ``rate`` line is
printed instead whenever that rate has moved by ``RATE_LINE_CHANGE_BPM`` since the last one, and at
least every ``RATE_LINE_EVERY_S``, rather than at every estimate; and a ``pace`` line each time
the coach has a cue about that rate against the pacer (:class:`trainer.session.events.PaceEvent`).

With ``--pacer-lines`` the pipeline also reports the pacer's cues
(:class:`trainer.session.events.PhaseEvent`), each printed as one short line that names what to
do first (``in 4.0 s  at   12.0 s``): the pacer in words, for a screen reader, a braille display
or a terminal with no sound, where the screen's moving bar is of no use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from trainer import ANALYSIS_REVISION, SOFTWARE
from trainer.coaching.pacer import BreathPattern, Phase
from trainer.programs.runner import EventKind
from trainer.session.events import (
    BreathEvent,
    BreathRateEvent,
    Event,
    MarkEvent,
    PaceEvent,
    PacerEvent,
    PhaseEvent,
    ProgramEvent,
    SkipEvent,
    StatusEvent,
    StrainEvent,
)
from trainer.session.sensor_label import is_sensorless, not_stored_reason, source_line
from trainer.session.summary import (
    ResonanceSummary,
    SessionSummary,
    program_course_text,
    scored_rates,
    sensor_loss_text,
)
from trainer.ui.state import SOURCE_LABELS
from trainer.ui.terminal import printable

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

        breath   12 at  118.4 s  rate  6.0/min  in 3.2 s  out 6.4 s  pause 0.0 s  \
exhale:inhale 2.00  depth  1.02 (belt)  HR  63 bpm  follow  91  [good]  Lengthen the out-breath

    The breath rate is in breaths/min (``/min``, as on the screen); ``bpm`` is kept for the
    heart. The depth is in the unit of the sensor named after it (``belt``: the belt's, N for
    the Go Direct belt; ``acc``: the Polar H10's accelerometer, mG): with both worn the breaths
    come from the better one, and the depth went from about 1 to about 26 with nothing on the
    line to say why (as in ``breaths.csv``).
    """
    b = event.breath
    f = event.feedback
    line = (
        f"breath {event.index:4d} at {b.end_s:7.1f} s  rate {b.rate_bpm:4.1f}/min  "
        f"in {b.inhale_s:4.1f} s  out {b.exhale_s:4.1f} s  pause {b.pause_s:3.1f} s  "
        f"exhale:inhale {b.ratio:4.2f}  depth {b.depth:5.2f} {f'({event.source})':<6}  "
        f"HR {_num(event.hr_bpm, '3.0f', '  -')} bpm  "
        f"follow {format(f.follow_score, '3d') if event.scored else '  -'}  [{b.quality}]"
    )
    if event.paused:
        line += "  paused"
    return f"{line}  {f.cue}" if f.cue else line


def format_breath_rate(event: BreathRateEvent) -> str:
    """One line for the best current breathing rate and where it comes from.

    Example::

        rate at  125.0 s   5.9 breaths/min  from heart rhythm (rr)  quality 0.42

    A rate too unclear to be a number (:attr:`trainer.session.events.BreathRateEvent.unclear`:
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


PHASE_WORDS = {
    Phase.INHALE: "in",
    Phase.HOLD_IN: "hold",
    Phase.EXHALE: "out",
    Phase.HOLD_OUT: "rest",
}
"""Each pacer phase in one word, for :func:`format_phase`: the screen's "Breathe in", "Hold",
"Breathe out" and "Rest" (:mod:`trainer.ui.screen`), shortened to what a braille cell line or
a screen reader gets through quickest."""


def format_phase(event: PhaseEvent) -> str:
    """One line for a pacer cue: the phase, for how long, and when.

    Example::

        in 4.0 s  at   12.0 s
        out 5.2 s  at   31.4 s

    The seconds are the phase's whole length at its start; after a resume or a pace change in
    its middle (the second line), what is left of it.
    """
    return f"{PHASE_WORDS[event.phase]} {event.left_s:.1f} s  at {event.t_s:7.1f} s"


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
    score = _shown(summary, "mean_follow_score") + scale
    return f"{score} (pace only)" if summary.get("follow_basis") == "pace" else score


STORED_ROUNDING = 0.005
"""Half the coarsest step (0.01) to which a closing summary's numbers were stored before
2026-12-06 (:mod:`trainer.session.summary`). A replay's unrounded number that close to such a
stored one is the same number, though its last digit shown may round the other way (a stored
0.25 shows 0.2, the 0.2504 it came from 0.3): :func:`changed_numbers` does not count it."""


@dataclass(frozen=True, slots=True)
class ShownNumber:
    """A value of a session's summary as :func:`format_summary` shows it.

    Attributes
    ----------
    label : str
        What a note calls it.
    key : str
        Its :class:`~trainer.session.summary.SessionSummary` key; ``resonance.chosen_rate_bpm``
        for one inside ``resonance``.
    fmt : str
        How it is shown: a format spec, ``"d"`` for a count, ``"s"`` for a text.
    unit : str
        Written after it in a note.
    """

    label: str
    key: str
    fmt: str
    unit: str = ""

    def value(self, summary: SessionSummary) -> tuple[bool, Any]:
        """Whether ``summary`` holds it, and its value (None when absent or ``null``)."""
        holder: Any = summary
        for part in self.key.split("."):
            if not isinstance(holder, dict) or part not in holder:
                return False, None
            holder = holder[part]
        return True, holder

    def show(self, value: Any) -> str:
        """``value`` as the summary shows it, ``-`` for None."""
        if value is None:
            return "-"
        return str(value) if self.fmt in ("d", "s") else format(value, self.fmt)

    def differs(self, before: Any, after: Any) -> bool:
        """Whether a person reading both would see two different values: shown differently,
        and (for a measured number) further apart than :data:`STORED_ROUNDING`."""
        if self.show(before) == self.show(after):
            return False
        if self.fmt in ("d", "s") or not (_is_number(before) and _is_number(after)):
            return True
        return bool(abs(before - after) > STORED_ROUNDING)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


SHOWN_NUMBERS = (
    ShownNumber("breaths", "breaths", "d"),
    ShownNumber("median rate", "median_rate_bpm", ".1f", "/min"),
    ShownNumber("rate from", "breath_source", "s"),
    ShownNumber("mean exhale:inhale", "mean_ratio", ".2f"),
    ShownNumber("follow", "mean_follow_score", ".0f"),
    ShownNumber("HR at start", "hr_start_bpm", ".0f", " bpm"),
    ShownNumber("HR at end", "hr_end_bpm", ".0f", " bpm"),
    ShownNumber("RSA", "mean_rsa_bpm", ".1f", " bpm"),
    ShownNumber("coherence", "coherence_score", ".1f", "/10"),
    ShownNumber("resonance rate", "resonance.chosen_rate_bpm", ".1f", "/min"),
    # Not in the summary's lines: each sign had a line of its own ("strain at ...") and, in a
    # program, may have eased the pace, a pacer change a replay shows whatever it finds.
    ShownNumber("strain signs", "strain_signs", "d"),
    ShownNumber("minutes practised", "minutes_practised", ".1f"),
    ShownNumber("duration", "duration_s", ".0f", " s"),
    ShownNumber("gaps", "gaps", "d"),
    ShownNumber("marks", "marks", "d"),
)
"""What a person reads of a session's results, in the order the note of
:func:`changed_numbers` names them; :func:`format_summary` shows each with this format."""

_SHOWN_BY_KEY = {number.key: number for number in SHOWN_NUMBERS}


def _shown(summary: SessionSummary, key: str) -> str:
    """The summary's value of ``key`` as shown (``-`` when absent or None)."""
    number = _SHOWN_BY_KEY[key]
    return number.show(number.value(summary)[1])


def changed_numbers(recorded: SessionSummary, replayed: SessionSummary) -> list[str]:
    """The values of :data:`SHOWN_NUMBERS` a person reads differently in ``replayed`` than in
    ``recorded``, each as ``"LABEL BEFORE -> AFTER"``; empty when they agree.

    Only values ``recorded`` holds are compared: one the software that wrote it did not
    compute yet (absent, not ``null``) was never shown, so it cannot have changed.
    """
    changes: list[str] = []
    for number in SHOWN_NUMBERS:
        held, before = number.value(recorded)
        if not held:
            continue
        after = number.value(replayed)[1]
        if number.differs(before, after):
            shown = f"{number.show(before)} -> {number.show(after)}{number.unit}"
            changes.append(f"{number.label} {shown}")
    return changes


NOT_NUMBERS = frozenset({"ended", "imported", "source_file"})
"""Keys of a closing summary that are no number of the session: how it ended (a replay of a
recording cut short says so where the live session could not), and an import's provenance."""


def summary_differs(recorded: SessionSummary, redone: SessionSummary, *, rounded: bool) -> bool:
    """Whether any value ``recorded`` holds (but :data:`NOT_NUMBERS`) differs in ``redone``:
    exactly, where :func:`changed_numbers` names only what a person reads differently at the
    shown rounding (a median rate of 6.0924 against 6.0921 shows 6.1 both times).

    A replay of a recording by the analysis that wrote it gives every value again to the last
    bit (all 35 keys equal with ``==``), so any difference is a change. ``rounded``:
    the recording stored its numbers rounded (before 2026-12-06, before recordings named their
    analysis revision: :data:`STORED_ROUNDING`), so a measured number within that of the stored
    one is the same.
    """
    return any(
        not _same(value, redone.get(key), rounded)
        for key, value in recorded.items()
        if key not in NOT_NUMBERS
    )


def _same(before: Any, after: Any, rounded: bool) -> bool:
    """Whether two summary values are the same (objects and lists item by item)."""
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(_same(before[k], after[k], rounded) for k in before)
        )
    if isinstance(before, list):
        return (
            isinstance(after, list)
            and len(before) == len(after)
            and all(_same(b, a, rounded) for b, a in zip(before, after, strict=True))
        )
    if _is_number(before) and _is_number(after):
        if rounded and isinstance(before, float):
            return bool(abs(before - after) <= STORED_ROUNDING)
        return bool(before == after)
    return type(before) is type(after) and bool(before == after)


def damage_warning(name: str, damage: str) -> str:
    """One line saying that the recording ``name`` is damaged, and how (``damage``:
    :func:`trainer.storage.recording.damage_text`); ``""`` when it is not.

    Its records all read, so it is analysed as it is: refused, the whole session would be
    lost for a stretch of it (the damage is named to within 10 s of session,
    :data:`trainer.storage.recording.CHECKPOINT_NS`, not to a line that could be deleted),
    and a recording is evidence. But what is shown from it is not known to be what the
    session recorded, and is said so wherever its numbers are shown (replay, report, export,
    ``history --add``).
    """
    if not damage:
        return ""
    return (
        f"warning: {name} is damaged: {damage}; what is shown from it may not be what the "
        "session recorded"
    )


ECG_WITHOUT_BEATS_PANEL = "ECG without heartbeats: import its CSV again to get them"
"""What the report's heart panel says of a recording
:func:`trainer.storage.recording.ecg_without_beats` (not "no heart-rate strap": it holds a
strap's ECG)."""


def ecg_without_beats_note(name: str) -> str:
    """One line saying that the recording ``name`` holds an ECG but no heartbeats, as an
    older Breathwise imported it (:func:`trainer.storage.recording.ecg_without_beats`), and
    how to get them: importing its CSV again (which replaces its history row). Printed by
    replay, report, export and ``history --add``, as :func:`damage_warning` is (without
    it, nothing told the person, the heart numbers read as if there were no strap)."""
    return (
        f"note: {name} holds an ECG but no heartbeats (imported by a Breathwise that did not "
        "take beats from an ECG): import its CSV again to get them"
    )


def analysis_changed_note(
    software: str,
    revision: int | None,
    recorded: SessionSummary,
    redone: SessionSummary,
    *,
    what: str = "this replay",
    damage: str = "",
    checksums: int = 0,
) -> str:
    """One line naming the numbers a person reads (:data:`SHOWN_NUMBERS`) that ``redone``, a
    summary today's analysis made of a recording, shows otherwise than the recording's closing
    summary ``recorded`` did, and why; ``""`` when they agree.

    ``replay``, ``report`` and ``history --add`` all analyse the recorded bytes again with
    today's analysis, so a recording analysed live by an earlier one can give other breaths and
    numbers: said, not left for the person to find (found: 8 of 15 accelerometer recordings of
    an earlier day replayed other breaths, and a program session eased for a sign of strain
    replayed its easing without the strain line; the report and the history showed the new
    numbers without a word). The header's ``software`` stays the same across analysis changes;
    its ``analysis_revision`` (``revision``, :data:`trainer.ANALYSIS_REVISION`) tells them
    apart where the file has one.

    Parameters
    ----------
    software, revision : str, int or None
        The recording header's ``software`` and ``analysis_revision`` (None: a file from before
        recordings named it).
    recorded, redone : SessionSummary
        The recording's closing summary, and today's analysis of it.
    what : str
        What holds today's numbers, as the note's subject: ``"this replay"``, ``"this
        report"``, ``"its history row"``.
    damage : str
        What the reader found damaged in the recording
        (:func:`trainer.storage.recording.damage_text`), ``""`` when nothing: then the damage
        is the cause named first. Without this, a copy with one flipped bit lost a breath
        and the note blamed the analysis alone.
    checksums : int
        How many checksums the recording holds (:attr:`Recording.checksums`): with none, a
        damaged file is among the causes the note names when the revisions agree; with some
        (and no ``damage``) the bytes are the session's, so it is not.
    """
    changes = changed_numbers(recorded, redone)
    if not changes:
        return ""
    live = software or "an unnamed Breathwise"
    today = f"today's analysis ({SOFTWARE}, analysis revision {ANALYSIS_REVISION})"
    redone_by = what.split()[-1]  # "the replay", "the report", "the row"
    if damage:
        why = f"the recording is damaged ({damage})"
        if revision == ANALYSIS_REVISION:
            why += f", and both are analysis revision {revision}"
        else:
            shown = "unnamed" if revision is None else str(revision)
            why += (
                f"; the session was also analysed live by analysis revision {shown} ({live}) "
                f"and the {redone_by} by {today}"
            )
    elif revision is None:
        why = (
            f"the session was analysed live by {live}, an earlier analysis from before "
            f"recordings named their revision, and the {redone_by} by {today}"
        )
    elif revision < ANALYSIS_REVISION:
        why = (
            f"the session was analysed live by an earlier analysis ({live}, analysis revision "
            f"{revision}) and the {redone_by} by {today}"
        )
    elif revision > ANALYSIS_REVISION:
        why = (
            f"the session was analysed live by a later analysis ({live}, analysis revision "
            f"{revision}) than this Breathwise's ({SOFTWARE}, analysis revision "
            f"{ANALYSIS_REVISION})"
        )
    elif checksums:
        why = (
            f"both are analysis revision {revision} ({live} live, {SOFTWARE} now) and should "
            "agree, and the file's checksums say it is as the session wrote it: an analysis "
            "change that did not raise the revision, or a fault (please report it with the "
            "recording)"
        )
    else:
        why = (
            f"both are analysis revision {revision} ({live} live, {SOFTWARE} now) and should "
            "agree: a damaged file (it holds no checksums to tell), an analysis change that "
            "did not raise the revision, or a fault (please report it with the recording)"
        )
    return f"note: {what} differs from what the live session showed ({', '.join(changes)}): {why}"


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


def format_skip(event: SkipEvent) -> str:
    """The line for a step the person skipped the rest of (key ``n``); the next step's own
    line follows.

    Example::

        skipped at  1770.0 s  step 28/30 Figure-four pull (right), 250 s of it left out
    """
    return (
        f"skipped at {event.t_s:7.1f} s  step {event.step_index + 1}/{event.step_count} "
        f"{event.step_title}, {event.left_s:.0f} s of it left out"
    )


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
        pace = f"{pattern.rate_bpm:.1f} breaths/min, exhale:inhale {pattern.ratio:.2f}"
        return f"pacer at {event.t_s:7.1f} s  {change.label} -> {pace}"
    return f"pacer at {event.t_s:7.1f} s  {change.label}"


def _count(n: object, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_summary(summary: SessionSummary) -> str:
    """The closing lines of a session; the last one starts with ``summary:``: the duration,
    breaths, median breath rate with its source (``belt``, ``acc`` or ``rr``, the heart rhythm),
    mean exhale:inhale ratio, gaps and marks.

    Before it: how the practice went (``practice:``: minutes practised, mean follow score, heart
    rate start -> end, mean RSA per breath, mean coherence score) and, after a resonance
    assessment, the chosen rate and the ranking. Each number is on one line only, under one
    label: both lines gave the follow score, the ratio ("out:in", "mean ratio") and the heart
    rate (review 37 F8). The text depends only on the summary dict, which replay recomputes
    identically. When a sensor was lost, a line says for how long
    (:func:`trainer.session.summary.sensor_loss_text`). A session on the simulated person, or
    without a sensor, says so first (:func:`trainer.session.sensor_label.source_line`); without
    a sensor the ``summary:`` line holds only what such a session has (duration, gaps, marks).
    """
    kind = summary.get("source_kind", "")
    marked = source_line(kind)
    lines = [marked] if marked else []
    practised = _shown(summary, "minutes_practised")
    if is_sensorless(kind):
        # Nothing measured: a line of dashes would read as a session that failed.
        lines.append(f"practice: {practised} min practised")
    else:
        lines += [
            f"practice: {practised} min practised, "
            f"follow {_follow(summary, '/100')}, "
            f"HR {_shown(summary, 'hr_start_bpm')} -> {_shown(summary, 'hr_end_bpm')} bpm, "
            f"RSA {_shown(summary, 'mean_rsa_bpm')} bpm, "
            f"coherence {_shown(summary, 'coherence_score')}/10"
        ]
    resonance = summary.get("resonance")
    if resonance is not None:
        lines.append(format_resonance(resonance, kind))
    course = program_course_text(summary)
    if course:
        lines.append(f"program: {course}")
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
        f"median rate {_shown(summary, 'median_rate_bpm')}/min"
        f" (from {summary.get('breath_source') or '-'}"
        f"{', while paced' if summary.get('rate_basis') == 'paced' else ''}), "
        f"mean exhale:inhale {_shown(summary, 'mean_ratio')}, "
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
        line += f"; {float(rate):.1f} not scored ({_for_a_person(str(reason))})"
    # Not stored: how to pace resonance-training all the same (without this, it refused with
    # "none is stored yet", and the person could not tell what would store one).
    # A simulated person's rate is not the person's: only a shortened assessment's is offered.
    stored_rate = (
        "resonance-training paces at a stored rate: 'breathwise config set resonance_rate_bpm"
    )
    missing = incomplete_assessment(resonance)
    if missing:
        return (
            f"{line}; {missing}, so it is not stored; {stored_rate} {chosen:.1f}' stores this one"
        )
    unmeasured = not_stored_reason(source_kind)
    if unmeasured:
        # Not "... resonance_rate_bpm 6' stores one of your own": the example rate was 6
        # whatever was chosen, and it invited storing a rate measured on nobody.
        return (
            f"{line}; {unmeasured}; run the assessment with your own sensor to find your rate "
            "(resonance-training paces at it; to set one yourself: 'breathwise config set "
            "resonance_rate_bpm RATE')"
        )
    return line


_NOT_FOLLOWED = re.compile(
    r"the pacer was not followed closely enough \(breathing at (?P<rate>[\d.]+)/min, "
    r"(?P<share>\d+) % of breaths on pace; needs .*\)"
)
"""The reason :mod:`analysis.resonance` gives a rate not followed, with its rule
(:data:`analysis.resonance.FOLLOW_RULE`)."""


def _for_a_person(reason: str) -> str:
    """A rate's reason for being set aside, in a person's words: the rule's thresholds (its
    median rate "within max(0.5, 10 %)") stay in the summary, the report and the docs (review
    31 F10)."""
    found = _NOT_FOLLOWED.fullmatch(reason)
    if found is None:
        return reason
    return (
        f"you breathed at {found['rate']}/min with {found['share']} % of breaths on the pace; "
        "it needs about the step's rate and 60 % of breaths on it"
    )


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
    signs and easings to ``out``, and the pacer's cues when the pipeline reports them
    (:func:`format_phase`)."""
    rates = RateLines()
    gone = False

    def emit(text: str) -> None:
        nonlocal gone
        if gone:
            return
        try:
            try:
                print(text, file=out, flush=True)
            except UnicodeEncodeError:
                # A stream the command line did not prepare (trainer.ui.terminal gives its own
                # an ASCII fallback): a cue's dash must not stop the session as a bug.
                print(printable(text, getattr(out, "encoding", None)), file=out, flush=True)
        except (OSError, UnicodeEncodeError):
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
            elif isinstance(event, SkipEvent):
                emit(format_skip(event))
            elif isinstance(event, StrainEvent):
                line = f"strain at {event.t_s:7.1f} s  {event.kind.value} ({event.detail})"
                emit(f"{line}  {event.cue}")
            elif isinstance(event, PacerEvent):
                text = format_pacer_event(event)
                if text is not None:
                    emit(text)
            elif isinstance(event, PhaseEvent):
                emit(format_phase(event))

    return listener
