"""The three readers of RR files (``hrv``, ``breaths --rr``, ``import``) take the same files.

Found in review (review 2, findings 5-7): a ``time_s,ibi_ms`` table ``hrv`` analysed was refused
by ``import``; one interval of 1e300 ms gave a traceback or mislabelled 111 of 400 beats; a
one-column list whose lines end in a comma was refused by both, ``hrv`` calling the first
interval a column name; and ``hrv`` judged a file's median against 200-3000 ms where ``import``
used 100-6000 ms.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from analysis.hrv_report import artifact_warning
from analysis.rr_artifacts import MAX_INTERVAL_MS, correct_rr, detect_rr_artifacts
from trainer.cli import breaths as breaths_cli
from trainer.cli import exchange
from trainer.cli import hrv as hrv_cli
from trainer.cli.app import run
from trainer.errors import UserError
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.imports.import_file import import_recording
from trainer.storage.imports.session import ImportFileError
from trainer.storage.rr_values import MAX_RR_MS, PLAUSIBLE_TEXT, RR_COLUMNS
from trainer.storage.text_files import MISSING_INTERVAL_ADVICE

START_NS = 1_767_250_800 * 1_000_000_000
STRAP_MS = 1000.0 / 1024.0
"""One unit of a recording's RR, ms: an imported interval is within it of the file's."""


def _rr(n: int = 120, seed: int = 2) -> np.ndarray:
    """Intervals of a resting heart breathing at 0.1 Hz, whole ms."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    out: np.ndarray = np.round(880 + 50 * np.sin(2 * np.pi * 0.09 * k) + rng.normal(0, 6, n))
    return out


def _imported_rr(src: Path, tmp_path: Path) -> np.ndarray:
    out = import_recording(src, "auto", tmp_path / f"{src.stem}.bwr", start_wall_ns=START_NS)
    rr: np.ndarray = analyse_recording(out.path).rr_ms
    return rr


def _table(path: Path, column: str, rr_ms: np.ndarray, factor: float) -> Path:
    """A ``time_s,<column>`` table of ``rr_ms``, written in the column's unit."""
    t = np.cumsum(rr_ms) / 1000.0
    rows = [f"{ti:.3f},{v / factor:g}" for ti, v in zip(t, rr_ms, strict=True)]
    path.write_text(f"time_s,{column}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("column", list(RR_COLUMNS))
def test_every_rr_column_name_reads_alike_in_hrv_and_import(tmp_path: Path, column: str) -> None:
    """Each name, in ms or in seconds as its unit says, gives the same intervals to both."""
    rr = _rr()
    factor = RR_COLUMNS[column]
    src = _table(tmp_path / "t.csv", column, rr, factor)
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(rr.tolist())
    imported = _imported_rr(src, tmp_path)
    assert imported.size == rr.size
    assert np.max(np.abs(imported - rr)) <= STRAP_MS


def test_a_table_in_seconds_imports_as_seconds(tmp_path: Path) -> None:
    """The review's own case: ``time_s,rr_s`` was refused by import, read as seconds by hrv."""
    rr = _rr()
    src = _table(tmp_path / "ts_rrs.csv", "rr_s", rr, 1000.0)
    assert np.max(np.abs(_imported_rr(src, tmp_path) - rr)) <= STRAP_MS


@pytest.mark.parametrize("huge", ["1e300", "1e308", "70000", "1e19"])
def test_an_interval_no_packet_carries_is_refused_by_every_reader(
    tmp_path: Path, huge: str
) -> None:
    """One line naming the line and the value, from hrv, breaths --rr and import alike."""
    rr = [f"{v:g}" for v in _rr(400)]
    rr[200] = huge
    if huge == "1e308":
        rr[201] = huge  # two of them made the beat times infinite: a traceback
    src = tmp_path / "h.txt"
    src.write_text("\n".join(rr) + "\n", encoding="utf-8")
    expected = rf"h\.txt:201: RR interval {huge} ms is longer than a heart-rate packet can carry"
    with pytest.raises(UserError, match=expected) as hrv_error:
        hrv_cli.read_rr_file(src)
    assert "\n" not in str(hrv_error.value)
    with pytest.raises(UserError, match=expected):
        breaths_cli._analyse_rr(src)
    with pytest.raises(ImportFileError, match=r"h\.txt:201: RR interval \S+ ms is longer than"):
        import_recording(src, "rr", tmp_path / "h.bwr", start_wall_ns=START_NS)


def test_the_longest_interval_a_packet_carries_is_kept(tmp_path: Path) -> None:
    """The bound is a packet's, not lower: 63 s of lost contact is kept for the correction."""
    rr = [f"{v:g}" for v in _rr(200)]
    rr[100] = f"{MAX_RR_MS:.3f}"
    src = tmp_path / "long.txt"
    src.write_text("\n".join(rr) + "\n", encoding="utf-8")
    assert hrv_cli.read_rr_file(src).values_ms[100] == pytest.approx(MAX_RR_MS, abs=1e-3)
    assert _imported_rr(src, tmp_path).size == 200


def test_a_huge_interval_is_refused_by_the_artifact_detector_itself() -> None:
    """Passed to the analysis directly, 1e19 ms mislabelled 111 of 400 beats (its running sums
    lost the 800 ms beside it, its float32 sort overflowed from 3.4e38): now a ValueError names
    it; an hour is accepted and labels only itself."""
    rng = np.random.default_rng(0)
    rr = np.round(800 + 30 * rng.random(400))
    for huge in (1e19, 1e300):
        bad = rr.copy()
        bad[200] = huge
        with pytest.raises(ValueError, match=r"rr_ms\[200\] = 1e\+\d+ is longer than 3600000 ms"):
            detect_rr_artifacts(bad)
        with pytest.raises(ValueError, match=r"rr_ms\[200\]"):
            correct_rr(bad)
    hour = rr.copy()
    hour[200] = MAX_INTERVAL_MS
    assert np.flatnonzero(detect_rr_artifacts(hour).codes).tolist() == [200]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("800,\n810,\n820,\n", "comma.txt"),
        ("800;\n810;\n820;\n", "semicolon.txt"),
        ("rr_ms,\n800,\n810,\n820,\n", "header.csv"),
        ("RR (ms),\n800,\n810,\n820,\n", "unit.csv"),
    ],
)
def test_a_one_column_list_ending_in_a_separator_is_read(
    tmp_path: Path, text: str, name: str
) -> None:
    """A spreadsheet's one-column CSV: the empty cell on every row is no column. hrv took the
    first interval for a header ("columns: 800, "), import refused "'800,' is not an RR
    interval", and a header with a comma made import look for a time column."""
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    assert hrv_cli.read_rr_file(src).values_ms == [800.0, 810.0, 820.0]
    assert np.max(np.abs(_imported_rr(src, tmp_path) - [800.0, 810.0, 820.0])) <= STRAP_MS


