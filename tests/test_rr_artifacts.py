"""RR artifact detection and correction: synthetic cases, streaming equivalence, MIT-BIH numbers."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest

from analysis.rr_artifacts import (
    ECTOPIC,
    LABELS,
    MISSED,
    NORMAL,
    SHORT,
    ArtifactParams,
    CorrectedBeat,
    StreamingRRCorrector,
    correct_rr,
    detect_rr_artifacts,
    exact_look_ahead_beats,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MITDB = DATA / "mitdb"
RECORDS = (105, 106, 116, 119, 200)


def sinus_series(
    n: int, seed: int, *, mean_ms: float = 900.0, rsa_ms: float = 60.0, rate_bpm: float = 12.0
) -> np.ndarray:
    """Clean sinus-rhythm-like RR: respiratory oscillation, slow wander and beat noise (ms)."""
    rng = np.random.default_rng(seed)
    t = 0.0
    out = np.empty(n)
    phase = rng.uniform(0, 2 * np.pi)
    for i in range(n):
        wander = 30.0 * np.sin(2 * np.pi * 0.01 * t + phase)
        out[i] = mean_ms + wander + rsa_ms * np.sin(2 * np.pi * rate_bpm / 60.0 * t)
        out[i] += rng.normal(0.0, 12.0)
        t += out[i] / 1000.0
    return out


def spaced_positions(n: int, count: int, rng: np.random.Generator, gap: int = 25) -> np.ndarray:
    """``count`` positions in ``[10, n - 10)`` at least ``gap`` apart."""
    slots = np.arange(10, n - 10, gap)
    return np.sort(rng.choice(slots, size=count, replace=False))


# ----------------------------------------------------------------------------- synthetic


def test_clean_series_has_almost_no_artifacts() -> None:
    """Gaussian beat noise crosses the paper's thresholds about once in a thousand beats."""
    flags = [1500 - correct_rr(sinus_series(1500, seed)).counts["normal"] for seed in range(5)]
    total = sum(flags)
    print(f"false flags per series of 1500 beats: {flags}")
    assert total <= 0.002 * 7500


@pytest.mark.parametrize("rsa_ms", [100.0, 200.0, 250.0])
@pytest.mark.parametrize("rate_bpm", [4.5, 6.5])
def test_large_rsa_at_slow_breathing_is_not_flagged(rsa_ms: float, rate_bpm: float) -> None:
    """The 20 % threshold ceiling must not turn resonance-breathing swings into artifacts."""
    rr = sinus_series(2000, 3, rsa_ms=rsa_ms, rate_bpm=rate_bpm)
    assert detect_rr_artifacts(rr).n_artifacts == 0


def test_paper_rules_break_down_with_frequent_ectopy_and_guards_fix_it() -> None:
    """A stretch where a third of the beats are premature (like MIT-BIH 119): the published
    quartile-deviation thresholds are made of ectopic differences and blow up."""
    seed = 7
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rr = sinus_series(900, seed)
    truth = np.zeros(rr.size, bool)
    j = 200
    while j < 700:
        c = rr[j]
        rr[j], rr[j + 1] = 0.6 * c, 1.4 * rr[j + 1]
        truth[j : j + 2] = True
        j += int(rng.choice([2, 3, 3, 5]))
    guarded = correct_rr(rr).codes != NORMAL
    published = correct_rr(rr, ArtifactParams.published()).codes != NORMAL
    print(f"guarded {guarded[truth].mean():.3f}, published {published[truth].mean():.3f}")
    assert guarded[truth].mean() > 0.95
    assert guarded[~truth].mean() < 0.01
    assert published[truth].mean() < 0.5


