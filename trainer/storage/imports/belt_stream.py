"""A table's respiration column (``RSP``, ``Resp``, ``belt``...) as the belt stream of a
recording: the Go Direct packets of :mod:`trainer.storage.belt_import`, when the column's
samples are evenly spaced and fast enough for the belt analysis; left out with a note otherwise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from devices.godirect_commands import FORCE_CHANNEL
from devices.packets import NS_PER_S, Stream
from trainer.storage.belt_import import belt_packets, belt_units, to_belt_rate
from trainer.storage.imports.polar_table import PolarTable
from trainer.storage.imports.waveforms import MIN_SAMPLES, sample_rate_hz

MIN_BELT_FS_HZ = 4.0
"""Lowest rate of a belt column that makes a belt stream, Hz: the belt's 1 Hz low-pass
(:data:`trainer.session.pipeline.BELT_CUTOFF_HZ`) at half the Nyquist frequency, the floor of
``breaths --fs`` for a belt."""

EVEN_TIMES_TOLERANCE = 0.25
"""Largest distance, in sample periods, of a timed table's belt row from its place on an even
grid: a belt stream's samples are evenly spaced, a logger's jittered rows are not."""


def add_belt_stream(
    table: PolarTable,
    t_rel: npt.NDArray[np.int64],
    streams: dict[str, dict[str, object]],
    timed: list[tuple[int, str, bytes]],
    notes: list[str],
) -> dict[str, object]:
    """The table's respiration column as a belt stream: the header's ``gdx`` entry and one
    Go Direct packet per sample (:mod:`trainer.storage.belt_import`), added to ``streams`` and
    ``timed``; returns ``source.details`` entries (``belt_units``, ``belt``), with a note.

    The samples must be evenly spaced and without holes: a table without a time column's all
    are; a timed table's rows holding a value must lie within :data:`EVEN_TIMES_TOLERANCE` of
    a period of an even grid. Otherwise, or below :data:`MIN_BELT_FS_HZ`, the column is left
    out with a note saying why, so a column such as NeuroKit2's ``RSP`` is never dropped
    without a word.
    """
    assert table.belt is not None
    name, unit = table.belt
    values = table.columns["belt"]
    ok = np.isfinite(values)
    what = f"the {name!r} column (respiration)"
    if table.fs_hz is not None and not np.all(ok):
        notes.append(
            f"{what} has {int(np.count_nonzero(~ok))} empty cells: a belt signal with holes is "
            "left out (fill or cut them to import it)"
        )
        return {}
    t = t_rel[ok]
    if t.size < MIN_SAMPLES:
        return {}
    fs_hz = table.fs_hz if table.fs_hz is not None else sample_rate_hz(t)
    if table.fs_hz is None:
        grid = t[0] + np.arange(t.size) * (NS_PER_S / fs_hz)
        worst = float(np.max(np.abs(t - grid))) * fs_hz / NS_PER_S
        if worst > EVEN_TIMES_TOLERANCE:
            notes.append(
                f"{what} is left out: its rows are not evenly timed ({worst:.2g} sample periods "
                "off an even grid), and a belt stream's samples are"
            )
            return {}
    if fs_hz < MIN_BELT_FS_HZ:
        notes.append(
            f"{what} is left out: {fs_hz:.3g} Hz is below the {MIN_BELT_FS_HZ:g} Hz the belt "
            "analysis needs"
        )
        return {}
    samples = to_belt_rate(values[ok], fs_hz)
    streams[Stream.GODIRECT.value] = {
        "period_us": samples.period_us,
        "force_channel": FORCE_CHANNEL,
    }
    step_ns = NS_PER_S / samples.fs_hz
    first = int(t[0])
    for k, payload in enumerate(belt_packets(samples.values)):
        timed.append((first + round(k * step_ns), Stream.GODIRECT.value, payload))
    unit_words = (
        f"in the file's unit ({unit}), not newtons"
        if unit not in (None, "N")
        else "in newtons"
        if unit == "N"
        else "in the file's unit (it names none), not newtons"
    )
    notes.append(
        f"{what} is the belt stream: {samples.values.size} samples at {samples.fs_hz:g} Hz"
        f"{'' if samples.method is None else ', ' + samples.method}, {unit_words}"
    )
    return {
        "belt_units": belt_units(name, unit),
        "belt": {
            "column": name,
            "unit": unit,
            "fs_hz": fs_hz,
            "resampling": samples.method or "none",
        },
    }