def test_a_comma_on_some_lines_only_is_not_taken_for_an_empty_column(tmp_path: Path) -> None:
    """Only a separator that ends every line is dropped; a stray one stays an error."""
    src = tmp_path / "stray.txt"
    src.write_text("800\n810,\n820\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"stray\.txt:2: '810,' is not a number"):
        hrv_cli.read_rr_file(src)
    with pytest.raises(ImportFileError, match=r"stray\.txt:2: '810,' is not a number"):
        import_recording(src, "rr", tmp_path / "stray.bwr", start_wall_ns=START_NS)


@pytest.mark.parametrize("median_ms", [150.0, 4000.0])
def test_every_reader_refuses_the_same_implausible_median(tmp_path: Path, median_ms: float) -> None:
    """One range for a file's median: import took a median of 150 or 4000 ms (its range was
    100-6000 ms) that hrv refused (200-3000 ms)."""
    rng = np.random.default_rng(1)
    src = tmp_path / "m.txt"
    src.write_text(
        "\n".join(f"{median_ms + d:g}" for d in np.round(rng.normal(0, 5, 100))) + "\n",
        encoding="utf-8",
    )
    outside = rf"outside {PLAUSIBLE_TEXT}, and so are at least half of them"
    with pytest.raises(UserError, match=outside) as by_hrv:
        hrv_cli.read_rr_file(src)
    with pytest.raises(UserError, match=outside) as by_breaths:
        breaths_cli._analyse_rr(src)
    with pytest.raises(ImportFileError, match=outside) as by_import:
        import_recording(src, "rr", tmp_path / "m.bwr", start_wall_ns=START_NS)
    # One message, word for word: import had its own ("not a plausible RR interval ...").
    assert str(by_hrv.value) == str(by_breaths.value) == str(by_import.value)


def test_a_median_inside_the_range_is_read_by_every_reader(tmp_path: Path) -> None:
    """At both ends of the range (300 and 20 beats/min) every reader takes the file."""
    for median_ms in (210.0, 2900.0):
        src = tmp_path / f"m{median_ms:.0f}.txt"
        src.write_text("\n".join([f"{median_ms:g}"] * 30) + "\n", encoding="utf-8")
        assert len(hrv_cli.read_rr_file(src).values_ms) == 30
        assert _imported_rr(src, tmp_path).size == 30


def _help(command: str, app_command: Callable[..., None]) -> str:
    app = typer.Typer()
    app.command(command)(app_command)
    app.command("other")(lambda: None)
    return str(CliRunner().invoke(app, [command, "--help"], terminal_width=200).output)


def test_the_help_states_the_bounds_the_readers_use() -> None:
    """``hrv --help`` and ``import --help`` name the range and the longest interval in force."""
    for command, function in (("hrv", hrv_cli.hrv), ("import", exchange.import_)):
        text = " ".join(_help(command, function).split())
        assert f"outside {PLAUSIBLE_TEXT}" in text
        assert f"over {MAX_RR_MS:.0f} ms" in text
        assert "rr_s" in text


def test_hrv_cli_gives_one_line_for_a_huge_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command: a UserError (one line), never the analysis' traceback."""
    src = tmp_path / "h6.txt"
    src.write_text("\n".join(["800"] * 200 + ["1e308", "1e308"] + ["800"] * 200) + "\n")
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("hrv")(hrv_cli.hrv)
    app.command("other")(lambda: None)
    with pytest.raises(UserError, match=r"h6\.txt:201: RR interval 1e308 ms"):
        app(args=["hrv", str(src)], standalone_mode=False)
    assert json.dumps(capsys.readouterr().out) == '""'


def _refusal(argv: list[str]) -> str:
    """The one line a command of ``breathwise`` refuses ``argv`` with."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("hrv")(hrv_cli.hrv)
    app.command("breaths")(breaths_cli.breaths)
    app.command("import")(exchange.import_)
    with pytest.raises(UserError) as refused:
        app(args=argv, standalone_mode=False)
    return refused.value.user_message()


def _refusals_by_all_three(src: Path, tmp_path: Path) -> set[str]:
    """The lines ``hrv``, ``breaths --rr`` and ``import`` refuse ``src`` with (one if alike)."""
    out = str(tmp_path / "t.bwr")
    argv_import = ["import", str(src), "-o", out, "--start", "2026-03-01T07:30", "--no-history"]
    return {
        _refusal(["hrv", str(src)]),
        _refusal(["breaths", "--rr", str(src)]),
        _refusal(argv_import),
    }


@pytest.mark.parametrize(
    ("column", "factor", "refusal"),
    [
        (
            "rr_s",
            1.0,
            "t.csv:1: the values look like milliseconds (median 800), but the column's name "
            "(rr_s) says seconds — use --unit ms, or rename the column rr_ms",
        ),
        (
            "rr_ms",
            1000.0,
            "t.csv:1: the values look like seconds (median 0.8), but the column's name (rr_ms) "
            "says milliseconds — use --unit s, or rename the column rr_s",
        ),
    ],
)
def test_a_column_name_that_gives_the_wrong_unit_is_refused_alike_by_all_three(
    tmp_path: Path, column: str, factor: float, refusal: str
) -> None:
    """hrv and breaths --rr said "use --unit s" for seconds in an rr_ms column, import said
    "rename it rr_s" and refused --unit for a table; an rr_s column of milliseconds was
    "800 s is longer than a packet" in one, "800000 ms" in another. All three now refuse it
    with the same line, offering both remedies (either of which they all take)."""
    src = _table(tmp_path / "t.csv", column, np.full(200, 800.0), factor)
    out = str(tmp_path / "t.bwr")
    lines = {
        _refusal(["hrv", str(src)]),
        _refusal(["breaths", "--rr", str(src)]),
        _refusal(["import", str(src), "-o", out, "--start", "2026-03-01T07:30", "--no-history"]),
    }
    assert lines == {f"{src.parent}/{refusal}"}


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("index,rr_ms\n1,800\n2,810\n3,820\n", [800.0, 810.0, 820.0]),
        (
            "sample;IBI (s);hr\n1;0,800;75\n2;;75\n3;0,810;\n4;NA;74\n5;0,820;73\n6;;73\n",
            [800.0, 810.0, 820.0],
        ),
        ("nn,hr_bpm\n800,75\n810,74\n820,73\n", [800.0, 810.0, 820.0]),
    ],
)
def test_a_table_without_a_time_column_imports_as_hrv_reads_it(
    tmp_path: Path, text: str, expected_ms: list[float]
) -> None:
    """import refused a table of intervals alone ("no time column in the header") that hrv
    analysed; it now takes its RR column, in the unit its name gives, beats at their running
    sum, and says so."""
    src = tmp_path / "t.csv"
    src.write_text(text, encoding="utf-8")
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(expected_ms)
    result = import_recording(src, "auto", tmp_path / "t.bwr", start_wall_ns=START_NS)
    assert any("no time column" in note for note in result.notes)
    imported = analyse_recording(result.path).rr_ms
    assert np.max(np.abs(imported - expected_ms)) <= STRAP_MS


def test_a_time_column_without_a_unit_is_said_not_read(tmp_path: Path) -> None:
    """A `Time` column was left out with the note "the table has no time column" (review 8,
    finding 5): the note names it and says what would be read."""
    src = tmp_path / "t.tsv"
    src.write_text("Time\tRR\n" + "".join(f"{k}\t{800 + 10 * (k % 3)}\n" for k in range(60)))
    result = import_recording(src, "auto", tmp_path / "t.bwr", start_wall_ns=START_NS)
    assert result.notes[0] == (
        "RR intervals read from the 'RR' column as milliseconds; the table has no time column "
        "in a unit ('Time' names none: time_s or time_ms would be read), so the beats are the "
        "running sum of the intervals"
    )


@pytest.mark.parametrize("header", ["rr_s", "IBI (s)", "RR interval [s]"])
def test_a_one_column_list_under_a_seconds_header_is_read_as_seconds_by_both(
    tmp_path: Path, header: str
) -> None:
    """hrv split "IBI (s)" into two names and read the list as ms (refused); import ignored the
    header's unit, so "rr_s" over values in ms imported as ms where hrv refused it."""
    src = tmp_path / "s.txt"
    src.write_text(f"{header}\n0.8\n0.81\n0.82\n", encoding="utf-8")
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx([800.0, 810.0, 820.0])
    result = import_recording(src, "auto", tmp_path / "s.bwr", start_wall_ns=START_NS)
    assert result.notes[0] == f"RR intervals read as seconds (the header says {header!r})"
    wrong = tmp_path / "w.txt"
    wrong.write_text(f"{header}\n800\n810\n820\n", encoding="utf-8")
    rename = "says seconds — use --unit ms, or rename the column rr_ms"
    with pytest.raises(UserError) as by_hrv:
        hrv_cli.read_rr_file(wrong)
    with pytest.raises(ImportFileError) as by_import:
        import_recording(wrong, "auto", tmp_path / "w.bwr", start_wall_ns=START_NS)
    assert by_hrv.value.user_message() == by_import.value.user_message()
    assert by_hrv.value.user_message().endswith(rename)


def _beat_rows(rr_ms: np.ndarray, row: Callable[[int, float, float], str]) -> list[str]:
    """One row per beat: ``row(beat number, its time in ms, its RR in ms)``."""
    t = np.cumsum(rr_ms)
    return [row(k + 1, float(tk), float(v)) for k, (tk, v) in enumerate(zip(t, rr_ms, strict=True))]


def _logger_rows(rr_ms: np.ndarray, missing: str) -> list[str]:
    """A 10 Hz logger's ``time_ms,hr_bpm,rr_ms`` rows: the RR on the row where its beat ended,
    ``missing`` on the other rows (R's ``write.csv`` writes NA there)."""
    beats = set(np.round(np.cumsum(rr_ms) / 100.0).astype(int).tolist())
    it = iter(rr_ms)
    end = int(np.ceil(np.sum(rr_ms) / 100.0)) + 1
    return [
        f"{k * 100},70,{next(it):g}" if k in beats else f"{k * 100},70,{missing}"
        for k in range(end)
    ]


def _with(rows: list[str], line: int, text: str) -> list[str]:
    """``rows`` with row ``line`` (0 = the first) replaced by ``text``."""
    return [*rows[:line], text, *rows[line + 1 :]]


_RR = _rr(300, seed=5)
_IDX = _beat_rows(_RR, lambda k, t, v: f"{k},{v:g}")
_TIMED = _beat_rows(_RR, lambda k, t, v: f"{t:g},{v:g}")
_SEMI = _beat_rows(_RR, lambda k, t, v: f"{t / 1000:.3f};{v:g}".replace(".", ","))
_MISSING_FILES = {
    # A lost interval in a table of one row per beat: old hrv and breaths --rr joined the
    # intervals around an empty cell silently, and around NA/#N/A once cbf712f made them "no
    # beat on this row"; import joined them around an empty cell.
    "index_na": (["beat,rr_ms", *_with(_IDX, 50, "51,NA")], "t.csv:52: 'NA' is not a number"),
    "index_empty": (["beat,rr_ms", *_with(_IDX, 50, "51,")], "t.csv:52: an empty RR cell"),
    "timed_na": (
        ["time_ms,rr_ms", *_with(_TIMED, 20, _TIMED[20].split(",")[0] + ",#N/A")],
        "t.csv:22: '#N/A' is not a number",
    ),
    "timed_nan": (
        ["time_ms,rr_ms", *_with(_TIMED, 20, _TIMED[20].split(",")[0] + ",nan")],
        "t.csv:22: 'nan' is not a number",
    ),
    # A logger's rows without a beat: import refused NA and #N/A there.
    "logger_na": (["time_ms,hr_bpm,rr_ms", *_logger_rows(_RR, "NA")], None),
    "logger_excel": (["time_ms,hr_bpm,rr_ms", *_logger_rows(_RR, "#N/A")], None),
    "logger_empty": (["time_ms,hr_bpm,rr_ms", *_logger_rows(_RR, "")], None),
    # Comments above and inside a table: import took the table for a list, or the comment for
    # a row of one cell.
    "comment_above": (["# exported by HRV app 2.1.0", "time_s;rr_ms", *_SEMI], None),
    "comment_under_header": (["time_s;rr_ms", "# exported by HRV app 2.1.0", *_SEMI], None),
    "comment_among_rows": (["beat,rr_ms", *_IDX[:9], "# lap 2", *_IDX[9:]], None),
    # A note after a value in a table: read by the list readers, refused by the table readers.
    "note_in_row": (["time_ms,rr_ms", *_with(_TIMED, 7, _TIMED[7] + " # ectopic")], None),
    "note_in_semi_row": (["time_s;rr_ms", *_with(_SEMI, 7, _SEMI[7] + " # 2.5 km")], None),
    # A note that starts with a spreadsheet's error code is a note, not a value: import took
    # "#n/a means no value" for a missing interval, hrv for a header.
    "error_code_note_list": (["#n/a means no value", *(f"{v:g}" for v in _RR)], None),
    "error_code_note_table": (["#N/A = sample lost", "beat,rr_ms", *_IDX], None),
    # A "#" ending a header's cell starts no note (the note rule must not cut the header).
    "hash_in_header": (["beat #,rr_ms", *_IDX], None),
    # Nor one inside a quoted cell (R's write.csv, spreadsheets): the cut left a quote open,
    # and every row was refused (found in review).
    "hash_in_quoted_header": (['"beat #","rr_ms"', *_IDX], None),
    # A missing cell before the first interval or after the last loses none: pandas'
    # df.t.diff() leaves the first empty, R's c(NA, diff(t)) writes NA (found in review: such
    # files were refused as a lost interval).
    "diff_first_empty": (["time_ms,rr_ms", "0,", *_TIMED], None),
    "diff_first_na_untimed": (["beat,rr_ms", "0,NA", *_IDX], None),
    "diff_last_na": (["beat,rr_ms", *_IDX, f"{len(_IDX) + 1},NA"], None),
}


@pytest.mark.parametrize("name", list(_MISSING_FILES))
def test_missing_cells_comments_and_notes_are_read_alike_by_all_three(
    tmp_path: Path, name: str
) -> None:
    """One file through hrv, breaths --rr and import: the same intervals, or the same refusal.

    Found in review 4 (findings 1, 3, 5, 8): a missing RR cell in a table of one row per beat
    was skipped by hrv and breaths --rr (its neighbours joined into one false successive
    difference) where a one-column list refuses it; import refused a logger's NA rows that
    hrv read, and a table under a ``#`` comment; a ``# note`` after a value was read in a list
    and refused in a table; ``#n/a means no value`` was no comment.
    """
    rows, refusal = _MISSING_FILES[name]
    src = tmp_path / "t.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    if refusal is not None:
        lines = _refusals_by_all_three(src, tmp_path)
        why = "(the table has an RR on most rows: one row per beat)"
        assert lines == {
            f"{src.parent}/{refusal}: a missing RR interval {why} — {MISSING_INTERVAL_ADVICE}"
        }
        return
    read = hrv_cli.read_rr_file(src).values_ms
    assert read == pytest.approx(_RR.tolist())
    app = typer.Typer()
    app.command("hrv")(hrv_cli.hrv)
    app.command("breaths")(breaths_cli.breaths)
    ran = CliRunner().invoke(app, ["breaths", "--rr", str(src), "--format", "csv"])
    assert ran.exit_code == 0, ran.output
    imported = _imported_rr(src, tmp_path)
    assert np.max(np.abs(imported - _RR)) <= STRAP_MS


_DIFFERED: dict[str, tuple[str, Callable[[int, float], str], str | None]] = {
    # Cells separated by blanks: import took the header for a list's and refused "1 861".
    "blanks": ("beat rr_ms", lambda k, v: f"{k + 1} {v:g}", None),
    # A stray quote: import's CSV reader ran the quoted cell on to the end of the file.
    "stray_quote": ("index,rr_ms", lambda k, v: f'{k},"{v:g}' if k == 3 else f"{k},{v:g}", None),
    # Below 1/1024 s: hrv and breaths --rr kept it as an artifact, import refused it.
    "below_a_strap_unit": (
        "index,rr_ms",
        lambda k, v: f"{k},0.0001" if k == 5 else f"{k},{v:g}",
        "t.csv:7: 0.0001 is not an RR interval (below 1/1024 s)",
    ),
}


@pytest.mark.parametrize("name", list(_DIFFERED))
def test_tables_the_two_readers_differed_on_are_read_alike_by_all_three(
    tmp_path: Path, name: str
) -> None:
    """hrv and breaths --rr read a table of intervals with one loop and import with another
    until they were merged (trainer.storage.rr_file): feeding 381 RR files through both found
    these three kinds of table read differently. Each is now read, or refused on the same line,
    by all three commands."""
    header, row, refusal = _DIFFERED[name]
    src = tmp_path / "t.csv" if "," in header else tmp_path / "t.txt"
    body = [row(k, v) for k, v in enumerate(_RR.tolist())]
    src.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    if refusal is not None:
        lines = _refusals_by_all_three(src, tmp_path)
        assert lines == {f"{src.parent}/{refusal}"}
        return
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(_RR.tolist())
    app = typer.Typer()
    app.command("hrv")(hrv_cli.hrv)
    app.command("breaths")(breaths_cli.breaths)
    ran = CliRunner().invoke(app, ["breaths", "--rr", str(src), "--format", "csv"])
    assert ran.exit_code == 0, ran.output
    assert np.max(np.abs(_imported_rr(src, tmp_path) - _RR)) <= STRAP_MS


def _pandas(layout: str, rr: list[str]) -> str:
    """``rr`` as pandas saves a Series without a name: ``pd.Series(rr).to_csv()`` writes the
    row index under an empty name and the column under the name 0; ``index=False``, the
    column alone."""
    if layout == "index":
        return ",0\n" + "".join(f"{k},{v}\n" for k, v in enumerate(rr))
    if layout == "r":
        # R's write.csv(rr): its row names under an empty name, the values under "x".
        return '"","x"\n' + "".join(f'"{k + 1}",{v}\n' for k, v in enumerate(rr))
    return "0\n" + "".join(f"{v}\n" for v in rr)


@pytest.mark.parametrize("layout", ["index", "no_index", "r"])
def test_an_rr_series_saved_by_pandas_is_read_alike_by_all_three(
    tmp_path: Path, layout: str
) -> None:
    """Review 2, F9: ``hrv`` and ``breaths --rr`` said "2 columns and no header" of ``,0``, and
    all three read ``0`` as an interval of 0 ms and refused it ("not positive", import "must
    be > 0"). Now the header is a header, and all three take the same intervals; so with R's
    write.csv, whose unnamed row names made hrv "cannot tell which column"."""
    src = tmp_path / "pd.csv"
    src.write_text(_pandas(layout, [f"{v:g}" for v in _RR]), encoding="utf-8")
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(_RR.tolist())
    assert breaths_cli._analyse_rr(src)["settings"]["intervals"] == _RR.size
    assert np.max(np.abs(_imported_rr(src, tmp_path) - _RR)) <= STRAP_MS


def test_pandas_header_over_seconds_imports_as_a_list_in_seconds(tmp_path: Path) -> None:
    """``to_csv(index=False)`` of intervals in seconds: import reads a list's unit by its median
    as without the header; hrv with --unit s, as for any list in seconds."""
    src = tmp_path / "pd_s.csv"
    src.write_text(_pandas("no_index", [f"{v / 1000:g}" for v in _RR]), encoding="utf-8")
    assert hrv_cli.read_rr_file(src, "s").values_ms == pytest.approx(_RR.tolist())
    assert np.max(np.abs(_imported_rr(src, tmp_path) - _RR)) <= STRAP_MS


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        # Another 0 among the values: the file writes 0 for something, the first one too.
        ("0\n800\n0\n810\n", "t.csv:1: RR interval 0 is not positive"),
        # A DataFrame of two unnamed columns: which one is the RR is for the file to say.
        (
            ",0,1\n0,800,3\n1,810,4\n",
            "t.csv:1: cannot tell which column holds the RR intervals (columns: , 0, 1: the "
            "names pandas gives unnamed columns); name it rr_ms",
        ),
        (
            "0,1\n800,3\n810,4\n",
            "t.csv:1: cannot tell which column holds the RR intervals (columns: 0, 1: the "
            "names pandas gives unnamed columns); name it rr_ms",
        ),
    ],
)
def test_a_pandas_file_that_cannot_be_read_is_refused_alike_by_all_three(
    tmp_path: Path, text: str, refusal: str
) -> None:
    """Where pandas' names leave the intervals in doubt, one line from every command (import
    said "',0' is not an RR interval — expected one number per line (milliseconds)", and
    "RR interval must be > 0, got '0'")."""
    src = tmp_path / "t.csv"
    src.write_text(text, encoding="utf-8")
    assert _refusals_by_all_three(src, tmp_path) == {f"{src.parent}/{refusal}"}


