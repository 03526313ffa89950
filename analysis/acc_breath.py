"""Breaths from a chest-worn 3-axis accelerometer (Polar H10 ACC, 25-200 Hz).

Breathing tilts and lifts the chest wall, so a chest accelerometer sees it mostly as a slow
change of the gravity vector's projection on its axes, a few to a few tens of mG. One open
trainer projects gravity-removed ACC onto one fixed axis and takes descending zero crossings as
breath ends, which breaks when the person changes posture; a principal-component projection of
the low-passed three axes is sturdier (docs/reference/physiology.md, "Breath phases").

**Units.** The samples may be in any unit with 0 at no acceleration (mG, g, m/s², a digital
sensor's raw counts; not an analog sensor's ADC counts, whose 0 g sits mid-range). Every
threshold on acceleration is a share of gravity: :class:`AccBreathTracker`'s ``gravity``, its
magnitude in the samples' units (default 1000, the Polar's mG), scales the one absolute one, the
posture-change jump :data:`MIN_JUMP_MG` (60 thousandths of gravity); the others are relative
already (a multiple of the residual's RMS, the motion ratio of step 8, the skewness of step 5,
the belt detector's hysteresis as a share of breath depth). Breath depths are in the samples'
units. :func:`gravity_magnitude` measures gravity from a recording (``breathwise breaths
--source acc`` does), and refuses a signal that holds none (high-passed, or a phone's "linear
acceleration"): it has no scale to take. With 60 mG absolute, the synthetic chest of
``benchmarks/validate_breath.py`` (10/min, a posture change at 150 s) in a ±2 g sensor's counts
(16384 per g) read 5 breaths at 40.8/min for 50 at 10/min (breathing of 26 mG, 430 counts,
passed for movement that never settled), and in g or m/s² the posture change went unseen (42
breaths for 48 in mG, 2 of them artifacts). Now 12 such chests (4-20/min, 25-200 Hz, ratios 1-2)
in g, m/s² and counts give the breaths, labels and posture changes of mG, times within 2e-11 s;
and gravity measured (999.92-999.97 on mG chests) instead of 1000 changes none of 224 (4-30/min,
25-200 Hz, 4 seeds, with and without a posture change).

This module does:

1. **Anti-alias low-pass and decimation.** Each axis goes through a causal 2nd-order Butterworth
   low-pass at ``lowpass_hz`` (1.5 Hz: the shape of breaths up to 30/min) held in
   :class:`analysis.filters.StreamingSOS`, and every ``D``-th sample (by absolute index, so any
   chunking picks the same samples) is kept: ``D = max(1, floor(fs / 20 Hz))``, a working rate of
   20-25 Hz for 25-200 Hz input.
2. **Gravity, and what the breathing is measured from.** Gravity is the per-axis mean since the
   last posture change, a running mean that becomes an exponential average of time constant
   ``gravity_tau_s`` (:data:`GRAVITY_TAU_S`, 200 s) once that much data is in. Removing it from
   the breathing was a first-order high-pass, which leads a breath by ``atan(1 / (2 pi f
   tau))`` and follows a still chest: with 20 s (0.008 Hz) a 3/min breath (0.05 Hz) was led by
   9 degrees, its inhale onset read 0.34 s early (4/min 0.20 s, 4.5/min 0.17 s) with an
   invented pause of 0.1-0.3 s, a 4/min 3:1 breath read 2.92; and through a breath hold the
   estimate crept toward the held chest, the projection sagged and the sag was taken for the
   exhale: 4-7-8 (4 s in, 7 held, 8 out) read 1.1 s in, 17.7 s out, ratio 16.5 for 0.73, a 30
   or 45 s hold at the top its exhale 17 s into the hold, all ``"good"``. With 200
   s, on the same noise-free chests (0.3 mG noise): onsets within 0.035 s at 3-6/min, pauses
   under 0.03 s, 3:1 read 2.98-3.03; 4-7-8 10.8 s / 8.3 s, ratio 0.77; 4-10-6 0.45 for 0.43; a
   30 or 45 s hold at the top ends at 29.9 and 45.0 s, one of 30 s after the exhale at 30.0 s.
   But early in an epoch the running mean is a high-pass whose time constant is the epoch's
   age, so a hold after the exhale longer than about a third of that age still drifted: 60 s,
   two and a half minutes into the epoch, the held exhale ended 34-59 s early (6 seeds, 0.3 mG;
   27-43 s with 2 mG), though the next inhale was on time. So the breathing signal (step 4) is
   no longer taken from ``a - g`` but from ``a - a0``, ``a0`` the epoch's first sample: no
   high-pass at all, as for a belt (:mod:`analysis.breath`, step 1), the offset being the
   continuity's business (step 6). Gravity ``g`` still gives the residual that posture changes
   (step 3) and the breathing axis (step 4) are found from. Now that hold's exhale ends within
   0.4 s (0.3 mG; 1.6 s with 2 mG), the next inhale as before; one of 30 s with 2 mG: next
   inhale within 0.7 s in 5 of 6 seeds, 3.7 s early in one (0.9-13 s early in 3 with ``a - g``;
   the held exhale's end is the belt detector's corner rule on a flat floor in noise, up to 22
   s early in one seed, 13 s before); onsets at 3-6/min 2:1 0.000-0.007 s late (0.016-0.029 s
   early). A slow creep of posture now reaches the detector as a drift, which it tolerates as
   it does a belt's (relative thresholds), and a creep past ``min_jump_mg`` (60 mG, about 3.5
   degrees) is a posture change (step 3), which restarts the epoch. The posture-change cases of
   ``benchmarks/validate_breath.py`` read within 11 ms and 0.005 of before
   (docs/validation/breathing.md, section 3). The 5 s of the open trainer's exponential average
   (alpha 0.999 at 200 Hz) would be worse still.
3. **Posture changes.** A residual ``|a - g|`` larger than ``max(min_jump_mg, jump_factor x
   RMS of the recent residual)`` is not breathing (``min_jump_mg`` in thousandths of gravity,
   60 mG: **Units** above). The output is held (from half a second before
   the detection: output leaves the tracker half a second late so that the start of the
   movement can still be replaced) until the vector has been still (moved less than half that
   threshold over 0.5 s) for ``settle_s``; a new epoch starts at the first sample of that
   still run: gravity and the covariance below restart from it. While the output is held,
   the still run is kept back from the breath detector as well (``settle_s`` more delay, only
   then), and the new epoch's output replaces its held values, so the output is held for the
   movement, not for the settling after it. The output of an epoch begun at a posture change
   is taken from a gravity that is the exponential average of ``gravity_tau_s`` from the
   epoch's first sample; the running mean of step 2 still sets the threshold above and the
   covariance. The running mean is a high-pass whose time constant is the epoch's age, and
   in the first seconds it took away most of the breath under way (its depth a third of the
   others'). The still run is left out of the movement measure of step 8, like the held
   samples: the movement band still rings with the end of the turn. The breath under way
   when the output is held, and any breath that begins in the hold, merge into one
   (``"uncertain"``): the held output has no trough to end it. (Starting the breath
   detector again there, as after a hole, would lose the breath under way too: its end is
   in the hold.) Before, the output had been
   held through the settling (3.9-4.0 s for a 3 s turn, now 2.9 s), and the new epoch's
   running mean flattened the breath that followed. On ``benchmarks/validate_breath.py``'s
   chests (docs/validation/breathing.md, section 3: 9 seeds per row, a 3 s turn of 70
   degrees at 150 s) the breaths lost across the change went from 1 in every recording at
   6-12/min, 1-2 at 15/min (2 in 3 of 9) and 2 at 20/min (8-9 of 9) to 0-1 in every
   recording (0 in all at 6/min, and in 4 of 9 at 10/min); the onset and ratio errors
   after 30 s stay within a few ms and 0.02 of before. With breaths of 3.5-4 degrees (61-70
   mG), gravity restarting from one sample would have met the 60 mG threshold: hence the
   running mean there.

   **Re-projecting the new epoch.** Review 40 (F4) still lost 2-3 breaths at 10-15/min in
   two other geometries. (a) The breathing axis turns with the body (it turned by 90
   degrees): for the new epoch's first ``min_epoch_s`` (4 s) the old axis, across the new
   breathing, read a flat line, and the breath in it was lost. (b) The breathing axis stays
   fixed on the sensor and gravity turns 70 degrees towards it (the physical case: the
   chest wall tilts the strap about the same sensor axis in any posture): the breathing
   keeps its direction but falls to sin(20 degrees), a third, and the detector's
   hysteresis (0.3 of the depths before the turn) merged the shallow breaths after it until
   a stall, three periods later. So the new epoch's output is now kept back from the
   detector (its samples' residuals kept) for one typical breath period, the median of the
   last ``_PERIODS_KEPT`` (5) breaths, at least ``min_epoch_s`` and at most
   :data:`REPROJECT_MAX_S` (10 s), and the epoch's own axis, computed then, re-projects all
   of it, with

   * a **gain**, ``sqrt`` of the old epoch's variance along its axis (its covariance,
     times its own gain squared) over the kept stretch's along the new one, clamped to
     :data:`GAIN_RANGE` (0.2-5), so that a breath is as deep to the detector as before the
     change; the hysteresis floor of the sensor noise (step 7) is scaled with it, and each
     breath's depth is divided by the gain at its exhale onset, so depths stay in the
     samples' units (a third of before in (b));
   * the **inhale sign** from the kept stretch's last breath period when the new axis lies
     more than ``carry_deg`` from the old one (its way then says little): the way it rises
     faster (:func:`breath_asymmetry`), if by more than :data:`ORIENT_SD_FLOOR`; still
     unsettled (step 5). Without it, (a) read the breaths after the turn upside down in 3
     of its 24 recordings until the evidence flipped them, 3-5 breaths lost;
   * the **level**: the kept period's lowest output goes to the lowest output over the
     period before the movement (the exhale floor), unless that would put the epoch's first
     sample above the held value; the held samples still kept back ramp down to it. The
     held value is whatever phase the movement caught, and a breath after the change that
     fell to a floor above it was timed from the hold (1.1 s early in one validation chest
     at 15/min). A rise across the hold has no onset to time and stays merged, as before.

   The epoch's breaths are then made on its own axis: its samples take the new orientation
   version and their projection is rewritten, so breaths in it can be good and evidence
   (step 5). This adds up to one breath period (at most 10 s) of latency once, after each
   posture change; a session without one is unchanged (48 chests, 4-30/min, 25-200 Hz,
   3368 breaths: identical). Over the review's two scripts (model (a) ``acc.py`` and (b)
   ``acc_phys.py``: 6/min 50 Hz, 10/min 50 Hz, 12/min 100 Hz, 15/min 25 Hz, 6 seeds each)
   the breaths lost across the turn went from (a) 1 / 2 / 3 in 9 / 14 / 1 of 24
   recordings and (b) 18 / 5 / 1 to at most 1 in all 48 (0 in 9 and 7), no false breath
   after 30 s (2 before in (a)); over 6-15/min x 25, 50, 100 Hz (4 seeds, 60 each) from
   worst 5 (a) and 3 (b) to 1. On ``benchmarks/validate_breath.py``'s chests with
   ``fixed_axis`` (6-20/min, 25-100 Hz, 6 seeds, 48 chests) from up to 6 lost (2 or
   more in 13) to at most 1; on its own (section 3) 10/min
   and 12/min now lose none in 9 of 9 (4 and 1 before), the other rows as before.
4. **Adaptive principal component.** The covariance of the residual is averaged with the same
   running-mean-then-exponential rule (time constant ``pca_tau_s``, 30 s) and its principal
   eigenvector (``numpy.linalg.eigh``, Pearson 1901 / Hotelling 1933) is recomputed every
   ``pca_every_s`` (1 s, on an absolute grid); it is kept pointing the way of the previous one
   (sign of their dot product), and the old axis is used until a new epoch has ``min_epoch_s`` of
   data. The projection ``e . (a - a0)`` is the breathing signal (step 2). Before the first
   axis there is none to use: the first is computed at the first ``pca_every_s`` (the output
   stays where it is until then), and it points up gravity (where the sum of its components
   is positive, when it lies within about 6 degrees of across gravity). Both are the same in
   any order of the columns: the projection had started on the third column, so a sensor
   worn turned (its axes relabelled) read other breaths -- with gravity and the breathing in
   the first two columns, two false sub-second breaths and two "artifact" breaths in the
   first 15 s of a motionless chest; now every order of its columns gives the same breaths.
5. **Which way is inhale.** Nothing in the ACC says which sign is inhale. Inhales are shorter
   and faster than exhales, which then rest in the post-exhale pause, so a correctly oriented
   breath rises faster than it falls -- unless the person breathes in for longer than out, as
   a pacer may ask (exhale:inhale down to 0.2): told so (``inhale_longer``; live, from the
   pacer's ratio), the tracker takes a breath falling faster than it rises as the evidence
   instead. Not told, such breathing is read upside down, the ratio as its inverse (0.5 as
   1.97, every breath ``"good"``), so ``breathwise breaths --source acc`` says
   that it assumes the in-breath is the shorter and takes ``--inhale-longer``. Each breath
   the detector finds is evidence
   (:func:`breath_asymmetry`: the skewness of its slopes over a sixteenth of its cycle, on
   the projection before any sign, so a flip does not change it) if it is ``"good"`` in
   shape, begins after the epoch's own axis (item 4), touches no held sample and no sign
   change, and is not an artifact of movement. Over the last ``ORIENT_WINDOW_BREATHS`` (8)
   of them in the epoch, ``t = mean x sqrt(n) / max(sd, ORIENT_SD_FLOOR)`` (a one-sample t
   statistic whose spread cannot fall below 0.15, what one breath varies by: on the
   synthetic chests of ``benchmarks/validate_breath.py`` at 25-200 Hz, a 1.5:1 breath reads
   0.40-0.46 with an SD of 0.15-0.17, a 2:1 one 0.71-0.77 with 0.19-0.22, a 1:1 one
   0.00-0.01 with 0.10-0.15). The direction is *settled* when at least
   ``ORIENT_MIN_BREATHS`` (3) breaths give ``|t| >= ORIENT_T_SETTLE`` (4): a single breath,
   however skewed, cannot do it (its own value inflates the SD), and no timeout does it
   either. Before that the sign only follows the evidence (``|t| >= ORIENT_T_FOLLOW``, 2,
   against it), so that the output is more often right, but no breath is ``"good"``. Once
   settled it is reversed only by ``|t| >= ORIENT_T_REVERSE`` (6) the other way over the
   window (hysteresis), counted in :attr:`AccBreathTracker.reorientations`; the breaths
   already emitted keep their labels (a streaming detector cannot recall them; the good
   ones among them were inverted), and every breath touching a sample from before the
   reversal is ``"uncertain"``. Symmetric breathing (1:1 with no pause, box breathing: 4 s
   in, hold, out, hold) gives no evidence either way: its direction may never settle, and
   its breaths stay uncertain -- the inhale onset is then as likely to sit half a cycle off.
   A new epoch starts with no evidence: a posture change inside a breath hold cannot decide
   the direction from the hold's end (that breath began before the epoch). This replaced a
   skewness of the 1-sample difference since the epoch's start, decided once 12 s were in
   and locked as settled when 60 s had passed: at 25 Hz the sample noise is as large in
   those differences as a slow breath's own slope, and at 5/min 12 s are one breath, so
   still chests at 25 Hz came out inverted in 4-9 of 20 recordings, ratio 0.5 for 2.0 and
   every breath "good"; a posture change in a 20 s hold inverted 9 of 40 sessions; box
   breathing 6 of 8. Now, on 720 recordings (4-30/min, ratios 1.5-3, 25-200 Hz) none ends
   inverted (91 before); at 6/min the direction settles after 54-65 s (4/min: 79-95 s;
   10/min 34-46 s; 30/min 16-24 s), the first 4 breaths (at most 5) being uncertain; 1:1 and
   box breathing for 10 min at 25 and 50 Hz (120 sessions) never settled. The detector is fed
   on an absolute grid of ``0.25 s`` of output so that a decision takes effect at the same
   sample in any chunking.

   Until an epoch's sign is settled, and while the output is held for a posture change or
   the old axis is still in use (the first ``min_epoch_s``), a breath touching that time is
   ``"uncertain"``, not ``"good"``: with a posture change every 20 s to a new breathing
   axis, 21 of 50 breaths were found, 11 false of which 8 were 'good', and the ratio of 20 s
   stretches read 0.31-4.4 for 2.0. The sign already follows the old one when the new axis
   is near it (the axis is kept pointing the old way); if the epoch's first own axis lies
   within ``carry_deg`` (30 degrees) of the old one and the old sign was settled, the new one
   counts as settled. On the posture-change scenarios of the hostile review (10/min, 2:1,
   gravity turning 25-50 degrees every 20, 30, 60 or 120 s, the breathing axis kept or
   random, seeds 2 and 3: 800 true breaths) 699 breaths are found, 96 of them false (an
   epoch of 20-30 s rarely settles, and its breaths may be inverted: all uncertain), 301
   'good', none of them false (without carrying over: 266 and 0; carrying within 45
   degrees: 329 and 2). With the earlier 12 s skewness decision: 664 found, 44 false, 388
   good, 1 false; without the sign following the evidence before it settles: 228 false.
6. **Continuity.** Whenever the output would jump (a flip, a new epoch, a new axis), an offset
   keeps it continuous, so the breath detector sees no steps; it tolerates the remaining slow
   wander (relative thresholds).
7. **Breaths.** The output goes through :class:`analysis.breath.BreathTracker` at the working
   rate, with ``t0_s`` moved back by the low-pass group delay at 0.1 Hz so that breath times
   refer to the input's clock. A breath's ``detected_s`` is the time of the input sample
   whose arrival made it known (the last of the grid piece, step 5), with no delay taken off:
   it had been stamped 0.63-0.65 s early, the look-back and the low-pass delay subtracted.

   **The sensor's noise.** The belt detector sets its hysteresis from the depths of the
   breaths it found, and measures noise only at a stall, in 1-3 Hz, which this signal's 1.5
   Hz low-pass has mostly removed. Before the first breath it follows the swings seen, so
   noise in the first seconds (no breathing axis yet, or a slow first inhale) could be taken
   for breaths of 2-6 mG; the first real breath (26 mG) was then over 4 times their depth, an
   artifact that did not count towards the hysteresis, and the noise "breaths" kept it near
   0.7 mG for good: every hold and slow phase cut into 3-6 false breaths (7 min of paced
   holds at 25 Hz, 2 mG noise, 10 seeds: 3 of 10 recordings at 4-4-8, 4-7-8 and 4-10-6,
   2 of 10 at 3/min; 4-10-6 seed 1 read 86 breaths after 120 s for 15). The noise is
   measured where the breathing is not: the covariance of the movement band (step 8's 0.7-3
   Hz band-pass of the input, over the samples not held for a posture change, averaged like
   the residual's with ``pca_tau_s``) along its least principal direction, which is sensor
   noise across whatever movement or breathing harmonics lie along the other two (a walking
   bounce and its sway: 0.54 mG under a 25 mG bounce, 0.48 still), scaled to the working
   signal by the two filters' noise bandwidths (white noise). It is taken with every new
   axis (step 4), and before every piece of the grid (step 5) the detector's hysteresis is
   kept at least :data:`NOISE_K` (6) times it
   (:attr:`analysis.breath.BreathTracker.noise_delta`): 4.2 mG at 25 Hz, 1.5 mG at 200 Hz
   with 2 mG of noise, a sixth of a 26 mG breath. Now none of those 70 recordings is cut
   up. Shallow breathing (10/min, 2:1, 2 mG of noise, 4 seeds) reads as before from 8 mG
   deep at 25 Hz and from 6 mG at 100 Hz; 6 mG at 25 Hz: 34-38 of 39 breaths found within 1
   s (36-38 before); 4 mG at 25 Hz 28-32 (1-38 before, with up to 2 false), at 100 Hz 36-38
   (38-39), fewer of them good (with step 2's reference).
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

**Holes.** A lost link leaves a hole in the samples (:class:`TimedAccBreathTracker` finds
it in their times). No breath spans one, but what changes slowly stays: up to
:data:`KEEP_HOLE_S` (30 s, the covariance's time constant) the projection carries on
(:meth:`AccBreathTracker.mark_hole`: gravity, axis, inhale direction and its evidence, posture
state; a posture changed meanwhile is a jump like any other, step 3) and only the filters and
the breath detector start again, the detector keeping what the breaths taught it
(:meth:`analysis.breath.BreathTracker.after_hole`: the depths that set its hysteresis and
label a breath). The breath under way when the samples resume is lost; the next one is found
and may be good. If the samples resumed in the exhale before it, that one too: a first trough
after the hole starts a breath when the signal fell into it by 5 % of the typical depth; below
20 % that breath is uncertain (a low-pass primed on one noisy sample settles with a fall the
size of that noise). The times of the breaths after a hole are not taken before its end (the
low-pass delay taken off them would map an onset at the first sample back into the hole). A
longer hole, or a step back in the sensor's clock (switched off and on: the strap may have
been taken off), starts a new detector, whose inhale direction is learnt again (step 5).
Every hole had started a new detector: with the link lost every 20 s for 2.6 s (a simulated
H10 at 50 Hz, 12 breaths/min, out:in 1.5, 3 min: 18 breaths whole between holes), 18 breaths
were found, none good (the direction never settled, and a new detector's first breath is
uncertain); now 18, 15 of them good (every 30 s: 6 -> 21 good of 24; every 12 s, a breath
at most between holes: 0 -> 3, 9 -> 7 found of 12). On 36 runs of 2 min (8-15/min, 1.5 and
2:1, lost every 12 or 20 s, the holes at random points of the breath), of the 361 breaths
whole between holes 300 were found within 0.5 s before, 4 good, and 289 now, 180 good, none
false and none good off by more than 0.3 s (the difference: mostly breaths whose samples
resumed less than 0.5 s before their trough, which a new detector's start-up transient let it
take for a breath start).

Everything runs per working sample in plain Python floats (about 10 us per sample: 0.7 s per
hour at 20 Hz), with state in the object, so any chunking gives the same breaths.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike, NDArray

from analysis.breath import Breath, BreathTracker
from analysis.filters import StreamingSOS, bandpass_sos, group_delay_s, lowpass_sos

__all__ = [
    "GAIN_RANGE",
    "GRAVITY_TAU_S",
    "GRAVITY_WINDOW_S",
    "KEEP_HOLE_S",
    "MG_PER_G",
    "MIN_GRAVITY_SPREAD",
    "MIN_JUMP_MG",
    "MOTION_ARTIFACT",
    "MOTION_BAND_HZ",
    "MOTION_UNCERTAIN",
    "NOISE_K",
    "ORIENT_MIN_BREATHS",
    "ORIENT_SD_FLOOR",
    "ORIENT_SKEW",
    "ORIENT_T_FOLLOW",
    "ORIENT_T_REVERSE",
    "ORIENT_T_SETTLE",
    "ORIENT_WINDOW_BREATHS",
    "REPROJECT_MAX_S",
    "AccBreathTracker",
    "TimedAccBreathTracker",
    "breath_asymmetry",
    "detect_acc_breaths",
    "difference_skewness",
    "gravity_magnitude",
]

FloatArray = NDArray[np.float64]

_TARGET_WORK_HZ = 20.0
_PIECE_S = 0.25
"""The breath detector is fed in pieces of this many seconds of working samples, on an absolute
grid (module notes, step 5)."""
_ASYM_LAG_FRACTION = 1.0 / 16.0
"""Slopes of a breath are taken over this fraction of its cycle (:func:`breath_asymmetry`)."""
ORIENT_MIN_BREATHS = 3
"""Breaths of evidence an inhale direction needs before it is settled (module notes, step 5)."""
ORIENT_WINDOW_BREATHS = 8
"""The inhale direction is judged on at most this many of the epoch's latest breaths."""
ORIENT_SD_FLOOR = 0.15
"""Least spread of one breath's asymmetry assumed in the t statistic (module notes, step 5):
what a breath varies by on the synthetic chests, so that a few alike values cannot settle it."""
ORIENT_T_SETTLE = 4.0
"""``|t|`` that settles the inhale direction (symmetric breathing: never in 120 sessions)."""
ORIENT_T_REVERSE = 6.0
"""``|t|`` against a settled inhale direction that reverses it (hysteresis)."""
ORIENT_T_FOLLOW = 2.0
"""``|t|`` against an unsettled inhale direction that flips it, still unsettled."""
ORIENT_SKEW = 0.2
"""Skewness of the first difference beyond which a whole recording's orientation is clear
(:mod:`analysis.breath_signal_checks`): inhales faster than exhales make it positive. The
chest accelerometer decides breath by breath instead (module notes, step 5)."""
NOISE_K = 6.0
"""The detector's hysteresis is kept at least this many deviations of the sensor noise on the
working signal (module notes, step 7): 10 min of a still chest with 2 mG of white noise per
axis and no breathing read 0-3 breaths at 25, 50 and 200 Hz, 4 seeds (5: 0-7; 7: 0-2; no
floor: 287-318), and of the paced holds (10 seeds) none is cut up at 5-7."""
_LOOKBACK_S = 0.5
REPROJECT_MAX_S = 10.0
"""Longest stretch of a new posture epoch kept back from the breath detector until the epoch's
own axis and gain re-project it, s (module notes, step 3): one typical breath period, at least
``min_epoch_s``, at most this."""
GAIN_RANGE = (0.2, 5.0)
"""Least and largest gain a new posture epoch's projection is scaled by (module notes, step 3):
a posture in which the sensor sees almost no breathing must not turn its noise into breaths."""
_PERIODS_KEPT = 5
"""Recent breath periods whose median sizes the re-projected stretch of a new epoch."""
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


