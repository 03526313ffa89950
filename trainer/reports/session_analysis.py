"""Whole-session analysis of a recording: the live pipeline at full speed, plus session metrics.

:func:`analyse_recording` feeds a recording's items through the very :class:`Pipeline` a live
session uses (docs/reference/design.md: "a report runs the same processors at full speed and adds
whole-session metrics"), and keeps everything a report, the history, a batch run or an export needs:

* the belt waveform as decoded (``BeltEvent``), the breaths with the coach's feedback, the beats;
* the pacer timeline, read from the pipeline's own :class:`~trainer.coaching.pacer.Pacer` after each
  recorded pacer change, so the target drawn in a report is the target the coach scored against;
* connection gaps, user marks, status messages;
* whole-session heart metrics from the heart analyses of :mod:`analysis` (artifact correction,
  HRV, coherence over time, RSA per breath).

The result is a plain, picklable value: batch workers return parts of it across processes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.beats import MAX_DRIFT_S, joined_beats
from analysis.checks import PLAUSIBLE_RR_MS
from analysis.coherence import measured_coherence
from analysis.hrv_frequency import MAX_GAP_S, GapFreeSpectrum, gap_free_frequency_domain
from analysis.hrv_time import time_domain
from analysis.progress import ProgressCallback, ProgressSteps
from analysis.rr_artifacts import correct_rr
from analysis.rr_breath import RRBreathEstimate, estimate_breathing_from_rr, rr_breath_cycles
from analysis.rsa import BreathEvents, rsa_per_breath
from devices.packets import NS_PER_S
from trainer.coaching.conductor import is_conductor_label
from trainer.coaching.pacer import Pacer, Phase
from trainer.session.events import BeltEvent, BreathEvent, Event, MarkEvent, PaceEvent, StatusEvent
from trainer.session.pipeline import Pipeline, headline_paced
from trainer.session.summary import SessionSummary, sensor_loss, session_sensors
from trainer.storage.recording import (
    Item,
    PacerChange,
    Recording,
    damage_text,
    earlier_header_digest,
    ecg_without_beats,
    header_digest,
    read_recording,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PACER_GRID_HZ = 10.0
"""Rate at which the pacer target is sampled for drawing and export (Hz); a 4 s inhale gets 40
points, a smooth curve at print resolution."""
CHUNK_ITEMS = 8192
"""Items handed to the pipeline at once between pacer changes (chunking cannot change output)."""
RESTING_HR_WINDOW_S = 60.0
"""Heart rate "at session start" (and "at the end") is the mean over the first (last) minute of
the artifact-corrected beats; the pipeline summary, the history and the report all read it from
:func:`heart_metrics`."""
END_HR_MAX_STALE_S = 10.0
"""The closing heart rate needs a beat this close (s) to the session end; otherwise it is left out
(None). A strap beats about once a second, so 10 s without a beat is a lost sensor or contact,
not a slow heart (a resting rate of 40 bpm beats every 1.5 s): a session whose sensor was lost
40 s before its end printed "HR 66 -> 64 bpm" from beats long past."""


@dataclass(frozen=True, slots=True)
class PacerSpan:
    """A stretch of session time with one pacer instruction.

    Attributes
    ----------
    t0_s, t1_s : float
        Start and end, session seconds.
    mode : str
        ``"paced"`` (follow the pacer), ``"paused"`` (the pacer or the program stood paused,
        in a paced step or an own-rhythm one) or ``"own"`` (own rhythm, toward a ratio or
        none).
    rate_bpm, ratio : float or None
        Target breaths/min and exhale:inhale ratio; for ``"own"`` only ``ratio`` is set.
    label : str
        Program step title (or other context) recorded with the change; carried through pauses.
    """

    t0_s: float
    t1_s: float
    mode: str
    rate_bpm: float | None
    ratio: float | None
    label: str


@dataclass(frozen=True, slots=True)
class PhaseBoundary:
    """A pacer phase starting (``phase`` is a :class:`~trainer.coaching.pacer.Phase` value) at
    ``t_s``."""

    t_s: float
    phase: str


@dataclass(frozen=True, slots=True)
class Gap:
    """A connection gap of ``device`` from ``t0_s`` to ``t1_s`` (session s); ``open`` if it never
    closed (then ``t1_s`` is the session end)."""

    device: str
    t0_s: float
    t1_s: float
    open: bool


def _empty() -> FloatArray:
    return np.zeros(0)


@dataclass(frozen=True, slots=True)
class HeartMetrics:
    """Whole-session heart numbers from the artifact-corrected NN series (None: not measurable).

    Attributes
    ----------
    nn_t_s, nn_ms : ndarray
        Corrected NN intervals (ms) and the session time (s) of the beat ending each one.
    corrected_beats : int
        RR intervals the artifact correction changed (merged, split or interpolated).
    artifact_pct : float or None
        ``corrected_beats`` as a percentage of the RR intervals.
    hr_start_bpm, hr_end_bpm : float or None
        Mean heart rate over the first minute of beats and over the session's last minute,
        ``60000 / mean(NN)`` of the corrected intervals (bpm; :func:`mean_hr_bpm`). The end
        rate is None when no beat came in the last :data:`END_HR_MAX_STALE_S` (sensor lost).
    mean_hr_bpm, mean_nn_ms, sdnn_ms, rmssd_ms, pnn50_pct : float or None
        Time-domain HRV over the session (Task Force 1996).
    lf_power_ms2, hf_power_ms2, lf_hf, peak_hz : float or None
        Frequency-domain HRV: LF 0.04-0.15 Hz and HF 0.15-0.4 Hz power (ms^2), their ratio,
        and the frequency of the tallest peak in 0.04-0.26 Hz (Hz), over ``spectrum_stretch``.
    spectrum_stretch : GapFreeSpectrum or None
        The beats those four numbers come from: the longest stretch with no gap over
        :data:`analysis.hrv_frequency.MAX_GAP_S` between beats (session s, ``start_s`` to
        ``end_s``; ``whole`` when no dropout cut the session). None with fewer than two beats.
    coherence_t_s, coherence, coherence_score : ndarray
        Coherence ratio over time (McCraty et al. 2006) and its 0-10 display score
        (:func:`analysis.coherence.coherence_score`), at the end of each analysis window.
    mean_coherence, mean_coherence_score : float or None
        Means of ``coherence`` and ``coherence_score``.
    rsa_t_s, rsa_bpm : ndarray
        RSA peak-to-trough per breath (bpm) at each breath's inhale onset.
    rsa_end_s : ndarray
        The end of each of those breaths (s): where the report's last RSA bar stops.
    rsa_max_hr_bpm, rsa_min_hr_bpm : ndarray
        The two ends of that swing: fastest heart rate in the inhale, slowest in the exhale.
    mean_rsa_bpm : float or None
        Mean of ``rsa_bpm``.
    settings : dict of str
        How each family of numbers was computed (shown next to the values in reports).
    """

    nn_t_s: FloatArray = field(default_factory=_empty)
    nn_ms: FloatArray = field(default_factory=_empty)
    corrected_beats: int = 0
    artifact_pct: float | None = None
    hr_start_bpm: float | None = None
    hr_end_bpm: float | None = None
    mean_hr_bpm: float | None = None
    mean_nn_ms: float | None = None
    sdnn_ms: float | None = None
    rmssd_ms: float | None = None
    pnn50_pct: float | None = None
    lf_power_ms2: float | None = None
    hf_power_ms2: float | None = None
    lf_hf: float | None = None
    peak_hz: float | None = None
    spectrum_stretch: GapFreeSpectrum | None = None
    coherence_t_s: FloatArray = field(default_factory=_empty)
    coherence: FloatArray = field(default_factory=_empty)
    coherence_score: FloatArray = field(default_factory=_empty)
    mean_coherence: float | None = None
    mean_coherence_score: float | None = None
    rsa_t_s: FloatArray = field(default_factory=_empty)
    rsa_bpm: FloatArray = field(default_factory=_empty)
    rsa_end_s: FloatArray = field(default_factory=_empty)
    rsa_max_hr_bpm: FloatArray = field(default_factory=_empty)
    rsa_min_hr_bpm: FloatArray = field(default_factory=_empty)
    mean_rsa_bpm: float | None = None
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionAnalysis:
    """Everything known about one session after a full-speed pass.

    Attributes
    ----------
    path : Path or None
        The recording analysed.
    settings, source_kind, source_name, software : dict, str, str, str
        From the recording header.
    start_wall_ns : int
        Wall clock at session start (Unix ns): places the session in calendar time.
    start_mono_ns : int
        Monotonic clock at session start (ns); with ``start_wall_ns`` it identifies the session.
    duration_s : float
        Session length (closing record, else the last item), seconds.
    ended : str
        How the session ended (:attr:`trainer.storage.recording.Recording.ended`: the closing
        summary's word, ``"imported"`` for an import, ``"recording cut short"`` otherwise).
    truncated : bool
        The recording was cut short (no closing record, or a torn last line:
        :attr:`trainer.storage.recording.Recording.truncated`). Not ``ended == "recording cut
        short"``, which an import's complete file has too.
    belt_t_s, belt_values : ndarray
        Belt force samples and their session times (seconds); empty without a belt.
    belt_fs_hz : float
        Belt sampling rate (Hz).
    breaths : tuple of BreathEvent
        Every confirmed breath with the coach's feedback, in order.
    beat_t_s, rr_ms : ndarray
        Beat times (session s) and the RR interval ending at each beat (ms), as the strap sent.
    pacer_spans : tuple of PacerSpan
        The pacer timeline, contiguous from the first pacer change to the session end.
    pacer_t_s, pacer_fill : ndarray
        Target lung fill (0 empty .. 1 full) sampled at :data:`PACER_GRID_HZ`; NaN where there is
        no pacer (own rhythm, before the first change). Not sampled in a silence (``silences``)
        but for one NaN point at its start, so a line drawn through them breaks there; empty
        when the session never had a pacer.
    pacer_phases : tuple of PhaseBoundary
        Every pacer phase start (inhale, hold, exhale), exact to float precision.
    gaps, marks, statuses : tuples
        Connection gaps, user marks, status messages (session seconds).
    heart : HeartMetrics
        Artifact-corrected heart metrics: HRV, coherence over time, RSA per breath.
    summary : SessionSummary
        The pipeline's closing summary recomputed on this pass (JSON-ready), with ``ended``
        taken from the recording's own.
    paces : tuple of PaceEvent
        With a heart-rate strap alone: the coach's scores of the pace read from the heart
        rhythm against the pacer, in order (empty when there were breaths to score).
    rr_estimates : tuple of RRBreathEstimate
        Breathing read from the heart rhythm, every ``RR_STEP_S`` (beat clock = session s).
    analysis_revision : int or None
        The header's ``analysis_revision``: which analysis the live session's results came
        from (None: a file from before recordings named it).
    recorded_summary : SessionSummary or None
        The closing summary the recording holds, as the live session (or the import) wrote
        it; None when it has none (cut short, still being recorded). :attr:`summary` is
        today's analysis of the same bytes (:meth:`changed_note` compares them).
    """

    path: Path | None
    settings: dict[str, Any]
    source_kind: str
    source_name: str
    software: str
    start_wall_ns: int
    start_mono_ns: int
    duration_s: float
    ended: str
    truncated: bool
    belt_t_s: FloatArray
    belt_values: FloatArray
    belt_fs_hz: float
    breaths: tuple[BreathEvent, ...]
    beat_t_s: FloatArray
    rr_ms: FloatArray
    pacer_spans: tuple[PacerSpan, ...]
    pacer_t_s: FloatArray
    pacer_fill: FloatArray
    pacer_phases: tuple[PhaseBoundary, ...]
    gaps: tuple[Gap, ...]
    marks: tuple[MarkEvent, ...]
    statuses: tuple[StatusEvent, ...]
    heart: HeartMetrics
    summary: SessionSummary = field(default_factory=lambda: SessionSummary())
    paces: tuple[PaceEvent, ...] = ()
    rr_estimates: tuple[RRBreathEstimate, ...] = ()
    device_hr_mean_bpm: float | None = None
    """Mean of the heart rates a strap reported without RR intervals
    (:func:`device_hr_span`); None when it sent beats, or nothing."""

    header_digest: str = ""
    """:func:`trainer.storage.recording.header_digest` of the recording's header ("" when
    unknown)."""
    earlier_header_digest: str = ""
    """:func:`trainer.storage.recording.earlier_header_digest` of the recording's header: the
    identity history schemas v5 and v6 keyed it by ("" when unknown)."""
    analysis_revision: int | None = None
    recorded_summary: SessionSummary | None = None
    silences: tuple[tuple[float, float], ...] = ()
    """Stretches ``(t0_s, t1_s)`` (session s) in which the recording holds no record
    (:attr:`trainer.storage.recording.Recording.silences`): nothing is sampled there."""
    beats_from: str = ""
    """Where the beats came from when not from a strap's RR intervals (the header's
    ``source.details["beats_from"]``: an ECG-only import's R peaks), "" otherwise."""
    damage: str = ""
    """What the reader found damaged in the recording, one clause
    (:func:`trainer.storage.recording.damage_text` of :attr:`Recording.damage`); "" when
    nothing."""
    checksums: int = 0
    """How many of the writer's checksums the recording holds (:attr:`Recording.checksums`;
    0: a file written before them)."""
    ecg_without_beats: bool = False
    """The recording holds an ECG but no heartbeats, as an older Breathwise imported it
    (:func:`trainer.storage.recording.ecg_without_beats`): importing its CSV again gets them."""

    def changed_note(self, what: str) -> str:
        """The note :func:`trainer.ui.headless.analysis_changed_note` makes of this analysis:
        one line naming the numbers today's analysis shows otherwise than the live session
        closed with, ``what`` (``"this report"``) its subject; ``""`` when they agree or the
        recording holds no closing summary."""
        from trainer.ui.headless import analysis_changed_note

        if self.recorded_summary is None:
            return ""
        return analysis_changed_note(
            self.software,
            self.analysis_revision,
            self.recorded_summary,
            self.summary,
            what=what,
            damage=self.damage,
            checksums=self.checksums,
        )

    def ecg_note(self) -> str:
        """The note :func:`trainer.ui.headless.ecg_without_beats_note` gives of a recording
        holding an ECG but no heartbeats, naming it; ``""`` for any other."""
        from trainer.ui.headless import ecg_without_beats_note

        if not self.ecg_without_beats:
            return ""
        return ecg_without_beats_note(str(self.path) if self.path is not None else "the recording")

    def damage_note(self) -> str:
        """The warning :func:`trainer.ui.headless.damage_warning` gives of a damaged
        recording, naming it; ``""`` when nothing was found damaged."""
        from trainer.ui.headless import damage_warning

        return damage_warning(
            str(self.path) if self.path is not None else "the recording", self.damage
        )

    @property
    def numbers_changed(self) -> bool:
        """Whether any number of today's summary differs from the one the live session closed
        with, exactly (:func:`trainer.ui.headless.summary_differs`; to the 0.01 a recording
        from before revisions were named stored): ``summary.csv``'s ``numbers_changed``.
        False without a closing summary."""
        from trainer.ui.headless import summary_differs

        if self.recorded_summary is None:
            return False
        return summary_differs(
            self.recorded_summary, self.summary, rounded=self.analysis_revision is None
        )

    @property
    def session_key(self) -> str:
        """A stable identity of the session: the start clocks and the header's digest.

        It survives renaming, moving or copying the file (the header stays the same), and
        tells apart different sessions that share their start clocks: every import starts its
        monotonic clock at the same value, so two RR lists imported with the same ``--start``
        had the same start clocks and shared one history row.
        """
        if not self.header_digest:
            return self.legacy_session_key
        return f"{self.legacy_session_key}-{self.header_digest}"

    @property
    def earlier_session_key(self) -> str | None:
        """The key history schemas v5 and v6 gave this session: the start clocks and
        :attr:`earlier_header_digest`, whose header digest still held the ``software`` string
        (None when unknown). An add finding a row of this key takes it over
        (:meth:`trainer.storage.history.History.store`): its recording was gone when the
        history was upgraded, so the upgrade could not re-key it."""
        if not self.earlier_header_digest:
            return None
        return f"{self.legacy_session_key}-{self.earlier_header_digest}"

    @property
    def legacy_session_key(self) -> str:
        """The key history rows written before the header digest had: the start clocks alone
        (an add finding such a row takes it over, see
        :meth:`trainer.storage.history.History.store`)."""
        return f"{self.start_wall_ns}-{self.start_mono_ns}"

    @property
    def good_breaths(self) -> tuple[BreathEvent, ...]:
        """Breaths not flagged as artifacts."""
        return tuple(e for e in self.breaths if e.breath.quality != "artifact")

    def target_at(self, t_s: float) -> PacerSpan | None:
        """The pacer span in force at session time ``t_s`` (seconds), if any."""
        for span in self.pacer_spans:
            if span.t0_s <= t_s < span.t1_s:
                return span
        return None

    @property
    def paused_s(self) -> float:
        """Time the pacer or program stood paused, s (from the pipeline's summary)."""
        return float(self.summary.get("paused_s") or 0.0)

    @property
    def practised_s(self) -> float:
        """Session time less the time paused, s: what the history and progress count."""
        return max(0.0, self.duration_s - self.paused_s)

    @property
    def paced_headline(self) -> bool:
        """Whether the session's headline numbers are of its paced part: the pacer paced at
        least half of its practised time (the summary's ``paced_s``,
        :func:`trainer.session.pipeline.headline_paced`). False for the body scan, paced for
        its first minute of ten, whose rate, ratio and follow are of its own rhythm."""
        return headline_paced(float(self.summary.get("paced_s") or 0.0), self.practised_s)

    def metrics(self) -> dict[str, float | int | str | None]:
        """Whole-session numbers for the history, the batch table and the report header.

        Units are in the keys. Rates are medians and ratios means over the same breaths: not
        flagged as artifacts, not taken mostly while paused, and with a pacer those begun while it
        paced, or in a session paced for under half its time (:attr:`paced_headline`) those begun
        while it did not (:func:`trainer.session.pipeline.counted_breaths`; ``rate_basis`` says
        which; the follow score is of the same part). With a
        heart-rate strap alone the rate is the one read from the heart rhythm
        (``breath_source`` says which source it is). The follow score is the mean of the coach's
        per-breath scores, or with a strap alone of its scores of the pace (``follow_basis``
        ``"breaths"`` or ``"pace"``); ``breath_cv`` is the coefficient of variation of
        breath-to-breath intervals (:mod:`analysis.breath_variability`); the target rate is the
        median of the pacer rates the breaths (or heart-rhythm windows) of ``median_rate_bpm``
        were asked (:func:`trainer.session.pipeline.session_target_rate`), the target ratio the
        mean of what the breaths of ``mean_ratio`` were asked
        (:func:`trainer.session.pipeline.session_target_ratio`; neither for an import: nothing
        was asked). LF and HF power are of the longest stretch with no
        gap over :data:`analysis.hrv_frequency.MAX_GAP_S` between beats: ``spectrum_start_s`` and
        ``spectrum_end_s`` are its first and last beat (session s), ``spectrum_whole`` says
        whether it is every beat (False: a dropout cut the session); all three are None when
        there is no spectrum. ``gaps`` and ``gap_s`` count the sensors' connection gaps (link
        lost to link back, as the recording holds them), not stretches without beats: an
        imported file has none, nor does a strap that stops sending beats while its link holds
        (lost skin contact); ``spectrum_whole`` shows those. ``ended`` is how the session
        ended (:attr:`trainer.storage.recording.Recording.ended`): a row of a recording still
        being written, or cut short, holds part of a session.
        """
        # A program's step titles; not the conductor's easings, which named a plain session
        # "eased: pace" in the history and the report's title.
        programs = [
            s.label for s in self.pacer_spans if s.label and not is_conductor_label(s.label)
        ]
        heart = self.heart
        stretch = heart.spectrum_stretch
        spectral = stretch if stretch is not None and stretch.spectrum is not None else None
        # The summary's rate and ratio (Pipeline.summary, counted_breaths): one definition for
        # the closing line, the history, progress and the report. A summary with no rate at
        # all but the heart rhythm's estimate gets that estimate here.
        median_rate = self.summary.get("median_rate_bpm")
        source = self.summary.get("breath_source")
        rate_basis = self.summary.get("rate_basis")
        # The target of the very breaths the median is of (session_target_rate), not the
        # pacer's rate weighted by time: 60 breaths asked 6 and 55 asked 5.5, each followed
        # exactly, have a median of 6.0, which that would have set beside a target of 5.75.
        target_rate = self.summary.get("target_rate_bpm")
        if median_rate is None and self.summary.get("rr_rate_bpm") is not None:
            # A heart-rate strap alone: breathing read from the heart rhythm (the pipeline's
            # RR estimate, analysis.rr_breath); there are no breath-by-breath events.
            median_rate = self.summary["rr_rate_bpm"]
            source = "rr"
            rate_basis = self.summary.get("rr_rate_basis")
            target_rate = self.summary.get("rr_target_rate_bpm")
        return {
            "session_key": self.session_key,
            "start_wall_ns": self.start_wall_ns,
            "duration_s": _r(self.duration_s),
            # Time paused is not practice: progress counts this, not the duration.
            "practised_s": _r(self.practised_s),
            "source": self.source_kind,
            "program": str(self.settings.get("program", "")) or (programs[0] if programs else ""),
            "breaths": len(self.breaths),
            "median_rate_bpm": _r(median_rate),
            "rate_basis": rate_basis,
            "breath_source": str(source) if source else None,
            "mean_ratio": self.summary.get("mean_ratio"),
            "breath_cv": self.summary.get("breath_cv"),
            "target_rate_bpm": _r(target_rate),
            # The target of the very breaths mean_ratio averages (session_target_ratio).
            "target_ratio": self.summary.get("target_ratio"),
            # The pipeline's summary scores breaths, or the pace with a strap alone.
            "mean_follow_score": self.summary.get("mean_follow_score"),
            "follow_basis": self.summary.get("follow_basis"),
            "beats": int(self.rr_ms.size),
            # A strap without RR intervals: the heart rate it reported (the summary's).
            "hr_start_bpm": _r(
                heart.hr_start_bpm
                if self.summary.get("hr_basis") != "device"
                else self.summary.get("hr_start_bpm")
            ),
            "mean_hr_bpm": _r(
                heart.mean_hr_bpm if self.device_hr_mean_bpm is None else self.device_hr_mean_bpm
            ),
            "rmssd_ms": _r(heart.rmssd_ms),
            "sdnn_ms": _r(heart.sdnn_ms),
            "lf_power_ms2": _r(heart.lf_power_ms2),
            "hf_power_ms2": _r(heart.hf_power_ms2),
            # LF and HF are of the longest stretch without a gap in the beats: which one, and
            # whether a dropout cut the session (hrv says so in a warning).
            "spectrum_start_s": _r(spectral.start_s) if spectral else None,
            "spectrum_end_s": _r(spectral.end_s) if spectral else None,
            "spectrum_whole": spectral.whole if spectral else None,
            "rsa_bpm": _r(heart.mean_rsa_bpm),
            "coherence": _r(heart.mean_coherence),
            "coherence_score": _r(heart.mean_coherence_score),
            "artifact_pct": _r(heart.artifact_pct),
            "marks": len(self.marks),
            "gaps": len(self.gaps),
            "gap_s": _r(sum(g.t1_s - g.t0_s for g in self.gaps)),
            "ended": self.ended,
        }


