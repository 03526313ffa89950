"""Beat times from RR intervals, and heart rate.

A Heart Rate Measurement notification (Bluetooth GATT characteristic 0x2A37) carries the RR
intervals of the beats since the previous notification, in 1/1024 s, but no timestamp at all
(docs/reference/design.md, "Time"). Beat times are therefore rebuilt here: RR intervals are exact
durations between beats, and the host clock at arrival says when the sensor had seen them.

Model (:class:`BeatTimeline`)
-----------------------------
* The first notification anchors its last beat at its arrival time; its earlier beats lie
  before it, spaced by their RR intervals.
* Later beats follow cumulatively, ``t = t_previous_beat + rr``: RR intervals are far more
  precise (1/1024 s) than arrival times, which jitter with the BLE connection interval and the
  sensor's notification schedule (up to ~1 s after the beat).
* A beat cannot be reported before it happened, so the beat clock must never run ahead of
  arrival: if the last beat of a notification would fall after that notification's arrival, the
  notification's beats are moved back so that it falls on the arrival. Over a session this
  pulls the clock down to the shortest delay seen between a beat and its report. Beats also
  stay in order: if moving them back would put one at or before the previous beat (placed too
  late by an anchor on a late arrival), they are spread between the previous beat and the
  arrival in proportion to their RR intervals (equal times only if the two coincide).
* If the cumulative clock falls behind arrival by more than ``max_drift_s``, RR intervals were
  lost (a missed notification, a link gap, a sensor that drops RR values when its buffer is
  full); summing RRs can no longer be trusted, so the notification is re-anchored at arrival
  like the first one. The 1.5 s default is above a normal report delay (< 1 s at the usual one
  notification per second) and below two missing beats at rest.

All times are on the caller's clock (the session's monotonic clock), in seconds.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.checks import check_rr_units

__all__ = [
    "MAX_DRIFT_S",
    "Beat",
    "BeatTimeline",
    "HeartRateTracker",
    "heart_rate_bpm",
    "instantaneous_heart_rate",
    "joined_beats",
]

MAX_DRIFT_S = 1.5
"""Default re-anchoring threshold of :class:`BeatTimeline`, s: above a normal report delay
(< 1 s at one notification per second), below two missing beats at rest (module notes). The
CSV importer re-anchors beat times at the same threshold
(:data:`trainer.storage.imports.strap_beats.LOSS_S`)."""


def joined_beats(
    nn_t_s: ArrayLike, nn_ms: ArrayLike, max_drift_s: float = MAX_DRIFT_S
) -> NDArray[np.bool_]:
    """Whether each NN interval follows the one before it directly (one fewer than the
    intervals): ``False`` where its beat comes more than ``max_drift_s`` later than its interval
    says, beats lost between (a lost contact or link), across which no successive difference
    is taken (Task Force 1996 NN statistics; :func:`analysis.hrv_time.time_domain`'s
    ``joined``). A beat less far off is no loss: a late notification carrying two intervals
    moves one back by half a second.

    Parameters
    ----------
    nn_t_s : array_like
        Each interval's beat time, s.
    nn_ms : array_like
        The intervals, ms, same length.
    max_drift_s : float
        Largest step beyond its interval that is no loss, s (where the beat timeline and the
        importer re-anchor).

    Examples
    --------
    >>> joined_beats([1.0, 2.0, 5.0, 6.0], [1000.0, 1000.0, 1000.0, 1000.0]).tolist()
    [True, False, True]
    """
    t = np.asarray(nn_t_s, dtype=np.float64)
    nn = np.asarray(nn_ms, dtype=np.float64)
    out: NDArray[np.bool_] = np.diff(t) - nn[1:] / 1000.0 <= max_drift_s
    return out


@dataclass(frozen=True, slots=True)
class Beat:
    """One RR interval and the beat that ends it.

    Attributes
    ----------
    t_s : float
        Time of the beat ending this RR interval, s (session clock).
    rr_ms : float
        The RR interval, ms.
    """

    t_s: float
    rr_ms: float


class BeatTimeline:
    """Rebuild beat times from RR lists of notifications that carry no timestamps.

    Parameters
    ----------
    max_drift_s : float
        Largest lag, s, of the cumulative beat clock behind arrival times that is accepted as
        report delay; beyond it the timeline re-anchors at arrival (see the module notes).

    Raises
    ------
    ValueError
        If ``max_drift_s`` is not positive and finite.
    """

    __slots__ = ("_anchors", "_clamps", "_last_arrival_s", "_last_beat_s", "_max_drift_s")

    def __init__(self, *, max_drift_s: float = MAX_DRIFT_S) -> None:
        if not (math.isfinite(max_drift_s) and max_drift_s > 0.0):
            raise ValueError(f"max_drift_s must be positive and finite, got {max_drift_s!r}")
        self._max_drift_s = float(max_drift_s)
        self._last_beat_s: float | None = None
        self._last_arrival_s = -math.inf
        self._anchors = 0
        self._clamps = 0

    @property
    def max_drift_s(self) -> float:
        """The re-anchoring threshold, s."""
        return self._max_drift_s

    @property
    def anchors(self) -> int:
        """How many notifications were anchored at arrival (the first one, and re-anchors)."""
        return self._anchors

    @property
    def clamps(self) -> int:
        """How many notifications were moved back because the beat clock ran ahead of arrival."""
        return self._clamps

    @property
    def last_beat_s(self) -> float | None:
        """Time of the latest beat, s, or None before the first."""
        return self._last_beat_s

    def update(self, t_arrival_s: float, rr_ms: Sequence[float]) -> list[Beat]:
        """Place the beats of one notification on the session clock.

        Parameters
        ----------
        t_arrival_s : float
            Host time at which the notification arrived, s; never earlier than the previous
            notification's.
        rr_ms : sequence of float
            The notification's RR intervals in order, ms (positive); may be empty (a
            notification without RR values changes nothing).

        Returns
        -------
        list of Beat
            One beat per RR interval, in order; the last is at or before ``t_arrival_s`` and
            the first after (or, degenerately, at) the previous notification's last beat.

        Raises
        ------
        ValueError
            If the arrival time is not finite or goes backwards, or an RR interval is not a
            positive finite number.
        """
        if not math.isfinite(t_arrival_s):
            raise ValueError(f"t_arrival_s must be finite, got {t_arrival_s!r}")
        if t_arrival_s < self._last_arrival_s:
            raise ValueError(
                f"arrival times must not go backwards: {t_arrival_s!r} after "
                f"{self._last_arrival_s!r}"
            )
        rrs = [float(r) for r in rr_ms]
        for r in rrs:
            if not (math.isfinite(r) and r > 0.0):
                raise ValueError(f"RR intervals must be positive and finite, got {r!r}")
        self._last_arrival_s = t_arrival_s
        if not rrs:
            return []

        times: list[float] = []
        if self._last_beat_s is not None:
            t = self._last_beat_s
            for r in rrs:
                t += r / 1000.0
                times.append(t)
            lag_s = t_arrival_s - times[-1]
            if lag_s > self._max_drift_s:
                times = []  # RR intervals were lost: re-anchor below
            elif lag_s < 0.0:
                # The beat clock ran ahead of arrival: a beat cannot be reported before it
                # happened, so move the notification's beats back onto the arrival.
                times = [ti + lag_s for ti in times]
                self._clamps += 1
                if times[0] <= self._last_beat_s:
                    # ...but not before the previous beat (which an anchor on a late arrival
                    # placed too late): spread them over the time left, in RR proportions.
                    span = t_arrival_s - self._last_beat_s
                    total = math.fsum(rrs)
                    acc = 0.0
                    times = []
                    for r in rrs:
                        acc += r
                        times.append(self._last_beat_s + span * (acc / total))
                    times[-1] = t_arrival_s
        if not times:
            # Anchor: the last beat at arrival, the earlier ones back from it by their RRs.
            t = t_arrival_s
            times = [t]
            for r in reversed(rrs[1:]):
                t -= r / 1000.0
                times.append(t)
            times.reverse()
            self._anchors += 1
        self._last_beat_s = times[-1]
        return [Beat(ti, r) for ti, r in zip(times, rrs, strict=True)]


def heart_rate_bpm(rr_ms: ArrayLike) -> float:
    """Mean heart rate of a run of RR intervals.

    Parameters
    ----------
    rr_ms : array_like
        RR (or NN) intervals, ms, positive; at least one.

    Returns
    -------
    float
        ``60000 / mean(rr_ms)``, beats per minute: the beats per unit time over the run, the
        "mean HR" of the Task Force of the ESC and NASPE (1996), Eur Heart J 17:354-381 (not the
        mean of instantaneous rates, which over-weights short intervals).

    Raises
    ------
    ValueError
        If ``rr_ms`` is empty, not one-dimensional, or holds a non-positive or non-finite value,
        or its median is no heart's interval in ms (RR in seconds gave 86 161 beats/min; the
        message says so, :func:`analysis.checks.check_rr_units`).

    Examples
    --------
    One beat after 750 ms and one after 1000 ms: 2 beats in 1.75 s, not the mean of 80 and 60:

    >>> round(heart_rate_bpm([750.0, 1000.0]), 2)
    68.57
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    if rr.ndim != 1 or rr.size == 0:
        raise ValueError(f"rr_ms must be a non-empty 1-D sequence, got shape {rr.shape}")
    if not (np.all(np.isfinite(rr)) and np.all(rr > 0.0)):
        raise ValueError("RR intervals must be positive and finite")
    check_rr_units(rr)
    return 60000.0 / float(np.mean(rr))


