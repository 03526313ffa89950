"""The whole-session numbers: a recording's closing line, the headless summary, the screen's last
state, the history and the report all read them (:meth:`trainer.session.pipeline.Pipeline.summary`
computes them; ``docs/recording-format.md`` describes the ``end`` record that holds them).

Every key is optional (``total=False``) because the closing line of a recording need hold none
of them: an import writes only ``imported`` and ``source_file``, a writer closed without a
summary writes ``{}``, and a recording written by an older version lacks the keys added since
(each key below says when it appeared). A summary computed now by the pipeline holds every key
but ``program``, ``resonance`` (programs only) and ``ended`` (added by whoever ended the session).
Readers therefore use ``.get`` and accept keys they do not know.

Numbers are kept as computed, not rounded (before 2026-12-06: rates, ratios and heart numbers
to 0.01, ``coherence`` to 0.001, times to 0.001 s): each view rounds once, as it shows them. An
RSA of 2.7476 stored as 2.75 and shown to 0.1 read 2.8 in the summary, the history and the
report's header but 2.7 in the report's table, printed from the full value.
A number that could not be computed (nothing measured, or not finite) is ``None`` (JSON
``null``); a resonance assessment's rates and scores stay rounded (0.01 breaths/min, 0.001).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Union, cast

from devices.packets import Stream
from devices.source import SourceInfo


class ResonanceSummary(TypedDict, total=False):
    """The outcome of a resonance assessment (:func:`analysis.resonance.score_resonance`,
    Lehrer et al. 2000 protocol), the ``resonance`` entry of a :class:`SessionSummary`."""

    chosen_rate_bpm: float | None
    """The rate the assessment chose, breaths/min; None when no step could be scored."""
    ranking_bpm: list[float]
    """Every scored rate, breaths/min, best first; empty when none was scored."""
    scores: list[list[float | None]]
    """``[rate_bpm, score]`` per paced step tried, in the order tried; score 0-1, None for a
    rate set aside (see ``unscored``)."""
    unscored: list[list[float | str]]
    """``[rate_bpm, reason]`` per rate tried but set aside. Absent when no step could be scored
    at all, and in recordings before 2026-12-05."""
    rates_planned: int
    """Paced steps the program holds. Absent before 2026-12-05."""
    rates_tried: int
    """Paced steps completed before the session ended (fewer than planned: stopped early, so
    its best is not the person's rate). Absent before 2026-12-05."""


class SkippedStep(TypedDict, total=False):
    """A step the person skipped the rest of (key ``n``), an entry of
    :attr:`SessionSummary.steps_skipped`."""

    step: int
    """The step's 1-based number in the program ("step 28/30")."""
    title: str
    """Its title, with its side for a step done on one side: ``Figure-four pull (right)``."""
    at_s: float
    """Session time of the skip, s."""
    left_s: float
    """Seconds of the step left out."""


class SensorLossSummary(TypedDict, total=False):
    """How long one sensor of several had its link lost, an entry of
    :attr:`SessionSummary.sensors_lost` (:func:`sensor_loss`)."""

    lost_s: float
    """Seconds of the session with this sensor's link lost (its overlapping gaps counted once;
    a gap never closed runs to the end)."""
    lost_from_s: float | None
    """Session time (s) since which this sensor was lost and never came back; None when every
    one of its gaps closed."""


class SessionSummary(TypedDict, total=False):
    """A session's closing numbers (see the module notes for why every key is optional).

    Since the first recording format (2026-11-22): ``duration_s``, ``breaths``,
    ``median_rate_bpm``, ``mean_ratio``, ``mean_follow_score``, ``beats``, ``hr_start_bpm``,
    ``hr_end_bpm``, ``marks``, ``gaps``, ``packets``, ``decode_errors``, ``ended``. The others
    say when they appeared.
    """

    duration_s: float
    """Session length, s: from the session clock's start to its end, pauses included."""
    breaths: int
    """Breaths detected (belt or accelerometer), artifacts and paused ones included."""
    median_rate_bpm: float | None
    """The session's breath rate, breaths/min, from ``breath_source`` over the breaths (or
    heart-rhythm windows) ``rate_basis`` names; None when nothing measured a rate."""
    breath_source: str | None
    """What ``median_rate_bpm`` is from: ``belt``, ``acc`` or ``rr`` (the heart rhythm), the
    source that measured the most of the session weighed by its quality
    (:func:`analysis.breath_sources.best_source`); None with no rate. Since 2026-11-22 (absent
    in the very first recordings)."""
    rate_basis: str | None
    """Which breaths the rate counts: ``paced`` (only those begun while the pacer paced),
    ``own`` (only those begun while it did not: a session paced for under half its practised
    time, ``paced_s``, whose ratio, follow score and targets are of the same part, since
    2026-12-07) or ``unpaused`` (a session never paced); None with no rate
    (:func:`trainer.session.pipeline.counted_breaths`). Since 2026-12-06."""
    target_rate_bpm: float | None
    """The target of ``median_rate_bpm``, breaths/min: the median of the pacer rates those very
    breaths (or heart-rhythm windows) were asked
    (:func:`trainer.session.pipeline.session_target_rate`,
    :meth:`trainer.session.pipeline.Pipeline.rr_rate_bpm`); None when none was asked a rate
    (own rhythm, an import) or there is no rate. Since 2026-12-06 (before, the end screen
    showed the last pacer's rate, and the history and report the pacer's rate weighted by
    time, own-rhythm steps left out)."""
    rr_rate_bpm: float | None
    """The breath rate read from the heart rhythm (RSA), breaths/min, whatever the chosen
    source; None when the beats gave none. Since 2026-11-22 (absent in the very first)."""
    rr_rate_basis: str | None
    """As ``rate_basis``, for ``rr_rate_bpm``. Since 2026-12-06."""
    rr_target_rate_bpm: float | None
    """As ``target_rate_bpm``, for ``rr_rate_bpm``. Since 2026-12-06."""
    mean_ratio: float | None
    """Mean exhale:inhale ratio of the counted breaths whose ratio was measured; None when
    none was."""
    target_ratio: float | None
    """The target of ``mean_ratio``: the mean of what those very breaths were asked
    (:func:`trainer.session.pipeline.session_target_ratio`); None when none was asked a ratio.
    Since 2026-12-06 (before, the history and report weighed the pacer's ratio by time, over
    own-rhythm steps too)."""
    breath_cv: float | None
    """Coefficient of variation of breath-to-breath intervals (regularity, dimensionless);
    None with too few breaths. Since 2026-12-03."""
    mean_follow_score: float | None
    """Mean follow score, 0-100, of the scored breaths (or of the paces read from the heart
    rhythm, see ``follow_basis``); with ``rate_basis`` ``own``, of the scored breaths of the
    own-rhythm part alone (since 2026-12-07); None when nothing was scored."""
    follow_basis: str | None
    """What the follow score judged: ``breaths``, or ``pace`` (a heart-rate strap alone); None
    with no score. Since 2026-12-03."""
    beats: int
    """Heartbeats (RR intervals) received."""
    hr_start_bpm: float | None
    """Heart rate at the start, beats/min, from the artifact-corrected beats; None with fewer
    than two beats."""
    hr_end_bpm: float | None
    """Heart rate at the end, beats/min, as ``hr_start_bpm``."""
    hr_basis: str | None
    """What ``hr_start_bpm`` and ``hr_end_bpm`` are from: ``beats`` (the artifact-corrected
    RR intervals) or ``device`` (a strap that sends its heart rate without RR intervals, legal
    in the Heart Rate Measurement characteristic: the mean of the values it reported over the
    first and the last minute, :func:`trainer.reports.session_analysis.device_hr_span`); None
    with neither. Since 2026-12-06."""
    sensors_silent: list[str]
    """The sensors (as ``sensors_lost`` calls them; a lone one too) that sent no measurement in
    the whole session although connected: a belt that never streams, a strap never worn.
    Since 2026-12-06."""
    streams_stopped: dict[str, float]
    """Polar streams (``ecg``, ``acc``) the sensor stopped on its own that did not come back
    before the end, each with the session time it stopped, s: a sensor that keeps stopping a
    stream is restarted a few times, then left (``devices.ble.polar_h10``). Since 2026-12-06."""
    marks: int
    """Marks the user made (``m``)."""
    gaps: int
    """Connection gaps (a ``lost`` link event)."""
    no_data_s: float
    """Seconds of the session in which no sensor sent data: every sensor's link lost at once (a
    gap never closed runs to the end). With one sensor, the time its link was lost. Since
    2026-12-06, added with ``ended`` (:func:`sensor_loss`); until 2026-12-06's fix any one
    sensor's gap counted, so a belt lost beside a strap that kept beating counted too."""
    no_data_from_s: float | None
    """Session time (s) since which every sensor was lost and none came back; None otherwise.
    Since 2026-12-06, added with ``ended``."""
    sensors_lost: dict[str, SensorLossSummary]
    """Per sensor of a session with several (a strap and a belt), keyed by what it is called
    (``belt``, ``heart-rate strap``; its name when two would be called alike): the time its
    link was lost, for each sensor that lost it. Empty when none did; absent in a session with
    one sensor and in recordings before 2026-12-06. Added with ``ended``."""
    packets: dict[str, int]
    """Packets received per stream id (``gdx``, ``hr``, ``ecg``, ``acc``...)."""
    waveform_samples: dict[str, int]
    """Polar PMD samples decoded per kind (``ecg``, ``acc``). Since 2026-11-22 (absent in the
    very first)."""
    decode_errors: dict[str, int]
    """Packets that could not be decoded, per stream id."""
    minutes_practised: float | None
    """Session length less the time paused, min. Since 2026-11-22 (absent in the very first)."""
    paused_s: float
    """Time the pacer or program stood paused, s. Since 2026-11-22 (absent in the very first)."""
    paced_s: float
    """Time the pacer paced, s: not paused, not in an own-rhythm step. Under half the time
    practised, the rate, ratio, follow score and their targets are of the session's own-rhythm
    part (``rate_basis`` ``own``). Since 2026-12-07."""
    strain_signs: int
    """Signs of strain the coach saw (gasping, holding, irregular). Since 2026-11-22 (absent in
    the very first)."""
    source_kind: str
    """What measured the session: the header's ``source.kind`` (``ble``, ``import``,
    ``sample``, ``sim``, ``none``), labelled wherever the summary is shown
    (:mod:`trainer.session.sensor_label`). Since 2026-12-06."""
    mean_rsa_bpm: float | None
    """Mean RSA (peak-to-trough heart rate per breath, Grossman et al. 1990), beats/min; None
    with fewer than two beats or no RSA measured. Since 2026-11-22 (absent in the very first)."""
    coherence: float | None
    """Mean coherence ratio (McCraty et al. 2006), dimensionless; None as ``mean_rsa_bpm``.
    Since 2026-11-22 (absent in the very first)."""
    coherence_score: float | None
    """Mean coherence score, 0-10 (McCraty et al. 2006 scaled); None as ``mean_rsa_bpm``.
    Since 2026-11-22 (absent in the very first)."""
    program: str
    """The program run (its name); absent without a program."""
    steps_skipped: list[SkippedStep]
    """The steps whose rest the person skipped (key ``n``), in order; empty when none. Present
    in program sessions only. Since 2026-12-07."""
    from_step: int
    """The 1-based step a program session started at (``live --from-step``); absent when it
    started at the first. Since 2026-12-07."""
    resonance: ResonanceSummary
    """A resonance assessment's outcome; absent for any other session."""
    ended: str
    """How the session ended: ``completed``, ``quit``, ``interrupted``, ``error: ...`` (a
    device's failure, a recording that cannot be written, or a processing error, each as one
    line with its advice), ``disk full...``; on a replay or an analysis also ``replay
    stopped`` or ``recording cut short``.
    Added by whoever ended the session, not by the pipeline."""
    imported: bool
    """True in a recording written by ``breathwise import`` (whose summary holds only this and
    ``source_file``)."""
    source_file: str
    """The name of the file an import was read from."""


@dataclass(frozen=True, slots=True)
class Sensor:
    """One sensor of a session, as its link events name it.

    Attributes
    ----------
    label : str
        What a person calls it: ``belt``, ``heart-rate strap`` or its name.
    ids : frozenset of str
        The names and addresses under which its link events report (``LinkEvent.device``).
    heart : bool
        It sends the heart beats (the heart-rate or Polar PMD stream).
    streams : frozenset of str
        The stream ids its packets come on (``gdx``, ``hr``, ``pmd``...).
    """

    label: str
    ids: frozenset[str]
    heart: bool
    streams: frozenset[str] = frozenset()


def session_sensors(source: SourceInfo) -> tuple[Sensor, ...]:
    """The sensors of a session whose source combines several (``details["sources"]``, see
    ``devices.ble.combined``); empty for a lone sensor, whose every link event is its own."""
    entries = [e for e in source.details.get("sources", ()) if isinstance(e, dict)]
    if len(entries) < 2:
        return ()
    sensors: list[Sensor] = []
    for entry in entries:
        streams = set(entry.get("streams", ()))
        heart = bool(streams & {Stream.HEART_RATE.value, Stream.PMD_DATA.value})
        label = "belt" if Stream.GODIRECT.value in streams else "heart-rate strap" if heart else ""
        ids = frozenset(str(entry[key]) for key in ("address", "name") if entry.get(key))
        label = label or str(entry.get("name", "sensor"))
        sensors.append(Sensor(label, ids, heart, frozenset(str(s) for s in streams)))
    labels = [s.label for s in sensors]
    # Two straps (or belts) would share a word: the name tells them apart.
    return tuple(
        Sensor(str(e.get("name") or s.label), s.ids, s.heart, s.streams)
        if labels.count(s.label) > 1
        else s
        for s, e in zip(sensors, entries, strict=True)
    )


def listed_sensors(source: SourceInfo) -> tuple[Sensor, ...]:
    """Every sensor the header lists: those of a combined source (:func:`session_sensors`), or
    the lone sensor, called after its streams (``belt``, ``heart-rate strap``). Empty without
    a sensor (``--device none``) and for an import, which no sensor sent."""
    if source.kind in ("none", "import"):
        return ()
    several = session_sensors(source)
    if several:
        return several
    streams = frozenset(source.streams)
    heart = bool(streams & {Stream.HEART_RATE.value, Stream.PMD_DATA.value})
    if not streams:
        return ()
    label = "belt" if Stream.GODIRECT.value in streams else "heart-rate strap" if heart else ""
    ids = frozenset(v for v in (source.address, source.name) if v)
    return (Sensor(label or source.name or "sensor", ids, heart, streams),)


Span = tuple[float, float]


def _union(spans: Sequence[Span]) -> list[Span]:
    """Overlapping spans (s) merged, in order."""
    merged: list[Span] = []
    for t0, t1 in sorted(spans):
        if t1 <= t0:
            continue
        if merged and t0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], t1))
        else:
            merged.append((t0, t1))
    return merged


