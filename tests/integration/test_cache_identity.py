"""The on-disk HTTP cache belongs to one login: after the account logs in as someone else
(SyncEngine.reconnect, or another process such as `zen-tui sync --once` reading the keyring),
nothing the first user fetched is shown to the second, nor its ETags sent for them; and the
cache file holds no token, nor a plain hash of one. On the simulator over real sockets, with
two GitHub users (the simulated `me`, and `ada` via GitHubSim.add_user)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import GITHUB_INBOX, files_holding, github_config
from tests.integration.helpers import running
from tests.integration.test_login_takes_effect import deferred, service_sim, without_token
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.config import SectionConfig, Settings
from zen_tui.gateway import AuthExpired
from zen_tui.gateway.settings import CacheTypeSettings
from zen_tui.services.github import GitHubClient
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

__all__ = ["memory_keyring"]
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(90)


class Validators(httpx.AsyncBaseTransport):
    """The real loopback transport, noting per GitHub request the validators it sent and the
    ETag it got back (in memory only)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str | None, str | None]] = []  # (path, sent, received)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.startswith("/github/"):
            sent = request.headers.get("if-none-match")
            self.seen.append((request.url.path, sent, response.headers.get("etag")))
        return response

    async def aclose(self) -> None:  # the test closes `inner`
        pass


def cached_settings(settings: Settings) -> Settings:
    """GitHub's account logs in through the keyring; listings stay fresh for 5 minutes (as
    outside the tests), and its inbox (GitHub notifications, per user) is a section."""
    settings, account = without_token(settings, "github")
    account = replace(account, user=None)  # who the login is comes from GET /user
    accounts = [account if a.name == account.name else a for a in settings.accounts]
    gs = settings.gateway["github"]
    types = dict(gs.cache.types) | {"listing": CacheTypeSettings(ttl=300.0, maxsize=500)}
    gateway = dict(settings.gateway) | {"github": replace(gs, cache=replace(gs.cache, types=types))}
    inbox = SectionConfig("inbox", "GitHub notifications", account.name, query="notifications")
    sections = [*settings.sections, inbox]
    return replace(settings, accounts=accounts, gateway=gateway, sections=sections)


async def me_of(engine: SyncEngine, account: str) -> str:
    client = engine.wired.clients[account]
    assert isinstance(client, GitHubClient)
    return await client.me()


def inbox_of(engine: SyncEngine) -> list[Any]:
    section = next(s for s in engine.sections if s.query == "notifications")
    snapshot = engine.snapshot(section.id)
    assert snapshot is not None
    return list(snapshot.items)


def secrets_in_store(data_dir: Path, tokens: list[str]) -> list[str]:
    """Each token, or its unsalted SHA-256 / SHA-1 (hex), found in the SQLite files' bytes."""
    needles = {t: [t] for t in tokens}
    for t in tokens:
        needles[t] += [hashlib.sha256(t.encode()).hexdigest(), hashlib.sha1(t.encode()).hexdigest()]
    blob = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    return [n[:8] for group in needles.values() for n in group if n.encode() in blob]


