"""Whose rows these are: the login each account's saved sections and queued actions belong to.

An account may log in as someone else (a dashboard login, `zen-tui auth login`, a logout).
What the store saved under the previous login (its sections' items, their delta cursors) must
not be shown as the new one's, and an action the previous login queued must never be sent as
the new one. So the store records, per account, a keyed non-secret fingerprint of its login
(gateway/identity.py: an HMAC of the credential under the install's key, '' once logged out),
and each outbox entry is stamped with the fingerprint recorded when it was queued.

`login_switch` is called when a process learns the account's login (its gateway's first call,
or `zen-tui auth login`/`logout`). A different login than the recorded one drops the account's
saved rows and cursors and, at the next login, holds (FAILED, with HELD_REASON) the unsent
entries an earlier login queued, in one transaction, whichever process notices first. An
entry queued while logged out (or before any login was recorded: a store from before this)
belongs to the next login: the user queued it and then logged in.

Each record also has a generation that every login or logout bumps once, whichever path made
it (`zen-tui auth login`/`logout`: `new_login`; the dashboard's login screen and logout:
`login_bump`): a re-login as the same user with a new token keeps the fingerprint (it names
the user), yet every running process must drop the old token. A bump always follows the
keyring write it announces, so a process that sees it and reads the keyring then reads that
login or a later one. A token refresh does not bump: the same login, and every process reads
the keyring again on its next 401 or expiry. The generation is a counter, never secret.
"""

from __future__ import annotations

import sqlite3

from zen_tui.models import ActionState
from zen_tui.store.codec import decode_action
from zen_tui.store.items import ItemsMixin

LOGGED_OUT = ""  # the fingerprint recorded after a logout
HELD_REASON = (
    "held: queued by an earlier login of {account}, not sent as its current one; "
    "retry it to send it as the current login, or delete it"
)
# An entry queued under a session-only login or an environment token (one process's alone,
# Credential.local, never recorded) is stamped SESSION + its fingerprint: it is sent only as
# that user, by a process logged in as them; any other process leaves it PENDING (never holds
# it, never sends it as its own login).
SESSION = "session:"
WAITS_REASON = (
    "queued under a login of one zen-tui alone (session-only, or its terminal's environment "
    "token) of {account}: sent only as that user, by a zen-tui holding that login or once "
    "that user logs in again"
)
_SECTION_SCOPE = "section"  # the cursors' scope for sections' delta cursors (sync/engine.py)
_UNSENT = (ActionState.PENDING, ActionState.UNKNOWN)


class LoginsMixin(ItemsMixin):
    def login_recorded(self, account: str) -> str | None:
        """The fingerprint the account's saved rows belong to ('' logged out; None unknown)."""
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT fingerprint FROM logins WHERE account = ?", (account,))
                .fetchone()
            )
        return None if row is None else str(row[0])

    def login_state(self, account: str) -> tuple[str, int] | None:
        """(fingerprint, generation) of the account's login record; None: none recorded.
        Another process's login (even as the same user) changes it."""
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT fingerprint, generation FROM logins WHERE account = ?", (account,))
                .fetchone()
            )
        return None if row is None else (str(row[0]), int(row[1]))

    def login_switch(
        self, account: str, fingerprint: str | None, *, new_login: bool = False
    ) -> bool:
        """Record that `account` is now logged in as `fingerprint` (None: logged out). When
        that differs from the recorded login, the account's saved sections, their cursors,
        and the earlier login's unsent outbox entries (held FAILED) go; True if they did.
        `new_login` (a completed `auth login` or `logout`) bumps the record's generation
        whatever the user, so running processes take its new token (the rows stay: the same
        user's)."""
        now = LOGGED_OUT if fingerprint is None else fingerprint
        if not new_login and self.login_recorded(account) == now:  # a read, no write lock
            return False
        with self._write() as db:
            row = db.execute(
                "SELECT fingerprint FROM logins WHERE account = ?", (account,)
            ).fetchone()
            db.execute(  # an upsert, not REPLACE: the generation is kept (or bumped)
                "INSERT INTO logins (account, fingerprint, generation) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "generation = generation + ?",
                (account, now, int(new_login), int(new_login)),
            )
            if row is None:  # nothing recorded: these rows are taken to be this login's
                _stamp_unknown(db, account, now)
                return False
            if row[0] == now:  # another process recorded the same switch meanwhile
                return False
            _drop_sections(db, account)
            if now != LOGGED_OUT:  # nothing sends while logged out: held at the next login
                _stamp_unknown(db, account, now)  # queued while logged out: this login's
                _hold_unsent(db, account, now, self._clock())
        self._wrote_items()
        return True

    def login_bump(self, account: str) -> tuple[str, int] | None:
        """A login or logout made in this process's dashboard: the record's generation goes
        up by one (its fingerprint is learnt when the account's new gateway reads the
        keyring), so every other process watching it takes the new login. Returns the record
        as written; None (nothing written) when none is recorded yet: the first record any
        process writes is then the change the others see."""
        with self._write() as db:
            db.execute(
                "UPDATE logins SET generation = generation + 1 WHERE account = ?", (account,)
            )
            row = db.execute(
                "SELECT fingerprint, generation FROM logins WHERE account = ?", (account,)
            ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))


