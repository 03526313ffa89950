"""Heart-rhythm coherence (HeartMath style): ratio over the latest 64 s, our own 0-10 score.

Coherence ratio (McCraty, Atkinson, Tomasino & Bradley 2006, "The coherent heart", HeartMath
Research Center publication 06-022, pp. 9-10): the NN series of the latest 64 s is resampled at
2 Hz and its power spectrum taken; the highest peak between 0.04 and 0.26 Hz is found, the power
in a 0.030 Hz window centred on it is the *peak power*, the power from 0.0033 to 0.4 Hz the
*total power*, and ``ratio = (peak / (total - peak)) ** 2``. It is updated every 5 s.

Settings the publication leaves open, chosen here and returned in every result: cubic-spline
resampling (as for HRV spectra), mean and linear trend removed, a rectangular window (one 64 s
periodogram, as the 0.030 Hz peak window implies: a rectangular window's main lobe is
+-1/64 Hz = +-0.0156 Hz, so the peak window holds about 90 % of a pure oscillation's power,
where a Hann window would spread it over twice that), zero-padded to 1024 points.

Display score (ours; the commercial 0-16 score is proprietary): with ``p = peak / total``, the
fraction of the power in the peak window,

    score = 10 * clip((p - 0.2) / (0.8 - 0.2), 0, 1)

so 0 means the peak window holds no more than 20 % of the power, as much as a rhythm without
any oscillation shows by chance (white-noise NN series: p is 0.16 on average, 0.23 at the 90th
percentile, measured over 200 series in ``tests/test_coherence.py``; the highest of the ~14
independent 1/64 Hz bins of the search band carries ~3 times the average bin), and 10 means it
holds 80 % or more (a nearly sinusoidal heart rhythm; ratio >= 16). ``ratio = (p / (1 - p))
** 2``, so the score is a monotone function of the ratio; it is linear in ``p``, which moves
evenly as a person settles into slow breathing, where the ratio itself spans decades.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.checks import check_beat_time_units, check_positive, check_rr_units
from analysis.hrv_frequency import (
    MAX_GAP_S,
    NO_POWER_MS2,
    checked_beats,
    ordered_beats,
    peak_power_fraction,
    resample_nn,
)
from analysis.progress import ProgressCallback, ProgressSteps, counted

__all__ = [
    "CoherenceResult",
    "CoherenceSettings",
    "CoherenceTracker",
    "coherence_at",
    "coherence_score",
    "coherence_series",
    "measured_coherence",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CoherenceSettings:
    """Settings of the coherence computation (McCraty et al. 2006 values by default).

    Attributes
    ----------
    window_s : float
        Analysis window, s.
    update_s : float
        Interval between updates, s.
    fs_hz : float
        Resampling rate, Hz.
    peak_band_hz : tuple of float
        Where the peak is searched, Hz.
    peak_window_hz : float
        Width of the window integrated around the peak, Hz.
    total_band_hz : tuple of float
        Band of the total power, Hz.
    nfft : int
        FFT length after zero padding.
    max_gap_s : float
        Longest stretch without a beat (inside the window or at either edge) for a valid value,
        s: :data:`analysis.hrv_frequency.MAX_GAP_S`, the gap a resampled spectrum may bridge.
    score_p_low, score_p_high : float
        Peak-power fractions mapped to scores 0 and 10.

    Raises
    ------
    ValueError
        On a window, step, rate, peak window or gap that is not a positive number, an
        ``nfft`` under 1, a band that is not ``0 <= low < high``, a band reaching above the
        Nyquist frequency ``fs_hz / 2`` (at 0.5 Hz the spectrum ended at 0.25 Hz and the
        0.04-0.26 Hz peak band's "peak" was its last bin), or ``score_p_low >= score_p_high``.
    """

    window_s: float = 64.0
    update_s: float = 5.0
    fs_hz: float = 2.0
    peak_band_hz: tuple[float, float] = (0.04, 0.26)
    peak_window_hz: float = 0.030
    total_band_hz: tuple[float, float] = (0.0033, 0.4)
    nfft: int = 1024
    max_gap_s: float = MAX_GAP_S
    score_p_low: float = 0.2
    score_p_high: float = 0.8

    def __post_init__(self) -> None:
        check_positive("window_s", self.window_s)
        check_positive("update_s", self.update_s)
        check_positive("fs_hz", self.fs_hz)
        check_positive("peak_window_hz", self.peak_window_hz)
        check_positive("max_gap_s", self.max_gap_s, allow_inf=True)
        if not self.nfft >= 1:
            raise ValueError(f"nfft must be at least 1, got {self.nfft!r}")
        nyquist = self.fs_hz / 2.0
        for name, (low, high) in (
            ("peak_band_hz", self.peak_band_hz),
            ("total_band_hz", self.total_band_hz),
        ):
            if not (np.isfinite(low) and np.isfinite(high) and 0.0 <= low < high):
                raise ValueError(f"{name} must have 0 <= low < high (Hz), got {(low, high)!r}")
            if high > nyquist:
                raise ValueError(
                    f"{name} reaches {high:g} Hz, above the {nyquist:g} Hz where the spectrum "
                    "ends (fs_hz / 2): its power would be cut there; raise fs_hz"
                )
        if not self.score_p_low < self.score_p_high:
            raise ValueError(
                f"score_p_low ({self.score_p_low!r}) must be below score_p_high "
                f"({self.score_p_high!r})"
            )

    def score_scale(self) -> str:
        """What the 0-10 display score means, in one line (for results that carry a score)."""
        return (
            f"0-10, ours (not HeartMath's 0-16): 0 when peak_fraction <= {self.score_p_low:g}, "
            f"10 when >= {self.score_p_high:g}, linear between"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with the fixed processing choices spelled out."""
        out = asdict(self)
        out.update(
            method="McCraty et al. 2006 coherence ratio",
            interpolation="cubic",
            detrend="mean and linear",
            window="rectangular",
        )
        return out


@dataclass(frozen=True, slots=True)
class CoherenceResult:
    """Coherence of the window ending at ``t_end_s``.

    Attributes
    ----------
    t_end_s : float
        End of the analysis window, s (same clock as the beat times).
    ratio : float or None
        Coherence ratio; ``None`` when the window lacks data (see ``note``).
    score : float or None
        Display score, 0-10.
    peak_hz : float or None
        Frequency of the peak, Hz.
    peak_power_ms2, total_power_ms2 : float or None
        Powers, ms^2.
    peak_fraction : float or None
        ``peak / total``.
    note : str
        Empty, or why no value was computed.
    """

    t_end_s: float
    ratio: float | None
    score: float | None
    peak_hz: float | None
    peak_power_ms2: float | None
    total_power_ms2: float | None
    peak_fraction: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


DEFAULT_SETTINGS = CoherenceSettings()


def coherence_score(peak_fraction: float, settings: CoherenceSettings = DEFAULT_SETTINGS) -> float:
    """Our 0-10 display score from the peak-power fraction (module docstring), one decimal.

    Examples
    --------
    With the default settings a peak fraction of 0.2 or less scores 0 and 0.8 or more 10:

    >>> coherence_score(0.2), coherence_score(0.5), coherence_score(0.9)
    (0.0, 5.0, 10.0)
    """
    lo, hi = settings.score_p_low, settings.score_p_high
    return round(10.0 * float(np.clip((peak_fraction - lo) / (hi - lo), 0.0, 1.0)), 1)


def _empty(t_end_s: float, note: str) -> CoherenceResult:
    return CoherenceResult(t_end_s, None, None, None, None, None, None, note)


def coherence_at(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    t_end_s: float | None = None,
    settings: CoherenceSettings = DEFAULT_SETTINGS,
) -> CoherenceResult:
    """Coherence of the ``window_s`` seconds ending at ``t_end_s``, from beats at or before it.

    Parameters
    ----------
    beat_t_s : array_like
        Time of the beat ending each NN interval, s, increasing.
    nn_ms : array_like
        NN intervals, ms (artifact-corrected).
    t_end_s : float, optional
        End of the window, s; the last beat time by default. Beats after it are ignored.
    settings : CoherenceSettings, optional
        Processing settings.

    Returns
    -------
    CoherenceResult
        With ``ratio=None`` and a ``note`` when the window is not covered by beats (a beat
        within ``max_gap_s`` of both edges and no longer gap inside).

    Raises
    ------
    ValueError
        On an interval that is not positive and finite, beat times that are not finite and
        strictly increasing (:func:`analysis.hrv_frequency.checked_beats`), intervals whose
        median is no heart's in ms (RR in seconds), or beat times spaced about 1000 times their
        intervals (times in ms; :mod:`analysis.checks`).

    Examples
    --------
    Five minutes of a heart rate swinging smoothly at 0.1 Hz (breathing at 6/min) is as
    coherent as it gets:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> result = coherence_at(np.cumsum(rr_ms) / 1000.0, rr_ms)
    >>> round(result.peak_hz, 2), result.score
    (0.1, 10.0)
    """
    t, x = checked_beats(beat_t_s, nn_ms)
    check_rr_units(x, "nn_ms", unit_only=True)
    check_beat_time_units(t, x)
    return _coherence_at(t, x, t_end_s, settings)


def _coherence_at(
    t: FloatArray, x: FloatArray, t_end_s: float | None, settings: CoherenceSettings
) -> CoherenceResult:
    """:func:`coherence_at` on beats already checked: a window of a series or a stream, whose
    few beats (one after a gap) cannot show their unit, so only the whole series is judged."""
    if t.size == 0:
        return _empty(float("nan") if t_end_s is None else t_end_s, "no beats")
    end = float(t[-1]) if t_end_s is None else float(t_end_s)
    start = end - settings.window_s
    last = int(np.searchsorted(t, end, side="right"))
    first = max(int(np.searchsorted(t, start, side="right")) - 1, 0)
    tw, xw = t[first:last], x[first:last]
    if tw.size < 4:
        return _empty(end, "fewer than 4 beats in the window")
    begins_s = float(tw[0]) - float(x[0]) / 1000.0  # where the first interval began
    if first == 0 and tw[0] > start + settings.max_gap_s and begins_s > start:
        # The beats begin inside the window: too short a recording, not a lost strap.
        have_s = end - begins_s
        return _empty(
            end, f"only {have_s:.0f} s of beats, shorter than the {settings.window_s:g} s window"
        )
    gaps = np.diff(np.concatenate(([max(start, tw[0])], tw, [end])))
    if tw[0] > start + settings.max_gap_s or gaps.max() > settings.max_gap_s:
        return _empty(end, f"a gap of more than {settings.max_gap_s:g} s without beats")

    fs = settings.fs_hz
    n = round(settings.window_s * fs)
    _, v = resample_nn(
        tw, xw, fs, t_start_s=end - (n - 1) / fs, t_end_s=end + 1e-9, max_gap_s=settings.max_gap_s
    )
    v = v[:n]
    k = np.arange(v.size)
    v = v - np.polyval(np.polyfit(k, v, 1), k)
    nfft = max(settings.nfft, v.size)
    spec = np.abs(np.fft.rfft(v, nfft)) ** 2 / (fs * v.size)
    spec[1:] *= 2.0  # one-sided density; the Nyquist bin is outside every band used here
    freq = np.fft.rfftfreq(nfft, 1.0 / fs)

    half = settings.peak_window_hz / 2.0
    pf = peak_power_fraction(freq, spec, settings.peak_band_hz, half, settings.total_band_hz)
    if pf is None:
        return _empty(end, "no frequency bin in the peak band")
    top, peak_hz, peak, total = pf.peak_index, pf.peak_hz, pf.peak_power, pf.total_power
    # Total power at or below NO_POWER_MS2: a constant series leaves only float rounding
    # (~1e-26 ms^2) after the detrend, while 1 ms beat quantisation alone gives ~0.1.
    if total <= NO_POWER_MS2:
        return _empty(end, "no variability in the window")
    fraction = pf.fraction
    if top is None:
        # Variability, but none in the peak band (NO_POWER_MS2, as the HRV spectra): no rhythm
        # there to name, and nothing of the power in a peak window.
        note = "no power in the peak band"
        return CoherenceResult(end, 0.0, 0.0, None, 0.0, total, 0.0, note)
    lowest = top > 0 and freq[top - 1] < settings.peak_band_hz[0]
    if lowest and spec[top - 1] >= spec[top]:
        # The band's largest value is its lowest bin, on a slope rising out of the band: slow
        # drift, not a rhythm (breathing at 30/min with no RSA scored 10/10 this way).
        note = "no rhythm in the band, only slow drift below it"
        return CoherenceResult(end, 0.0, 0.0, peak_hz, peak, total, fraction, note)
    rest = total - peak
    ratio = (peak / rest) ** 2 if rest > 0.0 else float("inf")
    return CoherenceResult(
        end, ratio, coherence_score(fraction, settings), peak_hz, peak, total, fraction
    )


def _update_times(t0: float, t_last: float, settings: CoherenceSettings) -> FloatArray:
    """Update instants ``t0 + window + k * update`` strictly before the last beat."""
    first = t0 + settings.window_s
    if t_last <= first:
        return np.empty(0)
    count = int(np.ceil((t_last - first) / settings.update_s))
    times = first + settings.update_s * np.arange(count)
    return np.asarray(times[times < t_last], dtype=np.float64)


def coherence_series(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    settings: CoherenceSettings = DEFAULT_SETTINGS,
    *,
    progress: ProgressCallback | None = None,
) -> list[CoherenceResult]:
    """Coherence every ``update_s`` over a whole recording, as :class:`CoherenceTracker` gives it.

    Update instants are ``t[0] + window_s + k * update_s`` for every one before the last beat
    (the tracker learns that an instant has passed from the first beat after it).
    ``progress`` is told the fraction of the windows done (:mod:`analysis.progress`): 17 h of
    beats are 12,000 windows, seconds of work.

    Raises
    ------
    ValueError
        As :func:`coherence_at`, on bad intervals or beat times, or their units (judged over
        the whole series, not per window).

    Examples
    --------
    Five minutes of a heart rate swinging at 0.1 Hz: the first value comes 64 s (``window_s``)
    after the first beat, then one every 5 s:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> beat_t_s = np.cumsum(rr_ms) / 1000.0
    >>> series = coherence_series(beat_t_s, rr_ms)
    >>> len(series), round(float(series[0].t_end_s - beat_t_s[0]), 1), round(series[1].t_end_s, 1)
    (49, 64.0, 69.9)
    >>> sorted({r.score for r in series})
    [10.0]
    """
    steps = ProgressSteps(progress)
    t, x = checked_beats(beat_t_s, nn_ms)
    check_rr_units(x, "nn_ms", unit_only=True)
    check_beat_time_units(t, x)
    if t.size == 0:
        steps.done()
        return []
    ends = _update_times(t[0], t[-1], settings)
    # Each window is given only its own beats and the one before (coherence_at reads the
    # interval before the window, and tells "the beats begin inside it" from the index 0), the
    # same result as the whole series: checking and searching the whole series per window made
    # 17 h of beats (12,469 windows) cost O(n^2).
    lasts = np.searchsorted(t, ends, side="right")
    firsts = np.maximum(np.searchsorted(t, ends - settings.window_s, side="right") - 2, 0)
    windows = zip(ends, firsts, lasts, strict=True)
    series = [
        _coherence_at(t[lo:hi], x[lo:hi], float(te), settings)
        for te, lo, hi in counted(windows, len(ends), steps)
    ]
    steps.done()
    return series


def measured_coherence(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    settings: CoherenceSettings = DEFAULT_SETTINGS,
    *,
    progress: ProgressCallback | None = None,
) -> list[CoherenceResult]:
    """The coherence of a whole session: :func:`coherence_series` on its beats in time order
    (:func:`analysis.hrv_frequency.ordered_beats`), the windows with a value only.

    The session report draws this series, and its mean is the session's coherence wherever one
    number stands for a session (the closing summary, the history, ``summary.csv``, the
    report's table) and ``breathwise hrv``'s ``session_mean_ratio``. A window the beats do not
    cover (the first 64 s, a gap over :data:`analysis.hrv_frequency.MAX_GAP_S`) has no value and
    is left out, so a dropout does not count as incoherence.

    Parameters
    ----------
    beat_t_s, nn_ms : array_like
        Time of the beat ending each NN interval (s) and the intervals (ms), any order.
    settings : CoherenceSettings
        Window, update step and spectrum settings.
    progress : callable, optional
        Told the fraction of the windows done (:mod:`analysis.progress`).

    Returns
    -------
    list of CoherenceResult
        In time order; every one has a ``ratio`` and a ``score``.

    Examples
    --------
    The session mean of a heart rate swinging at 0.1 Hz, and of one that only jitters:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> paced = measured_coherence(np.cumsum(rr_ms) / 1000.0, rr_ms)
    >>> len(paced), round(float(np.mean([r.score for r in paced])), 1)
    (49, 10.0)
    >>> rr_ms = 800.0 + 30.0 * np.random.default_rng(1).standard_normal(330)
    >>> jitter = measured_coherence(np.cumsum(rr_ms) / 1000.0, rr_ms)
    >>> bool(np.mean([r.score for r in jitter]) < 1.0)
    True
    """
    return [
        r
        for r in coherence_series(*ordered_beats(beat_t_s, nn_ms), settings, progress=progress)
        if r.ratio is not None and r.score is not None
    ]


@dataclass
class CoherenceTracker:
    """Streaming coherence: feed NN intervals with their beat times, get a value every 5 s.

    The first update is ``window_s`` after the first beat, then every ``update_s``; an update
    is emitted when the first beat after its instant arrives, from the beats at or before the
    instant. Its output equals :func:`coherence_series` on the same beats, however they are
    chunked (tested). Memory is bounded: beats older than the next window are dropped.

    Examples
    --------
    Beats fed in two chunks give the values the whole recording gives at once:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> beat_t_s = np.cumsum(rr_ms) / 1000.0
    >>> tracker = CoherenceTracker()
    >>> live = tracker.extend(beat_t_s[:100], rr_ms[:100])
    >>> live += tracker.extend(beat_t_s[100:], rr_ms[100:])
    >>> len(live), live == coherence_series(beat_t_s, rr_ms), live[-1].score
    (49, True, 10.0)
    """

    settings: CoherenceSettings = DEFAULT_SETTINGS
    _t: deque[float] = field(init=False, repr=False, default_factory=deque)
    _x: deque[float] = field(init=False, repr=False, default_factory=deque)
    _first_s: float | None = field(init=False, repr=False, default=None)
    _k: int = field(init=False, repr=False, default=0)

    def _instant(self, k: int) -> float:
        # Computed, not accumulated, so the instants are the batch ones to the last bit.
        assert self._first_s is not None
        return self._first_s + self.settings.update_s * k

    def push(self, beat_t_s: float, nn_ms: float) -> list[CoherenceResult]:
        """Add one NN interval ending at ``beat_t_s``; return the updates it completes.

        Raises
        ------
        ValueError
            If the beat time is not finite or does not increase, or the interval is not
            positive and finite (the rule of :func:`analysis.hrv_frequency.checked_beats`).
        """
        if not nn_ms > 0.0 or not np.isfinite(nn_ms):
            raise ValueError(f"nn_ms must be a positive finite interval, got {nn_ms!r}")
        if not np.isfinite(beat_t_s):
            # A NaN first time would become the clock of every update instant.
            raise ValueError(f"beat_t_s must be a finite time, got {beat_t_s!r}")
        if self._t and not beat_t_s > self._t[-1]:
            raise ValueError("beat times must increase")
        out: list[CoherenceResult] = []
        if self._first_s is None:
            self._first_s = beat_t_s + self.settings.window_s
        while beat_t_s > (instant := self._instant(self._k)):
            out.append(
                _coherence_at(
                    np.fromiter(self._t, dtype=np.float64, count=len(self._t)),
                    np.fromiter(self._x, dtype=np.float64, count=len(self._x)),
                    instant,
                    self.settings,
                )
            )
            self._k += 1
        self._t.append(beat_t_s)
        self._x.append(nn_ms)
        # Keep one beat before the next window's start: the spline needs a beat at its edge.
        keep_from = self._instant(self._k) - self.settings.window_s
        while len(self._t) > 1 and self._t[1] <= keep_from:
            self._t.popleft()
            self._x.popleft()
        return out

    def extend(self, beat_t_s: ArrayLike, nn_ms: ArrayLike) -> list[CoherenceResult]:
        """Push several beats; the updates they complete, in order."""
        out: list[CoherenceResult] = []
        for t, x in zip(np.asarray(beat_t_s).tolist(), np.asarray(nn_ms).tolist(), strict=True):
            out.extend(self.push(float(t), float(x)))
        return out