def _r(value: float | None) -> float | None:
    """``value`` as computed, or None when missing or not finite: each view rounds once, as it
    shows it (see :func:`trainer.session.pipeline._finite`: a value stored to 0.01 and shown to
    0.1 could differ from the same value shown from its full precision)."""
    # + 0.0: -0.0 (a few ms before the start) printed as "-0.0" in summary.csv.
    return None if value is None or not math.isfinite(value) else float(value) + 0.0


@dataclass(slots=True)
class _PacerTimeline:
    """Pacer spans and the pacer objects that drew them, collected while the pipeline runs."""

    spans: list[tuple[float, str, float | None, float | None, str, Pacer | None]] = field(
        default_factory=list
    )
    label: str = ""

    def change(self, t_s: float, change: PacerChange, pacer: Pacer | None, paused: bool) -> None:
        """Open a span at ``t_s`` after ``change``; ``pacer`` is the pipeline's pacer then
        (None in own rhythm) and ``paused`` whether the session stands paused."""
        if change.label:
            self.label = change.label
        elif change.action in ("set", "own"):
            self.label = ""
        if pacer is None:
            # A program pauses in an own-rhythm step too: that stretch is a pause, not own
            # rhythm (nothing was asked or scored), in the exports and the report alike.
            mode, rate, ratio = "paused" if paused else "own", None, change.target_ratio
            # A pause or resume inside an own-rhythm step keeps that step's ratio; a new own
            # step without one ("breathe normally") asks none, as the pipeline scores it.
            if ratio is None and change.action != "own" and self.spans:
                ratio = self.spans[-1][3]
        else:
            pattern = pacer.pattern_at(t_s)
            mode = "paused" if pacer.paused else "paced"
            rate, ratio = pattern.rate_bpm, pattern.ratio
        self.spans.append((t_s, mode, rate, ratio, self.label, pacer))


