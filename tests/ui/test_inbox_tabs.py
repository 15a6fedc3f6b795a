"""The Inbox pane's tabs work as every pane's: `All` (the merged list) first, then one tab per
source; `[`/`]` step through them, and what acts on "the section" (`s` edits its query, `R`
refreshes, the focus that polls faster, the badge) acts on the tab on screen: every source on
All (`s` asks which one), that source alone on its tab."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from tests.fakes.backend import DEFAULT_SECTIONS, FakeBackend
from zen_tui.models import Freshness, FreshnessState, Item, SectionInfo, Snapshot
from zen_tui.ui.screens.modals import PickerModal, QueryModal
from zen_tui.ui.widgets.item_list import ItemList
from zen_tui.ui.widgets.pane import ItemPane, merge_newest

from .conftest import WaitForWorkers, make_app, status_line
from .test_footer import focus_pane

GH = SectionInfo("inbox:0:gh", "inbox", "GitHub notifications", "gh", "github", "notifications")
JIRA = SectionInfo("inbox:1:jira", "inbox", "Jira: watching", "jira", "jira", "watcher = x")
SLACK = SectionInfo("inbox:2:slack", "inbox", "Slack mentions", "slack", "slack", "mentions")
INBOX = (GH, JIRA, SLACK)


def inbox_backend() -> FakeBackend:
    return FakeBackend([*DEFAULT_SECTIONS, *INBOX], items_per_section=6)


@asynccontextmanager
async def inbox_on_screen(backend: FakeBackend, **options: Any) -> AsyncIterator[Pilot[Any]]:
    """The app on `backend` (make_app `options`), 160x40, its Inbox pane focused: All."""
    async with make_app(backend, **options).run_test(size=(160, 40)) as pilot:
        await focus_pane(pilot, "inbox")
        yield pilot


def pane(app) -> ItemPane:
    return app.screen.query_one("#pane-inbox", ItemPane)


def ids(items: list[Item] | tuple[Item, ...]) -> list[str]:
    return [i.id for i in items]


def shown(app) -> list[str]:
    return ids(app.screen.query_one("#list-inbox", ItemList).rows)


def highlighted_tab(app) -> str:
    """The text of the tab drawn in reverse video (the one on screen)."""
    tabs = app.screen.query_one("#pane-inbox .tabs").render()
    lit = [str(tabs)[s.start : s.end] for s in tabs.spans if getattr(s.style, "reverse", 0)]
    assert len(lit) == 1, lit  # exactly one tab on screen
    return lit[0]


async def test_brackets_step_through_all_then_each_source_and_back(
    wait_for_workers: WaitForWorkers,
) -> None:
    """Also `R`: on All it refreshes every source, on a source's tab (Jira) that one alone."""
    backend = inbox_backend()
    async with inbox_on_screen(backend) as pilot:
        app = pilot.app
        everything = ids(merge_newest([backend.items[s.id] for s in INBOX]))
        assert shown(app) == everything and len(everything) == 18
        assert highlighted_tab(app).strip() == "All 18"
        assert (backend.focus, backend.focus_more) == (GH.id, (JIRA.id, SLACK.id))
        await pilot.press("R")
        await wait_for_workers(pilot)
        assert sorted(backend.refreshed) == sorted(s.id for s in INBOX)
        backend.refreshed.clear()

        for section in INBOX:  # `]`: each source alone, newest first, its tab lit
            await pilot.press("right_square_bracket")
            await wait_for_workers(pilot)
            assert shown(app) == ids(merge_newest([backend.items[section.id]]))
            assert highlighted_tab(app).startswith(f" {section.title} 6 ")
            assert str(pane(app).border_title).startswith("Inbox 6 ")
            assert (backend.focus, backend.focus_more) == (section.id, ())  # it polls faster
            if section is JIRA:
                await pilot.press("R")
                await wait_for_workers(pilot)
                assert backend.refreshed == [JIRA.id]

        await pilot.press("right_square_bracket")  # after the last source: All again
        await wait_for_workers(pilot)
        assert shown(app) == everything and str(pane(app).border_title).startswith("Inbox 18 ")
        await pilot.press("left_square_bracket")  # and `[` goes back round to the last
        await wait_for_workers(pilot)
        assert highlighted_tab(app).startswith(f" {SLACK.title} ")
        assert {i.service for i in app.screen.query_one("#list-inbox", ItemList).rows} == {"slack"}


async def test_a_source_tab_badge_is_its_own_and_names_a_worse_source(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = inbox_backend()
    async with inbox_on_screen(backend) as pilot:
        app = pilot.app
        for section in INBOX:  # every source live, then Jira's breaker opens
            live = Freshness(FreshnessState.LIVE, backend.now)
            backend.publish(
                backend._section_event(section, Snapshot(backend.items[section.id], live))
            )
        down = Freshness(FreshnessState.CACHED, backend.now - 120, "jira breaker open")
        backend.publish(backend._section_event(JIRA, Snapshot(backend.items[JIRA.id], down)))
        await wait_for_workers(pilot)
        assert str(pane(app).border_title).endswith("· cached 2m")  # All: the worst source's
        await pilot.press("right_square_bracket")  # GitHub: live, and says Jira is not
        await wait_for_workers(pilot)
        assert str(pane(app).border_title) == "Inbox 6 · live · Jira: watching: cached 2m"
        assert "Inbox: live" in status_line(app)


async def test_s_on_all_asks_which_source_and_on_a_source_tab_edits_its_own(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = inbox_backend()
    async with inbox_on_screen(backend) as pilot:
        app = pilot.app
        await pilot.press("s")
        await wait_for_workers(pilot)
        picker = app.screen
        assert isinstance(picker, PickerModal)
        assert picker.choices == [f"{s.title} · {s.account}" for s in INBOX]
        picker.query_one(OptionList).highlighted = 1
        await pilot.press("enter")  # Jira
        await wait_for_workers(pilot)
        assert isinstance(app.screen, QueryModal)
        box = app.screen.query_one(Input)
        assert box.value == JIRA.query
        box.value = "watcher = currentUser()"
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert backend.queries == [(JIRA.id, "watcher = currentUser()")]

        await pilot.press("left_square_bracket")  # the Slack tab: its own query, no picker
        await wait_for_workers(pilot)
        await pilot.press("s")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, QueryModal)
        assert app.screen.query_one(Input).value == SLACK.query
        await pilot.press("escape")
        await wait_for_workers(pilot)
        await pilot.press("right_square_bracket", "s")  # All again: escape the picker
        await wait_for_workers(pilot)
        assert isinstance(app.screen, PickerModal)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert backend.queries == [(JIRA.id, "watcher = currentUser()")]


async def test_L_on_all_logs_in_to_the_source_whose_login_expired(
    wait_for_workers: WaitForWorkers,
) -> None:
    from zen_tui.config import AccountConfig
    from zen_tui.models import Cause
    from zen_tui.ui.screens.login import LoginScreen

    accounts = [
        AccountConfig("gh", "github", "https://api.github.com"),
        AccountConfig("slack", "slack", "https://slack.com/api"),
    ]
    backend = inbox_backend()
    async with inbox_on_screen(backend, accounts=accounts) as pilot:
        expired = Freshness(FreshnessState.EMPTY, None, "Slack says token_revoked", Cause.AUTH)
        backend.publish(backend._section_event(SLACK, Snapshot((), expired)))
        await wait_for_workers(pilot)
        await pilot.press("L")  # the GitHub source comes first, but its login is fine
        await wait_for_workers(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, LoginScreen) and screen.account == accounts[1]
