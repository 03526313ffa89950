"""Tables of strap notifications: one row per notification (about one a second), the heart rate
on every row and the RR intervals of the beats that ended in it, as phone loggers write them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from trainer.cli.app import run
from trainer.errors import UserError
from trainer.storage.export import export_recording
from trainer.storage.imports.import_file import import_recording
from trainer.storage.rr_file import read_rr_file

START_NS = 1_767_250_800 * 10**9  # 2026-01-01T07:00Z
ORIGIN = datetime(2024, 3, 1, 7, 0, 0)


def _slow_heart_rr(n: int, seed: int) -> np.ndarray:
    """Whole-millisecond RR of a heart at about 55/min, with respiratory sinus arrhythmia."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    rr: np.ndarray = np.round(1090 + 60 * np.sin(2 * np.pi * k / 5.5) + rng.normal(0, 8, n))
    return rr


def notification_table(
    rr: np.ndarray, *, heart_rate: bool = True, jitter_s: float = 0.0, seed: int = 0
) -> str:
    """A logger's table of 1 Hz notifications of ``rr`` (ms): a row per RR value, at the end of
    the second its beat ended in (late by up to ``jitter_s``, as a phone stamps them on
    arrival), and an empty RR cell on a second in which no beat ended (a heart under 60/min),
    with the strap's heart rate on every row when ``heart_rate``."""
    beat_ms = np.cumsum(rr)
    late_s = np.random.default_rng(seed).uniform(0.0, jitter_s, rr.size + 2)
    head = "Phone timestamp;HR [bpm];RR-interval [ms]" if heart_rate else "Phone timestamp;RR"
    rows = [head]
    k = 0
    second = 0
    while k < rr.size:
        second += 1
        arrival = timedelta(seconds=second + float(late_s[second % late_s.size]))
        stamp = (ORIGIN + arrival).isoformat(timespec="milliseconds")
        ended = []
        while k < rr.size and beat_ms[k] <= second * 1000:
            ended.append(rr[k])
            k += 1
        bpm = f"{60_000 / rr[max(k - 1, 0)]:.0f};" if heart_rate else ""
        rows += [f"{stamp};{bpm}{v:.0f}" for v in ended] or [f"{stamp};{bpm}"]
    return "\n".join(rows) + "\n"


