"""Breaths from a chest-worn 3-axis accelerometer (Polar H10 ACC, 25-200 Hz).

Breathing tilts and lifts the chest wall, so a chest accelerometer sees it mostly as a slow
change of the gravity vector's projection on its axes, a few to a few tens of mG. One open
trainer projects gravity-removed ACC onto one fixed axis and takes descending zero crossings as
breath ends, which breaks when the person changes posture; a principal-component projection of
the low-passed three axes is sturdier (docs/reference/physiology.md, "Breath phases"). This module
does:

1. **Anti-alias low-pass and decimation.** Each axis goes through a causal 2nd-order Butterworth
   low-pass at ``lowpass_hz`` (1.5 Hz: the shape of breaths up to 30/min) held in
   :class:`analysis.filters.StreamingSOS`, and every ``D``-th sample (by absolute index, so any
   chunking picks the same samples) is kept: ``D = max(1, floor(fs / 20 Hz))``, a working rate of
   20-25 Hz for 25-200 Hz input.
2. **Gravity removal.** Gravity is the per-axis mean since the last posture change, a running
   mean that becomes an exponential average of time constant ``gravity_tau_s`` (20 s) once that
   much data is in: removing it is a first-order high-pass at ``1 / (2 pi tau)`` = 0.008 Hz,
   far below 3 breaths/min (0.05 Hz), so slow breaths keep their shape (the exponential-average
   idea of the open trainer, alpha 0.999 at 200 Hz, which is 5 s and too short for 4 breaths/min).
3. **Posture changes.** A residual ``|a - g|`` larger than ``max(min_jump, jump_factor x RMS
   of the recent residual)`` is not breathing. The output is held (from half a second before
   the detection: output leaves the tracker half a second late so that the start of the
   movement can still be replaced) until the vector has been still (moved less than half that
   threshold over 0.5 s) for ``settle_s``; a new epoch starts there: gravity and the covariance
   below restart from it.
4. **Adaptive principal component.** The covariance of the residual is averaged with the same
   running-mean-then-exponential rule (time constant ``pca_tau_s``, 30 s) and its principal
   eigenvector (``numpy.linalg.eigh``, Pearson 1901 / Hotelling 1933) is recomputed every
   ``pca_every_s`` (1 s, on an absolute grid); it is kept pointing the way of the previous one
   (sign of their dot product), and the old axis is used until a new epoch has ``min_epoch_s`` of
   data. The projection ``e . (a - g)`` is the breathing signal.
5. **Which way is inhale.** Nothing in the ACC says which sign is inhale. Inhales are shorter
   and faster than exhales, which then rest in the post-exhale pause, so the first difference
   of a correctly oriented signal has a positive third moment (skewness). Within the first
   ``orient_s`` (60 s) of each epoch, once 12 s are in, the sign follows the skewness when it is
   clear (|skew| > 0.2); after that it is locked. With a 1:1 ratio and no pause the sign stays
   arbitrary (inhale and exhale look alike; the ratio then reads near 1 either way).
   Until an epoch's sign is settled -- a clear skewness, or the window closed -- and while
   the output is held for a posture change or the old axis is still in use (the first
   ``min_epoch_s``), a breath touching that time is ``"uncertain"``, not ``"good"``: with a
   posture change every 20 s to a new breathing axis, 21 of 50 breaths were found, 11 false
   of which 8 were 'good', and the ratio of 20 s stretches read 0.31-4.4 for 2.0. The sign
   already follows the old one when the new axis is near it (the axis is kept pointing the
   old way); if the epoch's first own axis lies within ``carry_deg`` (30 degrees) of the old
   one and the old sign was settled, the new one counts as settled. On the posture-change
   scenarios of the hostile review (10/min, 2:1, gravity turning 25-50 degrees every 20, 30,
   60 or 120 s, the breathing axis kept or random, two seeds each: 800 true breaths) the
   breaths found do not change (47 false), the 'good' ones go from 621 to 386, and the
   false ones among them from 21 to 1 (without carrying over: 336 and 0; carrying within 45
   degrees: 418 and 6).
6. **Continuity.** Whenever the output would jump (a flip, a new epoch, a new axis), an offset
   keeps it continuous, so the breath detector sees no steps; it tolerates the remaining slow
   wander (relative thresholds).
7. **Breaths.** The output goes through :class:`analysis.breath.BreathTracker` at the working
   rate, with ``t0_s`` moved back by the low-pass group delay at 0.1 Hz so that breath times
   refer to the input's clock.
8. **Movement.** Walking, swaying or fidgeting put power well above breathing into the
   accelerometer: a walking bounce along gravity at 1.8 Hz (steps) and a sideways sway at
   0.9 Hz pass the 1.5 Hz low-pass partly (0.57 of the bounce's amplitude) and pull the
   principal axis and the inhale sign away from breathing (a 25 mG bounce on 26 mG breaths: 45
   breaths found for 40, 9 of them right, half inverted, ratio 0.18 for 2.0). Each axis of the
   input is band-passed over ``MOTION_BAND_HZ`` (0.7-3 Hz, 8-pole Butterworth, so that a
   30/min breath's fundamental passes at 0.15 at most) and its power summed over the axes;
   a breath's ``motion`` (:attr:`analysis.breath.Breath.motion`) is the square root of that
   power's mean over the breath (inhale onset to end) over the mean power of the working
   signal's residual ``|a - g|^2`` (the breathing, plus what of the movement the low-pass
   lets through), samples held for a posture change left out. At ``MOTION_UNCERTAIN`` (0.5)
   a ``"good"`` breath becomes ``"uncertain"``, at ``MOTION_ARTIFACT`` (1.0, the movement as
   strong as all the breathing) any breath becomes ``"artifact"``. Measured on the synthetic
   chests of ``benchmarks/validate_breath.py`` (288 recordings: 4-30 breaths/min, ratios 1-3
   with and without pause, 25-200 Hz, with and without a posture change, 2 mG noise; 19 966
   breaths): median 0.17, 99th percentile 0.38, largest 0.48 (30/min, 3:1 at 25 Hz: the
   breath's own harmonics), so no label there changes. Under the walking bounce above (plus
   a 30 % sway): 3 mG 0.25, 5 mG 0.39, 8 mG 0.59, 10 mG 0.71, 15 mG 0.96, 20 mG 1.14, 25 mG
   1.26, 50 mG 1.51 (medians; the breaths stay right up to 20 mG and go wrong from 25 mG).
   Very shallow breathing in sensor noise reads high too (0.5 degrees of tilt, 9 mG, at 25
   Hz: 0.47, a quarter of its breaths uncertain). :mod:`analysis.breath_sources` scores a
   moving breath lower still, so the heart-rhythm source takes over. Stronger movement is
   taken for a posture change (step 3) that never settles -- under the walking bounce above,
   100 mG from the start of an epoch, before the breathing's size is known, or 150 mG once
   it is -- so the output is held for as long as it lasts and no breath carries the label;
   :attr:`AccBreathTracker.held_s` says how long it has been held (a posture change takes a
   few seconds) for the caller to tell the person.

Everything runs per working sample in plain Python floats (about 10 us per sample: 0.7 s per
hour at 20 Hz), with state in the object, so any chunking gives the same breaths.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.breath import Breath, BreathTracker
from analysis.filters import StreamingSOS, bandpass_sos, group_delay_s, lowpass_sos

__all__ = [
    "MOTION_ARTIFACT",
    "MOTION_BAND_HZ",
    "MOTION_UNCERTAIN",
    "ORIENT_SKEW",
    "AccBreathTracker",
    "TimedAccBreathTracker",
    "detect_acc_breaths",
    "difference_skewness",
]

FloatArray = NDArray[np.float64]

_TARGET_WORK_HZ = 20.0
_ORIENT_MIN_S = 12.0
ORIENT_SKEW = 0.2
"""Skewness of the first difference beyond which a breathing signal's orientation is clear
(module notes, step 5): inhales faster than exhales make it positive."""
_LOOKBACK_S = 0.5
_HISTORY_S = 600.0
"""Per-working-sample motion power and flags kept for labelling breaths, s."""
_BREATH_SPAN_MAX_S = 120.0
"""A breath's motion is measured over at most its last this many seconds (chunk-independent)."""

