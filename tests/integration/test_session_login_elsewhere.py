"""A login kept for this session only (no usable keyring: SessionOnlyStore) is this process's
alone. Two engines, each on its own thread and event loop with its own SQLite connection to
one store, one keyring file shared by both (tests/unit/auth/file_keyring.py), the simulator
over real sockets; each engine has its own session logins, as two processes have. One
dashboard logs in as `ada` for this session only while the other reads `me` from the keyring:
neither sets the other up again, check after check (on main they rebuilt each other at every
check), each keeps sending its own login, and a real keyring login still reaches the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import eventually
from tests.integration.test_login_takes_effect import service_sim
from tests.integration.test_login_watch import write_config
from tests.integration.test_relogin_elsewhere import (  # noqa: F401 (file_keyring: a fixture)
    OnItsOwnThread,
    Watched,
    checks_pass,
    file_keyring,
)
from zen_tui.auth.keyring_store import KeyringCredentialStore, SessionOnlyStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings, load_settings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.wiring import LoginRequired

pytestmark = pytest.mark.timeout(120)
CHECKS = 10  # login checks of each engine after the session login


def with_session(settings: Settings, session: dict[str, StoredCredential]) -> Watched:
    """A Watched engine whose process keeps its session logins in `session` (one process's
    memory; the production default is the module's own, shared by the whole process)."""
    watched = Watched(settings)
    store = KeyringCredentialStore(session=session)
    provider = KeyringCredentialProvider(settings.accounts, store=store)
    watched.engine.wired.credentials = LoginRequired(settings.accounts, provider)
    return watched


@pytest.mark.usefixtures("file_keyring")
async def test_a_session_only_login_and_a_keyring_one_never_rebuild_each_other(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    from zen_tui.commands.auth import _record_user

    settings = load_settings(write_config(sim, tmp_path), tmp_path)
    github = service_sim(sim, "github")
    me, ada, me_again = sim.account("github").token, "fake-token-ada-session", "fake-token-me-2"
    github.other_users[ada] = "ada"
    github.extra_tokens.add(me_again)
    keyring = KeyringCredentialStore(session={})  # a terminal's: no session logins
    await keyring.save("gh", StoredCredential(me, login="me"))
    session: dict[str, StoredCredential] = {}
    here = with_session(settings, session)
    try:
        with OnItsOwnThread(settings) as other:
            there = other.watched
            assert there is not None
            await here.engine.start()
            await here.engine.refresh(None)
            await eventually(lambda: f"Bearer {me}" in there.sent_since(0), "the other's poll")

            account = next(a for a in settings.accounts if a.name == "gh")
            flow = LoginFlow(account, "token", token=ada)  # the login screen's "session" choice
            flow.store = SessionOnlyStore(session=session)
            assert isinstance([s async for s in flow.run()][-1], LoggedIn)
            mark_here = len(here.recorder.seen)
            await here.engine.reconnect("gh", new_login=True)  # what the screen's app does
            await checks_pass(here, there, count=CHECKS)
            rebuilds = len(here.reconnects) + len(there.reconnects)
            assert rebuilds == 0, f"{rebuilds} rebuilds over {CHECKS} login checks each"
            await here.engine.refresh(None)
            assert here.sent_since(mark_here) == {f"Bearer {ada}"}  # its session login wins
            mark_there = len(there.recorder.seen)
            await other.refresh()
            assert there.sent_since(mark_there) == {f"Bearer {me}"}  # the keyring's, still
            assert await keyring.load("gh") == StoredCredential(me, login="me")

            # A real keyring login (a terminal's `zen-tui auth login`) reaches the other one
            # once; the session login stays this dashboard's.
            await keyring.save("gh", StoredCredential(me_again, login="me"))
            await _record_user(settings, "gh", keyring, changed=True)
            await eventually(lambda: there.reconnects == ["gh"], "the other to take it")
            await checks_pass(here, there, count=CHECKS)
            assert there.reconnects == ["gh"] and here.reconnects == []
            mark_here, mark_there = len(here.recorder.seen), len(there.recorder.seen)
            await here.engine.refresh(None)
            await other.refresh()
            assert here.sent_since(mark_here) == {f"Bearer {ada}"}
            assert there.sent_since(mark_there) == {f"Bearer {me_again}"}
    finally:
        await here.engine.stop()
        await here.recorder.inner.aclose()
