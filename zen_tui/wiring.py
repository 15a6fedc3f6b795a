"""The composition root: from Settings to live parts (the store, one gateway and one service
client per account, the credentials chain). Two halves: the local part (build_local: store,
bus, sections), and the network part (connect: gateways, clients, credentials), which the
dashboard builds after its first paint.

Everything the engine and the headless commands need is built here, once, so no command
wires a gateway by hand. It sits at the top of the package because it knows every layer
(auth's providers, the gateway, the services, the store); the layers below know none of it.
"""

from __future__ import annotations

import functools
import logging
import threading
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from zen_tui.config import AccountConfig, SectionConfig, Settings, section_infos
from zen_tui.events import EventBus
from zen_tui.gateway.cache import CachedEntry
from zen_tui.gateway.clock import Clock, SystemClock
from zen_tui.gateway.credentials import Credential, CredentialProvider, StaticCredentialProvider
from zen_tui.gateway.errors import AuthExpired, LoginUnreadable
from zen_tui.gateway.identity import Fingerprinter
from zen_tui.models import RatePause, SectionInfo
from zen_tui.paths import cache_key_path
from zen_tui.store import HttpCacheRow, Store
from zen_tui.store.rows import StoreFull
from zen_tui.sync.freshness import one_line
from zen_tui.sync.wired import Wired

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    # The request stack (httpx, the auth providers) is imported by `build` and
    # `credentials_for` alone, so a command that only opens the store stays light.
    import httpx

    from zen_tui.gateway.gateway import Gateway
    from zen_tui.services.base import ServiceClient

log = logging.getLogger("zen_tui.wiring")
# The dashboard builds each account in its own thread: the request stack is imported by one
# at a time (two threads importing the same circular package can see it half-initialised).
_IMPORTING = threading.Lock()


class StoreCache:
    """The gateway's persistent cache over the store, so validators survive restarts."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, key: str) -> CachedEntry | None:
        row = self.store.http_get(key)
        if row is None:
            return None
        return CachedEntry(
            row.status, dict(row.headers), row.body, row.etag, row.last_modified, row.fetched_at
        )

    def save(self, key: str, entry: CachedEntry) -> None:
        self.store.http_put(
            HttpCacheRow(
                key,
                entry.status,
                dict(entry.headers),
                entry.body,
                entry.etag,
                entry.last_modified,
                entry.fetched_at,
            )
        )

    def keep_only(self, account: str, owner: str | None, *, local: bool = False) -> None:
        self.store.http_keep_only(account, owner, local=local)

    def login_is(self, account: str, login: str | None) -> None:
        # The saved sections and queued actions of an earlier user go (or are held) too.
        with suppress(StoreFull):  # then the next process to learn the login does it
            self.store.login_switch(account, login)


class StorePauses:
    """The gateways' rate-limit pauses (gateway/pauses.py) kept in the store, where every
    process on the data folder and the next start find them (store/pauses.py)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def version(self) -> object:
        return self.store.pauses_version()

    def load(self, account: str) -> list[RatePause]:
        return self.store.rate_pauses(account)

    def save(self, pause: RatePause) -> None:
        self.store.save_rate_pause(pause)

    def ended(self, account: str, scope: str, now: float) -> None:
        self.store.end_rate_pause(account, scope, now)


class ChainedCredentials:
    """Demo/test tokens held in memory first, then the environment and the OS keyring."""

    def __init__(self, *providers: CredentialProvider) -> None:
        self.providers = providers

    async def get(self, account: str) -> Credential | None:
        return await self._first(lambda provider: provider.get(account))

    async def refresh(self, account: str) -> Credential | None:
        return await self._first(lambda provider: provider.refresh(account))

    async def _first(
        self, ask: Callable[[CredentialProvider], Awaitable[Credential | None]]
    ) -> Credential | None:
        """The answer of the first provider that has one: their order is the precedence."""
        for provider in self.providers:
            credential = await ask(provider)
            if credential is not None:
                return credential
        return None


