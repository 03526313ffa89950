"""The breathing pacer: a pattern of phases, played out in session time.

The pacer is a pure function of session time and of the changes made to it (pattern changes,
pauses, resumes), kept as a list of segments. ``state(t_s)`` may be asked about any time, past or
present, so live display, replay and batch scoring read the same pacer.

The target lung fill follows a raised-cosine (cosine-eased) curve, the smooth symmetric pacer
shape of open biofeedback trainers (OpenHRV draws a sine pacer); it is continuous with a zero
slope at every phase boundary, so a drawn or sounded pacer never jumps.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from devices.guide import GuideState

MIN_PERIOD_S = 2.0
"""Shortest accepted pacer cycle (30 breaths/min, the rate above which breath detectors give up)."""
MAX_PERIOD_S = 60.0
"""Longest accepted pacer cycle (1 breath/min)."""
MIN_RATE_BPM = 1.0
MAX_RATE_BPM = 30.0
MIN_RATIO = 0.2
MAX_RATIO = 5.0

_ONSET_TOL_CYCLES = 1e-9
"""Slack when deciding whether an onset falls on a query bound, so rounding of ``k * period``
does not drop an onset that lies exactly on ``t0_s`` or ``t1_s``."""
_EDGE_TOL_S = 1e-6
"""A change this close to a phase edge (s) lands on it: a phase carried over by
:meth:`Pacer.set_pattern` as ``elapsed / duration`` of the old one can sit a rounding error
short of its end, and its microsecond left is no phase to announce."""


class Phase(StrEnum):
    """The four parts of a breathing cycle, in the order they are played."""

    INHALE = "inhale"
    HOLD_IN = "hold_in"
    EXHALE = "exhale"
    HOLD_OUT = "hold_out"


_PATTERN_KEYS = ("inhale_s", "exhale_s", "hold_in_s", "hold_out_s")


def _check_number(name: str, value: object) -> float:
    """Return ``value`` as a finite float, or raise ``ValueError`` naming ``name``."""
    # bool is an int subclass; True seconds is never what a recording or caller meant.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number


@dataclass(frozen=True, slots=True)
class BreathPattern:
    """One pacer cycle: inhale, hold after inhale, exhale, hold after exhale.

    Attributes
    ----------
    inhale_s, exhale_s : float
        Durations of the in-breath and out-breath, in seconds (> 0).
    hold_in_s, hold_out_s : float
        Holds after the in-breath and after the out-breath, in seconds (>= 0).

    Raises
    ------
    ValueError
        On a non-finite or non-positive inhale/exhale, a negative hold, or a period outside
        2-60 s (30 to 1 breaths/min).
    """

    inhale_s: float
    exhale_s: float
    hold_in_s: float = 0.0
    hold_out_s: float = 0.0

    def __post_init__(self) -> None:
        for name in _PATTERN_KEYS:
            _check_number(name, getattr(self, name))
        if self.inhale_s <= 0.0 or self.exhale_s <= 0.0:
            raise ValueError(
                f"inhale_s and exhale_s must be > 0 s, got {self.inhale_s} s and {self.exhale_s} s"
            )
        if self.hold_in_s < 0.0 or self.hold_out_s < 0.0:
            raise ValueError(
                f"holds must be >= 0 s, got hold_in_s={self.hold_in_s} s, "
                f"hold_out_s={self.hold_out_s} s"
            )
        period = self.period_s
        if not MIN_PERIOD_S <= period <= MAX_PERIOD_S:
            raise ValueError(
                f"breathing cycle must last {MIN_PERIOD_S:g}-{MAX_PERIOD_S:g} s "
                f"({MAX_RATE_BPM:g} to {MIN_RATE_BPM:g} breaths/min), got {period:g} s"
            )

    @property
    def period_s(self) -> float:
        """Length of one cycle, in seconds (the sum of the four phases)."""
        return self.inhale_s + self.hold_in_s + self.exhale_s + self.hold_out_s

    @property
    def rate_bpm(self) -> float:
        """Pacer rate in breaths per minute, ``60 / period_s``."""
        return 60.0 / self.period_s

    @property
    def ratio(self) -> float:
        """Exhale:inhale ratio, ``exhale_s / inhale_s`` (holds not included)."""
        return self.exhale_s / self.inhale_s

    def duration_of(self, phase: Phase) -> float:
        """Duration of ``phase`` in this pattern, in seconds."""
        if phase is Phase.INHALE:
            return self.inhale_s
        if phase is Phase.HOLD_IN:
            return self.hold_in_s
        if phase is Phase.EXHALE:
            return self.exhale_s
        return self.hold_out_s

    def phase_start_s(self, phase: Phase) -> float:
        """Offset of ``phase`` from the inhale onset, in seconds."""
        if phase is Phase.INHALE:
            return 0.0
        if phase is Phase.HOLD_IN:
            return self.inhale_s
        if phase is Phase.EXHALE:
            return self.inhale_s + self.hold_in_s
        return self.inhale_s + self.hold_in_s + self.exhale_s

    @classmethod
    def from_rate(
        cls,
        rate_bpm: float,
        ratio: float = 1.0,
        *,
        hold_in_s: float = 0.0,
        hold_out_s: float = 0.0,
    ) -> BreathPattern:
        """Build a pattern from a rate and an exhale:inhale ratio.

        Parameters
        ----------
        rate_bpm : float
            Breaths per minute, 1-30; the period is ``60 / rate_bpm`` seconds.
        ratio : float
            ``exhale_s / inhale_s`` of the breathing part (the period minus the holds), 0.2-5.
            For example 5 breaths/min with ratio 2 is 4 s in / 8 s out.
        hold_in_s, hold_out_s : float
            Holds in seconds, taken out of the period before it is split.

        Raises
        ------
        ValueError
            Rate or ratio out of range, or holds that leave no time to breathe.
        """
        rate = _check_number("rate_bpm", rate_bpm)
        ratio_f = _check_number("ratio", ratio)
        if not MIN_RATE_BPM <= rate <= MAX_RATE_BPM:
            raise ValueError(
                f"rate_bpm must be {MIN_RATE_BPM:g}-{MAX_RATE_BPM:g} breaths/min, got {rate:g}"
            )
        if not MIN_RATIO <= ratio_f <= MAX_RATIO:
            raise ValueError(
                f"exhale:inhale ratio must be {MIN_RATIO:g}-{MAX_RATIO:g}, got {ratio_f:g}"
            )
        hold_in = _check_number("hold_in_s", hold_in_s)
        hold_out = _check_number("hold_out_s", hold_out_s)
        period = 60.0 / rate
        breathing = period - hold_in - hold_out
        if breathing <= 0.0:
            raise ValueError(
                f"holds of {hold_in:g} s + {hold_out:g} s leave no time to breathe in a "
                f"{period:g} s cycle ({rate:g} breaths/min)"
            )
        inhale = breathing / (1.0 + ratio_f)
        # Exhale as the remainder, so the four phases add up to the period exactly.
        exhale = breathing - inhale
        return cls(inhale_s=inhale, exhale_s=exhale, hold_in_s=hold_in, hold_out_s=hold_out)

    def to_dict(self) -> dict[str, float]:
        """The pattern as a JSON-ready dict (durations in seconds), as stored in recordings."""
        return {
            "inhale_s": self.inhale_s,
            "exhale_s": self.exhale_s,
            "hold_in_s": self.hold_in_s,
            "hold_out_s": self.hold_out_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreathPattern:
        """Rebuild a pattern from :meth:`to_dict` output (e.g. read from a recording).

        Holds default to 0 when absent; unknown keys are ignored so a recording written by a
        newer version still loads.

        Raises
        ------
        ValueError
            ``data`` is not a mapping, lacks ``inhale_s``/``exhale_s``, holds a non-number, or
            describes an invalid pattern.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a breath pattern must be a mapping, got {type(data).__name__}")
        missing = [key for key in ("inhale_s", "exhale_s") if key not in data]
        if missing:
            raise ValueError(f"breath pattern lacks {', '.join(missing)}")
        values = {key: _check_number(key, data[key]) for key in _PATTERN_KEYS if key in data}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PacerState:
    """What the pacer shows at one instant.

    Attributes
    ----------
    phase : Phase
        Current phase.
    phase_elapsed_s, phase_left_s : float
        Seconds since the phase began and until it ends (frozen while paused).
    cycle_fraction : float
        Position in the cycle, 0 at an inhale onset growing towards 1 at the next one.
    fill : float
        Target lung fill, 0 (empty) to 1 (full): ``(1 - cos(pi * x)) / 2`` over the inhale and
        ``(1 + cos(pi * x)) / 2`` over the exhale, with ``x`` the fraction of the phase elapsed;
        1 during the hold after inhale, 0 during the hold after exhale. Continuous in time,
        with zero slope at every phase boundary.
    cycle_index : int
        Number of inhale onsets before this cycle since the pacer started (0 for the first).
    pattern : BreathPattern
        The pattern in force.
    paused : bool
        True while the pacer is paused.
    """

    phase: Phase
    phase_elapsed_s: float
    phase_left_s: float
    cycle_fraction: float
    fill: float
    cycle_index: int
    pattern: BreathPattern
    paused: bool