GRAVITY_TAU_S = 200.0
"""Default time constant of the gravity estimate, s (module notes, step 2)."""

KEEP_HOLE_S = 30.0
"""Longest hole in the samples, s, across which :class:`TimedAccBreathTracker` keeps the
projection (module notes, "Holes"): the covariance's time constant ``pca_tau_s``."""

MG_PER_G = 1000.0
"""Gravity in mG, the unit of the Polar ACC stream (:func:`devices.polar_pmd.decode_acc`):
:class:`AccBreathTracker`'s default ``gravity``, and what its thresholds in mG are thousandths
of."""
MIN_JUMP_MG = 60.0
"""Smallest residual that is a posture change, mG, i.e. thousandths of gravity (module notes,
step 3): in g 0.06, in m/s² 0.59, in counts of a ±2 g sensor (16384 per g) 983."""

GRAVITY_WINDOW_S = 10.0
"""Windows over which :func:`gravity_magnitude` averages the acceleration, s: a few breaths."""
MIN_GRAVITY_SPREAD = 1.0
"""Least ratio of gravity to the spread of the acceleration around it for a signal to hold
gravity (:func:`gravity_magnitude`): below it the mean acceleration is smaller than its
wander, which no worn accelerometer gives (a still chest reads about 100, one with a 500 mG
running bounce 2.8)."""