def _chunks_by_pacer_change(
    items: Iterable[Item],
) -> Iterator[tuple[list[Item], PacerChange | None]]:
    """The items in chunks of :data:`CHUNK_ITEMS` between pacer changes: each run of items
    before a change (or the end) cut from its start, the last chunk of a run (empty when the
    run is) with the change that ends it.

    One chunk at a time, made as it is read: a recording's packets are held in columns
    (:class:`trainer.storage.recording.RecordedItems`), and the runs whole made an object of
    every packet at once."""
    chunk: list[Item] = []
    for item in items:
        if isinstance(item, PacerChange):
            yield chunk, item
            chunk = []
        else:
            chunk.append(item)
            if len(chunk) == CHUNK_ITEMS:
                yield chunk, None
                chunk = []
    if chunk:
        yield chunk, None


_MADE: ContextVar[list[SessionAnalysis] | None] = ContextVar("_MADE", default=None)
"""Where :func:`analyse_recording` puts what it makes inside :func:`analyses_made`."""


@contextlib.contextmanager
def analyses_made() -> Iterator[list[SessionAnalysis]]:
    """The analyses :func:`analyse_recording` makes inside the block, in order, as a list
    filled as they are made.

    For a command whose work analyses a recording out of its sight (``export``, through
    :func:`trainer.storage.export.export_recording`, which returns the files it wrote) and
    that says afterwards what the analysis found: the note that its numbers differ from the
    live session's, and a damaged recording (without this, ``export`` said nothing).
    """
    made: list[SessionAnalysis] = []
    token = _MADE.set(made)
    try:
        yield made
    finally:
        _MADE.reset(token)


