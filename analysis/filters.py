"""Causal IIR filtering with explicit state, and the filter designs the streaming processors use.

Every streaming processor in :mod:`analysis` filters its input with :class:`StreamingSOS`: a
cascade of second-order sections run by SciPy's ``sosfilt`` kernel whose state (``zi``) lives in
the object, so feeding a signal in any chunking gives exactly the output of filtering it at once
(the per-sample recursion is the same; only where it pauses differs).

References
----------
* Second-order sections, direct form II transposed: ``scipy.signal.sosfilt``; Oppenheim &
  Schafer, *Discrete-Time Signal Processing*, 3rd ed., sections 6.3-6.5.
* Butterworth design by the bilinear transform: ``scipy.signal.butter``; Oppenheim & Schafer
  section 7.2.
* Group delay ``-d(phase)/d(omega)``: ``scipy.signal.group_delay``; the group delay of a cascade
  is the sum of the sections' group delays because their phases add.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike, NDArray

from analysis.checks import check_positive

__all__ = ["StreamingSOS", "bandpass_sos", "group_delay_s", "lowpass_sos"]

FloatArray = NDArray[np.float64]


def _load_kernel() -> Callable[[Any, Any, Any], None] | None:
    """The compiled loop behind ``scipy.signal.sosfilt``, or None if this SciPy hides it.

    ``sosfilt`` validates and reshapes its arguments on every call, which costs about 40 us:
    more than everything else a 250 ms update of a 20 Hz belt does. StreamingSOS validates once in
    its constructor and calls the kernel directly. The kernel is the very code ``sosfilt`` runs,
    so results are bit-for-bit those of ``sosfilt``; when a SciPy release moves it, or changes
    what it takes or does (:func:`_kernel_agrees`, checked once here), we fall back to the public
    function, which is slower but gives the same numbers.
    """
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:  # pragma: no cover - depends on the installed SciPy
        return None
    kernel: Callable[[Any, Any, Any], None] = _sosfilt
    return kernel if _kernel_agrees(kernel) else None


def _kernel_agrees(kernel: Callable[[Any, Any, Any], None]) -> bool:
    """Whether ``kernel(sos, x, zi)`` filters in place exactly as ``scipy.signal.sosfilt`` does.

    A small case (two sections, a non-zero state, five samples) is run both ways; a kernel whose
    signature changed (it raises) or whose results differ in any bit is not used.
    """
    sos = np.array([[0.2, 0.4, 0.2, 1.0, -0.3, 0.1], [1.0, -1.0, 0.5, 1.0, 0.5, 0.2]])
    x = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
    zi = np.array([[0.1, -0.2], [0.3, 0.0]])
    want_y, want_zi = scipy.signal.sosfilt(sos, x, zi=zi)
    out = x.reshape(1, -1).copy()
    state = zi.reshape(1, -1, 2).copy()
    try:
        kernel(sos, out, state)
    except Exception:  # any failure of a private function means: do not use it
        return False
    return bool(np.array_equal(out[0], want_y) and np.array_equal(state[0], want_zi))


_KERNEL = _load_kernel()


def _check_band_edge(name: str, f_hz: float, fs_hz: float) -> None:
    check_positive("fs_hz", fs_hz)
    if not np.isfinite(f_hz) or not 0.0 < f_hz < fs_hz / 2.0:
        raise ValueError(
            f"{name} must lie strictly between 0 and fs_hz/2 = {fs_hz / 2.0:g} Hz, got {f_hz!r}"
        )


def lowpass_sos(cutoff_hz: float, fs_hz: float, order: int = 2) -> FloatArray:
    """Design a Butterworth low-pass filter as second-order sections.

    Parameters
    ----------
    cutoff_hz : float
        -3 dB cutoff frequency, Hz; must lie strictly between 0 and ``fs_hz / 2``.
    fs_hz : float
        Sampling rate of the signal to filter, Hz.
    order : int
        Filter order (number of poles), >= 1.

    Returns
    -------
    ndarray, shape (ceil(order / 2), 6)
        Sections ``[b0, b1, b2, 1, a1, a2]`` for :class:`StreamingSOS` or ``scipy.signal.sosfilt``.

    Raises
    ------
    ValueError
        If the cutoff is not inside (0, fs_hz/2) or the order is below 1.

    Notes
    -----
    ``scipy.signal.butter(order, cutoff_hz, btype="lowpass", fs=fs_hz, output="sos")``: maximally
    flat pass band, bilinear transform with pre-warping (Oppenheim & Schafer section 7.2).

    Examples
    --------
    A 1 Hz low-pass for a 25 Hz belt: one section, unity gain at DC, -3 dB (0.707) at the cutoff:

    >>> import scipy.signal
    >>> sos = lowpass_sos(1.0, 25.0)
    >>> sos.shape
    (1, 6)
    >>> _, h = scipy.signal.sosfreqz(sos, worN=[0.1, 1.0, 5.0], fs=25.0)
    >>> [round(float(g), 3) for g in abs(h)]
    [1.0, 0.707, 0.03]
    """
    _check_band_edge("cutoff_hz", cutoff_hz, fs_hz)
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    sos: FloatArray = np.asarray(
        scipy.signal.butter(order, cutoff_hz, btype="lowpass", fs=fs_hz, output="sos"),
        dtype=np.float64,
    )
    return sos


def bandpass_sos(low_hz: float, high_hz: float, fs_hz: float, order: int = 2) -> FloatArray:
    """Design a Butterworth band-pass filter as second-order sections.

    Parameters
    ----------
    low_hz, high_hz : float
        -3 dB band edges, Hz, with ``0 < low_hz < high_hz < fs_hz / 2``.
    fs_hz : float
        Sampling rate of the signal to filter, Hz.
    order : int
        Order of the low-pass prototype, >= 1; the band-pass has ``2 * order`` poles (the SciPy
        convention), so ``order=2`` is the NeuroKit2 ``khodadad2018`` respiration filter.

    Returns
    -------
    ndarray, shape (order, 6)
        Second-order sections.

    Raises
    ------
    ValueError
        If the band edges are not ordered inside (0, fs_hz/2) or the order is below 1.

    Notes
    -----
    ``scipy.signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs_hz, output="sos")``.
    A high-pass edge changes the shape of slow breaths (it differentiates components below it),
    which is why the breath detector uses a low-pass only; this builder is for the other streams.

    Examples
    --------
    A 0.1-0.5 Hz band for a 10 Hz stream: two sections, unity gain inside the band, little at
    0.02 Hz (drift) and at 2 Hz:

    >>> import scipy.signal
    >>> sos = bandpass_sos(0.1, 0.5, 10.0)
    >>> sos.shape
    (2, 6)
    >>> _, h = scipy.signal.sosfreqz(sos, worN=[0.02, 0.25, 2.0], fs=10.0)
    >>> [round(float(g), 2) for g in abs(h)]
    [0.03, 1.0, 0.03]
    """
    _check_band_edge("low_hz", low_hz, fs_hz)
    _check_band_edge("high_hz", high_hz, fs_hz)
    if not low_hz < high_hz:
        raise ValueError(f"low_hz must be below high_hz, got {low_hz!r} >= {high_hz!r}")
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    sos: FloatArray = np.asarray(
        scipy.signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs_hz, output="sos"),
        dtype=np.float64,
    )
    return sos


def group_delay_s(sos: ArrayLike, fs_hz: float, f_hz: float) -> float:
    """Group delay of a cascade of second-order sections at one frequency, in seconds.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections.
    fs_hz : float
        Sampling rate the sections were designed for, Hz.
    f_hz : float
        Frequency at which to evaluate the delay, Hz, in ``[0, fs_hz / 2)``.

    Returns
    -------
    float
        Group delay ``-d(phase)/d(omega)`` in seconds: how late a narrow-band feature near
        ``f_hz`` (a breath's trough, say) appears at the filter output.

    Raises
    ------
    ValueError
        If ``sos`` is not an (n, 6) array or the frequencies are out of range.

    Notes
    -----
    Each section's delay comes from ``scipy.signal.group_delay((b, a), w=[f_hz], fs=fs_hz)`` (in
    samples); the cascade's delay is their sum because the phases of cascaded sections add. For a
    2nd-order Butterworth low-pass the low-frequency limit is ``sqrt(2) / (2 pi f_c)`` seconds
    (0.225 s for ``f_c = 1 Hz``), the analogue prototype's ``d(phase)/d(omega)`` at 0.

    Examples
    --------
    How late a 6 breaths/min (0.1 Hz) trough leaves a 1 Hz low-pass at 25 Hz: about the
    ``sqrt(2) / (2 pi)`` s of the analogue prototype:

    >>> round(group_delay_s(lowpass_sos(1.0, 25.0), 25.0, 0.1), 3)
    0.226
    """
    sections = np.asarray(sos, dtype=np.float64)
    if sections.ndim != 2 or sections.shape[1] != 6 or sections.shape[0] == 0:
        raise ValueError(f"sos must have shape (n_sections, 6), got {sections.shape}")
    check_positive("fs_hz", fs_hz)
    if not np.isfinite(f_hz) or not 0.0 <= f_hz < fs_hz / 2.0:
        raise ValueError(f"f_hz must lie in [0, fs_hz/2), got {f_hz!r}")
    total_samples = 0.0
    for section in sections:
        _, gd = scipy.signal.group_delay((section[:3], section[3:]), w=[f_hz], fs=fs_hz)
        total_samples += float(gd[0])
    return total_samples / fs_hz


class StreamingSOS:
    """A causal second-order-sections filter whose state survives between calls.

    Filtering a signal in any chunking gives the output of filtering it at once, bit for bit:
    the state after the last sample of one chunk is exactly the state the recursion would have
    there in a single call.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections (for instance from :func:`lowpass_sos`), with ``a0 == 1``.
    initial : float or None
        Signal level the filter is assumed to have been at forever before the first sample, in
        input units. ``None`` (the default) takes the first sample's value, so a signal that
        starts far from zero (a belt's force offset) does not ring at start.

    Raises
    ------
    ValueError
        If ``sos`` is not a valid, finite (n, 6) array with ``a0 == 1``, or ``initial`` is not
        finite.

    Notes
    -----
    Steady-state priming: ``scipy.signal.sosfilt_zi(sos) * x0`` is the state the filter holds
    after an infinitely long constant input ``x0`` (SciPy ``sosfilt_zi``; Gustafsson 1996 uses the
    same idea for ``filtfilt``). The recursion is direct form II transposed, the one
    ``scipy.signal.sosfilt`` runs.

    Examples
    --------
    Filtering in two chunks gives, bit for bit, what filtering at once gives:

    >>> import numpy as np
    >>> sos = lowpass_sos(1.0, 25.0)
    >>> x = 5.0 + np.random.default_rng(0).standard_normal(200)
    >>> chunked = StreamingSOS(sos)
    >>> y = np.concatenate([chunked.process(x[:70]), chunked.process(x[70:])])
    >>> bool(np.array_equal(y, StreamingSOS(sos).process(x)))
    True

    Primed from the first sample (the default), a signal far from zero starts without ringing;
    primed at zero, the output climbs from zero first:

    >>> bool(abs(y[0] - x[0]) < 1e-9)
    True
    >>> [round(float(v), 2) for v in StreamingSOS(sos, initial=0.0).process([5.0, 5.0, 5.0])]
    [0.07, 0.31, 0.73]
    """

    __slots__ = ("_initial", "_sos", "_zi", "_zi_unit")

    def __init__(self, sos: ArrayLike, *, initial: float | None = None) -> None:
        sections = np.array(sos, dtype=np.float64, order="C", copy=True)
        if sections.ndim != 2 or sections.shape[1] != 6 or sections.shape[0] == 0:
            raise ValueError(f"sos must have shape (n_sections, 6), got {sections.shape}")
        if not np.all(np.isfinite(sections)):
            raise ValueError("sos contains non-finite coefficients")
        if not np.all(sections[:, 3] == 1.0):
            raise ValueError("every section must have a0 == 1 (normalised), as butter() returns")
        if initial is not None and not np.isfinite(initial):
            raise ValueError(f"initial must be finite, got {initial!r}")
        self._sos: FloatArray = sections
        self._zi_unit: FloatArray = np.asarray(scipy.signal.sosfilt_zi(sections), dtype=np.float64)
        self._initial = initial
        self._zi: FloatArray | None = None
        self.reset()

    @property
    def sos(self) -> FloatArray:
        """The second-order sections (a copy), shape (n_sections, 6)."""
        return self._sos.copy()

    @property
    def state(self) -> FloatArray | None:
        """A copy of the filter state ``zi``, shape (n_sections, 2).

        ``None`` before the first sample when the filter primes itself from that sample
        (``initial=None``).
        """
        return None if self._zi is None else self._zi.copy()

    def reset(self) -> None:
        """Forget all input: back to the state right after construction."""
        if self._initial is None:
            self._zi = None
        else:
            self._zi = self._zi_unit * self._initial

    def process(self, x: ArrayLike, *, out: FloatArray | None = None) -> FloatArray:
        """Filter the next samples.

        Parameters
        ----------
        x : array_like, shape (n,)
            The next ``n`` samples, in order (``n`` may be 0), in input units.
        out : ndarray, shape (n,), optional
            Where to write the filtered samples: C-contiguous float64 (it may be ``x`` itself).
            A caller that keeps the output in a buffer of its own saves an array and a copy
            the size of the input (:class:`analysis.breath.BreathTracker`, fed an hour at once).

        Returns
        -------
        ndarray, shape (n,)
            The filtered samples, float64, in input units: ``out`` if given, else a new array.

        Raises
        ------
        ValueError
            If ``x`` is not one-dimensional, or ``out`` is not a C-contiguous float64 array of
            the shape of ``x``.
        """
        samples = np.asarray(x, dtype=np.float64)
        if samples.ndim != 1:
            raise ValueError(f"x must be one-dimensional, got shape {samples.shape}")
        if out is not None and not (
            out.shape == samples.shape and out.dtype == np.float64 and out.flags.c_contiguous
        ):
            raise ValueError(
                f"out must be a C-contiguous float64 array of shape {samples.shape}, got "
                f"{out.dtype} {out.shape}"
            )
        if samples.size == 0:
            return np.empty(0, dtype=np.float64) if out is None else out
        if self._zi is None:
            self._zi = self._zi_unit * samples[0]
        if _KERNEL is None:  # a SciPy that hides or changed the kernel (_load_kernel)
            y, zi = scipy.signal.sosfilt(self._sos, samples, zi=self._zi)
            self._zi = np.asarray(zi, dtype=np.float64)
            if out is None:
                return np.asarray(y, dtype=np.float64)
            out[...] = y
            return out
        # The kernel filters a (n_signals, n) array in place and updates a (n_signals, n_sections,
        # 2) state in place; both must be C-contiguous float64, which these reshapes guarantee
        # (a reshape of a C-contiguous `out` is a view of it).
        if out is None:
            out = np.array(samples, dtype=np.float64, order="C", copy=True)
        else:
            out[...] = samples  # (numpy copies through a temporary if the two overlap)
        zi = self._zi.reshape(1, -1, 2)
        _KERNEL(self._sos, out.reshape(1, -1), zi)
        return out
