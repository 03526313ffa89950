"""User-facing errors: expected failures that end a command with one line, never a traceback."""

from __future__ import annotations

from devices.errors import with_advice


class UserError(Exception):
    """An expected failure to report to the user in one line (bad file, bad value, no device).

    Parameters
    ----------
    message : str
        What went wrong, in one line, naming the file / value / device concerned.
    advice : str, optional
        What to do about it, appended after the message.
    exit_code : int
        Process exit code (1 for failures of the input or the environment, 2 for bad arguments).
    """

    heading = "error"
    """The word before the message: ``breathwise: error: ...``. A subclass for an outcome that
    is nobody's fault (a person's own choice) says what happened instead."""

    def __init__(self, message: str, advice: str = "", *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.advice = advice
        self.exit_code = exit_code

    def user_message(self) -> str:
        """The one line shown to the user."""
        return with_advice(str(self), self.advice)


class BadArgument(UserError):
    """A command-line value out of range or of the wrong kind (exit code 2)."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message, advice, exit_code=2)
