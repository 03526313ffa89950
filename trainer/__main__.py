"""The ``breathwise`` command line: ``python -m trainer`` and the console script.

The command line's imports (typer, numpy, scipy) take a second or more; a signal in that time
must end the process as quietly as one later does, so the first thing done is to make SIGINT,
SIGTERM and SIGHUP exit at once with 128 + N (:mod:`trainer.cli.early_signals`); each command
hands the signals back once it handles them itself (:func:`trainer.cli.app.run`), and once it is
done, a signal ends the process at once with the command's status. Then standard output and
error are made to write only what their terminal can show and to go quiet once their reader has
gone (:mod:`trainer.ui.terminal`), for every command alike.
"""

from __future__ import annotations

import sys

from trainer.cli.early_signals import exit_on_signals, exit_with_on_signals
from trainer.ui.terminal import prepare_streams


def main() -> None:
    """Console-script entry point."""
    exit_on_signals(command_line=True)
    prepare_streams()
    from trainer.cli.app import run

    status = run()
    # The command is done: a signal while the interpreter shuts down must not change how it
    # ended (trainer.cli.early_signals).
    exit_with_on_signals(status)
    sys.exit(status)


if __name__ == "__main__":
    main()
