"""A pipe a thread feeds, for the tests of commands that read one (``<(cmd)``, ``/dev/fd/N``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path


def fed_pipe(chunks: Iterable[bytes]) -> Iterator[Path]:
    """A pipe a thread writes ``chunks`` into, as ``/dev/fd/N`` (what ``<(cmd)`` gives), until
    they end or the reader closes its end; closed and joined once the caller is done with it.

    Yields its path once: use it as ``for path in fed_pipe(...)`` or ``yield from`` in a fixture.
    """
    read_end, write_end = os.pipe()

    def write() -> None:
        try:
            for chunk in chunks:
                os.write(write_end, chunk)
        except OSError:  # the reader closed its end
            pass
        finally:
            os.close(write_end)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield Path(f"/dev/fd/{read_end}")
    os.close(read_end)
    # Its write end closed before the next test opens files: a close left to a thread the
    # load delays is the kind of thing that closes another test's file of the same number.
    writer.join(timeout=10)
    assert not writer.is_alive()
