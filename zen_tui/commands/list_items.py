"""`zen-tui list prs|issues|messages [--json] [--account NAME]`: the local store, no network.

Exit status: 0 (also when a section is empty: its reason says why), 2 for an unknown account.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
if TYPE_CHECKING:
    from zen_tui.config import Settings
    from zen_tui.models import Freshness, Item, SectionInfo
    from zen_tui.store import Store
    from zen_tui.sync.session_rows import RowStores

HELP = "print the items of one pane"
TITLE_CELLS = 70  # a title's most cells in the text output (cut with `…`)


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("pane", choices=("prs", "issues", "messages", "inbox"), help="which pane")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--account", metavar="NAME", help="only this account's sections")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from zen_tui.config import section_infos
    from zen_tui.store import Store
    from zen_tui.sync.session_rows import RowStores

    sections = [s for s in section_infos(settings) if s.pane == args.pane]
    if args.account:
        if args.account not in {a.name for a in settings.accounts}:
            print(
                f"zen-tui: no account named {args.account!r}; see `accounts` in the config",
                file=sys.stderr,
            )
            return 2
        sections = [s for s in sections if s.account == args.account]
    store = Store.open_in(Path(settings.data_dir))
    # An account whose token comes from this environment shows that login's rows, never
    # the shared store's (another login's: sync/session_rows.py)
    rows = RowStores.for_settings(store, settings)
    try:
        shown = [
            Shown(s, stored_freshness(rows.of(s.account), s.id, settings.sync_command), rows)
            for s in sections
        ]
        write = write_json if args.json else write_text
        write(sys.stdout, args.pane, shown, time.time())
    finally:
        rows.close()
        store.close()
    return 0


class Shown:
    """A section as `list` prints it: its freshness now, its items read as they are written
    (chunk by chunk from the store), so 10,000 items never sit in memory at once. A plain
    class: `--help` imports this module, and defining a dataclass or a NamedTuple compiles
    code (the first compile() of a process costs a millisecond)."""

    __slots__ = ("freshness", "rows", "section")

    def __init__(self, section: SectionInfo, freshness: Freshness, rows: RowStores) -> None:
        self.section = section
        self.freshness = freshness
        self.rows = rows

    def items(self) -> Iterator[Item]:
        return self.rows.of(self.section.account).iter_section(self.section.id)


def stored_freshness(
    store: Store, section_id: str, sync_command: str = "zen-tui sync --once"
) -> Freshness:
    """The stored section's freshness; when the last sync was not live, the reason says why."""
    from zen_tui.sync.stored import from_local_store

    fresh = from_local_store((), store.section_fetched_at(section_id), sync_command).freshness
    why = store.section_reason(section_id)
    import msgspec

    return fresh if why is None else msgspec.structs.replace(fresh, reason=f"last sync: {why}")


def section_json(shown: Shown, now: float) -> dict[str, Any]:
    """A section's JSON object without its items (those are streamed after it)."""
    section, fresh = shown.section, shown.freshness
    return {
        "title": section.title,
        "account": section.account,
        "service": section.service,
        "freshness": {
            "state": fresh.state.value,
            "fetched_at": fresh.fetched_at,
            "age_seconds": fresh.age(now),
            "reason": fresh.reason,
        },
    }


def _nested(value: Any, level: int) -> str:
    """json.dumps(value, indent=2) as it reads `level` levels deep in the document."""
    import json

    return json.dumps(value, indent=2).replace("\n", "\n" + "  " * level)


def write_json(out: TextIO, pane: str, shown: list[Shown], now: float) -> None:
    """The same text as json.dumps(document, indent=2), written item by item."""
    import json

    out.write('{\n  "pane": ' + json.dumps(pane) + ',\n  "sections": ')
    if not shown:
        out.write("[]\n}\n")
        return
    for n, part in enumerate(shown):
        out.write(("[" if n == 0 else ",") + "\n    ")
        head = _nested(section_json(part, now), 2)
        out.write(head.removesuffix("\n    }") + ',\n      "items": ')
        count = 0
        for count, item in enumerate(part.items(), 1):
            out.write(("[" if count == 1 else ",") + "\n        " + _nested(item_json(item), 4))
        out.write("[]" if count == 0 else "\n      ]")
        out.write("\n    }")
    out.write("\n  ]\n}\n")


def item_state(item: Item) -> str:
    from zen_tui.models import Issue, PullRequest

    if isinstance(item, PullRequest):
        return "draft" if item.draft and item.state == "open" else item.state
    if isinstance(item, Issue):
        return item.status
    return "thread" if item.thread_ts or item.reply_count else "message"


def item_json(item: Item) -> dict[str, Any]:
    import msgspec

    # Plain values (tuples as lists, a Reaction as an object), in the fields' order.
    data: dict[str, Any] = msgspec.to_builtins(item)
    head = {k: data.pop(k) for k in ("id", "key", "title", "url")}
    return head | {"state": item_state(item), "updated_at": data.pop("updated_at")} | data


def write_text(out: TextIO, pane: str, shown: list[Shown], now: float) -> None:
    from zen_tui.cells import cut, pad
    from zen_tui.models import Message, item_label
    from zen_tui.text_safety import clean

    if not shown:
        out.write(f"no {pane} sections in the config\n")
    for part in shown:
        fresh = part.freshness
        reason = f" ({clean(fresh.reason)})" if fresh.reason else ""
        title = clean(part.section.title)
        out.write(f"== {title} [{part.section.account}] {fresh.badge(now)}{reason}\n")
        for item in part.items():
            # a message's label (`#random 2026-11-28 02:55:41 UTC`) is wider than a key's
            width = 40 if isinstance(item, Message) else 28
            # One line per item: server text is cleaned as one line, so a newline or CR in a
            # title cannot start a line that reads as another item (stdout's own cleaning
            # keeps newlines, as it cannot tell them from the ones written here).
            label, state = clean(item_label(item, now)), clean(item_state(item))
            # padded and cut in terminal cells: a CJK character takes two (by characters, a
            # Chinese title or channel name pushed the columns after it out of line)
            said = cut(clean(item.title), TITLE_CELLS)
            out.write(f"  {pad(label, width)} {pad(state, 12)} {said}\n")