async def test_a_login_as_another_user_never_sees_the_first_users_cached_reads(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    settings = cached_settings(settings)
    github = service_sim(sim, "github")
    account = next(a for a in settings.accounts if a.service == "github").name
    keyring = KeyringCredentialStore()
    first = sim.account("github").token
    await keyring.save(account, StoredCredential(first))
    wire = Validators()
    engine = deferred(settings, wire)
    async with running(engine, wire.inner):
        await engine.refresh(None)
        assert await me_of(engine, account) == "me"
        assert inbox_of(engine), "the simulated user's inbox is seeded"
        etags_of_first = {etag for _p, _s, etag in wire.seen if etag}

        second = github.add_user("ada")
        await keyring.save(account, StoredCredential(second))  # as a login does
        await engine.reconnect(account)
        mark = len(wire.seen)
        await engine.refresh(None)
        assert await me_of(engine, account) == "ada"  # on main: "me", from disk
        assert inbox_of(engine) == []  # ada's own inbox, not me's cached one
        sent = {s for _p, s, _e in wire.seen[mark:] if s}
        assert not sent & etags_of_first, "the first user's ETags went out for the second"
        assert any(p == "/github/notifications" for p, _s, _e in wire.seen[mark:])
    assert files_holding(tmp_path, [first, second]) == []
    assert secrets_in_store(tmp_path, [first, second]) == []


async def test_processes_sharing_the_cache_share_it_only_within_one_login(
    sim: SimulatorServer, settings: Settings, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """Two engines built on their own (as the dashboard and `zen-tui sync --once` are: own
    store connection, own read of the install's key) over one data folder: the same login
    reuses the other's entries; another login reuses none and drops the earlier ones."""
    settings = cached_settings(settings)
    github = service_sim(sim, "github")
    account = next(a for a in settings.accounts if a.service == "github").name
    keyring = KeyringCredentialStore()
    await keyring.save(account, StoredCredential(sim.account("github").token))

    async def me_once() -> tuple[str, str]:
        engine = SyncEngine(build(settings))
        try:
            gateway = engine.wired.gateways[account]
            resp = await gateway.request("GET", "/user", endpoint="/user", cache_type="user_info")
            return resp.json()["login"], resp.cache
        finally:
            await engine.wired.aclose()
            engine.store.close()

    assert await me_once() == ("me", "miss")
    assert await me_once() == ("me", "hit")  # the other process's entry, same login
    await keyring.save(account, StoredCredential(github.add_user("ada")))
    assert await me_once() == ("ada", "miss")  # on main: ("me", "hit")
    with sqlite3.connect(tmp_path / "zen-tui.db") as db:  # me's entries left with the login
        keys = [k for (k,) in db.execute("SELECT key FROM http_cache")]
    owners = {k.split(" ", 1)[0] for k in keys if k.startswith(f"{account}@")}
    assert len(owners) == 1 and not any(k.startswith(f"{account} ") for k in keys)

    await keyring.delete(account)  # a logout: the next process drops ada's entries too
    with pytest.raises(AuthExpired):
        await me_once()
    with sqlite3.connect(tmp_path / "zen-tui.db") as db:
        left = db.execute("SELECT count(*) FROM http_cache WHERE key LIKE ?", (f"{account}%",))
        assert left.fetchone() == (0,)


def sync_once(config: Path, data: Path, token: str) -> dict[str, Any]:
    """`zen-tui sync --once` in its own process as `token`'s user, then what `list inbox
    --json` shows; the token reaches it only through the environment, as a cron job's."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZEN_T_GH": token}
    base = [sys.executable, "-m", "zen_tui", "--config", str(config), "--data-dir", str(data)]
    subprocess.run([*base, "sync", "--once"], env=env, timeout=120, check=False)
    listed = subprocess.run(
        [*base, "list", "inbox", "--json"], env=env, timeout=120, capture_output=True, text=True
    )
    document: dict[str, Any] = json.loads(listed.stdout)
    return document


async def test_sync_once_as_another_user_shows_none_of_the_first_users_cached_inbox(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    """Two `zen-tui sync --once` processes on one data folder, one per user, listings kept
    fresh for 5 minutes: the second process's inbox is its user's (empty), not the first
    user's notifications served from the cache file."""
    github = service_sim(sim, "github")
    listings_kept = '\n[gateway.github.cache.listing]\nttl = "5m"\n'
    config = github_config(sim, tmp_path, token_env="ZEN_T_GH", then=GITHUB_INBOX + listings_kept)
    data = tmp_path / "data"
    first, second = sim.account("github").token, github.add_user("ada")

    def items(document: dict[str, Any]) -> list[Any]:
        return [i for s in document["sections"] for i in s["items"]]

    assert items(await asyncio.to_thread(sync_once, config, data, first))
    assert items(await asyncio.to_thread(sync_once, config, data, second)) == []
    assert files_holding(data, [first, second]) == []
    assert secrets_in_store(data, [first, second]) == []
