"""Progress over days and weeks, from the session history, against the person's own baseline.

What is shown (the project's requirement, its tracker's issue 6): minutes practised per day and
streaks; breath rate and exhale:inhale ratio achieved (with the targets); resting heart rate at
session start; RMSSD; RSA; coherence. Each trend is drawn per session with a 7-day rolling mean,
against a *personal* baseline: the median of the person's first :data:`BASELINE_SESSIONS` sessions
in the whole history (not only the period shown), because population norms of HRV span a factor of
five between healthy adults (Nunan et al. 2010, Pacing Clin Electrophysiol 33:1407) while a person's
own change is what practice can move.

Trends compare like with like: a *practice* is one program at one pace (:func:`practice_of`),
and each practice's sessions are compared with that practice's own first sessions, never with
another's. Breath rate in a paced session is the pacer's rate, and RSA, RMSSD and coherence
depend strongly on the breath rate (at 5-6 breaths/min the breathing peak moves into the LF
band and RSA is largest; reference/physiology.md): a baseline and a recent mean of a mix of
programs only showed which programs were done when (without this, relaxation-response at 11.9/min
own rhythm, deep-breathing at 5.1/min and a body scan at 6.0/min as the baseline, against a week
of both, printed "Breath rate 7.8, baseline 6.0 (+1.8)" and "Coherence -0.9"). The program
alone is not enough: one program's pace differs between sessions (resonance-training paces at
the rate the last assessment stored, a shortened spine scan never reaches its slow steps), and
the pace alone is not either (a stretch routine and a body scan at 6/min are not the same
exercise; own-rhythm sessions differ by program). Both are in every history row (``program``
and ``target_rate_bpm``, since schema v1), so rows of any age are grouped without a schema
change.

Practice time is the person's whatever measured it: sessions on the simulated sensor and
without a sensor count in the minutes and streaks (the person breathed along);
only their *measurements* are not the person's, so simulated sessions are left out of the trends
unless asked for (``include_simulated``), and then marked, and sensorless ones have none.

Days are local calendar days. A session's minutes are shared between the days it covers
(:func:`day_minutes`: one from 23:57 to 00:12 puts 3 min on its start day and 12 on the next), so
a day never holds more than its 1440 minutes. A streak counts the days a session *started* on
(:func:`streak_days`): one evening session that runs past midnight does not also practise the
next day. ``--since DAY`` keeps a session that started the evening before and ran past DAY's
midnight, with its minutes from DAY on (:func:`in_period`), so a day's minutes do not depend on
where the period shown begins; its numbers are of the whole session and stay with its start,
before the period, so it is in the minutes and the count of sessions, not in the trends.
A session counts only from :data:`MIN_PRACTISED_MIN` minutes practised: a start abandoned after
a few seconds is not practice (it is left out, and the summary says how many were). A session
whose start cannot be right (in the future, or before 2000: a device's wrong clock, a wrong
import ``--start``; :func:`trainer.storage.history.implausible_start`) is left out too, so that one
such date does not stretch the time axis to 2262 or make itself the baseline; ``breathwise
history`` names them.
"""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from analysis.hrv_report import MAX_RELIABLE_ARTIFACT_PCT, MIN_HRV_BEATS_S
from trainer.session.sensor_label import (
    SIMULATED_MARK,
    SIMULATED_NOTE,
    is_sensorless,
    is_simulated,
)
from trainer.storage.history import SessionRow, implausible_start

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BASELINE_SESSIONS = 3
"""Sessions (the first ones in the history) whose median is the personal baseline."""
ROLLING_DAYS = 7
"""Window of the rolling mean drawn through each trend (days)."""
MIN_PRACTISED_MIN = 1.0
"""Shortest practice that counts as a session (minutes, pauses left out).

A start abandoned after a few seconds (wrong sensor, checking the sound) is not practice:
counted, it kept a streak alive with nothing done and showed as "1 session, 0.0 min". One
minute is about six breaths at the usual 6/min pace, the least from which a breath rate or heart
rate means anything; any real attempt at the exercise lasts longer.
"""

TRENDS: tuple[tuple[str, str, str, str | None], ...] = (
    ("median_rate_bpm", "Breath rate", "breaths/min", "target_rate_bpm"),
    ("mean_ratio", "Exhale:inhale ratio", "ratio", "target_ratio"),
    ("hr_start_bpm", "Resting heart rate (first minute)", "beats/min", None),
    ("rmssd_ms", "RMSSD", "ms", None),
    ("rsa_bpm", "RSA (peak-to-trough per breath)", "beats/min", None),
    ("coherence_score", "Coherence (score 0-10)", "score", None),
)
"""History column, panel title, unit (the y axis's label), and the column holding the target
(if any)."""

NAMED_BY_TITLE = frozenset({"mean_ratio", "coherence_score"})
"""Trends whose unit the text line leaves out: their title names it ("Exhale:inhale ratio: 1.38
ratio" said it twice)."""

DIGITS: dict[str, int] = {
    "median_rate_bpm": 1,
    "mean_ratio": 2,
    "hr_start_bpm": 0,
    "rmssd_ms": 0,
    "rsa_bpm": 1,
    "coherence_score": 1,
}
"""Decimals each trend is shown with, as the ``history`` table shows it: more would show the
noise of one session as a change (65.93 beats/min)."""

MIN_SPAN: dict[str, float] = {
    "median_rate_bpm": 2.0,
    "mean_ratio": 0.5,
    "hr_start_bpm": 10.0,
    "rmssd_ms": 20.0,
    "rsa_bpm": 4.0,
    "coherence_score": 2.0,
}
"""Least height of each trend panel's y axis (its unit): autoscaled, a panel of sessions all
at 6.0/min spanned 5.99-6.02 and drew rounding noise as a trend. Each is about the change that
means something: a breath per minute either side, a quarter of the ratio, 5 bpm of heart rate,
10 ms of RMSSD (its day-to-day variation in one person, Nunan et al. 2010), 2 bpm of RSA, a
point of coherence score."""

HEART_TRENDS = frozenset({"rmssd_ms", "rsa_bpm", "coherence_score"})
"""Trends left out for a session whose beats needed too much correction
(:attr:`trainer.storage.history.SessionRow.heart_unreliable`): HRV, RSA and coherence, which the
report calls unreliable then. Its minutes, breathing and heart rate still count."""

Needs = Literal["breaths", "breathing", "heart"]
NEEDS: dict[str, Needs] = {
    "median_rate_bpm": "breathing",
    "mean_ratio": "breaths",
    "hr_start_bpm": "heart",
    "rmssd_ms": "heart",
    "rsa_bpm": "heart",
    "coherence_score": "heart",
}
"""What each trend is measured from: ``"breaths"`` breath by breath (a belt or a chest sensor's
accelerometer; the heart rhythm gives the rate but no inhale/exhale split), ``"breathing"``
any breathing source (those, or the heart rhythm of a strap), ``"heart"`` a heart-rate strap."""
NEEDS_TEXT: dict[Needs, str] = {
    "breaths": "needs a breathing belt or a chest sensor's accelerometer",
    "breathing": "needs a breathing belt, a chest sensor or a heart-rate strap",
    "heart": "needs a heart-rate strap",
}

