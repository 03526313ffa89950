"""Red-flag screen: asked before back-focused programs, kept 30 days with a check-in before
every session, advice per sign, refusals are clear."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from fake_terminal import Terminal
from typer.testing import CliRunner

from trainer.cli.safety import screen
from trainer.programs.safety import (
    CONTINUE_QUESTION,
    MEDICAL_DISCLAIMER,
    RED_FLAG_QUESTIONS,
    REMINDER,
    SCREEN_INTRO,
    SCREEN_VALID_DAYS,
    UNATTENDED_CHECK_IN,
    URGENT_CONTINUE_QUESTION,
    URGENT_ONCE,
    URGENT_UNATTENDED_ADVICE,
    Outcome,
    ScreenRecord,
    ScreenRequired,
    ScreenStore,
    ask_questions,
    check_before_program,
    check_in_list,
    check_in_question,
    dated_after_today,
    doctor_advice,
    require_clearance,
    screen_path,
)

TODAY = date(2025, 3, 1)


class Person:
    """Scripted answers: ``yes_to`` question keys get "yes", the continue question gets
    ``carry_on``, the check-in before a session ("Any of these new since ...?") ``new_sign``;
    records every question and message."""

    def __init__(
        self, yes_to: tuple[str, ...] = (), carry_on: bool = False, new_sign: bool = False
    ) -> None:
        self.yes_to = yes_to
        self.carry_on = carry_on
        self.new_sign = new_sign
        self.asked: list[str] = []
        self.told: list[str] = []

    def ask(self, question: str) -> bool:
        self.asked.append(question)
        if question in (CONTINUE_QUESTION, URGENT_CONTINUE_QUESTION):
            return self.carry_on
        if question.startswith("Any of these new since "):
            return self.new_sign
        key = next(q.key for q in RED_FLAG_QUESTIONS if q.text == question)
        return key in self.yes_to

    def tell(self, message: str) -> None:
        self.told.append(message)


@pytest.fixture()
def store(tmp_path: Path) -> ScreenStore:
    return ScreenStore(tmp_path / "data" / "safety-screen.json")


def run(
    store: ScreenStore, person: Person | None, today: date = TODAY, back: bool = True
) -> Outcome:
    ask: Callable[[str], bool] | None = person.ask if person is not None else None
    tell = person.tell if person is not None else (lambda message: None)
    return check_before_program(
        back, store=store, ask=ask, tell=tell, today=today, program_title="Back-release routine"
    )


def test_four_distinct_questions_and_the_disclaimer() -> None:
    assert len(RED_FLAG_QUESTIONS) == 4
    assert len({q.key for q in RED_FLAG_QUESTIONS}) == 4
    assert all(q.text.endswith("?") for q in RED_FLAG_QUESTIONS)
    assert "not a medical device" in MEDICAL_DISCLAIMER
    assert "emergency" in MEDICAL_DISCLAIMER


def test_programs_that_are_not_back_focused_ask_nothing(store: ScreenStore) -> None:
    person = Person()
    assert run(store, person, back=False) is Outcome.NOT_NEEDED
    assert person.asked == [] and not store.path.exists()


def test_all_no_is_clear_stored_and_reused_for_thirty_days(store: ScreenStore) -> None:
    person = Person()
    assert run(store, person) is Outcome.CLEAR
    assert person.asked == [q.text for q in RED_FLAG_QUESTIONS]
    assert person.told == [SCREEN_INTRO, MEDICAL_DISCLAIMER]  # no advice after four "no"
    stored = json.loads(store.path.read_text())
    assert stored["answered_on"] == TODAY.isoformat()
    assert not stat.S_IMODE(os.stat(store.path).st_mode) & 0o077

    # Within 30 days: not the four questions, but the list and one question, every session.
    again = Person()
    last_valid_day = TODAY + timedelta(days=SCREEN_VALID_DAYS - 1)
    assert run(store, again, today=last_valid_day) is Outcome.CLEAR
    assert again.asked == ["Any of these new since 2025-03-01?"]
    assert again.told == [check_in_list(TODAY, last_valid_day)]
    # The statement stands with the list at every session between full screens, not only
    # with the questions every 30 days (review 37 F7).
    assert "not a medical device" in again.told[0] and "emergency" in again.told[0]
    expired = Person()
    assert run(store, expired, today=TODAY + timedelta(days=SCREEN_VALID_DAYS)) is Outcome.CLEAR
    assert expired.asked == [q.text for q in RED_FLAG_QUESTIONS]


def test_a_clear_screen_still_shows_the_red_flags_before_every_session(
    store: ScreenStore,
) -> None:
    """Found in a physiotherapist's review: with stored "no" answers a back program started
    with no safety text at all for 30 days (docs/reference/programs.md: "must be shown, not
    buried")."""
    store.save(ScreenRecord(TODAY, {q.key: False for q in RED_FLAG_QUESTIONS}))
    person = Person()
    assert run(store, person, today=TODAY + timedelta(days=5)) is Outcome.CLEAR
    shown = "\n".join(person.told)
    # Every sign the brief lists, in a short list, and the date of the last full screen.
    for sign in (
        "leg pain",
        "weakness",
        "tingling",
        "bladder or bowels",
        "fever",
        "nausea",
        "vomiting",
        "cancer",
        "weight loss",
    ):
        assert sign in shown, sign
    assert shown.count("\n  - ") == len(RED_FLAG_QUESTIONS)
    assert (
        person.asked == [check_in_question(TODAY, TODAY)] == ["Any of these new since 2025-03-01?"]
    )


def test_a_new_sign_since_the_last_screen_puts_the_four_questions_again(
    store: ScreenStore,
) -> None:
    store.save(ScreenRecord(TODAY, {q.key: False for q in RED_FLAG_QUESTIONS}))
    later = TODAY + timedelta(days=9)
    person = Person(yes_to=("leg_symptoms",), carry_on=False, new_sign=True)
    assert run(store, person, today=later) is Outcome.DECLINED
    assert person.asked[0] == check_in_question(TODAY, TODAY)
    assert person.asked[1:5] == [q.text for q in RED_FLAG_QUESTIONS]
    record = store.load()
    assert record is not None and record.answered_on == later
    assert record.flags == ("leg_symptoms",)
    # Nothing new after a "yes" one chose to continue with: the reminder, no questions.
    store.save(
        ScreenRecord(
            TODAY, {q.key: q.key == "leg_symptoms" for q in RED_FLAG_QUESTIONS}, confirmed=True
        )
    )
    carrying_on = Person()
    assert run(store, carrying_on, today=later) is Outcome.CONTINUE_AGAINST_ADVICE
    assert carrying_on.asked == [check_in_question(TODAY, TODAY)]
    assert carrying_on.told == [check_in_list(TODAY, TODAY), REMINDER]


def test_a_yes_shows_the_advice_and_asks_to_continue(store: ScreenStore) -> None:
    person = Person(yes_to=("leg_symptoms",), carry_on=True)
    assert run(store, person) is Outcome.CONTINUE_AGAINST_ADVICE
    assert doctor_advice(["leg_symptoms"]) in person.told
    assert person.asked[-1] == CONTINUE_QUESTION
    # Found in review: the reminder came only from the next session on.
    assert person.told[-1] == REMINDER
    # Later the same month: only the check-in, and a reminder.
    later = Person()
    assert run(store, later, today=TODAY + timedelta(days=3)) is Outcome.CONTINUE_AGAINST_ADVICE
    assert later.asked == [check_in_question(TODAY, TODAY)] and REMINDER in later.told


@pytest.mark.parametrize("also", [(), ("leg_symptoms",)])
def test_an_urgent_yes_cleared_by_a_doctor_holds_for_this_session_only(
    store: ScreenStore, also: tuple[str, ...]
) -> None:
    """Found in review: a "yes" to the bladder/saddle question says get medical help today,
    yet a "yes" to the continue question was stored as confirmed and later sessions asked only
    whether a sign was new, for 30 days."""
    person = Person(yes_to=("bladder_bowel", *also), carry_on=True)
    assert run(store, person) is Outcome.CONTINUE_AGAINST_ADVICE
    assert person.asked[-1] == URGENT_CONTINUE_QUESTION
    assert person.told[-3:] == [doctor_advice(["bladder_bowel", *also]), URGENT_ONCE, REMINDER]
    record = store.load()
    assert record is not None and "bladder_bowel" in record.flags and not record.confirmed
    # The next session, the next day: the four questions and the urgent advice again.
    later = Person()
    assert run(store, later, today=TODAY + timedelta(days=1)) is Outcome.CLEAR
    assert later.asked == [q.text for q in RED_FLAG_QUESTIONS]
    # Unattended, it is refused, saying why.
    store.save(ScreenRecord(TODAY, {q.key: q.key == "bladder_bowel" for q in RED_FLAG_QUESTIONS}))
    with pytest.raises(ScreenRequired, match="needs a doctor the same day"):
        run(store, None, today=TODAY + timedelta(days=1))


def test_an_urgent_yes_stored_as_confirmed_is_asked_about_again(store: ScreenStore) -> None:
    """A file written before the fix (confirmed with an urgent "yes") is not trusted either."""
    store.path.parent.mkdir(parents=True)
    record = ScreenRecord(TODAY, {q.key: q.key == "bladder_bowel" for q in RED_FLAG_QUESTIONS})
    stored = {**record.to_json(), "confirmed": True}
    store.path.write_text(json.dumps(stored))
    loaded = store.load()
    assert loaded is not None and loaded.confirmed
    person = Person(yes_to=("bladder_bowel",), carry_on=False)
    assert run(store, person, today=TODAY + timedelta(days=2)) is Outcome.DECLINED
    assert person.asked == [*(q.text for q in RED_FLAG_QUESTIONS), URGENT_CONTINUE_QUESTION]


def test_each_sign_has_its_own_advice_and_the_urgent_one_says_today() -> None:
    """Found in review: one text for every red flag. New bladder or bowel trouble, or
    numbness in the saddle area, needs care the same day; the other signs a doctor before
    starting. The advice names no illness: the trainer makes no diagnosis."""
    advice = {q.key: doctor_advice([q.key]) for q in RED_FLAG_QUESTIONS}
    assert len(set(advice.values())) == len(RED_FLAG_QUESTIONS)
    assert "saddle" in advice["bladder_bowel"] and "today" in advice["bladder_bowel"]
    assert "emergency" in advice["bladder_bowel"]
    for key in ("leg_symptoms", "fever_nausea", "cancer_weight_loss"):
        assert "see a doctor before you start" in advice[key], key
        assert "today" not in advice[key], key
    for text in advice.values():
        assert "doctor's check" in text
        for diagnosis in ("syndrome", "cauda", "infection", "tumour", "fracture", "disc"):
            assert diagnosis not in text.lower()
    # Two signs: the urgent one first, each once.
    both = doctor_advice(["leg_symptoms", "bladder_bowel"]).splitlines()
    assert both == [advice["bladder_bowel"], advice["leg_symptoms"]]
    assert "numb" in next(q.text for q in RED_FLAG_QUESTIONS if q.key == "bladder_bowel")


def test_the_continue_question_asks_one_thing() -> None:
    """It asked two at once: "already discussed this with a doctor, and do you want to
    continue anyway?"."""
    assert CONTINUE_QUESTION == "Has a doctor said these exercises are fine for you?"


def test_declining_stops_the_program_and_is_asked_again_next_time(store: ScreenStore) -> None:
    person = Person(yes_to=("leg_symptoms", "cancer_weight_loss"), carry_on=False)
    with pytest.raises(ScreenRequired, match="see a doctor first") as caught:
        require_clearance(
            True, store=store, ask=person.ask, tell=person.tell, today=TODAY, program_title="X"
        )
    # Declining is the advice followed, not a failure: the CLI says "not started", not "error".
    assert caught.value.heading == "not started"
    record = store.load()
    assert record is not None and record.flags == ("leg_symptoms", "cancer_weight_loss")
    # Seen a doctor since: the questions come back instead of a standing refusal.
    cleared = Person()
    assert run(store, cleared, today=TODAY + timedelta(days=1)) is Outcome.CLEAR
    assert len(cleared.asked) == 4


def test_no_one_at_the_keyboard_refuses_with_how_to_answer(store: ScreenStore) -> None:
    with pytest.raises(
        ScreenRequired, match="have not been answered in the last 30 days"
    ) as caught:
        run(store, None)
    message = caught.value.user_message()
    assert "Back-release routine" in message and "breathwise screen" in message
    assert not store.path.exists()


def test_no_one_at_the_keyboard_uses_valid_clear_answers(store: ScreenStore) -> None:
    store.save(ScreenRecord(TODAY, {q.key: False for q in RED_FLAG_QUESTIONS}))
    told: list[str] = []
    outcome = check_before_program(
        True, store=store, ask=None, tell=told.append, today=TODAY + timedelta(days=2)
    )
    # The list is shown all the same, with what to do when a sign is new.
    assert outcome is Outcome.CLEAR
    assert told == [check_in_list(TODAY, TODAY), UNATTENDED_CHECK_IN]
    assert "breathwise screen" in UNATTENDED_CHECK_IN
    store.save(ScreenRecord(TODAY, {q.key: q.key == "fever_nausea" for q in RED_FLAG_QUESTIONS}))
    with pytest.raises(ScreenRequired, match="doctor first"):
        run(store, None)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"version": 2, "answered_on": "yesterday", "answers": {}}',
        '{"version": 9, "answered_on": "2025-03-01", "answers": {}}',
        '{"version": 2, "answered_on": "2025-03-01", "answers": {"leg_symptoms": "no"}}',
    ],
)
def test_unreadable_answers_count_as_unanswered(store: ScreenStore, content: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    assert store.load() is None
    person = Person()
    assert run(store, person) is Outcome.CLEAR and len(person.asked) == 4


def test_answers_to_the_narrower_bladder_question_are_asked_again(store: ScreenStore) -> None:
    """Found in review: saddle numbness joined the bladder/bowel question under the same key
    and format version, so a stored "no" to the old, narrower question stayed valid."""
    store.path.parent.mkdir(parents=True)
    old_answers = {q.key: False for q in RED_FLAG_QUESTIONS}
    store.path.write_text(
        json.dumps({"version": 1, "answered_on": TODAY.isoformat(), "answers": old_answers})
    )
    assert store.load() is None
    # Said as it is: the questions changed, not "not answered in the last 30 days" (found in
    # review: for answers given that very day).
    changed = (
        f"the safety questions have changed since you answered them on {TODAY.isoformat()} "
        "(with an earlier Breathwise)"
    )
    with pytest.raises(ScreenRequired) as refused:
        run(store, None, today=TODAY + timedelta(days=1))
    assert str(refused.value) == f"Back-release routine works on the back, and {changed}"
    person = Person()
    assert run(store, person, today=TODAY + timedelta(days=1)) is Outcome.CLEAR
    assert person.told[0] == f"T{changed[1:]}: please answer them again."
    assert person.asked == [q.text for q in RED_FLAG_QUESTIONS]
    # Answered again, the new answers are kept in the new format and reused.
    assert json.loads(store.path.read_text())["version"] == 2
    again = Person()
    assert run(store, again, today=TODAY + timedelta(days=2)) is Outcome.CLEAR
    assert again.asked == [check_in_question(TODAY + timedelta(days=1), TODAY + timedelta(days=2))]


def test_incomplete_or_future_answers_are_not_trusted() -> None:
    partial = ScreenRecord(TODAY, {"leg_symptoms": False})
    assert not partial.valid_on(TODAY)
    full = ScreenRecord(TODAY, {q.key: False for q in RED_FLAG_QUESTIONS})
    assert full.valid_on(TODAY)
    # One day ahead is a change of time zone (answered, then flew west); two is a clock set back.
    assert full.valid_on(TODAY - timedelta(days=1))
    assert not full.valid_on(TODAY - timedelta(days=2))
    assert ScreenRecord.from_json(full.to_json()) == full
    # Found in review: with the moment of answering kept, its day is read in today's zone
    # already, so a day ahead can only be a clock set back (it was trusted too).
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    timed = ScreenRecord(TODAY, full.answers, answered_at=moment)
    assert timed.valid_on(TODAY)
    assert not timed.valid_on(TODAY - timedelta(days=1))


def test_a_check_in_never_names_a_day_after_today(store: ScreenStore) -> None:
    """Found in review: date-only answers given further east, a day 'ahead' of today here,
    asked "Any of these new since <tomorrow>?"."""
    full = ScreenRecord(TODAY, {q.key: False for q in RED_FLAG_QUESTIONS})
    store.save(full)
    record = json.loads(store.path.read_text())
    assert "answered_at" not in record  # as stored before the moment was kept
    person = Person()
    yesterday = TODAY - timedelta(days=1)
    assert run(store, person, today=yesterday) is Outcome.CLEAR
    assert person.asked == ["Any of these new since today?"]
    assert "(last full check today):" in person.told[0]
    assert TODAY.isoformat() not in person.told[0]
    # On the day itself and after, the day is named as before.
    later = Person()
    assert run(store, later, today=TODAY + timedelta(days=3)) is Outcome.CLEAR
    assert later.asked == [f"Any of these new since {TODAY.isoformat()}?"]
    assert f"(last full check on {TODAY.isoformat()}):" in later.told[0]


@pytest.fixture()
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets the process's local time zone (``TZ``), restored after the test."""

    def use(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


def test_answers_given_then_read_further_west_stay_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_zone: Callable[[str], None]
) -> None:
    """Found in review: answered at 02:17 UTC on 6 December, ``TZ=Etc/GMT+12 breathwise screen
    --show`` said "Answered on 2026-12-06 (expired ...; asked again from 2027-01-05)" and
    ``live`` refused a back program: the stored local date was 'in the future' there."""
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path))
    local_zone("UTC")
    moment = datetime(2026, 12, 6, 2, 17, tzinfo=UTC)
    person = Person()
    record = ask_questions(person.ask, person.tell, moment.date(), moment)
    ScreenStore().save(record)
    assert json.loads(screen_path().read_text())["answered_at"] == "2026-12-06T02:17:00+00:00"

    local_zone("Etc/GMT+12")  # 14:17 on 5 December there
    west_today = date(2026, 12, 5)
    loaded = ScreenStore().load()
    assert loaded is not None and loaded.answered_on == west_today
    assert loaded.valid_on(west_today)
    assert loaded.expires_on() == west_today + timedelta(days=SCREEN_VALID_DAYS)
    # The session's check: the check-in list, not "not answered in the last 30 days".
    back = Person()
    outcome = check_before_program(
        True, store=ScreenStore(), ask=None, tell=back.tell, today=west_today, now=moment
    )
    assert outcome is Outcome.CLEAR and back.told[-1] == UNATTENDED_CHECK_IN
    # And back east the day is the answer's own again.
    local_zone("Pacific/Auckland")
    loaded = ScreenStore().load()
    assert loaded is not None and loaded.answered_on == date(2026, 12, 6)


