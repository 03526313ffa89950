"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (all of them without a name).

Install the peers first: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path


def _benchmarks() -> dict[str, str]:
    """Each benchmark's short name (``bench_hrv`` -> ``hrv``) and its module."""
    modules = pkgutil.iter_modules([str(Path(__file__).parent)])
    return {
        m.name.removeprefix("bench_"): f"benchmarks.{m.name}"
        for m in sorted(modules, key=lambda m: m.name)
        if m.name.startswith("bench_")
    }


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` and run the benchmarks named, in the order given (all by default)."""
    known = _benchmarks()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Time Breathwise beside the peer a user would pick (NeuroKit2), in one run, and "
            "print the ratios. Each takes 10 s to a minute; install the peers first with "
            "pip install -e '.[bench]'."
        ),
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run: {', '.join(known)} (default: all)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"no benchmark {unknown[0]!r}: choose from {', '.join(known)}")
    for name in args.names or list(known):
        importlib.import_module(known[name]).main()
        print()


if __name__ == "__main__":
    main()
