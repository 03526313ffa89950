"""The pacer as sound, so it can be followed with the eyes closed.

Two voices, synthesised with numpy:

* ``TONE`` — a soft continuous tone whose pitch follows the pacer's target lung fill: it glides
  up a fifth over the in-breath, stays during a hold and glides back down over the out-breath;
  its loudness swells gently with the fill too. Pitch and loudness both follow the pacer's
  raised-cosine fill curve, which is continuous with zero slope at phase boundaries, so the
  tone never jumps.
* ``CHIMES`` — silence, with a soft bell at every phase change: a higher one when the in-breath
  starts, a lower one when the out-breath starts, a quiet one at the start of a hold.

Both voices add a two-note cue chime at step changes, and at the cues within a step of a program
done with the eyes closed (the session passes the times), and end gently: the tone fades out
over the last seconds and one low bell sounds at the end, no alarm. A session that ends before
its planned end for a failure sounds falling notes instead (:data:`EARLY_END_NOTES`), so that
an end is heard whichever it is.

:func:`render` is pure: a block of samples from a function ``t -> PacerState`` (``None`` where
there is no pacer, e.g. own-rhythm steps), a time span and the oscillator state carried from
the previous block, so the waveform can be tested directly and rendering in blocks of any size
gives the same samples. :class:`PacerSound` strings blocks together; :class:`AudioOut` plays
them where an audio output exists (``sounddevice`` with PortAudio, else a command-line player
fed raw PCM: ``pw-play``, ``paplay`` or ``aplay``) and otherwise stays silent after exactly one
notice.

Clicks are avoided the standard way: every amplitude change goes through a ~30 ms one-pole
smoother or a raised-cosine attack, and the oscillator phase is accumulated from the
instantaneous frequency (phase = 2 pi * integral of f dt), so it is continuous across changes
of pitch and across blocks (Smith, *Physical Audio Signal Processing*, FM synthesis chapter).
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from trainer.coaching.pacer import PacerState, Phase

FloatArray = npt.NDArray[np.float64]

DEFAULT_FS_HZ = 22050
"""Output sample rate: ample for tones below 2 kHz and light on a pipe to a player."""
CONTROL_HZ = 200.0
"""Rate at which the pacer is sampled; pitch and loudness are interpolated between samples.
The fill curve is smooth (a raised cosine over >= 1 s), so 5 ms steps are inaudible."""
LOW_HZ = 196.0
"""Tone pitch at empty lungs (G3)."""
HIGH_HZ = 293.66
"""Tone pitch at full lungs (D4, a fifth above): a small, calm interval."""
TONE_LEVEL = 0.22
"""Peak tone amplitude (full scale = 1): soft, below the chimes."""
TONE_FLOOR = 0.35
"""Tone loudness at empty lungs, as a fraction of the peak: still audible at the turn."""
SMOOTH_S = 0.03
"""Time constant of the loudness smoother, in seconds: removes clicks without audible lag."""
END_FADE_S = 10.0
"""The tone fades out over this many seconds before the end of the session."""

CHIME_S = 3.0
"""Length of a chime, in seconds (its tail is faded to exactly zero)."""
_ATTACK_S = 0.008
_TAIL_FADE_S = 0.4
_DECAY_S = 0.45
_BELL_PARTIAL = 2.76
"""Second partial of a bell-like chime: the inharmonic ratio of a struck bar's second mode
(free-free beam, 2.76 f), which makes the sound a chime rather than a beep."""

_PHASE_CHIME: dict[Phase, tuple[float, float]] = {
    # (pitch Hz, amplitude): up for the in-breath, down for the out-breath, quiet for holds.
    Phase.INHALE: (659.26, 0.30),
    Phase.EXHALE: (440.0, 0.30),
    Phase.HOLD_IN: (554.37, 0.15),
    Phase.HOLD_OUT: (554.37, 0.15),
}
_CUE_NOTES = ((523.25, 0.0), (783.99, 0.16))
"""Cue chime: two notes (Hz, start offset s), a rising fifth, for "next step"."""
_CUE_LEVEL = 0.22
_END_NOTE_HZ = 196.0
_END_LEVEL = 0.28
_END_DECAY_S = 1.6
EARLY_END_NOTES = (
    (587.33, 0.0),
    (440.0, 0.3),
    (293.66, 0.6),
    (587.33, 1.2),
    (440.0, 1.5),
    (293.66, 1.8),
)
"""The sign of a session that ended before its planned end (a failure: a sensor it cannot go
on without, a full disk): three falling notes (D5, A4, D4: falling fourths), twice, in place of
the end bell (without this, such an end was silent, and a person practising with the eyes
closed did not know the session was over). Unlike the one low bell of an end reached and the
rising pair of a step's cue chime, so it is not taken for either. Notes (Hz, offset s)."""
EARLY_END_FADE_S = 0.3
"""After an early end the tone fades out over this many seconds (raised cosine) as the first
note sounds, where a planned end fades it over :data:`END_FADE_S` before."""
EARLY_END_S = EARLY_END_NOTES[-1][1] + 1.5
"""Seconds from an early end until its last note has died away (decay 0.45 s: -29 dB at
1.5 s), what a session waits before it stops the sound."""

