"""A keyring that cannot be read (locked, failing, or not answering) is not a logout: the
engine starts with it locked, and the account's saved sections, items, cached answers, login
record and queued comment all stay; its panes show the stored rows, not live, saying the
keyring could not be read and what to do; once the keyring answers again the same running
engine goes live and sends the comment, once. Real parts: the simulator over real sockets,
real SQLite, and the real keyring helper process over a file keyring the test locks
(tests/unit/auth/file_keyring.py: LockableFileKeyring)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import eventually, github_config
from tests.integration.test_login_takes_effect import (
    comments,
    deferred,
    outbox_state,
    sections_of,
    state_of,
)
from tests.integration.test_login_watch import OPEN_PRS
from tests.unit.auth.file_keyring import ENV
from zen_tui.auth import keyring_store
from zen_tui.auth.keyring_store import HEADLESS_HELP, KeyringCredentialStore, StoredCredential
from zen_tui.config import load_settings
from zen_tui.gateway import gateway as gateway_module
from zen_tui.logs import shutdown_logging
from zen_tui.models import Action, ActionState, FreshnessState, PullRequest
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

pytestmark = pytest.mark.timeout(120)
HELPER_TIMEOUT = 2.0  # a hanging keyring is given up on after this (the default is 10 s)


def through_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every keyring store of this process asks the helper process (as the dashboard does:
    keyring is loaded in this test process, which would otherwise ask it in a thread), with
    a short timeout."""
    init = KeyringCredentialStore.__init__

    def short(self: KeyringCredentialStore, service: str = "zen-tui", *_: Any, **kw: Any) -> None:
        init(self, service, HELPER_TIMEOUT, **kw)

    monkeypatch.setattr(KeyringCredentialStore, "__init__", short)
    monkeypatch.setattr(KeyringCredentialStore, "_here", lambda self: False)


def set_lock(keyring_file: Path, how: str | None) -> None:
    """Lock the test keyring (`raise` or `hang`, see LockableFileKeyring), or unlock it."""
    locked = Path(f"{keyring_file}.locked")
    if how is None:
        locked.unlink()
    else:
        locked.write_text(how)


def keys(engine: SyncEngine, section: str) -> list[str]:
    return [item.key for item in engine.store.load_section(section)[0]]


def shown(engine: SyncEngine, section: str) -> list[str]:
    snapshot = engine.snapshot(section)
    return [] if snapshot is None else [item.key for item in snapshot.items]


def cached_answers(data: Path) -> int:
    with sqlite3.connect(data / "zen-tui.db") as db:
        return int(db.execute("SELECT count(*) FROM http_cache").fetchone()[0])


@pytest.mark.parametrize("lock", ["raise", "hang"])
async def test_a_locked_keyring_loses_nothing_and_the_account_comes_back(
    lock: str, sim: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.unit.auth.file_keyring.LockableFileKeyring")
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setattr(gateway_module, "NO_LOGIN_HOLD", 0.0)  # re-read at the next poll
    through_the_helper(monkeypatch)
    assert keyring_store.KeyringCredentialStore().timeout == HELPER_TIMEOUT
    token = sim.account("github").token
    await KeyringCredentialStore().save("gh", StoredCredential(token, login="me"))
    settings = load_settings(github_config(sim, tmp_path, then=OPEN_PRS), tmp_path)

    first = deferred(settings)  # a run with the keyring open: the rows are saved
    try:
        await first.start()
        mine = sections_of(first, "gh")
        await first.refresh(None)
        saved = {s: keys(first, s) for s in mine}
        assert all(saved.values()) and all(state_of(first, s) is FreshnessState.LIVE for s in mine)
        pr = next(i for s in mine for i in first.snapshot(s).items if isinstance(i, PullRequest))  # type: ignore[union-attr]
        login = first.store.login_state("gh")
    finally:
        await first.stop()
    answers = cached_answers(tmp_path)
    assert login is not None and login[0] and answers > 0

    set_lock(tmp_path / "keyring.json", lock)
    engine = deferred(settings)  # the next start finds the keyring locked
    engine.login_check = 0.05  # the login watch, shortened
    reconnects: list[str] = []
    reconnect = engine.reconnect

    async def counted(account: str, *, new_login: bool = False) -> None:
        reconnects.append(account)
        await reconnect(account, new_login=new_login)

    engine.reconnect = counted  # type: ignore[method-assign]
    try:
        await engine.start()
        await engine.refresh(None)
        body = "queued while the keyring was locked"
        [entry] = await engine.submit([Action("comment", pr.id, pr.account, {"body": body})])
        await eventually(
            lambda: "cannot read the login" in str(engine.store.outbox_get(entry).reason),  # type: ignore[union-attr]
            "the outbox to try, and keep the comment for when the keyring answers",
        )
        for section in mine:
            snapshot = engine.snapshot(section)
            assert snapshot is not None and snapshot.freshness.state is not FreshnessState.LIVE
            reason = str(snapshot.freshness.reason)
            assert reason.startswith("cannot read the login") and HEADLESS_HELP in reason
            assert "\n" not in reason
            assert shown(engine, section) == saved[section]  # the stored rows, still shown
            assert keys(engine, section) == saved[section]  # on main: deleted (a "logout")
        assert engine.store.login_state("gh") == login  # on main: recorded as logged out
        assert cached_answers(tmp_path) == answers
        assert outbox_state(engine, entry) is ActionState.PENDING
        assert reconnects == []  # nothing read yet: nothing to set up again

        # Unlocked: the same engine carries on, with no restart and no new login.
        set_lock(tmp_path / "keyring.json", None)
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        assert all(shown(engine, s) for s in mine)
        engine.outbox.wake()
        await eventually(lambda: outbox_state(engine, entry) is ActionState.DONE, "sent")
        assert comments(sim, "github", body=body) == 1
        assert engine.store.login_state("gh") == login
        # Read late: the account is built again once (a Jira 3LO login's REST base is read
        # at the build), by the login watch, and never again.
        await eventually(lambda: reconnects == ["gh"], "the login watch to set it up again")
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        for _ in range(3):  # more login checks: nothing more to set up
            await engine._check_logins(engine.housekeeping)
        assert reconnects == ["gh"]
    finally:
        await engine.stop()
        shutdown_logging()
