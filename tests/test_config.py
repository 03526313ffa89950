"""Settings file: defaults, typed values, validation naming key and problem, atomic edits."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tomllib
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from trainer.cli.programs import config_set, config_show
from trainer.errors import BadArgument
from trainer.storage.config import (
    ConfigError,
    Settings,
    load_settings,
    parse_setting_value,
    save_setting,
    settings_path,
)


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("BREATHWISE_CONFIG_DIR", str(folder))
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BREATHWISE_RECORDINGS_DIR", raising=False)
    return folder


def test_missing_file_means_defaults_in_the_overridden_dir(config_dir: Path) -> None:
    assert settings_path() == config_dir / "settings.toml"
    settings = load_settings()
    assert settings == Settings()
    assert settings.sound is True
    assert settings.effective_recordings_dir == config_dir.parent / "data" / "recordings"


def test_each_key_round_trips_through_the_file(config_dir: Path, tmp_path: Path) -> None:
    save_setting("default_device", "sim")
    save_setting("program", "spine-body-scan")
    save_setting("resonance_rate_bpm", "5.5")
    save_setting("sound", "off")
    save_setting("recordings_dir", str(tmp_path / "rec"))
    settings = load_settings()
    assert settings == Settings(
        default_device="sim",
        program="spine-body-scan",
        resonance_rate_bpm=5.5,
        sound=False,
        recordings_dir=tmp_path / "rec",
    )
    assert settings.effective_recordings_dir == tmp_path / "rec"
    # Typed values (as the resonance assessment stores its result) work too.
    assert save_setting("resonance_rate_bpm", 6.0).resonance_rate_bpm == 6.0
    assert save_setting("sound", True).sound is True


def test_edit_keeps_comments_and_other_lines_and_leaves_no_temp_file(config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text('# my settings\nsound = true  # keep it on\nprogram = "deep-breathing-4-8"\n')
    save_setting("sound", "no")
    save_setting("resonance_rate_bpm", "6")
    text = path.read_text()
    assert text.splitlines() == [
        "# my settings",
        "sound = false",
        'program = "deep-breathing-4-8"',
        "resonance_rate_bpm = 6.0",
    ]
    assert sorted(p.name for p in config_dir.iterdir()) == ["settings.toml"]
    assert not stat.S_IMODE(os.stat(path).st_mode) & 0o077


def test_a_linked_settings_file_is_edited_where_it_lives(config_dir: Path, tmp_path: Path) -> None:
    """A settings file linked from one's dotfiles was replaced by a copy, the link lost."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "breathwise.toml"
    real.write_text("sound = true\n")
    config_dir.mkdir(parents=True)
    (config_dir / "settings.toml").symlink_to(real)
    save_setting("sound", "no")
    assert (config_dir / "settings.toml").is_symlink()
    assert real.read_text() == "sound = false\n"
    assert sorted(p.name for p in dotfiles.iterdir()) == ["breathwise.toml"]


def test_default_removes_a_key(config_dir: Path) -> None:
    save_setting("resonance_rate_bpm", "5")
    assert save_setting("resonance_rate_bpm", "default").resonance_rate_bpm is None
    assert "resonance_rate_bpm" not in tomllib.loads(settings_path().read_text())


def test_awkwardly_written_key_falls_back_to_a_clean_rewrite(config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text('default_device = """sim"""\n')
    save_setting("default_device", "AA:BB:CC:DD:EE:FF")
    assert tomllib.loads(path.read_text()) == {"default_device": "AA:BB:CC:DD:EE:FF"}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("resonance_rate_bpm", "9", "4-7.5 breaths/min"),
        ("resonance_rate_bpm", "fast", "number of breaths/min"),
        ("sound", "loud", "true or false"),
        ("program", "My Program", "not a program name"),
        ("default_device", "sim\x07", "control characters"),
        ("sond", "on", "did you mean 'sound'"),
        ("colour", "red", "known keys"),
    ],
)
def test_bad_values_name_key_and_problem(
    config_dir: Path, key: str, value: str, words: str
) -> None:
    with pytest.raises(BadArgument) as caught:
        save_setting(key, value)
    assert key in str(caught.value) and words in str(caught.value)
    assert caught.value.exit_code == 2
    assert not settings_path().exists()


def test_recordings_dir_must_not_be_a_file(config_dir: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(BadArgument, match="not a folder"):
        parse_setting_value("recordings_dir", str(a_file))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('sound = true\nprogram = "x"\nresonance_rate_bpm = [\n', 3, "not valid TOML"),
        ("sound = true\n\nvolume = 3\n", 3, "unknown setting 'volume'"),
        ('sound = true\nresonance_rate_bpm = "fast"\n', 2, "'resonance_rate_bpm' must be a number"),
        ('# c\nsound = "yes"\n', 2, "'sound' must be true or false"),
        ('\nrecordings_dir = "relative/dir"\n', 2, "must be an absolute path"),
    ],
)
def test_malformed_file_names_file_line_and_key(
    config_dir: Path, text: str, line: int, words: str
) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = caught.value.user_message()
    print(message)
    assert message.startswith(f"{path}:{line}: ")
    assert words in message
    # A broken file is left as it is rather than overwritten by an edit.
    with pytest.raises(ConfigError, match=re.escape(f"{path}:{line}: ")):
        save_setting("default_device", "sim")
    assert path.read_text() == text


