"""A stretch of a recording without any record costs nothing: review 12, finding 7.

A one-minute recording whose last packet was moved 30 days later (its ``m`` and ``w`` both, so
no clock check fires) made ``report`` sample the pacer target at 10 Hz across the 30 days
(26 million points): 4 minutes, 1.6 GB and an internal MemoryError; ``export`` and
``history --add`` ran for minutes. The cost is measured here by the size of the series the
analysis builds, which must not grow with the silence.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from simulated_sessions import START_NS, simulated_items, write_items

from devices.packets import NS_PER_S, RawPacket, Stream
from trainer.errors import UserError
from trainer.reports.report import ZOOM_S, _zoom_window, report_figure
from trainer.reports.session_analysis import PACER_GRID_HZ, analyse_recording
from trainer.storage.export import EDF_MAX_SILENCE_S, export_recording
from trainer.storage.recording import SILENCE_NS, read_recording

MINUTE_S = 60.0


def _last_packet_later(path: Path, later_s: float) -> tuple[Path, int, int]:
    """A killed 1 min recording whose last belt packet is ``later_s`` after where it was (the
    review's file): the file, and the ``m`` of the record before it and of the moved one."""
    header, items, end_ns = simulated_items(MINUTE_S)
    at = max(
        k
        for k, item in enumerate(items)
        if isinstance(item, RawPacket) and item.stream == Stream.GODIRECT.value
    )
    last = items[at]
    assert isinstance(last, RawPacket)
    rest = items[:at] + items[at + 1 :]
    shift = round(later_s * NS_PER_S)
    moved = dataclasses.replace(
        last, t_mono_ns=last.t_mono_ns + shift, t_wall_ns=last.t_wall_ns + shift
    )
    write_items(path, header, [*rest, moved], end_ns)
    # Cut before its closing record, as a session killed: the moved packet sets the length.
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert '"k":"end"' in lines[-1]
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    return path, max(item.t_mono_ns for item in rest), moved.t_mono_ns


def test_the_reader_names_each_stretch_without_a_record(tmp_path: Path) -> None:
    path, before_ns, moved_ns = _last_packet_later(tmp_path / "gap.bwr", 3 * 3600.0)
    assert read_recording(path).silences == ((before_ns, moved_ns),)
    # A session writes a record at least every 1.25 s: a whole one has none.
    header, items, end_ns = simulated_items(MINUTE_S)
    assert read_recording(write_items(tmp_path / "whole.bwr", header, items, end_ns)).silences == ()
    # A closing record long after the last one bounds a silence too.
    closed = write_items(tmp_path / "closed.bwr", header, items, end_ns + 2 * SILENCE_NS)
    assert read_recording(closed).silences == ((end_ns, end_ns + 2 * SILENCE_NS),)


def test_the_pacer_target_is_not_sampled_across_a_silence(tmp_path: Path) -> None:
    sizes = []
    for hours in (3, 6):
        path, before_ns, moved_ns = _last_packet_later(tmp_path / f"gap{hours}.bwr", hours * 3600)
        analysis = analyse_recording(path)
        t0_s, t1_s = (before_ns - START_NS) / NS_PER_S, (moved_ns - START_NS) / NS_PER_S
        assert analysis.duration_s == pytest.approx(t1_s)
        sizes.append(analysis.pacer_t_s.size)
        inside = (analysis.pacer_t_s > t0_s) & (analysis.pacer_t_s < t1_s)
        # One point stands for the silence, NaN, so a line drawn through the curve breaks.
        assert np.count_nonzero(inside) == 1
        assert np.isnan(analysis.pacer_fill[inside]).all()
        assert not any(t0_s < p.t_s < t1_s for p in analysis.pacer_phases)
        assert len(analysis.silences) == 1
        assert analysis.silences[0] == pytest.approx((t0_s, t1_s))
    # The minute recorded and the instant after the silence: the same however long it is (old:
    # 108,001 and 216,001 points, every 0.1 s of the span).
    assert sizes[0] == sizes[1] <= MINUTE_S * PACER_GRID_HZ + 3


def test_a_silence_leaves_the_recorded_pacer_target_as_it_was(tmp_path: Path) -> None:
    path, before_ns, _ = _last_packet_later(tmp_path / "gap.bwr", 3 * 3600.0)
    gapped = analyse_recording(path)
    header, items, _ = simulated_items(MINUTE_S)
    whole = analyse_recording(write_items(tmp_path / "whole.bwr", header, items[:-1], before_ns))
    n = whole.pacer_t_s.size
    np.testing.assert_array_equal(gapped.pacer_t_s[:n], whole.pacer_t_s)
    np.testing.assert_array_equal(gapped.pacer_fill[:n], whole.pacer_fill)
    assert gapped.pacer_phases[: len(whole.pacer_phases)] == whole.pacer_phases


def test_a_recording_without_a_pacer_samples_no_pacer_target(tmp_path: Path) -> None:
    header, items, end_ns = simulated_items(MINUTE_S)
    path = write_items(tmp_path / "own.bwr", header, items[1:], end_ns)  # no pacer change
    analysis = analyse_recording(path)
    assert analysis.pacer_t_s.size == analysis.pacer_fill.size == 0
    assert analysis.pacer_phases == ()


def test_edf_export_refuses_a_day_of_silence_and_csv_holds_what_was_recorded(
    tmp_path: Path,
) -> None:
    path, _, _ = _last_packet_later(tmp_path / "gap.bwr", EDF_MAX_SILENCE_S + 3600.0)
    with pytest.raises(UserError, match=r"25 hours of the session hold no record") as caught:
        export_recording(path, "edf", tmp_path / "gap.edf")
    assert "-f csv" in (caught.value.advice or "")
    assert not (tmp_path / "gap.edf").exists()
    written = export_recording(path, "csv", tmp_path / "csv")
    pacer_csv = next(p for p in written if p.name.endswith(".pacer.csv"))
    times = [float(line.split(",")[0]) for line in pacer_csv.read_text().splitlines()[1:]]
    assert times and max(times) < MINUTE_S + 1


def test_the_report_keeps_its_close_up_and_belt_line_off_a_silence(tmp_path: Path) -> None:
    path, before_ns, moved_ns = _last_packet_later(tmp_path / "gap.bwr", 3 * 3600.0)
    analysis = analyse_recording(path)
    silence_s = ((before_ns - START_NS) / NS_PER_S, (moved_ns - START_NS) / NS_PER_S)
    t0, t1 = _zoom_window(analysis)
    # The close-up sat in the middle of the 3 h that hold nothing; now it shows the minute
    # recorded (a 90 s window: the 30 s it cannot fill are the least missing there can be).
    assert t0 == 0.0
    assert t1 - silence_s[0] <= ZOOM_S - MINUTE_S + 1e-6
    fig = report_figure(analysis)
    # 3 h on the axis: the belt is drawn per minute as a band (report.ENVELOPE_S_PER_COLUMN).
    bands = [
        band
        for ax in fig.axes
        for band in ax.collections
        if band.get_label() == "your breathing (belt, range)"
    ]
    assert len(bands) == 1
    # A band across the 3 h was drawn as breathing nobody recorded: it holds the minute
    # recorded (and the last packet's) and nothing between.
    minutes = np.concatenate(
        [np.asarray(path.vertices, dtype=np.float64)[:, 0] for path in bands[0].get_paths()]
    )
    assert minutes.size
    inside = (minutes > silence_s[0] / 60.0 + 1.0) & (minutes < silence_s[1] / 60.0 - 1.0)
    assert not inside.any()
