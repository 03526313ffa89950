"""The session report: one A4 page (PNG, PDF or SVG) a person wants to look at after a session.

Panels, top to bottom, all on the session's time axis in minutes unless said otherwise:

1. Headline numbers: how well the pacer was followed (the coach's mean follow score, 0-100),
   breath rate and exhale:inhale ratio achieved against the targets, HRV and coherence.
2. The whole session: belt signal (scaled to the pacer's 0-1 fill) over the pacer target, with
   program steps named, connection gaps shaded and marks drawn; a long session, per minute, as
   the belt's range under the pacer's (:data:`ENVELOPE_S_PER_COLUMN`).
3. A closer look at 90 s, as near the middle as is clear of connection gaps and holes in the
   beats: detected inhales and exhales shaded over the pacer target, and the beat-by-beat heart
   rate below it, where respiratory sinus arrhythmia shows as heart rate rising on each inhale
   and falling on each exhale.
4. Breath rate and ratio per breath against the targets; with a heart-rate strap alone, the rate
   read from the heart rhythm where it shows breathing, the other windows marked without one.
5. Heart rate over the session with RSA (peak-to-trough per breath), a bar per breath from its
   inhale onset to the next breath's (the last one to its own end).
6. Follow score per breath and coherence over time.
7. The HRV summary with the settings used (tools disagree mainly because of settings:
   docs/reference/physiology.md, "Heart-rate variability").

A long session (:data:`ENVELOPE_S_PER_COLUMN`) draws 4-6 per minute instead: each series' mean
over its range (:func:`_per_minute`), the heart rate's mean over the mean RSA swing.

Lines and RSA bars stop at a hole in the beats rather than bridge it, the belt's curve at a
lost link.

Rendering uses matplotlib's object API on a :class:`~matplotlib.figure.Figure` (no pyplot state),
so reports can be drawn in worker processes and threads.
"""

from __future__ import annotations

import errno
import math
import stat
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from analysis.breath_variability import ratio_measured
from analysis.coherence import DEFAULT_SETTINGS
from analysis.hrv_frequency import MAX_GAP_S, MIN_SPECTRUM_S
from analysis.hrv_report import (
    MAX_RELIABLE_ARTIFACT_PCT,
    MIN_HRV_BEATS_S,
    artifact_warning,
    beats_span_s,
    short_span_text,
)
from analysis.progress import ProgressCallback, ProgressSteps
from trainer.coaching.pacer import MIN_RATE_BPM
from trainer.errors import BadArgument, UserError
from trainer.programs.safety import NOT_A_MEDICAL_DEVICE
from trainer.reports.session_analysis import (
    HeartMetrics,
    PacerSpan,
    SessionAnalysis,
    analyse_recording,
)
from trainer.session.events import BreathEvent
from trainer.session.pipeline import RR_STEP_S
from trainer.session.sensor_label import is_sensorless, source_line, source_mark
from trainer.session.summary import (
    program_course_text,
    scored_rates,
    sensor_loss_text,
    sensor_lost_word,
)
from trainer.storage.paths import check_output_path, replacing
from trainer.storage.program_codec import PLAN_KEY, plan_from_json
from trainer.storage.recording import CUT_SHORT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

FloatArray = npt.NDArray[np.float64]

FORMATS = (".png", ".pdf", ".svg")
NOT_OURS_ADVICE = "move it aside, or write elsewhere with -o"
A4_PORTRAIT_IN = (8.27, 11.69)
PNG_DPI = 150
ZOOM_S = 90.0
"""Length of the close-up window (s): about 9 breaths at 6 breaths/min."""

COLORS: dict[str, str] = {
    "inhale": "#4C8BC9",
    "exhale": "#E8965A",
    "pacer": "#7A7A7A",
    "signal": "#1F3B57",
    "hr": "#B23A48",
    "rsa": "#E0A3AB",
    "gap": "#BDBDBD",
    "mark": "#6A4C93",
    "follow": "#2E8B57",
    "coherence": "#8E6C1D",
    "step": "#F2F2F2",
    "muted": "#8A8A8A",
    "practice": "#4C8BC9",
    "session": "#1F3B57",
    "trend": "#B23A48",
    "baseline": "#7A7A7A",
    "target": "#2E8B57",
}
"""One colour per quantity across every panel (inhale blue, exhale orange, as in the live UI)."""
MARK_COLOR = "#C62828"
"""The title and foot line of a simulated or sensorless session's report."""


def apply_style() -> None:
    """Typography and axes shared by every Breathwise figure (readable in print and on screen)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.titlesize": 8.5,
            "axes.titleweight": "bold",
            "axes.labelsize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#E6E6E6",
            "grid.linewidth": 0.6,
            "xtick.labelsize": 7.5,
            "ytick.labelsize": 7.5,
            "legend.fontsize": 7,
            "pdf.fonttype": 42,  # embed TrueType: text stays selectable and sharp in the PDF
            "svg.fonttype": "none",
            # The SVG's element ids are hashed with a random salt unless one is set: the same
            # report drawn twice differed (the metadata below was fixed for nothing).
            "svg.hashsalt": "breathwise",
        }
    )


def save_figure(fig: Figure, output: Path) -> Path:
    """Write ``fig`` to ``output``; the suffix (.png, .pdf, .svg) picks the format.

    Raises
    ------
    BadArgument
        Unknown suffix.
    trainer.errors.UserError
        The file cannot be written.
    """
    suffix = figure_suffix(output)
    try:
        # Health data: owner-only, and written whole before it replaces an earlier report.
        with replacing(output) as temp:
            fig.savefig(
                temp,
                format=suffix[1:],
                dpi=PNG_DPI if suffix == ".png" else None,
                metadata=_metadata(suffix),
            )
    except OSError as exc:
        raise UserError(f"{output}: cannot write ({exc.strerror})") from None
    except Exception as exc:
        cause = _write_failure_behind(exc)
        if cause is None:
            raise
        raise UserError(f"{output}: cannot write ({cause.strerror})") from None
    return output


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""What a write to a file can meet whatever the code writing it does (a full disk, a quota)."""


def _write_failure_behind(exc: BaseException) -> OSError | None:
    """The failed write (:data:`_WRITE_FAILURES`) that ``exc`` was raised while handling, or
    None.

    Matplotlib's PDF writer, when a write fails on a full disk, closes its half-written stream
    on the way out and raises AttributeError from that, the "No space left on device" only its
    context: a full disk was a crash report, exit 70.
    """
    seen: set[int] = set()
    current: BaseException | None = exc.__context__
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError) and current.errno in _WRITE_FAILURES:
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def figure_suffix(output: Path, what: str = "a report") -> str:
    """The suffix of a figure file name, which picks its format: .png, .pdf or .svg.

    Callers check it before drawing, so that a wrong name is refused before the work.

    Raises
    ------
    BadArgument
        Any other suffix, naming ``what`` was to be written and the accepted ones.
    """
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        stem = output.stem if output.stem not in ("", ".", "..") else "figure"
        raise BadArgument(
            f"cannot write {what} as {output.name!r}: the name must end in .png, .pdf or .svg",
            f"for example -o {stem}.pdf",
        )
    return suffix


def not_ours(target: Path) -> str:
    """Why ``target`` is not Breathwise's to replace, ``""`` when it is (or does not exist).

    The overwrite rule for what Breathwise derives from recordings (report pages, a batch's
    summary.csv, the progress figure): an existing file is replaced, since it is drawn again
    from the recordings and nothing is lost (``report DIR`` re-run after one new session must
    not fail on its own table), but never something that is not a file: a folder, a link, a
    device or pipe. (The name's suffix is the command's own: ``-o`` is checked by
    :func:`figure_suffix`, and a batch names its files itself.) Exports, which people edit and
    pass on, are replaced only with ``--force`` (:mod:`trainer.storage.export`).
    """
    try:
        found = target.lstat()
    except OSError:
        return ""  # cannot tell: the write itself names what keeps it from happening
    if stat.S_ISDIR(found.st_mode):
        return "a folder"
    if stat.S_ISLNK(found.st_mode):
        return "a link"
    if not stat.S_ISREG(found.st_mode):
        return "not a regular file"
    return ""


def check_replaceable(target: Path, what: str) -> None:
    """Refuse ``target`` when it exists and is not Breathwise's to replace (:func:`not_ours`).

    Raises
    ------
    trainer.errors.UserError
        Naming the file, what it is, and ``what`` was to be written there.
    """
    reason = not_ours(target)
    if reason:
        raise UserError(f"{target}: is {reason}, not {what}: not replaced", NOT_OURS_ADVICE)


def _metadata(suffix: str) -> dict[str, Any]:
    # Fixed metadata keeps PDF/SVG output byte-identical for identical input (no creation date).
    if suffix == ".pdf":
        return {"Creator": "Breathwise", "Producer": "Breathwise", "CreationDate": None}
    if suffix == ".svg":
        return {"Creator": "Breathwise", "Date": None}
    return {"Software": "Breathwise"}


# ------------------------------------------------------------------------------- helpers
def _minutes(t_s: FloatArray | float) -> Any:
    return np.asarray(t_s, dtype=np.float64) / 60.0


def _fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}{(' ' + unit) if unit else ''}"


def _shade_gaps_and_marks(
    ax: Axes, analysis: SessionAnalysis, *, in_minutes: bool = True, labels: bool = False
) -> None:
    scale = 60.0 if in_minutes else 1.0
    for gap in analysis.gaps:
        ax.axvspan(
            gap.t0_s / scale,
            gap.t1_s / scale,
            color=COLORS["gap"],
            alpha=0.45,
            lw=0,
            hatch="///",
            zorder=0.5,
        )
        if labels:
            ax.annotate(
                f"{gap.device} lost",
                ((gap.t0_s + gap.t1_s) / 2 / scale, 0.02),
                xycoords=("data", "axes fraction"),
                ha="center",
                fontsize=6.5,
                color="#555555",
            )
    if labels:
        # A step skipped (key n), beside the step names along the top, where the skipped
        # step's band ends early: said, not left to look like a short step.
        for skip in analysis.summary.get("steps_skipped") or []:
            at_min = float(skip.get("at_s", 0.0)) / scale
            ax.axvline(at_min, color=COLORS["mark"], lw=0.9, ls="--", zorder=3)
            ax.annotate(
                f"skipped: {skip.get('title', '')}",
                (at_min, 0.02),
                xycoords=("data", "axes fraction"),
                ha="right",
                va="bottom",
                fontsize=6.5,
                color=COLORS["mark"],
                rotation=90,
            )
    for mark in analysis.marks:
        ax.axvline(mark.t_s / scale, color=COLORS["mark"], lw=0.9, ls=":", zorder=3)
        if labels:
            ax.annotate(
                mark.label or "mark",
                (mark.t_s / scale, 0.98),
                xycoords=("data", "axes fraction"),
                ha="left",
                va="top",
                fontsize=6.5,
                color=COLORS["mark"],
                rotation=90,
            )


def _normalise(values: FloatArray) -> FloatArray:
    """Belt signal scaled to 0..1 by its 2nd and 98th percentiles (robust to spikes)."""
    if values.size == 0:
        return values
    lo, hi = np.percentile(values, [2.0, 98.0])
    span = hi - lo if hi > lo else 1.0
    return np.asarray((values - lo) / span, dtype=np.float64)


def _time_axis(ax: Axes, analysis: SessionAnalysis) -> None:
    ax.set_xlim(0.0, max(analysis.duration_s / 60.0, 1e-3))
    ax.set_xlabel("min", loc="right", labelpad=0, fontsize=7, color="#555555")


def _legend(ax: Axes, **kwargs: Any) -> None:
    """A legend, only when the panel drew something labelled (an empty panel says why instead)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _legend_above(ax: Axes, y: float) -> None:
    """A legend in one row of two, growing upwards from data height ``y`` at the panel's left:
    above the highest score a score panel shows, in the room its y-limit leaves there."""
    _legend(
        ax,
        loc="lower left",
        bbox_to_anchor=(0.0, y),
        bbox_transform=ax.get_yaxis_transform(),
        ncols=2,
        frameon=False,
        fontsize=6.5,
        borderaxespad=0.0,
        borderpad=0.2,
    )


def _no_data(ax: Axes, text: str) -> None:
    """A note in the middle of an empty panel, on a white box above every line (a target line
    drawn across the middle of the panel would otherwise strike it through)."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=COLORS["muted"],
        fontsize=8,
        zorder=10,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "none"},
    )


