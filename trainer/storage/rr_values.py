"""What an RR file may hold, one table for every command that reads one.

``hrv``, ``breaths --rr`` and ``import`` (:func:`trainer.storage.rr_file.read_rr_file`, and
:mod:`trainer.storage.imports` for lists and timed tables) take their RR column names, units
and bounds from here, so a file one of them reads the others read too, with the same values
(without this, a ``time_s,ibi_ms`` table that ``hrv`` analysed was refused by ``import``,
which knew four RR names and none in seconds; ``hrv`` judged a file's median against 200-3000
ms and ``import`` against 100-6000 ms; ``hrv`` took an interval of 1e300 ms, which the analysis
turned into a traceback or 111 mislabelled beats). The unit of an RR column is decided here too
(:func:`column_unit`): ``hrv`` took ``--unit s`` over a column named ``rr_ms`` silently, where
``import`` refused ``--unit`` for any table.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from analysis import checks
from devices.heart_rate import RR_UNITS_PER_S
from trainer.errors import UserError
from trainer.storage.text_files import number_or_none

RR_COLUMNS: dict[str, float] = {
    **dict.fromkeys(
        (
            "rr_ms",
            "rr",
            "rri",
            "rri_ms",
            "rr_interval",
            "rr_intervals",
            "rr_interval_ms",
            "rr_intervals_ms",
            "ibi",
            "ibi_ms",
            "nn",
            "nn_ms",
            "nni",
            "nni_ms",
        ),
        1.0,
    ),
    **dict.fromkeys(
        ("rr_s", "rri_s", "rr_interval_s", "rr_intervals_s", "ibi_s", "nn_s", "nni_s"), 1000.0
    ),
}
"""RR column names, as :func:`trainer.storage.imports.table_columns.column_key` normalises a header
cell (lower case, every run of other characters one ``_``: Polar Sensor Logger's ``RR-interval
[ms]`` is ``rr_interval_ms``, ``IBI (s)`` is ``ibi_s``), with the factor from the column's
unit to ms: 1 for milliseconds (a name without a unit included: ``rr``, ``ibi``, ``nn`` are
written in ms by Kubios, NeuroKit2, HRVanalysis and the loggers), 1000 for seconds. In order
of preference when a header names more than one (:func:`rr_column`)."""

NAMED_UNITS: dict[str, str] = {
    name: "ms" if factor == 1.0 else "s"
    for name, factor in RR_COLUMNS.items()
    if name.endswith(("_ms", "_s"))
}
"""The :data:`RR_COLUMNS` whose name states their unit (``rr_ms``, ``ibi_s``...), with that unit;
the others (``rr``, ``ibi``, ``nn``...) are read in ``--unit``, milliseconds by default."""
UNIT_WORDS = {"ms": "milliseconds", "s": "seconds"}
"""An RR unit as ``--unit`` names it, and in words."""
MS_PER_UNIT = {"ms": 1.0, "s": 1000.0}
"""Milliseconds in one of each RR unit ``--unit`` names."""
SECONDS_BELOW = 10.0
"""RR values whose median is below this are seconds (:func:`rr_list_in_seconds`)."""

MAX_RR_RAW = 65535
"""Largest RR value a Heart Rate Measurement packet carries (uint16), 1/1024 s."""
MAX_RR_MS = MAX_RR_RAW * 1000.0 / RR_UNITS_PER_S
"""Longest RR interval read, ms (63999 ms, just under 64 s): what a Heart Rate Measurement
packet can carry (uint16 in 1/1024 s, Bluetooth SIG Heart Rate Service 1.0, 3.1.1.5), so a
recording can hold every interval any reader takes. A strap's own lists never exceed it; a
longer value in an ECG-derived list is contact lost for over a minute (split the file there)
or a damaged value (1e300 overflowed the analysis' running sums)."""
MIN_RR_MS = 0.5 * 1000.0 / RR_UNITS_PER_S
"""Shortest RR interval read, ms (0.49 ms): half the 1/1024 s a Heart Rate Measurement packet
counts in, below which an interval rounds to 0 there, and the beat timeline takes no interval
of 0. No heart beats that fast; such a value is damaged, or in another unit."""
PLAUSIBLE_RR_MS = checks.PLAUSIBLE_RR_MS
"""Intervals a heart produces, ms (200-3000: 300 to 20 beats/min), the range of
:data:`analysis.checks.PLAUSIBLE_RR_MS`, so that a file the readers take and a series the
analysis takes are judged alike. An interval outside is an artifact (a lost contact, a spurious
beat), kept for the artifact correction, and said; a file whose median lies outside is in
another unit, or not RR intervals, and is refused by every reader."""


def rr_column(keys: Sequence[str]) -> int | None:
    """Index of the RR column among a header's normalised names (:data:`RR_COLUMNS`), the
    most preferred name first; None when none is one."""
    name = next((n for n in RR_COLUMNS if n in keys), None)
    return None if name is None else list(keys).index(name)


def rr_list_in_seconds(values: Sequence[float]) -> bool:
    """Whether RR intervals written without a unit are in seconds: their median is below
    :data:`SECONDS_BELOW`.

    The median, not the largest value: one lost-contact interval of 12 s among 0.8 s ones
    must not make a list of seconds read as milliseconds (without this, such a file was
    refused, with a message that never said seconds). No heart beats 10 ms apart nor 10 s
    apart for half of its beats, so the two units cannot be confused.
    """
    return statistics.median(values) < SECONDS_BELOW


def column_unit(
    name: str,
    key: str,
    unit: str | None,
    written: Sequence[float],
    where: str,
    error: type[UserError] = UserError,
) -> tuple[str | None, str | None]:
    """The unit to read an RR column in, by the one rule of every RR reader (``hrv``,
    ``breaths --rr``, ``import``): ``--unit`` when given, else the unit the column's name
    states (:data:`NAMED_UNITS`).

    Where ``--unit`` contradicts the name, the values are read in ``--unit`` and a note says
    so (a column named ``rr_ms`` that a logger filled with seconds). Without ``--unit``, values
    whose median points to the other unit than the name's (:func:`rr_list_in_seconds`) are
    refused, with both remedies: otherwise ``hrv`` told such a table "use --unit s" and
    took it, while ``import`` refused ``--unit`` for a table and said to rename the column.

    Parameters
    ----------
    name : str
        The column's name as the header writes it.
    key : str
        The name normalised (:func:`trainer.storage.imports.table_columns.column_key`).
    unit : {"ms", "s"} or None
        ``--unit``, None when not given.
    written : sequence of float
        The column's values as the file writes them (no unit applied).
    where : str
        ``file:line`` of the header, for the refusal.
    error : type of UserError
        The error the reader raises (``import``'s :class:`ImportFileError`).

    Returns
    -------
    unit : {"ms", "s"} or None
        The unit to read the values in; None when neither ``--unit`` nor the name gives one
        (the reader's default).
    note : str or None
        What to tell the person when ``--unit`` overrides the name, else None.

    Raises
    ------
    UserError
        (``error``) Without ``--unit``, values that look like the other unit than the name
        states.
    """
    named = NAMED_UNITS.get(key)
    if named is None or (unit is not None and unit == named):
        return unit or named, None
    if unit is not None:
        return unit, (
            f"the column's name ({name}) says {UNIT_WORDS[named]}; the values are read as "
            f"{UNIT_WORDS[unit]} because of --unit {unit}"
        )
    looks = "s" if written and rr_list_in_seconds(written) else "ms"
    if not written or looks == named:
        return named, None
    raise error(
        f"{where}: the values look like {UNIT_WORDS[looks]} (median "
        f"{statistics.median(written):.4g}), but the column's name ({name}) says "
        f"{UNIT_WORDS[named]}",
        f"use --unit {looks}, or rename the column rr_{looks}",
    )


def plausible_rr(ms: float) -> bool:
    """Whether ``ms`` lies within :data:`PLAUSIBLE_RR_MS`."""
    return PLAUSIBLE_RR_MS[0] <= ms <= PLAUSIBLE_RR_MS[1]


def too_long(written: str) -> str:
    """The refusal of an interval longer than :data:`MAX_RR_MS`, ``written`` as the file has
    it (with its unit), for the message after the file and line."""
    return (
        f"RR interval {written} is longer than a heart-rate packet can carry "
        f"({MAX_RR_MS:.0f} ms): not a beat-to-beat interval"
    )


def too_short(written: str) -> str:
    """The refusal of an interval shorter than :data:`MIN_RR_MS`, ``written`` as the file has it
    (with its unit), for the message after the file and line."""
    return f"{written} is not an RR interval (below 1/1024 s)"


def not_positive(written: str) -> str:
    """The refusal of an interval of zero or less, ``written`` as the file has it, for the
    message after the file and line (``import``'s list reader said "RR interval must be > 0,
    got '0'" where ``hrv`` said this)."""
    return f"RR interval {written} is not positive"


def implausible(written: str) -> str:
    """The refusal of a file whose median lies outside :data:`PLAUSIBLE_RR_MS` (a wrong unit,
    most likely), ``written`` being its first such value as the file has it (with the unit it
    was read in), for the message after the file and line."""
    return f"RR interval {written} is outside {PLAUSIBLE_TEXT}, and so are at least half of them"


TOO_LONG_ADVICE = "correct the value, or split the file where the contact was lost"
"""What to do about an interval refused by :func:`too_long`, unless the values look like
another unit (the message then says which)."""
PLAUSIBLE_TEXT = f"{PLAUSIBLE_RR_MS[0]:.0f}-{PLAUSIBLE_RR_MS[1]:.0f} ms"
""":data:`PLAUSIBLE_RR_MS` as the messages and warnings write it."""


def pandas_names(cells: Sequence[str]) -> bool:
    """Whether a first row's ``cells`` (stripped, unquoted) are the names
    ``pandas.DataFrame.to_csv`` writes over columns without a name, ``0, 1, ...``, after an
    empty cell when the row index is written too (``,0``: ``pd.Series(rr).to_csv()``).

    Examples
    --------
    >>> pandas_names(["", "0"]), pandas_names(["0", "1"]), pandas_names(["1"])
    (True, True, False)
    """
    named = list(cells[1:]) if len(cells) > 1 and cells[0] == "" else list(cells)
    return bool(named) and named == [str(k) for k in range(len(named))]


def after_row_index(cells: Sequence[str]) -> bool:
    """Whether a header's ``cells`` (stripped, unquoted) are two, the first empty: the row
    index pandas' ``to_csv()`` and R's ``write.csv`` write without a name, then the one column
    of values (``,0``; R's ``"","x"``), which is the RR column whatever its name, as a lone
    column is."""
    return len(cells) == 2 and cells[0] == "" and cells[1] != ""


def pandas_header(cells: Sequence[str], below: Iterable[Sequence[str]]) -> bool:
    """Whether an RR file's first row, ``cells`` (stripped, unquoted), is the header
    ``pandas`` writes over unnamed columns (:func:`pandas_names`), the rows under it being
    ``below`` (their cells; only read for a lone ``0``).

    A row of numbers is a header here only where reading it as values would be refused anyway,
    so the inference never changes a file that was read: two or more numbers without a header
    are refused by every reader (which column holds the RR?), as is an interval of 0. A lone
    ``0`` (``pd.Series(rr).to_csv(index=False)``) is a header when every row under it holds
    one cell and none of them is 0: a file that writes 0 among its values uses 0 for something
    (a logger's row without a beat), and its first 0 is refused as such, on its line. Taken for
    a name, a ``0`` that was meant as a value (a program writing 0 for the first beat, which
    has no interval before it) loses no interval either: 0 ms is none.

    Parameters
    ----------
    cells : sequence of str
        The first row's cells.
    below : iterable of sequence of str
        The cells of each row under it, in order.

    Returns
    -------
    bool
        Whether the row is pandas' header.
    """
    if not pandas_names(cells):
        return False
    if len(cells) > 1:
        return True
    seen = False
    for row in below:
        if len(row) != 1 or number_or_none(row[0]) == 0.0:
            return False
        seen = True
    return seen
