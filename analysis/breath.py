"""Breath-by-breath detection from a respiration belt (or any chest-expansion signal).

The signal rises during inhale and falls during exhale (physiology.md, "Breath phases"). Each
breath runs from one inhale onset to the next and is timed in three phases: inhale (including
any hold at the top), exhale, and the post-exhale pause.

Method
------
1. **Causal low-pass** for detection: 2nd-order Butterworth at ``cutoff_hz`` (1 Hz), state kept
   in :class:`analysis.filters.StreamingSOS` (primed with the first sample, so a force offset
   does not ring). No high-pass: any high-pass edge near the breathing band reshapes slow
   breaths (NeuroKit2's ``khodadad2018`` band starts at 0.05 Hz, biosppy's at 0.1 Hz, i.e. 6
   breaths/min); slow drift is handled by the relative thresholds below instead.
2. **Hysteresis turning points** (E. Billauer, "peakdet", http://billauer.co.il/peakdet.html):
   a peak is confirmed once the filtered signal has fallen ``delta`` below its running maximum,
   a trough once it has risen ``delta`` above its running minimum, with ``delta = rel_delta x
   median(depth of the last n_depths breaths)``, floored at ``min_delta`` (and at 1e-9 of the
   signal level, so rounding noise of a flat signal is no swing). Before the first breath the
   reference is the larger of the current and the previous swing.
3. **Stalls.** If no turning point is confirmed for three typical breath periods (at most
   ``stall_s``), the reference halves (not below 1/16 of the deepest recent breath, so a held
   breath or a belt at rest does not turn sensor noise into breaths) and the samples since the
   last turning point are stepped through again with the smaller hysteresis: after a sudden
   drop in depth the shallow breaths are found where they happened, and emitted at the stall.
4. **Plausibility.** A trough less than ``min_breath_s`` after the breath's start trough (over
   40 breaths/min) is a wiggle: the lower trough is kept and the extremum between dropped
   (such a merged breath is ``"uncertain"``). Before the first breath, a "breath" that rises
   less than half as much as it falls is noise ahead of the first inhale and is skipped.
5. **Onsets refined on the raw signal.** Once a turning point is confirmed, the raw samples
   around it are in the buffer, so the refinement can be centred (no delay): they are smoothed
   by a local quadratic (Savitzky-Golay) fit, a third of the time the signal took to move away
   from the extremum but at most a tenth of the phase before it (0.1-1.5 s each side), and the
   extremum level is that fit's maximum or minimum. The phase boundaries come from quadratic
   extrapolation of two level crossings: near a rounded corner (flow starting from zero, as in
   a sinusoidal breath) the signal leaves its plateau as ``a (t - t0)^2``; with crossings of
   ``f`` and ``4 f`` of the depth at ``t1`` and ``t2``, ``t0 = t1 - k (t2 - t1)`` with
   ``k = acos(1 - 2 f) / (acos(1 - 8 f) - acos(1 - 2 f))`` (0.947 for ``f = onset_fraction =
   5 %``): exact for a raised-cosine volume curve, and 1 for a pure parabola. So:

   * inhale onset: from the last upward crossings of the trough level ``+ f`` and ``+ 4 f``
     before the trough is confirmed (a post-exhale pause stays a pause);
   * exhale onset: from the last downward crossings of the peak level ``- f`` / ``- 4 f`` (a
     hold at the top counts as inhale, as :class:`Breath` defines it);
   * pause start: from the first downward crossings of the trough level ``+ 4 f`` / ``+ f``
     after the peak, extrapolated forward.

   ``f`` is a fraction of the current swing, at most the median recent depth, and kept below
   how far the signal has come back when the turning point is confirmed. An uneven valley or
   top (a bump in a pause) is handled by taking the levels from the last valley before the
   rise (the first one after the fall, for the pause start), and where the signal at the
   extrapolated point is not on the floor, by the last (first) sample within ``f / 2`` of it.
   The plain rule "last sample within 5 % of the trough" would be late by 14 % of the phase
   for a sinusoidal breath (0.7 s for a 5 s inhale); on noise-free raised-cosine breaths the
   refined times are within 0.02 s from 3 to 30 breaths/min. Sensor noise and drift tilt the
   levels at slow corners (see the tests for the measured errors).
6. **Filter latency.** The low-pass's group delay at 0.1 Hz (:func:`analysis.filters.
   group_delay_s`, 0.22-0.23 s for 1 Hz, flat within a few ms up to 0.3 Hz) maps each filtered
   turning point to where its raw counterpart is searched; the refined times themselves come
   from the centred fit and need no delay correction.
7. **Quality.** ``"artifact"`` if the depth is below ``artifact_low`` (0.25x) or above
   ``artifact_high`` (4x) the median depth of the previous ``n_depths`` breaths; ``"uncertain"``
   for the first breath (nothing to compare with), a merged breath, a breath whose rise and
   fall differ by more than half (strong drift, a cut-short breath) or whose phases had to be
   clamped into order; otherwise ``"good"``.

Streaming and batch are one code path: :func:`detect_breaths` feeds one :class:`BreathTracker`
the whole array. Every decision depends on sample values and sample indices only, never on
where a chunk ends, so any chunking gives the same breaths (tested with random chunkings).

Speed: filtering and the turning-point candidates (sign changes of the first difference) are
vectorised; the Python loop visits only candidates and chunk ends, between which the filtered
signal is monotone, so each hysteresis condition is checked at a segment's end and located
inside it by one binary search when it fires. Refinement costs a few dozen array operations
per breath (about 0.1 ms), whatever the sampling rate.
"""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.filters import StreamingSOS, group_delay_s, lowpass_sos

__all__ = ["Breath", "BreathTracker", "detect_breaths"]

FloatArray = NDArray[np.float64]

_SEEK_ANY = 0
_SEEK_PEAK = 1
_SEEK_TROUGH = 2