@dataclass(frozen=True, slots=True)
class PhaseCue:
    """A moment the pacer tells the person what to do next (:meth:`Pacer.phase_cues`).

    Attributes
    ----------
    t_s : float
        Session time, seconds.
    phase : Phase
        The phase to breathe from ``t_s`` on.
    left_s : float
        Seconds of that phase still to come at ``t_s``: its whole length when the cue is its
        start, what is left of it after a resume or a pace change in its middle.
    """

    t_s: float
    phase: Phase
    left_s: float


@dataclass(frozen=True, slots=True)
class _Segment:
    """A stretch of session time with one pattern and one running/paused state.

    Position within the cycle at ``start_s`` is ``offset_s`` seconds after the inhale onset of
    cycle ``cycle_index``; while running, it advances one second per second.
    """

    start_s: float
    pattern: BreathPattern
    cycle_index: int
    offset_s: float
    paused: bool


_SegmentFactory = Callable[[float, _Segment, int, float], _Segment]
"""Builds the segment for a change at ``at`` from the last segment and the position there."""


def _edges(pattern: BreathPattern) -> list[tuple[float, Phase, float]]:
    """Each phase of ``pattern`` that lasts: its offset from the inhale onset, the phase and
    its length (s), in playing order; a hold of 0 s is never played, so never announced."""
    return [
        (pattern.phase_start_s(phase), phase, pattern.duration_of(phase))
        for phase in Phase
        if pattern.duration_of(phase) > 0.0
    ]


