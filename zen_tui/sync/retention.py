"""What the store keeps, and for how long: pruned when the engine starts and daily after.

Without this the store grows for as long as zen-tui is used: every action ever done, the
cached response of every URL ever fetched (sections since removed, previews of old items) and
every webhook delivery id.
"""

from __future__ import annotations

import logging
from functools import partial

import msgspec

from zen_tui.gateway.clock import Clock
from zen_tui.gateway.pauses import STEP_KEPT
from zen_tui.store import Store
from zen_tui.sync.housekeeping import Housekeeping
from zen_tui.sync.session_rows import RowStores

log = logging.getLogger("zen_tui.sync.retention")

DAY = 86400.0


class Retention(msgspec.Struct, frozen=True):
    # Done actions stay visible in `zen-tui outbox` this long; failed ones stay until handled.
    outbox_done: float = 7 * DAY
    # A cached response (body + ETag) not refreshed this long before the newest one is for a
    # URL nothing polls any more. Measured from the newest fetch, not from now, so a week away
    # from the app does not throw away the validators the first sync back revalidates with.
    http_unused: float = 7 * DAY
    # Processed webhook delivery ids, kept for dedupe: GitHub allows manual redelivery for days.
    webhook_ids: float = 14 * DAY
    # The items of an environment token's login (data_dir/logins/ID.db, sync/session_rows.py)
    # not written this long: a token no longer used (rotated, unset), its items go.
    login_rows_unused: float = 30 * DAY
    # A rate-limit pause, once over, kept for its step (GitHub's doubling wait) this long.
    rate_pauses: float = STEP_KEPT
    every: float = DAY


DEFAULT_RETENTION = Retention()


def prune(
    store: Store,
    now: float,
    retention: Retention = DEFAULT_RETENTION,
    rows: RowStores | None = None,
) -> dict[str, int]:
    """Apply the retention once; returns how many rows went per table (and, given `rows`,
    how many environment logins' files: "login_rows")."""
    newest = store.http_newest()
    pruned = {
        "outbox": store.outbox_prune(now - retention.outbox_done),
        "http_cache": store.http_prune(min(now, newest or now) - retention.http_unused),
        "webhook_queue": store.webhook_prune(now - retention.webhook_ids),
        "rate_pauses": store.rate_pauses_prune(now - retention.rate_pauses),
    }
    if rows is not None:
        pruned["login_rows"] = rows.prune_files(now - retention.login_rows_unused)
    if any(pruned.values()):
        log.info("store: pruned %s", ", ".join(f"{n} {t}" for t, n in pruned.items() if n))
    return pruned


def keep_pruned(
    house: Housekeeping,
    store: Store,
    clock: Clock,
    retention: Retention = DEFAULT_RETENTION,
    rows: RowStores | None = None,
) -> None:
    """Prune at the housekeeping's start, then every `retention.every` seconds while it runs,
    in its worker thread (a prune of a big store never holds up the dashboard). A failing
    prune (a busy or read-only store) is logged once and tried again next period; syncing
    and the other chores go on."""

    async def chore(house: Housekeeping) -> None:
        await house.off_loop(partial(prune, store, clock.time(), retention, rows))

    house.add("store prune", retention.every, chore, at_start=True)
