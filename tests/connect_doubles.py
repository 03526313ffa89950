"""Sensors that take their time to connect, or never do: a scan and connect can take seconds,
at times minutes, and the session's clock waits for them
(:class:`trainer.session.live_replay.LiveSession`).
Shared by the session, screen and command-line tests."""

from __future__ import annotations

import asyncio
from typing import Any

from devices.source import SourceInfo


class SlowConnect:
    """``inner`` behind a scan and connect that take ``connect_s`` real seconds, or, given
    ``until``, last until the test sets it (no race with a loaded machine)."""

    def __init__(self, inner: Any, connect_s: float, until: asyncio.Event | None = None) -> None:
        self.inner = inner
        self.info = inner.info
        self._connect_s = connect_s
        self._until = until

    async def __aenter__(self) -> SlowConnect:
        if self._until is not None:
            await self._until.wait()
        else:
            await asyncio.sleep(self._connect_s)  # scanning and connecting
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.__aexit__(*exc)

    def packets(self) -> Any:
        return self.inner.packets()


class NeverConnects:
    """A sensor still being searched for when the person gives up."""

    info = SourceInfo("ble", "lost strap", "AA:BB", {}, {})

    async def __aenter__(self) -> NeverConnects:
        await asyncio.sleep(3600)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None
