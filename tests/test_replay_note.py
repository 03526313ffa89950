"""``breathwise replay`` says when today's analysis finds other numbers than the live session.

A replay analyses the recorded bytes again with the analysis of the Breathwise that runs it,
while the header's ``software`` ("breathwise 0.1.0") stays the same across analysis changes:
a recording analysed live by an earlier analysis replayed other breaths and numbers without a
word (found: 8 of 15 accelerometer recordings of an earlier day). A recording whose closing
summary was left by such an analysis is made here by changing the numbers of a recorded live
session's closing summary, as that analysis would have left them.
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from program_runs import record_paced
from recording_edits import resealed, without_checksums

from trainer import ANALYSIS_REVISION, SOFTWARE
from trainer.cli import session as session_cli
from trainer.cli.app import run
from trainer.session.live_replay import ReplaySession
from trainer.session.summary import SessionSummary
from trainer.storage.recording import read_recording
from trainer.ui import headless
from trainer.ui.headless import analysis_changed_note, changed_numbers, format_summary

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"


@pytest.fixture(scope="module")
def live_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-minute live session on the simulated person, recorded as ``breathwise live`` does."""
    return record_paced(tmp_path_factory.mktemp("live"), 120.0, seed=4)


def _rewritten(
    source: Path, target: Path, summary: dict[str, Any], *, revision: int | None
) -> Path:
    """``source`` with its closing summary's values replaced by ``summary``'s and its header's
    analysis revision set (None: removed, as in a file from before it existed, which held no
    checksums either), as the Breathwise it stands for wrote it (its checksums made again)."""
    lines = source.read_text().splitlines()
    header = json.loads(lines[0])
    header.pop("analysis_revision", None)
    if revision is not None:
        header["analysis_revision"] = revision
    end = json.loads(lines[-1])
    assert end["k"] == "end"
    end["summary"].update(summary)
    lines[0], lines[-1] = json.dumps(header), json.dumps(end, separators=(",", ":"))
    text = "\n".join(lines) + "\n"
    target.write_text(resealed(text) if revision is not None else without_checksums(text))
    return target


