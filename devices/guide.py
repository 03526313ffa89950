"""What a simulated person follows: the pacer, seen from ``devices/`` without importing it.

The trainer's pacer implements :class:`BreathingGuide`; the simulator only depends on this
protocol, so devices stay independent of the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GuideState:
    """The pacer target at one instant.

    Attributes
    ----------
    inhale_s, hold_in_s, exhale_s, hold_out_s : float
        Durations of the current pattern's phases, in seconds.
    cycle_fraction : float
        Position in the current cycle, 0 at an inhale onset, growing to 1 at the next one.
    """

    inhale_s: float
    hold_in_s: float
    exhale_s: float
    hold_out_s: float
    cycle_fraction: float

    @property
    def period_s(self) -> float:
        """Length of one pacer cycle, in seconds."""
        return self.inhale_s + self.hold_in_s + self.exhale_s + self.hold_out_s


class BreathingGuide(Protocol):
    """Anything that tells a breathing person what to do at a given session time."""

    def guide_at(self, t_s: float) -> GuideState | None:
        """The target at session time ``t_s`` (s); ``None`` means "breathe your own rhythm"."""
        ...
