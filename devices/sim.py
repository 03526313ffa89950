"""The simulated sensor: a seeded breathing person wearing a heart-rate strap and a force belt.

The simulator speaks the real byte formats (Heart Rate Measurement 0x2A37 and Go Direct type-06
measurement packets), so a simulated session exercises the whole decode-and-analyse path.
Without the belt (``belt=False``, ``breathwise live --device sim-hr``) it is a plain heart-rate
strap: the same person breathes and their heart follows, but only heart-rate packets are sent,
so breathing can only be read from the heart rhythm.

How it works
------------
The person is modelled breath by breath. Each time they finish an exhale they decide the next
breath: when it starts (the pacer's inhale onset plus their reaction lag, or their own rhythm
without a pacer) and how long its phases last. One decision fixes the signal from the end of the
previous exhale to the end of the new one, and the belt samples of that stretch are computed in
one vectorised step. The heart follows through integral pulse frequency modulation (IPFM: a beat
fires each time the integral of the instantaneous heart rate reaches one beat; Bayly 1968,
Mateo & Laguna 2000, IEEE TBME 47:985) driven by respiratory sinus arrhythmia (RSA), a slow
wander, and beat jitter; occasional ectopic beats are laid over it.

Because all generation happens in whole-breath units decided from the seed and the guide, and the
query time only decides how far to generate and which packets to release, calling
:meth:`SimulatedSensor.packets_until` every 10 ms or once for an hour gives the same packets.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_right
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, fields
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from devices.godirect import encode_godirect_measurements
from devices.guide import BreathingGuide, GuideState
from devices.heart_rate import RR_UNITS_PER_S, encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.source import SIMULATED_KIND, LinkEvent, LinkState, SourceInfo

FORCE_CHANNEL = 1
"""Go Direct sensor number of the belt force (N) on the GDX-RB (fact sheet
(docs/reference/ble-protocols.md) section 3)."""
RATE_CHANNEL = 2
"""Go Direct sensor number of the belt's own respiration rate (breaths/min)."""

Array = npt.NDArray[np.float64]

_MIN_PHASE_S = 0.25
"""Shortest inhale or exhale the person produces, whatever the noise says."""
_MIN_WAIT_S = 0.05
"""Shortest gap between the end of an exhale and the next inhale (a late person still needs it)."""
_MAX_SHORTEN = 0.5
"""A late person shortens a breath to at most half its length rather than skipping a cycle."""
_EXHALE_SHAPE = 0.75
"""Time warp of the exhale curve: < 1 front-loads the fall, like passive recoil of the lungs."""
_HR_MIN_BPM = 30.0
_HR_MAX_BPM = 200.0
_HR_MARGIN_S = 3.0
"""How far the heart must be computed past a notification before it is sent: an ectopic beat
moves earlier than its sinus beat by up to ``(1 - premature) * RR``, and jitter a few ms."""


