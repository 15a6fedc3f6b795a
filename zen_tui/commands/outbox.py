"""`zen-tui outbox [list|retry ID|clear --failed|clear ID|cancel ID|cancel --all-pending]`.

`list` (the default) shows pending, unknown and failed entries with their reasons, then
how the cancels of unknown entries ended (done: it had landed; dropped: it had not) until
they are pruned with the done entries. Failed entries stay until handled (they count in
`health`): `retry` queues one again (the next `zen-tui sync` or the dashboard sends it),
`clear` forgets failed ones. `cancel` takes back a pending entry before it is sent (with
the steps chained after it); an unknown one (it may have reached the server) is marked to
be dropped instead of resent: never sent again, it ends done if the next check finds it
landed, else it is dropped. Refused while a zen-tui is sending or checking it right now;
on a failed entry it does what `clear` does. `cancel --all-pending` does so for every
entry not sent yet, pending and unknown, and counts each kind apart. Reads and writes the
store only, no network. Exit status: 0 ok, 1 when a cancel is refused, 2 for an id that
matches no entry it acts on. The listing may be answered without the settings and the store's
records (`quick`): the same words (store/outbox_listing.py) over the same rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments); argparse, when its parser is built
# (the listing's `quick` needs none of it).
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from zen_tui.config import Settings
    from zen_tui.store import OutboxEntry, Store
    from zen_tui.store.outbox_words import Said

HELP = "list queued/failed actions, retry, clear or cancel them"


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    import argparse

    parser.add_argument("--json", action="store_true", help="machine-readable output (list only)")
    verbs = parser.add_subparsers(dest="outbox_command", metavar="ACTION")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, parents=[common], help=help_text)

    verb(
        "list",
        "pending, unknown and failed entries, and how cancels of unknown ones ended (the default)",
    ).add_argument(
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
        "--all-pending",
        action="store_true",
        help="every entry not sent yet that no zen-tui is sending: pending ones are taken "
        "back; unknown ones (they may have landed already) are asked to cancel, checked at "
        "the server at the next send",
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
    from zen_tui.store.outbox_listing import shown

    _print(shown(outbox_words.listed(store), store.outbox_cancels_ended(), json_out=json_out))
    return 0


def quick(args: argparse.Namespace, facts: dict[str, Any], data_dir: Path) -> int | None:
    """The listing (`outbox`, `outbox list [--json]`) from the store as it is, without the
    settings or the store's records (cli._quick); None, with nothing said or written, for
    the verbs that write the store, a store the full open has work to do on, or a row the
    plain reading does not take as the typed one does (store/outbox_listing.read)."""
    if (args.outbox_command or "list") != "list":
        return None
    from zen_tui.store import outbox_listing
    from zen_tui.store.plain import open_as_is

    db = open_as_is(data_dir)
    if db is None:
        return None
    try:
        listing = outbox_listing.read(db)
    finally:
        db.close()
    if listing is None:
        return None
    said = outbox_listing.shown(*listing, json_out=args.json)
    if not _printable(said):
        return None
    _print(said)
    return 0


def _print(lines: list[str]) -> None:
    for line in lines:
        print(line)


def _printable(lines: list[str]) -> bool:
    """Whether stdout takes every line: a lone surrogate (in a damaged row, read by json)
    stops `print` halfway, a failure the full path then meets and reports as it does."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    errors = getattr(sys.stdout, "errors", None) or "strict"
    try:
        for line in lines:
            line.encode(encoding, errors)
    except (UnicodeError, LookupError):
        return False
    return True


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
        cleared = store.outbox_delete_failed()
        print(f"cleared {cleared} failed {'entry' if cleared == 1 else 'entries'}")
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
    """Every entry not sent yet (outbox_words.cancel_all), one line each (a refusal on
    stderr), then one line counting apart the pending ones taken back and the unknown ones
    asked to cancel (they may have landed already)."""
    from zen_tui.store import outbox_words

    taken = asked = refused = 0
    for entry, done in outbox_words.cancel_all(store):
        said = outbox_words.told(entry, done, services, outbox_words.Where.cli())
        if said.code == 2:  # gone meanwhile (sent and dropped, or cancelled elsewhere)
            continue
        _say(said)
        refused += said.code == 1
        asked += done.checking is not None
        taken += len(done.cancelled)
    print(_cancelled_all(taken, asked, refused))
    return 1 if refused else 0


def _cancelled_all(taken: int, asked: int, refused: int) -> str:
    if not taken and not asked and not refused:
        return "nothing pending or unknown to cancel"
    # A count of none is left out, unless nothing else was done (a refusal alone still says
    # that no pending entry was taken back).
    said = [f"{taken} pending cancelled, never sent"] if taken or not asked else []
    if asked:
        each = "it" if asked == 1 else "each"
        said.append(
            f"{asked} unknown asked to cancel: {each} may have landed already, so {each} is"
            " checked at its server at the next send (`zen-tui sync --once` or the dashboard),"
            f" dropped if it had not landed, never resent; `zen-tui outbox` says how {each}"
            " ended"
        )
    if refused:
        said.append(f"{refused} left as {'it was' if refused == 1 else 'they were'} (said above)")
    return "; ".join(said)
