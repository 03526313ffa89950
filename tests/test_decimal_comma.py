"""Decimal commas: read where they must be decimals, never guessed where they may not be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trainer.cli import breaths as breaths_cli
from trainer.cli import hrv as hrv_cli
from trainer.errors import UserError
from trainer.storage.decimal_comma import decimal_points, decimal_points_in_rows, delimiter_of


@pytest.mark.parametrize(
    ("text", "delimiter", "expected"),
    [
        ("812,5;0,25", ";", "812.5;0.25"),
        ("812,5\t-0,25", "\t", "812.5\t-0.25"),
        ("6,279E-05;1,5", ";", "6.279E-05;1.5"),  # an exponent, as spreadsheets write it
        ("07:00:00.000;38,5", ";", "07:00:00.000;38.5"),  # a time's fraction is no decimal
        ("01.01.2026;38,5", ";", "01.01.2026;38.5"),  # nor a date's dots
        ("812,5", ",", "812,5"),  # commas separate the columns
        ("812,5 3,5", None, "812,5 3,5"),  # whitespace: no locale convention to go by
        ("1.5;38,5", ";", "1.5;38,5"),  # points are the decimals: a comma is something else
        ("1,012;987;12,345", ";", "1,012;987;12,345"),  # could all be thousands: no guess
        ("1,012;0,5", ";", "1.012;0.5"),  # 0,5 shows the file's commas are decimals
        ('"note, with a comma";1,5', ";", '"note, with a comma";1.5'),
    ],
)
def test_decimal_points(text: str, delimiter: str | None, expected: str) -> None:
    assert decimal_points(text, delimiter) == expected


def test_the_whole_file_decides_not_each_line() -> None:
    rows = [(1, "1,012"), (2, "0,5")]
    assert decimal_points_in_rows(rows, "\t") == [(1, "1.012"), (2, "0.5")]
    assert decimal_points_in_rows(rows, ",") == rows
    assert delimiter_of("a;b,c") == ";" and delimiter_of("a\tb,c") == "\t"
    assert delimiter_of("a,b") == "," and delimiter_of("a b") is None


def test_thousands_separators_are_an_error_not_a_misreading(tmp_path: Path) -> None:
    """A tab-separated export with thousands separators (987, then 1,012 ms) must not read
    1,012 as 1.012: the file is refused on that cell, as before decimal commas were read."""
    rr = tmp_path / "rr.tsv"
    rr.write_text("beat\trr_ms\n1\t987\n2\t1,012\n3\t995\n")
    with pytest.raises(UserError, match=r"rr\.tsv:3: '1,012' is not a number"):
        hrv_cli.read_rr_file(rr)
    belt = tmp_path / "belt.tsv"
    belt.write_text("t\tforce\n" + "".join(f"{i}\t{v}\n" for i, v in enumerate(["987", "1,012"])))
    with pytest.raises(UserError, match="not a number"):
        breaths_cli.read_waveform(belt, "force")


def test_mixed_styles_are_an_error(tmp_path: Path) -> None:
    belt = tmp_path / "belt.csv"
    values = np.linspace(0.0, 1.0, 50)
    rows = [f"{v:.3f}".replace(".", "," if i == 10 else ".") for i, v in enumerate(values)]
    belt.write_text("t;force\n" + "".join(f"{i};{v}\n" for i, v in enumerate(rows)))
    with pytest.raises(UserError, match=r"belt\.csv:12: .* is not a number"):
        breaths_cli.read_waveform(belt, "force")
