"""Export: CSV per stream, and EDF+ read back with a standard EDF reader (pyedflib / EDFlib)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import write_simulated

from trainer.analysis_run import SessionAnalysis, analyse_recording
from trainer.errors import BadArgument, UserError
from trainer.exchange_cli import export
from trainer.export import export_recording

pyedflib = pytest.importorskip("pyedflib")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SessionAnalysis]:
    path = write_simulated(
        tmp_path_factory.mktemp("export") / "three.bwr",
        180.0,
        seed=11,
        gap=(70.0, 12.0),
        marks=((30.0, "cough"),),
        steps=((120.0, 5.0, 1.5, "Slow down"),),
    )
    return path, analyse_recording(path)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_per_stream_holds_the_analysed_samples(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    path, analysis = session
    files = export_recording(path, "csv", tmp_path)
    names = sorted(f.name for f in files)
    assert names == [
        "three.beats.csv",
        "three.belt.csv",
        "three.breaths.csv",
        "three.events.csv",
        "three.pacer.csv",
    ]
    belt = _rows(tmp_path / "three.belt.csv")
    assert len(belt) == analysis.belt_values.size
    got = np.array([float(r["force"]) for r in belt])
    assert np.allclose(got, analysis.belt_values, atol=1e-6)
    beats = _rows(tmp_path / "three.beats.csv")
    assert np.allclose([float(r["rr_ms"]) for r in beats], analysis.rr_ms, atol=1e-6)
    breaths = _rows(tmp_path / "three.breaths.csv")
    assert len(breaths) == len(analysis.breaths) > 10
    assert set(breaths[0]) >= {"inhale_onset_s", "exhale_onset_s", "ratio", "follow_score"}
    events = {(r["kind"], r["text"]) for r in _rows(tmp_path / "three.events.csv")}
    assert {("mark", "cough"), ("gap", "sim"), ("step", "Slow down")} <= events
    pacer = _rows(tmp_path / "three.pacer.csv")
    assert pacer[0]["phase"] == "inhale" and float(pacer[0]["t_s"]) == 0.0
    assert {r["rate_bpm"] for r in pacer if float(r["t_s"]) > 125} == {"5.0"}


def test_edf_reads_back_the_same_samples_and_annotations(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    path, analysis = session
    out = tmp_path / "three.edf"
    export(path, "edf", out)
    with pyedflib.EdfReader(str(out)) as reader:
        labels = reader.getSignalLabels()
        assert labels == ["Resp belt", "Pacer target", "Heart rate"]
        assert reader.getFileDuration() == 180
        belt_i = labels.index("Resp belt")
        assert reader.getSampleFrequency(belt_i) == pytest.approx(analysis.belt_fs_hz)
        belt = reader.readSignal(belt_i)
        lo, hi = reader.getPhysicalMinimum(belt_i), reader.getPhysicalMaximum(belt_i)
        onsets, durations, texts = reader.readAnnotations()
    resolution = (hi - lo) / 65535
    idx = np.rint(analysis.belt_t_s * analysis.belt_fs_hz).astype(int)
    inside = idx < belt.size  # a sample at exactly the session end falls past the last record
    assert np.count_nonzero(~inside) <= 1
    assert np.max(np.abs(belt[idx[inside]] - analysis.belt_values[inside])) <= resolution
    # Inside the gap the belt holds the physical minimum, and a "no data" annotation says so.
    hole = belt[int(72 * analysis.belt_fs_hz) : int(80 * analysis.belt_fs_hz)]
    assert np.allclose(hole, lo, atol=resolution)
    texts = list(texts)
    beat_notes = [t for t in texts if t.startswith("beat")]
    assert len(beat_notes) == analysis.rr_ms.size
    beat_onsets = np.sort(np.asarray(onsets)[[t.startswith("beat") for t in texts]])
    assert np.allclose(beat_onsets, np.sort(analysis.beat_t_s), atol=1e-4)  # TAL: 100 us
    assert texts.count("inhale 1") == 1 and texts.count("exhale 1") == 1
    assert sum(t == "pacer inhale" for t in texts) >= 17
    assert "mark cough" in texts and "step Slow down" in texts
    gap = [(o, d) for o, d, t in zip(onsets, durations, texts, strict=True) if t == "gap sim"]
    assert gap == [(pytest.approx(70.0, abs=1e-3), pytest.approx(12.0, abs=1e-3))]
    assert any(t == "no data belt" for t in texts)


def test_unknown_format_is_a_bad_argument(session: tuple[Path, SessionAnalysis]) -> None:
    path, _ = session
    with pytest.raises(BadArgument, match="xml"):
        export_recording(path, "xml")


def test_the_wrong_kind_of_output_is_one_clear_line(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """A folder for EDF and a file for CSV once ended in OSError / FileExistsError tracebacks."""
    path, _ = session
    folder = tmp_path / "outdir"
    folder.mkdir()
    with pytest.raises(UserError, match=r"outdir: is a folder; EDF export writes one file"):
        export(path, "edf", folder)
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    with pytest.raises(UserError, match=r"afile: is a file; CSV export writes a folder") as info:
        export(path, "csv", a_file)
    assert "-f edf" in info.value.user_message()
    with pytest.raises(BadArgument, match=r"s\.edf names an EDF file, but the format is csv"):
        export(path, "csv", tmp_path / "s.edf")
    with pytest.raises(UserError, match=r"afile: is a file, not a folder"):
        export(path, "edf", a_file / "s.edf")
    assert a_file.read_text() == "x"
    assert not (tmp_path / "s.edf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "outdir"]


def test_an_existing_export_is_replaced_only_with_force(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """EDF once overwrote any file silently, where import refuses to."""
    path, _ = session
    precious = tmp_path / "precious.edf"
    precious.write_text("keep me")
    with pytest.raises(UserError, match=r"precious\.edf: already exists") as info:
        export(path, "edf", precious)
    assert "--force" in info.value.user_message()
    assert precious.read_text() == "keep me"
    export(path, "edf", precious, force=True)
    with pyedflib.EdfReader(str(precious)) as reader:
        assert "Resp belt" in reader.getSignalLabels()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.edf"]  # no partial file left

    out = tmp_path / "csv"
    out.mkdir()
    (out / "three.breaths.csv").write_text("mine")
    with pytest.raises(UserError, match=r"three\.breaths\.csv: already exists"):
        export(path, "csv", out)
    assert [p.name for p in out.iterdir()] == ["three.breaths.csv"]  # nothing written at all
    assert (out / "three.breaths.csv").read_text() == "mine"
    export(path, "csv", out, force=True)
    assert len(list(out.iterdir())) == 5
    assert (out / "three.breaths.csv").read_text().startswith("index,")


def test_exports_are_owner_only_and_replace_whole_files(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """Exports are health data (design.md: owner-only); once written 0644 and CSV in place."""
    path, _ = session
    out = tmp_path / "csv"
    out.mkdir()
    old = out / "three.breaths.csv"
    old.write_text("mine")
    kept = tmp_path / "link-to-old"
    kept.hardlink_to(old)  # a replacement by rename leaves the old inode (and this link) alone
    written = [
        *export_recording(path, "csv", out, force=True),
        *export_recording(path, "edf", tmp_path / "s.edf"),
    ]
    assert len(written) == 6
    assert {f.stat().st_mode & 0o777 for f in written} == {0o600}
    assert kept.read_text() == "mine"
    assert not [p.name for p in tmp_path.rglob(".*")]  # no temporary file left behind


def test_force_parses_on_the_command_line(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    import typer
    from typer.testing import CliRunner

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("export")(export)
    app.command("other")(lambda: None)
    path, _ = session
    out = tmp_path / "s.edf"
    out.write_text("old")
    args = ["export", str(path), "-f", "edf", "-o", str(out)]
    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, UserError) and out.read_text() == "old"
    result = CliRunner().invoke(app, [*args, "--force"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.stat().st_size > 1000


def test_values_edf_cannot_hold_are_one_line_errors(tmp_path: Path) -> None:
    # A hand-damaged recording: the belt reads 3.4e38 N (float32 max) in every packet.
    sample = Path(__file__).parents[1] / "recordings" / "sample-neurokit2-resting.bwr"
    lines = sample.read_text().splitlines()[:400]
    for i, line in enumerate(lines):
        if '"s":"gdx"' in line:
            lines[i] = line[:-10] + 'ffff7f7f"}'
    path = tmp_path / "huge.bwr"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as caught:
        export_recording(path, "edf", tmp_path / "huge.edf")
    message = caught.value.user_message()
    assert message.startswith(f"{path}: signal 'Resp belt' reaches values EDF cannot hold")
    assert "-f csv" in message
    export_recording(path, "csv", tmp_path / "csv")  # CSV holds any number
