"""The whole-session numbers: a recording's closing line, the headless summary, the screen's last
state, the history and the report all read them (:meth:`trainer.session.pipeline.Pipeline.summary`
computes them; ``docs/recording-format.md`` describes the ``end`` record that holds them).

Every key is optional (``total=False``) because the closing line of a recording need hold none
of them: an import writes only ``imported`` and ``source_file``, a writer closed without a
summary writes ``{}``, and a recording written by an older version lacks the keys added since
(each key below says when it appeared). A summary computed now by the pipeline holds every key
but ``program``, ``resonance`` (programs only) and ``ended`` (added by whoever ended the session).
Readers therefore use ``.get`` and accept keys they do not know.

Rounding: rates, ratios and heart numbers to 0.01, ``coherence`` to 0.001, ``breath_cv`` to
0.0001, times to 0.001 s; a number that could not be computed (nothing measured, or not finite)
is ``None`` (JSON ``null``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, TypedDict, Union, cast


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
    """Which breaths the rate counts: ``paced`` (only those begun while the pacer paced) or
    ``unpaused``; None with no rate. Since 2026-12-06."""
    rr_rate_bpm: float | None
    """The breath rate read from the heart rhythm (RSA), breaths/min, whatever the chosen
    source; None when the beats gave none. Since 2026-11-22 (absent in the very first)."""
    rr_rate_basis: str | None
    """As ``rate_basis``, for ``rr_rate_bpm``. Since 2026-12-06."""
    mean_ratio: float | None
    """Mean exhale:inhale ratio of the counted breaths whose ratio was measured; None when
    none was."""
    breath_cv: float | None
    """Coefficient of variation of breath-to-breath intervals (regularity, dimensionless);
    None with too few breaths. Since 2026-12-03."""
    mean_follow_score: float | None
    """Mean follow score, 0-100, of the scored breaths (or of the paces read from the heart
    rhythm, see ``follow_basis``); None when nothing was scored."""
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
    marks: int
    """Marks the user made (``m``)."""
    gaps: int
    """Connection gaps (a ``lost`` link event)."""
    no_data_s: float
    """Seconds of the session with a sensor's link lost (gaps of several sensors overlapping
    counted once; a gap never closed runs to the end). Since 2026-12-06, added with ``ended``
    (:func:`sensor_loss`)."""
    no_data_from_s: float | None
    """Session time (s) since which a sensor was lost and never came back; None when every
    gap closed. Since 2026-12-06, added with ``ended``."""
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
    resonance: ResonanceSummary
    """A resonance assessment's outcome; absent for any other session."""
    ended: str
    """How the session ended: ``completed``, ``quit``, ``interrupted``, ``error: ...``, ``disk
    full...``; on a replay or an analysis also ``replay stopped`` or ``recording cut short``.
    Added by whoever ended the session, not by the pipeline."""
    imported: bool
    """True in a recording written by ``breathwise import`` (whose summary holds only this and
    ``source_file``)."""
    source_file: str
    """The name of the file an import was read from."""


def sensor_loss(gaps: Sequence[tuple[str, float, float | None]], end_s: float) -> SessionSummary:
    """The ``no_data_s`` and ``no_data_from_s`` of a session ending at ``end_s`` (s).

    Parameters
    ----------
    gaps : sequence of (device, start_s, end_s or None)
        Link gaps as :attr:`trainer.session.pipeline.Pipeline.gaps` keeps them (session s;
        None: the sensor never came back).
    end_s : float
        Session end (s).
    """
    spans = sorted((max(0.0, t0), min(end_s, end_s if t1 is None else t1)) for _, t0, t1 in gaps)
    total_s, reach_s = 0.0, 0.0
    for t0, t1 in spans:
        # Two sensors lost at once are one stretch with no data, counted once.
        t0 = max(t0, reach_s)
        if t1 > t0:
            total_s += t1 - t0
            reach_s = t1
    open_from = [t0 for _, t0, t1 in gaps if t1 is None and t0 < end_s]
    return {
        "no_data_s": round(total_s, 3),
        "no_data_from_s": round(min(open_from), 3) if open_from else None,
    }


def sensor_loss_text(summary: SessionSummary, *, when: bool = True) -> str | None:
    """How much of the session had no sensor data, in words, or None when none was lost.

    Examples: "no sensor data for the last 52 s (lost at 0:08)", "no sensor data for 12 s
    (connection gaps)". The printed summary, the screen's end and the report say it, so a
    session whose sensor was lost is never shown as simply "completed". Without ``when`` the
    brackets are left out (the report's header line, whose panels shade the gaps).
    """
    total_s = summary.get("no_data_s")
    if not total_s:
        return None
    from_s = summary.get("no_data_from_s")
    if from_s is None:
        return f"no sensor data for {total_s:.0f} s" + (" (connection gaps)" if when else "")
    tail_s = max(0.0, summary.get("duration_s", from_s) - from_s)
    lost = f"lost at {int(from_s // 60)}:{int(from_s % 60):02d}"
    lost = f" ({lost})" if when else ""
    if total_s - tail_s >= 0.5:
        return f"no sensor data for {total_s:.0f} s, the last {tail_s:.0f} s included{lost}"
    return f"no sensor data for the last {tail_s:.0f} s{lost}"


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
