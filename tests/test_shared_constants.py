"""Numbers that must agree between modules are written once and imported."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from analysis import beats
from analysis.acc_breath import difference_skewness
from analysis.breath import BreathTracker, detect_breaths
from analysis.breath_signal_checks import looks_inverted
from analysis.filters import StreamingSOS, lowpass_sos
from trainer.cli import breaths as breaths_cli
from trainer.session import pipeline
from trainer.storage.imports import strap_beats


def test_csv_import_reanchors_at_the_beat_timelines_threshold() -> None:
    """strap_beats.LOSS_S equalled BeatTimeline's default max_drift_s only by a comment."""
    assert beats.BeatTimeline().max_drift_s == beats.MAX_DRIFT_S
    assert strap_beats.LOSS_S == beats.MAX_DRIFT_S


def test_breaths_cli_low_pass_is_the_belt_cutoff(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """breaths_cli wrote the belt's 1 Hz low-pass as a literal beside pipeline.BELT_CUTOFF_HZ."""
    fs_hz = 25.0
    t = np.arange(round(60 * fs_hz)) / fs_hz
    x = np.sin(2 * np.pi * 0.2 * t) + 0.3 * np.sin(2 * np.pi * 0.9 * t)
    belt = tmp_path / "belt.txt"
    belt.write_text("\n".join(repr(float(v)) for v in x))
    monkeypatch.setattr(breaths_cli, "BELT_CUTOFF_HZ", 0.5)
    out = breaths_cli._analyse_waveform(belt, fs_hz, None, "belt")
    y = StreamingSOS(lowpass_sos(0.5, fs_hz, 2)).process(x - x[0])
    assert out["settings"]["slope_skewness"] == round(difference_skewness(y), 3)
    # The detectors' own defaults are the same cutoff (analysis.breath is not changed here).
    for detector in (BreathTracker, detect_breaths, looks_inverted):
        default = inspect.signature(detector).parameters["cutoff_hz"].default
        assert default == pipeline.BELT_CUTOFF_HZ, detector
