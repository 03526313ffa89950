"""``breathwise report``: one recording to a report page, or a folder of them in parallel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from trainer.errors import BadArgument

REPORT_SUFFIXES = (".png", ".pdf", ".svg")


def _batch_suffix(fmt: str) -> str:
    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in REPORT_SUFFIXES:
        raise BadArgument(f"--format {fmt!r} is not a report format", "use png, pdf or svg")
    return suffix


def report(
    path: Annotated[
        Path,
        typer.Argument(help="A recording (.bwr), or a directory of recordings for a batch."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Report file (.png, .pdf or .svg); for a directory, the folder for the reports "
            "and summary.csv (default: DIR/reports).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Batch report format: png, pdf or svg.")
    ] = "png",
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Batch worker processes (default: all cores)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run the batch on a Dask cluster at this scheduler address "
            "(needs the 'dask' extra on this machine and the workers).",
        ),
    ] = None,
    no_reports: Annotated[
        bool, typer.Option("--table-only", help="Batch: write summary.csv only, no pages.")
    ] = False,
) -> None:
    """Draw a session report: how well you followed the pacer, your breathing and your heart.

    For one recording, one page (PNG, PDF or SVG) with the breathing over the pacer, breath
    rate and exhale:inhale ratio, heart rate and RSA, follow score, coherence and the HRV
    summary. For a directory, every recording in it is analysed in parallel (one report each
    plus summary.csv); a file that cannot be read is reported and skipped.

    Examples: breathwise report session.bwr -o session.pdf;
    breathwise report study/ -o study/reports --jobs 8
    """
    if path.is_dir():
        _batch(path, output, _batch_suffix(fmt), jobs, scheduler, no_reports)
        return
    from trainer.report import report_recording

    written = report_recording(path, output)
    print(f"report written: {written}", file=sys.stderr)


def _batch(
    directory: Path,
    output: Path | None,
    suffix: str,
    jobs: int | None,
    scheduler: str | None,
    no_reports: bool,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from trainer.batch import BatchRow, find_recordings, open_executor, run_batch

    paths = find_recordings(directory)
    out_dir = output if output is not None else directory / "reports"
    if out_dir.exists() and not out_dir.is_dir():
        raise BadArgument(f"--output {out_dir} is not a directory")
    console = Console(stderr=True)
    with (
        open_executor(scheduler, jobs) as executor,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task("analysing", total=len(paths))

        def done(row: BatchRow) -> None:
            bar.advance(task)
            if row.status != "ok":
                bar.console.print(f"skipped {row.file}: {row.error}")

        result = run_batch(
            paths,
            out_dir,
            executor=executor,
            report_suffix=None if no_reports else suffix,
            on_done=done,
        )
    ok = len(result.rows) - len(result.failed)
    print(
        f"{ok} of {len(result.rows)} recordings analysed, {len(result.failed)} skipped; "
        f"summary: {result.summary_csv}",
        file=sys.stderr,
    )
