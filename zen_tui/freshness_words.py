"""A section's freshness as plain values: its age, its badge, and what the local store's copy
of it says before any poll. models.Freshness and sync.stored say it through these; so does
`zen-tui list` when it answers without the records (which load msgspec: cli._quick).
"""

from __future__ import annotations

import time

from zen_tui.timefmt import format_age

STORED_REASON = "from the local store"


def age(fetched_at: float | None, now: float | None = None) -> float | None:
    """Seconds since `fetched_at` (never below 0); None when nothing was fetched."""
    if fetched_at is None:
        return None
    return max(0.0, (time.time() if now is None else now) - fetched_at)


def badge(state: str, fetched_at: float | None, now: float | None = None) -> str:
    """Short label for a pane title: 'live', 'cached 2m', 'local 3h', 'empty'."""
    if state in ("live", "empty"):
        return state
    seconds = age(fetched_at, now)
    return state if seconds is None else f"{state} {format_age(seconds)}"


def stored(fetched_at: float | None, sync_command: str) -> tuple[str, str, str]:
    """(state, reason, cause) of what the local store holds of a section fetched at
    `fetched_at`, before any poll: its items ("local"), or nothing, saying which command fills
    it (the demo has none: only its own run's polls fill its store)."""
    if fetched_at is None:
        run = f"run `{sync_command}` or " if sync_command else ""
        return "empty", f"not synced yet; {run}wait for the first poll", "not_synced"
    return "local", STORED_REASON, "local"
