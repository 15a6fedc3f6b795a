"""Issue 14 part 4: `s` edits the focused section's server query in place. The server checks it
first: a refused query leaves the dialog open with the server's words and the section on its
old query; a good one is used for the session, or saved to the config file in place
(comments kept, the file replaced in one step)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from tests.fakes.backend import FakeBackend
from tools.demo_stack import DemoStack, all_live, demo_stack, wait_until
from zen_tui.sync.engine import SyncEngine
from zen_tui.ui.app import DashboardOptions, ZenApp
from zen_tui.ui.screens.dashboard import DashboardScreen
from zen_tui.ui.screens.modals import QueryModal
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.wiring import build

from .conftest import WaitForWorkers, make_app

CONFIG = """\
# my zen-tui config
[[accounts]]
name = "gh"
service = "github"

[[sections]]  # the first PR section
pane = "prs"
title = "Review requested"
account = "gh"
query = "review-requested:@me"   # keep this comment

[[sections]]
pane = "prs"
title = "Mine"
account = "gh"
query = "author:@me"  # and this one
"""


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def dialog_error(app) -> str:
    return str(app.screen.query_one("#query-error", Label).render())


async def type_query(pilot, text: str) -> None:
    box = pilot.app.screen.query_one(Input)
    box.value = text
    await pilot.pause()


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def test_a_refused_query_stays_in_the_dialog_then_a_good_one_is_used(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = FakeBackend()
    backend.refuse_queries = {"is:nonsense": "422 Validation Failed: is:nonsense"}
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, QueryModal)
        assert pilot.app.screen.query_one(Input).value == "review-requested:@me"
        await type_query(pilot, "is:nonsense author:@me")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert isinstance(pilot.app.screen, QueryModal)  # still open, the server's words
        assert "422 Validation Failed: is:nonsense" in dialog_error(pilot.app)
        assert backend.sections[0].query == "review-requested:@me"
        await type_query(pilot, "author:@me is:open")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert isinstance(pilot.app.screen, DashboardScreen)
        assert backend.queries == [("prs:0:gh", "author:@me is:open")]
        assert "query set for this session" in status(pilot.app)
        pane = pilot.app.screen.query_one("#pane-prs")
        assert pane.section.query == "author:@me is:open"


async def test_ctrl_s_saves_the_query_into_the_config_keeping_comments(
    tmp_path: Path, wait_for_workers: WaitForWorkers
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o600)
    app = make_app(FakeBackend(), options=DashboardOptions(config_path=path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket", "s")  # the second PR section
        await pilot.pause()
        await type_query(pilot, 'author:@me label:"needs review"')
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert f"Mine: query set and saved to {path}" in status(pilot.app)
    text = path.read_text(encoding="utf-8")
    assert text == CONFIG.replace(
        'query = "author:@me"  # and this one',
        'query = "author:@me label:\\"needs review\\""  # and this one',
    )
    assert tomllib.loads(text)["sections"][1]["query"] == 'author:@me label:"needs review"'
    assert path.stat().st_mode & 0o777 == 0o600
    assert names(tmp_path) == ["config.toml"]  # no temp file left


async def test_without_a_config_file_ctrl_s_says_so_and_enter_still_works(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert "ctrl+s cannot save" in dialog_error(pilot.app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DashboardScreen) and backend.queries == []


@pytest.fixture
def stack(tmp_path: Path):
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


@pytest.mark.timeout(60)
async def test_s_against_the_simulator_bad_jql_then_a_good_one(stack: DemoStack) -> None:
    engine = SyncEngine(build(stack.settings))
    app: ZenApp = stack.app(engine)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        app.screen.query_one("#list-issues", ItemList).focus()
        await pilot.pause()
        await pilot.press("right_square_bracket")  # the Jira section
        await pilot.pause()
        jira = app.screen.query_one("#pane-issues").section
        old = jira.query
        assert jira.service == "jira"
        await pilot.press("s")
        await pilot.pause()
        await type_query(pilot, "status = = Done")
        await pilot.press("enter")
        await wait_until(lambda: "JQL" in dialog_error(app), "the server's JQL error")
        assert "Error in the JQL Query" in dialog_error(app), dialog_error(app)
        assert isinstance(app.screen, QueryModal)
        assert next(s for s in engine.sections if s.id == jira.id).query == old

        await type_query(pilot, "statusCategory = Done ORDER BY updated DESC")
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, DashboardScreen), "the dialog to close")
        assert next(s for s in engine.sections if s.id == jira.id).query.startswith(
            "statusCategory = Done"
        )
        issues = app.screen.query_one("#list-issues", ItemList)
        # the new query's rows come from a refresh against the server: wait for them
        await wait_until(
            lambda: issues.rows and {i.status for i in issues.rows} == {"Done"}, "Done issues"
        )

        app.screen.query_one("#list-prs", ItemList).focus()  # a GitHub search the server refuses
        await pilot.pause()
        prs = app.screen.query_one("#pane-prs").section
        await pilot.press("s")
        await pilot.pause()
        await type_query(pilot, "is:pr updated:>=someday")
        await pilot.press("enter")
        await wait_until(lambda: "refused" in dialog_error(app), "GitHub's 422")
        assert "github refused the query: Validation Failed" in dialog_error(app)
        assert next(s for s in engine.sections if s.id == prs.id).query == prs.query
