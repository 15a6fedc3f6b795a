"""The live parts the sync engine runs on, as the composition root (`zen_tui.wiring`)
builds them: the engine takes them whole, so it never wires a gateway itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from zen_tui.config import Settings
from zen_tui.events import EventBus
from zen_tui.gateway.clock import Clock
from zen_tui.models import SectionInfo
from zen_tui.store import Store

if TYPE_CHECKING:
    from zen_tui.gateway.gateway import Gateway
    from zen_tui.services.base import ServiceClient
else:
    # The gateway and the services load after the dashboard's first frame (start order), so at
    # run time the names stand for any value: msgspec can still read Wired's fields
    # (msgspec.structs.fields resolves them) without importing them.
    Gateway = ServiceClient = Any


class Wired(msgspec.Struct):
    settings: Settings
    store: Store
    bus: EventBus
    clock: Clock
    gateways: dict[str, Gateway]  # account -> its gateway
    clients: dict[str, ServiceClient]  # account -> its service client
    sections: list[SectionInfo]
    limits: dict[str, int] = msgspec.field(default_factory=dict)  # section id -> item limit

    async def aclose(self) -> None:
        for gateway in self.gateways.values():
            await gateway.aclose()
