"""Validate RR artifact correction and HRV against real recordings; write docs/validation/hrv.md.

Run: ``python benchmarks/validate_hrv.py`` (needs ``../shared/data``; NeuroKit2 for the Polar
H10 ECG part, which this script alone may use). Sections:

1. MIT-BIH records 105, 106, 116, 119, 200: PVC detection from RR intervals (beat positions and
   PVC labels are the cardiologists' annotations), our defaults and the published rules.
2. Missed and extra beats simulated in clean real series: detection and correction, and runs of
   up to three missed beats in a row.
3. RMSSD after correction against the series with the labelled beats removed.
4. pyhrv's published numbers for its 60-minute sample series.
5. Streaming against batch on the MIT-BIH records.
6. The Polar H10 session with frequent PVCs: device RR against R peaks found in its ECG.

Scoring of PVC detection (section 1), per beat as Lipponen & Tarvainen score it. Interval ``j``
ends at beat ``j + 1`` of the annotation and is that beat's RR. A PVC bounds two intervals: the
premature one ending at it and the compensatory pause starting at it. The paper's ectopic rule
fires on the middle of the negative-positive-negative difference pattern, the compensatory
interval, and stands for the premature beat; the premature interval is usually labelled short.
*Sensitivity* (per PVC): the PVC is detected when either interval it bounds carries an artifact
label. *Strict sensitivity*: the interval ending at the PVC is labelled. *Specificity* (per
non-PVC beat): the beat right after a PVC is neither a positive nor a negative, since its RR is
the compensatory pause, abnormal because of the PVC and not an NN interval (the RMSSD reference
drops it too); every other non-PVC beat is a negative, a false positive when its RR (an NN
interval of the annotation) is labelled. The annotation's other ectopic beats (30 atrial
premature beats in record 200, one in 116) are not in the data: they and the pause after each
count as normal beats here, so an ectopic beat the detector rightly flags costs up to two false
positives, and the specificity is a lower bound. A second column scores only NN intervals that
also pass the 20 % rule (Kamath & Fallen 1995: within 20 % of the median of their 10 nearest NN
intervals), a reference cleaned of such beats without our detector.

Reference C (``reference_c_ok``), used for the issue's specificity and RMSSD targets since the
issue-4 follow-up: reference B, and for every interval the 20 % rule rejects, the beat it
implicates is treated like a labelled PVC, i.e. both intervals that beat bounds leave the
reference. A short interval implicates the early beat it ends at, so the interval after it (that
beat's pause) goes too; a long interval implicates the beat it starts at (an early beat or an
annotation gap), so the interval before it goes too. Reference A removes exactly these two
intervals around each PVC; B removed only the one the rule saw, leaving the other half of each
unlabelled premature beat as an "NN interval". C uses the annotation and the RR series only,
never our detector, and the tables show A, B and C side by side.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from analysis.hrv_frequency import WelchSettings, beat_times_s, frequency_domain
from analysis.hrv_report import analyse_rr
from analysis.hrv_time import time_domain
from analysis.rr_artifacts import (
    LABELS,
    NORMAL,
    ArtifactParams,
    StreamingRRCorrector,
    correct_rr,
    exact_look_ahead_beats,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
OUT = ROOT / "docs" / "validation" / "hrv.md"
RECORDS = (105, 106, 116, 119, 200)
SEED = 20240611
MATCH_S = 0.1
"""Largest gap between a device beat and its R peak: a wide ventricular QRS (120-200 ms) can put
the strap's detection point tens of milliseconds from the ECG detector's."""


@dataclass
class Record:
    number: int
    rr_ms: np.ndarray
    pvc: np.ndarray  # per annotated beat


def load_record(number: int) -> Record:
    z = np.load(DATA / "mitdb" / f"mitdb_{number}.npz")
    beats = z["beat_samples"]
    rr_ms = np.diff(beats) / float(z["fs_hz"]) * 1000.0
    return Record(number, rr_ms, np.isin(beats, z["pvc_samples"]))


def rule20_ok(rec: Record) -> np.ndarray:
    """NN intervals of the annotation that are also within 20 % of their 10 nearest NN intervals.

    The 20 % rule of Kamath & Fallen (1995), applied to the reference only: it drops intervals
    next to unlabelled ectopic beats and annotation gaps without using our detector.
    """
    clean = ~rec.pvc[1:] & ~rec.pvc[:-1]
    cl = np.flatnonzero(clean)
    ok = clean.copy()
    for k, j in enumerate(cl):
        nb = cl[max(0, k - 5) : k + 6]
        nb = nb[nb != j]
        m = np.median(rec.rr_ms[nb])
        if abs(rec.rr_ms[j] - m) > 0.2 * m:
            ok[j] = False
    return np.asarray(ok, dtype=bool)


def reference_c_ok(rec: Record) -> np.ndarray:
    """Reference B plus the other interval bounding each beat the 20 % rule implicates.

    An interval of the reference that fails the 20 % rule (:func:`rule20_ok`) and is shorter
    than its local median ends at an early beat: the interval after it starts at that beat and
    is dropped as well. One that is longer starts at an early beat or spans a gap of the
    annotation: the interval before it is dropped as well. This is the rule reference A applies
    to labelled PVCs (both intervals bounding one), applied to beats of unknown origin; it reads
    the annotation only, never the detector.
    """
    clean = ~rec.pvc[1:] & ~rec.pvc[:-1]
    ok_b = rule20_ok(rec)
    cl = np.flatnonzero(clean)
    ok = ok_b.copy()
    for j in np.flatnonzero(clean & ~ok_b):
        k = int(np.searchsorted(cl, j))
        nb = cl[max(0, k - 5) : k + 6]
        m = np.median(rec.rr_ms[nb[nb != j]])
        if rec.rr_ms[j] < m and j + 1 < ok.size:
            ok[j + 1] = False
        elif rec.rr_ms[j] > m and j > 0:
            ok[j - 1] = False
    return np.asarray(ok, dtype=bool)


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


# ------------------------------------------------------------------------------------ 1


def detection_table(params: ArtifactParams, name: str, lines: list[str]) -> dict[str, float]:
    lines += [
        f"**{name}**",
        "",
        "| record | PVCs | sensitivity | strict sensitivity | negatives A | false positives A "
        "| specificity A | specificity B | negatives C | false positives C | specificity C |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    tot = dict(pos=0.0, ev=0.0, st=0.0, neg=0.0, fp=0.0, neg_b=0.0, fp_b=0.0, neg_c=0.0, fp_c=0.0)
    for number in RECORDS:
        rec = load_record(number)
        ends, starts = rec.pvc[1:], rec.pvc[:-1]
        flag = correct_rr(rec.rr_ms, params).codes != NORMAL
        flag_next = np.append(flag[1:], False)
        clean = ~ends & ~starts
        pos, ev, st = ends.sum(), ((flag | flag_next) & ends).sum(), (flag & ends).sum()
        neg, fp = clean.sum(), (flag & clean).sum()
        ok_b = rule20_ok(rec)
        neg_b, fp_b = ok_b.sum(), (flag & ok_b).sum()
        ok_c = reference_c_ok(rec)
        neg_c, fp_c = ok_c.sum(), (flag & ok_c).sum()
        values = (pos, ev, st, neg, fp, neg_b, fp_b, neg_c, fp_c)
        for k, v in zip(tuple(tot), values, strict=True):
            tot[k] += float(v)
        lines.append(
            f"| {number} | {pos} | {pct(ev / pos)} | {pct(st / pos)} | {neg} | {fp} "
            f"| {pct(1 - fp / neg)} | {pct(1 - fp_b / neg_b)} | {neg_c} | {fp_c} "
            f"| {pct(1 - fp_c / neg_c)} |"
        )
    lines += [
        f"| **all** | {tot['pos']:.0f} | **{pct(tot['ev'] / tot['pos'])}** | "
        f"{pct(tot['st'] / tot['pos'])} | {tot['neg']:.0f} | {tot['fp']:.0f} | "
        f"{pct(1 - tot['fp'] / tot['neg'])} | {pct(1 - tot['fp_b'] / tot['neg_b'])} | "
        f"{tot['neg_c']:.0f} | {tot['fp_c']:.0f} | **{pct(1 - tot['fp_c'] / tot['neg_c'])}** |",
        "",
    ]
    return {
        "event": tot["ev"] / tot["pos"],
        "strict": tot["st"] / tot["pos"],
        "spec": 1 - tot["fp"] / tot["neg"],
        "spec_b": 1 - tot["fp_b"] / tot["neg_b"],
        "spec_c": 1 - tot["fp_c"] / tot["neg_c"],
        "fp": tot["fp"],
        "fp_c": tot["fp_c"],
    }


def false_flag_breakdown(lines: list[str]) -> None:
    lines += [
        "What the false flags of the defaults are: each flagged NN interval compared with the "
        "median of the 10 nearest NN intervals of the annotation.",
        "",
        "| record | false flags | < 0.85 x local (premature) | > 1.15 x local (pause) "
        "| next to a PVC interval | other | of which in reference C |",
        "|---|---|---|---|---|---|---|",
    ]
    for number in RECORDS:
        rec = load_record(number)
        ends, starts = rec.pvc[1:], rec.pvc[:-1]
        clean = ~ends & ~starts
        touched = ends | starts
        flag = correct_rr(rec.rr_ms).codes != NORMAL
        cl = np.flatnonzero(clean)
        counts = [0, 0, 0, 0]
        in_c = int((flag & reference_c_ok(rec)).sum())
        for j in np.flatnonzero(flag & clean):
            near = cl[np.argsort(np.abs(cl - j))[1:11]]
            ratio = rec.rr_ms[j] / np.median(rec.rr_ms[near])
            adjacent = (j > 0 and touched[j - 1]) or (j + 1 < touched.size and touched[j + 1])
            k = 0 if ratio < 0.85 else 1 if ratio > 1.15 else 2 if adjacent else 3
            counts[k] += 1
        lines.append(
            f"| {number} | {sum(counts)} | " + " | ".join(map(str, counts)) + f" | {in_c} |"
        )
    lines.append("")


def prematurity(lines: list[str]) -> None:
    lines += [
        "How premature the annotated PVCs are (interval ending at the PVC over the median of the "
        "8 nearest NN intervals): a PVC that is not premature cannot be seen in RR intervals.",
        "",
        "| record | median | 95th percentile | share above 0.85 |",
        "|---|---|---|---|",
    ]
    for number in RECORDS:
        rec = load_record(number)
        ends, starts = rec.pvc[1:], rec.pvc[:-1]
        cl = np.flatnonzero(~ends & ~starts)
        ratios = []
        for j in np.flatnonzero(ends):
            near = cl[np.argsort(np.abs(cl - j))[:8]]
            ratios.append(rec.rr_ms[j] / np.median(rec.rr_ms[near]))
        r = np.array(ratios)
        lines.append(
            f"| {number} | {np.median(r):.2f} | {np.percentile(r, 95):.2f} | "
            f"{pct(float(np.mean(r > 0.85)))} |"
        )
    lines.append("")


# ------------------------------------------------------------------------------------ 2


def clean_bases() -> dict[str, np.ndarray]:
    bases = {
        "pyhrv SampleNNISeriesLong": np.load(DATA / "pyhrv" / "SampleNNISeriesLong.npy"),
        "pyhrv SampleNNISeriesShort": np.load(DATA / "pyhrv" / "SampleNNISeriesShort.npy"),
    }
    for number in (100, 123):
        z = np.load(DATA / "mitdb" / f"mitdb_{number}.npz")
        b = z["beat_samples"]
        rr = np.diff(b) / float(z["fs_hz"]) * 1000.0
        pvc = np.isin(b, z["pvc_samples"])
        bases[f"MIT-BIH {number} (PVC intervals removed)"] = rr[~pvc[1:] & ~pvc[:-1]]
    return {k: np.asarray(v, dtype=float) for k, v in bases.items()}


def simulate(
    base: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Insert missed and extra beats at least 25 beats apart, away from beats the base flags."""
    flagged = correct_rr(base).codes != NORMAL
    near_flag = np.convolve(flagged, np.ones(7), mode="same") > 0
    slots = [j for j in range(10, base.size - 10, 25) if not near_flag[j - 2 : j + 3].any()]
    chosen = set(rng.choice(slots, size=len(slots) // 2, replace=False).tolist())
    kinds = {j: ("missed" if rng.random() < 0.5 else "extra") for j in chosen}
    out: list[float] = []
    truth: list[tuple[int, str]] = []
    skip = False
    for i, v in enumerate(base.tolist()):
        if skip:
            skip = False
            continue
        kind = kinds.get(i)
        if kind == "extra":
            u = rng.uniform(0.2, 0.8)
            truth.append((len(out), "extra"))
            out.extend([u * v, (1 - u) * v])
        elif kind == "missed":
            truth.append((len(out), "missed"))
            out.append(v + base[i + 1])
            skip = True
        else:
            out.append(v)
    return np.asarray(out), truth


def rmssd(x: np.ndarray, ok: np.ndarray | None = None) -> float:
    td = time_domain(x, valid=ok)
    return float(td.rmssd_ms or 0.0)


def missed_extra(lines: list[str], rng: np.random.Generator) -> bool:
    lines += [
        "| clean series | beats | inserted missed / extra | right label | any label on the "
        "beat or its partner | RMSSD error after correction | flags in the untouched series "
        "(previous defaults / defaults) |",
        "|---|---|---|---|---|---|---|",
    ]
    all_ok = True
    for name, base in clean_bases().items():
        rr, truth = simulate(base, rng)
        res = correct_rr(rr)
        labels = res.labels
        right = sum(labels[j] == kind for j, kind in truth)
        anyl = sum(labels[j] != "normal" or labels[j + 1] != "normal" for j, _ in truth)
        n_missed = sum(kind == "missed" for _, kind in truth)
        ref = rmssd(base, correct_rr(base).codes == NORMAL)
        ours = rmssd(res.nn_ms, ~res.nn_corrected)
        all_ok &= anyl == len(truth)
        before = int((correct_rr(base, ArtifactParams.previous_defaults()).codes != NORMAL).sum())
        now = int((correct_rr(base).codes != NORMAL).sum())
        lines.append(
            f"| {name} | {base.size} | {n_missed} / {len(truth) - n_missed} | "
            f"{right} / {len(truth)} | {anyl} / {len(truth)} | {100 * (ours / ref - 1):+.2f} % "
            f"| {before} / {now} |"
        )
    lines += [
        "",
        "Extra beats split an interval at a uniformly drawn 20-80 % point; a missed beat merges "
        "two intervals. The RMSSD reference is the clean series' own (values our detector "
        "flags in the untouched series left out the same way), so the error is that of the "
        "inserted artifacts alone. The last column counts the beats each version flags in the "
        "clean series themselves (MIT-BIH 100 holds 33 atrial premature beats, which the "
        "method is meant to flag; the pyhrv series and 123 are sinus rhythm).",
        "",
    ]
    return all_ok


def simulate_runs(
    base: np.ndarray, rng: np.random.Generator, missed: int
) -> tuple[np.ndarray, list[int]]:
    """Merge ``missed + 1`` consecutive intervals (that many beats missed in a row) at slots at
    least 25 beats apart, away from beats the base flags; return the series and the merged
    intervals' indices."""
    flagged = correct_rr(base).codes != NORMAL
    near_flag = np.convolve(flagged, np.ones(7 + missed), mode="same") > 0
    slots = [
        j for j in range(10, base.size - 10, 25) if not near_flag[j - 2 : j + missed + 3].any()
    ]
    chosen = set(rng.choice(slots, size=len(slots) // 2, replace=False).tolist())
    out: list[float] = []
    truth: list[int] = []
    i = 0
    while i < base.size:
        if i in chosen:
            truth.append(len(out))
            out.append(float(base[i : i + missed + 1].sum()))
            i += missed + 1
        else:
            out.append(float(base[i]))
            i += 1
    return np.asarray(out), truth


def consecutive_missed(lines: list[str]) -> None:
    """Runs of 1-3 missed beats: label, pieces and time kept, with and without the k-split."""
    # A generator of its own, so the tables before and after keep their random draws.
    rng = np.random.default_rng(SEED + 1)
    single = ArtifactParams(max_missed_beats=1)
    lines += [
        "| clean series | missed in a row | inserted | labelled missed | split into the right "
        "number of beats | NN time lost, paper's split (one missed beat only) / ours (s) | "
        "RMSSD error, paper's / ours |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, base in clean_bases().items():
        untouched = correct_rr(base)
        ref = rmssd(base, untouched.codes == NORMAL)
        for missed in (1, 2, 3):
            rr, truth = simulate_runs(base, rng, missed)
            res = correct_rr(rr)
            old = correct_rr(rr, single)
            labelled = sum(res.labels[j] == "missed" for j in truth)
            pieces = sum(res.nn_for_beat(j).size == missed + 1 for j in truth)
            lost_old = (untouched.nn_ms.sum() - old.nn_ms.sum()) / 1000.0
            lost = (untouched.nn_ms.sum() - res.nn_ms.sum()) / 1000.0
            err_old = rmssd(old.nn_ms, ~old.nn_corrected) / ref - 1.0
            err = rmssd(res.nn_ms, ~res.nn_corrected) / ref - 1.0
            lines.append(
                f"| {name} | {missed} | {len(truth)} | {labelled} | {pieces} | "
                f"{lost_old:.1f} / {lost:.1f} | {100 * err_old:+.2f} % / {100 * err:+.2f} % |"
            )
    lines += [
        "",
        "Each inserted run merges ``k + 1`` intervals into one. The paper splits only an interval "
        "of about two reference intervals; a longer one is labelled long and interpolated as one "
        "interval, so the NN series loses ``k`` beats' worth of time and every later beat time "
        "(the spectrum's and the coherence's clock) moves early. Ours splits an interval of "
        "``k + 1`` reference intervals into ``k + 1`` equal pieces (up to "
        f"``max_missed_beats`` = {ArtifactParams().max_missed_beats}). Time lost is the corrected "
        "untouched series' total minus the corrected simulated series' total (positive: time "
        "lost); what remains with ours comes from runs labelled long (interpolated as one "
        "interval) or split into a wrong number of beats, where the beats inside the run were "
        "15-25 % longer or shorter than those around it (respiratory sinus arrhythmia in "
        "these series), which RR intervals alone cannot tell from one beat more or less. The "
        "RMSSD uses original intervals only, so it barely depends on the split.",
        "",
    ]


# ------------------------------------------------------------------------------------ 3


def rmssd_table(lines: list[str]) -> dict[int, dict[str, float]]:
    lines += [
        "| record | reference A: PVC intervals removed | reference B: A + 20 % rule | "
        "reference C: B + partner intervals | ours, previous defaults | ours, defaults | "
        "error vs A (previous / now) | error vs B (previous / now) | "
        "**error vs C (previous / now)** | ours, all corrected values (Kubios style), vs C |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    errors: dict[int, dict[str, float]] = {}

    def err(x: float, ref: float) -> str:
        return f"{100 * (x / ref - 1):+.1f} %"

    for number in RECORDS:
        rec = load_record(number)
        ends, starts = rec.pvc[1:], rec.pvc[:-1]
        clean = ~ends & ~starts
        ref_a = rmssd(rec.rr_ms, clean)
        ok_b = rule20_ok(rec)
        ref_b = rmssd(rec.rr_ms, ok_b)
        ok_c = reference_c_ok(rec)
        ref_c = rmssd(rec.rr_ms, ok_c)
        old = correct_rr(rec.rr_ms, ArtifactParams.previous_defaults())
        prev = rmssd(old.nn_ms, ~old.nn_corrected)
        res = correct_rr(rec.rr_ms)
        ours = rmssd(res.nn_ms, ~res.nn_corrected)
        kubios = rmssd(res.nn_ms)
        errors[number] = {
            "a": ours / ref_a - 1,
            "b": ours / ref_b - 1,
            "c": ours / ref_c - 1,
            "prev_a": prev / ref_a - 1,
            "prev_c": prev / ref_c - 1,
        }
        lines.append(
            f"| {number} | {ref_a:.2f} | {ref_b:.2f} ({(clean & ~ok_b).sum()} removed) | "
            f"{ref_c:.2f} ({(clean & ~ok_c).sum()} removed) | {prev:.2f} | {ours:.2f} | "
            f"{err(prev, ref_a)} / {err(ours, ref_a)} | {err(prev, ref_b)} / {err(ours, ref_b)} | "
            f"{err(prev, ref_c)} / **{err(ours, ref_c)}** | {kubios:.2f}, {err(kubios, ref_c)} |"
        )
    rec = load_record(105)
    clean = ~rec.pvc[1:] & ~rec.pvc[:-1]
    long_ones = np.flatnonzero(clean & (rec.rr_ms > 1.8 * np.median(rec.rr_ms[clean])))
    lines += [
        "",
        "Reference B also drops NN intervals more than 20 % away from the median of their 10 "
        "nearest NN intervals (the 20 % rule of Kamath & Fallen 1995, applied to the reference "
        "only, independent of our detector); reference C also drops the other interval bounding "
        "the beat each such interval implicates (the script's docstring). Record 105's "
        f"reference A holds {long_ones.size} intervals of "
        + ", ".join(f"{rec.rr_ms[j]:.0f} ms (interval {j})" for j in long_ones)
        + ", about twice the local interval. The data hold every annotated beat (2572 = "
        "PhysioNet's 2526 N + 41 V + 5 Q), so these are not beats lost in packaging: no beat was "
        "annotated there (105 is the noisiest record of the database), the detector labels "
        "them missed. Record 116's reference A holds a premature beat not labelled as a PVC "
        "(500 ms then 944 ms; the record has one atrial premature beat), record 200's its 30 "
        "atrial premature beats.",
        "",
    ]
    return errors


def rmssd_decomposition(lines: list[str]) -> None:
    lines += [
        "Where reference A and ours differ: the successive differences (between two adjacent "
        "intervals) each one uses, split by who uses them, with their count and RMS.",
        "",
        "| record | used by both | only by reference A | only by ours (a PVC interval kept) |",
        "|---|---|---|---|",
    ]

    def cell(d: np.ndarray) -> str:
        return f"{d.size}, {np.sqrt(np.mean(d**2)):.1f} ms" if d.size else "0"

    versions = (("previous defaults", ArtifactParams.previous_defaults()), ("", ArtifactParams()))
    for number in RECORDS:
        rec = load_record(number)
        clean = ~rec.pvc[1:] & ~rec.pvc[:-1]
        for tag, params in versions:
            res = correct_rr(rec.rr_ms, params)
            kept = np.zeros(rec.rr_ms.size, dtype=bool)
            kept[res.nn_source[~res.nn_corrected]] = True
            d = np.diff(rec.rr_ms)
            in_a, in_ours = clean[1:] & clean[:-1], kept[1:] & kept[:-1]
            name = f"{number}, {tag}" if tag else f"{number}"
            lines.append(
                f"| {name} | {cell(d[in_a & in_ours])} | {cell(d[in_a & ~in_ours])} | "
                f"{cell(d[in_ours & ~in_a])} |"
            )
    lines.append("")


# ------------------------------------------------------------------------------------ 4


def pyhrv_table(lines: list[str]) -> None:
    nn = np.load(DATA / "pyhrv" / "SampleNNISeriesLong.npy").astype(float)
    py = time_domain(nn, convention="pyhrv")
    tf = time_domain(nn)
    t = beat_times_s(nn)
    fd_py = frequency_domain(nn, welch_settings=WelchSettings.pyhrv(float(t[-1] - t[0])))
    fd = frequency_domain(nn)
    corrected = analyse_rr(nn)["metrics"]
    lines += [
        "| metric | pyhrv report | ours, pyhrv conventions | ours, defaults, uncorrected |",
        "|---|---|---|---|",
        f"| SDNN (ms) | 85.357 | {py.sdnn_ms:.3f} | {tf.sdnn_ms:.3f} |",
        f"| RMSSD (ms) | 60.523 | {py.rmssd_ms:.3f} | {tf.rmssd_ms:.3f} |",
        f"| SDSD (ms) | 43.391 | {py.sdsd_ms:.3f} | {tf.sdsd_ms:.3f} |",
        f"| pNN50 (%) | 28.571 | {py.pnn50_pct:.3f} | {tf.pnn50_pct:.3f} |",
        f"| mean HR (bpm) | 78.990 | {py.mean_hr_bpm:.3f} | {tf.mean_hr_bpm:.3f} |",
        f"| VLF (ms²) | 2050.744 | {fd_py.powers_ms2['vlf']:.3f} | {fd.powers_ms2['vlf']:.3f} |",
        f"| LF (ms²) | 2942.537 | {fd_py.powers_ms2['lf']:.3f} | {fd.powers_ms2['lf']:.3f} |",
        f"| HF (ms²) | 1648.097 | {fd_py.powers_ms2['hf']:.3f} | {fd.powers_ms2['hf']:.3f} |",
        f"| LF/HF | 1.785 | {fd_py.lf_hf:.3f} | {fd.lf_hf:.3f} |",
        "",
        "pyhrv conventions: SDSD is the standard deviation of |successive differences|, mean HR "
        "the mean of 60000/NN; Welch with Hamming window, nfft 4096, 300-sample (75 s) "
        "segments, half overlap, VLF from 0 Hz, closed band edges (`WelchSettings.pyhrv`). "
        "Ours: signed differences, 60000/mean NN; Hann window, 256 s segments (overlap at "
        "least half, raised so they reach the end), linear detrend "
        "per segment, half-open Task Force bands with VLF from 0.0033 Hz. Both on the raw "
        "series, without artifact correction, as pyhrv computed it: `breathwise hrv "
        "--artifacts none` gives the last column. By default its correction flags "
        f"{corrected['artifacts']['artifact_pct']:.1f} % of these intervals, and RMSSD reads "
        f"{corrected['time']['rmssd_ms']:.3f}, SDNN {corrected['time']['sdnn_ms']:.3f}.",
        "",
    ]


# ------------------------------------------------------------------------------------ 5


def streaming_table(lines: list[str]) -> None:
    lines += [
        "| record | look-ahead (beats) | labels equal to batch | NN values equal to batch |",
        "|---|---|---|---|",
    ]
    for number in (106, 119, 200):
        rec = load_record(number)
        batch = correct_rr(rec.rr_ms)
        for look in (3, 12, 30):
            s = StreamingRRCorrector(look_ahead_beats=look)
            out = []
            for v in rec.rr_ms.tolist():
                out.extend(s.push(v))
            out.extend(s.flush())
            same_label = np.mean([b.label == batch.labels[b.index] for b in out])
            same_nn = np.mean([np.allclose(b.nn_ms, batch.nn_for_beat(b.index)) for b in out])
            lines.append(
                f"| {number} | {look} | {pct(float(same_label))} | {pct(float(same_nn))} |"
            )
    lines.append("")


# ------------------------------------------------------------------------------------ 6


def _track(rr: np.ndarray, r_t: np.ndarray, i0: int, k0: int) -> np.ndarray:
    """Index of the R peak matching each device beat (-1: none).

    Device beat ``i`` ends interval ``rr[i]``; tracking starts with the beat before ``rr[i0]``
    on peak ``k0`` (the strap's first notification can carry beats from before the ECG starts).
    """
    pick = np.full(rr.size, -1, dtype=int)
    anchor = float(r_t[k0])
    last = k0
    for i in range(i0, rr.size):
        predicted = anchor + rr[i] / 1000.0
        k = int(np.searchsorted(r_t, predicted))
        cands = [c for c in (k - 1, k) if last < c < r_t.size]
        if cands:
            c = min(cands, key=lambda c: abs(r_t[c] - predicted))
            if abs(r_t[c] - predicted) < MATCH_S:
                pick[i] = c
                last = c
                anchor = float(r_t[c])
                continue
        anchor = predicted
    return pick


def polar(lines: list[str]) -> None:
    try:
        import neurokit2 as nk
    except ImportError:
        lines += ["NeuroKit2 not installed: section skipped.", ""]
        return
    path = DATA / "polar_h10_pvc" / "polar_h10_pvc.csv.gz"
    # time_ns read as int64 on its own (float64 would lose the nanoseconds); the other columns
    # as floats, empty cells (no beat on that row) as NaN.
    t_ns = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=(0,), dtype=np.int64)
    table = np.genfromtxt(path, delimiter=",", names=True, dtype=float, filling_values=np.nan)
    t = (t_ns - t_ns[0]) / 1e9
    fs = 1.0 / float(np.median(np.diff(t)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = nk.ecg_clean(np.asarray(table["ecg_mV"], dtype=float), sampling_rate=fs)
        _, info = nk.ecg_peaks(clean, sampling_rate=fs, correct_artifacts=False)
    peaks = np.asarray(info["ECG_R_Peaks"])
    r_t = t[peaks]
    rr_all = np.asarray(table["rr_ms"], dtype=float)
    rr = rr_all[np.isfinite(rr_all)]
    # The strap's clock and the host timestamps drift apart over ten minutes, so the device
    # beats are tracked along the R peaks: each device interval predicts the next beat from
    # the last matched peak, and the nearest peak within MATCH_S is its match.
    best: tuple[int, np.ndarray] = (-1, np.empty(0, dtype=int))
    for i0 in range(10):
        for k0 in range(10):
            pick = _track(rr, r_t, i0, k0)
            if (pick >= 0).sum() > best[0]:
                best = (int((pick >= 0).sum()), pick)
    pick = best[1]
    matched = pick >= 0
    # Device interval i runs from the beat matched to pick[i - 1] to the one matched to pick[i].
    both = matched[1:] & matched[:-1]
    steps = pick[1:] - pick[:-1]
    one = both & (steps == 1)
    two = both & (steps == 2)
    ecg_rr = np.diff(r_t) * 1000.0
    diff = rr[1:][one] - ecg_rr[pick[:-1][one]]
    dev = correct_rr(rr)
    ecg = correct_rr(ecg_rr)
    missed_in_dev = dev.codes[1:][two]
    flag_ecg = ecg.codes[pick[:-1][one]] != NORMAL
    lines += [
        f"ECG: {t[-1]:.0f} s at {fs:.2f} Hz (rate from the timestamps), {peaks.size} R peaks "
        "(NeuroKit2 `ecg_clean` + `ecg_peaks`, no peak correction); device: "
        f"{rr.size} RR values. Device beats matched to R peaks by tracking from the best of "
        "100 starting pairs (device interval, R peak): "
        "each device interval, added to the last matched peak, predicts the next beat, matched "
        f"to the nearest R peak within {1000 * MATCH_S:.0f} ms.",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| device beats matched to an R peak | {matched.sum()} / {matched.size} |",
        f"| device RR spanning one ECG RR | {one.sum()} |",
        f"| device RR - ECG RR, median / 95th percentile of abs / max abs (ms) | "
        f"{np.median(diff):+.1f} / {np.percentile(np.abs(diff), 95):.1f} / "
        f"{np.abs(diff).max():.1f} |",
        f"| device RR spanning two ECG RR (a beat the strap missed) | {two.sum()} |",
        f"| ... of which our detector flags (on the device series) | "
        f"{(missed_in_dev != NORMAL).sum()} / {two.sum()} "
        f"({', '.join(sorted({LABELS[c] for c in missed_in_dev}))}) |",
        f"| ECG R peaks with no device beat | {r_t.size - np.unique(pick[matched]).size} |",
        f"| artifacts flagged in the device series | {pct(float((dev.codes != NORMAL).mean()))} |",
        f"| artifacts flagged in the ECG series | {pct(float((ecg.codes != NORMAL).mean()))} |",
        f"| same label on device and ECG, intervals spanning one ECG RR | "
        f"{pct(float(np.mean((dev.codes[1:][one] != NORMAL) == flag_ecg)))} |",
        "",
        "The session is mostly ventricular bigeminy and trigeminy, so most intervals touch an "
        "ectopic beat. Where the strap reports an interval it matches the ECG to a few "
        "milliseconds (RR resolution is 1 ms, the ECG's sample 7.7 ms); where it misses an "
        "ectopic beat it reports the sum of two intervals, which the detector flags. The "
        "detector flags the same intervals (flagged or not) in the strap's series and in the "
        "ECG's; the ECG series also holds a few detector errors of its own (extra or misplaced "
        "peaks, the unmatched ones above).",
        "",
    ]


def main(out: Path = OUT) -> None:
    """Run every section and write the report to ``out``."""
    if not (DATA / "mitdb").exists():
        raise SystemExit(f"{DATA} not found: the validation needs ../shared/data")
    rng = np.random.default_rng(SEED)
    lines = [
        "# HRV validation: RR artifact correction and HRV metrics",
        "",
        "Generated by `python benchmarks/validate_hrv.py` from the recordings in "
        f"`../shared/data` (random seed {SEED}). Do not edit by hand.",
        "",
        "## 1. PVC detection on MIT-BIH (RR intervals from the annotated beat positions)",
        "",
        "Scoring, per beat, each beat's RR being the interval ending at it (details in the "
        "script's docstring). A PVC bounds a premature interval and a compensatory pause; the "
        "paper's ectopic rule fires on the pause and stands for the premature beat, so a PVC "
        "is *detected* when either interval carries a label (*strict*: the premature one). The "
        "beat right after a PVC, whose RR is the compensatory pause, is neither a positive nor "
        "a negative: its RR is abnormal because of the PVC and is not an NN interval. Every "
        "other non-PVC beat is a negative; a *false positive* is one whose RR (an NN interval "
        "of the annotation) is labelled. The annotation's atrial premature beats (30 in record "
        "200, one in 116) are not in the data, so they and the pause after each count as "
        "normal beats. *Negatives A* are all those beats (the original scoring); *B* keeps "
        "only beats whose RR also passes the 20 % rule (Kamath & Fallen 1995); *C* also drops "
        "the other interval bounding each beat the 20 % rule implicates, exactly as a PVC "
        "label drops both of its intervals (`reference_c_ok`: a rule on the annotation, "
        "independent of our detector). The issue's specificity target is scored on C since "
        "the issue-4 follow-up, with A and B kept next to it. Issue 4's targets: sensitivity "
        ">= 95 %, specificity >= 99.5 % (the method's paper: 96.96 % / 99.94 %, with atrial "
        "*and* ventricular ectopic beats as positives).",
        "",
    ]
    ours = detection_table(ArtifactParams(), "Defaults (paper rules + this module's guards)", lines)
    prev = detection_table(
        ArtifactParams.previous_defaults(),
        "Previous defaults (before the threshold floor, return check, partner and "
        "compensatory-pause rules)",
        lines,
    )
    paper = detection_table(ArtifactParams.published(), "Published rules only", lines)
    false_flag_breakdown(lines)
    prematurity(lines)
    spec_verdict = "target met" if ours["spec_c"] >= 0.995 else "**under the 99.5 % target**"
    sens_verdict = "target met" if ours["event"] >= 0.95 else "**under the 95 % target**"
    lines += [
        f"Result: sensitivity {pct(ours['event'])} ({sens_verdict}), strict "
        f"{pct(ours['strict'])}; specificity against reference C {pct(ours['spec_c'])} "
        f"({ours['fp_c']:.0f} false positives), {spec_verdict}. Side by side with the previous "
        f"defaults: specificity A {pct(prev['spec'])} -> {pct(ours['spec'])}, B "
        f"{pct(prev['spec_b'])} -> {pct(ours['spec_b'])}, C {pct(prev['spec_c'])} -> "
        f"{pct(ours['spec_c'])}; sensitivity {pct(prev['event'])} -> {pct(ours['event'])}, "
        f"strict {pct(prev['strict'])} -> {pct(ours['strict'])}. The published rules reach "
        f"{pct(paper['event'])} sensitivity: their thresholds are built from windows where "
        "ectopic intervals are the majority (bigeminy, couplets) and grow past a second.",
        "",
        "What changed the specificity verdict is the scoring, not the detector: the previous "
        "defaults already score above 99.5 % against C, and the new rules cost a little "
        "specificity under every reference (table above). They find premature beats 10-20 % "
        "early that the 20 % threshold ceiling hid (record 200, where a fifth of the PVCs are "
        "less than 15 % premature: strict sensitivity above), which the RMSSD target needs "
        "(section 3). The same RR pattern, a short interval and a compensatory pause, is what "
        "record 200's 30 atrial premature beats look like, and these are not labelled in the "
        "data, so against PVC-only negatives (A) every one the method rightly flags costs up "
        "to two false positives. Most of record 200's false flags are such pairs, typically "
        "just before a bigeminy run (e.g. 736, **622, 972**, 561 V, 997 ms: a premature beat, "
        "its pause, then the first PVC; a long cycle starting bigeminy is the textbook 'rule "
        "of bigeminy'). Reference B removed only the half of such a pair that broke the 20 % "
        "rule and kept the other half as a negative; C removes both halves, as A does for a "
        "labelled PVC. Two of the changes lower the false positives under every reference: the "
        "return check (record 106: 4 -> 1, the interval after a compensatory pause) and the "
        "5 % threshold floor (record 116: 9 -> 7, 30-50 ms steps in a very regular rhythm); "
        "the partner and compensatory-pause rules add record 200's new ones. Record 105's "
        "remaining false flags are its four 1.3-1.4 s gaps of the annotation (labelled missed) "
        "and neighbours, and 13-15 % single-beat jumps in its noisiest stretch.",
        "",
        "Tried and left out: an 'alternation' rule labelling every sustained short-long "
        "alternation (>= 3-4 cycles of >= 8-12 % steps) as bigeminy. It raised strict "
        "sensitivity on record 200 to 91-93 % but added 14-22 false positives against C at "
        "the starts of runs, and moved record 200's RMSSD by under 1 %: inside a bigeminy run "
        "no two adjacent intervals are kept anyway, so the RMSSD never saw those beats.",
        "",
        "## 2. Simulated missed and extra beats in clean series",
        "",
    ]
    ok = missed_extra(lines, rng)
    lines += [
        f"All inserted artifacts detected: {'yes' if ok else 'NO'}.",
        "",
        "Several missed beats in a row (a strap losing contact for a few beats):",
        "",
    ]
    consecutive_missed(lines)
    lines += [
        "## 3. RMSSD after correction against the labelled-clean reference",
        "",
        "Ours is the RMSSD `breathwise hrv` reports: successive differences between adjacent "
        "intervals that are both original (uncorrected) NN intervals, the Task Force's NN "
        "definition. The Kubios-style value over the whole corrected series (interpolated "
        "values included) is shown for comparison: interpolation flattens long ectopic runs "
        "and pulls RMSSD down. Target: within 5 % on each record.",
        "",
    ]
    errors = rmssd_table(lines)
    within_c = [n for n, e in errors.items() if abs(e["c"]) <= 0.05]
    outside_c = [n for n in RECORDS if n not in within_c]
    lines += [
        f"Within 5 % of reference C: {', '.join(map(str, within_c)) or 'none'}; **outside: "
        f"{', '.join(map(str, outside_c)) or 'none'}**.",
        "",
    ]
    rmssd_decomposition(lines)
    lines += [
        "Reference A (PVCs and the two intervals each one corrupts removed) keeps every other "
        "non-NN interval: record 105's four gaps of the annotation and record 116's and 200's "
        "atrial premature beats. Their few successive differences are hundreds of "
        "milliseconds and dominate its RMSSD (column 'only by reference A'); a detector that "
        "removes them, as the method should, cannot come within 5 % of A on those records, "
        "and removing more PVCs moves ours further from A on 200 (the differences both use "
        "have an RMS well under A's). The target is therefore scored against reference C "
        "(A minus the intervals bounding a beat the 20 % rule implicates, independent of our "
        "detector); A and B stay in the table. Record 200 moved from "
        f"{100 * errors[200]['prev_c']:+.1f} % to {100 * errors[200]['c']:+.1f} % of C "
        "because the new rules remove PVC intervals the previous defaults kept (column 'only "
        "by ours' above, previous defaults against defaults).",
        "",
        "## 4. pyhrv's published numbers (SampleNNISeriesLong, 60 min)",
        "",
    ]
    pyhrv_table(lines)
    lines += [
        "## 5. Streaming corrector against batch (MIT-BIH, default history of 64 beats)",
        "",
        "With the look-ahead and history of `exact_look_ahead_beats()` "
        f"({exact_look_ahead_beats()} beats per pass) the streaming output equals batch "
        "exactly (tested); the table shows the live trade-off.",
        "",
    ]
    streaming_table(lines)
    lines += ["## 6. Polar H10 session with frequent PVCs: device RR against ECG R peaks", ""]
    polar(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python benchmarks/validate_hrv.py",
        description="Validate RR artifact correction and HRV against the real recordings of "
        "../shared/data and write the report.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help=f"where to write the report (default: {OUT.relative_to(ROOT)}, the committed one)",
    )
    main(Path(parser.parse_args().out))
