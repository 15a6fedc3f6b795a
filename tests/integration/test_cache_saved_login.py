"""A login of one process alone (a token in a terminal's environment, a session-only login)
leaves the keyring login's HTTP cache alone: back on the keyring's login, the first poll
revalidates its kept entries (304s at the simulator) instead of downloading them again. The
temporary login reads none of them, sends none of their ETags, and its own entries go once
the keyring's login is back (nothing keeps more than the saved and the current login's).

On main the temporary login's first call deleted every entry of the account but its own, so
the keyring login's next poll got 200s only. Real SQLite, the simulator over real sockets,
two GitHub users (the simulated `me` in the keyring, `ada` the temporary login)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from msgspec.structs import replace

from tests.helpers import seeds
from tests.integration.helpers import login_simulator
from tests.integration.test_cache_identity import Validators
from tests.integration.test_login_takes_effect import deferred, service_sim, without_token
from tests.unit.auth.memory_keyring import MemoryKeyring, memory_keyring
from zen_tui.auth.keyring_store import KeyringCredentialStore, StoredCredential
from zen_tui.auth.provider import KeyringCredentialProvider
from zen_tui.commands.auth import _record_user
from zen_tui.config import AccountConfig, Settings
from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.cache import owner
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.identity import Fingerprinter
from zen_tui.gateway.settings import CacheTypeSettings, default_settings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store import Store
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import LoginRequired, StoreCache

__all__ = ["memory_keyring"]
pytestmark = pytest.mark.timeout(90)
TOKEN_ENV = "ZEN_T_GH_CACHE"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A small world: each run here polls every demo section, and the cache's behaviour does
    not depend on how many rows a page holds."""
    with login_simulator() as server:
        yield server


def owners(data: Path, account: str) -> set[str]:
    """The logins (account@fingerprint) the store holds cached answers of for `account`."""
    with closing(sqlite3.connect(data / "zen-tui.db")) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM http_cache")]
    return {k.split(" ", 1)[0] for k in keys if k.startswith(f"{account}@")}


def first_asks(run: Validators) -> list[tuple[str, str | None]]:
    """(path, ETag sent) of each path's first request in the run: what the cache held for
    it before the run, not what the run itself fetched."""
    firsts: dict[str, str | None] = {}
    for path, sent, _etag in run.seen:
        firsts.setdefault(path, sent)
    return list(firsts.items())


def only_its_own(run: Validators) -> bool:
    """Every ETag the run sent, it had received itself before (its own cached entries)."""
    received: set[str] = set()
    for _path, sent, etag in run.seen:
        if sent and sent not in received:
            return False
        received |= {etag} if etag else set()
    return True


async def poll_once(engine: SyncEngine) -> None:
    await engine.start()
    try:
        await engine.refresh(None)
    finally:
        await engine.stop()


def session_engine(settings: Settings, account: str, token: str, wire: Validators) -> SyncEngine:
    """A dashboard logged in as `token`'s user for this session only (its own memory)."""
    engine = deferred(settings, wire)
    session = {account: StoredCredential(token, login="ada")}
    provider = KeyringCredentialProvider(
        settings.accounts, store=KeyringCredentialStore(session=session)
    )
    engine.wired.credentials = LoginRequired(settings.accounts, provider)
    return engine


async def keyring_login(
    settings: Settings, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, AccountConfig]:
    """GitHub's account logged in as `me` in the keyring; its `token_env` (unset) is how a
    run gets a token from the environment instead."""
    settings, account = without_token(settings, "github")
    account = replace(account, token_env=TOKEN_ENV)
    settings = replace(
        settings, accounts=[account if a.name == account.name else a for a in settings.accounts]
    )
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    await KeyringCredentialStore().save(account.name, StoredCredential(sim.account("github").token))
    return settings, account


