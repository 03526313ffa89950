"""``breathwise breaths``: breath-by-breath analysis of a waveform file, or breathing from RR.

``breathwise breaths INPUT --fs HZ [--column NAME|N] [--source belt|acc] [--format json|csv]``
reads a plain CSV/text waveform (one column, or the named / numbered column; ``--source acc``
takes three columns x, y, z) and runs the same detectors as the live trainer
(:func:`analysis.breath.detect_breaths`, :func:`analysis.acc_breath.detect_acc_breaths`).
``breathwise breaths --rr FILE [--unit ms|s]`` reads RR intervals (as ``hrv`` reads them,
:func:`trainer.storage.rr_file.read_rr_file`) and estimates breathing from respiratory sinus
arrhythmia (:mod:`analysis.rr_breath`). Every problem with the input is one
:class:`trainer.errors.UserError` line naming the file and line. A waveform file is read by
:mod:`trainer.storage.waveform_csv`, its time column checked against ``--fs``
(:func:`trainer.storage.waveform_csv.check_time_column`); an RR table's keeps the gaps it
shows, as ``import`` does.

Long work (a waveform of :data:`trainer.cli.progress_bar.LONG_WAVEFORM_SAMPLES` rows, sized
before it is read; an RR file of :data:`trainer.cli.progress_bar.LONG_RR_BEATS` beats) shows
``hrv``'s transient bar on a terminal's standard error: the rows as they are parsed, the
samples as the detector takes them, the checks, or the 64 s windows of ``--rr``
(:data:`READ_SHARE`, :data:`DETECT_SHARE`, :data:`ESTIMATES_SHARE`). Standard output is the
same with it or without.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from numpy.typing import NDArray

from analysis.acc_breath import GRAVITY_TAU_S, AccBreathTracker, gravity_magnitude
from analysis.acc_breath import MIN_FS_HZ as ACC_TRACKER_MIN_FS_HZ
from analysis.acc_breath import NOISE_K as ACC_NOISE_K
from analysis.breath import (
    MIN_BREATH_S,
    MIN_DEPTH_STEPS,
    Breath,
    BreathTracker,
    fed_in_parts,
    settle_ends,
)
from analysis.breath_signal_checks import (
    BREATHING_BAND_HZ,
    BREATHING_POWER_TOP_HZ,
    CLIPPED_WARN_FRACTION,
    NOISE_LAG1,
    NOISE_WINDOW_S,
    SLOWEST_VALIDATED_BPM,
    TOO_SLOW_BPM,
    breathing_power,
    clipped_fraction,
    good_ratios,
    held_runs,
    lag1_autocorrelation,
    looks_inverted,
    looks_too_fast,
    noise_breaths,
    noise_stretches,
    quantisation_step,
)
from analysis.breath_variability import BreathVariability, breath_variability, ratio_measured
from analysis.hrv_report import artifact_warning
from analysis.progress import ProgressCallback, ProgressSteps
from analysis.rr_artifacts import correct_rr
from analysis.rr_breath import (
    COSEN_IRREGULAR,
    GOOD_QUALITY,
    MIN_RECORDED_INTERVALS,
    MIN_USABLE_SHARE,
    USABLE_QUALITY,
    WHITE_NOISE_ALPHA,
    RRBreathEstimate,
    RRBreathTracker,
    estimate_breathing_from_rr,
    rr_breath_cycles,
    session_rate_bpm,
    usable_share,
)
from trainer import SOFTWARE
from trainer.cli.hrv import say_notes, say_warnings
from trainer.errors import BadArgument, UserError
from trainer.session.pipeline import BELT_CUTOFF_HZ
from trainer.storage.imports.waveforms import check_table_fs
from trainer.storage.paths import check_output_path, write_csv
from trainer.storage.rr_file import RRFile, read_rr_file
from trainer.storage.text_files import (
    STREAM_MAX_BYTES,
    input_name,
    refuse_a_recording,
)
from trainer.storage.waveform_csv import (
    ACC_UNITS,
    acc_unit,
    check_time_column,
    load_waveform,
    time_column_rate,
)

__all__ = [
    "BREATH_KEYS",
    "ESTIMATE_KEYS",
    "MIN_DURATION_S",
    "RR_BREATH_KEYS",
    "SampleAnalysis",
    "analyse_samples",
    "breaths",
    "estimates_rows",
    "rr_estimates",
]

FloatArray = NDArray[np.float64]

BREATH_KEYS = (
    "inhale_onset_s",
    "exhale_onset_s",
    "end_s",
    "inhale_s",
    "exhale_s",
    "pause_s",
    "ratio",
    "depth",
    "quality",
)
"""Fields of each breath in the output, in order."""
RR_BREATH_KEYS = (*BREATH_KEYS, "rsa_bpm")
"""Fields of each breath found from RR (``--rr``): those of every source, so that a script reads
any ``breaths`` output alike (issue 7's schema; ``depth`` was named ``rsa_bpm`` here alone
before), the depth being the breath's peak-to-trough RSA in beats/min, repeated
as ``rsa_bpm`` under the name it had (and has in ``report``, ``history`` and exports)."""
ESTIMATE_KEYS = (
    "t_s",
    "rate_bpm",
    "phase_rad",
    "fit_swing_bpm",
    "quality",
    "white_noise_p",
    "cosen",
    "unusable_reason",
)
"""Fields of each 64 s window of ``--rr`` (JSON ``estimates``; the CSV of ``--estimates FILE``).
``fit_swing_bpm`` is the peak-to-trough of the sinusoid fitted at the window's breathing rate
(:attr:`analysis.rr_breath.RRBreathEstimate.rsa_bpm`), not a breath's RSA: it was named
``rsa_bpm`` like the breaths' peak-to-trough RSA, a different quantity."""
MIN_DURATION_S = 20.0
"""Shortest recording analysed, s: a few breaths even at 10 breaths/min."""
MIN_MERGED_WARN = 2
"""Fewest breaths that absorbed a cycle under the detector's shortest breath for a warning
(:attr:`analysis.breath.BreathTracker.merged_breaths`): none did on the five real belts of
``../shared/data`` nor on synthetic ones at 6-70/min; 2-23 of 140-157 at 75-80/min with 5 %
breath-to-breath variability."""
MERGED_WARN_SHARE = 0.01
"""Share of the breaths found that must have absorbed such a cycle for that warning, beside
:data:`MIN_MERGED_WARN`."""
UNCLEAR_CAUSE = (
    "too little sinus arrhythmia, an irregular rhythm, or breathing slower than about 4/min"
)
"""Why no session rate, when neither irregularity test explains most windows."""
IRREGULAR_NOTE = (
    "intervals this irregular hold no breathing rhythm to read; poor strap contact, many extra "
    "beats or an irregular heart rhythm can cause it (Breathwise does not diagnose: if you "
    "have symptoms, see a doctor), and a belt or the H10's accelerometer measures the "
    "breathing directly"
)
"""Said after a session rate is refused for an irregular rhythm."""
UNIT_GRAVITY_TOLERANCE = 1.25
"""Largest factor between the gravity measured and the one the header's unit gives before a
warning doubts the unit: a sensor's calibration is within a few percent, a wrong unit is off
by 9.8 or 1000."""
MIN_COVERED_SHARE = 0.5
"""Share of a waveform recording that its breaths (inhale onset to end, artifacts included)
must span for the result to go without a warning (:func:`_little_covered`). The real belts of
``../shared/data`` span 93-99 % (NeuroKit2 x3, wfdb 03700181 RESP, mixedsignals Resp); an
accelerometer analysed with its time column as an axis, 11 %."""
BELT_MIN_FS_HZ = 4.0
"""Lowest --fs of a belt waveform, Hz: there the belt's 1 Hz low-pass
(:data:`trainer.session.pipeline.BELT_CUTOFF_HZ`) lies at half the Nyquist frequency."""
ACC_MIN_FS_HZ = ACC_TRACKER_MIN_FS_HZ
"""Lowest --fs of an accelerometer waveform, Hz: the tracker's own
(:data:`analysis.acc_breath.MIN_FS_HZ`)."""
MAX_FS_HZ = 100_000.0
"""Highest --fs, Hz: far above any breathing sensor's rate; more is a typo (samples per
minute, or a unit's factor)."""