def test_a_slow_hearts_notification_table_is_read_whole_by_every_rr_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resting heart under 60/min notified once a second leaves the RR cell empty on the
    seconds no beat ended in: 33 of 433 rows here. Those were taken for lost intervals and the
    file refused by ``hrv``, ``breaths --rr`` and ``import`` alike; a row holding a heart rate
    is a notification, so its empty RR cell loses no interval, and every RR is read."""
    rr = _slow_heart_rr(400, 1)
    src = tmp_path / "hr.csv"
    src.write_text(notification_table(rr))
    empty_rows = src.read_text().count(";\n")
    assert empty_rows > 20  # the case: seconds without a beat inside the table

    np.testing.assert_array_equal(read_rr_file(src).values_ms, rr)
    assert run(["hrv", str(src)]) == 0
    hrv = json.loads(capsys.readouterr().out)
    assert hrv["metrics"]["n_intervals"] == rr.size
    assert run(["breaths", "--rr", str(src)]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "rr"

    out = import_recording(src, "auto", tmp_path / "hr.bwr", start_wall_ns=START_NS).path
    export_recording(out, "csv", tmp_path / "csv")
    beats = (tmp_path / "csv" / "hr.beats.csv").read_text().splitlines()
    assert len(beats) - 1 == rr.size


def test_an_empty_rr_cell_without_a_heart_rate_is_still_a_lost_interval(tmp_path: Path) -> None:
    """The rule is the heart rate beside the empty cell: a table of beats without one, or a row
    with neither, still has its empty cell refused as a lost interval by all three."""
    rr = _slow_heart_rr(200, 2)
    bare = tmp_path / "bare.csv"
    bare.write_text(notification_table(rr, heart_rate=False))
    lines = notification_table(rr).splitlines()
    hole = next(k for k, line in enumerate(lines) if k > 10 and line.endswith(";"))
    stamp = lines[hole].split(";")[0]
    lines[hole] = f"{stamp};;"  # neither a heart rate nor an RR
    neither = tmp_path / "neither.csv"
    neither.write_text("\n".join(lines) + "\n")
    for src in (bare, neither):
        for args in (["hrv", str(src)], ["breaths", "--rr", str(src)]):
            assert run(args) == 1, (src.name, args)
        assert run(["import", str(src), "--no-history", "-o", str(tmp_path / "x.bwr")]) == 1
        assert not (tmp_path / "x.bwr").exists()


def test_a_missing_value_at_an_rr_lists_ends_loses_no_interval(tmp_path: Path) -> None:
    """``NA`` before the first interval or after the last was refused as a lost interval by
    ``hrv``, ``breaths --rr`` and ``import``, where ``breaths`` leaves a waveform's so (and an
    empty line there was fine): it joins no two intervals. Between two it is still refused."""
    ends = tmp_path / "ends.txt"
    ends.write_text("NA\n800\n810\n820\n830\nnan\n")
    inside = tmp_path / "inside.txt"
    inside.write_text("800\n810\nNA\n820\n")
    assert read_rr_file(ends).values_ms == [800.0, 810.0, 820.0, 830.0]
    assert read_rr_file(ends, seconds_by_median=True).values_ms == [800.0, 810.0, 820.0, 830.0]
    with pytest.raises(UserError, match=r"inside.txt:3: 'NA' is not a number: a missing RR"):
        read_rr_file(inside)


@pytest.mark.parametrize(("mean_ms", "jitter_s"), [(1090, 0.06), (1010, 0.06)])
def test_a_notification_table_stamped_on_arrival_is_read_whole(
    tmp_path: Path, mean_ms: int, jitter_s: float
) -> None:
    """A phone stamps each notification when it arrives, a few tens of ms late: its rows still
    step by about a second, not by the RR, so a heart even at 59/min (RR near a second) is
    read as notifications, its seconds without a beat no lost interval."""
    rr = _slow_heart_rr(400, 3) - 1090 + mean_ms
    src = tmp_path / "late.csv"
    src.write_text(notification_table(rr, jitter_s=jitter_s, seed=4))
    assert src.read_text().count(";\n") > 3  # seconds without a beat inside the table
    np.testing.assert_array_equal(read_rr_file(src).values_ms, rr)
    out = import_recording(src, "auto", tmp_path / "late.bwr", start_wall_ns=START_NS).path
    assert out.exists()


def _blank_rr(src: Path, dst: Path, line: int, column: str) -> None:
    """``src`` with the ``column`` cell of its ``line`` (1-based) emptied, written to ``dst``."""
    lines = src.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = ""
    lines[line - 1] = ",".join(cells)
    dst.write_text("\n".join(lines) + "\n")


def test_a_lost_interval_in_a_table_of_beats_with_a_heart_rate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table of one row per beat with a heart rate beside each RR, Breathwise's own export
    ``STEM.beats.csv`` (``t_s,rr_ms,hr_bpm``) among them, was read without an RR blanked in it,
    its two neighbours joined into one false successive difference, since every row with a
    heart rate was taken for a strap notification. Its times step by the RR, so its rows are
    beats: the empty cell is a lost interval, refused by all three readers on its line, as is
    one in a table without a time column, which cannot show its rows are notifications."""
    rr = _slow_heart_rr(300, 5) - 300  # about 75/min
    t_s = np.cumsum(rr) / 1000.0
    per_beat = tmp_path / "per_beat.csv"
    per_beat.write_text(
        "time_s,hr_bpm,rr_ms\n"
        + "".join(f"{t:.3f},{60_000 / v:.1f},{v:.0f}\n" for t, v in zip(t_s, rr, strict=True))
    )
    # Times at each interval's start, as some tables place them.
    at_start = tmp_path / "at_start.csv"
    at_start.write_text(
        "time_ms,hr_bpm,rr_ms\n"
        + "".join(
            f"{1000 * t:.0f},{60_000 / v:.1f},{v:.0f}\n"
            for t, v in zip(t_s - rr / 1000.0, rr, strict=True)
        )
    )
    untimed = tmp_path / "untimed.csv"
    untimed.write_text("hr_bpm,rr_ms\n" + "".join(f"{60_000 / v:.1f},{v:.0f}\n" for v in rr))
    src = tmp_path / "hr.csv"
    src.write_text(notification_table(_slow_heart_rr(400, 1)))
    import_recording(src, "auto", tmp_path / "hr.bwr", start_wall_ns=START_NS)
    export_recording(tmp_path / "hr.bwr", "csv", tmp_path / "csv")
    exported = tmp_path / "csv" / "hr.beats.csv"

    _blank_rr(per_beat, tmp_path / "per_beat_lost.csv", 152, "rr_ms")
    _blank_rr(at_start, tmp_path / "at_start_lost.csv", 152, "rr_ms")
    _blank_rr(untimed, tmp_path / "untimed_lost.csv", 152, "rr_ms")
    _blank_rr(exported, tmp_path / "beats_lost.csv", 101, "rr_ms")
    for name, line in [
        ("per_beat_lost.csv", 152),
        ("at_start_lost.csv", 152),
        ("untimed_lost.csv", 152),
        ("beats_lost.csv", 101),
    ]:
        lost = tmp_path / name
        refusal = f"{lost}:{line}: an empty RR cell: a missing RR interval"
        with pytest.raises(UserError, match=re.escape(refusal)):
            read_rr_file(lost)
        capsys.readouterr()
        for args in (["hrv", str(lost)], ["breaths", "--rr", str(lost)]):
            assert run(args) == 1, (name, args)
            assert refusal in capsys.readouterr().err, (name, args)
        out = tmp_path / "lost.bwr"
        assert run(["import", str(lost), "--no-history", "-o", str(out)]) == 1, name
        assert refusal in capsys.readouterr().err, name
        assert not out.exists()
    # Whole, each is read (the export's rows by their own times, which step by the RR).
    for whole in (per_beat, at_start, untimed):
        assert read_rr_file(whole).values_ms == rr.tolist()
    assert len(read_rr_file(exported).values_ms) == 400
