"""Line numbers of TOML keys, for error messages that point into the user's file.

``tomllib`` reports line numbers for syntax errors only; once a file parses, the values carry no
positions. A validation error ("step 3, field ``inhale_s``: must be > 0") is only useful with the
line, so this module scans the text once and maps every key path it can see to the line where
the key is written. It understands what our files use: ``[table]`` and ``[[array.of.tables]]``
headers, ``key = value`` lines with dotted or quoted keys, one-line inline tables, and arrays of
inline tables spread over several lines (one element per line). Anything else still resolves to
the nearest enclosing key that was seen, so a lookup always yields a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]
"""A path into the parsed document: table keys and array indices, e.g. ``("step", 2, "title")``."""

_BARE_KEY = r"[A-Za-z0-9_-]+"
_QUOTED_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY_PART = rf"(?:{_BARE_KEY}|{_QUOTED_KEY})"
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_KEY_LINE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=\s*(.*)$")
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED_KEY})\s*=")
_KEY_SPLIT = re.compile(_KEY_PART)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in _KEY_SPLIT.finditer(dotted):
        part = match.group(0)
        if part[:1] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


def _scan_brackets(text: str, depth: int, item: int) -> tuple[int, int, list[tuple[int, int]]]:
    """Walk one line of an array value, outside strings and comments.

    ``depth`` counts open ``[``/``{`` (1 = directly inside the array) and ``item`` is the index
    of the array element being read. Returns the new depth and item, and ``(column, item)`` for
    each element that starts on this line, so keys found at a column can be given to the
    element they belong to.
    """
    starts: list[tuple[int, int]] = []
    quote = ""
    escaped = False
    expecting = depth == 1
    for column, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char == "#":
            break
        if char.isspace():
            continue
        if depth == 1 and expecting and char not in ",]":
            starts.append((column, item))
            expecting = False
        if char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth == 1:
                expecting = True
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 1:
            item += 1
            expecting = True
    return depth, item, starts


@dataclass(slots=True)
class KeyLines:
    """Where each key of a TOML text is written.

    Build with :meth:`scan`; ask with :meth:`line_of`. Lines are 1-based, as editors show them.
    """

    lines: dict[KeyPath, int] = field(default_factory=dict)
    total_lines: int = 1

    @classmethod
    def scan(cls, text: str) -> KeyLines:
        """Index the keys of ``text`` (which should already parse as TOML)."""
        index = cls(total_lines=max(1, text.count("\n") + 1))
        counts: dict[KeyPath, int] = {}
        table: KeyPath = ()
        array_key: KeyPath | None = None
        array_depth = 0
        array_item = 0
        multiline = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            if multiline:
                # Inside a multi-line string: nothing here is a key.
                if raw.count(multiline) % 2 == 1:
                    multiline = ""
                continue
            line = raw.strip()
            if array_key is not None:
                array_depth, array_item = index._note_array_line(
                    array_key, line, number, array_depth, array_item
                )
                if array_depth <= 0:
                    array_key = None
                continue
            if not line or line.startswith("#"):
                continue
            header = _HEADER.match(line)
            if header is not None:
                table = index._open_table(header.group(1) == "[[", header.group(2), counts, number)
                continue
            key_line = _KEY_LINE.match(line)
            if key_line is None:
                continue
            path = (*table, *_split_key(key_line.group(1)))
            value = key_line.group(2)
            index.lines.setdefault(path, number)
            for match in _INLINE_KEY.finditer(value):
                index.lines.setdefault((*path, *_split_key(match.group(1))), number)
            for fence in ('"""', "'''"):
                if value.count(fence) % 2 == 1:
                    multiline = fence
            if value.lstrip().startswith("["):
                depth, item = index._note_array_line(path, value, number, 0, 0)
                if depth > 0:
                    array_key, array_depth, array_item = path, depth, item
        return index

    def _note_array_line(
        self, key: KeyPath, text: str, number: int, depth: int, item: int
    ) -> tuple[int, int]:
        """Record the elements of array ``key`` (and keys of inline tables in them) on a line."""
        depth, next_item, starts = _scan_brackets(text, depth, item)
        for _, element in starts:
            self.lines.setdefault((*key, element), number)
        for match in _INLINE_KEY.finditer(text):
            owner = item
            for column, element in starts:
                if column <= match.start():
                    owner = element
            self.lines.setdefault((*key, owner, *_split_key(match.group(1))), number)
        return depth, next_item

    def _open_table(
        self, is_array: bool, dotted: str, counts: dict[KeyPath, int], number: int
    ) -> KeyPath:
        """Resolve a table header to its path, numbering arrays of tables as they appear."""
        resolved: KeyPath = ()
        names = _split_key(dotted)
        for depth, name in enumerate(names):
            resolved = (*resolved, name)
            last = depth == len(names) - 1
            if last and is_array:
                item = counts.get(resolved, 0)
                # Counted under the resolved parent, so each step numbers its own cues from 0.
                counts[resolved] = item + 1
                resolved = (*resolved, item)
            elif resolved in counts:
                # A parent that is an array of tables means its latest element.
                resolved = (*resolved, counts[resolved] - 1)
        self.lines.setdefault(resolved, number)
        return resolved

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of ``path``, or of its nearest enclosing key that was seen (1 if none)."""
        key: KeyPath = tuple(path)
        while key:
            found = self.lines.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return 1
