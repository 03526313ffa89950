"""Tables whose numbers are written with a decimal comma (``806,5``), as spreadsheets set to a
European locale export them: they separate columns with semicolons or tabs instead of commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "decimal_comma_hint",
    "decimal_points",
    "decimal_points_in_rows",
    "decimal_points_in_text",
    "delimiter_of",
    "one_column_of_decimal_commas",
]

_DECIMAL_COMMA = re.compile(r"(?<![\w.,])([+-]?\d+),(\d+)((?:[eE][+-]?\d+)?)(?![\w.,])")
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}")
"""The integer part of a number that could be a thousands group (1,012 or 12,345)."""
_DECIMAL_POINT = re.compile(r"(?<![\w.:,-])[+-]?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.:,])")
"""A number written with a decimal point (not the fraction of a time, 07:00:00.000, nor a
date, 01.01.2026)."""


def delimiter_of(first_line: str) -> str | None:
    """The column separator of a table, from its first line: ``;`` or a tab before ``,``
    (a table separated by either may write 806,5 for 806.5); ``None`` for whitespace."""
    return next((d for d in (";", "\t", ",") if d in first_line), None)


def decimal_points(text: str, delimiter: str | None) -> str:
    """``text`` with every decimal comma written as a point, where the comma must be one.

    Only in a table separated by semicolons or tabs that has no decimal point anywhere, and
    not when every comma could be a thousands separator (1,012: a thousand and twelve, or one
    and twelve thousandths? ``text`` is then returned as it is, and reading it fails on that
    cell instead of guessing).

    Examples
    --------
    >>> decimal_points("812,5;6,2E-05", ";")
    '812.5;6.2E-05'
    >>> decimal_points("812,5", ",")
    '812,5'
    >>> decimal_points("1,012;987", ";")
    '1,012;987'
    >>> decimal_points("07:00:00.000;38,5", ";")
    '07:00:00.000;38.5'
    >>> decimal_points("1.5;38,5", ";")
    '1.5;38,5'
    """
    if delimiter not in (";", "\t") or "," not in text or _DECIMAL_POINT.search(text):
        return text
    numbers = _DECIMAL_COMMA.findall(text)
    if not numbers or all(
        _THOUSANDS.fullmatch(whole) and len(frac) == 3 and not exp for whole, frac, exp in numbers
    ):
        return text
    return _DECIMAL_COMMA.sub(r"\1.\2\3", text)


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
    r""":func:`decimal_points` of a whole file's text, its ``#`` comment lines left out of the
    decision (a version number, 1.2, in a note says nothing of the numbers): they keep only
    their ``#``, and so their line, as comments.

    Examples
    --------
    >>> decimal_points_in_text("# v1.2\n0,5;1,5\n", ";")
    '#\n0.5;1.5\n'
    """
    if delimiter not in (";", "\t") or "," not in text:
        return text
    return decimal_points(_COMMENT_LINE.sub(r"\1", text) if "#" in text else text, delimiter)


_COMMA_NUMBER = re.compile(r"\s*[+-]?\d+,\d+\s*")
"""One number written with a decimal comma, alone (``0,963``): two columns (``1000,800``) do
not match with a comma inside a value."""


def decimal_comma_hint(text: str) -> str:
    """A hint for a number ``text`` that a comma made unreadable, or ``""``.

    Where no semicolon or tab says the comma is a decimal one (:func:`decimal_points`), a
    ``806,5`` is refused; this names the likely cause, the same for every command that reads
    such files (``hrv``, ``import``).

    Examples
    --------
    >>> decimal_comma_hint("0,963")
    ' (806,5 for 806.5? write a point)'
    >>> decimal_comma_hint("1000000000,800,3")
    ''
    """
    return " (806,5 for 806.5? write a point)" if _COMMA_NUMBER.fullmatch(text) else ""


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
