"""docs/breaths-output.md names every field ``breathwise breaths`` writes, for each source.

Review F4 found no field reference for ``breaths``' JSON (34 leaf names in no doc) and the
belt and ``--rr`` schemas different in ways only running it showed. The page's tables are read
here and compared with real output: ``breaths`` run on a belt with a time column, a chest
accelerometer whose header states its unit, a list of RR intervals and an ECG table without
RR (its ``settings.beats_from``). Every key at every depth of the JSON must be named in the
page with the sources that give it, and every name the page lists must be in some output, so
that a field added, removed, renamed or moved to another source fails; so must a CSV column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from synthetic_ecg import ecg_only_csv

from benchmarks.validate_breath import Scenario, synthetic_belt
from trainer.cli import breaths as breaths_cli

PAGE = Path(__file__).resolve().parents[1] / "docs" / "breaths-output.md"
SOURCES = ("belt", "acc", "rr")
RUNS = {"belt": "belt", "acc": "acc", "rr": "rr", "rr-ecg": "rr"}
"""Each run of the fixture and the source it is (an ECG table is read by ``--rr``)."""


def _tables() -> dict[tuple[str, str], list[tuple[list[str], set[str]]]]:
    """The page's tables by their section (``##``) and heading (``###``, the section's for a
    table under none): per row, the backticked names of its first cell and the sources its
    second cell lists."""
    tables: dict[tuple[str, str], list[tuple[list[str], set[str]]]] = {}
    section = heading = ""
    in_table = False
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section, heading, in_table = line[3:].strip(), "", False
            continue
        if line.startswith("### "):
            heading, in_table = line[4:].strip(), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if not in_table:  # the header row; the separator row follows
            assert cells[:2] in (["field", "sources"], ["column", "sources"]), line
            tables.setdefault((section, heading or section), [])
            in_table = True
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        sources = {s.strip() for s in cells[1].split(",")}
        assert sources <= set(SOURCES), line
        tables[(section, heading or section)].append((re.findall(r"`([^`]+)`", cells[0]), sources))
    return tables


def _documented(section: str) -> dict[str, set[str]]:
    """Each name the page's tables under ``section`` list, with the sources of all its rows."""
    names: dict[str, set[str]] = {}
    for (where, _), rows in _tables().items():
        if where == section:
            for row_names, sources in rows:
                for name in row_names:
                    names.setdefault(name, set()).update(sources)
    return names


def _columns(heading: str) -> list[tuple[str, set[str]]]:
    """One CSV table's columns in the page's order, with their sources."""
    (rows,) = [rows for (_, where), rows in _tables().items() if where == heading]
    return [(name, sources) for names, sources in rows for name in names]


def _paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Every key of ``value`` at every depth, as the page names it: ``settings.detector``,
    ``settings.detector.cutoff_hz``; a list of objects as ``breaths`` and ``breaths[].end_s``."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            yield from _paths(item, path)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield from _paths(item, f"{prefix}[]")


def _run(args: list[str]) -> str:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)  # two commands, so "breaths" is a subcommand
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        app(args=["breaths", *args], standalone_mode=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The arguments of each run, on files shaped as real ones are: a belt column beside its
    time column (``time_s,rsp``), an accelerometer's ``X [mg];Y [mg];Z [mg]`` at 50 Hz, five
    minutes of RR with sinus arrhythmia at 6 breaths/min, a logger's ECG without RR."""
    root = tmp_path_factory.mktemp("breaths_output")
    belt, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=120.0, fs_hz=25.0), 3)
    (root / "belt.csv").write_text(
        "time_s,rsp\n" + "".join(f"{i / 25:.2f},{v:.5f}\n" for i, v in enumerate(belt))
    )
    chest, _ = synthetic_belt(Scenario(10.0, 2.0, snr_db=35.0, duration_s=120.0, fs_hz=50.0), 3)
    angle = np.deg2rad(1.5) * (chest - 5.0)
    acc = np.column_stack((1000 * np.sin(angle), -1000 * np.cos(angle), np.full(angle.size, 50.0)))
    acc += np.random.default_rng(0).normal(0, 1.0, acc.shape)
    (root / "acc.csv").write_text(
        "X [mg];Y [mg];Z [mg]\n" + "".join(f"{x:.2f};{y:.2f};{z:.2f}\n" for x, y, z in acc)
    )
    rng = np.random.default_rng(1)
    beats = [0.0]
    while beats[-1] < 300.0:
        hr = 65 + 6 * np.sin(2 * np.pi * 0.1 * beats[-1])
        beats.append(beats[-1] + 60 / hr + rng.normal(0, 0.004))
    (root / "rr.txt").write_text("\n".join(f"{v:.1f}" for v in np.diff(beats) * 1000) + "\n")
    ecg_only_csv(root / "ecg.csv", "ecg")
    return {
        "belt": [str(root / "belt.csv"), "--fs", "25"],
        "acc": [str(root / "acc.csv"), "--fs", "50", "--source", "acc"],
        "rr": ["--rr", str(root / "rr.txt")],
        "rr-ecg": ["--rr", str(root / "ecg.csv")],
    }


