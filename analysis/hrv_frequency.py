"""Frequency-domain heart-rate variability: VLF, LF and HF power, LF/HF, peak frequencies.

Two estimators, every setting returned next to the values because tools disagree mostly through
their settings (NeuroKit2 issue #1069 against Kubios, systole issue #77):

* ``"welch"`` (default): the NN series, placed at its beat times, is resampled evenly (4 Hz,
  cubic spline: Task Force 1996, Eur Heart J 17:354, and the usual HRV route), its mean removed,
  and a Welch periodogram taken (Welch 1967, IEEE Trans Audio Electroacoust 15:70; Hann window,
  256 s segments with at least 50 % overlap, raised so that they reach the series' end, each
  segment linearly detrended, one-sided density). A spline across a gap in the beats invents
  slow power (:data:`MAX_GAP_S`), so this estimator refuses beat times with a gap over
  ``WelchSettings.max_gap_s``: :func:`gap_free_frequency_domain` takes the longest stretch
  without one. Intervals given without their times have no gaps: a long one is data.
* ``"lomb"``: the Lomb-Scargle periodogram of the uneven series itself (Lomb 1976, Astrophys
  Space Sci 39:447; Scargle 1982, ApJ 263:835; Laguna et al. 1998, IEEE TBME 45:698), through
  :func:`scipy.signal.lombscargle`, scaled to a one-sided density ``2 * P * T / N`` (ms^2/Hz) so
  that, like the Welch density, it integrates to the variance. It needs no resampling, so it
  accepts gaps in the beat times (nothing is invented across them; the data that are missing
  are simply not there). ``T`` is the time the beats cover: first to last beat less every gap
  over ``LombSettings.max_gap_s`` (:data:`MAX_GAP_S`). A sinusoid's ``P`` grows with the
  number of beats ``N`` only, so scaled by the span a gap inflated every band by span /
  covered time (without this, 1250 ms^2 of LF read 1484, 2463 and 4893 ms^2 with 100, 300
  and 450 s of a 600 s series missing; now 1235, 1226 and 1211, the total 1235-1243).

Band powers are the sum of the density over the band's frequency bins times the bin width
(rectangle rule); bands are half-open ``[low, high)`` by default: Task Force bands VLF
0.0033-0.04 Hz, LF 0.04-0.15 Hz, HF 0.15-0.4 Hz; total power is VLF + LF + HF. VLF is not
reported (``None``) for a series shorter than :data:`MIN_VLF_S` (300 s, first to last beat),
and total power is then LF + HF: the Task Force (1996, "Short-term recordings") calls VLF
"assessed from short-term recordings (e.g. <=5 min) ... a dubious measure" that "should be
avoided". No band at all is reported for a series shorter than ``min_duration_s``
(:data:`MIN_SPECTRUM_S`, 120 s, by default; :func:`frequency_domain`), by the same rule: LF is
not even roughly defined there; with ``band_min_s`` (``breathwise hrv``'s :data:`BAND_MIN_S`) HF
is reported from about 1 min and LF from about 2 min instead. A band whose power is at most
:data:`NO_POWER_MS2` has no peak frequency (``None``). A band must lie inside the spectrum the
estimator evaluates (Welch: up to ``fs_hz / 2``; Lomb: up to ``f_max_hz``): the settings refuse
one that reaches beyond, whose power would be cut at the spectrum's end.

:meth:`WelchSettings.pyhrv` reproduces pyhrv 0.4's ``welch_psd`` (Gomes et al. 2019): Hamming
window, ``nfft`` 4096, 300-sample segments for series of 5 min or longer (the whole series
otherwise), SciPy's default half overlap and per-segment mean removal, VLF from 0 Hz and closed
band edges ``[low, high]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline
from scipy.signal import lombscargle, welch

from analysis.checks import (
    check_beat_time_units,
    check_fraction,
    check_positive,
    check_rr_units,
)

__all__ = [
    "BAND_MIN_S",
    "MAX_GAP_S",
    "MIN_HF_S",
    "MIN_SPECTRUM_S",
    "MIN_VLF_S",
    "NO_POWER_MS2",
    "ROUGH_HF_S",
    "ROUGH_LF_S",
    "TASK_FORCE_BANDS",
    "FrequencyDomain",
    "GapFreeSpectrum",
    "LombSettings",
    "PeakPowerFraction",
    "WelchSettings",
    "band_power",
    "beat_times_s",
    "checked_beats",
    "frequency_domain",
    "gap_free_frequency_domain",
    "longest_gap_free",
    "ordered_beats",
    "peak_power_fraction",
    "resample_nn",
    "series_length_s",
]

FloatArray = NDArray[np.float64]
Bands = tuple[tuple[str, float, float], ...]

TASK_FORCE_BANDS: Bands = (("vlf", 0.0033, 0.04), ("lf", 0.04, 0.15), ("hf", 0.15, 0.4))
"""Task Force (1996) band edges in Hz: (name, low, high)."""

MAX_GAP_S = 3.0
"""Longest time without a beat, s, that a resampled spectrum may bridge (as the coherence
window, :mod:`analysis.coherence`): the slowest heart (30 beats/min) leaves 2 s. Across a
longer gap (a strap losing contact) the cubic spline invents a slow swing: 20 s bridged in a
5 min series of 15/min RSA read LF 563 ms^2 for 12, VLF up to 5551 ms^2 for 5. The default of
``WelchSettings.max_gap_s``: the Welch estimate refuses a longer gap."""

MIN_SPECTRUM_S = 120.0
"""Shortest stretch of beats given a spectrum, s (first to last beat): Task Force 1996 names
"approximately 2 min" for the LF component (docs/reference/physiology.md); below it the LF power
is not even roughly defined. Its rule of about 10 periods of a band's lower edge gives more for
LF, 250 s (:data:`ROUGH_LF_S`): between the two, LF comes with a warning."""

ROUGH_LF_S = 10.0 / 0.04
"""Stretch of beats, s, that holds 10 periods of the LF band's lower edge (0.04 Hz): the Task
Force's (1996) rule of about 10 periods, by which its own "approximately 2 min" for LF is short.
LF (and LF/HF) from a shorter stretch is reported with a warning (without this, 148 s gave LF
2171 ms^2 where NeuroKit2's Welch read 3193, with no caveat)."""

MIN_HF_S = 60.0
"""Shortest series given HF power, s (:data:`BAND_MIN_S`): docs/reference/physiology.md, "a
band needs at least ~10 periods of its lower edge (about 1 min for HF, 2 min for LF)" (Task
Force 1996). 10 periods of the HF band's 0.15 Hz edge are 66.7 s (:data:`ROUGH_HF_S`): between
the two, HF comes with a warning, as LF between :data:`MIN_SPECTRUM_S` and :data:`ROUGH_LF_S`."""

ROUGH_HF_S = 10.0 / 0.15
"""Stretch of beats, s, that holds 10 periods of the HF band's lower edge (0.15 Hz), the Task
Force's rule: HF from a shorter stretch is reported with a warning."""

BAND_MIN_S: Mapping[str, float] = MappingProxyType({"hf": MIN_HF_S, "lf": MIN_SPECTRUM_S})
"""``breathwise hrv``'s shortest series per band, s (``band_min_s`` of
:func:`frequency_domain`): HF from about 1 min, LF (and LF/HF, total power and the normalised
units, which need it) from about 2 min, by docs/reference/physiology.md, each judged on the
length of the recording its beats can come from (:func:`series_length_s`: first to last beat
plus two intervals), so that a recording of 2 min (118.1 s from its first beat to its last)
counts as 2 min. Refusing every band under 120 s first to last, HF too,
would give a 2-minute recording none. The session report keeps
:data:`MIN_SPECTRUM_S` for every band (``band_min_s`` not given), so that no session's summary
moves."""

MIN_VLF_S = 300.0
"""Shortest stretch of beats, s (first to last beat), for which VLF power is reported (and
counted in the total). Task Force (1996), Eur Heart J 17:354, "Short-term recordings": "VLF
assessed from short-term recordings (e.g. <=5 min) is a dubious measure and should be avoided
when the PSD of short-term ECGs is interpreted". 300 s hold one period of the band's lower
edge (0.0033 Hz). A 5 min recording lasts its first interval less than 300 s from its first
beat to its last, so it gets no VLF either, as the "<=5 min" asks. The rule holds for every
estimator and setting, :meth:`WelchSettings.pyhrv` too (pyhrv itself reports VLF at any
length)."""

NO_POWER_MS2 = 1e-6
"""Band power, ms^2, at or below which a band has no power and so no peak frequency: a constant
series leaves only float rounding (~1e-26 ms^2), while 1 ms beat quantisation alone gives
~0.1 ms^2 (as :mod:`analysis.coherence`'s floor for a window without variability)."""


def _check_bands(bands: Bands, top_hz: float, top_name: str, remedy: str) -> None:
    """Refuse a band that is not ``0 <= low < high`` or whose upper edge lies above the highest
    frequency the estimate evaluates, ``top_hz``.

    Cut at the spectrum's end, a band's power is that of the part the spectrum holds, and its
    "peak" the last bin (without this, HF 0.15-1.0 Hz read 0.6 ms^2 by Lomb with its grid
    ending at 0.5 Hz, where Welch read 191 ms^2, with a peak at 0.498 Hz where there was none).
    """
    for band in bands:
        name, low, high = band
        if not (math.isfinite(low) and math.isfinite(high) and 0.0 <= low < high):
            raise ValueError(f"band {name!r} must have 0 <= low < high (Hz), got {band!r}")
        if high > top_hz:
            raise ValueError(
                f"band {name!r} reaches {high:g} Hz, above the {top_hz:g} Hz where the spectrum "
                f"ends ({top_name}): its power would be cut there; {remedy}"
            )


@dataclass(frozen=True, slots=True)
class WelchSettings:
    """Settings of the resampled-Welch estimate.

    Attributes
    ----------
    fs_hz : float
        Resampling rate of the NN series, Hz.
    interpolation : {"cubic", "linear"}
        Cubic: not-a-knot cubic spline through the beats; linear: straight segments.
    segment_s : float or None
        Welch segment length in seconds; ``None`` or longer than the series: one segment.
    overlap : float
        Fraction of a segment shared with the next; with ``cover_all`` the least overlap used.
    cover_all : bool
        Raise the overlap just enough for the segments to reach the end of the series. Welch's
        method with a fixed step leaves out a trailing partial segment (SciPy's ``welch``
        does): at 256 s segments and 50 % overlap the last 44 s of a 5 min session, or 88 s
        of 10 min, would never count. The overlap stays at least ``overlap``; what is left
        uncovered is under one sample per extra segment.
    window : str
        SciPy window name.
    detrend : {"linear", "constant"}
        Trend removed from each segment.
    nfft : int
        Minimum FFT length (raised to the segment length if shorter): sets the bin width.
    bands : tuple
        ``(name, low_hz, high_hz)`` triples.
    closed_bands : bool
        Include the upper band edge (pyhrv) instead of the half-open ``[low, high)``.
    max_gap_s : float
        Longest time between neighbouring beats, s, that the resampling may bridge; a longer
        gap between given beat times raises ``ValueError`` (:data:`MAX_GAP_S`). Reported as
        ``None`` in the settings of a spectrum of intervals given without times (no gaps).
    """

    fs_hz: float = 4.0
    interpolation: Literal["cubic", "linear"] = "cubic"
    segment_s: float | None = 256.0
    overlap: float = 0.5
    window: str = "hann"
    detrend: Literal["linear", "constant"] = "linear"
    nfft: int = 4096
    bands: Bands = TASK_FORCE_BANDS
    closed_bands: bool = False
    cover_all: bool = True
    max_gap_s: float = MAX_GAP_S

    def __post_init__(self) -> None:
        check_positive("fs_hz", self.fs_hz)
        if self.segment_s is not None:
            check_positive("segment_s", self.segment_s)
        check_fraction("overlap", self.overlap)
        check_positive("max_gap_s", self.max_gap_s, allow_inf=True)
        if self.interpolation not in ("cubic", "linear"):
            raise ValueError(f"unknown interpolation {self.interpolation!r}")
        if self.detrend not in ("linear", "constant"):
            raise ValueError(f"unknown detrend {self.detrend!r}")
        if not self.nfft >= 1:
            raise ValueError(f"nfft must be at least 1, got {self.nfft!r}")
        _check_bands(
            self.bands, self.fs_hz / 2.0, "fs_hz / 2", "raise fs_hz or lower the band's edge"
        )

    @classmethod
    def pyhrv(cls, duration_s: float) -> WelchSettings:
        """pyhrv 0.4 ``welch_psd`` defaults for a series lasting ``duration_s`` seconds."""
        return cls(
            fs_hz=4.0,
            interpolation="cubic",
            segment_s=75.0 if duration_s >= 300.0 else None,
            overlap=0.5,
            window="hamming",
            detrend="constant",
            nfft=4096,
            bands=(("vlf", 0.0, 0.04), ("lf", 0.04, 0.15), ("hf", 0.15, 0.4)),
            closed_bands=True,
            cover_all=False,  # pyhrv leaves the tail out, as SciPy does
        )


@dataclass(frozen=True, slots=True)
class LombSettings:
    """Settings of the Lomb-Scargle estimate.

    Attributes
    ----------
    df_hz : float
        Frequency grid step, Hz (the grid runs from ``df_hz`` to ``f_max_hz``).
    f_max_hz : float
        Highest frequency evaluated, Hz; every band must end at or below it.
    bands, closed_bands
        As in :class:`WelchSettings`.
    max_gap_s : float
        Time between neighbouring beats, s, above which they are apart across a gap (beats
        removed or lost, :data:`MAX_GAP_S`): its time is not counted in the covered time ``T``
        of the density's scaling (module docstring). Beat times are only given gaps with
        ``t_s``: intervals given alone cover their whole span.

    Raises
    ------
    ValueError
        On a grid step or top that is not a positive finite number, a top under one step, a
        ``max_gap_s`` that is not positive, or a band that is not ``0 <= low < high`` or
        reaches above ``f_max_hz`` (its power would be the part the grid holds, its peak the
        grid's last bin: widen ``f_max_hz``).
    """

    df_hz: float = 1.0 / 1024.0
    f_max_hz: float = 0.5
    bands: Bands = TASK_FORCE_BANDS
    closed_bands: bool = False
    max_gap_s: float = MAX_GAP_S

    def __post_init__(self) -> None:
        check_positive("df_hz", self.df_hz)
        check_positive("f_max_hz", self.f_max_hz)
        check_positive("max_gap_s", self.max_gap_s, allow_inf=True)
        if self.f_max_hz < self.df_hz:
            raise ValueError(
                f"f_max_hz ({self.f_max_hz!r}) must be at least one step, df_hz ({self.df_hz!r})"
            )
        _check_bands(
            self.bands, self.f_max_hz, "f_max_hz", "raise f_max_hz to the band's upper edge"
        )


@dataclass(frozen=True, slots=True)
class FrequencyDomain:
    """Frequency-domain HRV of one NN series.

    Attributes
    ----------
    powers_ms2 : dict
        Absolute power per band, ms^2; ``None`` for VLF when the series lasts under
        :data:`MIN_VLF_S`, for every band under ``min_duration_s`` (:func:`frequency_domain`).
    peaks_hz : dict
        Frequency of the largest density in each band, Hz (``None`` for an empty band, a band
        without power, :data:`NO_POWER_MS2`, or VLF not reported).
    total_ms2 : float or None
        Sum of the band powers reported, ms^2: VLF + LF + HF, or LF + HF when VLF is ``None``
        (``settings["total_power"]`` says which); ``None`` when no band is (a series under
        ``min_duration_s``, :func:`frequency_domain`).
    lf_hf : float or None
        LF / HF power ratio (``None`` when HF power is 0).
    lf_nu, hf_nu : float or None
        LF and HF in normalised units, ``100 * LF / (LF + HF)`` and likewise.
    settings : dict
        Every setting used (JSON-ready).
    freq_hz, psd_ms2_per_hz : ndarray
        The spectrum the values were read from.
    """

    powers_ms2: dict[str, float | None]
    peaks_hz: dict[str, float | None]
    total_ms2: float | None
    lf_hf: float | None
    lf_nu: float | None
    hf_nu: float | None
    settings: dict[str, Any] = field(default_factory=dict)
    freq_hz: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    psd_ms2_per_hz: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Values and settings as a JSON-ready dict (the spectrum itself left out)."""
        out: dict[str, Any] = {f"{k}_ms2": v for k, v in self.powers_ms2.items()}
        out.update({f"peak_{k}_hz": v for k, v in self.peaks_hz.items()})
        out.update(
            total_ms2=self.total_ms2,
            lf_hf=self.lf_hf,
            lf_nu=self.lf_nu,
            hf_nu=self.hf_nu,
            settings=self.settings,
        )
        return out


def beat_times_s(nn_ms: ArrayLike) -> FloatArray:
    """Time of the beat ending each interval, seconds from the beat before the first interval.

    Examples
    --------
    >>> beat_times_s([800.0, 810.0, 790.0]).tolist()
    [0.8, 1.61, 2.4]
    """
    return np.cumsum(np.asarray(nn_ms, dtype=np.float64)) / 1000.0


def checked_beats(t_s: ArrayLike, nn_ms: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Beat times and NN intervals as float arrays, or a ``ValueError`` saying what is wrong.

    The one input rule of the spectra (:func:`frequency_domain`) and the coherence
    (:mod:`analysis.coherence`, batch and streaming): a 1-D series of positive finite
    intervals, ms, one finite time per interval, s, strictly increasing.

    Parameters
    ----------
    t_s : array_like, shape (n,)
        Time of the beat ending each interval, s.
    nn_ms : array_like, shape (n,)
        NN intervals, ms.

    Returns
    -------
    (ndarray, ndarray)
        ``t_s`` and ``nn_ms`` as float64 arrays.

    Raises
    ------
    ValueError
        One line naming the first offending value.

    Examples
    --------
    >>> checked_beats([0.8, 1.6], [800.0, -800.0])
    Traceback (most recent call last):
    ...
    ValueError: nn_ms must hold positive finite intervals, got -800.0 at index 1
    """
    t = np.asarray(t_s, dtype=np.float64)
    nn = np.asarray(nn_ms, dtype=np.float64)
    if nn.ndim != 1 or t.shape != nn.shape:
        raise ValueError(
            f"t_s and nn_ms must be 1-D and of equal length, got shapes {t.shape} and {nn.shape}"
        )
    bad = np.flatnonzero(~(np.isfinite(nn) & (nn > 0.0)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"nn_ms must hold positive finite intervals, got {float(nn[i])} at index {i}"
        )
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise ValueError(
            f"t_s must hold finite times, got {float(t[bad[0]])} at index {int(bad[0])}"
        )
    bad = np.flatnonzero(np.diff(t) <= 0.0)
    if bad.size:
        i = int(bad[0]) + 1
        raise ValueError(
            f"t_s must increase, got {float(t[i])} s at index {i} after {float(t[i - 1])} s "
            "(analysis.hrv_frequency.ordered_beats puts beats in time order)"
        )
    return t, nn


def _validated(nn_ms: ArrayLike, t_s: ArrayLike | None) -> tuple[FloatArray, FloatArray]:
    nn = np.asarray(nn_ms, dtype=np.float64)
    if nn.ndim != 1 or nn.size < 4:
        raise ValueError("a spectrum needs a 1-D series of at least 4 NN intervals")
    t, nn = checked_beats(beat_times_s(nn) if t_s is None else t_s, nn)
    check_rr_units(nn, "nn_ms", unit_only=True)
    check_beat_time_units(t, nn, "t_s")
    return nn, t


def _check_gaps(t: FloatArray, max_gap_s: float) -> None:
    """Raise when neighbouring beats of ``t`` (s, increasing) lie over ``max_gap_s`` apart."""
    if t.size < 2:
        return
    gaps = np.diff(t)
    i = int(np.argmax(gaps))
    if gaps[i] > max_gap_s:
        raise ValueError(
            f"a gap of {gaps[i]:.1f} s without beats ({t[i]:.1f}-{t[i + 1]:.1f} s) is over the "
            f"{max_gap_s:g} s limit (max_gap_s; default MAX_GAP_S = {MAX_GAP_S:g} s): "
            "interpolating across it would invent slow power; use gap_free_frequency_domain "
            "(the longest stretch without a gap) or method='lomb'"
        )


def longest_gap_free(t_s: ArrayLike, max_gap_s: float = MAX_GAP_S) -> slice:
    """The longest run of beats with no gap over ``max_gap_s`` between neighbours.

    Parameters
    ----------
    t_s : array_like, shape (n,)
        Beat times, s, increasing.
    max_gap_s : float
        Longest allowed time between neighbouring beats, s.

    Returns
    -------
    slice
        Of ``t_s``: the whole series when it has no such gap; of equally long runs, the first.

    Examples
    --------
    >>> longest_gap_free([0.0, 1.0, 2.0, 30.0, 31.0])
    slice(0, 3, None)
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 2:
        return slice(0, t.size)
    cuts = np.flatnonzero(np.diff(t) > max_gap_s) + 1
    edges = np.r_[0, cuts, t.size]
    k = int(np.argmax(np.diff(edges)))
    return slice(int(edges[k]), int(edges[k + 1]))


def ordered_beats(t_s: ArrayLike, nn_ms: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Beats in time order, one NN value per beat time.

    The beat times of a corrected series (:meth:`analysis.rr_artifacts.CorrectionResult.
    nn_times_s`) come from a recording's clock, which may step back or repeat a time; a spline
    needs strictly increasing times, so the order is made stable and a beat within 1 us of the
    one before it is dropped.

    Parameters
    ----------
    t_s : array_like, shape (n,)
        Time of the beat ending each NN interval, s.
    nn_ms : array_like, shape (n,)
        NN intervals, ms.

    Returns
    -------
    (ndarray, ndarray)
        Times (s, strictly increasing) and their NN values (ms).

    Examples
    --------
    >>> t, nn = ordered_beats([0.8, 1.6, 1.6, 2.4], [800.0, 800.0, 790.0, 810.0])
    >>> t.tolist(), nn.tolist()
    ([0.8, 1.6, 2.4], [800.0, 800.0, 810.0])
    """
    t = np.asarray(t_s, dtype=np.float64)
    nn = np.asarray(nn_ms, dtype=np.float64)
    if t.shape != nn.shape or t.ndim != 1:
        raise ValueError("t_s and nn_ms must be 1-D and of equal length")
    order = np.argsort(t, kind="stable")
    t, nn = t[order], nn[order]
    keep = np.r_[True, np.diff(t) > 1e-6] if t.size else np.zeros(0, dtype=bool)
    return t[keep], nn[keep]


@dataclass(frozen=True)
class GapFreeSpectrum:
    """The spectrum of the longest stretch of beats without a gap, and which stretch that is.

    Attributes
    ----------
    spectrum : FrequencyDomain or None
        The frequency-domain metrics; ``None`` when the stretch is shorter than the minimum.
    start_s, end_s : float
        First and last beat of the stretch, s, on the clock of the given beat times (NaN for
        an empty series).
    n_beats : int
        Beats in the stretch.
    n_total : int
        Beats in the whole (ordered) series.
    """

    spectrum: FrequencyDomain | None
    start_s: float
    end_s: float
    n_beats: int
    n_total: int

    @property
    def whole(self) -> bool:
        """Whether the stretch is the whole series (no gap over the limit)."""
        return self.n_beats == self.n_total

    @property
    def duration_s(self) -> float:
        """Time from the stretch's first beat to its last, s."""
        return self.end_s - self.start_s if self.n_beats else 0.0


def gap_free_frequency_domain(
    nn_ms: ArrayLike,
    t_s: ArrayLike,
    *,
    min_duration_s: float = MIN_SPECTRUM_S,
    max_gap_s: float = MAX_GAP_S,
    method: Literal["welch", "lomb"] = "welch",
    welch_settings: WelchSettings | None = None,
    lomb_settings: LombSettings | None = None,
    band_min_s: Mapping[str, float] | None = None,
) -> GapFreeSpectrum:
    """Frequency-domain metrics of the longest stretch of beats with no gap over ``max_gap_s``.

    The one spectrum of a corrected NN series on its beat clock, for ``breathwise hrv``
    (:func:`analysis.hrv_report.analyse_rr`) and the session report
    (:func:`trainer.reports.session_analysis.heart_metrics`): beats in time order
    (:func:`ordered_beats`), the longest gap-free run (:func:`longest_gap_free`; a spline across a
    lost strap invents
    slow power, :data:`MAX_GAP_S`), then :func:`frequency_domain` on those beat times when the
    run lasts at least ``min_duration_s`` (a band needs about ten periods of its lower edge,
    Task Force 1996).

    Parameters
    ----------
    nn_ms : array_like
        NN intervals, ms.
    t_s : array_like
        Time of the beat ending each interval, s (the input's clock, not ``cumsum(nn_ms)``,
        which drifts by what correction changed).
    min_duration_s : float
        Shortest stretch, first to last beat, s, given a spectrum.
    max_gap_s : float
        Longest time between neighbouring beats a stretch may hold, s (it replaces
        ``welch_settings.max_gap_s``).
    method, welch_settings, lomb_settings, band_min_s
        As for :func:`frequency_domain`: with ``band_min_s`` the stretch is given a spectrum
        when it is long enough for one of those bands (:func:`series_length_s`).

    Returns
    -------
    GapFreeSpectrum
        The spectrum (or ``None``) and the stretch it covers.

    Raises
    ------
    ValueError
        On intervals or times :func:`checked_beats` refuses (after ordering), intervals whose
        median is no heart's in ms, or beat times in ms (:mod:`analysis.checks`).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.r_[np.arange(1, 201) * 0.8, 200.0 + np.arange(1, 101) * 0.8]  # a 40 s dropout
    >>> fd = gap_free_frequency_domain(np.full(t.size, 800.0), t)
    >>> fd.n_beats, fd.n_total, fd.whole, round(fd.duration_s, 1), fd.spectrum is None
    (200, 300, False, 159.2, False)
    """
    t, nn = checked_beats(*ordered_beats(t_s, nn_ms))
    # Judged over the whole series: beat times in ms leave no stretch long enough, and the
    # spectrum would be None for the length, not the unit.
    check_rr_units(nn, "nn_ms", unit_only=True)
    check_beat_time_units(t, nn, "t_s")
    n_total = int(t.size)
    run = longest_gap_free(t, max_gap_s)
    t, nn = t[run], nn[run]
    start, end = (float(t[0]), float(t[-1])) if t.size else (float("nan"), float("nan"))
    spectrum = None
    long_enough = end - start >= min_duration_s or (
        bool(band_min_s) and series_length_s(end - start, nn) >= min((band_min_s or {}).values())
    )
    if t.size >= 4 and long_enough:
        # The stretch has no gap over max_gap_s, so that is the gap the resampling may bridge.
        ws = replace(welch_settings or WelchSettings(), max_gap_s=max_gap_s)
        spectrum = frequency_domain(
            nn,
            t_s=t,
            method=method,
            welch_settings=ws,
            lomb_settings=lomb_settings,
            min_duration_s=min_duration_s,
            band_min_s=band_min_s,
        )
    return GapFreeSpectrum(spectrum, start, end, int(t.size), n_total)


def resample_nn(
    t_s: ArrayLike,
    nn_ms: ArrayLike,
    fs_hz: float,
    *,
    interpolation: Literal["cubic", "linear"] = "cubic",
    t_start_s: float | None = None,
    t_end_s: float | None = None,
    max_gap_s: float | None = MAX_GAP_S,
) -> tuple[FloatArray, FloatArray]:
    """Evenly resample an NN series given at its beat times.

    An interpolant across a gap in the beats invents a slow swing, so by default a gap over
    :data:`MAX_GAP_S` raises, as :func:`frequency_domain` refuses it; cut the series at its
    gaps first (:func:`longest_gap_free`), or pass a limit of your own. ``max_gap_s=None``
    bridges every gap: only for times whose gaps the caller has already checked
    (:mod:`analysis.resonance` resamples the midpoints of beats it checked, which may lie up to
    half an interval further apart than the beats; :func:`frequency_domain` without ``t_s``,
    where a long interval is a pause of the heart, not lost beats).

    Parameters
    ----------
    t_s : array_like
        Time of the beat ending each interval, s (increasing).
    nn_ms : array_like
        The intervals, ms.
    fs_hz : float
        Output sampling rate, Hz.
    interpolation : {"cubic", "linear"}
        Not-a-knot cubic spline (needs 4 beats) or linear interpolation.
    t_start_s, t_end_s : float, optional
        Grid span; defaults to the first and last beat. Outside the beats the end values are
        held (no spline extrapolation).
    max_gap_s : float or None
        Longest time between neighbouring beats, s, to interpolate across (default
        :data:`MAX_GAP_S`, 3 s); ``None``: no limit, the caller has checked the span it reads.

    Returns
    -------
    (grid_t_s, values_ms) : tuple of ndarray
        ``grid_t_s = t_start_s + k / fs_hz`` for every ``k`` with ``grid_t_s <= t_end_s``.

    Raises
    ------
    ValueError
        On a rate that is not a positive finite number (0 Hz gave a grid of one sample), or
        a gap between beats over ``max_gap_s``, naming it.

    Examples
    --------
    Five beats on a 4 Hz grid, linearly, and a 3.4 s gap the default refuses:

    >>> import numpy as np
    >>> grid_t_s, nn_ms = resample_nn(
    ...     [0.8, 1.6, 2.4, 3.2, 4.0], [800.0, 800.0, 810.0, 790.0, 800.0], 4.0,
    ...     interpolation="linear",
    ... )
    >>> grid_t_s.size, round(float(grid_t_s[1]), 2), [round(float(v), 1) for v in nn_ms[4:8]]
    (13, 1.05, [802.5, 805.6, 808.8, 806.2])
    >>> resample_nn([0.8, 1.6, 5.0, 5.8], [800.0, 800.0, 3400.0, 800.0], 4.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a gap of 3.4 s without beats (1.6-5.0 s) is over the 3 s limit ...
    """
    check_positive("fs_hz", fs_hz)
    t = np.asarray(t_s, dtype=np.float64)
    x = np.asarray(nn_ms, dtype=np.float64)
    if max_gap_s is not None:
        _check_gaps(t, max_gap_s)
    start = float(t[0]) if t_start_s is None else t_start_s
    end = float(t[-1]) if t_end_s is None else t_end_s
    n = int(np.floor((end - start) * fs_hz + 1e-9)) + 1
    grid = start + np.arange(max(n, 0)) / fs_hz
    inside = np.clip(grid, t[0], t[-1])
    if interpolation == "cubic" and t.size >= 4:
        values = CubicSpline(t, x)(inside)
    else:
        values = np.interp(inside, t, x)
    return grid, np.asarray(values, dtype=np.float64)


def band_power(
    freq_hz: FloatArray,
    psd: FloatArray,
    low_hz: float,
    high_hz: float,
    *,
    closed: bool = False,
    no_power: float = NO_POWER_MS2,
) -> tuple[float, float | None]:
    """Power in ``[low, high)`` (or ``[low, high]``) by the rectangle rule, and its peak frequency.

    Parameters
    ----------
    freq_hz, psd : ndarray
        Evenly spaced frequencies, Hz, and the density at each (e.g. ms^2/Hz).
    low_hz, high_hz : float
        Band edges, Hz.
    closed : bool
        Include ``high_hz``.
    no_power : float
        Power (the density's unit times Hz) at or below which the band has none, so no peak
        (:data:`NO_POWER_MS2` for ms^2): the largest of all-equal values would otherwise name
        the band's first bin.

    Returns
    -------
    (power, peak_hz) : tuple
        Power in the density's unit times Hz; ``peak_hz`` is ``None`` for an empty band or one
        without power.

    Examples
    --------
    >>> f = np.arange(0, 0.5, 0.01)
    >>> band_power(f, np.zeros(f.size), 0.04, 0.15)
    (0.0, None)
    """
    df = float(freq_hz[1] - freq_hz[0]) if freq_hz.size > 1 else 0.0
    upper = freq_hz <= high_hz if closed else freq_hz < high_hz
    sel = (freq_hz >= low_hz) & upper
    if not sel.any():
        return 0.0, None
    band = psd[sel]
    power = float(band.sum() * df)
    if not power > no_power:
        return power, None
    return power, float(freq_hz[sel][int(np.argmax(band))])


def _linear_detrend(x: FloatArray) -> FloatArray:
    """Remove the least-squares line along the last axis (closed form, for Welch segments)."""
    n = x.shape[-1]
    k = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    centred = x - x.mean(axis=-1, keepdims=True)
    denom = float(k @ k) or 1.0
    slope = (centred @ k) / denom
    return np.asarray(centred - np.multiply.outer(slope, k), dtype=np.float64)


def series_length_s(duration_s: float, nn_ms: ArrayLike) -> float:
    """The length of the recording a series of beats can come from, s: from its first beat to
    its last, plus two mean NN intervals.

    A recording of ``L`` s holds its first beat up to one interval after its start and its last
    up to one interval before its end, so its beats span as little as ``L`` less two intervals:
    the first 2 min of NeuroKit2's 8 min resting ECG span 118.1 s from the first beat to the
    last (119.2 s of intervals), and were refused every band under 120 s. Beats
    that span ``duration_s`` may come from a recording this long; the band minimums
    (:data:`BAND_MIN_S`, "about 1 min", "about 2 min") are judged on it, lenient by at most
    two beats.

    Examples
    --------
    >>> round(series_length_s(118.1, [950.0, 1050.0]), 1)
    120.1
    """
    nn = np.asarray(nn_ms, dtype=np.float64)
    return duration_s + (2.0 * float(nn.mean()) / 1000.0 if nn.size else 0.0)


def _summarise(
    freq: FloatArray,
    psd: FloatArray,
    bands: Bands,
    closed: bool,
    settings: dict[str, Any],
    min_duration_s: float,
    band_min_s: Mapping[str, float] | None = None,
    length_s: float | None = None,
) -> FrequencyDomain:
    powers: dict[str, float | None] = {}
    peaks: dict[str, float | None] = {}
    duration = settings["duration_s"]
    minimums = band_min_s or {}
    length = duration if length_s is None else length_s

    def too_short_for(name: str) -> bool:
        return length < minimums[name] if name in minimums else duration < min_duration_s

    too_short = all(too_short_for(name) for name, _, _ in bands)
    short = duration < MIN_VLF_S
    for name, lo, hi in bands:
        if too_short_for(name) or (name == "vlf" and short):
            powers[name], peaks[name] = None, None
        else:
            powers[name], peaks[name] = band_power(freq, psd, lo, hi, closed=closed)
    reported = [name for name, value in powers.items() if value is not None]
    lf, hf = powers.get("lf"), powers.get("hf")
    # Without LF (HF alone from a short series) there is no total, ratio or normalised unit:
    # HF alone would read as the total and as 100 nu.
    partial = "lf" in powers and "hf" in powers and (lf is None) != (hf is None)
    total = float(sum(powers[name] or 0.0 for name in reported)) if reported else None
    if partial:
        total = None
    lf_hf = lf / hf if lf is not None and hf else None
    both = (lf or 0.0) + (hf or 0.0)
    lf_nu = 100.0 * lf / both if lf is not None and hf is not None and both > 0 else None
    hf_nu = 100.0 * hf / both if hf is not None and lf is not None and both > 0 else None
    settings = {**settings, "bands_hz": {n: [lo, hi] for n, lo, hi in bands}}
    settings["band_edges"] = "[low, high]" if closed else "[low, high)"
    settings["band_power"] = "sum(psd) * df (rectangle rule)"
    settings["min_vlf_duration_s"] = MIN_VLF_S
    if band_min_s is not None:
        settings["band_min_s"] = dict(band_min_s)
        settings["length_s"] = length
        settings["length"] = (
            "first beat to last plus two mean NN intervals (the recording these beats can "
            "come from), which band_min_s is judged on"
        )
    if partial:
        missing = "lf" if lf is None else "hf"
        settings["total_power"] = (
            f"none ({missing.upper()} not reported: a recording of these beats lasts "
            f"{length:.1f} s, under band_min_s[{missing!r}] = {minimums[missing]:g} s)"
        )
    elif too_short and band_min_s is not None:
        settings["total_power"] = (
            f"none (no band reported: a recording of these beats lasts {length:.1f} s, "
            "under every band's band_min_s)"
        )
    elif too_short:
        settings["min_duration_s"] = min_duration_s
        settings["total_power"] = (
            f"none (no band reported: the series lasts {duration:.1f} s from its first beat to "
            f"its last, under min_duration_s = {min_duration_s:g} s, MIN_SPECTRUM_S)"
        )
    else:
        settings["total_power"] = " + ".join(reported) + (
            f" (VLF not reported: under {MIN_VLF_S:g} s, Task Force 1996)"
            if len(reported) < len(powers)
            else ""
        )
    return FrequencyDomain(powers, peaks, total, lf_hf, lf_nu, hf_nu, settings, freq, psd)


def frequency_domain(
    nn_ms: ArrayLike,
    *,
    t_s: ArrayLike | None = None,
    method: Literal["welch", "lomb"] = "welch",
    welch_settings: WelchSettings | None = None,
    lomb_settings: LombSettings | None = None,
    min_duration_s: float = MIN_SPECTRUM_S,
    band_min_s: Mapping[str, float] | None = None,
) -> FrequencyDomain:
    """VLF/LF/HF powers, LF/HF, normalised units and peak frequencies of an NN series.

    Parameters
    ----------
    nn_ms : array_like
        NN intervals, ms (at least 4).
    t_s : array_like, optional
        Time of the beat ending each interval, s; by default the cumulative sum of ``nn_ms``.
        Give it when intervals were removed, so that each value keeps its own beat time.
        Welch resamples the series, and a spline across a gap invents slow power, so with
        ``t_s`` it raises on a gap over ``welch_settings.max_gap_s`` (:data:`MAX_GAP_S`): for a
        series with gaps take :func:`gap_free_frequency_domain` (its longest stretch without
        one), or ``method="lomb"``, which needs no resampling and accepts gaps. Without
        ``t_s`` the series has no gaps (each beat ends its interval), so a long interval (e.g.
        a 3.5 s pause in uncorrected RR) is analysed as it is.
    method : {"welch", "lomb"}
        Estimator (module docstring).
    welch_settings, lomb_settings : optional
        Settings of the chosen estimator; defaults when omitted.
    min_duration_s : float, optional
        Shortest series, s from its first beat to its last, whose band powers are reported
        (:data:`MIN_SPECTRUM_S`, 120 s: below it the LF band holds under five periods of its
        lower edge). A shorter series gets every band ``None`` (as VLF under
        :data:`MIN_VLF_S`), ``total_ms2`` ``None`` and ``settings["total_power"]`` saying why;
        the spectrum itself is still returned. Without this, five intervals (3.2 s) got an
        LF/HF of 0.30 and "peaks" from a zero-padded 13-sample FFT while VLF was withheld.
        ``0`` reports every band at any length.
    band_min_s : dict of str to float, optional
        Shortest series, s, for each band named (``breathwise hrv``'s :data:`BAND_MIN_S`: HF
        from 60 s, LF from 120 s), judged on the length of the recording the beats can come
        from (:func:`series_length_s`); the bands not named follow ``min_duration_s``, VLF
        :data:`MIN_VLF_S` too. With LF or HF not reported, ``total_ms2``, ``lf_hf`` and the
        normalised units are ``None``. Default: every band follows ``min_duration_s``.

    Returns
    -------
    FrequencyDomain
        Values, settings and the spectrum.

    Raises
    ------
    ValueError
        On fewer than 4 intervals, bad values, non-increasing times, an unknown method,
        intervals whose median is no heart's in ms or beat times spaced about 1000 times their
        intervals (units: :mod:`analysis.checks`), (Welch, ``t_s`` given) a gap between
        beats over ``welch_settings.max_gap_s``, or (Lomb, ``t_s`` given) no two neighbouring
        beats within ``lomb_settings.max_gap_s``. Settings whose band reaches past the
        spectrum's end are refused when built (:class:`WelchSettings`, :class:`LombSettings`).

    Examples
    --------
    Breathing at 6/min puts the heart rhythm's power in the LF band, at 0.1 Hz:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> fd = frequency_domain(rr_ms, t_s=np.cumsum(rr_ms) / 1000.0)
    >>> round(fd.peaks_hz["lf"], 2), round(fd.lf_nu)
    (0.1, 100)
    """
    nn, t = _validated(nn_ms, t_s)
    if not min_duration_s >= 0.0:
        raise ValueError(f"min_duration_s must be a number >= 0, got {min_duration_s!r}")
    duration_s = float(t[-1] - t[0])
    if method == "welch":
        ws = welch_settings or WelchSettings()
        # Beats lie apart by more than their own interval only where intervals were removed,
        # which only given times can show: without them a long interval (a pause) is data.
        max_gap_s = None if t_s is None else ws.max_gap_s
        _, x = resample_nn(t, nn, ws.fs_hz, interpolation=ws.interpolation, max_gap_s=max_gap_s)
        x = x - x.mean()
        n = x.size
        # One segment when the series is shorter than a segment (or none was asked for).
        seg = n if ws.segment_s is None else round(ws.segment_s * ws.fs_hz)
        nperseg = min(n, max(8, seg))
        noverlap = min(round(ws.overlap * nperseg), nperseg - 1)
        if ws.cover_all and n > nperseg:
            # As many segments as the nominal step needs to reach the end, then the largest
            # whole-sample step that fits them in.
            n_segments = -(-(n - nperseg) // (nperseg - noverlap)) + 1
            noverlap = nperseg - (n - nperseg) // (n_segments - 1)
        n_segments = 1 if n <= nperseg else (n - nperseg) // (nperseg - noverlap) + 1
        analysed = (n_segments - 1) * (nperseg - noverlap) + nperseg
        nfft = max(ws.nfft, nperseg)
        freq, psd = welch(
            x,
            fs=ws.fs_hz,
            window=ws.window,
            nperseg=nperseg,
            noverlap=noverlap,
            nfft=nfft,
            # SciPy's "linear" detrend solves a least-squares problem per segment; the closed
            # form gives the same line several times faster.
            detrend=_linear_detrend if ws.detrend == "linear" else ws.detrend,
            scaling="density",
        )
        settings: dict[str, Any] = {
            "method": "welch",
            "resampling_hz": ws.fs_hz,
            "interpolation": ws.interpolation,
            "max_gap_s": max_gap_s,
            "segment_s": nperseg / ws.fs_hz,
            "overlap": noverlap / nperseg,
            "window": ws.window,
            "detrend": f"mean of the series, then {ws.detrend} per segment",
            "nfft": nfft,
            "df_hz": ws.fs_hz / nfft,
            "n_samples": n,
            "n_segments": n_segments,
            "analysed_s": min(n, analysed) / ws.fs_hz,
            "duration_s": duration_s,
        }
        return _summarise(
            np.asarray(freq, dtype=np.float64),
            np.asarray(psd, dtype=np.float64),
            ws.bands,
            ws.closed_bands,
            settings,
            min_duration_s,
            band_min_s,
            series_length_s(duration_s, nn),
        )
    if method == "lomb":
        ls = lomb_settings or LombSettings()
        freq = np.arange(1, int(np.floor(ls.f_max_hz / ls.df_hz)) + 1, dtype=np.float64) * ls.df_hz
        y = nn - nn.mean()
        p = lombscargle(t, y, 2.0 * np.pi * freq, normalize=False)
        # Scaled to a one-sided density: a sinusoid of amplitude A gives P = A^2 N / 4, and its
        # power spreads over 1 / T of frequency, T the time the N beats sample it (a span with
        # a hole has N of the covered time only, so the span would inflate it by span /
        # covered); 2 P T / N then integrates to its variance A^2 / 2. Without t_s every
        # interval ends at the next beat: no gaps, the span is covered.
        steps = np.diff(t)
        max_gap_s = None if t_s is None else ls.max_gap_s
        covered_s = duration_s if max_gap_s is None else float(steps[steps <= max_gap_s].sum())
        if not covered_s > 0.0:
            raise ValueError(
                f"no two neighbouring beats lie within max_gap_s = {ls.max_gap_s:g} s of each "
                "other: the beats cover no time to scale the Lomb-Scargle density by"
            )
        psd = 2.0 * np.asarray(p, dtype=np.float64) * covered_s / nn.size
        settings = {
            "method": "lomb",
            "df_hz": ls.df_hz,
            "f_max_hz": ls.f_max_hz,
            "scaling": "2 * P * T / N (one-sided density, ms^2/Hz; T the covered time)",
            "detrend": "mean",
            "max_gap_s": max_gap_s,
            "covered_s": covered_s,
            "duration_s": duration_s,
        }
        return _summarise(
            freq,
            psd,
            ls.bands,
            ls.closed_bands,
            settings,
            min_duration_s,
            band_min_s,
            series_length_s(duration_s, nn),
        )
    raise ValueError(f"unknown method {method!r}")


@dataclass(frozen=True, slots=True)
class PeakPowerFraction:
    """The highest spectral peak of a band and its share of the power (:func:`peak_power_fraction`).

    Attributes
    ----------
    peak_hz : float or None
        Frequency of the highest bin in the peak band, Hz; ``None`` when the peak band has no
        power (as :func:`band_power`: the largest of all-equal values would name its first bin).
    peak_index : int or None
        Its index in the frequency grid; ``None`` with ``peak_hz``.
    peak_power : float
        Power within ``half_width_hz`` of it (inside the total band), the density's unit times
        Hz; 0 without a peak.
    total_power : float
        Power in the total band, same unit.
    fraction : float
        ``peak_power / total_power``, 0-1; 0 when the total power is 0 or there is no peak.
    """

    peak_hz: float | None
    peak_index: int | None
    peak_power: float
    total_power: float
    fraction: float


def peak_power_fraction(
    freq_hz: ArrayLike,
    psd: ArrayLike,
    peak_band_hz: tuple[float, float],
    half_width_hz: float,
    total_band_hz: tuple[float, float],
    *,
    no_power: float = NO_POWER_MS2,
) -> PeakPowerFraction | None:
    """Share of the power lying in a narrow window around the highest peak of a band.

    The peak-power measure of the coherence ratio (McCraty, Atkinson, Tomasino & Bradley 2006,
    "The coherent heart", HeartMath Research Center publication 06-022, pp. 9-10): the highest
    bin of ``psd`` within ``peak_band_hz`` is the peak; the power within ``+-half_width_hz`` of
    it is the peak power, the power within ``total_band_hz`` the total, both by the rectangle
    rule (``sum(psd) * df``) over closed intervals, the peak window clipped to the total band.
    McCraty et al. use a 0.04-0.26 Hz peak band, a 0.030 Hz window (``half_width_hz`` 0.015)
    and a 0.0033-0.4 Hz total: every caller in :mod:`analysis` calls this function and states
    where its settings or spectrum differ (:mod:`analysis.coherence`, :mod:`analysis.resonance`,
    :mod:`analysis.rr_breath`).

    Parameters
    ----------
    freq_hz : array_like, shape (n,)
        Evenly spaced frequencies, Hz, increasing.
    psd : array_like, shape (n,)
        Power (spectral density or per-bin power) at each frequency.
    peak_band_hz : (float, float)
        Band searched for the peak, Hz, closed.
    half_width_hz : float
        Half-width of the peak window, Hz.
    total_band_hz : (float, float)
        Band of the total power, Hz, closed.
    no_power : float
        Power in the peak band (the density's unit times Hz) at or below which it has no peak,
        the rule of :func:`band_power` (:data:`NO_POWER_MS2` for ms^2/Hz); give the floor of
        another unit.

    Returns
    -------
    PeakPowerFraction or None
        ``None`` when no frequency lies in the peak band; ``peak_hz`` ``None`` (and the fraction
        0) when the band has no power.

    Examples
    --------
    >>> f = np.arange(0, 0.5, 0.01)
    >>> pf = peak_power_fraction(f, np.zeros(f.size), (0.04, 0.26), 0.015, (0.0033, 0.4))
    >>> pf.peak_hz, pf.fraction
    (None, 0.0)
    """
    freq = np.asarray(freq_hz, dtype=np.float64)
    power = np.asarray(psd, dtype=np.float64)
    in_band = np.flatnonzero((freq >= peak_band_hz[0]) & (freq <= peak_band_hz[1]))
    if in_band.size == 0:
        return None
    df = float(freq[1] - freq[0]) if freq.size > 1 else 0.0
    in_total = (freq >= total_band_hz[0]) & (freq <= total_band_hz[1])
    total = float(power[in_total].sum() * df)
    _, peak_hz = band_power(freq, power, *peak_band_hz, closed=True, no_power=no_power)
    if peak_hz is None:
        return PeakPowerFraction(None, None, 0.0, total, 0.0)
    top = int(np.searchsorted(freq, peak_hz))
    in_peak = in_total & (np.abs(freq - peak_hz) <= half_width_hz)
    peak = float(power[in_peak].sum() * df)
    return PeakPowerFraction(peak_hz, top, peak, total, peak / total if total > 0.0 else 0.0)
