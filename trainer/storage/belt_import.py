"""A table's respiration column as the belt stream a Go Direct belt session records.

Research tables (NeuroKit2's ``bio_*_100hz.csv``: ``ECG, PPG, RSP``; BIOPAC and PhysioNet
conversions: ``Resp``, ``RESP``) hold a respiration belt beside the ECG. ``import`` makes of it
what a live session with a belt records: one Go Direct measurement packet per sample on the
belt's force channel (:data:`devices.godirect_commands.FORCE_CHANNEL`), in the header the stream
``gdx`` with its ``period_us`` (docs/recording-format.md), so replay, report, history and export
find its breaths as a session's. :mod:`recordings.derive_sample` builds the bundled sample's belt
with :func:`belt_packets` too, so an import of its source file carries the same belt bytes.

Rate. A table sampled faster than :data:`BELT_HZ` (the Go Direct belt's rate as the sample and
the simulated belt run it) is brought to it offline, as :mod:`recordings.derive_sample` did:

* a whole multiple of it (100 Hz to 20 Hz): :func:`scipy.signal.decimate`, an order-8
  Chebyshev type I low-pass at 0.8 of the new Nyquist frequency, run forwards and backwards
  (zero phase), then every ``q``-th sample; a factor above 13 in stages of factors of at most
  13, as SciPy's documentation advises;
* any other rate (62.47 Hz, 125 Hz): :func:`scipy.signal.resample_poly`, a polyphase FIR
  (Kaiser window, beta 5) at the exact ratio ``BELT_HZ / fs`` (the rate read as a fraction with a
  denominator of at most 1000), delay-compensated, so zero phase too.

A table at :data:`BELT_HZ` or slower whose sample period is a whole number of µs keeps its
samples as they are (a belt stream carries any period the header holds, 100 µs to 10 s); a
slower one whose period is not (3 Hz) is brought to :data:`BELT_HZ` by the polyphase filter.
Values are stored as the packets' float32 in the file's own unit: a respiration belt's output is
volts, arbitrary units or newtons, and the header's ``source.details["belt_units"]`` says which
(:func:`belt_units`), as the sample's does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.signal import decimate, resample_poly

from devices.godirect import encode_godirect_measurements
from devices.godirect_commands import FORCE_CHANNEL

FloatArray = npt.NDArray[np.float64]

BELT_HZ = 20.0
"""The rate of an imported belt stream, Hz, when the table's is higher: the bundled sample's and
the simulated belt's (``period_us`` 50 000), ample for breathing below 1 Hz."""
MAX_DECIMATE_STAGE = 13
"""Largest factor of one :func:`scipy.signal.decimate` call (its documentation: call it several
times above 13)."""
_RATE_DENOMINATOR = 1000
"""Largest denominator of a rate read as a fraction for :func:`scipy.signal.resample_poly`:
62.47 Hz is 6247/100 exactly."""

_BELT_NAME = re.compile(
    r"(?P<what>rsp|resp|respiration|breathing|belt|resp_belt|respiration_belt)"
    r"(?:_(?:raw|signal|belt))?(?:_(?P<unit>v|mv|uv|n|au))?"
)
"""Normalised names (:func:`trainer.storage.imports.table_columns.column_key`) of a respiration belt
column: NeuroKit2's ``RSP``, PhysioNet's ``RESP``/``Resp``, ``respiration``, ``belt``; an optional
``_raw``/``_signal`` and a unit after them (``RSP_V``, ``resp (mV)``, ``belt_N``)."""
_UNITS = {"v": "V", "mv": "mV", "uv": "µV", "n": "N", "au": "a.u."}


def belt_column(key: str) -> tuple[bool, str | None]:
    """Whether a normalised header name is a respiration belt column, and the unit it names.

    Parameters
    ----------
    key : str
        The header cell as :func:`trainer.storage.imports.table_columns.column_key` makes it
        (``rsp``, ``resp_v``).

    Returns
    -------
    is_belt : bool
    unit : str or None
        ``"V"``, ``"mV"``, ``"µV"``, ``"N"`` or ``"a.u."`` when the name states it, else None.
    """
    match = _BELT_NAME.fullmatch(key)
    if match is None:
        return False, None
    unit = match.group("unit")
    return True, None if unit is None else _UNITS[unit]