def _breath_row(b: Breath) -> dict[str, Any]:
    def num(v: float) -> float | None:
        return round(v, 4) if math.isfinite(v) else None

    return {
        "inhale_onset_s": num(b.inhale_onset_s),
        "exhale_onset_s": num(b.exhale_onset_s),
        "end_s": num(b.end_s),
        "inhale_s": num(b.inhale_s),
        "exhale_s": num(b.exhale_s),
        "pause_s": num(b.pause_s),
        # Unmeasured (inf, or 0 for a fall that took no time) is null, as everywhere ratios
        # are used (ratio_measured): 0.0 passed for a value, and the median of such ratios.
        "ratio": num(b.ratio) if ratio_measured(b.ratio) else None,
        "depth": float(f"{b.depth:.6g}"),
        "quality": b.quality,
    }


def _median_rate(rates: list[float]) -> float | None:
    return round(float(np.median(rates)), 3) if rates else None


def _check_fs(fs: float, minimum: float, what: str) -> float:
    if not (math.isfinite(fs) and minimum <= fs <= MAX_FS_HZ):
        raise BadArgument(
            f"--fs must lie within {minimum:g}-{MAX_FS_HZ:g} Hz for {what}, got {fs!r}"
        )
    return float(fs)


READ_SHARE = {"belt": 0.4, "acc": 0.1}
"""Share of ``breaths``' work on a waveform that reading the file takes, by source, for the
progress bar: 3.9 of 9.5 s on 4 h of a 100 Hz belt; 2.3 of 22.7 s on 1 h of a 200 Hz
accelerometer, whose tracker takes most of the rest (profiled, 2 busy cores)."""
DETECT_SHARE = {"belt": 0.6, "acc": 0.9}
"""Share of :func:`analyse_samples`' work that the breath detector takes, by source, for the
progress bar; the signal checks take the rest (same profiles as :data:`READ_SHARE`)."""


def _analyse_waveform(
    input: Path,
    fs: float | None,
    column: str | None,
    source: str,
    invert: bool = False,
    progress: ProgressCallback | None = None,
    inhale_longer: bool = False,
) -> dict[str, Any]:
    """The result of ``breaths`` on a waveform file (JSON's fields); its warnings are the
    caller's to say. ``progress`` is told the fraction done (:mod:`analysis.progress`);
    ``inhale_longer`` is :func:`analyse_samples`'."""
    acc = source == "acc"
    what = "an accelerometer" if acc else "a belt"
    if fs is None:
        refuse_a_recording(input, what="a waveform file")
        try:
            implied = time_column_rate(load_waveform(input, column, acc=acc))
        except UserError:
            implied = None  # the file's own problem is said once --fs is given
        raise BadArgument(
            f"--fs is required for a waveform file (samples per second of {what})"
            + (f"; {implied}" if implied else "")
        )
    fs_hz = _check_fs(fs, ACC_MIN_FS_HZ if acc else BELT_MIN_FS_HZ, what)
    steps = ProgressSteps(progress)
    read_share = READ_SHARE[source]
    wave = load_waveform(input, column, acc=acc, progress=steps.part(0.0, read_share))
    time_warnings, time_rate = check_time_column(input, wave, fs_hz)
    n = wave.samples.shape[0]
    duration = n / fs_hz
    needed = math.ceil(MIN_DURATION_S * fs_hz)
    if n < needed:
        # Counted in samples: a duration rounded for display could read as enough.
        raise UserError(
            f"{input}: only {n} samples ({_short_of(duration, MIN_DURATION_S)} s at "
            f"{fs_hz:g} Hz); breath analysis needs at least {MIN_DURATION_S:g} s ({needed} "
            "samples)"
        )
    settings: dict[str, Any] = {
        "software": SOFTWARE,
        # Which recording this is, as --rr's settings say (a JSON kept beside many files).
        "file": str(input),
        "fs_hz": fs_hz,
        # The column analysed, also when found by itself (by its name, or the only one).
        "column": ",".join(wave.columns),
        "time_column": None if wave.time is None else wave.time.name,
        "time_column_rate_hz": time_rate,
        "samples": n,
        "duration_s": round(duration, 3),
        "time_origin": "first sample = 0 s",
    }
    unit = acc_unit(input, wave.columns) if acc else None
    gravity = None
    if acc:
        try:
            gravity = gravity_magnitude(wave.samples, fs_hz)
        except ValueError as error:
            raise UserError(f"{input}: {error}") from None
    analysed = analyse_samples(
        wave.samples,
        fs_hz,
        source=source,
        invert=invert,
        column=column,
        unit=unit,
        gravity=gravity,
        progress=steps.part(read_share, 1.0),
        inhale_longer=inhale_longer,
    )
    steps.done()
    warnings = [*wave.notes, *time_warnings, *analysed.warnings]
    settings |= analysed.settings
    settings["warnings"] = warnings  # the output's keys are the issue's; notes go here
    return {
        "breaths": [_breath_row(b) for b in analysed.breaths],
        "rate_bpm": analysed.rate_bpm,
        "variability": analysed.variability.as_dict(),
        "source": source,
        "settings": settings,
    }


@dataclass(frozen=True)
class SampleAnalysis:
    """What ``breathwise breaths`` finds in a waveform's samples (:func:`analyse_samples`).

    Attributes
    ----------
    breaths : list of Breath
        The breaths as listed, times in s from the first sample: each ends at the next one's
        inhale onset (:func:`analysis.breath.settle_ends`), artifacts included.
    rate_bpm : float or None
        The headline rate, breaths/min, rounded to 0.001 as output: the median of 60 / (end -
        inhale onset) over ``breaths`` that are not artifacts; ``None`` without any.
    variability : BreathVariability
        Breath-to-breath variability of ``breaths`` (:mod:`analysis.breath_variability`).
    warnings : list of str
        The warnings about the signal, in the order they are given.
    settings : dict
        The analysis's entries of the output's ``settings`` (method, detector, the checks'
        measures), in output order.
    """

    breaths: list[Breath]
    rate_bpm: float | None
    variability: BreathVariability
    warnings: list[str]
    settings: dict[str, Any]


