"""docs/architecture.md's module table names every module of trainer/, analysis/, devices/, and
its rules hold."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _listed() -> list[str]:
    """Module paths and patterns of the table's first column, each relative to the repo.

    A cell may list several, the later ones relative to the first one's folder
    (``trainer/report*.py``, ``history*.py``)."""
    patterns = []
    for line in (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        names = re.findall(r"`([^`]+)`", line.split("|")[1])
        first = names[0].rstrip("/")
        folder = first.rsplit("/", 1)[0] if "/" in first else ""
        for name in names:
            patterns.append(name if "/" in name else f"{folder}/{name}")
    return patterns


def test_every_module_is_in_the_architecture_table() -> None:
    """decimal_comma, early_signals, text_files and three *_cli modules were missing."""
    patterns = [p.rstrip("/") for p in _listed()]
    missing = []
    for top in ("trainer", "analysis", "devices"):
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if path.name == "__init__.py" and rel != "trainer/__init__.py":
                continue  # a package marker; trainer's holds the version
            inside = any(rel.startswith(p + "/") for p in patterns)
            if not inside and not any(fnmatch.fnmatch(rel, p) for p in patterns):
                missing.append(rel)
    assert missing == []


def test_cited_reference_sheets_are_in_the_repository() -> None:
    """Citations of docs/reference/*.md resolve: the sheets were cited but lived outside."""
    cited = set()
    for top in ("trainer", "analysis", "devices", "tests", "benchmarks", "docs"):
        for path in (REPO / top).rglob("*"):
            if path.suffix in (".py", ".md"):
                text = path.read_text(encoding="utf-8")
                cited |= set(re.findall(r"docs/reference/[\w-]+\.md", text))
    assert len(cited) >= 5
    assert sorted(c for c in cited if not (REPO / c).is_file()) == []


def test_nothing_outside_devices_imports_bleak() -> None:
    """The rule was stated and not checked: a test had come to import bleak's exceptions (found
    in review). Only the tests of the error mapping may, to raise what bleak raises."""
    allowed = {
        Path("tests/ble/test_backoff_and_errors.py"),
        # Raises bleak's own errors to show they are still retried, beside the bugs that are not.
        Path("tests/ble/test_bugs_not_retried.py"),
    }
    importers = []
    folders = ("trainer", "analysis", "tests", "benchmarks", "recordings")
    for path in sorted(p for folder in folders for p in (REPO / folder).glob("**/*.py")):
        relative = path.relative_to(REPO)
        if relative in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "bleak" or name.startswith("bleak.") for name in names):
                importers.append(str(relative))
    assert importers == []
