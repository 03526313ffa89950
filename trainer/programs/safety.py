"""The red-flag screen shown before back-focused programs, and the not-a-medical-device statement.

Back and neck pain are usually harmless, but a few signs point to something a doctor must see
first: severe leg pain, weakness or tingling; new trouble controlling the bladder or bowels;
unexplained fever, nausea or vomiting; a history of cancer or unexplained weight loss
(``docs/reference/programs.md``, "Safety": shown, not buried). Before a program marked
``back_focused`` the person answers four yes/no questions; any "yes" shows each such sign's own
advice (new bladder or bowel trouble, or numbness in the saddle area, needs urgent care the same
day; the others a doctor's visit before starting) and asks whether a doctor has said the exercises
are fine. The answers are kept in the data directory (JSON, with the moment they were given, in
UTC) and asked again after
:data:`SCREEN_VALID_DAYS` days. In between, every back-focused session still starts with the
red flags as a short list and one question: is any of them new since that screen? A "yes"
puts the four questions again.

An urgent sign answered "yes" is never kept as cleared: the person may go on with that one
session once they say a doctor has seen them for it and said the exercises are fine, but the
next back-focused session puts the four questions again, with the urgent advice, rather than
only asking whether a sign is *new* for 30 days (without this, "get medical help today"
could be set aside for a month by one answer). Asking again, rather than refusing back
programs outright, is what a person whose doctor has cleared them for exercise needs, and it
shows the same-day advice before every such session while the sign is there.

The not-a-medical-device statement (:data:`MEDICAL_DISCLAIMER`) is shown with the questions, after
their intro, whichever command asks them (``breathwise screen`` or ``live`` before a back-focused
program). Stored answers dated after today (the clock set back since, or ahead when they were
given) are not relied on; what is said of them names that and the clock, not "expired" or "not
answered in the last 30 days".

The logic here does no terminal I/O: the caller injects ``ask`` (a yes/no question, returning
the answer) and ``tell`` (show a message), so the Textual UI, the headless mode and tests all
drive the same code. Without ``ask`` (no one at the keyboard) a back-focused program is refused
until the screen has been answered with ``breathwise screen``; with valid answers that allow it,
the list is still shown, with what to do if any sign is new.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from trainer.errors import UserError
from trainer.storage.paths import DATA_FOLDER_ADVICE, data_dir, ensure_private_dir, replacing
from trainer.storage.safe_parse import json_loads

MEDICAL_DISCLAIMER = (
    "Breathwise is a tool for practising and training your breathing. It is not a medical "
    "device: it does not diagnose, treat or monitor any illness, and its numbers are no "
    "substitute for a doctor's judgement. In an emergency, call your local emergency number "
    "instead of using an app."
)

NOT_A_MEDICAL_DEVICE = (
    "Breathwise is a wellness and training tool, not a medical device: it makes no diagnosis."
)
"""The statement in one line, where a page or a summary shows numbers (the session report's
foot: programs.md, "Safety (must be shown, not buried)")."""

SCREEN_VALID_DAYS = 30
"""Answers older than this many days are asked again."""

FUTURE_TOLERANCE_DAYS = 1
"""A stored answer day this many days after today still counts as answered, not as a clock set
back, in a record that keeps only its local day (no ``answered_at``): a person who answered in
the evening and flew west sees the previous local day (without this, ``TZ=Etc/GMT+12`` right
after answering said "expired" and refused back programs). A record with ``answered_at`` reads
its day in the zone of today's date, so a day after today there is a clock set back."""

SCREEN_FILE = "safety-screen.json"
_FORMAT_VERSION = 2
"""Version of the stored answers. 2: the bladder/bowel question also asks about numbness in
the saddle area; a "no" stored as version 1 answered the narrower question, so such files are
read as unanswered and the questions asked again."""

Ask = Callable[[str], bool]
"""Puts a yes/no question to the person and returns True for "yes"."""
Tell = Callable[[str], None]
"""Shows a message to the person."""


@dataclass(frozen=True, slots=True)
class Question:
    """One red-flag question.

    Attributes
    ----------
    key : str
        Names the question in the stored answers.
    text : str
        The question as asked.
    sign : str
        The sign in a few words, for the list shown before every back-focused session.
    advice : str
        What to do when the answer is "yes": it names no illness (the trainer makes no
        diagnosis), only how soon a doctor should see the person.
    urgent : bool
        A "yes" needs care the same day, not a visit in the coming days.
    """

    key: str
    text: str
    sign: str
    advice: str
    urgent: bool = False


