"""A logged-out account with the real credential chain (its variables, then the keyring with
its "not logged in" advice) reads the keyring once for many polls, not twice per call; a
login in the login screen is used at once all the same (the engine builds a new gateway),
never after the hold (gateway.NO_LOGIN_HOLD). The simulator over real sockets."""

from __future__ import annotations

import time

import pytest

from tests.integration.test_login_takes_effect import (
    Recorder,
    deferred,
    sections_of,
    state_of,
    without_token,
)
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings
from zen_tui.gateway.gateway import NO_LOGIN_HOLD
from zen_tui.logs import shutdown_logging
from zen_tui.models import FreshnessState
from zen_tui.simulator.server import SimulatorServer

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(60)


async def test_a_logged_out_account_reads_the_keyring_once_and_a_login_is_used_at_once(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    settings, account = without_token(settings, "github")
    reads: list[str] = []
    read = memory_keyring.get_password

    def counted(service: str, username: str) -> str | None:
        reads.append(username)
        return read(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", counted)
    recorder = Recorder()
    engine = deferred(settings, recorder)
    try:
        await engine.start()
        mine = sections_of(engine, account.name)
        mark = len(recorder.seen)
        for _ in range(5):
            await engine.refresh(mine[0])
            reason = str(engine.snapshot(mine[0]).freshness.reason)  # type: ignore[union-attr]
            assert f"not logged in: run `zen-tui auth login {account.name}`" in reason
        assert reads.count(account.name) == 1  # on main: 17 (the build, then about 3 per poll)
        assert recorder.auth_since(mark, f"/{account.service}") == set()  # nothing sent

        flow = LoginFlow(account, "token", token=sim.account("github").token)
        started = time.monotonic()
        assert isinstance([s async for s in flow.run()][-1], LoggedIn)  # the login screen's
        await engine.reconnect(account.name, new_login=True)  # what its app then does
        await engine.refresh(mine[0])
        assert state_of(engine, mine[0]) is FreshnessState.LIVE
        assert time.monotonic() - started < NO_LOGIN_HOLD  # at once, not after the hold
    finally:
        await engine.stop()
        await recorder.inner.aclose()
        shutdown_logging()