def _intersection(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The times (s) in both of two merged span lists."""
    return [(max(a0, b0), min(a1, b1)) for a0, a1 in a for b0, b1 in b if min(a1, b1) > max(a0, b0)]


def sensor_loss(
    gaps: Sequence[tuple[str, float, float | None]],
    end_s: float,
    sensors: Sequence[Sensor] = (),
) -> SessionSummary:
    """The ``no_data_s``, ``no_data_from_s`` and (several sensors) ``sensors_lost`` of a
    session ending at ``end_s`` (s).

    Parameters
    ----------
    gaps : sequence of (device, start_s, end_s or None)
        Link gaps as :attr:`trainer.session.pipeline.Pipeline.gaps` keeps them (session s;
        None: the sensor never came back).
    end_s : float
        Session end (s).
    sensors : sequence of Sensor
        The session's sensors (:func:`session_sensors`); empty for a lone sensor. A gap of a
        device none of them names is counted against all of them: what it cut off is unknown.
    """
    # One sensor's loss leaves the others' data: only the time all were lost had none at all.
    own: list[list[Span]] = [[] for _ in sensors] or [[]]
    open_from: list[list[float]] = [[] for _ in own]
    for device, t0, t1 in gaps:
        span = (max(0.0, t0), min(end_s, end_s if t1 is None else t1))
        hit = [i for i, s in enumerate(sensors) if device in s.ids] or range(len(own))
        for index in hit:
            own[index].append(span)
            if t1 is None and t0 < end_s:
                open_from[index].append(span[0])
    merged = [_union(spans) for spans in own]
    silent = merged[0]
    for spans in merged[1:]:
        silent = _intersection(silent, spans)
    summary: SessionSummary = {
        "no_data_s": round(sum(t1 - t0 for t0, t1 in silent), 3),
        # Silent to the end since the last of them was lost for good.
        "no_data_from_s": (round(max(min(f) for f in open_from), 3) if all(open_from) else None),
    }
    if sensors:
        summary["sensors_lost"] = {
            sensor.label: {
                "lost_s": round(sum(t1 - t0 for t0, t1 in spans), 3),
                "lost_from_s": round(min(starts), 3) if starts else None,
            }
            for sensor, spans, starts in zip(sensors, merged, open_from, strict=True)
            if spans
        }
    return summary


def session_clock(t_s: float) -> str:
    """Session time as m:ss, the seconds cut, not rounded (a loss at 9.6 s is "0:09")."""
    return f"{int(t_s // 60)}:{int(t_s % 60):02d}"


def _loss_words(what: str, total_s: float, from_s: float | None, end_s: float, when: bool) -> str:
    """``no {what} for ...`` of one loss (see :func:`sensor_loss_text`)."""
    if from_s is None:
        return f"no {what} for {total_s:.0f} s" + (" (connection gaps)" if when else "")
    tail_s = max(0.0, end_s - from_s)
    lost = f" (lost at {session_clock(from_s)})" if when else ""
    if total_s - tail_s >= 0.5:
        return f"no {what} for {total_s:.0f} s, the last {tail_s:.0f} s included{lost}"
    return f"no {what} for the last {tail_s:.0f} s{lost}"


def sensor_loss_text(summary: SessionSummary, *, when: bool = True) -> str | None:
    """How much of the session had no sensor data, in words, or None when none was lost.

    Examples: "no sensor data for the last 52 s (lost at 0:08)", "no sensor data for 12 s
    (connection gaps)"; with several sensors, one lost while another kept sending says which
    (``sensors_lost``): "no data from the belt for the last 50 s (lost at 0:10)". "No sensor
    data" is said only of the time every sensor was lost. The printed summary, the screen's end
    and the report say it, so a session whose sensor was lost is never shown as simply
    "completed". Without ``when`` the brackets are left out (the report's header line, whose
    panels shade the gaps).
    """
    total_s = summary.get("no_data_s") or 0.0
    from_s = summary.get("no_data_from_s")
    parts: list[str] = []
    if total_s:
        end_s = summary.get("duration_s", from_s or 0.0)
        parts.append(_loss_words("sensor data", total_s, from_s, end_s, when))
    for label, loss in summary.get("sensors_lost", {}).items():
        lost_s = loss.get("lost_s") or 0.0
        # A sensor lost only while all were is said by "no sensor data" already.
        if lost_s - total_s >= 0.5:
            lost_from_s = loss.get("lost_from_s")
            end_s = summary.get("duration_s", lost_from_s or 0.0)
            words = _loss_words(f"data from the {label}", lost_s, lost_from_s, end_s, when)
            parts.append(words)
    silent = summary.get("sensors_silent", [])
    parts += [f"the {label} was connected but sent no data" for label in silent]
    for kind, t_s in summary.get("streams_stopped", {}).items():
        at = f" at {session_clock(t_s)}" if when else ""
        parts.append(f"the sensor stopped its {kind.upper()} stream{at} and it did not come back")
    unreadable = unreadable_text(summary)
    if unreadable:
        parts.append(unreadable)
    return "; ".join(parts) or None


UNREADABLE_SAY_SHARE = 0.02
"""Share of a stream's packets that could not be read from which the summary says so: one
corrupt notification in an hour is noise, but 113 of 619 belt packets left a session without a
breath and its summary without a word why."""

_STREAM_WORDS = {
    Stream.GODIRECT.value: "belt",
    Stream.HEART_RATE.value: "heart-rate",
    Stream.PMD_DATA.value: "Polar ECG/accelerometer",
    Stream.PMD_CONTROL.value: "Polar control",
}


def unreadable_text(summary: SessionSummary) -> str | None:
    """``113 of 619 belt packets could not be read`` for each stream where at least
    :data:`UNREADABLE_SAY_SHARE` of the packets could not be decoded (``decode_errors`` of
    ``packets``), or None."""
    packets = summary.get("packets", {})
    parts = []
    for stream, errors in sorted(summary.get("decode_errors", {}).items()):
        total = packets.get(stream, 0)
        if errors and total and errors / total >= UNREADABLE_SAY_SHARE:
            word = _STREAM_WORDS.get(stream, stream)
            parts.append(f"{errors} of {total} {word} packets could not be read")
    return "; ".join(parts) or None


def sensor_lost_word(summary: SessionSummary) -> str | None:
    """What was lost, in a word or two for a header beside how the session ended: ``sensor
    lost`` when no sensor sent data for a while, else the sensors lost (``belt lost``); None
    when nothing was; a sensor that sent nothing at all is named too (``belt sent no
    data``)."""
    if summary.get("no_data_s"):
        return "sensor lost"
    lost = [label for label, loss in summary.get("sensors_lost", {}).items() if loss.get("lost_s")]
    if lost:
        return f"{' and '.join(lost)} lost"
    silent = summary.get("sensors_silent", [])
    return f"{' and '.join(silent)} sent no data" if silent else None


def checked_summary(obj: dict[str, Any], what: str = "end summary") -> SessionSummary:
    """A summary read from JSON, its known keys checked against :class:`SessionSummary`.

    Keys missing (an older recording) or unknown (a newer one) are accepted; a known key whose
    value has the wrong type (a string where a number belongs) is damage.

    Raises
    ------
    ValueError
        One line naming the key, what it must be and what it holds.
    """
    _check_typed_dict(obj, SessionSummary, what)
    return cast(SessionSummary, obj)


def _check_typed_dict(obj: dict[str, Any], schema: type, what: str) -> None:
    hints = typing.get_type_hints(schema)
    for key, value in obj.items():
        hint = hints.get(key)
        if hint is not None and not _matches(value, hint):
            raise ValueError(f"{what} {key!r} must be {_describe(hint)}, got {value!r}")
        if hint is not None and typing.is_typeddict(hint):
            _check_typed_dict(value, hint, f"{what} {key!r}")
        elif typing.get_origin(hint) is dict and typing.is_typeddict(typing.get_args(hint)[1]):
            for name, entry in value.items():
                _check_typed_dict(entry, typing.get_args(hint)[1], f"{what} {key!r} {name!r}")
        elif typing.get_origin(hint) is list and typing.is_typeddict(typing.get_args(hint)[0]):
            for number, entry in enumerate(value, start=1):
                _check_typed_dict(entry, typing.get_args(hint)[0], f"{what} {key!r} #{number}")


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a type hint of the summary (float also takes a JSON integer)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_hint) and _matches(v, value_hint) for k, v in value.items()
        )
    if typing.is_typeddict(hint):
        return isinstance(value, dict)
    raise TypeError(f"no check for {hint!r}")  # a new key's type needs a case above


def _describe(hint: Any) -> str:
    """A type hint in the words of a one-line error."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    if origin is list:
        return "a list"
    if origin is dict or typing.is_typeddict(hint):
        return "an object"
    words = {type(None): "null", bool: "true or false", int: "an integer", float: "a number"}
    return words.get(hint, "a string")


def scored_rates(resonance: ResonanceSummary) -> list[tuple[float, float | None]]:
    """The ``scores`` of an assessment as ``(rate_bpm, score)`` pairs, in the order tried (a
    pair is a JSON list: its rate is typed as its score is)."""
    return [(float(rate), score) for rate, score in resonance.get("scores", []) if rate is not None]


def program_course_text(summary: SessionSummary) -> str:
    """Where a program session started and which steps it skipped, as the summary holds them
    (``from_step``, ``steps_skipped``); ``""`` for one run from its first step without a skip.

    Example: ``started at step 12; skipped step 28 Figure-four pull (right) at 1770 s``.
    """
    parts: list[str] = []
    start = summary.get("from_step")
    if start is not None and start > 1:
        parts.append(f"started at step {start}")
    skipped = summary.get("steps_skipped") or []
    if skipped:
        parts.append(
            "skipped "
            + ", ".join(
                f"step {entry.get('step', '?')} {entry.get('title', '')} at "
                f"{float(entry.get('at_s', 0.0)):.0f} s"
                for entry in skipped
            )
        )
    return "; ".join(parts)
