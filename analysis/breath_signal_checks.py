"""Checks of a recorded breathing waveform: saturated, coarse, held, noise-like or upside down.

A few numbers say whether a belt (or accelerometer) file holds breathing the right way up, so
that an analysis can say why its breaths should not be trusted rather than pass them for a
finding:

- :func:`clipped_fraction`: the share of samples at a column's rails; a sensor driven past its
  range holds its rail value, again and again, at exactly its minimum or maximum
  (:data:`CLIPPED_WARN_FRACTION`).
- :func:`quantisation_step`: the converter's step; a belt only a few steps deep is coarse
  everywhere, which is not clipping although its extremes hold many samples too.
- :func:`held_runs`: stretches of bit-identical samples far longer than the signal's steps
  explain; a logger that repeats its last value through a dropout makes them.
- :func:`lag1_autocorrelation`: breathing changes smoothly from sample to sample, noise does
  not (:data:`NOISE_LAG1`).
- :func:`looks_inverted`: inhales are shorter and faster than exhales, so a belt read the right
  way up has a median exhale:inhale ratio above 1 and a positively skewed slope
  (:data:`INVERTED_RATIO`, :data:`INVERTED_MIN_BREATHS`).

All are pure (arrays in, numbers out); ``breathwise breaths`` (:mod:`trainer.cli.breaths`)
turns them into warnings.

References
----------
Box GEP, Jenkins GM (1976). Time Series Analysis: Forecasting and Control, revised ed.
Holden-Day (the sample autocorrelation function, ch. 2).

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 60.0, 0.04)
>>> belt = np.sin(2 * np.pi * 0.25 * t)
>>> round(lag1_autocorrelation(belt), 3), clipped_fraction(belt) < CLIPPED_WARN_FRACTION
(0.998, True)
>>> round(clipped_fraction(np.clip(belt, -0.5, 0.5)), 2)
0.66
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from analysis.acc_breath import ORIENT_SKEW, difference_skewness
from analysis.breath import Breath
from analysis.breath_variability import measured_ratios
from analysis.filters import StreamingSOS, lowpass_sos

__all__ = [
    "CLIPPED_WARN_FRACTION",
    "FAST_UNCERTAIN_SHARE",
    "HELD_FACTOR",
    "HELD_MIN_S",
    "INVERTED_MIN_BREATHS",
    "INVERTED_RATIO",
    "NOISE_LAG1",
    "clipped_fraction",
    "good_ratios",
    "held_runs",
    "lag1_autocorrelation",
    "looks_inverted",
    "looks_too_fast",
    "quantisation_step",
]

FloatArray = NDArray[np.float64]

CLIPPED_WARN_FRACTION = 0.05
"""Share of samples at a column's rails (:func:`clipped_fraction`) above which the input is
reported as looking saturated (a clipped sensor holds its rail value; a live signal has noise)."""
RAIL_RUNS = 3
"""An extreme value is a rail only if the signal sits at it in at least this many separate
runs of two or more samples: a clipped sensor hits its rail at every breath, while a single
long stretch at the extreme is one event (:func:`held_runs`)."""
RAIL_CONTRAST = 3.0
"""...and only if it holds more than this many times the samples of the next value inwards.
On a coarse converter the extremes hold many samples because a breath turns there, yet about
as many as the next level (synthetic belts 3 and 6 steps deep: 1.15x and 1.27x); a clipped
sensor piles up at its rail (PhysioNet ``mixedsignals`` Resp: 3303 and 2079 samples against 1;
a belt 6 steps deep clipped 2 steps below its top: 4.2x)."""
HELD_MIN_S = 2.0
"""Shortest run of bit-identical samples, s, that :func:`held_runs` reports. The longest runs
on the real recordings in ``../shared/data`` (NeuroKit2 belts at 100 Hz, wfdb 03700181 RESP at
125 Hz) last 0.03-0.33 s, the longest at a rail; a sensor with any noise in it does not repeat
a value for seconds."""
HELD_FACTOR = 3.0
"""...and at least this many times the 99th percentile of the signal's run lengths: the guard
for a coarse converter, whose level holds while a breath turns (3 steps deep at 6/min and
50 Hz: runs up to 2.8 s, 99th percentile 2.7 s, so runs from 8 s are reported)."""
NOISE_LAG1 = 0.3
"""Lag-1 autocorrelation of a belt signal below which it is reported as looking like noise.
Breathing changes smoothly from sample to sample: a 30/min breath sampled at the slowest
accepted 4 Hz has ``cos(2 pi 0.5 / 4) = 0.71``. Measured: the five real belts 0.999-1.0;
synthetic belts at 3-30 breaths/min, 4-50 Hz, down to 0 dB in-band SNR, 0.39 or more (30/min
at 4 Hz and 0 dB); white noise 0.00."""
INVERTED_RATIO = 0.8
"""A belt whose good breaths have a median exhale:inhale ratio below this, with the slope of its
low-passed signal skewed below ``-ORIENT_SKEW``, is reported as looking upside down
(:func:`looks_inverted`)."""
INVERTED_MIN_BREATHS = 10
"""Good breaths needed before the orientation of a belt is judged."""
FAST_UNCERTAIN_SHARE = 0.5
"""Share of uncertain breaths from which breaths of under twice the detector's shortest breath
(:func:`looks_too_fast`) are reported as breathing too fast to count."""


def good_ratios(found: Iterable[Breath]) -> list[float]:
    """Exhale:inhale ratios (dimensionless) of the good breaths that have one measured.

    Parameters
    ----------
    found : iterable of Breath
        Detected breaths; only those of quality ``"good"`` count, and of those only the ones
        whose ratio was measured (:func:`analysis.breath_variability.ratio_measured`).

    Returns
    -------
    list of float
        The ratios, in the order of ``found``.
    """
    return measured_ratios(b for b in found if b.quality == "good")


def looks_inverted(
    x: FloatArray, fs_hz: float, found: list[Breath], *, cutoff_hz: float = 1.0
) -> tuple[bool, float]:
    """Whether a belt signal looks upside down (falls on inhale), and its slope's skewness.

    Inhales are shorter and faster than exhales, so a belt read the right way up has a median
    exhale:inhale ratio above 1 and the first difference of its low-passed signal (the
    ``cutoff_hz`` low-pass of :mod:`analysis.breath`) positively skewed
    (:func:`analysis.acc_breath.difference_skewness`, the rule that orients the chest
    accelerometer). Upside down, both turn over: the ratio becomes its inverse. A signal looks
    inverted only when both say so strongly: at least :data:`INVERTED_MIN_BREATHS` good breaths
    with a median ratio below :data:`INVERTED_RATIO` and a skewness below ``-ORIENT_SKEW``
    (-0.2).

    Measured: the NeuroKit2 belt recordings read median ratios 1.28-1.49 and skewness
    +0.31 to +0.79, wfdb 03700181 RESP 1.09 and +0.05; inverted, 0.47-0.58 and -0.31 to -0.79
    (03700181, nearly symmetric: 0.82 and -0.05, not flagged). On 144 seeded synthetic belts
    upright (6-20 breaths/min, ratio 1-3, pause 0 or 20 %, sighs, 15-35 dB) none is flagged
    (median ratio >= 0.97 everywhere, skewness > -0.2 whenever it is below 0.8); inverted,
    36/36 at ratio 3, 35/36 at 2, 26/36 at 1.5 and none at 1 (which looks the same either
    way).

    Parameters
    ----------
    x : ndarray, shape (n,)
        The belt signal as analysed, any units.
    fs_hz : float
        Sampling rate, Hz (must exceed ``2 * cutoff_hz``).
    found : list of Breath
        The breaths detected in ``x``.
    cutoff_hz : float
        Cutoff of the 2nd-order Butterworth low-pass applied before the slope is taken, Hz:
        the detector's own (:func:`analysis.breath.detect_breaths`' default, 1 Hz; the live
        trainer's is :data:`trainer.session.pipeline.BELT_CUTOFF_HZ`).

    Returns
    -------
    (bool, float)
        Whether it looks inverted, and the skewness of the slope (dimensionless).
    """
    y = StreamingSOS(lowpass_sos(cutoff_hz, fs_hz, 2)).process(x - x[0])
    skew = difference_skewness(y)
    ratios = good_ratios(found)
    inverted = (
        len(ratios) >= INVERTED_MIN_BREATHS
        and float(np.median(ratios)) < INVERTED_RATIO
        and skew < -ORIENT_SKEW
    )
    return inverted, skew


def looks_too_fast(found: list[Breath], min_breath_s: float) -> bool:
    """Whether the breaths look like breathing faster than the detector counts, halved.

    The detector merges a cycle shorter than ``min_breath_s`` into the breath around it as a
    wiggle, and such a breath is uncertain (:mod:`analysis.breath`, module notes, step 4):
    breathing faster than ``60 / min_breath_s`` breaths/min comes out as breaths of two cycles,
    at half the rate, nearly all uncertain. So the breaths look too fast when their median
    period (``60 / rate_bpm``) is under twice ``min_breath_s`` and at least
    :data:`FAST_UNCERTAIN_SHARE` of them are uncertain. Measured with the 0.75 s limit: a belt
    at 90/min reads 45/min with all 65 breaths uncertain; at 40-80/min (ratio 1 and 1.5, 1 %
    noise) the rate is right and 96-99 % are good; the real belts in ``../shared/data``
    breathe at 6-20/min, with 92-99 % good (``mixedsignals``, clipped, none good, at 6/min).

    Parameters
    ----------
    found : list of Breath
        Detected breaths.
    min_breath_s : float
        The detector's shortest breath, s (:data:`analysis.breath.MIN_BREATH_S`).

    Returns
    -------
    bool
        True when the breaths look like merged fast breathing.
    """
    if not found:
        return False
    lengths = [60.0 / b.rate_bpm for b in found]
    uncertain = sum(1 for b in found if b.quality == "uncertain")
    return bool(
        float(np.median(lengths)) < 2.0 * min_breath_s
        and uncertain >= FAST_UNCERTAIN_SHARE * len(found)
    )


def lag1_autocorrelation(x: FloatArray) -> float:
    """Correlation of each sample with the next, mean removed (Box & Jenkins 1976, ch. 2).

    Parameters
    ----------
    x : ndarray, shape (n,)
        The signal, any units; scales from 1e-300 to 1e300 are handled without under- or
        overflow.

    Returns
    -------
    float
        The sample autocorrelation at lag 1, dimensionless (-1 to 1); 0 for a flat or empty
        signal.
    """
    d = x - float(np.mean(x))
    peak = float(np.max(np.abs(d))) if d.size else 0.0
    if not peak > 0.0:
        return 0.0
    d = d / peak  # any scale a file may hold, 1e-300 to 1e300, without under- or overflow
    return float(np.dot(d[:-1], d[1:]) / np.dot(d, d))


def clipped_fraction(data: FloatArray) -> float:
    """Largest share, over the columns of ``data``, of samples at the column's rails.

    A sensor or amplifier driven past its range holds its rail value, so a saturated channel
    comes back to exactly its minimum or maximum at every breath and piles up there (e.g. the
    impedance ``Resp`` channel of PhysioNet's ``mixedsignals``: 37 % of its samples); a working
    channel has noise, and only a few samples touch either extreme. An extreme counts as a rail
    when the column sits at it in at least :data:`RAIL_RUNS` separate runs and it holds more
    than :data:`RAIL_CONTRAST` times the samples of the next value inwards; a coarse converter
    (a belt a few steps deep) has as many samples on its extremes as on the levels next to them
    and is no clipping (before, a belt 3-6 steps deep read 37-54 % "clipped"). An empirical
    rule of this project, measured on those recordings, not a published one.

    Parameters
    ----------
    data : ndarray, shape (n,) or (n, k)
        The samples, any units; each column (a belt's one, an accelerometer's x, y, z) is
        judged on its own. At least one sample.

    Returns
    -------
    float
        The largest share (0 to 1, dimensionless); 1 for a flat column.
    """
    cols = data.reshape(data.shape[0], -1)
    worst = 0.0
    for col in cols.T:
        if col.min() == col.max():
            return 1.0
        rails = _rails(col)
        worst = max(worst, np.count_nonzero(np.isin(col, list(rails))) / col.size)
    return float(worst)  # a Python float, not numpy's, as the annotation says


def _rails(col: FloatArray) -> set[float]:
    """The extremes of ``col`` that are rails (:func:`clipped_fraction`), as values."""
    values, counts = np.unique(col, return_counts=True)
    out: set[float] = set()
    if values.size < 2:
        return out
    for value, count, inner in (
        (values[0], counts[0], counts[1]),
        (values[-1], counts[-1], counts[-2]),
    ):
        at = col == value
        pairs = np.concatenate(([False], at[1:] & at[:-1], [False]))
        runs = np.count_nonzero(pairs[1:] & ~pairs[:-1])
        if count > RAIL_CONTRAST * inner and runs >= RAIL_RUNS:
            out.add(float(value))
    return out


def quantisation_step(x: FloatArray) -> float:
    """The smallest step between distinct values of ``x``, in its units: a converter's step.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The samples, any units.

    Returns
    -------
    float
        The smallest positive difference between two distinct sample values; 0 for a flat
        signal. A float signal with noise in it returns a tiny step (thousands of steps per
        breath on the NeuroKit2 belts); a 10-bit converter one count.
    """
    values = np.unique(x)
    if values.size < 2:
        return 0.0
    return float(np.diff(values).min())


def held_runs(data: FloatArray, fs_hz: float) -> list[tuple[int, int]]:
    """Stretches where every column repeats its previous sample exactly, for too long.

    A logger that loses its sensor for a while (a Bluetooth dropout, a loose connector) often
    writes its last value again until the data come back; breathing read through such a
    stretch is made up (a 30 s repeat in the middle of an exhale read as one "good" breath with
    a 33 s inhale; at the bottom, as a 30 s pause). A sensor with any noise in it does not
    repeat a value for long, so a run is reported when it lasts at least :data:`HELD_MIN_S`
    and at least :data:`HELD_FACTOR` times the 99th percentile of all the signal's run
    lengths (a coarse converter's levels hold while a breath turns). Runs at a rail (an
    extreme the signal sits at again and again, :func:`clipped_fraction`) are clipping, not a
    hold, and left to that check. An empirical rule of this project.

    Parameters
    ----------
    data : ndarray, shape (n,) or (n, k)
        The samples, any units: a belt's column, or an accelerometer's x, y, z (a row repeats
        when all its columns do).
    fs_hz : float
        Sampling rate, Hz.

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` sample indices of each run (``stop`` exclusive), in order.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0.0, 120.0, 0.02)
    >>> belt = np.sin(2 * np.pi * 0.1 * t) + 1e-3 * np.cos(7.0 * t)
    >>> belt[2000:3500] = belt[1999]  # 30 s at 50 Hz repeating one value
    >>> held_runs(belt, 50.0)
    [(1999, 3500)]
    """
    rows = data.reshape(data.shape[0], -1)
    n = rows.shape[0]
    if n < 2:
        return []
    same = (rows[1:] == rows[:-1]).all(axis=1)
    change = np.flatnonzero(~same) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [n])))
    need = max(HELD_MIN_S * fs_hz, HELD_FACTOR * float(np.percentile(lengths, 99)), 3.0)
    rails = [_rails(col) for col in rows.T]
    out: list[tuple[int, int]] = []
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        if length < need:
            continue
        row = rows[start]
        if any(float(v) in rail for v, rail in zip(row.tolist(), rails, strict=True)):
            continue
        out.append((start, start + length))
    return out