_DELAY_REF_HZ = 0.1
"""Frequency (Hz) at which the low-pass group delay is taken: 6 breaths/min, mid-band."""

_ONSET_LEVEL_RATIO = 4.0
"""Second onset level as a multiple of the first. With 4, a parabola's back-extrapolation
``t1 - (t2 - t1) sqrt(f) / (sqrt(4 f) - sqrt(f))`` is simply ``2 t1 - t2``."""

_LEVEL_HEADROOM = 1.2
"""The larger onset level is kept this many times below how far the signal has come back from
the extremum when the extremum is confirmed, so that both level crossings lie in the data."""

_SMALL_CHUNK = 16
"""Chunks up to this many samples are stepped sample by sample (cheaper than array setup)."""

_ASYMMETRY_LIMIT = 0.5
"""A breath whose rise and fall differ by more than this fraction of the larger is uncertain."""


@dataclass(frozen=True, slots=True)
class Breath:
    """One breath, from its inhale onset to the next inhale onset.

    All times are on the input's clock (``t0_s + i / fs_hz`` for sample ``i``) and refer to the
    input signal itself (no filter delay in them).

    Attributes
    ----------
    inhale_onset_s : float
        The signal starts rising (end of any post-exhale pause), s.
    exhale_onset_s : float
        The signal starts falling (end of any hold at the top), s.
    end_s : float
        The next breath's inhale onset, s.
    inhale_s : float
        ``exhale_onset_s - inhale_onset_s``, s (a hold at the top counts as inhale).
    exhale_s : float
        From exhale onset to the start of the post-exhale pause, s.
    pause_s : float
        Post-exhale pause, ``end_s`` minus the pause start, s, >= 0.
    ratio : float
        ``exhale_s / inhale_s`` (``inf`` only if the inhale had to be clamped to zero).
    depth : float
        Peak minus trough, in input signal units; the trough level is the mean of the two
        troughs bracketing the breath, which cancels a linear drift.
    rate_bpm : float
        ``60 / (end_s - inhale_onset_s)``, breaths per minute.
    quality : str
        ``"good"``, ``"uncertain"`` (irregular shape, first breath, merged wiggle) or
        ``"artifact"`` (depth below 0.25x or above 4x the recent median).
    detected_s : float
        Time of the sample at which the detector emitted this breath, s (no delay correction:
        this is when the breath became known).
    """

    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float
    inhale_s: float
    exhale_s: float
    pause_s: float
    ratio: float
    depth: float
    rate_bpm: float
    quality: str
    detected_s: float


@dataclass(frozen=True, slots=True)
class _Trough:
    """A confirmed trough that starts a breath."""

    idx: int
    level: float
    """Trough level: minimum of the locally smoothed raw signal, input units."""
    onset: float
    """Refined inhale onset, as a fractional sample index."""
    pause_start: float
    """Refined start of the pause before it, as a fractional sample index."""
    raw_idx: int
    """Where the smoothed raw signal has its minimum, sample index."""


@dataclass(frozen=True, slots=True)
class _Peak:
    """A confirmed peak."""

    idx: int
    level: float
    """Peak level: maximum of the locally smoothed raw signal, input units."""
    onset: float
    """Refined exhale onset, as a fractional sample index."""
    raw_idx: int
    """Where the smoothed raw signal has its maximum, sample index."""


