"""The fake ``org.bluez`` service: an adapter and three simulated sensors, with scenarios.

Run as its own process on a private bus::

    python -m tests.fakebluez.server --address unix:path=/tmp/bus/socket [scenario options]

It implements the parts of BlueZ's D-Bus API that bleak uses, as described in
``docs/reference/ble-without-hardware.md``: ``Adapter1`` (discovery), ``Device1`` (connect,
disconnect, pair), ``GattService1`` and ``GattCharacteristic1`` (read, write, start/stop notify;
notifications are ``PropertiesChanged`` of ``Value``). The devices behave as the byte-level fact
sheet ``docs/reference/ble-protocols.md`` says: a standard heart-rate strap, a Polar H10 with the
PMD control point (features, settings, start/stop, every status code) streaming ECG and ACC frames
whose timestamps carry a drifting true sample rate, and a Go Direct respiration belt answering its
command packets and streaming measurement packets.

A control interface (``org.breathwise.FakeBlueZ1`` at ``/org/breathwise/FakeBlueZ``) lets tests
drop links, make a device vanish and read back every notification a device sent while connected.

A link outlives the D-Bus client that made it, as in BlueZ: only ``Disconnect()``, a drop or the
device ends it, not the client's exit (bleak's ``backends/bluezdbus/client.py``: "The BlueZ
backend does not disconnect devices when the application closes or crashes", bluez/bluez#89).
A connected device does not advertise.
"""

import argparse
import asyncio
import contextlib
import math
import random
import signal
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from dbus_fast import BusType, DBusError, PropertyAccess, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusDouble,
    DBusInt16,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt16,
)
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from devices.godirect import encode_godirect_measurement
from devices.godirect_commands import (
    GODIRECT_COMMAND_UUID,
    GODIRECT_RESPONSE_UUID,
    GODIRECT_SERVICE_UUID,
    Command,
    SensorInfo,
    checksum,
    encode_sensor_info,
)
from devices.heart_rate import encode_heart_rate_measurement
from devices.polar_pmd import (
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    PMD_SERVICE_UUID,
    MeasurementType,
    OpCode,
    SettingType,
    Status,
    parse_settings,
)
from tests.fakebluez import (
    BELT_ADDRESS,
    BELT_NAME,
    CONTROL_INTERFACE,
    CONTROL_PATH,
    H9_ADDRESS,
    H9_NAME,
    POLAR_ADDRESS,
    POLAR_NAME,
    READY_LINE,
    STRAP_ADDRESS,
    STRAP_NAME,
    STRAP_TWIN_ADDRESS,
    VERITY_ADDRESS,
    VERITY_NAME,
)

ADAPTER_PATH = "/org/bluez/hci0"
DBusStrList = Annotated[list[str], DBusSignature("as")]
DBusManufacturerData = Annotated[dict[int, Variant], DBusSignature("a{qv}")]
DBusNotifications = Annotated[list[list[Any]], DBusSignature("a(say)")]


def sig(short: int) -> str:
    """128-bit form of a SIG 16-bit UUID."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HR_SERVICE, HR_MEASUREMENT, BODY_LOCATION, HR_CONTROL = (
    sig(0x180D),
    sig(0x2A37),
    sig(0x2A38),
    sig(0x2A39),
)
BATTERY_SERVICE, BATTERY_LEVEL = sig(0x180F), sig(0x2A19)
DIS_SERVICE = sig(0x180A)
DIS_MANUFACTURER, DIS_MODEL, DIS_FIRMWARE = sig(0x2A29), sig(0x2A24), sig(0x2A26)

PMD_EPOCH_2019_NS = 599_616_000_000_000_000
"""2019-01-01T00:00Z in PMD time (ns since 2000-01-01): where an unset H10 clock starts."""


def dev_path(address: str) -> str:
    return f"{ADAPTER_PATH}/dev_{address.replace(':', '_')}"


# -- scenario --------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """What can go wrong, chosen on the command line."""

    devices: tuple[str, ...] = ("strap", "polar", "belt")
    no_adapter: bool = False
    powered_off: bool = False
    deny_discovery: bool = False
    drop_every_s: float = 0.0
    down_for_s: float = 1.0
    gone_after_s: float = 0.0
    back_after_s: float = 0.0
    """Seconds after the start at which devices that vanished (``gone_after_s``) advertise
    again, as a strap whose battery was changed: BlueZ has no object for one (it was removed),
    and a discovery that hears it creates one again. 0: gone for good."""
    malformed_every: int = 0
    cp_error: dict[int, int] = field(default_factory=dict)
    cp_split: bool = False
    stop_notice: dict[int, tuple[float, int]] = field(default_factory=dict)
    """PMD type -> (seconds after a START, how many times; 0 = after every START): the sensor
    stops that stream on its own and says so with a ``01 <type>`` indication."""
    slow_connect_s: float = 0.0
    slow_connects: int = 0
    slow_connect_after_s: float = 0.0
    """Only ``Connect()`` calls made this many seconds after the start are slow (and counted
    in ``slow_connects``): a sensor found again by a later look whose connection BlueZ is
    still making when the session ends. 0: from the start."""
    power_off_after_s: float = 0.0
    """Seconds after the start at which the adapter is powered off (Bluetooth switched off):
    every link drops, and BlueZ answers ``StartDiscovery``, ``Connect`` and ``Pair`` with
    ``org.bluez.Error.NotReady`` (``src/adapter.c``, ``src/device.c``: not powered). 0: never."""
    adapter_gone_after_s: float = 0.0
    """Seconds after the start at which the adapter goes away (a USB dongle unplugged): its
    object and every device object are removed (``InterfacesRemoved``). 0: never."""
    pair_error_after_s: float = 0.0
    """``pair_error`` applies only to ``Pair()`` calls made this many seconds after the start:
    a sensor paired at the session's start that refuses a new pairing once it is back (its bond
    cleared with its battery). 0: from the start."""
    busy: bool = False
    drop_on_start: frozenset[int] = frozenset()
    """Connection numbers (1 = the first) on which a Polar drops its link on the first START
    command, unanswered, for ``down_for_s``: a link lost while the host restarts streams."""
    require_pairing: bool = False
    pair_error: str = ""
    """``Device1.Pair()`` fails with ``org.bluez.Error.<this>`` (``AuthenticationFailed``,
    ``AuthenticationRejected``, ``AuthenticationCanceled``, ``AuthenticationTimeout``), as
    BlueZ answers a failed pairing: a stale bond, a refused or timed-out agent (``src/device.c``
    ``new_authentication_return``); empty: pairing succeeds."""
    temporary_timeout_s: float = 0.0
    """BlueZ's ``TemporaryTimeout`` (main.conf, 30 s by default): an unpaired device that is not
    connected and not seen by a running discovery for this long has its ``Device1`` object
    removed (``src/device.c`` temporary timer, ``btd_adapter_remove_device``), and a discovery
    that sees it advertising creates it again (``src/adapter.c`` ``btd_adapter_device_found``).
    0: objects stay, as for the other tests."""
    pairing_error: str = "bluez"
    """How a write refused until paired fails: ``bluez`` as BlueZ answers insufficient
    authentication (``src/gatt-client.c``: ``org.bluez.Error.NotPermitted`` "Not paired"), or
    ``att`` as a failure naming the ATT code (what bleak turns into BleakGATTProtocolError)."""
    belt_force_periods_us: tuple[int, int] | None = None
    """(min, max) period in µs the belt's SENSOR_INFO states for its force channel, instead of
    5 ms-1000 s; any u32/u64, as an untrusted reply can hold."""
    acc_factor: float | None = None
    """FACTOR (float32) a Polar returns with a successful ACC start, as a Verity does, instead
    of the H10's lone trailing byte; NaN, 0 or negative for a sensor saying nonsense."""
    refuse_read: dict[str, str] = field(default_factory=dict)
    """Characteristic UUID -> how a read of it is refused while the link stays up: ``denied``
    as BlueZ answers ATT Read Not Permitted (``org.bluez.Error.NotPermitted`` "Read not
    permitted", ``src/gatt-client.c``), ``unpaired`` as it answers insufficient
    authentication or encryption ("Not paired"): a sensor whose optional details need
    encryption while heart rate does not."""
    hr_interval_s: float = 1.0
    ecg_drift: float = 0.006
    acc_drift: float = -0.004
    seed: int = 1
    only: str = ""
    unnamed: bool = False
    """Devices advertise no name (BlueZ then has no Name and an Alias of the address with
    dashes): a Polar is known by its manufacturer data alone."""