def test_simulated_missed_and_extra_beats_are_all_detected_and_undone() -> None:
    seed = 20240611
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    clean = sinus_series(3000, seed)
    pos = spaced_positions(clean.size, 80, rng)
    kinds = rng.integers(0, 2, pos.size)  # 0: missed, 1: extra
    rr_list: list[float] = []
    expect: list[tuple[int, str, int]] = []  # (index in corrupted series, kind, index in clean)
    for i, v in enumerate(clean):
        k = np.searchsorted(pos, i)
        if k < pos.size and pos[k] == i and kinds[k] == 1:
            u = rng.uniform(0.25, 0.75)
            expect.append((len(rr_list), "extra", i))
            rr_list.extend([u * v, (1 - u) * v])
        elif k < pos.size and pos[k] == i and kinds[k] == 0:
            continue  # merged into the next interval below
        elif k > 0 and pos[k - 1] == i - 1 and kinds[k - 1] == 0:
            expect.append((len(rr_list), "missed", i))
            rr_list.append(clean[i - 1] + v)
        else:
            rr_list.append(v)
    rr = np.array(rr_list)
    res = correct_rr(rr)
    labels = res.labels
    for index, kind, _ in expect:
        assert labels[index] == kind, (index, kind, labels[index - 2 : index + 3])
    # Undone: merged extras restore the original interval exactly, split missed beats halve it.
    for index, kind, i in expect:
        values = res.nn_for_beat(index)
        if kind == "extra":
            assert values.tolist() == pytest.approx([clean[i]], abs=1e-9)
        else:
            assert values.tolist() == pytest.approx([(clean[i - 1] + clean[i]) / 2] * 2)
    # Nothing else flagged, and the corrected series spans the same time.
    flagged = {i for i, c in enumerate(res.codes) if c != NORMAL}
    extra_partners = {index + 1 for index, kind, _ in expect if kind == "extra"}
    assert flagged - extra_partners == {index for index, _, _ in expect}
    assert res.nn_ms.sum() == pytest.approx(clean.sum())


def test_premature_beat_pair_is_flagged_and_interpolated() -> None:
    rr = sinus_series(400, 11)
    j = 200
    normal = rr[j]
    rr[j], rr[j + 1] = 0.62 * normal, 1.38 * normal
    res = correct_rr(rr)
    assert res.codes[j] == SHORT and res.codes[j + 1] == ECTOPIC
    assert res.counts["normal"] == rr.size - 2
    # Interpolated linearly (in beat index) between the normal neighbours j - 1 and j + 2.
    fixed = np.concatenate([res.nn_for_beat(j), res.nn_for_beat(j + 1)])
    expected = rr[j - 1] + (rr[j + 2] - rr[j - 1]) * np.array([1 / 3, 2 / 3])
    assert fixed == pytest.approx(expected)
    assert res.nn_corrected.sum() == 2


