"""Connection life of one BLE sensor: connect with retry, record, reconnect after drops, stop.

:class:`BleSensor` implements :class:`devices.source.PacketSource` for every sensor family; a
family subclass only says which characteristics to subscribe to and which commands start and
stop its streams (:mod:`devices.ble.heart_rate_strap`, :mod:`devices.ble.polar_h10`,
:mod:`devices.ble.godirect_belt`). Decoding happens elsewhere: every notification leaves here as
the exact bytes received, stamped with both host clocks at arrival.

Connection life (the project's connection-life requirement): the first connect is retried with
capped exponential backoff (:mod:`devices.ble.backoff`); a dropped link yields a ``LOST``
:class:`~devices.source.LinkEvent`, is reconnected automatically, and yields ``RESTORED`` once
the streams run again (a link that drops while they start is still down, and a command waiting
for its answer then fails at once, not at its timeout); a device that stays away past the
give-up time yields a last ``LOST`` whose reason begins
:data:`~devices.source.GIVEN_UP_REASON` and ends ``packets()`` with
:class:`~devices.ble.errors.DeviceGoneError`, unless the session carries on without it
(:meth:`BleSensor.keep_looking`): it is then looked for again about every 15 s
(:func:`~devices.ble.backoff.look_again_delay_s`) until the session ends, and yields
``RESTORED`` and its data again if it comes back (a failure retrying cannot help, such as
Bluetooth switched off, stops the looking with one more ``LOST`` that says so). Leaving the
``async with`` stops the streams (a Polar H10 left streaming drains its battery) and
disconnects.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, ClassVar

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.exc import (
    BleakCharacteristicNotFoundError,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakGATTProtocolError,
)

from devices.ble.backoff import (
    RetryPolicy,
    look_again_delay_s,
    next_connect_delay_s,
    next_reconnect_delay_s,
)
from devices.ble.errors import (
    BleError,
    ConnectFailedError,
    DeviceGoneError,
    SensorCommandError,
    UnsupportedDeviceError,
    device_object_gone,
    gatt_error_words,
    is_bug,
    is_busy,
    is_fatal,
    map_bleak_error,
    needs_pairing,
    out_of_range,
    refused,
)
from devices.errors import with_advice
from devices.packets import RawPacket
from devices.source import (
    BLE_KIND,
    GIVEN_UP_REASON,
    NOTES_KEY,
    LinkEvent,
    LinkState,
    SourceInfo,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], int]
"""A host clock returning integer nanoseconds."""
NotifyCallback = Callable[[BleakGATTCharacteristic, bytearray], None]


def sig_uuid(short: int) -> str:
    """The 128-bit form of a Bluetooth SIG 16-bit UUID (``0000xxxx-0000-1000-8000-...``)."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HEART_RATE_SERVICE_UUID = sig_uuid(0x180D)
HEART_RATE_MEASUREMENT_UUID = sig_uuid(0x2A37)
BODY_SENSOR_LOCATION_UUID = sig_uuid(0x2A38)
BATTERY_LEVEL_UUID = sig_uuid(0x2A19)

# Device Information strings (utf8s) worth keeping in a recording header [GXML].
DEVICE_INFORMATION_UUIDS: dict[str, str] = {
    "manufacturer": sig_uuid(0x2A29),
    "model": sig_uuid(0x2A24),
    "serial": sig_uuid(0x2A25),
    "hardware_revision": sig_uuid(0x2A27),
    "firmware_revision": sig_uuid(0x2A26),
    "software_revision": sig_uuid(0x2A28),
}

DETAIL_WORDS: dict[str, str] = {
    "manufacturer": "manufacturer name",
    "model": "model number",
    "serial": "serial number",
    "hardware_revision": "hardware revision",
    "firmware_revision": "firmware revision",
    "software_revision": "software revision",
    "battery_percent": "battery level",
    "body_sensor_location": "body sensor location",
}
"""Each optional detail in words, for the note on those a sensor would not let be read."""

