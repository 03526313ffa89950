"""``breathwise hrv``: HRV with artifact correction from a file of RR intervals.

The analysis is :func:`analysis.hrv_report.analyse_rr`, the same one reports and the live UI
use, and the file is read by :func:`trainer.storage.rr_file.read_rr_file`, the reader of
``breaths --rr`` and ``import`` too. This module only wires the options and prints the result;
every problem with the input is one :class:`trainer.errors.UserError` line naming the file
(and line).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from analysis.hrv_report import analyse_rr, corrections_note
from analysis.rr_artifacts import DEFAULT_PARAMS, ArtifactParams
from trainer import SOFTWARE
from trainer.errors import BadArgument
from trainer.storage.imports.waveforms import check_table_fs
from trainer.storage.rr_file import RRFile, RRTiming, read_rr_file
from trainer.storage.text_files import STREAM_MAX_BYTES, input_name

__all__ = ["RRFile", "RRTiming", "hrv", "read_rr_file", "say_notes", "say_warnings"]


def say_notes(rr: RRFile) -> None:
    """Print what the reading of an RR file did (:attr:`RRFile.notes`) on standard error, each
    ``note: ...`` as ``import`` prints it."""
    for note in rr.notes:
        typer.echo(f"note: {note}", err=True)


def say_warnings(path: Path, warnings: list[str]) -> None:
    """Print each warning on standard error as ``breathwise: warning: FILE: ...``, the one
    form of ``hrv``, ``breaths`` and ``breaths --rr``: the output holds them too, but a run
    whose standard output goes to a file shows them only so (without this, ``hrv`` said
    nothing of 61.7 % of beats corrected, which ``import`` printed; ``breaths --rr`` says it
    too, :func:`analysis.hrv_report.artifact_warning`)."""
    for text in warnings:
        typer.echo(f"breathwise: warning: {path}: {text}", err=True)


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, value))


def _as_csv(result: dict[str, Any], source: Path) -> str:
    """Beat table as CSV, metrics and settings above it as ``# key=value`` comment lines."""
    buf = io.StringIO()
    buf.write(f"# breathwise hrv {source}\n")
    flat: list[tuple[str, Any]] = []
    _flatten("metrics", result["metrics"], flat)
    _flatten("settings", result["settings"], flat)
    for key, value in flat:
        buf.write(f"# {key}={json.dumps(value)}\n")
    for warning in result["warnings"]:
        buf.write(f"# warning: {warning}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["index", "rr_ms", "label"])
    for i, beat in enumerate(result["beats"]):
        writer.writerow([i, repr(beat["rr_ms"]), beat["label"]])
    return buf.getvalue()


def hrv(
    input: Annotated[
        Path,
        typer.Argument(
            help="Text file of RR intervals: one per line, or a table with an rr_ms column, "
            "or an ECG table without one (its R peaks give the intervals); - "
            "reads standard input (a pipe is read whole, at most "
            f"{STREAM_MAX_BYTES // 1024**2} MiB).",
            show_default=False,
            readable=False,
        ),
    ],
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="Unit of the intervals in the file, of a list or of a table's RR column: ms or "
            "s. Default: the unit the column's name states (rr_s: s), else ms. Given, it wins "
            "over the name's, and a note says so.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json: labels, corrected NN series, metrics and settings; "
            "csv: one row per interval with its label, metrics as # comment lines. "
            "Fields: docs/hrv-output.md in the source repository.",
        ),
    ] = "json",
    artifacts: Annotated[
        str,
        typer.Option(
            "--artifacts",
            help="default: Lipponen & Tarvainen 2019 with this tool's guards (a 5 % floor "
            "and 20 % ceiling on the thresholds, rules for ectopic runs and runs of missed "
            "beats; docs/validation/hrv.md in the source repository); published: the paper's "
            "rules alone, to compare with other tools; none: every interval taken as it is "
            "(as pyhrv and most tools take a series). settings.artifacts lists every rule used.",
        ),
    ] = "default",
    fs: Annotated[
        float | None,
        typer.Option(
            "--fs",
            help="Samples per second of an ECG table without a time column (NeuroKit2's ECG, "
            "PPG, RSP at 100 Hz: --fs 100), whose R peaks give the intervals. Refused for any "
            "other file.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Heart-rate variability of an RR-interval file, with artifact correction.

    Ectopic, missed and extra beats are found and corrected (Lipponen & Tarvainen 2019), then
    time-domain (SDNN, RMSSD, pNN50...), frequency-domain (VLF/LF/HF, LF/HF) and coherence
    metrics are computed. The result goes to standard output; its warnings go to standard
    error too, as breaths prints its own, and so does a note of the intervals corrected when
    they are no more than 5 % (over 5 % a warning says it).

    Counts: metrics.n_intervals = RR intervals read; metrics.n_nn_values = values of the
    corrected series nn_ms (split missed beats add some, merged extra beats remove some);
    metrics.time.n_original_nn = uncorrected intervals the time-domain metrics use. Coherence
    is one value over the last 64 s, on our 0-10 scale (the block says so). Every field is
    described in docs/hrv-output.md in the source repository (the docs are not installed).

    An empty line between the intervals of a one-column list is a missing interval, refused
    as 'nan' is. A table's time column (Phone timestamp, timestamp [ms]..., as 'breathwise
    import' reads it) is read for beats lost in a gap, found as import finds them: a warning
    names them, no successive difference is taken across one, and the spectrum is of the
    longest stretch without one, as a session's report takes them.

    A table's RR column is found by the names 'breathwise import' reads (rr_ms, rr, rri, ibi,
    nn..., in seconds rr_s, ibi_s...). Without --unit, values that look like the other unit
    than their column's name states (seconds under rr_ms) are refused: give --unit, or rename
    the column. Intervals outside 200-3000 ms (300-20 beats/min) are
    kept for the correction, with a warning; a file whose median is outside that range is
    refused (a wrong unit), and so is an interval over 63999 ms, the longest a heart-rate
    packet carries; 'import' and 'breaths --rr' apply the same rules.

    An ECG table without an RR or heart-rate column (Polar Sensor Logger's ECG file) gives the
    intervals between its R peaks, as 'breathwise import' takes them; a note says so. One
    without a time column needs its sampling rate, --fs (sample k at k/HZ s).
    """
    if format not in ("json", "csv"):
        raise BadArgument(f"--format must be 'json' or 'csv', not {format!r}")
    if artifacts not in ("default", "published", "none"):
        raise BadArgument(
            f"--artifacts must be 'default', 'published' or 'none', not {artifacts!r}"
        )
    if fs is not None:
        check_table_fs(fs)
    rr = read_rr_file(input, unit, ecg_beats=True, ecg_fs_hz=fs)
    say_notes(rr)
    params = ArtifactParams.published() if artifacts == "published" else DEFAULT_PARAMS
    from trainer.cli.progress_bar import LONG_RR_BEATS, long_work_bar

    # The bar is gone before the result is written: standard output holds the result alone.
    with long_work_bar(
        f"analysing {input_name(input)}", len(rr.values_ms) >= LONG_RR_BEATS
    ) as progress:
        # With a time column that shows lost beats, the beats at its times: no successive
        # difference across a gap, the spectrum on the longest stretch without one (joined,
        # a 40 s hole read LF 2565 ms^2 where the report of the same beats, 1238).
        timing = rr.timing
        gaps = timing is not None and timing.problem is None and bool(timing.gaps)
        result = analyse_rr(
            rr.values_ms,
            params=params,
            correct=artifacts != "none",
            beat_t_s=rr.beat_times_s() if gaps else None,
            progress=progress,
        )
    # Provenance: the numbers depend on the version's methods and defaults.
    result["settings"] = {"software": SOFTWARE, **result["settings"]}
    if rr.beats_from is not None:
        result["settings"]["beats_from"] = rr.beats_from
    for note in rr.warnings()[::-1]:
        result["warnings"].insert(0, note)
    artifacts_found = result["metrics"]["artifacts"]
    if artifacts_found["artifact_pct"] is not None and (
        corrected := corrections_note(artifacts_found["counts"], result["metrics"]["n_intervals"])
    ):
        # Over 5 % a warning says it; under, this note (without this, nothing was said).
        typer.echo(f"note: {corrected}", err=True)
    say_warnings(input, result["warnings"])
    if format == "json":
        typer.echo(json.dumps(result, indent=2, allow_nan=False))
    else:
        typer.echo(_as_csv(result, input), nl=False)
