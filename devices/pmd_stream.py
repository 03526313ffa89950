"""Polar PMD data packets -> timed ECG / accelerometer samples, one packet at a time.

The decoding of one frame is pure (:mod:`devices.polar_pmd`); this adds the little state a stream
needs: one :class:`~devices.polar_pmd.SampleClock` per measurement type, which derives the true
sample rate from the sensor's own frame timestamps (the H10's nominal 130 Hz ECG really runs at
128-131 Hz [polar#71]), and one anchor that maps sensor time onto session time at the first frame's
arrival, after which the smooth sensor clock is kept (BLE arrival times jitter by tens of ms).

Stream parameters come from the recording header, ``source.streams["pmd"]``::

    {"ecg": {"fs_hz": 130, "resolution_bits": 14},
     "acc": {"fs_hz": 200, "resolution_bits": 16, "range_g": 8, "factor": 1.0}}

Each measurement type the session streams has its own object, and its ``fs_hz`` is required:
there is no default sampling rate. A guessed one misplaced every sample of an ACC stream at
another rate (without this, a 50 Hz ACC stream read at 200 Hz, each sample 4x too close to the
last and the sample clock restarting on 19 of 20 frames). Every writer has recorded it since
this layout began (``devices.ble.polar_h10``, ``trainer.storage.imports``), and the recording
reader refuses a header without it (``trainer.storage.recording``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from devices.errors import DecodeError
from devices.packets import NS_PER_S, RawPacket
from devices.polar_pmd import MeasurementType, SampleClock, decode_acc, decode_ecg, parse_frame

DEFAULT_ECG: dict[str, float] = {"resolution_bits": 14}
"""What an ECG stream's object may leave out: the H10's sample width. Not its rate."""
DEFAULT_ACC: dict[str, float] = {"resolution_bits": 16, "factor": 1.0}
"""What an ACC stream's object may leave out: the sample width, and no scaling. Not its rate."""
_DEFAULTS: dict[str, dict[str, float]] = {"ecg": DEFAULT_ECG, "acc": DEFAULT_ACC}


@dataclass(frozen=True, slots=True)
class PmdSamples:
    """Samples of one PMD frame.

    Attributes
    ----------
    kind : MeasurementType
        ``ECG`` (values in µV, one column) or ``ACC`` (mG, columns x, y, z).
    t_s : ndarray, shape (n,)
        Sample times in session seconds.
    values : ndarray, shape (n, channels)
        The samples.
    fs_hz : float
        The sample rate derived so far from the sensor timestamps (nominal until two frames).
    """

    kind: MeasurementType
    t_s: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    fs_hz: float


def stream_settings(params: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    """The settings of each of ``"ecg"`` and ``"acc"`` that a header's ``streams["pmd"]`` has.

    Parameters
    ----------
    params : mapping or None
        ``header.source.streams["pmd"]``.

    Returns
    -------
    dict
        Per measurement name present in ``params``, its object over :data:`DEFAULT_ECG` /
        :data:`DEFAULT_ACC`; a measurement absent from ``params`` is absent here.

    Raises
    ------
    ValueError
        A measurement present without ``fs_hz``, its sampling rate in Hz (no default).
    """
    params = params or {}
    settings: dict[str, dict[str, float]] = {}
    for name, defaults in _DEFAULTS.items():
        given = params.get(name)
        if given is None:
            continue
        if "fs_hz" not in given:
            raise ValueError(f"pmd {name} stream without fs_hz, its sampling rate")
        settings[name] = {**defaults, **dict(given)}
    return settings


class PmdStreamDecoder:
    """Decode a session's PMD data packets into timed samples.

    Parameters
    ----------
    params : mapping or None
        ``header.source.streams["pmd"]``: only the measurements it has are decoded, each at
        its ``fs_hz`` (required; :func:`stream_settings`).
    start_mono_ns : int
        Session start on the host monotonic clock (session time 0).

    Raises
    ------
    ValueError
        A measurement in ``params`` without ``fs_hz``.
    """

    def __init__(self, params: Mapping[str, Any] | None, start_mono_ns: int) -> None:
        self.settings = stream_settings(params)
        self._start_ns = start_mono_ns
        self._clocks: dict[MeasurementType, SampleClock] = {}
        # Per type: (sensor ns of the anchor sample, its session time, clock restarts then).
        self._anchors: dict[MeasurementType, tuple[int, float, int]] = {}

    def feed(self, packet: RawPacket) -> PmdSamples | None:
        """Samples of one PMD data packet; None for measurement types we do not use.

        Raises
        ------
        DecodeError
            The frame is malformed, or of ECG or ACC while ``params`` has no settings for it:
            its sampling rate unknown, its samples cannot be timed (the caller counts it and
            goes on).
        """
        frame = parse_frame(packet.payload)
        try:
            kind = MeasurementType(frame.measurement_type)
        except ValueError:
            return None
        if kind in (MeasurementType.ECG, MeasurementType.ACC):
            name = kind.name.lower()
            if name not in self.settings:
                raise DecodeError(
                    f"PMD {kind.name} frame in a session whose header has no {name} stream"
                    " (nor its sampling rate)"
                )
        if kind is MeasurementType.ECG:
            cfg = self.settings["ecg"]
            block = decode_ecg(frame, resolution_bits=int(cfg["resolution_bits"]))
            values = np.asarray(block, dtype=np.float64).reshape(-1, 1)
        elif kind is MeasurementType.ACC:
            cfg = self.settings["acc"]
            values = np.asarray(
                decode_acc(
                    frame,
                    resolution_bits=int(cfg["resolution_bits"]),
                    factor=float(cfg["factor"]),
                ),
                dtype=np.float64,
            )
        else:
            return None
        if values.shape[0] == 0:
            return None
        clock = self._clocks.get(kind)
        if clock is None:
            clock = self._clocks[kind] = SampleClock(float(cfg["fs_hz"]))
        sensor_ns = np.asarray(clock.sample_times_ns(frame.timestamp_ns, values.shape[0]))
        anchor = self._anchors.get(kind)
        if anchor is None or anchor[2] != clock.restarts:
            # First frame, or the sensor clock jumped (the clock restarted): anchor this frame's
            # last sample at its arrival.
            arrival_s = (packet.t_mono_ns - self._start_ns) / NS_PER_S
            anchor = self._anchors[kind] = (int(sensor_ns[-1]), arrival_s, clock.restarts)
        # Subtract in integers first: PMD timestamps (~6e17 ns) lose precision as float64.
        t_s = anchor[1] + (sensor_ns - anchor[0]).astype(np.float64) / NS_PER_S
        return PmdSamples(kind, t_s, values, float(clock.fs_hz))
