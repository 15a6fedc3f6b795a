"""Shared fixtures for the GitHub look-alike tests (ASGITransport, a controllable clock).

Other simulator test modules define their own `world`/`sim`/`client`; a module's fixture wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import ManualClock
from tests.simulator.github_helpers import START
from zen_tui.simulator.app import build_app, make_token
from zen_tui.simulator.core.world import World
from zen_tui.simulator.github.service import GitHubSim


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
