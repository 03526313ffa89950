"""A text stream that says it is a terminal, for the tests of what a command does at one."""

from __future__ import annotations

import io


class Terminal(io.StringIO):
    """Standard input with the answers typed in advance, or standard error, at a terminal
    (``isatty``), reporting ``encoding`` (None, a plain StringIO's, by default)."""

    def __init__(self, typed: str = "", encoding: str | None = None) -> None:
        super().__init__(typed)
        self._encoding = encoding

    @property
    def encoding(self) -> str | None:  # type: ignore[override]
        return self._encoding

    def isatty(self) -> bool:
        return True
