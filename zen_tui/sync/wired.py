"""The live parts the sync engine runs on, as the composition root (`zen_tui.wiring`)
builds them: the engine takes them whole, so it never wires a gateway itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from zen_tui.config import Settings
from zen_tui.events import EventBus
from zen_tui.gateway.clock import Clock
from zen_tui.models import SectionInfo
from zen_tui.store import Store

if TYPE_CHECKING:
    from zen_tui.gateway.credentials import CredentialProvider
    from zen_tui.gateway.gateway import Gateway
    from zen_tui.services.base import ServiceClient
else:
    # The gateway and the services load after the dashboard's first frame (start order), so at
    # run time the names stand for any value: msgspec can still read Wired's fields
    # (msgspec.structs.fields resolves them) without importing them.
    Gateway = ServiceClient = CredentialProvider = Any

# Builds one account's gateway and client again (wiring.connect with `again`): the gateways,
# the clients, and why the account could not be built.
Rebuild = Callable[[str], tuple[dict[str, Gateway], dict[str, ServiceClient], dict[str, Exception]]]


class Wired(msgspec.Struct):
    settings: Settings
    store: Store
    bus: EventBus
    clock: Clock
    gateways: dict[str, Gateway]  # account -> its gateway
    clients: dict[str, ServiceClient]  # account -> its service client
    sections: list[SectionInfo]
    limits: dict[str, int] = msgspec.field(default_factory=dict)  # section id -> item limit
    # Set by the composition root: after a login, the engine rebuilds that account with it
    # (the new credentials and, for Jira 3LO, the new REST base). None: no rebuild.
    rebuild: Rebuild | None = None
    # The credentials every gateway of this run asks (made at the first build): one provider,
    # so a rebuilt gateway and a retired one never spend a rotating refresh token twice.
    credentials: CredentialProvider | None = None

    async def aclose(self) -> None:
        for gateway in self.gateways.values():
            await gateway.aclose()