def session_stamp(fingerprint: str) -> str:
    """The login an entry queued under a session-only login as `fingerprint` is stamped with."""
    return SESSION + fingerprint


def is_session(stamp: str | None) -> bool:
    return stamp is not None and stamp.startswith(SESSION)


def queued_as(stamp: str) -> str:
    """The user fingerprint an entry's stamp names (a session one's without its prefix)."""
    return stamp.removeprefix(SESSION)


def account_of_section(section_id: str) -> str:
    """Section ids are f"{pane}:{index}:{account}" (models.SectionConfig)."""
    parts = section_id.split(":", 2)
    return parts[2] if len(parts) == 3 else ""


def _drop_sections(db: sqlite3.Connection, account: str) -> None:
    ids = [
        r[0]
        for r in db.execute(
            "SELECT section_id FROM sections UNION SELECT DISTINCT section_id FROM items"
        ).fetchall()
        if account_of_section(r[0]) == account
    ]
    for table, column in (("items", "section_id"), ("sections", "section_id")):
        db.executemany(f"DELETE FROM {table} WHERE {column} = ?", ((i,) for i in ids))
    db.executemany(
        "DELETE FROM cursors WHERE scope = ? AND name = ?", ((_SECTION_SCOPE, i) for i in ids)
    )


def _entries_of(db: sqlite3.Connection, account: str) -> list[tuple[str, str | None]]:
    """(id, login) of the account's unsent entries (the action's account is in its JSON)."""
    rows = db.execute(
        "SELECT id, action, login FROM outbox WHERE state IN (?, ?)", [str(s) for s in _UNSENT]
    ).fetchall()
    return [(i, login) for i, action, login in rows if decode_action(action).account == account]


def _stamp_unknown(db: sqlite3.Connection, account: str, login: str) -> None:
    unknown = [(login, i) for i, was in _entries_of(db, account) if not was]
    db.executemany("UPDATE outbox SET login = ? WHERE id = ?", unknown)


def _hold_unsent(db: sqlite3.Connection, account: str, login: str, now: float) -> None:
    """The earlier login's unsent entries become FAILED (a user retry sends them as the
    current login). Their leases stay: a sender holding one checks the login before sending."""
    # A session login's entries are not an earlier login's: they wait for their own user.
    held = [i for i, was in _entries_of(db, account) if was != login and not is_session(was)]
    db.executemany(
        "UPDATE outbox SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state IN (?, ?)",
        (
            (str(ActionState.FAILED), HELD_REASON.format(account=account), now, i, *_UNSENT)
            for i in held
        ),
    )
