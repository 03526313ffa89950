"""Run every benchmark: ``python -m benchmarks``.

Install the peers first: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if module.name.startswith("bench_"):
        importlib.import_module(f"benchmarks.{module.name}").main()
        print()
