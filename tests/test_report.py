"""Session analysis and the one-page report, on a 20-minute simulated session and the sample."""

from __future__ import annotations

import asyncio
import dataclasses
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from simulated_sessions import write_simulated

from trainer.cli.report import report
from trainer.errors import BadArgument
from trainer.programs.safety import NOT_A_MEDICAL_DEVICE
from trainer.reports.report import report_figure, write_report
from trainer.reports.session_analysis import SessionAnalysis, analyse_recording
from trainer.session.live_replay import ReplaySession
from trainer.session.pipeline import Pipeline
from trainer.storage.recording import RecordingError, read_recording

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "recordings" / "sample-neurokit2-resting.bwr"


@pytest.fixture(scope="module")
def twenty_minutes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SessionAnalysis]:
    path = write_simulated(
        tmp_path_factory.mktemp("report") / "twenty.bwr",
        1200.0,
        seed=3,
        gap=(400.0, 30.0),
        marks=((300.0, "itchy nose"),),
        steps=((600.0, 5.5, 2.0, "Slower"),),
        settings={"program": "Resonance practice", "first_step": "Settle in"},
    )
    return path, analyse_recording(path)


def test_analysis_follows_the_pipeline_and_the_pacer(
    twenty_minutes: tuple[Path, SessionAnalysis],
) -> None:
    _, analysis = twenty_minutes
    m = analysis.metrics()
    assert m["duration_s"] == 1200.0
    assert m["program"] == "Resonance practice"
    # 10 min at 6 and 10 min at 5.5 breaths/min: the median of the rates the counted breaths
    # were asked, beside their median rate (here as many breaths were asked each: 5.75).
    asked = [e.target_rate_bpm or 0.0 for e in analysis.good_breaths if e.paced]
    assert m["target_rate_bpm"] == float(np.median(asked)) == analysis.summary["target_rate_bpm"]
    assert 5.5 <= float(m["target_rate_bpm"] or 0.0) <= 6.0
    assert m["target_ratio"] == pytest.approx(2.0, abs=0.01)
    assert isinstance(m["median_rate_bpm"], float) and abs(m["median_rate_bpm"] - 5.75) < 0.5
    assert isinstance(m["mean_follow_score"], float) and m["mean_follow_score"] > 60
    assert m["gaps"] == 1 and m["marks"] == 1 and m["gap_s"] == pytest.approx(30.0, abs=0.1)
    # The simulated person breathes at their resonance: HR swings several bpm per breath.
    assert isinstance(m["rsa_bpm"], float) and m["rsa_bpm"] > 3.0
    assert isinstance(m["rmssd_ms"], float) and 5.0 < m["rmssd_ms"] < 200.0
    assert analysis.heart.peak_hz is not None and abs(analysis.heart.peak_hz - 5.75 / 60) < 0.02
    assert analysis.summary["breaths"] == len(analysis.breaths) == m["breaths"]
    assert [s.label for s in analysis.pacer_spans] == ["Settle in", "Slower"]
    assert [s.rate_bpm for s in analysis.pacer_spans] == pytest.approx([6.0, 5.5])
    # No beat inside the gap.
    assert not np.any((analysis.beat_t_s > 401.0) & (analysis.beat_t_s < 429.0))


def test_analysis_sees_what_a_replay_sees(twenty_minutes: tuple[Path, SessionAnalysis]) -> None:
    path, analysis = twenty_minutes
    recording = read_recording(path)
    result = asyncio.run(ReplaySession(recording, speed=None).run())
    assert result.summary == analysis.summary
    replayed = Pipeline(recording.header)
    replayed.handle(recording.items)
    assert [e.breath for e in replayed.breaths] == [e.breath for e in analysis.breaths]


def test_pacer_phases_are_exact(twenty_minutes: tuple[Path, SessionAnalysis]) -> None:
    _, analysis = twenty_minutes
    inhales = [p.t_s for p in analysis.pacer_phases if p.phase == "inhale" and p.t_s < 600.0]
    exhales = [p.t_s for p in analysis.pacer_phases if p.phase == "exhale" and p.t_s < 600.0]
    assert inhales == pytest.approx([10.0 * k for k in range(60)], abs=1e-6)
    assert exhales == pytest.approx([10.0 * k + 10.0 / 3.0 for k in range(60)], abs=1e-6)
    # The target fill is the pacer's: empty at each inhale onset, full at each exhale onset.
    fill = np.interp(inhales[1:], analysis.pacer_t_s, analysis.pacer_fill)
    assert np.all(fill < 0.02)


def test_report_renders_to_png_and_pdf_with_every_axis_labelled(
    twenty_minutes: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    path, analysis = twenty_minutes
    fig = report_figure(analysis)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]  # tick labels need a draw
    for ax in fig.axes:
        if not ax.axison:
            continue
        title = ax.get_title(loc="left")
        assert ax.get_ylabel(), f"panel {title!r} has no y label"
        if any(t.get_visible() and t.get_text() for t in ax.get_xticklabels()):
            assert ax.get_xlabel(), f"panel {title!r} has no x label"
    titles = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    for word in ("breathing", "Breath rate", "ratio", "RSA", "Coherence", "followed", "variab"):
        assert word in titles
    png = write_report(analysis, tmp_path / "r.png")
    report(path, tmp_path / "r.pdf")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"


def _text_overlaps(analysis: SessionAnalysis, min_boxes: int = 21) -> list[str]:
    """Pairs of panel titles, legends and x labels of the report that overlap on the page
    (``min_boxes`` of them at least: the page has them)."""
    fig = report_figure(analysis)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = []
    for ax in fig.axes:
        name = ax.get_title(loc="left") or "?"
        left = ax._left_title  # type: ignore[attr-defined]  # matplotlib's own, no public getter
        parts = [("title", ax.title if ax.get_title() else None), ("title", left)]
        parts += [("legend", ax.get_legend()), ("x label", ax.xaxis.label)]
        for kind, artist in parts:
            if artist is None or not artist.get_visible():
                continue
            if kind != "legend" and not artist.get_text():
                continue
            boxes.append((f"{kind} of {name!r}", artist.get_window_extent(renderer)))
    assert len(boxes) >= min_boxes
    return [
        f"{a_name} overlaps {b_name}"
        for i, (a_name, a) in enumerate(boxes)
        for b_name, b in boxes[i + 1 :]
        if a.overlaps(b)
    ]


def test_report_titles_legends_and_axis_labels_do_not_overlap(
    twenty_minutes: tuple[Path, SessionAnalysis],
) -> None:
    """Every panel's title, legend and x label is clear of every other's (a legend on the
    title's line has to leave the title room; the "min" under a panel must not reach the
    next panel's legend). On the simulated session and the real sample."""
    assert _text_overlaps(twenty_minutes[1]) == []
    assert _text_overlaps(analyse_recording(SAMPLE)) == []


def test_report_without_a_belt_or_strap_says_so(tmp_path: Path) -> None:
    from trainer.storage.imports.import_file import import_recording

    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(["1000", "900", "1100", "950"] * 40) + "\n")
    recording = import_recording(rr, "rr", tmp_path / "rr.bwr", start_wall_ns=0).path
    analysis = analyse_recording(recording)
    assert analysis.belt_values.size == 0 and analysis.rr_ms.size == 160
    fig = report_figure(analysis)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no breathing signal" in t for t in texts)


def test_report_of_a_strap_alone_scores_the_pace(tmp_path: Path) -> None:
    path = write_simulated(tmp_path / "strap.bwr", 300.0, seed=3, belt=False)
    analysis = analyse_recording(path)
    m = analysis.metrics()
    assert m["breaths"] == 0 and m["breath_source"] == "rr"
    assert m["follow_basis"] == "pace" and analysis.paces
    assert m["mean_follow_score"] == pytest.approx(
        np.mean([p.feedback.follow_score for p in analysis.paces]), abs=0.01
    )
    assert isinstance(m["mean_follow_score"], float) and m["mean_follow_score"] > 80
    fig = report_figure(analysis)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert "Kept the pacer's pace" in texts
    assert any(t.startswith("How well you kept the pace") for t in titles)
    assert not any("no breaths detected" in t for t in texts)
    assert any(t.startswith("not measured: the heart rhythm gives the rate only") for t in texts)
    (rate_ax,) = [ax for ax in fig.axes if ax.get_title(loc="left") == "Breath rate"]
    labels = [line.get_label() for line in rate_ax.get_lines()]
    assert "from heart rhythm" in labels and "pacer" in labels
    for name in ("strap.png", "strap.pdf", "strap.svg"):
        written = write_report(analysis, tmp_path / name)
        assert written.stat().st_mode & 0o777 == 0o600  # health data: owner only
    assert (tmp_path / "strap.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "strap.pdf").read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".bwr") == [
        "strap.pdf",
        "strap.png",
        "strap.svg",
    ]