MOTION_BAND_HZ = (0.7, 3.0)
"""Band of movement above breathing, Hz: walking steps (1.6-2.2 Hz), their sway (0.8-1.1 Hz)."""
MOTION_UNCERTAIN = 0.5
"""A breath whose motion (:attr:`analysis.breath.Breath.motion`, dimensionless) reaches this is
``"uncertain"`` (module notes, step 8): still synthetic chests reach at most 0.48."""
MOTION_ARTIFACT = 1.0
"""A breath whose motion reaches this is ``"artifact"``: the movement is as strong as the
breathing (a 1.8 Hz bounce of 25 mG on 26 mG breaths reads 1.26 and leaves 9 of 45 right)."""


MIN_FS_HZ = 5.0
"""Slowest accelerometer rate analysed, Hz: the 1.5 Hz low-pass needs room below Nyquist."""


class AccBreathTracker:
    """Streaming breath detector for a chest accelerometer: (n, 3) samples in, breaths out.

    Parameters
    ----------
    fs_hz : float
        Accelerometer sampling rate, Hz (>= 5).
    t0_s : float
        Time of the first sample, s; sample ``i`` is at ``t0_s + i / fs_hz``.
    lowpass_hz : float
        Anti-alias and breathing low-pass, Hz.
    gravity_tau_s : float
        Time constant of the gravity estimate, s.
    pca_tau_s : float
        Time constant of the residual covariance, s.
    pca_every_s : float
        How often the principal axis is recomputed, s.
    min_jump : float
        Smallest residual that counts as a posture change, input units (mG for Polar ACC).
    jump_factor : float
        A posture change is also a residual above this many RMS of the recent residual.
    settle_s : float
        How long the vector must be still before a new posture epoch starts, s.
    min_epoch_s : float
        Data a new epoch needs before its own axis replaces the previous one, s.
    orient_s : float
        Within this time from an epoch's start the inhale sign may still change, s.
    carry_deg : float
        A new epoch whose first own axis lies within this angle of the previous axis keeps
        the previous epoch's settled inhale sign as settled, degrees (module notes, step 5).
    **breath_kwargs : float or int
        Passed to :class:`analysis.breath.BreathTracker` (``rel_delta``, ``stall_s``...).

    Notes
    -----
    See the module notes for the method. Detection latency is the belt detector's (see
    :attr:`latency_s`) plus the low-pass delay (about 0.15 s at 1.5 Hz) plus the 0.5 s
    look-back of the posture-change detector.
    """

    def __init__(
        self,
        fs_hz: float,
        *,
        t0_s: float = 0.0,
        lowpass_hz: float = 1.5,
        gravity_tau_s: float = 20.0,
        pca_tau_s: float = 30.0,
        pca_every_s: float = 1.0,
        min_jump: float = 60.0,
        jump_factor: float = 8.0,
        settle_s: float = 1.0,
        min_epoch_s: float = 4.0,
        orient_s: float = 60.0,
        carry_deg: float = 30.0,
        **breath_kwargs: Any,
    ) -> None:
        if not (math.isfinite(fs_hz) and fs_hz >= MIN_FS_HZ):
            raise ValueError(f"fs_hz must be at least {MIN_FS_HZ:g} Hz, got {fs_hz!r}")
        for name, value in (
            ("gravity_tau_s", gravity_tau_s),
            ("pca_tau_s", pca_tau_s),
            ("pca_every_s", pca_every_s),
            ("min_jump", min_jump),
            ("jump_factor", jump_factor),
            ("settle_s", settle_s),
            ("min_epoch_s", min_epoch_s),
            ("orient_s", orient_s),
        ):
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        if not 0.0 <= carry_deg <= 90.0:
            raise ValueError(f"carry_deg must lie in [0, 90], got {carry_deg!r}")
        sos = lowpass_sos(lowpass_hz, fs_hz, 2)
        self._fs_hz = float(fs_hz)
        self._decim = max(1, int(fs_hz // _TARGET_WORK_HZ))
        self._work_hz = self._fs_hz / self._decim
        self._delay_s = group_delay_s(sos, fs_hz, 0.1)
        self._filters = [StreamingSOS(sos) for _ in range(3)]
        # Movement above breathing: each axis band-passed at the input rate (module notes).
        band = bandpass_sos(MOTION_BAND_HZ[0], min(MOTION_BAND_HZ[1], 0.4 * fs_hz), fs_hz, 4)
        self._motion_filters = [StreamingSOS(band) for _ in range(3)]
        self._n = 0  # input samples consumed
        self._k = 0  # working samples produced
        w = self._work_hz
        self._n_gravity = max(1, round(gravity_tau_s * w))
        self._n_pca = max(1, round(pca_tau_s * w))
        self._pca_every = max(1, round(pca_every_s * w))
        self._min_epoch = max(2, round(min_epoch_s * w))
        self._n_settle = max(1, round(settle_s * w))
        self._n_orient = max(self._pca_every, round(orient_s * w))
        self._n_orient_min = round(_ORIENT_MIN_S * w)
        self._lag = max(1, round(0.5 * w))  # half a second, for the stillness test
        # Output is released this many samples late, so that the start of a posture change,
        # below the jump threshold until then, can still be replaced by the held value.
        self._n_lookback = max(1, round(_LOOKBACK_S * w))
        self._pending: deque[float] = deque()
        self._min_jump = float(min_jump)
        self._jump_factor = float(jump_factor)

        # Epoch state.
        self._epoch_n = 0
        self._g = [0.0, 0.0, 0.0]
        self._cov = [0.0] * 6  # xx, yy, zz, xy, xz, yz
        self._skew = [0.0, 0.0, 0.0, 0.0]  # count, sum d, sum d^2, sum d^3
        self._axis = (0.0, 0.0, 1.0)
        self._have_axis = False
        self._sign = 1.0
        # Whether this epoch's inhale sign is settled (module notes, step 5), and whether the
        # epoch has its own axis yet.
        self._sign_known = False
        self._own_axis = False
        self._carry = False
        self._carry_cos = math.cos(math.radians(carry_deg))
        self._offset = 0.0
        self._last_out = 0.0
        self._last_proj: float | None = None
        self._moving = False
        self._held_run = 0  # working samples held since the current movement began
        self._still = 0
        self._limit = self._min_jump
        self._recent: deque[tuple[float, float, float]] = deque(maxlen=self._lag + 1)
        self._posture_changes = 0
        # Per working sample (from index self._hist_base): summed band power of the three
        # axes (input units squared) and whether the output was held for a posture change.
        self._power: list[float] = []
        self._resid: list[float] = []
        self._held: list[bool] = []
        self._unsure: list[bool] = []
        self._hist_base = 0
        self._n_hist = max(1, round(_HISTORY_S * w))
        self._n_span_max = max(1, round(_BREATH_SPAN_MAX_S * w))
        self._moving_breaths = 0
        # Working sample k is input sample k*D + D - 1 (the last of its group, see update).
        self._breath_t0_s = t0_s - self._delay_s + (self._decim - 1) / self._fs_hz
        self._breath = BreathTracker(self._work_hz, t0_s=self._breath_t0_s, **breath_kwargs)

    # ----------------------------------------------------------------------------- public API

    @property
    def fs_hz(self) -> float:
        """Input sampling rate, Hz."""
        return self._fs_hz

    @property
    def work_fs_hz(self) -> float:
        """Rate at which the projected signal is analysed, Hz."""
        return self._work_hz

    @property
    def decimation(self) -> int:
        """Input samples per working sample."""
        return self._decim

    @property
    def axis(self) -> tuple[float, float, float]:
        """Current projection axis (unit vector in sensor axes), with the inhale sign applied."""
        return (self._sign * self._axis[0], self._sign * self._axis[1], self._sign * self._axis[2])

    @property
    def posture_changes(self) -> int:
        """Number of posture changes (new epochs) seen so far."""
        return self._posture_changes

    @property
    def moving_breaths(self) -> int:
        """Number of breaths so far whose motion made them uncertain or artifacts (module notes)."""
        return self._moving_breaths

    @property
    def held_s(self) -> float:
        """How long the output has been held for movement without settling, s (0 when still).

        A posture change settles within seconds; movement that never settles (walking with a
        strong bounce, exercise) holds the output for as long as it lasts, and no breath comes
        out at all, so there is no breath to carry a ``motion`` label (module notes, step 8).
        """
        return self._held_run / self._work_hz

    @property
    def latency_s(self) -> float:
        """Typical delay from a breath's end to its emission, s (belt detector's + low-pass)."""
        return self._breath.latency_s + self._delay_s + self._n_lookback / self._work_hz

    def update(self, xyz: ArrayLike) -> list[Breath]:
        """Consume the next accelerometer samples; return the breaths completed by them.

        Parameters
        ----------
        xyz : array_like, shape (n, 3)
            The next ``n`` samples (``n`` may be 0), columns x, y, z, any units (mG from
            :func:`devices.polar_pmd.decode_acc`); finite.

        Returns
        -------
        list of Breath
            Breaths completed within these samples, times on the input clock.

        Raises
        ------
        ValueError
            If ``xyz`` is not (n, 3) or holds a non-finite value.
        """
        a = np.asarray(xyz, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != 3:
            raise ValueError(f"xyz must have shape (n, 3), got {a.shape}")
        n = a.shape[0]
        if n == 0:
            return []
        if not np.isfinite(a).all():
            raise ValueError("accelerometer samples must be finite (split the stream at gaps)")
        lp = [f.process(a[:, i]) for i, f in enumerate(self._filters)]
        bp = [f.process(a[:, i]) for i, f in enumerate(self._motion_filters)]
        # Absolute indices i with i % D == D - 1 are kept (the last of each group).
        first = (-(self._n + 1)) % self._decim
        self._n += n
        idx = slice(first, n, self._decim)
        xs, ys, zs = (c[idx].tolist() for c in lp)
        self._power.extend((bp[0][idx] ** 2 + bp[1][idx] ** 2 + bp[2][idx] ** 2).tolist())
        out: list[float] = []
        pending = self._pending
        for x, y, z in zip(xs, ys, zs, strict=True):
            pending.append(self._step(x, y, z))
            if len(pending) > self._n_lookback:
                out.append(pending.popleft())
        found = self._breath.update(out) if out else []
        labelled = [self._label(b) for b in found]
        extra = len(self._held) - self._n_hist
        if extra > self._n_hist:  # trim in large steps; what is kept never changes a label
            del self._power[:extra]
            del self._resid[:extra]
            del self._held[:extra]
            del self._unsure[:extra]
            self._hist_base += extra
        return labelled

    # ---------------------------------------------------------------------------- per sample

    def _step(self, x: float, y: float, z: float) -> float:
        """One working sample: gravity, posture, axis, projection; returns the output sample."""
        k = self._k
        self._k += 1
        self._recent.append((x, y, z))
        if self._moving:
            self._held_run += 1
            self._held.append(True)
            self._unsure.append(True)
            self._resid.append(0.0)
            return self._moving_step(x, y, z)
        g = self._g
        self._epoch_n += 1
        m = self._epoch_n
        # Running mean, then exponential average (module notes, step 2).
        wg = 1.0 / min(m, self._n_gravity)
        g[0] += wg * (x - g[0])
        g[1] += wg * (y - g[1])
        g[2] += wg * (z - g[2])
        rx, ry, rz = x - g[0], y - g[1], z - g[2]
        c = self._cov
        rms = math.sqrt(max(c[0] + c[1] + c[2], 0.0))
        r2 = rx * rx + ry * ry + rz * rz
        # Early in an epoch the breathing RMS is not known yet, but a jump past min_jump is
        # still a posture change (a sensor that starts at zero, a person settling in).
        limit = (
            max(self._min_jump, self._jump_factor * rms) if m > self._min_epoch else self._min_jump
        )
        if r2 > limit * limit:
            self._moving = True
            # The replaced half second below was already movement.
            self._held_run = 1 + len(self._pending)
            self._still = 0
            self._limit = limit
            # The last half second already carried the start of the movement: replace it
            # by the value before it.
            pending = self._pending
            hold = pending[0] if pending else self._last_out
            held = self._held
            unsure = self._unsure
            for i in range(len(pending)):
                pending[i] = hold
                held[len(held) - 1 - i] = True
                unsure[len(unsure) - 1 - i] = True
            held.append(True)
            unsure.append(True)
            self._resid.append(r2)
            self._last_out = hold
            return hold
        wc = 1.0 / min(m, self._n_pca)
        for i, v in enumerate((rx * rx, ry * ry, rz * rz, rx * ry, rx * rz, ry * rz)):
            c[i] += wc * (v - c[i])
        if (k + 1) % self._pca_every == 0 and m >= self._min_epoch:
            self._new_axis()
        e = self._axis
        proj = e[0] * rx + e[1] * ry + e[2] * rz
        if self._last_proj is not None:
            d = proj - self._last_proj
            s = self._skew
            s[0] += 1.0
            s[1] += d
            s[2] += d * d
            s[3] += d * d * d
        self._last_proj = proj
        value = self._sign * proj + self._offset
        self._last_out = value
        self._held.append(False)
        if not self._sign_known and m > self._n_orient:
            self._sign_known = True  # locked, right or not (a 1:1 breath without pause)
        self._unsure.append(not self._sign_known)
        self._resid.append(r2)
        return value

    def _moving_step(self, x: float, y: float, z: float) -> float:
        """While the posture changes: hold the output until the vector is still."""
        old = self._recent[0]
        moved = math.dist(old, (x, y, z))
        if moved < 0.5 * self._limit:
            self._still += 1
        else:
            self._still = 0
        if self._still >= self._n_settle:
            self._moving = False
            self._held_run = 0
            self._posture_changes += 1
            self._epoch_n = 0
            self._g = [x, y, z]
            self._cov = [0.0] * 6
            self._skew = [0.0, 0.0, 0.0, 0.0]
            self._last_proj = None
            self._offset = self._last_out  # the new epoch's residual starts at 0
            self._carry = self._sign_known
            self._sign_known = False
            self._own_axis = False
        return self._last_out

    def _label(self, b: Breath) -> Breath:
        """Measure a breath's motion and lower its quality label for it (module notes, step 8)."""
        w = self._work_hz
        end = min(len(self._held) + self._hist_base, math.ceil((b.end_s - self._breath_t0_s) * w))
        start = max(
            math.floor((b.inhale_onset_s - self._breath_t0_s) * w),
            end - self._n_span_max,
            self._hist_base,
        )
        lo, hi = start - self._hist_base, end - self._hist_base
        band = resid = 0.0
        for p, r, h in zip(self._power[lo:hi], self._resid[lo:hi], self._held[lo:hi], strict=True):
            if not h:
                band += p
                resid += r
        unsure = any(self._unsure[lo:hi])
        motion = math.sqrt(band / resid) if resid > 0.0 else 0.0
        quality = b.quality
        if motion >= MOTION_ARTIFACT:
            quality = "artifact"
        elif (motion >= MOTION_UNCERTAIN or unsure) and quality == "good":
            quality = "uncertain"
        if motion >= MOTION_UNCERTAIN:
            self._moving_breaths += 1
        return replace(b, quality=quality, motion=motion)

    def _new_axis(self) -> None:
        """Recompute the principal axis; keep its direction and the output continuous."""
        c = self._cov
        cov = np.array([[c[0], c[3], c[4]], [c[3], c[1], c[5]], [c[4], c[5], c[2]]])
        _, vecs = np.linalg.eigh(cov)
        v = vecs[:, -1]
        old = self._axis
        if float(v[0] * old[0] + v[1] * old[1] + v[2] * old[2]) < 0.0:
            v = -v
        new = (float(v[0]), float(v[1]), float(v[2]))
        sign = self._sign
        if not self._own_axis:
            # The epoch's first own axis: a sign known before the change carries over when
            # the breathing axis stayed close (module notes, step 5).
            self._own_axis = True
            close = abs(v[0] * old[0] + v[1] * old[1] + v[2] * old[2]) >= self._carry_cos
            if self._carry and close and self._have_axis:
                self._sign_known = True
        s = self._skew
        if self._n_orient_min <= self._epoch_n <= self._n_orient:
            skew = _skewness(s[0], s[1], s[2], s[3])
            if abs(skew) > ORIENT_SKEW:
                # The sums are of the unsigned projection, kept in one direction by the axis
                # alignment, so the skewness's sign is the inhale sign itself.
                sign = math.copysign(1.0, skew)
                self._sign_known = True
        g = self._g
        r = self._recent[-1]
        rx, ry, rz = r[0] - g[0], r[1] - g[1], r[2] - g[2]
        before = self._sign * (old[0] * rx + old[1] * ry + old[2] * rz) + self._offset
        after = sign * (new[0] * rx + new[1] * ry + new[2] * rz)
        self._offset = before - after
        if self._last_proj is not None:
            self._last_proj = new[0] * rx + new[1] * ry + new[2] * rz
        self._axis = new
        self._sign = sign
        self._have_axis = True


def _skewness(n: float, s1: float, s2: float, s3: float) -> float:
    """Skewness (third standardised moment) from the count and the sums of d, d^2 and d^3.

    0 when it is undefined (fewer than 3 values, or no spread).
    """
    if n <= 2:
        return 0.0
    mean = s1 / n
    var = s2 / n - mean * mean
    if not var > 0.0:
        return 0.0
    m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean**3
    return float(m3 / var**1.5)


def difference_skewness(x: ArrayLike) -> float:
    """Skewness of the first difference of a breathing signal (module notes, step 5).

    Inhales are shorter and faster than exhales, which end in a pause, so the first difference
    of a signal that rises on inhale is positively skewed; a signal that falls on inhale (an
    accelerometer axis the other way round, a belt upside down) has it negative. Low-pass the
    signal first (breathing band): sample noise would drown the shape in its own differences.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal, any units.

    Returns
    -------
    float
        The skewness (dimensionless); 0 for fewer than 4 samples or a straight line.
    """
    d = np.diff(np.asarray(x, dtype=np.float64))
    # Centred first (the sums of powers lose precision on an offset); the skewness is the same.
    d = d - d.mean() if d.size else d
    return _skewness(float(d.size), float(d.sum()), float(d @ d), float((d * d) @ d))


def detect_acc_breaths(
    xyz: ArrayLike, fs_hz: float, *, t0_s: float = 0.0, **kwargs: Any
) -> list[Breath]:
    """Breaths of a whole chest-accelerometer recording.

    Exactly what one :class:`AccBreathTracker` with the same parameters emits when fed ``xyz``
    in any chunking.

    Parameters
    ----------
    xyz : array_like, shape (n, 3)
        Accelerometer samples (x, y, z), any units, finite.
    fs_hz : float
        Sampling rate, Hz.
    t0_s : float
        Time of the first sample, s.
    **kwargs
        See :class:`AccBreathTracker`.

    Returns
    -------
    list of Breath
        Every breath whose end was confirmed within the recording.

    Examples
    --------
    A chest accelerometer lying still but for 12 breaths/min along z (units of mg):

    >>> import numpy as np
    >>> fs_hz = 50.0
    >>> t_s = np.arange(0.0, 120.0, 1.0 / fs_hz)
    >>> z = 1000.0 + 5.0 * np.sin(2 * np.pi * 0.2 * t_s)
    >>> xyz = np.column_stack([np.full(t_s.size, 3.0), np.full(t_s.size, 2.0), z])
    >>> breaths = detect_acc_breaths(xyz, fs_hz)
    >>> len(breaths), round(float(np.median([b.rate_bpm for b in breaths])), 1)
    (22, 12.0)
    """
    return AccBreathTracker(fs_hz, t0_s=t0_s, **kwargs).update(xyz)


class TimedAccBreathTracker:
    """:class:`AccBreathTracker` for samples that carry their own times (a drifting sensor clock).

    The detector runs on the sample index at the nominal rate; each breath's instants are then
    mapped through the actual sample times, so a sensor whose clock runs 1 % fast (Polar H10
    [polar#71]) still gives breaths at the right session times. A hole between chunks (link gap,
    sensor clock restart) starts a new detector, so no breath spans it.

    Parameters
    ----------
    nominal_fs_hz : float
        Nominal sample rate, Hz.
    max_step_s : float
        A step between consecutive samples larger than this (or backwards) counts as a hole, s.
    history_s : float
        Sample times kept for mapping, s (breaths are emitted well within this).
    **kwargs
        Passed to :class:`AccBreathTracker`.
    """

    def __init__(
        self,
        nominal_fs_hz: float,
        *,
        max_step_s: float = 1.0,
        history_s: float = 300.0,
        **kwargs: Any,
    ) -> None:
        self.fs_hz = float(nominal_fs_hz)
        self._max_step_s = max_step_s
        self._history_s = history_s
        self._kwargs = kwargs
        self._tracker: AccBreathTracker | None = None
        self._times = np.empty(0)
        self._first_index = 0
        self.restarts = 0

    def update(self, t_s: ArrayLike, xyz: ArrayLike) -> list[Breath]:
        """Consume samples with their session times (s); return breaths in session time."""
        times = np.asarray(t_s, dtype=np.float64)
        if times.size == 0:
            return []
        if self._tracker is not None and self._times.size:
            step = times[0] - self._times[-1]
            if step <= 0 or step > self._max_step_s:
                self._tracker = None
                self.restarts += 1
        if self._tracker is None:
            self._tracker = AccBreathTracker(self.fs_hz, t0_s=0.0, **self._kwargs)
            self._times = np.empty(0)
            self._first_index = 0
        self._times = np.concatenate([self._times, times])
        out = [self._mapped(breath) for breath in self._tracker.update(xyz)]
        keep_from = int(np.searchsorted(self._times, times[-1] - self._history_s))
        if keep_from > 0:
            self._times = self._times[keep_from:]
            self._first_index += keep_from
        return out

    @property
    def held_s(self) -> float:
        """:attr:`AccBreathTracker.held_s` of the current detector, s (0 before any sample)."""
        return self._tracker.held_s if self._tracker is not None else 0.0

    def _time(self, index_s: float) -> float:
        position = index_s * self.fs_hz - self._first_index
        return float(np.interp(position, np.arange(self._times.size), self._times))

    def _mapped(self, b: Breath) -> Breath:
        inhale = self._time(b.inhale_onset_s)
        exhale = self._time(b.exhale_onset_s)
        end = self._time(b.end_s)
        pause_start = self._time(b.end_s - b.pause_s)
        inhale_s = exhale - inhale
        exhale_s = pause_start - exhale
        return replace(
            b,
            inhale_onset_s=inhale,
            exhale_onset_s=exhale,
            end_s=end,
            inhale_s=inhale_s,
            exhale_s=exhale_s,
            pause_s=end - pause_start,
            ratio=exhale_s / inhale_s if inhale_s > 0 else b.ratio,
            # The breath's own rate (analysis.breath.Breath.rate_bpm), carried through the
            # clock mapping by the stretch it applies to the breath.
            rate_bpm=b.rate_bpm * (b.end_s - b.inhale_onset_s) / (end - inhale)
            if end > inhale and b.end_s > b.inhale_onset_s
            else b.rate_bpm,
            detected_s=self._time(b.detected_s),
        )