def analyse_recording(
    path_or_recording: Path | str | Recording, *, progress: ProgressCallback | None = None
) -> SessionAnalysis:
    """Run a recording through the live pipeline at full speed and compute session metrics.

    Parameters
    ----------
    path_or_recording : Path, str or Recording
        A ``.bwr`` file, or a recording already read.
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): the recording's items through the
        pipeline, then the whole-session heart metrics. Hours of a 130 Hz ECG with RR take
        tens of seconds; the result is the same with or without it.

    Returns
    -------
    SessionAnalysis

    Raises
    ------
    trainer.storage.recording.RecordingError
        The file is not a readable recording (one line naming it).
    """
    recording = (
        path_or_recording
        if isinstance(path_or_recording, Recording)
        else read_recording(path_or_recording)
    )
    header = recording.header
    pipeline = Pipeline(header)
    timeline = _PacerTimeline()
    events: list[Event] = []
    steps = ProgressSteps(progress)
    # Measured on 2 h of 130 Hz ECG with RR (no belt): 3 s through the pipeline, 7 s of heart
    # metrics; the split only sets how far the bar moves in each, never a result.
    items_share = 0.3
    total = max(len(recording.items), 1)
    handled = 0
    for chunk, change in _chunks_by_pacer_change(recording.items):
        if chunk:
            events.extend(pipeline.handle(chunk))
            handled += len(chunk)
            steps(items_share * handled / total)
        if change is not None:
            events.extend(pipeline.handle((change,)))
            # The pipeline's own pacer after this change: the one the coach scores against.
            timeline.change(
                pipeline.session_time_s(change.t_mono_ns),
                change,
                pipeline.pacer,
                pipeline.program_clock.paused,
            )

    if recording.end_mono_ns is None and recording.clock_mono_ns is not None:
        # Cut short (killed): what the live session's timer said up to its last clock record.
        events.extend(pipeline.catch_up(recording.clock_mono_ns))
    if recording.end_mono_ns is not None:
        duration_s = (recording.end_mono_ns - header.start_mono_ns) / NS_PER_S
    elif recording.clock_mono_ns is not None:
        # Cut short (killed): it ran at least to its last clock record. A sensorless session
        # killed between pacer changes has nothing else to say so (it read as 0 s).
        duration_s = (recording.clock_mono_ns - header.start_mono_ns) / NS_PER_S
    else:
        duration_s = pipeline.last_t_s
    duration_s = max(duration_s, pipeline.last_t_s, 0.0)

    belt_t, belt_v = _belt_arrays(events)
    beat_t = np.asarray([b.t_s for b in pipeline.beats], dtype=np.float64)
    rr = np.asarray([b.rr_ms for b in pipeline.beats], dtype=np.float64)
    spans = _spans(timeline, duration_s)
    silences = tuple(
        (pipeline.session_time_s(t0), pipeline.session_time_s(t1)) for t0, t1 in recording.silences
    )
    pacer_t, pacer_fill, phases = _pacer_curve(timeline, duration_s, silences)
    gaps = tuple(
        Gap(device, t0, t1 if t1 is not None else duration_s, t1 is None)
        for device, t0, t1 in pipeline.gaps
    )
    breaths = tuple(pipeline.breaths)
    summary = pipeline.summary(duration_s, progress=steps.part(items_share, 1.0))
    summary["ended"] = recording.ended
    summary.update(sensor_loss(pipeline.gaps, duration_s, session_sensors(header.source)))
    # The summary's own: one computation, so the closing line, history and report agree.
    heart = pipeline.heart_metrics(duration_s)
    analysis = SessionAnalysis(
        path=recording.path,
        settings=dict(header.settings),
        source_kind=header.source.kind,
        source_name=header.source.name,
        software=header.software,
        beats_from=str(header.source.details.get("beats_from", "")),
        start_wall_ns=header.start_wall_ns,
        start_mono_ns=header.start_mono_ns,
        duration_s=duration_s,
        ended=summary["ended"],
        truncated=recording.truncated,
        belt_t_s=belt_t,
        belt_values=belt_v,
        belt_fs_hz=pipeline.belt_fs_hz,
        breaths=breaths,
        beat_t_s=beat_t,
        rr_ms=rr,
        pacer_spans=spans,
        pacer_t_s=pacer_t,
        pacer_fill=pacer_fill,
        pacer_phases=phases,
        gaps=gaps,
        marks=tuple(pipeline.marks),
        statuses=tuple(e for e in events if isinstance(e, StatusEvent)),
        heart=heart,
        summary=summary,
        paces=tuple(pipeline.paces),
        rr_estimates=tuple(pipeline.rr_estimates),
        device_hr_mean_bpm=(
            device_hr_span(pipeline.device_hr, duration_s)[2]
            if summary.get("hr_basis") == "device"
            else None
        ),
        header_digest=header_digest(header),
        earlier_header_digest=earlier_header_digest(header),
        analysis_revision=header.analysis_revision,
        recorded_summary=recording.summary,
        silences=silences,
        damage=damage_text(recording.damage),
        checksums=recording.checksums,
        ecg_without_beats=ecg_without_beats(header),
    )
    steps.done()
    made = _MADE.get()
    if made is not None:
        made.append(analysis)
    return analysis