_NOTES = "".join(f"# note {k:02d} {'.' * 90}\n" for k in range(60))
"""Comments of 6 KiB: above a header, the first 4 KiB of the file held no header at all."""


@pytest.mark.parametrize(
    ("above", "header", "row"),
    [
        # A header line of 5000 characters (review 2's repro), with and without a time column.
        ("", "x" * 5000 + ",rr_ms", "{k},{v:g}"),
        ("", "x" * 5000 + ",time_ms,rr_ms", "{k},{t:.0f},{v:g}"),
        (_NOTES, "beat,rr_ms", "{k},{v:g}"),
        (_NOTES, "time_ms;rr_ms", "{t:.0f};{v:g}"),
    ],
)
@pytest.mark.parametrize("packed", [False, True])
def test_import_chooses_its_reader_by_the_whole_header_however_long(
    tmp_path: Path, above: str, header: str, row: str, packed: bool
) -> None:
    """import looked at the first 4 KiB alone to choose a reader: a longer header line, or
    comments filling them, made the table a list, refused ("'1,800' is not an RR interval"),
    where hrv read it. It now reads on to the end of the header and the first row."""
    rows = enumerate(zip(np.cumsum(_RR), _RR, strict=True))
    body = "".join(row.format(k=k, t=t, v=v) + "\n" for k, (t, v) in rows)
    data = (above + header + "\n" + body).encode()
    src = tmp_path / ("t.csv.gz" if packed else "t.csv")
    src.write_bytes(gzip.compress(data) if packed else data)
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(_RR.tolist())
    assert np.max(np.abs(_imported_rr(src, tmp_path) - _RR)) <= STRAP_MS


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        # Windows' "Unicode" text: import read its header as UTF-8 and refused the table ("no
        # time column in the header ('beat, rr_ms')") that hrv reads.
        ("utf-16", "beat,rr_ms\n" + "".join(f"{k},{v:g}\n" for k, v in enumerate(_RR))),
        # Excel's UTF-8 with a byte-order mark: the mark stuck to pandas' empty index name.
        ("utf-8-sig", _pandas("index", [f"{v:g}" for v in _RR])),
    ],
)
def test_import_chooses_its_reader_by_the_header_as_the_readers_decode_it(
    tmp_path: Path, encoding: str, text: str
) -> None:
    """import chose its reader by the file's start decoded as UTF-8, whatever hrv's reader
    decodes it as; it now decodes it alike (trainer.storage.text_files.decode_head)."""
    src = tmp_path / "t.csv"
    src.write_text(text, encoding=encoding)
    assert hrv_cli.read_rr_file(src).values_ms == pytest.approx(_RR.tolist())
    assert np.max(np.abs(_imported_rr(src, tmp_path) - _RR)) <= STRAP_MS


