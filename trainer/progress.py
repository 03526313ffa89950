"""Progress over days and weeks, from the session history, against the person's own baseline.

What is shown (issue 6): minutes practised per day and streaks; breath rate and exhale:inhale
ratio achieved (with the targets); resting heart rate at session start; RMSSD; RSA; coherence.
Each trend is drawn per session with a 7-day rolling mean, against a *personal* baseline: the
median of the person's first :data:`BASELINE_SESSIONS` sessions in the whole history (not only
the period shown), because population norms of HRV span a factor of five between healthy adults
(Nunan et al. 2010, Pacing Clin Electrophysiol 33:1407) while a person's own change is what
practice can move.

Days are local calendar days of the session start (a session at 23:50 counts for that day).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trainer.history import SessionRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BASELINE_SESSIONS = 3
"""Sessions (the first ones in the history) whose median is the personal baseline."""
ROLLING_DAYS = 7
"""Window of the rolling mean drawn through each trend (days)."""

TRENDS: tuple[tuple[str, str, str, str | None], ...] = (
    ("median_rate_bpm", "Breath rate", "breaths/min", "target_rate_bpm"),
    ("mean_ratio", "Exhale:inhale ratio", "ratio", "target_ratio"),
    ("hr_start_bpm", "Resting heart rate (first minute)", "beats/min", None),
    ("rmssd_ms", "RMSSD", "ms", None),
    ("rsa_bpm", "RSA (peak-to-trough per breath)", "beats/min", None),
    ("coherence_score", "Coherence (score 0-10)", "score", None),
)
"""History column, panel title, unit, and the column holding the target (if any)."""


def local_date(wall_ns: int) -> date:
    """The local calendar day of a Unix-ns wall time."""
    t = time.localtime(wall_ns / 1e9)
    return date(t.tm_year, t.tm_mon, t.tm_mday)


@dataclass(frozen=True, slots=True)
class Progress:
    """Trends of the sessions in a period, with the personal baseline.

    Attributes
    ----------
    sessions : tuple of SessionRow
        Sessions in the period, in start order.
    days : tuple of date
        Every calendar day from the period's first day to ``today`` (or the last session).
    minutes_per_day : tuple of float
        Minutes practised on each of ``days``.
    current_streak_days, longest_streak_days : int
        Consecutive days with practice: ending today (or yesterday, since today is not over),
        and the longest run in the period.
    baseline : dict
        Per trend column, the median of the first :data:`BASELINE_SESSIONS` sessions of the
        whole history that have the value (None if none has).
    latest : dict
        Per trend column, the mean over the :data:`ROLLING_DAYS` days up to the latest session.
    """

    sessions: tuple[SessionRow, ...]
    days: tuple[date, ...]
    minutes_per_day: tuple[float, ...]
    current_streak_days: int
    longest_streak_days: int
    baseline: dict[str, float | None]
    latest: dict[str, float | None]

    @property
    def total_minutes(self) -> float:
        """Minutes practised in the period."""
        return float(sum(self.minutes_per_day))


def _values(rows: Sequence[SessionRow], column: str) -> list[float]:
    out = []
    for row in rows:
        value = getattr(row, column)
        if value is not None and math.isfinite(float(value)):
            out.append(float(value))
    return out


def compute_progress(
    history: Sequence[SessionRow], *, since: date | None = None, today: date | None = None
) -> Progress:
    """Daily minutes, streaks, baseline and recent means from the history.

    Parameters
    ----------
    history : sequence of SessionRow
        The whole history (the baseline always comes from its first sessions).
    since : date, optional
        First day shown; the first session's day when omitted.
    today : date, optional
        The day the streak counts back from (the local date now when omitted).
    """
    rows = sorted(history, key=lambda r: (r.start_wall_ns, r.session_key))
    today = today or date.today()
    baseline: dict[str, float | None] = {}
    for column, _, _, _ in TRENDS:
        first = _values(rows, column)[:BASELINE_SESSIONS]
        baseline[column] = float(np.median(first)) if first else None
    shown = tuple(r for r in rows if since is None or local_date(r.start_wall_ns) >= since)
    if not shown:
        return Progress((), (), (), 0, 0, baseline, dict.fromkeys(baseline))
    first_day = since or local_date(shown[0].start_wall_ns)
    last_day = max(today, local_date(shown[-1].start_wall_ns))
    days = tuple(first_day + timedelta(days=k) for k in range((last_day - first_day).days + 1))
    minutes = dict.fromkeys(days, 0.0)
    for row in shown:
        minutes[local_date(row.start_wall_ns)] += row.practised_min
    per_day = tuple(minutes[d] for d in days)
    longest = run = 0
    for value in per_day:
        run = run + 1 if value > 0 else 0
        longest = max(longest, run)
    current = 0
    index = days.index(today) if today in minutes else len(days) - 1
    if per_day[index] == 0 and index > 0:
        index -= 1  # today is not over: an unbroken run up to yesterday still counts
    while index >= 0 and per_day[index] > 0:
        current += 1
        index -= 1
    # "Now" is the week up to the latest session, so a break does not blank every trend.
    recent_from = local_date(shown[-1].start_wall_ns) - timedelta(days=ROLLING_DAYS - 1)
    recent = [r for r in shown if local_date(r.start_wall_ns) >= recent_from]
    latest: dict[str, float | None] = {}
    for column, _, _, _ in TRENDS:
        values = _values(recent, column)
        latest[column] = float(np.mean(values)) if values else None
    return Progress(shown, days, per_day, current, longest, baseline, latest)


def _count(n: int, noun: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_lines(progress: Progress) -> list[str]:
    """A few plain lines for the terminal: practice, streaks, each trend against baseline."""
    if not progress.sessions:
        return ["No sessions in this period yet."]
    # Tenths while short: a first 20 s try is not "0 min".
    minutes = f"{progress.total_minutes:.{1 if progress.total_minutes < 10 else 0}f}"
    lines = [
        f"{_count(len(progress.sessions), 'session')}, {minutes} min practised "
        f"from {progress.days[0]:%d %b %Y} to {progress.days[-1]:%d %b %Y}",
        f"streak: {_count(progress.current_streak_days, 'day')} now, longest "
        f"{_count(progress.longest_streak_days, 'day')}",
    ]
    for column, title, unit, _ in TRENDS:
        base, now = progress.baseline[column], progress.latest[column]
        if now is None:
            continue
        text = f"{title}: {now:.2f} {unit} (latest {ROLLING_DAYS} days)"
        if base is not None:
            text += f", baseline {base:.2f} ({now - base:+.2f})"
        lines.append(text)
    return lines


def progress_figure(progress: Progress) -> Figure:
    """Draw the trends: a matplotlib Figure (Agg), A4 portrait, one panel per trend.

    The top panel shows minutes per day as bars with the streaks in its title; each trend panel
    shows one dot per session, the rolling mean (line), the target where there is one (dotted)
    and the personal baseline (dashed band label).
    """
    from matplotlib.dates import DateFormatter, WeekdayLocator
    from matplotlib.figure import Figure

    from trainer.report import COLORS, apply_style

    apply_style()
    fig = Figure(figsize=(8.27, 11.69), layout="constrained")
    n = 1 + len(TRENDS)
    axes = fig.subplots(n, 1, sharex=True, height_ratios=[1.3] + [1.0] * len(TRENDS))
    if not progress.sessions:
        fig.suptitle("Breathwise progress: no sessions in this period yet")
        return fig
    days = [np.datetime64(d) for d in progress.days]
    ax = axes[0]
    ax.bar(days, progress.minutes_per_day, width=0.8, color=COLORS["practice"])
    ax.set_ylabel("min / day")
    ax.set_title(
        f"Minutes practised per day — {progress.total_minutes:.0f} min in "
        f"{len(progress.sessions)} sessions; streak {progress.current_streak_days} days "
        f"(longest {progress.longest_streak_days})",
        loc="left",
    )
    session_days = np.asarray(
        [np.datetime64(local_date(r.start_wall_ns)) for r in progress.sessions]
    )
    for ax, (column, title, unit, target) in zip(axes[1:], TRENDS, strict=True):
        values = np.asarray(
            [
                np.nan if getattr(r, column) is None else float(getattr(r, column))
                for r in progress.sessions
            ]
        )
        ax.set_ylabel(unit)
        base = progress.baseline[column]
        now = progress.latest[column]
        head = title
        if now is not None and base is not None:
            head += f" — latest {ROLLING_DAYS} days {now:.2f} vs baseline {base:.2f}"
        ax.set_title(head, loc="left")
        if np.all(np.isnan(values)):
            ax.text(
                0.5,
                0.5,
                "not measured (needs a heart-rate strap)",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=COLORS["muted"],
            )
            continue
        ax.plot(session_days, values, "o", ms=3.5, color=COLORS["session"], label="session")
        ax.plot(
            days,
            _rolling_by_day(progress, values),
            "-",
            lw=1.8,
            color=COLORS["trend"],
            label=f"{ROLLING_DAYS}-day mean",
        )
        if base is not None:
            ax.axhline(base, ls="--", lw=1.0, color=COLORS["baseline"], label="your baseline")
        if target is not None:
            targets = np.asarray(
                [
                    np.nan if getattr(r, target) is None else float(getattr(r, target))
                    for r in progress.sessions
                ]
            )
            if not np.all(np.isnan(targets)):
                ax.plot(
                    session_days,
                    targets,
                    "_",
                    ms=9,
                    mew=1.5,
                    color=COLORS["target"],
                    label="target",
                )
        if ax is axes[1]:  # one legend serves every trend panel
            ax.legend(
                loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=4, fontsize=7, frameon=False
            )
    axes[-1].xaxis.set_major_locator(WeekdayLocator(byweekday=0))  # type: ignore[no-untyped-call]
    axes[-1].xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes[-1].set_xlabel("date (weeks start on Monday)")
    fig.suptitle("Breathwise — progress", x=0.02, ha="left", fontsize=14, fontweight="bold")
    return fig


def _rolling_by_day(progress: Progress, values: np.ndarray) -> np.ndarray:
    """Mean of the session values in the ``ROLLING_DAYS`` days ending on each day (NaN if none)."""
    day_index = {d: k for k, d in enumerate(progress.days)}
    sums = np.zeros(len(progress.days))
    counts = np.zeros(len(progress.days))
    for row, value in zip(progress.sessions, values, strict=True):
        if np.isfinite(value):
            k = day_index[local_date(row.start_wall_ns)]
            sums[k] += value
            counts[k] += 1
    kernel = np.ones(ROLLING_DAYS)
    s = np.convolve(sums, kernel)[: len(sums)]
    c = np.convolve(counts, kernel)[: len(counts)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / np.maximum(c, 1), np.nan)


def write_progress(progress: Progress, output: Path) -> Path:
    """Render :func:`progress_figure` to ``output`` (format from the suffix: .png, .pdf, .svg)."""
    from trainer.report import save_figure

    return save_figure(progress_figure(progress), output)
