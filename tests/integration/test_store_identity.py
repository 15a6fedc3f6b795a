"""The local store belongs to one login, like the HTTP cache (test_cache_identity.py): after an
account logs in as another user, the sections' saved rows and delta cursors of the first user
are gone once the account's build ran (in this process or another one sharing the data
folder), and what the first user queued is held (FAILED, with a reason), never sent as the
second. On the simulator over real sockets, real SQLite, with two GitHub users (the simulated
`me`, and `ada` via GitHubSim.add_user)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GITHUB_INBOX, eventually, files_holding, github_config
from tests.integration.helpers import running
from tests.integration.test_cache_identity import cached_settings, inbox_of, secrets_in_store
from tests.integration.test_login_takes_effect import deferred, service_sim
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.cli import main
from zen_tui.config import Settings
from zen_tui.logs import shutdown_logging
from zen_tui.models import Action, ActionState, Item, PullRequest
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.store.logins import HELD_REASON
from zen_tui.sync.engine import CURSOR_SCOPE, SyncEngine

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(120)


def github_account(settings: Settings) -> str:
    return next(a for a in settings.accounts if a.service == "github").name


def saved_rows(store: Store, engine: SyncEngine, account: str) -> list[Item]:
    """What `zen-tui list` would show of the account: its sections' rows in the store."""
    return [
        item
        for s in engine.sections
        if s.account == account
        for item in store.load_section(s.id)[0]
    ]


def cursors(store: Store, engine: SyncEngine, account: str) -> list[str]:
    return [
        c
        for s in engine.sections
        if s.account == account and (c := store.get_cursor(CURSOR_SCOPE, s.id)) is not None
    ]


def comments_by(sim: SimulatorServer) -> dict[str, str]:
    """Comment body (first line) -> the simulated user who wrote it."""
    log = sim.counters()["mutation_log"]
    return {
        str(m["body"]).split("\n")[0]: str(m.get("user"))
        for m in log
        if m["service"] == "github" and m["kind"] == "comment"
    }


async def a_pull_request(engine: SyncEngine, account: str) -> Item:
    return next(
        item
        for s in engine.sections
        if s.account == account
        for item in engine.snapshot(s.id).items  # type: ignore[union-attr]
        if isinstance(item, PullRequest)
    )


