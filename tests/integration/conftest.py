"""Integration fixtures: the simulator on a loopback port, real SQLite, real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from zen_tui.config import Settings
from zen_tui.demo import demo_settings
from zen_tui.gateway.clock import Clock
from zen_tui.gateway.settings import CacheTypeSettings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

REPO_ROOT = Path(__file__).resolve().parents[2]


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


def engine_for(settings: Settings, clock: Clock | None = None) -> SyncEngine:
    return SyncEngine(build(settings, clock=clock))