def belt_units(column: str, unit: str | None) -> str:
    """``source.details["belt_units"]``: the belt values' unit, in the sample's form (``"V
    (NeuroKit2 RSP belt), not N"``): a live belt records newtons, an imported column keeps its
    file's unit."""
    if unit is None:
        return f"as in the file (its {column!r} column names no unit), not N"
    return f"{unit} (the file's {column!r} column)" + ("" if unit == "N" else ", not N")


@dataclass(frozen=True, slots=True)
class BeltSamples:
    """A belt signal at a rate a belt stream records (:func:`to_belt_rate`).

    Attributes
    ----------
    values : ndarray of float
        The samples, in the file's unit.
    fs_hz : float
        Their rate, Hz.
    period_us : int or float
        The sample period for the header's ``gdx`` stream, µs (a whole number whenever the rate
        gives one).
    method : str or None
        How they were resampled from the table's rate, one line (None: kept as they were).
    """

    values: FloatArray
    fs_hz: float
    period_us: int | float
    method: str | None


def _whole(value: float) -> int | None:
    """``value`` as an int if it is one (to float rounding), else None."""
    near = round(value)
    return near if near >= 1 and abs(value - near) <= 1e-9 * max(abs(value), 1.0) else None


def _stages(q: int) -> list[int] | None:
    """``q`` as factors of at most :data:`MAX_DECIMATE_STAGE` (largest first), or None when a
    prime factor is larger."""
    out: list[int] = []
    rest = q
    for factor in range(MAX_DECIMATE_STAGE, 1, -1):
        while rest % factor == 0:
            out.append(factor)
            rest //= factor
    return out if rest == 1 else None


def to_belt_rate(values: FloatArray, fs_hz: float) -> BeltSamples:
    """A table's respiration column at a rate a belt stream records (module notes).

    Parameters
    ----------
    values : ndarray of float
        The samples, evenly spaced, finite.
    fs_hz : float
        Their rate, Hz.

    Returns
    -------
    BeltSamples
    """
    x = np.asarray(values, dtype=np.float64)
    if fs_hz <= BELT_HZ and (period := _whole(1e6 / fs_hz)) is not None:
        return BeltSamples(x, fs_hz, period, None)
    q = _whole(fs_hz / BELT_HZ)
    stages = None if q is None else _stages(q)
    # decimate's filter runs forwards and backwards over 3 * (order + 1) = 27 samples of padding
    # at each end: a shorter signal goes to the polyphase filter.
    if q is not None and stages and x.size > 27 * q:
        out = x
        for factor in stages:
            out = decimate(out, factor, ftype="iir", zero_phase=True)
        method = (
            f"decimated from {fs_hz:g} Hz to {BELT_HZ:g} Hz (scipy.signal.decimate, order-8 "
            "Chebyshev I low-pass, zero phase"
            + ("" if len(stages) == 1 else f", in stages of {' x '.join(map(str, stages))}")
            + ")"
        )
        return BeltSamples(np.asarray(out, dtype=np.float64), BELT_HZ, _period_us(BELT_HZ), method)
    ratio = Fraction(BELT_HZ) / Fraction(fs_hz).limit_denominator(_RATE_DENOMINATOR)
    out = resample_poly(x, ratio.numerator, ratio.denominator)
    method = (
        f"resampled from {fs_hz:g} Hz to {BELT_HZ:g} Hz (scipy.signal.resample_poly, up "
        f"{ratio.numerator} down {ratio.denominator}, Kaiser-window FIR, zero phase)"
    )
    return BeltSamples(np.asarray(out, dtype=np.float64), BELT_HZ, _period_us(BELT_HZ), method)


def _period_us(fs_hz: float) -> int | float:
    period = 1e6 / fs_hz
    whole = _whole(period)
    return period if whole is None else whole


def belt_packets(values: FloatArray) -> list[bytes]:
    """One Go Direct measurement packet per sample on the force channel, counters from 0.

    Byte for byte ``encode_godirect_measurement([[v]], [FORCE_CHANNEL], counter=k & 0xFF)``
    of sample ``k`` (:func:`devices.godirect.encode_godirect_measurements`), the packets a belt
    sends one sample at a time; packet ``k`` is sent at the sample's time, ``k / fs``.
    """
    column = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    return encode_godirect_measurements(column, [FORCE_CHANNEL])
