"""R peaks of an ECG, and the one delay that puts RR-derived beat times on them.

An imported Polar logger file times its beats by the running sum of the strap's RR plus one
offset, the least delay between a beat and the row that logged it
(:func:`trainer.storage.imports.strap_beats.strap_beat_times`): rows are stamped when the
notification reaches the phone, so that offset still holds the strap's and phone's reporting delay
(0.94 s on a real H10 file). The same file's
ECG samples carry the sensor's own times, on the same clock, so its R peaks say where the beats
really were. This module finds them (:func:`detect_r_peaks`) and estimates the single delay
between the beats and their R peaks (:func:`estimate_beat_delay`); the importer moves every beat
back by it, which keeps the running-sum structure and so every RR interval.

R-peak detector
---------------
Pan & Tompkins (1985), "A real-time QRS detection algorithm", IEEE Trans. Biomed. Eng. 32(3):
230-236, offline and zero-phase: band-pass 5-15 Hz (the QRS band), derivative, square,
moving-window integration over 150 ms; a QRS is a peak of that envelope above a fraction of the
envelope's loud level in its neighbourhood, at least 200 ms (the refractory period) from a
louder one. The loud level is the 98th percentile of the envelope per 10 s block, capped at twice
the block's typical beat (the median of its 2 s maxima), so that one motion spike does not set
it (:func:`_loud_level`). The R peak is the extreme sample of the ECG, high-passed at 0.5 Hz
against baseline wander, within 75 ms of the envelope peak, on the side (up or down) most QRS
swing to: a chest strap's R wave is upward, an inverted electrode puts it downward, and a
ventricular beat's largest deflection may be either, so one polarity for the whole recording
keeps the fiducial point the same wave. Zero-phase filtering (``sosfiltfilt``) is what makes
the peak times usable for timing: a causal filter would delay them by its group delay.

An envelope that is not spiky (a sine, noise, a flat line) holds no QRS: the detector returns
no peaks when the median peak of the envelope is less than :data:`MIN_QRS_CONTRAST` times its
median level. Measured on this envelope: 7-150 for the real ECGs in ``../shared/data`` (H10
chest strap 34, NeuroKit2 files 16-131, MIT-BIH 74-147, an ICU MCL1 lead 7); white noise,
brown noise and sines 1.6-1.9.

A fast heart fails that test: each QRS raises the envelope for about its own width plus the
integration window (~0.25 s), so from 120 beats/min on (RR 0.5 s, :data:`FAST_RR_S`) the
median falls on the QRS themselves, and a clean ECG read 6.7 at 140/min, 3.0 at 160 and 1.5-1.8
at 220 (NeuroKit2 ``ecg_simulate``, 130 Hz; without this, no peak at all from 160/min, 150
with ``ecgsyn``). Such a recording is taken for an ECG when its envelope peaks come at most
:data:`FAST_RR_S` apart and

* regularly: at least :data:`MIN_REGULAR_SHARE` of the intervals between them lie within
  :data:`REGULAR_TOLERANCE` of their median (ECGs at 120-220/min 0.99-1.0; white, brown,
  Laplace and Student-t noise, 20 seeds each, at most 0.50: the refractory period spaces noise
  peaks, it does not make them regular);
* spikily against the envelope between them: the median peak is at least
  :data:`MIN_QRS_CONTRAST` times the median of the envelope's minima between neighbouring
  peaks (ECGs at 140-220/min 5.6-1100, with white noise of 10 % of the R wave 5.6-104; noise
  2.9-6.4);
* with its power in the QRS band: at least :data:`MIN_QRS_BAND_SHARE` of the band-passed
  signal's power lies within :data:`QRS_BAND_HZ` (ECGs 0.94-0.98, noise 0.93-0.95; a sine of
  0.5-4 Hz, regular and spiky after the envelope's squaring, 0.00: the filter's skirt passes
  it, it has no QRS).

Only a recording that fails the first test is put to these; a fast irregular rhythm (atrial
fibrillation at a fast rate) still finds no peaks.

Accuracy, measured against NeuroKit2 0.3.0's ``ecg_peaks(ecg_clean(...))`` at each file's own
rate (a peak agrees when one of the other's lies within 50 ms; "missed" counts NeuroKit2's peaks
with none of ours, "extra" ours with none of NeuroKit2's), and for MIT-BIH also against the
annotated beats (within 75 ms):

===============================  =====  =====  ======  ===========================================
recording                        ours   NK2    agree   notes
===============================  =====  =====  ======  ===========================================
NeuroKit2 resting 8 min, 100 Hz    478    478  100 %   0 missed, 0 extra
NeuroKit2 event-related, 100 Hz    152    152  100 %   0 missed, 0 extra
NeuroKit2 resting 5 min, 100 Hz    440    431  97.1 %  4 missed, 13 extra, all on stretches of
                                                       muscle noise (92-93, 217-232, 295-299 s)
Polar H10, 130 Hz                  801    808  99.9 %  8 missed, 1 extra; 99.9 % within 20 ms
MIT-BIH 100, 360 Hz               2273   2270  99.9 %  annotated beats: 100 % found, 0 extra
MIT-BIH 106, 360 Hz               2022   2031  99.1 %  annotated: 99.65 % found, 2 extra (NK2: 99.75
                                                       %, 9 extra)
MIT-BIH 119, 360 Hz               1988   1988  100 %   annotated: 100 % found, 1 extra
mixedsignals II, III, ~250 Hz      391    390  97.2 %  11 of ours lie 92-120 ms from NK2's; the
                                                       file has 1024 NaN samples (we leave them out)
mixedsignals V                     392    389  96.4 %  ours lie a constant 44 ms after NK2's
ICU 03700181 MCL1, 500 Hz         1226      8  --      NK2 finds 8; the ABP has 1223 pulses
===============================  =====  =====  ======  ===========================================

MIT-BIH 100, 106 and 119 resampled to the H10's 130 Hz give the same counts to within one beat.
Before the level was capped, a 1 mV motion spike at 257.8 s of the 5-min file (about 8 R waves)
set the level of its two blocks, and 19 beats in a row (250.5-269.3 s) went missing: 417 peaks,
30 missed, 16 extra, longest RR 9.04 s; two peaks 50 ms apart (295.24/295.29 s), now one as the
refractory period also holds between R peaks (:func:`_refractory`).

Delay estimate
--------------
A beat cannot be reported before its R peak, and a logger's delay stays below 2 s
(:data:`MAX_DELAY_S`), so the delay lies in ``[0, MAX_DELAY_S]``. Matching each beat to its
nearest R peak would not work: a 0.94 s delay is longer than many RR intervals, so the nearest
peak is often the next beat's. Instead every beat-minus-R-peak difference in that range votes,
and the delay is the one with most differences within :data:`MATCH_TOL_S` of it: at the true
delay every beat has a peak there; at a delay one beat off, only the beats whose RR equals the
next one's to within the tolerance do. The estimate is then the median of the matched beats'
differences, and it is used only if enough beats match, tightly, and unambiguously (see
:func:`estimate_beat_delay`); otherwise the reason is returned in one line.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.signal

from analysis.filters import bandpass_sos

__all__ = [
    "FAST_RR_S",
    "MATCH_TOL_S",
    "MAX_DELAY_S",
    "MAX_MAD_S",
    "MAX_RUNNER_UP_SHARE",
    "MIN_MATCHED",
    "MIN_MATCHED_SHARE",
    "MIN_QRS_BAND_SHARE",
    "MIN_QRS_CONTRAST",
    "MIN_REGULAR_SHARE",
    "REGULAR_TOLERANCE",
    "BeatDelay",
    "detect_r_peaks",
    "estimate_beat_delay",
]

FloatArray = npt.NDArray[np.float64]

QRS_BAND_HZ = (5.0, 15.0)
"""Pass band of the QRS enhancer, Hz (Pan & Tompkins 1985: 5-15 Hz holds most QRS energy)."""
INTEGRATION_S = 0.150
"""Moving-window integration, s (Pan & Tompkins 1985: about the widest normal QRS)."""
REFRACTORY_S = 0.200
"""Least time between two QRS, s (Pan & Tompkins 1985; 300 bpm, beyond any heart at rest)."""
THRESHOLD_FRACTION = 0.2
"""A QRS's envelope peak must reach this fraction of the loud level around it: well below a
normal beat (0.5-1 of the level on the H10 file, where ventricular beats are louder)."""
LEVEL_WINDOW_S = 10.0
"""Span, s, over which the loud level (the 98th percentile of the envelope) is taken: several
beats, and short enough to follow a change of electrode contact."""
BEAT_WINDOW_S = 2.0
"""Sub-window, s, whose envelope maximum is one sample of a block's typical beat: long enough
to hold a beat down to 30 beats/min, so the maximum is a QRS's, not a T wave's."""
LEVEL_CAP = 2.0
"""Most the loud level may exceed a block's typical beat (see :func:`_loud_level`): the 98th
percentile is 0.87-1.82 times the typical beat in every 10 s block of the ECGs in
``../shared/data`` apart from 6.1 and 6.8 in the two blocks holding a motion spike on
NeuroKit2's 5-min resting ECG, so the cap changes only those."""
R_SEARCH_S = 0.075
"""Half-width, s, around an envelope peak searched for the R peak (half the widest QRS)."""
BASELINE_HZ = 0.5
"""High-pass edge against baseline wander before the R peak is located, Hz (below any heart
rate's fundamental; NeuroKit2's ``ecg_clean`` uses the same)."""
MIN_QRS_CONTRAST = 4.0
"""Least ratio of the median envelope peak to the median envelope for the signal to count as
an ECG (see the module notes)."""
FAST_RR_S = 0.5
"""Longest median interval, s, between envelope peaks (120 beats/min) for which the fast-rhythm
test replaces the median contrast (see the module notes)."""
REGULAR_TOLERANCE = 0.2
"""Relative distance from the median interval within which an interval between envelope peaks
counts as regular."""
MIN_REGULAR_SHARE = 0.8
"""Least share of regular intervals for a fast rhythm to count as a heart's: leaves room for
one ectopic beat in ten (two irregular intervals each)."""
MIN_QRS_BAND_SHARE = 0.5
"""Least share of the band-passed signal's power that lies within :data:`QRS_BAND_HZ` for a
fast rhythm to count as QRS (Welch estimate, 4 s Hann segments)."""
MIN_SEGMENT_S = 2.0
"""Shortest stretch of ECG without a hole that is searched, s (two beats at 60 bpm)."""
HOLE_S = 0.25
"""A gap between ECG samples longer than this, s, is a hole: the stretches on either side are
filtered apart, and no beat within it counts as unmatched."""
MAX_DELAY_S = 2.0
"""Longest delay, s, between an R peak and its beat that is searched: a logger's reporting
delay is up to about 2 s."""
MATCH_TOL_S = 0.030
"""A beat matches an R peak when its difference is this close to the delay, s: the strap's RR
agree with the ECG's to 6 ms (95th percentile; docs/validation/hrv.md, section 6), plus the
ECG's 7.7 ms sample and a ventricular beat's fiducial point moving within a wide QRS."""
MIN_MATCHED = 20
"""Fewest matched beats for a delay to be used."""
MIN_MATCHED_SHARE = 0.8
"""Least share of the beats inside the ECG that must match."""
MAX_MAD_S = 0.020
"""Largest median absolute deviation, s, of the matched beats' differences."""
MAX_RUNNER_UP_SHARE = 0.5
"""The best other delay (one beat or more away) may gather at most this share of the chosen
one's votes; more, and the rhythm is too regular to tell one beat from the next."""


