"""A login made while the engine runs takes effect at once (SyncEngine.reconnect), on the
simulator over real sockets with the keyring in memory:

- Jira 3LO: the account's gateway is built again at api.atlassian.com/ex/jira/{cloudid} (the
  simulator, as Atlassian, refuses a 3LO token at the site URL), its sections go live, and a
  comment queued while it was not logged in lands once;
- GitHub and Slack: a new token replaces the one in use (every later request carries it),
  the old gateway's connections close once its calls are done;
- randomised: comments submitted while the token is switched again and again, at seeded
  random moments, each land exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import eventually, files_holding
from tests.integration.helpers import login_simulator, running
from tests.unit.auth.browser_double import FakeBrowser
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.login import LoginFlow
from zen_tui.auth.states import LoggedIn
from zen_tui.config import AccountConfig, Settings
from zen_tui.gateway.writing import write_under_way
from zen_tui.logs import setup_logging, shutdown_logging
from zen_tui.models import Action, ActionState, FreshnessState, Item, PullRequest, url_of
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build, build_local, connect

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world: these runs poll every demo section, whose rows are no part of a login."""
    with login_simulator() as server:
        yield server


class Recorder(httpx.AsyncBaseTransport):
    """The real loopback transport, noting each request's path and Authorization header (in
    memory only). Shared by every gateway, so a closing gateway does not close it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str]] = []  # (path, authorization)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get("authorization", "")))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:  # the test closes `inner`
        pass

    def auth_since(self, mark: int, prefix: str) -> set[str]:
        return {auth for path, auth in self.seen[mark:] if path.startswith(prefix)}


def without_token(settings: Settings, service: str) -> tuple[Settings, AccountConfig]:
    """The service's account with no token in the config: its login is the keyring's."""
    accounts = [replace(a, token=None) if a.service == service else a for a in settings.accounts]
    account = next(a for a in accounts if a.service == service)
    return replace(settings, accounts=accounts), account


def deferred(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> SyncEngine:
    """Wired as the dashboard wires it: the network part built at start() (and again after
    a login), here over `transport`."""
    wired = build_local(settings)
    wired.rebuild = lambda name: connect(wired, name, transport=transport, again=True)
    return SyncEngine(wired, connect=lambda name: connect(wired, name, transport=transport))


def sections_of(engine: SyncEngine, account: str) -> list[str]:
    return [s.id for s in engine.sections if s.account == account]


def state_of(engine: SyncEngine, section_id: str) -> FreshnessState | None:
    snapshot = engine.snapshot(section_id)
    return None if snapshot is None else snapshot.freshness.state


def comments(sim: SimulatorServer, service: str, *, key: str = "", body: str = "") -> int:
    """How many comments the simulator applied: on Jira issue `key`, or on GitHub with
    `body` (which the client follows with its idempotency marker)."""
    log = sim.counters()["mutation_log"]
    return sum(
        1
        for m in log
        if m["service"] == service
        and m["kind"] == "comment"
        and (not key or m.get("key") == key)
        and (not body or str(m.get("body", "")).split("\n")[0] == body)
    )


def service_sim(sim: SimulatorServer, service: str) -> Any:
    """The simulated service itself, for test setup (its fields differ per service)."""
    return sim.world.services[service]


def outbox_state(engine: SyncEngine, entry_id: str) -> ActionState | None:
    entry = engine.store.outbox_get(entry_id)
    return None if entry is None else entry.state


async def test_a_jira_3lo_login_is_used_at_once_and_the_queued_comment_lands_once(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    settings, account = without_token(settings, "jira")
    jira = service_sim(sim, "jira")
    recorder = Recorder()
    engine = deferred(settings, recorder)
    setup_logging(tmp_path, "DEBUG")
    await engine.start()
    try:
        mine = sections_of(engine, account.name)
        await engine.refresh(mine[0])
        reason = str(engine.snapshot(mine[0]).freshness.reason)  # type: ignore[union-attr]
        assert state_of(engine, mine[0]) is not FreshnessState.LIVE and "not logged in" in reason
        key = sorted(jira.issues)[0]
        body = "queued before the login"
        [entry_id] = await engine.submit(
            [Action("comment", f"{account.name}:{key}", account.name, {"body": body})]
        )
        await eventually(
            lambda: "not logged in" in str(engine.store.outbox_get(entry_id).reason),  # type: ignore[union-attr]
            "the outbox to try, and keep the comment waiting for the login",
        )
        assert outbox_state(engine, entry_id) is ActionState.PENDING

        flow = LoginFlow(account, "oauth", open_browser=FakeBrowser(), wait=10)
        states = [state async for state in flow.run()]  # as the dashboard's login screen
        assert isinstance(states[-1], LoggedIn)
        cloud_base = f"{sim.root_url}/jira/ex/jira/{jira.cloud_id}"

        await engine.reconnect(account.name)
        assert engine.wired.gateways[account.name].base_url == cloud_base
        await eventually(lambda: outbox_state(engine, entry_id) is ActionState.DONE, "sent")
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        assert any(engine.snapshot(s).items for s in mine)  # type: ignore[union-attr]
        paths = {path for path, _ in recorder.seen if path.startswith("/jira/ex/jira/")}
        assert any(p.endswith("/search/jql") for p in paths), paths
        shown = [i for s in mine for i in engine.snapshot(s).items]  # type: ignore[union-attr]
        browse = [url_of(engine.full_item(i)) for i in shown]  # rows: their URLs are stored
        assert browse and all("/ex/jira/" not in url for url in browse)  # links: the site
        await asyncio.sleep(0.3)  # a second send would have been woken by now
        assert comments(sim, "jira", key=key) == 1

        # The access token expires (about 1 h on Atlassian): the rebuilt gateway refreshes
        # it at its base, the rotated pair is saved before use, the old refresh token is dead.
        first = await KeyringCredentialStore().load(account.name)
        assert first is not None and first.refresh_token
        jira.oauth.access[first.token] = (0.0, jira.oauth.access[first.token][1])
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        second = await KeyringCredentialStore().load(account.name)
        assert second is not None and second.token != first.token
        assert second.refresh_token not in (None, first.refresh_token)
        assert second.base_url == cloud_base  # the site chosen at login is kept
        assert first.refresh_token not in jira.oauth.refresh  # rotated: used once
    finally:
        await engine.stop()
        await recorder.inner.aclose()
        shutdown_logging()
    logged = "".join(p.read_text() for p in (tmp_path / "logs").glob("zen-tui.log*"))
    assert "jira set up again after a login" in logged
    tokens = [first.token, first.refresh_token, second.token, second.refresh_token]
    assert all(t and t not in logged for t in tokens)
    assert files_holding(tmp_path, [t for t in tokens if t]) == []  # store, cache, logs


@pytest.mark.parametrize("service", ["github", "slack"])
async def test_a_new_token_replaces_the_one_in_use(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    service: str,
) -> None:
    settings, account = without_token(settings, service)
    store = KeyringCredentialStore()
    old_token = sim.account(service).token
    await store.save(account.name, StoredCredential(old_token))
    recorder = Recorder()
    engine = deferred(settings, recorder)
    async with running(engine, recorder.inner):
        mine = sections_of(engine, account.name)
        await engine.refresh(None)
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        prefix = f"/{service}/"
        assert len(recorder.auth_since(0, prefix)) == 1
        old_gateway = engine.wired.gateways[account.name]

        new_token = another_valid_token(sim, service)
        await store.save(account.name, StoredCredential(new_token))  # as a login does
        await engine.reconnect(account.name)
        mark = len(recorder.seen)
        await engine.refresh(None)
        used = recorder.auth_since(mark, prefix)
        assert used and all(new_token in auth for auth in used), "the new token, only"
        assert all(state_of(engine, s) is FreshnessState.LIVE for s in mine)
        assert engine.wired.gateways[account.name] is not old_gateway
        assert old_gateway._built is None  # retired: its connections are closed


def another_valid_token(sim: SimulatorServer, service: str) -> str:
    """A second token the simulator accepts for the same user (what a new login gets)."""
    backend = service_sim(sim, service)
    if service == "slack":
        token: str = backend._grant("user", backend.me.id, backend.tokens[backend.token].scopes)
        return token
    token = f"fake-token-switched-{len(backend.extra_tokens)}"
    backend.extra_tokens.add(token)
    return token


@pytest.mark.parametrize("seed", range(6))
async def test_comments_sent_across_token_switches_land_exactly_once(
    sim: SimulatorServer,
    tmp_path: Path,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    seed: int,
) -> None:
    """Seeded random interleavings of submits and rebuilds: a comment may be queued, in
    flight on the old gateway, or sent on the new one when the token changes; it lands
    once either way."""
    rng = random.Random(seed)
    settings, account = without_token(settings, "github")
    store = KeyringCredentialStore()
    # Each token is the same user's, as a login records it (StoredCredential.login): a token
    # naming no user would be another login, its queued comments held (store/logins.py).
    await store.save(account.name, StoredCredential(sim.account("github").token, login="me"))
    engine = SyncEngine(build(settings))
    async with running(engine):
        await engine.refresh(None)
        prs: list[Item] = [
            item
            for s in sections_of(engine, account.name)
            for item in engine.snapshot(s).items  # type: ignore[union-attr]
            if isinstance(item, PullRequest)
        ]
        assert prs
        bodies: list[str] = []
        waits = []
        for n in range(12):
            if rng.random() < 0.35:
                token = another_valid_token(sim, "github")
                await store.save(account.name, StoredCredential(token, login="me"))
                waits.append(asyncio.ensure_future(engine.reconnect(account.name)))
            body = f"[seed {seed}, comment {n}]"
            bodies.append(body)
            item = rng.choice(prs)
            await engine.submit([Action("comment", item.id, item.account, {"body": body})])
            for _ in range(rng.randrange(4)):
                await asyncio.sleep(rng.choice((0, 0, 0.005, 0.02)))
        await asyncio.gather(*waits)

        def all_done() -> bool:
            waiting = engine.store.outbox_by_state(
                ActionState.PENDING, ActionState.SENDING, ActionState.UNKNOWN
            )
            return not waiting

        await eventually(all_done, "every comment to be sent", within=30)
        failed = engine.store.outbox_by_state(ActionState.FAILED)
        assert not failed, [e.reason for e in failed]
        assert [comments(sim, "github", body=b) for b in bodies] == [1] * len(bodies)


@pytest.mark.parametrize("seed", range(8))
async def test_the_old_and_the_new_gateway_spend_a_rotating_refresh_token_once(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, seed: int
) -> None:
    """After a rebuild, a write still under way on the retired gateway (its check, a GET:
    the only calls a retired gateway still sends) and a read on the new one both meet the
    expired 3LO token (seeded random offsets): they share one credentials provider, so one
    refresh runs and both calls succeed; two would spend the single-use refresh token twice
    and the loser would be refused (invalid_grant)."""
    rng = random.Random(seed)
    settings, account = without_token(settings, "jira")
    jira = service_sim(sim, "jira")
    flow = LoginFlow(account, "oauth", open_browser=FakeBrowser(), wait=10)
    assert isinstance([s async for s in flow.run()][-1], LoggedIn)
    engine = SyncEngine(build(settings))
    try:
        old = engine.wired.gateways[account.name]
        assert (await old.request("GET", "/rest/api/3/myself")).status == 200
        await engine.reconnect(account.name)
        new = engine.wired.gateways[account.name]
        assert new is not old and (await new.request("GET", "/rest/api/3/myself")).status == 200
        first = await KeyringCredentialStore().load(account.name)
        assert first is not None
        jira.oauth.access[first.token] = (0.0, "")  # expired at Atlassian

        async def me(gateway: Any) -> int:
            await asyncio.sleep(rng.choice((0, 0, 0.001, 0.003)))
            if gateway is new:
                return int((await gateway.request("GET", "/rest/api/3/myself")).status)
            with write_under_way():  # a write begun before the login changed finishes
                return int((await gateway.request("GET", "/rest/api/3/myself")).status)

        assert list(await asyncio.gather(me(old), me(new))) == [200, 200]
        second = await KeyringCredentialStore().load(account.name)
        assert second is not None and second.refresh_token in jira.oauth.refresh  # still live
    finally:
        await engine.stop()
