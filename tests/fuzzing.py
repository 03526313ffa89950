"""Shared by the decoder fuzz tests: a printed, repeatable seed and the fuzz loop."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable

import pytest

from devices.errors import DecodeError

FUZZ_N = 100_000
"""Payloads per decoder (the project's requirement, its tracker's issue 3: 100,000 fuzzed payloads
per decoder; docs/reference/design.md: "Decoders are pure and fuzzed")."""


def fuzz_seed(label: str) -> int:
    """A fresh seed each run, or ``BREATHWISE_FUZZ_SEED`` to repeat one; printed."""
    env = os.environ.get("BREATHWISE_FUZZ_SEED")
    seed = int(env) if env else secrets.randbits(32)
    print(f"{label} fuzz seed: {seed} (set BREATHWISE_FUZZ_SEED={seed} to repeat)")
    return seed


def fuzz_decoder(
    name: str,
    decoder: Callable[[bytes], object],
    make: Callable[[random.Random], bytes],
    *,
    n: int = FUZZ_N,
) -> None:
    """Feed ``n`` payloads from ``make`` to ``decoder``: only DecodeError may come out.

    Also checks that both outcomes happened (some payloads decode, some are rejected), so a
    generator that never gets past the first check cannot pass silently.
    """
    seed = fuzz_seed(name)
    rng = random.Random(seed)
    ok = 0
    for _ in range(n):
        payload = make(rng)
        try:
            decoder(payload)
            ok += 1
        except DecodeError:
            pass
        except Exception as exc:  # the message carries what reproduces it
            pytest.fail(f"{name}: {type(exc).__name__}: {exc} for {payload.hex()} (seed {seed})")
    assert 0 < ok < n, f"{name}: {ok} of {n} decoded"