PACE_STEP_BPM = 0.5
"""Width of a pace class (breaths/min): sessions whose pacer targets round to the same multiple
of it are at one pace. The resonance protocol steps its rates by 0.5/min (Lehrer; Shaffer &
Meehan 2020, reference/physiology.md) because RSA and coherence change across such a step, so a
coarser class would mix rates whose heart numbers differ, and a finer one would split the same
exercise by the rounding of a median target (5.25 from two steps' breaths)."""
OWN_RHYTHM = "own rhythm"
"""The pace of a session with no pacer target: a program's own-rhythm steps, an import."""
NO_PROGRAM = "no program"
"""The program of a session run without one (``live --rate``) or imported."""
MIN_COMPARED_SESSIONS = BASELINE_SESSIONS + 1
"""Measured sessions of a practice (in the whole history) from which its trend is shown: its
first :data:`BASELINE_SESSIONS` make the baseline, and a trend needs one after them. From two
sessions on, the text printed "Breath rate: 11.8 breaths/min, baseline 11.8 (+0.0)": a baseline
compared with itself, every measure "no change" for the whole first week."""


def pace_class(row: SessionRow) -> float | None:
    """The pace a session was asked, breaths/min, to :data:`PACE_STEP_BPM`; None at own rhythm.

    From the row's ``target_rate_bpm``, the median of the pacer rates of the very breaths its
    rate is the median of (:func:`trainer.session.pipeline.session_target_rate`): None when no
    breath was paced. Rounded half up (5.25 -> 5.5).
    """
    target = row.target_rate_bpm
    if target is None or not math.isfinite(target) or target <= 0.0:
        return None
    return math.floor(target / PACE_STEP_BPM + 0.5) * PACE_STEP_BPM


def practice_of(row: SessionRow) -> tuple[str, float | None]:
    """A session's practice: its program (``""`` for none) and :func:`pace_class`."""
    return row.program, pace_class(row)


def practice_label(program: str, pace_bpm: float | None) -> str:
    """``relaxation-response, own rhythm``, ``deep-breathing-4-8, paced 5/min``."""
    pace = OWN_RHYTHM if pace_bpm is None else f"paced {pace_bpm:g}/min"
    return f"{program or NO_PROGRAM}, {pace}"


def is_measured(row: SessionRow, include_simulated: bool) -> bool:
    """Whether a session's numbers belong in the trends: measured on a sensor (not
    ``--device none``), and not on the simulated person unless ``include_simulated``."""
    if is_sensorless(row.source):
        return False
    return include_simulated or not is_simulated(row.source)


def local_date(wall_ns: int) -> date:
    """The local calendar day of a Unix-ns wall time."""
    t = time.localtime(wall_ns / 1e9)
    return date(t.tm_year, t.tm_mon, t.tm_mday)


def end_wall_ns(row: SessionRow) -> int:
    """Unix ns of a session's end: its start plus its duration (pauses in); its start when the
    duration is not a positive number."""
    duration_s = row.duration_s
    if not math.isfinite(duration_s) or duration_s <= 0.0:
        return row.start_wall_ns
    return row.start_wall_ns + round(duration_s * 1e9)


def in_period(row: SessionRow, since: date | None) -> bool:
    """Whether a session has time on or after ``since`` (every session when None): it started
    then, or it ends after ``since``'s local midnight (its part from then on counts).

    By start and end against that midnight in Unix ns, so that a start no calendar can hold (a
    wrong clock's year 2262) is placed too: every count the progress summary shows (sessions
    left out, impossible dates, simulated sessions) is of the period shown. By the start alone,
    a session of 23:57-00:12 was 12.6 min on the next day without ``--since`` and 0.0 min with
    ``--since`` that day.
    """
    if since is None:
        return True
    since_ns = _wall_ns(since)
    return row.start_wall_ns >= since_ns or end_wall_ns(row) > since_ns


def started_in_period(row: SessionRow, since: date | None) -> bool:
    """Whether a session started on or after ``since``'s local midnight (every one when None).

    The trends' test: a session's numbers are of the whole session and drawn at its start, so
    one that started before the period (:func:`in_period` keeps it for its minutes) is not in
    them.
    """
    return since is None or row.start_wall_ns >= _wall_ns(since)


@dataclass(frozen=True, slots=True)
class Practice:
    """The trend of one practice (a program at one pace, :func:`practice_of`) in a period.

    Attributes
    ----------
    program : str
        The program (``""`` for none).
    pace_bpm : float or None
        The pace class (:func:`pace_class`), breaths/min; None at own rhythm.
    sessions : tuple of SessionRow
        Its measured sessions in the period (:func:`is_measured`), in start order.
    total_sessions : int
        Its measured sessions in the whole history (the period shown or not).
    baseline : dict
        Per trend column, the median of its first :data:`BASELINE_SESSIONS` sessions of the
        whole history that have the value (None if none has).
    latest : dict
        Per trend column, the mean over the :data:`ROLLING_DAYS` days up to its latest session
        in the period (fewer when the period shown begins later: ``window``) of its sessions
        after those the baseline is of (None if none has the value).
    window : tuple of date
        First and last day :attr:`latest` averages over.
    latest_label : str
        What :attr:`latest` averages, in words: "latest 7 days", "latest 2 days" (the period
        shown began later), or the days it ended on when the practice was last done before the
        end of the period ("7 days to 03 Dec 2026").
    """

    program: str
    pace_bpm: float | None
    sessions: tuple[SessionRow, ...]
    total_sessions: int
    baseline: dict[str, float | None]
    latest: dict[str, float | None]
    window: tuple[date, date]
    latest_label: str

    @property
    def label(self) -> str:
        """:func:`practice_label` of the practice."""
        return practice_label(self.program, self.pace_bpm)

    @property
    def compared(self) -> bool:
        """Whether it has the :data:`MIN_COMPARED_SESSIONS` sessions a trend needs."""
        return self.total_sessions >= MIN_COMPARED_SESSIONS

    @property
    def simulated(self) -> int:
        """Its sessions in the period measured on the simulated sensor."""
        return sum(1 for r in self.sessions if is_simulated(r.source))


