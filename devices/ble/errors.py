"""Bluetooth errors a user can act on, and the mapping from bleak / D-Bus / OS errors to them.

Every class derives from :class:`devices.errors.BreathwiseDeviceError` and carries one line of
advice, so the CLI prints ``message — advice`` (:func:`devices.errors.with_advice`) and
never a traceback.
"""

from __future__ import annotations

from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from devices.errors import BreathwiseDeviceError


class BleError(BreathwiseDeviceError):
    """Base of every Bluetooth error."""


class BluetoothUnavailableError(BleError):
    """Bluetooth cannot be used at all on this machine right now."""


class NoAdapterError(BluetoothUnavailableError):
    """No Bluetooth adapter, or no Bluetooth service (BlueZ) to talk to."""


class BluetoothOffError(BluetoothUnavailableError):
    """The adapter exists but is powered off."""


class PermissionDeniedError(BluetoothUnavailableError):
    """The system refused this program access to Bluetooth."""


class DeviceNotFoundError(BleError):
    """No device matched the given address or name."""


class StillConnectedError(DeviceNotFoundError):
    """Not found advertising because this computer's Bluetooth service still holds its link.

    BlueZ keeps the LE link of a program that ended without disconnecting (``kill -9``, a
    crash): bleak's ``backends/bluezdbus/client.py`` says "The BlueZ backend does not
    disconnect devices when the application closes or crashes" (bluez/bluez#89,
    hbldh/bleak#315). A connected sensor stops advertising, so no scan can find it.
    """


class DeviceBusyError(BleError):
    """The device is connected elsewhere or another connection attempt is in progress."""


class ConnectFailedError(BleError):
    """Connecting failed after every retry."""


class DeviceGoneError(BleError):
    """The link dropped and the device did not come back within the give-up time."""


class UnsupportedDeviceError(BleError):
    """The device lacks a service this sensor class needs (wrong kind of device)."""


class SensorCommandError(BleError):
    """The sensor refused a command or did not answer it."""


class PairingFailedError(BleError):
    """Pairing (bonding) with the device failed: a stale bond, or a refused or timed-out
    agent; retrying the same pairing cannot help."""


_BLUEZ_ADVICE = "start the Bluetooth service (e.g. 'sudo systemctl start bluetooth')"
_OFF_ADVICE = "turn Bluetooth on (e.g. 'bluetoothctl power on')"
_PERMISSION_ADVICE = (
    "allow this program to use Bluetooth (on Linux: run as a user in the 'bluetooth' group)"
)
_BUSY_ADVICE = (
    "close other apps connected to it (phone apps, watches), wait a few seconds and retry"
)

PAIR_ADVICE = "pair with it: run 'breathwise live' again with --pair"
_NEEDS_PAIRING = {
    BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION,
    BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION,
}
"""ATT errors 0x05 and 0x0F (Bluetooth Core 5.3, Vol 3 Part F, 3.4.1.1): the link must be
bonded (paired) and encrypted first; retrying over the same unpaired link cannot help."""

_PERMISSION_DBUS_ERRORS = {
    "org.freedesktop.DBus.Error.AccessDenied",
    "org.bluez.Error.NotAuthorized",
    "org.bluez.Error.NotPermitted",
    "org.freedesktop.DBus.Error.AuthFailed",
}
_NO_SERVICE_DBUS_ERRORS = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
}
_BUSY_DBUS_ERRORS = {"org.bluez.Error.InProgress", "org.bluez.Error.AlreadyConnected"}
_PAIRING_DBUS_ERRORS = {
    "org.bluez.Error.AuthenticationFailed",
    "org.bluez.Error.AuthenticationRejected",
    "org.bluez.Error.AuthenticationCanceled",
    "org.bluez.Error.AuthenticationTimeout",
}
"""What BlueZ's ``Device1.Pair()`` answers for a failed pairing (``src/device.c``
``new_authentication_return``: the kernel's MGMT status as a D-Bus error), e.g. for a bond the
sensor forgot (its keys were cleared, or it was bonded elsewhere)."""

NOT_FOUND_ADVICE = (
    "wake the sensor (wet the strap and put it on, or press the belt's button), make sure no"
    " other app is connected to it, and run 'breathwise scan'"
)


def pairing_advice(address: str) -> str:
    """What fixes a failed pairing: forget the old bond on both sides, then pair afresh."""
    return (
        f"remove the old pairing ('bluetoothctl remove {address}', or forget the sensor in the"
        " system's Bluetooth settings), switch the sensor off and on, then run again with --pair"
    )


