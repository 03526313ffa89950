"""Import a file as a new recording: the entry point of ``breathwise import``.

:func:`import_recording` checks the arguments and the output's name, chooses the reader by the
file's first lines (:mod:`~trainer.storage.imports.sniff`) and by a Breathwise export's sidecar
beside it (:mod:`~trainer.storage.imports.export_sidecar`), has the reader build the session
(an RR list or table of intervals, :mod:`~trainer.storage.imports.rr_list`; a Polar-style CSV,
:mod:`~trainer.storage.imports.polar_csv`; an export's beats,
:mod:`~trainer.storage.imports.export_beats`), writes it as a recording, and returns it with
the notes and warnings to show (:class:`ImportResult`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.hrv_report import artifact_warning
from analysis.progress import ProgressCallback, ProgressSteps
from analysis.rr_artifacts import correct_rr
from devices.heart_rate import decode_heart_rate_measurement
from devices.packets import RawPacket, Stream
from trainer.errors import BadArgument, UserError
from trainer.storage.imports.export_beats import import_export_beats
from trainer.storage.imports.export_sidecar import export_without_sidecar, read_export_session
from trainer.storage.imports.polar_csv import import_polar_csv
from trainer.storage.imports.rr_checks import check_rr_unit
from trainer.storage.imports.rr_list import import_rr_list, import_rr_table
from trainer.storage.imports.session import ImportFileError
from trainer.storage.imports.sniff import kind_of, read_head, untimed_rr_table
from trainer.storage.imports.start_time import implausible_start
from trainer.storage.imports.waveforms import check_table_fs
from trainer.storage.paths import check_output_path
from trainer.storage.recording import SUFFIX, Item, looks_like_recording, write_recording
from trainer.storage.text_files import input_name, is_stream, pipe_words

KINDS = ("auto", "rr", "polar")
"""What ``-k/--kind`` names: the reader by the file's first lines, an RR list, or a table."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A recording written by :func:`import_recording` and what to tell the person about it.

    Attributes
    ----------
    path : Path
        The recording written.
    warnings : tuple of str
        Problems with the data that do not stop the import (many corrected beats).
    notes : tuple of str
        What the import did that the person may want to know (beats moved onto the ECG's R
        peaks, or why not: :func:`~trainer.storage.imports.ecg_beats.beat_timing_note`; a
        sensor column too sparse to import).
    """

    path: Path
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def beat_warnings(items: Sequence[Item]) -> tuple[str, ...]:
    """Warnings about the beats a session's items carry: too many corrected as artifacts.

    The RR intervals are decoded from the Heart Rate Measurement packets exactly as the
    pipeline decodes them, and corrected as the report corrects them
    (:func:`analysis.rr_artifacts.correct_rr`), so the share named is the report's "Beats
    corrected"; the wording is :func:`analysis.hrv_report.artifact_warning`, the one the
    ``hrv`` command and the report use.

    Parameters
    ----------
    items : sequence of Item
        A session's items (packets of any stream, pacer changes...).

    Returns
    -------
    tuple of str
        Empty when there are fewer than two beats or few were corrected.
    """
    rr = [
        ms
        for item in items
        if isinstance(item, RawPacket) and item.stream == Stream.HEART_RATE
        for ms in decode_heart_rate_measurement(item.payload).rr_ms
    ]
    if len(rr) < 2:
        return ()
    correction = correct_rr(np.asarray(rr, dtype=np.float64))
    warning = artifact_warning(int(np.count_nonzero(correction.codes)), len(rr))
    return () if warning is None else (warning,)


def check_recording_name(output: Path, default_name: str) -> None:
    """Refuse an ``-o`` whose name does not end in ``.bwr``, before any work.

    A recording written as ``morning.csv`` or ``a.txt`` is a recording all the same, but
    ``report DIR`` and ``history --add DIR`` look for ``*.bwr`` (:data:`SUFFIX`) and would pass
    it by unseen; so it is refused, as the other writers' ``-o`` are checked for their endings
    (``report``: .png, .pdf or .svg; ``export -f edf``: .edf).

    Parameters
    ----------
    output : Path
        The recording to create, as ``-o`` gave it.
    default_name : str
        The default recording's name, for the advice when ``output`` is a folder.

    Raises
    ------
    trainer.errors.BadArgument
        ``output``'s name does not end in ``.bwr``.
    """
    if output.suffix == SUFFIX:
        return
    # "-o folder" (an existing one) most likely meant the recording inside it.
    example = output / default_name if output.is_dir() else output.with_suffix(SUFFIX)
    raise BadArgument(
        f"-o {output}: a recording's name ends in {SUFFIX} (report and history --add of a "
        "folder find it by that ending)",
        f"for example -o {example}",
    )


def import_recording(
    path: Path,
    kind: str = "auto",
    output: Path | None = None,
    *,
    start_wall_ns: int | None = None,
    unit: str | None = None,
    fs_hz: float | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import ``path`` as a new recording; return it with any warning about its data.

    Parameters
    ----------
    path : Path
        An RR list or a Polar-style CSV (optionally ``.gz``).
    kind : str
        ``"rr"``, ``"polar"`` or ``"auto"`` (see
        :func:`~trainer.storage.imports.sniff.detect_kind`).
    output : Path, optional
        The recording to create (default ``<stem>.bwr`` beside the input); never overwritten.
        Its folder must exist (:func:`trainer.storage.paths.check_output_path`).
    start_wall_ns : int, optional
        Session start (Unix ns) when the file carries no absolute time; for a file of a
        Breathwise CSV export, the start its ``<stem>.session.csv`` gives by default
        (:func:`~trainer.storage.imports.export_sidecar.read_export_session`).
    unit : {"ms", "s"}, optional
        ``--unit``: the unit of the RR values, of a list or of a table's RR column, whatever
        a header names (with a note); by default a header's, else for a list from their median
        (:func:`~trainer.storage.imports.rr_list.read_rr_list`), for a table's column without a
        unit in its name milliseconds (:func:`~trainer.storage.rr_values.column_unit`). Refused
        for a table without an RR column.
    fs_hz : float, optional
        ``--fs``: the sampling rate, Hz, of a table of samples without a time column
        (:func:`~trainer.storage.imports.polar_csv.import_polar_csv`); refused for any other
        file (:func:`~trainer.storage.imports.waveforms.check_table_fs`).
    progress : callable, optional
        Told the fraction done (:mod:`analysis.progress`): a Polar-style CSV's rows as they are
        read, then the recording written; the other kinds are read at once.
    """
    if kind not in KINDS:
        raise BadArgument(f"-k/--kind must be 'rr', 'polar' or 'auto', not {kind!r}")
    check_rr_unit(unit)
    if fs_hz is not None:
        check_table_fs(fs_hz)
    if output is None and is_stream(path):
        # Beside the input, it went to /dev/fd/63.bwr, or to "-.bwr" for standard input.
        raise BadArgument(
            f"{path}: {pipe_words(path)}, with no name or folder for the recording",
            "name it with -o (e.g. -o morning.bwr)",
        )
    default = path.with_name(path.name.split(".")[0] + SUFFIX)
    if output is not None:
        check_output_path(output, "a recording", default.name)
        check_recording_name(output, default.name)
    # A recording's JSON header line would otherwise be read as a CSV header and quoted whole.
    head = read_head(path)
    if looks_like_recording(head):
        raise ImportFileError(
            f"{path}: this is already a Breathwise recording",
            # replay, report and history --add read files, not a pipe: advice to run them on
            # the pipe would fail again.
            "save it to a file, then replay, report or history --add the file"
            if is_stream(path)
            else "replay, report or history --add it",
        )
    auto = kind == "auto"
    if auto:
        # With --fs, a table of samples, even of one column ("RSP" over its values), which
        # kind_of takes for a list: an RR list needs no rate.
        kind = "polar" if fs_hz is not None else kind_of(head)
    steps = ProgressSteps(progress)
    start_given = start_wall_ns is not None
    try:
        exported = read_export_session(path)
    except ImportFileError:
        if not start_given:
            raise
        # As the advice says: with --start, a session of its own, its sidecar left aside.
        exported = None
    if exported is None and not start_given and export_without_sidecar(path, head):
        stem = path.name[: path.name.lower().rfind(".beats.csv")]
        raise ImportFileError(
            f"{path}: a Breathwise CSV export without its {stem}.session.csv (Breathwise wrote "
            "none before December 2026), so the session's start is not in it",
            "give it with --start, to the second (its recording's name, "
            "session-YYYYMMDD-HHMMSS.bwr, holds it; 'breathwise history --format csv' lists it "
            "as start_local); if the history holds that session, this import counts its "
            "practice twice: 'history --add' its recording instead",
        )
    if exported is not None and not start_given:
        # As any start found in a file (check_derived_start): a wrong one would become a
        # recording the history cannot store, or a session in 1970 (a sidecar's start of 0, of
        # 2100 or of 1e23 ns, the last one a traceback).
        reason = implausible_start(exported.start_wall_ns)
        if reason is not None:
            raise ImportFileError(
                f"{exported.sidecar}: the session's start it gives, {reason}",
                "give the real start with --start",
            )
        start_wall_ns = exported.start_wall_ns
    if fs_hz is not None and exported is not None:
        raise BadArgument(
            f"--fs {fs_hz:g}: {path} is a Breathwise CSV export, timed by its t_s column",
            "leave --fs out",
        )
    our_beats = (
        exported.stream == "beats" if exported is not None else export_without_sidecar(path, head)
    )
    if our_beats and start_wall_ns is not None:
        # Our own beat times, not a logger's rows: given back, not scheduled like a strap's;
        # an older export without its sidecar too, given its --start (scheduled like a strap's,
        # every beat would come back 2.1 s early, the first before the start).
        imported = import_export_beats(path, start_wall_ns=start_wall_ns, unit=unit)
    elif (
        exported is None and fs_hz is None and (kind == "polar" or auto) and untimed_rr_table(head)
    ):
        # Before the list: a table whose cells blanks separate looks like a list to kind_of.
        # With --fs, a table of samples that has an RR column too (ECG, RR on beat rows) is
        # read as one (parse_polar_text refuses --fs for a table of intervals alone).
        imported = import_rr_table(path, start_wall_ns=start_wall_ns, unit=unit)
    elif kind == "rr":
        if fs_hz is not None:
            raise BadArgument(
                f"--fs {fs_hz:g}: {path} is read as an RR list, whose intervals need no rate",
                "leave --fs out",
            )
        imported = import_rr_list(path, start_wall_ns=start_wall_ns, unit=unit)
    else:
        imported = import_polar_csv(
            path,
            start_wall_ns=start_wall_ns,
            session_times=exported is not None,
            unit=unit,
            fs_hz=fs_hz,
            progress=steps.part(0.0, 0.9),
        )
    if exported is not None:
        imported = exported.applied_to(imported, start_given=start_given)
    target = output or default
    if target.exists():
        raise UserError(f"{target}: already exists", "choose another name with -o")
    written = write_recording(
        target,
        imported.header,
        imported.items,
        {"imported": True, "source_file": input_name(path)},
        end_mono_ns=imported.end_mono_ns,
        end_wall_ns=imported.end_wall_ns,
    )
    # A file full of ectopic beats or dropouts imports fine, but its HRV would mislead: say so
    # now, not only when (and if) a report is drawn.
    result = ImportResult(written, beat_warnings(imported.items), imported.notes)
    steps.done()
    return result
