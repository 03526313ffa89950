"""An ECG without RR imported by an older Breathwise: its heartbeats are missing, and said so.

Review 39 F1: the importers before analysis revision 8 kept a Polar CSV's ECG (no RR or
heart-rate column) without a beat; read today such a recording gave 0 beats and its report
said "no heart-rate strap in this session" though it held the strap's ECG, and nothing told
the person that importing the CSV again takes the beats from the ECG's R peaks. The analysis
is not changed on read (that would change the replays of existing recordings): replay, report,
export and ``history --add`` say it. The recording is made here as those importers wrote it,
from today's import of the same CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from recording_edits import without_checksums
from synthetic_ecg import ecg_only_csv

from devices.packets import Stream
from devices.source import SourceInfo
from trainer.cli.app import run
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.storage.imports.import_file import import_recording
from trainer.storage.recording import Header, ecg_without_beats, read_recording
from trainer.ui.headless import ECG_WITHOUT_BEATS_PANEL, ecg_without_beats_note

NO_STRAP = "no heart-rate strap in this session"
"""What the heart panel says of a session without a heart-rate sensor."""


def _as_old_importer_wrote(today: Path, old: Path) -> Path:
    """``today``'s import of an ECG-only CSV as an importer before analysis revision 8 wrote
    it: no heart-rate stream or packets, no ``beats_from``, no analysis revision and (as
    Breathwise before checksums) no checksums; the ECG's packets as they are."""
    lines = today.read_text().splitlines()
    header = json.loads(lines[0])
    header.pop("analysis_revision")
    source = header["source"]
    del source["streams"][Stream.HEART_RATE.value]
    for key in ("beats_from", "beats"):
        del source["details"][key]
    hr = f'"s":"{Stream.HEART_RATE.value}"'
    kept = [line for line in lines[1:] if hr not in line]
    assert len(kept) < len(lines) - 100  # the beats were there, and are gone
    old.write_text(without_checksums("\n".join([json.dumps(header), *kept]) + "\n"))
    return old


def _with_acc(ecg_csv: Path, target: Path) -> Path:
    """``ecg_csv`` (``time_ns, ecg_uV``) with a chest accelerometer that breathes 12 times a
    minute (40 mG on z), as the review's ECG + ACC table: breaths, so a session to add."""
    rows = ecg_csv.read_text().splitlines()[1:]
    t0_ns = int(rows[0].split(",")[0])
    rng = np.random.default_rng(1)
    out = ["time_ns,ecg_uV,acc_x_mg,acc_y_mg,acc_z_mg"]
    for row in rows:
        t_ns = int(row.split(",")[0])
        z_mg = 1000 + 40 * np.sin(2 * np.pi * 0.2 * (t_ns - t0_ns) / 1e9)
        out.append(f"{row},{rng.normal(0, 2):.0f},{rng.normal(0, 2):.0f},{z_mg:.0f}")
    target.write_text("\n".join(out) + "\n")
    return target


@pytest.fixture(scope="module")
def old_import(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review's case: an ECG + ACC table without RR, imported by an older Breathwise."""
    folder = tmp_path_factory.mktemp("old-ecg")
    ecg_only_csv(folder / "ecg.csv", "ecg")
    src = _with_acc(folder / "ecg.csv", folder / "ecg_acc.csv")
    today = import_recording(src, "polar", folder / "today.bwr").path
    return _as_old_importer_wrote(today, folder / "old.bwr")


def _err(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = run(args)
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def test_the_old_import_reads_as_it_did(old_import: Path) -> None:
    """Nothing derived on read: no beat, as before the note."""
    recording = read_recording(old_import)
    assert not recording.damage
    assert ecg_without_beats(recording.header)
    analysis = analyse_recording(recording)
    assert analysis.beat_t_s.size == 0
    assert len(analysis.breaths) > 20  # the accelerometer's
    assert analysis.ecg_without_beats


def test_an_old_ecg_only_import_is_not_called_deletable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the accelerometer nothing is measured until it is imported again: ``history
    --add`` skips it, but not as a file with "no sensor data" that "can be deleted"."""
    ecg_only_csv(tmp_path / "ecg.csv", "ecg")
    today = import_recording(tmp_path / "ecg.csv", "polar", tmp_path / "today.bwr").path
    old = _as_old_importer_wrote(today, tmp_path / "old.bwr")
    assert run(["history", "--add", str(old)]) == 1
    err = capsys.readouterr().err
    assert "holds an ECG but no heartbeats" in err
    assert "import its CSV again to get them" in err
    assert "can be deleted" not in err
    assert "no sensor data" not in err


@pytest.mark.parametrize("command", ["replay", "report", "export", "history --add"])
def test_every_reader_says_importing_again_gets_the_beats(
    command: str, old_import: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {
        "replay": ["replay", str(old_import), "--speed", "max", "--headless"],
        "report": ["report", str(old_import), "-o", str(tmp_path / "r.png")],
        "export": ["export", str(old_import), "-f", "csv", "-o", str(tmp_path)],
        "history --add": ["history", "--add", str(old_import)],
    }[command]
    err = _err(args, capsys)
    notes = [line for line in err.splitlines() if "holds an ECG but no heartbeats" in line]
    shown = old_import.name if command == "history --add" else str(old_import)
    assert notes == [ecg_without_beats_note(shown)], err
    assert "import its CSV again to get them" in notes[0]


def test_the_report_page_does_not_say_there_was_no_strap(old_import: Path) -> None:
    figure = report_figure(analyse_recording(old_import))
    try:
        texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    finally:
        plt.close(figure)
    assert ECG_WITHOUT_BEATS_PANEL in texts
    assert NO_STRAP not in texts


def test_todays_imports_and_live_sessions_say_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An import with the beats, and one whose ECG has no QRS (importing it again gets none):
    no note, and the page says "no heart-rate strap" of the latter as before."""
    for ecg in ("ecg", "noise"):
        ecg_only_csv(tmp_path / f"{ecg}.csv", ecg)
        path = import_recording(tmp_path / f"{ecg}.csv", "polar", tmp_path / f"{ecg}.bwr").path
        err = _err(["replay", str(path), "--speed", "max", "--headless"], capsys)
        assert "no heartbeats" not in err
        assert not analyse_recording(path).ecg_without_beats
    # A live session with a strap's ECG but no heart-rate stream (none ever is: the H10's ECG
    # comes with its heart-rate stream), by any Breathwise: not an import.
    pmd = {Stream.PMD_DATA.value: {"ecg": {"fs_hz": 130.0}}}
    for revision in (None, 9):
        for kind in ("h10", "sim"):
            live = Header(
                0, 0, SourceInfo(kind=kind, name="", streams=pmd), analysis_revision=revision
            )
            assert not ecg_without_beats(live)
    # An older import with the strap's beats beside its ECG.
    with_hr = {**pmd, Stream.HEART_RATE.value: {}}
    header = Header(
        0, 0, SourceInfo(kind="import", name="", streams=with_hr), analysis_revision=None
    )
    assert not ecg_without_beats(header)
    old = Header(0, 0, SourceInfo(kind="import", name="", streams=pmd), analysis_revision=None)
    assert ecg_without_beats(old)
