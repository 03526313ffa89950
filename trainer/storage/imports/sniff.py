"""Which reader an import file gets, from its first lines.

The reader is chosen by the file's first two lines that are neither blank nor comments, read
whole however long (:func:`read_head`): a first line with a separator and a letter is a table's
header (:func:`kind_of`), anything else an RR list. A table whose header names an RR column but
no time column is a table of intervals alone (:func:`untimed_rr_table`), read by the RR file
reader ``hrv`` uses, as is a list.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from trainer.storage.imports.session import ImportFileError
from trainer.storage.imports.table_columns import TIME_COLUMNS, column_key
from trainer.storage.imports.table_rows import header_line
from trainer.storage.rr_file import header_cells
from trainer.storage.rr_values import after_row_index, pandas_names, rr_column
from trainer.storage.text_files import (
    GZIP_MAGIC,
    decode_head,
    excel_separator,
    is_comment,
    open_input,
)


def untimed_rr_table(head: bytes) -> bool:
    """Whether a table's header (in ``head``, a file's first bytes, :func:`read_head`) names an RR
    column but no time column, beside other columns: a table of intervals alone
    (``index,rr_ms``; Kubios' and NeuroKit2's; ``beat rr_ms`` with blanks between; one column
    beside an unnamed row index, pandas' ``,0`` or R's ``"","x"``,
    :func:`~trainer.storage.rr_values.after_row_index`), imported by the reader ``hrv`` uses
    (:func:`~trainer.storage.imports.rr_list.import_rr_table`), its header split as that reader
    splits it."""
    text = decode_head(head)
    # The last line of the head may be cut short: its cells are not judged.
    cut = text.rfind("\n")
    cells = header_cells(text[: cut + 1] if cut >= 0 else text)
    keys = [column_key(c) for c in cells]
    # One column beside an unnamed row index (pandas' ",0", R's write.csv), and pandas'
    # numbers over unnamed columns (",0,1", "0,1", refused by the reader as hrv refuses them:
    # which column is the RR?) are sent to that reader too.
    rr = rr_column(keys) is not None or after_row_index(cells) or pandas_names(cells)
    return len(keys) > 1 and rr and not any(k in TIME_COLUMNS for k in keys)


_HEAD_BYTES = 4096
"""What :func:`read_head` reads first, bytes: the header and first rows of nearly every file."""

_HEAD_MAX_BYTES = 64 * 1024 * 1024
"""The most :func:`read_head` reads, bytes: the largest RR file ``hrv`` reads
(:data:`trainer.storage.rr_file.RR_FILE_MAX_BYTES`), so that a header line ``hrv`` reads is
judged whole, and a file without line ends (not text) is not read to its end here."""


def read_head(path: Path) -> bytes:
    """The start of ``path`` (uncompressed if gzip) through its first two lines that are
    neither blank nor comments (a table's header and first row, or a list's first values),
    which the import chooses its reader by (:func:`kind_of`, :func:`untimed_rr_table`); the
    whole file when shorter, at most :data:`_HEAD_MAX_BYTES`. Empty if it cannot be read (the
    reader then says what is wrong with the file).

    Reading only the first 4 KiB is not enough: a header line longer than that (a logger's
    hundreds of columns, a long comment block above the header) would be judged cut, and the
    table taken for a list and refused, where ``hrv`` reads it.
    """
    try:
        with open_input(path, error=ImportFileError) as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) if gzipped else raw as handle:
                head = bytearray(handle.read(_HEAD_BYTES))
                while len(head) < _HEAD_MAX_BYTES and not _has_lines(head, 2):
                    # Doubling: a long line is decoded and searched a few times, not once a
                    # block.
                    more = handle.read(min(len(head), _HEAD_MAX_BYTES - len(head)))
                    if not more:
                        break
                    head += more
    except (OSError, EOFError, zlib.error):
        return b""
    return bytes(head)


def _has_lines(head: bytes | bytearray, count: int) -> bool:
    """Whether ``head`` holds ``count`` whole lines (ended) that are neither blank nor ``#``
    comments, after Excel's ``sep=`` line (the rule of
    :func:`~trainer.storage.imports.table_rows.header_line`)."""
    text, _ = excel_separator(decode_head(bytes(head)))
    found = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith(("\n", "\r")):
            return False
        if line.strip() and not is_comment(line):
            found += 1
            if found == count:
                return True
    return False


def detect_kind(path: Path) -> str:
    """``"polar"`` for a table whose first line has a separator and a letter, else ``"rr"``."""
    return kind_of(read_head(path))


def kind_of(head: bytes) -> str:
    """``"polar"`` when the first line of ``head`` (:func:`read_head`) that is neither blank nor
    a comment has a separator and a letter (a table's header), else ``"rr"``."""
    # A separator ending the line is a spreadsheet's empty column, not a table's (rr_ms,).
    line = header_line(head).rstrip(",;")
    has_sep = any(sep in line for sep in (",", ";", "\t"))
    return "polar" if has_sep and any(c.isalpha() for c in line) else "rr"
