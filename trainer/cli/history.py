"""``breathwise history`` and ``breathwise progress``: the sessions so far, and the trends."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Collection
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from analysis.hrv_report import MAX_RELIABLE_ARTIFACT_PCT, MIN_HRV_BEATS_S
from devices.source import SENSORLESS_KIND, SIMULATED_KIND
from trainer.cli.early_signals import INTERRUPTIONS
from trainer.errors import BadArgument, UserError
from trainer.reports.progress import NO_PROGRAM
from trainer.session.sensor_label import source_line, source_mark
from trainer.session.summary import session_clock
from trainer.storage.history import SessionRow, Stored, readable_path, superseded_keys
from trainer.storage.paths import resolved

NO_PROGRAM_CELL = NO_PROGRAM
"""The program cell of a session without a program (``live --rate 6``): the words
``progress`` uses for the same session, not an empty cell."""


def _program_cell(row: SessionRow) -> str:
    return row.program or NO_PROGRAM_CELL


def _cell(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _follow_cell(row: SessionRow) -> str:
    """The follow score, ``p`` after it when it judged the pace alone (a heart-rate strap)."""
    cell = _cell(row.mean_follow_score, 0)
    return f"{cell}p" if row.follow_basis == "pace" and row.mean_follow_score is not None else cell


UNRELIABLE_FLAG = "!"
"""Marks the RMSSD of a session whose beats needed too much correction or were too few
(:attr:`trainer.storage.history.SessionRow.heart_unreliable`)."""
NO_RR = "no RR"
"""In the RMSSD column of a session whose strap sent its heart rate without beat-to-beat (RR)
intervals (:attr:`trainer.storage.history.SessionRow.heart_rate_only`): no HRV to show."""
GONE = "(gone)"
"""After the file of a session whose recording is no longer where the history has it."""


def _file_cell(row: SessionRow, full_paths: bool, superseded: Collection[str]) -> str:
    path = Path(row.path)
    shown = readable_path(path if full_paths else path.name)
    gone = row.session_key in superseded or not path.exists()
    return f"{shown} {GONE}" if gone else shown


def _lost_mark(row: SessionRow) -> str:
    """``sensor lost at 2:40`` for a session whose sensors were lost for good at 2:40 into it
    (a session carries on without them to its planned end: its numbers are of the time
    before, its minutes all practised); ``""`` otherwise."""
    if row.sensor_lost_from_s is None:
        return ""
    return f"sensor lost at {session_clock(row.sensor_lost_from_s)}"


def format_rows(
    rows: list[SessionRow],
    *,
    full_paths: bool = False,
    superseded: Collection[str] | None = None,
) -> list[str]:
    """The history as aligned text lines, newest last.

    A session on the simulated person, or without a sensor, ends its line with its mark
    (:func:`trainer.session.sensor_label.source_mark`), and a last line says what the marks mean:
    unmarked, "follow 86, RSA 11.6" of a simulated run read as the person's own. Each row
    names its recording (the file name, or with ``full_paths`` the whole path), with
    :data:`GONE` after it when the file is no longer there, or holds another session's
    recording now (``superseded``: :func:`~trainer.storage.history.superseded_keys`, of the
    whole history when ``rows`` are its last ones; by default of ``rows``); a session whose
    heart numbers are unreliable has :data:`UNRELIABLE_FLAG` after its RMSSD, RSA and
    coherence (after the RMSSD alone, the coherence read as one that stood),
    and one whose strap sent no RR intervals :data:`NO_RR` in its place, each explained in a
    last line.
    Starts are in the time zone of the machine listing them (``TZ``; a recording keeps none),
    as the first column's name says.
    """
    # As wide as the longest program name shown (they are ids people type: never cut them).
    w = max([len("program"), *(len(_program_cell(row)) for row in rows)])
    # Wider only where a start in the hour the clocks go back carries its offset.
    tw = max([16, *(len(row.start_text) for row in rows)])
    head = (
        f"{'local time':<{tw}} {'min':>5} {'program':<{w}} {'rate':>5} {'exhale:inhale':>13} "
        f"{'follow':>6} {'HR0':>5} {'RMSSD':>6}  {'RSA':>5} {'coh':>5}  recording"
    )
    lines = [head]
    if superseded is None:
        superseded = superseded_keys(rows)
    for row in rows:
        flag = UNRELIABLE_FLAG if row.heart_unreliable else " "
        rmssd = NO_RR if row.heart_rate_only else _cell(row.rmssd_ms, 0)
        lines.append(
            f"{row.start_text:<{tw}} {row.practised_min:>5.1f} {_program_cell(row):<{w}} "
            f"{_cell(row.median_rate_bpm):>5} {_cell(row.mean_ratio, 2):>13} "
            f"{_follow_cell(row):>6} {_cell(row.hr_start_bpm, 0):>5} "
            f"{rmssd:>6}{flag} {_cell(row.rsa_bpm):>5}{flag}"
            f"{_cell(row.coherence_score):>5}{flag} {_file_cell(row, full_paths, superseded)}"
            f"  {'  '.join(filter(None, [source_mark(row.source), _lost_mark(row)]))}".rstrip()
        )
    kinds = {row.source for row in rows}
    lines += [source_line(kind) for kind in (SIMULATED_KIND, SENSORLESS_KIND) if kind in kinds]
    if any(row.heart_unreliable for row in rows):
        lines.append(
            f"{UNRELIABLE_FLAG} over {MAX_RELIABLE_ARTIFACT_PCT:g} % of beats corrected, or under "
            f"{MIN_HRV_BEATS_S:.0f} s of beats: RMSSD, RSA and coherence are unreliable (progress "
            "leaves them out)"
        )
    if any(row.heart_rate_only for row in rows):
        lines.append(
            f"{NO_RR}: heart rate from the strap, which sent no beat-to-beat (RR) intervals: no "
            "RMSSD, RSA or coherence"
        )
    return lines


def _listed() -> tuple[list[SessionRow], frozenset[str]]:
    """Every session in the history, with the keys of those whose path a later recording took
    (:func:`~trainer.storage.history.superseded_keys`), noting on stderr when it could only
    be read; none when there is no history yet (it is not made for a look: on a read-only or
    full data folder that failed, "cannot create the history database", where there was
    nothing to list)."""
    from trainer.storage.history import History, default_db_path

    db = default_db_path()
    if not os.path.lexists(db) and _could_be_made(db.parent):
        return [], frozenset()
    with History(read_only_ok=True) as opened:
        rows = opened.list_sessions()
        imported_over = opened.imported_over()
    if opened.read_only:
        print(f"note: listed read-only: {opened.read_only}", file=sys.stderr)
    return rows, superseded_keys(rows, imported_over)


def _could_be_made(folder: Path) -> bool:
    """Whether ``folder`` is a folder, or its nearest existing parent is one: a history could
    be made there by a session (on a read-only or full disk too, once it is writable). A file
    in the way is an error to say (opening the history says it)."""
    for place in (folder, *folder.parents):
        if os.path.lexists(place):
            return place.is_dir()
    return True


def history(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="With --add: recordings (.bwr) and folders of them (their subfolders "
            "too); with --remove: recordings as 'history --paths' lists them.",
            show_default=False,
            readable=False,
        ),
    ] = None,
    add: Annotated[
        bool,
        typer.Option(
            "--add",
            "-a",
            help="Analyse each PATH and add it to the history, or refresh its row.",
        ),
    ] = False,
    remove: Annotated[
        bool,
        typer.Option(
            "--remove",
            help="Remove the history row of each PATH (a wrong import, a test session); the "
            "recordings themselves are left where they are.",
        ),
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="Show only the last N sessions (0 = all).")
    ] = 0,
    full_paths: Annotated[
        bool,
        typer.Option("--paths", help="Name each recording by its whole path, not its file name."),
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="text: the aligned listing; csv: a header line, then one line a session, columns "
            "named as in report DIR's summary.csv; json: an array of one object a session, with "
            "the same keys, null for a missing value. csv and json write only the data to "
            "standard output (notes go to standard error) and name each mark in a column of its "
            "own; columns: docs/export-formats.md in the source repository.",
        ),
    ] = "text",
) -> None:
    """List your sessions: date, minutes, program, breath rate and ratio, follow score, heart.

    Columns: min = minutes practised (pauses left out); rate = median breaths/min; ratio = mean
    exhale:inhale; follow = how well the pacer was followed (0-100; "p" after it: the pace
    alone, read from the heart rhythm when a heart-rate strap was the only sensor); HR0 = heart
    rate in the first minute (bpm); RMSSD (ms); RSA = heart-rate swing per breath (bpm); coh =
    coherence score (0-10); "!" after RMSSD: over 5 % of beats corrected or under 60 s of beats,
    so RMSSD, RSA and coherence are unreliable (progress leaves them out); "no RR" for RMSSD: the
    strap sent its heart rate without beat-to-beat intervals, so HR0 is its own and there is no
    RMSSD, RSA or coherence; recording = the file
    (--paths: its whole path), "(gone)" when it is no longer there or a later session took
    its path (one of the same start replaces the row: an import run again). Times are in this
    machine's time zone. Rate and ratio are of the
    breaths taken while the pacer paced (all unpaused breaths in a session without one).
    SIMULATED SENSOR marks a session on the simulated person (--device sim), whose numbers are not
    yours; NO SENSOR one practised with --device none, with nothing measured; "sensor lost at
    M:SS" one whose sensor was lost then and did not come back (the session carried on to its
    end without it: its numbers are of the time before).

    With --add, a folder brings in every recording in it and in its subfolders, at any depth
    (so 'history --add DIR' rebuilds a history from a tree of month folders). A recording that
    cannot be read, or that a running session still records (it adds itself when it ends), is
    skipped with a note saying why, and the others are added; one already in the history is
    refreshed ("refreshed ... already in the history"), not counted as a session added. The
    command fails (exit 1) only when none could be added or refreshed. A session whose start
    cannot be right (more than a day in the future, or before 2000: a wrong clock on the device,
    or a wrong --start when imported) is listed with a note saying so.

    With --remove, each PATH (as --paths lists it; one no longer there, "(gone)", too) loses
    its row, never its file; a PATH without a row is an error, and then none is removed. When
    an earlier session's deleted recording had that path too ("(gone)"), the row of the one
    there now goes (the message names it), and the same command again removes the next.

    With --format csv or json, the same sessions (--limit too) as data: each session's numbers
    in the units their names say, the whole path of its recording, its start as ISO 8601 with
    its UTC offset, and the marks above as columns of their own (simulated, no_sensor,
    sensor_lost_from_s, heart_unreliable, heart_rate_only, recording_gone); an empty history is
    the CSV header alone, or [].

    Examples: breathwise history --add ~/old-recordings; breathwise history -a a.bwr b.bwr;
    breathwise history --remove ~/Downloads/wrong-import.bwr;
    breathwise history --format csv > sessions.csv; breathwise history -n 10 --format json
    """
    from trainer.storage.history import History, default_db_path
    from trainer.storage.history_table import FORMATS, write_table

    if fmt not in FORMATS:
        # Before any --add or --remove: a wrong format is refused before any work is done.
        raise BadArgument(
            f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}",
            "csv or json for a script; text (the default) to read",
        )
    if limit < 0:
        raise BadArgument(f"--limit {limit} must be 0 or more")
    if add and remove:
        raise BadArgument("--add and --remove cannot be combined", "run them one after another")
    if paths and not (add or remove):
        raise BadArgument("recordings given without --add or --remove", "use history --add PATH...")
    if remove:
        if not paths:
            raise BadArgument("--remove needs the recordings whose rows to remove")
        _remove(paths)
    if add:
        if not paths:
            raise BadArgument("--add needs recordings or folders of them")
        with History():
            pass  # a history that cannot be opened is one error, not one skip per file
        _add(paths)
    rows, superseded = _listed()
    shown = rows[-limit:] if limit else rows
    if fmt == "text":
        if not rows:
            print(f"No sessions yet (history: {default_db_path()}).")
            return
        print("\n".join(format_rows(shown, full_paths=full_paths, superseded=superseded)))
    else:
        # Only the data on stdout, so `> sessions.csv` and a pipe read it as it is: "no
        # sessions yet" is a note, and the table is empty (the header alone, or []).
        if not rows:
            print(f"note: no sessions yet (history: {default_db_path()})", file=sys.stderr)
        write_table(shown, superseded, sys.stdout, fmt)
    for line in start_notes(shown, time.time_ns()):
        print(line, file=sys.stderr)


def start_notes(rows: list[SessionRow], now_wall_ns: int) -> list[str]:
    """One note per session whose start cannot be right (:func:`trainer.storage.history.
    implausible_start`): a wrong clock on the device, or a wrong ``--start`` when imported."""
    from trainer.storage.history import implausible_start

    notes = []
    for row in rows:
        problem = implausible_start(row.start_wall_ns, now_wall_ns)
        if problem is not None:
            when = row.start_text
            notes.append(
                f"note: {readable_path(row.path)}: its start {when} {problem} (a wrong clock, or "
                "a wrong --start when imported); progress leaves it off its time axis"
            )
    return notes


def _remove(paths: list[Path]) -> None:
    """Remove the history row of each of ``paths``, all or none (:meth:`trainer.storage.
    history.History.remove_paths`), and say which for each: when other sessions' rows name
    that path too (their recordings gone), the session removed is named by its start and the
    way to remove the next is given."""
    from trainer.storage.history import History

    with History() as opened:
        removed = opened.remove_paths(paths)
    for row in removed:
        name = readable_path(row.path)
        if not row.left:
            print(
                f"removed from the history: {name} (the recording itself is left where it is)",
                file=sys.stderr,
            )
            continue
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.start_wall_ns / 1e9))
        others = (
            'an earlier session whose recording was at that path, listed "(gone)", stays'
            if row.left == 1
            else f"{row.left} earlier sessions whose recordings were at that path, listed "
            '"(gone)", stay'
        )
        print(
            f"removed from the history: {name}, the session of {when} recorded there now (the "
            f"recording itself is left where it is); {others}: 'breathwise history --remove "
            f"{shlex.quote(name)}' again removes the next",
            file=sys.stderr,
        )


def _add(paths: list[Path]) -> None:
    """Add every recording in ``paths`` (files, or folders of ``.bwr`` files at any depth:
    :func:`trainer.storage.recording.recordings_under`), skipping bad ones.

    Each file's line, and the closing count, tell a new session ("added") from a recording
    whose row was already its own ("refreshed ... already in the history") and from a copy or
    a moved file taking over its session's row: only the first is a session more.

    Raises
    ------
    UserError
        Not one recording could be added or refreshed.
    """
    counts = {"added": 0, "replacing": 0, "refreshed": 0, "skipped": 0}
    try:
        _add_all(paths, counts)
    except INTERRUPTIONS:
        # Stopped part-way through a folder: each row is whole (one transaction each), so
        # say how far it got; the same command again refreshes those and adds the rest (without
        # this, it stopped with no count).
        with suppress(OSError, ValueError):
            print(f"stopped: {_counts_text(counts)} before the stop", file=sys.stderr)
        raise
    added, replacing, refreshed, skipped = counts.values()
    if not added + replacing + refreshed:
        raise UserError(f"no session added, skipped {skipped}", "see the notes above")
    print(_counts_text(counts), file=sys.stderr)


def _add_all(paths: list[Path], counts: dict[str, int]) -> None:
    """:func:`_add`'s work, counting each recording as it goes into ``counts``.

    A file met again (given twice, as ``x.bwr ./x.bwr``, or in a folder given too) is added
    once: otherwise ``--add x.bwr x.bwr x.bwr`` said "added 1 session, refreshed 2"
    of one file and one row, where ``--remove`` of a path given twice removes it once.
    """
    from trainer.storage.recording import SUFFIX, recordings_under

    seen: set[Path] = set()

    def add(file: Path, name: str) -> None:
        place = resolved(file)
        if place not in seen:
            seen.add(place)
            counts[_add_one(file, name)] += 1

    for target in paths:
        if not target.is_dir():
            add(target, readable_path(target.name))
            continue
        found = recordings_under(target)
        for folder, why in found.unreadable:
            _skip_note(folder, f"cannot read this folder ({why}); its recordings are not added")
            counts["skipped"] += 1
        if not found.files and not found.unreadable:
            _skip_note(target, f"no {SUFFIX} recordings in this folder or its subfolders")
            counts["skipped"] += 1
        for file in found.files:
            # Named from the folder given, so two months' files of one name stay apart.
            add(file, readable_path(file.relative_to(target)))


def _counts_text(counts: dict[str, int]) -> str:
    """The closing count of :func:`_add`: "added 3 sessions, refreshed 1 ..., skipped 0".

    A copy replacing its original's row, or a file already in the history, is not one more
    session: it says how many were.
    """
    added, replacing, refreshed, skipped = counts.values()
    said = [f"added {added} session{'' if added == 1 else 's'}"]
    if replacing:
        said.append(f"{replacing} replacing another file's row of the same session")
    if refreshed:
        said.append(f"refreshed {refreshed} already in the history")
    said.append(f"skipped {skipped}")
    return ", ".join(said)


def _add_one(file: Path, shown: str) -> str:
    """Add one recording, saying so on stderr as ``shown``; which count it goes to.

    Raises
    ------
    HistoryUnusable
        The history itself cannot be used (no other file can be added either).
    """
    from trainer.cli.progress_bar import long_work_bar, recording_is_long
    from trainer.storage.history import HistoryUnusable, add_recording

    try:
        with long_work_bar(f"analysing {shown}", recording_is_long(file)) as progress:
            stored = add_recording(file, progress=progress)
    except HistoryUnusable:
        raise  # one error for all the files, not one skip each
    except UserError as exc:
        _skip_note(file, exc.user_message())
        return "skipped"
    except Exception as exc:
        # As report DIR: a file that trips an unexpected error never stops the rest.
        _skip_note(file, f"{type(exc).__name__}: {exc}")
        return "skipped"
    minutes = f"{stored.row.practised_min:.1f} min"
    if stored.refreshed:
        print(f"refreshed {shown} ({minutes}): already in the history", file=sys.stderr)
    else:
        print(f"added {shown} ({minutes}){replaced_note(stored)}", file=sys.stderr)
    if stored.damage:
        # Added all the same: the history held no row of it (a damaged copy replaces none).
        from trainer.ui.headless import damage_warning

        print(damage_warning(shown, stored.damage), file=sys.stderr)
    if stored.changed_note:
        # Once per file, as replay says it: the row holds today's numbers.
        what = stored.changed_note.removeprefix("note: ")
        print(f"note: {shown}: {what}", file=sys.stderr)
    if stored.ecg_without_beats:
        # The row has no heart numbers, and importing the CSV again fills them.
        from trainer.ui.headless import ecg_without_beats_note

        print(ecg_without_beats_note(shown), file=sys.stderr)
    if stored.refreshed:
        return "refreshed"
    return "replacing" if stored.replaced_other_file else "added"


def replaced_note(stored: Stored) -> str:
    """What an add replaced, when it was another file's row ("" for a new row or a refresh)."""
    here = Path(stored.row.path).parent
    if stored.replaced_exports:
        # The name alone when both files share a folder, so the line stays short.
        shown = ", ".join(_shown(Path(p), here) for p in stored.replaced_exports)
        return f"; it replaces the history row of {shown} (imported from its CSV export)"
    if not stored.replaced_other_file:
        return ""
    if stored.replaced_earlier and stored.previous_path in (None, stored.row.path):
        # Its file was where this one is now: the same start recorded again (an import run
        # again after the file was deleted), not one more session.
        return (
            f"; it replaces the history row of the earlier {_shown(Path(stored.row.path), here)}"
            " (another recording of the same start at this path)"
        )
    assert stored.previous_path is not None
    before = Path(stored.previous_path)
    shown = _shown(before, here)
    if stored.legacy:
        why = "kept by an older Breathwise for the same start time"
    elif before.exists():
        why = "a copy of the same session"
    else:
        why = "the same session, moved or renamed"
    return f"; it replaces the history row of {shown} ({why})"