def test_labels_per_beat_and_provenance_are_consistent() -> None:
    seed = 5
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        rr = rng.uniform(250.0, 2000.0, n) if rng.random() < 0.3 else sinus_series(n, 1)
        if rng.random() < 0.5 and n > 10:
            k = rng.integers(0, n, max(1, n // 20))
            rr[k] *= rng.choice([0.5, 2.0, 0.6, 1.4], k.size)
        res = correct_rr(rr)
        assert res.codes.shape == (n,)
        assert np.all(np.diff(res.nn_source) >= 0)
        assert res.nn_source.size == res.nn_ms.size == res.nn_corrected.size
        assert np.all(res.nn_ms > 0)
        total = sum(res.nn_for_beat(i).size for i in range(n))
        assert total == res.nn_ms.size
        assert set(res.labels) <= set(LABELS)


def test_invalid_input_raises_value_error() -> None:
    interval = r"rr_ms\[1\] = {} is not a positive finite interval"
    for bad, reason in (
        # The value as a person writes it, not numpy's repr "np.float64(-1.0)".
        ([800.0, -1.0], interval.format(r"-1\.0")),
        ([800.0, 0.0], interval.format(r"0\.0")),
        ([800.0, np.nan], interval.format("nan")),
        ([[800.0]], r"one-dimensional, got shape \(1, 1\)"),
    ):
        with pytest.raises(ValueError, match=reason):
            detect_rr_artifacts(bad)
        with pytest.raises(ValueError, match=reason):
            correct_rr(bad)
    assert correct_rr([]).nn_ms.size == 0
    assert detect_rr_artifacts([800.0]).labels == ["normal"]
    with pytest.raises(ValueError, match="threshold_window_beats must be a positive odd number"):
        ArtifactParams(threshold_window_beats=90)
    with pytest.raises(ValueError, match="look_ahead_beats must be at least 3"):
        StreamingRRCorrector(look_ahead_beats=2)
    with pytest.raises(ValueError, match=r"rr_ms\[0\] = .* is not a positive finite interval"):
        StreamingRRCorrector().push(-3.0)


# ----------------------------------------------------------------------------- streaming


def _stream(
    rr: np.ndarray, *, look_ahead_beats: int = 12, history_beats: int = 64, max_iterations: int = 5
) -> list[CorrectedBeat]:
    s = StreamingRRCorrector(
        look_ahead_beats=look_ahead_beats,
        history_beats=history_beats,
        max_iterations=max_iterations,
    )
    out = []
    for v in rr:
        out.extend(s.push(float(v)))
    out.extend(s.flush())
    assert s.pending_beats == 0
    return out


def _corrupted(seed: int, n: int = 700) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rr = sinus_series(n, seed)
    for j in spaced_positions(n, n // 40, rng, gap=15):
        kind = rng.integers(0, 3)
        if kind == 0:
            rr[j], rr[j + 1] = 0.65 * rr[j], 1.35 * rr[j + 1]
        elif kind == 1:
            rr[j] = 2 * rr[j]
        else:
            rr[j] = 0.45 * rr[j]
    return rr


def test_streaming_equals_batch_with_exact_look_ahead_from_first_to_last_beat() -> None:
    seed = 31
    print(f"seed={seed}")
    rr = _corrupted(seed)
    reach = exact_look_ahead_beats()
    assert reach == 64
    batch = correct_rr(rr, max_iterations=1)
    out = _stream(rr, look_ahead_beats=reach, history_beats=reach, max_iterations=1)
    assert [b.index for b in out] == list(range(rr.size))
    assert [b.label for b in out] == batch.labels
    for b in out:
        assert b.nn_ms == tuple(batch.nn_for_beat(b.index).tolist()), b.index
    assert batch.counts["normal"] < rr.size  # the case is not trivial


def test_detection_reach_is_exact() -> None:
    """The intermediate series of beat j depend on rr[j - 51 : j + 52] and no more; its label,
    which the run rule also reads from a pause up to 3 intervals away, on rr[j - 54 : j + 55]."""
    seed = 35
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rr = _corrupted(seed, 500)
    base = detect_rr_artifacts(rr)
    fields = ("drr_norm", "mrr_norm", "s12", "s22", "th1_ms", "th2_ms", "med_rr_ms")
    params = ArtifactParams()
    reach = exact_look_ahead_beats() - params.interp_reach_beats
    assert reach == 54
    field_reach = reach - params.run_beats
    assert field_reach == 51
    changed_inside = 0
    for j in rng.integers(120, 380, 30).tolist():
        for r, must_equal in ((reach, True), (field_reach, True), (field_reach - 1, False)):
            other = rr.copy()
            far = np.abs(np.arange(rr.size) - j) > r
            other[far] *= rng.uniform(0.7, 1.3, far.sum())
            det = detect_rr_artifacts(other)
            same = all(getattr(det, f)[j] == getattr(base, f)[j] for f in fields)
            if r == reach:
                assert same and det.codes[j] == base.codes[j], j
            elif must_equal:
                assert same, j
            else:
                changed_inside += not same
    assert changed_inside > 0  # the 51st beat does matter (when it moves a quartile): tight


def test_couplets_and_triplets_are_labelled_as_runs() -> None:
    """Every interval of a run of premature beats is flagged and its pause is not a missed beat;
    the paper's rules alone see only the first and last interval of the run."""
    rr = sinus_series(600, 13)
    runs = {150: 2, 300: 3, 450: 3}
    truth = np.zeros(rr.size, bool)
    for j, length in runs.items():
        level = float(np.median(rr[j - 10 : j]))
        rr[j : j + length] = level * np.linspace(0.62, 0.68, length)
        rr[j + length] = level * (length + 1) - rr[j : j + length].sum()  # compensatory pause
        truth[j : j + length + 1] = True
    res = correct_rr(rr)
    without = correct_rr(rr, ArtifactParams(run_beats=0))
    flagged = res.codes != NORMAL
    print({j: res.labels[j : j + n + 1] for j, n in runs.items()})
    assert flagged[truth].all()
    assert not flagged[~truth].any()
    assert "missed" not in [res.labels[j + n] for j, n in runs.items()]
    assert (without.codes[truth] == NORMAL).any()  # the run rule is what finds them


def test_weak_premature_beats_with_a_full_compensatory_pause_are_found() -> None:
    """Where frequent ectopy pins the thresholds at the 20 % ceiling, a beat 14 % premature whose
    pause completes two cycles is invisible to the paper's rules; the compensatory-pause rule
    labels it (short, then ectopic on the pause)."""
    seed = 8
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rr = sinus_series(900, seed)
    weak: list[int] = []
    j, k = 100, 0
    while j < 800:
        level = float(np.median(rr[j - 6 : j]))
        early = 0.86 if k % 4 == 3 else 0.6
        rr[j], rr[j + 1] = early * level, (2.0 - early) * level
        if early > 0.8:
            weak.append(j)
        k += 1
        j += int(rng.choice([3, 4, 5]))
    res = detect_rr_artifacts(rr)
    without = detect_rr_artifacts(
        rr, ArtifactParams(comp_prematurity=None, partner_prematurity=None)
    )
    found = np.mean([res.codes[w] == SHORT and res.codes[w + 1] == ECTOPIC for w in weak])
    before = np.mean([without.codes[w] != NORMAL for w in weak])
    print(f"weak premature intervals labelled: {found:.3f} (without the rule {before:.3f})")
    assert np.median(res.th1_ms[200:700]) > 150.0  # the case is the ceiling's
    assert found > 0.9
    assert before < 0.2


def test_threshold_floor_spares_small_steps_in_a_very_regular_rhythm() -> None:
    """40 ms bumps in a 770 ms rhythm with 4 ms jitter (like MIT-BIH 116) are sinus variation:
    the 5 % floor keeps the adaptive threshold from shrinking under them."""
    seed = 4
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rr = 770.0 + rng.normal(0.0, 4.0, 1500)
    rr[50:1450:60] += 40.0
    floored = detect_rr_artifacts(rr).n_artifacts
    unfloored = detect_rr_artifacts(rr, ArtifactParams(min_threshold_fraction=None)).n_artifacts
    print(f"flags with floor {floored}, without {unfloored}")
    assert floored <= 0.2 * unfloored
    assert unfloored >= 20  # without the floor the bumps are flagged: the test can fail


def test_new_settings_are_validated_and_reported() -> None:
    for bad in (
        {"min_threshold_fraction": 0.0},
        {"partner_prematurity": 1.0},
        {"comp_prematurity": -0.1},
        {"comp_tolerance": 1.0},
    ):
        (key,) = bad
        with pytest.raises(ValueError, match=rf"^{key} must be in "):
            ArtifactParams(**bad)  # type: ignore[arg-type]
    settings = ArtifactParams().as_dict()
    assert settings["comp_prematurity"] == 0.1 and settings["return_check"] is True
    old = ArtifactParams.previous_defaults()
    assert old.comp_prematurity is None and old.min_threshold_fraction is None
    assert ArtifactParams.published().partner_prematurity is None


def test_one_pass_correction_depends_on_no_beat_beyond_the_exact_reach() -> None:
    seed = 36
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    rr = _corrupted(seed, 500)
    reach = exact_look_ahead_beats()
    base = correct_rr(rr, max_iterations=1)
    for j in rng.integers(0, rr.size, 25).tolist():
        other = rr.copy()
        far = np.abs(np.arange(rr.size) - j) > reach
        other[far] = rng.permutation(other[far]) * rng.uniform(0.5, 1.5, far.sum())
        res = correct_rr(other, max_iterations=1)
        assert res.codes[j] == base.codes[j], j
        assert res.nn_for_beat(j).tolist() == base.nn_for_beat(j).tolist(), j


def test_streaming_iterated_equals_batch_when_passes_agree() -> None:
    rr = _corrupted(32)
    batch = correct_rr(rr)
    reach = exact_look_ahead_beats(iterations=3)
    out = _stream(rr, look_ahead_beats=reach, history_beats=reach)
    assert [b.label for b in out] == batch.labels
    assert all(b.nn_ms == tuple(batch.nn_for_beat(b.index).tolist()) for b in out)


def test_streaming_emission_is_batch_on_its_window() -> None:
    """The documented guarantee for any look-ahead: what batch says on the visible window."""
    rr = _corrupted(33, 400)
    look, hist = 5, 30
    out = _stream(rr, look_ahead_beats=look, history_beats=hist)
    consumed = {b.index + 1 for b in out if b.label == "extra" and len(b.nn_ms) == 1}
    for b in out:
        lo = max(0, b.index - hist)
        hi = min(rr.size, b.index + look + 1)
        # Beats finalised by the flush see the series end, like the batch end.
        if b.index >= rr.size - look:
            lo = max(0, rr.size - (hist + 1 + look))
            hi = rr.size
        window = correct_rr(rr[lo:hi])
        assert b.label == LABELS[window.codes[b.index - lo]], b.index
        if b.index not in consumed and window.nn_for_beat(b.index - lo).size:
            assert b.nn_ms == tuple(window.nn_for_beat(b.index - lo).tolist()), b.index


def test_streaming_default_never_counts_time_twice() -> None:
    rr = _corrupted(34, 900)
    out = _stream(rr)
    emitted = sum(sum(b.nn_ms) for b in out)
    batch = correct_rr(rr)
    assert emitted == pytest.approx(batch.nn_ms.sum(), rel=0.01)
    agree = np.mean([b.label == batch.labels[b.index] for b in out])
    assert agree > 0.99


# ----------------------------------------------------------------------------- MIT-BIH


def _mit(record: int) -> tuple[np.ndarray, np.ndarray]:
    path = MITDB / f"mitdb_{record}.npz"
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/data is absent")
    z = np.load(path)
    beats = z["beat_samples"]
    rr = np.diff(beats) / float(z["fs_hz"]) * 1000.0
    pvc = np.isin(beats, z["pvc_samples"])
    return rr, pvc


def _reference_c(rr: np.ndarray, pvc: np.ndarray) -> np.ndarray:
    """NN intervals of the annotation for the issue's targets (``benchmarks/validate_hrv.py``).

    Intervals bounding a PVC are out (reference A); so is an interval more than 20 % from the
    median of its 10 nearest such intervals (Kamath & Fallen 1995; reference B), together with
    the other interval bounding the beat it implicates: after a short one, before a long one
    (reference C, the two-interval rule A applies to PVCs). Reads the annotation only.
    """
    clean = ~pvc[1:] & ~pvc[:-1]
    cl = np.flatnonzero(clean)
    ok = clean.copy()
    medians = {}
    for k, j in enumerate(cl):
        nb = cl[max(0, k - 5) : k + 6]
        medians[j] = float(np.median(rr[nb[nb != j]]))
        if abs(rr[j] - medians[j]) > 0.2 * medians[j]:
            ok[j] = False
    out = ok.copy()
    for j in np.flatnonzero(clean & ~ok):
        if rr[j] < medians[j] and j + 1 < out.size:
            out[j + 1] = False
        elif rr[j] > medians[j] and j > 0:
            out[j - 1] = False
    return np.asarray(out, dtype=bool)


def _rmssd(x: np.ndarray, ok: np.ndarray) -> float:
    """RMSSD over successive differences between adjacent intervals both ``ok`` (ms)."""
    return float(np.sqrt(np.mean(np.diff(x)[ok[1:] & ok[:-1]] ** 2)))


@functools.cache
def _scores() -> dict[int, dict[str, float]]:
    """Per record: PVC event sensitivity, strict sensitivity, specificity, RMSSD errors."""
    out: dict[int, dict[str, float]] = {}
    for record in RECORDS:
        rr, pvc = _mit(record)
        ends, starts = pvc[1:], pvc[:-1]
        res = correct_rr(rr)
        flag = res.codes != NORMAL
        flag_next = np.append(flag[1:], False)
        clean = ~ends & ~starts
        ref_c = _reference_c(rr, pvc)
        ours = _rmssd(res.nn_ms, ~res.nn_corrected)
        out[record] = {
            "tp_event": float(((flag | flag_next) & ends).sum()),
            "tp_strict": float((flag & ends).sum()),
            "pos": float(ends.sum()),
            "fp": float((flag & clean).sum()),
            "neg": float(clean.sum()),
            "fp_c": float((flag & ref_c).sum()),
            "neg_c": float(ref_c.sum()),
            "rmssd_err": ours / _rmssd(rr, clean) - 1.0,
            "rmssd_err_c": ours / _rmssd(rr, ref_c) - 1.0,
        }
    return out


@pytest.mark.shared_data
def test_mitbih_pvc_sensitivity_meets_issue_target() -> None:
    s = _scores()
    tp = sum(v["tp_event"] for v in s.values())
    pos = sum(v["pos"] for v in s.values())
    print({r: round(v["tp_event"] / v["pos"], 4) for r, v in s.items()})
    # A PVC counts as detected when an interval it bounds is flagged: the paper's ectopic rule
    # fires on the compensatory (following) interval and stands for the premature beat.
    assert tp / pos >= 0.95
    strict = sum(v["tp_strict"] for v in s.values()) / pos
    assert strict >= 0.945  # the interval ending at the PVC itself (regression guard; 94.9 %)


@pytest.mark.shared_data
def test_mitbih_specificity_against_pvc_only_labels_regression_guard() -> None:
    """Negatives A (every non-PVC beat) include record 200's 30 unlabelled atrial premature
    beats, which the method flags: 98.91 % measured, a guard, not the issue's target."""
    s = _scores()
    fp = sum(v["fp"] for v in s.values())
    neg = sum(v["neg"] for v in s.values())
    print({r: round(1 - v["fp"] / v["neg"], 5) for r, v in s.items()})
    assert 1 - fp / neg >= 0.985


@pytest.mark.shared_data
def test_mitbih_specificity_meets_issue_target() -> None:
    """Issue 4: specificity >= 99.5 %, scored on reference C (measured 99.54 %, 36 false
    positives in 7791; against PVC-only negatives 98.91 %, see docs/validation/hrv.md)."""
    s = _scores()
    fp = sum(v["fp_c"] for v in s.values())
    neg = sum(v["neg_c"] for v in s.values())
    print({r: round(1 - v["fp_c"] / v["neg_c"], 5) for r, v in s.items()}, fp, neg)
    assert 1 - fp / neg >= 0.995


@pytest.mark.shared_data
@pytest.mark.parametrize("record", [106, 119])
def test_mitbih_rmssd_within_5_percent_of_pvc_removed_reference(record: int) -> None:
    """Records whose reference A is PVCs only (no unlabelled ectopy or annotation gaps)."""
    err = _scores()[record]["rmssd_err"]
    print(f"{record}: RMSSD error vs A {100 * err:+.1f} %")
    assert abs(err) <= 0.05


@pytest.mark.shared_data
@pytest.mark.parametrize("record", RECORDS)
def test_mitbih_rmssd_within_5_percent_on_every_record(record: int) -> None:
    """Issue 4: RMSSD after correction within 5 % of the labelled-clean reference (C) on each
    record. Measured: 105 -1.8 %, 106 +0.0 %, 116 -3.7 %, 119 +0.2 %, 200 +4.1 % (previous
    defaults: 200 +15.0 %)."""
    err = _scores()[record]["rmssd_err_c"]
    print(f"{record}: RMSSD error vs C {100 * err:+.1f} %")
    assert abs(err) <= 0.05


@pytest.mark.shared_data
def test_return_check_removes_flags_after_compensatory_pauses_on_record_106() -> None:
    """MIT-BIH 106: the interval after a PVC's pause, a drop between two rises, was flagged
    ectopic three times; the return check keeps it normal (4 -> 1 false positives)."""
    rr, pvc = _mit(106)
    clean = ~pvc[1:] & ~pvc[:-1]
    on = (correct_rr(rr).codes != NORMAL) & clean
    off = (correct_rr(rr, ArtifactParams(return_check=False)).codes != NORMAL) & clean
    print(f"false positives with the check {on.sum()}, without {off.sum()}")
    assert on.sum() <= 1 < off.sum()


@pytest.mark.shared_data
def test_compensatory_pause_rule_spares_sinus_rhythm() -> None:
    """Clean sinus series with strong respiratory arrhythmia (pyhrv's samples, MIT-BIH 123):
    the compensatory-pause rule adds at most 0.15 % flags (measured: 2 per series)."""
    rr, pvc = _mit(123)  # skips when ../shared/data is absent
    series = [np.load(DATA / "pyhrv" / f"SampleNNISeries{n}.npy") for n in ("Long", "Short")]
    series.append(rr[~pvc[1:] & ~pvc[:-1]])
    added = 0
    total = 0
    for x in series:
        x = np.asarray(x, dtype=float)
        with_rule = detect_rr_artifacts(x).n_artifacts
        without = detect_rr_artifacts(x, ArtifactParams(comp_prematurity=None)).n_artifacts
        added += with_rule - without
        total += x.size
    print(f"flags added by the rule: {added} over {total} beats")
    assert added <= 0.0015 * total


# ----------------------------------------------------------------------------- missed runs


def _merge_runs(rr: np.ndarray, runs: dict[int, int]) -> tuple[np.ndarray, dict[int, int]]:
    """Merge ``missed + 1`` intervals from each start in ``runs`` (start -> beats missed in a
    row); return the series and each merged interval's index in it."""
    out: list[float] = []
    where: dict[int, int] = {}
    i = 0
    while i < rr.size:
        missed = runs.get(i, 0)
        if missed:
            where[len(out)] = missed
        out.append(float(rr[i : i + missed + 1].sum()))
        i += missed + 1
    return np.asarray(out), where


@pytest.mark.parametrize("missed", [2, 3])
def test_consecutive_missed_beats_are_split_into_their_beats(missed: int) -> None:
    """Two or three beats missed in a row leave an interval of 3 or 4 reference intervals: the
    paper's test (RR/2) labelled it long and interpolated one interval, losing the time of the
    other beats. It is missed, split into missed + 1 equal pieces, and the time is kept."""
    clean = sinus_series(600, 12)
    rr, where = _merge_runs(clean, {150: 1, 300: missed, 450: missed})
    res = correct_rr(rr)
    for j, k in where.items():
        assert res.labels[j] == "missed", (j, res.labels[j - 2 : j + 3])
        pieces = res.nn_for_beat(j)
        assert pieces.tolist() == pytest.approx([rr[j] / (k + 1)] * (k + 1))
    assert res.counts["normal"] == rr.size - len(where)
    assert res.nn_ms.size == clean.size
    assert res.nn_ms.sum() == pytest.approx(rr.sum(), rel=1e-12)
    # The inserted beats sit at equal steps before the beat closing the long interval.
    t = res.nn_times_s(np.cumsum(rr) / 1000.0)
    assert np.all(np.diff(t) > 0)
    assert t == pytest.approx(np.cumsum(res.nn_ms) / 1000.0, abs=1e-9)


def test_a_pause_that_is_not_a_multiple_is_not_split() -> None:
    """1.5 reference intervals is a quarter off for two pieces, beyond the 20 % ceiling: long."""
    rr = sinus_series(400, 14)
    rr[200] = 1.5 * float(np.median(rr[190:211]))
    res = correct_rr(rr)
    assert res.labels[200] == "long"
    assert res.nn_for_beat(200).size == 1
    assert res.nn_ms.size == rr.size


def test_published_rules_split_one_missed_beat_only() -> None:
    clean = sinus_series(400, 15)
    rr, _ = _merge_runs(clean, {200: 2})
    assert correct_rr(rr, ArtifactParams.published()).labels[200] != "missed"
    assert correct_rr(rr).labels[200] == "missed"
    with pytest.raises(ValueError, match="max_missed_beats"):
        ArtifactParams(max_missed_beats=0)
    assert ArtifactParams().as_dict()["max_missed_beats"] == 3


def test_streaming_equals_batch_with_runs_of_missed_beats() -> None:
    """A split into 3 or 4 pieces shifts the later positions by 2 or 3: the exact look-ahead
    still gives batch's output, one pass and iterated."""
    seed = 37
    print(f"seed={seed}")
    rr, where = _merge_runs(_corrupted(seed), {101: 2, 252: 3, 403: 2, 554: 3})
    reach = exact_look_ahead_beats()
    batch = correct_rr(rr, max_iterations=1)
    assert [batch.nn_for_beat(j).size for j in where] == [k + 1 for k in where.values()]
    out = _stream(rr, look_ahead_beats=reach, history_beats=reach, max_iterations=1)
    assert [b.label for b in out] == batch.labels
    assert all(b.nn_ms == tuple(batch.nn_for_beat(b.index).tolist()) for b in out)
    iterated = correct_rr(rr)
    reach3 = exact_look_ahead_beats(iterations=3)
    out = _stream(rr, look_ahead_beats=reach3, history_beats=reach3)
    assert [b.label for b in out] == iterated.labels
    assert all(b.nn_ms == tuple(iterated.nn_for_beat(b.index).tolist()) for b in out)
    live = _stream(rr)
    assert sum(sum(b.nn_ms) for b in live) == pytest.approx(rr.sum(), rel=0.005)


def test_nn_times_never_go_backwards_when_split_intervals_follow_each_other() -> None:
    """Independent intervals (an irregular rhythm): two intervals in a row split as missed beats,
    a piece then interpolated by a later pass; the pieces no longer added up to the interval,
    and a beat time went back before the beat that started it (breaths --rr then refused the
    file: 'beat times must not go backwards')."""
    rng = np.random.default_rng(20240707 + 3)
    s2 = math.log(1 + (180 / 600) ** 2)
    rr = rng.lognormal(math.log(600) - s2 / 2, math.sqrt(s2), 1000)
    rr = rr[np.cumsum(rr) < 300_000]
    result = correct_rr(rr)
    assert np.count_nonzero(result.codes == MISSED) >= 2
    t = result.nn_times_s(np.cumsum(rr) / 1000.0)
    assert np.all(np.diff(t) > 0)
    # The last value of each input interval keeps its beat's time (one whose next interval
    # was merged into it ends at the next beat).
    source = result.nn_source
    last = np.r_[source[1:] != source[:-1], True]
    swallowed = ~np.isin(np.minimum(source + 1, rr.size - 1), source) & (source + 1 < rr.size)
    ok = last & ~swallowed
    assert ok.sum() > 400
    assert np.allclose(t[ok], (np.cumsum(rr) / 1000.0)[source[ok]])


def test_a_series_shorter_than_the_median_window_is_left_as_it_is() -> None:
    """[800, 1600, 800] had every interval rewritten to 1066.7 ms (one long, two short): fewer
    beats than the 11-beat reference median give nothing to judge a beat against."""
    result = correct_rr([800.0, 1600.0, 800.0])
    assert result.nn_ms.tolist() == [800.0, 1600.0, 800.0]
    assert result.counts["normal"] == 3 and not result.nn_corrected.any()
    assert result.iterations == 0 and result.pass_counts == ()
    assert "11-beat median window" in result.note
    ten = [800.0] * 5 + [1600.0] + [800.0] * 4
    assert correct_rr(ten).nn_ms.tolist() == ten
    # From the window's length on, the detector judges as before, with no note.
    eleven = correct_rr([800.0] * 5 + [1600.0] + [800.0] * 5)
    assert eleven.labels[5] == "missed" and eleven.note == ""


def test_detection_labels_a_series_shorter_than_the_median_window_normal() -> None:
    """detect_rr_artifacts labelled [800, 1600, 800] short, long, short although its thresholds
    (quartile deviations, an 11-beat median) mean nothing on three beats; correct_rr already
    left such a series alone, and detection now says the same."""
    det = detect_rr_artifacts([800.0, 1600.0, 800.0])
    assert det.labels == ["normal"] * 3 and det.n_artifacts == 0
    assert det.pieces.tolist() == [1, 1, 1]
    assert "11-beat median window" in det.note
    ten = [800.0] * 5 + [1600.0] + [800.0] * 4
    assert detect_rr_artifacts(ten).counts["normal"] == 10
    # From the window's length on it judges as before, with no note, as correct_rr does.
    eleven = detect_rr_artifacts([800.0] * 5 + [1600.0] + [800.0] * 5)
    assert eleven.labels[5] == "missed" and eleven.note == ""
    assert detect_rr_artifacts([]).note == ""


@pytest.mark.parametrize(("first", "second"), [(1, 1), (1, 2), (2, 1)])
def test_missed_beats_two_intervals_apart_are_both_split(first: int, second: int) -> None:
    """Long, normal, long (a strap's contact flickering): the second long interval's neighbours
    both drop steeply, the ectopic pattern, and the flag of the normal interval between them (an
    echo of the first missed beat) made the second look like a compensatory pause. It was
    interpolated to one interval: 0.84-1.69 s of NN time lost (found in review). Both are
    missed now, split into their beats, and no time is lost."""
    clean = sinus_series(400, 16)
    # Original intervals 150.. hold the first run; the second starts one interval after it.
    rr, where = _merge_runs(clean, {150: first, 150 + first + 2: second})
    assert sorted(where) == [150, 152]
    res = correct_rr(rr)
    for j, k in where.items():
        assert res.labels[j] == "missed", (j, res.labels[j - 2 : j + 3])
        assert res.nn_for_beat(j).tolist() == pytest.approx([rr[j] / (k + 1)] * (k + 1))
    assert res.counts["normal"] == rr.size - 2
    assert res.nn_ms.size == clean.size
    assert res.nn_ms.sum() == pytest.approx(rr.sum(), rel=1e-12)
    # The paper's flow (ectopic before missed) is kept by the published rules.
    published = correct_rr(rr, ArtifactParams.published())
    assert published.labels[152] == "ectopic"
    assert ArtifactParams().as_dict()["missed_over_ectopic"] is True
    assert ArtifactParams.published().missed_over_ectopic is False
