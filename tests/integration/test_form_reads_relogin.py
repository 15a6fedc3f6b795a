"""A Jira form opened before a login change reads through the account's new client: on the
simulator over real sockets, the keyring in memory, the engine wired as the dashboard wires
it. The forms' reads of the old client were refused by its retired gateway (LoginReplaced)
and the dialog ended `cannot ask Jira: the login changed while this was read; read again`;
now each read is asked of the new client (the engine's re-read, as for previews), with the
new token, and the form goes on.

The dashboard screen is stood in for by what the forms use of it (its backend, the accounts,
its dialogs): each dialog the form opens is where the test changes the login, as a user
logging in again while a picker is open would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.integration.helpers import running
from tests.integration.test_login_takes_effect import (
    Recorder,
    deferred,
    service_sim,
    without_token,
)
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.config import Settings
from zen_tui.models import Issue
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.screens import jira_flows
from zen_tui.ui.screens.forms import FormModal, UserPickerModal
from zen_tui.ui.screens.modals import PickerModal

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(120)


class FormScreen(SimpleNamespace):
    """What a Jira form uses of the DashboardScreen; `answer(modal)` plays the user."""

    def __init__(self, engine: SyncEngine, answer: Callable[[Any], Awaitable[Any]]) -> None:
        zen = SimpleNamespace(backend=engine, accounts=engine.accounts, ask_dialog=answer)
        super().__init__(zen=zen, pane=SimpleNamespace(cursor_item=None))

    def say_connection(self, account: str) -> None:
        pass


async def logged_in(
    sim: SimulatorServer, settings: Settings
) -> tuple[SyncEngine, Recorder, KeyringCredentialStore, str]:
    """An engine on the Jira account, its login the keyring's, over a recording wire (not
    started)."""
    settings, account = without_token(settings, "jira")
    store = KeyringCredentialStore()
    await store.save(account.name, StoredCredential(sim.account("jira").token, login="me"))
    wire = Recorder()
    return deferred(settings, wire), wire, store, account.name


async def relogin(
    engine: SyncEngine, sim: SimulatorServer, store: KeyringCredentialStore, name: str
) -> str:
    """A new login of the same user with a new token (the old one revoked: the site takes
    only the new one), saved and taken as the login screen does; its token."""
    jira = service_sim(sim, "jira")
    token = jira.token = f"{jira.token}-renewed"
    await store.save(name, StoredCredential(token, login="me"))
    await engine.reconnect(name, new_login=True)
    return token


def tokens_since(wire: Recorder, mark: int, end: int | None = None) -> set[str]:
    """The Jira tokens the requests started from `mark` on (to `end`) carried."""
    seen = wire.seen[mark:end]
    return {auth.removeprefix("Bearer ") for path, auth in seen if "/jira/" in path}


async def test_create_reads_as_the_new_login_after_a_change_in_its_pickers(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The login changes while the project picker is open, and again while the issue-type
    one is: the issue types, then the fields, are read as the new login, and the form ends
    in the `create` action (on main: `the login changed while this was read`)."""
    engine, wire, store, name = await logged_in(sim, settings)
    tokens: list[str] = []
    starts: list[int] = []  # the wire before each login change: its requests may carry either
    marks: list[int] = []  # the wire once it is taken: from here on, only the new token

    async def answer(modal: Any) -> Any:
        if isinstance(modal, PickerModal):
            starts.append(len(wire.seen))
            tokens.append(await relogin(engine, sim, store, name))
            marks.append(len(wire.seen))
            return modal.choices[0]
        assert isinstance(modal, FormModal)
        return {"summary": "made across two logins"}

    async with running(engine, wire.inner):
        action = await jira_flows.create_issue(FormScreen(engine, answer))  # type: ignore[arg-type]
        assert action is not None and action.kind == "create"
        assert action.params["summary"] == "made across two logins"
        assert len(tokens) == 2  # both pickers were answered, a login change in each
        ends = [*starts[1:], len(wire.seen)]  # a login's reads end where the next change starts
        for token, mark, end in zip(tokens, marks, ends, strict=True):
            assert tokens_since(wire, mark, end) == {token}  # only the new login read


async def test_assign_searches_as_the_new_login_after_a_change_while_typing(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The assignee picker searches as the user types: after a login change its search
    answers from the new login (on main it raised `the login changed while this was read`)."""
    engine, wire, store, name = await logged_in(sim, settings)
    found: list[list[tuple[str, str]]] = []

    async def answer(modal: Any) -> Any:
        assert isinstance(modal, UserPickerModal)
        found.append(await modal.search(""))
        token = await relogin(engine, sim, store, name)
        mark = len(wire.seen)
        found.append(await modal.search(""))
        assert tokens_since(wire, mark) == {token}
        return found[-1][0]

    async with running(engine, wire.inner):
        key = sorted(service_sim(sim, "jira").issues)[0]
        item = Issue(f"{name}:{key}", name, "jira", key, "x", "", "2026-01-01T00:00:00Z")
        screen = FormScreen(engine, answer)
        actions = await jira_flows.assign_to(screen, [item])  # type: ignore[arg-type]
        assert found[0] and found[1] == found[0]  # the same people, as the new login
        assert [a.params["account_id"] for a in actions] == [found[1][0][0]]
