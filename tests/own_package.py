"""Make ``tests`` name this directory even where a foreign ``tests`` package is installed.

NeuroKit2 before 0.3 (what pip picks beside numpy 1.x, since 0.3 needs numpy 2) installs a
top-level regular package called ``tests`` into site-packages. Python's import system takes a
regular package over a namespace directory such as this one wherever each sits on
``sys.path``, so ``tests.fakebluez`` failed to import and the BLE tests were not collected.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent


def bind() -> None:
    """Bind the module name ``tests`` to this directory, as a namespace package would be."""
    current = sys.modules.get("tests")
    if current is not None and str(TESTS_DIR) in list(getattr(current, "__path__", [])):
        return
    spec = importlib.machinery.ModuleSpec("tests", None, is_package=True)
    spec.submodule_search_locations = [str(TESTS_DIR)]
    sys.modules["tests"] = importlib.util.module_from_spec(spec)
