"""Many recordings at once: one report each plus a CSV summary table, in parallel.

Each recording is independent of the others (docs/reference/design.md: batch analysis is
embarrassingly parallel per recording), so the batch is written against the standard
:class:`concurrent.futures.Executor` interface: a :class:`~concurrent.futures.ProcessPoolExecutor`
on all cores by default, or any other executor - in particular
``dask.distributed.Client(address).get_executor()``, which runs the very same work on a Dask
cluster across machines (the optional ``dask`` extra; the workers need Breathwise installed).

A recording that cannot be read is reported in the table (status ``error`` and the one-line
reason) and skipped; the others go on. Rows are sorted by file name, so the table does not depend
on which worker finished first.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from glob import escape as glob_escape
from pathlib import Path
from types import FrameType
from typing import Any

from trainer import ANALYSIS_REVISION
from trainer.errors import BadArgument, UserError
from trainer.storage.paths import (
    OUTPUT_FOLDER_ADVICE,
    check_writable_dir,
    ensure_private_dir,
    write_csv,
)
from trainer.storage.recording import SUFFIX, FoundRecordings, recordings_under

SUMMARY_NAME = "summary.csv"
PARTIAL_NAME = "summary.partial.csv"
"""The rows of a batch that was stopped before its end (:func:`run_batch`).

Not ``summary.csv`` with a marker: a script, a spreadsheet or the next step of a pipeline
reads ``summary.csv`` as it is, and would take a part for the whole; a name of its own
cannot be. ``summary.csv`` of an earlier whole batch is left as it was, and this file is
removed once a batch writes the whole table."""
STOP_WAIT_S = 30.0
"""How long a stopped batch waits for the recordings being analysed (s), a report of a
long recording included; those not done by then are given up (their workers killed, their
reports removed), so that the command always ends."""
REPEAT_S = 1.0
"""A signal this soon after the stop (s) is the stop itself again, not a second Ctrl+C:
``timeout`` sends its signal to the command and then to the command's process group, which
holds the command too."""
LAST_CALL_S = 5.0
"""How long a stopped pool's workers, their work done, are given to end (s): they end within
milliseconds of their last call; one that has not by then never will, and is killed."""
WORKER_DIED = (
    "not analysed: a worker process of the batch died while this was being analysed (killed "
    "by the system, maybe out of memory)"
)
"""The error of the rows of the recordings lost with a worker process that died (:func:`run_batch`):
the pool cannot tell which of those under way the dead worker had."""
METRIC_COLUMNS: tuple[str, ...] = (
    "start_wall_ns",
    "start_local",
    "duration_s",
    "practised_s",
    "source",
    "program",
    "breaths",
    "median_rate_bpm",
    "mean_ratio",
    "rate_basis",
    "breath_cv",
    "target_rate_bpm",
    "target_ratio",
    "mean_follow_score",
    "follow_basis",
    "beats",
    "hr_start_bpm",
    "mean_hr_bpm",
    "rmssd_ms",
    "sdnn_ms",
    "lf_power_ms2",
    "hf_power_ms2",
    "spectrum_start_s",
    "spectrum_end_s",
    "spectrum_whole",
    "rsa_bpm",
    "coherence",
    "coherence_score",
    "artifact_pct",
    "marks",
    "gaps",
    "gap_s",
    "ended",
)
"""Columns of the summary table after ``file, status, error, report`` (units in the names;
``start_local`` is the start as an ISO 8601 date-time to the second with its UTC offset, in
the time zone of the machine that runs the report, for reading).

