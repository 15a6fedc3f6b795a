"""The rules of a stored rate-limit pause, over its row as plain values: how long it lasts,
what is left of it, whether a row is usable at all, and whether it holds an account.

No msgspec: the typed RatePause (models.py) answers through these, and so does `zen-tui
health` when it reads the rows as they are (commands/health.py, the quick lane).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import TypeAlias

# The longest rate-limit pause a stored row may ask for. No limit these services document
# lasts longer than an hour (GitHub's primary window, Jira's hourly quota; GitHub's doubling
# secondary wait stops at 16 minutes): a longer one is a damaged row, not a server's answer.
PAUSE_MAX = 24 * 3600.0

# A pause's row in the store (store/pauses.py), in the order of RatePause's fields.
COLUMNS = ("account", "service", "scope", "until", "recorded_at", "reason", "step")
if TYPE_CHECKING:
    Row: TypeAlias = tuple[str, str, str, float, float, str, int]


def length(until: float, recorded_at: float) -> float:
    """How long the server asked to wait, from when it was met."""
    return until - recorded_at


def left(until: float, recorded_at: float, now: float) -> float:
    """Seconds of the pause left at wall time `now`: never more than its length (a clock set
    back since it was met must not make it last longer than asked), 0 once over."""
    return max(0.0, min(until - now, length(until, recorded_at)))


def problem(until: float, recorded_at: float, step: int) -> str | None:
    """What makes the row unusable (a damaged file, another program's write), or None."""
    if not all(map(math.isfinite, (until, recorded_at))):
        return "its times are not numbers"
    lasts = length(until, recorded_at)
    if not 0 < lasts <= PAUSE_MAX:
        return f"it lasts {lasts:.0f} s (at most {PAUSE_MAX:.0f} s is believed)"
    if step < 0:
        return f"its step {step} is negative"
    return None


def holds(row: Row, account: str, service: str, now: float) -> float:
    """Seconds of the pause left at `now` for `account` of `service`, as a gateway of it obeys
    the row: 0 if it is another's, over, or unusable (`problem`)."""
    of_account, of_service, _, until, recorded_at, _, step = row
    if of_account != account or of_service != service or problem(until, recorded_at, step):
        return 0.0
    return left(until, recorded_at, now)
