"""Gateway test kit: FakeClock, a recording bus, a gateway factory over respx or MockTransport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from msgspec.structs import replace

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import Event, EventBus
from zen_tui.gateway.settings import GatewaySettings, RetrySettings, default_settings

BASE = "https://api.test"
TOKEN = "ghp_" + "SECRETtoken1234567890"  # fake, built at run time


def near(value: float) -> Any:
    """approx with an absolute tolerance: epoch seconds make the default relative one useless."""
    return pytest.approx(value, abs=0.01)


class Recorder:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        bus.subscribe(self.events.append)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


def settings_for(service: str = "github", **retry: Any) -> GatewaySettings:
    """Design defaults, but deterministic retries (no jitter) unless asked otherwise."""
    base = default_settings(service)
    return replace(base, retry=replace(RetrySettings(jitter=False), **retry))


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(clock: FakeClock, bus: EventBus) -> Iterator[GatewayFactory]:
    made: list[Gateway] = []

    def factory(
        settings: GatewaySettings | None = None,
        *,
        service: str = "github",
        account: str = "github:me",
        credential: Credential | None = None,
        handler: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> Gateway:
        creds = StaticCredentialProvider({account: credential or Credential(TOKEN)})
        transport = httpx.MockTransport(handler) if handler else None
        gw = Gateway(
            account=account,
            service=service,
            base_url=BASE,
            settings=settings or settings_for(service),
            credentials=kwargs.pop("credentials", creds),
            bus=bus,
            clock=clock,
            transport=transport,
            **kwargs,
        )
        made.append(gw)
        return gw

    yield factory
