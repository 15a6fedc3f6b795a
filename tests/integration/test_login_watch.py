"""A login or logout made in a terminal (`zen-tui auth login`/`logout`, a real subprocess)
while the engine runs takes effect within the engine's login check (SyncEngine._check_logins),
no restart: on the simulator over real sockets, real SQLite, one keyring file shared by both
processes (tests/unit/auth/file_keyring.py), with two GitHub users (`me`, and `ada`)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.helpers import eventually, github_config
from tests.integration.test_login_takes_effect import (
    Recorder,
    deferred,
    sections_of,
    service_sim,
    state_of,
)
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.config import Settings, load_settings
from zen_tui.models import FreshnessState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]


OPEN_PRS = """
[[sections]]
pane = "prs"
account = "gh"
title = "Open pull requests"
query = "is:pr is:open"
"""


def write_config(sim: SimulatorServer, tmp_path: Path) -> Path:
    return github_config(sim, tmp_path, then=OPEN_PRS)


def terminal(config: Path, data: Path, *argv: str, paste: str = "") -> None:
    """`zen-tui auth ...` in another terminal: its own interpreter, the shared keyring file."""
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env |= {
        "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "tests.unit.auth.file_keyring.FileKeyring",
    }
    where = ["--config", str(config), "--data-dir", str(data)]
    done = subprocess.run(
        [sys.executable, "-m", "zen_tui", *where, "auth", *argv],
        input=paste + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not paste or paste not in done.stdout + done.stderr  # the token is never echoed


def live_with_items(engine: SyncEngine, sections: list[str]) -> bool:
    return all(
        state_of(engine, s) is FreshnessState.LIVE and engine.snapshot(s).items  # type: ignore[union-attr]
        for s in sections
    )


def not_logged_in(engine: SyncEngine, sections: list[str]) -> bool:
    return all(
        (snapshot := engine.snapshot(s)) is not None
        and "not logged in" in str(snapshot.freshness.reason)
        and not snapshot.items
        for s in sections
    )


def watched_engine(
    runner: str, settings: Settings, recorder: Recorder
) -> tuple[SyncEngine, list[str]]:
    """The engine as `runner` builds it, its login check shortened (a change is seen at the
    next check) and its reconnects counted once they END: the new pair is in place then, and
    the panes show the store's rows again (take_changed_logins, no await after it). Counted
    at their start, a test saw the reconnect before its rebuild, and then the old token or
    the previous login's panes (still LIVE) — under load only."""
    if runner == "dashboard":
        engine = deferred(settings, recorder)
    else:
        engine = SyncEngine(build(settings, transport=recorder), role=runner)
    engine.login_check = 0.05
    reconnects: list[str] = []
    reconnect = engine.reconnect

    async def counted(account: str) -> None:
        try:
            await reconnect(account)
        finally:  # a failed one ends too: the assertions after it say what went wrong
            reconnects.append(account)

    engine.reconnect = counted  # type: ignore[method-assign]
    return engine, reconnects


@asynccontextmanager
async def running_as(
    token: str, runner: str, config: Path, tmp_path: Path
) -> AsyncIterator[tuple[SyncEngine, list[str], Recorder, list[str]]]:
    """`token` (me's) logged in as a terminal's login saves and records it, then the
    watched_engine `runner` builds, started and refreshed once, its GitHub sections live:
    (engine, reconnects, recorder, those sections). Stopped, with the recorder's client, after.
    That first login is made in this process (the keyring file, then the record, as the CLI
    does: commands/auth.py): each test's own changes run in a terminal's subprocess."""
    from zen_tui.commands.auth import _record_user

    settings = load_settings(config, tmp_path)
    keyring = KeyringCredentialStore()
    await keyring.save("gh", StoredCredential(token, login="me"))
    await _record_user(settings, "gh", keyring, changed=True)
    recorder = Recorder()
    engine, reconnects = watched_engine(runner, settings, recorder)
    try:
        await engine.start()
        mine = sections_of(engine, "gh")
        await engine.refresh(None)
        assert live_with_items(engine, mine)
        yield engine, reconnects, recorder, mine
    finally:
        await engine.stop()
        await recorder.inner.aclose()


