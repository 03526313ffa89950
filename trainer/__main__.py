"""The ``breathwise`` command line: ``python -m trainer`` and the console script.

The command line's imports (typer, numpy, scipy) take about a second; Ctrl+C in that second
must end quietly like Ctrl+C later does, so they happen inside the handler here.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    try:
        from trainer.cli import run
    except KeyboardInterrupt:
        print("breathwise: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(run())


if __name__ == "__main__":
    main()