def _belt_arrays(events: list[Event]) -> tuple[FloatArray, FloatArray]:
    chunks = [e for e in events if isinstance(e, BeltEvent)]
    if not chunks:
        return np.zeros(0), np.zeros(0)
    times = [e.t0_s + np.arange(e.values.size) / e.fs_hz for e in chunks]
    return (
        np.concatenate(times).astype(np.float64),
        np.concatenate([e.values for e in chunks]).astype(np.float64),
    )


def _spans(timeline: _PacerTimeline, end_s: float) -> tuple[PacerSpan, ...]:
    spans: list[PacerSpan] = []
    entries = timeline.spans
    for index, (t0, mode, rate, ratio, label, _) in enumerate(entries):
        t1 = entries[index + 1][0] if index + 1 < len(entries) else max(end_s, t0)
        if t1 > t0 or index + 1 == len(entries):
            spans.append(PacerSpan(t0, t1, mode, rate, ratio, label))
    return tuple(s for s in spans if s.t1_s > s.t0_s)


def _pacer_grid(
    end_s: float, silences: Sequence[tuple[float, float]]
) -> tuple[FloatArray, BoolArray]:
    """The times the pacer target is sampled at, and which of them are samples.

    Every point of the :data:`PACER_GRID_HZ` grid from 0 to ``end_s`` (point ``k`` at
    ``k / PACER_GRID_HZ`` s, as without silences) except those inside a silence, where only
    the first point is kept, as a gap (``False``) that breaks a line drawn through the curve.
    So the number of points follows the recorded time, not the span: a file with one packet
    30 days after the rest asked for 26 million of them.

    Parameters
    ----------
    end_s : float
        The session's length (s).
    silences : sequence of (float, float)
        Stretches ``(t0_s, t1_s)`` without a record, in time order.

    Returns
    -------
    grid : ndarray
        Session times (s), increasing.
    sampled : ndarray of bool
        False at the one point standing for each silence.
    """
    n = max(math.floor(end_s * PACER_GRID_HZ) + 1, 1)
    pieces: list[npt.NDArray[np.int64]] = []
    gap_points: list[int] = []
    k0 = 0
    for t0_s, t1_s in silences:
        # Points strictly inside the silence are dropped; its edges keep their samples.
        first_in = math.floor(t0_s * PACER_GRID_HZ) + 1
        first_after = math.ceil(t1_s * PACER_GRID_HZ)
        if first_in >= first_after or first_in < k0:
            continue
        pieces.append(np.arange(k0, min(first_in + 1, n), dtype=np.int64))
        gap_points.append(first_in)
        k0 = first_after
    pieces.append(np.arange(k0, n, dtype=np.int64))
    index = np.concatenate(pieces)
    sampled = ~np.isin(index, gap_points)
    return index / PACER_GRID_HZ, sampled


