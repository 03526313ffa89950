"""Memory of replaying, reporting and exporting long recordings (review 32 F6).

A 24 h simulated recording (186 MB) took 1.83-1.98 GB to replay, report or export: a
comparison of every pair of the heart rhythm's rate windows (quadratic in the session's
length), one Python object per packet held for the whole file, and one event object per
belt packet kept by the report. Each is bounded here on a small case, in proportion to what
it holds, with a margin the old code exceeded several times over.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from analysis.rr_breath import AGREE_FRACTION, USABLE_QUALITY, RRBreathEstimate
from analysis.rr_breath import session_rate_members as members
from benchmarks.bench_pipeline import START_NS, simulated_hour
from devices.packets import RawPacket
from trainer.session.live_replay import ReplaySession, SessionResult
from trainer.storage.recording import Recording, read_recording, write_recording

T = TypeVar("T")


def traced_peak_bytes(work: Callable[[], T]) -> tuple[T, int]:
    """What ``work()`` returns and the most memory it held at once beyond what was held
    before (bytes, :mod:`tracemalloc`)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - before


def _pairwise_members(estimates: list[RRBreathEstimate]) -> list[int]:
    """The rule of :func:`session_rate_members` written out pair by pair (every estimate
    usable here), to check the bounded version against."""
    rates = [e.rate_bpm for e in estimates]
    close = [[abs(r - s) <= AGREE_FRACTION * r for s in rates] for r in rates]
    support = [sum(row) for row in close]
    weight = [
        sum(e.quality for e, near in zip(estimates, row, strict=True) if near) for row in close
    ]
    centre = max(range(len(rates)), key=lambda k: (support[k], weight[k]))
    agreeing = [j for j, near in enumerate(close[centre]) if near]
    median_q = float(np.median([estimates[j].quality for j in agreeing]))
    return [j for j in agreeing if estimates[j].quality >= median_q]


def _estimates(count: int, seed: int) -> list[RRBreathEstimate]:
    """Rate windows of a long session: two rhythms (breathing near 6/min, a faster one near
    12/min) with qualities from just usable to 1, rounded so that ties occur."""
    rng = np.random.default_rng(seed)
    rates = np.round(rng.choice([6.0, 12.0], count, p=[0.6, 0.4]) + rng.normal(0, 1.0, count), 1)
    quality = np.round(rng.uniform(USABLE_QUALITY, 1.0, count), 2)
    return [
        RRBreathEstimate(10.0 * k, float(r), 0.0, 5.0, float(q), 64.0)
        for k, (r, q) in enumerate(zip(rates, quality, strict=True))
    ]


def test_session_rate_members_of_a_long_session_hold_no_matrix_of_every_pair() -> None:
    """2000 windows (5.6 h at one per 10 s): the comparison of every pair held two float
    matrices of 32 MB each at once (64 MB, 1.2 GB at 24 h); a few rows at a time it holds
    under 8 MB, and picks the very windows the pairwise rule does."""
    estimates = _estimates(2000, seed=3)
    chosen, peak = traced_peak_bytes(lambda: members(estimates))
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB"
    small = _estimates(300, seed=4)
    assert members(small) == _pairwise_members(small)
    assert chosen and all(abs(estimates[k].rate_bpm - 6.0) < 3.0 for k in chosen)


def _simulated_recording(tmp_path: Path, duration_s: float) -> Path:
    """A recording of ``duration_s`` of the simulated person (20 Hz belt, strap), as the
    replay benchmark writes its hour."""
    header, items = simulated_hour(duration_s)
    return write_recording(
        tmp_path / "long.bwr",
        header,
        items,
        {},
        end_mono_ns=START_NS + round(duration_s * 1e9),
        end_wall_ns=0,
    )


def test_a_recording_read_holds_less_than_its_file(tmp_path: Path) -> None:
    """30 min (3.6 MB): an object per packet held 2.5 times the file's size once read (the
    object, its two clocks, its stream id and payload: about 240 bytes a 96-byte line); its
    packets in columns hold under half of it, and read back as the very same items."""
    path = _simulated_recording(tmp_path, 1800.0)
    size = path.stat().st_size

    def held() -> tuple[Recording, int]:
        recording = read_recording(path)
        return recording, tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        recording, after = held()
    finally:
        tracemalloc.stop()
    assert (after - before) / size < 1.0, f"{(after - before) / size:.2f} x the file"
    _header, items = simulated_hour(1800.0)
    assert len(recording.items) == len(items)
    assert recording.items == items
    assert recording.items[-1] == items[-1] and recording.items[5:9] == items[5:9]
    assert list(recording.packets_of("hr")) == [
        i for i in items if isinstance(i, RawPacket) and i.stream == "hr"
    ]


def test_a_long_replay_holds_the_recording_once(tmp_path: Path) -> None:
    """Reading and replaying 30 min at full speed: the old reader's peak alone was 3.6 times
    the file; now the whole of it stays under 3 times (2.1 measured), with the same
    summary."""
    path = _simulated_recording(tmp_path, 1800.0)
    size = path.stat().st_size

    def replay() -> SessionResult:
        return asyncio.run(ReplaySession(read_recording(path), speed=None).run())

    result, peak = traced_peak_bytes(replay)
    assert peak / size < 3.0, f"{peak / size:.2f} x the file"
    assert result.summary["breaths"] > 150
