"""JSON or TOML nested too deeply to parse is damage, said in one line, never a crash.

``json.loads`` and ``tomllib.loads`` recurse once per level: 200 000 ``[`` in a shared
recording, program or settings file raised ``RecursionError``, "internal error" (exit 70)
from ``replay``, ``report`` and ``export``; one such program file in the programs folder took
``programs`` and ``live`` down with every program, built-in ones too (found in review).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simulated_sessions import write_simulated

from trainer.cli.app import run

DEEP_JSON = "[" * 200_000 + "]" * 200_000


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return write_simulated(tmp_path / "session.bwr", 30.0, seed=3)


def _nested_item(recording: Path) -> Path:
    lines = recording.read_text(encoding="utf-8").split("\n")
    start_ns = json.loads(lines[0])["start_mono_ns"]
    lines[3] = f'{{"k":"mark","m":{start_ns + 10**9},"w":1,"x":{DEEP_JSON}}}'
    path = recording.with_name("deep-item.bwr")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _nested_header(recording: Path) -> Path:
    lines = recording.read_text(encoding="utf-8").split("\n")
    assert lines[0].endswith("}")
    lines[0] = lines[0][:-1] + f',"x":{DEEP_JSON}}}'
    path = recording.with_name("deep-header.bwr")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["replay", "report", "export"])
def test_a_recording_nested_too_deeply_is_damaged_at_its_line(
    command: str, recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = {"replay": ["--headless"], "report": ["-o", str(tmp_path / "r.png")]}.get(
        command, ["-o", str(tmp_path / "exported")]
    )
    for path, where in (
        (_nested_item(recording), "damaged at line 4 (JSONTooDeepError: nested too deeply"),
        (_nested_header(recording), "recording header is damaged at line 1"),
    ):
        assert run([command, str(path), *extra]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"breathwise: error: {path}") or err.startswith(
            f"breathwise: error: {path.name}"
        ), err
        assert where in err and "nested too deeply to read" in err, err
        assert "internal error" not in err and len(err.strip().splitlines()) == 1, err


def test_history_add_skips_it_with_a_note(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = _nested_item(recording)
    assert run(["history", "--add", str(recording), str(deep)]) == 0
    err = capsys.readouterr().err
    assert "nested too deeply to read" in err and "internal error" not in err, err


def test_a_program_file_nested_too_deeply_is_a_warning_and_the_rest_still_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.programs.catalog import user_programs_dir

    user_programs_dir().mkdir(parents=True)
    shared = user_programs_dir() / "shared.toml"
    shared.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert run(["programs"]) == 0
    out, err = capsys.readouterr()
    assert "relaxation-response" in out
    assert f"warning: {shared}:1: not valid TOML: nested too deeply to read" in err
    # What `live -P NAME` loads first: the catalog, built-in programs and the person's.
    from trainer.programs import load_catalog

    assert load_catalog().get("deep-breathing-4-8").title == "Deep breathing 4-8"


def test_a_settings_file_nested_too_deeply_is_the_settings_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trainer.storage.config import settings_path

    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert run(["config", "show"]) == 1
    assert capsys.readouterr().err == (
        f"breathwise: error: {path}:1: settings file is not valid TOML: nested too deeply to "
        "read — fix or delete the file\n"
    )
