"""What a user installs or unpacks: the dependencies, the licence metadata and the sdist's files.

These read pyproject.toml, MANIFEST.in and the source; they build nothing.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("trainer", "devices", "analysis")


def _project() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement (PEP 503: case, ``-_.`` alike)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _imported_top_modules() -> set[str]:
    """Top-level modules the installed packages import, leaving out the stdlib and our own."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    # typeshed's private stubs (ReadableBuffer...), imported only for type checkers: they are
    # no module at run time, and mypy brings them.
    typing_only = {"_typeshed"}
    return {
        m
        for m in found
        if m not in sys.stdlib_module_names and m not in PACKAGES and m not in typing_only
    }


def test_every_library_the_code_imports_is_declared() -> None:
    """rich was imported (trainer.ui.screen, trainer.cli.report) but came only as Textual's
    dependency (found in review). A required import needs ``dependencies``; one the code
    guards (sounddevice) needs at least an extra."""
    project = _project()["project"]
    assert isinstance(project, dict)
    declared = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for rs in project["optional-dependencies"].values() for r in rs}
    by_module = packages_distributions()
    missing = []
    for module in sorted(_imported_top_modules()):
        dists = {_name(d) for d in by_module.get(module, [module])}
        if not dists & (declared | extras):
            missing.append(module)
    assert missing == []
    assert "rich" in declared  # imported at the top of trainer.ui.screen: not optional


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    """``license = { text = "MIT" }`` is deprecated by setuptools (an error from 2027-02-18);
    the PEP 639 form needs setuptools 77."""
    project = _project()
    assert project["project"]["license"] == "MIT"  # type: ignore[index]
    files = project["project"]["license-files"]  # type: ignore[index]
    assert files[0] == "LICENSE"
    # The sample recording's data is NeuroKit2's, under its own copyright (review 19 F5).
    assert "recordings/LICENSE_NeuroKit_MIT.txt" in files
    assert all((REPO / f).is_file() for f in files)
    (setuptools,) = [
        r
        for r in project["build-system"]["requires"]  # type: ignore[index]
        if _name(r) == "setuptools"
    ]
    floor = re.fullmatch(r"setuptools>=(\d+)", setuptools.replace(" ", ""))
    assert floor and int(floor.group(1)) >= 77, setuptools


def test_the_sdist_takes_every_tracked_folder_outside_the_packages() -> None:
    """Without a MANIFEST.in the sdist held tests/test_*.py alone: no conftest.py, helper
    modules, tests/ble, tests/fakebluez, docs, sample recording or benchmarks, so its tests
    could not run (found in review). Every folder git tracks is grafted whole."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs the git checkout (an unpacked sdist has no .git to compare with)")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    folders = {path.split("/")[0] for path in tracked if "/" in path} - set(PACKAGES)
    grafted = set(re.findall(r"^graft\s+(\S+)\s*$", (REPO / "MANIFEST.in").read_text(), flags=re.M))
    assert {"tests", "docs", "recordings", "benchmarks", ".ci"} <= folders
    assert folders - grafted == set()
