"""Export: CSV per stream, and EDF+ read back with a standard EDF reader (pyedflib / EDFlib)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from full_disk import file_size_limit
from simulated_sessions import WALL_NS, write_simulated

from devices.heart_rate import encode_heart_rate_measurement
from devices.packets import NS_PER_S, RawPacket
from devices.polar_pmd import MeasurementType, encode_frame
from devices.source import SourceInfo
from trainer.cli.exchange import export
from trainer.coaching.pacer import BreathPattern
from trainer.errors import BadArgument, UserError
from trainer.reports.session_analysis import SessionAnalysis, analyse_recording
from trainer.storage import export as export_module
from trainer.storage.export import export_recording, pmd_waveforms
from trainer.storage.recording import Header, Item, PacerChange, read_recording, write_recording

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
        "three.session.csv",
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
    # The breaths the session scored, as it scored them (not re-timed from the whole recording).
    for r, e in zip(breaths, analysis.breaths, strict=True):
        for column in ("inhale_onset_s", "end_s", "rate_bpm", "pause_s"):
            assert float(r[column]) == pytest.approx(getattr(e.breath, column), abs=1e-6)
    for r in breaths:
        start = float(r["exhale_onset_s"]) + float(r["exhale_s"])
        assert float(r["pause_s"]) == pytest.approx(float(r["end_s"]) - start, abs=1e-5)
    events = {(r["kind"], r["text"]) for r in _rows(tmp_path / "three.events.csv")}
    assert {("mark", "cough"), ("gap", "sim"), ("step", "Slow down")} <= events
    pacer = _rows(tmp_path / "three.pacer.csv")
    assert pacer[0]["phase"] == "inhale" and float(pacer[0]["t_s"]) == 0.0
    assert {r["rate_bpm"] for r in pacer if float(r["t_s"]) > 125} == {"5.0"}


def test_the_exported_breaths_are_the_ones_the_session_showed(tmp_path: Path) -> None:
    """Found in review: the sample's breaths.csv re-timed every breath from the whole
    recording, so 74 of its 79 rates differed from the lines the session printed (and replay
    prints) by more than rounding, up to 0.8/min, and the median of the column was 16.579
    against the 16.5/min of the summary and the history (16.527). Now each row is the printed
    breath, and the median of the counted rows is the session's."""
    import re

    from trainer.cli.app import run

    sample = Path(__file__).resolve().parents[1] / "recordings" / "sample-neurokit2-resting.bwr"
    copy = tmp_path / sample.name
    copy.write_bytes(sample.read_bytes())
    lines = io.StringIO()
    with contextlib.redirect_stdout(lines):
        assert run(["replay", str(copy), "--headless", "--speed", "max"]) == 0
    shown = re.findall(
        r"^breath +\d+ at +(\S+) s +rate +(\S+)/min +in +(\S+) s +out +(\S+) s +pause +(\S+) s"
        r" +exhale:inhale +(\S+)",
        lines.getvalue(),
        re.M,
    )
    export_recording(copy, "csv", tmp_path)
    rows = _rows(tmp_path / f"{copy.stem}.breaths.csv")
    assert len(shown) == len(rows) == 79
    for printed, row in zip(shown, rows, strict=True):
        columns = ("end_s", "rate_bpm", "inhale_s", "exhale_s", "pause_s")
        assert printed[:5] == tuple(f"{float(row[c]):.1f}" for c in columns)
        assert printed[5] == f"{float(row['ratio']):.2f}"
    counted = [float(r["rate_bpm"]) for r in rows if r["counted"] == "1"]
    metrics = analyse_recording(copy).metrics()
    assert metrics["breath_source"] == "belt"
    assert float(np.median(counted)) == pytest.approx(metrics["median_rate_bpm"], abs=1e-5)
    # The rate `breathwise breaths` gives the same belt (docs/validation/breathing.md, section
    # 5): live breaths end at the next inhale now (review 28 F2), as the command's do.
    assert f"{float(np.median(counted)):.3f}" == "16.613"