async def test_a_login_as_another_user_drops_the_first_users_rows_and_holds_its_actions(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """me syncs and quits, leaving a comment queued (`zen-tui act` offline); the dashboard
    starts logged in as ada: once the account's build ran, me's inbox rows and cursor are
    gone and me's comment is held, never sent as ada; a retry sends it as ada, by choice."""
    settings = cached_settings(settings)
    github = service_sim(sim, "github")
    account = github_account(settings)
    keyring = KeyringCredentialStore()
    first = sim.account("github").token
    await keyring.save(account, StoredCredential(first, login="me"))
    engine = deferred(settings)
    async with running(engine):
        await engine.refresh(None)
        assert inbox_of(engine), "me's inbox is seeded"
        pr = await a_pull_request(engine, account)
        inbox = next(s.id for s in engine.sections if s.query == "notifications")
    with Store.open(tmp_path / "zen-tui.db") as store:
        assert store.load_section(inbox)[0] and store.get_cursor(CURSOR_SCOPE, inbox)
        queued = store.outbox_add(Action("comment", pr.id, account, {"body": "by me"}))

    second = github.add_user("ada")
    await keyring.save(account, StoredCredential(second, login="ada"))  # as a login does
    engine = deferred(settings)
    async with running(engine):
        await engine._connected(account)  # its build ran
        # ada has no notifications: an inbox row would be me's. On main: kept until a poll.
        assert engine.store.load_section(inbox)[0] == []
        assert engine.store.get_cursor(CURSOR_SCOPE, inbox) is None
        assert inbox_of(engine) == []
        held = engine.store.outbox_get(queued.id)
        assert held is not None and held.state is ActionState.FAILED  # on main: sent as ada
        assert held.reason == HELD_REASON.format(account=account)
        await engine.outbox.replay()
        assert "by me" not in comments_by(sim)

        engine.store.outbox_add(Action("comment", pr.id, account, {"body": "by ada"}))
        engine.store.outbox_update(queued.id, state=ActionState.PENDING)  # the user's retry
        await engine.outbox.replay()
        expected = {"by ada": "ada", "by me": "ada"}
        await eventually(lambda: comments_by(sim) == expected, "both comments, as ada")
    assert files_holding(tmp_path, [first, second]) == []
    assert secrets_in_store(tmp_path, [first, second]) == []


async def test_another_process_built_as_another_user_empties_what_list_shows(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The dashboard syncs as me; a second process (`zen-tui sync`) built as ada on the same
    data folder drops me's rows from the file, so `zen-tui list` (the store) shows none."""
    settings = cached_settings(settings)
    github = service_sim(sim, "github")
    account = github_account(settings)
    keyring = KeyringCredentialStore()
    await keyring.save(account, StoredCredential(sim.account("github").token, login="me"))
    first = deferred(settings)
    async with running(first):
        await first.refresh(None)
        assert saved_rows(first.store, first, account)
        await keyring.save(account, StoredCredential(github.add_user("ada"), login="ada"))
        second = deferred(settings)  # its own store connection, its own key-file read
        async with running(second):
            await second._connected(account)
            with Store.open(tmp_path / "zen-tui.db") as listing:  # as `zen-tui list` opens it
                assert saved_rows(listing, second, account) == []


async def test_the_same_user_with_a_new_token_keeps_its_rows_and_queue(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring
) -> None:
    """A refreshed or re-issued token of the same user is the same login: nothing dropped,
    nothing held (the user, not the token, owns the rows)."""
    settings = cached_settings(settings)
    account = github_account(settings)
    keyring = KeyringCredentialStore()
    await keyring.save(account, StoredCredential(sim.account("github").token, login="me"))
    engine = deferred(settings)
    async with running(engine):
        await engine.refresh(None)
        rows = saved_rows(engine.store, engine, account)
        pr = await a_pull_request(engine, account)
        queued = engine.store.outbox_add(Action("comment", pr.id, account, {"body": "kept"}))
        token = service_sim(sim, "github").token + "-reissued"
        service_sim(sim, "github").extra_tokens.add(token)
        await keyring.save(account, StoredCredential(token, login="me"))
        await engine.reconnect(account)
        assert saved_rows(engine.store, engine, account) == rows
        await engine.outbox.replay()
        done = engine.store.outbox_get(queued.id)
        assert done is not None and done.state is ActionState.DONE
        assert comments_by(sim)["kept"] == "me"


@pytest.mark.parametrize("seed", range(4))
async def test_switches_polls_and_queued_actions_never_cross_logins(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    seed: int,
) -> None:
    """Seeded random interleavings of login switches (me/ada), polls and queued comments:
    no comment is ever written by a user other than the one logged in when it was queued,
    and once a switch's build ran, no row of the earlier user's inbox is saved or shown."""
    rng = random.Random(seed)
    settings = cached_settings(settings)
    github = service_sim(sim, "github")
    account = github_account(settings)
    keyring = KeyringCredentialStore()
    tokens = {"me": sim.account("github").token, "ada": github.add_user("ada")}
    user = "me"
    await keyring.save(account, StoredCredential(tokens[user], login=user))
    engine = deferred(settings)
    await engine.start()
    queued_by: dict[str, str] = {}
    try:
        await engine.refresh(None)
        pr = await a_pull_request(engine, account)
        inbox = next(s.id for s in engine.sections if s.query == "notifications")
        for n in range(14):
            step = rng.random()
            if step < 0.3:
                user = rng.choice(["me", "ada"])
                await keyring.save(account, StoredCredential(tokens[user], login=user))
                await engine.reconnect(account)
            elif step < 0.6:
                await engine.refresh(None)
            else:
                body = f"[seed {seed}, comment {n}]"
                queued_by[body] = user
                engine.store.outbox_add(Action("comment", pr.id, account, {"body": body}))
                if rng.random() < 0.5:
                    await engine.outbox.replay()
            if user == "ada":  # ada has no notifications: any inbox row is me's
                assert engine.store.load_section(inbox)[0] == []
                assert inbox_of(engine) == []
        await engine.outbox.replay()
        written = comments_by(sim)
        for body, author in written.items():
            if body in queued_by:
                assert author == queued_by[body], (body, author)
        for entry in engine.store.outbox_by_state():
            body = entry.action.params["body"]
            if entry.state is ActionState.FAILED:
                assert body not in written and entry.reason == HELD_REASON.format(account=account)
    finally:
        await engine.stop()


def listed_items(out: str) -> list[Any]:
    return [i for s in json.loads(out)["sections"] for i in s["items"]]


def test_auth_login_as_another_user_in_a_terminal_empties_what_list_shows(
    sim: SimulatorServer, memory_keyring: MemoryKeyring, tmp_path: Path, capsys: Any
) -> None:
    """`zen-tui auth login` as ada on a data folder me synced: `zen-tui list` (no network,
    no keyring) shows none of me's items at once, not only after ada's first sync; logging in
    again as ada, or listing without a login change, keeps what is there."""
    config = github_config(sim, tmp_path, then=GITHUB_INBOX)
    me, ada = sim.account("github").token, service_sim(sim, "github").add_user("ada")
    base = ["--config", str(config), "--data-dir", str(tmp_path)]

    def cli(*argv: str, paste: str | None = None) -> tuple[int, str]:
        if paste is not None:
            pasted.append(paste)
        code = main([*base, *argv])
        return code, capsys.readouterr().out

    pasted: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("getpass.getpass", lambda prompt: pasted.pop(0))
        assert cli("auth", "login", "gh", "--method", "token", paste=me)[0] == 0
        assert cli("sync", "--once")[0] == 0
        mine = listed_items(cli("list", "inbox", "--json")[1])
        assert mine  # me's inbox
        assert listed_items(cli("list", "inbox", "--json")[1]) == mine  # no login change
        assert cli("auth", "login", "gh", "--method", "token", paste=me)[0] == 0  # me again
        assert listed_items(cli("list", "inbox", "--json")[1]) == mine
        assert cli("auth", "login", "gh", "--method", "token", paste=ada)[0] == 0
        assert listed_items(cli("list", "inbox", "--json")[1]) == []  # on main: me's
    shutdown_logging()
