"""``python -m benchmarks``: each benchmark takes a minute of both cores, so asking for help or
naming one that is not there must not start them all (review 28, F11: --help ran every one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import main


def test_help_lists_the_benchmarks_and_runs_none(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "breath, hrv, pipeline" in out
    assert "==" not in out  # no benchmark's heading: none ran


def test_an_unknown_name_is_refused_before_any_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["breath", "nope"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no benchmark 'nope': choose from breath, hrv, pipeline" in err


@pytest.mark.parametrize("script", ["validate_breath.py", "validate_hrv.py"])
def test_the_validation_scripts_help_writes_no_report(script: str, tmp_path: Path) -> None:
    """``validate_breath.py --help`` ran the whole report (6 min) and overwrote the committed
    one (found while fixing review 26); ``--out`` writes elsewhere."""
    root = Path(__file__).resolve().parents[1]
    report = root / "docs" / "validation" / ("breathing.md" if "breath" in script else "hrv.md")
    before = report.stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--out" in done.stdout
    assert report.stat().st_mtime_ns == before


def test_validate_breath_takes_the_reports_path() -> None:
    from benchmarks.validate_breath import OUT, _arguments

    assert _arguments([]) == OUT
    assert _arguments(["--out", "elsewhere.md"]) == Path("elsewhere.md")
