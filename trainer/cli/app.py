"""The ``breathwise`` command line: one typer app, every expected failure one line on stderr."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from devices.errors import BreathwiseDeviceError
from trainer import SOFTWARE
from trainer.cli import breaths as breaths_cli
from trainer.cli import early_signals
from trainer.cli import exchange as exchange_cli
from trainer.cli import history as history_cli
from trainer.cli import hrv as hrv_cli
from trainer.cli import programs as programs_cli
from trainer.cli import report as report_cli
from trainer.cli import safety as safety_cli
from trainer.cli import sensors as sensors_cli
from trainer.cli import session as session_cli
from trainer.cli.number_options import number_error
from trainer.errors import UserError
from trainer.ui.terminal import ClosedOutput, output_failure

HELP = """Breathwise: a biofeedback breathing trainer.

Follow a pacer in the terminal while a Bluetooth sensor (a heart-rate strap, a Polar H10 or a
respiration belt) measures your breathing and heart, or practise with no sensor (--device none).
The built-in simulated sensor (--device sim) is a demo: its sessions are marked SIMULATED
SENSOR. Every session is recorded and can be replayed and analysed.

Breathwise is a wellness and training tool, not a medical device: it makes no diagnosis. In an
emergency call emergency services.
"""

app = typer.Typer(
    help=HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(wanted: bool) -> None:
    if wanted:
        # The one the recordings carry (trainer.SOFTWARE), not the installed metadata, which an
        # editable install leaves behind until it is reinstalled.
        typer.echo(SOFTWARE)
        raise typer.Exit(0)


def _help_when_bare(ctx: typer.Context) -> None:
    """A command group run without a command shows its help on standard output and exits 0.

    Click's ``no_args_is_help`` raises a usage error carrying the help instead (exit 2, on
    stderr), which :func:`run` would squash into one error line. Asking a group for nothing is
    not a mistake: like ``git``'s and ``docker``'s bare commands it answers with the help,
    and a script that ran it by accident gets the same output as ``--help``.
    """
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    _help_when_bare(ctx)


app.command("live")(session_cli.live)
app.command("replay")(session_cli.replay)
app.command("scan")(sensors_cli.scan)
app.command("programs")(programs_cli.programs)
app.command("screen")(safety_cli.screen)
app.command("hrv")(hrv_cli.hrv)
app.command("breaths")(breaths_cli.breaths)
app.command("report")(report_cli.report)
app.command("history")(history_cli.history)
app.command("progress")(history_cli.progress)
app.command("export")(exchange_cli.export)
app.command("import")(exchange_cli.import_)

config_app = typer.Typer(
    help="Show or change settings (default device, program, resonance rate, sound, recordings).",
    invoke_without_command=True,
    callback=_help_when_bare,
)
config_app.command("show")(programs_cli.config_show)
config_app.command("set")(programs_cli.config_set)
app.add_typer(config_app, name="config")


SIGNALS_HELD_BY = frozenset({"live"})
"""Commands that keep :mod:`trainer.cli.early_signals`' handlers until their own take over: a
live session's, which end it cleanly (:func:`trainer.cli.session.live`)."""

PRELOADED_BY: dict[str, tuple[str, ...]] = {
    "report": ("matplotlib.figure", "matplotlib.backends.backend_agg"),
    "progress": ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.dates"),
}
"""Compiled libraries a command imports only when it gets to them, imported before it starts.

Ctrl+C inside a compiled module's import is no KeyboardInterrupt (numpy's C API makes it an
ImportError with a traceback, or CPython ends the process by SIGINT, -2 to a parent), so
these imports run while :mod:`trainer.cli.early_signals` still ends the process cleanly: at that
point nothing has been read or written. About 0.6 s for matplotlib, which ``--help`` skips."""


