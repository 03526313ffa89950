"""A bug met by a command: words for the person, the traceback kept in a file (not on screen)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from full_disk import fill_disk_after

from trainer.cli.app import run
from trainer.cli.crash_report import EXIT_SOFTWARE, REPORTS_FOLDER
from trainer.session.pipeline import Pipeline

SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"


@pytest.fixture
def broken_replay(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """A replay whose analysis raises at its first item, as a bug would."""
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BREATHWISE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("BREATHWISE_TRACEBACK", raising=False)

    def handle(self: Pipeline, items: object) -> list[object]:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(Pipeline, "handle", handle)
    return ["replay", str(SAMPLE), "--speed", "max", "--headless"]


def test_a_bug_in_replay_is_told_in_words_and_its_traceback_kept(
    broken_replay: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(broken_replay) == EXIT_SOFTWARE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first, second = err.splitlines()
    assert first == "breathwise: internal error: ZeroDivisionError: float division by zero"
    (report,) = (tmp_path / "data" / REPORTS_FOLDER).glob("breathwise-crash-*.txt")
    assert second.startswith("This is a bug in Breathwise, not a fault of your data or sensor")
    assert f"the details are in {report}: please report it with that file" in second
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"command: breathwise replay {SAMPLE} --speed max --headless\n")
    assert "numpy " in text and "bleak " in text
    assert "Traceback (most recent call last)" in text
    assert text.rstrip().endswith("ZeroDivisionError: float division by zero")
    assert report.stat().st_mode & 0o077 == 0  # the command line can name a person's files


def test_the_traceback_on_stderr_when_asked(
    broken_replay: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BREATHWISE_TRACEBACK", "1")
    assert run(broken_replay) == EXIT_SOFTWARE
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("ZeroDivisionError: float division by zero")


def test_nowhere_to_write_the_report_puts_the_traceback_on_stderr(
    broken_replay: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(blocker))
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    assert run(broken_replay) == EXIT_SOFTWARE
    err = capsys.readouterr().err
    assert "the details follow: please report it with them" in err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("ZeroDivisionError: float division by zero")


def test_expected_failures_still_get_their_own_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    missing = tmp_path / "nothing.bwr"
    assert run(["replay", str(missing)]) not in (0, EXIT_SOFTWARE)
    err = capsys.readouterr().err
    assert "internal error" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "data" / REPORTS_FOLDER).exists()


def test_a_report_a_full_disk_cuts_short_leaves_no_empty_file(
    broken_replay: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The file was made and its text not written: an empty crash report was left in each
    folder tried, one more at every failure (found in review)."""
    elsewhere = tmp_path / "tmp"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    fill_disk_after(monkeypatch, 0)
    assert run(broken_replay) == EXIT_SOFTWARE
    assert "the details follow: please report it with them" in capsys.readouterr().err
    assert list((tmp_path / "data" / REPORTS_FOLDER).iterdir()) == []
    assert list(elsewhere.iterdir()) == []
