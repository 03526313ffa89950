"""Tables whose numbers are written with a decimal comma (``806,5``), as spreadsheets set to a
European locale export them: they separate columns with semicolons or tabs instead of commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trainer.storage.text_files import spreadsheet_error

__all__ = [
    "decimal_comma_column",
    "decimal_comma_hint",
    "decimal_points",
    "decimal_points_in_rows",
    "decimal_points_in_text",
    "delimiter_of",
    "groups_thousands",
    "one_column_of_decimal_commas",
    "point_advice",
]

_DECIMAL_COMMA = re.compile(r"(?<![\w.,])([+-]?\d+),(\d+)((?:[eE][+-]?\d+)?)(?![\w.,])")
"""A number written with a decimal comma (806,5 or 6,2E-05), not part of a word, a date or a
number with more than one separator (1,234,567 or 1.234,5)."""
_NOT_THOUSANDS = re.compile(
    r"(?<![\w.,])[+-]?(?![1-9]\d{0,2},\d{3}(?![\w.,]))\d+,\d+(?:[eE][+-]?\d+)?(?![\w.,])"
)
"""A number with a decimal comma that no thousands separator writes: other than one to three
digits (not starting with 0), a comma and three digits (0,5, 12,25, 1234,5, 1,012E-3)."""
_OTHER_COMMAS = tuple(
    re.compile(p)
    for p in (
        r",(?!\d)",
        r",(?<!\d,)",
        r",\d++(?:[eE][+-]?\d++)?+[\w.,]",
        r"\.\d++,",
        r"[A-Za-z_\x80-\U0010ffff]\d++,",
    )
)
"""Commas that :data:`_DECIMAL_COMMA` does not take as decimal ones: not followed or not
preceded by a digit, or between digits continued by a letter, a point or another comma (text,
a name, 1,234,567, 1.234,5); where none is found, every comma of a text is a decimal one.
Separate searches, each starting with a comma, a point or a letter, which the regular
expression engine skips to (one with alternatives tried every pattern at every character: 3.3
s against 0.6 s on a 48.6 MB file). The last also takes any non-ASCII character before the
digits: a false find costs only the slower conversion, never a wrong one."""
_DECIMAL_POINT = re.compile(r"(?<![\w.:,-])[+-]?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.:,])")
"""A number written with a decimal point (not the fraction of a time, 07:00:00.000, nor a
date, 01.01.2026)."""
_HEAD_CHARS = 65536
"""How much of a text's start :func:`_columns` counts the cells of rows in."""


def delimiter_of(first_line: str) -> str | None:
    """The column separator of a table, from its first line: ``;`` or a tab before ``,``
    (a table separated by either may write 806,5 for 806.5); ``None`` for whitespace."""
    return next((d for d in (";", "\t", ",") if d in first_line), None)


def _columns(text: str, delimiter: str) -> int:
    """The most cells a row holds among the text's first lines (a quoted separator counts)."""
    return 1 + max(line.count(delimiter) for line in text[:_HEAD_CHARS].split("\n"))


def _grouped_column(text: str, delimiter: str) -> bool:
    """Whether a column of ``text`` holds a plain number under a thousand (987) beside one of
    a thousand or more with a comma (1,012): the thousands grouping of a spreadsheet's
    ``#,##0`` format, which writes numbers under a thousand without one.

    A column of decimal commas holds no such pair unless a value is a whole number written
    bare (6 beside 5,996), which is refused rather than guessed at too. Each column is one
    regular-expression search over the text (no list of its cells).
    """
    sep = re.escape(delimiter)
    for column in range(_columns(text, delimiter)):
        # The cell of this column: after `column` separators from the line's start.
        cell = rf"(?m)^(?:[^{sep}\n]*{sep}){{{column}}} *\"?"
        end = rf"\"? *\r?(?:{sep}|$)"
        if re.search(cell + r"[+-]?\d{1,3}" + end, text) and re.search(
            cell + r"[+-]?[1-9]\d{0,2},\d{3}" + end, text
        ):
            return True
    return False


