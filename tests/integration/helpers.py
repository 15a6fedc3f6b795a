"""Helpers shared by the integration tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx

from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine

# A world of 40: 20 GitHub items, 6 open pull requests (one page of search results), against
# the default 300's 150 and a full page of 50. For tests about logins, not listings: they
# poll hundreds of times, and a poll of 50 rows (rendered by the simulator, parsed and
# stored by the client) costs about three times one of a few.
LOGIN_WORLD = 40


@contextlib.asynccontextmanager
async def running(
    engine: SyncEngine, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[None]:
    """`engine` started; on the way out, whatever happened inside, stopped and `transport`
    (if given: the loopback one a test's recording wire wraps, which no gateway closes)
    closed."""
    await engine.start()
    try:
        yield
    finally:
        await engine.stop()
        if transport is not None:
            await transport.aclose()


@contextlib.contextmanager
def login_simulator(*, rate_scale: float = 1.0) -> Iterator[SimulatorServer]:
    """The simulator on a small world (LOGIN_WORLD), seed 7 as the `sim` fixture's; GitHub's
    search budget `rate_scale` times the real one (for tests that poll after every step)."""
    with SimulatorServer(seed=7, size=LOGIN_WORLD, rate_scale=rate_scale) as server:
        yield server
