"""The full HRV analysis of an RR series as one JSON-ready dict (``breathwise hrv``, reports, UI).

Pipeline: artifact detection and correction (:mod:`analysis.rr_artifacts`), time-domain metrics
on the original NN intervals (:mod:`analysis.hrv_time`; corrected values left out, successive
differences only between adjacent original intervals), frequency-domain metrics on the corrected
series over its longest stretch without a gap in the beats
(:func:`analysis.hrv_frequency.gap_free_frequency_domain`; a band needs about ten periods of its
lower edge, Task Force 1996: HF from a recording of about 1 min, LF, LF/HF and total power from
about 2 min, ``BAND_MIN_S``, where the session report asks 2 min of every band; VLF only from
300 s, ``MIN_VLF_S``, total power then LF + HF), and coherence
(:mod:`analysis.coherence`) two ways: ``ratio`` and ``score`` of the latest 64 s, and
``session_mean_ratio`` and ``session_mean_score``, the means of the 64 s windows every 5 s over
the whole series (:func:`analysis.coherence.measured_coherence`).

One clock for all of it, the input's: the beat ending RR interval ``i`` is at
``sum(rr[:i + 1])``, and each corrected value keeps its beat there
(:meth:`analysis.rr_artifacts.CorrectionResult.nn_times_s`). ``cumsum(nn)`` would drift from it
by what interpolation changed (-17 s over MIT-BIH record 119) and move the spectrum and the
coherence window. The session report (:func:`trainer.reports.session_analysis.heart_metrics`) calls
the same functions on the same clock, so identical beats give identical LF, HF and LF/HF, and the
report's coherence (its table, ``summary.csv``, the history) is the session mean given here as
``session_mean_ratio`` and ``session_mean_score``, not the latest window's ``ratio`` and
``score``.

Every setting is returned in ``settings``, every value that could not be computed is ``None``
with a line in ``warnings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from analysis.beats import joined_beats
from analysis.coherence import CoherenceSettings, coherence_at, measured_coherence
from analysis.hrv_frequency import (
    BAND_MIN_S,
    MAX_GAP_S,
    MIN_VLF_S,
    ROUGH_HF_S,
    ROUGH_LF_S,
    LombSettings,
    WelchSettings,
    gap_free_frequency_domain,
    ordered_beats,
    series_length_s,
)
from analysis.hrv_time import Convention, time_domain
from analysis.progress import ProgressCallback, ProgressSteps
from analysis.rr_artifacts import (
    DEFAULT_PARAMS,
    LABELS,
    ArtifactParams,
    correct_rr,
    uncorrected_rr,
)

__all__ = [
    "MAX_RELIABLE_ARTIFACT_PCT",
    "MIN_HRV_BEATS_S",
    "analyse_rr",
    "artifact_warning",
    "beats_span_s",
    "corrections_note",
    "hf_resolution_warning",
    "short_series_warning",
    "short_span_text",
]

MAX_RELIABLE_ARTIFACT_PCT = 5.0
"""Share of corrected beats (%) above which HRV is flagged as unreliable.

docs/reference/physiology.md gives no threshold; 5 % is the common rule of thumb for short-term HRV
(recordings with more artifacts or ectopic beats than this are usually excluded rather than
analysed), and even a few % of edited beats measurably bias SDNN, RMSSD and the spectrum (Peltola
2012, "Role of editing of R-R intervals in the analysis of heart rate variability", Front Physiol
3:148)."""


MIN_HRV_BEATS_S = 60.0
"""Fewest seconds of beats whose RMSSD, RSA and coherence the history and progress trust.

