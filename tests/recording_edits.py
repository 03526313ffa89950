"""Recordings edited on purpose by a test, made to read as a Breathwise wrote them.

A test that stands in for another Breathwise (an earlier analysis, another version's
``software``) by editing a recording's lines changes bytes its checksums cover
(docs/recording-format.md, "Checksums"): read as it is, such a file is damaged. These helpers
give the edited lines the checksums that Breathwise would have written, or take them out as a
Breathwise from before checksums wrote the file. They follow the format's text, not the
writer's code, so they also check that the two agree.
"""

from __future__ import annotations

import json
import re
import zlib

_CHECKSUMMED = re.compile(r'(.*),"crc":"[0-9a-f]{8}"\}')
"""A record that ends with the running checksum: its body (group 1) and the checksum."""


def resealed(text: str) -> str:
    """``text``, a recording's lines, with every checksum computed again over the lines as
    they are now: what a Breathwise that wrote these very lines would have written.

    Line 1 counts as its JSON with sorted keys and no spaces, and a newline; every other line
    as its bytes and its newline, but a checksummed record, which counts up to its
    ``,"crc":"`` and is followed by the value it holds.
    """
    lines = text.splitlines()
    header = json.dumps(json.loads(lines[0]), sort_keys=True, separators=(",", ":"))
    crc = zlib.crc32((header + "\n").encode("utf-8"))
    out = [lines[0]]
    for line in lines[1:]:
        checksummed = _CHECKSUMMED.fullmatch(line)
        if checksummed is None:
            crc = zlib.crc32((line + "\n").encode("utf-8"), crc)
            out.append(line)
            continue
        body = checksummed.group(1)
        crc = zlib.crc32(body.encode("utf-8"), crc)
        out.append(f'{body},"crc":"{crc:08x}"}}')
    return "\n".join(out) + "\n"


def without_checksums(text: str) -> str:
    """``text`` as a Breathwise from before checksums wrote it: no ``crc`` key, and no clock
    record that was there only to carry one (it wrote them after a second of quiet alone, and
    such a record changes no number a recording with packets gives)."""
    out = []
    for line in text.splitlines():
        checksummed = _CHECKSUMMED.fullmatch(line)
        if checksummed is None:
            out.append(line)
        elif not line.startswith('{"k":"clock"'):
            out.append(checksummed.group(1) + "}")
    return "\n".join(out) + "\n"