@pytest.mark.parametrize("temporary", ["environment", "session"])
async def test_a_temporary_login_keeps_the_keyring_logins_cache_for_its_return(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    temporary: str,
) -> None:
    settings, account = await keyring_login(settings, sim, monkeypatch)
    ada = service_sim(sim, "github").add_user("ada")
    keyring_run = Validators()
    await poll_once(deferred(settings, keyring_run))  # the keyring's login fills its cache
    etags_of_keyring = {etag for _p, _s, etag in keyring_run.seen if etag}
    (saved,) = owners(tmp_path, account.name)

    temporary_run = Validators()
    if temporary == "environment":
        monkeypatch.setenv(TOKEN_ENV, ada)
        await poll_once(deferred(settings, temporary_run))
        monkeypatch.delenv(TOKEN_ENV)
    else:
        await poll_once(session_engine(settings, account.name, ada, temporary_run))
    assert temporary_run.seen, "the temporary login polled GitHub"
    assert only_its_own(temporary_run), "the temporary login read the keyring login's entries"
    assert saved in owners(tmp_path, account.name)  # on main: deleted by the temporary login
    assert len(owners(tmp_path, account.name)) == 2  # the saved login's and the current one's

    back = Validators()
    before = sim.counters()["not_modified"].get("github", 0)
    await poll_once(deferred(settings, back))
    revalidated = {s for _p, s in first_asks(back) if s}
    assert revalidated and revalidated <= etags_of_keyring  # on main: none, all downloaded
    assert sim.counters()["not_modified"].get("github", 0) - before >= len(revalidated)
    assert owners(tmp_path, account.name) == {saved}  # the temporary login's entries went


@pytest.mark.parametrize("change", ["logout", "login"])
async def test_a_logout_or_login_in_a_terminal_drops_the_replaced_logins_cache_at_once(
    sim: SimulatorServer,
    settings: Settings,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """`zen-tui auth logout` (or `auth login` as someone else) while no zen-tui runs: the
    keyring login's cached answers go then, not only when a zen-tui next reads the keyring,
    so an environment login run before that keeps none of a login that is gone."""
    settings, account = await keyring_login(settings, sim, monkeypatch)
    await poll_once(deferred(settings, Validators()))
    (saved,) = owners(tmp_path, account.name)

    keyring = KeyringCredentialStore()
    if change == "logout":
        await keyring.delete(account.name)
    else:
        ada = service_sim(sim, "github").add_user("ada")
        await keyring.save(account.name, StoredCredential(ada, login="ada"))
    await _record_user(settings, account.name, keyring, changed=True)  # as `zen-tui auth` does
    assert owners(tmp_path, account.name) == set()  # on main: the replaced login's stay

    monkeypatch.setenv(TOKEN_ENV, service_sim(sim, "github").add_user("bob"))
    await poll_once(deferred(settings, Validators()))
    assert saved not in owners(tmp_path, account.name)
    assert len(owners(tmp_path, account.name)) == 1  # the environment login's own


# ---- many login switches, seeded: the retention rule's invariants --------------------------

BASE = "https://api.test"
PATHS = ["/a", "/b", "/c", "/d"]
ACCOUNT, OTHER = "github:me", "github:other"  # OTHER's login never changes: nothing of it goes


class Server:
    """GitHub as far as the cache sees it: each token gets a body naming it and an ETag of
    its own, 304 for its own current ETag; an If-None-Match with another token's ETag (a
    cached entry of another login read) is noted, never answered with a 304."""

    def __init__(self) -> None:
        self.version = dict.fromkeys(PATHS, 0)  # bumped when the content changes
        self.foreign: list[str] = []  # validators sent with another token than their own

    def etag(self, token: str, path: str) -> str:
        return f'"{token}|{path}|{self.version[path]}"'

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].split()[-1]
        path = request.url.path
        sent = request.headers.get("if-none-match")
        if sent and not sent.startswith(f'"{token}|'):
            self.foreign.append(path)
        if sent == self.etag(token, path):
            return httpx.Response(304, headers={"ETag": sent})
        body = {"token": token, "path": path, "version": self.version[path]}
        return httpx.Response(200, json=body, headers={"ETag": self.etag(token, path)})


