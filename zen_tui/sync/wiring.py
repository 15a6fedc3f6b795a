"""From Settings to live parts: the store, one gateway and one service client per account.

Everything the engine and the headless commands need is built here, once, so no command
wires a gateway by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx

from zen_tui import paths
from zen_tui.auth.credentials import (
    Credential,
    CredentialProvider,
    EnvCredentialProvider,
    StaticCredentialProvider,
)
from zen_tui.config import AccountConfig, SectionConfig, Settings, section_infos
from zen_tui.gateway.cache import CachedEntry
from zen_tui.gateway.clock import Clock, SystemClock
from zen_tui.gateway.events import EventBus
from zen_tui.models import SectionInfo
from zen_tui.store import HttpCacheRow, Store

log = logging.getLogger("zen_tui.sync.wiring")


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


class ChainedCredentials:
    """Demo/test tokens held in memory first, then the environment variables from config."""

    def __init__(self, *providers: CredentialProvider) -> None:
        self.providers = providers

    async def get(self, account: str) -> Credential | None:
        for provider in self.providers:
            credential = await provider.get(account)
            if credential is not None:
                return credential
        return None

    async def refresh(self, account: str) -> Credential | None:
        for provider in self.providers:
            credential = await provider.refresh(account)
            if credential is not None:
                return credential
        return None


def credentials_for(accounts: list[AccountConfig]) -> CredentialProvider:
    static = {
        a.name: Credential(a.token, a.email if a.service == "jira" else None)
        for a in accounts
        if a.token
    }
    env = {a.name: (a.token_env, a.email) for a in accounts if a.token_env and not a.token}
    return ChainedCredentials(StaticCredentialProvider(static), EnvCredentialProvider(env))


def open_store(settings: Settings) -> Store:
    """The store at data_dir/zen-tui.db (created on first use). A corrupt or foreign file is
    moved aside by the store; say so (the CLI's log handler shows warnings on stderr)."""
    store = Store.open(paths.store_path(Path(settings.data_dir)))
    if store.recovered is not None:
        log.warning(store.recovered.message())
    return store


@dataclass
class Wired:
    settings: Settings
    store: Store
    bus: EventBus
    clock: Clock
    gateways: dict[str, Any]  # account -> Gateway
    clients: dict[str, Any]  # account -> ServiceClient
    sections: list[SectionInfo]
    limits: dict[str, int] = field(default_factory=dict)  # section id -> item limit

    async def aclose(self) -> None:
        for gateway in self.gateways.values():
            await gateway.aclose()


def build(
    settings: Settings,
    *,
    store: Store | None = None,
    bus: EventBus | None = None,
    credentials: CredentialProvider | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Wired:
    """Open the store (data_dir/zen-tui.db) and build a gateway + client per account."""
    from zen_tui.gateway import Gateway
    from zen_tui.services import make_client

    store = store or open_store(settings)
    bus = bus or EventBus()
    clock = clock or SystemClock()
    credentials = credentials or credentials_for(settings.accounts)
    cache = StoreCache(store)
    gateways: dict[str, Any] = {}
    clients: dict[str, Any] = {}
    for account in settings.accounts:
        gateway = Gateway(
            account=account.name,
            service=account.service,
            base_url=account.base_url,
            settings=settings.gateway_for(account.service),
            credentials=credentials,
            bus=bus,
            clock=clock,
            transport=transport,
            persistent_cache=cache,
        )
        gateways[account.name] = gateway
        clients[account.name] = make_client(cast(Any, account), cast(Any, gateway), clock=clock)
    infos = section_infos(settings)
    return Wired(settings, store, bus, clock, gateways, clients, infos, _limits(infos, settings))


def _limits(infos: list[SectionInfo], settings: Settings) -> dict[str, int]:
    configs: list[SectionConfig] = settings.sections
    return {info.id: config.limit for info, config in zip(infos, configs, strict=True)}