class LoginRequired:
    """The keyring provider, whose misses say how to log in: an account with no token gets
    AuthExpired with 'not logged in' and the fix, so its panes offer a new login instead of a
    bare 'no token'; a keyring that cannot be read now gets LoginUnreadable with the
    keyring's advice: not a logout, so the gateway drops nothing of the account."""

    def __init__(self, accounts: list[AccountConfig], inner: CredentialProvider) -> None:
        self.accounts = {a.name: a for a in accounts}
        self.inner = inner

    async def get(self, account: str) -> Credential | None:
        try:
            credential = await self.inner.get(account)
        except LoginUnreadable as exc:  # the keyring cannot be read: keep its advice
            raise self._unreadable(account, exc.message) from None
        if credential is None and account in self.accounts:
            raise self._expired(account)
        return credential

    async def refresh(self, account: str) -> Credential | None:
        if account not in self.accounts:
            return None  # a demo token: never look it up in the keyring
        return await self.inner.refresh(account)

    def _unreadable(self, account: str, advice: str) -> LoginUnreadable:
        config = self.accounts.get(account)
        service = config.service if config is not None else "unknown"
        message = f"cannot read the login: {advice}"
        return LoginUnreadable(service=service, account=account, message=message)

    def _expired(self, account: str) -> AuthExpired:
        config = self.accounts.get(account)
        fix = f"run `zen-tui auth login {account}`"
        if config is not None:
            from zen_tui.auth.ambient import env_vars  # the logins other tools already use

            names = [config.token_env] if config.token_env else []
            names += list(env_vars(config))
            if names:
                fix += " or set " + " or ".join(f"${n}" for n in names)
            if config.service == "github" and env_vars(config):
                fix += " or run `gh auth login`"
        # No token is "not logged in" (never, or logged out on purpose), not "expired".
        service = config.service if config is not None else "unknown"
        return AuthExpired(service=service, account=account, message=f"not logged in: {fix}")


def credentials_for(accounts: list[AccountConfig]) -> CredentialProvider:
    """Demo tokens from memory; every other account: its token_env variable, else the keyring
    (with refresh). The keyring is only touched for accounts without a demo token."""
    static = {
        a.name: Credential(a.token, a.email if a.service == "jira" else None)
        for a in accounts
        if a.token
    }
    others = [a for a in accounts if not a.token]
    if not others:
        return StaticCredentialProvider(static)
    keyring = LoginRequired(others, DeferredKeyring(others))
    return ChainedCredentials(StaticCredentialProvider(static), keyring)


class DeferredKeyring:
    """The keyring provider, imported and built at the first token lookup: the keyring
    package and the login stack then load after the dashboard's first paint, not before."""

    def __init__(self, accounts: list[AccountConfig]) -> None:
        self.accounts = accounts
        self._inner: CredentialProvider | None = None

    def _provider(self) -> CredentialProvider:
        if self._inner is None:
            from zen_tui.auth.provider import KeyringCredentialProvider

            self._inner = KeyringCredentialProvider(self.accounts)
        return self._inner

    async def get(self, account: str) -> Credential | None:
        return await self._provider().get(account)

    async def refresh(self, account: str) -> Credential | None:
        return await self._provider().refresh(account)


def open_store(settings: Settings) -> Store:
    """The store in the configured data folder (see Store.open_in)."""
    return Store.open_in(Path(settings.data_dir))


