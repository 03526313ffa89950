"""Decimal commas: read where they must be decimals, never guessed where they may not be."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from trainer.cli import hrv as hrv_cli
from trainer.errors import UserError
from trainer.reports.session_analysis import analyse_recording
from trainer.storage import waveform_csv
from trainer.storage.decimal_comma import (
    decimal_points,
    decimal_points_in_rows,
    decimal_points_in_text,
    delimiter_of,
)
from trainer.storage.imports.import_file import import_recording


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
        # A column grouping thousands: 987 bare beside 1,012 (an English spreadsheet's
        # #,##0 cell); one-to-three digits, a comma and three alone are decimals (5,996 V).
        ("1;987\n2;1,012\n", ";", "1;987\n2;1,012\n"),
        ("987\t1\n1,012\t2\n", "\t", "987\t1\n1,012\t2\n"),
        ('1;"987"\n2;"1,012"\n', ";", '1;"987"\n2;"1,012"\n'),
        ("0;5,996\n10;6,012\n", ";", "0;5.996\n10;6.012\n"),
        ("1,012;987;12,345", ";", "1.012;987;12.345"),  # no column holds both
        # A tab is every locale's separator: 2,500 alone may be 2500 as much as 2.5 ...
        ("1\t2,500\n2\t2,541\n", "\t", "1\t2,500\n2\t2,541\n"),
        ("1\t1,097\n2\t1,099\n", "\t", "1\t1,097\n2\t1,099\n"),
        # ... unless a number no thousands separator writes is in the file.
        ("1\t2,500\n2\t0,541\n", "\t", "1\t2.500\n2\t0.541\n"),
        ("1\t2,500\n2\t2,5\n", "\t", "1\t2.500\n2\t2.5\n"),
        # A note after the values says nothing of them (review 4, finding 5).
        ("1,5;0,5 # 2.5 km\n2,5;0,5\n", ";", "1.5;0.5 # 2.5 km\n2.5;0.5\n"),
        # A spreadsheet's #N/A is a cell, not a note: the row's 0,5 still counts.
        ("#N/A\t0,5\n1\t2,500\n", "\t", "#N/A\t0.5\n1\t2.500\n"),
        # Nor does one with a comma number: 2,5 km in a note proves nothing of 2,500.
        ("1\t2,500 # 2,5 km\n2\t2,541\n", "\t", "1\t2,500 # 2,5 km\n2\t2,541\n"),
        ("1.234,5;1,5", ";", "1.234,5;1.5"),  # points grouping thousands: refused on reading
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


@pytest.mark.parametrize(
    ("name", "text", "cell"),
    [
        # A belt's ADC counts (1700-3300) and RR of a slow heart (1,050-1,110 ms), every
        # value a thousand or more: no bare number beside them shows the grouping.
        (
            "counts.tsv",
            "sample\trsp\n" + "".join(f"{i}\t{2000 + 7 * i:,d}\n" for i in range(600)),
            "2,000",
        ),
        (
            "rr.tsv",
            "beat\tRR (ms)\n" + "".join(f"{i}\t{1050 + i % 61:,d}\n" for i in range(300)),
            "1,050",
        ),
    ],
)
def test_a_tab_table_of_thousands_is_refused_not_read_as_decimals(
    tmp_path: Path, name: str, text: str, cell: str
) -> None:
    """``2,500`` in a tab-separated table may be an English-locale spreadsheet's 2500: read
    as 2.5, depths came out 1000 times small and RR "looked like seconds" (review 4, finding
    2). Refused on that cell by every reader, with both readings named."""
    path = tmp_path / name
    path.write_text(text)
    where = rf"{name}:2: '{cell}' is not a number"
    with pytest.raises(UserError, match=where) as err:
        if name == "counts.tsv":
            waveform_csv.read_waveform(path, "rsp")
        else:
            hrv_cli.read_rr_file(path)
    if name == "counts.tsv":
        whole, group = cell.split(",")
        assert f"({whole}{group} with its thousands grouped, or {whole}.{group} with a decimal" in (
            err.value.user_message()
        )
    else:
        with pytest.raises(UserError, match=f"'{cell}'"):
            import_recording(path, "auto", tmp_path / "rr.bwr")


def test_thousands_separators_are_an_error_not_a_misreading(tmp_path: Path) -> None:
    """A tab-separated export with thousands separators (987, then 1,012 ms) must not read
    1,012 as 1.012: the file is refused on that cell, as before decimal commas were read."""
    rr = tmp_path / "rr.tsv"
    rr.write_text("beat\trr_ms\n1\t987\n2\t1,012\n3\t995\n")
    with pytest.raises(UserError, match=r"rr\.tsv:3: '1,012' is not a number"):
        hrv_cli.read_rr_file(rr)
    belt = tmp_path / "belt.tsv"
    belt.write_text("t\tforce\n" + "".join(f"{i}\t{v}\n" for i, v in enumerate(["987", "1,012"])))
    with pytest.raises(UserError, match="not a number") as err:
        waveform_csv.read_waveform(belt, "force")
    # "Write a point" would make the thousand and twelve 1.012 (review 4, finding 2).
    message = err.value.user_message()
    assert "the column groups thousands" in message and "1012 for 1,012" in message, message
    assert "write a point" not in message


def test_mixed_styles_are_an_error(tmp_path: Path) -> None:
    belt = tmp_path / "belt.csv"
    values = np.linspace(0.0, 1.0, 50)
    rows = [f"{v:.3f}".replace(".", "," if i == 10 else ".") for i, v in enumerate(values)]
    belt.write_text("t;force\n" + "".join(f"{i};{v}\n" for i, v in enumerate(rows)))
    with pytest.raises(UserError, match=r"belt\.csv:12: .* is not a number"):
        waveform_csv.read_waveform(belt, "force")


def test_three_decimals_above_one_are_decimals_in_every_reader(tmp_path: Path) -> None:
    """A belt in volts (5,996) or RR in seconds (1,012) with three decimals, never under 1,
    was refused ('5,996' is not a number) as possibly thousands, while the same table with
    one value under 1 was read (review 2, finding 10). With ';' between columns (the list
    separator where the comma is the decimal mark) such a comma is a decimal one unless a
    column shows thousands grouping (987 beside 1,012); with a tab, which every locale
    writes, it is refused (test_a_tab_table_of_thousands_is_refused_not_read_as_decimals)."""
    sep = ";"
    volts = np.round(6.0 + 0.5 * np.sin(np.arange(3000) / 50.0 * 2 * np.pi / 4.0), 3)
    assert volts.min() >= 1.0
    belt = tmp_path / "belt.csv"
    belt.write_text(
        f"time_ms{sep}RSP\n"
        + "".join(f"{10 * i}{sep}{v:.3f}\n".replace(".", ",") for i, v in enumerate(volts))
    )
    assert np.array_equal(waveform_csv.read_waveform(belt, "RSP"), volts)

    rr_s = np.round(1.1 + 0.08 * np.sin(np.arange(400) / 4.0), 3)
    assert rr_s.min() >= 1.0
    rr = tmp_path / "rr.csv"
    rr.write_text(
        f"beat{sep}rr_s\n"
        + "".join(f"{i}{sep}{v:.3f}\n".replace(".", ",") for i, v in enumerate(rr_s))
    )
    assert hrv_cli.read_rr_file(rr).values_ms == pytest.approx(rr_s * 1000.0)
    imported = import_recording(rr, "auto", tmp_path / "rr.bwr").path
    # A heart-rate packet holds RR in 1/1024 s.
    assert np.max(np.abs(analyse_recording(imported).rr_ms - rr_s * 1000.0)) <= 1000 / 1024


def test_a_whole_file_is_converted_without_a_list_of_its_numbers() -> None:
    """Deciding built a list of three strings for every number of the file (findall) and
    converting copied it once more: ~30 bytes of memory per byte of a 194 MB file, 5.8 GB
    (review 2, finding 6). Now a few searches and one copy: the peak stays under twice the
    text (a str of ASCII holds a byte per character)."""
    t = np.arange(200_000) / 250.0
    rows = "".join(f"{a:.4f};{b:.5f}\n" for a, b in zip(t, np.sin(t), strict=True))
    text = "time_s;rsp\n" + rows.replace(".", ",")
    for convert in (decimal_points, decimal_points_in_text):
        tracemalloc.start()
        try:
            converted = convert(text, ";")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert converted == "time_s;rsp\n" + rows
        assert peak < 2 * len(text), convert.__name__
        del converted


def test_a_grouped_looking_rr_cell_gets_the_same_hint_from_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tab table of RR like 1,050 is refused (thousands or a decimal comma?); breaths named
    both readings, hrv and import said only "is not a number" (found in review)."""
    from trainer.cli.app import run

    src = tmp_path / "rr.tsv"
    src.write_text("beat\trr_ms\n1\t1,050\n2\t1,097\n3\t1,110\n", encoding="utf-8")
    hint = "(1050 with its thousands grouped, or 1.050 with a decimal comma?"
    out = tmp_path / "rr.bwr"
    for args in (
        ["hrv", str(src)],
        ["breaths", "--rr", str(src)],
        ["import", str(src), "-o", str(out)],
    ):
        assert run(args) == 1, args
        assert hint in capsys.readouterr().err, args
