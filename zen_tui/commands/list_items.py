"""`zen-tui list prs|issues|messages [--json] [--account NAME]`: the local store, no network.

Exit status: 0 (also when a section is empty: its reason says why), 2 for an unknown account.

Two ways to the same answer: `run`, from the settings and the Store (its records, decoded
by msgspec), and `quick`, from the facts kept with the config's parse and the store opened as
it is, each row read as plain JSON (store/plain_items.py), without msgspec (cli._quick). Both
make the same plain values (a section's freshness, each item's kind and fields) and print them
with the same writers, `write_json` and `write_text`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from zen_tui.plain_argv import PANES

# The config, models and store load when the command runs, not for `zen-tui --help` (which
# imports every command module for its HELP and arguments).
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    import argparse
    import sqlite3
    from typing import Any, TextIO

    from zen_tui.config import Settings
    from zen_tui.store import Store
    from zen_tui.store.plain_items import RowReader

# An item as both ways print it: its kind as the store tags it ("pr", "issue", "message")
# and its fields by name, in the model's order, as msgspec.to_builtins gives them.
if TYPE_CHECKING:
    Fields = dict[str, Any]
    Plain = tuple[str, Fields]

HELP = "print the items of one pane"
TITLE_CELLS = 70  # a title's most cells in the text output (cut with `…`)
# The most items the quick lane prints: it reads each row twice (checked, then written) in
# Python, ~0.13 ms an item against the full path's ~0.08 ms (msgspec's decoder, in C), which
# makes up its ~45 ms more start-up at ~800 items. Above this, `run` answers.
QUICK_MOST = 500


def arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    parser.add_argument("pane", choices=PANES, help="which pane")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--account", metavar="NAME", help="only this account's sections")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from msgspec import to_builtins

    from zen_tui.config import section_infos
    from zen_tui.store import Store
    from zen_tui.sync.session_rows import RowStores

    sections = [s for s in section_infos(settings) if s.pane == args.pane]
    if args.account:
        if args.account not in {a.name for a in settings.accounts}:
            return _no_account(args.account)
        sections = [s for s in sections if s.account == args.account]
    store = Store.open_in(Path(settings.data_dir))
    # An account whose token comes from this environment shows that login's rows, never
    # the shared store's (another login's: sync/session_rows.py)
    rows = RowStores.for_settings(store, settings)
    try:
        shown = [
            stored_shown(to_builtins(s), rows.of(s.account), settings.sync_command)
            for s in sections
        ]
        _write(args, shown)
    finally:
        rows.close()
        store.close()
    return 0


def quick(args: argparse.Namespace, facts: dict[str, Any], data_dir: Path) -> int | None:
    """`run`'s answer from the facts kept with the config's parse (config.headless_facts) and
    the store as it is (cli._quick); None, having said nothing, where it could differ: a store
    the full open would change, a row the typed decode would not take as it is (skipped and
    logged there), facts without the rows' description."""
    import sqlite3
    from contextlib import nullcontext

    from zen_tui.store import plain, plain_items

    reader = plain_items.RowReader.of(facts.get("stored_items"))
    if reader is None:
        return None
    sections = [s for s in facts["sections"] if s["pane"] == args.pane]
    if args.account:
        if args.account not in {a["name"] for a in facts["accounts"]}:
            return _no_account(args.account)  # as `run`: before the store is opened
        sections = [s for s in sections if s["account"] == args.account]
    db = plain.open_as_is(data_dir)
    if db is None:
        return None
    try:
        db.execute("BEGIN")  # one snapshot: the rows checked are the rows printed

        def read() -> nullcontext[sqlite3.Connection]:
            return nullcontext(db)

        try:
            if _stored_count(db, sections) > QUICK_MOST:
                return None
            shown = [_plain_shown(s, read, reader, facts["sync_command"]) for s in sections]
            _check(shown, read, reader)  # every row, before a word is printed
        except (sqlite3.Error, plain_items.NotAsIs):
            return None
        _write(args, shown)
        return 0
    finally:
        db.close()