def _fill(phase: Phase, fraction: float) -> float:
    """Raised-cosine target fill for ``fraction`` (0..1) of ``phase``."""
    if phase is Phase.INHALE:
        return 0.5 - 0.5 * math.cos(math.pi * fraction)
    if phase is Phase.EXHALE:
        return 0.5 + 0.5 * math.cos(math.pi * fraction)
    return 1.0 if phase is Phase.HOLD_IN else 0.0


def _phase_at(pattern: BreathPattern, pos_s: float) -> tuple[Phase, float, float]:
    """Phase, seconds elapsed in it, and its duration, at ``pos_s`` seconds into the cycle."""
    edge = pattern.inhale_s
    if pos_s < edge:
        return Phase.INHALE, pos_s, pattern.inhale_s
    if pos_s < edge + pattern.hold_in_s:
        return Phase.HOLD_IN, pos_s - edge, pattern.hold_in_s
    edge += pattern.hold_in_s
    if pos_s < edge + pattern.exhale_s:
        return Phase.EXHALE, pos_s - edge, pattern.exhale_s
    edge += pattern.exhale_s
    # A zero-length hold_out never reaches here: pos_s < period_s by construction.
    return Phase.HOLD_OUT, pos_s - edge, pattern.hold_out_s


class Pacer:
    """A breathing pacer driven by session time.

    The pacer starts at an inhale onset at ``start_s``. Changes (pattern, pause, resume) must be
    made in time order; each opens a new segment, and ``state(t_s)`` depends only on ``t_s`` and
    the changes made at times ``<= t_s``, so the past can be queried again at any time (replay,
    scoring of breaths detected late). Before ``start_s`` the pacer waits at the start of the
    first inhale.

    A lookup is a binary search over the segments plus a few float operations, cheap enough to
    be called per UI frame and per packet.

    Parameters
    ----------
    pattern : BreathPattern
        Initial pattern.
    start_s : float
        Session time of the first inhale onset, in seconds.
    """

    __slots__ = ("_segments", "_starts")

    def __init__(self, pattern: BreathPattern, *, start_s: float = 0.0) -> None:
        start = _check_number("start_s", start_s)
        self._segments: list[_Segment] = [
            _Segment(start_s=start, pattern=pattern, cycle_index=0, offset_s=0.0, paused=False)
        ]
        self._starts: list[float] = [start]

    @property
    def start_s(self) -> float:
        """Session time of the first inhale onset, in seconds."""
        return self._starts[0]

    @property
    def paused(self) -> bool:
        """Whether the latest change left the pacer paused."""
        return self._segments[-1].paused

    # -- changes ---------------------------------------------------------------------------

    def _position(self, seg: _Segment, t_s: float) -> tuple[int, float]:
        """Cycle index and seconds into the cycle at ``t_s`` within ``seg``."""
        if seg.paused or t_s <= seg.start_s:
            return seg.cycle_index, seg.offset_s
        period = seg.pattern.period_s
        cycles, pos = divmod(seg.offset_s + (t_s - seg.start_s), period)
        if pos >= period * (1.0 - _ONSET_TOL_CYCLES):
            # On the next inhale onset but for rounding (divmod can land exactly on the period).
            cycles, pos = cycles + 1.0, 0.0
        elif pos <= period * _ONSET_TOL_CYCLES:
            # On this cycle's onset but for rounding: a change made there (a program's step of
            # whole cycles) must start its segment on the onset, or the onset is lost between
            # the two segments and the breath taken on it is timed against one a period away
            # (without this, 1.15e-14 s past it, the breath scored 0 for a 0.42 s lag).
            pos = 0.0
        return seg.cycle_index + int(cycles), pos

    def _append(self, at_s: float, make: _SegmentFactory) -> None:
        at = _check_number("at_s", at_s)
        last = self._segments[-1]
        if at < last.start_s:
            raise ValueError(
                f"pacer changes must be made in time order: {at:g} s is before the last "
                f"change at {last.start_s:g} s"
            )
        cycle, pos = self._position(last, at)
        segment = make(at, last, cycle, pos)
        if at == last.start_s:
            # Two changes at one instant: the later one wins, so lookups stay unambiguous.
            self._segments[-1] = segment
        else:
            self._segments.append(segment)
            self._starts.append(at)

    def set_pattern(self, pattern: BreathPattern, at_s: float) -> None:
        """Switch to ``pattern`` at session time ``at_s`` (seconds), keeping the phase.

        The current phase and the fraction of it already elapsed are carried over to the new
        pattern, so ``fill`` is continuous. If that phase is a hold the new pattern lacks, the
        pacer continues from the hold's edge (the end of the inhale, or the next inhale onset),
        where the fill is the same.

        Raises
        ------
        ValueError
            ``at_s`` is earlier than the last change.
        """

        def make(at: float, last: _Segment, cycle: int, pos: float) -> _Segment:
            phase, elapsed, duration = _phase_at(last.pattern, pos)
            fraction = elapsed / duration if duration > 0.0 else 0.0
            new_duration = pattern.duration_of(phase)
            new_pos = pattern.phase_start_s(phase) + fraction * new_duration
            if new_pos >= pattern.period_s:
                # Mid hold_out mapped onto a pattern with no hold_out: begin the next cycle.
                cycle, new_pos = cycle + 1, 0.0
            return _Segment(at, pattern, cycle, new_pos, last.paused)

        self._append(at_s, make)

    def pause(self, at_s: float) -> None:
        """Freeze the pacer at session time ``at_s`` (seconds). Pausing twice is harmless."""

        def make(at: float, last: _Segment, cycle: int, pos: float) -> _Segment:
            return _Segment(at, last.pattern, cycle, pos, True)

        if not self.paused:
            self._append(at_s, make)

    def resume(self, at_s: float) -> None:
        """Continue from where the pacer was paused, at session time ``at_s`` (seconds)."""

        def make(at: float, last: _Segment, cycle: int, pos: float) -> _Segment:
            return _Segment(at, last.pattern, cycle, pos, False)

        if self.paused:
            self._append(at_s, make)

    # -- queries ---------------------------------------------------------------------------

    def _segment_at(self, t_s: float) -> _Segment:
        index = bisect_right(self._starts, t_s) - 1
        return self._segments[max(index, 0)]

    def pattern_at(self, t_s: float) -> BreathPattern:
        """The pattern in force at session time ``t_s`` (the first pattern before the start)."""
        return self._segment_at(t_s).pattern

    def state(self, t_s: float) -> PacerState:
        """The pacer at session time ``t_s`` (seconds).

        Before ``start_s`` this is the state at ``start_s`` (start of the first inhale).
        """
        seg = self._segment_at(t_s)
        cycle, pos = self._position(seg, t_s)
        pattern = seg.pattern
        phase, elapsed, duration = _phase_at(pattern, pos)
        return PacerState(
            phase=phase,
            phase_elapsed_s=elapsed,
            phase_left_s=duration - elapsed,
            cycle_fraction=pos / pattern.period_s,
            fill=_fill(phase, elapsed / duration),
            cycle_index=cycle,
            pattern=pattern,
            paused=seg.paused,
        )

    def inhale_onsets(self, t0_s: float, t1_s: float) -> list[float]:
        """Session times (seconds) of pacer inhale onsets in ``[t0_s, t1_s]``, ascending.

        An onset is a moment the pacer starts an inhale moving: the start, every completed
        cycle while running, and a resume or pattern change that lands on an inhale start.
        Paused stretches have none.
        """
        onsets: list[float] = []
        if t1_s < t0_s:
            return onsets
        first = max(bisect_right(self._starts, t0_s) - 1, 0)
        for i in range(first, len(self._segments)):
            seg = self._segments[i]
            if seg.start_s > t1_s:
                break
            if seg.paused:
                continue
            end = self._starts[i + 1] if i + 1 < len(self._segments) else math.inf
            lo = max(t0_s, seg.start_s)
            hi = min(t1_s, end)
            period = seg.pattern.period_s
            # Onset k of this segment is at start + k * period - offset (k >= 0 when offset == 0,
            # k >= 1 otherwise); its end is exclusive because the next segment owns that instant.
            k = math.ceil((lo - seg.start_s + seg.offset_s) / period - _ONSET_TOL_CYCLES)
            k = max(k, 0 if seg.offset_s == 0.0 else 1)
            while True:
                onset = seg.start_s + k * period - seg.offset_s
                if onset >= end or onset > hi + _ONSET_TOL_CYCLES * period:
                    break
                onsets.append(min(max(onset, t0_s), t1_s))
                k += 1
        return onsets

    def phase_cues(self, after_s: float) -> Iterator[PhaseCue]:
        """The pacer's cues later than session time ``after_s`` (seconds), in time order.

        A cue is each start of a phase while the pacer runs, and the moment a change that the
        person must hear of lands inside a phase: a resume, or a new pattern that retimes the
        phase (its ``left_s`` is then what is left of it). A change that keeps the pattern and
        the running state (the same pace set again) tells nothing new and makes no cue; a paused
        stretch has none. Endless while the latest change leaves the pacer running.

        The cues depend only on the changes made so far; a later change can alter those after
        it, so a caller that says them as time passes asks again after each change.

        Examples
        --------
        >>> from itertools import islice
        >>> pacer = Pacer(BreathPattern(inhale_s=4.0, exhale_s=6.0))
        >>> pacer.pause(6.0)
        >>> pacer.resume(20.0)
        >>> [(c.t_s, c.phase.value, c.left_s) for c in islice(pacer.phase_cues(-1.0), 4)]
        [(0.0, 'inhale', 4.0), (4.0, 'exhale', 6.0), (20.0, 'exhale', 4.0), (24.0, 'inhale', 4.0)]
        """
        first = max(bisect_right(self._starts, after_s) - 1, 0)
        for i in range(first, len(self._segments)):
            end = self._starts[i + 1] if i + 1 < len(self._segments) else math.inf
            for cue in self._segment_cues(i):
                if cue.t_s > end - _EDGE_TOL_S:
                    # The next segment's: an edge a rounding error before a change that lands
                    # on it is that change's to say (with its new length), not said twice.
                    break
                if cue.t_s > after_s:
                    yield cue

    def _segment_cues(self, index: int) -> Iterator[PhaseCue]:
        """Segment ``index``'s cues from its start on, unbounded (the caller stops at its end)."""
        seg = self._segments[index]
        if seg.paused:
            return
        pattern = seg.pattern
        period = pattern.period_s
        edges = _edges(pattern)
        pos = seg.offset_s
        # The first edge at or after the segment's position; one a rounding error away from
        # it is the segment's own start.
        nxt = next((j for j, (edge, _, _) in enumerate(edges) if edge >= pos - _EDGE_TOL_S), None)
        onset_s = seg.start_s - pos  # session time of this cycle's inhale onset
        # Cycles counted, not summed, so that an edge hours on is as exact as the first.
        cycle = 0
        if nxt is None:
            nxt, cycle = 0, 1
        edge_s = onset_s + cycle * period + edges[nxt][0]
        if edge_s - seg.start_s > _EDGE_TOL_S:
            # The segment starts inside a phase: said when the change is news to the person.
            before = self._segments[index - 1] if index > 0 else None
            if before is not None and (before.paused or before.pattern != pattern):
                phase, elapsed, duration = _phase_at(pattern, pos)
                yield PhaseCue(seg.start_s, phase, duration - elapsed)
        else:
            edge_s = seg.start_s
        while True:
            _, phase, duration = edges[nxt]
            yield PhaseCue(edge_s, phase, duration)
            nxt += 1
            if nxt == len(edges):
                nxt, cycle = 0, cycle + 1
            edge_s = onset_s + cycle * period + edges[nxt][0]

    def steady_rate_bpm(self, t0_s: float, t1_s: float) -> float | None:
        """The pacer's rate (breaths/min) if it ran, unpaused, at that one rate over all of
        ``[t0_s, t1_s]`` (session seconds), else ``None``.

        A pattern change that keeps the rate (a new ratio) does not break the span; a pause, a
        new rate, or the span reaching back before the start does. An estimate that averages
        over a window (the heart rhythm's 64 s) can only be compared with a target that held
        over all of it.
        """
        if t0_s < self._starts[0] or t1_s < t0_s:
            return None
        first = bisect_right(self._starts, t0_s) - 1
        last = bisect_right(self._starts, t1_s) - 1
        segments = self._segments[first : last + 1]
        rate = segments[0].pattern.rate_bpm
        if any(s.paused or s.pattern.rate_bpm != rate for s in segments):
            return None
        return rate

    def guide_at(self, t_s: float) -> GuideState | None:
        """The target for a simulated person (:class:`devices.guide.BreathingGuide`).

        ``None`` ("breathe your own rhythm") before the start and while paused.
        """
        seg = self._segment_at(t_s)
        if seg.paused or t_s < self._starts[0]:
            return None
        _, pos = self._position(seg, t_s)
        pattern = seg.pattern
        return GuideState(
            inhale_s=pattern.inhale_s,
            hold_in_s=pattern.hold_in_s,
            exhale_s=pattern.exhale_s,
            hold_out_s=pattern.hold_out_s,
            cycle_fraction=pos / pattern.period_s,
        )
