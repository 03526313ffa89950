"""Breathing rate and phase from RR intervals alone (respiratory sinus arrhythmia).

Heart rate rises during inhale and falls during exhale (respiratory sinus arrhythmia, RSA), so a
heart-rate strap alone carries the breathing rhythm (docs/reference/physiology.md, "Without a
belt").

Method
------
Every ``step_s`` (5 s, on an absolute grid of beat-clock time) once beats cover it:

1. The last ``window_s`` (64 s) of beats: instantaneous heart rate ``60000 / nn_ms`` at the
   midpoint of each interval (:func:`analysis.beats.instantaneous_heart_rate`; Berger et al.
   1986: at the beat that ends it, the phase read 0.46 s late, -17 degrees at 6 breaths/min and
   -43 at 15), resampled at ``resample_hz`` (4 Hz) by linear interpolation (the usual HRV route,
   Task Force 1996), with its least-squares line removed (slow wander and trends). The latest
   midpoint lies half an interval before the latest beat; the rate is held from it to the
   window's end.
2. Spectrum: Hann window, zero-padded FFT (``nfft`` 2048 at 4 Hz, 0.002 Hz bins), whitened by
   ``f^3``: resting heart rate carries wander and Mayer waves (~0.1 Hz) whose power falls
   steeply with frequency and, unweighted, outshouts a breathing peak at 15/min (measured on
   the NeuroKit2 resting recording: 8 breaths/min read for 16.5). The breathing peak is the
   largest whitened bin within ``band_hz`` (0.05-0.5 Hz, 3-30 breaths/min), at most 0.4x the
   mean heart rate (beats sample the RSA wave: above half the beat rate it aliases); its
   frequency is refined, within that band, on the *unweighted* spectrum (the weighting tilts
   the peak upwards) by a parabola through the log-power of the local maximum and its
   neighbours (exact for a Gaussian peak, well below a bin for a Hann-windowed sinusoid).
3. Phase and amplitude: a least-squares fit of ``c + d t + a cos(2 pi f t) + b sin(2 pi f t)``
   at that frequency over the last two periods (at least 10 s) of the resampled series up to
   the latest interval midpoint (after it the series is only held), read at the window's end.
   Breath phase is 0 at the fitted heart-rate trough, taken as the inhale onset, and pi at the
   heart-rate peak (about the exhale onset); ``rsa_bpm`` is the fitted peak-to-trough swing.
4. Quality in [0, 1]: the share of the whitened, detrended power within
   ``±peak_halfwidth_hz`` (0.015 Hz) of the chosen whitened bin among all of it in ``band_hz``
   (:func:`analysis.hrv_frequency.peak_power_fraction`, the coherence ratio's peak share of
   McCraty et al. 2006, on a spectrum deliberately unlike the coherence score's: Hann window
   and f^3 whitening, which a breathing peak at 15/min needs, so the number is not comparable
   with ``CoherenceResult.peak_fraction`` and is only a factor of the quality), times
   ``min(1, rsa_bpm / 2)`` (below 2 beats/min of swing the rhythm is hard to tell from beat
   jitter), times the share of the window that holds beats (a hole counts as not held: see
   "Holes" below), times a rival factor: when
   another peak more than 0.04 Hz away (and not at twice, three times or half the chosen
   frequency: the breathing's own overtones) reaches ``RIVAL_LEVEL`` (half) of the chosen
   one's whitened power, the quality falls linearly to 0 as the two draw level (which of two
   equal rhythms is the breathing cannot be told).
5. White-noise test: is there any rhythm at all? The window's intervals as given (with
   ``correct_artifacts``, the raw ones its correction left as they were: none interpolated, and no
   ectopic beat's short-long pair, whose extreme ranks made a sinus rhythm with 6 ectopic beats/min
   at 10 breaths/min look white, so that 4 of 8 simulated people lost their session rate; 8 of 8
   keep it now), replaced by their ranks, in beat order, linearly detrended; their periodogram at
   the Fourier frequencies ``k / n`` cycles per beat (0 and ``1/2`` left out). Two classic tests of
   white noise on it (Brockwell & Davis 1991, section 10.2): Fisher's g-test for a hidden
   periodicity (Fisher 1929, Proc R Soc A 125:54; exact p-value as in
   Wichert, Fokianos & Strimmer 2004, Bioinformatics 20:5), which catches one strong rhythm,
   and Bartlett's Kolmogorov-Smirnov test of the cumulative periodogram, which catches power
   spread unevenly (slow wander, several rhythms); the smaller p-value, doubled (Bonferroni),
   above :data:`WHITE_NOISE_ALPHA` (0.01) sets the quality to 0, and
   :attr:`RRBreathEstimate.unusable_reason` says why. Atrial fibrillation makes the intervals
   nearly independent: no breathing, yet the f^3 whitening of step 2 turns their flat
   spectrum into a peak near the top of the band. The beat domain is where that null holds
   (independent intervals are white in beat order, not after the resampling of step 1, whose
   linear interpolation colours them); ranks keep it whatever the intervals' distribution and
   keep an ectopic beat from flooding the spectrum; the whole spectrum, not only the
   breathing band, because a sinus rhythm has slow structure too (wander, Mayer waves) and an
   irregular one has none. Raw intervals, because the artifact correction takes an irregular
   rhythm's beats for ectopic ones and smooths them into a series that is no longer white: on
   simulated atrial fibrillation corrected first, 82 % of windows rejected white noise,
   uncorrected 4 %. The test asks only whether the window is noise; which rhythm is the
   breathing stays the job of steps 2-4. Intervals corrected before they reach the tracker
   (by a strap or another tool), and the windows of raw ones that fail the test by chance
   (about 4 %, in runs), are left to step 6.

   Tried and measured first, on the breathing band only: Fisher's g-test of the band's
   largest ordinate, of the chosen peak's own, or of the chosen peak against a fitted
   power-law background (Vaughan 2005, A&A 431:391). A sinus heart rhythm's spectrum in the
   band is broad (Mayer waves, a breathing rate that moves), not one line: on the NeuroKit2
   5 min resting recording only 6-10 of 48 windows stayed usable (30 before), and no session
   rate where the belt reads 16.5/min. Bartlett's test on the band alone kept that rate but
   cut the event-related recording from 17 to 6-8 usable windows of 17. Over the whole
   spectrum, as here, the real recordings keep every usable window.
6. Irregularity: the coefficient of sample entropy (COSEn, Lake & Moorman 2011;
   :func:`coefficient_of_sample_entropy`) of the intervals the spectrum reads, once the
   breathing rhythm found is taken out (a line and a sinusoid at step 2's frequency, fitted by
   least squares against beat time, subtracted), over pairs of intervals the correction left
   as they were (with ``correct_artifacts``; none are known otherwise). Above
   :data:`COSEN_IRREGULAR` (-1.5) the quality is 0 and :attr:`RRBreathEstimate.unusable_reason`
   says why. Sample entropy asks how well one interval predicts the next: in atrial
   fibrillation hardly at all. An artifact correction interpolates an irregular rhythm's most
   irregular beats, which makes it look less white (step 5) but leaves most of its beats, and
   so its entropy, as they were. A sinus rhythm can move successive intervals as much (a
   swing of 30-40 beats/min at 6 breaths/min; breathing at 3-4 beats a breath, as in the
   NeuroKit2 event-related recording), but its breathing explains the movement: taken out,
   little is left. Measured on 64 s windows (45 simulated series of 5 min, as in the
   validation report): atrial fibrillation corrected first -1.65 to -0.87 (median -1.22), raw
   with the changed pairs left out -1.68 to 0.04 (median -0.99); sinus rhythm at most -1.86 on
   the simulated paced person at 4.5-7/min (with or without 3 ectopic beats a minute) and on
   low sinus arrhythmia, -1.36 on the NeuroKit2 recordings (1 usable window of 117 above
   -1.5), and up to -0.83 on a simulated person with a swing of 30-40 beats/min (17 of 277
   usable windows above -1.5, every session keeps its rate). Without the breathing taken
   out, the NeuroKit2 event-related recording read -1.6 to -1.22 and that large swing up to
   -0.6: any limit that left corrected atrial fibrillation without a session rate moved the
   event-related rate from 18.22 to 19.25/min (belt 18.42) and took the rate from one of 8
   large-swing sessions. Tried too, on the same windows: RMSSD over the mean interval and the
   turning-point ratio of Dash et al. 2009 (Ann Biomed Eng 37:1701), Shannon entropy of the
   interval histogram, sample entropy with a tolerance of 0.1-0.2 standard deviations (blind
   to size: a small sinus arrhythmia under beat jitter reads as irregular as atrial
   fibrillation), with templates of two intervals, a Ljung-Box test of whiteness skipping
   lag 1 (an interpolated interval correlates with its neighbours only) and spectral
   flatness: each overlapped the sinus windows more. RMSSD over the mean separated these
   windows but grows with the sinus arrhythmia's size, and a correction interpolates the
   turning points away.
7. Beat jitter: is the chosen peak more than beat-time jitter makes there? Beat times moved
   at random (sd ``s``: the detection of each R peak) make interval errors that are differences
   of white noise, whose spectrum in beat order, ``4 s^2 sin^2(pi nu)`` (``nu`` in cycles per
   beat), rises to its top at half the beat rate; the f^3 whitening of step 2 lifts it
   further, so with a small swing under much jitter the largest whitened bin is the jitter's,
   at 19-26/min. Step 5 does not see it: differenced white noise is not white. So the
   window's intervals (those the spectrum reads), in beat order, are set against that
   spectrum, its level ``s^2`` fitted to their periodogram from a quarter of the beat rate up
   (:data:`JITTER_FLOOR_FROM`; away from the peak), and the periodogram ordinates within one
   bin of the chosen frequency tested against it (:func:`_jitter_p`: an F test, the ordinates
   of a linear process being independent and exponential about its spectrum, Brockwell &
   Davis 1991, theorem 10.3.2; a peak tested against a background spectrum, Vaughan 2005).
   A p-value above :data:`JITTER_ALPHA` (0.01) sets the quality to 0, and
   :attr:`RRBreathEstimate.unusable_reason` says why. Only the window's own beats are read:
   the live tracker is as causal as before. Measured on the validation report's "beat jitter
   against the swing" (devices.sim, RSA 4/6/9 beats/min, jitter 4-16 ms, 6 people each,
   paced at 6/min for 240 s): 8 of 72 sessions had a rate 14.9-18.4/min off (reading
   20.9-24.4/min), none now; of the 1159 usable windows reading 6/min none is refused (p at
   most 2e-20), of the 237 reading something else 212 are. Three sessions that had the right
   rate among wrong windows lose it (the right ones alone are fewer than
   :data:`MIN_USABLE_SHARE`), one gains it. The NeuroKit2 recordings keep every usable window
   and their session rates, but fast breathing (the event-related recording at 18/min, a third
   of the beat rate, where the jitter spectrum is high) is tested closest: p up to 0.007.

Holes
-----
A lost link or contact leaves a hole: successive beats more than ``max_gap_s`` apart
(:data:`analysis.hrv_frequency.MAX_GAP_S`, 3 s, the project's gap for a resampled spectrum).
Nothing is known of the heart rate inside it, so:

* Coverage, a factor of the quality (step 4) and the ``min_coverage`` gate, is the share of the
  window outside holes. It was the span from the window's first beat to its last, blind to a
  hole between them: on a noise-free paced heart at 6/min a 20-40 s hole kept a quality of
  0.32-0.69 (0.38 of a 40 s-holed window held beats, below the 0.5 minimum) with the phase 33-43
  degrees and the rate up to 1/min off. It also left out the time from
  the window's start to its first beat and from its last beat to its end, so a window without a
  hole had about 0.985 and its quality about 0.01 less than now.
* An estimate whose time lies inside a hole is not made: nothing says what the breathing did
  then, and it could only be given once the beats resume, late, stamped with its own past time.
  So no estimate comes more than ``max_gap_s`` of beat time after its time.
* The spectrum leaves the hole at zero (the line of step 1 fitted to the held samples only)
  instead of the straight line the interpolation draws through it: the data are the series
  times a 0/1 sampling window, whose spectrum is the series' convolved with the window's
  (Deeming 1975, Astrophys Space Sci 36:137), while an interpolated line adds a ramp of its own.
  The phase (step 3) is fitted to the held samples of its span only, and not given (no estimate)
  with less than one period of them.
* A window is refused outright when it holds a hole longer than :data:`MAX_HOLE_SHARE` (a
  quarter, 16 s of 64) with beats on both sides. Two pieces of a rhythm a hole apart cannot be
  joined by counting cycles across it, and the sampling window of two blocks puts alias peaks
  about one over the distance between their centres (1.5-2 breaths/min here) either side of the
  true one, as in any gapped series (Deeming 1975; VanderPlas 2018, ApJS 236:16).
  Measured on the noise-free heart at 4.5-15/min (holes ending at three points of a breath,
  estimates every second; quality at least :data:`USABLE_QUALITY`): holes of up to 18 s gave
  rates within 0.14/min and phases within 12 degrees once zero-filled, but a 20 s hole at
  4.5/min read 6.3/min (quality 0.18-0.22, phase 120 degrees off) and a 30 s one at 6/min
  7.4/min. With the refusal, every usable estimate over holes of 5-40 s was within 0.15/min and
  12.4 degrees (before: up to 1.5/min and 180 degrees at 6/min, and a 40 s hole there raised
  ZeroDivisionError: the peak's refinement on the unweighted spectrum walked down the hole's
  slow power out of the band to 0 Hz; it now stays in the band). A hole reaching past the
  window's start leaves one piece, a shorter window, and only lowers the coverage.

Raw RR input (``correct_artifacts=True``)
----------------------------------------
A live session has raw RR intervals from the strap. Correcting every beat as it arrives
(``StreamingRRCorrector``: one :func:`~analysis.rr_artifacts.correct_rr` run per beat) costs
about 0.6 ms a beat, more than the rest of a replay put together. Only the windows the spectrum
reads need correcting, so with ``correct_artifacts=True`` each estimate runs
:func:`~analysis.rr_artifacts.correct_rr` (Lipponen & Tarvainen 2019, this project's defaults)
once on the beats it holds: the window plus ``ARTIFACT_CONTEXT_S`` before it, which gives the
detector's 11-beat median and quartile windows context at the window's start. The window's end
is corrected like the end of a batch series (no look-ahead: the estimate is due before the
next beat). Each corrected value is placed at the beat that ends it: a merged extra beat at the
end of the interval it absorbed, the first half of a split missed beat half an interval early.
A window in which no interval differs from the one before by more than ``SCREEN_JUMP`` (20 %,
the classic rule of Kamath & Fallen 1995) is analysed as it is: sinus rhythm changes far less
from beat to beat (the simulated person's RSA of about 12 beats/min at 4.5-7 breaths/min,
sighs included, moves successive intervals by 10 % at most), ectopic, missed and extra beats
far more (35 % and up). The white-noise test (step 5) reads the window's raw intervals the
correction left alone, the irregularity test (step 6) the corrected ones minus those the
correction changed. The
adaptive thresholds of ``correct_rr`` can
flag smaller jumps; left in, they barely touch a 64 s spectrum. On a simulated hour (0.4 ectopic
beats/min) 138 of 353 windows needed the correction run.

Limits (documented, see ``docs/validation/breathing.md``)
---------------------------------------------------------
* Works best at slow rates: RSA is largest near the resonance rate (4.5-7 breaths/min, swings
  of 10 beats/min and more) and shrinks several-fold by 15 breaths/min. But not below about 4
  breaths/min, though the band starts at 3: a 64 s window holds barely three such breaths, the
  whitening lifts beat jitter at the top of the band over them, and on the simulated person
  (6 x 5 min) sessions at 3.5/min read 0.05-0.22/min low and at 3/min none got a rate, their
  windows peaking at 19-26/min.
* Beat-time jitter against a small swing: a window whose breathing peak is no stronger than
  the jitter's spectrum there is refused (step 7). At 6/min with 12-16 ms of jitter (the
  simulated person's default is 4), RSA of 4-6 beats/min gives no session rate (it gave
  22.4-24.4/min in 6 of 24 sessions), and 9 beats/min with 16 ms 2 of 6, right; with 8 ms, RSA of
  6 gives 5 of 6 and 9 all 6, within 0.04/min.
* Above 0.4x the heart rate (about 25 breaths/min at 60 beats/min) the rhythm cannot be
  recovered; at fast rates the estimate is unreliable and its quality low.
* Heart-rate wander, Mayer waves (~0.1 Hz) and ectopic beats compete with breathing: correct
  RR artifacts first (the input must be NN intervals; :func:`analysis.rr_artifacts.correct_rr`
  or ``StreamingRRCorrector``), or let the tracker correct each window itself
  (``correct_artifacts=True``, below). A Mayer wave can be mistaken for breathing at 6
  breaths/min when breathing is fast and shallow. Measured on the simulated person breathing
  10-18/min on their own (6 people x 5 min each, ``PersonModel.mayer_bpm``): with a Mayer
  wave of 3 beats/min amplitude (the upper end at rest) 0-4 of about 280 estimates per rate
  were more than 2/min off, none of them with a quality of 0.35 or more; with 5 beats/min
  (larger than at rest) 19-34 % were (one session's share up to 72 %), and 10-57 of about 280
  per rate kept a quality of 0.35 or more (38-81 without the rival factor of step 4). The
  session rate is then the Mayer wave's (6.4-6.6/min) where most usable windows read it: 3 of
  the 18 sessions at 10, 14 and 18/min (:func:`session_rate_members`; choosing by quality
  alone, a fourth read it with 72 % of its estimates right). A breath at exactly twice the
  Mayer wave's frequency cannot be told from its overtone.
* Phase: heart rate leads lung volume by up to a second at slow rates and by more at fast
  rates (the baroreflex delay); the phase is the heart-rate oscillation's, not the lungs'.
* The exhale:inhale ratio cannot be measured from RSA (the heart-rate wave is smoothed by the
  vagal and baroreflex dynamics): it is never reported.
* Rate resolution: one estimate covers ``window_s``; rate changes show up within about half a
  window.
* An irregular heart rhythm (atrial fibrillation) has no usable RSA: its intervals are close to
  white noise, which the f^3 whitening turns into a peak near the top of the band. Steps 5 and 6
  find it: on simulated atrial fibrillation (independent intervals, mean 600-800 ms, SD 80-180 ms,
  45 series of 5 min) 0-17 % of windows stayed usable raw with step 5 alone when it read every raw
  interval, and 0 % with step 6 (21-66 %, median 43 %, before step 5); step 5 now reads only the
  intervals the correction left alone (so that ectopic beats do not drown a sinus rhythm) and
  flags 68 % of these windows white, step 6 every one of them; corrected as a whole before they
  reach the tracker, step 5 alone left 25 of the 45 series a session rate, step 6 none (at most 8
  % of windows usable). No series gets a session rate (36 of 45 did, at 13.5-29/min), and live no
  window reaches the coach's pace quality (one series kept 3 with step 5 alone). Use a belt or the
  Polar H10's accelerometer for breathing with such a rhythm.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.fft
import scipy.signal
import scipy.special
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from analysis.beats import Beat, instantaneous_heart_rate
from analysis.checks import check_beat_time_units, check_rr_units
from analysis.hrv_frequency import MAX_GAP_S, peak_power_fraction
from analysis.progress import ProgressCallback, ProgressSteps, counted
from analysis.rr_artifacts import correct_rr
from analysis.rsa import rsa_per_breath

__all__ = [
    "AGREE_FRACTION",
    "COSEN_IRREGULAR",
    "COSEN_TOLERANCE_MS",
    "GOOD_QUALITY",
    "JITTER_ALPHA",
    "MAX_HOLE_SHARE",
    "MIN_RECORDED_INTERVALS",
    "MIN_USABLE_SHARE",
    "USABLE_QUALITY",
    "WHITE_NOISE_ALPHA",
    "RRBreathEstimate",
    "RRBreathTracker",
    "RRCycle",
    "coefficient_of_sample_entropy",
    "estimate_breathing_from_rr",
    "fisher_g_pvalue",
    "rr_breath_cycles",
    "session_rate_bpm",
    "session_rate_members",
    "usable_share",
]

FloatArray = NDArray[np.float64]

GOOD_QUALITY = 0.4
"""Quality from which an estimate is labelled good (``breathwise breaths --rr``)."""
USABLE_QUALITY = 0.15
"""Quality below which the heart rhythm shows no breathing worth a number: on the three
NeuroKit2 recordings (64 s windows every 5 s) all 4 of 154 estimates below it were 2
breaths/min or more off the belt, and white beat jitter with no breathing in it falls below it
about a third of the time. Such an estimate is labelled an artifact, and the live screen shows
no rate for it."""

MIN_USABLE_SHARE = 1.0 / 3.0
"""Share of a session's estimates that must be usable for a session rate. With the heart
rhythm carrying next to no breathing (RSA of 0-1 beats/min at 6 breaths/min, heart-rate wander
and beat jitter; 8 simulated people, 5 min each) 0-4 % of the windows pass
:data:`USABLE_QUALITY` (0-6 % before the jitter test, module notes, step 7) and none gets a
session rate, the median of those few windows reading 19.6-25.2/min for a true 6: the f^3
whitening lifts jitter at the top of the band. With 3 beats/min 0-62 % pass (2-66 %) and 2 of
the 8 get a rate, the right one (5.92, 5.99); with 4, 7 of 8.
On the NeuroKit2 recordings 63-100 % are usable, on the simulated paced person 100 %.
An irregular rhythm (atrial fibrillation: RR close to white noise) passed in 21-66 % of its
windows before the white-noise test (module notes, step 5), 0-17 % with it reading every raw
interval, and none with the irregularity test (step 6) as well."""

_WEIGHT_EXP = 3.0
_NO_BAND_POWER = 1e-6
"""Whitened power in the breathing band (bpm^2 Hz^3 per bin, times Hz; step 2) at or below
which it has no peak (:func:`analysis.hrv_frequency.peak_power_fraction`'s ``no_power``):
measured with the default tracker, a constant heart rate leaves at most 6e-34 (float rounding),
1 ms beat quantisation alone at least 1.7e-3 at 60 beats/min."""
RIVAL_LEVEL = 0.5
"""Quality starts to fall when another spectral peak (not an overtone of the chosen one)
reaches this share of the chosen one's whitened power, and reaches 0 when the two are level.
Measured on the simulated person (64 s windows, 5 min each): paced 4.5-7/min, the strongest
other peak is 0.06 of the breathing one at out:in 2 (median; 90th percentile 0.19, highest
0.58) and 0.21 at out:in 4 (0.43, 0.83); breathing 12-15/min beside a Mayer wave of 3-5 bpm,
the windows that took the Mayer wave for breathing had a rival of 0.63-0.77 (median)."""
RIVAL_GAP_HZ = 0.04
"""Another peak counts as a rival only this far from the chosen one, Hz."""
HARMONIC_TOL_HZ = 0.02
"""...and this far from twice, three times and half the chosen frequency, Hz (64 s windows
resolve 0.016 Hz)."""
WHITE_NOISE_ALPHA = 0.01
"""Level of the white-noise test (module notes, step 5). Windows of independent intervals
(simulated atrial fibrillation, 2115 windows) passed it 3.8 % of the time when it read every
raw interval (5.1 % at 0.02, 9.0 % at 0.05; above the nominal level, and clustered, as
neighbours share 59 of their 64 s), so at most 17-19 % of a session was usable, below
:data:`MIN_USABLE_SHARE`. On the intervals the correction leaves alone, as now, 32 % pass it,
and the irregularity test (step 6) takes every one of them. At 0.01 the real
NeuroKit2 recordings and the simulated paced person keep every usable window; a simulated
person breathing 18/min with a small RSA loses 2 of 47 (the session rate moves from 18.27 to
18.46/min), and one with 2 beats/min of RSA at 12/min 1 of 47, which takes that session from
16 usable windows to 15, below a third."""
JITTER_ALPHA = 0.01
"""Level of the beat-jitter test (module notes, step 7), that of the white-noise test. On the
validation report's jitter table the usable windows reading the paced 6/min have p at most
2e-20 and those reading jitter a median 0.07 (25 of 237 at or below 0.01; at 0.05 one session
kept a rate 15/min off); the NeuroKit2 event-related recording's usable windows (breathing at
18/min, 0.3 cycles per beat) reach 0.007, so a level of 0.001 would take 8 of its 15."""
JITTER_FLOOR_FROM = 0.25
"""Lowest frequency, cycles per beat, of the periodogram ordinates the jitter level is fitted
to (module notes, step 7): above a quarter of the beat rate a heart's own slow rhythms have
little power, and breathing there (over 15/min at 60 beats/min) is left out with the peak's
two bins either side. Left out as well, the breathing's second harmonic and three bins either
side of the peak, the event-related recording's windows came closer to the level (p up to
0.008)."""
COSEN_IRREGULAR = -1.5
"""Coefficient of sample entropy of a window's intervals with its breathing taken out (module
notes, step 6) above which the rhythm is irregular, as in atrial fibrillation, and the window
unusable. With the 45 simulated atrial fibrillation series of the validation report corrected
first, 15 of 2158 windows stay usable (88 at -1.4, 145 at -1.35, where one series keeps a
session rate); raw, none (8 before). The NeuroKit2 recordings lose one usable window of 117 and
keep their session rates to the hundredth; the simulated sinus rhythms lose none, except a
person with a swing of 30-40 beats/min at 4.5-6/min (17 of 277, every rate kept). The limit is
ours, set on these series: Lake & Moorman 2011 tuned theirs on 12-beat segments of raw intervals
(breathing left in) of a clinical database, which does not carry over to 64 s windows with the
breathing taken out."""
COSEN_TOLERANCE_MS = 40.0
"""Tolerance ``r`` of the coefficient of sample entropy, ms. Lake & Moorman 2011 start at 30 ms
and widen it until enough templates match; a 64 s window holds 60-110 beats, enough matches at a
fixed 40 ms. On the intervals as they are (breathing left in), 40 ms separated corrected
simulated atrial fibrillation from the NeuroKit2 recordings slightly better than 30 ms."""
SCREEN_JUMP = 0.2
"""A window is corrected only if an interval differs from the one before by more than this
fraction (``correct_artifacts``; the 20 % rule of Kamath & Fallen 1995 as a screen)."""
ARTIFACT_CONTEXT_S = 15.0
"""Beats kept before the window for the artifact detector's context, s (``correct_artifacts``)."""
MAX_HOLE_SHARE = 0.25
"""Longest hole (beats further apart than ``max_gap_s``) with beats on both sides that a window
may hold, as a share of the window (16 s of 64 s; module notes, "Holes")."""
MIN_RECORDED_INTERVALS = 8
"""Fewest intervals left as recorded by the artifact correction (``correct_artifacts``) that a
window needs for its white-noise test (module notes, step 5): under 8 the periodogram has fewer
than 3 Fourier frequencies between 0 and ``1/2`` cycles per beat, and no test of white noise is
possible. Such a window (sustained ventricular bigeminy, where every interval is either premature
or a compensatory pause, as in MIT-BIH record 106) is unusable:
:attr:`RRBreathEstimate.unusable_reason` says why. Its quality was 0 already with 1-7 such
intervals (an untestable window counted as white noise); with none the test divided by zero."""


