"""How far a long computation has got, for a progress bar: the fraction done, 0 to 1.

A long step (a whole recording replayed through the pipeline, hours of beats through the
coherence windows) takes an optional ``progress`` callback and calls it with the fraction of
its work done. The contract every such step keeps, whatever it is given:

* at most about :data:`REPORTS` calls (one per percent), so a callback that redraws a bar
  costs nothing next to the work;
* the values never decrease and stay within 0-1;
* the last call is exactly 1.0, when the step is done (not on an error).

Giving a callback never changes a result: the steps only count what they already do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import TypeAlias, TypeVar

ProgressCallback: TypeAlias = Callable[[float], None]
"""Called with the fraction of a long step done, 0-1 (see the module notes)."""

REPORTS = 100
"""Calls a step makes at most, besides its final 1.0: one per percent."""

T = TypeVar("T")


class ProgressSteps:
    """The callback of one long step, held to the contract of the module notes.

    Called with the fraction done of the step's own work (any number of times, in any order),
    it passes the callback ``lo + (hi - lo) * fraction`` only when that is a percent past the
    last value passed on; :meth:`done` passes ``hi``. A step made of parts gives each part
    :meth:`part`, a callback for its share.

    Parameters
    ----------
    callback : callable or None
        The callback; None makes every call a no-op.
    lo, hi : float
        The range of the callback's values this step covers (0 and 1 for a whole step).
    """

    __slots__ = ("_callback", "_hi", "_last", "_lo", "_next")

    def __init__(self, callback: ProgressCallback | None, lo: float = 0.0, hi: float = 1.0):
        self._callback = callback
        self._lo = lo
        self._hi = hi
        self._next = lo
        self._last = -math.inf

    @property
    def active(self) -> bool:
        """Whether anybody listens: a loop may skip counting when not."""
        return self._callback is not None

    def __call__(self, fraction: float) -> None:
        if self._callback is None:
            return
        value = self._lo + (self._hi - self._lo) * min(max(fraction, 0.0), 1.0)
        if value < self._next or value <= self._last:
            return
        # The next value passed on is at least one percent of the whole range further on.
        self._next = (math.floor(value * REPORTS) + 1) / REPORTS
        self._last = value
        self._callback(value)

    def part(self, lo: float, hi: float) -> ProgressCallback | None:
        """A callback for the part of this step from fraction ``lo`` to ``hi`` of it (None
        when nobody listens, so the part skips its counting too)."""
        if self._callback is None:
            return None
        return lambda fraction: self(lo + (hi - lo) * min(max(fraction, 0.0), 1.0))

    def done(self) -> None:
        """The step is done: pass on the end of its range (1.0 for a whole step)."""
        if self._callback is not None and self._last < self._hi:
            self._last = self._hi
            self._next = math.inf
            self._callback(self._hi)


def counted(items: Iterable[T], total: int, steps: ProgressSteps) -> Iterator[T]:
    """``items`` as they are, telling ``steps`` the fraction of ``total`` taken every percent.

    The count is one integer comparison per item, so a loop of a million rows costs nothing
    measurable; ``steps.done()`` is left to the caller, whose step may go on after the loop.
    """
    if not steps.active or total <= 0:
        yield from items
        return
    stride = max(total // REPORTS, 1)
    due = stride
    for index, item in enumerate(items, 1):
        yield item
        if index >= due:
            due += stride
            steps(index / total)
