"""No sensor at all: the source of a session practised with the pacer, step cards and chimes
alone (``breathwise live --device none``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from devices.packets import RawPacket
from devices.source import SENSORLESS_KIND, LinkEvent, SourceInfo


class SensorlessSource:
    """A :class:`devices.source.PacketSource` that connects at once and never sends anything.

    The session runs on its host clock (its timers end it and move a program on), records its
    pacer changes, pauses and marks, and measures nothing.
    """

    def __init__(self) -> None:
        self.info = SourceInfo(SENSORLESS_KIND, "no sensor (timer and cues only)")

    async def __aenter__(self) -> SensorlessSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        """Nothing, until the session ends (it cancels this wait on a queue nobody fills)."""
        nothing: asyncio.Queue[RawPacket | LinkEvent] = asyncio.Queue()
        while True:
            yield await nothing.get()
