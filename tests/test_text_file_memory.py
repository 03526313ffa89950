"""Reading a text file costs memory in proportion to the file, not to the size limit.

``read_text`` read ``max_bytes + 1`` at once, and CPython allocates that buffer before it
reads: 2 GiB for a 40 kB belt file, so ``breaths`` and ``import`` of any CSV ended in
"internal error: MemoryError" wherever 2 GiB of address space was not to be had (``ulimit
-v``, a container's limit, a 1 GB single-board computer; found in review).
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.storage.text_files import read_at_most, read_text

REPO = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 2 * 1024**3


class Spy(io.BytesIO):
    """A file that remembers the sizes asked of ``read``."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


@pytest.mark.parametrize("size_hint", [0, 5, 40_000, 10**9])
def test_reads_ask_for_what_the_file_holds_not_the_limit(size_hint: int) -> None:
    data = b"0.1\n" * 10_000
    spy = Spy(data)
    assert read_at_most(spy, LIMIT_BYTES, size_hint=size_hint) == data
    assert max(spy.asked) <= max(size_hint + 1, 1 << 20), spy.asked


def test_a_file_over_the_limit_reads_one_byte_past_it() -> None:
    spy = Spy(b"x" * 5000)
    got = read_at_most(spy, 1000, size_hint=5000)
    assert len(got) == 1001
    assert read_at_most(Spy(b"x" * 5000), 1000, size_hint=10) == b"x" * 1001


def test_gzip_text_reads_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "rr.txt.gz"
    path.write_bytes(gzip.compress(b"800\n" * 300_000))  # 1.2 MB unpacked
    assert read_text(path, max_bytes=LIMIT_BYTES, what="an RR file") == "800\n" * 300_000


def _limited_address_space() -> None:
    import resource

    limit = 1536 * 1024**2  # below the 2 GiB the old read asked for, well above what is used
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limit via RLIMIT_AS (Linux)")
def test_breaths_and_import_of_a_small_csv_run_in_1_5_gib_of_address_space(
    tmp_path: Path,
) -> None:
    t_s = np.arange(0, 120, 1 / 50)
    belt = tmp_path / "belt.csv"
    belt.write_text("rsp\n" + "\n".join(f"{v:.4f}" for v in np.sin(2 * np.pi * 0.1 * t_s)))
    beats = tmp_path / "beats.csv"
    beats.write_text("rr_ms\n" + "\n".join(str(800 + 40 * (k % 5)) for k in range(300)))
    env = {
        **os.environ,
        # One thread each: a BLAS's per-thread buffers are address space too, more with cores.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "BREATHWISE_DATA_DIR": str(tmp_path / "data"),
        "BREATHWISE_CONFIG_DIR": str(tmp_path / "config"),
    }
    for args in (
        ["breaths", str(belt), "--fs", "50"],
        ["import", str(beats), "-o", str(tmp_path / "imported.bwr"), "--no-history"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "trainer", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limited_address_space,
        )
        assert done.returncode == 0, (args, done.stderr)
        assert "MemoryError" not in done.stderr