def test_config_commands(config_dir: Path) -> None:
    app = typer.Typer()
    app.command("show")(config_show)
    app.command("set")(config_set)
    runner = CliRunner()
    result = runner.invoke(app, ["set", "resonance_rate_bpm", "5.5"])
    assert result.exit_code == 0 and result.stdout.strip() == "resonance_rate_bpm = 5.5"
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0
    assert str(config_dir / "settings.toml") in result.stdout
    # Where the history and the other personal data are: named nowhere before (review).
    from trainer.storage.paths import data_dir

    assert (
        f"your data (history, safety answers, progress chart, crash reports): {data_dir()}\n"
        in result.stdout
    )
    assert "resonance_rate_bpm = 5.5" in result.stdout
    assert "sound              = true" in result.stdout
    # Where the built-in programs are, to copy from: an installed wheel has no source tree to
    # look in, and a program file's error pointed at "the built-in programs" (found in review).
    shown = next(
        line.split(": ", 1)[1]
        for line in result.stdout.splitlines()
        if line.startswith("built-in programs (examples to copy): ")
    )
    assert (Path(shown) / "spine-body-scan.toml").is_file()

    result = runner.invoke(app, ["set", "program", "no-such-program"])
    assert isinstance(result.exception, BadArgument)
    assert "no program named 'no-such-program'" in str(result.exception)
    assert load_settings().program is None
    result = runner.invoke(app, ["set", "program", "spine-body-scan"])
    assert result.exit_code == 0 and load_settings().program == "spine-body-scan"


@pytest.mark.parametrize(
    ("key", "bad", "value", "expected"),
    [
        ("resonance_rate_bpm", "99", "default", None),
        ("resonance_rate_bpm", "99", "6", 6.0),
        ("recordings_dir", '"relative"', "default", None),
        ("sound", '"loud"', "off", False),
    ],
)
def test_a_bad_value_is_fixed_by_the_command_its_error_recommends(
    config_dir: Path, key: str, bad: str, value: str, expected: object
) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text(f'# mine\nprogram = "spine-body-scan"\n{key} = {bad}\ndefault_device = "sim"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert f"run `breathwise config set {key} default`" in caught.value.user_message()
    settings = save_setting(key, value)
    assert getattr(settings, key) == expected
    assert settings.program == "spine-body-scan" and settings.default_device == "sim"
    assert path.read_text().startswith("# mine\n")
    assert load_settings() == settings


def test_fixing_one_bad_value_saves_it_and_names_the_next(config_dir: Path) -> None:
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text('resonance_rate_bpm = 99\nsound = "loud"\n')
    # Setting a good key while another is bad: refused, naming the bad key and its fix.
    with pytest.raises(ConfigError) as caught:
        save_setting("program", "spine-body-scan")
    assert f"{path}:1: setting 'resonance_rate_bpm'" in caught.value.user_message()
    assert "config set resonance_rate_bpm default" in caught.value.user_message()
    assert "program" not in path.read_text()
    # Fixing one bad key is saved even though another is still bad, which is then named.
    with pytest.raises(ConfigError) as caught:
        save_setting("resonance_rate_bpm", "default")
    message = caught.value.user_message()
    assert message.startswith(f"resonance_rate_bpm saved, but {path}:1: setting 'sound'")
    assert message.endswith("`breathwise config set sound default`")
    assert path.read_text() == 'sound = "loud"\n'
    assert save_setting("sound", "on").sound is True


def test_a_byte_order_mark_is_read_and_kept_out_of_the_edit(config_dir: Path) -> None:
    # Windows Notepad saves UTF-8 with a byte-order mark.
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_bytes(b'\xef\xbb\xbfprogram = "spine-body-scan"\nsound = false\n')
    assert load_settings() == Settings(program="spine-body-scan", sound=False)
    assert save_setting("sound", "on") == Settings(program="spine-body-scan")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "program": "spine-body-scan",
        "sound": True,
    }