def _replay(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Replay at full speed; its stderr."""
    code = run(["replay", str(path), "--speed", "max", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines()[-1].startswith("summary: ")
    return captured.err


@pytest.fixture
def on_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """``replay`` without ``--headless`` draws its screen, here headless Textual."""
    from textual.app import App

    from trainer.ui.screen import BreathwiseApp

    def run_headless(app: App[Any]) -> Any:
        return App.run(app, headless=True, size=(100, 30))

    monkeypatch.setattr(session_cli, "no_screen_reason", lambda: None)
    monkeypatch.setattr(BreathwiseApp, "run", run_headless)


def test_a_recording_replays_its_live_numbers_and_says_nothing(
    live_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The design's promise: today's live session replays to the very numbers it closed with."""
    recording = read_recording(live_recording)
    assert recording.summary is not None and recording.summary["breaths"] >= 10
    replayed = asyncio.run(ReplaySession(recording, speed=None).run()).summary
    assert changed_numbers(recording.summary, replayed) == []
    assert format_summary(replayed) == format_summary(recording.summary)
    assert "differs" not in _replay(live_recording, capsys, "--headless")


def test_an_earlier_analysis_is_named_with_the_numbers_it_left(
    live_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: nothing on stderr, and the replay's summary silently disagreed with the one the
    session closed with."""
    live = read_recording(live_recording).summary
    assert live is not None
    breaths, rate, ratio = live["breaths"], live["median_rate_bpm"], live["mean_ratio"]
    coherence = live["coherence_score"]
    assert rate is not None and ratio is not None and coherence is not None
    earlier = {
        "breaths": breaths + 3,
        "median_rate_bpm": rate + 0.4,
        "mean_ratio": ratio - 0.2,
        "coherence_score": coherence + 1.0,
        "strain_signs": live["strain_signs"] + 1,
    }
    old = _rewritten(live_recording, tmp_path / "old.bwr", earlier, revision=None)
    err = _replay(old, capsys, "--headless")
    notes = [line for line in err.splitlines() if "differs" in line]
    assert notes == [
        "note: this replay differs from what the live session showed ("
        f"breaths {breaths + 3} -> {breaths}, "
        f"median rate {rate + 0.4:.1f} -> {rate:.1f}/min, "
        f"mean exhale:inhale {ratio - 0.2:.2f} -> {ratio:.2f}, "
        f"coherence {coherence + 1.0:.1f} -> {coherence:.1f}/10, "
        f"strain signs {live['strain_signs'] + 1} -> {live['strain_signs']}): the session was "
        f"analysed live by {SOFTWARE}, an earlier analysis from before recordings named their "
        f"revision, and the replay by today's analysis ({SOFTWARE}, analysis revision "
        f"{ANALYSIS_REVISION})"
    ]


def test_the_screen_replay_says_it_too(
    live_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], on_screen: None
) -> None:
    live = read_recording(live_recording).summary
    assert live is not None
    old = _rewritten(
        live_recording, tmp_path / "old.bwr", {"breaths": live["breaths"] - 2}, revision=None
    )
    err = _replay(old, capsys)
    assert f"(breaths {live['breaths'] - 2} -> {live['breaths']})" in err
    assert "differs" not in _replay(live_recording, capsys)


def test_a_known_earlier_revision_is_named(
    live_recording: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A recording stamped with its revision is told apart from today's by it."""
    monkeypatch.setattr(headless, "ANALYSIS_REVISION", ANALYSIS_REVISION + 1)
    live = read_recording(live_recording).summary
    assert live is not None
    old = _rewritten(live_recording, tmp_path / "old.bwr", {"gaps": 1}, revision=ANALYSIS_REVISION)
    err = _replay(old, capsys, "--headless")
    assert (
        f"(gaps 1 -> 0): the session was analysed live by an earlier analysis ({SOFTWARE}, "
        f"analysis revision {ANALYSIS_REVISION}) and the replay by today's analysis "
        f"({SOFTWARE}, analysis revision {ANALYSIS_REVISION + 1})"
    ) in err
    # Untouched, the same stamp says nothing: only numbers that differ are worth a note.
    same = _rewritten(live_recording, tmp_path / "same.bwr", {}, revision=ANALYSIS_REVISION)
    assert "differs" not in _replay(same, capsys, "--headless")


def test_numbers_stored_rounded_by_an_earlier_version_are_not_a_difference(
    live_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before 2026-12-06 a closing summary held its numbers rounded to 0.01: a stored 0.25
    shows as 0.2 where the 0.2504 it came from shows 0.3, the same number."""
    live = read_recording(live_recording).summary
    assert live is not None
    rounded = {
        key: round(value, 2)
        for key, value in live.items()
        if isinstance(value, float) and key != "duration_s"
    }
    old = _rewritten(live_recording, tmp_path / "rounded.bwr", rounded, revision=None)
    assert "differs" not in _replay(old, capsys, "--headless")
    # The bundled sample, the first recording a new user replays, never carries a note: when
    # an analysis revision changes its numbers, recordings/derive_sample.py writes it again.
    assert "differs" not in _replay(SAMPLE, capsys, "--headless")


def test_a_session_killed_before_its_summary_has_nothing_to_compare(
    live_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = live_recording.read_text().splitlines()
    killed = tmp_path / "killed.bwr"
    killed.write_text("\n".join(lines[:-1]) + "\n")
    err = _replay(killed, capsys, "--headless")
    assert err.splitlines() == [
        f"note: {killed} was cut short (session killed?); replaying what it holds"
    ]


@pytest.mark.parametrize(
    ("recorded", "replayed", "changes"),
    [
        # Only what the recording holds: a key an older software never wrote was never shown.
        ({"breaths": 12}, {"breaths": 12, "mean_rsa_bpm": 3.0}, []),
        ({"mean_rsa_bpm": None}, {"mean_rsa_bpm": 3.04}, ["RSA - -> 3.0 bpm"]),
        ({"median_rate_bpm": 6.04}, {"median_rate_bpm": 6.06}, ["median rate 6.0 -> 6.1/min"]),
        ({"median_rate_bpm": 6.25}, {"median_rate_bpm": 6.2504}, []),
        ({"hr_end_bpm": 70.4}, {"hr_end_bpm": 70.2}, []),
        ({"breath_source": "acc"}, {"breath_source": "rr"}, ["rate from acc -> rr"]),
        (
            {"resonance": {"chosen_rate_bpm": 5.5}},
            {"resonance": {"chosen_rate_bpm": 6.0}},
            ["resonance rate 5.5 -> 6.0/min"],
        ),
        (
            {"hr_start_bpm": 61.0, "marks": 2},
            {"hr_start_bpm": 62.0, "marks": 2},
            ["HR at start 61 -> 62 bpm"],
        ),
    ],
)
def test_changed_numbers_are_those_a_person_reads_differently(
    recorded: SessionSummary, replayed: SessionSummary, changes: list[str]
) -> None:
    assert changed_numbers(recorded, replayed) == changes


@pytest.mark.parametrize(
    ("revision", "checksums", "words"),
    [
        (None, 0, "from before recordings named their revision"),
        (
            ANALYSIS_REVISION,
            0,
            "should agree: a damaged file (it holds no checksums to tell), an analysis change "
            "that did not raise the revision",
        ),
        (
            ANALYSIS_REVISION,
            3,
            "should agree, and the file's checksums say it is as the session wrote it: an "
            "analysis change that did not raise the revision",
        ),
        (ANALYSIS_REVISION + 1, 0, "by a later analysis"),
    ],
)
def test_the_note_says_which_analysis_wrote_the_recording(
    revision: int | None, checksums: int, words: str
) -> None:
    """With the revisions equal, a file without checksums may be damaged: the note names that
    cause too (review 32 F2: it blamed the analysis alone for a copy with a flipped bit)."""
    note = analysis_changed_note(
        SOFTWARE, revision, {"breaths": 3}, {"breaths": 4}, checksums=checksums
    )
    assert note.startswith("note: this replay differs from what the live session showed (")
    assert words in note and "\n" not in note
    assert analysis_changed_note(SOFTWARE, revision, {"breaths": 3}, {"breaths": 3}) == ""


def test_a_folders_summary_table_names_the_analysis_of_each_row(
    live_recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report DIR``'s summary.csv held today's numbers with no word of which analysis made
    them, nor that a row's numbers differ from those its session closed with (the page and
    stderr said so, the table did not): it now has ``analysis_revision``,
    ``recorded_analysis_revision`` and ``numbers_changed``, as a CSV export names them."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    _rewritten(live_recording, folder / "a-same.bwr", {}, revision=ANALYSIS_REVISION)
    _rewritten(live_recording, folder / "b-older.bwr", {"gaps": 1}, revision=None)
    (folder / "c-broken.bwr").write_text("not a recording\n")
    out = tmp_path / "reports"
    out.mkdir()
    assert run(["report", str(folder), "-o", str(out), "--table-only", "-j", "1"]) == 0
    capsys.readouterr()
    with (out / "summary.csv").open(newline="") as f:
        rows = {row["file"]: row for row in csv.DictReader(f)}
    revisions = {
        name: (
            row["analysis_revision"],
            row["recorded_analysis_revision"],
            row["numbers_changed"],
        )
        for name, row in rows.items()
    }
    assert revisions == {
        "a-same.bwr": (str(ANALYSIS_REVISION), str(ANALYSIS_REVISION), "False"),
        "b-older.bwr": (str(ANALYSIS_REVISION), "", "True"),
        "c-broken.bwr": ("", "", ""),
    }
