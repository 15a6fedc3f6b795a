"""`zen-tui outbox [list|retry ID|clear --failed|clear ID|cancel ID|cancel --all-pending]`.

`list` (the default) shows pending, unknown and failed entries with their reasons. Failed
entries stay until handled (they count in `health`): `retry` queues one again (the next
`zen-tui sync` or the dashboard sends it), `clear` forgets failed ones. `cancel` takes back
a pending entry before it is sent (with the steps chained after it); an unknown one (it
may have reached the server) is marked to be dropped instead of resent: never sent again,
it ends done if the next check finds it landed, else it is dropped. Refused while a
zen-tui is sending or checking it right now; on a failed entry it does what `clear` does.
Reads and writes the store only, no network. Exit status: 0 ok, 1 when a cancel is
refused, 2 for an id that matches no entry it acts on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.store import OutboxEntry, Store
    from zen_tui.store.outbox_words import Said

HELP = "list queued/failed actions, retry, clear or cancel them"


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
    cancel = verb(
        "cancel",
        "take back a pending entry before it is sent; an unknown one is checked at the "
        "server and dropped instead of resent (done if it had landed)",
    )
    which = cancel.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--all-pending", action="store_true", help="every pending entry no zen-tui is sending"
    )
    which.add_argument(
        "entry", metavar="ID", nargs="?", help="one pending or unknown (or failed) entry"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.store import Store

    store = Store.open_in(Path(settings.data_dir))
    try:
        verb = args.outbox_command or "list"
        if verb == "retry":
            return _retry(store, args.entry)
        if verb == "clear":
            return _clear(store, None if args.failed else args.entry)
        if verb == "cancel":
            from zen_tui.store.outbox_words import servers

            services = servers({a.name: a.service for a in settings.accounts})
            if args.all_pending:
                return _cancel_pending(store, services)
            return _cancel(store, args.entry, services)
        return _list(store, json_out=args.json)
    finally:
        store.close()


def _list(store: Store, *, json_out: bool) -> int:
    from zen_tui.store import outbox_words

    entries = outbox_words.listed(store)
    if json_out:
        import json

        print(json.dumps({"entries": [entry_json(e) for e in entries]}, indent=2))
        return 0
    if not entries:
        print(outbox_words.EMPTY)
    for line in outbox_words.lines(entries):
        print(line)
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


def _find(store: Store, prefix: str, *, failed: bool = True) -> OutboxEntry | None:
    """The failed entry (`failed=False`: the entry, in any state) whose id starts with
    `prefix` (ids are shown cut to 12 characters)."""
    from zen_tui.models import ActionState

    kind = "failed " if failed else ""
    if not prefix.strip():  # '' would match every entry: "several" would not say what is wrong
        print(
            f"zen-tui: give a {kind}entry's id; see `zen-tui outbox` for the ids", file=sys.stderr
        )
        return None
    states = (ActionState.FAILED,) if failed else ()
    found = [e for e in store.outbox_by_state(*states) if e.id.startswith(prefix)]
    if len(found) == 1:
        return found[0]
    what = f"several {kind}entries match" if found else f"no {kind}entry matches"
    print(f"zen-tui: {what} {prefix!r}; see `zen-tui outbox` for the ids", file=sys.stderr)
    return None


def _retry(store: Store, prefix: str) -> int:
    from zen_tui.store import outbox_words

    entry = _find(store, prefix)
    if entry is None:
        return 2
    said = outbox_words.retry(store, entry.id)
    if said.code == 0:
        said = said._replace(line=f"{said.line}; `zen-tui sync --once` or the dashboard sends it")
    return _say(said)


def _clear(store: Store, prefix: str | None) -> int:
    from zen_tui.store import outbox_words

    if prefix is None:
        print(f"cleared {store.outbox_delete_failed()} failed entries")
        return 0
    entry = _find(store, prefix)
    if entry is None:
        return 2
    return _say(outbox_words.clear(store, entry))


def _cancel(store: Store, prefix: str, services: dict[str, str]) -> int:
    from zen_tui.store import outbox_words

    entry = _find(store, prefix, failed=False)
    if entry is None:
        return 2
    return _say(outbox_words.cancel(store, entry, services, outbox_words.Where.cli()))


def _say(said: Said) -> int:
    """The line on stdout when done, else on stderr; the exit status."""
    if said.code == 0:
        print(said.line)
    else:
        print(f"zen-tui: {said.line}", file=sys.stderr)
    return said.code


def _cancel_pending(store: Store, services: dict[str, str]) -> int:
    """Every pending entry, each with the steps chained after it; those a zen-tui is
    sending right now are left, each said why."""
    from zen_tui.models import ActionState
    from zen_tui.store import leases, outbox_words

    gone: set[str] = set()
    refused = 0
    for entry in store.outbox_by_state(ActionState.PENDING):
        if entry.id in gone:  # cancelled with the step before it
            continue
        done = store.outbox_cancel(entry.id, alive=leases.alive)
        gone.update(e.id for e in done.cancelled)
        if done.stopped_by is not None:
            refused += 1
            line = outbox_words.refusal(entry, done.stopped_by, services, outbox_words.Where.cli())
            print(f"zen-tui: {line}", file=sys.stderr)
        elif done.cancelled:
            print(outbox_words.cancelled(done.cancelled))
    if not gone and not refused:
        print("nothing pending to cancel")
    return 1 if refused else 0