def _pacer_curve(
    timeline: _PacerTimeline, end_s: float, silences: Sequence[tuple[float, float]] = ()
) -> tuple[FloatArray, FloatArray, tuple[PhaseBoundary, ...]]:
    """Sample the target fill on a grid and find every phase start exactly.

    A phase start between two grid points is placed at ``t - phase_elapsed_s`` of the later
    point, which is exact while the pacer runs; pauses and pattern changes keep the phase (see
    :meth:`Pacer.set_pattern`), so they never create a boundary of their own. The grid leaves
    out the silences (:func:`_pacer_grid`), so the phase starts within one are not listed.
    """
    entries = timeline.spans
    if all(pacer is None for *_, pacer in entries):
        # No pacer ever: nothing to sample (a grid of NaN across a 31-day import was 430 MB).
        return np.zeros(0), np.zeros(0), ()
    grid, sampled = _pacer_grid(end_s, silences)
    fill = np.full(grid.size, np.nan)
    phases: list[PhaseBoundary] = []
    for index, (t0, _, _, _, _, pacer) in enumerate(entries):
        if pacer is None:
            continue
        t1 = entries[index + 1][0] if index + 1 < len(entries) else end_s + 1e-9
        lo, hi = np.searchsorted(grid, [t0, t1], side="left")
        previous: Phase | None = None
        if index == 0 or entries[index - 1][5] is not pacer:
            first = pacer.state(t0)
            previous = first.phase
            if not first.paused:
                phases.append(PhaseBoundary(t0 - first.phase_elapsed_s, first.phase.value))
        elif phases:
            previous = Phase(phases[-1].phase)
        for k in range(int(lo), int(hi)):
            if not sampled[k]:
                continue
            state = pacer.state(float(grid[k]))
            fill[k] = state.fill
            if state.phase is not previous and not state.paused:
                start = float(grid[k]) - state.phase_elapsed_s
                if not phases or start > phases[-1].t_s + 1e-6:
                    phases.append(PhaseBoundary(start, state.phase.value))
            previous = state.phase
    return grid, fill, tuple(p for p in phases if p.t_s < end_s)


