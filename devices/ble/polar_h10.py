"""Polar H10 (and other PMD sensors): heart rate plus PMD ECG and accelerometer streams.

A sensor streams what it offers of what was asked for: the PMD feature read says which
measurement types it has [PMT], so an OH1 or a Verity Sense (ACC and PPG, no ECG) runs without
ECG, and the accelerometer runs at the offered rate and range nearest to the ones asked for
(the Verity offers only 52 Hz, ±8 g). What was left out or changed is written into
``info.streams``, so the recording header says what really ran, and said once as a note in
``info.details`` that the session and its replays show as a status line. A Polar strap without
PMD (H9, H7) is no PMD sensor: :func:`devices.ble.resolve.sensor_for` opens it as a standard
:class:`~devices.ble.heart_rate_strap.HeartRateStrap` by its name; one whose advertisement has
no name (its model unknown) opens as this class, which then streams heart rate alone.

What the sensor sends about its settings is bounds-checked as it is parsed
(:data:`devices.polar_pmd.SETTING_BOUNDS`): a settings list offering a rate of 0 Hz, or an ACC
start answered with a FACTOR that is NaN, 0 or negative, refuses the connection with advice
(:class:`~devices.ble.errors.SensorCommandError`; an ACC stream so started is stopped first).
Taken as sent, they ended the session on the first ACC frame and made a header no reader accepts.

GATT glue only; frames are decoded downstream by :mod:`devices.polar_pmd`. The start-up order
follows the fact sheet (docs/reference/ble-protocols.md) §2 and the Polar SDK [PMDC]: read the PMD
features **before** subscribing to the control point (with BlueZ StartNotify a read of a subscribed
characteristic is echoed as a notification), enable control-point indications, then data
notifications, then query settings and start ECG (130 Hz, 14 bit) and ACC (chosen rate and
range). On exit both streams are stopped, or the H10 keeps streaming until its battery dies [PKI].

A sensor can stop a stream on its own and say so with a ``01 <types>`` indication [PMDC]; the
link stays up and heart rate goes on, so nothing else would notice. Each stopped stream is
started again with the same settings, at most :data:`MAX_STREAM_RESTARTS` times per stream
per connection (a sensor that keeps stopping has a reason; the warning says which stream
went quiet). The indication and the new start's response are recorded like every
control-point value, so a replay sees the gap and the restart.

A stream the sensor refuses to start with INVALID_MTU (10: the link's MTU is below the 232
bytes PMD needs, fact sheet §2) is left out like one it does not offer, with a note naming the
reason, as long as another stream runs: on Linux the MTU is BlueZ's to settle, not this
program's (fact sheet §5), so ending the start over it threw away the heart rate and the
accelerometer the session could use. Only on the first connect, before the
recording header is written; a refusal after that ends the session as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice

from devices.ble.errors import SensorCommandError, UnsupportedDeviceError, is_bug
from devices.ble.heart_rate_strap import HeartRateStrap
from devices.ble.sensors import HEART_RATE_MEASUREMENT_UUID, BleSensor
from devices.errors import DecodeError
from devices.packets import Stream
from devices.polar_pmd import (
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    MeasurementType,
    PmdFeatures,
    PmdResponse,
    PmdStopNotice,
    ResponseAssembler,
    SettingType,
    SettingValueError,
    Status,
    build_get_settings,
    build_start,
    build_stop,
    parse_features,
    parse_settings,
)

# Info, never warning: nothing configures logging, so a warning printed raw on stderr under
# the screen. What a person needs to know reaches the session: stop notices are recorded and
# said by the pipeline, unreadable packets counted there, connect findings kept as notes.
logger = logging.getLogger(__name__)

ECG_FS_HZ = 130
"""The H10's only ECG rate (nominal; the true rate is derived from timestamps)."""
ECG_RESOLUTION_BITS = 14
ACC_RATES_HZ = (25, 50, 100, 200)
ACC_RANGES_G = (2, 4, 8)
ACC_RESOLUTION_BITS = 16
MAX_STREAM_RESTARTS = 3
"""Restarts per stream per connection after the sensor stopped it on its own."""

# Rates and ranges are chosen from what the sensor offers, so a refusal of them is the
# sensor's fault and gets the default advice.
_MTU_WORDS = (
    "the Bluetooth link's MTU is too small for its frames (PMD needs >= 232 bytes, and on"
    " Linux BlueZ, not this program, settles the MTU: a newer BlueZ or another Bluetooth"
    " adapter may allow it)"
)
_STATUS_ADVICE: Mapping[int, str] = {
    Status.INVALID_MTU: "update BlueZ or use another Bluetooth adapter: the link's MTU is too"
    " small for PMD (needs >= 232 bytes)",
    Status.DEVICE_IN_CHARGER: "take the sensor off its charger",
    Status.INVALID_STATE: "take the sensor off the strap for a minute and try again",
}
_DEFAULT_ADVICE = "take the sensor off the strap for a minute so it resets, then try again"