# -- D-Bus objects ---------------------------------------------------------------------------------


class Adapter(ServiceInterface):
    """``org.bluez.Adapter1`` at ``/org/bluez/hci0``."""

    def __init__(self, server: "FakeBlueZ") -> None:
        super().__init__("org.bluez.Adapter1")
        self._server = server
        self._discovering = False

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return "00:1A:7D:DA:71:13"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return "fakebluez"

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return "fakebluez"

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> DBusBool:
        return not self._server.scenario.powered_off

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> DBusBool:
        return self._discovering

    @property
    def discovering(self) -> bool:
        """Whether a discovery started and not stopped (for the control interface)."""
        return self._discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> DBusStrList:
        return ["central", "peripheral"]

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> DBusStrList:
        return []

    @dbus_method()
    def SetDiscoveryFilter(self, properties: DBusDict) -> None:
        return None

    @dbus_method()
    def StartDiscovery(self) -> None:
        if self._server.scenario.deny_discovery:
            raise DBusError("org.freedesktop.DBus.Error.AccessDenied", "Rejected send message")
        if self._server.scenario.powered_off:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        self._discovering = True
        self.emit_properties_changed({"Discovering": True})
        self._server.discovery_changed(True)

    @dbus_method()
    def StopDiscovery(self) -> None:
        if not self._discovering:
            raise DBusError("org.bluez.Error.Failed", "No discovery started")
        self._discovering = False
        self.emit_properties_changed({"Discovering": False})
        self._server.discovery_changed(False)

    @dbus_method()
    def RemoveDevice(self, device: DBusObjectPath) -> None:
        return None


class Device(ServiceInterface):
    """``org.bluez.Device1`` of one simulated sensor."""

    def __init__(self, model: "DeviceModel") -> None:
        super().__init__("org.bluez.Device1")
        self.model = model
        self.trusted = False

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return self.model.address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> DBusStr:
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return "" if self.model.scenario.unnamed else self.model.name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        if self.model.scenario.unnamed:
            return self.model.address.replace(":", "-")
        return self.model.name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> DBusObjectPath:
        return ADAPTER_PATH

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> DBusBool:
        return self.model.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> DBusBool:
        return self.model.services_resolved

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> DBusBool:
        return self.model.paired

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> DBusBool:
        return self.model.paired

    @dbus_property()
    def Trusted(self) -> DBusBool:
        return self.trusted

    @Trusted.setter  # type: ignore[no-redef]  # the property-setter idiom of dbus-fast
    def Trusted(self, value: DBusBool) -> None:
        self.trusted = value

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> DBusStrList:
        return list(self.model.advertised_uuids)

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> DBusInt16:
        return self.model.rssi

    @dbus_property(access=PropertyAccess.READ)
    def TxPower(self) -> DBusInt16:
        return 4

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> DBusManufacturerData:
        return {k: Variant("ay", v) for k, v in self.model.manufacturer_data.items()}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> DBusDict:
        return {}

    @dbus_method()
    async def Connect(self) -> None:
        self.model.server.check_powered()
        await self.model.connect()

    @dbus_method()
    async def Pair(self) -> None:
        self.model.server.check_powered()
        failure = self.model.scenario.pair_error
        if failure and self.model.server.elapsed_s() >= self.model.scenario.pair_error_after_s:
            # BlueZ's texts for these names (src/device.c new_authentication_return).
            words = failure.removeprefix("Authentication")
            raise DBusError(f"org.bluez.Error.{failure}", f"Authentication {words}")
        self.model.paired = True
        self.emit_properties_changed({"Paired": True, "Bonded": True})
        await self.model.connect()

    @dbus_method()
    def CancelPairing(self) -> None:
        return None

    @dbus_method()
    def Disconnect(self) -> None:
        self.model.disconnect("host disconnect")


class GattService(ServiceInterface):
    """``org.bluez.GattService1``."""

    def __init__(self, uuid: str, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.uuid = uuid
        self.device_path = device_path

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> DBusObjectPath:
        return self.device_path

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> Annotated[list[str], DBusSignature("ao")]:
        return []


ReadHandler = Callable[[], bytes]
READ_REFUSALS = {"denied": "Read not permitted", "unpaired": "Not paired"}
"""``--refuse-read`` HOW -> the text of BlueZ's ``org.bluez.Error.NotPermitted`` answer."""
WriteHandler = Callable[[bytes], None]


class Characteristic(ServiceInterface):
    """``org.bluez.GattCharacteristic1``; ``Value`` changes are the notifications."""

    def __init__(
        self,
        model: "DeviceModel",
        uuid: str,
        service_path: str,
        flags: list[str],
        *,
        read: ReadHandler | None = None,
        write: WriteHandler | None = None,
        mtu: int = 23,
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.model = model
        self.uuid = uuid
        self.service_path = service_path
        self.flags = flags
        self.read_handler = read
        self.write_handler = write
        self.mtu = mtu
        self.value = b""
        self.notifying = False

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> DBusObjectPath:
        return self.service_path

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> DBusStrList:
        return self.flags

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> DBusBool:
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> DBusUInt16:
        return self.mtu

    @dbus_method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        refusal = self.model.scenario.refuse_read.get(self.uuid)
        if refusal is not None:
            raise DBusError("org.bluez.Error.NotPermitted", READ_REFUSALS[refusal])
        if self.read_handler is None:
            raise DBusError("org.bluez.Error.NotPermitted", "Read not permitted")
        self.value = self.read_handler()
        if self.notifying:
            # Real BlueZ with StartNotify echoes a read of a subscribed characteristic as a
            # notification (docs/reference/ble-without-hardware.md, "Pitfalls"); so does the fake.
            self.emit_properties_changed({"Value": self.value})
        return self.value

    @dbus_method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        if self.write_handler is None:
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        self.model.writes.append((self.uuid, bytes(value)))
        if self.model.scenario.require_pairing and not self.model.paired:
            if self.model.scenario.pairing_error == "att":
                raise DBusError("org.bluez.Error.Failed", "Operation failed with ATT error: 0x05")
            raise DBusError("org.bluez.Error.NotPermitted", "Not paired")
        self.write_handler(bytes(value))

    @dbus_method()
    def StartNotify(self) -> None:
        if "notify" not in self.flags and "indicate" not in self.flags:
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        if not self.notifying:
            self.notifying = True
            self.emit_properties_changed({"Notifying": True})
            self.model.notify_changed(self.uuid, True)

    @dbus_method()
    def StopNotify(self) -> None:
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})
            self.model.notify_changed(self.uuid, False)

    def send(self, payload: bytes) -> None:
        self.value = payload
        self.emit_properties_changed({"Value": payload})