@dataclass(frozen=True, slots=True)
class Progress:
    """Practice in a period, and the trend of each practice against its own baseline.

    Attributes
    ----------
    sessions : tuple of SessionRow
        Sessions in the period that count (at least :data:`MIN_PRACTISED_MIN` practised), in
        start order: on a sensor, the simulated one or none alike (practice is practice). One
        that started before the period and ran past its first midnight is among them
        (:func:`in_period`).
    days : tuple of date
        Every calendar day from the period's first day to ``today`` (or the last session).
    minutes_per_day : tuple of float
        Minutes practised on each of ``days`` (a session's shares, :func:`day_minutes`).
    current_streak_days, longest_streak_days : int
        Consecutive days a session started on (:func:`streak_days`): ending today (or
        yesterday, since today is not over), and the longest run, over the whole history (the
        period shown does not cut a streak).
    practices : tuple of Practice
        Each practice with measured sessions in the period, the most done first.
    left_out : int
        Sessions in the period shorter than :data:`MIN_PRACTISED_MIN`, not counted anywhere.
    off_axis : int
        Sessions in the period whose start cannot be right
        (:func:`trainer.storage.history.implausible_start`), not counted anywhere: their date would
        place them nowhere sensible on the time axis.
    unreliable : int
        Sessions in the trends whose RMSSD, RSA and coherence were left out
        (:data:`HEART_TRENDS`).
    simulated : int
        Sessions in the period on the simulated sensor (counted in the minutes and streaks).
    include_simulated : bool
        Whether those are in the trends too.
    program : str or None
        The one program shown (``progress --program``), or None for all.
    since : date or None
        The first day asked for (``progress --since``), or None for all.
    """

    sessions: tuple[SessionRow, ...]
    days: tuple[date, ...]
    minutes_per_day: tuple[float, ...]
    current_streak_days: int
    longest_streak_days: int
    practices: tuple[Practice, ...] = ()
    left_out: int = 0
    off_axis: int = 0
    unreliable: int = 0
    simulated: int = 0
    include_simulated: bool = False
    program: str | None = None
    since: date | None = None

    @property
    def total_minutes(self) -> float:
        """Minutes practised in the period."""
        return float(sum(self.minutes_per_day))

    @property
    def compared(self) -> tuple[Practice, ...]:
        """The practices with a trend (:attr:`Practice.compared`)."""
        return tuple(p for p in self.practices if p.compared)

    @property
    def simulated_in_trends(self) -> int:
        """Sessions in the trends measured on the simulated sensor (0 unless
        ``include_simulated``)."""
        return sum(p.simulated for p in self.practices)

    @property
    def measured(self) -> tuple[SessionRow, ...]:
        """The sessions of the period in the trends, in start order: measured
        (:func:`is_measured`) and started in the period (:func:`started_in_period`)."""
        return tuple(
            r
            for r in self.sessions
            if is_measured(r, self.include_simulated) and started_in_period(r, self.since)
        )

    @property
    def started_before(self) -> int:
        """Sessions that started before the period and count in it with their part from its
        first midnight on (minutes, sessions), not in the trends."""
        return sum(1 for r in self.sessions if not started_in_period(r, self.since))


def _window_label(first: date, last: date, last_shown: date) -> str:
    """ "latest 7 days", "latest 2 days", or "7 days to 03 Dec 2026" when ``last`` is before
    the last day shown (after a break "latest" would mislead)."""
    span = _count((last - first).days + 1, "day")
    if last >= last_shown:
        return f"latest {span}"
    return f"{span} to {last:%d %b %Y}"


def trend_value(row: SessionRow, column: str) -> float | None:
    """A session's value of a trend column; None when not measured or not to be trusted (an
    HRV, RSA or coherence number of a session with too many corrected beats, see
    :data:`HEART_TRENDS`)."""
    value = getattr(row, column)
    if value is None or not math.isfinite(float(value)):
        return None
    if column in HEART_TRENDS and row.heart_unreliable:
        return None
    return float(value)


def _values(rows: Sequence[SessionRow], column: str) -> list[float]:
    return [v for v in (trend_value(row, column) for row in rows) if v is not None]


def counts_as_practice(row: SessionRow) -> bool:
    """True if ``row`` lasted long enough to count (:data:`MIN_PRACTISED_MIN`, pauses left out)."""
    return row.practised_min >= MIN_PRACTISED_MIN


def compute_progress(
    history: Sequence[SessionRow],
    *,
    since: date | None = None,
    today: date | None = None,
    now_wall_ns: int | None = None,
    include_simulated: bool = False,
    program: str | None = None,
) -> Progress:
    """Daily minutes, streaks, and each practice's baseline and recent means, from the history.

    Sessions shorter than :data:`MIN_PRACTISED_MIN` are left out of everything (sessions,
    minutes, streaks, baselines, trends) and only counted in :attr:`Progress.left_out`. Every
    other session counts in the minutes and streaks; the trends are of the measured ones
    (:func:`is_measured`), each practice (:func:`practice_of`) against its own first sessions.

    Parameters
    ----------
    history : sequence of SessionRow
        The whole history (the baselines always come from its first sessions).
    since : date, optional
        First day shown; the first session's day when omitted. A session that started before
        it and ends after its midnight counts with its minutes from then on (:func:`in_period`)
        but is not in the trends (:func:`started_in_period`).
    today : date, optional
        The day the streak counts back from (the local date now when omitted).
    now_wall_ns : int, optional
        The time now (Unix ns) for :func:`trainer.storage.history.implausible_start`; when omitted,
        the end of ``today`` if given, else the clock.
    include_simulated : bool
        Put sessions on the simulated sensor in the trends too (they count as practice anyway).
    program : str, optional
        Only this program's sessions (minutes, streaks and trends alike).
    """
    if now_wall_ns is None:
        now_wall_ns = time.time_ns() if today is None else _wall_ns(today + timedelta(days=1))
    today = today or date.today()
    if program is not None:
        history = [r for r in history if r.program == program]
    plausible = [implausible_start(r.start_wall_ns, now_wall_ns) is None for r in history]
    off_axis = sum(
        1 for r, ok in zip(history, plausible, strict=True) if not ok and in_period(r, since)
    )
    rows = sorted(
        (r for r, ok in zip(history, plausible, strict=True) if ok),
        key=lambda r: (r.start_wall_ns, r.session_key),
    )
    period = [r for r in rows if in_period(r, since)]
    left_out = sum(1 for r in period if not counts_as_practice(r))
    rows = [r for r in rows if counts_as_practice(r)]
    shown = tuple(r for r in period if counts_as_practice(r))
    simulated = sum(1 for r in shown if is_simulated(r.source))
    if not shown:
        return Progress(
            (),
            (),
            (),
            0,
            0,
            left_out=left_out,
            off_axis=off_axis,
            include_simulated=include_simulated,
            program=program,
            since=since,
        )
    # Keyed by the row itself (rows of hand-made or merged histories may share a key).
    shares = {id(r): day_minutes(r) for r in rows}
    first_day = since or local_date(shown[0].start_wall_ns)
    # To the last day a session covers: a 35 h import ends the day after it starts.
    last_day = max(today, max(shares[id(r)][-1][0] for r in shown))
    days = tuple(first_day + timedelta(days=k) for k in range((last_day - first_day).days + 1))
    minutes = dict.fromkeys(days, 0.0)
    for row in shown:
        for day, share in shares[id(row)]:
            # A session that started before the period: only its part from the first day on.
            if day in minutes:
                minutes[day] += share
    per_day = tuple(minutes[d] for d in days)
    # A streak is about the practice, not the period shown: --since must not cut it.
    current, longest = _streaks(streak_days(rows), today)
    practices = _practices(
        [r for r in rows if is_measured(r, include_simulated)],
        {id(r) for r in shown if started_in_period(r, since)},
        since,
        days[-1],
    )
    unreliable = sum(
        1
        for p in practices
        for r in p.sessions
        if r.heart_unreliable and any(getattr(r, c) for c in HEART_TRENDS)
    )
    return Progress(
        shown,
        days,
        per_day,
        current,
        longest,
        practices,
        left_out,
        off_axis,
        unreliable,
        simulated,
        include_simulated,
        program,
        since,
    )