RMSSD reflects the HF (breathing-rate) variation; a band needs about ten periods of its lower
edge, one minute for HF (Task Force 1996, Eur Heart J 17:354), and ultra-short RMSSD agrees with
the 5-minute standard from about 60 s of beats, less well below (Shaffer & Ginsberg 2017, Front
Public Health 5:258, reviewing Munoz et al. 2015 and others). A Polar lost 8 s into a session
gave an RMSSD of 27 ms from 8 beats, unflagged, that then counted in progress.
The one rule for ``breathwise hrv`` (:func:`short_series_warning`), the history and progress
(``SessionRow.heart_unreliable``) and the report (its RMSSD tile): ``hrv`` had given the RMSSD
of a 30 s file with no warning while the other two flagged it.
"""


def beats_span_s(beats: int, mean_hr_bpm: float | None) -> float | None:
    """Seconds of heartbeats measured: ``beats`` intervals of the mean NN interval
    (``60 / mean_hr_bpm`` s each); None without a mean heart rate.

    From a session's numbers alone, so that the history (which keeps no intervals), the
    report and ``breathwise hrv`` judge :data:`MIN_HRV_BEATS_S` alike: the report had summed
    the raw intervals, and 59 intervals of 61 s with two missed beats were reliable there and
    flagged here.
    """
    if not mean_hr_bpm:
        return None
    return beats * 60.0 / mean_hr_bpm


def short_series_warning(beats: int, mean_hr_bpm: float | None) -> str | None:
    """The warning for a series under :data:`MIN_HRV_BEATS_S` of beats, or None.

    Parameters
    ----------
    beats : int
        RR intervals in the series.
    mean_hr_bpm : float or None
        Mean heart rate of its NN intervals, beats/min.

    Returns
    -------
    str or None
        A sentence naming the seconds of beats (:func:`beats_span_s`) when under the minimum,
        as the history (``!``) and the report ("unreliable: 32 s of beats") flag them.

    Examples
    --------
    >>> short_series_warning(35, 67.0)
    'under 60 s of beats (31 s): RMSSD, SDNN, pNN50 and coherence are unreliable'
    >>> short_series_warning(70, 67.0) is None
    True
    """
    span_s = beats_span_s(beats, mean_hr_bpm)
    if span_s is None or span_s >= MIN_HRV_BEATS_S:
        return None
    return (
        f"under {MIN_HRV_BEATS_S:.0f} s of beats ({short_span_text(span_s)} s): RMSSD, SDNN, "
        "pNN50 and coherence are unreliable"
    )


def short_span_text(span_s: float) -> str:
    """Seconds of beats under :data:`MIN_HRV_BEATS_S` as shown: whole seconds, but a tenth
    down where they would round up to the minimum (59.74 s would read "under 60 s of beats (60 s)").

    Examples
    --------
    >>> short_span_text(31.4), short_span_text(59.74)
    ('31', '59.7')
    """
    if round(span_s) < MIN_HRV_BEATS_S:
        return f"{span_s:.0f}"
    return f"{math.floor(span_s * 10.0) / 10.0:.1f}"


def artifact_warning(corrected: int, total: int) -> str | None:
    """The warning for a series with many corrected beats, or None when few were corrected.

    The one wording of this warning: ``breathwise hrv``, ``breathwise breaths --rr``, the
    session report and ``breathwise import`` all show it.

    Parameters
    ----------
    corrected : int
        Intervals the artifact correction changed (labelled other than normal).
    total : int
        Intervals in the series.

    Returns
    -------
    str or None
        A sentence naming the share and the count when it is above
        :data:`MAX_RELIABLE_ARTIFACT_PCT`, else None (also for an empty series).

    Examples
    --------
    >>> artifact_warning(2, 100) is None
    True
    >>> head, tail = artifact_warning(492, 798).split(": ")
    >>> print(head)
    61.7 % of beats (492 of 798) corrected as artifacts, over 5 %
    >>> print(tail)
    HRV, RSA and coherence are unreliable
    """
    if total <= 0:
        return None
    pct = 100.0 * corrected / total
    if pct <= MAX_RELIABLE_ARTIFACT_PCT:
        return None
    return (
        f"{pct:.1f} % of beats ({corrected} of {total}) corrected as artifacts, over "
        f"{MAX_RELIABLE_ARTIFACT_PCT:g} %: HRV, RSA and coherence are unreliable"
    )


def corrections_note(counts: dict[str, int], total: int) -> str | None:
    """What the artifact correction changed, in one line, when it changed some intervals but
    not so many that :func:`artifact_warning` says it; else None.

    ``breathwise hrv`` prints it as a note: corrections under 5 % left nothing on standard
    error, so a run writing its JSON to a file showed none of them.

    Parameters
    ----------
    counts : dict of str to int
        Intervals per label (:data:`analysis.rr_artifacts.LABELS`), ``normal`` among them.
    total : int
        Intervals in the series.

    Returns
    -------
    str or None
        The count, its share and each label's count, largest first (ties in the order of
        :data:`~analysis.rr_artifacts.LABELS`).

    Examples
    --------
    >>> corrections_note(
    ...     {"normal": 456, "ectopic": 9, "missed": 3, "extra": 3, "long": 0, "short": 6}, 477
    ... )
    '21 of 477 intervals corrected (4.4 %): ectopic 9, short 6, missed 3, extra 3'
    >>> corrections_note({"normal": 477}, 477) is None
    True
    """
    changed = [
        (name, n) for name, n in counts.items() if name != "normal" and name in LABELS and n > 0
    ]
    corrected = sum(n for _, n in changed)
    if corrected == 0 or total <= 0 or artifact_warning(corrected, total) is not None:
        return None
    changed.sort(key=lambda item: (-item[1], LABELS.index(item[0])))
    labels = ", ".join(f"{name} {n}" for name, n in changed)
    return (
        f"{corrected} of {total} intervals corrected ({100.0 * corrected / total:.1f} %): {labels}"
    )


def _clean(value: Any) -> Any:
    """Replace non-finite floats by ``None`` so the dict is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def hf_resolution_warning(mean_nn_ms: float, hf_high_hz: float = 0.4) -> str | None:
    """A warning when the HF band reaches above what the beats can resolve, else ``None``.

    Beats sample the heart-rate rhythm once each, so nothing faster than half the mean heart
    rate (its Nyquist frequency) is resolved: at 40 beats/min, 0.33 Hz. An HF rhythm above it
    reads low (a 0.35 Hz swing of +-40 ms, 800 ms^2, read 404 ms^2 at 1500 ms, NeuroKit2 435)
    and aliased to a lower frequency.

    Parameters
    ----------
    mean_nn_ms : float
        Mean NN interval, ms.
    hf_high_hz : float
        Upper edge of the HF band, Hz (Task Force 1996: 0.4).

    Examples
    --------
    >>> hf_resolution_warning(1000.0) is None
    True
    >>> hf_resolution_warning(1500.0)[:40]
    'at a mean heart rate of 40 beats/min the'
    """
    nyquist_hz = 500.0 / mean_nn_ms
    if nyquist_hz >= hf_high_hz:
        return None
    return (
        f"at a mean heart rate of {60000.0 / mean_nn_ms:.0f} beats/min the beats resolve heart "
        f"rhythms up to {nyquist_hz:.2f} Hz only: HF power above that (the band runs to "
        f"{hf_high_hz:g} Hz) is missed or aliased lower"
    )


