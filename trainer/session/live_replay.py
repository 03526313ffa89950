"""Running a session: a live source or a recording, through the pipeline, to listeners.

:class:`LiveSession` records every item *before* processing it (nothing the sensor sent is lost
to a processing error), stops at the planned duration, and always closes the recording with a
summary; a session whose source never connected leaves no recording at all (it would hold
nothing measured). A processing error (a bug) stops the session there: the items that still
come meanwhile are recorded and not processed, and the recording closes with ``ended`` saying
the error (:attr:`LiveSession.processing_failed`). Its clock starts once the source is connected
and streaming: scanning for and connecting to a sensor can take many seconds, none of them
practice, so the pacer, the program, the sound, the screen and the planned duration all count
from there. A mark or a pause pressed meanwhile is kept and, once the source connects, takes
effect at session time 0 (the mark recorded there, the session starting paused). Its planned
end moves later by the time spent paused: the planned minutes are minutes practised, and a
program stands still meanwhile (:mod:`trainer.coaching.program_clock`). Once every sensor is
given up, a session whose header says so (:data:`trainer.session.pipeline.SENSORS_GONE_KEY`)
carries on without them to its planned end, as one without a sensor; any other ends there with
the sensor's error. In a program session the person can skip the rest of a step
(:meth:`LiveSession.next_step`, key ``n``): a recorded ``skip`` pacer change, so a replay skips
at the same instant. The session then ends when either its planned minutes are practised or the
program is over, whichever comes first.
:class:`ReplaySession` feeds a recording through the very same :class:`Pipeline` at real
speed, N times faster, or as fast as possible. Clocks and sleeps are injectable.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from devices.errors import BreathwiseDeviceError, with_advice
from devices.guide import GuideState
from devices.packets import NS_PER_S, RawPacket
from devices.source import LinkEvent, PacketSource
from trainer.coaching.conductor import Conductor
from trainer.coaching.pacer import BreathPattern, PacerState
from trainer.programs.runner import EventKind, TimelineState
from trainer.session.events import Event
from trainer.session.pipeline import Pipeline
from trainer.session.summary import Sensor, SessionSummary, sensor_loss, session_sensors
from trainer.storage.program_codec import PLAN_KEY, ProgramPlan, plan_to_json
from trainer.storage.recording import Header, Item, Mark, PacerChange, Recording, RecordingWriter
from trainer.ui.state import SessionState

Listener = Callable[[list[Event]], None]
StartHook = Callable[[], object]
"""Called once when a live session's clock starts (its source connected); the result is unused."""
T = TypeVar("T")
QUIET_NS = NS_PER_S
"""With no item for this long (ns), the program's pacer changes are made on the host clock."""
TICK_S = 0.25
"""How often a live session's timer wakes at most, s (:meth:`LiveSession._timers`)."""
MIN_TICK_S = 0.005
"""Shortest wait for a pacer cue, s: a cue due now is said at once, without a busy loop."""
CUE_WAKE_SLACK_S = 0.002
"""Woken this much after a cue is due, s, so the wake-up is past it despite rounding."""
CUE_SETTLE_NS = 100_000_000
"""How long (ns) a live session with pacer lines waits after a cue's time before its timer says
it. A sensor's packets are stamped when they arrive and handled a moment later (the simulator
hands out those of the last 20 ms at a time): a cue said before a packet stamped earlier is
handled would come before that packet's lines live and after them in the replay, which has
only the items to go by. A tenth of a second is late enough for that and early enough to
breathe by; with packets flowing, the first one past a cue says it before the timer does."""
PROCESSING_ADVICE = (
    "a bug in Breathwise: please report it and send the recording, which 'breathwise replay' "
    "can show"
)
"""What a person is told to do after a processing error stopped their session."""


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """What a session is asked to do.

    Attributes
    ----------
    pattern : BreathPattern or None
        The pacer pattern; ``None`` coaches the person's own rhythm toward ``target_ratio``.
    target_ratio : float
        Exhale:inhale ratio coached in own-rhythm mode.
    duration_s : float
        Planned length; the session ends by itself after it.
    settings : dict
        Stored in the recording header as given (CLI values...).
    program : ProgramPlan or None
        A program to conduct: its steps set the pacer (``pattern`` is then unused), and the plan
        goes into the header (``settings["program"]`` its name, ``settings["program_plan"]``
        the whole plan) so a replay needs nothing else.
    """

    pattern: BreathPattern | None
    duration_s: float
    target_ratio: float = 1.5
    settings: dict[str, Any] = field(default_factory=dict)
    program: ProgramPlan | None = None


