"""JSON and TOML parsing in which nesting too deep to parse is a syntax error, not a crash.

``json.loads`` and ``tomllib.loads`` recurse once per level of nesting, so 200 000 ``[``
in a shared recording, program or settings file raised ``RecursionError``, which no reader
caught: "internal error" from ``replay``/``report``/``export``, and from ``programs`` and
``live`` with every program, built-in ones too, for one copied program file (found in
review). Here it becomes the decoder's own error, which every reader already turns into
"damaged at line N" or a warning naming the file.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

TOO_DEEP = "nested too deeply to read"
"""The problem said for nesting beyond Python's recursion limit (about 1000 levels)."""


class JSONTooDeepError(json.JSONDecodeError):
    """JSON nested beyond what the decoder can follow; said without a position (the decoder
    gives none, and "line 1 column 1" beside a recording's "damaged at line 4" misled)."""

    def __str__(self) -> str:
        return self.msg


def json_loads(text: str | bytes) -> Any:
    """:func:`json.loads`, raising :class:`JSONTooDeepError` (a
    :class:`json.JSONDecodeError`, so a ``ValueError``) for nesting too deep to parse.

    Parameters
    ----------
    text : str or bytes
        One JSON document (a recording's line).

    Returns
    -------
    Any
        The decoded value.

    Examples
    --------
    >>> json_loads('{"k": [1, 2]}')
    {'k': [1, 2]}
    >>> json_loads("[" * 100_000 + "]" * 100_000)
    Traceback (most recent call last):
    trainer.storage.safe_parse.JSONTooDeepError: nested too deeply to read
    """
    try:
        return json.loads(text)
    except RecursionError:
        doc = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise JSONTooDeepError(TOO_DEEP, doc[:80], 0) from None


def toml_loads(text: str) -> dict[str, Any]:
    """:func:`tomllib.loads`, raising :class:`tomllib.TOMLDecodeError` for nesting too deep to
    parse.

    Parameters
    ----------
    text : str
        A TOML document (a program or the settings).

    Returns
    -------
    dict
        The decoded table.

    Examples
    --------
    >>> toml_loads("rate = 6")
    {'rate': 6}
    >>> toml_loads("x = " + "[" * 100_000 + "]" * 100_000)
    Traceback (most recent call last):
    tomllib.TOMLDecodeError: nested too deeply to read
    """
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None
