"""The freshness of what the local store holds, before any poll.

Apart from `zen_tui.sync.freshness` (which re-exports it) so that `zen-tui list`, which only
reads the store, does not load the gateway's error and event classes to say "local".
"""

from __future__ import annotations

from collections.abc import Sequence

from zen_tui import freshness_words
from zen_tui.freshness_words import STORED_REASON
from zen_tui.models import Cause, Freshness, FreshnessState, Item, Snapshot


def stored(items: Sequence[Item], fetched_at: float | None) -> Snapshot:
    """The store's items as they were fetched at `fetched_at`."""
    fresh = Freshness(FreshnessState.LOCAL, fetched_at, STORED_REASON, Cause.LOCAL)
    return Snapshot(tuple(items), fresh)


def from_local_store(
    items: Sequence[Item], fetched_at: float | None, sync_command: str = "zen-tui sync --once"
) -> Snapshot:
    """What load_local() shows before any poll: the store's items, or empty, saying why
    (freshness_words.stored)."""
    state, reason, cause = freshness_words.stored(fetched_at, sync_command)
    fresh = Freshness(FreshnessState(state), fetched_at, reason, Cause(cause))
    return Snapshot(() if fetched_at is None else tuple(items), fresh)
