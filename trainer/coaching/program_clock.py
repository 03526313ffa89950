"""Program time: session time with the pauses taken out and the skipped steps put in.

A program (:class:`trainer.programs.runner.ProgramTimeline`) is laid out on its own clock, which
stands still while the person has paused: the steps, cues, repetitions and sides wait for them.
It jumps forward where the person skipped the rest of a step (key ``n``), or started further in
(``live --from-step``): what lies between is never reached. :class:`ProgramClock` maps session
time to program time and back, given the instants at which the session was paused, resumed and
skipped on. Those instants are recorded pacer changes (``pause``, ``resume``, ``skip``; a start
further in is a header setting), so live, replay and batch, feeding the clock the same changes,
derive the same program time from the recording alone.

Times are kept in integer nanoseconds since the session start, as the recording stamps them:
an instant stamped ``round(p * 1e9) + paused`` maps back to exactly ``round(p * 1e9)`` of
program time, so a change the program placed at ``p`` is seen at ``p`` again on replay, with
no floating-point drift. Without a pause or a skip both directions are the identity, so
sessions and recordings without either behave exactly as they did before program time existed.

Practised time (:meth:`ProgramClock.practised_ns`) is session time less the pauses alone: a
skip moves the program on, not the person's minutes (``--minutes`` counts those).
"""

from __future__ import annotations

from devices.packets import NS_PER_S


class ProgramClock:
    """Session nanoseconds to program nanoseconds, given the session's pauses and skips.

    Every argument is an offset from the session start, in nanoseconds. A pause is open from
    :meth:`pause` until :meth:`resume`; while it is open, program time stands still. A skip
    (:meth:`skip`) makes program time jump forward at one instant.
    """

    __slots__ = ("_changes", "_pauses", "_skips")

    def __init__(self) -> None:
        # (start, end) session offsets of each pause, in order; end None while it is open.
        self._pauses: list[tuple[int, int | None]] = []
        # (session offset, program time before, program time after) of each skip, in order.
        self._skips: list[tuple[int, int, int]] = []
        # Both, in the order they were made (which is time order): session_ns walks them.
        self._changes: list[tuple[str, int]] = []

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
        if self._skips:
            t_ns = max(t_ns, self._skips[-1][0])
        self._changes.append(("pause", len(self._pauses)))
        self._pauses.append((t_ns, None))

    def resume(self, t_ns: int) -> None:
        """Let program time run again from session offset ``t_ns`` (ignored when not paused)."""
        if not self.paused:
            return
        start, _ = self._pauses[-1]
        self._pauses[-1] = (start, max(start, t_ns))

    @property
    def skips(self) -> tuple[tuple[int, int, int], ...]:
        """Each skip as ``(session_ns, from_program_ns, to_program_ns)``: at that session offset
        program time jumped from the first program instant to the second."""
        return tuple(self._skips)

    def skip(self, t_ns: int, to_program_ns: int) -> None:
        """Jump program time forward to ``to_program_ns`` at session offset ``t_ns``.

        A skip ends an open pause first (the person moves on, and the program runs from the
        new place). Ignored when ``to_program_ns`` is not ahead of the program time there.
        Items arrive in time order; a stamp before the last change is clamped onto it.
        """
        stamps = [end or start for start, end in self._pauses[-1:]] + [
            s[0] for s in self._skips[-1:]
        ]
        t_ns = max([t_ns, *stamps])
        self.resume(t_ns)
        from_ns = self.program_ns(t_ns)
        if to_program_ns <= from_ns:
            return
        self._changes.append(("skip", len(self._skips)))
        self._skips.append((t_ns, from_ns, to_program_ns))

    def skipped_ns(self, t_ns: int) -> int:
        """Nanoseconds of program time jumped over by session offset ``t_ns`` (a skip at
        ``t_ns`` itself included: at that instant the program is at the new place)."""
        return sum(to - start for at, start, to in self._skips if at <= t_ns)

    def skipped_over(self, program_ns: int) -> bool:
        """Whether program instant ``program_ns`` was jumped over, never reached: it lies in
        ``[from, to)`` of a skip. What begins where a skip lands (``to``) is reached; what
        begins where it leaves (``from``) and was not said yet belongs to the step skipped."""
        return any(start <= program_ns < to for _, start, to in self._skips)

    def reached_whole(self, start_ns: int, end_ns: int) -> bool:
        """Whether the program span ``[start_ns, end_ns)`` had none of it jumped over."""
        return not any(start < end_ns and to > start_ns for _, start, to in self._skips)

    def skipped_over_s(self, program_s: float) -> bool:
        """:meth:`skipped_over` for program seconds."""
        return bool(self._skips) and self.skipped_over(round(program_s * NS_PER_S))

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

    def practised_ns(self, t_ns: int) -> int:
        """Practised time at session offset ``t_ns``: session time less the pauses before it
        (a skip does not count: it moves the program on, not the person's minutes)."""
        return t_ns - self.paused_ns(t_ns)

    def program_ns(self, t_ns: int) -> int:
        """Program time at session offset ``t_ns``: session time less the pauses before it,
        plus the program time skipped by then."""
        return t_ns - self.paused_ns(t_ns) + (self.skipped_ns(t_ns) if self._skips else 0)

    def session_ns(self, program_ns: int) -> int:
        """The first session offset at which program time reaches ``program_ns``.

        An instant at which a pause begins belongs before the pause: program time reached there
        maps to the pause's start, not its end. A program time not reached yet because a pause
        is still open is placed as if the pause ended as it began: a lower bound, the best known
        before the resume. A program time a skip jumped over, or landed on, maps to the skip's
        instant.
        """
        return self._session_ns(program_ns)[0]

    def _session_ns(self, program_ns: int) -> tuple[int, bool]:
        """:meth:`session_ns`, and whether it is the instant of a skip that jumped over or
        landed on ``program_ns``."""
        # Program time runs as session time plus ``offset`` between the changes.
        offset = 0
        for kind, index in self._changes:
            if kind == "pause":
                start, end = self._pauses[index]
                if program_ns <= start + offset or end is None:
                    break
                offset -= end - start
            else:
                at, start, to = self._skips[index]
                if program_ns <= at + offset:
                    break
                if program_ns <= at + offset + (to - start):
                    return at, True
                offset += to - start
        return program_ns - offset, False

    # -- seconds, for screens and plans ----------------------------------------------------------

    def program_s(self, t_s: float) -> float:
        """Program seconds at session second ``t_s`` (the identity before any pause or skip)."""
        t_ns = round(t_s * NS_PER_S)
        moved = self.program_ns(t_ns) - t_ns
        return t_s if moved == 0 else t_s + moved / NS_PER_S

    def practised_s(self, t_s: float) -> float:
        """Practised seconds at session second ``t_s``: less the pauses, skips not counted."""
        paused = self.paused_ns(round(t_s * NS_PER_S))
        return t_s if paused == 0 else t_s - paused / NS_PER_S

    def session_s(self, program_s: float) -> float:
        """Session seconds at which program time reaches ``program_s`` (see :meth:`session_ns`).

        Where a skip lands, exactly its instant: the next step begins at the very second the
        person moved on (and a session started further in at 0.0 s)."""
        program_ns = round(program_s * NS_PER_S)
        t_ns, at_skip = self._session_ns(program_ns)
        if at_skip:
            return t_ns / NS_PER_S
        moved = t_ns - program_ns
        return program_s if moved == 0 else program_s + moved / NS_PER_S

    def paused_s(self, t_s: float) -> float:
        """Seconds spent paused before session second ``t_s``."""
        return self.paused_ns(round(t_s * NS_PER_S)) / NS_PER_S