def _read_by_all_three(src: Path, tmp_path: Path) -> tuple[list[float], np.ndarray]:
    """The intervals ``hrv`` and ``import`` take from ``src`` (ms), after checking that
    ``breaths --rr`` reads it too."""
    app = typer.Typer()
    app.command("hrv")(hrv_cli.hrv)
    app.command("breaths")(breaths_cli.breaths)
    ran = CliRunner().invoke(app, ["breaths", "--rr", str(src), "--format", "csv"])
    assert ran.exit_code == 0, ran.output
    ran = CliRunner().invoke(app, ["hrv", str(src)])
    assert ran.exit_code == 0, ran.output
    beats = json.loads(ran.stdout)["beats"]
    return [b["rr_ms"] for b in beats], _imported_rr(src, tmp_path)


_ONE_COLUMN = [f"{v:g}" for v in _RR]


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        # Excel's "sep=," makes the decimal comma a second cell: hrv and breaths --rr read 800.
        (
            "sep=,\nrr_ms\n800,5\n" + "\n".join(_ONE_COLUMN),
            "t.csv:3: '800,5' has 2 cells where the header has 1 (800,5 for 800.5? write a point)",
        ),
        (
            "sep=,\n812\n800,5\n" + "\n".join(_ONE_COLUMN),
            "t.csv:3: '800,5' has 2 cells where the first row has 1 "
            "(800,5 for 800.5? write a point)",
        ),
        # A table's row with a cell more than its header: its RR cell was read, the rest lost.
        (
            "beat,rr_ms\n" + "\n".join(_IDX[:5]) + "\n6,810,5\n" + "\n".join(_IDX[6:]),
            "t.csv:7: '6,810,5' has 3 cells where the header has 2",
        ),
    ],
)
def test_a_row_with_more_cells_than_the_header_is_refused_alike_by_all_three(
    tmp_path: Path, text: str, refusal: str
) -> None:
    """Found in review (review 4, F1): the reader ignored cells beyond the header's, so hrv and
    breaths --rr read ``800,5`` under ``sep=,`` and ``rr_ms`` as 800, silently, where import's
    own list loop refused it. Each command now refuses the row, naming its line."""
    src = tmp_path / "t.csv"
    src.write_text(text + "\n", encoding="utf-8")
    assert _refusals_by_all_three(src, tmp_path) == {f"{src.parent}/{refusal}"}