@dataclass(frozen=True, slots=True)
class SessionResult:
    """How a session ended: the recording written (if any), its summary, the error that ended
    it (a device's, the disk's or a processing error's, as one line with its advice), and what
    became of the recording if ``path`` no longer names it (moved or deleted meanwhile)."""

    path: Path | None
    summary: SessionSummary
    error: str | None = None
    displaced: str = ""

    @property
    def recorded(self) -> bool:
        """Whether the session recorded anything (kept, or moved or deleted meanwhile): one
        whose sensor never connected has no summary worth printing ("summary: 0 s ...")."""
        return self.path is not None or bool(self.displaced)


class _SessionBase:
    """Shared by live and replay: pipeline, screen state, listeners."""

    pipeline: Pipeline | None

    def __init__(self, listeners: Sequence[Listener]) -> None:
        self.state = SessionState()
        self.pipeline = None
        self._listeners = list(listeners)

    def _sensors(self) -> tuple[Sensor, ...]:
        """The session's sensors, whose gaps :func:`sensor_loss` tells apart."""
        return session_sensors(self.pipeline.header.source) if self.pipeline else ()

    def add_listener(self, listener: Listener) -> None:
        """Also send every later batch of events to ``listener``."""
        self._listeners.append(listener)

    def _dispatch(self, events: list[Event]) -> None:
        if not events:
            return
        self.state.apply(events)
        for listener in self._listeners:
            listener(events)

    def pacer_state(self, t_s: float) -> PacerState | None:
        """The pacer at session time ``t_s``, or None in own-rhythm mode / before start."""
        if self.pipeline is None or self.pipeline.pacer is None:
            return None
        return self.pipeline.pacer.state(t_s)

    def program_state(self, t_s: float) -> TimelineState | None:
        """The program at session time ``t_s`` (step, side, repetition, cue), if one runs.

        The program is asked at the program time of ``t_s``: while paused its timers stand.
        """
        program_t_s = self.program_time_s(t_s)
        if program_t_s is None or self.pipeline is None or self.pipeline.program is None:
            return None
        return self.pipeline.program.at(program_t_s)

    def practised_s(self, t_s: float) -> float:
        """Session seconds at ``t_s`` less the pauses so far (an open one up to ``t_s``); a
        skipped step is not practised, and not subtracted either: it was never begun."""
        if self.pipeline is None:
            return t_s
        return self.pipeline.program_clock.practised_s(t_s)

    def program_time_s(self, t_s: float) -> float | None:
        """Program seconds at session second ``t_s`` (less the pauses so far, plus what was
        skipped), or None without a program."""
        if self.pipeline is None or self.pipeline.program is None:
            return None
        return self.pipeline.program_clock.program_s(t_s)

    def guide_at(self, t_s: float) -> GuideState | None:
        """:class:`devices.guide.BreathingGuide` for a simulated person: follows our pacer."""
        if self.pipeline is None or self.pipeline.pacer is None:
            return None
        return self.pipeline.pacer.guide_at(t_s)