def _stored_count(db: sqlite3.Connection, sections: list[dict[str, Any]]) -> int:
    """How many item rows the store holds for these sections."""
    marks = ",".join("?" * len(sections))  # only placeholders are interpolated
    query = f"SELECT count(*) FROM items WHERE section_id IN ({marks})"
    return int(db.execute(query, [s["id"] for s in sections]).fetchone()[0])


def _check(shown: list[Shown], read: Callable[[], Any], reader: RowReader, room: int = 100) -> None:
    """Check every row of the sections shown (plain_items.NotAsIs if one is not as it is).
    The items of the first sections, up to `room` of them, are kept as read for the writing;
    the others are read again as they are written, so 10,000 items are never all held."""
    from zen_tui.store.plain_items import section_chunks

    for part in shown:
        held: list[Plain] | None = []
        for texts in section_chunks(read, part.section["id"]):
            keep = held is not None and len(held) + len(texts) <= room
            checked = reader.check(texts, keep=keep)
            held = held + checked if keep and held is not None else None
        if held is not None:
            room -= len(held)
            part.items = held.__iter__


def _no_account(name: str) -> int:
    print(f"zen-tui: no account named {name!r}; see `accounts` in the config", file=sys.stderr)
    return 2


def _write(args: argparse.Namespace, shown: list[Shown]) -> None:
    write = write_json if args.json else write_text
    write(sys.stdout, args.pane, shown, time.time())


class Fresh:
    """A stored section's freshness as `list` prints it. A plain class, as Shown."""

    __slots__ = ("fetched_at", "reason", "state")

    def __init__(self, fetched_at: float | None, why: str | None, sync_command: str) -> None:
        """`why`: the reason the section's last sync was not live (store.section_reason);
        None: the store's own reason (freshness_words.stored)."""
        from zen_tui.freshness_words import stored

        self.state, reason, _ = stored(fetched_at, sync_command)
        self.fetched_at = fetched_at
        self.reason = reason if why is None else f"last sync: {why}"


class Shown:
    """A section as `list` prints it: its fields (title, account, service), its freshness,
    its items read as they are written (chunk by chunk from the store), so 10,000 items never
    sit in memory at once. A plain class: `--help` imports this module, and defining a
    dataclass or a NamedTuple compiles code (the first compile() of a process costs a
    millisecond)."""

    __slots__ = ("fresh", "items", "section")

    def __init__(
        self, section: Mapping[str, Any], fresh: Fresh, items: Callable[[], Iterable[Plain]]
    ) -> None:
        self.section = section
        self.fresh = fresh
        self.items = items


def stored_freshness(
    store: Store, section_id: str, sync_command: str = "zen-tui sync --once"
) -> Fresh:
    """The stored section's freshness; when the last sync was not live, the reason says why."""
    why = store.section_reason(section_id)
    return Fresh(store.section_fetched_at(section_id), why, sync_command)


def stored_shown(
    section: Mapping[str, Any], store: Store, sync_command: str = "zen-tui sync --once"
) -> Shown:
    """The section (SectionInfo's fields) as `store` holds it, its items decoded (msgspec)."""
    from msgspec import to_builtins

    from zen_tui.store.codec import tag_of

    def items() -> Iterator[Plain]:
        for item in store.iter_section(section["id"]):
            yield tag_of(item), to_builtins(item)

    return Shown(section, stored_freshness(store, section["id"], sync_command), items)


def _plain_shown(
    section: Mapping[str, Any],
    read: Callable[[], Any],
    reader: RowReader,
    sync_command: str,
) -> Shown:
    """The section as the store opened as it is holds it, its rows read as plain JSON."""
    from zen_tui.store import plain_items

    def items() -> Iterator[Plain]:
        for texts in plain_items.section_chunks(read, section["id"]):
            yield from map(reader.read, texts)

    with read() as db:
        fetched_at = plain_items.fetched_at(db, section["id"])
        why = plain_items.reason(db, section["id"])
    return Shown(section, Fresh(fetched_at, why, sync_command), items)