@dataclass(frozen=True, slots=True)
class RRBreathEstimate:
    """Breathing estimated from the heart rhythm at one instant.

    Attributes
    ----------
    t_s : float
        Time the estimate refers to (end of its window), s, beat clock.
    rate_bpm : float
        Breathing rate, breaths/min.
    phase_rad : float
        Breath phase at ``t_s`` in [0, 2 pi): 0 at the heart-rate trough (inhale onset), pi at
        the heart-rate peak.
    rsa_bpm : float
        Peak-to-trough heart-rate swing at the breathing rate, beats/min.
    quality : float
        0 (no usable rhythm) to 1 (a clean, dominant breathing peak); see the module notes.
    window_s : float
        Length of heart-rate data the estimate used, s.
    source : str
        Always ``"rr"``.
    white_noise_p : float
        p-value of the window's intervals being white noise, with no rhythm in the breathing
        band (module notes, step 5); above :data:`WHITE_NOISE_ALPHA` the quality is 0. 0 for
        an estimate made by hand.
    cosen : float
        Coefficient of sample entropy of the intervals the spectrum read, with the breathing
        rhythm found taken out (module notes, step 6; ``inf`` when no two pairs of successive
        intervals match); above :data:`COSEN_IRREGULAR` the rhythm is irregular and the
        quality is 0. ``-inf`` for an estimate made by hand.
    recorded_intervals : int or None
        Intervals of the window the artifact correction left as recorded, which the
        white-noise and irregularity tests read (all of them without ``correct_artifacts``);
        below :data:`MIN_RECORDED_INTERVALS` the window cannot be tested and its quality is 0.
        ``None`` for an estimate made by hand.
    """

    t_s: float
    rate_bpm: float
    phase_rad: float
    rsa_bpm: float
    quality: float
    window_s: float
    source: str = "rr"
    white_noise_p: float = 0.0
    cosen: float = -math.inf
    recorded_intervals: int | None = None
    jitter_p: float = 0.0

    @property
    def unusable_reason(self) -> str | None:
        """Why the estimate is unusable (quality below :data:`USABLE_QUALITY`), or None."""
        if self.recorded_intervals is not None and (
            self.recorded_intervals < MIN_RECORDED_INTERVALS
        ):
            # Checked first: such a window's white-noise p-value is 1 because it could not be
            # tested, not because its intervals looked like noise.
            return (
                "too few intervals as recorded: the artifact correction changed all but "
                f"{self.recorded_intervals} of the window's intervals (its rhythm tests need "
                f"{MIN_RECORDED_INTERVALS})"
            )
        if self.white_noise_p > WHITE_NOISE_ALPHA:
            return (
                "no rhythm: the intervals look like white noise (white-noise test p = "
                f"{self.white_noise_p:.2g} > {WHITE_NOISE_ALPHA:g})"
            )
        if self.jitter_p > JITTER_ALPHA:
            return (
                "beat jitter: the breathing peak is no stronger than beat-time jitter makes "
                f"it (jitter test p = {self.jitter_p:.2g} > {JITTER_ALPHA:g})"
            )
        if self.cosen > COSEN_IRREGULAR:
            return (
                "irregular rhythm: coefficient of sample entropy "
                f"{self.cosen:.2f} > {COSEN_IRREGULAR:g}"
            )
        if self.quality < USABLE_QUALITY:
            return f"weak or unclear breathing peak: quality {self.quality:.2f} < {USABLE_QUALITY}"
        return None


