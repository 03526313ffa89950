"""``breathwise breaths``: breath-by-breath analysis of a waveform file, or breathing from RR.

``breathwise breaths INPUT --fs HZ [--column NAME|N] [--source belt|acc] [--format json|csv]``
reads a plain CSV/text waveform (one column, or the named / numbered column; ``--source acc``
takes three columns x, y, z) and runs the same detectors as the live trainer
(:func:`analysis.breath.detect_breaths`, :func:`analysis.acc_breath.detect_acc_breaths`).
``breathwise breaths --rr FILE`` reads RR intervals (ms) and estimates breathing from
respiratory sinus arrhythmia (:mod:`analysis.rr_breath`). Every problem with the input is one
:class:`trainer.errors.UserError` line naming the file and line.

Parsing is vectorised (``numpy.loadtxt``'s C reader): an hour of 100 Hz data takes well under a
second to read; a slow line-by-line pass runs only to name the line of an error.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from numpy.typing import NDArray

from analysis.acc_breath import AccBreathTracker
from analysis.breath import MIN_BREATH_S, MIN_DEPTH_STEPS, Breath, detect_breaths, settle_ends
from analysis.breath_signal_checks import (
    CLIPPED_WARN_FRACTION,
    NOISE_LAG1,
    clipped_fraction,
    good_ratios,
    held_runs,
    lag1_autocorrelation,
    looks_inverted,
    looks_too_fast,
    quantisation_step,
)
from analysis.breath_variability import breath_variability, ratio_measured
from analysis.rr_artifacts import correct_rr
from analysis.rr_breath import (
    COSEN_IRREGULAR,
    GOOD_QUALITY,
    MIN_USABLE_SHARE,
    USABLE_QUALITY,
    WHITE_NOISE_ALPHA,
    RRBreathTracker,
    estimate_breathing_from_rr,
    rr_breath_cycles,
    session_rate_bpm,
    usable_share,
)
from trainer import SOFTWARE
from trainer.cli.hrv import read_rr_file
from trainer.errors import BadArgument, UserError
from trainer.session.pipeline import BELT_CUTOFF_HZ
from trainer.storage.decimal_comma import decimal_points_in_rows, delimiter_of
from trainer.storage.text_files import number_or_none, read_text, split_cells

__all__ = ["BREATH_KEYS", "MIN_DURATION_S", "breaths", "read_waveform"]

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
MIN_DURATION_S = 20.0
"""Shortest recording analysed, s: a few breaths even at 10 breaths/min."""
UNCLEAR_CAUSE = "too little sinus arrhythmia, or an irregular rhythm"
"""Why no session rate, when neither irregularity test explains most windows."""
IRREGULAR_NOTE = (
    "intervals this irregular hold no breathing rhythm to read; poor strap contact, many extra "
    "beats or an irregular heart rhythm can cause it (Breathwise does not diagnose: if you "
    "have symptoms, see a doctor), and a belt or the H10's accelerometer measures the "
    "breathing directly"
)
"""Said after a session rate is refused for an irregular rhythm."""
MAX_ABS_SAMPLE = 1e100
"""Largest sample magnitude analysed. No sensor measures breathing in units that reach it, and
beyond about 1e150 the sums of squares of the analysis overflow (a numpy warning, infinite
spreads); tiny values are fine, so the analysis is scale-free in every unit a file could use."""
_MAX_BYTES = 2 * 1024**3
"""Largest waveform file read, bytes (about 100 million samples of text)."""
_ACC_NAMES = (("x", "y", "z"), ("acc_x", "acc_y", "acc_z"), ("ax", "ay", "az"))
_BELT_NAMES = ("rsp", "resp", "respiration", "belt", "force", "force_n", "rsp_v")


def _pick_columns(
    path: Path, line_no: int, names: list[str] | None, n_cols: int, column: str | None, acc: bool
) -> list[int]:
    """0-based columns to read: one for a belt, three for an accelerometer."""
    lower = [n.lower() for n in names] if names is not None else None
    shown = ", ".join(names) if names is not None else f"{n_cols} unnamed columns"

    def resolve(spec: str) -> int:
        spec = spec.strip()
        if spec.isdigit():
            k = int(spec)
            if not 1 <= k <= n_cols:
                raise BadArgument(f"--column {spec}: {path} has columns 1-{n_cols}")
            return k - 1
        if lower is not None and spec.lower() in lower:
            return lower.index(spec.lower())
        raise BadArgument(f"--column {spec!r}: no such column in {path} (columns: {shown})")

    if column is not None:
        cols = [resolve(c) for c in column.split(",")]
        if len(cols) != (3 if acc else 1):
            raise BadArgument(
                f"--column: give {'three columns x,y,z' if acc else 'one column'} for "
                f"--source {'acc' if acc else 'belt'}, got {column!r}"
            )
        return cols
    if acc:
        if lower is not None:
            for triple in _ACC_NAMES:
                if all(t in lower for t in triple):
                    return [lower.index(t) for t in triple]
        if n_cols == 3 and lower is None:
            # Three unnamed columns: x, y, z in order. Named ones that are not axes (ECG, PPG,
            # RSP...) would be analysed as an accelerometer without a word.
            return [0, 1, 2]
        raise UserError(
            f"{path}:{line_no}: cannot tell which columns are x, y, z ({shown}); "
            "name them x,y,z or use --column X,Y,Z"
        )
    if n_cols == 1:
        return [0]
    if lower is not None:
        for name in _BELT_NAMES:
            if name in lower:
                return [lower.index(name)]
    raise UserError(
        f"{path}:{line_no}: {n_cols} columns ({shown}); choose one with --column NAME or N"
    )


def read_waveform(path: Path, column: str | None = None, *, acc: bool = False) -> FloatArray:
    """Read a waveform from a plain text / CSV file.

    Layout: optional ``#`` comment lines and blank lines anywhere; an optional header row
    (any non-numeric cell makes the first row a header); cells separated by commas,
    semicolons, tabs or whitespace (with semicolons or tabs, 1,5 reads as 1.5: a European
    spreadsheet's decimal comma); gzip-compressed files are read too.

    Parameters
    ----------
    path : Path
        The file.
    column : str or None
        Column to read: a header name or a 1-based number; for ``acc``, three of them
        separated by commas. Optional for a single-column file (belt) or a three-column file
        or x/y/z header (acc); a belt column named RSP, Resp, belt or force is found by itself.
    acc : bool
        Read three columns (x, y, z) instead of one.

    Returns
    -------
    ndarray, shape (n,) or (n, 3)
        The samples, float64, all finite.

    Raises
    ------
    UserError
        Missing, empty or unreadable file; a non-number, an empty or NaN/infinite cell, a
        value beyond :data:`MAX_ABS_SAMPLE`, or a short row; the message names the file and
        line.
    BadArgument
        ``column`` not in the file.
    """
    text = read_text(path, max_bytes=_MAX_BYTES, what="a waveform file")
    lines = text.splitlines()
    numbered = [
        (i + 1, line) for i, line in enumerate(lines) if line.strip() and line.lstrip()[0] != "#"
    ]
    if not numbered:
        raise UserError(f"{path}: empty file (no samples)")
    first_no, first = numbered[0]
    delimiter = delimiter_of(first)
    numbered = decimal_points_in_rows(numbered, delimiter)
    first = numbered[0][1]
    cells = split_cells(first, delimiter)
    names: list[str] | None = None
    body = numbered
    # A trailing separator leaves "" at the end.
    if any(number_or_none(c) is None for c in cells if c):
        names = cells
        body = numbered[1:]
    cols = _pick_columns(path, first_no, names, len(cells), column, acc)
    if not body:
        raise UserError(f"{path}: no samples after the header")
    try:
        data = np.loadtxt(
            io.StringIO("\n".join(line for _, line in body)),
            delimiter=delimiter,
            usecols=cols,
            ndmin=2,
            dtype=np.float64,
            quotechar='"',
        )
    except ValueError:
        _raise_line_error(path, body, delimiter, cols)
        raise UserError(f"{path}: cannot parse the samples") from None
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        no, line = body[i]
        raise UserError(
            f"{path}:{no}: {line.strip()[:40]!r} holds a NaN or infinite value; breath "
            "analysis needs a continuous signal (split the file at gaps)"
        )
    huge = (np.abs(data) > MAX_ABS_SAMPLE).any(axis=1)
    if huge.any():
        i = int(np.argmax(huge))
        no, line = body[i]
        raise UserError(
            f"{path}:{no}: {line.strip()[:40]!r} holds a value beyond ±{MAX_ABS_SAMPLE:g}, "
            "which no breathing sensor measures",
            "check the column and the units of the file",
        )
    if acc:
        out: FloatArray = data
        return out
    return np.ascontiguousarray(data[:, 0])


def _raise_line_error(
    path: Path, body: list[tuple[int, str]], delimiter: str | None, cols: list[int]
) -> None:
    """Find the first bad line (slow pass, errors only) and raise a UserError naming it."""
    need = max(cols) + 1
    for no, line in body:
        row = split_cells(line, delimiter)
        if len(row) < need:
            raise UserError(f"{path}:{no}: row has {len(row)} columns, expected at least {need}")
        for c in cols:
            cell = row[c].strip().strip('"')
            if cell == "":
                raise UserError(f"{path}:{no}: empty cell in column {c + 1}")
            if number_or_none(cell) is None:
                raise UserError(f"{path}:{no}: {cell[:40]!r} is not a number")


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


def _check_fs(fs: float | None, minimum: float, what: str) -> float:
    if fs is None:
        raise BadArgument(f"--fs is required for a waveform file (samples per second of {what})")
    if not (math.isfinite(fs) and minimum <= fs <= 100_000.0):
        raise BadArgument(f"--fs must lie within {minimum:g}-100000 Hz for {what}, got {fs!r}")
    return float(fs)


def _analyse_waveform(
    input: Path, fs: float | None, column: str | None, source: str, invert: bool = False
) -> dict[str, Any]:
    acc = source == "acc"
    fs_hz = _check_fs(fs, 5.0 if acc else 4.0, "an accelerometer" if acc else "a belt")
    data = read_waveform(input, column, acc=acc)
    if invert:
        data = -data
    n = data.shape[0]
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
        "fs_hz": fs_hz,
        "column": column,
        "samples": n,
        "duration_s": round(duration, 3),
        "time_origin": "first sample = 0 s",
    }
    if not acc:
        settings["inverted"] = invert
    if acc:
        tracker = AccBreathTracker(fs_hz)
        found = tracker.update(data)
        settings["method"] = (
            "chest ACC: 1.5 Hz low-pass, gravity removal (20 s), adaptive principal axis "
            "(30 s), posture-change hold, then the belt detector"
        )
        settings["working_fs_hz"] = tracker.work_fs_hz
        settings["posture_changes"] = tracker.posture_changes
    else:
        found = detect_breaths(data, fs_hz, cutoff_hz=BELT_CUTOFF_HZ)
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
    warnings = []
    clipped = clipped_fraction(data)
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
    if looks_too_fast(found, MIN_BREATH_S):
        warnings.append(
            "most breaths are uncertain and shorter than "
            f"{2 * MIN_BREATH_S:g} s: breathing faster than {60.0 / MIN_BREATH_S:g} "
            f"breaths/min (cycles under {MIN_BREATH_S:g} s) is taken for wiggles and merged, "
            "so it reads at half its rate"
        )
    if not flat:
        warnings += _nothing_measured(data, duration, found, column)
    if not acc and not flat:
        lag1 = lag1_autocorrelation(data)
        settings["lag1_autocorrelation"] = round(lag1, 4)
        if lag1 < NOISE_LAG1 and found:
            # The detector finds "breaths" in any wander of the low-passed signal; white noise
            # (a disconnected input, a random column) has plenty.
            warnings.append(
                f"the signal looks like noise, not breathing: consecutive samples are nearly "
                f"unrelated (lag-1 autocorrelation {lag1:.2f}, where breathing reads above "
                f"0.7): the {len(found)} breaths found in it are marked artifacts and no rate "
                "is given; is it the right column, and is the sensor connected?"
            )
            found = [replace(b, quality="artifact") for b in found]
        upside_down, skew = looks_inverted(data, fs_hz, found, cutoff_hz=BELT_CUTOFF_HZ)
        settings["slope_skewness"] = round(skew, 3)
        if upside_down:
            good = good_ratios(found)
            warnings.append(
                "the breaths look upside down: the signal rises slowly and falls fast (median "
                f"exhale:inhale ratio {float(np.median(good)):.2f}, slope skewness {skew:+.2f}); "
                "if the belt falls on inhale, run again "
                + ("without --invert" if invert else "with --invert")
            )
    held = [] if flat else held_runs(data, fs_hz)
    if held:
        found, note = _mark_held(found, held, fs_hz)
        warnings.append(note)
    if not flat:
        warnings += _unmeasured_ratios(found)
    settled = settle_ends(found)
    # From the breaths as listed (each ends at the next one's inhale onset), so that the
    # headline is reproducible from the table; the corner-timed Breath.rate_bpm read 19.23 on
    # wfdb 03700181 where the onsets give 18.05 (docs/validation/breathing.md, section 5).
    rates = [60.0 / (b.end_s - b.inhale_onset_s) for b in settled if b.quality != "artifact"]
    for text in warnings:
        typer.echo(f"breathwise: warning: {input}: {text}", err=True)
    settings["warnings"] = warnings  # the output's keys are the issue's; notes go here
    return {
        "breaths": [_breath_row(b) for b in settled],
        "rate_bpm": _median_rate(rates),
        # On the breaths as listed: their ends settled, the joins between them are too.
        "variability": breath_variability(settled).as_dict(),
        "source": source,
        "settings": settings,
    }


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
    which = "1 breath overlapping it is" if marked == 1 else f"{marked} breaths overlapping it are"
    return out, (
        f"the signal repeats exactly the same value over {where}{more} ({total_s:.1f} s in "
        "all), which no sensor with noise does: a logger holding its last sample through a "
        f"dropout? The {which} marked as artifacts"
    )


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


def _analyse_rr(rr_path: Path) -> dict[str, Any]:
    rr = read_rr_file(rr_path)
    values = rr.values_ms
    duration = sum(values) / 1000.0
    tracker = RRBreathTracker()
    if duration < tracker.window_s:
        raise UserError(
            f"{rr_path}: only {len(values)} intervals ({duration:.0f} s); breathing from RR "
            f"needs at least {tracker.window_s:g} s"
        )
    corrected = correct_rr(values)
    nn = corrected.nn_ms
    # On the file's own clock (first beat = 0 s): corrected intervals do not sum to the raw ones.
    raw_t = np.cumsum(np.asarray(values, dtype=np.float64)) / 1000.0
    t = corrected.nn_times_s(raw_t)
    # Window by window on the raw intervals, as live: the whiteness test must see them
    # uncorrected (an irregular rhythm, smoothed by the correction, would pass it), and the
    # entropy test leaves out the values the correction changed.
    estimates = estimate_breathing_from_rr(raw_t, values, correct_artifacts=True)
    cycles = rr_breath_cycles(t, nn, estimates)
    rate = session_rate_bpm(estimates)
    warnings = [note] if (note := rr.warning()) is not None else []
    share = usable_share(estimates)
    if rate is None:
        noise = sum(e.white_noise_p > WHITE_NOISE_ALPHA for e in estimates)
        irregular = sum(e.cosen > COSEN_IRREGULAR for e in estimates)
        if 2 * noise > len(estimates):
            cause = f"in {noise} of {len(estimates)} windows the intervals look like white noise"
        elif 2 * irregular > len(estimates):
            cause = (
                f"in {irregular} of {len(estimates)} windows the rhythm is irregular beat to beat"
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
            # (found in review: "as in atrial fibrillation" read as a diagnosis).
            warnings.append(IRREGULAR_NOTE)
    for text in warnings:
        typer.echo(f"breathwise: warning: {rr_path}: {text}", err=True)

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
                "depth": round(c.rsa_bpm, 3),
                "quality": label(c.quality),
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
                "rsa_bpm": round(e.rsa_bpm, 3),
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
            "depth is the RSA swing in beats/min; ratio and pause cannot be measured from RR",
            "quality_labels": f"good >= {GOOD_QUALITY}, uncertain >= {USABLE_QUALITY} "
            "(windowed RSA quality)",
            "usable_share": round(share, 4),
            "warnings": warnings,
        },
    }


def _as_csv(result: dict[str, Any], source_name: str) -> str:
    buf = io.StringIO()
    buf.write(f"# breathwise breaths {source_name}\n")
    buf.write(f"# source={result['source']}\n")
    buf.write(f"# rate_bpm={json.dumps(result['rate_bpm'])}\n")
    for key, value in (result.get("variability") or {}).items():
        buf.write(f"# variability.{key}={json.dumps(value)}\n")
    for key, value in result["settings"].items():
        buf.write(f"# settings.{key}={json.dumps(value)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(BREATH_KEYS)
    for row in result["breaths"]:
        writer.writerow(["" if row[k] is None else row[k] for k in BREATH_KEYS])
    return buf.getvalue()


def breaths(
    input: Annotated[
        Path | None,
        typer.Argument(
            help="Waveform file (CSV or text): one column, or choose one with --column.",
            show_default=False,
        ),
    ] = None,
    fs: Annotated[
        float | None,
        typer.Option("--fs", help="Sampling rate of INPUT, Hz (required for a waveform)."),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Column to read: header NAME or 1-based number N (acc: X,Y,Z).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option("--source", help="belt: one chest-expansion column; acc: x,y,z columns."),
    ] = "belt",
    rr: Annotated[
        Path | None,
        typer.Option("--rr", help="RR-interval file (ms, one per line or a column) instead."),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", help="json (breaths, rate, variability, settings) or csv (a row a breath)."
        ),
    ] = "json",
    invert: Annotated[
        bool,
        typer.Option(
            "--invert",
            help="Belt only: negate the signal (any units) before analysis, for a belt or sensor "
            "whose signal falls on inhale (worn or wired the other way round). Without it a "
            "rise is an inhale.",
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
    exhales, the signal falling fast: a belt whose signal falls on inhale), a warning says
    so, and --invert analyses the negated signal. A warning also says when no breathing was
    found (a time column chosen by mistake?), a breath's ratio could not be measured, the
    sensor looks clipped or too coarse (few converter steps per breath), or the signal
    repeats one value for seconds (a logger holding its last sample through a dropout: the
    breaths there are marked artifacts).
    Warnings go to standard error and into the output (JSON: settings.warnings; CSV: its
    '# settings.warnings=' line).

    Example: breathwise breaths belt.csv --fs 50 --column rsp
    """
    if format not in ("json", "csv"):
        raise BadArgument(f"--format must be 'json' or 'csv', not {format!r}")
    if source not in ("belt", "acc"):
        raise BadArgument(f"--source must be 'belt' or 'acc', not {source!r}")
    if rr is not None:
        if input is not None:
            raise BadArgument("give either a waveform INPUT or --rr FILE, not both")
        waveform_only = [
            name
            for name, given in (
                ("--fs", fs is not None),
                ("--column", column is not None),
                ("--invert", invert),
            )
            if given
        ] + (["--source acc"] if source == "acc" else [])
        if waveform_only:
            raise BadArgument(
                f"{' and '.join(waveform_only)} describe a waveform INPUT, not --rr",
                "an RR file is read as it is: leave them out",
            )
        result = _analyse_rr(rr)
        name = str(rr)
    elif input is None:
        raise BadArgument("give a waveform INPUT (with --fs) or --rr FILE")
    else:
        if invert and source == "acc":
            raise BadArgument(
                "--invert is for a belt: the accelerometer's orientation is found from the "
                "signal itself"
            )
        result = _analyse_waveform(input, fs, column, source, invert)
        name = str(input)
    if format == "json":
        typer.echo(json.dumps(result, indent=1, allow_nan=False))
    else:
        typer.echo(_as_csv(result, name), nl=False)
