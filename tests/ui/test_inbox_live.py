"""Pilot tests over the REAL stack (simulator on loopback, SyncEngine, SQLite, ZenApp):
the PR diff in the preview (D), GitHub notifications marked read (u) and done (z) through
the outbox with unread rows first, and the Inbox pane merging three services newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest
from textual.color import Color

from tests.ui.test_theme_signals import colour_of
from tools.demo_stack import DemoStack, demo_stack, wait_until
from zen_tui.config_schema import SectionConfig, inbox_section
from zen_tui.models import Item, PullRequest
from zen_tui.simulator.github.files import FileChange, long_patch
from zen_tui.simulator.github.service import GitHubSim
from zen_tui.store.codec import sort_key
from zen_tui.ui.app import ZenApp
from zen_tui.ui.widgets.diff_view import ADD, DEL, FILE_LINES
from zen_tui.ui.widgets.item_list import ItemList, meta
from zen_tui.ui.widgets.pane import ItemPane
from zen_tui.ui.widgets.preview import Preview

from .conftest import preview_text

pytestmark = pytest.mark.timeout(60)
WIDE = (140, 40)
HOSTILE = "[bold red]not markup[/] \x1b[2J"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=120) as s:
        yield s


def github(stack: DemoStack) -> GitHubSim:
    sim = stack.sim.world.services["github"]
    assert isinstance(sim, GitHubSim)
    return sim


def rows(app: ZenApp, pane: str) -> list[Item]:
    return app.screen.query_one(f"#list-{pane}", ItemList).rows


def live(app: ZenApp, pane: str) -> bool:
    title = str(app.screen.query_one(f"#pane-{pane}", ItemPane).border_title or "")
    return title.endswith("live")


async def test_d_shows_the_diff_as_data_and_d_again_goes_back(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: live(app, "prs") and bool(rows(app, "prs")), "the PR pane")
        pr = app.backend.full_item(rows(app, "prs")[0])  # a row leaves its number stored
        assert isinstance(pr, PullRequest)
        sim_pr = github(stack).state.by_name[pr.repo.lower()].items[pr.number]
        hostile = FileChange(
            f"src/{HOSTILE}.py", "modified", 1, 1, f"@@ -1 +1 @@\n-old\n+{HOSTILE}"
        )
        sim_pr.seeded_files = [hostile, *long_patch(1500)]

        await pilot.press("D")
        preview = app.screen.query_one(Preview)
        await wait_until(lambda: "files changed" in preview_text(app), "the diff")
        text = preview_text(app)
        assert preview.border_title == "Diff"
        assert f"+{HOSTILE}".replace("\x1b", "") not in text  # the escape is made visible
        assert "[bold red]not markup[/]" in text  # markup shown as typed, never applied
        assert "\x1b" not in text
        assert "3 files changed" in text
        assert "(no patch from GitHub: a binary file or a diff too large)" in text
        more = 1502 - FILE_LINES  # the 1,500-line hunk, its header and a context line
        assert f"… {more:,} more lines of this file not shown" in text
        body = app.screen.query_one("#preview-body")
        add, gone = (preview.get_component_rich_style(n, partial=True).color for n in (ADD, DEL))
        assert add is not None and gone is not None and add != gone
        assert colour_of(body, "+[bold red]") == Color.from_rich_color(add).rgb
        assert colour_of(body, "-old") == Color.from_rich_color(gone).rgb
        files = [
            r
            for r in stack.sim.counters()["requests"]
            if r["service"] == "github" and r["endpoint"].endswith("/files")
        ]
        assert files and all(r["status"] == 200 for r in files)  # read through the gateway

        await pilot.press("D")
        await pilot.pause()
        assert preview.border_title == "Preview" and "files changed" not in preview_text(app)
        assert pr.title in preview_text(app)


async def test_d_on_a_slack_message_says_it_has_no_diff(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: live(app, "messages"), "the messages pane")
        await pilot.press("shift+tab", "D")
        await pilot.pause()
        assert app.screen.query_one(Preview).diff is None
        assert "diff applies to pull requests" in str(app.screen.query_one("#status").render())


def with_notifications(stack: DemoStack) -> DemoStack:
    """The Issues pane's first section: GitHub notifications, read and unread."""
    gh = next(a for a in stack.settings.accounts if a.service == "github")
    first = SectionConfig("issues", "Notifications", gh.name, query="notifications all")
    return replace(
        stack,
        settings=msgspec.structs.replace(
            stack.settings, sections=[first, *stack.settings.sections]
        ),
    )


