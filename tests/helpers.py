"""Small helpers shared by test folders (no fixtures: those live in each folder's conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

if TYPE_CHECKING:
    from zen_tui.simulator.core import ServiceSim


class ManualClock:
    """A `() -> float` clock that stands still until a test sets `now`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def mounted_client(
    sim: ServiceSim, path: str = "", headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-memory client of one simulated service alone (no fault middleware), at its prefix."""
    app = Starlette(routes=[Mount(sim.prefix, routes=sim.routes())])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://sim{sim.prefix}{path}",
        headers=headers,
    ) as client:
        yield client
