"""``breathwise export`` and ``breathwise import``: data in the formats other tools read."""

from __future__ import annotations

import sys
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from trainer.cli.early_signals import INTERRUPTIONS
from trainer.errors import BadArgument, UserError


def export(
    file: Annotated[Path, typer.Argument(help="A recording (.bwr).", readable=False)],
    format: Annotated[  # the name callers pass, as the option is --format
        str, typer.Option("--format", "-f", help="csv (one file per stream) or edf (EDF+).")
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="csv: a directory (default: beside the recording); edf: the file "
            "(default: FILE with .edf).",
            readable=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace export files that already exist (never by default)."),
    ] = False,
) -> None:
    """Export a session for other tools: CSV per stream, or EDF+ with annotations.

    CSV: belt signal, beats (RR), breaths, pacer phases and events, plus ECG and accelerometer
    when recorded, and STEM.session.csv: the start, the length, the sensor, the settings, the
    streams' rates and units, and how an import's beats were placed. The breaths are those the
    session showed and scored, with the numbers it printed (replay prints them again); the
    column counted marks those the session's median rate and mean ratio are of, so their median
    is the one in the summary and the history. EDF+: the belt, pacer target, heart rate (and
    ECG/ACC) as signals, with every beat, breath, pacer phase, gap and mark as an annotation,
    and how the session ended; its time 0 is the start's whole second (whole seconds earlier
    for an import whose beats precede its start), so its times are the CSV's t_s plus the
    onset of its annotation 'session start (CSV t_s 0)'. The session's corrected beats: run
    'breathwise hrv STEM.beats.csv --format csv', which labels each beat as the session's heart
    numbers did (ectopic, missed, extra, long, short). Every file's columns, units and meaning:
    docs/export-formats.md in the source repository. A file that already exists is not replaced
    unless --force is given. 'breathwise import' takes back the beats, ECG and accelerometer
    files of a CSV export, not the belt, breaths or pacer: keep the recording to keep the
    session whole.

    Example: breathwise export session.bwr --format edf -o session.edf
    """
    from trainer.cli.progress_bar import long_work_bar, recording_is_long
    from trainer.reports.session_analysis import analyses_made
    from trainer.storage.export import export_recording
    from trainer.storage.paths import refuse_output_over_input

    refuse_output_over_input(output, file)
    with (
        analyses_made() as analysed,
        long_work_bar(f"exporting {file.name}", recording_is_long(file)) as progress,
    ):
        written = export_recording(
            file, format, output, force=force, progress=progress, tell=_note_partial
        )
    for analysis in analysed[:1]:
        # As replay and report say them: the files hold today's numbers of these bytes, and
        # nothing in them says that those differ from what the session showed.
        notes = (
            analysis.damage_note(),
            analysis.changed_note(EXPORT_SUBJECT),
            analysis.ecg_note(),
        )
        for note in notes:
            if note:
                print(note, file=sys.stderr)
    for path in written:
        print(f"written: {path}", file=sys.stderr)


EXPORT_SUBJECT = "this export"
"""What the note of :meth:`SessionAnalysis.changed_note` calls an export."""


def _note_partial(ended: str) -> None:
    # As replay and report say it: an export of part of a session is to be known as one (a CSV
    # export's session.csv says it too, in its field ended).
    from trainer.storage.recording import STILL_RECORDING

    what = (
        "is still being recorded by a running session"
        if ended == STILL_RECORDING
        else "was cut short (session killed?)"
    )
    print(f"note: the recording {what}; the export holds what it holds so far", file=sys.stderr)