@dataclass(frozen=True)
class PersonModel:
    """The simulated person and their sensors. Every field has a realistic default.

    Attributes
    ----------
    seed : int
        Seed of every random choice (>= 0); same seed and guide, same packets.
    base_hr_bpm : float
        Resting heart rate without RSA, beats/min.
    resonance_rate_bpm : float
        The person's true resonance breathing rate, breaths/min (adults: 4.5-6.5; Lehrer,
        Shaffer & Meehan 2020).
    rsa_peak_bpm : float
        RSA peak-to-trough heart-rate swing when breathing at the resonance rate, beats/min.
    rsa_q : float
        Sharpness of the RSA resonance curve (quality factor of a second-order band-pass over
        breathing rate): with the defaults the swing is ~13 bpm at 5.5, ~12 at 6, ~3.5 at 12
        and ~2.6 at 15 breaths/min.
    rsa_lead_s : float
        How far heart rate leads lung volume, seconds (HR peaks just before the exhale starts).
    follow_lag_s : float
        Mean delay between the pacer's inhale onset and the person's, seconds.
    follow_jitter_s : float
        Standard deviation of that delay, breath to breath, seconds.
    breath_cv : float
        Breath-to-breath coefficient of variation of phase durations (0.05-0.08 is typical).
    depth_cv : float
        Breath-to-breath coefficient of variation of breath depth.
    ratio_bias : float
        The person's exhale as a fraction of the asked one (0.9: exhales a bit short).
    natural_rate_bpm : float
        Own breathing rate with no pacer, breaths/min.
    natural_ratio : float
        Own exhale:inhale ratio with no pacer.
    natural_pause_s : float
        Own end-of-exhale pause with no pacer, seconds.
    sigh_per_min : float
        Mean number of sighs per minute (0.4: one every 2.5 min).
    sigh_depth : float
        Depth of a sigh relative to a normal breath.
    sigh_pause_s : float
        Pause after a sigh, seconds.
    belt_baseline_n : float
        Belt force at rest (empty lungs), newtons.
    belt_depth_n : float
        Force swing of a normal, unpaced breath, newtons; slower, longer inhales are deeper
        (scaled by the square root of the inhale duration, within 0.7x-2x).
    belt_noise_n : float
        Standard deviation of white sensor noise, newtons.
    belt_drift_n : float
        Amplitude of the slow baseline drift (posture, strap tension), newtons.
    hr_wander_bpm : float
        Amplitude of slow heart-rate wander (0.01-0.06 Hz), beats/min.
    mayer_bpm : float
        Amplitude of the Mayer wave, the baroreflex's own ~0.1 Hz heart-rate oscillation
        (two close components within 0.085-0.115 Hz, so it waxes and wanes), beats/min.
        0 by default; a resting adult shows some 1-3 (Julien 2006).
    rr_jitter_ms : float
        Standard deviation of beat-time jitter, milliseconds.
    ectopic_per_min : float
        Mean number of ectopic (premature) beats per minute.
    ectopic_premature : float
        RR before an ectopic beat as a fraction of the normal RR.
    ectopic_compensatory : float
        RR after an ectopic beat as a fraction of the normal RR (0.65 + 1.35 = 2: a fully
        compensatory pause).
    belt_fs_hz : float
        Belt sampling rate, Hz; the sample period is whole microseconds, ``int(1e6 / fs)``.
    hr_period_s : float
        Interval between heart-rate notifications, seconds.
    resp_rate_warmup_s : float
        The belt's own respiration-rate channel reads NaN until this session time, seconds.
    resp_rate_window_s : float
        Window over which the belt computes its own respiration rate, seconds.
    """

    seed: int = 0
    base_hr_bpm: float = 66.0
    resonance_rate_bpm: float = 5.5
    rsa_peak_bpm: float = 13.0
    rsa_q: float = 2.0
    rsa_lead_s: float = 0.5
    follow_lag_s: float = 0.4
    follow_jitter_s: float = 0.15
    breath_cv: float = 0.06
    depth_cv: float = 0.08
    ratio_bias: float = 0.9
    natural_rate_bpm: float = 12.0
    natural_ratio: float = 1.4
    natural_pause_s: float = 0.6
    sigh_per_min: float = 0.4
    sigh_depth: float = 2.0
    sigh_pause_s: float = 2.5
    belt_baseline_n: float = 2.0
    belt_depth_n: float = 1.0
    belt_noise_n: float = 0.01
    belt_drift_n: float = 0.15
    hr_wander_bpm: float = 2.0
    mayer_bpm: float = 0.0
    rr_jitter_ms: float = 4.0
    ectopic_per_min: float = 0.4
    ectopic_premature: float = 0.65
    ectopic_compensatory: float = 1.35
    belt_fs_hz: float = 20.0
    hr_period_s: float = 1.0
    resp_rate_warmup_s: float = 30.0
    resp_rate_window_s: float = 30.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{f.name} must be finite and >= 0, got {value!r}")
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        positive = (
            "base_hr_bpm",
            "resonance_rate_bpm",
            "rsa_q",
            "natural_rate_bpm",
            "natural_ratio",
            "sigh_depth",
            "belt_depth_n",
            "ratio_bias",
            "ectopic_premature",
            "ectopic_compensatory",
            "belt_fs_hz",
            "hr_period_s",
            "resp_rate_window_s",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        if not 1.0 <= self.belt_fs_hz <= 1000.0:
            raise ValueError("belt_fs_hz must be within 1..1000 Hz")
        if self.rsa_lead_s > 5.0 or self.follow_lag_s > 10.0:
            raise ValueError("rsa_lead_s must be <= 5 s and follow_lag_s <= 10 s")
        if not 0.1 <= self.hr_period_s <= 10.0:
            raise ValueError("hr_period_s must be within 0.1..10 s")
        if not 0.3 <= self.ectopic_premature < 1.0 or not 1.0 < self.ectopic_compensatory <= 2.0:
            raise ValueError("ectopic beats need 0.3 <= premature < 1 < compensatory <= 2")
        if 60.0 / self.natural_rate_bpm <= self.natural_pause_s + 2 * _MIN_PHASE_S:
            raise ValueError("natural_pause_s leaves no time to breathe at natural_rate_bpm")

    @property
    def belt_period_us(self) -> int:
        """Belt sample period, whole microseconds (what a Go Direct SET_PERIOD command sends)."""
        return int(1e6 / self.belt_fs_hz)

    def rsa_amplitude_bpm(self, rate_bpm: float) -> float:
        """RSA peak-to-trough swing at breathing rate ``rate_bpm``, beats/min.

        Magnitude of a second-order band-pass centred on the resonance rate,
        ``peak / sqrt(1 + Q^2 (r/r0 - r0/r)^2)``: the cardiovascular system behaves as a
        resonant system with its peak near 0.1 Hz (Vaschillo et al. 2002, Appl Psychophysiol
        Biofeedback 27:1; Lehrer & Gevirtz 2014, Front Psychol 5:756).
        """
        r = max(rate_bpm, 1e-3)
        r0 = self.resonance_rate_bpm
        detune = r / r0 - r0 / r
        return self.rsa_peak_bpm / math.sqrt(1.0 + (self.rsa_q * detune) ** 2)


@dataclass(frozen=True, slots=True)
class _Breath:
    """One decided breath, session seconds."""

    onset_s: float
    peak_s: float
    exhale_s: float
    pause_s: float
    depth_n: float
    nominal_depth_n: float
    rsa_bpm: float
    resp_rate_bpm: float


def _slow_waves(
    rng: np.random.Generator, amplitude: float, f_lo_hz: float, f_hi_hz: float, n: int = 3
) -> tuple[Array, Array, Array]:
    """Random amplitudes, frequencies and phases of ``n`` slow sinusoids summing to ~amplitude."""
    amps = amplitude / n * rng.uniform(0.5, 1.5, n)
    freqs = rng.uniform(f_lo_hz, f_hi_hz, n)
    phases = rng.uniform(0.0, 2 * math.pi, n)
    return amps, freqs, phases


def _eval_waves(waves: tuple[Array, Array, Array], t_s: Array) -> Array:
    amps, freqs, phases = waves
    angle = 2 * np.pi * freqs[:, None] * t_s + phases[:, None]
    result: Array = (amps[:, None] * np.sin(angle)).sum(axis=0)
    return result


class SimulatedSensor:
    """A simulated person wearing a heart-rate strap and a Go Direct respiration belt.

    Parameters
    ----------
    person : PersonModel
        Who breathes, with their seed.
    guide : BreathingGuide or None
        The pacer they follow, asked with session time in seconds; ``None`` (or a guide answering
        ``None``) means their own rhythm.
    start_mono_ns, start_wall_ns : int
        Host clocks at session start; packet times are these plus the simulated emission time.
    belt : bool
        Whether the person wears the belt. Without it only heart-rate packets are sent; the
        breathing, and so the heart, are the same as with it (the belt's random draws are
        made either way), so one seed gives the same beats with and without a belt.

    Notes
    -----
    Breaths are decided when the person finishes an exhale, and the heart is computed a few
    seconds ahead of the last notification, so generation runs up to about one breath plus 4 s
    ahead of the latest ``packets_until`` time. The guide is therefore asked about times up to
    that far ahead; a pacer change lands on the next breath decided after it, like a person who
    finishes the breath they are in.
    """

    def __init__(
        self,
        person: PersonModel,
        guide: BreathingGuide | None,
        *,
        start_mono_ns: int,
        start_wall_ns: int,
        belt: bool = True,
    ) -> None:
        self.person = person
        self.guide = guide
        self.start_mono_ns = int(start_mono_ns)
        self.start_wall_ns = int(start_wall_ns)
        self.belt = bool(belt)
        self.info = describe(person, belt=self.belt)

        # A fifth stream for the Mayer wave leaves the first four (and every earlier
        # simulated session) as they were.
        streams = np.random.SeedSequence(person.seed).spawn(5)
        self._rng_breath = np.random.default_rng(streams[0])
        self._rng_belt = np.random.default_rng(streams[1])
        self._rng_heart = np.random.default_rng(streams[2])
        rng_static = np.random.default_rng(streams[3])
        self._drift = _slow_waves(rng_static, person.belt_drift_n, 0.002, 0.01)
        self._wander = _slow_waves(rng_static, person.hr_wander_bpm, 0.01, 0.06)
        self._mayer = _slow_waves(
            np.random.default_rng(streams[4]), person.mayer_bpm, 0.085, 0.115, n=2
        )
        self._belt_counter0 = int(rng_static.integers(0, 256))
        self._ipfm_phase = float(rng_static.uniform(0.0, 1.0))

        self._period_ns = person.belt_period_us * 1000
        self._dt_s = self._period_ns / NS_PER_S
        self._lead_n = round(person.rsa_lead_s / self._dt_s)
        self._hr_period_ns = round(person.hr_period_s * NS_PER_S)
        natural_period = 60.0 / person.natural_rate_bpm
        self._natural_inhale_s = (natural_period - person.natural_pause_s) / (
            1.0 + person.natural_ratio
        )

        # Breathing state.
        self._breaths: list[_Breath] = []
        self._truth_breaths: list[tuple[float, float, float, float]] = []
        self._onsets: deque[float] = deque()
        self._free_s = 0.0  # when the person may start the next breath
        self._followed_s: float | None = None  # pacer onset the last breath followed
        self._rendered_n = 0  # belt samples 0.._rendered_n - 1 are computed

        # Heart state.
        self._mod_tail: Array = np.zeros(0)  # RSA term of samples not yet fed to the IPFM
        self._heart_n = 0  # first belt-grid sample the IPFM has not integrated
        self._beat_offset_s = 0.0
        self._last_beat_s: float | None = None
        self._last_tick: int | None = None
        self._ectopic_rr_s: float | None = None  # normal RR before a pending compensatory beat
        self._truth_beats: list[float] = []
        self._truth_ectopic: list[float] = []
        self._pending_rr: deque[tuple[float, int]] = deque()  # (beat time, RR raw)
        self._next_hr_j = 1
        self._last_hr_bpm = round(person.base_hr_bpm)

        self._belt_out = _Outbox()
        self._hr_out = _Outbox()
        self._next_due_ns = self.start_mono_ns  # no packet is due before this host time

    # ------------------------------------------------------------------------------ truth
    @property
    def truth_breaths(self) -> list[tuple[float, float, float, float]]:
        """Completed breaths so far: (inhale onset, exhale onset, pause start, end), session s.

        ``end`` is the next breath's inhale onset; the pause ``[pause start, end)`` is flat.
        Generation runs ahead of ``packets_until`` (class notes), so the last entries may lie
        a few seconds past the latest query time.
        """
        return list(self._truth_breaths)

    @property
    def truth_beats_s(self) -> list[float]:
        """Every heart beat generated so far, session seconds (ectopic beats included)."""
        return list(self._truth_beats)

    @property
    def truth_ectopic_beats_s(self) -> list[float]:
        """Times of the premature (ectopic) beats among :attr:`truth_beats_s`, session seconds."""
        return list(self._truth_ectopic)

    # ------------------------------------------------------------------------------ output
    def packets_until(self, t_mono_ns: int) -> list[RawPacket]:
        """Every packet not yet returned whose time is ``<= t_mono_ns``, in time order.

        Belt and heart-rate packets are merged by time; at equal times the belt packet comes
        first. The result depends only on the seed, the guide and ``t_mono_ns``, never on how
        earlier calls stepped time.
        """
        if t_mono_ns < self._next_due_ns:
            return []  # fast path for callers polling faster than packets come
        until_ns = int(t_mono_ns) - self.start_mono_ns
        while (
            self._rendered_n * self._period_ns <= until_ns
            or self._next_hr_j * self._hr_period_ns <= until_ns
        ):
            self._step()
        limit = self.start_mono_ns + until_ns
        belt, belt_times = self._belt_out.pop_until(limit)
        heart, _ = self._hr_out.pop_until(limit)
        hr_next = self._hr_out.next_time()
        if hr_next is None:
            hr_next = self.start_mono_ns + self._next_hr_j * self._hr_period_ns
        belt_next = self._belt_out.next_time()
        self._next_due_ns = hr_next if belt_next is None else min(belt_next, hr_next)
        if not heart:
            return belt
        merged: list[RawPacket] = []
        i = 0
        for packet in heart:
            # bisect_right: on a tie the belt packet goes first.
            j = bisect_right(belt_times, packet.t_mono_ns, lo=i)
            merged.extend(belt[i:j])
            merged.append(packet)
            i = j
        merged.extend(belt[i:])
        return merged

    # ------------------------------------------------------------------------------ model
    def _step(self) -> None:
        """Decide one breath, render its belt samples, advance the heart and notifications."""
        breath = self._decide()
        n0 = self._rendered_n
        n1 = math.ceil(breath.pause_s / self._dt_s)
        if n1 > n0:
            self._render(breath, n0, n1)
            self._rendered_n = n1
        self._advance_heart()

    def _guide(self, t_s: float) -> GuideState | None:
        if self.guide is None:
            return None
        state = self.guide.guide_at(t_s)
        if state is None:
            return None
        durations = (state.inhale_s, state.hold_in_s, state.exhale_s, state.hold_out_s)
        if not all(math.isfinite(d) and d >= 0 for d in durations) or state.period_s <= 0:
            return None  # a nonsensical target: breathe on one's own rather than crash
        if state.inhale_s <= 0 or state.exhale_s <= 0 or not math.isfinite(state.cycle_fraction):
            return None
        return state

    def _decide(self) -> _Breath:
        p = self.person
        # A fixed number of draws per breath keeps the random stream aligned whatever branch runs.
        z = self._rng_breath.standard_normal(7)
        u_sigh = float(self._rng_breath.random())
        x = self._free_s
        g = self._guide(x)
        if g is not None:
            period = g.period_s
            pacer_onset = x - (g.cycle_fraction % 1.0) * period  # latest pacer onset <= x
            target = self._next_target(x, pacer_onset, period)
            planned = target + p.follow_lag_s + p.follow_jitter_s * float(z[0])
            onset = max(planned, x + _MIN_WAIT_S)
            g_at_onset = self._guide(onset) or g
            inhale = g_at_onset.inhale_s * (1 + p.breath_cv * float(z[1]))
            hold_in = g_at_onset.hold_in_s * max(0.0, 1 + p.breath_cv * float(z[2]))
            exhale = g_at_onset.exhale_s * p.ratio_bias * (1 + p.breath_cv * float(z[3]))
            inhale, exhale = max(inhale, _MIN_PHASE_S), max(exhale, _MIN_PHASE_S)
            if onset > planned:
                # Late: catch up by finishing with the pacer's exhale instead of skipping a cycle.
                due = planned + g_at_onset.inhale_s + g_at_onset.hold_in_s + g_at_onset.exhale_s
                total = inhale + hold_in + exhale
                scale = min(1.0, max(_MAX_SHORTEN, (due - onset) / total))
                inhale, hold_in, exhale = inhale * scale, hold_in * scale, exhale * scale
            rate_bpm = 60.0 / g_at_onset.period_s
            self._followed_s = target
        else:
            self._followed_s = None
            period = (60.0 / p.natural_rate_bpm) * (1 + p.breath_cv * float(z[1]))
            pause = p.natural_pause_s * max(0.2, 1 + 2 * p.breath_cv * float(z[2]))
            active = max(period - pause, 2 * _MIN_PHASE_S)
            share = 1.0 / (1.0 + p.natural_ratio)
            inhale = max(active * share * (1 + 0.5 * p.breath_cv * float(z[3])), _MIN_PHASE_S)
            exhale = max(active * (1 - share) * (1 + 0.5 * p.breath_cv * float(z[4])), _MIN_PHASE_S)
            hold_in = 0.0
            onset = x + pause
            rate_bpm = 60.0 / period
        sigh = u_sigh < p.sigh_per_min * (60.0 / rate_bpm) / 60.0
        factor = math.sqrt(inhale / self._natural_inhale_s)
        nominal = p.belt_depth_n * min(2.0, max(0.7, factor))
        depth = nominal * max(0.3, 1 + p.depth_cv * float(z[5])) * (p.sigh_depth if sigh else 1.0)
        exhale_onset = onset + inhale + hold_in
        pause_start = exhale_onset + exhale
        self._free_s = pause_start + (
            p.sigh_pause_s * max(0.2, 1 + 0.2 * float(z[6])) if sigh else 0.0
        )
        if self._breaths:
            last = self._breaths[-1]
            self._truth_breaths.append((last.onset_s, last.exhale_s, last.pause_s, onset))
        breath = _Breath(
            onset_s=onset,
            peak_s=onset + inhale,
            exhale_s=exhale_onset,
            pause_s=pause_start,
            depth_n=depth,
            nominal_depth_n=nominal,
            rsa_bpm=p.rsa_amplitude_bpm(rate_bpm),
            resp_rate_bpm=self._device_rate(onset),
        )
        self._breaths.append(breath)
        if len(self._breaths) > 2:
            del self._breaths[0]  # only the last two are ever read
        return breath

    def _next_target(self, x_s: float, pacer_onset_s: float, period_s: float) -> float:
        """The pacer onset the next breath follows.

        The one after the onset the previous breath followed, so a person who is late (after a
        sigh, say) shortens the next breath instead of skipping a cycle. Without such an onset
        on the current pacer grid (first paced breath, pattern change, or more than a whole
        cycle behind) the person joins the nearest onset, past or next.
        """
        followed = self._followed_s
        if followed is not None:
            cycles = (pacer_onset_s - followed) / period_s
            k = round(cycles)
            if abs(cycles - k) < 0.02 and k <= 1:
                return followed + period_s
        if x_s - pacer_onset_s > period_s / 2:
            return pacer_onset_s + period_s
        return pacer_onset_s

    def _device_rate(self, onset_s: float) -> float:
        """The belt's own rate after the onset at ``onset_s``: onsets in the last window."""
        window = self.person.resp_rate_window_s
        self._onsets.append(onset_s)
        while self._onsets and self._onsets[0] <= onset_s - window:
            self._onsets.popleft()
        if len(self._onsets) < 2:
            return math.nan
        return 60.0 * (len(self._onsets) - 1) / (onset_s - self._onsets[0])

    def _render(self, breath: _Breath, n0: int, n1: int) -> None:
        """Belt samples ``n0..n1-1``: the pause before ``breath`` and the breath itself."""
        p = self.person
        n = np.arange(n0, n1)
        t: Array = n.astype(np.float64) * self._dt_s
        volume = _volume(breath, t)
        force = (
            p.belt_baseline_n
            + volume
            + _eval_waves(self._drift, t)
            + p.belt_noise_n * self._rng_belt.standard_normal(t.size)
        )
        prev_rate = self._breaths[-2].resp_rate_bpm if len(self._breaths) > 1 else math.nan
        rate = np.where(t >= breath.onset_s, breath.resp_rate_bpm, prev_rate)
        rate[t < p.resp_rate_warmup_s] = np.nan
        # HR leads volume: normalise by the nominal depth so a sigh swings HR further.
        rsa = breath.rsa_bpm * (volume / breath.nominal_depth_n - 0.5)
        self._mod_tail = np.concatenate((self._mod_tail, rsa))
        if not self.belt:
            return
        payloads = encode_godirect_measurements(
            np.column_stack((force, rate)),
            (FORCE_CHANNEL, RATE_CHANNEL),
            (self._belt_counter0 + n0) & 0xFF,
        )
        times = self.start_mono_ns + np.arange(n0, n1, dtype=np.int64) * self._period_ns
        walls = times + (self.start_wall_ns - self.start_mono_ns)
        t_list = times.tolist()
        self._belt_out.extend(
            map(RawPacket, t_list, walls.tolist(), repeat(Stream.GODIRECT.value), payloads), t_list
        )

    def _advance_heart(self) -> None:
        """Integrate the heart up to the rendered samples minus the RSA lead; send notifications."""
        p = self.person
        m = self._mod_tail.size - self._lead_n
        if m <= 0:
            return
        n0 = self._heart_n
        t: Array = np.arange(n0, n0 + m, dtype=np.float64) * self._dt_s
        hr = p.base_hr_bpm + _eval_waves(self._wander, t) + self._mod_tail[self._lead_n :]
        if p.mayer_bpm > 0.0:
            hr += _eval_waves(self._mayer, t)
        np.clip(hr, _HR_MIN_BPM, _HR_MAX_BPM, out=hr)
        self._mod_tail = self._mod_tail[m:]
        self._heart_n = n0 + m
        # IPFM: phase grows by HR/60 per second (HR held over each sample interval); a beat
        # fires at every whole-number crossing, placed by linear interpolation.
        phase = np.empty(m + 1)
        phase[0] = self._ipfm_phase
        np.cumsum(hr * (self._dt_s / 60.0), out=phase[1:])
        phase[1:] += self._ipfm_phase
        crossings = np.arange(1, math.floor(phase[-1]) + 1, dtype=np.float64)
        idx = np.searchsorted(phase, crossings, side="left") - 1
        frac = (crossings - phase[idx]) / (phase[idx + 1] - phase[idx])
        sinus = (n0 + idx + frac) * self._dt_s
        self._ipfm_phase = float(phase[-1] - math.floor(phase[-1]))
        jitter = self._rng_heart.standard_normal(sinus.size) * (p.rr_jitter_ms / 1000.0)
        chance = self._rng_heart.random(sinus.size)
        for tau, jit, u in zip(sinus.tolist(), jitter.tolist(), chance.tolist(), strict=True):
            self._beat(tau + jit, u)
        self._notify(self._heart_n * self._dt_s - _HR_MARGIN_S)

    def _beat(self, sinus_s: float, u: float) -> None:
        """Place one sinus beat, possibly replaced by an ectopic one (premature then pause)."""
        p = self.person
        t = sinus_s + self._beat_offset_s
        last = self._last_beat_s
        if self._ectopic_rr_s is not None and last is not None:
            # The beat after an ectopic one ends the compensatory pause; the sinus rhythm
            # carries on from it (its phase reset by the difference, normally a few ms).
            t_new = last + p.ectopic_compensatory * self._ectopic_rr_s
            self._beat_offset_s = t_new - sinus_s
            t = t_new
            self._ectopic_rr_s = None
        elif last is not None and u < p.ectopic_per_min / 60.0 * (t - last):
            # Chance per beat = rate per second x this RR, so the count per minute is the rate.
            rr = t - last
            t = last + p.ectopic_premature * rr
            self._ectopic_rr_s = rr
            self._truth_ectopic.append(t)
        if last is not None and t <= last:
            t = last + 0.25  # unreachable with sane parameters; keeps beat times increasing
        self._truth_beats.append(t)
        tick = round(t * RR_UNITS_PER_S)
        if self._last_tick is not None:
            self._pending_rr.append((t, min(tick - self._last_tick, 0xFFFF)))
        self._last_tick = tick
        self._last_beat_s = t

    def _notify(self, horizon_s: float) -> None:
        """Heart-rate notifications up to ``horizon_s`` (every beat before them is final)."""
        hr_ns = self._hr_period_ns
        base = self.start_mono_ns
        wall = self.start_wall_ns - self.start_mono_ns
        while self._next_hr_j * hr_ns <= horizon_s * NS_PER_S:
            t_ns = self._next_hr_j * hr_ns
            t_s = t_ns / NS_PER_S
            rr: list[int] = []
            while self._pending_rr and self._pending_rr[0][0] <= t_s:
                rr.append(self._pending_rr.popleft()[1])
            if rr:
                mean_ms = sum(rr) * 1000 / RR_UNITS_PER_S / len(rr)
                self._last_hr_bpm = round(60000 / mean_ms)
            payload = encode_heart_rate_measurement(self._last_hr_bpm, rr[-9:], contact=True)
            packet = RawPacket(base + t_ns, wall + base + t_ns, Stream.HEART_RATE.value, payload)
            self._hr_out.extend((packet,), [packet.t_mono_ns])
            self._next_hr_j += 1


def _volume(breath: _Breath, t_s: Array) -> Array:
    """Lung-volume force of one breath at ``t_s`` (0 before its onset and in its pause), N.

    Inhale: half-cosine rise (smooth start and end); hold: flat; exhale: half-cosine over
    warped time ``u ** 0.75``, which keeps both ends smooth but puts the steepest fall early,
    like passive recoil.
    """
    rise_s = breath.peak_s - breath.onset_s
    exhale = breath.pause_s - breath.exhale_s
    u_in = np.clip((t_s - breath.onset_s) / max(rise_s, 1e-9), 0.0, 1.0)
    v_in = 0.5 * (1 - np.cos(np.pi * u_in))  # stays 1 through the hold after the inhale
    u_ex = np.clip((t_s - breath.exhale_s) / max(exhale, 1e-9), 0.0, 1.0)
    v_ex = 0.5 * (1 + np.cos(np.pi * u_ex**_EXHALE_SHAPE))
    v = np.where(t_s < breath.exhale_s, v_in, np.where(t_s < breath.pause_s, v_ex, 0.0))
    v[t_s < breath.onset_s] = 0.0
    result: Array = breath.depth_n * v
    return result


class _Outbox:
    """Generated packets not yet released, in time order (a list with a moving head)."""

    _COMPACT = 4096

    def __init__(self) -> None:
        self._packets: list[RawPacket] = []
        self._times: list[int] = []
        self._head = 0

    def extend(self, packets: Iterable[RawPacket], times: list[int]) -> None:
        """Append packets (later than every packet held) and their ``t_mono_ns``."""
        self._packets.extend(packets)
        self._times.extend(times)

    def next_time(self) -> int | None:
        """Time of the first packet held, or ``None``."""
        return self._times[self._head] if self._head < len(self._times) else None

    def pop_until(self, limit_ns: int) -> tuple[list[RawPacket], list[int]]:
        """Release every packet with time <= ``limit_ns``; returns the packets and their times."""
        end = bisect_right(self._times, limit_ns, lo=self._head)
        packets = self._packets[self._head : end]
        times = self._times[self._head : end]
        self._head = end
        if self._head >= self._COMPACT and self._head * 2 >= len(self._packets):
            del self._packets[: self._head]
            del self._times[: self._head]
            self._head = 0
        return packets, times


def describe(person: PersonModel, *, belt: bool = True) -> SourceInfo:
    """The recording-header description of a simulated sensor for ``person``.

    Without the belt the header lists only the heart-rate stream, as for a plain strap, and is
    named for it (the pipeline looks for a belt by its stream).
    """
    streams: dict[str, dict[str, Any]] = {}
    if belt:
        streams[Stream.GODIRECT.value] = {
            "period_us": person.belt_period_us,
            "force_channel": FORCE_CHANNEL,
        }
    streams[Stream.HEART_RATE.value] = {}
    return SourceInfo(
        kind=SIMULATED_KIND,
        name="simulated person" if belt else "simulated person (heart-rate strap only)",
        streams=streams,
        details={"seed": person.seed, "person": asdict(person)},
    )


class SimulatedSource:
    """The simulated sensor as an async :class:`devices.source.PacketSource`.

    Parameters
    ----------
    person : PersonModel
        Who breathes.
    guide : BreathingGuide or None
        The pacer they follow (asked with seconds since the source started).
    clock, wall_clock : callable returning int
        Host monotonic and wall clocks, nanoseconds; injectable for tests.
    sleep : callable
        Async sleep, seconds; injectable for tests.
    realtime : bool
        ``True``: release packets as ``clock`` passes their times, polling every ``poll_s``.
        ``False``: advance simulated time by ``poll_s`` per step as fast as possible (tests,
        batch demos); ``clock`` is read once, for the start time.
    poll_s : float
        Polling step, seconds (default 20 ms, about one belt sample).
    duration_s : float or None
        End :meth:`packets` after this much session time; ``None`` runs until :meth:`aclose`.
    belt : bool
        Whether the person wears the belt (:class:`SimulatedSensor`); ``False`` is a plain
        heart-rate strap.

    Attributes
    ----------
    sensor : SimulatedSensor or None
        The running sensor (for its truth), once :meth:`packets` has started.
    """

    def __init__(
        self,
        person: PersonModel,
        guide: BreathingGuide | None,
        *,
        clock: Callable[[], int] = time.monotonic_ns,
        wall_clock: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        realtime: bool = True,
        poll_s: float = 0.02,
        duration_s: float | None = None,
        belt: bool = True,
    ) -> None:
        if not (math.isfinite(poll_s) and poll_s > 0):
            raise ValueError(f"poll_s must be > 0, got {poll_s!r}")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s >= 0):
            raise ValueError(f"duration_s must be >= 0, got {duration_s!r}")
        self.person = person
        self.guide = guide
        self.belt = bool(belt)
        self.info = describe(person, belt=self.belt)
        self.sensor: SimulatedSensor | None = None
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._realtime = realtime
        self._poll_ns = max(1, round(poll_s * NS_PER_S))
        self._duration_ns = None if duration_s is None else round(duration_s * NS_PER_S)
        self._drops: list[tuple[int, int]] = []  # requested windows, session ns, [start, end)
        self._closed = False

    async def __aenter__(self) -> SimulatedSource:
        self._closed = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Make :meth:`packets` end at its next step."""
        self._closed = True

    def drop_link(self, at_s: float, duration_s: float) -> None:
        """Simulate a lost connection over ``[at_s, at_s + duration_s)`` session seconds.

        :meth:`packets` yields ``LinkEvent(LOST)`` stamped at ``at_s``, drops every packet of the
        window (they are gone, as in a real drop), then yields ``LinkEvent(RESTORED)`` stamped at
        the end. Overlapping requests merge into one outage. A window already in the past when
        the stream reaches it is applied from the stream's current time.
        """
        if not (math.isfinite(at_s) and at_s >= 0 and math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"drop_link needs at_s >= 0 and duration_s > 0: {at_s}, {duration_s}")
        start = round(at_s * NS_PER_S)
        self._drops.append((start, start + round(duration_s * NS_PER_S)))
        self._drops.sort()

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        """Packets and link events in time order until ``duration_s`` or :meth:`aclose`."""
        start_mono = int(self._clock())
        start_wall = int(self._wall_clock())
        sensor = SimulatedSensor(
            self.person,
            self.guide,
            start_mono_ns=start_mono,
            start_wall_ns=start_wall,
            belt=self.belt,
        )
        self.sensor = sensor
        link = _LinkWindows(self._drops, start_mono, start_wall)
        end = None if self._duration_ns is None else start_mono + self._duration_ns
        now = start_mono
        while not self._closed:
            now = int(self._clock()) if self._realtime else now + self._poll_ns
            if end is not None:
                now = min(now, end)
            for item in link.filter(sensor.packets_until(now), now):
                yield item
            if end is not None and now >= end:
                return
            await self._sleep(self._poll_ns / NS_PER_S if self._realtime else 0.0)


class _LinkWindows:
    """Applies requested link drops to a time-ordered stream of packets."""

    def __init__(
        self, drops: list[tuple[int, int]], start_mono_ns: int, start_wall_ns: int
    ) -> None:
        self._drops = drops  # shared with the source, so later requests are seen
        self._start = start_mono_ns
        self._wall = start_wall_ns - start_mono_ns
        self._lost_until: int | None = None  # absolute ns end of the current outage
        self._done = start_mono_ns  # absolute ns up to which time has been processed

    def _event(self, t_ns: int, state: LinkState) -> LinkEvent:
        return LinkEvent(t_ns, self._wall + t_ns, "sim", state, "simulated link drop")

    def _events_until(self, t_ns: int) -> list[LinkEvent]:
        """Outage starts and ends at or before ``t_ns`` not yet reported."""
        events: list[LinkEvent] = []
        while True:
            if self._lost_until is not None:
                # Merge any window that begins before this outage ends.
                for a, b in self._drops:
                    if self._start + a <= self._lost_until < self._start + b:
                        self._lost_until = self._start + b
                if self._lost_until > t_ns:
                    return events
                events.append(self._event(self._lost_until, LinkState.RESTORED))
                self._done = self._lost_until
                self._lost_until = None
                continue
            begin = next(
                (
                    (max(self._start + a, self._done), self._start + b)
                    for a, b in self._drops
                    if self._start + b > self._done
                ),
                None,
            )
            if begin is None or begin[0] > t_ns:
                return events
            events.append(self._event(begin[0], LinkState.LOST))
            self._done = begin[0]
            self._lost_until = begin[1]

    def filter(self, packets: list[RawPacket], now_ns: int) -> list[RawPacket | LinkEvent]:
        out: list[RawPacket | LinkEvent] = []
        if not self._drops:
            out.extend(packets)
            self._done = max(self._done, now_ns)
            return out
        for packet in packets:
            out.extend(self._events_until(packet.t_mono_ns))
            if self._lost_until is None:
                out.append(packet)
        out.extend(self._events_until(now_ns))
        self._done = max(self._done, now_ns) if self._lost_until is None else self._done
        return out
