"""The pacer sound of a live session: output beside the screen, never part of the pipeline.

:class:`SessionSound` feeds a :class:`~trainer.ui.sound.PacerSound` from the session's own pacer
(``session.pacer_state``, the state the screen draws) at the session's clock, chimes at the
program's step changes, and ends gently: the tone fades over the last seconds and one soft low
bell sounds at the planned end (no alarm); a session that fails before it sounds the falling
notes of an early end (:data:`~trainer.ui.sound.EARLY_END_NOTES`), not silence. Where no audio
output exists, :class:`AudioOut` gives exactly one notice and the session runs silently; that
nothing is installed to play sound at all is said at the first such session only
(:func:`once_per_setup`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trainer.coaching.pacer import PacerState
from trainer.storage.paths import data_dir
from trainer.ui.sound import (
    CHIME_S,
    EARLY_END_S,
    INSTALL_SOUND,
    NOTHING_INSTALLED,
    AudioOut,
    PacerSound,
    output_available,
    print_notice,
)

END_BELL_S = 2.5
"""Seconds to keep playing after a session that ran its full length, so the end bell rings."""


NOTHING_INSTALLED_NOTED = "sound-nothing-installed-noted"
"""File in the data folder that says the nothing-installed notice has been shown."""


ShowNotice = Callable[[str, Callable[[], None]], None]
"""Shows a sound notice, then calls its second argument once the notice has been shown:
printed (headless) or drawn on the status line
(:meth:`trainer.ui.screen.BreathwiseApp.set_note`)."""


def print_then_confirm(text: str, shown: Callable[[], None]) -> None:
    """A :data:`ShowNotice` for a session without a screen: standard error."""
    print_notice(text)
    shown()


def once_per_setup(
    show: ShowNotice, marker: Path | None = None, *, always: bool = False
) -> Callable[[str], None]:
    """Wrap a session's sound notices so that :data:`~trainer.ui.sound.NOTHING_INSTALLED` is
    shown once per data folder; every other notice (an output that is there but fails)
    every time.

    A machine with no audio output stays one, so saying it before every session only trained
    the person to skip the status line; the notice names the setting that
    turns the sound off. It counts as said once ``show`` confirms it was shown, not when it
    was handed over: on the screen, a notice that a "marked" covered or a screen that closed
    first never drew is said again next time. The eyes-closed programs' warning
    (:func:`eyes_closed_warning`) is not a notice of this kind and is said every time.

    Parameters
    ----------
    show : ShowNotice
        Shows a notice and confirms it.
    marker : Path, optional
        The file that records it was said; :data:`NOTHING_INSTALLED_NOTED` in
        :func:`~trainer.storage.paths.data_dir` by default. If it cannot be written the notice is
        simply said again next time.
    always : bool
        Say it even if it was said before: the person asked for sound this time
        (``--sound``), and a silent session must not look like one that plays.
    """
    noted = data_dir() / NOTHING_INSTALLED_NOTED if marker is None else marker

    def remember() -> None:
        with contextlib.suppress(OSError):
            noted.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            noted.write_text(NOTHING_INSTALLED + "\n", encoding="utf-8")

    def notify_once(text: str) -> None:
        if not text.endswith(NOTHING_INSTALLED):
            show(text, _nothing)
        elif always or not noted.exists():
            show(text, remember)

    return notify_once


def _nothing() -> None:
    """Nothing to remember about a notice that is said every time."""


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
        Step changes and side switches to chime at, and an eyes-closed program's cues
        (:meth:`~trainer.programs.runner.ProgramTimeline.sound_cue_times_s`).
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

    def stop(
        self, *, completed: bool, failed: bool = False, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """Stop: after a completed session let the end bell ring first; after one that
        ``failed`` (it ended with an error before its planned end) sound the early end's
        falling notes (:meth:`~trainer.ui.sound.PacerSound.end_early`) and let them ring;
        otherwise (the person quit) at once.

        A failure once stopped the sound without a note: a person practising with the eyes
        closed was not told that the session had ended.
        """
        if self.audio.playing and failed and not completed:
            self.sound.end_early()
            sleep(EARLY_END_S)
        elif self.audio.playing and completed:
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

    Such a program's guidance is text on its step cards and each stage and cue comes with a chime
    (``docs/reference/programs.md``: with the eyes closed, the pacer and the end must be perceivable
    without looking); without sound the chimes and the end bell are silent. The check is
    :func:`~trainer.ui.sound.output_available`: the one :class:`~trainer.ui.sound.AudioOut` makes at
    the start, without opening anything (an output can still fail then, which its own notice
    reports).

    Parameters
    ----------
    sound_on : bool
        ``--sound``/``--no-sound``, or the sound setting.
    players : sequence of command lines, optional
        Players to look for on ``PATH``; :func:`~trainer.ui.sound.player_commands` by default.
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
        fix = f"{INSTALL_SOUND}, or install pw-play, paplay or aplay, to hear them"
    return (
        f"this program is done with the eyes closed, but {why}: the chime at each new stage "
        f"or tip and the end bell will be silent, so open your eyes now and then to read the "
        f"screen ({fix})"
    )