def test_counted_marks_the_breaths_of_the_sessions_median(tmp_path: Path) -> None:
    """A paced session with a pause and an own-rhythm stretch: its median rate is of the
    breaths begun while the pacer paced, unpaused, not artifacts; ``counted`` says which, so
    the median of the file's rates over them is the history's."""
    from simulated_sessions import START_NS, simulated_items, write_items

    header, items, end_ns = simulated_items(300.0, rate_bpm=6.0)
    changes = [
        PacerChange(START_NS + 60 * NS_PER_S, 0, "pause"),
        PacerChange(START_NS + 100 * NS_PER_S, 0, "resume"),
        PacerChange(START_NS + 200 * NS_PER_S, 0, "own", target_ratio=1.5),
    ]
    items = sorted([*items, *changes], key=lambda item: item.t_mono_ns)
    path = write_items(tmp_path / "mixed.bwr", header, items, end_ns)
    analysis = analyse_recording(path)
    export_recording(path, "csv", tmp_path)
    rows = _rows(tmp_path / "mixed.breaths.csv")
    expected = [
        int(e.paced and not e.paused and e.breath.quality != "artifact") for e in analysis.breaths
    ]
    assert [int(r["counted"]) for r in rows] == expected
    assert 0 < sum(expected) < len(expected) - 5  # the pause and the own rhythm left out
    counted = [float(r["rate_bpm"]) for r in rows if r["counted"] == "1"]
    everything = [float(r["rate_bpm"]) for r in rows]
    median = analysis.metrics()["median_rate_bpm"]
    assert float(np.median(counted)) == pytest.approx(median, abs=1e-5)
    assert float(np.median(everything)) != pytest.approx(median, abs=1e-3)


OLD_BREATH_COLUMNS = [
    "index",
    "inhale_onset_s",
    "exhale_onset_s",
    "end_s",
    "inhale_s",
    "exhale_s",
    "pause_s",
    "rate_bpm",
    "ratio",
    "depth",
    "quality",
    "follow_score",
    "hr_bpm",
    "paused",
    "counted",
]
"""``<stem>.breaths.csv``'s columns before ``source`` and ``depth_unit``: what older exports
hold, and where a reader of them finds each column still."""


def _belt_then_acc(path: Path, belt_s: float = 120.0, acc_s: float = 300.0) -> Path:
    """A recording of a Go Direct belt (N) and a Polar H10's accelerometer on one breathing
    (tests/test_pipeline_sources.py), the belt stopping after ``belt_s``: its first breaths
    are the belt's, the rest the accelerometer's. Dated :data:`WALL_NS`, as an import needs
    a real start."""
    from test_pipeline_sources import _acc_packets, _belt_packets, _pipeline

    header = dataclasses.replace(_pipeline().header, start_wall_ns=WALL_NS)
    items: list[Item] = sorted(
        (
            dataclasses.replace(p, t_wall_ns=WALL_NS + p.t_mono_ns)
            for p in [*_belt_packets(belt_s), *_acc_packets(acc_s)]
        ),
        key=lambda item: item.t_mono_ns,
    )
    end_ns = items[-1].t_mono_ns
    return write_recording(
        path,
        header,
        items,
        {"ended": "completed"},
        end_mono_ns=end_ns,
        end_wall_ns=WALL_NS + end_ns,
    )


