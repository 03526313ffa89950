"""The raw packet: the one thing every source (BLE, simulator, recording) produces.

A packet is exactly the bytes a sensor characteristic delivered, stamped with the host clocks at
arrival. Everything downstream (recording, decoding, analysis) starts from packets, which is what
makes live, replay and batch the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NS_PER_S = 1_000_000_000
"""Nanoseconds per second: every clock a packet carries, and the session clock, counts in ns."""


class Stream(StrEnum):
    """Stream ids: which characteristic (and so which decoder) a packet came from.

    The value is what the recording stores, so values never change once released.
    """

    HEART_RATE = "hr"
    """Heart Rate Measurement 0x2A37 notifications (any standard strap)."""
    GODIRECT = "gdx"
    """Vernier Go Direct response characteristic (measurement packets and command replies)."""
    PMD_DATA = "pmd"
    """Polar PMD data characteristic FB005C82 (ECG and ACC frames)."""
    PMD_CONTROL = "pmd_cp"
    """Polar PMD control point FB005C81 indications (command responses, stop notices)."""


@dataclass(frozen=True, slots=True)
class RawPacket:
    """One notification as received.

    Attributes
    ----------
    t_mono_ns : int
        Host monotonic clock at arrival, in nanoseconds (``time.monotonic_ns()``, or the simulated
        clock). All analysis timing derives from this clock: it never jumps.
    t_wall_ns : int
        Host wall clock at arrival, nanoseconds since the Unix epoch (``time.time_ns()``). Kept so
        a recording can be placed in calendar time and aligned with other recordings.
    stream : str
        Stream id, one of :class:`Stream` (kept as ``str`` so a recording from a newer version
        with an unknown stream still loads; unknown streams are recorded and ignored).
    payload : bytes
        The characteristic value exactly as delivered.
    """

    t_mono_ns: int
    t_wall_ns: int
    stream: str
    payload: bytes