def _practices(
    measured: Sequence[SessionRow], shown: set[int], since: date | None, last_shown: date
) -> tuple[Practice, ...]:
    """Each practice of ``measured`` (the whole history's, in start order) with a session in
    the period (``id`` in ``shown``), the most done in the period first, then the latest done.

    Its baseline is of its first sessions in the whole history; its recent mean of the
    :data:`ROLLING_DAYS` days up to its own latest session in the period (so a practice not
    done this week keeps a trend, its label naming the days), from ``since`` on.
    """
    groups: dict[tuple[str, float | None], list[SessionRow]] = {}
    for row in measured:
        groups.setdefault(practice_of(row), []).append(row)
    practices: list[Practice] = []
    for (program, pace), members in groups.items():
        in_view = tuple(r for r in members if id(r) in shown)
        if not in_view:
            continue
        last = local_date(in_view[-1].start_wall_ns)
        recent_from = last - timedelta(days=ROLLING_DAYS - 1)
        if since is not None:
            recent_from = max(recent_from, since)
        recent = [r for r in in_view if local_date(r.start_wall_ns) >= recent_from]
        baseline: dict[str, float | None] = {}
        latest: dict[str, float | None] = {}
        for column, _, _, _ in TRENDS:
            first = [r for r in members if trend_value(r, column) is not None][:BASELINE_SESSIONS]
            baseline[column] = float(np.median(_values(first, column))) if first else None
            # Not the baseline's own sessions: in a first week they made "recent" too, and the
            # trend was diluted by (or, up to three sessions, all of) the baseline itself.
            after = [r for r in recent if not any(r is f for f in first)]
            values = _values(after, column)
            latest[column] = float(np.mean(values)) if values else None
        practices.append(
            Practice(
                program,
                pace,
                in_view,
                len(members),
                baseline,
                latest,
                (recent_from, last),
                _window_label(recent_from, last, last_shown),
            )
        )
    practices.sort(key=lambda p: (-len(p.sessions), -p.sessions[-1].start_wall_ns, p.label))
    return tuple(practices)


MAX_SPLIT_DAYS = 32
"""Most local days one session's minutes are spread over: a recording spans at most 31 days
(the reader and ``import`` refuse longer ones), so only a damaged history row reaches it; its
span is cut there, its minutes kept."""


def day_minutes(row: SessionRow) -> list[tuple[date, float]]:
    """A session's minutes practised on each local day it covers, from its start day on.

    The wall-clock span from its start over its duration is cut at each local midnight, and
    its minutes practised (pauses left out) are shared in proportion to each day's part of
    the span: where in the span the pauses fell is not in the history, so each day gets its
    share of them. A 35 h import from 08:00 was 2125 min on its start day, more than the
    1440 a day has; now it is 960 and 1165 min over two days. The shares
    add up to :attr:`SessionRow.practised_min` (to float rounding).
    """
    start_ns = row.start_wall_ns
    day = local_date(start_ns)
    practised = row.practised_min
    limit_ns = _wall_ns(day + timedelta(days=MAX_SPLIT_DAYS))
    end_ns = min(end_wall_ns(row), limit_ns)
    if end_ns <= start_ns:
        return [(day, practised)]
    span_ns = end_ns - start_ns
    shares: list[tuple[date, float]] = []
    from_ns = start_ns
    while from_ns < end_ns:
        next_day = day + timedelta(days=1)
        to_ns = min(end_ns, _wall_ns(next_day))
        shares.append((day, practised * (to_ns - from_ns) / span_ns))
        day, from_ns = next_day, to_ns
    return shares


def streak_days(rows: Sequence[SessionRow]) -> set[date]:
    """The days that count in a streak: the local days a session of ``rows`` started on.

    ``rows`` are the sessions that count (:func:`counts_as_practice`). A session's minutes are
    shared with the days it runs into (:func:`day_minutes`), but only its start day is a day
    practised: a day also counted when it held a minute of a session from the evening before,
    so for someone who practises every evening one 23:57-00:12 session was a 2-day streak and
    the next evening could be skipped without breaking it.
    """
    return {local_date(r.start_wall_ns) for r in rows}


def _streaks(practised: set[date], today: date) -> tuple[int, int]:
    """The current streak (ending today, or yesterday since today is not over) and the
    longest, in days, of the days with practice."""
    longest = run = 0
    previous: date | None = None
    for day in sorted(practised):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    current = 0
    day = today if today in practised else today - timedelta(days=1)
    while day in practised:
        current += 1
        day -= timedelta(days=1)
    return current, longest


def _wall_ns(day: date) -> int:
    """Unix ns of ``day``'s local midnight."""
    return int(_midnight(day).timestamp()) * 1_000_000_000


