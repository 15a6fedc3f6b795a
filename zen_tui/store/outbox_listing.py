"""What `zen-tui outbox` and the dashboard's outbox view list: the entries not done, each on
one line with why it waits or failed, then how the cancels of entries that may have reached
the server ended. Read and said here, without msgspec, over plain values: the store's
records (OutboxEntry, CancelEnded) are such values, and so are the light ones `read` makes
from the same SQL, for the command's quick lane (commands/outbox.py `quick`, cli._quick).
The retry, clear and cancel of one entry, which write the store, are outbox_words'.
"""

from __future__ import annotations

import json
import sqlite3
import time

from zen_tui.action_states import DONE, HOLDS_LATER, NOT_DONE, PENDING
from zen_tui.text_safety import clean
from zen_tui.timefmt import format_age

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:  # the Protocols too: each costs every run that defines it
    from collections.abc import Iterable, Sequence
    from sqlite3 import Connection
    from typing import Any, Protocol

    from zen_tui.action_rules import Proposed

    class Queued(Protocol):
        """What an entry and an ended cancel both say."""

        @property
        def id(self) -> str: ...
        @property
        def seq(self) -> int: ...
        @property
        def action(self) -> Proposed: ...
        @property
        def attempts(self) -> int: ...
        @property
        def reason(self) -> str | None: ...
        @property
        def created_at(self) -> float: ...
        @property
        def cancel_asked(self) -> float | None: ...

    class Listed(Queued, Protocol):
        """An entry not done (rows.OutboxEntry, or PlainEntry)."""

        @property
        def state(self) -> str: ...
        @property
        def updated_at(self) -> float: ...

    class Ended(Queued, Protocol):
        """An ended cancel (rows.CancelEnded, or PlainEnded)."""

        @property
        def ended_at(self) -> float: ...
        @property
        def landed(self) -> bool: ...


EMPTY = "outbox empty: nothing pending or failed"
# Why an entry cancelled while it may have reached the server (unknown) is still listed.
CHECKED = "cancel asked: checked at the server, never resent: dropped if it had not landed"
# How a cancelled entry ends when the check cannot tell (FAILED, its sender says).
CANCELLED_UNTOLD = (
    "cancelled, but whether it had already landed cannot be told: check there, "
    "and undo it if it did"
)

# The outbox's columns, in the order rows.OutboxEntry takes them.
COLUMNS = (
    "id, seq, action, idempotency_key, batch_id, state, attempts, reason, created_at, updated_at,"
    " lease_owner, lease_until, after_id, link_from, login, cancel_asked"
)
# How the cancels of entries that may have reached the server ended (outbox_cancels_ended):
# a landed one's end is its last update (DONE is never left); `?` is DONE.
CANCELS_ENDED = (
    "SELECT id, seq, action, attempts, reason, created_at, updated_at, cancel_asked, 1"
    " FROM outbox WHERE +state = ? AND cancel_asked IS NOT NULL UNION ALL"
    " SELECT id, seq, action, attempts, reason, created_at, dropped_at, cancel_asked, 0"
    " FROM outbox_dropped ORDER BY 2"
)


def by_state(states: Sequence[str]) -> tuple[str, list[str]]:
    """The query (and its parameters) of the entries in any of `states` (all entries if none
    given), in insertion order, each row's columns as COLUMNS lists them."""
    where = f"state IN ({', '.join('?' * len(states))})" if states else "1"
    return f"SELECT {COLUMNS} FROM outbox WHERE {where} ORDER BY seq", [str(s) for s in states]


def short_id(entry: Queued) -> str:
    """Ids are shown cut to 12 characters (a unique prefix is enough to name one)."""
    return entry.id[:12]


def what(entry: Queued) -> str:
    return f"{entry.action.kind} on {entry.action.item_id}"


def state_word(entry: Listed) -> str:
    """The state an entry not done is listed in (`pending`, `sending`, `unknown`, `failed`):
    `act` answers with the same word, so an entry it sent without a clear answer is not
    called pending there and unknown here."""
    return str(entry.state)


def cancel_outcome(entry: Listed) -> str | None:
    """Where the cancel of a listed entry that may have reached the server stands: "checking"
    (it waits for the check there), "cannot_tell" (it failed: whether it had landed is not
    known); None when no cancel was asked. How the others ended: outbox_cancels_ended."""
    if entry.cancel_asked is None:
        return None
    return "checking" if entry.state in HOLDS_LATER else "cannot_tell"