MIN_FS_HZ = 5.0
"""Slowest accelerometer rate analysed, Hz: the 1.5 Hz low-pass needs room below Nyquist."""


_FIRST_AXIS_COS = 0.1
"""The first principal axis points up gravity when it is at least this far from across it
(cosine of the angle), else where the sum of its components is positive (module notes,
step 4)."""


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
        Time constant of the gravity estimate, s (module notes, step 2).
    pca_tau_s : float
        Time constant of the residual covariance, s.
    pca_every_s : float
        How often the principal axis is recomputed, s.
    gravity : float
        Magnitude of gravity in the samples' units (1000 for mG, the Polar ACC; 1 for g, 9.81
        for m/s², 16384 for the counts of a ±2 g 16-bit sensor): the thresholds in mG are
        thousandths of it (module notes, **Units**). :func:`gravity_magnitude` measures it.
    min_jump_mg : float
        Smallest residual that counts as a posture change, mG (thousandths of ``gravity``).
    jump_factor : float
        A posture change is also a residual above this many RMS of the recent residual.
    settle_s : float
        How long the vector must be still before a new posture epoch starts, s.
    min_epoch_s : float
        Data a new epoch needs before its own axis replaces the previous one, s.
    inhale_longer : bool
        The person breathes in for longer than out (a pacer's exhale:inhale ratio below 1):
        a breath that rises slower than it falls is then the evidence for the inhale
        direction (module notes, step 5). :attr:`inhale_longer` changes it later.
    carry_deg : float
        A new epoch whose first own axis lies within this angle of the previous axis keeps
        the previous epoch's settled inhale sign as settled, degrees (module notes, step 5).
    **breath_kwargs : float or int
        Passed to :class:`analysis.breath.BreathTracker` (``rel_delta``, ``stall_s``...).

    Notes
    -----
    See the module notes for the method. Detection latency is the belt detector's (see
    :attr:`latency_s`) plus the low-pass delay (about 0.15 s at 1.5 Hz) plus the 0.5 s
    look-back of the posture-change detector; after a posture change, once, up to one
    breath period (at most :data:`REPROJECT_MAX_S`) more while the new epoch is kept back
    to be re-projected (module notes, step 3).

    Examples
    --------
    A chest accelerometer lying still but for 12 breaths/min along z (mG, 50 Hz), fed in two
    chunks: the breaths of the whole recording at once, no posture change:

    >>> import numpy as np
    >>> fs_hz = 50.0
    >>> t_s = np.arange(0.0, 120.0, 1.0 / fs_hz)
    >>> z = 1000.0 + 5.0 * np.sin(2 * np.pi * 0.2 * t_s)
    >>> xyz = np.column_stack([np.full(t_s.size, 3.0), np.full(t_s.size, 2.0), z])
    >>> tracker = AccBreathTracker(fs_hz)
    >>> live = tracker.update(xyz[:2000]) + tracker.update(xyz[2000:])
    >>> len(live), live == detect_acc_breaths(xyz, fs_hz), tracker.posture_changes
    (22, True, 0)
    """

    def __init__(
        self,
        fs_hz: float,
        *,
        t0_s: float = 0.0,
        lowpass_hz: float = 1.5,
        gravity_tau_s: float = GRAVITY_TAU_S,
        pca_tau_s: float = 30.0,
        pca_every_s: float = 1.0,
        gravity: float = MG_PER_G,
        min_jump_mg: float = MIN_JUMP_MG,
        jump_factor: float = 8.0,
        settle_s: float = 1.0,
        min_epoch_s: float = 4.0,
        carry_deg: float = 30.0,
        inhale_longer: bool = False,
        **breath_kwargs: Any,
    ) -> None:
        if not (math.isfinite(fs_hz) and fs_hz >= MIN_FS_HZ):
            raise ValueError(f"fs_hz must be at least {MIN_FS_HZ:g} Hz, got {fs_hz!r}")
        for name, value in (
            ("gravity_tau_s", gravity_tau_s),
            ("pca_tau_s", pca_tau_s),
            ("pca_every_s", pca_every_s),
            ("gravity", gravity),
            ("min_jump_mg", min_jump_mg),
            ("jump_factor", jump_factor),
            ("settle_s", settle_s),
            ("min_epoch_s", min_epoch_s),
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
        # White noise's deviation on the working signal over its deviation in the movement
        # band: the square root of the ratio of the two filters' noise bandwidths.
        self._noise_gain = math.sqrt(_noise_power(sos, fs_hz) / _noise_power(band, fs_hz))
        self._n = 0  # input samples consumed
        self._k = 0  # working samples produced
        w = self._work_hz
        self._n_gravity = max(1, round(gravity_tau_s * w))
        self._n_pca = max(1, round(pca_tau_s * w))
        self._pca_every = max(1, round(pca_every_s * w))
        self._min_epoch = max(2, round(min_epoch_s * w))
        self._n_settle = max(1, round(settle_s * w))
        # The breath detector is fed on an absolute grid of output samples, so that an inhale
        # direction decided from a breath takes effect at the same sample in any chunking.
        self._n_piece = max(1, round(_PIECE_S * w))
        self._n_out = 0  # output samples released to the breath detector's queue
        self._out_buf: list[float] = []
        self._lag = max(1, round(0.5 * w))  # half a second, for the stillness test
        # Output is released this many samples late, so that the start of a posture change,
        # below the jump threshold until then, can still be replaced by the held value.
        self._n_lookback = max(1, round(_LOOKBACK_S * w))
        self._pending: deque[float] = deque()
        self._gravity = float(gravity)
        # Input units per mG; exactly 1.0 for the Polar's mG, whose thresholds stay as they were.
        self._per_mg = self._gravity / MG_PER_G
        self._min_jump = min_jump_mg * self._per_mg
        self._jump_factor = float(jump_factor)

        # Epoch state.
        self._epoch_n = 0
        self._g = [0.0, 0.0, 0.0]
        # The epoch's first sample, which the breathing is measured from (step 2).
        self._anchor: tuple[float, float, float] | None = None
        self._cov = [0.0] * 6  # xx, yy, zz, xy, xz, yz
        # The projection before any sign, kept continuous across axis updates: the running sum
        # of its steps (module notes, step 5).
        self._level = 0.0
        self._axis = (0.0, 0.0, 1.0)
        self._have_axis = False
        self._noise_sd = 0.0  # sensor noise on the working signal, input units (step 7)
        self._bcov = [0.0] * 6  # covariance of the movement band, as _cov
        self._n_band = 0
        self._sign = 1.0
        # Whether this epoch's inhale sign is settled (module notes, step 5), and whether the
        # epoch has its own axis yet.
        self._sign_known = False
        self._own_axis = False
        self._carry = False
        # Orientation version: changes with every sign flip, new epoch and epoch's first own
        # axis; a breath is "good" only if all its samples were made in the current one.
        self._version = 0
        self._evidence: deque[float] = deque(maxlen=ORIENT_WINDOW_BREATHS)
        self._evidence_from = 0  # first working sample a breath may start at to be evidence
        self._reorientations = 0
        self._carry_cos = math.cos(math.radians(carry_deg))
        self._inhale_longer = bool(inhale_longer)
        self._offset = 0.0
        # The output is ``sign x gain x projection + offset``: the gain keeps a breath as deep to
        # the breath detector across a posture change as before it (module notes, step 3).
        self._gain = 1.0
        self._gains: list[tuple[int, float]] = [(0, 1.0)]  # (first working sample, gain)
        # A new epoch's output is kept back until its own axis and gain re-project it (step 3).
        self._awaiting = False
        self._epoch_out: list[tuple[float, float, float]] = []
        self._epoch_offset = 0.0
        self._epoch_level = 0.0  # the projection before any sign at the epoch's first sample
        self._epoch_first = 0
        self._reproject_n = self._min_epoch
        self._ref_var = 0.0  # the previous epoch's breathing variance, detector units squared
        self._periods: deque[float] = deque(maxlen=_PERIODS_KEPT)  # recent breath periods, s
        # The output over the last breath period (at most REPROJECT_MAX_S), and its lowest
        # value before the latest posture change (step 3).
        self._recent_out: deque[float] = deque(maxlen=max(1, round(REPROJECT_MAX_S * w)))
        self._floor_before: float | None = None
        self._last_out = 0.0
        self._last_proj: float | None = None
        self._moving = False
        self._held_run = 0  # working samples held since the current movement began
        self._still = 0
        self._limit = self._min_jump
        self._recent: deque[tuple[float, float, float]] = deque(maxlen=self._lag + 1)
        # The working samples of the current still run while the output is held: the next
        # epoch starts at the first of them (module notes, step 3).
        self._still_run: deque[tuple[float, float, float]] = deque(maxlen=self._n_settle)
        self._posture_changes = 0
        # Per working sample (from index self._hist_base): summed band power of the three
        # axes (input units squared) and whether the output was held for a posture change, or
        # is the still run that ended one (both left out of the motion measure, step 8).
        self._power: list[float] = []
        self._resid: list[float] = []
        self._held: list[bool] = []
        self._level_hist: list[float] = []
        self._ver: list[int] = []  # orientation version per working sample, -1 when held
        self._hist_base = 0
        self._n_hist = max(1, round(_HISTORY_S * w))
        self._n_span_max = max(1, round(_BREATH_SPAN_MAX_S * w))
        self._moving_breaths = 0
        # Working sample k is input sample k*D + D - 1 (the last of its group, see update).
        self._t0_s = float(t0_s)
        self._breath_t0_s = t0_s - self._delay_s + (self._decim - 1) / self._fs_hz
        self._breath = BreathTracker(self._work_hz, t0_s=self._breath_t0_s, **breath_kwargs)
        self._holes = 0

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
    def noise_sd(self) -> float:
        """Sensor noise on the working signal, in the samples' units (module notes, step 7).

        The deviation white noise would have after the breathing low-pass, measured in the
        movement band along its least principal direction; 0 before the first axis. The
        breath detector's hysteresis is kept at least :data:`NOISE_K` times it.
        """
        return self._noise_sd

    @property
    def held_s(self) -> float:
        """How long the output has been held for movement without settling, s (0 when still).

        A posture change settles within seconds; movement that never settles (walking with a
        strong bounce, exercise) holds the output for as long as it lasts, and no breath comes
        out at all, so there is no breath to carry a ``motion`` label (module notes, step 8).
        """
        return self._held_run / self._work_hz

    @property
    def inhale_longer(self) -> bool:
        """Whether the breaths are taken to rise slower than they fall (module notes, step 5).

        Live, the pacer's exhale:inhale ratio says it (below 1: in-breath longer); set it when
        the pacer changes. It applies to the breaths found from then on; the direction
        already settled stays (the sensor did not turn).
        """
        return self._inhale_longer

    @inhale_longer.setter
    def inhale_longer(self, value: bool) -> None:
        self._inhale_longer = bool(value)

    @property
    def orientation_settled(self) -> bool:
        """Whether the current epoch's inhale direction rests on evidence (module notes, step 5).

        Until it does, no breath is ``"good"``; with symmetric breathing (1:1 without a pause,
        box breathing) it may never do so.
        """
        return self._sign_known

    @property
    def reorientations(self) -> int:
        """How often a settled inhale direction was reversed by later evidence (step 5)."""
        return self._reorientations

    @property
    def latency_s(self) -> float:
        """Typical delay from a breath's end to its emission, s: the belt detector's, the
        low-pass delay, the posture look-back and half a piece of the detector's feeding grid.
        """
        wait = self._n_lookback + (self._n_piece - 1) / 2.0
        return self._breath.latency_s + self._delay_s + wait / self._work_hz

    def update(self, xyz: ArrayLike) -> list[Breath]:
        """Consume the next accelerometer samples; return the breaths completed by them.

        Parameters
        ----------
        xyz : array_like, shape (n, 3)
            The next ``n`` samples (``n`` may be 0), columns x, y, z, in the units of
            ``gravity`` (mG from :func:`devices.polar_pmd.decode_acc`); finite.

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
        bxs, bys, bzs = (c[idx].tolist() for c in bp)
        self._power.extend((bp[0][idx] ** 2 + bp[1][idx] ** 2 + bp[2][idx] ** 2).tolist())
        labelled: list[Breath] = []
        pending = self._pending
        buf = self._out_buf
        piece = self._n_piece
        bcov = self._bcov
        for x, y, z, bx, by, bz in zip(xs, ys, zs, bxs, bys, bzs, strict=True):
            pending.append(self._step(x, y, z))
            if not self._moving:
                # The movement band's covariance over the still samples (module notes, step 7).
                self._n_band += 1
                wb = 1.0 / min(self._n_band, self._n_pca)
                for i, v in enumerate((bx * bx, by * by, bz * bz, bx * by, bx * bz, by * bz)):
                    bcov[i] += wb * (v - bcov[i])
            # While the posture changes, the still run that may start the next epoch is kept
            # back too, to be replaced by that epoch's output (module notes, step 3).
            keep = self._n_lookback + (self._n_settle if self._moving else 0)
            if self._awaiting:
                # A new epoch waits for its own axis and gain, which re-project it (step 3).
                keep += len(self._epoch_out)
            while len(pending) > keep:
                buf.append(pending.popleft())
                self._n_out += 1
                if self._n_out % piece == 0:
                    # A whole piece of the grid: its breaths are labelled, and any inhale
                    # direction they decide applies, from this sample on (module notes, step 5).
                    self._breath.noise_delta = NOISE_K * self._noise_sd * self._gain
                    found = self._breath.update(buf)
                    buf.clear()
                    if found:
                        # The input sample just consumed, the one that made them known.
                        detected_s = self._t0_s + (self._k * self._decim - 1) / self._fs_hz
                        labelled.extend(self._take(b, detected_s) for b in found)
        extra = len(self._held) - self._n_hist
        if extra > self._n_hist:  # trim in large steps; what is kept never changes a label
            del self._power[:extra]
            del self._resid[:extra]
            del self._held[:extra]
            del self._level_hist[:extra]
            del self._ver[:extra]
            self._hist_base += extra
        return labelled

    def mark_hole(self) -> None:
        """Say that samples are missing between the last ones consumed and the next.

        No breath spans the hole: the breath detector (:class:`analysis.breath.BreathTracker`)
        and the input filters start again with the next sample (the filters primed with it, so
        the step across the hole does not ring), and the output not yet released to the
        detector (the posture look-back and the part of a grid piece, at most 0.75 s) is
        dropped with the breath it may have ended. The projection carries on: gravity, the
        residual covariance and its axis, the inhale direction and the evidence for it, the
        posture state (module notes, "Holes"). Sample indices go on counting, so the breath
        times of the next samples are those of samples following the last ones without a
        hole; a caller that knows their true times maps them
        (:class:`TimedAccBreathTracker`).
        """
        for f in (*self._filters, *self._motion_filters):
            f.reset()
        self._pending.clear()
        self._still_run.clear()
        self._out_buf.clear()
        # The kept-back samples of a new epoch are gone: it goes on as any epoch does.
        self._awaiting = False
        self._epoch_out.clear()
        self._n_out = self._k
        self._breath = self._breath.after_hole(self._breath_t0_s + self._k / self._work_hz)
        self._holes += 1

    @property
    def holes(self) -> int:
        """Holes marked so far (:meth:`mark_hole`)."""
        return self._holes

    # ---------------------------------------------------------------------------- per sample

    def _step(self, x: float, y: float, z: float) -> float:
        """One working sample: gravity, posture, axis, projection; returns the output sample."""
        k = self._k
        self._k += 1
        self._recent.append((x, y, z))
        if self._moving:
            self._held_run += 1
            self._held.append(True)
            self._ver.append(-1)
            self._level_hist.append(self._level)
            self._resid.append(0.0)
            return self._moving_step(x, y, z)
        rx, ry, rz = self._gravity_step(x, y, z)
        out = self._out_residual(x, y, z)
        m = self._epoch_n
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
            self._still_run.clear()
            self._limit = limit
            # The last half second already carried the start of the movement: replace it
            # by the value before it.
            pending = self._pending
            hold = pending[0] if pending else self._last_out
            # The exhale floor before the movement (the lowest output over a breath period
            # before the replaced half second), which the new epoch is aligned to (step 3).
            before = list(self._recent_out)[: max(0, len(self._recent_out) - len(pending))]
            self._floor_before = min(before) if before else None
            held = self._held
            ver = self._ver
            for i in range(len(pending)):
                pending[i] = hold
                held[len(held) - 1 - i] = True
                ver[len(ver) - 1 - i] = -1
            held.append(True)
            ver.append(-1)
            self._level_hist.append(self._level)
            self._resid.append(r2)
            self._last_out = hold
            return hold
        return self._project(k, (rx, ry, rz), out, r2)

    def _gravity_step(self, x: float, y: float, z: float) -> tuple[float, float, float]:
        """Count a sample into the epoch and its gravity estimate; return the residual."""
        g = self._g
        self._epoch_n += 1
        m = self._epoch_n
        # Running mean, then exponential average (module notes, step 2).
        wg = 1.0 / min(m, self._n_gravity)
        g[0] += wg * (x - g[0])
        g[1] += wg * (y - g[1])
        g[2] += wg * (z - g[2])
        return x - g[0], y - g[1], z - g[2]

    def _out_residual(self, x: float, y: float, z: float) -> tuple[float, float, float]:
        """The breathing signal's vector: the sample less the epoch's first (module notes,
        step 2), not less gravity: a high-pass would follow a held chest, and early in an
        epoch begun at a posture change the running mean takes away most of the breath under
        way (step 3). Gravity's running mean still sets the posture-change threshold and the
        covariance."""
        an = self._anchor
        if an is None:
            an = self._anchor = (x, y, z)
        return x - an[0], y - an[1], z - an[2]

    def _project(
        self,
        k: int,
        resid: tuple[float, float, float],
        out: tuple[float, float, float],
        r2: float,
    ) -> float:
        """Working sample ``k`` of an epoch, not a jump: covariance (of ``resid``, the residual
        from gravity), axis, projection (of ``out``, the residual the output is taken from);
        returns the output sample and records its history."""
        m = self._epoch_n
        c = self._cov
        rx, ry, rz = resid
        wc = 1.0 / min(m, self._n_pca)
        for i, v in enumerate((rx * rx, ry * ry, rz * rz, rx * ry, rx * rz, ry * rz)):
            c[i] += wc * (v - c[i])
        need = self._reproject_n if self._awaiting else self._min_epoch
        if (k + 1) % self._pca_every == 0 and (m >= need or not self._have_axis):
            self._new_axis(k, out)
        e = self._axis
        px, py, pz = out
        # No axis before the first principal one: any fixed start would be one of the sensor's
        # columns, and the breaths would depend on their order (module notes, step 4).
        proj = e[0] * px + e[1] * py + e[2] * pz if self._have_axis else 0.0
        if self._last_proj is not None:
            self._level += proj - self._last_proj
        self._last_proj = proj
        value = self._sign * self._gain * proj + self._offset
        self._last_out = value
        if self._awaiting:
            self._epoch_out.append(out)
        self._recent_out.append(value)
        self._held.append(False)
        self._ver.append(self._version)
        self._level_hist.append(self._level)
        self._resid.append(r2)
        return value

    def _moving_step(self, x: float, y: float, z: float) -> float:
        """While the posture changes: hold the output until the vector is still."""
        old = self._recent[0]
        moved = math.dist(old, (x, y, z))
        if moved < 0.5 * self._limit:
            self._still += 1
            self._still_run.append((x, y, z))
        else:
            self._still = 0
            self._still_run.clear()
        if self._still < self._n_settle:
            return self._last_out
        self._moving = False
        self._held_run = 0
        self._posture_changes += 1
        # The old epoch's breathing variance along its axis, as the detector saw it: what the
        # new epoch's gain matches (step 3). Its covariance was not updated while moving.
        c, e = self._cov, self._axis
        var = (
            c[0] * e[0] * e[0]
            + c[1] * e[1] * e[1]
            + c[2] * e[2] * e[2]
            + 2.0 * (c[3] * e[0] * e[1] + c[4] * e[0] * e[2] + c[5] * e[1] * e[2])
        )
        self._ref_var = max(var, 0.0) * self._gain * self._gain
        self._epoch_n = 0
        self._cov = [0.0] * 6
        self._last_proj = None
        self._offset = self._last_out  # the new epoch's residual starts at 0
        self._carry = self._sign_known
        self._sign_known = False
        self._own_axis = False
        self._version += 1
        # The new epoch starts at the first sample of the still run, not after it: its output
        # replaces the held value of those samples still kept back (all of them, unless a hole
        # cleared them), so the output is held for the movement, not for the settling too.
        run = list(self._still_run)
        self._still_run.clear()
        n = min(len(run), len(self._pending) + 1)
        run = run[len(run) - n :]
        first = self._k - n
        # The epoch is kept back from the breath detector until its own axis, at least one
        # typical breath later, re-projects it (module notes, step 3).
        self._awaiting = True
        self._epoch_out = []
        self._epoch_offset = self._offset
        self._epoch_level = self._level
        self._epoch_first = first
        w = self._work_hz
        period = round(_median(self._periods) * w) if self._periods else 0
        self._reproject_n = max(self._min_epoch, min(period, round(REPROJECT_MAX_S * w)))
        # Breaths begun before the epoch (in a hold it began in, say) are no evidence.
        self._evidence.clear()
        self._evidence_from = first
        self._g = list(run[0])
        self._anchor = run[0]
        for history in (self._held, self._ver, self._level_hist, self._resid):
            del history[len(history) - n :]
        for _ in range(n - 1):
            self._pending.pop()
        value = self._last_out
        for i, xyz in enumerate(run):
            rx, ry, rz = self._gravity_step(*xyz)
            out = self._out_residual(*xyz)
            value = self._project(first + i, (rx, ry, rz), out, rx * rx + ry * ry + rz * rz)
            # Left out of the motion measure like the held samples (step 8): the movement band
            # still rings with the end of the posture change.
            self._held[-1] = True
            if i < n - 1:
                self._pending.append(value)
        return value

    def _take(self, b: Breath, detected_s: float) -> Breath:
        """Label a breath the detector found: its motion (module notes, step 8), its evidence on
        the inhale direction and whether that direction is settled for it (step 5)."""
        w = self._work_hz
        end = min(len(self._held) + self._hist_base, math.ceil((b.end_s - self._breath_t0_s) * w))
        onset = math.floor((b.inhale_onset_s - self._breath_t0_s) * w)
        start = max(onset, end - self._n_span_max, self._hist_base)
        lo, hi = start - self._hist_base, end - self._hist_base
        band = resid = 0.0
        for p, r, h in zip(self._power[lo:hi], self._resid[lo:hi], self._held[lo:hi], strict=True):
            if not h:
                band += p
                resid += r
        motion = math.sqrt(band / resid) if resid > 0.0 else 0.0
        versions = self._ver[lo:hi]
        if (
            not self._moving
            and b.quality == "good"
            and motion < MOTION_ARTIFACT
            and onset >= self._evidence_from
            and hi - lo >= 2
            and min(versions) == max(versions) >= 0
        ):
            # Evidence for the current sign, as the breath was asked for (step 5): the sensor's
            # orientation does not change with the pacer, so it is signed when taken.
            asym = breath_asymmetry(self._level_hist[lo:hi])
            self._evidence.append(-asym if self._inhale_longer else asym)
            self._orient()
        version = self._version
        unsure = not self._sign_known or any(v != version for v in versions)
        quality = b.quality
        if motion >= MOTION_ARTIFACT:
            quality = "artifact"
        elif (motion >= MOTION_UNCERTAIN or unsure) and quality == "good":
            quality = "uncertain"
        if motion >= MOTION_UNCERTAIN:
            self._moving_breaths += 1
        if b.quality != "artifact" and b.end_s > b.inhale_onset_s:
            self._periods.append(b.end_s - b.inhale_onset_s)
        # The detector measured the depth through the gain of its peak's epoch (step 3).
        peak = (b.exhale_onset_s - self._breath_t0_s) * w
        gain = next(g for first, g in reversed(self._gains) if first <= peak or first == 0)
        return replace(
            b, quality=quality, motion=motion, detected_s=detected_s, depth=b.depth / gain
        )

    def _orient(self) -> None:
        """Settle, follow or reverse the inhale direction from the breaths' asymmetry (step 5)."""
        ev = self._evidence
        n = len(ev)
        mean = sum(ev) / n
        sd = math.sqrt(sum((e - mean) ** 2 for e in ev) / (n - 1)) if n > 1 else 0.0
        t = mean * math.sqrt(n) / max(sd, ORIENT_SD_FLOOR)
        sign = self._sign
        if self._sign_known:
            if t * sign <= -ORIENT_T_REVERSE:
                sign = -sign
                self._reorientations += 1
        elif n >= ORIENT_MIN_BREATHS and abs(t) >= ORIENT_T_SETTLE:
            self._sign_known = True
            sign = math.copysign(1.0, t)
        elif t * sign <= -ORIENT_T_FOLLOW:
            sign = -sign  # a better guess, still unsettled
        if sign != self._sign:
            if self._last_proj is not None:
                # From the next sample on, the other way, continuous with the last (step 6).
                self._offset = self._last_out - sign * self._gain * self._last_proj
            self._sign = sign
            self._version += 1

    def _new_axis(self, k: int, resid: tuple[float, float, float]) -> None:
        """Recompute the principal axis at working sample ``k``, whose output is projected from
        ``resid``; keep its direction and the output continuous."""
        c = self._cov
        cov = np.array([[c[0], c[3], c[4]], [c[3], c[1], c[5]], [c[4], c[5], c[2]]])
        _, vecs = np.linalg.eigh(cov)
        v = vecs[:, -1]
        b = self._bcov
        band = np.array([[b[0], b[3], b[4]], [b[3], b[1], b[5]], [b[4], b[5], b[2]]])
        # The sensor's noise in the movement band, where breathing has little power, along
        # its least principal direction, across whatever movement there is (module notes,
        # step 7), scaled to what the working signal carries of white noise.
        least = float(np.linalg.eigvalsh(band)[0])
        self._noise_sd = self._noise_gain * math.sqrt(max(least, 0.0))
        old = self._axis
        if not self._have_axis:
            # The first axis has no previous one to point the way of: a sign that does not
            # depend on the order of the columns (gravity's direction and the sum of the
            # components are the same in any order), until the breaths tell which way is
            # inhale (step 5).
            g0 = self._g
            up = float(v[0] * g0[0] + v[1] * g0[1] + v[2] * g0[2])
            if abs(up) < _FIRST_AXIS_COS * math.hypot(*g0):
                up = float(v[0] + v[1] + v[2])
            if up < 0.0:
                v = -v
        elif float(v[0] * old[0] + v[1] * old[1] + v[2] * old[2]) < 0.0:
            v = -v
        new = (float(v[0]), float(v[1]), float(v[2]))
        if not self._own_axis:
            # The epoch's first own axis: a sign settled before the change carries over when
            # the breathing axis stayed close (module notes, step 5). Breaths begun on the old
            # axis are no evidence, and none of them is good.
            self._own_axis = True
            self._version += 1
            self._evidence_from = k
            close = abs(v[0] * old[0] + v[1] * old[1] + v[2] * old[2]) >= self._carry_cos
            if self._carry and close and self._have_axis:
                self._sign_known = True
        sign = self._sign
        # The breathing signal's vector at this sample (step 2), the one being projected.
        rx, ry, rz = resid
        if self._awaiting:
            self._reproject(new, old)
            # The projection before any sign goes on from the re-projected epoch's.
            self._level = self._epoch_level + new[0] * rx + new[1] * ry + new[2] * rz
        else:
            before = self._offset
            if self._have_axis:
                before += sign * self._gain * (old[0] * rx + old[1] * ry + old[2] * rz)
            after = sign * self._gain * (new[0] * rx + new[1] * ry + new[2] * rz)
            self._offset = before - after
        if self._last_proj is not None:
            self._last_proj = new[0] * rx + new[1] * ry + new[2] * rz
        self._axis = new
        self._have_axis = True

    def _reproject(self, new: tuple[float, float, float], old: tuple[float, float, float]) -> None:
        """A new epoch's own axis: re-project the epoch's kept-back output on it, with a gain.

        The gain makes the breathing as large on the new axis as it was on the previous
        epoch's, so that the breath detector's depths (its hysteresis) stay valid across the
        posture change: the sensor's sensitivity to the same breathing depends on how gravity
        lies to the breathing's tilt (module notes, step 3). The epoch's first sample is its
        anchor (step 2), whose output is the held value, so the output stays continuous.
        """
        run = self._epoch_out
        proj = [new[0] * x + new[1] * y + new[2] * z for x, y, z in run]
        period = round(_median(self._periods) * self._work_hz) if self._periods else 0
        close = abs(new[0] * old[0] + new[1] * old[1] + new[2] * old[2]) >= self._carry_cos
        # The axis is recomputed on a grid, so the stretch may be a few samples short of it.
        span = min(period, len(proj))
        if not close and span >= 2 and span + self._pca_every > period:
            # The new axis lies far from the old one, so the way it points says little of
            # which way is inhale; the last whole breath period kept back says more (step 5):
            # the way it rises faster, if it is skewed by more than one breath's own spread.
            asym = breath_asymmetry(proj[len(proj) - span :])
            if self._inhale_longer:
                asym = -asym
            if abs(asym) >= ORIENT_SD_FLOOR and asym * self._sign < 0.0:
                self._sign = -self._sign
        if self._ref_var > 0.0 and self._periods and len(run) > 1:
            mean = sum(proj) / len(proj)
            var = sum((p - mean) ** 2 for p in proj) / len(proj)
            lo, hi = GAIN_RANGE
            gain = math.sqrt(self._ref_var / var) if var > 0.0 else hi
            self._gain = min(max(gain, lo), hi)
            self._gains.append((self._epoch_first, self._gain))
        scale = self._sign * self._gain
        base = self._epoch_offset
        pending = self._pending
        n = min(len(run), len(pending))
        if self._floor_before is not None and span >= 2 and span + self._pca_every > period:
            # A whole breath period is in hand: its exhale floor goes where the floor before
            # the movement was, so that the breath after the change is measured from the
            # level of those before it, not from whatever phase the held value caught. Not
            # above the held value, though: a rise across the hold has no onset to time (it
            # began unseen), and stays merged into the breath under way, as before.
            floor = min(scale * p for p in proj[len(proj) - span :])
            base = min(self._floor_before - floor, base)
            # The held samples still kept back ramp from the held value to the epoch's first.
            m = len(pending) - n
            start = self._epoch_offset
            for j in range(m):
                pending[j] = start + (base - start) * (j + 1) / (m + 1)
        for i in range(n):
            pending[len(pending) - n + i] = base + scale * proj[len(run) - n + i]
        self._offset = base
        # The whole epoch is on its own axis now, made in the current orientation: its breaths
        # may be good and evidence (step 5), their shape read from the new projection.
        level, ver = self._level_hist, self._ver
        for i in range(len(run)):
            level[len(level) - len(run) + i] = self._epoch_level + proj[i]
            ver[len(ver) - len(run) + i] = self._version
        self._evidence_from = self._epoch_first
        self._awaiting = False
        self._epoch_out = []