What each holds is :meth:`trainer.reports.session_analysis.SessionAnalysis.metrics`; two
kinds are easily misread. ``lf_power_ms2`` and ``hf_power_ms2`` are of the stretch from
``spectrum_start_s`` to ``spectrum_end_s`` (session s), the longest with no gap over 3 s between
beats, which is every beat when ``spectrum_whole`` is True. ``gaps`` and ``gap_s`` are the
sensors' connection gaps (link lost to link back), not stretches without beats: an imported
recording has none, whatever holes its beats have. ``ended`` is how the session ended
(``completed``, ``interrupted``, ``imported``...): ``recording cut short`` (killed) and ``still
being recorded`` (a running session writes it) mark a row of part of a session."""
REVISION_COLUMNS: tuple[str, ...] = (
    "analysis_revision",
    "recorded_analysis_revision",
    "numbers_changed",
)
"""The last columns: which analysis produced a row's numbers (today's,
:data:`trainer.ANALYSIS_REVISION`), which one the session ran (the recording header's
``analysis_revision``; empty for a file from before the field, or an error row), and whether
today's numbers differ from those the session closed with (:attr:`SessionAnalysis.numbers_changed`:
any of them, exactly, also where the report's note, which names what shows differently at
the shown rounding, says nothing), named as a CSV export names them (``STEM.session.csv``)."""
SUMMARY_COLUMNS: tuple[str, ...] = ("file", "status", "error", "report")
SUMMARY_COLUMNS += METRIC_COLUMNS + REVISION_COLUMNS
"""Every column of the summary table, in order (:meth:`BatchRow.csv_row`)."""


@dataclass(frozen=True, slots=True)
class BatchRow:
    """The outcome for one recording.

    Attributes
    ----------
    file : str
        The recording's path from the batch's folder, ``/``-separated: its file name, or
        ``2026-10/session-....bwr`` for one in a subfolder.
    status : str
        ``"ok"`` or ``"error"``.
    error : str
        The one-line reason when ``status`` is ``"error"``.
    report : str
        The report's path from the output folder, ``/``-separated, as :attr:`file` is (empty
        when no report was asked for or on error).
    metrics : dict
        :meth:`SessionAnalysis.metrics` of the session (empty on error).
    note : str
        When today's analysis shows other numbers than the session closed with, the note its
        report carries (:meth:`SessionAnalysis.changed_note`); ``""`` otherwise.
    recorded_revision : int or None
        The recording header's ``analysis_revision`` (None: unknown, or an error row).
    numbers_changed : bool
        Whether any of today's numbers differs from the one the session closed with, exactly
        (:attr:`SessionAnalysis.numbers_changed`): the table's ``numbers_changed``.
    damage : str
        What the reader found damaged in the recording
        (:func:`trainer.storage.recording.damage_text`); ``""`` when nothing.
    """

    file: str
    status: str
    error: str = ""
    report: str = ""
    metrics: dict[str, float | int | str | None] = field(default_factory=dict)
    note: str = ""
    recorded_revision: int | None = None
    numbers_changed: bool = False
    damage: str = ""

    def csv_row(self) -> list[str]:
        """The row as written to the summary table (empty cells for missing values)."""
        values = [
            _start_local(self.metrics.get("start_wall_ns"))
            if name == "start_local"
            else self.metrics.get(name)
            for name in METRIC_COLUMNS
        ]
        ok = self.status == "ok"
        revisions = [
            str(ANALYSIS_REVISION) if ok else "",
            "" if self.recorded_revision is None else str(self.recorded_revision),
            str(self.numbers_changed) if ok else "",
        ]
        return [
            self.file,
            self.status,
            self.error,
            self.report,
            *("" if v is None else str(v) for v in values),
            *revisions,
        ]


def _start_local(start_wall_ns: object) -> str | None:
    """``start_wall_ns`` (Unix ns) as local ``YYYY-MM-DDTHH:MM:SS+HH:MM``; None when there is
    none or the calendar cannot show it (a start far off, from an import's wrong ``--start``).

    The zone is the machine's that runs the report (``TZ``): a recording keeps no zone. Without
    the offset the same table made in UTC and in New York differed in every row with nothing
    to tell which was which; with it each value names the same instant."""
    if not isinstance(start_wall_ns, int):
        return None
    try:
        return datetime.fromtimestamp(start_wall_ns // 1_000_000_000).astimezone().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """All rows (sorted by file), where the table went, and which processes did the work."""

    rows: tuple[BatchRow, ...]
    summary_csv: Path | None
    worker_pids: frozenset[int]

    @property
    def failed(self) -> tuple[BatchRow, ...]:
        """Rows of recordings that could not be analysed."""
        return tuple(row for row in self.rows if row.status != "ok")


@dataclass(frozen=True, slots=True)
class StoppedBatch:
    """What a batch stopped before its end kept (:func:`run_batch`).

    Attributes
    ----------
    done : int
        Recordings analysed (or skipped as unreadable) before it stopped.
    total : int
        Recordings in the batch.
    partial_csv : Path or None
        Where their rows were written (:data:`PARTIAL_NAME`); None when there was no row to
        keep, no output folder, the file could not be written, or every recording was done
        (:attr:`summary_csv`).
    write_error : str
        Why the rows could not be written (a full disk), ``""`` otherwise.
    summary_csv : Path or None
        The whole table (:data:`SUMMARY_NAME`), written when every recording was done before
        the batch stopped (the stop came during the last ones): nothing is left to analyse.
    lost : int
        Of ``done``, the recordings lost with a worker process that died (their rows say so:
        :data:`WORKER_DIED`); a table with such rows is never the whole one.
    """

    done: int
    total: int
    partial_csv: Path | None
    write_error: str
    summary_csv: Path | None = None
    lost: int = 0


def analyse_one(
    path: str, out_dir: str | None, report_suffix: str | None, name: str | None = None
) -> tuple[BatchRow, int]:
    """Analyse one recording and write its report; the unit of work sent to a worker.

    Takes and returns only plain values so any executor can ship it between processes or
    machines. ``name`` is the recording's path from the batch's folder (``/``-separated;
    default: its file name): the row's :attr:`BatchRow.file`, and where its report goes under
    ``out_dir`` (:func:`report_target`; a subfolder of ``out_dir`` is created for it).
    Expected failures (an unreadable recording) become an ``error`` row; so does an unexpected
    one, named by its exception type, so one bad file never stops a batch.

    Returns
    -------
    (BatchRow, int)
        The outcome and the id of the process that did the work.
    """
    from trainer.reports.report import REPORT_SUBJECT, write_report
    from trainer.reports.session_analysis import analyse_recording

    if name is None:
        name = Path(path).name
    try:
        analysis = analyse_recording(path)
        report = ""
        if out_dir is not None and report_suffix is not None:
            target = report_target(Path(name), Path(out_dir), report_suffix)
            try:
                # Level by level: mkdir gives the parents it creates the default mode, not 0700.
                folder = Path(out_dir)
                for part in Path(name).parent.parts:
                    folder = ensure_private_dir(folder / part, advice=OUTPUT_FOLDER_ADVICE)
                write_report(analysis, target)
            except UserError as exc:
                # The output's fault (a full disk, a folder gone read-only), not the
                # recording's: the batch stops, where each recording left was "skipped" with
                # the same error and the batch ended 0.
                raise OutputFailed(exc.user_message()) from None
            report = target.relative_to(out_dir).as_posix()
        row = BatchRow(
            name,
            "ok",
            "",
            report,
            analysis.metrics(),
            analysis.changed_note(REPORT_SUBJECT),
            analysis.analysis_revision,
            analysis.numbers_changed,
            analysis.damage,
        )
    except OutputFailed:
        raise
    except UserError as exc:
        # The row and the "skipped NAME: ..." line name the file already: a message that
        # starts with its full path said it twice ("skipped z.bwr: /data/z.bwr: ...").
        row = BatchRow(name, "error", exc.user_message().removeprefix(f"{path}: "))
    except Exception as exc:
        # A bug met on one odd file must not cost the other 999 their results: report it.
        row = BatchRow(name, "error", f"{type(exc).__name__}: {exc}")
    return row, os.getpid()


class OutputFailed(UserError):
    """A batch's report could not be written where the batch writes (a full disk, a read-only
    folder): it stops the batch, as a fault of the output and not of one recording."""


class WorkerDied(UserError):
    """A worker process of a local pool died (killed by the out-of-memory killer, ``kill -9``):
    the pool is broken, and the batch stops as for :class:`OutputFailed`, the recordings lost
    with it kept as rows that say so (:data:`WORKER_DIED`)."""


def report_target(recording: Path, out_dir: Path, report_suffix: str) -> Path:
    """Where a batch writes the report of ``recording``, its path from the batch's folder:
    ``out_dir/<subfolders>/<stem>.report<suffix>``, the recordings' tree mirrored (two months'
    folders may hold files of one name)."""
    return out_dir / recording.parent / (recording.stem + ".report" + report_suffix)


def batch_name(path: Path, root: Path | None) -> str:
    """``path`` from ``root``, ``/``-separated (:attr:`BatchRow.file`); its file name when
    ``root`` is None or does not hold it."""
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return path.name


def outputs_not_ours(
    paths: Sequence[Path], out_dir: Path, report_suffix: str | None, root: Path | None = None
) -> list[tuple[Path, str]]:
    """What a batch into ``out_dir`` must not replace, and why: of ``summary.csv`` and the
    reports, those that exist and are not such files (:func:`trainer.reports.report.not_ours`:
    a folder, a link, ...). Reports and tables that are there are replaced. ``root`` is the
    batch's folder (:func:`batch_name`)."""
    from trainer.reports.report import not_ours

    targets = [out_dir / SUMMARY_NAME, out_dir / PARTIAL_NAME]
    if report_suffix is not None:
        targets += [
            report_target(Path(batch_name(path, root)), out_dir, report_suffix) for path in paths
        ]
    found = [(target, not_ours(target)) for target in targets]
    return [(target, reason) for target, reason in found if reason]