def _preload(modules: Sequence[str]) -> None:
    """Import ``modules`` now (:data:`PRELOADED_BY`); one that fails is left to the command,
    which says what is missing where it needs it."""
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _help_command(exc: Exception) -> str:
    """The help that explains a usage error: the failing command's (``breathwise hrv
    --help``), as click's own hint names it, not the top-level list of commands.

    Every subcommand's usage error pointed at ``breathwise --help``, which does not show that
    command's arguments or options (without this, "Missing argument 'input'" sent there).
    A click usage error carries the context of the command it arose in; errors without one
    (or from the top level, an unknown command) get the top-level help.
    """
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "")
    names = getattr(ctx, "help_option_names", None)
    if isinstance(path, str) and path and names:
        return f"{path} {names[0]}"
    return "breathwise --help"


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code; expected failures print one line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.
    """
    args = [_file_named_dash(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    closed = ClosedOutput() if sys.stdout is None else None
    if closed is not None:
        sys.stdout = closed
    status = _run(args)
    if closed is not None and closed.written:
        print(
            "breathwise: error: standard output is closed: what the command printed there is "
            "lost — send it to a file, or to /dev/null to discard it",
            file=sys.stderr,
        )
        return status or 1
    failure = output_failure(sys.stdout)
    if failure is not None:
        # `breathwise hrv x > out.json` on a full disk: the file is cut short, which a script
        # must not take for a result.
        reason = failure.strerror or failure
        print(
            f"breathwise: error: could not write the standard output ({reason}): what was "
            "printed there is incomplete — free some space, or send it elsewhere",
            file=sys.stderr,
        )
        return status or 1
    return status


def _file_named_dash(arg: str) -> str:
    """``arg``, or for another spelling of the file named ``-`` (``./-``) its absolute path.

    ``-`` alone stands for standard input (:data:`trainer.storage.text_files.STDIN`), and a
    file of that name is ``./-``, as for ``cat``; but the arguments become paths, and
    ``Path("./-")`` is ``Path("-")``, so ``hrv ./-`` read standard input. The
    difference is kept here, on the words as typed.

    Examples
    --------
    >>> _file_named_dash("-"), _file_named_dash("x.bwr")
    ('-', 'x.bwr')
    >>> _file_named_dash("./-") == os.path.join(os.getcwd(), "-")
    True
    """
    if arg == "-" or Path(arg) != Path("-"):
        return arg
    return os.path.join(os.getcwd(), "-")


def _say_interrupted() -> None:
    """``breathwise: interrupted`` on stderr, if it is still there (a hang-up takes it)."""
    with contextlib.suppress(OSError, ValueError):
        print("breathwise: interrupted", file=sys.stderr, flush=True)


def _run(args: list[str]) -> int:
    """:func:`run`'s work: the command, and its errors said in one line."""
    # Matplotlib logs two lines of advice on stderr when it cannot make its cache folder (a
    # read-only home) and works from a temporary one: nothing for a user of ours to act on,
    # and it came before a command's own one-line error.
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    # Reports and charts are drawn on Agg alone, never on screen; a stale MPLBACKEND from a
    # shell profile (a Jupyter or conda activation) made importing matplotlib raise, and
    # `report` end in a traceback.
    os.environ["MPLBACKEND"] = "Agg"
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command not in SIGNALS_HELD_BY:
        if not {"--help", "-h"} & set(args):
            _preload(PRELOADED_BY.get(command or "", ()))
            if command == "export" and any("edf" in arg.lower() for arg in args):
                _preload(("pyedflib",))  # the EDF writer; a CSV export does not need it
        # Any other command is interrupted as Python interrupts (an exception: Ctrl+C,
        # SIGTERM and SIGHUP alike), unwinding through what it writes so that no temporary
        # file is left.
        early_signals.unwind_on_signals()
    try:
        result = app(args=args, prog_name="breathwise", standalone_mode=False)
    except UserError as exc:
        print(f"breathwise: {exc.heading}: {exc.user_message()}", file=sys.stderr)
        return exc.exit_code
    except BreathwiseDeviceError as exc:
        print(f"breathwise: error: {exc.user_message()}", file=sys.stderr)
        return 1
    except typer.Abort:
        _say_interrupted()
        return 130
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except early_signals.Interrupted as exc:
        _say_interrupted()
        return 128 + exc.signum
    except typer.TyperException as exc:
        # Usage errors from the parser (typer >= 0.29 vendors click; these carry its interface).
        format_message = getattr(exc, "format_message", None)
        text = format_message() if callable(format_message) else str(exc)
        param = getattr(exc, "param", None)
        if param is not None:
            text = number_error(getattr(exc, "message", ""), param.opts, args) or text
        print(f"breathwise: error: {' '.join(str(text).split())}", file=sys.stderr)
        print(f"Try '{_help_command(exc)}' for help.", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        _say_interrupted()
        return 130
    except Exception as exc:  # a bug: said in words, its traceback kept in a file
        from trainer.cli.crash_report import report_bug

        return report_bug(exc, args)
    return result if isinstance(result, int) else 0
