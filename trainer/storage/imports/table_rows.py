"""A table's text as rows of cells, by the rules every RR reader follows.

``#`` comment lines (above the header too) and a ``#`` note after a row's values are skipped,
as a list's are; the separator is Excel's ``sep=`` line's, else whichever of ``;``, a tab and
``,`` the header holds most; decimal commas are read as points where they must be. The header
is the first line that is neither blank nor a comment (:func:`header_line`), read whole however
long.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from trainer.storage.decimal_comma import decimal_points
from trainer.storage.imports.session import ImportFileError
from trainer.storage.text_files import (
    decode_head,
    excel_separator,
    is_comment,
    iter_lines,
    uncommented,
    without_comment,
)


def table_delimiter(first_line: str) -> str:
    """A CSV table's separator: whichever of ``;``, a tab and ``,`` its header line holds most
    (``;`` on a tie, as a decimal-comma table writes ``;`` between cells)."""
    return max((";", "\t", ","), key=first_line.count)


def table_rows(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each row of a CSV table's ``text`` that holds something,
    its header first, by the rules every RR reader follows: ``#`` comment lines (above the
    header or among the rows) and a ``#`` note after the values left out
    (:func:`~trainer.storage.text_files.uncommented`), the separator the header holds most
    (:func:`table_delimiter`) unless Excel's ``sep=`` first line names it
    (:func:`~trainer.storage.text_files.excel_separator`), and decimal commas read as points
    where they must be (:func:`~trainer.storage.decimal_comma.decimal_points`)."""
    text, delimiter = excel_separator(text)
    text = uncommented(text)
    if delimiter is None:
        # The whole header line, however long: a logger's hundreds of columns run past the
        # first 4 KiB, and a header cut there would name the wrong separator.
        delimiter = table_delimiter(header_line(text))
    reader = csv.reader(io.StringIO(decimal_points(text, delimiter)), delimiter=delimiter)
    for row in _rows(reader, path):
        if row and (row[0].strip() or any(cell.strip() for cell in row)):
            yield reader.line_num, row


def _rows(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    """``reader``'s rows, its errors (a cell over the csv module's 128 KiB limit, a stray
    quote) as :class:`~trainer.storage.imports.session.ImportFileError` naming the line, not a
    traceback."""
    number = 1  # the row being read
    try:
        for row in reader:
            yield row
            number += 1
    except csv.Error as exc:
        raise ImportFileError(f"{path}:{number}: not a CSV row ({exc})") from None


def header_line(head: bytes | str) -> str:
    """The first line of ``head`` (a file's start, or its text) that is neither blank nor a
    ``#`` comment, without a note after it
    (:func:`~trainer.storage.text_files.without_comment`): a table's header, or a list's first
    line. Taking the first line as it is would take a table under ``# exported by ...`` for a
    list, and a comment under its header for a row."""
    # Excel's "sep=;" line is no header: the table's starts below it.
    text = head if isinstance(head, str) else decode_head(head)
    text, _ = excel_separator(text)
    for raw in iter_lines(text):
        if raw.strip() and not is_comment(raw):
            return without_comment(raw)
    return ""