def held_reasons(entries: Iterable[Listed]) -> dict[str, str]:
    """Why each of `entries` (the outbox) that was never tried still waits, for those it says
    something for (entry id -> why): an earlier entry of its account is not sent yet, and an
    account's actions go in order (the sync's replay keeps the later ones waiting behind one
    that met a transient error). Its stored reason (a session login's note) would not say
    why. One pass in seq order keeping, per account, how many earlier entries are not sent
    yet and the first of them: `zen-tui outbox` lists 10,000 entries at once."""
    waiting: dict[str, tuple[int, Listed]] = {}  # account -> (count, first)
    why: dict[str, str] = {}
    for e in sorted(entries, key=_by_seq):
        account = e.action.account
        before = waiting.get(account)
        if before is not None and e.state == PENDING and not e.attempts:
            why[e.id] = _held_reason(account, *before)
        if e.state in HOLDS_LATER:
            waiting[account] = (1, e) if before is None else (before[0] + 1, before[1])
    return why


def _by_seq(entry: Listed) -> int:
    return entry.seq


def _held_reason(account: str, count: int, first: Listed) -> str:
    why = f": {first.reason}" if first.reason else ""
    earlier = "1 earlier action" if count == 1 else f"{count} earlier actions"
    return (
        f"waits behind {earlier} of {account} not sent yet, sent in order "
        f"(first {first.action.kind} on {first.action.item_id}{why})"
    )


def lines(entries: Sequence[Listed], now: float | None = None) -> list[str]:
    """One line per entry: id, state, what, attempts, age and why it waits or failed (an
    entry held behind an earlier one of its account says so, not its stored reason; one
    cancelled while it may have reached the server says what happens to it, or that
    whether it had landed cannot be told)."""
    now = time.time() if now is None else now
    held = held_reasons(entries)
    found = []
    for e in entries:
        why = held.get(e.id) or e.reason
        asked = cancel_outcome(e)
        if asked == "checking":
            why = CHECKED
        elif asked == "cannot_tell" and why != CANCELLED_UNTOLD:  # its check failed so
            why = f"{CANCELLED_UNTOLD} ({why or 'no reason given'})"
        found.append(_line(e, state_word(e), e.updated_at, why, now))
    return found


def ended_state(ended: Ended) -> str:
    """The state an ended cancel's entry is listed in: done (it landed), or dropped."""
    return DONE if ended.landed else "dropped"


def ended_lines(ended: Sequence[Ended], now: float | None = None) -> list[str]:
    """One line per ended cancel, as `lines` says an entry: `done` with why it is (it had
    landed when the cancel came, the server's answer with it), or `dropped` (it had not:
    never sent again)."""
    now = time.time() if now is None else now
    return [_line(c, ended_state(c), c.ended_at, c.reason, now) for c in ended]


def _line(e: Queued, state: str, updated: float, why: str | None, now: float) -> str:
    reason = f": {why}" if why else ""
    tries = "1 attempt" if e.attempts == 1 else f"{e.attempts} attempts"
    # 14m, 3h, 2d: as the badges and `zen-tui health` say ages (not saver.age_text, which
    # loads leases: a listing does not); a clock a little behind reads 0s
    age = format_age(max(0.0, now - updated))
    head = f"{short_id(e)}  {state:<8} {what(e)} ({tries}, {age} ago)"
    # cleaned as one line: a newline in a server's message cannot start a forged entry
    return clean(head) + clean(reason)


def entry_json(e: Listed) -> dict[str, Any]:
    """An entry not done; `cancel`: where a cancel of it stands (cancel_outcome: null,
    "checking", "cannot_tell"), asked at `cancel_asked`."""
    return _json(e, state_word(e), e.updated_at) | {"cancel": cancel_outcome(e)}


def ended_json(c: Ended) -> dict[str, Any]:
    """An ended cancel: state "done" and cancel "landed" (it had landed before the cancel),
    or state "dropped" and cancel "not_landed" (never sent again)."""
    return _json(c, ended_state(c), c.ended_at) | {"cancel": "landed" if c.landed else "not_landed"}


def _json(e: Queued, state: str, updated: float) -> dict[str, Any]:
    a = e.action
    return {
        "id": e.id,
        "state": state,
        "kind": a.kind,
        "item_id": a.item_id,
        "account": a.account,
        "params": a.params,
        "attempts": e.attempts,
        "reason": e.reason,
        "created_at": e.created_at,
        "updated_at": updated,
        "cancel_asked": e.cancel_asked,
    }


def shown(entries: Sequence[Listed], ended: Sequence[Ended], *, json_out: bool) -> list[str]:
    """What `zen-tui outbox [list] [--json]` prints, line by line (the JSON as one)."""
    if json_out:
        out = {
            "entries": [entry_json(e) for e in entries],
            "cancels_ended": [ended_json(c) for c in ended],
        }
        return [json.dumps(out, indent=2)]  # escapes every control character a server sent
    now = time.time()
    found = [*lines(entries, now), *ended_lines(ended, now)]
    return found or [EMPTY]