def _count(n: int, noun: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _left_out_note(progress: Progress) -> str:
    """``1 session under 1 min left out``, ``1 session with an impossible start date left out,
    see 'breathwise history'``, both (joined by ``; ``), or empty when none was."""
    notes = []
    if progress.left_out:
        notes.append(
            f"{_count(progress.left_out, 'session')} under {MIN_PRACTISED_MIN:g} min left out"
        )
    if progress.off_axis:
        notes.append(_off_axis_note(progress))
    return "; ".join(notes)


def _off_axis_note(progress: Progress) -> str:
    return (
        f"{_count(progress.off_axis, 'session')} with an impossible start date left out, "
        "see 'breathwise history'"
    )


def summary_lines(progress: Progress) -> list[str]:
    """A few plain lines for the terminal: practice, streaks, each practice's trends against
    its own baseline (:func:`trend_lines`), the minutes per day."""
    note = _left_out_note(progress)
    of = f" of {progress.program}" if progress.program is not None else ""
    if not progress.sessions:
        return [f"No sessions{of} in this period yet" + (f" ({note})." if note else ".")]
    before = progress.started_before
    # Said, so that the count and the trends' sessions can be told apart (see in_period).
    carried = (
        f" ({before} of them started before {progress.since:%d %b %Y})"
        if before and progress.since is not None
        else ""
    )
    lines = [
        f"{_count(len(progress.sessions), 'session')}{of}{carried}, "
        f"{total_minutes_text(progress)} min practised "
        f"from {progress.days[0]:%d %b %Y} to {progress.days[-1]:%d %b %Y}"
        + (f" ({note})" if note else ""),
        f"streak: {_count(progress.current_streak_days, 'day')} now, longest "
        f"{_count(progress.longest_streak_days, 'day')}",
        *trend_lines(progress),
    ]
    if progress.unreliable:
        lines.append(
            f"{_count(progress.unreliable, 'session')} with over {MAX_RELIABLE_ARTIFACT_PCT:g} % "
            f"of beats corrected or under {MIN_HRV_BEATS_S:.0f} s of beats left out of RMSSD, "
            "RSA and coherence (minutes still count)"
        )
    return lines + minutes_table(progress)


def simulated_mark_line(progress: Progress) -> str:
    """``SIMULATED SENSOR: 8 sessions in the trends ...``, or ``""`` when none is."""
    n = progress.simulated_in_trends
    if not n:
        return ""
    of = "" if n == len(progress.measured) else f" of the {len(progress.measured)}"
    return (
        f"{SIMULATED_MARK}: {n}{of} {'session' if n == 1 else 'sessions'} in the trends: "
        f"{SIMULATED_NOTE}"
    )


def simulated_note(progress: Progress) -> str:
    """Why sessions on the simulated sensor are not in the trends, or ``""`` when none was
    left out: they count as practice, their numbers are not the person's."""
    n = progress.simulated
    if not n or progress.include_simulated:
        return ""
    return (
        f"{_count(n, 'simulated-sensor session')} counted as practice (minutes, streak) and "
        "left out of the trends: their numbers are not yours (--include-simulated shows them)"
    )


def trend_lines(progress: Progress) -> list[str]:
    """Each practice's trends as text: a heading per practice with a trend, its measures
    against its own baseline, then the practices without a trend yet, in one line.

    Sessions of different practices are never averaged together (see the module notes), and
    the heading says what each line compares.
    """
    if not progress.practices:
        return [f"trends: none, {_why_no_trends(progress)}"]
    lines = []
    mark = simulated_mark_line(progress)
    if mark:
        lines.append(mark)
    compared = progress.compared
    several = len(progress.practices) > 1
    if compared:
        lines.append(
            "trends, each practice (a program at one pace) against its own first sessions"
            + (", never mixed:" if several else ":")
        )
    for practice in compared:
        lines.append(
            f"{practice.label}: {_count(len(practice.sessions), 'session')}"
            f"{_simulated_of(practice)}, mean of {practice.latest_label}:"
        )
        measures = 0
        for column, title, unit, _ in TRENDS:
            base, now = practice.baseline[column], practice.latest[column]
            if now is None:
                continue
            measures += 1
            d = DIGITS[column]
            shown = "" if column in NAMED_BY_TITLE else f" {unit}"
            text = f"  {title}: {now:.{d}f}{shown}"
            if base is not None:
                # The difference of the numbers as printed ("5.8, baseline 6.0 (-0.1)" from
                # 5.84 and 5.96 read as a sum gone wrong); + 0.0: +0, not -0.
                change = round(round(now, d) - round(base, d), d) + 0.0
                text += f", baseline {base:.{d}f} ({change:+.{d}f})"
            lines.append(text)
        if not measures:
            lines.append("  not enough data yet (sessions too short, or the signal too poor)")
    if compared:
        whose = "each practice" if len(compared) > 1 else "the practice"
        line = f"baseline: median of the first {BASELINE_SESSIONS} sessions of {whose}"
        # Several programs make a long list: say how to see one alone.
        if len({p.program for p in progress.practices}) > 1:
            line += " (--program NAME shows one program alone)"
        lines.append(line)
    early = [p for p in progress.practices if not p.compared]
    if early:
        lines.append(
            f"no trend yet (the first {BASELINE_SESSIONS} sessions of a practice make its "
            "baseline): "
            + "; ".join(f"{p.label} ({_count(p.total_sessions, 'session')})" for p in early)
        )
    return lines


def _simulated_of(practice: Practice) -> str:
    """`` (SIMULATED SENSOR)`` when all its sessions shown are, `` (1 of them SIMULATED
    SENSOR)`` when some are, else ``""``."""
    simulated = practice.simulated
    if not simulated:
        return ""
    if simulated == len(practice.sessions):
        return f" ({SIMULATED_MARK})"
    return f" ({simulated} of them {SIMULATED_MARK})"


def _why_no_trends(progress: Progress) -> str:
    """Why no session of the period is in the trends: simulated, without a sensor, or both."""
    reasons = []
    if progress.simulated and not progress.include_simulated:
        reasons.append(
            f"{_count(progress.simulated, 'session')} on the simulated sensor: "
            "--include-simulated shows them"
        )
    sensorless = sum(1 for r in progress.sessions if is_sensorless(r.source))
    if sensorless:
        reasons.append(f"{_count(sensorless, 'session')} without a sensor")
    before = sum(
        1
        for r in progress.sessions
        if is_measured(r, progress.include_simulated) and not started_in_period(r, progress.since)
    )
    if before and progress.since is not None:
        # In the minutes (its part from the first day on), its numbers with the day it started.
        reasons.append(
            f"{_count(before, 'session')} started before {progress.since:%d %b %Y}: "
            "its numbers are of that day"
        )
    return "nothing in this period was measured on you" + (
        f" ({'; '.join(reasons)})" if reasons else ""
    )


MINUTES_TABLE_DAYS = 31
"""Longest period whose minutes the text lists day by day; longer ones are listed by week."""


EMPTY_WEEKS_LINE = 3
"""Shortest run of weeks without practice that the weekly table says in one line: one import
of a years-old recording printed 153 rows of 0.0, and the trends scrolled away (found in
review). Shorter runs keep their rows, where a missed week or two shows at a glance."""


def minutes_table(progress: Progress) -> list[str]:
    """Minutes practised per day of the period (per week, Monday on, past
    :data:`MINUTES_TABLE_DAYS` days), as lines of text: what the figure's top panel draws.

    A run of :data:`EMPTY_WEEKS_LINE` or more weeks without practice is one line, ``N weeks
    without practice (weeks of FIRST to LAST)``; days are always listed one by one.
    """
    if not progress.days:
        return []
    head, rows = _minutes_rows(progress)
    lines = [head]
    empty: list[str] = []

    def say_empty() -> None:
        if len(empty) >= EMPTY_WEEKS_LINE:
            first, last = (label.removeprefix("week of ") for label in (empty[0], empty[-1]))
            lines.append(f"  {len(empty)} weeks without practice (weeks of {first} to {last})")
        else:
            lines.extend(f"  {label}  {0.0:5.1f}" for label in empty)
        empty.clear()

    weekly = len(progress.days) > MINUTES_TABLE_DAYS  # as _minutes_rows decides
    for label, m in rows:
        if weekly and round(m, 1) == 0.0:
            empty.append(label)
            continue
        say_empty()
        lines.append(f"  {label}  {m:5.1f}")
    say_empty()
    return lines


def total_minutes_text(progress: Progress) -> str:
    """The minutes practised in the period as the text and the figure give them: the sum of the
    minutes table's rows as it prints them, in tenths.

    Whole minutes, rounded half to even, said "12 min" above days of 2.0, 2.0 and 8.5 and
    "36 min" above a table summing to 35.5; rounded from the exact total, the
    tenths could still differ by one from the rows a person adds up (2.04 + 2.04 printed 2.0 and
    2.0, total 4.1).
    """
    rows = _minutes_rows(progress)[1] if progress.days else []
    return f"{sum(round(m, 1) for _, m in rows):.1f}"


def _minutes_rows(progress: Progress) -> tuple[str, list[tuple[str, float]]]:
    """The minutes table's heading and its rows (label, minutes): per day, or per week."""
    if len(progress.days) <= MINUTES_TABLE_DAYS:
        rows = [
            (f"{d:%a %d %b}", m)
            for d, m in zip(progress.days, progress.minutes_per_day, strict=True)
        ]
        head = "minutes per day:"
    else:
        weeks: dict[date, float] = {}
        for d, m in zip(progress.days, progress.minutes_per_day, strict=True):
            monday = max(d - timedelta(days=d.weekday()), progress.days[0])
            weeks[monday] = weeks.get(monday, 0.0) + m
        rows = [(f"week of {d:%d %b %Y}", m) for d, m in weeks.items()]
        head = "minutes per week:"
    return head, rows


def missing_reason(sessions: Sequence[SessionRow], column: str) -> str:
    """Why no session shown has a value of ``column``: which sensor it needs, or too little data.

    A session with heartbeats had a strap; one with breath-by-breath breaths (or a belt or chest
    breath source) had a belt or chest sensor. When the sessions had the sensor the trend needs,
    or show no sensor data at all (too short to tell), the data is what is missing.
    """
    heart = any(r.beats > 0 for r in sessions)
    breaths = any(r.breaths > 0 or r.breath_source in ("belt", "acc") for r in sessions)
    need = NEEDS[column]
    have = {"breaths": breaths, "breathing": breaths or heart, "heart": heart}[need]
    if have or not (heart or breaths):
        return "not enough data yet (sessions too short, or the signal too poor)"
    return f"not measured ({NEEDS_TEXT[need]})"


PANEL_NOTE_CHARS = 80
"""Longest line of the note an empty trend panel shows (characters): a longer one ran off both
edges of the page."""
PRACTICE_COLORS = ("#1F3B57", "#B23A48", "#E8965A", "#6A4C93", "#4C8BC9", "#8E6C1D")
"""The colour of each practice with a trend in the figure, the most done first: six, more than
a week of varied practice needs; further ones are drawn grey with those without a trend yet
(the text lists them all). None is the targets' green."""


def progress_figure(progress: Progress) -> Figure:
    """Draw the trends: a matplotlib Figure (Agg), A4 portrait, one panel per trend.

    The top panel shows minutes practised as bars (per day, or per week or month when a day
    would be too thin to see) with the streaks in its title, every session counted; each trend
    panel shows, per practice with a trend (:attr:`Progress.compared`), in that practice's
    colour, one dot per session at its start time, the practice's rolling mean (line) and its
    baseline (dashed), with the target where there is one; practices without a trend yet are
    grey hollow dots. Practices are never averaged together. The date axis is fitted to the period
    (:func:`_date_axis`). With simulated sessions in the trends, the title and the foot of
    the page say SIMULATED SENSOR.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from trainer.reports.report import COLORS, MARK_COLOR, apply_style

    apply_style()
    fig = Figure(figsize=(8.27, 11.69), layout="constrained")
    # A row for the key above the panels (its height set once its entries are known): a
    # legend of the figure's own sat over the title once it held the practices' names. Made
    # after the panels, so that the figure's axes are the panels' in order, then the key.
    outer = fig.add_gridspec(2, 1, height_ratios=[0.1, 1.3 + len(TRENDS)])
    panels = outer[1].subgridspec(1 + len(TRENDS), 1, height_ratios=[1.3] + [1.0] * len(TRENDS))
    grid = panels.subplots(sharex=True, squeeze=False)
    assert isinstance(grid, np.ndarray)  # squeeze=False: always the array
    axes = list(grid[:, 0])
    key = fig.add_subplot(outer[0])
    key.axis("off")
    mark = simulated_mark_line(progress)
    foot = [mark] if mark else []
    if progress.off_axis:
        foot.append(_off_axis_note(progress))
    if foot:
        # Below the date axis, where constrained layout makes room for it.
        fig.supxlabel(
            "\n".join(foot),
            fontsize=8,
            color=MARK_COLOR if mark else COLORS["muted"],
            fontweight="bold" if mark else "normal",
        )
    of = f" of {progress.program}" if progress.program is not None else ""
    if not progress.sessions:
        fig.suptitle(f"Breathwise progress{of}: no sessions in this period yet")
        return fig
    xlabel = _date_axis(axes[-1], progress.days)
    width_in = _axis_width_in(axes[0])
    ax = axes[0]
    unit, bins = _minute_bins(progress, width_in)
    lo, hi = _num(progress.days[0]), _num(progress.days[-1] + timedelta(days=1))
    thinnest = MIN_BAR_IN * (hi - lo) / width_in  # days
    centres, widths = [], []
    for b0, b1, _ in bins:
        # 80 % of its days, but never thinner than can be seen (a month cut short by the end
        # of the period), and kept inside the axis so such a bar is not half cut off.
        width = min(max(0.8 * (b1 - b0).days, thinnest), hi - lo)
        middle = (_num(b0) + _num(b1)) / 2
        centres.append(min(max(middle, lo + width / 2), hi - width / 2))
        widths.append(width)
    ax.bar(centres, [m for _, _, m in bins], width=widths, color=COLORS["practice"])
    ax.set_ylabel(f"min / {unit}")
    ax.set_title(
        f"Minutes practised per {unit} — {total_minutes_text(progress)} min in "
        f"{_count(len(progress.sessions), 'session')}; streak "
        f"{_count(progress.current_streak_days, 'day')} "
        f"(longest {_count(progress.longest_streak_days, 'day')})",
        loc="left",
    )
    noons = [datetime(d.year, d.month, d.day, 12) for d in progress.days]
    drawn = progress.compared[: len(PRACTICE_COLORS)]
    grey = [p for p in progress.practices if p not in drawn]
    # The practices in their colours, then what the marks mean (in the order first drawn).
    named: dict[str, Artist] = {}
    legend: dict[str, Artist] = {}
    blank: list[Axes] = []  # trend panels with nothing drawn, only their note
    for ax, (column, title, unit, target) in zip(axes[1:], TRENDS, strict=True):
        ax.set_ylabel(unit)
        ax.set_title(_panel_title(progress, column, title), loc="left")
        plotted = False
        for colour, practice in zip(PRACTICE_COLORS, drawn, strict=False):
            values = _trend_values(practice.sessions, column)
            if np.all(np.isnan(values)):
                continue
            plotted = True
            ax.plot(_starts(practice.sessions), values, "o", ms=3.5, color=colour)
            rolling = _rolling_by_day(progress.days, practice.sessions, values)
            # A line needs two neighbouring days with a value; a lone point draws nothing.
            if np.any(np.isfinite(rolling[1:]) & np.isfinite(rolling[:-1])):
                ax.plot(noons, rolling, "-", lw=1.8, color=colour)
                legend.setdefault(f"{ROLLING_DAYS}-day mean", Line2D([], [], color="black", lw=1.8))
            base = practice.baseline[column]
            if base is not None:
                ax.axhline(base, ls="--", lw=1.0, color=colour)
                legend.setdefault(
                    f"baseline: median of the practice's first {BASELINE_SESSIONS} sessions",
                    Line2D([], [], color="black", ls="--", lw=1.0),
                )
            named.setdefault(_legend_label(practice), _practice_handle(colour))
        for practice in grey:
            values = _trend_values(practice.sessions, column)
            if np.all(np.isnan(values)):
                continue
            plotted = True
            ax.plot(
                _starts(practice.sessions),
                values,
                "o",
                ms=3.5,
                mfc="none",
                color=COLORS["muted"],
            )
            label = (
                f"no trend yet (under {MIN_COMPARED_SESSIONS} sessions)"
                if not practice.compared
                else "more practices (see the text)"
            )
            legend.setdefault(
                label, Line2D([], [], ls="none", marker="o", mfc="none", color=COLORS["muted"])
            )
        if not plotted:
            ax.text(
                0.5,
                0.5,
                # Wrapped: a panel is about 90 characters of this size wide.
                textwrap.fill(
                    missing_reason(progress.measured, column)
                    if progress.practices
                    else _why_no_trends(progress),
                    PANEL_NOTE_CHARS,
                ),
                transform=ax.transAxes,
                ha="center",
                va="center",
                color=COLORS["muted"],
            )
            blank.append(ax)
            continue
        if target is not None:
            rows = [r for p in progress.practices for r in p.sessions]
            targets = np.asarray(
                [np.nan if getattr(r, target) is None else float(getattr(r, target)) for r in rows]
            )
            if not np.all(np.isnan(targets)):
                ax.plot(
                    _starts(rows),
                    targets,
                    "_",
                    ms=9,
                    mew=1.5,
                    color=COLORS["target"],
                    label="target",
                )
                legend.setdefault(
                    "target",
                    Line2D([], [], ls="none", marker="_", ms=9, mew=1.5, color=COLORS["target"]),
                )
        _keep_span(ax, MIN_SPAN[column], 10.0 if column == "coherence_score" else None)
    # One legend serves every trend panel: the practices, in their colours, then what the
    # marks mean; under the title, where no panel title (long after a break) runs into it.
    legend = named | legend
    if legend:
        columns = 2
        key.legend(
            list(legend.values()),
            list(legend),
            loc="center left",
            ncols=columns,
            fontsize=7,
            frameon=False,
            borderaxespad=0.0,
        )
        # About a line of 7 pt text per row of entries, in the panels' height units (a trend
        # panel is 1.0, about 1.3 in of the page): constrained layout makes the rest fit.
        key_rows = -(-len(legend) // columns)
        outer.set_height_ratios([0.12 * key_rows, 1.3 + len(TRENDS)])
    # With no trend drawn at all, the minutes panel carries the dates, under its bars rather
    # than below six notes; otherwise the lowest panel does, as the panels share the axis.
    dates_on = axes[0] if len(blank) == len(TRENDS) else axes[-1]
    for ax in blank:
        _blank_panel(ax, keep_dates=ax is dates_on)
    if dates_on is axes[0]:
        axes[0].tick_params(axis="x", which="both", labelbottom=True)
    dates_on.set_xlabel(xlabel)
    title = f"Breathwise — progress{of}"
    fig.suptitle(
        title + (f" — {SIMULATED_MARK}" if mark else ""),
        x=0.02,
        ha="left",
        fontsize=14,
        fontweight="bold",
        color=MARK_COLOR if mark else "black",
    )
    return fig


def _blank_panel(ax: Axes, *, keep_dates: bool) -> None:
    """Strip a trend panel with nothing drawn to its title and note.

    Left as drawn, each held matplotlib's default 0.0-1.0 y axis, whose ticks and grid read as
    a data scale (six of them on a page with nothing measured on the person).
    The panel that labels the shared date axis keeps it (``keep_dates``).
    """
    ax.set_ylabel("")
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if not keep_dates:
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", which="both", length=0, labelbottom=False)


def _panel_title(progress: Progress, column: str, title: str) -> str:
    """A trend panel's title: with one practice, its recent mean against its baseline (and
    its name); with several, that each is against its own (the text gives the numbers)."""
    if len(progress.practices) > 1:
        return f"{title} — each practice against its own baseline"
    if not progress.compared:
        return title
    practice = progress.compared[0]
    base, now = practice.baseline[column], practice.latest[column]
    if now is None or base is None:
        return f"{title} — {practice.label}"
    d = DIGITS[column]
    return (
        f"{title} — {practice.label}: mean of {practice.latest_label} {now:.{d}f} "
        f"vs baseline {base:.{d}f}"
    )


def _legend_label(practice: Practice) -> str:
    """``relaxation-response, own rhythm: 2 sessions (SIMULATED SENSOR)``, as the text's heading."""
    return f"{practice.label}: {_count(len(practice.sessions), 'session')}{_simulated_of(practice)}"


