"""Breath-by-breath detection from a respiration belt (or any chest-expansion signal).

The signal rises during inhale and falls during exhale (docs/reference/physiology.md, "Breath
phases"). Each breath runs from one inhale onset to the next and is timed in three phases:
inhale (including any hold at the top), exhale, and the post-exhale pause.

Method
------
1. **Causal low-pass** for detection: 2nd-order Butterworth at ``cutoff_hz`` (1 Hz), state kept
   in :class:`analysis.filters.StreamingSOS` (primed with the first sample, so a force offset
   does not ring). The first sample is taken off every sample before anything else (kept in
   the tracker, so any chunking takes off the same): fed a level of 1e9 with the breathing
   in its last digits, the low-pass's rounding had lost 17 of the 80 breaths of NeuroKit2
   ``bio_resting_5min`` (at 1e6 + 1e-3 of it, the same 17); now all 80 are found. No
   high-pass: any high-pass edge near the breathing band reshapes slow breaths (NeuroKit2's
   ``khodadad2018`` band starts at 0.05 Hz, biosppy's at 0.1 Hz, i.e. 6 breaths/min); slow
   drift is handled by the relative thresholds below instead.
2. **Hysteresis turning points** (E. Billauer, "peakdet", http://billauer.co.il/peakdet.html):
   a peak is confirmed once the filtered signal has fallen ``delta`` below its running maximum,
   a trough once it has risen ``delta`` above its running minimum, with ``delta = rel_delta x
   median(depth of the last n_depths breaths)``, floored at ``min_delta`` (and at 16 float
   steps of the first sample, the level's own granularity, ``_LEVEL_ULPS``; it had been 1e-9
   of the level, which at 1e9 + 0.1 of that belt, a swing of 3e-10 of the level, found no
   breath). Before the first breath the reference is the larger of the current and the
   previous swing. A breath whose rise and fall differ by more than half counts by the
   smaller of the two (a glitch at one end, such as a dropout to zero, makes one side huge),
   and one more than ``artifact_high`` times the recent median depth does not count at all: a
   glitch would otherwise hold the hysteresis above every real breath after it.
3. **Stalls.** If no turning point is confirmed for three typical breath periods (at most
   ``stall_s``), the reference halves and the samples since the last turning point are
   stepped through again with the smaller hysteresis: after a sudden drop in depth the
   shallow breaths are found where they happened, and emitted at the stall. On a belt at 500
   units, a 60 ms dropout to 0 at 12 s had left 2 breaths found in the next 70 s, and one at
   1 s the first breath found after two minutes; now no breath after it is missed. Before
   the first breath the reference drops at least to the range of the stall's second half.
   After it, the reference does not go below 1/8 of the deepest recent breath that counted,
   nor below where the hysteresis would be within the sensor noise, so that a held breath
   or a belt at rest does not turn noise into breaths: the noise is measured on the wait
   itself, in 1-3 Hz (above the detection band, where quiet breathing has little power),
   and the hysteresis kept at 7 of its robust standard deviations
   (:meth:`BreathTracker._noise_floor`). With the depth floor alone (1/16 before), a 60 s
   hold in 30 dB noise (0.05-3 Hz) read as 15-22 breaths; with 1/8, holds of 45-60 s at
   25 dB and 12 breaths/min still read as 5-24 breaths of depth about 0.06, and at 20 dB
   (60 s, and 45 s at 12/min) as 4-18. With the noise floor, holds of 20, 45 and 60 s
   after an exhale or at the top, at 6 and 12 breaths/min, read as no breath at 20, 25 and
   30 dB (10 seeds each). A caller that measures its sensor's noise where breathing does not
   reach sets :attr:`BreathTracker.noise_delta`, a floor under the hysteresis at all times,
   before the first breath too (the chest accelerometer's low-pass leaves little in 1-3 Hz to
   measure: :mod:`analysis.acc_breath`, step 7). Shallow breathing is still found where it
   is above the noise: a relaxation to 1/8 of the depth, hypopnea-like episodes at 1/5, a
   change from 6/min to 15/min at half depth, and fast breathing that drops to 1/4-1/6
   (tests). The timing of the breaths at a hold's ends is steps 5-6's: after a hold of 10-60
   s at the top the exhale onset is a median 0.01-0.11 s from the truth at 20-30 dB, at most
   0.5 s (it had been a median 0.3-4 s early at 25-30 dB, up to 40 s, when the phase fits
   were cut at the peak, which is wherever the noise tops the plateau), and at 20 dB the
   first inhale after a hold can be seconds early.
4. **Plausibility.** A trough less than ``min_breath_s`` after the breath's start trough
   (0.75 s by default, :data:`MIN_BREATH_S`: over 80 breaths/min) is a wiggle: the lower trough
   is kept and the extremum between dropped (such a merged breath is ``"uncertain"``, and
   :attr:`BreathTracker.merged_breaths` counts it): breathing faster than that reads at half
   its rate, uncertain. A breath shorter than 1.5 s (over 40/min) and shorter than half the
   median of the recent breaths is ``"uncertain"`` too: among slow breaths such a cycle is a
   sniff, a cough or a movement more often than a breath (a 1 s spike pair on NeuroKit2
   ``bio_resting_5min`` at 230 s, which the old 1.5 s limit merged into one uncertain breath).
   Before the first breath, a "breath" that rises less than half as much as it falls is noise
   ahead of the first inhale and is skipped. **A still start.** Before the first breath the
   hysteresis knows only the swings seen so far, so a belt at rest (put on before the person
   breathes, or held still) confirms its noise's wiggles as breaths, and these then set the
   depth the first real breaths are judged by: with 3, 10 and 30 s of the validation's noise
   (0.05-3 Hz) at the exhale-end level ahead of a 6/min belt, 18, 53 and 147 such breaths in 10
   recordings, none of them artifacts, and the first two real breaths of most recordings
   artifacts (over 4 times the noise's median depth). So, until a breath stands out of the
   noise, each one is tested (:meth:`BreathTracker._judge`): the raw signal of the last
   ``history_s`` is band-passed to ``_NOISE_BAND_HZ`` (1-3 Hz), but from at least 3 times the
   breath's rate (``_QUIET_HARMONIC``: fast breathing's fundamental and second harmonic lie in
   1-3 Hz, which the stalls' noise floor, step 3, would take for noise), and a breath less than
   ``_QUIET_K`` (13) robust standard deviations of it deep, or, after 3 such "breaths", less
   than twice their median depth, is noise: it is reported as an ``"artifact"`` and changes
   nothing in the detector (no depth, period, shape or junction fit). On 4 x 300 s of noise
   alone at each of 10, 25, 50 and 100 Hz, the "breaths" the band can test measured a median
   4.9-6.1 deviations, at most 12.6 (white noise: a median 4.7-9.6, at most 17.5; of 10
   white-noise minutes at 25 Hz, 5 had a "breath" stand out by the deviations alone, 1 with the
   depth rule, at 5 s); the first breaths of synthetic belts from the first sample (3-40/min,
   10-100 Hz, ratios 0.5-3, pauses and holds) at least 14.2 at 15 dB (10th percentile 17.6), 21
   at 20 dB, 43 at 30 dB, and of the real belts 36-95. A breath too fast for the band (under
   1.5 s with a 3 Hz top) or within 4 s of the start (``_QUIET_MIN_S``) is noise if less than
   twice as deep as the deepest of the last "breaths" within the noise; otherwise it counts
   (with no noise seen yet, fast breathing from the first sample is breathing), and 3 in a row end
   the test; the first breath that stands out ends it too. Such an untested breath is held back
   from the output until a breath is tested (or 3 untested ones after the first 4 s end the test:
   near the start every quick wiggle of the noise is untested), and the swings under way count in
   the hysteresis alongside its depth: if the tested breath stands out, the held ones less than
   half as deep are artifacts. A breath that counts forgets the breaths before it if they were more
   than ``_QUIET_SPAN`` (2) times shallower (fast ones, or ones too near the start, were the
   noise's): it is the first breath, and not an artifact. A recording that starts in the quiet
   before an inhale had the noise's first wiggle, 1-2 s in and untested, emitted as an "uncertain"
   breath (at 30 dB, 9 of 144 recordings, CVBB 4-6 times the truth's) and, at 15 dB and 4.5-6/min,
   set a hysteresis low enough for the noise to split the slow breaths for minutes (21 of 120
   recordings with false breaths, 79 in all, 47 breaths for 23 in one; review 40, F1 and F3); now
   none, and none either in 288 such recordings starting 1, 2, 2.5, 3.5, 5 and 7 s into the
   project's synthetic belt (mid-fall, in the pause, mid-inhale, near its top: 28 had 91 false
   breaths). The cost: a breath confirmed in the first 4 s of a recording (or one faster than
   40/min before the first breath) is emitted only with the next breath, so the live display shows
   it a breath late. A minute of "breaths" within the noise ends the test as well: breathing below
   about 13 dB in band stands out of no noise and is breathing all the same (its first minute reads
   as artifacts); unless the signal changes from sample to sample as no breathing does (lag-1
   autocorrelation under 0.3, ``_QUIET_LAG1``: white noise, a disconnected input), which stays
   noise. A caller that sets
   :attr:`BreathTracker.noise_delta` measures the noise itself, and the test is off. Now, with
   the leads above (10 recordings each): no breath in the lead is not an artifact (before the
   untested ones were held back, 7-9, all starting within its first 3 s; at 15 and 20 dB, and
   at 15 and 60/min, 9-10 with a 30 s lead); no real breath among the first three is an
   artifact (before, the first two were in most recordings). The noise still reads as
   "breaths", artifacts, for the ``breaths`` command's noise report.
5. **Onsets refined on the raw signal.** Once a turning point is confirmed, the raw samples
   around it are in the buffer, so the refinement can be centred (no delay): they are smoothed
   by a local quadratic (Savitzky-Golay) fit, a third of the time the signal took to move away
   from the extremum but at most a tenth of the phase before it (0.1-1.5 s each side), and the
   extremum level is that fit's maximum or minimum. The phase boundaries come from quadratic
   extrapolation of two level crossings: near a rounded corner (flow starting from zero, as in
   a sinusoidal breath) the signal leaves its plateau as ``a (t - t0)^2``; with crossings of
   ``f`` and ``4 f`` of the depth at ``t1`` and ``t2``, ``t0 = t1 - k (t2 - t1)`` with
   ``k = acos(1 - 2 f) / (acos(1 - 8 f) - acos(1 - 2 f))`` (0.947 for ``f = onset_fraction =
   5 %``): exact for a raised-cosine volume curve, and 1 for a pure parabola. So:

   * inhale onset: from the last upward crossings of the trough level ``+ f`` and ``+ 4 f``
     before the trough is confirmed (a post-exhale pause stays a pause);
   * exhale onset: from the last downward crossings of the peak level ``- f`` / ``- 4 f`` (a
     hold at the top counts as inhale, as :class:`Breath` defines it);
   * pause start: from the first downward crossings of the trough level ``+ 4 f`` / ``+ f``
     after the peak, extrapolated forward.

   ``f`` is a fraction of the current swing, at most the median recent depth, and kept below
   how far the signal has come back when the turning point is confirmed. An uneven valley or
   top (a bump in a pause) is handled by taking the levels from the last valley before the
   rise (the first one after the fall, for the pause start), and where the signal at the
   extrapolated point is not on the floor, by the last (first) sample within ``f / 2`` of it.
   The plain rule "last sample within 5 % of the trough" would be late by 14 % of the phase
   for a sinusoidal breath (0.7 s for a 5 s inhale); on noise-free raised-cosine breaths the
   refined times are within 0.02 s from 3 to 30 breaths/min. Sensor noise and drift tilt the
   levels at slow corners (see the tests for the measured errors). In a long pause the noise
   can wander up by more than ``f`` well before the next rise, and the valley's lowest point
   then lies at the pause's start: extrapolated from a lower crossing there, the inhale onset
   (and so the previous breath's end) fell in the pause, seconds before the rise (6/min, a
   40 % pause, 25 dB: an end 3.8 s early, 9.5 breaths/min for a true 6.4). Where the onset
   lies more than ``_CORNER_REACH`` (0.2) of the median recent period before the rise's
   crossing of ``4 f``, the valley is cut to that reach before the crossing and the rule run
   again. On the validation's synthetic belts (3 pauses 0-40 %, 15-30 dB, 4-25/min, ratios
   0.5-3, 25 and 100 Hz) and the 5 real belts, ends more than a quarter of the breath before
   the next fitted onset went 911 -> 119 of 21,589, the median distance 92 -> 79 ms (90th
   percentile 0.67 -> 0.48 s), the live rate's distance from the fitted onsets' median
   0.52 -> 0.43/min (90th percentile 3.0 -> 2.3), and on wfdb 03700181 (a ventilator's
   slowly rising plateau) the early ends 65 -> 1 of 194. A reach of 0.15 left 47 early ends
   but made 90 more ends late by a tenth of the breath (0.2: 13 more); 0.3 left 348.
6. **Whole-phase fit.** Once a breath is complete (its end trough confirmed), its inhale
   onset, exhale onset and pause start are measured again from the whole of each phase
   rather than its corners, where the signal hardly moves and noise decides. Each phase
   (trough to peak, peak to trough) is cut into 32 equal blocks whose means are smoothed by a
   quadratic Savitzky-Golay fit over a tenth of the phase either side; the straight baseline
   through the two trough levels (drift) is taken off and the result scaled by the peak's
   height above it. Where a phase lies between 5 % and 95 % of the depth, a raised-cosine
   phase -- the volume curve of sinusoidal flow, the classic model of quiet breathing (Otis,
   Fenn & Rahn 1950, J Appl Physiol 2:592) -- has a phase angle ``acos(1 - 2 y)`` that is
   linear in time, and a weighted least-squares line gives the phase's start and duration.
   The inhale onset is the rise's start; the exhale onset is seen from both sides (end of the
   rise, start of the fall), weighted by ``1 / duration^2``, unless the gap between them shows
   a hold at the top (then it is the start of the fall); the pause starts a fall's duration
   later. A hold at the top longer than about one or two phases puts the peak sample anywhere
   on its plateau, so there the rise is fitted around its own midpoint and the fall around
   its own, and both are scaled by the plateau's median level rather than the noise's
   highest point on it (:meth:`BreathTracker._phase_spans`). A fitted inhale onset not after
   the previous breath's exhale onset has taken something else for the rise: the corner
   times are used instead, and the corner onset is kept after that exhale onset. Without a
   hold, these times then start a **whole-breath fit**: the rise and the fall as one curve
   through a shared peak, fitted to the unsmoothed block means (each weighted by its width)
   by Gauss-Newton, together with a depth and an offset left in the baseline. The two phase
   fits each estimate the peak from one side and cannot share it; the peak weighs most in the
   exhale:inhale ratio (for a 3:1 breath its error counts four times, the inhale onset's
   three times, the pause start's once). The fit is robust (Tukey's
   biweight on residuals beyond 8 robust standard deviations, Beaton & Tukey 1974,
   Technometrics 16:147), so a bump in a phase that the model cannot follow (a swallow, a
   word) does not drag the breath's times; it is dropped for the phase fits' times if a step
   would leave the times unordered. It is dropped too when it fits the rise far worse than
   the rise's own phase fit does and puts the inhale onset elsewhere (:func:`_traded_rise`):
   its shared offset and depth let a fall it cannot follow drag the rise's start up the
   rise. An exhale that falls 70-80 % of the depth, stops on a shelf for 0.8-1.2 s and falls
   on to the trough had its inhale onsets a median 250-370 ms late (inhales of 0.55-1.0 s
   for 1.5, ratios 0.1-2.9 for one true 1.8-2.2, every breath "good"); on NeuroKit2
   ``bio_resting_8min``, whose exhales stop on such a shelf, one inhale onset was 0.9 s
   after its trough, 90 % up the rise (ratio 16.3, "good"). Such a breath keeps the phase
   fits' times, its exhale is taken to run to the next inhale onset (its pause start, put
   at the shelf, had halved the ratio), and it is ``"uncertain"``: the onsets are now a
   median 6-7 ms from the truth (at most 0.12 s), the real one at its trough, and the
   synthetic tables of the validation report do not change (no fit there trades its rise).
   A shelved exhale whose fit does not trade its rise keeps its label and may still have
   its pause start at the shelf. The fall need not be a raised cosine: a passive exhale
   drops steeply and ends in a long slow tail (the lung empties like a discharging
   capacitor), which a raised-cosine fit reads as an exhale ending 0.7-0.9 s early and a
   pause that is not there. The fall is ``(1 + cos(pi u^gamma)) / 2`` over the exhale
   (``u`` from 0 to 1; ``gamma = 1`` the raised cosine), ``gamma`` is fitted freely to each
   breath, and the breath is then timed with ``gamma`` fixed at the median of the previous
   ``_SHAPE_BREATHS`` breaths' (1 before the first): the person's shape, without letting a
   breath's own noise trade its shape against its end. On the NeuroKit2 belt recordings the
   fitted shapes are 0.6-1.0. Where a breath meets both neighbours without a pause
   (the previous exhale ends where its inhale starts, its exhale where the next inhale
   starts, each to within ``_HOLD_FRACTION`` of the phase), a **junction fit** follows: the
   previous breath's fall, this breath and the start of the next rise (up to the sample that
   confirmed the breath, so no extra latency) as one curve, with the two corners shared. A
   corner between two phases is then seen from both sides, which the exhale's end, at the
   slow flat bottom of a long fall, needs most: at 3:1 and 30 dB its median error drops
   from 28 ms to 16 ms. The two corners also pin the baseline's tilt, which this fit takes
   as a parameter instead of the line through the two trough levels (their noise tilts it,
   trading the inhale's length against the exhale's): 3:1 ratio error 0.048 -> 0.045 (the
   true baseline, handed over instead, reads 0.042). Noise-free, the times are within a few
   ms at 20-100 Hz. At 30 dB in-band noise the two fits cut the median onset error of the
   phase fits alone from 19-41 ms to 10-18 ms and the ratio error by 5-35 %; at 20 dB from
   94-199 ms to 37-57 ms and by 16-43 %. The ratio errors are then at or below those of the
   generating model's own least-squares fit to the whole recording, started at the truth,
   for breaths without a pause, and within 20 % of them with a pause
   (``benchmarks/breath_bound.py``; docs/validation/breathing.md, section 7). A fall in
   **steps** is no smooth phase: talking, the exhale runs in phrases separated by short stops
   (Hixon, Goldman & Mead 1973, J Speech Hear Res 16:78), and a smooth curve through the
   staircase put the exhale onset 0.3-0.7 s early, or, read as a hold and then by the corner
   rule, which stops at the first stop, 1-4 s late. A fall at least 5 times as long as its
   rise (talking inhales are quick; in ordinary breathing, noise at 20 dB and heartbeats on a
   real belt make stop-like wiggles) whose smoothed block levels slow to a quarter of its
   fastest between 10 % and 90 % of the depth and speed up by half of it again on both sides
   (noise on a smooth fall reached 0.35 at 30 dB) is timed from its first phrase (peak to
   first stop) and its last (last stop to trough), each fitted as a raised-cosine phase
   between its own levels: the exhale onset from the first phrase's start and the rise's end
   (a hold as above), the pause start from the last phrase's end; such a breath gets no
   whole-breath or junction fit. On synthetic talking at 30 dB (8
   three-minute recordings) the median exhale-onset error went from 88 to 52 ms, the 90th
   percentile from 847 to 140 ms; the normal synthetic cases are unchanged. If a phase has
   too few points in the band, does not rise (fall), or ends after the sample that confirmed
   the breath, the corner times stay. The fits of all breaths completed in one
   :meth:`BreathTracker.update` run as one vectorised computation, with sums that do not
   depend on the chunking; the turning-point search does not depend on them, and the
   junction fit starts from the previous breath's whole-breath fit (kept from one update to
   the next), never from its junction fit, so a breath's times do not depend on whether its
   neighbour was fitted in the same update.
7. **Filter latency.** The low-pass's group delay at 0.1 Hz (:func:`analysis.filters.
   group_delay_s`, 0.22-0.23 s for 1 Hz, flat within a few ms up to 0.3 Hz) maps each filtered
   turning point to where its raw counterpart is searched; the refined times themselves come
   from the centred fit and need no delay correction.
8. **Quality.** ``"artifact"`` if the depth is below ``artifact_low`` (0.25x) or above
   ``artifact_high`` (4x) the median depth of the previous ``n_depths`` breaths, or, before the
   first breath, it lies within the noise (step 4); ``"uncertain"``
   for the first breath (nothing to compare with), a merged breath, a breath whose rise and
   fall differ by more than half (strong drift, a cut-short breath) or whose phases had to be
   clamped into order or whose whole-breath fit traded its rise for its fall (step 6), and a
   breath whose turning points are not in the samples: its top or
   a trough is a run of exactly equal raw samples at the extreme of the last ``history_s``
   (a sensor or converter at its rail) lasting at least 8 % of its period, or its depth spans
   fewer than 12 quantisation steps (the step: the smallest non-zero difference between
   consecutive raw samples over the breath). A flat stretch reads as a hold or a pause: with
   the belt clipped at 60 % of the depth at the top, 12 breaths/min at 1:2 read 0.70 instead
   of 1.99; clipped at 40 % at the bottom, the inhale onsets were 0.52 s late and a 1.8 s
   pause appeared. Thresholds from synthetic belts (6-20 breaths/min, ratio 1-2, pause 0 or
   20 %, 25 and 35 dB): plateaus up to 8 % of the period left the ratio error at the unclipped
   level (median 0.015, 90th percentile 0.046 against 0.013 / 0.050 at 35 dB), 8-12 % raised
   the 90th percentile to 0.24 and longer ones the median to 0.21-0.56. Quantised, the median
   ratio error at 35 dB was 0.75 at 3 steps, 0.09 at 4, 0.058 at 7-8, 0.032 at 10-12 and
   0.025 at 12-15 (unquantised 0.013; 90th percentile below 0.08 from 12 steps on); at
   25 dB, 0.76 / 0.15 / 0.088 / 0.056 / 0.048 (unquantised 0.038). A real hold or pause
   carries sensor noise and is never exactly flat: noisy synthetic holds and pauses (15-35 dB)
   keep their labels, and so do the NeuroKit2 belt recordings (thousands of steps deep); on
   wfdb 03700181 one breath reaching the recording's maximum for 41 samples (0.33 s) is now
   uncertain, and all 22 of the saturated ``mixedsignals`` Resp channel. A belt quantised to
   20-50 steps with hardly any noise (35 dB) loses 5-14 % of its good labels to plateaus at
   the running extreme, which its steps make look like a rail. Otherwise ``"good"``.

Streaming and batch are one code path: :func:`detect_breaths` feeds one :class:`BreathTracker`
the whole array. Every decision depends on sample values and sample indices only, never on
where a chunk ends, so any chunking gives the same breaths (tested with random chunkings).

Speed: filtering and the turning-point candidates (changes of direction) are vectorised; the
Python loop visits only candidates and chunk ends, between which the filtered signal is
monotone, so each hysteresis condition is checked at a segment's end and located inside it by
one binary search when it fires. The corner rule costs a few dozen array operations per breath
(its exhale-onset and pause-start parts only when the whole-phase fit fails), and the phase,
whole-breath and junction fits of a chunk share vectorised passes: about 0.11 ms per breath in
all for an hour of 100 Hz data (``benchmarks/bench_breath.py``).
"""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike, NDArray

