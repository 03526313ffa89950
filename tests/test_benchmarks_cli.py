"""``python -m benchmarks``: each benchmark takes a minute of both cores, so asking for help or
naming one that is not there must not start them all (review 28, F11: --help ran every one)."""

from __future__ import annotations

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
