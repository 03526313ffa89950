"""``breathwise breaths`` on lab-style files a review brought: pandas' numeric headers, missing
values written by spreadsheets and R, clock-time and event columns, a units row, duplicate
names; and the file named in the output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer

from benchmarks.validate_breath import Scenario, synthetic_belt
from trainer.cli import breaths as breaths_cli
from trainer.errors import BadArgument, UserError
from trainer.storage import waveform_csv

FS = 25.0
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """The JSON output and standard error of ``breathwise breaths ARGS --fs 25``."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    app(args=["breaths", *args, "--fs", str(FS)], standalone_mode=False)
    captured = capsys.readouterr()
    out: dict[str, Any] = json.loads(captured.out)
    return out, captured.err


@pytest.fixture(scope="module")
def belt() -> list[str]:
    x, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=120.0, fs_hz=FS), 3)
    return [f"{v:.5f}" for v in x]


def write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def breaths_of(out: dict[str, Any]) -> tuple[Any, ...]:
    return out["breaths"], out["rate_bpm"], out["variability"], out["settings"]["samples"]


def test_the_same_belt_in_every_layout_gives_the_same_breaths(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The layouts fixed in review read as the plain file does, sample for sample."""
    n = len(belt)
    comma = [v.replace(".", ",") for v in belt]
    layouts: dict[str, tuple[list[str], list[str]]] = {
        "plain.txt": (belt, []),
        "named.csv": (["rsp", *belt], []),
        # pandas: to_csv(index=False) of an unnamed column, and of a Series with its index.
        "pd_frame.csv": (["0", *belt], []),
        "pd_series.csv": ([",0", *(f"{i},{v}" for i, v in enumerate(belt))], ["--column", "2"]),
        # A marker column, empty but where something happened, last.
        "event.csv": (
            ["time_s,rsp,event"]
            + [f"{i / FS:.2f},{v},{'start' if i == 300 else ''}" for i, v in enumerate(belt)],
            [],
        ),
        # A time column of clock times, not used.
        "clock.csv": (
            ["Time,RSP"]
            + [f"10:{i // 1500:02d}:{i / FS % 60:06.3f},{v}" for i, v in enumerate(belt)],
            ["--column", "RSP"],
        ),
        # Notes inside the data, decimal commas, a spreadsheet error in a column not read.
        "notes.csv": (
            ["# subject 1", "rsp;flag"]
            + [f"{v};{'#N/A' if i % 7 else 1}" for i, v in enumerate(comma[: n // 2])]
            + ["# second half"]
            + [f"{v};1" for v in comma[n // 2 :]],
            [],
        ),
        "first_unused.csv": (["flag,rsp"] + [f"#N/A,{v}" for v in belt], ["--column", "rsp"]),
        # Decimal commas, a note holding a point after a row's values (it switched the
        # conversion off for the whole file: review 4, finding 5).
        "note_point.csv": (
            ["rsp;flag"] + [f"{v};1{' # 2.5 km' if i == 10 else ''}" for i, v in enumerate(comma)],
            [],
        ),
        # A note after a row's values, as numpy's comments="#" allowed.
        "trailing.csv": (
            ["flag,rsp"] + [f"1,{v}{' # lap' if i % 100 == 0 else ''}" for i, v in enumerate(belt)],
            [],
        ),
    }
    expected, _ = run([write(tmp_path, "plain.txt", belt)], capsys)
    for name, (lines, args) in layouts.items():
        out, _ = run([write(tmp_path, name, lines), *args], capsys)
        assert breaths_of(out) == breaths_of(expected), name


def test_pandas_column_names_are_names_and_said(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``0`` (to_csv's name of an unnamed column) was read as a sample: every time one sample
    late, the first breath lost (found in review)."""
    out, err = run([write(tmp_path, "frame.csv", ["0", *belt])], capsys)
    assert out["settings"]["samples"] == len(belt) and out["settings"]["column"] == "0"
    assert (
        "line 1 ('0') is taken for column names (pandas' to_csv" in out["settings"]["warnings"][0]
    )
    assert "pandas' to_csv" in err
    two = write(tmp_path, "two.csv", ["0,1", *(f"0.1,{v}" for v in belt)])
    out, _ = run([two, "--column", "2"], capsys)
    assert out["settings"]["samples"] == len(belt)
    assert out["settings"]["warnings"][0].startswith("line 1 ('0,1') is taken for column names")
    index = write(tmp_path, "index.csv", [",0", *(f"{i},{v}" for i, v in enumerate(belt))])
    out, _ = run([index, "--column", "2"], capsys)
    assert out["settings"]["samples"] == len(belt) and out["settings"]["warnings"] == []
    # Over integers (a converter's counts), 0 may be the first reading: read, and said.
    counts = [str(round(1000 * float(v))) for v in belt]
    out, _ = run([write(tmp_path, "counts.txt", ["0", *counts])], capsys)
    assert out["settings"]["samples"] == len(belt) + 1
    assert (
        "line 1 ('0') is read as the first sample; if it is pandas'"
        in (out["settings"]["warnings"][0])
    )


@pytest.mark.parametrize("missing", ["NA", "#N/A", "-", "#DIV/0!"])
@pytest.mark.parametrize("header", [[], ["rsp"], ["time_s,rsp"]])
def test_a_missing_first_value_is_no_column_name(
    tmp_path: Path, belt: list[str], missing: str, header: list[str]
) -> None:
    """A first ``NA`` named the column and the sample was dropped without a word; under a
    header it was taken for a line of text above it (review 4, 4). It is padding before the
    first sample, left out with a note naming it."""
    if header == ["time_s,rsp"]:
        rows = [f"{missing},{missing}", *(f"{i / FS:.2f},{v}" for i, v in enumerate(belt))]
    else:
        rows = [missing, *belt]
    path = Path(write(tmp_path, "first.csv", [*header, *rows]))
    wave = waveform_csv.load_waveform(path, "rsp" if header else None)
    assert wave.samples.tolist() == [float(v) for v in belt]
    first = len(header) + 1
    assert wave.notes == (
        "left out the row whose sample is missing (NaN, NA or empty), 1 before the first "
        f"sample (line {first}; the times count from line {first + 1}): padding at the ends of "
        "the record, not a gap in it",
    )


@pytest.mark.parametrize(
    ("layout", "line", "missing"),
    [
        ("one", 3001, "#N/A"),
        ("first_of_two", 502, "#N/A"),
        ("semicolons", 101, "#VALUE!"),
    ],
)
def test_a_spreadsheets_missing_value_is_no_comment(
    tmp_path: Path, belt: list[str], layout: str, line: int, missing: str
) -> None:
    """Excel's ``#N/A`` was skipped as a ``#`` comment: every later breath timed early (found
    in review: 100 of them, 2 s); in a row, its other cells went with it."""
    if layout == "one":
        lines = [*belt[:3000], missing, *belt[3000:]]
    elif layout == "first_of_two":
        rows = [f"{v},{i / FS:.2f}" for i, v in enumerate(belt)]
        lines = ["rsp,time_s", *rows[:500], f"{missing},20.00", *rows[501:]]
    else:
        rows = [f"{v.replace('.', ',')};1" for v in belt]
        lines = ["rsp;t", *rows[:99], f"{missing};1", *rows[100:]]
    path = Path(write(tmp_path, "na.csv", lines))
    with pytest.raises(UserError) as info:
        waveform_csv.read_waveform(path, None if layout == "one" else "rsp")
    text = info.value.user_message()
    assert f"na.csv:{line}: '{missing}' is not a number: a sample missing" in text, text


def test_a_time_column_of_clock_times_is_not_used_and_said(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``Time`` holding ``10:00:00.000`` made the whole file unreadable, even with --column."""
    rows = [f"2024-05-01 10:00:{i / FS % 60:06.3f},{v}" for i, v in enumerate(belt)]
    out, err = run([write(tmp_path, "ts.csv", ["timestamp,rsp", *rows])], capsys)
    assert out["settings"]["time_column"] is None and out["settings"]["samples"] == len(belt)
    warning = out["settings"]["warnings"][0]
    assert warning.startswith("the column 'timestamp' holds '2024-05-01 10:00:00.000', not sec")
    assert "not used to check --fs" in err


def test_a_named_last_column_left_empty_is_a_column(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``time_s,rsp,event`` over ``0.00,0.49,``: "the rows have 2 cells" (found in review)."""
    rows = [f"{i / FS:.2f},{v}," for i, v in enumerate(belt)]
    out, _ = run([write(tmp_path, "event.csv", ["time_s,rsp,event", *rows])], capsys)
    assert out["settings"]["column"] == "rsp" and out["settings"]["time_column"] == "time_s"
    # Unnamed, such a cell is a trailing separator still; short rows are still refused.
    with pytest.raises(UserError, match=r"the header \(line 1\) has 3 names but the rows have 2"):
        waveform_csv.read_waveform(Path(write(tmp_path, "short.csv", ["a,rsp,c", "1,2", "3,4"])))


def test_a_units_row_under_the_names_is_named_as_such(tmp_path: Path, belt: list[str]) -> None:
    """The advice was to delete "the lines above the column names", i.e. the names."""
    path = Path(
        write(tmp_path, "units.csv", ["time,rsp", "s,V", *(f"{i},{v}" for i, v in enumerate(belt))])
    )
    with pytest.raises(UserError) as info:
        waveform_csv.read_waveform(path, "rsp")
    text = info.value.user_message()
    assert "units.csv:2: line 2 ('s,V') looks like the units of the columns named on line 1" in text
    assert "delete line 2" in text and "above" not in text
    # A note over the names is no units row (a date; Excel's "sep=," line names the separator:
    # test_excel_separator.py).
    for note in ("Recorded,2024-05-01", "sep=|"):
        rows = [note, "time_s,rsp", *(f"{i},{v}" for i, v in enumerate(belt))]
        with pytest.raises(
            UserError, match=r"note\.csv:3: the numbers begin on line 3, under 2 lines of text"
        ) as info:
            waveform_csv.read_waveform(Path(write(tmp_path, "note.csv", rows)), "rsp")
        assert "delete the lines above the column names" in info.value.user_message()


def test_two_columns_of_one_name_are_not_told_apart_silently(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--column RSP`` of ``time_s,RSP,RSP`` read the first without a word."""
    path = write(
        tmp_path,
        "dup.csv",
        ["time_s,RSP,RSP", *(f"{i / FS:.2f},0.1,{v}" for i, v in enumerate(belt))],
    )
    with pytest.raises(
        BadArgument, match=r"--column 'RSP': columns 2 and 3 of .*dup\.csv are named"
    ):
        run([path, "--column", "RSP"], capsys)
    with pytest.raises(
        UserError, match=r"dup\.csv:1: columns 2 and 3 are named alike \(RSP, RSP\)"
    ):
        run([path], capsys)
    out, _ = run([path, "--column", "3"], capsys)
    assert out["settings"]["column"] == "RSP" and out["rate_bpm"] == pytest.approx(10.0, abs=0.3)


def test_two_accelerometer_axes_of_one_name_are_chosen_by_three_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An IMU export naming acc and gyro axes alike (``time_s,x,y,z,x,y,z``) was refused with
    "choose one by its number: --column N", which --source acc refuses (it needs three)."""
    rows = [f"{i / 50:.2f},200.5,{100 + i % 7}.25,975.5,0.5,-0.5,0.25" for i in range(1200)]
    path = write(tmp_path, "imu.csv", ["time_s,x,y,z,x,y,z", *rows])
    advice = "choose them by number: --column X,Y,Z (e.g. --column 2,3,4)"
    with pytest.raises(UserError, match=r"imu\.csv:1: columns 2 and 5 are named alike") as info:
        waveform_csv.read_waveform(Path(path), acc=True)
    assert advice in info.value.user_message() and "--column N" not in info.value.user_message()
    with pytest.raises(BadArgument, match=r"--column 'x': columns 2 and 5") as named:
        waveform_csv.read_waveform(Path(path), "x,y,z", acc=True)
    assert advice in named.value.user_message()
    # The advice given works.
    assert waveform_csv.read_waveform(Path(path), "2,3,4", acc=True).shape == (1200, 3)


def test_the_output_names_the_file_analysed(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--rr`` output named its file, a waveform's did not."""
    path = write(tmp_path, "belt.txt", belt)
    out, _ = run([path], capsys)
    assert out["settings"]["file"] == path and list(out["settings"])[:2] == ["software", "file"]


def test_pandas_numbered_axes_are_x_y_z(tmp_path: Path) -> None:
    """Three unnamed columns are x, y, z; numbered 0, 1, 2 by pandas, they still are."""
    rows = [f"{0.01 * i:.2f},{-0.5 * i:.2f},{1000 + i % 3}.5" for i in range(200)]
    plain = waveform_csv.read_waveform(Path(write(tmp_path, "acc.csv", rows)), acc=True)
    named = Path(write(tmp_path, "pd.csv", ["0,1,2", *rows]))
    assert (waveform_csv.read_waveform(named, acc=True) == plain).all()


@pytest.mark.parametrize(
    ("header", "row", "semicolon_row", "message"),
    [
        (",", "\t", False, "2: the header (line 1) is separated by commas but the rows (line 2 "),
        ("\t", ",", False, "2: the header (line 1) is separated by tabs but the rows (line 2 "),
        (",", " ", False, "2: the header (line 1) is separated by commas but the rows (line 2 "),
        (",", ",", True, "4: line 4 is separated by semicolons where the rows before it use "),
    ],
)
def test_mixed_separators_are_named(
    tmp_path: Path, belt: list[str], header: str, row: str, semicolon_row: bool, message: str
) -> None:
    """A header separated by commas over rows separated by tabs was refused as rows of "1
    cells" with the advice to fix the header, which was right; one row of ``;`` among ``,``
    rows as "row has 1 columns" (found in review). The mix-up is named."""
    rows = [f"{i / FS:.2f}{row}{v}" for i, v in enumerate(belt)]
    if semicolon_row:
        rows[2] = rows[2].replace(",", ";")
    path = Path(write(tmp_path, "mixed.csv", [f"time_s{header}rsp", *rows]))
    with pytest.raises(UserError) as info:
        waveform_csv.read_waveform(path, "rsp")
    text = info.value.user_message()
    assert text.startswith(f"{path}:{message}"), text
    assert text.endswith("— use one separator in the whole file"), text


def test_a_time_column_in_whole_seconds_gives_the_rate_over_the_recording(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``time_s`` written 0, 0, ..., 1, 1, ... made every step a gap: "gives inf Hz ... give
    --fs inf", which --fs refuses (found in review). Its rate is counted over the recording,
    a warning says what it cannot show, and a jump over its step is still a gap."""
    plain, _ = run([write(tmp_path, "plain.txt", belt)], capsys)
    rows = [f"{i // int(FS)},{v}" for i, v in enumerate(belt)]
    path = write(tmp_path, "whole.csv", ["time_s,rsp", *rows])
    out, err = run([path, "--column", "rsp"], capsys)
    assert out["settings"]["time_column_rate_hz"] == pytest.approx(FS, rel=1e-3)
    assert breaths_of(out)[:3] == breaths_of(plain)[:3]
    note = (
        "the time column 'time_s' is written to 1 s, coarser than the 0.04 s between samples: "
        "it gives 25 Hz over the recording, but a gap shorter than 1 s would not show in it"
    )
    assert out["settings"]["warnings"] == [note]
    assert err == f"breathwise: warning: {path}: {note}\n"
    # Without --fs, the rate it gives is said; a wrong --fs is refused with it.
    with pytest.raises(BadArgument, match=r"the time column 'time_s' gives 25 Hz$"):
        breaths_cli.breaths(Path(path), fs=None, column="rsp")
    with pytest.raises(UserError) as wrong:
        breaths_cli.breaths(Path(path), fs=50.0, column="rsp")
    assert "gives 25 Hz (a step of 0.04 s)" in (text := wrong.value.user_message()), text
    assert text.endswith("— give --fs 25"), text
    # Five seconds lost after the first minute: a jump of 6 s where the column steps by 1.
    gap = [f"{i // int(FS) + (5 if i >= 60 * FS else 0)},{v}" for i, v in enumerate(belt)]
    path = write(tmp_path, "gap.csv", ["time_s,rsp", *gap])
    with pytest.raises(UserError) as info:
        waveform_csv.check_time_column(
            Path(path), waveform_csv.load_waveform(Path(path), "rsp"), FS
        )
    assert info.value.user_message() == (
        f"{path}:1502: the time column 'time_s' jumps by 6 s after line 1501, where the "
        "column, written to 1 s, steps by 1 s (1 such gap, at least 5 s missing in all); "
        "breath analysis needs a continuous signal (split the file at gaps)"
    )


def test_a_time_column_stamped_per_batch_is_not_called_coarse(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A logger stamping each batch of 5 samples with its arrival time in epoch milliseconds
    (steps of 120-280 ms between batches at 25 Hz) was warned of as "written to 0.125 s", a
    resolution it does not have: its repeats are batches (review). A dropout in it is still
    refused, worded as what the column does."""
    rng = np.random.default_rng(5)
    arrival = [
        1_700_000_000_000 + round(200 * b + rng.uniform(-40, 40)) for b in range(len(belt) // 5 + 1)
    ]
    rows = [f"{arrival[i // 5]},{v}" for i, v in enumerate(belt)]
    out, err = run([write(tmp_path, "batched.csv", ["time_ms,rsp", *rows])], capsys)
    assert out["settings"]["warnings"] == [] and err == ""
    assert out["settings"]["time_column_rate_hz"] == pytest.approx(FS, rel=1e-3)
    # Three seconds lost after the first minute.
    gap = [f"{arrival[i // 5] + (3000 if i >= 60 * FS else 0)},{v}" for i, v in enumerate(belt)]
    path = write(tmp_path, "batched_gap.csv", ["time_ms,rsp", *gap])
    with pytest.raises(UserError) as info:
        run([path], capsys)
    text = info.value.user_message()
    assert text.startswith(f"{path}:1502: the time column 'time_ms' jumps by 3."), text
    assert "where the column, stamped per batch of samples, steps by 0.1" in text, text
    assert "written to" not in text, text


@pytest.mark.parametrize("name", ["time_s", "time"])
@pytest.mark.parametrize(
    ("times", "per_time", "jump"),
    [((0, 10, 40), 250, "30 s after line 501"), ((0, 1, 6), 100, "5 s after line 201")],
)
def test_a_coarse_time_column_whose_only_step_is_before_a_gap_is_refused_at_the_gap(
    tmp_path: Path,
    belt: list[str],
    capsys: pytest.CaptureFixture[str],
    name: str,
    times: tuple[int, ...],
    per_time: int,
    jump: str,
) -> None:
    """A coarse time column with one regular step, then a jump (0, 10, 40 s, 250 samples
    each) gave no rate: a ZeroDivisionError traceback (``time_s``) or "None, not --fs 25"
    (``time``) (review). The jump is refused as a gap, as in any coarse column."""
    rows = [f"{times[i // per_time]},{v}" for i, v in enumerate(belt[: 3 * per_time])]
    path = write(tmp_path, "jump.csv", [f"{name},rsp", *rows])
    with pytest.raises(UserError) as info:
        run([path], capsys)
    text = info.value.user_message()
    assert text.startswith(f"{path}:{2 * per_time + 2}: the time column '{name}' jumps by "), text
    assert jump in text and "written to" in text and "None" not in text, text
    # Without --fs, no rate is claimed for it.
    with pytest.raises(BadArgument) as missing:
        breaths_cli.breaths(Path(path), fs=None, column="rsp")
    assert missing.value.user_message().startswith("--fs is required for a waveform file")
    assert "None" not in missing.value.user_message()


def test_missing_samples_at_the_ends_are_padding_left_out_with_a_note(
    tmp_path: Path, belt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Four NaN at the end of a PhysioNet record refused the whole file with "split the file
    at gaps" (found in review). Rows whose sample is missing before the first sample or after
    the last (NaN, NA, pandas' empty cell) are left out, with a note naming them; the breaths
    are the file's without them. One inside the data is still refused."""
    plain, _ = run([write(tmp_path, "plain.txt", belt)], capsys)
    rows = [f"{i / FS:.2f},{v}" for i, v in enumerate(belt)]
    lines = [
        "time_s,rsp",
        "0.00,",
        "0.04,NA",
        *rows,
        "120.00,nan",
        "",
        "120.04,NaN # the recorder stopped",
        "120.08,",
        "# end",
        "",
    ]
    path = write(tmp_path, "padded.csv", lines)
    out, err = run([path, "--column", "rsp"], capsys)
    assert breaths_of(out) == breaths_of(plain)
    last = 4 + len(rows)
    note = (
        "left out the rows whose sample is missing (NaN, NA or empty), 2 before the first "
        f"sample (lines 2-3; the times count from line 4) and 3 after the last sample (lines "
        f"{last}-{last + 3}): padding at the ends of the record, not a gap in it"
    )
    assert out["settings"]["warnings"] == [note]
    assert err == f"breathwise: warning: {path}: {note}\n"
    # Inside the data it is a sample lost, as before.
    inside = write(tmp_path, "inside.txt", [*belt[:100], "nan", *belt[100:], "nan"])
    with pytest.raises(UserError, match=r"inside\.txt:101: 'nan' holds a NaN"):
        waveform_csv.read_waveform(Path(inside))
    # A file with no sample at all is no padding.
    with pytest.raises(UserError, match=r"none\.txt:1: 'nan' holds a NaN"):
        waveform_csv.read_waveform(Path(write(tmp_path, "none.txt", ["nan"] * 10)))


@pytest.mark.shared_data
def test_a_physionet_record_ending_in_nan_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's record: PhysioNet 03700181's RESP ends in 4 NaN (0.03 s of 600 s)."""
    source = DATA / "wfdb_samples" / "03700181.npz"
    if not source.exists():
        pytest.skip(f"{source} not found: ../shared/data is absent")
    resp = np.load(source)["RESP"]
    assert np.isnan(resp[-4:]).all() and np.isfinite(resp[:-4]).all()
    path = tmp_path / "icu_resp.txt"
    np.savetxt(path, resp, fmt="%.6g")
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)
    app(args=["breaths", str(path), "--fs", "125"], standalone_mode=False)
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["settings"]["samples"] == resp.size - 4
    assert len(out["breaths"]) > 150 and out["rate_bpm"] is not None
    assert "4 after the last sample (lines 74997-75000)" in captured.err
