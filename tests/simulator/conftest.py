"""Shared fixtures for the simulator tests (ASGITransport, a controllable clock).

GitHub: `clock`, `world`, `sim`, `gh`; the whole simulator: `client`. Jira: `jira` (a site
alone on `jira_clock`, at the Jira tests' NOW) and `jira_client` (Basic auth on the module's
`jira`). Other simulator test modules define their own `world`/`sim`/`jira`/`client`; a
module's fixture wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import ManualClock, mounted_client
from tests.simulator.github_helpers import START
from tests.simulator.jira_helpers import EMAIL, NOW, TOKEN, basic
from zen_tui.simulator.app import build_app, make_token
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.simulator.jira.service import JiraSim


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def world(clock: ManualClock) -> World:
    world = World(seed=7, size=400, clock=clock)
    world.add(GitHubSim(world, make_token(7, "github")))
    return world


@pytest.fixture
def sim(world: World) -> GitHubSim:
    sim = world.services["github"]
    assert isinstance(sim, GitHubSim)
    return sim


@pytest.fixture
async def gh(world: World, sim: GitHubSim) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(world))
    headers = {"Authorization": f"Bearer {sim.token}", "X-GitHub-Api-Version": "2022-11-28"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim/github", headers=headers
    ) as client:
        yield client


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """The whole simulator (every service of the module's `world`), no token."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(world)), base_url="http://sim"
    ) as c:
        yield c


@pytest.fixture
def jira_clock() -> ManualClock:
    """The `jira` site's clock, at NOW."""
    return ManualClock(NOW)


@pytest.fixture
def jira(jira_clock: ManualClock) -> JiraSim:
    """A Jira site alone in its own world (seed 7, 300 Jira issues), on `jira_clock`."""
    world = World(seed=7, size=1000, clock=jira_clock)
    sim = JiraSim(world, TOKEN, EMAIL)
    world.add(sim)
    return sim


@pytest.fixture
async def jira_client(jira: JiraSim) -> AsyncIterator[httpx.AsyncClient]:
    """The module's `jira` mounted in memory, as its seeded user (Basic auth)."""
    async with mounted_client(jira, headers=basic()) as c:
        yield c
