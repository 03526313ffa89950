"""The async packet-source interface of the simulator, the BLE sensors and the no-sensor timer.

A replay does not go through it: :class:`trainer.session.live_replay.ReplaySession` feeds the
recorded packets, with their recorded arrival times, to the same pipeline directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from devices.packets import RawPacket


class LinkState(StrEnum):
    """Connection state changes a source reports between packets."""

    LOST = "lost"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A connection change of one device, stamped like a packet (host clocks, ns)."""

    t_mono_ns: int
    t_wall_ns: int
    device: str
    state: LinkState
    reason: str = ""


GIVEN_UP_REASON = "given up"
"""How the reason of a ``LOST`` event begins when the device is no longer reconnected: it stayed
away past the give-up time. Sent once, while its gap is already open; a reader that does not
know it sees one more ``lost`` of a gap already open, as before. A session with other sensors
goes on without this one. The gap stays open to the end, unless the session carries on without
its sensors and so keeps looking for it (:class:`KeepsLooking`): a ``RESTORED`` then closes it
when the device is found again. A looking that stops (a failure retrying cannot help: Bluetooth
switched off, a pairing refused) says so in one more such event, its reason "given up: NAME is
no longer looked for: WHY — ADVICE": the gap, already open, stays open."""


def is_given_up(event: LinkEvent) -> bool:
    """Whether ``event`` says its device was given up for the rest of the session."""
    return event.state is LinkState.LOST and event.reason.startswith(GIVEN_UP_REASON)


SIMULATED_KIND = "sim"
"""The source kind of the built-in simulated person (``--device sim`` or ``sim-hr``): its
numbers describe nobody, so everything that shows a session's results labels it."""
BLE_KIND = "ble"
"""The source kind of a real Bluetooth sensor, named by address or name."""
SENSORLESS_KIND = "none"
"""The source kind of a session practised without a sensor (``--device none``): a timer and
cues, nothing measured."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a recording header says about where packets came from.

    Attributes
    ----------
    kind : str
        ``"sim"`` (:data:`SIMULATED_KIND`), ``"none"`` (:data:`SENSORLESS_KIND`), ``"ble"``,
        ``"import"`` or ``"sample"``.
    name : str
        Human-readable device name (``"Polar H10 A1B2C3D4"``, ``"simulated person"``).
    address : str
        BLE address, or an empty string.
    streams : dict
        Per stream id, the parameters a decoder needs that the bytes do not carry, e.g.
        ``{"gdx": {"period_us": 50000, "force_channel": 1}}``. JSON-serialisable.
    details : dict
        Anything else worth keeping (firmware, model, simulator seed...). JSON-serialisable.
    """

    kind: str
    name: str
    address: str = ""
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


NOTES_KEY = "notes"
"""Key of ``SourceInfo.details`` whose list of strings says what a sensor did otherwise than
asked while connecting (a stream it does not offer left out, a rate or range it does not offer
replaced by the nearest): the session and every replay show each as a status line at its start."""


def source_notes(info: SourceInfo) -> list[str]:
    """The notes of ``info`` and of the sources it combines (``details["sources"]``), in order."""
    notes = [str(n) for n in info.details.get(NOTES_KEY, ())]
    for source in info.details.get("sources", ()):
        if isinstance(source, dict):
            notes += [str(n) for n in source.get("details", {}).get(NOTES_KEY, ())]
    return notes


@runtime_checkable
class KeepsLooking(Protocol):
    """A source that can keep looking for a device given up instead of ending its packets
    (a BLE sensor, or several): told so by a session that carries on without its sensors."""

    def keep_looking(self) -> None:
        """Look for every device given up again until closed; see the source's own method."""
        ...


class PacketSource(Protocol):
    """An async stream of raw packets and link events.

    Usage::

        async with source:
            async for item in source.packets():
                ...

    ``packets()`` ends when the source is exhausted (a finished replay) or after ``aclose()``;
    a live sensor that loses its link yields a :class:`LinkEvent` and keeps going when it is back.
    """

    info: SourceInfo

    async def __aenter__(self) -> PacketSource: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def packets(self) -> AsyncIterator[RawPacket | LinkEvent]: ...