@pytest.mark.parametrize(
    "text",
    [
        # A trailing separator on some rows only, under Excel's "sep=,": an empty cell.
        "sep=,\nrr_ms\n" + "\n".join(f"{v}," if k % 3 else v for k, v in enumerate(_ONE_COLUMN)),
        "beat,rr_ms\n" + "\n".join(f"{row},," if k == 4 else row for k, row in enumerate(_IDX)),
    ],
)
def test_empty_cells_beyond_the_header_are_a_trailing_separator(tmp_path: Path, text: str) -> None:
    """Spreadsheets end rows with a separator: those empty cells are still no column."""
    src = tmp_path / "t.csv"
    src.write_text(text + "\n", encoding="utf-8")
    read, imported = _read_by_all_three(src, tmp_path)
    assert read == pytest.approx(_RR.tolist())
    assert np.max(np.abs(imported - _RR)) <= STRAP_MS


@pytest.mark.parametrize(
    "text",
    [
        # Quoted values, as a spreadsheet quoting every cell writes them.
        "\n".join(f'"{v}"' for v in _ONE_COLUMN),
        "rr_ms\n" + "\n".join(f'"{v}"' for v in _ONE_COLUMN),
        # A header with a digit in it.
        "RR1\n" + "\n".join(_ONE_COLUMN),
    ],
)
def test_one_column_lists_hrv_read_and_import_refused_are_read_by_all_three(
    tmp_path: Path, text: str
) -> None:
    """Found in review (review 4, F1): import read one-column files with a loop of its own,
    which refused quoted values ("'\\"800\\"' is not an RR interval") and took ``RR1`` for an
    interval; it now reads them with the reader of hrv and breaths --rr."""
    src = tmp_path / "t.csv"
    src.write_text(text + "\n", encoding="utf-8")
    read, imported = _read_by_all_three(src, tmp_path)
    assert read == pytest.approx(_RR.tolist())
    assert np.max(np.abs(imported - _RR)) <= STRAP_MS


