"""RR files as phone loggers write them, for the tests of the commands that read them."""

from __future__ import annotations

import numpy as np


def polar_logger_rr(rr_ms: np.ndarray, lost_before: int, lost_s: float) -> str:
    """A Polar Sensor Logger RR export (``Phone timestamp;RR-interval [ms]``, each row at its
    beat) of ``rr_ms``, whose beats from index ``lost_before`` on come ``lost_s`` later: a
    link lost for that long, the beats in it never logged."""
    beat_s = np.cumsum(rr_ms) / 1000.0
    beat_s[lost_before:] += lost_s
    rows = "".join(
        f"2024-03-01T00:{int(t // 60):02d}:{t % 60:06.3f};{v:.0f}\n"
        for t, v in zip(beat_s, rr_ms, strict=True)
    )
    return "Phone timestamp;RR-interval [ms]\n" + rows
