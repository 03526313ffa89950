"""Several packet sources as one (a heart-rate strap and a respiration belt at once)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from devices.ble.errors import DeviceGoneError
from devices.packets import RawPacket
from devices.source import KeepsLooking, LinkEvent, PacketSource, SourceInfo

_DONE = object()


class CombinedSource:
    """Merge packet sources in arrival order.

    Entering enters every source (if one fails, those already entered are closed); ``packets()``
    yields items from all of them as they arrive and ends when all have ended. A source that
    ends with :class:`~devices.ble.errors.DeviceGoneError` (a sensor that stayed away past the
    give-up time; it said so with a last ``LOST`` link event) is left behind while another still
    runs: a dead belt battery in minute 2 does not end a session the strap can carry. Any other
    error, or the last running source gone, ends the merged stream with that error. Told to
    :meth:`keep_looking`, a sensor given up does not end: it is looked for again and its items
    come again if it is found.

    Parameters
    ----------
    sources : sequence of PacketSource
        At least one. Their stream ids must not overlap, since a packet says which stream it
        belongs to but not which device sent it.

    Raises
    ------
    ValueError
        If two sources declare the same stream id.
    """

    def __init__(self, sources: Sequence[PacketSource]) -> None:
        if not sources:
            raise ValueError("CombinedSource needs at least one source")
        seen: dict[str, str] = {}
        for source in sources:
            for stream in source.info.streams:
                if stream in seen:
                    raise ValueError(
                        f"{source.info.name} and {seen[stream]} both stream {stream!r}; a packet"
                        " could not be told apart"
                    )
                seen[stream] = source.info.name
        self._sources = list(sources)
        self._stack = contextlib.AsyncExitStack()
        self.info = self._merged_info()

    def _merged_info(self) -> SourceInfo:
        infos = [s.info for s in self._sources]
        # The inner dicts are shared, not copied: sensors fill them in while connecting.
        streams: dict[str, dict[str, Any]] = {}
        for info in infos:
            streams.update(info.streams)
        return SourceInfo(
            kind=infos[0].kind if len({i.kind for i in infos}) == 1 else "mixed",
            name=" + ".join(i.name for i in infos),
            address=", ".join(i.address for i in infos if i.address),
            streams=streams,
            details={
                "sources": [
                    {
                        "kind": i.kind,
                        "name": i.name,
                        "address": i.address,
                        "streams": sorted(i.streams),
                        "details": i.details,
                    }
                    for i in infos
                ]
            },
        )

    def keep_looking(self) -> None:
        """Have every source that can look for its device again once given up do so
        (:meth:`devices.ble.sensors.BleSensor.keep_looking`): the same rule for a sensor given
        up beside one that still measures as for the last one, so a belt back after its battery
        was changed measures breaths again beside the strap."""
        for source in self._sources:
            if isinstance(source, KeepsLooking):
                source.keep_looking()

    async def __aenter__(self) -> CombinedSource:
        async with contextlib.AsyncExitStack() as stack:
            for source in self._sources:
                await stack.enter_async_context(source)
            self._stack = stack.pop_all()
        self.info = self._merged_info()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        """Items of every source in the order they reach the merge."""
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RawPacket | LinkEvent]:
        queue: asyncio.Queue[object] = asyncio.Queue()

        async def pump(source: PacketSource) -> None:
            try:
                async for item in source.packets():
                    queue.put_nowait(item)
            except Exception as exc:
                queue.put_nowait(exc)
            finally:
                queue.put_nowait(_DONE)

        tasks = [asyncio.create_task(pump(s)) for s in self._sources]
        remaining = len(tasks)
        try:
            while remaining:
                item = await queue.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, DeviceGoneError) and remaining > 1:
                    # Its own _DONE follows; the others go on.
                    continue
                elif isinstance(item, BaseException):
                    raise item
                elif isinstance(item, (RawPacket, LinkEvent)):
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
