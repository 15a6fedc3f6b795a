"""How long a poller waits before its next poll: pure arithmetic, no clock, no I/O.

The interval backs off while nothing changes, snaps back when data changes, is shorter for
the focused section, is stretched so the server-reported budget lasts until its reset, and
never goes below the server's X-Poll-Interval.
"""

from __future__ import annotations

import msgspec


class IntervalPolicy(msgspec.Struct, frozen=True):
    base: float = 60.0  # after a change
    minimum: float = 10.0
    maximum: float = 600.0
    backoff: float = 1.5  # factor per poll that changed nothing
    focus_factor: float = 0.5  # the section on screen polls this much more often
    safety: float = 0.9  # plan to spend at most this share of the reported remaining


class Budget(msgspec.Struct, frozen=True):
    """What the server reported for the scope a poller spends from."""

    remaining: int
    reset_at: float  # epoch seconds
    pollers: int = 1  # pollers sharing this budget
    calls_per_poll: float = 1.0  # in the budget's unit: requests, or points (Jira)


def budget_floor(budget: Budget | None, now: float, safety: float = 0.9) -> float:
    """The shortest interval that keeps the budget alive until its reset (0 = no constraint)."""
    if budget is None:
        return 0.0
    window = budget.reset_at - now
    if window <= 0:
        return 0.0
    usable = budget.remaining * safety
    spend_per_round = budget.pollers * budget.calls_per_poll
    if usable < spend_per_round:  # not even one more round fits: wait for the reset
        return window
    return window * spend_per_round / usable


def backoff(policy: IntervalPolicy, previous: float | None, changed: bool) -> float:
    """The unconstrained interval: back to base on change, else x backoff up to maximum."""
    if changed or previous is None:
        return policy.base
    return min(policy.maximum, max(policy.base, previous) * policy.backoff)


def constrain(
    policy: IntervalPolicy,
    plain: float,
    *,
    focused: bool = False,
    poll_interval: float | None = None,
    budget: Budget | None = None,
    now: float = 0.0,
) -> float:
    """The wait for an unconstrained interval: focus, minimum, X-Poll-Interval, budget."""
    wait = plain * policy.focus_factor if focused else plain
    return max(wait, policy.minimum, poll_interval or 0.0, budget_floor(budget, now, policy.safety))


def next_interval(
    policy: IntervalPolicy,
    *,
    previous: float | None,
    changed: bool,
    focused: bool = False,
    poll_interval: float | None = None,
    budget: Budget | None = None,
    now: float = 0.0,
) -> tuple[float, float]:
    """Return (unfocused interval to remember, interval to wait now)."""
    plain = backoff(policy, previous, changed)
    wait = constrain(
        policy, plain, focused=focused, poll_interval=poll_interval, budget=budget, now=now
    )
    return plain, wait