from analysis.filters import StreamingSOS, bandpass_sos, group_delay_s, lowpass_sos
from analysis.progress import REPORTS, ProgressCallback, ProgressSteps

__all__ = [
    "MIN_BREATH_S",
    "MIN_DEPTH_STEPS",
    "Breath",
    "BreathTracker",
    "detect_breaths",
    "fed_in_parts",
    "settle_ends",
]

FloatArray = NDArray[np.float64]

MIN_BREATH_S = 0.75
"""Default shortest plausible breath, s: 80 breaths/min, the fastest rate the detector reports
(module notes, step 4). It had been 1.5 s (40/min), which read 42-80 breaths/min at half
their rate; at 0.75 s, noiseless belts at 100 Hz read 40-80/min right (ratio 1 and 1.5), and
the false and missed breaths of the validation grid (15 dB slow paced, 20 and 25 dB at 3-30
breaths/min, sighs, talking) stay 0. Above 80/min the detection low-pass (1 Hz, -6.5 dB at
1.33 Hz) leaves little of the breath anyway."""

_FAST_S = 1.5
"""A breath shorter than this, s (over 40 breaths/min, beyond resting breathing), and shorter
than half the median of the breaths before it, is ``"uncertain"``: a lone quick cycle among
slow breaths is more often a sniff, a cough or a movement than a breath (module notes, step
4); sustained fast breathing is "good" again once it fills the recent periods."""

_SEEK_ANY = 0
_SEEK_PEAK = 1
_SEEK_TROUGH = 2

_DELAY_REF_HZ = 0.1
"""Frequency (Hz) at which the low-pass group delay is taken: 6 breaths/min, mid-band."""

_ONSET_LEVEL_RATIO = 4.0
"""Second onset level as a multiple of the first. With 4, a parabola's back-extrapolation
``t1 - (t2 - t1) sqrt(f) / (sqrt(4 f) - sqrt(f))`` is simply ``2 t1 - t2``."""

_LEVEL_HEADROOM = 1.2
"""The larger onset level is kept this many times below how far the signal has come back from
the extremum when the extremum is confirmed, so that both level crossings lie in the data."""

_SMALL_CHUNK = 16
"""Chunks up to this many samples are stepped sample by sample (cheaper than array setup)."""

_ASYMMETRY_LIMIT = 0.5
"""A breath whose rise and fall differ by more than this fraction of the larger is uncertain."""

_PHASE_SMOOTH = 0.1
"""Half-width of the smoothing before the whole-phase fit, as a fraction of the phase."""

_PHASE_POINTS = 32
"""Block means per phase in the whole-phase fit."""

_PHASE_HALF = max(2, round(_PHASE_SMOOTH * _PHASE_POINTS))
"""Savitzky-Golay half-width of the whole-phase fit, blocks."""

_PHASE_BAND = (0.05, 0.95)
"""Part of each phase (fractions of the depth) that the whole-phase fit uses."""

_GN_STEPS = 4
"""Gauss-Newton steps of the whole-breath and junction fits (from the phase fits they settle
within 2-3)."""

_GN_REFIT_STEPS = 2
"""Gauss-Newton steps of the whole-breath fit with the shape fixed, from the free fit."""

_NEXT_PRIOR = 0.01
"""Junction fit: the next rise is seen only in part, so its duration and depth are held to
their starting values with this weight relative to what the data say of them (a Levenberg-
style ridge on the diagonal)."""

_GAMMA_RANGE = (0.4, 2.5)
"""Limits of the fall's shape exponent (:func:`_fall`): 0.4 is a very steep start with a long
tail, 2.5 the reverse."""

_SHAPE_BREATHS = 5
"""The fall's shape used for a breath is the median of the shapes fitted freely to this many
breaths before it (1, the raised cosine, before the first)."""

_BIWEIGHT_C = 8.0
"""Tukey biweight cut-off of the whole-breath fit, in robust standard deviations (1.4826 x
the median absolute residual): wide, so that noise is fitted as by least squares, while a bump
the model cannot follow is left out."""

_SPEECH_RATIO = 5.0
"""Only a fall this many times as long as its rise is looked at for stops between phrases
(:meth:`BreathTracker._phrases`). Without this limit, at 20 dB a third of the breaths of
ordinary breathing (ratios 1-3, 4-15/min) had a "stop", and three quarters of those of a real
resting belt (NeuroKit2 ``bio_resting_8min``: heartbeats on it); at 4, 5 synthetic breaths in
32 five-minute recordings at 20 dB, at 5 none, and 3 of about 200 real ones. The talking falls
found at 30 dB stay the same (150 of 228 breaths)."""

_STOP_BAND = (0.1, 0.9)
"""Part of a fall (fractions of the depth) where a stop between phrases is looked for
(:meth:`BreathTracker._phrases`)."""

_STOP_FLOW = 0.25
"""A stop slows the fall to at most this fraction of its fastest (and does not rise faster)."""

_STOP_PROMINENCE = 0.5
"""...and the fall is faster on both sides of it by at least this fraction of its fastest."""

_PLATEAU_FRACTION = 0.08
"""A run of exactly equal raw samples at the running extreme this long (fraction of the
breath's period) makes the breath uncertain (a clipped sensor; module notes, step 8)."""

MIN_DEPTH_STEPS = 12
"""A breath whose depth spans fewer quantisation steps than this is uncertain (module notes,
step 8)."""

_TIE_REACH = 3
"""Reach on either side of an extremum, in multiples of the run the plateau rule needs (about
a quarter of the breath in all), within which two equal consecutive raw samples make a breath
worth checking for a flat top or bottom (module notes, step 8)."""

_NOISE_BAND_HZ = (1.0, 3.0)
"""Band, Hz, in which a stall measures the sensor noise (module notes, step 3): above the
detection low-pass, where quiet breathing has little power, and within the band of the
validation's noise (0.05-3 Hz). The upper edge comes down to ``0.45 fs`` at low rates."""

_NOISE_K = 7.0
"""A stall keeps the hysteresis at least this many times the noise measured in
``_NOISE_BAND_HZ`` (module notes, step 3)."""

_QUIET_HARMONIC = 3.0
"""Before the first breath, the noise is measured above this many times a breath's rate, where
its own harmonics have little power (module notes, step 4)."""

_QUIET_K = 13.0
"""Before the first breath, a "breath" less deep than this many robust standard deviations of
the noise above its harmonics lies within the noise (module notes, step 4)."""

_QUIET_SPAN = 2.0
"""...or less deep than this many times the median of the last ``_QUIET_RUN`` or more such
"breaths" (one too fast for the band: the deepest of them)."""

_QUIET_RUN = 3
"""The depth rule of ``_QUIET_SPAN`` needs this many "breaths" within the noise; this many fast
breaths in a row, too fast for the band and deeper than those, end the test (module notes,
step 4)."""

_QUIET_MIN_S = 4.0
"""Before the first breath, the noise is measured on at least this much signal, s; a breath
confirmed earlier is untested (module notes, step 4). At 2 s, a recording starting near the top
of an inhale at 15 dB had a noise wiggle there tested on a stretch that was mostly the rise and
found to stand out, 0.28 deep for a true 1.1, the first breath."""

_QUIET_LAG1 = 0.3
"""A minute within the noise ends the test of the breaths before the first unless the signal's
lag-1 autocorrelation is below this (:data:`analysis.breath_signal_checks.NOISE_LAG1`, where the
value is measured: breathing 0.39 or more, down to 0 dB and 4 Hz; white noise 0)."""

_TRADED_FIT = 20.0
"""A whole-breath fit whose squared residual over the rise is more than this many times that of
the rise's own phase fit, and whose inhale onset lies more than ``_TRADED_SHIFT`` of the rise
from the phase fit's, has traded the rise for a fall it cannot follow (module notes, step 6;
:func:`_traded_rise`, where the measurements that set both are)."""

_TRADED_SHIFT = 0.08
"""See ``_TRADED_FIT``: the move of the inhale onset, as a fraction of the rise's duration."""

_LEVEL_ULPS = 16.0
"""The hysteresis never drops below this many float steps (``numpy.spacing``) of the signal's
first sample: a swing that small is the representation of the level, not a signal (module
notes, step 2)."""

_CORNER_REACH = 0.2
"""The corner rule's inhale onset lies at most this fraction of the median breath period before
the rise's crossing of the upper level it is extrapolated from; further, the valley before the
rise is cut to that reach (:meth:`BreathTracker._trough`)."""

_HOLD_FRACTION = 0.1
"""A gap between the fitted end of the rise and start of the fall longer than this fraction of
the rise is a hold at the top (shorter gaps are the fits' scatter around one turning point)."""


@dataclass(frozen=True, slots=True)
class Breath:
    """One breath, from its inhale onset to the next inhale onset.

    All times are on the input's clock (``t0_s + i / fs_hz`` for sample ``i``) and refer to the
    input signal itself (no filter delay in them).

    Attributes
    ----------
    inhale_onset_s : float
        The signal starts rising (end of any post-exhale pause), s.
    exhale_onset_s : float
        The signal starts falling (end of any hold at the top), s.
    end_s : float
        The next breath's inhale onset as known when this breath is emitted, s: located from
        the start of that rise by the corner rule (module notes, step 5; in a long noisy pause
        it can be a second or two early), and never before this breath's pause start. The
        next breath's own ``inhale_onset_s`` comes from the whole rise and is the better
        estimate (at 30 dB, 14 ms from the truth where this is 72 ms); for a whole recording,
        :func:`settle_ends` moves ``end_s`` to it (and ``pause_s``, ``rate_bpm`` with it), so
        that the settled breaths tile the recording.
    inhale_s : float
        ``exhale_onset_s - inhale_onset_s``, s (a hold at the top counts as inhale).
    exhale_s : float
        From exhale onset to the start of the post-exhale pause, s.
    pause_s : float
        Post-exhale pause, ``end_s`` minus the pause start, s, >= 0.
    ratio : float
        ``exhale_s / inhale_s`` (``inf`` only if the inhale had to be clamped to zero).
    depth : float
        Peak minus trough, in input signal units; the trough level is the mean of the two
        troughs bracketing the breath, which cancels a linear drift.
    rate_bpm : float
        Breaths per minute: 60 over the time between this breath's and the next breath's inhale
        onsets, both located by the corner rule when each was confirmed. The same rule at both
        ends cancels its bias, so a session's median rate is unbiased even at 20 dB, but not its
        noise: per breath this is noisier than the fitted span, and it can differ from
        ``60 / (end_s - inhale_onset_s)`` (at 25 Hz, 4 s in / 8 s out, noise 0.05 of the
        depth: median 0.11, up to 0.43 breaths/min from the truth where the span is 0.04 and
        0.37). Taking the span instead, with its end bias corrected causally, was tried
        (2026-12-06): per breath it halved the error, but at 20 dB without a pause the ends
        overlap the next rise and a session's rate read up to 0.47/min low (0.26 now). For a
        whole recording :func:`settle_ends` replaces it by ``60 / (end_s - inhale_onset_s)``
        between fitted onsets: on the synthetic belts (4-30/min, ratios 1-3, pause 0 or 15 %,
        20-30 dB, 2 seeds) a recording's median of those is a median 0.013-0.030/min from the
        truth (largest 0.21) where this one's is 0.033-0.064 (largest 0.26); on wfdb 03700181
        (a ventilator with two regimes) this one read 19.23 where the onsets give 18.05 and
        any 8 breaths 18.0.
    quality : str
        ``"good"``, ``"uncertain"`` (irregular shape, first breath, merged wiggle, an exhale
        the fits cannot follow, a top or bottom flat at a clipping rail, a depth of few
        quantisation steps) or ``"artifact"``
        (depth below 0.25x or above 4x the recent median; before the first breath, within the
        noise).
    detected_s : float
        Time of the sample at which the detector emitted this breath, s (no delay correction:
        this is when the breath became known).
    motion : float
        Movement above the breathing band during the breath, relative to the breathing
        (dimensionless): set by the chest-accelerometer path
        (:class:`analysis.acc_breath.AccBreathTracker`, module notes step 8: the square root
        of the mean power of the 0.7-3 Hz band, summed over the three axes, over the breath,
        divided by the mean power of the low-passed residual ``|a - g|^2`` over the same
        samples, those held for a posture change left out); 0 where it is not measured
        (belt). Its thresholds (:data:`analysis.acc_breath.MOTION_UNCERTAIN`,
        :data:`analysis.acc_breath.MOTION_ARTIFACT`) were tuned on this measure; RMS over half
        the depth reads about 0.77 of it (0.55 for 0.71 under a 10 mG walking bounce).
    """

    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float
    inhale_s: float
    exhale_s: float
    pause_s: float
    ratio: float
    depth: float
    rate_bpm: float
    quality: str
    detected_s: float
    motion: float = 0.0


@dataclass(slots=True)  # not frozen: internal, and a frozen __init__ costs per breath
class _Trough:
    """A confirmed trough that starts a breath."""

    idx: int
    level: float
    """Trough level: minimum of the locally smoothed raw signal, input units."""
    onset: float
    """Inhale onset by the corner rule, as a fractional sample index."""
    raw_idx: int
    """Where the smoothed raw signal has its minimum, sample index."""
    smooth: FloatArray
    """The smoothed raw signal from the peak before to the confirming sample."""
    smooth_start: int
    """Sample index of ``smooth[0]``."""
    f1: float
    """Onset level used, input units."""
    seen: bool = True
    """False for the first trough after a hole whose fall is too shallow to tell from the
    low-pass settling on the first sample (:meth:`BreathTracker._resumed_trough`): the
    breath it begins is at best ``"uncertain"``."""

    def pause_start(self, k_onset: float) -> float:
        """Start of the pause before this trough by the corner rule, fractional sample index.

        Only needed when the whole-phase fit fails, so computed on demand.
        """
        m = self.raw_idx - self.smooth_start
        head = self.smooth[: m + 1]
        f1 = self.f1
        return self.smooth_start + _enter_valley(head, f1, _ONSET_LEVEL_RATIO * f1, k_onset)


@dataclass(slots=True)  # not frozen: internal, and a frozen __init__ costs per breath
class _Peak:
    """A confirmed peak."""

    idx: int
    level: float
    """Peak level: maximum of the locally smoothed raw signal, input units."""
    raw_idx: int
    """Where the smoothed raw signal has its maximum, sample index."""
    smooth: FloatArray
    """The smoothed raw signal around the peak, up to the confirming sample."""
    smooth_start: int
    """Sample index of ``smooth[0]``."""
    f1: float
    """Onset level used, input units."""

    def onset(self, k_onset: float) -> float:
        """Exhale onset by the corner rule, fractional sample index (computed on demand)."""
        m = self.raw_idx - self.smooth_start
        return self.smooth_start + _leave_valley(-self.smooth, m, self.f1, k_onset)[0]


_Held = tuple[_Trough, _Peak, _Trough, int, float, bool]
"""A complete breath before its emission: start trough, peak, end trough, the sample that
confirmed it, its depth (input units), and whether it absorbed a wiggle (merged)."""