def _without_notes(text: str) -> str:
    """``text`` with the note after each ``#`` cut to the ``#`` (a comment line, or
    ``1,5;0,5 # 2.5 km`` after the values), a spreadsheet's error value (``#N/A``) kept: it
    is a cell (:func:`trainer.storage.text_files.spreadsheet_error`). What a note says, a
    distance with a point or a version 1.2, says nothing of how the numbers are written.
    One regular-expression pass, for the decision only: :func:`trainer.storage.text_files.
    uncommented`, which the RR tables' readers use, runs Python per line of a file holding
    any ``#``, too slow for hours of samples under a ``# fs=100`` line."""
    if "#" not in text:
        return text
    return _NOTE.sub(lambda m: m[0] if spreadsheet_error(m[0]) else "#", text)


_NOTE = re.compile(r"#[^\n]*")
"""A ``#`` and the rest of its line."""


def _reading(text: str, delimiter: str | None) -> str | None:
    """How :func:`decimal_points` reads the commas of ``text``: ``"decimal"`` (convert them),
    ``"thousands"`` (a column groups thousands), ``"either"`` (every comma number could be a
    thousands separator, in a table separated by tabs) or None (no decimal comma to read: a
    comma-separated or whitespace table, a decimal point somewhere, no comma between digits,
    or a number grouped by points, 1.234,5). ``#`` notes are left out (:func:`_without_notes`).
    """
    if delimiter not in (";", "\t") or "," not in text:
        return None
    text = _without_notes(text)
    if "." in text and _DECIMAL_POINT.search(text):
        return None
    if not _DECIMAL_COMMA.search(text):
        return None
    if _NOT_THOUSANDS.search(text):
        # A number no thousands separator writes (0,5, 12,25, 1234,5): the file's commas
        # are decimal ones.
        return "decimal"
    if _grouped_column(text, delimiter):
        return "thousands"
    # Every comma number is one to three digits, a comma and three (2,500, 1,097): a
    # thousand and more with the thousands grouped, or a decimal comma? A ';' between the
    # columns says decimal (the list separator where the comma is the decimal mark, as in
    # Excel's CSV in such a locale and R's write.csv2); a tab is every locale's, and an
    # English-locale spreadsheet's "#,##0" cells of a thousand and more (a belt's ADC counts
    # around 2048, RR of a heart under 57/min) look the same.
    return "decimal" if delimiter == ";" else "either"


def decimal_points(text: str, delimiter: str | None) -> str:
    r"""``text`` with every decimal comma written as a point, where the comma must be one.

    Only in a table separated by semicolons or tabs (the list separator of spreadsheets set
    to a locale whose decimal mark is the comma, and of R's ``write.csv2``) that has no
    decimal point anywhere (a ``#`` note after the values, ``# 2.5 km``, is not looked at).
    There a comma between digits is a decimal one where a number proves it: one that no
    thousands separator writes (``0,5``, ``12,25``, ``1234,5``). Where every comma number
    is one to three digits, a comma and three (``5,996``, ``2,500``), it is read as a
    decimal comma in a table separated by semicolons, which says the locale's decimal mark
    is the comma, unless a column shows the grouping of thousands: a number under a
    thousand written without a comma (987) in the same column as 1,012 (a ``#,##0``
    cell). In a table separated by tabs, which every locale writes, such numbers are not
    read at all: ``2,500`` may be an English-locale spreadsheet's 2500 as well as 2.5.
    Where the commas are not read, ``text`` is returned as it is, and reading it fails on
    such a cell (:func:`decimal_comma_hint` names both readings) instead of guessing. A
    number with a point and a comma (1.234,5: points grouping thousands) is left as it is
    too, and so refused.

    The decision and the conversion run over the text as a few regular-expression searches
    and one copy (no list of the numbers: that cost about 25 bytes of memory per byte of a
    file of samples).

    Examples
    --------
    >>> decimal_points("812,5;6,2E-05", ";")
    '812.5;6.2E-05'
    >>> decimal_points("812,5", ",")
    '812,5'
    >>> decimal_points("5,996;6,012", ";")
    '5.996;6.012'
    >>> decimal_points("5,996\t6,012", "\t")
    '5,996\t6,012'
    >>> decimal_points("0,500\t6,012", "\t")
    '0.500\t6.012'
    >>> decimal_points("987\n1,012\n", ";")
    '987\n1,012\n'
    >>> decimal_points("07:00:00.000;38,5", ";")
    '07:00:00.000;38.5'
    >>> decimal_points("1.5;38,5", ";")
    '1.5;38,5'
    """
    if _reading(text, delimiter) != "decimal":
        return text
    if not any(p.search(text) for p in _OTHER_COMMAS):
        return text.replace(",", ".")
    return _DECIMAL_COMMA.sub(r"\1.\2\3", text)