def _practice_handle(colour: str) -> Artist:
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, marker="o", ms=4, lw=1.8)


def _trend_values(rows: Sequence[SessionRow], column: str) -> np.ndarray:
    """:func:`trend_value` of each row, NaN where None."""
    return np.asarray([np.nan if (v := trend_value(r, column)) is None else v for r in rows])


def _starts(rows: Sequence[SessionRow]) -> list[datetime]:
    """Each session's start as a local datetime (where its dot is drawn)."""
    return [datetime.fromtimestamp(r.start_wall_ns / 1e9) for r in rows]


def _keep_span(ax: Axes, span: float, top: float | None = None) -> None:
    """Widen ``ax``'s y range about its middle to at least ``span`` (see :data:`MIN_SPAN`),
    not above ``top`` (a score's maximum: 10.5 on a 0-10 score reads as possible)."""
    lo, hi = ax.get_ylim()
    if hi - lo < span:
        middle = (lo + hi) / 2
        lo, hi = middle - span / 2, middle + span / 2
        if top is not None and hi > top:
            lo, hi = lo - (hi - top), top
        ax.set_ylim(lo, hi)


LABEL_GAP_IN = 0.15
"""Least blank between two neighbouring tick labels (inches)."""
MIN_BAR_IN = 0.03
"""Thinnest minutes bar drawn (inches, 4.5 px at 150 dpi): thinner ones vanish when rasterised,
so longer periods are binned by week or month instead."""


