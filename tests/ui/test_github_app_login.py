"""Over the REAL stack (simulator on loopback, SyncEngine, SQLite, ZenApp): logged in to
GitHub with a GitHub App's user access token (ghu_), which GitHub does not let search issues
and pull requests together, a section of both (`involves:@me is:open` in the Inbox pane)
shows its rows, live, newest first, instead of the refusal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from tools.demo_stack import DemoStack, demo_stack, wait_until
from zen_tui.config_schema import SectionConfig
from zen_tui.models import PullRequest
from zen_tui.redaction import register_secret
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.store.codec import sort_key

from .test_inbox_live import WIDE, live, rows

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


def app_login(stack: DemoStack) -> tuple[DemoStack, GitHubSim]:
    """The GitHub account as a GitHub App's device flow would log it in, with one Inbox
    section of issues and PRs."""
    sim = stack.sim.world.services["github"]
    assert isinstance(sim, GitHubSim)
    sim.device_flow_github_app = True
    token = sim.new_device_token()
    register_secret(token)
    accounts = [
        msgspec.structs.replace(a, token=token) if a.service == "github" else a
        for a in stack.settings.accounts
    ]
    gh = next(a for a in accounts if a.service == "github")
    mine = SectionConfig("inbox", "Mine", gh.name, query="involves:@me is:open", limit=200)
    settings = msgspec.structs.replace(
        stack.settings, accounts=accounts, sections=[*stack.settings.sections, mine]
    )
    return replace(stack, settings=settings), sim


async def test_a_section_of_issues_and_prs_shows_its_rows(stack: DemoStack) -> None:
    stack, sim = app_login(stack)
    want = {
        f"{i.repo.full_name}#{i.number}"
        for i in sim.state.items
        if i.involves("me") and i.state == "open"
    }
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(3):  # prs -> issues -> messages -> inbox
            await pilot.press("tab")
        await wait_until(lambda: live(app, "inbox") and bool(rows(app, "inbox")), "the inbox")
        listed = [i for i in rows(app, "inbox") if i.service == "github"]
        assert {i.key for i in listed} == want
        assert {isinstance(i, PullRequest) for i in listed} == {True, False}
        stamps = [sort_key(i.updated_at) for i in listed]
        assert stamps == sorted(stamps, reverse=True)
        status = str(app.screen.query_one("#status").render())
        assert "refused" not in status and "Traceback" not in status