def _median(values: deque[float]) -> float:
    """Median of a few values."""
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def _noise_power(sos: FloatArray, fs_hz: float) -> float:
    """Share of white noise's power that a filter passes: the mean of ``|H(f)|^2`` over 0 to
    Nyquist (its noise bandwidth over Nyquist)."""
    _, h = scipy.signal.sosfreqz(sos, worN=4096, fs=fs_hz)
    return float(np.mean(np.abs(h) ** 2))


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


def breath_asymmetry(level: ArrayLike) -> float:
    """Asymmetry of one breath cycle: skewness of its slopes over a sixteenth of the cycle.

    The slope is ``x[k] - x[k - L]`` with ``L`` a sixteenth of the cycle's samples (at least
    1), so that sensor noise, which the 1-sample difference of a slow breath sampled at 20-25
    Hz amplifies to the size of the breathing's own slope, is averaged over ``L`` samples
    while the shape of the inhale (a quarter to half of the cycle) survives. Positive when
    the signal rises faster than it falls (module notes, step 5).

    Parameters
    ----------
    level : array_like, shape (n,)
        The signal over one breath cycle, any units.

    Returns
    -------
    float
        The skewness (dimensionless); 0 when it is undefined.

    Examples
    --------
    A cycle that rises in a quarter of its samples and falls in the rest, and the same cycle
    turned round in time:

    >>> import numpy as np
    >>> cycle = np.concatenate([np.linspace(0.0, 1.0, 25), np.linspace(1.0, 0.0, 76)[1:]])
    >>> round(breath_asymmetry(cycle), 2), round(breath_asymmetry(cycle[::-1]), 2)
    (1.29, -1.29)
    """
    x = np.asarray(level, dtype=np.float64)
    lag = max(1, round(x.size * _ASYM_LAG_FRACTION))
    d = x[lag:] - x[:-lag]
    d = d - d.mean() if d.size else d
    return _skewness(float(d.size), float(d.sum()), float(d @ d), float((d * d) @ d))


