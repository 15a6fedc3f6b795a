"""A keyring that cannot be read (locked, failing, or not answering) is not a logout: the
engine starts with it locked, and the account's saved sections, items, cached answers, login
record and queued comment all stay; its panes show the stored rows, not live, saying the
keyring could not be read and what to do; once the keyring answers again the same running
engine goes live and sends the comment, once. Real parts: the simulator over real sockets,
real SQLite, and the real keyring helper process over a file keyring the test locks
(tests/unit/auth/file_keyring.py: LockableFileKeyring)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import eventually, github_config
from tests.integration.helpers import login_simulator
from tests.integration.test_login_takes_effect import (
    Recorder,
    comments,
    deferred,
    outbox_state,
    sections_of,
    service_sim,
    state_of,
    without_token,
)
from tests.integration.test_login_watch import OPEN_PRS
from tests.unit.auth.browser_double import FakeBrowser
from tests.unit.auth.file_keyring import ENV
from zen_tui.auth import keyring_store
from zen_tui.auth.keyring_store import HEADLESS_HELP, KeyringCredentialStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import Settings, load_settings
from zen_tui.gateway import gateway as gateway_module
from zen_tui.logs import shutdown_logging
from zen_tui.models import Action, ActionState, FreshnessState, PullRequest
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

pytestmark = pytest.mark.timeout(120)
API = "/rest/api/3"
HELPER_TIMEOUT = 2.0  # a hanging keyring is given up on after this (the default is 10 s)
# While every read hangs, each waits out the whole timeout (the engine read 8 times, one
# after another, before the test could go on: 16 s at 2 s): a shorter one ends them sooner.
HANGING_TIMEOUT = 0.3


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world: the rows kept are a few of them, as well as fifty."""
    with login_simulator() as server:
        yield server


class HelperLimit:
    """The keyring helper's timeout, read by every store at each call: a test shortens it
    while the keyring hangs, and gives it back before the keyring answers again."""

    def __init__(self) -> None:
        self.seconds = HELPER_TIMEOUT


def through_the_helper(monkeypatch: pytest.MonkeyPatch) -> HelperLimit:
    """Every keyring store of this process asks the helper process (as the dashboard does:
    keyring is loaded in this test process, which would otherwise ask it in a thread), with
    a short timeout: the HelperLimit returned."""
    limit = HelperLimit()
    seconds = property(lambda self: limit.seconds, lambda self, _: None)  # __init__'s ignored
    monkeypatch.setattr(KeyringCredentialStore, "timeout", seconds, raising=False)
    monkeypatch.setattr(KeyringCredentialStore, "_here", lambda self: False)
    return limit


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
    limit = through_the_helper(monkeypatch)
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
    if lock == "hang":  # each read is given up on, as at the full timeout, only sooner
        limit.seconds = HANGING_TIMEOUT
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
        limit.seconds = HELPER_TIMEOUT  # time for a helper that answers, under load too
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


async def test_a_jira_3lo_login_read_after_the_keyring_unlocks_goes_to_its_cloud(
    sim: SimulatorServer, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with a Jira OAuth 2.0 (3LO) login: its REST base is the cloud URL
    (api.atlassian.com/ex/jira/{cloudid}, from accessible-resources at the login, saved with
    it), which a start with the keyring locked cannot read, so the account is built at the
    site URL, where Atlassian refuses a 3LO token. Once the keyring answers, the account is
    built again at its cloud and goes live; no request carries the token to the site URL, and
    the rotating refresh token is not spent on those refusals (each refresh invalidates the
    one before it: a refresh the site URL provoked would be the login's last good one)."""
    monkeypatch.setenv(ENV, str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.unit.auth.file_keyring.LockableFileKeyring")
    monkeypatch.setattr(gateway_module, "NO_LOGIN_HOLD", 0.0)
    through_the_helper(monkeypatch)
    settings, account = without_token(settings, "jira")
    jira = service_sim(sim, "jira")
    flow = LoginFlow(account, "oauth", open_browser=FakeBrowser(), wait=10)
    assert isinstance([state async for state in flow.run()][-1], LoggedIn)
    login = await KeyringCredentialStore().load(account.name)
    cloud_base = f"{sim.root_url}/jira/ex/jira/{jira.cloud_id}"
    assert login is not None and login.base_url == cloud_base and login.refresh_token

    first = deferred(settings)  # a run with the keyring open: the rows are saved
    try:
        await first.start()
        mine = sections_of(first, account.name)
        assert first.wired.gateways[account.name].base_url == cloud_base
        await first.refresh(None)
        assert all(state_of(first, s) is FreshnessState.LIVE for s in mine)
        saved = {s: keys(first, s) for s in mine}
        assert any(saved.values())
        record = first.store.login_state(account.name)
    finally:
        await first.stop()

    set_lock(tmp_path / "keyring.json", "raise")
    recorder = Recorder()
    engine = deferred(settings, recorder)  # its login watch at the default 30 s: not waited for
    site_path = f"/jira{API}/"  # the site URL's REST paths (the cloud's are /jira/ex/jira/...)
    try:
        await engine.start()
        assert engine.wired.gateways[account.name].base_url != cloud_base  # not readable yet
        await engine.refresh(None)
        for section in mine:
            reason = str(engine.snapshot(section).freshness.reason)  # type: ignore[union-attr]
            assert reason.startswith("cannot read the login"), reason
            assert keys(engine, section) == saved[section]
        assert engine.store.login_state(account.name) == record

        set_lock(tmp_path / "keyring.json", None)
        mark = len(recorder.seen)
        await engine.refresh(None)  # the next poll reads the login, sends nothing, and
        await eventually(  # has the account built again at once
            lambda: engine.wired.gateways[account.name].base_url == cloud_base,
            "the account to be built again at its cloud once the keyring answers",
        )
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        assert all(shown(engine, s) for s in mine if saved[s])
        bearer = {path for path, auth in recorder.seen[mark:] if auth.lower().startswith("bearer ")}
        assert not {p for p in bearer if p.startswith(site_path)}, "3LO token at the site URL"
        now = await KeyringCredentialStore().load(account.name)
        assert now is not None and now.refresh_token == login.refresh_token  # not spent
        assert now.base_url == cloud_base and now.cloud_id == jira.cloud_id
        assert engine.store.login_state(account.name) == record
    finally:
        await engine.stop()
        await recorder.inner.aclose()
        shutdown_logging()
