"""One RSA per breath across commands: ``breaths --rr``'s ``rsa_bpm`` is the peak-to-trough
RSA the report and history give for the same breaths (docs/reference/physiology.md).

It was the band-passed heart-rate wave's peak minus the mean of its two troughs, 10-30 % above
the report's peak-to-trough of the same breaths (8.62 against 6.6 beats/min on pyHRV's short
sample; found in review).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trainer.cli.app import run
from trainer.reports.session_analysis import analyse_recording

TICK_MS = 1000.0 / 1024.0
"""A strap's RR unit: intervals on this grid are stored by ``import`` exactly."""


def breathing_heart_rr(seed: int = 5) -> np.ndarray:
    """5 min of a heart swinging with breathing at 12-15/min, with beat jitter (ms, on the
    1/1024 s grid)."""
    rng = np.random.default_rng(seed)
    rr: list[float] = []
    t = phase = 0.0
    while t < 300.0:
        hr = 66.0 + 4.0 * np.sin(phase) + rng.normal(0.0, 1.0)
        value = round(60000.0 / hr / TICK_MS) * TICK_MS
        rr.append(value)
        t += value / 1000.0
        # Breathing between 12 and 15/min, changing over 90 s.
        phase += 2 * np.pi * (0.225 + 0.025 * np.sin(2 * np.pi * t / 90.0)) * value / 1000.0
    return np.asarray(rr)


def test_breaths_rr_and_the_report_give_the_same_rsa(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "rr.txt"
    src.write_text("\n".join(f"{v:.6f}" for v in breathing_heart_rr()) + "\n")
    assert run(["breaths", "--rr", str(src)]) == 0
    out = json.loads(capsys.readouterr().out)
    from_breaths = {
        round(b["inhale_onset_s"], 2): b["rsa_bpm"]
        for b in out["breaths"]
        if b["rsa_bpm"] is not None
    }
    assert len(from_breaths) >= 40
    rec = tmp_path / "rr.bwr"
    assert run(["import", str(src), "--start", "2026-01-01T07:00", "-o", str(rec)]) == 0
    heart = analyse_recording(rec).heart
    # Both clocks put the first beat at its interval's length.
    from_report = {
        round(float(t), 2): float(v) for t, v in zip(heart.rsa_t_s, heart.rsa_bpm, strict=True)
    }
    assert from_report.keys() == from_breaths.keys()
    for onset, rsa in from_breaths.items():
        assert rsa == pytest.approx(from_report[onset], abs=1e-3), onset
    mean = float(np.mean(list(from_breaths.values())))
    assert heart.mean_rsa_bpm == pytest.approx(mean, abs=1e-3)