def test_config_set_checks_a_recordings_folder_now_and_notes_a_sensor_name(
    config_dir: Path, tmp_path: Path
) -> None:
    """``config set recordings_dir /proc/nope`` and ``default_device nosuch`` were stored
    without a word; the failure came only when a session started (found in review)."""
    app = typer.Typer()
    app.command("show")(config_show)
    app.command("set")(config_set)
    runner = CliRunner()
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    result = runner.invoke(app, ["set", "recordings_dir", str(a_file / "recs")])
    assert isinstance(result.exception, BadArgument)
    assert result.exception.user_message() == (
        f"setting 'recordings_dir' {a_file / 'recs'}: cannot create the folder (Not a "
        "directory) — choose a folder you can write to"
    )
    assert load_settings().recordings_dir is None
    if Path("/proc/self").is_dir():  # Linux: a system folder nothing can be made in
        result = runner.invoke(app, ["set", "recordings_dir", "/proc/nope"])
        assert isinstance(result.exception, BadArgument)
        assert "/proc/nope: cannot create the folder" in str(result.exception)
    new = tmp_path / "recs"
    result = runner.invoke(app, ["set", "recordings_dir", str(new)])
    assert result.exit_code == 0 and new.is_dir()
    assert result.stdout == f"recordings_dir = {new}\n"
    assert result.stderr == f"note: created the folder {new}\n"
    assert runner.invoke(app, ["set", "recordings_dir", str(new)]).stderr == ""

    result = runner.invoke(app, ["set", "default_device", "nosuch"])
    assert result.exit_code == 0 and load_settings().default_device == "nosuch"
    assert result.stderr.startswith("note: 'nosuch' is not a simulator (sim, sim-hr): the next")
    assert "'breathwise scan'" in result.stderr
    assert runner.invoke(app, ["set", "default_device", "sim-hr"]).stderr == ""


def test_config_set_makes_only_the_last_folder_and_wants_an_absolute_path(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: ``config set recordings_dir /nonexist/x`` created /nonexist too (a
    typo such as /mnt/usbb/breathwise, or a drive whose mount point is missing, then took
    the recordings onto the internal disk), and ``relative/path`` was taken from the current
    folder although the setting's help says "an absolute path"."""
    app = typer.Typer()
    app.command("show")(config_show)
    app.command("set")(config_set)
    runner = CliRunner()
    typo = tmp_path / "mnt" / "usbb" / "breathwise"
    result = runner.invoke(app, ["set", "recordings_dir", str(typo)])
    assert isinstance(result.exception, BadArgument)
    message = result.exception.user_message()
    assert message.startswith(
        f"setting 'recordings_dir' {typo}: the folder {tmp_path / 'mnt'} does not exist "
        "(only the last folder of the path is created) — check the path; a folder on a drive "
        "needs the drive mounted first"
    )
    assert message.endswith(f"create them yourself: mkdir -p {typo}")
    assert not (tmp_path / "mnt").exists() and load_settings().recordings_dir is None

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["set", "recordings_dir", "relative/recs"])
    assert isinstance(result.exception, BadArgument)
    assert result.exception.user_message() == (
        "setting 'recordings_dir' must be an absolute path, got 'relative/recs' — for "
        f"example {tmp_path / 'relative' / 'recs'}"
    )
    assert not (tmp_path / "relative").exists() and load_settings().recordings_dir is None
    # The help says what the command does.
    shown = runner.invoke(app, ["show"]).stdout
    assert "# folder for session recordings (an absolute path; config set makes only" in shown

    # In a folder that exists, the folder itself is made, and a note says so.
    (tmp_path / "mnt").mkdir()
    result = runner.invoke(app, ["set", "recordings_dir", str(tmp_path / "mnt" / "recs")])
    assert result.exit_code == 0
    assert result.stderr == f"note: created the folder {tmp_path / 'mnt' / 'recs'}\n"


def test_a_configured_recordings_folder_whose_drive_is_gone_is_refused_not_made_again(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: ``config set recordings_dir /tmp/x/ext/recs``, then ``rm -rf
    /tmp/x/ext`` (an unmounted drive), then a session: both folders were made again on the
    internal disk with no word, and the recording landed there. And again in review: a static
    mount point (``/mnt/usb``) stays as an empty folder once unmounted, so only the configured
    folder itself is gone; it was made again there, ``note: created the folder``, rc 0."""
    from trainer.cli.app import run

    drive = tmp_path / "mnt" / "usb"
    recs = drive / "breathwise"
    drive.mkdir(parents=True)
    app = typer.Typer()
    app.command("show")(config_show)
    app.command("set")(config_set)
    # First use: the setting makes the folder, and a session records there.
    assert CliRunner().invoke(app, ["set", "recordings_dir", str(recs)]).exit_code == 0
    assert recs.is_dir()
    code = run(["live", "--headless", "--device", "none", "--minutes", "0.05"])
    assert code == 0, capsys.readouterr()
    assert len(list(recs.glob("*.bwr"))) == 1
    capsys.readouterr()

    for gone in (recs, drive):  # the empty mount point, then no mount point at all
        shutil.rmtree(gone)
        code = run(["live", "--headless", "--device", "none", "--minutes", "0.05"])
        captured = capsys.readouterr()
        assert code == 1, captured
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("breathwise: error:"), lines
        assert f"the recordings folder {recs} (setting recordings_dir) is not there" in lines[0]
        assert "plug in the drive" in lines[0]
        assert f"mkdir -p {recs}" in lines[0] and "config set recordings_dir" in lines[0]
        assert not recs.exists()
        assert "created the folder" not in captured.err
        assert "Breath" not in captured.out  # the session did not start

    # The default folder, which Breathwise owns, is still made whole.
    save_setting("recordings_dir", "default")
    code = run(["live", "--headless", "--device", "none", "--minutes", "0.05"])
    assert code == 0, capsys.readouterr()
    assert list((tmp_path / "data" / "recordings").glob("*.bwr"))
