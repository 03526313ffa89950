"""The pacer sound of a live session: output beside the screen, never part of the pipeline.

:class:`SessionSound` feeds a :class:`~trainer.sound.PacerSound` from the session's own pacer
(``session.pacer_state``, the state the screen draws) at the session's clock, chimes at the
program's step changes, and ends gently: the tone fades over the last seconds and one soft low
bell sounds at the planned end (no alarm). Where no audio output exists, :class:`AudioOut` gives
exactly one notice and the session runs silently; that nothing is installed to play sound at
all is said at the first such session only (:func:`once_per_setup`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trainer.pacer import PacerState
from trainer.paths import data_dir
from trainer.sound import (
    CHIME_S,
    NOTHING_INSTALLED,
    AudioOut,
    PacerSound,
    output_available,
)

END_BELL_S = 2.5
"""Seconds to keep playing after a session that ran its full length, so the end bell rings."""


NOTHING_INSTALLED_NOTED = "sound-nothing-installed-noted"
"""File in the data folder that says the nothing-installed notice has been shown."""


def once_per_setup(
    notify: Callable[[str], None], marker: Path | None = None
) -> Callable[[str], None]:
    """Wrap a session's sound ``notify`` so that :data:`~trainer.sound.NOTHING_INSTALLED` is
    passed on once per data folder; every other notice (an output that is there but fails)
    every time.

    A machine with no audio output stays one, so saying it before every session only trained
    the person to skip the status line (found in review); the notice names the setting that
    turns the sound off. The eyes-closed programs' warning
    (:func:`eyes_closed_warning`) is not a notice of this kind and is said every time.

    Parameters
    ----------
    notify : callable
        Shows a notice.
    marker : Path, optional
        The file that records it was said; :data:`NOTHING_INSTALLED_NOTED` in
        :func:`~trainer.paths.data_dir` by default. If it cannot be written the notice is
        simply said again next time.
    """
    noted = data_dir() / NOTHING_INSTALLED_NOTED if marker is None else marker

    def notify_once(text: str) -> None:
        if not text.endswith(NOTHING_INSTALLED):
            notify(text)
            return
        if noted.exists():
            return
        notify(text)
        with contextlib.suppress(OSError):
            noted.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            noted.write_text(text + "\n", encoding="utf-8")

    return notify_once


class SessionSound:
    """Plays a session's pacer.

    Parameters
    ----------
    state_at : callable
        Session seconds -> pacer state (``LiveSession.pacer_state``).
    clock_s : callable
        Session seconds now (``LiveSession.now_s``): the sound follows it.
    end_s : float
        Planned end, session seconds (fade and end bell).
    cue_times_s : sequence of float
        Step changes and side switches to chime at.
    audio : AudioOut, optional
        The output; :class:`AudioOut` with ``notify`` by default.
    notify : callable, optional
        Shows the one notice when there is no sound (stderr by default).
    """

    def __init__(
        self,
        state_at: Callable[[float], PacerState | None],
        clock_s: Callable[[], float],
        *,
        end_s: float,
        cue_times_s: Sequence[float] = (),
        audio: AudioOut | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.sound = PacerSound(
            state_at, start_s=clock_s(), cue_times_s=cue_times_s, end_s=end_s, clock=clock_s
        )
        self.audio = audio if audio is not None else AudioOut(notify=notify)
        self._clock_s = clock_s
        self.end_s = end_s

    def retime(self, cue_times_s: Sequence[float], end_s: float | None) -> None:
        """Move the chimes and the planned end (session seconds): a pause in a program session
        shifts what is still to come by the time paused. ``end_s=None`` while paused, when the
        end is not known yet (no fade, no bell)."""
        self.sound.set_cues(cue_times_s)
        self.sound.set_end(end_s)
        self.end_s = end_s if end_s is not None else self.end_s

    def start(self) -> bool:
        """Start playing; ``False`` (after the one notice) when there is no audio output."""
        return self.audio.start(self.sound)

    def stop(self, *, completed: bool, sleep: Callable[[float], None] = time.sleep) -> None:
        """Stop: after a completed session let the end bell ring first; otherwise at once."""
        if self.audio.playing and completed:
            sleep(min(END_BELL_S, CHIME_S))
        self.audio.stop()


def eyes_closed_warning(
    sound_on: bool,
    *,
    players: Sequence[Sequence[str]] | None = None,
    use_sounddevice: bool = True,
) -> str | None:
    """What to tell someone about to practise with the eyes closed who will hear nothing, or
    ``None`` when the sound is on and an output looks available.

    Such a program's guidance is text on its step cards and each stage begins with a chime
    (``docs/reference/programs.md``: with the eyes closed, the pacer and the end must be perceivable
    without looking); without sound the chimes and the end bell are silent. The check is
    :func:`~trainer.sound.output_available`: the one :class:`~trainer.sound.AudioOut` makes at
    the start, without opening anything (an output can still fail then, which its own notice
    reports).

    Parameters
    ----------
    sound_on : bool
        ``--sound``/``--no-sound``, or the sound setting.
    players : sequence of command lines, optional
        Players to look for on ``PATH``; :func:`~trainer.sound.player_commands` by default.
    use_sounddevice : bool
        Count ``sounddevice`` with an output device as an output.
    """
    if not sound_on:
        why = "the sound is off (--no-sound or the sound setting)"
        fix = "--sound turns it on"
    else:
        if output_available(players, use_sounddevice=use_sounddevice):
            return None
        why = "no sound output was found"
        fix = "pip install sounddevice, or install pw-play, paplay or aplay, to hear them"
    return (
        f"this program is done with the eyes closed, but {why}: the chime at each new stage "
        f"and the end bell will be silent, so open your eyes now and then to read the screen "
        f"({fix})"
    )
