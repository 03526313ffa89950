"""Tables whose numbers are written with a decimal comma (``806,5``), as spreadsheets set to a
European locale export them: they separate columns with semicolons or tabs instead of commas.
"""

from __future__ import annotations

import re

__all__ = ["decimal_points", "delimiter_of"]

_DECIMAL_COMMA = re.compile(r"(?<![\w.,])([+-]?\d+),(\d+)(?![\w.,])")


def delimiter_of(first_line: str) -> str | None:
    """The column separator of a table, from its first line: ``;`` or a tab before ``,``
    (a table separated by either may write 806,5 for 806.5); ``None`` for whitespace."""
    return next((d for d in (";", "\t", ",") if d in first_line), None)


def decimal_points(text: str, delimiter: str | None) -> str:
    """``text`` with every decimal comma written as a point, unless commas separate columns.

    Examples
    --------
    >>> decimal_points("812,5;1,25", ";")
    '812.5;1.25'
    >>> decimal_points("812,5", ",")
    '812,5'
    """
    if delimiter == "," or "," not in text:
        return text
    return _DECIMAL_COMMA.sub(r"\1.\2", text)
