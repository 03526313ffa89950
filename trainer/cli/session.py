"""``breathwise live`` and ``breathwise replay``: argument checking and wiring, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import select
import shlex
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from devices.errors import BreathwiseDeviceError
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import KeepsLooking, LinkEvent, SourceInfo
from trainer.cli import early_signals
from trainer.cli.line_keys import keys_reach_us, with_keys
from trainer.cli.safety import terminal_prompts
from trainer.cli.sensors import NO_DEVICE_ADVICE, check_devices, is_no_sensor, open_source
from trainer.coaching.pacer import MAX_RATE_BPM, MAX_RATIO, MIN_RATE_BPM, MIN_RATIO, BreathPattern
from trainer.errors import BadArgument, UserError
from trainer.programs.model import OwnRhythm, Paced, Program, ProgramKind
from trainer.programs.runner import ProgramTimeline
from trainer.programs.safety import CARD_REMINDER, Outcome, ScreenStore, require_clearance
from trainer.session.events import Event, PacerEvent, SkipEvent
from trainer.session.live_replay import LiveSession, ReplaySession, SessionPlan, SessionResult
from trainer.session.pipeline import CARRY_ON, END_SESSION, SENSORS_GONE_KEY
from trainer.session.program_session import PreparedProgram, prepare_program, store_resonance
from trainer.session.sensor_label import (
    device_kind,
    is_simulated,
    not_stored_reason,
    source_line,
    source_mark,
)
from trainer.session.summary import SessionSummary
from trainer.storage.config import load_settings, settings_path
from trainer.storage.paths import (
    RECORDINGS_DIR_VARIABLE,
    SESSION_FOLDER_ADVICE,
    check_output_path,
    check_writable_dir,
)
from trainer.storage.program_codec import FROM_STEP_KEY
from trainer.storage.recording import (
    STILL_RECORDING_NOTE,
    Recording,
    damage_text,
    ecg_without_beats,
    read_recording,
)
from trainer.ui.headless import (
    analysis_changed_note,
    damage_warning,
    ecg_without_beats_note,
    format_summary,
    line_printer,
)
from trainer.ui.session_sound import (
    SessionSound,
    ShowNotice,
    eyes_closed_warning,
    once_per_setup,
    print_then_confirm,
)
from trainer.ui.sound import output_available
from trainer.ui.terminal import output_gone, shows_unicode

if TYPE_CHECKING:
    from types import FrameType

    from trainer.ui.screen import BreathwiseApp

MAX_MINUTES = 24 * 60
"""Longest session, minutes (a day)."""
MIN_SPEED = 0.1
"""Slowest replay, times real time. At a tenth of real time the fastest breath the pacer
allows (2 s, 30 breaths/min) takes 20 s to replay, slow enough to watch every phase; a slower
factor serves no display or analysis and turns a typo (1e-9 for 1e9) into a replay that would
outlast its user (9,500 years for a 5-minute session)."""


def _retime_sound(
    session: LiveSession, audio: SessionSound, program_cues: Sequence[float], t_mono_ns: int
) -> None:
    """Place the end bell, and a program's chimes, in session time as the program's clock
    stands at ``t_mono_ns``: none while paused; the chimes of what a skip jumped over never."""
    pipeline = session.pipeline
    if pipeline is None:
        return
    clock = pipeline.program_clock
    if clock.paused:
        audio.retime((), None)
        return
    end_ns = session.end_ns(t_mono_ns) - session.start_mono_ns
    cues = [clock.session_s(c) for c in program_cues if not clock.skipped_over_s(c)]
    audio.retime(cues, end_ns / NS_PER_S)


def _sound_follows_pauses(
    session: LiveSession, audio: SessionSound, timeline: ProgramTimeline | None
) -> Callable[[list[Event]], None]:
    """A session listener that moves the end bell, and a program's chimes, after each pause and
    each skipped step.

    A pause stops the session's clock (:mod:`trainer.coaching.program_clock`; the end moves later by
    the time paused, :meth:`LiveSession.end_ns`): while paused no chime is due and the end is
    open; on resume every program cue still to come, and the end, move later by the time
    paused. A skip (key ``n``) brings them sooner: the next step's chime sounds at once, and the
    end comes earlier when the program is over before the planned minutes are.
    """
    program_cues = timeline.sound_cue_times_s() if timeline is not None else ()

    def listen(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, SkipEvent):
                at_ns = session.start_mono_ns + round(event.t_s * NS_PER_S)
                _retime_sound(session, audio, program_cues, at_ns)
            elif isinstance(event, PacerEvent) and event.change.action in ("pause", "resume"):
                _retime_sound(session, audio, program_cues, event.change.t_mono_ns)

    return listen


class _NotFound:
    """The source of a session quit while its sensors were still being looked for: it never
    connects, so the session ends at once, with no recording, as one quit during the connect
    does."""

    def __init__(self, devices: list[str]) -> None:
        self.info = SourceInfo("ble", " + ".join(devices), details={"found": False})

    async def __aenter__(self) -> _NotFound:
        # Never entered: the session was stopped first (LiveSession.until_stopped).
        await asyncio.Event().wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        raise AssertionError("never connected: nothing to read")


STILL_SAVING = "breathwise: still saving the session, please wait"
"""Said once for the signals that come while a headless session is closed and kept: they do
not cut that short (its summary, its recording's path and its history row)."""

SAVING = "saving to your history…"
"""Said once a session with a recording is over, while the history analyses it (seconds for a
long session): headless on standard error, on the screen in its status line."""

HANGUP_GRACE_S = 3.0
"""After SIGHUP or SIGTERM, once the session is kept, the time the screen has to restore the
terminal and exit by itself, s."""


HANG_UP = int(getattr(signal, "SIGHUP", 1))
"""The signal number a terminal that hangs up stands for (SIGHUP, 1), also when it is seen
gone without one (:func:`watch_terminal`)."""


def watch_terminal(on_end: Callable[[int], None], fd: int = 0) -> Callable[[int], None]:
    """From a thread of its own, call ``on_end`` with the signal's number for each signal the
    returned function is given, and with :data:`HANG_UP` once the terminal on ``fd`` hangs up
    (its window closed, its tmux pane killed), whether or not a SIGHUP comes with it.

    The returned function is for a signal handler: it only writes the number into a pipe
    (async-signal-safe, no lock), so it does its work even while the main thread is blocked,
    where a handler of the event loop's only woke a loop that was stuck (without this, the
    process outlived its terminal for 24 min at a third of a core, deaf to SIGTERM).
    Without a signal at all (the process is not the terminal's controlling process, or its
    session leader has gone) the hang-up is still seen: ``poll`` reports it (``POLLHUP``) on
    the descriptor with no event asked for, so the thread sleeps in the kernel until then.
    Where ``poll`` is missing (Windows) ``on_end`` is called from the handler itself.
    """
    if not hasattr(select, "poll"):
        return on_end
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def tell(signum: int) -> None:
        with contextlib.suppress(OSError):  # a full pipe: signals enough are on their way
            os.write(write_end, bytes([signum]))

    def watch() -> None:
        poller = select.poll()
        poller.register(read_end, select.POLLIN)
        # No event asked: only a hang-up, an error or a descriptor closed wakes it for fd.
        poller.register(fd, 0)
        while True:
            for ready, _ in poller.poll():
                if ready == read_end:
                    on_end(os.read(read_end, 1)[0])
                else:
                    poller.unregister(fd)  # said once: a hung-up terminal stays hung up
                    on_end(HANG_UP)

    threading.Thread(target=watch, name="terminal watch", daemon=True).start()
    return tell


def _pattern(rate_bpm: float, ratio: float) -> BreathPattern:
    # One message per option, naming the range its --help states, whatever the value (0, a
    # negative, nan or just outside): the pacer's own limits, checked before anything starts.
    if not math.isfinite(rate_bpm) or not MIN_RATE_BPM <= rate_bpm <= MAX_RATE_BPM:
        raise BadArgument(
            f"--rate {rate_bpm:g} is out of range",
            f"use {MIN_RATE_BPM:g} to {MAX_RATE_BPM:g} breaths per minute",
        )
    if not math.isfinite(ratio) or not MIN_RATIO <= ratio <= MAX_RATIO:
        raise BadArgument(
            f"--ratio {ratio:g} is out of range",
            f"use {MIN_RATIO:g} to {MAX_RATIO:g}, e.g. 2 for an exhale twice the inhale",
        )
    try:
        return BreathPattern.from_rate(rate_bpm, ratio)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None


SLOW_RATE_NOTE_BPM = 4.0
"""Below this pacer rate (breaths/min) ``live`` says the pace is slower than slow-paced breathing
is practised: the resonance protocol's slowest step is 4.5/min (physiology.md)."""


def slow_rate_note(rate_bpm: float) -> str:
    """What ``live --rate`` says of a pace under :data:`SLOW_RATE_NOTE_BPM` (without
    it, ``--rate 2 --ratio 3`` ran a 7.5 s in / 22.5 s out pacer without a word): it runs, as
    asked."""
    return (
        f"--rate {rate_bpm:g} is slower than slow-paced breathing is practised (about 4.5-6.5 "
        f"breaths/min): one breath lasts {60.0 / rate_bpm:.0f} s; with a breathing sensor the "
        "pacer eases toward your own rhythm when you cannot follow it"
    )


def _minutes(minutes: float) -> float:
    if not math.isfinite(minutes) or not 0 < minutes <= MAX_MINUTES:
        raise BadArgument(
            f"--minutes {minutes:g} is out of range", f"use more than 0, up to {MAX_MINUTES}"
        )
    return minutes


def _seed(seed: int | None) -> int | None:
    # Checked here, with the other arguments, rather than by the simulator once the session
    # has begun (a traceback).
    if seed is not None and seed < 0:
        raise BadArgument(f"--seed {seed} must not be negative", "use 0 or a positive whole number")
    return seed


def _run_with_signals(
    make: Callable[[], Awaitable[SessionResult]],
    on_signal: Callable[[int], None],
    status: Callable[[SessionResult], int],
) -> tuple[SessionResult, Callable[[], None]]:
    """Run a session; SIGINT, SIGTERM and SIGHUP (the terminal closed) call ``on_signal``
    with the signal's number, which ends it gracefully so the recording is closed properly.

    Once ``make`` has returned (the session kept and said), such a signal ends the process
    at once with ``status(result)`` instead (:func:`early_signals.exit_with_on_signals`):
    the session's handlers go with its event loop, and a signal after them killed the
    process. Returns the result, and what puts back the handlers from
    before the session (nothing on the command line, whose process ends next).
    """
    put_back: list[Callable[[], None]] = []

    async def main() -> SessionResult:
        loop = asyncio.get_running_loop()
        # The handlers that exited at once before the session (trainer.cli.early_signals) give
        # way, with no await between, to those that end it cleanly.
        early_signals.release()
        wanted = early_signals.handled_signals()
        for sig in wanted:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, on_signal, int(sig))
        result = await make()
        # No await from here: the loop's handlers give way to those that see the process out
        # before the loop closes (putting back the default action).
        for sig in wanted:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        put_back.append(early_signals.exit_with_on_signals(status(result)))
        return result

    result = asyncio.run(main())
    return result, put_back[0]


