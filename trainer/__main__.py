"""The ``breathwise`` command line: ``python -m trainer`` and the console script.

The command line's imports (typer, numpy, scipy) take a second or more; a signal in that time
must end the process as quietly as one later does, so the first thing done is to make SIGINT,
SIGTERM and SIGHUP exit at once with 128 + N (:mod:`trainer.cli.early_signals`); each command
hands the signals back once it handles them itself (:func:`trainer.cli.app.run`).
"""

from __future__ import annotations

import sys

from trainer.cli.early_signals import exit_on_signals


def main() -> None:
    """Console-script entry point."""
    exit_on_signals()
    from trainer.cli.app import run

    sys.exit(run())


if __name__ == "__main__":
    main()