def instantaneous_heart_rate(
    beat_t_s: ArrayLike, nn_ms: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Instantaneous heart rate of each NN interval, placed at the interval's midpoint.

    An interval's rate ``60000 / nn_ms`` is the heart's mean rate over that interval: Berger,
    Akselrod, Gordon & Cohen 1986 (IEEE Trans Biomed Eng 33:900) define the heart-rate signal
    as ``1 / RR`` held over the whole interval, so the one value that stands for it belongs at
    its centre, ``t - nn / 2``. Placed at the beat that ends it, the rate lags by half an
    interval: on an integral pulse-frequency-modulation heart at 65 beats/min whose rate
    trough falls on each inhale onset, breathing phase read from heart rate was 0.46 s (mean
    RR / 2) late, -17 degrees at 6 breaths/min and -43 at 15. Every heart-rate series in
    :mod:`analysis` (breathing from RR, resonance phase and swing, RSA per breath) is built here.

    The midpoint is causal: it is known once the beat that ends the interval has come.

    Parameters
    ----------
    beat_t_s : array_like, shape (n,)
        Time of the beat ending each interval, s, non-decreasing.
    nn_ms : array_like, shape (n,)
        The (artifact-corrected) intervals, ms, positive.

    Returns
    -------
    (t_mid_s, hr_bpm, kept) : tuple of ndarray
        Midpoint times, s, strictly increasing, and rates, beats/min, of the kept intervals,
        and which of the input intervals were kept (shape (n,)). An interval is dropped when
        its midpoint does not fall after every earlier one: a beat that the beat timeline
        clamped onto its notification's arrival (:class:`BeatTimeline`) can sit so close to
        the one before that its midpoint falls behind, and interpolation needs increasing
        times. In a series whose beat times follow from its intervals every one is kept.

    Raises
    ------
    ValueError
        On arrays of different shapes or not one-dimensional, or an interval that is not
        positive and finite.

    Examples
    --------
    >>> t_mid_s, hr_bpm, kept = instantaneous_heart_rate([0.75, 1.75, 2.35], [750.0, 1000.0, 600.0])
    >>> [round(float(t), 3) for t in t_mid_s], hr_bpm.tolist(), kept.tolist()
    ([0.375, 1.25, 2.05], [80.0, 60.0, 100.0], [True, True, True])
    """
    t = np.asarray(beat_t_s, dtype=np.float64)
    nn = np.asarray(nn_ms, dtype=np.float64)
    if t.ndim != 1 or t.shape != nn.shape:
        raise ValueError("beat_t_s and nn_ms must be 1-D and of equal length")
    if not (np.all(np.isfinite(nn)) and np.all(nn > 0.0)):
        raise ValueError("NN intervals must be positive and finite")
    mid = t - nn / 2000.0
    kept = np.ones(mid.size, dtype=bool)
    if mid.size > 1:
        kept[1:] = mid[1:] > np.maximum.accumulate(mid)[:-1]
    return mid[kept], 60000.0 / nn[kept], kept


class HeartRateTracker:
    """Current heart rate over the latest beats.

    Parameters
    ----------
    n_beats : int
        Average over at most this many latest beats.
    window_s : float or None
        If given, also only over beats no older than this, s, before the latest beat (so a
        heart rate after a link gap is not averaged with beats from before it).

    Raises
    ------
    ValueError
        If ``n_beats < 1`` or ``window_s`` is not positive and finite.

    Notes
    -----
    The rate is :func:`heart_rate_bpm` of the RR intervals in the window. It is not artifact
    corrected: feed it NN intervals (artifact-corrected beats) for a clean rate.

    Examples
    --------
    Over the last two beats; and with a 5 s window, a beat after a 10 s link gap is not
    averaged with those before it:

    >>> tracker = HeartRateTracker(n_beats=2)
    >>> tracker.hr_bpm is None
    True
    >>> tracker.update([Beat(0.75, 750.0), Beat(1.75, 1000.0), Beat(2.35, 600.0)])
    75.0
    >>> tracker = HeartRateTracker(window_s=5.0)
    >>> tracker.update([Beat(1.0, 1000.0), Beat(2.0, 1000.0)]), tracker.update([Beat(12.0, 750.0)])
    (60.0, 80.0)
    """

    __slots__ = ("_beats", "_window_s")

    def __init__(self, *, n_beats: int = 8, window_s: float | None = None) -> None:
        if n_beats < 1:
            raise ValueError(f"n_beats must be >= 1, got {n_beats}")
        if window_s is not None and not (math.isfinite(window_s) and window_s > 0.0):
            raise ValueError(f"window_s must be positive and finite, got {window_s!r}")
        self._beats: deque[Beat] = deque(maxlen=n_beats)
        self._window_s = window_s

    @property
    def hr_bpm(self) -> float | None:
        """Current heart rate, beats per minute, or None before the first beat."""
        if not self._beats:
            return None
        if self._window_s is None:
            rr = [b.rr_ms for b in self._beats]
        else:
            oldest_s = self._beats[-1].t_s - self._window_s
            rr = [b.rr_ms for b in self._beats if b.t_s >= oldest_s]
        return 60000.0 * len(rr) / math.fsum(rr)

    def update(self, beats: Iterable[Beat]) -> float | None:
        """Add beats (in time order) and return the current heart rate.

        Parameters
        ----------
        beats : iterable of Beat
            New beats, oldest first; may be empty.

        Returns
        -------
        float or None
            Heart rate over the window, beats per minute; None while no beat has been seen.

        Raises
        ------
        ValueError
            If a beat's interval is not positive and finite, or its time is not finite (as
            :class:`BeatTimeline` refuses them); the beats before it are kept.
        """
        for beat in beats:
            if not (math.isfinite(beat.rr_ms) and beat.rr_ms > 0.0 and math.isfinite(beat.t_s)):
                raise ValueError(
                    f"RR intervals must be positive and finite and beat times finite, got {beat!r}"
                )
            self._beats.append(beat)
        return self.hr_bpm
