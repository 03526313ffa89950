"""A number option the parser cannot read: the value as typed, and the decimal point asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.cli.app import run

SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["live", "--device", "sim", "--headless", "--minutes", "2,5"],
            "--minutes '2,5' is not a number: write decimals with a point (2.5)",
        ),
        (
            ["live", "--device", "sim", "-m2,5"],
            "--minutes '2,5' is not a number: write decimals with a point (2.5)",
        ),
        (
            ["live", "--device", "sim", "--rate=6,5"],
            "--rate '6,5' is not a number: write decimals with a point (6.5)",
        ),
        (
            ["breaths", "belt.csv", "--fs", "12,5"],
            "--fs '12,5' is not a number: write decimals with a point (12.5)",
        ),
        (
            ["scan", "-t", "2,5"],
            "--timeout '2,5' is not a number: write decimals with a point (2.5)",
        ),
        (["scan", "-t", "soon"], "--timeout 'soon' is not a number"),
        (["live", "--device", "sim", "--seed", "1,5"], "--seed '1,5' is not a whole number"),
    ],
)
def test_a_number_typed_with_a_decimal_comma_is_said_with_the_fix(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was "Invalid value for '--minutes' / '-m': Input should be a valid number, unable to
    parse string as a number", without the value or the fix (found in review)."""
    assert run(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"breathwise: error: {said}"
    assert err[1].startswith("Try 'breathwise ") and err[1].endswith(" --help' for help.")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["replay", str(SAMPLE), "--speed", "2,5"],
            "--speed '2,5' is not a number — write decimals with a point (2.5)",
        ),
        (
            ["config", "set", "resonance_rate_bpm", "5,5"],
            "setting 'resonance_rate_bpm' must be a number of breaths/min, got '5,5' — write "
            "decimals with a point (5.5)",
        ),
    ],
)
def test_the_numbers_read_by_the_commands_themselves_say_the_fix_too(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str], private_user_dirs: object
) -> None:
    """``--speed`` (which also takes "max") and ``config set`` read their numbers themselves:
    a decimal comma got "use 1, a factor such as 10, or max" or nothing (found in review)."""
    assert run(args) == 2
    assert capsys.readouterr().err.splitlines() == [f"breathwise: error: {said}"]
