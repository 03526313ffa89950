"""`scan`'s table and the line below it for a sensor this computer is connected to."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import devices.ble as ble
from devices.ble.scan import Capability, ConnectedDevice, ScanResult, SensorFamily
from trainer.cli.app import app

POLAR = ("A0:9E:1A:00:00:01", "Polar H10 12345678")
STRAP = ("C0:FF:EE:00:00:01", "HRM-Pro Fake")


def _scan(
    monkeypatch: pytest.MonkeyPatch, heard: list[tuple[str, str]], held: list[tuple[str, str]]
) -> str:
    async def fake_scan(timeout_s: float) -> list[ScanResult]:
        return [
            ScanResult(name, address, -60, SensorFamily.POLAR, (Capability.HR_RR,))
            for address, name in heard
        ]

    async def fake_connected() -> list[ConnectedDevice]:
        return [ConnectedDevice(address, name, SensorFamily.POLAR) for address, name in held]

    monkeypatch.setattr(ble, "scan", fake_scan)
    monkeypatch.setattr(ble, "connected_devices", fake_connected)
    result = CliRunner().invoke(app, ["scan", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_connected_sensor_that_still_advertises_is_listed_not_said_silent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Polar H10 holding one of its two connections still advertises: it was in the table
    and, below it, said to be connected "so it does not advertise" (found in review)."""
    out = _scan(monkeypatch, heard=[POLAR], held=[(POLAR[0].lower(), POLAR[1])])
    assert POLAR[0] in out
    assert "still connected" not in out


def test_a_connected_silent_sensor_is_named_with_a_way_out_that_spares_a_running_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _scan(monkeypatch, heard=[POLAR], held=[STRAP])
    (line,) = [x for x in out.splitlines() if "still connected" in x]
    assert line.startswith(f"{STRAP[0]} ({STRAP[1]}) is still connected to this computer")
    assert f"if no session is using it, 'bluetoothctl disconnect {STRAP[0]}'" in line
