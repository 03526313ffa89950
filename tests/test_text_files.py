"""One reader for every file a person brings: the same file reads, or fails, the same way in
``hrv``, ``breaths`` and ``import``."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sized
from pathlib import Path

import pytest

from trainer.cli import hrv as hrv_cli
from trainer.errors import UserError
from trainer.storage import waveform_csv
from trainer.storage.imports.import_file import import_recording
from trainer.storage.imports.rr_list import read_rr_list
from trainer.storage.imports.sniff import detect_kind
from trainer.storage.text_files import (
    is_comment,
    is_missing,
    read_text,
    split_cells,
    spreadsheet_error,
    without_comment,
)

READERS: dict[str, Callable[[Path], object]] = {
    "hrv": hrv_cli.read_rr_file,
    "breaths": waveform_csv.read_waveform,
    "import": lambda path: read_rr_list(path)[0],
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("blob.txt", b"812\n\x00\x01\x02\n", "blob.txt: not a text file"),
        ("latin1.txt", "812\n# caf\xe9\n".encode("latin-1"), "latin1.txt:2: not UTF-8 text"),
        ("broken.gz", b"\x1f\x8b\x08\x00garbage", "broken.gz: damaged gzip file"),
        ("folder", None, "folder: not a file"),
        ("missing.txt", "missing", "missing.txt: no such file"),
    ],
)
def test_every_command_refuses_a_bad_file_with_the_same_line(
    tmp_path: Path, reader: str, name: str, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        READERS[reader](path)
    text = info.value.user_message()
    assert message in text and "\n" not in text


@pytest.mark.parametrize("reader", sorted(READERS))
def test_windows_1252_text_is_refused_naming_the_character_and_the_remedy(
    tmp_path: Path, reader: str
) -> None:
    """A European Excel's "CSV" is Windows-1252: a ``µ`` in a name was refused as "not UTF-8
    text (byte 17)", with no advice (found in review). The line, the byte, the character it
    is in Windows-1252 and how to save the file as UTF-8 are said, by every command alike."""
    path = tmp_path / "excel.csv"
    path.write_bytes("Gerät;H10\n812\n790\n805\n".encode("cp1252"))
    with pytest.raises(UserError) as info:
        READERS[reader](path)
    assert info.value.user_message() == (
        f"{path}:1: not UTF-8 text: byte 0xE4 at character 4 ('ä' in Windows-1252, as Excel "
        "saves 'CSV' in a European locale: 'Gerät;H10') — save it as UTF-8 (Excel: 'CSV "
        "UTF-8') and try again"
    )
    # A byte that is no character in Windows-1252 either is named as such.
    path.write_bytes(b"812\n790\x81\n")
    with pytest.raises(UserError, match=r"excel\.csv:2: not UTF-8 text: byte 0x81 at character 4 "):
        READERS[reader](path)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_command_refuses_an_empty_line_between_values(tmp_path: Path, reader: str) -> None:
    """An empty line inside a one-column file is a value left out (a spreadsheet's empty cell):
    all three skipped it, joining the values around it."""
    values = [f"{800 + 10 * (i % 5)}" for i in range(2000)]
    path = tmp_path / "gap.txt"
    path.write_text("\n".join([*values[:700], "", *values[700:]]) + "\n")
    with pytest.raises(UserError, match=r"gap\.txt:701: an empty line (inside the data|between)"):
        READERS[reader](path)


def test_gzip_is_known_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    rr = "".join(f"{800 + 10 * (i % 5)}\n" for i in range(120))
    packed = tmp_path / "rr.txt"  # no .gz: apps name their exports as they like
    packed.write_bytes(gzip.compress(rr.encode()))
    assert read_text(packed, max_bytes=10_000, what="an RR file") == rr
    assert hrv_cli.read_rr_file(packed).values_ms[:3] == [800.0, 810.0, 820.0]
    assert read_rr_list(packed)[0].tolist()[:3] == [800.0, 810.0, 820.0]
    # Before, a compressed RR list was taken for a Polar table by its name alone, or read as
    # garbage without it.
    assert detect_kind(packed) == "rr"
    named = tmp_path / "rr.txt.gz"
    named.write_bytes(packed.read_bytes())
    assert detect_kind(named) == "rr"
    out = import_recording(named, "auto", tmp_path / "rr.bwr").path
    assert out.exists()


def test_a_file_larger_than_its_kind_allows_is_refused_before_it_is_read_whole(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("800\n" * 1000)
    with pytest.raises(UserError, match=r"big\.txt: larger than 0 MiB, not an RR file"):
        read_text(big, max_bytes=1000, what="an RR file")
    bomb = tmp_path / "bomb.txt"
    bomb.write_bytes(gzip.compress(b"800\n" * 100_000))
    assert bomb.stat().st_size < 1000
    with pytest.raises(UserError, match="larger than"):
        read_text(bomb, max_bytes=1000, what="an RR file")


def test_cells_are_split_as_csv_with_quotes_or_on_whitespace() -> None:
    assert split_cells('"a b", 2 ;3', ",") == ["a b", "2 ;3"]
    assert split_cells("1;2; 3", ";") == ["1", "2", "3"]
    assert split_cells("  1\t2   3 ", None) == ["1", "2", "3"]


def test_an_edf_export_is_named_as_edf_not_as_binary(tmp_path: Path) -> None:
    """``import s.edf`` (our own EDF+ export) said "s.edf: not a text file"."""
    from simulated_sessions import write_simulated

    from trainer.storage.export import export_recording

    recording = write_simulated(tmp_path / "s.bwr", 30.0)
    [edf] = export_recording(recording, "edf")
    data = edf.read_bytes()
    (tmp_path / "s.dat").write_bytes(data)  # by its magic too, whatever its name
    for path in (edf, tmp_path / "s.dat"):
        with pytest.raises(UserError) as info:
            import_recording(path, output=tmp_path / "x.bwr")
        message = info.value.user_message()
        assert "EDF import is not supported" in message and "beats.csv" in message


def test_utf16_text_is_read_or_named(tmp_path: Path) -> None:
    """Windows "Unicode" text was "not a text file": with a byte-order mark it is read, without
    one it is named and the advice is to save it as UTF-8."""
    (tmp_path / "bom.txt").write_bytes("812\n790\n805\n".encode("utf-16"))
    assert read_rr_list(tmp_path / "bom.txt")[0].tolist() == [812.0, 790.0, 805.0]
    assert hrv_cli.read_rr_file(tmp_path / "bom.txt").values_ms == [812.0, 790.0, 805.0]
    (tmp_path / "le.txt").write_bytes("812\n790\n805\n".encode("utf-16-le"))
    with pytest.raises(UserError, match=r"le.txt: UTF-16 text without a byte-order mark"):
        read_rr_list(tmp_path / "le.txt")[0]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("missing", ["#N/A", "#DIV/0!", "NA"])
@pytest.mark.parametrize("where", [0, 700])
def test_every_command_refuses_a_spreadsheets_missing_value(
    tmp_path: Path, reader: str, missing: str, where: int
) -> None:
    """Excel's ``#N/A`` was read as a ``#`` comment and skipped (found in review: ``hrv`` and
    ``breaths --rr`` joined the beats around it, ``breaths`` timed every later breath early),
    and a first ``NA`` was taken for a column name; an empty line there was refused."""
    values = [f"{800 + 10 * (i % 5)}" for i in range(2000)]
    path = tmp_path / "na.txt"
    path.write_text("\n".join([*values[:where], missing, *values[where:]]) + "\n")
    line = where + 1
    if reader == "breaths" and where == 0:
        # Before a waveform's first sample it is padding, left out with a note saying so.
        wave = waveform_csv.load_waveform(path)
        assert wave.samples.size == len(values)
        assert "1 before the first sample (line 1; the times count from line 2)" in wave.notes[0]
        return
    if where == 0:
        # Before an RR list's first interval it loses none: read as an empty line there is
        # (and as breaths reads a waveform's), not taken for a column name.
        read = READERS[reader](path)
        intervals = read.values_ms if isinstance(read, hrv_cli.RRFile) else read
        assert isinstance(intervals, Sized) and len(intervals) == len(values)
        return
    with pytest.raises(UserError) as info:
        READERS[reader](path)
    text = info.value.user_message()
    assert f"na.txt:{line}: {missing!r} is not a number: a " in text, text
    assert "missing" in text and "\n" not in text


@pytest.mark.parametrize("reader", sorted(READERS))
def test_notes_stay_comments_above_and_inside_the_values(tmp_path: Path, reader: str) -> None:
    values = [f"{800 + 10 * (i % 5)}" for i in range(2000)]
    path = tmp_path / "notes.txt"
    path.write_text("\n".join(["#device: H10", *values[:700], "# lap 2", *values[700:]]))
    read = READERS[reader](path)
    samples = read.values_ms if isinstance(read, hrv_cli.RRFile) else read
    assert isinstance(samples, Sized) and len(samples) == 2000


def test_a_comment_is_a_hash_that_is_not_a_spreadsheet_error() -> None:
    assert not is_comment("#N/A") and not is_comment(' "#VALUE!";1') and is_comment("# N/A")
    assert is_comment("#fs=100") and is_comment("#NAME is a note") and not is_comment("1 #")
    assert [is_missing(c) for c in ("NA", "#REF!", "nan", "", "-", "0", "NAN0")] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert without_comment(" 812  # lap") == "812" and without_comment("#N/A") == "#N/A"


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("note", ["#N/A = sample lost", "#n/a means no value", "#REF! fixed"])
def test_a_note_that_starts_with_an_error_code_is_a_comment(
    tmp_path: Path, reader: str, note: str
) -> None:
    """The code followed by words let ``#N/A = sample lost`` be a value (found in review 4,
    finding 8): ``breaths`` called it a preamble, ``import`` a missing interval, ``hrv`` a
    column name. A code is a value only as the whole cell."""
    values = [f"{800 + 10 * (i % 5)}" for i in range(2000)]
    path = tmp_path / "notes.txt"
    path.write_text("\n".join([note, *values[:700], note, *values[700:]]) + "\n")
    read = READERS[reader](path)
    samples = read.values_ms if isinstance(read, hrv_cli.RRFile) else read
    assert isinstance(samples, Sized) and len(samples) == 2000


def test_an_error_code_is_a_value_only_as_the_whole_cell() -> None:
    """Followed by a separator, a quote, the end of the line or a blank-separated number, a
    code is a cell; followed by words, the line is a note. A note after a table's values is
    cut there, and a code inside the row is kept (it was cut at its ``#`` before)."""
    cells = ["#N/A", "#N/A;0,5", '"#N/A",1', "#DIV/0!\t2", "#N/A 812", "#NULL!,"]
    assert all(spreadsheet_error(c) and not is_comment(c) for c in cells)
    notes = ["#N/A = sample lost", "#n/a means no value", "#N/A - lost", "#REF!x"]
    assert all(is_comment(c) and without_comment(c) == "" for c in notes)
    assert without_comment("1,#N/A,3 # note") == "1,#N/A,3"
    assert without_comment("12.5;#N/A") == "12.5;#N/A"
    assert without_comment("815 # ectopic") == "815"
