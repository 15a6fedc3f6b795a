"""`zen-tui outbox [list|retry ID|clear --failed|clear ID] [--json]`: the queued actions.

`list` (the default) shows pending, unknown and failed entries with their reasons. Failed
entries stay until handled (they count in `health`): `retry` queues one again (the next
`zen-tui sync` or the dashboard sends it), `clear` forgets failed ones. Reads and writes the
store only, no network. Exit status: 0 ok, 2 for an id that matches no (failed) entry.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.store import OutboxEntry, Store

HELP = "list queued/failed actions, retry or clear them"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (list only)")
    verbs = parser.add_subparsers(dest="outbox_command", metavar="ACTION")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, parents=[common], help=help_text)

    verb("list", "pending, unknown and failed entries (the default)").add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    verb("retry", "queue a failed entry again").add_argument(
        "entry", metavar="ID", help="entry id (or a unique prefix) from `zen-tui outbox`"
    )
    which = verb("clear", "forget failed entries").add_mutually_exclusive_group(required=True)
    which.add_argument("--failed", action="store_true", help="every failed entry")
    which.add_argument("entry", metavar="ID", nargs="?", help="one failed entry")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.store import Store

    store = Store.open_in(Path(settings.data_dir))
    try:
        verb = args.outbox_command or "list"
        if verb == "retry":
            return _retry(store, args.entry)
        if verb == "clear":
            return _clear(store, None if args.failed else args.entry)
        return _list(store, json_out=args.json)
    finally:
        store.close()


def _list(store: Store, *, json_out: bool) -> int:
    from zen_tui.models import ActionState

    shown = (ActionState.PENDING, ActionState.SENDING, ActionState.UNKNOWN, ActionState.FAILED)
    entries = store.outbox_by_state(*shown)
    if json_out:
        import json

        print(json.dumps({"entries": [entry_json(e) for e in entries]}, indent=2))
        return 0
    if not entries:
        print("outbox empty: nothing pending or failed")
    from zen_tui.store.outbox import held_reasons

    now = time.time()
    held = held_reasons(entries)
    for e in entries:
        why = held.get(e.id) or e.reason
        reason = f": {why}" if why else ""
        age = int(now - e.updated_at)
        print(
            f"{e.id[:12]}  {e.state:<8} {e.action.kind} on {e.action.item_id}"
            f" ({e.attempts} attempts, {age}s ago){reason}"
        )
    return 0


def entry_json(e: OutboxEntry) -> dict[str, Any]:
    a = e.action
    return {
        "id": e.id,
        "state": str(e.state),
        "kind": a.kind,
        "item_id": a.item_id,
        "account": a.account,
        "params": a.params,
        "attempts": e.attempts,
        "reason": e.reason,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _find(store: Store, prefix: str) -> OutboxEntry | None:
    """The failed entry whose id starts with `prefix` (ids are shown cut to 12 characters)."""
    from zen_tui.models import ActionState

    found = [e for e in store.outbox_by_state(ActionState.FAILED) if e.id.startswith(prefix)]
    if len(found) == 1 and prefix:
        return found[0]
    what = "several failed entries" if found else "no failed entry"
    print(f"zen-tui: {what} match {prefix!r}; see `zen-tui outbox` for the ids", file=sys.stderr)
    return None


def _retry(store: Store, prefix: str) -> int:
    entry = _find(store, prefix)
    if entry is None:
        return 2
    from zen_tui.models import ActionState

    store.outbox_update(entry.id, state=ActionState.PENDING, reason="retry asked by the user")
    print(
        f"queued again: {entry.action.kind} on {entry.action.item_id}; "
        "`zen-tui sync --once` or the dashboard sends it"
    )
    return 0


def _clear(store: Store, prefix: str | None) -> int:
    if prefix is None:
        print(f"cleared {store.outbox_delete_failed()} failed entries")
        return 0
    entry = _find(store, prefix)
    if entry is None:
        return 2
    store.outbox_delete_failed(entry.id)
    print(f"cleared: {entry.action.kind} on {entry.action.item_id}")
    return 0
