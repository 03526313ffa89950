"""The retry policy (a pure function) and the mapping of Bluetooth errors to user errors.

The bleak exception types themselves are mapped in the fake-BlueZ tests (test_scan.py,
test_sensors.py), where real bleak raises them; here the pure name-based rules are checked.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest
import typer.main
from bleak.exc import BleakDBusError, BleakError, BleakGATTProtocolError

from devices.ble.backoff import (
    RetryPolicy,
    backoff_delay_s,
    look_again_delay_s,
    next_connect_delay_s,
    next_reconnect_delay_s,
)
from devices.ble.errors import (
    BluetoothOffError,
    ConnectFailedError,
    DeviceBusyError,
    DeviceNotFoundError,
    NoAdapterError,
    PairingFailedError,
    PermissionDeniedError,
    SensorCommandError,
    device_object_gone,
    error_for_dbus_error,
    error_for_unavailable_reason,
    is_busy,
    is_fatal,
    map_bleak_error,
)
from devices.errors import BreathwiseDeviceError
from trainer.cli.app import app
from trainer.errors import UserError

DEVICES = Path(__file__).resolve().parents[2] / "devices"

POLICY = RetryPolicy(initial_delay_s=0.25, factor=2.0, max_delay_s=2.0, jitter=0.2)


def test_delays_grow_geometrically_up_to_the_cap() -> None:
    delays = [backoff_delay_s(POLICY, n) for n in range(1, 8)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert backoff_delay_s(POLICY, 10_000) == 2.0  # no overflow


@pytest.mark.parametrize(
    ("policy", "attempt", "expected_s"),
    [
        # Before: OverflowError, factor**64 being beyond a float for a factor above ~6.6e4.
        (RetryPolicy(factor=1e6), 60, 2.0),
        (RetryPolicy(factor=1e300, jitter=0.0), 10**400, 2.0),
        # Before: 0.47 s for ever, the exponent held at 64 while 1.01^k had not reached the cap.
        (RetryPolicy(factor=1.01, jitter=0.0), 1000, 2.0),
        (RetryPolicy(factor=1.01, jitter=0.0), 50, 0.25 * 1.01**49),
        # factor^k alone beyond a float while the product is not: 1e-300 s · 10^308.
        (RetryPolicy(initial_delay_s=1e-300, max_delay_s=1e10, factor=10.0), 309, 1e8),
        (RetryPolicy(initial_delay_s=1e-300, max_delay_s=1e10, factor=10.0), 400, 1e10),
        (RetryPolicy(initial_delay_s=0.0, factor=1e6), 10**30, 0.0),
    ],
    ids=[
        "factor-1e6",
        "factor-1e300",
        "slow-capped",
        "slow-growing",
        "tiny-start",
        "tiny-cap",
        "zero",
    ],
)
def test_every_accepted_policy_gives_the_capped_formula(
    policy: RetryPolicy, attempt: int, expected_s: float
) -> None:
    assert backoff_delay_s(policy, attempt) == pytest.approx(expected_s, rel=1e-12)


def test_jitter_stays_in_its_band() -> None:
    assert backoff_delay_s(POLICY, 2, u=0.0) == pytest.approx(0.4)
    assert backoff_delay_s(POLICY, 2, u=0.999999) == pytest.approx(0.6, rel=1e-5)
    with pytest.raises(ValueError, match="attempt must be >= 1"):
        backoff_delay_s(POLICY, 0)


def test_first_connect_gives_up_after_its_attempts() -> None:
    policy = RetryPolicy(connect_attempts=3, busy_attempts=2)
    assert next_connect_delay_s(policy, 1) is not None
    assert next_connect_delay_s(policy, 2) is not None
    assert next_connect_delay_s(policy, 3) is None
    assert next_connect_delay_s(policy, 2, busy=True) is None


def test_reconnect_gives_up_at_the_give_up_time() -> None:
    policy = RetryPolicy(give_up_after_s=10.0, max_delay_s=2.0)
    assert next_reconnect_delay_s(policy, 50, 3.0) == 2.0
    assert next_reconnect_delay_s(policy, 50, 9.5) == pytest.approx(0.5)  # last try on time
    assert next_reconnect_delay_s(policy, 1, 10.0) is None


def test_a_returning_sensor_is_retried_within_five_seconds() -> None:
    # Issue 3: the stream must be back within 5 s of the device returning; the longest wait
    # between two attempts, jitter included, must leave room for the connection itself.
    default = RetryPolicy()
    worst = max(backoff_delay_s(default, n, u=0.999999) for n in range(1, 50))
    assert worst <= 2.5


def test_a_sensor_given_up_is_looked_for_at_a_steady_bounded_pace() -> None:
    """Once given up (a session that carries on keeps looking): the same pause every time,
    jittered ±20 % so two given-up sensors do not take the adapter in lock-step, never
    growing (a sensor may come back an hour in), and never shorter than 12 s by default."""
    default = RetryPolicy()
    assert default.look_again_s == 15.0
    assert look_again_delay_s(default) == 15.0
    assert look_again_delay_s(default, u=0.0) == pytest.approx(12.0)
    assert look_again_delay_s(default, u=0.999999) == pytest.approx(18.0, rel=1e-5)
    quick = RetryPolicy(look_again_s=2.0, jitter=0.0)
    assert look_again_delay_s(quick, u=0.9) == 2.0


def test_policy_validation() -> None:
    ordering = "need 0 <= initial_delay_s <= max_delay_s"
    for bad, reason in (
        ({"initial_delay_s": -1}, ordering),
        ({"initial_delay_s": 3, "max_delay_s": 2}, ordering),
        ({"factor": 0.5}, "factor must be >= 1"),
        ({"jitter": 1.0}, r"jitter must be in \[0, 1\)"),
        ({"connect_attempts": 0}, "attempt counts must be >= 1"),
        ({"give_up_after_s": -1}, "give_up_after_s must be >= 0"),
        # NaN slipped through every comparison; inf is no delay at all.
        ({"factor": math.nan}, "factor must be a finite number, got nan"),
        ({"factor": math.inf}, "factor must be a finite number, got inf"),
        ({"max_delay_s": math.inf}, "max_delay_s must be a finite number, got inf"),
        ({"max_delay_s": math.nan}, "max_delay_s must be a finite number, got nan"),
        ({"initial_delay_s": math.nan}, "initial_delay_s must be a finite number, got nan"),
        ({"jitter": math.nan}, "jitter must be a finite number, got nan"),
        ({"give_up_after_s": math.nan}, "give_up_after_s must be a finite number, got nan"),
        ({"look_again_s": 0.0}, "look_again_s must be > 0"),
        ({"look_again_s": math.inf}, "look_again_s must be a finite number, got inf"),
    ):
        with pytest.raises(ValueError, match=reason):
            RetryPolicy(**bad)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("NO_BLUETOOTH", NoAdapterError),
        ("NO_BLE_CENTRAL_ROLE", NoAdapterError),
        ("POWERED_OFF", BluetoothOffError),
        ("DENIED_BY_USER", PermissionDeniedError),
        ("DENIED_BY_SYSTEM", PermissionDeniedError),
        ("DENIED_BY_UNKNOWN", PermissionDeniedError),
        ("UNKNOWN", NoAdapterError),
    ],
)
def test_bluetooth_not_available_reasons(
    reason: str, expected: type[BreathwiseDeviceError]
) -> None:
    mapped = error_for_unavailable_reason(reason)
    assert type(mapped) is expected
    assert mapped.advice


@pytest.mark.parametrize(
    ("dbus_error", "expected"),
    [
        ("org.freedesktop.DBus.Error.AccessDenied", PermissionDeniedError),
        ("org.bluez.Error.NotAuthorized", PermissionDeniedError),
        ("org.freedesktop.DBus.Error.ServiceUnknown", NoAdapterError),
        ("org.bluez.Error.NotReady", BluetoothOffError),
        ("org.bluez.Error.InProgress", DeviceBusyError),
        ("org.bluez.Error.AlreadyConnected", DeviceBusyError),
        ("org.freedesktop.DBus.Error.UnknownObject", DeviceNotFoundError),
        ("org.bluez.Error.Failed", ConnectFailedError),
    ],
)
def test_dbus_errors(dbus_error: str, expected: type[BreathwiseDeviceError]) -> None:
    mapped = error_for_dbus_error(
        dbus_error, "Software caused connection abort", device="AA:BB:CC:DD:EE:FF"
    )
    assert type(mapped) is expected
    assert mapped.user_message() and mapped.advice


def test_os_and_other_errors() -> None:
    # bleak reaches BlueZ through a D-Bus socket: OS errors on it mean "no Bluetooth service".
    assert type(map_bleak_error(FileNotFoundError(2, "no socket"))) is NoAdapterError
    assert type(map_bleak_error(ConnectionRefusedError(111, "refused"))) is NoAdapterError
    assert type(map_bleak_error(PermissionError(13, "denied"))) is PermissionDeniedError
    assert type(map_bleak_error(TimeoutError())) is ConnectFailedError
    assert type(map_bleak_error(RuntimeError("odd"))) is ConnectFailedError
    already = DeviceBusyError("busy", "wait")
    assert map_bleak_error(already) is already
    # A link dropped as the streams started is said in its words, not as a repr, in the
    # headless retry note and the final error (review 7, finding 4).
    from devices.ble.sensors import LinkDroppedError

    dropped = map_bleak_error(
        LinkDroppedError("Polar H10 1 dropped the link as its streams started")
    )
    assert type(dropped) is ConnectFailedError
    assert str(dropped) == "Polar H10 1 dropped the link as its streams started"
    assert not is_fatal(TimeoutError())
    assert is_fatal(FileNotFoundError(2, "no socket"))
    assert not is_busy(TimeoutError())


def test_a_device_object_bluez_removed_is_said_in_words() -> None:
    """bleak's plain BleakError for a BLEDevice whose BlueZ object is gone was a repr with a
    D-Bus object name, and was not taken as the object being gone (review 6, F1 and F4)."""
    stale = BleakError("device 'dev_C0_FF_EE_00_00_01' not found")
    assert device_object_gone(stale)
    assert not device_object_gone(BleakError("adapter 'hci0' not found"))
    assert not device_object_gone(BleakError("Client is already connected"))
    mapped = map_bleak_error(stale, device="C0:FF:EE:00:00:01", device_name="HRM-Pro Fake")
    assert type(mapped) is DeviceNotFoundError
    assert str(mapped) == "HRM-Pro Fake is no longer in range (it stopped advertising)"
    assert "wake the sensor" in mapped.advice and "dev_" not in str(mapped)
    assert not is_fatal(stale)  # retried, by address


@pytest.mark.parametrize(
    "name", ["AuthenticationFailed", "AuthenticationRejected", "AuthenticationCanceled"]
)
def test_a_failed_pairing_is_fatal_and_says_how_to_pair_afresh(name: str) -> None:
    """Before: "Bluetooth error (...): org.bluez.Error.AuthenticationFailed ...", retried 4
    times, "move closer to the sensor" (review 6, F8)."""
    exc = BleakDBusError(f"org.bluez.Error.{name}", [name.replace("Authentication", "Auth ")])
    mapped = map_bleak_error(exc, device="A0:9E:1A:00:00:02", device_name="Polar H10 1")
    assert type(mapped) is PairingFailedError
    assert str(mapped).startswith("pairing with Polar H10 1 failed: auth ")
    assert "'bluetoothctl remove A0:9E:1A:00:00:02'" in mapped.advice
    assert is_fatal(exc)


def test_a_gatt_refusal_that_pairing_lifts_is_not_retried_and_says_so() -> None:
    # Before: "Bluetooth connection failed (...): BleakGATTProtocolError(<...: 5>, '...')",
    # retried as a radio failure, with "move closer to the sensor".
    for code in (0x05, 0x0F):
        mapped = map_bleak_error(BleakGATTProtocolError(code), device="GDX-RB 1")
        assert type(mapped) is SensorCommandError
        assert "--pair" in mapped.advice and "paired first" in str(mapped)
        assert is_fatal(BleakGATTProtocolError(code))
    other = map_bleak_error(BleakGATTProtocolError(0x0E), device="GDX-RB 1")
    assert str(other) == "GDX-RB 1 rejected a request: unlikely error (ATT error 0x0E)"
    assert "--pair" not in other.advice and not is_fatal(BleakGATTProtocolError(0x0E))


def test_device_and_user_errors_read_the_same() -> None:
    # One format for every 'breathwise: error:' line; advice with its own parentheses used to
    # end in '))' when device errors wrapped it in parentheses.
    device = map_bleak_error(FileNotFoundError(2, "no socket"))
    assert device.user_message() == (
        "cannot reach the Bluetooth service (no D-Bus system bus)"
        " — start the Bluetooth service (e.g. 'sudo systemctl start bluetooth')"
    )
    user = UserError("rr.txt: not a Breathwise recording", "expected a .bwr file")
    assert user.user_message() == "rr.txt: not a Breathwise recording — expected a .bwr file"
    assert BreathwiseDeviceError("a", "b").user_message() == UserError("a", "b").user_message()
    assert BreathwiseDeviceError("a").user_message() == "a"


def _texts_in(path: Path) -> list[str]:
    """Every string literal of a module, f-string pieces included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_every_command_and_flag_named_in_device_texts_exists() -> None:
    group = typer.main.get_command(app)
    commands: dict[str, set[str]] = {
        name: {opt for param in command.params for opt in param.opts}
        for name, command in group.commands.items()  # type: ignore[attr-defined]
    }
    every_flag = set().union(*commands.values())
    named = 0
    for path in sorted(DEVICES.rglob("*.py")):
        for text in _texts_in(path):
            for command, rest in re.findall(r"breathwise (\w+)([^'`]*)", text):
                assert command in commands, f"{path.name}: no command 'breathwise {command}'"
                for flag in re.findall(r"--[a-z][a-z-]*", rest):
                    assert flag in commands[command], f"{path.name}: {command} has no {flag}"
                named += 1
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", text):
                assert flag in every_flag, f"{path.name}: no command has {flag} ({text!r})"
            # Advice must name the flag or action, not an unnamed "option".
            assert not re.search(r"\b(the|an?) \w+ option\b", text), f"{path.name}: {text!r}"
            assert "turn that stream off" not in text, f"{path.name}: no option does that"
    assert named >= 3
