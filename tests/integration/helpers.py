"""Helpers shared by the integration tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from zen_tui.sync.engine import SyncEngine


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