_SEE_A_DOCTOR = "please see a doctor before you start programs that work on the back"

RED_FLAG_QUESTIONS: tuple[Question, ...] = (
    Question(
        "leg_symptoms",
        "Do you have severe pain in a leg, or weakness, numbness or pins and needles in your legs?",
        "severe leg pain, or weakness, numbness or tingling in the legs",
        "Severe leg pain, or weakness, numbness or tingling in the legs, can be a sign that "
        f"needs a doctor's check: {_SEE_A_DOCTOR}, and soon if it is getting worse.",
    ),
    Question(
        "bladder_bowel",
        "Have you recently started having trouble controlling your bladder or your bowels, or "
        "feel numb between the legs or around the bottom (the saddle area)?",
        "new trouble controlling the bladder or bowels, or numbness in the saddle area",
        "New trouble controlling the bladder or bowels, or numbness in the saddle area, "
        "together with back pain needs a doctor's check urgently: get medical help today "
        "(an urgent care service or emergency services), not an exercise program.",
        urgent=True,
    ),
    Question(
        "fever_nausea",
        "Do you have a fever, feel sick or keep vomiting, without a clear reason?",
        "fever, nausea or vomiting without a clear reason",
        "A fever, nausea or vomiting without a clear reason, together with back pain, can be "
        f"a sign that needs a doctor's check: {_SEE_A_DOCTOR}.",
    ),
    Question(
        "cancer_weight_loss",
        "Have you ever had cancer, or have you lost weight lately without meaning to?",
        "a history of cancer, or weight loss you cannot explain",
        "A history of cancer, or weight loss you cannot explain, together with back pain, can "
        f"be a sign that needs a doctor's check: {_SEE_A_DOCTOR}.",
    ),
)

SCREEN_INTRO = (
    "Before a program that works on the back, four quick questions. They look for the rare "
    "signs that back trouble needs a doctor before any exercise. Answer yes or no."
)

CONTINUE_QUESTION = "Has a doctor said these exercises are fine for you?"

URGENT_CONTINUE_QUESTION = (
    "Has a doctor seen you for these signs since they started, and said these exercises are "
    "fine for you?"
)
"""The continue question after an urgent sign: the advice is care today, so only a doctor who
has seen these signs can have cleared the exercises."""

URGENT_ONCE = (
    "You may go on with this session. Because this sign needs a doctor the same day, these "
    "questions are asked again before your next session that works on the back."
)
"""Said after an urgent sign is cleared by a doctor: that answer is not kept (see above)."""

URGENT_UNATTENDED_ADVICE = (
    "while it stands, the questions are asked at the start of each session that works on the "
    "back: start it in a terminal to answer them (once the sign is gone, answer them again "
    "with `breathwise screen`)"
)
"""The advice of the refusal of a back-focused session without a terminal after an urgent
"yes": answers with an urgent sign are never reused (:attr:`ScreenRecord.reusable`), so
answering them again with ``breathwise screen`` helps only once the sign is gone."""

REMINDER = (
    "Reminder: your safety answers included a yes. Go gently, stop at any pain, and keep your "
    "doctor informed."
)

CARD_REMINDER = "Your safety answers included a yes: go gently, stop at any pain."
""":data:`REMINDER` for the session's screen, which covers what was printed before it opens:
short enough for the border of the first step card of an 80-column terminal."""


def doctor_advice(flags: Sequence[str]) -> str:
    """The advice for the questions answered "yes" (keys), the urgent ones first, one line
    each; it names no illness, only how soon a doctor should see the person."""
    chosen = [q for q in RED_FLAG_QUESTIONS if q.key in flags]
    chosen.sort(key=lambda q: not q.urgent)
    return "\n".join(q.advice for q in chosen)


def _answer_day(answered_on: date, today: date) -> str:
    """The day of the last full check as shown: never one after ``today`` (a date-only record
    answered further east, :data:`FUTURE_TOLERANCE_DAYS`), which read "new since <tomorrow>"."""
    return "today" if answered_on > today else answered_on.isoformat()