def _exit_status(result: SessionResult | None, signals: list[int]) -> int:
    """The process's exit status once a session is kept.

    1 for a session that failed; 128 + N for one ended by signal N (SIGINT 130, SIGHUP 129,
    SIGTERM 143), the status a shell gives a process killed by that signal, so that a script
    or a supervisor can tell an interrupted session from a completed one (the recording and
    its summary are kept either way); 0 otherwise, including a session ended with q, or one
    that had completed before the signal came (closing the terminal on the summary screen).

    A session that carried on to its planned end without its lost sensor completed: 0. The
    practice ran as planned and was kept in the history; a script that retries or alerts on a
    failure must not take it for one, and what was lost is in its summary (the sensor line,
    ``no_data_from_s``) for whoever wants it.
    """
    if result is None or result.error:
        return 1
    if signals and result.summary.get("ended") == "interrupted":
        return 128 + signals[0]
    return 0


@dataclass(frozen=True)
class _Settled:
    """What was kept of a finished session: lines for the terminal, and a short form for the
    closing screen's status line."""

    lines: tuple[str, ...]
    status: str
    empty: bool = False
    """The recording holds no sensor data: the history said it can be deleted."""


NOT_KEPT = "no sensor connected and nothing was recorded, so no recording was kept"
"""What a session whose sensor never connected leaves (:meth:`LiveSession.run` writes no
file): said by its error, or, ended by the person, by a note."""


def _settle(result: SessionResult) -> _Settled:
    """Keep what a finished session produced: the resonance rate an assessment chose, and the
    session in the history.

    A screen session does this as soon as the session ends, before its summary is shown, so
    that closing the terminal on the summary loses nothing.
    """
    lines: list[str] = []
    status: list[str] = []
    empty = False
    try:
        rate = store_resonance(result.summary)
    except Exception as exc:  # a settings file that cannot be written must not cost the rest
        chosen = result.summary.get("resonance", {}).get("chosen_rate_bpm")
        lines.append(
            f"note: your resonance rate was not stored ({_one_line(exc)}); set it with "
            f"'breathwise config set resonance_rate_bpm {chosen}'"
        )
        status.append("resonance rate not stored")
        rate = None
    if rate is not None:
        lines.append(
            f"your resonance rate, {rate:.1f} breaths/min, is stored: "
            "'breathwise live --program resonance-training' paces at it"
        )
        status.append(f"resonance rate {rate:.1f}/min stored")
    elif _chose_a_rate(result.summary) and not_stored_reason(result.summary.get("source_kind", "")):
        # The summary's resonance line says why; the closing screen's status line says it too.
        status.append("resonance rate not stored")
    if result.displaced:
        # Not "saved" to a path that names nothing, or another file, and not added from it.
        lines.append(f"note: {result.displaced}")
        status.append("recording moved or deleted while recording")
    elif result.path is None:
        # A failure says it in its error (_finish): once is enough.
        if not result.error:
            lines.append(f"note: {NOT_KEPT}")
        status.append("nothing recorded, no recording kept")
    else:
        # A session that failed (a full disk, a sensor's error) kept what it had: said so, as
        # its error line says next, not "saved" and then "cannot write".
        upto = " up to the failure" if result.error else ""
        lines.append(f"recording saved{upto}: {result.path}")
        problem, empty = _add_to_history(result.path)
        if problem is None:
            status.append("saved to your history")
        else:
            # The recording is safe either way; the history can be rebuilt with 'history --add'.
            lines.append(f"note: not added to the history: {problem}")
            status.append("recording saved, not added to the history")
    return _Settled(tuple(lines), "  ·  ".join(status), empty)


