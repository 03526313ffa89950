"""Checks of a recorded breathing waveform: saturated, noise-like or upside down.

Three numbers say whether a belt (or accelerometer) file holds breathing the right way up, so
that an analysis can say why its breaths should not be trusted rather than pass them for a
finding:

- :func:`clipped_fraction`: the share of samples at a column's exact extremes; a sensor driven
  past its range holds its rail value (:data:`CLIPPED_WARN_FRACTION`).
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
    "INVERTED_MIN_BREATHS",
    "INVERTED_RATIO",
    "NOISE_LAG1",
    "clipped_fraction",
    "good_ratios",
    "lag1_autocorrelation",
    "looks_inverted",
]

FloatArray = NDArray[np.float64]

CLIPPED_WARN_FRACTION = 0.05
"""Share of samples at exactly a column's minimum or maximum above which the input is reported
as looking saturated (a clipped sensor holds its rail value; a live signal has noise)."""
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
    """Largest share, over the columns of ``data``, of samples at the column's exact extremes.

    A sensor or amplifier driven past its range holds its rail value, so a saturated channel
    shows long runs at exactly its minimum or maximum (e.g. the impedance ``Resp`` channel of
    PhysioNet's ``mixedsignals``: 37 % of its samples); a working channel has noise, and only a
    few samples touch either extreme. An empirical rule of this project, measured on those
    recordings, not a published one.

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
        at_rail = np.count_nonzero((col == col.min()) | (col == col.max()))
        worst = max(worst, at_rail / col.size)
    return float(worst)  # a Python float, not numpy's, as the annotation says