def test_bad_output_name_and_bad_file_are_one_clear_error(
    twenty_minutes: tuple[Path, SessionAnalysis], tmp_path: Path
) -> None:
    path, _ = twenty_minutes
    with pytest.raises(BadArgument, match=r"r\.jpg") as info:
        report(path, tmp_path / "r.jpg")
    assert ".png, .pdf or .svg" in info.value.user_message()
    bad = tmp_path / "bad.bwr"
    bad.write_text("hello\n")
    with pytest.raises(RecordingError, match="not a Breathwise recording"):
        report(bad, tmp_path / "bad.png")


@pytest.mark.shared_data
def test_report_of_the_sample_session(tmp_path: Path) -> None:
    analysis = analyse_recording(SAMPLE)
    assert len(analysis.breaths) > 30 and analysis.rr_ms.size > 200
    assert all(s.mode == "own" for s in analysis.pacer_spans)
    out = write_report(analysis, tmp_path / "sample.png")
    assert out.stat().st_size > 50_000
    assert write_report(analysis, tmp_path / "sample.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_rate_beside_the_target_counts_only_the_paced_breaths(tmp_path: Path) -> None:
    """Found in use: "11.3 /min, target 5.0 /min" beside "82 / 100, closely with the pacer":
    the median took in the program's own-rhythm warm-up. Later found again: the history and
    progress still showed that median (11.6/min); one rate now, from the paced breaths."""
    from program_runs import run_program

    from devices.sim import PersonModel
    from trainer.programs import load_catalog

    done = run_program(
        tmp_path, load_catalog().get("deep-breathing-4-8"), person=PersonModel(seed=1)
    )
    m = analyse_recording(done.path).metrics()
    assert m["target_rate_bpm"] == pytest.approx(5.0)
    assert m["rate_basis"] == "paced"
    assert isinstance(m["median_rate_bpm"], float)
    assert abs(m["median_rate_bpm"] - 5.0) < 0.5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-f", "pdf"], "--format applies to a folder of recordings, not to one file"),
        (["-f", "foo"], "--format applies to a folder"),
        (["--jobs", "0"], "--jobs applies to a folder"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler applies to a folder"),
        (
            ["-f", "pdf", "--table-only", "--jobs", "0"],
            "--format, --jobs and --table-only apply to a folder",
        ),
    ],
)
def test_folder_options_for_one_file_are_refused(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli.app import run

    assert run(["report", str(SAMPLE), "-o", str(tmp_path / "r.png"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("breathwise: error: ") and words in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "x.png"], "x.png is a report file name"),
        (["-o", "x.PDF"], "x.PDF is a report file name"),
        (["-f", "foo"], "--format 'foo' is not a report format"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--table-only", "-f", "pdf"], "--format and --table-only cannot be combined"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "cannot be combined"),
    ],
)
def test_bad_folder_options_are_refused_before_any_work(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli.app import run

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "a.bwr").write_bytes(SAMPLE.read_bytes())
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert run(["report", str(folder), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("breathwise: error: ") and words in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    assert sorted(p.name for p in folder.iterdir()) == ["a.bwr"]


# ------------------------------------------------------------------ found by a tester
@pytest.fixture(scope="module")
def back_release(tmp_path_factory: pytest.TempPathFactory) -> SessionAnalysis:
    """The 38-minute back-release routine on the simulated person: ten stretches, some of a
    minute, with a posture change of 10-15 s before seven of them and a switch of 10-15 s
    between the two sides of five."""
    from program_runs import run_program

    from devices.sim import PersonModel
    from trainer.programs import load_catalog

    done = run_program(
        tmp_path_factory.mktemp("back"),
        load_catalog().get("back-release"),
        person=PersonModel(seed=7),
    )
    return analyse_recording(done.path)


@pytest.fixture(scope="module")
def short_session(tmp_path_factory: pytest.TempPathFactory) -> SessionAnalysis:
    """A 12-second session: a belt trace, a few beats, not one complete breath."""
    return analyse_recording(
        write_simulated(tmp_path_factory.mktemp("short") / "short.bwr", 12.0, seed=3)
    )


def _drawn(analysis: SessionAnalysis) -> tuple[Figure, RendererBase]:
    fig = report_figure(analysis)
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    return fig, fig.canvas.get_renderer()  # type: ignore[attr-defined]


def _panel(fig: Figure, title_start: str) -> Axes:
    (ax,) = [ax for ax in fig.axes if ax.get_title(loc="left").startswith(title_start)]
    return ax


def _shaded_minutes(ax: Axes, color: str) -> list[tuple[float, float]]:
    """The x extents (minutes) of the bands of ``color`` drawn across ``ax``."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Polygon, Rectangle

    bands = []
    for patch in ax.patches:
        if patch.get_facecolor() != to_rgba(color):
            continue
        if isinstance(patch, Rectangle):
            bands.append((patch.get_x(), patch.get_x() + patch.get_width()))
        elif isinstance(patch, Polygon):
            xs = patch.get_xy()[:, 0]
            bands.append((float(xs.min()), float(xs.max())))
    return sorted(bands)


def test_a_step_slowing_in_stages_is_shaded_whole(tmp_path: Path) -> None:
    """Found in review: the whole-session panel shaded every other pacer span, so on the spine
    scan a step slowing in 45 s stages (Tailbone 0:45-2:15) was shaded to 1:30 and followed by
    a blank band that read as a nameless step. Every other named step is shaded, whole."""
    from program_runs import compressed, run_program

    from devices.sim import PersonModel
    from trainer.programs import load_catalog
    from trainer.reports.report import COLORS

    program = compressed(load_catalog().get("spine-body-scan"), 150.0)
    done = run_program(tmp_path, program, person=PersonModel(seed=22))
    analysis = analyse_recording(done.path)
    spans = analysis.pacer_spans
    stages = [b.t0_s / 60 for a, b in pairwise(spans) if a.label == b.label and a.label]
    assert stages  # the slowing steps are several spans each
    starts = list(dict.fromkeys(s.t0_s / 60 for s in spans if s.label))
    named = [t0 for t0, _ in _step_starts(analysis)]
    bands = _shaded_minutes(_panel(report_figure(analysis), "Whole session"), COLORS["step"])
    # The second, fourth, ... named step, each from its start to the next one's.
    ends = [*named[1:], spans[-1].t1_s / 60]
    expected = list(zip(named, ends, strict=True))[1::2]
    assert bands == [pytest.approx(band) for band in expected]
    assert not {x for band in bands for x in band} & set(stages)
    assert set(named) <= set(starts)


def _step_starts(analysis: SessionAnalysis) -> list[tuple[float, str]]:
    from trainer.reports.report import _step_groups

    return [(t0 / 60, label) for t0, label in _step_groups(analysis)]


def test_step_names_never_overlap_on_a_long_program(back_release: SessionAnalysis) -> None:
    """Found in use: on the back-release routine the names ran together ("Lying twist Shins on
    a chaKnees to chestKnees to chest on your sid...")."""
    fig, renderer = _drawn(back_release)
    overview = _panel(fig, "Whole session")
    names = [t for t in overview.texts if t.get_text()]
    labels = [s.label for s in back_release.pacer_spans]
    # Every stretch named once, whole or shortened (its second side, after the switch, is not
    # named again); the posture changes and side switches between them are not named.
    assert len(names) == len(dict.fromkeys(labels)) - 2 == 10
    assert not any(t.get_text().startswith(("Get into", "Switch")) for t in names)
    boxes = [t.get_window_extent(renderer) for t in names]
    frame = overview.get_window_extent(renderer)
    for k, (text, box) in enumerate(zip(names, boxes, strict=True)):
        # Each name whole, or its start shortened with an ellipsis, and inside the panel.
        shown = text.get_text()
        assert shown in labels or any(
            shown.endswith("…") and label.startswith(shown[:-1]) for label in labels
        )
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 + 0.5
        for other_text, other in zip(names[k + 1 :], boxes[k + 1 :], strict=True):
            assert not box.overlaps(other), (shown, other_text.get_text())


def test_resonance_assessment_report_shows_every_rate_and_why_one_is_left_out(
    tmp_path: Path,
) -> None:
    """The per-rate scores and the chosen rate are in the report, and a practised rate missing
    from the ranking says why (here: 6.5/min, where the simulated person was not yet on pace)."""
    from program_runs import run_program

    from devices.sim import PersonModel
    from trainer.programs import load_catalog
    from trainer.reports.report import resonance_rows

    done = run_program(
        tmp_path, load_catalog().get("resonance-assessment"), person=PersonModel(seed=7)
    )
    analysis = analyse_recording(done.path)
    result = analysis.summary["resonance"]
    rows = resonance_rows(analysis)
    assert [r.rate_bpm for r in rows] == [rate for rate, _ in result["scores"]]
    left_out = [r for r in rows if r.score is None]
    assert [r.rate_bpm for r in left_out] == [6.5]
    assert "not followed closely enough" in left_out[0].reason
    assert "% of breaths on pace" in left_out[0].reason

    fig, _ = _drawn(analysis)
    bars = _panel(fig, "Resonance: score per rate")
    assert bars.get_title(loc="left").endswith(f"(chosen {result['chosen_rate_bpm']:g} /min)")
    texts = [t.get_text() for t in bars.texts]
    for rate, score in result["scores"]:
        assert f"{rate:g}/min" in texts
        if score is not None:
            assert any(t.startswith(f"{score:.2f}") for t in texts)
    assert f"{result['chosen_rate_bpm']:.2f}" not in texts  # the chosen bar says so
    assert any(t.endswith(" chosen") for t in texts)
    notes = " ".join(t.get_text() for t in _panel(fig, "Rates left out").texts)
    assert "6.5 /min set aside: the pacer was not followed closely enough" in notes.replace(
        "\n", " "
    ).replace("    ", " ")
    assert _text_overlaps(analysis) == []


def test_a_note_in_an_empty_panel_sits_on_a_box_above_the_target_line(
    short_session: SessionAnalysis,
) -> None:
    fig, _ = _drawn(short_session)
    for title in ("Breath rate", "Exhale:inhale"):
        ax = _panel(fig, title)
        (note,) = [t for t in ax.texts if t.get_text() == "no breaths detected"]
        patch = note.get_bbox_patch()
        assert patch is not None and patch.get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert ax.get_lines() and all(note.get_zorder() > ln.get_zorder() for ln in ax.get_lines())


def test_the_follow_legend_covers_no_score(back_release: SessionAnalysis) -> None:
    fig, renderer = _drawn(back_release)
    ax = _panel(fig, "How well you followed")
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent(renderer)
    for line in ax.get_lines():
        points = ax.transData.transform(np.asarray(line.get_xydata()))
        inside = (
            (points[:, 0] >= box.x0)
            & (points[:, 0] <= box.x1)
            & (points[:, 1] >= box.y0)
            & (points[:, 1] <= box.y1)
        )
        assert not np.any(inside), line.get_label()


def test_a_short_session_draws_what_its_legend_names_and_is_not_called_signal_less(
    short_session: SessionAnalysis,
) -> None:
    """12 s: fewer beats than the 15-beat mean (an empty panel with a legend entry), and a
    belt trace under a headline of "no breathing signal"."""
    assert short_session.belt_values.size and not short_session.good_breaths
    fig, _ = _drawn(short_session)
    heart = _panel(fig, "Heart rate and RSA")
    labelled = [ln for ln in heart.get_lines() if not str(ln.get_label()).startswith("_")]
    assert labelled
    for line in labelled:
        y = np.asarray(line.get_ydata(), dtype=float)
        assert line.get_marker() not in ("None", None, "") or np.isfinite(y).sum() >= 2
    headline = [t.get_text() for t in fig.axes[0].texts]
    assert "no breathing signal" not in headline and "no breaths scored" in headline


def test_the_closer_look_names_its_window_in_minutes_and_seconds(tmp_path: Path) -> None:
    analysis = analyse_recording(write_simulated(tmp_path / "three.bwr", 180.0, seed=3))
    fig = report_figure(analysis)
    assert _panel(fig, "A closer look").get_title(loc="left") == (
        "A closer look, 0:45–2:15 (min:s)"
    )


def test_the_belt_trace_stays_inside_its_panels() -> None:
    """The sample's belt has movement spikes far outside its 2nd-98th percentile scaling."""
    fig = report_figure(analyse_recording(SAMPLE))
    for title in ("Whole session", "A closer look"):
        ax = _panel(fig, title)
        lo, hi = ax.get_ylim()
        (belt,) = [ln for ln in ax.get_lines() if "your breathing" in str(ln.get_label())]
        y = np.asarray(belt.get_ydata(), dtype=float)
        assert lo <= np.nanmin(y) and np.nanmax(y) <= hi, title


def test_an_imported_recording_is_not_called_cut_short(tmp_path: Path) -> None:
    """The importer writes no closing summary; only a recording really cut short says so."""
    from simulated_sessions import simulated_items

    from trainer.storage.imports.import_file import import_recording
    from trainer.storage.recording import write_recording

    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(["1000", "900", "1100", "950"] * 40) + "\n")
    imported = analyse_recording(
        import_recording(rr, "rr", tmp_path / "rr.bwr", start_wall_ns=0).path
    )
    assert imported.ended == "imported"  # one answer: replay and history say it too
    headline = report_figure(imported).axes[0]
    subtitle = headline.texts[1].get_text()
    assert "cut short" not in subtitle and subtitle.endswith("·  imported")
    # No pacer, no score: its tile's dash is not drawn in the score's colour.
    (dash,) = [t for t in headline.texts if t.get_text() == "—" and t.get_fontsize() == 16]
    assert dash.get_color() == "#222222"

    header, items, end_ns = simulated_items(60.0, seed=3)
    killed = write_recording(
        tmp_path / "killed.bwr", header, items, None, end_mono_ns=end_ns, end_wall_ns=end_ns
    )
    subtitle = report_figure(analyse_recording(killed)).axes[0].texts[1].get_text()
    assert subtitle.endswith("·  recording cut short")


def test_an_output_in_a_missing_folder_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report -o`` created any missing folders, so a mistyped path became a new folder
    (found in review); for a folder of recordings only the reports folder itself is made."""
    from trainer.cli.app import run

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "a.bwr").write_bytes(SAMPLE.read_bytes())
    for source, output in ((folder / "a.bwr", "x.pdf"), (folder, "reports")):
        assert run(["report", str(source), "-o", str(tmp_path / "nowhere" / output)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("breathwise: error: -o ") and "nowhere does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_the_report_asks_matplotlib_only_what_3_8_offers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyproject promises matplotlib>=3.8, but ``_overview`` called ``get_figure(root=True)``,
    a 3.10 keyword, so ``breathwise report`` crashed on 3.8 and 3.9 (found in review). The
    installed matplotlib may be newer and uses the keyword itself, so only calls from
    Breathwise's own code are held to the 3.8 signature ``get_figure(self)``."""
    import sys

    from matplotlib.artist import Artist

    newer: Any = Artist.get_figure

    def as_in_3_8(self: Artist, *args: object, **kwargs: object) -> object:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if (args or kwargs) and caller.split(".")[0] in ("trainer", "analysis", "devices"):
            raise TypeError(f"{caller}: get_figure() takes no arguments before matplotlib 3.10")
        return newer(self, *args, **kwargs)

    monkeypatch.setattr(Artist, "get_figure", as_in_3_8)
    analysis = analyse_recording(write_simulated(tmp_path / "short.bwr", 120.0, seed=3))
    assert write_report(analysis, tmp_path / "short.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("option", [["-j", "1"], ["--table-only"], []])
def test_a_missing_path_is_named_before_the_options(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report nonexistent -j 1`` said "--jobs applies to a folder of recordings, not to one
    file — drop it" about a path that is neither (found in review)."""
    from trainer.cli.app import run

    missing = tmp_path / "nonexistent"
    assert run(["report", str(missing), *option]) == 1
    err = capsys.readouterr().err
    assert err == f"breathwise: error: {missing}: no such file or folder\n"


def test_an_existing_report_is_replaced_and_anything_else_refused(
    twenty_minutes: tuple[Path, SessionAnalysis],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One rule for what Breathwise derives from recordings: a report already there is drawn
    again (nothing is lost), but a folder or a link of its name is never replaced. A report
    was once refused without ``--force`` like an export (found in review: re-running a batch
    after one new session failed on its own summary.csv)."""
    from trainer.cli.app import run

    recording = tmp_path / "session.bwr"
    recording.write_bytes(twenty_minutes[0].read_bytes())
    for target, args in (
        (tmp_path / "mine.pdf", ["-o", str(tmp_path / "mine.pdf")]),
        (tmp_path / "session.report.png", []),
    ):
        target.write_bytes(b"an earlier report")
        assert run(["report", str(recording), *args]) == 0
        assert target.read_bytes()[:4] in (b"\x89PNG", b"%PDF")
    # Not a report: a folder, a link (to a report or not), left as they are.
    folder = tmp_path / "folder.png"
    folder.mkdir()
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "session.report.png")
    capsys.readouterr()
    for target, kind in ((folder, "a folder"), (link, "a link")):
        assert run(["report", str(recording), "-o", str(target)]) == 1
        assert capsys.readouterr().err == (
            f"breathwise: error: {target}: is {kind}, not a report: not replaced — move it "
            "aside, or write elsewhere with -o\n"
        )
    assert folder.is_dir() and link.is_symlink()
    # The option that once allowed replacing is gone: it would mean nothing now.
    assert run(["report", str(recording), "--force"]) == 2


def test_a_file_of_another_kind_is_refused_by_its_name_and_a_report_is_replaced(
    tmp_path: Path,
) -> None:
    """What a command does not write (notes.txt) is refused by its name, before anything is
    asked of what is there; an existing report (any case of suffix) is Breathwise's to replace."""
    from trainer.errors import BadArgument
    from trainer.reports.report import figure_suffix, not_ours

    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(BadArgument, match=r"must end in \.png, \.pdf or \.svg"):
        figure_suffix(notes)
    assert not_ours(tmp_path / "absent.png") == ""
    (tmp_path / "old.PNG").write_bytes(b"x")
    assert not_ours(tmp_path / "old.PNG") == ""


def test_a_folder_batch_replaces_its_table_and_reports_but_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report DIR`` run again after one new session failed, summary.csv being there, and
    asked for --force (found in review); now its own outputs are replaced, a folder of their
    names is refused before any work."""
    from trainer.cli.app import run

    folder = tmp_path / "study"
    (folder / "reports").mkdir(parents=True)
    (folder / "a.bwr").write_bytes(SAMPLE.read_bytes())
    summary = folder / "reports" / "summary.csv"
    assert run(["report", str(folder), "-j", "1"]) == 0
    assert summary.read_text().count("\n") == 2
    # One new session, the same command again: both rows, both reports.
    (folder / "b.bwr").write_bytes(SAMPLE.read_bytes())
    assert run(["report", str(folder), "-j", "1"]) == 0
    assert summary.read_text().count("\n") == 3
    assert (folder / "reports" / "b.report.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    # A folder where a report would go: refused, and the table left as it was.
    (folder / "c.bwr").write_bytes(SAMPLE.read_bytes())
    (folder / "reports" / "c.report.png").mkdir()
    before = summary.read_text()
    assert run(["report", str(folder), "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"breathwise: error: {folder / 'reports'}: 1 of the files this would write is there "
        "as something else, not replaced (c.report.png: a folder) — move it aside, or write "
        "elsewhere with -o\n"
    )
    assert summary.read_text() == before
    # The table alone does not write the reports: the folder is no obstacle to it.
    assert run(["report", str(folder), "--table-only", "-j", "1"]) == 0
    assert summary.read_text().count("\n") == 4


def test_the_follow_panel_shows_a_zero_score_and_names_only_lines_it_draws(
    tmp_path: Path,
) -> None:
    """Found in review: a breath scored 0 sat on the axis line, invisible, and with 3 breaths
    the legend named a "mean of last 3 breaths" that was one point, nothing drawn."""
    analysis = analyse_recording(write_simulated(tmp_path / "three.bwr", 40.0, seed=3))
    scored = [e for e in analysis.good_breaths if e.scored]
    assert 1 <= len(scored) <= 5
    fig, _ = _drawn(analysis)
    ax = _panel(fig, "How well you followed")
    assert ax.get_ylim()[0] < 0.0
    for line in ax.get_lines():
        if not str(line.get_label()).startswith("_"):
            assert (
                line.get_marker() not in ("None", None, "")
                or np.asarray(line.get_xdata()).size >= 2
            )


def _dropout_recording(
    tmp_path: Path, lost_s: float, beats: int = 700, lost_before: int = 340
) -> SessionAnalysis:
    """An imported Polar Sensor Logger file of ``beats`` beats of 0.9 s with a 0.1 Hz swing,
    whose beats from index ``lost_before`` on (5:06 by default) come ``lost_s`` later: the beats
    of a lost link never logged."""
    from rr_files import polar_logger_rr

    from trainer.storage.imports.import_file import import_recording

    rng = np.random.default_rng(3)
    t_s = np.arange(beats) * 0.9
    rr = np.round(900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t_s) + rng.normal(0.0, 8.0, t_s.size))
    src = tmp_path / f"psl{lost_s:g}-{beats}.txt"
    src.write_text(polar_logger_rr(rr, lost_before, lost_s))
    out = tmp_path / f"psl{lost_s:g}-{beats}.bwr"
    return analyse_recording(import_recording(src, "auto", out).path)


def test_a_spectrum_cut_by_a_dropout_says_which_part_of_the_session_it_covers(
    tmp_path: Path,
) -> None:
    """After a 19 s dropout the table "Heart-rate variability (whole session)" and summary.csv
    gave LF, HF, LF/HF and the peak of the longest stretch without a gap (5.2 of 10 min in
    review) and nothing said so; summary.csv said "gaps 0" (it counts link gaps)."""
    from trainer.reports.batch import SUMMARY_COLUMNS, BatchRow

    analysis = _dropout_recording(tmp_path, 19.0)
    stretch = analysis.heart.spectrum_stretch
    assert stretch is not None and stretch.spectrum is not None and not stretch.whole
    # The beats after the dropout: 360 of 700, from 5:25 to the end.
    assert (stretch.n_beats, stretch.n_total) == (360, 700)
    assert stretch.start_s == pytest.approx(analysis.beat_t_s[340], abs=1e-6)
    assert analysis.heart.lf_power_ms2 == stretch.spectrum.powers_ms2["lf"]

    m = analysis.metrics()
    assert m["spectrum_whole"] is False
    assert m["spectrum_start_s"] == stretch.start_s
    assert m["spectrum_end_s"] == stretch.end_s == pytest.approx(analysis.beat_t_s[-1], abs=0.05)
    row = BatchRow("psl.bwr", "ok", "", "", m).csv_row()
    cells = dict(zip(SUMMARY_COLUMNS, row, strict=True))
    assert cells["spectrum_start_s"] == str(m["spectrum_start_s"])
    assert cells["spectrum_whole"] == "False"
    assert cells["gaps"] == "0"  # link gaps: an import has none (documented)

    figure = report_figure(analysis)
    table = next(
        ax for ax in figure.axes if ax.get_title(loc="left").startswith("Heart-rate variability")
    )
    start, end = (
        "{}:{:02d}".format(*divmod(round(t), 60)) for t in (stretch.start_s, stretch.end_s)
    )
    assert table.get_title(loc="right") == (
        f"* from {start}–{end} only (360 of 700 beats): the longest run of beats without a gap "
        "over 3 s"
    )
    # The note shares the title's line: the two must not run into each other (the title said
    # "(whole session)" there, which the table no longer all is, and hid the note's mark).
    assert table.get_title(loc="left") == "Heart-rate variability"
    FigureCanvasAgg(figure).draw()  # type: ignore[no-untyped-call]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    left = table._left_title.get_window_extent(renderer)  # type: ignore[attr-defined]
    right = table._right_title.get_window_extent(renderer)  # type: ignore[attr-defined]
    assert left.x1 < right.x0
    names = {text.get_text() for text in table.texts}
    assert {"LF power (0.04–0.15 Hz) *", "LF/HF *", "Spectral peak *"} <= names
    assert "SDNN" in names and "SDNN *" not in names  # the time domain covers every beat

    # Every beat in the spectrum: no mark, no note, and the columns say it is whole.
    whole = _dropout_recording(tmp_path, 0.0)
    assert whole.metrics()["spectrum_whole"] is True
    table = next(
        ax
        for ax in report_figure(whole).axes
        if ax.get_title(loc="left").startswith("Heart-rate variability")
    )
    assert table.get_title(loc="right") == ""
    assert "LF power (0.04–0.15 Hz)" in {text.get_text() for text in table.texts}


def _line_breaks(ax: Axes, label: str | None = None) -> list[tuple[float, float]]:
    """The ends (x) of each stretch a panel's line (the first, or the one labelled ``label``)
    leaves out: a NaN point between two drawn ones."""
    line = next(ln for ln in ax.get_lines() if label is None or ln.get_label() == label)
    x = np.asarray(line.get_xdata(), dtype=float)
    return [(float(x[k - 1]), float(x[k + 1])) for k in np.flatnonzero(np.isnan(x)).tolist()]


def test_the_heart_lines_and_the_rate_break_at_a_dropout(tmp_path: Path) -> None:
    """The close-up's beat-by-beat heart rate drew a straight line across 19 s without beats,
    as if the heart had beaten steadily (review); the coherence line bridged the windows the
    beats did not cover, and the breath rate read from the heart rhythm the 1.4 min between
    the last estimate before the dropout and the first after it (found by a helper)."""
    analysis = _dropout_recording(tmp_path, 19.0)
    hole_min = (analysis.beat_t_s[339] / 60.0, analysis.beat_t_s[340] / 60.0)
    figure = report_figure(analysis)
    for title, label in (("Coherence", None), ("Breath rate", "from heart rhythm")):
        ((before, after),) = _line_breaks(_panel(figure, title), label)
        assert before <= hole_min[0] and after >= hole_min[1], title
    # A close-up that cannot keep off the hole (a 90 s window in 2 min with 19 s lost in the
    # middle) breaks its line there.
    short = _dropout_recording(tmp_path, 19.0, beats=120, lost_before=60)
    ((before, after),) = _line_breaks(_panel(report_figure(short), "…and your heart"))
    assert after - before > 19.0


def test_the_belt_line_breaks_at_a_sensor_gap(tmp_path: Path) -> None:
    """Review 25 F4: the gap 3:20-4:00 was shaded but the belt's line ran across it in one
    straight slant, as if a breath had been held for 40 s; the heart-rate and score lines broke
    there. It breaks at the gap too, in the whole-session panel and in a close-up that cannot
    keep off one (90 s of a 100 s session with 20 s lost in the middle)."""
    path = write_simulated(tmp_path / "gap.bwr", 600.0, gap=(200.0, 40.0))
    overview = _panel(report_figure(analyse_recording(path)), "Whole session")
    ((before, after),) = _line_breaks(overview, "your breathing (belt)")
    assert before <= 200.0 / 60.0 and after >= 240.0 / 60.0
    short = write_simulated(tmp_path / "short-gap.bwr", 100.0, gap=(40.0, 20.0))
    ((before, after),) = _line_breaks(
        _panel(report_figure(analyse_recording(short)), "A closer look"), "your breathing"
    )
    assert after - before >= 20.0


def test_the_close_up_keeps_off_a_hole_in_the_beats(tmp_path: Path) -> None:
    """It was moved off connection gaps only: after a 19 s dropout of an import's beats
    (5:05-5:25) it sat on the hole, 4:40-6:10. It now starts at the first beat after it, the
    clear window nearest the middle."""
    import re

    analysis = _dropout_recording(tmp_path, 19.0)
    hole_s = (analysis.beat_t_s[339], analysis.beat_t_s[340])
    figure = report_figure(analysis)
    title = _panel(figure, "A closer look").get_title(loc="left")
    match = re.fullmatch(r"A closer look, (\d+):(\d\d)–(\d+):(\d\d) \(min:s\)", title)
    assert match is not None, title
    m0, s0, m1, s1 = (int(g) for g in match.groups())
    assert 60 * m0 + s0 == round(hole_s[1]) and 60 * m1 + s1 == round(hole_s[1] + 90.0)
    assert _line_breaks(_panel(figure, "…and your heart")) == []


def test_the_rsa_bar_before_a_dropout_ends_at_it(tmp_path: Path) -> None:
    """The RSA bar of the breath before a 19 s dropout stretched across it to the next breath
    after it, as if its heart-rate swing had gone on; it ends at the last beat before it."""
    analysis = _dropout_recording(tmp_path, 19.0)
    hole_min = (analysis.beat_t_s[339] / 60.0, analysis.beat_t_s[340] / 60.0)
    heart = _panel(report_figure(analysis), "Heart rate and RSA")
    (bars,) = heart.collections
    xs = [np.asarray(path.vertices, dtype=float)[:, 0] for path in bars.get_paths()]
    spans = [(float(x.min()), float(x.max())) for x in xs]
    assert not any(x0 < hole_min[1] and x1 > hole_min[0] for x0, x1 in spans)
    assert any(x1 == pytest.approx(hole_min[0], abs=1e-9) for _, x1 in spans)


def test_the_last_rsa_bar_has_its_breaths_width(
    twenty_minutes: tuple[Path, SessionAnalysis],
) -> None:
    """Each bar took its width from the next bar's start, and the last one, with none after
    it, was drawn with no width (the fill stopped at its onset: 0 s wide where the others are
    about 10 s). It spans its own breath."""
    _, analysis = twenty_minutes
    heart = analysis.heart
    onset_s = float(heart.rsa_t_s[-1])
    spacing_s = float(np.median(np.diff(heart.rsa_t_s)))
    (bars,) = _panel(report_figure(analysis), "Heart rate and RSA").collections
    paths = bars.get_paths()
    x_s = 60.0 * np.concatenate([np.asarray(p.vertices, dtype=float)[:, 0] for p in paths])
    assert x_s.max() - onset_s == pytest.approx(spacing_s, rel=0.3)
    assert x_s.max() == pytest.approx(float(heart.rsa_end_s[-1]))


def test_a_hole_in_the_last_breath_ends_its_rsa_bar() -> None:
    """The last bar spans its breath up to a hole in the beats, as the others do: beats each
    second to 25 s, then none until 50 s, in three breaths of 10 s."""
    from trainer.reports.report import _rsa_bars
    from trainer.reports.session_analysis import HeartMetrics

    nn_t_s = np.concatenate([np.arange(1.0, 26.0), np.arange(50.0, 60.0)])
    breaths = np.array([0.0, 10.0, 20.0])
    heart = HeartMetrics(
        nn_t_s=nn_t_s,
        nn_ms=np.full(nn_t_s.size, 1000.0),
        rsa_t_s=breaths,
        rsa_end_s=breaths + 10.0,
        rsa_min_hr_bpm=np.array([55.0, 56.0, 57.0]),
        rsa_max_hr_bpm=np.array([65.0, 66.0, 67.0]),
    )
    t_s, lo_bpm, _ = _rsa_bars(heart)
    assert t_s.tolist() == [0.0, 10.0, 20.0, 25.0] and lo_bpm[-1] == 57.0
    heart.rsa_end_s[-1] = 24.0  # a breath that ended before the hole: the hole cuts nothing
    assert _rsa_bars(heart)[0].tolist() == [0.0, 10.0, 20.0, 24.0]


def _imported_rr(tmp_path: Path, name: str, rr_ms: npt.NDArray[np.float64]) -> SessionAnalysis:
    """The analysis of an RR list (ms, one a line) imported as a recording."""
    from trainer.storage.imports.import_file import import_recording

    src = tmp_path / f"{name}.txt"
    src.write_text("".join(f"{v:.0f}\n" for v in rr_ms))
    return analyse_recording(import_recording(src, "rr", tmp_path / f"{name}.bwr").path)


def test_the_rate_panel_draws_no_rate_from_an_unusable_heart_rhythm(tmp_path: Path) -> None:
    """Intervals like white noise (as in atrial fibrillation) give every window quality 0
    ("no rhythm"), and ``breaths --rr``, the replay and the headline give no rate, but the
    panel drew each window's rate, 15-27/min, as measured (review 1, finding 2). Unusable
    windows are marked along the foot of the panel, without a rate."""
    rng = np.random.default_rng(1)
    noise = _imported_rr(tmp_path, "noise", np.round(900.0 + 80.0 * rng.normal(size=400)))
    estimates = noise.rr_estimates
    assert len(estimates) >= 25 and all(e.unusable_reason for e in estimates)
    assert noise.metrics()["median_rate_bpm"] is None
    rate = _panel(report_figure(noise), "Breath rate")
    assert [ln.get_label() for ln in rate.get_lines()] == ["unclear: no rate"]
    (unclear,) = rate.get_lines()
    assert np.asarray(unclear.get_xdata()) == pytest.approx([e.t_s / 60 for e in estimates])
    no_rhythm = sum(str(e.unusable_reason).startswith("no rhythm") for e in estimates)
    assert [t.get_text() for t in rate.texts] == [
        f"not measured: the heart rhythm shows no breathing (no rhythm in {no_rhythm} of "
        f"{len(estimates)} windows)"
    ]

    # 5 min of a heart swinging with the breath, then 5 min of white noise: only the usable
    # windows have a rate, and its line does not run on across the ones left out.
    t_s = np.arange(330) * 0.9
    paced = 900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t_s) + rng.normal(0.0, 8.0, t_s.size)
    mixed = _imported_rr(
        tmp_path, "mixed", np.round(np.concatenate([paced, 900.0 + 80.0 * rng.normal(size=330)]))
    )
    usable = [e for e in mixed.rr_estimates if e.unusable_reason is None]
    unusable = [e for e in mixed.rr_estimates if e.unusable_reason is not None]
    assert len(usable) >= 20 and len(unusable) >= 20
    rate = _panel(report_figure(mixed), "Breath rate")
    drawn = next(ln for ln in rate.get_lines() if ln.get_label() == "from heart rhythm")
    x = np.asarray(drawn.get_xdata(), dtype=float)
    y = np.asarray(drawn.get_ydata(), dtype=float)
    assert x[np.isfinite(x)] == pytest.approx([e.t_s / 60 for e in usable])
    assert y[np.isfinite(y)] == pytest.approx([e.rate_bpm for e in usable])
    for before, after in _line_breaks(rate, "from heart rhythm"):
        assert any(before < e.t_s / 60 < after for e in unusable)
    (unclear,) = [ln for ln in rate.get_lines() if ln.get_label() != "from heart rhythm"]
    assert np.asarray(unclear.get_xdata()).size == len(unusable)
    assert not rate.texts
    assert _text_overlaps(mixed, min_boxes=15) == []  # no belt: fewer legends


def test_a_time_a_few_ms_before_the_start_is_written_as_zero() -> None:
    """summary.csv wrote spectrum_start_s as "-0.0" for an import whose first beat fell a few
    ms before the session start (review 8, finding 6)."""
    from trainer.reports.session_analysis import _r

    # Kept unrounded since review 1's finding 4 (a value rounded and then shown rounded again
    # could flip): a negative zero still reads 0.0.
    assert str(_r(-0.0)) == "0.0" and _r(-0.004) == -0.004 and _r(None) is None
    assert _r(float("nan")) is None


def _report_in_a_process(tmp_path: Path, **env: str) -> None:
    """``breathwise report SAMPLE`` in a process of its own with ``env`` added to the
    environment: it writes the report and says only that on stderr."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "trainer", "report", str(SAMPLE), "-o", str(tmp_path / "r.png")],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"report written: {tmp_path / 'r.png'}"]


def test_a_matplotlib_without_a_cache_folder_adds_nothing_to_stderr(tmp_path: Path) -> None:
    """With a read-only home matplotlib printed two lines of advice about MPLCONFIGDIR before
    the report's own line (found in review); the report is written either way."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _report_in_a_process(tmp_path, MPLCONFIGDIR=str(blocker / "matplotlib"))


def test_a_stale_matplotlib_backend_in_the_environment_is_ignored(tmp_path: Path) -> None:
    """MPLBACKEND=bogus (a shell profile from another machine) made importing matplotlib raise:
    a 20-line traceback and no report (found in review). Reports are drawn on Agg alone."""
    _report_in_a_process(tmp_path, MPLBACKEND="bogus")


def _points(ax: Axes) -> int:
    """Data points ``ax`` draws as lines and filled bands (spans and marks excluded)."""
    from matplotlib.collections import PolyCollection

    lines = sum(int(np.asarray(line.get_xdata()).size) for line in ax.get_lines())
    bands = sum(
        int(np.asarray(path.vertices).shape[0])
        for band in ax.collections
        if isinstance(band, PolyCollection)
        for path in band.get_paths()
    )
    return lines + bands


def test_an_hour_long_session_draws_its_whole_session_traces_reduced_with_the_pacer_on_top(
    tmp_path: Path,
) -> None:
    """Sample by sample, 3 h of belt was a solid block hiding the pacer, and the heart rate a
    band (found in review): 1 h holds 72,000 belt samples, 36,000 of the pacer, 3,900 beats."""
    from matplotlib.collections import PolyCollection

    analysis = analyse_recording(write_simulated(tmp_path / "hour.bwr", 3600.0, seed=3))
    fig = report_figure(analysis)
    overview = _panel(fig, "Whole session")
    # A band's two edges and the pacer's two lines, one point a minute each (with the band's
    # closing points): about 250.
    assert _points(overview) <= 1_000
    (band,) = [c for c in overview.collections if "your breathing" in str(c.get_label())]
    assert isinstance(band, PolyCollection)
    pacer = [ln for ln in overview.get_lines() if "pacer" in str(ln.get_label())]
    assert pacer and all(ln.get_zorder() > band.get_zorder() for ln in pacer)
    # Its range is the target's 0-1 fill, drawn where the session was paced (all of it).
    top = np.asarray(pacer[0].get_ydata(), dtype=float)
    assert np.nanmin(top) > 0.9 and np.isfinite(top).mean() > 0.95
    heart = _panel(fig, "Heart rate and RSA")
    (hr,) = [ln for ln in heart.get_lines() if "heart rate" in str(ln.get_label())]
    assert np.asarray(hr.get_xdata()).size <= 60  # one mean a minute


def test_a_twenty_minute_session_still_draws_every_belt_sample(
    twenty_minutes: tuple[Path, SessionAnalysis],
) -> None:
    _, analysis = twenty_minutes
    overview = _panel(report_figure(analysis), "Whole session")
    (belt,) = [ln for ln in overview.get_lines() if "your breathing" in str(ln.get_label())]
    drawn = np.asarray(belt.get_xdata(), dtype=float)
    assert np.isfinite(drawn).sum() == analysis.belt_t_s.size


@pytest.mark.parametrize("free_bytes", [20_000, 50_000])
def test_a_pdf_report_on_a_disk_that_fills_is_one_line_not_a_crash(
    free_bytes: int, tmp_path: Path
) -> None:
    """With 44-60 KiB free, matplotlib's PDF writer raised AttributeError ('Stream' object has
    no attribute 'pos') while closing its half-written stream after the failed write: an
    "internal error", exit 70, and a crash report for a full disk (found in review). A file
    size limit fails the writes the same way, without root."""
    import os
    import subprocess
    import sys

    from full_disk import file_size_limit

    out = tmp_path / "r.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "report", str(SAMPLE), "-o", str(out)],
        preexec_fn=file_size_limit(free_bytes),
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "BREATHWISE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stderr) == (
        1,
        f"breathwise: error: {out}: cannot write (File too large)\n",
    )
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []


PER_BREATH_PANELS = ("Breath rate", "Exhale", "Heart rate and RSA", "How well you", "Coherence")
"""The whole-session panels that drew a point or a bar per breath or per window."""


def _band_and_mean(ax: Axes) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The y values of the one band ``ax`` draws and of its line named a mean."""
    from matplotlib.collections import PolyCollection

    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    (mean,) = [ln for ln in ax.get_lines() if "1-min mean" in str(ln.get_label())]
    edges = np.concatenate(
        [np.asarray(p.vertices, dtype=np.float64)[:, 1] for p in band.get_paths()]
    )
    return edges, np.asarray(mean.get_ydata(), dtype=np.float64)


def test_a_long_session_draws_its_per_breath_panels_per_minute(tmp_path: Path) -> None:
    """A point a breath or a window, 3 h made the follow panel a solid block (2,152 points with
    their running mean), coherence a zigzag (2,147), rate and ratio a smear (1,080 each) and the
    RSA bars a comb (4,317; found in review). Each draws a mean a minute over its range: 1 h
    here (360 breaths, 1,440 RSA bars before), a third of the test's time."""
    analysis = analyse_recording(write_simulated(tmp_path / "hour.bwr", 3600.0, seed=3))
    fig = report_figure(analysis)
    for title in PER_BREATH_PANELS:
        # A mean a minute (60) and its band's two edges (123 with its closing points).
        assert _points(_panel(fig, title)) <= 250, title
    follow = _panel(fig, "How well you followed")
    scores = np.asarray(
        [e.feedback.follow_score for e in analysis.good_breaths if e.scored], dtype=np.float64
    )
    band, mean = _band_and_mean(follow)
    # The band reaches the lowest and the highest score; the mean is the scores' (every minute
    # holds about as many breaths).
    assert band.min() == pytest.approx(scores.min()) and band.max() == pytest.approx(scores.max())
    assert np.isfinite(mean).sum() == 60
    assert float(np.nanmean(mean)) == pytest.approx(float(scores.mean()), abs=1.0)
    band, mean = _band_and_mean(_panel(fig, "Coherence"))
    assert band.min() == pytest.approx(float(np.nanmin(analysis.heart.coherence_score)))
    assert float(np.nanmean(mean)) == pytest.approx(
        float(np.nanmean(analysis.heart.coherence_score)), abs=0.2
    )
    # The legends name what is drawn, and keep above the highest score (100 and 10).
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    for title, top in (("How well you followed", 100.0), ("Coherence", 10.0)):
        ax = _panel(fig, title)
        legend = ax.get_legend()
        assert legend is not None, title
        (text,) = [t.get_text() for t in legend.get_texts()]
        assert text.endswith("1-min mean (range shaded)")
        assert legend.get_window_extent(renderer).y0 >= ax.transData.transform((0.0, top))[1]


def test_an_hour_with_a_strap_alone_draws_its_rates_and_pace_per_minute(tmp_path: Path) -> None:
    """The rates read from the heart rhythm (one each 10 s) and the pace scored from them."""
    strap = write_simulated(tmp_path / "strap.bwr", 3600.0, seed=4, belt=False)
    fig = report_figure(analyse_recording(strap))
    for title in ("Breath rate", "How well you kept the pace"):
        ax = _panel(fig, title)
        assert _points(ax) <= 250, title
        assert np.isfinite(_band_and_mean(ax)[1]).sum() >= 55, title


def test_a_twenty_minute_session_still_draws_each_breath_and_window(
    twenty_minutes: tuple[Path, SessionAnalysis],
) -> None:
    """Up to 20 min (and to about 35) the report is drawn as it was: no band, a point a breath."""
    from matplotlib.collections import PolyCollection

    _, analysis = twenty_minutes
    fig = report_figure(analysis)
    scored = [e for e in analysis.good_breaths if e.scored]
    follow = _panel(fig, "How well you followed")
    (each,) = [ln for ln in follow.get_lines() if ln.get_label() == "each breath"]
    assert np.asarray(each.get_xdata()).size == len(scored)
    assert any(str(ln.get_label()).startswith("mean of last 5") for ln in follow.get_lines())
    coherence = _panel(fig, "Coherence")
    drawn = np.asarray(coherence.get_lines()[0].get_ydata(), dtype=np.float64)
    assert np.isfinite(drawn).sum() == np.isfinite(analysis.heart.coherence_score).sum()
    rate = _panel(fig, "Breath rate")
    (each,) = [ln for ln in rate.get_lines() if ln.get_label() == "each breath"]
    assert np.asarray(each.get_xdata()).size == len(analysis.good_breaths)
    for title in ("Breath rate", "Exhale", "How well you", "Coherence"):
        assert not [c for c in _panel(fig, title).collections if isinstance(c, PolyCollection)]


def test_the_same_report_is_the_same_bytes_in_every_format(tmp_path: Path) -> None:
    """SVG ids were hashed with a random salt: the same report drawn twice differed, where the
    fixed metadata meant it not to (found in review)."""
    analysis = analyse_recording(SAMPLE)
    for suffix in (".svg", ".pdf"):
        first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        write_report(analysis, first)
        write_report(analysis, second)
        assert first.read_bytes() == second.read_bytes(), suffix


def test_a_session_whose_breaths_were_none_scored_says_so_not_that_none_were_detected(
    tmp_path: Path,
) -> None:
    """Review 22 F2: a minute at 1.5/min, its one breath begun in the pacer's first period
    (not scored), drawn in the rate panel while the follow panel said "no breaths detected"."""
    from program_runs import run_live

    from devices.sim import PersonModel
    from trainer.coaching.pacer import BreathPattern
    from trainer.session.live_replay import SessionPlan

    plan = SessionPlan(
        BreathPattern.from_rate(1.5, 2.0), duration_s=60.0, settings={"device": ["sim"]}
    )
    run = run_live(tmp_path, plan, person=PersonModel(seed=2))
    analysis = analyse_recording(run.path)
    assert analysis.good_breaths and not any(e.scored for e in analysis.good_breaths)
    fig, _ = _drawn(analysis)
    notes = [t.get_text() for t in _panel(fig, "How well you followed").texts]
    assert "no breaths detected" not in notes
    assert any(n.startswith("no breaths scored") for n in notes)


# ------------------------------------------------------------------ the page's edges
def _page_texts(fig: Figure) -> list[Any]:
    """Every text drawn on the page: the figure's own, and each panel's texts and titles."""
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [*ax.texts, ax.title]
        texts += [ax._left_title, ax._right_title]  # type: ignore[attr-defined]  # no getters
    return [t for t in texts if t.get_visible() and t.get_text()]


def _off_the_page(fig: Figure) -> list[str]:
    """The start of each text that is not whole on the page, by its drawn extent, and where its
    box lies (pixels)."""
    FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    page = fig.bbox
    found = []
    for text in _page_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < page.x0 or box.y0 < page.y0 or box.x1 > page.x1 or box.y1 > page.y1:
            found.append(f"{text.get_text()[:40]!r} at {[round(v) for v in box.extents]}")
    return found


def _foot_clearance(fig: Figure) -> float:
    """Pixels between the foot line of a simulated session and the lowest text above it."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    (foot,) = [t for t in fig.texts if t.get_text().startswith("SIMULATED SENSOR")]
    top = foot.get_window_extent(renderer).y1
    others = [t for t in _page_texts(fig) if t is not foot and t.get_text() != NOT_A_MEDICAL_DEVICE]
    return float(min(t.get_window_extent(renderer).y0 for t in others) - top)


def test_the_hrv_settings_stay_on_the_page_without_a_breathing_sensor(tmp_path: Path) -> None:
    """Review 25 F3: without a breathing sensor (an import, a strap alone) the settings under
    the HRV table say more of the RSA and wrap to a fifth line, which fell below the page, half
    cut; the warning of an import with mostly corrected beats pushed it further. The whole
    settings block is on the page, and clear of a simulated session's foot line."""
    rng = np.random.default_rng(5)
    t_s = np.arange(400) * 0.9
    rr = np.round(900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * t_s) + rng.normal(0.0, 8.0, t_s.size))
    imported = _imported_rr(tmp_path, "rr", rr)
    ectopic = rr.copy()
    ectopic[::8] *= 0.6  # an early beat every eighth: an eighth of the beats corrected
    warned = _imported_rr(tmp_path, "ectopic", ectopic)
    strap = analyse_recording(write_simulated(tmp_path / "strap.bwr", 300.0, belt=False))
    for analysis in (imported, warned, strap):
        fig = report_figure(analysis)
        (settings,) = [t for t in _page_texts(fig) if t.get_text().startswith("Settings")]
        assert settings.get_text().count("\n") == 4  # five lines
        assert _off_the_page(fig) == []
    assert warned.heart.artifact_pct is not None and warned.heart.artifact_pct > 5.0
    assert _foot_clearance(fig) > 0.0  # the strap alone's page: a simulated session


def test_the_title_and_the_line_under_it_fit_the_page(tmp_path: Path) -> None:
    """Review 25 F2: the line under the title was one line whatever it held, and ran off the
    page's right edge on the repository's own sample ("... (derived) · complet"), as on an
    import with a long file name; a long program name ran the title off it too. Each fits,
    the line under the title on two lines when it must, clear of the numbers below it, on
    the sample, a simulated session, an import, a strap alone and a session whose sensor was
    lost, in the PNG (150 dpi, whose text is widest) and the PDF (72 dpi)."""
    from trainer.reports.report import PNG_DPI

    long_name = "Polar_H10_8C4F2A1B_20261120_080000_RR_export_from_the_phone_app.txt"
    rr = 900.0 + 60.0 * np.sin(2 * np.pi * 0.1 * np.arange(300) * 0.9)
    program = {"program": "Evening wind-down, a very long program of the user's own making"}
    sessions = {
        "sample": analyse_recording(SAMPLE),
        "import": _imported_rr(tmp_path, long_name.removesuffix(".txt"), rr),
        "strap": analyse_recording(write_simulated(tmp_path / "s.bwr", 120.0, belt=False)),
        "program": analyse_recording(write_simulated(tmp_path / "p.bwr", 120.0, settings=program)),
        "lost": analyse_recording(
            write_simulated(tmp_path / "l.bwr", 120.0, gap=(30.0, 90.0), settings=program)
        ),
    }
    # Review 31 F11: a session given up with its sensor ends with an error and its advice,
    # which ran off the page's edge and left the device no room.
    sessions["failed"] = dataclasses.replace(
        sessions["lost"],
        ended="error: HRM-Pro Fake did not come back within 120 s — check the sensor's battery "
        "and that it is worn, then start again, sensor placement too",
    )
    for name, analysis in sessions.items():
        for dpi in (PNG_DPI, 72):
            fig = report_figure(analysis)
            fig.set_dpi(dpi)
            assert _off_the_page(fig) == [], (name, dpi)
            renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
            (subtitle,) = [t for t in fig.axes[0].texts if "min practised" in t.get_text()]
            box = subtitle.get_window_extent(renderer)
            # The numbers below it (the title's box touches it by its descent, as it always did).
            below = [
                t for t in fig.axes[0].texts if t.get_position()[1] < subtitle.get_position()[1]
            ]
            assert len(below) >= 10
            assert not [
                t.get_text() for t in below if t.get_window_extent(renderer).overlaps(box)
            ], (name, dpi, box)
    (sample_line,) = [
        t.get_text()
        for t in report_figure(sessions["sample"]).axes[0].texts
        if "min practised" in t.get_text()
    ]
    assert sample_line.splitlines()[-1] == (
        "NeuroKit2 bio_resting_5min_100hz (derived)  ·  completed"
    )
    (failed_line,) = [
        t.get_text()
        for t in report_figure(sessions["failed"]).axes[0].texts
        if "min practised" in t.get_text()
    ]
    assert failed_line.splitlines()[-1] == (
        "simulated person  ·  error: HRM-Pro Fake did not come back within 120 s, sensor lost"
    )


def test_the_note_of_changed_numbers_keeps_its_place_under_a_two_line_subtitle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the line under the title on two lines and the note of numbers changed since the
    session (two lines under the numbers), the note keeps its place under the numbers, as on a
    page whose subtitle is one line: opening the second line's room under it put it twice as
    far below the numbers, 2.5 px (at 100 dpi) above the title of the whole-session panel."""
    note = "note: breath rate 16.4 -> 16.5 /min (analysis revision 7 -> 9); " * 4
    monkeypatch.setattr(SessionAnalysis, "changed_note", lambda self, subject: note)

    def gaps(analysis: SessionAnalysis) -> tuple[int, float, float]:
        """Lines of the subtitle, px from the numbers' notes to the note and from it to the
        next panel's title."""
        fig = report_figure(analysis)
        FigureCanvasAgg(fig).draw()  # type: ignore[no-untyped-call]
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        head = fig.axes[0].texts
        (subtitle,) = [t for t in head if "min practised" in t.get_text()]
        (drawn,) = [t for t in head if t.get_text().startswith("breath rate 16.4")]
        box = drawn.get_window_extent(renderer)
        numbers = min(
            t.get_window_extent(renderer).y0 for t in head if t is not drawn and t is not subtitle
        )
        title = _panel(fig, "Whole session")._left_title  # type: ignore[attr-defined]
        below = box.y0 - title.get_window_extent(renderer).y1
        return subtitle.get_text().count("\n") + 1, numbers - box.y1, below

    two = gaps(analyse_recording(SAMPLE))
    one = gaps(analyse_recording(write_simulated(tmp_path / "one.bwr", 120.0)))
    assert (two[0], one[0]) == (2, 1)
    assert two[1] == pytest.approx(one[1], abs=1.0) and two[2] > 5.0


@pytest.mark.parametrize(
    ("beats", "artifact_pct", "rmssd_note", "coherence_note"),
    [
        (798, 61.7, "unreliable: 62 % of beats corrected", "RSA 3.1 bpm, unreliable"),
        (40, 0.0, "unreliable: 30 s of beats", "RSA 3.1 bpm, unreliable"),
        (798, 4.9, "HR 80 bpm", "RSA 3.1 bpm"),
    ],
)
def test_the_headline_marks_heart_numbers_that_do_not_stand(
    beats: int, artifact_pct: float, rmssd_note: str, coherence_note: str
) -> None:
    """Review 30 F2: an H10 session with 61.7 % of its beats corrected had "RMSSD 17 ms" and
    "Coherence 1.3 / 10" in the headline with no mark (the warning at the page's foot); the
    tiles now say so, by the history's rule (over 5 % corrected, or under 60 s of beats)."""
    from trainer.reports.report import _coherence_note, _rmssd_note

    m = {
        "rmssd_ms": 17.3,
        "mean_hr_bpm": 80.0,
        "beats": beats,
        "artifact_pct": artifact_pct,
        "coherence_score": 1.3,
        "rsa_bpm": 3.1,
    }
    assert (_rmssd_note(m), _coherence_note(m)) == (rmssd_note, coherence_note)


def test_the_headline_does_not_round_a_short_series_up_to_the_minimum() -> None:
    """79 beats at 79.4 bpm are 59.70 s: "unreliable: 60 s of beats" contradicted the rule
    (under 60 s) it flagged, as hrv's warning did (review 36 F4)."""
    from trainer.reports.report import _rmssd_note

    m = {"rmssd_ms": 17.3, "mean_hr_bpm": 79.4, "beats": 79, "artifact_pct": 0.0}
    assert _rmssd_note(m) == "unreliable: 59.6 s of beats"  # a tenth down, never up to 60


def test_every_report_says_it_is_no_medical_device(tmp_path: Path) -> None:
    """Review 31 F8: programs.md asks the statement to be shown, not buried; the report shows
    RMSSD and LF/HF, and someone who runs no back program never met the red-flag screen that
    carries it. It is along the foot of every page, below all else, and on the page."""
    pages = {
        "belt and strap": analyse_recording(write_simulated(tmp_path / "a.bwr", 300.0)),
        "strap": analyse_recording(write_simulated(tmp_path / "b.bwr", 300.0, belt=False)),
    }
    for what, analysis in pages.items():
        fig = report_figure(analysis)
        assert _off_the_page(fig) == [], what  # draws the page
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        (statement,) = [t for t in fig.texts if t.get_text() == NOT_A_MEDICAL_DEVICE]
        box = statement.get_window_extent(renderer)
        others = [t for t in _page_texts(fig) if t is not statement]
        lowest = min(t.get_window_extent(renderer).y0 for t in others)
        assert box.y0 >= 0.0 and box.y1 < lowest, what


def test_an_own_rhythm_score_says_what_it_scores() -> None:
    """Review 31 F6: a 15-min relaxation response breathed at 12/min read "Own rhythm 100 / 100,
    on target", as if nothing were left to do; in the own rhythm the score is the out-breath's
    length against the in-breath's, and the tile says so (the breath rate stands beside it)."""
    fig = report_figure(analyse_recording(SAMPLE))
    assert _off_the_page(fig) == []  # draws the page
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = {t.get_text(): t.get_window_extent(renderer) for t in fig.axes[0].texts}
    assert "Own rhythm" not in texts
    # Clear of the breath rate's tile beside it.
    assert texts["Out-breath, own rhythm"].x1 < texts["Breath rate"].x0
