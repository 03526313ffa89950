"""The export keeps what the recording's header says about the session (review 32 F3, F4).

``STEM.session.csv`` held the format, the start, the source's kind and name, the key, the
software and how the session ended, and none of the settings (planned minutes, pace, seed,
devices), the sensor's address, the streams' rates, the length, nor how an import's beats
were placed (the Polar H10 file's were moved -937.422 ms onto its R peaks). The EDF's
equipment was cut ("Polar_CSV_polar_h10_pvc"), its transducers empty, and the bundled sample's
belt, in volts, was exported as newtons.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from simulated_sessions import simulated_items, write_items

from devices.source import SourceInfo
from trainer.storage.export import (
    belt_unit,
    edf_recording_field,
    edf_transducers,
    export_recording,
    header_rows,
)
from trainer.storage.recording import read_recording

pyedflib = pytest.importorskip("pyedflib")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"

H10_TIMING = {
    "method": "ecg_r_peaks",
    "shift_ms": -937.422,
    "matched_beats": 796,
    "beats_in_ecg": 796,
    "r_peaks": 801,
    "mad_ms": 6.146,
    "estimator": "analysis.ecg_align: Pan-Tompkins R peaks (zero-phase), used if >= 20",
}


def _recording(
    path: Path,
    *,
    kind: str = "sim",
    name: str = "simulated person",
    address: str = "",
    details: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    belt: bool = True,
) -> Path:
    """A 40 s simulated session written under another header source: its packets are the
    simulator's, the header says what the test needs it to say."""
    header, items, end_ns = simulated_items(40.0, seed=4, settings=settings, belt=belt)
    source = dataclasses.replace(
        header.source,
        kind=kind,
        name=name,
        address=address,
        details=header.source.details if details is None else details,
    )
    return write_items(path, dataclasses.replace(header, source=source), items, end_ns)


def _recording_field(edf: Path) -> str:
    """An EDF+ file's recording field after its start date: admin code, technician, equipment
    and additional text, as written (a reader shows the equipment's ``_`` as spaces)."""
    field = edf.read_bytes()[88:168].decode("ascii")
    assert field.startswith("Startdate ")
    return field[len("Startdate 01-JAN-2020 ") :].rstrip()


def _session_rows(folder: Path, stem: str) -> list[list[str]]:
    with (folder / f"{stem}.session.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def test_session_csv_holds_the_settings_streams_address_length_and_import_provenance(
    tmp_path: Path,
) -> None:
    """Review 32 F3: a researcher given the CSVs could not tell the belt's rate, the pace
    asked, the planned length, the sensor, nor that the beats had been moved onto R peaks."""
    path = _recording(
        tmp_path / "h10.bwr",
        kind="import",
        name="Polar CSV polar_h10_pvc.csv.gz",
        address="A0:9E:1A:12:34:56",
        details={
            "imported_from": "polar_h10_pvc.csv.gz",
            "format": "polar-csv",
            "beat_timing": H10_TIMING,
            "serial": "C1234567",
            "battery_percent": 80,
            "notes": ["did not let its serial number be read"],
        },
        settings={"device": ["belt", "h10"], "rate_bpm": 6.0, "ratio": 2.0, "minutes": 40 / 60},
    )
    export_recording(path, "csv", tmp_path / "out")
    rows = _session_rows(tmp_path / "out", "h10")
    fields = dict(rows)
    assert len(fields) == len(rows)  # one row per field
    assert fields["duration_s"] == "40.0"
    assert fields["address"] == "A0:9E:1A:12:34:56"
    assert fields["belt_unit"] == "N"
    assert fields["belt_fs_hz"] == "20.0"
    assert fields["ecg_fs_hz"] == fields["acc_fs_hz"] == ""  # no PMD frames
    # The header's settings, one row each, as the header holds them.
    assert fields["settings.device"] == '["belt","h10"]'
    assert fields["settings.rate_bpm"] == "6.0"
    assert fields["settings.ratio"] == "2.0"
    assert fields["settings.minutes"] == repr(40 / 60)  # not rounded to 6 decimals
    assert fields["streams.gdx.period_us"] == "50000"
    assert fields["streams.gdx.force_channel"] == "1"
    # How the beats were placed, every value of it.
    assert fields["details.beat_timing.method"] == "ecg_r_peaks"
    assert fields["details.beat_timing.shift_ms"] == "-937.422"
    assert fields["details.beat_timing.matched_beats"] == "796"
    assert fields["details.beat_timing.estimator"] == H10_TIMING["estimator"]
    assert fields["details.imported_from"] == "polar_h10_pvc.csv.gz"
    # What does not describe the data stays in the recording.
    assert not any(f.endswith(("serial", "battery_percent")) for f in fields)
    assert not any(f.startswith("details.notes") for f in fields)
    # The rows that were there stay in their place, first.
    assert [f for f, _ in rows[:3]] == ["format", "format_version", "recording"]