def _start(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadArgument(
            f"--start {text!r} is not a date and time", "use e.g. 2026-03-01T07:30"
        ) from None
    from trainer.storage.imports.start_time import implausible_start, local_start_ns

    try:
        start_ns, note = local_start_ns(moment, text)
    except (ValueError, OverflowError, OSError):  # year 1: before the local clock can count
        raise BadArgument(
            f"--start {text!r} is before 2000", "give the local date and time the session began"
        ) from None
    # A typo'd year would make a recording the history cannot store (or a PMD frame hold).
    if (reason := implausible_start(start_ns)) is not None:
        raise BadArgument(f"--start {reason}", "give the local date and time the session began")
    if note is not None:
        print(f"note: {note}", file=sys.stderr)
    return start_ns


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="An RR list, a Polar-style CSV export or a table of samples (give --fs); - "
            "reads standard input (then give -o, and --start unless the file has its own "
            "clock: a pipe has no file time).",
            readable=False,
        ),
    ],
    kind: Annotated[
        str,
        typer.Option("--kind", "-k", help="rr (one interval per line), polar (CSV table) or auto."),
    ] = "auto",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Recording to create, a name ending in .bwr (default: FILE with .bwr).",
            readable=False,
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="When the session started (local time, e.g. 2026-03-01T07:30, from 2000 to "
            "now) if the file does not say; default: the file's time minus its length (none "
            "for a pipe), or "
            "for a Breathwise CSV export the start in its STEM.session.csv (the import still "
            "counts as that session in the history). Given for a file with its own clock, it "
            "moves the session there, with a note.",
        ),
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Add the recording to your history, as a session is when it ends.",
        ),
    ] = True,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="Unit of the RR intervals, of a list or of a table's RR column: ms or s, as "
            "for 'breathwise hrv'. Default: the unit a header's name states (rr_s: s); else for "
            "a list s when their median is below 10, for a table ms (a note says which). "
            "Given, it wins over the name's, and a note says so.",
        ),
    ] = None,
    fs: Annotated[
        float | None,
        typer.Option(
            "--fs",
            help="Samples per second of a table without a time column (NeuroKit2's ECG, PPG, "
            "RSP at 100 Hz: --fs 100): row k is at k/HZ s. Refused for a file with its own "
            "times or of RR intervals; never guessed from the file's name.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import an RR list, a Polar-style CSV (RR/ECG/ACC) or a table of samples as a recording.

    The values are encoded as the sensor's own notifications, so replay, report, history and
    export work on the result like on any session. A CSV's beats are the running sum of its
    RR, moved onto the R peaks of its own ECG when it has one (or left at the logger's least
    delay, with the reason). An RR list whose median is below 10 is read as seconds (--unit
    says which), and a note says so. RR are stored in the strap's 1/1024 s: an RR list's
    beats within 0.49 ms of its running sum; a table's intervals each rounded to the nearest
    1/1024 s (a logger's milliseconds came from those), so its beats can move a few ms from
    the table's running sum. A note says how far intervals and beats moved (pNN50 in report
    and history can then differ from 'hrv' on the file). A CSV's RR column has a name
    'hrv' reads too (rr_ms, rr, rri, ibi, nn..., in seconds rr_s, ibi_s...); a table with
    one but no time column is imported as an RR list of that column. Without --unit, values
    that look like the other unit than their column's name states (seconds under rr_ms) are
    refused, as by 'hrv': give --unit, or rename the column. RR intervals
    outside 200-3000 ms (300-20 beats/min) are kept for the artifact correction; a file whose
    median is outside is refused (a wrong unit), and so is an interval over 63999 ms, the
    longest a heart-rate packet carries: the rules of 'hrv' and 'breaths --rr'. A malformed
    file is refused with the line at fault.

    A table of samples without a time column (NeuroKit2's bio_*_100hz.csv: ECG, PPG, RSP)
    needs --fs, its rate: sample k is at k/HZ s. Its ECG (ECG, ecg_mV...; a bare ECG is
    read in the unit its values' span gives, mV for NeuroKit2's, and a note says so) becomes
    the sensor's ECG stream, with beats from its R peaks; its respiration column (RSP, Resp,
    belt...) the belt stream, brought to 20 Hz as the bundled sample's (decimate, zero phase)
    and kept in the file's unit; the header says which. A table with a time column takes a
    respiration column the same way when its rows are evenly timed. Columns no stream holds
    (PPG, EDA, Photosensor, a row index) are named in a note. The recording is added to your history
    (--no-history: not), by the rules of 'history --add': a re-import of a Breathwise CSV
    export of a session the history holds is not counted twice.

    Examples: breathwise import rr.txt -o morning.bwr;
    breathwise import bio_resting_5min_100hz.csv --fs 100
    """
    from trainer.cli.hrv import say_warnings
    from trainer.cli.progress_bar import import_is_long, long_work_bar
    from trainer.storage.imports.import_file import import_recording
    from trainer.storage.text_files import input_name

    start_wall_ns = _start(start)
    with long_work_bar(f"importing {input_name(file)}", import_is_long(file)) as progress:
        result = import_recording(
            file,
            kind.lower(),
            output,
            start_wall_ns=start_wall_ns,
            unit=unit,
            fs_hz=fs,
            progress=progress,
        )
    print(f"recording written: {result.path}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    # Named by its file, as hrv's and breaths' are: a batch's shared log is grepped by it.
    say_warnings(file, list(result.warnings))
    if history:
        _add_to_history(result.path)
    else:
        _keep_out_of_history(result.path)


def _keep_out_of_history(path: Path) -> None:
    """Tell the history that ``path`` is kept out of it on purpose
    (:func:`trainer.storage.history.keep_out`), so that a ``live`` start does not name it as a
    session killed before it could add itself. Only bookkeeping for a note:
    a history that cannot be written (busy, damaged, read-only) is left as it is, unsaid, and
    the import stands."""
    from trainer.storage.history import KEPT_OUT_IMPORT, SESSION_END_TIMEOUT_MS, keep_out

    with suppress(UserError, OSError, ValueError):  # Recording- and HistoryError: UserErrors
        keep_out(path, KEPT_OUT_IMPORT, timeout_ms=SESSION_END_TIMEOUT_MS)


def _add_to_history(path: Path) -> None:
    """Add an imported recording to the history as ``history --add`` does, saying what became
    of it; a failure is a note, never an error: the recording is written either way.

    Without this, ``import`` left its recording out of the history, which the user guide
    (docs/guide/history-and-reports.md) says treats an import "like any session", with
    nothing saying so.
    """
    from trainer.cli.history import replaced_note
    from trainer.cli.progress_bar import long_work_bar, recording_is_long
    from trainer.storage.history import ExportOfHeldSession, add_command, add_recording

    try:
        with long_work_bar(f"adding {path.name} to the history", recording_is_long(path)) as bar:
            stored = add_recording(path, progress=bar)
    except ExportOfHeldSession as exc:  # the history's rule, nobody's fault
        print(f"note: not added to the history: {exc.user_message()}", file=sys.stderr)
    except INTERRUPTIONS:
        # Where a long import's Ctrl+C lands: the recording is kept, and the same import again
        # is refused (the file exists), so say how to add it.
        with suppress(OSError, ValueError):
            print(
                f"note: not added to the history: interrupted; add it later with: "
                f"{add_command(path)}",
                file=sys.stderr,
            )
        raise
    except Exception as exc:  # a failure here must not hide that the recording was written
        problem = (
            exc.user_message() if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        )
        print(
            f"note: not added to the history: {problem}; add it later with: {add_command(path)}",
            file=sys.stderr,
        )
    else:
        minutes = f"{stored.row.practised_min:.1f} min"
        # Imported again to the same name (the file deleted first): not a session more.
        said = (
            f"already in your history: its row refreshed ({minutes})"
            if stored.refreshed
            else f"added to your history ({minutes}){replaced_note(stored)}"
        )
        print(said, file=sys.stderr)
        if stored.changed_note:
            print(stored.changed_note, file=sys.stderr)