def test_show_west_of_where_the_answers_were_given_says_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_zone: Callable[[str], None]
) -> None:
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path))
    now = datetime.now(UTC)
    local_zone("Etc/GMT-14")  # the furthest east: today there is never behind UTC's
    ScreenStore().save(
        ScreenRecord(
            now.astimezone().date(), {q.key: False for q in RED_FLAG_QUESTIONS}, answered_at=now
        )
    )
    local_zone("Etc/GMT+12")
    app = typer.Typer()
    app.command()(screen)
    result = CliRunner().invoke(app, ["--show"])
    assert result.exit_code == 0, result.output
    assert "(valid;" in result.stdout and "expired" not in result.stdout


def test_screen_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path))
    app = typer.Typer()
    app.command()(screen)
    runner = CliRunner()
    # CliRunner's stdin is not a terminal: the questions are refused, not silently answered.
    result = runner.invoke(app, [])
    assert result.exception is not None and "interactive terminal" in str(
        getattr(result.exception, "advice", "")
    )
    result = runner.invoke(app, ["--show"])
    assert result.exit_code == 0 and "No safety answers" in result.stdout

    ScreenStore().save(ScreenRecord(date.today(), {q.key: False for q in RED_FLAG_QUESTIONS}))
    assert screen_path() == tmp_path / "safety-screen.json"
    result = runner.invoke(app, ["--show"])
    assert result.exit_code == 0
    assert "valid" in result.stdout and result.stdout.count(" no  ") == 4

    # An urgent "yes": shown as asked again every time, not as "you chose to continue".
    urgent = {q.key: q.key == "bladder_bowel" for q in RED_FLAG_QUESTIONS}
    ScreenStore().save(ScreenRecord(date.today(), urgent, confirmed=True))
    result = runner.invoke(app, ["--show"])
    assert "asked again before every back-focused session" in result.stdout
    assert "chose to continue" not in result.stdout