def _shown(path: Path, folder: Path) -> str:
    return readable_path(path.name if path.parent == folder else path)


def _skip_note(file: Path, reason: str) -> None:
    # Most reasons already begin with the file's path: name it once.
    shown = readable_path(file)
    reason = reason.replace(str(file), shown)
    named = reason.startswith((f"{shown}:", f"{readable_path(resolved(file))}:"))
    note = reason if named else f"{shown}: {reason}"
    print(f"skipped {note}", file=sys.stderr)


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadArgument(f"--since {text!r} is not a date", "use YYYY-MM-DD") from None


def _check_program(name: str, rows: Collection[SessionRow]) -> None:
    """Refuse a ``--program`` that names no program: neither one of the catalog (built-in or
    the person's) nor one a session of the history ran (a program file since removed)."""
    from trainer.programs.catalog import load_catalog

    known = set(load_catalog().names())
    ran = {row.program for row in rows if row.program}
    if name not in known | ran:
        raise BadArgument(
            f"--program {name!r}: no program of that name",
            advice=f"choose one of: {', '.join(sorted(known | ran))} (see `breathwise programs`)",
        )


def progress(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="First day shown, YYYY-MM-DD (default: all). A session that started the "
            "evening before and ran past its midnight counts with its minutes from that day on "
            "(not in the trends: its numbers are of the day it started).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Figure file: .png, .pdf or .svg, in a folder that exists (default: "
            "progress.png in Breathwise's data folder, ~/.local/share/breathwise on Linux, "
            "beside your history; skipped with a note when that folder cannot be written). "
            "A figure already there is replaced at each run; a folder or link is refused.",
            readable=False,
        ),
    ] = None,
    include_simulated: Annotated[
        bool,
        typer.Option(
            "--include-simulated",
            help="Put the sessions on the simulated sensor (--device sim) in the trends too, "
            "marked SIMULATED SENSOR; by default they count as practice (minutes, streak) but "
            "their numbers, which are not yours, are left out of the trends.",
        ),
    ] = False,
    program: Annotated[
        str | None,
        typer.Option(
            "--program",
            help="Only this program's sessions: its minutes, streak and trends "
            "(see 'breathwise programs').",
        ),
    ] = None,
) -> None:
    """Show your progress over days and weeks against your own baseline.

    Minutes practised per day and streaks, every session counted (on the simulated sensor and
    without a sensor too: you practised). A session past midnight shares its minutes between the
    days it covers; a day counts in a streak when a session started on it. Trends of breath rate
    and exhale:inhale ratio achieved, resting heart rate at session start, RMSSD, RSA and
    coherence, for each practice (a program at one pace: own rhythm, or paced at 5/min...)
    against that practice's own baseline, the median of its first three sessions: a paced
    session's breath rate is the pacer's, and RSA, RMSSD and coherence change with the breath
    rate, so programs and paces are never averaged together. Sessions under a minute, and
    sessions whose start date cannot be right ('breathwise history' names them), are left out,
    and the summary says how many. The simulated sensor's numbers are left out of the trends
    unless --include-simulated is given. On a read-only or full data folder the summary is still
    shown, and the default figure is skipped with a note, also when writing it fails (-o
    elsewhere writes it; a failed -o is an error). With no sessions to draw, no figure is
    written (a note says so).

    Example: breathwise progress --program deep-breathing-4-8 -o progress.pdf
    """
    from trainer.reports.progress import (
        compute_progress,
        simulated_note,
        summary_lines,
        write_progress,
    )
    from trainer.reports.report import check_replaceable, figure_suffix
    from trainer.storage.paths import (
        DATA_FOLDER_ADVICE,
        check_output_path,
        check_writable_dir,
        data_dir,
    )

    first = _since(since)
    default = output is None
    if output is None:
        # Not the current folder: run in a clone or a project folder it left a file there to
        # commit or clean up. The data folder is Breathwise's own, and holds the history the
        # figure is drawn from.
        output = data_dir() / "progress.png"
    else:
        # Before the text summary: a wrong -o is refused before any of the work is shown.
        check_output_path(output, "the progress figure", "progress.pdf")
    figure_suffix(output, "the progress figure")
    check_replaceable(output, "the progress figure")
    rows, _ = _listed()
    # The default figure goes where the history is, which may be what cannot be written (without
    # this, the summary was shown, then "progress.png: cannot write", exit 1); the
    # summary is what the person asked for, so the figure is skipped with a note.
    unwritable = ""
    if default:
        try:
            check_writable_dir(output.parent, advice=DATA_FOLDER_ADVICE)
        except UserError as exc:
            unwritable = str(exc)
    if program is not None:
        _check_program(program, rows)
    result = compute_progress(
        rows, since=first, include_simulated=include_simulated, program=program
    )
    # Simulated sessions count as practice; when their numbers are left out of the trends, a
    # note says so (when they are in, the summary itself carries the SIMULATED SENSOR mark).
    note = simulated_note(result)
    if note:
        print(f"note: {note}", file=sys.stderr)
    print("\n".join(summary_lines(result)))
    if result.sessions and not unwritable:
        try:
            written = write_progress(result, output)
        except UserError as exc:
            if not default:
                raise  # asked for by name: its failure is the command's
            # The folder passed its check and the write failed all the same (a few blocks
            # free, a quota): the same note as a folder found unwritable before.
            unwritable = str(exc)
        else:
            print(f"progress figure written: {written}", file=sys.stderr)
    if result.sessions and unwritable:
        print(
            f"note: no progress figure: {unwritable} (-o FILE in a writable folder draws it)",
            file=sys.stderr,
        )
    if not result.sessions and not default:
        # Asked for by name and not there: a script opening it found nothing, and nothing
        # said why.
        print(f"note: {output} not written: no sessions to draw", file=sys.stderr)
