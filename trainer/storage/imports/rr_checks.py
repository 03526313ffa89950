"""The checks of RR values and of their unit, for a list and a table's RR column alike.

``--unit`` is the unit of the RR values of a list and of a table's RR column alike, by the rule
every RR reader follows (:func:`trainer.storage.rr_values.column_unit`): given, it wins over the
unit a header's name states, with a note; without it, values that look like the other unit than
the name states are refused, offering ``--unit`` or renaming the column (:func:`rr_unit_hint`).

RR values (:func:`check_rr_values`): a few outside
:data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS` are artifacts, kept for the artifact
correction; a median outside it is a wrong unit, refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from trainer.errors import BadArgument
from trainer.storage.imports.polar_table import PolarTable
from trainer.storage.imports.session import ImportFileError
from trainer.storage.rr_values import (
    MAX_RR_MS,
    MIN_RR_MS,
    PLAUSIBLE_RR_MS,
    TOO_LONG_ADVICE,
    implausible,
    plausible_rr,
    rr_list_in_seconds,
    too_long,
    too_short,
)

FloatArray = npt.NDArray[np.float64]


RR_UNITS = ("ms", "s")
"""Units an RR list's ``--unit`` names."""


def rr_unit_hint(values: Sequence[float], seconds: bool) -> str:
    """Advice for RR values refused as implausible: the ``--unit`` their median points to.

    Parameters
    ----------
    values : sequence of float
        The intervals as the file writes them (no unit applied).
    seconds : bool
        Whether they were read as seconds.

    Returns
    -------
    str
        ``"; the values look like seconds: use --unit s"`` (or milliseconds, ``--unit ms``)
        when :func:`rr_list_in_seconds` says the other unit, else ``""``.
    """
    if not values or rr_list_in_seconds(values) == seconds:
        return ""
    return (
        "; the values look like milliseconds: use --unit ms"
        if seconds
        else "; the values look like seconds: use --unit s"
    )


def check_rr_unit(unit: str | None) -> None:
    """Refuse a ``--unit`` other than ``ms`` or ``s`` (None: not given), for every reader of
    RR files (``import``, ``hrv``, ``breaths --rr``).

    Raises
    ------
    BadArgument
        Any other value.
    """
    if unit is not None and unit not in RR_UNITS:
        raise BadArgument(f"--unit must be 'ms' or 's', not {unit!r}")


def check_table_rr(table: PolarTable, given: npt.NDArray[np.bool_], path: Path) -> None:
    """:func:`check_rr_values` of a table's RR column on the rows ``given`` hold a value, the
    values shown as the file writes them."""
    if table.rr_column is None:
        return
    _, factor = table.rr_column
    rr = table.columns["rr"][given]
    shown = (rr / factor).tolist()
    check_rr_values(rr, table.lines[given], path, shown=shown, seconds=factor != 1.0)


def check_rr_values(
    rr_ms: FloatArray,
    lines: npt.NDArray[np.int64],
    path: Path,
    *,
    shown: Sequence[float] | None = None,
    seconds: bool = False,
) -> None:
    """Refuse RR values no heart-rate packet can carry, or a file that is not RR in ms.

    One rule for RR lists and CSV columns alike: a few implausible intervals (beyond
    :data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS`) are artifacts (a strap that lost
    contact for some seconds, a spurious beat) that the pipeline corrects as it would live, so
    refusing the file would lose every good beat in it; a median beyond the range is a wrong
    unit or no RR column. Refusing on any one value beyond the range would refuse a whole Polar
    CSV for a single 6500 ms interval, where the same values as an RR list import.

    Parameters
    ----------
    rr_ms : ndarray of float
        The intervals, ms.
    lines : ndarray of int
        The file's line of each.
    path : Path
        The file, for the message.
    shown : sequence of float, optional
        The values as the file writes them (seconds, say), for the message; ``rr_ms`` if None.
    seconds : bool
        Whether ``shown`` are seconds, for the advice on a wrong unit (:func:`rr_unit_hint`)
        that every message ends with. A table's column whose name states the other unit than
        its values look like is refused before (:func:`~trainer.storage.rr_values.column_unit`),
        so the advice is ``--unit`` for a table too.

    Raises
    ------
    ImportFileError
        A value longer than a packet carries (:data:`~trainer.storage.rr_values.MAX_RR_MS`),
        one that rounds to 0 in 1/1024 s (the beat timeline takes no interval of 0), or a
        median outside :data:`~trainer.storage.rr_values.PLAUSIBLE_RR_MS`.
    """
    written = rr_ms.tolist() if shown is None else list(shown)
    unit = "s" if seconds else "ms"
    hint = rr_unit_hint(written, seconds)
    beyond = np.flatnonzero(rr_ms > MAX_RR_MS)
    if beyond.size:
        k = int(beyond[0])
        raise ImportFileError(
            f"{path}:{lines[k]}: {too_long(f'{written[k]:g} {unit}')}{hint}",
            "" if hint else TOO_LONG_ADVICE,
        )
    shortest = np.flatnonzero(rr_ms < MIN_RR_MS)
    if shortest.size:
        k = int(shortest[0])
        raise ImportFileError(f"{path}:{lines[k]}: {too_short(f'{written[k]:g}')}{hint}")
    bad = np.flatnonzero((rr_ms < PLAUSIBLE_RR_MS[0]) | (rr_ms > PLAUSIBLE_RR_MS[1]))
    if bad.size and not plausible_rr(float(np.median(rr_ms))):
        k = int(bad[0])
        raise ImportFileError(f"{path}:{lines[k]}: {implausible(f'{written[k]:g} {unit}')}{hint}")
