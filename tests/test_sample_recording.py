"""The shipped sample recording: what ``recordings/derive_sample.py`` makes, beats on R peaks."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from trainer import ANALYSIS_REVISION
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.recording import read_recording

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"
SOURCE = REPO / ".." / "shared" / "data" / "neurokit2" / "bio_resting_5min_100hz.csv"

pytestmark = pytest.mark.shared_data


def _derive_module() -> ModuleType:
    """``recordings/derive_sample.py`` (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "derive_sample", REPO / "recordings" / "derive_sample.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def source() -> Path:
    """The NeuroKit2 CSV the sample is derived from (skips without it or NeuroKit2)."""
    if not SOURCE.exists():
        pytest.skip(f"shared data not found at {SOURCE}")
    pytest.importorskip("neurokit2", reason="NeuroKit2 finds the R peaks of the ECG")
    return SOURCE


@pytest.fixture(scope="module")
def r_peaks_s(source: Path) -> np.ndarray:
    """R peaks of the source ECG (s), found as the script finds them."""
    import neurokit2 as nk

    data = np.genfromtxt(source, delimiter=",", names=True)
    fs = 100
    _, info = nk.ecg_peaks(
        nk.ecg_clean(np.asarray(data["ECG"], float), sampling_rate=fs), sampling_rate=fs
    )
    peaks: np.ndarray = np.asarray(info["ECG_R_Peaks"], dtype=np.float64) / fs
    return peaks


def test_the_sample_beats_sit_on_the_ecg_r_peaks(r_peaks_s: np.ndarray) -> None:
    """The script once sent each notification 50 ms after its second, a delay the importer had
    dropped: the beat timeline anchored at arrival put the first beats up to 380 ms late and
    the median beat 55 ms after its R peak, shifting RSA against the belt's breaths."""
    beats = analyse_recording(SAMPLE).beat_t_s
    # Every R peak but the first ends an interval: one beat each.
    assert beats.size == r_peaks_s.size - 1
    # Within the 1/1024 s unit of the RR intervals (plus float rounding).
    assert np.max(np.abs(beats - r_peaks_s[1:])) < 0.6 / 1024


def test_the_shipped_sample_is_what_the_script_derives(source: Path, tmp_path: Path) -> None:
    """The shipped file is the script's, byte for byte: its packets, its header with today's
    analysis revision and the closing summary that analysis gives (the first recording a new
    user replays must not carry a note that its numbers come from an earlier analysis)."""
    out = _derive_module().derive(source, tmp_path / "sample.bwr")
    derived, shipped = read_recording(out), read_recording(SAMPLE)
    assert derived.header.analysis_revision == ANALYSIS_REVISION
    assert out.read_bytes() == SAMPLE.read_bytes(), (
        "recordings/sample-neurokit2-resting.bwr is not what recordings/derive_sample.py writes "
        "today: run it again (recordings/README.md)"
    )
    assert derived.items == shipped.items