def test_a_list_in_seconds_is_still_imported_as_seconds(tmp_path: Path) -> None:
    """import's one rule beyond the shared reader: a list whose median is below 10 is in
    seconds, said in a note; hrv and breaths --rr ask for --unit s."""
    src = tmp_path / "t.txt"
    src.write_text("\n".join(f"{v / 1000:g}" for v in _RR) + "\n", encoding="utf-8")
    out = import_recording(src, "auto", tmp_path / "t.bwr", start_wall_ns=START_NS)
    assert any("read as seconds (their median is below 10)" in n for n in out.notes)
    assert np.max(np.abs(analyse_recording(out.path).rr_ms - _RR)) <= STRAP_MS
    with pytest.raises(UserError, match="use --unit s"):
        hrv_cli.read_rr_file(src)


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_a_file_of_excel_s_separator_line_alone_is_not_called_empty(
    tmp_path: Path, separator: str
) -> None:
    """Found in review (review 4, F3): ``sep=;`` alone was "the file is empty"."""
    src = tmp_path / "t.csv"
    src.write_text(f"sep={separator}\n", encoding="utf-8")
    shown = "\\t" if separator == "\t" else separator
    assert _refusals_by_all_three(src, tmp_path) == {
        f"{src}: no RR intervals (it holds only Excel's separator line, sep={shown}, and no data)"
    }