class RRBreathTracker:
    """Streaming breathing-rate estimator from NN intervals (module notes).

    Parameters
    ----------
    window_s : float
        Analysis window, s (>= 20).
    step_s : float
        Interval between estimates, s; estimates are due at whole multiples of it.
    resample_hz : float
        Rate of the evenly resampled heart-rate series, Hz.
    band_hz : tuple of float
        Breathing band searched, Hz.
    peak_halfwidth_hz : float
        Half-width of the peak window for the quality ratio, Hz.
    min_coverage : float
        Smallest share of the window that must hold beats for an estimate: time inside a hole
        (successive beats more than ``max_gap_s`` apart) is not held (module notes, "Holes").
    max_gap_s : float
        Longest time between successive beats, s, that still counts as holding beats
        (:data:`analysis.hrv_frequency.MAX_GAP_S`, 3 s: the slowest heart, 30 beats/min, leaves
        2 s); longer is a hole, a lost link or contact.
    first_step_s : float or None
        Grid of the first estimate only: it is due at the first multiple of ``first_step_s``,
        counted from where the first beat's interval began, past a full window; the later ones
        at multiples of ``step_s`` of the beats' clock. ``None``: ``step_s``. A live session
        estimates every 10 s (``trainer.session.pipeline.RR_STEP_S``) but has its first where
        ``breaths --rr`` (every 5 s, from the first interval's start) has it: a 67 s strap
        recording had that command's rate from its window at 65 s and none in its replay and
        report, whose first window was due at 70 s.
    correct_artifacts : bool
        The input is raw RR: correct artifacts in each window before analysing it (module
        notes, "Raw RR input"). ``False``: the input must already be NN intervals. Raw RR with
        ``True`` is the surer route where an irregular rhythm may occur: the white-noise test
        (step 5) reads the raw intervals the correction left alone, where intervals corrected by
        interpolation of an irregular rhythm no longer look white; the irregularity test (step
        6) catches those too, more clearly on the intervals the tracker's own correction left
        alone.

    Examples
    --------
    A heart rate swinging 65 +- 6 beats/min at 6 breaths/min (0.1 Hz), fed in two chunks: the
    first estimate a window (64 s) in, then one every 5 s, each what the batch function gives:

    >>> import numpy as np
    >>> from analysis.beats import Beat
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> beat_t_s = np.cumsum(rr_ms) / 1000.0
    >>> beats = [Beat(float(t), float(rr)) for t, rr in zip(beat_t_s, rr_ms)]
    >>> tracker = RRBreathTracker()
    >>> live = tracker.update(beats[:150]) + tracker.update(beats[150:])
    >>> first = live[0]
    >>> round(first.t_s, 1), round(first.rate_bpm, 1), round(first.rsa_bpm), round(first.quality, 1)
    (65.0, 6.0, 12, 0.9)
    >>> len(live), live == estimate_breathing_from_rr(beat_t_s, rr_ms)
    (49, True)
    """

    def __init__(
        self,
        *,
        window_s: float = 64.0,
        step_s: float = 5.0,
        resample_hz: float = 4.0,
        band_hz: tuple[float, float] = (0.05, 0.5),
        peak_halfwidth_hz: float = 0.015,
        min_coverage: float = 0.5,
        max_gap_s: float = MAX_GAP_S,
        first_step_s: float | None = None,
        correct_artifacts: bool = False,
    ) -> None:
        if not (math.isfinite(window_s) and window_s >= 20.0):
            raise ValueError(f"window_s must be at least 20 s, got {window_s!r}")
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise ValueError(f"step_s must be positive, got {step_s!r}")
        if first_step_s is not None and not (math.isfinite(first_step_s) and first_step_s > 0.0):
            raise ValueError(f"first_step_s must be positive, got {first_step_s!r}")
        if not (math.isfinite(resample_hz) and resample_hz >= 2.0 * band_hz[1]):
            raise ValueError("resample_hz must be at least twice the band's upper edge")
        if not 0.0 < band_hz[0] < band_hz[1]:
            raise ValueError(f"band_hz must be ordered and positive, got {band_hz!r}")
        if not 0.0 < min_coverage <= 1.0:
            raise ValueError("min_coverage must lie in (0, 1]")
        if not (math.isfinite(max_gap_s) and max_gap_s > 0.0):
            raise ValueError(f"max_gap_s must be positive and finite, got {max_gap_s!r}")
        self._window_s = float(window_s)
        self._step_s = float(step_s)
        self._first_step_s = self._step_s if first_step_s is None else float(first_step_s)
        self._fs = float(resample_hz)
        self._band = (float(band_hz[0]), float(band_hz[1]))
        self._half = float(peak_halfwidth_hz)
        self._min_cov = float(min_coverage)
        self._max_gap_s = float(max_gap_s)
        self._correct = bool(correct_artifacts)
        # Beats older than the window are kept for the interpolation at its start, and for the
        # artifact detector's context when correcting.
        self._keep_s = ARTIFACT_CONTEXT_S if self._correct else 5.0
        self._beats: deque[tuple[float, float]] = deque()
        self._due_s: float | None = None
        n = round(window_s * resample_hz)
        self._n = n
        self._nfft = max(2048, 1 << (n - 1).bit_length())
        self._hann: FloatArray = np.hanning(n).astype(np.float64)
        self._freqs: FloatArray = np.fft.rfftfreq(self._nfft, 1.0 / self._fs).astype(np.float64)

    @property
    def window_s(self) -> float:
        """Analysis window, s."""
        return self._window_s

    def update(self, beats: Iterable[Beat]) -> list[RRBreathEstimate]:
        """Consume the next beats (NN intervals, in time order); return the estimates now due.

        Parameters
        ----------
        beats : iterable of Beat
            Beats with artifact-corrected intervals (``rr_ms`` > 0), times increasing.

        Returns
        -------
        list of RRBreathEstimate
            One per grid time ``k * step_s`` (the first: ``k * first_step_s``) passed by these
            beats whose window held enough beats; none before a full window has elapsed since
            the first beat, and none for a time inside a hole (module notes, "Holes"): an
            estimate comes at most ``max_gap_s`` of beat time after its own time.

        Raises
        ------
        ValueError
            If an interval is not positive and finite or a beat time goes backwards.
        """
        out: list[RRBreathEstimate] = []
        for beat in beats:
            t, rr = float(beat.t_s), float(beat.rr_ms)
            if not (math.isfinite(rr) and rr > 0.0 and math.isfinite(t)):
                raise ValueError(f"bad beat {beat!r}")
            if self._beats and t < self._beats[-1][0]:
                raise ValueError("beat times must not go backwards")
            if self._due_s is None:
                # On a grid counted from where the first interval began, as breaths --rr counts
                # its times: on the session's clock a strap whose first beat came 2 s in had its
                # 65 s window short of beats, and a 67 s session no rate.
                first = self._first_step_s
                began_s = t - rr / 1000.0
                self._due_s = began_s + (math.floor(self._window_s / first) + 1) * first
            # Estimates due strictly before this beat use only the beats before it. Before the
            # first beat is stored (its interval longer than a window and a step) every window
            # due lies inside the hole that interval is: none gives an estimate.
            while self._due_s < t:
                if self._beats:
                    est = self._estimate(self._due_s, t)
                    if est is not None:
                        out.append(est)
                # The next multiple of step_s; the tolerance keeps a due time that is one,
                # give or take rounding, from being due twice.
                self._due_s = (math.floor(self._due_s / self._step_s + 1e-9) + 1) * self._step_s
            self._beats.append((t, rr))
            horizon = t - self._window_s - self._keep_s
            while len(self._beats) > 2 and self._beats[1][0] < horizon:
                self._beats.popleft()
        return out

    def _estimate(self, t_end: float, t_next_s: float) -> RRBreathEstimate | None:
        """The estimate at ``t_end`` (s) from the stored beats; ``t_next_s`` is the time of the
        beat that made it due, the first after ``t_end`` (not stored yet)."""
        t0 = t_end - self._window_s
        times = np.fromiter((b[0] for b in self._beats), dtype=np.float64)
        rr = np.fromiter((b[1] for b in self._beats), dtype=np.float64)
        # Holes: successive beats further apart than the gap limit (a lost link or contact);
        # before the first stored beat, the interval it ends.
        edges = np.r_[times[0] - rr[0] / 1000.0, times, t_next_s]
        gap = np.diff(edges) > self._max_gap_s
        hole_from, hole_to = edges[:-1][gap], edges[1:][gap]
        if gap[-1]:
            # The window ends inside a hole: nothing says what the breathing did at t_end, and
            # the estimate would come late, when the beats resume (module notes, "Holes").
            return None
        lost_s = float(np.sum(np.clip(hole_to, t0, t_end) - np.clip(hole_from, t0, t_end)))
        covered = 1.0 - lost_s / self._window_s
        # A hole with beats on both sides splits the window in two pieces whose spectrum has
        # alias peaks (module notes, "Holes"): past MAX_HOLE_SHARE of the window, refused.
        interior_s = hole_to[hole_from >= t0] - hole_from[hole_from >= t0]
        if covered < self._min_cov or np.any(interior_s > MAX_HOLE_SHARE * self._window_s):
            return None
        changed = np.zeros(rr.size, dtype=bool)
        if self._correct:
            times, rr, changed = _corrected_beats(times, rr)
        inside = (times >= t0) & (times <= t_end)
        if inside.sum() < 8:
            return None
        grid = t0 + np.arange(self._n) / self._fs + 1.0 / self._fs
        held = np.ones(grid.size, dtype=bool)
        for a, b in zip(hole_from.tolist(), hole_to.tolist(), strict=True):
            held &= (grid <= a) | (grid >= b)
        # Each rate at its interval's midpoint (module notes, step 1): known once the interval
        # has ended, so the estimate stays causal; after the last one the rate is held.
        mid_s, hr_bpm, _ = instantaneous_heart_rate(times, rr)
        hr = np.interp(grid, mid_s, hr_bpm)
        mean_hr = float(np.mean(60000.0 / rr[inside]))
        return _analyse(
            grid,
            hr,
            held,
            times[inside],
            rr[inside],
            ~changed[inside],
            self._fs,
            self._hann,
            self._nfft,
            self._freqs,
            self._band,
            self._half,
            mean_hr,
            covered,
            t_end,
            self._window_s,
            float(mid_s[-1]),
        )


