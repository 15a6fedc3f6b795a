"""An action queued under a session-only login is sent as that login's user, never as the
keyring's. Two engines, the other on its own thread and event loop (as another zen-tui),
each with its own SQLite connection to one store, one keyring file shared by both
(tests/unit/auth/file_keyring.py), the simulator over real sockets. This dashboard logs in
as `ada` for the session only while the other reads `me` from the keyring; an approve
queued here reaches the simulator once, with ada's token. (Before, the queue stamped the
action with the account's recorded login, the keyring's `me`: this dashboard held it as
"queued by an earlier login", and the other one could send it as `me`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import eventually
from tests.integration.test_login_takes_effect import service_sim
from tests.integration.test_login_watch import write_config
from tests.integration.test_relogin_elsewhere import (  # noqa: F401 (file_keyring: a fixture)
    OnItsOwnThread,
    file_keyring,
)
from tests.integration.test_session_login_elsewhere import with_session
from zen_tui.auth.keyring_store import KeyringCredentialStore, SessionOnlyStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import load_settings
from zen_tui.models import Action, ActionState
from zen_tui.simulator.github.state import ME
from zen_tui.simulator.server import SimulatorServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A search budget 20 times GitHub's: every step below polls (as in
    test_session_login_elsewhere)."""
    with SimulatorServer(seed=7, size=300, rate_scale=20) as server:
        yield server


def a_pull_to_approve(sim: SimulatorServer) -> tuple[str, str]:
    """(the item id zen-tui names it by, its reviews path) of an open PR not by `me`."""
    github = service_sim(sim, "github")
    pr = next(i for i in github.state.items if i.is_pr and i.user != ME and i.state == "open")
    path = f"/github/repos/{pr.repo.full_name}/pulls/{pr.number}/reviews"
    return f"gh:{pr.ref}", path


@pytest.mark.usefixtures("file_keyring")
async def test_an_action_queued_under_a_session_login_is_sent_as_its_user_only(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    github = service_sim(sim, "github")
    me, ada = sim.account("github").token, "fake-token-ada-session"
    github.other_users[ada] = "ada"
    await KeyringCredentialStore(session={}).save("gh", StoredCredential(me, login="me"))
    session: dict[str, StoredCredential] = {}
    here = with_session(settings, session)
    item, reviews = a_pull_to_approve(sim)
    try:
        with OnItsOwnThread(settings) as other:
            there = other.watched
            assert there is not None and there.engine.outbox._loop is not None
            await here.engine.start()
            account = next(a for a in settings.accounts if a.name == "gh")
            flow = LoginFlow(account, "token", token=ada)  # the login screen's "session" choice
            flow.store = SessionOnlyStore(session=session)
            assert isinstance([s async for s in flow.run()][-1], LoggedIn)
            await here.engine.reconnect("gh", new_login=True)

            [entry_id] = await here.engine.submit([Action("approve", item, "gh", {})])
            # The other process's outbox looks at the store too (its store check's replay).
            look = there.engine.outbox.replay()
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(look, there.engine.outbox._loop)
            )
            entry = here.engine.store.outbox_get(entry_id)
            await eventually(
                lambda: (
                    (e := here.engine.store.outbox_get(entry_id)) is not None
                    and e.state in (ActionState.DONE, ActionState.FAILED)
                ),
                "the approve to be settled",
            )
            entry = here.engine.store.outbox_get(entry_id)
            assert entry is not None
            assert entry.state is ActionState.DONE, entry.reason
            assert there.recorder.auth_since(0, reviews) == set()  # never as the keyring's
            assert here.recorder.auth_since(0, reviews) == {f"Bearer {ada}"}
    finally:
        await here.engine.stop()
        await here.recorder.inner.aclose()