def not_in_history_note(folder: Path) -> str:
    """What a ``live`` start about to record to ``folder`` says of the recordings that never
    reached the history (:func:`trainer.storage.history.killed_sessions`: in ``folder`` and
    every other folder sessions recorded to), one line per folder holding any, with how to
    add them; ``""`` when there are none. Never added silently: the person decides; a history
    that cannot be opened is for the session's end to report, and a busy one is waited for
    briefly: the session starts promptly either way."""
    from trainer.storage.history import STARTUP_CHECK_TIMEOUT_MS, add_command, killed_sessions

    try:
        found = killed_sessions(folder, timeout_ms=STARTUP_CHECK_TIMEOUT_MS)
    except Exception:  # only a note: nothing here may keep a session from starting
        # Logged, so a bug here is not hidden on every start.
        logging.getLogger(__name__).debug("startup history check failed", exc_info=True)
        return ""
    lines = []
    for place, missing in found:
        what = missing[0].name if len(missing) == 1 else f"{len(missing)} recordings"
        lines.append(
            f"note: {what} in {place} {'is' if len(missing) == 1 else 'are'} not in your "
            "history (a session stopped before it could add itself?); add with: "
            + add_command(missing[0] if len(missing) == 1 else place)
        )
    return "\n".join(lines)


def _chose_a_rate(summary: SessionSummary) -> bool:
    """Whether a session's summary holds a resonance rate an assessment chose."""
    return summary.get("resonance", {}).get("chosen_rate_bpm") is not None


def _add_to_history(path: Path) -> tuple[str | None, bool]:
    """Add a recording to the history: what went wrong (one line) or None, and whether the
    recording holds no sensor data (nothing to add, nothing worth keeping).

    Any failure is returned, not raised, the unexpected ones too (a bug in the analysis, a
    recording it cannot handle): the recording is safe by now, and an exception here once
    ended a completed session with a traceback instead of its summary and the recording's
    path. ``history --add`` can add it later. A busy history is waited for only briefly
    (:data:`~trainer.storage.history.SESSION_END_TIMEOUT_MS`): the full busy timeout once kept
    the person at a silent screen for 30 s, then said only "try again".
    """
    from trainer.storage.history import (
        SESSION_END_TIMEOUT_MS,
        HistoryError,
        NoSensorData,
        add_command,
        record_session,
    )

    later = f"add it later with: {add_command(path)}"
    try:
        record_session(path, timeout_ms=SESSION_END_TIMEOUT_MS)
    except HistoryError as exc:
        if exc.cause == "busy":
            return f"it is busy (another breathwise?) — {later}", False
        # Every cause names the command, as import does (without this, a read-only data
        # folder said why, but not how to add the session once it is writable again).
        return f"{_one_line(exc)}; {later}", False
    except NoSensorData as exc:
        return _one_line(exc), True
    except Exception as exc:  # see above: nothing here may cost the summary
        return f"{_one_line(exc)}; {later}", False
    return None, False


def _one_line(exc: Exception) -> str:
    """An exception as one line: the app's own message, else its type and text."""
    if isinstance(exc, UserError):
        return exc.user_message()
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _check_screen(program: Program) -> str:
    """The red-flag screen before a back-focused program (docs/reference/programs.md, "Safety");
    returns what the session's screen must keep showing (the reminder after a "yes"), else ""."""
    if not program.back_focused:
        return ""
    # On stderr: standard output carries only what a replay prints again.
    ask, tell = terminal_prompts(err=True)
    now = datetime.now(UTC)
    outcome = require_clearance(
        True,
        store=ScreenStore(),
        ask=ask,
        tell=tell,
        today=now.astimezone().date(),
        program_title=program.title,
        now=now,
    )
    return CARD_REMINDER if outcome is Outcome.CONTINUE_AGAINST_ADVICE else ""


def _check_configured_recordings_dir(folder: Path) -> None:
    """Refuse a ``recordings_dir`` setting whose folder is missing.

    ``config set`` made the folder and proved it writable, so a missing one is gone since:
    most likely it is on a drive that is not mounted. Making it again would put the
    recordings on the internal disk, where the person does not look, and that happens under
    a static mount point too (``/mnt/usb`` stays as an empty folder once unmounted), so
    checking only the folder it sits in misses that case. The default
    folder, which Breathwise owns, is still made whole. A setting that is the mount point
    itself is not caught: unmounted, it is an empty folder like any new recordings folder, and
    telling them apart would need the setting to remember it was a mount point
    (docs/guide/sessions.md asks for a folder below it).

    Raises
    ------
    UserError
        The folder does not exist (a file in its place is refused as the settings load).
    """
    if folder.exists():
        return
    raise UserError(
        f"the recordings folder {folder} (setting recordings_dir) is not there: is its drive "
        "unplugged?",
        f"plug in the drive, create the folder (mkdir -p {shlex.quote(str(folder))}), or "
        "change the setting ('breathwise config set recordings_dir DIR' or 'default')",
    )


def _recordings_folder_is_a_file(folder: Path) -> UserError:
    """The error for a recordings folder nobody typed that is a file: where its name came from
    (``BREATHWISE_RECORDINGS_DIR``, or the default in the data folder) and what to do. It was
    "--out X is not a directory" with the usage-error status, though no --out was given, and
    no way out. A ``recordings_dir`` setting that is a file is refused as the
    settings load (:func:`trainer.storage.config.load_settings`).

    Parameters
    ----------
    folder : Path
        The recordings folder, from the environment or the default.
    """
    if os.environ.get(RECORDINGS_DIR_VARIABLE):
        source = RECORDINGS_DIR_VARIABLE
        advice = f"set {source} to a folder, or unset it; or {SESSION_FOLDER_ADVICE}"
    else:
        source = "the default"
        advice = f"move or rename that file, or {SESSION_FOLDER_ADVICE}"
    return UserError(f"the recordings folder {folder} ({source}) is a file, not a folder", advice)


def _devices(given: list[str] | None, default_device: str | None) -> list[str]:
    """The ``--device`` values of a session: those given, else the default_device setting.

    With neither there is no quiet fallback to the simulator: a person practising without a
    sensor was coached, scored and kept in the history on a simulated person's breathing as if
    it were theirs. They choose: a sensor, ``none`` or ``sim``.
    """
    if given:
        return check_devices(given)
    if default_device:
        return check_devices([default_device])
    raise BadArgument("no sensor chosen", NO_DEVICE_ADVICE)