class LiveSession(_SessionBase):
    """A session on a live source (the simulator or a BLE sensor).

    Parameters
    ----------
    plan : SessionPlan
        Pacer pattern, duration, settings for the header.
    out_dir : Path or None
        Where to record; ``None`` records nothing (only for tests and demos).
    listeners : sequence of callables
        Called with each list of pipeline events, in order.
    clock_ns, wall_ns : callables
        Host monotonic and wall clocks in ns (injectable); the session's only clocks. Session
        time 0 is their reading once the source is connected (:attr:`started`).
    sleep : callable
        ``asyncio.sleep`` or a test double.
    pacer_phases : bool
        Report the pacer's cues (:class:`trainer.session.events.PhaseEvent`, for
        ``--pacer-lines``) on time: the timer then wakes for each one and says it
        :data:`CUE_SETTLE_NS` after its time, with no sensor or a quiet one too.
    """

    def __init__(
        self,
        plan: SessionPlan,
        *,
        out_dir: Path | None,
        listeners: Sequence[Listener] = (),
        clock_ns: Callable[[], int] = time.monotonic_ns,
        wall_ns: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pacer_phases: bool = False,
    ) -> None:
        super().__init__(listeners)
        self.plan = plan
        self.pacer_phases = pacer_phases
        self.out_dir = out_dir
        self._clock_ns = clock_ns
        self._wall_ns = wall_ns
        self._sleep = sleep
        # Set again by _begin, once the source is connected: finding and connecting a sensor
        # (seconds, at times minutes) is not part of the session.
        self.start_mono_ns = clock_ns()
        self.start_wall_ns = wall_ns()
        self._start_hooks: list[StartHook] = []
        # Pressed while the source still connects: there is no session yet to record them in,
        # and nothing a person presses is lost, so they wait for session time 0 (_begin).
        self._early_marks: list[str] = []
        self._start_paused = False
        self.writer: RecordingWriter | None = None
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._last_item_ns = self.start_mono_ns
        self.conductor: Conductor | None = None
        self._failure: str | None = None

    @property
    def started(self) -> bool:
        """Whether the session's clock runs: its source is connected (or it never will be and
        the session has been closed): it has a pipeline from then on (:meth:`_begin`)."""
        return self.pipeline is not None

    @property
    def early_marks(self) -> tuple[str, ...]:
        """Labels of the marks made while the source still connects, to be recorded at session
        time 0 once it starts (empty once started)."""
        return tuple(self._early_marks)

    @property
    def start_paused(self) -> bool:
        """Whether the session will start paused: pause was pressed (an odd number of times)
        while the source still connected. False once started (the pause is then recorded)."""
        return self._start_paused

    def add_start_hook(self, hook: StartHook) -> None:
        """Call ``hook`` once, when the source is connected and session time 0 is taken (e.g.
        start the pacer sound then, so that it plays from the session's first second)."""
        self._start_hooks.append(hook)

    # ------------------------------------------------------------------ user actions
    def now_s(self) -> float:
        """Session seconds now, by the host clock; 0 until the source is connected."""
        if not self.started:
            return 0.0
        return (self._clock_ns() - self.start_mono_ns) / NS_PER_S

    def mark(self, label: str = "") -> None:
        """Record a user mark now; while the source still connects, at session time 0 once it
        starts (the earliest moment the session has)."""
        if not self.started:
            self._early_marks.append(label)
            return
        self.handle(Mark(self._clock_ns(), self._wall_ns(), label))

    def toggle_pause(self) -> None:
        """Pause the pacer and the program (sensor data keeps being recorded), or resume.

        A plain session pauses only a pacer (own rhythm has nothing to pause); a program
        session can pause in any step, and its program stands still until the resume. While the
        source still connects, it toggles whether the session will start paused.
        """
        if not self.started:
            if self.plan.pattern is not None or self.plan.program is not None:
                self._start_paused = not self._start_paused
            return
        pipeline = self.pipeline
        if pipeline is None or (pipeline.pacer is None and pipeline.program is None):
            return
        now_ns = self._clock_ns()
        if self.conductor is not None and self._failure is None:
            # What the program had due before this instant happens before the pause, not after.
            with self._processing():
                for change in self.conductor.before(now_ns):
                    self._handle_one(change)
        action = "resume" if self.state.paused else "pause"
        self.handle(PacerChange(now_ns, self._wall_ns(), action))

    def next_step(self) -> None:
        """Skip the rest of the program's current step (key ``n``): the program goes on at the
        start of the next one, now, and a pause ends (``docs/reference/programs.md``: "Never
        push into pain"; the back routine's tip: skip a stretch that does not suit you).

        Recorded as a ``skip`` pacer change, whose effect the pipeline derives from the program
        (:meth:`trainer.session.pipeline.Pipeline._skip`), so a replay skips exactly as the live
        session did. Nothing happens without a program, before the session has started (a
        start further in is ``--from-step``), or once the program is over.
        """
        pipeline = self.pipeline
        if pipeline is None or pipeline.program is None or self._failure is not None:
            return
        now_ns = self._clock_ns()
        state = pipeline.program.at(pipeline.program_time_s(now_ns))
        if state.finished or now_ns >= self.end_ns(now_ns):
            return
        conductor = self.conductor
        if conductor is not None:
            # What the program had due before this instant happens before the skip.
            with self._processing():
                for change in conductor.before(now_ns):
                    self._handle_one(change)
        self.handle(PacerChange(now_ns, self._wall_ns(), "skip"))
        if conductor is not None and self._failure is None:
            # The next step's pace now, stamped at the skip, not at the next sensor packet.
            with self._processing():
                for change in conductor.before(now_ns):
                    self._handle_one(change)

    def set_pattern(self, pattern: BreathPattern, label: str = "") -> None:
        """Change the pacer now (keeps its phase)."""
        self.handle(
            PacerChange(self._clock_ns(), self._wall_ns(), "set", pattern.to_dict(), label=label)
        )

    def stop(self, reason: str = "stopped") -> None:
        """End the session soon; the recording is closed with its summary."""
        self._stop_reason = reason
        self._stop.set()

    @property
    def processing_failed(self) -> str | None:
        """The processing error that stopped the session (one line with its advice), if any.

        Processing is the pipeline, the conductor and the listeners, everything done with an
        item once it is recorded. An exception there (a bug: expected failures are the
        device's, handled apart) once ended the session with a traceback, stopped the
        recording, and closed it as ``completed``. Now the session stops,
        as it does when the disk is full: its coaching, screen and program all come from the
        processing, and a person must not practise on, uncoached, before a frozen screen.
        Every item that comes until the session has stopped is still recorded, and nothing
        more is processed (the pipeline's state is unknown after the error); the recording
        closes with ``ended`` ``error: ...`` (:attr:`SessionResult.error`).
        """
        return self._failure

    @contextlib.contextmanager
    def _processing(self) -> Iterator[None]:
        """Run the processing of recorded items; an exception stops the session
        (:attr:`processing_failed`) instead of ending it with a traceback."""
        try:
            yield
        except Exception as exc:  # a bug, whatever it is: the recording must still close
            if self._failure is None:
                # At the last item, or at the end when closing (an item past it ends it).
                at_ns = min(self._last_item_ns, self.end_ns(self._last_item_ns))
                t_s = max(0.0, (at_ns - self.start_mono_ns) / NS_PER_S)
                what = " ".join(f"{type(exc).__name__}: {exc}".split())
                self._failure = with_advice(
                    f"processing failed {t_s:.1f} s into the session ({what}), so the session "
                    "was stopped",
                    PROCESSING_ADVICE,
                )
            self._stop.set()

    def _check_writer(self) -> None:
        """End the session when the recording cannot be written (a full disk): going on would
        coach a session nothing keeps."""
        if self.writer is not None and self.writer.failure is not None and not self._stop.is_set():
            self.stop("recording failed")

    # ------------------------------------------------------------------ the loop
    def handle(self, item: Item) -> None:
        """Record one item, then process it (the order that loses nothing).

        Around it, the conductor's pacer changes are handled the same way: those the program
        puts before the item's time first, those its events call for (easing) after.
        """
        if self.pipeline is None:
            # Before the start (still connecting) there is no session to record into.
            return
        conductor = self.conductor
        if conductor is not None and not isinstance(item, PacerChange) and not self._failure:
            with self._processing():
                for change in conductor.before(item.t_mono_ns):
                    self._handle_one(change)
        events = self._handle_one(item)
        if conductor is not None and not self._failure:
            with self._processing():
                for change in conductor.after(events, item.t_mono_ns):
                    self._handle_one(change)

    def _handle_one(self, item: Item) -> list[Event]:
        if self.writer is not None:
            self.writer.write_item(item)
            self._check_writer()
        self._last_item_ns = max(self._last_item_ns, item.t_mono_ns)
        if self.pipeline is None or self._failure is not None:
            return []
        events: list[Event] = []
        with self._processing():
            events = self.pipeline.handle((item,))
            self._dispatch(events)
        return events

    async def run(self, source: PacketSource) -> SessionResult:
        """Run until the planned duration, :meth:`stop`, a device failure, a full disk or a
        processing error (:attr:`processing_failed`).

        The session's clock starts once ``source`` is connected: its planned duration, pacer,
        program and recording all count from there. A source that never connects (a failure,
        or :meth:`stop` first) leaves no recording (the result's ``path`` is None), a mark or a
        pause pressed while it connected included: there was no session for them to be part of.
        """
        error: str | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                connected = await self._connect(stack, source)
                self._begin(source, connected=connected)
                if connected:
                    await self._stream(source)
        except BreathwiseDeviceError as exc:
            error = exc.user_message()
        except Exception as exc:
            # A bug in the source's code (a device's own failures are the errors above): the
            # recording closes saying so, not as "completed", and the
            # bug goes on to the command's handler of bugs, which keeps its traceback.
            error = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())
            raise
        finally:
            if self.pipeline is None:
                self._begin(source, connected=False)
            assert self.pipeline is not None
            # The later of the clock and the last item: a source may run ahead of a test clock.
            now_ns = max(self._clock_ns(), self._last_item_ns)
            end_mono = min(now_ns, self.end_ns(now_ns))
            if self._failure is None:
                with self._processing():
                    # What the program had due by the end (its end itself, when it ran through).
                    self._dispatch(self.pipeline.finish(end_mono))
            duration_s = max(0.0, (end_mono - self.start_mono_ns) / NS_PER_S)
            summary = self._closing_summary(duration_s)
            error = error or self._failure
            if self.writer is not None and self.writer.failure is not None:
                error = self.writer.failure_message
            summary["ended"] = f"error: {error}" if error else (self._stop_reason or "completed")
            summary.update(
                sensor_loss(self.pipeline.gaps, summary.get("duration_s", 0.0), self._sensors())
            )
            if self.writer is not None:
                self.writer.close(summary, t_mono_ns=end_mono, t_wall_ns=self._wall_ns())
        if self.writer is None:
            return SessionResult(None, summary, error)
        return SessionResult(self.writer.path, summary, error, self.writer.displaced)

    def _closing_summary(self, duration_s: float) -> SessionSummary:
        """The summary the recording closes with: the pipeline's, or, when a processing error
        keeps it from giving one, the duration alone (a replay recomputes the rest)."""
        assert self.pipeline is not None
        with self._processing():
            return self.pipeline.summary(duration_s)
        return {"duration_s": duration_s}

    def _begin(self, source: PacketSource, *, connected: bool) -> None:
        """Start the session now: its clocks, header, pipeline, recording and conductor.

        Called once ``source`` is connected and streaming, so that the time spent scanning and
        connecting counts in neither the duration nor the program. A packet the sensor sent
        in the instant between the end of the connect and this call keeps its true stamp, a
        few milliseconds before session time 0.
        """
        self.start_mono_ns = self._clock_ns()
        self.start_wall_ns = self._wall_ns()
        self._last_item_ns = self.start_mono_ns
        settings = dict(self.plan.settings)
        if self.plan.program is not None:
            settings["program"] = self.plan.program.program.name
            settings[PLAN_KEY] = plan_to_json(self.plan.program)
        # After the connect, the source's details (firmware, battery) are known too.
        header = Header(
            start_mono_ns=self.start_mono_ns,
            start_wall_ns=self.start_wall_ns,
            source=source.info,
            settings=settings,
        )
        self.pipeline = Pipeline(header, phases=self.pacer_phases)
        self.state.set_source(header.source)
        # Never connected, a recording would hold only the header and the pacer's first
        # setting: nothing measured. It was left for the person to delete,
        # when a sensor never found leaves nothing. A mark or a pause pressed while connecting
        # keeps nothing either: a mark places a moment of a session, and there was none (one
        # kept for its mark alone was then summarised as 0 s and called deletable).
        if self.out_dir is not None and connected:
            self.writer = RecordingWriter.create(self.out_dir, header)
        # The pipeline lays the program out from the header: the conductor uses that very
        # timeline, so what is conducted is what a replay will show.
        self.conductor = Conductor(
            self.start_mono_ns,
            self.start_wall_ns,
            timeline=self.pipeline.program,
            pattern=self.plan.pattern,
            target_ratio=self.plan.target_ratio,
            clock=self.pipeline.program_clock,
        )
        for change in self.conductor.start():
            self._handle_one(change)
        # What was pressed while connecting, at session time 0 and in the order that reads
        # right: the marks, then the pause (the first pattern is set, so there is one to pause).
        # Not when the source never connected: there is no session for them to be part of.
        for label in self._early_marks if connected else ():
            self.handle(Mark(self.start_mono_ns, self.start_wall_ns, label))
        self._early_marks.clear()
        if self._start_paused and connected:
            self.handle(PacerChange(self.start_mono_ns, self.start_wall_ns, "pause"))
        self._start_paused = False
        if connected:
            for hook in self._start_hooks:
                hook()

    async def until_stopped(self, work: Awaitable[T]) -> T | None:
        """The result of ``work`` (finding or connecting a sensor), or None when :meth:`stop`
        comes first: ``work`` is then cancelled (a sensor can take minutes to find and
        connect, and a person who quits meanwhile means it). A failure of ``work`` is raised.
        """
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not task.done():
            # Cancelled mid-connect, the source releases what it had opened.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        return task.result()

    async def _connect(self, stack: contextlib.AsyncExitStack, source: PacketSource) -> bool:
        """Open ``source`` on ``stack``; False when :meth:`stop` comes first."""
        return await self.until_stopped(stack.enter_async_context(source)) is not None

    async def _stream(self, source: PacketSource) -> None:
        """Take the source's items until the planned end, :meth:`stop`, or its failure.

        A source that fails because its last sensor was given up (it said so with a link
        event first) leaves a session that carries on without its sensors
        (:attr:`trainer.session.pipeline.Pipeline.carries_on`) to its timers, as one with no
        sensor at all: the pacer, the program and the sound go on to the planned end.
        """
        consumer = asyncio.create_task(self._consume(source))
        timers = asyncio.create_task(self._timers())
        stopper = asyncio.create_task(self._stop.wait())
        waiting: set[asyncio.Task[Any]] = {consumer, timers, stopper}
        while True:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if done != {consumer} or not self._carries_on(consumer):
                break
        # Its error was the end of its sensors, which the session outlived: not raised again.
        carried_on = consumer.done() and self._carries_on(consumer)
        for task in (consumer, timers, stopper):
            task.cancel()
        for task in (timers, stopper) if carried_on else (consumer, timers, stopper):
            # The source's failure, when it ends the session, is raised here.
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _carries_on(self, consumer: asyncio.Task[None]) -> bool:
        """Whether the session goes on after ``consumer`` (done) ended: its source failed with
        a device's error once every sensor had been given up, in a session that carries on
        without them (its header says so; otherwise the session would end there, before its
        planned end and without a sound). Any other end of the source ends the session."""
        if consumer.cancelled():
            return False
        error = consumer.exception()
        pipeline = self.pipeline
        return (
            isinstance(error, BreathwiseDeviceError)
            and pipeline is not None
            and pipeline.carries_on
            and pipeline.sensors_gone_s is not None
            and self._failure is None
        )

    def end_ns(self, t_mono_ns: int) -> int:
        """The planned end (host monotonic ns) as known at ``t_mono_ns``.

        The planned duration after the start, plus the time paused before ``t_mono_ns`` (an
        open pause up to it): the planned minutes are minutes practised, and the end is never
        reached while paused. After a skip (or a start further in) the program can end first:
        the session then ends with it, once what is left of the program after the skips is
        practised.
        """
        # Rounded, as the program clock rounds every program instant (not truncated a ns short).
        practise_ns = round(self.plan.duration_s * NS_PER_S)
        pipeline = self.pipeline
        if pipeline is None:
            return self.start_mono_ns + practise_ns
        clock = pipeline.program_clock
        offset = t_mono_ns - self.start_mono_ns
        if pipeline.program is not None and clock.skips:
            program_ns = round(pipeline.program.end_s * NS_PER_S)
            practise_ns = min(practise_ns, program_ns - clock.skipped_ns(offset))
        return self.start_mono_ns + practise_ns + clock.paused_ns(offset)

    async def _consume(self, source: PacketSource) -> None:
        async for item in source.packets():
            t_ns = item.t_mono_ns if isinstance(item, RawPacket | LinkEvent) else 0
            if t_ns > self.end_ns(t_ns):
                # Not handled, but it shows that the planned end has passed: the session ends
                # at its end, not at the last item before it (a source can run ahead of a
                # test's clock).
                self._last_item_ns = max(self._last_item_ns, t_ns)
                return
            self.handle(item)

    async def _timers(self) -> None:
        # Wakes up a few times a second: flushes quiet periods and ends the session on time even
        # when the sensor is silent.
        while (now := self._clock_ns()) < self.end_ns(now):
            if self.writer is not None:
                # Quiet (no sensor, or one gone): a clock record keeps how long it ran.
                self.writer.keep_time(now, self._wall_ns())
                self.writer.flush_if_due()
                self._check_writer()
            quiet = now - self._last_item_ns > QUIET_NS
            if (
                self.conductor is not None
                and (quiet or self.pacer_phases)
                and self._failure is None
            ):
                with self._processing():
                    # The sensor is silent: the program still moves on, on the host clock.
                    # With pacer lines, at every tick: a cue must be said from the pace the
                    # program has set by then, and on time with a sensor sending once a second.
                    for change in self.conductor.before(now):
                        self._handle_one(change)
                    if self.pipeline is not None and self._failure is None:
                        # Its steps and cues are said now too, not at the next item (with no
                        # sensor, the next step's pacer change or the end).
                        reach = now - CUE_SETTLE_NS if self.pacer_phases else now
                        self._dispatch(self.pipeline.catch_up(reach))
            await self._sleep(self._tick_s(now))

    def _tick_s(self, now_ns: int) -> float:
        """Seconds until the timer's next tick: :data:`TICK_S`, or sooner (``pacer_phases``)
        for the pacer's next cue or the program's next change of pace, which can retime the
        phase it lands in: :data:`CUE_SETTLE_NS` after either."""
        pipeline = self.pipeline
        if not self.pacer_phases or pipeline is None:
            return TICK_S
        now_s = (now_ns - self.start_mono_ns) / NS_PER_S
        due = [t for t in (pipeline.next_phase_s, self._next_pace_change_s(now_s)) if t is not None]
        if not due:
            return TICK_S
        wait_s = min(due) + CUE_SETTLE_NS / NS_PER_S + CUE_WAKE_SLACK_S - now_s
        return min(TICK_S, max(MIN_TICK_S, wait_s))

    def _next_pace_change_s(self, now_s: float) -> float | None:
        """Session time (s) of the program's next change of pace within a tick of ``now_s``,
        or None (no program, paused, or none that soon). The conductor makes it at the next
        tick or item after its time (its pattern change is stamped there), so the tick is
        set for it."""
        pipeline = self.pipeline
        if pipeline is None or pipeline.program is None or pipeline.program_clock.paused:
            return None
        program_now_s = pipeline.program_clock.program_s(now_s)
        for event in pipeline.program.events(program_now_s, program_now_s + TICK_S):
            if event.kind is EventKind.PATTERN:
                # Not paused, so program time runs on with session time until then.
                return now_s + (event.t_s - program_now_s)
        return None