# ------------------------------------------------------------------------------ heart metrics
PEAK_BAND_HZ = (0.04, 0.26)
"""Where the spectral peak is reported (Hz): the resonance range, as for coherence."""


def mean_hr_bpm(nn_t_s: FloatArray, nn_ms: FloatArray, t0_s: float, t1_s: float) -> float | None:
    """Mean heart rate of the NN intervals whose beat falls in ``[t0_s, t1_s]``, bpm.

    The one definition of the session's start and end heart rates: ``60000 / mean(NN)``, the
    rate of the mean interval (not the mean of per-beat rates, which a short interval pulls up).

    Parameters
    ----------
    nn_t_s, nn_ms : ndarray
        Artifact-corrected NN intervals (ms) and the time of the beat ending each one (s).
    t0_s, t1_s : float
        The window, inclusive at both ends (s).

    Returns
    -------
    float or None
        The heart rate, or None when no beat falls in the window.
    """
    inside = nn_ms[(nn_t_s >= t0_s) & (nn_t_s <= t1_s)]
    return 60_000.0 / float(np.mean(inside)) if inside.size else None


def device_hr_span(
    reports: Sequence[tuple[float, float]],
    end_s: float,
    *,
    resting_window_s: float = RESTING_HR_WINDOW_S,
) -> tuple[float | None, float | None, float | None]:
    """Start, end and mean heart rate (beats/min) of a strap that sent its heart rate without
    RR intervals: the mean of the values it reported over the first ``resting_window_s`` (from
    its first report), over the last ``resting_window_s`` up to ``end_s`` (None when its last
    report is more than :data:`END_HR_MAX_STALE_S` before ``end_s``: it was lost), and over
    the whole session.

    The values are the device's own heart rate (Bluetooth SIG Heart Rate Service, Heart Rate
    Measurement value, beats/min), already averaged by it; without intervals there is nothing
    to correct, so a plain mean stands in for :func:`mean_hr_bpm`'s ``60000 / mean(NN)``.

    Parameters
    ----------
    reports : sequence of (t_s, hr_bpm)
        The reports, session s and beats/min, in time order.
    end_s : float
        Session end (s).
    """
    if not reports:
        return None, None, None
    t = np.asarray([r[0] for r in reports], dtype=np.float64)
    hr = np.asarray([r[1] for r in reports], dtype=np.float64)
    start = float(np.mean(hr[t <= t[0] + resting_window_s]))
    tail = hr[t >= end_s - resting_window_s]
    end = float(np.mean(tail)) if tail.size and end_s - t[-1] <= END_HR_MAX_STALE_S else None
    return start, end, float(np.mean(hr))


def heart_metrics(
    beat_t_s: FloatArray,
    rr_ms: FloatArray,
    breaths: Sequence[BreathEvents],
    *,
    resting_window_s: float = RESTING_HR_WINDOW_S,
    end_s: float | None = None,
    progress: ProgressCallback | None = None,
) -> HeartMetrics:
    """Artifact-correct the RR series and compute the session's heart metrics.

    Parameters
    ----------
    beat_t_s, rr_ms : ndarray
        Beat times (session s) and the RR interval ending at each beat (ms).
    breaths : sequence of Breath
        The breaths (anything with ``inhale_onset_s``, ``exhale_onset_s``, ``end_s``), for RSA;
        a session's are those not flagged as artifacts (:meth:`trainer.session.pipeline.Pipeline.
        heart_metrics`).
    resting_window_s : float
        Window at the start (from the first beat) over which the "resting" heart rate is
        averaged, and at the end (up to ``end_s``) for the closing heart rate (s).
    end_s : float, optional
        Session end (s); default the last beat.
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): on hours of beats the coherence
        windows and, without breaths, the breathing read from the heart rhythm take seconds.
    """
    steps = ProgressSteps(progress)
    settings = {
        "artifacts": "Lipponen & Tarvainen 2019 (alpha 5.2, c1 0.13, c2 0.17, 91/11 beats)",
        "time domain": "Task Force 1996, SDNN ddof=1, original NN only, no difference across "
        f"beats lost (a step over {MAX_DRIFT_S:g} s beyond its interval)",
        "spectrum": "Welch: NN resampled 4 Hz cubic, 256 s Hann segments, >= 50 % overlap "
        f"reaching the end, linear detrend, longest run of beats with no {MAX_GAP_S:g} s gap",
        "coherence": "McCraty 2006: latest 64 s every 5 s, 2 Hz cubic, 0.030 Hz peak window "
        "in 0.04-0.26 Hz",
        "RSA": "peak-to-trough per breath: max HR in inhale − min HR in exhale (no lag)",
    }
    if rr_ms.size < 2:
        steps.done()
        return HeartMetrics(settings=settings)
    median_ms = float(np.median(rr_ms))
    if not PLAUSIBLE_RR_MS[0] <= median_ms <= PLAUSIBLE_RR_MS[1]:
        # The analysis refuses a series no heart produces (analysis.checks.check_rr_units): a
        # strap that sent such intervals gets no heart numbers, and the report says why,
        # rather than the session's end failing.
        settings["heart"] = (
            f"not analysed: the median RR interval is {median_ms:.0f} ms, outside "
            f"{PLAUSIBLE_RR_MS[0]:.0f}-{PLAUSIBLE_RR_MS[1]:.0f} ms (no heart's)"
        )
        steps.done()
        return HeartMetrics(settings=settings)
    correction = correct_rr(rr_ms)
    nn = correction.nn_ms
    if nn.size < 2 or not float(np.median(nn)) >= PLAUSIBLE_RR_MS[0]:
        # The corrected series of a strap at the edge of the range (hardly a heart's): the
        # NN analyses refuse a median under it (analysis.checks.check_rr_units).
        settings["heart"] = "not analysed: the corrected intervals are no heart's"
        steps.done()
        return HeartMetrics(settings=settings)
    nn_t = correction.nn_times_s(beat_t_s)
    corrected = int(np.count_nonzero(correction.codes))
    # Both on the corrected beats: an ectopic pair or a missed beat in the first minute would
    # otherwise move the resting heart rate that progress tracks (and the summary, history and
    # report would show different values for one session).
    hr_start = mean_hr_bpm(nn_t, nn, float(nn_t[0]), float(nn_t[0]) + resting_window_s)
    last = float(np.max(nn_t)) if end_s is None else end_s
    # Beats long before the end do not tell the heart rate at the end (END_HR_MAX_STALE_S).
    hr_end = (
        mean_hr_bpm(nn_t, nn, max(0.0, last - resting_window_s), last)
        if last - float(np.max(nn_t)) <= END_HR_MAX_STALE_S
        else None
    )
    # Interpolated, merged and split values are left out of the time-domain statistics, and no
    # successive difference is taken across lost beats (joined_beats: a step more than
    # MAX_DRIFT_S beyond its interval, where `breathwise hrv` on an export warns,
    # docs/hrv-output.md). A rule of 0.5 s had left the interval a late notification moves
    # out of the mean and SDNN; the intervals either side of a loss count.
    td = time_domain(nn, valid=~correction.nn_corrected, joined=joined_beats(nn_t, nn))
    stretch = gap_free_frequency_domain(nn, nn_t)
    lf, hf, lf_hf, peak = _spectrum(stretch)
    # Without breaths, reading them from the heart rhythm costs about four times the
    # coherence windows (measured on 2 h of beats: 5.8 s against 1.3 s).
    coherence_share = 1.0 if breaths else 0.2
    coh_t, coh, score = _coherence_series(nn_t, nn, steps.part(0.0, coherence_share))
    if not breaths:
        # A heart-rate strap alone: the breathing cycles are read from the heart rhythm itself
        # (analysis.rr_breath.rr_breath_cycles), so RSA is the swing of each cycle of the heart
        # rate, the measure the biofeedback is about, rather than nothing.
        # The windows see the raw beats and correct them themselves, as live: a rhythm with no
        # breathing in it (atrial fibrillation) looks like white noise only uncorrected, and
        # its entropy is clearest over the beats the correction left alone.
        estimates = estimate_breathing_from_rr(
            beat_t_s, rr_ms, correct_artifacts=True, progress=steps.part(coherence_share, 1.0)
        )
        breaths = rr_breath_cycles(nn_t, nn, estimates)
        settings["RSA"] = (
            "peak-to-trough per breathing cycle read from the heart rhythm (no breathing "
            "sensor): max HR in the rising half − min HR in the falling half"
        )
    rsa_t, rsa_end, rsa, hr_max, hr_min = _rsa_series(nn_t, nn, breaths)
    steps.done()
    return HeartMetrics(
        nn_t_s=nn_t,
        nn_ms=nn,
        corrected_beats=corrected,
        artifact_pct=100.0 * corrected / rr_ms.size,
        hr_start_bpm=hr_start,
        hr_end_bpm=hr_end,
        mean_hr_bpm=td.mean_hr_bpm,
        mean_nn_ms=td.mean_nn_ms,
        sdnn_ms=td.sdnn_ms,
        rmssd_ms=td.rmssd_ms,
        pnn50_pct=td.pnn50_pct,
        lf_power_ms2=lf,
        hf_power_ms2=hf,
        lf_hf=lf_hf,
        peak_hz=peak,
        spectrum_stretch=stretch,
        coherence_t_s=coh_t,
        coherence=coh,
        coherence_score=score,
        mean_coherence=float(np.mean(coh)) if coh.size else None,
        mean_coherence_score=float(np.mean(score)) if score.size else None,
        rsa_t_s=rsa_t,
        rsa_bpm=rsa,
        rsa_end_s=rsa_end,
        rsa_max_hr_bpm=hr_max,
        rsa_min_hr_bpm=hr_min,
        mean_rsa_bpm=float(np.mean(rsa)) if rsa.size else None,
        settings=settings,
    )


