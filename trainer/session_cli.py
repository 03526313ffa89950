"""``breathwise live`` and ``breathwise replay``: argument checking and wiring, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer

from trainer.config import load_settings
from trainer.errors import BadArgument, UserError
from trainer.headless import format_summary, line_printer
from trainer.pacer import BreathPattern
from trainer.paths import default_recordings_dir
from trainer.recording import read_recording
from trainer.sensors_cli import open_source
from trainer.session import LiveSession, ReplaySession, SessionPlan, SessionResult

MAX_MINUTES = 24 * 60


def _pattern(rate_bpm: float, ratio: float) -> BreathPattern:
    if not math.isfinite(rate_bpm) or not 1.0 <= rate_bpm <= 30.0:
        raise BadArgument(f"--rate {rate_bpm:g} is out of range", "use 1 to 30 breaths per minute")
    if not math.isfinite(ratio) or ratio <= 0:
        raise BadArgument(
            f"--ratio {ratio:g} must be above 0", "e.g. 2 for an exhale twice the inhale"
        )
    try:
        return BreathPattern.from_rate(rate_bpm, ratio)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None


def _minutes(minutes: float) -> float:
    if not math.isfinite(minutes) or not 0 < minutes <= MAX_MINUTES:
        raise BadArgument(
            f"--minutes {minutes:g} is out of range", f"use more than 0, up to {MAX_MINUTES}"
        )
    return minutes


def _run_with_signals(
    make: Callable[[], Awaitable[SessionResult]], stop: Callable[[str], None]
) -> SessionResult:
    """Run a session; SIGINT/SIGTERM end it gracefully so the recording is closed properly."""

    async def main() -> SessionResult:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop, "interrupted")
        return await make()

    return asyncio.run(main())


def _report_end(result: SessionResult) -> None:
    if result.path is not None:
        print(f"recording saved: {result.path}", file=sys.stderr)
        _add_to_history(result.path)
    if result.error:
        raise UserError(
            result.error, "the recording up to the failure was saved" if result.path else ""
        )


def _add_to_history(path: Path) -> None:
    from trainer.history import record_session

    try:
        record_session(path)
    except UserError as exc:
        # The recording is safe either way; the history can be rebuilt with 'history --add'.
        print(f"note: not added to the history: {exc.user_message()}", file=sys.stderr)


def live(
    device: Annotated[
        list[str] | None,
        typer.Option(
            "--device",
            "-d",
            help="'sim' (built-in simulated sensor), or a sensor's address or name from "
            "'breathwise scan'; give it twice for a strap and a belt together. Default: the "
            "default_device setting, else sim.",
        ),
    ] = None,
    pair: Annotated[
        bool,
        typer.Option(
            "--pair", help="Pair (bond) with the sensor first, where the system needs it."
        ),
    ] = False,
    rate: Annotated[
        float, typer.Option("--rate", help="Pacer rate in breaths per minute (1-30).")
    ] = 6.0,
    ratio: Annotated[
        float,
        typer.Option(
            "--ratio", help="Exhale:inhale ratio of the pacer, e.g. 2 = out twice as long."
        ),
    ] = 2.0,
    minutes: Annotated[
        float, typer.Option("--minutes", "-m", help="Session length in minutes.")
    ] = 10.0,
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="No screen: print one line per breath (for pipes and logs)."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Directory for the recording (default: the recordings directory)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Seed of the simulated person (sim only), for repeatable runs."
        ),
    ] = None,
) -> None:
    """Run a paced-breathing session: follow the pacer while the sensor measures you.

    The bar fills as you breathe in and empties as you breathe out. Measured breath rate,
    exhale:inhale ratio and heart rate appear beside it with a short coaching cue. Keys: p pause,
    m mark a moment, q quit (the recording is saved either way). Every session is recorded to
    the recordings directory; replay it with 'breathwise replay FILE'.

    Example: breathwise live --device sim --rate 5.5 --ratio 2 --minutes 10
    """
    devices = list(device) if device else [load_settings().default_device or "sim"]
    pattern = _pattern(rate, ratio)
    duration_s = _minutes(minutes) * 60.0
    out_dir = out if out is not None else default_recordings_dir()
    if out_dir.exists() and not out_dir.is_dir():
        raise BadArgument(f"--out {out_dir} is not a directory")
    settings = {
        "device": devices,
        "rate_bpm": rate,
        "ratio": ratio,
        "minutes": minutes,
        "seed": seed,
    }
    plan = SessionPlan(pattern=pattern, duration_s=duration_s, settings=settings)
    listeners = [line_printer(sys.stdout)] if headless else []
    session = LiveSession(plan, out_dir=out_dir, listeners=listeners)

    async def run_session() -> SessionResult:
        # Finding a BLE sensor scans, so the source is opened in the session's own event loop.
        source = await open_source(devices, session, seed=seed, pair=pair)
        return await session.run(source)

    if headless:
        result = _run_with_signals(run_session, session.stop)
        print(format_summary(result.summary), flush=True)
        _report_end(result)
        return
    from trainer.ui import BreathwiseApp

    app = BreathwiseApp(
        session,
        run_session,
        title=f"Breathwise — {pattern.rate_bpm:.1f} breaths/min, out:in {pattern.ratio:.1f}",
        duration_s=duration_s,
        on_pause=session.toggle_pause,
        on_mark=session.mark,
        on_quit=lambda: session.stop("quit"),
    )
    result_or_none = app.run()
    if result_or_none is None:
        raise UserError("the session ended without a result")
    print(format_summary(result_or_none.summary))
    _report_end(result_or_none)


def _speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        raise BadArgument(
            f"--speed {text!r} is not a number", "use 1, a factor such as 10, or max"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise BadArgument(f"--speed {text} must be above 0", "use 1, a factor such as 10, or max")
    return value


def replay(
    file: Annotated[Path, typer.Argument(help="A recording (.bwr) written by 'breathwise live'.")],
    speed: Annotated[
        str,
        typer.Option(
            "--speed", "-s", help="1 = as recorded, N = N times faster, max = as fast as possible."
        ),
    ] = "1",
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="No screen: print one line per breath, as the live session did."
        ),
    ] = False,
) -> None:
    """Replay a recorded session through the same pipeline as live.

    The raw sensor bytes are decoded and analysed again, so a replay shows exactly what the live
    session showed (and benefits from any later improvement to the analysis).

    Example: breathwise replay recordings/sample-resting.bwr --speed max --headless
    """
    factor = _speed(speed)
    recording = read_recording(file)
    if recording.truncated and recording.summary is None:
        print(
            f"note: {file} was cut short (session killed?); replaying what it holds",
            file=sys.stderr,
        )
    listeners = [line_printer(sys.stdout)] if headless else []
    session = ReplaySession(recording, speed=factor, listeners=listeners)
    if headless:
        result = asyncio.run(session.run())
        print(format_summary(result.summary), flush=True)
        return
    from trainer.ui import BreathwiseApp

    settings = recording.header.settings
    app = BreathwiseApp(
        session,
        session.run,
        title=f"Breathwise replay — {file.name}",
        duration_s=float(settings["minutes"]) * 60.0 if "minutes" in settings else None,
    )
    ui_result = app.run()
    if ui_result is not None:
        print(format_summary(ui_result.summary))