def test_breaths_of_a_belt_and_an_h10_say_their_source_and_the_unit_of_their_depth(
    tmp_path: Path,
) -> None:
    """Found in review: with a belt and a Polar H10 the session reads breaths from the better
    of the two, and breaths.csv's ``depth`` held the belt's newtons (about 1 here) and the
    accelerometer's mG (about 26) in one column, with nothing in a row to say which. Each row
    now names its ``source`` and its ``depth_unit``: the belt's (``session.csv``'s
    ``belt_unit``) or the mg of ``acc.csv``'s columns. The two come last, so every column
    an older export has keeps its place."""
    path = _belt_then_acc(tmp_path / "both.bwr")
    analysis = analyse_recording(path)
    export_recording(path, "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "both.breaths.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [*OLD_BREATH_COLUMNS, "source", "depth_unit"]
    rows = _rows(tmp_path / "csv" / "both.breaths.csv")
    assert [r["source"] for r in rows] == [e.source for e in analysis.breaths]
    sources = [r["source"] for r in rows]
    # The belt's breaths, then, after the handover, the accelerometer's: 10 and 18 here.
    belt_count = sources.count("belt")
    assert belt_count >= 8 and sources == ["belt"] * belt_count + ["acc"] * (len(rows) - belt_count)
    assert len(rows) - belt_count >= 15
    session = dict(csv.reader((tmp_path / "csv" / "both.session.csv").open(newline="")))
    assert session["belt_unit"] == "N"
    acc_unit = _rows(tmp_path / "csv" / "both.acc.csv")[0].keys() - {"t_s"}
    assert {column.rsplit("_", 1)[1] for column in acc_unit} == {"mg"}
    by_source: dict[str, list[float]] = {"belt": [], "acc": []}
    for r in rows:
        assert r["depth_unit"] == {"belt": session["belt_unit"], "acc": "mg"}[r["source"]]
        by_source[r["source"]].append(float(r["depth"]))
    # The depths are of their units: the belt's 1 N swing, the 1.5 degree tilt's 26 mG.
    assert np.median(by_source["belt"]) == pytest.approx(1.0, abs=0.05)
    assert np.median(by_source["acc"]) == pytest.approx(1000 * np.sin(np.deg2rad(1.5)), rel=0.1)


def test_an_export_with_the_new_breath_columns_and_an_older_one_import_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``import`` reads none of breaths.csv (it is refused in one line, the columns after
    ``counted`` or not), and an export's accelerometer comes back the same beside the new
    columns as beside an older export's; the re-import's breaths are the accelerometer's,
    exported with its unit."""
    from trainer.cli.app import run

    path = _belt_then_acc(tmp_path / "both.bwr", belt_s=60.0, acc_s=150.0)
    folder = tmp_path / "csv"
    export_recording(path, "csv", folder)
    breaths_csv = folder / "both.breaths.csv"
    new_text = breaths_csv.read_text()
    with breaths_csv.open(newline="") as handle:
        old_rows = [row[: len(OLD_BREATH_COLUMNS)] for row in csv.reader(handle)]
    old_text = "".join(",".join(row) + "\n" for row in old_rows)
    assert old_text.splitlines()[0] == ",".join(OLD_BREATH_COLUMNS)
    imported: dict[str, list[tuple[float, float]]] = {}
    for label, text in (("new", new_text), ("old", old_text)):
        breaths_csv.write_text(text)
        capsys.readouterr()
        assert run(["import", str(breaths_csv), "-o", str(tmp_path / f"b-{label}.bwr")]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "no time column" in err
        out = tmp_path / f"acc-{label}.bwr"
        assert run(["import", str(folder / "both.acc.csv"), "-o", str(out), "--no-history"]) == 0
        again = analyse_recording(out)
        assert again.start_wall_ns == WALL_NS
        assert {e.source for e in again.breaths} == {"acc"} and len(again.breaths) >= 10
        imported[label] = [(e.breath.inhale_onset_s, e.breath.depth) for e in again.breaths]
        export_recording(out, "csv", tmp_path / f"again-{label}")
        rows = _rows(tmp_path / f"again-{label}" / f"acc-{label}.breaths.csv")
        assert {(r["source"], r["depth_unit"]) for r in rows} == {("acc", "mg")}
    assert imported["new"] == imported["old"]


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
    # ... below every measured sample: a reader ignoring annotations cannot take it for one.
    assert lo < analysis.belt_values.min() - resolution / 2
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
    # The option and its choices named, as every other option's refusal does.
    with pytest.raises(BadArgument, match=r"^--format must be 'csv' or 'edf', not 'xml'$"):
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
    # "-o newdir/" once wrote an EDF file named newdir, and "-o s.csv" EDF into a .csv file.
    with pytest.raises(BadArgument, match=r"newdir: an EDF file's name ends in \.edf") as info:
        export(path, "edf", tmp_path / "newdir")
    assert info.value.advice == f"for example -o {tmp_path / 'newdir' / 'three.edf'}"
    with pytest.raises(BadArgument, match=r"s\.csv names a CSV file, but the format is edf"):
        export(path, "edf", tmp_path / "s.csv")
    assert not (tmp_path / "newdir").exists() and not (tmp_path / "s.csv").exists()
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
    # A link to nothing is a file there too: it was replaced without --force.
    link = tmp_path / "link.edf"
    link.symlink_to(tmp_path / "nowhere.edf")
    with pytest.raises(UserError, match=r"link\.edf: already exists"):
        export(path, "edf", link)
    assert link.is_symlink() and not link.exists()
    link.unlink()

    out = tmp_path / "csv"
    out.mkdir()
    (out / "three.breaths.csv").write_text("mine")
    with pytest.raises(UserError, match=r"three\.breaths\.csv: already exists"):
        export(path, "csv", out)
    assert [p.name for p in out.iterdir()] == ["three.breaths.csv"]  # nothing written at all
    assert (out / "three.breaths.csv").read_text() == "mine"
    (out / "three.breaths.csv").unlink()
    (out / "three.pacer.csv").symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(UserError, match=r"three\.pacer\.csv: already exists"):
        export(path, "csv", out)
    assert [p.name for p in out.iterdir()] == ["three.pacer.csv"]
    (out / "three.breaths.csv").write_text("mine")
    export(path, "csv", out, force=True)
    assert len(list(out.iterdir())) == 6
    assert (out / "three.breaths.csv").read_text().startswith("index,")


@pytest.mark.parametrize("fails_at", [1, 3, 6])
def test_a_full_disk_half_way_through_a_csv_export_writes_none_of_it(
    session: tuple[Path, SessionAnalysis],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fails_at: int,
) -> None:
    """Each CSV was renamed into place before the next was written: a disk filling at the
    third left the new belt and beats beside the older export's breaths and session.csv, and
    ``import`` of those beats read them as the older session (review 3, finding 2). Now the
    files are renamed only once all are written: the older export stays whole, a new folder
    stays empty, and no temporary file is left."""
    import csv as real_csv

    from trainer.storage import paths as paths_module

    path, _ = session
    (tmp_path / "other").mkdir()
    other = write_simulated(tmp_path / "other" / "three.bwr", 60.0, seed=5)
    out = tmp_path / "csv"
    out.mkdir()
    export(other, "csv", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    opened = 0

    class FillingCsv:
        def writer(self, handle: Any) -> Any:
            nonlocal opened
            opened += 1
            if opened == fails_at:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_csv.writer(handle)

    monkeypatch.setattr(paths_module, "csv", FillingCsv())
    with pytest.raises(UserError) as info:
        export(path, "csv", out, force=True)
    assert info.value.user_message().endswith(
        ": cannot write (No space left on device); none of the other files was written or replaced"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    opened = 0
    with pytest.raises(
        UserError,
        match=r"cannot write \(No space left on device\); none of the other files was written",
    ):
        export(path, "csv", fresh)
    assert list(fresh.iterdir()) == []


def test_exports_are_owner_only_and_replace_whole_files(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """Exports are health data (docs/reference/design.md: owner-only); once written 0644 and CSV in
    place."""
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
    assert len(written) == 7  # six CSV (session.csv too) and the EDF
    assert {f.stat().st_mode & 0o777 for f in written} == {0o600}
    assert kept.read_text() == "mine"
    assert not [p.name for p in tmp_path.rglob(".*")]  # no temporary file left behind


def test_an_edf_export_that_cannot_be_written_whole_fails_and_keeps_the_old_file(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """EDFlib ignores failed writes: on a nearly full disk `export -f edf --force` renamed a
    short file over a good one and said "written", exit 0 (found by a tester on a 160 KB
    tmpfs). A file size limit makes EDFlib's writes fail the same way, without root."""
    path, _ = session
    good = export_recording(path, "edf", tmp_path / "s.edf")[0]
    before = good.read_bytes()
    args = ["export", str(path), "-f", "edf", "-o", str(good), "--force"]
    done = subprocess.run(
        [sys.executable, "-m", "trainer", *args],
        preexec_fn=file_size_limit(len(before) // 3),
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"breathwise: error: {good}: cannot write (File too large)\n"
    assert good.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.edf"]  # no temporary file left


def test_a_short_edf_file_is_an_error_even_when_the_disk_does_not_say_why(
    session: tuple[Path, SessionAnalysis], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check does not rely on the disk's error: a file shorter than its header says, or a
    header cut short, is refused whatever the cause."""
    path, _ = session
    real_write_edf = export_module._write_edf
    for keep in (200, 40_000):  # the header cut short; records missing

        def short_write(target: Path, *args: Any, keep: int = keep) -> None:
            real_write_edf(target, *args)
            os.truncate(target, keep)

        monkeypatch.setattr(export_module, "_write_edf", short_write)
        with pytest.raises(UserError) as info:
            export_recording(path, "edf", tmp_path / "s.edf")
        assert info.value.user_message() == (
            f"{tmp_path / 's.edf'}: cannot write "
            f"(the EDF library wrote an incomplete file ({keep} bytes))"
        )
        assert not list(tmp_path.iterdir())


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


# ------------------------------------------------------------------- Polar ECG at its real rate
_ECG_HZ = 1.1
"""Frequency of the test ECG's sine (Hz): slow enough that linear interpolation is exact to
well under a microvolt at 130 Hz, so any larger error is timing, a hole or a lost sample."""
_ECG_UV = 400.0


def _write_h10(
    path: Path, true_fs_hz: float, duration_s: int = 40, drop_frames: tuple[int, ...] = ()
) -> Path:
    """An H10 whose ECG (nominal 130 Hz) runs at ``true_fs_hz``: a 400 uV sine in 73-sample
    frames, a 60 bpm heartbeat notification every second; ``drop_frames`` are never received."""
    start, wall = 100 * NS_PER_S, 1_767_250_800 * NS_PER_S
    sensor0 = 800_000_000 * NS_PER_S  # sensor clock (ns since 2000)
    per_frame = 73
    total = int(duration_s * true_fs_hz)
    values = np.rint(_ECG_UV * np.sin(2 * np.pi * _ECG_HZ * np.arange(total) / true_fs_hz))
    packets: list[RawPacket] = []
    for frame, first in enumerate(range(0, total - per_frame + 1, per_frame)):
        last_t = (first + per_frame - 1) / true_fs_hz
        payload = encode_frame(
            MeasurementType.ECG,
            sensor0 + round(last_t * NS_PER_S),
            0,
            b"".join(int(v).to_bytes(3, "little", signed=True) for v in values[first:][:per_frame]),
        )
        arrive = start + int((last_t + 0.05) * NS_PER_S)
        if frame not in drop_frames:
            packets.append(RawPacket(arrive, wall + arrive - start, "pmd", payload))
    for second in range(duration_s):
        arrive = start + int((second + 0.5) * NS_PER_S)
        beat = encode_heart_rate_measurement(60, [1024])
        packets.append(RawPacket(arrive, wall + arrive - start, "hr", beat))
    items: list[Item] = [PacerChange(start, wall, "set", BreathPattern.from_rate(6, 2).to_dict())]
    items += sorted(packets, key=lambda p: p.t_mono_ns)
    info = SourceInfo(
        kind="polar",
        name="Polar H10 TEST",
        address="",
        streams={"pmd": {"ecg": {"fs_hz": 130, "resolution_bits": 14}}, "hr": {}},
        details={},
    )
    end = duration_s * NS_PER_S
    return write_recording(
        path,
        Header(start, wall, info, {}),
        items,
        {"ended": "completed"},
        end_mono_ns=start + end,
        end_wall_ns=wall + end,
    )


@pytest.mark.parametrize("true_fs_hz", [129.0, 131.0])
def test_edf_ecg_keeps_its_timing_when_the_sensor_is_off_nominal(
    tmp_path: Path, true_fs_hz: float
) -> None:
    """An H10 runs 128-131 Hz for a nominal 130: samples once went to ``rint(t * 130)``, which
    left an empty slot (filled with the physical minimum, unannotated) about once a second at
    129 Hz and overwrote a sample as often at 131 Hz."""
    path = _write_h10(tmp_path / "h10.bwr", true_fs_hz, drop_frames=(30,))
    [wave] = pmd_waveforms(read_recording(path))
    edf = export_recording(path, "edf", tmp_path / "h10.edf")[0]
    with pyedflib.EdfReader(str(edf)) as reader:
        ecg_i = reader.getSignalLabels().index("ECG")
        assert reader.getSampleFrequency(ecg_i) == 130
        ecg = reader.readSignal(ecg_i)
        reader_min = reader.getPhysicalMinimum(ecg_i)
        resolution = (reader.getPhysicalMaximum(ecg_i) - reader_min) / 65535
        onsets, durations, texts = reader.readAnnotations()
    grid_t = np.arange(ecg.size) / 130.0
    # The sensor's sample k, on the session clock (the decoder settles after its first frame).
    t0 = wave.t_s[-1] - (wave.t_s.size - 1 + 73) / true_fs_hz  # frame 30 is missing
    truth = _ECG_UV * np.sin(2 * np.pi * _ECG_HZ * (grid_t - t0))
    steps = np.diff(wave.t_s)
    gap_at = int(np.argmax(steps))
    gap = (wave.t_s[gap_at], wave.t_s[gap_at + 1])
    assert gap[1] - gap[0] > 0.5  # the lost frame
    # The decoder spreads the first frame of a run at the nominal rate (SampleClock): its
    # times are up to 4 ms off at 129 Hz; from the second frame on they are the sensor's own.
    settled = (
        (grid_t >= wave.t_s[73])
        & (grid_t <= wave.t_s[-1])
        & ((grid_t < gap[0]) | (grid_t >= wave.t_s[gap_at + 1 + 73]))
    )
    # Rounding to whole uV in the frames (0.5), quantization, and interpolating a sine (<0.2).
    assert np.max(np.abs(ecg - truth)[settled]) <= 0.5 + resolution + 0.2
    notes = [(o, d) for o, d, t in zip(onsets, durations, texts, strict=True) if t == "no data ECG"]
    # Nothing is drawn across the lost frame, and an annotation says so; likewise before the
    # first sample and after the last.
    assert np.allclose(ecg[(grid_t > gap[0]) & (grid_t < gap[1])], reader_min, atol=resolution / 2)
    covered = np.zeros(ecg.size, dtype=bool)
    for onset, duration in notes:
        covered |= (grid_t >= onset - 1e-4) & (grid_t < onset + duration - 1e-4)
    empty = (
        (grid_t < wave.t_s[0]) | (grid_t > wave.t_s[-1]) | ((grid_t > gap[0]) & (grid_t < gap[1]))
    )
    assert np.count_nonzero(empty) > 0.5 * 130
    assert np.array_equal(covered, empty)


def test_edf_heart_rate_is_no_data_where_no_beats_were_measured(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """The heart-rate channel once drew a straight line through a 12 s link gap, and held the
    physical minimum before the first beat, with no "no data" annotation for either."""
    path, analysis = session
    out = tmp_path / "three.edf"
    export(path, "edf", out)
    with pyedflib.EdfReader(str(out)) as reader:
        hr_i = reader.getSignalLabels().index("Heart rate")
        fs = reader.getSampleFrequency(hr_i)
        hr = reader.readSignal(hr_i)
        lo, hi = reader.getPhysicalMinimum(hr_i), reader.getPhysicalMaximum(hr_i)
        onsets, durations, texts = reader.readAnnotations()
    resolution = (hi - lo) / 65535
    grid_t = np.arange(hr.size) / fs
    nn_t = np.sort(analysis.heart.nn_t_s)
    before_gap, after_gap = nn_t[nn_t < 76][-1], nn_t[nn_t > 76][0]
    assert after_gap - before_gap > 10  # the 70-82 s link gap
    empty = (
        (grid_t < nn_t[0]) | (grid_t > nn_t[-1]) | ((grid_t > before_gap) & (grid_t < after_gap))
    )
    assert np.allclose(hr[empty], lo, atol=resolution)
    # The fill was the session's own lowest heart rate: now 0 bpm, which no heart beats at.
    assert lo == 0.0 and hr[~empty].min() > 30.0
    covered = np.zeros(hr.size, dtype=bool)
    for onset, duration, text in zip(onsets, durations, texts, strict=True):
        if text == "no data heart rate":
            covered |= (grid_t >= onset - 1e-4) & (grid_t < onset + duration - 1e-4)
    assert np.array_equal(covered, empty)
    # Between beats: the rate of the NN intervals, linearly interpolated.
    expected = np.interp(
        grid_t, nn_t, 60_000.0 / analysis.heart.nn_ms[np.argsort(analysis.heart.nn_t_s)]
    )
    assert np.max(np.abs(hr - expected)[~empty]) <= resolution


@pytest.mark.parametrize("fraction_ns", [434_437_000, 50_000_000])
def test_edf_keeps_a_sub_second_session_start(tmp_path: Path, fraction_ns: int) -> None:
    """pyedflib (0.1.42) writes a sub-second start 10 times too late below 0.1 s and drops it
    from 0.1 s on, so every sample and annotation sat up to a second early. The file starts at
    the whole second instead, and everything in it is shifted by the fraction."""
    start_wall_ns = WALL_NS + fraction_ns
    path = write_simulated(
        tmp_path / "late.bwr", 40.0, start_wall_ns=start_wall_ns, marks=((30.0, "cough"),)
    )
    analysis = analyse_recording(path)
    out = export_recording(path, "edf", tmp_path / "late.edf")[0]
    with pyedflib.EdfReader(str(out)) as reader:
        start = reader.getStartdatetime()
        belt_i = reader.getSignalLabels().index("Resp belt")
        fs = reader.getSampleFrequency(belt_i)
        belt = reader.readSignal(belt_i)
        lo, hi = reader.getPhysicalMinimum(belt_i), reader.getPhysicalMaximum(belt_i)
        onsets, _, texts = reader.readAnnotations()
    # The file declares no sub-second start (the first time-keeping TAL is "+0"), which every
    # EDF+ reader agrees on, whatever it does with a fraction.
    assert _first_tal(out.read_bytes()).startswith(b"+0\x14\x14")
    assert start.microsecond == 0
    assert start == datetime.fromtimestamp(start_wall_ns // NS_PER_S)
    file_start_ns = start_wall_ns - fraction_ns
    offset_s = fraction_ns / NS_PER_S
    # An annotation is at its wall-clock time (TAL onsets keep 100 us).
    [mark] = [o for o, t in zip(onsets, texts, strict=True) if t == "mark cough"]
    assert file_start_ns + mark * NS_PER_S == pytest.approx(start_wall_ns + 30 * NS_PER_S, abs=2e5)
    beats = np.sort(np.asarray(onsets)[[t.startswith("beat") for t in texts]])
    assert np.allclose(beats, np.sort(analysis.beat_t_s) + offset_s, atol=2e-4)
    # So is every belt sample: slot k holds the belt at session time k / fs - offset_s.
    session_t = np.arange(belt.size) / fs - offset_s
    expected = np.interp(session_t, analysis.belt_t_s, analysis.belt_values, left=lo, right=lo)
    assert np.max(np.abs(belt - expected)) <= (hi - lo) / 65535
    # Whole records that reach the session's last instant, shifted into the file.
    end_s = analysis.duration_s + offset_s
    assert end_s <= belt.size / fs < end_s + 1


def test_edf_keeps_beats_that_precede_the_session_start(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """Beats an import aligned to its ECG can lie before session time 0 (the H10 file's first
    two at -0.85 and -0.47 s). They had all been written at the file's first instant: the
    file now starts early enough to hold them."""
    path, analysis = session
    early = dataclasses.replace(analysis, beat_t_s=analysis.beat_t_s - 3.5)
    assert early.beat_t_s.min() < -1.0
    out = export_module.export_edf(read_recording(path), early, tmp_path / "early.edf")
    with pyedflib.EdfReader(str(out)) as reader:
        start = reader.getStartdatetime()
        onsets, _, texts = reader.readAnnotations()
    beats = np.sort(np.asarray(onsets)[[t.startswith("beat") for t in texts]])
    file_start_ns = int(start.timestamp()) * NS_PER_S
    offset_s = (analysis.start_wall_ns - file_start_ns) / NS_PER_S
    assert early.beat_t_s.min() - 1 < -offset_s <= early.beat_t_s.min()
    assert np.allclose(beats, np.sort(early.beat_t_s) + offset_s, atol=2e-4)
    assert len(set(np.round(beats, 3))) == beats.size
    # The file says where the CSV's t_s 0 is: here whole seconds past the start's fraction,
    # which the help's "t_s plus the start's fraction of a second" missed (review 36 F6).
    [start_mark] = [o for o, t in zip(onsets, texts, strict=True) if t.startswith("session start")]
    assert offset_s >= 1.0 and start_mark == pytest.approx(offset_s, abs=2e-4)


def _first_tal(raw: bytes) -> bytes:
    """The first record's first annotation signal: it opens with the time-keeping TAL, whose
    onset is the file's sub-second start (EDF+ time-keeping annotation)."""
    n = int(raw[252:256])
    labels = [raw[256 + 16 * i : 256 + 16 * (i + 1)].strip() for i in range(n)]
    spr_at = 256 + n * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80)
    per_record = [int(raw[spr_at + 8 * i : spr_at + 8 * (i + 1)]) for i in range(n)]
    first = labels.index(b"EDF Annotations")
    return raw[256 * (n + 1) + 2 * sum(per_record[:first]) :]


def test_an_output_in_a_missing_folder_or_on_stdout_is_refused_before_the_work(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """``-o /nonexist/x.edf`` created /nonexist, and ``-o -`` was advised as a folder
    ("for example -o -/three.edf"): found in review."""
    path, _ = session
    for fmt, name in (("edf", "x.edf"), ("csv", "csv")):
        with pytest.raises(UserError, match=r"the folder .*nowhere does not exist") as info:
            export(path, fmt, tmp_path / "nowhere" / name)
        assert "mkdir -p" in info.value.user_message()
        with pytest.raises(BadArgument, match=r"^-o -: .* cannot be written to standard output"):
            export(path, fmt, Path("-"))
    with pytest.raises(BadArgument) as edf_info:
        export(path, "edf", Path("-"))
    assert edf_info.value.user_message() == (
        "-o -: an EDF file cannot be written to standard output — give a name, for example "
        "-o three.edf"
    )
    assert list(tmp_path.iterdir()) == []
    # The folder itself is made, as before, when the folder it goes into exists.
    assert export_recording(path, "csv", tmp_path / "new")[0].parent == tmp_path / "new"


def test_an_export_imported_back_is_the_same_session(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """Found in review: ``export`` then ``import <stem>.beats.csv`` then ``history --add`` made
    a second row "02:20 2.2 imported" (the file's time), without the SIMULATED SENSOR mark, of
    a 02:17 simulated session: its minutes counted twice in progress."""
    from trainer.storage.history import add_recording, list_sessions
    from trainer.storage.imports.import_file import import_recording

    path, analysis = session
    assert analysis.source_kind == "sim"
    export_recording(path, "csv", tmp_path)
    fields = dict((r["field"], r["value"]) for r in _rows(tmp_path / "three.session.csv"))
    assert fields["start_wall_ns"] == str(WALL_NS) and fields["source_kind"] == "sim"
    assert fields["session_key"] == analysis.session_key
    assert datetime.fromisoformat(fields["start"]).timestamp() == pytest.approx(WALL_NS / 1e9)

    result = import_recording(tmp_path / "three.beats.csv", output=tmp_path / "back.bwr")
    assert any("read from three.session.csv" in note for note in result.notes)
    back = analyse_recording(result.path)
    assert back.start_wall_ns == WALL_NS  # not the CSV file's time minus its length
    assert back.source_kind == "sim"  # still SIMULATED SENSOR everywhere

    db = tmp_path / "history.sqlite3"
    add_recording(path, db_path=db)
    with pytest.raises(UserError, match=r"an export of the session of .* not added again"):
        add_recording(result.path, db_path=db)
    assert len(list_sessions(db_path=db)) == 1
    # Where the original is not in the history (another machine), it is added, as itself.
    elsewhere = tmp_path / "elsewhere.sqlite3"
    row = add_recording(result.path, db_path=elsewhere).row
    assert row.start_wall_ns == WALL_NS and row.source == "sim"


def test_force_removes_an_older_exports_waveforms_of_the_same_stem(tmp_path: Path) -> None:
    """``export --force`` of a recording without ECG over an older export of another session of
    that name left the older ``x.ecg.csv`` beside the new ``x.session.csv``: imported, it was
    linked to the wrong session."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    out = tmp_path / "out"
    export_recording(_write_h10(tmp_path / "a" / "x.bwr", 130.0, duration_s=10), "csv", out)
    assert (out / "x.ecg.csv").exists()
    other = write_simulated(tmp_path / "b" / "x.bwr", 60.0, seed=1)
    with pytest.raises(UserError, match=r"already exists"):
        export_recording(other, "csv", out)
    written = export_recording(other, "csv", out, force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert not (out / "x.ecg.csv").exists()
    # Without --force, a lone waveform file of the stem is refused as the others are.
    (out / "x.beats.csv").unlink()
    (out / "x.ecg.csv").write_text("t_s,ecg_uV\n")
    for file in written:
        file.unlink(missing_ok=True)
    with pytest.raises(UserError, match=r"x\.ecg\.csv: already exists"):
        export_recording(other, "csv", out)


def test_edf_of_a_single_beat_says_why_it_has_nothing_to_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A one-interval RR list imports and its CSV export holds the beat, while EDF said there
    were "no beats" (review 2, finding 9): a heart-rate signal needs two."""
    from trainer.cli.app import run

    rr = tmp_path / "one.txt"
    rr.write_text("800\n")
    rec = tmp_path / "one.bwr"
    assert run(["import", str(rr), "--no-history", "-o", str(rec)]) == 0
    capsys.readouterr()
    assert run(["export", str(rec), "-f", "edf", "-o", str(tmp_path / "one.edf")]) == 1
    assert capsys.readouterr().err == (
        f"breathwise: error: {rec}: nothing to export to EDF (no waveform, and 1 beat (a "
        "heart-rate signal needs 2)) — export it as CSV (-f csv)\n"
    )
    assert not (tmp_path / "one.edf").exists()


@pytest.mark.parametrize(
    "command",
    [["report"], ["export", "--format", "edf", "--force"]],
    ids=["report", "export-edf"],
)
def test_an_output_that_is_the_recording_read_is_refused(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report sess.png -o sess.png` (a recording not named .bwr) replaced the recording with
    its own report, and `export x.edf -f edf -o x.edf --force` with its export (found in
    review): the recording is lost for good, so it is refused whatever the options."""
    from trainer.cli.app import run

    name = "sess.png" if command[0] == "report" else "sess.edf"
    recording = write_simulated(tmp_path / name, 30.0, seed=2)
    before = recording.read_bytes()
    link = tmp_path / "link"
    link.symlink_to(recording)
    for output in (recording, link):
        assert run([command[0], str(recording), *command[1:], "-o", str(output)]) == 2
        assert capsys.readouterr().err == (
            f"breathwise: error: -o {output} is the recording being read: writing there would "
            "replace it — choose another name for -o\n"
        )
    assert recording.read_bytes() == before


def test_the_edf_of_a_session_cut_short_says_so_at_its_start(
    session: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    """Found in review: the EDF of a killed session held nothing saying it was part of one,
    where the CSV export's ``session.csv`` says ``ended,recording cut short``. Now an
    annotation at 0 s gives the same ``ended`` for every export."""
    path, _ = session
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert '"k":"end"' in lines[-1]
    killed = tmp_path / "killed.bwr"
    killed.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    for source, ended in ((path, "completed"), (killed, "recording cut short")):
        out = export_recording(source, "edf", tmp_path / f"{source.stem}.edf")[0]
        with pyedflib.EdfReader(str(out)) as reader:
            onsets, _, texts = reader.readAnnotations()
        notes = [(o, t) for o, t in zip(onsets, texts, strict=True) if t.startswith("ended:")]
        assert notes == [(0.0, f"ended: {ended}")]