def groups_thousands(text: str, delimiter: str | None) -> bool:
    r"""Whether :func:`decimal_points` left the commas of ``text`` unread because a column
    groups thousands (987 beside 1,012), for :func:`decimal_comma_hint` (errors only).

    Examples
    --------
    >>> groups_thousands("987\n1,012\n", "\t"), groups_thousands("2,500\n2,541\n", "\t")
    (True, False)
    """
    return _reading(text, delimiter) == "thousands"


def decimal_points_in_rows(
    rows: list[tuple[int, str]], delimiter: str | None
) -> list[tuple[int, str]]:
    """:func:`decimal_points` of numbered rows (line number, text), decided for all of them
    at once: a file does not change its number format from line to line."""
    if delimiter not in (";", "\t") or not any("," in line for _, line in rows):
        return rows
    joined = decimal_points("\n".join(line for _, line in rows), delimiter)
    return list(zip((no for no, _ in rows), joined.split("\n"), strict=True))


_COMMENT_LINE = re.compile(r"^([ \t]*#).*$", re.MULTILINE)
"""A ``#`` comment line, its text after the ``#``."""


def decimal_points_in_text(text: str, delimiter: str | None) -> str:
    r""":func:`decimal_points` of a whole file's text, its ``#`` comment lines (and, for the
    decision, its notes after values) left out (a version number, 1.2, in a note says
    nothing of the numbers): the lines keep only their ``#``, and so their line, as comments.

    Examples
    --------
    >>> decimal_points_in_text("# v1.2\n0,5;1,5\n#N/A;2,5\n", ";")
    '#\n0.5;1.5\n#N/A;2.5\n'
    """
    if delimiter not in (";", "\t") or "," not in text:
        return text
    if "#" in text:
        # A row starting with a spreadsheet's error value (#N/A;0,5: a sample missing) is
        # no comment: reduced to its "#", it would be skipped as one.
        text = _COMMENT_LINE.sub(lambda m: m[0] if spreadsheet_error(m[0]) else m[1], text)
    return decimal_points(text, delimiter)


_COMMA_NUMBER = re.compile(r"\s*[+-]?\d+,\d+\s*")
"""One number written with a decimal comma, alone (``0,963``): two columns (``1000,800``) do
not match with a comma inside a value."""
_THOUSANDS_SHAPED = re.compile(r"\s*([+-]?[1-9]\d{0,2}),(\d{3})\s*")
"""One to three digits, a comma and three (``2,500``): a thousands separator writes it as
much as a decimal comma does."""


def point_advice(typed: str) -> str:
    """Advice for a number typed with a decimal comma (``2,5``): ``"write decimals with a point
    (2.5)"``, or ``""`` when ``typed`` is not one. The same words for every number a command
    line or ``config set`` takes.

    Examples
    --------
    >>> point_advice("2,5")
    'write decimals with a point (2.5)'
    >>> point_advice("2,5,1"), point_advice("fast")
    ('', '')
    """
    dotted = typed.strip().replace(",", ".")
    if typed.count(",") != 1:
        return ""
    try:
        float(dotted)
    except ValueError:
        return ""
    return f"write decimals with a point ({dotted})"


