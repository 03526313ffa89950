"""Export a session for other tools: CSV per stream, and EDF+ with annotations.

Both are derived from a recording (docs/reference/design.md: "Exports (CSV per stream, EDF+) are
derived from it") through :func:`trainer.reports.session_analysis.analyse_recording`, so they hold
the same decoded samples, breaths and beats a replay or a report sees. Times are session seconds
(``t_s``)
from the recording's start; the EDF+ start date is the session's local wall-clock start, down to
the whole second (earlier when beats precede the start: an import aligned to its ECG), and
the signals and annotations are shifted by the difference (see :func:`edf_start` for why).

CSV (one file per stream, header line, ``.`` decimal point, units in column names):
``<stem>.belt.csv`` (t_s, force: in :func:`belt_unit`), ``<stem>.beats.csv`` (t_s, rr_ms,
hr_bpm: ``t_s`` is the beat ending ``rr_ms`` where the session's beat timeline placed it,
:mod:`analysis.beats`; its steps equal the RR except where the timeline clamped or re-anchored,
docs/recording-format.md), ``<stem>.breaths.csv`` (the breaths the session scored, as the live
screen, the headless lines, replay, the summary, the history and the report have them;
``counted`` marks those the session's median rate and mean ratio are of, ``source`` and
``depth_unit`` the sensor each was read from and the unit of its depth: :func:`breath_rows`),
``<stem>.pacer.csv`` (phase starts), ``<stem>.events.csv`` (marks, gaps, program steps),
``<stem>.ecg.csv`` / ``<stem>.acc.csv`` when the recording holds Polar PMD ECG / accelerometer
frames, and ``<stem>.session.csv`` (``field,value`` rows: the format and its version, the start
as local time with its UTC offset and as Unix ns, what measured it, the history's key of the
session, and which Breathwise and which analysis revision recorded the session and produced the
export's breaths and beats; then the session's length, the sensor's address, the belt's unit,
the waveforms' rates and, one row per value, the header's settings, streams and the source
details that describe the data: :func:`session_fields`). Every column: docs/export-formats.md.
The ``t_s`` of the other files count from that start; ``breathwise import <stem>.beats.csv``
reads it from beside the file, so a session exported and imported back keeps its start and its
SIMULATED SENSOR mark, and the history keeps one row for the two, the original's (found in
review: it came back as a second session at the file's time, unlabelled, its minutes counted
twice). ``<stem>`` is the recording's name without ``.bwr``, dots and all. ``--force`` replaces
an older export of the stem whole: its ECG or ACC file that this recording has none of is
removed, so no file of another session stays beside this one's ``session.csv``.

EDF+ (European Data Format plus; Kemp & Olivan 2003, Clin Neurophysiol 114:1755), written with
pyedflib (EDFlib): 1 s data records; signals ``Resp belt`` (in :func:`belt_unit`),
``Pacer target`` (0-1 fill), ``Heart rate`` (bpm from the artifact-corrected NN series, linearly
interpolated at 4 Hz between neighbouring beats; "no data" before the first beat, after the last
and where beats are missing, i.e. two beats more than twice their NN interval apart) and, when
present, ``ECG`` and ``ACC X/Y/Z``; annotations for every beat, breath phase, pacer phase, gap,
mark and program step, and at the file's start the analysis that produced them
(:func:`edf_analysis_annotation`), how the session ended (:func:`edf_ended_annotation`), what
recorded it, its settings and how an import's beats were placed (:func:`edf_start_annotations`).
The header names the source (:func:`edf_recording_field`) and each signal's transducer
(:func:`edf_transducers`); the prefilter is not known, so empty. Samples are stored as 16-bit
integers over each signal's physical range, so they read back within ``(max - min) / 65535``.
EDF has no "missing" value: where a signal has no data (a gap, before the first sample) it holds
the signal's physical minimum and a ``no data <signal>`` annotation covers the stretch, for
every signal (``belt``, ``pacer``, ``heart rate``, ``ECG``, ``ACC``); the physical minimum is
then put below every real sample of the signal (0 bpm for the heart rate), so the fill is never
a value the session measured.

EDF holds a fixed number of samples per record, so each waveform (belt, pacer, ECG, ACC) is
resampled onto that grid (``round(fs)`` samples per second, slot ``k`` at ``k / fs`` s) by
linear interpolation between its measured sample times, in its own unit (the belt's, fill,
uV, mg).
This matters for Polar PMD: the sensor's clock is not its nominal rate (an H10 runs 128-131 Hz
for a nominal 130 Hz ECG), and placing samples in the nearest slot instead left a slot empty
(a fake spike at the physical minimum) or overwrote a sample about once a second per 1 Hz of
drift. The measured times are the sensor's own (:class:`PmdStreamDecoder`), so interpolation
keeps them to float precision; its cost is a mild low-pass: a sample halfway between two
slots is their mean, a gain of ``cos(pi * f / fs)`` at ``f`` Hz (0.89 at 20 Hz for 130 Hz
ECG, R-peaks a little blunter). Nothing is drawn across a gap: two samples more than 1.5
sample periods apart are separate runs, and the slots between them are "no data".
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.progress import ProgressCallback, ProgressSteps, counted
from devices.errors import DecodeError
from devices.godirect_commands import FORCE_CHANNEL
from devices.packets import NS_PER_S, Stream
from devices.pmd_stream import PmdStreamDecoder
from devices.polar_pmd import MeasurementType
from devices.source import BLE_KIND, SIMULATED_KIND, SourceInfo
from trainer import ANALYSIS_REVISION, SOFTWARE
from trainer.errors import BadArgument, UserError
from trainer.reports.session_analysis import SessionAnalysis, analyse_recording
from trainer.session.pipeline import counted_breaths
from trainer.storage.paths import (
    CsvTable,
    check_output_path,
    replacing,
    unreachable,
    write_csvs,
)
from trainer.storage.recording import (
    PARTIAL_ENDINGS,
    Recording,
    read_recording,
    session_stem,
)

FloatArray = npt.NDArray[np.float64]

FORMATS = ("csv", "edf")
HR_CHANNEL_HZ = 4.0
"""Sampling of the derived heart-rate channel in EDF (Hz)."""
_DIGITAL = (-32768, 32767)
_GAP_PERIODS = 1.5
"""A step between two samples longer than this many sample periods is a gap in the data."""
_HR_GAP_BEATS = 2.0
"""Two NN beats further apart than this many of their intervals have beats missing between."""
_SAME_TIME_S = 1e-6
"""Two times closer than this (s) are one instant (float noise in sums of sample periods)."""
EDF_MAX_SILENCE_S = 24 * 3600.0
"""Longest time (s) the silences of a recording (stretches without any record,
:attr:`trainer.storage.recording.Recording.silences`) may add up to in an EDF export. EDF+ as
EDFlib writes it is continuous (EDF+C): every second from the start to the end is stored, a
silence as "no data" samples, so its size and the memory to build it follow the span. A day
is 14 MB of samples for a 20 Hz belt; one packet 30 days after a minute of data asked for
about 600 MB of file and more memory than a small machine has."""
_OVERWRITE_ADVICE = "use --force to replace it, or write elsewhere with -o"
BEATS_COLUMNS = ("t_s", "rr_ms", "hr_bpm")
"""The columns of ``<stem>.beats.csv``: beat time (s from the start), RR interval, heart rate."""
STREAM_CSVS = ("belt", "beats", "breaths", "pacer", "events")
"""Name parts of the CSVs every export writes (``<stem>.<name>.csv``), besides
:data:`SESSION_CSV`."""
SESSION_CSV = "session"
"""Name part of the CSV that says which session the others are from (``<stem>.session.csv``)."""
EXPORT_FORMAT = "breathwise-export"
"""The ``format`` row of ``<stem>.session.csv``: the files are a Breathwise CSV export."""
EXPORT_FORMAT_VERSION = 1
"""The ``format_version`` row of ``<stem>.session.csv``: the layout of the export's files
(docs/export-formats.md, "Versions"). Adding a file, a column or a ``session.csv`` row keeps
it; removing or renaming one, or changing a column's meaning or unit, raises it, and a reader
refuses a version above its own (as the recording's ``version``,
:data:`trainer.storage.recording.FORMAT_VERSION`). An export without the row (written before
December 2026) has version 1's layout, less the row."""
EXPORTED_SESSION = "exported_session"
"""Header setting of a recording imported from a Breathwise export: the original session's
history key (:attr:`trainer.reports.session_analysis.SessionAnalysis.session_key`)."""


def exported_session_of(settings: Mapping[str, Any]) -> str | None:
    """The original session's key a recording's header ``settings`` name
    (:data:`EXPORTED_SESSION`), or None when it is no re-import of a Breathwise export."""
    value = settings.get(EXPORTED_SESSION)
    return value if isinstance(value, str) and value else None


