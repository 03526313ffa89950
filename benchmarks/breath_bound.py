"""What the signal allows: the generating model fitted by least squares, started at the truth.

A detector's per-breath errors on :func:`benchmarks.validate_breath.synthetic_belt` signals mix
what it does wrong with what the noise hides. To tell them apart, this module fits the model
that generated the signal -- every breath's raised-cosine rise and fall, its depth, the flat
pause, and a smooth baseline (cubic B-spline, knots every 10 s, for the drift) -- to the whole
recording by nonlinear least squares (``scipy.optimize.least_squares``), started at the true
values. That is the maximum-likelihood estimate for white noise, which no detector can beat on
average without knowing more than the signal says (a prior on breath-to-breath variability,
say, or the noise's exact band). Its errors are a practical floor, not a theorem: the in-band
noise is not white, and a median of absolute errors is not a variance.

Two forms:

* *free*: each breath's inhale onset, exhale onset and pause start are separate parameters,
  as they are for a detector that does not know whether a breath has a pause;
* *tied* (breathing without a pause only): the end of each exhale is the next inhale onset,
  one parameter. A detector can use this only where it can tell that there is no pause, and
  only from the part of the next inhale it has seen when it times the breath.

Run ``python benchmarks/breath_bound.py`` for the 3:1 cases of the acceptance band; the
validation report (``benchmarks/validate_breath.py``) prints the same table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import scipy.interpolate
import scipy.optimize
import scipy.sparse
from numpy.typing import NDArray

from benchmarks.validate_breath import (
    ACCEPT_RATES,
    ACCEPT_SEEDS,
    MODERATE_SNR_DB,
    SEED,
    Scenario,
    TrueBreath,
)

FloatArray = NDArray[np.float64]

_KNOT_S = 10.0
"""Spacing of the baseline spline's knots, s: the synthetic wander has a 70 s period."""

_LEAD_FALL_S = 2.0
"""The generator's lead-in: an exhale over this many seconds, then a 1 s pause."""

_REACH_S = 1.0
"""Margin, s, around a breath within which its parameters may move a sample (Jacobian)."""


def _rise(t: FloatArray, start: float, end: float) -> FloatArray:
    """Raised-cosine rise from 0 at ``start`` to 1 at ``end``, s (the generator's phase)."""
    out: FloatArray = 0.5 * (1.0 - np.cos(np.pi * (t - start) / (end - start)))
    return out


