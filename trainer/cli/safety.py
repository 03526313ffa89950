"""``breathwise screen``: answer (or review) the red-flag safety questions in a terminal.

Also the terminal versions of the ``ask``/``tell`` callables of :mod:`trainer.programs.safety`, for
the headless mode: :func:`terminal_prompts` gives them when stdin is a terminal and ``None``
otherwise, so an unattended run refuses a back-focused program instead of waiting for input.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import textwrap
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated

import typer

from trainer.errors import UserError
from trainer.programs.safety import (
    RED_FLAG_QUESTIONS,
    Ask,
    Outcome,
    ScreenStore,
    Tell,
    ask_questions,
    changed_since,
    dated_after_today,
    outcome_of,
)

MAX_WIDTH = 78
"""Columns the questions and notes are wrapped to at most: lines longer than this are hard to
follow from one line to the next, however wide the terminal."""
MIN_WIDTH = 20
"""Columns they are wrapped to at least, whatever the terminal says (a width of 0 or 5 from an
odd terminal would put every word on its own line, or split them)."""


def text_width(*, err: bool = False) -> int:
    """Columns to wrap the questions and notes to: the terminal's, less one, between
    :data:`MIN_WIDTH` and :data:`MAX_WIDTH`.

    They were wrapped to 78 columns whatever the terminal: a 40-column one wrapped each line
    again, splitting words across rows ("tr" / "eat", "[y" / "/n]"), which a screen reader or
    a braille display reading by row reads as two words. One column is left
    free because many terminals move to the next row once the last column is written.

    Parameters
    ----------
    err : bool
        The text goes to standard error: its terminal's width is used (standard output may be
        a file, ``live --headless > log``).
    """
    columns = shutil.get_terminal_size().columns  # $COLUMNS, standard output's terminal, or 80
    if "COLUMNS" not in os.environ:
        stream = sys.stderr if err else sys.stdout
        # Not a terminal (a file, a test's capture): shutil's answer stands.
        with contextlib.suppress(AttributeError, ValueError, OSError):
            columns = os.get_terminal_size(stream.fileno()).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns - 1))


def terminal_tell(message: str, *, err: bool = False) -> None:
    """Print ``message`` wrapped to the terminal, followed by a blank line; each of its lines
    is wrapped on its own (a list stays a list) and keeps its indent. ``err`` prints on
    standard error, where a session's notes go (its standard output is what a replay prints
    again)."""
    width = text_width(err=err)
    for line in message.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        # A list item's wrapped lines line up under its text, not under its dash.
        hanging = indent + "  " if line.lstrip().startswith("- ") else indent
        typer.echo(
            textwrap.fill(line, width=width, initial_indent="", subsequent_indent=hanging),
            err=err,
        )
    typer.echo(err=err)


def terminal_ask(question: str, *, err: bool = False) -> bool:
    """Ask a yes/no question on the terminal; there is no default, an answer is required, and
    anything else is met with what to type (click's own reply is a bare "invalid input").
    ``err`` asks on standard error, as :func:`terminal_tell` tells.

    "[y/n]:" is wrapped with the question, as one more word, and a column is kept for the
    answer's first letter: added after the wrapping, it was split by the terminal ("[y" /
    "/n]: y")."""
    wrapped = textwrap.fill(f"{question} [y/n]:", width=text_width(err=err) - 2)
    while True:
        answer = typer.prompt(wrapped, default="", show_default=False, prompt_suffix=" ", err=err)
        word = answer.strip().lower()
        if word in ("y", "yes"):
            return True
        if word in ("n", "no"):
            return False
        typer.echo("Please type y (yes) or n (no), then Enter.", err=err)


def terminal_prompts(*, err: bool = False) -> tuple[Ask | None, Tell]:
    """``(ask, tell)`` for the terminal; ``ask`` is ``None`` when stdin is not a terminal, or
    when the questions would go to a standard error that is not one.

    ``err`` asks and tells on standard error: before a session, whose standard output is what
    a replay prints again (``live --headless > log`` had the questions in the log). With
    standard error redirected too (``> log 2>&1``), the questions went into the file while the
    keyboard was waited on, a blank terminal; no one can answer what they
    cannot read, so that is the unattended case, refused with advice unless answers are stored.
    """
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if err:
        interactive = interactive and sys.stderr is not None and sys.stderr.isatty()
    ask = partial(terminal_ask, err=err) if interactive else None
    return ask, partial(terminal_tell, err=err)


def _show(store: ScreenStore, today: date) -> None:
    record = store.load()
    if record is None:
        earlier = store.earlier_format_answered_on()
        if earlier is not None:
            typer.echo(
                f"{changed_since(earlier, sentence=True)}. Run `breathwise screen` to answer."
            )
        else:
            typer.echo("No safety answers are stored yet. Run `breathwise screen` to answer them.")
        return
    outcome = outcome_of(record)
    if record.dated_after(today):
        # Neither "expired" nor valid until a month from a future day (without
        # this, "expired, will be asked again; asked again from <a month ahead>").
        typer.echo(
            f"{dated_after_today(record.answered_on, today)} They are not relied on: the "
            "questions are asked again before the next back-focused session."
        )
    elif record.reusable and outcome is not Outcome.DECLINED:
        state = "valid" if record.valid_on(today) else "expired, will be asked again"
        typer.echo(
            f"Answered on {record.answered_on.isoformat()} ({state}; "
            f"asked again from {record.expires_on().isoformat()})."
        )
    else:
        # Asked again before the next back-focused session, whatever its age (an urgent sign,
        # or a "yes" declined): a 30-day date read "asked again from" a month away (found in
        # review).
        typer.echo(f"Answered on {record.answered_on.isoformat()}.")
    for question in RED_FLAG_QUESTIONS:
        answer = record.answers.get(question.key)
        shown = "not answered" if answer is None else ("yes" if answer else "no")
        typer.echo(f"  {shown:>12}  {question.text}")
    if not record.reusable:
        typer.echo(
            "A sign that needs a doctor the same day: the questions are asked again before "
            "every back-focused session."
        )
    elif outcome is Outcome.CONTINUE_AGAINST_ADVICE:
        typer.echo("You said a doctor has said these exercises are fine for you.")
    elif outcome is Outcome.DECLINED:
        typer.echo(
            "Back-focused programs stay off until you answer again: the questions are asked "
            "again before the next one."
        )


def screen(
    show: Annotated[
        bool, typer.Option("--show", help="Show the stored answers instead of asking.")
    ] = False,
) -> None:
    """Answer the safety questions asked before back-focused programs.

    The answers are kept for 30 days in your data folder; programs that work on the back ask
    for them when they are missing or older, and in between show the warning signs before
    every session and ask whether any of them is new. After a "yes" that needs a doctor the
    same day, or one you chose not to go on with, they are asked before every such session.
    Answers dated after today (the computer's clock set back, or ahead when they were given)
    are not relied on: check the clock, and answer again.

    Breathwise is not a medical device and makes no diagnosis; in an emergency, call your
    local emergency number.
    """
    store = ScreenStore()
    now = datetime.now(UTC)
    today = now.astimezone().date()
    if show:
        _show(store, today)
        return
    if sys.stdin is None or not sys.stdin.isatty():
        raise UserError(
            "the safety questions need someone at the keyboard (stdin is not a terminal)",
            advice="run `breathwise screen` in an interactive terminal",
        )
    earlier = store.earlier_format_answered_on() if store.load() is None else None
    if earlier is not None:
        terminal_tell(f"{changed_since(earlier, sentence=True)}: please answer them again.")
    record = ask_questions(terminal_ask, terminal_tell, today, now)
    store.save(record)
    outcome = outcome_of(record)
    typer.echo()
    if outcome is Outcome.CLEAR:
        terminal_tell(
            "Thank you. Back-focused programs are open to you; the questions come back on "
            f"{record.expires_on().isoformat()}."
        )
    elif outcome is Outcome.CONTINUE_AGAINST_ADVICE and not record.reusable:
        terminal_tell(
            "Noted. Because this sign needs a doctor the same day, the questions are asked "
            "again at the start of every session that works on the back: start those in a "
            "terminal."
        )
    elif outcome is Outcome.CONTINUE_AGAINST_ADVICE:
        terminal_tell("Noted. Go gently, and stop any exercise that causes pain.")
    else:
        terminal_tell(
            "Back-focused programs stay off for now. Run `breathwise screen` again once a "
            "doctor has cleared you."
        )
