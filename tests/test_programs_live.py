"""Every program end to end on the simulated person, and its recording replayed to the same output;
the CLI's program errors as one line."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from fake_terminal import Terminal
from program_runs import compressed, replay_lines, run_program

from devices.packets import Stream
from devices.sim import PersonModel
from devices.source import SourceInfo
from trainer.cli.app import run
from trainer.cli.session import strap_alone_note
from trainer.errors import BadArgument
from trainer.programs import EventKind, load_catalog
from trainer.programs.safety import RED_FLAG_QUESTIONS, ScreenRecord, ScreenStore
from trainer.session.events import PacerEvent, ProgramEvent
from trainer.session.program_session import prepare_program
from trainer.storage.config import Settings
from trainer.storage.recording import PacerChange, read_recording
from trainer.ui.session_sound import SessionSound
from trainer.ui.sound import AudioOut

CATALOG = load_catalog()
COMPRESSED_S = 150.0
"""Each program squeezed into 2.5 simulated minutes (see ``compressed``)."""


@pytest.mark.parametrize("name", CATALOG.names())
def test_program_runs_end_to_end_and_replays_identically(name: str, tmp_path: Path) -> None:
    program = compressed(CATALOG.get(name), COMPRESSED_S)
    rate = 5.5 if program.needs_personal_rate else None
    done = run_program(tmp_path, program, person=PersonModel(seed=11), personal_rate_bpm=rate)

    step_lines = [line for line in done.lines if line.startswith("step ")]
    count = len(program.steps)
    assert [line.split()[1] for line in step_lines] == [f"{i}/{count}" for i in range(1, count + 1)]
    assert step_lines[0].startswith(f"step 1/{count} at     0.0 s  {program.steps[0].title} — ")
    cues = [c.text for s in program.steps for c in s.cues]
    assert [line.split(" s  ", 1)[1] for line in done.lines if line.startswith("cue ")] == cues
    reps = sum((s.repetitions or 0) * s.side_count for s in program.steps)
    assert sum(line.startswith("repetition ") for line in done.lines) == reps
    assert done.lines[-1].startswith(f"summary: {COMPRESSED_S:.0f} s")
    assert any(line.startswith("practice: 2.5 min practised") for line in done.lines[-3:])

    # Each step's pacer change is in the recording, labelled with its title, at its start.
    recording = read_recording(done.path)
    changes = [i for i in recording.items if isinstance(i, PacerChange)]
    titles = [s.title for s in program.steps]
    assert {c.label for c in changes} == set(titles)
    assert recording.header.settings["program"] == name

    # The replay needs only the file: same lines, same summary.
    assert replay_lines(done.path) == done.lines


def _briefly(program: str, out: Path) -> list[str]:
    """The command line of a 1.2 s headless, silent run of ``program`` on the simulator."""
    return [
        "live",
        "--device",
        "sim",
        "--program",
        program,
        "--minutes",
        "0.02",
        "--headless",
        "--no-sound",
        "--out",
        str(out),
    ]


def _tell_err(message: str) -> None:
    """What the session's screen check tells, on standard error as the terminal's does."""
    print(message, file=sys.stderr)


def test_the_pacer_follows_the_program_and_the_person_follows_the_pacer(tmp_path: Path) -> None:
    program = CATALOG.get("spine-body-scan")
    done = run_program(tmp_path, program, person=PersonModel(seed=2), duration_s=300.0)
    changes = [e for e in done.events if isinstance(e, PacerEvent)]
    # Arrive at 2 s in / 4 s out, then the tailbone stage slows toward 2.5/5 in 45 s stages.
    assert changes[0].t_s == 0.0 and changes[0].change.pattern == {
        "inhale_s": 2.0,
        "hold_in_s": 0.0,
        "exhale_s": 4.0,
        "hold_out_s": 0.0,
    }
    assert [round(e.t_s, 6) for e in changes[:3]] == [0.0, 45.0, 90.0]
    assert changes[2].change.pattern is not None and changes[2].change.pattern["exhale_s"] == 5.0
    steps = [e for e in done.events if isinstance(e, ProgramEvent) and e.kind is EventKind.STEP]
    assert [e.step_title for e in steps] == [s.title for s in program.steps[: len(steps)]]
    rates = [b.breath.rate_bpm for b in done.session.pipeline.breaths[3:]]  # type: ignore[union-attr]
    assert rates and max(rates) < 14.0  # following a 10-8 breaths/min pacer, not breathing at 12+
    assert done.result.summary["duration_s"] == 300.0


def test_flexible_program_takes_the_asked_minutes_and_fixed_one_stops_early() -> None:
    fitted = prepare_program("relaxation-response", Settings(), minutes=10)
    assert fitted.duration_s == 600.0
    assert fitted.plan.program.total_duration_s == 600.0
    cut = prepare_program("spine-body-scan", Settings(), minutes=2)
    assert cut.duration_s == 120.0 and "stop after 2 min" in cut.note
    # An argument error, not the program file's: once "trainer/programs/...toml: can run from".
    with pytest.raises(BadArgument) as info:
        prepare_program("relaxation-response", Settings(), minutes=1)
    assert info.value.user_message() == (
        "--minutes 1: Relaxation response can be fitted to 4-180 min (its other steps take "
        '3 min, "Longer out-breath" at least 1 min; 10-20 min recommended) — leave '
        "--minutes out for its usual 15 min"
    )


def test_a_resonance_assessment_is_not_cut_before_two_scored_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Found in review: ``-P resonance-assessment --minutes 1`` ran its settling minute alone,
    then said no rate could be scored "(too few beats, or the pacer was not followed)". It is
    refused with its bounds, as a fitted program's --minutes is; from the end of its second
    paced step it runs, saying its rate will not be stored."""
    for minutes in (1.0, 4.9):
        with pytest.raises(BadArgument) as info:
            prepare_program("resonance-assessment", Settings(), minutes=minutes)
        assert info.value.user_message() == (
            f"--minutes {minutes:g}: Resonance assessment can be shortened to 5-11 min (it "
            'compares whole paced steps, at least 2, and the last of those, "6 breaths per '
            'minute", ends at 5 min) — leave --minutes out for its usual 11 min, the only '
            "length whose rate is stored"
        )
    cut = prepare_program("resonance-assessment", Settings(), minutes=5)
    assert cut.duration_s == 300.0
    assert cut.note.endswith("; 2 of 5 rates tried, so the rate it finds is shown but not stored")
    assert prepare_program("resonance-assessment", Settings(), minutes=11).note == ""
    # Practice programs have no such part: any length of them is practice.
    assert prepare_program("spine-body-scan", Settings(), minutes=0.1).duration_s == 6.0
    assert "rates tried" not in prepare_program("spine-body-scan", Settings(), minutes=2).note
    args = ["live", "--device", "sim", "-P", "resonance-assessment", "--minutes", "1"]
    assert run([*args, "--headless", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "can be shortened to 5-11 min" in err[0], err
    assert not list(tmp_path.glob("*.bwr"))


@pytest.mark.parametrize(
    ("name", "minutes", "bounds"),
    [
        ("deep-breathing-4-8", 1.5, "2-180 min"),
        ("deep-breathing-4-8", 181.0, "2-180 min"),
        ("relaxation-response", 3.0, "4-180 min"),
        ("relaxation-response", 183.0, "4-180 min"),
    ],
)
def test_fitted_programs_state_round_explained_bounds(
    name: str, minutes: float, bounds: str
) -> None:
    """Found in review: "runs 2-181 min", "4-183 min", "3-182 min": the flexible step's own
    limit (3 h) plus the other steps. The bounds are whole, round minutes, and the shortest is
    explained by the steps that do not shrink."""
    with pytest.raises(BadArgument) as info:
        prepare_program(name, Settings(), minutes=minutes)
    message = info.value.user_message()
    assert f"can be fitted to {bounds} (its other steps take " in message
    assert "at least 1 min" in message
    assert prepare_program(name, Settings(), minutes=180).duration_s == 180 * 60.0


def test_a_shortened_program_says_what_it_leaves_out() -> None:
    """Found in review: ``deep-breathing-4-8 --minutes 2`` gave 60 s of 4-8 breathing between
    the fixed 30 s intro and rest, and ``back-release --minutes N`` always stopped in the same
    early stretches, with nothing said about either."""
    fitted = prepare_program("deep-breathing-4-8", Settings(), minutes=2)
    assert fitted.note == (
        '2 min: "Four in, eight out" runs 1 min instead of 5 min; 30 s "Get comfortable", '
        '30 s "Rest" as usual'
    )
    assert prepare_program("deep-breathing-4-8", Settings(), minutes=8).note == ""
    cut = prepare_program("back-release", Settings(), minutes=10)
    assert cut.note == (
        "Back-release routine lasts 39.2 min; it will stop after 10 min; left out: Standing "
        "side stretch, Hip swings on hands and knees, Side-lying over a cushion, Lateral "
        "stretch on your back, Press-ups, Figure-four pull"
    )


@pytest.mark.parametrize(
    ("minutes", "warning"),
    [
        (
            5.0,
            '5 min: "Longer out-breath" runs 2 min instead of 12 min; 1.5 min "Settle in", '
            '1.5 min "Coming back" as usual; Relaxation response is meant to last 10-20 min; '
            "5 min is shorter",
        ),
        (25.0, "Relaxation response is meant to last 10-20 min; 25 min is longer"),
        (10.0, ""),
        (20.0, ""),
    ],
)
def test_a_length_outside_the_recommended_range_runs_with_a_warning(
    minutes: float, warning: str
) -> None:
    """Found in review: "runs 4-183 min" where docs/reference/programs.md gives the relaxation
    response 10-20 minutes. The program keeps what it can run; outside the range it warns."""
    assert CATALOG.get("relaxation-response").recommended_minutes == (10.0, 20.0)
    prepared = prepare_program("relaxation-response", Settings(), minutes=minutes)
    assert prepared.duration_s == minutes * 60.0
    assert prepared.note == warning


def test_resonance_training_without_a_stored_rate_says_to_assess_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["live", "--program", "resonance-training", "--headless", "--no-sound"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "no" in err[0] and "resonance-assessment program first" in err[0]
    # What stores one (review 31 F9): not a shortened assessment, nor a simulated one.
    assert "once it has tried all five rates, measured on you" in err[0]


def test_back_program_headless_without_terminal_or_answers_refuses(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (None, _tell_err))
    args = ["--program", "back-release", "--device", "none", "--headless", "--out", str(tmp_path)]
    code = run(["live", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert "Back-release routine works on the back" in err[0]
    assert "breathwise screen" in err[0]
    assert not list(tmp_path.glob("*.bwr"))


def test_a_users_copy_of_a_back_program_is_refused_unattended_like_the_builtin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: ``grep -v '^back_focused' back-release.toml`` saved as the person's
    own back-release, then ``live -P back-release --headless </dev/null``: the stretches
    started with no safety questions at all."""
    import trainer.programs
    from trainer.programs.catalog import user_programs_dir

    builtin = Path(trainer.programs.__file__).parent / "back-release.toml"
    text = builtin.read_text(encoding="utf-8")
    assert "\nback_focused = true\n" in text
    user_programs_dir().mkdir(parents=True)
    (user_programs_dir() / "back-release.toml").write_text(
        text.replace("\nback_focused = true\n", "\n"), encoding="utf-8"
    )
    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (None, _tell_err))
    args = ["--program", "back-release", "--device", "none", "--headless", "--out", str(tmp_path)]
    assert run(["live", *args, "--minutes", "0.02"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Back-release routine works on the back" in err[0]
    assert not list(tmp_path.glob("*.bwr"))


def test_a_recording_missing_from_the_history_is_named_only_once_the_checks_let_it_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: with a back-focused default program and no safety answers, live
    printed the note about a recording not in the history, then stopped with the safety
    error: a note for a session that never started, before the one line that mattered."""
    from simulated_sessions import write_simulated

    from trainer.storage.config import save_setting

    save_setting("program", "back-release")
    killed = write_simulated(tmp_path / "killed.bwr", 60.0, seed=2)
    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (None, _tell_err))
    args = ["live", "--device", "none", "--headless", "--minutes", "0.02", "--out", str(tmp_path)]
    assert run(args) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "Back-release routine works on the back" in lines[0], lines
    # With answers the session starts, and the note comes after the safety text.
    _clear_answers(days_ago=1)
    assert run(args) == 0
    err = capsys.readouterr().err
    assert f"breathwise history --add {killed}" in err
    assert err.index("not in your history") > err.index("Warning signs")


def _clear_answers(days_ago: int) -> date:
    answered_on = date.today() - timedelta(days=days_ago)
    ScreenStore().save(ScreenRecord(answered_on, {q.key: False for q in RED_FLAG_QUESTIONS}))
    return answered_on


def test_a_back_program_shows_the_red_flags_even_after_a_clear_screen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: `live --program spine-body-scan` with stored "no" answers printed no
    safety text at all. Unattended (no terminal on stdin) it now shows the list and what to
    do if a sign is new, on standard error, and runs."""
    answered_on = _clear_answers(days_ago=3)
    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (None, _tell_err))
    assert run(_briefly("spine-body-scan", tmp_path)) == 0
    out, err = capsys.readouterr()
    assert f"last full check on {answered_on.isoformat()}" in err
    assert "bladder or bowels" in err and "breathwise screen" in err
    assert "Warning signs" not in out  # standard output is what a replay prints again


def test_a_new_sign_at_the_check_in_asks_the_four_questions_again(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    answered_on = _clear_answers(days_ago=3)
    asked: list[str] = []

    def ask(question: str) -> bool:
        asked.append(question)
        # A new sign since the last screen; then, asked again, severe leg pain.
        return question.startswith("Any of these new") or question.startswith("Do you have severe")

    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (ask, _tell_err))
    assert run(_briefly("back-release", tmp_path)) == 1
    assert asked[0] == f"Any of these new since {answered_on.isoformat()}?"
    assert asked[1:5] == [q.text for q in RED_FLAG_QUESTIONS]
    assert asked[5] == "Has a doctor said these exercises are fine for you?"
    err = capsys.readouterr().err
    assert "not started" in err and "please see a doctor before you start" in err
    record = ScreenStore().load()
    assert record is not None and record.answered_on == date.today()
    assert not list(tmp_path.glob("*.bwr"))


@pytest.mark.parametrize("program", ["back-release", "spine-body-scan"])
def test_live_shows_the_not_a_medical_device_statement_with_the_questions(
    program: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Found in review: `live --program back-release` asking the red-flag questions itself
    showed the statement nowhere (only `breathwise screen` printed it). Answered at a terminal,
    as a person would: it comes once, with the questions, on standard error."""

    from trainer.programs.safety import MEDICAL_DISCLAIMER, SCREEN_INTRO

    monkeypatch.setattr(sys, "stdin", Terminal("n\nn\nn\nn\n"))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # where the questions are asked
    assert run(_briefly(program, tmp_path)) == 0
    out, err = capsys.readouterr()
    err = " ".join(err.split())
    statement = " ".join(MEDICAL_DISCLAIMER.split())
    assert err.count(statement) == 1 and "medical device" not in out
    intro, first = (" ".join(t.split()) for t in (SCREEN_INTRO, RED_FLAG_QUESTIONS[0].text))
    assert err.index(intro) < err.index(statement) < err.index(first)


def test_the_questions_are_not_asked_into_a_redirected_standard_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: `live -P back-release --headless > log 2>&1` at a terminal wrote the
    questions into the log and waited at the keyboard, a blank terminal. No one can answer
    what they cannot read: refused as unattended (nothing read from the keyboard), and with
    valid answers stored the session runs with the unattended check-in note."""

    from trainer.programs.safety import UNATTENDED_CHECK_IN

    keyboard = Terminal("n\nn\nn\nn\n")
    monkeypatch.setattr(sys, "stdin", keyboard)
    assert not sys.stderr.isatty()  # captured: a file, as under 2>&1
    assert run(_briefly("back-release", tmp_path)) == 1
    err = capsys.readouterr().err
    assert "works on the back" in err and "breathwise screen" in err
    assert " ".join(RED_FLAG_QUESTIONS[0].text.split()) not in " ".join(err.split())
    assert keyboard.tell() == 0, "nothing was read from the keyboard"
    assert not list(tmp_path.glob("*.bwr"))
    ScreenStore().save(ScreenRecord(date.today(), {q.key: False for q in RED_FLAG_QUESTIONS}))
    assert run(_briefly("back-release", tmp_path)) == 0
    assert " ".join(UNATTENDED_CHECK_IN.split()) in " ".join(capsys.readouterr().err.split())
    assert keyboard.tell() == 0


def test_a_doctor_cleared_yes_is_followed_by_the_reminder_in_that_session_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Found in review: headless, no stored answers, y n n n then "yes" to the doctor
    question: the tips and the session followed with no "go gently" reminder, which came only
    from the next session on (the screen shows it on the step card)."""
    from trainer.programs.safety import REMINDER

    def ask(question: str) -> bool:
        return question.startswith(("Do you have severe", "Has a doctor said"))

    monkeypatch.setattr("trainer.cli.session.terminal_prompts", lambda **_: (ask, _tell_err))
    args = ["live", "--device", "none", "-P", "back-release", "--minutes", "0.02"]
    assert run([*args, "--headless", "--no-sound", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count(REMINDER) == 1
    assert err.index("please see a doctor") < err.index(REMINDER) < err.index("  tip: ")


def test_an_eyes_closed_program_without_sound_is_warned_about_before_the_start(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Found in review: the spine body scan asks for closed eyes while its guidance is text
    on the cards and each stage starts with a chime; with the sound off nothing said so."""
    assert CATALOG.get("spine-body-scan").eyes_closed
    assert "open your eyes briefly" in CATALOG.get("spine-body-scan").steps[0].text
    assert CATALOG.get("relaxation-response").eyes_closed
    assert run(_briefly("body-scan-head-to-feet", tmp_path)) == 0
    assert "eyes closed" not in capsys.readouterr().err  # eyes open: nothing to warn about
    _clear_answers(days_ago=0)
    assert run(_briefly("spine-body-scan", tmp_path)) == 0
    err = capsys.readouterr().err
    assert "done with the eyes closed, but the sound is off" in err
    # The cues within a step chime too now: the warning names what goes silent.
    assert "the chime at each new stage or tip and the end bell will be silent" in err
    assert "--sound turns it on" in err


STRAP = SourceInfo("ble", "strap", streams={Stream.HEART_RATE.value: {}})
H10 = SourceInfo(
    "ble",
    "Polar H10",
    streams={Stream.HEART_RATE.value: {}, Stream.PMD_DATA.value: {"ecg": {}, "acc": {}}},
)
STRAP_AND_BELT = SourceInfo(
    "ble", "strap + belt", streams={Stream.HEART_RATE.value: {}, Stream.GODIRECT.value: {}}
)


def test_what_a_strap_alone_leaves_uncoached_is_said_per_program() -> None:
    """Found in review: the relaxation response (own rhythm, its out-breath coached) coaches
    nothing with a heart-rate strap alone, and nothing said so."""
    relaxation = CATALOG.get("relaxation-response")
    note = strap_alone_note(relaxation, STRAP)
    assert "heart-rate strap alone this program coaches nothing" in note
    assert "a breathing belt, or a Polar H10's chest accelerometer" in note
    # Paced steps are coached on their pace: a mixed program names what is left out.
    mixed = strap_alone_note(CATALOG.get("body-scan-head-to-feet"), STRAP)
    assert "only this program's paced steps are coached" in mixed and "(12 of 13)" in mixed
    # Paced, or own rhythm with nothing to coach (stretches, "breathe normally"): no note.
    for name in ("deep-breathing-4-8", "back-release", "resonance-assessment"):
        assert strap_alone_note(CATALOG.get(name), STRAP) == "", name
    # Breath by breath from a belt or the chest accelerometer: no note.
    assert strap_alone_note(relaxation, H10) == strap_alone_note(relaxation, STRAP_AND_BELT) == ""


def test_a_strap_alone_note_comes_before_the_start(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = _briefly("body-scan-head-to-feet", tmp_path)
    assert run([*args[:2], "sim-hr", *args[3:]]) == 0
    err = capsys.readouterr().err
    assert "note: with a heart-rate strap alone only this program's paced steps" in err
    assert err.index("heart-rate strap alone") < err.index("recording saved")
    assert run(args) == 0  # the simulated belt measures each breath
    assert "heart-rate strap alone" not in capsys.readouterr().err


def test_no_sound_output_is_found_before_an_eyes_closed_program(tmp_path: Path) -> None:
    from trainer.ui.session_sound import eyes_closed_warning

    nowhere = [[str(tmp_path / "no-such-player")]]
    warning = eyes_closed_warning(True, players=nowhere, use_sounddevice=False)
    assert warning is not None and "no sound output was found" in warning
    assert "pip install 'breathwise[sound]'" in warning  # any install, not a clone only
    player = tmp_path / "player"
    player.write_text("#!/bin/sh\ncat >/dev/null\n")
    player.chmod(0o755)
    assert eyes_closed_warning(True, players=[[str(player)]], use_sounddevice=False) is None
    assert "sound is off" in (eyes_closed_warning(False) or "")


def test_malformed_user_program_is_one_line_naming_file_line_and_field(
    capsys: pytest.CaptureFixture[str], private_user_dirs: Path
) -> None:
    folder = private_user_dirs / "config" / "programs"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text(
        'title = "Mine"\ndescription = "x"\nposture = "sitting"\n'
        '[[step]]\ntitle = "One"\ntext = "Breathe."\n'
        "duration_s = -5\nbreathing = { inhale_s = 4, exhale_s = 6 }\n",
        encoding="utf-8",
    )
    assert run(["live", "--program", "mine", "--headless"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert re.search(r"mine\.toml:7: .*duration_s", err[0]), err[0]


def test_malformed_config_is_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str], private_user_dirs: Path
) -> None:
    folder = private_user_dirs / "config"
    folder.mkdir(parents=True)
    (folder / "settings.toml").write_text('sound = "loud"\n', encoding="utf-8")
    assert run(["live", "--headless"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "settings.toml" in err[0] and "sound" in err[0]


def test_program_with_rate_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["live", "--program", "deep-breathing-4-8", "--rate", "5", "--headless"]) == 2
    assert "cannot be combined" in capsys.readouterr().err


def test_no_audio_device_gives_one_notice_and_the_session_runs(tmp_path: Path) -> None:
    notes: list[str] = []
    audio = AudioOut(
        players=[[str(tmp_path / "no-such-player")]], use_sounddevice=False, notify=notes.append
    )
    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.0)
    sound = SessionSound(lambda t: None, lambda: 0.0, end_s=60.0, audio=audio)
    assert sound.start() is False
    assert sound.start() is False  # asking again does not repeat the notice
    done = run_program(tmp_path, program, person=PersonModel(seed=1))
    sound.stop(completed=True, sleep=lambda s: pytest.fail("nothing plays, nothing to wait for"))
    assert len(notes) == 1 and notes[0].startswith("sound is off: ")
    assert done.result.summary["ended"] == "completed"


def test_headless_step_lines_carry_the_stretch_caution(tmp_path: Path) -> None:
    """Without a screen the step's line is the only place for the caution every stretch
    card shows; a replay prints it again from the plan in the recording."""
    program = compressed(CATALOG.get("back-release"), 60.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=4))
    steps = [line for line in done.lines if line.startswith("step ")]
    caution = "Never push into pain: stop if it hurts, or if pain spreads into a leg."
    stretch = [s for s in steps if "Get into position" not in s and "Switch sides" not in s]
    assert stretch and all(line.endswith(caution) for line in stretch)
    assert not any(caution in line for line in steps if line not in stretch)
    assert replay_lines(done.path) == done.lines


def test_program_plan_in_the_header_is_plain_json(tmp_path: Path) -> None:
    program = compressed(CATALOG.get("back-release"), 60.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=4))
    header = json.loads(done.path.read_text(encoding="utf-8").splitlines()[0])
    plan = header["settings"]["program_plan"]
    assert plan["name"] == "back-release"
    assert plan["steps"][1]["sides"] == ["left", "right"]


def test_a_breathe_naturally_step_asks_nothing_and_a_step_judges_its_own_breaths(
    tmp_path: Path,
) -> None:
    """Found by a tester: "breathe normally" steps were coached toward a hidden 1.5 ratio
    ("Lengthen the out-breath" at 1.3-1.45), and a breath begun in that step was scored 0
    against the next step's pacer, whose error then cued "Slow down" at the right pace."""
    from trainer.session.events import BreathEvent

    program = CATALOG.get("deep-breathing-4-8")
    done = run_program(tmp_path, program, person=PersonModel(seed=7), duration_s=150.0)
    paced_from = next(
        e.t_s for e in done.events if isinstance(e, PacerEvent) and e.change.action == "set"
    )
    breaths = [e for e in done.events if isinstance(e, BreathEvent)]
    before = [e for e in breaths if e.breath.inhale_onset_s < paced_from]
    after = [e for e in breaths if e.breath.inhale_onset_s >= paced_from]
    assert before and after
    assert all(e.free and not e.scored and e.feedback.cue is None for e in before)
    # Those begun in the pacer's first period (12 s) are the move onto it: not scored.
    settled = [e for e in after if e.breath.inhale_onset_s >= paced_from + 12.0]
    assert settled and all(e.scored for e in settled)
    assert not any(e.scored for e in after if e not in settled)
    # The summary's follow score counts the paced breaths only.
    scores = [e.feedback.follow_score for e in settled if e.breath.quality != "artifact"]
    assert done.result.summary["mean_follow_score"] == pytest.approx(
        sum(scores) / len(scores), abs=0.01
    )
    lines = [line for line in done.lines if line.startswith("breath ")]
    assert all("follow   -" in line for line in lines[: len(before)])
    assert not any("Lengthen" in line for line in lines[: len(before)])
    assert replay_lines(done.path) == done.lines


def test_deep_breathing_accepts_an_out_breath_longer_than_the_in_breath(tmp_path: Path) -> None:
    """Found in review: the program's tip (and docs/reference/programs.md: "or at least longer
    than the in-breath") allows a shorter out-breath than 8 s, but someone breathing 4 s in
    and 6 s out on the pacer's rhythm heard "Lengthen the out-breath" 12 times in 5 minutes.
    The replay, coaching from the plan in the recording, says the same."""
    from trainer.session.events import BreathEvent

    program = CATALOG.get("deep-breathing-4-8")
    done = run_program(tmp_path, program, person=PersonModel(seed=3, ratio_bias=0.75))
    paced = [e for e in done.events if isinstance(e, BreathEvent) and e.paced]
    assert len(paced) > 20
    assert all(1.2 < e.breath.ratio < 1.9 for e in paced if e.breath.quality == "good")
    assert not any(e.feedback.cue == "Lengthen the out-breath" for e in paced)
    assert replay_lines(done.path) == done.lines


def test_a_bad_program_in_the_settings_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """'no program named' did not say the name came from settings.toml (found by a tester)."""
    from trainer.storage.config import settings_path

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('program = "bogus"\n')
    assert run(["live", "--headless", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"breathwise: error: {path}: program = 'bogus': no program named")
    assert "'breathwise config set program default'" in err


def test_headless_says_the_program_is_complete_at_its_end(tmp_path: Path) -> None:
    """Found in review: the screen says "Program complete" at the end, headless said nothing.
    Its "program end" line came only when a sensor packet happened to arrive exactly at the
    planned end (a simulated 60.000 s program did; a real sensor, or 60.013 s, never did)."""
    program = compressed(CATALOG.get("deep-breathing-4-8"), 60.013)
    done = run_program(tmp_path, program, person=PersonModel(seed=1))
    assert done.result.summary["ended"] == "completed"
    ends = [line for line in done.lines if line.startswith("program end ")]
    assert ends == ["program end at    60.0 s  Program complete — rest a moment before you get up."]
    # The last line before the summary, as on the screen; the replay says it too.
    # The summary: the simulated person's mark, then the practice and summary lines.
    after = done.lines[done.lines.index(ends[0]) + 1 :]
    assert [line.split(":")[0] for line in after] == ["SIMULATED SENSOR", "practice", "summary"]
    assert replay_lines(done.path) == done.lines