StateAt = Callable[[float], PacerState | None]
"""The pacer seen as a function of session time (``Pacer.state``); ``None``: no pacer."""


class Voice(StrEnum):
    """How the pacer sounds."""

    TONE = "tone"
    CHIMES = "chimes"


@dataclass(frozen=True, slots=True)
class SynthCarry:
    """What one block hands to the next: oscillator phase (rad) and smoothed loudness."""

    phase_rad: float = 0.0
    level: float = 0.0


def _grid(t0_s: float, t1_s: float) -> FloatArray:
    """Control times ``k / CONTROL_HZ`` covering ``[t0_s, t1_s]``, on an absolute grid.

    The grid does not depend on where a block starts, so every block samples the pacer at the
    same instants and block boundaries leave no trace in the sound.
    """
    first = math.floor(t0_s * CONTROL_HZ)
    last = math.ceil(t1_s * CONTROL_HZ)
    return np.arange(first, last + 1, dtype=np.float64) / CONTROL_HZ


def _end_gain(t_s: FloatArray, end_s: float | None, *, early: bool = False) -> FloatArray:
    """Raised-cosine fade from 1 to 0 over the ``END_FADE_S`` seconds before ``end_s``; for an
    ``early`` end (not known in advance), over the :data:`EARLY_END_FADE_S` after it."""
    if end_s is None:
        return np.ones_like(t_s)
    if early:
        x = np.clip((end_s + EARLY_END_FADE_S - t_s) / EARLY_END_FADE_S, 0.0, 1.0)
    else:
        x = np.clip((end_s - t_s) / END_FADE_S, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _tone(
    state_at: StateAt,
    t_s: FloatArray,
    fs_hz: float,
    end_s: float | None,
    carry: SynthCarry,
    *,
    early: bool = False,
) -> tuple[FloatArray, SynthCarry]:
    """The rising/falling tone at sample times ``t_s`` (faded out at ``end_s``, see
    :func:`_end_gain`)."""
    grid = _grid(float(t_s[0]), float(t_s[-1]))
    fills = np.empty(grid.size)
    targets = np.empty(grid.size)
    for k, t in enumerate(grid):
        state = state_at(float(t))
        if state is None or state.paused:
            fills[k], targets[k] = 0.0, 0.0
        else:
            fills[k] = state.fill
            targets[k] = TONE_LEVEL * (TONE_FLOOR + (1.0 - TONE_FLOOR) * state.fill)
    fill = np.interp(t_s, grid, fills)
    target = np.interp(t_s, grid, targets) * _end_gain(t_s, end_s, early=early)
    # One-pole smoother y[n] = y[n-1] + a (x[n] - y[n-1]), a = 1 - exp(-1 / (tau fs)).
    alpha = 1.0 - math.exp(-1.0 / (SMOOTH_S * fs_hz))
    level, zf = lfilter([alpha], [1.0, alpha - 1.0], target, zi=[carry.level * (1.0 - alpha)])
    freq = LOW_HZ + (HIGH_HZ - LOW_HZ) * fill
    # Phase of sample n is the carried phase plus the integral of f over the samples before it.
    increments = 2.0 * np.pi * freq / fs_hz
    phase = carry.phase_rad + np.concatenate(([0.0], np.cumsum(increments[:-1])))
    end_phase = float((phase[-1] + increments[-1]) % (2.0 * np.pi))
    # A faint octave makes the tone warmer; at 0.15 it adds no extra zero crossings.
    wave = np.sin(phase) + 0.15 * np.sin(2.0 * phase)
    out = np.asarray(level, dtype=np.float64) * wave
    last_level = float(zf[0] / (1.0 - alpha))
    return out, SynthCarry(phase_rad=end_phase, level=last_level)


def _add_bell(
    out: FloatArray,
    t0_s: float,
    fs_hz: float,
    onset_s: float,
    pitch_hz: float,
    amplitude: float,
    decay_s: float,
) -> None:
    """Add a struck-bell note starting at ``onset_s`` to ``out`` (sample 0 at ``t0_s``).

    Raised-cosine attack, exponential decay, tail faded to exactly zero at ``onset_s +
    CHIME_S``; only the samples the note covers are computed.
    """
    first = max(0, math.ceil((onset_s - t0_s) * fs_hz))
    stop = min(out.size, math.ceil((onset_s + CHIME_S - t0_s) * fs_hz))
    if stop <= first:
        return
    r = t0_s + np.arange(first, stop, dtype=np.float64) / fs_hz - onset_s
    r = np.clip(r, 0.0, CHIME_S)
    attack = np.where(r < _ATTACK_S, 0.5 - 0.5 * np.cos(np.pi * r / _ATTACK_S), 1.0)
    tail = np.clip((CHIME_S - r) / _TAIL_FADE_S, 0.0, 1.0)
    envelope = attack * (0.5 - 0.5 * np.cos(np.pi * tail)) * np.exp(-r / decay_s)
    partials = np.sin(2.0 * np.pi * pitch_hz * r) + 0.25 * np.exp(-r / (0.3 * decay_s)) * np.sin(
        2.0 * np.pi * _BELL_PARTIAL * pitch_hz * r
    )
    out[first:stop] += amplitude * envelope * partials


def phase_onsets(state_at: StateAt, t0_s: float, t1_s: float) -> list[tuple[float, Phase]]:
    """Session times in ``[t0_s, t1_s)`` at which a pacer phase begins, with the phase.

    The pacer is sampled on the absolute control grid (so every block sees the same onsets).
    A running sample whose phase began less than one control step ago, ``tau = t -
    phase_elapsed_s``, marks an onset at ``tau`` unless the previous sample already showed
    that phase begun at ``tau``. The next sample must agree on ``tau`` (or be in another
    phase): a pacer waiting before its start reports "inhale, 0 s elapsed" at every instant,
    and that is no onset until it starts moving.
    """
    dt = 1.0 / CONTROL_HZ
    tol = 1e-6
    grid = _grid(t0_s - 2.0 * dt, t1_s + 2.0 * dt)
    states = [state_at(float(t)) for t in grid]
    taus = [
        float(t) - s.phase_elapsed_s if s is not None and not s.paused else math.nan
        for t, s in zip(grid, states, strict=True)
    ]

    def continues(i: int, j: int) -> bool:
        a, b = states[i], states[j]
        return (
            a is not None
            and b is not None
            and a.phase is b.phase
            and a.cycle_index == b.cycle_index
            and abs(taus[i] - taus[j]) < tol
        )

    onsets: list[tuple[float, Phase]] = []
    for k in range(1, len(grid) - 1):
        state = states[k]
        if state is None or state.paused or state.phase_elapsed_s >= dt + 1e-9:
            continue
        if continues(k - 1, k):
            continue
        following = states[k + 1]
        same_phase_next = (
            following is not None
            and following.phase is state.phase
            and following.cycle_index == state.cycle_index
        )
        if same_phase_next and not continues(k, k + 1):
            continue
        if t0_s <= taus[k] < t1_s:
            onsets.append((taus[k], state.phase))
    return onsets


def render(
    state_at: StateAt,
    t0_s: float,
    n_samples: int,
    *,
    fs_hz: float = DEFAULT_FS_HZ,
    voice: Voice = Voice.TONE,
    cue_times_s: Sequence[float] = (),
    end_s: float | None = None,
    carry: SynthCarry | None = None,
    early_end: bool = False,
) -> tuple[FloatArray, SynthCarry]:
    """Synthesise ``n_samples`` of pacer sound starting at session time ``t0_s``.

    Parameters
    ----------
    state_at : callable
        Session time (s) -> ``PacerState``, or ``None`` where no pacer runs (silence for the
        tone, no chimes).
    t0_s : float
        Session time of the first sample, in seconds.
    n_samples : int
        Number of samples; sample ``n`` is at ``t0_s + n / fs_hz``.
    fs_hz : float
        Sample rate, in Hz.
    voice : Voice
        Continuous tone or chimes at phase changes.
    cue_times_s : sequence of float
        Session times (s) of step changes (and an eyes-closed program's cues), each marked by
        a two-note cue chime.
    end_s : float, optional
        Session end: the tone fades out over the ``END_FADE_S`` seconds before it and a low
        bell sounds at it; nothing but that bell's tail after it.
    carry : SynthCarry, optional
        State returned by the previous block (a fresh start when omitted).
    early_end : bool
        ``end_s`` is an end before the planned one (a failure): the tone fades out over the
        :data:`EARLY_END_FADE_S` after it, and :data:`EARLY_END_NOTES` sound there instead of
        the end bell.

    Returns
    -------
    samples : ndarray of float64
        Mono samples in [-1, 1].
    carry : SynthCarry
        State to pass to the next block.
    """
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    start = SynthCarry() if carry is None else carry
    if n_samples == 0:
        return np.zeros(0), start
    t_s = t0_s + np.arange(n_samples, dtype=np.float64) / fs_hz
    t1_s = t0_s + n_samples / fs_hz
    if voice is Voice.TONE:
        out, next_carry = _tone(state_at, t_s, fs_hz, end_s, start, early=early_end)
    else:
        out, next_carry = np.zeros(n_samples), start
        for onset, phase in phase_onsets(state_at, t0_s - CHIME_S, t1_s):
            if end_s is None or onset < end_s:
                pitch, amplitude = _PHASE_CHIME[phase]
                _add_bell(out, t0_s, fs_hz, onset, pitch, amplitude, _DECAY_S)
    # _add_bell computes only the samples a note covers, so notes outside the block cost nothing.
    for cue in cue_times_s:
        for pitch, offset in _CUE_NOTES:
            _add_bell(out, t0_s, fs_hz, cue + offset, pitch, _CUE_LEVEL, _DECAY_S)
    if end_s is not None and early_end:
        for pitch, offset in EARLY_END_NOTES:
            _add_bell(out, t0_s, fs_hz, end_s + offset, pitch, _END_LEVEL, _DECAY_S)
    elif end_s is not None:
        _add_bell(out, t0_s, fs_hz, end_s, _END_NOTE_HZ, _END_LEVEL, _END_DECAY_S)
    return np.clip(out, -1.0, 1.0), next_carry


class PacerSound:
    """A stream of pacer sound: each call returns the next block of samples.

    Parameters
    ----------
    state_at : callable
        Session time -> ``PacerState`` or ``None`` (usually ``Pacer.state``).
    fs_hz : float
        Sample rate, in Hz.
    voice : Voice
        Tone or chimes.
    start_s : float
        Session time of the first sample.
    cue_times_s : sequence of float
        Times of step changes known in advance
        (:meth:`~trainer.programs.runner.ProgramTimeline.sound_cue_times_s`); more can be
        added with :meth:`add_cue`.
    end_s : float, optional
        Session end (gentle fade and bell).
    clock : callable, optional
        Session clock; if the sample count drifts from it by more than ``resync_s`` (an audio
        device clock runs a little fast or slow), the stream jumps to the clock. The phase is
        carried, so a jump makes no click.
    resync_s : float
        Allowed drift before a jump, in seconds.

    The stream is called from an audio thread while cues are added from the session thread;
    a lock keeps the two apart.
    """

    def __init__(
        self,
        state_at: StateAt,
        *,
        fs_hz: float = DEFAULT_FS_HZ,
        voice: Voice = Voice.TONE,
        start_s: float = 0.0,
        cue_times_s: Sequence[float] = (),
        end_s: float | None = None,
        clock: Callable[[], float] | None = None,
        resync_s: float = 0.25,
    ) -> None:
        self._state_at = state_at
        self.fs_hz = fs_hz
        self.voice = voice
        self._t_s = start_s
        self._cues = sorted(cue_times_s)
        self.end_s = end_s
        self._clock = clock
        self._resync_s = resync_s
        self._carry = SynthCarry()
        self._early_end = False
        self._lock = threading.Lock()

    @property
    def t_s(self) -> float:
        """Session time of the next sample, in seconds."""
        return self._t_s

    def add_cue(self, t_s: float) -> None:
        """Mark a step change at session time ``t_s`` with a cue chime."""
        with self._lock:
            self._cues.append(t_s)
            self._cues.sort()

    def set_end(self, end_s: float | None) -> None:
        """Set or move the session end (e.g. when the person stops early); ``None``: no end yet."""
        with self._lock:
            self.end_s = end_s

    def set_cues(self, cue_times_s: Sequence[float]) -> None:
        """Replace the cue times (session seconds), e.g. when a pause moves the program's."""
        with self._lock:
            self._cues = sorted(cue_times_s)

    def end_early(self) -> float:
        """End now, before the planned end (a failure): from the next sample the tone fades
        out and :data:`EARLY_END_NOTES` sound, in place of the end bell and the chimes still
        to come. Returns that session time, s."""
        with self._lock:
            self.end_s = self._t_s
            self._early_end = True
            self._cues = [c for c in self._cues if c < self._t_s]
            return self._t_s

    def __call__(self, n_samples: int) -> FloatArray:
        """The next ``n_samples`` samples."""
        with self._lock:
            if self._clock is not None:
                now = self._clock()
                if abs(now - self._t_s) > self._resync_s:
                    self._t_s = now
            t1 = self._t_s + n_samples / self.fs_hz
            # Cues long past or far ahead cannot sound in this block (notes last CHIME_S).
            cues = [c for c in self._cues if self._t_s - 2.0 * CHIME_S <= c <= t1]
            block, self._carry = render(
                self._state_at,
                self._t_s,
                n_samples,
                fs_hz=self.fs_hz,
                voice=self.voice,
                cue_times_s=cues,
                end_s=self.end_s,
                carry=self._carry,
                early_end=self._early_end,
            )
            self._t_s = t1
            return block


def to_pcm16(samples: FloatArray) -> bytes:
    """Little-endian signed 16-bit PCM of ``samples`` (clipped to [-1, 1])."""
    scaled = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    return scaled.tobytes()


# -- output ----------------------------------------------------------------------------------


class AudioUnavailable(Exception):
    """No way to play sound here; ``reason`` says why, for the one notice shown.

    ``missing`` marks an output that is simply not installed (as opposed to one that is there
    but fails): when every output is missing, the notice says what to install instead of
    listing each absence.
    """

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


INSTALL_SOUND = "pip install 'breathwise[sound]'"
"""How to get the ``sounddevice`` output, in the form that suits an installed Breathwise (wheel,
pipx) as a checkout alike: the extra pins the version pyproject asks for. ("pip install
sounddevice" put it beside a pipx install, not in it; "pip install -e '.[sound]'" works only in
a clone.)"""

NOTHING_INSTALLED = (
    f"nothing here can play it: {INSTALL_SOUND} (or install pw-play, paplay or aplay); "
    "'breathwise config set sound off' (or --no-sound) silences it"
)
"""The notice's reason when no audio output is installed at all. A session says it once per
data folder (:func:`trainer.ui.session_sound.once_per_setup`): the same words every evening
were noise."""


Pull = Callable[[int], FloatArray]
"""Gives the next ``n`` samples (a :class:`PacerSound`)."""

_LATENCY_MS = 100
"""Player buffer, in ms: small, so the sound stays close to the pacer on screen."""


def player_commands(fs_hz: int) -> list[list[str]]:
    """Command lines of the raw-PCM players to try, in order, for mono s16le at ``fs_hz``."""
    return [
        [
            "pw-play",
            f"--rate={fs_hz}",
            "--channels=1",
            "--format=s16",
            f"--latency={_LATENCY_MS}ms",
            "-",
        ],
        [
            "paplay",
            "--raw",
            f"--rate={fs_hz}",
            "--channels=1",
            "--format=s16le",
            f"--latency-msec={_LATENCY_MS}",
        ],
        [
            "aplay",
            "-q",
            "-t",
            "raw",
            "-f",
            "S16_LE",
            "-c",
            "1",
            "-r",
            str(fs_hz),
            f"--buffer-time={_LATENCY_MS * 1000}",
            "-",
        ],
    ]


class _Backend:
    """A running output; ``stop`` ends it."""

    def stop(self) -> None:
        raise NotImplementedError


def _sounddevice_output() -> Any:
    """The ``sounddevice`` module, once it has loaded PortAudio and found an output device.

    Raises
    ------
    AudioUnavailable
        Not installed (``missing``), PortAudio not loadable, or no output device.
    """
    try:
        # Not installed: import-not-found; installed, it ships no types: import-untyped.
        import sounddevice  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise AudioUnavailable("the sounddevice package is not installed", missing=True) from None
    except OSError as exc:  # the package is there but the PortAudio library is not
        raise AudioUnavailable(
            f"sounddevice cannot load PortAudio ({exc}): install the PortAudio library "
            "(e.g. apt install libportaudio2)"
        ) from None
    sd: Any = sounddevice
    try:
        sd.query_devices(kind="output")
    except Exception as exc:  # PortAudioError or ValueError: no default output device
        raise AudioUnavailable(f"no audio output device ({exc})") from None
    return sd


def output_available(
    players: Sequence[Sequence[str]] | None = None, *, use_sounddevice: bool = True
) -> bool:
    """Whether :class:`AudioOut` would find an output, asked without opening one: an output
    device through ``sounddevice``, or one of ``players`` (:func:`player_commands` by default)
    on ``PATH``. An output can still fail when opened; its notice says so then."""
    if use_sounddevice:
        with contextlib.suppress(AudioUnavailable):
            _sounddevice_output()
            return True
    commands = player_commands(DEFAULT_FS_HZ) if players is None else players
    return any(shutil.which(command[0]) for command in commands)


class _SoundDeviceBackend(_Backend):
    """PortAudio through ``sounddevice``: the audio thread pulls blocks by callback."""

    def __init__(self, fs_hz: int, pull: Pull) -> None:
        sd = _sounddevice_output()

        def callback(outdata: Any, frames: int, time: Any, status: Any) -> None:
            outdata[:, 0] = pull(frames).astype(np.float32)

        try:
            self._stream = sd.OutputStream(
                samplerate=fs_hz, channels=1, dtype="float32", callback=callback, latency="low"
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError: device busy, format refused
            raise AudioUnavailable(f"the audio device cannot be opened ({exc})") from None

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.stop()
            self._stream.close()


class _PipeBackend(_Backend):
    """A command-line player fed raw PCM on stdin by a writer thread.

    The pipe's back-pressure paces the writer at the player's real-time rate. The writer never
    blocks on the pipe: it waits for room with a timeout and writes without blocking, so that
    a player that stops reading (hung, or stalled on a suspended audio device) cannot hold the
    writer, nor ``stop`` behind it. A player that takes no audio for ``stall_s`` seconds is
    killed and reaped, with one notice.

    The player runs in a session (and process group) of its own, and is killed as a group: a
    player that is a shell script running ``aplay -q -`` without ``exec`` has the real player
    as its child, and killing the script alone left that child behind, orphaned, holding the
    audio device. The group is always killed before the player is reaped: until then the
    player's pid, which is the group's id, cannot be reused, so the signal reaches no
    stranger's processes.
    """

    _PROBE_S = 0.2
    """Wait this long after launch to see whether the player quits at once (no device)."""
    _POLL_S = 0.1
    """Longest single wait for room in the pipe: how soon the writer sees ``stop``."""
    _DRAIN_S = 2.0
    """After its input is closed, a player has this long to play what it holds and exit."""
    _REAP_S = 2.0
    """Longest wait for a killed player to be reaped (one stuck in the kernel may never go)."""
    _IDLE_S = 0.5
    """A player that took no audio for this long before ``stop`` is not playing: it is not
    given ``_DRAIN_S`` to finish (a healthy one takes some every ``_LATENCY_MS``)."""

    def __init__(
        self,
        command: Sequence[str],
        fs_hz: int,
        pull: Pull,
        block_s: float,
        on_failure: Callable[[str], None],
        stall_s: float = 3.0,
    ) -> None:
        if shutil.which(command[0]) is None:
            raise AudioUnavailable(f"{command[0]} not found", missing=True)
        try:
            self._proc = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                # Its own group, so that _kill reaches any child it starts (see the class
                # notes); and Ctrl+C at the terminal goes to breathwise, which then stops the
                # sound in order, not straight to the player.
                start_new_session=True,
            )
        except OSError as exc:
            raise AudioUnavailable(f"{command[0]} cannot start ({exc.strerror or exc})") from None
        stdin, stderr = self._proc.stdin, self._proc.stderr
        assert stdin is not None and stderr is not None
        # The writer uses the raw descriptor, never the buffered file object: a blocked write
        # through that object holds its lock, and close() then waits on it for ever. Both
        # pipes are non-blocking, so neither writing nor reading the player's error can hang.
        self._fd = stdin.fileno()
        try:
            os.set_blocking(self._fd, False)
            os.set_blocking(stderr.fileno(), False)
        except (OSError, AttributeError) as exc:  # os.set_blocking is Unix-only before 3.12
            self._kill()
            raise AudioUnavailable(f"{command[0]} cannot be fed here ({exc})") from None
        if self._exited_within(self._PROBE_S):
            detail = self._stderr_line()
            self._kill()  # anything it started goes with it
            code = self._proc.returncode
            raise AudioUnavailable(f"{command[0]} quit at once (exit {code}{detail})")
        self._name = command[0]
        self._block = max(1, round(block_s * fs_hz))
        self._pull = pull
        self._on_failure = on_failure
        self._stall_s = stall_s
        self._last_taken = time.monotonic()
        """When the player last took audio (monotonic s); written by the writer only."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="breathwise-audio", daemon=True)
        self._thread.start()

    def _stderr_line(self) -> str:
        """The first line the player wrote to stderr, if any is there now (never waits).

        Reading until end of file could wait for ever: a child of the player may hold the pipe
        open after the player itself is gone.
        """
        stream = self._proc.stderr
        if stream is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            # Raw and non-blocking: BlockingIOError (an OSError) when nothing is there.
            text = os.read(stream.fileno(), 500).decode("utf-8", "replace").strip().splitlines()
            if text:
                return f": {text[0]}"
        return ""

    def _run(self) -> None:
        pending = b""
        # A selector rather than select.select, which fails on descriptors above 1023. A player
        # that exits shows as writable too (an error event), and the write then raises EPIPE.
        selector = selectors.DefaultSelector()
        try:
            selector.register(self._fd, selectors.EVENT_WRITE)
            while not self._stopping.is_set():
                if not pending:
                    pending = to_pcm16(self._pull(self._block))
                # Wait for room in short steps, so that stop() is seen within _POLL_S.
                writable = bool(selector.select(self._POLL_S))
                taken = 0
                if writable:
                    with contextlib.suppress(BlockingIOError):
                        taken = os.write(self._fd, pending)
                if taken:
                    pending = pending[taken:]
                    self._last_taken = time.monotonic()
                elif time.monotonic() - self._last_taken > self._stall_s:
                    # The pipe has been full for too long: the player is not playing. Waiting
                    # longer only delays the notice; the session runs on without sound.
                    self._kill()
                    if not self._stopping.is_set():
                        self._on_failure(f"the player {self._name} stopped taking audio")
                    return
                elif writable:
                    # Room reported but none taken (a race with the reader): do not spin.
                    self._stopping.wait(0.01)
        except (BrokenPipeError, OSError, ValueError):
            if not self._stopping.is_set():
                self._on_failure(f"{self._name} stopped playing{self._stderr_line()}")
        finally:
            selector.close()

    def _exited_within(self, timeout_s: float) -> bool:
        """Whether the player exits within ``timeout_s`` seconds, leaving it unreaped.

        A zombie keeps its pid, and so its process group id, from being reused: :meth:`_kill`
        can still signal the group safely afterwards. Where ``os.waitid`` is missing (macOS
        before Python 3.13) the player is reaped here and the group killed after it, as
        :meth:`_kill_group` then allows.
        """
        waitid = getattr(os, "waitid", None)
        if waitid is None:
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG):
                    return True
            except ChildProcessError:  # already reaped
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def _kill_group(self) -> None:
        """SIGKILL the player's process group: the player and every child it started."""
        killpg = getattr(os, "killpg", None)
        if killpg is None or (self._proc.returncode is not None and hasattr(os, "waitid")):
            # No process groups (Windows), or the player is reaped already (by an earlier
            # _kill, which killed its group first): its pid may be another process's group id
            # by now, so only the player itself is signalled (a no-op once it is reaped).
            with contextlib.suppress(OSError):
                self._proc.kill()
            return
        with contextlib.suppress(OSError):  # ProcessLookupError: the group is gone already
            killpg(self._proc.pid, signal.SIGKILL)

    def _kill(self) -> None:
        """Kill the player with its children and reap it, waiting at most ``_REAP_S`` (never
        for ever)."""
        self._kill_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=self._REAP_S)

    def stop(self) -> None:
        """Stop feeding the player and end it, in bounded time whatever state it is in.

        The writer is stopped first (it never blocks for longer than ``_POLL_S``), so closing
        the player's input cannot wait behind a write. A healthy player then plays what it
        holds and exits; one that does not within ``_DRAIN_S`` is killed, and one that had
        already stopped taking audio is killed at once.
        """
        idle = time.monotonic() - self._last_taken > self._IDLE_S
        self._stopping.set()
        self._thread.join(timeout=self._POLL_S + self._REAP_S + 1.0)
        if self._thread.is_alive():
            # Never expected (the writer does not block); if it happens, do not close the
            # descriptor under it, which could then be reused by another file.
            self._kill()
            return
        if idle:
            self._kill()
        with contextlib.suppress(OSError, ValueError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        # Whether it drained in time or not, the group is killed before the player is reaped:
        # a child it left running (a script's player that ignores the end of its input) must
        # not outlive the session.
        self._exited_within(self._DRAIN_S)
        self._kill()
        if self._proc.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                self._proc.stderr.close()


def print_notice(message: str) -> None:
    """Show a sound notice on standard error (headless; the screen has its status line)."""
    print(f"breathwise: {message}", file=sys.stderr)


class AudioOut:
    """Plays a pull stream on the first output that works, or stays silent with one notice.

    Parameters
    ----------
    fs_hz : int
        Sample rate, in Hz.
    notify : callable, optional
        Shows the notice (once) when no output works or playback fails; prints to stderr by
        default. The UI passes its own status line.
    players : sequence of command lines, optional
        Raw-PCM player commands to try after ``sounddevice``; :func:`player_commands` by
        default. Tests pass their own.
    use_sounddevice : bool
        Try ``sounddevice`` (PortAudio) first.
    block_s : float
        Block length fed to a player, in seconds.
    stall_s : float
        A player that takes no audio for this long (it hung, or its audio device is
        suspended) is killed, with one notice; the session goes on silently. Generous, as a
        player may take a moment to open its device, and the pipe holds over a second of sound.
    """

    def __init__(
        self,
        fs_hz: int = DEFAULT_FS_HZ,
        *,
        notify: Callable[[str], None] | None = None,
        players: Sequence[Sequence[str]] | None = None,
        use_sounddevice: bool = True,
        block_s: float = 0.05,
        stall_s: float = 3.0,
    ) -> None:
        self.fs_hz = fs_hz
        self._notify = print_notice if notify is None else notify
        self._players = player_commands(fs_hz) if players is None else [list(p) for p in players]
        self._use_sounddevice = use_sounddevice
        self._block_s = block_s
        self._stall_s = stall_s
        self._backend: _Backend | None = None
        self._noticed = False
        self._lock = threading.Lock()
        self.unavailable: AudioUnavailable | None = None
        """Why there is no sound, once that is known."""

    @property
    def playing(self) -> bool:
        """Whether a backend is running and has not failed (a failed one is silent: nobody
        should wait for it, e.g. for the end bell)."""
        return self._backend is not None and self.unavailable is None

    def _notice(self, reason: str, *, prefix: str = "sound is off") -> None:
        with self._lock:
            if self._noticed:
                return
            self._noticed = True
            self.unavailable = AudioUnavailable(reason)
        self._notify(f"{prefix}: {reason}")

    def start(self, pull: Pull) -> bool:
        """Start playing ``pull``'s blocks; return whether sound is playing.

        When no output works, the reasons are combined into the one notice and ``False`` is
        returned; the session carries on silently. Starting again after a failure does not
        repeat the notice.
        """
        if self._backend is not None:
            return True
        if self.unavailable is not None:
            return False
        failures: list[AudioUnavailable] = []
        if self._use_sounddevice:
            try:
                self._backend = _SoundDeviceBackend(self.fs_hz, pull)
                return True
            except AudioUnavailable as exc:
                failures.append(exc)
        for command in self._players:
            try:
                self._backend = _PipeBackend(
                    command, self.fs_hz, pull, self._block_s, self._on_failure, self._stall_s
                )
                return True
            except AudioUnavailable as exc:
                failures.append(exc)
        if not failures:
            self._notice("no audio output configured")
        elif all(f.missing for f in failures):
            # The common case on a fresh install: say what to install, not four absences.
            self._notice(NOTHING_INSTALLED)
        else:
            # Something is installed but failed: only those reasons help.
            self._notice("; ".join(f.reason for f in failures if not f.missing))
        return False

    def _on_failure(self, reason: str) -> None:
        # The sound was playing and has stopped mid-session: say so, not that it is "off".
        self._notice(reason, prefix="sound stopped")

    def stop(self) -> None:
        """Stop playing (harmless when nothing plays)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.stop()