class AlwaysStarted:
    """A session with no connecting phase (a replay: a pause or a mark pressed while a live
    session connected is in its recording), answering as :class:`LiveSession` does once
    started."""

    @property
    def started(self) -> bool:
        """Always started."""
        return True

    @property
    def start_paused(self) -> bool:
        """Never paused before the start."""
        return False

    @property
    def early_marks(self) -> tuple[str, ...]:
        """No marks waiting for the start."""
        return ()


class ReplaySession(AlwaysStarted, _SessionBase):
    """Feed a recording through the live pipeline.

    Parameters
    ----------
    recording : Recording
        What :func:`trainer.storage.recording.read_recording` returned.
    speed : float or None
        1 = as recorded, N = N times faster, None = as fast as possible.
    pacer_phases : bool
        Report the pacer's cues (:class:`trainer.session.events.PhaseEvent`) from the
        recorded pacer changes, as the live session with ``pacer_phases`` did; a timed replay
        says each on time.
    """

    BATCH = 4096
    """Items handled between yields to the event loop at maximum speed (keeps a UI responsive)."""
    STOP_CHECK_S = 0.25
    """Longest wait, in seconds, before a timed replay notices :meth:`stop`."""

    def __init__(
        self,
        recording: Recording,
        *,
        speed: float | None,
        listeners: Sequence[Listener] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pacer_phases: bool = False,
    ) -> None:
        super().__init__(listeners)
        self.recording = recording
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self.pipeline = Pipeline(recording.header, phases=pacer_phases)
        self.state.set_source(recording.header.source)
        self._t_s = 0.0
        self._paused_at: float | None = None
        self._replay_start = 0.0
        self._stopped = False

    def stop(self) -> None:
        """End the replay at the item it has reached; :meth:`run` returns the summary so far."""
        self._stopped = True

    def now_s(self) -> float:
        """Session seconds the replay has reached."""
        if self.speed is None or self._paused_at is not None:
            return self._t_s
        return max(self._t_s, (self._clock() - self._replay_start) * self.speed)

    def _item_t_s(self, item: Item) -> float:
        return self._item_t_s_at(item.t_mono_ns)

    def _item_t_s_at(self, t_mono_ns: int) -> float:
        return (t_mono_ns - self.recording.header.start_mono_ns) / NS_PER_S

    async def _wait_for(self, t_s: float) -> None:
        """Wait, in a timed replay, until session second ``t_s`` is due (or a stop)."""
        assert self.speed is not None
        while not self._stopped:
            delay = self._replay_start + t_s / self.speed - self._clock()
            if delay <= 0.002:
                return
            self._catch_up(t_s)
            # In short naps, so that a stop during a long gap in the recording is not kept
            # waiting for the next item, nor a pacer cue said late.
            await self._sleep(min(delay, self.STOP_CHECK_S, self._until_cue_s()))

    def _until_cue_s(self) -> float:
        """Seconds of replay until the pacer's next cue falls due (``pacer_phases``; else
        infinite)."""
        assert self.pipeline is not None and self.speed is not None
        due_s = self.pipeline.next_phase_s
        if due_s is None:
            return math.inf
        reached_s = (self._clock() - self._replay_start) * self.speed
        return max(MIN_TICK_S, (due_s + CUE_WAKE_SLACK_S - reached_s) / self.speed)

    def _catch_up(self, next_item_t_s: float) -> None:
        """Say a program's steps and cues, and a sensor silent since the start
        (:data:`trainer.session.pipeline.SILENT_SAY_S`), that fall due while a timed replay
        waits for its next item, as the live session's timer did (:meth:`LiveSession._timers`).

        A sensorless recording holds items only at pacer changes, so its repetitions and cues
        came in bursts at the next step. As live, only once the recording
        has been quiet for :data:`QUIET_NS`: while items flow, each brings its own events, in
        the order the live session printed them; and never past the next item, whose events
        come after. The same events at the same session times, so the lines are the live
        session's.
        """
        assert self.pipeline is not None and self.speed is not None
        reached_s = min(next_item_t_s, (self._clock() - self._replay_start) * self.speed)
        # Pacer cues are said on time, not after a second of quiet: in the order of their
        # times with the program's events however the calls fall (Pipeline), so as live.
        if reached_s - self._t_s <= QUIET_NS / NS_PER_S and not self.pipeline.phases:
            return
        start_ns = self.recording.header.start_mono_ns
        self._dispatch(self.pipeline.catch_up(start_ns + round(reached_s * NS_PER_S)))

    def _killed_reached_s(self) -> float:
        """Session seconds of a cut-short recording's last clock record, 0 without one."""
        clock_ns = self.recording.clock_mono_ns
        return 0.0 if clock_ns is None else self._item_t_s_at(clock_ns)

    async def run(self) -> SessionResult:
        """Replay every item; returns the recomputed summary."""
        assert self.pipeline is not None
        items = self.recording.items
        if self.speed is None:
            for start in range(0, len(items), self.BATCH):
                if self._stopped:
                    break
                chunk = items[start : start + self.BATCH]
                self._dispatch(self.pipeline.handle(chunk))
                self._t_s = self._item_t_s(chunk[-1])
                await self._sleep(0)
        else:
            self._replay_start = self._clock()
            for item in items:
                t_s = self._item_t_s(item)
                await self._wait_for(t_s)
                if self._stopped:
                    break
                self._t_s = t_s
                self._dispatch(self.pipeline.handle((item,)))
        end_ns = self.recording.end_mono_ns
        # Cut short (killed), the session ran at least to its last clock record: a sensorless
        # one has no item after its last pacer change, and read to its last item it was 0 s.
        reached_ns = self.recording.reached_mono_ns
        if self.speed is not None:
            # To the recorded end, as the session ran: its last cues fall in between.
            await self._wait_for(self._item_t_s_at(reached_ns))
        if self._stopped:
            # Measured up to where the replay was stopped, not to the recording's end.
            summary = self.pipeline.summary(self._t_s)
            summary["ended"] = "replay stopped"
            summary.update(sensor_loss(self.pipeline.gaps, self._t_s, self._sensors()))
            return SessionResult(self.recording.path, summary)
        if end_ns is not None:
            end_t_s = self._item_t_s_at(end_ns)
        else:
            end_t_s = max(self.pipeline.last_t_s, self._killed_reached_s())
        self._t_s = max(self._t_s, end_t_s)
        if end_ns is not None:
            # As the live session did at its recorded end: the program's end is said again.
            self._dispatch(self.pipeline.finish(end_ns))
        elif self.recording.clock_mono_ns is not None:
            # What the live session's timer said up to its last clock record (steps, cues).
            self._dispatch(self.pipeline.catch_up(self.recording.clock_mono_ns))
        summary = self.pipeline.summary(end_t_s)
        summary["ended"] = self.recording.ended
        summary.update(sensor_loss(self.pipeline.gaps, end_t_s, self._sensors()))
        return SessionResult(self.recording.path, summary)