class _Model:
    """The generating model of one synthetic recording, as a function of its parameters."""

    def __init__(self, n: int, sc: Scenario, truth: Sequence[TrueBreath], tied: bool) -> None:
        self.fs = sc.fs_hz
        self.t: FloatArray = np.arange(n) / self.fs
        self.nb = len(truth)
        self.tied = tied
        knots = np.arange(0.0, self.t[-1] + _KNOT_S, _KNOT_S)
        full = np.r_[[knots[0]] * 3, knots, [knots[-1]] * 3]
        self.spline = scipy.interpolate.BSpline.design_matrix(self.t, full, 3).tocsc()
        self.n_spline = self.spline.shape[1]
        # The framing the generator adds around the breaths (not fitted): the lead-in exhale
        # and the last inhale, held (see synthetic_belt).
        period = 60.0 / sc.rate_bpm
        inhale = period * (1.0 - sc.pause_frac - sc.hold_frac) / (1.0 + sc.ratio)
        self.tail_inhale_s = round(inhale * self.fs) / self.fs
        self.tail_start_s = truth[-1].end_s  # fitted in a tied model (the last onset)
        lead_n = round(_LEAD_FALL_S * self.fs)
        self.fixed = np.zeros(n)
        self.fixed[:lead_n] = 1.0 - _rise(self.t[:lead_n], 0.0, lead_n / self.fs)

    # Parameter vector: inhale onsets (free: nb; tied: nb + 1, the last one the start of the
    # generator's final inhale), exhale onsets (nb), pause starts (free only, nb), depths (nb),
    # spline coefficients.
    def start(self, truth: Sequence[TrueBreath]) -> FloatArray:
        onsets = [b.inhale_onset_s for b in truth]
        if self.tied:
            onsets.append(truth[-1].end_s)
        parts = [onsets, [b.exhale_onset_s for b in truth]]
        if not self.tied:
            parts.append([b.pause_start_s for b in truth])
        parts.append([b.depth for b in truth])
        baseline = np.full(self.n_spline, 5.0)  # the generator's offset; partition of unity
        return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts] + [baseline])

    def times(self, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Inhale onsets, exhale onsets, pause starts and depths (per breath) in ``p``."""
        nb = self.nb
        if self.tied:
            a = p[: nb + 1]
            return a[:nb], p[nb + 1 : 2 * nb + 1], a[1:], p[2 * nb + 1 : 3 * nb + 1]
        return p[:nb], p[nb : 2 * nb], p[2 * nb : 3 * nb], p[3 * nb : 4 * nb]

    def __call__(self, p: FloatArray) -> FloatArray:
        a, b, c, d = self.times(p)
        y: FloatArray = self.fixed + np.asarray(self.spline @ p[-self.n_spline :])
        t, fs = self.t, self.fs
        for ai, bi, ci, di in zip(a.tolist(), b.tolist(), c.tolist(), d.tolist(), strict=True):
            i0, i1, i2 = (min(t.size, max(0, math.ceil(v * fs - 1e-9))) for v in (ai, bi, ci))
            if ai < bi:
                y[i0:i1] += di * _rise(t[i0:i1], ai, bi)
            if bi < ci:
                y[i1:i2] += di * (1.0 - _rise(t[i1:i2], bi, ci))
        tail0 = float(c[-1]) if self.tied else self.tail_start_s
        j0 = min(t.size, max(0, math.ceil(tail0 * fs - 1e-9)))
        tail_t = t[j0:]
        y[j0:] += np.where(
            tail_t < tail0 + self.tail_inhale_s, _rise(tail_t, tail0, tail0 + self.tail_inhale_s), 1
        )
        return y

    def sparsity(self, truth: Sequence[TrueBreath]) -> scipy.sparse.lil_matrix:
        """Which samples each parameter can move (for a grouped finite-difference Jacobian)."""
        nb, n = self.nb, self.t.size
        cols = 3 * nb + 1 + self.n_spline if self.tied else 4 * nb + self.n_spline
        s = scipy.sparse.lil_matrix((n, cols), dtype=np.int8)
        for i, b in enumerate(truth):
            lo = max(0, int((b.inhale_onset_s - _REACH_S) * self.fs))
            hi = min(n, int((b.end_s + _REACH_S) * self.fs) + 1)
            own = (
                [i, nb + 1 + i, 2 * nb + 1 + i]
                if self.tied
                else [i, nb + i, 2 * nb + i, 3 * nb + i]
            )
            for col in own:
                s[lo:hi, col] = 1
            if self.tied:
                s[lo:hi, i + 1] = 1
        if self.tied:
            lo = max(0, int((truth[-1].end_s - _REACH_S) * self.fs))
            s[lo:, nb] = 1
        spline = self.spline.tocoo()
        s[spline.row, cols - self.n_spline + spline.col] = 1
        return s


def fit_generating_model(
    x: FloatArray, sc: Scenario, truth: Sequence[TrueBreath], *, tied: bool = False
) -> FloatArray:
    """Fit the generating model of ``x`` by least squares, started at ``truth``.

    Parameters
    ----------
    x : ndarray
        A :func:`benchmarks.validate_breath.synthetic_belt` signal.
    sc : Scenario
        The settings it was generated with (sampling rate, and the generator's framing).
    truth : sequence of TrueBreath
        Its true breaths: the starting point of the fit.
    tied : bool
        Tie each exhale's end to the next inhale onset (for breathing without a pause).

    Returns
    -------
    ndarray, shape (n_breaths, 3)
        Fitted inhale onset, exhale onset and pause start of each breath, s.
    """
    if tied and sc.pause_frac > 0.0:
        raise ValueError("a tied fit needs breathing without a pause")
    model = _Model(x.size, sc, truth, tied)
    sol = scipy.optimize.least_squares(
        lambda p: model(p) - x,
        model.start(truth),
        jac_sparsity=model.sparsity(truth),
        x_scale="jac",
        diff_step=1e-4,
    )
    a, b, c, _ = model.times(sol.x)
    return np.column_stack((a, b, c))


def ratio_errors(
    x: FloatArray, sc: Scenario, truth: Sequence[TrueBreath], *, tied: bool = False
) -> FloatArray:
    """|fitted - true| exhale:inhale ratio of every breath but the first and last.

    The first and last breaths are left out: they border the generator's framing.
    """
    return _errors(x, sc, truth, tied)[1]


def _errors(
    x: FloatArray, sc: Scenario, truth: Sequence[TrueBreath], tied: bool
) -> tuple[FloatArray, FloatArray]:
    """|fitted - true| inhale onset (s) and ratio of every breath but the first and last."""
    fit = fit_generating_model(x, sc, truth, tied=tied)[1:-1]
    inner = truth[1:-1]
    onset: FloatArray = np.abs(fit[:, 0] - np.array([b.inhale_onset_s for b in inner]))
    ratio = (fit[:, 2] - fit[:, 1]) / (fit[:, 1] - fit[:, 0])
    ratio_err: FloatArray = np.abs(ratio - np.array([b.ratio for b in inner]))
    return onset, ratio_err


@dataclass
class Comparison:
    """Per-breath errors of our detector and of the model fits on the same recordings.

    Onset errors in s; ``tied_*`` stay empty for breathing with a pause.
    """

    ours_onset_s: list[float] = field(default_factory=list)
    ours_ratio: list[float] = field(default_factory=list)
    fit_onset_s: list[float] = field(default_factory=list)
    fit_ratio: list[float] = field(default_factory=list)
    tied_onset_s: list[float] = field(default_factory=list)
    tied_ratio: list[float] = field(default_factory=list)


def compare(
    ratio: float,
    pause_frac: float,
    *,
    rates_bpm: Sequence[float] = ACCEPT_RATES,
    seeds: int = ACCEPT_SEEDS,
    snr_db: float = MODERATE_SNR_DB,
    first_seed: int = SEED,
    tied: bool = True,
) -> Comparison:
    """Our detector beside the model fits on seeded 5 min recordings (``seeds`` per rate).

    The defaults are the validation report's acceptance band: 4-15 breaths/min at 30 dB.
    ``tied=False`` leaves out the tied fit (breaths without a pause only), three quarters of
    the cost, which the tests do not use.
    """
    from benchmarks.validate_breath import ours, score, synthetic_belt

    out = Comparison()
    for rate in rates_bpm:
        for s in range(seeds):
            sc = Scenario(rate, ratio, pause_frac=pause_frac, snr_db=snr_db)
            x, truth = synthetic_belt(sc, first_seed + s)
            mine = score(ours(x, sc.fs_hz), truth)
            out.ours_onset_s += mine.onset_err_s
            out.ours_ratio += mine.ratio_err
            onset, ratio_err = _errors(x, sc, truth, False)
            out.fit_onset_s += onset.tolist()
            out.fit_ratio += ratio_err.tolist()
            if tied and pause_frac == 0.0:
                onset, ratio_err = _errors(x, sc, truth, True)
                out.tied_onset_s += onset.tolist()
                out.tied_ratio += ratio_err.tolist()
    return out


def main() -> None:
    """Print the model fits beside our detector for the 3:1 cases of the acceptance band."""
    for pause in (0.0, 0.15):
        c = compare(3.0, pause)
        tied = f", tied {np.median(c.tied_ratio):.3f}" if c.tied_ratio else ""
        print(
            f"3:1 {'pause' if pause else 'no pause'}: median |ratio error| ours "
            f"{np.median(c.ours_ratio):.3f}, model fit {np.median(c.fit_ratio):.3f}{tied}"
        )


if __name__ == "__main__":
    main()