def analyse_samples(
    samples: FloatArray,
    fs_hz: float,
    *,
    source: str = "belt",
    invert: bool = False,
    column: str | None = None,
    unit: str | None = None,
    gravity: float | None = None,
    progress: ProgressCallback | None = None,
    inhale_longer: bool = False,
) -> SampleAnalysis:
    """The analysis of ``breathwise breaths`` on samples already read, as the command runs it.

    The command reads the file, checks its time column and length, then calls this; the
    validation report (``benchmarks/validate_breath.py``) calls it too, so that its rows on
    the real recordings are what the command gives.

    Parameters
    ----------
    samples : ndarray
        The waveform as recorded, shape (n,) for a belt or (n, 3) for an accelerometer (x, y,
        z), at least :data:`MIN_DURATION_S` long.
    fs_hz : float
        Sampling rate, Hz.
    source : {"belt", "acc"}
        The sensor: a belt (:func:`analysis.breath.detect_breaths`) or a chest accelerometer
        (:class:`analysis.acc_breath.AccBreathTracker`).
    invert : bool
        A belt that falls on inhale: analyse ``-samples``.
    column : str or None
        The ``--column`` asked for, named in warnings that the column holds no breathing.
    unit : str or None
        Accelerometer only: the unit the file's header states (a symbol of
        :data:`trainer.storage.waveform_csv.ACC_UNITS`, or as written), said in the
        settings; a known one is checked against the gravity measured.
    gravity : float or None
        Accelerometer only: the magnitude of gravity in the samples' units, which scales the
        analysis (:class:`analysis.acc_breath.AccBreathTracker`); None measures it
        (:func:`analysis.acc_breath.gravity_magnitude`).
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): the samples fed to the detector,
        then the signal checks one by one (:data:`DETECT_SHARE`). The result is the same.
    inhale_longer : bool
        Accelerometer only: the person breathed in for longer than out (exhale:inhale below
        1), so a breath falling faster than it rises orients the signal
        (:attr:`analysis.acc_breath.AccBreathTracker.inhale_longer`); without it, such
        breathing reads upside down, its ratio inverted.

    Returns
    -------
    SampleAnalysis
        The breaths as listed, the rate, the variability, warnings and settings.

    Raises
    ------
    ValueError
        An accelerometer whose samples hold no gravity, when ``gravity`` is None
        (:func:`analysis.acc_breath.gravity_magnitude`).
    """
    acc = source == "acc"
    data = -samples if invert else samples
    n = data.shape[0]
    duration = n / fs_hz
    settings: dict[str, Any] = {}
    warnings: list[str] = []
    told = ProgressSteps(progress)
    detected = DETECT_SHARE[source]
    # The checks' shares of what is left after the detector, in the order they run, as
    # profiled on a 4 h belt: clipping 0.1, converter step 0.1, noise windows 0.1, power
    # spectrum 0.25, held runs 0.3, the ends and the rest 0.15.
    after: dict[str, float] = {}
    at = detected
    for check, share in (
        ("clipped", 0.1),
        ("coarse", 0.1),
        ("noise", 0.1),
        ("spectrum", 0.25),
        ("held", 0.3),
    ):
        at += share * (1.0 - detected)
        after[check] = at
    if not acc:
        settings["inverted"] = invert
    if acc:
        merged = 0  # the accelerometer's tracker keeps no such count
        g = gravity_magnitude(data, fs_hz) if gravity is None else gravity
        tracker = AccBreathTracker(fs_hz, gravity=g, inhale_longer=inhale_longer)
        settings["inhale_longer"] = inhale_longer
        found = fed_in_parts(tracker.update, data, told.part(0.0, detected))
        settings["method"] = (
            f"chest ACC: 1.5 Hz low-pass, gravity ({GRAVITY_TAU_S:g} s) for the posture-change "
            "hold and the adaptive principal axis (30 s), the breathing projected from the "
            "posture's first sample (no high-pass), then the belt detector, its hysteresis at "
            f"least {ACC_NOISE_K:g} times the sensor noise measured across the breathing; "
            "thresholds in thousandths of the gravity measured, so any unit gives the same "
            "breaths"
        )
        settings["working_fs_hz"] = tracker.work_fs_hz
        settings["posture_changes"] = tracker.posture_changes
        # The unit the header states (depths are in it), and the scale the analysis took.
        settings["unit"] = unit
        settings["gravity"] = float(f"{g:.6g}")
        warnings += _doubted_unit(unit, g)
    else:
        # detect_breaths' tracker, kept to ask how many breaths absorbed too short a cycle.
        belt_tracker = BreathTracker(fs_hz, cutoff_hz=BELT_CUTOFF_HZ)
        found = fed_in_parts(belt_tracker.update, data, told.part(0.0, detected))
        merged = belt_tracker.merged_breaths
        settings["method"] = (
            f"belt: causal {BELT_CUTOFF_HZ:g} Hz Butterworth low-pass, adaptive hysteresis "
            "turning points, phases timed by raised-cosine fits on the raw signal, each "
            "breath's rise and fall through one shared peak (robust Gauss-Newton; corner rule "
            "where a phase does not fit)"
        )
    settings["detector"] = {
        "cutoff_hz": BELT_CUTOFF_HZ,
        "rel_delta": 0.3,
        "onset_fraction": 0.05,
        "max_rate_bpm": round(60.0 / MIN_BREATH_S, 3),
    }
    # The whole file is here: each breath ends at the next one's fitted inhale onset.
    settings["ends"] = "next breath's inhale onset (analysis.breath.settle_ends)"
    clipped = clipped_fraction(data)
    told(after["clipped"])
    settings["clipped_fraction"] = round(clipped, 4)
    flat = [i for i, col in enumerate(data.reshape(n, -1).T) if np.ptp(col) == 0.0]
    if flat:
        # A constant column is a sensor that is off or unplugged, not one driven past its range.
        which = "" if data.ndim == 1 else f" (column {', '.join('xyz'[i] for i in flat)})"
        warnings.append(
            f"the signal is flat{which}: every sample has the same value, so it holds no "
            "breathing (sensor off or not worn?)"
        )
    elif clipped > CLIPPED_WARN_FRACTION:
        warnings.append(
            f"{100 * clipped:.0f} % of the samples sit at exactly the signal's minimum or "
            "maximum: the sensor looks saturated (clipped), so breath times, ratios and even "
            "the count may not be the breathing's"
        )
    if not flat and not acc:
        step = quantisation_step(data)
        depths = [b.depth for b in found if b.quality != "artifact"]
        steps = float(np.median(depths)) / step if depths and step > 0.0 else math.inf
        if steps < MIN_DEPTH_STEPS:
            # Few levels everywhere is a coarse converter (or a belt with little stretch), not
            # clipping, although its extremes hold many samples too.
            warnings.append(
                f"the signal is coarse: its breaths are a median of {steps:.1f} steps deep (a "
                f"step of {step:g}, the converter's resolution), so breath times and ratios are "
                f"only as fine as those steps; breaths under {MIN_DEPTH_STEPS} steps are marked "
                "uncertain (more gain, a finer converter or a tighter belt would help)"
            )
    told(after["coarse"])
    if looks_too_fast(found, MIN_BREATH_S):
        warnings.append(
            "most breaths are uncertain and shorter than "
            f"{2 * MIN_BREATH_S:g} s: breathing faster than {60.0 / MIN_BREATH_S:g} "
            f"breaths/min (cycles under {MIN_BREATH_S:g} s) is taken for wiggles and merged, "
            "so it reads at half its rate"
        )
    elif merged >= max(MIN_MERGED_WARN, MERGED_WARN_SHARE * len(found)):
        # Near the limit only some cycles fall under it: at 80/min with 5 % breath-to-breath
        # variability a third were merged, silently, and the rate read 76.
        warnings.append(
            f"{merged} breaths took in a cycle shorter than {MIN_BREATH_S:g} s (faster than "
            f"{60.0 / MIN_BREATH_S:g} breaths/min), merged as a wiggle: breathing this fast "
            "is undercounted, and the rate reads low"
        )
    if not flat:
        warnings += _nothing_measured(data, duration, found, column)
    if acc and not flat:
        warnings += _time_like_axes(data, duration, column)
    if not acc and not flat:
        lag1 = lag1_autocorrelation(data)
        settings["lag1_autocorrelation"] = round(lag1, 4)
        # The detector finds "breaths" in any wander of the low-passed signal; white noise (a
        # disconnected input, a random column, a belt that came off) has plenty. Judged window
        # by window, so that a belt that comes off halfway keeps its breathing half.
        noisy = noise_stretches(data, fs_hz)
        told(after["noise"])
        if noisy == [(0, n)] and found:
            warnings.append(
                f"the signal looks like noise, not breathing: consecutive samples are nearly "
                f"unrelated (lag-1 autocorrelation {lag1:.2f}, where breathing reads above "
                f"0.7): the {len(found)} breaths found in it are marked artifacts and no rate "
                "is given; is it the right column, and is the sensor connected?"
            )
            found = [replace(b, quality="artifact") for b in found]
        else:
            notes: list[str] = []
            if noisy:
                found, notes = _mark_noise(found, data, fs_hz, noisy)
                warnings += notes
            doubt = _not_breathing(data, fs_hz, settings, column)
            told(after["spectrum"])
            if found and not notes and doubt:
                # Noise has its own warning (and its power lies faster than breathing too).
                # A breath of a signal that may not be breathing is not a good one: a
                # researcher filtering on quality kept an ECG's 90-s "breaths" (review).
                warnings += doubt
                found = [
                    replace(b, quality="uncertain") if b.quality == "good" else b for b in found
                ]
        upside_down, skew = looks_inverted(data, fs_hz, found, cutoff_hz=BELT_CUTOFF_HZ)
        settings["slope_skewness"] = round(skew, 3)
        if upside_down:
            good = good_ratios(found)
            warnings.append(
                "the breaths may be upside down: the signal rises slowly and falls fast "
                f"(median exhale:inhale ratio {float(np.median(good)):.2f}, slope skewness "
                f"{skew:+.2f}). That is also what breathing in for longer than out gives (a "
                "pacer's ratio under 1): if so, the numbers are right as they are; only if "
                "the belt falls on inhale, run again "
                + ("without --invert" if invert else "with --invert")
            )
    held = [] if flat else held_runs(data, fs_hz, found)
    told(after["held"])
    if held:
        found, note = _mark_held(found, held, fs_hz)
        warnings.append(note)
    if not flat:
        warnings += _unmeasured_ratios(found)
    settled = settle_ends(found)
    if not flat:
        warnings += _little_covered(settled, duration)
    # From the breaths as listed (each ends at the next one's inhale onset), so that the
    # headline is reproducible from the table; the corner-timed Breath.rate_bpm read 19.23 on
    # wfdb 03700181 where the onsets give 18.05 (docs/validation/breathing.md, section 5).
    rates = [60.0 / (b.end_s - b.inhale_onset_s) for b in settled if b.quality != "artifact"]
    rate = _median_rate(rates)
    if rate is not None and rate < TOO_SLOW_BPM:
        warnings.append(_too_slow(rate, settled))
    # On the breaths as listed: their ends settled, the joins between them are too.
    variability = breath_variability(settled)
    told.done()
    return SampleAnalysis(settled, rate, variability, warnings, settings)