@pytest.mark.parametrize("runner", ["dashboard", "zen-tui sync"])
async def test_a_terminal_login_and_logout_reach_the_running_engine(
    runner: str, sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    """The dashboard builds its accounts at start(), `zen-tui sync` before it (build)."""
    config = write_config(sim, tmp_path)
    me, ada = sim.account("github").token, service_sim(sim, "github").add_user("ada")
    async with running_as(me, runner, config, tmp_path) as (engine, reconnects, recorder, mine):
        assert engine.changed_logins() == []  # its own record is not a change
        assert reconnects == []

        mark = len(recorder.seen)
        terminal(config, tmp_path, "login", "gh", "--method", "token", paste=ada)
        # The terminal dropped me's rows from the store (what the panes show once rebuilt); the
        # panes themselves may refill with ada's rows as soon as the reconnect's refresh ends.
        assert not any(engine.store.load_section(s)[0] for s in mine)
        await eventually(lambda: reconnects == ["gh"], "the engine to take ada's login")
        await eventually(lambda: live_with_items(engine, mine), "ada's panes to fill")
        assert recorder.auth_since(mark, "") == {f"Bearer {ada}"}  # on main: me's
        assert engine.changed_logins() == []  # the rebuild's own record: no second one

        terminal(config, tmp_path, "logout", "gh")
        await eventually(lambda: reconnects == ["gh", "gh"], "the engine to take the logout")
        await eventually(lambda: not_logged_in(engine, mine), "the panes to say not logged in")
        assert engine.changed_logins() == []
        mark = len(recorder.seen)
        await engine.refresh(None)  # nothing is sent as ada any more
        assert not_logged_in(engine, mine)
        assert f"Bearer {ada}" not in recorder.auth_since(mark, "")
        assert reconnects == ["gh", "gh"]  # never in a loop


@pytest.mark.parametrize("runner", ["dashboard", "zen-tui sync"])
async def test_a_terminal_relogin_as_the_same_user_brings_its_new_token(
    runner: str, sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    """`me` logs in again in a terminal with a new token (the old one revoked on github.com):
    the login record's fingerprint (the user) stays, its generation changes, and the running
    engine sends the new token from then on, with one reconnect and the same user's rows."""
    config = write_config(sim, tmp_path)
    old, new = sim.account("github").token, "fake-token-me-reissued"
    service_sim(sim, "github").extra_tokens.add(new)  # a second token of `me`
    async with running_as(old, runner, config, tmp_path) as (engine, reconnects, recorder, mine):
        with Store.open_in(tmp_path) as other:
            before = other.login_state("gh")
            terminal(config, tmp_path, "login", "gh", "--method", "token", paste=new)
            after = other.login_state("gh")
        assert before and after and after[0] == before[0] and after[1] == before[1] + 1
        await eventually(lambda: reconnects == ["gh"], "the engine to take the new token")
        mark = len(recorder.seen)
        await engine.refresh(None)
        assert live_with_items(engine, mine)  # the same user's rows and panes
        assert recorder.auth_since(mark, "") == {f"Bearer {new}"}  # on main: the old one
        assert engine.changed_logins() == []
        assert reconnects == ["gh"]  # exactly one: never in a loop


async def test_each_change_of_another_process_is_taken_once_and_its_own_never(
    sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    """Seeded random interleavings of: another process recording a login (a second SQLite
    connection, as `zen-tui auth login`/`logout` does; sometimes the same user again, with or
    without a login's generation bump), this
    process setting the account up again itself (a dashboard login: its gateway records its
    login), and the engine's check. A check reports the account exactly when the record
    differs from the one it last saw or this process wrote: never twice for one change, never
    for its own write."""
    config = write_config(sim, tmp_path)
    await KeyringCredentialStore().save("gh", StoredCredential(sim.account("github").token))
    engine = deferred(load_settings(config, tmp_path))  # its own check: 30 s, not in this test
    rng = random.Random(20261206)
    try:
        await engine.start()
        with Store.open_in(tmp_path) as other:
            last = other.login_state("gh")
            assert last and engine.changed_logins() == []
            for _ in range(60):
                step = rng.choice(("other", "other", "check", "own"))
                if step == "other":  # a login (generation bumped), or a switch of the user
                    user = rng.choice(["user-b", "user-c", other.login_recorded("gh"), None])
                    other.login_switch("gh", user, new_login=rng.random() < 0.5)
                elif step == "own":  # the login screen (a bump), or a rebuild alone
                    await engine.reconnect("gh", new_login=rng.random() < 0.5)
                    last = other.login_state("gh")
                    assert engine.changed_logins() == []  # its own record
                else:
                    now = other.login_state("gh")
                    assert engine.changed_logins() == (["gh"] if now != last else [])
                    last = now
                    assert engine.changed_logins() == []  # one change: taken once
    finally:
        await engine.stop()


async def test_a_terminal_login_landing_while_the_engine_learns_its_own_is_not_lost(
    sim: SimulatorServer, tmp_path: Path, file_keyring: None
) -> None:
    """A terminal login (same user, new token) that records its generation after this
    process's rebuild read the keyring, but before it read the record back: the engine did
    not take that token, so the next check must still report the change (once)."""
    config = write_config(sim, tmp_path)
    await KeyringCredentialStore().save("gh", StoredCredential(sim.account("github").token))
    engine = deferred(load_settings(config, tmp_path))  # its own check: 30 s, not in this test
    learn = engine._login_of
    armed: list[bool] = [False]
    landed: list[bool] = []

    async def then_a_terminal_login(account: str) -> str | None:
        now = await learn(account)  # the keyring was read: the terminal's token comes later
        if armed[0] and not landed:
            with Store.open_in(tmp_path) as other:
                other.login_switch(account, now, new_login=True)
            landed.append(True)
        return now

    engine._login_of = then_a_terminal_login  # type: ignore[method-assign]
    try:
        await engine.start()
        assert engine.changed_logins() == []
        armed[0] = True
        await engine.reconnect("gh")
        assert landed == [True]
        assert engine.changed_logins() == ["gh"]  # on the first fix: [] (it was absorbed)
        assert engine.changed_logins() == []
    finally:
        await engine.stop()