def when_sensors_gone(program: Program | None) -> str:
    """What the session does once every sensor is given up, for its header
    (:data:`~trainer.session.pipeline.SENSORS_GONE_KEY`).

    It carries on to its planned end as a session without a sensor, a program or a plain paced
    session alike: the pacer, the step cards, the cues and the sound need no sensor (``--device
    none`` runs them), and a person following them, perhaps with the eyes closed, expects them
    to the end and the end bell (without this, the session ended there with an error, up to
    two minutes after the loss and long before its end, and silently). A resonance assessment
    ends there: it is nothing without its measurements (refused on ``--device none``), and
    carried on it would rank the rates measured so far and store its best as the person's rate.
    """
    if program is not None and program.kind is ProgramKind.RESONANCE_ASSESSMENT:
        return END_SESSION
    return CARRY_ON


def _check_sensor_needed(program: Program, devices: list[str]) -> None:
    """Refuse a program that is nothing without measurements on ``--device none``: the
    resonance assessment scores the heart's response to each rate (docs/reference/physiology.md), so
    with no sensor it could only store a rate chosen from nothing."""
    if program.kind is ProgramKind.RESONANCE_ASSESSMENT and is_no_sensor(devices[0]):
        raise BadArgument(
            f"{program.title} needs a heart-rate sensor: it measures your heart's response to "
            "each rate",
            "use your sensor with --device, or --device none with another program",
        )


def _show_source(kind: str) -> None:
    """Say before the start, on stderr, that the session is not measured on the person, in
    the words its summary will use (:func:`trainer.session.sensor_label.source_line`)."""
    line = source_line(kind)
    if not line:
        return
    hint = " (your own sensor: 'breathwise scan')" if is_simulated(kind) else ""
    print(f"note: {line}{hint}", file=sys.stderr)


def strap_alone_note(program: Program, source: SourceInfo, *, brief: bool = False) -> str:
    """What a heart-rate strap alone leaves uncoached in ``program``, or ``""``; ``brief``:
    in about 110 characters, for the screen's status line, whose three rows the full note
    (up to 245 characters) overflowed after the clock and the status, so it was never seen.

    A strap gives the breathing rate, read from the heart rhythm, and the coach judges it
    against a pacer (:mod:`trainer.session.pipeline`); the out-breath an own-rhythm step coaches
    (a target exhale:inhale ratio, no pacer) needs breath-by-breath data, from a breathing belt
    or a Polar H10's chest accelerometer. Without them such a step got no coaching, and a
    program of only own-rhythm steps (the relaxation response) none at all, with nothing said.
    ``source`` is the sensors' :class:`devices.source.SourceInfo` before
    they connect: the streams they are to send.
    """
    streams = source.streams
    if Stream.HEART_RATE.value not in streams or Stream.GODIRECT.value in streams:
        return ""
    if "acc" in (streams.get(Stream.PMD_DATA.value) or {}):
        return ""
    coached = sum(
        isinstance(step.breathing, OwnRhythm) and step.breathing.target_ratio is not None
        for step in program.steps
    )
    if not coached:
        return ""
    gives = "a breathing belt, or a Polar H10's chest accelerometer, measures it"
    paced = any(isinstance(step.breathing, Paced) for step in program.steps)
    if brief:
        return (
            "strap alone: "
            + ("no" if not paced else f"{coached} of {len(program.steps)} steps without")
            + " out-breath coaching (a belt or a Polar H10's chest accelerometer gives it)"
        )
    if not paced:
        return (
            "with a heart-rate strap alone this program coaches nothing: its out-breath "
            f"coaching needs each breath measured ({gives})"
        )
    return (
        "with a heart-rate strap alone only this program's paced steps are coached, on their "
        f"pace: the out-breath coaching of its own-rhythm steps ({coached} of "
        f"{len(program.steps)}) needs each breath measured ({gives})"
    )


PACER_LINES_HELP = (
    "No screen (as --headless), and the pacer printed too: a line as each phase starts, "
    "'in 4.0 s at 12.0 s', then 'hold', 'out' or 'rest', and after a pause or a new pace what "
    "is left of the phase. To breathe along with a screen reader, a braille display or no "
    "sound."
)
"""``--pacer-lines`` of ``live`` and ``replay``."""


def no_pacer_note(sound_on: bool, *, paced: bool, players_found: Callable[[], bool]) -> str:
    """What a headless session without ``--pacer-lines`` says once before its start when
    nothing will pace the person, or ``""``.

    Headless, the lines show breaths, steps and cues but not the pacer, which the screen draws
    and the sound plays: without sound a session led by a pacer had nothing to breathe along
    to, and said so only at the first session per data folder.

    Parameters
    ----------
    sound_on : bool
        ``--sound``/``--no-sound``, or the sound setting.
    paced : bool
        Whether a pacer leads any part of the session (not a session in the own rhythm alone).
    players_found : callable
        Whether a sound output is there (:func:`trainer.ui.sound.output_available`), asked
        only when the sound is on.
    """
    if not paced:
        return ""
    if not sound_on:
        why = "the sound is off (--no-sound or the sound setting)"
    elif not players_found():
        why = "no sound output was found"
    else:
        return ""
    return (
        f"note: no pacer to follow: {why}, and these lines do not show it; --pacer-lines "
        "prints a line at each phase ('in 4.0 s', 'out 8.0 s')"
    )