def _clock(t_s: float) -> str:
    """Session time as m:ss (whole seconds): "0:15", "17:45".

    A decimal minute cannot show a quarter minute in one digit ("0.2" for 0:15), and the zoom
    window usually starts on one.
    """
    minutes, seconds = divmod(round(t_s), 60)
    return f"{minutes}:{seconds:02d}"


def _fill_limits(values: FloatArray, top: float = 1.35) -> tuple[float, float]:
    """Y limits of a 0-1 fill panel that hold every finite value of ``values``.

    The belt is scaled by its 2nd and 98th percentiles, so a deep sigh or a movement spike
    lies well outside 0-1; a fixed -0.25..1.35 cut those off at the panel's edge.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -0.25, top
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * max(hi - lo, 1.0)
    return min(-0.25, lo - pad), max(top, hi + pad)


# ------------------------------------------------------------------------------- panels
def _practised_text(analysis: SessionAnalysis) -> str:
    """Minutes practised, as the history and progress count them, and the pause beside them."""
    practised_min = analysis.practised_s / 60.0
    text = f"{practised_min:.1f} min practised"
    if analysis.paused_s > 0:
        text += f" (+ {analysis.paused_s / 60.0:.1f} min paused)"
    return text


def _ended_text(analysis: SessionAnalysis, *, advice: bool = True) -> str:
    """How the session ended, and "sensor lost" after it when no sensor sent data for a while
    ("belt lost" when only the belt was; the title line says for how long): a header saying
    "completed" over a session whose sensor was gone for 52 of its 60 s read as a whole session
    measured. Without ``advice``, an error's message stops before the advice
    after its dash (``error: HRM-Pro did not come back within 120 s``)."""
    ended = analysis.ended if advice else analysis.ended.split(" — ", 1)[0]
    lost = sensor_lost_word(analysis.summary) if sensor_loss_text(analysis.summary) else None
    return f"{ended}, {lost}" if lost else ended


def _unreliable_heart(m: dict[str, Any]) -> str:
    """Why the session's HRV, RSA and coherence do not stand, as the history flags them
    (:attr:`trainer.storage.history.SessionRow.heart_unreliable`): from too few beats
    (:data:`analysis.hrv_report.MIN_HRV_BEATS_S`), or with more than
    :data:`analysis.hrv_report.MAX_RELIABLE_ARTIFACT_PCT` of the beats corrected; "" when they
    stand."""
    beats_s = beats_span_s(int(m["beats"] or 0), _f(m["mean_hr_bpm"]))
    if beats_s is not None and beats_s < MIN_HRV_BEATS_S:
        return f"unreliable: {short_span_text(beats_s)} s of beats"
    corrected = _f(m.get("artifact_pct"))
    if corrected is not None and corrected > MAX_RELIABLE_ARTIFACT_PCT:
        return f"unreliable: {corrected:.0f} % of beats corrected"
    return ""


def _rmssd_note(m: dict[str, Any]) -> str:
    """Under the RMSSD tile: the mean heart rate, or why the RMSSD does not stand
    (:func:`_unreliable_heart`)."""
    unreliable = _unreliable_heart(m) if m["rmssd_ms"] is not None else ""
    return unreliable or f"HR {_fmt(_f(m['mean_hr_bpm']), 0, 'bpm')}"


def _coherence_note(m: dict[str, Any]) -> str:
    """Under the coherence tile: the RSA, and "unreliable" after it when the heart numbers do
    not stand: the 61.7 %-corrected H10 session's headline showed "Coherence 1.3 / 10" plain,
    its warning at the page's foot."""
    rsa = f"RSA {_fmt(_f(m['rsa_bpm']), 1, 'bpm')}"
    measured = m["coherence_score"] is not None or m["rsa_bpm"] is not None
    return f"{rsa}, unreliable" if measured and _unreliable_heart(m) else rsa


def _no_breathing_text(analysis: SessionAnalysis) -> str:
    """Why the overview has no breathing curve. A Polar's breathing comes from its
    accelerometer, drawn as breaths in the rate panel, not as a belt's curve: "no belt in
    this session" beside a Polar read as if it had no breathing sensor."""
    if not analysis.summary.get("waveform_samples", {}).get("acc"):
        return "no breathing signal (no belt in this session)"
    if analysis.breaths:
        return "no belt: breaths read from the chest movement (rate panel below)"
    return "no breathing signal: no breaths found in the chest movement"


REPORT_SUBJECT = "this report"
"""What the note of :meth:`SessionAnalysis.changed_note` calls a report, on its page and on
standard error."""
CHANGED_NOTE_WIDTH = 150
"""Characters per line of that note on the page (the whole note is on standard error)."""
CHANGED_NOTE_ROW = 0.2
"""Height the headline's row grows by for that note, in the grid's ratios (a panel is about
0.85): two lines under the numbers."""


def utc_offset_text(moment: time.struct_time) -> str:
    """The UTC offset of a local time, as ``UTC+01:00`` (``UTC-05:00``, ``UTC+05:30``).

    A recording keeps its start in Unix time and no zone: the page shows it in the zone of the
    machine drawing it (``TZ``), and says which, so that a page drawn on a cluster in UTC does
    not pass for the session's own wall clock (without this, "02:30" in New York for a
    session begun at 07:30 in London, with nothing to tell).

    Examples
    --------
    >>> import time
    >>> utc_offset_text(time.struct_time((2026, 3, 1, 7, 30, 0, 6, 60, 0, "IST", 19800)))
    'UTC+05:30'
    """
    offset_min = round((moment.tm_gmtoff or 0) / 60)
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(offset_min), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


TITLE_SIZE = 15.0
"""Font size of the page's title (points)."""
LOST_SIZE = 9.0
"""Font size of how long the sensor was lost, beside the title (points)."""
SUBTITLE_SIZE = 8.5
"""Font size of the line under the title: when, minutes, device, how it ended (points)."""
SUBTITLE_Y = 0.74
"""Top of that line in the headline's row (a share of the row's height, from its bottom)."""
SUBTITLE_ROW = 0.25
"""Height the headline's row grows by when that line takes two, in the grid's ratios (a
panel is about 0.85; a ratio of 1 is about 58 pt of the page): one line of 8.5 pt text (12 pt
as matplotlib spaces them) and a little air above the numbers."""
HEADLINE_WIDTH_PT = (0.93 - 0.085) * A4_PORTRAIT_IN[0] * 72.0
"""Width of the headline's row (points): the page's less its margins (report_figure)."""
SEPARATOR = "  ·  "
"""Between the parts of the line under the title."""