def check_in_list(answered_on: date, today: date) -> str:
    """The red flags as a short list, shown before every back-focused session, and since
    when the person has said none of them applies (or that a doctor has said the exercises
    are fine)."""
    day = _answer_day(answered_on, today)
    lines = [
        "This program works on the back. Warning signs (last full check "
        f"{day if day == 'today' else f'on {day}'}):"
    ]
    lines += [f"  - {q.sign}" for q in RED_FLAG_QUESTIONS]
    # The statement with the list, not only with the full questions every 30 days: the
    # sessions between showed the signs without it (programs.md: "shown, not buried").
    lines.append(CHECK_IN_STATEMENT)
    return "\n".join(lines)


CHECK_IN_STATEMENT = f"{NOT_A_MEDICAL_DEVICE} In an emergency, call your local emergency number."
"""The not-a-medical-device statement under the check-in list (:func:`check_in_list`)."""


def dated_after_today(answered_on: date, today: date) -> str:
    """What is said of stored answers dated after ``today`` (:meth:`ScreenRecord.dated_after`)."""
    return (
        f"Your stored safety answers are dated {answered_on.isoformat()}, after today "
        f"({today.isoformat()}): check the computer's clock and date."
    )


def check_in_question(answered_on: date, today: date) -> str:
    """The one question asked before every back-focused session between two full screens."""
    return f"Any of these new since {_answer_day(answered_on, today)}?"


UNATTENDED_CHECK_IN = (
    "If any of them is new, stop this session and answer the questions again with "
    "`breathwise screen`."
)
"""Said instead of the check-in question when no one can answer it (stdin not a terminal)."""


