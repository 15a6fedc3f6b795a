"""What the UI benchmarks share: a real store in a data folder, holding `rows` pull requests,
and the real engine over it with the pollers off (the paint measured is the local one); or,
for a start through the real command line, a config file naming the same accounts and
sections (logins in the keyring, servers nowhere).

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
# The accounts and sections settings_for has, as a user writes them: no tokens (the keyring
# holds the logins), the servers at NOWHERE (a poll is refused at once: no network).
CONFIG = f"""
[[accounts]]
name = "github"
service = "github"
base_url = "{NOWHERE}"

[[accounts]]
name = "jira"
service = "jira"
base_url = "{NOWHERE}"
email = "me@example.com"

[[accounts]]
name = "slack"
service = "slack"
base_url = "{NOWHERE}"

[[sections]]
pane = "prs"
title = "Review requested"
account = "github"
query = "is:pr is:open review-requested:@me"

[[sections]]
pane = "prs"
title = "My pull requests"
account = "github"
query = "is:pr is:open author:@me"

[[sections]]
pane = "issues"
title = "Assigned to me"
account = "github"
query = "is:issue is:open assignee:@me"

[[sections]]
pane = "issues"
title = "Jira: mine"
account = "jira"
jql = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"

[[sections]]
pane = "messages"
title = "Mentions"
account = "slack"
query = "mentions"

[[sections]]
pane = "messages"
title = "#dev"
account = "slack"
channels = ["#dev"]
"""


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


def write_config(path: Path) -> Path:
    path.write_text(CONFIG, encoding="utf-8")
    return path


def make_store(data_dir: Path, rows: int, settings: Settings | None = None) -> None:
    """A store whose first pull-request section holds `rows` items."""
    from tests.fakes.backend import DEFAULT_SECTIONS, FROZEN_NOW, make_items  # not in a child

    engine = SyncEngine(build(settings or settings_for(data_dir)))
    section = next(s for s in engine.sections if s.pane == "prs")
    engine.store.save_section(section.id, make_items(DEFAULT_SECTIONS[0], rows), FROZEN_NOW)
    asyncio.run(engine.stop())


def local_engine(data_dir: Path) -> LocalOnlyEngine:
    return LocalOnlyEngine(build(settings_for(data_dir)))
