"""`zen-tui list prs|issues|messages [--json] [--account NAME]`: the local store, no network.

Exit status: 0 (also when a section is empty: its reason says why), 2 for an unknown account.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from zen_tui.config import Settings, section_infos
from zen_tui.models import Issue, Item, Message, PullRequest, SectionInfo, Snapshot
from zen_tui.store import Store
from zen_tui.sync.freshness import from_local_store


def run(args: argparse.Namespace, settings: Settings) -> int:
    sections = [s for s in section_infos(settings) if s.pane == args.pane]
    if args.account:
        if args.account not in {a.name for a in settings.accounts}:
            print(f"zen-tui: no account named {args.account!r}; see `accounts` in the config",
                  file=sys.stderr)  # fmt: skip
            return 2
        sections = [s for s in sections if s.account == args.account]
    store = Store.open_in(Path(settings.data_dir))
    try:
        shown = [(s, stored_snapshot(store, s.id)) for s in sections]
    finally:
        store.close()
    now = time.time()
    if args.json:
        print(json.dumps(to_json(args.pane, shown, now), indent=2))
    else:
        print_text(args.pane, shown, now)
    return 0


def stored_snapshot(store: Store, section_id: str) -> Snapshot:
    """The stored items; when the last sync was not live, the reason says why it was not."""
    snap = from_local_store(*store.load_section(section_id))
    why = store.section_reason(section_id)
    if why is None:
        return snap
    return dataclasses.replace(
        snap, freshness=dataclasses.replace(snap.freshness, reason=f"last sync: {why}")
    )


def to_json(pane: str, shown: list[tuple[SectionInfo, Snapshot]], now: float) -> dict[str, Any]:
    return {
        "pane": pane,
        "sections": [
            {
                "title": section.title,
                "account": section.account,
                "service": section.service,
                "freshness": {
                    "state": snap.freshness.state.value,
                    "fetched_at": snap.freshness.fetched_at,
                    "age_seconds": snap.freshness.age(now),
                    "reason": snap.freshness.reason,
                },
                "items": [item_json(item) for item in snap.items],
            }
            for section, snap in shown
        ],
    }


def item_state(item: Item) -> str:
    if isinstance(item, PullRequest):
        return "draft" if item.draft and item.state == "open" else item.state
    if isinstance(item, Issue):
        return item.status
    return "thread" if item.thread_ts or item.reply_count else "message"


def item_json(item: Item) -> dict[str, Any]:
    data = dataclasses.asdict(item)
    if isinstance(item, Message):
        data["reactions"] = [dataclasses.asdict(r) for r in item.reactions]
    head = {k: data.pop(k) for k in ("id", "key", "title", "url")}
    return head | {"state": item_state(item), "updated_at": data.pop("updated_at")} | data


def print_text(pane: str, shown: list[tuple[SectionInfo, Snapshot]], now: float) -> None:
    if not shown:
        print(f"no {pane} sections in the config")
    for section, snap in shown:
        reason = f" ({snap.freshness.reason})" if snap.freshness.reason else ""
        print(f"== {section.title} [{section.account}] {snap.freshness.badge(now)}{reason}")
        for item in snap.items:
            print(f"  {item.key:<28} {item_state(item):<12} {item.title[:70]}")
