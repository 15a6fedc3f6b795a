"""`N` (an issue from a Slack message, one form) and `S` (share to Slack) on the dashboard.

Over the REAL stack (simulator on a loopback port, SyncEngine, SQLite): the issue is created
once, the thread gets one reply with its link, both rows show the link marker and the preview
lists it, and a restarted app shows them again from the store. Over the FakeBackend: which
items take which key, and what the form sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.fakes.backend import FakeBackend
from tools.demo_stack import DemoStack, all_live, demo_stack, wait_until
from zen_tui.models import ActionState, Message, PullRequest
from zen_tui.ui.screens.modals import IssueFormModal, PickerModal
from zen_tui.ui.widgets.item_list import LINK_MARK, ItemList
from zen_tui.ui.widgets.preview import Preview

from .conftest import WaitForWorkers, make_app, notes, outbox_idle, preview_text, status_line

pytestmark = pytest.mark.timeout(60)
WIDE = (140, 40)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DemoStack]:
    with demo_stack(tmp_path, seed=3, size=300) as s:
        yield s


async def test_n_makes_one_issue_replies_once_and_both_rows_keep_the_link(
    stack: DemoStack,
) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        await pilot.press("tab", "tab", "right_square_bracket")  # messages pane, #dev
        messages = app.screen.query_one("#list-messages", ItemList)
        # the first tab's messages show at once; `]` moves to #dev a message later
        await wait_until(
            lambda: (
                isinstance(messages.cursor_item, Message) and messages.cursor_item.channel == "dev"
            ),
            "a #dev message",
        )
        message = messages.cursor_item
        assert isinstance(message, Message) and message.channel == "dev"
        await pilot.press("N")
        await wait_until(lambda: isinstance(app.screen, IssueFormModal), "the issue form")
        form = app.screen
        assert isinstance(form, IssueFormModal)
        body = form.query_one("#issue-body").text  # type: ignore[attr-defined]
        assert "https://zen-sim.slack.com/archives/" in body and message.author in body
        target = form.targets[0]
        assert target.service == "github"
        await pilot.press("ctrl+s")
        await wait_until(lambda: message.id in messages.linked, "the message row's link mark")
        await wait_until(lambda: outbox_idle(app.backend), "the outbox to go idle")
        await pilot.pause()
        assert "issue made from this:" in preview_text(app)

    gh = stack.sim.world.services["github"].state
    permalink = f"on Slack: https://zen-sim.slack.com/archives/{message.channel_id}/p"
    made = [i for i in gh.items if permalink in i.body]
    assert len(made) == 1, [i.title for i in made]
    parent = stack.sim.world.services["slack"].channels[message.channel_id].messages[message.ts]
    assert len(parent.replies) == 1
    issue_id = f"{target.account}:{made[0].repo.owner}/{made[0].repo.name}#{made[0].number}"

    again = stack.app(stack.engine())  # a restart: the links come from the store
    async with again.run_test(size=WIDE) as pilot:
        await pilot.pause()
        lists = again.screen.query(ItemList)
        assert all(message.id in lst.linked and issue_id in lst.linked for lst in lists)
        shown = again.screen.query_one(Preview).links
        assert [link.other_id for link in shown[issue_id]] == [message.id]


async def test_s_shares_a_pull_request_to_a_channel_once(stack: DemoStack) -> None:
    app = stack.app(stack.engine())
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: all_live(app), "every pane to go live")
        prs = app.screen.query_one("#list-prs", ItemList)
        pr = prs.cursor_item
        assert isinstance(pr, PullRequest)
        await pilot.press("S")  # first left: nothing is sent, and the line says so
        await wait_until(lambda: isinstance(app.screen, PickerModal), "the channel picker")
        await pilot.press("escape")
        await wait_until(  # the picker closes first; the dashboard's status line says why
            lambda: (
                not isinstance(app.screen, PickerModal)
                and "cancelled: nothing sent" in status_line(app)
            ),
            "the cancel",
        )
        await pilot.press("S")
        await wait_until(lambda: isinstance(app.screen, PickerModal), "the channel picker")
        picker = app.screen
        assert isinstance(picker, PickerModal)
        await pilot.press(*["down"] * picker.choices.index("#dev"), "enter")
        await wait_until(lambda: pr.id in prs.linked, "the PR row's link mark")
        await wait_until(lambda: outbox_idle(app.backend), "the outbox to go idle")
        row = prs.row_states[pr.id]
        assert (row.kind, row.state) == ("share", ActionState.DONE)
    log = stack.sim.counters()["mutation_log"]
    posted = [m for m in log if m["service"] == "slack" and m["kind"] == "message"]
    assert len(posted) == 1


async def test_keys_apply_to_their_items_only(wait_for_workers: WaitForWorkers) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N")  # on a pull request
        await wait_for_workers(pilot)
        assert "Slack messages" in notes(app)[-1]
        await pilot.press("space", "space", "S")  # two selected: one at a time
        await wait_for_workers(pilot)
        assert "one item at a time" in notes(app)[-1]
        assert backend.chains == []


async def open_issue_form(pilot: Pilot[Any], wait_for_workers: WaitForWorkers) -> IssueFormModal:
    """`N` on the FakeBackend's messages pane (its first message): the issue form it opens."""
    await pilot.press("tab", "tab", "N")
    await wait_for_workers(pilot)
    form = pilot.app.screen
    assert isinstance(form, IssueFormModal)
    return form


async def test_the_form_sends_the_chain_and_the_row_shows_its_link(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=WIDE) as pilot:
        await open_issue_form(pilot, wait_for_workers)
        dashboard = app._dashboard()
        assert dashboard is not None
        message = dashboard.query_one("#list-messages", ItemList).cursor_item
        assert isinstance(message, Message)
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        [[create, reply]] = backend.chains
        assert (create.kind, create.item_id) == ("create_issue", message.id)
        assert create.params["title"] and "fake.slack.com" in create.params["body"]
        assert reply.kind == "reply" and reply.params["url"] == "{{created_url}}"
        lst = app.screen.query_one("#list-messages", ItemList)
        assert message.id in lst.linked
        assert LINK_MARK.strip() in str(lst.render_line(0).text)


async def test_leaving_the_issue_form_says_nothing_was_sent(
    wait_for_workers: WaitForWorkers,
) -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test(size=WIDE) as pilot:
        await open_issue_form(pilot, wait_for_workers)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert "message cancelled: nothing sent" in status_line(app)
        assert backend.chains == []