def unread_first(items: list[Item]) -> bool:
    flags = [i.unread is True for i in items]
    return flags == sorted(flags, reverse=True)


async def test_mark_read_and_done_through_the_outbox_unread_first(stack: DemoStack) -> None:
    threads = sorted(github(stack).state.threads.values(), key=lambda t: t.updated, reverse=True)
    for thread in threads[::2]:  # the newest read: it must still list after the unread ones
        thread.unread = False
    stack = with_notifications(stack)
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("tab")
        await wait_until(lambda: live(app, "issues") and len(rows(app, "issues")) > 3, "notes")
        listed = rows(app, "issues")
        assert unread_first(listed) and listed[0].unread and not listed[-1].unread
        assert meta(listed[0]).startswith("● ") and not meta(listed[-1]).startswith("●")
        assert [i.updated_at for i in listed if i.unread] == sorted(
            (i.updated_at for i in listed if i.unread), key=sort_key, reverse=True
        )

        first = listed[0]
        await pilot.press("u")
        await wait_until(lambda: _logged(stack, "thread_read", first.thread_id), "the read")
        await wait_until(
            lambda: any(i.id == first.id and i.unread is False for i in rows(app, "issues")),
            "the row to show read",
        )
        await wait_until(lambda: rows(app, "issues")[0].id != first.id, "the row to move down")
        moved = next(i for i in rows(app, "issues") if i.id == first.id)
        assert not meta(moved).startswith("●")
        assert unread_first(rows(app, "issues"))

        second = rows(app, "issues")[0]
        app.screen.query_one("#list-issues", ItemList).cursor = 0
        await pilot.press("z")
        await wait_until(lambda: _logged(stack, "thread_done", second.thread_id), "the done")
        await wait_until(
            lambda: second.id not in {i.id for i in rows(app, "issues")}, "the row to leave"
        )
        log = stack.sim.counters()["mutation_log"]
        assert sum(1 for m in log if m.get("thread") == first.thread_id) == 1  # exactly once
        assert sum(1 for m in log if m.get("thread") == second.thread_id) == 1


def _logged(stack: DemoStack, kind: str, thread: str | None) -> bool:
    log = stack.sim.counters()["mutation_log"]
    return any(m["kind"] == kind and m.get("thread") == thread for m in log)


async def test_inbox_pane_merges_the_three_services_newest_first(stack: DemoStack) -> None:
    inbox = [inbox_section(a) for a in stack.settings.accounts]
    settings = msgspec.structs.replace(stack.settings, sections=[*stack.settings.sections, *inbox])
    stack = replace(stack, settings=settings)
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(3):  # prs -> issues -> messages -> inbox
            await pilot.press("tab")
        await wait_until(lambda: live(app, "inbox") and bool(rows(app, "inbox")), "the inbox")
        pane = app.screen.query_one("#pane-inbox", ItemPane)
        await wait_until(lambda: len(pane.snapshots) == 3, "all three inbox sections")
        listed = rows(app, "inbox")
        assert {i.service for i in listed} == {"github", "jira", "slack"}
        stamps = [sort_key(i.updated_at) for i in listed]
        assert stamps == sorted(stamps, reverse=True)
        expected = {i.id for snap in pane.snapshots.values() for i in snap.items}
        assert {i.id for i in listed} == expected
        assert str(pane.border_title).startswith(f"Inbox {len(listed)} ")
        assert app.screen.query_one("#list-inbox", ItemList).has_focus