class Model:
    """What the rule keeps: account@login -> {path: version cached}; the saved login."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, int]] = {}
        self.saved: str | None = None

    def learnt(self, owner: str | None, *, local: bool) -> None:
        if not local:
            self.saved = owner
        kept = {owner, self.saved} if local else {owner}
        self.entries = {o: e for o, e in self.entries.items() if o in kept}


async def one_run(
    store: Store, server: Server, credential: Credential | None, account: str = ACCOUNT
) -> Gateway:
    settings = default_settings("github")
    types = dict(settings.cache.types) | {"listing": CacheTypeSettings(ttl=0.0, maxsize=50)}
    settings = replace(settings, cache=replace(settings.cache, types=types))
    logins = {account: credential} if credential is not None else {}
    return Gateway(
        account=account,
        service="github",
        base_url=BASE,
        settings=settings,
        credentials=StaticCredentialProvider(logins),
        clock=FakeClock(),
        transport=httpx.MockTransport(server.handle),
        persistent_cache=StoreCache(store),
        fingerprinter=FINGERPRINTER,
    )


FINGERPRINTER = Fingerprinter(b"k" * 32)


def temporary(rng: random.Random, used: list[str], kind: str) -> Credential:
    """An environment token (names no user) or a session-only login, often one used before."""
    token = rng.choice(used) if used and rng.random() < 0.5 else f"{kind}{len(used)}"
    used.append(token)
    return Credential(token, who=None if kind == "env" else "ada", local=True)


async def step(
    rng: random.Random, world: tuple[Path, list[Store], Server], model: Model, state: dict[str, Any]
) -> None:
    """One login switch, then a run (a new process, or the account built again) on it, on
    one of the data folder's store connections."""
    data, stores, server = world
    kind = rng.choice(["keyring", "keyring", "env", "session", "login", "logout"])
    if kind == "login":  # `zen-tui auth login`: a new token in the keyring (maybe same user)
        state["keyring"] = Credential(f"key{rng.random():.6f}", who=rng.choice(["me", "bob"]))
    elif kind == "logout":
        state["keyring"] = None
    if rng.random() < 0.3:
        server.version[rng.choice(PATHS)] += 1
    credential = state["keyring"]
    if kind in ("env", "session"):
        credential = temporary(rng, state.setdefault(kind, []), kind)
    gateway = await one_run(rng.choice(stores), server, credential)
    try:
        await polled(rng, gateway, credential, server, model)
    finally:
        await gateway.aclose()
    current = None if credential is None else owner(ACCOUNT, FINGERPRINTER.of(credential))
    held = owners(data, ACCOUNT)
    assert held <= {model.saved, current}  # bounded: the saved login's and the current one's
    assert held == set(model.entries)


async def polled(
    rng: random.Random,
    gateway: Gateway,
    credential: Credential | None,
    server: Server,
    model: Model,
) -> None:
    """A poll of some paths: each answer is the current token's; an entry kept for this login
    (the saved one's, after any temporary logins) is revalidated, a 304, not downloaded."""
    if credential is None:
        assert await gateway.login() is None  # logged out: the account's entries all go
        model.learnt(None, local=False)
        return
    who = owner(ACCOUNT, FINGERPRINTER.of(credential))
    await gateway.login()
    model.learnt(who, local=credential.local)
    mine = model.entries.setdefault(who, {})
    for path in rng.sample(PATHS, rng.randint(1, len(PATHS))):
        response = await gateway.request("GET", path, cache_type="listing")
        assert response.json()["token"] == credential.token  # never another login's body
        expected = "revalidated" if mine.get(path) == server.version[path] else "miss"
        assert response.cache == expected
        mine[path] = server.version[path]


# Seeds 0-4 in every run (40 steps each: every kind of switch, many times), 5-29 with
# `make soak`.
@pytest.mark.parametrize("seed", seeds(every_run=range(5), soak=range(5, 30)))
async def test_login_switches_keep_the_saved_and_current_logins_entries_only(
    tmp_path: Path, seed: int
) -> None:
    """Seeded sequences of keyring logins and logouts, runs on the keyring's login, on an
    environment token, on a session-only login, over two connections to one SQLite file (two
    processes): no run reads another login's entry (body or ETag), the saved login's entries
    outlive any temporary login, and the store never holds more than the saved and the
    current login's (the other account's, never touched, aside)."""
    rng = random.Random(seed)
    stores = [Store.open_in(tmp_path), Store.open_in(tmp_path)]
    server, model = Server(), Model()
    try:
        other = Credential("other-token", who="zed")
        gateway = await one_run(stores[0], server, other, OTHER)
        await gateway.request("GET", "/a", cache_type="listing")
        await gateway.aclose()
        state: dict[str, Any] = {"keyring": Credential("key0", who="me")}
        for _ in range(40):
            await step(rng, (tmp_path, stores, server), model, state)
        assert server.foreign == []
        assert owners(tmp_path, OTHER) == {owner(OTHER, FINGERPRINTER.of(other))}
    finally:
        for store in stores:
            store.close()
