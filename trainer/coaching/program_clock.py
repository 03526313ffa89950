"""Program time: session time with the pauses taken out.

A program (:class:`trainer.programs.runner.ProgramTimeline`) is laid out on its own clock, which
stands still while the person has paused: the steps, cues, repetitions and sides wait for them.
:class:`ProgramClock` maps session time to program time and back, given the instants at which
the session was paused and resumed. Those instants are recorded pacer changes, so live, replay
and batch, feeding the clock the same changes, derive the same program time from the recording
alone.

Times are kept in integer nanoseconds since the session start, as the recording stamps them:
an instant stamped ``round(p * 1e9) + paused`` maps back to exactly ``round(p * 1e9)`` of
program time, so a change the program placed at ``p`` is seen at ``p`` again on replay, with
no floating-point drift. Without a pause both directions are the identity, so sessions and
recordings without a pause behave exactly as they did before program time existed.
"""

from __future__ import annotations

NS_PER_S = 1_000_000_000


class ProgramClock:
    """Session nanoseconds to program nanoseconds, given the session's pauses.

    Every argument is an offset from the session start, in nanoseconds. A pause is open from
    :meth:`pause` until :meth:`resume`; while it is open, program time stands still.
    """

    __slots__ = ("_pauses",)

    def __init__(self) -> None:
        # (start, end) session offsets of each pause, in order; end None while it is open.
        self._pauses: list[tuple[int, int | None]] = []

    @property
    def paused(self) -> bool:
        """Whether a pause is open."""
        return bool(self._pauses) and self._pauses[-1][1] is None

    @property
    def pauses(self) -> tuple[tuple[int, int | None], ...]:
        """Each pause as ``(start_ns, end_ns)`` session offsets; ``end_ns`` is None while open."""
        return tuple(self._pauses)

    def pause(self, t_ns: int) -> None:
        """Stop program time at session offset ``t_ns`` (ignored while already paused)."""
        if self.paused:
            return
        # Items arrive in time order; a stamp before the last resume is clamped onto it so
        # pauses never overlap.
        if self._pauses:
            t_ns = max(t_ns, self._pauses[-1][1] or t_ns)
        self._pauses.append((t_ns, None))

    def resume(self, t_ns: int) -> None:
        """Let program time run again from session offset ``t_ns`` (ignored when not paused)."""
        if not self.paused:
            return
        start, _ = self._pauses[-1]
        self._pauses[-1] = (start, max(start, t_ns))

    def paused_at(self, t_ns: int) -> bool:
        """Whether session offset ``t_ns`` falls in a pause (an open one runs on)."""
        return any(start <= t_ns and (end is None or t_ns < end) for start, end in self._pauses)

    def paused_ns(self, t_ns: int) -> int:
        """Nanoseconds spent paused before session offset ``t_ns`` (an open pause up to it)."""
        total = 0
        for start, end in self._pauses:
            if t_ns <= start:
                break
            total += (t_ns if end is None else min(t_ns, end)) - start
        return total

    def program_ns(self, t_ns: int) -> int:
        """Program time at session offset ``t_ns``: session time less the pauses before it."""
        return t_ns - self.paused_ns(t_ns)

    def session_ns(self, program_ns: int) -> int:
        """The first session offset at which program time reaches ``program_ns``.

        An instant at which a pause begins belongs before the pause: program time reached there
        maps to the pause's start, not its end. A program time not reached yet because a pause
        is still open is placed as if the pause ended as it began: a lower bound, the best known
        before the resume.
        """
        paused = 0
        for start, end in self._pauses:
            if program_ns <= start - paused:
                break
            if end is None:
                break
            paused += end - start
        return program_ns + paused

    # -- seconds, for screens and plans ----------------------------------------------------------

    def program_s(self, t_s: float) -> float:
        """Program seconds at session second ``t_s`` (the identity before any pause)."""
        paused = self.paused_ns(round(t_s * NS_PER_S))
        return t_s if paused == 0 else t_s - paused / NS_PER_S

    def session_s(self, program_s: float) -> float:
        """Session seconds at which program time reaches ``program_s`` (see :meth:`session_ns`)."""
        program_ns = round(program_s * NS_PER_S)
        paused = self.session_ns(program_ns) - program_ns
        return program_s if paused == 0 else program_s + paused / NS_PER_S

    def paused_s(self, t_s: float) -> float:
        """Seconds spent paused before session second ``t_s``."""
        return self.paused_ns(round(t_s * NS_PER_S)) / NS_PER_S