def _say_on_stderr(line: str) -> None:
    """Print ``line`` on standard error, if it is still there (not after a hang-up)."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr, flush=True)


def _note_on_stderr(text: str) -> None:
    print(f"note: {text}", file=sys.stderr, flush=True)


def _show_tips(program: Program, note: str) -> None:
    # Before the start, on stderr: stdout carries only what a replay prints again.
    print(f"{program.title}: {program.description}", file=sys.stderr)
    if program.needs:
        # Before the start, not once the routine has begun.
        print(f"  you need: {', '.join(program.needs)}", file=sys.stderr)
    for tip in program.tips:
        print(f"  tip: {tip}", file=sys.stderr)
    if note:
        print(f"note: {note}", file=sys.stderr)


def live(
    device: Annotated[
        list[str] | None,
        typer.Option(
            "--device",
            "-d",
            help="A sensor's address or name from 'breathwise scan' (twice for a strap and a "
            "belt together); 'none' (no sensor: the pacer, step cards and chimes alone, nothing "
            "measured); 'sim' (a demo: a simulated person with a strap and a belt) or 'sim-hr' "
            "(a simulated heart-rate strap alone). Default: the default_device setting; without "
            "it, one of these must be given.",
        ),
    ] = None,
    pair: Annotated[
        bool,
        typer.Option(
            "--pair", help="Pair (bond) with the sensor first, where the system needs it."
        ),
    ] = False,
    program_name: Annotated[
        str | None,
        typer.Option(
            "--program",
            "-P",
            help="Run a guided program (see 'breathwise programs'). Default: the program "
            "setting, unless --rate or --ratio is given.",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help=f"Pacer rate in breaths per minute, {MIN_RATE_BPM:g}-{MAX_RATE_BPM:g} "
            "(default 6).",
        ),
    ] = None,
    ratio: Annotated[
        float | None,
        typer.Option(
            "--ratio",
            help=f"Exhale:inhale ratio of the pacer, {MIN_RATIO:g}-{MAX_RATIO:g}; e.g. 2 = out "
            "twice as long (default 2).",
        ),
    ] = None,
    minutes: Annotated[
        float | None,
        typer.Option(
            "--minutes",
            "-m",
            help=f"Session length in minutes, above 0 and up to {MAX_MINUTES} (default 10, or "
            "the program's own length; a program with a flexible step is fitted to it, a fixed "
            "one stops early, a resonance assessment not before its second paced rate is done). "
            "Minutes practised: a pause adds its time. With --from-step, the length from that "
            "step on. A step skipped with n brings the later steps sooner; the session ends "
            "when the minutes are practised or the program is over, whichever comes first.",
        ),
    ] = None,
    from_step: Annotated[
        str | None,
        typer.Option(
            "--from-step",
            help="With --program: start at this step, given by its number or its title "
            "('breathwise programs NAME' lists them, e.g. 12 or 'standing side stretch'). "
            "The steps keep their numbers; those before it are left out.",
        ),
    ] = None,
    sound: Annotated[
        bool | None,
        typer.Option(
            "--sound/--no-sound",
            help="Pacer sound, so you can follow with your eyes closed (default: the sound "
            "setting, on).",
        ),
    ] = None,
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="No screen: print one line per breath (for pipes and logs)."
        ),
    ] = False,
    pacer_lines: Annotated[bool, typer.Option("--pacer-lines", help=PACER_LINES_HELP)] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory for the recording, made if missing inside a folder that exists "
            "(default: the recordings directory).",
            readable=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed of the simulated person (sim, sim-hr), 0 or more, for repeatable runs.",
        ),
    ] = None,
) -> None:
    """Run a paced-breathing session: follow the pacer while the sensor measures you.

    The bar fills as you breathe in and empties as you breathe out. Measured breath rate,
    exhale:inhale ratio and heart rate appear beside it with a short coaching cue. The breath
    rate says where it comes from: a belt, the chest accelerometer, or, with a heart-rate strap
    alone, the heart rhythm (rate only; try it with --device sim-hr). With
    --program, a guided program leads: its step card shows what to do, for how long, and on
    which side. With --device none there is no sensor: the pacer, step cards and chimes alone,
    marked NO SENSOR. The simulated sensor (--device sim, a demo) is marked SIMULATED SENSOR on
    the screen and in the summary, as its numbers are not yours.
    With --headless (or --pacer-lines, which prints the pacer's phases as lines too) there is
    no screen: one line per breath, step and cue on standard output, then the summary.
    Keys: p pause, m mark a moment, n next step (in a program: skip the rest of this step,
    e.g. a stretch that does not suit you), q quit (the recording is saved either way; in a
    program done with the eyes closed, q twice within 3 s on the screen, so that a stray key
    does not end it); pressed while the sensor still connects, a mark is kept for the start and
    p makes the session start paused. Ended by a signal instead (Ctrl+C headless, kill, the terminal
    closing), the session is saved too, and the exit status is 128 + the signal's number (143
    for SIGTERM); so is it for a signal while the program still loads (nothing recorded). A
    session whose sensor never connected (the connect failed, or it was quit or ended by a
    signal first) keeps no recording. A sensor lost for good (away for 2 minutes) does not end
    the session: it goes on without it to its planned end, as with --device none, and says so
    (exit status 0); only a resonance assessment, which needs the sensor, ends then (exit
    status 1, with a sound of its own when the sound is on).
    Every session is recorded to the recordings directory; replay it with
    'breathwise replay FILE'.

    Breathwise is a wellness and training tool, not a medical device: it makes no diagnosis.
    In an emergency call emergency services. Back-focused programs first ask the red-flag
    safety questions ('breathwise screen'), with this statement, and between two screens show
    the warning signs and ask whether any is new.

    Example: breathwise live --device sim --rate 5.5 --ratio 2 --minutes 10
    """
    config = load_settings()
    if minutes is not None:
        _minutes(minutes)
    _seed(seed)
    # The pacer as lines is a headless session's: there is no screen to print them beside.
    headless = headless or pacer_lines
    from_settings = program_name is None and rate is None and ratio is None
    if from_settings:
        program_name = config.program
    prepared: PreparedProgram | None = None
    if program_name is not None:
        if rate is not None or ratio is not None:
            raise BadArgument(
                "--program cannot be combined with --rate or --ratio",
                "the program sets the pace; use one or the other",
            )
        try:
            prepared = prepare_program(program_name, config, minutes=minutes, from_step=from_step)
        except BadArgument as exc:
            if not from_settings:
                raise
            # Nobody typed this name: say where it comes from and how to change it.
            raise BadArgument(
                f"{settings_path()}: program = {program_name!r}: {exc}",
                f"{exc.advice}; or 'breathwise config set program default'",
            ) from None
        pattern = None
        duration_s = prepared.duration_s
    else:
        if from_step is not None:
            raise BadArgument(
                "--from-step needs --program: a session without a program has no steps",
                "add --program NAME ('breathwise programs' lists them)",
            )
        pattern = _pattern(6.0 if rate is None else rate, 2.0 if ratio is None else ratio)
        duration_s = (10.0 if minutes is None else minutes) * 60.0
    devices = _devices(device, config.default_device)
    if prepared is not None:
        _check_sensor_needed(prepared.plan.program, devices)
    # The kind the recording header will carry: the screen's mark is then the one the
    # summary, a replay and the history show.
    kind = device_kind(devices[0])
    mark = source_mark(kind)
    if out is not None:
        # A folder the person names is made only if the folder it goes in exists, as for -o
        # elsewhere (a mistyped --out must not become a folder tree); the recordings folder
        # Breathwise owns is made whole, as needed.
        check_output_path(out, "the recording", "recordings", "--out")
    out_dir = out if out is not None else config.effective_recordings_dir
    if out is None and config.recordings_dir is not None:
        _check_configured_recordings_dir(config.recordings_dir)
    if out_dir.exists() and not out_dir.is_dir():
        if out is None:
            raise _recordings_folder_is_a_file(out_dir)
        raise BadArgument(
            f"--out {out_dir} is a file: --out names the folder the recording goes in (the "
            "recording is named by its start time)",
            "give a folder, or leave --out out to record to the recordings folder",
        )
    # Now, not once the person has settled in.
    check_writable_dir(out_dir, advice=SESSION_FOLDER_ADVICE)
    _check_wall_clock()
    play = config.sound if sound is None else sound
    safety_note = ""
    notes: list[str] = []
    # How the program starts (--from-step, cut short): on the screen for its first step only.
    start_note = prepared.note if prepared is not None else ""
    if prepared is not None:
        safety_note = _check_screen(prepared.plan.program)
        if prepared.plan.program.eyes_closed:
            notes += filter(None, [eyes_closed_warning(play)])
        _show_tips(prepared.plan.program, "; ".join(filter(None, [start_note, *notes])))
    elif pattern is not None and pattern.rate_bpm < SLOW_RATE_NOTE_BPM:
        notes = [slow_rate_note(pattern.rate_bpm)]
        _note_on_stderr(notes[0])
    _show_source(kind)
    # Only now that nothing before the start can refuse the session (the safety screen last):
    # before a refusal it was a note for a session that never ran.
    missing_note = not_in_history_note(out_dir)
    if missing_note:
        print(missing_note, file=sys.stderr)
    settings = {
        "device": devices,
        # Recomputed from the phase durations: rounded back to what was asked (6 decimals).
        "rate_bpm": round(pattern.rate_bpm, 6) if pattern is not None else None,
        "ratio": round(pattern.ratio, 6) if pattern is not None else None,
        "minutes": duration_s / 60.0,
        "seed": seed,
        SENSORS_GONE_KEY: when_sensors_gone(prepared.plan.program if prepared else None),
    }
    if prepared is not None and prepared.from_step > 1:
        # The whole program is in the plan: a replay starts its clock at this step too.
        settings[FROM_STEP_KEY] = prepared.from_step
    plan = SessionPlan(
        pattern=pattern,
        duration_s=duration_s,
        settings=settings,
        program=prepared.plan if prepared is not None else None,
    )
    headless = headless or _no_screen()
    listeners = [line_printer(sys.stdout)] if headless else []
    session = LiveSession(plan, out_dir=out_dir, listeners=listeners, pacer_phases=pacer_lines)
    if headless and not pacer_lines:
        paced = pattern is not None or (
            prepared is not None
            and any(isinstance(step.breathing, Paced) for step in prepared.plan.program.steps)
        )
        no_pacer = no_pacer_note(play, paced=paced, players_found=output_available)
        if no_pacer:
            # Once the sensor is connected and the session starts: one that never connects
            # ends with its error alone.
            session.add_start_hook(lambda: _say_on_stderr(no_pacer))
    timeline = (
        ProgramTimeline(prepared.plan.program, personal_rate_bpm=prepared.plan.personal_rate_bpm)
        if prepared is not None
        else None
    )
    notify: ShowNotice | None = None
    app_ref: list[BreathwiseApp] = []
    after_screen: list[str] = []  # notes for stderr found while the screen runs
    settled: list[_Settled] = []
    ended: list[SessionResult] = []
    if not headless:
        from trainer.ui.screen import BreathwiseApp

        title = (
            f"Breathwise — {prepared.plan.program.title}"
            if prepared is not None
            else (
                f"Breathwise — {pattern.rate_bpm:.1f} breaths/min, "
                f"exhale:inhale {pattern.ratio:.1f}"
            )
            if pattern is not None
            else "Breathwise"
        )

        def notify(text: str, shown: Callable[[], None]) -> None:
            # The sound starts inside the app's run: the app exists by then.
            if app_ref:
                app_ref[0].set_note(text, on_shown=shown)

    kept_event = threading.Event()
    signals: list[int] = []
    told: list[int] = []  # the signal that was told the session is being saved: once is enough

    def on_signal(signum: int) -> None:
        signals.append(signum)
        session.stop("interrupted")

    def on_headless_signal(signum: int) -> None:
        # A second Ctrl+C or SIGTERM while the session is closed and kept (the impatient
        # ^C^C, a supervisor repeating its stop) is counted and told to wait: it once raised
        # KeyboardInterrupt inside the history step, or killed the process, and the session
        # was left out of the history.
        if (signals or ended) and not told:
            told.append(signum)
            _still_saving(signum)
        on_signal(signum)

    def exit_when_kept() -> None:
        # Textual's shutdown can block for ever writing to a terminal that has gone away
        # (seen when tmux is killed). Once the session is closed and kept (however long the
        # sensors take to let go), the screen has a few seconds to restore the terminal and
        # exit by itself; if it has not, the process ends here, with the session's status.
        kept_event.wait()
        time.sleep(HANGUP_GRACE_S)
        os._exit(_exit_status(ended[0] if ended else None, signals))

    grace_started = threading.Lock()

    def start_grace() -> None:
        # Once only; never waits (it runs in a signal handler, and in the terminal's watcher).
        if grace_started.acquire(blocking=False):
            threading.Thread(target=exit_when_kept, name="hang-up grace", daemon=True).start()

    def hang_up(signum: int) -> None:
        # The terminal is gone (SIGHUP) or the process is asked to end (SIGTERM, or SIGINT
        # from kill: on the screen a typed Ctrl+C is a key, q): end the
        # session as if quit, so that it is closed, summarised and kept, then close the
        # screen without waiting for a key nobody can press.
        start_grace()
        on_signal(signum)
        if app_ref:
            app_ref[0].close_when_over()

    def screen_ends(loop: asyncio.AbstractEventLoop, signum: int) -> None:
        # The grace exit starts here, outside the screen's loop: a loop stuck in a write to
        # the terminal that went away never ran hang_up.
        start_grace()
        with contextlib.suppress(RuntimeError):  # the loop has closed: the screen is down
            loop.call_soon_threadsafe(hang_up, signum)

    def settle(result: SessionResult) -> _Settled:
        # Said kept from the thread that kept it, not from the screen's loop: a loop stuck in
        # a write to the terminal that went away meanwhile never said it, and the grace exit
        # waited for it for ever (the history step can take seconds).
        kept = _settle(result)
        settled.append(kept)
        kept_event.set()
        return kept

    async def run_session() -> SessionResult:
        if app_ref:
            # Headless runs under _run_with_signals; the screen's loop is Textual's own.
            loop = asyncio.get_running_loop()
            tell = watch_terminal(lambda signum: screen_ends(loop, signum))

            def on_screen_signal(signum: int, frame: FrameType | None) -> None:
                # A Python handler, not the loop's: it runs in the main thread even while
                # the loop is blocked (a lock's wait is interrupted for it).
                tell(signum)

            for sig in early_signals.handled_signals():
                signal.signal(sig, on_screen_signal)
        # Finding a BLE sensor scans, so the source is opened in the session's own event loop;
        # a quit meanwhile ends the scan (up to 10 s a sensor) at once, as it does the connect.
        # A slow sensor takes up to minutes to connect or fail: headless, each retry is said
        # (on stderr: stdout carries only what a replay prints again); the screen shows that
        # it is connecting.
        progress = _note_on_stderr if headless else None
        try:
            found = await session.until_stopped(
                open_source(devices, session, seed=seed, pair=pair, on_progress=progress)
            )
        except BreathwiseDeviceError as exc:
            # Imported here: only a BLE sensor raises it, and bleak loads with it.
            from devices.ble.errors import DeviceNotFoundError

            if device or not isinstance(exc, DeviceNotFoundError):
                raise
            # Nobody typed this name (a strap replaced since it was set): say where it
            # comes from and how to change it, as for the program setting.
            raise DeviceNotFoundError(
                f"{settings_path()}: default_device = {config.default_device!r}: {exc}",
                f"{exc.advice}; or 'breathwise config set default_device NAME' (--device for "
                "one session)",
            ) from None
        source = found if found is not None else _NotFound(devices)
        if settings[SENSORS_GONE_KEY] == CARRY_ON and isinstance(source, KeepsLooking):
            # A session that carries on without its sensors measures again when one comes
            # back: a sensor given up is looked for until the end, not left for good (an
            # assessment, which ends at the give-up, has nothing to look for).
            source.keep_looking()
        program = prepared.plan.program if prepared else None
        strap_note = strap_alone_note(program, source.info) if program else ""
        if program and strap_note:
            # Known once the sensors are found, before they connect and the session starts.
            if not app_ref:
                _note_on_stderr(strap_note)
            else:
                # Said whole once the screen has closed (printed while it runs, Textual takes
                # it), and in brief on the screen.
                after_screen.append(strap_note)
                brief = strap_alone_note(program, source.info, brief=True)
                # First, and before the start note (set_start_note): a program cut short
                # lists the steps left out, which can fill the status line's rows by itself.
                app_ref[0].set_note("; ".join([brief, *notes]))
        audio: SessionSound | None = None
        if play:
            audio = SessionSound(
                session.pacer_state,
                session.now_s,
                end_s=duration_s,
                cue_times_s=timeline.sound_cue_times_s() if timeline is not None else (),
                notify=once_per_setup(
                    notify if notify is not None else print_then_confirm, always=sound is True
                ),
            )
            # From the session's first second, once the sensor is connected: the sound's
            # clock, its chimes and its end bell count from there, as the pacer does.
            session.add_start_hook(audio.start)
            if prepared is not None and prepared.from_step > 1 and timeline is not None:
                # Started further in: the chimes from that step on, in session time.
                cues = timeline.sound_cue_times_s()
                playing = audio
                session.add_start_hook(
                    lambda: _retime_sound(session, playing, cues, session.start_mono_ns)
                )
            session.add_listener(_sound_follows_pauses(session, audio, timeline))
        result: SessionResult | None = None
        try:
            result = await session.run(source)
        finally:
            if audio is not None:
                completed = result is not None and result.summary.get("ended") == "completed"
                # Heard, not only read: a failure before the planned end sounds its own notes.
                failed = result is not None and result.error is not None
                await asyncio.to_thread(audio.stop, completed=completed, failed=failed)
        ended.append(result)
        # The session is shown over, with its summary (the live pipeline's, at hand), before
        # it is saved to the history, which analyses the whole recording again (14 s for an
        # hour's): the person waited at a silent terminal, or at a clock counting on past
        # the planned length, until then.
        saving = SAVING if result.path is not None and not result.displaced else ""
        if app_ref:
            app_ref[0].show_over(result, saving)
        else:
            _tell_summary(result)
            if saving:
                with contextlib.suppress(OSError):  # a hang-up: nobody to tell
                    print(saving, file=sys.stderr, flush=True)
        # Kept while the session's signal handlers still stand: on the screen, now rather
        # than when the summary screen is closed (see _settle); headless, before the loop
        # ends and its handlers with it, so that a signal meanwhile is only counted
        # (on_headless_signal), and what was kept is said in it too.
        kept = await asyncio.to_thread(settle, result)
        if app_ref:
            if kept.status:
                app_ref[0].add_end_note(kept.status)
        else:
            _finish(result, kept)
        return result

    if headless:
        # The screen's keys, read from the terminal while the lines are printed (line_keys).

        def key(action: Callable[[], None]) -> Callable[[], None]:
            # Not once the session has ended: a mark while it is being saved is no moment of it.
            return lambda: None if ended else action()

        keys = {
            "p": key(session.toggle_pause),
            "m": key(session.mark),
            "q": key(lambda: session.stop("quit")),
        }
        if prepared is not None:
            keys["n"] = key(session.next_step)
        result, put_back = _run_with_signals(
            with_keys(run_session, keys),
            on_headless_signal,
            lambda result: _exit_status(result, signals),
        )
        put_back()
        raise typer.Exit(_exit_status(result, signals))
    app = BreathwiseApp(
        session,
        run_session,
        title=title,
        duration_s=duration_s,
        on_pause=session.toggle_pause,
        on_mark=session.mark,
        on_quit=lambda: session.stop("quit"),
        on_next=session.next_step if prepared is not None else None,
        confirm_quit=prepared is not None and prepared.plan.program.eyes_closed,
        hold_at_end=True,
        tips=prepared.plan.program.tips if prepared is not None else (),
        safety_note=safety_note,
        source_mark=mark,
    )
    if notes:
        # Printed before the start too, where the screen at once covers them.
        app.set_note("; ".join(notes))
    if start_note:
        app.set_start_note(start_note)
    app_ref.append(app)
    # The screen's own loop installs the session's handlers (run_session); until then a
    # signal is Python's (KeyboardInterrupt), which lets the screen restore the terminal.
    early_signals.release()
    result_or_none = app.run()
    for note in after_screen:
        _note_on_stderr(note)
    app.raise_failure()
    if result_or_none is None and ended:
        # The screen went down on its own (its terminal gone) after the session ended.
        result_or_none = ended[0]
    if result_or_none is None:
        raise UserError("the session ended without a result")
    _tell_kept(result_or_none, settled[0] if settled else _settle(result_or_none))
    raise typer.Exit(_exit_status(result_or_none, signals))


def _check_wall_clock() -> None:
    """Refuse a session whose start the recording format cannot hold: a wall clock before 1970
    (its clocks are counted from 1970, never below). It was recorded, said saved, and then
    refused by every command as "header damaged".

    Raises
    ------
    UserError
        The system clock reads a time before 1970.
    """
    now_ns = time.time_ns()
    if now_ns >= 0:
        return
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=now_ns // 1000)
    raise UserError(
        f"the system clock reads {moment:%Y-%m-%d %H:%M} UTC, before 1970: a recording cannot "
        "start then",
        "set the computer's date and time, then start again",
    )


def no_screen_reason() -> str | None:
    """Why the full screen cannot run here (None when it can): it needs a terminal on both
    standard input (for the keys) and standard output, and one that can draw its frames and
    bars (a UTF-8 one)."""
    if not sys.stdout.isatty():
        return "standard output is not a terminal"
    if sys.__stderr__ is None or not sys.__stderr__.isatty():
        # Textual draws on standard error (so that standard output can be piped): with it sent
        # to a file the terminal would stay blank while the file fills with escape codes.
        return "standard error is not a terminal, and the screen is drawn there"
    if not sys.stdin.isatty():
        return "standard input is not a terminal, so keys cannot reach the screen"
    if os.environ.get("TERM", "") in ("", "dumb"):
        return f"TERM={os.environ.get('TERM', '')!s} cannot draw it"
    encoding = getattr(sys.__stderr__, "encoding", None)
    if not shows_unicode(encoding):
        # Its frames and bars are box and block characters: in ISO-8859-1 they came out as
        # "\u256d\u2500..." escapes, unreadable; the lines degrade to ASCII.
        return f"the terminal's character set is {encoding}, not UTF-8, which it is drawn in"
    return None


def _no_screen() -> bool:
    """Whether to fall back to headless output, saying so (a screen with nobody to see it or
    press q would never close; from cron, nohup or a pipe it held on for ever)."""
    reason = no_screen_reason()
    if reason is None:
        return False
    keys = ""
    if keys_reach_us(sys.stdin):
        # At a keyboard (`live | tee log`, TERM=dumb, a terminal that is not UTF-8) the keys
        # are read without the screen (line_keys): p, m and q were only echoed, and TERM=dumb
        # and non-UTF-8 said nothing of it.
        keys = "; keys work as on the screen: q or Ctrl+C ends the session and saves it"
    elif sys.stdin.isatty():
        # A keyboard whose keys are not ours to read (a background job).
        keys = "; keys do not work without the screen: Ctrl+C ends the session and saves it"
    print(
        f"note: no screen ({reason}): printing one line per breath instead{keys}",
        file=sys.stderr,
    )
    return True


def _tell_kept(result: SessionResult, settled: _Settled) -> None:
    """Print a finished session's summary on standard output, then what was kept on standard
    error (:func:`_finish`)."""
    _tell_summary(result)
    _finish(result, settled)


def _tell_summary(result: SessionResult) -> None:
    """Print a finished session's summary on standard output (and on standard error too if
    standard output's reader has gone)."""
    # Standard output alone may be gone (piped into `head`, which has exited: EPIPE); what
    # was kept is still said on standard error, which once went unsaid with it (found in
    # review). After a hang-up neither is there: what matters is kept already.
    with contextlib.suppress(OSError):
        if result.recorded:
            summary = format_summary(result.summary)
            print(summary, flush=True)
            if output_gone(sys.stdout):
                # `live ... | tee log` ended by Ctrl+C, which ended tee too: the summary went
                # nowhere; the terminal is still on standard error.
                print(summary, file=sys.stderr, flush=True)