def _mark_held(
    found: list[Breath], held: list[tuple[int, int]], fs_hz: float
) -> tuple[list[Breath], str]:
    """Mark the breaths overlapping runs of repeated samples (:func:`held_runs`) as artifacts,
    and say where the runs are."""
    spans = [(a / fs_hz, (b - 1) / fs_hz) for a, b in held]
    out = [
        replace(b, quality="artifact")
        if any(b.inhale_onset_s <= hi and lo <= b.end_s for lo, hi in spans)
        else b
        for b in found
    ]
    marked = sum(1 for a, b in zip(found, out, strict=True) if a is not b)
    where = ", ".join(f"{lo:.2f}-{hi:.2f} s" for lo, hi in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    total_s = sum(hi - lo for lo, hi in spans)
    them = "it" if len(spans) == 1 else "them"
    if marked == 0:
        which = f"No breath overlaps {them}"
    elif marked == 1:
        which = f"The breath overlapping {them} is marked as an artifact"
    else:
        which = f"The {marked} breaths overlapping {them} are marked as artifacts"
    return out, (
        f"the signal repeats exactly the same value over {where}{more} ({total_s:.1f} s in "
        "all), which neither a sensor with noise nor a pause in the breathing explains: a "
        f"logger holding its last sample through a dropout? {which}"
    )


def _not_breathing(
    data: FloatArray, fs_hz: float, settings: dict[str, Any], column: str | None
) -> list[str]:
    """A warning when a belt signal's power up to a few Hz lies mostly outside breathing rates
    (:func:`power_shares`): another column chosen by mistake, such as an ECG (whose "breaths"
    were 0.1-91 s long, 90-s inhales marked good, at a plausible 23.9/min) or skin
    conductance (4.8/min); mains hum or sensor noise above :data:`BREATHING_POWER_TOP_HZ` on a
    belt does not count; nor does a local event (a step of the baseline, a logger's -9999:
    :func:`breathing_power`). The shares go in the settings."""
    power = breathing_power(data, fs_hz)
    settings["power_shares"] = {
        "slower": round(power.whole.slower, 3),
        "breathing": round(power.whole.breathing, 3),
        "faster": round(power.whole.faster, 3),
        "stretches": power.stretches,
        "median_stretch_breathing": round(power.median_stretch.breathing, 3),
    }
    found = power.not_breathing()
    if found is None:
        return []
    side, shares = found
    of_it = "its" if shares is power.whole else f"the median of its {power.stretches} stretches'"
    lo, hi = BREATHING_BAND_HZ
    if side == "faster":
        like = f"{100 * shares.faster:.0f} % lies faster, as in an ECG or a pulse wave"
    else:
        like = (
            f"{100 * shares.slower:.0f} % lies slower, with no breathing rhythm standing out, as "
            "in skin conductance or a temperature"
        )
    question = (
        f"is column {column!r} the breathing signal?"
        if column is not None
        else "does the file hold a breathing signal?"
    )
    return [
        f"the signal does not look like breathing: only {100 * shares.breathing:.0f} % of {of_it} "
        f"power up to {BREATHING_POWER_TOP_HZ:g} Hz lies at breathing rates ({60 * lo:g}-"
        f"{60 * hi:g} breaths/min), {like}; so the "
        f"breaths and the rate found in it are doubtful (its good breaths are marked "
        f"uncertain): {question} (choose the column with --column)"
    ]


def _mark_noise(
    found: list[Breath], data: FloatArray, fs_hz: float, noisy: list[tuple[int, int]]
) -> tuple[list[Breath], list[str]]:
    """Mark the breaths made of the noise of stretches that look like noise
    (:func:`noise_breaths`) as artifacts, and say where those stretches are. A stretch with no
    such breath (a belt holding still through a long pause) is not mentioned."""
    marks = noise_breaths(found, data, fs_hz, noisy)
    out = [replace(b, quality="artifact") if m else b for b, m in zip(found, marks, strict=True)]
    marked = [b for b, m in zip(found, marks, strict=True) if m]
    spans = [
        (a / fs_hz, z / fs_hz)
        for a, z in noisy
        if any(b.inhale_onset_s < z / fs_hz and a / fs_hz < b.end_s for b in marked)
    ]
    if not spans:
        return out, []
    where = ", ".join(f"{lo:.1f}-{hi:.1f} s" for lo, hi in spans[:3])
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    total_s = sum(hi - lo for lo, hi in spans)
    which = (
        "the breath found there is marked as an artifact"
        if len(marked) == 1
        else f"the {len(marked)} breaths found there are marked as artifacts"
    )
    return out, [
        f"the signal looks like noise, not breathing, over {where}{more} ({total_s:.0f} s in "
        "all): consecutive samples there are nearly unrelated (lag-1 autocorrelation under "
        f"{NOISE_LAG1:g} in every {NOISE_WINDOW_S:g}-s window, where breathing reads above "
        f"0.7), so {which} and the rate is taken from the rest; did the sensor come off or "
        "disconnect?"
    ]


def _short_of(value: float, limit: float) -> str:
    """``value`` with the fewest decimals (up to 6) that still show it below ``limit``.

    999 samples at 50 Hz are 19.98 s, which one decimal would print as 20.0, the very limit
    the message says was not reached.
    """
    for decimals in range(1, 7):
        text = f"{value:.{decimals}f}"
        if float(text) < limit:
            return text
    return f"{value:.6f}"


def _doubted_unit(unit: str | None, gravity: float) -> list[str]:
    """A warning when the header's accelerometer unit is not what the gravity measured in the
    samples says (more than :data:`UNIT_GRAVITY_TOLERANCE` off): a mislabelled column, or
    values with an offset or gravity partly removed. The breaths do not depend on it."""
    known = {symbol: g for symbol, g in ACC_UNITS.values()}
    if unit not in known:
        return []
    expected = known[unit]
    if 1.0 / UNIT_GRAVITY_TOLERANCE <= gravity / expected <= UNIT_GRAVITY_TOLERANCE:
        return []
    return [
        f"the header says the unit is {unit}, but gravity measures {gravity:.4g} in the "
        f"samples, not about {expected:g}: the values are not in {unit}, or hold an offset; "
        "the breaths do not depend on the unit (the analysis is scaled to the gravity "
        "measured), but the depths are in the file's numbers"
    ]


def _nothing_measured(
    data: FloatArray, duration_s: float, found: list[Breath], column: str | None
) -> list[str]:
    """Warnings for an analysis that ran but found no breath of usable quality at all, so an
    empty result says why rather than passing for a finding: the wrong column, e.g. the time
    column (a signal that only rises or only falls never turns back, so it holds no breath).
    """
    warnings = []
    usable = [b for b in found if b.quality != "artifact"]
    which = f"column {column!r}" if column is not None else "the signal"
    if not usable:
        steps = np.diff(data, axis=0)
        if data.ndim == 1 and ((steps >= 0).all() or (steps <= 0).all()):
            trend = "rises" if data[-1] > data[0] else "falls"
            warnings.append(
                f"no breathing found: {which} only {trend} over all {duration_s:.1f} s, like "
                "a time or counter column, never turning back as breathing does; is it the "
                "right column? (choose one with --column)"
            )
        else:
            seen = f" ({len(found)} breaths detected, all artifacts)" if found else ""
            question = (
                f"is column {column!r} the breathing signal?"
                if column is not None
                else "does the file hold a breathing signal?"
            )
            warnings.append(
                f"no breathing found in {duration_s:.1f} s of data{seen}: {question} "
                "(choose the column with --column)"
            )
    return warnings


def _time_like_axes(data: FloatArray, duration_s: float, column: str | None) -> list[str]:
    """A warning for each accelerometer axis that only rises or only falls over the whole
    recording, as a belt's column gets in :func:`_nothing_measured`: a time or counter column
    taken for an axis (``--column 1,2,3`` on a ``t,x,y,z`` file read 17.7 breaths/min from 33
    s of 300, in silence). A real axis carries noise and turns back."""
    names = column.split(",") if column is not None and column.count(",") == 2 else None
    warnings = []
    for i, col in enumerate(data.T):
        steps = np.diff(col)
        if (steps >= 0).all() or (steps <= 0).all():
            trend = "rises" if col[-1] > col[0] else "falls"
            which = f"column {names[i].strip()!r}" if names else f"the {'xyz'[i]} axis"
            warnings.append(
                f"{which} only {trend} over all {duration_s:.1f} s, like a time or counter "
                "column, never turning back as an accelerometer's axis does; is it the right "
                "column? (choose x, y, z with --column)"
            )
    return warnings


def _too_slow(rate_bpm: float, settled: list[Breath]) -> str:
    """The warning for a median rate below :data:`TOO_SLOW_BPM`: breaths that slow
    are more often a swaying baseline (a DC-coupled belt, a moving subject) or a slow signal
    that is not breathing, read in place of the breathing riding on it."""
    usable = [b for b in settled if b.quality != "artifact"]
    inhale = float(np.median([b.inhale_s for b in usable]))
    length = float(np.median([b.end_s - b.inhale_onset_s for b in usable]))
    return (
        f"the median rate, {rate_bpm:.2f} breaths/min (breaths of {length:.0f} s, inhales of "
        f"{inhale:.0f} s), is slower than the {SLOWEST_VALIDATED_BPM:g}/min the analysis is "
        "validated for: a slow sway of the baseline larger than the breaths (a DC-coupled "
        "belt, a moving subject) is read as breaths in place of the breathing riding on it, "
        "and so is a slow signal that is not breathing; look at the signal before trusting "
        "the rate"
    )


def _little_covered(settled: list[Breath], duration_s: float) -> list[str]:
    """A warning when the breaths, artifacts included (each explained by its own warning),
    span under :data:`MIN_COVERED_SHARE` of the recording: the rate then describes only that
    part, and the rest holds nothing the detector could follow as breathing."""
    covered = sum(b.end_s - b.inhale_onset_s for b in settled)
    if not settled or covered >= MIN_COVERED_SHARE * duration_s:
        return []
    first, last = settled[0].inhale_onset_s, settled[-1].end_s
    return [
        f"breaths were found in only {covered:.1f} s of the {duration_s:.1f}-s recording "
        f"({100 * covered / duration_s:.0f} %, between {first:.1f} and {last:.1f} s): the "
        "rest holds no breathing the detector could follow, so the rate and the breaths "
        "describe that part only"
    ]


def _unmeasured_ratios(found: list[Breath]) -> list[str]:
    """A warning for the usable breaths whose exhale:inhale ratio is null
    (:func:`analysis.breath_variability.ratio_measured`), so a null is explained: their inhale
    took no time (the signal jumps up in one sample, as a sawtooth or a counter that wraps
    does; a chest never does) or their exhale did. Given after the noise check, which makes
    every breath of a noise signal an artifact: those are explained by it already.
    """
    warnings = []
    usable = [b for b in found if b.quality != "artifact"]
    unmeasured = [b for b in usable if not ratio_measured(b.ratio)]  # null in the output
    if unmeasured:
        instant = sum(1 for b in unmeasured if b.inhale_s <= 0.0)
        if instant == len(unmeasured):
            why = (
                "their rises (inhales) are instantaneous, a jump within one sample that no "
                "chest makes (a sawtooth or a wrapping counter?)"
            )
        else:
            falls = sum(1 for b in unmeasured if b.exhale_s <= 0.0)
            why = (
                f"their phases could not be timed ({instant} rise and {falls} fall instantaneously)"
            )
        warnings.append(
            f"the exhale:inhale ratio could not be measured for {len(unmeasured)} of "
            f"{len(usable)} breaths (ratio null): {why}"
        )
    return warnings


def rr_estimates(
    beat_t_s: FloatArray,
    rr_ms: list[float] | FloatArray,
    progress: ProgressCallback | None = None,
) -> list[RRBreathEstimate]:
    """The 64 s window estimates of ``breathwise breaths --rr``, as the command makes them
    from the intervals it read: raw, each window corrected by the tracker
    (:func:`analysis.rr_breath.estimate_breathing_from_rr` with ``correct_artifacts``). The
    validation report calls it too, so that its rows on real recordings are the command's.

    Parameters
    ----------
    beat_t_s : ndarray
        Time of the beat ending each interval, s, increasing (the command's clock: the
        running sum of the intervals from 0 s, moved on by the gaps a time column shows).
    rr_ms : list of float or ndarray
        The intervals as recorded, ms.
    progress : callable, optional
        Told the fraction of the beats fed (:mod:`analysis.progress`).
    """
    return estimate_breathing_from_rr(beat_t_s, rr_ms, correct_artifacts=True, progress=progress)


ESTIMATES_SHARE = (0.01, 0.98)
"""Where the 64 s windows lie in ``breaths --rr``'s analysis, for the progress bar: 55.1 of
56.4 s on 6 h of beats; the artifact correction before them took 0.4 s, the breaths after
them 0.9 s (profiled, 2 busy cores)."""


def _analyse_rr(
    rr_path: Path,
    unit: str | None = None,
    *,
    read: RRFile | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """The result of ``breaths --rr`` (JSON's fields); its warnings are the caller's to say.

    ``read`` is the file already read (its notes said), so that the caller can size a
    progress bar by its beats; ``progress`` is told the fraction done
    (:mod:`analysis.progress`)."""
    rr = read
    if rr is None:
        rr = read_rr_file(rr_path, unit, ecg_beats=True)
        say_notes(rr)
    steps = ProgressSteps(progress)
    values = rr.values_ms
    duration = sum(values) / 1000.0
    tracker = RRBreathTracker()
    if duration < tracker.window_s:
        raise UserError(
            f"{rr_path}: only {len(values)} intervals ({duration:.0f} s); breathing from RR "
            f"needs at least {tracker.window_s:g} s"
        )
    corrected = correct_rr(values)
    steps(ESTIMATES_SHARE[0])
    nn = corrected.nn_ms
    # On the file's own clock (first beat = 0 s): corrected intervals do not sum to the raw
    # ones; a gap its time column shows is kept, as import keeps it.
    raw_t = np.asarray(rr.beat_times_s(), dtype=np.float64)
    t = corrected.nn_times_s(raw_t)
    # Window by window on the raw intervals, as live: the whiteness test must see them
    # uncorrected (an irregular rhythm, smoothed by the correction, would pass it), and the
    # entropy test leaves out the values the correction changed.
    estimates = rr_estimates(raw_t, values, steps.part(*ESTIMATES_SHARE))
    # No breath where no beat was: rr_breath_cycles leaves out the cycles over a gap.
    cycles = rr_breath_cycles(t, nn, estimates)
    steps.done()
    rate = session_rate_bpm(estimates)
    warnings = rr.warnings(
        "the gap is kept (the breaths' times are the file's), and the windows over it have "
        "fewer beats"
    )
    # The breaths are read from the corrected beats: told as hrv and import tell it (found in
    # review: 61.7 % corrected on a PVC recording, said by both, not here).
    too_many = artifact_warning(int(np.count_nonzero(corrected.codes)), len(values))
    if too_many is not None:
        warnings.append(too_many)
    share = usable_share(estimates)
    if rate is None:
        # A window the correction left too few intervals of could not be tested: its
        # white-noise p-value of 1 says nothing about noise (RRBreathEstimate.unusable_reason).
        untested = [
            e.recorded_intervals is not None and e.recorded_intervals < MIN_RECORDED_INTERVALS
            for e in estimates
        ]
        noise = sum(
            e.white_noise_p > WHITE_NOISE_ALPHA and not u
            for e, u in zip(estimates, untested, strict=True)
        )
        irregular = sum(
            e.cosen > COSEN_IRREGULAR and not u for e, u in zip(estimates, untested, strict=True)
        )
        if 2 * noise > len(estimates):
            cause = f"in {noise} of {len(estimates)} windows the intervals look like white noise"
        elif 2 * irregular > len(estimates):
            cause = (
                f"in {irregular} of {len(estimates)} windows the rhythm is irregular beat to beat"
            )
        elif 2 * sum(untested) > len(estimates):
            cause = (
                f"in {sum(untested)} of {len(estimates)} windows the artifact correction changed "
                "nearly every interval"
            )
        else:
            cause = UNCLEAR_CAUSE
        warnings.append(
            f"the heart rhythm shows breathing in only {100 * share:.0f} % of its 64 s windows "
            f"(a session rate needs {100 * MIN_USABLE_SHARE:.0f} %): {cause}; no breathing "
            "rate is given"
        )
        if cause != UNCLEAR_CAUSE:
            # Said as what the data show, not as a condition: Breathwise does not diagnose
            # (without this, "as in atrial fibrillation" read as a diagnosis).
            warnings.append(IRREGULAR_NOTE)

    def label(q: float) -> str:
        return "good" if q >= GOOD_QUALITY else "uncertain" if q >= USABLE_QUALITY else "artifact"

    return {
        "breaths": [
            {
                "inhale_onset_s": round(c.inhale_onset_s, 3),
                "exhale_onset_s": round(c.exhale_onset_s, 3),
                "end_s": round(c.end_s, 3),
                "inhale_s": round(c.exhale_onset_s - c.inhale_onset_s, 3),
                "exhale_s": round(c.end_s - c.exhale_onset_s, 3),
                "pause_s": None,
                "ratio": None,
                "depth": None if c.rsa_bpm is None else round(c.rsa_bpm, 3),
                "quality": label(c.quality),
                "rsa_bpm": None if c.rsa_bpm is None else round(c.rsa_bpm, 3),
            }
            for c in cycles
        ],
        "rate_bpm": None if rate is None else round(rate, 3),
        # The heart rhythm places breath boundaries to within a second or so, far coarser than
        # breath-to-breath variability itself.
        "variability": None,
        "source": "rr",
        "estimates": [
            {
                "t_s": round(e.t_s, 3),
                "rate_bpm": round(e.rate_bpm, 3),
                "phase_rad": round(e.phase_rad, 4),
                "fit_swing_bpm": round(e.rsa_bpm, 3),
                "quality": round(e.quality, 4),
                "white_noise_p": round(e.white_noise_p, 4),
                # Infinite when no two pairs of intervals match: JSON has no infinity.
                "cosen": round(e.cosen, 3) if math.isfinite(e.cosen) else None,
                "unusable_reason": e.unusable_reason,
            }
            for e in estimates
        ],
        "settings": {
            "software": SOFTWARE,
            "file": str(rr_path),
            "intervals": len(values),
            **({} if rr.beats_from is None else {"beats_from": rr.beats_from}),
            "corrected_values": int(corrected.nn_corrected.sum()),
            "time_origin": "first beat = 0 s (end of the first interval at its RR)",
            "method": "RSA: 64 s windows every 5 s, 4 Hz resampling, f^3-whitened Hann "
            "spectrum peak in 3-30 breaths/min, phase from a sinusoid fit; windows whose raw "
            "intervals (those the artifact correction left alone) pass as white noise "
            "(Fisher's and Bartlett's tests, p > "
            f"{WHITE_NOISE_ALPHA}) or whose coefficient of sample entropy (Lake & Moorman "
            f"2011, over the intervals the correction left alone) exceeds {COSEN_IRREGULAR:g} "
            "unusable",
            "breath_boundaries": "heart-rate troughs (inhale onset) and peaks (exhale onset); "
            "depth (also given as rsa_bpm) is the breath's peak-to-trough RSA in beats/min "
            "(Grossman et al. 1990: max heart rate from inhale to exhale onset - min from "
            "exhale onset to the end, as report and history give it; null when a half holds "
            "no beat); ratio and pause cannot be measured from RR",
            "quality_labels": f"good >= {GOOD_QUALITY}, uncertain >= {USABLE_QUALITY} "
            "(windowed RSA quality)",
            "usable_share": round(share, 4),
            "warnings": warnings,
        },
    }


def _as_csv(result: dict[str, Any], source_name: str) -> str:
    """The CSV of ``breaths`` (``--format csv``): ``#`` lines of the JSON's fields other than
    the breaths, then one table, a row a breath.

    One table alone, so that a CSV reader reads the file as it is: ``--rr`` wrote the 64 s
    windows after it as a second table (an empty line and a ``# estimates`` line between),
    which ``pandas.read_csv(f, comment="#")`` merged with the breaths into 123 rows of strings
    (review, F3). They are :func:`estimates_rows`, written by ``--estimates FILE``.
    """
    buf = io.StringIO()
    buf.write(f"# breathwise breaths {source_name}\n")
    buf.write(f"# source={result['source']}\n")
    buf.write(f"# rate_bpm={json.dumps(result['rate_bpm'])}\n")
    for key, value in (result.get("variability") or {}).items():
        buf.write(f"# variability.{key}={json.dumps(value)}\n")
    for key, value in result["settings"].items():
        buf.write(f"# settings.{key}={json.dumps(value)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    keys = RR_BREATH_KEYS if result["source"] == "rr" else BREATH_KEYS
    writer.writerow(keys)
    for row in result["breaths"]:
        writer.writerow(["" if row[k] is None else row[k] for k in keys])
    return buf.getvalue()


def estimates_rows(result: dict[str, Any]) -> list[list[str]]:
    """The rows of ``--estimates FILE``: one per 64 s window of ``--rr`` (JSON's ``estimates``),
    the fields of :data:`ESTIMATE_KEYS` in order, an empty cell for null, as the breaths' CSV
    writes them."""
    return [
        ["" if row[k] is None else str(row[k]) for k in ESTIMATE_KEYS]
        for row in result["estimates"]
    ]


def _refuse_estimates_path(estimates: Path, rr: Path) -> None:
    """Refuse an ``--estimates`` path that is a folder, or the RR file being read: replaced
    by the windows' table, the intervals would be lost for good."""
    if estimates.is_dir():
        raise BadArgument(
            f"--estimates {estimates} is a folder: it names the CSV file the windows go to",
            "give a file name, for example --estimates windows.csv",
        )
    try:
        same = estimates.is_file() and rr.is_file() and os.path.samefile(estimates, rr)
    except OSError:
        return  # either cannot be looked at: reading or writing it says why
    if same:
        raise BadArgument(
            f"--estimates {estimates} is the RR file being read: writing there would replace it",
            "choose another name for --estimates",
        )


def breaths(
    input: Annotated[
        Path | None,
        typer.Argument(
            help="Waveform file (CSV or text): one column, or choose one with --column; - "
            "reads standard input (a pipe is read whole, at most "
            f"{STREAM_MAX_BYTES // 1024**2} MiB).",
            show_default=False,
            readable=False,
        ),
    ] = None,
    fs: Annotated[
        float | None,
        typer.Option(
            "--fs",
            help=f"Sampling rate of INPUT, Hz (required for a waveform): "
            f"{BELT_MIN_FS_HZ:g}-{MAX_FS_HZ:g} for a belt, {ACC_MIN_FS_HZ:g}-{MAX_FS_HZ:g} "
            "for --source acc; with --rr, of an ECG table without a time column.",
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Column to read: header NAME (a unit in brackets may be left out: X for "
            "'X [mg]') or 1-based number N (acc: X,Y,Z).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="belt: one chest-expansion column; acc: x,y,z columns of a chest "
            "accelerometer in any unit that is 0 at no acceleration (mG, g, m/s^2, raw counts; "
            "the scale is taken from the gravity in the signal, so not high-passed).",
        ),
    ] = "belt",
    rr: Annotated[
        Path | None,
        typer.Option(
            "--rr",
            help="RR-interval file (one per line, or a column named rr_ms, RR-interval [ms], "
            "rr_s...) instead; a time column beside it (as import reads it) shows gaps; an "
            "ECG table without RR gives its R peaks' intervals (without a time column, give "
            "its rate with --fs); - reads standard input.",
            readable=False,
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="With --rr: unit of the intervals in the file, ms or s, as for 'breathwise hrv': "
            "by default the unit the column's name states (rr_s: s), else ms; given, it wins "
            "over the name's, and a note says so.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json (breaths, rate, variability, settings; with --rr the 64 s windows, "
            "estimates, too) or csv (one table, a row a breath; the rest as # lines). "
            "Fields: docs/breaths-output.md in the source repository.",
        ),
    ] = "json",
    estimates: Annotated[
        Path | None,
        typer.Option(
            "--estimates",
            help="With --rr: also write the 64 s windows (JSON's estimates: t_s, rate_bpm, "
            "quality, unusable_reason...) to this CSV file, a table of their own; a file "
            "already there is replaced. Example: --format csv --estimates windows.csv.",
            readable=False,
        ),
    ] = None,
    invert: Annotated[
        bool,
        typer.Option(
            "--invert",
            help="Belt only: negate the signal (any units) before analysis, for a belt or sensor "
            "whose signal falls on inhale (worn or wired the other way round). Without it a "
            "rise is an inhale.",
        ),
    ] = False,
    inhale_longer: Annotated[
        bool,
        typer.Option(
            "--inhale-longer",
            help="Accelerometer only (--source acc): the person breathed in for longer than "
            "out (exhale:inhale below 1, as a pacer's --ratio under 1 asks). The "
            "accelerometer's inhale direction is learnt from the breaths' shape assuming the "
            "in-breath is the quicker; without this such breathing reads upside down, its "
            "ratio inverted (0.5 as 2).",
        ),
    ] = False,
) -> None:
    """Breath by breath: inhale/exhale onsets, phases, ratio, depth and quality.

    From a belt or chest-accelerometer waveform, or (with --rr) breathing rate from the heart
    rhythm alone. Times are seconds from the first sample. The result goes to standard output.
    Each breath ends where the next begins; rate_bpm is the median of 60 / (end_s -
    inhale_onset_s) over the breaths that are not artifacts. Breathing up to 80 breaths/min
    is counted (settings.detector.max_rate_bpm); faster cycles are taken for wiggles and
    merged, and a warning says so.

    How regular the breathing was comes with it ("variability"; CSV: '# variability.' lines):
    breath-to-breath intervals between inhale onsets, as NeuroKit2's rsp_rrv reports them
    (mean_bb_s, sd_bb_s, rmssd_bb_s, cv_bb, mcv_bb, ...), and the coefficients of variation
    of depth and exhale:inhale ratio. Not from --rr: the heart rhythm places breaths too
    coarsely for it.

    A belt signal must rise on inhale; if the breaths look upside down (inhales slower than
    exhales, the signal falling fast: a belt whose signal falls on inhale, or breathing in
    for longer than out, which is right as it is), a warning says so, and --invert analyses
    the negated signal. A warning also says when no breathing was
    found (a time column chosen by mistake?), a breath's ratio could not be measured, the
    sensor looks clipped or too coarse (few converter steps per breath), or the signal
    repeats one value for seconds (a logger holding its last sample through a dropout) or
    looks like noise, judged in 30-s windows (a belt that came off): the breaths there are
    marked artifacts. And when the signal does not look like breathing (most of its power
    faster, as an ECG's, or slower, as skin conductance's: the wrong column?), an
    accelerometer axis only rises (a time column), the breaths span under half the
    recording, or the median rate is under 2.85/min (5 % below 3/min, the slowest
    validated, which reads up to 0.06/min off).
    A chest accelerometer does not say which way is inhale: it is learnt from the breaths'
    shape, taking the in-breath as the quicker phase; breathing in for longer than out
    (exhale:inhale under 1) needs --inhale-longer, or it reads upside down.
    A chest accelerometer (--source acc) may be in any unit that is 0 at no acceleration
    (mG, g, m/s^2, a digital sensor's counts): the analysis is scaled to the gravity in the
    signal (settings.gravity, in the file's units), so each gives the same breaths; a signal
    without gravity (high-passed) is refused. A unit the header states (X [g], x_g) is said
    in settings.unit, with a warning when the gravity measured does not fit it.
    Warnings go to standard error and into the output (JSON: settings.warnings; CSV: its
    '# settings.warnings=' line). settings.column names the column analysed.

    A time column (time_s, t_s, time_ms, timestamp [ms], sensor timestamp [ns], Phone
    timestamp) is checked against --fs: a rate it does not give, or a gap in it (samples
    missing), is refused, naming both rates or the line; a column just named time, t or
    timestamp, whose unit is not known, gets a warning instead (holding clock times or
    dates, it is not used). An empty line inside the data is a sample missing, refused as a
    NaN, an NA or a spreadsheet's #N/A is (# starts a comment otherwise; such rows before the
    first sample or after the last are padding, left out with a warning); so is a header that
    names fewer or more columns than the rows have (R's row names; a named last column may be
    empty, as an event column), lines of text above the header, a row of units under it, and
    a column name two columns share (choose by number). pandas' numbered header (,0 over an
    index; 0 or 0,1 with a warning) is taken for names over decimal numbers. settings.file
    names the file.

    With --rr, the CSV holds the breath table (depth, repeated as rsa_bpm, is the breath's
    peak-to-trough RSA in beats/min, as report and history give it), one table that a CSV
    reader reads as it is; the 64 s windows (t_s, rate_bpm, quality, unusable_reason...),
    JSON's "estimates", go to a CSV file of their own with --estimates FILE.

    Every field of the JSON and CSV, for each source (belt, acc, --rr), its unit and where its
    formula comes from: docs/breaths-output.md in the source repository (the docs are not
    installed).

    Example: breathwise breaths belt.csv --fs 50 --column rsp

    Example: breathwise breaths --rr rr.txt --format csv --estimates windows.csv > breaths.csv
    """
    from trainer.cli.progress_bar import LONG_RR_BEATS, long_work_bar, waveform_is_long

    if format not in ("json", "csv"):
        raise BadArgument(f"--format must be 'json' or 'csv', not {format!r}")
    if source not in ("belt", "acc"):
        raise BadArgument(f"--source must be 'belt' or 'acc', not {source!r}")
    if estimates is not None:
        if rr is None:
            raise BadArgument(
                "--estimates is the table of --rr's 64 s windows: a waveform has none",
                "give --rr FILE, or leave --estimates out",
            )
        # Before the work, as report's -o: a mistyped folder is one line now, not after it.
        check_output_path(estimates, "the windows' table", "windows.csv", "--estimates")
        _refuse_estimates_path(estimates, rr)
    if rr is not None:
        if input is not None:
            raise BadArgument("give either a waveform INPUT or --rr FILE, not both")
        # --fs is not among them: the rate of an ECG table without a time column, whose R peaks
        # give the intervals; read_rr_file refuses it for any other file.
        waveform_only = [
            name
            for name, given in (
                ("--column", column is not None),
                ("--invert", invert),
                ("--inhale-longer", inhale_longer),
            )
            if given
        ] + (["--source acc"] if source == "acc" else [])
        if waveform_only:
            # "--fs describe ... leave them out" for one option.
            one = len(waveform_only) == 1
            named = ", ".join(waveform_only[:-1]) + (" and " if not one else "") + waveform_only[-1]
            raise BadArgument(
                f"{named} {'describes' if one else 'describe'} a waveform INPUT, not --rr",
                f"an RR file is read as it is: leave {'it' if one else 'them'} out",
            )
        if fs is not None:
            check_table_fs(fs)
        read = read_rr_file(rr, unit, ecg_beats=True, ecg_fs_hz=fs)
        say_notes(read)
        # As hrv's: read first, so that the bar is sized by the beats; gone before the result
        # is written, so standard output holds the result alone.
        with long_work_bar(
            f"analysing {input_name(rr)}", len(read.values_ms) >= LONG_RR_BEATS
        ) as progress:
            result = _analyse_rr(rr, unit, read=read, progress=progress)
        name = str(rr)
    elif input is None:
        raise BadArgument("give a waveform INPUT (with --fs) or --rr FILE")
    elif unit is not None:
        raise BadArgument(
            "--unit is the unit of an --rr file's intervals",
            "a waveform's units do not matter: its breaths are timed in samples (--fs)",
        )
    else:
        if inhale_longer and source != "acc":
            raise BadArgument(
                "--inhale-longer is for a chest accelerometer (--source acc): a belt's "
                "inhale is its rise, whatever its length"
            )
        if invert and source == "acc":
            raise BadArgument(
                "--invert is for a belt: the accelerometer's orientation is found from the "
                "signal itself"
            )
        # Sized before the file is read: the reading is 40 % of a belt's work. Without --fs
        # the file is refused, not analysed.
        long = fs is not None and waveform_is_long(input)
        with long_work_bar(f"analysing {input_name(input)}", long) as progress:
            result = _analyse_waveform(
                input, fs, column, source, invert, progress, inhale_longer=inhale_longer
            )
        name = str(input)
    # Said once the bar is gone: click writes past Rich's redirection of standard error, so a
    # warning said under the bar was glued to its last frame (found in testing).
    say_warnings(Path(name), result["settings"]["warnings"])
    if estimates is not None:
        # Written whole before standard output is (write_csv replaces the file at once), so
        # that a full disk is one line and no result.
        write_csv(estimates, ESTIMATE_KEYS, estimates_rows(result))
    if format == "json":
        typer.echo(json.dumps(result, indent=1, allow_nan=False))
    else:
        typer.echo(_as_csv(result, name), nl=False)