def test_a_table_forced_as_a_list_is_refused_as_a_table(tmp_path: Path) -> None:
    """``-k rr`` on a table: the shared reader would read its RR column, without the times a
    table's import reads; refused, pointing at the import that reads it."""
    src = tmp_path / "t.csv"
    src.write_text("beat,rr_ms\n" + "\n".join(_IDX) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"a table \(beat, rr_ms\), not a list of RR"):
        import_recording(src, "rr", tmp_path / "t.bwr", start_wall_ns=START_NS)


def test_every_rr_reader_warns_alike_of_many_beats_corrected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``breaths --rr`` reads its breaths from the corrected beats, yet said nothing of their
    share where ``hrv`` and ``import`` warned of it (found in review: 61.7 % of a PVC
    recording's beats corrected): now all three give the one warning, on standard error and
    in ``breaths --rr``'s ``settings.warnings``."""
    rr = _rr(480, 7)
    rr[5::6] = np.round(rr[5::6] * 0.6)  # a premature beat every sixth, and its pause
    rr[6::6] = np.round(rr[6::6] * 1.4)
    src = tmp_path / "ectopic.txt"
    src.write_text("\n".join(f"{v:g}" for v in rr) + "\n", encoding="utf-8")
    corrected = int(np.count_nonzero(correct_rr(rr).codes))
    assert corrected > 0.05 * rr.size  # the case: over the 5 % the warning starts at
    warning = artifact_warning(corrected, rr.size)
    assert warning is not None

    assert run(["breaths", "--rr", str(src), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert warning in json.loads(captured.out)["settings"]["warnings"]
    assert f"breathwise: warning: {src}: {warning}" in captured.err.splitlines()
    assert run(["hrv", str(src)]) == 0
    assert f"breathwise: warning: {src}: {warning}" in capsys.readouterr().err.splitlines()
    out = tmp_path / "ectopic.bwr"
    assert run(["import", str(src), "-o", str(out), "--start", "2026-03-01T07:30"]) == 0
    assert warning in capsys.readouterr().err