def _spectrum(
    stretch: GapFreeSpectrum,
) -> tuple[float | None, float | None, float | None, float | None]:
    """LF and HF power (ms^2), LF/HF, and the LF-HF peak frequency (Hz) of the spectrum of the
    longest stretch without a gap in the beats
    (:func:`analysis.hrv_frequency.gap_free_frequency_domain`, default settings: 4 Hz cubic
    resampling, 256 s Hann segments, at least 50 % overlap, raised so that they reach the end;
    ``breathwise hrv`` reads the same spectrum)."""
    fd = stretch.spectrum
    if fd is None:
        return None, None, None, None
    freq, psd = fd.freq_hz, fd.psd_ms2_per_hz
    band = (freq >= PEAK_BAND_HZ[0]) & (freq <= PEAK_BAND_HZ[1])
    peak = float(freq[band][np.argmax(psd[band])]) if np.any(band) else None
    return fd.powers_ms2.get("lf"), fd.powers_ms2.get("hf"), fd.lf_hf, peak


def _coherence_series(
    nn_t: FloatArray, nn: FloatArray, progress: ProgressCallback | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Coherence ratio and 0-10 score every 5 s over the latest 64 s of NN, the windows beats
    cover (:func:`analysis.coherence.measured_coherence`, McCraty et al. 2006; the series
    whose mean ``breathwise hrv`` gives as ``session_mean_ratio``)."""
    results = measured_coherence(nn_t, nn, progress=progress)
    return (
        np.asarray([r.t_end_s for r in results], dtype=np.float64),
        np.asarray([r.ratio for r in results], dtype=np.float64),
        np.asarray([r.score for r in results], dtype=np.float64),
    )


def _rsa_series(
    nn_t: FloatArray, nn: FloatArray, breaths: Sequence[BreathEvents]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Peak-to-trough RSA per breath (:func:`analysis.rsa.rsa_per_breath`, Grossman et al. 1990)
    at each breath's inhale onset, the breath's end (s), and the fastest inhale and slowest
    exhale heart rates (bpm); breaths without a beat in both phases are left out."""
    order = np.argsort(nn_t, kind="stable")
    usable = [b for b in breaths if b.inhale_onset_s <= b.exhale_onset_s <= b.end_s]
    rows = [
        (r.inhale_onset_s, r.end_s, r.peak_to_trough_bpm, r.max_hr_inhale_bpm, r.min_hr_exhale_bpm)
        for r in rsa_per_breath(nn_t[order], nn[order], usable)
        if r.peak_to_trough_bpm is not None
    ]
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    onset_s, end_s, rsa_bpm, max_bpm, min_bpm = (table[:, k].copy() for k in range(5))
    return onset_s, end_s, rsa_bpm, max_bpm, min_bpm