@pytest.fixture(scope="module")
def outputs(inputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """The JSON of each run."""
    return {run: json.loads(_run(args)) for run, args in inputs.items()}


def test_every_json_field_is_documented_with_its_sources(
    outputs: dict[str, dict[str, Any]],
) -> None:
    written: dict[str, set[str]] = {}
    for run, result in outputs.items():
        assert result["source"] == RUNS[run]
        for path in _paths(result):
            written.setdefault(path, set()).add(RUNS[run])
    assert "settings.beats_from" in written and "settings.power_shares.faster" in written
    documented = _documented("JSON")
    assert sorted(set(written) - set(documented)) == [], "written, not in docs/breaths-output.md"
    assert sorted(set(documented) - set(written)) == [], "in the page, written by no run"
    wrong = {p: (documented[p], written[p]) for p in written if documented[p] != written[p]}
    assert wrong == {}, "(page's sources, written by)"


def test_the_page_lists_more_than_the_review_found_missing() -> None:
    """The leaf names review F4 found in no doc are among the page's fields."""
    documented = _documented("JSON")
    missing = [
        *(f"variability.{k}" for k in ("n_intervals", "mcv_bb", "depth_cv", "ratio_cv")),
        "settings.time_column_rate_hz",
        "settings.slope_skewness",
        "settings.detector.onset_fraction",
        "estimates[].phase_rad",
        "estimates[].white_noise_p",
        "estimates[].cosen",
        "settings.breath_boundaries",
        "settings.usable_share",
    ]
    assert [name for name in missing if name not in documented] == []


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The ``#`` lines and the table of a ``breaths`` CSV."""
    lines = text.splitlines()
    comments = [line for line in lines if line.startswith("#")]
    return comments, list(csv.reader(line for line in lines if not line.startswith("#")))


@pytest.mark.parametrize("run", list(RUNS))
def test_the_csv_has_the_documented_columns_and_lines(
    inputs: dict[str, list[str]], outputs: dict[str, dict[str, Any]], run: str
) -> None:
    """The breaths' columns in the page's order, for the run's source; the ``#`` lines are
    ``source`` (as it is), then ``rate_bpm``, each ``variability.KEY`` and ``settings.KEY`` of
    the JSON with its value as JSON, as the page says."""
    comments, rows = _csv_rows(_run([*inputs[run], "--format", "csv"]))
    source = RUNS[run]
    documented = _columns("CSV (`--format csv`)")
    assert rows[0] == [name for name, sources in documented if source in sources]
    result = outputs[run]
    assert len(rows) - 1 == len(result["breaths"])
    assert comments[0] == f"# breathwise breaths {inputs[run][0 if source != 'rr' else 1]}"
    assert comments[1] == f"# source={source}"  # the one value not written as JSON
    pairs = [line[2:].split("=", 1) for line in comments[2:]]
    expected = [
        ("rate_bpm", result["rate_bpm"]),
        *((f"variability.{k}", v) for k, v in (result["variability"] or {}).items()),
        *((f"settings.{k}", v) for k, v in result["settings"].items()),
    ]
    assert [key for key, _ in pairs] == [key for key, _ in expected]
    for (key, text), (_, value) in zip(pairs, expected, strict=True):
        assert json.loads(text) == value, key


def test_estimates_has_the_documented_columns(
    inputs: dict[str, list[str]], outputs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    windows = tmp_path / "windows.csv"
    _run([*inputs["rr"], "--estimates", str(windows)])
    with windows.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [name for name, _ in _columns("The windows (`--estimates FILE`)")]
    assert all(sources == {"rr"} for _, sources in _columns("The windows (`--estimates FILE`)"))
    assert len(rows) - 1 == len(outputs["rr"]["estimates"])
    # The page says the file's lines end in CRLF, Python's csv module's.
    assert windows.read_bytes().startswith(b"t_s,rate_bpm,")
    assert windows.read_bytes().split(b"\n", 1)[0].endswith(b"\r")


def test_help_names_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    """``breaths --help`` points to the page, as ``hrv --help`` does to hrv-output.md, and
    says it is in the source repository (the docs are not installed)."""
    app = typer.Typer()
    app.command("breaths")(breaths_cli.breaths)
    app.command("other")(lambda: None)
    with pytest.raises(SystemExit):
        app(args=["breaths", "--help"])
    # Click wraps a long path at its hyphen ("docs/breaths-" / "output.md"): join it again.
    text = re.sub(r"(?<=\w-) (?=\w)", "", " ".join(capsys.readouterr().out.split()))
    sentences = [s for s in re.split(r"(?<=\.) ", text) if "docs/breaths-output.md" in s]
    assert sentences and all("source repository" in s for s in sentences)
    assert "--estimates windows.csv" in text