def section_json(shown: Shown, now: float) -> dict[str, Any]:
    """A section's JSON object without its items (those are streamed after it)."""
    from zen_tui.freshness_words import age

    section, fresh = shown.section, shown.fresh
    return {
        "title": section["title"],
        "account": section["account"],
        "service": section["service"],
        "freshness": {
            "state": fresh.state,
            "fetched_at": fresh.fetched_at,
            "age_seconds": age(fresh.fetched_at, now),
            "reason": fresh.reason,
        },
    }


def _nested(value: Any, level: int) -> str:
    """json.dumps(value, indent=2) as it reads `level` levels deep in the document. Laid out
    here, each string and number said as json says it: with an indent, json.dumps takes its
    pure-Python encoder, at twice the cost (a third of what `list --json` spent on 10 items)."""
    import json
    from json.encoder import encode_basestring_ascii as string  # json.dumps of a str

    def say(value: Any, level: int) -> str:
        kind = type(value)
        if kind is str:
            return string(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return int.__repr__(value)  # as json says an int
        deeper = level + 1
        inner, last = "\n" + "  " * deeper, "\n" + "  " * level
        # (a str said in place: most values are, and a call each was half the cost)
        if kind is list or kind is tuple:
            said = [string(v) if type(v) is str else say(v, deeper) for v in value]
            return "[" + inner + ("," + inner).join(said) + last + "]" if said else "[]"
        if kind is dict:  # `string` of a key that is no str: TypeError (json's way, below)
            said = [
                f"{string(k)}: {string(v) if type(v) is str else say(v, deeper)}"
                for k, v in value.items()
            ]
            return "{" + inner + ("," + inner).join(said) + last + "}" if said else "{}"
        raise TypeError  # a float: NaN and the infinities as json says them

    try:
        return say(value, level)
    except TypeError:
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
        for count, (kind, fields) in enumerate(part.items(), 1):
            text = _nested(item_json(kind, fields), 4)
            out.write(("[" if count == 1 else ",") + "\n        " + text)
        out.write("[]" if count == 0 else "\n      ]")
        out.write("\n    }")
    out.write("\n  ]\n}\n")


def item_json(kind: str, fields: Fields) -> dict[str, Any]:
    """An item's JSON object: its fields (plain values, tuples as lists, a Reaction as an
    object, in the fields' order), its id, key, title and url first, then its state."""
    from zen_tui.item_words import item_state

    data = dict(fields)
    head = {k: data.pop(k) for k in ("id", "key", "title", "url")}
    return head | {"state": item_state(kind, fields), "updated_at": data.pop("updated_at")} | data


def write_text(out: TextIO, pane: str, shown: list[Shown], now: float) -> None:
    from zen_tui.cells import cut, pad
    from zen_tui.freshness_words import badge
    from zen_tui.item_words import item_label, item_state
    from zen_tui.text_safety import clean

    if not shown:
        out.write(f"no {pane} sections in the config\n")
    for part in shown:
        fresh = part.fresh
        reason = f" ({clean(fresh.reason)})" if fresh.reason else ""
        title = clean(part.section["title"])
        where = f"[{part.section['account']}] {badge(fresh.state, fresh.fetched_at, now)}"
        out.write(f"== {title} {where}{reason}\n")
        for kind, fields in part.items():
            # a message's label (`#random 2026-11-28 02:55:41 UTC`) is wider than a key's
            width = 40 if kind == "message" else 28
            # One line per item: server text is cleaned as one line, so a newline or CR in a
            # title cannot start a line that reads as another item (stdout's own cleaning
            # keeps newlines, as it cannot tell them from the ones written here).
            label = clean(item_label(kind, fields, now))
            state = clean(item_state(kind, fields))
            # padded and cut in terminal cells: a CJK character takes two (by characters, a
            # Chinese title or channel name pushed the columns after it out of line)
            said = cut(clean(fields["title"]), TITLE_CELLS)
            out.write(f"  {pad(label, width)} {pad(state, 12)} {said}\n")
