"""The real demo stack for headless runs: the simulator on loopback, the demo settings, the
SyncEngine over them, and a ZenApp on top. Used by `make screenshots` and the live UI tests.

Same path as `zen-tui --demo` (demo_settings -> wiring.build -> SyncEngine), but seeded,
without the scripted tour or background activity, and with short retry waits so faults show
within seconds. Waiting helpers poll the widgets, never the network.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from zen_tui.config import Settings
from zen_tui.demo import DEMO_BANNER, demo_settings
from zen_tui.simulator.server import SimulatorServer
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import ZenApp
from zen_tui.wiring import build

# GitHub down (503 everywhere) and a Jira 429 storm whose Retry-After is longer than the
# gateway will sleep inside one call, so it fails fast and the section goes stale at once.
GITHUB_OUTAGE: dict[str, Any] = {"service": "github", "outage": True}
JIRA_429_STORM: dict[str, Any] = {"service": "jira", "rate_limit_rate": 1.0, "retry_after": 600}


def fast(settings: Settings, *, breaker_timeout: float | None = None) -> Settings:
    """Short retry waits (and optionally a short breaker timeout); listings always revalidate."""
    gateway = {}
    for service, gs in settings.gateway.items():
        breaker = (
            gs.breaker if breaker_timeout is None else replace(gs.breaker, timeout=breaker_timeout)
        )
        listing = replace(gs.cache.types["listing"], ttl=0.0)
        gateway[service] = replace(
            gs,
            retry=replace(gs.retry, initial_wait=0.05, max_wait=0.2),
            breaker=breaker,
            cache=replace(gs.cache, types=gs.cache.types | {"listing": listing}),
        )
    return replace(settings, gateway=gateway)


@dataclass
class DemoStack:
    sim: SimulatorServer
    settings: Settings

    def engine(self) -> SyncEngine:
        return SyncEngine(build(self.settings))

    def app(self, engine: SyncEngine, **kwargs: Any) -> ZenApp:
        return ZenApp(engine, demo_banner=DEMO_BANNER, **kwargs)


@contextmanager
def demo_stack(
    data_dir: Path, *, seed: int = 1, size: int = 300, breaker_timeout: float | None = None
) -> Iterator[DemoStack]:
    """A seeded simulator for as long as the block runs, and fast demo settings for it."""
    with SimulatorServer(seed=seed, size=size) as sim:
        settings = fast(demo_settings(sim.accounts, data_dir), breaker_timeout=breaker_timeout)
        yield DemoStack(sim, settings)


async def wait_until(check: Callable[[], bool], what: str, within: float = 15.0) -> None:
    """Let the app run until `check()` holds; a clear error names what never happened."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


def pane_titles(app: ZenApp) -> dict[str, str]:
    """pane id -> its border title text (count and staleness badge), on the dashboard."""
    from zen_tui.ui.widgets.pane import ItemPane

    dash = app._dashboard()
    if dash is None:
        return {}
    return {p.pane: str(p.border_title or "") for p in dash.query(ItemPane)}


def breaker_lamps(app: ZenApp) -> dict[str, str]:
    """service -> breaker state shown on its gateway card."""
    from zen_tui.ui.widgets.gateway import ServiceCard

    dash = app._dashboard()
    if dash is None:
        return {}
    return {c.service: c.breaker for c in dash.query(ServiceCard)}


def all_live(app: ZenApp) -> bool:
    titles = pane_titles(app)
    return bool(titles) and all(t.endswith("live") for t in titles.values())
