"""Resonance-frequency assessment: score paced-breathing steps and choose the person's rate.

Protocol (Lehrer, Vaschillo & Vaschillo 2000, Appl Psychophysiol Biofeedback 25:177; Shaffer &
Meehan 2020, Front Neurosci 14:570400): the person breathes about 2 minutes at each of several
paced rates (e.g. 6.5, 6.0, 5.5, 5.0, 4.5 breaths/min). The resonance rate is the one with heart
rate and breathing in phase (near 0 degrees), the largest peak-to-trough heart-rate swing, the
largest LF power and the tallest, narrowest LF spectral peak; steps where the person did not
follow the pacer are set aside.

Per step (after ``settle_s`` seconds, the time a person and their baroreflex take to settle into
a new rate), this module measures, from the artifact-corrected NN series and, when given, the
measured breaths:

* ``phase_deg``: phase of heart rate relative to lung volume at the breathing frequency (the
  argument of the ratio of their Fourier coefficients at that frequency); positive when heart
  rate leads. Lung volume is rebuilt from the breath events as a half-cosine rising from each
  inhale onset (trough) to the exhale onset (peak) and falling to the start of the post-exhale
  pause, then held at the trough to the breath's end (breaths that carry ``pause_s``, as
  :class:`analysis.breath.Breath` does; without it the fall runs to the end). Falling through
  the pause delayed the model's fundamental, and a heart exactly in phase with the real volume
  read +12 degrees with a 15 % pause and +25 with 30 % (now 0).
* ``peak_to_trough_bpm``: the mean max-minus-min heart rate over each measured breath (inhale
  onset to end; Lehrer et al. 2000's peak-to-trough swing), or per pacer cycle without breaths.
  Not Grossman's phase-bound inhale-maximum minus exhale-minimum (:mod:`analysis.rsa`, the
  session report's RSA): that one falls as the heart lags the breath, which the phase criterion
  already scores.
* ``lf_power_ms2``: power of the NN series in 0.04-0.15 Hz from one periodogram of the step
  (rectangular window, mean and linear trend removed, 4 Hz cubic resampling).
* ``lf_peak_fraction``: share of the 0.0033-0.4 Hz power lying within +-0.015 Hz of the highest
  peak in 0.04-0.15 Hz, the "tall and narrow" criterion
  (:func:`analysis.hrv_frequency.peak_power_fraction`, the coherence ratio's peak share of
  McCraty et al. 2006). Not comparable with :attr:`analysis.coherence.CoherenceResult.peak_fraction`
  and named apart from it on purpose: the peak is searched in LF only (the resonance criterion
  is the LF peak, Lehrer et al. 2000; coherence searches up to 0.26 Hz), and the periodogram
  spans the whole analysed step (about 100 s, 4 Hz resampling) instead of 64 s, so its narrower
  main lobe puts more of a rhythm's power in the same window.
* Following: with breaths, the median measured rate must lie within 0.5 breaths/min or 10 % of
  the pacer, whichever is larger (0.55/min at 5.5/min), but nearer the step's rate than any
  other step's (:func:`follow_tolerance_bpm`: 0.25/min between the protocol's rates, 0.5/min
  apart), and at least 60 % of breath periods
  within 20 % of the paced period (a sigh or two in a 2-minute step is normal); without breaths
  the check falls back on the heart-rate spectrum, whose LF peak must lie within 1 breath/min
  of the pacer (RSA puts it at the breathing rate): within it the step is marked unverified
  and scored, beyond it not followed.

Score: each criterion scaled to the best followed step (``value / max``; the phase as
``1 - |phase| / 180``), averaged with equal weights; the chosen rate has the highest score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.beats import instantaneous_heart_rate
from analysis.checks import check_beat_time_units, check_rr_units
from analysis.hrv_frequency import (
    MAX_GAP_S,
    WelchSettings,
    band_power,
    frequency_domain,
    peak_power_fraction,
    resample_nn,
)
from analysis.rsa import BreathEvents

__all__ = [
    "FOLLOW_RULE",
    "PacedStep",
    "ResonanceResult",
    "StepEvidence",
    "follow_tolerance_bpm",
    "score_resonance",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PacedStep:
    """One step of the assessment: a paced rate held from ``start_s`` to ``end_s``.

    Attributes
    ----------
    rate_bpm : float
        Pacer rate, breaths/min.
    start_s, end_s : float
        Step span, s (the clock of the beat times).
    """

    rate_bpm: float
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class StepEvidence:
    """What one step showed (``None`` where it could not be measured).

    Attributes
    ----------
    rate_bpm, start_s, end_s : float
        The step.
    analysed_from_s : float
        Start of the analysed part (after settling), s.
    n_beats, n_breaths : int
        Beats and complete breaths inside the analysed part.
    measured_rate_bpm : float or None
        Median breathing rate measured from the breaths, breaths/min.
    hr_peak_bpm : float or None
        Frequency of the highest LF peak of the NN spectrum, in breaths/min; ``None`` without
        LF power (:data:`analysis.hrv_frequency.NO_POWER_MS2`).
    phase_deg : float or None
        Heart rate relative to lung volume at the breathing frequency, degrees (+ = HR leads).
    peak_to_trough_bpm : float or None
        Mean RSA swing, beats/min.
    lf_power_ms2 : float or None
        LF power, ms^2.
    lf_peak_fraction : float or None
        Share of total power in +-0.015 Hz around the LF peak (module notes: not the coherence
        score's ``peak_fraction``); ``None`` without an LF peak.
    followed : bool or None
        Whether the person followed the pacer; ``None`` when unverifiable.
    flags : list of str
        Reasons a step was set aside or its evidence is weaker.
    score : float or None
        Combined score (module docstring); ``None`` for steps set aside.
    """

    rate_bpm: float
    start_s: float
    end_s: float
    analysed_from_s: float
    n_beats: int
    n_breaths: int
    measured_rate_bpm: float | None
    hr_peak_bpm: float | None
    phase_deg: float | None
    peak_to_trough_bpm: float | None
    lf_power_ms2: float | None
    lf_peak_fraction: float | None
    followed: bool | None
    flags: list[str] = field(default_factory=list)
    score: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ResonanceResult:
    """The chosen rate and the evidence for it.

    Attributes
    ----------
    chosen_rate_bpm : float or None
        The resonance rate, breaths/min; ``None`` when no step could be scored.
    ranking_bpm : list of float
        Scored rates, best first.
    steps : list of StepEvidence
        Per-step evidence, in the order given.
    settings : dict
        The settings used.
    """

    chosen_rate_bpm: float | None
    ranking_bpm: list[float]
    steps: list[StepEvidence]
    settings: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "chosen_rate_bpm": self.chosen_rate_bpm,
            "ranking_bpm": self.ranking_bpm,
            "steps": [s.as_dict() for s in self.steps],
            "settings": self.settings,
        }


FOLLOW_RULE = (
    "median rate within max(0.5, 10 %), and nearer this step's rate than any other step's, "
    "and 60 % of breaths within 20 %"
)
"""When a step counts as followed (see ``_evaluate``): a step not followed is set aside."""


def follow_tolerance_bpm(rate_bpm: float, other_rates_bpm: Sequence[float]) -> tuple[float, float]:
    """How far below and above its pacer, breaths/min, a step's median measured rate may lie.

    The larger of 0.5 breaths/min and 10 % of the rate, but toward another step's rate no more
    than half the distance to it: a person breathing 6.0/min in a 5.5/min step of an
    assessment that also paces 6.0 shows the heart's response to 6.0, and crediting it to 5.5
    could choose a rate 0.5/min off (without this, the 10 % alone, 0.55/min, was as wide as
    the 0.5/min between the protocol's rates). On a side with no other step (below the slowest,
    above the fastest) the full tolerance holds: 4.2/min in a 4.5 step is nearer it than any.

    Returns
    -------
    tuple of float
        The tolerance below and above ``rate_bpm``, breaths/min.
    """
    tolerance = max(0.5, 0.1 * rate_bpm)
    below = [rate_bpm - other for other in other_rates_bpm if other < rate_bpm]
    above = [other - rate_bpm for other in other_rates_bpm if other > rate_bpm]
    return (
        min([tolerance, *(gap / 2.0 for gap in below)]),
        min([tolerance, *(gap / 2.0 for gap in above)]),
    )


_SPECTRUM = WelchSettings(segment_s=None, window="boxcar", detrend="linear", nfft=4096)
_PEAK_HALF_WIDTH_HZ = 0.015
_LF = (0.04, 0.15)
_TOTAL = (0.0033, 0.4)


def _volume(t: FloatArray, breaths: Sequence[BreathEvents]) -> FloatArray:
    """Unit lung-volume curve from breath events, NaN outside every breath.

    -1 at inhale onsets, +1 at exhale onsets (half-cosines between), back to -1 at the start of
    the post-exhale pause and held there to ``end_s``. The pause is the breath's ``pause_s``, s,
    when it has one (:class:`analysis.breath.Breath`; clipped to the exhale's span), else 0.
    """
    v = np.full(t.size, np.nan)
    for b in breaths:
        t0, t1, t2 = b.inhale_onset_s, b.exhale_onset_s, b.end_s
        pause = float(getattr(b, "pause_s", 0.0))
        # The lungs are empty and still over the pause: the exhale ends where it starts.
        t_pause = t2 - min(max(pause, 0.0), max(t2 - t1, 0.0))
        inh = (t >= t0) & (t < t1)
        exh = (t >= t1) & (t < t_pause)
        if t1 > t0:
            v[inh] = -np.cos(np.pi * (t[inh] - t0) / (t1 - t0))
        if t_pause > t1:
            v[exh] = np.cos(np.pi * (t[exh] - t1) / (t_pause - t1))
        v[(t >= t_pause) & (t < t2)] = -1.0
    return v


def _phase_deg(t: FloatArray, hr: FloatArray, vol: FloatArray, f_hz: float) -> float | None:
    ok = np.isfinite(vol)
    if ok.sum() < 8:
        return None
    e = np.exp(-2j * np.pi * f_hz * t[ok])
    c_hr = np.sum((hr[ok] - hr[ok].mean()) * e)
    c_vol = np.sum((vol[ok] - vol[ok].mean()) * e)
    if abs(c_vol) == 0.0 or abs(c_hr) == 0.0:
        return None
    return float(np.degrees(np.angle(c_hr / c_vol)))


def _swing(t: FloatArray, hr: FloatArray, t0_s: float, t1_s: float) -> float | None:
    """Max-minus-min heart rate, beats/min, over ``[t0_s, t1_s)``; None with no sample there."""
    sel = (t >= t0_s) & (t < t1_s)
    return float(hr[sel].max() - hr[sel].min()) if sel.any() else None


def _cycle_swing(t: FloatArray, hr: FloatArray, start: float, end: float, period: float) -> float:
    """Mean :func:`_swing` over whole pacer cycles (fallback without breaths)."""
    swings = []
    c = start
    while c + period <= end + 1e-9:
        if (w := _swing(t, hr, c, c + period)) is not None:
            swings.append(w)
        c += period
    return float(np.mean(swings)) if swings else float("nan")


def _evaluate(
    t: FloatArray,
    nn: FloatArray,
    step: PacedStep,
    breaths: Sequence[BreathEvents] | None,
    settle_s: float,
    tolerance_bpm: tuple[float, float],
) -> StepEvidence:
    a0 = step.start_s + settle_s
    a1 = step.end_s
    flags: list[str] = []
    sel = (t >= a0) & (t <= a1)
    ts, xs = t[sel], nn[sel]
    inside = [b for b in breaths or () if b.inhale_onset_s >= a0 and b.end_s <= a1]
    base: dict[str, Any] = dict(
        rate_bpm=step.rate_bpm,
        start_s=step.start_s,
        end_s=step.end_s,
        analysed_from_s=a0,
        n_beats=int(ts.size),
        n_breaths=len(inside),
    )
    period_s = 60.0 / step.rate_bpm
    gap_s = float(np.diff(ts).max()) if ts.size > 1 else 0.0
    if ts.size >= 8 and gap_s > MAX_GAP_S:
        # A spline across a lost strap invents a slow swing that would read as LF power and
        # as a heart-rate rhythm at this rate.
        flags.append(f"a gap of {gap_s:.0f} s without heart beats")
    if ts.size < 8 or a1 - a0 < 2.0 * period_s or gap_s > MAX_GAP_S:
        if not flags:
            flags.append("too little data after settling")
        return StepEvidence(
            **base,
            measured_rate_bpm=None,
            hr_peak_bpm=None,
            phase_deg=None,
            peak_to_trough_bpm=None,
            lf_power_ms2=None,
            lf_peak_fraction=None,
            followed=False,
            flags=flags,
        )

    # Only the spectrum is read, of a step that may last under MIN_SPECTRUM_S (two breaths at
    # its rate are enough to tell a peak): no band power is withheld for its length.
    spec = frequency_domain(xs, t_s=ts, welch_settings=_SPECTRUM, min_duration_s=0.0)
    freq, psd = spec.freq_hz, spec.psd_ms2_per_hz
    lf_power, _ = band_power(freq, psd, *_LF)
    pf = peak_power_fraction(freq, psd, _LF, _PEAK_HALF_WIDTH_HZ, _TOTAL)
    # No LF power (NO_POWER_MS2, as frequency_domain's peaks): no peak to name and no share.
    peak_hz = pf.peak_hz if pf is not None else None
    hr_peak_bpm = peak_hz * 60.0 if peak_hz is not None else None
    fraction = pf.fraction if pf is not None and peak_hz is not None else None

    # Rates at interval midpoints (analysis.beats.instantaneous_heart_rate): at the beat that
    # ends each interval they lag by RR/2, about -17 degrees at 6/min and 65 bpm, which would
    # pull the phase criterion towards slower rates.
    mid, _, ahead = instantaneous_heart_rate(ts, xs)
    # No gap limit here: the beats were checked against MAX_GAP_S above, and their midpoints
    # may lie up to half an interval further apart than the beats themselves.
    grid, nn_grid = resample_nn(mid, xs[ahead], 4.0, t_start_s=a0, t_end_s=a1, max_gap_s=None)
    hr_grid = 60000.0 / nn_grid

    measured = None
    followed: bool | None
    if inside:
        periods = np.array([b.end_s - b.inhale_onset_s for b in inside])
        measured = 60.0 / float(np.median(periods))
        on_pace = np.abs(periods - period_s) <= 0.2 * period_s
        # A hair of float slack: 6.25 measured against 6.0 and 6.5 is on the boundary.
        below_bpm, above_bpm = tolerance_bpm
        near = -below_bpm - 1e-9 <= measured - step.rate_bpm <= above_bpm + 1e-9
        followed = bool(near and on_pace.mean() >= 0.6)
        if not followed:
            flags.append(
                "the pacer was not followed closely enough (breathing at "
                f"{measured:.2f}/min, {100 * on_pace.mean():.0f} % of breaths on pace; "
                f"needs {FOLLOW_RULE})"
            )
        phase = _phase_deg(grid, hr_grid, _volume(grid, inside), measured / 60.0)
        # The swing over each whole breath, as without breaths (per pacer cycle): the phase has
        # its own criterion. Grossman's inhale-maximum minus exhale-minimum (analysis.rsa) falls
        # with the heart's lag behind the breath: simulated at 6.5/min with a true swing of
        # 14 beats/min it read 2.4, against 13.2 at 5.5/min for 16, and ranked 5.0 above the
        # true resonance rate 5.5.
        swings = [_swing(grid, hr_grid, b.inhale_onset_s, b.end_s) for b in inside]
        valid = [w for w in swings if w is not None]
        p2t = float(np.mean(valid)) if valid else None
    else:
        phase = None
        flags.append("no breaths measured: following unverified, phase not measured")
        followed = None
        if hr_peak_bpm is None:
            followed = False
            flags.append("heart rate without LF variability: no spectral peak")
        elif abs(hr_peak_bpm - step.rate_bpm) > 1.0:
            followed = False
            flags.append("heart-rate spectrum does not peak at the paced rate")
        swing = _cycle_swing(grid, hr_grid, a0, a1, period_s)
        p2t = swing if np.isfinite(swing) else None
    return StepEvidence(
        **base,
        measured_rate_bpm=measured,
        hr_peak_bpm=hr_peak_bpm,
        phase_deg=phase,
        peak_to_trough_bpm=p2t,
        lf_power_ms2=lf_power,
        lf_peak_fraction=fraction,
        followed=followed,
        flags=flags,
    )


def score_resonance(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    steps: Sequence[PacedStep],
    *,
    breaths: Sequence[BreathEvents] | None = None,
    settle_s: float = 20.0,
) -> ResonanceResult:
    """Score every paced step and choose the resonance rate.

    Parameters
    ----------
    beat_t_s : array_like
        Time of the beat ending each NN interval, s, increasing.
    nn_ms : array_like
        Artifact-corrected NN intervals, ms.
    steps : sequence of PacedStep
        The paced rates and their spans.
    breaths : sequence of BreathEvents, optional
        Measured breaths (same clock); without them following and phase cannot be checked.
    settle_s : float, optional
        Seconds skipped at the start of each step.

    Returns
    -------
    ResonanceResult
        The chosen rate, the ranking and per-step evidence.

    Raises
    ------
    ValueError
        On arrays of different shapes or not 1-D, times that do not increase, intervals that
        are not positive and finite or whose median is no heart's in ms, beat times in ms
        (:mod:`analysis.checks`), or a step whose rate is not a positive finite number or
        whose times are not finite with ``end_s > start_s``.

    Examples
    --------
    Three 2-minute steps at 6.5, 5.5 and 4.5 breaths/min; the heart rate swings 65 +- 3, +- 8
    and +- 5 beats/min at the paced rate (Lehrer, Vaschillo & Vaschillo 2000: the swing is
    largest at the resonance rate). No breaths are given, so following is not checked:

    >>> import numpy as np
    >>> steps = [PacedStep(r, 120.0 * k, 120.0 * (k + 1)) for k, r in enumerate([6.5, 5.5, 4.5])]
    >>> swing_bpm = [3.0, 8.0, 5.0]
    >>> beat_t_s = [0.0]
    >>> while beat_t_s[-1] < 360.0:
    ...     k = min(int(beat_t_s[-1] // 120.0), 2)
    ...     f_hz = steps[k].rate_bpm / 60.0
    ...     hr_bpm = 65.0 + swing_bpm[k] * np.sin(2 * np.pi * f_hz * beat_t_s[-1])
    ...     beat_t_s.append(beat_t_s[-1] + 60.0 / hr_bpm)
    >>> result = score_resonance(beat_t_s[1:], 1000.0 * np.diff(beat_t_s), steps)
    >>> result.chosen_rate_bpm, result.ranking_bpm
    (5.5, [5.5, 4.5, 6.5])
    >>> [round(step.peak_to_trough_bpm) for step in result.steps]
    [6, 16, 10]
    """
    t = np.asarray(beat_t_s, dtype=np.float64)
    nn = np.asarray(nn_ms, dtype=np.float64)
    if t.shape != nn.shape or t.ndim != 1:
        raise ValueError("beat_t_s and nn_ms must be 1-D and of equal length")
    if not np.all(np.diff(t) > 0.0):
        raise ValueError("beat_t_s must increase")
    if not np.all(np.isfinite(nn) & (nn > 0.0)):
        raise ValueError("nn_ms must hold positive finite intervals")
    check_rr_units(nn, "nn_ms", unit_only=True)
    check_beat_time_units(t, nn)
    for s in steps:
        # Written so that NaN fails too: "rate <= 0" is False for a NaN rate, which was scored.
        if not (
            math.isfinite(s.rate_bpm)
            and s.rate_bpm > 0.0
            and math.isfinite(s.start_s)
            and math.isfinite(s.end_s)
            and s.end_s > s.start_s
        ):
            raise ValueError(
                "every step needs a positive rate and end_s > start_s, all finite, got "
                f"{s.rate_bpm!r}/min over {s.start_s!r}-{s.end_s!r} s"
            )

    rates = [s.rate_bpm for s in steps]
    evidence = [
        _evaluate(t, nn, s, breaths, settle_s, follow_tolerance_bpm(s.rate_bpm, rates))
        for s in steps
    ]
    usable = [
        i
        for i, e in enumerate(evidence)
        if e.followed is not False and e.lf_power_ms2 is not None and e.peak_to_trough_bpm
    ]

    def best(values: list[float | None]) -> float:
        present = [v for v in values if v is not None and v > 0]
        return max(present) if present else 0.0

    amp_max = best([evidence[i].peak_to_trough_bpm for i in usable])
    lf_max = best([evidence[i].lf_power_ms2 for i in usable])
    frac_max = best([evidence[i].lf_peak_fraction for i in usable])
    scored: list[StepEvidence] = []
    for i, e in enumerate(evidence):
        if i not in usable:
            scored.append(e)
            continue
        parts = []
        if amp_max > 0 and e.peak_to_trough_bpm is not None:
            parts.append(max(e.peak_to_trough_bpm, 0.0) / amp_max)
        if lf_max > 0 and e.lf_power_ms2 is not None:
            parts.append(e.lf_power_ms2 / lf_max)
        if frac_max > 0 and e.lf_peak_fraction is not None:
            parts.append(e.lf_peak_fraction / frac_max)
        if e.phase_deg is not None:
            parts.append(1.0 - abs(e.phase_deg) / 180.0)
        score = float(np.mean(parts)) if parts else None
        scored.append(replace(e, score=score))
    ranked = sorted(
        (e for e in scored if e.score is not None), key=lambda e: e.score or 0.0, reverse=True
    )
    settings = {
        "settle_s": settle_s,
        "spectrum": "one periodogram per step: 4 Hz cubic, mean+linear detrend, rectangular",
        "lf_band_hz": list(_LF),
        "total_band_hz": list(_TOTAL),
        "peak_half_width_hz": _PEAK_HALF_WIDTH_HZ,
        "follow_rule": FOLLOW_RULE,
        "score": "mean of value/max for RSA, LF power, LF peak fraction and 1-|phase|/180",
    }
    return ResonanceResult(
        ranked[0].rate_bpm if ranked else None,
        [e.rate_bpm for e in ranked],
        scored,
        settings,
    )