def test_header_rows_flatten_a_combined_sources_sensors_and_keep_values_exact() -> None:
    """Several sensors are numbered in the header's order, each with the details kept; lists
    and empty objects are one JSON cell; a number is the header's, whole."""
    source = SourceInfo(
        "ble",
        "GDX-RB 0K2003N8 + Polar H10 A1B2C3D4",
        "F1:00:00:00:00:01, A0:9E:1A:12:34:56",
        {"gdx": {"period_us": 50000, "force_channel": 1}, "hr": {"rr_unit_s": 1 / 1024}},
        {
            "sources": [
                {
                    "kind": "ble",
                    "name": "GDX-RB 0K2003N8",
                    "address": "F1:00:00:00:00:01",
                    "streams": ["gdx"],
                    "details": {"channels": {"1": {"units": "N"}}, "battery_percent": 70},
                },
                {
                    "kind": "ble",
                    "name": "Polar H10 A1B2C3D4",
                    "address": "A0:9E:1A:12:34:56",
                    "streams": ["hr", "pmd_cp"],
                    "details": {"model": "H10", "firmware_revision": "3.1.1", "serial": "C12"},
                },
            ]
        },
    )
    rows = header_rows({"seed": None, "practice": True, "program_plan": {"tips": []}}, source)
    assert rows == {
        "settings.seed": "",
        "settings.practice": "1",
        "settings.program_plan.tips": "[]",
        "streams.gdx.period_us": "50000",
        "streams.gdx.force_channel": "1",
        "streams.hr.rr_unit_s": "0.0009765625",
        "details.sources.0.kind": "ble",
        "details.sources.0.name": "GDX-RB 0K2003N8",
        "details.sources.0.address": "F1:00:00:00:00:01",
        "details.sources.0.streams": '["gdx"]',
        "details.sources.0.details.channels.1.units": "N",
        "details.sources.1.kind": "ble",
        "details.sources.1.name": "Polar H10 A1B2C3D4",
        "details.sources.1.address": "A0:9E:1A:12:34:56",
        "details.sources.1.streams": '["hr","pmd_cp"]',
        "details.sources.1.details.model": "H10",
        "details.sources.1.details.firmware_revision": "3.1.1",
    }
    assert edf_transducers(source)["belt"] == (
        "Go Direct Respiration Belt force sensor (GDX-RB 0K2003N8)"
    )


@pytest.mark.parametrize(
    ("details", "unit"),
    [
        ({}, "N"),
        ({"belt_units": "V (NeuroKit2 RSP belt), not N"}, "V"),
        ({"belt_units": "mV"}, "mV"),
        ({"channels": {"1": {"units": "kPa"}}}, "kPa"),
        ({"belt_units": "  "}, "N"),
    ],
)
def test_the_belt_unit_is_the_one_the_recording_names(details: dict[str, Any], unit: str) -> None:
    """Review 32 F4: the sample's belt is in volts; N only when the recording names none."""
    source = SourceInfo("sample", "x", streams={"gdx": {"period_us": 50000}}, details=details)
    assert belt_unit(source) == unit


def test_a_belt_in_volts_is_exported_in_volts_csv_and_edf(tmp_path: Path) -> None:
    """The sample's header says ``belt_units`` "V (NeuroKit2 RSP belt), not N": the EDF's
    dimension was N and the CSV documented newtons. Now session.csv names the unit, the EDF
    carries it as the belt's dimension, and its transducer says what the belt was."""
    path = _recording(
        tmp_path / "volts.bwr",
        kind="sample",
        name="NeuroKit2 bio_resting_5min_100hz (derived)",
        details={"belt_units": "V (NeuroKit2 RSP belt), not N", "derived_from": "NeuroKit2"},
        settings={"device": "sample", "minutes": 40 / 60},
    )
    export_recording(path, "csv", tmp_path / "csv")
    fields = dict(_session_rows(tmp_path / "csv", "volts"))
    assert fields["belt_unit"] == "V"
    assert fields["details.belt_units"] == "V (NeuroKit2 RSP belt), not N"
    edf = export_recording(path, "edf", tmp_path / "volts.edf")[0]
    with pyedflib.EdfReader(str(edf)) as reader:
        headers = {h["label"]: h for h in reader.getSignalHeaders()}
    assert headers["Resp belt"]["dimension"] == "V"
    assert headers["Resp belt"]["transducer"] == "NeuroKit2 RSP belt"
    assert headers["Heart rate"]["transducer"].startswith("derived")
    assert all(h["prefilter"] == "" for h in headers.values())  # not known: see the page
    # 42 characters: cut in the middle, so it keeps what it is and that it is derived.
    assert _recording_field(edf) == "X X NeuroKit2_bio_resti~5min_100hz_(derived)"


