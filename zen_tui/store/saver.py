"""Whether the process that saved an account's health record is still running.

`zen-tui health` shows what the last dashboard or `zen-tui sync` saved. A live state in it
(webhooks live, a half-open countdown, a rate budget "now") is true only while that process
runs. A running engine re-saves every HEARTBEAT seconds, marks its records stopped when it
stops, and names itself in them (a lease owner id, store/leases.py), so a record counts as
current only when it is young, not marked stopped, and its saver is not certainly gone.

Functions over the records as plain values, with no msgspec (nor does leases.py load it):
`zen-tui health` judges them so when it answers from the store as it is (its quick lane).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_tui.store import leases
from zen_tui.timefmt import format_age

HEARTBEAT = 60.0  # a running engine re-saves every account's health this often
# Older than this, the saver is gone or stuck: a few missed beats, not one slow write.
STALE_AFTER = 3 * HEARTBEAT


def saver_running(
    data: dict[str, Any],
    at: float,
    now: float,
    *,
    alive: Callable[[str], bool] = leases.alive,
) -> bool:
    """True while the record's saver plausibly runs and what it saved is still current."""
    if data.get("stopped") or now - at > STALE_AFTER:
        return False
    saver = data.get("saved_by")
    return not isinstance(saver, str) or alive(saver)  # older records: the age alone


def saver_name(data: dict[str, Any]) -> str:
    """Who saved it: `the dashboard (pid 1234 on host)`; empty for a record saved before
    savers were named."""
    saver, role = data.get("saved_by"), data.get("saver_role")
    pid = leases.describe(saver) if isinstance(saver, str) else ""
    if isinstance(role, str) and role:
        return f"{role} ({pid})" if pid else role
    return pid


def age_text(seconds: float) -> str:
    """A short age for a person, as the dashboard's badges say it: 45s, 12m, 3h, 2d (a
    record from a clock a little ahead reads 0s)."""
    return format_age(max(0.0, seconds))


def saved_text(data: dict[str, Any], age: float, running: bool) -> str:
    """`saved 1h ago by the dashboard (pid 12 on host), not running now, figures as of then`:
    the words `zen-tui health` and `zen-tui webhooks` both say of a saved record."""
    by = saver_name(data)
    saved = f"saved {age_text(age)} ago{f' by {by}' if by else ''}"
    state = "still running" if running else "not running now, figures as of then"
    return f"{saved}, {state}"


# What a run with no receiver listening keeps of the last receiver's run in its counters
# (sync/engine.py): who saved them, and whether deliveries were live then.
RECEIVER_KEYS = ("saved_by", "saver_role", "stopped", "webhooks_live")


def receiver_of(data: dict[str, Any], at: float) -> tuple[dict[str, Any], float]:
    """The record of the run whose receiver counted a record's webhook counters, and when it
    saved them: the record itself, or, when a run with no receiver listening saved it
    (`zen-tui sync --once`), the receiver's run it kept in them (`receiver`)."""
    hooks = data.get("webhooks")
    kept = hooks.get("receiver") if isinstance(hooks, dict) else None
    if isinstance(kept, dict) and isinstance(kept.get("saved_at"), (int, float)):
        return kept, float(kept["saved_at"])
    return data, at