@dataclass(slots=True)  # not frozen: internal, and a frozen __init__ costs per breath
class _Pending:
    """A complete breath whose times are still to be fitted (:meth:`BreathTracker._finish`)."""

    start: _Trough
    peak: _Peak
    end: _Trough
    conf: int
    detected_s: float
    depth: float
    quality: str
    """Quality before the check of its fitted phases."""
    period_n: int
    """Median period of the recent breaths, this one included, samples."""
    noise: bool = False
    """Before the first breath, a "breath" within the noise (module notes, step 4): reported
    as an artifact, it changes none of the detector's state and gets no whole-phase fit."""
    forgets: int = 0
    """How many times the detector had forgotten the breaths before (:meth:`BreathTracker.
    _forget`) when this one was emitted: the fall shapes it is timed with are those of the
    breaths emitted since, whichever update fits them."""


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Where the phases of the breaths of one fit lie, and how their levels are scaled.

    One entry per breath, in fractional absolute sample indices: the rise runs from ``start``
    (the start trough) to ``peak``, the fall from there to ``end`` (the end trough);
    ``conf`` is the sample that confirmed the breath. The baseline is ``base + slope (i -
    start)`` and the peak stands ``height`` above it.
    """

    start: FloatArray
    peak: FloatArray
    end: FloatArray
    conf: FloatArray
    base: FloatArray
    slope: FloatArray
    height: FloatArray

    def levels(self, rows: NDArray[np.intp], edges: FloatArray, means: FloatArray) -> FloatArray:
        """Block ``means`` between ``edges`` of breaths ``rows``, baseline off and scaled."""
        mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
        base = self.base[rows, None] + self.slope[rows, None] * (mid - self.start[rows, None])
        out: FloatArray = (means - base) / self.height[rows, None]
        return out


class BreathTracker:
    """Streaming breath detector for a belt signal: samples in, completed breaths out.

    Parameters
    ----------
    fs_hz : float
        Sampling rate, Hz (must exceed ``2 * cutoff_hz``).
    t0_s : float
        Time of the first sample, s; sample ``i`` is at ``t0_s + i / fs_hz``.
    cutoff_hz : float
        Low-pass cutoff, Hz. 1 Hz passes the shape of breaths up to 30/min (0.5 Hz fundamental)
        and removes most of the cardiac and sensor noise.
    rel_delta : float
        Hysteresis as a fraction of the reference (median recent) depth. A swing must exceed it
        to count, so it must be larger than the noise and below the shallowest breath to keep
        (0.3: breaths down to ~0.3x the recent depth are still found).
    min_delta : float
        Floor of the hysteresis, in input units (default 0: no floor, the detector is
        scale-free). Set it to a few times the sensor noise to ignore a loosened belt.
    n_depths : int
        Number of recent breath depths whose median is the reference depth.
    onset_fraction : float
        Onset level ``f`` as a fraction of the depth, in (0, 0.1] (module notes, step 5): the
        lower, the closer to the corner and the more sensitive to noise.
    min_breath_s : float
        Shortest plausible breath, s (:data:`MIN_BREATH_S`, 0.75 s: 80 breaths/min); shorter
        cycles are merged (module notes, step 4), so faster breathing reads at half its rate
        (:attr:`merged_breaths` counts such breaths).
    stall_s : float
        Longest wait, s, for a turning point before the reference depth halves (the wait is
        three typical breath periods when shorter). It must exceed the longest half breath
        expected: 15 s for a 1:3 breath at 3 breaths/min.
    history_s : float
        Longest stretch of signal, s, that refinement and the second look after a stall reach
        back over; it bounds memory (to about three times this) and the longest breath timed
        in full.
    artifact_low, artifact_high : float
        Depth limits relative to the recent median, below / above which a breath is an
        ``"artifact"``.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Notes
    -----
    The method (and its references) is described in the module docstring. Typical detection
    latency, from a breath's end (the next inhale onset) to its emission, is the filter delay
    (~0.23 s) plus the time the next inhale takes to rise by ``rel_delta`` of the depth (~37 %
    of the inhale for a sinusoidal rise): about 1 s at 15 breaths/min, 2 s at 6 breaths/min;
    :attr:`latency_s` reports the measured median (from the sample that confirmed each
    breath). Before the first breath, one that cannot yet be tested against the noise
    (confirmed in the first 4 s, or faster than 40/min) is emitted only with the next breath
    that can, or with the third such (module notes, step 4): a breath later than the above.

    Examples
    --------
    >>> import numpy as np
    >>> fs_hz = 25.0
    >>> belt = 2.0 + np.sin(2 * np.pi * 0.1 * np.arange(0.0, 120.0, 1.0 / fs_hz))
    >>> tracker = BreathTracker(fs_hz)
    >>> streamed = [b for chunk in np.array_split(belt, 48) for b in tracker.update(chunk)]
    >>> len(streamed), round(streamed[0].rate_bpm, 1)
    (11, 6.0)
    >>> streamed == detect_breaths(belt, fs_hz)  # any chunking gives the batch result
    True
    """

    def __init__(
        self,
        fs_hz: float,
        *,
        t0_s: float = 0.0,
        cutoff_hz: float = 1.0,
        rel_delta: float = 0.3,
        min_delta: float = 0.0,
        n_depths: int = 5,
        onset_fraction: float = 0.05,
        min_breath_s: float = MIN_BREATH_S,
        stall_s: float = 25.0,
        history_s: float = 60.0,
        artifact_low: float = 0.25,
        artifact_high: float = 4.0,
    ) -> None:
        if not math.isfinite(t0_s):
            raise ValueError(f"t0_s must be finite, got {t0_s!r}")
        if not 0.0 < rel_delta < 1.0:
            raise ValueError(f"rel_delta must lie in (0, 1), got {rel_delta!r}")
        if not (math.isfinite(min_delta) and min_delta >= 0.0):
            raise ValueError(f"min_delta must be finite and >= 0, got {min_delta!r}")
        if n_depths < 1:
            raise ValueError(f"n_depths must be >= 1, got {n_depths}")
        if not 0.0 < onset_fraction <= 0.1:
            raise ValueError(f"onset_fraction must lie in (0, 0.1], got {onset_fraction!r}")
        if not min_breath_s > 0.0:
            raise ValueError(f"min_breath_s must be positive, got {min_breath_s!r}")
        if not stall_s > min_breath_s:
            raise ValueError(f"stall_s must exceed min_breath_s, got {stall_s!r}")
        if not history_s >= stall_s:
            raise ValueError(f"history_s must be >= stall_s, got {history_s!r}")
        if not 0.0 < artifact_low < 1.0 < artifact_high:
            raise ValueError("need 0 < artifact_low < 1 < artifact_high")
        sos, delay_s = _detection_lowpass(cutoff_hz, fs_hz)  # validates fs_hz and cutoff_hz
        # For a detector resuming after a hole (after_hole): the same settings.
        self._n_depths = n_depths
        self._settings: dict[str, float] = {
            "cutoff_hz": cutoff_hz,
            "rel_delta": rel_delta,
            "min_delta": min_delta,
            "onset_fraction": onset_fraction,
            "min_breath_s": min_breath_s,
            "stall_s": stall_s,
            "history_s": history_s,
            "artifact_low": artifact_low,
            "artifact_high": artifact_high,
        }
        self._fs_hz = float(fs_hz)
        self._t0_s = float(t0_s)
        self._rel_delta = float(rel_delta)
        self._min_delta = float(min_delta)
        # Hysteresis floor: min_delta, and at least _LEVEL_ULPS float steps of the signal's
        # initial level (set with the first sample): finer swings are the float format's
        # granularity at that level, not a signal.
        self._floor = self._min_delta
        # The hysteresis never goes below this either: the caller's measure of its sensor's
        # noise (noise_delta), 0 until it is given.
        self._noise_delta = 0.0
        self._delta_floor = self._floor
        # The first sample, taken off every sample before filtering (set with the first).
        self._ref = 0.0
        self._f_onset = float(onset_fraction)
        self._min_breath_n = max(1, math.ceil(min_breath_s * fs_hz))
        self._min_breath_s = float(min_breath_s)
        self._fast_n = math.ceil(_FAST_S * fs_hz)
        self._merged_breaths = 0
        self._stall_n = max(2, math.ceil(stall_s * fs_hz))
        self._history_n = max(self._stall_n, math.ceil(history_s * fs_hz))
        self._artifact_low = float(artifact_low)
        self._artifact_high = float(artifact_high)
        self._delay_s = delay_s
        # Back-extrapolation factor from the f and 4f crossings (see the module notes).
        self._k_onset = math.acos(1.0 - 2.0 * onset_fraction) / (
            math.acos(1.0 - 2.0 * _ONSET_LEVEL_RATIO * onset_fraction)
            - math.acos(1.0 - 2.0 * onset_fraction)
        )
        self._delay_n = round(self._delay_s * fs_hz)
        self._min_half = max(2, round(0.1 * fs_hz))
        self._max_half = max(self._min_half, round(1.5 * fs_hz))
        # How far before a filtered peak its raw counterpart may lie: the filter delay, the
        # smoothing half-width, and a margin for the extra delay of fast breaths.
        self._margin = round(0.25 * fs_hz)
        self._lead = self._delay_n + self._max_half + self._margin
        self._filter = StreamingSOS(sos)
        # The wait a stall measures the noise on (module notes, step 3): a few cycles of the
        # band's lower edge, and more than sosfiltfilt's padding.
        self._noise_min_n = max(round(2.0 * fs_hz), 16)
        # The least stretch the test of the breaths before the first measures the noise on.
        self._quiet_min_n = max(round(_QUIET_MIN_S * fs_hz), self._noise_min_n)

        # Filtered (_buf) and raw (_raw) samples kept for refinement, in arrays with spare room
        # at the end: _buf_len samples are valid and index 0 is absolute sample _buf_start.
        self._buf: FloatArray = np.empty(0, dtype=np.float64)
        self._raw: FloatArray = np.empty(0, dtype=np.float64)
        # Running sum of (raw - first raw sample) through each buffered sample, for the block
        # means of the whole-phase fit. Summed strictly in sample order across chunks, so it is
        # the same for any chunking (which a sum restarted per chunk would not be, bit for bit).
        self._cum: FloatArray = np.empty(0, dtype=np.float64)
        self._cum_ref = 0.0
        self._buf_start = 0
        self._buf_len = 0
        self._n = 0  # samples consumed so far
        self._pos = -1  # last sample whose hysteresis step has been applied
        self._last_y = 0.0  # last filtered sample

        self._mode = _SEEK_ANY
        self._hi = -math.inf
        self._hi_idx = 0
        self._lo = math.inf
        self._lo_idx = 0
        self._last_ext = 0.0  # filtered value of the last confirmed extremum
        self._prev_swing = 0.0  # between the last two confirmed extrema, input units
        # The last fitted breath, for the junction fit of the next one: its end trough's
        # sample, peak sample, exhale onset and pause start (fractional sample indices), and
        # the shape of its fall.
        self._last_fall: tuple[int, float, float, float, float] | None = None
        # Exhale onset of the last breath emitted (fractional sample index): the next breath's
        # inhale cannot start before it.
        self._last_exhale = -math.inf
        self._shapes: deque[float] = deque(maxlen=_SHAPE_BREATHS)  # recent free fall shapes
        self._forgets = 0  # times _forget ran
        self._shapes_epoch = 0  # the value of _forgets the breaths in _shapes were emitted at
        self._periods: deque[int] = deque(maxlen=n_depths)  # recent breath periods, samples
        self._period_median: float | None = None  # median of _periods, None while it is empty
        self._stall_eff = self._stall_n
        # Depths that set the hysteresis (reseeded with half the reference at a stall), and the
        # depths of the last breaths as they were (the yardstick for the quality labels).
        self._depths: deque[float] = deque(maxlen=n_depths)
        self._ref_depth = 0.0  # median of _depths when it is not empty
        self._recent_depths: deque[float] = deque(maxlen=n_depths)
        # The recent depths without those far above the breaths before them (see _emit).
        self._plausible_depths: deque[float] = deque(maxlen=n_depths)
        self._stalled = False  # a stall happened since the last breath was emitted
        self._last_conf = 0  # sample that confirmed the last turning point
        self._emit_at = -1  # while re-stepping after a stall: the stall sample (emission time)
        self._typical: float | None = None  # median of _recent_depths
        self._stall_at = self._stall_n - 1

        self._start: _Trough | None = None
        self._peak: _Peak | None = None
        self._merged = False
        self._latencies: deque[float] = deque(maxlen=9)
        # Made by after_hole: the first trough may start a breath (_resumed_trough).
        self._resumed = False
        # Until a breath stands out of the noise (module notes, step 4), the depths of the
        # "breaths" found within it.
        self._quiet = True
        self._quiet_depths: deque[float] = deque(maxlen=n_depths)
        # Breaths before the first that could not be tested yet, held back (see _judge).
        self._held: list[_Pending] = []
        self._quiet_since = -1  # sample that confirmed the first "breath" within the noise

    # ----------------------------------------------------------------------------- public API

    @property
    def fs_hz(self) -> float:
        """Sampling rate, Hz."""
        return self._fs_hz

    @property
    def min_breath_s(self) -> float:
        """Shortest breath reported, s; shorter cycles are merged (module notes, step 4)."""
        return self._min_breath_s

    @property
    def noise_delta(self) -> float:
        """Least hysteresis ``delta``, input units, from the caller's measure of its sensor noise.

        0 (none) until set. A caller that can measure the noise its signal carries where
        breathing does not reach (:mod:`analysis.acc_breath`: the chest accelerometer's axes
        across the breathing) sets it, between updates, to a multiple of that noise at which
        noise alone confirms no turning points; the hysteresis is then never smaller, before
        the first breath (when it follows the swings seen, noise among them) as after it. It
        applies from the next sample on, and carries over a hole (:meth:`after_hole`). Setting
        it turns off the detector's own test of the breaths before the first against the noise
        (module notes, step 4).
        """
        return self._noise_delta

    @noise_delta.setter
    def noise_delta(self, value: float) -> None:
        if not (math.isfinite(value) and value >= 0.0):
            raise ValueError(f"noise_delta must be finite and >= 0, got {value!r}")
        self._noise_delta = float(value)
        self._delta_floor = max(self._floor, self._noise_delta)
        # The caller's measure of the noise takes the place of the detector's own test of the
        # breaths before the first (module notes, step 4), which measures where a chest
        # accelerometer's low-pass leaves little and its walking bounce lies.
        self._quiet = False

    @property
    def merged_breaths(self) -> int:
        """Breaths emitted so far that absorbed a cycle shorter than :attr:`min_breath_s`.

        Many of them mean breathing faster than ``60 / min_breath_s`` breaths/min, which then
        reads at half its rate (module notes, step 4).
        """
        return self._merged_breaths

    @property
    def delay_s(self) -> float:
        """Group delay of the detection low-pass at 0.1 Hz, s (where raw extrema are sought)."""
        return self._delay_s

    @property
    def latency_s(self) -> float:
        """Typical detection latency, s: from a breath's ``end_s`` to its ``detected_s``.

        The median over the last 9 breaths; before the first breath, a prior of the filter
        delay plus 1 s (37 % of a 2.7 s inhale, the rise that confirms a trough at 15/min).
        """
        if not self._latencies:
            return self._delay_s + 1.0
        return _median(self._latencies)

    def after_hole(self, t0_s: float) -> BreathTracker:
        """A detector for the samples that resume after a hole, the first of them at ``t0_s``.

        It starts on them as a new detector would (its low-pass primed with the first; no
        breath spans the hole, nor begins before the first sample; the breath under way when
        they resume is lost), but the first trough starts a breath when the signal is seen to
        fall into it (:meth:`_resumed_trough`), and it keeps what the breaths before the hole
        taught: the reference depth of the hysteresis and the recent depths that label a
        breath (a new detector calls its first breath ``"uncertain"``, having nothing to
        compare it with), the recent periods that time a stall, the fall shapes, the
        latencies and the count of merged breaths. A few seconds' hole leaves the person
        breathing as before; a link that drops every few breaths would otherwise leave every
        breath the first of its detector (:mod:`analysis.acc_breath`, "Holes").

        Parameters
        ----------
        t0_s : float
            Time of the first sample after the hole, s.

        Returns
        -------
        BreathTracker
            The detector to feed from then on, with this one's settings.
        """
        new = BreathTracker(self._fs_hz, t0_s=t0_s, n_depths=self._n_depths, **self._settings)
        new._depths.extend(self._depths)
        new._ref_depth = self._ref_depth
        new._recent_depths.extend(self._recent_depths)
        new._plausible_depths.extend(self._plausible_depths)
        new._typical = self._typical
        new._periods.extend(self._periods)
        new._period_median = self._period_median
        if new._periods:
            period = int(_median(new._periods))
            new._stall_eff = min(new._stall_n, max(3 * period, 2 * new._min_breath_n))
            new._stall_at = new._stall_eff - 1
        new._shapes.extend(self._shapes)
        new._forgets = self._forgets
        new._shapes_epoch = self._shapes_epoch
        new._latencies.extend(self._latencies)
        new._merged_breaths = self._merged_breaths
        new._noise_delta = self._noise_delta
        new._delta_floor = max(new._floor, new._noise_delta)
        new._resumed = bool(self._recent_depths)
        new._quiet = self._quiet
        new._quiet_depths.extend(self._quiet_depths)
        # Breaths held back untested (_judge) are the old samples' and are dropped with the
        # breath under way: a hole within the first seconds, before any breath was emitted.
        # The minute within the noise counts again from the samples after the hole (their
        # indices start again at 0).
        # No inhale starts before the first sample (a phase fit would extrapolate the first
        # rise back into the hole).
        new._last_exhale = 0.0
        return new

    def update(self, x: ArrayLike) -> list[Breath]:
        """Consume the next samples of the belt signal; return the breaths completed by them.

        Parameters
        ----------
        x : array_like, shape (n,)
            The next ``n`` samples (``n`` may be 0), in order, any units; finite.

        Returns
        -------
        list of Breath
            Breaths whose end (the next inhale onset) was confirmed within these samples, in
            order.

        Raises
        ------
        ValueError
            If ``x`` is not one-dimensional or holds a non-finite value.
        """
        samples = np.asarray(x, dtype=np.float64)
        if samples.ndim != 1:
            raise ValueError(f"x must be one-dimensional, got shape {samples.shape}")
        n = samples.size
        if n == 0:
            return []
        if not np.isfinite(samples).all():
            raise ValueError("belt samples must be finite (split the stream at gaps instead)")
        base = self._n
        if base == 0:
            # Everything downstream works on the signal minus its first sample (module notes,
            # step 1): a large constant offset would otherwise leave the breathing in the last
            # digits of the low-pass's state, whose rounding then swamps it.
            self._ref = float(samples[0])
            self._floor = max(self._min_delta, _LEVEL_ULPS * float(np.spacing(abs(self._ref))))
            self._delta_floor = max(self._floor, self._noise_delta)
        # The signal less its first sample goes straight into the buffer, and is filtered there.
        lo = self._reserve(n)
        hi = lo + n
        raw = self._raw[lo:hi]
        np.subtract(samples, self._ref, out=raw)
        y = self._filter.process(raw, out=self._buf[lo:hi])
        prev = float(y[0]) if base == 0 else self._last_y
        self._extend_sum(lo, hi)
        self._buf_len = hi
        self._n += n
        self._last_y = float(y[-1])

        out: list[_Pending] = []
        if n <= _SMALL_CHUNK:
            # A check point at every sample is always valid and, for a few samples, cheaper
            # than finding the turning points with array operations.
            for k, v in enumerate(y.tolist(), start=base):
                self._advance(k, v, out)
            return self._finish(out)
        turning = _turning_points(y, prev)
        for k, v in zip((turning + base).tolist(), y[turning].tolist(), strict=True):
            self._advance(k, v, out)
        self._advance(base + n - 1, float(y[-1]), out)
        return self._finish(out)

    # ------------------------------------------------------------------------ hysteresis core

    def _value(self, idx: int) -> float:
        return float(self._buf[idx - self._buf_start])

    def _threshold(self, hi: float, lo: float) -> float:
        """``delta``: how far, input units, the signal must move back from the running extreme
        to confirm it, given the running extremes including the current sample (module notes,
        step 2). :meth:`_fire_inside` repeats this arithmetic on arrays.
        """
        # max(delta, floor), spelled out: this runs at every check point.
        if not self._depths:
            delta = self._rel_delta * self._swing(hi, lo)
        elif self._held:
            # Only breaths still held back untested set the reference (_judge): they may be
            # the noise's, and the swings under way count too (a still start at 15 dB had a
            # noise "breath" 0.25 deep split the first real exhale, 1.1 deep, at 0.08).
            swing = self._swing(hi, lo)
            delta = self._rel_delta * (swing if swing > self._ref_depth else self._ref_depth)
        else:
            delta = self._rel_delta * self._ref_depth
        floor = self._delta_floor
        return floor if floor > delta else delta

    def _swing(self, hi: float, lo: float) -> float:
        """Before the first breath: the larger of the current and the previous swing."""
        if self._mode == _SEEK_PEAK:
            return max(hi - self._last_ext, self._prev_swing)
        if self._mode == _SEEK_TROUGH:
            return max(self._last_ext - lo, self._prev_swing)
        return hi - lo

    def _scale(self) -> float:
        """Depth the onset fractions refer to: the current swing, at most a typical depth.

        The typical depth is the median of the last breaths as measured, not the hysteresis
        reference (which a stall may have shrunk); before the first breath, the swing so far.
        """
        if self._mode == _SEEK_PEAK:
            cur = self._hi - self._last_ext
        elif self._mode == _SEEK_TROUGH:
            cur = self._last_ext - self._lo
        else:
            cur = self._hi - self._lo
        typical = self._swing(self._hi, self._lo) if self._typical is None else self._typical
        return min(typical, cur)

    def _reference(self) -> float:
        """Reference depth for onset levels and stalls: median depth, or the swing so far."""
        if self._depths:
            return self._ref_depth
        return self._swing(self._hi, self._lo)

    def _advance(self, target: int, v: float, out: list[_Pending]) -> None:
        """Apply the hysteresis step to every sample up to ``target`` (a check point)."""
        while self._pos < target:
            stall = self._stall_at
            if self._pos < stall < target:
                self._segment(stall, self._value(stall), out)
            elif stall == self._pos:
                self._apply_stall(out)
                # A smaller delta may fire on the very next sample even inside a segment whose
                # far end would not, so check that sample on its own.
                nxt = self._pos + 1
                self._segment(nxt, self._value(nxt), out)
            else:
                self._segment(target, v, out)

    def _apply_stall(self, out: list[_Pending]) -> None:
        """No turning point for a while: halve the reference and look at the wait again.

        The reference does not go below 1/8 of the deepest recent breath (three stalls follow
        an eightfold drop in depth) nor below :meth:`_noise_floor` of the wait, so that a belt
        at rest (or a held breath) does not end up counting sensor noise as breaths. Before
        the first breath it drops at least to the range of the stall's second half. When it
        did shrink, the samples since the last turning point are stepped through again with
        the smaller hysteresis, so that the shallow breaths that caused the stall are found
        where they happened (and emitted now).
        """
        stall = self._pos
        ref = self._reference()
        half = 0.5 * ref
        start = max(self._last_conf, stall + 1 - self._history_n)
        if self._plausible_depths:
            floor = max(max(self._plausible_depths) / 8.0, self._noise_floor(start, stall))
            half = max(half, min(ref, floor))
        else:
            # No breath yet, so the reference is a swing, and one glitch (a dropout to zero, a
            # knock while the belt is put on) can make it hundreds of depths: halving alone
            # would take minutes of stalls to come down. The breathing since then is in the
            # buffer: the reference drops at once to the range of the stall's second half
            # (the first may still hold the glitch's ringing through the filter).
            a = max(stall - self._stall_eff // 2, self._last_conf, self._buf_start)
            recent = self._window(a, stall)
            half = min(half, float(recent.max() - recent.min()))
        if self._held:
            # The swings count in the hysteresis while breaths are held back untested
            # (_threshold), and a glitch's can be hundreds of depths: they come down as a
            # swing reference does before the first breath (a dropout to zero at 1 s had held
            # a "breath" back and left no breath found in the 70 s after it).
            a = max(stall - self._stall_eff // 2, self._last_conf, self._buf_start)
            recent = self._window(a, stall)
            self._prev_swing = min(0.5 * self._prev_swing, float(recent.max() - recent.min()))
        self._depths.clear()
        self._depths.append(half)
        self._ref_depth = half
        self._stalled = True
        self._stall_at += self._stall_eff
        if half >= ref or self._mode == _SEEK_ANY or start >= stall:
            return
        v0 = self._value(start)
        self._pos = start
        if self._mode == _SEEK_PEAK:
            self._hi, self._hi_idx = v0, start
        else:
            self._lo, self._lo_idx = v0, start
        emit_at = self._emit_at
        self._emit_at = max(emit_at, stall)
        y = self._window(start + 1, stall)
        turning = _turning_points(y, v0)
        for k, v in zip((turning + start + 1).tolist(), y[turning].tolist(), strict=True):
            self._advance(k, v, out)
        self._advance(stall, float(y[-1]), out)
        self._emit_at = emit_at

    def _noise_floor(self, a: int, b: int) -> float:
        """Smallest reference depth, input units, at which noise alone makes no breaths.

        The raw samples ``a..b`` (the wait that led to the stall) are band-passed to
        ``_NOISE_BAND_HZ`` (zero-phase, 2nd-order Butterworth) and the noise's standard
        deviation there is taken robustly, ``1.4826 x median |x|`` (the median absolute
        deviation of a zero-mean Gaussian; Hampel 1974, JASA 69:383), so the corners of a
        breath in the wait weigh little. For noise flat up to 3 Hz (white, or the
        validation's 0.05-3 Hz), the detection low-pass leaves 0.80-0.86 of that deviation at
        20-100 Hz, and peakdet on such filtered noise confirms 17-19 turning points a minute
        at a hysteresis of 3 deviations, 1 at 5, 0.1-0.3 at 6 and none at 7-8 (10 minutes at
        each rate). The floor keeps the hysteresis at ``_NOISE_K`` deviations. Quiet breathing
        has little power in the band (a noise-free synthetic belt: below 0.2 % of the depth
        at 12 breaths/min and 1:1, 0.4-1.5 % at 12-20/min and 1:3 or with a pause, 3-5 % at
        30/min with a hold or pause). As the noise is measured on the wait itself, shallow
        breathing there keeps the hysteresis below about 7 x 5 % = 35 % of its own depth and
        is still found; measured on the deeper breathing before the wait, fast breathing (24-
        30/min with a 30 % pause) that turned four- to sixfold shallower was lost (9 of 30
        breaths found). 0 if ``fs_hz`` is too low for the band (below 3.4 Hz) or the wait
        shorter than 2 s.
        """
        sos = _noise_band_sos(self._fs_hz)
        if sos is None or b - a < self._noise_min_n:
            return 0.0
        raw = self._raw[a - self._buf_start : b + 1 - self._buf_start]
        # Zero-phase on a stretch already received: one number about the stretch comes out,
        # no sample's time depends on it, so this is no look-ahead on the live path, and a
        # causal filter's start-up transient would only inflate the deviation.
        band = scipy.signal.sosfiltfilt(sos, raw - raw.mean())
        sigma = 1.4826 * float(np.median(np.abs(band)))
        return _NOISE_K * sigma / self._rel_delta

    def _segment(self, k: int, v: float, out: list[_Pending]) -> None:
        """Step through samples ``(pos, k]``, over which the signal is monotone.

        Each hysteresis condition is monotone along such a segment once it is false at its
        start, so checking the segment's end decides whether it fires inside, and one
        vectorised search finds the first sample where it does.
        """
        while self._pos < k:
            mode = self._mode
            hi = v if v >= self._hi else self._hi
            lo = v if v <= self._lo else self._lo
            delta = self._threshold(hi, lo)
            fire_peak = mode != _SEEK_TROUGH and v < hi - delta
            fire_trough = mode != _SEEK_PEAK and v > lo + delta
            if not (fire_peak or fire_trough):
                if mode != _SEEK_TROUGH and v >= self._hi:
                    self._hi, self._hi_idx = v, k
                if mode != _SEEK_PEAK and v <= self._lo:
                    self._lo, self._lo_idx = v, k
                self._pos = k
                return
            self._fire_inside(k, out)
            if self._pos < self._stall_at < k:
                # The event moved the stall inside this segment (a completed breath shortens
                # the typical period): the caller must stop there, or the stall would be
                # stepped over here and applied at whatever sample a chunk happens to end on.
                return

    def _fire_inside(self, k: int, out: list[_Pending]) -> None:
        """Find the first sample in ``(pos, k]`` where a condition holds and handle its event."""
        a = self._pos + 1
        seg = self._buf[a - self._buf_start : k + 1 - self._buf_start]
        mode = self._mode
        if mode != _SEEK_ANY and seg.size > 1:
            # The common case: a segment running away from the running extreme (it fired, and
            # segments are monotone), so the extreme and the threshold are fixed and the first
            # firing sample is a binary search away.
            first, last = seg.item(0), seg.item(-1)
            if mode == _SEEK_PEAK and first < self._hi and first >= last:
                thr = self._threshold(self._hi, self._lo)
                j = int((-seg).searchsorted(thr - self._hi, side="right"))
                if j < seg.size:
                    self._fire_at(a + j, seg.item(j), True, out)
                    return
            if mode == _SEEK_TROUGH and first > self._lo and first <= last:
                thr = self._threshold(self._hi, self._lo)
                j = int(seg.searchsorted(self._lo + thr, side="right"))
                if j < seg.size:
                    self._fire_at(a + j, seg.item(j), False, out)
                    return
        run_hi = np.maximum(np.maximum.accumulate(seg), self._hi)
        run_lo = np.minimum(np.minimum.accumulate(seg), self._lo)
        # The arithmetic of _threshold, sample by sample.
        delta: FloatArray | float
        # With breaths held back untested, the reference is the larger of theirs and the swing.
        least = self._ref_depth if self._depths else 0.0
        if self._depths and not self._held:
            delta = max(self._rel_delta * self._ref_depth, self._delta_floor)
        elif mode == _SEEK_PEAK:
            swing = np.maximum(run_hi - self._last_ext, max(self._prev_swing, least))
            delta = np.maximum(self._rel_delta * swing, self._delta_floor)
        elif mode == _SEEK_TROUGH:
            swing = np.maximum(self._last_ext - run_lo, max(self._prev_swing, least))
            delta = np.maximum(self._rel_delta * swing, self._delta_floor)
        else:
            swing = np.maximum(run_hi - run_lo, least)
            delta = np.maximum(self._rel_delta * swing, self._delta_floor)
        fires = np.zeros(seg.size, dtype=bool)
        if mode != _SEEK_TROUGH:
            fires |= seg < run_hi - delta
        if mode != _SEEK_PEAK:
            fires |= seg > run_lo + delta
        hits = np.flatnonzero(fires)
        # The end of the segment fired (the caller checked it with the same arithmetic), so
        # hits is never empty; fall back to the end rather than trust that blindly.
        j = int(hits[0]) if hits.size else seg.size - 1
        # Samples before the event extend the running extremes (ties move the index forward:
        # the same rule as the fast path, which only sees the last sample of a flat run).
        if mode != _SEEK_TROUGH and j > 0:
            m = int(j - 1 - np.argmax(seg[j - 1 :: -1]))
            if seg[m] >= self._hi:
                self._hi, self._hi_idx = float(seg[m]), a + m
        if mode != _SEEK_PEAK and j > 0:
            m = int(j - 1 - np.argmin(seg[j - 1 :: -1]))
            if seg[m] <= self._lo:
                self._lo, self._lo_idx = float(seg[m]), a + m
        d = float(delta[j]) if isinstance(delta, np.ndarray) else float(delta)
        v = float(seg[j])
        self._fire_at(a + j, v, mode != _SEEK_TROUGH and v < self._hi - d, out)

    def _fire_at(self, i: int, v: float, is_peak: bool, out: list[_Pending]) -> None:
        """Sample ``i`` (value ``v``) confirms the running maximum or minimum."""
        self._pos = i
        self._last_conf = i
        self._stall_at = i + self._stall_eff
        if is_peak:
            self._on_peak(i, v)
        else:
            self._on_trough(i, v, out)

    # ---------------------------------------------------------------------------- events

    def _half_width(self, departure: int, conf: int, before: int) -> int:
        """Half-width, samples, of the local smoothing around an extremum.

        ``departure`` is where the filtered signal last left the extremum's ``f`` band and
        ``conf`` where it had moved ``delta`` away: about a quarter of the phase after the
        extremum for a sinusoidal breath; ``before`` is the length of the phase before it. The
        half-width is a third of the first (noise averaged over slow corners) but at most a
        tenth of the second: a window reaching far up a steep phase on the other side of the
        extremum bends the fit of a lopsided corner (a 1 s inhale before a 3 s exhale; the
        tenth balances that bias against noise). Bounded to 0.1-1.5 s.
        """
        half = min((conf - departure) // 3, before // 10)
        return min(max(half, self._min_half), self._max_half)

    def _smoothed_raw(self, a: int, b: int, half: int) -> FloatArray:
        """Raw samples ``a..b`` (absolute, inclusive) smoothed by a local quadratic fit.

        Savitzky-Golay, order 2, ``2 * half + 1`` samples (Savitzky & Golay 1964, Anal. Chem.
        36:1627). Unlike a moving average it leaves a parabola, so a rounded corner, unchanged,
        which allows windows wide enough to tame noise on slow corners. The fit is centred
        and all of ``a..b`` is in the past when this runs, so the refined times need no
        filter-delay correction. The ``half`` samples at each end repeat the nearest full fit:
        callers look for the extremum and its level crossings, which lie inside the stretch.
        """
        return _savgol(self._raw[a - self._buf_start : b + 1 - self._buf_start], half)

    def _on_peak(self, conf: int, v: float) -> None:
        """A peak at ``_hi_idx`` is confirmed by sample ``conf``."""
        tp, yp = self._hi_idx, self._hi
        start = self._start
        f1 = self._f_onset * self._scale()
        w0 = max(tp, conf - self._history_n)
        before = tp - start.idx if start is not None else conf - tp
        departure = w0 + _last_index(self._window(w0, conf) >= yp - f1)
        half = self._half_width(departure, conf, before)
        a = max(tp - self._delay_n - half - self._margin, conf - self._history_n, 0)
        if start is not None:
            a = max(a, start.raw_idx)
        s = self._smoothed_raw(a, conf, half)
        m = int(s.argmax())
        self._peak = _Peak(tp, s.item(m), a + m, s, a, f1)
        self._prev_swing = yp - (self._lo if self._mode == _SEEK_ANY else self._last_ext)
        self._last_ext = yp
        self._mode = _SEEK_TROUGH
        self._lo, self._lo_idx = v, conf

    def _on_trough(self, conf: int, v: float, out: list[_Pending]) -> None:
        """A trough at ``_lo_idx`` is confirmed by sample ``conf``."""
        peak = self._peak
        anchor = self._mode == _SEEK_ANY or peak is None
        trough = None if peak is None or anchor else self._trough(conf, peak)
        # After a hole, the first turning point may be the bottom of a valley the samples
        # resumed in (see _resumed_trough).
        first = self._resumed_trough(conf) if self._resumed and self._mode == _SEEK_ANY else None
        self._prev_swing = (self._hi if self._mode == _SEEK_ANY else self._last_ext) - self._lo
        self._last_ext = self._lo
        self._mode = _SEEK_PEAK
        self._hi, self._hi_idx = v, conf
        self._peak = None
        if peak is None or trough is None:
            # No confirmed fall before this trough (the signal started mid-breath): an anchor,
            # not the start of a breath.
            self._start = first
            return
        start = self._start
        if start is None:
            self._start = trough
            return
        if trough.idx - start.idx < self._min_breath_n:
            if trough.level < start.level:
                # The earlier trough was a wiggle on the way down: start from this one.
                self._start = trough
                self._merged = False
            else:
                # The peak between was a wiggle on the way up: keep the start and look for the
                # real peak from here.
                self._merged = True
            return
        if (not self._recent_depths or self._held) and peak.level - start.level < 0.5 * (
            peak.level - trough.level
        ):
            # Before the first breath the hysteresis only knows the swings seen so far, so
            # sensor noise ahead of the first inhale can pass for a trough and a peak; such a
            # "breath" rises far less than it falls. Start from this trough instead. Breaths
            # held back untested (_judge) may be the noise's and do not make it the first: a
            # recording that started near the top of an inhale at 15 dB had a noise wiggle
            # there, and the exhale after it, read as a breath.
            self._start = trough
            self._merged = False
            return
        depth = peak.level - 0.5 * (start.level + trough.level)
        if depth <= self._floor:
            # Flat in the raw signal: a swing of the filter alone (its ringing after a step).
            self._start = trough
            self._merged = False
            return
        held = (start, peak, trough, conf, depth, self._merged)
        if self._held and not self._quiet:
            # The caller's noise measure ended the test (noise_delta) with breaths held.
            self._release(conf, 0.0, out)
        if self._quiet:
            self._judge(held, out)
        else:
            out.append(self._emit(held))
        self._start = trough
        self._merged = False

    def _trough(self, conf: int, peak: _Peak) -> _Trough:
        tt, yt = self._lo_idx, self._lo
        f1 = self._f_onset * self._scale()
        w0 = max(tt, conf - self._history_n)
        departure = w0 + _last_index(self._window(w0, conf) <= yt + f1)
        half = self._half_width(departure, conf, tt - peak.idx)
        # One smoothed stretch from the peak on serves the trough level, the inhale onset and
        # (if the whole-phase fit fails) the start of the pause.
        a = max(peak.raw_idx, conf - self._history_n)
        s = self._smoothed_raw(a, conf, half)
        m = int(s.argmin())
        onset, upper = _leave_valley(s, m, f1, self._k_onset)
        if self._period_median is not None:
            reach = _CORNER_REACH * self._period_median
            if upper - onset > reach:
                # The corner lies far back in a long valley: noise on a long pause wanders
                # up by more than the lower level, and the floor (the valley's lowest point,
                # seconds before the rise) puts the lower crossing in the pause. The valley
                # is taken as the stretch just before the rise instead.
                j = max(m, int(upper - reach))
                sub = s[j:]
                onset, upper = _leave_valley(sub, int(sub.argmin()), f1, self._k_onset)
                onset, upper = onset + j, upper + j
        # An inhale cannot start before the previous exhale did.
        return _Trough(tt, s.item(m), max(a + onset, peak.raw_idx), a + m, s, a, f1)

    def _resumed_trough(self, conf: int) -> _Trough | None:
        """The first trough after a hole (:meth:`after_hole`), confirmed by sample ``conf``,
        as the start of a breath; None when the samples may have resumed in its rise.

        A new detector takes its first trough for an anchor: without a confirmed fall before
        it, its minimum may be only the first sample of a rise already under way. After a hole
        the typical depth of the breaths is known, so a fall into the trough is seen for what
        it is: if the signal came down into it by at least ``onset_fraction`` of that depth
        (the onset level, module notes step 5) and its inhale onset lies after the first
        sample by more than the smoothing half-width (the stretch a centred fit sees whole),
        the samples resumed in the exhale, and the breath the trough begins is measured.
        Otherwise (a rise under way, or the flat bottom of the valley) the breath under way
        when the samples resumed is lost, as with a new detector. A fall of less than
        ``_ONSET_LEVEL_RATIO`` onset levels (20 %) may be the low-pass of the signal's source
        settling after it was primed on one noisy sample (a chest accelerometer's low-pass,
        restarted at the hole): the breath is then at best ``"uncertain"`` (:attr:`_Trough.seen`).
        Measured on a simulated chest accelerometer (8-15 breaths/min, ratios 1.5 and 2, the
        link lost every 12 or 20 s for 2.6 s, 36 runs of 2 min): 289 of the 361 breaths that
        lay whole between holes found within 0.5 s, none false, 180 good, none of those more
        than 0.3 s off; with every first trough an anchor: 265; with a fall of 20 % needed to
        start a breath: 269; with the onset test alone: 296, but 15 more breaths cut short by
        the hole, some of them good.
        """
        tt = self._lo_idx
        f1 = self._f_onset * self._scale()
        a = max(self._buf_start, conf - self._history_n)
        departure = tt + _last_index(self._window(tt, conf) <= self._lo + f1)
        half = self._half_width(departure, conf, tt - a)
        s = self._smoothed_raw(a, conf, half)
        m = int(s.argmin())
        onset = a + _leave_valley(s, m, f1, self._k_onset)[0]
        typical = self._typical if self._typical is not None else 0.0
        fall = float(s[0] - s[m])
        if fall < self._f_onset * typical or onset < a + half:
            return None
        seen = fall >= _ONSET_LEVEL_RATIO * self._f_onset * typical
        return _Trough(tt, float(s[m]), onset, a + m, s, a, f1, seen)

    def _judge(self, held: _Held, out: list[_Pending]) -> None:
        """Test a breath before the first one against the noise (module notes, step 4).

        It lies within the noise when it is less than ``_QUIET_K`` times as deep as the noise's
        robust standard deviation above the breath's own harmonics (:meth:`_band_noise`), or,
        after ``_QUIET_RUN`` "breaths" within the noise, less than ``_QUIET_SPAN`` times their
        median depth; a breath that cannot be tested (too fast for that band, or confirmed
        within ``_QUIET_MIN_S`` of the start), when it is less than ``_QUIET_SPAN`` times as deep
        as the deepest of them. An untested breath that is not within the noise counts in the
        detector (its depth sets the hysteresis for the next ones), but it is held back from
        the output until a breath is tested: if that one stands out, the held breaths less
        than ``1 / _QUIET_SPAN`` as deep are the noise's (artifacts); if it lies within the
        noise, they are judged as untested ones again, against it too. A breath that is not
        within the noise and more than ``_QUIET_SPAN`` times as deep as the median of the
        breaths before it makes the detector forget them (the held ones less than
        ``1 / _QUIET_SPAN`` as deep are artifacts): it is the first breath. ``_QUIET_RUN``
        untested breaths in a row are breathing (fast, from the first sample) and end the
        test, as do the first breath that stands out and a minute of "breaths" within the
        noise.
        """
        start, _, trough, conf, depth, _ = held
        sigma = self._band_noise(trough.idx - start.idx, conf)
        if sigma is not None:
            noise = depth < _QUIET_K * sigma or (
                len(self._quiet_depths) >= _QUIET_RUN
                and depth < _QUIET_SPAN * _median(self._quiet_depths)
            )
        else:
            noise = bool(self._quiet_depths) and depth < _QUIET_SPAN * max(self._quiet_depths)
        if noise:
            self._quiet_depths.append(depth)
            self._release(conf, _QUIET_SPAN * max(self._quiet_depths), out)
            if self._quiet_since < 0:
                self._quiet_since = conf
            elif conf - self._quiet_since > self._history_n and not self._white(conf):
                # A minute of "breaths" within the noise: breathing too noisy to stand out
                # of it (below about 13 dB in band) is breathing all the same; but noise that
                # changes from sample to sample as no breathing does is no breathing.
                self._quiet = False
            out.append(self._emit(held, noise=True))
            return
        if self._recent_depths and depth > _QUIET_SPAN * _median(self._recent_depths):
            # The breaths before it passed untested and were the noise's (a still start at
            # 15 dB: 0.25 deep where the first breath was 0.77; with a reference that low,
            # the noise on slow breaths kept splitting them for minutes): this one is the
            # first.
            self._release(conf, depth / _QUIET_SPAN, out)
            self._forget()
        if sigma is None:
            # Untested: near the start the noise is not known yet, and a breath too fast for
            # the band may be fast breathing or the noise's wiggle. It is not emitted with a
            # label the next breath may show to be wrong.
            self._held.append(self._emit(held))
            # Fast breathing ends the test; the noise near the start, in which each wiggle is
            # quick and none can be tested yet, does not.
            if sum(p.conf >= self._quiet_min_n for p in self._held) >= _QUIET_RUN:
                self._quiet = False
                self._release(conf, 0.0, out)
            return
        self._release(conf, depth / _QUIET_SPAN, out)
        self._quiet = False
        out.append(self._emit(held))

    def _release(self, at: int, noise_below: float, out: list[_Pending]) -> None:
        """Output the breaths held back (:meth:`_judge`) at sample ``at``, in order, those less
        than ``noise_below`` deep as "breaths" within the noise (artifacts, timed by their
        corners, as the noise's are)."""
        detected_s = self._t0_s + max(at, self._emit_at) / self._fs_hz
        for p in self._held:
            p.detected_s = detected_s
            if p.depth < noise_below:
                p.quality = "artifact"
                p.noise = True
            out.append(p)
        self._held.clear()

    def _white(self, conf: int) -> bool:
        """Whether the raw signal of the last ``history_s`` up to sample ``conf`` has a lag-1
        autocorrelation below ``_QUIET_LAG1``: white noise, not breathing."""
        raw = self._raw[
            max(0, conf - self._history_n) - self._buf_start : conf + 1 - self._buf_start
        ]
        d = raw - raw.mean()
        power = float(d @ d)
        return power > 0.0 and float(d[1:] @ d[:-1]) < _QUIET_LAG1 * power

    def _forget(self) -> None:
        """Forget the breaths so far (taken from the noise): the next one is the first."""
        self._depths.clear()
        self._ref_depth = 0.0
        self._recent_depths.clear()
        self._plausible_depths.clear()
        self._typical = None
        self._periods.clear()
        self._period_median = None
        # The fall shapes are dropped in breath order when the breaths are fitted
        # (_shapes_before): some of those before may be still to fit in this update.
        self._forgets += 1
        self._stall_eff = self._stall_n

    def _band_noise(self, period_n: int, conf: int) -> float | None:
        """Robust standard deviation, input units, of the raw signal of the last ``history_s``
        up to sample ``conf``, in ``_NOISE_BAND_HZ`` above ``_QUIET_HARMONIC`` times the rate
        of a breath of ``period_n`` samples; None when that leaves no band or the stretch is
        shorter than ``_QUIET_MIN_S``."""
        low_hz = max(_NOISE_BAND_HZ[0], _QUIET_HARMONIC * self._fs_hz / period_n)
        high_hz = min(_NOISE_BAND_HZ[1], 0.45 * self._fs_hz)
        a = max(0, conf - self._history_n)
        if high_hz <= 1.5 * low_hz or conf - a < self._quiet_min_n:
            return None
        raw = self._raw[a - self._buf_start : conf + 1 - self._buf_start]
        # Zero-phase on a stretch already received, as in _noise_floor: no look-ahead. For a
        # breath of 3 s or more the band is the stalls' own, designed once and shared (SciPy
        # takes about as long to design it as to filter the minute).
        shared = _noise_band_sos(self._fs_hz) if low_hz == _NOISE_BAND_HZ[0] else None
        sos = shared if shared is not None else bandpass_sos(low_hz, high_hz, self._fs_hz, 2)
        band = scipy.signal.sosfiltfilt(sos, raw - raw.mean())
        return 1.4826 * float(np.median(np.abs(band)))

    def _emit(self, held: _Held, *, noise: bool = False) -> _Pending:
        """A breath is complete: update the running state; its times come in :meth:`_finish`.

        ``held`` is the breath: its start, peak and end troughs, the sample that confirmed it,
        its depth, and whether it is merged. A ``noise`` "breath" (:meth:`_judge`) is an
        artifact and updates nothing.
        """
        start, peak, end, conf, _, merged = held
        if noise:
            detected_s = self._t0_s + max(conf, self._emit_at) / self._fs_hz
            depth = peak.level - 0.5 * (start.level + end.level)
            period_n = end.idx - start.idx
            return _Pending(
                start, peak, end, conf, detected_s, depth, "artifact", period_n, True, self._forgets
            )
        fall = peak.level - end.level
        rise = peak.level - start.level
        depth = peak.level - 0.5 * (start.level + end.level)
        asymmetric = abs(rise - fall) > _ASYMMETRY_LIMIT * max(rise, fall)
        # The yardstick for the hysteresis. A glitch at one end of a breath (a dropout to
        # zero, a knock) makes that side huge while the other stays the breath's, so a
        # lopsided breath counts by the side the signal went both ways.
        yardstick = min(rise, fall) if asymmetric else depth
        detected_s = self._t0_s + max(conf, self._emit_at) / self._fs_hz
        too_deep = False
        period_n = end.idx - start.idx
        # A lone quick cycle among slow breaths (module notes, step 4).
        lone_fast = (
            period_n < self._fast_n
            and self._period_median is not None
            and period_n < 0.5 * self._period_median
        )
        if merged:
            self._merged_breaths += 1
        median = self._typical  # the median of _recent_depths, None while it is empty
        if median is None:
            quality = "uncertain"
        else:
            too_deep = yardstick > self._artifact_high * median
            if not self._artifact_low * median <= depth <= self._artifact_high * median:
                quality = "artifact"
            elif merged or asymmetric or lone_fast or not start.seen:
                quality = "uncertain"
            else:
                quality = "good"  # unless its phases have to be clamped (see _finish)
        self._recent_depths.append(depth)
        self._typical = _median(self._recent_depths)
        # A breath far deeper than the last ones is a movement or a sensor glitch far more
        # often than breathing: it would raise the hysteresis (and the stall floor, which
        # follows the deepest breath) above every real breath after it, and with no breath
        # found, nothing would ever bring them down. It still counts among the recent depths,
        # so that a lasting change in depth stops being an artifact after a few breaths.
        if not too_deep:
            self._plausible_depths.append(yardstick)
        if not self._stalled and not too_deep:
            # A breath that spans a stall straddles the old and the new amplitude; its depth
            # would undo the stall's reseeding.
            self._depths.append(yardstick)
            self._ref_depth = _median(self._depths)
        self._stalled = False
        # A stall is declared after three typical breaths without a turning point (at most
        # stall_s): fast enough to follow a sudden drop in depth at normal rates.
        self._periods.append(period_n)
        self._period_median = _median(self._periods)
        period = int(self._period_median)
        self._stall_eff = min(self._stall_n, max(3 * period, 2 * self._min_breath_n))
        self._stall_at = conf + self._stall_eff
        self._latencies.append(detected_s - (self._t0_s + end.onset / self._fs_hz))
        return _Pending(
            start, peak, end, conf, detected_s, depth, quality, period, False, self._forgets
        )

    def _finish(self, pending: list[_Pending]) -> list[Breath]:
        """Time the breaths completed during one :meth:`update` (module notes, step 6).

        The whole-phase fits of all of them run as one vectorised computation: nothing in the
        detector's state depends on their result, and each uses only samples up to the one
        that confirmed its breath, so the times do not depend on the chunking.
        """
        if not pending:
            return []
        fits, misfits = self._fit_phases(pending)
        flat = self._flat_extremes(pending)
        fs, off = self._fs_hz, self._t0_s
        out = []
        for p, fitted, is_flat, misfit in zip(pending, fits, flat, misfits, strict=True):
            start, peak, end = p.start, p.peak, p.end
            t_end = end.onset
            # A fit that puts the inhale onset before the previous breath's exhale onset has
            # taken something else for the rise (at 20 dB after a 45 s hold at the top, the
            # held breath's inhale onset came out 5 s before the previous breath's).
            if (
                fitted is not None
                and self._last_exhale < fitted[0] < fitted[1] <= fitted[2] <= p.conf
                and fitted[1] < t_end
            ):
                t_in, t_ex, t_pause = fitted
                # The next inhale onset is known only from the start of its rise so far; the
                # exhale, fitted as a whole, cannot end after it.
                t_end = max(t_end, t_pause)
                clamped = t_end - t_in < self._min_breath_n / 2
            else:
                # The corner estimates (module notes, step 5): the whole-phase fit needs both
                # phases to look like breathing phases.
                t_in = max(start.onset, self._last_exhale)
                # An exhale cannot start before its inhale.
                peak_onset = max(peak.onset(self._k_onset), t_in)
                t_ex = min(peak_onset, t_end)
                t_pause = min(max(end.pause_start(self._k_onset), t_ex), t_end)
                clamped = (
                    t_ex != peak_onset or t_in >= t_ex or t_end - t_in < self._min_breath_n / 2
                )
            if misfit:
                # A fall the model could not follow is not timed: the exhale runs to the next
                # inhale onset (its pause start at a shelf would halve the ratio).
                t_pause = t_end
            self._last_exhale = t_ex
            inhale_onset_s = off + t_in / fs
            exhale_onset_s = off + t_ex / fs
            pause_start_s = off + t_pause / fs
            end_s = off + t_end / fs
            inhale_s = exhale_onset_s - inhale_onset_s
            exhale_s = pause_start_s - exhale_onset_s
            out.append(
                Breath(
                    inhale_onset_s=inhale_onset_s,
                    exhale_onset_s=exhale_onset_s,
                    end_s=end_s,
                    inhale_s=inhale_s,
                    exhale_s=exhale_s,
                    pause_s=end_s - pause_start_s,
                    ratio=exhale_s / inhale_s if inhale_s > 0.0 else math.inf,
                    depth=p.depth,
                    rate_bpm=60.0 / max((end.onset - start.onset) / fs, 1.0 / fs),
                    quality=(
                        "uncertain"
                        if p.quality == "good" and (clamped or is_flat or misfit)
                        else p.quality
                    ),
                    detected_s=p.detected_s,
                )
            )
        return out

    def _flat_extremes(self, pending: list[_Pending]) -> list[bool]:
        """Whether each breath's top or bottom is flat in the raw samples (module notes, step 8).

        A breath is flat-topped or flat-bottomed when, in the stretch around its peak or one of
        its troughs, there is a run of at least ``_PLATEAU_FRACTION`` of its period (and 3
        samples) of raw samples exactly at the running extreme of the last ``history_s`` (a
        sensor or converter at its rail), or when its depth spans fewer than ``MIN_DEPTH_STEPS``
        quantisation steps; the step is the smallest non-zero difference between consecutive
        raw samples over the breath. Either way, where the breath turned is not in the samples.

        Both need two equal consecutive samples near an extremum (``_TIE_REACH``), which a signal
        with noise in it does not have: that check, one vectorised pass over all the breaths
        of the update, is all most breaths cost. Every window is bounded by sample indices
        (never before ``conf - history_n``, which is always in the buffer, nor after ``conf``),
        so the result does not depend on the chunking.
        """
        b0 = self._buf_start
        raw = self._raw
        # Per breath: the confirming sample, the three extrema and the plateau rule's run.
        rows = np.array(
            [
                (p.conf, p.start.raw_idx, p.peak.raw_idx, p.end.raw_idx, self._plateau_need(p))
                for p in pending
            ],
            dtype=np.intp,
        )
        conf, centre = rows[:, 0], rows[:, 1:4]
        first = np.maximum(conf - self._history_n, b0)
        # Sample pairs (j, j + 1) every `stride` samples up to _TIE_REACH strides either side:
        # a run of equal samples as long as the plateau rule needs (stride + 1) holds one.
        stride = rows[:, 4] - 1
        offsets = stride[:, None] * np.arange(-_TIE_REACH, _TIE_REACH + 1)
        idx = (
            np.clip(
                centre[:, :, None] + offsets[:, None, :],
                first[:, None, None],
                (conf - 1)[:, None, None],
            )
            - b0
        )
        tied = (raw[idx] == raw[idx + 1]).any(axis=2)
        out = [False] * len(pending)
        for j in np.flatnonzero(tied.any(axis=1)).tolist():
            out[j] = self._flat_breath(pending[j], tied[j].tolist())
        return out

    @staticmethod
    def _plateau_need(p: _Pending) -> int:
        """Samples in a run at the rail that make a breath flat-topped or flat-bottomed."""
        return max(3, math.ceil(_PLATEAU_FRACTION * (p.end.idx - p.start.idx)))

    def _flat_breath(self, p: _Pending, tied: list[bool]) -> bool:
        """:meth:`_flat_extremes` for one breath with equal samples next to an extremum.

        ``tied`` says which of its start trough, peak and end trough has them.
        """
        raw, b0 = self._raw, self._buf_start
        first = max(p.conf - self._history_n, b0)
        breath = raw[max(p.start.raw_idx, first) - b0 : p.conf + 1 - b0]
        steps = np.abs(np.diff(breath))
        steps = steps[steps > 0.0]
        if steps.size == 0 or p.depth < MIN_DEPTH_STEPS * float(steps.min()):
            return True
        recent = raw[first - b0 : p.conf + 1 - b0]
        need = self._plateau_need(p)
        for trough, is_tied in zip((p.start, None, p.end), tied, strict=True):
            if not is_tied:
                continue
            # The stretch the extremum's plateau lies in: from the turning point before it to
            # the sample that confirmed it (the peak's: between the breath's troughs).
            if trough is None:
                lo, hi, rail = p.start.raw_idx, p.end.raw_idx, float(recent.max())
            else:
                lo, hi = trough.smooth_start, trough.smooth_start + trough.smooth.size - 1
                rail = float(recent.min())
            lo, hi = max(lo, first), min(hi, p.conf)
            at_rail = np.concatenate(([False], raw[lo - b0 : hi + 1 - b0] == rail, [False]))
            edges = np.flatnonzero(at_rail[1:] != at_rail[:-1])
            if edges.size and int((edges[1::2] - edges[0::2]).max()) >= need:
                return True
        return False

    def _fit_phases(
        self, pending: list[_Pending]
    ) -> tuple[list[tuple[float, float, float] | None], list[bool]]:
        """Inhale onset, exhale onset and pause start of complete breaths (module notes, step 6).

        Fractional absolute sample indices, ``None`` for a breath whose fit fails; and for each
        breath whether its whole-breath fit was dropped for trading its rise for a fall the
        model cannot follow (:func:`_traded_rise`), which makes it uncertain. Each phase
        is cut into ``_PHASE_POINTS`` equal blocks whose means (of the raw samples, each held
        over its sampling interval) are smoothed by a quadratic Savitzky-Golay fit over
        ``_PHASE_SMOOTH`` of the phase on either side; the straight baseline through the two
        trough levels (drift) is taken off and the result scaled by the peak's height above
        it, then :func:`_fit_rises` fits each phase (a fall read backwards, as a rise towards
        the peak).
        """
        # Per phase: start, end, baseline at its start, baseline slope, confirming sample,
        # height of the peak above the baseline.
        rows: list[tuple[int, int, float, float, int, float]] = []
        keep: list[int] = []
        peaks: list[int] = []  # the peak's sample (the phases may stop short of it at a hold)
        first, floor = self._buf_start, self._floor
        for i, p in enumerate(pending):
            a, pk, b = p.start.raw_idx, p.peak.raw_idx, p.end.raw_idx
            if p.noise or a < first or not a < pk < b:
                continue
            base0 = p.start.level
            drift = (p.end.level - base0) / (b - a)
            base_pk = base0 + drift * (pk - a)
            height = p.peak.level - base_pk
            if not height > floor:
                continue
            keep.append(i)
            a_fit, top_r, top_f, b_fit = a, pk, pk, b
            if pk - a > p.period_n or b - pk > p.period_n:
                # A phase span longer than a typical breath: a long pause or hold may lie in it.
                base_mid = 0.5 * (base0 + base_pk)  # the baseline halfway up the rise
                a_fit, top_r, top_f, b_fit, top = self._phase_spans(
                    a, pk, b, p.conf, base_mid, height
                )
                if top is not None:
                    # A hold at the top: its peak sample is the noise's highest point on the
                    # plateau, and scaled by it, the phases would not reach the top of the
                    # fit's band, which would stretch them into the plateau.
                    height = top[0] - (base0 + drift * (top[1] - a))
                    if not height > floor:
                        keep.pop()
                        continue
            rows.append((a_fit, top_r, base0 + drift * (a_fit - a), drift, p.conf, height))
            rows.append((top_f, b_fit, base0 + drift * (top_f - a), drift, p.conf, height))
            peaks.append(pk)
        out: list[tuple[float, float, float] | None] = [None] * len(pending)
        traded_rise = [False] * len(pending)
        if not rows:
            return out, traded_rise
        starts, ends, base, slope, conf, heights = (
            np.array(col, dtype=np.float64) for col in zip(*rows, strict=True)
        )
        npts, half = _PHASE_POINTS, _PHASE_HALF
        width = (ends - starts) / npts
        t, blocks, baseline, y = self._phase_levels(starts, width, base, slope, conf, heights)
        y[1::2] = y[1::2, ::-1]  # falls, read backwards
        u0, dur, ok = _fit_rises(y, *_PHASE_BAND)
        # Rise rows are even, fall rows odd; the fall's line is backwards from its end.
        d_r, d_f = width[0::2] * dur[0::2], width[1::2] * dur[1::2]
        t0_r = t[0::2, 0] + width[0::2] * u0[0::2]
        t0_f = t[1::2, -1] - width[1::2] * u0[1::2] - d_f
        fine = ok[0::2] & ok[1::2]
        fine &= (d_r <= 2.0 * (ends[0::2] - starts[0::2]) + 2) & (
            d_f <= 2.0 * (ends[1::2] - starts[1::2]) + 2
        )
        rise_top = t0_r + d_r
        # A gap between the end of the rise and the start of the fall is a hold at the top: it
        # counts as inhale, and the exhale starts where the fall does. Otherwise both fits see
        # one turning point; their estimates, weighted by 1 / D^2 (each one's error grows with
        # its phase's duration), start the whole-breath fit, which times it from both phases
        # at once.
        hold = t0_f - rise_top > _HOLD_FRACTION * d_r
        w_r, w_f = d_f * d_f, d_r * d_r  # 1 / d_r^2 and 1 / d_f^2, scaled by (d_r d_f)^2
        t_ex = np.where(hold, t0_f, (w_r * rise_top + w_f * t0_f) / (w_r + w_f))
        t_in, t_pause = t0_r.copy(), t_ex + d_f
        gamma = np.ones_like(t_in)  # the fall's shape (raised cosine until fitted)
        # A fall in steps (speech: phrases between stops) is no smooth phase: a smooth curve
        # fitted to the staircase puts its start and end seconds away from the first phrase's
        # start and the last one's end. Such a breath is timed from those two phrases alone.
        # Only an exhale _SPEECH_RATIO times its inhale is looked at: talking inhales are
        # quick, and a stop-like wiggle (noise at 20-25 dB, heartbeats on a real belt) in the
        # exhale of ordinary breathing then leaves its smooth fit alone.
        both_ok = ok[0::2] & ok[1::2]
        long_fall = np.where(both_ok, d_f, ends[1::2] - starts[1::2]) >= _SPEECH_RATIO * np.where(
            both_ok, d_r, ends[0::2] - starts[0::2]
        )
        t_first, d_first, t_last = self._phrases(
            y[1::2, ::-1],
            starts[1::2],
            ends[1::2],
            base[1::2],
            slope[1::2],
            conf[1::2],
            heights[1::2],
            long_fall,
        )
        stair = np.isfinite(t_first) & np.isfinite(t_last)
        if stair.any():
            rise_ok = ok[0::2]
            hold_first = t_first - rise_top > _HOLD_FRACTION * d_r
            w_first = d_first * d_first
            both = (w_first * rise_top + w_f * t_first) / (w_first + w_f)
            t_ex = np.where(stair, np.where(hold_first | ~rise_ok, t_first, both), t_ex)
            t_pause = np.where(stair, t_last, t_pause)
            # A quick inhale before a slow first phrase has a top so flat that noise moves the
            # peak sample a tenth of a second onto the rise, which then never reaches the top
            # of the fit's band and fails: the corner rule times that inhale onset instead.
            corner = stair & ~rise_ok
            t_in = np.where(corner, [p.start.onset for p in (pending[i] for i in keep)], t_in)
            fine = fine | stair
        joint = fine & ~hold & ~stair
        misfit = np.zeros(joint.size, dtype=bool)
        if joint.any():
            # The block means without the smoothing, baseline off and scaled, in time order;
            # each block weighted by its width (a block mean's noise variance goes as 1 / its
            # number of samples).
            level = (blocks[:, half : half + npts] - baseline) / heights[:, None]
            idx = np.flatnonzero(joint)
            pair = np.column_stack((2 * idx, 2 * idx + 1))
            points = (
                t[pair].reshape(idx.size, -1),
                level[pair].reshape(idx.size, -1),
                np.repeat(width[pair], npts, axis=1),
            )
            start = np.column_stack((t_in[idx], t_ex[idx], t_pause[idx], np.ones(idx.size)))
            # The fall's shape: fitted freely to each breath, but used from the breaths before
            # it (the median of the last few), so that a breath's own noise does not trade
            # its shape against its end.
            free, settled = _fit_breaths(*points, start, free_shape=True, steps=_GN_STEPS)
            forgets = [pending[keep[i]].forgets for i in idx.tolist()]
            start[:, 3] = self._shapes_before(free[:, 5], settled, forgets)
            # Timed from where the free fit settled: a shape near the one fitted needs few steps.
            start[settled, :3] = free[settled, :3]
            fit, settled = _fit_breaths(*points, start, free_shape=False, steps=_GN_REFIT_STEPS)
            gamma[idx] = start[:, 3]
            # A fall the model cannot follow (a shelf in the exhale) can drag the shared offset
            # and depth, and with them the inhale onset up the rise: such a fit is dropped for
            # the phase fits' times, whose rise is its own, and the breath is uncertain.
            traded = settled & _traded_rise(t[2 * idx], level[2 * idx], t0_r[idx], d_r[idx], fit)
            misfit[idx[traded]] = True
            joint[idx[traded]] = False
            settled &= ~traded
            idx, fit = idx[settled], fit[settled]
            t_in[idx], t_ex[idx], t_pause[idx] = fit[:, 0], fit[:, 1], fit[:, 2]
        geometry = _Geometry(
            starts[0::2],
            np.array(peaks, dtype=np.float64),
            ends[1::2],
            conf[0::2],
            base[0::2],
            slope[0::2],
            heights[0::2],
        )
        self._refit_junctions(
            [pending[i] for i in keep], geometry, joint, t_in, t_ex, t_pause, d_r, gamma
        )
        times = zip(fine.tolist(), t_in.tolist(), t_ex.tolist(), t_pause.tolist(), strict=True)
        for i, (good, a_in, a_ex, a_pause) in zip(keep, times, strict=True):
            if good:
                out[i] = (a_in, a_ex, a_pause)
        for j in np.flatnonzero(misfit).tolist():
            traded_rise[keep[j]] = True
        return out, traded_rise

    def _phrases(
        self,
        fall: FloatArray,
        starts: FloatArray,
        ends: FloatArray,
        base: FloatArray,
        slope: FloatArray,
        conf: FloatArray,
        heights: FloatArray,
        long_fall: NDArray[np.bool_],
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Where the first phrase of a fall in steps starts, and the last one ends.

        ``fall`` holds the smoothed scaled block levels of each breath's fall in time order (1
        at the peak, 0 at the trough; :meth:`_phase_levels`), the other arrays that fall's
        geometry, and ``long_fall`` says which falls to look at (the others get NaN). A *stop*
        is a point between ``_STOP_BAND`` of the depth where the fall is near flat (its speed
        within ``_STOP_FLOW`` of its fastest either way: a bump that rises is no stop) and
        speeds up again, on both sides, by at least ``_STOP_PROMINENCE`` of its fastest: a
        smooth fall slows only towards its ends. Talking, the
        exhale is a series of phrases separated by such stops (Hixon, Goldman & Mead 1973, J
        Speech Hear Res 16:78). The first phrase (peak to first stop) and the last (last stop
        to trough) are each fitted as a raised-cosine fall between their own levels
        (:func:`_fit_rises`), which times the exhale's start and end from the part of the
        fall that shows them. Returns, per breath, the first phrase's start, its duration and
        the last phrase's end (fractional sample indices); NaN where the fall has no stop or a
        phrase fit fails.
        """
        n = fall.shape[0]
        nan = np.full(n, np.nan)
        if not long_fall.any():
            return nan, nan.copy(), nan.copy()
        speed = fall[:, :-1] - fall[:, 1:]  # per block boundary, falling is positive
        fastest = speed.max(axis=1, initial=0.0)[:, None]
        before = np.maximum.accumulate(speed, axis=1)
        after = np.maximum.accumulate(speed[:, ::-1], axis=1)[:, ::-1]
        level = 0.5 * (fall[:, :-1] + fall[:, 1:])
        stop = (np.minimum(before, after) - speed >= _STOP_PROMINENCE * fastest) & (
            np.abs(speed) <= _STOP_FLOW * fastest
        )
        stop &= (level > _STOP_BAND[0]) & (level < _STOP_BAND[1]) & (fastest > 0.0)
        stop &= long_fall[:, None]
        rows = np.flatnonzero(stop.any(axis=1))
        if rows.size == 0:
            return nan, nan.copy(), nan.copy()
        # The slowest point of the first and of the last run of stop points.
        cut = np.empty((rows.size, 2), dtype=np.intp)
        for j, r in enumerate(rows.tolist()):
            marks = np.flatnonzero(stop[r])
            gaps = np.flatnonzero(np.diff(marks) > 1)
            first = marks[: gaps[0] + 1] if gaps.size else marks
            last = marks[gaps[-1] + 1 :] if gaps.size else marks
            cut[j, 0] = first[int(speed[r, first].argmin())]
            cut[j, 1] = last[int(speed[r, last].argmin())]
        width = (ends[rows] - starts[rows]) / _PHASE_POINTS
        # Block boundary k lies between blocks k and k + 1.
        t_cut = starts[rows, None] + width[:, None] * (cut + 1.0)
        y_cut = level[rows[:, None], cut]
        first_start = starts[rows]
        last_start = t_cut[:, 1]
        p_starts = np.concatenate((first_start, last_start))
        p_ends = np.concatenate((t_cut[:, 0], ends[rows]))
        p_base = np.concatenate((base[rows], base[rows] + slope[rows] * (last_start - first_start)))
        p_slope = np.tile(slope[rows], 2)
        p_width = (p_ends - p_starts) / _PHASE_POINTS
        t, _, _, y = self._phase_levels(
            p_starts, p_width, p_base, p_slope, np.tile(conf[rows], 2), np.tile(heights[rows], 2)
        )
        m = rows.size
        # Each phrase scaled to its own drop: from the peak to the first stop's level, and from
        # the last stop's level to the trough; read backwards, as a rise.
        y[:m] = (y[:m] - y_cut[:, 0:1]) / (1.0 - y_cut[:, 0:1])
        y[m:] = y[m:] / y_cut[:, 1:2]
        u0, dur, ok = _fit_rises(y[:, ::-1], *_PHASE_BAND)
        d = p_width * dur
        t0 = t[:, -1] - p_width * u0 - d
        ok = ok[:m] & ok[m:] & (d[:m] > 0.0) & (d[m:] > 0.0)
        ok &= (d[:m] <= 2.0 * (p_ends[:m] - p_starts[:m]) + 2) & (
            d[m:] <= 2.0 * (p_ends[m:] - p_starts[m:]) + 2
        )
        t_first, d_first, t_last = nan, nan.copy(), nan.copy()
        t_first[rows] = np.where(ok, t0[:m], np.nan)
        d_first[rows] = np.where(ok, d[:m], np.nan)
        t_last[rows] = np.where(ok, t0[m:] + d[m:], np.nan)
        return t_first, d_first, t_last

    def _phase_levels(
        self,
        starts: FloatArray,
        width: FloatArray,
        base: FloatArray,
        slope: FloatArray,
        conf: FloatArray,
        heights: FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Block times, block means, baseline and smoothed scaled levels of phases.

        Each row is a phase of ``_PHASE_POINTS`` blocks of ``width`` samples from ``starts``,
        with its baseline ``base + slope (t - start)`` and the peak ``heights`` above it, seen
        up to sample ``conf`` (:meth:`_fit_phases`). Returns the block centres, the block means
        from ``_PHASE_HALF`` blocks before the phase to as many after it, the baseline at the
        centres, and the Savitzky-Golay smoothed means with the baseline off, scaled by the
        height (time order).
        """
        npts, half = _PHASE_POINTS, _PHASE_HALF
        # Block edges from `half` blocks before each phase to `half` after it, clipped to the
        # samples there were when the breath was confirmed.
        k = np.arange(-half, npts + half + 1, dtype=np.float64)
        edges = starts[:, None] + width[:, None] * k
        blocks = self._block_means(edges, conf)
        # The smoothing as a sum over the taps: elementwise, so every row comes out the same
        # whatever other rows share the call (a BLAS product may sum in another order).
        kernel = _savgol_kernel(half).tolist()
        smooth = kernel[0] * blocks[:, :npts]
        for tap, coef in enumerate(kernel[1:], start=1):
            smooth += coef * blocks[:, tap : tap + npts]
        t = starts[:, None] + width[:, None] * (np.arange(npts) + 0.5)
        baseline = base[:, None] + slope[:, None] * (t - starts[:, None])
        y = (smooth - baseline) / heights[:, None]
        return t, blocks, baseline, y

    def _phase_spans(
        self, a: int, pk: int, b: int, conf: int, base: float, height: float
    ) -> tuple[int, int, int, int, tuple[float, float] | None]:
        """Where the phase fits of a breath start and end: the rise from ``a`` (its start
        trough) to ``pk`` (its peak) and the fall from ``pk`` to ``b`` (its end trough), unless
        a long pause or hold lies between a trough or the peak and a phase.

        Returns the rise's first and last and the fall's first and last sample. The phases are
        cut into a fixed number of blocks, so a 60 s breath hold before a 2 s inhale would
        leave the inhale one block wide: the fit fails and the corner rule, which a slow
        wander in a long noisy pause misleads, times the breath (an inhale of 20 s for 2,
        "good"). The phases' midpoints are robust to that: the last crossing of the level
        halfway up before the peak and the first one after it, in the filtered signal (moved
        back by the filter's delay; only samples up to ``conf``, the one that confirmed the
        breath, so that the spans do not depend on the chunking); ``base`` is the baseline
        halfway up the rise and ``height`` the peak's height above it (input units). The
        rise is fitted from two rise durations before its onset (five half-rises before the
        midpoint), the fall up to eight half-falls after its midpoint (a passive exhale's
        tail, down to shape 0.4, ends within 5.7). The spans of every breath of the
        validation report stay as they were; after a 60 s hold in 30 dB noise, the next
        inhale onset was 2-3 s early or the breath lost (inhale 20 s for 2), now within 0.03 s.

        A hold at the top is the same problem at the peak, whose sample is wherever the noise
        tops the plateau: the rise then ends, or the fall starts, up to the whole hold away
        from it. Each phase's scale is measured where it is steepest, as the time ``g`` its
        filtered signal takes between 25 % and 75 % of the height around its midpoint (a third
        of a raised-cosine phase; 0.21-0.30 of a fall of shape 0.4-2.5, :func:`_fall`, which
        starts 0.6-3.7 ``g`` before its midpoint). A rise whose midpoint lies more than
        4.5 ``g`` (1.5 rise durations) before the peak is fitted over its midpoint
        +- 4.5 ``g``; a fall whose midpoint lies more than 6 ``g`` after the peak, over its
        midpoint +- 6 ``g``. After a 45 s hold at the top (12 breaths/min, 30 dB), the peak
        had been 12 s before the end of the plateau, and the rise's span, from it, left the
        rise too few blocks: the corner rule put the exhale onset at the peak. The last value
        returned is then the plateau's level (median of the raw samples from 3 ``g`` after the
        rise's midpoint to 4.5 ``g`` before the fall's, input units) and the sample it is
        centred on, or ``None`` where there is no such stretch of at least 0.2 s: scaled by the
        peak, the noise's highest point on the plateau, the phases stop short of the top of the
        fit's band and are read as starting early (the exhale onset after holds of 10-60 s was
        a median 0.1-0.3 s early at 20-30 dB, now 0.01-0.11 s).
        """
        delay = self._delay_n
        a_out, top_r, top_f, b_out = a, pk, pk, b
        # The plateau between the phases, where both were measured: from a raised-cosine
        # rise's top plus half a rise (1.5 g) to a fall's start (at most 3.7 g before its
        # midpoint, shape 2.5) less 0.8 g.
        plat_lo = plat_hi = -1
        rise = self._window(a + delay, min(pk + delay, conf))
        up = rise < base + 0.5 * height
        last_low = _last_index(up)
        # A crossing strictly inside the phase; none (a filtered peak below the level, or a
        # start above it) leaves the span alone.
        if 0 <= last_low < up.size - 1:
            mid = a + last_low  # raw index of the filtered crossing, delay taken off
            below = _last_index(rise[: last_low + 1] < base + 0.25 * height)
            above = rise[last_low:] >= base + 0.75 * height
            g = max(int(above.argmax()) + last_low - below, 1)
            hold_lo = -1
            if below >= 0 and above.any():
                hold_lo = math.ceil(mid + 4.5 * g)
                plat_lo = math.ceil(mid + 3 * g)
            if hold_lo >= 0 and pk > hold_lo:
                top_r = hold_lo
                a_out = max(a, math.floor(mid - 4.5 * g))
            else:
                a_out = max(a, math.floor(mid - 5 * (pk - mid)))
        fall = self._window(min(pk + delay, conf), min(b + delay, conf))
        down = fall < base + 0.5 * height
        first_low = int(down.argmax()) if down.size else 0
        if first_low > 0 and down[first_low]:
            mid = pk + first_low
            high = _last_index(fall[: first_low + 1] >= base + 0.75 * height)
            low = fall[first_low:] < base + 0.25 * height
            g = max(int(low.argmax()) + first_low - high, 1)
            hold_hi = -1
            if high >= 0 and low.any():
                hold_hi = math.floor(mid - 6 * g)
                plat_hi = math.floor(mid - 4.5 * g)
            if hold_hi >= 0 and hold_hi > pk:
                top_f = hold_hi
                b_out = min(b, math.ceil(mid + 6 * g))
            else:
                b_out = min(b, math.ceil(mid + 8 * (mid - pk)))
        top = None
        # At least the shortest smoothing window (0.2 s), so that the median is over noise.
        if plat_lo >= 0 and plat_hi - plat_lo >= 2 * self._min_half:
            top = float(
                np.median(self._raw[plat_lo - self._buf_start : plat_hi + 1 - self._buf_start])
            )
            top_at = 0.5 * (plat_lo + plat_hi)
        return a_out, top_r, top_f, b_out, (None if top is None else (top, top_at))

    def _refit_junctions(
        self,
        kept: list[_Pending],
        geo: _Geometry,
        joint: NDArray[np.bool_],
        t_in: FloatArray,
        t_ex: FloatArray,
        t_pause: FloatArray,
        d_r: FloatArray,
        gamma: FloatArray,
    ) -> None:
        """Refit, in place, the times of breaths that meet both neighbours without a pause.

        ``t_in``, ``t_ex`` and ``t_pause`` hold the whole-breath fits of the breaths ``kept``
        (those marked ``joint`` are fits without a hold); see :func:`_fit_junctions` and the
        module notes, step 6. A breath qualifies when the previous breath ends within
        ``_HOLD_FRACTION`` of its rise where it starts (the previous fit's pause start, kept
        across updates in ``_last_fall``), its own fall ends as near the next inhale onset by
        the corner rule, and the previous fall and a few samples of the next rise are at hand.
        """
        # Per breath, the previous breath's peak, exhale onset, pause start and fall shape
        # (NaN and 1 where it is not at hand); gathered in lists, which a loop over breaths
        # reads and writes several times faster than numpy elements.
        previous: list[tuple[float, float, float, float]] = []
        none = (math.nan, math.nan, math.nan, 1.0)
        last = self._last_fall
        for p, fitted, ex, pause, shape in zip(
            kept, joint.tolist(), t_ex.tolist(), t_pause.tolist(), gamma.tolist(), strict=True
        ):
            previous.append(last[1:] if last is not None and last[0] == p.start.raw_idx else none)
            # The values a later breath starts from are the whole-breath fit's, not this
            # refit's: a breath's times must not depend on whether its neighbour was fitted
            # in the same update.
            last = (p.end.raw_idx, float(p.peak.raw_idx), ex, pause, shape) if fitted else None
        self._last_fall = last
        prev_pk, prev_ex, prev_c, prev_gamma = np.array(previous, dtype=np.float64).reshape(-1, 4).T
        d_f = t_pause - t_ex
        next_onset = np.array([p.end.onset for p in kept])
        meets = np.isfinite(prev_c) & (np.abs(t_in - prev_c) < _HOLD_FRACTION * d_r)
        meets &= np.abs(next_onset - t_pause) < _HOLD_FRACTION * d_f
        meets &= (prev_pk > self._buf_start + 1) & (geo.conf - geo.end >= 4)
        rows = np.flatnonzero(joint & meets)
        if rows.size == 0:
            return
        # Points: the previous fall, the rise, the fall (32 blocks each), and the next rise up
        # to the confirming sample (16); each weighted by its width, as in _fit_breaths.
        whole = np.linspace(0.0, 1.0, _PHASE_POINTS + 1)
        part = np.linspace(0.0, 1.0, _PHASE_POINTS // 2 + 1)
        conf = geo.conf[rows]
        t_parts, y_parts, w_parts = [], [], []
        for lo, hi, frac in (
            (prev_pk[rows], geo.start[rows], whole),
            (geo.start[rows], geo.peak[rows], whole),
            (geo.peak[rows], geo.end[rows], whole),
            (geo.end[rows], conf, part),
        ):
            edges = lo[:, None] + (hi - lo)[:, None] * frac
            t_parts.append(0.5 * (edges[:, 1:] + edges[:, :-1]))
            y_parts.append(geo.levels(rows, edges, self._block_means(edges, conf)))
            w_parts.append(np.diff(edges, axis=1))
        ones = np.ones(rows.size)
        start = np.column_stack(
            (prev_ex[rows], t_in[rows], t_ex[rows], t_pause[rows], d_r[rows], ones, ones, ones)
        )
        fit, good = _fit_junctions(
            np.concatenate(t_parts, axis=1),
            np.concatenate(y_parts, axis=1),
            np.concatenate(w_parts, axis=1),
            np.column_stack((start, np.zeros((rows.size, 2)))),
            gamma[rows],
            prev_gamma[rows],
        )
        rows, fit = rows[good], fit[good]
        t_in[rows], t_ex[rows], t_pause[rows] = fit[:, 1], fit[:, 2], fit[:, 3]

    def _shapes_before(
        self, fitted: FloatArray, settled: NDArray[np.bool_], forgets: Sequence[int]
    ) -> FloatArray:
        """The fall shape each breath is timed with: the median of the shapes fitted freely
        to the ``_SHAPE_BREATHS`` breaths before it (kept from update to update); 1 before
        the first. ``fitted`` and ``settled`` are the free fits' shapes, in breath order, and
        whether they held; ``forgets`` each breath's :attr:`_Pending.forgets`.

        The shapes of breaths the detector has since forgotten (the noise's, before the first
        breath: :meth:`_forget`) are dropped here, in breath order, and not when the detector
        forgot them: the breaths before in the same update are fitted only now, and dropped
        then, their shapes would time the first breath when it came in the same update as
        they did, but not when it came in a later one (a 6/min belt at 25 dB had its first
        exhale onset at 5.25 s fed whole and at 4.75 s fed in 250 ms chunks; truth 4.80 s).
        """
        out = []
        for shape, held, epoch in zip(fitted.tolist(), settled.tolist(), forgets, strict=True):
            if epoch != self._shapes_epoch:
                self._shapes.clear()
                self._shapes_epoch = epoch
            out.append(_median(self._shapes) if self._shapes else 1.0)
            if held:
                self._shapes.append(shape)
        return np.array(out, dtype=np.float64)

    def _block_means(self, edges: FloatArray, conf: FloatArray) -> FloatArray:
        """Means of the raw signal between consecutive ``edges`` (rows of fractional sample
        indices), each row clipped to the samples there were at its ``conf``.

        The sum of the sample-and-hold signal (sample i held over [i - 0.5, i + 0.5)) up to
        each edge is S(u) at u = edge + 0.5, where S(k) = sum of the samples before k, linear
        between integers. The edges stay within the buffer (its first sample only serves as
        S's origin) and before the confirming sample's end, so the sums never depend on how
        much later data the buffer happens to hold.
        """
        u = np.clip(edges, self._buf_start + 0.5, conf[:, None]) + 0.5
        whole = u.astype(np.intp)
        cum = self._cum
        lo_s = cum[whole - 1 - self._buf_start]
        hi_s = cum[whole - self._buf_start]
        c = lo_s + (u - whole) * (hi_s - lo_s)
        span = np.diff(u, axis=1)
        blocks: FloatArray = np.diff(c, axis=1) / np.maximum(span, 1e-9) + self._cum_ref
        empty = span <= 1e-9
        if empty.any():
            # A block clipped away entirely (the recording's start, or past the confirming
            # sample): the nearest sample stands for it.
            near = np.rint(u[:, :-1] - 0.5).astype(np.intp) - self._buf_start
            blocks[empty] = self._raw[np.clip(near[empty], 0, self._buf_len - 1)]
        return blocks

    # --------------------------------------------------------------------------- buffer

    def _window(self, a: int, b: int) -> FloatArray:
        """Filtered samples ``a..b`` inclusive (absolute indices)."""
        return self._buf[a - self._buf_start : b + 1 - self._buf_start]

    def _reserve(self, n: int) -> int:
        """Make room for ``n`` new samples at the end of the buffers, dropping what is no longer
        read; returns the buffer index the first of them goes to.

        Later steps read samples after ``_pos``, around the running maximum (the peak being
        sought) and from the open peak on, and never more than ``history_n`` before the sample
        they run at (which is after ``_pos``).
        """
        if self._buf_len + n > self._buf.size:
            keep = self._pos + 1
            if self._mode != _SEEK_TROUGH:
                keep = min(keep, self._hi_idx - self._lead)
            if self._peak is not None:
                keep = min(keep, self._peak.raw_idx)
            # A stall steps through the wait again, from the last turning point (or the
            # history limit), and refinement then looks back up to history_n from there.
            keep = min(keep, max(self._last_conf, self._pos + 1 - self._history_n))
            keep = max(keep - self._history_n, self._buf_start)
            drop = keep - self._buf_start
            live = self._buf_len - drop
            size = max(2 * (live + n), 1024)
            buf = np.empty(size, dtype=np.float64)
            raw = np.empty(size, dtype=np.float64)
            buf[:live] = self._buf[drop : self._buf_len]
            raw[:live] = self._raw[drop : self._buf_len]
            cum = np.empty(size, dtype=np.float64)
            cum[:live] = self._cum[drop : self._buf_len]
            self._buf, self._raw, self._cum = buf, raw, cum
            self._buf_start, self._buf_len = keep, live
        return self._buf_len

    def _extend_sum(self, lo: int, hi: int) -> None:
        """Continue the running sum ``_cum`` over the new raw samples at ``lo:hi``.

        np.add.accumulate runs left to right, so starting from the previous total continues
        the one sequential sum (from 0 for the first samples: 0 + x, which is x but for the
        sign of a zero).
        """
        if self._n == 0:
            self._cum_ref = float(self._raw[lo])
        run = self._cum[max(lo - 1, 0) : hi]
        np.subtract(self._raw[lo:hi], self._cum_ref, out=self._cum[lo:hi])
        if lo == 0:
            run[0] += 0.0
        np.add.accumulate(run, out=run)


def _turning_points(y: FloatArray, prev: float) -> NDArray[np.intp]:
    """Indices where the direction of ``y`` (preceded by ``prev``) changes.

    Flat steps continue the previous direction (a flat start stays 0, which at worst adds a
    point). Between consecutive turning points, and the end, ``y`` is monotone, which is what
    lets the tracker skip every other sample.
    """
    if not np.equal(y[1:], y[:-1]).any():
        # No flat step inside y (the usual case with any noise): rising or not is the
        # direction, and comparisons are far cheaper than forming the differences.
        up = np.empty(y.size, dtype=bool)
        up[0] = y[0] > prev
        np.greater(y[1:], y[:-1], out=up[1:])
        if y[0] != prev:
            return np.flatnonzero(up[:-1] != up[1:])
        # A flat first step (the very first sample, whose "previous" is itself) has no
        # direction, which differs from any direction that follows: a point at 0.
        rest = np.flatnonzero(up[1:-1] != up[2:]) + 1
        return np.concatenate((np.zeros(1, dtype=rest.dtype), rest))
    ext = np.concatenate(((prev,), y))
    sign = np.sign(ext[1:] - ext[:-1])
    if not sign.all():
        filled = np.where(sign != 0, np.arange(y.size), -1)
        np.maximum.accumulate(filled, out=filled)
        sign = np.where(filled >= 0, sign[np.maximum(filled, 0)], 0.0)
    return np.flatnonzero(sign[:-1] != sign[1:])


def _fit_rises(
    y: FloatArray, lo: float, hi: float
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Start and duration, in points, of the raised-cosine rise that best fits each row of ``y``.

    Each row is a rise scaled to 0 (bottom) .. 1 (top). The fitted points are the last
    contiguous run strictly between ``lo`` and ``hi`` before the row first reaches ``hi``.
    For ``y = (1 - cos(pi (u - u0) / D)) / 2`` the phase ``theta = acos(1 - 2 y)`` equals
    ``pi (u - u0) / D``; the line is fitted by least squares with weights ``sin(theta)^2``
    (noise ``e`` in ``y`` moves ``theta`` by ``2 e / sin(theta)``, so these are the inverse
    variances). Returns ``u0``, ``D`` and whether the fit holds (at least 4 points, rising).
    """
    n = y.shape[1]
    col = np.arange(n)
    above = y >= hi
    has_top = above.any(axis=1)
    top = np.where(has_top, above.argmax(axis=1), 0)
    low = (y <= lo) & (col < top[:, None])
    bottom = np.where(low.any(axis=1), n - 1 - low[:, ::-1].argmax(axis=1), -1)
    run = (col > bottom[:, None]) & (col < top[:, None])
    z = np.clip(1.0 - 2.0 * y, -1.0, 1.0)
    theta = np.arccos(z)
    w = (1.0 - z * z) * run  # sin(theta)^2, without the sine
    u = col.astype(np.float64)
    sw = w.sum(axis=1)
    # Row sums, not matrix products: the same for a row whatever the others (module notes).
    wu = w * u
    su = wu.sum(axis=1)
    st = (w * theta).sum(axis=1)
    suu = (wu * u).sum(axis=1)
    sut = (wu * theta).sum(axis=1)
    det = sw * suu - su * su
    ok = has_top & (run.sum(axis=1) >= 4) & (det > 0.0)
    safe_det = np.where(ok, det, 1.0)
    k = (sw * sut - su * st) / safe_det
    ok &= k > 0.0
    k = np.where(ok, k, 1.0)
    c = (st - k * su) / np.where(ok, sw, 1.0)
    return -c / k, math.pi / k, ok


def _rise(
    t: FloatArray, a: FloatArray, b: FloatArray, *, since: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """A raised-cosine rise from 0 at ``a`` to 1 at ``b``, ``(1 - cos(pi u)) / 2`` with ``u =
    (t - a) / (b - a)`` (0 outside ``[a, b)``), and its derivative by ``u``.

    Both come from one tangent of the half angle, ``h = tan(pi u / 2)``: the shape is
    ``h^2 / (1 + h^2)`` and the derivative ``pi h / (1 + h^2)`` (the half-angle identities).
    numpy's float64 tangent is vectorised where its sine and cosine are not, which makes
    this several times cheaper than the two of them. ``since`` is ``t - a`` where the caller
    has it already (its Jacobian needs it too). The arithmetic runs in place, in the same
    order as the formulas (the same numbers as with temporaries).
    """
    # Before a, u is clipped to 0, h is 0 and both outputs 0 without a mask; after b, u is
    # clipped to 1 (so that h stays finite) and the mask zeroes them.
    on = t < b
    h = np.clip((t - a if since is None else since) / (b - a), 0.0, 1.0)
    h *= 0.5 * math.pi
    np.tan(h, out=h)
    h2 = h * h
    q = h2 + 1.0
    np.divide(on, q, out=q)
    h2 *= q  # h^2 q
    h *= math.pi
    h *= q  # (pi h) q
    return h2, h


def _fall(
    t: FloatArray,
    b: FloatArray,
    c: FloatArray,
    gamma: FloatArray,
    *,
    by_shape: bool = True,
    since: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """A fall from 1 at ``b`` to 0 at ``c``, ``(1 + cos(pi u^gamma)) / 2`` with ``u = (t - b) /
    (c - b)`` (0 outside ``[b, c)``), its derivative by ``u`` and (if ``by_shape``, else
    ``None``) by ``gamma``.

    ``gamma = 1`` is the raised cosine; below 1 the fall is steep at first and ends in a long
    slow tail, as a passive exhale does (the lung empties like a discharging capacitor), above
    1 the other way round. The slope is 0 at both ends for any ``gamma`` above 1/2. As in
    :func:`_rise`, the cosine and sine come from ``h = tan(pi v / 2)``, ``v = u^gamma``:
    ``(1 + cos(pi v)) / 2 = 1 / (1 + h^2)`` and ``sin(pi v) = 2 h / (1 + h^2)``. ``since`` is
    ``t - b`` where the caller has it already; as in :func:`_rise`, in place.
    """
    on = (t >= b) & (t < c)
    u = np.clip((t - b if since is None else since) / (c - b), 1e-12, 1.0)
    log_u = np.log(u)
    v = gamma * log_u
    np.exp(v, out=v)  # u ** gamma, with the logarithm the shape's derivative needs
    h = (0.5 * math.pi) * v
    np.tan(h, out=h)
    shape = h * h
    shape += 1.0
    np.divide(on, shape, out=shape)
    sin = h
    sin *= 2.0
    sin *= shape  # sin(pi v) = (2 h) shape
    sin *= -0.5 * math.pi
    by_u = sin * gamma
    by_u *= v
    by_u /= u  # (-pi/2) sin gamma v / u, left to right
    by_gamma = None
    if by_shape:
        sin *= v
        sin *= log_u
        by_gamma = sin  # (-pi/2) sin v log(u)
    return shape, by_u, by_gamma


@functools.cache
def _eye(size: int) -> FloatArray:
    """The identity matrix of ``size``, read-only and made once (the fits' ridge)."""
    eye = np.eye(size)
    eye.flags.writeable = False
    return eye


def _gauss_newton_step(
    p: FloatArray,
    jac: FloatArray,
    resid: FloatArray,
    w: FloatArray,
    prior: FloatArray | None = None,
    anchor: FloatArray | None = None,
) -> FloatArray:
    """One robust Gauss-Newton step for each row: ``p`` plus the weighted least-squares step.

    Points are weighted by ``w`` times Tukey's biweight of their residual in robust standard
    deviations (cut-off ``_BIWEIGHT_C``). A relative ridge (and an absolute one for a column
    of zeros) keeps every row positive definite, so that no row can make the batched solve
    fail for the others; ``prior`` adds, per parameter, a ridge of that weight relative to
    what the data say of it, towards ``anchor``. The sums run per row (a stacked matmul
    multiplies each row's own matrices), so a row's step does not depend on the other rows in
    the call.
    """
    # The median by a row sort: for rows this short numpy sorts several times faster than
    # np.median partitions, and the two middle values give the same number.
    ordered = np.sort(np.abs(resid), axis=1)
    m = ordered.shape[1]
    median = 0.5 * (ordered[:, (m - 1) // 2] + ordered[:, m // 2])
    scale = 1.4826 * median[:, None] + 1e-12
    u = resid / (_BIWEIGHT_C * scale)
    # The biweight (1 - u^2)^2 for |u| < 1, else 0: |u| < 1 exactly where 1 - u^2 > 0 (u^2
    # rounds below 1 for every |u| < 1), so clipping 1 - u^2 at 0 selects as a mask would, in
    # fewer passes; fmax also takes a NaN to 0, as the mask did.
    biweight = u * u
    np.subtract(1.0, biweight, out=biweight)
    np.fmax(biweight, 0.0, out=biweight)
    np.square(biweight, out=biweight)
    biweight *= w
    jw = jac * biweight[:, None, :]
    normal = np.matmul(jw, jac.transpose(0, 2, 1))
    diagonal = normal.diagonal(axis1=1, axis2=2).copy()
    ridge = 1e-9 * diagonal + 1e-12
    rhs = np.matmul(jw, resid[:, :, None])[:, :, 0]
    if prior is not None and anchor is not None:
        ridge = ridge + prior * diagonal
        rhs -= prior * diagonal * (p - anchor)
    normal += ridge[:, :, None] * _eye(p.shape[1])
    step: FloatArray = np.linalg.solve(normal, rhs[:, :, None])[:, :, 0]
    return p + step


def _fit_breaths(
    t: FloatArray,
    y: FloatArray,
    w: FloatArray,
    start: FloatArray,
    *,
    free_shape: bool,
    steps: int,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Whole-breath robust fit: a raised-cosine rise and a fall through one peak.

    Each row of ``t`` / ``y`` / ``w`` holds one breath's points (times, levels with the
    baseline off and scaled by the depth, weights). The model is ``y = beta + eta s(t)``
    with ``s`` rising as a raised cosine from 0 at ``a`` to 1 at ``b``, falling back to 0 at
    ``c`` as :func:`_fall` with shape ``gamma``, and 0 outside: the three times, an offset
    left in the baseline, the depth and (if ``free_shape``) the fall's shape, fitted by
    iteratively reweighted Gauss-Newton (:func:`_gauss_newton_step`, ``steps`` steps)
    from ``start`` (per row ``a, b, c, gamma``). Sharing ``b`` between the phases is what
    the separate phase fits lack, and ``b`` weighs most in the exhale:inhale ratio. Returns,
    per row, ``a, b, c, beta, eta, gamma`` and whether the fit stayed finite and ordered
    (``a < b < c``); a row whose step would break that keeps its last good values and is
    reported as not good.
    """
    n = t.shape[0]
    p = np.zeros((n, 6))
    p[:, [0, 1, 2, 5]] = start
    p[:, 4] = 1.0
    good = np.ones(n, dtype=bool)
    # Filled in place each step (a fit is mostly one breath, live, where numpy's per-call cost
    # is most of its time); the offset's column is ones, and a held shape's stays zeros,
    # which the step's absolute ridge keeps solvable.
    jac = np.zeros((n, 6, t.shape[1]))
    jac[:, 3] = 1.0
    for _ in range(steps):
        pa, pb, pc, beta, eta, gamma = p.T[:, :, None]
        d_r, d_f = pb - pa, pc - pb
        r2, f2 = d_r * d_r, d_f * d_f
        since_a, since_b = t - pa, t - pb
        rise, g_r = _rise(t, pa, pb, since=since_a)
        fall, g_f, by_gamma = _fall(t, pb, pc, gamma, by_shape=free_shape, since=since_b)
        g_r *= eta
        g_f *= eta
        # Written in place, each column as g_r (t - pb) / d_r^2 - ... would give it: a
        # negation and x + (-y) = x - y are exact, so these are the same numbers.
        s = np.add(rise, fall, out=jac[:, 4])
        np.multiply(g_r, since_b, out=jac[:, 0])
        jac[:, 0] /= r2
        to_c = t - pc
        to_c *= g_f
        to_c /= f2  # g_f (t - pc) / d_f^2
        since_a *= g_r
        since_a /= r2  # g_r (t - pa) / d_r^2
        np.subtract(to_c, since_a, out=jac[:, 1])
        since_b *= g_f
        since_b /= f2  # g_f (t - pb) / d_f^2
        np.negative(since_b, out=jac[:, 2])
        if by_gamma is not None:
            np.multiply(eta, by_gamma, out=jac[:, 5])
        model = eta * s
        model += beta
        nxt = _gauss_newton_step(p, jac, np.subtract(y, model, out=model), w)
        nxt[:, 5] = np.clip(nxt[:, 5], *_GAMMA_RANGE)
        ordered = np.isfinite(nxt).all(axis=1) & (nxt[:, 0] < nxt[:, 1]) & (nxt[:, 1] < nxt[:, 2])
        good &= ordered
        p = np.where(ordered[:, None], nxt, p)
    return p, good


def _traded_rise(
    t: FloatArray, y: FloatArray, t0: FloatArray, dur: FloatArray, fit: FloatArray
) -> NDArray[np.bool_]:
    """Whether whole-breath fits have traded the rise for a fall the model cannot follow.

    Each row of ``t`` / ``y`` holds one breath's rise: block centres (fractional sample
    indices) and unsmoothed block levels, baseline off and scaled by the depth; ``t0`` and
    ``dur`` are the rise's own raised-cosine phase fit (:func:`_fit_rises`), ``fit`` the
    whole-breath fit's ``a, b, c, beta, eta, gamma`` (:func:`_fit_breaths`). The whole-breath
    fit shares an offset and a depth between the phases; a fall unlike its model (an exhale
    that stops on a shelf partway down and then falls on to the trough) drags them, and the
    rise's start with them, up the rise (module notes, step 6). Such a fit fits the rise far
    worse than the rise's own fit does: its squared residual over the rise's blocks is more
    than ``_TRADED_FIT`` times the phase fit's, and its inhale onset lies more than
    ``_TRADED_SHIFT`` of the rise from the phase fit's. On the synthetic belts of
    ``benchmarks/validate_breath.py`` (20-40 dB, ratios 1-3, pause or none, raised-cosine and
    passive exhales, 6000 breaths) the residual ratio's 99th percentile is 2.0-4.6, the
    shift's 0.01-0.24 (20 dB), and no breath has both (the validation tables do not change;
    at 5 times and 0.05, two 20 dB breaths were dropped and their ratio errors grew); on the
    shelved exhales of synthetic belts (a fall of 70-80 % of the depth, a 0.8-1.2 s hold, the
    rest of the fall) the ratio is 30-3000 with shifts of 0.07-0.22, and on NeuroKit2
    ``bio_resting_8min`` 32 with 0.73 (the breath at 484.9 s). On the three NeuroKit2 belts
    3 of 201 breaths are dropped.
    """
    u = np.clip((t - t0[:, None]) / dur[:, None], 0.0, 1.0)
    alone = 0.5 * (1.0 - np.cos(math.pi * u))
    a, b, c, beta, eta, gamma = (fit[:, j : j + 1] for j in range(6))
    rise, _ = _rise(t, a, b)
    fall, _, _ = _fall(t, b, c, gamma, by_shape=False)
    whole = beta + eta * (rise + fall)
    worse = ((y - whole) ** 2).sum(axis=1) > _TRADED_FIT * ((y - alone) ** 2).sum(axis=1)
    out: NDArray[np.bool_] = worse & (np.abs(fit[:, 0] - t0) > _TRADED_SHIFT * dur)
    return out


def _fit_junctions(
    t: FloatArray,
    y: FloatArray,
    w: FloatArray,
    start: FloatArray,
    gamma: FloatArray,
    gamma_prev: FloatArray,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Whole-breath fit of a breath between two breaths it meets without a pause.

    Each row holds the points of the previous breath's fall, the breath and the start of the
    next rise (times, levels with the baseline off and scaled by the depth, weights). The
    model is ``beta + kappa v(t) + h_p F(t) + eta S(t) + h_n R(t)``: the previous fall ``F``
    from its peak ``b_p`` down to 0 at ``a`` (shape ``gamma_prev``), the breath ``S`` as in
    :func:`_fit_breaths` (``a, b, c``, shape ``gamma``), and the next rise ``R`` from 0 at
    ``c`` over ``d_n``. The previous exhale ends where this inhale starts, and this exhale
    where the next inhale starts: the two corners that decide the inhale's and the exhale's
    durations are each seen from both sides. Both corners also pin the baseline, so besides
    its offset ``beta`` its tilt ``kappa`` is fitted (``v`` runs from -1/2 at the starting
    ``a`` to 1/2 at the starting ``c``): the line through the two trough levels that was
    taken off carries their noise, and a tilt trades the inhale's length against the
    exhale's. ``start`` holds, per row, ``b_p, a, b, c, d_n, h_p, eta, h_n, beta, kappa``;
    the next rise is seen only in part (up to the sample that confirmed the breath), so its
    duration and depth are held near their starting values by a weak prior
    (``_NEXT_PRIOR``). Returns the fitted parameters and whether each row stayed finite and
    ordered.
    """
    p = start.copy()
    good = np.ones(t.shape[0], dtype=bool)
    prior = np.zeros(10)
    prior[4] = prior[7] = _NEXT_PRIOR
    g_prev, g_this = gamma_prev[:, None], gamma[:, None]
    v = (t - 0.5 * (start[:, 1:2] + start[:, 3:4])) / (start[:, 3:4] - start[:, 1:2])
    for _ in range(_GN_STEPS):
        bp, pa, pb, pc, dn, hp, eta, hn, beta, kappa = p.T[:, :, None]
        d_p, d_r, d_f = pa - bp, pb - pa, pc - pb
        f_prev, by_u_prev, _ = _fall(t, bp, pa, g_prev, by_shape=False)
        f_prev = f_prev + (t < bp)
        g_p = hp * by_u_prev
        rise, by_u_rise = _rise(t, pa, pb)
        fall, by_u, _ = _fall(t, pb, pc, g_this, by_shape=False)
        g_r, g_f = eta * by_u_rise, eta * by_u
        s = rise + fall
        r_next, by_u_next = _rise(t, pc, pc + dn)
        r_next = r_next + (t >= pc + dn)
        g_n = hn * by_u_next
        jac = np.stack(
            (
                g_p * (t - pa) / (d_p * d_p),
                -g_p * (t - bp) / (d_p * d_p) + g_r * (t - pb) / (d_r * d_r),
                -g_r * (t - pa) / (d_r * d_r) + g_f * (t - pc) / (d_f * d_f),
                -g_f * (t - pb) / (d_f * d_f) - g_n / dn,
                -g_n * (t - pc) / (dn * dn),
                f_prev,
                s,
                r_next,
                np.ones_like(t),
                v,
            ),
            axis=1,
        )
        resid = y - (beta + kappa * v + hp * f_prev + eta * s + hn * r_next)
        new = _gauss_newton_step(p, jac, resid, w, prior, start)
        ordered = np.isfinite(new).all(axis=1) & (new[:, 0] < new[:, 1])
        ordered &= (new[:, 1] < new[:, 2]) & (new[:, 2] < new[:, 3]) & (new[:, 4] > 0.0)
        good &= ordered
        p = np.where(ordered[:, None], new, p)
    return p, good


@functools.lru_cache(maxsize=64)
def _detection_lowpass(cutoff_hz: float, fs_hz: float) -> tuple[FloatArray, float]:
    """The detection low-pass (module notes, step 1) and its group delay at ``_DELAY_REF_HZ``, s.

    Designed once per setting and shared (SciPy's design takes as long as filtering a few
    minutes of belt): every tracker, and every detector resumed after a hole, has one.
    Read-only; :class:`analysis.filters.StreamingSOS` keeps a copy.
    """
    sos = lowpass_sos(cutoff_hz, fs_hz, 2)
    sos.setflags(write=False)
    return sos, group_delay_s(sos, fs_hz, _DELAY_REF_HZ)


@functools.cache
def _noise_band_sos(fs_hz: float) -> FloatArray | None:
    """The stalls' noise band-pass (``_NOISE_BAND_HZ``, 2nd-order Butterworth) at ``fs_hz``.

    Designed at the first stall (or test of a breath before the first against the noise,
    :meth:`BreathTracker._band_noise`) that needs it and shared; None if ``fs_hz`` leaves no
    room for the band (the upper edge comes down to ``0.45 fs_hz``).
    """
    high_hz = min(_NOISE_BAND_HZ[1], 0.45 * fs_hz)
    if high_hz <= 1.5 * _NOISE_BAND_HZ[0]:
        return None
    # Left writable: SciPy's compiled filter loop will not take a read-only array.
    return bandpass_sos(_NOISE_BAND_HZ[0], high_hz, fs_hz, 2)


def _median(values: Iterable[float]) -> float:
    """Median of a few numbers (``statistics.median`` semantics), without numpy's overhead."""
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return float(ordered[mid]) if n % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _savgol(w: FloatArray, half: int) -> FloatArray:
    """``w`` smoothed by a quadratic Savitzky-Golay fit over ``2 half + 1`` samples.

    The ``half`` samples at each end repeat the nearest full fit (``half`` shrinks to fit
    ``w``; below 2, a copy of ``w``).
    """
    half = min(half, (w.size - 1) // 2)
    if half < 2:
        return w.copy()
    # correlate (the kernel is symmetric): np.convolve would only add a call around it.
    inner = np.correlate(w, _savgol_kernel(half), mode="valid")
    # Indices clipped into `inner` repeat its ends: the edges in one call.
    out: FloatArray = inner.take(np.arange(-half, w.size - half), mode="clip")
    return out


@functools.cache
def _savgol_kernel(half: int) -> FloatArray:
    """Savitzky-Golay smoothing weights, quadratic fit over offsets ``-half..half``.

    ``c_k = 3 (3 h^2 + 3 h - 1 - 5 k^2) / ((2 h - 1)(2 h + 1)(2 h + 3))`` (Savitzky & Golay
    1964, table I, in closed form); symmetric, so convolution and correlation agree.
    """
    k = np.arange(-half, half + 1, dtype=np.float64)
    h = float(half)
    norm = (2.0 * h - 1.0) * (2.0 * h + 1.0) * (2.0 * h + 3.0)
    kernel: FloatArray = 3.0 * (3.0 * h * h + 3.0 * h - 1.0 - 5.0 * k * k) / norm
    kernel.setflags(write=False)
    return kernel


def _last_index(mask: NDArray[np.bool_]) -> int:
    """Index of the last True in ``mask``, or -1.

    One ``nonzero`` call: on the few hundred samples of a corner it takes about half the time
    of an ``argmax`` over the reversed mask (which walks it backwards) and the checks around it.
    """
    hits = mask.nonzero()[0]
    return int(hits[-1]) if hits.size else -1


def _crossings(w: FloatArray, j1: int, l1: float, j2: int, l2: float) -> tuple[float, float]:
    """Fractional indices where the segments ``w[j] -> w[j + 1]`` meet the levels.

    ``j = -1`` gives 0 and ``j >= len(w) - 1`` gives ``j`` (no crossing inside ``w``).
    """
    last = w.size - 1
    return _crossing(w, j1, l1, last), _crossing(w, j2, l2, last)


def _crossing(w: FloatArray, j: int, level: float, last: int) -> float:
    """:func:`_crossings` for one level (``last`` is ``len(w) - 1``)."""
    if j < 0:
        return 0.0
    if j >= last:
        return float(j)
    w0, w1 = w.item(j), w.item(j + 1)
    return float(j) if w1 == w0 else j + (level - w0) / (w1 - w0)


def _value_at(s: FloatArray, t: float) -> float:
    """``s`` linearly interpolated at fractional index ``t`` (held constant beyond its ends)."""
    if t <= 0.0:
        return float(s.item(0))
    if t >= s.size - 1:
        return float(s.item(-1))
    j = int(t)
    s0: float = s.item(j)
    return s0 + (t - j) * (s.item(j + 1) - s0)


def _leave_valley(s: FloatArray, m: int, f1: float, k: float) -> tuple[float, float]:
    """Where the rise that ends ``s`` leaves the valley around ``s[m]`` (the minimum).

    The rise is the one at the end of ``s`` (the turning point was confirmed on it). Its
    valley starts after the last earlier sample above the end (sub-threshold breaths after a
    stall) and after the last bump above ``f2`` over the valley floor (an uneven pause), so
    both level crossings belong to the same rise. The onset is back-extrapolated from the
    crossings of ``+f1`` and ``+f2 = 4 f1`` above the floor, ``t1 - k (t2 - t1)``, with ``f1``
    lowered if need be to keep ``f2`` below how far the rise got. If the signal at the
    extrapolated point is not on the floor (an uneven valley, which the quadratic model does
    not fit), the onset is the last sample within ``f1 / 2`` of the floor instead.
    Returns the onset and the crossing of ``+f2`` it was extrapolated from, fractional indices
    into ``s``; for a peak, pass ``-s``.

    Implementation: each "last sample at or below a level" is one comparison and one search
    of the mask (:func:`_last_index`); a few dozen samples cost numpy's per-call overhead
    more than their work, so the fewest calls win (suffix extremes and binary searches on
    them, which this had been, took twice as long for the same indices).
    """
    tail = s[m:]
    end: float = tail.item(-1)
    # Usually nothing before the end lies above it (the rise ends the stretch).
    start = _last_index(tail > end) + 1 if tail.item(int(tail.argmax())) > end else 0
    region = tail[start:]
    m2 = int(region.argmin())
    floor: float = region.item(m2)
    f1 = min(f1, (end - floor) / (_LEVEL_HEADROOM * _ONSET_LEVEL_RATIO))
    f2 = _ONSET_LEVEL_RATIO * f1
    valley = region[m2:]
    low = valley <= floor + f2
    at_floor = low.nonzero()[0]
    j2 = int(at_floor[-1]) if at_floor.size else -1
    v = 0
    local = floor
    rise = valley
    if at_floor.size <= j2:
        # A sample above the upper level before its last crossing: the valley starts after it.
        v = _last_index(~low[:j2]) + 1
        local = float(valley[v : j2 + 1].min())
        rise = valley[v:]
        j2 = _last_index(rise <= local + f2)
    j1 = _last_index(rise <= local + f1)
    t1, t2 = _crossings(rise, j1, local + f1, j2, local + f2)
    base = m + start + m2 + v
    onset = base + t1 - k * (t2 - t1)
    if _value_at(s, onset) <= local + f1:
        return onset, base + t2
    last = _last_index(rise[: int(t1) + 1] <= local + 0.5 * f1)
    return float(base + max(last, 0)), base + t2


def _enter_valley(head: FloatArray, f1: float, f2: float, k: float) -> float:
    """Where the fall into the first valley within ``f2`` of ``head[-1]`` (the minimum) ends.

    Forward-extrapolated from the fall's crossings of ``+f2`` and ``+f1`` above that valley's
    own floor, ``u1 + k (u1 - u2)``; if the signal there is not on the floor, the first sample
    within ``f1 / 2`` of it. Fractional index into ``head``. (Binary searches on the prefix
    minimum, as in :func:`_leave_valley`.)
    """
    bottom = float(head[-1])
    neg_prefix_min = -np.minimum.accumulate(head)
    i = int(neg_prefix_min.searchsorted(-(bottom + f2), side="left"))
    e = head.size
    local = bottom
    if float(head[i:].max()) > bottom + f2:
        # The signal went back up after entering the first valley: that valley ends there.
        e = i + int((head[i:] > bottom + f2).argmax())
        local = float(head[i:e].min())
    valley = head[:e]
    j1, j2 = (
        neg_prefix_min[:e].searchsorted((-(local + f1), -(local + f2)), side="left") - 1
    ).tolist()
    u1, u2 = _crossings(valley, j1, local + f1, j2, local + f2)
    end = u1 + k * (u1 - u2)
    if _value_at(valley, end) <= local + f1:
        return end
    return float(int(u1) + int((valley[int(u1) :] <= local + 0.5 * f1).argmax()))


def detect_breaths(
    x: ArrayLike,
    fs_hz: float,
    *,
    t0_s: float = 0.0,
    cutoff_hz: float = 1.0,
    rel_delta: float = 0.3,
    min_delta: float = 0.0,
    n_depths: int = 5,
    onset_fraction: float = 0.05,
    min_breath_s: float = MIN_BREATH_S,
    stall_s: float = 25.0,
    history_s: float = 60.0,
    artifact_low: float = 0.25,
    artifact_high: float = 4.0,
    progress: ProgressCallback | None = None,
) -> list[Breath]:
    """Detect the breaths of a whole belt recording.

    Exactly what a :class:`BreathTracker` with the same parameters emits when fed ``x`` in any
    chunking (it is one tracker fed the whole array, or with ``progress`` the same array in
    :data:`analysis.progress.REPORTS` parts, which gives the same breaths).

    Parameters
    ----------
    x : array_like, shape (n,)
        Belt signal (rises on inhale), any units, finite.
    fs_hz : float
        Sampling rate, Hz.
    t0_s : float
        Time of the first sample, s.
    cutoff_hz, rel_delta, min_delta, n_depths, onset_fraction, min_breath_s, stall_s, history_s,
    artifact_low, artifact_high
        See :class:`BreathTracker`.
    progress : callable, optional
        Told the fraction of the samples fed (:mod:`analysis.progress`): hours of a belt are
        seconds of work.

    Returns
    -------
    list of Breath
        Every breath whose end was confirmed within the recording, in order. A breath cut by the
        start of the recording (its inhale onset not preceded by an exhale) is not reported,
        nor is the last one (its end is never confirmed).

    Raises
    ------
    ValueError
        If ``x`` is not one-dimensional or holds a non-finite value, or a setting is one
        :class:`BreathTracker` refuses.

    Examples
    --------
    A belt at 6 breaths/min (any units), in- and out-breath equally long:

    >>> import numpy as np
    >>> fs_hz = 25.0
    >>> t_s = np.arange(0.0, 120.0, 1.0 / fs_hz)
    >>> belt = 2.0 + np.sin(2 * np.pi * 0.1 * t_s)
    >>> breaths = detect_breaths(belt, fs_hz)
    >>> len(breaths), round(float(np.median([b.rate_bpm for b in breaths])), 1)
    (11, 6.0)
    >>> b = breaths[2]
    >>> round(b.inhale_s, 1), round(b.exhale_s, 1), round(b.ratio, 2), b.quality
    (5.0, 5.0, 1.0, 'good')
    """
    tracker = BreathTracker(
        fs_hz,
        t0_s=t0_s,
        cutoff_hz=cutoff_hz,
        rel_delta=rel_delta,
        min_delta=min_delta,
        n_depths=n_depths,
        onset_fraction=onset_fraction,
        min_breath_s=min_breath_s,
        stall_s=stall_s,
        history_s=history_s,
        artifact_low=artifact_low,
        artifact_high=artifact_high,
    )
    samples = np.asarray(x, dtype=np.float64)
    if samples.ndim != 1:
        # BreathTracker.update's rule, said before fed_in_parts counts the samples (a 0-d
        # input raised IndexError there).
        raise ValueError(f"x must be one-dimensional, got shape {samples.shape}")
    return fed_in_parts(tracker.update, samples, progress)


def fed_in_parts(
    update: Callable[[FloatArray], list[Breath]],
    samples: FloatArray,
    progress: ProgressCallback | None,
) -> list[Breath]:
    """The breaths a streaming tracker's ``update`` gives for ``samples`` (first axis: time),
    fed whole, or with ``progress`` in :data:`analysis.progress.REPORTS` parts, telling it the
    fraction fed after each. The trackers give the same breaths in any chunking
    (:class:`BreathTracker`, :class:`analysis.acc_breath.AccBreathTracker`), so the parts
    change no result; ``progress`` ends at 1.0.

    Examples
    --------
    Two minutes of belt fed in parts with a progress callback: the breaths of feeding it
    whole, and the progress ends at 1.0:

    >>> import numpy as np
    >>> fs_hz = 25.0
    >>> belt = np.sin(2 * np.pi * 0.1 * np.arange(0.0, 120.0, 1.0 / fs_hz))
    >>> fractions = []
    >>> breaths = fed_in_parts(BreathTracker(fs_hz).update, belt, fractions.append)
    >>> len(breaths), breaths == detect_breaths(belt, fs_hz), fractions[-1]
    (11, True, 1.0)
    """
    n = samples.shape[0]
    if progress is None or n == 0:
        whole = update(samples)
        if progress is not None:
            progress(1.0)
        return whole
    steps = ProgressSteps(progress)
    stride = max(-(-n // REPORTS), 1)
    found: list[Breath] = []
    for start in range(0, n, stride):
        found += update(samples[start : start + stride])
        steps(min(start + stride, n) / n)
    steps.done()
    return found


_OVERLAP_NOISE = 0.1
"""A fall whose fitted end lies after the next inhale onset by up to this fraction of the
breath is the two fits' noise on one corner (95th percentile 62 ms at 30 dB without a pause):
the corner goes between them. Beyond it the fall was fitted into the next rise (on NeuroKit2
``bio_resting_8min``, up to 1.05 s, a third of the breath), and the next onset stands."""


def settle_ends(breaths: Sequence[Breath]) -> list[Breath]:
    """End each breath where the next one's inhale onset was measured: for a whole recording.

    A breath is emitted once its end trough is confirmed, when only the start of the next rise
    is in the data: its ``end_s`` (and so ``pause_s``) comes from the corner rule (module
    notes, step 5), while the next breath's ``inhale_onset_s`` comes later from the whole rise
    (step 6) and is the better estimate of the same instant. With the recording complete,
    this takes it: ``end_s`` becomes the next inhale onset, ``pause_s`` the time from the
    pause start (``exhale_onset_s + exhale_s``, unchanged) to it, and ``rate_bpm`` ``60 /
    (end_s - inhale_onset_s)``, so that the breaths tile the recording and every number is
    reproducible from the onsets. The last breath, and one whose next breath began after it was
    emitted (``inhale_onset_s > detected_s``: not the breath whose start ended it, but one of
    a detector restarted after a hole in the data), keep their own end and rate. A breath's
    end trough is confirmed on the next rise, so the next breath of the same detector always
    begins before it is emitted (none of 10,997 consecutive pairs of the validation's belts at
    15-30 dB and of the real ones did otherwise), while a restarted detector's first breath
    begins after every sample before the hole. The rule had been a next onset within half the
    breath's duration of its end: in a long, noisy post-exhale pause the corner rule ends a
    breath where the pause wanders up, seconds before the next onset, and that breath kept its
    early end (at 25 Hz, 6/min, a 40 % pause, 25 dB: a pause of 0.11 s for a true 3.84 s, 10.6
    breaths/min for 6.4, and a gap in the table; 123 of those 10,997 pairs lay beyond that
    reach, every one of 9 recordings with a 40 % pause at 25 dB had 1-2).

    Where the next onset lies before the pause start (breathing without a pause: the fall's
    fit and the next rise's fit each place the one corner between them), by up to
    ``_OVERLAP_NOISE`` of the breath, the two are the same instant seen from two sides with
    noise, and it is put at their average weighted by the inverse square of the phase each
    comes from (this breath's exhale, the next one's inhale), as the module notes' exhale
    onset is (step 6); by more, the fall was fitted into the next rise and the next onset
    stands. Either way the exhale ends at the corner with no pause and the next inhale starts
    there. Before, within the noise the exhale was kept and the breath ran on into the next one
    (33 of 79 breaths by more than 50 ms on NeuroKit2 ``bio_resting_8min``, up to 0.64 s).

    A breath with a corner of the average at either end keeps the detector's ratio: the time
    from its (settled) inhale onset to its (settled) pause start is split ``1 : ratio`` and its
    exhale onset moves there (:func:`_split_at_ratio`). The detector's ratio is that of its two
    phase fits, so a shape that is not the fitted raised cosine stretches both alike and it
    holds, while the corner is an inhale onset and the exhale onset a peak, each biased its own
    way off that shape. Joining the two had given the ratios ``breathwise breaths`` prints 2-3
    times the detector's error on a cubic smoothstep ``3u^2 - 2u^3`` (at most 1 % of the depth
    from the raised cosine; review 40 F2): 3:1 without a pause, 10/min, noise-free, a breath
    of true inhale 1.520 s, exhale 4.223 s read 1.580 / 4.339 s live and 1.561 / 4.183 s settled.
    The exhale was fitted 24 ms late, the corner 15 ms early. Per-breath median |ratio error|
    (the reviewer's generator, 4-15/min, 3 seeds), settled before -> after (= live), without a
    pause: 2:1 0.047 -> 0.024 and 3:1 0.104 -> 0.033 noise-free, 0.045 -> 0.030 and 0.102 ->
    0.055 at 30 dB (1:1 and 1.5:1 0.009-0.023 -> 0.012-0.019);
    and with a 15 % pause, where the corner rarely applies, nothing moved. On the raised cosine
    itself the average had been a little better per breath and worse per session: on the
    belts of ``benchmarks/validate_breath.py`` without a pause (ratios 1-3, 4-15/min) at 30 dB
    (6 seeds) 0.0115-0.0447 against the detector's 0.0116-0.0452, which it now reads again; at
    20 dB (one seed) 0.037-0.147 against 0.040-0.153, while the session's median ratio was
    further off (largest error per case 0.017-0.114 against 0.013-0.050). A fall fitted into
    the next rise (beyond the noise) is not a bias of shape, and its cut exhale's ratio stays.

    The exhale onset of a breath with a corner is therefore the split's, not step 6's: on
    smoothstep without a pause its median error goes 23-28 -> 3-18 ms noise-free and 24-33 ->
    14-26 ms at 30 dB; on the raised cosine it goes 9-11 -> 9-12 ms at 30 dB and 29-38 -> 32-40
    ms at 20 dB.

    Measured on the validation's belts with a 15 % pause: the median pause error falls from 26 to
    12 ms at 40 dB, 81 to 32 ms at 30 dB and 317 to 106 ms at 20 dB (90th percentiles 321
    to 106 ms at 30 dB); the corner rule's end had been 23-257 ms from the true onset where
    the next breath's fitted onset was 5-44 ms.

    Not for the live path: the streaming tracker cannot wait for the next breath (batch and
    streaming give the same breaths *before* this step).

    Parameters
    ----------
    breaths : sequence of Breath
        Consecutive breaths of one recording, in order (:func:`detect_breaths`).

    Returns
    -------
    list of Breath
        The same breaths with settled ends; each settled breath's ``end_s`` is exactly the
        next breath's ``inhale_onset_s``.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 50.0
    >>> t = np.arange(0, 120, 1 / fs)
    >>> found = settle_ends(detect_breaths(np.sin(2 * np.pi * 0.1 * t), fs))
    >>> max(abs(a.end_s - b.inhale_onset_s) for a, b in zip(found, found[1:]))
    0.0
    >>> round(float(np.median([b.rate_bpm for b in found])), 2)
    6.0
    """
    out = list(breaths)
    # Breaths with a corner of the midpoint rule at either end, and those cut at the next onset.
    cornered = [False] * len(out)
    cut = [False] * len(out)
    for k in range(len(out) - 1):
        b, after = out[k], out[k + 1]
        nxt = after.inhale_onset_s
        if nxt > b.detected_s:
            # A restarted detector's breath (a hole in the data): nothing ties the two.
            continue
        pause_start = b.exhale_onset_s + b.exhale_s
        if nxt < pause_start:
            corner = nxt
            if pause_start - nxt <= _OVERLAP_NOISE * (b.end_s - b.inhale_onset_s):
                # One corner seen from both sides: each weighted by 1 / its phase's length^2.
                w_fall = 1.0 / max(b.exhale_s, 1e-9) ** 2
                w_rise = 1.0 / max(after.inhale_s, 1e-9) ** 2
                corner = (w_fall * pause_start + w_rise * nxt) / (w_fall + w_rise)
                cornered[k] = cornered[k + 1] = True
            else:
                cut[k] = True
            corner = min(max(corner, b.exhale_onset_s), after.exhale_onset_s)
            inhale_s = after.exhale_onset_s - corner
            out[k + 1] = replace(
                after,
                inhale_onset_s=corner,
                inhale_s=inhale_s,
                ratio=after.exhale_s / inhale_s if inhale_s > 0.0 else math.inf,
            )
            exhale_s = corner - b.exhale_onset_s
            b = replace(
                b,
                exhale_s=exhale_s,
                ratio=exhale_s / b.inhale_s if b.inhale_s > 0.0 else b.ratio,
            )
            nxt = pause_start = corner
        span_s = nxt - b.inhale_onset_s
        out[k] = replace(
            b,
            end_s=nxt,
            pause_s=nxt - pause_start,
            rate_bpm=60.0 / span_s if span_s > 0.0 else b.rate_bpm,
        )
    for k, (live, settled) in enumerate(zip(breaths, out, strict=True)):
        if cornered[k] and not cut[k]:
            out[k] = _split_at_ratio(settled, live.ratio)
    return out


def _split_at_ratio(b: Breath, ratio: float) -> Breath:
    """``b`` with its exhale onset moved so that its exhale:inhale ratio is ``ratio``.

    The inhale onset and the pause start stay where they are (:func:`settle_ends` put them);
    the time between them, inhale plus exhale, is split ``1 : ratio``. ``b`` as it is when
    ``ratio`` is not a finite positive number or that time is not positive.

    Parameters
    ----------
    b : Breath
        A settled breath.
    ratio : float
        The exhale:inhale ratio to keep: the detector's own, of its two phase fits.

    Returns
    -------
    Breath
        ``b`` with ``exhale_onset_s``, ``inhale_s``, ``exhale_s`` and ``ratio`` moved (s).
    """
    active_s = b.inhale_s + b.exhale_s
    if not (math.isfinite(ratio) and ratio > 0.0 and active_s > 0.0):
        return b
    inhale_s = active_s / (1.0 + ratio)
    exhale_s = active_s - inhale_s
    return replace(
        b,
        exhale_onset_s=b.inhale_onset_s + inhale_s,
        inhale_s=inhale_s,
        exhale_s=exhale_s,
        ratio=exhale_s / inhale_s,
    )
