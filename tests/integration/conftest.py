"""Integration fixtures: the simulator on a loopback port, real SQLite, real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from zen_tui.config import Settings
from zen_tui.demo import demo_settings
from zen_tui.gateway.clock import Clock, FakeClock
from zen_tui.gateway.settings import CacheTypeSettings
from zen_tui.models import ActionState
from zen_tui.simulator.server import SimulatorServer
from zen_tui.store.rows import OutboxEntry
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build, build_local, connect

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One keyring file (tests/unit/auth/file_keyring.py) for this process and any other the
    test starts, the only source of GitHub logins (no GH_TOKEN/GITHUB_TOKEN); after the test,
    the keyring before it, and logging shut down."""
    import keyring  # here: only the tests that ask for it load keyring

    from tests.unit.auth.file_keyring import ENV, FileKeyring
    from zen_tui.logs import shutdown_logging

    monkeypatch.setenv(ENV, str(tmp_path / "keyring.json"))
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)
    shutdown_logging()


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=7, size=300) as server:
        yield server


@pytest.fixture
def settings(sim: SimulatorServer, tmp_path: Path) -> Settings:
    return fast(demo_settings(sim.accounts, tmp_path))


def fast(settings: Settings, *, breaker_timeout: float = 0.5) -> Settings:
    """Test timings: short retry waits and breaker timeout; listings always revalidated."""
    gateway = {}
    for service, gs in settings.gateway.items():
        types = dict(gs.cache.types) | {"listing": CacheTypeSettings(ttl=0.0, maxsize=500)}
        gateway[service] = replace(
            gs,
            retry=replace(gs.retry, initial_wait=0.01, max_wait=0.05),
            breaker=replace(gs.breaker, timeout=breaker_timeout),
            cache=replace(gs.cache, types=types),
        )
    return replace(settings, gateway=gateway)


def engine_for(
    settings: Settings, clock: Clock | None = None, *, deferred: bool = False
) -> SyncEngine:
    """`deferred`: wired as the dashboard does, the gateways and clients built at start()."""
    if deferred:
        wired = build_local(settings, clock=clock)
        return SyncEngine(wired, connect=functools.partial(connect, wired))
    return SyncEngine(build(settings, clock=clock))


def virtual_waits() -> FakeClock:
    """A clock for an engine whose server answers over real sockets while the engine's own
    waits pass at once (a FakeClock started now): Jira's 503 says Retry-After: 5, which the
    gateway honours before its last attempt, five real seconds per refused send; a bulk
    task's status polls and the pacing of writes, likewise. Time jumps only when the loop
    is idle and no socket answer is awaited by a deadline (see FakeClock)."""
    return FakeClock(time.time())


async def first_try(
    engine: SyncEngine, entry: OutboxEntry, *, killed: bool, dies_after: float = 1.0
) -> None:
    """Send once under the fault; `killed`: the process dies mid-send, after the request
    went out (within `dies_after` s: mid-request or between retries), so the store keeps
    SENDING (as test_crash_transition leaves it)."""
    if not killed:
        await engine.outbox.send(entry)
        return
    engine.store.outbox_update(entry.id, state=ActionState.SENDING, attempt=True)
    client = engine.wired.clients[entry.action.account]
    with contextlib.suppress(Exception):  # the lost answer; the process dies anyway
        await asyncio.wait_for(
            client.apply(entry.action, idempotency_key=entry.idempotency_key), dies_after
        )


async def settle(settings: Settings, entry_id: str) -> OutboxEntry:
    """A new process: recover (a dead sender's SENDING becomes UNKNOWN), then replay."""
    engine = engine_for(settings)
    engine.outbox.recover()
    for _ in range(10):
        await engine.outbox.replay()
        entry = engine.store.outbox_get(entry_id)
        assert entry is not None, entry_id
        if entry.state in (ActionState.DONE, ActionState.FAILED):
            break
        await asyncio.sleep(0.05)
    await engine.stop()
    return entry
