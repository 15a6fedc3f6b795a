"""The set-up the real Jira client tests share: the simulator on a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zen_tui.simulator.jira.service import JiraSim
from zen_tui.simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[SimulatorServer]:
    """One simulator for the module, seeded with its SIM_SEED (what its tests were written on)."""
    with SimulatorServer(seed=request.module.SIM_SEED, size=300) as srv:
        yield srv


@pytest.fixture(scope="module")
def sim(server: SimulatorServer) -> JiraSim:
    """The server's Jira."""
    jira = server.world.services["jira"]
    assert isinstance(jira, JiraSim)
    return jira