@dataclass(frozen=True, slots=True)
class ScreenRecord:
    """Stored answers of one screen.

    Attributes
    ----------
    answered_on : date
        Day the questions were answered, in the time zone the program runs in now (read from
        ``answered_at`` when stored, so a change of time zone moves it with today's date).
    answers : Mapping of str to bool
        ``True`` ("yes") or ``False`` per question key.
    confirmed : bool
        After a "yes", whether the person said a doctor has said the exercises are fine.
        Never stored for an urgent sign (:meth:`to_json`): that clearance holds for the
        session it was given for only.
    answered_at : datetime or None
        The moment of answering, time-zone aware; ``None`` in records from before it was kept
        (a local date only).
    """

    answered_on: date
    answers: Mapping[str, bool]
    confirmed: bool = False
    answered_at: datetime | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        """Keys of the questions answered "yes"."""
        return tuple(q.key for q in RED_FLAG_QUESTIONS if self.answers.get(q.key, False))

    @property
    def urgent_flags(self) -> tuple[str, ...]:
        """Keys of the urgent questions (care the same day) answered "yes"."""
        return tuple(
            q.key for q in RED_FLAG_QUESTIONS if q.urgent and self.answers.get(q.key, False)
        )

    @property
    def reusable(self) -> bool:
        """Whether later sessions may rely on these answers with only the check-in question:
        not with an urgent sign, which is asked about again every time."""
        return not self.urgent_flags

    @property
    def complete(self) -> bool:
        """Whether every current question has an answer (a new question means asking again)."""
        return all(q.key in self.answers for q in RED_FLAG_QUESTIONS)

    def valid_on(self, today: date) -> bool:
        """Whether the answers still hold on ``today``: complete and under 30 days old.

        An answer day after ``today`` is a clock set back and is not trusted, except up to
        :data:`FUTURE_TOLERANCE_DAYS` ahead in a record without ``answered_at``, where it is a
        change of time zone (with ``answered_at`` the day is read in today's zone already).
        """
        age = today - self.answered_on
        earliest = timedelta(days=-FUTURE_TOLERANCE_DAYS if self.answered_at is None else 0)
        return self.complete and earliest <= age < timedelta(days=SCREEN_VALID_DAYS)

    def dated_after(self, today: date) -> bool:
        """Whether the answer day is later than :meth:`valid_on` accepts: the computer's clock
        was set back since, or was ahead when they were given. Such answers are not trusted,
        and are neither "expired" nor "not answered in the last 30 days" (without this,
        both were said, with "asked again from" a date a month ahead)."""
        ahead = timedelta(days=FUTURE_TOLERANCE_DAYS if self.answered_at is None else 0)
        return self.answered_on - today > ahead

    def expires_on(self) -> date:
        """First day on which the questions are asked again."""
        return self.answered_on + timedelta(days=SCREEN_VALID_DAYS)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form, as stored on disk; a doctor's clearance of an urgent sign is not
        kept (it was for that session only)."""
        data: dict[str, object] = {
            "version": _FORMAT_VERSION,
            "answered_on": self.answered_on.isoformat(),
            "answers": dict(self.answers),
            "confirmed": self.confirmed and self.reusable,
        }
        if self.answered_at is not None:
            data["answered_at"] = self.answered_at.astimezone(UTC).isoformat()
        return data

    @classmethod
    def from_json(cls, data: object) -> ScreenRecord:
        """Rebuild a record from :meth:`to_json` output.

        Raises
        ------
        ValueError
            Anything malformed; the caller treats such a file as unanswered.
        """
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"not a version-{_FORMAT_VERSION} safety screen record")
        answers = data.get("answers")
        if not isinstance(answers, dict) or not all(
            isinstance(k, str) and isinstance(v, bool) for k, v in answers.items()
        ):
            raise ValueError("answers must map question keys to true/false")
        confirmed = data.get("confirmed", False)
        if not isinstance(confirmed, bool):
            raise ValueError("confirmed must be true or false")
        answered_on = date.fromisoformat(str(data.get("answered_on")))
        answered_at = None
        if data.get("answered_at") is not None:
            answered_at = datetime.fromisoformat(str(data["answered_at"]))
            if answered_at.tzinfo is None:
                raise ValueError("answered_at must carry its time zone")
            # The day in the zone the program runs in now, comparable with date.today().
            answered_on = answered_at.astimezone().date()
        return cls(
            answered_on=answered_on,
            answers=dict(answers),
            confirmed=confirmed,
            answered_at=answered_at,
        )


class Outcome(StrEnum):
    """What the screen decided for a program."""

    NOT_NEEDED = "not_needed"
    """The program is not back-focused."""
    CLEAR = "clear"
    """All answers "no"."""
    CONTINUE_AGAINST_ADVICE = "continue_against_advice"
    """A "yes", and the person said a doctor has said the exercises are fine."""
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
            data = json_loads(self.path.read_text(encoding="utf-8"))
            return ScreenRecord.from_json(data)
        except (OSError, UnicodeDecodeError, ValueError):
            return None

    def earlier_format_answered_on(self) -> date | None:
        """The day answers stored by an earlier Breathwise (an older version of the record,
        which :meth:`load` reads as none) were given, or ``None`` when the record is of this
        version, missing or unreadable. So the person is told the questions changed, not that
        they never answered (without this, answers of the same day were "not answered in
        the last 30 days")."""
        try:
            data = json_loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        if not 1 <= version < _FORMAT_VERSION:
            return None
        try:
            return date.fromisoformat(str(data.get("answered_on")))
        except ValueError:
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


def changed_since(answered_on: date, *, sentence: bool = False) -> str:
    """Why answers an earlier Breathwise stored are asked again, in words (``sentence``: as
    the start of a sentence)."""
    return (
        f"{'The' if sentence else 'the'} safety questions have changed since you answered them "
        f"on {answered_on.isoformat()} (with an earlier Breathwise)"
    )


def ask_questions(ask: Ask, tell: Tell, today: date, now: datetime | None = None) -> ScreenRecord:
    """Put the four questions, after the intro and :data:`MEDICAL_DISCLAIMER`, and, after any
    "yes", its advice and the continue question (:data:`URGENT_CONTINUE_QUESTION` after an urgent
    sign). What the answers mean for a session is the caller's to say: ``breathwise screen``
    runs none (it had said "You may go on with this session", then that the questions are
    asked before every session).

    Parameters
    ----------
    ask : callable
        Yes/no question -> answer.
    tell : callable
        Shows a message.
    today : date
        Date stored with the answers.
    now : datetime, optional
        Aware moment stored with them, so a later change of time zone reads the same moment.
    """
    tell(SCREEN_INTRO)
    # With the questions, whichever command asks them (docs/reference/programs.md, "Safety
    # (must be shown, not buried)"): it was printed by `breathwise screen` alone, so a person
    # who first met the questions in `live --program back-release` never saw it.
    tell(MEDICAL_DISCLAIMER)
    answers = {q.key: bool(ask(q.text)) for q in RED_FLAG_QUESTIONS}
    confirmed = False
    flags = [key for key, yes in answers.items() if yes]
    if flags:
        tell(doctor_advice(flags))
        record = ScreenRecord(answered_on=today, answers=answers, answered_at=now)
        confirmed = bool(ask(CONTINUE_QUESTION if record.reusable else URGENT_CONTINUE_QUESTION))
    return ScreenRecord(answered_on=today, answers=answers, confirmed=confirmed, answered_at=now)


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
    now: datetime | None = None,
) -> Outcome:
    """Run the red-flag screen if a program needs it, and say whether it may start.

    Stored answers younger than 30 days are reused, after the red flags are shown as a short
    list with one question, whether any of them is new since those answers ("yes" puts the
    four questions again: a sign that appears between two full screens must not wait for the
    next one). A "yes" the person goes on with, a doctor having said the exercises are fine,
    is followed by a short reminder (:data:`REMINDER`), in the session it was answered for as
    in those that reuse it; a stored "yes" that was declined is asked again (the person may
    have seen a doctor since), and so is a stored urgent "yes", whatever was answered to it
    (:attr:`ScreenRecord.reusable`). Without ``ask`` the list is shown with what to do if a
    sign is new. Stored answers dated after ``today`` (:meth:`ScreenRecord.dated_after`) are
    asked again, saying so and to check the clock; without ``ask`` the refusal says it.

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
    now : datetime, optional
        Aware current moment, stored with new answers (:func:`ask_questions`).

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
    if stored is not None and stored.valid_on(today) and stored.reusable:
        outcome = outcome_of(stored)
        if outcome is not Outcome.DECLINED:
            tell(check_in_list(stored.answered_on, today))
            if ask is None:
                tell(UNATTENDED_CHECK_IN)
                new_sign = False
            else:
                new_sign = bool(ask(check_in_question(stored.answered_on, today)))
            if not new_sign:
                if outcome is Outcome.CONTINUE_AGAINST_ADVICE:
                    tell(REMINDER)
                return outcome
    future = stored is not None and stored.dated_after(today)
    earlier = store.earlier_format_answered_on() if stored is None else None
    if ask is None:
        advice = "answer them in a terminal with `breathwise screen`, then start again"
        if stored is not None and stored.valid_on(today) and not stored.reusable:
            reason = "your last answers included a sign that needs a doctor the same day"
            # `breathwise screen` would store answers that are again asked about at the next
            # session: its advice led back here for ever.
            advice = URGENT_UNATTENDED_ADVICE
        elif stored is not None and stored.valid_on(today):
            reason = "your last answers advised seeing a doctor first"
        elif stored is not None and future:
            reason = (
                f"the stored safety answers are dated {stored.answered_on.isoformat()}, after "
                f"today ({today.isoformat()})"
            )
            advice = (
                "check the computer's clock and date, answer the questions again in a "
                "terminal with `breathwise screen`, then start again"
            )
        elif earlier is not None:
            reason = changed_since(earlier)
        else:
            reason = (
                f"the safety questions have not been answered in the last {SCREEN_VALID_DAYS} days"
            )
        raise ScreenRequired(f"{program_title} works on the back, and {reason}", advice=advice)
    if stored is not None and future:
        tell(f"{dated_after_today(stored.answered_on, today)} The questions again:")
    elif earlier is not None:
        tell(f"{changed_since(earlier, sentence=True)}: please answer them again.")
    record = ask_questions(ask, tell, today, now)
    store.save(record)
    outcome = outcome_of(record)
    if outcome is Outcome.CONTINUE_AGAINST_ADVICE:
        if not record.reusable:
            tell(URGENT_ONCE)
        # This session too, not only the next ones that reuse the answers (without this,
        # headless, a doctor-cleared "yes" went straight to the tips and the session).
        tell(REMINDER)
    return outcome


def require_clearance(
    back_focused: bool,
    *,
    store: ScreenStore,
    ask: Ask | None,
    tell: Tell,
    today: date,
    program_title: str = "this program",
    now: datetime | None = None,
) -> Outcome:
    """:func:`check_before_program`, raising :class:`ScreenRequired` when the answer is "don't".

    Raises
    ------
    ScreenRequired
        No usable answers without ``ask``, or the person chose not to continue.
    """
    outcome = check_before_program(
        back_focused,
        store=store,
        ask=ask,
        tell=tell,
        today=today,
        program_title=program_title,
        now=now,
    )
    if outcome is Outcome.DECLINED:
        raise ScreenDeclined(
            f"{program_title} was not started, following the advice to see a doctor first",
            advice="once a doctor has cleared you, run `breathwise screen` again",
        )
    return outcome
