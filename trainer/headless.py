"""Plain-text session output: one line per breath, for pipes, logs and tests.

Every line is a pure function of pipeline events, which themselves depend only on the recorded
items, so ``breathwise replay --headless`` prints exactly what the live session printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from trainer.pipeline import BreathEvent, Event, MarkEvent, StatusEvent


def _num(value: float | None, fmt: str, missing: str = "-") -> str:
    return missing if value is None else format(value, fmt)


def format_breath(event: BreathEvent) -> str:
    """One line for one breath.

    Example::

        breath   12 at  118.4 s  rate  6.0 bpm  in 3.2 s  out 6.4 s  pause 0.0 s  ratio 2.00  \
depth 1.02  HR  63 bpm  follow  91  [good]  Lengthen the out-breath
    """
    b = event.breath
    f = event.feedback
    line = (
        f"breath {event.index:4d} at {b.end_s:7.1f} s  rate {b.rate_bpm:4.1f} bpm  "
        f"in {b.inhale_s:4.1f} s  out {b.exhale_s:4.1f} s  pause {b.pause_s:3.1f} s  "
        f"ratio {b.ratio:4.2f}  depth {b.depth:5.2f}  HR {_num(event.hr_bpm, '3.0f', '  -')} bpm  "
        f"follow {f.follow_score:3d}  [{b.quality}]"
    )
    return f"{line}  {f.cue}" if f.cue else line


def format_summary(summary: dict[str, Any]) -> str:
    """The closing line of a session."""
    return (
        f"summary: {summary.get('duration_s', 0):.0f} s, {summary.get('breaths', 0)} breaths, "
        f"median rate {_num(summary.get('median_rate_bpm'), '.1f')} bpm, "
        f"mean ratio {_num(summary.get('mean_ratio'), '.2f')}, "
        f"follow {_num(summary.get('mean_follow_score'), '.0f')}, "
        f"HR {_num(summary.get('hr_start_bpm'), '.0f')} -> "
        f"{_num(summary.get('hr_end_bpm'), '.0f')} bpm, "
        f"gaps {summary.get('gaps', 0)}, marks {summary.get('marks', 0)}"
    )


def line_printer(out: TextIO) -> Callable[[list[Event]], None]:
    """A pipeline listener that prints breaths, marks and status messages to ``out``."""

    def listener(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, BreathEvent):
                print(format_breath(event), file=out, flush=True)
            elif isinstance(event, MarkEvent):
                print(f"mark at {event.t_s:7.1f} s  {event.label}".rstrip(), file=out, flush=True)
            elif isinstance(event, StatusEvent):
                print(f"status at {event.t_s:7.1f} s  {event.message}", file=out, flush=True)

    return listener
