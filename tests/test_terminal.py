"""The terminals and pipes the command line writes to (:mod:`trainer.ui.terminal`).

Found in review: in a locale that is not UTF-8 (``de_DE.ISO-8859-1``, a plain ``en_US``) the
first line holding a dash raised UnicodeEncodeError, which stopped a live session as "a bug"
and ended ``history`` and ``replay`` in a traceback; ``replay | head -1`` and ``history | head
-1`` exited 1 without a word and lost replay's notes on stderr; and a recordings folder that is
a file was blamed on an ``--out`` nobody gave. The child processes take their encoding from
``PYTHONIOENCODING``, as a non-UTF-8 locale gives it, without building a locale.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fake_terminal import Terminal
from recording_edits import resealed

from trainer.cli.app import run

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainer", *args]


def _run(
    *args: str, encoding: str | None = None, stdout: int | None = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    """Run the command line as the console script does, its streams in ``encoding``."""
    env = dict(os.environ)
    env.pop("PYTHONUTF8", None)
    env.pop("BREATHWISE_TRACEBACK", None)
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        _cli(*args), cwd=REPO, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=120
    )


# --- a terminal that is not UTF-8 ----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_replay_in_a_terminal_that_is_not_utf8_is_printed_in_ascii(encoding: str) -> None:
    """The sample's cue "Lovely long out-breath — keep it easy" ended the replay in a
    traceback after 77 lines, with no summary."""
    done = _run("replay", str(SAMPLE), "--speed", "max", "--headless", encoding=encoding)
    assert done.returncode == 0, done.stderr.decode(encoding, "replace")
    text = done.stdout.decode(encoding)  # strict: everything written is in the encoding
    assert "Lovely long out-breath - keep it easy" in text
    assert text.splitlines()[-1].startswith("summary: ")
    assert b"Traceback" not in done.stderr
    assert b"internal error" not in done.stderr


def test_error_lines_in_a_latin1_terminal_show_a_dash_not_an_escape() -> None:
    """Python writes what stderr cannot encode as ``\\u2014``: error lines showed that."""
    done = _run(
        "live", "--device", "none", "--program", "deep-breathing-4-8", "--minutes", "0.3",
        encoding="latin-1",
    )  # fmt: skip
    assert done.returncode == 2
    line = done.stderr.decode("latin-1")
    assert "breathwise: error: --minutes 0.3: " in line
    assert " - leave --minutes out" in line
    assert "\\u" not in line


def test_session_lines_on_a_stream_that_cannot_hold_a_dash_do_not_stop_the_session() -> None:
    """The live session's line printer raised UnicodeEncodeError into the pipeline, which
    stopped the session at its first cue as "a bug in Breathwise". A stream the command line
    did not prepare (its own get an ASCII fallback) is written in ASCII instead."""
    from trainer.session.events import MarkEvent
    from trainer.ui.headless import line_printer

    raw = io.BytesIO()
    strict = io.TextIOWrapper(raw, encoding="latin-1", errors="strict", write_through=True)
    line_printer(strict)([MarkEvent(1.0, "breathing out — slowly"), MarkEvent(2.0, "after")])
    assert raw.getvalue().decode("latin-1").splitlines() == [
        "mark at     1.0 s  breathing out - slowly",
        "mark at     2.0 s  after",
    ]


def test_the_screen_is_not_drawn_in_a_terminal_that_is_not_utf8(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its frames and bars came out as literal ``\\u256d\\u2500`` escapes: unreadable. It falls
    back to lines, as for TERM=dumb, saying why."""
    from trainer.cli import session as session_cli

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys, "__stderr__", Terminal(encoding="ISO-8859-1"))
    assert session_cli.no_screen_reason() == (
        "the terminal's character set is ISO-8859-1, not UTF-8, which it is drawn in"
    )
    monkeypatch.setattr(sys, "__stderr__", Terminal(encoding="utf-8"))
    assert session_cli.no_screen_reason() is None


@pytest.mark.parametrize(
    ("char", "ascii"),
    [
        ("—", "-"),
        ("–", "-"),
        ("…", "..."),
        ("·", "-"),
        ("→", "->"),
        ("µ", "u"),
        ("±", "+/-"),
        ("²", "^2"),
        ("é", "e"),
        ("\u00a0", " "),
        ("╭", "+"),
        ("─", "-"),
        ("│", "|"),
        ("═", "="),
        ("█", "#"),
        ("▏", "#"),
        ("漢", "?"),
        ("\udcff", "?"),  # a file name's undecodable byte (surrogateescape)
    ],
)
def test_characters_a_terminal_cannot_show_have_readable_ascii(char: str, ascii: str) -> None:
    from trainer.ui.terminal import ascii_fallback, printable

    assert ascii_fallback(char) == ascii
    assert printable(f"a{char}b", "ascii") == f"a{ascii}b"