def text_width_pt(text: str, size: float, weight: str = "normal") -> float:
    """Width (points) of one line of ``text`` at ``size`` points as the PNG page draws it
    (:data:`PNG_DPI`, where hinting makes text a little wider than in a PDF)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(1, 1, PNG_DPI)  # type: ignore[no-untyped-call]  # matplotlib is untyped here
    width, _, _ = renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text, FontProperties(size=size, weight=weight), ismath=False
    )
    return float(width) * 72.0 / PNG_DPI


DEVICE_SHARE = 0.35
"""Least share of the subtitle's second line kept for the device or file name beside a long
ending (an error's message), when the name is that long."""


def subtitle_lines(analysis: SessionAnalysis) -> list[str]:
    """The line under the title (when the session began, minutes practised, the device or the
    file it came from, how it ended), as one line when it fits the page's width, else two: the
    when and how long over the where from and how it ended, a device or file name too long for
    its line shortened with an ellipsis.

    It was one line whatever its length, and ran off the page's edge on the repository's own
    sample (without this, "... NeuroKit2 bio_resting_5min_100hz (derived) · complet").
    """
    start = time.localtime(analysis.start_wall_ns / 1e9)
    when = f"{time.strftime('%A %d %B %Y, %H:%M', start)} {utc_offset_text(start)}"
    device = analysis.source_name or analysis.source_kind or "unknown device"
    first, ended = when + SEPARATOR + _practised_text(analysis), _ended_text(analysis)

    def width_pt(text: str) -> float:
        return text_width_pt(text, SUBTITLE_SIZE)

    whole = first + SEPARATOR + device + SEPARATOR + ended
    if width_pt(whole) <= HEADLINE_WIDTH_PT:
        return [whole]
    least_pt = DEVICE_SHARE * HEADLINE_WIDTH_PT
    if width_pt(SEPARATOR + ended) > HEADLINE_WIDTH_PT - least_pt:
        # An error with its advice ran off the page and left no room for the device (review
        # 31 F11): the page keeps what happened, shortened to the room if need be; the advice
        # was for the moment it happened (the session's own output gave it whole).
        device_pt = min(width_pt(device), least_pt)
        ended = _fit_label(
            _ended_text(analysis, advice=False),
            HEADLINE_WIDTH_PT - device_pt - width_pt(SEPARATOR),
            width_pt,
        )
    room_pt = HEADLINE_WIDTH_PT - width_pt(SEPARATOR + ended)
    return [
        _fit_label(first, HEADLINE_WIDTH_PT, width_pt),
        _fit_label(device, room_pt, width_pt) + SEPARATOR + ended,
    ]


def _make_room_for_subtitle(ax: Axes, subtitle: Text, height: float) -> None:
    """Open the room for the second line under the title (``subtitle``): the headline's row
    has grown by :data:`SUBTITLE_ROW` from ``height`` (grid ratios), and its text is placed in
    fractions of the row, so the title and the line under it keep their place from the row's
    top, the numbers (and a note under them, :func:`_changed_note`) theirs from its bottom,
    and the room opens between them."""
    scale = height / (height + SUBTITLE_ROW)
    top_y = subtitle.get_position()[1]
    for text in ax.texts:
        x, y = text.get_position()
        y = 1.0 - (1.0 - y) * scale if y >= top_y else y * scale
        text.set_position((x, y))


def _headline(fig: Figure, ax: Axes, analysis: SessionAnalysis) -> Text:
    """Draw the headline: the title, the line under it (returned) and the numbers."""
    ax.axis("off")
    m = analysis.metrics()
    program = str(m["program"] or "")
    # A simulated or sensorless session says so in place of "Breathwise session" (the title
    # keeps its length), in red, and again at the foot of the page.
    mark = source_mark(analysis.source_kind)
    title = (mark or "Breathwise session") + (f" — {program}" if program else "")
    lost = sensor_loss_text(analysis.summary, when=False)
    # A long program name is shortened to the room the loss beside it leaves: it ran off the
    # page's edge.
    room_pt = HEADLINE_WIDTH_PT
    if lost:
        room_pt -= text_width_pt(lost, LOST_SIZE) + STEP_GAP_PT * 2
    ax.text(
        0.0,
        1.08,
        _fit_label(title, room_pt, lambda text: text_width_pt(text, TITLE_SIZE, "bold")),
        fontsize=TITLE_SIZE,
        fontweight="bold",
        va="top",
        color=MARK_COLOR if mark else "black",
        transform=ax.transAxes,
    )
    if lost:
        # Beside the title, where the page's own warnings go: how much was not measured.
        ax.text(
            1.0,
            1.08,
            lost,
            ha="right",
            va="top",
            fontsize=LOST_SIZE,
            color=MARK_COLOR,
            transform=ax.transAxes,
        )
    if mark:
        fig.text(
            0.5,
            FOOT_LINE_Y,
            source_line(analysis.source_kind),
            ha="center",
            va="bottom",
            fontsize=FOOT_LINE_SIZE,
            fontweight="bold",
            color=MARK_COLOR,
        )
    subtitle = ax.text(
        0.0,
        SUBTITLE_Y,
        "\n".join(subtitle_lines(analysis)),
        fontsize=SUBTITLE_SIZE,
        color="#444444",
        va="top",
        linespacing=LINESPACING,
        transform=ax.transAxes,
    )
    if is_sensorless(analysis.source_kind):
        # Nothing measured: no tiles of dashes (they read as a session that failed).
        return subtitle
    follow = m["mean_follow_score"]
    # The headline is of the part the session mostly was: a body scan paced for its first
    # minute of ten read "Followed the pacer 99/100", "Paced breath rate 6.0/min"; its
    # numbers are of its own rhythm (SessionAnalysis.paced_headline), and so are its
    # words.
    paced = any(s.mode == "paced" for s in analysis.pacer_spans) and (
        analysis.paced_headline or m.get("rate_basis") == "paced"
    )
    verdict = _verdict(
        follow if isinstance(follow, float) else None, paced, _has_breathing(analysis)
    )
    pace_only = m.get("follow_basis") == "pace"
    boxes = [
        (
            ("Kept the pacer's pace" if pace_only else "Followed the pacer")
            if paced
            # In the own rhythm the score is of the out-breath's length against the in-breath's
            # (without this, "Own rhythm 100 / 100, on target" at 12/min read as nothing left
            # to do); the breath rate stands in the next tile.
            else "Out-breath, own rhythm",
            f"{follow:.0f} / 100" if isinstance(follow, float) else "—",
            verdict,
        ),
        (
            "Paced breath rate" if m.get("rate_basis") == "paced" else "Breath rate",
            # The breaths taken while the pacer paced (all unpaused ones without a pacer, those
            # taken while it did not in a session mostly in its own rhythm), as the history and
            # progress show it; the ratio beside it is from the same breaths.
            _fmt(_f(m["median_rate_bpm"]), 1, "/min"),
            f"target {_fmt(_f(m['target_rate_bpm']), 1, '/min')}" if paced else "own pace",
        ),
        (
            "Exhale:inhale",
            _fmt(_f(m["mean_ratio"]), 2),
            f"target {_fmt(_f(m['target_ratio']), 2)}",
        ),
        ("RMSSD", _fmt(_f(m["rmssd_ms"]), 0, "ms"), _rmssd_note(m)),
        (
            "Coherence",
            _fmt(_f(m["coherence_score"]), 1)
            + (" / 10" if m["coherence_score"] is not None else ""),
            _coherence_note(m),
        ),
    ]
    width = 1.0 / len(boxes)
    for k, (label, value, note) in enumerate(boxes):
        x = k * width
        ax.text(x, 0.35, label, fontsize=7.5, color="#555555", transform=ax.transAxes)
        ax.text(
            x,
            0.05,
            value,
            fontsize=16 if k == 0 else 13,
            fontweight="bold",
            # The score's colour for a score only: a dash in it read as a result.
            color=COLORS["follow"] if k == 0 and value != "—" else "#222222",
            transform=ax.transAxes,
        )
        ax.text(x, -0.22, note, fontsize=7, color="#666666", transform=ax.transAxes)
    return subtitle


def page_note(analysis: SessionAnalysis) -> str:
    """The note under the page's headline: that today's numbers differ from those the live
    session closed with (:meth:`SessionAnalysis.changed_note`, which names the damage as a
    cause when the recording is damaged), or else that the recording is damaged
    (:meth:`SessionAnalysis.damage_note`, naming its file only: the page may travel without
    its folder); ``""`` when neither."""
    from trainer.ui.headless import damage_warning

    name = analysis.path.name if analysis.path is not None else "the recording"
    return analysis.changed_note(REPORT_SUBJECT) or damage_warning(name, analysis.damage)


def _changed_note(ax: Axes, note: str, height: float) -> None:
    """Under the headline's numbers, when today's analysis finds others than the live session
    closed with: the note ``replay`` and ``report`` print (:meth:`SessionAnalysis.changed_note`),
    so a page printed or sent on says which numbers changed and which analyses gave them.

    The headline's row has grown by :data:`CHANGED_NOTE_ROW` from ``height``: its text is
    placed in fractions of the row, so the headline is squeezed back to its own height at the
    top, and the note takes the room freed below."""
    scale = height / (height + CHANGED_NOTE_ROW)
    for text in ax.texts:
        x, y = text.get_position()
        text.set_position((x, 1.0 - (1.0 - y) * scale))
    lines = textwrap.wrap(
        note.removeprefix("note: ").removeprefix("warning: "),
        CHANGED_NOTE_WIDTH,
        max_lines=2,
        placeholder=" …",
    )
    ax.text(
        0.0,
        1.0 - 1.36 * scale,
        "\n".join(lines),
        fontsize=6,
        color=MARK_COLOR,
        va="top",
        linespacing=1.15,
        transform=ax.transAxes,
    )


def _f(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _has_breathing(analysis: SessionAnalysis) -> bool:
    """Whether the session has a breathing signal: a belt trace, or breathing read from the heart
    rhythm."""
    return bool(analysis.belt_values.size or analysis.rr_estimates or analysis.breaths)


def _verdict(score: float | None, paced: bool, breathing: bool = False) -> str:
    """Words for the follow score (our bands over the coach's 0-100 scale).

    Without a score, says why: no breathing signal at all, or a signal in which no breath was
    scored (a session of a few seconds has a belt trace but no complete breath yet).
    """
    if score is None:
        return "no breaths scored" if breathing else "no breathing signal"
    if score >= 80:
        return "closely with the pacer" if paced else "on target"
    if score >= 60:
        return "mostly with the pacer" if paced else "mostly on target"
    if score >= 40:
        return "partly with the pacer" if paced else "partly on target"
    return "rarely with the pacer" if paced else "off target"


STEP_LABEL_PT = 6.5
"""Font size of the program step names along the top of the whole-session panel (points)."""
STEP_ROW_PT = 8.5
"""Distance between two rows of step names (points): one line of 6.5 pt text and a little air."""
STEP_GAP_PT = 4.0
"""Least space between a step name and the next name on its row (points)."""


def _step_groups(analysis: SessionAnalysis) -> list[tuple[float, str]]:
    """Start (session s) and name of each named program step, a name once per run of spans.

    A step slowing in stages, or paused and resumed, is several pacer spans with one name; the
    name is written once, where the step starts. A posture change or a side switch between two
    steps (a program's ``transition`` step, some seconds long) is not named: its name would
    squeeze the names of the steps on either side down to an ellipsis. Nor is the second side
    of a stretch after its switch: the stretch is named once, where its first side starts.
    """
    return [(t0, label) for t0, _, label in _step_bands(analysis)]


def _step_bands(analysis: SessionAnalysis) -> list[tuple[float, float, str]]:
    """Start, end (session s) and name of each step :func:`_step_groups` names.

    A band runs from its step's start to the next named step's (the transition before that
    one, or the second side of a stretch, inside it), the last to the end of the last span with
    a name; spans with none (a session's own pacer, before a program's first step) are in none.
    """
    unnamed = _transition_titles(analysis)
    bands: list[tuple[float, float, str]] = []
    previous = None
    for span in analysis.pacer_spans:
        if span.label and bands:
            t0, _, label = bands[-1]
            bands[-1] = (t0, span.t1_s, label)
        if span.label in unnamed:
            continue
        if span.label and span.label != previous:
            if bands:
                t0, _, label = bands[-1]
                bands[-1] = (t0, span.t0_s, label)
            bands.append((span.t0_s, span.t1_s, span.label))
        previous = span.label
    return bands


def _transition_titles(analysis: SessionAnalysis) -> set[str]:
    """Titles that only the program's transition steps carry (from the plan in the header)."""
    data = analysis.settings.get(PLAN_KEY)
    if data is None:
        return set()
    steps = plan_from_json(data).program.steps
    return {s.title for s in steps if s.transition} - {s.title for s in steps if not s.transition}


def _fit_label(text: str, room_pt: float, width_pt: Any) -> str:
    """``text``, or its longest start that fits ``room_pt`` points with an ellipsis ("" when not
    even the ellipsis fits); ``width_pt(text)`` measures a string in points."""
    if width_pt(text) <= room_pt:
        return text
    for n in range(len(text) - 1, 0, -1):
        shortened = text[:n].rstrip() + "…"
        if width_pt(shortened) <= room_pt:
            return shortened
    return "…" if width_pt("…") <= room_pt else ""


def _step_label_layout(
    analysis: SessionAnalysis, axes_width_pt: float
) -> tuple[list[tuple[float, str, int]], int]:
    """Place the step names along the top of the whole-session panel so that none overlaps.

    One row when every name fits before the next step starts; otherwise two rows, names
    alternating between them, so each name has the room up to the step after next, and a
    name still too long is shortened with an ellipsis to that room. (Found in use: on the
    36-minute back-release routine the names of the one- and two-minute steps ran into each
    other, "Knees to chestKnees to chest on your sid...".)

    Parameters
    ----------
    analysis : SessionAnalysis
        The session; its pacer spans carry the step names.
    axes_width_pt : float
        Width of the panel (points), which spans the whole session.

    Returns
    -------
    labels : list of (float, str, int)
        Start (session s), the text to draw and its row (0 at the top) of each name.
    rows : int
        Rows used (0 without named steps).
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    groups = _step_groups(analysis)
    if not groups:
        return [], 0
    # At 72 dpi a pixel is a point, and text measures the same in the PNG, PDF and SVG.
    renderer = RendererAgg(1, 1, 72)  # type: ignore[no-untyped-call]  # matplotlib is untyped here
    font = FontProperties(size=STEP_LABEL_PT)

    def width_pt(text: str) -> float:
        size = renderer.get_text_width_height_descent(text, font, ismath=False)  # type: ignore[no-untyped-call]
        return float(size[0])

    duration = max(analysis.duration_s, 1e-3)
    starts = [axes_width_pt * t0 / duration for t0, _ in groups]
    # The annotation starts 2 pt right of its step's start.
    end_pt = axes_width_pt - 2.0
    for rows in (1, 2):
        rooms = [
            (starts[k + rows] if k + rows < len(starts) else end_pt + STEP_GAP_PT)
            - starts[k]
            - STEP_GAP_PT
            for k in range(len(groups))
        ]
        fits = all(width_pt(label) <= room for (_, label), room in zip(groups, rooms, strict=True))
        if fits or rows == 2:
            break
    labels = [
        (t0, _fit_label(label, room, width_pt), k % rows)
        for k, ((t0, label), room) in enumerate(zip(groups, rooms, strict=True))
    ]
    return [entry for entry in labels if entry[1]], rows


def _overview(fig: Figure, ax: Axes, analysis: SessionAnalysis) -> None:
    paced = any(span.mode == "paced" for span in analysis.pacer_spans)
    ax.set_title(
        "Whole session: your breathing over the pacer"
        if paced
        else "Whole session: your breathing (own rhythm, no pacer)",
        loc="left",
    )
    # Every other named step shaded, a step whole: shaded span by span, a step slowing in
    # stages (the spine scan's tailbone) or paused and resumed looked like a named step
    # followed by a nameless one.
    for t0_s, t1_s, _ in _step_bands(analysis)[1::2]:
        ax.axvspan(t0_s / 60, t1_s / 60, color=COLORS["step"], lw=0, zorder=0.2)
    box = ax.get_position()  # the fixed grid places the panel before any drawing
    width_in, height_in = fig.get_size_inches()
    labels, rows = _step_label_layout(analysis, float(width_in * box.width * 72.0))
    for t0_s, text, row in labels:
        ax.annotate(
            text,
            (t0_s / 60, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2 - row * STEP_ROW_PT),
            textcoords="offset points",
            fontsize=STEP_LABEL_PT,
            va="top",
            color="#333333",
            clip_on=True,
            parse_math=False,
        )
    norm = _normalise(analysis.belt_values)
    columns = _envelope_columns(ax, analysis.duration_s)
    if columns is None:
        _overview_lines(ax, analysis, norm)
    else:
        _overview_envelope(ax, analysis, norm, columns)
    if not analysis.belt_values.size:
        _no_data(ax, _no_breathing_text(analysis))
    ax.set_ylabel("fill (0 empty – 1 full)")
    # The data keeps below the rows of step names: the top of the panel is stretched so the
    # names take their share of its height above the highest point.
    lo, hi = _fill_limits(norm, top=1.1)
    names_pt = rows * STEP_ROW_PT + 3.0 if rows else 0.0
    share = min(names_pt / max(height_in * box.height * 72.0, 1.0), 0.5)
    ax.set_ylim(lo, lo + (hi - lo) / (1.0 - share))
    _shade_gaps_and_marks(ax, analysis, labels=True)
    _time_axis(ax, analysis)
    _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=2, frameon=False)


def _overview_lines(ax: Axes, analysis: SessionAnalysis, norm: FloatArray) -> None:
    """Every sample of the pacer target and of the belt (``norm``, 0-1 fill), as lines."""
    if np.any(np.isfinite(analysis.pacer_fill)):
        ax.plot(
            _minutes(analysis.pacer_t_s),
            analysis.pacer_fill,
            color=COLORS["pacer"],
            lw=0.6,
            alpha=0.8,
            label="pacer target",
        )
    if analysis.belt_values.size:
        # Broken at each shaded sensor gap and each hole in the samples too, as the heart-rate
        # and score lines are: it was drawn as a straight slant across a 40 s dropout, as if a
        # breath had been held that long.
        holes = [*analysis.silences, *((gap.t0_s, gap.t1_s) for gap in analysis.gaps)]
        belt_t, belt_line = _broken_at_gaps(
            *_broken_at_silences(analysis.belt_t_s, norm, sorted(holes))
        )
        ax.plot(
            _minutes(belt_t),
            belt_line,
            color=COLORS["signal"],
            lw=0.5,
            label="your breathing (belt)",
        )


def _overview_envelope(ax: Axes, analysis: SessionAnalysis, norm: FloatArray, columns: int) -> None:
    """A long session: the belt (``norm``, 0-1 fill) as a band from its lowest to its highest
    value in each :data:`ENVELOPE_BIN_S` (or each of ``columns`` pixel columns, if wider), the
    pacer target's range over the same stretches as two lines above it.

    Drawn sample by sample, 3 h of belt (about 1,080 breaths in about 1,000 pixels) was a solid
    block hiding the pacer. The band still shows how deep each stretch was
    against the pacer's 0-1 fill, where the breathing stopped and where a spike stood out.
    """
    from matplotlib import patheffects

    # A stretch holds a whole breath or more: a pixel column of an hour's session (3.4 s) holds
    # part of a breath, and the pacer's range lines would zigzag between 0 and 1.
    bins = min(columns, max(round(analysis.duration_s / ENVELOPE_BIN_S), 1))
    if analysis.belt_values.size:
        t_min, lo, hi = _column_envelope(analysis.belt_t_s, norm, analysis.duration_s, bins)
        ax.fill_between(
            t_min,
            lo,
            hi,
            color=COLORS["signal"],
            alpha=0.45,
            lw=0,
            # Above the grid (1.5 under matplotlib's "axisbelow: line"), whose white lines
            # read as breaks in the band, and under the pacer's lines.
            zorder=1.8,
            label="your breathing (belt, range)",
        )
    if np.any(np.isfinite(analysis.pacer_fill)):
        t_min, lo, hi = _column_envelope(
            analysis.pacer_t_s, analysis.pacer_fill, analysis.duration_s, bins
        )
        # Above the band, with a white edge, so the target reads over the band's dark blue.
        halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
        for edge, label in ((hi, "pacer target (range)"), (lo, None)):
            ax.plot(
                t_min,
                edge,
                color=COLORS["target"],
                lw=1.1,
                zorder=2.5,
                path_effects=halo,
                label=label,
            )


ENVELOPE_S_PER_COLUMN = 2.0
"""Session time per pixel column of a whole-session panel (s, at :data:`PNG_DPI`) over which
its sample-by-sample traces are drawn per stretch instead (:data:`ENVELOPE_BIN_S`,
:data:`HR_MEAN_LONG_S`), and its points a breath or a window per minute (:func:`_per_minute`):
about 35 min on the A4 page (1,048 columns of a full-width panel). Below it a breath (10 s at
6/min) spans 5 columns or more and its line still reads; a 20-min session stays drawn as it
always was."""


ENVELOPE_BIN_S = 60.0 / MIN_RATE_BPM
"""Stretch of a long session (s) over which the whole-session panel draws the range of the belt
and of the pacer: a whole breath at the slowest rate a pacer sets
(:data:`trainer.coaching.pacer.MIN_RATE_BPM`), so the pacer's range is its full 0-1."""


def _envelope_columns(ax: Axes, duration_s: float) -> int | None:
    """The pixel columns of ``ax`` at :data:`PNG_DPI` when ``duration_s`` (s) packs more than
    :data:`ENVELOPE_S_PER_COLUMN` into each, else None (draw every sample)."""
    # The page is always A4 (report_figure); the panel's share of its width, in inches.
    width_in = A4_PORTRAIT_IN[0] * ax.get_position().width
    columns = max(int(width_in * PNG_DPI), 1)
    return columns if duration_s / columns > ENVELOPE_S_PER_COLUMN else None


def _column_stat(
    t_s: FloatArray, values: FloatArray, duration_s: float, columns: int, statistic: str
) -> tuple[FloatArray, FloatArray]:
    """``values`` at times ``t_s`` (session s) reduced to ``columns`` equal columns of 0 to
    ``duration_s``: each column's middle (minutes) and its ``statistic`` ("min", "max" or "mean",
    as :func:`scipy.stats.binned_statistic` names them), NaN in a column with no value, so that
    a band or line drawn from them breaks at a gap or a silence."""
    from scipy.stats import binned_statistic

    span = (0.0, max(duration_s, 1e-3))
    edges = np.linspace(span[0], span[1], columns + 1)
    middle_min = (edges[:-1] + edges[1:]) / 2.0 / 60.0
    finite = np.isfinite(t_s) & np.isfinite(values)
    if not np.any(finite):
        return middle_min, np.full(columns, np.nan)
    result = binned_statistic(t_s[finite], values[finite], statistic, bins=columns, range=span)
    return middle_min, np.asarray(result.statistic, dtype=np.float64)


def _column_envelope(
    t_s: FloatArray, values: FloatArray, duration_s: float, columns: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each column's middle (minutes), lowest and highest value: see :func:`_column_stat`."""
    middle_min, lo = _column_stat(t_s, values, duration_s, columns, "min")
    return middle_min, lo, _column_stat(t_s, values, duration_s, columns, "max")[1]


def _alone(values: FloatArray) -> npt.NDArray[np.bool_]:
    """Where ``values`` has a finite value with no finite neighbour: a line draws no segment
    there, so such a value is drawn as a point."""
    finite = np.isfinite(values)
    before = np.r_[False, finite[:-1]]
    after = np.r_[finite[1:], False]
    alone: npt.NDArray[np.bool_] = finite & ~before & ~after
    return alone


def _per_minute(
    ax: Axes,
    t_s: FloatArray,
    values: FloatArray,
    duration_s: float,
    color: str,
    what: str,
) -> None:
    """A long session's per-breath or per-window ``values`` (at ``t_s``, session s) as their
    mean over each :data:`HR_MEAN_LONG_S`, a line over a band from the stretch's lowest value
    to its highest, both broken where a stretch holds none. ``what`` names them in the legend.

    A point a breath or a window, 3 h of follow scores (2,152 points and their running mean)
    was a solid block in a half-width panel, coherence (2,147 windows) a zigzag from 3 to 10,
    and the rate and ratio a smear. The mean shows the trend through the
    session, the band how far the breaths or windows of each minute strayed from it.
    """
    stretches = max(round(duration_s / HR_MEAN_LONG_S), 1)
    t_min, lo, hi = _column_envelope(t_s, values, duration_s, stretches)
    mean = _column_stat(t_s, values, duration_s, stretches, "mean")[1]
    # Above the grid, whose white lines read as breaks in the band (as in _overview_envelope).
    ax.fill_between(t_min, lo, hi, color=color, alpha=0.3, lw=0, zorder=1.8)
    # One legend entry for both: two more crowded the rate panel's row of a strap alone
    # ("unclear: no rate" too) onto a second one, over the panel above.
    label = f"{what}: {HR_MEAN_LONG_S / 60:g}-min mean (range shaded)"
    ax.plot(t_min, mean, lw=1.2, color=color, label=label)
    # A minute with data between two without (a stretch between dropouts, or all a recording
    # holds before a silence) draws neither a segment nor a band: it is drawn as a point.
    alone = _alone(mean)
    if alone.any():
        ax.plot(t_min[alone], mean[alone], "o", ms=2.6, color=color)


def _beat_holes(heart: HeartMetrics) -> list[tuple[float, float]]:
    """Holes in the beats: (last beat before, first beat after) each gap of over
    :data:`~analysis.hrv_frequency.MAX_GAP_S` between two beats, session s.

    The same threshold as the lines broken by :func:`_broken_at_gaps`: a dropout of the strap's
    link, or beats it never logged (an import's file), of which nothing is known.
    """
    t_s = np.sort(heart.nn_t_s)
    ends = np.flatnonzero(np.diff(t_s) > MAX_GAP_S)
    return [(float(t_s[k]), float(t_s[k + 1])) for k in ends.tolist()]


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``spans`` (start, end) merged where they overlap or touch, in order of start."""
    merged: list[tuple[float, float]] = []
    for t0, t1 in sorted(spans):
        if merged and t0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], t1))
        else:
            merged.append((t0, t1))
    return merged


def _zoom_window(analysis: SessionAnalysis) -> tuple[float, float]:
    """A ``ZOOM_S`` window as near the middle of the session as lies clear of every connection
    gap, every hole in the beats (:func:`_beat_holes`) and every stretch the file holds no
    record of (:attr:`SessionAnalysis.silences`: a packet 30 days late put the close-up in the
    empty middle); with none clear, the one missing the least. (It was moved off connection
    gaps only, so after a 19 s dropout of beats the close-up sat on the hole, found in
    review.)"""
    duration = analysis.duration_s
    if duration <= ZOOM_S:
        return 0.0, max(duration, 1.0)
    latest = duration - ZOOM_S
    middle = latest / 2
    holes = _merged(
        [(g.t0_s, g.t1_s) for g in analysis.gaps]
        + _beat_holes(analysis.heart)
        + list(analysis.silences)
    )
    # The window nearest the middle that is clear of the holes starts at the middle, right after
    # a hole or right before one.
    starts = [middle] + [min(max(t, 0.0), latest) for t0, t1 in holes for t in (t1, t0 - ZOOM_S)]

    def missing_s(start: float) -> float:
        return sum(max(0.0, min(t1, start + ZOOM_S) - max(t0, start)) for t0, t1 in holes)

    t0 = min(starts, key=lambda start: (missing_s(start), abs(start - middle)))
    return t0, t0 + ZOOM_S


def _zoom_breathing(ax: Axes, analysis: SessionAnalysis, window: tuple[float, float]) -> None:
    t0, t1 = window
    # In m:ss: the window is 90 s, so in tenths of a minute 0:15-1:45 read "0.2-1.8".
    ax.set_title(f"A closer look, {_clock(t0)}–{_clock(t1)} (min:s)", loc="left")
    mask = (analysis.pacer_t_s >= t0) & (analysis.pacer_t_s <= t1)
    if np.any(np.isfinite(analysis.pacer_fill[mask])):
        ax.plot(
            analysis.pacer_t_s[mask] - t0,
            analysis.pacer_fill[mask],
            color=COLORS["pacer"],
            lw=1.2,
            ls="--",
            label="pacer target",
        )
    belt = (analysis.belt_t_s >= t0) & (analysis.belt_t_s <= t1)
    norm = _normalise(analysis.belt_values)
    if np.any(belt):
        # A window that cannot keep off a gap (a short session) breaks its line there.
        belt_t, belt_line = _broken_at_gaps(analysis.belt_t_s[belt] - t0, norm[belt])
        ax.plot(
            belt_t,
            belt_line,
            color=COLORS["signal"],
            lw=1.2,
            label="your breathing",
        )
    else:
        _no_data(ax, "no breathing signal in this window")
    first_in = first_out = True
    for event in analysis.breaths:
        b = event.breath
        if b.end_s < t0 or b.inhale_onset_s > t1:
            continue
        ax.axvspan(
            b.inhale_onset_s - t0,
            b.exhale_onset_s - t0,
            color=COLORS["inhale"],
            alpha=0.22,
            lw=0,
            label="inhale" if first_in else None,
        )
        ax.axvspan(
            b.exhale_onset_s - t0,
            b.exhale_onset_s + b.exhale_s - t0,
            color=COLORS["exhale"],
            alpha=0.22,
            lw=0,
            label="exhale" if first_out else None,
        )
        first_in = first_out = False
    _shade_gaps_and_marks(ax, _shifted(analysis, t0), in_minutes=False)
    ax.set_xlim(0.0, t1 - t0)
    ax.set_ylim(*_fill_limits(norm[belt]))
    ax.set_ylabel("fill (0–1)")
    # On the title's line, as in the other panels: inside, it covered the breath peaks.
    _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=4, frameon=False)
    ax.tick_params(labelbottom=False)


def _shifted(analysis: SessionAnalysis, t0: float) -> SessionAnalysis:
    from dataclasses import replace

    from trainer.reports.session_analysis import Gap
    from trainer.session.events import MarkEvent

    return replace(
        analysis,
        gaps=tuple(Gap(g.device, g.t0_s - t0, g.t1_s - t0, g.open) for g in analysis.gaps),
        marks=tuple(MarkEvent(m.t_s - t0, m.label) for m in analysis.marks),
    )


def _broken_at_gaps(
    t_s: FloatArray, values: FloatArray, max_step_s: float = MAX_GAP_S
) -> tuple[FloatArray, FloatArray]:
    """``t_s`` and ``values`` (ordered by time) with a NaN point wherever two neighbours lie more
    than ``max_step_s`` apart, so that a plotted line breaks there rather than bridge the
    stretch without data with a straight line (a dropout looked like a steady heart rate)."""
    broken = np.flatnonzero(np.diff(t_s) > max_step_s) + 1
    return np.insert(t_s, broken, np.nan), np.insert(values, broken, np.nan)


def _broken_at_silences(
    t_s: FloatArray, values: FloatArray, silences: Sequence[tuple[float, float]]
) -> tuple[FloatArray, FloatArray]:
    """``t_s`` and ``values`` (ordered by time) with a NaN point at the start of each silence
    (:attr:`SessionAnalysis.silences`) that has samples on both sides, so that a plotted line
    breaks there rather than draw a straight line across days the file holds nothing of."""
    at = np.searchsorted(t_s, [t0 for t0, _ in silences], side="right")
    at = at[(at > 0) & (at < t_s.size)]
    return np.insert(t_s, at, np.nan), np.insert(values, at, np.nan)


def _zoom_heart(ax: Axes, analysis: SessionAnalysis, window: tuple[float, float]) -> None:
    t0, t1 = window
    heart = analysis.heart
    beats = (heart.nn_t_s >= t0) & (heart.nn_t_s <= t1)
    ax.set_xlim(0.0, t1 - t0)
    # Small and at the right, as the "min" under the other panels: centred and larger, it met
    # the legend of the rate panel below once that had three entries.
    ax.set_xlabel("s into the window", loc="right", labelpad=0, fontsize=7, color="#555555")
    ax.set_ylabel("heart rate (bpm),\nbeat by beat")
    if not np.any(beats):
        _no_data(ax, "no heart beats in this window")
        return
    for event in analysis.breaths:
        b = event.breath
        if b.end_s < t0 or b.inhale_onset_s > t1:
            continue
        ax.axvspan(
            b.inhale_onset_s - t0, b.exhale_onset_s - t0, color=COLORS["inhale"], alpha=0.12, lw=0
        )
    # Beat by beat, the line breaks where beats are missing (a dropout), as the panel below.
    t_line, hr_line = _broken_at_gaps(heart.nn_t_s[beats] - t0, 60_000.0 / heart.nn_ms[beats])
    ax.plot(
        t_line,
        hr_line,
        "-o",
        ms=2.2,
        lw=1.0,
        color=COLORS["hr"],
    )
    # No legend: the one line is named by the axis labels (a legend sat on the curve).
    ax.set_title(
        "…and your heart: it speeds up as you breathe in and slows as you breathe out (RSA)",
        loc="left",
    )


def _breath_series(analysis: SessionAnalysis) -> tuple[FloatArray, FloatArray, FloatArray]:
    good = analysis.good_breaths
    t = np.asarray([e.breath.inhale_onset_s for e in good], dtype=np.float64)
    rate = np.asarray([e.breath.rate_bpm for e in good], dtype=np.float64)
    ratio = np.asarray([e.breath.ratio for e in good], dtype=np.float64)
    return t, rate, ratio


def _target_steps(analysis: SessionAnalysis, attr: str) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for span in analysis.pacer_spans:
        value = getattr(span, attr)
        y = float(value) if value is not None and span.mode != "paused" else math.nan
        xs += [span.t0_s / 60, span.t1_s / 60]
        ys += [y, y]
    return xs, ys


def _rate_panel(ax: Axes, analysis: SessionAnalysis, long: bool) -> None:
    """Each breath's rate against the pacer's; ``long`` (a session longer than
    :data:`ENVELOPE_S_PER_COLUMN` allows), their per-minute mean and range (:func:`_per_minute`)."""
    t, rate, _ = _breath_series(analysis)
    ax.set_title("Breath rate", loc="left")
    ax.set_ylabel("breaths/min")
    xs, ys = _target_steps(analysis, "rate_bpm")
    if np.any(np.isfinite(ys)):
        ax.plot(xs, ys, color=COLORS["target"], lw=1.4, ls="--", label="pacer")
    if t.size:
        if long:
            _per_minute(ax, t, rate, analysis.duration_s, COLORS["signal"], "breaths")
        else:
            ax.plot(_minutes(t), rate, "o", ms=2.4, color=COLORS["signal"], label="each breath")
        hi = (
            float(np.nanmax(np.concatenate([rate, np.asarray(ys, dtype=float)])))
            if ys
            else float(rate.max())
        )
        ax.set_ylim(0.0, max(hi * 1.15, 1.0))
    elif analysis.rr_estimates:
        _rr_rate(ax, analysis, [y for y in ys if math.isfinite(y)], long)
    else:
        _no_data(ax, "no breaths detected")
    _shade_gaps_and_marks(ax, analysis)
    _time_axis(ax, analysis)
    _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=3, frameon=False)


RR_BREAK_S = 1.5 * RR_STEP_S
"""Time between two heart-rhythm rates drawn (s) over which their line breaks: they come every
:data:`~trainer.session.pipeline.RR_STEP_S`, so a longer step is a window not made (a hole in
the beats) or one left out as unusable."""


def _rr_rate(ax: Axes, analysis: SessionAnalysis, targets_bpm: list[float], long: bool) -> None:
    """A heart-rate strap alone: the breathing rate read from the heart rhythm, each usable
    estimate (:attr:`analysis.rr_breath.RRBreathEstimate.unusable_reason` None: quality at
    least :data:`analysis.rr_breath.USABLE_QUALITY`, as ``breaths --rr``, the live screen and
    the headline count them), the line broken where estimates are missing.

    An unusable estimate still names a rate (the band's tallest bin), which is noise: drawn,
    white-noise intervals looked like a fast breathing rate of 15-27/min under a headline of
    no rate. Its window is marked along the foot of the panel instead, with
    no rate, and a panel with none usable says why. A ``long`` session draws the usable rates'
    per-minute mean and range (:func:`_per_minute`).
    """
    estimates = analysis.rr_estimates
    shown = [e for e in estimates if e.unusable_reason is None]
    if shown and long:
        _per_minute(
            ax,
            np.asarray([e.t_s for e in shown], dtype=np.float64),
            np.asarray([e.rate_bpm for e in shown], dtype=np.float64),
            analysis.duration_s,
            COLORS["signal"],
            "from heart rhythm",
        )
    elif shown:
        t_s, rate_bpm = _broken_at_gaps(
            np.asarray([e.t_s for e in shown], dtype=np.float64),
            np.asarray([e.rate_bpm for e in shown], dtype=np.float64),
            RR_BREAK_S,
        )
        ax.plot(
            _minutes(t_s),
            rate_bpm,
            "o-",
            ms=2.4,
            lw=0.8,
            color=COLORS["signal"],
            label="from heart rhythm",
        )
    top_bpm = max([e.rate_bpm for e in shown] + targets_bpm, default=0.0)
    ax.set_ylim(0.0, max(top_bpm * 1.15, 1.0))
    unclear = [e.t_s for e in estimates if e.unusable_reason is not None]
    if unclear:
        # At a fixed height in the panel (axes fraction), since they have no rate.
        ax.plot(
            _minutes(np.asarray(unclear, dtype=np.float64)),
            np.full(len(unclear), 0.06),
            "|",
            ms=5,
            mew=0.8,
            color=COLORS["muted"],
            transform=ax.get_xaxis_transform(),
            label="unclear: no rate",
        )
    if not shown:
        # The commonest reason, by its head ("no rhythm", "irregular rhythm", "weak or unclear
        # breathing peak"): the rest of it holds numbers of one window.
        ((head, count),) = Counter(
            str(e.unusable_reason).split(":", 1)[0] for e in estimates
        ).most_common(1)
        _no_data(
            ax,
            f"not measured: the heart rhythm shows no breathing ({head} in {count} of "
            f"{len(estimates)} windows)",
        )


def _ratio_panel(ax: Axes, analysis: SessionAnalysis, long: bool) -> None:
    """Each timed breath's exhale:inhale ratio against the target; ``long``, their per-minute
    mean and range (:func:`_per_minute`)."""
    t, _, ratio = _breath_series(analysis)
    ax.set_title("Exhale:inhale ratio", loc="left")
    ax.set_ylabel("exhale:inhale")
    xs, ys = _target_steps(analysis, "ratio")
    if np.any(np.isfinite(ys)):
        ax.plot(xs, ys, color=COLORS["target"], lw=1.4, ls="--", label="target")
    # A breath whose in- or out-breath could not be timed has no ratio to draw (it had been
    # drawn at the scale's top, 5, or at 0, as if measured).
    measured = np.asarray([ratio_measured(r) for r in ratio.tolist()], dtype=bool)
    if measured.any():
        shown = np.clip(ratio[measured], 0.0, 5.0)
        if long:
            _per_minute(ax, t[measured], shown, analysis.duration_s, COLORS["exhale"], "breaths")
        else:
            ax.plot(
                _minutes(t[measured]),
                shown,
                "o",
                ms=2.4,
                color=COLORS["exhale"],
                label="each breath",
            )
        ax.set_ylim(0.0, max(float(np.nanmax(shown)) * 1.15, 2.5))
    elif t.size:
        _no_data(ax, "not measured: no breath's in- and out-breath could both be timed")
    elif analysis.rr_estimates:
        _no_data(ax, "not measured: the heart rhythm gives the rate only")
    else:
        _no_data(ax, "no breaths detected")
    _shade_gaps_and_marks(ax, analysis)
    _time_axis(ax, analysis)
    _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=2, frameon=False)


def _heart_panel(ax: Axes, analysis: SessionAnalysis, long: bool) -> None:
    heart = analysis.heart
    # Beats an import took from an ECG's R peaks are not a strap's: the title says so.
    title = "Heart rate and RSA"
    if analysis.beats_from.startswith("ECG"):
        title += " (beats from the ECG's R peaks)"
    ax.set_title(title, loc="left")
    ax.set_ylabel("heart rate (bpm)")
    _time_axis(ax, analysis)
    if heart.nn_ms.size == 0:
        # An older Breathwise's import of an ECG without RR kept no beat: not "no strap",
        # and the page says how to get them.
        if analysis.ecg_without_beats:
            from trainer.ui.headless import ECG_WITHOUT_BEATS_PANEL

            _no_data(ax, ECG_WITHOUT_BEATS_PANEL)
        else:
            _no_data(ax, "no heart-rate strap in this session")
        return
    if heart.rsa_t_s.size and long:
        # A bar a breath, 3 h was a comb of 1,080 spikes (4,317 points) hiding the heart
        # rate's line: each minute's mean lowest and highest heart rate of
        # its breaths instead, a band whose height is the minute's mean RSA.
        stretches = max(round(analysis.duration_s / HR_MEAN_LONG_S), 1)
        rsa_min, rsa_max = (
            _column_stat(heart.rsa_t_s, bpm, analysis.duration_s, stretches, "mean")
            for bpm in (heart.rsa_min_hr_bpm, heart.rsa_max_hr_bpm)
        )
        ax.fill_between(
            rsa_min[0],
            rsa_min[1],
            rsa_max[1],
            color=COLORS["rsa"],
            alpha=0.75,
            lw=0,
            label=f"RSA: swing within a breath ({HR_MEAN_LONG_S / 60:g}-min mean)",
        )
    elif heart.rsa_t_s.size:
        rsa_t_s, rsa_min_bpm, rsa_max_bpm = _rsa_bars(heart)
        ax.fill_between(
            _minutes(rsa_t_s),
            rsa_min_bpm,
            rsa_max_bpm,
            step="post",
            color=COLORS["rsa"],
            alpha=0.75,
            lw=0,
            label="RSA: swing within each breath",
        )
    order = np.argsort(heart.nn_t_s, kind="stable")
    t = heart.nn_t_s[order]
    hr = 60_000.0 / heart.nn_ms[order]
    if long:
        # A long session: the 15-beat mean, a point a beat, was a solid band (11,743 beats in
        # about 1,000 pixels for 3 h). A mean per pixel column still swung
        # with each breath (a column is about one breath), so a mean per minute instead.
        stretches = max(round(analysis.duration_s / HR_MEAN_LONG_S), 1)
        t_min, mean_bpm = _column_stat(t, hr, analysis.duration_s, stretches, "mean")
        ax.plot(
            t_min,
            mean_bpm,
            lw=1.2,
            color=COLORS["hr"],
            label=f"heart rate ({HR_MEAN_LONG_S / 60:g}-min mean)",
        )
        # A minute of beats alone (all a recording holds before a silence) draws no segment.
        alone = _alone(mean_bpm)
        if alone.any():
            ax.plot(t_min[alone], mean_bpm[alone], "o", ms=2.6, color=COLORS["hr"])
    elif hr.size < 2 * HR_MEAN_BEATS:
        # Too few beats for a running mean (with as many beats as the mean, it is one point:
        # a line with nothing to draw, and an empty panel whose legend named it).
        ax.plot(
            _minutes(t), hr, "-o", ms=2.2, lw=0.8, color=COLORS["hr"], label="heart rate, each beat"
        )
    else:
        k = HR_MEAN_BEATS
        smooth = np.convolve(hr, np.ones(k) / k, mode="valid")
        t_mid = t[k // 2 : k // 2 + smooth.size]
        # Break the line across a gap in the beats rather than draw a straight bridge.
        t_line, hr_line = _broken_at_gaps(t_mid, smooth, MAX_GAP_S)
        ax.plot(
            _minutes(t_line),
            hr_line,
            lw=1.2,
            color=COLORS["hr"],
            label=f"heart rate ({k}-beat mean)",
        )
    _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 0.98), ncols=2, frameon=False)
    _shade_gaps_and_marks(ax, analysis)


def _rsa_bars(heart: HeartMetrics) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Times (session s) and the two ends of the RSA bars (bpm), for a ``step="post"`` fill.

    Each breath's bar runs from its inhale onset to the next breath's, and the last one to its
    own breath's end (a ``step="post"`` fill draws nothing after its last point, and the last
    breath's bar had no width), except over a hole in the beats
    (:func:`_beat_holes`): there it ends at the last beat before the hole, and a NaN point
    leaves the hole empty (the bar of the breath before a 19 s dropout stretched across it, as
    if its swing had been measured there).
    """
    starts = np.asarray([t0 for t0, _ in _beat_holes(heart)], dtype=np.float64)
    last_s = float(heart.rsa_t_s[-1])
    # A hole in the last breath ends its bar as it ends the others'.
    end_s = min([float(heart.rsa_end_s[-1]), *starts[starts >= last_s].tolist()])
    t_s = np.append(heart.rsa_t_s, end_s)
    lo_bpm = np.append(heart.rsa_min_hr_bpm, heart.rsa_min_hr_bpm[-1])
    hi_bpm = np.append(heart.rsa_max_hr_bpm, heart.rsa_max_hr_bpm[-1])
    # The breath whose bar reaches each hole: the last one starting before it (none after the
    # last bar's end, which the hole set already).
    after = np.searchsorted(t_s, starts, side="right")
    cuts = (after > 0) & (after < t_s.size)
    starts, after = starts[cuts], after[cuts]
    at = np.repeat(after, 2)
    held = np.column_stack([starts, starts]).ravel()

    def ended(values: FloatArray) -> FloatArray:
        ends = np.column_stack([values[after - 1], np.full(after.size, np.nan)]).ravel()
        return np.insert(values, at, ends)

    return np.insert(t_s, at, held), ended(lo_bpm), ended(hi_bpm)


HR_MEAN_BEATS = 15
"""Beats in the running mean of the heart-rate panel."""
HR_MEAN_LONG_S = 60.0
"""Time over which the heart-rate panel of a long session (see :data:`ENVELOPE_S_PER_COLUMN`)
averages the heart rate (s): over several breaths, so the line shows the trend, not RSA. The
panels of a point a breath or a window (:func:`_per_minute`) and the RSA band use it too."""
FOLLOW_FLOOR = 8.0
"""Room below score 0 on the follow panel (score points): a breath scored 0 is drawn clear of
the axis line."""
FOLLOW_TOP = 150.0
"""Top of the follow panel's score axis: the room above 100 holds the legend, clear of the
scores (inside the 0-100 range it covered the low ones)."""


COHERENCE_LONG_TOP = 16.0
"""Top of a long session's coherence axis (score): the room above 10 holds the legend."""


def _why_none_scored(breaths: Sequence[BreathEvent]) -> str:
    """The follow panel's note when breaths were detected but none scored."""
    if all(e.paused for e in breaths):
        return "no breaths scored: all were taken while paused"
    if all(e.free or e.paused for e in breaths):
        return "no breaths scored: nothing was asked of them (breathing as you like)"
    return "no breaths scored (not while paused or free, nor in a pace's first period)"


def _follow_panel(ax: Axes, analysis: SessionAnalysis, long: bool) -> None:
    """The coach's follow score of each scored breath and its running mean; ``long``, the
    scores' per-minute mean and range (:func:`_per_minute`)."""
    # Breaths taken mostly while paused or in a "breathe naturally" step are not scored.
    good = [e for e in analysis.good_breaths if e.scored]
    ax.set_title("How well you followed (coach's score per breath)", loc="left")
    ax.set_ylabel("score (0–100)")
    # Below 0 too: a breath scored 0 sat on the axis line, hidden.
    ax.set_ylim(-FOLLOW_FLOOR, FOLLOW_TOP)
    ax.set_yticks([0, 50, 100])
    if not good and analysis.paces:
        # A heart-rate strap alone: the coach scored the pace read from the heart rhythm.
        ax.set_title("How well you kept the pace (heart rhythm)", loc="left")
        t = np.asarray([p.t_s for p in analysis.paces], dtype=np.float64)
        s = np.asarray([p.feedback.follow_score for p in analysis.paces], dtype=np.float64)
        if long:
            _per_minute(ax, t, s, analysis.duration_s, COLORS["follow"], "estimates")
        else:
            ax.plot(_minutes(t), s, "o", ms=2.6, color=COLORS["follow"], label="each estimate")
    elif not good and analysis.good_breaths:
        # Breaths there were, none of them scored (without this, one slow breath begun in the
        # pacer's first period "no breaths detected" beside the rate panel's point).
        _no_data(ax, _why_none_scored(analysis.good_breaths))
    elif not good:
        _no_data(ax, "no breaths detected")
    else:
        t = np.asarray([e.breath.inhale_onset_s for e in good], dtype=np.float64)
        s = np.asarray([e.feedback.follow_score for e in good], dtype=np.float64)
        if long:
            _per_minute(ax, t, s, analysis.duration_s, COLORS["follow"], "breaths")
        else:
            _follow_each_breath(ax, t, s)
    # A strap alone's points, of one kind, are named by the title; a long session's band and
    # line are not. Anchored at score 100 and growing upwards, into the band no score reaches.
    if good or long:
        _legend_above(ax, 101.0)
    _shade_gaps_and_marks(ax, analysis)
    _time_axis(ax, analysis)


def _follow_each_breath(ax: Axes, t_s: FloatArray, scores: FloatArray) -> None:
    """Each breath's follow score (at its inhale onset, session s) and their running mean."""
    ax.plot(
        _minutes(t_s), scores, "o", ms=2.2, color=COLORS["follow"], alpha=0.55, label="each breath"
    )
    k = min(5, scores.size)
    smooth = np.convolve(scores, np.ones(k) / k, mode="valid")
    if smooth.size >= 2:
        # One mean is one point, no line: it would be named in the legend and not drawn
        # (3 breaths gave "mean of last 3 breaths" and nothing).
        ax.plot(
            _minutes(t_s[k - 1 :]),
            smooth,
            lw=1.6,
            color=COLORS["follow"],
            label=f"mean of last {k} breaths",
        )


def _coherence_panel(ax: Axes, analysis: SessionAnalysis, long: bool) -> None:
    """The coherence score of each window as a line; ``long``, its per-minute mean and range
    (:func:`_per_minute`), with a legend above score 10."""
    heart = analysis.heart
    ax.set_title("Coherence: one steady heart rhythm (score)", loc="left")
    ax.set_ylabel("score (0–10)")
    ax.set_ylim(0, 10.5)
    if heart.coherence_score.size == 0:
        _no_data(ax, "needs at least 64 s of heart beats")
    elif long:
        _per_minute(
            ax,
            heart.coherence_t_s,
            heart.coherence_score,
            analysis.duration_s,
            COLORS["coherence"],
            "windows",
        )
        # Room above 10 for the legend naming the line and its band, as on the follow panel.
        ax.set_ylim(0, COHERENCE_LONG_TOP)
        ax.set_yticks([0, 5, 10])
        _legend_above(ax, 10.6)
    else:
        # A window the beats did not cover has no value: no line across it either.
        t_line, score_line = _broken_at_gaps(
            heart.coherence_t_s, heart.coherence_score, 1.5 * DEFAULT_SETTINGS.update_s
        )
        ax.plot(
            _minutes(t_line),
            score_line,
            "-",
            lw=1.4,
            color=COLORS["coherence"],
        )
        # A value with no neighbour on the line (a 64-69 s session has one window) draws no
        # segment: as a line alone the panel stayed blank under a headline "Coherence 2.8 / 10".
        # Such values are drawn as points.
        alone = _alone(score_line)
        if alone.any():
            ax.plot(
                _minutes(t_line[alone]),
                score_line[alone],
                "o",
                ms=3.5,
                color=COLORS["coherence"],
            )
    _shade_gaps_and_marks(ax, analysis)
    _time_axis(ax, analysis)


SPECTRUM_MARK = " *"
"""After the names of the HRV table's rows that come from part of the session only (the spectrum
of the longest stretch without a gap in the beats), explained by a note under the table."""


def spectrum_note(analysis: SessionAnalysis) -> str | None:
    """Which beats LF, HF, LF/HF and the spectral peak (the rows marked :data:`SPECTRUM_MARK`)
    come from, when that is not every beat; None when it is, or when there are no beats.

    :func:`analysis.hrv_frequency.gap_free_frequency_domain` takes the longest stretch with no
    gap over :data:`~analysis.hrv_frequency.MAX_GAP_S` between beats (a spline across a dropout
    invents slow power), so after a dropout the "whole session" table held the numbers of 5.2 of
    10 min and said nothing of it (``hrv`` warns of its own).
    """
    stretch = analysis.heart.spectrum_stretch
    if stretch is None or stretch.whole or stretch.n_beats == 0:
        return None
    rule = f"the longest run of beats without a gap over {MAX_GAP_S:g} s"
    if stretch.spectrum is None:
        return (
            f"not computed: {rule} lasts {stretch.duration_s:.0f} s, under {MIN_SPECTRUM_S:.0f} s"
        )
    return (
        f"from {_clock(stretch.start_s)}–{_clock(stretch.end_s)} only ({stretch.n_beats} of "
        f"{stretch.n_total} beats): {rule}"
    )


def _hrv_rows(analysis: SessionAnalysis) -> list[tuple[str, str]]:
    """Name and value of each row of the HRV table; a spectral row is marked when the spectrum
    is not of every beat (:func:`spectrum_note`)."""
    heart = analysis.heart
    partial = SPECTRUM_MARK if spectrum_note(analysis) is not None else ""
    mean_hr, start_hr = _fmt(heart.mean_hr_bpm, 1, "bpm"), _fmt(heart.hr_start_bpm, 1, "bpm")
    if analysis.summary.get("hr_basis") == "device":
        # A strap without RR intervals: the heart rate it reported, and nothing else here.
        mean_hr = _fmt(analysis.device_hr_mean_bpm, 1, "bpm") + " (strap's own)"
        start_hr = _fmt(analysis.summary.get("hr_start_bpm"), 1, "bpm") + " (strap's own)"
    return [
        ("Mean heart rate", mean_hr),
        ("Heart rate, first minute", start_hr),
        ("Mean NN", _fmt(heart.mean_nn_ms, 0, "ms")),
        ("SDNN", _fmt(heart.sdnn_ms, 1, "ms")),
        ("RMSSD", _fmt(heart.rmssd_ms, 1, "ms")),
        ("pNN50", _fmt(heart.pnn50_pct, 1, "%")),
        ("LF power (0.04–0.15 Hz)" + partial, _fmt(heart.lf_power_ms2, 0, "ms²")),
        ("HF power (0.15–0.4 Hz)" + partial, _fmt(heart.hf_power_ms2, 0, "ms²")),
        ("LF/HF" + partial, _fmt(heart.lf_hf, 2)),
        (
            "Spectral peak" + partial,
            _fmt(heart.peak_hz, 3, "Hz")
            + (f" ({heart.peak_hz * 60:.1f} /min)" if heart.peak_hz else ""),
        ),
        ("RSA, mean per breath", _fmt(heart.mean_rsa_bpm, 1, "bpm")),
        (
            "Coherence ratio / score, mean",
            f"{_fmt(heart.mean_coherence, 2)} / {_fmt(heart.mean_coherence_score, 1)}",
        ),
        (
            "Beats corrected",
            f"{heart.corrected_beats} of {analysis.rr_ms.size}"
            + (f" ({heart.artifact_pct:.1f} %)" if heart.artifact_pct is not None else ""),
        ),
    ]


def _hrv_table(ax: Axes, analysis: SessionAnalysis) -> None:
    ax.axis("off")
    heart = analysis.heart
    note = spectrum_note(analysis)
    rows = _hrv_rows(analysis)
    # After a dropout part of the table is not of the whole session, and the note needs the
    # room: the title says only what the table is.
    title = (
        "Heart-rate variability" if note is not None else "Heart-rate variability (whole session)"
    )
    ax.set_title(title, loc="left")
    if note is not None:
        # On the title's line: the page has no room for another line under the table.
        ax.set_title(
            SPECTRUM_MARK.strip() + " " + note, loc="right", fontsize=7, fontweight="normal"
        )
    # The same warning as the hrv command and the import (analysis.hrv_report): numbers drawn
    # from mostly corrected beats look as trustworthy as any others unless the page says so.
    warning = artifact_warning(heart.corrected_beats, int(analysis.rr_ms.size))
    # Placed in points from the top of the panel, whose row report_figure made tall enough
    # (hrv_table_pt) for the rows, the warning and every line of the settings.
    height_in = float(A4_PORTRAIT_IN[1])  # the page is always A4 (report_figure)
    panel_pt = max(ax.get_position().height * height_in * 72.0, 1.0)

    def y_at(pt_below_top: float) -> float:
        return 1.0 - pt_below_top / panel_pt

    half = (len(rows) + 1) // 2
    for col, chunk in enumerate((rows[:half], rows[half:])):
        for k, (name, value) in enumerate(chunk):
            y = y_at(HRV_TOP_PT + k * HRV_ROW_PT)
            ax.text(
                0.00 + col * 0.5,
                y,
                name,
                fontsize=HRV_ROW_SIZE,
                color="#444444",
                transform=ax.transAxes,
                va="top",
            )
            ax.text(
                0.46 + col * 0.5,
                y,
                value,
                fontsize=HRV_ROW_SIZE,
                fontweight="bold",
                ha="right",
                transform=ax.transAxes,
                va="top",
            )
    below_pt = HRV_TOP_PT + half * HRV_ROW_PT
    if warning is not None:
        ax.text(
            0.0,
            y_at(below_pt),
            "Warning: " + warning,
            fontsize=HRV_WARNING_SIZE,
            fontweight="bold",
            color=COLORS["hr"],
            va="top",
            transform=ax.transAxes,
        )
        below_pt += HRV_WARNING_PT
    ax.text(
        0.0,
        y_at(below_pt),
        "\n".join(_settings_lines(analysis)),
        fontsize=HRV_SETTINGS_SIZE,
        color="#666666",
        va="top",
        linespacing=LINESPACING,
        transform=ax.transAxes,
    )


HRV_ROW_SIZE = 7.5
"""Font size of the HRV table's rows (points)."""
HRV_TOP_PT = 5.0
"""From the top of the HRV panel to its first row (points)."""
HRV_ROW_PT = 8.5
"""From one row of the HRV table to the next (points)."""
HRV_WARNING_SIZE = 7.0
"""Font size of the warning under the table when most beats were corrected (points)."""
HRV_WARNING_PT = 9.0
"""Room the warning line takes above the settings (points)."""
HRV_SETTINGS_SIZE = 6.0
"""Font size of the settings under the table (points)."""
HRV_SETTINGS_CHARS = 150
"""Characters per line of the settings under the table: about the page's width at 6 pt."""
LINESPACING = 1.2
"""Matplotlib's default line spacing, as a multiple of a line's ascent."""


def _settings_lines(analysis: SessionAnalysis) -> list[str]:
    """The settings the HRV table's numbers were computed with, one line of the page each."""
    settings = "; ".join(f"{k}: {v}" for k, v in analysis.heart.settings.items())
    return textwrap.wrap("Settings — " + settings, HRV_SETTINGS_CHARS)


def text_block_pt(lines: Sequence[str], size: float, weight: str = "normal") -> float:
    """Height (points) of ``lines`` of text at ``size`` points, as matplotlib draws them on the
    PNG page (:data:`PNG_DPI`; a PDF's are a little shorter).

    Measured on a throwaway figure: how matplotlib spaces lines changes between its versions
    (3.11 spaces them by the font's own line gap).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not lines:
        return 0.0
    canvas = FigureCanvasAgg(Figure(figsize=A4_PORTRAIT_IN, dpi=PNG_DPI))
    text = canvas.figure.text(
        0.0, 0.5, "\n".join(lines), fontsize=size, fontweight=weight, linespacing=LINESPACING
    )
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]  # matplotlib is untyped here
    return float(text.get_window_extent(renderer).height) * 72.0 / PNG_DPI


def hrv_table_pt(analysis: SessionAnalysis) -> float:
    """What the HRV panel draws below its top (points): its rows, the warning when most beats
    were corrected, and every line of the settings.

    A session without a breathing sensor says more of its RSA; its fifth line of settings fell
    below the page, and the warning pushed it further.
    """
    heart = analysis.heart
    warning = artifact_warning(heart.corrected_beats, int(analysis.rr_ms.size))
    rows = (len(_hrv_rows(analysis)) + 1) // 2
    return (
        HRV_TOP_PT
        + rows * HRV_ROW_PT
        + (HRV_WARNING_PT if warning is not None else 0.0)
        + text_block_pt(_settings_lines(analysis), HRV_SETTINGS_SIZE)
    )


@dataclass(frozen=True, slots=True)
class ResonanceRow:
    """One paced rate of a resonance assessment, as the report shows it.

    Attributes
    ----------
    rate_bpm : float
        The paced rate, breaths/min.
    score : float or None
        Its score (0-1, :func:`analysis.resonance.score_resonance`); ``None`` when set aside.
    reason : str
        Why a rate was set aside ("" for a scored one).
    """

    rate_bpm: float
    score: float | None
    reason: str


def resonance_rows(analysis: SessionAnalysis) -> list[ResonanceRow]:
    """Each rate a resonance assessment tried, with its score or the reason it was set aside.

    Both come from the session summary (``scores``, and ``unscored`` with each left-out rate's
    reason from :func:`analysis.resonance.score_resonance`).

    Returns
    -------
    list of ResonanceRow
        In the order tried; empty when the session is not a resonance assessment.
    """
    result = analysis.summary.get("resonance")
    if result is None:
        return []
    reasons = {float(rate): str(why) for rate, why in result.get("unscored", [])}
    rows: list[ResonanceRow] = []
    for rate, score in scored_rates(result):
        if score is not None:
            rows.append(ResonanceRow(rate, score, ""))
            continue
        reason = reasons.get(rate, "no score (its heart-rate swing could not be measured)")
        rows.append(ResonanceRow(rate, None, reason))
    return rows


def _resonance_panel(bars: Axes, notes: Axes, analysis: SessionAnalysis) -> None:
    """Each tried rate's score with the chosen one marked, and the rates set aside with why."""
    result = analysis.summary.get("resonance", {})
    rows = resonance_rows(analysis)
    chosen = result.get("chosen_rate_bpm")
    bars.set_title(
        "Resonance: score per rate"
        + (f" (chosen {chosen:g} /min)" if chosen is not None else " (no rate chosen)"),
        loc="left",
    )
    bars.set_ylabel("score (0–1)")
    # The rates are written under the bars inside the panel, units and all: an x label below
    # it would run into the title of the panel under it (the page has no height to spare).
    bars.set_ylim(-0.3, 1.25)
    bars.axhline(0.0, color="#555555", lw=0.6)
    bars.tick_params(axis="x", bottom=False, labelbottom=False)
    bars.set_yticks([0.0, 0.5, 1.0])
    bars.grid(axis="x", visible=False)
    planned, tried = result.get("rates_planned"), result.get("rates_tried")
    # Stopped before the first rate's step was complete: no rate to score, which is not the
    # beats' fault nor the person's (the text format_resonance keeps for those).
    none_tried = isinstance(planned, int) and planned > 0 and tried == 0
    if not rows:
        _no_data(bars, "no rate completed" if none_tried else "no rate could be scored")
    for k, row in enumerate(rows):
        bars.text(k, -0.06, f"{row.rate_bpm:g}/min", ha="center", va="top", fontsize=7)
        if row.score is None:
            bars.text(
                k, 0.04, "set\naside", ha="center", va="bottom", fontsize=6.5, color=COLORS["muted"]
            )
            continue
        best = chosen is not None and abs(row.rate_bpm - chosen) < 1e-6
        bars.bar(
            k,
            row.score,
            width=0.6,
            color=COLORS["target"] if best else COLORS["practice"],
            alpha=1.0 if best else 0.6,
        )
        bars.text(
            k,
            row.score + 0.03,
            f"{row.score:.2f}" + (" chosen" if best else ""),
            ha="center",
            va="bottom",
            fontsize=6.5,
            fontweight="bold" if best else "normal",
        )
    bars.set_xticks(range(len(rows)))
    bars.set_xlim(-0.6, max(len(rows), 1) - 0.4)

    notes.axis("off")
    notes.set_title("Rates left out", loc="left")
    lines: list[str] = []
    for row in rows:
        if row.score is None:
            lines += textwrap.wrap(
                f"{row.rate_bpm:g} /min set aside: {row.reason}.", 62, subsequent_indent="   "
            )
    if none_tried:
        lines += textwrap.wrap(
            f"None of the {planned} rates completed: the session stopped before the first "
            "rate's step was over, so no rate was chosen.",
            62,
            subsequent_indent="   ",
        )
    elif isinstance(planned, int) and isinstance(tried, int) and tried < planned:
        lines += textwrap.wrap(
            f"{planned - tried} of {planned} rates not tried: the session stopped early, so the "
            "best rate tried may not be yours.",
            62,
            subsequent_indent="   ",
        )
    if not lines:
        lines = ["None: every rate tried was scored."]
    ranking = result.get("ranking_bpm", [])
    if ranking:
        lines += ["", "Ranking, best first: " + ", ".join(f"{r:g}" for r in ranking) + " /min"]
    notes.text(
        0.0,
        0.95,
        "\n".join(lines),
        fontsize=7,
        color="#333333",
        va="top",
        transform=notes.transAxes,
    )


# ------------------------------------------------------------------------------- page
ROW_GAP = 0.72 / (9 + 0.72 * 8)
"""Gap between two rows of panels, as a share of the grid's height (that of the nine-row page)."""


def _hspace(rows: int) -> float:
    """Matplotlib's ``hspace`` (a share of the mean panel height) giving gaps of ``ROW_GAP``.

    With a row more (a resonance assessment) the same ``hspace`` would narrow every gap, and a
    panel's "min" label would meet the legend of the panel below it.
    """
    return ROW_GAP * rows / (1.0 - ROW_GAP * (rows - 1))


GRID_TOP = 0.975
"""Top of the report's grid of panels, as a share of the page's height."""
STATEMENT_Y = 0.0015
"""Bottom of the not-a-medical-device line at the foot of every report, as a share of the
page's height."""
STATEMENT_SIZE = 6.0
"""Font size of that line (points)."""
FOOT_LINE_Y = 0.0125
"""Bottom of a simulated or sensorless session's foot line, above the statement, as a share of
the page's height."""
FOOT_LINE_SIZE = 9.0
"""Font size of that foot line (points)."""
PAGE_EDGE_PT = 4.0
"""Least space between the last line of the page's text and the foot lines (points)."""


def _foot_pt(marked: bool) -> float:
    """Height of the page's foot lines from the bottom edge, points: the statement's, and above it
    a simulated or sensorless session's (``marked``)."""
    page_pt = A4_PORTRAIT_IN[1] * 72.0
    if marked:
        return FOOT_LINE_Y * page_pt + text_block_pt(["S"], FOOT_LINE_SIZE, "bold")
    return STATEMENT_Y * page_pt + text_block_pt(["S"], STATEMENT_SIZE)


def _statement(fig: Figure) -> None:
    """The not-a-medical-device statement along the page's foot (programs.md: "shown, not
    buried": a report shows RMSSD and LF/HF, and someone who runs no back program would
    otherwise never see the statement)."""
    fig.text(
        0.5,
        STATEMENT_Y,
        NOT_A_MEDICAL_DEVICE,
        ha="center",
        va="bottom",
        fontsize=STATEMENT_SIZE,
        color=COLORS["muted"],
    )


def _hrv_row_height(heights: list[float], needed_pt: float, bottom: float, marked: bool) -> float:
    """The height ratio of the grid's last row, the HRV table, that holds ``needed_pt`` below its
    top (:func:`hrv_table_pt`): its own (``heights[-1]``) when that does, else as much more as it
    needs, the other rows sharing the rest of the page.

    The table may run below its row into the page's bottom margin (``bottom``, a share of the
    page's height), down to :data:`PAGE_EDGE_PT` above the foot lines (:func:`_foot_pt`).
    A row ``k`` of ``n`` is ``heights[k] / sum(heights)`` of the grid's height less its ``n - 1``
    gaps of :data:`ROW_GAP` (:func:`_hspace`).
    """
    page_pt = A4_PORTRAIT_IN[1] * 72.0
    floor_pt = PAGE_EDGE_PT + _foot_pt(marked)
    row_pt = needed_pt - max(bottom * page_pt - floor_pt, 0.0)
    panels_pt = (GRID_TOP - bottom) * page_pt * (1.0 - ROW_GAP * (len(heights) - 1))
    others = sum(heights[:-1])
    if row_pt <= panels_pt * heights[-1] / (others + heights[-1]):
        return heights[-1]
    return row_pt * others / (panels_pt - row_pt)


def report_figure(analysis: SessionAnalysis) -> Figure:
    """Draw the one-page session report as a matplotlib Figure (A4 portrait)."""
    from matplotlib.figure import Figure

    apply_style()
    fig = Figure(figsize=A4_PORTRAIT_IN)
    _statement(fig)
    if is_sensorless(analysis.source_kind):
        return _sensorless_page(fig, analysis)
    # A fixed grid rather than constrained layout: the page is always the same, and layout
    # solving doubled the rendering time.
    # A resonance assessment gets a row of its own for its result, the reason it was run.
    resonance = "resonance" in analysis.summary
    heights = [0.8, 1.15, 1.0, 0.75, 0.85, 0.85, 0.85, 0.85, 1.25]
    if resonance:
        heights.insert(7, 0.75)
        # The headline's text is placed in fractions of its row: keep the row as tall.
        heights[0] = 0.9
    two_lines = len(subtitle_lines(analysis)) > 1
    if two_lines:
        heights[0] += SUBTITLE_ROW
    changed = page_note(analysis)
    if changed:
        heights[0] += CHANGED_NOTE_ROW
    # Room at the foot for a simulated or sensorless session's line (_headline).
    marked = bool(source_mark(analysis.source_kind))
    bottom = 0.05 if marked else 0.035
    heights[-1] = _hrv_row_height(heights, hrv_table_pt(analysis), bottom, marked)
    grid = fig.add_gridspec(
        len(heights),
        2,
        height_ratios=heights,
        left=0.085,
        right=0.93,
        top=GRID_TOP,
        bottom=bottom,
        hspace=_hspace(len(heights)),
        wspace=0.2,
    )
    headline = fig.add_subplot(grid[0, :])
    subtitle = _headline(fig, headline, analysis)
    if changed:
        # Laid out as on a row without the subtitle's room, which then opens above the note.
        grown = CHANGED_NOTE_ROW + (SUBTITLE_ROW if two_lines else 0.0)
        _changed_note(headline, changed, heights[0] - grown)
    if two_lines:
        _make_room_for_subtitle(headline, subtitle, heights[0] - SUBTITLE_ROW)
    _overview(fig, fig.add_subplot(grid[1, :]), analysis)
    window = _zoom_window(analysis)
    zoom = fig.add_subplot(grid[2, :])
    _zoom_breathing(zoom, analysis, window)
    _zoom_heart(fig.add_subplot(grid[3, :], sharex=zoom), analysis, window)
    rate = fig.add_subplot(grid[4, :])
    # Decided on a full-width panel for the half-width ones too: by their own width the follow
    # and coherence panels would be summarised from 17 min on, apart from the rest of the page.
    long = _envelope_columns(rate, analysis.duration_s) is not None
    _rate_panel(rate, analysis, long)
    ratio = fig.add_subplot(grid[5, :], sharex=rate)
    _ratio_panel(ratio, analysis, long)
    _heart_panel(fig.add_subplot(grid[6, :], sharex=rate), analysis, long)
    row = 7
    if resonance:
        _resonance_panel(fig.add_subplot(grid[row, 0]), fig.add_subplot(grid[row, 1]), analysis)
        row += 1
    follow = fig.add_subplot(grid[row, 0], sharex=rate)
    _follow_panel(follow, analysis, long)
    _coherence_panel(fig.add_subplot(grid[row, 1], sharex=rate), analysis, long)
    _hrv_table(fig.add_subplot(grid[row + 1, :]), analysis)
    return fig


NOTHING_MEASURED = (
    "No sensor was used (--device none), so nothing was measured: breathing, heart rate, HRV "
    "and coherence need a breathing belt, a chest sensor or a heart-rate strap."
)
"""The one line a sensorless session's report gives in place of its charts."""
MAX_STEP_LINES = 40
"""Steps listed on a sensorless session's page; a longer list ends with how many more."""


def _sensorless_page(fig: Figure, analysis: SessionAnalysis) -> Figure:
    """The report of a session without a sensor: its minutes and steps, and one line saying
    nothing was measured (a page of empty charts gave reasons such as "no breaths detected"
    for what was never measured)."""
    two_lines = len(subtitle_lines(analysis)) > 1
    heights = [0.8 + (SUBTITLE_ROW if two_lines else 0.0), 9.0]
    grid = fig.add_gridspec(2, 1, height_ratios=heights, top=GRID_TOP, bottom=0.05)
    headline = fig.add_subplot(grid[0])
    subtitle = _headline(fig, headline, analysis)
    if two_lines:
        _make_room_for_subtitle(headline, subtitle, 0.8)
    ax = fig.add_subplot(grid[1])
    ax.axis("off")
    lines = [NOTHING_MEASURED, "", "What was practised:"]
    changed = page_note(analysis)
    if changed:
        # Minutes practised can change too; the page says so as the sensor pages do.
        lines[1:1] = ["", changed.removeprefix("note: ").removeprefix("warning: ")]
    steps = [_step_line(span) for span in analysis.pacer_spans]
    lines += steps[:MAX_STEP_LINES]
    if len(steps) > MAX_STEP_LINES:
        lines.append(f"  ... and {len(steps) - MAX_STEP_LINES} more")
    course = program_course_text(analysis.summary)
    if course:
        # Where it started (--from-step) and what the person skipped (key n).
        lines += ["", f"Program: {course}"]
    ax.text(
        0.0,
        1.0,
        "\n".join(textwrap.fill(line, 95) if line else line for line in lines),
        va="top",
        fontsize=9,
        transform=ax.transAxes,
    )
    return fig


def _step_line(span: PacerSpan) -> str:
    """``  2:30-4:00  paced 6.0/min, exhale:inhale 2.0 — Lying twist`` for one pacer span."""
    when = f"{_clock(span.t0_s)}-{_clock(span.t1_s)}"
    if span.mode == "paced":
        what = f"paced {span.rate_bpm:.1f}/min, exhale:inhale {span.ratio:.1f}"
    elif span.mode == "paused":
        what = "paused"
    elif span.ratio is not None:
        what = f"own rhythm, exhale:inhale {span.ratio:.1f}"
    else:
        what = "own rhythm"
    return f"  {when}  {what}" + (f" — {span.label}" if span.label else "")


def write_report(analysis: SessionAnalysis, output: Path) -> Path:
    """Render the report of ``analysis`` to ``output`` (.png, .pdf or .svg)."""
    return save_figure(report_figure(analysis), output)


def report_recording(
    recording: Path,
    output: Path | None = None,
    *,
    tell: Callable[[str], None] | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Analyse one recording and write its report; ``output`` defaults to ``<stem>.report.png``
    beside the recording. An existing report is replaced; anything else there is refused
    (:func:`check_replaceable`).

    When today's analysis shows other numbers than the live session closed with, the page
    says so above its numbers, and ``tell`` is given the same note
    (:meth:`SessionAnalysis.changed_note`) before the page is drawn; a damaged recording's
    warning (:meth:`SessionAnalysis.damage_note`) before it. ``progress`` is told the
    fraction done (:mod:`analysis.progress`): the analysis, then the page.

    Raises
    ------
    BadArgument
        ``output`` is not a .png, .pdf or .svg name, or is ``-`` (checked before any work).
    trainer.errors.UserError
        The folder of ``output`` does not exist (:func:`trainer.storage.paths.check_output_path`),
        or something that is not a report is there (checked before any work).
    trainer.storage.recording.RecordingError
        The recording cannot be read.
    """
    if output is not None:
        check_output_path(output, "a report", recording.with_suffix(".report.pdf").name)
    target = output if output is not None else recording.with_suffix(".report.png")
    figure_suffix(target)
    check_replaceable(target, "a report")
    steps = ProgressSteps(progress)
    # Measured on 2 h of 130 Hz ECG with RR: 10.4 s of analysis, 1.5 s drawing the page.
    analysis = analyse_recording(recording, progress=steps.part(0.0, 0.87))
    notes = [analysis.damage_note(), analysis.changed_note(REPORT_SUBJECT), analysis.ecg_note()]
    if analysis.ended == CUT_SHORT:
        # As replay and export say it (the page says it too).
        notes.insert(
            0, f"note: {recording} was cut short (session killed?); the report is of what it holds"
        )
    for note in notes:
        if note and tell is not None:
            tell(note)
    written = write_report(analysis, target)
    steps.done()
    return written