def _axis_width_in(ax: Axes) -> float:
    """Width of ``ax`` in inches, as laid out before drawing.

    Constrained layout only widens the axes later (smaller margins than the subplot defaults),
    so the estimate errs on the side of fewer labels.
    """
    return float(ax.get_position().width * ax.get_figure().get_figwidth())  # type: ignore[union-attr]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _minute_bins(progress: Progress, width_in: float) -> tuple[str, list[tuple[date, date, float]]]:
    """Minutes per day, or per week (Monday to Sunday) or month when a day is too thin to draw.

    Returns the unit (``"day"``, ``"week"``, ``"month"``) and ``(first day, day after the
    last, minutes)`` per bin, each bin cut to the days shown so its bar sits over them.
    """
    days = progress.days
    per_in = width_in / len(days)  # inches per day
    first, end = days[0], days[-1] + timedelta(days=1)
    unit = "day" if per_in >= MIN_BAR_IN else "week" if 7 * per_in >= MIN_BAR_IN else "month"
    bins: list[tuple[date, date, float]] = []
    for day, minutes in zip(days, progress.minutes_per_day, strict=True):
        if unit == "day":
            start, stop = day, day + timedelta(days=1)
        elif unit == "week":
            start = day - timedelta(days=day.weekday())
            stop = start + timedelta(days=7)
        else:
            start = day.replace(day=1)
            stop = _next_month(start)
        start, stop = max(start, first), min(stop, end)
        if bins and bins[-1][0] == start:
            bins[-1] = (start, stop, bins[-1][2] + minutes)
        else:
            bins.append((start, stop, minutes))
    return unit, bins