# -- device models ---------------------------------------------------------------------------------


@dataclass
class CharSpec:
    uuid: str
    flags: list[str]
    read: ReadHandler | None = None
    write: WriteHandler | None = None
    mtu: int = 23


class DeviceModel:
    """Connection state and GATT table of one simulated sensor; subclasses add behaviour."""

    name = "device"
    address = "00:00:00:00:00:00"
    advertised_uuids: tuple[str, ...] = ()
    manufacturer_data: ClassVar[dict[int, bytes]] = {}
    base_rssi = -60
    streaming_chars: frozenset[str] = frozenset()

    def __init__(self, server: "FakeBlueZ") -> None:
        self.server = server
        self.scenario = server.scenario
        self.bus = server.bus
        self.path = dev_path(self.address)
        self.dbus = Device(self)
        self.connected = False
        self.services_resolved = False
        self.paired = False
        self.gone = False
        self.removed = False
        """Its object removed by the temporary timeout (``Scenario.temporary_timeout_s``)."""
        self.down_until = 0.0
        self.rssi = self.base_rssi
        self.connects = 0
        self.connects_cancelled = 0
        """``Connect()`` calls a ``Disconnect()`` cancelled while pending."""
        self.sent: list[tuple[str, bytes]] = []
        self.writes: list[tuple[str, bytes]] = []
        self.chars: dict[str, Characteristic] = {}
        self._gatt_paths: list[tuple[str, ServiceInterface]] = []
        self._pending_connect: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stream_count = 0
        self._body_start = 0.0
        self.rng = random.Random(f"{self.scenario.seed}-{self.address}")

    # GATT table -------------------------------------------------------------------------------

    def body_s(self) -> float:
        """Seconds on the wearer's clock, from the first time a signal was asked for.

        The breathing a sensor sends goes on while the link is down, as a body's does: a
        stream that started again from phase 0 at every reconnect made drops every 12 s leave
        no whole breath between them, which no detector could find. The Polar's accelerometer
        and ECG and the belt's force follow this clock sample by sample. The strap's RR
        intervals run on a beat clock of their own (one interval per notification, however
        often the tests send them, so a run at ``--hr-interval 0.05`` has many beats soon),
        which starts from this clock at each subscription: their RSA phase jumps at a
        reconnect.
        """
        now = asyncio.get_running_loop().time()
        if not self._body_start:
            self._body_start = now
        return now - self._body_start

    def gatt(self) -> list[tuple[str, list[CharSpec]]]:
        return []

    def _export_gatt(self) -> None:
        handle = 0x000B
        self.chars = {}
        for service_uuid, chars in self.gatt():
            handle += 1
            service_path = f"{self.path}/service{handle:04x}"
            service = GattService(service_uuid, self.path)
            self.bus.export(service_path, service)
            self._gatt_paths.append((service_path, service))
            for spec in chars:
                handle += 2
                char_path = f"{service_path}/char{handle:04x}"
                char = Characteristic(
                    self,
                    spec.uuid,
                    service_path,
                    spec.flags,
                    read=spec.read,
                    write=spec.write,
                    mtu=spec.mtu,
                )
                self.bus.export(char_path, char)
                self._gatt_paths.append((char_path, char))
                self.chars[spec.uuid] = char

    def _unexport_gatt(self) -> None:
        for path, _iface in reversed(self._gatt_paths):
            self.bus.unexport(path)
        self._gatt_paths = []
        self.chars = {}

    # connection life --------------------------------------------------------------------------

    def reachable(self) -> bool:
        return not self.gone and asyncio.get_running_loop().time() >= self.down_until

    async def connect(self) -> None:
        if self.gone:
            raise DBusError("org.freedesktop.DBus.Error.UnknownObject", "device removed")
        if not self.reachable():
            await asyncio.sleep(0.05)
            raise DBusError("org.bluez.Error.Failed", "Software caused connection abort")
        if self.scenario.busy:
            raise DBusError("org.bluez.Error.InProgress", "Operation already in progress")
        if self.connected:
            return
        if (
            self.scenario.slow_connects > 0
            and self.scenario.slow_connect_s > 0
            and self.server.elapsed_s() >= self.scenario.slow_connect_after_s
        ):
            self.scenario.slow_connects -= 1
            self._pending_connect = asyncio.create_task(asyncio.sleep(self.scenario.slow_connect_s))
            try:
                await self._pending_connect
            except asyncio.CancelledError:
                self.connects_cancelled += 1
                self.log("pending connect cancelled")
                raise DBusError("org.bluez.Error.Failed", "Operation was cancelled") from None
            finally:
                self._pending_connect = None
        self.connects += 1
        self.connected = True
        self.dbus.emit_properties_changed({"Connected": True})
        self._export_gatt()
        self.services_resolved = True
        self.dbus.emit_properties_changed({"ServicesResolved": True})
        self.on_connected()

    def disconnect(self, reason: str) -> None:
        if self._pending_connect is not None:
            self._pending_connect.cancel()
        if not self.connected:
            return
        self.stop_all()
        for char in self.chars.values():
            if char.notifying:
                char.notifying = False
                char.emit_properties_changed({"Notifying": False})
        self.services_resolved = False
        self.dbus.emit_properties_changed({"ServicesResolved": False})
        self._unexport_gatt()
        self.connected = False
        self.dbus.emit_properties_changed({"Connected": False})
        self.log(f"disconnected: {reason}")
        if self.scenario.temporary_timeout_s > 0 and not self.paired:
            self.server.spawn_timer(self._temporary_timeout())

    async def _temporary_timeout(self) -> None:
        """Remove the object once it has not been connected or seen for the timeout."""
        while True:
            await asyncio.sleep(self.scenario.temporary_timeout_s)
            if self.connected or self.gone or self.removed:
                return
            if not self.server.sees(self):  # seen by a discovery: BlueZ re-arms the timer
                break
        self.removed = True
        self.bus.unexport(self.path)
        self.log("temporary device removed (TemporaryTimeout)")

    def seen_again(self) -> None:
        """A discovery heard it advertising: BlueZ creates the removed object again."""
        self.removed = False
        self.bus.export(self.path, self.dbus)
        self.log("advertising seen again: device object created")

    def connecting(self) -> bool:
        """Whether a ``Connect()`` is pending (a slow connect not yet done or cancelled)."""
        return self._pending_connect is not None

    def drop_link(self, down_s: float) -> None:
        self.down_until = asyncio.get_running_loop().time() + down_s
        self.disconnect("link drop")

    def vanish(self) -> None:
        self.disconnect("gone for good")
        self.gone = True
        # BlueZ forgets the bond of a device whose object it removes: found again, it is a
        # new device to pair with.
        self.paired = False
        if not self.removed:
            self.bus.unexport(self.path)

    def come_back(self) -> None:
        """Advertise again after :meth:`vanish`, with no object until a discovery hears it."""
        if not self.gone:
            return
        self.gone = False
        self.removed = True
        self.log("advertising again")

    # streaming --------------------------------------------------------------------------------

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def stop_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self.on_stopped()

    def notify(self, uuid: str, payload: bytes) -> None:
        """Send one notification/indication if the link is up and the host subscribed."""
        char = self.chars.get(uuid)
        if not self.connected or char is None or not char.notifying:
            return
        if uuid in self.streaming_chars and self.scenario.malformed_every > 0:
            self._stream_count += 1
            if self._stream_count % self.scenario.malformed_every == 0:
                payload = self.malform(payload)
        char.send(payload)
        self.sent.append((uuid, payload))

    def malform(self, payload: bytes) -> bytes:
        kind = self.rng.randrange(3)
        if kind == 0:
            return payload[: self.rng.randrange(0, max(1, len(payload) // 3))]
        if kind == 1:
            return bytes(self.rng.randrange(256) for _ in range(len(payload)))
        return bytes([payload[0] ^ 0x5A]) + payload[1:4] if payload else b"\xff"

    def log(self, text: str) -> None:
        print(f"fakebluez {self.address}: {text}", file=sys.stderr, flush=True)

    # hooks ------------------------------------------------------------------------------------

    def on_connected(self) -> None:
        return None

    def on_stopped(self) -> None:
        return None

    def notify_changed(self, uuid: str, on: bool) -> None:
        return None


def _text(value: str) -> ReadHandler:
    data = value.encode()
    return lambda: data


class HeartRateMixin(DeviceModel):
    """0x2A37 notifications with a breathing-modulated heart rate and RR intervals."""

    battery_level = 0x57
    manufacturer = "Fake Straps Inc"
    model_name = "FS-1"
    firmware = "1.2.3"

    def standard_services(self) -> list[tuple[str, list[CharSpec]]]:
        """Heart rate, battery and Device Information, as every strap has them."""
        battery = bytes([self.battery_level])
        return [
            (HR_SERVICE, self.heart_rate_chars()),
            (BATTERY_SERVICE, [CharSpec(BATTERY_LEVEL, ["read", "notify"], read=lambda: battery)]),
            (
                DIS_SERVICE,
                [
                    CharSpec(DIS_MANUFACTURER, ["read"], read=_text(self.manufacturer)),
                    CharSpec(DIS_MODEL, ["read"], read=_text(self.model_name)),
                    CharSpec(DIS_FIRMWARE, ["read"], read=_text(self.firmware)),
                ],
            ),
        ]

    def heart_rate_chars(self) -> list[CharSpec]:
        return [
            CharSpec(HR_MEASUREMENT, ["notify"]),
            CharSpec(BODY_LOCATION, ["read"], read=lambda: b"\x01"),
            CharSpec(HR_CONTROL, ["write"], write=lambda _v: None),
        ]

    def notify_changed(self, uuid: str, on: bool) -> None:
        if uuid == HR_MEASUREMENT and on:
            self.spawn(self._heart_rate())

    async def _heart_rate(self) -> None:
        t_s = self.body_s()
        while True:
            await asyncio.sleep(self.scenario.hr_interval_s)
            rr_raw = []
            # About one beat per notification; RSA: ±60 ms at a 0.1 Hz breathing rate.
            rr_ms = 900.0 + 60.0 * math.sin(2 * math.pi * 0.1 * t_s) + self.rng.gauss(0, 5)
            t_s += rr_ms / 1000
            rr_raw.append(round(rr_ms * 1024 / 1000))
            self.notify(HR_MEASUREMENT, encode_heart_rate_measurement(round(60000 / rr_ms), rr_raw))


class StrapModel(HeartRateMixin):
    name = STRAP_NAME
    address = STRAP_ADDRESS
    advertised_uuids: tuple[str, ...] = (HR_SERVICE,)
    base_rssi = -70
    streaming_chars = frozenset({HR_MEASUREMENT})

    def gatt(self) -> list[tuple[str, list[CharSpec]]]:
        return self.standard_services()


ECG_SETTINGS = bytes.fromhex("000182000101 0e00".replace(" ", ""))
ACC_SETTINGS = bytes.fromhex("000419003200 6400c800 01011000 020302000400 0800".replace(" ", ""))
ECG_FRAME_SAMPLES = 73
"""(232 - 3 ATT - 10 header) // 3 bytes: ECG samples per frame at MTU 232 [polar#40]."""
ACC_FRAME_SAMPLES = 36
"""(232 - 3 - 10) // 6 bytes: 16-bit x, y, z samples per frame at MTU 232."""


class PolarMade:
    """What every Polar sensor advertises: heart rate, Polar's 0xFEEE and its company id."""

    advertised_uuids: tuple[str, ...] = (HR_SERVICE, sig(0xFEEE))
    manufacturer_data: ClassVar[dict[int, bytes]] = {0x006B: bytes.fromhex("3f0000ff")}
    manufacturer = "Polar Electro Oy"


class PolarModel(PolarMade, HeartRateMixin):
    """A Polar H10: HR plus the PMD service and its control-point behaviour."""

    name = POLAR_NAME
    address = POLAR_ADDRESS
    base_rssi = -55
    streaming_chars = frozenset({HR_MEASUREMENT, PMD_DATA_UUID})
    battery_level = 0x64
    model_name = "H10"
    firmware = "3.0.35"
    features = bytes.fromhex("0f0500") + bytes(14)
    """The PMD feature read: ECG (b0) and ACC (b2)."""
    settings: ClassVar[dict[int, bytes]] = {
        MeasurementType.ECG: ECG_SETTINGS,
        MeasurementType.ACC: ACC_SETTINGS,
    }
    acc_rates_hz: tuple[int, ...] = (25, 50, 100, 200)
    acc_ranges_g: tuple[int, ...] = (2, 4, 8)

    def __init__(self, server: "FakeBlueZ") -> None:
        super().__init__(server)
        self.streaming: dict[int, dict[SettingType, int]] = {}
        self.boot = 0.0
        self.stops_sent: dict[int, int] = {}
        self._dropped_on_start = False

    def gatt(self) -> list[tuple[str, list[CharSpec]]]:
        return [
            *self.standard_services(),
            (
                PMD_SERVICE_UUID,
                [
                    CharSpec(
                        PMD_CONTROL_POINT_UUID,
                        ["read", "write", "indicate"],
                        read=lambda: self.features,
                        write=self._on_command,
                        mtu=232,
                    ),
                    CharSpec(PMD_DATA_UUID, ["notify"], mtu=232),
                ],
            ),
        ]

    def on_connected(self) -> None:
        self._dropped_on_start = False
        if not self.boot:
            self.boot = asyncio.get_running_loop().time()

    def on_stopped(self) -> None:
        # Like the H10: a lost link stops every PMD stream.
        self.streaming = {}

    def sensor_ns(self) -> int:
        return PMD_EPOCH_2019_NS + round((asyncio.get_running_loop().time() - self.boot) * 1e9)

    def _indicate(self, payload: bytes) -> None:
        asyncio.get_running_loop().call_soon(self.notify, PMD_CONTROL_POINT_UUID, payload)

    def _reply(self, op: int, mtype: int, status: int, params: bytes = b"") -> None:
        if status != Status.SUCCESS:
            self._indicate(bytes([0xF0, op, mtype, status]))
            return
        if self.scenario.cp_split and len(params) > 4:
            # Exercise the `more` continuation: first part more=1, second part more=0.
            cut = len(params) // 2
            self._indicate(bytes([0xF0, op, mtype, 0, 1]) + params[:cut])
            self._indicate(bytes([0xF0, op, mtype, 0, 0]) + params[cut:])
            return
        self._indicate(bytes([0xF0, op, mtype, 0, 0]) + params)

    def _on_command(self, value: bytes) -> None:
        if len(value) < 2:
            self._reply(value[0] if value else 0, 0, Status.INVALID_LENGTH)
            return
        op, mtype = value[0], value[1] & 0x3F
        if op == OpCode.GET_SETTINGS:
            if mtype in self.settings:
                self._reply(op, mtype, Status.SUCCESS, self.settings[mtype])
            else:
                self._reply(op, mtype, Status.NOT_SUPPORTED)
        elif op == OpCode.START:
            if self.connects in self.scenario.drop_on_start and not self._dropped_on_start:
                self._dropped_on_start = True
                loop = asyncio.get_running_loop()
                loop.call_soon(self.drop_link, self.scenario.down_for_s)
                return
            self._start(op, mtype, value[2:])
        elif op == OpCode.STOP:
            self.streaming.pop(mtype, None)
            self._reply(op, mtype, Status.SUCCESS)
        else:
            self._reply(op, mtype, Status.INVALID_OP_CODE)

    def _start(self, op: int, mtype: int, tlv: bytes) -> None:
        forced = self.scenario.cp_error.get(mtype)
        if forced is not None:
            self._reply(op, mtype, forced)
            return
        if mtype not in self.settings:
            self._reply(op, mtype, Status.NOT_SUPPORTED)
            return
        data_char = self.chars.get(PMD_DATA_UUID)
        if data_char is None or not data_char.notifying:
            self._reply(op, mtype, Status.INVALID_STATE)
            return
        if mtype in self.streaming:
            self._reply(op, mtype, Status.ALREADY_IN_STATE)
            return
        try:
            settings = {
                k: int(v[0]) for k, v in parse_settings(tlv).items() if isinstance(v[0], int)
            }
        except ValueError:
            self._reply(op, mtype, Status.INVALID_PARAMETER)
            return
        rate = settings.get(SettingType.SAMPLE_RATE)
        if mtype == MeasurementType.ECG:
            if rate != 130:
                self._reply(op, mtype, Status.INVALID_SAMPLE_RATE)
                return
            if settings.get(SettingType.RESOLUTION, 14) != 14:
                self._reply(op, mtype, Status.INVALID_RESOLUTION)
                return
        else:
            if rate not in self.acc_rates_hz:
                self._reply(op, mtype, Status.INVALID_SAMPLE_RATE)
                return
            if settings.get(SettingType.RANGE) not in self.acc_ranges_g:
                self._reply(op, mtype, Status.INVALID_RANGE)
                return
        self.streaming[mtype] = settings
        # The H10's start reply carries one trailing byte that is not a TLV
        # (docs/reference/ble-protocols.md §2).
        tail = b"\x00" if mtype == MeasurementType.ECG else b"\x01"
        if mtype == MeasurementType.ACC and self.scenario.acc_factor is not None:
            tail = bytes([SettingType.FACTOR, 1]) + struct.pack("<f", self.scenario.acc_factor)
        self._reply(op, mtype, Status.SUCCESS, tail)
        self.spawn(self._stream(mtype, settings))
        notice = self.scenario.stop_notice.get(mtype)
        if notice is not None and (notice[1] == 0 or self.stops_sent.get(mtype, 0) < notice[1]):
            self.spawn(self._stop_on_own(mtype, settings, notice[0]))

    async def _stop_on_own(
        self, mtype: int, settings: dict[SettingType, int], after_s: float
    ) -> None:
        await asyncio.sleep(after_s)
        if self.streaming.get(mtype) is not settings:
            return  # stopped, or restarted, meanwhile
        del self.streaming[mtype]
        self.stops_sent[mtype] = self.stops_sent.get(mtype, 0) + 1
        self._indicate(bytes([0x01, mtype]))

    async def _stream(self, mtype: int, settings: dict[SettingType, int]) -> None:
        loop = asyncio.get_running_loop()
        nominal = settings[SettingType.SAMPLE_RATE]
        is_ecg = mtype == MeasurementType.ECG
        fs_true = nominal * (1 + (self.scenario.ecg_drift if is_ecg else self.scenario.acc_drift))
        per_frame = ECG_FRAME_SAMPLES if is_ecg else ACC_FRAME_SAMPLES
        t0 = loop.time()
        sensor_t0 = self.sensor_ns()
        body_t0_s = self.body_s()
        k = 0
        while mtype in self.streaming:
            k_next = k + per_frame
            await asyncio.sleep(max(0.0, t0 + k_next / fs_true - loop.time()))
            if mtype not in self.streaming:
                return
            timestamp = sensor_t0 + round((k_next - 1) * 1e9 / fs_true)
            header = bytes([mtype]) + struct.pack("<Q", timestamp)
            if is_ecg:
                body = b"".join(
                    self._ecg_uv(body_t0_s + i / fs_true).to_bytes(3, "little", signed=True)
                    for i in range(k, k_next)
                )
                frame = header + b"\x00" + body
            else:
                body = b"".join(
                    struct.pack("<hhh", *self._acc_mg(body_t0_s + i / fs_true))
                    for i in range(k, k_next)
                )
                frame = header + b"\x01" + body
            self.notify(PMD_DATA_UUID, frame)
            k = k_next

    @staticmethod
    def _ecg_uv(t_s: float) -> int:
        # A beat every 0.9 s: a narrow R wave on a slow baseline wander, within ±20 000 µV.
        phase = (t_s % 0.9) - 0.3
        r_wave = 1500.0 * math.exp(-((phase / 0.012) ** 2))
        return round(r_wave + 80.0 * math.sin(2 * math.pi * 0.25 * t_s))

    @staticmethod
    def _acc_mg(t_s: float) -> tuple[int, int, int]:
        breathing = math.sin(2 * math.pi * 0.2 * t_s)
        return (
            round(-187 + 3 * breathing),
            round(-28 + 2 * breathing),
            round(949 + 25 * breathing),
        )


class VerityModel(PolarModel):
    """A Polar Verity Sense: PMD with ACC at 52 Hz, ±8 g, and PPG, but no ECG [PMT]."""

    name = VERITY_NAME
    address = VERITY_ADDRESS
    base_rssi = -58
    model_name = "Polar Verity Sense"
    features = bytes.fromhex("0f0600") + bytes(14)
    """PPG (b1) and ACC (b2), no ECG."""
    settings: ClassVar[dict[int, bytes]] = {
        MeasurementType.ACC: bytes.fromhex(
            "0001 3400 0101 1000 0201 0800 0401 03".replace(" ", "")
        ),
    }
    acc_rates_hz = (52,)
    acc_ranges_g = (8,)


class H9Model(PolarMade, StrapModel):
    """A Polar H9 (or H7): a Polar name, but only the standard heart-rate service."""

    name = H9_NAME
    address = H9_ADDRESS
    base_rssi = -62
    battery_level = 0x50
    model_name = "H9"
    firmware = "1.0.8"


class BeltModel(DeviceModel):
    """A Go Direct respiration belt answering command packets."""

    name = BELT_NAME
    address = BELT_ADDRESS
    advertised_uuids = ()
    base_rssi = -65
    streaming_chars = frozenset({GODIRECT_RESPONSE_UUID})

    def __init__(self, server: "FakeBlueZ") -> None:
        super().__init__(server)
        self._inbox = bytearray()
        self.period_us = 100_000
        self.mask = 0
        self.measuring = False
        self._counter = 0

    def gatt(self) -> list[tuple[str, list[CharSpec]]]:
        return [
            (
                GODIRECT_SERVICE_UUID,
                [
                    CharSpec(
                        GODIRECT_COMMAND_UUID,
                        ["write", "write-without-response"],
                        write=self._on_write,
                    ),
                    CharSpec(GODIRECT_RESPONSE_UUID, ["notify"]),
                ],
            ),
        ]

    def on_stopped(self) -> None:
        self.measuring = False
        self._inbox.clear()

    def _on_write(self, chunk: bytes) -> None:
        self._inbox += chunk
        if len(self._inbox) < 2 or len(self._inbox) < self._inbox[1]:
            return
        packet = bytes(self._inbox[: self._inbox[1]])
        self._inbox.clear()
        if packet[0] != 0x58 or checksum(packet) != packet[3]:
            self.log(f"bad command packet {packet.hex(' ')}")
            return
        self._handle(packet[4], packet[2], packet[5:])

    def _reply(self, command: int, counter: int, payload: bytes) -> None:
        packet = bytearray([0x98, 6 + len(payload), 0x01, 0, command, counter]) + payload
        packet[3] = checksum(bytes(packet))
        loop = asyncio.get_running_loop()
        # Notifications of at most 20 bytes, as at the default MTU of 23.
        for i in range(0, len(packet), 20):
            loop.call_soon(self._send_reply, bytes(packet[i : i + 20]))

    def _send_reply(self, chunk: bytes) -> None:
        char = self.chars.get(GODIRECT_RESPONSE_UUID)
        if self.connected and char is not None and char.notifying:
            char.send(chunk)
            self.sent.append((GODIRECT_RESPONSE_UUID, chunk))

    def _sensor_info(self, channel: int) -> bytes:
        described = {
            1: ("Force", "N", 5000, 10000),
            2: ("Respiration Rate", "bpm", 1_000_000, 1_000_000),
            4: ("Steps", "steps", 1_000_000, 1_000_000),
            5: ("Step Rate", "steps/min", 1_000_000, 1_000_000),
        }
        description, units, min_us, typical_us = described.get(channel, ("", "", 0, 0))
        max_us = 10**9
        if channel == 1 and self.scenario.belt_force_periods_us is not None:
            min_us, max_us = self.scenario.belt_force_periods_us
        return encode_sensor_info(
            SensorInfo(
                channel=channel,
                sensor_id=5300 + channel if description else 0,
                numeric_type=0,
                sampling_mode=0,
                description=description,
                units=units,
                uncertainty=0.01,
                min_value=-50.0,
                max_value=50.0,
                min_period_us=min_us,
                max_period_us=max_us,
                typical_period_us=typical_us,
                period_granularity_us=1000,
                mutual_exclusion_mask=0,
            )
        )

    def _handle(self, command: int, counter: int, params: bytes) -> None:
        if command == Command.INIT:
            self.measuring = False
            self._reply(command, counter, b"\x00")
        elif command == Command.STATUS:
            self._reply(command, counter, bytes([0, 0, 1, 8, 0, 0, 2, 0, 0, 5, 87, 0]))
        elif command == Command.DEVICE_INFO:
            self._reply(
                command,
                counter,
                b"GDX-RB".ljust(16, b"\0")
                + b"0K2002Z5".ljust(16, b"\0")
                + BELT_NAME.encode().ljust(32, b"\0"),
            )
        elif command == Command.AVAILABLE_MASK:
            self._reply(command, counter, struct.pack("<I", 0x36))
        elif command == Command.DEFAULT_MASK:
            self._reply(command, counter, struct.pack("<I", 0x02))
        elif command == Command.SENSOR_INFO:
            self._reply(command, counter, self._sensor_info(params[0] if params else 0))
        elif command == Command.SET_PERIOD and len(params) >= 6:
            (self.period_us,) = struct.unpack_from("<I", params, 2)
            self._reply(command, counter, b"\x00")
        elif command == Command.START and len(params) >= 6:
            (self.mask,) = struct.unpack_from("<I", params, 2)
            self._reply(command, counter, b"\x00")
            if not self.measuring:
                self.measuring = True
                self.spawn(self._measure())
        elif command == Command.STOP:
            self.measuring = False
            self._reply(command, counter, b"\x00")
        else:
            self._reply(command, counter, b"\x01")

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        channels = [n for n in range(16) if self.mask & (1 << n)]
        t0 = loop.time()
        body_t0_s = self.body_s()
        k = 0
        while self.measuring:
            k += 1
            await asyncio.sleep(max(0.0, t0 + k * self.period_us / 1e6 - loop.time()))
            if not self.measuring:
                return
            t_s = body_t0_s + k * self.period_us / 1e6
            values = {
                1: 2.0 + 1.5 * math.sin(2 * math.pi * 0.2 * t_s),
                # The rate channel has nothing to say in the first second of a measurement.
                2: math.nan if k * self.period_us / 1e6 < 1.0 else 12.0,
            }
            row = [values.get(c, 0.0) for c in channels]
            self._counter = (self._counter + 1) & 0xFF
            self.notify(
                GODIRECT_RESPONSE_UUID, encode_godirect_measurement([row], channels, self._counter)
            )


class StrapTwinModel(StrapModel):
    """A second strap of the same model, hence the same advertised name, at another address
    and with a stronger signal: two of one generic strap in a household or a gym."""

    address = STRAP_TWIN_ADDRESS
    base_rssi = -50


MODELS: dict[str, type[DeviceModel]] = {
    "strap": StrapModel,
    "strap-twin": StrapTwinModel,
    "polar": PolarModel,
    "belt": BeltModel,
    "h9": H9Model,
    "verity": VerityModel,
}


# -- control interface -----------------------------------------------------------------------------


class Control(ServiceInterface):
    """Test hooks: drop links, make devices vanish, read back what was sent."""

    def __init__(self, server: "FakeBlueZ") -> None:
        super().__init__(CONTROL_INTERFACE)
        self._server = server

    def _model(self, address: str) -> DeviceModel:
        model = self._server.models.get(address.upper())
        if model is None:
            raise DBusError("org.bluez.Error.DoesNotExist", f"no device {address}")
        return model

    @dbus_method()
    def DropLink(self, address: DBusStr, down_s: DBusDouble) -> None:
        self._model(address).drop_link(down_s)

    @dbus_method()
    def Vanish(self, address: DBusStr) -> None:
        self._model(address).vanish()

    @dbus_method()
    def Sent(self, address: DBusStr) -> DBusNotifications:
        return [[uuid, payload] for uuid, payload in self._model(address).sent]

    @dbus_method()
    def Writes(self, address: DBusStr) -> DBusNotifications:
        return [[uuid, payload] for uuid, payload in self._model(address).writes]

    @dbus_method()
    def Connects(self, address: DBusStr) -> Annotated[int, DBusSignature("u")]:
        return self._model(address).connects

    @dbus_method()
    def IsConnected(self, address: DBusStr) -> DBusBool:
        return self._model(address).connected

    @dbus_method()
    def IsConnecting(self, address: DBusStr) -> DBusBool:
        return self._model(address).connecting()

    @dbus_method()
    def ConnectsCancelled(self, address: DBusStr) -> Annotated[int, DBusSignature("u")]:
        return self._model(address).connects_cancelled

    @dbus_method()
    def IsDiscovering(self) -> DBusBool:
        return self._server.adapter.discovering

    @dbus_method()
    def PowerOff(self) -> None:
        self._server.power_off()

    @dbus_method()
    def RemoveAdapter(self) -> None:
        self._server.remove_adapter()


# -- the server ------------------------------------------------------------------------------------


class FakeBlueZ:
    """Owns the bus objects and the scenario timers."""

    def __init__(self, bus: MessageBus, scenario: Scenario) -> None:
        self.bus = bus
        self.scenario = scenario
        self.adapter = Adapter(self)
        self.models: dict[str, DeviceModel] = {}
        for kind in scenario.devices:
            model = MODELS[kind](self)
            self.models[model.address] = model
        self._discovery: asyncio.Task[None] | None = None
        self._timers: list[asyncio.Task[None]] = []
        self._started_s: float | None = None
        self.adapter_gone = False

    def export(self) -> None:
        if not self.scenario.no_adapter:
            self.bus.export(ADAPTER_PATH, self.adapter)
            for model in self.models.values():
                self.bus.export(model.path, model.dbus)
        self.bus.export(CONTROL_PATH, Control(self))

    def elapsed_s(self) -> float:
        """Seconds since the timers started (the server said it was ready)."""
        if self._started_s is None:
            return 0.0
        return asyncio.get_running_loop().time() - self._started_s

    def check_powered(self) -> None:
        """Answer as BlueZ does a device call while the adapter is off."""
        if self.scenario.powered_off:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")

    def power_off(self) -> None:
        """Bluetooth switched off: ``Powered`` false, every link dropped, no advertising heard."""
        if self.scenario.powered_off:
            return
        self.scenario.powered_off = True
        self.adapter.emit_properties_changed({"Powered": False})
        for model in self.models.values():
            model.disconnect("adapter powered off")
        print("fakebluez: adapter powered off", file=sys.stderr, flush=True)

    def remove_adapter(self) -> None:
        """The adapter unplugged: every device object, then the adapter's, removed."""
        if self.adapter_gone:
            return
        self.adapter_gone = True
        for model in self.models.values():
            model.disconnect("adapter removed")
            model.gone = True
            if not model.removed:
                model.removed = True
                self.bus.unexport(model.path)
        self.discovery_changed(False)
        self.bus.unexport(ADAPTER_PATH)
        print("fakebluez: adapter removed", file=sys.stderr, flush=True)

    def discovery_changed(self, on: bool) -> None:
        if on and self._discovery is None:
            self._discovery = asyncio.create_task(self._advertise())
        elif not on and self._discovery is not None:
            self._discovery.cancel()
            self._discovery = None

    def sees(self, model: DeviceModel) -> bool:
        """Whether a running discovery hears ``model`` advertising."""
        return (
            self._discovery is not None
            and not self.scenario.powered_off
            and model.reachable()
            and not model.connected
        )

    def spawn_timer(self, coro: Any) -> None:
        """Run a device's timer (not a stream: a disconnect does not end it)."""
        self._timers.append(asyncio.create_task(coro))

    async def _advertise(self) -> None:
        # BlueZ reports a device already known only when a property changes: re-emit RSSI.
        rng = random.Random(self.scenario.seed)
        while True:
            for model in self.models.values():
                if model.removed and self.sees(model):
                    model.seen_again()
                elif self.sees(model):
                    model.rssi = model.base_rssi + rng.randint(-3, 3)
                    model.dbus.emit_properties_changed({"RSSI": model.rssi})
            await asyncio.sleep(0.05)

    def targets(self) -> list[DeviceModel]:
        only = self.scenario.only.upper()
        return [m for a, m in self.models.items() if not only or a == only]

    def start_timers(self) -> None:
        self._started_s = asyncio.get_running_loop().time()
        if self.scenario.power_off_after_s > 0:
            self._timers.append(
                asyncio.create_task(self._after(self.scenario.power_off_after_s, self.power_off))
            )
        if self.scenario.adapter_gone_after_s > 0:
            self._timers.append(
                asyncio.create_task(
                    self._after(self.scenario.adapter_gone_after_s, self.remove_adapter)
                )
            )
        if self.scenario.drop_every_s > 0:
            self._timers.append(asyncio.create_task(self._drop_every()))
        if self.scenario.gone_after_s > 0:
            self._timers.append(asyncio.create_task(self._gone_after()))
        if self.scenario.back_after_s > 0:
            self._timers.append(asyncio.create_task(self._back_after()))

    @staticmethod
    async def _after(delay_s: float, action: Callable[[], None]) -> None:
        await asyncio.sleep(delay_s)
        action()

    async def _drop_every(self) -> None:
        while True:
            await asyncio.sleep(self.scenario.drop_every_s)
            for model in self.targets():
                if model.connected:
                    model.drop_link(self.scenario.down_for_s)

    async def _gone_after(self) -> None:
        await asyncio.sleep(self.scenario.gone_after_s)
        for model in self.targets():
            model.vanish()

    async def _back_after(self) -> None:
        await asyncio.sleep(self.scenario.back_after_s)
        for model in self.targets():
            model.come_back()


def parse_args(argv: list[str] | None = None) -> tuple[str, Scenario]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--address", required=True, help="D-Bus address, e.g. unix:path=/tmp/s")
    parser.add_argument(
        "--devices",
        default="strap,polar,belt",
        help="comma-separated: strap, strap-twin, polar, belt, h9, verity",
    )
    parser.add_argument("--no-adapter", action="store_true", help="export no Adapter1")
    parser.add_argument("--powered-off", action="store_true", help="adapter Powered=false")
    parser.add_argument(
        "--deny-discovery", action="store_true", help="StartDiscovery fails with AccessDenied"
    )
    parser.add_argument(
        "--drop-every",
        type=float,
        default=0.0,
        metavar="S",
        help="drop every connected link every S seconds",
    )
    parser.add_argument(
        "--down-for",
        type=float,
        default=1.0,
        metavar="S",
        help="after a drop, refuse connections for S seconds",
    )
    parser.add_argument(
        "--gone-after",
        type=float,
        default=0.0,
        metavar="S",
        help="after S seconds, devices vanish for good",
    )
    parser.add_argument(
        "--back-after",
        type=float,
        default=0.0,
        metavar="S",
        help="after S seconds (from the start), devices that vanished advertise again",
    )
    parser.add_argument(
        "--malformed-every",
        type=int,
        default=0,
        metavar="N",
        help="every Nth stream notification is malformed",
    )
    parser.add_argument(
        "--cp-error",
        action="append",
        default=[],
        metavar="TYPE:STATUS",
        help="answer START of PMD type (ecg|acc|number) with STATUS",
    )
    parser.add_argument(
        "--cp-split",
        action="store_true",
        help="split long PMD responses over two indications (more=1)",
    )
    parser.add_argument(
        "--stop-notice",
        action="append",
        default=[],
        metavar="TYPE:S[:N]",
        help="stop PMD type (ecg|acc|number) S seconds after its START and send the stop "
        "notice, the first N times (0: every time; default 1)",
    )
    parser.add_argument(
        "--slow-connect",
        type=float,
        default=0.0,
        metavar="S",
        help="the first --slow-connects Connect() calls take S seconds",
    )
    parser.add_argument("--slow-connects", type=int, default=1, metavar="N")
    parser.add_argument(
        "--slow-connect-after",
        type=float,
        default=0.0,
        metavar="S",
        help="only Connect() calls made S seconds after the start are slow (--slow-connect)",
    )
    parser.add_argument(
        "--power-off-after",
        type=float,
        default=0.0,
        metavar="S",
        help="after S seconds, the adapter is powered off (every link drops; NotReady)",
    )
    parser.add_argument(
        "--adapter-gone-after",
        type=float,
        default=0.0,
        metavar="S",
        help="after S seconds, the adapter and every device object are removed (unplugged)",
    )
    parser.add_argument(
        "--pair-error-after",
        type=float,
        default=0.0,
        metavar="S",
        help="--pair-error applies only to Pair() calls made S seconds after the start",
    )
    parser.add_argument("--busy", action="store_true", help="Connect() fails with InProgress")
    parser.add_argument(
        "--drop-on-start",
        default="",
        metavar="N[,N]",
        help="on these connections (1 = first) a Polar drops the link on its first START, "
        "unanswered, for --down-for seconds",
    )
    parser.add_argument(
        "--require-pairing",
        action="store_true",
        help="writes fail until paired, as --pairing-error says",
    )
    parser.add_argument(
        "--pair-error",
        default="",
        choices=(
            "",
            "AuthenticationFailed",
            "AuthenticationRejected",
            "AuthenticationCanceled",
            "AuthenticationTimeout",
        ),
        help="Device1.Pair() fails with org.bluez.Error.<this>, as BlueZ answers a failed pairing",
    )
    parser.add_argument(
        "--temporary-timeout",
        type=float,
        default=0.0,
        metavar="S",
        help="remove an unpaired device's object S s after it was last connected or seen, and "
        "create it again when a discovery sees it (BlueZ's TemporaryTimeout)",
    )
    parser.add_argument(
        "--pairing-error",
        choices=("bluez", "att"),
        default="bluez",
        help="bluez: NotPermitted 'Not paired', as BlueZ answers; att: 'ATT error: 0x05'",
    )
    parser.add_argument(
        "--belt-force-periods",
        default="",
        metavar="MIN:MAX",
        help="the belt's SENSOR_INFO states force periods MIN-MAX µs (default 5000:1000000000)",
    )
    parser.add_argument(
        "--acc-factor",
        type=float,
        default=None,
        metavar="F",
        help="a Polar's ACC start reply carries FACTOR F (float32; 'nan' is allowed)",
    )
    parser.add_argument(
        "--refuse-read",
        action="append",
        default=[],
        metavar="UUID16[:HOW]",
        help="reads of this characteristic (e.g. 2a19, 2a26) are refused while the link stays "
        "up; HOW: denied (Read not permitted, the default) or unpaired (Not paired)",
    )
    parser.add_argument(
        "--hr-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between heart-rate notifications",
    )
    parser.add_argument(
        "--only", default="", metavar="ADDRESS", help="timed scenarios affect only this device"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--unnamed", action="store_true", help="devices advertise no name")
    args = parser.parse_args(argv)
    cp_error: dict[int, int] = {}
    for item in args.cp_error:
        kind, _, status = item.partition(":")
        mtype = {"ecg": 0, "acc": 2}.get(kind.lower())
        cp_error[mtype if mtype is not None else int(kind)] = int(status)
    stop_notice: dict[int, tuple[float, int]] = {}
    for item in args.stop_notice:
        kind, after, *times = item.split(":")
        mtype = {"ecg": 0, "acc": 2}.get(kind.lower())
        stop_notice[mtype if mtype is not None else int(kind)] = (
            float(after),
            int(times[0]) if times else 1,
        )
    refuse_read: dict[str, str] = {}
    for item in args.refuse_read:
        short, _, how = item.partition(":")
        if (how or "denied") not in READ_REFUSALS:
            parser.error(f"--refuse-read {item}: HOW must be one of {', '.join(READ_REFUSALS)}")
        refuse_read[sig(int(short, 16))] = how or "denied"
    belt_force_periods_us: tuple[int, int] | None = None
    if args.belt_force_periods:
        low, _, high = args.belt_force_periods.partition(":")
        belt_force_periods_us = (int(low), int(high))
    scenario = Scenario(
        devices=tuple(d.strip() for d in args.devices.split(",") if d.strip()),
        no_adapter=args.no_adapter,
        powered_off=args.powered_off,
        deny_discovery=args.deny_discovery,
        drop_every_s=args.drop_every,
        down_for_s=args.down_for,
        gone_after_s=args.gone_after,
        back_after_s=args.back_after,
        malformed_every=args.malformed_every,
        cp_error=cp_error,
        cp_split=args.cp_split,
        stop_notice=stop_notice,
        slow_connect_s=args.slow_connect,
        slow_connects=args.slow_connects if args.slow_connect > 0 else 0,
        slow_connect_after_s=args.slow_connect_after,
        power_off_after_s=args.power_off_after,
        adapter_gone_after_s=args.adapter_gone_after,
        pair_error_after_s=args.pair_error_after,
        busy=args.busy,
        drop_on_start=frozenset(int(n) for n in args.drop_on_start.split(",") if n.strip()),
        require_pairing=args.require_pairing,
        pairing_error=args.pairing_error,
        pair_error=args.pair_error,
        temporary_timeout_s=args.temporary_timeout,
        acc_factor=args.acc_factor,
        belt_force_periods_us=belt_force_periods_us,
        refuse_read=refuse_read,
        hr_interval_s=args.hr_interval,
        seed=args.seed,
        only=args.only,
        unnamed=args.unnamed,
    )
    return args.address, scenario


async def serve(address: str, scenario: Scenario) -> None:
    """Run the fake until SIGTERM / SIGINT."""
    bus = await MessageBus(bus_address=address, bus_type=BusType.SYSTEM).connect()
    server = FakeBlueZ(bus, scenario)
    # Export first, then take the name, so bleak never sees a half-built object tree.
    server.export()
    await bus.request_name("org.bluez")
    server.start_timers()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(READY_LINE, flush=True)
    stopped = asyncio.ensure_future(stop.wait())
    # The private bus going away (its daemon stopped) also ends the fake.
    bus_gone = asyncio.ensure_future(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
    await asyncio.wait({stopped, bus_gone}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not bus_gone.done():
        bus.disconnect()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await bus_gone


def main(argv: list[str] | None = None) -> None:
    address, scenario = parse_args(argv)
    asyncio.run(serve(address, scenario))


if __name__ == "__main__":
    main()