def device_object_gone(exc: BaseException) -> bool:
    """Whether ``exc`` says BlueZ no longer has the device's object, so connecting by the
    :class:`~bleak.backends.device.BLEDevice` of an earlier scan cannot work until a new scan.

    BlueZ removes a temporary (unpaired) device some time after it was last seen (main.conf
    ``TemporaryTimeout``, 30 s by default) and creates it again only when a discovery sees it
    advertising. bleak then says so in three ways: :class:`~bleak.exc.BleakDeviceNotFoundError`
    (Connect() answered UnknownObject, or a scan by address found nothing), the D-Bus error
    itself, or a plain :class:`~bleak.exc.BleakError` ``"device 'dev_…' not found"`` from its
    object cache (``backends/bluezdbus/manager.py`` ``_check_device``) before any call is made
    (without this, a strap gone for 40 s never came back).
    """
    if isinstance(exc, BleakDeviceNotFoundError):
        return True
    if isinstance(exc, BleakDBusError):
        return exc.dbus_error == "org.freedesktop.DBus.Error.UnknownObject"
    if type(exc) is BleakError and exc.args:
        text = str(exc.args[0])
        return text.startswith("device '") and text.endswith("' not found")
    return False


def out_of_range(device: str) -> DeviceNotFoundError:
    """The error for ``device`` (its name, or its address) that no longer advertises."""
    return DeviceNotFoundError(
        f"{device} is no longer in range (it stopped advertising)", NOT_FOUND_ADVICE
    )


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection or operation holds the device."""
    return isinstance(exc, BleakDBusError) and exc.dbus_error in _BUSY_DBUS_ERRORS


def needs_pairing(exc: BaseException) -> bool:
    """Whether ``exc`` is a GATT refusal that pairing (bonding) would lift.

    BlueZ does not pass the ATT codes for these on: ``src/gatt-client.c``
    (``create_gatt_dbus_error``) answers insufficient authentication or encryption with
    ``org.bluez.Error.NotPermitted`` "Not paired", which bleak raises as a plain
    :class:`~bleak.exc.BleakDBusError` (without this, it read as Bluetooth access denied).
    Other back ends raise :class:`~bleak.exc.BleakGATTProtocolError` with the ATT code.
    """
    if isinstance(exc, BleakDBusError):
        details = (exc.dbus_error_details or "").lower()
        return exc.dbus_error == "org.bluez.Error.NotPermitted" and "not paired" in details
    if not isinstance(exc, BleakGATTProtocolError):
        return False
    try:
        return exc.code in _NEEDS_PAIRING
    except ValueError:  # a code bleak has no name for
        return False


def is_fatal(exc: BaseException) -> bool:
    """Whether retrying cannot help: Bluetooth is missing, off or forbidden, the device
    refuses us until paired, or pairing with it failed."""
    mapped = map_bleak_error(exc)
    return isinstance(mapped, BluetoothUnavailableError | PairingFailedError) or needs_pairing(exc)


_BUG_TYPES: tuple[type[BaseException], ...] = (
    TypeError,
    AttributeError,
    NameError,
    AssertionError,
    LookupError,
    ArithmeticError,
    NotImplementedError,
)
"""Exceptions that say a program is wrong (a call with the wrong arguments, a missing
attribute, a failed ``assert``, a missing key), whatever the state of the radio."""


def is_bug(exc: BaseException) -> bool:
    """Whether ``exc`` is a programming error, not a failure of the radio, BlueZ or the sensor.

    Such an error is raised again at once by the connect and reconnect loops: retrying cannot
    help, and the advice of a :class:`BleError` ("move closer to the sensor", "check the
    sensor's battery") would send the person to a sensor that is fine, after up to the whole
    give-up time (120 s) of retries, with the bug itself only in a log. The
    command's handler for unexpected errors then says it is a bug and keeps its traceback.

    Errors of bleak (:class:`~bleak.exc.BleakError`) and of the OS (:class:`OSError`, which
    includes a dropped connection) are never bugs here, whatever else they derive from; nor is
    a :class:`ValueError` or :class:`RuntimeError` (dbus-fast's authentication and internal
    errors derive from these), which are retried and mapped as before.
    """
    return isinstance(exc, _BUG_TYPES) and not isinstance(exc, BleakError | OSError)


def gatt_error_words(exc: BleakGATTProtocolError | BleakDBusError) -> str:
    """A GATT error in words, e.g. ``insufficient authentication (ATT error 0x05)``: bleak's own
    ``str`` is the repr of its argument tuple. BlueZ's D-Bus refusal gives its own words
    (``not paired (org.bluez.Error.NotPermitted)``)."""
    if isinstance(exc, BleakDBusError):
        details = (exc.dbus_error_details or "").strip().lower() or "refused"
        return f"{details} ({exc.dbus_error})"
    number = exc.args[0] if exc.args and isinstance(exc.args[0], int) else -1
    try:
        name = BleakGATTProtocolErrorCode(number).name.replace("_", " ").lower()
    except ValueError:
        name = "unknown error"
    return f"{name} (ATT error 0x{number:02X})" if number >= 0 else name


def refused(
    exc: BleakGATTProtocolError | BleakDBusError, name: str, what: str, advice: str
) -> SensorCommandError:
    """The error for the sensor ``name`` refusing ``what`` (a write) with ``exc``.

    A refusal that pairing would lift gets the ``--pair`` advice, any other ``advice``.
    """
    if needs_pairing(exc):
        return SensorCommandError(
            f"{name} refused {what}: {gatt_error_words(exc)}, so it must be paired first",
            PAIR_ADVICE,
        )
    return SensorCommandError(f"{name} rejected {what}: {gatt_error_words(exc)}", advice)


def error_for_unavailable_reason(reason: str) -> BluetoothUnavailableError:
    """The error for a ``BleakBluetoothNotAvailableReason`` member name (``"POWERED_OFF"``...)."""
    if reason == "POWERED_OFF":
        return BluetoothOffError("Bluetooth is turned off", _OFF_ADVICE)
    if reason.startswith("DENIED_BY_"):
        return PermissionDeniedError("access to Bluetooth was denied", _PERMISSION_ADVICE)
    if reason == "NO_BLE_CENTRAL_ROLE":
        return NoAdapterError(
            "the Bluetooth adapter cannot act as a Low Energy central",
            "use a Bluetooth 4.0+ (LE) adapter",
        )
    return NoAdapterError("no Bluetooth adapter found", "plug in or enable a Bluetooth adapter")


def error_for_dbus_error(
    name: str, text: str = "", *, device: str = "", device_name: str = ""
) -> BleError:
    """The error for a D-Bus error reply from BlueZ or the bus.

    Parameters
    ----------
    name : str
        D-Bus error name, e.g. ``org.bluez.Error.InProgress``.
    text : str
        Its message, kept in ours.
    device : str
        Address (or else name) of the device concerned, or empty.
    device_name : str
        Its name, for messages that name it in words; ``device`` when empty.
    """
    about = f" ({device})" if device else ""
    detail = f": {name} {text}".rstrip()
    if name in _PERMISSION_DBUS_ERRORS:
        return PermissionDeniedError(
            f"access to Bluetooth was denied{about}{detail}", _PERMISSION_ADVICE
        )
    if name in _NO_SERVICE_DBUS_ERRORS:
        return NoAdapterError("the Bluetooth service (BlueZ) is not running", _BLUEZ_ADVICE)
    if name == "org.bluez.Error.NotReady":
        return BluetoothOffError("the Bluetooth adapter is not ready", _OFF_ADVICE)
    if name in _BUSY_DBUS_ERRORS:
        return DeviceBusyError(f"the device is busy{about}", _BUSY_ADVICE)
    if name == "org.freedesktop.DBus.Error.UnknownObject":
        return out_of_range(device_name or device or "the device")
    if name in _PAIRING_DBUS_ERRORS:
        return PairingFailedError(
            f"pairing with {device_name or device or 'the device'} failed:"
            f" {(text or 'refused').strip().lower()} ({name})",
            pairing_advice(device or "ADDRESS"),
        )
    return ConnectFailedError(
        f"Bluetooth error{about}{detail}", "move closer to the sensor and retry"
    )


def map_bleak_error(exc: BaseException, *, device: str = "", device_name: str = "") -> BleError:
    """Translate an exception from bleak, dbus-fast or the OS into a :class:`BleError`.

    Parameters
    ----------
    exc : BaseException
        What bleak (or the D-Bus / socket layer under it) raised.
    device : str
        Address (or else name) of the device concerned, for the message; empty for scans.
    device_name : str
        Its name, where a message names the device in words ("NAME is no longer in range").

    Returns
    -------
    BleError
        The matching subclass with advice; :class:`ConnectFailedError` when nothing more
        specific applies. An input that already is a :class:`BleError` is returned as is.
    """
    if isinstance(exc, BleError):
        return exc
    about = f" ({device})" if device else ""
    if isinstance(exc, BleakBluetoothNotAvailableError):
        return error_for_unavailable_reason(exc.reason.name)
    if isinstance(exc, BleakDBusError):
        if needs_pairing(exc):
            return refused(exc, device or "the device", "a request", PAIR_ADVICE)
        return error_for_dbus_error(
            exc.dbus_error, exc.dbus_error_details or "", device=device, device_name=device_name
        )
    if isinstance(exc, BleakGATTProtocolError):
        advice = "switch the sensor off and on, then try again"
        return refused(exc, device or "the device", "a request", advice)
    if device_object_gone(exc):
        return out_of_range(device_name or device or "the device")
    if isinstance(exc, PermissionError):
        return PermissionDeniedError(
            f"no permission to reach the Bluetooth service: {exc}", _PERMISSION_ADVICE
        )
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        # bleak reaches BlueZ over the D-Bus system bus socket; without it there is no BlueZ.
        return NoAdapterError(
            "cannot reach the Bluetooth service (no D-Bus system bus)", _BLUEZ_ADVICE
        )
    if isinstance(exc, TimeoutError):
        return ConnectFailedError(
            f"the device did not answer in time{about}",
            "keep the sensor near and awake, then retry",
        )
    if isinstance(exc, ConnectionError) and str(exc):
        # Ours (a link dropped as the streams started) or the OS's: its words, not its repr.
        return ConnectFailedError(str(exc), "keep the sensor near and awake, then retry")
    return ConnectFailedError(
        f"Bluetooth connection failed{about}: {exc!r}", "move closer to the sensor and retry"
    )
