"""What `zen-tui health` reads of the store, as SQL and rules over plain values, with no
msgspec: the saved health records, the outbox's figures per account, the rate-limit pauses.

The typed store reads through these (records.py, outbox.py, pauses.py), and so does the
command's quick lane on the connection store/plain.py opens (commands/health.py): one query
and one reading of each, whichever answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable

from zen_tui.action_states import FAILED, NOT_DONE
from zen_tui.pause_rules import COLUMNS

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without loading typing (zen_tui/commands)
if TYPE_CHECKING:
    from typing import Any

HEALTH = "SELECT account, data, at FROM health"

PAUSES = f"SELECT {', '.join(COLUMNS)} FROM rate_pauses"


def health_records(rows: Iterable[tuple[str, str, float]]) -> dict[str, tuple[Any, float]]:
    """account -> (its saved record, when it was saved), from the rows of HEALTH."""
    return {account: (json.loads(data), at) for account, data, at in rows}


def not_done(db: sqlite3.Connection) -> list[Any]:
    """(action, state) of each outbox entry not done: one indexed read of those rows alone."""
    marks = ", ".join("?" * len(NOT_DONE))
    query = f"SELECT action, state FROM outbox WHERE state IN ({marks})"
    return db.execute(query, NOT_DONE).fetchall()


def outbox_tally(
    rows: Iterable[tuple[Any, str]], account_of: Callable[[Any], str]
) -> dict[str, tuple[int, int]]:
    """account -> (entries not sent yet, failed ones), for each account with any, from the
    rows of `not_done`: each row's account read by `account_of` from its stored action."""
    pending: dict[str, int] = {}
    failed: dict[str, int] = {}
    for action, state in rows:
        tally = failed if state == FAILED else pending
        account = account_of(action)
        tally[account] = tally.get(account, 0) + 1
    return {
        account: (pending.get(account, 0), failed.get(account, 0))
        for account in pending.keys() | failed.keys()
    }


def account_in(doc: Any) -> str | None:
    """The account of a stored action read as plain JSON ({"v": 1, "data": {..., "account":
    "gh"}}, store/codec.py), the rest of it left unread; None when it names none."""
    data = doc.get("data") if isinstance(doc, dict) else None
    account = data.get("account") if isinstance(data, dict) else None
    return account if isinstance(account, str) else None


def is_plain_pause(row: tuple[Any, ...]) -> bool:
    """Whether a row of PAUSES holds the types of a RatePause as they are (strings, numbers,
    an integer step): such a row reads the same typed or plain. The typed read checks the
    others (store/pauses.py), and logs those it leaves out."""
    account, service, scope, until, recorded_at, reason, step = row
    return (
        all(type(v) is str for v in (account, service, scope, reason))
        and all(type(v) in (int, float) for v in (until, recorded_at))
        and type(step) is int
    )
