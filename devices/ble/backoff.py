"""When to try connecting again, and when to give up: a pure policy, no clocks and no sleeping.

Capped exponential backoff with jitter ("full jitter" shrunk to a band), as in the AWS
Architecture Blog post "Exponential Backoff and Jitter" (M. Brooker, 2015): delays grow by
``factor`` from ``initial_delay_s`` up to ``max_delay_s``; jitter keeps several sensors that
dropped together from retrying in lock-step. The cap is kept low (2 s) because a returning
sensor must be streaming again within 5 s (the project's requirement).

bleak-retry-connector was considered and not used: it covers the first connect only (our work is
reconnecting during a session and giving up on a device gone for good), its delays are internal
rather than a policy we can test, and it brings Home Assistant's adapter-management dependency
(``bluetooth-adapters``) for features a trainer does not need.

Once a device is given up, a session that carries on without it may still look for it
(:func:`look_again_delay_s`): one attempt about every :attr:`RetryPolicy.look_again_s`
(15 s) until the session ends, so that a sensor back minutes later measures again.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

_LOG_SAFE_POWER = math.log(sys.float_info.max) - 1.0
"""ln of a power that is still a finite float, with room for rounding."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Connection retry settings. Every number must be finite (``ValueError`` otherwise).

    Attributes
    ----------
    initial_delay_s : float
        Delay before the second attempt, seconds.
    factor : float
        Growth of the delay per attempt.
    max_delay_s : float
        Largest delay between attempts, seconds.
    jitter : float
        Relative half-width of the random band around each delay (0.2 -> ±20 %).
    connect_attempts : int
        Attempts when first connecting before the error is reported.
    busy_attempts : int
        Attempts while the device reports "busy" (another connection holds it).
    give_up_after_s : float
        After a link drop, how long to keep trying before declaring the device gone, seconds.
    look_again_s : float
        Once given up, in a session that carries on without the device: the pause between
        two attempts to find it again, seconds (:func:`look_again_delay_s`).
    """

    initial_delay_s: float = 0.25
    factor: float = 2.0
    max_delay_s: float = 2.0
    jitter: float = 0.2
    connect_attempts: int = 4
    busy_attempts: int = 3
    give_up_after_s: float = 120.0
    look_again_s: float = 15.0

    def __post_init__(self) -> None:
        numbers = ("initial_delay_s", "factor", "max_delay_s", "jitter", "give_up_after_s")
        for name in (*numbers, "look_again_s"):
            # NaN passes every comparison below by failing it; inf makes no delay.
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)!r}")
        if self.initial_delay_s < 0 or self.max_delay_s < self.initial_delay_s:
            raise ValueError("need 0 <= initial_delay_s <= max_delay_s")
        if self.factor < 1:
            raise ValueError("factor must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if self.connect_attempts < 1 or self.busy_attempts < 1:
            raise ValueError("attempt counts must be >= 1")
        if self.give_up_after_s < 0:
            raise ValueError("give_up_after_s must be >= 0")
        if self.look_again_s <= 0:
            raise ValueError("look_again_s must be > 0")


def backoff_delay_s(policy: RetryPolicy, attempt: int, u: float = 0.5) -> float:
    """Delay before retry number ``attempt`` (1 = the first retry), seconds.

    Parameters
    ----------
    policy : RetryPolicy
        The settings.
    attempt : int
        1 for the delay after the first failure, 2 after the second, ...
    u : float
        A uniform random number in [0, 1) supplied by the caller (0.5 = no jitter), so the
        function stays pure and testable.

    Returns
    -------
    float
        ``min(max, initial · factor^(attempt-1)) · (1 + jitter · (2u - 1))``, never negative,
        for any attempt number and any policy :class:`RetryPolicy` accepts (no overflow).
    """
    if attempt < 1:
        raise ValueError("attempt must be >= 1")
    exponent = attempt - 1
    initial_s, cap_s = policy.initial_delay_s, policy.max_delay_s
    if initial_s == 0.0 or policy.factor == 1.0:
        base = initial_s
    else:
        # Whether the cap is reached is decided in logarithms, before any power is taken, so no
        # attempt number or factor the policy accepts can overflow: below the cap,
        # initial · factor^k < max_delay_s is a finite float. (Capping k at a fixed count was
        # wrong both ways: 1e6^64 overflowed, and 1.01^64 stopped growing below the cap.)
        log_factor = math.log(policy.factor)
        # Compared as int with float (exact in Python): k may be too large for a float.
        if exponent >= (math.log(cap_s) - math.log(initial_s)) / log_factor:
            base = cap_s
        elif exponent * log_factor < _LOG_SAFE_POWER:
            # The exact product, as documented; min() for rounding in the comparison above.
            base = min(cap_s, initial_s * policy.factor**exponent)
        else:
            # factor^k alone beyond a float, the product not (a tiny initial delay).
            base = min(cap_s, math.exp(math.log(initial_s) + exponent * log_factor))
    return max(0.0, base * (1.0 + policy.jitter * (2.0 * u - 1.0)))


def next_connect_delay_s(
    policy: RetryPolicy, failures: int, *, busy: bool = False, u: float = 0.5
) -> float | None:
    """For the first connect: the delay before the next attempt, or ``None`` to give up.

    Parameters
    ----------
    failures : int
        Attempts that failed so far (>= 1).
    busy : bool
        Whether the last failure said the device is busy (uses ``busy_attempts``).
    u : float
        Uniform random number in [0, 1) for the jitter.
    """
    limit = policy.busy_attempts if busy else policy.connect_attempts
    if failures >= limit:
        return None
    return backoff_delay_s(policy, failures, u)


def next_reconnect_delay_s(
    policy: RetryPolicy, failures: int, elapsed_s: float, *, u: float = 0.5
) -> float | None:
    """After a link drop: the delay before the next attempt, or ``None`` once the device is gone.

    Parameters
    ----------
    failures : int
        Reconnect attempts that failed since the drop (>= 1).
    elapsed_s : float
        Seconds since the drop.
    u : float
        Uniform random number in [0, 1) for the jitter.

    Returns
    -------
    float or None
        The delay, shortened so the last attempt happens at the give-up time; ``None`` when
        the give-up time has passed.
    """
    remaining = policy.give_up_after_s - elapsed_s
    if remaining <= 0:
        return None
    return min(backoff_delay_s(policy, failures, u), remaining)


def look_again_delay_s(policy: RetryPolicy, *, u: float = 0.5) -> float:
    """Once a device is given up: the pause before the next attempt to find it again, seconds.

    The same pause every time, not growing: the device may come back at any moment of a long
    program, and a pause grown to minutes would leave minutes unmeasured after its return. 15 s
    by default, because each attempt holds the adapter (a scan for the device, or BlueZ's one
    pending LE connect) for up to the connect timeout, beside the sensors that still measure
    and their own reconnects; and a sensor back is then measured again within about 20 s (the
    pause with its jitter, plus one connect), about 2 % of a 20-minute program. The jitter
    band of :attr:`RetryPolicy.jitter` keeps two given-up sensors from trying in lock-step.

    Parameters
    ----------
    policy : RetryPolicy
        The settings (:attr:`RetryPolicy.look_again_s`, :attr:`RetryPolicy.jitter`).
    u : float
        Uniform random number in [0, 1) for the jitter (0.5: none).

    Returns
    -------
    float
        ``look_again_s · (1 + jitter · (2u - 1))``, seconds, always > 0.
    """
    return policy.look_again_s * (1.0 + policy.jitter * (2.0 * u - 1.0))