def _session_coherence(
    nn_t_s: ArrayLike,
    nn_ms: ArrayLike,
    settings: CoherenceSettings,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The session's coherence as the report gives it: the means of the ratio and the 0-10
    score over every window the beats cover (:func:`analysis.coherence.measured_coherence`,
    McCraty et al. 2006; ``None`` with no such window), how many windows, and in words."""
    series = measured_coherence(nn_t_s, nn_ms, settings, progress=progress)
    ratios = [r.ratio for r in series if r.ratio is not None]
    scores = [r.score for r in series if r.score is not None]
    return {
        "session_mean_ratio": float(np.mean(ratios)) if ratios else None,
        "session_mean_score": float(np.mean(scores)) if scores else None,
        "session_windows": len(series),
        "session_mean_over": (
            f"the mean of the {settings.window_s:g} s windows ending every "
            f"{settings.update_s:g} s from {settings.window_s:g} s after the first beat, those "
            f"the beats cover (no gap over {settings.max_gap_s:g} s): the coherence of the session "
            "report, summary.csv and the history"
        ),
    }


def analyse_rr(
    rr_ms: ArrayLike,
    *,
    params: ArtifactParams = DEFAULT_PARAMS,
    convention: Convention = "task_force",
    method: Literal["welch", "lomb"] = "welch",
    welch_settings: WelchSettings | None = None,
    lomb_settings: LombSettings | None = None,
    min_spectrum_s: float = 120.0,
    band_min_s: Mapping[str, float] | None = BAND_MIN_S,
    max_iterations: int = 5,
    correct: bool = True,
    beat_t_s: ArrayLike | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Analyse an RR series: labels, NN series, metrics and settings.

    Parameters
    ----------
    rr_ms : array_like
        RR intervals, ms, in beat order.
    params : ArtifactParams, optional
        Artifact detector and correction settings.
    convention : {"task_force", "pyhrv"}
        Time-domain conventions (:func:`analysis.hrv_time.time_domain`).
    method : {"welch", "lomb"}
        Spectral estimator.
    welch_settings, lomb_settings : optional
        Estimator settings.
    min_spectrum_s : float, optional
        Shortest series, s, for which the bands ``band_min_s`` does not name are computed
        (first beat to last).
    band_min_s : dict of str to float or None, optional
        Shortest series per band, s, judged on the recording its beats can come from
        (:func:`analysis.hrv_frequency.series_length_s`;
        :data:`analysis.hrv_frequency.BAND_MIN_S`: HF from 60 s, LF from 120 s, by
        docs/reference/physiology.md); None gives every band ``min_spectrum_s``, the session
        report's rule.
    max_iterations : int, optional
        Correction passes at most.
    correct : bool, optional
        False takes every interval as it is (:func:`analysis.rr_artifacts.uncorrected_rr`):
        no artifact is looked for, ``artifact_pct`` is None, and a warning says so.
    beat_t_s : array_like, optional
        When each interval's beat came, s, one per interval (a file's time column, with the
        beats it lost in a gap). Where a beat comes more than
        :data:`analysis.beats.MAX_DRIFT_S` later than its interval says, beats were lost: no
        successive difference is taken across it, and the spectrum is of the longest stretch
        without such a gap (as a session's report takes them). Default: the running sum of
        the intervals, no gap.
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`); nearly all of a long series' time
        is the session coherence's windows, one per 5 s (17 h of beats: ~7 s on one core).

    Returns
    -------
    dict
        ``{"beats": [{"rr_ms", "label"}, ...], "nn_ms": [...], "metrics": {"n_intervals",
        "n_nn_values", "duration_s", "artifacts", "time", "frequency", "coherence"}, "settings":
        {...}, "warnings": [...]}``; strict JSON (no NaN). Every field is described in
        ``docs/hrv-output.md``; the counts: ``n_intervals`` input RR intervals (one per
        ``beats`` entry), ``n_nn_values`` values of the corrected series ``nn_ms`` (split missed
        beats add values, merged extra beats remove them), ``time.n_original_nn`` the
        uncorrected intervals the time-domain metrics use.

    Raises
    ------
    ValueError
        If ``rr_ms`` is not a 1-D series of positive finite intervals.
    """
    steps = ProgressSteps(progress)
    result = (
        correct_rr(rr_ms, params, max_iterations=max_iterations)
        if correct
        else uncorrected_rr(rr_ms, params)
    )
    rr = result.rr_ms
    nn = result.nn_ms
    warnings: list[str] = []

    beats = [
        {"rr_ms": float(v), "label": LABELS[c]}
        for v, c in zip(rr.tolist(), result.codes.tolist(), strict=True)
    ]
    counts = result.counts
    n_art = rr.size - counts["normal"]
    artifacts = {
        "counts": counts,
        "artifact_pct": 100.0 * n_art / rr.size if rr.size and correct else None,
        "pass_counts": list(result.pass_counts),
        "iterations": result.iterations,
    }
    if result.note:
        warnings.append(result.note)
    if not correct:
        warnings.append(
            "artifacts not looked for (--artifacts none): ectopic, missed and extra beats, if "
            "any, count as they are"
        )
    if (too_many := artifact_warning(n_art, int(rr.size))) is not None:
        warnings.append(too_many)

    # The input's clock: the series starts at 0 with the first interval, each beat where the
    # running sum of RR puts it (or where the caller's times say), each corrected value at its
    # beat.
    if beat_t_s is None:
        beats_t_s = np.cumsum(rr) / 1000.0
    else:
        beats_t_s = np.asarray(beat_t_s, dtype=np.float64)
        if beats_t_s.shape != rr.shape or not np.all(np.isfinite(beats_t_s)):
            raise ValueError("beat_t_s must hold one finite time per interval")
    nn_t_s = result.nn_times_s(beats_t_s)
    duration_s = float(beats_t_s[-1]) if rr.size else 0.0
    # No successive difference across lost beats, by the report's rule.
    joined = joined_beats(nn_t_s, nn) if beat_t_s is not None else None
    td = time_domain(nn, valid=~result.nn_corrected, joined=joined, convention=convention)
    time_metrics = td.as_dict()
    if (short := short_series_warning(int(rr.size), td.mean_hr_bpm)) is not None:
        warnings.append(short)
    time_settings = time_metrics.pop("settings")
    freq_metrics: dict[str, Any] | None = None
    freq_settings: dict[str, Any] | None = None
    gap_free = gap_free_frequency_domain(
        nn,
        nn_t_s,
        min_duration_s=min_spectrum_s,
        method=method,
        welch_settings=welch_settings,
        lomb_settings=lomb_settings,
        band_min_s=band_min_s,
    )
    stretch = (
        f"the beats from {gap_free.start_s:.1f} s to {gap_free.end_s:.1f} s "
        f"({gap_free.n_beats} of {gap_free.n_total} NN values), the longest stretch without a "
        f"gap over {MAX_GAP_S:g} s"
    )
    if gap_free.spectrum is not None:
        freq_metrics = gap_free.spectrum.as_dict()
        freq_settings = freq_metrics.pop("settings")
        freq_settings["series"] = (
            "corrected NN at the input's beat times (running sum of RR; a corrected value keeps "
            "its beat), over the longest stretch without a gap over "
            f"{MAX_GAP_S:g} s between beats: {gap_free.start_s:.1f}-{gap_free.end_s:.1f} s"
        )
        if not gap_free.whole:
            warnings.append(f"frequency-domain metrics computed over {stretch} only")
        lf_missing = freq_metrics.get("lf_ms2", 0.0) is None
        if lf_missing:
            length_s = freq_settings.get("length_s", gap_free.duration_s)
            lf_min_s = (band_min_s or {}).get("lf", min_spectrum_s)
            warnings.append(
                f"LF not computed: the spectrum's stretch lasts {gap_free.duration_s:.1f} s from "
                f"its first beat to its last (a recording of {length_s:.1f} s), under "
                f"{lf_min_s:g} s (Task Force 1996: about 2 min for LF); HF only, without VLF, "
                "LF, LF/HF, total power or normalised units"
            )
        elif freq_metrics.get("vlf_ms2", 0.0) is None:
            warnings.append(
                f"VLF not computed: the spectrum's stretch lasts {gap_free.duration_s:.1f} s "
                f"from its first beat to its last, under {MIN_VLF_S:g} s (Task Force 1996: VLF "
                "from recordings of 5 min or less is a dubious measure); total_ms2 is LF + HF"
            )
        if not lf_missing and gap_free.duration_s < ROUGH_LF_S:
            warnings.append(
                f"LF is rough: the spectrum's stretch lasts {gap_free.duration_s:.1f} s, "
                f"{gap_free.duration_s * 0.04:.1f} periods of the LF band's 0.04 Hz edge, where "
                f"Task Force 1996 asks for about 10 ({ROUGH_LF_S:g} s); read LF and LF/HF with care"
            )
        if freq_metrics.get("hf_ms2") is not None and gap_free.duration_s < ROUGH_HF_S:
            warnings.append(
                f"HF is rough: the spectrum's stretch lasts {gap_free.duration_s:.1f} s, "
                f"{gap_free.duration_s * 0.15:.1f} periods of the HF band's 0.15 Hz edge, where "
                f"Task Force 1996 asks for about 10 ({ROUGH_HF_S:.1f} s); read HF with care"
            )
        if (unresolved := hf_resolution_warning(float(nn.mean()))) is not None:
            warnings.append(unresolved)
    else:
        # The span from the first beat to the last, as the threshold reads it: a series of
        # 120.4 s whose first beat ends at 0.8 s is not "120 s, under 120 s".
        shortest_s = min((band_min_s or {}).values(), default=min_spectrum_s)
        if gap_free.whole:
            recording = (
                f" (a recording of {series_length_s(gap_free.duration_s, nn):.1f} s)"
                if band_min_s
                else ""
            )
            warnings.append(
                f"series lasts {gap_free.duration_s:.1f} s from its first beat to its "
                f"last{recording}, under {shortest_s:g} s: frequency-domain metrics not computed"
            )
        else:
            warnings.append(
                f"frequency-domain metrics not computed: {stretch}, lasts "
                f"{gap_free.duration_s:.1f} s, under {shortest_s:g} s"
            )

    coh_settings = CoherenceSettings()
    coh = coherence_at(*ordered_beats(nn_t_s, nn), None, coh_settings) if nn.size else None
    coherence: dict[str, Any] | None = None
    if coh is not None:
        # The block says what its numbers are without the settings next to it: one value of a
        # windowed measure, over which window, on which scale.
        coherence = {
            **{k: v for k, v in coh.as_dict().items() if k != "t_end_s"},
            "window_s": coh_settings.window_s,
            "window_start_s": max(coh.t_end_s - coh_settings.window_s, 0.0),
            "window_end_s": coh.t_end_s,
            "computed_over": (
                f"the last {coh_settings.window_s:g} s of the corrected NN series (times: the "
                "input's beat times, running sum of RR from the start of the first interval)"
            ),
            # Measured on 72,000 beats: the windows are 97 % of the time.
            **_session_coherence(nn_t_s, nn, coh_settings, steps.part(0.03, 1.0)),
            "ratio_definition": "(peak / (total - peak))^2, McCraty et al. 2006",
            "score_scale": coh_settings.score_scale(),
        }
        if coh.ratio is None:
            warnings.append(f"coherence not computed: {coh.note}")

    # Intervals are validated finite; only the metrics can hold inf/NaN (e.g. a ratio).
    summary = {
        "metrics": {
            "n_intervals": int(rr.size),
            "n_nn_values": int(nn.size),
            "duration_s": duration_s,
            "artifacts": artifacts,
            "time": time_metrics,
            "frequency": freq_metrics,
            "coherence": coherence,
        },
        "settings": {
            "artifacts": (
                {**params.as_dict(), "max_iterations": max_iterations}
                if correct
                else {"method": "none: every interval taken as it is"}
            ),
            "time": {**time_settings, "values": "original NN intervals (corrected ones left out)"},
            "frequency": freq_settings,
            "coherence": coh_settings.as_dict(),
        },
        "warnings": warnings,
    }
    steps.done()
    return {"beats": beats, "nn_ms": nn.tolist(), **_clean(summary)}