def decimal_comma_hint(text: str, *, grouped: bool = False) -> str:
    """A hint for a number ``text`` that a comma made unreadable, or ``""``.

    Where no semicolon or tab says the comma is a decimal one (:func:`decimal_points`), a
    ``806,5`` is refused; this names the likely cause, quoting ``text``, the same for every
    command that reads such files (``hrv``, ``import``). A number a thousands separator may
    have written (``2,500``) gets both readings: advice to write a point would turn an
    English-locale 2500 into 2.5. With ``grouped`` (the caller found its column grouping thousands,
    :func:`groups_thousands`) the advice is to remove the separators.

    Examples
    --------
    >>> decimal_comma_hint("0,963")
    ' (0,963 for 0.963? write a point)'
    >>> print(decimal_comma_hint("2,500"))  # doctest: +NORMALIZE_WHITESPACE
     (2500 with its thousands grouped, or 2.500 with a decimal comma? remove the thousands
     separators, or write a decimal point)
    >>> print(decimal_comma_hint("1,012", grouped=True))  # doctest: +NORMALIZE_WHITESPACE
     (the column groups thousands, writing numbers under 1000 bare: remove the thousands
     separators, 1012 for 1,012)
    >>> decimal_comma_hint("1000000000,800,3")
    ''
    """
    thousands = _THOUSANDS_SHAPED.fullmatch(text)
    if thousands is not None:
        whole, group = thousands.groups()
        if grouped:
            return (
                " (the column groups thousands, writing numbers under 1000 bare: remove the "
                f"thousands separators, {whole}{group} for {whole},{group})"
            )
        return (
            f" ({whole}{group} with its thousands grouped, or {whole}.{group} with a decimal "
            "comma? remove the thousands separators, or write a decimal point)"
        )
    if _COMMA_NUMBER.fullmatch(text) is None:
        return ""
    # The cell at fault, not a fixed example (without this, "806,5" for a file of "0,580").
    cell = text.strip()
    return f" ({cell} for {cell.replace(',', '.')}? write a point)"


_COMMA_PARTS = re.compile(r"\s*([+-]?\d+),(\d+)\s*")
"""One number with a decimal comma, its whole part and its fraction (no sign in the fraction:
``1,-2`` is two columns)."""


def one_column_of_decimal_commas(lines: Iterable[str]) -> bool:
    """Whether comma-separated rows of two cells are one column written with decimal commas.

    Every row must read as one number with a comma (:func:`decimal_comma_hint`), and one of
    them at least must show it is a fraction: a fraction part with a leading zero
    (``0,00346``) or a whole part of ``-0``, which no column of integers writes (``512,498``
    may be two, and stays two).

    Examples
    --------
    >>> one_column_of_decimal_commas(["0,00346", "-0,01223"])
    True
    >>> one_column_of_decimal_commas(["512,498", "510,501"])
    False
    """
    evidence = False
    for line in lines:
        parts = _COMMA_PARTS.fullmatch(line)
        if parts is None:
            return False
        whole, fraction = parts.groups()
        evidence = evidence or (len(fraction) > 1 and fraction[0] == "0") or whole == "-0"
    return evidence


def decimal_comma_column(rows: list[tuple[int, str]]) -> list[tuple[int, str]] | None:
    """Numbered rows (line number, text) of one column written with decimal commas, read with
    points; None when a row is not one number with one comma, or the commas may group
    thousands.

    For a file that can hold one column only (an RR list given ``--unit``: two columns without
    a header are refused anyway), where ``0,580`` on every line was refused as "2 columns".
    The commas are read by :func:`decimal_points`' rule for a tab-separated
    table, which every locale writes: as decimal ones where a number proves it (one no
    thousands separator writes, ``0,580``, ``806,5``), and not where every number may be a
    thousand grouped (``1,012``) or a column groups them.

    Examples
    --------
    >>> decimal_comma_column([(1, "0,580"), (2, "0,612")])
    [(1, '0.580'), (2, '0.612')]
    >>> decimal_comma_column([(1, "1,012"), (2, "1,040")]) is None  # 1012 or 1.012?
    True
    >>> decimal_comma_column([(1, "0,580"), (2, "612")]) is None
    True
    """
    if not rows or not all(_COMMA_NUMBER.fullmatch(line) for _, line in rows):
        return None
    read = decimal_points_in_rows(rows, "\t")
    return read if not any("," in line for _, line in read) else None