def _still_saving(signum: int) -> None:
    """Say, on standard error, that the session is being saved, for a signal that came
    once it was ending; not after a hang-up (no terminal to read it)."""
    if signum == getattr(signal, "SIGHUP", None):  # (not on Windows)
        return
    with contextlib.suppress(OSError):
        print(STILL_SAVING, file=sys.stderr, flush=True)


def _finish(result: SessionResult, settled: _Settled) -> None:
    """Tell the terminal what was kept; a session that failed exits with its error."""
    with contextlib.suppress(OSError):  # a hang-up: the failure is still the exit status
        for line in settled.lines:
            print(line, file=sys.stderr, flush=True)
    if result.error:
        # The error already carries its advice after a dash: what was kept follows it, not a
        # second dash.
        # Not "saved" beside the history's "the file can be deleted".
        kept = "; the recording up to the failure was saved" if result.path else f"; {NOT_KEPT}"
        if settled.empty:
            kept = ""
        raise UserError(result.error + kept)


def _speed(text: str) -> float | None:
    if text.strip().lower() in ("max", "inf", "infinity"):
        return None
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        from trainer.storage.decimal_comma import point_advice

        raise BadArgument(
            f"--speed {text!r} is not a number",
            point_advice(text) or "use 1, a factor such as 10, or max",
        ) from None
    if not math.isfinite(value) or value < MIN_SPEED:
        raise BadArgument(
            f"--speed {text} is out of range",
            f"use {MIN_SPEED:g} (ten times slower than recorded) or more, or max",
        )
    return value


