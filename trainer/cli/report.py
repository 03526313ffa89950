"""``breathwise report``: one recording to a report page, or a folder of them in parallel."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainer.errors import BadArgument, UserError

if TYPE_CHECKING:
    from trainer.reports.batch import BatchRow, StoppedBatch

REPORT_SUFFIXES = (".png", ".pdf", ".svg")


def _batch_suffix(fmt: str) -> str:
    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in REPORT_SUFFIXES:
        raise BadArgument(f"--format {fmt!r} is not a report format", "use png, pdf or svg")
    return suffix


def _check_options(
    is_dir: bool,
    output: Path | None,
    fmt: str | None,
    jobs: int | None,
    scheduler: str | None,
    no_reports: bool,
) -> str:
    """The suffix of a folder's reports (``""`` for one file), once the options are checked.

    An option that would do nothing here is refused rather than ignored: the person asked for
    something and would otherwise not get it without a word.

    Raises
    ------
    BadArgument
        A folder-only option for one file; for a folder, a bad ``--format`` or ``--jobs``, an
        ``-o`` named like a report file, or options that contradict each other.
    """
    if not is_dir:
        batch_only = [
            name
            for name, given in (
                ("--format", fmt is not None),
                ("--jobs", jobs is not None),
                ("--scheduler", scheduler is not None),
                ("--table-only", no_reports),
            )
            if given
        ]
        if batch_only:
            names = batch_only[-1]
            if len(batch_only) > 1:
                names = f"{', '.join(batch_only[:-1])} and {names}"
            verb = "applies" if len(batch_only) == 1 else "apply"
            advice = (
                "for one file, the suffix of -o (.png, .pdf or .svg) sets the format"
                if fmt is not None
                else f"drop {'it' if len(batch_only) == 1 else 'them'}"
            )
            raise BadArgument(f"{names} {verb} to a folder of recordings, not to one file", advice)
        return ""
    suffix = _batch_suffix("png" if fmt is None else fmt)
    if jobs is not None and jobs < 1:
        raise BadArgument(f"--jobs must be at least 1, got {jobs}")
    if output is not None and output.suffix.lower() in REPORT_SUFFIXES:
        raise BadArgument(
            f"--output {output} is a report file name, but for a folder of recordings -o is "
            "the folder for the reports and summary.csv",
            "give a folder name (the format of the reports is set by -f)",
        )
    if scheduler is not None and jobs is not None:
        raise BadArgument(
            "--jobs and --scheduler cannot be combined",
            "the Dask cluster's workers do the work; drop --jobs",
        )
    if no_reports and fmt is not None:
        raise BadArgument(
            "--format and --table-only cannot be combined (--table-only draws no reports)",
            "drop one of them",
        )
    return suffix


def report(
    path: Annotated[
        Path,
        typer.Argument(
            help="A recording (.bwr), or a directory of recordings (its subfolders too) for a "
            "batch.",
            readable=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Report file (.png, .pdf or .svg; default: FILE's name with .report.png); for "
            "a directory, the folder for the reports and summary.csv (default: DIR/reports; "
            "the reports of a subfolder's recordings in a subfolder of that name). "
            "Reports and summary.csv already there are replaced; anything else of those names "
            "(a folder, a link) is refused.",
            readable=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="Folder only: format of the reports, png, pdf or svg [png]."
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Folder only: worker processes (default: all cores)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Folder only: run the batch on a Dask cluster at this scheduler address "
            "(needs the 'dask' extra on this machine and the workers).",
        ),
    ] = None,
    no_reports: Annotated[
        bool, typer.Option("--table-only", help="Folder only: write summary.csv, no pages.")
    ] = False,
) -> None:
    """Draw a session report: how well you followed the pacer, your breathing and your heart.

    For one recording, one page (PNG, PDF or SVG) with the breathing over the pacer, breath
    rate and exhale:inhale ratio, heart rate and RSA, follow score, coherence and the HRV
    summary. For a directory, every recording in it and in its subfolders, at any depth, is
    analysed in parallel (one report each plus summary.csv, whose file column names each
    recording from DIR: 2026-10/session-....bwr; its columns: docs/export-formats.md in the
    source repository; the reports of a subfolder's recordings go in a subfolder of that
    name); a file that cannot be read is reported and skipped. Reports and
    summary.csv are drawn again from the recordings, so those already there are replaced (run
    it again after a new session); a folder or link of their names is refused, never replaced.
    Stopped before its end (Ctrl+C, SIGTERM, a report it cannot write: a full disk, or a
    worker process killed: out of memory), a batch starts no more recordings, finishes those
    under way (at most 30 s; those lost with a killed worker get a row saying so) and keeps the
    rows done in summary.partial.csv (summary.csv if every one was done). Exit status for a
    folder: 0 if any recording was analysed; 1 if none could be (summary.csv then holds their
    error rows), the folder has no recording, or a report could not be written or a worker
    was killed; 2 for a usage error; 130/143/129 when stopped. The
    recording is analysed again by today's analysis: when its numbers differ from those the
    session closed with, a note on standard error and one on the page say which, and why.

    Examples: breathwise report session.bwr -o session.pdf;
    breathwise report study/ -o study/reports --jobs 8
    """
    from trainer.storage.paths import unreachable

    why = unreachable(path)
    if why is not None:
        # A link loop: not "no such file", which sent the person looking for a missing one.
        raise UserError(f"{path}: {why}")
    if not path.exists():
        # Before the options: a missing path is neither a file nor a folder, and "--jobs
        # applies to a folder of recordings, not to one file" sent the person after the wrong
        # mistake.
        raise UserError(f"{path}: no such file or folder")
    suffix = _check_options(path.is_dir(), output, fmt, jobs, scheduler, no_reports)
    if path.is_dir():
        _batch(path, output, suffix, jobs, scheduler, no_reports)
        return
    if output is None and path.is_fifo():
        # Beside the recording, it went to /dev/fd/63.report.png.
        raise UserError(
            f"{path}: a pipe, with no folder beside it for the report",
            "say where the report goes with -o",
        )
    from trainer.reports.report import report_recording
    from trainer.storage.paths import refuse_output_over_input
    from trainer.storage.recording import STILL_RECORDING_NOTE, being_written

    refuse_output_over_input(output, path)

    if being_written(path):
        # Its page says "still being recorded" where a killed session's says "cut short".
        print(
            f"note: {path} is {STILL_RECORDING_NOTE}; showing what it holds so far",
            file=sys.stderr,
        )
    from trainer.cli.progress_bar import long_work_bar, recording_is_long

    # The page carries the note too, above its numbers (trainer.reports.report); said while
    # the bar runs, it goes above the bar.
    with long_work_bar(f"analysing {path.name}", recording_is_long(path)) as progress:
        written = report_recording(path, output, tell=_note, progress=progress)
    print(f"report written: {written}", file=sys.stderr)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _batch(
    directory: Path,
    output: Path | None,
    suffix: str,
    jobs: int | None,
    scheduler: str | None,
    no_reports: bool,
) -> None:
    from rich.console import Console

    from trainer.cli.progress_bar import BatchLog, batch_progress, stderr_is_terminal
    from trainer.reports.batch import (
        default_workers,
        find_recordings_under,
        open_executor,
        outputs_not_ours,
        run_batch,
    )
    from trainer.reports.report import NOT_OURS_ADVICE
    from trainer.storage.paths import OUTPUT_FOLDER_ADVICE, check_output_path, check_writable_dir

    if output is not None:
        check_output_path(output, "a folder of reports", f"{directory.name or 'study'}-reports")
    found = find_recordings_under(directory)
    paths = found.files
    for folder, why in found.unreadable:
        print(f"skipped {folder}: cannot read this folder ({why})", file=sys.stderr)
    if not paths:
        raise UserError(f"{directory}: no recording could be read", "see the notes above")
    out_dir = output if output is not None else directory / "reports"
    if out_dir.exists() and not out_dir.is_dir():
        # Named for where the folder came from: with no -o typed, "--output X" sent the person
        # looking for an option they never gave.
        if output is None:
            raise UserError(
                f"the reports folder {out_dir} (the default for a folder) is a file, not a folder",
                f"move or rename that file, or {OUTPUT_FOLDER_ADVICE}",
            )
        raise BadArgument(
            f"--output {out_dir} is a file: for a folder of recordings, -o names the folder the "
            "reports go in",
            OUTPUT_FOLDER_ADVICE,
        )
    # Reports and the table already there are replaced (drawn again from the recordings);
    # anything else of their names is refused before any work.
    blocked = outputs_not_ours(paths, out_dir, None if no_reports else suffix, directory)
    if blocked:
        names = ", ".join(f"{p.name}: {why}" for p, why in blocked[:3])
        more = " ..." if len(blocked) > 3 else ""
        raise UserError(
            f"{out_dir}: {len(blocked)} of the files this would write "
            f"{'is' if len(blocked) == 1 else 'are'} there as something else, not replaced "
            f"({names}{more})",
            NOT_OURS_ADVICE,
        )
    console = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        executor = stack.enter_context(open_executor(scheduler, jobs))
        # After the scheduler is known good, before the progress bar and the work.
        check_writable_dir(out_dir, advice=OUTPUT_FOLDER_ADVICE)
        # On a terminal the bar; in a log (a cron job, a cluster's output file), where the bar
        # drew nothing until the end, a plain line now and then (BatchLog).
        if stderr_is_terminal():
            bar = stack.enter_context(batch_progress(console))
            task = bar.add_task("analysing", total=len(paths))
            console = bar.console

            def advance(row: BatchRow) -> None:
                bar.advance(task)

        else:
            log = BatchLog(len(paths), _note)

            def advance(row: BatchRow) -> None:
                log.advance(row.status != "ok")

        def done(row: BatchRow) -> None:
            if row.status != "ok":
                # Not markup: a file named "[red]a.bwr" lost its "[red]" (and an error quoting
                # "[/...]" would raise). One line: off a terminal Rich wraps at 80 columns, which
                # put a long path on a line of its own in a log.
                console.print(f"skipped {row.file}: {row.error}", markup=False, soft_wrap=True)
            else:
                for what in _row_notes(row):
                    # As one file's report says it; whole (no wrapping, no markup) for a log.
                    console.print(
                        f"note: {row.file}: {what}", soft_wrap=True, markup=False, highlight=False
                    )
            advance(row)

        def stopped(what: StoppedBatch) -> None:
            # Said before "breathwise: interrupted" (trainer.cli.app), while stderr is there.
            with contextlib.suppress(OSError, ValueError):  # a hang-up: the terminal is gone
                console.print(_stopped_words(what), markup=False, soft_wrap=True, highlight=False)

        result = run_batch(
            paths,
            out_dir,
            executor=executor,
            report_suffix=None if no_reports else suffix,
            on_done=done,
            root=directory,
            on_stopped=stopped,
            # A local pool queues work ahead of its workers, where a stop cannot take it back.
            in_flight=None if scheduler is not None else jobs or default_workers(),
        )
    ok = len(result.rows) - len(result.failed)
    print(
        f"{ok} of {len(result.rows)} recordings analysed, {len(result.failed)} skipped; "
        f"summary: {result.summary_csv}",
        file=sys.stderr,
    )
    if ok == 0:
        # As `history --add DIR`: a batch of nothing but error rows is no success for the next
        # step of a pipeline (`report study -o out && next-step`), which went on with exit 0.
        raise UserError(
            f"none of the {len(result.rows)} recordings could be analysed", "see the notes above"
        )


def _row_notes(row: BatchRow) -> list[str]:
    """What the batch says of an analysed recording on stderr, as one file's report does: that
    it holds part of a session (its ``ended`` column says which), that it is damaged, and that
    its numbers changed."""
    from trainer.storage.recording import PARTIAL_ENDINGS

    notes = []
    ended = row.metrics.get("ended")
    if ended in PARTIAL_ENDINGS:
        notes.append(f"{ended}: its row is of what it holds so far")
    if row.damage:
        notes.append(f"damaged: {row.damage}; its row may not be what the session recorded")
    if row.note:
        notes.append(row.note.removeprefix("note: "))
    return notes


def _stopped_words(what: StoppedBatch) -> str:
    """What a batch stopped before its end kept, and how to finish it: one line for stderr."""
    if what.summary_csv is not None:
        return (
            f"all {what.total} recordings were analysed before the stop; summary: "
            f"{what.summary_csv}"
        )
    if what.partial_csv is not None:
        # The rows of recordings lost with a worker that died are kept, but not analysed.
        kept = (
            f"kept the rows of {what.done} of the {what.total} recordings ({what.lost} lost "
            "with a worker process that died: their rows say so)"
            if what.lost
            else f"kept the {what.done} of {what.total} recordings analysed before the stop"
        )
        return (
            f"{kept} in {what.partial_csv} (not the whole table, which is summary.csv); run the "
            "same command again to analyse them all"
        )
    if what.write_error:
        return (
            f"the {what.done} of {what.total} recordings analysed before the stop could not "
            f"be kept: {what.write_error}"
        )
    return f"none of the {what.total} recordings was analysed before the stop: nothing kept"