def test_every_character_breathwise_prints_has_ascii_of_its_own() -> None:
    """No character in the code or the built-in programs becomes a bare ``?`` in ASCII: a
    new one gets its entry in :data:`trainer.ui.terminal.ASCII_FOR`."""
    from trainer.ui.terminal import ascii_fallback

    files = [*REPO.glob("trainer/**/*.py"), *REPO.glob("trainer/**/*.toml")]
    files += REPO.glob("devices/**/*.py")
    files.remove(REPO / "trainer" / "ui" / "terminal.py")  # its examples of what has none
    found = {
        char
        for path in files
        for char in re.findall(r"[^\x00-\x7f]", path.read_text(encoding="utf-8"))
    }
    assert "—" in found
    assert sorted(char for char in found if "?" in ascii_fallback(char)) == []


# --- a reader that has gone (`| head`) -----------------------------------------------------


def _with_stdout_gone(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run with standard output a pipe whose reader has already gone, as after ``| head -1``
    (every write meets EPIPE: no race with the reader)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return _run(*args, stdout=write_end)
    finally:
        os.close(write_end)


def test_a_replay_into_a_closed_pipe_still_says_its_notes_and_succeeds(tmp_path: Path) -> None:
    """`replay ... | head -1` exited 1 with nothing on stderr: the note that the replay
    differs from the live session was lost with it."""
    changed = tmp_path / "changed.bwr"
    text = SAMPLE.read_text(encoding="utf-8")
    closed_with = re.search(r'"mean_follow_score":[0-9.]+', text)
    assert closed_with is not None
    # As an earlier analysis wrote it: its checksums are those of its own lines.
    changed.write_text(
        resealed(text.replace(closed_with.group(0), '"mean_follow_score":70.0')),
        encoding="utf-8",
    )
    done = _with_stdout_gone("replay", str(changed), "--speed", "max", "--headless")
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().startswith(
        "note: this replay differs from what the live session showed (follow 70 -> 89)"
    )


@pytest.mark.parametrize("command", ["history", "programs", "hrv"])
def test_commands_into_a_closed_pipe_exit_0_quietly(command: str, tmp_path: Path) -> None:
    """`history | head -1`, `programs | head -1`... exited 1 (or 0, by timing) as click
    answers EPIPE; like a live session's lines they now end as they would have."""
    from trainer.cli.app import run

    args = [command]
    if command == "history":
        assert run(["history", "--add", str(SAMPLE)]) == 0
    elif command == "hrv":
        # 300 intervals of about 0.9 s: under the 300 s VLF asks for, so a warning is said.
        rr = tmp_path / "rr.txt"
        rr.write_text("".join(f"{900 + 40 * (i % 5)}\n" for i in range(300)), encoding="utf-8")
        args.append(str(rr))
    done = _with_stdout_gone(*args)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"Broken pipe" not in done.stderr
    if command == "hrv":  # its warnings, on stderr, are still said
        assert b"breathwise: warning: " in done.stderr


# --- a recordings folder that is a file ----------------------------------------------------


@pytest.mark.parametrize("source", ["default", "variable"])
def test_a_recordings_folder_that_is_a_file_names_where_it_came_from(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was "--out X is not a directory", exit 2, though no --out was given."""
    from trainer.cli.app import run

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(data))
    if source == "default":
        monkeypatch.delenv("BREATHWISE_RECORDINGS_DIR")
        folder = data / "recordings"
    else:
        folder = tmp_path / "afile"
        monkeypatch.setenv("BREATHWISE_RECORDINGS_DIR", str(folder))
    folder.write_text("x", encoding="utf-8")
    status = run(["live", "--device", "sim", "--minutes", "0.05", "--headless", "--no-sound"])
    err = capsys.readouterr().err
    assert status == 1
    assert "--out" not in err.split(" — ")[0]
    if source == "default":
        assert err.startswith(
            f"breathwise: error: the recordings folder {folder} (the default) is a file, not a "
            "folder — move or rename that file, or choose another folder (--out, or "
            "'breathwise config set recordings_dir DIR';"
        )
    else:
        assert err.startswith(
            f"breathwise: error: the recordings folder {folder} (BREATHWISE_RECORDINGS_DIR) is a "
            "file, not a folder — set BREATHWISE_RECORDINGS_DIR to a folder, or unset it; or "
            "choose another folder"
        )
    assert folder.read_text(encoding="utf-8") == "x"


def test_an_out_that_is_a_file_says_what_out_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typed --out naming a file was "--out X is not a directory", with no advice."""
    from trainer.cli.app import run

    monkeypatch.setenv("BREATHWISE_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "session.bwr"
    target.write_text("x", encoding="utf-8")
    status = run(
        [
            "live",
            "--device",
            "sim",
            "--minutes",
            "0.05",
            "--headless",
            "--no-sound",
            "--out",
            str(target),
        ]
    )
    assert status == 2
    assert capsys.readouterr().err == (
        f"breathwise: error: --out {target} is a file: --out names the folder the recording goes "
        "in (the recording is named by its start time) — give a folder, or leave --out out to "
        "record to the recordings folder\n"
    )
    assert target.read_text(encoding="utf-8") == "x"


# --- a standard output that cannot be written ----------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", ["programs", "replay"])
def test_output_to_a_full_disk_is_an_error_of_one_line(command: str) -> None:
    """`breathwise history > /dev/full` (a full disk under `> out.json`) ended in a traceback,
    and a command whose last output only met the disk at the interpreter's final flush exited 0
    over a cut file (found in review). Now one line, and status 1."""
    args = [command] if command == "programs" else ["replay", str(SAMPLE), "--speed", "max"]
    if command == "replay":
        args.append("--headless")
    with open("/dev/full", "wb") as full:
        done = _run(*args, stdout=full.fileno())
    assert done.returncode == 1
    assert done.stderr.decode().splitlines()[-1] == (
        "breathwise: error: could not write the standard output (No space left on device): what "
        "was printed there is incomplete — free some space, or send it elsewhere"
    )
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr


def _closed_stdout(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the command line with its standard output's descriptor closed (``>&-``)."""
    return subprocess.run(
        _cli(*args),
        cwd=REPO,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        timeout=120,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="closes a POSIX file descriptor")
def test_a_closed_standard_output_is_an_error_when_something_was_for_it(tmp_path: Path) -> None:
    """`breathwise replay x.bwr --headless >&-` (a daemon's job with its descriptors closed)
    lost what it printed and exited 0, as `hrv` and `breaths` lost their results: Python makes
    such a stdout None, and print drops what it is given (found in review). A command that
    printed nothing there is not failed for it."""
    done = _closed_stdout("replay", str(SAMPLE), "--speed", "max", "--headless")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines()[-1] == (
        "breathwise: error: standard output is closed: what the command printed there is lost "
        "— send it to a file, or to /dev/null to discard it"
    )
    done = _closed_stdout("export", str(SAMPLE), "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert b"standard output is closed" not in done.stderr
    assert (tmp_path / "sample-neurokit2-resting.session.csv").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_terminal_that_hung_up_is_a_reader_gone_not_a_failed_write() -> None:
    """A session closed on its summary screen (the terminal window closed) printed its summary
    into the hung-up terminal (``EIO``) and exited 1, "could not write the standard output",
    instead of 0 (found in review). A terminal gone is a reader gone: nothing is cut short."""
    import pty

    from trainer.ui.terminal import _prepared, output_failure, output_gone

    master, slave = pty.openpty()
    terminal = io.TextIOWrapper(io.FileIO(slave, "w"), encoding="utf-8")
    stream = _prepared(terminal)  # over terminal's buffer, which must outlive it
    assert stream is not None
    os.close(master)  # the terminal window closed: writes to its side now fail with EIO
    print("summary: 1 s", file=stream, flush=True)
    assert output_gone(stream)
    assert output_failure(stream) is None


# --- `live | tee log` at a keyboard --------------------------------------------------------


def test_a_live_session_whose_output_reader_went_still_shows_its_summary(tmp_path: Path) -> None:
    """`live ... | tee log` ended by Ctrl+C, which ends tee too: the summary went nowhere
    (found in review). It is said on standard error as well, where the terminal still is."""
    done = _with_stdout_gone(
        "live", "--device", "sim", "--minutes", "0.05", "--headless", "--no-sound",
        "--seed", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = done.stderr.decode().splitlines()
    assert any(line.startswith("summary: ") for line in said), said
    assert said[-1].startswith("recording saved: ")


def test_the_fallback_at_a_keyboard_says_how_to_end_the_session(tmp_path: Path) -> None:
    """At a keyboard with standard output piped (`| tee log`), p, m and q were only echoed and
    the note did not say that Ctrl+C is the way out (found in review). This pty is not the
    process's controlling terminal, so its keys are not read (as for a background job); where
    they are, tests/test_line_keys.py."""
    import pty

    keyboard, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUTF8"}
    try:
        done = subprocess.run(
            _cli("live", "--device", "sim", "--minutes", "0.05", "--no-sound",
                 "--seed", "1", "--out", str(tmp_path)),
            cwd=REPO, stdin=terminal, capture_output=True, env=env,
            timeout=120,
        )  # fmt: skip
    finally:
        os.close(keyboard)
        os.close(terminal)
    assert done.returncode == 0, done.stderr
    said = done.stderr.decode().splitlines()
    (note,) = [line for line in said if line.startswith("note: no screen")]
    assert note.startswith("note: no screen (standard output is not a terminal)"), note
    assert note.endswith(
        "; keys do not work without the screen: Ctrl+C ends the session and saves it"
    )


@pytest.mark.parametrize(
    "command",
    [[], *([c] for c in ("live", "replay", "scan", "programs", "screen", "hrv", "breaths",
     "report", "history", "progress", "export", "import", "config")),
     ["config", "show"], ["config", "set"]],
)  # fmt: skip
def test_every_help_page_is_ascii(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Help text is printed as written: the "m/s²" of `breaths --help` reached a terminal that
    is not UTF-8 as two bytes (found in review); every other message goes through the ASCII
    fallback."""
    assert run([*command, "--help"]) == 0
    page = capsys.readouterr().out
    assert "Usage: breathwise" in page
    assert page.isascii(), sorted({c for c in page if not c.isascii()})
