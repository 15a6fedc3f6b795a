"""`zen-tui sync [--once]`: refresh every section into the store (and send the outbox).

--once: one refresh, a line per section, then exit 0 when every section got its answer (live,
or from the gateway's cache within its TTL: nothing failed), 3 when some are degraded (the
last good answer or the store's copy after a failure, or empty with a reason). Without
--once: poll until Ctrl-C, printing a line per section update.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from zen_tui.timefmt import local_time

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.models import SectionInfo, Snapshot

DEGRADED = 3
HELP = "refresh every section into the local store"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="one refresh, then exit (default: keep polling)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.accounts:
        print(
            "zen-tui: no accounts configured; add [[accounts]] to the config (or use --demo)",
            file=sys.stderr,
        )
        return 2
    import asyncio

    return asyncio.run(_once(settings) if args.once else _forever(settings))


async def _once(settings: Settings) -> int:
    from zen_tui.sync.engine import SyncEngine
    from zen_tui.wiring import build

    engine = SyncEngine(build(settings), role="`zen-tui sync --once`")
    try:
        snapshots = await engine.sync_once()
    finally:
        await engine.stop()
    now = time.time()
    first_with: dict[str, str] = {}  # reason -> the first section that gave it
    for section in engine.sections:
        snap = snapshots[section.id]
        why = snap.freshness.reason
        # one account's keyring advice is said once, not again on each of its sections
        again = first_with.get(why) if why else None
        print(line(section, snap, now, same_as=again))
        if why:
            first_with.setdefault(why, section.title)
    # an answer from the cache within its TTL is no failure: a second run within it is not
    # degraded (its line says `cached 12s` and why)
    answered = all(s.freshness.answered for s in snapshots.values())
    return 0 if answered else DEGRADED


async def _forever(settings: Settings) -> int:
    import asyncio

    from zen_tui.events import Event
    from zen_tui.sync.backend import SectionUpdated
    from zen_tui.sync.engine import SyncEngine
    from zen_tui.wiring import build

    engine = SyncEngine(build(settings), role="`zen-tui sync`")
    titles = {s.id: s for s in engine.sections}

    def show(event: Event) -> None:
        if isinstance(event, SectionUpdated):
            print(line(titles[event.section_id], event.snapshot, time.time()), flush=True)

    engine.bus.subscribe(show)
    try:
        await engine.start()
        # said in the log alone, a receiver that could not listen went unnoticed here
        for problem in engine.webhooks.problems if engine.webhooks else ():
            print(f"zen-tui: warning: webhooks: {problem}", file=sys.stderr, flush=True)
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await engine.stop()
    return 0


def line(section: SectionInfo, snap: Snapshot, now: float, same_as: str | None = None) -> str:
    from zen_tui.text_safety import clean

    reason = f" ({snap.freshness.reason})" if snap.freshness.reason else ""
    if same_as is not None:
        reason = f" (same reason as {same_as})"
    stamp = local_time(now)
    # one line per section: a newline in a server's message cannot start a forged one
    return clean(
        f"{stamp} {section.title} [{section.account}]: {len(snap.items)} items, "
        f"{snap.freshness.badge(now)}{reason}"
    )
