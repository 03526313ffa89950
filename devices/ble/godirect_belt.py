"""Vernier Go Direct respiration belt (GDX-RB): init, period, start/stop, every reply recorded.

GATT glue only. Every notification of the response characteristic leaves as a
:attr:`~devices.packets.Stream.GODIRECT` packet, command replies included (only measurement
packets are analysed downstream, by :mod:`devices.godirect`). Command packets and reply parsing
come from :mod:`devices.godirect_commands`; the sequence follows the fact sheet
(docs/reference/ble-protocols.md) §3 and godirect-js ``Device.open``/``start``/``close``: INIT,
AVAILABLE_MASK, SENSOR_INFO per channel
(names and units are read from the device), SET_PERIOD, START; STOP on exit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice

from devices.ble.errors import SensorCommandError, UnsupportedDeviceError
from devices.ble.sensors import BleSensor
from devices.errors import DecodeError
from devices.godirect import is_measurement_packet
from devices.godirect_commands import (
    FORCE_CHANNEL,
    GODIRECT_COMMAND_UUID,
    GODIRECT_RESPONSE_UUID,
    RESPIRATION_RATE_CHANNEL,
    CommandBuilder,
    Reassembler,
    Reply,
    channel_mask,
    parse_channel_mask,
    parse_reply,
    parse_sensor_info,
    split_for_write,
)
from devices.packets import Stream

logger = logging.getLogger(__name__)

_ADVICE = "switch the belt off and on (hold its button), then try again"

MIN_PERIOD_US = 100
"""Shortest sample period a session runs the belt at (10 kHz), µs."""
MAX_PERIOD_US = 10_000_000
"""Longest sample period a session runs the belt at (one sample per 10 s), µs.