def nearest_offered(wanted: int, offered: tuple[int | float | bytes, ...]) -> int | None:
    """The offered value closest to ``wanted`` (the larger one on a tie), ``None`` if none.

    Used for the accelerometer's rate (Hz) and range (g): a larger range only costs resolution,
    a faster rate only radio traffic, so a tie goes up.
    """
    values = [int(v) for v in offered if isinstance(v, int | float)]
    if not values:
        return None
    return min(values, key=lambda v: (abs(v - wanted), -v))


class PolarH10(BleSensor):
    """A Polar PMD sensor (H10; OH1, Verity Sense without ECG): HR (0x2A37) and PMD ECG + ACC,
    every packet recorded raw.

    Streams: :attr:`Stream.HEART_RATE` (0x2A37 notifications), :attr:`Stream.PMD_DATA` (ECG and
    ACC frames), :attr:`Stream.PMD_CONTROL` (control-point indications: responses and stop
    notices).

    Parameters
    ----------
    device : BLEDevice or str
        As for :class:`~devices.ble.sensors.BleSensor`.
    ecg, acc, heart_rate : bool
        Which streams to run; ECG and ACC only where the sensor offers them (module notes).
    acc_fs_hz : int
        Accelerometer rate asked for, one of 25, 50, 100, 200 Hz (the nearest offered rate
        runs). 50 Hz is ample for chest movement (breathing is below 1 Hz) at a quarter of the
        radio traffic of 200 Hz.
    acc_range_g : int
        Accelerometer range asked for, ±2, ±4 or ±8 g (the nearest offered range runs); ±2 g
        suits a person lying or sitting still.
    heart_rate_fallback : bool
        For a Polar device of unknown model (no name in its advertisement): without the PMD
        service, stream heart rate alone as a strap instead of failing.
    **kwargs
        Passed to :class:`~devices.ble.sensors.BleSensor`.
    """

    family: ClassVar[str] = "polar_pmd"

    def __init__(
        self,
        device: BLEDevice | str,
        *,
        ecg: bool = True,
        acc: bool = True,
        heart_rate: bool = True,
        acc_fs_hz: int = 50,
        acc_range_g: int = 2,
        heart_rate_fallback: bool = False,
        **kwargs: Any,
    ) -> None:
        if acc_fs_hz not in ACC_RATES_HZ:
            raise ValueError(f"acc_fs_hz must be one of {ACC_RATES_HZ}, got {acc_fs_hz}")
        if acc_range_g not in ACC_RANGES_G:
            raise ValueError(f"acc_range_g must be one of {ACC_RANGES_G}, got {acc_range_g}")
        self._want_ecg = ecg
        self._want_acc = acc
        self._want_hr = heart_rate
        self._hr_fallback = heart_rate_fallback
        self.acc_fs_hz = acc_fs_hz
        self.acc_range_g = acc_range_g
        super().__init__(device, **kwargs)
        self._assembler = ResponseAssembler()
        self._cp_lock = asyncio.Lock()
        self._running: list[MeasurementType] = []
        self.features: PmdFeatures | None = None
        self.stop_notices = 0
        """How many times the sensor said it stopped streaming on its own."""
        self.stream_restarts = 0
        """How many streams were started again after such a stop."""
        self._restarts_left: dict[MeasurementType, int] = {}
        self._restart_tasks: set[asyncio.Task[None]] = set()
        self._streams_ran = False
        """Whether the streams once ran (the header then says what they are)."""

    def _stream_parameters(self) -> dict[str, dict[str, Any]]:
        # The layout devices.pmd_stream reads: one object per measurement type.
        pmd: dict[str, Any] = {}
        if self._want_ecg:
            pmd["ecg"] = {"fs_hz": ECG_FS_HZ, "resolution_bits": ECG_RESOLUTION_BITS}
        if self._want_acc:
            pmd["acc"] = {
                "fs_hz": self.acc_fs_hz,
                "range_g": self.acc_range_g,
                "resolution_bits": ACC_RESOLUTION_BITS,
                "factor": 1.0,
            }
        streams: dict[str, dict[str, Any]] = {Stream.PMD_CONTROL.value: {}}
        if pmd:
            streams[Stream.PMD_DATA.value] = pmd
        if self._want_hr:
            streams[Stream.HEART_RATE.value] = {"rr_unit_s": 1 / 1024}
        return streams

    # -- control point ---------------------------------------------------------------------------

    def _on_control_point(self, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        self._emit(Stream.PMD_CONTROL, data)
        try:
            result = self._assembler.feed(bytes(data))
        except DecodeError as exc:
            logger.info(
                "%s: unreadable PMD control-point value %s: %s",
                self._address,
                bytes(data).hex(" "),
                exc,
            )
            return
        if isinstance(result, PmdStopNotice):
            self.stop_notices += 1
            self._on_stop_notice(result)
            return
        waiter = self._waiter
        if result is not None and waiter is not None:
            opcode, mtype, future = waiter
            if (result.opcode, result.measurement_type) == (opcode, mtype) and not future.done():
                future.set_result(result)

    def _on_stop_notice(self, notice: PmdStopNotice) -> None:
        """Schedule a restart of each stream the sensor stopped (module notes)."""
        client = self._client
        for value in notice.measurement_types:
            try:
                measurement = MeasurementType(value)
            except ValueError:
                continue
            if measurement not in self._running:
                continue  # not ours, or already stopped
            self._running.remove(measurement)
            left = self._restarts_left.get(measurement, MAX_STREAM_RESTARTS)
            if client is None or self._closing or left <= 0:
                logger.info(
                    "%s stopped its %s stream on its own; not restarting it (%s)",
                    self._address,
                    measurement.name,
                    "closing" if client is None or self._closing else "restarted too often",
                )
                continue
            self._restarts_left[measurement] = left - 1
            logger.info(
                "%s stopped its %s stream on its own; starting it again",
                self._address,
                measurement.name,
            )
            task = asyncio.get_running_loop().create_task(self._restart(client, measurement))
            self._restart_tasks.add(task)
            task.add_done_callback(self._restart_tasks.discard)

    async def _restart(self, client: BleakClient, measurement: MeasurementType) -> None:
        try:
            if measurement is MeasurementType.ECG:
                await self._start_ecg(client)
            else:
                await self._start_acc(client)
        except Exception as exc:
            if is_bug(exc):
                # Not a Bluetooth failure: it ends packets() as itself, for the command's
                # handler of bugs (its words and traceback), as in the connect and reconnect
                # loops. Logged at INFO, a background task's bug would be lost, the session
                # going on without the stream and without a word why.
                self._queue.put_nowait(exc)
                return
            # The link may be gone or the sensor refuse: the session goes on without the
            # stream (its stop is in the recording as the sensor's notice), and says so here.
            logger.info(
                "%s: could not restart the %s stream: %s", self._address, measurement.name, exc
            )
            return
        self.stream_restarts += 1

    async def _command(self, client: BleakClient, command: bytes) -> PmdResponse:
        """Write one control-point command and wait for its (joined) response indication."""
        async with self._cp_lock:
            future: asyncio.Future[PmdResponse] = asyncio.get_running_loop().create_future()
            self._waiter = (command[0], command[1] & 0x3F, future)
            try:
                what = f"a PMD command ({command.hex(' ')})"
                await self._write_command(
                    client, PMD_CONTROL_POINT_UUID, [command], what, _DEFAULT_ADVICE
                )
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                    async with asyncio.timeout(self.command_timeout_s):
                        return await future
                except TimeoutError:
                    raise SensorCommandError(
                        f"{self.info.name} did not answer PMD command {command.hex(' ')}"
                        f" within {self.command_timeout_s:g} s",
                        _DEFAULT_ADVICE,
                    ) from None
            finally:
                self._waiter = None

    def _check(self, response: PmdResponse, what: str, *, tolerate: tuple[int, ...] = ()) -> None:
        if response.ok or response.status in tolerate:
            return
        raise SensorCommandError(
            f"{self.info.name} refused to {what}: {response.status_name} ({response.status})",
            _STATUS_ADVICE.get(response.status, _DEFAULT_ADVICE),
        )

    async def _offered(
        self, client: BleakClient, measurement: MeasurementType
    ) -> dict[SettingType, tuple[int | float | bytes, ...]]:
        response = await self._command(client, build_get_settings(measurement))
        self._check(response, f"list {measurement.name} settings")
        try:
            return parse_settings(response.parameters)
        except DecodeError as exc:
            what = "impossible" if isinstance(exc, SettingValueError) else "unreadable"
            raise SensorCommandError(
                f"{self.info.name} sent {what} {measurement.name} settings: {exc}",
                _DEFAULT_ADVICE,
            ) from exc

    async def _start(
        self, client: BleakClient, measurement: MeasurementType, settings: dict[SettingType, int]
    ) -> PmdResponse | None:
        """Start ``measurement``; None if it was left out instead (INVALID_MTU, module notes)."""
        response = await self._command(client, build_start(measurement, settings))
        if (
            response.status == Status.INVALID_MTU
            and not self._streams_ran
            and (self._want_hr or self._wanted_besides(measurement))
        ):
            self._leave_out(
                measurement,
                f"refused to start {measurement.name}: {response.status_name}"
                f" ({response.status}), {_MTU_WORDS}",
            )
            return None
        # After a reconnect the sensor may still be streaming; that is the state we want.
        self._check(response, f"start {measurement.name}", tolerate=(Status.ALREADY_IN_STATE,))
        self._running.append(measurement)
        return response

    # -- streams ---------------------------------------------------------------------------------

    async def _start_streams(self, client: BleakClient) -> None:
        self._assembler.reset()
        self._running = []
        self._restarts_left = {}
        if (
            self._hr_fallback
            and self._want_hr
            and not self._has_char(client, PMD_CONTROL_POINT_UUID)
        ):
            # A Polar strap known by its manufacturer data alone, without PMD (an unnamed H9 or
            # H7): it streams heart rate and RR as any strap does.
            await self._heart_rate_only(client)
            return
        self._require(client, PMD_CONTROL_POINT_UUID, "Polar PMD control point")
        self._require(client, PMD_DATA_UUID, "Polar PMD data")
        try:
            features = parse_features(bytes(await client.read_gatt_char(PMD_CONTROL_POINT_UUID)))
        except DecodeError as exc:
            raise UnsupportedDeviceError(
                f"{self.info.name} answered the PMD feature read with unreadable bytes: {exc}",
                "this does not look like a Polar PMD sensor",
            ) from exc
        self.features = features
        self.info.details["pmd_features"] = [m.name for m in MeasurementType if features.has(m)]
        for measurement in (MeasurementType.ECG, MeasurementType.ACC):
            if self._wants(measurement) and not features.has(measurement):
                self._leave_out(measurement)
        await client.start_notify(PMD_CONTROL_POINT_UUID, self._on_control_point)
        await client.start_notify(PMD_DATA_UUID, self._recorder(Stream.PMD_DATA))
        if self._want_hr:
            self._require(client, HEART_RATE_MEASUREMENT_UUID, "Heart Rate Measurement (0x2A37)")
            await client.start_notify(
                HEART_RATE_MEASUREMENT_UUID, self._recorder(Stream.HEART_RATE)
            )
        if self._want_ecg:
            await self._start_ecg(client)
        if self._want_acc:
            await self._start_acc(client)
        self._streams_ran = True

    async def _heart_rate_only(self, client: BleakClient) -> None:
        """Stream the standard heart-rate service alone, as a
        :class:`~devices.ble.heart_rate_strap.HeartRateStrap` does, and say what is left out."""
        self._require(client, HEART_RATE_MEASUREMENT_UUID, "Heart Rate Measurement (0x2A37)")
        for measurement in (MeasurementType.ECG, MeasurementType.ACC):
            if self._wants(measurement):
                self._leave_out(measurement)
        # Nothing of PMD runs: the header must not promise its streams (changed in place before
        # a CombinedSource merges the infos again after the connect).
        self.info.streams.pop(Stream.PMD_CONTROL.value, None)
        self.info.streams.pop(Stream.PMD_DATA.value, None)
        self.info.details["family"] = HeartRateStrap.family
        await client.start_notify(HEART_RATE_MEASUREMENT_UUID, self._recorder(Stream.HEART_RATE))

    def _wants(self, measurement: MeasurementType) -> bool:
        return self._want_ecg if measurement is MeasurementType.ECG else self._want_acc

    def _wanted_besides(self, measurement: MeasurementType) -> bool:
        """Whether the PMD stream other than ``measurement`` is still to run."""
        other = MeasurementType.ACC if measurement is MeasurementType.ECG else MeasurementType.ECG
        return self._wants(other)

    def _leave_out(self, measurement: MeasurementType, why: str = "") -> None:
        """Run without a stream the sensor does not offer, or refused for ``why``, and say so
        (module notes)."""
        why = why or f"does not offer {measurement.name}"
        self._note(f"{self.info.name} {why}; streaming without it")
        if measurement is MeasurementType.ECG:
            self._want_ecg = False
        else:
            self._want_acc = False
        # The inner dict is shared with a CombinedSource's info: change it in place.
        self.info.streams.get(Stream.PMD_DATA.value, {}).pop(measurement.name.lower(), None)

    async def _start_ecg(self, client: BleakClient) -> None:
        offered = await self._offered(client, MeasurementType.ECG)
        if ECG_FS_HZ not in offered.get(SettingType.SAMPLE_RATE, ()):
            raise UnsupportedDeviceError(
                f"{self.info.name} does not offer ECG at {ECG_FS_HZ} Hz", "use a Polar H10"
            )
        await self._start(
            client,
            MeasurementType.ECG,
            {SettingType.SAMPLE_RATE: ECG_FS_HZ, SettingType.RESOLUTION: ECG_RESOLUTION_BITS},
        )

    async def _start_acc(self, client: BleakClient) -> None:
        offered = await self._offered(client, MeasurementType.ACC)
        rates = offered.get(SettingType.SAMPLE_RATE, ())
        ranges = offered.get(SettingType.RANGE, ())
        fs_hz = nearest_offered(self.acc_fs_hz, rates)
        range_g = nearest_offered(self.acc_range_g, ranges)
        if fs_hz is None or range_g is None:
            raise SensorCommandError(
                f"{self.info.name} offers no ACC rate or range (offers {list(rates)} Hz,"
                f" ±{list(ranges)} g)",
                _DEFAULT_ADVICE,
            )
        if (fs_hz, range_g) != (self.acc_fs_hz, self.acc_range_g):
            self._note(
                f"{self.info.name} offers ACC at {list(rates)} Hz, ±{list(ranges)} g:"
                f" streaming at {fs_hz} Hz, ±{range_g} g"
            )
            # Kept for restarts and reconnects: the same sensor offers the same again.
            self.acc_fs_hz, self.acc_range_g = fs_hz, range_g
        resolutions = offered.get(SettingType.RESOLUTION, (ACC_RESOLUTION_BITS,))
        resolution = int(resolutions[0]) if isinstance(resolutions[0], int) else 16
        response = await self._start(
            client,
            MeasurementType.ACC,
            {
                SettingType.SAMPLE_RATE: fs_hz,
                SettingType.RESOLUTION: resolution,
                SettingType.RANGE: range_g,
            },
        )
        if response is None:
            return
        acc = self.info.streams[Stream.PMD_DATA.value]["acc"]
        acc.update(fs_hz=fs_hz, range_g=range_g, resolution_bits=resolution)
        # Some sensors return FACTOR with the start response (Verity: 0.000244); the H10 sends a
        # lone trailing byte that is not a TLV, so an unreadable tail just means "no factor".
        # A FACTOR read whole but impossible (NaN, 0, negative) is not "no factor": every
        # compressed sample would be scaled by it, so the stream is refused before any is
        # recorded under a header no reader accepts.
        try:
            factor = parse_settings(response.parameters).get(SettingType.FACTOR)
        except SettingValueError as exc:
            await self._refuse_started(client, MeasurementType.ACC)
            raise SensorCommandError(
                f"{self.info.name} started ACC with an impossible scale: {exc}", _DEFAULT_ADVICE
            ) from exc
        except DecodeError:
            factor = None
        if factor and isinstance(factor[0], float):
            acc["factor"] = factor[0]

    async def _refuse_started(self, client: BleakClient, measurement: MeasurementType) -> None:
        """Stop a stream just started whose settings cannot be used, as far as the link lets.

        Its frames would otherwise go on arriving, after a restart too (the error that follows
        is only logged there), decoded with settings the sensor no longer claims.
        """
        if measurement in self._running:
            self._running.remove(measurement)
        try:
            await self._command(client, build_stop(measurement))
        except SensorCommandError as exc:
            logger.info("%s: %s", self._address, exc)

    async def _stop_streams(self, client: BleakClient) -> None:
        # A restart still on its way would start a stream after the stop below.
        for task in list(self._restart_tasks):
            task.cancel()
        if self._restart_tasks:
            await asyncio.wait(self._restart_tasks)
        for measurement in reversed(self._running):
            try:
                response = await self._command(client, build_stop(measurement))
            except SensorCommandError as exc:
                logger.info("%s: %s", self._address, exc)
                continue
            if not response.ok and response.status != Status.ALREADY_IN_STATE:
                logger.info(
                    "%s refused to stop %s: %s",
                    self._address,
                    measurement.name,
                    response.status_name,
                )
        self._running = []
