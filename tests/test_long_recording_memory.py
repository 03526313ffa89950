"""Memory of replaying, reporting and exporting long recordings (review 32 F6).

A 24 h simulated recording (186 MB) took 1.83-1.98 GB to replay, report or export: a
comparison of every pair of the heart rhythm's rate windows (quadratic in the session's
length), one Python object per packet held for the whole file, and one event object per
belt packet kept by the report. Each is bounded here on a small case, in proportion to what
it holds, with a margin the old code exceeded several times over.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from analysis.rr_breath import AGREE_FRACTION, USABLE_QUALITY, RRBreathEstimate
from analysis.rr_breath import session_rate_members as members

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