def replay(
    file: Annotated[
        Path,
        typer.Argument(help="A recording (.bwr) written by 'breathwise live'.", readable=False),
    ],
    speed: Annotated[
        str,
        typer.Option(
            "--speed",
            "-s",
            help=f"1 = as recorded, N = N times faster ({MIN_SPEED:g} or more; below 1 is "
            "slower), max = as fast as possible.",
        ),
    ] = "1",
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="No screen: print one line per breath, as the live session did."
        ),
    ] = False,
    pacer_lines: Annotated[
        bool,
        typer.Option(
            "--pacer-lines",
            help=f"{PACER_LINES_HELP} A session run live with --pacer-lines replays the very "
            "lines it printed.",
        ),
    ] = False,
) -> None:
    """Replay a recorded session through the same pipeline as live.

    The raw sensor bytes are decoded and analysed again by today's analysis. A recording made
    by this Breathwise replays exactly what its live session showed; one made before a change
    to the analysis shows what the analysis finds today, and its breaths, cues and numbers can
    differ from the session's. When the summary's numbers differ from those the session closed
    with, a note on standard error names them and the two analyses.

    With --pacer-lines the pacer's phases are printed too, from the pacer changes the recording
    holds (its pace, pauses, program steps and easings), whether or not the live session
    printed them.

    Example: breathwise replay FILE --speed max --headless, with a FILE from 'breathwise history
    --paths' (your recordings, with their whole paths). A real person's session to try it on is
    in the source repository (not installed with the package):
    recordings/sample-neurokit2-resting.bwr.
    """
    factor = _speed(speed)
    headless = headless or pacer_lines
    recording = read_recording(file)
    if recording.still_recording:
        # Not "cut short (session killed?)": the session runs on, and adds itself at its end.
        print(
            f"note: {file} is {STILL_RECORDING_NOTE}; showing what it holds so far",
            file=sys.stderr,
        )
    elif recording.truncated and recording.summary is None:
        print(
            f"note: {file} was cut short (session killed?); replaying what it holds",
            file=sys.stderr,
        )
    elif recording.truncated:
        # Bytes after the closing record (an interrupted append, a bad copy) hold no session
        # data, but skipping them without a word would hide that the file was touched.
        print(
            f"note: {file} ends in an incomplete line after its closing record; it was skipped",
            file=sys.stderr,
        )
    damaged = damage_warning(str(file), damage_text(recording.damage))
    if damaged:
        # Before the replay, as the notes above: what follows is read from these bytes.
        print(damaged, file=sys.stderr)
    if ecg_without_beats(recording.header):
        # Its heart numbers are missing, not unmeasured; said before the replay.
        print(ecg_without_beats_note(str(file)), file=sys.stderr)
    headless = headless or _no_screen()
    listeners = [line_printer(sys.stdout)] if headless else []
    session = ReplaySession(recording, speed=factor, listeners=listeners, pacer_phases=pacer_lines)
    if headless:
        result = asyncio.run(with_keys(session.run, {"q": session.stop})())
        _print_replay_summary(result, recording)
        return
    from trainer.ui.screen import BreathwiseApp

    app = BreathwiseApp(
        session,
        session.run,
        title=f"Breathwise replay — {file.name}",
        duration_s=recording.header.planned_s,
        source_mark=source_mark(recording.header.source.kind),
        replay=True,
    )
    ui_result = app.run()
    app.raise_failure()
    if ui_result is not None:
        _print_replay_summary(ui_result, recording)


def _print_replay_summary(result: SessionResult, recording: Recording) -> None:
    """The replay's summary; one stopped early says how far it got, as the numbers cover
    only that part, and one that went to the end whether its numbers are those the session
    closed with (:func:`analysis_changed_note`)."""
    print(format_summary(result.summary), flush=True)
    if result.summary.get("ended") == "replay stopped":
        print(
            f"note: replay stopped at {result.summary.get('duration_s', 0):.0f} s of "
            f"{recording.duration_s:.0f} s; the summary covers the part replayed",
            file=sys.stderr,
        )
        return
    if recording.summary is not None:
        header = recording.header
        note = analysis_changed_note(
            header.software,
            header.analysis_revision,
            recording.summary,
            result.summary,
            damage=damage_text(recording.damage),
            checksums=recording.checksums,
        )
        if note:
            print(note, file=sys.stderr, flush=True)
