"""The version is written once (trainer.__version__) and every place that shows it agrees."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

import trainer
import trainer.cli.app
from trainer import SOFTWARE

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_pyproject_takes_the_version_from_the_package() -> None:
    """pyproject.toml said 0.1.0 beside trainer/__init__.py's 0.1.0: two places to forget."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "trainer.__version__"}


def test_installed_metadata_recordings_and_outputs_agree() -> None:
    """The installed metadata (what pip reports), recordings and hrv/breaths output (SOFTWARE,
    also what ``--version`` prints) agree; with an editable install, reinstall after a bump."""
    assert version("breathwise") == trainer.__version__
    assert f"breathwise {trainer.__version__}" == SOFTWARE


def test_version_option_shows_the_recordings_version(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It read the installed metadata, which an editable install leaves at the old version
    until reinstalled, while recordings carry trainer.__version__."""
    from trainer.cli.app import run

    monkeypatch.setattr(trainer.cli.app, "SOFTWARE", "breathwise 9.9.9-test")
    assert run(["--version"]) == 0
    assert capsys.readouterr().out == "breathwise 9.9.9-test\n"