def find_recordings(directory: Path) -> list[Path]:
    """The ``.bwr`` files in ``directory`` and its subfolders, at any depth, sorted by path
    (:func:`~trainer.storage.recording.recordings_under`; without this, the recordings of
    month folders were passed over without a word). Folders that cannot be listed are left
    out: :func:`find_recordings_under` names them.

    Raises
    ------
    BadArgument
        ``directory`` is not a directory.
    UserError
        It holds no recording.
    """
    return find_recordings_under(directory).files


def find_recordings_under(directory: Path) -> FoundRecordings:
    """:func:`find_recordings`, with the folders that could not be listed.

    Raises
    ------
    BadArgument
        ``directory`` is not a directory.
    UserError
        No recording was found in it (nor any folder that could not be listed, which the
        caller names): a missing input, exit 1 as for ``history --add`` of that folder, not
        a mistake in the command line (exit 2).
    """
    if not directory.is_dir():
        raise BadArgument(f"{directory}: not a directory")
    found = recordings_under(directory)
    if not found.files and not found.unreadable:
        raise UserError(f"{directory}: no {SUFFIX} recordings in this folder or its subfolders")
    return found


def default_workers() -> int:
    """Cores this process may run on (all of them unless an affinity mask says otherwise)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def open_executor(scheduler: str | None = None, jobs: int | None = None) -> Iterator[Executor]:
    """The executor a batch runs on: a Dask cluster at ``scheduler``, else local processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (e.g. ``tcp://10.0.0.5:8786``).
    jobs : int, optional
        Local worker processes; all cores when omitted. Ignored with a scheduler.

    Raises
    ------
    BadArgument
        ``jobs`` below 1, or a scheduler address Dask cannot parse.
    UserError
        Dask is not installed, or the scheduler cannot be reached.
    """
    if scheduler is None:
        if jobs is not None and jobs < 1:
            raise BadArgument(f"--jobs must be at least 1, got {jobs}")
        from trainer.cli.early_signals import as_a_worker

        # Each worker's signal handling set afresh, not the one it forked under (as_a_worker).
        pool = ProcessPoolExecutor(
            max_workers=jobs or default_workers(), initializer=as_a_worker, initargs=(os.getpid(),)
        )
        try:
            yield pool
        except BaseException:
            # Interrupted: the work not started is dropped (the pool's own exit waited for every
            # recording left), and the workers are made to end, in bounded time, whatever the
            # stop left (run_batch ends the pool itself: then this has nothing left to do).
            with _HeldSignals():
                _end_pool(pool, STOP_WAIT_S)
            raise
        pool.shutdown(wait=True)
        return
    try:
        # Imported by name: dask is an optional extra and ships no type information.
        distributed: Any = importlib.import_module("dask.distributed")
    except ImportError:
        raise UserError(
            "--scheduler needs Dask, which is not installed",
            "pip install 'breathwise[dask]' (dask[distributed])",
        ) from None
    if not scheduler.strip():
        # An empty address would make Dask start a local cluster instead of the one meant.
        raise BadArgument("--scheduler needs an address", "e.g. tcp://10.0.0.5:8786")
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except ValueError as exc:
        # Dask parses the address before connecting: no port, an unknown scheme...
        raise BadArgument(
            f"--scheduler {scheduler!r} is not a Dask scheduler address ({exc})",
            "e.g. tcp://10.0.0.5:8786",
        ) from None
    except (OSError, TimeoutError) as exc:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    try:
        yield client.get_executor()
    finally:
        client.close()


def run_batch(
    paths: Sequence[Path],
    out_dir: Path | None,
    *,
    executor: Executor,
    report_suffix: str | None = ".png",
    on_done: Callable[[BatchRow], None] | None = None,
    root: Path | None = None,
    on_stopped: Callable[[StoppedBatch], None] | None = None,
    in_flight: int | None = None,
) -> BatchResult:
    """Analyse every recording on ``executor``; write one report each and the summary table.

    Parameters
    ----------
    paths : sequence of Path
        Recordings to analyse.
    out_dir : Path or None
        Where the reports and ``summary.csv`` go (created); None writes nothing.
    executor : Executor
        Where the work runs (see :func:`open_executor`). A local process pool is shut down
        once the batch is done, its workers ended (as a stopped batch ends them).
    report_suffix : str or None
        ``".png"``, ``".pdf"`` or ``".svg"``; None for the table only.
    on_done : callable, optional
        Called with each row as its recording finishes (drives a progress bar).
    root : Path, optional
        The folder the recordings were found in: each row names its recording, and its report
        sits under ``out_dir``, by the path from there (:func:`batch_name`); by file name alone
        when omitted.
    on_stopped : callable, optional
        Called when the batch stops before its end (an exception out of the executor or of
        ``on_done``, Ctrl+C and the like above all, which is then raised again): what was kept.
        Then the work not started is dropped, the recordings under way are let finish (at most
        :data:`STOP_WAIT_S`; :func:`_stop`), and the rows done, sorted and with the same
        columns as the whole table, are written to ``out_dir/summary.partial.csv``
        (:data:`PARTIAL_NAME`), or to ``summary.csv`` when every recording was done. Called
        too for a signal while the batch ends (its workers ending, the table being written):
        the table is written whole first.
    in_flight : int, optional
        Most recordings handed to ``executor`` at a time: its number of workers for a local
        pool, which queues work it is handed ahead of its workers, where a stop can no longer
        take it back (a pool of 2 went on with 4 recordings, 10 s, after a Ctrl+C: found in
        review). None hands them all at once (a Dask cluster takes back its queued work).
    """
    if report_suffix is not None and report_suffix not in (".png", ".pdf", ".svg"):
        raise BadArgument(f"unknown report format {report_suffix!r}", "use png, pdf or svg")
    out = str(out_dir) if out_dir is not None else None
    if out_dir is not None:
        # Before the work: one line, not a failure per recording.
        check_writable_dir(out_dir, advice=OUTPUT_FOLDER_ADVICE)
    window = len(paths) if in_flight is None else max(1, in_flight)
    waiting = iter(paths)
    futures: dict[Future[tuple[BatchRow, int]], Path] = {}
    running: set[Future[tuple[BatchRow, int]]] = set()
    rows: list[BatchRow] = []
    pids: set[int] = set()
    taken: set[Future[tuple[BatchRow, int]]] = set()
    lost: list[Path] = []
    summary: Path | None = None
    begun_ns = time.time_ns()

    def hand_over() -> None:
        while len(running) < window and not held.noted:
            path = next(waiting, None)
            if path is None:
                return
            future = executor.submit(
                analyse_one, str(path), out, report_suffix, batch_name(path, root)
            )
            futures[future] = path
            running.add(future)

    def stop(stopped_at: float) -> None:
        """No more work is started, and the rows done so far are kept, with those of the
        recordings under way (:func:`_stop`)."""
        left = [f for f in futures if f not in taken]
        unfinished = _stop(executor, left, held, stopped_at)
        rows.extend(f.result()[0] for f in left if f.done() and _succeeded(f))
        # Lost with a worker that died (not one the stop killed, whose futures are unfinished).
        lost.extend(futures[f] for f in left if f not in unfinished and _broken(f))
        rows.extend(BatchRow(batch_name(path, root), "error", WORKER_DIED) for path in lost)
        if out_dir is not None and report_suffix is not None:
            # A report the dead worker was writing left its temporary file; one the others
            # finished has no row to go with it.
            for path in [futures[f] for f in unfinished] + lost:
                name = Path(batch_name(path, root))
                _remove_unfinished(report_target(name, out_dir, report_suffix), begun_ns)
        stopped = _keep(rows, len(paths), out_dir, len(lost))
        if on_stopped is not None:
            on_stopped(stopped)

    # Ctrl+C, SIGTERM and SIGHUP are noted while the batch runs and acted on between its
    # steps, once it has stopped (then raised as their handlers raise them: Interrupted,
    # KeyboardInterrupt). Raised where Python was, one could fall between the handing over of
    # a recording and its noting (which then ran unseen: its report drawn, its row not kept),
    # or a second one (timeout signals the command, then its group) in the stop itself
    # (:class:`_HeldSignals`).
    with _HeldSignals(deliver=True) as held:
        try:
            hand_over()
            while running and not held.noted:
                done, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    running.discard(future)
                    row, pid = future.result()
                    taken.add(future)
                    rows.append(row)
                    pids.add(pid)
                    if on_done is not None:
                        on_done(row)
                hand_over()
        except BrokenProcessPool:
            # A worker killed (the out-of-memory killer, kill -9): every recording handed to
            # the pool and not done is lost, the dead worker's and the others'. Said as what
            # it is, not as a bug of Breathwise (an internal error).
            stop(time.monotonic())
            names = ", ".join(batch_name(path, root) for path in lost)
            raise WorkerDied(
                f"a worker process died while analysing {names or 'a recording'} (killed by the "
                "system, maybe out of memory): the batch stopped",
                "run it again, with fewer --jobs if memory is short",
            ) from None
        except BaseException:
            # An exception out of the executor (a Dask scheduler gone) or of on_done, or
            # Ctrl+C raised by a handler not held here (another thread's batch).
            stop(time.monotonic())
            raise
        if held.noted:
            stop(held.noted[0][0])
        else:
            # The end too: a signal while the workers ended or the table was written, raised
            # there, lost every row or left a whole table said to be cut short (found in
            # review). Noted, the table is written whole and said to be so, as a stop during
            # the last recordings does (_keep).
            rows.sort(key=lambda row: row.file)
            if isinstance(executor, ProcessPoolExecutor):
                _end_pool(executor, LAST_CALL_S)
            if out_dir is not None:
                summary = write_summary(rows, out_dir / SUMMARY_NAME)
                _remove_partial(out_dir / PARTIAL_NAME)
            if held.noted and on_stopped is not None:
                on_stopped(StoppedBatch(len(rows), len(paths), None, "", summary))
    # Here a signal noted has been raised by its handler; one whose handler raises nothing
    # has stopped the batch all the same, which is no success.
    if held.noted:
        raise InterruptedError(f"the batch was stopped by signal {held.noted[0][1]}")
    return BatchResult(tuple(rows), summary, frozenset(pids))


def _succeeded(future: Future[Any]) -> bool:
    """Whether a done future holds a result (not cancelled, no exception)."""
    return not future.cancelled() and future.exception() is None


def _broken(future: Future[Any]) -> bool:
    """Whether a future is done with its pool broken (a worker process died)."""
    return (
        future.done()
        and not future.cancelled()
        and isinstance(future.exception(), BrokenProcessPool)
    )


def _keep(rows: list[BatchRow], total: int, out_dir: Path | None, lost: int = 0) -> StoppedBatch:
    """Write the rows of a stopped batch (sorted in place): the whole table when every one of
    the ``total`` recordings was done (the stop came during the last ones: a partial table of
    every row sent the next step of a pipeline looking for ``summary.csv`` and advised running
    it all again), ``summary.partial.csv`` otherwise, and when ``lost`` of
    the rows are of recordings lost with a worker that died (:data:`WORKER_DIED`): they are
    still to be analysed, and a whole table of the batch before is not to be replaced by them."""
    stopped = StoppedBatch(len(rows), total, None, "", lost=lost)
    if out_dir is None:
        return stopped
    rows.sort(key=lambda row: row.file)
    try:
        if len(rows) == total and not lost:
            stopped = replace(stopped, summary_csv=write_summary(rows, out_dir / SUMMARY_NAME))
            _remove_partial(out_dir / PARTIAL_NAME)
        elif rows:
            stopped = replace(stopped, partial_csv=write_summary(rows, out_dir / PARTIAL_NAME))
        else:
            # An earlier stop's table left beside "nothing kept" would be read as this run's.
            _remove_partial(out_dir / PARTIAL_NAME)
    except UserError as exc:  # a full disk: said, and the interruption goes on
        stopped = replace(stopped, write_error=exc.user_message())
    return stopped


class _HeldSignals:
    """SIGINT, SIGTERM and SIGHUP noted, not acted on, while a batch runs and stops; with
    ``deliver``, the first noted is then passed to the handler found, at the end of the block
    if no exception is on its way out (main thread only; one ignored, as under ``nohup``,
    stays ignored).

    Raised as an exception again inside the stop, a second signal (``timeout`` sends its
    signal to the command and again to its process group) interrupted the wait for the pool's
    manager thread; on Python 3.11 that wait then marks the thread ended though it runs on, the
    interpreter's exit closes the pool's queue before that thread sends its workers their last
    call, and the command hung for good after saying ``breathwise: interrupted`` (found in
    review). :meth:`again` tells the stop of a signal it is to take as a second Ctrl+C.
    """

    def __init__(self, *, deliver: bool = False) -> None:
        self.deliver = deliver
        self.noted: list[tuple[float, int]] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _HeldSignals:
        if threading.current_thread() is threading.main_thread():
            from trainer.cli.early_signals import handled_signals

            for sig in handled_signals():
                self._previous[int(sig)] = signal.signal(sig, self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        previous = self._previous.copy()
        for signum, handler in previous.items():
            if signal.getsignal(signum) == self._note and handler is not None:
                signal.signal(signum, handler)
        self._previous.clear()
        if self.deliver and self.noted and exc[0] is None:
            signum = self.noted[0][1]
            handler = previous.get(signum)
            if callable(handler):
                handler(signum, None)  # Interrupted, KeyboardInterrupt: raised here
            else:
                signal.raise_signal(signum)  # the default action

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.noted.append((time.monotonic(), signum))

    def again(self, since: float) -> bool:
        """Whether a signal came :data:`REPEAT_S` or more after ``since`` (monotonic s)."""
        return any(t - since >= REPEAT_S for t, _ in self.noted)


def _stop(
    executor: Executor,
    left: Sequence[Future[Any]],
    held: _HeldSignals,
    stopped_at: float,
) -> list[Future[Any]]:
    """Stop a batch's executor: the work not started is dropped, and the recordings being
    analysed are let finish, since their reports are being written (a worker killed half-way
    leaves a temporary file); then the pool is ended (:func:`_end_pool`).

    The wait is bounded: :data:`STOP_WAIT_S` after ``stopped_at`` (monotonic s), or a second
    signal (:meth:`_HeldSignals.again`), end it, and the workers of a local pool are then
    killed, the recordings they had left unfinished.

    Returns
    -------
    list of Future
        The futures of ``left`` that did not finish: their reports are to be removed.
    """
    for future in left:
        # Those not yet given to a worker; the pool refuses the others, under way.
        future.cancel()
    if "cancel_futures" not in inspect.signature(executor.shutdown).parameters:
        # Dask's ClientExecutor: told not to wait, it cancels all its work on the cluster.
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
    deadline = stopped_at + STOP_WAIT_S
    unfinished = [f for f in left if not f.done()]
    while unfinished and time.monotonic() < deadline and not held.again(stopped_at):
        wait(unfinished, timeout=0.1)
        unfinished = [f for f in left if not f.done()]
    if isinstance(executor, ProcessPoolExecutor):
        # A broken pool's work is lost: a worker still drawing a report has nothing to give.
        broken = any(_broken(f) for f in left)
        _end_pool(executor, 0.0 if unfinished or broken else LAST_CALL_S)
    elif "cancel_futures" in inspect.signature(executor.shutdown).parameters:
        executor.shutdown(wait=False, cancel_futures=True)
    return unfinished


def _end_pool(pool: ProcessPoolExecutor, wait_s: float) -> None:
    """Shut ``pool`` down without waiting on it, give its workers ``wait_s`` (s) to end, and
    kill those still there: an interpreter that exits with a worker alive waits for it, for
    ever if the worker never has its last call (:class:`_HeldSignals`). Killed, not
    terminated: a worker ignores SIGTERM while the command lives
    (``trainer.cli.early_signals``). Does nothing for a pool already ended."""
    # Private, as the standard library keeps them; Python 3.14 has kill_workers() for this.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + wait_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            with contextlib.suppress(OSError):
                process.kill()
            process.join(1.0)
    if isinstance(manager, threading.Thread):
        # Ends once the workers have: a dead one breaks the pool, which it then winds up.
        manager.join(5.0)


def _remove_unfinished(target: Path, begun_ns: int) -> None:
    """Remove what a worker killed in the middle of ``target`` left: its temporary file, and
    the report itself if it was written by this batch (after ``begun_ns``, Unix ns) with no row
    to go with it."""
    with contextlib.suppress(OSError):
        for temp in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
            temp.unlink()
        if target.is_file() and not target.is_symlink() and target.stat().st_mtime_ns >= begun_ns:
            target.unlink()


def _remove_partial(path: Path) -> None:
    """Remove an earlier interrupted batch's table once the whole one is written: its rows are
    all in the new one, and left beside it, it would be read for today's (a link or a folder of
    its name is not ours, and was refused before the work: :func:`outputs_not_ours`)."""
    from trainer.reports.report import not_ours

    if path.exists() and not not_ours(path):
        with contextlib.suppress(OSError):  # cannot be removed: it names itself partial
            path.unlink()


def write_summary(rows: Sequence[BatchRow], path: Path) -> Path:
    """Write the summary table (one row per recording, header first) as CSV (owner-only).

    Raises
    ------
    UserError
        The file cannot be written (a full disk); an earlier table there is left as it was.
    """
    return write_csv(
        path,
        SUMMARY_COLUMNS,
        (r.csv_row() for r in rows),
    )