def build(
    settings: Settings,
    *,
    store: Store | None = None,
    bus: EventBus | None = None,
    credentials: CredentialProvider | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Wired:
    """Open the store (data_dir/zen-tui.db) and build a gateway + client per account: the
    local part (build_local), then the network part (connect), at once."""
    wired = build_local(settings, store=store, bus=bus, clock=clock)
    wired.rebuild = functools.partial(_rebuild, wired, credentials=credentials, transport=transport)
    gateways, clients, failed = connect(wired, credentials=credentials, transport=transport)
    if failed:  # a headless command needs every account: the first failure stops it
        for gateway in gateways.values():  # unused: let go of them too
            gateway.discard()
        raise next(iter(failed.values()))
    wired.gateways.update(gateways)
    wired.clients.update(clients)
    return wired


def build_local(
    settings: Settings,
    *,
    store: Store | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
) -> Wired:
    """What the dashboard's first screen needs: the store, the bus, the sections. No gateway
    or client yet (their dicts are empty): `connect` builds those."""
    store = store or open_store(settings)
    infos = section_infos(settings)
    limits = _limits(infos, settings)
    wired = Wired(settings, store, bus or EventBus(), clock or SystemClock(), {}, {}, infos, limits)
    wired.rebuild = functools.partial(_rebuild, wired)
    return wired


# The gateways and clients built, and why each account that could not be built failed.
Network = tuple[dict[str, "Gateway"], dict[str, "ServiceClient"], dict[str, Exception]]


def connect(
    wired: Wired,
    only: str | None = None,
    *,
    credentials: CredentialProvider | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    again: bool = False,
) -> Network:
    """A gateway and a service client per account (`only`: that account alone), returned
    (not yet in `wired`). Imports the request stack (httpx, the services) and, for a Jira
    account logged in through the keyring, reads its stored base URL: blocking, so the
    dashboard runs it in a thread per account after its first paint. The gateway calls the
    REST base a stored login names; the client keeps the configured base_url, which its
    browse links are built from.

    Each account on its own: one whose build raises (its keyring read, a bad setting) is
    returned with its error, the others are built. Accounts already in `wired.gateways` are
    skipped, so a retry builds only those that failed; `again` builds them anyway (after a
    login: its new token, and a Jira 3LO login's REST base)."""
    with _IMPORTING:
        from zen_tui.gateway import Gateway
        from zen_tui.services import make_client

    settings = wired.settings
    if credentials is None:  # one provider per run: its refresh lock is per account
        if wired.credentials is None:
            wired.credentials = credentials_for(settings.accounts)
        credentials = wired.credentials
    cache = StoreCache(wired.store)
    pauses = StorePauses(wired.store)
    fingerprinter = Fingerprinter.kept_at(cache_key_path(Path(settings.data_dir)))
    gateways: dict[str, Gateway] = {}
    clients: dict[str, ServiceClient] = {}
    failed: dict[str, Exception] = {}
    for account in settings.accounts:
        if (account.name in wired.gateways and not again) or only not in (None, account.name):
            continue
        gateway: Gateway | None = None
        try:
            gateway = Gateway(
                account=account.name,
                service=account.service,
                base_url=_rest_base(account),  # Jira 3LO: reads the keyring, which may raise
                settings=settings.gateway_for(account.service),
                credentials=credentials,
                bus=wired.bus,
                clock=wired.clock,
                transport=transport,
                persistent_cache=cache,
                fingerprinter=fingerprinter,
                pauses=pauses,
            )
            client = make_client(account, gateway, clock=wired.clock)
        except Exception as exc:  # this account's alone: the others still sync
            if gateway is not None:  # built, but no client will use it: let it go
                gateway.discard()
            log.warning("could not set up %s: %s", account.name, one_line(exc))
            failed[account.name] = exc
            continue
        gateways[account.name] = gateway
        clients[account.name] = client
    return gateways, clients, failed


def _rebuild(
    wired: Wired,
    account: str,
    *,
    credentials: CredentialProvider | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Network:
    """Wired.rebuild: `connect` for this account alone, built or not, over the run's
    credentials provider (it reads the keyring at each lookup, so it sees the new login)."""
    return connect(wired, account, credentials=credentials, transport=transport, again=True)


def _rest_base(account: AccountConfig) -> str:
    """Only a Jira account without a configured token can have a stored 3LO base URL; the
    others skip the keyring (and its import) entirely."""
    if account.service != "jira" or account.token:
        return account.base_url
    with _IMPORTING:  # the import alone: the keyring read below may take its time
        from zen_tui.auth.provider import effective_base_url

    return effective_base_url(account)


def _limits(infos: list[SectionInfo], settings: Settings) -> dict[str, int]:
    configs: list[SectionConfig] = settings.sections
    return {info.id: config.limit for info, config in zip(infos, configs, strict=True)}