WAVEFORM_CSVS = ("ecg", "acc")
"""Name parts of the CSVs of Polar PMD waveforms, written when the recording holds them."""
ACC_UNIT = "mg"
"""The unit of the Polar accelerometer's samples as exported (``<stem>.acc.csv``'s
``acc_x_mg``..., the EDF's ``ACC X/Y/Z``) and of the depth of a breath read from them:
thousandths of gravity, mG, as :func:`devices.polar_pmd.decode_acc` gives them and
:mod:`analysis.acc_breath` keeps (its depths are in the samples' units)."""


@dataclass(frozen=True, slots=True)
class Waveform:
    """A decoded waveform: ``values`` (n, channels) at ``t_s`` (session s), nominal ``fs_hz``."""

    name: str
    unit: str
    channels: tuple[str, ...]
    fs_hz: float
    t_s: FloatArray
    values: FloatArray


def pmd_waveforms(recording: Recording) -> list[Waveform]:
    """ECG and accelerometer samples decoded from the recording's Polar PMD frames.

    Decoding and timing are those of the live pipeline (:class:`PmdStreamDecoder`): sample times
    come from the sensor's own frame timestamps, anchored to session time at the first frame's
    arrival. Frames that fail to decode are skipped (the live pipeline does the same).
    """
    decoder = PmdStreamDecoder(
        recording.header.source.streams.get(Stream.PMD_DATA.value),
        recording.header.start_mono_ns,
    )
    times: dict[MeasurementType, list[FloatArray]] = {}
    values: dict[MeasurementType, list[FloatArray]] = {}
    # Made one at a time, and only the PMD stream's: all packets at once held every packet of
    # the recording a second time, as objects.
    for packet in recording.packets_of(Stream.PMD_DATA.value):
        try:
            samples = decoder.feed(packet)
        except DecodeError:
            continue
        if samples is not None:
            times.setdefault(samples.kind, []).append(samples.t_s)
            values.setdefault(samples.kind, []).append(samples.values)
    described = {
        MeasurementType.ECG: (WAVEFORM_CSVS[0], "uV", ("ECG",)),
        MeasurementType.ACC: (WAVEFORM_CSVS[1], ACC_UNIT, ("ACC X", "ACC Y", "ACC Z")),
    }
    out = []
    for kind, (name, unit, channels) in described.items():
        if kind in times:
            out.append(
                Waveform(
                    name,
                    unit,
                    channels,
                    float(decoder.settings[name]["fs_hz"]),
                    np.concatenate(times[kind]),
                    np.concatenate(values[kind]),
                )
            )
    return out