def difference_skewness(x: ArrayLike) -> float:
    """Skewness of the first difference of a whole breathing signal (a recording's orientation).

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

    Examples
    --------
    Six breaths that rise fast and fall slowly, and the same signal upside down:

    >>> import numpy as np
    >>> cycle = np.concatenate([np.linspace(0.0, 1.0, 25), np.linspace(1.0, 0.0, 76)[1:]])
    >>> breathing = np.tile(cycle, 6)
    >>> round(difference_skewness(breathing), 2), round(difference_skewness(-breathing), 2)
    (1.21, -1.21)
    """
    d = np.diff(np.asarray(x, dtype=np.float64))
    # Centred first (the sums of powers lose precision on an offset); the skewness is the same.
    d = d - d.mean() if d.size else d
    return _skewness(float(d.size), float(d.sum()), float(d @ d), float((d * d) @ d))


def gravity_magnitude(xyz: ArrayLike, fs_hz: float) -> float:
    """Magnitude of gravity in a chest-accelerometer recording, in the recording's own units.

    Samples that are 0 on all three axes are left out first: a worn accelerometer always
    measures gravity, so they are no measurement but a logger's filler (zeros before the
    sensor's first real sample, or through a dropout), which averaged in would scale gravity
    down (without this, 8 s of zeros before 17 s of an mG chest measured 599). The rest is
    cut into windows of :data:`GRAVITY_WINDOW_S` (10 s; one window if it is shorter); each
    window's mean vector is gravity there (breathing, sensor noise and steps average out
    over a few cycles), and the median of their lengths is the answer, so that posture
    changes and a few seconds of movement do not count. About 1000 for mG, 1 for g, 9.81
    for m/s² and 16384 for the raw counts of a ±2 g 16-bit sensor:
    :class:`AccBreathTracker` takes it as ``gravity``.

    Parameters
    ----------
    xyz : array_like, shape (n, 3)
        Accelerometer samples (x, y, z), any units with 0 at no acceleration (not an analog
        sensor's ADC counts, whose 0 g sits mid-range), finite.
    fs_hz : float
        Sampling rate, Hz.

    Returns
    -------
    float
        The gravity magnitude, in the units of ``xyz``.

    Raises
    ------
    ValueError
        If ``xyz`` is not (n, 3) with n >= 1, if every sample is 0, or if the signal holds
        no gravity: the median window mean is shorter than :data:`MIN_GRAVITY_SPREAD` times
        the median RMS of the samples around their window's mean. A high-passed or
        gravity-removed ("linear") acceleration has no scale to take (its window means are
        breathing residue: 0.02-0.43 of the spread on the synthetic chests of
        ``benchmarks/validate_breath.py`` high-passed at 0.05 Hz, 4-30 breaths/min), where a
        still chest reads about 100, walking with a 150 mG bounce 9, a 500 mG bounce
        (running) 2.8.

    Examples
    --------
    >>> import numpy as np
    >>> t_s = np.arange(0.0, 60.0, 0.02)
    >>> z = 1.0 + 0.005 * np.sin(2 * np.pi * 0.2 * t_s)  # in g
    >>> xyz = np.column_stack([np.full(t_s.size, 0.003), np.full(t_s.size, 0.002), z])
    >>> round(gravity_magnitude(xyz, 50.0), 3)
    1.0
    """
    a = np.asarray(xyz, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3 or a.shape[0] == 0:
        raise ValueError(f"xyz must have shape (n, 3) with n >= 1, got {a.shape}")
    some = (a != 0.0).any(axis=1)
    measured = a if some.all() else a[some]
    if measured.shape[0] == 0:
        raise ValueError(
            "x, y, z are 0 throughout: not even gravity, so no acceleration was measured "
            "(sensor off, or not sending?)"
        )
    per = max(1, round(GRAVITY_WINDOW_S * fs_hz))
    k = max(1, measured.shape[0] // per)
    windows = measured[: k * per].reshape(k, per, 3) if measured.shape[0] >= per else measured[None]
    means = windows.mean(axis=1)
    spread = np.sqrt(((windows - means[:, None, :]) ** 2).sum(axis=2).mean(axis=1))
    gravity = float(np.median(np.linalg.norm(means, axis=1)))
    typical_spread = float(np.median(spread))
    if not gravity > MIN_GRAVITY_SPREAD * typical_spread:
        ratio = gravity / typical_spread if typical_spread > 0.0 else 0.0
        raise ValueError(
            f"x, y, z hold no gravity: over {GRAVITY_WINDOW_S:g} s their mean is {ratio:.2g} "
            "times their spread around it, where a worn accelerometer's gravity is many "
            "times larger (a high-passed or gravity-removed signal?); the chest-accelerometer "
            "analysis takes its scale, and its posture changes, from gravity: give the raw "
            "accelerometer, in any unit (mG, g, m/s², counts)"
        )
    return gravity


def detect_acc_breaths(
    xyz: ArrayLike, fs_hz: float, *, t0_s: float = 0.0, **kwargs: Any
) -> list[Breath]:
    """Breaths of a whole chest-accelerometer recording.

    Exactly what one :class:`AccBreathTracker` with the same parameters emits when fed ``xyz``
    in any chunking.

    Parameters
    ----------
    xyz : array_like, shape (n, 3)
        Accelerometer samples (x, y, z), in the units of ``gravity`` (mG by default), finite.
    fs_hz : float
        Sampling rate, Hz.
    t0_s : float
        Time of the first sample, s.
    **kwargs
        See :class:`AccBreathTracker`; ``gravity=gravity_magnitude(xyz, fs_hz)`` for samples
        in another unit.

    Returns
    -------
    list of Breath
        Every breath whose end was confirmed within the recording, up to its last quarter
        second (the detector is fed on a 0.25 s grid, module notes step 5).

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
    [polar#71]) still gives breaths at the right session times. A hole (a step between two
    samples larger than ``max_step_s``: a link gap), between chunks or inside one, is one no
    breath spans. Up to ``keep_hole_s`` long, the detector carries its projection across it
    (:meth:`AccBreathTracker.mark_hole`: gravity, axis, the inhale direction learnt); a longer
    one, or a step backwards (the sensor's clock restarted: it was switched off), starts a new
    detector (module notes, "Holes").

    Parameters
    ----------
    nominal_fs_hz : float
        Nominal sample rate, Hz.
    max_step_s : float
        A step between consecutive samples larger than this (or backwards) counts as a hole, s.
    keep_hole_s : float
        Longest hole, s, across which the detector keeps its projection
        (:data:`KEEP_HOLE_S`).
    history_s : float
        Sample times kept for mapping, s (breaths are emitted well within this).
    **kwargs
        Passed to :class:`AccBreathTracker`.

    Examples
    --------
    The breathing of the :class:`AccBreathTracker` example from a sensor whose samples come
    1 % further apart than its nominal 50 Hz, starting at session time 100 s: the breaths are
    in session time, at the rate in session time (12 / 1.01 breaths/min):

    >>> import numpy as np
    >>> i = np.arange(6000)
    >>> z = 1000.0 + 5.0 * np.sin(2 * np.pi * 0.2 * i / 50.0)
    >>> xyz = np.column_stack([np.full(i.size, 3.0), np.full(i.size, 2.0), z])
    >>> t_s = 100.0 + i * 0.02 * 1.01
    >>> tracker = TimedAccBreathTracker(50.0)
    >>> breaths = tracker.update(t_s[:3000], xyz[:3000]) + tracker.update(t_s[3000:], xyz[3000:])
    >>> len(breaths), round(breaths[0].inhale_onset_s, 1)
    (22, 103.8)
    >>> round(float(np.median([b.rate_bpm for b in breaths])), 2), tracker.holes
    (11.88, 0)
    """

    def __init__(
        self,
        nominal_fs_hz: float,
        *,
        max_step_s: float = 1.0,
        keep_hole_s: float = KEEP_HOLE_S,
        history_s: float = 300.0,
        **kwargs: Any,
    ) -> None:
        self.fs_hz = float(nominal_fs_hz)
        self._max_step_s = max_step_s
        self._keep_hole_s = keep_hole_s
        self._history_s = history_s
        self._kwargs = kwargs
        self._tracker: AccBreathTracker | None = None
        self._times = np.empty(0)
        self._first_index = 0
        # Absolute sample indices where the samples resumed after a hole the detector kept
        # its projection across (mark_hole), within the times kept.
        self._resumed_at: list[int] = []
        self.restarts = 0
        """Holes after which a new detector started (longer than ``keep_hole_s``, or backwards)."""
        self.holes = 0
        """Holes of any length met so far."""

    def update(self, t_s: ArrayLike, xyz: ArrayLike) -> list[Breath]:
        """Consume samples with their session times; return breaths in session time.

        Parameters
        ----------
        t_s : array_like, shape (n,)
            Session time of each sample, s, finite.
        xyz : array_like, shape (n, 3)
            The samples, as for :meth:`AccBreathTracker.update`, finite.

        Returns
        -------
        list of Breath
            Breaths completed within these samples, times in session time.

        Raises
        ------
        ValueError
            If the shapes do not match or a value is not finite. Nothing is consumed then: the
            next chunk continues from the last one accepted (and, being a sample period or
            more after it, starts again after the hole the refused chunk leaves).
        """
        times = np.asarray(t_s, dtype=np.float64)
        a = np.asarray(xyz, dtype=np.float64)
        if times.ndim != 1 or a.shape != (times.size, 3):
            raise ValueError(
                f"t_s must have shape (n,) and xyz (n, 3), got {times.shape} and {a.shape}"
            )
        if times.size == 0:
            return []
        # Checked before any state changes: a refused chunk must not shift the time base.
        if not (np.isfinite(times).all() and np.isfinite(a).all()):
            raise ValueError(
                "accelerometer samples and their times must be finite (split the stream at gaps)"
            )
        # A hole inside the chunk is a hole like one between chunks: each side on its own.
        steps = np.diff(times)
        cuts = (np.flatnonzero((steps <= 0.0) | (steps > self._max_step_s)) + 1).tolist()
        out: list[Breath] = []
        for lo, hi in zip([0, *cuts], [*cuts, times.size], strict=True):
            out += self._run(times[lo:hi], a[lo:hi])
        return out

    def _run(self, times: FloatArray, xyz: FloatArray) -> list[Breath]:
        """Samples with no hole among them (the caller split the chunk at its holes)."""
        if self._tracker is not None and self._times.size:
            step = times[0] - self._times[-1]
            if step <= 0 or step > self._max_step_s:
                self.holes += 1
                if 0 < step <= self._keep_hole_s:
                    self._tracker.mark_hole()
                    self._resumed_at.append(self._first_index + self._times.size)
                else:
                    self._tracker = None
                    self.restarts += 1
        if self._tracker is None:
            self._tracker = AccBreathTracker(self.fs_hz, t0_s=0.0, **self._kwargs)
            self._times = np.empty(0)
            self._first_index = 0
            self._resumed_at = []
        self._times = np.concatenate([self._times, times])
        out = [self._mapped(breath) for breath in self._tracker.update(xyz)]
        keep_from = int(np.searchsorted(self._times, times[-1] - self._history_s))
        if keep_from > 0:
            self._times = self._times[keep_from:]
            self._first_index += keep_from
            self._resumed_at = [i for i in self._resumed_at if i >= self._first_index]
        return out

    @property
    def inhale_longer(self) -> bool:
        """:attr:`AccBreathTracker.inhale_longer`, kept for any new detector (a restart)."""
        return bool(self._kwargs.get("inhale_longer", False))

    @inhale_longer.setter
    def inhale_longer(self, value: bool) -> None:
        self._kwargs["inhale_longer"] = bool(value)
        if self._tracker is not None:
            self._tracker.inhale_longer = bool(value)

    @property
    def orientation_settled(self) -> bool:
        """Whether the current detector's inhale direction rests on evidence
        (:attr:`AccBreathTracker.orientation_settled`); False before the first samples."""
        return self._tracker is not None and self._tracker.orientation_settled

    @property
    def held_s(self) -> float:
        """:attr:`AccBreathTracker.held_s` of the current detector, s (0 before any sample)."""
        return self._tracker.held_s if self._tracker is not None else 0.0

    def _time(self, index_s: float, since: int) -> float:
        """Session time of an instant of the detector's clock, s, not before the sample of
        absolute index ``since``: the first after the hole the breath follows. The low-pass
        delay taken off a breath's times (module notes, step 7) would put an onset at the first
        sample after a hole up to 0.15 s before it, which the samples' times map into the hole,
        onto the samples before it; the filters, primed on that first sample, have no delay
        there."""
        position = max(index_s * self.fs_hz, since) - self._first_index
        return float(np.interp(position, np.arange(self._times.size), self._times))

    def _mapped(self, b: Breath) -> Breath:
        # Every breath lies after the latest hole before its end (no breath spans one).
        end_index = b.end_s * self.fs_hz
        since = max((i for i in self._resumed_at if i <= end_index), default=0)
        inhale = self._time(b.inhale_onset_s, since)
        exhale = self._time(b.exhale_onset_s, since)
        end = self._time(b.end_s, since)
        pause_start = self._time(b.end_s - b.pause_s, since)
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
            detected_s=self._time(b.detected_s, since),
        )
