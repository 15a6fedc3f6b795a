"""Rate-limit pauses every process on the file obeys, and obeys again after a restart.

A gateway that meets a rate limit records it here (gateway/pauses.py) before its next
request; a gateway built later, in this process or another, starts with what is left of it,
and a running one takes another process's before each request (`pauses_version` says when
to look: this store's own writes of pauses at once, and SQLite's data_version, bumped by any
other connection's commit, read at most every PAUSES_RECHECK seconds). Rows are small (one
per account and limited scope) and go once they are over: a success on the scope deletes its
row, and the retention prune deletes those over for an hour (sync/retention.py).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import msgspec

from zen_tui.lazy_log import get_logger
from zen_tui.models import PAUSE_MAX, RatePause
from zen_tui.pause_rules import COLUMNS as _COLUMNS
from zen_tui.store.base import StoreBase
from zen_tui.store.health_reads import PAUSES as _SELECT
from zen_tui.store.rows import StoreFull

log = get_logger("zen_tui.store")

# How often `pauses_version` asks SQLite whether another connection committed (its
# data_version). The question is a query (a read lock taken and let go: two syscalls, the GIL
# let go twice, for another thread to take), and gateways ask before every request: it was
# in every GET's path (benchmarks/gateway_overhead.py). Between
# asks, another process's new pause reaches this one's requests up to this late: far less
# than an API call's round trip, so a request sent then is as one already on the wire when
# that 429 came, which no process can hold back either. Polls and actions spaced further
# apart than this still ask before each request; this store's own writes count at once.
PAUSES_RECHECK = 0.05

# A later pause of the scope wins whole; an earlier or equal one leaves the row as it is (a
# wait the server asked for is never shortened by another answer), but its step still
# counts: SET reads the row as it was, so every CASE compares the old `until`.
_UPSERT = (
    f"INSERT INTO rate_pauses ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (account, scope) DO UPDATE SET"
    " service = CASE WHEN excluded.until > until THEN excluded.service ELSE service END,"
    " recorded_at = CASE WHEN excluded.until > until"
    " THEN excluded.recorded_at ELSE recorded_at END,"
    " reason = CASE WHEN excluded.until > until THEN excluded.reason ELSE reason END,"
    " step = MAX(step, excluded.step),"
    " until = MAX(until, excluded.until)"
)


class PausesMixin(StoreBase):
    _pause_writes = 0  # pauses written through this store (see pauses_version)
    # SQLite's data_version as last read, and when (the store's clock); None: never read
    _elsewhere: tuple[int, float] | None = None

    def pauses_version(self) -> tuple[int, int]:
        """Changes whenever the pauses may have: a pause written through this store (at
        once), or a commit on the file by any other connection (seen within PAUSES_RECHECK
        seconds). Cheap (no table is read, and mostly no query): a gateway asks before each
        request and reads the pauses only when it changed."""
        now = self._clock()
        with self._lock:
            seen = self._elsewhere
            if seen is None or not seen[1] <= now < seen[1] + PAUSES_RECHECK:  # or set back
                version = self._connection().execute("PRAGMA data_version").fetchone()[0]
                seen = self._elsewhere = (int(version), now)
            return self._pause_writes, seen[0]

    def rate_pauses(self, account: str | None = None) -> list[RatePause]:
        """The stored pauses (of `account`, or all), over or not. A row that cannot be read
        as one (a damaged file, another program's write) is left out, and said in the log:
        it never stops a start."""
        where, args = (" WHERE account = ?", (account,)) if account is not None else ("", ())
        with self._lock:
            rows = self._connection().execute(_SELECT + where, args).fetchall()
        pauses = []
        for row in rows:
            try:
                pauses.append(_decode(row))
            except msgspec.ValidationError as exc:
                log.warning("store: a rate-limit pause row is unreadable (%s): ignored", exc)
        return pauses

    def save_rate_pause(self, pause: RatePause) -> None:
        """Record `pause` (a longer one of its scope already there stays); best effort: on a
        full disk this process still obeys it, from memory."""
        with suppress(StoreFull), self._write() as db:
            db.execute(_UPSERT, [getattr(pause, name) for name in _COLUMNS])
            self._pause_writes += 1

    def end_rate_pause(self, account: str, scope: str, now: float) -> None:
        """A call of the scope succeeded: its row goes, with its step, if its pause is over by
        `now` (a call sent before the pause began may answer after it: that row stays)."""
        with suppress(StoreFull), self._write() as db:
            gone = db.execute(
                "DELETE FROM rate_pauses WHERE account = ? AND scope = ? AND until <= ?",
                (account, scope, now),
            ).rowcount
            self._pause_writes += gone

    def rate_pauses_prune(self, over_before: float) -> int:
        """Delete the pauses over before `over_before`, and the rows no gateway obeys whose
        times say they never will be over (no numbers, longer than PAUSE_MAX, ending before
        they began): returns how many went."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM rate_pauses WHERE until < ?"
                " OR typeof(until) NOT IN ('integer', 'real')"
                " OR typeof(recorded_at) NOT IN ('integer', 'real')"
                " OR NOT until - recorded_at BETWEEN 0 AND ?",
                (over_before, PAUSE_MAX),
            ).rowcount


def _decode(row: tuple[Any, ...]) -> RatePause:
    """A row as a RatePause, its types checked (SQLite keeps what it was given)."""
    return msgspec.convert(dict(zip(_COLUMNS, row, strict=True)), RatePause)
