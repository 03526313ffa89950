"""A replay at full speed feeds the belt's breath tracker ahead of its flushes
(``Pipeline._look_ahead``): the same events, in the same order, whatever the belt packets hold.

A call of many items (``replay --speed max`` hands 4096 at a time) gives the tracker the
samples its belt packets are expected to bring in one update, and hands out its breaths flush
by flush while the samples that come are those expected; when they are not (lost packets
bridged or a restart, a glitch, a command reply, a packet in pieces, a lost link), the tracker
is taken back to where they stopped coming. Each case is handled in calls of several sizes
and compared, event for event (repr), with the same calls without the look-ahead, and with
the items handled one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import pytest
from simulated_sessions import simulated_items, with_belt_force
from test_session import assert_same_events

from analysis.breath import BreathTracker
from devices.godirect import (
    channel_values,
    encode_godirect_measurement,
)
from devices.packets import NS_PER_S, RawPacket, Stream
from trainer.session import pipeline as pipeline_module
from trainer.session.events import BreathEvent, Event
from trainer.session.pipeline import Pipeline
from trainer.storage.recording import Header, Item

SESSION_S = 240.0


def _belt_index(items: list[Item], header: Header, t_s: float) -> int:
    """Index of the first belt packet at or after session second ``t_s``."""
    return next(
        k
        for k, item in enumerate(items)
        if isinstance(item, RawPacket)
        and item.stream == Stream.GODIRECT
        and item.t_mono_ns - header.start_mono_ns >= t_s * NS_PER_S
    )


def _without_belt(items: list[Item], header: Header, from_s: float, to_s: float) -> list[Item]:
    """The items less the belt packets that arrived in ``(from_s, to_s]`` (no link event)."""
    lo, hi = header.start_mono_ns + from_s * NS_PER_S, header.start_mono_ns + to_s * NS_PER_S
    return [
        i
        for i in items
        if not (isinstance(i, RawPacket) and i.stream == Stream.GODIRECT and lo < i.t_mono_ns <= hi)
    ]


def _plain() -> tuple[Header, list[Item]]:
    header, items, _ = simulated_items(SESSION_S)
    return header, items


def _lost_and_bridged() -> tuple[Header, list[Item]]:
    """0.3 s of belt packets lost: a line stands in for their samples."""
    header, items = _plain()
    return header, _without_belt(items, header, 100.0, 100.3)


def _lost_and_restarted() -> tuple[Header, list[Item]]:
    """1.9 s of belt packets lost: the tracker starts again."""
    header, items = _plain()
    return header, _without_belt(items, header, 150.0, 151.9)


def _glitch() -> tuple[Header, list[Item]]:
    """A NaN force sample: the last good one is held in its place."""
    header, items = _plain()
    k = _belt_index(items, header, 120.0)
    packet = items[k]
    assert isinstance(packet, RawPacket)
    counter = packet.payload[2]
    items[k] = replace(packet, payload=encode_godirect_measurement([(math.nan,)], [1], counter))
    return header, items


def _command_reply() -> tuple[Header, list[Item]]:
    """A command reply on the belt's characteristic, recorded, not analysed."""
    header, items = _plain()
    k = _belt_index(items, header, 130.0)
    packet = items[k]
    assert isinstance(packet, RawPacket)
    items.insert(k, replace(packet, payload=bytes([0x55, 6, 0, 0, 0, 0])))
    return header, items


def _in_pieces() -> tuple[Header, list[Item]]:
    """A packet in two notifications."""
    header, items = _plain()
    k = _belt_index(items, header, 140.0)
    packet = items[k]
    assert isinstance(packet, RawPacket)
    head, tail = packet.payload[:10], packet.payload[10:]
    items[k : k + 1] = [replace(packet, payload=head), replace(packet, payload=tail)]
    return header, items


def _link_gap() -> tuple[Header, list[Item]]:
    """The link lost for 20 s."""
    header, items, _ = simulated_items(SESSION_S, gap=(110.0, 20.0))
    return header, items


def _held_at_the_start() -> tuple[Header, list[Item]]:
    """A wiggle in the belt's first 3 s: a "breath" confirmed before the noise can be measured
    is held back untested (analysis.breath, module notes step 4) and comes out later, at the
    sample that releases it, which its ``detected_s`` then names: the look-ahead hands it out
    at that flush too."""
    header, items = _plain()

    def wiggle(level: float, t_s: float, row: int) -> float:
        return level + 0.15 * math.sin(2 * math.pi * 0.8 * (t_s + row / 20.0))

    return header, with_belt_force(header, items, 3.0, wiggle)


def _in_calls(pipeline: Pipeline, items: list[Item], size: int) -> Iterator[Event]:
    for start in range(0, len(items), size):
        yield from pipeline.handle(items[start : start + size])


def _full(events: list[Event]) -> list[str]:
    """Every event as text, belt samples and times to the last bit."""
    with np.printoptions(floatmode="unique", threshold=1_000_000):
        return [repr(e) for e in events]


CASES = [
    _plain,
    _lost_and_bridged,
    _lost_and_restarted,
    _glitch,
    _command_reply,
    _in_pieces,
    _link_gap,
    _held_at_the_start,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_a_tracker_fed_ahead_gives_the_same_events(
    case: Callable[[], tuple[Header, list[Item]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    header, items = case()
    one = Pipeline(header)
    singly = [e for item in items for e in one.handle((item,))]
    assert len([e for e in singly if isinstance(e, BreathEvent)]) > 15
    for size in (4096, 700, 150):
        ahead = list(_in_calls(Pipeline(header), items, size))
        with monkeypatch.context() as patch:
            patch.setattr(pipeline_module, "LOOKAHEAD_MIN_ITEMS", 10**9)
            flush_by_flush = list(_in_calls(Pipeline(header), items, size))
        assert _full(ahead) == _full(flush_by_flush), size
        assert_same_events(ahead, singly)


def test_a_call_of_many_items_updates_the_tracker_once_not_at_every_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The point of the look-ahead: a breath fitted alone at each flush (every heart-rate
    packet, once a second) cost about 1 ms of numpy's per-call overhead, a quarter of a 1 h
    replay at full speed; fed ahead, a call's breaths are fitted together."""
    header, items = _plain()
    updates: list[int] = []
    real_update = BreathTracker.update

    def counted(self: BreathTracker, x: np.ndarray) -> list[object]:
        updates.append(len(x))
        return real_update(self, x)  # type: ignore[return-value]

    monkeypatch.setattr(BreathTracker, "update", counted)
    pipeline = Pipeline(header)
    # The first items start the tracker: a call looks ahead from a tracker it starts with.
    pipeline.handle(items[:50])
    updates.clear()
    rest = items[50:]
    events = pipeline.handle(rest)
    breaths = [e for e in events if isinstance(e, BreathEvent)]
    heart_packets = sum(
        1 for i in rest if isinstance(i, RawPacket) and i.stream == Stream.HEART_RATE
    )
    assert len(breaths) > 15 and heart_packets > 200
    belt_samples = sum(
        len(channel_values(i.payload, 1))
        for i in rest
        if isinstance(i, RawPacket) and i.stream == Stream.GODIRECT
    )
    assert updates == [belt_samples]
