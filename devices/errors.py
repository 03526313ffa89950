"""Device-side errors: one base class, subclasses that carry advice for the user."""

from __future__ import annotations


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
        text = str(self)
        return f"{text} ({self.advice})" if self.advice else text


class DecodeError(BreathwiseDeviceError, ValueError):
    """A payload could not be decoded: truncated, inconsistent or of an unknown kind.

    Every decoder in :mod:`devices` raises only this for bad input bytes, never ``IndexError``,
    ``struct.error`` or the like, so a misbehaving sensor cannot crash a session.
    """