@dataclass(frozen=True, slots=True)
class BeatDelay:
    """How late RR-derived beats sit after their ECG's R peaks.

    Attributes
    ----------
    delay_s : float or None
        The delay, s (beat minus R peak, >= 0), or None when it could not be trusted.
    reason : str
        Why ``delay_s`` is None (one line), or ``""``.
    matched : int
        Beats matched to an R peak.
    considered : int
        Beats inside the ECG (those that could match).
    mad_s : float or None
        Median absolute deviation of the matched beats' differences, s.
    r_peaks : int
        R peaks found in the ECG.
    """

    delay_s: float | None
    reason: str
    matched: int
    considered: int
    mad_s: float | None
    r_peaks: int


def _segments(t_s: FloatArray) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges of ``t_s`` without a hole longer than :data:`HOLE_S`."""
    cuts = np.flatnonzero(np.diff(t_s) > HOLE_S) + 1
    bounds = [0, *cuts.tolist(), t_s.size]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _qrs_band(x: FloatArray, fs_hz: float) -> FloatArray:
    """``x`` band-passed to :data:`QRS_BAND_HZ`, zero-phase."""
    band: FloatArray = scipy.signal.sosfiltfilt(bandpass_sos(*QRS_BAND_HZ, fs_hz), x)
    return band


def _qrs_envelope(x: FloatArray, fs_hz: float) -> FloatArray:
    """Pan-Tompkins envelope: band-pass, derivative, square, moving-window integration."""
    return _envelope_of_band(_qrs_band(x, fs_hz), fs_hz)


def _envelope_of_band(band: FloatArray, fs_hz: float) -> FloatArray:
    """The envelope of :func:`_qrs_envelope` from the band-passed signal."""
    slope = np.gradient(band) * fs_hz
    width = max(1, round(INTEGRATION_S * fs_hz))
    # A centred window (mode="same") keeps the envelope's peak on the QRS, not width/2 after it.
    envelope: FloatArray = np.convolve(slope**2, np.ones(width) / width, mode="same")
    return envelope


def _loud_level(envelope: FloatArray, fs_hz: float) -> FloatArray:
    """Loud level of the envelope per :data:`LEVEL_WINDOW_S` block, per sample.

    The level is the 98th percentile of the block's envelope, capped at :data:`LEVEL_CAP` times
    the block's typical beat: the median, over the block's :data:`BEAT_WINDOW_S` sub-windows,
    of the envelope's maximum in each. That equals the 98th percentile of the envelope after
    capping its samples at that value. A motion spike a few times the R wave squares into an
    envelope tens of times the QRS; uncapped, it set the whole block's level and hid every
    normal QRS of it (19 beats in a row on NeuroKit2's 5-min resting ECG).
    The median of the sub-window maxima ignores up to half the sub-windows, so one or two
    artifacts in a block do not move it.
    """
    block = max(1, round(LEVEL_WINDOW_S * fs_hz))
    beat_window = max(1, round(BEAT_WINDOW_S * fs_hz))
    level = np.empty_like(envelope)
    for start in range(0, envelope.size, block):
        stop = min(start + block, envelope.size)
        # A short tail block takes the level of the whole last window instead of its own few
        # samples, which may hold no beat at all.
        lo = max(0, stop - block)
        window = envelope[lo:stop]
        parts = max(1, round(window.size / beat_window))
        typical = float(np.median([part.max() for part in np.array_split(window, parts)]))
        level[start:stop] = min(float(np.percentile(window, 98)), LEVEL_CAP * typical)
    return level


def detect_r_peaks(t_s: FloatArray, ecg: FloatArray) -> FloatArray:
    """R-peak times of an ECG (see the module notes for the method and its source).

    Parameters
    ----------
    t_s : ndarray of float
        Sample times, s, increasing; holes longer than :data:`HOLE_S` split the signal.
    ecg : ndarray of float
        The samples (any unit: only their shape matters), same length as ``t_s``.

    Returns
    -------
    ndarray of float
        R-peak times, s, increasing; empty when the signal holds no QRS (a flat line, noise, a
        signal that is not an ECG) or is shorter than :data:`MIN_SEGMENT_S`.

    Raises
    ------
    ValueError
        If ``t_s`` and ``ecg`` are not 1-D arrays of the same length (a shorter ``ecg`` raised
        IndexError).

    Examples
    --------
    A minute of a 130 Hz ECG reduced to its R waves (12 ms wide) at beats 800 +- 50 ms apart:
    every R peak is found, within 5 ms:

    >>> import numpy as np
    >>> t_s = np.arange(0.0, 60.0, 1.0 / 130.0)
    >>> rr_s = 0.8 + 0.05 * np.random.default_rng(0).standard_normal(80)
    >>> r_s = 0.5 + np.concatenate([[0.0], np.cumsum(rr_s)])
    >>> r_s = r_s[r_s < 59.5]
    >>> ecg = np.exp(-0.5 * ((t_s[:, None] - r_s[None, :]) / 0.012) ** 2).sum(axis=1)
    >>> peaks_s = detect_r_peaks(t_s, ecg)
    >>> peaks_s.size == r_s.size, bool(np.max(np.abs(peaks_s - r_s)) < 0.005)
    (True, True)

    Notes
    -----
    A sample that is not finite (NaN where a logger lost one, as pandas reads an empty cell)
    is left out with its time, as ``breathwise import`` leaves such rows out: a lost sample or
    two shorten the signal there, a run of them longer than :data:`HOLE_S` is a hole that
    splits it. Filtered in, one NaN spread over its whole stretch and found no peak at all
    (0 of 801 R peaks in 10 minutes of H10 ECG).
    """
    t, x = _finite_samples(t_s, ecg)
    envelopes: list[tuple[int, int, float, FloatArray, FloatArray]] = []
    for a, b in _segments(t):
        span_s = float(t[b - 1] - t[a])
        if span_s < MIN_SEGMENT_S:
            continue
        fs_hz = (b - a - 1) / span_s
        if fs_hz <= 2 * QRS_BAND_HZ[1]:
            continue  # too slow to hold a QRS at all
        band = _qrs_band(x[a:b], fs_hz)
        envelopes.append((a, b, fs_hz, band, _envelope_of_band(band, fs_hz)))
    if not envelopes:
        return np.empty(0)
    whole = np.concatenate([env for *_, env in envelopes])
    floor = float(np.median(whole))
    peaks_all: list[npt.NDArray[np.int64]] = []
    heights: list[FloatArray] = []
    intervals: list[FloatArray] = []
    troughs: list[FloatArray] = []
    for a, b, fs_hz, _, envelope in envelopes:
        level = _loud_level(envelope, fs_hz)
        above = envelope >= THRESHOLD_FRACTION * level
        found, props = scipy.signal.find_peaks(
            np.where(above, envelope, 0.0),
            height=np.finfo(np.float64).tiny,
            distance=max(1, round(REFRACTORY_S * fs_hz)),
        )
        if found.size == 0:
            continue
        heights.append(props["peak_heights"])
        intervals.append(np.diff(found) / fs_hz)
        troughs.append(np.minimum.reduceat(envelope, found)[:-1])
        clean = x[a:b] - scipy.signal.sosfiltfilt(
            scipy.signal.butter(2, BASELINE_HZ, btype="lowpass", fs=fs_hz, output="sos"), x[a:b]
        )
        half = max(1, round(R_SEARCH_S * fs_hz))
        windows = np.clip(found[:, None] + np.arange(-half, half + 1)[None, :], 0, b - a - 1)
        r_index = _r_positions(clean, windows)
        keep = _refractory(r_index, props["peak_heights"], round(REFRACTORY_S * fs_hz))
        peaks_all.append(r_index[keep] + a)
    if not heights:
        return np.empty(0)
    # No spiky envelope, no QRS: noise and sines have peaks barely above their median level.
    peak = float(np.median(np.concatenate(heights)))
    if floor <= 0.0:
        return np.empty(0)
    if peak < MIN_QRS_CONTRAST * floor and not _fast_qrs_train(
        peak, np.concatenate(intervals), np.concatenate(troughs), envelopes
    ):
        return np.empty(0)
    index = np.concatenate(peaks_all)
    return np.unique(t[index])


def _fast_qrs_train(
    peak: float,
    intervals_s: FloatArray,
    troughs: FloatArray,
    envelopes: list[tuple[int, int, float, FloatArray, FloatArray]],
) -> bool:
    """Whether envelope peaks too dense for the median contrast are a fast heart's QRS.

    Parameters
    ----------
    peak : float
        Median envelope peak.
    intervals_s : ndarray of float
        Times between neighbouring envelope peaks, s.
    troughs : ndarray of float
        The envelope's minimum between each pair of neighbouring peaks.
    envelopes : list of tuple
        ``(start, stop, fs_hz, band, envelope)`` per stretch searched.

    Returns
    -------
    bool
        True when the peaks come at most :data:`FAST_RR_S` apart (median), regularly, spikily
        against the envelope between them, and the band-passed power lies in the QRS band (the
        module notes give the three tests and the values they separate).
    """
    if intervals_s.size < 2:
        return False
    median_s = float(np.median(intervals_s))
    if median_s > FAST_RR_S:
        return False
    regular = np.abs(intervals_s - median_s) <= REGULAR_TOLERANCE * median_s
    if float(np.mean(regular)) < MIN_REGULAR_SHARE:
        return False
    trough = float(np.median(troughs))
    if not peak >= MIN_QRS_CONTRAST * trough:
        return False
    in_band = total = 0.0
    for _, _, fs_hz, band, _ in envelopes:
        freq, power = scipy.signal.welch(band, fs=fs_hz, nperseg=min(band.size, round(4 * fs_hz)))
        in_band += float(power[(freq >= QRS_BAND_HZ[0]) & (freq <= QRS_BAND_HZ[1])].sum())
        total += float(power.sum())
    return total > 0.0 and in_band >= MIN_QRS_BAND_SHARE * total


def _finite_samples(t_s: FloatArray, ecg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The samples of ``ecg`` and their times ``t_s`` where both are finite (the rule of
    :func:`detect_r_peaks`), or a ``ValueError`` for arrays not 1-D and of equal length."""
    t = np.asarray(t_s, dtype=np.float64)
    x = np.asarray(ecg, dtype=np.float64)
    if t.ndim != 1 or t.shape != x.shape:
        raise ValueError(
            f"ECG times and samples must be 1-D and of equal length, got shapes {t.shape} and "
            f"{x.shape}"
        )
    finite = np.isfinite(t) & np.isfinite(x)
    if finite.all():
        return t, x
    return t[finite], x[finite]


def _r_positions(clean: FloatArray, windows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Index of the R peak in each window: the extreme of the dominant polarity."""
    values = clean[windows]
    # Most QRS swing further up than down (upright R) or the reverse (inverted lead).
    upward = np.median(values.max(axis=1)) >= np.median(-values.min(axis=1))
    pick = values.argmax(axis=1) if upward else values.argmin(axis=1)
    out: npt.NDArray[np.int64] = windows[np.arange(windows.shape[0]), pick]
    return out


def _refractory(
    r_index: npt.NDArray[np.int64], heights: FloatArray, min_gap: int
) -> npt.NDArray[np.bool_]:
    """Which R peaks to keep so that none lies within ``min_gap`` samples of a kept one.

    Envelope peaks are at least the refractory period apart, but each R peak may move up to
    :data:`R_SEARCH_S` from its envelope peak, so two of them could land 50 ms apart on a
    noisy stretch (295.24 and 295.29 s on NeuroKit2's 5-min resting ECG): no
    heart beats twice in 50 ms. Of two such peaks the one with the louder envelope peak is
    kept, as the detector keeps the louder of two envelope peaks.

    Parameters
    ----------
    r_index : ndarray of int
        R-peak sample indices, increasing (the envelope peaks' order).
    heights : ndarray of float
        Each R peak's envelope-peak height.
    min_gap : int
        Least distance, samples, between two kept R peaks.

    Returns
    -------
    ndarray of bool
        True for the R peaks kept.
    """
    keep = np.ones(r_index.size, dtype=bool)
    last = -1
    for k in range(r_index.size):
        if last >= 0 and r_index[k] - r_index[last] < min_gap:
            loser = k if heights[k] <= heights[last] else last
            keep[loser] = False
            if loser == k:
                continue
        last = k
    return keep


def _covered(beat_s: FloatArray, ecg_t_s: FloatArray) -> npt.NDArray[np.bool_]:
    """Which times lie inside the ECG (not within :data:`HOLE_S` of its ends or a hole)."""
    inside = np.zeros(beat_s.size, dtype=bool)
    for a, b in _segments(ecg_t_s):
        inside |= (beat_s >= ecg_t_s[a] + HOLE_S) & (beat_s <= ecg_t_s[b - 1] - HOLE_S)
    return inside


def estimate_beat_delay(beat_t_s: FloatArray, ecg_t_s: FloatArray, ecg: FloatArray) -> BeatDelay:
    """The delay of RR-derived beats after the R peaks of an ECG on the same clock.

    Parameters
    ----------
    beat_t_s : ndarray of float
        Beat times, s (the running sum of the RR plus any offset), increasing.
    ecg_t_s : ndarray of float
        ECG sample times, s, on the same clock, increasing.
    ecg : ndarray of float
        ECG samples (any unit).

    Returns
    -------
    BeatDelay
        ``delay_s`` (beat minus R peak, within ``[0, MAX_DELAY_S]``) when, at the delay with
        the most differences within :data:`MATCH_TOL_S`, at least :data:`MIN_MATCHED` beats
        and :data:`MIN_MATCHED_SHARE` of those inside the ECG match, their differences'
        MAD is at most :data:`MAX_MAD_S`, and no delay one beat or more away gathers more than
        :data:`MAX_RUNNER_UP_SHARE` as many; else None and the reason. ECG samples that are
        not finite are left out, as :func:`detect_r_peaks` leaves them.

    Raises
    ------
    ValueError
        If ``beat_t_s`` is not 1-D or holds a time that is not finite, or ``ecg_t_s`` and
        ``ecg`` are not 1-D arrays of the same length.

    Examples
    --------
    The beats of the :func:`detect_r_peaks` example as a strap gives them, 137 ms after their
    R peaks:

    >>> import numpy as np
    >>> t_s = np.arange(0.0, 60.0, 1.0 / 130.0)
    >>> rr_s = 0.8 + 0.05 * np.random.default_rng(0).standard_normal(80)
    >>> r_s = 0.5 + np.concatenate([[0.0], np.cumsum(rr_s)])
    >>> r_s = r_s[r_s < 59.5]
    >>> ecg = np.exp(-0.5 * ((t_s[:, None] - r_s[None, :]) / 0.012) ** 2).sum(axis=1)
    >>> delay = estimate_beat_delay(r_s + 0.137, t_s, ecg)
    >>> round(delay.delay_s, 2), delay.matched, delay.considered, delay.reason
    (0.14, 74, 74, '')

    A rhythm too regular to tell which R peak a beat belongs to gives no delay:

    >>> r_s = np.arange(0.5, 59.5, 0.8)
    >>> ecg = np.exp(-0.5 * ((t_s[:, None] - r_s[None, :]) / 0.012) ** 2).sum(axis=1)
    >>> delay = estimate_beat_delay(r_s + 0.137, t_s, ecg)
    >>> delay.delay_s is None, delay.reason.startswith("the rhythm is too regular")
    (True, True)
    """
    beats = np.asarray(beat_t_s, dtype=np.float64)
    if beats.ndim != 1 or not np.isfinite(beats).all():
        raise ValueError(f"beat_t_s must be a 1-D array of finite times, got shape {beats.shape}")
    ecg_t, x = _finite_samples(ecg_t_s, ecg)
    peaks = detect_r_peaks(ecg_t, x)
    if peaks.size == 0:
        return BeatDelay(None, "no QRS found in the ECG (flat, noise or not an ECG)", 0, 0, None, 0)
    # Every beat minus each R peak up to MAX_DELAY_S before it: one vote each.
    lo = np.searchsorted(peaks, beats - MAX_DELAY_S, side="left")
    hi = np.searchsorted(peaks, beats, side="right")
    diffs = np.sort(
        np.concatenate([beats[k] - peaks[lo[k] : hi[k]] for k in range(beats.size)])
        if beats.size
        else np.empty(0)
    )
    if diffs.size == 0:
        return BeatDelay(None, "no R peak within 2 s before any beat", 0, 0, None, peaks.size)
    # Votes within +-MATCH_TOL_S of each difference: the window's count at that centre.
    votes = np.searchsorted(diffs, diffs + MATCH_TOL_S, side="right") - np.searchsorted(
        diffs, diffs - MATCH_TOL_S, side="left"
    )
    best = int(np.argmax(votes))
    centre = float(diffs[best])
    # The runner-up is at least one beat away (REFRACTORY_S), not the same peak's shoulder.
    away = np.abs(diffs - centre) >= REFRACTORY_S
    runner_up = int(votes[away].max()) if np.any(away) else 0
    nearest = _nearest(peaks, beats - centre)
    residual = beats - centre - nearest
    matched = np.abs(residual) <= MATCH_TOL_S
    considered = int(np.count_nonzero(_covered(beats - centre, ecg_t)))
    n_matched = int(np.count_nonzero(matched))
    if n_matched == 0:
        return BeatDelay(None, "no beat matches an R peak", 0, considered, None, peaks.size)
    # Beats are reported after their R peak, never before: a centre near 0 whose matched
    # residuals lean negative must not turn into a negative delay.
    delay = max(0.0, centre + float(np.median(residual[matched])))
    differences = beats[matched] - nearest[matched]
    mad = float(np.median(np.abs(differences - delay)))
    reason = ""
    if n_matched < MIN_MATCHED:
        reason = f"only {n_matched} beats match an R peak (at least {MIN_MATCHED} needed)"
    elif n_matched < MIN_MATCHED_SHARE * considered:
        reason = (
            f"only {n_matched} of {considered} beats inside the ECG match an R peak "
            f"(at least {MIN_MATCHED_SHARE:.0%} needed)"
        )
    elif mad > MAX_MAD_S:
        reason = (
            f"beats scatter {1000 * mad:.0f} ms about their R peaks "
            f"(at most {1000 * MAX_MAD_S:.0f} ms)"
        )
    elif runner_up > MAX_RUNNER_UP_SHARE * int(votes[best]):
        reason = (
            "the rhythm is too regular to tell which R peak a beat belongs to "
            f"({runner_up} beats fit another delay as well as {int(votes[best])} fit the best)"
        )
    return BeatDelay(None if reason else delay, reason, n_matched, considered, mad, int(peaks.size))


def _nearest(peaks: FloatArray, t_s: FloatArray) -> FloatArray:
    """The R peak nearest each time (``peaks`` non-empty, increasing)."""
    right = np.clip(np.searchsorted(peaks, t_s), 0, peaks.size - 1)
    left = np.clip(right - 1, 0, peaks.size - 1)
    pick = np.where(np.abs(peaks[left] - t_s) <= np.abs(peaks[right] - t_s), left, right)
    out: FloatArray = peaks[pick]
    return out
