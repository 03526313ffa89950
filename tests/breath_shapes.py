"""Breaths of given shapes, for tests of what judges them (the strain monitor, the coach)."""

from __future__ import annotations

from analysis.breath import Breath


def breaths_of(shapes: list[tuple[float, float, float]], start_s: float = 100.0) -> list[Breath]:
    """Breaths of (inhale, exhale, pause) seconds, back to back from ``start_s``, each "good"
    and known half a second after its end."""
    out = []
    t = start_s
    for inhale, exhale, pause in shapes:
        end = t + inhale + exhale + pause
        out.append(
            Breath(t, t + inhale, end, inhale, exhale, pause, exhale / inhale, 1.0,
                   60.0 / (end - t), "good", end + 0.5)
        )  # fmt: skip
        t = end
    return out
