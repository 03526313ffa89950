"""What measured a session, in the words every result shows: the screen, the closing summary,
``history``, ``report`` and ``progress``.

A session on the built-in simulated person (``--device sim``/``sim-hr``) gives numbers that
describe nobody: shown unlabelled beside real sessions they read as the user's own breathing.
A session without a sensor (``--device none``) was practised, with nothing
measured. The recording header's source kind (:class:`devices.source.SourceInfo`) says which,
for live sessions, replays and the history alike.
"""

from __future__ import annotations

from devices.source import BLE_KIND, SENSORLESS_KIND, SIMULATED_KIND

SIM_NAMES = ("sim", "simulator", "simulated")
"""``--device`` values for the simulated person with a belt and a heart-rate strap."""
SIM_HR_NAMES = ("sim-hr",)
"""The simulated person wearing only a heart-rate strap (no belt): breathing from RR alone."""
NO_SENSOR_NAMES = ("none",)
"""No sensor: a session with the pacer, step cards and chimes alone, nothing measured."""

SIMULATED_MARK = "SIMULATED SENSOR"
SIMULATED_NOTE = "a simulated person's breathing and heart, not yours"
SENSORLESS_MARK = "NO SENSOR"
SENSORLESS_NOTE = "timer and cues only, nothing measured"
NOT_STORED_SIMULATED = "not stored: measured on the simulated sensor, not on you"
NOT_STORED_SENSORLESS = "not stored: nothing was measured (no sensor)"


def device_kind(spec: str) -> str:
    """The source kind a ``--device`` value will record: :data:`SIMULATED_KIND` for ``sim``
    and ``sim-hr``, :data:`SENSORLESS_KIND` for ``none``, else :data:`BLE_KIND` (an address
    or a name).

    Before a session starts, its marks come from this, so they are those its summary, replay
    and history will show from the recording header.
    """
    name = spec.strip().lower()
    if name in SIM_NAMES + SIM_HR_NAMES:
        return SIMULATED_KIND
    return SENSORLESS_KIND if name in NO_SENSOR_NAMES else BLE_KIND


def is_simulated(source_kind: str) -> bool:
    """Whether a recording header's source kind is the simulated person."""
    return source_kind == SIMULATED_KIND


def is_sensorless(source_kind: str) -> bool:
    """Whether a recording header's source kind is a session without a sensor."""
    return source_kind == SENSORLESS_KIND


def source_mark(source_kind: str) -> str:
    """``"SIMULATED SENSOR"``, ``"NO SENSOR"``, or ``""`` for a real sensor or an import."""
    if is_simulated(source_kind):
        return SIMULATED_MARK
    if is_sensorless(source_kind):
        return SENSORLESS_MARK
    return ""


def source_line(source_kind: str) -> str:
    """The mark with what it means (``"SIMULATED SENSOR: a simulated person's ..."``), or ``""``."""
    if is_simulated(source_kind):
        return f"{SIMULATED_MARK}: {SIMULATED_NOTE}"
    if is_sensorless(source_kind):
        return f"{SENSORLESS_MARK}: {SENSORLESS_NOTE}"
    return ""


def not_stored_reason(source_kind: str) -> str:
    """Why nothing a session measured may be kept as the person's own (a resonance rate), or
    ``""`` for a real sensor or an import.

    The simulated person's resonance rate stored as the user's would pace every later
    resonance-training session at a rate measured on nobody.
    """
    if is_simulated(source_kind):
        return NOT_STORED_SIMULATED
    if is_sensorless(source_kind):
        return NOT_STORED_SENSORLESS
    return ""