def _corrected_beats(
    times: FloatArray, rr_ms: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """NN intervals of raw beats (:func:`~analysis.rr_artifacts.correct_rr`) and their times.

    Parameters
    ----------
    times : ndarray, shape (n,)
        Time of the beat ending each interval, s, non-decreasing.
    rr_ms : ndarray, shape (n,)
        Raw RR intervals, ms.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Times, s, NN intervals, ms, and whether the correction changed each one (merged, split
        or interpolated). A value stands for input intervals ``source`` up to the next value's
        source (exclusive), so it ends at the last of those beats: a merged extra beat ends
        where the interval it absorbed ended. The first half of a split missed beat ends its
        second half's length before the beat.
    """
    if not np.any(np.abs(np.diff(rr_ms)) > SCREEN_JUMP * rr_ms[:-1]):
        return times, rr_ms, np.zeros(rr_ms.size, dtype=bool)
    result = correct_rr(rr_ms)
    nn = result.nn_ms
    src = result.nn_source
    nxt = np.r_[src[1:], times.size]
    split_first = nxt == src
    end = np.where(split_first, src, nxt - 1)
    t_nn = times[end]
    first = np.flatnonzero(split_first)
    t_nn[first] -= nn[first + 1] / 1000.0
    # Keep the time order the tracker relies on, whatever an odd split puts first.
    return np.maximum.accumulate(t_nn), nn, result.nn_corrected


def _analyse(
    grid: FloatArray,
    hr: FloatArray,
    held: NDArray[np.bool_],
    nn_t_s: FloatArray,
    nn_ms: FloatArray,
    nn_kept: NDArray[np.bool_],
    fs: float,
    hann: FloatArray,
    nfft: int,
    freqs: FloatArray,
    band: tuple[float, float],
    half: float,
    mean_hr_bpm: float,
    covered: float,
    t_end: float,
    window_s: float,
    last_mid_s: float,
) -> RRBreathEstimate | None:
    """Spectral peak, phase and quality of one window (module notes, steps 1-6); ``nn_t_s`` and
    ``nn_ms`` the beats the spectrum reads (corrected when ``correct_artifacts``) and
    ``nn_kept`` which of them the correction left as they were, for the white-noise and
    irregularity tests."""
    tc = grid - grid.mean()
    if held.all():
        slope = float(np.dot(tc, hr - hr.mean()) / np.dot(tc, tc))
        x = hr - hr.mean() - slope * tc
    else:
        # A hole holds no heart rate (module notes, "Holes"): the line is fitted to the held
        # samples and the hole left at zero, the missing data's share of the product of the
        # series and its 0/1 sampling window, rather than the straight line of the
        # interpolation, which adds a ramp of its own to the spectrum.
        line = np.column_stack((np.ones(int(np.count_nonzero(held))), tc[held]))
        (c0, c1), *_ = np.linalg.lstsq(line, hr[held], rcond=None)
        x = np.where(held, hr - c0 - c1 * tc, 0.0)
    raw = np.abs(np.fft.rfft(x * hann, nfft)) ** 2
    # Whitened spectrum for choosing the peak and for the quality: heart-rate wander and Mayer
    # waves fall off roughly as 1/f^2-1/f^3 and would outshout a breathing peak at 15/min.
    power = raw * freqs**_WEIGHT_EXP
    hi = min(band[1], 0.4 * mean_hr_bpm / 60.0)
    sel = np.flatnonzero((freqs >= band[0]) & (freqs <= hi))
    if sel.size < 3:
        return None
    j = int(sel[np.argmax(power[sel])])
    rival = _rival_ratio(power, freqs, sel, j)
    # The weighting tilts the peak upwards; refine on the unweighted spectrum (its local
    # maximum next to the chosen bin, within the band: the slow power of a hole or a trend
    # once walked it down to 0 Hz).
    while sel[0] < j and raw[j - 1] > raw[j]:
        j -= 1
    while j < sel[-1] and raw[j + 1] > raw[j]:
        j += 1
    df = float(freqs[1] - freqs[0])
    f0 = float(freqs[j])
    if 0 < j < raw.size - 1:
        la, lb, lc = np.log(np.maximum(raw[j - 1 : j + 2], 1e-300))
        denom = la - 2 * lb + lc
        if denom < 0:
            f0 += df * 0.5 * float(la - lc) / float(denom)
    # The whitened peak's share of the whitened power in the caller's band (module notes,
    # step 4), around the chosen bin as the peak search found it.
    # Without power in the band (a constant heart rate) there is no peak: the share is 0, and so
    # the quality (the rate then named is the band's first bin, never shown: USABLE_QUALITY).
    pf = peak_power_fraction(freqs, power, (band[0], hi), half, band, no_power=_NO_BAND_POWER)
    ratio = pf.fraction if pf is not None else 0.0
    # Phase from the last two periods (at least 10 s) up to the latest interval midpoint
    # ``last_mid_s``, and the fitted wave read at the window's end: the rate held flat after
    # that midpoint (half an interval and more) flattened the fit, and at 18/min lowered the
    # quality by 0.03-0.05 and moved one simulated session rate 0.2/min further off.
    span = min(max(2.0 / f0, 10.0), window_s)
    # Only the samples that hold beats: the fitted sinusoid is read across a hole, not fitted
    # to the line the interpolation drew through it. Less than one period of them cannot fix
    # the phase (module notes, "Holes").
    m = (grid >= grid[-1] - span) & (grid <= last_mid_s) & held
    if np.count_nonzero(m) < fs / f0:
        return None
    tt = grid[m] - grid[-1]
    w = 2 * np.pi * f0
    design = np.column_stack((np.ones(tt.size), tt, np.cos(w * tt), np.sin(w * tt)))
    coef, *_ = np.linalg.lstsq(design, x[m], rcond=None)
    a, b = float(coef[2]), float(coef[3])
    amp = math.hypot(a, b)
    # HR ~ amp cos(w t - psi), psi = atan2(b, a); at t = 0 (the window end) its phase is -psi.
    # Breath phase 0 at the HR trough (HR phase pi): breath = HR phase - pi.
    phase = (-math.atan2(b, a) - math.pi) % (2 * math.pi)
    rsa = 2.0 * amp
    # Two rhythms of about equal strength (a Mayer wave beside fast breathing): which one is
    # the breathing cannot be told, so the estimate loses its quality as they draw level.
    distinct = min(1.0, (1.0 - rival) / (1.0 - RIVAL_LEVEL))
    quality = max(0.0, min(1.0, ratio * min(1.0, rsa / 2.0) * min(1.0, covered) * distinct))
    # The whiteness test reads raw values only (module notes, step 5): the correction takes an
    # irregular rhythm's beats for ectopic ones and interpolates them into a series that no
    # longer looks like noise, and a real ectopic beat's short-long pair, left in, makes a
    # sinus rhythm look like noise. The values either side of a left-out one are joined:
    # a few joins shift a breathing rhythm's phase a little but do not whiten it.
    recorded = int(np.count_nonzero(nn_kept))
    p_value = _white_noise_p(nn_ms[nn_kept])
    cosen = _irregularity(nn_t_s, nn_ms, nn_kept, f0)
    jitter_p = _jitter_p(nn_ms, f0)
    if (
        p_value > WHITE_NOISE_ALPHA
        or cosen > COSEN_IRREGULAR
        or recorded < MIN_RECORDED_INTERVALS
        or jitter_p > JITTER_ALPHA
    ):
        quality = 0.0
    return RRBreathEstimate(
        t_end,
        60.0 * f0,
        phase,
        rsa,
        quality,
        window_s,
        white_noise_p=p_value,
        cosen=cosen,
        recorded_intervals=recorded,
        jitter_p=jitter_p,
    )


def _jitter_p(nn_ms: FloatArray, f_hz: float) -> float:
    """Test of the breathing peak against the spectrum beat-time jitter gives (step 7).

    Beat times moved by independent errors of standard deviation ``s`` make interval errors
    ``e_i - e_(i-1)``: a first-order moving average whose spectrum in beat order is
    ``S(nu) = 4 s^2 sin^2(pi nu)`` (cycles per beat, ``0 <= nu <= 1/2``; Brockwell & Davis
    1991, section 4.4), rising to its top at half the beat rate. ``4 sin^2(pi nu)`` is known,
    ``s^2`` is estimated as the mean of ``I(nu_k) / (4 sin^2(pi nu_k))`` over the ``M``
    Fourier frequencies from :data:`JITTER_FLOOR_FROM` cycles per beat to ``1/2`` (exclusive)
    that lie more than two bins from the peak: above a quarter of the beat rate a heart's own
    rhythms (breathing up to 0.4x the heart rate aside) have little power. The peak's
    ordinates, those within one bin of ``nu_0 = f_hz`` times the mean interval, are each
    divided by the fitted jitter spectrum there; under the null (nothing at ``nu_0`` but
    jitter) periodogram ordinates are independent ``S(nu_k)`` times a unit exponential
    (Brockwell & Davis 1991, theorem 10.3.2), so the largest ratio ``gamma`` of one ordinate
    over a mean of ``M`` has the F(2, 2M) tail ``(1 + gamma / M)^-M``, times the ordinates
    tested (Bonferroni). Testing a peak against a fitted noise spectrum rather than white noise:
    Vaughan 2005 (A&A 431:391), with the shape here given by the jitter model, not fitted.

    Parameters
    ----------
    nn_ms : ndarray, shape (n,)
        The intervals the spectrum reads (corrected ones included), ms, in beat order; their
        periodogram is taken linearly detrended, with a rectangular window (only then are the
        ordinates at ``k / n`` independent).
    f_hz : float
        The chosen breathing frequency, Hz (``nu_0`` is it times the mean interval).

    Returns
    -------
    float
        p-value, 0-1, of the peak being beat jitter; 0 (no refusal) with too few beats to test.
    """
    n = nn_ms.size
    spectrum = scipy.fft.rfft(_detrended(nn_ms))
    power = spectrum.real**2 + spectrum.imag**2
    nu = scipy.fft.rfftfreq(n)
    nu0 = f_hz * float(np.mean(nn_ms)) / 1000.0
    inner = (nu > 0.0) & (nu < 0.5)
    shape = 4.0 * np.sin(np.pi * nu) ** 2
    peak = inner & (np.abs(nu - nu0) <= 1.0 / n)
    floor = inner & (nu >= JITTER_FLOOR_FROM) & (np.abs(nu - nu0) > 2.0 / n)
    m = int(np.count_nonzero(floor))
    tested = int(np.count_nonzero(peak))
    if m < 3 or tested == 0:
        return 0.0
    level = float(np.mean(power[floor] / shape[floor]))
    if level <= 0.0:
        return 0.0
    gamma = float(np.max(power[peak] / (shape[peak] * level)))
    return min(1.0, tested * (1.0 + gamma / m) ** (-m))


def _irregularity(
    t_s: FloatArray, nn_ms: FloatArray, kept: NDArray[np.bool_], f_hz: float
) -> float:
    """COSEn of a window's intervals once the breathing rhythm found is taken out (step 6).

    A least-squares line and sinusoid at ``f_hz`` against beat time ``t_s`` (s), fitted to the
    ``kept`` intervals ``nn_ms`` (ms), are subtracted from the intervals, their mean added back,
    and :func:`coefficient_of_sample_entropy` taken of the rest over the ``kept`` ones. A large
    sinus arrhythmia moves successive intervals by 100-200 ms, as unpredictable at a 40 ms
    tolerance as atrial fibrillation, and its breath-to-breath changes keep that true of any
    fixed rhythm; the fit takes out most of it. ``inf`` when too few intervals are kept to fit.
    """
    design = np.column_stack(
        (
            np.ones(t_s.size),
            t_s - t_s[-1],
            np.cos(2.0 * np.pi * f_hz * t_s),
            np.sin(2.0 * np.pi * f_hz * t_s),
        )
    )
    if np.count_nonzero(kept) <= design.shape[1]:
        return math.inf
    coef, *_ = np.linalg.lstsq(design[kept], nn_ms[kept], rcond=None)
    rest = nn_ms - design @ coef + float(np.mean(nn_ms))
    return coefficient_of_sample_entropy(rest, kept=kept)


def coefficient_of_sample_entropy(
    rr_ms: ArrayLike,
    tolerance_ms: float = COSEN_TOLERANCE_MS,
    kept: ArrayLike | None = None,
) -> float:
    """Coefficient of sample entropy of a series of intervals (Lake & Moorman 2011).

    Lake, D. E. & Moorman, J. R. (2011), "Accurate estimation of entropy in very short
    physiological time series: the problem of atrial fibrillation detection in implanted
    ventricular devices", Am J Physiol Heart Circ Physiol 300:H319-H325. Sample entropy with
    templates of one interval (Richman & Moorman 2000, Am J Physiol Heart Circ Physiol
    278:H2039): of the ``n - 1`` pairs of successive intervals, ``B`` pairs of pairs whose first
    intervals lie within ``r`` of each other, ``A`` of those whose second ones do too, and
    ``SampEn = -ln(A / B)``. Dividing the matching probability by the width of the match,
    ``2 r``, and scaling the intervals by their mean gives

    ``COSEn = SampEn + ln(2 r) - ln(mean interval)``,

    an estimate of a density that depends little on ``r``, high for an unpredictable rhythm
    at a fast rate (atrial fibrillation), low for sinus rhythm, whose next interval follows
    from the last as long as its swing is small beside ``r`` (a large one needs its breathing
    taken out first: module notes, step 6).

    Examples
    --------
    Sinus rhythm with a breathing swing scores low; fast, irregular intervals like those of
    atrial fibrillation score above :data:`COSEN_IRREGULAR` (-1.5), irregular:

    >>> import numpy as np
    >>> sinus_ms = 60000.0 / (65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(64) * 0.92))
    >>> round(coefficient_of_sample_entropy(sinus_ms), 1)
    -1.9
    >>> irregular_ms = np.random.default_rng(2).uniform(350.0, 750.0, 64)
    >>> round(coefficient_of_sample_entropy(irregular_ms), 1)
    -0.4

    Parameters
    ----------
    rr_ms : array_like, shape (n,)
        Intervals, ms, in beat order (n >= 3).
    tolerance_ms : float
        ``r``, ms.
    kept : array_like of bool, shape (n,), optional
        Intervals as recorded (True) or made by an artifact correction (False): only pairs of
        two recorded intervals are templates. A correction smooths an irregular rhythm (it
        takes its beats for ectopic ones and interpolates them) and so lowers its entropy;
        the intervals it left alone keep the rhythm's own, and their mean is the one scaled
        by. All by default.

    Returns
    -------
    float
        COSEn (dimensionless); ``inf`` when no two templates match (the least predictable).

    Raises
    ------
    ValueError
        With fewer than 3 intervals.
    """
    x = np.asarray(rr_ms, dtype=np.float64)
    if x.ndim != 1 or x.size < 3:
        raise ValueError("the coefficient of sample entropy needs at least 3 intervals")
    keep = np.ones(x.size, dtype=bool) if kept is None else np.asarray(kept, dtype=bool)
    if keep.shape != x.shape:
        raise ValueError("kept must have one flag per interval")
    pair = keep[:-1] & keep[1:]
    first, second = x[:-1][pair], x[1:][pair]
    near_first = np.abs(np.subtract.outer(first, first)) <= tolerance_ms
    both = near_first & (np.abs(np.subtract.outer(second, second)) <= tolerance_ms)
    # Every template matches itself: the diagonal is left out of both counts.
    b = int(np.count_nonzero(near_first)) - first.size
    a = int(np.count_nonzero(both)) - first.size
    if a == 0:
        return math.inf
    # The mean of the intervals the templates are of: those a correction made may lie far
    # off once a fit is taken out (:func:`_irregularity` fits the kept ones), and with them
    # the mean fell to 0 or below (found by the degenerate-series fuzz test, seed 3575265603).
    return -math.log(a / b) + math.log(2.0 * tolerance_ms / float(np.mean(x[keep])))


def _white_noise_p(rr_ms: FloatArray) -> float:
    """Tests of white noise on a window's intervals: Fisher's and Bartlett's (step 5).

    Brockwell & Davis 1991, "Time Series: Theory and Methods", section 10.2: under white
    noise the periodogram ordinates at the Fourier frequencies are independent and identically
    exponential. Fisher's test (:func:`fisher_g_pvalue`) asks whether the largest one is too
    large a share of their sum (one strong rhythm); Bartlett's whether their normalised
    cumulative sums over ``m`` ordinates stray too far from the order statistics of ``m - 1``
    uniform variables (Kolmogorov-Smirnov, ``scipy.stats.kstest``: power spread unevenly,
    as by slow wander). The smaller p-value, doubled (Bonferroni), is returned. The series is
    the ranks of the intervals in beat
    order: for independent intervals any ranking is equally likely, so the null holds whatever
    their distribution, and an ectopic beat is one rank among many, not a spike that floods
    the spectrum.

    Parameters
    ----------
    rr_ms : ndarray, shape (n,)
        The window's intervals as given to the tracker and left alone by its correction, ms,
        in beat order.

    Returns
    -------
    float
        p-value of white noise, 0-1; 1 with fewer than 3 Fourier frequencies (under
        :data:`MIN_RECORDED_INTERVALS`, 8, intervals; none at all included): untestable.
    """
    n = rr_ms.size
    if n < MIN_RECORDED_INTERVALS:
        return 1.0
    # The periodogram with a rectangular window (only then are white noise's ordinates at
    # k / n independent) and the linear detrend of step 1, as scipy.signal.periodogram gives
    # it but for a constant factor, which no share below depends on. Written out, as are the
    # ranks and the Kolmogorov-Smirnov statistic below: scipy's general-purpose wrappers cost
    # 20 times the arithmetic, run once a second live, and made a 1 h replay at full speed
    # miss its 2 s.
    spectrum = scipy.fft.rfft(_detrended(_average_ranks(rr_ms)))
    power = spectrum.real**2 + spectrum.imag**2
    nu = scipy.fft.rfftfreq(n)
    # 0 and the Nyquist ordinate are chi-square with 1, not 2, degrees of freedom: left out.
    inner = (nu >= 0.5 / n) & (nu <= 0.5 - 0.5 / n)
    total = float(power[inner].sum())
    if np.count_nonzero(inner) < 3 or total <= 0.0:
        return 1.0
    cumulative = np.cumsum(power[inner])[:-1] / total
    bartlett = _ks_uniform_p(cumulative)
    fisher = fisher_g_pvalue(float(power[inner].max()) / total, int(np.count_nonzero(inner)))
    # Either test may reject: Bonferroni keeps the pair's level at the nominal one.
    return min(1.0, 2.0 * min(bartlett, fisher))


def _detrended(x: FloatArray) -> FloatArray:
    """``x`` less its least-squares straight line over the sample index:
    ``scipy.signal.detrend(x, type="linear")`` in closed form (the slope is the covariance
    with the centred index over that index's sum of squares, ``n (n^2 - 1) / 12``), without
    the general solver, which took half this test's time."""
    n = x.size
    centred_t = np.arange(n) - 0.5 * (n - 1)
    centred_x = x - x.mean()
    slope = float(centred_t @ centred_x) / (n * (n * n - 1) / 12.0)
    out: FloatArray = centred_x - slope * centred_t
    return out


def _average_ranks(x: FloatArray) -> FloatArray:
    """Ranks 1..n of ``x``, ties given their mean rank: ``scipy.stats.rankdata(x)``'s values
    (its ``"average"`` method, the algorithm it uses) without its per-call checks."""
    order = np.argsort(x, kind="mergesort")
    where = np.empty(order.size, dtype=np.intp)
    where[order] = np.arange(order.size)
    ordered = x[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(first)[where]
    bounds = np.r_[np.flatnonzero(first), first.size]
    return np.asarray(0.5 * (bounds[group] + bounds[group - 1] + 1), dtype=np.float64)


def _ks_uniform_p(x: FloatArray) -> float:
    """Two-sided one-sample Kolmogorov-Smirnov p-value of ``x`` (values in [0, 1]) against the
    uniform distribution on [0, 1]: ``scipy.stats.kstest(x, "uniform").pvalue``, the exact
    distribution of the statistic (``scipy.stats.kstwo``; Simard & L'Ecuyer 2011), which
    ``kstest`` uses at every size.

    In the far tail, ``n d^2 > 4`` with ``n <= 140``, that distribution is twice the one-sided
    one, ``2 scipy.special.smirnov(n, d)`` (Simard & L'Ecuyer 2011, section 4: the two tails
    then overlap by less than the rounding), and ``kstwo`` computes exactly that there: it is
    called here directly, without the distribution's general-purpose wrapper, which cost 20
    times the arithmetic. A strong breathing rhythm lands there in most windows.
    """
    n = x.size
    cdf = np.clip(np.sort(x), 0.0, 1.0)
    d_plus = float(np.max(np.arange(1, n + 1) / n - cdf))
    d_minus = float(np.max(cdf - np.arange(n) / n))
    d = max(d_plus, d_minus)
    if n <= 140 and n * d * d > 4.0:
        return min(1.0, max(0.0, 2.0 * float(scipy.special.smirnov(n, d))))
    return float(np.clip(scipy.stats.kstwo.sf(d, n), 0.0, 1.0))


def fisher_g_pvalue(g: float, m: int) -> float:
    """Probability that white noise gives a largest periodogram share of at least ``g``.

    Fisher's exact distribution (Fisher 1929, Proc R Soc A 125:54; Wichert, Fokianos &
    Strimmer 2004, Bioinformatics 20:5, eq. 4): of ``m`` independent exponential periodogram
    ordinates (Gaussian white noise at the Fourier frequencies), the largest one's share of
    their sum exceeds ``g`` with probability

    ``sum_{j=1}^{floor(1/g)} (-1)^(j-1) C(m, j) (1 - j g)^(m-1)``.

    Parameters
    ----------
    g : float
        Share of one ordinate in the sum of ``m``, 0-1.
    m : int
        Number of ordinates (Fourier frequencies, 0 and Nyquist excluded).

    Returns
    -------
    float
        p-value in [0, 1]; 1 for ``g <= 1 / m`` (the largest share is never smaller).

    Examples
    --------
    One of 30 ordinates holding half the power is no chance; a tenth of it often is:

    >>> f"{fisher_g_pvalue(0.5, 30):.1e}", round(fisher_g_pvalue(0.1, 30), 2)
    ('5.6e-08', 0.86)
    """
    if m < 2 or g * m <= 1.0:
        return 1.0
    if g >= 1.0:
        return 0.0
    j = np.arange(1, min(m, math.floor(1.0 / g)) + 1)
    terms = (-1.0) ** (j - 1) * scipy.special.comb(m, j) * (1.0 - j * g) ** (m - 1)
    # The alternating sum is exact; rounding can only push it a hair outside [0, 1].
    return float(min(1.0, max(0.0, terms.sum())))


def _rival_ratio(power: FloatArray, freqs: FloatArray, sel: NDArray[np.intp], j: int) -> float:
    """Whitened power of the strongest other peak in the band over the chosen one's.

    "Other": a local maximum more than ``RIVAL_GAP_HZ`` from the chosen bin ``j`` (outside
    its Hann main lobe, 2 / 64 s = 0.031 Hz wide each side). ``sel`` are the band's bins.
    """
    band = power[sel]
    top = np.r_[False, (band[1:-1] >= band[:-2]) & (band[1:-1] >= band[2:]), False]
    f = freqs[sel]
    f0 = freqs[j]
    far = np.abs(f - f0) > RIVAL_GAP_HZ
    # The breathing's own overtones (an uneven in/out breath puts power at 2f and 3f, which
    # the f^3 whitening lifts 8 and 27 times) and the f/2 a chosen overtone would have are
    # the same rhythm, not a rival.
    for k in (0.5, 2.0, 3.0):
        far &= np.abs(f - k * f0) > HARMONIC_TOL_HZ
    others = band[top & far]
    return float(others.max() / power[j]) if others.size and power[j] > 0 else 0.0


def estimate_breathing_from_rr(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    *,
    window_s: float = 64.0,
    step_s: float = 5.0,
    resample_hz: float = 4.0,
    band_hz: tuple[float, float] = (0.05, 0.5),
    peak_halfwidth_hz: float = 0.015,
    min_coverage: float = 0.5,
    max_gap_s: float = MAX_GAP_S,
    first_step_s: float | None = None,
    correct_artifacts: bool = False,
    progress: ProgressCallback | None = None,
) -> list[RRBreathEstimate]:
    """Breathing estimates over a whole NN series: one :class:`RRBreathTracker` fed every beat.

    Parameters
    ----------
    beat_t_s : array_like, shape (n,)
        Time of the beat ending each interval, s, increasing.
    nn_ms : array_like, shape (n,)
        Artifact-corrected intervals, ms (raw RR with ``correct_artifacts``).
    window_s, step_s, resample_hz, band_hz, peak_halfwidth_hz
        The tracker's settings, with its defaults: see :class:`RRBreathTracker`.
    min_coverage, max_gap_s, first_step_s, correct_artifacts
        The tracker's settings, with its defaults: see :class:`RRBreathTracker`.
    progress : callable, optional
        Told the fraction of the beats fed (:mod:`analysis.progress`): hours of beats are
        seconds of work.

    Returns
    -------
    list of RRBreathEstimate
        Every ``step_s`` from one window after the first beat to the last beat.

    Raises
    ------
    ValueError
        On arrays of different shapes or not 1-D, a beat time that is not finite or goes
        backwards, an interval that is not positive and finite, intervals whose median is no
        heart's in ms (RR in seconds read a breathing rate of 321/min) or beat times spaced
        about 1000 times their intervals (times in ms gave no estimate and no reason;
        :mod:`analysis.checks`), or a tracker setting :class:`RRBreathTracker` refuses.

    Examples
    --------
    A heart rate swinging 65 +- 6 beats/min with breathing at 6 breaths/min (0.1 Hz):

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> beat_t_s = np.cumsum(rr_ms) / 1000.0
    >>> estimates = estimate_breathing_from_rr(beat_t_s, rr_ms)
    >>> round(estimates[-1].rate_bpm, 1), round(session_rate_bpm(estimates), 1)
    (6.0, 6.0)
    """
    t = np.asarray(beat_t_s, dtype=np.float64)
    rr = np.asarray(nn_ms, dtype=np.float64)
    if t.shape != rr.shape or t.ndim != 1:
        raise ValueError("beat_t_s and nn_ms must be one-dimensional and of equal length")
    bad = np.flatnonzero(~(np.isfinite(rr) & (rr > 0.0) & np.isfinite(t)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"beat {i} ({float(t[i])} s, {float(rr[i])} ms) needs a finite time and a positive "
            "finite interval"
        )
    # Units are judged over the whole series: the tracker sees beats one by one.
    check_rr_units(rr, "nn_ms")
    check_beat_time_units(t, rr)
    tracker = RRBreathTracker(
        window_s=window_s,
        step_s=step_s,
        resample_hz=resample_hz,
        band_hz=band_hz,
        peak_halfwidth_hz=peak_halfwidth_hz,
        min_coverage=min_coverage,
        max_gap_s=max_gap_s,
        first_step_s=first_step_s,
        correct_artifacts=correct_artifacts,
    )
    steps = ProgressSteps(progress)
    beats = (Beat(a, b) for a, b in zip(t.tolist(), rr.tolist(), strict=True))
    estimates = tracker.update(counted(beats, t.size, steps))
    steps.done()
    return estimates


def session_rate_bpm(estimates: Iterable[RRBreathEstimate]) -> float | None:
    """One breathing rate for a session: the median rate of the better half of the estimates
    that agree with most others.

    Estimates below :data:`USABLE_QUALITY` are dropped; of the rest, those that read the
    rhythm most of them read are kept (:func:`session_rate_members`), and of those, the ones
    at or above their median quality; their median rate is returned, breaths/min. ``None``
    when fewer than :data:`MIN_USABLE_SHARE` of the estimates are usable: the heart rhythm
    then carries too little breathing for a session number (see :func:`usable_share`).

    Examples
    --------
    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> estimates = estimate_breathing_from_rr(np.cumsum(rr_ms) / 1000.0, rr_ms)
    >>> round(session_rate_bpm(estimates), 1), usable_share(estimates)
    (6.0, 1.0)
    >>> session_rate_bpm([]) is None
    True
    """
    items = list(estimates)
    chosen = session_rate_members(items)
    if not chosen:
        return None
    return float(np.median([items[i].rate_bpm for i in chosen]))


def session_rate_members(estimates: Sequence[RRBreathEstimate]) -> list[int]:
    """The indices of the estimates :func:`session_rate_bpm` takes the median of, in order.

    Of the usable ones (quality at least :data:`USABLE_QUALITY`), those within
    :data:`AGREE_FRACTION` of the rate the most usable estimates agree with (the rate of the
    estimate with the most others that close; of a tie, the one whose neighbours' qualities
    sum highest), and of those, the ones at or above their median quality. None when fewer
    than :data:`MIN_USABLE_SHARE` are usable. Whatever is compared with the session rate (the
    pacer rates those windows were asked) is then of the same windows.

    The quality alone chose before (the usable half at or above the median quality): a
    Mayer wave's windows can be the better ones, and with one of 5 beats/min beside fast
    shallow breathing the session rate read it (6.4-6.6/min for a true 14-18 in 4 of 12
    simulated sessions, in one of them with 72 % of the estimates right).
    """
    if not estimates or usable_share(estimates) < MIN_USABLE_SHARE:
        return []
    usable = [i for i, e in enumerate(estimates) if e.quality >= USABLE_QUALITY]
    rates = np.array([estimates[i].rate_bpm for i in usable])
    quality = np.array([estimates[i].quality for i in usable])
    support = np.empty(rates.size, dtype=np.int64)
    weight = np.empty(rates.size, dtype=np.float64)
    # The estimates-by-estimates comparison a few rows at a time: whole, it held two float
    # matrices of every pair, 1.2 GB for the 8640 windows of a 24 h strap session.
    # Each row's weight is summed on its own (not by a matrix product, whose BLAS sums a
    # row in an order that depends on how many rows it is given).
    rows = max(1, _CLOSE_BLOCK_CELLS // max(rates.size, 1))
    for first in range(0, rates.size, rows):
        close = _close_rates(rates, first, first + rows)
        support[first : first + rows] = close.sum(axis=1)
        weight[first : first + rows] = np.where(close, quality, 0.0).sum(axis=1)
    centre = max(range(len(usable)), key=lambda k: (support[k], weight[k]))
    centre_row = _close_rates(rates, centre, centre + 1)[0]
    agreeing = [usable[k] for k in np.flatnonzero(centre_row).tolist()]
    median_q = float(np.median([estimates[i].quality for i in agreeing]))
    return [i for i in agreeing if estimates[i].quality >= median_q]


def _close_rates(rates: FloatArray, first: int, stop: int) -> NDArray[np.bool_]:
    """Which of ``rates`` lie within :data:`AGREE_FRACTION` of each of ``rates[first:stop]``
    (rows), as :func:`session_rate_members` compares them."""
    own = rates[first:stop, None]
    return np.asarray(np.abs(own - rates[None, :]) <= AGREE_FRACTION * own)


_CLOSE_BLOCK_CELLS = 1 << 18
"""Pairs :func:`session_rate_members` compares at a time: 2 MiB per float matrix of them."""

AGREE_FRACTION = 0.35
"""Estimates within this fraction of a rate read the same rhythm (:func:`session_rate_members`):
a Mayer wave at 6-6.5/min stands apart from breathing at about 10.5/min and faster, while a
paced session's few rates (resonance steps half a breath a minute apart) and the windows of
irregular breathing stay together: at 20 % the NeuroKit2 8-min recording's (7-12/min) split,
and its session rate went 9.37 -> 9.05/min against the belt's 9.78."""


def usable_share(estimates: Iterable[RRBreathEstimate]) -> float:
    """Share of ``estimates`` at or above :data:`USABLE_QUALITY`, 0-1 (0 for none)."""
    q = [e.quality for e in estimates]
    return sum(v >= USABLE_QUALITY for v in q) / len(q) if q else 0.0


@dataclass(frozen=True, slots=True)
class RRCycle:
    """One breathing cycle read from heart rate (batch): trough to trough of the RSA wave.

    Attributes
    ----------
    inhale_onset_s : float
        Heart-rate trough that starts the cycle, s (taken as the inhale onset).
    exhale_onset_s : float
        Heart-rate peak within the cycle, s (about the exhale onset).
    end_s : float
        Next heart-rate trough, s.
    rsa_bpm : float or None
        Peak-to-trough RSA of the cycle (:func:`analysis.rsa.rsa_per_breath`, Grossman, van
        Beek & Wientjes 1990): the fastest instantaneous heart rate with its interval's
        midpoint in ``[inhale_onset_s, exhale_onset_s)`` minus the slowest in
        ``[exhale_onset_s, end_s)``, beats/min, the per-breath RSA of the session report and
        history; ``None`` when either half holds no interval's midpoint.
    quality : float
        Quality of the nearest windowed estimate (:class:`RRBreathEstimate`), 0-1.
    """

    inhale_onset_s: float
    exhale_onset_s: float
    end_s: float
    rsa_bpm: float | None
    quality: float


def rr_breath_cycles(
    beat_t_s: ArrayLike,
    nn_ms: ArrayLike,
    estimates: Iterable[RRBreathEstimate],
    *,
    resample_hz: float = 4.0,
    max_gap_s: float = MAX_GAP_S,
) -> list[RRCycle]:
    """Breath-by-breath cycles of the RSA wave over a whole recording (offline, zero-phase).

    The heart-rate series (rates at interval midpoints, 4 Hz, linear interpolation) is
    band-passed around the session rate (:func:`session_rate_bpm`, 0.6x-1.6x, 2nd-order
    Butterworth run forwards and backwards, so no delay: SciPy ``sosfiltfilt``, Gustafsson
    1996) and its troughs and peaks, at least 0.6 of a period apart
    (``scipy.signal.find_peaks``), bound the cycles. Each cycle's RSA is the textbook
    peak-to-trough of the intervals themselves (:func:`analysis.rsa.rsa_per_breath`), the same
    number the session report and history give for it: it was the band-passed wave's peak
    minus the mean of its two troughs read on the interpolated heart rate, 10-30 % above the
    peak-to-trough of the same cycles (8.62 against 6.61 beats/min on pyHRV's
    ``SampleNNISeriesShort``). Limits as for the module: the phase is the
    heart's, and there is no exhale:inhale ratio.

    Parameters
    ----------
    beat_t_s, nn_ms : array_like, shape (n,)
        Beat times, s, and artifact-corrected intervals, ms.
    estimates : iterable of RRBreathEstimate
        The windowed estimates of the same series (rate and per-cycle quality).
    resample_hz : float
        Rate of the resampled heart-rate series, Hz.
    max_gap_s : float
        Successive beats further apart than this, s, leave a hole (module notes, "Holes"):
        the resampled series is a straight line across it, which the band-pass turns into
        invented cycles, so a cycle that overlaps a hole is left out.

    Returns
    -------
    list of RRCycle
        In time order; empty when there is no usable estimate or too little data.

    Examples
    --------
    A heart rate swinging 65 +- 6 beats/min at 6 breaths/min: cycles 10 s long, each with an
    RSA of about the 12 beats/min swing:

    >>> import numpy as np
    >>> hr_bpm = 65.0 + 6.0 * np.sin(2 * np.pi * 0.1 * np.arange(330) * 0.92)
    >>> rr_ms = 60000.0 / hr_bpm
    >>> beat_t_s = np.cumsum(rr_ms) / 1000.0
    >>> cycles = rr_breath_cycles(beat_t_s, rr_ms, estimate_breathing_from_rr(beat_t_s, rr_ms))
    >>> c = cycles[0]
    >>> len(cycles), round(c.inhale_onset_s, 1), round(c.end_s - c.inhale_onset_s, 1)
    (29, 7.9, 10.0)
    >>> round(float(np.median([c.rsa_bpm for c in cycles])))
    11
    """
    import scipy.signal

    items = list(estimates)
    rate = session_rate_bpm(items)
    t = np.asarray(beat_t_s, dtype=np.float64)
    rr = np.asarray(nn_ms, dtype=np.float64)
    if rate is None or t.size < 8:
        return []
    f0 = rate / 60.0
    grid = np.arange(t[0], t[-1], 1.0 / resample_hz)
    hi = min(1.6 * f0, 0.45 * resample_hz)
    if grid.size < 4 * resample_hz / f0 or not 0.6 * f0 < hi:
        return []
    mid_s, hr_bpm, _ = instantaneous_heart_rate(t, rr)
    hr = np.interp(grid, mid_s, hr_bpm)
    sos = scipy.signal.butter(2, [0.6 * f0, hi], "bandpass", fs=resample_hz, output="sos")
    x = scipy.signal.sosfiltfilt(sos, hr - hr.mean())
    distance = max(1, int(0.6 * resample_hz / f0))
    troughs, _ = scipy.signal.find_peaks(-x, distance=distance)
    peaks, _ = scipy.signal.find_peaks(x, distance=distance)
    est_t = np.array([e.t_s - e.window_s / 2 for e in items])
    est_q = np.array([e.quality for e in items])
    gap = np.flatnonzero(np.diff(t) > max_gap_s)
    hole_start, hole_end = t[gap], t[gap + 1]
    out: list[RRCycle] = []
    for a, b in zip(troughs[:-1].tolist(), troughs[1:].tolist(), strict=True):
        inside = peaks[(peaks > a) & (peaks < b)]
        if inside.size == 0 or np.any((hole_start < grid[b]) & (hole_end > grid[a])):
            continue
        p = int(inside[np.argmax(x[inside])])
        mid = grid[a] + 0.5 * (grid[b] - grid[a])
        q = float(est_q[int(np.argmin(np.abs(est_t - mid)))])
        out.append(RRCycle(float(grid[a]), float(grid[p]), float(grid[b]), None, q))
    # rsa_per_breath wants beat times in order; a corrected series' times may step back a hair
    # (a split beat), so they are sorted as the report sorts them.
    order = np.argsort(t, kind="stable")
    rsa = rsa_per_breath(t[order], rr[order], out)
    return [replace(c, rsa_bpm=r.peak_to_trough_bpm) for c, r in zip(out, rsa, strict=True)]