@pytest.mark.parametrize(
    ("yes_to", "confirmed", "closing"),
    [
        ("bladder_bowel", True, "asked again before every back-focused session"),
        ("leg_symptoms", False, "asked again before the next one"),
    ],
)
def test_show_names_no_thirty_day_date_for_answers_asked_again_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yes_to: str, confirmed: bool, closing: str
) -> None:
    """Found in review: after an urgent "yes" ``screen --show`` said "(valid; asked again from
    2027-01-05)", then that the questions are asked again before every back-focused session.
    A "yes" declined is asked again at the next session too."""
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path))
    answers = {q.key: q.key == yes_to for q in RED_FLAG_QUESTIONS}
    ScreenStore().save(ScreenRecord(date.today(), answers, confirmed=confirmed))
    app = typer.Typer()
    app.command()(screen)
    result = CliRunner().invoke(app, ["--show"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Answered on {date.today().isoformat()}."
    assert "asked again from" not in result.stdout and "valid" not in result.stdout
    assert closing in result.stdout.replace("\n", " ")
    # Reused answers keep their date: those are not asked again for 30 days.
    answers = {q.key: q.key == "leg_symptoms" for q in RED_FLAG_QUESTIONS}
    ScreenStore().save(ScreenRecord(date.today(), answers, confirmed=True))
    result = CliRunner().invoke(app, ["--show"])
    expires = (date.today() + timedelta(days=SCREEN_VALID_DAYS)).isoformat()
    assert f"(valid; asked again from {expires})" in result.stdout


def test_a_wrong_answer_is_met_with_what_to_type() -> None:
    """click's own confirm said only "Error: invalid input"."""
    from trainer.cli.safety import terminal_ask

    app = typer.Typer()

    @app.command()
    def ask() -> None:
        typer.echo(f"answer={terminal_ask('Do you have a fever?')}")

    result = CliRunner().invoke(app, [], input="maybe\n\nYes\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Please type y (yes) or n (no), then Enter.") == 2
    assert "invalid input" not in result.output
    assert result.output.rstrip().endswith("answer=True")
    assert CliRunner().invoke(app, [], input="n\n").output.rstrip().endswith("answer=False")


def test_questions_before_a_session_are_asked_on_standard_error() -> None:
    """Found in review: `live --headless > log` wrote the safety questions into the log, which
    holds what a replay prints again."""
    from trainer.cli.safety import terminal_ask

    app = typer.Typer()

    @app.command()
    def ask() -> None:
        typer.echo(f"answer={terminal_ask('Do you have a fever?', err=True)}")

    result = CliRunner().invoke(app, [], input="maybe\ny\n")
    assert result.exit_code == 0, result.output
    # (CliRunner echoes the typed input to stdout, as a terminal would show it.)
    assert result.stdout.endswith("answer=True\n") and "?" not in result.stdout
    assert "Do you have a fever?" in result.stderr and "Please type y" in result.stderr


def test_the_command_line_heads_a_declined_start_as_not_started(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import app as cli
    from trainer.programs.safety import ScreenDeclined

    def declined(**_: object) -> None:
        raise ScreenDeclined("X was not started", "see a doctor")

    monkeypatch.setattr(cli, "app", declined)
    assert cli.run([]) == 1
    assert capsys.readouterr().err == "breathwise: not started: X was not started — see a doctor\n"


def test_the_readme_lists_the_red_flags_of_the_brief_word_for_word() -> None:
    """Found in review: the README's safety note left out leg pain, tingling, nausea,
    vomiting and weight loss."""
    import re

    root = Path(__file__).resolve().parents[1]
    brief = root / "docs" / "reference" / "programs.md"
    safety = brief.read_text(encoding="utf-8").split("## Safety", 1)[1]
    flags = re.search(r"if any apply: ([^.]*)\.", " ".join(safety.split()))
    assert flags is not None
    readme = " ".join(
        line.lstrip("> ") for line in (root / "README.md").read_text(encoding="utf-8").splitlines()
    )
    readme = " ".join(readme.split())
    assert flags.group(1) in readme
    assert "**not a medical device**" in readme


def _words(text: str) -> str:
    """``text`` with its wrapping undone (it is wrapped to the terminal, at most 78 columns)."""
    return " ".join(text.split())


def test_the_screen_shows_the_statement_once_before_the_questions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: the not-a-medical-device statement came only at the end of `breathwise
    screen`, after the answers; it now comes with the questions (from ask_questions, which
    `live` asks through too), and `screen` does not print it a second time."""
    from trainer.cli.app import run as cli_run

    monkeypatch.setattr(sys, "stdin", Terminal("n\nn\nn\nn\n"))
    assert cli_run(["screen"]) == 0
    out = _words(capsys.readouterr().out)
    statement = _words(MEDICAL_DISCLAIMER)
    assert out.count(statement) == 1
    assert out.index(_words(SCREEN_INTRO)) < out.index(statement)
    assert out.index(statement) < out.index(_words(RED_FLAG_QUESTIONS[0].text))
    record = ScreenStore().load()
    assert record is not None and not record.flags


FUTURE_DAYS = 3
"""Answers dated this many days after today: the computer's clock set back since (or ahead
when they were given), beyond the day a change of time zone can explain."""


def _future(store: ScreenStore | None = None) -> ScreenRecord:
    record = ScreenRecord(
        TODAY + timedelta(days=FUTURE_DAYS), {q.key: False for q in RED_FLAG_QUESTIONS}
    )
    (store or ScreenStore()).save(record)
    return record


def test_answers_dated_after_today_are_asked_again_saying_why(store: ScreenStore) -> None:
    """Found in review: unattended, `live` said the questions "have not been answered in the
    last 30 days"; asked again, nothing said why."""
    record = _future(store)
    assert record.dated_after(TODAY) and not record.valid_on(TODAY)
    assert not record.dated_after(TODAY + timedelta(days=FUTURE_DAYS))
    with pytest.raises(ScreenRequired) as caught:
        run(store, None)
    message = caught.value.user_message()
    future = (TODAY + timedelta(days=FUTURE_DAYS)).isoformat()
    assert f"dated {future}, after today ({TODAY.isoformat()})" in message
    assert "check the computer's clock" in message and "breathwise screen" in message
    assert "not been answered" not in message
    person = Person()
    assert run(store, person) is Outcome.CLEAR
    assert person.told[0] == f"{dated_after_today(record.answered_on, TODAY)} The questions again:"
    assert "check the computer's clock" in person.told[0]
    assert person.told[1] == SCREEN_INTRO
    assert person.asked == [q.text for q in RED_FLAG_QUESTIONS]
    stored = store.load()
    assert stored is not None and stored.answered_on == TODAY


def test_show_says_answers_dated_after_today_are_not_relied_on(
    monkeypatch: pytest.MonkeyPatch, local_zone: Callable[[str], None]
) -> None:
    """Found in review: "Answered on 2026-12-06 (expired, will be asked again; asked again from
    2027-01-05)" on 2026-12-03."""
    import trainer.cli.safety as cli_safety

    class Clock(datetime):
        """The command's clock, on the evening of ``TODAY``."""

        @classmethod
        def now(cls, tz: object = None) -> Clock:
            return cls(TODAY.year, TODAY.month, TODAY.day, 20, 0, tzinfo=UTC)

    monkeypatch.setattr(cli_safety, "datetime", Clock)
    local_zone("UTC")
    _future()
    app = typer.Typer()
    app.command()(screen)
    result = CliRunner().invoke(app, ["--show"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    future = (TODAY + timedelta(days=FUTURE_DAYS)).isoformat()
    assert first.startswith(f"Your stored safety answers are dated {future}, after today")
    assert "check the computer's clock" in first and "asked again before the next" in first
    assert "expired" not in result.stdout and "asked again from" not in result.stdout
    assert result.stdout.count(" no  ") == 4


def test_live_refuses_answers_dated_after_today_naming_the_clock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from trainer.cli.app import run as cli_run

    answered = date.today() + timedelta(days=FUTURE_DAYS)
    ScreenStore().save(ScreenRecord(answered, {q.key: False for q in RED_FLAG_QUESTIONS}))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no one at the keyboard
    args = ["live", "--device", "none", "-P", "back-release", "--headless", "--no-sound"]
    assert cli_run([*args, "--minutes", "0.02", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"dated {answered.isoformat()}, after today" in err[0]
    assert "check the computer's clock" in err[0]
    assert "not been answered" not in err[0]


def test_screen_after_an_urgent_yes_cleared_by_a_doctor_speaks_of_no_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: `breathwise screen` runs no session, yet after an urgent "yes" a doctor
    has cleared it said "You may go on with this session", then that the questions are asked
    again before every back-focused session."""
    from trainer.cli.app import run as cli_run

    # No; yes to the bladder/bowel question (urgent); no; no; yes, a doctor has seen to it.
    assert [q.key for q in RED_FLAG_QUESTIONS][1] == "bladder_bowel"
    monkeypatch.setattr(sys, "stdin", Terminal("n\ny\nn\nn\ny\n"))
    assert cli_run(["screen"]) == 0
    out = _words(capsys.readouterr().out)
    assert "this session" not in out and _words(URGENT_ONCE) not in out
    assert out.endswith(
        "Noted. Because this sign needs a doctor the same day, the questions are asked again at "
        "the start of every session that works on the back: start those in a terminal."
    )


def test_the_refusal_after_an_urgent_yes_gives_advice_that_leads_somewhere(
    store: ScreenStore,
) -> None:
    """Found in review: without a terminal, a back-focused session after an urgent "yes" was
    refused with "answer them in a terminal with `breathwise screen`, then start again"; the
    same answers stored again are refused again, for ever. The advice now is to start the
    session in a terminal (where it starts, the questions answered there), or, once the sign
    is gone, to answer them again (then it starts without a terminal)."""
    urgent = {q.key: q.key == "bladder_bowel" for q in RED_FLAG_QUESTIONS}
    store.save(ScreenRecord(TODAY, urgent))
    with pytest.raises(ScreenRequired) as caught:
        run(store, None)
    assert caught.value.advice == URGENT_UNATTENDED_ADVICE
    assert "start it in a terminal" in caught.value.user_message()
    # In a terminal, the same answers: it starts, this once.
    again = Person(yes_to=("bladder_bowel",), carry_on=True)
    assert run(store, again) is Outcome.CONTINUE_AGAINST_ADVICE
    assert again.told[-2:] == [URGENT_ONCE, REMINDER]
    # The sign gone, answered again (as `breathwise screen` does): no terminal needed.
    store.save(ask_questions(Person().ask, Person().tell, TODAY))
    assert run(store, None) is Outcome.CLEAR


@pytest.mark.parametrize("columns", [40, 60])
def test_the_questions_are_wrapped_to_the_terminal_and_split_no_word(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 29 F6: the questions were wrapped to 78 columns whatever the terminal, which then
    wrapped each line again mid-word ("tr" / "eat", "wea" / "kness", "[y" / "/n]: y"). Every
    line now fits the terminal's width less a column (which a terminal would wrap at), and
    "[y/n]:" with the first letter of the answer fits on the question's last line."""
    from trainer.cli.app import run as cli_run

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys, "stdin", Terminal("n\nn\nn\nn\n"))
    assert cli_run(["screen"]) == 0
    out = capsys.readouterr().out
    # The answers typed are not echoed here: each prompt ends its line, as Enter does.
    rows = out.replace("[y/n]: ", "[y/n]: y\n").splitlines()
    assert rows and max(len(row) for row in rows) <= columns - 1, max(rows, key=len)
    assert sum(row.endswith("[y/n]: y") for row in rows) == len(RED_FLAG_QUESTIONS)
    # Whole words only: read row after row, the text is the text as written.
    words = _words(out)
    for text in (SCREEN_INTRO, MEDICAL_DISCLAIMER, *(q.text for q in RED_FLAG_QUESTIONS)):
        assert _words(text) in words, text
