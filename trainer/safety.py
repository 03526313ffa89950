"""The red-flag screen shown before back-focused programs, and the not-a-medical-device statement.

Back and neck pain are usually harmless, but a few signs point to something a doctor must see
first: severe leg pain, weakness or tingling; new trouble controlling the bladder or bowels;
unexplained fever, nausea or vomiting; a history of cancer or unexplained weight loss
(``programs.md``). Before a program marked ``back_focused`` the person answers four yes/no
questions; any "yes" shows the advice to see a doctor first and asks whether to continue anyway.
The answers are kept in the data directory (JSON, with the date) and asked again after
:data:`SCREEN_VALID_DAYS` days.

The logic here does no terminal I/O: the caller injects ``ask`` (a yes/no question, returning
the answer) and ``tell`` (show a message), so the Textual UI, the headless mode and tests all
drive the same code. Without ``ask`` (no one at the keyboard) a back-focused program is refused
until the screen has been answered with ``breathwise screen``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

from trainer.errors import UserError
from trainer.paths import DATA_FOLDER_ADVICE, data_dir, ensure_private_dir, replacing

MEDICAL_DISCLAIMER = (
    "Breathwise is a tool for practising and training your breathing. It is not a medical "
    "device: it does not diagnose, treat or monitor any illness, and its numbers are no "
    "substitute for a doctor's judgement. In an emergency, call your local emergency number "
    "instead of using an app."
)

SCREEN_VALID_DAYS = 30
"""Answers older than this many days are asked again."""

SCREEN_FILE = "safety-screen.json"
_FORMAT_VERSION = 1

Ask = Callable[[str], bool]
"""Puts a yes/no question to the person and returns True for "yes"."""
Tell = Callable[[str], None]
"""Shows a message to the person."""


@dataclass(frozen=True, slots=True)
class Question:
    """One red-flag question; ``key`` names it in the stored answers."""

    key: str
    text: str


RED_FLAG_QUESTIONS: tuple[Question, ...] = (
    Question(
        "leg_symptoms",
        "Do you have severe pain in a leg, or weakness, numbness or pins and needles in your legs?",
    ),
    Question(
        "bladder_bowel",
        "Have you recently started having trouble controlling your bladder or your bowels?",
    ),
    Question(
        "fever_nausea",
        "Do you have a fever, feel sick or keep vomiting, without a clear reason?",
    ),
    Question(
        "cancer_weight_loss",
        "Have you ever had cancer, or have you lost weight lately without meaning to?",
    ),
)

SCREEN_INTRO = (
    "Before a program that works on the back, four quick questions. They look for the rare "
    "signs that back trouble needs a doctor before any exercise. Answer yes or no."
)

DOCTOR_ADVICE = (
    "You answered yes to at least one question. Together with back or neck pain, that can be "
    "a sign of something that needs a doctor's attention. Please see a doctor before doing "
    "programs that work on the back, and seek urgent care if the symptom is new or getting "
    "worse."
)

CONTINUE_QUESTION = (
    "Have you already discussed this with a doctor, and do you want to continue anyway?"
)

REMINDER = (
    "Reminder: your safety answers included a yes. Go gently, stop at any pain, and keep your "
    "doctor informed."
)


@dataclass(frozen=True, slots=True)
class ScreenRecord:
    """Stored answers of one screen.

    Attributes
    ----------
    answered_on : date
        Day the questions were answered.
    answers : Mapping of str to bool
        ``True`` ("yes") or ``False`` per question key.
    confirmed : bool
        After a "yes", whether the person chose to continue anyway.
    """

    answered_on: date
    answers: Mapping[str, bool]
    confirmed: bool = False

    @property
    def flags(self) -> tuple[str, ...]:
        """Keys of the questions answered "yes"."""
        return tuple(q.key for q in RED_FLAG_QUESTIONS if self.answers.get(q.key, False))

    @property
    def complete(self) -> bool:
        """Whether every current question has an answer (a new question means asking again)."""
        return all(q.key in self.answers for q in RED_FLAG_QUESTIONS)

    def valid_on(self, today: date) -> bool:
        """Whether the answers still hold on ``today``: complete and under 30 days old.

        A date in the future (a clock set back) is not trusted.
        """
        age = today - self.answered_on
        return self.complete and timedelta(0) <= age < timedelta(days=SCREEN_VALID_DAYS)

    def expires_on(self) -> date:
        """First day on which the questions are asked again."""
        return self.answered_on + timedelta(days=SCREEN_VALID_DAYS)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form, as stored on disk."""
        return {
            "version": _FORMAT_VERSION,
            "answered_on": self.answered_on.isoformat(),
            "answers": dict(self.answers),
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_json(cls, data: object) -> ScreenRecord:
        """Rebuild a record from :meth:`to_json` output.

        Raises
        ------
        ValueError
            Anything malformed; the caller treats such a file as unanswered.
        """
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise ValueError("not a version-1 safety screen record")
        answers = data.get("answers")
        if not isinstance(answers, dict) or not all(
            isinstance(k, str) and isinstance(v, bool) for k, v in answers.items()
        ):
            raise ValueError("answers must map question keys to true/false")
        confirmed = data.get("confirmed", False)
        if not isinstance(confirmed, bool):
            raise ValueError("confirmed must be true or false")
        answered_on = date.fromisoformat(str(data.get("answered_on")))
        return cls(answered_on=answered_on, answers=dict(answers), confirmed=confirmed)


class Outcome(StrEnum):
    """What the screen decided for a program."""

    NOT_NEEDED = "not_needed"
    """The program is not back-focused."""
    CLEAR = "clear"
    """All answers "no"."""
    CONTINUE_AGAINST_ADVICE = "continue_against_advice"
    """A "yes", and the person chose to continue."""
    DECLINED = "declined"
    """A "yes", and the person chose not to continue."""


class ScreenRequired(UserError):
    """A back-focused program cannot start: the screen is unanswered or was declined."""


class ScreenDeclined(ScreenRequired):
    """The person answered a red flag "yes" and chose not to continue: their choice, the one
    the advice asks for, so it is reported as what happened rather than as an error."""

    heading = "not started"


def screen_path() -> Path:
    """Where the answers are kept: ``<data dir>/safety-screen.json``."""
    return data_dir() / SCREEN_FILE


class ScreenStore:
    """Reads and writes the stored answers (JSON, owner-only, replaced atomically).

    Parameters
    ----------
    path : Path, optional
        The JSON file; :func:`screen_path` by default.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = screen_path() if path is None else path

    def load(self) -> ScreenRecord | None:
        """The stored record, or ``None`` when there is none or it cannot be read.

        An unreadable record counts as unanswered: the questions are simply asked again,
        which is the safe side.
        """
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return ScreenRecord.from_json(data)
        except (OSError, UnicodeDecodeError, ValueError):
            return None

    def save(self, record: ScreenRecord) -> None:
        """Store ``record``, replacing any earlier one.

        Raises
        ------
        UserError
            The data directory cannot be written.
        """
        try:
            ensure_private_dir(self.path.parent, advice=DATA_FOLDER_ADVICE)
            with replacing(self.path) as temp:
                text = json.dumps(record.to_json(), indent=2)
                temp.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(
                f"{self.path}: cannot store the safety answers: {exc.strerror or exc}"
            ) from None


def ask_questions(ask: Ask, tell: Tell, today: date) -> ScreenRecord:
    """Put the four questions and, after any "yes", the advice and the continue question.

    Parameters
    ----------
    ask : callable
        Yes/no question -> answer.
    tell : callable
        Shows a message.
    today : date
        Date stored with the answers.
    """
    tell(SCREEN_INTRO)
    answers = {q.key: bool(ask(q.text)) for q in RED_FLAG_QUESTIONS}
    confirmed = False
    if any(answers.values()):
        tell(DOCTOR_ADVICE)
        confirmed = bool(ask(CONTINUE_QUESTION))
    return ScreenRecord(answered_on=today, answers=answers, confirmed=confirmed)


def outcome_of(record: ScreenRecord) -> Outcome:
    """The decision a record stands for."""
    if not record.flags:
        return Outcome.CLEAR
    return Outcome.CONTINUE_AGAINST_ADVICE if record.confirmed else Outcome.DECLINED


def check_before_program(
    back_focused: bool,
    *,
    store: ScreenStore,
    ask: Ask | None,
    tell: Tell,
    today: date,
    program_title: str = "this program",
) -> Outcome:
    """Run the red-flag screen if a program needs it, and say whether it may start.

    Stored answers younger than 30 days are reused; a stored "yes" that was confirmed is
    followed by a short reminder, a stored "yes" that was declined is asked again (the person
    may have seen a doctor since).

    Parameters
    ----------
    back_focused : bool
        Whether the program is back-focused (only then is the screen needed).
    store : ScreenStore
        Where answers are kept.
    ask : callable or None
        Yes/no question -> answer; ``None`` when no one can answer (no terminal on stdin).
    tell : callable
        Shows a message.
    today : date
        The current date.
    program_title : str
        Used in the refusal message.

    Returns
    -------
    Outcome
        ``NOT_NEEDED``, ``CLEAR`` or ``CONTINUE_AGAINST_ADVICE`` mean start; ``DECLINED`` means
        do not start (the caller ends the command, e.g. via :func:`require_clearance`).

    Raises
    ------
    ScreenRequired
        ``ask`` is ``None`` and there are no valid stored answers that allow the program.
    """
    if not back_focused:
        return Outcome.NOT_NEEDED
    stored = store.load()
    if stored is not None and stored.valid_on(today):
        outcome = outcome_of(stored)
        if outcome is Outcome.CLEAR:
            return outcome
        if outcome is Outcome.CONTINUE_AGAINST_ADVICE:
            tell(REMINDER)
            return outcome
    if ask is None:
        reason = (
            "your last answers advised seeing a doctor first"
            if stored is not None and stored.valid_on(today)
            else f"the safety questions have not been answered in the last {SCREEN_VALID_DAYS} days"
        )
        raise ScreenRequired(
            f"{program_title} works on the back, and {reason}",
            advice="answer them in a terminal with `breathwise screen`, then start again",
        )
    record = ask_questions(ask, tell, today)
    store.save(record)
    return outcome_of(record)


def require_clearance(
    back_focused: bool,
    *,
    store: ScreenStore,
    ask: Ask | None,
    tell: Tell,
    today: date,
    program_title: str = "this program",
) -> Outcome:
    """:func:`check_before_program`, raising :class:`ScreenRequired` when the answer is "don't".

    Raises
    ------
    ScreenRequired
        No usable answers without ``ask``, or the person chose not to continue.
    """
    outcome = check_before_program(
        back_focused, store=store, ask=ask, tell=tell, today=today, program_title=program_title
    )
    if outcome is Outcome.DECLINED:
        raise ScreenDeclined(
            f"{program_title} was not started, following the advice to see a doctor first",
            advice="once a doctor has cleared you, run `breathwise screen` again",
        )
    return outcome
