"""What the UI benchmarks share: a real store in a data folder, holding `rows` pull requests,
and the real engine over it with the pollers off (the paint measured is the local one).

Imported only where a dashboard is built anyway, so it adds nothing to a bare baseline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from zen_tui.config import Settings
from zen_tui.demo import demo_settings
from zen_tui.sync.engine import SyncEngine
from zen_tui.wiring import build

NOWHERE = "http://127.0.0.1:9"  # never called: the engine below does not poll


@dataclass(frozen=True)
class Account:  # what demo_settings needs to know about an account
    service: str
    name: str
    base_url: str = NOWHERE
    token: str = "bench-token-not-a-secret"
    username: str = "me"


class LocalOnlyEngine(SyncEngine):
    """The real engine and store, minus the pollers."""

    async def start(self) -> None:
        return None


def settings_for(data_dir: Path) -> Settings:
    accounts = [Account("github", "github"), Account("jira", "jira"), Account("slack", "slack")]
    return demo_settings(accounts, data_dir)


def make_store(data_dir: Path, rows: int) -> None:
    """A store whose first pull-request section holds `rows` items."""
    from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items  # not in a child

    engine = SyncEngine(build(settings_for(data_dir)))
    section = next(s for s in engine.sections if s.pane == "prs")
    engine.store.save_section(section.id, make_items(DEFAULT_SECTIONS[0], rows), FROZEN_NOW)
    asyncio.run(engine.stop())


def local_engine(data_dir: Path) -> LocalOnlyEngine:
    return LocalOnlyEngine(build(settings_for(data_dir)))
