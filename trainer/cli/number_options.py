"""Say what was typed when a number option cannot be read, and how to write it.

The command line's parser (typer) refuses ``--minutes 2,5`` with "Input should be a valid
number, unable to parse string as a number": neither the value nor the fix. A decimal comma is
the habit of most of Europe, and the options Breathwise checks itself say both (``--speed
'1,5' is not a number``...), so the parser's refusals of number options are said the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from trainer.storage.decimal_comma import point_advice

_KINDS = {
    "Input should be a valid number": "a number",
    "Input should be a valid integer": "a whole number",
}
"""The parser's refusal of a number option (its message's start), and what the option takes."""


def typed_value(args: Sequence[str], opts: Sequence[str]) -> str | None:
    """The value last given on the command line ``args`` to the option named ``opts``.

    Parameters
    ----------
    args : sequence of str
        The arguments, without the program name.
    opts : sequence of str
        The option's names (``["--minutes", "-m"]``).

    Returns
    -------
    str or None
        The value as typed (``--minutes 2,5``, ``--minutes=2,5``, ``-m 2,5`` or ``-m2,5``), or
        None when the option is not there.

    Examples
    --------
    >>> typed_value(["live", "-m", "2,5", "--rate=6,5"], ["--rate"])
    '6,5'
    >>> typed_value(["live", "-m2,5"], ["--minutes", "-m"])
    '2,5'
    """
    found: str | None = None
    for k, arg in enumerate(args):
        if arg == "--":
            break
        for opt in opts:
            if arg == opt and k + 1 < len(args):
                found = args[k + 1]
            elif opt.startswith("--") and arg.startswith(opt + "="):
                found = arg[len(opt) + 1 :]
            elif len(opt) == 2 and not arg.startswith("--") and arg.startswith(opt) and arg != opt:
                found = arg[2:]
    return found


def number_error(message: str, opts: Sequence[str], args: Sequence[str]) -> str | None:
    """The error for a number option the parser could not read, or None for another error.

    Parameters
    ----------
    message : str
        The parser's message.
    opts : sequence of str
        The option's names.
    args : sequence of str
        The command line, without the program name.

    Returns
    -------
    str or None
        ``--minutes '2,5' is not a number: write decimals with a point (2.5)``, or without the
        advice when the value has no decimal comma; None when ``message`` is not the parser's
        refusal of a number, or the option or its value cannot be found.

    Examples
    --------
    >>> number_error(
    ...     "Input should be a valid number, unable to parse string as a number",
    ...     ["--minutes", "-m"],
    ...     ["live", "-m", "2,5"],
    ... )
    "--minutes '2,5' is not a number: write decimals with a point (2.5)"
    """
    kind = next((k for start, k in _KINDS.items() if message.startswith(start)), None)
    named = [opt for opt in opts if opt.startswith("-")]
    value = typed_value(args, named) if kind and named else None
    if value is None:
        return None
    text = f"{max(named, key=len)} {value!r} is not {kind}"
    if kind == "a number" and (advice := point_advice(value)):
        text += f": {advice}"
    return text
