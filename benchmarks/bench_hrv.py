"""HRV with artifact correction on one hour of RR: ours against NeuroKit2, and streaming costs.

Run: ``python benchmarks/bench_hrv.py`` (or ``python -m benchmarks`` for every benchmark).

(a) Batch, one hour of RR (pyhrv's 60-minute sample series from ``../shared/data`` with 1 % of
    its intervals turned into premature/missed/extra beats; a simulated hour when the data folder
    is absent). Ours: artifact correction + time domain + Welch frequency domain, and the full
    ``analyse_rr`` JSON dict (which adds coherence and the per-beat labels). NeuroKit2: the same
    work, ``signal_fixpeaks(method="Kubios", iterative=True)`` + ``hrv_time`` + ``hrv_frequency``.
    Each side is timed as the best of several runs, in this one process.
(b) Streaming, the same hour fed one beat at a time: ``StreamingRRCorrector.push`` (live
    defaults, 12-beat look-ahead) and ``CoherenceTracker.push`` per beat.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from analysis.coherence import CoherenceTracker
from analysis.hrv_frequency import frequency_domain
from analysis.hrv_report import analyse_rr
from analysis.hrv_time import time_domain
from analysis.rr_artifacts import StreamingRRCorrector, correct_rr

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TARGET_RATIO = 20.0


def hour_of_rr(seed: int = 4) -> tuple[np.ndarray, str]:
    """One hour of RR (ms) with 1 % artifacts, and where it came from."""
    path = DATA / "pyhrv" / "SampleNNISeriesLong.npy"
    rng = np.random.default_rng(seed)
    if path.exists():
        rr = np.load(path).astype(float)
        source = "pyhrv SampleNNISeriesLong (4684 beats, 60 min)"
    else:
        t = np.cumsum(np.full(4600, 0.78))
        rr = 780 + 50 * np.sin(2 * np.pi * 0.1 * t) + rng.normal(0, 15, t.size)
        source = "synthetic hour (../shared/data absent)"
    out: list[float] = []
    for v in rr:
        u = rng.random()
        if u < 0.004:
            out.extend([0.62 * v, 1.38 * v])  # premature beat and compensatory pause
        elif u < 0.007:
            out.extend([0.4 * v, 0.6 * v])  # extra detection
        elif u < 0.010 and out:
            out[-1] += v  # missed beat
        else:
            out.append(v)
    return np.asarray(out), source + ", 1 % artifacts added"


def best_of(fn: Callable[[], object], runs: int) -> float:
    """Best wall time of ``runs`` calls, seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def ours_matched(rr: np.ndarray) -> None:
    """Correction + time domain + frequency domain: NeuroKit2's scope."""
    res = correct_rr(rr)
    time_domain(res.nn_ms, valid=~res.nn_corrected)
    frequency_domain(res.nn_ms)


def neurokit(rr: np.ndarray) -> Callable[[], object] | None:
    try:
        import neurokit2 as nk
    except ImportError:
        return None
    peaks = np.concatenate(([0], np.cumsum(np.round(rr).astype(int))))

    def run() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, clean = nk.signal_fixpeaks(
                peaks, sampling_rate=1000, iterative=True, method="Kubios"
            )
            nk.hrv_time(clean, sampling_rate=1000)
            return nk.hrv_frequency(clean, sampling_rate=1000)

    return run


def streaming_costs(rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-beat push cost (s) of the artifact corrector and of the coherence tracker."""
    corrector = StreamingRRCorrector()
    tracker = CoherenceTracker()
    cost_c = np.empty(rr.size)
    cost_t = np.empty(rr.size)
    t_s = 0.0
    for i, v in enumerate(rr.tolist()):
        t0 = time.perf_counter()
        corrector.push(v)
        cost_c[i] = time.perf_counter() - t0
        t_s += v / 1000.0
        t0 = time.perf_counter()
        tracker.push(t_s, v)
        cost_t[i] = time.perf_counter() - t0
    return cost_c, cost_t


def main() -> None:
    print("== HRV with artifact correction, 1 h of RR: ours vs NeuroKit2 ==")
    rr, source = hour_of_rr()
    print(f"input: {source}: {rr.size} intervals")
    ours_matched(rr)
    analyse_rr(rr)
    t_matched = best_of(lambda: ours_matched(rr), 20)
    t_full = best_of(lambda: analyse_rr(rr), 10)
    print(f"(a) ours, correction + time + frequency: {t_matched * 1e3:.1f} ms")
    print(f"    ours, full analyse_rr (+ coherence, labels, JSON dict): {t_full * 1e3:.1f} ms")
    print(f"    ours, correction alone: {best_of(lambda: correct_rr(rr), 20) * 1e3:.1f} ms")
    nk_run = neurokit(rr)
    if nk_run is None:
        print("    NeuroKit2 not installed: pip install -e '.[bench]' for the side-by-side")
    else:
        nk_run()
        t_nk = best_of(nk_run, 3)
        ratio = t_nk / t_matched
        verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
        print(f"    NeuroKit2 signal_fixpeaks(Kubios) + hrv_time + hrv_frequency: {t_nk:.3f} s")
        print(
            f"    ratio, the same work (correction + time + frequency): ours {ratio:.0f}x "
            f"faster; {verdict} the >= {TARGET_RATIO:.0f}x target"
        )
        # Said apart, not folded into the verdict (found in review: "meets" was printed while
        # the analysis `breathwise hrv` runs had become 1-2x): NeuroKit2 has no coherence to
        # set beside ours, and ours is a 64 s window every 5 s, each with its own spline, so
        # that it equals the live tracker's.
        print(
            f"    ratio, full analyse_rr (what 'breathwise hrv' runs, with the session's "
            f"coherence, which NeuroKit2 does not compute): {t_nk / t_full:.1f}x"
        )
    cost_c, cost_t = streaming_costs(rr)
    for name, cost in (("StreamingRRCorrector.push", cost_c), ("CoherenceTracker.push", cost_t)):
        us = cost * 1e6
        print(
            f"(b) {name} per beat: mean {us.mean():.0f} us, median {np.median(us):.0f} us, "
            f"p99 {np.percentile(us, 99):.0f} us, max {us.max():.0f} us"
        )


if __name__ == "__main__":
    main()