class BreathTracker:
    """Streaming breath detector for a belt signal: samples in, completed breaths out.

    Parameters
    ----------
    fs_hz : float
        Sampling rate, Hz (must exceed ``2 * cutoff_hz``).
    t0_s : float
        Time of the first sample, s; sample ``i`` is at ``t0_s + i / fs_hz``.
    cutoff_hz : float
        Low-pass cutoff, Hz. 1 Hz passes the shape of breaths up to 30/min (0.5 Hz fundamental)
        and removes most of the cardiac and sensor noise.
    rel_delta : float
        Hysteresis as a fraction of the reference (median recent) depth. A swing must exceed it
        to count, so it must be larger than the noise and below the shallowest breath to keep
        (0.3: breaths down to ~0.3x the recent depth are still found).
    min_delta : float
        Floor of the hysteresis, in input units (default 0: no floor, the detector is
        scale-free). Set it to a few times the sensor noise to ignore a loosened belt.
    n_depths : int
        Number of recent breath depths whose median is the reference depth.
    onset_fraction : float
        Onset level ``f`` as a fraction of the depth, in (0, 0.1] (module notes, step 5): the
        lower, the closer to the corner and the more sensitive to noise.
    min_breath_s : float
        Shortest plausible breath, s (1.5 s is 40 breaths/min); shorter cycles are merged.
    stall_s : float
        Longest wait, s, for a turning point before the reference depth halves (the wait is
        three typical breath periods when shorter). It must exceed the longest half breath
        expected: 15 s for a 1:3 breath at 3 breaths/min.
    history_s : float
        Longest stretch of signal, s, that refinement and the second look after a stall reach
        back over; it bounds memory (to about three times this) and the longest breath timed
        in full.
    artifact_low, artifact_high : float
        Depth limits relative to the recent median, below / above which a breath is an
        ``"artifact"``.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Notes
    -----
    The method (and its references) is described in the module docstring. Typical detection
    latency, from a breath's end (the next inhale onset) to its emission, is the filter delay
    (~0.23 s) plus the time the next inhale takes to rise by ``rel_delta`` of the depth (~37 %
    of the inhale for a sinusoidal rise): about 1 s at 15 breaths/min, 2 s at 6 breaths/min;
    :attr:`latency_s` reports the measured median.
    """

    def __init__(
        self,
        fs_hz: float,
        *,
        t0_s: float = 0.0,
        cutoff_hz: float = 1.0,
        rel_delta: float = 0.3,
        min_delta: float = 0.0,
        n_depths: int = 5,
        onset_fraction: float = 0.05,
        min_breath_s: float = 1.5,
        stall_s: float = 25.0,
        history_s: float = 60.0,
        artifact_low: float = 0.25,
        artifact_high: float = 4.0,
    ) -> None:
        if not math.isfinite(t0_s):
            raise ValueError(f"t0_s must be finite, got {t0_s!r}")
        if not 0.0 < rel_delta < 1.0:
            raise ValueError(f"rel_delta must lie in (0, 1), got {rel_delta!r}")
        if not (math.isfinite(min_delta) and min_delta >= 0.0):
            raise ValueError(f"min_delta must be finite and >= 0, got {min_delta!r}")
        if n_depths < 1:
            raise ValueError(f"n_depths must be >= 1, got {n_depths}")
        if not 0.0 < onset_fraction <= 0.1:
            raise ValueError(f"onset_fraction must lie in (0, 0.1], got {onset_fraction!r}")
        if not min_breath_s > 0.0:
            raise ValueError(f"min_breath_s must be positive, got {min_breath_s!r}")
        if not stall_s > min_breath_s:
            raise ValueError(f"stall_s must exceed min_breath_s, got {stall_s!r}")
        if not history_s >= stall_s:
            raise ValueError(f"history_s must be >= stall_s, got {history_s!r}")
        if not 0.0 < artifact_low < 1.0 < artifact_high:
            raise ValueError("need 0 < artifact_low < 1 < artifact_high")
        sos = lowpass_sos(cutoff_hz, fs_hz, 2)  # validates fs_hz and cutoff_hz
        self._fs_hz = float(fs_hz)
        self._t0_s = float(t0_s)
        self._rel_delta = float(rel_delta)
        self._min_delta = float(min_delta)
        # Hysteresis floor: min_delta, and at least 1e-9 of the signal's initial level (set
        # with the first sample) so that rounding noise of a flat signal is never a swing.
        self._floor = self._min_delta
        self._f_onset = float(onset_fraction)
        self._min_breath_n = max(1, math.ceil(min_breath_s * fs_hz))
        self._stall_n = max(2, math.ceil(stall_s * fs_hz))
        self._history_n = max(self._stall_n, math.ceil(history_s * fs_hz))
        self._artifact_low = float(artifact_low)
        self._artifact_high = float(artifact_high)
        self._delay_s = group_delay_s(sos, fs_hz, _DELAY_REF_HZ)
        # Back-extrapolation factor from the f and 4f crossings (see the module notes).
        self._k_onset = math.acos(1.0 - 2.0 * onset_fraction) / (
            math.acos(1.0 - 2.0 * _ONSET_LEVEL_RATIO * onset_fraction)
            - math.acos(1.0 - 2.0 * onset_fraction)
        )
        self._delay_n = round(self._delay_s * fs_hz)
        self._min_half = max(2, round(0.1 * fs_hz))
        self._max_half = max(self._min_half, round(1.5 * fs_hz))
        # How far before a filtered peak its raw counterpart may lie: the filter delay, the
        # smoothing half-width, and a margin for the extra delay of fast breaths.
        self._margin = round(0.25 * fs_hz)
        self._lead = self._delay_n + self._max_half + self._margin
        self._filter = StreamingSOS(sos)

        # Filtered (_buf) and raw (_raw) samples kept for refinement, in arrays with spare room
        # at the end: _buf_len samples are valid and index 0 is absolute sample _buf_start.
        self._buf: FloatArray = np.empty(0, dtype=np.float64)
        self._raw: FloatArray = np.empty(0, dtype=np.float64)
        self._buf_start = 0
        self._buf_len = 0
        self._n = 0  # samples consumed so far
        self._pos = -1  # last sample whose hysteresis step has been applied
        self._last_y = 0.0  # last filtered sample

        self._mode = _SEEK_ANY
        self._hi = -math.inf
        self._hi_idx = 0
        self._lo = math.inf
        self._lo_idx = 0
        self._last_ext = 0.0  # filtered value of the last confirmed extremum
        self._prev_swing = 0.0  # between the last two confirmed extrema, input units
        self._periods: deque[int] = deque(maxlen=n_depths)  # recent breath periods, samples
        self._stall_eff = self._stall_n
        # Depths that set the hysteresis (reseeded with half the reference at a stall), and the
        # depths of the last breaths as they were (the yardstick for the quality labels).
        self._depths: deque[float] = deque(maxlen=n_depths)
        self._ref_depth = 0.0  # median of _depths when it is not empty
        self._recent_depths: deque[float] = deque(maxlen=n_depths)
        self._stalled = False  # a stall happened since the last breath was emitted
        self._last_conf = 0  # sample that confirmed the last turning point
        self._emit_at = -1  # while re-stepping after a stall: the stall sample (emission time)
        self._typical: float | None = None  # median of _recent_depths
        self._stall_at = self._stall_n - 1

        self._start: _Trough | None = None
        self._peak: _Peak | None = None
        self._merged = False
        self._latencies: deque[float] = deque(maxlen=9)

    # ----------------------------------------------------------------------------- public API

    @property
    def fs_hz(self) -> float:
        """Sampling rate, Hz."""
        return self._fs_hz

    @property
    def delay_s(self) -> float:
        """Group delay of the detection low-pass at 0.1 Hz, s (where raw extrema are sought)."""
        return self._delay_s

    @property
    def latency_s(self) -> float:
        """Typical detection latency, s: from a breath's ``end_s`` to its ``detected_s``.

        The median over the last 9 breaths; before the first breath, a prior of the filter
        delay plus 1 s (37 % of a 2.7 s inhale, the rise that confirms a trough at 15/min).
        """
        if not self._latencies:
            return self._delay_s + 1.0
        return _median(self._latencies)

    @property
    def samples_seen(self) -> int:
        """Number of samples consumed so far."""
        return self._n

    def update(self, x: ArrayLike) -> list[Breath]:
        """Consume the next samples of the belt signal; return the breaths completed by them.

        Parameters
        ----------
        x : array_like, shape (n,)
            The next ``n`` samples (``n`` may be 0), in order, any units; finite.

        Returns
        -------
        list of Breath
            Breaths whose end (the next inhale onset) was confirmed within these samples, in
            order.

        Raises
        ------
        ValueError
            If ``x`` is not one-dimensional or holds a non-finite value.
        """
        samples = np.asarray(x, dtype=np.float64)
        if samples.ndim != 1:
            raise ValueError(f"x must be one-dimensional, got shape {samples.shape}")
        n = samples.size
        if n == 0:
            return []
        if not np.isfinite(samples).all():
            raise ValueError("belt samples must be finite (split the stream at gaps instead)")
        y = self._filter.process(samples)
        base = self._n
        if base == 0:
            self._floor = max(self._min_delta, 1e-9 * abs(float(y[0])))
        prev = float(y[0]) if base == 0 else self._last_y
        self._append(y, samples)
        self._n += n
        self._last_y = float(y[-1])

        out: list[Breath] = []
        if n <= _SMALL_CHUNK:
            # A check point at every sample is always valid and, for a few samples, cheaper
            # than finding the turning points with array operations.
            for k, v in enumerate(y.tolist(), start=base):
                self._advance(k, v, out)
            return out
        turning = _turning_points(y, prev)
        for k, v in zip((turning + base).tolist(), y[turning].tolist(), strict=True):
            self._advance(k, v, out)
        self._advance(base + n - 1, float(y[-1]), out)
        return out

    # ------------------------------------------------------------------------ hysteresis core

    def _value(self, idx: int) -> float:
        return float(self._buf[idx - self._buf_start])

    def _threshold(self, hi: float, lo: float) -> float:
        """``delta``: how far, input units, the signal must move back from the running extreme
        to confirm it, given the running extremes including the current sample (module notes,
        step 2). :meth:`_fire_inside` repeats this arithmetic on arrays.
        """
        if self._depths:
            return max(self._rel_delta * self._ref_depth, self._floor)
        return max(self._rel_delta * self._swing(hi, lo), self._floor)

    def _swing(self, hi: float, lo: float) -> float:
        """Before the first breath: the larger of the current and the previous swing."""
        if self._mode == _SEEK_PEAK:
            return max(hi - self._last_ext, self._prev_swing)
        if self._mode == _SEEK_TROUGH:
            return max(self._last_ext - lo, self._prev_swing)
        return hi - lo

    def _scale(self) -> float:
        """Depth the onset fractions refer to: the current swing, at most a typical depth.

        The typical depth is the median of the last breaths as measured, not the hysteresis
        reference (which a stall may have shrunk); before the first breath, the swing so far.
        """
        if self._mode == _SEEK_PEAK:
            cur = self._hi - self._last_ext
        elif self._mode == _SEEK_TROUGH:
            cur = self._last_ext - self._lo
        else:
            cur = self._hi - self._lo
        typical = self._swing(self._hi, self._lo) if self._typical is None else self._typical
        return min(typical, cur)

    def _reference(self) -> float:
        """Reference depth for onset levels and stalls: median depth, or the swing so far."""
        if self._depths:
            return self._ref_depth
        return self._swing(self._hi, self._lo)

    def _advance(self, target: int, v: float, out: list[Breath]) -> None:
        """Apply the hysteresis step to every sample up to ``target`` (a check point)."""
        while self._pos < target:
            stall = self._stall_at
            if self._pos < stall < target:
                self._segment(stall, self._value(stall), out)
            elif stall == self._pos:
                self._apply_stall(out)
                # A smaller delta may fire on the very next sample even inside a segment whose
                # far end would not, so check that sample on its own.
                nxt = self._pos + 1
                self._segment(nxt, self._value(nxt), out)
            else:
                self._segment(target, v, out)

    def _apply_stall(self, out: list[Breath]) -> None:
        """No turning point for a while: halve the reference and look at the wait again.

        The reference does not go below 1/16 of the deepest recent breath: four stalls follow
        a tenfold drop in depth, while a belt at rest (or a held breath) does not end up
        counting sensor noise as breaths. When it did shrink, the samples since the last
        turning point are stepped through again with the smaller hysteresis, so that the
        shallow breaths that caused the stall are found where they happened (and emitted now).
        """
        stall = self._pos
        ref = self._reference()
        half = 0.5 * ref
        if self._recent_depths:
            half = max(half, min(ref, max(self._recent_depths) / 16.0))
        self._depths.clear()
        self._depths.append(half)
        self._ref_depth = half
        self._stalled = True
        self._stall_at += self._stall_eff
        start = max(self._last_conf, stall + 1 - self._history_n)
        if half >= ref or self._mode == _SEEK_ANY or start >= stall:
            return
        v0 = self._value(start)
        self._pos = start
        if self._mode == _SEEK_PEAK:
            self._hi, self._hi_idx = v0, start
        else:
            self._lo, self._lo_idx = v0, start
        emit_at = self._emit_at
        self._emit_at = max(emit_at, stall)
        y = self._window(start + 1, stall)
        turning = _turning_points(y, v0)
        for k, v in zip((turning + start + 1).tolist(), y[turning].tolist(), strict=True):
            self._advance(k, v, out)
        self._advance(stall, float(y[-1]), out)
        self._emit_at = emit_at

    def _segment(self, k: int, v: float, out: list[Breath]) -> None:
        """Step through samples ``(pos, k]``, over which the signal is monotone.

        Each hysteresis condition is monotone along such a segment once it is false at its
        start, so checking the segment's end decides whether it fires inside, and one
        vectorised search finds the first sample where it does.
        """
        while self._pos < k:
            mode = self._mode
            hi = v if v >= self._hi else self._hi
            lo = v if v <= self._lo else self._lo
            delta = self._threshold(hi, lo)
            fire_peak = mode != _SEEK_TROUGH and v < hi - delta
            fire_trough = mode != _SEEK_PEAK and v > lo + delta
            if not (fire_peak or fire_trough):
                if mode != _SEEK_TROUGH and v >= self._hi:
                    self._hi, self._hi_idx = v, k
                if mode != _SEEK_PEAK and v <= self._lo:
                    self._lo, self._lo_idx = v, k
                self._pos = k
                return
            self._fire_inside(k, out)

    def _fire_inside(self, k: int, out: list[Breath]) -> None:
        """Find the first sample in ``(pos, k]`` where a condition holds and handle its event."""
        a = self._pos + 1
        seg = self._buf[a - self._buf_start : k + 1 - self._buf_start]
        mode = self._mode
        if mode != _SEEK_ANY and seg.size > 1:
            # The common case: a segment running away from the running extreme (it fired, and
            # segments are monotone), so the extreme and the threshold are fixed and the first
            # firing sample is a binary search away.
            if mode == _SEEK_PEAK and seg[0] < self._hi and seg[0] >= seg[-1]:
                thr = self._threshold(self._hi, self._lo)
                j = int(np.searchsorted(-seg, thr - self._hi, side="right"))
                if j < seg.size:
                    self._fire_at(a + j, float(seg[j]), True, out)
                    return
            if mode == _SEEK_TROUGH and seg[0] > self._lo and seg[0] <= seg[-1]:
                thr = self._threshold(self._hi, self._lo)
                j = int(np.searchsorted(seg, self._lo + thr, side="right"))
                if j < seg.size:
                    self._fire_at(a + j, float(seg[j]), False, out)
                    return
        run_hi = np.maximum(np.maximum.accumulate(seg), self._hi)
        run_lo = np.minimum(np.minimum.accumulate(seg), self._lo)
        # The arithmetic of _threshold, sample by sample.
        delta: FloatArray | float
        if self._depths:
            delta = max(self._rel_delta * self._ref_depth, self._floor)
        elif mode == _SEEK_PEAK:
            swing = np.maximum(run_hi - self._last_ext, self._prev_swing)
            delta = np.maximum(self._rel_delta * swing, self._floor)
        elif mode == _SEEK_TROUGH:
            swing = np.maximum(self._last_ext - run_lo, self._prev_swing)
            delta = np.maximum(self._rel_delta * swing, self._floor)
        else:
            delta = np.maximum(self._rel_delta * (run_hi - run_lo), self._floor)
        fires = np.zeros(seg.size, dtype=bool)
        if mode != _SEEK_TROUGH:
            fires |= seg < run_hi - delta
        if mode != _SEEK_PEAK:
            fires |= seg > run_lo + delta
        hits = np.flatnonzero(fires)
        # The end of the segment fired (the caller checked it with the same arithmetic), so
        # hits is never empty; fall back to the end rather than trust that blindly.
        j = int(hits[0]) if hits.size else seg.size - 1
        # Samples before the event extend the running extremes (ties move the index forward:
        # the same rule as the fast path, which only sees the last sample of a flat run).
        if mode != _SEEK_TROUGH and j > 0:
            m = int(j - 1 - np.argmax(seg[j - 1 :: -1]))
            if seg[m] >= self._hi:
                self._hi, self._hi_idx = float(seg[m]), a + m
        if mode != _SEEK_PEAK and j > 0:
            m = int(j - 1 - np.argmin(seg[j - 1 :: -1]))
            if seg[m] <= self._lo:
                self._lo, self._lo_idx = float(seg[m]), a + m
        d = float(delta[j]) if isinstance(delta, np.ndarray) else float(delta)
        v = float(seg[j])
        self._fire_at(a + j, v, mode != _SEEK_TROUGH and v < self._hi - d, out)

    def _fire_at(self, i: int, v: float, is_peak: bool, out: list[Breath]) -> None:
        """Sample ``i`` (value ``v``) confirms the running maximum or minimum."""
        self._pos = i
        self._last_conf = i
        self._stall_at = i + self._stall_eff
        if is_peak:
            self._on_peak(i, v)
        else:
            self._on_trough(i, v, out)

    # ---------------------------------------------------------------------------- events

    def _half_width(self, departure: int, conf: int, before: int) -> int:
        """Half-width, samples, of the local smoothing around an extremum.

        ``departure`` is where the filtered signal last left the extremum's ``f`` band and
        ``conf`` where it had moved ``delta`` away: about a quarter of the phase after the
        extremum for a sinusoidal breath; ``before`` is the length of the phase before it. The
        half-width is a third of the first (noise averaged over slow corners) but at most a
        tenth of the second: a window reaching far up a steep phase on the other side of the
        extremum bends the fit of a lopsided corner (a 1 s inhale before a 3 s exhale; the
        tenth balances that bias against noise). Bounded to 0.1-1.5 s.
        """
        half = min((conf - departure) // 3, before // 10)
        return min(max(half, self._min_half), self._max_half)

    def _smoothed_raw(self, a: int, b: int, half: int) -> FloatArray:
        """Raw samples ``a..b`` (absolute, inclusive) smoothed by a local quadratic fit.

        Savitzky-Golay, order 2, ``2 * half + 1`` samples (Savitzky & Golay 1964, Anal. Chem.
        36:1627). Unlike a moving average it leaves a parabola, so a rounded corner, unchanged,
        which allows windows wide enough to tame noise on slow corners. The fit is centred
        and all of ``a..b`` is in the past when this runs, so the refined times need no
        filter-delay correction. The ``half`` samples at each end repeat the nearest full fit:
        callers look for the extremum and its level crossings, which lie inside the stretch.
        """
        w = self._raw[a - self._buf_start : b + 1 - self._buf_start]
        half = min(half, (w.size - 1) // 2)
        if half < 2:
            return w.copy()
        out = np.empty_like(w)
        inner = np.convolve(w, _savgol_kernel(half), mode="valid")
        out[half:-half] = inner
        out[:half] = inner[0]
        out[-half:] = inner[-1]
        return out

    def _on_peak(self, conf: int, v: float) -> None:
        """A peak at ``_hi_idx`` is confirmed by sample ``conf``."""
        tp, yp = self._hi_idx, self._hi
        start = self._start
        f1 = self._f_onset * self._scale()
        w0 = max(tp, conf - self._history_n)
        before = tp - start.idx if start is not None else conf - tp
        departure = w0 + _last_index(self._window(w0, conf) >= yp - f1)
        half = self._half_width(departure, conf, before)
        a = max(tp - self._delay_n - half - self._margin, conf - self._history_n, 0)
        if start is not None:
            a = max(a, start.raw_idx)
        s = self._smoothed_raw(a, conf, half)
        m = int(s.argmax())
        level = float(s[m])
        onset = a + _leave_valley(-s, m, f1, self._k_onset)
        if start is not None:
            onset = max(onset, start.onset)  # an exhale cannot start before its inhale did
        self._peak = _Peak(tp, level, onset, a + m)
        self._prev_swing = yp - (self._lo if self._mode == _SEEK_ANY else self._last_ext)
        self._last_ext = yp
        self._mode = _SEEK_TROUGH
        self._lo, self._lo_idx = v, conf

    def _on_trough(self, conf: int, v: float, out: list[Breath]) -> None:
        """A trough at ``_lo_idx`` is confirmed by sample ``conf``."""
        peak = self._peak
        anchor = self._mode == _SEEK_ANY or peak is None
        trough = None if peak is None or anchor else self._trough(conf, peak)
        self._prev_swing = (self._hi if self._mode == _SEEK_ANY else self._last_ext) - self._lo
        self._last_ext = self._lo
        self._mode = _SEEK_PEAK
        self._hi, self._hi_idx = v, conf
        self._peak = None
        if peak is None or trough is None:
            # No confirmed fall before this trough (the signal started mid-breath): an anchor,
            # not the start of a breath.
            self._start = None
            return
        start = self._start
        if start is None:
            self._start = trough
            return
        if trough.idx - start.idx < self._min_breath_n:
            if trough.level < start.level:
                # The earlier trough was a wiggle on the way down: start from this one.
                self._start = trough
                self._merged = False
            else:
                # The peak between was a wiggle on the way up: keep the start and look for the
                # real peak from here.
                self._merged = True
            return
        if not self._recent_depths and peak.level - start.level < 0.5 * (peak.level - trough.level):
            # Before the first breath the hysteresis only knows the swings seen so far, so
            # sensor noise ahead of the first inhale can pass for a trough and a peak; such a
            # "breath" rises far less than it falls. Start from this trough instead.
            self._start = trough
            self._merged = False
            return
        if peak.level - 0.5 * (start.level + trough.level) <= self._floor:
            # Flat in the raw signal: a swing of the filter alone (its ringing after a step).
            self._start = trough
            self._merged = False
            return
        out.append(self._emit(start, peak, trough, conf))
        self._start = trough
        self._merged = False

    def _trough(self, conf: int, peak: _Peak) -> _Trough:
        tt, yt = self._lo_idx, self._lo
        f1 = self._f_onset * self._scale()
        w0 = max(tt, conf - self._history_n)
        departure = w0 + _last_index(self._window(w0, conf) <= yt + f1)
        half = self._half_width(departure, conf, tt - peak.idx)
        # One smoothed stretch from the peak on serves the trough level, the inhale onset and
        # (in _emit) the start of the pause.
        a = max(peak.raw_idx, conf - self._history_n)
        s = self._smoothed_raw(a, conf, half)
        m = int(s.argmin())
        level = float(s[m])
        onset = a + _leave_valley(s, m, f1, self._k_onset)
        pause_start = a + _enter_valley(s[: m + 1], f1, _ONSET_LEVEL_RATIO * f1, self._k_onset)
        # An inhale cannot start before the previous exhale did.
        return _Trough(tt, level, max(onset, peak.onset), pause_start, a + m)

    def _emit(self, start: _Trough, peak: _Peak, end: _Trough, conf: int) -> Breath:
        fall = peak.level - end.level
        rise = peak.level - start.level
        t_in, t_end = start.onset, end.onset
        t_ex = min(max(peak.onset, t_in), t_end)
        t_pause = min(max(end.pause_start, t_ex), t_end)
        clamped = t_ex != peak.onset or t_in >= t_ex or t_end - t_in < self._min_breath_n / 2

        fs, off = self._fs_hz, self._t0_s
        inhale_onset_s = off + t_in / fs
        exhale_onset_s = off + t_ex / fs
        pause_start_s = off + t_pause / fs
        end_s = off + t_end / fs
        inhale_s = exhale_onset_s - inhale_onset_s
        exhale_s = pause_start_s - exhale_onset_s
        ratio = exhale_s / inhale_s if inhale_s > 0.0 else math.inf
        depth = peak.level - 0.5 * (start.level + end.level)
        detected_s = self._t0_s + max(conf, self._emit_at) / fs

        if not self._recent_depths:
            quality = "uncertain"
        else:
            median = _median(self._recent_depths)
            asymmetric = abs(rise - fall) > _ASYMMETRY_LIMIT * max(rise, fall)
            if not self._artifact_low * median <= depth <= self._artifact_high * median:
                quality = "artifact"
            elif self._merged or asymmetric or clamped:
                quality = "uncertain"
            else:
                quality = "good"
        self._recent_depths.append(depth)
        self._typical = _median(self._recent_depths)
        if not self._stalled:
            # A breath that spans a stall straddles the old and the new amplitude; its depth
            # would undo the stall's reseeding.
            self._depths.append(depth)
            self._ref_depth = _median(self._depths)
        self._stalled = False
        # A stall is declared after three typical breaths without a turning point (at most
        # stall_s): fast enough to follow a sudden drop in depth at normal rates.
        self._periods.append(end.idx - start.idx)
        period = int(_median(self._periods))
        self._stall_eff = min(self._stall_n, max(3 * period, 2 * self._min_breath_n))
        self._stall_at = conf + self._stall_eff
        self._latencies.append(detected_s - end_s)
        return Breath(
            inhale_onset_s=inhale_onset_s,
            exhale_onset_s=exhale_onset_s,
            end_s=end_s,
            inhale_s=inhale_s,
            exhale_s=exhale_s,
            pause_s=end_s - pause_start_s,
            ratio=ratio,
            depth=depth,
            rate_bpm=60.0 / max(end_s - inhale_onset_s, 1.0 / fs),
            quality=quality,
            detected_s=detected_s,
        )

    # --------------------------------------------------------------------------- buffer

    def _window(self, a: int, b: int) -> FloatArray:
        """Filtered samples ``a..b`` inclusive (absolute indices)."""
        return self._buf[a - self._buf_start : b + 1 - self._buf_start]

    def _append(self, y: FloatArray, x: FloatArray) -> None:
        """Store new filtered and raw samples, making room by dropping what is no longer read.

        Later steps read samples after ``_pos``, around the running maximum (the peak being
        sought) and from the open peak on, and never more than ``history_n`` before the sample
        they run at (which is after ``_pos``).
        """
        n = y.size
        if self._buf_len + n > self._buf.size:
            keep = self._pos + 1
            if self._mode != _SEEK_TROUGH:
                keep = min(keep, self._hi_idx - self._lead)
            if self._peak is not None:
                keep = min(keep, self._peak.raw_idx)
            # A stall steps through the wait again, from the last turning point (or the
            # history limit), and refinement then looks back up to history_n from there.
            keep = min(keep, max(self._last_conf, self._pos + 1 - self._history_n))
            keep = max(keep - self._history_n, self._buf_start)
            drop = keep - self._buf_start
            live = self._buf_len - drop
            size = max(2 * (live + n), 1024)
            buf = np.empty(size, dtype=np.float64)
            raw = np.empty(size, dtype=np.float64)
            buf[:live] = self._buf[drop : self._buf_len]
            raw[:live] = self._raw[drop : self._buf_len]
            self._buf, self._raw = buf, raw
            self._buf_start, self._buf_len = keep, live
        self._buf[self._buf_len : self._buf_len + n] = y
        self._raw[self._buf_len : self._buf_len + n] = x
        self._buf_len += n


def _turning_points(y: FloatArray, prev: float) -> NDArray[np.intp]:
    """Indices where the direction of ``y`` (preceded by ``prev``) changes.

    Flat steps continue the previous direction (a flat start stays 0, which at worst adds a
    point). Between consecutive turning points, and the end, ``y`` is monotone, which is what
    lets the tracker skip every other sample.
    """
    ext = np.concatenate(((prev,), y))
    sign = np.sign(ext[1:] - ext[:-1])
    if not sign.all():
        filled = np.where(sign != 0, np.arange(y.size), -1)
        np.maximum.accumulate(filled, out=filled)
        sign = np.where(filled >= 0, sign[np.maximum(filled, 0)], 0.0)
    return np.flatnonzero(sign[:-1] != sign[1:])


def _median(values: Iterable[float]) -> float:
    """Median of a few numbers (``statistics.median`` semantics), without numpy's overhead."""
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return float(ordered[mid]) if n % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


@functools.cache
def _savgol_kernel(half: int) -> FloatArray:
    """Savitzky-Golay smoothing weights, quadratic fit over offsets ``-half..half``.

    ``c_k = 3 (3 h^2 + 3 h - 1 - 5 k^2) / ((2 h - 1)(2 h + 1)(2 h + 3))`` (Savitzky & Golay
    1964, table I, in closed form); symmetric, so convolution and correlation agree.
    """
    k = np.arange(-half, half + 1, dtype=np.float64)
    h = float(half)
    norm = (2.0 * h - 1.0) * (2.0 * h + 1.0) * (2.0 * h + 3.0)
    kernel: FloatArray = 3.0 * (3.0 * h * h + 3.0 * h - 1.0 - 5.0 * k * k) / norm
    kernel.setflags(write=False)
    return kernel


def _last_index(mask: NDArray[np.bool_]) -> int:
    """Index of the last True in ``mask``, or -1 (argmax stops at the first hit, no copies)."""
    if mask.size == 0:
        return -1
    r = int(mask[::-1].argmax())
    return mask.size - 1 - r if mask[mask.size - 1 - r] else -1


def _crossings(w: FloatArray, j1: int, l1: float, j2: int, l2: float) -> tuple[float, float]:
    """Fractional indices where the segments ``w[j] -> w[j + 1]`` meet the levels.

    ``j = -1`` gives 0 and ``j >= len(w) - 1`` gives ``j`` (no crossing inside ``w``).
    """
    last = w.size - 1
    a0, a1, b0, b1 = w[[max(j1, 0), min(j1 + 1, last), max(j2, 0), min(j2 + 1, last)]].tolist()
    out = []
    for j, level, w0, w1 in ((j1, l1, a0, a1), (j2, l2, b0, b1)):
        if j < 0:
            out.append(0.0)
        elif j >= last or w1 == w0:
            out.append(float(j))
        else:
            out.append(j + (level - w0) / (w1 - w0))
    return out[0], out[1]


def _value_at(s: FloatArray, t: float) -> float:
    """``s`` linearly interpolated at fractional index ``t`` (held constant beyond its ends)."""
    if t <= 0.0:
        return float(s[0])
    if t >= s.size - 1:
        return float(s[-1])
    j = int(t)
    s0, s1 = s[j : j + 2].tolist()
    return float(s0 + (t - j) * (s1 - s0))


def _leave_valley(s: FloatArray, m: int, f1: float, k: float) -> float:
    """Where the rise that ends ``s`` leaves the valley around ``s[m]`` (the minimum).

    The rise is the one at the end of ``s`` (the turning point was confirmed on it). Its
    valley starts after the last earlier sample above the end (sub-threshold breaths after a
    stall) and after the last bump above ``f2`` over the valley floor (an uneven pause), so
    both level crossings belong to the same rise. The onset is back-extrapolated from the
    crossings of ``+f1`` and ``+f2 = 4 f1`` above the floor, ``t1 - k (t2 - t1)``, with ``f1``
    lowered if need be to keep ``f2`` below how far the rise got. If the signal at the
    extrapolated point is not on the floor (an uneven valley, which the quadratic model does
    not fit), the onset is the last sample within ``f1 / 2`` of the floor instead.
    Fractional index into ``s``; for a peak, pass ``-s``.

    Implementation: "last sample at or below a level" is "last sample whose suffix minimum is
    at or below it", and suffix extremes are sorted, so the searches are binary searches.
    """
    tail = s[m:]
    end = float(tail[-1])
    suffix_max = np.maximum.accumulate(tail[::-1])[::-1]
    start = int(np.searchsorted(-suffix_max, -end, side="left"))
    region = tail[start:]
    m2 = int(region.argmin())
    floor = float(region[m2])
    f1 = min(f1, (end - floor) / (_LEVEL_HEADROOM * _ONSET_LEVEL_RATIO))
    f2 = _ONSET_LEVEL_RATIO * f1
    valley = region[m2:]
    suffix_min = np.minimum.accumulate(valley[::-1])[::-1]
    j2 = int(np.searchsorted(suffix_min, floor + f2, side="right")) - 1
    v = 0
    local = floor
    if j2 > 0 and float(valley[:j2].max()) > floor + f2:
        v = _last_index(valley[:j2] > floor + f2) + 1
        local = float(valley[v : j2 + 1].min())
    rise = valley[v:]
    j1, j2 = (np.searchsorted(suffix_min[v:], (local + f1, local + f2), side="right") - 1).tolist()
    t1, t2 = _crossings(rise, j1, local + f1, j2, local + f2)
    base = m + start + m2 + v
    onset = base + t1 - k * (t2 - t1)
    if _value_at(s, onset) <= local + f1:
        return onset
    last = _last_index(rise[: int(t1) + 1] <= local + 0.5 * f1)
    return float(base + max(last, 0))


def _enter_valley(head: FloatArray, f1: float, f2: float, k: float) -> float:
    """Where the fall into the first valley within ``f2`` of ``head[-1]`` (the minimum) ends.

    Forward-extrapolated from the fall's crossings of ``+f2`` and ``+f1`` above that valley's
    own floor, ``u1 + k (u1 - u2)``; if the signal there is not on the floor, the first sample
    within ``f1 / 2`` of it. Fractional index into ``head``. (Binary searches on the prefix
    minimum, as in :func:`_leave_valley`.)
    """
    bottom = float(head[-1])
    neg_prefix_min = -np.minimum.accumulate(head)
    i = int(np.searchsorted(neg_prefix_min, -(bottom + f2), side="left"))
    e = head.size
    local = bottom
    if float(head[i:].max()) > bottom + f2:
        # The signal went back up after entering the first valley: that valley ends there.
        e = i + int((head[i:] > bottom + f2).argmax())
        local = float(head[i:e].min())
    valley = head[:e]
    j1, j2 = (
        np.searchsorted(neg_prefix_min[:e], (-(local + f1), -(local + f2)), side="left") - 1
    ).tolist()
    u1, u2 = _crossings(valley, j1, local + f1, j2, local + f2)
    end = u1 + k * (u1 - u2)
    if _value_at(valley, end) <= local + f1:
        return end
    return float(int(u1) + int((valley[int(u1) :] <= local + 0.5 * f1).argmax()))


def detect_breaths(
    x: ArrayLike,
    fs_hz: float,
    *,
    t0_s: float = 0.0,
    cutoff_hz: float = 1.0,
    rel_delta: float = 0.3,
    min_delta: float = 0.0,
    n_depths: int = 5,
    onset_fraction: float = 0.05,
    min_breath_s: float = 1.5,
    stall_s: float = 25.0,
    history_s: float = 60.0,
    artifact_low: float = 0.25,
    artifact_high: float = 4.0,
) -> list[Breath]:
    """Detect the breaths of a whole belt recording.

    Exactly what a :class:`BreathTracker` with the same parameters emits when fed ``x`` in any
    chunking (it is one tracker fed the whole array).

    Parameters
    ----------
    x : array_like, shape (n,)
        Belt signal (rises on inhale), any units, finite.
    fs_hz : float
        Sampling rate, Hz.
    t0_s : float
        Time of the first sample, s.
    cutoff_hz, rel_delta, min_delta, n_depths, onset_fraction, min_breath_s, stall_s, history_s,
    artifact_low, artifact_high
        See :class:`BreathTracker`.

    Returns
    -------
    list of Breath
        Every breath whose end was confirmed within the recording, in order. A breath cut by the
        start of the recording (its inhale onset not preceded by an exhale) is not reported,
        nor is the last one (its end is never confirmed).
    """
    tracker = BreathTracker(
        fs_hz,
        t0_s=t0_s,
        cutoff_hz=cutoff_hz,
        rel_delta=rel_delta,
        min_delta=min_delta,
        n_depths=n_depths,
        onset_fraction=onset_fraction,
        min_breath_s=min_breath_s,
        stall_s=stall_s,
        history_s=history_s,
        artifact_low=artifact_low,
        artifact_high=artifact_high,
    )
    return tracker.update(x)