# ---------------------------------------------------------------------------------------------
# The listing read without msgspec: the same SQL, each row's values as the typed store hands
# them on (it checks none but the action's), or None for a row it could not read the same.


class PlainAction:
    """An action as codec.decode_action reads it."""

    __slots__ = ("account", "item_id", "kind", "params")

    def __init__(self, kind: str, item_id: str, account: str, params: dict[str, str]) -> None:
        self.kind = kind
        self.item_id = item_id
        self.account = account
        self.params = params


class PlainEntry:
    """An entry not done, with what the listing says of it (rows.OutboxEntry has the rest)."""

    __slots__ = (
        *("action", "attempts", "cancel_asked", "created_at", "id", "reason", "seq"),
        *("state", "updated_at"),
    )
    id: str
    seq: int
    state: str
    attempts: int
    reason: str | None
    created_at: float
    updated_at: float
    cancel_asked: float | None

    def __init__(self, row: Sequence[Any], action: PlainAction) -> None:
        self.id, self.seq, _, _, _, self.state, self.attempts, self.reason = row[:8]
        self.created_at, self.updated_at, *_, self.cancel_asked = row[8:]
        self.action = action


class PlainEnded:
    """An ended cancel, as rows.CancelEnded."""

    __slots__ = (
        *("action", "attempts", "cancel_asked", "created_at", "ended_at", "id"),
        *("landed", "reason", "seq"),
    )
    id: str
    seq: int
    attempts: int
    reason: str | None
    created_at: float
    ended_at: float
    cancel_asked: float

    def __init__(self, row: Sequence[Any], action: PlainAction) -> None:
        self.id, self.seq, _, self.attempts, self.reason, self.created_at = row[:6]
        self.ended_at, self.cancel_asked, landed = row[6:]
        self.landed = bool(landed)
        self.action = action


def read(db: Connection) -> tuple[list[PlainEntry], list[PlainEnded]] | None:
    """The listing as the typed store reads it (outbox_words.listed, outbox_cancels_ended),
    from the same queries; None when a row holds what this reading could not give back as
    that one does (an action its codec refuses, a value of another type than the column's:
    a damaged row), or a read fails. The full path then reads it, and says what is wrong."""
    try:
        rows = db.execute(*by_state(NOT_DONE)).fetchall()
        ended_rows = db.execute(CANCELS_ENDED, (DONE,)).fetchall()
    except sqlite3.Error:  # a missing table, a text that is not UTF-8, locked too long
        return None
    entries, ended = [], []
    for row in rows:
        action = _action(row[2])
        if action is None or not _plain(row, _ENTRY_TYPES):
            return None
        entries.append(PlainEntry(row, action))
    for row in ended_rows:
        action = _action(row[2])
        if action is None or not _plain(row, _ENDED_TYPES):
            return None
        ended.append(PlainEnded(row, action))
    return entries, ended


_INF = float("inf")
_TEXT, _INT, _NUMBER = (str,), (int,), (int, float)
_ANY: tuple[type, ...] = ()  # not shown, not checked
# The types each column's value may have for the listing to come out as the typed path's
# (a float that is not finite is refused apart: an age of it is no number). Each NULL the
# columns allow, and no other: only a damaged row holds another.
_ENTRY_TYPES = (
    *(_TEXT, _INT, _ANY, _ANY, _ANY, _TEXT, _INT, (str, type(None)), _NUMBER, _NUMBER),
    *(_ANY, _ANY, _ANY, _ANY, _ANY, (int, float, type(None))),
)
_ENDED_TYPES = (_TEXT, _INT, _ANY, _INT, (str, type(None)), _NUMBER, _NUMBER, _NUMBER, _INT)


def _plain(row: Sequence[Any], types: tuple[tuple[type, ...], ...]) -> bool:
    for value, allowed in zip(row, types, strict=True):
        if not allowed:
            continue
        if type(value) not in allowed or (type(value) is float and not -_INF < value < _INF):
            return False
    return True


def _action(text: object) -> PlainAction | None:
    """codec.decode_action's action, read by json; None where that codec would refuse it or
    might read it otherwise: not a str, not JSON, a key given twice (the codec checks each
    value given), a field missing or of another type."""
    if type(text) is not str:
        return None
    try:
        doc = json.loads(text, object_pairs_hook=_once)
    except (ValueError, RecursionError):  # not JSON, a key twice, nested too deeply
        return None
    data = doc.get("data") if type(doc) is dict else None
    if type(data) is not dict:
        return None
    kind, item_id, account = data.get("kind"), data.get("item_id"), data.get("account")
    params = data.get("params", {})
    if not (type(kind) is type(item_id) is type(account) is str and type(params) is dict):
        return None
    if not all(type(v) is str for v in params.values()):
        return None
    return PlainAction(kind, item_id, account, params)


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("a key given twice")
    return found
