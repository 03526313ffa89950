"""Excel's ``sep=;`` first line: every table reader takes the separator from it.

Excel writes ``sep=;`` (``sep=,``, ``sep=`` and a tab; quoted when another program saved it as
a cell) above a CSV to tell itself the separator. ``breaths``, ``hrv``, ``breaths --rr`` and
``import`` refused such a file (a line of text above the header, or a header of ``sep``). Each
command now gives, on a table under that line, the numbers it gives on the same table without
it, with decimal commas too (``sep=;`` over ``0,5;1,2``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from benchmarks.validate_breath import Scenario, synthetic_belt
from trainer.cli import breaths as breaths_cli
from trainer.cli import hrv as hrv_cli
from trainer.errors import UserError
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.imports.import_file import import_recording

START_NS = 1_767_250_800 * 1_000_000_000

SEPARATOR_LINES = {
    "semicolon, decimal commas": ("sep=;", ";", True),
    "quoted comma": ('"sep=,"', ",", False),
    "tab": ("sep=\t", "\t", False),
    "semicolon padded to the columns": ("sep=;;", ";", False),
}
"""The first line, the separator it names, and whether the numbers use decimal commas."""


def _number(value: float, decimals: int, comma: bool) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if comma else text


def _table(
    path: Path, header: list[str], rows: list[list[str]], sep: str, line: str | None
) -> Path:
    """``rows`` under ``header``, separated by ``sep``, with Excel's ``line`` above or not."""
    body = [sep.join(header), *(sep.join(row) for row in rows)]
    path.write_text("\n".join([line, *body] if line is not None else body) + "\n")
    return path


def _both(
    tmp_path: Path, name: str, header: list[str], rows: list[list[str]], sep_line: str
) -> tuple[Path, Path]:
    """The table without Excel's line (``plain/``) and with it (``excel/``), same file name."""
    line, sep, _ = SEPARATOR_LINES[sep_line]
    (tmp_path / "plain").mkdir(exist_ok=True)
    (tmp_path / "excel").mkdir(exist_ok=True)
    plain = _table(tmp_path / "plain" / name, header, rows, sep, None)
    excel = _table(tmp_path / "excel" / name, header, rows, sep, line)
    return plain, excel


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("hrv")(hrv_cli.hrv)
    app.command("breaths")(breaths_cli.breaths)
    return app


def _output(args: Callable[[Path], list[str]], src: Path) -> object:
    """A command's JSON output on ``src``, its path written as ``FILE``."""
    ran = CliRunner().invoke(_app(), args(src))
    assert ran.exit_code == 0, ran.output
    return json.loads(ran.stdout.replace(str(src), "FILE").replace(src.name, "FILE"))


def _rr_rows(comma: bool) -> list[list[str]]:
    """300 intervals in seconds of a heart breathing at 0.1 Hz, one row per beat."""
    rng = np.random.default_rng(7)
    k = np.arange(300)
    rr_s = (880 + 50 * np.sin(2 * np.pi * 0.09 * k) + rng.normal(0, 6, k.size)) / 1000.0
    return [[str(i), _number(v, 4, comma)] for i, v in enumerate(rr_s)]


@pytest.mark.parametrize("sep_line", list(SEPARATOR_LINES))
@pytest.mark.parametrize("command", ["hrv", "breaths --rr"])
def test_an_rr_table_under_a_separator_line_reads_as_without(
    tmp_path: Path, sep_line: str, command: str
) -> None:
    comma = SEPARATOR_LINES[sep_line][2]
    plain, excel = _both(tmp_path, "rr.csv", ["beat", "rr_s"], _rr_rows(comma), sep_line)

    def args(src: Path) -> list[str]:
        return ["hrv", str(src)] if command == "hrv" else ["breaths", "--rr", str(src)]

    expected = _output(args, plain)
    assert _output(args, excel) == expected


@pytest.mark.parametrize("sep_line", list(SEPARATOR_LINES))
@pytest.mark.parametrize("timed", [False, True], ids=["intervals alone", "with a time column"])
def test_an_rr_table_under_a_separator_line_imports_as_without(
    tmp_path: Path, sep_line: str, timed: bool
) -> None:
    """Both import readers: a table of intervals alone, and one with a time column."""
    comma = SEPARATOR_LINES[sep_line][2]
    rows = _rr_rows(comma)
    if timed:
        t = np.cumsum([float(r[1].replace(",", ".")) for r in rows])
        rows = [[_number(ti, 4, comma), r[1]] for ti, r in zip(t, rows, strict=True)]
    header = ["time_s" if timed else "beat", "rr_s"]
    plain, excel = _both(tmp_path, "rr.csv", header, rows, sep_line)
    read = []
    for src in (plain, excel):
        out = import_recording(src, "auto", src.with_suffix(".bwr"), start_wall_ns=START_NS)
        read.append(analyse_recording(out.path).rr_ms)
    assert len(read[0]) == len(rows)
    np.testing.assert_array_equal(read[1], read[0])


@pytest.mark.parametrize("sep_line", list(SEPARATOR_LINES))
def test_a_waveform_under_a_separator_line_reads_as_without(tmp_path: Path, sep_line: str) -> None:
    comma = SEPARATOR_LINES[sep_line][2]
    x, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=120.0, fs_hz=25.0), 3)
    rows = [[_number(i / 25.0, 2, comma), _number(v, 5, comma)] for i, v in enumerate(x)]
    plain, excel = _both(tmp_path, "belt.csv", ["time_s", "rsp"], rows, sep_line)

    def args(src: Path) -> list[str]:
        return ["breaths", str(src), "--fs", "25", "--column", "rsp"]

    expected = _output(args, plain)
    assert isinstance(expected, dict) and len(expected["breaths"]) >= 17
    assert _output(args, excel) == expected


def test_a_line_naming_another_separator_is_refused_in_one_line(tmp_path: Path) -> None:
    """``sep=|`` names a separator no reader splits on: the line stays text above the table,
    refused in one line naming the file as before, not read with ``|``."""
    src = tmp_path / "rr.csv"
    src.write_text("sep=|\nbeat,rr_ms\n" + "".join(f"{i},{800 + i % 7}\n" for i in range(100)))
    ran = CliRunner().invoke(_app(), ["hrv", str(src)])
    assert isinstance(ran.exception, UserError)
    assert ran.exception.user_message().startswith(f"{src}:")


def test_one_column_of_decimal_commas_under_a_semicolon_line_reads_as_points(
    tmp_path: Path,
) -> None:
    """Excel saves a one-column sheet in a decimal-comma locale as ``sep=;`` over ``0,812``:
    the separator it names makes the commas decimal ones, in all three commands, as the same
    column written with points reads (without the line, such a column is refused as two
    columns or a decimal comma, with the advice to write points)."""
    rr_s = [row[1] for row in _rr_rows(comma=False)]
    points = tmp_path / "points.csv"
    points.write_text("rr_s\n" + "\n".join(rr_s) + "\n")
    commas = tmp_path / "commas.csv"
    commas.write_text("sep=;\nrr_s\n" + "\n".join(v.replace(".", ",") for v in rr_s) + "\n")
    for args in (
        lambda src: ["hrv", str(src)],
        lambda src: ["breaths", "--rr", str(src)],
    ):
        assert _output(args, commas) == _output(args, points)
    read = []
    for src in (points, commas):
        out = import_recording(src, "auto", src.with_suffix(".bwr"), start_wall_ns=START_NS)
        read.append(analyse_recording(out.path).rr_ms)
    np.testing.assert_array_equal(read[1], read[0])
