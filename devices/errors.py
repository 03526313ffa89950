"""Device-side errors: one base class, subclasses that carry advice for the user.

:func:`with_advice` is the one way a message and its advice are put on a line, for these and
for :class:`trainer.errors.UserError` alike, so every ``breathwise: error:`` line reads the same.
"""

from __future__ import annotations


def with_advice(message: str, advice: str) -> str:
    """The line a user sees: ``message — advice``, or the message alone without advice.

    A dash rather than parentheses: advice often holds an example in parentheses itself.
    """
    return f"{message} — {advice}" if advice else message


class BreathwiseDeviceError(Exception):
    """Base of every error raised by :mod:`devices`.

    Parameters
    ----------
    message : str
        What went wrong, in one line.
    advice : str, optional
        What the user can do about it, in one line.
    """

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice

    def user_message(self) -> str:
        """The message and the advice, as shown to a user."""
        return with_advice(str(self), self.advice)


class DecodeError(BreathwiseDeviceError, ValueError):
    """A payload could not be decoded: truncated, inconsistent or of an unknown kind.

    Every decoder in :mod:`devices` raises only this for bad input bytes, never ``IndexError``,
    ``struct.error`` or the like, so a misbehaving sensor cannot crash a session.
    """
