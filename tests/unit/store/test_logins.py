"""login_switch over real SQLite, seeded random accounts (names sharing prefixes), sections,
cursors and queued actions: a switch of one account drops that account's saved sections and
cursors alone, holds the unsent entries its earlier user queued (never another account's, nor
the new user's own), and the same login again changes nothing."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from tests.unit.store.conftest import make_pr, write_old_row
from zen_tui.models import Action, ActionState
from zen_tui.store import Store, schema
from zen_tui.store.logins import HELD_REASON, WAITS_REASON, session_stamp

NAMES = ["gh", "gh2", "g", "gh.x", "a-gh"]


@pytest.mark.parametrize("seed", range(20))
def test_a_switch_touches_only_its_account(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    accounts = rng.sample(NAMES, 3)
    users = {a: rng.choice("AB") for a in accounts}
    for a in accounts:
        store.login_switch(a, f"user-{users[a]}")
    queued: dict[str, tuple[str, str]] = {}  # entry id -> (account, user when queued)
    held: set[str] = set()  # once held, an entry stays held until the user retries it
    for _ in range(30):
        a = rng.choice(accounts)
        step = rng.random()
        if step < 0.25:
            user = rng.choice("AB")
            switched = store.login_switch(a, f"user-{user}")
            assert switched == (user != users[a])
            users[a] = user
            held |= {i for i, (b, by) in queued.items() if b == a and by != user}
        elif step < 0.6:
            section = f"p:{rng.randint(0, 2)}:{a}"
            store.save_section(section, [make_pr(rng.randint(1, 9), account=a)], 1.0)
            store.set_cursor("section", section, "c")
        else:
            entry = store.outbox_add(Action("comment", f"{a}:x#1", a, {"body": "b"}))
            queued[entry.id] = (a, users[a])
        for b in accounts:  # no section of an account holds another user's rows
            for i in range(3):
                items, _ = store.load_section(f"p:{i}:{b}")
                assert all(item.account == b for item in items)
    for entry in store.outbox_by_state():
        account, user = queued[entry.id]
        assert entry.login == f"user-{user}"
        if entry.id in held:  # another user logged in after it was queued: never sent
            assert entry.state is ActionState.FAILED
            assert entry.reason == HELD_REASON.format(account=account)
        else:
            assert entry.state is ActionState.PENDING


def test_rows_of_the_earlier_user_go_and_a_retry_takes_the_current_login(store: Store) -> None:
    store.login_switch("gh", "A")
    store.save_section("p:0:gh", [make_pr(1)], 1.0)
    store.save_section("p:0:gh2", [make_pr(2, account="gh2")], 1.0)
    store.set_cursor("section", "p:0:gh", "c1")
    entry = store.outbox_add(Action("comment", "gh:x#1", "gh", {"body": "b"}))
    assert entry.login == "A"
    assert store.login_switch("gh", "A") is False  # the same login: nothing changes
    assert store.load_section("p:0:gh")[0]
    assert store.login_switch("gh", "B") is True
    assert store.load_section("p:0:gh")[0] == [] and store.get_cursor("section", "p:0:gh") is None
    assert store.load_section("p:0:gh2")[0]  # a name sharing the prefix keeps its rows
    held = store.outbox_get(entry.id)
    assert held is not None and held.state is ActionState.FAILED
    retried = store.outbox_update(entry.id, state=ActionState.PENDING)
    assert retried.login == "B"
    assert store.login_switch("gh", None) is True  # a logout drops rows, holds nothing
    late = store.outbox_add(Action("comment", "gh:x#1", "gh", {"body": "while out"}))
    assert store.login_switch("gh", "C") is True
    sent_by_next = store.outbox_get(late.id)
    assert sent_by_next is not None and sent_by_next.state is ActionState.PENDING
    assert sent_by_next.login == "C"  # queued while logged out: the next login's


def test_a_session_logins_entry_is_never_held_and_keeps_its_stamp_through_a_retry(
    store: Store,
) -> None:
    """An entry queued under a session-only login is no earlier login's: a keyring switch
    holds the keyring's entries, not it; it says whose login it waits for; a retry after
    a real failure keeps its user (never re-stamped as the keyring's)."""
    store.login_switch("gh", "A")
    ours = store.outbox_add(
        Action("comment", "gh:x#1", "gh", {"body": "v"}), login=session_stamp("V")
    )
    keyrings = store.outbox_add(Action("comment", "gh:x#1", "gh", {"body": "a"}))
    assert (ours.login, keyrings.login) == ("session:V", "A")
    assert ours.reason == WAITS_REASON.format(account="gh") and keyrings.reason is None
    assert store.login_switch("gh", "B") is True
    waiting, held = store.outbox_get(ours.id), store.outbox_get(keyrings.id)
    assert waiting is not None and waiting.state is ActionState.PENDING
    assert held is not None and held.state is ActionState.FAILED
    store.outbox_update(ours.id, state=ActionState.FAILED, reason="not found: 404")
    retried = store.outbox_update(ours.id, state=ActionState.PENDING)
    assert retried.login == "session:V"


def test_a_v6_file_is_migrated_and_a_relogin_bumps_only_the_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written by schema v6 (logins without a generation) opens, keeps its record
    and rows; a login as the same user bumps the generation and drops nothing; the
    gateway's own record of the same user changes nothing; another user keeps counting."""
    path = tmp_path / "z.db"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:6])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 6)
    Store.open(path).close()
    write_old_row(path, "p:0:gh", make_pr(1, account="gh"), 1.0)
    db = sqlite3.connect(path)  # the row v6's login_switch wrote (no generation column)
    db.execute("INSERT INTO logins (account, fingerprint) VALUES ('gh', 'user-A')")
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 6
    db.close()
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.login_state("gh") == ("user-A", 0)
        assert not store.login_switch("gh", "user-A", new_login=True)
        assert store.login_state("gh") == ("user-A", 1)
        assert store.load_section("p:0:gh")[0]  # the same user's rows stay
        assert not store.login_switch("gh", "user-A")  # a gateway learning it: no change
        assert store.login_state("gh") == ("user-A", 1)
        assert store.login_switch("gh", "user-B")  # kept, not reset, by a switch
        assert store.login_state("gh") == ("user-B", 1)
        assert not store.load_section("p:0:gh")[0]
        store.login_switch("new", "user-C", new_login=True)
        assert store.login_state("new") == ("user-C", 1)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    db.close()


def test_a_dashboard_login_bumps_the_generation_and_keeps_the_rows(store: Store) -> None:
    """login_bump (the login screen, a logout from the palette): the generation alone goes
    up, once per call; the fingerprint and the rows stay until the new gateway learns its
    login. With no record yet nothing is written: the first record is the change."""
    assert store.login_bump("gh") is None
    assert store.login_state("gh") is None
    store.login_switch("gh", "user-A")
    store.save_section("p:0:gh", [make_pr(1)], 1.0)
    assert store.login_bump("gh") == ("user-A", 1)
    assert store.login_bump("gh") == ("user-A", 2)
    assert store.login_state("gh") == ("user-A", 2)
    assert store.login_state("gh2") is None  # another account's record is not touched
    assert store.load_section("p:0:gh")[0]
    assert not store.login_switch("gh", "user-A")  # its gateway learning the same user
    assert store.login_state("gh") == ("user-A", 2)
