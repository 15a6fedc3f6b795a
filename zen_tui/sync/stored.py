"""The freshness of what the local store holds, before any poll.

Apart from `zen_tui.sync.freshness` (which re-exports it) so that `zen-tui list`, which only
reads the store, does not load the gateway's error and event classes to say "local".
"""

from __future__ import annotations

from collections.abc import Sequence

from zen_tui.models import Cause, Freshness, FreshnessState, Item, Snapshot

STORED_REASON = "from the local store"


def stored(items: Sequence[Item], fetched_at: float | None) -> Snapshot:
    """The store's items as they were fetched at `fetched_at`."""
    fresh = Freshness(FreshnessState.LOCAL, fetched_at, STORED_REASON, Cause.LOCAL)
    return Snapshot(tuple(items), fresh)


def from_local_store(
    items: Sequence[Item], fetched_at: float | None, sync_command: str = "zen-tui sync --once"
) -> Snapshot:
    """What load_local() shows before any poll: the store's items, or empty (saying which
    command fills it; the demo has none: only its own run's polls fill its store)."""
    if fetched_at is None:
        run = f"run `{sync_command}` or " if sync_command else ""
        why = f"not synced yet; {run}wait for the first poll"
        return Snapshot.empty(why, Cause.NOT_SYNCED)
    return stored(items, fetched_at)