def _label_width_in(label: str) -> float:
    """Width of ``label`` as an x tick label (inches), measured with the tick label font."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=rcParams["xtick.labelsize"])
    width, _, _ = TextToPath().get_text_width_height_descent(label, font, ismath=False)
    return float(width) / 72.0


def _fits(positions: Sequence[float], labels: Sequence[str], per_day_in: float) -> bool:
    """True if labels centred on ``positions`` (days) leave :data:`LABEL_GAP_IN` between them."""
    for k in range(1, len(positions)):
        room = (positions[k] - positions[k - 1]) * per_day_in
        need = (_label_width_in(labels[k]) + _label_width_in(labels[k - 1])) / 2 + LABEL_GAP_IN
        if room < need:
            return False
    return True


def _concise(ticks: Sequence[date], fmt: str) -> list[str]:
    """Tick labels that name the month and the year only where they change.

    ``fmt`` is ``"%d"`` (days: ``29 Dec``, ``30``, ``31``, ``01 Jan 2027``, ``02``), ``"%b"``
    (months: ``Nov``, ``Dec``, ``Jan 2027``) or ``"%Y"``. The first label leaves its year to
    the axis label (:func:`_years`), where it costs no room between ticks.
    """
    labels: list[str] = []
    previous: date | None = None
    for day in ticks:
        if fmt == "%Y":
            labels.append(f"{day:%Y}")
        elif previous is not None and day.year != previous.year:
            labels.append(f"{day:%d %b %Y}" if fmt == "%d" else f"{day:%b %Y}")
        elif fmt == "%d" and (previous is None or day.month != previous.month):
            labels.append(f"{day:%d %b}")
        else:
            labels.append(f"{day:{fmt}}")
        previous = day
    return labels


def _num(day: date) -> float:
    """Matplotlib's date number of ``day``'s midnight."""
    from matplotlib.dates import date2num

    return float(date2num(_midnight(day)))  # type: ignore[no-untyped-call]


def _tick_choices(first: date, end: date) -> list[tuple[str, list[date], str]]:
    """Candidate major ticks from finest to coarsest: (axis label, tick days, label format)."""
    all_days = [first + timedelta(days=k) for k in range((end - first).days + 1)]
    mondays = [d for d in all_days if d.weekday() == 0]
    choices = [
        ("date, ticks on Mondays", mondays, "%d"),
        ("date, ticks on every other Monday", mondays[::2], "%d"),
    ]
    months = [d for d in all_days if d.day == 1]
    for step in (1, 2, 3, 6):
        choices.append(("month", [d for d in months if (d.month - 1) % step == 0], "%b"))
    for step in (1, 2, 5, 10, 20, 50, 100):
        choices.append(("year", [d for d in months if d.month == 1 and d.year % step == 0], "%Y"))
    return choices


def _date_axis(ax: Axes, days: Sequence[date]) -> str:
    """Fit the shared date axis to ``days``; return the axis label.

    The axis runs from the first day's midnight to the midnight after the last, so each day is
    one slot between two day boundaries. Labels are the finest of: each day (at its middle,
    between tick marks at midnight), every Monday, every other Monday, month starts, every 2, 3
    or 6 months, years, every 2, 5, 10 ... years, whose labels leave a gap at this axis width.
    Matplotlib's AutoDateLocator alone did not do: within a single day it ticks hours (the
    day's label then sits on the previous afternoon) and its 3-day ticks on the 1st, 4th, ...
    31st of a month crowd at month ends.
    """
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    first, end = days[0], days[-1] + timedelta(days=1)
    ax.set_xlim(_midnight(first), _midnight(end))  # type: ignore[arg-type]
    per_day_in = _axis_width_in(ax) / (end - first).days
    every_day = [first + timedelta(days=k) for k in range((end - first).days + 1)]
    boundaries = [_num(d) for d in every_day]

    names = _concise(every_day[:-1], "%d")
    middles = [b + 0.5 for b in boundaries[:-1]]
    if _fits(middles, names, per_day_in):
        ax.xaxis.set_major_locator(FixedLocator(boundaries))
        ax.xaxis.set_major_formatter(NullFormatter())
        ax.xaxis.set_minor_locator(FixedLocator(middles))
        ax.xaxis.set_minor_formatter(FixedFormatter(names))
        for shared in ax.get_shared_x_axes().get_siblings(ax):
            shared.tick_params(axis="x", which="minor", length=0)  # a label, not a tick
        return f"day ({_years(first, days[-1])})"

    choices = _tick_choices(first, end)
    xlabel, ticks, labels = choices[-1][0], choices[-1][1], _concise(choices[-1][1], "%Y")
    for label, candidate, fmt in choices:
        if len(candidate) < 2:
            continue  # one label would not show the scale
        texts = _concise(candidate, fmt)
        if _fits([_num(d) for d in candidate], texts, per_day_in):
            xlabel, ticks, labels = label, candidate, texts
            break
    ax.xaxis.set_major_locator(FixedLocator([_num(d) for d in ticks]))
    ax.xaxis.set_major_formatter(FixedFormatter(labels))
    # The day boundaries as small unlabelled ticks, while they stay apart.
    ax.xaxis.set_minor_locator(FixedLocator(boundaries if per_day_in >= 2 * MIN_BAR_IN else []))
    ax.xaxis.set_minor_formatter(NullFormatter())
    return xlabel if xlabel == "year" else f"{xlabel} ({_years(first, days[-1])})"


def _years(first: date, last: date) -> str:
    """``2026``, or ``2026-2027`` for a period across New Year."""
    return f"{first:%Y}" if first.year == last.year else f"{first:%Y}–{last:%Y}"


def _rolling_by_day(
    days: Sequence[date], rows: Sequence[SessionRow], values: np.ndarray
) -> np.ndarray:
    """Mean of the values of ``rows`` (one each, NaN for none) in the ``ROLLING_DAYS`` days
    ending on each of ``days`` (NaN where none)."""
    day_index = {d: k for k, d in enumerate(days)}
    sums = np.zeros(len(days))
    counts = np.zeros(len(days))
    for row, value in zip(rows, values, strict=True):
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
    from trainer.reports.report import save_figure

    return save_figure(progress_figure(progress), output)