def test_the_edf_names_the_whole_source_and_says_settings_and_beat_timing(
    tmp_path: Path,
) -> None:
    """Review 32 F3: the H10 import's equipment was "Polar_CSV_polar_h10_pvc" (its .csv.gz
    lost to the software beside it), and the EDF held no settings nor the beats' shift."""
    path = _recording(
        tmp_path / "h10.bwr",
        kind="import",
        name="Polar CSV polar_h10_pvc.csv.gz",
        details={"imported_from": "polar_h10_pvc.csv.gz", "beat_timing": H10_TIMING},
        settings={"device": ["sim"], "rate_bpm": 6.0, "ratio": 2.0, "minutes": 1.0, "seed": 4},
    )
    edf = export_recording(path, "edf", tmp_path / "h10.edf")[0]
    header = read_recording(path).header
    software, revision = header.software, header.analysis_revision
    with pyedflib.EdfReader(str(edf)) as reader:
        onsets, _, texts = reader.readAnnotations()
        headers = {h["label"]: h for h in reader.getSignalHeaders()}
    # The name whole; the software did not fit beside it (the annotation below names it).
    assert _recording_field(edf) == "X X Polar_CSV_polar_h10_pvc.csv.gz"
    at_start = [str(t) for o, t in zip(onsets, texts, strict=True) if o == 0.0]
    for text in (
        f"recorded: {software}, revision {revision}",
        "setting device sim",
        "setting rate_bpm 6.0",
        "setting ratio 2.0",
        "setting minutes 1.0",
        "setting seed 4",
        "beats moved -937.422 ms onto R peaks",
    ):
        assert text in at_start, (text, at_start)
    assert headers["Resp belt"]["transducer"] == (
        "respiration belt from Polar CSV polar_h10_pvc.csv.gz"
    )


def test_the_edf_recording_field_fits_edflib_and_keeps_the_software_when_it_fits() -> None:
    # EDFlib writes 40 characters of equipment and additional text together.
    assert edf_recording_field("simulated person", "breathwise 0.1.0") == (
        "simulated_person",
        "breathwise_0.1.0",
    )
    assert edf_recording_field("Polar CSV polar_h10_pvc.csv.gz", "breathwise 0.1.0") == (
        "Polar_CSV_polar_h10_pvc.csv.gz",
        "",
    )
    long = "Polar CSV " + "x" * 80 + ".csv.gz"
    equipment, additional = edf_recording_field(long, "breathwise 0.1.0")
    assert len(equipment) == 40 and additional == ""
    assert equipment.startswith("Polar_CSV_x") and equipment.endswith("x.csv.gz")
    assert "~" in equipment
    assert edf_recording_field("", "") == ("X", "")


def test_the_bundled_samples_edf_is_in_volts_and_names_its_software(tmp_path: Path) -> None:
    """The first export a new user makes (the README points at the sample) said N for a belt
    in volts (review 32 F4). Its long name left no room for the software in the header
    (an earlier review): the software is in an annotation at the start of every file."""
    out = export_recording(SAMPLE, "edf", tmp_path / "sample.edf")[0]
    software = read_recording(SAMPLE).header.software
    with pyedflib.EdfReader(str(out)) as reader:
        belt = next(h for h in reader.getSignalHeaders() if h["label"] == "Resp belt")
        onsets, _, texts = reader.readAnnotations()
    assert belt["dimension"] == "V"
    assert belt["transducer"] == "NeuroKit2 RSP belt"
    field = _recording_field(out)
    assert field.startswith("X X NeuroKit2_bio_") and field.endswith("_(derived)")
    starts = [str(t) for o, t in zip(onsets, texts, strict=True) if o == 0.0]
    assert any(t.startswith(f"recorded: {software}") for t in starts)