Both are the limits a recording header holds (``trainer.storage.recording``
``MIN/MAX_BELT_PERIOD_US``, format 1; a test keeps them equal), well inside SET_PERIOD's u32 field
(fact sheet §3): a period outside them would be recorded in a header its reader refuses."""


class GoDirectBelt(BleSensor):
    """A Go Direct respiration belt: force (channel 1) and the belt's own rate (channel 2).

    Parameters
    ----------
    device : BLEDevice or str
        As for :class:`~devices.ble.sensors.BleSensor`.
    period_us : int
        Sampling period, µs, :data:`MIN_PERIOD_US`-:data:`MAX_PERIOD_US` (100 000 = 10 Hz,
        ample for breathing below 1 Hz); clamped to the range the belt's force sensor reports,
        with a note.
    channels : sequence of int
        Channels to stream; the force channel is required.
    **kwargs
        Passed to :class:`~devices.ble.sensors.BleSensor`.
    """

    family: ClassVar[str] = "godirect"

    def __init__(
        self,
        device: BLEDevice | str,
        *,
        period_us: int = 100_000,
        channels: Sequence[int] = (FORCE_CHANNEL, RESPIRATION_RATE_CHANNEL),
        **kwargs: Any,
    ) -> None:
        if not MIN_PERIOD_US <= period_us <= MAX_PERIOD_US:
            raise ValueError(
                f"period_us must be {MIN_PERIOD_US}-{MAX_PERIOD_US} µs, got {period_us}"
            )
        if FORCE_CHANNEL not in channels:
            raise ValueError("the force channel must be streamed")
        self.period_us = period_us
        self.channels = tuple(sorted(set(channels)))
        super().__init__(device, **kwargs)
        self._reassembler = Reassembler()
        self._lock = asyncio.Lock()
        self._started = False
        self._commands = CommandBuilder()

    def _stream_parameters(self) -> dict[str, dict[str, Any]]:
        return {
            Stream.GODIRECT.value: {
                "period_us": self.period_us,
                "force_channel": FORCE_CHANNEL,
                "rate_channel": RESPIRATION_RATE_CHANNEL,
                "channels": list(self.channels),
            }
        }

    def _on_response(self, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        self._emit(Stream.GODIRECT, data)
        try:
            packet = self._reassembler.feed(bytes(data))
            if packet is None or is_measurement_packet(packet):
                return
            reply = parse_reply(packet)
        except DecodeError as exc:
            # Recorded above; the session counts and says unreadable packets itself.
            logger.info(
                "%s: unreadable Go Direct notification %s: %s",
                self._address,
                bytes(data).hex(" "),
                exc,
            )
            return
        waiter = self._waiter
        if waiter is not None:
            command, counter, future = waiter
            if (reply.command, reply.counter) == (command, counter) and not future.done():
                future.set_result(reply)

    async def _command(self, client: BleakClient, packet: bytes) -> Reply:
        """Write one command (in chunks of at most 20 bytes) and wait for its reply."""
        async with self._lock:
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            self._waiter = (packet[4], packet[2], future)
            try:
                what = f"command 0x{packet[4]:02X}"
                chunks = split_for_write(packet)
                await self._write_command(client, GODIRECT_COMMAND_UUID, chunks, what, _ADVICE)
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                    async with asyncio.timeout(self.command_timeout_s):
                        return await future
                except TimeoutError:
                    raise SensorCommandError(
                        f"{self.info.name} did not answer command 0x{packet[4]:02X}"
                        f" within {self.command_timeout_s:g} s",
                        _ADVICE,
                    ) from None
            finally:
                self._waiter = None

    async def _start_streams(self, client: BleakClient) -> None:
        self._reassembler.reset()
        self._started = False
        self._require(client, GODIRECT_COMMAND_UUID, "Go Direct command")
        self._require(client, GODIRECT_RESPONSE_UUID, "Go Direct response")
        await client.start_notify(GODIRECT_RESPONSE_UUID, self._on_response)
        commands = self._commands = CommandBuilder()
        await self._command(client, commands.init())
        reply = await self._command(client, commands.available_mask())
        try:
            available = parse_channel_mask(reply.payload)
        except DecodeError as exc:
            raise SensorCommandError(
                f"{self.info.name}: unreadable channel mask: {exc}", _ADVICE
            ) from exc
        missing = [c for c in self.channels if c not in available]
        if missing:
            raise UnsupportedDeviceError(
                f"{self.info.name} has no channel {missing} (offers {list(available)})",
                "use a Go Direct respiration belt (GDX-RB)",
            )
        if "channels" not in self.info.details:
            described: dict[str, dict[str, Any]] = {}
            for channel in self.channels:
                info_reply = await self._command(client, commands.sensor_info(channel))
                try:
                    info = parse_sensor_info(info_reply.payload)
                except DecodeError as exc:
                    self._note(f"unreadable description of channel {channel}: {exc}")
                    continue
                described[str(channel)] = {
                    "description": info.description,
                    "units": info.units,
                    "typical_period_us": info.typical_period_us,
                    "min_period_us": info.min_period_us,
                    "max_period_us": info.max_period_us,
                }
            self.info.details["channels"] = described
        self._fit_period(self.info.details["channels"].get(str(FORCE_CHANNEL), {}))
        await self._command(client, commands.set_period(self.period_us))
        await self._command(client, commands.start(channel_mask(self.channels)))
        self._started = True

    def _fit_period(self, force: dict[str, Any]) -> None:
        """Clamp the period to what the force sensor says it allows, and say so once.

        The force channel is the one analysed; the belt's own rate channel is a derived value
        with a longer minimum period (about 1 s) that the belt reports at the period it is
        given. The period actually sent is the one written into ``info.streams``, which the
        recording header holds: a replay must time samples by what the belt ran at.

        The limits come from the belt's SENSOR_INFO reply (u32 and u64 fields, unchecked by the
        device), so they only narrow :data:`MIN_PERIOD_US`-:data:`MAX_PERIOD_US`, never widen
        it. Limits that leave nothing inside it (60 µs at most, or a minimum above the maximum)
        are a belt saying nonsense: the period asked for is sent, and the session follows the
        rate the samples really arrive at (:mod:`trainer.session.pipeline`).
        """
        low, high = force.get("min_period_us"), force.get("max_period_us")
        shortest = max(MIN_PERIOD_US, low) if isinstance(low, int) and low > 0 else MIN_PERIOD_US
        longest = min(MAX_PERIOD_US, high) if isinstance(high, int) and high > 0 else MAX_PERIOD_US
        if shortest > longest:
            self._note(
                f"{self.info.name}: its force sensor claims to allow only {low}-{high} µs,"
                f" no sample period a recording can hold ({MIN_PERIOD_US}-{MAX_PERIOD_US} µs);"
                f" sampling every {self.period_us} µs as asked"
            )
            return
        period_us = min(max(self.period_us, shortest), longest)
        if period_us == self.period_us:
            return
        self._note(
            f"{self.info.name}: a sample period of {self.period_us} µs is outside the"
            f" {low}-{high} µs its force sensor allows; sampling every {period_us} µs"
        )
        self.period_us = period_us
        # The inner dict is shared with a CombinedSource's info: change it in place.
        self.info.streams[Stream.GODIRECT.value]["period_us"] = period_us

    async def _stop_streams(self, client: BleakClient) -> None:
        if self._started:
            await self._command(client, self._commands.stop())
            self._started = False
