"""Helpers shared by the integration tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from zen_tui.sync.engine import SyncEngine


@contextlib.asynccontextmanager
async def running(engine: SyncEngine, transport: httpx.AsyncBaseTransport) -> AsyncIterator[None]:
    """`engine` started; on the way out, whatever happened inside, stopped and `transport`
    (the loopback one a test's recording wire wraps: no gateway closes it) closed."""
    await engine.start()
    try:
        yield
    finally:
        await engine.stop()
        await transport.aclose()