_READ_REFUSALS = {
    "org.bluez.Error.NotPermitted",
    "org.bluez.Error.NotAuthorized",
    "org.bluez.Error.NotSupported",
}
"""BlueZ's answers for a read the device refused: ``src/gatt-client.c``
(``create_gatt_dbus_error``) turns the ATT refusals into these; bleak passes on those it does
not turn into :class:`~bleak.exc.BleakGATTProtocolError` ("Not paired")."""


def _read_refused(exc: BaseException) -> bool:
    """Whether a failed read was the device's refusal or silence, not a failure of the link."""
    if isinstance(exc, BleakDBusError):
        return exc.dbus_error in _READ_REFUSALS
    return isinstance(exc, BleakGATTProtocolError | TimeoutError)


BODY_SENSOR_LOCATIONS = ("other", "chest", "wrist", "finger", "hand", "ear lobe", "foot")
"""0x2A38 values 0-6 [GXML]."""

_QueueItem = RawPacket | LinkEvent | BaseException | None


class LinkDroppedError(ConnectionError):
    """The link went down while a connect attempt was starting the streams.

    Deliberately not a :class:`~devices.ble.errors.BleError`: those are the sensor's own
    answers and end the session, while this is retried on the connect or reconnect policy.
    """


class BleSensor:
    """One BLE sensor as a :class:`~devices.source.PacketSource`.

    Parameters
    ----------
    device : BLEDevice or str
        A device found by a scan, or its address (bleak then scans for it on connect).
    name : str, optional
        Name for the recording header; the advertised name or the address when omitted.
    pair : bool
        Pair (bond) before connecting, for systems that reject writes until bonded.
    connect_timeout_s : float
        Time allowed for one connect attempt, seconds.
    command_timeout_s : float
        Time allowed for a sensor to answer one command, seconds.
    policy : RetryPolicy
        Retry, backoff and give-up settings.
    reconnect : bool
        Reconnect automatically after a drop (otherwise a drop ends the stream with an error).
    look_again : bool
        Once given up, keep looking for the device (:meth:`keep_looking`) instead of ending
        :meth:`packets`.
    mono_ns, wall_ns : callable
        Host clocks stamped on packets and link events (``time.monotonic_ns`` and
        ``time.time_ns`` unless a test injects others).
    rng : random.Random, optional
        Source of the backoff jitter.
    on_progress : callable, optional
        Told in a line, before each retry of the first connect, which attempt comes next and
        why the last failed (``connecting to NAME ... (attempt 2 of up to 4, the last timed out
        after 20 s)``): a slow sensor takes minutes to fail, and the command line prints it
        (this package prints nothing).
    """

    family: ClassVar[str] = "ble"
    """Short family name, stored in ``info.details["family"]``."""

    def __init__(
        self,
        device: BLEDevice | str,
        *,
        name: str | None = None,
        pair: bool = False,
        connect_timeout_s: float = 20.0,
        command_timeout_s: float = 5.0,
        policy: RetryPolicy | None = None,
        reconnect: bool = True,
        look_again: bool = False,
        mono_ns: Clock = time.monotonic_ns,
        wall_ns: Clock = time.time_ns,
        rng: random.Random | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        address = device if isinstance(device, str) else device.address
        advertised = None if isinstance(device, str) else device.name
        self._address = address
        self._target: BLEDevice | str = device
        self._pair = pair
        self._connect_timeout_s = connect_timeout_s
        self.command_timeout_s = command_timeout_s
        self._policy = policy or RetryPolicy()
        self._reconnect = reconnect
        self.look_again = look_again
        """Whether a device given up is looked for again (:meth:`keep_looking`)."""
        # The give-up was said (its LOST event queued) and the device not found since.
        self._given_up = False
        self._mono = mono_ns
        self._wall = wall_ns
        self._rng = rng or random.Random()
        self._on_progress = on_progress
        # A command waiting for its answer: (opcode, key, future), set by a family with
        # commands, resolved by its notification handler, cut short by a link drop.
        self._waiter: tuple[int, int, asyncio.Future[Any]] | None = None
        self.info = SourceInfo(
            kind=BLE_KIND,
            name=name or advertised or address,
            address=address,
            streams=self._stream_parameters(),
            details={"family": self.family, "pair": pair},
        )
        self._queue: asyncio.Queue[_QueueItem] = asyncio.Queue()
        self._client: BleakClient | None = None
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._closing = False
        self._closed = False
        self._entered = False
        self._supervisor: asyncio.Task[None] | None = None
        self._details_read = False
        self.connections = 0
        """How many times a link was established (1 + successful reconnects)."""
        self.gaps: list[tuple[int, int]] = []
        """Closed connection gaps as (lost, restored) host monotonic ns."""

    # -- what a family defines -------------------------------------------------------------------

    def _stream_parameters(self) -> dict[str, dict[str, Any]]:
        """Per stream id, what decoders need that the bytes do not carry."""
        return {}

    async def _start_streams(self, client: BleakClient) -> None:
        """Subscribe and start streaming on a fresh connection (also after every reconnect)."""
        raise NotImplementedError

    async def _stop_streams(self, client: BleakClient) -> None:
        """Stop streaming before a deliberate disconnect (default: nothing to stop)."""

    # -- PacketSource ----------------------------------------------------------------------------

    async def __aenter__(self) -> BleSensor:
        if self._entered:
            raise RuntimeError("a BleSensor can be entered only once")
        self._entered = True
        try:
            self._client = await self._connect_first()
        except BaseException:
            self._closed = True
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name=f"ble-{self._address}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def keep_looking(self) -> None:
        """Once given up, look for the device again until :meth:`aclose`, not end
        :meth:`packets`: for a session that carries on without its sensors to its planned end
        (``when_sensors_gone``), which measures again from the moment it is back.

        The give-up is still said (its ``LOST`` event, the reason ending "looking for it
        again about every 15 s"); then one connect attempt follows each pause of
        :func:`~devices.ble.backoff.look_again_delay_s`, and one that succeeds yields
        ``RESTORED`` and the streams as after any reconnect (and, if the link drops again,
        the reconnecting and the give-up as before). A failure retrying cannot help (Bluetooth
        off, the device refusing us) stops the looking: a last ``LOST`` event whose reason
        begins :data:`~devices.source.GIVEN_UP_REASON` says so, why, and what to do ("given
        up: NAME is no longer looked for: Bluetooth is turned off — turn Bluetooth on ..."),
        and ``packets()`` then ends with :class:`~devices.ble.errors.DeviceGoneError`, as
        without this. Call it before the give-up: a session tells its sensors before it
        starts.
        """
        self.look_again = True

    def packets(self) -> AsyncIterator[RawPacket | LinkEvent]:
        """Packets and link events in arrival order until :meth:`aclose` (or a fatal error)."""
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RawPacket | LinkEvent]:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        """Stop the streams, disconnect and end :meth:`packets`. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._closing = True
        supervisor = self._supervisor
        if supervisor is not None:
            # Cancel until it is done: a cancel that lands while bleak finishes a call can be
            # absorbed by the library, and the loop below also checks `_closing` at each step.
            while not supervisor.done():
                supervisor.cancel()
                await asyncio.wait({supervisor}, timeout=1.0)
        client = self._client
        if client is not None:
            if client.is_connected:
                try:
                    async with asyncio.timeout(2 * self.command_timeout_s):
                        await self._stop_streams(client)
                except Exception as exc:  # the link may die while stopping; disconnect anyway
                    logger.info("stopping streams of %s failed: %r", self._address, exc)
            await self._release(client)
            self._client = None
        self._queue.put_nowait(None)

    # -- helpers for families --------------------------------------------------------------------

    def _emit(self, stream: str, data: bytes | bytearray) -> None:
        """Queue one received value as a packet, stamped now with both host clocks."""
        self._queue.put_nowait(RawPacket(self._mono(), self._wall(), stream, bytes(data)))

    def _recorder(self, stream: str) -> NotifyCallback:
        """A notification callback that only records (for streams decoded downstream)."""

        def record(_sender: BleakGATTCharacteristic, data: bytearray) -> None:
            self._emit(stream, data)

        return record

    def _note(self, text: str) -> None:
        """Keep ``text`` in ``info.details`` for the session to show (:data:`NOTES_KEY`).

        Not a logging warning: nothing configures logging, so one printed raw on stderr
        without the ``breathwise:`` prefix and, under the screen, garbled it. Said once, however
        often a reconnect finds the same.
        """
        notes = self.info.details.setdefault(NOTES_KEY, [])
        if text not in notes:
            notes.append(text)
        logger.info("%s", text)

    @staticmethod
    def _has_char(client: BleakClient, uuid: str) -> bool:
        return client.services.get_characteristic(uuid) is not None

    def _require(self, client: BleakClient, uuid: str, what: str) -> None:
        """Raise :class:`UnsupportedDeviceError` unless the device has characteristic ``uuid``."""
        if not self._has_char(client, uuid):
            raise UnsupportedDeviceError(
                f"{self.info.name} has no {what} characteristic",
                "check that the device is of the kind chosen (run 'breathwise scan')",
            )

    async def _read_details(self, client: BleakClient) -> None:
        """Read battery, body sensor location and Device Information into ``info.details``,
        as far as the sensor lets.

        None of these is needed to stream; they only describe the sensor in the recording
        header. A read the sensor refuses (ATT Read Not Permitted, or BlueZ's "Not paired" for
        a string that needs encryption while heart rate does not) or leaves unanswered for
        ``command_timeout_s`` is skipped while the link stays up: the value is absent from
        ``info.details``, and one note names what was not read and why. Before, any such
        refusal failed every connect attempt alike, and the sensor never streamed (found in
        review). A read that fails because the link went down is raised as before, and the
        attempt is retried like any drop during a connect.
        """
        details = self.info.details
        skipped: list[str] = []
        why: list[str] = []
        for key, uuid in DEVICE_INFORMATION_UUIDS.items():
            raw = await self._read_optional(client, uuid, key, skipped, why)
            if raw is not None:
                details[key] = raw.split(b"\x00", 1)[0].decode("utf-8", "replace")
        raw = await self._read_optional(client, BATTERY_LEVEL_UUID, "battery_percent", skipped, why)
        if raw:
            details["battery_percent"] = raw[0]
        raw = await self._read_optional(
            client, BODY_SENSOR_LOCATION_UUID, "body_sensor_location", skipped, why
        )
        if raw:
            index = raw[0]
            details["body_sensor_location"] = (
                BODY_SENSOR_LOCATIONS[index] if index < len(BODY_SENSOR_LOCATIONS) else index
            )
        if skipped:
            what = " and ".join([", ".join(skipped[:-1]), skipped[-1]] if skipped[1:] else skipped)
            self._note(
                f"{self.info.name} did not let its {what} be read ({why[0]}); streaming, and"
                f" recording without {'it' if len(skipped) == 1 else 'them'}"
            )

    async def _read_optional(
        self, client: BleakClient, uuid: str, key: str, skipped: list[str], why: list[str]
    ) -> bytes | None:
        """The value of optional characteristic ``uuid``; None if the device lacks it, or
        refused or did not answer the read while the link stayed up (then the words for
        ``key`` go to ``skipped`` and the reason to ``why``)."""
        if not self._has_char(client, uuid):
            return None
        try:
            async with asyncio.timeout(self.command_timeout_s):
                return bytes(await client.read_gatt_char(uuid))
        except (BleakGATTProtocolError, BleakDBusError, TimeoutError) as exc:
            if not client.is_connected or not _read_refused(exc):
                raise
            reason = (
                f"no answer within {self.command_timeout_s:g} s"
                if isinstance(exc, TimeoutError)
                else gatt_error_words(exc)
            )
            logger.info("%s: reading %s failed: %s", self._address, key, reason)
            skipped.append(DETAIL_WORDS[key])
            why.append(reason)
            return None

    # -- connecting ------------------------------------------------------------------------------

    def _on_disconnected(self, client: BleakClient) -> None:
        # bleak calls this for our own disconnects too; only a drop of the live link counts.
        if client is self._client and not self._closing:
            self._lost_reason = "link lost"
            self._lost.set()
            self._cut_short()

    def _cut_short(self) -> None:
        """End a command still waiting for its answer (``_waiter``, set by a family with
        commands) with :class:`LinkDroppedError`: none comes over a link that is down."""
        waiter = self._waiter
        if waiter is not None and not waiter[2].done():
            waiter[2].set_exception(self._link_dropped())

    async def _write_command(
        self, client: BleakClient, uuid: str, chunks: Iterable[bytes], what: str, advice: str
    ) -> None:
        """Write a command's ``chunks`` (each with response) to ``uuid``.

        A GATT refusal is not a radio failure to retry: an unpaired sensor refuses every write
        alike. It becomes :class:`~devices.ble.errors.SensorCommandError` naming ``what``, with
        the ``--pair`` advice when pairing would lift it, else ``advice``; any other failure
        of the link or BlueZ is raised as it is, for the session to map.
        """
        try:
            for chunk in chunks:
                await client.write_gatt_char(uuid, chunk, response=True)
        except (BleakGATTProtocolError, BleakDBusError) as exc:
            if isinstance(exc, BleakDBusError) and not needs_pairing(exc):
                raise
            raise refused(exc, self.info.name, what, advice) from exc

    def _link_dropped(self) -> LinkDroppedError:
        return LinkDroppedError(f"{self.info.name} dropped the link while a command was pending")

    async def _connect_once(self) -> BleakClient:
        """One attempt: connect, read details (first time), start streams.

        Raises :class:`LinkDroppedError` when the link went down before the streams ran.
        """
        client = BleakClient(
            self._target,
            disconnected_callback=self._on_disconnected,
            timeout=self._connect_timeout_s,
            pair=self._pair,
        )
        self._client = client
        try:
            await client.connect()
            self.connections += 1
            if not self._details_read:
                await self._read_details(client)
                self._details_read = True
            await self._start_streams(client)
            if not client.is_connected:
                raise LinkDroppedError(f"{self.info.name} dropped the link as its streams started")
        except BleakCharacteristicNotFoundError as exc:
            await self._release(client)
            raise UnsupportedDeviceError(
                f"{self.info.name} lacks a characteristic this sensor needs: {exc}",
                "check that the device is of the kind chosen (run 'breathwise scan')",
            ) from exc
        except SensorCommandError as exc:
            dropped = not client.is_connected
            await self._release(client)
            if dropped:
                # Unanswered because the link dropped under it: a transient failure, retried
                # like any other drop (the sensor did not refuse anything).
                raise LinkDroppedError(
                    f"{self.info.name} dropped the link while starting its streams ({exc})"
                ) from exc
            raise
        except BaseException:
            await self._release(client)
            raise
        return client

    async def _release(self, client: BleakClient) -> None:
        """Disconnect ``client`` and free its D-Bus connection, never raising."""
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await client.disconnect()
        except Exception as exc:
            logger.debug("disconnect of %s: %r", self._address, exc)

    async def _connect_first(self) -> BleakClient:
        failures = 0
        while True:
            try:
                client = await self._connect_once()
            except BleError:
                # Our own errors (wrong device kind, refused command) are not transient.
                raise
            except Exception as exc:
                if is_bug(exc):
                    # A bug is no radio failure: said as one at once.
                    raise
                if is_fatal(exc):
                    raise self._map(exc) from exc
                if isinstance(exc, BleakDeviceNotFoundError) and isinstance(self._target, str):
                    # A scan by address waited the whole connect timeout and did not see it:
                    # more scans only make the person wait (without this, 4 futile tries).
                    raise self._map(exc) from exc
                self._forget_vanished_object(exc)
                failures += 1
                delay = next_connect_delay_s(
                    self._policy, failures, busy=is_busy(exc), u=self._rng.random()
                )
                logger.info("connect to %s failed (%r), retry in %s s", self._address, exc, delay)
                if delay is None:
                    mapped = self._map(exc)
                    if type(mapped) is ConnectFailedError:
                        mapped = ConnectFailedError(
                            f"could not connect to {self.info.name} after {failures} attempts:"
                            f" {mapped}",
                            mapped.advice,
                        )
                    raise mapped from exc
                self._say_retry(exc, failures + 1, busy=is_busy(exc))
                await asyncio.sleep(delay)
                continue
            self._settle_link_state(client)
            return client

    def _map(self, exc: BaseException) -> BleError:
        """``exc`` as the user's error about this sensor (by address, named in words where a
        message says what happened to it)."""
        if device_object_gone(exc):
            return out_of_range(self._label())
        return map_bleak_error(exc, device=self._address, device_name=self.info.name)

    def _label(self) -> str:
        """``NAME (ADDRESS)``, or the address alone for a sensor with no other name."""
        name = self.info.name
        return self._address if name == self._address else f"{name} ({self._address})"

    def _forget_vanished_object(self, exc: BaseException) -> None:
        """Connect by address (bleak then scans for it) once BlueZ has dropped the device's
        object: the :class:`~bleak.backends.device.BLEDevice` of an earlier scan names a D-Bus
        object that only a new discovery creates again (:func:`device_object_gone`). Other
        failures keep the object, which connects without a scan."""
        if device_object_gone(exc) and not isinstance(self._target, str):
            logger.info("%s: BlueZ dropped its device object, scanning by address", self._address)
            self._target = self._address

    def _say_retry(self, exc: Exception, attempt: int, *, busy: bool) -> None:
        """Tell ``on_progress`` that connect attempt ``attempt`` comes, and why the last failed."""
        if self._on_progress is None:
            return
        # The limit follows the kind of the latest failure (a busy device is tried a
        # different number of times), so the note says the attempt's number and the limit
        # of the failure so far only as "up to" (without this, "3 of 4", then it gave up).
        limit = self._policy.busy_attempts if busy else self._policy.connect_attempts
        if isinstance(exc, TimeoutError):
            why = f"timed out after {self._connect_timeout_s:g} s"
        else:
            why = f"failed: {map_bleak_error(exc, device_name=self.info.name)}"
        self._on_progress(
            f"connecting to {self.info.name} ... (attempt {attempt} of up to {limit}, the last "
            f"{why})"
        )

    def _settle_link_state(self, client: BleakClient) -> None:
        """Forget drops of earlier attempts; notice one that raced the end of this attempt."""
        self._lost.clear()
        if not client.is_connected:
            self._lost_reason = "link lost while starting streams"
            self._lost.set()

    def _link_event(self, state: LinkState, reason: str) -> LinkEvent:
        return LinkEvent(self._mono(), self._wall(), self._address, state, reason)

    async def _supervise(self) -> None:
        """Wait for drops; reconnect; report LOST / RESTORED; give up after the give-up time."""
        try:
            while not self._closing:
                await self._lost.wait()
                if self._closing:
                    return
                lost = self._link_event(LinkState.LOST, self._lost_reason)
                self._queue.put_nowait(lost)
                old = self._client
                if old is not None:
                    await self._release(old)
                if not self._reconnect:
                    raise DeviceGoneError(
                        f"lost the link to {self.info.name}", "reconnecting is turned off"
                    )
                try:
                    self._client = await self._reconnect_after(lost.t_mono_ns)
                except DeviceGoneError as exc:
                    if not self.look_again:
                        raise
                    self._say_given_up(exc)
                    try:
                        self._client = await self._look_again(lost.t_mono_ns)
                    except DeviceGoneError as stopped:
                        self._say_no_longer_looked_for(stopped)
                        raise
        except asyncio.CancelledError:
            raise
        except DeviceGoneError as exc:
            # Said as a link event first, so that the recording holds when the device was given
            # up and a session with other sensors can go on without it (CombinedSource).
            if not self._given_up:
                self._say_given_up(exc)
            self._queue.put_nowait(exc)
        except BaseException as exc:
            # A bug ends packets() as itself, for the command's handler of bugs; not as a
            # Bluetooth error with advice about the sensor.
            self._queue.put_nowait(exc if is_bug(exc) else self._map(exc))

    def _say_given_up(self, exc: DeviceGoneError) -> None:
        """Queue the ``LOST`` event that says the device is given up, and why."""
        reason = f"{GIVEN_UP_REASON}: {exc}"
        if self.look_again:
            reason += f"; looking for it again about every {self._policy.look_again_s:g} s"
        self._given_up = True
        self._queue.put_nowait(self._link_event(LinkState.LOST, reason))

    def _say_no_longer_looked_for(self, exc: DeviceGoneError) -> None:
        """Queue a ``LOST`` event that says the looking stopped, why, and what to do.

        Given up again, with its new reason: the one before said it is looked for again, and
        the :class:`DeviceGoneError` that follows it ends only this sensor's packets, which a
        session that carries on without it outlives unsaid (found by
        ``tests/ble/test_look_again_ble.py``: Bluetooth switched off while a strap was looked
        for left "looking for it again about every 15 s" as the last word, though a strap put
        on again after Bluetooth was back would never be measured).
        """
        reason = f"{GIVEN_UP_REASON}: {with_advice(str(exc), exc.advice)}"
        self._queue.put_nowait(self._link_event(LinkState.LOST, reason))

    async def _look_again(self, t_lost_ns: int) -> BleakClient:
        """Once given up: one connect attempt after each pause of
        :func:`~devices.ble.backoff.look_again_delay_s`, until one succeeds (``RESTORED``
        queued, the gap since ``t_lost_ns`` closed) or :meth:`aclose` cancels the task.

        A failure retrying cannot help (Bluetooth off, the device refusing us or not of the
        kind chosen) raises :class:`DeviceGoneError` (which the supervisor says first, in a
        ``LOST`` event: :meth:`_say_no_longer_looked_for`): the session, which carries on
        without the device, then goes on as if it were not looked for; not the failure
        itself, which would end a session that does not need its sensor.
        """
        looks = 0
        while True:
            await asyncio.sleep(look_again_delay_s(self._policy, u=self._rng.random()))
            if self._closing:
                raise asyncio.CancelledError
            looks += 1
            try:
                client = await self._connect_once()
            except BleError as exc:
                raise DeviceGoneError(
                    f"{self.info.name} is no longer looked for: {exc}", exc.advice
                ) from exc
            except Exception as exc:
                if is_bug(exc):
                    raise
                if is_fatal(exc):
                    mapped = self._map(exc)
                    raise DeviceGoneError(
                        f"{self.info.name} is no longer looked for: {mapped}", mapped.advice
                    ) from exc
                self._forget_vanished_object(exc)
                logger.info("looking for %s again failed (%r)", self._address, exc)
                continue
            back = self._link_event(LinkState.RESTORED, f"found again, look {looks}")
            self.gaps.append((t_lost_ns, back.t_mono_ns))
            self._given_up = False
            self._queue.put_nowait(back)
            self._settle_link_state(client)
            return client

    async def _reconnect_after(self, t_lost_ns: int) -> BleakClient:
        failures = 0
        # Give-up timing runs on the loop's clock: the injected clocks only stamp items.
        loop = asyncio.get_running_loop()
        lost_at_s = loop.time()
        while True:
            if self._closing:
                raise asyncio.CancelledError
            try:
                client = await self._connect_once()
            except (UnsupportedDeviceError, SensorCommandError):
                raise
            except Exception as exc:
                if is_bug(exc):
                    # Not retried for up to the give-up time, then blamed on the sensor.
                    raise
                if is_fatal(exc):
                    raise self._map(exc) from exc
                self._forget_vanished_object(exc)
                failures += 1
                elapsed_s = loop.time() - lost_at_s
                delay = next_reconnect_delay_s(
                    self._policy, failures, elapsed_s, u=self._rng.random()
                )
                logger.info("reconnect to %s failed (%r), retry in %s s", self._address, exc, delay)
                if delay is None:
                    raise DeviceGoneError(
                        f"{self.info.name} did not come back within"
                        f" {self._policy.give_up_after_s:g} s",
                        "check the sensor's battery and that it is worn, then start again",
                    ) from exc
                await asyncio.sleep(delay)
                continue
            # Back only once the streams run again: a link that drops on a START is still
            # down, and the gap must cover the time no data came.
            back = self._link_event(LinkState.RESTORED, f"reconnect attempt {failures + 1}")
            self.gaps.append((t_lost_ns, back.t_mono_ns))
            self._queue.put_nowait(back)
            self._settle_link_state(client)
            return client
