"""Services test kit: the real Gateway over respx routes, a FakeClock, contract loaders."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import respx
from msgspec.structs import replace

from zen_tui.gateway import FakeClock, Gateway
from zen_tui.gateway.credentials import Credential, StaticCredentialProvider
from zen_tui.gateway.events import EventBus
from zen_tui.gateway.settings import GatewaySettings, RetrySettings, default_settings
from zen_tui.models import SectionInfo
from zen_tui.services.github import GitHubClient
from zen_tui.services.jira import JiraClient
from zen_tui.services.slack import SlackClient

BASES = {
    "github": "https://api.test",
    "jira": "https://site.test",
    "slack": "https://slack.test/api",
}


@dataclass(frozen=True)
class Account:
    name: str
    service: str
    base_url: str
    user: str | None = None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def make_gateway(clock: FakeClock) -> Iterator[Callable[[str], Gateway]]:
    made: list[Gateway] = []

    def factory(service: str) -> Gateway:
        settings = default_settings(service)
        settings = replace(settings, retry=RetrySettings(jitter=False, max_attempts=2))
        creds = StaticCredentialProvider({service: Credential("test-token")})
        gateway = Gateway(
            account=service,
            service=service,
            base_url=BASES[service],
            settings=settings,
            credentials=creds,
            clock=clock,
        )
        made.append(gateway)
        return gateway

    yield factory


# ---- a client of each service on that gateway (a module wanting another set-up defines its own)


@pytest.fixture
def gh(make_gateway: Callable[[str], Gateway]) -> GitHubClient:
    account = Account("github", "github", BASES["github"], user="me")
    return GitHubClient(account, make_gateway("github"))


@pytest.fixture
def myself(router: respx.MockRouter, contracts: Path) -> respx.Route:
    """GET /myself from the contract: accountId 5b10..., timeZone Australia/Sydney."""
    return router.get(f"{BASES['jira']}/rest/api/3/myself").respond(
        200, json=load(contracts, "jira-cloud-platform/examples/GET_myself.200.json")
    )


@pytest.fixture
def jira(
    make_gateway: Callable[[str], Gateway], clock: FakeClock, myself: respx.Route
) -> JiraClient:
    account = Account("jira", "jira", BASES["jira"])
    return JiraClient(account, make_gateway("jira"), clock=clock)


@pytest.fixture
def slack(make_gateway: Callable[[str], Gateway], clock: FakeClock) -> SlackClient:
    account = Account("slack", "slack", BASES["slack"])
    return SlackClient(account, make_gateway("slack"), clock=clock)


def section(service: str, query: str, pane: str = "prs") -> SectionInfo:
    return SectionInfo(
        id=f"{pane}:0:{service}",
        pane=pane,
        title="t",
        account=service,
        service=service,
        query=query,
    )  # type: ignore[arg-type]


def load(contracts: Path, rel: str) -> Any:
    return json.loads((contracts / rel).read_text())


def body_of(call: Any) -> Any:
    return json.loads(call.request.content)


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """The simulator on a loopback socket, one per test module (each module mutates it)."""
    from zen_tui.simulator.server import SimulatorServer

    with SimulatorServer(seed=7, size=120) as server:
        yield server


def sim_gateway(
    sim: Any,
    service: str,
    *,
    token: str | None = None,
    settings: GatewaySettings | None = None,
    clock: FakeClock | None = None,
    bus: EventBus | None = None,
) -> Gateway:
    """A real Gateway to the simulator's `service` account, logged in as its user (or with
    `token`), on `settings` (the defaults if none), `clock` and `bus` (its events); the
    caller closes it."""
    acc = sim.account(service)
    username = acc.username if service == "jira" else None  # Jira: Basic email:token
    return Gateway(
        account=acc.name,
        service=service,
        base_url=acc.base_url,
        settings=settings or default_settings(service),
        credentials=StaticCredentialProvider({acc.name: Credential(token or acc.token, username)}),
        clock=clock,
        bus=bus,
    )


@pytest.fixture
async def sim_client(sim: Any, clock: FakeClock) -> Any:
    """make_client(service) over a real Gateway to the simulator; the client paces on `clock`."""
    from zen_tui.services import make_client

    gateways: list[Gateway] = []

    def factory(service: str) -> Any:
        gateway = sim_gateway(sim, service)
        gateways.append(gateway)
        return make_client(sim.account(service), gateway, clock=clock)

    yield factory
    for gateway in gateways:
        await gateway.aclose()


@contextmanager
def jira_on_virtual_time(sim: Any) -> Iterator[FakeClock]:
    """One virtual clock for the client and the module's simulator, its Jira budgets fresh (the
    tests before spent from them); afterwards its faults cleared, its budgets back to the
    class's figures and its own clock back."""
    clock = FakeClock(start=time.time())
    jira = sim.world.services["jira"]
    real, sim.world.clock = sim.world.clock, clock.time
    with sim.world.lock:
        jira.bursts.clear()
        jira.issue_writes.clear()
        jira.quota.used = 0  # the points quota follows the world's clock: now this one
    yield clock
    sim.clear_faults()
    for name in ("burst_per_minute", "issue_writes_per_minute", "points_per_hour"):
        vars(jira).pop(name, None)
    sim.world.clock = real


@asynccontextmanager
async def jira_on_one_clock(sim: Any) -> AsyncIterator[JiraClient]:
    """A Jira client to the simulator whose gateway (its limiter too) and the simulator's
    budgets all read one virtual clock: a test of many calls (paging, bulk moves) is not
    paced out in real seconds by the limiter, while each call still crosses the socket."""
    from zen_tui.services import make_client

    with jira_on_virtual_time(sim) as clock:
        gateway = sim_gateway(sim, "jira", clock=clock)
        try:
            yield make_client(sim.account("jira"), gateway, clock=clock)
        finally:
            await gateway.aclose()


@asynccontextmanager
async def jira_ending_at_long_waits(sim: Any, clock: FakeClock) -> AsyncIterator[JiraClient]:
    """A Jira client to the simulator on `clock` whose call ends at a 429 with a Retry-After
    past 5 s: the pause that 429 set is what the rate-limit tests look at."""
    async with ending_at_long_waits(sim, clock, "jira") as client:
        yield client


@asynccontextmanager
async def ending_at_long_waits(sim: Any, clock: FakeClock, service: str) -> AsyncIterator[Any]:
    """`service`'s client to the simulator on `clock`, its calls ending at a 429 with a
    Retry-After past 5 s (see jira_ending_at_long_waits)."""
    from zen_tui.services import make_client

    settings = default_settings(service)
    settings = replace(settings, retry=replace(settings.retry, max_server_wait=5.0))
    gateway = sim_gateway(sim, service, settings=settings, clock=clock)
    yield make_client(sim.account(service), gateway, clock=clock)
    await gateway.aclose()


@pytest.fixture
async def watched(sim: Any) -> AsyncIterator[tuple[Any, Any]]:
    """A Slack client on a real gateway to the simulator whose events feed a HealthModel."""
    from zen_tui.services import make_client
    from zen_tui.ui.health_model import HealthModel

    bus, model = EventBus(), HealthModel()
    bus.subscribe(model.apply)
    clock = FakeClock()
    gateway = sim_gateway(sim, "slack", clock=clock, bus=bus)
    yield make_client(sim.account("slack"), gateway, clock=clock), model
    sim.clear_faults()
    await gateway.aclose()
