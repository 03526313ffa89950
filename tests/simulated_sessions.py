"""Simulated recordings for the report, history, batch and exchange tests (no real time spent).

Built like ``benchmarks/bench_pipeline.simulated_hour``: the simulated sensor's packets up to the
session end, behind a pacer change, written with :func:`trainer.storage.recording.write_recording`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from devices.godirect import decode_godirect_measurement, encode_godirect_measurement
from devices.packets import NS_PER_S, RawPacket, Stream
from devices.sim import PersonModel, SimulatedSensor
from devices.source import LinkEvent, LinkState
from trainer.coaching.pacer import BreathPattern, Pacer
from trainer.storage.recording import Header, Item, Mark, PacerChange, write_recording

START_NS = 10 * NS_PER_S
WALL_NS = 1_767_250_800 * NS_PER_S  # 2026-01-01T07:00Z


def simulated_items(
    duration_s: float,
    *,
    seed: int = 1,
    rate_bpm: float = 6.0,
    ratio: float = 2.0,
    start_wall_ns: int = WALL_NS,
    gap: tuple[float, float] | None = None,
    marks: tuple[tuple[float, str], ...] = (),
    steps: tuple[tuple[float, float, float, str], ...] = (),
    settings: dict[str, object] | None = None,
    belt: bool = True,
) -> tuple[Header, list[Item], int]:
    """Header, items and end time (mono ns) of a simulated paced session.

    ``gap`` = (start_s, length_s) drops every packet in that window between link events;
    ``marks`` = ((t_s, label), ...); ``steps`` = ((t_s, rate_bpm, ratio, label), ...) change the
    pacer at those times, as a program does; ``belt=False`` is a heart-rate strap alone.
    """
    pattern = BreathPattern.from_rate(rate_bpm, ratio)
    pacer = Pacer(pattern, start_s=0.0)
    for t_s, step_rate, step_ratio, _ in steps:
        pacer.set_pattern(BreathPattern.from_rate(step_rate, step_ratio), t_s)
    sensor = SimulatedSensor(
        PersonModel(seed=seed),
        pacer,
        start_mono_ns=START_NS,
        start_wall_ns=start_wall_ns,
        belt=belt,
    )
    end_ns = START_NS + int(duration_s * NS_PER_S)
    packets: list[Item] = list(sensor.packets_until(end_ns))
    extra: list[Item] = [
        PacerChange(
            START_NS + int(t * NS_PER_S),
            start_wall_ns + int(t * NS_PER_S),
            "set",
            BreathPattern.from_rate(r, q).to_dict(),
            label=label,
        )
        for t, r, q, label in steps
    ]
    extra += [
        Mark(START_NS + int(t * NS_PER_S), start_wall_ns + int(t * NS_PER_S), label)
        for t, label in marks
    ]
    if gap is not None:
        lo = START_NS + int(gap[0] * NS_PER_S)
        hi = lo + int(gap[1] * NS_PER_S)
        packets = [p for p in packets if not (isinstance(p, RawPacket) and lo <= p.t_mono_ns < hi)]
        extra += [
            LinkEvent(lo, start_wall_ns + lo - START_NS, "sim", LinkState.LOST, "test"),
            LinkEvent(hi, start_wall_ns + hi - START_NS, "sim", LinkState.RESTORED, "test"),
        ]
    items: list[Item] = [
        PacerChange(
            START_NS,
            start_wall_ns,
            "set",
            pattern.to_dict(),
            label=str((settings or {}).get("first_step", "")),
        )
    ]
    # Stable sort by time: an extra item at a packet's instant comes after that packet.
    items += sorted(packets + extra, key=lambda item: item.t_mono_ns)
    header = Header(
        START_NS,
        start_wall_ns,
        sensor.info,
        dict(settings or {"rate_bpm": rate_bpm, "ratio": ratio}),
    )
    return header, items, end_ns


def write_simulated(path: Path, duration_s: float, **kwargs: object) -> Path:
    """Write :func:`simulated_items` as a recording at ``path``."""
    header, items, end_ns = simulated_items(duration_s, **kwargs)  # type: ignore[arg-type]
    return write_items(path, header, items, end_ns)


def write_items(path: Path, header: Header, items: list[Item], end_ns: int) -> Path:
    """Write items (:func:`simulated_items`' after a test changed them) as a completed session
    ending at ``end_ns``."""
    return write_recording(
        path,
        header,
        items,
        {"ended": "completed"},
        end_mono_ns=end_ns,
        end_wall_ns=header.start_wall_ns + end_ns - START_NS,
    )


def with_belt_force(
    header: Header,
    items: list[Item],
    until_s: float,
    force: Callable[[float, float, int], float],
) -> list[Item]:
    """``items`` with each belt force sample of their first ``until_s`` s replaced by
    ``force(level, t_s, row)``: ``level`` the belt's first force value, ``t_s`` the session
    second of the sample's packet and ``row`` the sample's place in it (the packets' other
    channels kept). Called in sample order, so a seeded generator inside gives one recording."""
    level: float | None = None
    out = list(items)
    for k, item in enumerate(out):
        t_s = (item.t_mono_ns - header.start_mono_ns) / NS_PER_S
        if not (isinstance(item, RawPacket) and item.stream == Stream.GODIRECT) or t_s >= until_s:
            continue
        packet = decode_godirect_measurement(item.payload)
        if not packet.values:
            continue
        channel = packet.channels.index(1)
        level = packet.values[0][channel] if level is None else level
        rows = [
            tuple(force(level, t_s, j) if c == channel else v for c, v in enumerate(row))
            for j, row in enumerate(packet.values)
        ]
        payload = encode_godirect_measurement(rows, packet.channels, item.payload[2])
        out[k] = replace(item, payload=payload)
    return out