# ------------------------------------------------------------------------------------ CSV
def _table(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> CsvTable:
    """A table for :func:`trainer.storage.paths.write_csvs`, its cells as the export writes them."""
    return path, header, (["" if v is None else _cell(v) for v in row] for row in rows)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(round(value, 6))
    return str(value)


def event_rows(analysis: SessionAnalysis) -> list[tuple[float, float, str, str]]:
    """Marks, gaps and program steps as ``(t_s, duration_s, kind, text)``, in time order."""
    rows: list[tuple[float, float, str, str]] = []
    for mark in analysis.marks:
        rows.append((mark.t_s, 0.0, "mark", mark.label))
    for gap in analysis.gaps:
        rows.append((gap.t0_s, gap.t1_s - gap.t0_s, "gap", gap.device))
    previous = ""
    for span in analysis.pacer_spans:
        if span.label and span.label != previous:
            rows.append((span.t0_s, 0.0, "step", span.label))
        previous = span.label
        if span.mode != "paced":
            rows.append((span.t0_s, span.t1_s - span.t0_s, f"pacer {span.mode}", ""))
    rows.sort(key=lambda r: r[0])
    return rows


BREATH_COLUMNS = [
    "index",
    "inhale_onset_s",
    "exhale_onset_s",
    "end_s",
    "inhale_s",
    "exhale_s",
    "pause_s",
    "rate_bpm",
    "ratio",
    "depth",
    "quality",
    "follow_score",
    "hr_bpm",
    "paused",
    "counted",
    "source",
    "depth_unit",
]
"""The columns of ``<stem>.breaths.csv``, one row per breath (:func:`breath_rows`). ``source``
and ``depth_unit`` were added last, so that the columns before them kept their places: an
older export is the same file less those two."""


def breath_rows(analysis: SessionAnalysis, source: SourceInfo) -> list[tuple[object, ...]]:
    """The rows of ``<stem>.breaths.csv``: the breaths the session scored, as it scored them.

    These are the breaths the live screen and the headless lines showed as they were
    confirmed, and that replay, the summary, the history and the report are of: the file
    holds the same times, rate, ratio and pause, breath by breath, and its follow score and
    heart rate are of those very breaths. It held the breaths re-timed from the whole
    recording instead (each ending at the next one's fitted inhale onset,
    :func:`analysis.breath.settle_ends`, as ``breathwise breaths`` times a waveform file),
    beside the follow score of the breath the session had scored: on the sample recording 74
    of 79 rates differed from the session's by more than rounding (up to 0.8/min), and the
    median of the column was 16.579/min against the session's 16.527.
    ``breathwise breaths STEM.belt.csv --fs HZ --column force`` still gives the re-timed
    breaths of an export's belt.

    ``counted`` is 1 for the breaths the session's median rate and mean ratio are of (not an
    artifact, not taken mostly while paused, and with a pacer those begun while it paced, or
    in a session paced for under half its time those begun while it did not:
    :func:`trainer.session.pipeline.counted_breaths`), so that the median of ``rate_bpm``
    over them is the summary's and the history's median rate when that rate is from the
    breaths (``breath_source`` belt or acc; with a strap alone the rate is read from the
    heart rhythm, not from breaths). ``paused`` is 1 for a breath taken mostly while paused;
    ``follow_score`` is empty for one the coach did not score (an artifact, taken mostly while
    paused, begun in a "breathe naturally" step or settling into a new pace, or its ratio not
    measured; :attr:`trainer.session.events.BreathEvent.scored`).

    ``source`` is the sensor each breath was read from (``belt`` or ``acc``,
    :attr:`trainer.session.events.BreathEvent.source`) and ``depth_unit`` the unit of its
    ``depth`` (:func:`depth_unit`, of the recording's ``source``): with a belt and a Polar H10
    the session reads breaths from the better of the two, and one column held newtons (or the
    belt's volts) and mG with nothing in the row to say which.
    """
    good = [e for e in analysis.breaths if e.breath.quality != "artifact"]
    counted = {e.index for e in counted_breaths(good, paced_headline=analysis.paced_headline)[0]}
    # One unit per source, worked out once (the belt's is read from the header).
    units = {name: depth_unit(source, name) for name in {e.source for e in analysis.breaths}}
    return [
        (
            e.index,
            e.breath.inhale_onset_s,
            e.breath.exhale_onset_s,
            e.breath.end_s,
            e.breath.inhale_s,
            e.breath.exhale_s,
            e.breath.pause_s,
            e.breath.rate_bpm,
            e.breath.ratio,
            e.breath.depth,
            e.breath.quality,
            None if not e.scored else e.feedback.follow_score,
            e.hr_bpm,
            int(e.paused),
            int(e.index in counted),
            e.source,
            units[e.source],
        )
        for e in analysis.breaths
    ]


def export_csv(
    recording: Recording,
    analysis: SessionAnalysis,
    out_dir: Path,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write one CSV per stream (see the module notes) into ``out_dir``; return the files.

    ``progress`` is told the fraction of the waveform samples written (:mod:`analysis.progress`):
    2 h of 130 Hz ECG are 940,000 rows, the seconds an export takes beside its analysis.

    Raises
    ------
    UserError
        ``out_dir`` cannot be made a directory, or (unless ``force``) a file of an export of
        this stem exists, or (with ``force``) an older export's waveform this recording has
        none of cannot be removed.
    """
    stem = export_stem(recording)
    waves = pmd_waveforms(recording)
    # Every name an export of this stem may have, the waveforms this one lacks too: left from
    # an older export (of another session of that name, say), they would sit beside this
    # export's session.csv and be imported as its session.
    names = [*STREAM_CSVS, SESSION_CSV, *WAVEFORM_CSVS]
    if not force:
        # Check every file before writing any, so a refusal leaves the folder as it was.
        for existing in (out_dir / f"{stem}.{n}.csv" for n in names):
            if _taken(existing):
                raise UserError(f"{existing}: already exists", _OVERWRITE_ADVICE)
    # Everything the sidecar says is found before any file is written, so nothing in it can
    # fail half-way through an export (without this, a name that is not UTF-8 did).
    sidecar = session_fields(recording, analysis, waves)
    made = not out_dir.exists()
    _make_dir(out_dir)
    tables = [
        _table(
            out_dir / f"{stem}.belt.csv",
            ["t_s", "force"],
            zip(analysis.belt_t_s.tolist(), analysis.belt_values.tolist(), strict=True),
        ),
        _table(
            out_dir / f"{stem}.beats.csv",
            list(BEATS_COLUMNS),
            (
                (t, rr, 60_000.0 / rr if rr > 0 else None)
                for t, rr in zip(analysis.beat_t_s.tolist(), analysis.rr_ms.tolist(), strict=True)
            ),
        ),
        _table(
            out_dir / f"{stem}.breaths.csv",
            BREATH_COLUMNS,
            breath_rows(analysis, recording.header.source),
        ),
        _table(
            out_dir / f"{stem}.pacer.csv",
            ["t_s", "phase", "rate_bpm", "ratio", "label"],
            ((p.t_s, p.phase, *_span_fields(analysis, p.t_s)) for p in analysis.pacer_phases),
        ),
        _table(
            out_dir / f"{stem}.events.csv",
            ["t_s", "duration_s", "kind", "text"],
            event_rows(analysis),
        ),
        _table(
            out_dir / f"{stem}.{SESSION_CSV}.csv",
            ["field", "value"],
            sidecar.items(),
        ),
    ]
    steps = ProgressSteps(progress)
    samples = max(sum(wave.t_s.size for wave in waves), 1)
    before = 0
    for wave in waves:
        columns = ["t_s", *[f"{c.lower().replace(' ', '_')}_{wave.unit}" for c in wave.channels]]
        # The tables are written one after the other: each wave is its share of the samples.
        share = ProgressSteps(steps.part(before / samples, (before + wave.t_s.size) / samples))
        before += wave.t_s.size
        rows = zip(wave.t_s.tolist(), wave.values.tolist(), strict=True)
        tables.append(
            _table(
                out_dir / f"{stem}.{wave.name}.csv",
                columns,
                ([t, *row] for t, row in counted(rows, wave.t_s.size, share)),
            )
        )
    try:
        written = write_csvs(tables)
    except BaseException:
        # A folder made for this export and left empty by its failure or interruption goes
        # too (without this, Ctrl+C left an empty -o folder).
        if made:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty
        raise
    steps.done()
    # --force replaces the older export whole: its waveforms this one has none of go.
    for name in sorted(set(WAVEFORM_CSVS) - {w.name for w in waves}):
        stale = out_dir / f"{stem}.{name}.csv"
        try:
            stale.unlink(missing_ok=True)
        except OSError as exc:
            raise UserError(
                f"{stale}: left from an older export, cannot be removed ({exc.strerror})",
                "delete it: it is not of this session",
            ) from None
    return written


def session_fields(
    recording: Recording, analysis: SessionAnalysis, waves: Sequence[Waveform]
) -> dict[str, str]:
    """What ``<stem>.session.csv`` holds, field -> value: ``format`` and ``format_version``
    (:data:`EXPORT_FORMAT`, :data:`EXPORT_FORMAT_VERSION`), the start (``start``, local ISO 8601
    with its UTC offset; ``start_wall_ns``, Unix ns), ``source_kind`` and ``source_name``
    (``sim`` for the simulated person), ``session_key`` (the history's identity of the
    session, :attr:`SessionAnalysis.session_key`), the ``recording`` file name, and which
    analysis produced what: ``recorded_by`` and ``recorded_analysis_revision`` (the header's
    ``software`` and ``analysis_revision``, empty when the file predates it: the live
    session's), ``exported_by`` and ``analysis_revision`` (:data:`trainer.SOFTWARE` and
    :data:`trainer.ANALYSIS_REVISION`: the analysis whose breaths, beats and events the export
    holds, today's). A researcher's file then says which analysis its numbers came from,
    which the version alone cannot (:data:`trainer.ANALYSIS_REVISION`). ``ended`` is how the
    session ended (:attr:`trainer.storage.recording.Recording.ended`): ``recording cut short``
    or ``still being recorded`` for an export of part of a session.

    A recording itself imported from an export gives its original's key (its
    :data:`EXPORTED_SESSION`): imported again, it is still that session, not a third one.

    Then what the data are and how they were made (without this, none of it reached the
    export, so a researcher could not tell the belt's rate but from the ``t_s`` steps, nor
    that an import's beats had been moved 937 ms onto its R peaks): ``duration_s``
    (:attr:`SessionAnalysis.duration_s`), ``address`` (the sensor's, the header's
    ``source.address``), ``belt_unit`` (:func:`belt_unit`), the nominal rates of the
    export's waveforms, ``belt_fs_hz``, ``ecg_fs_hz`` and ``acc_fs_hz`` (``waves``: the
    recording's :func:`pmd_waveforms`), and the header's own values, one row each
    (:func:`header_rows`): ``settings.KEY``, ``streams.STREAM.KEY`` and, of
    ``source.details``, those that describe the data (:data:`SESSION_DETAILS`) as
    ``details.KEY``. Every value is the recording's: nothing is added that its header does not
    hold.
    """
    header = recording.header
    source = header.source
    key = exported_session_of(analysis.settings) or analysis.session_key
    start = datetime.fromtimestamp(analysis.start_wall_ns / NS_PER_S).astimezone()
    return {
        "format": EXPORT_FORMAT,
        "format_version": str(EXPORT_FORMAT_VERSION),
        "recording": printable_name(recording.path),
        "start": start.isoformat(timespec="milliseconds"),
        "start_wall_ns": str(analysis.start_wall_ns),
        "source_kind": analysis.source_kind,
        "source_name": analysis.source_name,
        "session_key": key,
        "recorded_by": analysis.software,
        "recorded_analysis_revision": (
            "" if analysis.analysis_revision is None else str(analysis.analysis_revision)
        ),
        "exported_by": SOFTWARE,
        "analysis_revision": str(ANALYSIS_REVISION),
        # A part of a session (killed, or still being recorded) says so where it is used.
        "ended": analysis.ended,
        "duration_s": _cell(analysis.duration_s),
        "address": _text_cell(source.address),
        **_rate_fields(source, analysis, waves),
        **header_rows(header.settings, source),
    }


def _rate_fields(
    source: SourceInfo, analysis: SessionAnalysis, waves: Sequence[Waveform]
) -> dict[str, str]:
    """``belt_unit``, ``belt_fs_hz``, ``ecg_fs_hz``, ``acc_fs_hz`` of ``session.csv``: empty
    for a stream the recording does not hold."""
    belt = Stream.GODIRECT.value in source.streams
    rates = {wave.name: wave.fs_hz for wave in waves}
    return {
        "belt_unit": _text_cell(belt_unit(source)) if belt else "",
        "belt_fs_hz": _cell(analysis.belt_fs_hz) if belt else "",
        **{f"{name}_fs_hz": _cell(rates[name]) if name in rates else "" for name in WAVEFORM_CSVS},
    }


SESSION_DETAILS = (
    # An import's provenance: the file, its format, where its beats came from and how they
    # were placed (moved onto the ECG's R peaks, by how much).
    "imported_from",
    "format",
    "beats",
    "beats_from",
    "beat_timing",
    "data_sha256",
    # The bundled sample's: what it was derived from, its licence, its belt's unit.
    "derived_from",
    "licence",
    "belt_units",
    "r_peaks",
    # An imported respiration column: its name, unit, rate and resampling (import --fs).
    "belt",
    # The simulator's seed and person: the truth its data were made from.
    "seed",
    "person",
    # A Bluetooth sensor's make, model and firmware, and what it offers: the belt's channel
    # descriptions (units, periods), the H10's PMD measurements.
    "manufacturer",
    "model",
    "hardware_revision",
    "firmware_revision",
    "software_revision",
    "family",
    "body_sensor_location",
    "channels",
    "pmd_features",
    # The sensors of a combined source, each with its own details (these keys alone).
    "sources",
)
"""The keys of the header's ``source.details`` that ``<stem>.session.csv`` holds (as
``details.KEY`` rows): those that say what the data are or how they were made. Left out:
a sensor's serial number and battery level, which do not describe the data, and the
connection's notes (said when the session ran)."""

_SOURCE_ENTRY_KEYS = ("kind", "name", "address", "streams", "details")
"""The keys of one sensor of a combined source (``source.details["sources"]``, see
:class:`devices.ble.combined.CombinedSource`)."""


def header_rows(settings: Mapping[str, Any], source: SourceInfo) -> dict[str, str]:
    """The header's settings, streams and details as ``session.csv`` rows, field -> value.

    One row per value, the field its path in the header with dots: the
    header's ``settings`` as ``settings.KEY`` (``settings.minutes``, ``settings.rate_bpm``),
    ``source.streams`` as ``streams.STREAM.KEY`` (``streams.gdx.period_us``,
    ``streams.pmd.ecg.fs_hz``), and the :data:`SESSION_DETAILS` of ``source.details`` as
    ``details.KEY`` (``details.beat_timing.shift_ms``); a combined source's sensors as
    ``details.sources.N.KEY``, ``N`` from 0 in the header's order. Flat rows, not the JSON
    of each object in one cell, because a researcher's ``read.csv`` in R or ``read_csv`` in
    pandas then reads every value by its field name (``s["streams.gdx.period_us"]``) with no
    JSON parser, a spreadsheet shows them, and ``breathwise hrv --format csv`` names its
    settings the same way. A list (``settings.device``: ``["sim"]``) or an object without keys
    (``streams.hr``: ``{}``) stays one cell of JSON; values are the header's own
    (:func:`_header_cell`).
    """
    rows: dict[str, str] = {}
    _flatten_into(rows, "settings", settings)
    _flatten_into(rows, "streams", source.streams)
    _flatten_into(rows, "details", _described(source.details))
    return rows


def _described(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` less what :data:`SESSION_DETAILS` leaves out, a combined source's sensors
    numbered (``{"0": {...}, "1": {...}}``) and each sensor's details likewise kept."""
    kept = {k: v for k, v in details.items() if k in SESSION_DETAILS}
    sources = kept.pop("sources", None)
    if isinstance(sources, list):
        numbered: dict[str, Any] = {}
        for n, entry in enumerate(sources):
            if not isinstance(entry, Mapping):
                continue
            one = {k: entry[k] for k in _SOURCE_ENTRY_KEYS if k in entry}
            if isinstance(one.get("details"), Mapping):
                one["details"] = _described(one["details"])
            numbered[str(n)] = one
        kept["sources"] = numbered
    return kept


def _flatten_into(rows: dict[str, str], prefix: str, value: object) -> None:
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            _flatten_into(rows, f"{prefix}.{key}", inner)
    else:
        rows[prefix] = _header_cell(value)


def _header_cell(value: object) -> str:
    """A header value as a ``session.csv`` cell: text as it is, a number as the header holds
    it (Python's ``repr``: not rounded to the export's 6 decimals, which made an H10's RR unit
    1/1024 s 0.000977), a boolean ``1``/``0`` as every export column, nothing for ``null`` or
    a number that is not finite, JSON for a list or an empty object."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _text_cell(value)
    return _text_cell(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _text_cell(text: str) -> str:
    """``text`` as a UTF-8 file can hold it: a lone surrogate (JSON's ``\\udcff``, read into a
    header string) written ``\\udcff`` rather than failing the write half-way, as
    :func:`printable_name`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


BELT_UNIT = "N"
"""The belt samples' unit when the recording names none: newtons, the Go Direct Respiration
Belt's force channel (``devices/godirect.py``) and the simulated belt's."""


def stream_sensor(source: SourceInfo, stream: str) -> tuple[str, str, Mapping[str, Any]]:
    """The kind, name and details of the sensor that sent ``stream``: for a combined source
    (``details["sources"]``) the one that lists it, else the source itself."""
    sources = source.details.get("sources")
    for entry in sources if isinstance(sources, list) else ():
        streams = entry.get("streams") if isinstance(entry, Mapping) else None
        if isinstance(streams, list) and stream in streams:
            details = entry.get("details")
            return (
                str(entry.get("kind", "")),
                str(entry.get("name", "")),
                details if isinstance(details, Mapping) else {},
            )
    return source.kind, source.name, source.details


UNNAMED_BELT_UNIT = "a.u."
"""The belt's unit when an imported respiration column names none (arbitrary units)."""


def belt_unit(source: SourceInfo) -> str:
    """The unit of the belt's samples (``force`` of ``<stem>.belt.csv``, ``depth`` of a belt
    breath, the EDF's ``Resp belt``).

    The recording's own word when it has one: ``source.details["belt_units"]`` (the bundled
    sample's ``"V (NeuroKit2 RSP belt), not N"``: ``V``, its first word), else the unit the
    belt reported for its force channel when connecting (``details["channels"]``, a Go Direct
    sensor's description), else :data:`BELT_UNIT`. An imported respiration column
    (``details["belt"]``, ``import --fs``) gives the unit it was read in, or
    :data:`UNNAMED_BELT_UNIT` when its name gives none. Without this, the sample's
    belt, in volts, was exported as newtons.
    """
    _, _, details = stream_sensor(source, Stream.GODIRECT.value)
    imported = details.get("belt")
    if isinstance(imported, Mapping):
        # An imported respiration column (``import``'s untimed tables): its unit as read,
        # None when the column names none (arbitrary units, not the first word of its words).
        unit = imported.get("unit")
        return unit if isinstance(unit, str) and unit else UNNAMED_BELT_UNIT
    said = details.get("belt_units")
    first = re.split(r"[\s(,;]", said.strip(), maxsplit=1)[0] if isinstance(said, str) else ""
    if first:
        return first
    channel = source.streams.get(Stream.GODIRECT.value, {}).get("force_channel", FORCE_CHANNEL)
    channels = details.get("channels")
    described = channels.get(str(channel)) if isinstance(channels, Mapping) else None
    units = described.get("units") if isinstance(described, Mapping) else None
    if isinstance(units, str) and units.strip():
        return units.strip()
    return BELT_UNIT


def depth_unit(source: SourceInfo, breath_source: str) -> str:
    """The unit of the ``depth`` of a breath read from ``breath_source`` (``"belt"`` or
    ``"acc"``, :attr:`trainer.session.events.BreathEvent.source`) in a recording of
    ``source``: a belt breath's is the belt's samples' (:func:`belt_unit`), an accelerometer
    breath's :data:`ACC_UNIT` (a breath's depth is peak minus trough of the signal it was read
    from, :attr:`analysis.breath.Breath.depth`).

    Raises
    ------
    ValueError
        ``breath_source`` is neither: no other source gives breaths with a depth (the heart
        rhythm gives a rate only).
    """
    if breath_source == "belt":
        return belt_unit(source)
    if breath_source == "acc":
        return ACC_UNIT
    raise ValueError(f"no breaths with a depth come from {breath_source!r}")


def printable_name(path: Path) -> str:
    """``path``'s file name as text that any UTF-8 file can hold: bytes that are not UTF-8
    (which Python keeps as lone surrogates, :func:`os.fsdecode`) are written ``\\xff``.

    Without this, ``bad\\xffname.bwr`` made the sidecar's writer raise UnicodeEncodeError
    after five CSVs were written, and its re-import lost the link to its session.
    """
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def _span_fields(analysis: SessionAnalysis, t_s: float) -> tuple[float | None, float | None, str]:
    span = analysis.target_at(t_s + 1e-9)
    if span is None:
        return None, None, ""
    return span.rate_bpm, span.ratio, span.label


# ------------------------------------------------------------------------------------ EDF+
@dataclass(frozen=True, slots=True)
class EdfSignal:
    """One EDF signal: label (<= 16 chars), unit (<= 8), samples per 1 s record, samples, and
    what measured it (``transducer``, <= 80: :func:`edf_transducers`)."""

    label: str
    unit: str
    samples_per_record: int
    samples: FloatArray
    physical_min: float
    physical_max: float
    transducer: str = ""


class _EdfRangeError(ValueError):
    """A value EDF cannot hold: its header writes a signal's range in 8 characters."""


def _physical_range(values: FloatArray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-6:
        lo, hi = lo - 1.0, hi + 1.0
    # EDF stores the range as 8 ASCII characters: round outward to what fits.
    return _edf_number(lo, math.floor), _edf_number(hi, math.ceil)


def _edf_number(value: float, rounding: object) -> float:
    for digits in range(6, -1, -1):
        scale = 10.0**digits
        candidate = rounding(value * scale) / scale  # type: ignore[operator]
        text = f"{candidate:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{candidate:.0f}"
        if len(text) <= 8:
            return float(text)
    raise _EdfRangeError(f"{value:g} does not fit an EDF header field (8 characters)")


def _grid_times(fs_hz: int, n_records: int, offset_s: float) -> FloatArray:
    """Session times (s) of an ``fs_hz`` signal's samples in ``n_records`` 1 s records.

    ``offset_s`` is where session time 0 falls in the file (s from the file's start).
    """
    return np.arange(n_records * fs_hz, dtype=np.float64) / fs_hz - offset_s


def _resample(
    t_s: FloatArray, values: FloatArray, grid_t_s: FloatArray, max_step_s: float | FloatArray
) -> FloatArray:
    """Linear interpolation of ``values`` at ``grid_t_s`` within runs of data; NaN elsewhere.

    Parameters
    ----------
    t_s : ndarray, shape (m,)
        Measured sample times (session s), increasing (equal times allowed).
    values : ndarray, shape (m,)
        The samples (any unit), finite.
    grid_t_s : ndarray, shape (n,)
        Times to resample at (session s).
    max_step_s : float or ndarray, shape (m - 1,)
        Longest spacing of two neighbouring samples (s) that is still one run of data; an array
        gives the limit of each step. Across a longer step nothing is drawn: a straight line
        there would be a value nobody measured.

    Returns
    -------
    ndarray, shape (n,)
        Resampled values; NaN before the first sample, after the last and across every gap.
    """
    out = np.full(grid_t_s.shape, np.nan)
    if t_s.size == 0:
        return out
    limit = np.empty(t_s.size)  # limit[i]: the step from sample i to i + 1
    limit[:-1] = max_step_s
    limit[-1] = np.inf  # past the last sample: nothing to join, the ``after`` test refuses it
    after = np.searchsorted(t_s, grid_t_s, side="right")  # first sample after each point
    lo = np.clip(after - 1, 0, t_s.size - 1)
    hi = np.clip(after, 0, t_s.size - 1)
    step = t_s[hi] - t_s[lo]
    inside = (after > 0) & (after < t_s.size) & (step <= limit[lo])
    w = (grid_t_s[inside] - t_s[lo[inside]]) / step[inside]  # step > 0: t_s[lo] <= t < t_s[hi]
    out[inside] = values[lo[inside]] + w * (values[hi[inside]] - values[lo[inside]])
    # A point within float noise of a sample is that sample, even at the edge of a run: times
    # are sums of sample periods, and a sample on the grid must not be dropped as "no data".
    near_next = (after < t_s.size) & (t_s[hi] - grid_t_s <= _SAME_TIME_S)
    out[near_next] = values[hi[near_next]]
    near_last = (after > 0) & (grid_t_s - t_s[lo] <= _SAME_TIME_S)
    out[near_last] = values[lo[near_last]]
    return out


def _waveform_grid(
    t_s: FloatArray, values: FloatArray, nominal_fs_hz: float, grid_t_s: FloatArray
) -> FloatArray:
    """Resample a sampled waveform onto the EDF grid, never across a gap in its data.

    A gap is a step longer than 1.5 sample periods (the longer of the nominal period and the
    median measured one): a sensor slower than nominal is still one run, a lost frame is not.
    Non-finite samples count as missing.
    """
    ok = np.isfinite(t_s) & np.isfinite(values)
    order = np.argsort(t_s[ok], kind="stable")
    t, v = t_s[ok][order], values[ok][order]
    period = 1.0 / nominal_fs_hz
    if t.size > 1:
        period = max(period, float(np.median(np.diff(t))))
    return _resample(t, v, grid_t_s, _GAP_PERIODS * period)


def _heart_rate_grid(nn_t_s: FloatArray, nn_ms: FloatArray, grid_t_s: FloatArray) -> FloatArray:
    """Heart rate (bpm) at ``grid_t_s`` (session s), linear between beats; NaN where unknown.

    Parameters
    ----------
    nn_t_s : ndarray, shape (m,)
        Session time (s) of the beat ending each NN interval.
    nn_ms : ndarray, shape (m,)
        The artifact-corrected NN intervals (ms).
    grid_t_s : ndarray, shape (n,)
        Times to give the rate at (session s).

    Returns
    -------
    ndarray, shape (n,)
        ``60000 / NN`` interpolated between neighbouring beats; NaN before the first beat, after
        the last, and between two beats more than :data:`_HR_GAP_BEATS` times the longer of
        their NN intervals apart (beats missing there: a link gap, a strap off the skin), where
        a straight line would be a heart rate nobody measured.
    """
    ok = np.isfinite(nn_t_s) & np.isfinite(nn_ms) & (nn_ms > 0)
    order = np.argsort(nn_t_s[ok], kind="stable")
    t, nn = nn_t_s[ok][order], nn_ms[ok][order]
    limit = _HR_GAP_BEATS * np.maximum(nn[:-1], nn[1:]) / 1000.0
    return _resample(t, 60_000.0 / nn, grid_t_s, limit)


def _signal(
    label: str,
    unit: str,
    fs_hz: float,
    grid: FloatArray,
    no_data: float | None = None,
    transducer: str = "",
) -> EdfSignal:
    """An EDF signal of ``grid`` (NaN where there is no data), its physical range fitted to
    its values. EDF has no missing value: a slot without data holds the physical minimum, which
    is then put below every real sample (by ``(max - min) / 65534``, one 16-bit step, before
    rounding), or at ``no_data`` when that is lower (0 bpm for the heart rate), so a reader that
    ignores the "no data" annotations still cannot take the fill for a measurement: it was the
    session's own lowest heart rate."""
    missing = not np.all(np.isfinite(grid))
    try:
        lo, hi = _physical_range(grid)
        if missing and np.any(np.isfinite(grid)):
            below = float(np.nanmin(grid)) - (hi - lo) / 65534.0
            lo = _edf_number(min(below, lo if no_data is None else no_data), math.floor)
    except _EdfRangeError as exc:
        raise _EdfRangeError(f"signal {label!r} reaches values EDF cannot hold: {exc}") from None
    filled = np.where(np.isfinite(grid), grid, lo)
    return EdfSignal(label, unit, round(fs_hz), filled, lo, hi, transducer)


EDF_SESSION_START = "session start (CSV t_s 0)"
"""The annotation at the session's start in an EDF+ export: file time = CSV ``t_s`` + its onset."""


def edf_start(start_wall_ns: int, lead_s: float = 0.0) -> tuple[datetime, float]:
    """The EDF+ file's start (local wall clock, whole second) and the session's offset in it.

    EDF+ can hold a sub-second start (the first annotation signal's time-keeping TAL), but
    pyedflib 0.1.42 writes it wrong: it passes microseconds * 100 to EDFlib, whose unit is
    100 ns, so below 0.1 s the start is written 10 times too late and from 0.1 s on EDFlib
    refuses it and the file silently starts up to 1 s early (fixed upstream in
    holgern/pyedflib#315; its reader divides by 100 too, so older readers misread a correct
    file). Instead the file starts at the whole second and every signal and annotation is
    shifted by the fraction, which any EDF reader gets right.

    Parameters
    ----------
    start_wall_ns : int
        The session's wall-clock start (Unix ns).
    lead_s : float
        How long before the session's start the file must begin, s (>= 0): beats an import
        aligned to its ECG can precede the logger's first row (:func:`edf_lead_s`).

    Returns
    -------
    start : datetime
        Local time of the file's first sample, microsecond 0.
    offset_s : float
        Where session time 0 falls in the file (s, ``lead_s <= offset_s < lead_s + 1``):
        session time ``t`` is file time ``t + offset_s``.
    """
    first_ns = start_wall_ns - round(lead_s * NS_PER_S)
    whole_s = first_ns // NS_PER_S
    return datetime.fromtimestamp(whole_s), (start_wall_ns - whole_s * NS_PER_S) / NS_PER_S


def edf_lead_s(analysis: SessionAnalysis) -> float:
    """How far before session time 0 the earliest beat or breath lies, s (0 if none does).

    An EDF+ annotation cannot have a negative onset: without this lead such beats were all
    written at the file's first instant.
    """
    earliest = [0.0]
    if analysis.beat_t_s.size:
        earliest.append(float(np.min(analysis.beat_t_s)))
    earliest += [e.breath.inhale_onset_s for e in analysis.breaths[:1]]
    return max(0.0, -min(earliest))


def edf_signals(
    recording: Recording, analysis: SessionAnalysis
) -> tuple[list[EdfSignal], list[tuple[float, float, str]], int]:
    """The signals, annotations ``(onset_s, duration_s, text)`` and record count of the export.

    Onsets are file seconds, from the whole second :func:`edf_start` gives: session time plus
    its ``offset_s``; the signals are shifted the same way (slot ``k`` of an ``fs`` Hz signal
    holds session time ``k / fs - offset_s``).

    Each waveform is resampled at its measured sample times onto ``round(fs)`` samples per 1 s
    record (see the module notes): the belt's 20 Hz and the H10's nominal 130 Hz ECG and ACC
    rates are whole numbers, and the sensor's real rate may differ from them.
    """
    _, offset_s = edf_start(analysis.start_wall_ns, edf_lead_s(analysis))
    n_records = max(math.ceil(analysis.duration_s + offset_s), 1)
    source = recording.header.source
    transducer = edf_transducers(source)
    signals: list[EdfSignal] = []
    # Where the CSV's t_s 0 is in the file: the whole second before the start, or whole
    # seconds earlier for an import whose beats precede its start; the help's "plus the
    # start's fraction of a second" was a second off there, and nothing in the file said so.
    annotations: list[tuple[float, float, str]] = [(0.0, 0.0, EDF_SESSION_START)]
    if analysis.belt_values.size:
        fs = max(round(analysis.belt_fs_hz), 1)
        grid_t = _grid_times(fs, n_records, offset_s)
        grid = _waveform_grid(analysis.belt_t_s, analysis.belt_values, analysis.belt_fs_hz, grid_t)
        unit = _edf_ascii(belt_unit(source), 8)
        signals.append(_signal("Resp belt", unit, fs, grid, transducer=transducer["belt"]))
        annotations += _no_data(np.isnan(grid), grid_t, fs, "belt")
    if np.any(np.isfinite(analysis.pacer_fill)):
        pacer_fs = (
            1.0 / (analysis.pacer_t_s[1] - analysis.pacer_t_s[0])
            if (analysis.pacer_t_s.size > 1)
            else 10.0
        )
        fs = max(round(pacer_fs), 1)
        grid_t = _grid_times(fs, n_records, offset_s)
        grid = _waveform_grid(analysis.pacer_t_s, analysis.pacer_fill, pacer_fs, grid_t)
        signals.append(_signal("Pacer target", "fill", fs, grid, transducer=transducer["pacer"]))
        annotations += _no_data(np.isnan(grid), grid_t, fs, "pacer")
    heart = analysis.heart
    if heart.nn_ms.size >= 2:
        fs = int(HR_CHANNEL_HZ)
        grid_t = _grid_times(fs, n_records, offset_s)
        hr = _heart_rate_grid(heart.nn_t_s, heart.nn_ms, grid_t)
        signals.append(
            _signal("Heart rate", "bpm", fs, hr, no_data=0.0, transducer=transducer["heart"])
        )
        annotations += _no_data(np.isnan(hr), grid_t, fs, "heart rate")
    for wave in pmd_waveforms(recording):
        # The sensor's clock is not the nominal rate (an H10 runs 128-131 Hz for 130): samples
        # are resampled at their measured times onto the EDF's fixed grid (see the module notes).
        fs = max(round(wave.fs_hz), 1)
        grid_t = _grid_times(fs, n_records, offset_s)
        missing = np.zeros(grid_t.size, dtype=bool)
        for k, channel in enumerate(wave.channels):
            grid = _waveform_grid(wave.t_s, wave.values[:, k], wave.fs_hz, grid_t)
            signals.append(_signal(channel, wave.unit, fs, grid, transducer=transducer[wave.name]))
            missing |= np.isnan(grid)
        # One note per waveform: the axes of the accelerometer share their sample times.
        annotations += _no_data(missing, grid_t, fs, wave.name.upper())
    for t, rr in zip(analysis.beat_t_s.tolist(), analysis.rr_ms.tolist(), strict=True):
        annotations.append((t, 0.0, f"beat RR {rr:.0f} ms"))
    for e in analysis.breaths:
        b = e.breath
        annotations.append((b.inhale_onset_s, b.inhale_s, f"inhale {e.index}"))
        annotations.append((b.exhale_onset_s, b.exhale_s, f"exhale {e.index}"))
    for p in analysis.pacer_phases:
        annotations.append((p.t_s, 0.0, f"pacer {p.phase.replace('_', ' ')}"))
    for t, duration, kind, text in event_rows(analysis):
        annotations.append((t, duration, f"{kind} {text}".strip()))
    # Session seconds to file seconds: the file starts offset_s before the session.
    annotations = [
        (max(0.0, t + offset_s), max(0.0, d), s)
        for t, d, s in annotations
        if t + offset_s < n_records
    ]
    annotations.sort(key=lambda a: a[0])
    return signals, annotations, n_records


def _no_data(
    missing: npt.NDArray[np.bool_], grid_t_s: FloatArray, fs: int, what: str
) -> list[tuple[float, float, str]]:
    """A ``no data <what>`` annotation ``(onset_s, duration_s, text)`` per run of missing slots.

    Parameters
    ----------
    missing : ndarray of bool, shape (n,)
        Grid slots with no data (they hold the signal's physical minimum).
    grid_t_s : ndarray, shape (n,)
        Session time of each slot (s).
    fs : int
        Samples per second of the grid (Hz): a run of ``k`` slots lasts ``k / fs`` seconds.
    what : str
        Names the signal in the annotation.
    """
    if not missing.any():
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, missing.astype(np.int8), 0]))
    # Every run, however short: the signals are resampled, so an empty slot is never a rounding
    # hole but a stretch with no measurement, and the file must not pass it off as a value.
    return [
        (float(grid_t_s[start]), (stop - start) / fs, f"no data {what}")
        for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)
    ]


def export_edf(recording: Recording, analysis: SessionAnalysis, output: Path) -> Path:
    """Write the session as an EDF+ file (see the module notes).

    The file is written beside ``output`` under a temporary name and renamed into place when
    complete, so a failed export never leaves half a file, nor damages one it replaces.

    Raises
    ------
    UserError
        No signal to export, a value EDF cannot hold, or the file cannot be written.
    """
    silent_s = sum(t1 - t0 for t0, t1 in analysis.silences)
    if silent_s > EDF_MAX_SILENCE_S:
        t0, t1 = max(analysis.silences, key=lambda s: s[1] - s[0])
        raise UserError(
            f"{recording.path}: {_days_text(silent_s)} of the session hold no record (the "
            f"longest from {t0:.0f} s to {t1:.0f} s), and EDF stores every second of it",
            "export it as CSV (-f csv), which holds only what was recorded",
        )
    try:
        signals, annotations, n_records = edf_signals(recording, analysis)
    except _EdfRangeError as exc:
        raise UserError(f"{recording.path}: {exc}", "export it as CSV (-f csv)") from None
    if not signals:
        beats = analysis.rr_ms.size
        held = f"{beats} beat (a heart-rate signal needs 2)" if beats == 1 else "no beats"
        raise UserError(
            f"{recording.path}: nothing to export to EDF (no waveform, and {held})",
            "export it as CSV (-f csv)" if beats else "",
        )
    # Which analysis made the file's annotations and heart-rate channel (today's), at its
    # start: the header's recording field holds the recording's software, and EDFlib keeps
    # 40 characters of it and the device's name together, too few for both.
    # How the session ended, as session.csv's ``ended`` says it: the EDF of a killed
    # session looked whole.
    # What recorded the session, its settings and how its beats were placed, which the
    # header's 40 characters of recording field cannot hold (without this, the EDF had no
    # settings, and nothing said an import's beats had been moved onto its R peaks).
    annotations = [
        (0.0, 0.0, edf_analysis_annotation()),
        (0.0, 0.0, edf_ended_annotation(analysis.ended)),
        *((0.0, 0.0, text) for text in edf_start_annotations(recording)),
        *annotations,
    ]
    # EDFlib stores one annotation per annotation signal per record: give it room for all.
    per_record = math.ceil(len(annotations) / n_records) + 1
    if per_record > 64:
        raise UserError(
            f"{recording.path}: {len(annotations)} annotations do not fit EDF+ "
            f"({n_records} s, at most 64 per second)"
        )
    try:
        with replacing(output) as partial:
            _write_edf(partial, analysis, signals, annotations, per_record)
            # EDFlib ignores failed writes (a full disk): without this check a short file would
            # be renamed over a good one and the export reported as written.
            _check_edf_complete(partial, n_records)
    except OSError as exc:
        raise UserError(f"{output}: cannot write ({exc.strerror or exc})") from None
    return output


def _days_text(seconds: float) -> str:
    """``seconds`` in days, or in hours below two days (rounded)."""
    hours = seconds / 3600.0
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def edf_analysis_annotation() -> str:
    """The annotation at an EDF+ export's start naming the analysis that produced its
    annotations and heart-rate channel: ``analysis revision N, breathwise X.Y.Z``
    (:data:`trainer.ANALYSIS_REVISION`, :data:`trainer.SOFTWARE`); within EDFlib's 40
    characters."""
    return f"analysis revision {ANALYSIS_REVISION}, {SOFTWARE}"


def edf_ended_annotation(ended: str) -> str:
    """The annotation at an EDF+ export's start saying how the session ended: ``ended: X``,
    ``X`` as ``<stem>.session.csv``'s ``ended`` row (:attr:`SessionAnalysis.ended`):
    ``recording cut short`` or ``still being recorded`` for a file of part of a session;
    EDFlib keeps its first 40 characters."""
    return f"ended: {ended}"


def _write_edf(
    path: Path,
    analysis: SessionAnalysis,
    signals: list[EdfSignal],
    annotations: list[tuple[float, float, str]],
    annotations_per_record: int,
) -> None:
    import pyedflib

    writer = pyedflib.EdfWriter(str(path), len(signals), file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        # A whole second, so pyedflib writes no sub-second start (see edf_start).
        writer.setStartdatetime(edf_start(analysis.start_wall_ns, edf_lead_s(analysis))[0])
        equipment, additional = edf_recording_field(
            analysis.source_name or analysis.source_kind, analysis.software
        )
        writer.setEquipment(equipment)
        writer.setRecordingAdditional(additional)
        writer.setSignalHeaders(
            [
                {
                    "label": s.label,
                    "dimension": s.unit,
                    "sample_frequency": s.samples_per_record,
                    "physical_min": s.physical_min,
                    "physical_max": s.physical_max,
                    "digital_min": _DIGITAL[0],
                    "digital_max": _DIGITAL[1],
                    "transducer": s.transducer,
                    # Not known: neither Vernier nor Polar publishes the filters of the belt's
                    # or the H10's samples, and Breathwise filters none (docs/export-formats.md).
                    "prefilter": "",
                }
                for s in signals
            ]
        )
        writer.set_number_of_annotation_signals(annotations_per_record)
        writer.writeSamples([s.samples for s in signals])
        for onset, duration, text in annotations:
            # EDFlib keeps 40 characters of a description; cut here so the file says what we
            # wrote rather than what the library kept.
            writer.writeAnnotation(onset, duration if duration > 0 else -1, text[:40])
    finally:
        writer.close()


_EDF_FIXED_HEADER_BYTES = 256
_EDF_SIGNAL_HEADER_BYTES = 256
_EDF_SAMPLES_FIELD = 216
"""Offset (bytes per signal) of the "samples per record" fields in the signal headers: after
label 16, transducer 80, dimension 8, physical min/max 8 + 8, digital min/max 8 + 8, prefilter
80 (Kemp et al. 1992, Electroenceph Clin Neurophysiol 82:391, "Header record")."""
_PROBE_BYTES = 1 << 20
"""At most this much is written to learn why a file came out short (the first block tells)."""


def _edf_expected_bytes(header: bytes) -> tuple[int, int] | None:
    """The size an EDF file should have according to its header, and its number of records.

    ``header bytes + records * 2 * sum(samples per record)``: every EDF sample is a 16-bit
    integer (Kemp et al. 1992; EDF+ annotation signals count as signals of 2-byte "samples",
    Kemp & Olivan 2003).

    Parameters
    ----------
    header : bytes
        The start of the file: at least the whole header record for a useful answer.

    Returns
    -------
    (int, int) or None
        Expected file size (bytes) and number of data records, or None when ``header`` is cut
        short or its numbers are not numbers (a header that never fully reached the disk).
    """
    try:
        header_bytes = int(header[184:192])
        n_records = int(header[236:244])
        n_signals = int(header[252:256])
    except ValueError:
        return None
    fields = _EDF_FIXED_HEADER_BYTES + n_signals * _EDF_SAMPLES_FIELD
    if n_signals < 1 or len(header) < fields + 8 * n_signals:
        return None
    if header_bytes != _EDF_FIXED_HEADER_BYTES + n_signals * _EDF_SIGNAL_HEADER_BYTES:
        return None
    try:
        samples = [int(header[fields + 8 * k : fields + 8 * k + 8]) for k in range(n_signals)]
    except ValueError:
        return None
    return header_bytes + n_records * 2 * sum(samples), n_records


def _check_edf_complete(path: Path, n_records: int) -> None:
    """Raise OSError unless ``path`` is a whole EDF file of ``n_records`` records.

    EDFlib, under pyedflib, does not check ``fwrite``/``fclose``: on a full disk it leaves a
    short file and reports success. When the file is short, the missing bytes are written here
    (at most :data:`_PROBE_BYTES`, into the temporary file that is then removed), so the error
    names the file system's own reason (no space, quota exceeded) rather than a guess.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(_EDF_FIXED_HEADER_BYTES)
        n_signals = header[252:256]
        if n_signals.strip().isdigit():
            header += handle.read(int(n_signals) * _EDF_SIGNAL_HEADER_BYTES)
    expected = _edf_expected_bytes(header)
    if expected is not None and expected == (size, n_records):
        return
    missing = expected[0] - size if expected is not None and expected[1] == n_records else 0
    with path.open("ab") as handle:  # on a full disk this raises the reason
        handle.write(bytes(min(missing, _PROBE_BYTES) if missing > 0 else _PROBE_BYTES))
        handle.flush()
        os.fsync(handle.fileno())
    raise OSError(errno.EIO, f"the EDF library wrote an incomplete file ({size} bytes)")


def _make_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        # A link that leads back to itself exists to mkdir, and to nothing else.
        why = unreachable(directory) or "is a file, not a folder"
        raise UserError(f"{directory}: {why}") from None
    except OSError as exc:
        raise UserError(f"{directory}: cannot create the folder ({exc.strerror})") from None


_EDF_RECORDING_ROOM = 66 - len("Startdate 01-JAN-2020 X X ")
"""Characters of an EDF+ header's recording field (EDF+ spec, 2.1.3.2) left for its equipment
and additional text, with the space between them: EDFlib writes at most 66 of the field's 80
characters (measured with pyedflib 0.1.42: a 60-character equipment was cut to 40, a
30-character one cut a 16-character software to 9), after the start date and the admin code
and technician, not known ("X")."""

_EDF_CUT = "~"
"""Marks where :func:`edf_recording_field` took characters out of the middle of a name."""


def edf_recording_field(name: str, software: str) -> tuple[str, str]:
    """The equipment and additional subfields of an EDF+ export's recording field.

    The equipment is the source's name (``Polar CSV polar_h10_pvc.csv.gz``, ``Polar H10
    A1B2C3D4 + GDX-RB 0K2003N8``), spaces as ``_`` (EDF+ 2.1.3.2: a subfield holds no
    space), whole when it fits EDFlib's :data:`_EDF_RECORDING_ROOM` characters. A longer name
    loses characters from its middle, marked ``~``, so it keeps its start (what kind of
    source) and its end (a file's extension, the sample's ``(derived)``). The recording's
    software follows in the additional subfield when the room left holds it whole; the
    annotation :func:`edf_recorded_annotation` always names it. Otherwise the
    software was kept whole and the name cut to the room left ("Polar_CSV_polar_h10_pvc",
    "NeuroKit2_bio_resting_5"), which lost what the file was.

    Returns
    -------
    (str, str)
        The equipment (at most :data:`_EDF_RECORDING_ROOM` characters, never empty: ``X``
        when not known, as EDF+ has it) and the additional text (``""`` when it does not fit).
    """
    equipment = _edf_text(name)
    if len(equipment) > _EDF_RECORDING_ROOM:
        head = (_EDF_RECORDING_ROOM - len(_EDF_CUT)) // 2
        tail = _EDF_RECORDING_ROOM - len(_EDF_CUT) - head
        equipment = equipment[:head] + _EDF_CUT + equipment[-tail:]
    additional = _edf_text(software) if software else ""
    if len(equipment) + 1 + len(additional) > _EDF_RECORDING_ROOM:
        additional = ""
    return equipment, additional


def _edf_text(text: str) -> str:
    """``text`` as one subfield of an EDF+ header's recording field: printable US-ASCII, spaces
    (EDF+ field separators) and other characters as ``_``; ``X`` (not known) when empty."""
    return "".join(c if 32 < ord(c) < 127 else "_" for c in text) or "X"


def _edf_ascii(text: str, limit: int) -> str:
    """``text`` as an EDF signal header field of ``limit`` characters: printable US-ASCII
    (Kemp et al. 1992), other characters as ``_``, cut to ``limit``."""
    return "".join(c if 32 <= ord(c) < 127 else "_" for c in text)[:limit]


_EDF_TRANSDUCER_CHARS = 80
"""Length of an EDF signal header's transducer field (Kemp et al. 1992)."""


def edf_transducers(source: SourceInfo) -> dict[str, str]:
    """What measured each EDF signal, for its transducer field: by signal (``belt``,
    ``pacer``, ``heart``, ``ecg``, ``acc``).

    From the sensor that sent the stream (:func:`stream_sensor`): a Bluetooth Go Direct belt
    is ``Go Direct Respiration Belt force sensor (GDX-RB 0K2003N8)``, a Bluetooth strap's ECG
    ``Polar H10 ECG electrodes (Polar H10 A1B2C3D4)`` (the H10 is the one sensor Breathwise
    reads PMD frames from, ``devices/ble/polar_h10.py``), the simulator's signals say they are
    simulated, and an import's or the sample's name the file they came from, or what their
    ``belt_units`` say in brackets (the sample's ``NeuroKit2 RSP belt``). The derived heart
    rate and the pacer's target name what they are made of. Empty for a signal nobody knows
    the sensor of. EDF+ asks for the transducer (Kemp & Olivan 2003, 2.1.3.2); it was empty.
    """
    out = {
        "pacer": "none: the pacer's target lung fill (Breathwise)",
        "heart": "derived: 60000/NN of the corrected RR intervals",
    }
    belt_kind, belt_name, belt_details = stream_sensor(source, Stream.GODIRECT.value)
    said = belt_details.get("belt_units")
    bracket = re.search(r"\(([^)]+)\)", said) if isinstance(said, str) else None
    if bracket is not None and not isinstance(belt_details.get("belt"), Mapping):
        out["belt"] = bracket.group(1).strip()
    else:
        out["belt"] = _sensor_words(
            belt_kind, belt_name, "Go Direct Respiration Belt force sensor", "respiration belt"
        )
    pmd_kind, pmd_name, _ = stream_sensor(source, Stream.PMD_DATA.value)
    out["ecg"] = _sensor_words(pmd_kind, pmd_name, "Polar H10 ECG electrodes", "ECG")
    out["acc"] = _sensor_words(pmd_kind, pmd_name, "Polar H10 accelerometer", "accelerometer")
    return {key: _edf_ascii(text, _EDF_TRANSDUCER_CHARS) for key, text in out.items()}


def _sensor_words(kind: str, name: str, ble: str, what: str) -> str:
    """The transducer of a signal measured by ``ble`` over Bluetooth; simulated, or from the
    file or sample ``name`` otherwise."""
    if kind == BLE_KIND:
        return f"{ble} ({name})" if name else ble
    if kind == SIMULATED_KIND:
        return f"simulated {what} (Breathwise simulator)"
    return f"{what} from {name}" if name else ""


_EDF_ANNOTATION_CHARS = 40
"""EDFlib keeps this many characters of an annotation's text."""


def edf_start_annotations(recording: Recording) -> list[str]:
    """The annotations at an EDF+ export's start that say how the session was recorded:
    :func:`edf_recorded_annotation`, one ``setting KEY VALUE`` per setting of the header
    (a list's items joined by ``,``; an object, a program's plan, is left to ``session.csv``;
    a setting without a value, ``rate_bpm`` of an own-rhythm session, is left out) and, for
    an import, :func:`edf_beats_annotation`. Each is cut to EDFlib's 40 characters: the
    export's ``session.csv`` holds them whole."""
    header = recording.header
    texts = [edf_recorded_annotation(header.software, header.analysis_revision)]
    for key, value in header.settings.items():
        words = _setting_words(value)
        if words:
            texts.append(f"setting {key} {words}")
    beats = edf_beats_annotation(header.source.details)
    if beats:
        texts.append(beats)
    return [text[:_EDF_ANNOTATION_CHARS] for text in texts]


def _setting_words(value: object) -> str:
    if isinstance(value, list) and all(not isinstance(v, (list, Mapping)) for v in value):
        return ",".join(_header_cell(v) for v in value)
    if isinstance(value, (Mapping, list)):
        return ""
    return _header_cell(value)


def edf_recorded_annotation(software: str, revision: int | None) -> str:
    """``recorded: breathwise X.Y.Z, revision N``: the Breathwise that recorded the session
    and the analysis revision it ran (``session.csv``'s ``recorded_by`` and
    ``recorded_analysis_revision``), at an EDF+ export's start."""
    return f"recorded: {software}" + ("" if revision is None else f", revision {revision}")


def edf_beats_annotation(details: Mapping[str, Any]) -> str:
    """How an import's beats were placed, for an EDF+ export's start; ``""`` when the header
    does not say (a strap's beats, as it sent them).

    ``beats moved -937.422 ms onto R peaks`` (``details["beat_timing"]``, method
    ``ecg_r_peaks``: every beat moved by ``shift_ms`` onto the file's ECG,
    :func:`trainer.storage.imports.ecg_beats.beat_timing_details`), ``beats at the logger's least
    delay`` (``least_row_delay``: not aligned), ``beats at the exported times`` (a
    re-imported export), or ``beats from ECG R peaks`` (``details["beats_from"]``).
    """
    timing = details.get("beat_timing")
    if isinstance(timing, Mapping):
        method = timing.get("method")
        shift = timing.get("shift_ms")
        if method == "ecg_r_peaks" and isinstance(shift, (int, float)):
            return f"beats moved {shift:+.3f} ms onto R peaks"
        if method == "least_row_delay":
            return "beats at the logger's least delay"
        if method == "exported_times":
            return "beats at the exported times"
    beats_from = details.get("beats_from")
    if isinstance(beats_from, str) and beats_from:
        return "beats from " + beats_from.split(" (")[0]
    return ""


# ------------------------------------------------------------------------------------ entry
def _taken(path: Path) -> bool:
    """Whether a file to write is there already: a link to nothing counts (``exists()`` is
    False for it, and the export replaced the link without ``--force``)."""
    return path.exists() or path.is_symlink()


def export_stem(recording: Recording) -> str:
    """The name an export's files start with: the recording's, or for one read from a pipe
    (``<(zcat s.bwr.gz)``: ``/dev/fd/63``) the name ``breathwise live`` gives a session
    started when it was (the files were ``63.belt.csv``...)."""
    if recording.path.is_fifo():
        return session_stem(recording.header.start_wall_ns)
    return recording.path.stem


def export_recording(
    path: Path,
    fmt: str,
    output: Path | None = None,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    tell: Callable[[str], None] | None = None,
) -> list[Path]:
    """Export one recording as ``fmt`` (``"csv"`` or ``"edf"``).

    Parameters
    ----------
    path : Path
        The recording.
    fmt : str
        ``"csv"``: one file per stream into ``output`` (a directory; default beside the
        recording). ``"edf"``: one EDF+ file ``output`` (default ``<stem>.edf`` beside it).
    output : Path, optional
        See ``fmt``. Given, its folder must exist (:func:`trainer.storage.paths.check_output_path`);
        ``-`` (standard output) is refused.
    force : bool
        Replace files that already exist; without it an existing file is never overwritten.
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): the analysis, then the files.
    tell : callable, optional
        Told how the session ended when the recording holds part of one
        (:data:`trainer.storage.recording.PARTIAL_ENDINGS`), before the files are written.

    Raises
    ------
    BadArgument
        Unknown format, or an ``.edf`` output for a CSV export.
    UserError
        ``output`` is the wrong kind of path (a file for CSV, a folder for EDF), or a file to
        write already exists and ``force`` is not set, or is not given for a recording read
        from a pipe.
    trainer.storage.recording.RecordingError
        The recording cannot be read.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise BadArgument(f"--format must be 'csv' or 'edf', not {fmt!r}")
    if output is None and path.is_fifo():
        # Written beside the recording, the files went to /dev/fd/63.belt.csv.
        raise UserError(
            f"{path}: a pipe, with no folder beside it for the export",
            "say where the export goes with -o",
        )
    # Check the output before the analysis, which takes a while on a long session.
    if output is not None:
        if fmt == "csv":
            check_output_path(output, "a CSV export (a folder of files)", f"{path.stem}-csv")
        else:
            check_output_path(output, "an EDF file", path.with_suffix(".edf").name)
    if fmt == "csv":
        out_dir = output or path.parent
        if out_dir.exists() and not out_dir.is_dir():
            raise UserError(
                f"{out_dir}: is a file; CSV export writes a folder of files",
                "give a folder with -o, or use -f edf for one file",
            )
        if out_dir.suffix.lower() == ".edf":
            # A folder named *.edf is never what was meant: -f edf was forgotten.
            raise BadArgument(
                f"-o {out_dir} names an EDF file, but the format is csv", "add -f edf"
            )
    else:
        target = output or path.with_suffix(".edf")
        if target.is_dir():
            raise UserError(
                f"{target}: is a folder; EDF export writes one file", "give a file name with -o"
            )
        suffix = target.suffix.lower()
        if suffix == ".csv":
            raise BadArgument(
                f"-o {target} names a CSV file, but the format is edf",
                "use -f csv, or an .edf name",
            )
        if suffix != ".edf":
            # "-o newdir/" reaches us as "newdir": writing a file of that name is never meant.
            raise BadArgument(
                f"-o {target}: an EDF file's name ends in .edf",
                f"for example -o {target / path.with_suffix('.edf').name}"
                if not suffix
                else f"for example -o {target.with_suffix('.edf')}",
            )
        if _taken(target) and not force:
            raise UserError(f"{target}: already exists", _OVERWRITE_ADVICE)
    steps = ProgressSteps(progress)
    recording = read_recording(path)
    # Measured on 2 h of 130 Hz ECG with RR: the analysis about 60 % of a CSV export, the
    # ECG's rows the rest; an EDF file is written in a moment after it.
    analysed = 0.6 if fmt == "csv" else 0.95
    analysis = analyse_recording(recording, progress=steps.part(0.0, analysed))
    if tell is not None and analysis.ended in PARTIAL_ENDINGS:
        tell(analysis.ended)
    if fmt == "csv":
        written = export_csv(
            recording, analysis, out_dir, force=force, progress=steps.part(analysed, 1.0)
        )
    else:
        written = [export_edf(recording, analysis, target)]
    steps.done()
    return written
