"""The header names every table reader knows, and the cells they name.

A header cell is looked up by its key (:func:`column_key`: ``sensor timestamp [ns]`` ->
``sensor_timestamp_ns``). The time columns (:data:`TIME_COLUMNS`) say their clock and unit,
and a time cell is read on that clock (:func:`parse_time`); ``import``, ``hrv`` and
``breaths`` read the same ones. ECG and accelerometer columns must name their unit (``ecg_uV``,
``ecg_mV``, ``ecg_V``; ``x_mg``, ``acc_x_g``...: :data:`VALUE_COLUMNS`): a bare ``ECG`` or
``acc_x`` is refused, as millivolts taken for microvolts would round to -1, 0 and 1. The RR
column goes by the names ``hrv`` reads too (:data:`trainer.storage.rr_values.RR_COLUMNS`:
``rr_ms``, ``ibi``, ``nn``...; ``rr_s`` and the like in seconds).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from devices.packets import NS_PER_S
from devices.polar_pmd import PMD_EPOCH_OFFSET_NS
from trainer.storage.imports.session import ImportFileError
from trainer.storage.rr_values import RR_COLUMNS
from trainer.storage.text_files import short_quote

UNITLESS_TIME = ("time", "t", "timestamp")
"""Time-column names that give no unit: an RR table's import does not read them, and
``breaths`` checks such a column both as seconds and as milliseconds."""

TIME_COLUMNS = {
    "time_ns": ("unix_ns", 1.0),
    "timestamp_ns": ("unix_ns", 1.0),
    "phone_timestamp": ("iso", 1.0),
    "sensor_timestamp_ns": ("pmd_ns", 1.0),
    "timestamp_ms": ("relative_s", 1e-3),
    "time_ms": ("relative_s", 1e-3),
    "time_s": ("relative_s", 1.0),
    "t_s": ("relative_s", 1.0),
}
"""Normalised time-column names (:func:`column_key`), in order of preference, with their clock
and scale to s/ns (:func:`parse_time`); ``hrv`` and ``breaths`` read the same ones."""

HR_COLUMNS = ("hr_bpm", "hr", "heart_rate_bpm")
"""Normalised heart-rate column names (:func:`column_key`), in order of preference, in beats/min.
In a table of strap notifications (0x2A37), whose times do not step by the RR
(:func:`~trainer.storage.text_files.timed_by_beats`), a row holding a heart rate may carry no RR
interval: :func:`trainer.storage.rr_file.read_rr_file` and
:func:`~trainer.storage.imports.polar_table.parse_polar_csv` read an empty RR cell there as no
beat completed; in a table of beats it is a lost interval."""

VALUE_COLUMNS: dict[str, dict[str, float | None]] = {
    "rr": dict[str, float | None](RR_COLUMNS),
    "hr": dict.fromkeys(HR_COLUMNS, 1.0),
    "ecg": {"ecg_uv": 1.0, "ecg_mv": 1e3, "ecg_v": 1e6, "ecg": None},
    **{
        f"acc_{axis}": {
            f"{axis}_mg": 1.0,
            f"acc_{axis}_mg": 1.0,
            f"{axis}_g": 1e3,
            f"acc_{axis}_g": 1e3,
            f"acc_{axis}": None,
        }
        for axis in "xyz"
    },
}
"""Normalised column names per quantity, in order of preference, with the factor to the recorded
unit (µV, mG, ms; RR's are every RR reader's, :data:`trainer.storage.rr_values.RR_COLUMNS`);
None for a name without a unit, which is refused: ECG is written in µV, mV or V and
acceleration in mG or g, and a wrong guess scales the signal by 1000 (millivolts read as
microvolts round to -1, 0 and 1)."""

UNIT_ADVICE = {
    "ecg": "name its unit in the header: ecg_uV, ecg_mV or ecg_V",
    "acc": "name their unit in the header: acc_x_mG, acc_y_mG, acc_z_mG (or _g for g)",
}
"""What to rename a column to when its name gives no unit, per quantity."""


def column_key(name: str) -> str:
    """A header cell as a lookup key: lower case, every run of other characters one ``_``
    (``sensor timestamp [ns]`` -> ``sensor_timestamp_ns``, ``Time (s)`` -> ``time_s``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower().replace("µ", "u")).strip("_")


def parse_time(cell: str, clock: str, scale: float, path: Path, line: int, fold: int = 0) -> int:
    """A time cell as ns on its clock; ``fold`` picks the second of a local time that happened
    twice (PEP 495), for ISO times without an offset."""
    text = cell.strip()
    try:
        if clock == "iso":
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return int(moment.replace(fold=fold).timestamp() * NS_PER_S)
        if clock in ("unix_ns", "pmd_ns"):
            value = int(text) if text.lstrip("-").isdigit() else int(float(text))
            return value + (PMD_EPOCH_OFFSET_NS if clock == "pmd_ns" else 0)
        return round(float(text) * scale * NS_PER_S)
    except ValueError:
        raise ImportFileError(
            f"{path}:{line}: time {short_quote(text)} is not a valid timestamp"
        ) from None
