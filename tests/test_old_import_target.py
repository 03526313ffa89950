"""An import by an older Breathwise asks no out-breath ratio: the same numbers as a fresh one.

Review 39 F4: the importers before 2026-12-06 (eef770e) wrote an import's one own-rhythm
record as ``{"k":"pacer",...,"action":"own","target_ratio":1.5,"label":"imported"}``, a target
nobody set; today's write no ``target_ratio``. Read as it stands, an old ECG + ACC import's
report read "Out-breath, own rhythm 87/100 ... target 1.50" and its history row follow 87,
where the same CSV imported today gives "—". The reader now drops an import's own-rhythm
ratio, so replay, report, export and ``history --add`` give the old import the fresh one's
numbers; a live or simulated session's own-rhythm step keeps its ratio (the relaxation
response asks 1.3).

The old import is made here as those importers wrote it, from today's import of the same CSV:
their pacer record, no analysis revision in the header and (as Breathwise before checksums) no
checksums.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from old_imports import acc_csv, as_old_importer_wrote
from program_runs import compressed, run_program

from devices.sim import PersonModel
from trainer.cli.app import run
from trainer.programs.catalog import load_catalog
from trainer.reports.report import report_figure
from trainer.reports.session_analysis import analyse_recording
from trainer.session.live_replay import ReplaySession
from trainer.storage.export import export_recording
from trainer.storage.history import list_sessions
from trainer.storage.imports.import_file import import_recording
from trainer.storage.recording import PacerChange, read_recording
from trainer.ui.headless import format_summary, line_printer


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same CSV imported today and as an older Breathwise imported it: (fresh, old)."""
    folder = tmp_path_factory.mktemp("old-import-target")
    src = acc_csv(folder / "acc.csv")
    fresh = import_recording(src, "polar", folder / "fresh.bwr").path
    return fresh, as_old_importer_wrote(fresh, folder / "old.bwr")


def test_the_old_import_is_read_as_it_was_written(imports: tuple[Path, Path]) -> None:
    """The file holds the old record, undamaged: what the reader makes of it is the change."""
    _, old = imports
    assert '"action":"own","target_ratio":1.5,"label":"imported"' in old.read_text()
    recording = read_recording(old)
    assert not recording.damage and recording.header.source.kind == "import"
    [change] = [item for item in recording.items if isinstance(item, PacerChange)]
    assert (change.action, change.label, change.target_ratio) == ("own", "imported", None)


def test_an_old_import_has_the_numbers_of_a_fresh_one(imports: tuple[Path, Path]) -> None:
    """Before: the old import's summary target 1.5, follow 65 (basis "breaths"), its span's
    ratio 1.5; the fresh import's None throughout."""
    fresh, old = imports
    fresh_analysis, old_analysis = analyse_recording(fresh), analyse_recording(old)
    assert len(old_analysis.breaths) > 20  # breaths to score, were a target asked
    assert old_analysis.summary["target_ratio"] is None
    assert old_analysis.summary["mean_follow_score"] is None
    assert old_analysis.summary == fresh_analysis.summary
    assert [(s.mode, s.ratio) for s in old_analysis.pacer_spans] == [("own", None)]
    assert old_analysis.pacer_spans == fresh_analysis.pacer_spans
    assert not any(b.scored for b in old_analysis.breaths)


def _replayed(path: Path) -> list[str]:
    """What ``breathwise replay FILE --headless --speed max`` prints."""
    out = io.StringIO()
    session = ReplaySession(read_recording(path), speed=None, listeners=[line_printer(out)])
    result = asyncio.run(session.run())
    return [*out.getvalue().splitlines(), *format_summary(result.summary).splitlines()]


def test_the_replay_of_an_old_import_is_that_of_a_fresh_one(imports: tuple[Path, Path]) -> None:
    """Before: every breath "follow 65", as the closing follow score."""
    fresh, old = imports
    lines = _replayed(old)
    assert lines == _replayed(fresh)
    breath_lines = [line for line in lines if line.startswith("breath")]
    assert breath_lines and all(re.search(r"follow +- ", line) for line in breath_lines)


def _headline(path: Path) -> list[str]:
    fig = report_figure(analyse_recording(path))
    try:
        return [text.get_text() for text in fig.axes[0].texts]
    finally:
        plt.close(fig)


def test_the_report_of_an_old_import_scores_no_out_breath(imports: tuple[Path, Path]) -> None:
    """Before: "Out-breath, own rhythm 65 / 100" over "target 1.50"."""
    fresh, old = imports
    texts = _headline(old)
    assert texts[texts.index("Out-breath, own rhythm") + 1] == "—"
    assert "target —" in texts and "target 1.50" not in texts
    # The subtitle names the file, the rest is the same page.
    assert [t for t in texts if "old.bwr" not in t] == [
        t for t in _headline(fresh) if "fresh.bwr" not in t
    ]


def test_the_export_of_an_old_import_is_that_of_a_fresh_one(
    imports: tuple[Path, Path], tmp_path: Path
) -> None:
    """Before: every row of ``breaths.csv`` had follow_score 65."""
    fresh, old = imports
    export_recording(fresh, "csv", tmp_path / "fresh")
    export_recording(old, "csv", tmp_path / "old")
    for kind in ("breaths", "pacer", "events"):
        text = (tmp_path / "old" / f"old.{kind}.csv").read_text()
        assert text == (tmp_path / "fresh" / f"fresh.{kind}.csv").read_text(), kind
    rows = (tmp_path / "old" / "old.breaths.csv").read_text().splitlines()
    follow = rows[0].split(",").index("follow_score")
    assert len(rows) > 20 and all(row.split(",")[follow] == "" for row in rows[1:])


def test_history_add_of_an_old_import_stores_no_follow_score(
    imports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the row held follow 65 and target 1.5."""
    _, old = imports
    assert run(["history", "--add", str(old)]) == 0, capsys.readouterr().err
    [row] = list_sessions()
    assert row.path == str(old.resolve())
    assert row.breaths > 20 and row.mean_follow_score is None and row.follow_basis is None


def test_a_simulated_own_rhythm_step_keeps_its_ratio(tmp_path: Path) -> None:
    """The relaxation response's "Longer out-breath" asks 1.3 of a simulated (not imported)
    session: still read, scored and reported against 1.3 (the simulated person breathes
    out longer, and scores)."""
    program = compressed(load_catalog().get("relaxation-response"), 150.0)
    path = run_program(tmp_path / "rec", program, person=PersonModel(seed=2)).path
    recording = read_recording(path)
    assert recording.header.source.kind == "sim"
    asked = [(c.label, c.target_ratio) for c in recording.items if isinstance(c, PacerChange)]
    assert ("Longer out-breath", 1.3) in asked
    analysis = analyse_recording(recording)
    [step] = [s for s in analysis.pacer_spans if s.label == "Longer out-breath"]
    assert (step.mode, step.ratio) == ("own", 1.3)
    assert analysis.summary["target_ratio"] == 1.3
    assert analysis.summary["mean_follow_score"] is not None
    assert analysis.summary["follow_basis"] == "breaths"
