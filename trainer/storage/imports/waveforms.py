"""A table's ECG and accelerometer columns as the Polar PMD frames a sensor sends.

ECG and accelerometer samples become Polar PMD data frames (uncompressed ECG frame type 0:
3-byte signed µV; ACC frame type 1: int16 x, y, z in mG; Polar Measurement Data Specification,
as decoded by :mod:`devices.polar_pmd`), with the frame timestamp of the last sample in the PMD
epoch (2000-01-01) (:func:`pmd_frames`). Samples keep the file's own times: no delay is added.
ECG or accelerometer columns without a value (a logger's header for a sensor it did not record)
make no stream, nor do a few values scattered below :data:`MIN_WAVEFORM_HZ`
(:func:`waveform_usable`). A bare ``ECG`` column in a table without a time column is read in
the unit its values' span gives (:func:`ecg_unit_by_span`). ``--fs``, the rate of a table
without a time column, is checked against the rates a recording holds (:func:`check_table_fs`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from devices.packets import NS_PER_S
from devices.polar_pmd import PMD_EPOCH_OFFSET_NS, MeasurementType, encode_frame
from trainer.errors import BadArgument
from trainer.storage.imports.session import ImportFileError
from trainer.storage.imports.table_columns import UNIT_ADVICE
from trainer.storage.text_files import short_quote

FloatArray = npt.NDArray[np.float64]


ECG_SAMPLES_PER_FRAME = 73
"""Samples per H10 ECG frame (229-byte frames)."""

ACC_SAMPLES_PER_FRAME = 36
"""Samples per accelerometer frame written (x, y, z int16 each: 216 bytes of data)."""

MIN_SAMPLES = 2
"""Fewest ECG or accelerometer samples that make a stream: one has no sampling rate."""

MIN_WAVEFORM_HZ = 1.0
"""Lowest ECG or accelerometer rate a recording holds (the reader's floor), Hz: a column this
sparse (a few values scattered over the session) is no waveform."""


def pmd_frames(
    t_ns: npt.NDArray[np.int64], samples: FloatArray, kind: MeasurementType, per_frame: int
) -> list[tuple[int, bytes]]:
    """``samples`` (one row per sample: µV, or x, y, z in mG) at sensor times ``t_ns`` as PMD
    data frames of ``per_frame`` samples: ``(time of the frame's last sample, frame)``."""
    out = []
    for start in range(0, t_ns.size, per_frame):
        stop = min(start + per_frame, t_ns.size)
        block = np.rint(samples[start:stop])
        if kind is MeasurementType.ECG:
            ints = np.clip(block.astype(np.int64), -(1 << 23), (1 << 23) - 1)
            data = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.ravel())
            frame_type = 0
        else:
            data = np.clip(block, -32768, 32767).astype("<i2").tobytes()
            frame_type = 1
        last = int(t_ns[stop - 1])
        out.append((last, encode_frame(kind, last - PMD_EPOCH_OFFSET_NS, frame_type, data)))
    return out


def sample_rate_hz(t_ns: npt.NDArray[np.int64]) -> float:
    """The mean rate, Hz, of samples at times ``t_ns`` (ns); 0 for fewer than two."""
    if t_ns.size < 2:
        return 0.0
    return float((t_ns.size - 1) * NS_PER_S / max(int(t_ns[-1] - t_ns[0]), 1))


ECG_SPANS = ((5e-5, 0.05, "V", 1e6), (0.05, 50.0, "mV", 1e3), (50.0, 50_000.0, "µV", 1.0))
"""Spans (0.5th to 99.5th percentile) of an ECG in each unit, with the factor to µV: an R wave
of 0.1-5 mV spans 0.05-50 in millivolts, a thousand times more in microvolts and less in volts,
so the three do not overlap."""


def ecg_unit_by_span(ecg: FloatArray, name: str, path: Path) -> tuple[float, str]:
    """The unit of an ECG column that names none (NeuroKit2's ``ECG``), read from its values.

    A logger's table must name it (``ecg_uV``...: a bare name is refused there), as millivolts
    taken for microvolts would round to -1, 0 and 1. A research table without a time column
    writes ``ECG`` in mV (NeuroKit2's are 0.3-1.4 mV peak to peak): the span of its values
    (0.5th to 99.5th percentile) tells the three units apart by a factor of 1000
    (:data:`ECG_SPANS`), and the note says which was taken and how to name another.

    Returns
    -------
    factor : float
        To µV, the unit the PMD frames hold.
    note : str

    Raises
    ------
    ImportFileError
        A span no ECG has in V, mV or µV (a flat column, a signal in other units).
    """
    finite = ecg[np.isfinite(ecg)]
    span = float(np.percentile(finite, 99.5) - np.percentile(finite, 0.5)) if finite.size else 0.0
    for low, high, unit, factor in ECG_SPANS:
        if low <= span < high:
            return factor, (
                f"the {name!r} column names no unit: read as {unit} (its values span "
                f"{span:.3g}, an ECG's in {unit}); name it ecg_uV, ecg_mV or ecg_V if not"
            )
    raise ImportFileError(
        f"{path}: the {short_quote(name)} column names no unit, and its values' span, "
        f"{span:.3g}, is no ECG's in V, mV or µV",
        UNIT_ADVICE["ecg"],
    )


def waveform_usable(t_ns: npt.NDArray[np.int64], what: str, notes: list[str]) -> bool:
    """Whether a column's sample times (ns) make an ECG or accelerometer stream.

    A column with no values (a logger's header for a sensor it did not record) is none: it
    made a header with a 0 Hz rate, which the reader refuses as damaged; so is one whose few
    values are scattered below :data:`MIN_WAVEFORM_HZ`, which is left out with a note.
    """
    if t_ns.size < MIN_SAMPLES:
        return False
    rate_hz = sample_rate_hz(t_ns)
    if rate_hz < MIN_WAVEFORM_HZ:
        notes.append(
            f"the {what} column's {t_ns.size} values ({rate_hz:.2g} per second) are too sparse "
            "for a waveform: left out"
        )
        return False
    return True


MAX_TABLE_FS_HZ = 100_000.0
"""Highest ``--fs``, Hz: the highest ECG or accelerometer rate a recording's header holds (and
``breaths``' ceiling); more is a typo."""


def check_table_fs(fs_hz: float) -> None:
    """Refuse an ``--fs`` no recording can hold: below :data:`MIN_WAVEFORM_HZ` (the reader's
    floor for an ECG or accelerometer rate) or above :data:`MAX_TABLE_FS_HZ`, or not a number.

    Raises
    ------
    BadArgument
    """
    if not (math.isfinite(fs_hz) and MIN_WAVEFORM_HZ <= fs_hz <= MAX_TABLE_FS_HZ):
        raise BadArgument(
            f"--fs must lie within {MIN_WAVEFORM_HZ:g}-{MAX_TABLE_FS_HZ:g} Hz, got {fs_hz!r}",
            "give the table's samples per second",
        )
